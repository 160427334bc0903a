/*
 * fp.c — the base field Fp of BLS12-381: 6×64-bit limbs, Montgomery form (R = 2^384).
 *
 * Every function is constant time: no branch and no memory index depends on a value.
 * Multiplication is the x86-64 mulx/adcx/adox kernel (fp_x86_64.S) when built with
 * TKMS_BLS_ASM, else the portable CIOS below; both are always compiled into the tests,
 * which compare them. Inversion and square root are fixed-exponent powers (Fermat,
 * p ≡ 3 mod 4), so they are constant time by construction. Spec: crypto.md §1, §12.
 */
#include "bls/internal.h"
#include "bls/limbs.h"

void fp_mul_portable(fp *out, const fp *a, const fp *b) {
    limbs_mont_mul(out->l, a->l, b->l, BLS_P, BLS_P_N0, 6);
}

void fp_mul(fp *out, const fp *a, const fp *b) {
#if defined(TKMS_BLS_ASM)
    tkms_bls_fp_mul_adx(out->l, a->l, b->l);
#else
    fp_mul_portable(out, a, b);
#endif
}

void fp_sqr(fp *out, const fp *a) {
#if defined(TKMS_BLS_ASM)
    tkms_bls_fp_sqr_adx(out->l, a->l);
#else
    fp_mul_portable(out, a, a);
#endif
}

void fp_zero(fp *out) {
    for (int i = 0; i < 6; i++) {
        out->l[i] = 0;
    }
}

void fp_add(fp *out, const fp *a, const fp *b) {
    limbs_add_mod(out->l, a->l, b->l, BLS_P, 6);
}

void fp_dbl(fp *out, const fp *a) {
    fp_add(out, a, a);
}

void fp_sub(fp *out, const fp *a, const fp *b) {
    limbs_sub_mod(out->l, a->l, b->l, BLS_P, 6);
}

void fp_neg(fp *out, const fp *a) {
    limbs_neg_mod(out->l, a->l, BLS_P, 6);
}

void fp_mul_small(fp *out, const fp *a, unsigned k) {
    TKMS_ASSERT(k >= 1 && k <= 16);
    fp acc = *a;
    fp base = *a;
    /* k is a public constant: plain double-and-add on its bits. */
    int top = 31 - __builtin_clz(k);
    for (int i = top - 1; i >= 0; i--) {
        fp_dbl(&acc, &acc);
        if ((k >> i) & 1) {
            fp_add(&acc, &acc, &base);
        }
    }
    *out = acc;
}

limb_t fp_is_zero_mask(const fp *a) {
    return limbs_is_zero_mask(a->l, 6);
}

bool fp_is_zero(const fp *a) {
    return (fp_is_zero_mask(a) & 1) != 0;
}

bool fp_equal(const fp *a, const fp *b) {
    limb_t acc = 0;
    for (int i = 0; i < 6; i++) {
        acc |= a->l[i] ^ b->l[i];
    }
    return (tkms_ct_is_zero_mask(acc) & 1) != 0;
}

void fp_cmov(fp *out, const fp *a, limb_t flag) {
    limb_t mask = tkms_ct_mask(flag);
    for (int i = 0; i < 6; i++) {
        out->l[i] = (out->l[i] & ~mask) | (a->l[i] & mask);
    }
}

void fp_from_raw(fp *out, const limb_t raw[6]) {
    fp t;
    for (int i = 0; i < 6; i++) {
        t.l[i] = raw[i];
    }
    fp_mul(out, &t, &FP_R2);
}

void fp_to_raw(limb_t raw[6], const fp *a) {
    static const fp one_plain = {{1, 0, 0, 0, 0, 0}};
    fp t;
    fp_mul(&t, a, &one_plain);
    for (int i = 0; i < 6; i++) {
        raw[i] = t.l[i];
    }
}

void fp_from_u64(fp *out, uint64_t v) {
    limb_t raw[6] = {v, 0, 0, 0, 0, 0};
    fp_from_raw(out, raw);
}

limb_t fp_sgn0(const fp *a) {
    limb_t raw[6];
    fp_to_raw(raw, a);
    return raw[0] & 1;
}

