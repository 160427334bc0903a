/*
 * bench_node.c — cost of POST /v1/secrets (src/node) on its production paths.
 *
 *   bench_node                 one JSON line per operation, in-process, no sockets:
 *     {"layer":"node","op":"…","iterations":N,"ns_per_op":X,"ops_per_s":Y,"wall_ns_per_op":Z}
 *     ops: h1 (hash to G1), h1_cached, partial_sign (s·H1), rsa_wrap (OAEP-2048 of the
 *     partial), dev_verify (challenge + secp256k1 recover), parse (the request body),
 *     secrets_handler (the whole handler, 2 partials, without HTTP; and again with the H1
 *     cache bypassed: secrets_handler_no_h1_cache). ns_per_op is the
 *     thread's CPU time (CLOCK_THREAD_CPUTIME_ID), comparable across a loaded machine.
 *   bench_node --serve [--threads N] [--body FILE]
 *     starts the real HTTP server (MHD, 127.0.0.1, ephemeral port) over a faked chain
 *     source, dev-ecdsa with its nonce replay cache DISABLED (node_config
 *     .dev_ecdsa_replay_disabled — for benchmarks only, so one signed request can be
 *     replayed), no rate limits; writes one valid request body to FILE, prints
 *     "port <p>" and serves until stdin closes. bench/bench_http.sh drives it with wrk.
 *   bench_node --handler N
 *     only the handler, N times with the H1 cache warm: callgrind's count of api_secrets
 *     divided by N is the instructions per request (bench/profile_secrets.sh).
 *   bench_node --bodies N --app-id 0x… --owner-key FILE --out FILE
 *     N valid dev-ecdsa bodies for a real tkmsd (its replay cache on): random nonces, one
 *     body per line, signed with the app owner's key file; bench/bench_rss.py loads a
 *     devnet node with them through bench/wrk_bodies.lua.
 */
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "chain/chain.h"
#include "node/http_internal.h"
#include "node/log.h"
#include "prim/prim.h"
#include "tss/tss.h"

#define APP_ID "0x1111111111111111111111111111111111111111"
#define OWNER_SK "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"

typedef struct {
    double cpu, wall;
} stamp;

static double clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static stamp now_ns(void) {
    return (stamp){clock_ns(CLOCK_THREAD_CPUTIME_ID), clock_ns(CLOCK_MONOTONIC)};
}

static void report(const char *op, int iterations, stamp start) {
    const stamp end = now_ns();
    const double cpu = (end.cpu - start.cpu) / iterations,
                 wall = (end.wall - start.wall) / iterations;
    printf("{\"layer\":\"node\",\"op\":\"%s\",\"iterations\":%d,\"ns_per_op\":%.0f,"
           "\"ops_per_s\":%.0f,\"wall_ns_per_op\":%.0f}\n",
           op, iterations, cpu, 1e9 / cpu, wall);
    fflush(stdout);
}

static void die(const char *what) {
    fprintf(stderr, "bench_node: %s\n", what);
    exit(1);
}

/* ---- fixtures: a fake chain, a snapshot with two versions, a signed request ------------ */

static uint8_t owner[20], app[20];

static tkms_err fake_owner(void *ctx, uint8_t out[20], const uint8_t a[20]) {
    (void)ctx;
    memcpy(out, memcmp(a, app, 20) == 0 ? owner : (const uint8_t[20]){0}, 20);
    return TKMS_OK;
}

static tkms_err fake_release(void *ctx, node_release *out, const uint8_t a[20]) {
    (void)ctx;
    if (memcmp(a, app, 20) != 0) {
        return TKMS_ERR_NODE_UNKNOWN_APP;
    }
    memset(out, 0, offsetof(node_release, encrypted_env));
    out->release_id = 1;
    memset(out->image_digest, 0x11, 32);
    memset(out->encrypted_env, 0xab, 256); /* a typical small env ciphertext */
    out->encrypted_env_len = 256;
    static const char pub[] = "{\"LOG_LEVEL\":\"info\",\"REGION\":\"eu-west-1\"}";
    memcpy(out->public_env, pub, sizeof pub - 1);
    out->public_env_len = sizeof pub - 1;
    return TKMS_OK;
}

