/*
 * test_kernel.c — the Fp kernels against the portable C. fp_mul/fp_sqr (the mulx/adx
 * assembly when built with TKMS_BLS_ASM) against fp_mul_portable on a million random
 * inputs and on edge values (0, 1, p − 1, R mod p, all-ones limbs, carry-heavy limb
 * patterns, aliased arguments); the assembly add/sub against fp_add/fp_sub;
 * fp_mul384/fp_redc against their portable versions, and the portable wide functions
 * against independent identities, so a build without the assembly still tests them;
 * fp2_mul_lazy (fused assembly or C) and fp2_mul_lazy_portable against fp2_mul (three
 * Montgomery products). Fr: fr_mul_mont (tkms_bls_fr_mul_adx under TKMS_BLS_ASM) against
 * the portable limbs_mont_mul(.., 4) on a million random pairs, on edge values (0, 1, r − 1,
 * R mod r, R² mod r, all-ones limbs below r, ...) and with out aliasing a, b or both, plus
 * known answers that hold for either kernel. Prints the kernel under test and the seed.
 */
#include "bls/internal.h"
#include "bls/limbs.h"
#include "test_util.h"

#define RANDOM_ITERATIONS 1000000
#define WIDE_ITERATIONS 200000
#define EDGE_COUNT 16
#define FR_EDGE_COUNT 15

static tu_rng rng;
static uint64_t seed;

/* A limb that stresses carries: zero, all ones, a power of two, or random. */
static limb_t rand_limb(void) {
    uint64_t r = tu_rng_next(&rng);
    switch (r & 7) {
    case 0:
        return 0;
    case 1:
    case 2:
        return ~(limb_t)0;
    case 3:
        return (limb_t)1 << ((r >> 3) & 63);
    default:
        return tu_rng_next(&rng);
    }
}

/* An element below p, uniform or (biased) built from carry-heavy limbs. */
static void rand_below_p(limb_t out[6], bool biased) {
    for (;;) {
        for (int i = 0; i < 6; i++) {
            out[i] = biased ? rand_limb() : tu_rng_next(&rng);
        }
        out[5] &= ((limb_t)1 << 61) - 1; /* p < 2^381 */
        if (limbs_less_than(out, BLS_P, 6)) {
            return;
        }
    }
}

static void expect_equal(const limb_t *got, const limb_t *want, size_t n, const char *what,
                         const limb_t *a, const limb_t *b) {
    if (memcmp(got, want, n * sizeof(limb_t)) != 0) {
        fail_msg("%s mismatch (seed %llu): a = %016llx..%016llx, b = %016llx..%016llx", what,
                 (unsigned long long)seed, (unsigned long long)a[5], (unsigned long long)a[0],
                 (unsigned long long)b[5], (unsigned long long)b[0]);
    }
}

/* out = p − x for x <= p (plain limbs). */
static void p_minus(limb_t out[6], const limb_t x[6]) {
    limb_t borrow = 0;
    for (int i = 0; i < 6; i++) {
        dlimb_t d = (dlimb_t)BLS_P[i] - x[i] - borrow;
        out[i] = (limb_t)d;
        borrow = (limb_t)(d >> 64) & 1;
    }
    assert_int_equal(borrow, 0);
}

/* 0, 1, p − 1, p − 2, R mod p, R² mod p, 2^(64k) − 1 (k = 1..5), p − 2^(64k) (k = 1..4),
 * and all-ones limbs under a top limb of p5 − 1. */
static void edge_values(limb_t e[EDGE_COUNT][6]) {
    memset(e, 0, sizeof(limb_t) * EDGE_COUNT * 6);
    e[1][0] = 1;
    limb_t small[6] = {1};
    p_minus(e[2], small);
    small[0] = 2;
    p_minus(e[3], small);
    memcpy(e[4], FP_ONE.l, sizeof e[4]);
    memcpy(e[5], FP_R2.l, sizeof e[5]);
    for (int k = 1; k <= 5; k++) {
        for (int i = 0; i < k; i++) {
            e[5 + k][i] = ~(limb_t)0;
        }
    }
    for (int k = 1; k <= 4; k++) {
        limb_t pw[6] = {0};
        pw[k] = 1;
        p_minus(e[10 + k], pw);
    }
    for (int i = 0; i < 5; i++) {
        e[15][i] = ~(limb_t)0;
    }
    e[15][5] = BLS_P[5] - 1;
    for (int i = 0; i < EDGE_COUNT; i++) {
        assert_true(limbs_less_than(e[i], BLS_P, 6));
    }
}

