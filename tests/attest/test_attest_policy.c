/*
 * test_attest_policy.c — the policy defaults and the JSON loader (attest_policy.c): every
 * key is applied, and every unknown key, wrong type and out-of-range value is an error that
 * names the key and leaves the defaults in place.
 */
#include "test_util.h"

#include "attest/internal.h"

static tkms_attest_policy p;
static tkms_attest_error err;

static tkms_err load(const char *json) {
    return tkms_attest_policy_from_json(&p, &err, (const uint8_t *)json, strlen(json));
}

static void test_defaults(void **state) {
    (void)state;
    tkms_attest_policy_default(&p);
    assert_int_equal(p.clock_skew_s, 60);
    assert_int_equal(p.gcp.audience_count, 0);
    assert_int_equal(p.gcp.hwmodel_count, 3);
    assert_string_equal(p.gcp.hwmodels[0], "GCP_AMD_SEV");
    assert_string_equal(p.gcp.hwmodels[1], "GCP_AMD_SEV_ES");
    assert_string_equal(p.gcp.hwmodels[2], "GCP_INTEL_TDX");
    assert_int_equal(p.gcp.project_count, 0);
    assert_false(p.gcp.allow_debug);
    assert_true(p.gcp.require_stable);
    assert_true(p.gcp.require_secure_boot);
    assert_int_equal(p.gcp.swversion_min, 0);
    assert_int_equal(p.gcp.app_id_source, TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME_SUFFIX);
    assert_true(p.gcp.replay_check);
    assert_false(p.snp.allow_debug);
    assert_false(p.snp.allow_migration_agent);
    assert_true(p.snp.allow_smt);
    assert_false(p.snp.allow_provisional_firmware);
    assert_true(p.snp.allow_vcek);
    assert_true(p.snp.allow_vlek);
    assert_int_equal(p.snp.vmpl, 0);
    assert_int_equal(p.snp.measurement_count, 0);
    assert_false(p.snp.init_data_first_image_wins);
    for (int i = 0; i < TKMS_ATTEST_SNP_PRODUCT_COUNT; i++) {
        assert_false(p.snp.min_tcb_set[i]);
    }
}

/* The example policy of docs/attestation.md. */
static const char example[] =
    "{\"clock_skew_s\": 30,\n"
    " \"gcp\": {\"audiences\": [\"tkms\"], \"hwmodels\": [\"GCP_INTEL_TDX\"],\n"
    "         \"projects\": [\"acme-prod\", \"acme-staging\"], \"allow_debug\": false,\n"
    "         \"require_stable\": true, \"require_secure_boot\": true,\n"
    "         \"swversion_min\": 250300, \"app_id\": \"instance_name_suffix\",\n"
    "         \"replay_check\": true},\n"
    " \"sev_snp\": {\"allow_debug\": false, \"allow_migration_agent\": false,\n"
    "             \"allow_smt\": true, \"allow_provisional_firmware\": false,\n"
    "             \"signers\": [\"vcek\", \"vlek\"], \"vmpl\": 0,\n"
    "             \"min_tcb\": {\"Milan\": {\"bl\": 3, \"tee\": 0, \"snp\": 8, \"ucode\": 115},\n"
    "                         \"Genoa\": {\"bl\": 10, \"tee\": 0, \"snp\": 23, \"ucode\": 84},\n"
    "                         \"Turin\": {\"fmc\": 0, \"bl\": 0, \"tee\": 0, \"snp\": 0, "
    "\"ucode\": 9}},\n"
    "             \"measurements\": "
    "[\"7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd"
    "81841f\"],\n"
    "             \"init_data_first_image_wins\": false}}\n";

static void test_example(void **state) {
    (void)state;
    assert_int_equal(load(example), TKMS_OK);
    assert_int_equal(p.clock_skew_s, 30);
    assert_int_equal(p.gcp.audience_count, 1);
    assert_string_equal(p.gcp.audiences[0], "tkms");
    assert_int_equal(p.gcp.hwmodel_count, 1);
    assert_int_equal(p.gcp.project_count, 2);
    assert_string_equal(p.gcp.projects[1], "acme-staging");
    assert_int_equal(p.gcp.swversion_min, 250300);
    assert_true(p.snp.min_tcb_set[TKMS_ATTEST_SNP_PRODUCT_GENOA]);
    assert_int_equal(p.snp.min_tcb[TKMS_ATTEST_SNP_PRODUCT_GENOA].snp, 23);
    assert_int_equal(p.snp.min_tcb[TKMS_ATTEST_SNP_PRODUCT_TURIN].ucode, 9);
    assert_int_equal(p.snp.measurement_count, 1);
    assert_int_equal(p.snp.measurements[0][0], 0x7a);
    assert_int_equal(p.snp.measurements[0][47], 0x1f);
}

