/*
 * envelope.c — the signed peer envelope of protocol.md §8: its canonical binary form
 * (what the Ed25519 signature covers, bound to the deployment by a domain prefix), the
 * signature itself, and the JSON form that travels in `POST /v1/peer` bodies.
 *
 * It does not decide whether a message is acceptable (sender in the epoch's O, `to`,
 * epoch current or retained): that is the state machine's, which calls
 * tkms_proto_envelope_verify with the sender's registered key. The JSON decoder is the
 * adapter boundary: it parses with jansson (which allocates, freed before return), then
 * rebuilds the binary form and runs the binary decoder on it, so both forms accept
 * exactly the same envelopes. Everything here is public data except the Ed25519 seed.
 * Layouts: docs/wire-formats.md §4–5.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/tkms_assert.h"
#include "common/tkms_bytes.h"
#include "prim/prim.h"
#include "proto/wire.h"

_Static_assert(TKMS_PROTO_ENVELOPE_HEADER_BYTES == 1 + 8 + 1 + 20 + 1 + 20 + 4, "layout");
_Static_assert(TKMS_PROTO_ENVELOPE_BYTES_MAX == 11488, "documented size");
_Static_assert(TKMS_PROTO_ENVELOPE_EPOCH_MAX <= INT64_MAX, "a jansson integer");
/* the largest JSON form: ~300 bytes of keys and fixed fields plus the record in hex */
_Static_assert(320 + 2 * TKMS_PROTO_RECORD_BYTES_MAX <= TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX,
               "the JSON cap admits every envelope");

static const char PEER_TAG[] = "tkms-peer-v1"; /* 12 bytes, no NUL */
#define PEER_PREFIX_BYTES (sizeof PEER_TAG - 1 + 8 + TKMS_PROTO_ADDRESS_BYTES)
#define TO_ALL 0
#define TO_ONE 1





static bool is_zero(const uint8_t *p, size_t n) {
    TKMS_ASSERT(p != NULL);
    TKMS_ASSERT(n <= TKMS_PROTO_ADDRESS_BYTES);
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= p[i];
    }
    return acc == 0;
}

/* What every envelope in memory must satisfy before it is encoded, signed or verified. */
static bool envelope_is_well_formed(const tkms_proto_envelope *env) {
    TKMS_ASSERT(env != NULL);
    if (env->version != TKMS_PROTO_ENVELOPE_VERSION ||
        env->epoch > (uint64_t)TKMS_PROTO_ENVELOPE_EPOCH_MAX) {
        return false;
    }
    if (env->to_all && !is_zero(env->to, TKMS_PROTO_ADDRESS_BYTES)) {
        return false;
    }
    if (env->type == TKMS_PROTO_ENVELOPE_FETCH) {
        return true;
    }
    return env->type == TKMS_PROTO_ENVELOPE_RECORD &&
           env->body.record.header.epoch == env->epoch;
}

static size_t body_bytes(const tkms_proto_envelope *env) {
    TKMS_ASSERT(envelope_is_well_formed(env));
    if (env->type == TKMS_PROTO_ENVELOPE_FETCH) {
        return TKMS_PROTO_HASH_BYTES;
    }
    size_t len = tkms_proto_record_encoded_bytes(&env->body.record);
    TKMS_ASSERT(len <= TKMS_PROTO_RECORD_BYTES_MAX);
    return len;
}

/* The signed fields (everything but the signature) into out, which holds at least
   TKMS_PROTO_ENVELOPE_BYTES_MAX - 64 bytes; returns their length. */
