/*
 * test_http_anvil.c — /v1/secrets end to end against a real chain: anvil on a free port,
 * AppController deployed from the build's artifacts (TKMS_CONTRACTS_DIR), an app created
 * and a release published by its owner, then the HTTP server with the production
 * JSON-RPC chain source (node_chain_source_rpc) and dev-ecdsa. The test unwraps the
 * served partials with its RSA key and verifies them by pairing; checks the env echo
 * against the on-chain release, the owner check, the NoRelease / unknown-app mapping, the
 * cache and its invalidation on a new release, and chain_unavailable once anvil is gone.
 */
#include "chain/chain_test.h"
#include "http_test.h"

typedef struct {
    test_anvil anvil;
    tkms_chain_client *c;
    tkms_chain_key deployer, owner, other;
    tkms_chain_nonces *n_deployer, *n_owner;
    tkms_chain_address apps, app, bare_app;
    char app_id[43];
} env;

static tkms_chain_address create_app(env *e, uint8_t salt_byte) {
    uint8_t salt[32];
    memset(salt, salt_byte, 32);
    tkms_chain_abi_value s = tkms_chain_abi_bytes32(salt);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&s, 1);
    tkms_chain_receipt r;
    assert_int_equal(
        ct_send(e->c, e->n_owner, &e->owner, &r, &e->apps, TKMS_CHAIN_APPS_CREATE, &args), TKMS_OK);
    tkms_chain_receipt_clear(&r);
    tkms_chain_abi_value a[] = {tkms_chain_abi_address(&e->owner.address),
                                tkms_chain_abi_bytes32(salt)};
    tkms_chain_abi_value view_args = tkms_chain_abi_tuple(a, 2), v, values[4];
    tkms_chain_abi_pool pool = {values, 4, 0};
    tkms_chain_bytes keep = {0};
    assert_int_equal(ct_view(e->c, &v, &pool, &keep, &e->apps, TKMS_CHAIN_APPS_APP_ADDRESS,
                             &view_args, TKMS_CHAIN_APPS_APP_ADDRESS_OUT,
                             tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST)),
                     TKMS_OK);
    tkms_chain_address app;
    assert_int_equal(tkms_chain_abi_get_address(&app, &v.items[0]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
    return app;
}

static void publish(env *e, uint8_t digest_byte, const uint8_t *enc, size_t enc_len,
                    const char *public_env) {
    uint8_t digest[32];
    memset(digest, digest_byte, 32);
    tkms_chain_abi_value f[] = {
        tkms_chain_abi_address(&e->app), tkms_chain_abi_bytes32(digest),
        tkms_chain_abi_string("ghcr.io/tkms/e2e"), tkms_chain_abi_bytes(enc, enc_len),
        tkms_chain_abi_bytes((const uint8_t *)public_env, strlen(public_env))};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 5);
    tkms_chain_receipt r;
    tkms_err err =
        ct_send(e->c, e->n_owner, &e->owner, &r, &e->apps, TKMS_CHAIN_APPS_PUBLISH, &args);
    if (err != TKMS_OK) {
        fail_msg("publishRelease: %s (%s)", tkms_err_name(err), tkms_chain_client_error(e->c));
    }
    tkms_chain_receipt_clear(&r);
}

static void chain_setup(env *e) {
    test_anvil_start(&e->anvil, NULL);
    e->c = ct_client(e->anvil.url, 3);
    e->deployer = ct_key(0);
    e->owner = ct_key(1);
    e->other = ct_key(2);
    e->n_deployer = ct_nonces(e->anvil.dir, 0, &e->deployer);
    e->n_owner = ct_nonces(e->anvil.dir, 1, &e->owner);
    tkms_chain_artifact art;
    ct_artifact(&art, "AppController");
    e->apps = ct_deploy(e->c, e->n_deployer, &e->deployer, &art, NULL, NULL);
    tkms_chain_artifact_free(&art);
    e->app = create_app(e, 0x5a);
    e->bare_app = create_app(e, 0x5b); /* never released */
    tn_address_hex(e->app_id, e->app.bytes);
    static const uint8_t env1[] = {'I', 'B', 'E', 1, 0xde, 0xad};
    publish(e, 0x77, env1, sizeof env1, "{\"MODE\":\"prod\",\"REGION\":\"eu\"}");
}

static void chain_teardown(env *e) {
    tkms_chain_nonces_close(e->n_deployer);
    tkms_chain_nonces_close(e->n_owner);
    ct_nonces_remove(e->anvil.dir, 0);
    ct_nonces_remove(e->anvil.dir, 1);
    tkms_chain_client_free(e->c);
    test_anvil_cleanup(&e->anvil);
}

