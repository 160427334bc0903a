/*
 * http_test.h — shared harness of the HTTP tests (test_http_*.c): a real tkmsd HTTP server
 * (node_http_start on 127.0.0.1, port 0) over a snapshot built in-process and a faked
 * chain source (the unit seam of chain_reader.h), and a libcurl client over loopback.
 *
 * The snapshot holds versions with t = 1 (f(x) = s): the share is s, the commitment and
 * every public share are s·g2, so a served partial s·H1(id) verifies with the pairing
 * check of crypto.md §7. Keys of dev-ecdsa owners are anvil's deterministic keys; the
 * dev-ecdsa digest and signature are computed here independently of src/node (keccak and
 * libsecp256k1 directly).
 */
#ifndef TKMS_TEST_NODE_HTTP_H
#define TKMS_TEST_NODE_HTTP_H

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

#include "chain/chain.h"
#include "client/client.h"
#include "node/chain_reader.h"
#include "node/http.h"
#include "node/log.h"
#include "node/metrics.h"
#include "node/node.h"
#include "prim/prim.h"
#include "proto/wire.h"
#include "tss/tss.h"

/* ---- fake chain source ------------------------------------------------------------------ */

#define TN_APPS_MAX 8

typedef struct {
    pthread_mutex_t lock;
    size_t count;
    struct {
        uint8_t app[20];
        uint8_t owner[20];
        bool has_release;
        node_release release;
    } apps[TN_APPS_MAX];
    bool fail; /* every call answers chain_unavailable */
    unsigned calls;
} tn_chain;