static size_t fields_write(uint8_t *out, const tkms_proto_envelope *env) {
    size_t body_len = body_bytes(env);
    out[0] = env->version;
    tkms_store_be64(out + 1, env->epoch);
    out[9] = env->type;
    memcpy(out + 10, env->from, TKMS_PROTO_ADDRESS_BYTES);
    out[30] = env->to_all ? TO_ALL : TO_ONE;
    memcpy(out + 31, env->to, TKMS_PROTO_ADDRESS_BYTES);
    tkms_store_be32(out + 51, (uint32_t)body_len);
    uint8_t *body = out + TKMS_PROTO_ENVELOPE_HEADER_BYTES;
    if (env->type == TKMS_PROTO_ENVELOPE_FETCH) {
        memcpy(body, env->body.record_hash, TKMS_PROTO_HASH_BYTES);
    } else {
        size_t written = 0;
        tkms_err err = tkms_proto_record_encode(body, TKMS_PROTO_RECORD_BYTES_MAX, &written,
                                                &env->body.record);
        TKMS_ASSERT(err == TKMS_OK);
        TKMS_ASSERT(written == body_len);
    }
    return TKMS_PROTO_ENVELOPE_HEADER_BYTES + body_len;
}

/* ---- binary form ---------------------------------------------------------------------- */

TKMS_EXPORT size_t tkms_proto_envelope_encoded_bytes(const tkms_proto_envelope *env) {
    TKMS_ASSERT(env != NULL);
    size_t len = TKMS_PROTO_ENVELOPE_HEADER_BYTES + body_bytes(env) + TKMS_PROTO_SIGNATURE_BYTES;
    TKMS_ASSERT(len <= TKMS_PROTO_ENVELOPE_BYTES_MAX);
    return len;
}

TKMS_EXPORT tkms_err tkms_proto_envelope_encode(uint8_t *out, size_t out_max, size_t *out_len,
                                                const tkms_proto_envelope *env) {
    TKMS_ASSERT(out != NULL && out_len != NULL);
    size_t need = tkms_proto_envelope_encoded_bytes(env);
    *out_len = 0;
    if (out_max < need) {
        return TKMS_ERR_PROTO_BUFFER_SMALL;
    }
    size_t off = fields_write(out, env);
    memcpy(out + off, env->signature, TKMS_PROTO_SIGNATURE_BYTES);
    off += TKMS_PROTO_SIGNATURE_BYTES;
    TKMS_ASSERT(off == need);
    *out_len = off;
    return TKMS_OK;
}

/* Fixed fields; the layout after byte 0 is that of version 1. Returns the body length. */
static tkms_err decode_fixed(tkms_proto_envelope *env, uint32_t *body_len, const uint8_t *in,
                             size_t len) {
    TKMS_ASSERT(env != NULL && body_len != NULL);
    TKMS_ASSERT(in != NULL || len == 0);
    if (len >= 1 && in[0] != TKMS_PROTO_ENVELOPE_VERSION) {
        return TKMS_ERR_PROTO_ENVELOPE_VERSION;
    }
    if (len < TKMS_PROTO_ENVELOPE_HEADER_BYTES) {
        return TKMS_ERR_PROTO_ENVELOPE_TRUNCATED;
    }
    env->version = in[0];
    env->epoch = tkms_load_be64(in + 1);
    if (env->epoch > (uint64_t)TKMS_PROTO_ENVELOPE_EPOCH_MAX) {
        return TKMS_ERR_PROTO_ENVELOPE_EPOCH_RANGE;
    }
    env->type = in[9];
    if (env->type != TKMS_PROTO_ENVELOPE_RECORD && env->type != TKMS_PROTO_ENVELOPE_FETCH) {
        return TKMS_ERR_PROTO_ENVELOPE_TYPE;
    }
    memcpy(env->from, in + 10, TKMS_PROTO_ADDRESS_BYTES);
    if (in[30] != TO_ALL && in[30] != TO_ONE) {
        return TKMS_ERR_PROTO_ENVELOPE_TO;
    }
    env->to_all = in[30] == TO_ALL;
    memcpy(env->to, in + 31, TKMS_PROTO_ADDRESS_BYTES);
    if (env->to_all && !is_zero(env->to, TKMS_PROTO_ADDRESS_BYTES)) {
        return TKMS_ERR_PROTO_ENVELOPE_TO; /* "*" has one encoding only */
    }
    *body_len = tkms_load_be32(in + 51);
    return TKMS_OK;
}