static node_snapshot *snapshot_make(void) {
    node_snapshot *s = node_snapshot_new();
    s->chain_id = 31337;
    memset(s->self, 0x5e, 20);
    s->chain_live = s->network_has_version = true;
    s->version_count = s->retained_count = 2;
    for (uint32_t i = 0; i < 2; i++) {
        node_version *v = &s->versions[i];
        uint8_t wide[64];
        memset(wide, 0x30 + (int)i, sizeof wide);
        tkms_bls_fr_decode_reduce(&v->share.v, wide, sizeof wide);
        v->version = s->retained[i] = 10 - i;
        v->t = 1;
    }
    return s;
}

static char rsa_private[8192], rsa_public[8192];

/* A dev-ecdsa request body for app_id signed with sk; the challenge carries the given
   nonce (64 hex digits), so that distinct nonces give requests a replay cache accepts. */
static char *body_sign(const char *app_id, const uint8_t sk[32], const char *nonce_hex) {
    uint8_t binding[32], digest[32], sig[65];
    char challenge[96], sig_b64[128];
    snprintf(challenge, sizeof challenge, "%lld-%s", (long long)time(NULL), nonce_hex);
    tkms_prim_sha256(binding, (const uint8_t *)rsa_public, strlen(rsa_public));
    tkms_client_dev_attest_digest_of_binding(digest, app_id, challenge, binding);
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    if (!secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, sk, NULL, NULL) ||
        !secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rs)) {
        die("sign");
    }
    secp256k1_context_destroy(ctx);
    sig[64] = (uint8_t)(27 + recid);
    if (tkms_prim_base64_encode(sig_b64, sizeof sig_b64, sig, 65) != TKMS_OK) {
        die("base64");
    }
    json_t *o =
        json_pack("{s:s,s:s,s:s,s:s,s:s}", "app_id", app_id, "attestation_method", "dev-ecdsa",
                  "attestation", sig_b64, "rsa_pubkey", rsa_public, "challenge", challenge);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == NULL) {
        die("json");
    }
    return text;
}

/* The fixture's body: signed by OWNER_SK for APP_ID, a fixed nonce. */
static char *body_make(void) {
    uint8_t sk[32];
    char nonce[65];
    if (tkms_chain_hex_decode(sk, 32, OWNER_SK) != TKMS_OK) {
        die("key");
    }
    snprintf(nonce, sizeof nonce, "%064d", 42);
    return body_sign(APP_ID, sk, nonce);
}

/* --bodies: count bodies with random nonces, one per line (compact JSON has no newline),
   signed with the key in key_path (a 64-hex file as `tkms` writes) for app_id. They stay
   valid for DEV_ATTEST_WINDOW_S: make them right before the load. */
static int bodies_write(uint32_t count, const char *app_id, const char *key_path,
                        const char *out_path) {
    tkms_chain_key key;
    if (tkms_chain_key_load(&key, key_path) != TKMS_OK) {
        die("cannot load --owner-key");
    }
    FILE *f = fopen(out_path, "w");
    if (f == NULL) {
        die("cannot write --out");
    }
    for (uint32_t i = 0; i < count; i++) {
        uint8_t raw[32];
        char nonce[65];
        if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
            die("getrandom");
        }
        for (size_t k = 0; k < 32; k++) {
            snprintf(nonce + 2 * k, 3, "%02x", raw[k]);
        }
        char *body = body_sign(app_id, key.sk, nonce);
        if (fputs(body, f) < 0 || fputc('\n', f) < 0) {
            die("write");
        }
        free(body);
    }
    tkms_chain_key_wipe(&key);
    return fclose(f) == 0 ? 0 : 1;
}

static void fixtures_init(void) {
    uint8_t sk[32];
    tkms_chain_key k;
    if (tkms_chain_hex_decode(sk, 32, OWNER_SK) != TKMS_OK ||
        tkms_chain_key_from_bytes(&k, sk) != TKMS_OK ||
        tkms_chain_hex_decode(app, 20, APP_ID) != TKMS_OK ||
        tkms_prim_rsa_keygen(rsa_private, rsa_public, sizeof rsa_private, 2048) != TKMS_OK) {
        die("fixtures");
    }
    memcpy(owner, k.address.bytes, 20);
    tkms_chain_key_wipe(&k);
}

