/*
 * test_net_chain.c — the client's chain-derived public state on a real chain: the real
 * contracts on anvil, four operators registered with the URLs of fake tkmsd operators,
 * a genesis DKG and then a reshare driven through EpochLog (commit → reveal → confirm)
 * with REAL commitments of a real sharing (net_fixture.h). tkms_client_chain_* must read
 * back the MPK, the retained versions, the operator set and app URLs, and derive each
 * version's combined commitments (sum for the DKG, Lagrange over the dealers for the
 * reshare) equal to what tss computed with the secrets; then the whole secrets flow runs
 * against that chain state (a byzantine operator named), and /v1/pubkey answers are
 * cross-checked against chain (a lying node named). Before genesis: no version; a
 * version that never finalized: unknown.
 */
#include "chain_fixture.h"

static char private_pem[FX_PEM_MAX], public_pem[FX_PEM_MAX];

static tkms_client_chain *client_chain(void) {
    tkms_client_chain_options o = {.rpc_url = E.anvil.url, .chain_id = CT_CHAIN_ID};
    memcpy(o.epoch_log, E.epoch_log.bytes, 20);
    tkms_client_chain *cc = NULL;
    assert_int_equal(tkms_client_chain_new(&cc, &o), TKMS_OK);
    return cc;
}

static int setup(void **state) {
    (void)state;
    chain_fixture_setup();
    assert_int_equal(tkms_prim_rsa_keygen(private_pem, public_pem, FX_PEM_MAX, 2048), TKMS_OK);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    chain_fixture_teardown();
    return 0;
}

static void check_version(tkms_client_chain *cc, const tkms_client_network *net,
                          const fx_version *want, uint64_t version, uint64_t source,
                          uint32_t dealers) {
    static tkms_client_version v;
    tkms_err err = tkms_client_chain_version(cc, &v, net, version);
    if (err != TKMS_OK) {
        fail_msg("version %llu: %s (%s)", (unsigned long long)version, tkms_err_name(err),
                 tkms_client_chain_error(cc));
    }
    assert_int_equal(v.version, version);
    assert_int_equal(v.t, T);
    assert_int_equal(v.source, source);
    assert_int_equal(v.operator_count, N);
    assert_int_equal(v.dealer_count, dealers);
    for (uint32_t i = 0; i < N; i++) {
        assert_memory_equal(v.operators[i], FX.addr[i], 20);
    }
    for (uint32_t k = 0; k < T; k++) {
        assert_true(tkms_bls_g2_equal(&v.combined.c[k], &want->combined.c[k]));
    }
    for (uint32_t j = 0; j < N; j++) { /* public shares from chain = s_j·g2 */
        tkms_bls_g2 pk, g2, s_g2;
        assert_int_equal(tkms_client_public_share(&pk, &v, FX.addr[j]), TKMS_OK);
        tkms_bls_g2_generator(&g2);
        tkms_bls_g2_mul(&s_g2, &g2, &want->shares[j].v);
        assert_true(tkms_bls_g2_equal(&pk, &s_g2));
    }
}

static void check_network(tkms_client_chain *cc, tkms_client_network *net) {
    tkms_err err = tkms_client_chain_network(cc, net);
    if (err != TKMS_OK) {
        fail_msg("network: %s (%s)", tkms_err_name(err), tkms_client_chain_error(cc));
    }
    assert_true(tkms_bls_g2_equal(&net->mpk, &FX.mpk));
    assert_int_equal(net->chain_id, CT_CHAIN_ID);
    assert_int_equal(net->finalized_version, E.e2);
    assert_int_equal(net->retained_count, 2);
    assert_int_equal(net->retained[0], E.e2);
    assert_int_equal(net->retained[1], E.e1);
    assert_int_equal(net->operator_count, N);
    for (uint32_t i = 0; i < N; i++) {
        assert_memory_equal(net->operators[i].address, FX.addr[i], 20);
        assert_string_equal(net->operators[i].app_url, FX.ops[i].node.url);
    }
}

