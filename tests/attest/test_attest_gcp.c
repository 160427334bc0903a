/*
 * test_attest_gcp.c — the gcp method against generated tokens: our own RSA keys and JWKS,
 * a realistic claim set, and one checked field changed at a time (claims, header,
 * signature, encoding, policy, replay). Every rejection must carry its own error code.
 */
#include <ctype.h>

#include "test_util.h"

#include "attest/internal.h"
#include "fixtures.h"

#define KID "k-test-1"

static EVP_PKEY *key_main, *key_other;
static char *jwks_json;

typedef struct {
    tkms_attest_context *ctx;
    tkms_attest_jwks_cache *jwks;
    tkms_attest_claims *claims;
    tkms_attest_policy policy;
    tkms_attest_binding binding;
    char nonce[65];
    tkms_attest_error error;
} gcp_env;

static gcp_env *E;

static int group_setup(void **state) {
    (void)state;
    key_main = fx_rsa_key(2048);
    key_other = fx_rsa_key(2048);
    EVP_PKEY *keys[] = {key_main};
    const char *kids[] = {KID};
    jwks_json = fx_jwks(keys, kids, 1);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    EVP_PKEY_free(key_main);
    EVP_PKEY_free(key_other);
    free(jwks_json);
    return 0;
}

static int setup(void **state) {
    (void)state;
    E = calloc(1, sizeof *E);
    tkms_attest_context_options o;
    tkms_attest_context_options_default(&o);
    o.snp_builtin_roots = false;
    assert_int_equal(tkms_attest_context_new(&E->ctx, &E->error, &o), TKMS_OK);
    tkms_attest_jwks_cache_options jo;
    tkms_attest_jwks_cache_options_default(&jo);
    assert_int_equal(tkms_attest_jwks_cache_new(&E->jwks, &E->error, &jo), TKMS_OK);
    tkms_attest_jwks *set = NULL;
    assert_int_equal(
        tkms_attest_jwks_parse(&set, &E->error, (const uint8_t *)jwks_json, strlen(jwks_json)),
        TKMS_OK);
    tkms_attest_jwks_cache_install(E->jwks, set, FX_NOW);
    tkms_attest_context_jwks_set(E->ctx, E->jwks);
    assert_int_equal(tkms_attest_claims_new(&E->claims), TKMS_OK);
    tkms_attest_policy_default(&E->policy);
    snprintf(E->policy.gcp.audiences[0], sizeof E->policy.gcp.audiences[0], "tkms");
    E->policy.gcp.audience_count = 1;
    E->policy.gcp.replay_check = false; /* test_replay turns it on */
    static const char pem[] = "-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----\n";
    tkms_attest_binding_from_request(&E->binding, (const uint8_t *)pem, sizeof pem - 1,
                                     (const uint8_t *)"extra", 5);
    for (size_t i = 0; i < 32; i++) {
        snprintf(E->nonce + 2 * i, 3, "%02x", E->binding.hash[i]);
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tkms_attest_claims_free(E->claims);
    tkms_attest_context_free(E->ctx);
    tkms_attest_jwks_cache_free(E->jwks);
    free(E);
    return 0;
}

static tkms_err verify_token_at(const char *token, int64_t now) {
    tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_GCP,
                               .evidence = (const uint8_t *)token,
                               .evidence_len = strlen(token),
                               .binding = E->binding,
                               .now = now};
    tkms_err rc = tkms_attest_verify(E->claims, &E->error, E->ctx, &E->policy, &req);
    if (rc != TKMS_OK) {
        assert_int_equal(E->error.code, rc);
        assert_true(strlen(E->error.message) > 0);
        if (strlen(token) > 16) {
            assert_null(strstr(E->error.message, token)); /* never echoes the token */
        }
    }
    return rc;
}

static char *sign_with(const char *header, json_t *claims, EVP_PKEY *key) {
    char *payload = json_dumps(claims, JSON_COMPACT);
    char *token = fx_jwt(header, payload, key);
    free(payload);
    return token;
}

#define HEADER "{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"typ\":\"JWT\"}"

