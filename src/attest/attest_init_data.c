/*
 * attest_init_data.c — the image an SEV-SNP guest was launched to run, read from its init
 * data (docs/attestation.md "Init data"). The accepted format is the Confidential
 * Containers init-data document, as eigenx-kms-go consumes it:
 *
 *   bytes     raw TOML, or gzip of it, or base64 of gzip ("H4sI…", padding optional);
 *             at most TKMS_ATTEST_INIT_DATA_BYTES_MAX in, _DECOMPRESSED_BYTES_MAX out.
 *   TOML      a subset: comments, [table] headers (bare or quoted names), key = "string"
 *             with the four TOML string forms and all TOML 1.0 escapes. Other value types,
 *             dotted keys, arrays of tables, duplicate keys and duplicate tables are errors.
 *   policy    the string [data]."policy.rego": a Rego document. Comments (# to end of
 *             line, outside "…" and `…` strings) are blanked, then every
 *             `<registry>@sha256:<64 lowercase hex>` is collected, where <registry> is the
 *             longest run of [A-Za-z0-9._/:-] before the '@'. Exactly one distinct reference
 *             is accepted; several are an error unless the policy says first_wins (the
 *             eigenx behaviour), since a policy admitting two images attests neither.
 *
 * The REPORT_DATA binding hashes the init data bytes exactly as received (attest_snp.c);
 * this file only reads them.
 */
#include <string.h>

#ifdef TKMS_ATTEST_HAVE_ZLIB
#include <zlib.h>
#endif

#include "attest/internal.h"
#include "common/tkms_assert.h"

#define TOML_KEY_BYTES_MAX 127
#define TOML_KEYS_PER_TABLE_MAX 64
#define TOML_TABLES_MAX 16
#define POLICY_KEY "policy.rego"

typedef struct {
    const char *s;
    size_t n, i;
    unsigned line;
    char *buf; /* decoded value of the last string (n + 1 bytes) */
    size_t buf_len;
    tkms_attest_error *error;
} toml;

static tkms_err toml_fail(toml *t, const char *what) {
    return attest_fail(t->error, TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID,
                       "init data TOML line %u: %s", t->line, what);
}

static bool at(const toml *t, const char *lit) {
    const size_t k = strlen(lit);
    return t->n - t->i >= k && memcmp(t->s + t->i, lit, k) == 0;
}

static void skip_ws(toml *t) {
    while (t->i < t->n && (t->s[t->i] == ' ' || t->s[t->i] == '\t')) {
        t->i++;
    }
}

/* Skips ws and a comment, then requires a newline or the end. */
static tkms_err expect_eol(toml *t) {
    skip_ws(t);
    if (t->i < t->n && t->s[t->i] == '#') {
        while (t->i < t->n && t->s[t->i] != '\n') {
            t->i++;
        }
    }
    if (t->i == t->n) {
        return TKMS_OK;
    }
    if (at(t, "\r\n")) {
        t->i++;
    }
    if (t->s[t->i] != '\n') {
        return toml_fail(t, "expected end of line");
    }
    t->i++;
    t->line++;
    return TKMS_OK;
}

static bool put(toml *t, uint32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
    }
    char *o = t->buf + t->buf_len;
    if (cp < 0x80) {
        o[0] = (char)cp;
        t->buf_len += 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        t->buf_len += 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        t->buf_len += 3;
    } else {
        o[0] = (char)(0xF0 | cp >> 18);
        o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[3] = (char)(0x80 | (cp & 0x3F));
        t->buf_len += 4;
    }
    return true;
}

/* One escape after '\' in a basic string (t->i at the character after '\'). */
static tkms_err escape(toml *t) {
    if (t->i >= t->n) {
        return toml_fail(t, "unterminated escape");
    }
    const char c = t->s[t->i++];
    static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
    const char *p = strchr(from, c);
    if (c != 0 && p != NULL) {
        t->buf[t->buf_len++] = to[p - from];
        return TKMS_OK;
    }
    const size_t digits = c == 'u' ? 4 : c == 'U' ? 8 : 0;
    if (digits == 0 || t->n - t->i < digits) {
        return toml_fail(t, "invalid escape in a basic string");
    }
    uint32_t cp = 0;
    for (size_t k = 0; k < digits; k++) {
        const char h = t->s[t->i++];
        const int v = (h >= '0' && h <= '9')   ? h - '0'
                      : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                      : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                               : -1;
        if (v < 0 || cp > 0x10FFFF) {
            return toml_fail(t, "invalid unicode escape");
        }
        cp = cp << 4 | (uint32_t)v;
    }
    return put(t, cp) ? TKMS_OK : toml_fail(t, "unicode escape is not a scalar value");
}

