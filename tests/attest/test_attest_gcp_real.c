/*
 * test_attest_gcp_real.c — the six real Confidential Space tokens of
 * tests/vectors/attestation/gcp-confidential-space (README §2): each verifies with its JWKS
 * snapshot inside its validity hour, its documented claims come out exactly, and the debug
 * ones are rejected unless debug is allowed. The tokens were bound to other parties' keys,
 * so the binding given is the token's own eat_nonce (EXACT), or none for the two tokens
 * that carry no eat_nonce (which the production HASH binding must then reject).
 */
#include "test_util.h"

#include "attest/internal.h"

#define DIR "tests/vectors/attestation/gcp-confidential-space/"
#define ATLAS_JWKS DIR "atlas_pca_google_cs_jwks_20261008.json"
#define SYNDDB_JWKS DIR "synddb_jwks_20251202.json"
#define ATLAS_NONCE "8bbd16f5b103edde017ba6f3d953a781165a0d512dc97adaad905321444fad19"

typedef struct {
    const char *file, *jwks, *kid, *aud, *hwmodel, *dbgstat, *nonce, *digest, *instance, *project,
        *instance_id;
    int64_t iat, exp;
    uint32_t swversion;
    bool debug, stable;
} real_token;

static const real_token tokens[] = {
    {"atlas_pca_amd_sev_prod.jwt", ATLAS_JWKS, "1be6ff7287d640316ddc929e1a8b21fbca7e54e7",
     "pca-attestation", "GCP_AMD_SEV", "disabled-since-boot", ATLAS_NONCE,
     "sha256:b1c058a8092d56dd77ec351b9e00b2565fba5e413d0cb08d260a1e40e64ca46e", "pca-cs-prod",
     "project-0c507675-adc1-4e6d-899", "575814989817163620", 1791496644, 1791500244, 260900, false,
     true},
    {"atlas_pca_amd_sev_debug.jwt", ATLAS_JWKS, "1be6ff7287d640316ddc929e1a8b21fbca7e54e7",
     "pca-attestation", "GCP_AMD_SEV", "enabled", ATLAS_NONCE,
     "sha256:b1c058a8092d56dd77ec351b9e00b2565fba5e413d0cb08d260a1e40e64ca46e", "pca-cs-capture",
     "project-0c507675-adc1-4e6d-899", "4160176124173070639", 1791496400, 1791500000, 260900, true,
     false},
    {"atlas_pca_intel_tdx_prod.jwt", ATLAS_JWKS, "1be6ff7287d640316ddc929e1a8b21fbca7e54e7",
     "pca-attestation", "GCP_INTEL_TDX", "disabled-since-boot", ATLAS_NONCE,
     "sha256:6597f3b7a7e742c2098782ea04ae9dd091fa0995ae662708e357a7730540d154", "pca-cs-tdx",
     "project-0c507675-adc1-4e6d-899", "7652222326685409026", 1791500836, 1791504436, 260900, false,
     true},
    {"synddb_amd_sev_debug_0.jwt", SYNDDB_JWKS, "d6d5071ab75246a42acfa46d29316311cdab51f7",
     "https://synddb-sequencer.example.com", "GCP_AMD_SEV", "enabled", NULL,
     "sha256:57c5946e1067c9c019d82554416a2fa98438858f5ab8033a2575abfdcd24fb32", "cs-attestation-vm",
     "synd-db-testing", "6549194765718711860", 1764708636, 1764712236, 251001, true, false},
    {"synddb_amd_sev_debug_1.jwt", SYNDDB_JWKS, "d6d5071ab75246a42acfa46d29316311cdab51f7",
     "https://synddb-sequencer.example.com", "GCP_AMD_SEV", "enabled", "sp1-test-nonce-1764708636",
     "sha256:57c5946e1067c9c019d82554416a2fa98438858f5ab8033a2575abfdcd24fb32", "cs-attestation-vm",
     "synd-db-testing", "6549194765718711860", 1764708636, 1764712236, 251001, true, false},
    {"synddb_amd_sev_debug_verifyrs.jwt", SYNDDB_JWKS, "d6d5071ab75246a42acfa46d29316311cdab51f7",
     "https://synddb-sequencer.example.com", "GCP_AMD_SEV", "enabled", NULL,
     "sha256:61bb0cf00789162e9940a97621a6d4e53126638421aea181d8bff39d6e2f21fa", "cs-attestation-vm",
     "synd-db-testing", "5071524234036179841", 1764707757, 1764711357, 251001, true, false},
};
#define TOKEN_COUNT (sizeof tokens / sizeof tokens[0])

