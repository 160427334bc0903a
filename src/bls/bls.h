/*
 * bls.h — BLS12-381: fields, groups G1/G2/GT, pairing, hash-to-curve, encodings.
 *
 * Contract (spec: crypto.md §1–4, §12)
 * - No malloc, no I/O, no logging, no global mutable state. Thread-safe: every function
 *   works only on its arguments (and immutable constant tables).
 * - Constant time is the default: every function without `_vartime` in its name neither
 *   branches on nor indexes memory by its inputs' values (lengths and counts are public).
 *   `_vartime` functions take public data only (commitments, public keys, verification).
 * - Outputs first, then inputs; outputs may alias inputs. Infallible arithmetic returns
 *   void, predicates return bool, fallible calls return tkms_err and leave a neutral output
 *   on failure (zero scalars, the identity point), never a half-decoded value.
 * - Points are held in homogeneous projective coordinates (X:Y:Z), Z = 0 is the identity;
 *   field elements in Montgomery form. The structs are plain data: copy them freely,
 *   but only through these functions do they mean anything.
 * - Every point from outside (network, chain, file, API) must enter through a decoder:
 *   decoders check length, flags, range, curve and subgroup, each with its own error.
 * - Secrets held in tkms_bls_fr or points derived from them are the caller's to wipe
 *   (tkms_wipe); this layer wipes its own temporaries.
 */
#ifndef TKMS_BLS_H
#define TKMS_BLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tkms_err.h"

#define TKMS_BLS_FP_BYTES 48
#define TKMS_BLS_FR_BYTES 32
#define TKMS_BLS_G1_BYTES 48
#define TKMS_BLS_G1_UNCOMPRESSED_BYTES 96
#define TKMS_BLS_G2_BYTES 96
#define TKMS_BLS_G2_UNCOMPRESSED_BYTES 192
#define TKMS_BLS_GT_BYTES 576
#define TKMS_BLS_DST_BYTES_MAX 255
#define TKMS_BLS_XMD_BYTES_MAX 65535 /* RFC 9380 limit (ell <= 255 SHA-256 blocks, 8160) */
#define TKMS_BLS_MSM_COUNT_MAX 4096  /* bounds the stack of the vartime MSM */
#define TKMS_BLS_PAIRING_COUNT_MAX 64

typedef struct {
    uint64_t l[6];
} tkms_bls_fp;
typedef struct {
    tkms_bls_fp c0, c1;
} tkms_bls_fp2;
typedef struct {
    tkms_bls_fp2 c0, c1, c2;
} tkms_bls_fp6;
typedef struct {
    tkms_bls_fp6 c0, c1;
} tkms_bls_fp12;

typedef struct {
    uint64_t l[4]; /* Montgomery form, < r */
} tkms_bls_fr;
typedef struct {
    tkms_bls_fp x, y, z;
} tkms_bls_g1;
typedef struct {
    tkms_bls_fp2 x, y, z;
} tkms_bls_g2;
typedef struct {
    tkms_bls_fp12 v;
} tkms_bls_gt;

/* Name of the Montgomery kernel compiled in: "x86_64-adx" or "portable". */
TKMS_EXPORT const char *tkms_bls_kernel_name(void);

/* ---- Fr (scalars mod r) ---------------------------------------------------------- */
/* Canonical 32-byte big-endian; values >= r are rejected (TKMS_ERR_BLS_SCALAR_RANGE). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_fr_decode(tkms_bls_fr *out,
                                                      const uint8_t in[TKMS_BLS_FR_BYTES]);
/* Big-endian bytes of any length (<= 64) reduced mod r; for hashes mapped to Fr only. */
TKMS_EXPORT void tkms_bls_fr_decode_reduce(tkms_bls_fr *out, const uint8_t *in, size_t len);
TKMS_EXPORT void tkms_bls_fr_encode(uint8_t out[TKMS_BLS_FR_BYTES], const tkms_bls_fr *a);
TKMS_EXPORT void tkms_bls_fr_from_u64(tkms_bls_fr *out, uint64_t v);
TKMS_EXPORT void tkms_bls_fr_add(tkms_bls_fr *out, const tkms_bls_fr *a, const tkms_bls_fr *b);
TKMS_EXPORT void tkms_bls_fr_sub(tkms_bls_fr *out, const tkms_bls_fr *a, const tkms_bls_fr *b);
TKMS_EXPORT void tkms_bls_fr_neg(tkms_bls_fr *out, const tkms_bls_fr *a);
TKMS_EXPORT void tkms_bls_fr_mul(tkms_bls_fr *out, const tkms_bls_fr *a, const tkms_bls_fr *b);
/* Inverse by Fermat's little theorem (constant time); the inverse of 0 is 0. */
TKMS_EXPORT void tkms_bls_fr_inv(tkms_bls_fr *out, const tkms_bls_fr *a);
/* Inverts count public elements in place with one inversion (Montgomery's trick).
   Returns false (and changes nothing) if any element is zero. scratch holds count items. */
