/*
 * test_tss.c — threshold sharing units: the threshold table, evaluation points from
 * addresses (eigenx vectors), point-set rejection, Lagrange at zero, polynomial dealing and
 * the Feldman check, DKG/reshare combination with each failure it must catch, the
 * commitment hashes (eigenx vectors), and partial signatures with blame of a bad operator.
 */
#include <jansson.h>

#include "test_rng.h"
#include "tss/tss.h"

static tu_rng prng;
static tkms_rng rng;

static void test_threshold(void **state) {
    (void)state;
    static const uint32_t n[] = {1, 2, 3, 4, 5, 6, 7, 10, 20, 30};
    static const uint32_t t[] = {1, 2, 2, 3, 4, 4, 5, 7, 14, 20};
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(tkms_tss_threshold(n[i]), t[i]);
    }
}

static void test_eigenx_vectors(void **state) {
    (void)state;
    json_error_t jerr;
    json_t *root = json_load_file("tests/vectors/tss/eigenx.json", 0, &jerr);
    assert_non_null(root);
    json_t *arr = json_object_get(root, "address_to_fr"), *item;
    size_t i;
    assert_true(json_array_size(arr) >= 6);
    json_array_foreach(arr, i, item) {
        uint8_t addr[20], want[32], got[32];
        assert_int_equal(tu_unhex(addr, 20, json_string_value(json_object_get(item, "address"))), 20);
        assert_int_equal(tu_unhex(want, 32, json_string_value(json_object_get(item, "fr"))), 32);
        tkms_bls_fr x;
        assert_int_equal(tkms_tss_point_from_address(&x, addr), TKMS_OK);
        tkms_bls_fr_encode(got, &x);
        assert_memory_equal(got, want, 32);
    }
    const char *names[2] = {"commitment_hash", "reshare_commitment_hash"};
    for (int k = 0; k < 2; k++) {
        json_t *o = json_object_get(root, names[k]);
        uint8_t buf[64], want[32], got[32];
        size_t len = 0;
        json_t *c;
        json_array_foreach(json_object_get(o, "commitments_hex"), i, c) {
            long n = tu_unhex(buf + len, sizeof buf - len, json_string_value(c));
            assert_true(n >= 0);
            len += (size_t)n;
        }
        assert_int_equal(tu_unhex(want, 32, json_string_value(json_object_get(o, "hash"))), 32);
        json_t *v = json_object_get(o, "source_version");
        uint64_t version = v ? (uint64_t)json_integer_value(v) : 0;
        tkms_tss_commitment_hash_bytes(got, buf, len, v ? &version : NULL);
        assert_memory_equal(got, want, 32);
    }
    json_decref(root);
}

static void rand_points(tkms_bls_fr *xs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t addr[20];
        tu_rng_bytes(&prng, addr, 20);
        assert_int_equal(tkms_tss_point_from_address(&xs[i], addr), TKMS_OK);
    }
}

static void test_points_and_lagrange(void **state) {
    (void)state;
    tkms_bls_fr xs[8], lambdas[8];
    rand_points(xs, 8);
    assert_int_equal(tkms_tss_points_check(xs, 8), TKMS_OK);
    /* Σ λ_i f(x_i) = f(0) for a random polynomial of degree < 8 */
    tkms_tss_poly f;
    assert_int_equal(tkms_tss_poly_random(&f, 8, NULL, &rng), TKMS_OK);
    assert_int_equal(tkms_tss_lagrange_at_zero_vartime(lambdas, xs, 8), TKMS_OK);
    tkms_bls_fr acc;
    tkms_bls_fr_from_u64(&acc, 0);
    for (size_t i = 0; i < 8; i++) {
        tkms_tss_secret s;
        tkms_tss_poly_eval(&s, &f, &xs[i]);
        tkms_bls_fr_mul(&s.v, &s.v, &lambdas[i]);
        tkms_bls_fr_add(&acc, &acc, &s.v);
    }
    assert_true(tkms_bls_fr_equal(&acc, &f.a[0]));
    tkms_bls_fr bad[3] = {xs[0], xs[1], xs[0]};
    assert_int_equal(tkms_tss_points_check(bad, 3), TKMS_ERR_TSS_DUPLICATE_POINT);
    assert_int_equal(tkms_tss_lagrange_at_zero_vartime(lambdas, bad, 3),
                     TKMS_ERR_TSS_DUPLICATE_POINT);
    tkms_bls_fr_from_u64(&bad[2], 0);
    assert_int_equal(tkms_tss_points_check(bad, 3), TKMS_ERR_TSS_ZERO_POINT);
    assert_int_equal(tkms_tss_points_check(xs, TKMS_TSS_OPERATORS_MAX + 1), TKMS_ERR_TSS_TOO_MANY);
    assert_int_equal(tkms_tss_poly_random(&f, 0, NULL, &rng), TKMS_ERR_TSS_BAD_THRESHOLD);
    assert_int_equal(tkms_tss_poly_random(&f, TKMS_TSS_THRESHOLD_MAX + 1, NULL, &rng),
                     TKMS_ERR_TSS_BAD_THRESHOLD);
    tkms_tss_poly_wipe(&f);
}

