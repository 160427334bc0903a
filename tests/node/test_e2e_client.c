/*
 * test_e2e_client.c — libtkms-client against a live cluster: four real tkmsd with dev-ecdsa
 * enabled on anvil (the harness of e2e.h) and an app created and released on chain with an
 * env encrypted to the chain's MPK, as the devnet's demo app. The client library (not the
 * CLI) fetches the secrets the way an app does: network from chain, dev-ecdsa attestation,
 * tkms_client_secrets_fetch (e2e_client_fetch). n = 4, so t = ceil(2n/3) = 3.
 *
 * a. Round trip: the recovered key passes e(sk, g2) == e(H1(id), MPK) with the MPK the
 *    harness reads itself, every operator's partial verifies, all four agree on the env,
 *    which decrypts to what was released; the public env is the released one.
 * b. Three reshares while a thread fetches continuously (paced under the per-app bucket):
 *    zero failed fetches, every key identical to (a)'s — S·H1(id) is the same in every
 *    version — and valid; the versions used move from G through G+1, G+2 to G+3.
 * c. Nodes down (SIGKILL): n − t = 1 down, still served; n − t + 1 = 2 down, the fetch
 *    fails with TKMS_ERR_CLIENT_TOO_FEW_PARTIALS within its timeout, the dead operators
 *    reported unreachable, the live ones answered 200 with their partials (api.md: 503
 *    no_finalized_version only when the network has none), nobody blamed; restarted, they
 *    serve again with no manual step and the next fetch succeeds.
 * d. A byzantine operator: node 3's app URL on chain is an in-test libmicrohttpd proxy that
 *    forwards to node 3 (GET, or POST as JSON: what the client sends) and rewrites its
 *    /v1/secrets answer on demand: a valid G1 point that is not its partial, 48 bytes that
 *    are no point, a partial that is not base64, another env, another operator's identity.
 *    Each time the client names node 3 (bad_partial, bad_partial, malformed, env_mismatch,
 *    wrong_identity), reports the others ok and recovers the same key and env. With one honest node
 * down as well, the fetch fails and node 3 is still named.
 *
 * Not here: the node's hostile inputs (test_e2e_hostile.c). docs/node.md "End-to-end
 * tests" lists what each e2e program proves.
 */
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>

#include "e2e.h"
#include "prim/prim.h"

#define NODES 4
#define LIAR 3 /* its app URL is the proxy */
#define ENV_PLAIN "DATABASE_URL=postgres://e2e@db/app\nAPI_TOKEN=e2e-secret-token\n"
#define PUBLIC_ENV "{\"REGION\":\"local\",\"MODE\":\"e2e\"}"
#define PUBLIC_ENV_CANONICAL "{\"MODE\":\"e2e\",\"REGION\":\"local\"}" /* compact, sorted */
#define FETCH_PERIOD_MS 250 /* (b): ≤ 4 fetches/s, well under the per-app 20 rps */
#define UPLOAD_MAX (4u << 20)

/* ---- the byzantine operator's proxy ---------------------------------------------------------- */

typedef enum {
    LIE_NONE,
    LIE_WRONG_POINT, /* a valid G1 point that is not its partial */
    LIE_NOT_A_POINT, /* 48 bytes that decode to no point */
    LIE_NOT_BASE64,  /* encrypted_partial is not base64 */
    LIE_ENV,         /* its partials, another env */
    LIE_IDENTITY,    /* its answer, claiming to be another operator */
} lie;

typedef struct {
    struct MHD_Daemon *daemon;
    int port, target;                                /* its own port; the node's */
    char impersonated[TKMS_CHAIN_ADDRESS_HEX_BYTES]; /* LIE_IDENTITY claims this operator */
    atomic_int lie;
    atomic_uint rewritten; /* /v1/secrets answers altered */
} proxy;

typedef struct {
    char *data;
    size_t len;
} buffer;

static size_t on_body(char *data, size_t size, size_t n, void *ctx) {
    buffer *b = ctx;
    char *p = realloc(b->data, b->len + size * n + 1);
    if (p == NULL) {
        return 0;
    }
    memcpy(p + b->len, data, size * n);
    b->data = p;
    b->len += size * n;
    p[b->len] = '\0';
    return size * n;
}

/* The request as received, to the node, through the client library's HTTP fan-out (no
   assertion: this runs on the proxy's threads); its status, 502 when the node did not
   answer. */
