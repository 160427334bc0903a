/*
 * test_e2e_hostile.c — hostile HTTP against a live tkmsd on a real chain (the harness of
 * e2e.h): one node (n = t = 1, dev-ecdsa on, every limit at its api.md default) after its
 * genesis DKG on anvil, and three apps on chain: one released with an env encrypted to the
 * MPK, one never released, one whose release's public env is not an object of strings.
 *
 * Every endpoint of api.md — POST /v1/secrets, GET /v1/pubkey, /v1/status, /healthz,
 * /readyz, /metrics, POST /v1/peer, GET /v1/peer/record/<hash> — gets malformed JSON,
 * huge bodies and headers, bad points, bad and wrong-kind PEM, replayed attestations,
 * expired and future challenges, wrong, unknown and unreleased apps, wrong methods and
 * unknown paths; each answer must be exactly the status and error code of api.md and
 * docs/http.md ({"error":{"code","message"}} with an X-Request-Id; MHD's own 431/400 for
 * oversized headers and garbage request lines). Then: slow clients trickling headers
 * (bounded) while others are served promptly; 136 connections from one address, at most
 * 128 served (the per-IP cap) while another address is; the global in-flight cap held by
 * bodies that never finish (503 overloaded, then served again). The barrage runs
 * three times: the node's VmRSS after the third may exceed the first's by a bound only, and
 * libtkms-client still recovers the app's key and env. Last, the per-app and per-IP token
 * buckets answer 429 rate_limited with Retry-After and lift, and SIGTERM stops the node
 * with status 0 (in the Sanitize build LeakSanitizer makes that status fail on a leak).
 * Requests of the rate-limited classes are spaced (PACE_MS) so that every case meets its
 * own check, not the per-IP bucket, which is tested on its own at the end.
 * The cases mirror test_http_{app,peer,ops,limits}.c (in-process server, fake chain); here
 * the chain reader, snapshot, peer sets and records are the real node's.
 */
#include <poll.h>
#include <stdatomic.h>

#include "e2e.h"
#include "http_test.h"

#define PACE_MS 25 /* 40 requests/s per class: under the per-IP bucket's 50 rps */
#define UNKNOWN_ID "0x9999999999999999999999999999999999999999"
#define SOME_ID "0x1111111111111111111111111111111111111111"
#define ENV_PLAIN "SECRET=hostile-e2e\n"
#define CONNECTIONS_PER_IP 128 /* NODE_HTTP_CONNECTIONS_PER_IP_MAX */
#define IN_FLIGHT_MAX 256      /* in_flight_max's default */
#define IN_FLIGHT_PER_IP 90    /* 3 × 90 > 256, each address under its bucket's burst (100) */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TKMS_E2E_ASAN 1
#endif
#endif
#ifdef TKMS_E2E_ASAN /* the node's quarantine is set to 8 MB in group_setup */
#define RSS_GROWTH_MAX_KB (16 * 1024)
#define SLOW_WORST_MS 3000
#else
#define RSS_GROWTH_MAX_KB (8 * 1024)
#define SLOW_WORST_MS 1000
#endif

static const char rsa_1024_pem[] = /* too small: 2048..8192 bits are accepted */
    "-----BEGIN PUBLIC KEY-----\n"
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDqv+32l1AZg+palR2Vw/C/oUCp\n"
    "4PZLhdGuYdfulPYFVXPv0+vvqcVQ410UdiTqdFVYxJd5YWNpp/hw9gcFoCEoIALm\n"
    "mkxeii5fvNI5pA7ILyd0QhNaJMfeoAHMrkVofliExbGqJDVRQR/ZFpGeOuOO99Wj\n"
    "ekeFShVLgAHm7pNS8QIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
static const char ec_pem[] = /* a P-256 key: not RSA */
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/pMmcKK+MgkuN5FDHYuOVP/WlqB3\n"
    "PxVPVqrMja5PvuFI9sGRne99/CLfMNOS9VE03Q1NFO5pJkLIofd3S87Gpg==\n"
    "-----END PUBLIC KEY-----\n";

/* The slow clients' thread (test_slow_clients). */
typedef struct {
    int port;
    atomic_bool stop;
    atomic_int sent; /* bytes trickled so far on each connection */
} trickle;

static struct {
    e2e_cluster cl;
    e2e_node *node;
    tn_server T; /* only base and port: http_test.h's requests, sent to the live node */
    e2e_app app, bare, bad_env;
    e2e_client client;
    uint64_t version;                   /* the genesis version, the only one held */
    uint8_t owner_sk[32], other_sk[32]; /* anvil keys #1 (owns the apps) and #2 */
    uint8_t seed[32];                   /* the node's Ed25519 seed (its key file) */
    uint8_t stranger_seed[32], stranger[20];
    tkms_proto_domain domain;
    uint64_t next_ms; /* pacing of the rate-limited classes */
    trickle slow;     /* the slow clients' thread, joined by slow_stop (also after a failure) */
    pthread_t slow_thread;
    bool slowing;
} H;

static void node_seed(uint8_t seed[32], const e2e_node *nd) {
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/node.keys", nd->dir);
    json_t *j = json_load_file(path, 0, NULL);
    assert_non_null(j);
    const char *hex = json_string_value(json_object_get(j, "ed25519_seed"));
    assert_non_null(hex);
    assert_int_equal(tu_unhex(seed, 32, hex + (strncmp(hex, "0x", 2) == 0 ? 2 : 0)), 32);
    json_decref(j);
}

/* Under ASan, freed blocks wait in a quarantine of 256 MB by default, which would hide any
   growth of the node's RSS below that: the node gets 8 MB (still use-after-free checked). */
static void asan_quarantine_small(void) {
#ifdef TKMS_E2E_ASAN
    const char *given = getenv("ASAN_OPTIONS");
    char options[1024];
    snprintf(options, sizeof options, "%s%squarantine_size_mb=8", given ? given : "",
             given && given[0] ? ":" : "");
    setenv("ASAN_OPTIONS", options, 1); /* read by the tkmsd processes started later */
#endif
}