static tkms_err decode_body(tkms_proto_envelope *env, const uint8_t *body, size_t body_len) {
    TKMS_ASSERT(env->type == TKMS_PROTO_ENVELOPE_RECORD ||
                env->type == TKMS_PROTO_ENVELOPE_FETCH);
    TKMS_ASSERT(body_len <= TKMS_PROTO_RECORD_BYTES_MAX);
    if (env->type == TKMS_PROTO_ENVELOPE_FETCH) {
        memcpy(env->body.record_hash, body, TKMS_PROTO_HASH_BYTES);
        return TKMS_OK;
    }
    tkms_err err = tkms_proto_record_decode(&env->body.record, body, body_len);
    if (err != TKMS_OK) {
        return err;
    }
    if (env->body.record.header.epoch != env->epoch) {
        return TKMS_ERR_PROTO_ENVELOPE_EPOCH_MISMATCH;
    }
    return TKMS_OK;
}

static bool body_length_ok(uint8_t type, uint32_t body_len) {
    TKMS_ASSERT(type == TKMS_PROTO_ENVELOPE_RECORD || type == TKMS_PROTO_ENVELOPE_FETCH);
    if (type == TKMS_PROTO_ENVELOPE_FETCH) {
        return body_len == TKMS_PROTO_HASH_BYTES;
    }
    return body_len >= TKMS_PROTO_RECORD_BYTES_MIN && body_len <= TKMS_PROTO_RECORD_BYTES_MAX;
}

TKMS_EXPORT tkms_err tkms_proto_envelope_decode(tkms_proto_envelope *out, const uint8_t *in,
                                                size_t len) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(in != NULL || len == 0);
    memset(out, 0, sizeof *out);
    uint32_t body_len = 0;
    tkms_err err = decode_fixed(out, &body_len, in, len);
    if (err == TKMS_OK && !body_length_ok(out->type, body_len)) {
        err = TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH;
    }
    /* body_len <= TKMS_PROTO_RECORD_BYTES_MAX from here on: the sum cannot overflow */
    size_t total = TKMS_PROTO_ENVELOPE_HEADER_BYTES + (size_t)body_len + TKMS_PROTO_SIGNATURE_BYTES;
    if (err == TKMS_OK && len < total) {
        err = TKMS_ERR_PROTO_ENVELOPE_TRUNCATED;
    }
    if (err == TKMS_OK && len > total) {
        err = TKMS_ERR_PROTO_ENVELOPE_TRAILING;
    }
    if (err == TKMS_OK) {
        err = decode_body(out, in + TKMS_PROTO_ENVELOPE_HEADER_BYTES, body_len);
    }
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    memcpy(out->signature, in + total - TKMS_PROTO_SIGNATURE_BYTES, TKMS_PROTO_SIGNATURE_BYTES);
    TKMS_ASSERT(tkms_proto_envelope_encoded_bytes(out) == len);
    return TKMS_OK;
}

/* ---- signature ------------------------------------------------------------------------ */

/* "tkms-peer-v1" ‖ be64 chain id ‖ EpochLog ‖ signed fields; out holds
   PEER_PREFIX_BYTES + TKMS_PROTO_ENVELOPE_BYTES_MAX. */
static size_t signed_message(uint8_t *out, const tkms_proto_domain *domain,
                             const tkms_proto_envelope *env) {
    TKMS_ASSERT(domain != NULL && env != NULL);
    memcpy(out, PEER_TAG, sizeof PEER_TAG - 1);
    tkms_store_be64(out + sizeof PEER_TAG - 1, domain->chain_id);
    memcpy(out + sizeof PEER_TAG - 1 + 8, domain->epoch_log, TKMS_PROTO_ADDRESS_BYTES);
    size_t len = PEER_PREFIX_BYTES + fields_write(out + PEER_PREFIX_BYTES, env);
    TKMS_ASSERT(len <= PEER_PREFIX_BYTES + TKMS_PROTO_ENVELOPE_BYTES_MAX);
    return len;
}