static inline tkms_err tn_chain_owner(void *ctx, uint8_t owner[20], const uint8_t app[20]) {
    tn_chain *c = ctx;
    pthread_mutex_lock(&c->lock);
    c->calls++;
    tkms_err err = c->fail ? TKMS_ERR_NODE_CHAIN_UNAVAILABLE : TKMS_OK;
    memset(owner, 0, 20); /* unknown app: the zero address, as AppController.owner() */
    for (size_t i = 0; err == TKMS_OK && i < c->count; i++) {
        if (memcmp(c->apps[i].app, app, 20) == 0) {
            memcpy(owner, c->apps[i].owner, 20);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return err;
}

static inline tkms_err tn_chain_release(void *ctx, node_release *out, const uint8_t app[20]) {
    tn_chain *c = ctx;
    pthread_mutex_lock(&c->lock);
    c->calls++;
    tkms_err err = c->fail ? TKMS_ERR_NODE_CHAIN_UNAVAILABLE : TKMS_ERR_NODE_UNKNOWN_APP;
    for (size_t i = 0; !c->fail && i < c->count; i++) {
        if (memcmp(c->apps[i].app, app, 20) == 0) {
            err = c->apps[i].has_release ? TKMS_OK : TKMS_ERR_NODE_NO_RELEASE;
            if (err == TKMS_OK) {
                memcpy(out, &c->apps[i].release, sizeof *out);
            }
        }
    }
    pthread_mutex_unlock(&c->lock);
    return err;
}

/* Adds an app with a release (digest byte d repeated, env bytes, public env JSON). */
static inline void tn_chain_app(tn_chain *c, const uint8_t app[20], const uint8_t owner[20],
                                uint8_t d, const char *env_hex, const char *public_env) {
    pthread_mutex_lock(&c->lock);
    assert_true(c->count < TN_APPS_MAX);
    size_t i = c->count++;
    memcpy(c->apps[i].app, app, 20);
    memcpy(c->apps[i].owner, owner, 20);
    c->apps[i].has_release = public_env != NULL;
    node_release *r = &c->apps[i].release;
    memset(r, 0, sizeof *r);
    r->release_id = 1;
    r->block_number = 7;
    memset(r->image_digest, d, 32);
    snprintf(r->registry, sizeof r->registry, "ghcr.io/tkms/test");
    long n = env_hex != NULL ? tu_unhex(r->encrypted_env, sizeof r->encrypted_env, env_hex) : 0;
    assert_true(n >= 0);
    r->encrypted_env_len = (size_t)n;
    r->public_env_len = public_env != NULL ? strlen(public_env) : 0;
    if (public_env != NULL) {
        memcpy(r->public_env, public_env, r->public_env_len);
    }
    pthread_mutex_unlock(&c->lock);
}

/* ---- keys and addresses ------------------------------------------------------------------ */

static const char *const tn_owner_keys[] = {
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
};

static inline void tn_key(uint8_t sk[32], uint8_t address[20], size_t index) {
    assert_int_equal(tu_unhex(sk, 32, tn_owner_keys[index]), 32);
    tkms_chain_key k;
    assert_int_equal(tkms_chain_key_from_bytes(&k, sk), TKMS_OK);
    memcpy(address, k.address.bytes, 20);
    tkms_chain_key_wipe(&k);
}

static inline void tn_address_hex(char out[43], const uint8_t a[20]) {
    out[0] = '0';
    out[1] = 'x';
    tu_hex(out + 2, a, 20);
}

/* RSA key pair made once per test program (2048 bits). */
static char tn_rsa_private[8192], tn_rsa_public[8192];
static inline void tn_rsa_init(void) {
    if (tn_rsa_public[0] == 0) {
        assert_int_equal(tkms_prim_rsa_keygen(tn_rsa_private, tn_rsa_public, 8192, 2048), TKMS_OK);
    }
}

/* ---- the in-process snapshot -------------------------------------------------------------- */

typedef struct {
    tkms_tss_secret share;
    uint8_t pk[96]; /* s·g2 */
} tn_version_key;

static const uint8_t tn_epoch_log[20] = {0xe1, 0x0c, 0x01};
static uint8_t tn_self[20] = {0x5e, 0x1f};

static inline void tn_version_fill(node_version *v, tn_version_key *key, uint64_t version,
                                   tu_rng *rng) {
    uint8_t wide[64];
    tu_rng_bytes(rng, wide, sizeof wide);
    tkms_bls_fr_decode_reduce(&key->share.v, wide, sizeof wide);
    tkms_bls_g2 g, pk;
    tkms_bls_g2_generator(&g);
    tkms_bls_g2_mul(&pk, &g, &key->share.v);
    tkms_bls_g2_encode(key->pk, &pk);
    v->version = version;
    v->activated_at = 1785000000 + version;
    v->t = 1;
    v->share = key->share;
    v->commitments.t = 1;
    memcpy(v->commitments.c[0], key->pk, 96);
    v->dealer_count = 1;
    memcpy(v->dealers[0], tn_self, 20);
    v->operator_count = 1;
    memcpy(v->operators[0].address, tn_self, 20);
    assert_int_equal(tkms_tss_point_from_address(&v->operators[0].x, tn_self), TKMS_OK);
    memcpy(v->operators[0].public_share, key->pk, 96);
    snprintf(v->operators[0].app_url, sizeof v->operators[0].app_url, "http://127.0.0.1:1");
}

/* A snapshot holding `count` versions (newest first: versions[0] is the newest). */
static inline node_snapshot *tn_snapshot(const uint64_t *versions, uint32_t count,
                                         tn_version_key *keys, uint64_t seed) {
    node_snapshot *s = node_snapshot_new();
    assert_non_null(s);
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    s->chain_id = 31337;
    memcpy(s->epoch_log, tn_epoch_log, 20);
    memcpy(s->self, tn_self, 20);
    s->head = 1000;
    s->final_height = 998;
    s->chain_live = true;
    s->epoch = count > 0 ? versions[0] + 1 : 1;
    s->network_has_version = count > 0;
    s->version_count = count;
    s->retained_count = count;
    for (uint32_t i = 0; i < count; i++) {
        tn_version_fill(&s->versions[i], &keys[i], versions[i], &rng);
        s->retained[i] = versions[i];
    }
    if (count > 0) {
        s->has_mpk = true;
        memcpy(s->mpk, keys[0].pk, 96);
    }
    snprintf(s->last_epoch_result, sizeof s->last_epoch_result, "finalized");
    return s;
}

/* ---- the server under test ------------------------------------------------------------------ */

typedef struct {
    node_config config;
    node_snapshots snapshots;
    node_records *records;
    node_chain_reader *chain;
    node_metrics *metrics;
    tn_chain fake;
    node_http *http;
    uint16_t port;
    char base[64];
} tn_server;

static inline void tn_config_default(node_config *c) {
    memset(c, 0, sizeof *c);
    c->chain_id = 31337;
    snprintf(c->app_listen, sizeof c->app_listen, "127.0.0.1:0");
    snprintf(c->peer_listen, sizeof c->peer_listen, "127.0.0.1:0");
    c->http_threads = 2;
    c->body_bytes_max = 64 * 1024;
    c->secrets_body_bytes_max = 2 * 1024 * 1024;
    c->header_bytes_max = 16 * 1024;
    c->read_timeout_s = 10;
    c->ip_rps = 1000;
    c->ip_burst = 2000;
    c->app_rps = 1000;
    c->app_burst = 2000;
    c->in_flight_max = 64;
    c->dev_ecdsa_enabled = true;
}

/* Starts a server on `config` (NULL: defaults) with `snap` published (may be NULL) and
   `chain` as its chain reader (NULL: a cached reader over the fake source t->fake). */
static inline void tn_start_with(tn_server *t, const node_config *config, node_snapshot *snap,
                                 node_chain_reader *chain) {
    memset(t, 0, sizeof *t);
    if (config != NULL) {
        t->config = *config;
    } else {
        tn_config_default(&t->config);
    }
    pthread_mutex_init(&t->fake.lock, NULL);
    /* request lines are info: shown only with TKMS_TEST_LOG=1 */
    node_log_level_set(getenv("TKMS_TEST_LOG") != NULL ? NODE_LOG_DEBUG : NODE_LOG_WARN);
    node_snapshots_init(&t->snapshots);
    if (snap != NULL) {
        node_snapshots_publish(&t->snapshots, snap);
    }
    t->records = node_records_new();
    t->metrics = node_metrics_new();
    t->chain = chain;
    if (chain == NULL) {
        node_chain_source src = {&t->fake, tn_chain_owner, tn_chain_release, NULL};
        assert_int_equal(node_chain_reader_new(&t->chain, &src, 60, 256), TKMS_OK);
    }
    assert_int_equal(
        node_http_start(&t->http, &t->config, &t->snapshots, t->records, t->chain, t->metrics),
        TKMS_OK);
    t->port = node_http_port(t->http, NODE_HTTP_LISTENER_APP);
    assert_true(t->port != 0);
    snprintf(t->base, sizeof t->base, "http://127.0.0.1:%u", t->port);
}

static inline void tn_start(tn_server *t, const node_config *config, node_snapshot *snap) {
    tn_start_with(t, config, snap, NULL);
}

static inline void tn_stop(tn_server *t) {
    node_http_stop(t->http);
    node_chain_reader_free(t->chain);
    node_records_free(t->records);
    node_metrics_free(t->metrics);
    node_snapshots_destroy(&t->snapshots);
    pthread_mutex_destroy(&t->fake.lock);
}

/* ---- HTTP client (libcurl) ------------------------------------------------------------------- */

typedef struct {
    long status;
    char *body;
    size_t len;
    char request_id[64];
    char retry_after[16];
    char content_type[128];
    char allow[32];
} tn_resp;

static inline size_t tn_on_body(char *data, size_t size, size_t n, void *ctx) {
    tn_resp *r = ctx;
    char *p = realloc(r->body, r->len + size * n + 1);
    assert_non_null(p);
    memcpy(p + r->len, data, size * n);
    r->body = p;
    r->len += size * n;
    r->body[r->len] = 0;
    return size * n;
}

static inline void tn_header_copy(char *out, size_t max, const char *line, size_t len,
                                  const char *name) {
    size_t n = strlen(name);
    if (len > n && strncasecmp(line, name, n) == 0) {
        const char *v = line + n;
        size_t vl = len - n;
        while (vl > 0 && (*v == ' ')) {
            v++;
            vl--;
        }
        while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n')) {
            vl--;
        }
        snprintf(out, max, "%.*s", (int)vl, v);
    }
}

static inline size_t tn_on_header(char *data, size_t size, size_t n, void *ctx) {
    tn_resp *r = ctx;
    size_t len = size * n;
    tn_header_copy(r->request_id, sizeof r->request_id, data, len, "X-Request-Id:");
    tn_header_copy(r->retry_after, sizeof r->retry_after, data, len, "Retry-After:");
    tn_header_copy(r->content_type, sizeof r->content_type, data, len, "Content-Type:");
    tn_header_copy(r->allow, sizeof r->allow, data, len, "Allow:");
    return len;
}

/* One request; content_type NULL sends none. extra_header may be NULL. */
static inline void tn_http_ex(tn_resp *r, const char *method, const char *url,
                              const char *content_type, const void *body, size_t len,
                              const char *extra_header) {
    memset(r, 0, sizeof *r);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *h = NULL;
    char ct[160];
    if (content_type != NULL) {
        snprintf(ct, sizeof ct, "Content-Type: %s", content_type);
        h = curl_slist_append(h, ct);
    }
    h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
    if (extra_header != NULL) {
        h = curl_slist_append(h, extra_header);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, tn_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, tn_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fail_msg("%s %s: %s", method, url, curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static inline void tn_http(tn_resp *r, const char *method, const char *url,
                           const char *content_type, const void *body, size_t len) {
    tn_http_ex(r, method, url, content_type, body, len, NULL);
}

static inline void tn_get(tn_resp *r, const tn_server *t, const char *path) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", t->base, path);
    tn_http(r, "GET", url, NULL, NULL, 0);
}

static inline void tn_post(tn_resp *r, const tn_server *t, const char *path, const char *body) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", t->base, path);
    tn_http(r, "POST", url, "application/json", body, strlen(body));
}

static inline void tn_resp_free(tn_resp *r) {
    free(r->body);
    r->body = NULL;
}

static inline json_t *tn_json(const tn_resp *r) {
    json_error_t e;
    json_t *j = json_loadb(r->body != NULL ? r->body : "", r->len, 0, &e);
    if (j == NULL) {
        fail_msg("not JSON (%s): %.200s", e.text, r->body != NULL ? r->body : "");
    }
    return j;
}

/* The answer is exactly {"error":{"code":code,"message":<string>}} with status, and has a
   request id. */
static inline void tn_expect_error(tn_resp *r, long status, const char *code) {
    if (r->status != status) {
        fail_msg("status %ld, expected %ld: %.300s", r->status, status, r->body);
    }
    assert_true(r->request_id[0] != 0);
    json_t *j = tn_json(r);
    json_t *e = json_object_get(j, "error");
    assert_int_equal(json_object_size(j), 1);
    assert_int_equal(json_object_size(e), 2);
    const char *got = json_string_value(json_object_get(e, "code"));
    if (got == NULL || strcmp(got, code) != 0) {
        fail_msg("code %s, expected %s: %.300s", got ? got : "(none)", code, r->body);
    }
    assert_true(json_is_string(json_object_get(e, "message")));
    json_decref(j);
    tn_resp_free(r);
}

static inline void tn_expect_healthy(const tn_server *t) {
    tn_resp r;
    tn_get(&r, t, "/healthz");
    assert_int_equal(r.status, 200);
    tn_resp_free(&r);
}

/* ---- dev-ecdsa requests ------------------------------------------------------------------------
 */

typedef struct {
    const char *app_id;
    const uint8_t *sk;        /* the signer */
    const char *pem;          /* NULL: tn_rsa_public */
    const char *challenge;    /* NULL: "<now>-<fresh nonce>" */
    int64_t challenge_offset; /* added to now when challenge is NULL */
    const char *extra_b64;    /* NULL: absent */
    int64_t version;          /* -1: absent */
    bool v_low;               /* v in {0,1} instead of {27,28} */
    bool high_s;              /* replace s by n − s (and flip v): the same signature, high */
    const char *method;       /* NULL: "dev-ecdsa" */
    char used_challenge[128]; /* out */
} tn_dev;

static const uint8_t tn_order[32] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

static inline void tn_sub_from_order(uint8_t s[32]) {
    int borrow = 0;
    for (int i = 31; i >= 0; i--) {
        int d = tn_order[i] - s[i] - borrow;
        borrow = d < 0;
        s[i] = (uint8_t)(d + (borrow ? 256 : 0));
    }
}

/* The 65-byte dev-ecdsa signature, computed from api.md's definition. */
static inline void tn_dev_sign(uint8_t sig[65], const tn_dev *d, const char *challenge,
                               const char *pem, const uint8_t *extra, size_t extra_len) {
    uint8_t binding[32], digest[32];
    tkms_prim_buf parts[] = {{(const uint8_t *)pem, strlen(pem)}, {extra, extra_len}};
    tkms_prim_sha256_parts(binding, parts, 2);
    char bhex[65];
    tu_hex(bhex, binding, 32);
    char msg[512];
    snprintf(msg, sizeof msg, "tkms-dev-attest-v1|%s|%s|%s", d->app_id, challenge, bhex);
    tkms_prim_keccak256(digest, (const uint8_t *)msg, strlen(msg));
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_ecdsa_recoverable_signature rs;
    int recid = 0;
    assert_true(secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, d->sk, NULL, NULL));
    assert_true(secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rs));
    secp256k1_context_destroy(ctx);
    if (d->high_s) {
        tn_sub_from_order(sig + 32);
        recid ^= 1;
    }
    sig[64] = (uint8_t)(d->v_low ? recid : 27 + recid);
}

