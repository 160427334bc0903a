/*
 * attest_jwt.c — compact JWS (RFC 7515) parsing and RS256 verification, for Confidential
 * Space tokens. Only RS256 is ever accepted: "none", HS*, ES*, PS* and anything else fail
 * before a key is looked up, so no key can be used with the wrong algorithm. The header
 * must name a kid; a `crit` header is refused (we implement no extensions). The payload is
 * decoded only after the signature verified (attest_jwt_parse_payload), so unauthenticated
 * bytes never reach the claims parser. Header and payload are JSON objects with duplicate
 * keys rejected and nesting bounded.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

#define JWT_PART_BYTES_MAX (TKMS_ATTEST_JWT_BYTES_MAX)

/* Decodes one base64url part into a fresh buffer (NUL-terminated for JSON parsing). */
static uint8_t *decode_part(size_t *out_len, const char *part, size_t part_len) {
    const size_t cap = attest_b64_decoded_max(part_len);
    uint8_t *buf = malloc(cap + 1);
    if (buf == NULL) {
        return NULL;
    }
    if (!attest_b64url_decode(buf, cap, out_len, part, part_len)) {
        free(buf);
        return NULL;
    }
    buf[*out_len] = 0;
    return buf;
}

static tkms_err parse_header(attest_jwt *jwt, tkms_attest_error *error) {
    char q[ATTEST_QUOTE_BYTES];
    const json_t *alg = json_object_get(jwt->header, "alg");
    if (!json_is_string(alg)) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED,
                           "JWS header alg: expected \"RS256\", found (absent or not a string)");
    }
    if (strcmp(json_string_value(alg), "RS256") != 0 || json_string_length(alg) != 5) {
        attest_quote(q, json_string_value(alg), json_string_length(alg));
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED,
                           "JWS header alg: expected \"RS256\", found %s", q);
    }
    memcpy(jwt->alg, "RS256", 6);
    if (json_object_get(jwt->header, "crit") != NULL) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_HEADER_INVALID,
                           "JWS header: crit is not supported");
    }
    const json_t *typ = json_object_get(jwt->header, "typ");
    if (typ != NULL && !(json_is_string(typ) && strcmp(json_string_value(typ), "JWT") == 0)) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_HEADER_INVALID,
                           "JWS header typ: expected \"JWT\" or absent");
    }
    const json_t *kid = json_object_get(jwt->header, "kid");
    if (kid == NULL) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_KID_MISSING, "JWS header: kid is absent");
    }
    if (!attest_json_copy_string(jwt->kid, sizeof jwt->kid, jwt->header, "kid") ||
        jwt->kid[0] == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_KID_MISSING,
                           "JWS header: kid is not a string of 1..%d bytes",
                           TKMS_ATTEST_KID_BYTES_MAX);
    }
    return TKMS_OK;
}

/* Splits "h.p.s" (exactly two dots, each part non-empty); returns the part lengths. */
static bool split_compact(const char *t, size_t n, size_t *h_len, size_t *p_len, size_t *s_len) {
    const char *d1 = memchr(t, '.', n);
    if (d1 == NULL) {
        return false;
    }
    const char *d2 = memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - t));
    if (d2 == NULL || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - t)) != NULL) {
        return false;
    }
    *h_len = (size_t)(d1 - t);
    *p_len = (size_t)(d2 - d1 - 1);
    *s_len = n - (size_t)(d2 + 1 - t);
    return *h_len > 0 && *p_len > 0 && *s_len > 0;
}

tkms_err attest_jwt_parse(attest_jwt *out, tkms_attest_error *error, const uint8_t *token,
                          size_t token_len) {
    memset(out, 0, sizeof *out);
    while (token_len > 0 && (token[token_len - 1] == '\n' || token[token_len - 1] == '\r' ||
                             token[token_len - 1] == ' ' || token[token_len - 1] == '\t')) {
        token_len--;
    }
    if (token_len > TKMS_ATTEST_JWT_BYTES_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_TOO_LARGE,
                           "token: %zu bytes, the limit is %d", token_len,
                           TKMS_ATTEST_JWT_BYTES_MAX);
    }
    const char *t = (const char *)token;
    size_t h_len = 0, p_len = 0, s_len = 0;
    if (token_len == 0 || !split_compact(t, token_len, &h_len, &p_len, &s_len)) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_MALFORMED,
                           "token: expected compact JWS header.payload.signature");
    }
    size_t header_len = 0;
    uint8_t *header = decode_part(&header_len, t, h_len);
    if (header == NULL) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_MALFORMED,
                           "token: header is not canonical unpadded base64url");
    }
    out->header = attest_json_load(error, TKMS_ERR_ATTEST_JWT_HEADER_INVALID, "JWS header", header,
                                   header_len);
    free(header);
    if (out->header == NULL) {
        return error ? error->code : TKMS_ERR_ATTEST_JWT_HEADER_INVALID;
    }
    tkms_err rc = parse_header(out, error);
    if (rc != TKMS_OK) {
        attest_jwt_clear(out);
        return rc;
    }
    if (!attest_b64url_decode(out->signature, sizeof out->signature, &out->signature_len,
                              t + h_len + 1 + p_len + 1, s_len)) {
        attest_jwt_clear(out);
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_MALFORMED,
                           "token: signature is not canonical base64url of at most %d bytes",
                           ATTEST_JWT_SIGNATURE_BYTES_MAX);
    }
    out->payload_bytes = decode_part(&out->payload_bytes_len, t + h_len + 1, p_len);
    if (out->payload_bytes == NULL) {
        attest_jwt_clear(out);
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_MALFORMED,
                           "token: payload is not canonical unpadded base64url");
    }
    out->signing_input = t;
    out->signing_input_len = h_len + 1 + p_len;
    return TKMS_OK;
}

tkms_err attest_jwt_parse_payload(attest_jwt *jwt, tkms_attest_error *error) {
    TKMS_ASSERT(jwt->payload_bytes != NULL);
    TKMS_ASSERT(jwt->payload == NULL);
    jwt->payload = attest_json_load(error, TKMS_ERR_ATTEST_JWT_PAYLOAD_INVALID, "JWT payload",
                                    jwt->payload_bytes, jwt->payload_bytes_len);
    return jwt->payload != NULL ? TKMS_OK : TKMS_ERR_ATTEST_JWT_PAYLOAD_INVALID;
}

void attest_jwt_clear(attest_jwt *jwt) {
    free(jwt->payload_bytes);
    json_decref(jwt->header);
    json_decref(jwt->payload);
    memset(jwt, 0, sizeof *jwt);
}

tkms_err attest_jwt_verify_rs256(tkms_attest_error *error, EVP_PKEY *key, const attest_jwt *jwt) {
    TKMS_ASSERT(key != NULL);
    TKMS_ASSERT(jwt->signing_input != NULL);
    const int key_bytes = EVP_PKEY_get_size(key);
    if (key_bytes <= 0 || (size_t)key_bytes != jwt->signature_len) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_SIGNATURE_INVALID,
                           "RS256 signature: expected %d bytes for key %s, found %zu", key_bytes,
                           jwt->kid, jwt->signature_len);
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok =
        md != NULL && EVP_DigestVerifyInit(md, &pctx, attest_md_sha256(), NULL, key) == 1 &&
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
        EVP_DigestVerify(md, jwt->signature, jwt->signature_len,
                         (const unsigned char *)jwt->signing_input, jwt->signing_input_len) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_SIGNATURE_INVALID,
                           "RS256 signature does not verify under JWKS key %s", jwt->kid);
    }
    return TKMS_OK;
}
