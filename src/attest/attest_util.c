/*
 * attest_util.c — the small pieces every verifier uses: error messages with quoted values,
 * hex and strict base64/base64url, bounded JSON loading, hashing, the claims arena.
 * Nothing here knows a method; nothing allocates beyond what it returns (jansson objects).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

tkms_err attest_fail(tkms_attest_error *error, tkms_err code, const char *fmt, ...) {
    TKMS_ASSERT(code != TKMS_OK);
    if (error == NULL) {
        return code;
    }
    error->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(error->message, sizeof error->message, fmt, ap);
    va_end(ap);
    return code;
}

void attest_quote(char out[ATTEST_QUOTE_BYTES], const char *s, size_t len) {
    static const char digits[] = "0123456789abcdef";
    size_t o = 0;
    const size_t shown = len > 64 ? 64 : len;
    out[o++] = '"';
    for (size_t i = 0; i < shown && o + 6 < ATTEST_QUOTE_BYTES; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = digits[c >> 4];
            out[o++] = digits[c & 15];
        }
    }
    out[o++] = '"';
    if (shown < len && o + 4 < ATTEST_QUOTE_BYTES) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    TKMS_ASSERT(o < ATTEST_QUOTE_BYTES);
    out[o] = 0;
}

void attest_quote_str(char out[ATTEST_QUOTE_BYTES], const char *s) {
    if (s == NULL) {
        snprintf(out, ATTEST_QUOTE_BYTES, "(absent)");
        return;
    }
    attest_quote(out, s, strlen(s));
}

void attest_hex(char *out, const uint8_t *in, size_t n) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

void attest_hex_short(char out[64], const uint8_t *in, size_t n) {
    const size_t shown = n > 24 ? 24 : n;
    attest_hex(out, in, shown);
    if (shown < n) {
        memcpy(out + 2 * shown, "...", 4);
    }
}

static int hex_value(char c) {
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

bool attest_unhex(uint8_t *out, size_t out_len, const char *hex, size_t hex_len) {
    if (hex_len != 2 * out_len) {
        return false;
    }
    for (size_t i = 0; i < out_len; i++) {
        int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

void attest_time_format(char out[32], int64_t t) {
    struct tm tm;
    time_t tt = (time_t)t;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, 32, "@%lld", (long long)t);
    }
}

/* ---- base64 ----------------------------------------------------------------------------- */

/* Decoding tables: the 6-bit value of each character, 0xFF when not in the alphabet. */
typedef struct {
    uint8_t value[256];
} b64_table;

static b64_table b64_tables[2]; /* [0] standard, [1] url */
static pthread_once_t b64_once = PTHREAD_ONCE_INIT;

static void b64_tables_init(void) {
    static const char common[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int t = 0; t < 2; t++) {
        memset(b64_tables[t].value, 0xFF, sizeof b64_tables[t].value);
        for (uint8_t i = 0; i < 62; i++) {
            b64_tables[t].value[(uint8_t)common[i]] = i;
        }
        b64_tables[t].value[t ? '-' : '+'] = 62;
        b64_tables[t].value[t ? '_' : '/'] = 63;
    }
}

/* Decodes unpadded base64 digits (in_len % 4 != 1), rejecting non-zero unused bits. */
static bool b64_decode_digits(uint8_t *out, size_t out_cap, size_t *out_len, const char *in,
                              size_t in_len, bool url) {
    pthread_once(&b64_once, b64_tables_init);
    const uint8_t *v = b64_tables[url ? 1 : 0].value;
    if (in_len % 4 == 1) {
        return false;
    }
    const size_t n = in_len / 4 * 3 + (in_len % 4 == 0 ? 0 : in_len % 4 - 1);
    if (n > out_cap) {
        return false;
    }
    const uint8_t *p = (const uint8_t *)in;
    size_t i = 0, o = 0;
    for (; i + 4 <= in_len; i += 4) {
        const uint8_t a = v[p[i]], b = v[p[i + 1]], c = v[p[i + 2]], d = v[p[i + 3]];
        if ((a | b | c | d) & 0xC0) {
            return false;
        }
        const uint32_t w = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | d;
        out[o++] = (uint8_t)(w >> 16);
        out[o++] = (uint8_t)(w >> 8);
        out[o++] = (uint8_t)w;
    }
    const size_t rest = in_len - i; /* 0, 2 or 3 digits */
    uint32_t w = 0;
    for (size_t k = 0; k < rest; k++) {
        if (v[p[i + k]] & 0xC0) {
            return false;
        }
        w = w << 6 | v[p[i + k]];
    }
    if (rest == 2) {
        if (w & 0xF) { /* non-canonical: unused low bits set */
            return false;
        }
        out[o++] = (uint8_t)(w >> 4);
    } else if (rest == 3) {
        if (w & 0x3) {
            return false;
        }
        out[o++] = (uint8_t)(w >> 10);
        out[o++] = (uint8_t)(w >> 2);
    }
    TKMS_ASSERT(o == n);
    *out_len = n;
    return true;
}