TKMS_EXPORT void tkms_proto_envelope_sign(tkms_proto_envelope *env,
                                          const tkms_proto_domain *domain,
                                          const uint8_t seed[TKMS_PROTO_ED25519_SEED_BYTES]) {
    TKMS_ASSERT(env != NULL && seed != NULL);
    uint8_t msg[PEER_PREFIX_BYTES + TKMS_PROTO_ENVELOPE_BYTES_MAX];
    size_t len = signed_message(msg, domain, env);
    tkms_prim_ed25519_sign(env->signature, seed, msg, len);
    TKMS_ASSERT(envelope_is_well_formed(env));
}

TKMS_EXPORT tkms_err tkms_proto_envelope_verify(
    const tkms_proto_envelope *env, const tkms_proto_domain *domain,
    const uint8_t pub[TKMS_PROTO_ED25519_PUBLIC_BYTES]) {
    TKMS_ASSERT(env != NULL && pub != NULL);
    uint8_t msg[PEER_PREFIX_BYTES + TKMS_PROTO_ENVELOPE_BYTES_MAX];
    size_t len = signed_message(msg, domain, env);
    TKMS_ASSERT(len > PEER_PREFIX_BYTES);
    bool ok = tkms_prim_ed25519_verify(env->signature, pub, msg, len);
    return ok ? TKMS_OK : TKMS_ERR_PROTO_ENVELOPE_SIGNATURE;
}

/* ---- JSON form: encoder (no allocation, fixed key order, no whitespace) ---------------- */

typedef struct {
    char *out;
    size_t max; /* capacity including the terminating NUL */
    size_t len;
    bool overflow;
} json_writer;

static void w_bytes(json_writer *w, const char *s, size_t n) {
    TKMS_ASSERT(w->len < w->max);
    if (w->overflow || n >= w->max - w->len) {
        w->overflow = true;
        return;
    }
    memcpy(w->out + w->len, s, n);
    w->len += n;
    TKMS_ASSERT(w->len < w->max);
}

static void w_str(json_writer *w, const char *s) {
    TKMS_ASSERT(w != NULL);
    TKMS_ASSERT(s != NULL);
    w_bytes(w, s, strlen(s));
}

static void w_hex(json_writer *w, const uint8_t *in, size_t n) {
    static const char digits[] = "0123456789abcdef";
    TKMS_ASSERT(w != NULL);
    TKMS_ASSERT(in != NULL && n <= TKMS_PROTO_RECORD_BYTES_MAX);
    w_str(w, "0x");
    for (size_t i = 0; i < n && !w->overflow; i++) {
        char pair[2] = {digits[in[i] >> 4], digits[in[i] & 15]};
        w_bytes(w, pair, 2);
    }
}

static void w_u64(json_writer *w, uint64_t v) {
    TKMS_ASSERT(w != NULL);
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%" PRIu64, v);
    TKMS_ASSERT(n > 0 && (size_t)n < sizeof buf);
    w_bytes(w, buf, (size_t)n);
}

