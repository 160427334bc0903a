/*
 * fp_wide.c — double-width (768-bit, 12-limb) Fp products and Montgomery reduction, for
 * lazy reduction: a sum of products is formed exactly and reduced once (blst mul_382x).
 *
 * fp_mul384 is the plain product, fp_redc the Montgomery reduction t·R⁻¹ mod p of any
 * t < p·2^384 (fully reduced output). Both dispatch to the mulx/adx kernel
 * (fp_x86_64.S) under TKMS_BLS_ASM; the *_portable versions are always compiled so the
 * tests can compare them. fp2_mul_lazy is the Karatsuba Fp2 product with two reductions
 * instead of three Montgomery products (one fused assembly call under TKMS_BLS_ASM).
 * Everything is constant time: the only data-dependent choice (adding p·2^384 after a
 * negative difference) is a mask. Not here: the one-width Montgomery product (fp.c,
 * limbs.h). Spec: crypto.md §1, §12.
 */
#include "bls/internal.h"
#include "bls/limbs.h"

void fp_mul384_portable(limb_t out[12], const limb_t a[6], const limb_t b[6]) {
    limb_t t[12] = {0}; /* local: the result may be written over a or b afterwards */
    for (size_t i = 0; i < 6; i++) {
        limb_t carry = 0;
        for (size_t j = 0; j < 6; j++) {
            dlimb_t uv = (dlimb_t)a[j] * b[i] + t[i + j] + carry;
            t[i + j] = (limb_t)uv;
            carry = (limb_t)(uv >> 64);
        }
        t[i + 6] = carry;
    }
    for (size_t i = 0; i < 12; i++) {
        out[i] = t[i];
    }
}

/*
 * Six Montgomery steps on the low half w (< 2^384) give L = (w + Q·p)/2^384 <= p with
 * no carry limb (each step keeps w < 2^320 + p); then L + t_high <= p + (p - 1) < 2p
 * because t < p·2^384, and one conditional subtraction finishes.
 */
void fp_redc_portable(limb_t out[6], const limb_t t[12]) {
    limb_t w[6];
    for (size_t i = 0; i < 6; i++) {
        w[i] = t[i];
    }
    for (size_t i = 0; i < 6; i++) {
        limb_t q = w[0] * BLS_P_N0;
        dlimb_t uv = (dlimb_t)q * BLS_P[0] + w[0];
        limb_t carry = (limb_t)(uv >> 64);
        for (size_t j = 1; j < 6; j++) {
            uv = (dlimb_t)q * BLS_P[j] + w[j] + carry;
            w[j - 1] = (limb_t)uv;
            carry = (limb_t)(uv >> 64);
        }
        w[5] = carry;
    }
    limb_t carry = 0;
    for (size_t i = 0; i < 6; i++) {
        dlimb_t s = (dlimb_t)w[i] + t[6 + i] + carry;
        w[i] = (limb_t)s;
        carry = (limb_t)(s >> 64);
    }
    limbs_cond_sub(out, w, BLS_P, 6);
}

void fp_mul384(limb_t out[12], const limb_t a[6], const limb_t b[6]) {
#if defined(TKMS_BLS_ASM)
    tkms_bls_fp_mul384_adx(out, a, b);
#else
    fp_mul384_portable(out, a, b);
#endif
}

void fp_redc(fp *out, const limb_t t[12]) {
#if defined(TKMS_BLS_ASM)
    tkms_bls_fp_redc_adx(out->l, t);
#else
    fp_redc_portable(out->l, t);
#endif
}

/* out = a + b over n limbs; the caller guarantees no carry out (values below 2^(64n-1)). */
static inline void add_n(limb_t *out, const limb_t *a, const limb_t *b, size_t n) {
    limb_t carry = 0;
    for (size_t i = 0; i < n; i++) {
        dlimb_t s = (dlimb_t)a[i] + b[i] + carry;
        out[i] = (limb_t)s;
        carry = (limb_t)(s >> 64);
    }
}

/* out = a - b over n limbs; returns the borrow (0 or 1). */
static inline limb_t sub_n(limb_t *out, const limb_t *a, const limb_t *b, size_t n) {
    limb_t borrow = 0;
    for (size_t i = 0; i < n; i++) {
        dlimb_t d = (dlimb_t)a[i] - b[i] - borrow;
        out[i] = (limb_t)d;
        borrow = (limb_t)(d >> 64) & 1;
    }
    return borrow;
}

/*
 * (a0 + a1·u)(b0 + b1·u) with u² = -1, Karatsuba on exact 768-bit products:
 *   c0 = a0·b0 - a1·b1            (plus p·2^384 when negative: then in (0, p·2^384))
 *   c1 = (a0 + a1)(b0 + b1) - a0·b0 - a1·b1 = a0·b1 + a1·b0 < 2p²
 * The sums a0 + a1, b0 + b1 are left unreduced (< 2p < 2^382), so their product is below
 * 4p² < p·2^384, and both c0 and c1 meet fp_redc's bound. out may alias a or b.
 * (fp_mul384/fp_redc dispatch, so this is also the reference for the fused assembly.)
 */
void fp2_mul_lazy_portable(fp2 *out, const fp2 *a, const fp2 *b) {
    limb_t sa[6], sb[6], t0[12], t1[12], t2[12];
    add_n(sa, a->c0.l, a->c1.l, 6);
    add_n(sb, b->c0.l, b->c1.l, 6);
    fp_mul384(t0, a->c0.l, b->c0.l);
    fp_mul384(t1, a->c1.l, b->c1.l);
    fp_mul384(t2, sa, sb);
    sub_n(t2, t2, t0, 12);
    sub_n(t2, t2, t1, 12);
    limb_t mask = tkms_ct_mask(sub_n(t0, t0, t1, 12));
    limb_t pm[6];
    for (size_t i = 0; i < 6; i++) {
        pm[i] = BLS_P[i] & mask;
    }
    add_n(t0 + 6, t0 + 6, pm, 6); /* mod 2^768: cancels the borrow */
    fp_redc(&out->c0, t0);
    fp_redc(&out->c1, t2);
}

/* The fused assembly does the same steps without the C glue's carry handling. */
void fp2_mul_lazy(fp2 *out, const fp2 *a, const fp2 *b) {
#if defined(TKMS_BLS_ASM)
    _Static_assert(sizeof(fp2) == 12 * sizeof(limb_t), "fp2 is two packed fp");
    tkms_bls_fp2_mul_adx((limb_t *)(void *)out, (const limb_t *)(const void *)a,
                         (const limb_t *)(const void *)b);
#else
    fp2_mul_lazy_portable(out, a, b);
#endif
}