/* Signs the claims with the main key and verifies at FX_NOW; frees the claims. */
static tkms_err verify_claims(json_t *claims) {
    char *token = sign_with(HEADER, claims, key_main);
    json_decref(claims);
    tkms_err rc = verify_token_at(token, FX_NOW);
    free(token);
    return rc;
}

/* Sets (value != NULL) or deletes the member at a dotted path. */
static void json_set_path(json_t *root, const char *path, const char *value_json) {
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    json_t *cur = root;
    char *key = buf, *dot;
    while ((dot = strchr(key, '.')) != NULL) {
        *dot = 0;
        cur = json_object_get(cur, key);
        assert_non_null(cur);
        key = dot + 1;
    }
    if (value_json == NULL) {
        json_object_del(cur, key);
        return;
    }
    json_error_t e;
    json_t *v = json_loads(value_json, JSON_DECODE_ANY, &e);
    assert_non_null(v);
    json_object_set_new(cur, key, v);
}

static void test_valid_token(void **state) {
    (void)state;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_OK);
    const tkms_attest_claims *c = E->claims;
    assert_int_equal(c->method, TKMS_ATTEST_METHOD_GCP);
    assert_true(c->binding_checked);
    assert_string_equal(c->app_id, "0x00000000000000000000000000000000000000aa");
    assert_string_equal(c->image_digest,
                        "sha256:1111111111111111111111111111111111111111111111111111111111111111");
    assert_string_equal(c->image_reference, "ghcr.io/acme/app:v1");
    assert_string_equal(c->nonce, E->nonce);
    assert_true(c->has_time);
    assert_int_equal(c->issued_at, FX_NOW - 600);
    assert_int_equal(c->expires_at, FX_NOW + 3000);
    assert_string_equal(c->platform.hardware_model, "GCP_INTEL_TDX");
    assert_string_equal(c->platform.tcb, "UpToDate");
    assert_false(c->platform.debug);
    assert_true(c->container.present);
    assert_int_equal(c->container.arg_count, 2);
    assert_string_equal(c->container.args[1], "--serve");
    assert_int_equal(c->container.env_count, 2);
    assert_string_equal(c->container.restart_policy, "Never");
    assert_string_equal(c->gcp.project_id, "acme-prod");
    assert_string_equal(c->gcp.kid, KID);
    assert_int_equal(c->gcp.swversion, 260900);
    assert_true(c->gcp.support_stable);
}

typedef struct {
    const char *path, *value; /* value NULL: delete the claim */
    tkms_err expected;
} claim_flip;