TKMS_EXPORT tkms_err tkms_proto_envelope_json_encode(char *out, size_t out_max, size_t *out_len,
                                                     const tkms_proto_envelope *env) {
    TKMS_ASSERT(out != NULL && out_len != NULL && env != NULL);
    TKMS_ASSERT(envelope_is_well_formed(env));
    *out_len = 0;
    if (out_max == 0) {
        return TKMS_ERR_PROTO_BUFFER_SMALL;
    }
    uint8_t record[TKMS_PROTO_RECORD_BYTES_MAX];
    const uint8_t *body = env->body.record_hash;
    size_t body_len = TKMS_PROTO_HASH_BYTES;
    if (env->type == TKMS_PROTO_ENVELOPE_RECORD) {
        tkms_err err = tkms_proto_record_encode(record, sizeof record, &body_len,
                                                &env->body.record);
        TKMS_ASSERT(err == TKMS_OK);
        body = record;
    }
    json_writer w = {out, out_max, 0, false};
    w_str(&w, "{\"v\":1,\"epoch\":");
    w_u64(&w, env->epoch);
    bool record_type = env->type == TKMS_PROTO_ENVELOPE_RECORD;
    w_str(&w, record_type ? ",\"type\":\"record\"" : ",\"type\":\"fetch\"");
    w_str(&w, ",\"from\":\"");
    w_hex(&w, env->from, TKMS_PROTO_ADDRESS_BYTES);
    w_str(&w, "\",\"to\":\"");
    if (env->to_all) {
        w_str(&w, "*");
    } else {
        w_hex(&w, env->to, TKMS_PROTO_ADDRESS_BYTES);
    }
    w_str(&w, "\",\"body\":\"");
    w_hex(&w, body, body_len);
    w_str(&w, "\",\"sig\":\"");
    w_hex(&w, env->signature, TKMS_PROTO_SIGNATURE_BYTES);
    w_str(&w, "\"}");
    if (w.overflow) {
        out[0] = 0;
        return TKMS_ERR_PROTO_BUFFER_SMALL;
    }
    out[w.len] = 0;
    TKMS_ASSERT(w.len <= TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX); /* we accept what we emit */
    *out_len = w.len;
    return TKMS_OK;
}

/* ---- JSON form: decoder (jansson, strict) ---------------------------------------------- */

static const char *const JSON_KEYS[7] = {"v", "epoch", "type", "from", "to", "body", "sig"};

typedef struct {
    uint64_t epoch;
    uint8_t type;
    uint8_t from[TKMS_PROTO_ADDRESS_BYTES];
    bool to_all;
    uint8_t to[TKMS_PROTO_ADDRESS_BYTES];
    size_t body_len;
    uint8_t body[TKMS_PROTO_RECORD_BYTES_MAX];
    uint8_t sig[TKMS_PROTO_SIGNATURE_BYTES];
} json_fields;

static int hex_digit(char c) {
    int d = -1; /* uppercase is refused: one spelling per value */
    if (c >= '0' && c <= '9') {
        d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
    }
    TKMS_ASSERT(d >= -1 && d <= 15);
    return d;
}

/* "0x" followed by an even number of lowercase hex digits. */
static bool hex_well_formed(const char *s, size_t n) {
    TKMS_ASSERT(s != NULL);
    TKMS_ASSERT(n <= TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX); /* bounds the loop below */
    if (n < 2 || s[0] != '0' || s[1] != 'x' || (n - 2) % 2 != 0) {
        return false;
    }
    for (size_t i = 2; i < n; i++) {
        if (hex_digit(s[i]) < 0) {
            return false;
        }
    }
    return true;
}

static void hex_to_bytes(uint8_t *out, const char *s, size_t n) {
    TKMS_ASSERT(hex_well_formed(s, n));
    TKMS_ASSERT(n >= 2);
    for (size_t i = 0; i < (n - 2) / 2; i++) {
        out[i] = (uint8_t)(hex_digit(s[2 + 2 * i]) << 4 | hex_digit(s[3 + 2 * i]));
    }
}

static tkms_err json_get_string(const char **s, size_t *n, const json_t *root, const char *key) {
    const json_t *v = json_object_get(root, key);
    TKMS_ASSERT(v != NULL); /* the key set was checked first */
    if (!json_is_string(v)) {
        return TKMS_ERR_PROTO_JSON_TYPE;
    }
    *s = json_string_value(v);
    *n = json_string_length(v);
    TKMS_ASSERT(*s != NULL);
    return TKMS_OK;
}

