/*
 * internal.h — what the files of src/bls share: limb arithmetic, fields, curve helpers.
 *
 * Not a public header: only the .c files of src/bls and the bls tests include it. Conventions follow
 * bls.h (outputs first, aliasing allowed, constant time unless named _vartime). Field
 * elements are in Montgomery form (R = 2^384 for Fp, 2^256 for Fr). Masks are limb_t
 * all-ones/all-zero values; `bool` results of constant-time functions are data, and a
 * caller branching on one must know it is public.
 *
 * The in-layer prefix is the mathematical object (fp_, fp2_, fp12_, fr_, g1_, g2_):
 * symbols are hidden by -fvisibility=hidden and only tkms_bls_* is exported (style R2, R3).
 */
#ifndef TKMS_BLS_INTERNAL_H
#define TKMS_BLS_INTERNAL_H

#include "bls/bls.h"
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"

typedef uint64_t limb_t;
typedef unsigned __int128 dlimb_t;
typedef tkms_bls_fp fp;
typedef tkms_bls_fp2 fp2;
typedef tkms_bls_fp6 fp6;
typedef tkms_bls_fp12 fp12;
typedef tkms_bls_fr fr;
typedef tkms_bls_g1 g1;
typedef tkms_bls_g2 g2;

/* Affine points (no identity representation; callers track it). */
typedef struct {
    fp x, y;
} g1_affine;
typedef struct {
    fp2 x, y;
} g2_affine;

/* ---- constants (constants.c) ---- */
extern const limb_t BLS_P[6];      /* p, plain */
extern const limb_t BLS_R[4];      /* r, plain */
extern const limb_t BLS_P_N0;      /* -p^-1 mod 2^64 */
extern const limb_t BLS_R_N0;      /* -r^-1 mod 2^64 */
extern const fp FP_ONE;            /* 1 in Montgomery form */
extern const fp FP_R2;             /* R^2 mod p */
extern const fr FR_ONE;
extern const fr FR_R2;
extern const fp2 FP2_ONE;
extern const fp FP_HALF;           /* 1/2 mod p */
extern const fp G1_B;              /* curve E1: y^2 = x^3 + 4 */
extern const fp2 G2_B;             /* twist E2: y^2 = x^3 + 4(u+1) */
extern const fp G1_BETA;           /* cube root of unity: phi = [-z^2] on G1 */
extern const fp2 G2_PSI_CX, G2_PSI_CY, G2_PSI2_CX;
extern const fp2 FP12_FROB[3][6];  /* xi^(j (p^k-1)/6) */

/* ---- Montgomery kernels (fp.c, fp_x86_64.S) ---- */
void fp_mul_portable(fp *out, const fp *a, const fp *b);
#if defined(TKMS_BLS_ASM)
void tkms_bls_fp_mul_adx(limb_t out[6], const limb_t a[6], const limb_t b[6]);
void tkms_bls_fp_sqr_adx(limb_t out[6], const limb_t a[6]);
void tkms_bls_fr_mul_adx(limb_t out[4], const limb_t a[4], const limb_t b[4]); /* Fr, < r */
#endif

/* ---- wide products and Montgomery reduction (fp_wide.c, fp_x86_64.S) ----
 * Added by the Fp kernel owner, for lazy reduction. A wide value is 12 little-endian limbs.
 * fp_mul384: out = a·b exactly, for any 6-limb a, b (e.g. an unreduced sum of two elements);
 * out must not overlap a or b. fp_redc: out = t·R⁻¹ mod p, fully reduced, for t < p·2^384;
 * out may alias t. The *_portable versions are always compiled (tests compare them).
 * fp2_mul_lazy: Karatsuba Fp2 product with two reductions (proposed body of fp2_mul);
 * the assembly fuses it (tkms_bls_fp2_mul_adx), fp2_mul_lazy_portable is the C version. */