/* A character allowed inside a string body (newlines only in multi-line strings). */
static bool body_char_ok(const toml *t, char c, bool multiline) {
    if (c == '\t') {
        return true;
    }
    if (multiline && (c == '\n' || (c == '\r' && t->i + 1 < t->n && t->s[t->i + 1] == '\n'))) {
        return true;
    }
    return (unsigned char)c >= 0x20 && c != 0x7F;
}

/* Closing run of quotes in a multi-line string: 3..5 quotes, the extra ones are content. */
static bool ml_close(toml *t, char q) {
    size_t run = 0;
    while (t->i + run < t->n && t->s[t->i + run] == q && run < 6) {
        run++;
    }
    if (run < 3 || run > 5) {
        return false;
    }
    for (size_t k = 3; k < run; k++) {
        t->buf[t->buf_len++] = q;
    }
    t->i += run;
    return true;
}

static tkms_err string_body(toml *t, char q, bool multiline) {
    const bool basic = q == '"';
    if (multiline && at(t, "\r\n")) {
        t->i += 2; /* a newline right after the opening delimiter is trimmed */
        t->line++;
    } else if (multiline && at(t, "\n")) {
        t->i += 1;
        t->line++;
    }
    while (t->i < t->n) {
        const char c = t->s[t->i];
        if (c == q && (!multiline || ml_close(t, q))) {
            t->i += multiline ? 0 : 1;
            return TKMS_OK;
        }
        if (basic && c == '\\') {
            t->i++;
            size_t j = t->i;
            while (multiline && j < t->n && (t->s[j] == ' ' || t->s[j] == '\t')) {
                j++;
            }
            if (multiline && j < t->n && (t->s[j] == '\n' || t->s[j] == '\r')) {
                /* line-ending backslash: drop whitespace and newlines up to the next text */
                t->i = j;
                while (t->i < t->n && strchr(" \t\r\n", t->s[t->i]) != NULL) {
                    t->line += t->s[t->i] == '\n';
                    t->i++;
                }
                continue;
            }
            tkms_err rc = escape(t);
            if (rc != TKMS_OK) {
                return rc;
            }
            continue;
        }
        if (!body_char_ok(t, c, multiline)) {
            return toml_fail(t, "control character or newline inside a string");
        }
        t->line += c == '\n';
        t->buf[t->buf_len++] = c;
        t->i++;
    }
    return toml_fail(t, "unterminated string");
}

/* Parses a string value of any form into t->buf / t->buf_len. */
static tkms_err string_value(toml *t) {
    t->buf_len = 0;
    const bool ml = at(t, "\"\"\"") || at(t, "'''");
    if (t->i >= t->n || (t->s[t->i] != '"' && t->s[t->i] != '\'')) {
        return toml_fail(t, "only string values are supported");
    }
    const char q = t->s[t->i];
    t->i += ml ? 3 : 1;
    tkms_err rc = string_body(t, q, ml);
    t->buf[t->buf_len] = 0;
    return rc;
}

static bool bare_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static tkms_err key(toml *t, char out[TOML_KEY_BYTES_MAX + 1]) {
    size_t len = 0;
    if (t->i < t->n && (t->s[t->i] == '"' || t->s[t->i] == '\'')) {
        if (at(t, "\"\"\"") || at(t, "'''")) {
            return toml_fail(t, "multi-line strings cannot be keys");
        }
        tkms_err rc = string_value(t);
        if (rc != TKMS_OK) {
            return rc;
        }
        if (t->buf_len > TOML_KEY_BYTES_MAX || memchr(t->buf, 0, t->buf_len) != NULL) {
            return toml_fail(t, "key too long or contains NUL");
        }
        len = t->buf_len;
        memcpy(out, t->buf, len);
    } else {
        while (t->i < t->n && bare_key_char(t->s[t->i])) {
            if (len == TOML_KEY_BYTES_MAX) {
                return toml_fail(t, "key too long");
            }
            out[len++] = t->s[t->i++];
        }
        if (len == 0) {
            return toml_fail(t, "expected a key");
        }
    }
    out[len] = 0;
    skip_ws(t);
    if (t->i < t->n && t->s[t->i] == '.') {
        return toml_fail(t, "dotted keys are not supported");
    }
    return TKMS_OK;
}

