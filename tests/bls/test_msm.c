/*
 * test_msm.c — the variable-time MSM against a sum of constant-time multiplications, for
 * sizes 0..130 (crossing the 64-point chunk boundary and every window width), with
 * identity points, zero scalars, repeated points and r − 1 scalars mixed in; and the
 * count limit.
 */
#include "bls/internal.h"
#include "test_util.h"

static tu_rng rng;

static void rand_fr(tkms_bls_fr *out) {
    uint8_t b[64];
    tu_rng_bytes(&rng, b, sizeof b);
    tkms_bls_fr_decode_reduce(out, b, 64);
}

static void special(tkms_bls_fr *k, size_t i) {
    if (i % 11 == 3) {
        tkms_bls_fr_from_u64(k, 0);
    } else if (i % 13 == 5) {
        tkms_bls_fr one;
        tkms_bls_fr_from_u64(&one, 1);
        tkms_bls_fr_neg(k, &one); /* r - 1 */
    } else if (i % 17 == 7) {
        tkms_bls_fr_from_u64(k, (uint64_t)i);
    }
}

static void test_msm_sizes(void **state) {
    (void)state;
    static tkms_bls_g1 p1[130];
    static tkms_bls_g2 p2[130];
    static tkms_bls_fr k[130];
    static const size_t sizes[] = {0, 1, 2, 3, 4, 7, 12, 31, 32, 40, 63, 64, 65, 120, 130};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        tkms_bls_g1 want1, got1, t1;
        tkms_bls_g2 want2, got2, t2;
        tkms_bls_g1_identity(&want1);
        tkms_bls_g2_identity(&want2);
        for (size_t i = 0; i < n; i++) {
            tkms_bls_fr base;
            rand_fr(&base);
            rand_fr(&k[i]);
            special(&k[i], i);
            tkms_bls_g1_mul(&p1[i], &G1_GENERATOR, &base);
            tkms_bls_g2_mul(&p2[i], &G2_GENERATOR, &base);
            if (i % 9 == 4) {
                tkms_bls_g1_identity(&p1[i]);
                tkms_bls_g2_identity(&p2[i]);
            }
            if (i % 10 == 6) { /* repeated point */
                p1[i] = p1[i - 1];
                p2[i] = p2[i - 1];
            }
            tkms_bls_g1_mul(&t1, &p1[i], &k[i]);
            tkms_bls_g1_add(&want1, &want1, &t1);
            tkms_bls_g2_mul(&t2, &p2[i], &k[i]);
            tkms_bls_g2_add(&want2, &want2, &t2);
        }
        assert_int_equal(tkms_bls_g1_msm_vartime(&got1, p1, k, n), TKMS_OK);
        assert_true(tkms_bls_g1_equal(&got1, &want1));
        assert_int_equal(tkms_bls_g2_msm_vartime(&got2, p2, k, n), TKMS_OK);
        assert_true(tkms_bls_g2_equal(&got2, &want2));
    }
}

/* out may alias the points (bls.h): [k]P computed in place. */
static void test_msm_alias(void **state) {
    (void)state;
    tkms_bls_fr k;
    rand_fr(&k);
    tkms_bls_g1 p = G1_GENERATOR, want;
    tkms_bls_g2 q = G2_GENERATOR, want2;
    tkms_bls_g1_mul(&want, &p, &k);
    tkms_bls_g2_mul(&want2, &q, &k);
    assert_int_equal(tkms_bls_g1_msm_vartime(&p, &p, &k, 1), TKMS_OK);
    assert_true(tkms_bls_g1_equal(&p, &want));
    assert_int_equal(tkms_bls_g2_msm_vartime(&q, &q, &k, 1), TKMS_OK);
    assert_true(tkms_bls_g2_equal(&q, &want2));
}

static void test_msm_limit(void **state) {
    (void)state;
    tkms_bls_g1 out;
    tkms_bls_g2 out2;
    assert_int_equal(tkms_bls_g1_msm_vartime(&out, NULL, NULL, TKMS_BLS_MSM_COUNT_MAX + 1),
                     TKMS_ERR_BLS_TOO_MANY);
    assert_true(tkms_bls_g1_is_identity(&out));
    assert_int_equal(tkms_bls_g2_msm_vartime(&out2, NULL, NULL, TKMS_BLS_MSM_COUNT_MAX + 1),
                     TKMS_ERR_BLS_TOO_MANY);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&rng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msm_sizes),
        cmocka_unit_test(test_msm_alias),
        cmocka_unit_test(test_msm_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