/* A DKG among 4 and a reshare to 5, through the public combination functions, with each
   corruption detected. */
static void test_dkg_reshare_checks(void **state) {
    (void)state;
    enum { N = 4, N2 = 5 };
    tkms_bls_fr xs[N], ys[N2];
    rand_points(xs, N);
    rand_points(ys, N2);
    uint32_t t = tkms_tss_threshold(N), t2 = tkms_tss_threshold(N2);
    static tkms_tss_poly polys[N];
    static tkms_tss_commitments comms[N], combined[N], comms2[N2];
    tkms_tss_secret dealt[N][N], shares[N];
    for (size_t i = 0; i < N; i++) {
        assert_int_equal(tkms_tss_poly_random(&polys[i], t, NULL, &rng), TKMS_OK);
        tkms_tss_poly_commit(&comms[i], &polys[i]);
        for (size_t j = 0; j < N; j++) {
            tkms_tss_poly_eval(&dealt[j][i], &polys[i], &xs[j]);
            assert_true(tkms_tss_share_verify_vartime(&dealt[j][i], &xs[j], &comms[i]));
        }
    }
    for (size_t j = 0; j < N; j++) {
        assert_int_equal(tkms_tss_dkg_combine(&shares[j], &combined[j], dealt[j], comms, N, &xs[j]),
                         TKMS_OK);
    }
    tkms_bls_g2 mpk = combined[0].c[0];
    /* a corrupted share, and a corrupted commitment, are caught */
    tkms_tss_secret bad[N];
    memcpy(bad, dealt[1], sizeof bad);
    tkms_bls_fr one;
    tkms_bls_fr_from_u64(&one, 1);
    tkms_bls_fr_add(&bad[2].v, &bad[2].v, &one);
    tkms_tss_secret out;
    tkms_tss_commitments out_c;
    assert_int_equal(tkms_tss_dkg_combine(&out, &out_c, bad, comms, N, &xs[1]),
                     TKMS_ERR_TSS_SHARE_INVALID);
    assert_true(tkms_bls_fr_is_zero(&out.v));
    static tkms_tss_commitments badc[N];
    memcpy(badc, comms, sizeof badc);
    tkms_bls_g2_add(&badc[3].c[1], &badc[3].c[1], &badc[3].c[0]);
    assert_int_equal(tkms_tss_dkg_combine(&out, &out_c, dealt[1], badc, N, &xs[1]),
                     TKMS_ERR_TSS_SHARE_INVALID);
    badc[3] = comms[3];
    badc[3].t = t + 1;
    assert_int_equal(tkms_tss_dkg_combine(&out, &out_c, dealt[1], badc, N, &xs[1]),
                     TKMS_ERR_TSS_THRESHOLD_MISMATCH);
    /* reshare from dealers {0, 1, 3} (t = 3) to 5 new operators */
    size_t dealer_idx[3] = {0, 1, 3};
    tkms_bls_fr dxs[3];
    static tkms_tss_poly p2[3];
    tkms_tss_secret dealt2[N2][3];
    for (size_t d = 0; d < 3; d++) {
        dxs[d] = xs[dealer_idx[d]];
        assert_int_equal(tkms_tss_poly_random(&p2[d], t2, &shares[dealer_idx[d]], &rng), TKMS_OK);
        tkms_tss_poly_commit(&comms2[d], &p2[d]);
        for (size_t j = 0; j < N2; j++) {
            tkms_tss_poly_eval(&dealt2[j][d], &p2[d], &ys[j]);
        }
    }
    for (size_t j = 0; j < N2; j++) {
        assert_int_equal(tkms_tss_reshare_combine(&out, &out_c, dealt2[j], comms2, dxs, 3, &mpk,
                                                  &ys[j]),
                         TKMS_OK);
        assert_true(tkms_bls_g2_equal(&out_c.c[0], &mpk));
    }
    /* a dealer that does not deal its own share changes the MPK: caught (I2) */
    static tkms_tss_poly rogue;
    assert_int_equal(tkms_tss_poly_random(&rogue, t2, NULL, &rng), TKMS_OK);
    static tkms_tss_commitments comms3[3];
    memcpy(comms3, comms2, sizeof comms3);
    tkms_tss_poly_commit(&comms3[1], &rogue);
    tkms_tss_secret dealt3[3];
    memcpy(dealt3, dealt2[0], sizeof dealt3);
    tkms_tss_poly_eval(&dealt3[1], &rogue, &ys[0]);
    assert_int_equal(tkms_tss_reshare_combine(&out, &out_c, dealt3, comms3, dxs, 3, &mpk, &ys[0]),
                     TKMS_ERR_TSS_MPK_CHANGED);
    /* duplicate dealer points */
    tkms_bls_fr dup[3] = {dxs[0], dxs[0], dxs[2]};
    assert_int_equal(tkms_tss_reshare_combine(&out, &out_c, dealt2[0], comms2, dup, 3, &mpk, &ys[0]),
                     TKMS_ERR_TSS_DUPLICATE_POINT);
    assert_int_equal(tkms_tss_reshare_combine(&out, &out_c, dealt2[0], comms2, dxs, 0, &mpk, &ys[0]),
                     TKMS_ERR_TSS_NO_DEALERS);
}

