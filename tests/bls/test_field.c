/*
 * test_field.c — Fp, Fr, Fp2, Fp6, Fp12 arithmetic: field axioms on random elements,
 * inverses, square roots, Frobenius against powering by p, encodings and the edges
 * (0, 1, p − 1, r − 1). Also the compiled kernel against the portable one.
 */
#include "bls/internal.h"
#include "test_util.h"

static tu_rng rng;

static void rand_fp(fp *out) {
    uint8_t b[64];
    tu_rng_bytes(&rng, b, sizeof b);
    fp_from_bytes64_reduce(out, b);
}

static void rand_fp2(fp2 *out) {
    rand_fp(&out->c0);
    rand_fp(&out->c1);
}

static void rand_fp12(fp12 *out) {
    fp2 *c[6] = {&out->c0.c0, &out->c0.c1, &out->c0.c2, &out->c1.c0, &out->c1.c1, &out->c1.c2};
    for (int i = 0; i < 6; i++) {
        rand_fp2(c[i]);
    }
}

static void test_fp_axioms(void **state) {
    (void)state;
    for (int i = 0; i < 2000; i++) {
        fp a, b, c, t1, t2, inv, one;
        rand_fp(&a);
        rand_fp(&b);
        rand_fp(&c);
        fp_mul(&t1, &a, &b);
        fp_mul(&t1, &t1, &c);
        fp_mul(&t2, &b, &c);
        fp_mul(&t2, &a, &t2);
        assert_true(fp_equal(&t1, &t2));
        fp_add(&t1, &a, &b);
        fp_mul(&t1, &t1, &c);
        fp_mul(&t2, &a, &c);
        fp_mul(&inv, &b, &c);
        fp_add(&t2, &t2, &inv);
        assert_true(fp_equal(&t1, &t2));
        fp_sub(&t1, &a, &b);
        fp_add(&t1, &t1, &b);
        assert_true(fp_equal(&t1, &a));
        fp_neg(&t1, &a);
        fp_add(&t1, &t1, &a);
        assert_true(fp_is_zero(&t1));
        fp_sqr(&t1, &a);
        fp_mul(&t2, &a, &a);
        assert_true(fp_equal(&t1, &t2));
        fp_mul_portable(&t2, &a, &b);
        fp_mul(&t1, &a, &b);
        assert_true(fp_equal(&t1, &t2));
        if (i < 200) {
            fp_inv(&inv, &a);
            fp_mul(&one, &inv, &a);
            assert_true(fp_equal(&one, &FP_ONE));
            fp_sqr(&t1, &a);
            assert_true(fp_sqrt(&t2, &t1));
            fp_neg(&t1, &t2);
            assert_true(fp_equal(&t2, &a) || fp_equal(&t1, &a));
        }
    }
}

static void test_fp_edges(void **state) {
    (void)state;
    uint8_t pm1[48], buf[48];
    assert_int_equal(tu_unhex(pm1, 48, "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaaa"), 48);
    fp a, t;
    assert_true(fp_from_bytes(&a, pm1));
    fp_add(&t, &a, &FP_ONE);
    assert_true(fp_is_zero(&t));
    fp_to_bytes(buf, &a);
    assert_memory_equal(buf, pm1, 48);
    assert_int_equal(fp_is_lexicographically_largest(&a), 1);
    assert_int_equal(fp_sgn0(&a), 0); /* p - 1 is even */
    pm1[47] = 0xab;                   /* = p */
    assert_false(fp_from_bytes(&a, pm1));
    assert_true(fp_is_zero(&a));
    memset(buf, 0xff, 48);
    assert_false(fp_from_bytes(&a, buf));
    fp_zero(&a);
    fp_inv(&t, &a);
    assert_true(fp_is_zero(&t));
    /* -1 is not a square mod p (p = 3 mod 4) */
    fp_neg(&a, &FP_ONE);
    assert_false(fp_sqrt(&t, &a));
}