typedef struct {
    char tables[TOML_TABLES_MAX][TOML_KEY_BYTES_MAX + 1];
    size_t table_count;
    char keys[TOML_KEYS_PER_TABLE_MAX][TOML_KEY_BYTES_MAX + 1];
    size_t key_count;
    bool in_data;
    char *policy;
    size_t policy_len;
} toml_doc;

static tkms_err table_header(toml *t, toml_doc *d) {
    t->i++; /* '[' */
    if (t->i < t->n && t->s[t->i] == '[') {
        return toml_fail(t, "arrays of tables are not supported");
    }
    skip_ws(t);
    char name[TOML_KEY_BYTES_MAX + 1];
    tkms_err rc = key(t, name);
    if (rc != TKMS_OK) {
        return rc;
    }
    if (t->i >= t->n || t->s[t->i] != ']') {
        return toml_fail(t, "expected ] after the table name");
    }
    t->i++;
    for (size_t k = 0; k < d->table_count; k++) {
        if (strcmp(d->tables[k], name) == 0) {
            return toml_fail(t, "table defined twice");
        }
    }
    if (d->table_count == TOML_TABLES_MAX) {
        return toml_fail(t, "too many tables");
    }
    memcpy(d->tables[d->table_count++], name, sizeof name);
    d->key_count = 0;
    d->in_data = strcmp(name, "data") == 0;
    return expect_eol(t);
}

static tkms_err key_value(toml *t, toml_doc *d) {
    char k[TOML_KEY_BYTES_MAX + 1];
    tkms_err rc = key(t, k);
    if (rc != TKMS_OK) {
        return rc;
    }
    if (t->i >= t->n || t->s[t->i] != '=') {
        return toml_fail(t, "expected = after the key");
    }
    t->i++;
    skip_ws(t);
    for (size_t j = 0; j < d->key_count; j++) {
        if (strcmp(d->keys[j], k) == 0) {
            return toml_fail(t, "key defined twice");
        }
    }
    if (d->key_count == TOML_KEYS_PER_TABLE_MAX) {
        return toml_fail(t, "too many keys in one table");
    }
    memcpy(d->keys[d->key_count++], k, sizeof k);
    rc = string_value(t);
    if (rc != TKMS_OK) {
        return rc;
    }
    if (d->in_data && strcmp(k, POLICY_KEY) == 0) {
        d->policy = malloc(t->buf_len + 1);
        if (d->policy == NULL) {
            return attest_fail(t->error, TKMS_ERR_OUT_OF_MEMORY, "init data: out of memory");
        }
        memcpy(d->policy, t->buf, t->buf_len + 1);
        d->policy_len = t->buf_len;
    }
    return expect_eol(t);
}

static tkms_err toml_document(toml *t, toml_doc *d) {
    for (size_t guard = 0; t->i < t->n; guard++) {
        TKMS_ASSERT(guard <= t->n); /* every round consumes at least one byte */
        skip_ws(t);
        if (t->i == t->n) {
            break;
        }
        const char c = t->s[t->i];
        tkms_err rc = (c == '#' || c == '\n' || c == '\r') ? expect_eol(t)
                      : c == '['                           ? table_header(t, d)
                                                           : key_value(t, d);
        if (rc != TKMS_OK) {
            return rc;
        }
    }
    return TKMS_OK;
}

