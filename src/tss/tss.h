/*
 * tss.h — threshold secret sharing over BLS12-381: evaluation points, polynomials,
 * dealing with Feldman commitments in G2, share checks, Lagrange interpolation at zero,
 * DKG and reshare combination, partial signatures on H1(id) and their recovery.
 *
 * Contract (spec: crypto.md §5–7, §12; protocol.md I2)
 * - No malloc, no I/O, no logging, no global mutable state; thread-safe on distinct
 *   objects. Randomness only through the tkms_rng the caller passes.
 * - Secrets have their own types: tkms_tss_secret (a share or coefficient) and
 *   tkms_tss_poly (a dealer's polynomial). Functions on them are constant time; wipe them
 *   with tkms_tss_secret_wipe / tkms_tss_poly_wipe. tkms_tss_commitments and G1/G2
 *   points are public; `_vartime` functions take only public inputs, except that the
 *   partial-combination MSM is constant time in the (secret) partials and variable time
 *   only in the public Lagrange coefficients.
 * - Before a share is kept, both checks of crypto.md §6 must pass: the share against the
 *   combined commitments (tkms_tss_share_verify_vartime) and, for a reshare, C'_0 == MPK.
 *   tkms_tss_dkg_combine and tkms_tss_reshare_combine perform them and return an error
 *   instead of a share that fails them (protocol.md I2).
 * - Evaluation points are never zero and never repeat within a set
 *   (tkms_tss_points_check); every function that takes a point set checks this.
 */
#ifndef TKMS_TSS_H
#define TKMS_TSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bls/bls.h"
#include "common/tkms_err.h"
#include "common/tkms_rng.h"

/* Limits (style R11). n = 64 is the simulator's largest sweep; t = ceil(2n/3) <= n. */
#define TKMS_TSS_OPERATORS_MAX 64
#define TKMS_TSS_THRESHOLD_MAX TKMS_TSS_OPERATORS_MAX
#define TKMS_TSS_ADDRESS_BYTES 20
#define TKMS_TSS_HASH_BYTES 32
#define TKMS_TSS_ID_BYTES_MAX 256 /* app id length accepted for H1 */

/* The DST of H1 (crypto.md §4). */
#define TKMS_TSS_H1_DST "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"

typedef struct {
    tkms_bls_fr v;
} tkms_tss_secret;

typedef struct {
    uint32_t t;                               /* number of coefficients (threshold) */
    tkms_bls_fr a[TKMS_TSS_THRESHOLD_MAX];    /* a[0] is the dealt secret */
} tkms_tss_poly;

typedef struct {
    uint32_t t;
    tkms_bls_g2 c[TKMS_TSS_THRESHOLD_MAX];    /* c[k] = a[k]·g2 */
} tkms_tss_commitments;

/* t = ceil(2n/3) = (2n + 2)/3 for 1 <= n <= TKMS_TSS_OPERATORS_MAX (crypto.md §6). */
TKMS_EXPORT uint32_t tkms_tss_threshold(uint32_t n);

/* x = keccak256(address) mod r; TKMS_ERR_TSS_ZERO_POINT if that is 0 (crypto.md §5). */
TKMS_EXPORT TKMS_MUST_USE tkms_err
tkms_tss_point_from_address(tkms_bls_fr *x, const uint8_t address[TKMS_TSS_ADDRESS_BYTES]);
/* TKMS_ERR_TSS_ZERO_POINT / TKMS_ERR_TSS_DUPLICATE_POINT / TKMS_ERR_TSS_TOO_MANY. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_tss_points_check(const tkms_bls_fr *xs, size_t count);

/* A random polynomial of t coefficients; a[0] = *constant when given (reshare: f'(0) = s_i),
   random otherwise (DKG). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_tss_poly_random(tkms_tss_poly *out, uint32_t t,
                                                        const tkms_tss_secret *constant,
                                                        const tkms_rng *rng);
/* s = f(x), constant time (Horner). */
TKMS_EXPORT void tkms_tss_poly_eval(tkms_tss_secret *out, const tkms_tss_poly *f,
                                    const tkms_bls_fr *x);
/* c[k] = a[k]·g2. */
TKMS_EXPORT void tkms_tss_poly_commit(tkms_tss_commitments *out, const tkms_tss_poly *f);
TKMS_EXPORT void tkms_tss_poly_wipe(tkms_tss_poly *f);
TKMS_EXPORT void tkms_tss_secret_wipe(tkms_tss_secret *s);

/* Σ_k c[k]·x^k: the public share of the operator at x (one MSM over the commitments). */
TKMS_EXPORT void tkms_tss_public_share_vartime(tkms_bls_g2 *out, const tkms_tss_commitments *c,
                                               const tkms_bls_fr *x);
/* Feldman: s·g2 == Σ_k c[k]·x^k. */
TKMS_EXPORT TKMS_MUST_USE bool tkms_tss_share_verify_vartime(const tkms_tss_secret *s,
                                                             const tkms_bls_fr *x,
                                                             const tkms_tss_commitments *c);