static void test_fr(void **state) {
    (void)state;
    uint8_t rm1[32], buf[32];
    assert_int_equal(tu_unhex(rm1, 32, "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000"), 32);
    tkms_bls_fr a, b, c, t;
    assert_int_equal(tkms_bls_fr_decode(&a, rm1), TKMS_OK);
    tkms_bls_fr_from_u64(&b, 1);
    tkms_bls_fr_add(&t, &a, &b);
    assert_true(tkms_bls_fr_is_zero(&t));
    tkms_bls_fr_encode(buf, &a);
    assert_memory_equal(buf, rm1, 32);
    rm1[31] = 1; /* = r */
    assert_int_equal(tkms_bls_fr_decode(&a, rm1), TKMS_ERR_BLS_SCALAR_RANGE);
    assert_true(tkms_bls_fr_is_zero(&a));
    /* reduce: r + 5 -> 5; 2^512 - 1 reduces consistently with (2^256)^2 - 1 */
    rm1[31] = 6;
    tkms_bls_fr_decode_reduce(&a, rm1, 32);
    tkms_bls_fr_from_u64(&b, 5);
    assert_true(tkms_bls_fr_equal(&a, &b));
    for (int i = 0; i < 1000; i++) {
        uint8_t r64[64];
        tu_rng_bytes(&rng, r64, 64);
        tkms_bls_fr_decode_reduce(&a, r64, 64);
        tkms_bls_fr_decode_reduce(&b, r64, 32);
        tkms_bls_fr_decode_reduce(&c, r64 + 32, 32);
        tkms_bls_fr_mul(&t, &a, &b);
        tkms_bls_fr_mul(&t, &t, &c);
        tkms_bls_fr_mul(&c, &c, &b);
        tkms_bls_fr_mul(&c, &c, &a);
        assert_true(tkms_bls_fr_equal(&t, &c));
        if (i < 100) {
            tkms_bls_fr_inv(&t, &a);
            tkms_bls_fr_mul(&t, &t, &a);
            tkms_bls_fr_from_u64(&b, 1);
            assert_true(tkms_bls_fr_equal(&t, &b));
        }
    }
    tkms_bls_fr elems[8], copy[8], scratch[8];
    for (int i = 0; i < 8; i++) {
        tkms_bls_fr_from_u64(&elems[i], (uint64_t)(i + 2));
        copy[i] = elems[i];
    }
    assert_true(tkms_bls_fr_batch_inv_vartime(elems, scratch, 8));
    for (int i = 0; i < 8; i++) {
        tkms_bls_fr_mul(&t, &elems[i], &copy[i]);
        tkms_bls_fr_from_u64(&b, 1);
        assert_true(tkms_bls_fr_equal(&t, &b));
    }
    tkms_bls_fr_from_u64(&copy[3], 0);
    assert_false(tkms_bls_fr_batch_inv_vartime(copy, scratch, 8));
}

static void test_fp2(void **state) {
    (void)state;
    for (int i = 0; i < 300; i++) {
        fp2 a, b, t1, t2;
        rand_fp2(&a);
        rand_fp2(&b);
        fp2_sqr(&t1, &a);
        fp2_mul(&t2, &a, &a);
        assert_true(fp2_equal(&t1, &t2));
        fp2_inv(&t1, &a);
        fp2_mul(&t1, &t1, &a);
        assert_true(fp2_equal(&t1, &FP2_ONE));
        if (i < 50) {
            fp2_sqr(&t1, &a);
            assert_true(fp2_sqrt(&t2, &t1));
            fp2_sqr(&t2, &t2);
            assert_true(fp2_equal(&t1, &t2));
            /* u+1 times a square is a non-square (u+1 is a non-residue) */
            fp2 xi = {FP_ONE, FP_ONE};
            fp2_mul(&t1, &t1, &xi);
            assert_false(fp2_sqrt(&t2, &t1));
        }
        /* Frobenius of Fp2 is conjugation: a^p */
        fp2_pow_public(&t1, &a, BLS_P, 6);
        fp2_conj(&t2, &a);
        assert_true(fp2_equal(&t1, &t2));
    }
}