TKMS_EXPORT TKMS_MUST_USE bool tkms_bls_fr_batch_inv_vartime(tkms_bls_fr *elems,
                                                             tkms_bls_fr *scratch, size_t count);
TKMS_EXPORT bool tkms_bls_fr_is_zero(const tkms_bls_fr *a);
TKMS_EXPORT bool tkms_bls_fr_equal(const tkms_bls_fr *a, const tkms_bls_fr *b);

/* ---- G1 ------------------------------------------------------------------------- */
TKMS_EXPORT void tkms_bls_g1_generator(tkms_bls_g1 *out);
TKMS_EXPORT void tkms_bls_g1_identity(tkms_bls_g1 *out);
TKMS_EXPORT bool tkms_bls_g1_is_identity(const tkms_bls_g1 *p);
TKMS_EXPORT bool tkms_bls_g1_equal(const tkms_bls_g1 *a, const tkms_bls_g1 *b);
TKMS_EXPORT bool tkms_bls_g1_is_on_curve(const tkms_bls_g1 *p);
/* Prime-order subgroup membership (endomorphism test, Scott 2021); public input. */
TKMS_EXPORT bool tkms_bls_g1_in_group_vartime(const tkms_bls_g1 *p);
TKMS_EXPORT void tkms_bls_g1_add(tkms_bls_g1 *out, const tkms_bls_g1 *a, const tkms_bls_g1 *b);
TKMS_EXPORT void tkms_bls_g1_dbl(tkms_bls_g1 *out, const tkms_bls_g1 *a);
TKMS_EXPORT void tkms_bls_g1_neg(tkms_bls_g1 *out, const tkms_bls_g1 *a);
/* [k]P in constant time (GLV, fixed signed window, masked table lookup). P must be in
   G1 (every decoded point is; the endomorphism shortcut is wrong outside G1). */
TKMS_EXPORT void tkms_bls_g1_mul(tkms_bls_g1 *out, const tkms_bls_g1 *p, const tkms_bls_fr *k);
/* Σ [k_i]P_i for public points and scalars (Pippenger); count <= TKMS_BLS_MSM_COUNT_MAX. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g1_msm_vartime(tkms_bls_g1 *out,
                                                           const tkms_bls_g1 *points,
                                                           const tkms_bls_fr *scalars,
                                                           size_t count);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g1_decode(tkms_bls_g1 *out,
                                                      const uint8_t in[TKMS_BLS_G1_BYTES]);
TKMS_EXPORT TKMS_MUST_USE tkms_err
tkms_bls_g1_decode_uncompressed(tkms_bls_g1 *out, const uint8_t in[TKMS_BLS_G1_UNCOMPRESSED_BYTES]);
/* Either encoding, chosen by length (48 or 96; else TKMS_ERR_BLS_BAD_LENGTH). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g1_from_bytes(tkms_bls_g1 *out, const uint8_t *in,
                                                          size_t len);
TKMS_EXPORT void tkms_bls_g1_encode(uint8_t out[TKMS_BLS_G1_BYTES], const tkms_bls_g1 *p);
TKMS_EXPORT void tkms_bls_g1_encode_uncompressed(uint8_t out[TKMS_BLS_G1_UNCOMPRESSED_BYTES],
                                                 const tkms_bls_g1 *p);
/* RFC 9380 hash_to_curve (RO) and encode_to_curve (NU), BLS12381G1_XMD:SHA-256_SSWU.
   dst_len must be 1..255 (TKMS_ERR_BLS_DST_LENGTH). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g1_hash(tkms_bls_g1 *out, const uint8_t *msg,
                                                    size_t msg_len, const uint8_t *dst,
                                                    size_t dst_len);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g1_encode_to_curve(tkms_bls_g1 *out,
                                                               const uint8_t *msg, size_t msg_len,
                                                               const uint8_t *dst, size_t dst_len);

/* ---- G2 (same contract as G1) ---------------------------------------------------- */
TKMS_EXPORT void tkms_bls_g2_generator(tkms_bls_g2 *out);
TKMS_EXPORT void tkms_bls_g2_identity(tkms_bls_g2 *out);
TKMS_EXPORT bool tkms_bls_g2_is_identity(const tkms_bls_g2 *p);
TKMS_EXPORT bool tkms_bls_g2_equal(const tkms_bls_g2 *a, const tkms_bls_g2 *b);
TKMS_EXPORT bool tkms_bls_g2_is_on_curve(const tkms_bls_g2 *p);
TKMS_EXPORT bool tkms_bls_g2_in_group_vartime(const tkms_bls_g2 *p);
TKMS_EXPORT void tkms_bls_g2_add(tkms_bls_g2 *out, const tkms_bls_g2 *a, const tkms_bls_g2 *b);
TKMS_EXPORT void tkms_bls_g2_dbl(tkms_bls_g2 *out, const tkms_bls_g2 *a);
TKMS_EXPORT void tkms_bls_g2_neg(tkms_bls_g2 *out, const tkms_bls_g2 *a);
/* [k]Q in constant time (GLS with ψ, four 64-bit digits); Q must be in G2. */
TKMS_EXPORT void tkms_bls_g2_mul(tkms_bls_g2 *out, const tkms_bls_g2 *p, const tkms_bls_fr *k);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g2_msm_vartime(tkms_bls_g2 *out,
                                                           const tkms_bls_g2 *points,
                                                           const tkms_bls_fr *scalars,
                                                           size_t count);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g2_decode(tkms_bls_g2 *out,
                                                      const uint8_t in[TKMS_BLS_G2_BYTES]);
