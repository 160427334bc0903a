/*
 * curve25519.c — Ed25519 signatures and X25519 key agreement through OpenSSL 3's raw-key
 * API (prim.h). Keys are raw 32-byte values as published in the registry (crypto.md §11).
 */
#include <openssl/evp.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

static EVP_PKEY *raw_private(int type, const uint8_t key[32]) {
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(type, NULL, key, 32);
    TKMS_ASSERT(k != NULL);
    return k;
}

static void raw_public_of(uint8_t pub[32], int type, const uint8_t priv[32]) {
    EVP_PKEY *k = raw_private(type, priv);
    size_t len = 32;
    int ok = EVP_PKEY_get_raw_public_key(k, pub, &len);
    EVP_PKEY_free(k);
    TKMS_ASSERT(ok == 1 && len == 32);
}

TKMS_EXPORT void tkms_prim_ed25519_public(uint8_t pub[TKMS_PRIM_ED25519_PUBLIC_BYTES],
                                          const uint8_t seed[TKMS_PRIM_ED25519_SEED_BYTES]) {
    raw_public_of(pub, EVP_PKEY_ED25519, seed);
}

TKMS_EXPORT void tkms_prim_ed25519_sign(uint8_t sig[TKMS_PRIM_ED25519_SIG_BYTES],
                                        const uint8_t seed[TKMS_PRIM_ED25519_SEED_BYTES],
                                        const uint8_t *msg, size_t len) {
    EVP_PKEY *k = raw_private(EVP_PKEY_ED25519, seed);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    TKMS_ASSERT(ctx != NULL);
    size_t sig_len = TKMS_PRIM_ED25519_SIG_BYTES;
    static const uint8_t empty = 0;
    int ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestSign(ctx, sig, &sig_len, len ? msg : &empty, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    TKMS_ASSERT(ok && sig_len == TKMS_PRIM_ED25519_SIG_BYTES);
}

TKMS_EXPORT bool tkms_prim_ed25519_verify(const uint8_t sig[TKMS_PRIM_ED25519_SIG_BYTES],
                                          const uint8_t pub[TKMS_PRIM_ED25519_PUBLIC_BYTES],
                                          const uint8_t *msg, size_t len) {
    EVP_PKEY *k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
    if (k == NULL) {
        return false;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    TKMS_ASSERT(ctx != NULL);
    static const uint8_t empty = 0;
    int ok = EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k) == 1 &&
             EVP_DigestVerify(ctx, sig, TKMS_PRIM_ED25519_SIG_BYTES, len ? msg : &empty, len) == 1;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(k);
    return ok;
}

TKMS_EXPORT void tkms_prim_x25519_public(uint8_t pub[TKMS_PRIM_X25519_BYTES],
                                         const uint8_t priv[TKMS_PRIM_X25519_BYTES]) {
    raw_public_of(pub, EVP_PKEY_X25519, priv);
}

TKMS_EXPORT tkms_err tkms_prim_x25519_shared(uint8_t shared[TKMS_PRIM_X25519_BYTES],
                                             const uint8_t priv[TKMS_PRIM_X25519_BYTES],
                                             const uint8_t peer[TKMS_PRIM_X25519_BYTES]) {
    uint8_t unused[TKMS_PRIM_X25519_BYTES];
    return tkms_prim_x25519_shared_and_public(shared, unused, priv, peer);
}

TKMS_EXPORT tkms_err tkms_prim_x25519_shared_and_public(
    uint8_t shared[TKMS_PRIM_X25519_BYTES], uint8_t own_public[TKMS_PRIM_X25519_BYTES],
    const uint8_t priv[TKMS_PRIM_X25519_BYTES], const uint8_t peer[TKMS_PRIM_X25519_BYTES]) {
    EVP_PKEY *k = raw_private(EVP_PKEY_X25519, priv);
    size_t pub_len = TKMS_PRIM_X25519_BYTES;
    int pub_ok = EVP_PKEY_get_raw_public_key(k, own_public, &pub_len);
    TKMS_ASSERT(pub_ok == 1 && pub_len == TKMS_PRIM_X25519_BYTES);
    EVP_PKEY *p = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, 32);
    TKMS_ASSERT(p != NULL); /* every 32-byte string is an X25519 public key */
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
    TKMS_ASSERT(ctx != NULL);
    size_t len = TKMS_PRIM_X25519_BYTES;
    /* OpenSSL itself refuses an all-zero result (low-order peer point). */
    int ok = EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, p) == 1 &&
             EVP_PKEY_derive(ctx, shared, &len) == 1 && len == TKMS_PRIM_X25519_BYTES;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(p);
    EVP_PKEY_free(k);
    uint8_t zero[TKMS_PRIM_X25519_BYTES] = {0};
    if (!ok || tkms_ct_bytes_equal(shared, zero, sizeof zero)) {
        tkms_wipe(shared, TKMS_PRIM_X25519_BYTES);
        return TKMS_ERR_PRIM_X25519_ZERO;
    }
    return TKMS_OK;
}
