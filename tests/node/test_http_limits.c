/*
 * test_http_limits.c — admission and abuse over real sockets: per-IP and per-app token
 * buckets (429 + Retry-After), the in-flight cap (503 + Retry-After, held by requests whose
 * bodies are still arriving), slow clients that trickle bytes while other clients are
 * served promptly, the body deadline (408), and HTTP the client library would not send
 * (oversized headers, a garbage request line, bodies on GET, oversized chunked bodies).
 * Waits are bounded polls on an observable condition (the in-flight gauge), never blind.
 */
#include <poll.h>

#include "http_test.h"

#define APP_ID "0x1111111111111111111111111111111111111111"

static node_snapshot *one_version(tn_version_key *key) {
    static const uint64_t v[] = {5};
    return tn_snapshot(v, 1, key, 11);
}

/* The status of the next response on fd (0: closed or nothing within timeout_ms). */
static int read_status(int fd, int timeout_ms) {
    char buf[4096];
    size_t len = 0;
    uint64_t end = tn_now_ms() + (uint64_t)timeout_ms;
    while (len < 12 && tn_now_ms() < end) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, (int)(end - tn_now_ms())) <= 0) {
            break;
        }
        ssize_t n = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    buf[len] = 0;
    int status = 0;
    return sscanf(buf, "HTTP/1.%*d %d", &status) == 1 ? status : 0;
}

static void test_rate_limit_ip(void **state) {
    (void)state;
    node_config c;
    tn_config_default(&c);
    c.ip_rps = 1;
    c.ip_burst = 3;
    tn_version_key key;
    tn_server t;
    tn_start(&t, &c, one_version(&key));
    tn_resp r;
    for (int i = 0; i < 3; i++) {
        tn_get(&r, &t, "/v1/pubkey");
        assert_int_equal(r.status, 200);
        tn_resp_free(&r);
    }
    tn_get(&r, &t, "/v1/pubkey");
    assert_string_equal(r.retry_after, "1");
    tn_expect_error(&r, 429, "rate_limited");
    for (int i = 0; i < 5; i++) { /* operator endpoints are never limited */
        tn_expect_healthy(&t);
    }
    char path[100];
    snprintf(path, sizeof path, "/v1/peer/record/%064d", 0);
    tn_get(&r, &t, path); /* the peer class has its own bucket */
    tn_expect_error(&r, 404, "unknown_record");
    const char *labels[] = {"rate_limited"};
    assert_int_equal(node_metrics_value(t.metrics, NODE_METRIC_HTTP_REJECTED, labels), 1);
    tn_stop(&t);
}

static void test_rate_limit_app(void **state) {
    (void)state;
    tn_rsa_init();
    node_config c;
    tn_config_default(&c);
    c.app_rps = 1;
    c.app_burst = 2;
    tn_version_key key;
    tn_server t;
    tn_start(&t, &c, one_version(&key));
    uint8_t sk[32], owner[20], app[20];
    tn_key(sk, owner, 1);
    assert_int_equal(tu_unhex(app, 20, APP_ID), 20);
    tn_chain_app(&t.fake, app, owner, 1, "", "{}");
    tn_resp r;
    for (int i = 0; i < 3; i++) {
        tn_dev d = {.app_id = APP_ID, .sk = sk, .version = -1};
        char *body = tn_dev_body(&d);
        tn_post(&r, &t, "/v1/secrets", body);
        free(body);
        if (i < 2) {
            assert_int_equal(r.status, 200);
            tn_resp_free(&r);
        } else {
            assert_string_equal(r.retry_after, "1");
            tn_expect_error(&r, 429, "rate_limited");
        }
    }
    tn_dev other = {
        .app_id = "0x2222222222222222222222222222222222222222", .sk = sk, .version = -1};
    char *body = tn_dev_body(&other);
    tn_post(&r, &t, "/v1/secrets", body); /* another app id: its own bucket */
    free(body);
    tn_expect_error(&r, 404, "unknown_app");
    tn_stop(&t);
}

static int64_t in_flight_wait(tn_server *t, int64_t want) {
    int64_t v = -1;
    for (int i = 0; i < 500 && v != want; i++) { /* bounded: 5 s */
        v = node_metrics_value(t->metrics, NODE_METRIC_HTTP_IN_FLIGHT, NULL);
        if (v != want) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }
    return v;
}

static const char partial_post[] = "POST /v1/secrets HTTP/1.1\r\nHost: t\r\n"
                                   "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{";

static void test_in_flight_cap(void **state) {
    (void)state;
    node_config c;
    tn_config_default(&c);
    c.in_flight_max = 2;
    tn_version_key key;
    tn_server t;
    tn_start(&t, &c, one_version(&key));
    int fds[2];
    for (int i = 0; i < 2; i++) { /* two requests whose bodies never finish */
        fds[i] = tn_connect(&t);
        tn_send_all(fds[i], partial_post, strlen(partial_post));
    }
    assert_int_equal(in_flight_wait(&t, 2), 2);
    tn_resp r;
    tn_get(&r, &t, "/v1/pubkey");
    assert_string_equal(r.retry_after, "1");
    tn_expect_error(&r, 503, "overloaded");
    tn_expect_healthy(&t); /* ops endpoints are outside the cap */
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(in_flight_wait(&t, 0), 0);
    tn_get(&r, &t, "/v1/pubkey");
    assert_int_equal(r.status, 200);
    tn_resp_free(&r);
    tn_stop(&t);
}

