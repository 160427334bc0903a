/*
 * test_http_units.c — the HTTP layer's parts without a socket: metrics (render, overflow),
 * snapshot reference counting, the record pool's bounds, token buckets and the in-flight
 * cap (with a controlled clock), dev-ecdsa (digest against the client library's, every
 * rejection), the H1 cache, the chain reader's cache and invalidation, the /v1/secrets
 * parser on hostile bodies, and the error table (every HTTP-layer code has a non-500
 * status except internal_error).
 */
#include "http_test.h"

#include "node/http_internal.h"

/* ---- metrics ---------------------------------------------------------------------------- */

static void test_metrics_render(void **state) {
    (void)state;
    node_metrics *m = node_metrics_new();
    const char *l1[] = {"secrets", "200"};
    const char *l2[] = {"secrets", "401"};
    node_metrics_add(m, NODE_METRIC_HTTP_REQUESTS, l1, 3);
    node_metrics_add(m, NODE_METRIC_HTTP_REQUESTS, l2, 1);
    node_metrics_add(m, NODE_METRIC_HTTP_REQUESTS, l1, 2);
    node_metrics_set(m, NODE_METRIC_CURRENT_EPOCH, NULL, 42);
    const char *route[] = {"secrets", "200"};
    node_metrics_observe(m, NODE_METRIC_HTTP_DURATION, route, 700);      /* <= 1 ms */
    node_metrics_observe(m, NODE_METRIC_HTTP_DURATION, route, 20000000); /* > 10 s */
    assert_int_equal(node_metrics_value(m, NODE_METRIC_HTTP_REQUESTS, l1), 5);
    size_t len = 0;
    char *text = node_metrics_render(m, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    assert_non_null(strstr(text, "tkms_http_requests_total{route=\"secrets\",status=\"200\"} 5\n"));
    assert_non_null(strstr(text, "tkms_http_requests_total{route=\"secrets\",status=\"401\"} 1\n"));
    assert_non_null(strstr(text, "# TYPE tkms_http_request_duration_seconds histogram\n"));
    assert_non_null(strstr(text, "tkms_http_request_duration_seconds_bucket{route=\"secrets\","
                                 "status=\"200\",le=\"0.001\"} 1\n"));
    assert_non_null(strstr(text, "tkms_http_request_duration_seconds_bucket{route=\"secrets\","
                                 "status=\"200\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(
        text, "tkms_http_request_duration_seconds_count{route=\"secrets\",status=\"200\"} 2\n"));
    assert_non_null(strstr(text, "tkms_current_epoch 42\n"));
    assert_non_null(strstr(text, "tkms_partials_served_total 0\n"));
    free(text);
    node_metrics_free(m);
}

static void test_metrics_bounded(void **state) {
    (void)state;
    node_metrics *m = node_metrics_new();
    for (int i = 0; i < 500; i++) { /* hostile label values: bounded, sanitized */
        char reason[32];
        snprintf(reason, sizeof reason, "r\"%d\n{}", i);
        const char *l[] = {reason};
        node_metrics_add(m, NODE_METRIC_HTTP_REJECTED, l, 1);
    }
    const char *other[] = {"other"};
    int64_t overflow = node_metrics_value(m, NODE_METRIC_HTTP_REJECTED, other);
    assert_int_equal(overflow, 500 - (NODE_METRICS_SERIES_MAX - 1));
    size_t len;
    char *text = node_metrics_render(m, &len);
    assert_null(strstr(text, "\\\"")); /* nothing needed escaping: sanitized */
    assert_non_null(strstr(text, "tkms_http_rejected_total{reason=\"r_0___\"} 1\n"));
    free(text);
    node_metrics_free(m);
    node_metrics_add(NULL, NODE_METRIC_HTTP_REJECTED, other, 1); /* NULL: no-op */
}

/* ---- snapshots ---------------------------------------------------------------------------- */

static void test_snapshot_refcount(void **state) {
    (void)state;
    node_snapshots s;
    node_snapshots_init(&s);
    assert_null(node_snapshot_acquire(&s));
    node_snapshot *a = node_snapshot_new();
    a->epoch = 1;
    node_snapshots_publish(&s, a);
    const node_snapshot *held = node_snapshot_acquire(&s);
    assert_ptr_equal(held, a);
    node_snapshot *b = node_snapshot_new();
    b->epoch = 2;
    node_snapshots_publish(&s, b); /* a lives on: a reader holds it */
    assert_int_equal(held->epoch, 1);
    const node_snapshot *now = node_snapshot_acquire(&s);
    assert_int_equal(now->epoch, 2);
    node_snapshot_release(&s, held); /* the last reference of a: freed here (ASan checks) */
    node_snapshot_release(&s, now);
    node_snapshots_destroy(&s);
}

/* ---- record pool --------------------------------------------------------------------------- */

static void record_bytes(uint8_t *out, size_t len, uint64_t epoch, uint8_t dealer, uint8_t tag) {
    memset(out, tag, len);
    out[0] = 1;
    for (int i = 0; i < 8; i++) {
        out[1 + i] = (uint8_t)(epoch >> (56 - 8 * i));
    }
    memset(out + 9, dealer, 20);
}

static void test_records_pool(void **state) {
    (void)state;
    node_records *r = node_records_new();
    uint8_t rec[TKMS_PROTO_RECORD_BYTES_MIN], out[TKMS_PROTO_RECORD_BYTES_MIN], h[32];
    size_t len = sizeof rec;
    /* dedup, get, short buffer */
    record_bytes(rec, len, 5, 0xd1, 1);
    memset(h, 1, 32);
    assert_true(node_records_put(r, 5, h, rec, len));
    assert_true(node_records_put(r, 5, h, rec, len));
    assert_int_equal(node_records_get(r, h, out, sizeof out), len);
    assert_memory_equal(out, rec, len);
    assert_int_equal(node_records_get(r, h, out, len - 1), 0);
    /* oversized and undersized records are refused */
    assert_false(node_records_put(r, 5, h, rec, 10));
    /* per (epoch, dealer): at most 2; the third displaces the dealer's oldest */
    uint8_t h2[32], h3[32];
    memset(h2, 2, 32);
    memset(h3, 3, 32);
    record_bytes(rec, len, 5, 0xd1, 2);
    assert_true(node_records_put(r, 5, h2, rec, len));
    record_bytes(rec, len, 5, 0xd1, 3);
    assert_true(node_records_put(r, 5, h3, rec, len));
    assert_int_equal(node_records_get(r, h, out, sizeof out), 0);
    assert_int_equal(node_records_get(r, h3, out, sizeof out), len);
    /* fill the pool with epoch-6 records of distinct dealers: an epoch-5 record then cannot
       displace anything newer, an epoch-7 one can */
    for (int i = 0; i < NODE_RECORDS_MAX; i++) {
        uint8_t hh[32] = {0x60, (uint8_t)i, (uint8_t)(i >> 8)};
        record_bytes(rec, len, 6, (uint8_t)(i / 2), (uint8_t)i);
        assert_true(node_records_put(r, 6, hh, rec, len));
    }
    uint8_t late[32] = {0x50};
    record_bytes(rec, len, 5, 0xee, 9);
    assert_false(node_records_put(r, 5, late, rec, len));
    uint8_t newer[32] = {0x70};
    record_bytes(rec, len, 7, 0xee, 9);
    assert_true(node_records_put(r, 7, newer, rec, len));
    node_records_evict_before(r, 7);
    assert_int_equal(node_records_get(r, newer, out, sizeof out), len);
    uint8_t first6[32] = {0x60, 1, 0};
    assert_int_equal(node_records_get(r, first6, out, sizeof out), 0);
    node_records_free(r);
}

/* ---- limits --------------------------------------------------------------------------------- */

static void test_limits_buckets(void **state) {
    (void)state;
    node_config c;
    tn_config_default(&c);
    c.ip_rps = 2;
    c.ip_burst = 3;
    c.app_rps = 0; /* unlimited */
    c.in_flight_max = 2;
    node_limits *l = limits_new(&c);
    uint8_t ip[16] = {0}, other[16] = {1};
    uint32_t retry = 0;
    uint64_t t0 = 1000000000;
    for (int i = 0; i < 3; i++) {
        assert_true(limits_ip_take(l, RATE_APP, ip, t0, &retry));
    }
    assert_false(limits_ip_take(l, RATE_APP, ip, t0, &retry));
    assert_int_equal(retry, 1); /* 1 token at 2 rps: 0.5 s, rounded up to 1 s */
    assert_true(limits_ip_take(l, RATE_APP, other, t0, &retry));          /* its own bucket */
    assert_true(limits_ip_take(l, RATE_PEER, ip, t0, &retry));            /* its own table */
    assert_false(limits_ip_take(l, RATE_APP, ip, t0 + 400000, &retry));   /* 0.8 token */
    assert_true(limits_ip_take(l, RATE_APP, ip, t0 + 500000, &retry));    /* 1.0 token */
    assert_true(limits_ip_take(l, RATE_APP, ip, t0 + 100000000, &retry)); /* refilled... */
    assert_true(limits_ip_take(l, RATE_APP, ip, t0 + 100000000, &retry));
    assert_true(limits_ip_take(l, RATE_APP, ip, t0 + 100000000, &retry));
    assert_false(limits_ip_take(l, RATE_APP, ip, t0 + 100000000, &retry)); /* ...to burst */
    uint8_t app[20] = {0xaa};
    for (int i = 0; i < 1000; i++) {
        assert_true(limits_app_take(l, app, t0, &retry));
    }
    assert_true(limits_in_flight_enter(l));
    assert_true(limits_in_flight_enter(l));
    assert_false(limits_in_flight_enter(l));
    assert_int_equal(limits_in_flight(l), 2);
    limits_in_flight_leave(l);
    assert_true(limits_in_flight_enter(l));
    limits_in_flight_leave(l);
    limits_in_flight_leave(l);
    assert_int_equal(limits_in_flight(l), 0);
    limits_free(l);
}

/* ---- dev-ecdsa ------------------------------------------------------------------------------ */

static void test_dev_attest(void **state) {
    (void)state;
    tn_rsa_init();
    uint8_t sk[32], owner[20];
    tn_key(sk, owner, 1);
    const char *app_id = "0x1111111111111111111111111111111111111111";
    tn_dev d = {.app_id = app_id, .sk = sk, .version = -1};
    char *body = tn_dev_body(&d);
    json_t *j = json_loads(body, 0, NULL);
    const char *b64 = json_string_value(json_object_get(j, "attestation"));
    uint8_t sig[65];
    size_t sig_len;
    assert_int_equal(tkms_prim_base64_decode(sig, &sig_len, 65, b64, strlen(b64)), TKMS_OK);
    uint8_t binding[32], digest[32], client_digest[32];
    tkms_prim_buf parts[] = {{(const uint8_t *)tn_rsa_public, strlen(tn_rsa_public)}};
    tkms_prim_sha256_parts(binding, parts, 1);
    tkms_client_dev_attest_digest_of_binding(digest, app_id, d.used_challenge, binding);
    assert_int_equal(tkms_client_dev_attest_digest(client_digest, app_id, d.used_challenge,
                                                   tn_rsa_public, strlen(tn_rsa_public), NULL, 0),
                     TKMS_OK);
    assert_memory_equal(digest, client_digest, 32); /* the binding is sha256(PEM) */
    uint8_t signer[20], nonce[32];
    int64_t expires, now = time(NULL);
    char msg[256];
    assert_int_equal(dev_attest_recover(signer, nonce, &expires, msg, sizeof msg, app_id,
                                        d.used_challenge, sig, 65, binding, now),
                     TKMS_OK);
    assert_memory_equal(signer, owner, 20);
    node_dev_attest *dev = dev_attest_new(true);
    assert_int_equal(dev_attest_nonce_use(dev, nonce, expires, now), TKMS_OK);
    assert_int_equal(dev_attest_nonce_use(dev, nonce, expires, now), TKMS_ERR_NODE_DEV_REPLAYED);
    assert_int_equal(dev_attest_nonce_use(dev, nonce, expires, expires + 1), TKMS_OK);
    dev_attest_free(dev);
    node_dev_attest *off = dev_attest_new(false); /* benchmarks: no cache */
    assert_int_equal(dev_attest_nonce_use(off, nonce, expires, now), TKMS_OK);
    assert_int_equal(dev_attest_nonce_use(off, nonce, expires, now), TKMS_OK);
    dev_attest_free(off);
    json_decref(j);
    free(body);
}

static void test_dev_attest_rejections(void **state) {
    (void)state;
    tn_rsa_init();
    uint8_t sk[32], owner[20];
    tn_key(sk, owner, 1);
    const char *app_id = "0x1111111111111111111111111111111111111111";
    tn_dev d = {.app_id = app_id, .sk = sk, .version = -1};
    char *body = tn_dev_body(&d);
    json_t *j = json_loads(body, 0, NULL);
    const char *b64 = json_string_value(json_object_get(j, "attestation"));
    uint8_t sig[65], binding[32], signer[20], nonce[32];
    size_t sig_len;
    assert_int_equal(tkms_prim_base64_decode(sig, &sig_len, 65, b64, strlen(b64)), TKMS_OK);
    tkms_prim_sha256(binding, (const uint8_t *)tn_rsa_public, strlen(tn_rsa_public));
    int64_t expires, now = time(NULL);
    char msg[256];
    struct {
        const char *challenge;
        int64_t now_delta;
        int sig_edit; /* 0 none, 1 v=2, 2 short, 3 high s, 4 r=0 */
        tkms_err want;
    } cases[] = {
        {"123-abc", 0, 0, TKMS_ERR_NODE_DEV_CHALLENGE_MALFORMED},
        {NULL, 301, 0, TKMS_ERR_NODE_DEV_CHALLENGE_EXPIRED},
        {NULL, -31, 0, TKMS_ERR_NODE_DEV_CHALLENGE_FUTURE},
        {NULL, 0, 1, TKMS_ERR_NODE_DEV_SIGNATURE_MALFORMED},
        {NULL, 0, 2, TKMS_ERR_NODE_DEV_SIGNATURE_MALFORMED},
        {NULL, 0, 3, TKMS_ERR_NODE_DEV_SIGNATURE_HIGH_S},
        {NULL, 0, 4, TKMS_ERR_NODE_DEV_SIGNATURE_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t s2[65];
        memcpy(s2, sig, 65);
        size_t len = cases[i].sig_edit == 2 ? 64 : 65;
        s2[64] = cases[i].sig_edit == 1 ? 2 : s2[64];
        if (cases[i].sig_edit == 3) {
            tn_sub_from_order(s2 + 32);
        }
        if (cases[i].sig_edit == 4) {
            memset(s2, 0, 32);
        }
        const char *ch = cases[i].challenge != NULL ? cases[i].challenge : d.used_challenge;
        tkms_err err = dev_attest_recover(signer, nonce, &expires, msg, sizeof msg, app_id, ch, s2,
                                          len, binding, now + cases[i].now_delta);
        if (err != cases[i].want) {
            fail_msg("case %zu: %s, expected %s (%s)", i, tkms_err_name(err),
                     tkms_err_name(cases[i].want), msg);
        }
    }
    /* another app id, another binding: the signature recovers someone else */
    assert_int_equal(dev_attest_recover(signer, nonce, &expires, msg, sizeof msg,
                                        "0x2222222222222222222222222222222222222222",
                                        d.used_challenge, sig, 65, binding, now),
                     TKMS_OK);
    assert_memory_not_equal(signer, owner, 20);
    json_decref(j);
    free(body);
}

/* ---- H1 cache ------------------------------------------------------------------------------ */

static void test_h1_cache(void **state) {
    (void)state;
    node_h1_cache *c = h1_cache_new();
    const char *id = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd";
    tkms_bls_g1 direct, a, b;
    assert_int_equal(tkms_tss_h1(&direct, (const uint8_t *)id, strlen(id)), TKMS_OK);
    assert_int_equal(h1_cache_get(c, &a, id, strlen(id)), TKMS_OK);
    assert_int_equal(h1_cache_get(c, &b, id, strlen(id)), TKMS_OK);
    assert_true(tkms_bls_g1_equal(&a, &direct));
    assert_true(tkms_bls_g1_equal(&b, &direct));
    for (int i = 0; i < 1500; i++) { /* more ids than entries (1024): bounded, correct */
        char other[43];
        snprintf(other, sizeof other, "0x%040x", i);
        assert_int_equal(h1_cache_get(c, &a, other, strlen(other)), TKMS_OK);
    }
    assert_int_equal(h1_cache_get(c, &a, id, strlen(id)), TKMS_OK);
    assert_true(tkms_bls_g1_equal(&a, &direct));
    assert_int_equal(h1_cache_get(NULL, &a, id, strlen(id)), TKMS_OK);
    assert_true(tkms_bls_g1_equal(&a, &direct));
    h1_cache_free(c);
}

/* ---- chain reader cache --------------------------------------------------------------------- */

static void test_chain_reader_cache(void **state) {
    (void)state;
    tn_chain fake = {0};
    pthread_mutex_init(&fake.lock, NULL);
    uint8_t app[20] = {0xa1}, owner[20] = {0x0b}, none[20] = {0xff};
    tn_chain_app(&fake, app, owner, 0x11, "abcd", "{\"K\":\"V\"}");
    node_chain_source src = {&fake, tn_chain_owner, tn_chain_release, NULL};
    node_chain_reader *r;
    assert_int_equal(node_chain_reader_new(&r, &src, 60, 16), TKMS_OK);
    node_release *rel = malloc(sizeof *rel);
    uint8_t got[20];
    for (int i = 0; i < 3; i++) {
        assert_int_equal(node_chain_reader_app_owner(r, got, app), TKMS_OK);
        assert_memory_equal(got, owner, 20);
        assert_int_equal(node_chain_reader_latest_release(r, rel, app), TKMS_OK);
        assert_int_equal(rel->encrypted_env_len, 2);
        assert_int_equal(rel->image_digest[0], 0x11);
    }
    assert_int_equal(node_chain_reader_source_calls(r), 2); /* one of each, then cached */
    assert_int_equal(node_chain_reader_app_owner(r, got, none), TKMS_ERR_NODE_UNKNOWN_APP);
    assert_int_equal(node_chain_reader_latest_release(r, rel, none), TKMS_ERR_NODE_UNKNOWN_APP);
    assert_int_equal(node_chain_reader_app_owner(r, got, none), TKMS_ERR_NODE_UNKNOWN_APP);
    assert_int_equal(node_chain_reader_source_calls(r), 5); /* negatives are not cached */
    /* a new release: stale until invalidated */
    pthread_mutex_lock(&fake.lock);
    memset(fake.apps[0].release.image_digest, 0x22, 32);
    pthread_mutex_unlock(&fake.lock);
    assert_int_equal(node_chain_reader_latest_release(r, rel, app), TKMS_OK);
    assert_int_equal(rel->image_digest[0], 0x11);
    node_chain_reader_invalidate(r, app);
    assert_int_equal(node_chain_reader_latest_release(r, rel, app), TKMS_OK);
    assert_int_equal(rel->image_digest[0], 0x22);
    node_chain_reader_invalidate(r, NULL);
    fake.fail = true;
    assert_int_equal(node_chain_reader_latest_release(r, rel, app),
                     TKMS_ERR_NODE_CHAIN_UNAVAILABLE);
    free(rel);
    node_chain_reader_free(r);
    pthread_mutex_destroy(&fake.lock);
}

/* ---- /v1/secrets parser ------------------------------------------------------------------------
 */

static void test_secrets_parse_hostile(void **state) {
    (void)state;
    tn_rsa_init();
    char pem_json[9000];
    json_t *s = json_string(tn_rsa_public);
    char *dumped = json_dumps(s, JSON_ENCODE_ANY);
    snprintf(pem_json, sizeof pem_json, "%s", dumped);
    free(dumped);
    json_decref(s);
    const char *app = "\"0x1111111111111111111111111111111111111111\"";
    struct {
        const char *fmt; /* %s: app id, then PEM */
        tkms_err want;
    } cases[] = {
        {"{\"app_id\":%s,\"attestation_method\":\"dev-ecdsa\",\"attestation\":\"AAAA\","
         "\"rsa_pubkey\":%s,\"challenge\":\"1-aa\"}",
         TKMS_OK},
        {"", TKMS_ERR_NODE_HTTP_BAD_REQUEST},
        {"{", TKMS_ERR_NODE_HTTP_BAD_REQUEST},
        {"[1,2]", TKMS_ERR_NODE_HTTP_BAD_REQUEST},
        {"{\"a\":{\"b\":1}}", TKMS_ERR_NODE_HTTP_BAD_REQUEST},
        {"{\"a\":[1]}", TKMS_ERR_NODE_HTTP_BAD_REQUEST},
        {"\"str\"", TKMS_ERR_NODE_HTTP_BAD_REQUEST},
        {"{\"app_id\":%s,\"app_id\":%s}", TKMS_ERR_NODE_HTTP_BAD_REQUEST},
        {"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,"
         "\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17}",
         TKMS_ERR_NODE_HTTP_BAD_REQUEST},
        {"{\"app_id\":%s,\"zzz\":\"1\"}", TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":\"0x11\"}", TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":\"0xABCDEFabcdefabcdefabcdefabcdefabcdefabcd\"}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":7}", TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"tdx\"}", TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"version\":-1}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"version\":1.5}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"dev-ecdsa\"}", TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"challenge\":\"1-a\"}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"init_data\":\"AAAA\"}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"rsa_pubkey\":\"-----BEGIN nope\"}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"rsa_pubkey\":%s}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD}, /* no attestation */
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"rsa_pubkey\":%s,\"attestation\":\"A\"}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"rsa_pubkey\":%s,\"attestation\":"
         "\"AAAA\",\"extra_data\":\"A===\"}",
         TKMS_ERR_NODE_HTTP_BAD_FIELD},
        {"{\"app_id\":%s,\"attestation_method\":\"gcp\",\"rsa_pubkey\":%s,\"attestation\":"
         "\"AAAA\",\"extra_data\":\"AAAB\"}",
         TKMS_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[12000];
        snprintf(body, sizeof body, cases[i].fmt, app,
                 strstr(cases[i].fmt, "app_id\":%s,\"app_id") ? app : pem_json);
        secrets_request sr;
        char msg[512];
        tkms_err err =
            secrets_request_parse(&sr, msg, sizeof msg, (const uint8_t *)body, strlen(body));
        if (err != cases[i].want) {
            fail_msg("case %zu: %s, expected %s (%s) body %.200s", i, tkms_err_name(err),
                     tkms_err_name(cases[i].want), msg, body);
        }
        assert_true(err == TKMS_OK || msg[0] != 0);
        secrets_request_clear(&sr);
    }
}

static void test_error_table(void **state) {
    (void)state;
    for (int e = 800; e < 850; e++) {
        const char *name = tkms_err_name((tkms_err)e);
        if (strcmp(name, "unknown_error") == 0 || e == TKMS_ERR_NODE_HTTP_START) {
            continue; /* unused value; http_start never reaches a client */
        }
        const char *code;
        uint32_t retry;
        unsigned status = http_error_status((tkms_err)e, &code, &retry);
        if (e == TKMS_ERR_NODE_HTTP_INTERNAL) {
            assert_int_equal(status, 500);
        } else if (status < 400 || status >= 500) {
            assert_true(status == 503); /* only "not now" answers are 5xx */
            assert_true(retry > 0);     /* and they say when to retry */
        }
    }
    const char *code;
    uint32_t retry;
    assert_int_equal(http_error_status(TKMS_ERR_ATTEST_JWT_EXPIRED, &code, &retry), 401);
    assert_string_equal(code, "attestation_expired");
    assert_int_equal(http_error_status(TKMS_ERR_ATTEST_REPLAYED, &code, &retry), 401);
    assert_string_equal(code, "attestation_replayed");
    assert_int_equal(http_error_status(TKMS_ERR_ATTEST_SNP_DEBUG_ENABLED, &code, &retry), 401);
    assert_string_equal(code, "attestation_invalid");
    assert_int_equal(http_error_status(TKMS_ERR_NODE_DEV_NOT_OWNER, &code, &retry), 401);
    assert_string_equal(code, "attestation_invalid");
    assert_int_equal(http_error_status(TKMS_ERR_NODE_NOT_HOLDER, &code, &retry), 409);
    assert_string_equal(code, "not_holder");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_render),        cmocka_unit_test(test_metrics_bounded),
        cmocka_unit_test(test_snapshot_refcount),     cmocka_unit_test(test_records_pool),
        cmocka_unit_test(test_limits_buckets),        cmocka_unit_test(test_dev_attest),
        cmocka_unit_test(test_dev_attest_rejections), cmocka_unit_test(test_h1_cache),
        cmocka_unit_test(test_chain_reader_cache),    cmocka_unit_test(test_secrets_parse_hostile),
        cmocka_unit_test(test_error_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