static long forward(const proxy *p, const char *method, const char *path, const buffer *in,
                    buffer *out) {
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", p->target, path);
    bool post = strcmp(method, "POST") == 0;
    tkms_client_http_request req = {url, post ? (in->data != NULL ? in->data : "") : NULL, in->len};
    tkms_client_http_response res;
    tkms_client_http_options o;
    tkms_client_http_options_default(&o);
    if (tkms_client_http_run(&res, &req, 1, &o) != TKMS_OK) {
        return 502;
    }
    long status = res.answered ? res.status : 502;
    if (res.body != NULL) {
        on_body(res.body, 1, res.body_len, out);
    }
    tkms_client_http_clear(&res, 1);
    return status;
}

/* What the liar sends instead of partial i (base64, heap): RSA-OAEP to the app's key of
   {"CompressedBytes":…} over a valid point that is not its partial or 48 bytes that are no
   point (the compression flag with x >= p), or a string that is not base64. */
static char *lie_partial(lie mode, const char *pem, size_t i) {
    if (mode == LIE_NOT_BASE64) {
        return strdup("%%% not base64 %%%");
    }
    uint8_t enc[TKMS_BLS_G1_BYTES], wrapped[1024];
    if (mode == LIE_WRONG_POINT) {
        tkms_bls_g1 g, wrong;
        tkms_bls_fr k;
        tkms_bls_fr_from_u64(&k, 2 + i);
        tkms_bls_g1_generator(&g);
        tkms_bls_g1_mul(&wrong, &g, &k);
        tkms_bls_g1_encode(enc, &wrong);
    } else {
        memset(enc, 0xff, sizeof enc);
        enc[0] = 0x9f;
    }
    char b64[128], json[160], *out = malloc(2 * sizeof wrapped);
    size_t len = 0;
    int n = 0;
    bool ok = out != NULL && tkms_prim_base64_encode(b64, sizeof b64, enc, sizeof enc) == TKMS_OK;
    if (ok) {
        n = snprintf(json, sizeof json, "{\"CompressedBytes\":\"%s\"}", b64);
    }
    ok = ok && tkms_prim_rsa_oaep_encrypt(wrapped, &len, sizeof wrapped, pem, strlen(pem),
                                          (const uint8_t *)json, (size_t)n) == TKMS_OK;
    ok = ok && tkms_prim_base64_encode(out, 2 * sizeof wrapped, wrapped, len) == TKMS_OK;
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

/* The node's 200 answer as the liar rewrites it (heap), or NULL to pass it through. */
static char *rewrite(const proxy *p, lie mode, const buffer *answer, const buffer *request) {
    json_t *a = json_loadb(answer->data, answer->len, 0, NULL);
    json_t *q = json_loadb(request->data != NULL ? request->data : "", request->len, 0, NULL);
    const char *pem = json_string_value(json_object_get(q, "rsa_pubkey"));
    json_t *partials = json_object_get(a, "partials");
    const char *env = json_string_value(json_object_get(a, "encrypted_env"));
    bool ok = pem != NULL && json_is_array(partials) && env != NULL && env[0] != '\0';
    if (ok && mode == LIE_ENV) { /* another env: its last hex digit changed */
        char *other = strdup(env);
        size_t n = strlen(other);
        other[n - 1] = other[n - 1] == '0' ? '1' : '0';
        json_object_set_new(a, "encrypted_env", json_string(other));
        free(other);
    }
    if (ok && mode == LIE_IDENTITY) {
        json_object_set_new(a, "operator", json_string(p->impersonated));
    }
    bool partials_lie = mode != LIE_ENV && mode != LIE_IDENTITY;
    for (size_t i = 0; ok && partials_lie && i < json_array_size(partials); i++) {
        char *b64 = lie_partial(mode, pem, i);
        ok = b64 != NULL;
        if (ok) {
            json_object_set_new(json_array_get(partials, i), "encrypted_partial", json_string(b64));
        }
        free(b64);
    }
    char *out = ok ? json_dumps(a, JSON_COMPACT) : NULL;
    json_decref(a);
    json_decref(q);
    return out;
}

static enum MHD_Result proxy_serve(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *data,
                                   size_t *data_size, void **state) {
    (void)version;
    proxy *p = cls;
    buffer *in = *state;
    if (in == NULL) {
        *state = calloc(1, sizeof *in);
        return *state != NULL ? MHD_YES : MHD_NO;
    }
    if (*data_size > 0) { /* the body arrives in pieces */
        bool fits = in->len + *data_size <= UPLOAD_MAX;
        size_t taken = *data_size;
        *data_size = 0;
        return fits && on_body((char *)data, 1, taken, in) == taken ? MHD_YES : MHD_NO;
    }
    buffer out = {NULL, 0};
    long status = forward(p, method, url, in, &out);
    int mode = atomic_load(&p->lie);
    if (mode != LIE_NONE && status == 200 && strcmp(url, "/v1/secrets") == 0) {
        char *alt = rewrite(p, (lie)mode, &out, in);
        if (alt != NULL) {
            free(out.data);
            out = (buffer){alt, strlen(alt)};
            atomic_fetch_add(&p->rewritten, 1);
        }
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(
        out.len, out.data != NULL ? out.data : "", MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    free(out.data);
    return ret;
}

static void proxy_done(void *cls, struct MHD_Connection *conn, void **state,
                       enum MHD_RequestTerminationCode code) {
    (void)cls;
    (void)conn;
    (void)code;
    buffer *in = *state;
    if (in != NULL) {
        free(in->data);
        free(in);
    }
    *state = NULL;
}

static void proxy_start(proxy *p, int target) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    p->target = target;
    p->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                                 NULL, NULL, proxy_serve, p, MHD_OPTION_NOTIFY_COMPLETED,
                                 proxy_done, p, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)15, MHD_OPTION_END);
    assert_non_null(p->daemon);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(p->daemon, MHD_DAEMON_INFO_BIND_PORT);
    assert_non_null(info);
    p->port = info->port;
    assert_true(p->port > 0);
}