/* A fixed-size hex field; `bad` is the error for anything but 0x + 2·bytes lowercase hex. */
static tkms_err json_hex_fixed(uint8_t *out, size_t bytes, const json_t *root, const char *key,
                               tkms_err bad) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(bytes >= 1 && bytes <= TKMS_PROTO_SIGNATURE_BYTES);
    const char *s = NULL;
    size_t n = 0;
    tkms_err err = json_get_string(&s, &n, root, key);
    if (err != TKMS_OK) {
        return err;
    }
    if (n != 2 + 2 * bytes || !hex_well_formed(s, n)) {
        return bad;
    }
    hex_to_bytes(out, s, n);
    return TKMS_OK;
}

static tkms_err json_keys_check(const json_t *root) {
    TKMS_ASSERT(root != NULL);
    TKMS_ASSERT(json_is_object(root));
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)root, key, value) {
        bool known = false;
        for (size_t i = 0; i < 7; i++) {
            known = known || strcmp(key, JSON_KEYS[i]) == 0;
        }
        if (!known) {
            return TKMS_ERR_PROTO_JSON_UNKNOWN_KEY;
        }
    }
    /* only known keys and no duplicates: fewer than seven means one is missing */
    return json_object_size(root) == 7 ? TKMS_OK : TKMS_ERR_PROTO_JSON_MISSING_KEY;
}

/* "v", "epoch" and "type". */
static tkms_err json_scalars(json_fields *f, const json_t *root) {
    TKMS_ASSERT(f != NULL);
    const json_t *v = json_object_get(root, "v"), *epoch = json_object_get(root, "epoch");
    TKMS_ASSERT(v != NULL && epoch != NULL);
    if (!json_is_integer(v)) {
        return TKMS_ERR_PROTO_JSON_TYPE;
    }
    if (json_integer_value(v) != TKMS_PROTO_ENVELOPE_VERSION) {
        return TKMS_ERR_PROTO_ENVELOPE_VERSION;
    }
    if (!json_is_integer(epoch)) {
        return TKMS_ERR_PROTO_JSON_TYPE;
    }
    if (json_integer_value(epoch) < 0) { /* the upper bound is jansson's (INT64_MAX) */
        return TKMS_ERR_PROTO_ENVELOPE_EPOCH_RANGE;
    }
    f->epoch = (uint64_t)json_integer_value(epoch);
    const char *s = NULL;
    size_t n = 0;
    tkms_err err = json_get_string(&s, &n, root, "type");
    if (err != TKMS_OK) {
        return err;
    }
    if (n == 6 && memcmp(s, "record", 6) == 0) {
        f->type = TKMS_PROTO_ENVELOPE_RECORD;
    } else if (n == 5 && memcmp(s, "fetch", 5) == 0) {
        f->type = TKMS_PROTO_ENVELOPE_FETCH;
    } else {
        return TKMS_ERR_PROTO_ENVELOPE_TYPE;
    }
    return TKMS_OK;
}

/* "from", "to", "body" and "sig". The body's length is checked against the type by the
   binary decoder; here only against the largest body, before it is copied. */