static void test_values(void **state) {
    (void)state;
    assert_int_equal(load("{\"gcp\":{\"app_id\":\"claim:submods.container.env.APP\"}}"), TKMS_OK);
    assert_int_equal(p.gcp.app_id_source, TKMS_ATTEST_GCP_APP_ID_CLAIM);
    assert_string_equal(p.gcp.app_id_claim, "submods.container.env.APP");
    assert_int_equal(load("{\"gcp\":{\"app_id\":\"instance_name\",\"allow_debug\":true}}"),
                     TKMS_OK);
    assert_int_equal(p.gcp.app_id_source, TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME);
    assert_true(p.gcp.allow_debug);
    assert_int_equal(load("{\"sev_snp\":{\"signers\":[\"vlek\"],\"vmpl\":3}}"), TKMS_OK);
    assert_false(p.snp.allow_vcek);
    assert_true(p.snp.allow_vlek);
    assert_int_equal(p.snp.vmpl, 3);
    assert_int_equal(load("{}"), TKMS_OK);
    assert_int_equal(load("{\"gcp\":{\"hwmodels\":[]}}"), TKMS_OK); /* allows none */
    assert_int_equal(p.gcp.hwmodel_count, 0);
}

static const char *const invalid[] = {
    "",
    "[]",
    "{\"gcp\":{}, \"gcp\":{}}",
    "{\"nope\":1}",
    "{\"clock_skew_s\":601}",
    "{\"clock_skew_s\":-1}",
    "{\"clock_skew_s\":\"60\"}",
    "{\"gcp\":[]}",
    "{\"gcp\":{\"audience\":[\"x\"]}}",
    "{\"gcp\":{\"audiences\":\"tkms\"}}",
    "{\"gcp\":{\"audiences\":[\"\"]}}",
    "{\"gcp\":{\"audiences\":[1]}}",
    "{\"gcp\":{\"audiences\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\",\"i\"]}}",
    "{\"gcp\":{\"hwmodels\":[\"GCP_AMD_SEV_THIS_NAME_IS_FAR_TOO_LONG\"]}}",
    "{\"gcp\":{\"allow_debug\":\"yes\"}}",
    "{\"gcp\":{\"swversion_min\":1.5}}",
    "{\"gcp\":{\"app_id\":\"claim:\"}}",
    "{\"gcp\":{\"app_id\":\"claim:.a\"}}",
    "{\"gcp\":{\"app_id\":\"claim:a..b\"}}",
    "{\"gcp\":{\"app_id\":\"claim:a.\"}}",
    "{\"gcp\":{\"app_id\":\"sub\"}}",
    "{\"sev_snp\":{\"vmpl\":4}}",
    "{\"sev_snp\":{\"signers\":[]}}",
    "{\"sev_snp\":{\"signers\":[\"ask\"]}}",
    "{\"sev_snp\":{\"min_tcb\":{\"Naples\":{\"bl\":1}}}}",
    "{\"sev_snp\":{\"min_tcb\":{\"Milan\":{\"microcode\":1}}}}",
    "{\"sev_snp\":{\"min_tcb\":{\"Milan\":{\"ucode\":256}}}}",
    "{\"sev_snp\":{\"min_tcb\":[]}}",
    "{\"sev_snp\":{\"measurements\":[\"abcd\"]}}",
    ("{\"sev_snp\":{\"measurements\":[\"zz1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579"
     "ea158d3e1a0dc39b2c60bd95b9c480cd81841f\"]}}"),
    "{\"sev_snp\":{\"allow_smt\":1}}",
    "{\"sev_snp\":{\"unknown\":true}}",
};

static void test_invalid(void **state) {
    (void)state;
    tkms_attest_policy defaults;
    tkms_attest_policy_default(&defaults);
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        if (load(invalid[i]) != TKMS_ERR_ATTEST_POLICY_INVALID) {
            fail_msg("accepted: %s", invalid[i]);
        }
        assert_int_equal(err.code, TKMS_ERR_ATTEST_POLICY_INVALID);
        assert_true(strncmp(err.message, "policy", 6) == 0);
        assert_memory_equal(&p, &defaults, sizeof p); /* nothing half-applied */
    }
    load("{\"sev_snp\":{\"vmpl\":4}}");
    assert_string_equal(err.message, "policy sev_snp.vmpl: expected an integer in 0..3");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