static void check_mul_pair(const limb_t a[6], const limb_t b[6]) {
    fp x, y, want, got;
    memcpy(x.l, a, sizeof x.l);
    memcpy(y.l, b, sizeof y.l);
#if defined(TKMS_BLS_ASM)
    fp_add(&want, &x, &y);
    tkms_bls_fp_add_adx(got.l, a, b);
    expect_equal(got.l, want.l, 6, "fp_add_adx", a, b);
    fp_sub(&want, &x, &y);
    tkms_bls_fp_sub_adx(got.l, a, b);
    expect_equal(got.l, want.l, 6, "fp_sub_adx", a, b);
#endif
    fp_mul_portable(&want, &x, &y);
    fp_mul(&got, &x, &y);
    expect_equal(got.l, want.l, 6, "fp_mul", a, b);
    fp_mul_portable(&want, &x, &x);
    fp_sqr(&got, &x);
    expect_equal(got.l, want.l, 6, "fp_sqr", a, a);
}

static void test_kernel_name(void **state) {
    (void)state;
    const char *name = tkms_bls_kernel_name();
#if defined(TKMS_BLS_ASM)
    assert_string_equal(name, "x86_64-adx");
#else
    assert_string_equal(name, "portable");
#endif
    printf("kernel under test: %s (seed %llu)\n", name, (unsigned long long)seed);
    fflush(stdout);
}

static void test_mul_random(void **state) {
    (void)state;
    limb_t a[6], b[6];
    for (long i = 0; i < RANDOM_ITERATIONS; i++) {
        rand_below_p(a, (i & 1) != 0);
        rand_below_p(b, (i & 2) != 0);
        check_mul_pair(a, b);
    }
}

static void test_mul_edges(void **state) {
    (void)state;
    limb_t e[EDGE_COUNT][6];
    edge_values(e);
    for (int i = 0; i < EDGE_COUNT; i++) {
        for (int j = 0; j < EDGE_COUNT; j++) {
            check_mul_pair(e[i], e[j]);
        }
    }
    /* Known answers: 1·1 = R⁻¹ ≠ 1; R·R/R = R (one times one); (p−1)² = 1·R⁻¹ (mod p). */
    fp one, r, pm1, t, u;
    memcpy(one.l, e[1], sizeof one.l);
    memcpy(r.l, e[4], sizeof r.l);
    memcpy(pm1.l, e[2], sizeof pm1.l);
    fp_mul(&t, &r, &r);
    assert_memory_equal(t.l, FP_ONE.l, sizeof t.l);
    fp_mul(&t, &one, &one);
    fp_sqr(&u, &pm1);
    assert_memory_equal(t.l, u.l, sizeof t.l);
}