/* The batched share check accepts honest dealings and names exactly the bad one. */
static void test_batch_share_check(void **state) {
    (void)state;
    enum { D = 6 };
    uint32_t t = 4;
    tkms_bls_fr x;
    rand_points(&x, 1);
    static tkms_tss_commitments comms[D];
    tkms_tss_secret shares[D];
    for (size_t i = 0; i < D; i++) {
        tkms_tss_poly f;
        assert_int_equal(tkms_tss_poly_random(&f, t, NULL, &rng), TKMS_OK);
        tkms_tss_poly_commit(&comms[i], &f);
        tkms_tss_poly_eval(&shares[i], &f, &x);
        tkms_tss_poly_wipe(&f);
    }
    bool ok[D];
    assert_int_equal(tkms_tss_shares_verify_batch_vartime(ok, shares, comms, D, &x, &rng), D);
    tkms_bls_fr one;
    tkms_bls_fr_from_u64(&one, 1);
    tkms_bls_fr_add(&shares[4].v, &shares[4].v, &one);
    assert_int_equal(tkms_tss_shares_verify_batch_vartime(ok, shares, comms, D, &x, &rng), D - 1);
    for (size_t i = 0; i < D; i++) {
        assert_int_equal(ok[i], i != 4);
    }
    tkms_bls_fr_sub(&shares[4].v, &shares[4].v, &one);
    comms[1].t = t - 1; /* a degree-lowered dealing is checked alone, and fails */
    assert_int_equal(tkms_tss_shares_verify_batch_vartime(ok, shares, comms, D, &x, &rng), D - 1);
    assert_false(ok[1]);
}

/* Partials: sign, verify individually and in a batch, blame a bad one, combine, verify. */
static void test_partials(void **state) {
    (void)state;
    enum { N = 5 };
    uint32_t t = tkms_tss_threshold(N);
    tkms_bls_fr xs[N];
    rand_points(xs, N);
    tkms_tss_poly f;
    tkms_tss_commitments c;
    assert_int_equal(tkms_tss_poly_random(&f, t, NULL, &rng), TKMS_OK);
    tkms_tss_poly_commit(&c, &f);
    const char *id = "0x1234567890abcdef1234567890abcdef12345678";
    tkms_bls_g1 h1, partials[N], sk;
    tkms_bls_g2 pks[N];
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)id, strlen(id)), TKMS_OK);
    for (size_t j = 0; j < N; j++) {
        tkms_tss_secret s;
        tkms_tss_poly_eval(&s, &f, &xs[j]);
        tkms_tss_partial_sign(&partials[j], &s, &h1);
        tkms_tss_public_share_vartime(&pks[j], &c, &xs[j]);
        assert_true(tkms_tss_partial_verify_vartime(&partials[j], &h1, &pks[j]));
    }
    bool ok[N];
    assert_int_equal(tkms_tss_partials_verify_batch_vartime(ok, partials, pks, N, &h1, &rng), N);
    /* operator 2 lies: the batch fails, the fallback names exactly operator 2 */
    tkms_bls_g1 liar[N];
    memcpy(liar, partials, sizeof liar);
    tkms_bls_g1_dbl(&liar[2], &liar[2]);
    assert_int_equal(tkms_tss_partials_verify_batch_vartime(ok, liar, pks, N, &h1, &rng), N - 1);
    for (size_t j = 0; j < N; j++) {
        assert_int_equal(ok[j], j != 2);
    }
    assert_int_equal(tkms_tss_partials_combine(&sk, partials + 1, xs + 1, t), TKMS_OK);
    assert_true(tkms_tss_app_key_verify_vartime(&sk, &h1, &c.c[0]));
    /* sk = S·H1(id) */
    tkms_bls_g1 want;
    tkms_bls_g1_mul(&want, &h1, &f.a[0]);
    assert_true(tkms_bls_g1_equal(&sk, &want));
    /* t - 1 partials do not give the key */
    assert_int_equal(tkms_tss_partials_combine(&sk, partials, xs, t - 1), TKMS_OK);
    assert_false(tkms_tss_app_key_verify_vartime(&sk, &h1, &c.c[0]));
    tkms_bls_g1_identity(&sk);
    assert_false(tkms_tss_app_key_verify_vartime(&sk, &h1, &c.c[0]));
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)id, 0), TKMS_ERR_TSS_BAD_ID);
    tkms_tss_poly_wipe(&f);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    rng = test_rng_make(&prng);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threshold),       cmocka_unit_test(test_eigenx_vectors),
        cmocka_unit_test(test_points_and_lagrange), cmocka_unit_test(test_dkg_reshare_checks),
        cmocka_unit_test(test_batch_share_check), cmocka_unit_test(test_partials),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
