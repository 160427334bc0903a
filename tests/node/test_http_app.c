/*
 * test_http_app.c — the app-facing endpoints over real HTTP (libcurl → MHD on loopback):
 * GET /v1/pubkey and POST /v1/secrets with dev-ecdsa, happy paths (the served partials are
 * unwrapped with the app's RSA key and verified by pairing), the version rules of
 * protocol.md §5, and every hostile input of the brief with its documented error; after
 * each batch the server must still answer.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "http_test.h"

#define APP_ID "0x1111111111111111111111111111111111111111"
#define APP2_ID "0x2222222222222222222222222222222222222222"
#define NORELEASE_ID "0x3333333333333333333333333333333333333333"
#define BADENV_ID "0x4444444444444444444444444444444444444444"
#define UNKNOWN_ID "0x9999999999999999999999999999999999999999"

typedef struct {
    tn_server server;
    tn_version_key keys[3];
    uint8_t owner_sk[32], owner[20];
    uint8_t other_sk[32], other[20];
} fixture;

static void app_bytes(uint8_t out[20], const char *id) {
    assert_int_equal(tu_unhex(out, 20, id), 20);
}

static int setup(void **state) {
    tn_rsa_init();
    fixture *f = calloc(1, sizeof *f);
    static const uint64_t versions[] = {123, 122, 121};
    node_snapshot *snap = tn_snapshot(versions, 3, f->keys, 7);
    snap->retained[3] = 120; /* retained by the network, not held here */
    snap->retained_count = 4;
    tn_start(&f->server, NULL, snap);
    tn_key(f->owner_sk, f->owner, 1);
    tn_key(f->other_sk, f->other, 2);
    uint8_t app[20];
    app_bytes(app, APP_ID);
    tn_chain_app(&f->server.fake, app, f->owner, 0x11, "49424501aabbcc", "{\"LOG\":\"debug\"}");
    app_bytes(app, APP2_ID);
    tn_chain_app(&f->server.fake, app, f->other, 0x22, "", "");
    app_bytes(app, NORELEASE_ID);
    tn_chain_app(&f->server.fake, app, f->owner, 0x33, NULL, NULL);
    app_bytes(app, BADENV_ID);
    tn_chain_app(&f->server.fake, app, f->owner, 0x44, "", "{\"n\":1}");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    tn_stop(&f->server);
    free(f);
    return 0;
}

/* ---- /v1/pubkey ------------------------------------------------------------------------- */

static void test_pubkey(void **state) {
    fixture *f = *state;
    tn_resp r;
    tn_get(&r, &f->server, "/v1/pubkey");
    assert_int_equal(r.status, 200);
    assert_true(r.request_id[0] != 0);
    assert_string_equal(r.content_type, "application/json");
    json_t *j = tn_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 123);
    assert_int_equal(json_integer_value(json_object_get(j, "threshold")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "chain_id")), 31337);
    char pk[193];
    tu_hex(pk, f->keys[0].pk, 96);
    assert_string_equal(json_string_value(json_object_get(j, "mpk")), pk);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "commitments"), 0)),
                        pk);
    json_t *op = json_array_get(json_object_get(j, "operators"), 0);
    char self[43];
    tn_address_hex(self, tn_self);
    assert_string_equal(json_string_value(json_object_get(op, "address")), self);
    assert_string_equal(json_string_value(json_object_get(op, "public_share")), pk);
    assert_true(json_is_true(json_object_get(op, "holder")));
    tkms_bls_fr x;
    uint8_t xb[32];
    char xh[65];
    assert_int_equal(tkms_tss_point_from_address(&x, tn_self), TKMS_OK);
    tkms_bls_fr_encode(xb, &x);
    tu_hex(xh, xb, 32);
    assert_string_equal(json_string_value(json_object_get(op, "x")), xh);
    json_t *held = json_object_get(j, "held_versions");
    assert_int_equal(json_array_size(held), 3);
    assert_int_equal(json_integer_value(json_array_get(held, 2)), 121);
    json_decref(j);
    tn_resp_free(&r);
    tn_get(&r, &f->server, "/v1/pubkey?version=121");
    assert_int_equal(r.status, 200);
    j = tn_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 121);
    json_decref(j);
    tn_resp_free(&r);
    tn_get(&r, &f->server, "/v1/pubkey?version=999");
    tn_expect_error(&r, 404, "no_key_version");
    tn_get(&r, &f->server, "/v1/pubkey?version=120");
    tn_expect_error(&r, 409, "not_holder");
    tn_get(&r, &f->server, "/v1/pubkey?version=12x");
    tn_expect_error(&r, 400, "bad_request");
    tn_get(&r, &f->server, "/v1/pubkey?version=99999999999999999999999");
    tn_expect_error(&r, 400, "bad_request");
}

