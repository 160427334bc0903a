/*
 * test_net_http.c — the client's HTTP fan-out (net.c) over real loopback sockets: all
 * requests run at once (four hanging operators cost one timeout, not four), GET and POST
 * bodies arrive intact, error statuses keep their body, a refused connection and an
 * oversized answer are reported in their slot with the operator's origin only (no path or
 * credentials), the URL join, and a malformed URL is a slot failure, not a crash.
 */
#include <time.h>

#include "client/client.h"
#include "fake_node.h"

typedef struct {
    fake_mode mode;
    int status;
    char last_method[8];
    char last_body[64];
    size_t huge_bytes;
} echo_ctx;

static void echo(void *ctx, const char *method, const char *path, const char *body, size_t len,
                 fake_reply *out) {
    echo_ctx *e = ctx;
    snprintf(e->last_method, sizeof e->last_method, "%s", method);
    snprintf(e->last_body, sizeof e->last_body, "%.*s", (int)len, body);
    out->mode = e->mode;
    out->status = e->status;
    out->huge_bytes = e->huge_bytes;
    char text[256];
    snprintf(text, sizeof text, "{\"path\":\"%s\",\"len\":%zu}", path, len);
    out->body = strdup(text);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_concurrent_and_bounded(void **state) {
    (void)state;
    enum { N = 4 };
    fake_node nodes[N];
    echo_ctx ctx[N];
    char urls[N][128];
    tkms_client_http_request reqs[N];
    tkms_client_http_response res[N];
    for (int i = 0; i < N; i++) {
        ctx[i] = (echo_ctx){.mode = FAKE_HANG, .status = 200};
        fake_node_start(&nodes[i], echo, &ctx[i]);
        snprintf(urls[i], sizeof urls[i], "http://user:pw@127.0.0.1:%d/secret/path?token=x",
                 nodes[i].port);
        reqs[i] = (tkms_client_http_request){urls[i], NULL, 0};
    }
    tkms_client_http_options o;
    tkms_client_http_options_default(&o);
    o.timeout_ms = 600;
    double start = now_s();
    assert_int_equal(tkms_client_http_run(res, reqs, N, &o), TKMS_OK);
    double took = now_s() - start;
    assert_true(took >= 0.5 && took < 2.2); /* concurrent: one timeout; in turn: 2.4 s */
    for (int i = 0; i < N; i++) {
        fake_node_stop(&nodes[i]);
        assert_false(res[i].answered);
        assert_null(res[i].body);
        assert_non_null(strstr(res[i].error, "http://127.0.0.1:"));
        assert_null(strstr(res[i].error, "token"));
        assert_null(strstr(res[i].error, "pw"));
    }
    tkms_client_http_clear(res, N);
}

static void test_answers_and_failures(void **state) {
    (void)state;
    fake_node a, b, c, e;
    echo_ctx ca = {FAKE_ANSWER, 200, "", "", 0}, cb = {FAKE_ANSWER, 503, "", "", 0},
             cc = {FAKE_HUGE, 200, "", "", 100000}, ce = {FAKE_HUGE, 200, "", "", 50000};
    fake_node_start(&a, echo, &ca);
    fake_node_start(&b, echo, &cb);
    fake_node_start(&c, echo, &cc);
    fake_node_start(&e, echo, &ce);
    char ua[128], ub[128], uc[128], ud[128], ue[128];
    assert_int_equal(tkms_client_url_join(ua, sizeof ua, a.url, "/v1/secrets"), TKMS_OK);
    snprintf(ub, sizeof ub, "%s/readyz", b.url);
    snprintf(uc, sizeof uc, "%s/v1/pubkey", c.url);
    snprintf(ud, sizeof ud, "http://127.0.0.1:%d/", fake_dead_port());
    snprintf(ue, sizeof ue, "%s/big", e.url);
    tkms_client_http_request reqs[] = {{ua, "{\"x\":1}", 7}, {ub, NULL, 0},         {uc, NULL, 0},
                                       {ud, NULL, 0},        {"ftp://x/", NULL, 0}, {ue, NULL, 0}};
    tkms_client_http_response res[6];
    tkms_client_http_options o;
    tkms_client_http_options_default(&o);
    o.response_bytes_max = 50000;
    assert_int_equal(tkms_client_http_run(res, reqs, 6, &o), TKMS_OK);
    fake_node_stop(&a);
    fake_node_stop(&b);
    fake_node_stop(&c);
    fake_node_stop(&e);
    assert_true(res[0].answered);
    assert_int_equal(res[0].status, 200);
    assert_string_equal(res[0].body, "{\"path\":\"/v1/secrets\",\"len\":7}");
    assert_string_equal(ca.last_method, "POST");
    assert_string_equal(ca.last_body, "{\"x\":1}");
    assert_true(res[1].answered);
    assert_int_equal(res[1].status, 503);
    assert_string_equal(cb.last_method, "GET");
    assert_non_null(strstr(res[1].body, "/readyz"));
    assert_false(res[2].answered); /* 100000 bytes > 50000 */
    assert_non_null(strstr(res[2].error, "larger than the limit"));
    assert_false(res[3].answered);
    assert_false(res[4].answered); /* scheme refused */
    assert_true(res[5].answered);  /* exactly at the cap: the buffer grew to it */
    assert_int_equal(res[5].body_len, 50000);
    assert_int_equal(strspn(res[5].body, " "), 50000);
    tkms_client_http_clear(res, 6);
}

static void test_url_join(void **state) {
    (void)state;
    char out[64];
    assert_int_equal(tkms_client_url_join(out, sizeof out, "http://h:1///", "/v1/x"), TKMS_OK);
    assert_string_equal(out, "http://h:1/v1/x");
    assert_int_equal(tkms_client_url_join(out, sizeof out, "https://h/api", "/v1/x"), TKMS_OK);
    assert_string_equal(out, "https://h/api/v1/x");
    assert_int_equal(tkms_client_url_join(out, sizeof out, "ftp://h", "/v1/x"),
                     TKMS_ERR_CLIENT_BAD_URL);
    assert_int_equal(tkms_client_url_join(out, sizeof out, "http://h /x", "/v1/x"),
                     TKMS_ERR_CLIENT_BAD_URL);
    assert_int_equal(tkms_client_url_join(out, 16, "http://long-host-name", "/v1/x"),
                     TKMS_ERR_CLIENT_BAD_URL);
    assert_string_equal(out, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_and_bounded),
        cmocka_unit_test(test_answers_and_failures),
        cmocka_unit_test(test_url_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