typedef struct {
    tkms_attest_context *ctx;
    tkms_attest_jwks_cache *jwks;
    tkms_attest_claims *claims;
    tkms_attest_policy policy;
    tkms_attest_error error;
    uint8_t *token;
    size_t token_len;
} env;

/* A context whose JWKS cache reads the snapshot file, and a policy for token t. */
static void env_open(env *e, const real_token *t, bool allow_debug) {
    memset(e, 0, sizeof *e);
    tkms_attest_context_options o;
    tkms_attest_context_options_default(&o);
    o.snp_builtin_roots = false;
    assert_int_equal(tkms_attest_context_new(&e->ctx, &e->error, &o), TKMS_OK);
    char path[512];
    snprintf(path, sizeof path, "%s/%s",
             getenv("TKMS_SOURCE_DIR") ? getenv("TKMS_SOURCE_DIR") : ".", t->jwks);
    tkms_attest_jwks_cache_options jo;
    tkms_attest_jwks_cache_options_default(&jo);
    jo.source = path;
    assert_int_equal(tkms_attest_jwks_cache_new(&e->jwks, &e->error, &jo), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_refresh_if_due(e->jwks, &e->error, t->iat, NULL),
                     TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_key_count(e->jwks), 2);
    tkms_attest_context_jwks_set(e->ctx, e->jwks);
    assert_int_equal(tkms_attest_claims_new(&e->claims), TKMS_OK);
    tkms_attest_policy_default(&e->policy);
    snprintf(e->policy.gcp.audiences[0], sizeof e->policy.gcp.audiences[0], "%s", t->aud);
    e->policy.gcp.audience_count = 1;
    e->policy.gcp.allow_debug = allow_debug;
    e->policy.gcp.require_stable = !allow_debug;
    char file[256];
    snprintf(file, sizeof file, DIR "%s", t->file);
    e->token = tu_read_file(file, &e->token_len);
}

static void env_close(env *e) {
    tkms_attest_claims_free(e->claims);
    tkms_attest_context_free(e->ctx);
    tkms_attest_jwks_cache_free(e->jwks);
    free(e->token);
}

static tkms_err env_verify(env *e, const real_token *t, int64_t now, tkms_attest_binding_kind k) {
    tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_GCP,
                               .evidence = e->token,
                               .evidence_len = e->token_len,
                               .now = now};
    req.binding.kind = k;
    if (k == TKMS_ATTEST_BINDING_EXACT) {
        req.binding.exact = (const uint8_t *)t->nonce;
        req.binding.exact_len = strlen(t->nonce);
    }
    return tkms_attest_verify(e->claims, &e->error, e->ctx, &e->policy, &req);
}

