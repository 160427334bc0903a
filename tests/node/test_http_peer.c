/*
 * test_http_peer.c — the peer endpoints over real HTTP: a signed record envelope is
 * accepted (202, its hash computed from its parts), fetched back by a fetch envelope and by
 * GET /v1/peer/record/<hash>; every rejection of protocol.md §8 and of the record checks
 * (epoch, sender, recipient, envelope signature, dealer, record signature, bad point) and
 * the HTTP-level ones; the per-dealer bound of the pool; separate app and peer listeners.
 */
#include "http_test.h"

#define EPOCH 124

typedef struct {
    tn_server server;
    tn_version_key key;
    uint8_t seed[3][32]; /* A, B (in O) and C (a stranger) */
    uint8_t pub[3][32];
    uint8_t addr[3][20];
    tkms_proto_domain domain;
} fixture;

static void peers_install(node_snapshot *snap, fixture *f) {
    snap->peer_set_count = 1;
    node_peer_set *set = &snap->peer_sets[0];
    set->epoch = EPOCH;
    set->count = 3;
    memcpy(set->ops[0].address, tn_self, 20);
    for (int i = 0; i < 2; i++) {
        memcpy(set->ops[1 + i].address, f->addr[i], 20);
        memcpy(set->ops[1 + i].ed25519, f->pub[i], 32);
    }
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    for (int i = 0; i < 3; i++) {
        memset(f->seed[i], 0x41 + i, 32);
        tkms_prim_ed25519_public(f->pub[i], f->seed[i]);
        memset(f->addr[i], 0xa0 + i, 20);
    }
    static const uint64_t versions[] = {EPOCH - 1};
    node_snapshot *snap = tn_snapshot(versions, 1, &f->key, 3);
    peers_install(snap, f);
    f->domain.chain_id = snap->chain_id;
    memcpy(f->domain.epoch_log, snap->epoch_log, 20);
    tn_start(&f->server, NULL, snap);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    tn_stop(&f->server);
    free(f);
    return 0;
}

/* A structurally valid 1-of-1 record of `dealer`, commitment tag·g2, signed with seed. */
static void record_make(tkms_proto_record *r, const fixture *f, const uint8_t dealer[20],
                        const uint8_t seed[32], uint64_t tag) {
    memset(r, 0, sizeof *r);
    r->header.version = TKMS_PROTO_RECORD_VERSION;
    r->header.epoch = EPOCH;
    memcpy(r->header.dealer, dealer, 20);
    r->header.source = TKMS_PROTO_DKG_SOURCE;
    r->header.threshold = 1;
    r->players = 1;
    tkms_bls_fr k;
    tkms_bls_g2 g, c;
    tkms_bls_fr_from_u64(&k, tag);
    tkms_bls_g2_generator(&g);
    tkms_bls_g2_mul(&c, &g, &k);
    tkms_bls_g2_encode(r->commitments[0], &c);
    tkms_proto_record_sign(r, &f->domain, seed);
}

/* The JSON envelope (static buffer) from sender index `from`, signed with seed index. */
static const char *envelope_json(const fixture *f, tkms_proto_envelope *env, int from, int signer,
                                 uint64_t epoch, const uint8_t *to) {
    static char json[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1];
    env->version = TKMS_PROTO_ENVELOPE_VERSION;
    env->epoch = epoch;
    memcpy(env->from, f->addr[from], 20);
    env->to_all = to == NULL;
    memset(env->to, 0, 20);
    if (to != NULL) {
        memcpy(env->to, to, 20);
    }
    tkms_proto_envelope_sign(env, &f->domain, f->seed[signer]);
    size_t len;
    assert_int_equal(tkms_proto_envelope_json_encode(json, sizeof json, &len, env), TKMS_OK);
    return json;
}

static const char *record_envelope(const fixture *f, tkms_proto_envelope *env,
                                   const tkms_proto_record *r, int from, int signer) {
    memset(env, 0, sizeof *env);
    env->type = TKMS_PROTO_ENVELOPE_RECORD;
    env->body.record = *r;
    return envelope_json(f, env, from, signer, EPOCH, NULL);
}

static void post_expect(fixture *f, const char *body, long status, const char *code) {
    tn_resp r;
    tn_post(&r, &f->server, "/v1/peer", body);
    tn_expect_error(&r, status, code);
}