/* Checks the shares of `count` dealings for the player at x together (random linear
   combination); on failure falls back to one-by-one. ok[i] tells which verified; returns
   how many did. Dealings of differing t are checked one by one. */
TKMS_EXPORT size_t tkms_tss_shares_verify_batch_vartime(bool *ok, const tkms_tss_secret *shares,
                                                        const tkms_tss_commitments *dealings,
                                                        size_t count, const tkms_bls_fr *x,
                                                        const tkms_rng *rng);

/* λ_i = Π_{j≠i} x_j/(x_j − x_i) for the set xs (count <= TKMS_TSS_OPERATORS_MAX);
   rejects zero and duplicate points; one batch inversion. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_tss_lagrange_at_zero_vartime(tkms_bls_fr *lambdas,
                                                                     const tkms_bls_fr *xs,
                                                                     size_t count);

/* DKG result for the operator at my_x over the agreed dealer set: s = Σ s_i,
   C = Σ C_i (all dealings must have the same t), checked s·g2 == Σ C_k my_x^k.
   TKMS_ERR_TSS_SHARE_INVALID if the check fails (outputs zeroed). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_tss_dkg_combine(tkms_tss_secret *share,
                                                        tkms_tss_commitments *combined,
                                                        const tkms_tss_secret *dealt,
                                                        const tkms_tss_commitments *dealings,
                                                        size_t dealers, const tkms_bls_fr *my_x);
/* Reshare result: s' = Σ λ_i(D) s'_i, C' = Σ λ_i(D) C'_i over the dealers' points,
   checked C'_0 == mpk (TKMS_ERR_TSS_MPK_CHANGED) and the share against C'
   (TKMS_ERR_TSS_SHARE_INVALID). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_tss_reshare_combine(
    tkms_tss_secret *share, tkms_tss_commitments *combined, const tkms_tss_secret *dealt,
    const tkms_tss_commitments *dealings, const tkms_bls_fr *dealer_xs, size_t dealers,
    const tkms_bls_g2 *mpk, const tkms_bls_fr *my_x);

/* sha256(C_0 ‖ … ‖ C_{t−1}) over compressed G2 and the same with be64(version) appended
   (eigenx compatibility; crypto.md §6). The _bytes forms hash pre-encoded items. */
TKMS_EXPORT void tkms_tss_commitment_hash(uint8_t out[TKMS_TSS_HASH_BYTES],
                                          const tkms_tss_commitments *c);
TKMS_EXPORT void tkms_tss_reshare_commitment_hash(uint8_t out[TKMS_TSS_HASH_BYTES],
                                                  const tkms_tss_commitments *c,
                                                  uint64_t version);
TKMS_EXPORT void tkms_tss_commitment_hash_bytes(uint8_t out[TKMS_TSS_HASH_BYTES],
                                                const uint8_t *encoded, size_t len,
                                                const uint64_t *version);

/* H1(id) = hash_to_curve_G1(id, TKMS_TSS_H1_DST); ids of 1..TKMS_TSS_ID_BYTES_MAX bytes. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_tss_h1(tkms_bls_g1 *out, const uint8_t *id,
                                               size_t id_len);
/* σ_j = s_j·H1(id), constant time. */
TKMS_EXPORT void tkms_tss_partial_sign(tkms_bls_g1 *out, const tkms_tss_secret *share,
                                       const tkms_bls_g1 *h1);
/* e(σ_j, g2) == e(H1(id), PK_j); rejects the identity partial. */
TKMS_EXPORT TKMS_MUST_USE bool tkms_tss_partial_verify_vartime(const tkms_bls_g1 *partial,
                                                               const tkms_bls_g1 *h1,
                                                               const tkms_bls_g2 *public_share);
/* Verifies count partials with one 2-pairing product over random 128-bit coefficients;
   when that fails, falls back to one-by-one. ok[i] tells which passed; returns the
   number that passed. */
TKMS_EXPORT size_t tkms_tss_partials_verify_batch_vartime(bool *ok, const tkms_bls_g1 *partials,
                                                          const tkms_bls_g2 *public_shares,
                                                          size_t count, const tkms_bls_g1 *h1,
                                                          const tkms_rng *rng);
/* sk_id = Σ λ_j σ_j over the partials' points (exactly the t chosen, distinct). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_tss_partials_combine(tkms_bls_g1 *sk,
                                                             const tkms_bls_g1 *partials,
                                                             const tkms_bls_fr *xs,
                                                             size_t count);
/* e(sk_id, g2) == e(H1(id), MPK) and sk_id is not the identity. */
TKMS_EXPORT TKMS_MUST_USE bool tkms_tss_app_key_verify_vartime(const tkms_bls_g1 *sk,
                                                               const tkms_bls_g1 *h1,
                                                               const tkms_bls_g2 *mpk);

#endif
