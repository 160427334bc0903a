/*
 * limbs.h — constant-time multi-limb arithmetic modulo an n-limb modulus (n = 4 or 6),
 * shared by Fp (fp.c) and Fr (fr.c). Static inline so each caller gets a fully unrolled
 * copy for its constant n. Inputs are reduced (< m); outputs are reduced.
 */
#ifndef TKMS_BLS_LIMBS_H
#define TKMS_BLS_LIMBS_H

#include "bls/internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
/* Carry-chain helpers: the x86-64 intrinsics compile to one adc/sbb per limb with gcc and
   clang, where the dlimb_t formulation below costs 3-4 instructions per limb. */
static inline limb_t limbs_adc(limb_t *out, limb_t a, limb_t b, limb_t carry) {
    unsigned long long r;
    limb_t c = _addcarry_u64((unsigned char)carry, a, b, &r);
    *out = r;
    return c;
}
static inline limb_t limbs_sbb(limb_t *out, limb_t a, limb_t b, limb_t borrow) {
    unsigned long long r;
    limb_t c = _subborrow_u64((unsigned char)borrow, a, b, &r);
    *out = r;
    return c;
}
#else
static inline limb_t limbs_adc(limb_t *out, limb_t a, limb_t b, limb_t carry) {
    dlimb_t s = (dlimb_t)a + b + carry;
    *out = (limb_t)s;
    return (limb_t)(s >> 64);
}
static inline limb_t limbs_sbb(limb_t *out, limb_t a, limb_t b, limb_t borrow) {
    dlimb_t d = (dlimb_t)a - b - borrow;
    *out = (limb_t)d;
    return (limb_t)(d >> 64) & 1;
}
#endif

/* out = a - m if a >= m else a, for a < 2m. */
static inline void limbs_cond_sub(limb_t *out, const limb_t *a, const limb_t *m, size_t n) {
    limb_t t[6];
    limb_t borrow = 0;
    for (size_t i = 0; i < n; i++) {
        borrow = limbs_sbb(&t[i], a[i], m[i], borrow);
    }
    limb_t keep = tkms_ct_mask(borrow); /* borrow: a < m, keep a */
    for (size_t i = 0; i < n; i++) {
        out[i] = (a[i] & keep) | (t[i] & ~keep);
    }
}

/* Moduli here are below 2^(64n-2), so a + b never carries out of the top limb. */
static inline void limbs_add_mod(limb_t *out, const limb_t *a, const limb_t *b, const limb_t *m,
                                 size_t n) {
    limb_t t[6];
    limb_t carry = 0;
    for (size_t i = 0; i < n; i++) {
        carry = limbs_adc(&t[i], a[i], b[i], carry);
    }
    limbs_cond_sub(out, t, m, n);
}

static inline void limbs_sub_mod(limb_t *out, const limb_t *a, const limb_t *b, const limb_t *m,
                                 size_t n) {
    limb_t t[6];
    limb_t borrow = 0;
    for (size_t i = 0; i < n; i++) {
        borrow = limbs_sbb(&t[i], a[i], b[i], borrow);
    }
    limb_t mask = tkms_ct_mask(borrow);
    limb_t carry = 0;
    for (size_t i = 0; i < n; i++) {
        carry = limbs_adc(&out[i], t[i], m[i] & mask, carry);
    }
}

static inline limb_t limbs_is_zero_mask(const limb_t *a, size_t n) {
    limb_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= a[i];
    }
    return tkms_ct_is_zero_mask(acc);
}

/* out = m - a, and 0 for a = 0. */
static inline void limbs_neg_mod(limb_t *out, const limb_t *a, const limb_t *m, size_t n) {
    limb_t nz = ~limbs_is_zero_mask(a, n);
    limb_t borrow = 0;
    for (size_t i = 0; i < n; i++) {
        dlimb_t d = (dlimb_t)m[i] - a[i] - borrow;
        borrow = (limb_t)(d >> 64) & 1;
        out[i] = (limb_t)d & nz;
    }
}

/* 1 if a < b as integers, else 0 (constant time). */
static inline limb_t limbs_less_than(const limb_t *a, const limb_t *b, size_t n) {
    limb_t borrow = 0;
    for (size_t i = 0; i < n; i++) {
        dlimb_t d = (dlimb_t)a[i] - b[i] - borrow;
        borrow = (limb_t)(d >> 64) & 1;
    }
    return borrow;
}

/*
 * Montgomery product a·b·2^(-64n) mod m, for moduli whose top limb is below 2^63 - 1
 * (true for p and r): the "no-carry" CIOS variant, where the running sum never needs an
 * extra limb.
 */
static inline void limbs_mont_mul(limb_t *out, const limb_t *a, const limb_t *b, const limb_t *m,
                                  limb_t n0, size_t n) {
    limb_t t[6] = {0};
    for (size_t i = 0; i < n; i++) {
        dlimb_t uv = (dlimb_t)a[0] * b[i] + t[0];
        limb_t carry_a = (limb_t)(uv >> 64);
        limb_t lo = (limb_t)uv;
        limb_t q = lo * n0;
        uv = (dlimb_t)q * m[0] + lo;
        limb_t carry_m = (limb_t)(uv >> 64);
        for (size_t j = 1; j < n; j++) {
            uv = (dlimb_t)a[j] * b[i] + t[j] + carry_a;
            carry_a = (limb_t)(uv >> 64);
            lo = (limb_t)uv;
            uv = (dlimb_t)q * m[j] + lo + carry_m;
            carry_m = (limb_t)(uv >> 64);
            t[j - 1] = (limb_t)uv;
        }
        t[n - 1] = carry_a + carry_m;
    }
    limbs_cond_sub(out, t, m, n);
}

#endif
