/*
 * http_reply.c — building replies: JSON bodies, the error body of api.md
 * ({"error":{"code","message"}}), the table that maps every error the HTTP layer can
 * return to its status and api.md code, and small shared helpers (clocks, hex, query).
 *
 * The table is the one place where statuses are decided (docs/http.md reproduces it).
 * Finer node codes (dev-ecdsa, peer) keep their own name in logs and metrics and answer
 * with the api.md code they belong to; attest-layer codes (500–599) are mapped as
 * docs/attestation.md asks: expired/not-yet-valid → attestation_expired, replayed →
 * attestation_replayed, anything else → attestation_invalid. An error missing from the
 * table is a bug: it answers 500 internal_error and is logged as such by http.c.
 */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tkms_assert.h"
#include "node/http_internal.h"

uint64_t http_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int64_t http_unix_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

typedef struct {
    tkms_err err;
    unsigned status;
    const char *code; /* NULL: the error's own name */
    uint32_t retry_after_s;
} error_row;

static const error_row error_table[] = {
    {TKMS_ERR_NODE_HTTP_BAD_REQUEST, 400, NULL, 0},
    {TKMS_ERR_NODE_HTTP_BAD_FIELD, 400, NULL, 0},
    {TKMS_ERR_NODE_HTTP_BAD_POINT, 400, NULL, 0},
    {TKMS_ERR_NODE_HTTP_NOT_FOUND, 404, NULL, 0},
    {TKMS_ERR_NODE_HTTP_METHOD, 405, NULL, 0},
    {TKMS_ERR_NODE_HTTP_TIMEOUT, 408, NULL, 0},
    {TKMS_ERR_NODE_HTTP_TOO_LARGE, 413, NULL, 0},
    {TKMS_ERR_NODE_HTTP_MEDIA_TYPE, 415, NULL, 0},
    {TKMS_ERR_NODE_HTTP_RATE_LIMITED, 429, NULL, 1},
    {TKMS_ERR_NODE_HTTP_OVERLOADED, 503, NULL, 1},
    {TKMS_ERR_NODE_HTTP_INTERNAL, 500, NULL, 0},
    {TKMS_ERR_NODE_ATTESTATION_INVALID, 401, NULL, 0},
    {TKMS_ERR_NODE_ATTESTATION_EXPIRED, 401, NULL, 0},
    {TKMS_ERR_NODE_ATTESTATION_REPLAYED, 401, NULL, 0},
    {TKMS_ERR_NODE_IMAGE_NOT_RELEASED, 403, NULL, 0},
    {TKMS_ERR_NODE_APP_MISMATCH, 403, NULL, 0},
    {TKMS_ERR_NODE_POLICY_MISMATCH, 403, NULL, 0},
    {TKMS_ERR_NODE_UNKNOWN_APP, 404, NULL, 0},
    {TKMS_ERR_NODE_NO_KEY_VERSION, 404, NULL, 0},
    {TKMS_ERR_NODE_NOT_HOLDER, 409, NULL, 0},
    {TKMS_ERR_NODE_NO_FINALIZED_VERSION, 503, NULL, 30},
    {TKMS_ERR_NODE_CHAIN_UNAVAILABLE, 503, NULL, 5},
    {TKMS_ERR_NODE_NOT_READY, 503, NULL, 5},
    {TKMS_ERR_NODE_METHOD_DISABLED, 400, "bad_field", 0},
    {TKMS_ERR_NODE_DEV_CHALLENGE_MALFORMED, 400, "bad_field", 0},
    {TKMS_ERR_NODE_DEV_CHALLENGE_EXPIRED, 401, "attestation_expired", 0},
    {TKMS_ERR_NODE_DEV_CHALLENGE_FUTURE, 401, "attestation_expired", 0},
    {TKMS_ERR_NODE_DEV_SIGNATURE_MALFORMED, 401, "attestation_invalid", 0},
    {TKMS_ERR_NODE_DEV_SIGNATURE_HIGH_S, 401, "attestation_invalid", 0},
    {TKMS_ERR_NODE_DEV_SIGNATURE_INVALID, 401, "attestation_invalid", 0},
    {TKMS_ERR_NODE_DEV_NOT_OWNER, 401, "attestation_invalid", 0},
    {TKMS_ERR_NODE_DEV_REPLAYED, 401, "attestation_replayed", 0},
    {TKMS_ERR_NODE_RELEASE_INVALID, 403, "policy_mismatch", 0},
    {TKMS_ERR_NODE_NO_RELEASE, 403, "image_not_released", 0},
    {TKMS_ERR_NODE_PEER_EPOCH, 403, NULL, 0},
    {TKMS_ERR_NODE_PEER_UNKNOWN_SENDER, 403, NULL, 0},
    {TKMS_ERR_NODE_PEER_WRONG_RECIPIENT, 400, NULL, 0},
    {TKMS_ERR_NODE_PEER_BAD_SIGNATURE, 401, NULL, 0},
    {TKMS_ERR_NODE_PEER_RECORD_SIGNATURE, 401, NULL, 0},
    {TKMS_ERR_NODE_PEER_RECORD_DEALER, 403, NULL, 0},
    {TKMS_ERR_NODE_RECORD_POOL_FULL, 503, NULL, 5},
    {TKMS_ERR_NODE_UNKNOWN_RECORD, 404, NULL, 0},
};

