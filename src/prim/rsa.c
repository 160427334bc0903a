/*
 * rsa.c — RSA-OAEP (SHA-256 for OAEP and MGF1, empty label) for wrapping partials to an
 * app's ephemeral key (crypto.md §9), plus key generation and decryption for apps and
 * tests. Keys arrive as PEM from outside: the size, the PEM framing, the key type and
 * the modulus size are each checked with their own error before any use.
 */
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

/* Parses a PEM key (public SPKI or private PKCS#8) with the size and type checks. */
static tkms_err load_key(EVP_PKEY **out, const char *pem, size_t pem_len, bool private_key) {
    *out = NULL;
    if (pem_len == 0 || pem_len > TKMS_PRIM_RSA_PEM_BYTES_MAX) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    TKMS_ASSERT(bio != NULL);
    EVP_PKEY *key = private_key ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
                                : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL) {
        return TKMS_ERR_PRIM_BAD_PEM;
    }
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        return TKMS_ERR_PRIM_NOT_RSA;
    }
    int bits = EVP_PKEY_get_bits(key);
    if (bits < TKMS_PRIM_RSA_BITS_MIN || bits > TKMS_PRIM_RSA_BITS_MAX) {
        EVP_PKEY_free(key);
        return TKMS_ERR_PRIM_RSA_KEY_SIZE;
    }
    *out = key;
    return TKMS_OK;
}

static EVP_PKEY_CTX *oaep_ctx(EVP_PKEY *key, bool encrypt) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL);
    TKMS_ASSERT(ctx != NULL);
    int ok = (encrypt ? EVP_PKEY_encrypt_init(ctx) : EVP_PKEY_decrypt_init(ctx)) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1;
    TKMS_ASSERT(ok);
    return ctx;
}

TKMS_EXPORT tkms_err tkms_prim_rsa_oaep_encrypt(uint8_t *out, size_t *out_len, size_t out_max,
                                                const char *pem, size_t pem_len,
                                                const uint8_t *msg, size_t msg_len) {
    EVP_PKEY *key;
    *out_len = 0;
    tkms_err err = load_key(&key, pem, pem_len, false);
    if (err != TKMS_OK) {
        return err;
    }
    size_t need = (size_t)EVP_PKEY_get_size(key);
    if (out_max < need || msg_len > need - 2 * TKMS_PRIM_SHA256_BYTES - 2) {
        EVP_PKEY_free(key);
        return TKMS_ERR_PRIM_LENGTH;
    }
    EVP_PKEY_CTX *ctx = oaep_ctx(key, true);
    size_t len = out_max;
    int ok = EVP_PKEY_encrypt(ctx, out, &len, msg, msg_len);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (ok != 1) {
        return TKMS_ERR_PRIM_RSA;
    }
    *out_len = len;
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_prim_rsa_oaep_decrypt(uint8_t *out, size_t *out_len, size_t out_max,
                                                const char *pem, size_t pem_len,
                                                const uint8_t *ct, size_t ct_len) {
    EVP_PKEY *key;
    *out_len = 0;
    tkms_err err = load_key(&key, pem, pem_len, true);
    if (err != TKMS_OK) {
        return err;
    }
    EVP_PKEY_CTX *ctx = oaep_ctx(key, false);
    size_t len = 0;
    int ok = EVP_PKEY_decrypt(ctx, NULL, &len, ct, ct_len) == 1 && len <= out_max &&
             EVP_PKEY_decrypt(ctx, out, &len, ct, ct_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    if (!ok) {
        tkms_wipe(out, out_max);
        return TKMS_ERR_PRIM_RSA;
    }
    *out_len = len;
    return TKMS_OK;
}

/* Writes a PEM through a memory BIO into buf (NUL-terminated). */
static bool pem_to_buf(char *buf, size_t max, EVP_PKEY *key, bool private_key) {
    BIO *bio = BIO_new(BIO_s_mem());
    TKMS_ASSERT(bio != NULL);
    int ok = private_key ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
                         : PEM_write_bio_PUBKEY(bio, key);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    bool fits = ok == 1 && len > 0 && (size_t)len < max;
    if (fits) {
        memcpy(buf, data, (size_t)len);
        buf[len] = 0;
    }
    if (data != NULL && len > 0) {
        tkms_wipe(data, (size_t)len);
    }
    BIO_free(bio);
    return fits;
}

TKMS_EXPORT tkms_err tkms_prim_rsa_keygen(char *private_pem, char *public_pem, size_t pem_max,
                                          unsigned bits) {
    if (bits < TKMS_PRIM_RSA_BITS_MIN || bits > TKMS_PRIM_RSA_BITS_MAX) {
        return TKMS_ERR_PRIM_RSA_KEY_SIZE;
    }
    EVP_PKEY *key = EVP_RSA_gen(bits);
    TKMS_ASSERT(key != NULL);
    bool ok = pem_to_buf(private_pem, pem_max, key, true) &&
              pem_to_buf(public_pem, pem_max, key, false);
    EVP_PKEY_free(key);
    if (!ok) {
        tkms_wipe(private_pem, pem_max);
        return TKMS_ERR_PRIM_LENGTH;
    }
    return TKMS_OK;
}
