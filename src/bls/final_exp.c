/*
 * final_exp.c — the final exponentiation of the BLS12-381 pairing and the cyclotomic
 * squaring it runs on (crypto.md §3).
 *
 * f ↦ f^(3·(p^12 − 1)/r). Easy part m = f^((p^6 − 1)(p^2 + 1)) (one inversion, two
 * Frobenius maps), after which m lies in the cyclotomic subgroup, where the inverse is
 * the conjugate and squaring has the cheap Granger–Scott form. Hard part: the
 * Hayashida–Hayasaka–Teruya (2020/875) chain
 *     3·(p^4 − p^2 + 1)/r = (z − 1)²·(z + p)·(z² + p² − 1) + 3,
 * five exponentiations by z (or z/2) and a few Frobenius maps and products.
 *
 * The factor 3 is NOT an extra cube to undo: blst (zkcrypto's chain, whose exponent is
 * the same polynomial), @noble/curves and gnark-crypto all compute this very exponent, and
 * the tests check our value against noble's byte for byte. So this is "the standard
 * e(P, Q)" of crypto.md §3; the IBE KDF cube lives only in tkms_bls_gt_encode_cubed (gt.c).
 *
 * Constant time: the exponents are public constants; no branch or index on the values.
 */
#include "bls/internal.h"

#define FINAL_EXP_Z_ABS 0xd201000000010000ULL

/* (a + b·s)² in Fp4 = Fp2[s]/(s² − ξ): returns c0 = a² + ξb², c1 = 2ab. 3 Fp2 squarings. */
static void fp4_sqr(fp2 *c0, fp2 *c1, const fp2 *a, const fp2 *b) {
    fp2 t0, t1, t2;
    fp2_sqr(&t0, a);
    fp2_sqr(&t1, b);
    fp2_mul_by_nonresidue(&t2, &t1);
    fp2_add(c0, &t2, &t0);
    fp2_add(&t2, a, b);
    fp2_sqr(&t2, &t2);
    fp2_sub(&t2, &t2, &t0);
    fp2_sub(c1, &t2, &t1);
}

/* 3·t − 2·z (or 3·t + 2·z when add is set): the Granger–Scott recombination. */
static void gs_combine(fp2 *z, const fp2 *t, bool add) {
    fp2 u;
    if (add) {
        fp2_add(&u, t, z);
    } else {
        fp2_sub(&u, t, z);
    }
    fp2_dbl(&u, &u);
    fp2_add(z, &u, t);
}

/*
 * Squaring in the cyclotomic subgroup (Granger–Scott 2010, §3.2): Fp12 seen as a cubic
 * extension of Fp4 with pairs (c0.c0, c1.c1), (c1.c0, c0.c2), (c0.c1, c1.c2); 9 Fp2
 * squarings instead of the 12 Fp2 products of a general squaring. Only valid for
 * a^(p^6 + 1) = 1 (everything after the easy part, and GT).
 */
void fp12_cyclotomic_sqr(fp12 *out, const fp12 *a) {
    fp2 z0 = a->c0.c0, z4 = a->c0.c1, z3 = a->c0.c2;
    fp2 z2 = a->c1.c0, z1 = a->c1.c1, z5 = a->c1.c2;
    fp2 t0, t1, t2, t3;
    fp4_sqr(&t0, &t1, &z0, &z1);
    gs_combine(&z0, &t0, false); /* 3t0 − 2z0 */
    gs_combine(&z1, &t1, true);  /* 3t1 + 2z1 */
    fp4_sqr(&t0, &t1, &z2, &z3);
    fp4_sqr(&t2, &t3, &z4, &z5);
    gs_combine(&z4, &t0, false);
    gs_combine(&z5, &t1, true);
    fp2_mul_by_nonresidue(&t0, &t3);
    gs_combine(&z2, &t0, true);
    gs_combine(&z3, &t2, false);
    out->c0.c0 = z0;
    out->c0.c1 = z4;
    out->c0.c2 = z3;
    out->c1.c0 = z2;
    out->c1.c1 = z1;
    out->c1.c2 = z5;
}

/* out = a^e for a public 64-bit e ≥ 1, a cyclotomic: left-to-right square and multiply. */
static void cyclotomic_pow_u64(fp12 *out, const fp12 *a, uint64_t e) {
    TKMS_ASSERT(e != 0);
    fp12 acc = *a;
    int top = 63 - __builtin_clzll(e);
    for (int i = top - 1; i >= 0; i--) {
        fp12_cyclotomic_sqr(&acc, &acc);
        if ((e >> i) & 1) { /* public exponent bit */
            fp12_mul(&acc, &acc, a);
        }
    }
    *out = acc;
}

/* a^z (z < 0: the conjugate of a^|z|). */
static void expt(fp12 *out, const fp12 *a) {
    cyclotomic_pow_u64(out, a, FINAL_EXP_Z_ABS);
    fp12_conj(out, out);
}

/* a^(z/2); z is even. */
static void expt_half(fp12 *out, const fp12 *a) {
    cyclotomic_pow_u64(out, a, FINAL_EXP_Z_ABS >> 1);
    fp12_conj(out, out);
}

/* m^(3(p^4 − p^2 + 1)/r) for cyclotomic m; exponents noted relative to m. */
static void hard_part(fp12 *out, const fp12 *m_in) {
    fp12 m = *m_in, t0, t1, t2;
    fp12_cyclotomic_sqr(&t0, &m); /* m^2 */
    expt_half(&t1, &t0);          /* m^z */
    fp12_conj(&t2, &m);
    fp12_mul(&t1, &t1, &t2); /* m^(z−1) */
    expt(&t2, &t1);          /* m^(z(z−1)) */
    fp12_conj(&t1, &t1);
    fp12_mul(&t1, &t1, &t2); /* m^((z−1)²) */
    expt(&t2, &t1);
    fp12_frobenius(&t1, &t1, 1);
    fp12_mul(&t1, &t1, &t2); /* λ = (z−1)²(z + p) */
    fp12_mul(&m, &m, &t0);   /* m^3 */
    expt(&t0, &t1);          /* m^(λz) */
    expt(&t2, &t0);          /* m^(λz²) */
    fp12_frobenius(&t0, &t1, 2);
    fp12_conj(&t1, &t1);
    fp12_mul(&t1, &t1, &t2);
    fp12_mul(&t1, &t1, &t0); /* m^(λ(z² + p² − 1)) */
    fp12_mul(out, &m, &t1);
    tkms_wipe(&m, sizeof m);
    tkms_wipe(&t0, sizeof t0);
    tkms_wipe(&t1, sizeof t1);
    tkms_wipe(&t2, sizeof t2);
}

void final_exponentiation(fp12 *out, const fp12 *a) {
    fp12 t0, t1;
    /* easy part: f^(p^6 − 1) = conj(f)/f, then ·(p^2 + 1) */
    fp12_conj(&t0, a);
    fp12_inv(&t1, a);
    fp12_mul(&t0, &t0, &t1);
    fp12_frobenius(&t1, &t0, 2);
    fp12_mul(&t0, &t1, &t0);
    hard_part(out, &t0);
    tkms_wipe(&t0, sizeof t0);
    tkms_wipe(&t1, sizeof t1);
}