static void check_claims(const tkms_attest_claims *c, const real_token *t) {
    assert_int_equal(c->method, TKMS_ATTEST_METHOD_GCP);
    assert_string_equal(c->gcp.kid, t->kid);
    assert_string_equal(c->gcp.audience, t->aud);
    assert_int_equal(c->issued_at, t->iat);
    assert_int_equal(c->not_before, t->iat);
    assert_int_equal(c->expires_at, t->exp);
    assert_string_equal(c->platform.hardware_model, t->hwmodel);
    assert_string_equal(c->gcp.dbgstat, t->dbgstat);
    assert_int_equal(c->platform.debug, t->debug);
    assert_int_equal(c->gcp.support_stable, t->stable);
    assert_int_equal(c->gcp.swversion, t->swversion);
    assert_string_equal(c->gcp.swname, "CONFIDENTIAL_SPACE");
    assert_true(c->gcp.secure_boot);
    assert_string_equal(c->image_digest, t->digest);
    assert_string_equal(c->gcp.instance_name, t->instance);
    assert_string_equal(c->gcp.project_id, t->project);
    assert_string_equal(c->gcp.instance_id, t->instance_id);
    assert_string_equal(c->gcp.jti, ""); /* none of the real tokens carries jti */
    assert_string_equal(c->container.restart_policy, "Never");
    assert_true(c->container.arg_count == 1);
    const char *dash = strrchr(t->instance, '-');
    assert_string_equal(c->app_id, dash + 1); /* default mapping: last '-' part */
    assert_string_equal(c->nonce, t->nonce ? t->nonce : "");
    assert_int_equal(c->binding_checked, t->nonce != NULL);
}

static void test_each_token_verifies(void **state) {
    (void)state;
    for (size_t i = 0; i < TOKEN_COUNT; i++) {
        const real_token *t = &tokens[i];
        env e;
        env_open(&e, t, t->debug);
        const tkms_attest_binding_kind k =
            t->nonce ? TKMS_ATTEST_BINDING_EXACT : TKMS_ATTEST_BINDING_NONE;
        const tkms_err rc = env_verify(&e, t, t->iat + 60, k);
        if (rc != TKMS_OK) {
            fail_msg("%s: %s: %s", t->file, tkms_err_name(rc), e.error.message);
        }
        check_claims(e.claims, t);
        /* the same token again is a replay (keyed by iss, sub, iat, nonce: no jti) */
        assert_int_equal(env_verify(&e, t, t->iat + 61, k), TKMS_ERR_ATTEST_REPLAYED);
        env_close(&e);
    }
}

static void test_debug_tokens_rejected_by_default(void **state) {
    (void)state;
    for (size_t i = 0; i < TOKEN_COUNT; i++) {
        const real_token *t = &tokens[i];
        env e;
        env_open(&e, t, false);
        const tkms_err rc = env_verify(
            &e, t, t->iat + 60, t->nonce ? TKMS_ATTEST_BINDING_EXACT : TKMS_ATTEST_BINDING_NONE);
        assert_int_equal(rc, t->debug ? TKMS_ERR_ATTEST_GCP_DEBUG_ENABLED : TKMS_OK);
        if (t->debug) {
            assert_string_equal(e.error.message,
                                "dbgstat: expected \"disabled-since-boot\", found \"enabled\"");
        }
        env_close(&e);
    }
}

static void test_validity_window(void **state) {
    (void)state;
    const real_token *t = &tokens[0];
    env e;
    env_open(&e, t, false);
    e.policy.clock_skew_s = 0;
    e.policy.gcp.replay_check = false;
    const tkms_attest_binding_kind k = TKMS_ATTEST_BINDING_EXACT;
    assert_int_equal(env_verify(&e, t, t->iat, k), TKMS_OK);     /* nbf ≤ now */
    assert_int_equal(env_verify(&e, t, t->exp - 1, k), TKMS_OK); /* now < exp */
    assert_int_equal(env_verify(&e, t, t->exp, k), TKMS_ERR_ATTEST_JWT_EXPIRED);
    assert_int_equal(env_verify(&e, t, t->iat - 1, k), TKMS_ERR_ATTEST_JWT_NOT_YET_VALID);
    assert_int_equal(env_verify(&e, t, 1795000000 /* 2026-11-17 */, k),
                     TKMS_ERR_ATTEST_JWT_EXPIRED);
    e.policy.clock_skew_s = 60;
    assert_int_equal(env_verify(&e, t, t->exp + 59, k), TKMS_OK);
    assert_int_equal(env_verify(&e, t, t->iat - 60, k), TKMS_OK);
    env_close(&e);
}