tkms_err attest_init_data_toml_policy(char **policy_out, size_t *policy_len,
                                      tkms_attest_error *error, const char *text, size_t len) {
    *policy_out = NULL;
    *policy_len = 0;
    toml t = {.s = text, .n = len, .i = 0, .line = 1, .buf = malloc(len + 1), .error = error};
    toml_doc *d = calloc(1, sizeof *d);
    if (t.buf == NULL || d == NULL) {
        free(t.buf);
        free(d);
        return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "init data: out of memory");
    }
    tkms_err rc = memchr(text, 0, len) ? toml_fail(&t, "NUL byte") : toml_document(&t, d);
    if (rc == TKMS_OK && d->policy == NULL) {
        rc = attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_POLICY_MISSING,
                         "init data: [data].\"policy.rego\" is absent");
    }
    if (rc == TKMS_OK) {
        *policy_out = d->policy;
        *policy_len = d->policy_len;
    } else {
        free(d->policy);
    }
    free(d);
    free(t.buf);
    return rc;
}

/* ---- Rego ------------------------------------------------------------------------------- */

void attest_rego_strip_comments(char *rego, size_t len) {
    enum { CODE, STRING, RAW } state = CODE;
    for (size_t i = 0; i < len; i++) {
        const char c = rego[i];
        switch (state) {
        case CODE:
            if (c == '"') {
                state = STRING;
            } else if (c == '`') {
                state = RAW;
            } else if (c == '#') {
                while (i < len && rego[i] != '\n') {
                    rego[i++] = ' ';
                }
            }
            break;
        case STRING:
            if (c == '\\' && i + 1 < len && rego[i + 1] != '\n') {
                i++;
            } else if (c == '"' || c == '\n') {
                state = CODE; /* a newline ends a (malformed) string: fail safe to CODE */
            }
            break;
        case RAW:
            if (c == '`') {
                state = CODE;
            }
            break;
        }
    }
}

static bool ref_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '/' || c == ':' || c == '-';
}

static bool lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Finds image references; fills the first and counts distinct ones (1 or 2 = "several"). */
static void find_references(attest_init_data_image *out, const char *p, size_t len) {
    static const char marker[] = "@sha256:";
    const size_t m = sizeof marker - 1;
    for (size_t at_i = 0; at_i + m + 64 <= len; at_i++) {
        if (memcmp(p + at_i, marker, m) != 0) {
            continue;
        }
        const char *hex = p + at_i + m;
        size_t h = 0;
        while (h < 64 && lower_hex(hex[h])) {
            h++;
        }
        if (h != 64 || (at_i + m + 64 < len && (lower_hex(hex[64]) || ref_char(hex[64])))) {
            continue; /* not exactly 64 lowercase hex digits */
        }
        size_t start = at_i;
        while (start > 0 && ref_char(p[start - 1])) {
            start--;
        }
        const size_t ref_len = at_i - start;
        if (ref_len == 0 || ref_len > TKMS_ATTEST_IMAGE_REFERENCE_BYTES_MAX) {
            continue;
        }
        char digest[TKMS_ATTEST_IMAGE_DIGEST_BYTES + 1];
        memcpy(digest, "sha256:", 7);
        memcpy(digest + 7, hex, 64);
        digest[71] = 0;
        if (out->distinct_count == 0) {
            memcpy(out->reference, p + start, ref_len);
            out->reference[ref_len] = 0;
            memcpy(out->digest, digest, sizeof digest);
            out->distinct_count = 1;
        } else if (strcmp(out->digest, digest) != 0 || strlen(out->reference) != ref_len ||
                   memcmp(out->reference, p + start, ref_len) != 0) {
            out->distinct_count = 2;
            return;
        }
    }
}

/* ---- Decompression ------------------------------------------------------------------------ */