void fp_mul384(limb_t out[12], const limb_t a[6], const limb_t b[6]);
void fp_redc(fp *out, const limb_t t[12]);
void fp_mul384_portable(limb_t out[12], const limb_t a[6], const limb_t b[6]);
void fp_redc_portable(limb_t out[6], const limb_t t[12]);
void fp2_mul_lazy(fp2 *out, const fp2 *a, const fp2 *b);
void fp2_mul_lazy_portable(fp2 *out, const fp2 *a, const fp2 *b);
#if defined(TKMS_BLS_ASM)
void tkms_bls_fp_mul384_adx(limb_t out[12], const limb_t a[6], const limb_t b[6]);
void tkms_bls_fp_redc_adx(limb_t out[6], const limb_t t[12]);
void tkms_bls_fp2_mul_adx(limb_t out[12], const limb_t a[12], const limb_t b[12]);
/* a ± b mod p for a, b < p (out may alias): drop-in bodies for fp_add / fp_sub. */
void tkms_bls_fp_add_adx(limb_t out[6], const limb_t a[6], const limb_t b[6]);
void tkms_bls_fp_sub_adx(limb_t out[6], const limb_t a[6], const limb_t b[6]);
#endif

/* ---- Fp (fp.c) ---- */
void fp_zero(fp *out);
void fp_add(fp *out, const fp *a, const fp *b);
void fp_sub(fp *out, const fp *a, const fp *b);
void fp_dbl(fp *out, const fp *a);
void fp_neg(fp *out, const fp *a); /* -0 = 0 */
void fp_mul(fp *out, const fp *a, const fp *b);
void fp_sqr(fp *out, const fp *a);
void fp_mul_small(fp *out, const fp *a, unsigned k); /* k <= 16, by additions */
void fp_inv(fp *out, const fp *a);                   /* a^(p-2); inverse of 0 is 0 */
/* out = a^((p+1)/4); returns true iff out^2 == a (a is a square). */
bool fp_sqrt(fp *out, const fp *a);
/* out = a^e for a public exponent e given as little-endian limbs. */
void fp_pow_public(fp *out, const fp *a, const limb_t *e, size_t e_limbs);
bool fp_is_zero(const fp *a);
bool fp_equal(const fp *a, const fp *b);
limb_t fp_is_zero_mask(const fp *a);
/* out = flag ? a : out, flag in {0, 1}, without branching. */
void fp_cmov(fp *out, const fp *a, limb_t flag);
/* sgn0 of RFC 9380 (parity of the canonical value). */
limb_t fp_sgn0(const fp *a);
/* 1 if a > (p-1)/2 as canonical integers (ZCash "larger y" flag), else 0. */
limb_t fp_is_lexicographically_largest(const fp *a);
void fp_from_u64(fp *out, uint64_t v);
/* Plain limbs (< p) to Montgomery form and back. */
void fp_from_raw(fp *out, const limb_t raw[6]);
void fp_to_raw(limb_t raw[6], const fp *a);
/* 48 big-endian bytes; returns false if the value is >= p (out is then zero). */
bool fp_from_bytes(fp *out, const uint8_t in[48]);
void fp_to_bytes(uint8_t out[48], const fp *a);
/* 64 big-endian bytes reduced mod p (hash_to_field). */
void fp_from_bytes64_reduce(fp *out, const uint8_t in[64]);

/* ---- Fr (fr.c) ---- */
void fr_mul_mont(fr *out, const fr *a, const fr *b);
/* Plain little-endian limbs of a (< r). */
void fr_to_raw(limb_t raw[4], const fr *a);

