/*
 * attest_jwks.c — JSON Web Key Sets (RFC 7517) of RS256 verification keys: parse once into
 * OpenSSL public keys, look up by kid. A set is immutable after parsing, so threads share
 * it freely; lookups hand out a counted reference so a refresh may replace the set while a
 * verification still holds a key. Fetching and caching live in attest_jwks_fetch.c.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

typedef struct {
    char kid[TKMS_ATTEST_KID_BYTES_MAX + 1];
    EVP_PKEY *key;
} jwks_key;

struct tkms_attest_jwks {
    size_t count;
    jwks_key keys[TKMS_ATTEST_JWKS_KEYS_MAX];
};

EVP_PKEY *attest_rsa_public_from_ne(const uint8_t *n, size_t n_len, const uint8_t *e,
                                    size_t e_len) {
    EVP_PKEY *pkey = NULL;
    BIGNUM *bn_n = BN_bin2bn(n, (int)n_len, NULL);
    BIGNUM *bn_e = BN_bin2bn(e, (int)e_len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (bn_n && bn_e && bld && ctx &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1 &&
        (params = OSSL_PARAM_BLD_to_param(bld)) != NULL && EVP_PKEY_fromdata_init(ctx) == 1) {
        if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1) {
            pkey = NULL;
        }
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    return pkey;
}

/* Decodes a base64url member into buf; false when absent or invalid. */
static bool member_b64url(uint8_t *buf, size_t cap, size_t *len, const json_t *obj,
                          const char *key) {
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        return false;
    }
    return attest_b64url_decode(buf, cap, len, json_string_value(v), json_string_length(v));
}

/* Parses one RSA key entry (index i) into out. */
static tkms_err parse_rsa_key(jwks_key *out, tkms_attest_error *error, const json_t *k, size_t i) {
    const json_t *alg = json_object_get(k, "alg");
    if (alg != NULL && !(json_is_string(alg) && strcmp(json_string_value(alg), "RS256") == 0)) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                           "JWKS keys[%zu]: alg: expected \"RS256\" or absent", i);
    }
    const json_t *use = json_object_get(k, "use");
    if (use != NULL && !(json_is_string(use) && strcmp(json_string_value(use), "sig") == 0)) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                           "JWKS keys[%zu]: use: expected \"sig\" or absent", i);
    }
    if (!attest_json_copy_string(out->kid, sizeof out->kid, k, "kid") || out->kid[0] == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                           "JWKS keys[%zu]: kid: expected a string of 1..%d bytes", i,
                           TKMS_ATTEST_KID_BYTES_MAX);
    }
    uint8_t n[TKMS_ATTEST_RSA_BITS_MAX / 8 + 1], e[8];
    size_t n_len = 0, e_len = 0;
    if (!member_b64url(n, sizeof n, &n_len, k, "n") || n_len == 0 || n[0] == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                           "JWKS key %s: n: expected minimal base64url of at most %d bits",
                           out->kid, TKMS_ATTEST_RSA_BITS_MAX);
    }
    if (!member_b64url(e, sizeof e, &e_len, k, "e") || e_len == 0 || e_len > 4 || e[0] == 0 ||
        (e[e_len - 1] & 1) == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                           "JWKS key %s: e: expected an odd exponent of at most 4 bytes", out->kid);
    }
    const size_t bits = n_len * 8;
    if (bits < TKMS_ATTEST_RSA_BITS_MIN || bits > TKMS_ATTEST_RSA_BITS_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                           "JWKS key %s: modulus: expected %d..%d bits, found about %zu", out->kid,
                           TKMS_ATTEST_RSA_BITS_MIN, TKMS_ATTEST_RSA_BITS_MAX, bits);
    }
    out->key = attest_rsa_public_from_ne(n, n_len, e, e_len);
    if (out->key == NULL) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                           "JWKS key %s: not a valid RSA public key", out->kid);
    }
    return TKMS_OK;
}

static tkms_err parse_keys(tkms_attest_jwks *set, tkms_attest_error *error, const json_t *keys) {
    if (!json_is_array(keys)) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID, "JWKS: keys is not an array");
    }
    if (json_array_size(keys) > TKMS_ATTEST_JWKS_KEYS_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID, "JWKS: %zu keys, the limit is %d",
                           json_array_size(keys), TKMS_ATTEST_JWKS_KEYS_MAX);
    }
    for (size_t i = 0; i < json_array_size(keys); i++) {
        const json_t *k = json_array_get(keys, i);
        const json_t *kty = json_object_get(k, "kty");
        if (!json_is_object(k) || !json_is_string(kty)) {
            return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                               "JWKS keys[%zu]: expected an object with kty", i);
        }
        if (strcmp(json_string_value(kty), "RSA") != 0) {
            continue; /* other key types cannot verify RS256; skip them */
        }
        jwks_key *dst = &set->keys[set->count];
        tkms_err rc = parse_rsa_key(dst, error, k, i);
        if (rc != TKMS_OK) {
            return rc;
        }
        set->count++;
        for (size_t j = 0; j + 1 < set->count; j++) {
            if (strcmp(set->keys[j].kid, dst->kid) == 0) {
                return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID,
                                   "JWKS: kid %s appears twice", dst->kid);
            }
        }
    }
    if (set->count == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID, "JWKS: no RSA key");
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_attest_jwks_parse(tkms_attest_jwks **out, tkms_attest_error *error,
                                            const uint8_t *json, size_t json_len) {
    *out = NULL;
    if (json_len > TKMS_ATTEST_JWKS_BYTES_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_INVALID, "JWKS: %zu bytes, the limit is %d",
                           json_len, TKMS_ATTEST_JWKS_BYTES_MAX);
    }
    json_t *root = attest_json_load(error, TKMS_ERR_ATTEST_JWKS_INVALID, "JWKS", json, json_len);
    if (root == NULL) {
        return TKMS_ERR_ATTEST_JWKS_INVALID;
    }
    tkms_attest_jwks *set = calloc(1, sizeof *set);
    if (set == NULL) {
        json_decref(root);
        return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "JWKS: out of memory");
    }
    tkms_err rc = parse_keys(set, error, json_object_get(root, "keys"));
    json_decref(root);
    if (rc != TKMS_OK) {
        tkms_attest_jwks_free(set);
        return rc;
    }
    *out = set;
    return TKMS_OK;
}

TKMS_EXPORT void tkms_attest_jwks_free(tkms_attest_jwks *jwks) {
    if (jwks == NULL) {
        return;
    }
    for (size_t i = 0; i < TKMS_ATTEST_JWKS_KEYS_MAX; i++) {
        EVP_PKEY_free(jwks->keys[i].key);
    }
    free(jwks);
}

TKMS_EXPORT size_t tkms_attest_jwks_key_count(const tkms_attest_jwks *jwks) {
    return jwks ? jwks->count : 0;
}

EVP_PKEY *attest_jwks_key_get(const tkms_attest_jwks *jwks, const char *kid) {
    if (jwks == NULL) {
        return NULL;
    }
    TKMS_ASSERT(jwks->count <= TKMS_ATTEST_JWKS_KEYS_MAX);
    for (size_t i = 0; i < jwks->count; i++) {
        if (strcmp(jwks->keys[i].kid, kid) == 0) {
            TKMS_ASSERT(EVP_PKEY_up_ref(jwks->keys[i].key) == 1);
            return jwks->keys[i].key;
        }
    }
    return NULL;
}
