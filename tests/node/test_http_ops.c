/*
 * test_http_ops.c — the operator endpoints over real HTTP: /healthz, /readyz in each of
 * its states, /metrics (Prometheus text; request counts by route and status, gauges from
 * the snapshot), /v1/status, and request ids (generated, or a sane client one kept).
 */
#include "http_test.h"

static void test_healthz_readyz(void **state) {
    (void)state;
    tn_server t;
    tn_start(&t, NULL, NULL);
    tn_resp r;
    tn_get(&r, &t, "/healthz");
    assert_int_equal(r.status, 200);
    json_t *j = tn_json(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    json_decref(j);
    tn_resp_free(&r);
    tn_get(&r, &t, "/readyz");
    tn_expect_error(&r, 503, "not_ready");
    tn_get(&r, &t, "/v1/status");
    tn_expect_error(&r, 503, "not_ready");
    node_snapshots_publish(&t.snapshots, tn_snapshot(NULL, 0, NULL, 1));
    tn_get(&r, &t, "/readyz");
    tn_expect_error(&r, 503, "no_finalized_version");
    tn_version_key key;
    static const uint64_t v[] = {9};
    node_snapshot *down = tn_snapshot(v, 1, &key, 2);
    down->chain_live = false;
    node_snapshots_publish(&t.snapshots, down);
    tn_get(&r, &t, "/readyz");
    assert_string_equal(r.retry_after, "5");
    tn_expect_error(&r, 503, "chain_unavailable");
    node_snapshots_publish(&t.snapshots, tn_snapshot(v, 1, &key, 2));
    tn_get(&r, &t, "/readyz");
    assert_int_equal(r.status, 200);
    j = tn_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), 9);
    json_decref(j);
    tn_resp_free(&r);
    tn_stop(&t);
}

static void test_metrics_and_status(void **state) {
    (void)state;
    tn_version_key keys[2];
    static const uint64_t v[] = {12, 11};
    node_snapshot *snap = tn_snapshot(v, 2, keys, 4);
    snap->phase = 3; /* acked */
    snap->peer_status_count = 2;
    snap->peer_status[0].reachable = true;
    snap->peer_status[0].last_ok = 1785000000;
    snprintf(snap->last_epoch_result, sizeof snap->last_epoch_result, "epoch 12: finalized\x01");
    tn_server t;
    tn_start(&t, NULL, snap);
    tn_resp r;
    for (int i = 0; i < 3; i++) {
        tn_get(&r, &t, "/healthz");
        tn_resp_free(&r);
    }
    tn_get(&r, &t, "/nope");
    tn_resp_free(&r);
    /* a request is counted when MHD completes it, possibly after the client has the answer:
       wait (bounded, 1 s) for both counts */
    bool counted = false;
    for (int attempt = 0; attempt < 100 && !counted; attempt++) {
        if (attempt > 0) {
            tn_resp_free(&r);
            usleep(10000);
        }
        tn_get(&r, &t, "/metrics");
        static const char ok3[] = "tkms_http_requests_total{route=\"healthz\",status=\"200\"} 3\n";
        static const char nf1[] = "tkms_http_requests_total{route=\"unknown\",status=\"404\"} 1\n";
        counted = r.body != NULL && strstr(r.body, ok3) && strstr(r.body, nf1);
    }
    assert_true(counted);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/plain"));
    assert_non_null(strstr(r.body, "tkms_http_rejected_total{reason=\"not_found\"} 1\n"));
    assert_non_null(strstr(r.body, "tkms_current_version 12\n"));
    assert_non_null(strstr(r.body, "tkms_current_epoch 13\n"));
    assert_non_null(strstr(r.body, "tkms_http_in_flight 0\n"));
    tn_resp_free(&r);
    tn_get(&r, &t, "/v1/status");
    assert_int_equal(r.status, 200);
    json_t *j = tn_json(&r);
    char self[43];
    tn_address_hex(self, tn_self);
    assert_string_equal(json_string_value(json_object_get(j, "operator")), self);
    assert_string_equal(json_string_value(json_object_get(j, "phase")), "acked");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "chain"), "head")),
                     1000);
    assert_string_equal(json_string_value(json_object_get(j, "last_epoch_result")),
                        "epoch 12: finalized?"); /* control bytes never reach the JSON */
    assert_int_equal(json_array_size(json_object_get(j, "versions_held")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "peers_reachable")), 1);
    json_decref(j);
    tn_resp_free(&r);
    tn_stop(&t);
}

