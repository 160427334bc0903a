/*
 * test_net_version.c — the public state of a version derived from its dealers'
 * commitments (net_version.c) against what tss computes with the secrets in hand: the DKG
 * sum and the reshare's Lagrange combination give tss's combined commitments, C_0 = MPK,
 * every public share equals s_j·g2 and verifies s_j's partials; inconsistent inputs (a
 * foreign MPK, a dealer with another t, a duplicate dealer, a dealing swapped between
 * dealers of a reshare, no dealers) are TKMS_ERR_CLIENT_CHAIN_STATE with nothing left.
 */
#include "net_fixture.h"

static fixture FX;

static void load(tkms_client_version *v, uint64_t version) {
    assert_int_equal(fx_version_load(&FX, v, version), TKMS_OK);
}

static void test_matches_tss(void **state) {
    (void)state;
    fx_init(&FX, 7, tu_seed());
    static tkms_client_version v;
    for (uint64_t version = 1; version <= 2; version++) {
        load(&v, version);
        const fx_version *want = &FX.versions[version - 1];
        assert_int_equal(v.combined.t, want->t);
        for (uint32_t k = 0; k < want->t; k++) {
            assert_true(tkms_bls_g2_equal(&v.combined.c[k], &want->combined.c[k]));
        }
        assert_true(tkms_bls_g2_equal(&v.combined.c[0], &FX.mpk));
        tkms_bls_g1 h1, partial;
        assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)"0xabcdef", 8), TKMS_OK);
        for (uint32_t j = 0; j < FX.n; j++) {
            tkms_bls_g2 pk, g2, want_pk;
            assert_int_equal(tkms_client_public_share(&pk, &v, FX.addr[j]), TKMS_OK);
            tkms_bls_g2_generator(&g2);
            tkms_bls_g2_mul(&want_pk, &g2, &want->shares[j].v);
            assert_true(tkms_bls_g2_equal(&pk, &want_pk));
            tkms_tss_partial_sign(&partial, &want->shares[j], &h1);
            assert_true(tkms_tss_partial_verify_vartime(&partial, &h1, &pk));
        }
    }
}

static void test_inconsistent_inputs(void **state) {
    (void)state;
    fx_init(&FX, 4, tu_seed() + 1);
    static tkms_client_version v;
    tkms_bls_g2 other;
    tkms_bls_g2_generator(&other);
    for (uint64_t version = 1; version <= 2; version++) { /* a foreign MPK */
        load(&v, version);
        assert_int_equal(tkms_client_version_combine(&v, FX.versions[version - 1].dealings, &other),
                         TKMS_ERR_CLIENT_CHAIN_STATE);
        assert_int_equal(v.combined.t, 0);
    }
    static tkms_tss_commitments dealings[FX_N_MAX];
    load(&v, 2); /* reshare: two dealers' dealings swapped → Lagrange weights misapplied */
    memcpy(dealings, FX.versions[1].dealings, sizeof dealings);
    dealings[0] = FX.versions[1].dealings[1];
    dealings[1] = FX.versions[1].dealings[0];
    assert_int_equal(tkms_client_version_combine(&v, dealings, &FX.mpk),
                     TKMS_ERR_CLIENT_CHAIN_STATE);
    load(&v, 1); /* a dealer dealt another degree */
    memcpy(dealings, FX.versions[0].dealings, sizeof dealings);
    dealings[2].t = (uint16_t)(dealings[2].t - 1);
    assert_int_equal(tkms_client_version_combine(&v, dealings, &FX.mpk),
                     TKMS_ERR_CLIENT_CHAIN_STATE);
    load(&v, 2); /* a duplicate dealer */
    memcpy(v.dealers[1], v.dealers[0], 20);
    assert_int_equal(tkms_client_version_combine(&v, FX.versions[1].dealings, &FX.mpk),
                     TKMS_ERR_CLIENT_CHAIN_STATE);
    load(&v, 1); /* a dealer missing from a DKG: the sum is not the MPK */
    v.dealer_count--;
    assert_int_equal(tkms_client_version_combine(&v, FX.versions[0].dealings, &FX.mpk),
                     TKMS_ERR_CLIENT_CHAIN_STATE);
    v.dealer_count = 0;
    assert_int_equal(tkms_client_version_combine(&v, FX.versions[0].dealings, &FX.mpk),
                     TKMS_ERR_CLIENT_CHAIN_STATE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_tss),
        cmocka_unit_test(test_inconsistent_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