/* out = a·b with out aliasing a, b or both. */
static void test_mul_aliasing(void **state) {
    (void)state;
    for (int i = 0; i < 10000; i++) {
        fp a, b, want, t;
        rand_below_p(a.l, (i & 1) != 0);
        rand_below_p(b.l, (i & 2) != 0);
        fp_mul_portable(&want, &a, &b);
        t = a;
        fp_mul(&t, &t, &b); /* out = a */
        expect_equal(t.l, want.l, 6, "fp_mul out=a", a.l, b.l);
        t = b;
        fp_mul(&t, &a, &t); /* out = b */
        expect_equal(t.l, want.l, 6, "fp_mul out=b", a.l, b.l);
        fp_mul_portable(&want, &a, &a);
        t = a;
        fp_mul(&t, &t, &t); /* out = a = b */
        expect_equal(t.l, want.l, 6, "fp_mul out=a=b", a.l, a.l);
        t = a;
        fp_sqr(&t, &t); /* out = a */
        expect_equal(t.l, want.l, 6, "fp_sqr out=a", a.l, a.l);
#if defined(TKMS_BLS_ASM)
        fp_add(&want, &a, &b);
        t = a;
        tkms_bls_fp_add_adx(t.l, t.l, b.l);
        expect_equal(t.l, want.l, 6, "fp_add_adx out=a", a.l, b.l);
        fp_sub(&want, &a, &b);
        t = b;
        tkms_bls_fp_sub_adx(t.l, a.l, t.l);
        expect_equal(t.l, want.l, 6, "fp_sub_adx out=b", a.l, b.l);
        fp_dbl(&want, &a);
        t = a;
        tkms_bls_fp_add_adx(t.l, t.l, t.l);
        expect_equal(t.l, want.l, 6, "fp_add_adx out=a=b", a.l, a.l);
        t = a;
        tkms_bls_fp_sub_adx(t.l, t.l, t.l);
        assert_true(fp_is_zero(&t));
#endif
    }
}

/* out = a + b over 6 limbs (no carry out for the sums of elements used here). */
static void limbs_add_plain(limb_t out[6], const limb_t a[6], const limb_t b[6]) {
    limb_t carry = 0;
    for (int i = 0; i < 6; i++) {
        dlimb_t s = (dlimb_t)a[i] + b[i] + carry;
        out[i] = (limb_t)s;
        carry = (limb_t)(s >> 64);
    }
    assert_int_equal(carry, 0);
}

/* A wide value below p·2^384: a product of two sums of elements, or random limbs under a
 * high half below p (the whole admissible range of fp_redc). */
static void rand_wide(limb_t t[12], long i) {
    if (i % 3 != 0) {
        limb_t a[6], b[6], c[6], d[6];
        rand_below_p(a, (i & 1) != 0);
        rand_below_p(b, (i & 2) != 0);
        rand_below_p(c, (i & 4) != 0);
        rand_below_p(d, (i & 8) != 0);
        limbs_add_plain(a, a, c);
        limbs_add_plain(b, b, d);
        fp_mul384_portable(t, a, b); /* < 4p² < p·2^384 */
        return;
    }
    for (int k = 0; k < 6; k++) {
        t[k] = (i & 16) ? rand_limb() : tu_rng_next(&rng);
    }
    rand_below_p(t + 6, (i & 32) != 0);
}

/* The compiled fp_mul384/fp_redc (assembly or portable) against the portable versions. */
static void test_wide_vs_portable(void **state) {
    (void)state;
    for (long i = 0; i < WIDE_ITERATIONS; i++) {
        limb_t a[6], b[6], c[6], want[12], got[12];
        rand_below_p(a, (i & 1) != 0);
        rand_below_p(b, (i & 2) != 0);
        rand_below_p(c, (i & 4) != 0);
        if (i & 8) {
            limbs_add_plain(a, a, c); /* unreduced sums, as in fp2_mul_lazy */
        }
        fp_mul384_portable(want, a, b);
        fp_mul384(got, a, b);
        expect_equal(got, want, 12, "fp_mul384", a, b);
        limb_t t[12];
        rand_wide(t, i);
        fp r;
        fp_redc_portable(want, t);
        fp_redc(&r, t);
        expect_equal(r.l, want, 6, "fp_redc", t + 6, t);
        limb_t u[12];
        memcpy(u, t, sizeof u);
        fp_redc_portable(u, u); /* out aliasing t */
        expect_equal(u, want, 6, "fp_redc_portable out=t", t + 6, t);
#if defined(TKMS_BLS_ASM)
        tkms_bls_fp_redc_adx(t, t);
        expect_equal(t, want, 6, "fp_redc out=t", want, want);
#endif
    }
}