static int group_setup(void **state) {
    (void)state;
    asan_quarantine_small();
    e2e_options o = {.nodes = 1, .min_operators = 1, .config_extra = "\"dev_ecdsa_enabled\":true"};
    e2e_setup(&H.cl, &o);
    H.node = &H.cl.n[0];
    e2e_app_create(&H.cl, &H.app, 1, 0x5a);
    e2e_app_create(&H.cl, &H.bare, 1, 0x5b); /* never released */
    e2e_app_create(&H.cl, &H.bad_env, 1, 0x5c);
    e2e_app_release(&H.cl, &H.bad_env, 0x5c, NULL, "{\"n\":1}"); /* not strings: policy */
    e2e_start_all(&H.cl);
    H.version = e2e_genesis(&H.cl);
    e2e_expect_serving(&H.cl, H.version);
    e2e_app_release(&H.cl, &H.app, 0x77, ENV_PLAIN, "{\"MODE\":\"hostile\"}");
    e2e_client_init(&H.client, &H.cl, &H.app);
    H.T.port = (uint16_t)H.node->port;
    snprintf(H.T.base, sizeof H.T.base, "%s", H.node->url);
    uint8_t address[20];
    tn_key(H.owner_sk, address, 1);
    tn_key(H.other_sk, address, 2);
    tn_rsa_init();
    node_seed(H.seed, H.node);
    memset(H.stranger_seed, 0x43, 32);
    memset(H.stranger, 0xc0, 20);
    H.domain.chain_id = CT_CHAIN_ID;
    memcpy(H.domain.epoch_log, H.cl.epoch_log.bytes, 20);
    e2e_note(&H.cl, "node ready, apps on chain");
    return 0;
}

static void slow_stop(void) {
    if (H.slowing) {
        atomic_store(&H.slow.stop, true);
        pthread_join(H.slow_thread, NULL);
        H.slowing = false;
    }
}

static int group_teardown(void **state) {
    (void)state;
    slow_stop();
    e2e_teardown(&H.cl);
    e2e_client_wipe(&H.client);
    return 0;
}

/* ---- requests -------------------------------------------------------------------------------- */

static void send_req(tn_resp *r, const char *method, const char *path, const char *type,
                     const void *body, size_t len, const char *header) {
    if (strncmp(path, "/v1/secrets", 11) == 0 || strncmp(path, "/v1/pubkey", 10) == 0 ||
        strncmp(path, "/v1/peer", 8) == 0) {
        uint64_t now = dt_now_ms();
        if (now < H.next_ms) {
            dt_sleep_ms((long)(H.next_ms - now)); /* pacing, not a wait for a state */
        }
        H.next_ms = (now > H.next_ms ? now : H.next_ms) + PACE_MS;
    }
    char *url = malloc(strlen(H.T.base) + strlen(path) + 1);
    assert_non_null(url);
    sprintf(url, "%s%s", H.T.base, path);
    tn_http_ex(r, method, url, type, body, len, header);
    free(url);
}

/* The documented error answer: status, exact shape, code, request id. */
static void expect(const char *method, const char *path, const char *type, const void *body,
                   size_t len, long status, const char *code) {
    tn_resp r;
    send_req(&r, method, path, type, body, len, NULL);
    if (r.status != status) {
        fail_msg("%s %.80s: %ld, expected %ld %s: %.300s", method, path, r.status, status, code,
                 r.body != NULL ? r.body : "");
    }
    tn_expect_error(&r, status, code);
}

static void post_expect(const char *path, const char *body, long status, const char *code) {
    expect("POST", path, "application/json", body, strlen(body), status, code);
}

/* A 200 whose JSON the caller inspects (json_decref it). */
static json_t *ok_json(const char *method, const char *path, const char *body) {
    tn_resp r;
    send_req(&r, method, path, body != NULL ? "application/json" : NULL, body,
             body != NULL ? strlen(body) : 0, NULL);
    if (r.status != 200 && r.status != 202) {
        fail_msg("%s %s: %ld %.300s", method, path, r.status, r.body != NULL ? r.body : "");
    }
    assert_true(r.request_id[0] != '\0');
    json_t *j = tn_json(&r);
    tn_resp_free(&r);
    return j;
}

/* The whole response to head, sent alone on a fresh connection (NUL-terminated in got). */
static void raw_response(const char *head, char *got, size_t max) {
    int fd = e2e_raw_connect(NULL, H.node->port);
    assert_true(fd >= 0);
    assert_true(e2e_raw_send(fd, head, strlen(head)));
    size_t len = 0;
    got[0] = '\0';
    uint64_t end = dt_now_ms() + 10000;
    for (bool done = false; !done && len < max - 1 && dt_now_ms() < end;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n = poll(&p, 1, 500) > 0 ? recv(fd, got + len, max - 1 - len, 0) : 0;
        done = n <= 0 && p.revents != 0; /* closed */
        len += n > 0 ? (size_t)n : 0;
        got[len] = '\0';
        const char *body = strstr(got, "\r\n\r\n");
        const char *cl = strstr(got, "Content-Length: ");
        done = done || (body != NULL && cl != NULL && cl < body &&
                        strlen(body + 4) >= strtoul(cl + 16, NULL, 10));
    }
    close(fd);
}

/* raw_response of head: the documented error (status, exact shape, code, request id). */
static void raw_expect_error(const char *head, long status, const char *code) {
    char got[8192];
    raw_response(head, got, sizeof got);
    tn_resp r = {0};
    const char *body = strstr(got, "\r\n\r\n");
    if (sscanf(got, "HTTP/1.%*d %ld", &r.status) != 1 || body == NULL) {
        fail_msg("%.60s...: no answer, expected %ld %s (%.200s)", head, status, code, got);
    }
    const char *id = strstr(got, "X-Request-Id: ");
    if (id != NULL && id < body) {
        snprintf(r.request_id, sizeof r.request_id, "%.*s", (int)strcspn(id + 14, "\r"), id + 14);
    }
    r.body = strdup(body + 4);
    r.len = strlen(r.body);
    tn_expect_error(&r, status, code);
}

/* ---- POST /v1/secrets ------------------------------------------------------------------------ */