static tkms_err json_bytes(json_fields *f, const json_t *root) {
    TKMS_ASSERT(f != NULL && root != NULL);
    TKMS_ASSERT(json_object_size(root) == 7); /* json_keys_check passed */
    tkms_err err = json_hex_fixed(f->from, TKMS_PROTO_ADDRESS_BYTES, root, "from",
                                  TKMS_ERR_PROTO_JSON_ADDRESS);
    const char *s = NULL;
    size_t n = 0;
    if (err == TKMS_OK) {
        err = json_get_string(&s, &n, root, "to");
    }
    if (err == TKMS_OK) {
        f->to_all = n == 1 && s[0] == '*';
        if (!f->to_all) {
            err = json_hex_fixed(f->to, TKMS_PROTO_ADDRESS_BYTES, root, "to",
                                 TKMS_ERR_PROTO_JSON_ADDRESS);
        }
    }
    if (err == TKMS_OK) {
        err = json_get_string(&s, &n, root, "body");
    }
    if (err == TKMS_OK && !hex_well_formed(s, n)) {
        err = TKMS_ERR_PROTO_JSON_HEX;
    }
    if (err == TKMS_OK && (n - 2) / 2 > TKMS_PROTO_RECORD_BYTES_MAX) {
        err = TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH;
    }
    if (err == TKMS_OK) {
        f->body_len = (n - 2) / 2;
        hex_to_bytes(f->body, s, n);
        err = json_hex_fixed(f->sig, TKMS_PROTO_SIGNATURE_BYTES, root, "sig",
                             TKMS_ERR_PROTO_JSON_HEX);
    }
    TKMS_ASSERT(f->body_len <= TKMS_PROTO_RECORD_BYTES_MAX);
    return err;
}

/* The binary form of the parsed fields, for the binary decoder to judge. */
static size_t json_fields_to_binary(uint8_t *out, const json_fields *f) {
    TKMS_ASSERT(f->body_len <= TKMS_PROTO_RECORD_BYTES_MAX);
    TKMS_ASSERT(f->epoch <= (uint64_t)TKMS_PROTO_ENVELOPE_EPOCH_MAX);
    out[0] = TKMS_PROTO_ENVELOPE_VERSION;
    tkms_store_be64(out + 1, f->epoch);
    out[9] = f->type;
    memcpy(out + 10, f->from, TKMS_PROTO_ADDRESS_BYTES);
    out[30] = f->to_all ? TO_ALL : TO_ONE;
    memset(out + 31, 0, TKMS_PROTO_ADDRESS_BYTES);
    if (!f->to_all) {
        memcpy(out + 31, f->to, TKMS_PROTO_ADDRESS_BYTES);
    }
    tkms_store_be32(out + 51, (uint32_t)f->body_len);
    memcpy(out + TKMS_PROTO_ENVELOPE_HEADER_BYTES, f->body, f->body_len);
    size_t off = TKMS_PROTO_ENVELOPE_HEADER_BYTES + f->body_len;
    memcpy(out + off, f->sig, TKMS_PROTO_SIGNATURE_BYTES);
    return off + TKMS_PROTO_SIGNATURE_BYTES;
}

TKMS_EXPORT tkms_err tkms_proto_envelope_json_decode(tkms_proto_envelope *out, const char *in,
                                                     size_t len) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(in != NULL || len == 0);
    memset(out, 0, sizeof *out);
    if (len > TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX) {
        return TKMS_ERR_PROTO_JSON_TOO_LARGE;
    }
    json_error_t jerr;
    json_t *root = json_loadb(in != NULL ? in : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        return json_error_code(&jerr) == json_error_duplicate_key
                   ? TKMS_ERR_PROTO_JSON_DUPLICATE_KEY
                   : TKMS_ERR_PROTO_JSON_SYNTAX;
    }
    json_fields f;
    memset(&f, 0, sizeof f);
    tkms_err err = json_is_object(root) ? TKMS_OK : TKMS_ERR_PROTO_JSON_TYPE;
    if (err == TKMS_OK) {
        err = json_keys_check(root);
    }
    if (err == TKMS_OK) {
        err = json_scalars(&f, root);
    }
    if (err == TKMS_OK) {
        err = json_bytes(&f, root);
    }
    json_decref(root);
    if (err != TKMS_OK) {
        return err;
    }
    uint8_t bin[TKMS_PROTO_ENVELOPE_BYTES_MAX];
    size_t bin_len = json_fields_to_binary(bin, &f);
    return tkms_proto_envelope_decode(out, bin, bin_len);
}