typedef struct {
    tn_server *t;
    volatile bool stop;
    int sent;
} slow_ctx;

/* Six connections each trickling a request one byte at a time. */
static void *slow_clients(void *arg) {
    slow_ctx *s = arg;
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: slow.example\r\nX-Pad: "
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    int fds[6];
    for (int i = 0; i < 6; i++) {
        fds[i] = tn_connect(s->t);
    }
    for (size_t k = 0; k < sizeof req - 1 && !s->stop; k++) {
        for (int i = 0; i < 6; i++) {
            tn_send_all(fds[i], req + k, 1);
        }
        s->sent++;
        struct timespec ts = {0, 50000000}; /* the trickle itself: 20 bytes/s */
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < 6; i++) {
        close(fds[i]);
    }
    return NULL;
}

static void test_slow_clients(void **state) {
    (void)state;
    tn_version_key key;
    tn_server t;
    tn_start(&t, NULL, one_version(&key)); /* 2 worker threads */
    slow_ctx s = {&t, false, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, slow_clients, &s), 0);
    while (s.sent < 3) { /* the slow connections are open and trickling */
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    uint64_t worst = 0;
    for (int i = 0; i < 30; i++) {
        uint64_t t0 = tn_now_ms();
        tn_resp r;
        tn_get(&r, &t, i % 2 == 0 ? "/v1/pubkey" : "/healthz");
        assert_int_equal(r.status, 200);
        tn_resp_free(&r);
        uint64_t dt = tn_now_ms() - t0;
        worst = dt > worst ? dt : worst;
    }
    assert_true(s.sent < 100); /* still trickling while the others were served */
    s.stop = true;
    pthread_join(th, NULL);
    if (worst > 1000) {
        fail_msg("a request took %llu ms next to slow clients", (unsigned long long)worst);
    }
    tn_stop(&t);
}

/* A body still arriving read_timeout_s after the headers: the connection is closed (MHD
   0.9.75 cannot answer in the middle of a body), although the client is never idle. */
static void test_body_deadline(void **state) {
    (void)state;
    node_config c;
    tn_config_default(&c);
    c.read_timeout_s = 1;
    tn_server t;
    tn_start(&t, &c, NULL);
    int fd = tn_connect(&t);
    tn_send_all(fd, partial_post, strlen(partial_post));
    bool closed = false;
    uint64_t t0 = tn_now_ms();
    for (int i = 0; i < 20 && !closed; i++) { /* a byte every 200 ms: never idle 1 s */
        struct timespec ts = {0, 200000000};
        nanosleep(&ts, NULL);
        closed = send(fd, " ", 1, MSG_NOSIGNAL) <= 0;
        struct pollfd p = {fd, POLLIN, 0};
        char b;
        closed = closed || (poll(&p, 1, 0) > 0 && recv(fd, &b, 1, 0) <= 0);
    }
    uint64_t dt = tn_now_ms() - t0;
    close(fd);
    assert_true(closed);
    assert_true(dt < 3000);
    const char *labels[] = {"request_timeout"};
    assert_int_equal(node_metrics_value(t.metrics, NODE_METRIC_HTTP_REJECTED, labels), 1);
    tn_expect_healthy(&t);
    tn_stop(&t);
}

static void test_raw_hostile(void **state) {
    (void)state;
    tn_server t;
    tn_start(&t, NULL, NULL);
    /* headers beyond the cap: MHD refuses them itself */
    int fd = tn_connect(&t);
    size_t big = 40 * 1024;
    char *req = malloc(big + 128);
    int n = snprintf(req, 128, "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ");
    memset(req + n, 'a', big);
    memcpy(req + n + big, "\r\n\r\n", 4);
    send(fd, req, (size_t)n + big + 4, MSG_NOSIGNAL);
    int status = read_status(fd, 5000);
    assert_true(status == 0 || (status >= 400 && status < 500));
    close(fd);
    free(req);
    /* a garbage request line */
    fd = tn_connect(&t);
    tn_send_all(fd, "\x01\x02 nonsense\r\n\r\n", 15);
    status = read_status(fd, 5000);
    assert_true(status == 0 || status == 400);
    close(fd);
    /* a body on GET */
    fd = tn_connect(&t);
    const char *get_body = "GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello";
    tn_send_all(fd, get_body, strlen(get_body));
    assert_int_equal(read_status(fd, 5000), 413);
    close(fd);
    /* a chunked body larger than the route's cap (64 KiB on /v1/peer) */
    fd = tn_connect(&t);
    const char *head = "POST /v1/peer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n";
    tn_send_all(fd, head, strlen(head));
    char chunk[8192 + 16];
    n = snprintf(chunk, sizeof chunk, "2000\r\n");
    memset(chunk + n, ' ', 8192);
    memcpy(chunk + n + 8192, "\r\n", 2);
    for (int i = 0; i < 12; i++) { /* 96 KiB: discarded past 64 KiB, answered at the end */
        tn_send_all(fd, chunk, (size_t)n + 8194);
    }
    tn_send_all(fd, "0\r\n\r\n", 5);
    status = read_status(fd, 5000);
    close(fd);
    assert_int_equal(status, 413);
    tn_expect_healthy(&t);
    tn_stop(&t);
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_limit_ip), cmocka_unit_test(test_rate_limit_app),
        cmocka_unit_test(test_in_flight_cap), cmocka_unit_test(test_slow_clients),
        cmocka_unit_test(test_body_deadline), cmocka_unit_test(test_raw_hostile),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