static void secrets_shape(void) {
    static const struct {
        const char *body;
        long status;
        const char *code;
    } cases[] = {
        {"{not json", 400, "bad_request"},
        {"", 400, "bad_request"},
        {"[]", 400, "bad_request"},
        {"\"a string\"", 400, "bad_request"},
        {"{\"app_id\":{\"x\":1}}", 400, "bad_request"},
        {"{\"app_id\":[1]}", 400, "bad_request"},
        {"{\"app_id\":\"" SOME_ID "\",\"app_id\":\"" SOME_ID "\"}", 400, "bad_request"},
        {"{\"app_id\":\"" SOME_ID "\"} trailing", 400, "bad_request"},
        {"{\"app_id\":\"\xc3\x28\"}", 400, "bad_request"}, /* not UTF-8 */
        {"{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,"
         "\"k\":11,\"l\":12,\"m\":13,\"n\":14,\"o\":15,\"p\":16,\"q\":17}",
         400, "bad_request"}, /* 17 members */
        {"{}", 400, "bad_field"},
        {"{\"app_id\":\"" SOME_ID "\",\"extra\":\"1\"}", 400, "bad_field"},
        {"{\"app_id\":\"0x11111111111111111111111111111111111111AA\"}", 400, "bad_field"},
        {"{\"app_id\":\"" SOME_ID "\",\"version\":-1}", 400, "bad_field"},
        {"{\"app_id\":\"" SOME_ID "\",\"version\":\"1\"}", 400, "bad_field"},
        {"{\"app_id\":\"" SOME_ID "\",\"attestation_method\":\"dev-ecdsa\"}", 400, "bad_field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        post_expect("/v1/secrets", cases[i].body, cases[i].status, cases[i].code);
    }
    size_t depth = 100000; /* deep nesting: refused on the raw bytes, before any DOM */
    char *deep = malloc(depth + 1);
    assert_non_null(deep);
    memset(deep, '[', depth);
    deep[depth] = '\0';
    post_expect("/v1/secrets", deep, 400, "bad_request");
    free(deep);
}

static void dev_expect(tn_dev *d, long status, const char *code) {
    char *body = tn_dev_body(d);
    post_expect("/v1/secrets", body, status, code);
    free(body);
}

/* A dev-ecdsa body with one member set to the raw JSON text value (which need not parse:
   it is put in as text) — fields the client library would never send that way. */
static char *dev_body_with(const char *app_id, const char *key, const char *value) {
    tn_dev d = {.app_id = app_id, .sk = H.owner_sk, .version = -1};
    char *body = tn_dev_body(&d);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    assert_non_null(j);
    json_object_del(j, key);
    char *rest = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    assert_non_null(rest);
    size_t len = strlen(rest);
    body = malloc(len + strlen(key) + strlen(value) + 8);
    assert_non_null(body);
    sprintf(body, "%.*s,\"%s\":%s}", (int)(len - 1), rest, key, value);
    free(rest);
    return body;
}

/* A JSON string of n copies of c (heap). */
static char *json_string_of(size_t n, char c) {
    char *s = malloc(n + 3);
    assert_non_null(s);
    s[0] = '"';
    memset(s + 1, c, n);
    s[n + 1] = '"';
    s[n + 2] = '\0';
    return s;
}

static void secrets_attestation(void) {
    const char *bad_pem = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    struct {
        tn_dev d;
        long status;
        const char *code;
    } cases[] = {
        {{.app_id = H.app.id, .sk = H.owner_sk, .high_s = true}, 401, "attestation_invalid"},
        {{.app_id = H.app.id, .sk = H.owner_sk, .challenge_offset = -301},
         401,
         "attestation_expired"},
        {{.app_id = H.app.id, .sk = H.owner_sk, .challenge_offset = 60},
         401,
         "attestation_expired"},
        {{.app_id = H.app.id, .sk = H.owner_sk, .challenge = "1-2"}, 400, "bad_field"},
        {{.app_id = H.app.id, .sk = H.other_sk}, 401, "attestation_invalid"}, /* not owner */
        {{.app_id = UNKNOWN_ID, .sk = H.owner_sk}, 404, "unknown_app"},
        {{.app_id = H.bare.id, .sk = H.owner_sk}, 403, "image_not_released"},
        {{.app_id = H.bad_env.id, .sk = H.owner_sk}, 403, "policy_mismatch"},
        {{.app_id = H.app.id, .sk = H.owner_sk, .pem = bad_pem}, 400, "bad_field"},
        {{.app_id = H.app.id, .sk = H.owner_sk, .pem = rsa_1024_pem}, 400, "bad_field"},
        {{.app_id = H.app.id, .sk = H.owner_sk, .pem = ec_pem}, 400, "bad_field"},
        {{.app_id = H.app.id, .sk = H.owner_sk, .method = "tpm"}, 400, "bad_field"},
        {{.app_id = H.app.id, .sk = H.owner_sk, .method = "gcp"}, 400, "bad_field"},
        {{.app_id = "0x"
                    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          .sk = H.owner_sk},
         400,
         "bad_field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cases[i].d.version = -1;
        dev_expect(&cases[i].d, cases[i].status, cases[i].code);
    }
    tn_dev unknown_version = {.app_id = H.app.id, .sk = H.owner_sk};
    unknown_version.version = (int64_t)H.version + 50;
    dev_expect(&unknown_version, 404, "no_key_version");
    static const struct {
        const char *key;
        size_t repeat; /* a string of this many 'A' (0: value as given) */
        const char *value, *code;
        long status;
    } fields[] = {
        {"attestation", 0, "\"%%% not base64\"", "bad_field", 400},
        {"attestation", 400000, NULL, "bad_field", 400}, /* > 256 KiB decoded */
        {"extra_data", 1500000, NULL, "bad_field", 400}, /* > 1 MiB decoded */
        {"attestation", 0,
         "\""
         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
         "AAAAAAAAAAAAAAAAAA==\"",
         "attestation_invalid", 401}, /* 64 bytes */
        {"version", 0, "1.5", "bad_field", 400},
        {"version", 0, "null", "bad_field", 400},
        {"version", 0, "0", "no_key_version", 404}, /* never finalized */
        {"version", 0, "9223372036854775807", "no_key_version", 404},
        {"version", 0, "99999999999999999999", "bad_request", 400}, /* not an integer */
        {"challenge", 0, "\"" SOME_ID "\"", "bad_field", 400},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        char *value = fields[i].repeat > 0 ? json_string_of(fields[i].repeat, 'A') : NULL;
        char *body = dev_body_with(H.app.id, fields[i].key, value ? value : fields[i].value);
        post_expect("/v1/secrets", body, fields[i].status, fields[i].code);
        free(body);
        free(value);
    }
}

/* Replays, a signature made for another app, methods the node is not configured for. */
static void secrets_replay_and_methods(void) {
    tn_dev once = {.app_id = H.app.id, .sk = H.owner_sk, .version = -1};
    char *body = tn_dev_body(&once);
    json_t *j = ok_json("POST", "/v1/secrets", body);
    json_decref(j);
    post_expect("/v1/secrets", body, 401, "attestation_replayed");
    post_expect("/v1/secrets", body, 401, "attestation_replayed");
    free(body);
    tn_dev signed_for = {.app_id = H.app.id, .sk = H.owner_sk, .version = -1};
    body = tn_dev_body(&signed_for); /* then presented for another app of the same owner */
    char *at = strstr(body, H.app.id);
    assert_non_null(at);
    memcpy(at, H.bare.id, strlen(H.bare.id));
    post_expect("/v1/secrets", body, 401, "attestation_invalid");
    free(body);
    json_t *pem = json_string(tn_rsa_public);
    char *pem_json = json_dumps(pem, JSON_ENCODE_ANY);
    json_decref(pem);
    const char *methods[][3] = {{"gcp", "AAAA", "bad_field"}, /* no gcp audience configured */
                                {"sev-snp", "e30=", "attestation_invalid"}};
    for (size_t i = 0; i < 2; i++) {
        char *other = malloc(strlen(pem_json) + 256);
        assert_non_null(other);
        sprintf(other,
                "{\"app_id\":\"%s\",\"attestation_method\":\"%s\",\"attestation\":\"%s\","
                "\"rsa_pubkey\":%s}",
                H.app.id, methods[i][0], methods[i][1], pem_json);
        post_expect("/v1/secrets", other, i == 0 ? 400 : 401, methods[i][2]);
        free(other);
    }
    free(pem_json);
}

/* Valid requests: the two forms of v, a named version, extra_data echoed. */
static void secrets_valid(void) {
    tn_dev d = {.app_id = H.app.id,
                .sk = H.owner_sk,
                .version = (int64_t)H.version,
                .v_low = true,
                .extra_b64 = "aG9zdGlsZQ=="};
    char *body = tn_dev_body(&d);
    json_t *j = ok_json("POST", "/v1/secrets", body);
    free(body);
    json_t *partials = json_object_get(j, "partials");
    assert_int_equal(json_array_size(partials), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(partials, 0), "version")),
                     (json_int_t)H.version);
    assert_string_equal(json_string_value(json_object_get(j, "extra_data")), "aG9zdGlsZQ==");
    char self[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_hex_encode(self, H.node->address.bytes, 20);
    assert_string_equal(json_string_value(json_object_get(j, "operator")), self);
    assert_true(json_string_length(json_object_get(j, "encrypted_env")) > 0);
    json_decref(j);
}

/* ---- GET /v1/pubkey -------------------------------------------------------------------------- */

static void pubkey_cases(void) {
    json_t *j = ok_json("GET", "/v1/pubkey", NULL);
    char mpk[193], path[96];
    e2e_mpk_hex(&H.cl, mpk);
    assert_string_equal(json_string_value(json_object_get(j, "mpk")), mpk);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), (json_int_t)H.version);
    json_decref(j);
    snprintf(path, sizeof path, "/v1/pubkey?version=%llu", (unsigned long long)H.version);
    json_decref(ok_json("GET", path, NULL));
    snprintf(path, sizeof path, "/v1/pubkey?version=%llu", (unsigned long long)H.version + 50);
    expect("GET", path, NULL, NULL, 0, 404, "no_key_version");
    expect("GET", "/v1/pubkey?version=12x", NULL, NULL, 0, 400, "bad_request");
    expect("GET", "/v1/pubkey?version=1%00", NULL, NULL, 0, 400, "bad_request");
    expect("GET", "/v1/pubkey?version=99999999999999999999999", NULL, NULL, 0, 400, "bad_request");
    expect("GET", "/v1/pubkey?version=-1", NULL, NULL, 0, 400, "bad_request");
    expect("GET", "/v1/pubkey?version=", NULL, NULL, 0, 400, "bad_request");
    expect("GET", "/v1/pubkey?version=18446744073709551615", NULL, NULL, 0, 404, "no_key_version");
    expect("BREW", "/v1/pubkey", NULL, NULL, 0, 405, "method_not_allowed");
    expect("POST", "/v1/pubkey", "application/json", "{}", 2, 405, "method_not_allowed");
    expect("GET", "/v1/pubkey", "application/json", "{}", 2, 413, "payload_too_large");
}

