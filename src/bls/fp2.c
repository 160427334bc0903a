/*
 * fp2.c — Fp2 = Fp[u]/(u² + 1), the field of G2 coordinates (crypto.md §1).
 *
 * Constant time throughout. The square root uses the complex method (two Fp
 * exponentiations instead of two Fp2 ones), both branches computed and selected by mask.
 */
#include "bls/internal.h"

void fp2_zero(fp2 *out) {
    fp_zero(&out->c0);
    fp_zero(&out->c1);
}

void fp2_add(fp2 *out, const fp2 *a, const fp2 *b) {
    fp_add(&out->c0, &a->c0, &b->c0);
    fp_add(&out->c1, &a->c1, &b->c1);
}

void fp2_sub(fp2 *out, const fp2 *a, const fp2 *b) {
    fp_sub(&out->c0, &a->c0, &b->c0);
    fp_sub(&out->c1, &a->c1, &b->c1);
}

void fp2_dbl(fp2 *out, const fp2 *a) {
    fp_dbl(&out->c0, &a->c0);
    fp_dbl(&out->c1, &a->c1);
}

void fp2_neg(fp2 *out, const fp2 *a) {
    fp_neg(&out->c0, &a->c0);
    fp_neg(&out->c1, &a->c1);
}

void fp2_conj(fp2 *out, const fp2 *a) {
    out->c0 = a->c0;
    fp_neg(&out->c1, &a->c1);
}

/* Karatsuba: (a0 + a1u)(b0 + b1u) = a0b0 - a1b1 + ((a0 + a1)(b0 + b1) - a0b0 - a1b1)u.
   With the assembly kernel the products stay 768-bit and are reduced twice instead of
   three times (fp_wide.c, lazy reduction: 911 instead of 1428 instructions). The portable
   lazy version saves instructions but not time, so the portable build keeps this one. */
void fp2_mul(fp2 *out, const fp2 *a, const fp2 *b) {
#if defined(TKMS_BLS_ASM)
    fp2_mul_lazy(out, a, b);
#else
    fp t0, t1, s0, s1;
    fp_mul(&t0, &a->c0, &b->c0);
    fp_mul(&t1, &a->c1, &b->c1);
    fp_add(&s0, &a->c0, &a->c1);
    fp_add(&s1, &b->c0, &b->c1);
    fp_mul(&s0, &s0, &s1);
    fp_sub(&out->c0, &t0, &t1);
    fp_sub(&s0, &s0, &t0);
    fp_sub(&out->c1, &s0, &t1);
#endif
}

/* (a0 + a1u)² = (a0 + a1)(a0 - a1) + 2a0a1·u. */
void fp2_sqr(fp2 *out, const fp2 *a) {
    fp s, d, m;
    fp_add(&s, &a->c0, &a->c1);
    fp_sub(&d, &a->c0, &a->c1);
    fp_mul(&m, &a->c0, &a->c1);
    fp_mul(&out->c0, &s, &d);
    fp_dbl(&out->c1, &m);
}

void fp2_mul_fp(fp2 *out, const fp2 *a, const fp *b) {
    fp_mul(&out->c0, &a->c0, b);
    fp_mul(&out->c1, &a->c1, b);
}

void fp2_mul_small(fp2 *out, const fp2 *a, unsigned k) {
    fp_mul_small(&out->c0, &a->c0, k);
    fp_mul_small(&out->c1, &a->c1, k);
}

/* (a0 + a1u)(1 + u) = (a0 - a1) + (a0 + a1)u. */
void fp2_mul_by_nonresidue(fp2 *out, const fp2 *a) {
    fp t;
    fp_sub(&t, &a->c0, &a->c1);
    fp_add(&out->c1, &a->c0, &a->c1);
    out->c0 = t;
}

/* 1/(a0 + a1u) = (a0 - a1u)/(a0² + a1²); the inverse of 0 is 0. */
void fp2_inv(fp2 *out, const fp2 *a) {
    fp t0, t1;
    fp_sqr(&t0, &a->c0);
    fp_sqr(&t1, &a->c1);
    fp_add(&t0, &t0, &t1);
    fp_inv(&t0, &t0);
    fp_mul(&out->c0, &a->c0, &t0);
    fp_mul(&t1, &a->c1, &t0);
    fp_neg(&out->c1, &t1);
}

limb_t fp2_is_zero_mask(const fp2 *a) {
    return fp_is_zero_mask(&a->c0) & fp_is_zero_mask(&a->c1);
}