/* t mod p by schoolbook means: t_hi·R + t_lo, with t_lo reduced by repeated subtraction
 * (test-only, variable time) and t_hi·R = t_hi·R²/R. */
static void slow_mod_p(fp *out, const limb_t t[12]) {
    fp lo, hi;
    memcpy(lo.l, t, sizeof lo.l);
    while (!limbs_less_than(lo.l, BLS_P, 6)) {
        limb_t borrow = 0;
        for (int i = 0; i < 6; i++) {
            dlimb_t d = (dlimb_t)lo.l[i] - BLS_P[i] - borrow;
            lo.l[i] = (limb_t)d;
            borrow = (limb_t)(d >> 64) & 1;
        }
    }
    memcpy(hi.l, t + 6, sizeof hi.l);
    fp_mul_portable(&hi, &hi, &FP_R2);
    fp_add(out, &lo, &hi);
}

/* fp_redc(t)·R ≡ t and redc(a·b) = a·b/R, independent of which kernel is compiled. */
static void check_redc_identity(const limb_t t[12]) {
    fp r, back, want;
    fp_redc(&r, t);
    assert_true(limbs_less_than(r.l, BLS_P, 6));
    fp_mul_portable(&back, &r, &FP_R2);
    slow_mod_p(&want, t);
    expect_equal(back.l, want.l, 6, "redc(t)·R vs t mod p", t + 6, t);
    fp_redc_portable(back.l, t);
    expect_equal(back.l, r.l, 6, "fp_redc_portable", t + 6, t);
}

static void test_wide_identities(void **state) {
    (void)state;
    /* (2^384 − 1)² = 2^768 − 2^385 + 1 */
    limb_t ones[6], sq[12], want_sq[12] = {1, 0, 0, 0, 0, 0, ~(limb_t)1};
    memset(ones, 0xff, sizeof ones);
    memset(want_sq + 7, 0xff, 5 * sizeof(limb_t));
    fp_mul384_portable(sq, ones, ones);
    expect_equal(sq, want_sq, 12, "mul384 (2^384-1)^2", ones, ones);
    fp_mul384(sq, ones, ones);
    expect_equal(sq, want_sq, 12, "mul384 kernel (2^384-1)^2", ones, ones);
    /* Extremes of the redc range: 0, 1, p·2^384 − 1, (p − 1)·2^384, 2^384 − 1, edge products. */
    limb_t e[EDGE_COUNT][6], t[12];
    edge_values(e);
    memset(t, 0, sizeof t);
    check_redc_identity(t);
    t[0] = 1;
    check_redc_identity(t);
    memset(t, 0xff, 6 * sizeof(limb_t));
    memcpy(t + 6, e[2], 6 * sizeof(limb_t)); /* p·2^384 − 1 = (p − 1)·2^384 + 2^384 − 1 */
    check_redc_identity(t);
    memset(t, 0, 6 * sizeof(limb_t));
    check_redc_identity(t);
    for (int i = 0; i < EDGE_COUNT; i++) {
        for (int j = 0; j < EDGE_COUNT; j++) {
            fp_mul384(t, e[i], e[j]);
            check_redc_identity(t);
            fp x, y, want, got;
            memcpy(x.l, e[i], sizeof x.l);
            memcpy(y.l, e[j], sizeof y.l);
            fp_mul_portable(&want, &x, &y);
            fp_redc(&got, t);
            expect_equal(got.l, want.l, 6, "redc(mul384) vs fp_mul", x.l, y.l);
        }
    }
    /* Distributivity over 768 bits: a·(b + c) = a·b + a·c; and redc on random wide values. */
    for (long i = 0; i < 20000; i++) {
        limb_t a[6], b[6], c[6], bc[6], ab[12], ac[12], abc[12];
        rand_below_p(a, (i & 1) != 0);
        rand_below_p(b, (i & 2) != 0);
        rand_below_p(c, (i & 4) != 0);
        limbs_add_plain(bc, b, c);
        fp_mul384(ab, a, b);
        fp_mul384(ac, a, c);
        fp_mul384(abc, a, bc);
        limb_t carry = 0;
        for (int k = 0; k < 12; k++) {
            dlimb_t s = (dlimb_t)ab[k] + ac[k] + carry;
            ab[k] = (limb_t)s;
            carry = (limb_t)(s >> 64);
        }
        expect_equal(ab, abc, 12, "mul384 distributivity", a, bc);
        rand_wide(t, i);
        check_redc_identity(t);
    }
}