static void test_not_ready_states(void **state) {
    (void)state;
    tn_server t;
    tn_start(&t, NULL, NULL); /* no snapshot yet */
    tn_resp r;
    tn_get(&r, &t, "/v1/pubkey");
    tn_expect_error(&r, 503, "not_ready");
    tn_stop(&t);
    node_snapshot *empty = tn_snapshot(NULL, 0, NULL, 1);
    tn_start(&t, NULL, empty);
    tn_get(&r, &t, "/v1/pubkey");
    assert_string_equal(r.retry_after, "30");
    tn_expect_error(&r, 503, "no_finalized_version");
    uint8_t sk[32], owner[20], app[20];
    tn_key(sk, owner, 1);
    app_bytes(app, APP_ID);
    tn_chain_app(&t.fake, app, owner, 0x11, "", "{}");
    tn_dev d = {.app_id = APP_ID, .sk = sk, .version = -1};
    char *body = tn_dev_body(&d);
    tn_post(&r, &t, "/v1/secrets", body);
    free(body);
    tn_expect_error(&r, 503, "no_finalized_version");
    tn_stop(&t);
}

/* ---- /v1/secrets: happy paths ------------------------------------------------------------- */

static json_t *secrets_ok(fixture *f, tn_dev *d) {
    char *body = tn_dev_body(d);
    tn_resp r;
    tn_post(&r, &f->server, "/v1/secrets", body);
    free(body);
    if (r.status != 200) {
        fail_msg("status %ld: %s", r.status, r.body);
    }
    assert_string_equal(r.content_type, "application/json");
    json_t *j = tn_json(&r);
    tn_resp_free(&r);
    return j;
}

static void test_secrets_two_newest(void **state) {
    fixture *f = *state;
    tn_dev d = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1};
    json_t *j = secrets_ok(f, &d);
    char self[43];
    tn_address_hex(self, tn_self);
    assert_string_equal(json_string_value(json_object_get(j, "operator")), self);
    json_t *partials = json_object_get(j, "partials");
    assert_int_equal(json_array_size(partials), 2); /* the two newest held versions */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(partials, 0), "version")),
                     123);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(partials, 1), "version")),
                     122);
    tn_partial_verify(json_array_get(partials, 0), APP_ID, &f->keys[0]);
    tn_partial_verify(json_array_get(partials, 1), APP_ID, &f->keys[1]);
    assert_string_equal(json_string_value(json_object_get(j, "encrypted_env")), "49424501aabbcc");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "public_env"), "LOG")),
                        "debug");
    assert_string_equal(json_string_value(json_object_get(j, "extra_data")), "");
    json_decref(j);
}

static void test_secrets_named_version_and_extra(void **state) {
    fixture *f = *state;
    tn_dev d = {.app_id = APP_ID,
                .sk = f->owner_sk,
                .version = 121,
                .extra_b64 = "aGVsbG8=",
                .v_low = true};
    json_t *j = secrets_ok(f, &d);
    json_t *partials = json_object_get(j, "partials");
    assert_int_equal(json_array_size(partials), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(partials, 0), "version")),
                     121);
    tn_partial_verify(json_array_get(partials, 0), APP_ID, &f->keys[2]);
    assert_string_equal(json_string_value(json_object_get(j, "extra_data")), "aGVsbG8=");
    json_decref(j);
    /* an app whose release has empty envs */
    tn_dev d2 = {.app_id = APP2_ID, .sk = f->other_sk, .version = -1};
    j = secrets_ok(f, &d2);
    assert_string_equal(json_string_value(json_object_get(j, "encrypted_env")), "");
    assert_int_equal(json_object_size(json_object_get(j, "public_env")), 0);
    json_decref(j);
}

static void test_secrets_versions(void **state) {
    fixture *f = *state;
    struct {
        int64_t version;
        long status;
        const char *code;
    } cases[] = {{999, 404, "no_key_version"}, {120, 409, "not_holder"}};
    for (size_t i = 0; i < 2; i++) {
        tn_dev d = {.app_id = APP_ID, .sk = f->owner_sk, .version = cases[i].version};
        char *body = tn_dev_body(&d);
        tn_resp r;
        tn_post(&r, &f->server, "/v1/secrets", body);
        free(body);
        tn_expect_error(&r, cases[i].status, cases[i].code);
    }
}

