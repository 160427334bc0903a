/*
 * fp12.c — the tower Fp6 = Fp2[v]/(v³ − ξ), ξ = u + 1, and Fp12 = Fp6[w]/(w² − v)
 * (crypto.md §1). GT lives in Fp12.
 *
 * Constant time. An Fp12 element c0 + c1·w with c_i = b_i0 + b_i1·v + b_i2·v² has, on the
 * basis w^j (j = 0..5), the coefficients b00 (w⁰), b10 (w¹), b01 (w²), b11 (w³), b02 (w⁴),
 * b12 (w⁵) — the index the Frobenius table FP12_FROB uses. The sparse line product and
 * the cyclotomic squaring used by the pairing live in pairing.c.
 */
#include "bls/internal.h"

void fp6_zero(fp6 *out) {
    fp2_zero(&out->c0);
    fp2_zero(&out->c1);
    fp2_zero(&out->c2);
}

void fp6_one(fp6 *out) {
    out->c0 = FP2_ONE;
    fp2_zero(&out->c1);
    fp2_zero(&out->c2);
}

void fp6_add(fp6 *out, const fp6 *a, const fp6 *b) {
    fp2_add(&out->c0, &a->c0, &b->c0);
    fp2_add(&out->c1, &a->c1, &b->c1);
    fp2_add(&out->c2, &a->c2, &b->c2);
}

void fp6_sub(fp6 *out, const fp6 *a, const fp6 *b) {
    fp2_sub(&out->c0, &a->c0, &b->c0);
    fp2_sub(&out->c1, &a->c1, &b->c1);
    fp2_sub(&out->c2, &a->c2, &b->c2);
}

void fp6_neg(fp6 *out, const fp6 *a) {
    fp2_neg(&out->c0, &a->c0);
    fp2_neg(&out->c1, &a->c1);
    fp2_neg(&out->c2, &a->c2);
}

/* (c0 + c1v + c2v²)·v = ξc2 + c0v + c1v². */
void fp6_mul_by_nonresidue(fp6 *out, const fp6 *a) {
    fp2 t;
    fp2_mul_by_nonresidue(&t, &a->c2);
    out->c2 = a->c1;
    out->c1 = a->c0;
    out->c0 = t;
}

/* Karatsuba over the three Fp2 coefficients (6 Fp2 products). */
void fp6_mul(fp6 *out, const fp6 *a, const fp6 *b) {
    fp2 t0, t1, t2, s, u, c0, c1, c2;
    fp2_mul(&t0, &a->c0, &b->c0);
    fp2_mul(&t1, &a->c1, &b->c1);
    fp2_mul(&t2, &a->c2, &b->c2);
    /* c0 = t0 + ξ((a1 + a2)(b1 + b2) − t1 − t2) */
    fp2_add(&s, &a->c1, &a->c2);
    fp2_add(&u, &b->c1, &b->c2);
    fp2_mul(&s, &s, &u);
    fp2_sub(&s, &s, &t1);
    fp2_sub(&s, &s, &t2);
    fp2_mul_by_nonresidue(&s, &s);
    fp2_add(&c0, &s, &t0);
    /* c1 = (a0 + a1)(b0 + b1) − t0 − t1 + ξt2 */
    fp2_add(&s, &a->c0, &a->c1);
    fp2_add(&u, &b->c0, &b->c1);
    fp2_mul(&s, &s, &u);
    fp2_sub(&s, &s, &t0);
    fp2_sub(&s, &s, &t1);
    fp2_mul_by_nonresidue(&u, &t2);
    fp2_add(&c1, &s, &u);
    /* c2 = (a0 + a2)(b0 + b2) − t0 − t2 + t1 */
    fp2_add(&s, &a->c0, &a->c2);
    fp2_add(&u, &b->c0, &b->c2);
    fp2_mul(&s, &s, &u);
    fp2_sub(&s, &s, &t0);
    fp2_sub(&s, &s, &t2);
    fp2_add(&c2, &s, &t1);
    out->c0 = c0;
    out->c1 = c1;
    out->c2 = c2;
}

/* Chung–Hasan SQR2. */
void fp6_sqr(fp6 *out, const fp6 *a) {
    fp2 s0, s1, s2, s3, s4, t;
    fp2_sqr(&s0, &a->c0);
    fp2_mul(&s1, &a->c0, &a->c1);
    fp2_dbl(&s1, &s1);
    fp2_sub(&s2, &a->c0, &a->c1);
    fp2_add(&s2, &s2, &a->c2);
    fp2_sqr(&s2, &s2);
    fp2_mul(&s3, &a->c1, &a->c2);
    fp2_dbl(&s3, &s3);
    fp2_sqr(&s4, &a->c2);
    /* c2 = s1 + s2 + s3 − s0 − s4 */
    fp2_add(&t, &s1, &s2);
    fp2_add(&t, &t, &s3);
    fp2_sub(&t, &t, &s0);
    fp2_sub(&out->c2, &t, &s4);
    /* c0 = s0 + ξs3, c1 = s1 + ξs4 */
    fp2_mul_by_nonresidue(&s3, &s3);
    fp2_add(&out->c0, &s0, &s3);
    fp2_mul_by_nonresidue(&s4, &s4);
    fp2_add(&out->c1, &s1, &s4);
}