/* ---- the cluster and the app ----------------------------------------------------------------- */

#define VERSIONS_TRACKED 4

/* What (b)'s fetching thread saw (the main thread reads it once the thread is joined). */
typedef struct {
    atomic_bool stop;
    atomic_uint ok, failed;
    atomic_uint used[VERSIONS_TRACKED]; /* fetches that used version genesis + k */
    atomic_uint_fast64_t newest;        /* the newest version a fetch used */
    pthread_mutex_t lock;
    char problem[400]; /* the first failure */
} fetcher;

static struct {
    e2e_cluster cl;
    proxy px;
    e2e_app app;
    e2e_client client;
    uint64_t genesis;
    tkms_bls_g1 h1;  /* H1(app id) */
    tkms_bls_g2 mpk; /* the chain's, read by the harness (not by the client) */
    tkms_bls_g1 key; /* the app key of (a): every later fetch must recover exactly it */
    bool have_key;
    fetcher fetch; /* (b)'s app thread, joined by fetch_stop (also after a failure) */
    pthread_t fetch_thread;
    bool fetching;
} E;

static int group_setup(void **state) {
    (void)state;
    e2e_options o = {.nodes = NODES, .config_extra = "\"dev_ecdsa_enabled\":true"};
    e2e_setup(&E.cl, &o);
    proxy_start(&E.px, E.cl.n[LIAR].port);
    tkms_chain_hex_encode(E.px.impersonated, E.cl.n[0].address.bytes, 20);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", E.px.port);
    e2e_node_set_app_url(&E.cl, &E.cl.n[LIAR], url); /* before its first start */
    e2e_app_create(&E.cl, &E.app, 1, 0x5a);
    e2e_start_all(&E.cl);
    E.genesis = e2e_genesis(&E.cl);
    e2e_expect_serving(&E.cl, E.genesis);
    e2e_app_release(&E.cl, &E.app, 0x77, ENV_PLAIN, PUBLIC_ENV);
    e2e_client_init(&E.client, &E.cl, &E.app);
    char hex[193];
    uint8_t raw[96];
    e2e_mpk_hex(&E.cl, hex);
    assert_int_equal(tu_unhex(raw, 96, hex), 96);
    assert_int_equal(tkms_bls_g2_decode(&E.mpk, raw), TKMS_OK);
    assert_int_equal(tkms_tss_h1(&E.h1, (const uint8_t *)E.app.id, strlen(E.app.id)), TKMS_OK);
    e2e_note(&E.cl, "app released, client ready");
    return 0;
}

static void fetch_stop(void) {
    if (E.fetching) {
        atomic_store(&E.fetch.stop, true);
        pthread_join(E.fetch_thread, NULL);
        pthread_mutex_destroy(&E.fetch.lock);
        E.fetching = false;
    }
}