#ifdef TKMS_ATTEST_HAVE_ZLIB
static tkms_err gunzip(char **out, size_t *out_len, tkms_attest_error *error, const uint8_t *in,
                       size_t in_len) {
    const size_t cap = TKMS_ATTEST_INIT_DATA_DECOMPRESSED_BYTES_MAX;
    char *buf = malloc(cap + 1);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (buf == NULL || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        free(buf);
        return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "init data: out of memory");
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)in_len;
    z.next_out = (Bytef *)buf;
    z.avail_out = (uInt)(cap + 1);
    const int zr = inflate(&z, Z_FINISH);
    const size_t produced = cap + 1 - z.avail_out;
    const bool trailing = z.avail_in != 0;
    inflateEnd(&z);
    if (produced > cap || (zr == Z_BUF_ERROR && z.avail_out == 0)) {
        free(buf);
        return attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_TOO_LARGE,
                           "init data: decompresses to more than %zu bytes", cap);
    }
    if (zr != Z_STREAM_END || trailing) {
        free(buf);
        return attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_DECOMPRESS,
                           "init data: not one complete gzip member%s",
                           trailing ? " (trailing bytes)" : "");
    }
    buf[produced] = 0;
    *out = buf;
    *out_len = produced;
    return TKMS_OK;
}
#else
static tkms_err gunzip(char **out, size_t *out_len, tkms_attest_error *error, const uint8_t *in,
                       size_t in_len) {
    (void)out;
    (void)out_len;
    (void)in;
    (void)in_len;
    return attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_GZIP_UNSUPPORTED,
                       "init data: gzip-compressed, but this build has no zlib");
}
#endif

/* The TOML text of the init data: as is, or decompressed (malloc'd into *owned). */
static tkms_err init_data_text(const char **text, size_t *len, char **owned,
                               tkms_attest_error *error, const uint8_t *in, size_t in_len) {
    *owned = NULL;
    size_t b = 0, e = in_len;
    while (b < e && strchr(" \t\r\n", in[b]) != NULL && in[b] != 0) {
        b++;
    }
    while (e > b && strchr(" \t\r\n", in[e - 1]) != NULL && in[e - 1] != 0) {
        e--;
    }
    if (e - b >= 2 && in[b] == 0x1f && in[b + 1] == 0x8b) {
        tkms_err rc = gunzip(owned, len, error, in + b, e - b);
        *text = *owned;
        return rc;
    }
    if (e - b >= 4 && memcmp(in + b, "H4sI", 4) == 0) {
        const size_t cap = attest_b64_decoded_max(e - b);
        uint8_t *gz = malloc(cap);
        size_t gz_len = 0;
        if (gz == NULL) {
            return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "init data: out of memory");
        }
        if (!attest_b64_decode(gz, cap, &gz_len, (const char *)in + b, e - b)) {
            free(gz);
            return attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_DECOMPRESS,
                               "init data: starts like base64 gzip (H4sI) but is not base64");
        }
        tkms_err rc = gunzip(owned, len, error, gz, gz_len);
        free(gz);
        *text = *owned;
        return rc;
    }
    *text = (const char *)in;
    *len = in_len;
    return TKMS_OK;
}

tkms_err attest_init_data_image_parse(attest_init_data_image *out, tkms_attest_error *error,
                                      const uint8_t *init_data, size_t init_data_len,
                                      bool first_wins) {
    memset(out, 0, sizeof *out);
    if (init_data_len > TKMS_ATTEST_INIT_DATA_BYTES_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_TOO_LARGE,
                           "init data: %zu bytes, the limit is %d", init_data_len,
                           TKMS_ATTEST_INIT_DATA_BYTES_MAX);
    }
    const char *text = NULL;
    size_t text_len = 0;
    char *owned = NULL, *policy = NULL;
    size_t policy_len = 0;
    tkms_err rc = init_data_text(&text, &text_len, &owned, error, init_data, init_data_len);
    if (rc == TKMS_OK) {
        rc = attest_init_data_toml_policy(&policy, &policy_len, error, text, text_len);
    }
    free(owned);
    if (rc != TKMS_OK) {
        return rc;
    }
    attest_rego_strip_comments(policy, policy_len);
    find_references(out, policy, policy_len);
    free(policy);
    if (out->distinct_count == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_IMAGE_MISSING,
                           "init data: policy.rego names no <registry>@sha256:<64 hex> image "
                           "outside comments");
    }
    if (out->distinct_count > 1 && !first_wins) {
        char q[ATTEST_QUOTE_BYTES];
        attest_quote_str(q, out->reference);
        rc = attest_fail(error, TKMS_ERR_ATTEST_INIT_DATA_IMAGE_AMBIGUOUS,
                         "init data: policy.rego names more than one image (first %s@%s); "
                         "expected exactly one",
                         q, out->digest);
        memset(out, 0, sizeof *out);
        return rc;
    }
    return TKMS_OK;
}