static void rand_fp2_elem(fp2 *x, long i) {
    limb_t e[EDGE_COUNT][6];
    rand_below_p(x->c0.l, (i & 1) != 0);
    rand_below_p(x->c1.l, (i & 2) != 0);
    if (i % 16 == 5) { /* edge components: maximal sums and the negative branch of c0 */
        edge_values(e);
        memcpy(x->c0.l, e[(i >> 4) % EDGE_COUNT], sizeof x->c0.l);
        memcpy(x->c1.l, e[(i >> 8) % EDGE_COUNT], sizeof x->c1.l);
    }
}

static void test_fp2_mul_lazy(void **state) {
    (void)state;
    for (long i = 0; i < 100000; i++) {
        fp2 a, b, want, got;
        rand_fp2_elem(&a, i);
        rand_fp2_elem(&b, i * 7 + 3);
        fp2_mul(&want, &a, &b);
        fp2_mul_lazy(&got, &a, &b);
        expect_equal(got.c0.l, want.c0.l, 6, "fp2_mul_lazy c0", a.c0.l, b.c0.l);
        expect_equal(got.c1.l, want.c1.l, 6, "fp2_mul_lazy c1", a.c1.l, b.c1.l);
        fp2_mul_lazy_portable(&got, &a, &b);
        expect_equal(got.c0.l, want.c0.l, 6, "fp2_mul_lazy_portable c0", a.c0.l, b.c0.l);
        expect_equal(got.c1.l, want.c1.l, 6, "fp2_mul_lazy_portable c1", a.c1.l, b.c1.l);
        got = a;
        fp2_mul_lazy(&got, &got, &b);
        assert_true(fp2_equal(&got, &want));
        got = b;
        fp2_mul_lazy(&got, &a, &got);
        assert_true(fp2_equal(&got, &want));
        fp2_mul(&want, &a, &a);
        got = a;
        fp2_mul_lazy(&got, &got, &got);
        assert_true(fp2_equal(&got, &want));
    }
}

/* ---- Fr (4 limbs, R = 2^256) ---------------------------------------------------------- */

/* The portable reference: what fr_mul_mont compiles to without TKMS_BLS_ASM. */
static void fr_mul_portable(limb_t out[4], const limb_t a[4], const limb_t b[4]) {
    limbs_mont_mul(out, a, b, BLS_R, BLS_R_N0, 4);
}

/* An element below r, uniform or (biased) built from carry-heavy limbs. */
static void rand_below_r(limb_t out[4], bool biased) {
    for (;;) {
        for (int i = 0; i < 4; i++) {
            out[i] = biased ? rand_limb() : tu_rng_next(&rng);
        }
        out[3] &= ((limb_t)1 << 63) - 1; /* r < 2^255 */
        if (limbs_less_than(out, BLS_R, 4)) {
            return;
        }
    }
}

/* out = r − x for x <= r (plain limbs). */
static void r_minus(limb_t out[4], const limb_t x[4]) {
    limb_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        dlimb_t d = (dlimb_t)BLS_R[i] - x[i] - borrow;
        out[i] = (limb_t)d;
        borrow = (limb_t)(d >> 64) & 1;
    }
    assert_int_equal(borrow, 0);
}

/* 0, 1, r − 1, r − 2, R mod r, R² mod r, 2^(64k) − 1 (k = 1..3), r − 2^(64k) (k = 1..3),
 * all-ones limbs under a top limb of r3 − 1, r − 2^128 − 1 and (r + 1)/2. */