/* The JSON body of a /v1/secrets request (caller frees). */
static inline char *tn_dev_body(tn_dev *d) {
    const char *pem = d->pem != NULL ? d->pem : tn_rsa_public;
    if (d->challenge != NULL) {
        snprintf(d->used_challenge, sizeof d->used_challenge, "%s", d->challenge);
    } else {
        static unsigned counter;
        uint8_t nonce[32];
        char nonce_hex[65];
        unsigned c = __atomic_add_fetch(&counter, 1, __ATOMIC_SEQ_CST);
        tkms_prim_sha256(nonce, (const uint8_t *)&c, sizeof c);
        nonce[0] ^= (uint8_t)getpid();
        tu_hex(nonce_hex, nonce, 32);
        snprintf(d->used_challenge, sizeof d->used_challenge, "%lld-%s",
                 (long long)time(NULL) + (long long)d->challenge_offset, nonce_hex);
    }
    uint8_t extra[256];
    size_t extra_len = 0;
    if (d->extra_b64 != NULL) {
        assert_int_equal(tkms_prim_base64_decode(extra, &extra_len, sizeof extra, d->extra_b64,
                                                 strlen(d->extra_b64)),
                         TKMS_OK);
    }
    uint8_t sig[65];
    char sig_b64[128];
    tn_dev_sign(sig, d, d->used_challenge, pem, extra, extra_len);
    assert_int_equal(tkms_prim_base64_encode(sig_b64, sizeof sig_b64, sig, 65), TKMS_OK);
    json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "app_id", d->app_id, "attestation_method",
                          d->method != NULL ? d->method : "dev-ecdsa", "attestation", sig_b64,
                          "rsa_pubkey", pem, "challenge", d->used_challenge);
    if (d->extra_b64 != NULL) {
        json_object_set_new(o, "extra_data", json_string(d->extra_b64));
    }
    if (d->version >= 0) {
        json_object_set_new(o, "version", json_integer(d->version));
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    assert_non_null(text);
    return text;
}

