/*
 * hash.c — SHA-2, HMAC, HKDF-SHA256 and PBKDF2-HMAC-SHA512 through OpenSSL 3 (prim.h).
 * Fixed algorithms, no configuration; an OpenSSL failure on valid arguments means the
 * process cannot continue (out of memory), so it aborts.
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include "common/tkms_assert.h"
#include "prim/prim.h"

static void digest_parts(uint8_t *out, const EVP_MD *md, const tkms_prim_buf *parts,
                         size_t count) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    TKMS_ASSERT(ctx != NULL);
    int ok = EVP_DigestInit_ex(ctx, md, NULL);
    for (size_t i = 0; i < count && ok == 1; i++) {
        ok = EVP_DigestUpdate(ctx, parts[i].ptr, parts[i].len);
    }
    unsigned int len = 0;
    ok = ok == 1 && EVP_DigestFinal_ex(ctx, out, &len) == 1;
    EVP_MD_CTX_free(ctx);
    TKMS_ASSERT(ok && len == (unsigned int)EVP_MD_get_size(md));
}

TKMS_EXPORT void tkms_prim_sha256(uint8_t out[TKMS_PRIM_SHA256_BYTES], const uint8_t *in,
                                  size_t len) {
    tkms_prim_buf b = {in, len};
    digest_parts(out, EVP_sha256(), &b, 1);
}

TKMS_EXPORT void tkms_prim_sha256_parts(uint8_t out[TKMS_PRIM_SHA256_BYTES],
                                        const tkms_prim_buf *parts, size_t count) {
    digest_parts(out, EVP_sha256(), parts, count);
}

TKMS_EXPORT void tkms_prim_sha384(uint8_t out[TKMS_PRIM_SHA384_BYTES], const uint8_t *in,
                                  size_t len) {
    tkms_prim_buf b = {in, len};
    digest_parts(out, EVP_sha384(), &b, 1);
}

TKMS_EXPORT void tkms_prim_sha512(uint8_t out[TKMS_PRIM_SHA512_BYTES], const uint8_t *in,
                                  size_t len) {
    tkms_prim_buf b = {in, len};
    digest_parts(out, EVP_sha512(), &b, 1);
}

static void hmac(uint8_t *out, const EVP_MD *md, const uint8_t *key, size_t key_len,
                 const uint8_t *msg, size_t msg_len) {
    unsigned int len = 0;
    static const uint8_t empty = 0;
    TKMS_ASSERT(key_len <= INT32_MAX);
    uint8_t *r = HMAC(md, key_len ? key : &empty, (int)key_len, msg_len ? msg : &empty, msg_len,
                      out, &len);
    TKMS_ASSERT(r != NULL && len == (unsigned int)EVP_MD_get_size(md));
}

TKMS_EXPORT void tkms_prim_hmac_sha256(uint8_t out[TKMS_PRIM_SHA256_BYTES], const uint8_t *key,
                                       size_t key_len, const uint8_t *msg, size_t msg_len) {
    hmac(out, EVP_sha256(), key, key_len, msg, msg_len);
}

TKMS_EXPORT void tkms_prim_hmac_sha512(uint8_t out[TKMS_PRIM_SHA512_BYTES], const uint8_t *key,
                                       size_t key_len, const uint8_t *msg, size_t msg_len) {
    hmac(out, EVP_sha512(), key, key_len, msg, msg_len);
}

/* EVP_KDF with explicit OSSL_PARAMs; empty salt/info are passed as zero-length. */
static tkms_err kdf(const char *name, OSSL_PARAM *params, uint8_t *out, size_t out_len) {
    EVP_KDF *k = EVP_KDF_fetch(NULL, name, NULL);
    TKMS_ASSERT(k != NULL);
    EVP_KDF_CTX *ctx = EVP_KDF_CTX_new(k);
    EVP_KDF_free(k);
    TKMS_ASSERT(ctx != NULL);
    int ok = EVP_KDF_derive(ctx, out, out_len, params);
    EVP_KDF_CTX_free(ctx);
    TKMS_ASSERT(ok == 1);
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_prim_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *ikm,
                                           size_t ikm_len, const uint8_t *salt, size_t salt_len,
                                           const uint8_t *info, size_t info_len) {
    if (out_len == 0 || out_len > TKMS_PRIM_HKDF_BYTES_MAX) {
        return TKMS_ERR_PRIM_LENGTH;
    }
    static uint8_t empty[1];
    OSSL_PARAM params[5];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                                    ikm_len ? (void *)ikm : empty, ikm_len);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    salt_len ? (void *)salt : empty, salt_len);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
                                                    info_len ? (void *)info : empty, info_len);
    params[n] = OSSL_PARAM_construct_end();
    return kdf("HKDF", params, out, out_len);
}

TKMS_EXPORT tkms_err tkms_prim_pbkdf2_sha512(uint8_t *out, size_t out_len, const uint8_t *pass,
                                             size_t pass_len, const uint8_t *salt,
                                             size_t salt_len, uint32_t iterations) {
    if (out_len == 0 || out_len > 1024 || iterations == 0) {
        return TKMS_ERR_PRIM_LENGTH;
    }
    static uint8_t empty[1];
    OSSL_PARAM params[5];
    size_t n = 0;
    params[n++] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA512", 0);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                                    pass_len ? (void *)pass : empty, pass_len);
    params[n++] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                                    salt_len ? (void *)salt : empty, salt_len);
    params[n++] = OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_ITER, &iterations);
    params[n] = OSSL_PARAM_construct_end();
    return kdf("PBKDF2", params, out, out_len);
}
