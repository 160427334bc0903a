/*
 * aead.c — AES-256-GCM with a 96-bit nonce and a 128-bit tag (prim.h). Open returns one
 * opaque error for every mismatch and zeroes the plaintext buffer, so a caller can never
 * use unauthenticated bytes.
 */
#include <limits.h>
#include <openssl/evp.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

static EVP_CIPHER_CTX *gcm_init(const uint8_t *key, const uint8_t *nonce, int encrypt) {
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    TKMS_ASSERT(ctx != NULL);
    int ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL, encrypt) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, TKMS_PRIM_AEAD_NONCE_BYTES, NULL) ==
                 1 &&
             EVP_CipherInit_ex(ctx, NULL, NULL, key, nonce, encrypt) == 1;
    TKMS_ASSERT(ok);
    return ctx;
}

/* Feeds AAD and data in chunks of at most INT_MAX bytes (OpenSSL takes int lengths). */
static int gcm_update(EVP_CIPHER_CTX *ctx, uint8_t *out, const uint8_t *in, size_t len) {
    size_t done = 0;
    while (done < len) {
        size_t chunk = len - done > INT_MAX ? INT_MAX : len - done;
        int outl = 0;
        if (EVP_CipherUpdate(ctx, out ? out + done : NULL, &outl, in + done, (int)chunk) != 1) {
            return 0;
        }
        done += chunk;
    }
    return 1;
}

TKMS_EXPORT tkms_err tkms_prim_aead_seal(uint8_t *ct, uint8_t tag[TKMS_PRIM_AEAD_TAG_BYTES],
                                         const uint8_t key[TKMS_PRIM_AEAD_KEY_BYTES],
                                         const uint8_t nonce[TKMS_PRIM_AEAD_NONCE_BYTES],
                                         const uint8_t *aad, size_t aad_len, const uint8_t *pt,
                                         size_t pt_len) {
    EVP_CIPHER_CTX *ctx = gcm_init(key, nonce, 1);
    int outl = 0;
    int ok = gcm_update(ctx, NULL, aad, aad_len) && gcm_update(ctx, ct, pt, pt_len) &&
             EVP_CipherFinal_ex(ctx, ct + pt_len, &outl) == 1 &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TKMS_PRIM_AEAD_TAG_BYTES, tag) == 1;
    EVP_CIPHER_CTX_free(ctx);
    TKMS_ASSERT(ok && outl == 0);
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_prim_aead_open(uint8_t *pt, const uint8_t key[TKMS_PRIM_AEAD_KEY_BYTES],
                                         const uint8_t nonce[TKMS_PRIM_AEAD_NONCE_BYTES],
                                         const uint8_t *aad, size_t aad_len, const uint8_t *ct,
                                         size_t ct_len,
                                         const uint8_t tag[TKMS_PRIM_AEAD_TAG_BYTES]) {
    EVP_CIPHER_CTX *ctx = gcm_init(key, nonce, 0);
    uint8_t tag_copy[TKMS_PRIM_AEAD_TAG_BYTES];
    memcpy(tag_copy, tag, sizeof tag_copy);
    int outl = 0;
    int ok = gcm_update(ctx, NULL, aad, aad_len) && gcm_update(ctx, pt, ct, ct_len) &&
             EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TKMS_PRIM_AEAD_TAG_BYTES, tag_copy) ==
                 1 &&
             EVP_CipherFinal_ex(ctx, pt + ct_len, &outl) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) {
        tkms_wipe(pt, ct_len);
        return TKMS_ERR_PRIM_AEAD;
    }
    return TKMS_OK;
}