static void config_make(node_config *c, uint32_t threads) {
    memset(c, 0, sizeof *c);
    c->chain_id = 31337;
    snprintf(c->app_listen, sizeof c->app_listen, "127.0.0.1:0");
    snprintf(c->peer_listen, sizeof c->peer_listen, "127.0.0.1:0");
    c->http_threads = threads;
    c->body_bytes_max = 64 * 1024;
    c->secrets_body_bytes_max = 2 * 1024 * 1024;
    c->header_bytes_max = 16 * 1024;
    c->read_timeout_s = 10;
    c->in_flight_max = NODE_HTTP_IN_FLIGHT_MAX; /* limits off: we measure the work */
    c->dev_ecdsa_enabled = true;
    c->dev_ecdsa_replay_disabled = true; /* benchmarks only: the same request is replayed */
}

/* ---- in-process operations --------------------------------------------------------------- */

static void bench_ops(void) {
    const int n = 200;
    tkms_bls_g1 h1, sigma;
    stamp t = now_ns();
    for (int i = 0; i < n; i++) {
        if (tkms_tss_h1(&h1, (const uint8_t *)APP_ID, strlen(APP_ID)) != TKMS_OK) {
            die("h1");
        }
    }
    report("h1", n, t);
    node_h1_cache *cache = h1_cache_new();
    t = now_ns();
    for (int i = 0; i < n * 50; i++) {
        if (h1_cache_get(cache, &h1, APP_ID, strlen(APP_ID)) != TKMS_OK) {
            die("h1 cache");
        }
    }
    report("h1_cached", n * 50, t);
    h1_cache_free(cache);
    node_snapshot *snap = snapshot_make();
    t = now_ns();
    for (int i = 0; i < n; i++) {
        tkms_tss_partial_sign(&sigma, &snap->versions[0].share, &h1);
    }
    report("partial_sign", n, t);
    uint8_t wrapped[TKMS_CLIENT_WRAPPED_BYTES_MAX];
    size_t len;
    t = now_ns();
    for (int i = 0; i < n; i++) {
        if (tkms_client_partial_wrap(wrapped, &len, sizeof wrapped, &sigma, rsa_public,
                                     strlen(rsa_public)) != TKMS_OK) {
            die("wrap");
        }
    }
    report("rsa_wrap", n, t);
    node_snapshot_free(snap);
}

static void bench_request(void) {
    const int n = 200;
    char *body = body_make();
    size_t body_len = strlen(body);
    secrets_request sr;
    char msg[512];
    stamp t = now_ns();
    for (int i = 0; i < n; i++) {
        if (secrets_request_parse(&sr, msg, sizeof msg, (const uint8_t *)body, body_len)) {
            die(msg);
        }
        secrets_request_clear(&sr);
    }
    report("parse", n, t);
    if (secrets_request_parse(&sr, msg, sizeof msg, (const uint8_t *)body, body_len)) {
        die(msg);
    }
    uint8_t signer[20], nonce[32];
    int64_t expires;
    t = now_ns();
    for (int i = 0; i < n; i++) {
        if (dev_attest_recover(signer, nonce, &expires, msg, sizeof msg, sr.app_id, sr.challenge,
                               sr.attestation, sr.attestation_len, sr.binding, time(NULL))) {
            die(msg);
        }
    }
    report("dev_verify", n, t);
    secrets_request_clear(&sr);
    free(body);
}

/* The whole handler with the server's objects, without MHD: n requests with the H1 cache
   warm, then (passes = 2) n more with it bypassed. */
static void bench_handler(int n, int passes) {
    node_config c;
    config_make(&c, 1);
    node_snapshots snaps;
    node_snapshots_init(&snaps);
    node_snapshots_publish(&snaps, snapshot_make());
    node_chain_source src = {NULL, fake_owner, fake_release, NULL};
    node_chain_reader *reader;
    node_records *records = node_records_new();
    if (node_chain_reader_new(&reader, &src, 600, 64) != TKMS_OK) {
        die("reader");
    }
    node_http *http;
    if (node_http_start(&http, &c, &snaps, records, reader, NULL) != TKMS_OK) {
        die("start");
    }
    char *body = body_make();
    node_h1_cache *cache = http->h1;
    for (int pass = 0; pass < passes; pass++) { /* with the H1 cache, then without it */
        http->h1 = pass == 0 ? cache : NULL;
        stamp t = now_ns();
        for (int i = 0; i < n; i++) {
            http_request req = {.server = http, .body = (uint8_t *)body, .body_len = strlen(body)};
            http_reply reply = {0};
            api_secrets(&req, &reply);
            if (reply.status != 200) {
                die(reply.body != NULL ? reply.body : "handler");
            }
            free(reply.body);
        }
        report(pass == 0 ? "secrets_handler" : "secrets_handler_no_h1_cache", n, t);
    }
    http->h1 = cache;
    free(body);
    node_http_stop(http);
    node_chain_reader_free(reader);
    node_records_free(records);
    node_snapshots_destroy(&snaps);
}