static void test_request_ids(void **state) {
    (void)state;
    tn_server t;
    tn_start(&t, NULL, NULL);
    char url[128];
    snprintf(url, sizeof url, "%s/healthz", t.base);
    tn_resp a, b, c, d;
    tn_http(&a, "GET", url, NULL, NULL, 0);
    tn_http(&b, "GET", url, NULL, NULL, 0);
    assert_true(a.request_id[0] != 0);
    assert_string_not_equal(a.request_id, b.request_id);
    tn_http_ex(&c, "GET", url, NULL, NULL, 0, "X-Request-Id: trace-42.A_b");
    assert_string_equal(c.request_id, "trace-42.A_b");
    tn_http_ex(&d, "GET", url, NULL, NULL, 0, "X-Request-Id: bad id\"{}");
    assert_string_not_equal(d.request_id, "bad id\"{}"); /* replaced: logs stay clean */
    assert_true(d.request_id[0] != 0);
    tn_resp_free(&a);
    tn_resp_free(&b);
    tn_resp_free(&c);
    tn_resp_free(&d);
    tn_stop(&t);
}

/* Hostile requests to the operator endpoints get the generic answers and change nothing. */
static void test_ops_hostile(void **state) {
    (void)state;
    tn_server t;
    tn_start(&t, NULL, NULL);
    static const char *const paths[] = {"/healthz", "/readyz", "/metrics", "/v1/status"};
    for (size_t i = 0; i < 4; i++) {
        char url[160];
        snprintf(url, sizeof url, "%s%s", t.base, paths[i]);
        tn_resp r;
        tn_http(&r, "POST", url, "application/json", "{}", 2);
        assert_string_equal(r.allow, "GET");
        tn_expect_error(&r, 405, "method_not_allowed");
        tn_http(&r, "DELETE", url, NULL, NULL, 0);
        tn_expect_error(&r, 405, "method_not_allowed");
        snprintf(url, sizeof url, "%s%s/../x?%%00=%%ff", t.base, paths[i]);
        tn_http(&r, "GET", url, NULL, NULL, 0);
        assert_true(r.status == 404 || r.status == 400);
        tn_resp_free(&r);
    }
    tn_resp r; /* raw bytes in the path: the 404 message stays valid JSON */
    tn_get(&r, &t, "/%ff%fe%c3/%01");
    tn_expect_error(&r, 404, "not_found");
    tn_expect_healthy(&t);
    tn_stop(&t);
}

/* Listen addresses and limits the server refuses at start (nothing is bound then). */
static void test_start_refused(void **state) {
    (void)state;
    node_snapshots snaps;
    node_snapshots_init(&snaps);
    node_records *records = node_records_new();
    tn_chain fake = {0};
    node_chain_source src = {&fake, tn_chain_owner, tn_chain_release, NULL};
    node_chain_reader *reader;
    assert_int_equal(node_chain_reader_new(&reader, &src, 0, 0), TKMS_OK);
    node_log_level_set(NODE_LOG_ERROR + 1); /* the refusals log at error: keep quiet */
    static const char *const bad_listen[] = {"nohost", "127.0.0.1:99999", "localhost:80",
                                             "127.0.0.1:"};
    for (size_t i = 0; i < sizeof bad_listen / sizeof bad_listen[0]; i++) {
        node_config c;
        tn_config_default(&c);
        snprintf(c.app_listen, sizeof c.app_listen, "%s", bad_listen[i]);
        node_http *h = (node_http *)1;
        assert_int_equal(node_http_start(&h, &c, &snaps, records, reader, NULL),
                         TKMS_ERR_NODE_CONFIG_INVALID);
        assert_null(h);
    }
    node_config c;
    tn_config_default(&c);
    c.http_threads = 0;
    node_http *h;
    assert_int_equal(node_http_start(&h, &c, &snaps, records, reader, NULL),
                     TKMS_ERR_NODE_CONFIG_INVALID);
    tn_config_default(&c);
    c.body_bytes_max = 4096; /* below the largest peer envelope */
    assert_int_equal(node_http_start(&h, &c, &snaps, records, reader, NULL),
                     TKMS_ERR_NODE_CONFIG_INVALID);
    tn_config_default(&c);
    snprintf(c.attest_policy_file, sizeof c.attest_policy_file, "/nonexistent/policy.json");
    assert_int_equal(node_http_start(&h, &c, &snaps, records, reader, NULL),
                     TKMS_ERR_NODE_CONFIG_INVALID);
    tn_config_default(&c); /* ":0" listens on every IPv4 address */
    snprintf(c.app_listen, sizeof c.app_listen, ":0");
    snprintf(c.peer_listen, sizeof c.peer_listen, ":0");
    assert_int_equal(node_http_start(&h, &c, &snaps, records, reader, NULL), TKMS_OK);
    assert_true(node_http_port(h, NODE_HTTP_LISTENER_APP) != 0);
    node_http_stop(h);
    node_log_level_set(NODE_LOG_WARN);
    node_chain_reader_free(reader);
    node_records_free(records);
    node_snapshots_destroy(&snaps);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz_readyz), cmocka_unit_test(test_metrics_and_status),
        cmocka_unit_test(test_request_ids),    cmocka_unit_test(test_ops_hostile),
        cmocka_unit_test(test_start_refused),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
