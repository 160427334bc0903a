/*
 * test_e2e_sizes.c — the genesis DKG and one reshare with n = 7 and n = 10 real tkmsd
 * processes (one test case each) on anvil, through the harness of e2e.h.
 *
 * Checks per size: the DKG finalizes with every operator in D and among the winning
 * confirmers (nobody misses a window at this size under the lockstep miner); every node
 * serves the version (/readyz) and /v1/pubkey gives the chain's MPK, t' = ceil(2n/3)
 * combined commitments and the n operators of O; the reshare finalizes the same way and
 * every node serves it with the same MPK, which the chain still holds; every node's decode
 * cache (tkms_g2_cache_lookups_total) answered more lookups than it computed. n = 4 is
 * test_driver_e2e's; what each e2e program proves is in docs/node.md "End-to-end tests".
 */
#include "e2e.h"

/* One cluster per size: the harness's fixtures set each up and tear it down. */
static e2e_cluster E7 = {.opt = {.nodes = 7}}, E10 = {.opt = {.nodes = 10}};

/* Every one of the n operators dealt (D) and confirmed the winning key of version v. */
static void expect_everyone(e2e_cluster *cl, uint64_t v, size_t n) {
    e2e_progress p = e2e_epoch_progress(cl, v);
    uint64_t all = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
    assert_true(p.finalized);
    if (p.dealers != all || p.winners != all) {
        e2e_dump_logs(cl);
        fail_msg("version %llu: D 0x%llx, winners 0x%llx, expected 0x%llx", (unsigned long long)v,
                 (unsigned long long)p.dealers, (unsigned long long)p.winners,
                 (unsigned long long)all);
    }
}

/* /v1/pubkey of every node: threshold t' = ceil(2n/3) and t' combined commitments. */
static void expect_threshold(e2e_cluster *cl, size_t n) {
    json_int_t t = (json_int_t)((2 * n + 2) / 3);
    for (size_t i = 0; i < cl->count; i++) {
        char body[65536];
        assert_int_equal(dt_http_get(cl->n[i].port, "/v1/pubkey", body, sizeof body), 200);
        json_t *j = json_loads(body, 0, NULL);
        assert_non_null(j);
        assert_int_equal(json_integer_value(json_object_get(j, "threshold")), t);
        assert_int_equal(json_array_size(json_object_get(j, "commitments")), (size_t)t);
        json_decref(j);
    }
}

/* Each node's G2 decode cache answered more than it computed (docs/node.md §2). */
static void expect_cache_used(e2e_cluster *cl) {
    for (size_t i = 0; i < cl->count; i++) {
        int64_t hit = e2e_node_metric(&cl->n[i], "tkms_g2_cache_lookups_total{result=\"hit\"}");
        int64_t miss = e2e_node_metric(&cl->n[i], "tkms_g2_cache_lookups_total{result=\"miss\"}");
        fprintf(stderr, "[cache] node %zu: %lld hits, %lld misses\n", i, (long long)hit,
                (long long)miss);
        assert_true(miss > 0 && hit > miss);
    }
}

static void dkg_and_reshare(e2e_cluster *cl, size_t n) {
    e2e_start_all(cl);
    uint64_t g = e2e_genesis(cl);
    tkms_chain_address ops[E2E_OPERATORS_MAX];
    assert_int_equal(e2e_operators(cl, g, ops, E2E_OPERATORS_MAX), n);
    expect_everyone(cl, g, n);
    e2e_expect_serving(cl, g);
    expect_threshold(cl, n);
    char mpk[193], after[193];
    e2e_mpk_hex(cl, mpk);
    uint64_t next = g + 1;
    e2e_drive_until(cl, e2e_until_finalized, &next, 120, "the reshare finalized on chain");
    assert_int_equal(e2e_finalized_version(cl), next);
    expect_everyone(cl, next, n);
    e2e_expect_serving(cl, next); /* /v1/pubkey: the chain's MPK */
    expect_threshold(cl, n);
    e2e_mpk_hex(cl, after);
    assert_string_equal(after, mpk);
    expect_cache_used(cl);
}

static void test_n7(void **state) {
    dkg_and_reshare(*state, 7);
}

static void test_n10(void **state) {
    dkg_and_reshare(*state, 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_n7, e2e_fixture_setup, e2e_fixture_teardown,
                                                 &E7),
        cmocka_unit_test_prestate_setup_teardown(test_n10, e2e_fixture_setup, e2e_fixture_teardown,
                                                 &E10),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