/* fp2_sqrt edges of the complex method: a1 = 0 with a0 a square or not, a0 = 0, zero. */
static void test_fp2_sqrt_edges(void **state) {
    (void)state;
    for (uint64_t c = 1; c < 40; c++) {
        fp v, r;
        fp_from_u64(&v, c);
        bool is_sq = fp_sqrt(&r, &v);
        fp2 cases[3] = {{v, {{0}}}, {{{0}}, v}, {{{0}}, {{0}}}};
        fp_neg(&cases[2].c0, &v); /* -c + 0u */
        for (int k = 0; k < 3; k++) {
            fp2 x, sq;
            /* every element of Fp is a square in Fp2 */
            assert_true(fp2_sqrt(&x, &cases[k]));
            fp2_sqr(&sq, &x);
            assert_true(fp2_equal(&sq, &cases[k]));
        }
        (void)is_sq;
    }
    fp2 zero, x;
    fp2_zero(&zero);
    assert_true(fp2_sqrt(&x, &zero));
    assert_true(fp2_is_zero(&x));
}

static void test_fp12(void **state) {
    (void)state;
    for (int i = 0; i < 40; i++) {
        fp12 a, b, c, t1, t2;
        rand_fp12(&a);
        rand_fp12(&b);
        rand_fp12(&c);
        fp12_mul(&t1, &a, &b);
        fp12_mul(&t1, &t1, &c);
        fp12_mul(&t2, &b, &c);
        fp12_mul(&t2, &a, &t2);
        assert_true(fp12_equal(&t1, &t2));
        fp12_sqr(&t1, &a);
        fp12_mul(&t2, &a, &a);
        assert_true(fp12_equal(&t1, &t2));
        fp12_inv(&t1, &a);
        fp12_mul(&t1, &t1, &a);
        assert_true(fp12_is_one(&t1));
        /* frobenius(k) = k-fold frobenius(1), and frobenius(1) is multiplicative */
        fp12_frobenius(&t1, &a, 1);
        fp12_frobenius(&t1, &t1, 1);
        fp12_frobenius(&t2, &a, 2);
        assert_true(fp12_equal(&t1, &t2));
        fp12_frobenius(&t1, &t1, 1);
        fp12_frobenius(&t2, &a, 3);
        assert_true(fp12_equal(&t1, &t2));
        fp12_mul(&t1, &a, &b);
        fp12_frobenius(&t1, &t1, 1);
        fp12_frobenius(&t2, &a, 1);
        fp12_frobenius(&c, &b, 1);
        fp12_mul(&t2, &t2, &c);
        assert_true(fp12_equal(&t1, &t2));
    }
    /* frobenius(1) equals powering by p (one check: p-th power is slow) */
    fp12 a, t1, t2;
    rand_fp12(&a);
    fp12_frobenius(&t1, &a, 1);
    fp12_one(&t2);
    for (int i = 5; i >= 0; i--) {
        for (int bit = 63; bit >= 0; bit--) {
            fp12_sqr(&t2, &t2);
            if ((BLS_P[i] >> bit) & 1) {
                fp12_mul(&t2, &t2, &a);
            }
        }
    }
    assert_true(fp12_equal(&t1, &t2));
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED), kernel %s\n", (unsigned long long)seed,
           tkms_bls_kernel_name());
    tu_rng_seed(&rng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fp_axioms), cmocka_unit_test(test_fp_edges),
        cmocka_unit_test(test_fr),        cmocka_unit_test(test_fp2),
        cmocka_unit_test(test_fp2_sqrt_edges), cmocka_unit_test(test_fp12),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