static void push_ok(fixture *f, const tkms_proto_record *rec, char hash_hex[67]) {
    tkms_proto_envelope *env = malloc(sizeof *env);
    const char *json = record_envelope(f, env, rec, 0, 0);
    tn_resp r;
    tn_post(&r, &f->server, "/v1/peer", json);
    if (r.status != 202) {
        fail_msg("status %ld: %s", r.status, r.body);
    }
    json_t *j = tn_json(&r);
    uint8_t h[32];
    tkms_proto_record_hash(h, &f->domain, rec);
    hash_hex[0] = '0';
    hash_hex[1] = 'x';
    tu_hex(hash_hex + 2, h, 32);
    assert_true(json_is_true(json_object_get(j, "accepted")));
    assert_string_equal(json_string_value(json_object_get(j, "hash")), hash_hex);
    json_decref(j);
    tn_resp_free(&r);
    free(env);
}

static void expect_record(fixture *f, const char *path, const tkms_proto_record *rec) {
    tn_resp r;
    tn_get(&r, &f->server, path);
    if (r.status != 200) {
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    }
    uint8_t bytes[TKMS_PROTO_RECORD_BYTES_MAX];
    size_t len;
    assert_int_equal(tkms_proto_record_encode(bytes, sizeof bytes, &len, rec), TKMS_OK);
    char *hex = malloc(2 * len + 3);
    hex[0] = '0';
    hex[1] = 'x';
    tu_hex(hex + 2, bytes, len);
    json_t *j = tn_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "record")), hex);
    json_decref(j);
    free(hex);
    tn_resp_free(&r);
}

static void test_push_fetch(void **state) {
    fixture *f = *state;
    tkms_proto_record rec;
    record_make(&rec, f, f->addr[0], f->seed[0], 5);
    char hash[67];
    push_ok(f, &rec, hash);
    push_ok(f, &rec, hash); /* idempotent */
    char path[128];
    snprintf(path, sizeof path, "/v1/peer/record/%s", hash);
    expect_record(f, path, &rec);
    snprintf(path, sizeof path, "/v1/peer/record/%s", hash + 2); /* without 0x */
    expect_record(f, path, &rec);
    /* a fetch envelope from B */
    tkms_proto_envelope *env = calloc(1, sizeof *env);
    env->type = TKMS_PROTO_ENVELOPE_FETCH;
    assert_int_equal(tu_unhex(env->body.record_hash, 32, hash), 32);
    const char *json = envelope_json(f, env, 1, 1, EPOCH, tn_self);
    tn_resp r;
    tn_post(&r, &f->server, "/v1/peer", json);
    assert_int_equal(r.status, 200);
    json_t *j = tn_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "hash")), hash);
    json_decref(j);
    tn_resp_free(&r);
    env->body.record_hash[0] ^= 1;
    json = envelope_json(f, env, 1, 1, EPOCH, tn_self);
    post_expect(f, json, 404, "unknown_record");
    snprintf(path, sizeof path, "/v1/peer/record/%064d", 0);
    tn_get(&r, &f->server, path);
    tn_expect_error(&r, 404, "unknown_record");
    tn_get(&r, &f->server, "/v1/peer/record/0xzz");
    tn_expect_error(&r, 400, "bad_request");
    free(env);
    const char *labels[] = {"in", "record", "accepted"};
    assert_int_equal(node_metrics_value(f->server.metrics, NODE_METRIC_PEER_MESSAGES, labels), 2);
}