bool fp2_is_zero(const fp2 *a) {
    return (fp2_is_zero_mask(a) & 1) != 0;
}

bool fp2_equal(const fp2 *a, const fp2 *b) {
    fp2 d;
    fp2_sub(&d, a, b);
    return fp2_is_zero(&d);
}

void fp2_cmov(fp2 *out, const fp2 *a, limb_t flag) {
    fp_cmov(&out->c0, &a->c0, flag);
    fp_cmov(&out->c1, &a->c1, flag);
}

/* RFC 9380 §4.1 sgn0 for m = 2. */
limb_t fp2_sgn0(const fp2 *a) {
    limb_t sign0 = fp_sgn0(&a->c0);
    limb_t zero0 = fp_is_zero_mask(&a->c0) & 1;
    limb_t sign1 = fp_sgn0(&a->c1);
    return sign0 | (zero0 & sign1);
}

/* ZCash flag: compare c1 first, c0 when c1 = 0. */
limb_t fp2_is_lexicographically_largest(const fp2 *a) {
    limb_t l1 = fp_is_lexicographically_largest(&a->c1);
    limb_t l0 = fp_is_lexicographically_largest(&a->c0);
    limb_t z1 = fp_is_zero_mask(&a->c1) & 1;
    return l1 | (z1 & l0);
}

void fp2_pow_public(fp2 *out, const fp2 *a, const limb_t *e, size_t e_limbs) {
    fp2 acc = FP2_ONE;
    fp2 base = *a;
    bool started = false;
    for (size_t i = e_limbs; i-- > 0;) {
        for (int b = 63; b >= 0; b--) {
            if (started) {
                fp2_sqr(&acc, &acc);
            }
            if ((e[i] >> b) & 1) { /* public exponent bit */
                fp2_mul(&acc, &acc, &base);
                started = true;
            }
        }
    }
    *out = acc;
}

/*
 * Square root by the complex method, with two Fp exponentiations and no branch:
 *   α = √(a0² + a1²) (the norm); δ = (a0 + α)/2; y = δ^((p−3)/4).
 *   δ a square:     x0 = yδ (= √δ) and x1 = a1/(2x0) = a1·y/2   (1/√δ = y)
 *   δ a non-square: δ' = (a0 − α)/2 = −a1²/(4δ) is one, √δ' = a1·y/2, and
 *                   x1' = a1/(2√δ') = 1/y = −δy                 (δy² = −1)
 * For a1 = 0 the sign of α matters (δ would be 0), so α is taken to be a0 there. The
 * result is checked by squaring: a non-square a (its norm is a non-square) fails.
 */
bool fp2_sqrt(fp2 *out, const fp2 *a) {
    static const limb_t p_minus_3_div_4[6] = {0xee7fbfffffffeaaaULL, 0x07aaffffac54ffffULL,
                                              0xd9cc34a83dac3d89ULL, 0xd91dd2e13ce144afULL,
                                              0x92c6e9ed90d2eb35ULL, 0x0680447a8e5ff9a6ULL};
    fp norm, alpha, delta, y, t, x0, x1;
    fp2 x, check;
    fp_sqr(&norm, &a->c0);
    fp_sqr(&t, &a->c1);
    fp_add(&norm, &norm, &t);
    (void)fp_sqrt(&alpha, &norm); /* a non-square norm fails the final check */
    fp_cmov(&alpha, &a->c0, fp_is_zero_mask(&a->c1) & 1);
    fp_add(&delta, &a->c0, &alpha);
    fp_mul(&delta, &delta, &FP_HALF);
    fp_pow_public(&y, &delta, p_minus_3_div_4, 6);
    fp_mul(&x0, &y, &delta);         /* square case: x0 = yδ */
    fp_mul(&x1, &a->c1, &y);
    fp_mul(&x1, &x1, &FP_HALF);         /* x1 = a1·y/2 */
    fp d;
    fp_sqr(&t, &x0);
    fp_sub(&d, &t, &delta);
    limb_t square = fp_is_zero_mask(&d) & 1;
    /* non-square case: (x1, −δy) as (real, imaginary) */
    x.c0 = x1;
    fp_mul(&t, &delta, &y);
    fp_neg(&x.c1, &t);
    fp2 sq = {x0, x1};
    fp2_cmov(&x, &sq, square);
    fp2_sqr(&check, &x);
    *out = x;
    return fp2_equal(&check, a);
}