void fp6_inv(fp6 *out, const fp6 *a) {
    fp2 t0, t1, t2, s, d;
    /* t0 = a0² − ξa1a2, t1 = ξa2² − a0a1, t2 = a1² − a0a2 */
    fp2_sqr(&t0, &a->c0);
    fp2_mul(&s, &a->c1, &a->c2);
    fp2_mul_by_nonresidue(&s, &s);
    fp2_sub(&t0, &t0, &s);
    fp2_sqr(&t1, &a->c2);
    fp2_mul_by_nonresidue(&t1, &t1);
    fp2_mul(&s, &a->c0, &a->c1);
    fp2_sub(&t1, &t1, &s);
    fp2_sqr(&t2, &a->c1);
    fp2_mul(&s, &a->c0, &a->c2);
    fp2_sub(&t2, &t2, &s);
    /* d = a0t0 + ξ(a2t1 + a1t2) */
    fp2_mul(&d, &a->c2, &t1);
    fp2_mul(&s, &a->c1, &t2);
    fp2_add(&d, &d, &s);
    fp2_mul_by_nonresidue(&d, &d);
    fp2_mul(&s, &a->c0, &t0);
    fp2_add(&d, &d, &s);
    fp2_inv(&d, &d);
    fp2_mul(&out->c0, &t0, &d);
    fp2_mul(&out->c1, &t1, &d);
    fp2_mul(&out->c2, &t2, &d);
}

void fp12_one(fp12 *out) {
    fp6_one(&out->c0);
    fp6_zero(&out->c1);
}

bool fp12_equal(const fp12 *a, const fp12 *b) {
    const fp2 *x = &a->c0.c0, *y = &b->c0.c0;
    limb_t acc = 0;
    for (size_t i = 0; i < 6; i++) {
        fp2 d;
        fp2_sub(&d, &x[i], &y[i]);
        acc |= ~fp2_is_zero_mask(&d);
    }
    return acc == 0;
}

bool fp12_is_one(const fp12 *a) {
    fp12 one;
    fp12_one(&one);
    return fp12_equal(a, &one);
}

void fp12_mul(fp12 *out, const fp12 *a, const fp12 *b) {
    fp6 t0, t1, s, u;
    fp6_mul(&t0, &a->c0, &b->c0);
    fp6_mul(&t1, &a->c1, &b->c1);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_add(&u, &b->c0, &b->c1);
    fp6_mul(&s, &s, &u);
    fp6_sub(&s, &s, &t0);
    fp6_sub(&out->c1, &s, &t1);
    fp6_mul_by_nonresidue(&t1, &t1);
    fp6_add(&out->c0, &t0, &t1);
}

/* Complex squaring: c0 = (a0 + a1)(a0 + v·a1) − t − v·t, c1 = 2t, t = a0a1. */
void fp12_sqr(fp12 *out, const fp12 *a) {
    fp6 t, s, u, vt;
    fp6_mul(&t, &a->c0, &a->c1);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_mul_by_nonresidue(&u, &a->c1);
    fp6_add(&u, &u, &a->c0);
    fp6_mul(&s, &s, &u);
    fp6_sub(&s, &s, &t);
    fp6_mul_by_nonresidue(&vt, &t);
    fp6_sub(&out->c0, &s, &vt);
    fp6_add(&out->c1, &t, &t);
}

void fp12_conj(fp12 *out, const fp12 *a) {
    out->c0 = a->c0;
    fp6_neg(&out->c1, &a->c1);
}

/* 1/(a0 + a1w) = (a0 − a1w)/(a0² − v·a1²). */
void fp12_inv(fp12 *out, const fp12 *a) {
    fp6 t0, t1;
    fp6_sqr(&t0, &a->c0);
    fp6_sqr(&t1, &a->c1);
    fp6_mul_by_nonresidue(&t1, &t1);
    fp6_sub(&t0, &t0, &t1);
    fp6_inv(&t0, &t0);
    fp6_mul(&out->c0, &a->c0, &t0);
    fp6_mul(&t1, &a->c1, &t0);
    fp6_neg(&out->c1, &t1);
}

/* a^(p^k): conjugate each Fp2 coefficient k times, then scale the coefficient of w^j
   by ξ^(j(p^k − 1)/6). */
void fp12_frobenius(fp12 *out, const fp12 *a, unsigned k) {
    TKMS_ASSERT(k >= 1 && k <= 3);
    /* coefficient of w^j for j = 0..5 */
    const fp2 *in[6] = {&a->c0.c0, &a->c1.c0, &a->c0.c1, &a->c1.c1, &a->c0.c2, &a->c1.c2};
    fp2 res[6];
    for (size_t j = 0; j < 6; j++) {
        fp2 c = *in[j];
        if (k % 2 == 1) {
            fp2_conj(&c, &c);
        }
        fp2_mul(&res[j], &c, &FP12_FROB[k - 1][j]);
    }
    out->c0.c0 = res[0];
    out->c1.c0 = res[1];
    out->c0.c1 = res[2];
    out->c1.c1 = res[3];
    out->c0.c2 = res[4];
    out->c1.c2 = res[5];
}

void fp12_cmov(fp12 *out, const fp12 *a, limb_t flag) {
    fp2 *x = &out->c0.c0;
    const fp2 *y = &a->c0.c0;
    for (size_t i = 0; i < 6; i++) {
        fp2_cmov(&x[i], &y[i], flag);
    }
}