unsigned http_error_status(tkms_err err, const char **code, uint32_t *retry_after_s) {
    *retry_after_s = 0;
    if (err >= 500 && err < 600) { /* the attest layer (docs/attestation.md) */
        if (err == TKMS_ERR_ATTEST_JWT_EXPIRED || err == TKMS_ERR_ATTEST_JWT_NOT_YET_VALID) {
            *code = "attestation_expired";
        } else if (err == TKMS_ERR_ATTEST_REPLAYED) {
            *code = "attestation_replayed";
        } else {
            *code = "attestation_invalid";
        }
        return 401;
    }
    for (size_t i = 0; i < sizeof error_table / sizeof error_table[0]; i++) {
        if (error_table[i].err == err) {
            *code = error_table[i].code != NULL ? error_table[i].code : tkms_err_name(err);
            *retry_after_s = error_table[i].retry_after_s;
            return error_table[i].status;
        }
    }
    *code = "internal_error";
    return 500;
}

void http_reply_text(http_reply *reply, unsigned status, const char *content_type, char *text,
                     size_t len) {
    TKMS_ASSERT(reply->body == NULL); /* one reply per request */
    reply->status = status;
    reply->body = text;
    reply->body_len = len;
    reply->content_type = content_type;
}

void http_reply_json(http_reply *reply, unsigned status, json_t *json) {
    char *text = json != NULL ? json_dumps(json, JSON_COMPACT) : NULL;
    json_decref(json);
    if (text == NULL) { /* out of memory: a static body, no allocation */
        static const char oom[] = "{\"error\":{\"code\":\"internal_error\",\"message\":\"out of "
                                  "memory\"}}";
        text = strdup(oom);
        status = 500;
        reply->err = TKMS_ERR_NODE_HTTP_INTERNAL;
        if (text == NULL) {
            reply->status = 500;
            return;
        }
    }
    http_reply_text(reply, status, NULL, text, strlen(text));
}

void http_reply_error(http_reply *reply, tkms_err err, const char *fmt, ...) {
    TKMS_ASSERT(err != TKMS_OK);
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    for (char *c = message; *c != 0; c++) { /* client bytes may be in it: never invalid JSON */
        unsigned char u = (unsigned char)*c;
        *c = u >= 0x20 && u < 0x7f ? *c : '?';
    }
    const char *code;
    uint32_t retry_after_s;
    unsigned status = http_error_status(err, &code, &retry_after_s);
    reply->err = err;
    if (reply->retry_after_s == 0) {
        reply->retry_after_s = retry_after_s;
    }
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
    http_reply_json(reply, status, body);
}

const char *http_query(const http_request *req, const char *key) {
    const char *value = NULL;
    size_t len = 0;
    if (req->connection == NULL ||
        MHD_lookup_connection_value_n(req->connection, MHD_GET_ARGUMENT_KIND, key, strlen(key),
                                      &value, &len) != MHD_YES) {
        return NULL;
    }
    /* a decoded %00 would cut the value short as a C string: "" (refused by every parser) */
    return value != NULL && strlen(value) == len ? value : "";
}

void http_hex(char *out, const uint8_t *in, size_t len, bool prefix) {
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    if (prefix) {
        out[o++] = '0';
        out[o++] = 'x';
    }
    for (size_t i = 0; i < len; i++) {
        out[o++] = digits[in[i] >> 4];
        out[o++] = digits[in[i] & 15];
    }
    out[o] = 0;
}

static int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool http_hex_parse(uint8_t *out, size_t len, const char *text, size_t text_len,
                    bool prefix_required) {
    if (text_len >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text += 2;
        text_len -= 2;
    } else if (prefix_required) {
        return false;
    }
    if (text_len != 2 * len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        int hi = hex_digit(text[2 * i]), lo = hex_digit(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return true;
}

json_t *http_text_json(const char *text, size_t max) {
    char buf[NODE_URL_BYTES_MAX + 1];
    size_t n = strnlen(text, max < sizeof buf - 1 ? max : sizeof buf - 1);
    for (size_t i = 0; i < n; i++) { /* printable ASCII only: never invalid UTF-8 */
        unsigned char c = (unsigned char)text[i];
        buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    buf[n] = 0;
    return json_string(buf);
}
