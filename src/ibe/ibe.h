/*
 * ibe.h — IBE ciphertext v1 (crypto.md §8): Boneh–Franklin-style KEM on BLS12-381 with
 * AES-256-GCM, byte-compatible with eigenx-kms-go.
 *
 * Contract
 * - Anyone encrypts to an app id with the master public key alone; the app decrypts with
 *   its recovered key sk_id = S·H1(id) (tss.h). The id is the raw UTF-8 bytes (for apps:
 *   the lowercase 0x address), 5..TKMS_IBE_ID_BYTES_MAX bytes.
 * - Format: "IBE" ‖ 0x01 ‖ U (96, compressed G2) ‖ nonce (12) ‖ ciphertext ‖ tag (16);
 *   TKMS_IBE_OVERHEAD_BYTES = 128 bytes more than the plaintext.
 * - Encryption draws ρ and the nonce from the caller's tkms_rng (production: the OS);
 *   tkms_ibe_encrypt_with_vartime takes them explicitly for the published vectors only.
 * - Decryption returns one opaque error, TKMS_ERR_IBE_DECRYPT, for every failure (length,
 *   magic, version, U, key, tag) and leaves no plaintext behind on failure.
 * - No malloc, no I/O; constant time in ρ, sk_id and the plaintext.
 */
#ifndef TKMS_IBE_H
#define TKMS_IBE_H

#include <stddef.h>
#include <stdint.h>

#include "bls/bls.h"
#include "common/tkms_err.h"
#include "common/tkms_rng.h"

#define TKMS_IBE_VERSION 1
#define TKMS_IBE_ID_BYTES_MIN 5
#define TKMS_IBE_ID_BYTES_MAX 256
#define TKMS_IBE_NONCE_BYTES 12
#define TKMS_IBE_TAG_BYTES 16
#define TKMS_IBE_HEADER_BYTES (4 + TKMS_BLS_G2_BYTES + TKMS_IBE_NONCE_BYTES) /* 112 */
#define TKMS_IBE_OVERHEAD_BYTES (TKMS_IBE_HEADER_BYTES + TKMS_IBE_TAG_BYTES)  /* 128 */
#define TKMS_IBE_PLAINTEXT_BYTES_MAX (64u << 20) /* 64 MiB: env files are small */

/* out receives pt_len + TKMS_IBE_OVERHEAD_BYTES bytes (out_max must allow it). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_ibe_encrypt(uint8_t *out, size_t out_max,
                                                    const uint8_t *id, size_t id_len,
                                                    const tkms_bls_g2 *mpk, const uint8_t *pt,
                                                    size_t pt_len, const tkms_rng *rng);
/* The same with a fixed ρ (non-zero, canonical) and nonce: reproduces test vectors. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_ibe_encrypt_with(
    uint8_t *out, size_t out_max, const uint8_t *id, size_t id_len, const tkms_bls_g2 *mpk,
    const uint8_t *pt, size_t pt_len, const tkms_bls_fr *rho,
    const uint8_t nonce[TKMS_IBE_NONCE_BYTES]);
/* pt receives ct_len − TKMS_IBE_OVERHEAD_BYTES bytes (pt_max must allow it). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_ibe_decrypt(uint8_t *pt, size_t pt_max, size_t *pt_len,
                                                    const uint8_t *id, size_t id_len,
                                                    const tkms_bls_g1 *sk_id, const uint8_t *ct,
                                                    size_t ct_len);
/* The AES key of a ciphertext from the 576-byte GT value (exposed for vector tests). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_ibe_kdf(uint8_t key[32],
                                                const uint8_t gt[TKMS_BLS_GT_BYTES],
                                                const uint8_t *id, size_t id_len);

#endif