bool attest_b64url_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in,
                          size_t in_len) {
    return b64_decode_digits(out, out_cap, out_len, in, in_len, true);
}

bool attest_b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in,
                       size_t in_len) {
    size_t pad = 0;
    while (pad < 2 && in_len > pad && in[in_len - 1 - pad] == '=') {
        pad++;
    }
    if (pad > 0 && in_len % 4 != 0) {
        return false;
    }
    return b64_decode_digits(out, out_cap, out_len, in, in_len - pad, false);
}

/* ---- JSON ------------------------------------------------------------------------------- */

bool attest_json_depth_ok(const uint8_t *json, size_t len, int depth_max) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        const uint8_t c = json[i];
        if (in_string) {
            if (c == '\\') {
                i++; /* skip the escaped character */
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > depth_max) {
                return false;
            }
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return true;
}

json_t *attest_json_load(tkms_attest_error *error, tkms_err code, const char *what,
                         const uint8_t *json, size_t len) {
    if (!attest_json_depth_ok(json, len, TKMS_ATTEST_JSON_DEPTH_MAX)) {
        attest_fail(error, code, "%s: JSON nested deeper than %d", what,
                    TKMS_ATTEST_JSON_DEPTH_MAX);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        attest_fail(error, code, "%s: invalid JSON at line %d column %d: %.80s", what, jerr.line,
                    jerr.column, jerr.text);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        attest_fail(error, code, "%s: expected a JSON object", what);
        return NULL;
    }
    return root;
}

bool attest_json_copy_string(char *out, size_t cap, const json_t *obj, const char *key) {
    TKMS_ASSERT(cap > 0);
    out[0] = 0;
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        return false;
    }
    const size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n >= cap || memchr(s, 0, n) != NULL) {
        return false;
    }
    memcpy(out, s, n);
    out[n] = 0;
    return true;
}

const json_t *attest_json_path(const json_t *obj, const char *path) {
    char key[TKMS_ATTEST_CLAIM_PATH_BYTES_MAX + 1];
    const json_t *cur = obj;
    const char *p = path;
    for (int depth = 0; depth < TKMS_ATTEST_JSON_DEPTH_MAX; depth++) {
        const char *dot = strchr(p, '.');
        const size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n == 0 || n >= sizeof key || !json_is_object(cur)) {
            return NULL;
        }
        memcpy(key, p, n);
        key[n] = 0;
        cur = json_object_get(cur, key);
        if (cur == NULL || dot == NULL) {
            return cur;
        }
        p = dot + 1;
    }
    return NULL;
}

/* ---- Hashes ----------------------------------------------------------------------------- */

static EVP_MD *md_sha256, *md_sha384;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_init(void) {
    md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    md_sha384 = EVP_MD_fetch(NULL, "SHA384", NULL);
    TKMS_ASSERT(md_sha256 != NULL && md_sha384 != NULL);
}

/* Explicitly fetched once: OpenSSL 3 re-resolves EVP_sha256() on every use otherwise. */
const EVP_MD *attest_md_sha256(void) {
    pthread_once(&md_once, md_init);
    return md_sha256;
}

const EVP_MD *attest_md_sha384(void) {
    pthread_once(&md_once, md_init);
    return md_sha384;
}

/* ---- Claims ----------------------------------------------------------------------------- */

const char *attest_claims_strdup(tkms_attest_claims *claims, const char *s, size_t len) {
    if (len >= sizeof claims->arena - claims->arena_used) {
        return NULL;
    }
    char *dst = claims->arena + claims->arena_used;
    memcpy(dst, s, len);
    dst[len] = 0;
    claims->arena_used += len + 1;
    return dst;
}

void attest_claims_reset(tkms_attest_claims *claims) {
    memset(claims, 0, offsetof(tkms_attest_claims, arena));
    claims->arena[0] = 0;
}

TKMS_EXPORT tkms_err tkms_attest_claims_new(tkms_attest_claims **out) {
    *out = calloc(1, sizeof **out);
    return *out ? TKMS_OK : TKMS_ERR_OUT_OF_MEMORY;
}

TKMS_EXPORT void tkms_attest_claims_free(tkms_attest_claims *claims) {
    free(claims);
}

TKMS_EXPORT void tkms_attest_binding_from_request(tkms_attest_binding *out,
                                                  const uint8_t *rsa_pubkey_pem,
                                                  size_t rsa_pubkey_pem_len,
                                                  const uint8_t *extra_data,
                                                  size_t extra_data_len) {
    memset(out, 0, sizeof *out);
    out->kind = TKMS_ATTEST_BINDING_HASH;
    const tkms_prim_buf parts[] = {{rsa_pubkey_pem, rsa_pubkey_pem_len},
                                   {extra_data, extra_data_len}};
    tkms_prim_sha256_parts(out->hash, parts, 2);
}