/* ---- --serve ---------------------------------------------------------------------------- */

static int serve(uint32_t threads, const char *body_path) {
    node_config c;
    config_make(&c, threads);
    node_snapshots snaps;
    node_snapshots_init(&snaps);
    node_snapshots_publish(&snaps, snapshot_make());
    node_chain_source src = {NULL, fake_owner, fake_release, NULL};
    node_chain_reader *reader;
    node_records *records = node_records_new();
    node_metrics *metrics = node_metrics_new();
    node_http *http;
    if (node_chain_reader_new(&reader, &src, 600, 64) != TKMS_OK ||
        node_http_start(&http, &c, &snaps, records, reader, metrics) != TKMS_OK) {
        die("start");
    }
    char *body = body_make();
    FILE *f = fopen(body_path, "w");
    if (f == NULL || fputs(body, f) < 0 || fclose(f) != 0) {
        die("cannot write the body file");
    }
    free(body);
    printf("port %u\n", node_http_port(http, NODE_HTTP_LISTENER_APP));
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) { /* until stdin closes */
    }
    node_http_stop(http);
    node_chain_reader_free(reader);
    node_records_free(records);
    node_metrics_free(metrics);
    node_snapshots_destroy(&snaps);
    return 0;
}

/* ---- --check-json: the reply writer against json_dumps ------------------------------------ */

/* http_reply.c writes compact JSON itself (faster than jansson's dumper) and must give
   json_dumps(JSON_COMPACT)'s bytes exactly. Random trees (no recursion: children are hung
   on a random earlier container) with every kind of value and the bytes that need escaping,
   non-ASCII and reals (the writer's fallbacks) and nesting past its depth bound. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static json_t *random_string(void) {
    static const char *const pieces[] = {"a", "Z", "0", " ", "\"", "\\", "/", "\b", "\f", "\n",
                                         "\r", "\t", "\x01", "\x1f", "\x7f", "~", "{}", "\xc3\xa9"};
    char text[64];
    size_t len = 0, count = rng() % 12;
    bool ascii_only = rng() % 8 != 0;
    for (size_t i = 0; i < count; i++) {
        const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0] - (ascii_only ? 1 : 0))];
        memcpy(text + len, p, strlen(p));
        len += strlen(p);
    }
    if (rng() % 16 == 0) {
        text[len++] = 0; /* an embedded NUL */
    }
    return json_stringn(text, len);
}

static json_t *random_scalar(void) {
    static const json_int_t edges[] = {0, -1, 1, INT64_MAX, INT64_MIN, 1000000007};
    switch (rng() % 7) {
    case 0:
        return json_integer(edges[rng() % 6]);
    case 1:
        return json_integer((json_int_t)rng());
    case 2:
        return rng() % 4 == 0 ? json_real((double)(rng() % 1000) / 7.0) : json_true();
    case 3:
        return rng() % 2 ? json_false() : json_null();
    default:
        return random_string();
    }
}

static json_t *random_tree(void) {
    json_t *nodes[64]; /* the containers so far: a child is hung on a random one */
    size_t count = 1;
    nodes[0] = rng() % 8 == 0 ? json_array() : json_object();
    for (unsigned step = 0, steps = (unsigned)(rng() % 40); step < steps; step++) {
        size_t parent = rng() % count;
        json_t *key = random_string();
        const char *k = json_string_value(key);
        size_t k_len = json_string_length(key);
        if (json_is_object(nodes[parent]) && json_object_getn(nodes[parent], k, k_len) != NULL) {
            json_decref(key); /* a member is never replaced: it may be a listed container */
            continue;
        }
        bool container = count < 64 && rng() % 3 == 0;
        json_t *child = container ? (rng() % 2 ? json_array() : json_object()) : random_scalar();
        if (container) {
            nodes[count++] = child;
        }
        if (json_is_array(nodes[parent])) {
            json_array_append_new(nodes[parent], child);
        } else {
            json_object_setn_new(nodes[parent], k, k_len, child);
        }
        json_decref(key);
    }
    return nodes[0];
}