static void fr_edge_values(limb_t e[FR_EDGE_COUNT][4]) {
    memset(e, 0, sizeof(limb_t) * FR_EDGE_COUNT * 4);
    e[1][0] = 1;
    limb_t small[4] = {1};
    r_minus(e[2], small);
    small[0] = 2;
    r_minus(e[3], small);
    memcpy(e[4], FR_ONE.l, sizeof e[4]);
    memcpy(e[5], FR_R2.l, sizeof e[5]);
    for (int k = 1; k <= 3; k++) {
        for (int i = 0; i < k; i++) {
            e[5 + k][i] = ~(limb_t)0;
        }
        limb_t pw[4] = {0};
        pw[k] = 1;
        r_minus(e[8 + k], pw);
    }
    for (int i = 0; i < 3; i++) {
        e[12][i] = ~(limb_t)0;
    }
    e[12][3] = BLS_R[3] - 1;
    limb_t pw[4] = {1, 0, 1, 0}; /* 2^128 + 1 */
    r_minus(e[13], pw);
    for (int i = 0; i < 4; i++) { /* (r + 1)/2: r is odd, r + 1 does not carry out */
        e[14][i] = (BLS_R[i] >> 1) | (i < 3 ? BLS_R[i + 1] << 63 : 0);
    }
    e[14][0] += 1;
    for (int i = 0; i < FR_EDGE_COUNT; i++) {
        assert_true(limbs_less_than(e[i], BLS_R, 4));
    }
}

static void fr_expect_equal(const limb_t got[4], const limb_t want[4], const char *what,
                            const limb_t a[4], const limb_t b[4]) {
    if (memcmp(got, want, 4 * sizeof(limb_t)) != 0) {
        fail_msg("%s mismatch (seed %llu): a = %016llx %016llx %016llx %016llx, "
                 "b = %016llx %016llx %016llx %016llx",
                 what, (unsigned long long)seed, (unsigned long long)a[3], (unsigned long long)a[2],
                 (unsigned long long)a[1], (unsigned long long)a[0], (unsigned long long)b[3],
                 (unsigned long long)b[2], (unsigned long long)b[1], (unsigned long long)b[0]);
    }
}

/* The compiled product (and the assembly directly) against the portable one; out distinct. */
static void check_fr_pair(const limb_t a[4], const limb_t b[4]) {
    fr x, y, got;
    limb_t want[4];
    memcpy(x.l, a, sizeof x.l);
    memcpy(y.l, b, sizeof y.l);
    fr_mul_portable(want, a, b);
    assert_true(limbs_less_than(want, BLS_R, 4));
    fr_mul_mont(&got, &x, &y);
    fr_expect_equal(got.l, want, "fr_mul_mont", a, b);
#if defined(TKMS_BLS_ASM)
    limb_t direct[4];
    tkms_bls_fr_mul_adx(direct, a, b);
    fr_expect_equal(direct, want, "fr_mul_adx", a, b);
#endif
}

/* out = a·b with out aliasing a, b, or both (then a = b). */
static void check_fr_aliasing(const limb_t a[4], const limb_t b[4]) {
    fr x, y, t;
    limb_t want[4], want_sq[4];
    memcpy(x.l, a, sizeof x.l);
    memcpy(y.l, b, sizeof y.l);
    fr_mul_portable(want, a, b);
    fr_mul_portable(want_sq, a, a);
    t = x;
    fr_mul_mont(&t, &t, &y);
    fr_expect_equal(t.l, want, "fr_mul_mont out=a", a, b);
    t = y;
    fr_mul_mont(&t, &x, &t);
    fr_expect_equal(t.l, want, "fr_mul_mont out=b", a, b);
    t = x;
    fr_mul_mont(&t, &t, &t);
    fr_expect_equal(t.l, want_sq, "fr_mul_mont out=a=b", a, a);
#if defined(TKMS_BLS_ASM)
    t = x;
    tkms_bls_fr_mul_adx(t.l, t.l, y.l);
    fr_expect_equal(t.l, want, "fr_mul_adx out=a", a, b);
    t = y;
    tkms_bls_fr_mul_adx(t.l, x.l, t.l);
    fr_expect_equal(t.l, want, "fr_mul_adx out=b", a, b);
    t = x;
    tkms_bls_fr_mul_adx(t.l, t.l, t.l);
    fr_expect_equal(t.l, want_sq, "fr_mul_adx out=a=b", a, a);
#endif
}