/* ---- the peer API ---------------------------------------------------------------------------- */

/* The envelope's JSON (static): signed by seed, from `from`, to `to` (NULL: "*"). */
static const char *envelope_json(tkms_proto_envelope *env, uint64_t epoch, const uint8_t *from,
                                 const uint8_t *to, const uint8_t *seed) {
    static char json[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1];
    env->version = TKMS_PROTO_ENVELOPE_VERSION;
    env->epoch = epoch;
    memcpy(env->from, from, 20);
    env->to_all = to == NULL;
    memset(env->to, 0, 20);
    if (to != NULL) {
        memcpy(env->to, to, 20);
    }
    tkms_proto_envelope_sign(env, &H.domain, seed);
    size_t len = 0;
    assert_int_equal(tkms_proto_envelope_json_encode(json, sizeof json, &len, env), TKMS_OK);
    return json;
}

/* A record envelope: a 1-of-1 record of `dealer` (commitment 7·g2) signed by record_seed,
   enveloped by the node itself; bad_point puts an x >= p into the commitment. */
static const char *record_json(tkms_proto_envelope *env, const uint8_t *dealer,
                               const uint8_t *record_seed, bool bad_point) {
    memset(env, 0, sizeof *env);
    env->type = TKMS_PROTO_ENVELOPE_RECORD;
    tkms_proto_record *r = &env->body.record;
    r->header.version = TKMS_PROTO_RECORD_VERSION;
    r->header.epoch = H.version;
    memcpy(r->header.dealer, dealer, 20);
    r->header.source = TKMS_PROTO_DKG_SOURCE;
    r->header.threshold = 1;
    r->players = 1;
    tkms_bls_g2 g, c;
    tkms_bls_fr k;
    tkms_bls_fr_from_u64(&k, 7);
    tkms_bls_g2_generator(&g);
    tkms_bls_g2_mul(&c, &g, &k);
    tkms_bls_g2_encode(r->commitments[0], &c);
    if (bad_point) {
        memset(r->commitments[0], 0xff, 96);
        r->commitments[0][0] = 0x9f;
    }
    tkms_proto_record_sign(r, &H.domain, record_seed);
    return envelope_json(env, H.version, H.node->address.bytes, NULL, H.seed);
}