static int group_teardown(void **state) {
    (void)state;
    fetch_stop();
    e2e_teardown(&E.cl);
    if (E.px.daemon != NULL) {
        MHD_stop_daemon(E.px.daemon);
    }
    e2e_client_wipe(&E.client);
    return 0;
}

/* The harness's node with this operator address (-1: none). */
static int node_of(const uint8_t address[20]) {
    for (size_t i = 0; i < E.cl.count; i++) {
        if (memcmp(E.cl.n[i].address.bytes, address, 20) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static void reports_print(const tkms_client_secrets *s) {
    for (uint32_t i = 0; i < s->operator_count; i++) {
        const tkms_client_operator_report *r = &s->operators[i];
        fprintf(stderr, "  node %d: %s (HTTP %ld) %s\n", node_of(r->address),
                tkms_client_operator_status_name(r->status), r->http_status, r->detail);
    }
}

/* NULL when s is the app's: (a)'s key, valid against the harness's MPK, the released env
   and public env; else what is wrong. No assertion: the fetch thread calls it too. */
static const char *result_problem(const tkms_client_secrets *s) {
    if (!tkms_tss_app_key_verify_vartime(&s->sk_id, &E.h1, &E.mpk)) {
        return "the key fails e(sk, g2) == e(H1(id), MPK) with the chain's MPK";
    }
    if (E.have_key && !tkms_bls_g1_equal(&s->sk_id, &E.key)) {
        return "the key differs from the one recovered first";
    }
    if (s->env_len != strlen(ENV_PLAIN) || memcmp(s->env, ENV_PLAIN, s->env_len) != 0) {
        return "the env is not the released one";
    }
    if (s->public_env == NULL || strcmp(s->public_env, PUBLIC_ENV_CANONICAL) != 0) {
        return "the public env is not the released one";
    }
    return NULL;
}

/* A fetch that must succeed with the app's secrets (s: caller's, cleared by the caller). */
static void fetch_ok(tkms_client_secrets *s, const char *what) {
    char why[256];
    tkms_err err = e2e_client_fetch(&E.client, s, NULL, why, sizeof why);
    const char *problem = err != TKMS_OK ? why : result_problem(s);
    if (problem != NULL) {
        reports_print(s);
        e2e_dump_logs(&E.cl);
        fail_msg("%s: %s", what, problem);
    }
}

static void expect_status(const tkms_client_secrets *s, int node, tkms_client_operator_status want,
                          long http) {
    for (uint32_t i = 0; i < s->operator_count; i++) {
        const tkms_client_operator_report *r = &s->operators[i];
        if (node_of(r->address) == node && (r->status != want || r->http_status != http)) {
            reports_print(s);
            fail_msg("node %d: %s (HTTP %ld), expected %s (HTTP %ld)", node,
                     tkms_client_operator_status_name(r->status), r->http_status,
                     tkms_client_operator_status_name(want), http);
        }
    }
}

/* ---- a. round trip --------------------------------------------------------------------------- */

static void test_round_trip(void **state) {
    (void)state;
    tkms_client_secrets *s = calloc(1, sizeof *s);
    assert_non_null(s);
    fetch_ok(s, "round trip");
    E.key = s->sk_id;
    E.have_key = true;
    assert_int_equal(s->version, E.genesis);
    assert_int_equal(s->t, 3);
    assert_int_equal(s->operator_count, NODES);
    assert_int_equal(s->env_votes, NODES); /* every operator returned the same env */
    for (int i = 0; i < NODES; i++) {
        expect_status(s, i, TKMS_CLIENT_OPERATOR_OK, 200); /* every partial verified */
    }
    tkms_client_secrets_clear(s);
    free(s);
}

/* ---- b. reshares while fetching -------------------------------------------------------------- */

static void fetcher_record(fetcher *f, const char *problem, const tkms_client_secrets *s) {
    if (problem == NULL) {
        atomic_fetch_add(&f->ok, 1);
        uint64_t k = s->version - E.genesis;
        if (s->version >= E.genesis && k < VERSIONS_TRACKED) {
            atomic_fetch_add(&f->used[k], 1);
        }
        if (s->version > atomic_load(&f->newest)) {
            atomic_store(&f->newest, s->version);
        }
        return;
    }
    atomic_fetch_add(&f->failed, 1);
    pthread_mutex_lock(&f->lock);
    size_t len = strlen(f->problem);
    for (uint32_t i = 0; s != NULL && len == 0 && i < s->operator_count; i++) {
        const tkms_client_operator_report *r = &s->operators[i];
        len += (size_t)snprintf(f->problem + len, sizeof f->problem - len, "[node %d %s %s] ",
                                node_of(r->address), tkms_client_operator_status_name(r->status),
                                r->detail);
        len = len < sizeof f->problem ? len : sizeof f->problem - 1;
    }
    if (strstr(f->problem, problem) == NULL) {
        snprintf(f->problem + len, sizeof f->problem - len, "%s", problem);
    }
    pthread_mutex_unlock(&f->lock);
}

/* The app's loop: fetch, check, again, paced (the per-app bucket is 20 rps per node). */
static void *fetch_loop(void *arg) {
    fetcher *f = arg;
    while (!atomic_load(&f->stop)) {
        uint64_t start = dt_now_ms();
        tkms_client_secrets *s = calloc(1, sizeof *s);
        if (s == NULL) {
            fetcher_record(f, "out of memory", NULL);
            break;
        }
        char why[256];
        tkms_err err = e2e_client_fetch(&E.client, s, NULL, why, sizeof why);
        fetcher_record(f, err != TKMS_OK ? why : result_problem(s), s);
        tkms_client_secrets_clear(s);
        free(s);
        uint64_t spent = dt_now_ms() - start;
        if (spent < FETCH_PERIOD_MS) {
            dt_sleep_ms((long)(FETCH_PERIOD_MS - spent)); /* pacing, not a wait for a state */
        }
    }
    return NULL;
}

typedef struct {
    fetcher *f;
    uint64_t version;
} used_arg;

static bool version_used(e2e_cluster *cl, void *arg) {
    (void)cl;
    const used_arg *u = arg;
    return atomic_load(&u->f->newest) >= u->version || atomic_load(&u->f->failed) > 0;
}

static void test_reshares_while_fetching(void **state) {
    (void)state;
    assert_true(E.have_key);
    fetcher *f = &E.fetch;
    memset(f, 0, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    atomic_store(&f->newest, E.genesis);
    assert_int_equal(pthread_create(&E.fetch_thread, NULL, fetch_loop, f), 0);
    E.fetching = true;
    uint64_t target = E.genesis + 3;
    e2e_drive_until(&E.cl, e2e_until_finalized, &target, 200, "three reshares while fetching");
    e2e_expect_serving(&E.cl, target);
    used_arg u = {f, target};
    e2e_drive_until(&E.cl, version_used, &u, 60, "a fetch recovered with the newest version");
    fetch_stop();
    unsigned ok = atomic_load(&f->ok), failed = atomic_load(&f->failed);
    fprintf(stderr, "[b] %u fetches ok, %u failed; by version G..G+3: %u %u %u %u\n", ok, failed,
            atomic_load(&f->used[0]), atomic_load(&f->used[1]), atomic_load(&f->used[2]),
            atomic_load(&f->used[3]));
    if (failed != 0) {
        e2e_dump_logs(&E.cl);
        fail_msg("%u of %u fetches failed during the reshares; first: %s", failed, ok + failed,
                 f->problem);
    }
    for (size_t k = 1; k < VERSIONS_TRACKED; k++) { /* each used while it was the newest */
        assert_true(atomic_load(&f->used[k]) > 0);
    }
}

/* ---- c. nodes down --------------------------------------------------------------------------- */

static void test_nodes_down(void **state) {
    (void)state;
    tkms_client_secrets *s = calloc(1, sizeof *s);
    assert_non_null(s);
    e2e_node_kill(&E.cl, &E.cl.n[0]); /* n − t = 1 down: t remain */
    fetch_ok(s, "n - t nodes down");
    expect_status(s, 0, TKMS_CLIENT_OPERATOR_UNREACHABLE, 0);
    tkms_client_secrets_clear(s);
    e2e_node_kill(&E.cl, &E.cl.n[1]); /* n − t + 1 = 2 down: t − 1 remain */
    char why[256];
    uint64_t start = dt_now_ms();
    tkms_err err = e2e_client_fetch(&E.client, s, NULL, why, sizeof why);
    uint64_t took = dt_now_ms() - start;
    if (err != TKMS_ERR_CLIENT_TOO_FEW_PARTIALS) {
        reports_print(s);
        fail_msg("2 of 4 down: %s, expected client_too_few_partials (%s)", tkms_err_name(err), why);
    }
    assert_true(took < E.client.timeout_ms); /* refused connections fail fast */
    expect_status(s, 0, TKMS_CLIENT_OPERATOR_UNREACHABLE, 0);
    expect_status(s, 1, TKMS_CLIENT_OPERATOR_UNREACHABLE, 0);
    expect_status(s, 2, TKMS_CLIENT_OPERATOR_NOT_USED, 200); /* answered as api.md says */
    expect_status(s, 3, TKMS_CLIENT_OPERATOR_NOT_USED, 200);
    tkms_client_secrets_clear(s);
    uint64_t v = e2e_finalized_version(&E.cl);
    assert_true(e2e_node_serves(&E.cl.n[2], v)); /* the survivors still hold it: ready */
    uint64_t later = e2e_head(&E.cl) + 5;
    e2e_drive_until(&E.cl, e2e_until_block, &later, 30, "five blocks with two nodes down");
    e2e_start_all(&E.cl); /* the same config and data: no manual step */
    e2e_drive_until(&E.cl, e2e_until_all_serve, &v, 60, "the restarted nodes serve again");
    fetch_ok(s, "after the restart");
    for (int i = 0; i < NODES; i++) {
        expect_status(s, i, TKMS_CLIENT_OPERATOR_OK, 200);
    }
    tkms_client_secrets_clear(s);
    free(s);
}

/* ---- d. the byzantine operator --------------------------------------------------------------- */

static void expect_liar_named(lie mode, tkms_client_operator_status want, const char *detail) {
    tkms_client_secrets *s = calloc(1, sizeof *s);
    assert_non_null(s);
    unsigned before = atomic_load(&E.px.rewritten);
    atomic_store(&E.px.lie, (int)mode);
    fetch_ok(s, "a fetch with one lying operator");
    atomic_store(&E.px.lie, LIE_NONE);
    assert_true(atomic_load(&E.px.rewritten) > before); /* the lie reached the client */
    expect_status(s, LIAR, want, 200);
    for (uint32_t i = 0; i < s->operator_count; i++) {
        const tkms_client_operator_report *r = &s->operators[i];
        bool liar = node_of(r->address) == LIAR;
        assert_true(tkms_client_operator_status_is_blame(r->status) == liar);
        if (liar && strstr(r->detail, detail) == NULL) {
            fail_msg("node %d blamed with \"%s\", expected \"%s\"", LIAR, r->detail, detail);
        }
    }
    for (int i = 0; i < NODES; i++) {
        if (i != LIAR) {
            expect_status(s, i, TKMS_CLIENT_OPERATOR_OK, 200);
        }
    }
    tkms_client_secrets_clear(s);
    free(s);
}

static void test_byzantine_operator(void **state) {
    (void)state;
    assert_true(E.have_key);
    expect_liar_named(LIE_WRONG_POINT, TKMS_CLIENT_OPERATOR_BAD_PARTIAL, "fails verification");
    expect_liar_named(LIE_NOT_A_POINT, TKMS_CLIENT_OPERATOR_BAD_PARTIAL, "does not unwrap");
    expect_liar_named(LIE_NOT_BASE64, TKMS_CLIENT_OPERATOR_MALFORMED, "malformed");
    expect_liar_named(LIE_ENV, TKMS_CLIENT_OPERATOR_ENV_MISMATCH, "env differs");
    expect_liar_named(LIE_IDENTITY, TKMS_CLIENT_OPERATOR_WRONG_IDENTITY, "answered as operator");
    /* the liar and an honest node down: t − 1 good partials; the failure still names it */
    e2e_node_kill(&E.cl, &E.cl.n[0]);
    atomic_store(&E.px.lie, LIE_WRONG_POINT);
    tkms_client_secrets *s = calloc(1, sizeof *s);
    assert_non_null(s);
    char why[256];
    tkms_err err = e2e_client_fetch(&E.client, s, NULL, why, sizeof why);
    atomic_store(&E.px.lie, LIE_NONE);
    if (err != TKMS_ERR_CLIENT_TOO_FEW_PARTIALS) {
        reports_print(s);
        fail_msg("liar + 1 down: %s (%s)", tkms_err_name(err), why);
    }
    expect_status(s, LIAR, TKMS_CLIENT_OPERATOR_BAD_PARTIAL, 200);
    expect_status(s, 0, TKMS_CLIENT_OPERATOR_UNREACHABLE, 0);
    tkms_client_secrets_clear(s);
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_reshares_while_fetching),
        cmocka_unit_test(test_nodes_down),
        cmocka_unit_test(test_byzantine_operator),
    };
    int rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    return rc;
}