static void secrets_over_chain(const tkms_client_network *net) {
    tkms_client_secrets s;
    tkms_client_secrets_request r = {.app_id = FX.app_id,
                                     .attestation_method = "dev-ecdsa",
                                     .attestation = "AAAA",
                                     .rsa_public_pem = public_pem,
                                     .rsa_private_pem = private_pem,
                                     .challenge = "1-00"};
    tkms_client_http_options o;
    tkms_client_http_options_default(&o);
    FX.ops[1].behaviour = FX_BAD_PARTIAL;
    FX.ops[1].bad_mask = 3;
    assert_int_equal(tkms_client_secrets_fetch(&s, net, &r, &o, &FX.rng), TKMS_OK);
    assert_int_equal(s.version, E.e2);
    assert_int_equal(s.operators[1].status, TKMS_CLIENT_OPERATOR_BAD_PARTIAL);
    assert_int_equal(s.env_len, strlen(FX.env_plain));
    assert_memory_equal(s.env, FX.env_plain, s.env_len);
    tkms_bls_g1 h1, want;
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)FX.app_id, strlen(FX.app_id)), TKMS_OK);
    tkms_tss_partial_sign(&want, &FX.master, &h1);
    assert_true(tkms_bls_g1_equal(&s.sk_id, &want));
    tkms_client_secrets_clear(&s);
    FX.ops[1].behaviour = FX_HONEST;
}

static void pubkey_over_chain(tkms_client_chain *cc, const tkms_client_network *net) {
    static tkms_client_version v;
    assert_int_equal(tkms_client_chain_version(cc, &v, net, E.e2), TKMS_OK);
    tkms_client_operator_report reports[N];
    uint32_t agreeing = 0;
    tkms_client_http_options o;
    tkms_client_http_options_default(&o);
    assert_int_equal(tkms_client_pubkey_check(reports, &agreeing, net, &v, &o), TKMS_OK);
    assert_int_equal(agreeing, N);
    FX.ops[2].pubkey_lie = true;
    assert_int_equal(tkms_client_pubkey_check(reports, &agreeing, net, &v, &o), TKMS_OK);
    assert_int_equal(agreeing, N - 1);
    assert_int_equal(reports[2].status, TKMS_CLIENT_OPERATOR_MISMATCH);
    assert_string_equal(reports[2].detail, "operators: public_share differs from chain");
    FX.ops[2].pubkey_lie = false;
}

static void test_chain_state(void **state) {
    (void)state;
    deploy();
    memcpy(FX.epoch_log, E.epoch_log.bytes, 20);
    register_operators();
    tkms_client_chain *cc = client_chain();
    static tkms_client_network net;
    assert_int_equal(tkms_client_chain_network(cc, &net), TKMS_ERR_CLIENT_NO_VERSION);
    assert_int_equal(tkms_client_chain_operators(cc, &net), TKMS_OK); /* before genesis */
    assert_int_equal(net.operator_count, N);
    E.e1 = start_genesis();
    E.e2 = E.e1 + 1;
    FX.versions[0].version = E.e1;
    FX.versions[1].version = E.e2;
    run_epoch(E.e1, UINT64_MAX, &FX.versions[0], N); /* DKG: every operator deals */
    run_epoch(E.e2, E.e1, &FX.versions[1], T);       /* reshare of e1 by O[0..t) */
    ct_mine(E.c, 1);
    check_network(cc, &net);
    check_version(cc, &net, &FX.versions[0], E.e1, UINT64_MAX, N);
    check_version(cc, &net, &FX.versions[1], E.e2, E.e1, T);
    static tkms_client_version v;
    assert_int_equal(tkms_client_chain_version(cc, &v, &net, E.e2 + 3),
                     TKMS_ERR_CLIENT_UNKNOWN_VERSION);
    assert_non_null(strstr(tkms_client_chain_error(cc), "not finalized"));
    secrets_over_chain(&net);
    pubkey_over_chain(cc, &net);
    /* e3: a reshare of e2 whose confirmers posted a stateHash that is not the one of what
       they revealed (same dealers, so C_0 is still the MPK): refused by the client */
    uint64_t e3 = E.e2 + 1;
    const uint8_t wrong[32] = {0xba, 0xd};
    run_epoch_with(e3, E.e2, &FX.versions[1], T, wrong);
    ct_mine(E.c, 1);
    assert_int_equal(tkms_client_chain_network(cc, &net), TKMS_OK);
    assert_int_equal(net.retained_count, 2); /* C = versions >= e2, the last reshare's source */
    assert_int_equal(net.retained[0], e3);
    assert_int_equal(tkms_client_chain_version(cc, &v, &net, e3), TKMS_ERR_CLIENT_CHAIN_STATE);
    assert_non_null(strstr(tkms_client_chain_error(cc), "winning stateHash"));
    secrets_over_chain(&net); /* e3 is not served; e2 still is, and is used */
    tkms_client_chain_free(cc);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