static void peer_rejections(tkms_proto_envelope *env) {
    const uint8_t *self = H.node->address.bytes;
    post_expect("/v1/peer", "{\"v\":1", 400, "bad_request");
    post_expect("/v1/peer", "{\"v\":2,\"epoch\":1}", 400, "bad_request");
    post_expect("/v1/peer", "[]", 400, "bad_request");
    memset(env, 0, sizeof *env);
    env->type = TKMS_PROTO_ENVELOPE_FETCH;
    post_expect("/v1/peer", envelope_json(env, H.version + 50, self, NULL, H.seed), 403,
                "peer_epoch_not_accepted");
    post_expect("/v1/peer", envelope_json(env, H.version, H.stranger, NULL, H.stranger_seed), 403,
                "peer_unknown_sender");
    post_expect("/v1/peer", envelope_json(env, H.version, self, H.stranger, H.seed), 400,
                "peer_wrong_recipient");
    post_expect("/v1/peer", envelope_json(env, H.version, self, NULL, H.stranger_seed), 401,
                "peer_bad_signature");
    post_expect("/v1/peer", record_json(env, self, H.stranger_seed, false), 401,
                "peer_record_bad_signature");
    post_expect("/v1/peer", record_json(env, H.stranger, H.stranger_seed, false), 403,
                "peer_record_unknown_dealer");
    post_expect("/v1/peer", record_json(env, self, H.seed, true), 400, "bad_point");
    expect("POST", "/v1/peer", "text/plain", "{}", 2, 415, "unsupported_media_type");
    expect("GET", "/v1/peer", NULL, NULL, 0, 405, "method_not_allowed");
    raw_expect_error("POST /v1/peer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     "Content-Length: 65537\r\n\r\n",
                     413, "payload_too_large"); /* 64 KiB + 1 */
}

static void peer_cases(void) {
    tkms_proto_envelope *env = calloc(1, sizeof *env);
    assert_non_null(env);
    peer_rejections(env);
    /* a well-formed record of the node itself: accepted, a replay is idempotent */
    const char *json = record_json(env, H.node->address.bytes, H.seed, false);
    json_t *first = ok_json("POST", "/v1/peer", json);
    json_t *again = ok_json("POST", "/v1/peer", json);
    const char *hash = json_string_value(json_object_get(first, "hash"));
    assert_non_null(hash);
    assert_string_equal(json_string_value(json_object_get(again, "hash")), hash);
    char path[128];
    snprintf(path, sizeof path, "/v1/peer/record/%s", hash);
    json_t *got = ok_json("GET", path, NULL);
    assert_string_equal(json_string_value(json_object_get(got, "hash")), hash);
    json_decref(got);
    snprintf(path, sizeof path, "/v1/peer/record/%s", hash + 2); /* without 0x */
    json_decref(ok_json("GET", path, NULL));
    memset(env, 0, sizeof *env); /* a fetch envelope: the record, then an unknown hash */
    env->type = TKMS_PROTO_ENVELOPE_FETCH;
    assert_int_equal(tu_unhex(env->body.record_hash, 32, hash + 2), 32);
    json_decref(ok_json("POST", "/v1/peer",
                        envelope_json(env, H.version, H.node->address.bytes, NULL, H.seed)));
    env->body.record_hash[0] ^= 1;
    post_expect("/v1/peer", envelope_json(env, H.version, H.node->address.bytes, NULL, H.seed), 404,
                "unknown_record");
    json_decref(first);
    json_decref(again);
    free(env);
    snprintf(path, sizeof path, "/v1/peer/record/%064d", 0);
    expect("GET", path, NULL, NULL, 0, 404, "unknown_record");
    expect("GET", "/v1/peer/record/0xzz", NULL, NULL, 0, 400, "bad_request");
    snprintf(path, sizeof path, "/v1/peer/record/%065d", 0);
    expect("GET", path, NULL, NULL, 0, 400, "bad_request");
    expect("POST", "/v1/peer/record/00", "application/json", "{}", 2, 405, "method_not_allowed");
}

/* ---- operator endpoints, methods, paths ------------------------------------------------------ */

static void ops_cases(void) {
    static const char *const routes[] = {"/healthz", "/readyz", "/metrics", "/v1/status"};
    static const char *const wrong[] = {"POST", "PUT", "DELETE", "PATCH"};
    for (size_t i = 0; i < 4; i++) {
        tn_resp r;
        send_req(&r, "GET", routes[i], NULL, NULL, 0, NULL);
        assert_int_equal(r.status, 200);
        assert_true(r.request_id[0] != '\0');
        tn_resp_free(&r);
        for (size_t k = 0; k < 4; k++) {
            expect(wrong[k], routes[i], "application/json", "{}", 2, 405, "method_not_allowed");
        }
    }
    json_t *status = ok_json("GET", "/v1/status?x=1&y=%00", NULL);
    char self[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_hex_encode(self, H.node->address.bytes, 20);
    assert_string_equal(json_string_value(json_object_get(status, "operator")), self);
    json_decref(status);
    tn_resp id; /* request ids: a safe one is kept, an unsafe one replaced (logs) */
    send_req(&id, "GET", "/healthz", NULL, NULL, 0, "X-Request-Id: e2e-hostile.1");
    assert_string_equal(id.request_id, "e2e-hostile.1");
    tn_resp_free(&id);
    send_req(&id, "GET", "/healthz", NULL, NULL, 0, "X-Request-Id: <script>\"x\"");
    assert_true(id.request_id[0] != '\0' && strchr(id.request_id, '<') == NULL);
    tn_resp_free(&id);
    json_t *ready = ok_json("GET", "/readyz", NULL);
    assert_int_equal(json_integer_value(json_object_get(ready, "version")), (json_int_t)H.version);
    json_decref(ready);
    tn_resp r;
    send_req(&r, "GET", "/metrics", NULL, NULL, 0, NULL);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "tkms_http_requests_total"));
    tn_resp_free(&r);
    static const char *const unknown[] = {"/",
                                          "/v1",
                                          "/v1/",
                                          "/v1/secrets/",
                                          "/v1/pubkeyx",
                                          "/v2/pubkey",
                                          "/V1/PUBKEY",
                                          "/v1/peer/",
                                          "/v1/peer/record",
                                          "/v1/peer/record/",
                                          "/%2e%2e/etc/passwd",
                                          "/healthz/x"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        expect("GET", unknown[i], NULL, NULL, 0, 404, "not_found");
    }
    char *long_path = malloc(4096);
    assert_non_null(long_path);
    memset(long_path, 'a', 4095);
    long_path[0] = '/';
    long_path[4095] = '\0';
    expect("GET", long_path, NULL, NULL, 0, 404, "not_found");
    free(long_path);
}