TKMS_EXPORT TKMS_MUST_USE tkms_err
tkms_bls_g2_decode_uncompressed(tkms_bls_g2 *out, const uint8_t in[TKMS_BLS_G2_UNCOMPRESSED_BYTES]);
/* Either encoding, chosen by length (96 or 192; else TKMS_ERR_BLS_BAD_LENGTH). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g2_from_bytes(tkms_bls_g2 *out, const uint8_t *in,
                                                          size_t len);
TKMS_EXPORT void tkms_bls_g2_encode(uint8_t out[TKMS_BLS_G2_BYTES], const tkms_bls_g2 *p);
TKMS_EXPORT void tkms_bls_g2_encode_uncompressed(uint8_t out[TKMS_BLS_G2_UNCOMPRESSED_BYTES],
                                                 const tkms_bls_g2 *p);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g2_hash(tkms_bls_g2 *out, const uint8_t *msg,
                                                    size_t msg_len, const uint8_t *dst,
                                                    size_t dst_len);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_g2_encode_to_curve(tkms_bls_g2 *out,
                                                               const uint8_t *msg, size_t msg_len,
                                                               const uint8_t *dst, size_t dst_len);

/* ---- Pairing and GT -------------------------------------------------------------- */
/* e(P, Q): optimal ate pairing with the standard final exponentiation (crypto.md §3). */
TKMS_EXPORT void tkms_bls_pairing(tkms_bls_gt *out, const tkms_bls_g1 *p, const tkms_bls_g2 *q);
/* Π e(P_i, Q_i) with one shared final exponentiation; count <= TKMS_BLS_PAIRING_COUNT_MAX. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_pairing_multi(tkms_bls_gt *out,
                                                          const tkms_bls_g1 *ps,
                                                          const tkms_bls_g2 *qs, size_t count);
TKMS_EXPORT void tkms_bls_gt_one(tkms_bls_gt *out);
TKMS_EXPORT bool tkms_bls_gt_is_one(const tkms_bls_gt *a);
TKMS_EXPORT bool tkms_bls_gt_equal(const tkms_bls_gt *a, const tkms_bls_gt *b);
TKMS_EXPORT void tkms_bls_gt_mul(tkms_bls_gt *out, const tkms_bls_gt *a, const tkms_bls_gt *b);
/* a^k in constant time (k may be secret); a must be in GT (cyclotomic squaring). */
TKMS_EXPORT void tkms_bls_gt_pow(tkms_bls_gt *out, const tkms_bls_gt *a, const tkms_bls_fr *k);
/* 576-byte encoding, gnark/kilic order (crypto.md §2): c1.c2.c1 ‖ … ‖ c0.c0.c0. */
TKMS_EXPORT void tkms_bls_gt_encode(uint8_t out[TKMS_BLS_GT_BYTES], const tkms_bls_gt *a);
/* The IBE KDF input of crypto.md §3: the encoding of a³ (gnark's Pair() convention).
   This is the one place where the cube is applied. */
TKMS_EXPORT void tkms_bls_gt_encode_cubed(uint8_t out[TKMS_BLS_GT_BYTES], const tkms_bls_gt *a);

/* ---- expand_message_xmd (RFC 9380 §5.3.1, SHA-256) -------------------------------- */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_bls_expand_message_xmd(uint8_t *out, size_t out_len,
                                                               const uint8_t *msg,
                                                               size_t msg_len,
                                                               const uint8_t *dst,
                                                               size_t dst_len);

#endif