/* ---- Fp2 (fp2.c) — Fp[u]/(u^2+1) ---- */
void fp2_zero(fp2 *out);
void fp2_add(fp2 *out, const fp2 *a, const fp2 *b);
void fp2_sub(fp2 *out, const fp2 *a, const fp2 *b);
void fp2_dbl(fp2 *out, const fp2 *a);
void fp2_neg(fp2 *out, const fp2 *a);
void fp2_conj(fp2 *out, const fp2 *a);
void fp2_mul(fp2 *out, const fp2 *a, const fp2 *b);
void fp2_sqr(fp2 *out, const fp2 *a);
void fp2_mul_fp(fp2 *out, const fp2 *a, const fp *b);
void fp2_mul_small(fp2 *out, const fp2 *a, unsigned k);
void fp2_mul_by_nonresidue(fp2 *out, const fp2 *a); /* a·(u+1) */
void fp2_inv(fp2 *out, const fp2 *a);
/* Frobenius: a^p = conj(a). */
#define fp2_frobenius fp2_conj
/* out = sqrt(a) if a is a square in Fp2 (returns true), constant time. */
bool fp2_sqrt(fp2 *out, const fp2 *a);
bool fp2_is_zero(const fp2 *a);
bool fp2_equal(const fp2 *a, const fp2 *b);
limb_t fp2_is_zero_mask(const fp2 *a);
void fp2_cmov(fp2 *out, const fp2 *a, limb_t flag);
limb_t fp2_sgn0(const fp2 *a);
limb_t fp2_is_lexicographically_largest(const fp2 *a);
void fp2_pow_public(fp2 *out, const fp2 *a, const limb_t *e, size_t e_limbs);

/* ---- Fp6 / Fp12 (fp12.c) — Fp6 = Fp2[v]/(v^3-(u+1)), Fp12 = Fp6[w]/(w^2-v) ---- */
void fp6_zero(fp6 *out);
void fp6_one(fp6 *out);
void fp6_add(fp6 *out, const fp6 *a, const fp6 *b);
void fp6_sub(fp6 *out, const fp6 *a, const fp6 *b);
void fp6_neg(fp6 *out, const fp6 *a);
void fp6_mul(fp6 *out, const fp6 *a, const fp6 *b);
void fp6_sqr(fp6 *out, const fp6 *a);
void fp6_mul_by_nonresidue(fp6 *out, const fp6 *a); /* a·v */
void fp6_inv(fp6 *out, const fp6 *a);
void fp12_one(fp12 *out);
bool fp12_is_one(const fp12 *a);
bool fp12_equal(const fp12 *a, const fp12 *b);
void fp12_mul(fp12 *out, const fp12 *a, const fp12 *b);
void fp12_sqr(fp12 *out, const fp12 *a);
void fp12_conj(fp12 *out, const fp12 *a); /* a^(p^6): the inverse on the cyclotomic subgroup */
void fp12_inv(fp12 *out, const fp12 *a);
/* a^(p^k) for k = 1, 2, 3. */
void fp12_frobenius(fp12 *out, const fp12 *a, unsigned k);
/* Multiply by a sparse line value (c0 + c1·v) + c4·v·w (M-type twist, pairing.c). */
void fp12_mul_by_014(fp12 *out, const fp12 *a, const fp2 *c0, const fp2 *c1, const fp2 *c4);
void fp12_cyclotomic_sqr(fp12 *out, const fp12 *a);
void fp12_cmov(fp12 *out, const fp12 *a, limb_t flag);

/* ---- curves (g1.c, g2.c; the group law is ec_impl.h, instantiated per curve) ----
 * Projective (X:Y:Z), identity (0:1:0), complete formulas: every function accepts every
 * point, including the identity. Masks are all-ones/zero limbs. */
extern const g1 G1_GENERATOR;
extern const g2 G2_GENERATOR;
#define EC_DECLARE(C, P, A)                                                                       \
    void C##_identity_set(P *out);                                                               \
    limb_t C##_is_identity_mask(const P *p);                                                     \
    void C##_add(P *out, const P *p, const P *q);                                                \
    void C##_add_affine(P *out, const P *p, const A *q); /* q is never the identity */           \
    void C##_dbl(P *out, const P *p);                                                            \
    void C##_neg_point(P *out, const P *p);                                                      \
    void C##_cmov(P *out, const P *p, limb_t flag);                                              \
    limb_t C##_equal_mask(const P *p, const P *q);                                               \
    limb_t C##_is_on_curve_mask(const P *p);                                                     \
    void C##_to_affine(A *out, const P *p); /* p is not the identity */                          \
    void C##_from_affine(P *out, const A *a);                                                    \
    /* [k]p for a public k (little-endian limbs), any p on the curve (double-and-add) */         \
    void C##_mul_public_vartime(P *out, const P *p, const limb_t *k, size_t k_limbs);            \
    /* [|z|]p, |z| = 0xd201000000010000 (negate for [z]); Jacobian chain, exact for every */     \
    /* p on the curve (also attacker-chosen ones) and constant time in p */                      \
    void C##_mul_by_z_abs(P *out, const P *p);