/* ---- /v1/secrets: hostile ------------------------------------------------------------------ */

static void post_expect(fixture *f, const char *body, long status, const char *code) {
    tn_resp r;
    tn_post(&r, &f->server, "/v1/secrets", body);
    tn_expect_error(&r, status, code);
}

static void dev_expect(fixture *f, tn_dev *d, long status, const char *code) {
    char *body = tn_dev_body(d);
    post_expect(f, body, status, code);
    free(body);
}

static char *rsa_1024_pem(void) {
    EVP_PKEY *k = EVP_RSA_gen(1024);
    assert_non_null(k);
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PUBKEY(b, k), 1);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *pem = strndup(data, (size_t)n);
    BIO_free(b);
    EVP_PKEY_free(k);
    return pem;
}

static void test_secrets_hostile_shape(void **state) {
    fixture *f = *state;
    post_expect(f, "{not json", 400, "bad_request");
    post_expect(f, "[]", 400, "bad_request");
    post_expect(f, "{\"app_id\":{\"x\":1}}", 400, "bad_request");
    post_expect(f, "{\"app_id\":\"" APP_ID "\",\"app_id\":\"" APP_ID "\"}", 400, "bad_request");
    post_expect(f, "{\"app_id\":\"" APP_ID "\",\"extra\":\"1\"}", 400, "bad_field");
    post_expect(f, "{\"app_id\":\"0x11111111111111111111111111111111111111AA\"}", 400, "bad_field");
    tn_dev d = {.app_id = APP_ID,
                .sk = f->owner_sk,
                .version = -1,
                .pem = "-----BEGIN PUBLIC "
                       "KEY-----\nAAAA\n"};
    dev_expect(f, &d, 400, "bad_field"); /* bad PEM */
    char *small = rsa_1024_pem();
    tn_dev d1024 = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1, .pem = small};
    dev_expect(f, &d1024, 400, "bad_field"); /* RSA < 2048 */
    free(small);
    tn_dev bad_method = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1, .method = "tpm"};
    dev_expect(f, &bad_method, 400, "bad_field");
    tn_dev gcp = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1, .method = "gcp"};
    char *body = tn_dev_body(&gcp); /* has a challenge: not allowed with gcp */
    post_expect(f, body, 400, "bad_field");
    free(body);
    char gcp_body[9000];
    json_t *pem = json_string(tn_rsa_public);
    char *pem_json = json_dumps(pem, JSON_ENCODE_ANY);
    snprintf(gcp_body, sizeof gcp_body,
             "{\"app_id\":\"" APP_ID "\",\"attestation_method\":\"gcp\",\"attestation\":\"AAAA\","
             "\"rsa_pubkey\":%s}",
             pem_json);
    post_expect(f, gcp_body, 400, "bad_field"); /* gcp is not configured on this node */
    snprintf(gcp_body, sizeof gcp_body,
             "{\"app_id\":\"" APP_ID "\",\"attestation_method\":\"sev-snp\",\"attestation\":"
             "\"e30=\",\"rsa_pubkey\":%s}",
             pem_json);
    post_expect(f, gcp_body, 401, "attestation_invalid"); /* sev-snp evidence "{}" */
    free(pem_json);
    json_decref(pem);
    tn_expect_healthy(&f->server);
}