/* ---- HTTP the client library would not send -------------------------------------------------- */

/* The status the node answers to raw bytes on a fresh connection (0: closed, no answer). */
static int raw_exchange(const char *head, const void *extra, size_t extra_len, size_t repeat) {
    int fd = e2e_raw_connect(NULL, H.node->port);
    assert_true(fd >= 0);
    bool sent = e2e_raw_send(fd, head, strlen(head));
    for (size_t i = 0; sent && i < repeat; i++) {
        sent = e2e_raw_send(fd, extra, extra_len);
    }
    int status = e2e_raw_status(fd, 10000);
    close(fd);
    return status;
}

/* 50 requests pipelined in one write on one keep-alive connection: 50 answers, in order. */
static void pipelined(void) {
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    char all[50 * sizeof req], got[32768];
    for (size_t i = 0; i < 50; i++) {
        memcpy(all + i * (sizeof req - 1), req, sizeof req - 1);
    }
    int fd = e2e_raw_connect(NULL, H.node->port);
    assert_true(fd >= 0);
    assert_true(e2e_raw_send(fd, all, 50 * (sizeof req - 1)));
    size_t len = 0, answers = 0;
    uint64_t end = dt_now_ms() + 10000;
    while (answers < 50 && len < sizeof got - 1 && dt_now_ms() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n = poll(&p, 1, 1000) > 0 ? recv(fd, got + len, sizeof got - 1 - len, 0) : 0;
        len += n > 0 ? (size_t)n : 0;
        got[len] = '\0';
        answers = 0;
        for (const char *at = got; (at = strstr(at, "HTTP/1.1 200 ")) != NULL; at++) {
            answers++;
        }
    }
    close(fd);
    assert_int_equal(answers, 50);
}

static void http_level_cases(void) {
    pipelined();
    /* two Content-Length headers: ambiguous framing (RFC 9112 §6.3), request smuggling */
    raw_expect_error("POST /v1/peer HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100\r\nContent-Length: 2\r\n\r\n{}",
                     400, "bad_request");
    size_t big = 40 * 1024; /* headers beyond 16 KiB + MHD's 16 KiB: its own 431 */
    char *line = malloc(big + 16);
    assert_non_null(line);
    memset(line, 'a', big);
    memcpy(line + big, "\r\n\r\n", 5);
    assert_int_equal(raw_exchange("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ", line, big + 4, 1),
                     431);
    free(line);
    static const char many[] = "X-Many-Headers: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n";
    assert_int_equal(
        raw_exchange("GET /v1/status HTTP/1.1\r\nHost: t\r\n", many, strlen(many), 800), 431);
    assert_int_equal(raw_exchange("\x01\x02 nonsense\r\n\r\n", NULL, 0, 0), 400);
    assert_int_equal(
        raw_exchange("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", NULL, 0,
                     0),
        413);
    /* a declared body over the cap: refused before a byte of it is read (sending it anyway
       races the node's close: see docs/node.md "End-to-end tests") */
    raw_expect_error("POST /v1/secrets HTTP/1.1\r\nHost: t\r\nContent-Type: application/json"
                     "\r\nContent-Length: 2097153\r\n\r\n",
                     413, "payload_too_large"); /* 2 MiB + 1 */
    /* a chunked body over the cap: discarded as it arrives, 413 at its end */
    static char chunk[32768 + 16];
    int n = snprintf(chunk, sizeof chunk, "8000\r\n");
    memset(chunk + n, ' ', 32768);
    memcpy(chunk + n + 32768, "\r\n", 2);
    int fd = e2e_raw_connect(NULL, H.node->port);
    assert_true(fd >= 0);
    const char *head = "POST /v1/secrets HTTP/1.1\r\nHost: t\r\nContent-Type: application/json"
                       "\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_true(e2e_raw_send(fd, head, strlen(head)));
    for (int i = 0; i < 70; i++) { /* 2.2 MiB */
        assert_true(e2e_raw_send(fd, chunk, (size_t)n + 32770));
    }
    assert_true(e2e_raw_send(fd, "0\r\n\r\n", 5));
    assert_int_equal(e2e_raw_status(fd, 10000), 413);
    close(fd);
    expect("POST", "/v1/secrets", "text/plain", "{}", 2, 415, "unsupported_media_type");
    expect("POST", "/v1/secrets", NULL, "{}", 2, 415, "unsupported_media_type");
    expect("GET", "/v1/secrets", NULL, NULL, 0, 405, "method_not_allowed");
    expect("POST", "/v1/secrets", "application/json; charset=utf-8", "{}", 2, 400, "bad_field");
}

static void barrage(void) {
    secrets_shape();
    secrets_attestation();
    secrets_replay_and_methods();
    secrets_valid();
    pubkey_cases();
    peer_cases();
    ops_cases();
    http_level_cases();
}

/* ---- slow and many clients ------------------------------------------------------------------ */

