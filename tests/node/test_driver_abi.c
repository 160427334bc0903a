/*
 * test_driver_abi.c — every contract signature the node core uses beyond chain.h's
 * (src/node/driver.h NODE_SIG_*, the AppController event it follows) and every contract
 * error driver_txs.c decodes, checked against the compiled artifacts' ABI, so a contract
 * change breaks this test instead of a running node. Also the revert description of a
 * custom error.
 */
#include <limits.h>

#include "chain/chain_test.h"
#include "driver_test.h"
#include "node/driver_internal.h"

static void artifact(tkms_chain_artifact *a, const char *name) {
    setenv("TKMS_CONTRACTS_DIR", dt_contracts_dir(), 1);
    ct_artifact(a, name);
}

/* signature "name(types)" with outputs "(types)" is a function of the artifact. */
static void function_is(const tkms_chain_artifact *a, const char *signature, const char *outputs) {
    char name[128], got[TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX];
    char got_out[TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX];
    const char *paren = strchr(signature, '(');
    assert_non_null(paren);
    snprintf(name, sizeof name, "%.*s", (int)(paren - signature), signature);
    tkms_err err = tkms_chain_artifact_signature(got, sizeof got, got_out, sizeof got_out, a,
                                                 "function", name);
    if (err != TKMS_OK) {
        fail_msg("%s: no function %s (%s)", a->name, name, tkms_err_name(err));
    }
    assert_string_equal(got, signature);
    assert_string_equal(got_out, outputs);
}

static void test_view_signatures(void **state) {
    (void)state;
    tkms_chain_artifact reg, log;
    artifact(&reg, "KmsRegistry");
    artifact(&log, "EpochLog");
    function_is(&log, NODE_SIG_EPOCH_ACTIVE, NODE_SIG_BOOL_OUT);
    function_is(&log, NODE_SIG_RETAINED, NODE_SIG_U64_ARRAY_OUT);
    function_is(&log, NODE_SIG_VERSION_INFO, NODE_SIG_VERSION_INFO_OUT);
    function_is(&log, NODE_SIG_EPOCHLOG_REGISTRY, NODE_SIG_ADDRESS_OUT);
    function_is(&reg, NODE_SIG_REGISTRY_EPOCH_LOG, NODE_SIG_ADDRESS_OUT);
    /* chain.h signatures the view builder relies on, with the outputs it decodes */
    function_is(&log, TKMS_CHAIN_EPOCHLOG_SNAPSHOT, TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT);
    function_is(&log, TKMS_CHAIN_EPOCHLOG_PROGRESS, TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT);
    function_is(&log, TKMS_CHAIN_EPOCHLOG_DEALINGS, TKMS_CHAIN_EPOCHLOG_DEALINGS_OUT);
    function_is(&log, TKMS_CHAIN_EPOCHLOG_ACKS, TKMS_CHAIN_EPOCHLOG_BITMAPS_OUT);
    function_is(&log, TKMS_CHAIN_EPOCHLOG_OPENINGS, TKMS_CHAIN_EPOCHLOG_BITMAPS_OUT);
    function_is(&log, TKMS_CHAIN_EPOCHLOG_OPENED_SHARES, TKMS_CHAIN_EPOCHLOG_OPENED_SHARES_OUT);
    function_is(&log, TKMS_CHAIN_EPOCHLOG_DEALER_SET, TKMS_CHAIN_EPOCHLOG_ADDRESSES_OUT);
    function_is(&log, TKMS_CHAIN_EPOCHLOG_MPK, TKMS_CHAIN_EPOCHLOG_MPK_OUT);
    function_is(&reg, TKMS_CHAIN_REGISTRY_NODE_INFOS_AT, TKMS_CHAIN_REGISTRY_NODE_INFOS_OUT);
    function_is(&reg, TKMS_CHAIN_REGISTRY_PARAMS, TKMS_CHAIN_REGISTRY_PARAMS_OUT);
    tkms_chain_artifact_free(&reg);
    tkms_chain_artifact_free(&log);
}

static void test_followed_event(void **state) {
    (void)state;
    tkms_chain_artifact apps;
    artifact(&apps, "AppController");
    char got[TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX];
    assert_int_equal(tkms_chain_artifact_signature(got, sizeof got, NULL, 0, &apps, "event",
                                                   "AppOwnershipTransferred"),
                     TKMS_OK);
    assert_string_equal(got,
                        "AppOwnershipTransferred(address indexed,address indexed,address indexed)");
    tkms_chain_artifact_free(&apps);
}

/* Every error the node decodes exists, with these exact types, in one of the contracts. */
static void test_known_errors(void **state) {
    (void)state;
    tkms_chain_artifact arts[2];
    artifact(&arts[0], "KmsRegistry");
    artifact(&arts[1], "EpochLog");
    size_t count = 0;
    const char *const *known = driver_txs_known_errors(&count);
    assert_true(count >= 30);
    for (size_t k = 0; k < count; k++) {
        char name[128], got[TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX];
        const char *paren = strchr(known[k], '(');
        snprintf(name, sizeof name, "%.*s", (int)(paren - known[k]), known[k]);
        bool found = false;
        for (size_t a = 0; a < 2 && !found; a++) {
            found = tkms_chain_artifact_signature(got, sizeof got, NULL, 0, &arts[a], "error",
                                                  name) == TKMS_OK &&
                    strcmp(got, known[k]) == 0;
        }
        if (!found) {
            fail_msg("contract error %s not in the artifacts", known[k]);
        }
    }
    tkms_chain_artifact_free(&arts[0]);
    tkms_chain_artifact_free(&arts[1]);
}

static void test_describe(void **state) {
    (void)state;
    uint8_t data[4 + 64] = {0};
    assert_int_equal(tkms_chain_abi_selector(data, "PhaseEnded(uint8,uint64)"), TKMS_OK);
    data[4 + 31] = 5;
    data[4 + 63] = 0x2d;
    char out[256];
    driver_txs_describe(out, sizeof out, data, sizeof data);
    assert_non_null(strstr(out, "PhaseEnded(0x"));
    assert_non_null(strstr(out, "02d)"));
    uint8_t unknown[4] = {1, 2, 3, 4};
    driver_txs_describe(out, sizeof out, unknown, 4);
    assert_null(strstr(out, "PhaseEnded"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_view_signatures),
        cmocka_unit_test(test_followed_event),
        cmocka_unit_test(test_known_errors),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