static json_t *deep_tree(unsigned levels) {
    json_t *root = json_object(), *at = root;
    for (unsigned i = 0; i < levels; i++) {
        json_t *next = json_array();
        json_object_set_new(at, "k", next);
        at = json_object();
        json_array_append_new(next, at);
    }
    return root;
}

static int check_json(uint32_t trees) {
    uint32_t mismatches = 0;
    for (uint32_t i = 0; i < trees + 20; i++) {
        json_t *tree = i < trees ? random_tree() : deep_tree(i - trees);
        char *expected = json_dumps(tree, JSON_COMPACT);
        http_reply reply = {0};
        http_reply_json(&reply, 200, json_incref(tree));
        bool same = expected != NULL && reply.body != NULL && reply.status == 200 &&
                    reply.body_len == strlen(expected) &&
                    memcmp(reply.body, expected, reply.body_len) == 0;
        if (!same && mismatches++ < 5) {
            fprintf(stderr, "mismatch:\n  jansson: %s\n  writer:  %s\n", expected,
                    reply.body != NULL ? reply.body : "(null)");
        }
        free(expected);
        free(reply.body);
        json_decref(tree);
    }
    printf("{\"layer\":\"node\",\"op\":\"check_json\",\"trees\":%u,\"mismatches\":%u}\n",
           trees + 20, mismatches);
    return mismatches == 0 ? 0 : 1;
}

typedef struct {
    bool serve;
    uint32_t threads, bodies, handler_iters, check_json;
    const char *body_path, *app_id, *owner_key, *out;
} bench_args;

static const char usage[] =
    "usage: bench_node                       per-operation JSON lines\n"
    "       bench_node --handler N           only the handler, N times, H1 cache warm\n"
    "       bench_node --check-json N        the reply writer against json_dumps, N trees\n"
    "                                        (for callgrind --toggle-collect=api_secrets)\n"
    "       bench_node --serve [--threads N] [--body FILE]\n"
    "       bench_node --bodies N --app-id 0x.. --owner-key FILE --out FILE\n";

static bool args_parse(bench_args *a, int argc, char **argv) {
    *a = (bench_args){.threads = 2, .body_path = "/tmp/tkms-bench-body.json"};
    for (int i = 1; i < argc; i++) {
        const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(k, "--serve") == 0) {
            a->serve = true;
            continue;
        }
        if (v == NULL) {
            return false;
        }
        i++;
        if (strcmp(k, "--threads") == 0) {
            a->threads = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--body") == 0) {
            a->body_path = v;
        } else if (strcmp(k, "--bodies") == 0) {
            a->bodies = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--check-json") == 0) {
            a->check_json = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--handler") == 0) {
            a->handler_iters = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(k, "--app-id") == 0) {
            a->app_id = v;
        } else if (strcmp(k, "--owner-key") == 0) {
            a->owner_key = v;
        } else if (strcmp(k, "--out") == 0) {
            a->out = v;
        } else {
            return false;
        }
    }
    return a->bodies == 0 || (a->app_id != NULL && a->owner_key != NULL && a->out != NULL);
}

int main(int argc, char **argv) {
    node_log_level_set(NODE_LOG_ERROR); /* no access log in a benchmark */
    bench_args a;
    if (!args_parse(&a, argc, argv)) {
        fputs(usage, stderr);
        return 2;
    }
    if (a.check_json > 0) {
        return check_json(a.check_json);
    }
    fixtures_init();
    if (a.bodies > 0) {
        return bodies_write(a.bodies, a.app_id, a.owner_key, a.out);
    }
    if (a.serve) {
        return serve(a.threads, a.body_path);
    }
    if (a.handler_iters > 0) {
        bench_handler((int)a.handler_iters, 1);
        return 0;
    }
    bench_ops();
    bench_request();
    bench_handler(200, 2);
    return 0;
}