/* FX_NOW = 1800000000, skew 60 s: the time values below sit on the boundaries. */
static const claim_flip flips[] = {
    {"iss", "\"https://accounts.google.com\"", TKMS_ERR_ATTEST_JWT_ISSUER_MISMATCH},
    {"iss", NULL, TKMS_ERR_ATTEST_JWT_ISSUER_MISMATCH},
    {"aud", "\"other\"", TKMS_ERR_ATTEST_JWT_AUDIENCE_MISMATCH},
    {"aud", "[\"tkms\",\"other\"]", TKMS_ERR_ATTEST_JWT_AUDIENCE_MISMATCH},
    {"aud", "[\"tkms\"]", TKMS_OK},
    {"aud", NULL, TKMS_ERR_ATTEST_JWT_AUDIENCE_MISMATCH},
    {"exp", NULL, TKMS_ERR_ATTEST_JWT_TIME_CLAIM_INVALID},
    {"exp", "\"1800003000\"", TKMS_ERR_ATTEST_JWT_TIME_CLAIM_INVALID},
    {"iat", "1799999400.0", TKMS_ERR_ATTEST_JWT_TIME_CLAIM_INVALID},
    {"exp", "1799999400", TKMS_ERR_ATTEST_JWT_TIME_CLAIM_INVALID}, /* exp = iat */
    {"exp", "1799999940", TKMS_ERR_ATTEST_JWT_EXPIRED},            /* now - skew = exp */
    {"exp", "1799999941", TKMS_OK},
    {"nbf", "1800000061", TKMS_ERR_ATTEST_JWT_NOT_YET_VALID},
    {"nbf", "1800000060", TKMS_OK},
    {"nbf", NULL, TKMS_OK},
    {"iat", "1800000061", TKMS_ERR_ATTEST_JWT_ISSUED_IN_FUTURE},
    {"swname", "\"GCE\"", TKMS_ERR_ATTEST_GCP_SWNAME_MISMATCH},
    {"hwmodel", "\"GCP_SHIELDED_VM\"", TKMS_ERR_ATTEST_GCP_HWMODEL_NOT_ALLOWED},
    {"hwmodel", NULL, TKMS_ERR_ATTEST_GCP_HWMODEL_NOT_ALLOWED},
    {"hwmodel", "\"GCP_AMD_SEV\"", TKMS_OK},
    {"dbgstat", "\"enabled\"", TKMS_ERR_ATTEST_GCP_DEBUG_ENABLED},
    {"dbgstat", NULL, TKMS_ERR_ATTEST_GCP_DEBUG_ENABLED},
    {"secboot", "false", TKMS_ERR_ATTEST_GCP_SECURE_BOOT_OFF},
    {"secboot", NULL, TKMS_ERR_ATTEST_GCP_SECURE_BOOT_OFF},
    {"submods.confidential_space.support_attributes", "[\"LATEST\",\"USABLE\"]",
     TKMS_ERR_ATTEST_GCP_STABLE_MISSING},
    {"submods.confidential_space", NULL, TKMS_ERR_ATTEST_GCP_STABLE_MISSING},
    {"swversion", "[\"26a900\"]", TKMS_ERR_ATTEST_GCP_SWVERSION_TOO_OLD},
    {"swversion", "[]", TKMS_ERR_ATTEST_GCP_SWVERSION_TOO_OLD},
    {"swversion", "260900", TKMS_ERR_ATTEST_GCP_SWVERSION_TOO_OLD},
    {"swversion", NULL, TKMS_OK},
    {"submods.container.image_digest", "\"sha256:1111\"", TKMS_ERR_ATTEST_GCP_IMAGE_DIGEST_INVALID},
    {"submods.container.image_digest",
     "\"sha256:1111111111111111111111111111111111111111111111111111111111111ABC\"",
     TKMS_ERR_ATTEST_GCP_IMAGE_DIGEST_INVALID},
    {"submods.container.image_digest",
     "\"sha512:1111111111111111111111111111111111111111111111111111111111111111\"",
     TKMS_ERR_ATTEST_GCP_IMAGE_DIGEST_INVALID},
    {"submods.container.image_digest", NULL, TKMS_ERR_ATTEST_GCP_IMAGE_DIGEST_INVALID},
    {"submods.gce.instance_name", NULL, TKMS_ERR_ATTEST_GCP_APP_ID_MISSING},
    {"submods.gce.instance_name", "\"tkms-\"", TKMS_ERR_ATTEST_GCP_APP_ID_MISSING},
    {"submods.gce.instance_name", "7", TKMS_ERR_ATTEST_GCP_APP_ID_MISSING},
    {"eat_nonce", NULL, TKMS_ERR_ATTEST_GCP_NONCE_MISSING},
    {"eat_nonce", "[]", TKMS_ERR_ATTEST_GCP_NONCE_INVALID},
    {"eat_nonce", "7", TKMS_ERR_ATTEST_GCP_NONCE_INVALID},
    {"eat_nonce", "\"short\"", TKMS_ERR_ATTEST_GCP_NONCE_INVALID},
    {"eat_nonce",
     "[\"aaaaaaaa\",\"bbbbbbbb\",\"cccccccc\",\"dddddddd\",\"eeeeeeee\",\"ffffffff\",\"gggggggg\"]",
     TKMS_ERR_ATTEST_GCP_NONCE_INVALID},
    {"eat_nonce", "\"0000000000000000000000000000000000000000000000000000000000000000\"",
     TKMS_ERR_ATTEST_BINDING_MISMATCH},
    {"submods.container.env", "{\"A\":1}", TKMS_ERR_ATTEST_CLAIMS_TOO_LARGE},
    {"submods.container.args", "\"/app\"", TKMS_ERR_ATTEST_CLAIMS_TOO_LARGE},
};