static void test_rejections(void **state) {
    fixture *f = *state;
    tkms_proto_envelope *env = malloc(sizeof *env);
    tkms_proto_record rec;
    record_make(&rec, f, f->addr[0], f->seed[0], 6);
    post_expect(f, "{\"v\":1", 400, "bad_request");
    post_expect(f, "{\"v\":2,\"epoch\":1}", 400, "bad_request");
    /* an epoch that is neither current nor retained */
    memset(env, 0, sizeof *env);
    env->type = TKMS_PROTO_ENVELOPE_FETCH;
    post_expect(f, envelope_json(f, env, 0, 0, 50, NULL), 403, "peer_epoch_not_accepted");
    /* a stranger (C signs its own envelope correctly) */
    record_make(&rec, f, f->addr[2], f->seed[2], 6);
    post_expect(f, record_envelope(f, env, &rec, 2, 2), 403, "peer_unknown_sender");
    /* addressed to someone else */
    memset(env, 0, sizeof *env);
    env->type = TKMS_PROTO_ENVELOPE_FETCH;
    post_expect(f, envelope_json(f, env, 0, 0, EPOCH, f->addr[1]), 400, "peer_wrong_recipient");
    /* from A but signed with B's key */
    record_make(&rec, f, f->addr[0], f->seed[0], 6);
    post_expect(f, record_envelope(f, env, &rec, 0, 1), 401, "peer_bad_signature");
    /* A relays a record claiming dealer B but signed by A */
    record_make(&rec, f, f->addr[1], f->seed[0], 6);
    post_expect(f, record_envelope(f, env, &rec, 0, 0), 401, "peer_record_bad_signature");
    /* a record of a dealer outside O */
    record_make(&rec, f, f->addr[2], f->seed[2], 6);
    post_expect(f, record_envelope(f, env, &rec, 0, 0), 403, "peer_record_unknown_dealer");
    /* a bad point: an x coordinate >= p with the compression flag */
    record_make(&rec, f, f->addr[0], f->seed[0], 6);
    memset(rec.commitments[0], 0xff, 96);
    rec.commitments[0][0] = 0x9f;
    tkms_proto_record_sign(&rec, &f->domain, f->seed[0]);
    post_expect(f, record_envelope(f, env, &rec, 0, 0), 400, "bad_point");
    /* HTTP level */
    char url[128];
    snprintf(url, sizeof url, "%s/v1/peer", f->server.base);
    tn_resp r;
    tn_http(&r, "POST", url, "text/plain", "{}", 2);
    tn_expect_error(&r, 415, "unsupported_media_type");
    tn_get(&r, &f->server, "/v1/peer");
    tn_expect_error(&r, 405, "method_not_allowed");
    size_t big = 64 * 1024 + 1;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    tn_http(&r, "POST", url, "application/json", huge, big);
    tn_expect_error(&r, 413, "payload_too_large");
    free(huge);
    free(env);
    tn_expect_healthy(&f->server);
}

static void test_pool_per_dealer(void **state) {
    fixture *f = *state;
    tkms_proto_record recs[3];
    char hashes[3][67];
    for (int i = 0; i < 3; i++) {
        record_make(&recs[i], f, f->addr[1], f->seed[1], 100 + (uint64_t)i);
        tkms_proto_envelope *env = malloc(sizeof *env);
        const char *json = record_envelope(f, env, &recs[i], 1, 1);
        tn_resp r;
        tn_post(&r, &f->server, "/v1/peer", json);
        assert_int_equal(r.status, 202);
        tn_resp_free(&r);
        free(env);
        uint8_t h[32];
        tkms_proto_record_hash(h, &f->domain, &recs[i]);
        hashes[i][0] = '0';
        hashes[i][1] = 'x';
        tu_hex(hashes[i] + 2, h, 32);
    }
    char path[128];
    tn_resp r;
    snprintf(path, sizeof path, "/v1/peer/record/%s", hashes[0]);
    tn_get(&r, &f->server, path); /* B's oldest was displaced by its third */
    tn_expect_error(&r, 404, "unknown_record");
    snprintf(path, sizeof path, "/v1/peer/record/%s", hashes[2]);
    expect_record(f, path, &recs[2]);
}

static void test_two_listeners(void **state) {
    (void)state;
    node_config c;
    tn_config_default(&c);
    snprintf(c.peer_listen, sizeof c.peer_listen, "127.0.0.2:0"); /* a second listener */
    tn_server t;
    tn_start(&t, &c, NULL);
    uint16_t peer_port = node_http_port(t.http, NODE_HTTP_LISTENER_PEER);
    assert_true(peer_port != 0 && peer_port != t.port);
    tn_resp r;
    tn_post(&r, &t, "/v1/peer", "{}");
    tn_expect_error(&r, 404, "not_found"); /* peer routes are not on the app listener */
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.2:%u/v1/secrets", peer_port);
    tn_http(&r, "POST", url, "application/json", "{}", 2);
    tn_expect_error(&r, 404, "not_found");
    snprintf(url, sizeof url, "http://127.0.0.2:%u/v1/peer", peer_port);
    tn_http(&r, "POST", url, "application/json", "{}", 2);
    tn_expect_error(&r, 400, "bad_request");
    snprintf(url, sizeof url, "http://127.0.0.2:%u/healthz", peer_port);
    tn_http(&r, "GET", url, NULL, NULL, 0);
    assert_int_equal(r.status, 200);
    tn_resp_free(&r);
    tn_expect_healthy(&t);
    tn_stop(&t);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_fetch),
        cmocka_unit_test(test_rejections),
        cmocka_unit_test(test_pool_per_dealer),
        cmocka_unit_test(test_two_listeners),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