static void test_secrets_hostile_attestation(void **state) {
    fixture *f = *state;
    tn_dev high = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1, .high_s = true};
    dev_expect(f, &high, 401, "attestation_invalid");
    tn_dev expired = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1, .challenge_offset = -301};
    dev_expect(f, &expired, 401, "attestation_expired");
    tn_dev future = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1, .challenge_offset = 60};
    dev_expect(f, &future, 401, "attestation_expired");
    tn_dev malformed = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1, .challenge = "1-2"};
    dev_expect(f, &malformed, 400, "bad_field");
    tn_dev not_owner = {.app_id = APP_ID, .sk = f->other_sk, .version = -1};
    dev_expect(f, &not_owner, 401, "attestation_invalid");
    tn_dev unknown = {.app_id = UNKNOWN_ID, .sk = f->owner_sk, .version = -1};
    dev_expect(f, &unknown, 404, "unknown_app");
    tn_dev no_release = {.app_id = NORELEASE_ID, .sk = f->owner_sk, .version = -1};
    dev_expect(f, &no_release, 403, "image_not_released");
    tn_dev bad_env = {.app_id = BADENV_ID, .sk = f->owner_sk, .version = -1};
    dev_expect(f, &bad_env, 403, "policy_mismatch");
    /* replay: the same body twice */
    tn_dev once = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1};
    char *body = tn_dev_body(&once);
    tn_resp r;
    tn_post(&r, &f->server, "/v1/secrets", body);
    assert_int_equal(r.status, 200);
    tn_resp_free(&r);
    post_expect(f, body, 401, "attestation_replayed");
    free(body);
    /* wrong app: a signature over APP_ID's digest presented for APP2_ID */
    tn_dev signed_for = {.app_id = APP_ID, .sk = f->other_sk, .version = -1};
    body = tn_dev_body(&signed_for);
    char *at = strstr(body, APP_ID);
    memcpy(at, APP2_ID, strlen(APP2_ID));
    post_expect(f, body, 401, "attestation_invalid");
    free(body);
    /* a 64-byte signature */
    char short_sig[600];
    snprintf(
        short_sig, sizeof short_sig,
        "{\"app_id\":\"%s\",\"attestation_method\":\"dev-ecdsa\","
        "\"attestation\":\"%s\",\"challenge\":\"%lld-%064d\","
        "\"rsa_pubkey\":",
        APP_ID,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        (long long)time(NULL), 0);
    json_t *pem = json_string(tn_rsa_public);
    char *pem_json = json_dumps(pem, JSON_ENCODE_ANY);
    char *full = malloc(strlen(short_sig) + strlen(pem_json) + 4);
    sprintf(full, "%s%s}", short_sig, pem_json);
    post_expect(f, full, 401, "attestation_invalid");
    free(full);
    free(pem_json);
    json_decref(pem);
    /* the chain is down */
    f->server.fake.fail = true;
    node_chain_reader_invalidate(f->server.chain, NULL);
    tn_dev down = {.app_id = APP_ID, .sk = f->owner_sk, .version = -1};
    char *dbody = tn_dev_body(&down);
    tn_post(&r, &f->server, "/v1/secrets", dbody);
    free(dbody);
    assert_string_equal(r.retry_after, "5");
    tn_expect_error(&r, 503, "chain_unavailable");
    f->server.fake.fail = false;
    tn_expect_healthy(&f->server);
    /* the attestation failures were counted by reason */
    const char *labels[] = {"dev-ecdsa", "dev_signature_high_s"};
    assert_int_equal(node_metrics_value(f->server.metrics, NODE_METRIC_ATTEST_FAILURES, labels), 1);
}

static void test_secrets_http_level(void **state) {
    fixture *f = *state;
    char url[128];
    snprintf(url, sizeof url, "%s/v1/secrets", f->server.base);
    tn_resp r;
    tn_http(&r, "POST", url, "text/plain", "{}", 2);
    tn_expect_error(&r, 415, "unsupported_media_type");
    tn_http(&r, "POST", url, NULL, "{}", 2);
    tn_expect_error(&r, 415, "unsupported_media_type");
    tn_http(&r, "GET", url, NULL, NULL, 0);
    assert_string_equal(r.allow, "POST");
    tn_expect_error(&r, 405, "method_not_allowed");
    size_t big = 2 * 1024 * 1024 + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    huge[0] = '{';
    tn_http(&r, "POST", url, "application/json", huge, big);
    tn_expect_error(&r, 413, "payload_too_large");
    free(huge);
    tn_http(&r, "POST", url, "application/json; charset=utf-8", "{}", 2);
    tn_expect_error(&r, 400, "bad_field"); /* the content type with a parameter is fine */
    tn_get(&r, &f->server, "/v1/nothing");
    tn_expect_error(&r, 404, "not_found");
    tn_expect_healthy(&f->server);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pubkey),
        cmocka_unit_test(test_not_ready_states),
        cmocka_unit_test(test_secrets_two_newest),
        cmocka_unit_test(test_secrets_named_version_and_extra),
        cmocka_unit_test(test_secrets_versions),
        cmocka_unit_test(test_secrets_hostile_shape),
        cmocka_unit_test(test_secrets_hostile_attestation),
        cmocka_unit_test(test_secrets_http_level),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