static void test_claim_flips(void **state) {
    for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
        teardown(state);
        setup(state);
        json_t *c = fx_gcp_claims(E->nonce);
        json_set_path(c, flips[i].path, flips[i].value);
        const tkms_err rc = verify_claims(c);
        if (rc != flips[i].expected) {
            fail_msg("flip %zu (%s = %s): expected %s, got %s: %s", i, flips[i].path,
                     flips[i].value ? flips[i].value : "(deleted)",
                     tkms_err_name(flips[i].expected), tkms_err_name(rc), E->error.message);
        }
    }
}

static void test_nonce_array_and_uppercase(void **state) {
    (void)state;
    json_t *c = fx_gcp_claims(E->nonce);
    json_object_set_new(c, "eat_nonce", json_pack("[s,s]", "client-chosen-nonce", E->nonce));
    assert_int_equal(verify_claims(c), TKMS_OK);
    assert_string_equal(E->claims->nonce, E->nonce);
    char upper[65];
    for (size_t i = 0; i < 65; i++) {
        upper[i] = (char)toupper((unsigned char)E->nonce[i]);
    }
    c = fx_gcp_claims(upper); /* the binding is lowercase hex: no case folding */
    assert_int_equal(verify_claims(c), TKMS_ERR_ATTEST_BINDING_MISMATCH);
}

static void test_too_many_args(void **state) {
    (void)state;
    json_t *c = fx_gcp_claims(E->nonce), *args = json_array();
    for (int i = 0; i < TKMS_ATTEST_CONTAINER_ARGS_MAX + 1; i++) {
        json_array_append_new(args, json_string("x"));
    }
    json_object_set_new(json_object_get(json_object_get(c, "submods"), "container"), "args", args);
    assert_int_equal(verify_claims(c), TKMS_ERR_ATTEST_CLAIMS_TOO_LARGE);
}

static void test_policy_rules(void **state) {
    E->policy.gcp.audience_count = 0;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_ERR_ATTEST_POLICY_INVALID);
    teardown(state), setup(state);
    snprintf(E->policy.gcp.projects[0], sizeof E->policy.gcp.projects[0], "other-project");
    E->policy.gcp.project_count = 1;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)),
                     TKMS_ERR_ATTEST_GCP_PROJECT_NOT_ALLOWED);
    snprintf(E->policy.gcp.projects[1], sizeof E->policy.gcp.projects[1], "acme-prod");
    E->policy.gcp.project_count = 2;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_OK);
    teardown(state), setup(state);
    E->policy.gcp.swversion_min = 260901;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_ERR_ATTEST_GCP_SWVERSION_TOO_OLD);
    E->policy.gcp.swversion_min = 260900;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_OK);
    teardown(state), setup(state);
    E->policy.gcp.hwmodel_count = 1; /* only GCP_AMD_SEV */
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)),
                     TKMS_ERR_ATTEST_GCP_HWMODEL_NOT_ALLOWED);
    teardown(state), setup(state);
    E->policy.clock_skew_s = TKMS_ATTEST_SKEW_S_MAX + 1;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_ERR_ATTEST_POLICY_INVALID);
}

static void test_debug_allowed(void **state) {
    (void)state;
    json_t *c = fx_gcp_claims(E->nonce);
    json_object_set_new(c, "dbgstat", json_string("enabled"));
    json_object_del(json_object_get(c, "submods"), "confidential_space");
    E->policy.gcp.allow_debug = true;
    assert_int_equal(verify_claims(json_deep_copy(c)), TKMS_ERR_ATTEST_GCP_STABLE_MISSING);
    E->policy.gcp.require_stable = false;
    assert_int_equal(verify_claims(c), TKMS_OK);
    assert_true(E->claims->platform.debug);
    assert_string_equal(E->claims->gcp.dbgstat, "enabled");
}

