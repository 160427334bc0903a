/*
 * http_reply.c — building replies: JSON bodies (written by a compact writer that gives
 * json_dumps's bytes at a fraction of its cost, see below), the error body of api.md
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

/* ---- compact JSON: json_dumps(JSON_COMPACT)'s bytes at a tenth of its cost ---------------
   jansson's dumper walks strings code point by code point through a callback and checks
   every object and array for cycles with a formatted pointer in a hash table: ~0.12M
   instructions for a /v1/secrets answer (docs/performance.md "Node"). This writer gives
   the same bytes for what the handlers build — members in insertion order (jansson >= 2.8
   keeps it), "," and ":" without spaces, strings escaped as jansson does (\" \\ \b \f \n
   \r \t, other control bytes \u00XX in upper case, '/' and DEL as they are), integers with
   JSON_INTEGER_FORMAT — and hands anything else back to json_dumps: a non-ASCII string
   (jansson validates UTF-8 while dumping), a real (its own number formatting), nesting
   deeper than DUMP_DEPTH_MAX (also how a cycle ends), a root that is not a container
   (json_dumps refuses it), or an allocation failure. No recursion: a fixed stack. */

#define DUMP_DEPTH_MAX 16
#define DUMP_BYTES_INITIAL 2048

typedef struct {
    char *buf;
    size_t len, cap; /* cap > len always: room for the final NUL */
    bool ok;         /* false: leave this tree to json_dumps */
} dump_out;

typedef struct {
    const json_t *node;
    void *iter;   /* objects: the next member */
    size_t index; /* arrays: the next element */
    bool first;
} dump_frame;

static void dump_put(dump_out *o, const char *s, size_t n) {
    if (!o->ok || n == 0) {
        return;
    }
    if (n >= o->cap - o->len) {
        size_t cap = o->cap;
        while (n >= cap - o->len && cap <= ((size_t)1 << 40)) {
            cap *= 2;
        }
        char *grown = n < cap - o->len ? realloc(o->buf, cap) : NULL;
        if (grown == NULL) {
            o->ok = false;
            return;
        }
        o->buf = grown;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void dump_string(dump_out *o, const char *s, size_t n) {
    static const char upper_hex[] = "0123456789ABCDEF";
    size_t run = 0; /* s[run..i) is copied as it is */
    dump_put(o, "\"", 1);
    for (size_t i = 0; i < n && o->ok; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            continue;
        }
        if (c >= 0x80) {
            o->ok = false;
            return;
        }
        dump_put(o, s + run, i - run);
        const char *named = c == '"'    ? "\\\""
                            : c == '\\' ? "\\\\"
                            : c == '\b'  ? "\\b"
                            : c == '\f'  ? "\\f"
                            : c == '\n'  ? "\\n"
                            : c == '\r'  ? "\\r"
                            : c == '\t'  ? "\\t"
                                         : NULL;
        const char code[6] = {'\\', 'u', '0', '0', upper_hex[c >> 4], upper_hex[c & 15]};
        dump_put(o, named != NULL ? named : code, named != NULL ? 2 : sizeof code);
        run = i + 1;
    }
    dump_put(o, s + run, n - run);
    dump_put(o, "\"", 1);
}

static void dump_scalar(dump_out *o, const json_t *v) {
    char number[32];
    switch (json_typeof(v)) {
    case JSON_STRING:
        dump_string(o, json_string_value(v), json_string_length(v));
        return;
    case JSON_INTEGER: {
        int n = snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        TKMS_ASSERT(n > 0 && (size_t)n < sizeof number);
        dump_put(o, number, (size_t)n);
        return;
    }
    case JSON_TRUE:
        dump_put(o, "true", 4);
        return;
    case JSON_FALSE:
        dump_put(o, "false", 5);
        return;
    case JSON_NULL:
        dump_put(o, "null", 4);
        return;
    default: /* a real: jansson's own formatting */
        o->ok = false;
        return;
    }
}

static void dump_open(dump_out *o, dump_frame *stack, size_t *depth, const json_t *node) {
    if (*depth == DUMP_DEPTH_MAX) {
        o->ok = false;
        return;
    }
    bool object = json_is_object(node);
    stack[(*depth)++] = (dump_frame){node, object ? json_object_iter((json_t *)node) : NULL, 0,
                                     true};
    dump_put(o, object ? "{" : "[", 1);
}

/* The frame's next value (its separator and key written), or NULL at its end. */
static const json_t *dump_next(dump_out *o, dump_frame *f) {
    const json_t *value = NULL;
    if (json_is_object(f->node) && f->iter != NULL) {
        void *member = f->iter;
        f->iter = json_object_iter_next((json_t *)f->node, member);
        dump_put(o, ",", f->first ? 0 : 1);
        dump_string(o, json_object_iter_key(member), json_object_iter_key_len(member));
        dump_put(o, ":", 1);
        value = json_object_iter_value(member);
    } else if (json_is_array(f->node) && f->index < json_array_size(f->node)) {
        dump_put(o, ",", f->first ? 0 : 1);
        value = json_array_get(f->node, f->index++);
    }
    f->first = false;
    return value;
}

/* json_dumps(json, JSON_COMPACT) (see above): malloc'd text and its length, or NULL. */
static char *dump_compact(const json_t *json, size_t *len) {
    dump_out o = {malloc(DUMP_BYTES_INITIAL), 0, DUMP_BYTES_INITIAL, true};
    dump_frame stack[DUMP_DEPTH_MAX];
    size_t depth = 0;
    o.ok = o.buf != NULL && (json_is_object(json) || json_is_array(json));
    if (o.ok) {
        dump_open(&o, stack, &depth, json);
    }
    while (o.ok && depth > 0) {
        dump_frame *f = &stack[depth - 1];
        const json_t *value = dump_next(&o, f);
        if (value == NULL) {
            dump_put(&o, json_is_object(f->node) ? "}" : "]", 1);
            depth--;
        } else if (json_is_object(value) || json_is_array(value)) {
            dump_open(&o, stack, &depth, value);
        } else {
            dump_scalar(&o, value);
        }
    }
    if (!o.ok) {
        free(o.buf);
        char *text = json_dumps(json, JSON_COMPACT);
        *len = text != NULL ? strlen(text) : 0;
        return text;
    }
    TKMS_ASSERT(o.len < o.cap);
    o.buf[o.len] = 0;
    *len = o.len;
    return o.buf;
}

void http_reply_json(http_reply *reply, unsigned status, json_t *json) {
    size_t len = 0;
    char *text = json != NULL ? dump_compact(json, &len) : NULL;
    json_decref(json);
    if (text == NULL) { /* out of memory: a static body, no allocation */
        static const char oom[] = "{\"error\":{\"code\":\"internal_error\",\"message\":\"out of "
                                  "memory\"}}";
        text = strdup(oom);
        len = sizeof oom - 1;
        status = 500;
        reply->err = TKMS_ERR_NODE_HTTP_INTERNAL;
        if (text == NULL) {
            reply->status = 500;
            return;
        }
    }
    http_reply_text(reply, status, NULL, text, len);
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