static void test_fr_mul_edges(void **state) {
    (void)state;
    limb_t e[FR_EDGE_COUNT][4];
    fr_edge_values(e);
    /* R mod r = 2^256 − 2r (2r < 2^256 < 3r): the constant, computed independently. */
    limb_t two_r[4], r_mod[4], carry = 0, borrow = 0;
    for (int i = 0; i < 4; i++) {
        two_r[i] = (BLS_R[i] << 1) | carry;
        carry = BLS_R[i] >> 63;
    }
    assert_int_equal(carry, 0);
    for (int i = 0; i < 4; i++) {
        dlimb_t d = (dlimb_t)0 - two_r[i] - borrow;
        r_mod[i] = (limb_t)d;
        borrow = (limb_t)(d >> 64) & 1;
    }
    assert_memory_equal(e[4], r_mod, sizeof r_mod);
    for (int i = 0; i < FR_EDGE_COUNT; i++) {
        for (int j = 0; j < FR_EDGE_COUNT; j++) {
            check_fr_pair(e[i], e[j]);
            check_fr_aliasing(e[i], e[j]);
        }
    }
    /* Known answers for either kernel: R·R/R = R, R²·1/R = R, R²·R/R = R² (times one),
     * (r − 1)²/R = 1·1/R, and x·0 = 0. */
    fr one_m, r2, one_plain = {{1, 0, 0, 0}}, rm1, zero = {{0}}, t, u;
    memcpy(one_m.l, e[4], sizeof one_m.l);
    memcpy(r2.l, e[5], sizeof r2.l);
    memcpy(rm1.l, e[2], sizeof rm1.l);
    fr_mul_mont(&t, &one_m, &one_m);
    assert_memory_equal(t.l, FR_ONE.l, sizeof t.l);
    fr_mul_mont(&t, &r2, &one_plain);
    assert_memory_equal(t.l, FR_ONE.l, sizeof t.l);
    fr_mul_mont(&t, &r2, &one_m);
    assert_memory_equal(t.l, FR_R2.l, sizeof t.l);
    fr_mul_mont(&t, &rm1, &rm1);
    fr_mul_mont(&u, &one_plain, &one_plain);
    assert_memory_equal(t.l, u.l, sizeof t.l);
    fr_mul_mont(&t, &rm1, &zero);
    assert_memory_equal(t.l, zero.l, sizeof t.l);
}

static void test_fr_mul_aliasing(void **state) {
    (void)state;
    for (int i = 0; i < 20000; i++) {
        limb_t a[4], b[4];
        rand_below_r(a, (i & 1) != 0);
        rand_below_r(b, (i & 2) != 0);
        check_fr_aliasing(a, b);
    }
}

static void test_fr_mul_random(void **state) {
    (void)state;
    limb_t a[4], b[4];
    for (long i = 0; i < RANDOM_ITERATIONS; i++) {
        rand_below_r(a, (i & 1) != 0);
        rand_below_r(b, (i & 2) != 0);
        check_fr_pair(a, b);
    }
}

int main(void) {
    seed = tu_seed();
    tu_rng_seed(&rng, seed);
    printf("test_kernel seed: %llu\n", (unsigned long long)seed);
    fflush(stdout);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_name),      cmocka_unit_test(test_mul_edges),
        cmocka_unit_test(test_mul_aliasing),     cmocka_unit_test(test_mul_random),
        cmocka_unit_test(test_wide_vs_portable), cmocka_unit_test(test_wide_identities),
        cmocka_unit_test(test_fp2_mul_lazy),     cmocka_unit_test(test_fr_mul_edges),
        cmocka_unit_test(test_fr_mul_aliasing),  cmocka_unit_test(test_fr_mul_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