/* Unwraps the partial of `item` with the test's RSA key and checks it is s·H1(app_id)
   for key (the pairing check of crypto.md §7). */
static inline void tn_partial_verify(json_t *item, const char *app_id, const tn_version_key *key) {
    const char *b64 = json_string_value(json_object_get(item, "encrypted_partial"));
    assert_non_null(b64);
    uint8_t wrapped[1024];
    size_t len = 0;
    assert_int_equal(tkms_prim_base64_decode(wrapped, &len, sizeof wrapped, b64, strlen(b64)),
                     TKMS_OK);
    tkms_bls_g1 partial, h1;
    assert_int_equal(
        tkms_client_partial_unwrap(&partial, wrapped, len, tn_rsa_private, strlen(tn_rsa_private)),
        TKMS_OK);
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)app_id, strlen(app_id)), TKMS_OK);
    tkms_bls_g2 pk;
    assert_int_equal(tkms_bls_g2_decode(&pk, key->pk), TKMS_OK);
    assert_true(tkms_tss_partial_verify_vartime(&partial, &h1, &pk));
}

/* A raw TCP connection to the server (hostile HTTP the client library would not send). */
static inline int tn_connect(const tn_server *t) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons(t->port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static inline void tn_send_all(int fd, const void *data, size_t len) {
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        p += n;
        len -= (size_t)n;
    }
}

static inline uint64_t tn_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif
