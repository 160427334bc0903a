/*
 * ibe.c — IBE v1 encryption and decryption (crypto.md §8, ibe.h).
 *
 * Encrypt: Q = H1(id), U = ρ·g2, g = ê(Q, MPK)^ρ computed as e(ρ·Q, MPK) (the secret ρ
 * enters through a constant-time G1 multiplication), key = HKDF over the GT bytes of
 * ê = e³ (crypto.md §3, bls.h tkms_bls_gt_encode_cubed), AES-256-GCM with
 * AAD = id ‖ version ‖ U. Decrypt: g = e(sk_id, U) = e(S·Q, ρ·g2), the same value.
 */
#include "ibe/ibe.h"

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"
#include "tss/tss.h"

static const char KDF_SALT[] = "eigenx-kms-go-ibe-encryption";
static const char KDF_INFO[] = "IBE-encryption|v1|";
static const uint8_t MAGIC[3] = {'I', 'B', 'E'};

TKMS_EXPORT tkms_err tkms_ibe_kdf(uint8_t key[32], const uint8_t gt[TKMS_BLS_GT_BYTES],
                                  const uint8_t *id, size_t id_len) {
    uint8_t info[sizeof KDF_INFO - 1 + TKMS_IBE_ID_BYTES_MAX];
    if (id_len > TKMS_IBE_ID_BYTES_MAX) {
        return TKMS_ERR_IBE_BAD_ID;
    }
    memcpy(info, KDF_INFO, sizeof KDF_INFO - 1);
    memcpy(info + sizeof KDF_INFO - 1, id, id_len);
    return tkms_prim_hkdf_sha256(key, 32, gt, TKMS_BLS_GT_BYTES, (const uint8_t *)KDF_SALT,
                                 sizeof KDF_SALT - 1, info, sizeof KDF_INFO - 1 + id_len);
}

/* AAD = id ‖ version ‖ U. */
static size_t make_aad(uint8_t *aad, const uint8_t *id, size_t id_len, uint8_t version,
                       const uint8_t u[TKMS_BLS_G2_BYTES]) {
    memcpy(aad, id, id_len);
    aad[id_len] = version;
    memcpy(aad + id_len + 1, u, TKMS_BLS_G2_BYTES);
    return id_len + 1 + TKMS_BLS_G2_BYTES;
}

/* key from the pairing value g: KDF(encode(g³)); fails on g = 1. */
static tkms_err key_from_gt(uint8_t key[32], const tkms_bls_gt *g, const uint8_t *id,
                            size_t id_len) {
    uint8_t bytes[TKMS_BLS_GT_BYTES];
    if (tkms_bls_gt_is_one(g)) {
        return TKMS_ERR_IBE_DECRYPT;
    }
    tkms_bls_gt_encode_cubed(bytes, g);
    tkms_err err = tkms_ibe_kdf(key, bytes, id, id_len);
    tkms_wipe(bytes, sizeof bytes);
    return err;
}

static bool id_ok(const uint8_t *id, size_t id_len) {
    return id != NULL && id_len >= TKMS_IBE_ID_BYTES_MIN && id_len <= TKMS_IBE_ID_BYTES_MAX;
}

TKMS_EXPORT tkms_err tkms_ibe_encrypt_with(uint8_t *out, size_t out_max, const uint8_t *id,
                                           size_t id_len, const tkms_bls_g2 *mpk,
                                           const uint8_t *pt, size_t pt_len,
                                           const tkms_bls_fr *rho,
                                           const uint8_t nonce[TKMS_IBE_NONCE_BYTES]) {
    if (!id_ok(id, id_len)) {
        return TKMS_ERR_IBE_BAD_ID;
    }
    if (tkms_bls_g2_is_identity(mpk) || tkms_bls_fr_is_zero(rho)) {
        return TKMS_ERR_IBE_BAD_MPK;
    }
    if (pt_len > TKMS_IBE_PLAINTEXT_BYTES_MAX) {
        return TKMS_ERR_IBE_TOO_LARGE;
    }
    if (out_max < pt_len + TKMS_IBE_OVERHEAD_BYTES) {
        return TKMS_ERR_IBE_BUFFER;
    }
    tkms_bls_g1 q, rq;
    tkms_bls_g2 u;
    tkms_bls_gt g;
    uint8_t key[32], aad[TKMS_IBE_ID_BYTES_MAX + 1 + TKMS_BLS_G2_BYTES];
    tkms_err err = tkms_tss_h1(&q, id, id_len);
    TKMS_ASSERT(err == TKMS_OK); /* id length checked above */
    tkms_bls_g2_generator(&u);
    tkms_bls_g2_mul(&u, &u, rho);
    tkms_bls_g1_mul(&rq, &q, rho);
    tkms_bls_pairing(&g, &rq, mpk);
    err = key_from_gt(key, &g, id, id_len);
    if (err == TKMS_OK) {
        memcpy(out, MAGIC, 3);
        out[3] = TKMS_IBE_VERSION;
        tkms_bls_g2_encode(out + 4, &u);
        memcpy(out + 4 + TKMS_BLS_G2_BYTES, nonce, TKMS_IBE_NONCE_BYTES);
        size_t aad_len = make_aad(aad, id, id_len, TKMS_IBE_VERSION, out + 4);
        err = tkms_prim_aead_seal(out + TKMS_IBE_HEADER_BYTES,
                                  out + TKMS_IBE_HEADER_BYTES + pt_len, key, nonce, aad,
                                  aad_len, pt, pt_len);
    }
    tkms_wipe(key, sizeof key);
    tkms_wipe(&rq, sizeof rq);
    tkms_wipe(&g, sizeof g);
    return err == TKMS_OK ? TKMS_OK : TKMS_ERR_IBE_BAD_MPK;
}

TKMS_EXPORT tkms_err tkms_ibe_encrypt(uint8_t *out, size_t out_max, const uint8_t *id,
                                      size_t id_len, const tkms_bls_g2 *mpk, const uint8_t *pt,
                                      size_t pt_len, const tkms_rng *rng) {
    tkms_bls_fr rho;
    uint8_t wide[64], nonce[TKMS_IBE_NONCE_BYTES];
    do { /* ρ = 0 has probability 2^-255; loop bounded in practice */
        tkms_rng_fill(rng, wide, sizeof wide);
        tkms_bls_fr_decode_reduce(&rho, wide, sizeof wide);
    } while (tkms_bls_fr_is_zero(&rho));
    tkms_rng_fill(rng, nonce, sizeof nonce);
    tkms_err err = tkms_ibe_encrypt_with(out, out_max, id, id_len, mpk, pt, pt_len, &rho, nonce);
    tkms_wipe(wide, sizeof wide);
    tkms_wipe(&rho, sizeof rho);
    return err;
}

TKMS_EXPORT tkms_err tkms_ibe_decrypt(uint8_t *pt, size_t pt_max, size_t *pt_len,
                                      const uint8_t *id, size_t id_len,
                                      const tkms_bls_g1 *sk_id, const uint8_t *ct,
                                      size_t ct_len) {
    *pt_len = 0;
    if (!id_ok(id, id_len) || ct_len < TKMS_IBE_OVERHEAD_BYTES ||
        ct_len - TKMS_IBE_OVERHEAD_BYTES > pt_max || memcmp(ct, MAGIC, 3) != 0 ||
        ct[3] != TKMS_IBE_VERSION || tkms_bls_g1_is_identity(sk_id)) {
        return TKMS_ERR_IBE_DECRYPT;
    }
    tkms_bls_g2 u;
    if (tkms_bls_g2_decode(&u, ct + 4) != TKMS_OK || tkms_bls_g2_is_identity(&u)) {
        return TKMS_ERR_IBE_DECRYPT;
    }
    tkms_bls_gt g;
    uint8_t key[32], aad[TKMS_IBE_ID_BYTES_MAX + 1 + TKMS_BLS_G2_BYTES];
    tkms_bls_pairing(&g, sk_id, &u);
    tkms_err err = key_from_gt(key, &g, id, id_len);
    size_t body = ct_len - TKMS_IBE_OVERHEAD_BYTES;
    if (err == TKMS_OK) {
        size_t aad_len = make_aad(aad, id, id_len, ct[3], ct + 4);
        err = tkms_prim_aead_open(pt, key, ct + 4 + TKMS_BLS_G2_BYTES, aad, aad_len,
                                  ct + TKMS_IBE_HEADER_BYTES, body,
                                  ct + TKMS_IBE_HEADER_BYTES + body);
    }
    tkms_wipe(key, sizeof key);
    tkms_wipe(&g, sizeof g);
    if (err != TKMS_OK) {
        return TKMS_ERR_IBE_DECRYPT;
    }
    *pt_len = body;
    return TKMS_OK;
}