static void test_app_id_mappings(void **state) {
    (void)state;
    E->policy.gcp.app_id_source = TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_OK);
    assert_string_equal(E->claims->app_id, "tkms-0x00000000000000000000000000000000000000aa");
    E->policy.gcp.app_id_source = TKMS_ATTEST_GCP_APP_ID_CLAIM;
    snprintf(E->policy.gcp.app_id_claim, sizeof E->policy.gcp.app_id_claim,
             "submods.container.env.TKMS_APP_ID");
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_ERR_ATTEST_GCP_APP_ID_MISSING);
    json_t *c = fx_gcp_claims(E->nonce);
    json_set_path(c, "submods.container.env.TKMS_APP_ID", "\"0xabc\"");
    assert_int_equal(verify_claims(c), TKMS_OK);
    assert_string_equal(E->claims->app_id, "0xabc");
    c = fx_gcp_claims(E->nonce);
    json_set_path(c, "submods.gce.instance_name", "\"plainname\"");
    E->policy.gcp.app_id_source = TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME_SUFFIX;
    assert_int_equal(verify_claims(c), TKMS_OK);
    assert_string_equal(E->claims->app_id, "plainname");
}

/* ---- JWS header, signature and encoding --------------------------------------------------- */

typedef struct {
    const char *header;
    tkms_err expected;
} header_case;