EC_DECLARE(g1, g1, g1_affine)
EC_DECLARE(g2, g2, g2_affine)
#undef EC_DECLARE
/* ψ on E2 (untwist–Frobenius–twist, = [z] on G2) and φ(x, y) = (βx, y) on E1 (= [−z²]). */
void g2_psi(g2 *out, const g2 *p);
void g1_phi(g1 *out, const g1 *p);
/* Cofactor clearing for hash-to-curve (RFC 9380 §8.8), h2c_g1.c / h2c_g2.c. */
void g1_clear_cofactor(g1 *out, const g1 *p);
void g2_clear_cofactor(g2 *out, const g2 *p);

/* ---- scalar splitting (scalar.c), constant time ---- */
/* k = k0 + k1·z² with k0, k1 < 2^128 (GLV on G1). */
void scalar_split_glv(limb_t k0[2], limb_t k1[2], const fr *k);
/* k = Σ digits[i]·|z|^i with digits < |z| < 2^64 (GLS on G2). */
void scalar_split_gls(limb_t digits[4], const fr *k);

/* ---- hash to curve (xmd.c, h2c_g1.c, h2c_g2.c, h2c_constants.c; RFC 9380) ----
 * Added by the hash-to-curve owner. hash_to_field is §5.2 with L = 64 and
 * expand_message_xmd (SHA-256); dst_len must be 1..255 (TKMS_ERR_BLS_DST_LENGTH).
 * g*_map_to_curve is map_to_curve of §6.6.3 (simplified SWU on the isogenous curve, then
 * the isogeny), without cofactor clearing: the Q0/Q1/Q of the RFC test vectors. */
tkms_err fp_hash_to_field(fp *out, size_t count, const uint8_t *msg, size_t msg_len,
                          const uint8_t *dst, size_t dst_len);
tkms_err fp2_hash_to_field(fp2 *out, size_t count, const uint8_t *msg, size_t msg_len,
                           const uint8_t *dst, size_t dst_len);
void g1_map_to_curve(g1 *out, const fp *u);
void g2_map_to_curve(g2 *out, const fp2 *u);
/* Fixed exponentiation chain (h2c_constants.c): acc = acc^(2^sqr) * a^digit, digit odd
   (or 0: squarings only), for k = (p - 11)/16, from which both sqrt_ratio exponents follow. */
typedef struct {
    uint16_t sqr;
    uint16_t digit;
} h2c_chain_step;
#define H2C_SQRT_CHAIN_LEN 68
#define H2C_SQRT_CHAIN_WINDOW 5
extern const h2c_chain_step H2C_SQRT_CHAIN[H2C_SQRT_CHAIN_LEN];
extern const fp H2C_G1_A, H2C_G1_B, H2C_G1_B3, H2C_G1_Z, H2C_G1_SQRT_MINUS_Z;
extern const fp H2C_G1_XNUM[12], H2C_G1_XDEN[10], H2C_G1_YNUM[16], H2C_G1_YDEN[15];
extern const fp2 H2C_G2_A, H2C_G2_B, H2C_G2_B3, H2C_G2_Z, H2C_G2_C6, H2C_G2_C7;
extern const fp2 H2C_G2_XNUM[4], H2C_G2_XDEN[2], H2C_G2_YNUM[4], H2C_G2_YDEN[3];

/* ---- pairing internals (pairing.c; final_exponentiation and fp12_cyclotomic_sqr in
 * final_exp.c) ---- */
void miller_loop_multi(fp12 *out, const g1_affine *ps, const g2_affine *qs, size_t count);
void final_exponentiation(fp12 *out, const fp12 *a);

#endif