limb_t fp_is_lexicographically_largest(const fp *a) {
    /* a > (p-1)/2  <=>  2a >= p + 1  <=>  (p-1)/2 - a borrows. */
    static const limb_t half[6] = {0xdcff7fffffffd555ULL, 0x0f55ffff58a9ffffULL,
                                   0xb39869507b587b12ULL, 0xb23ba5c279c2895fULL,
                                   0x258dd3db21a5d66bULL, 0x0d0088f51cbff34dULL};
    limb_t raw[6];
    fp_to_raw(raw, a);
    limb_t borrow = 0;
    for (int i = 0; i < 6; i++) {
        dlimb_t d = (dlimb_t)half[i] - raw[i] - borrow;
        borrow = (limb_t)(d >> 64) & 1;
    }
    return borrow;
}

bool fp_from_bytes(fp *out, const uint8_t in[48]) {
    limb_t raw[6];
    for (int i = 0; i < 6; i++) {
        limb_t w = 0;
        for (int j = 0; j < 8; j++) {
            w = (w << 8) | in[(5 - i) * 8 + j];
        }
        raw[i] = w;
    }
    limb_t borrow = 0;
    for (int i = 0; i < 6; i++) {
        dlimb_t d = (dlimb_t)raw[i] - BLS_P[i] - borrow;
        borrow = (limb_t)(d >> 64) & 1;
    }
    fp_from_raw(out, raw);
    /* borrow == 1 iff raw < p */
    limb_t keep = tkms_ct_mask(borrow);
    for (int i = 0; i < 6; i++) {
        out->l[i] &= keep;
    }
    return borrow == 1;
}

void fp_to_bytes(uint8_t out[48], const fp *a) {
    limb_t raw[6];
    fp_to_raw(raw, a);
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 8; j++) {
            out[(5 - i) * 8 + j] = (uint8_t)(raw[i] >> (56 - 8 * j));
        }
    }
}

/*
 * x mod p for a 512-bit big-endian x: split x = hi·2^256 + lo (both < p), then
 * hi·2^256 = mont(hi, R^2·2^256/R) — i.e. multiply hi by the Montgomery form of 2^256.
 */
void fp_from_bytes64_reduce(fp *out, const uint8_t in[64]) {
    static const limb_t two256_plain[6] = {0, 0, 0, 0, 1, 0};
    limb_t hi[6] = {0}, lo[6] = {0};
    for (int i = 0; i < 4; i++) {
        limb_t wh = 0, wl = 0;
        for (int j = 0; j < 8; j++) {
            wh = (wh << 8) | in[(3 - i) * 8 + j];
            wl = (wl << 8) | in[32 + (3 - i) * 8 + j];
        }
        hi[i] = wh;
        lo[i] = wl;
    }
    fp h, l, s;
    fp_from_raw(&h, hi);
    fp_from_raw(&l, lo);
    fp_from_raw(&s, two256_plain);
    fp_mul(&h, &h, &s);
    fp_add(out, &h, &l);
}

/* a^e for a public exponent (little-endian limbs): left-to-right square and multiply.
   The sequence of operations depends only on e, never on a. */
void fp_pow_public(fp *out, const fp *a, const limb_t *e, size_t e_limbs) {
    fp acc = FP_ONE;
    fp base = *a;
    bool started = false;
    for (size_t i = e_limbs; i-- > 0;) {
        for (int b = 63; b >= 0; b--) {
            if (started) {
                fp_sqr(&acc, &acc);
            }
            if ((e[i] >> b) & 1) {
                fp_mul(&acc, &acc, &base);
                started = true;
            }
        }
    }
    *out = acc;
}

void fp_inv(fp *out, const fp *a) {
    static const limb_t p_minus_2[6] = {0xb9feffffffffaaa9ULL, 0x1eabfffeb153ffffULL,
                                        0x6730d2a0f6b0f624ULL, 0x64774b84f38512bfULL,
                                        0x4b1ba7b6434bacd7ULL, 0x1a0111ea397fe69aULL};
    fp_pow_public(out, a, p_minus_2, 6);
}

bool fp_sqrt(fp *out, const fp *a) {
    static const limb_t p_plus_1_div_4[6] = {0xee7fbfffffffeaabULL, 0x07aaffffac54ffffULL,
                                             0xd9cc34a83dac3d89ULL, 0xd91dd2e13ce144afULL,
                                             0x92c6e9ed90d2eb35ULL, 0x0680447a8e5ff9a6ULL};
    fp s, check;
    fp_pow_public(&s, a, p_plus_1_div_4, 6);
    fp_sqr(&check, &s);
    bool ok = fp_equal(&check, a);
    *out = s;
    return ok;
}