static void test_header_flips(void **state) {
    static const header_case cases[] = {
        {"{\"alg\":\"none\",\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED},
        {"{\"alg\":\"HS256\",\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED},
        {"{\"alg\":\"RS384\",\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED},
        {"{\"alg\":\"PS256\",\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED},
        {"{\"alg\":\"ES256\",\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED},
        {"{\"alg\":\"rs256\",\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED},
        {"{\"alg\":\"RS256\\u0000\",\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_HEADER_INVALID},
        {"{\"alg\":256,\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED},
        {"{\"kid\":\"" KID "\"}", TKMS_ERR_ATTEST_JWT_ALG_NOT_ALLOWED},
        {"{\"alg\":\"RS256\"}", TKMS_ERR_ATTEST_JWT_KID_MISSING},
        {"{\"alg\":\"RS256\",\"kid\":\"\"}", TKMS_ERR_ATTEST_JWT_KID_MISSING},
        {"{\"alg\":\"RS256\",\"kid\":5}", TKMS_ERR_ATTEST_JWT_KID_MISSING},
        {"{\"alg\":\"RS256\",\"kid\":\"unknown\"}", TKMS_ERR_ATTEST_JWT_KID_UNKNOWN},
        {"{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"crit\":[\"exp\"]}",
         TKMS_ERR_ATTEST_JWT_HEADER_INVALID},
        {"{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"typ\":\"at+jwt\"}",
         TKMS_ERR_ATTEST_JWT_HEADER_INVALID},
        {"{\"alg\":\"RS256\",\"alg\":\"RS256\",\"kid\":\"" KID "\"}",
         TKMS_ERR_ATTEST_JWT_HEADER_INVALID},
        {"[\"RS256\"]", TKMS_ERR_ATTEST_JWT_HEADER_INVALID},
        {"not json", TKMS_ERR_ATTEST_JWT_HEADER_INVALID},
        {"{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"x5u\":\"https://evil\"}", TKMS_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        teardown(state);
        setup(state);
        json_t *c = fx_gcp_claims(E->nonce);
        char *token = sign_with(cases[i].header, c, key_main);
        json_decref(c);
        const tkms_err rc = verify_token_at(token, FX_NOW);
        free(token);
        if (rc != cases[i].expected) {
            fail_msg("header %zu %s: expected %s, got %s: %s", i, cases[i].header,
                     tkms_err_name(cases[i].expected), tkms_err_name(rc), E->error.message);
        }
    }
}

static void test_signature_flips(void **state) {
    (void)state;
    json_t *c = fx_gcp_claims(E->nonce);
    char *token = sign_with(HEADER, c, key_other); /* right kid, wrong key */
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_ERR_ATTEST_JWT_SIGNATURE_INVALID);
    free(token);
    token = sign_with(HEADER, c, key_main);
    char *dot = strchr(token, '.') + 1;
    dot[5] = dot[5] == 'A' ? 'B' : 'A'; /* one payload character */
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_ERR_ATTEST_JWT_SIGNATURE_INVALID);
    free(token);
    token = sign_with(HEADER, c, key_main);
    token[strlen(token) - 2] = 0; /* 342 characters → 340: 255 bytes, one short */
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_ERR_ATTEST_JWT_SIGNATURE_INVALID);
    free(token);
    json_decref(c);
}

static void test_encoding_flips(void **state) {
    (void)state;
    json_t *c = fx_gcp_claims(E->nonce);
    char *good = sign_with(HEADER, c, key_main);
    json_decref(c);
    char buf[8192];
    const char *first_dot = strchr(good, '.'), *last_dot = strrchr(good, '.');
    snprintf(buf, sizeof buf, "%.*s", (int)(last_dot - good), good); /* two parts */
    assert_int_equal(verify_token_at(buf, FX_NOW), TKMS_ERR_ATTEST_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%s.AAAA", good); /* four parts */
    assert_int_equal(verify_token_at(buf, FX_NOW), TKMS_ERR_ATTEST_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%s.", good);
    assert_int_equal(verify_token_at(buf, FX_NOW), TKMS_ERR_ATTEST_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%.*s.", (int)(last_dot - good), good); /* empty signature */
    assert_int_equal(verify_token_at(buf, FX_NOW), TKMS_ERR_ATTEST_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%s==", good); /* padding */
    assert_int_equal(verify_token_at(buf, FX_NOW), TKMS_ERR_ATTEST_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%s", good);
    buf[first_dot - good + 3] = '+'; /* standard, not url alphabet */
    assert_int_equal(verify_token_at(buf, FX_NOW), TKMS_ERR_ATTEST_JWT_MALFORMED);
    snprintf(buf, sizeof buf, "%s\r\n", good); /* trailing newline, as in one real file */
    assert_int_equal(verify_token_at(buf, FX_NOW), TKMS_OK);
    free(good);
    /* "e30" = {} but "e31" has non-zero unused bits: non-canonical */
    assert_int_equal(verify_token_at("e31.e30.AAAA", FX_NOW), TKMS_ERR_ATTEST_JWT_MALFORMED);
}

static void test_payload_invalid(void **state) {
    (void)state;
    char *token = fx_jwt(HEADER, "not json", key_main);
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_ERR_ATTEST_JWT_PAYLOAD_INVALID);
    free(token);
    token = fx_jwt(HEADER, "{\"iss\":\"a\",\"iss\":\"b\"}", key_main);
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_ERR_ATTEST_JWT_PAYLOAD_INVALID);
    free(token);
    char deep[128];
    memset(deep, '[', 40);
    memset(deep + 40, ']', 40);
    snprintf(deep + 80, sizeof deep - 80, "%s", "");
    char payload[160];
    snprintf(payload, sizeof payload, "{\"x\":%s}", deep);
    token = fx_jwt(HEADER, payload, key_main);
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_ERR_ATTEST_JWT_PAYLOAD_INVALID);
    free(token);
    char *big = malloc(TKMS_ATTEST_JWT_BYTES_MAX + 16);
    memset(big, 'A', TKMS_ATTEST_JWT_BYTES_MAX + 8);
    big[10] = '.';
    big[20] = '.';
    big[TKMS_ATTEST_JWT_BYTES_MAX + 8] = 0;
    assert_int_equal(verify_token_at(big, FX_NOW), TKMS_ERR_ATTEST_EVIDENCE_TOO_LARGE);
    free(big);
}

static void test_replay(void **state) {
    (void)state;
    E->policy.gcp.replay_check = true;
    json_t *c = fx_gcp_claims(E->nonce);
    char *token = sign_with(HEADER, c, key_main);
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_OK);
    assert_int_equal(verify_token_at(token, FX_NOW + 1), TKMS_ERR_ATTEST_REPLAYED);
    E->policy.gcp.replay_check = false;
    assert_int_equal(verify_token_at(token, FX_NOW + 2), TKMS_OK);
    E->policy.gcp.replay_check = true;
    free(token);
    /* jti, when present, is the key: same jti, different iat */
    json_object_set_new(c, "jti", json_string("id-1"));
    token = sign_with(HEADER, c, key_main);
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_OK);
    assert_string_equal(E->claims->gcp.jti, "id-1");
    free(token);
    json_object_set_new(c, "iat", json_integer(FX_NOW - 500));
    token = sign_with(HEADER, c, key_main);
    assert_int_equal(verify_token_at(token, FX_NOW), TKMS_ERR_ATTEST_REPLAYED);
    free(token);
    json_decref(c);
}

static void test_request_shape(void **state) {
    (void)state;
    assert_int_equal(verify_token_at("", FX_NOW), TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    tkms_attest_request req = {.method = (tkms_attest_method)9,
                               .evidence = (const uint8_t *)"x",
                               .evidence_len = 1,
                               .now = FX_NOW};
    assert_int_equal(tkms_attest_verify(E->claims, &E->error, E->ctx, &E->policy, &req),
                     TKMS_ERR_ATTEST_METHOD_UNKNOWN);
    req.method = TKMS_ATTEST_METHOD_GCP;
    req.binding.kind = (tkms_attest_binding_kind)7;
    assert_int_equal(tkms_attest_verify(E->claims, &E->error, E->ctx, &E->policy, &req),
                     TKMS_ERR_ATTEST_BINDING_INVALID);
    req.binding.kind = TKMS_ATTEST_BINDING_EXACT; /* exact without bytes */
    assert_int_equal(tkms_attest_verify(E->claims, &E->error, E->ctx, &E->policy, &req),
                     TKMS_ERR_ATTEST_BINDING_INVALID);
    req.evidence_len = TKMS_ATTEST_EVIDENCE_BYTES_MAX + 1;
    req.binding.kind = TKMS_ATTEST_BINDING_NONE;
    assert_int_equal(tkms_attest_verify(E->claims, &E->error, E->ctx, &E->policy, &req),
                     TKMS_ERR_ATTEST_EVIDENCE_TOO_LARGE);
    req.evidence_len = 1;
    req.now = -1;
    assert_int_equal(tkms_attest_verify(E->claims, &E->error, E->ctx, &E->policy, &req),
                     TKMS_ERR_INVALID_ARGUMENT);
    req.now = TKMS_ATTEST_NOW_MAX + 1;
    assert_int_equal(tkms_attest_verify(E->claims, &E->error, E->ctx, &E->policy, &req),
                     TKMS_ERR_INVALID_ARGUMENT);
    tkms_attest_context_jwks_set(E->ctx, NULL);
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_ERR_ATTEST_JWKS_UNAVAILABLE);
    assert_int_equal(tkms_attest_method_from_name("sev-snp"), TKMS_ATTEST_METHOD_SEV_SNP);
    assert_int_equal(tkms_attest_method_from_name("dev-ecdsa"), TKMS_ATTEST_METHOD_NONE);
    assert_string_equal(tkms_attest_method_name(TKMS_ATTEST_METHOD_GCP), "gcp");
}

static void test_failure_zeroes_claims(void **state) {
    (void)state;
    assert_int_equal(verify_claims(fx_gcp_claims(E->nonce)), TKMS_OK);
    json_t *c = fx_gcp_claims(E->nonce);
    json_object_set_new(c, "dbgstat", json_string("enabled"));
    assert_int_equal(verify_claims(c), TKMS_ERR_ATTEST_GCP_DEBUG_ENABLED);
    assert_string_equal(E->claims->app_id, "");
    assert_string_equal(E->claims->image_digest, "");
    assert_int_equal(E->claims->method, TKMS_ATTEST_METHOD_NONE);
    assert_int_equal(E->claims->container.arg_count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_valid_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_claim_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonce_array_and_uppercase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_args, setup, teardown),
        cmocka_unit_test_setup_teardown(test_policy_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_debug_allowed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_app_id_mappings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_header_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signature_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_encoding_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_payload_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_request_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_zeroes_claims, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