static void test_binding_is_checked(void **state) {
    (void)state;
    for (size_t i = 0; i < TOKEN_COUNT; i++) {
        const real_token *t = &tokens[i];
        env e;
        env_open(&e, t, true);
        /* production binding: sha256 of some other RSA key — never matches a real token */
        tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_GCP,
                                   .evidence = e.token,
                                   .evidence_len = e.token_len,
                                   .now = t->iat + 60};
        tkms_attest_binding_from_request(&req.binding, (const uint8_t *)"pem", 3, NULL, 0);
        const tkms_err rc = tkms_attest_verify(e.claims, &e.error, e.ctx, &e.policy, &req);
        assert_int_equal(rc, t->nonce ? TKMS_ERR_ATTEST_BINDING_MISMATCH
                                      : TKMS_ERR_ATTEST_GCP_NONCE_MISSING);
        env_close(&e);
    }
}

static void test_wrong_keys(void **state) {
    (void)state;
    const real_token *t = &tokens[0];
    env e;
    env_open(&e, t, false);
    /* the other snapshot does not hold kid 1be6ff72… */
    size_t n = 0;
    uint8_t *other = tu_read_file(SYNDDB_JWKS, &n);
    tkms_attest_jwks *set = NULL;
    assert_int_equal(tkms_attest_jwks_parse(&set, &e.error, other, n), TKMS_OK);
    tkms_attest_jwks_cache_install(e.jwks, set, t->iat);
    assert_int_equal(env_verify(&e, t, t->iat + 60, TKMS_ATTEST_BINDING_EXACT),
                     TKMS_ERR_ATTEST_JWT_KID_UNKNOWN);
    /* the right kid naming another key (the snapshot's second key): bad signature */
    size_t an = 0;
    uint8_t *ab = tu_read_file(ATLAS_JWKS, &an);
    json_error_t je;
    json_t *atlas = json_loadb((const char *)ab, an, 0, &je);
    assert_non_null(atlas);
    json_t *k1 = json_array_get(json_object_get(atlas, "keys"), 1);
    json_object_set_new(k1, "kid", json_string(t->kid));
    json_t *keys = json_pack("{s:[O]}", "keys", k1);
    char *text = json_dumps(keys, 0);
    assert_int_equal(tkms_attest_jwks_parse(&set, &e.error, (const uint8_t *)text, strlen(text)),
                     TKMS_OK);
    tkms_attest_jwks_cache_install(e.jwks, set, t->iat);
    assert_int_equal(env_verify(&e, t, t->iat + 60, TKMS_ATTEST_BINDING_EXACT),
                     TKMS_ERR_ATTEST_JWT_SIGNATURE_INVALID);
    free(text);
    json_decref(keys);
    json_decref(atlas);
    free(ab);
    free(other);
    env_close(&e);
}

static void test_one_bit_flip(void **state) {
    (void)state;
    const real_token *t = &tokens[2];
    env e;
    env_open(&e, t, false);
    e.policy.gcp.replay_check = false;
    /* flip one bit of one base64url character of the payload, then of the signature */
    char *dot1 = memchr(e.token, '.', e.token_len);
    dot1[40] ^= 0x01;
    assert_int_equal(env_verify(&e, t, t->iat + 60, TKMS_ATTEST_BINDING_EXACT),
                     TKMS_ERR_ATTEST_JWT_SIGNATURE_INVALID);
    dot1[40] ^= 0x01;
    assert_int_equal(env_verify(&e, t, t->iat + 60, TKMS_ATTEST_BINDING_EXACT), TKMS_OK);
    char *dot2 = memrchr(e.token, '.', e.token_len);
    dot2[10] ^= 0x02;
    assert_int_equal(env_verify(&e, t, t->iat + 60, TKMS_ATTEST_BINDING_EXACT),
                     TKMS_ERR_ATTEST_JWT_SIGNATURE_INVALID);
    env_close(&e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_token_verifies),
        cmocka_unit_test(test_debug_tokens_rejected_by_default),
        cmocka_unit_test(test_validity_window),
        cmocka_unit_test(test_binding_is_checked),
        cmocka_unit_test(test_wrong_keys),
        cmocka_unit_test(test_one_bit_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