static json_t *secrets(tn_server *t, const char *app_id, const uint8_t sk[32], long want) {
    tn_dev d = {.app_id = app_id, .sk = sk, .version = -1};
    char *body = tn_dev_body(&d);
    tn_resp r;
    tn_post(&r, t, "/v1/secrets", body);
    free(body);
    if (r.status != want) {
        fail_msg("status %ld, expected %ld: %s", r.status, want, r.body);
    }
    json_t *j = tn_json(&r);
    tn_resp_free(&r);
    return j;
}

static const char *error_code(json_t *j) {
    return json_string_value(json_object_get(json_object_get(j, "error"), "code"));
}

static void test_secrets_on_chain(void **state) {
    (void)state;
    tn_rsa_init();
    env e;
    memset(&e, 0, sizeof e);
    chain_setup(&e);
    node_chain_source src;
    assert_int_equal(node_chain_source_rpc(&src, e.anvil.url, 31337, e.apps.bytes, 2), TKMS_OK);
    node_chain_reader *reader;
    assert_int_equal(node_chain_reader_new(&reader, &src, 600, 64), TKMS_OK);
    tn_version_key keys[2];
    static const uint64_t versions[] = {7, 6};
    tn_server t;
    tn_start_with(&t, NULL, tn_snapshot(versions, 2, keys, 99), reader);

    json_t *j = secrets(&t, e.app_id, e.owner.sk, 200);
    json_t *partials = json_object_get(j, "partials");
    assert_int_equal(json_array_size(partials), 2);
    tn_partial_verify(json_array_get(partials, 0), e.app_id, &keys[0]);
    tn_partial_verify(json_array_get(partials, 1), e.app_id, &keys[1]);
    assert_string_equal(json_string_value(json_object_get(j, "encrypted_env")), "49424501dead");
    json_t *pub = json_object_get(j, "public_env");
    assert_string_equal(json_string_value(json_object_get(pub, "MODE")), "prod");
    assert_string_equal(json_string_value(json_object_get(pub, "REGION")), "eu");
    json_decref(j);

    /* the owner check is on chain: another key is refused */
    j = secrets(&t, e.app_id, e.other.sk, 401);
    assert_string_equal(error_code(j), "attestation_invalid");
    json_decref(j);
    /* an app that does not exist (owner() is zero) and one without a release (NoRelease) */
    j = secrets(&t, "0x00000000000000000000000000000000000000aa", e.owner.sk, 404);
    assert_string_equal(error_code(j), "unknown_app");
    json_decref(j);
    char bare[43];
    tn_address_hex(bare, e.bare_app.bytes);
    j = secrets(&t, bare, e.owner.sk, 403);
    assert_string_equal(error_code(j), "image_not_released");
    json_decref(j);
    node_release *rel = malloc(sizeof *rel);
    uint8_t unknown[20] = {0xaa};
    assert_int_equal(node_chain_reader_latest_release(reader, rel, unknown),
                     TKMS_ERR_NODE_UNKNOWN_APP); /* the UnknownApp revert, by selector */

    /* a new release: cached until the node loop invalidates on ReleasePublished */
    static const uint8_t env2[] = {'I', 'B', 'E', 1, 0xbe, 0xef};
    publish(&e, 0x78, env2, sizeof env2, "{\"MODE\":\"v2\"}");
    j = secrets(&t, e.app_id, e.owner.sk, 200);
    assert_string_equal(json_string_value(json_object_get(j, "encrypted_env")), "49424501dead");
    json_decref(j);
    node_chain_reader_invalidate(reader, e.app.bytes);
    j = secrets(&t, e.app_id, e.owner.sk, 200);
    assert_string_equal(json_string_value(json_object_get(j, "encrypted_env")), "49424501beef");
    json_decref(j);
    assert_int_equal(node_chain_reader_latest_release(reader, rel, e.app.bytes), TKMS_OK);
    assert_int_equal(rel->release_id, 2);
    assert_int_equal(rel->image_digest[0], 0x78);
    assert_string_equal(rel->registry, "ghcr.io/tkms/e2e");
    free(rel);

    /* the chain goes away: a request that needs it answers 503 chain_unavailable */
    test_anvil_stop(&e.anvil);
    node_chain_reader_invalidate(reader, NULL);
    j = secrets(&t, e.app_id, e.owner.sk, 503);
    assert_string_equal(error_code(j), "chain_unavailable");
    json_decref(j);
    tn_expect_healthy(&t);
    tn_stop(&t);
    chain_teardown(&e);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets_on_chain),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