/* Six connections trickling one request a byte at a time (20 bytes/s), at most ~3 s. */
static void *trickle_run(void *arg) {
    trickle *t = arg;
    static const char req[] = "GET /healthz HTTP/1.1\r\nHost: slow.example\r\nX-Pad: "
                              "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    int fds[6];
    for (int i = 0; i < 6; i++) {
        fds[i] = e2e_raw_connect(NULL, t->port);
    }
    for (size_t k = 0; k < sizeof req - 1 && !atomic_load(&t->stop); k++) {
        for (int i = 0; i < 6; i++) {
            if (fds[i] >= 0 && !e2e_raw_send(fds[i], req + k, 1)) {
                close(fds[i]);
                fds[i] = -1;
            }
        }
        atomic_fetch_add(&t->sent, 1);
        dt_sleep_ms(50); /* the trickle itself */
    }
    for (int i = 0; i < 6; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    return NULL;
}

static bool trickling(e2e_cluster *cl, void *arg) {
    (void)cl;
    return atomic_load(&((trickle *)arg)->sent) >= 3;
}

static void test_slow_clients(void **state) {
    (void)state;
    trickle *t = &H.slow;
    memset(t, 0, sizeof *t);
    t->port = H.node->port;
    assert_int_equal(pthread_create(&H.slow_thread, NULL, trickle_run, t), 0);
    H.slowing = true;
    e2e_wait_until(&H.cl, trickling, t, 10, "six slow connections trickling");
    uint64_t worst = 0;
    for (int i = 0; i < 20; i++) {
        uint64_t start = dt_now_ms();
        json_decref(ok_json("GET", i % 2 == 0 ? "/v1/pubkey" : "/healthz", NULL));
        uint64_t took = dt_now_ms() - start;
        worst = took > worst ? took : worst;
    }
    int sent = atomic_load(&t->sent);
    slow_stop();
    fprintf(stderr, "[slow] worst of 20 requests next to 6 trickling clients: %llu ms\n",
            (unsigned long long)worst);
    assert_true(sent < 100);            /* they were still trickling meanwhile */
    assert_true(worst < SLOW_WORST_MS); /* a trickle holds a connection slot, not a worker */
}

/* A GET on a fresh connection from src (status, 0 when refused or closed). */
static int raw_get_from(const char *src, const char *path) {
    int fd = e2e_raw_connect(src, H.node->port);
    if (fd < 0) {
        return 0;
    }
    char req[256];
    int n =
        snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path);
    int status = e2e_raw_send(fd, req, (size_t)n) ? e2e_raw_status(fd, 5000) : 0;
    close(fd);
    return status;
}

static bool served_again(e2e_cluster *cl, void *arg) {
    (void)cl;
    (void)arg;
    return raw_get_from("127.0.0.1", "/healthz") == 200;
}

/* CONNECTIONS_PER_IP + 8 connections from one address, each with a request: at most the
   cap is served, the others are closed unanswered (which ones depends on the order the
   node's threads accept them); meanwhile another address is served. */
static void test_many_connections(void **state) {
    (void)state;
    static const char get[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    int fds[CONNECTIONS_PER_IP + 8];
    size_t count = sizeof fds / sizeof fds[0], answered = 0, refused = 0;
    for (size_t i = 0; i < count; i++) {
        fds[i] = e2e_raw_connect("127.0.0.1", H.node->port);
        assert_true(fds[i] >= 0);
    }
    for (size_t i = 0; i < count; i++) {
        int status = e2e_raw_send(fds[i], get, sizeof get - 1) ? e2e_raw_status(fds[i], 5000) : 0;
        answered += status == 200;
        refused += status == 0;
    }
    int other = raw_get_from("127.0.0.2", "/v1/pubkey"); /* while all of them are open */
    for (size_t i = 0; i < count; i++) {
        close(fds[i]);
    }
    fprintf(stderr, "[connections] %zu from one address: %zu served, %zu closed unanswered\n",
            count, answered, refused);
    assert_int_equal(answered + refused, count);
    assert_true(answered <= CONNECTIONS_PER_IP && refused >= 8);
    assert_int_equal(other, 200);
    e2e_wait_until(&H.cl, served_again, NULL, 10, "the address served again once it closed");
}

/* /v1/status "http_in_flight" equals *arg. */
static bool in_flight_is(e2e_cluster *cl, void *arg) {
    (void)cl;
    json_t *j = e2e_node_status(H.node);
    bool is = j != NULL && json_integer_value(json_object_get(j, "http_in_flight")) == *(int *)arg;
    json_decref(j);
    return is;
}

/* The global in-flight cap (256): requests whose bodies never finish, from three addresses
   (each stays under its per-IP bucket and connection cap), hold every slot; the next
   request is answered 503 overloaded with Retry-After: 1 at once, operator routes still
   answer, and all is served again once those clients hang up. */
static void test_in_flight_cap(void **state) {
    (void)state;
    static const char half[] = "POST /v1/secrets HTTP/1.1\r\nHost: t\r\nContent-Type: "
                               "application/json\r\nContent-Length: 100\r\n\r\n{";
    static const char *const from[] = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
    int fds[3 * IN_FLIGHT_PER_IP], cap = IN_FLIGHT_MAX;
    for (size_t i = 0; i < 3 * IN_FLIGHT_PER_IP; i++) {
        fds[i] = e2e_raw_connect(from[i / IN_FLIGHT_PER_IP], H.node->port);
        assert_true(fds[i] >= 0 && e2e_raw_send(fds[i], half, sizeof half - 1));
    }
    e2e_wait_until(&H.cl, in_flight_is, &cap, 20, "every in-flight slot held by a slow body");
    char got[4096];
    raw_response("GET /v1/pubkey HTTP/1.1\r\nHost: t\r\n\r\n", got, sizeof got);
    bool retry = strstr(got, "Retry-After: 1\r\n") != NULL;
    raw_expect_error("GET /v1/pubkey HTTP/1.1\r\nHost: t\r\n\r\n", 503, "overloaded");
    int healthz = raw_get_from("127.0.0.5", "/healthz");
    for (size_t i = 0; i < 3 * IN_FLIGHT_PER_IP; i++) {
        close(fds[i]);
    }
    assert_true(retry);
    assert_int_equal(healthz, 200);
    int none = 0;
    e2e_wait_until(&H.cl, in_flight_is, &none, 20, "the slots freed once the clients hung up");
    assert_int_equal(raw_get_from("127.0.0.5", "/v1/pubkey"), 200);
}

/* ---- memory, and service after the barrage ------------------------------------------------- */

/* The app's secrets as the client recovered them: key valid against the MPK, env. */
static void expect_app_secrets(const tkms_client_secrets *s, const tkms_bls_g2 *mpk) {
    tkms_bls_g1 h1;
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)H.app.id, strlen(H.app.id)), TKMS_OK);
    assert_true(tkms_tss_app_key_verify_vartime(&s->sk_id, &h1, mpk));
    assert_int_equal(s->env_len, strlen(ENV_PLAIN));
    assert_memory_equal(s->env, ENV_PLAIN, s->env_len);
    assert_string_equal(s->public_env, "{\"MODE\":\"hostile\"}");
}

static void expect_client_round_trip(void) {
    tkms_client_secrets *s = calloc(1, sizeof *s);
    assert_non_null(s);
    tkms_bls_g2 mpk;
    char why[256];
    tkms_err err = e2e_client_fetch(&H.client, s, &mpk, why, sizeof why);
    if (err != TKMS_OK) {
        e2e_dump_logs(&H.cl);
        fail_msg("a valid request after the barrage: %s", why);
    }
    expect_app_secrets(s, &mpk);
    tkms_client_secrets_clear(s);
    free(s);
}

static void test_memory_and_service(void **state) {
    (void)state;
    long first = e2e_node_rss_kb(H.node); /* after one whole barrage (the tests above) */
    for (int round = 0; round < 2; round++) {
        barrage();
    }
    long last = e2e_node_rss_kb(H.node);
    fprintf(stderr, "[rss] %ld kB after one barrage, %ld kB after three (bound +%d kB)\n", first,
            last, RSS_GROWTH_MAX_KB);
    if (last - first > RSS_GROWTH_MAX_KB) {
        fail_msg("VmRSS grew by %ld kB over two more barrages", last - first);
    }
    expect_client_round_trip();
}

/* ---- rate limits, shutdown ------------------------------------------------------------------- */

/* count requests at once (one libcurl multi): how many got 200 and 429 rate_limited. */
static void burst(const char *path, char **bodies, size_t count, size_t *ok, size_t *limited) {
    char url[128];
    snprintf(url, sizeof url, "%s%s", H.T.base, path);
    tkms_client_http_request *reqs = calloc(count, sizeof *reqs);
    tkms_client_http_response *res = calloc(count, sizeof *res);
    assert_true(reqs != NULL && res != NULL);
    for (size_t i = 0; i < count; i++) {
        reqs[i] = (tkms_client_http_request){url, bodies ? bodies[i] : NULL,
                                             bodies ? strlen(bodies[i]) : 0};
    }
    tkms_client_http_options o;
    tkms_client_http_options_default(&o);
    assert_int_equal(tkms_client_http_run(res, reqs, count, &o), TKMS_OK);
    *ok = *limited = 0;
    for (size_t i = 0; i < count; i++) {
        bool rate = res[i].status == 429 && res[i].body != NULL &&
                    strstr(res[i].body, "\"rate_limited\"") != NULL;
        if (res[i].status != 200 && !rate) {
            fail_msg("%s burst: %ld %s", path, res[i].status,
                     res[i].body ? res[i].body : res[i].error);
        }
        *ok += res[i].status == 200;
        *limited += rate;
    }
    tkms_client_http_clear(res, count);
    free(res);
    free(reqs);
}

typedef struct {
    uint64_t last_ms;
    tkms_client_secrets secrets; /* of the fetch that succeeded */
    tkms_bls_g2 mpk;
} served_arg;

/* Both buckets refilled: a whole client round trip works. Tried every 500 ms only, so
   that the wait itself does not keep the buckets empty. */
static bool client_served(e2e_cluster *cl, void *arg) {
    (void)cl;
    served_arg *a = arg;
    if (dt_now_ms() < a->last_ms + 500) {
        return false;
    }
    a->last_ms = dt_now_ms();
    char why[256];
    if (e2e_client_fetch(&H.client, &a->secrets, &a->mpk, why, sizeof why) == TKMS_OK) {
        return true;
    }
    tkms_client_secrets_clear(&a->secrets);
    return false;
}

static void test_rate_limits(void **state) {
    (void)state;
    char *bodies[60];
    for (size_t i = 0; i < 60; i++) { /* one app, fresh attestations: the per-app bucket */
        tn_dev d = {.app_id = H.app.id, .sk = H.owner_sk, .version = -1};
        bodies[i] = tn_dev_body(&d);
    }
    size_t ok = 0, limited = 0;
    burst("/v1/secrets", bodies, 60, &ok, &limited);
    fprintf(stderr, "[rate] per app: %zu served, %zu limited (burst 40)\n", ok, limited);
    assert_true(ok > 0 && limited > 0);
    for (size_t i = 0; i < 60; i++) {
        free(bodies[i]);
    }
    size_t served = 0, refused = 0; /* the per-IP bucket of the app class: burst 100 */
    for (int i = 0; i < 4; i++) {   /* 50 at once: under the per-IP connection cap (128) even
                                       while the node still holds the previous burst's */
        burst("/v1/pubkey", NULL, 50, &ok, &limited);
        served += ok;
        refused += limited;
    }
    fprintf(stderr, "[rate] per IP: %zu served, %zu limited (burst 100, 50 rps)\n", served,
            refused);
    assert_true(served > 0 && refused > 0);
    tn_resp r;
    bool seen = false; /* the bucket is empty now: one of three at once is refused */
    for (int i = 0; i < 3 && !seen; i++) {
        tn_get(&r, &H.T, "/v1/pubkey");
        seen = r.status == 429;
        if (seen) {
            assert_true(atoi(r.retry_after) >= 1); /* the time to the next token */
            tn_expect_error(&r, 429, "rate_limited");
        } else {
            tn_resp_free(&r);
        }
    }
    assert_true(seen);
    for (size_t i = 0; i < 3; i++) { /* operator routes are never limited */
        assert_int_equal(raw_get_from("127.0.0.1", "/healthz"), 200);
    }
    served_arg *served_ok = calloc(1, sizeof *served_ok);
    assert_non_null(served_ok);
    e2e_wait_until(&H.cl, client_served, served_ok, 10, "the buckets refilled: a client served");
    expect_app_secrets(&served_ok->secrets, &served_ok->mpk);
    tkms_client_secrets_clear(&served_ok->secrets);
    free(served_ok);
}

static void test_sigterm(void **state) {
    (void)state;
    int code = e2e_node_term(&H.cl, H.node);
    if (code != 0) {
        dt_log_tail(H.node->log, 40);
        fail_msg("SIGTERM after the barrage: exit %d (LeakSanitizer reports there)", code);
    }
}

static void test_app_api(void **state) {
    (void)state;
    secrets_shape();
    secrets_attestation();
    secrets_replay_and_methods();
    secrets_valid();
    pubkey_cases();
}

static void test_peer_api(void **state) {
    (void)state;
    peer_cases();
}

static void test_ops_methods_paths(void **state) {
    (void)state;
    ops_cases();
}

static void test_http_level(void **state) {
    (void)state;
    http_level_cases();
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_api),           cmocka_unit_test(test_peer_api),
        cmocka_unit_test(test_ops_methods_paths), cmocka_unit_test(test_http_level),
        cmocka_unit_test(test_slow_clients),      cmocka_unit_test(test_many_connections),
        cmocka_unit_test(test_in_flight_cap),     cmocka_unit_test(test_memory_and_service),
        cmocka_unit_test(test_rate_limits),       cmocka_unit_test(test_sigterm),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
