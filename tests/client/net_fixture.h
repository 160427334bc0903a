/*
 * net_fixture.h — a real sharing and fake tkmsd operators for the client's network tests.
 *
 * The fixture deals a genuine DKG (version 1: every operator deals, shares combined with
 * tss, I2-checked) and a genuine reshare of it (version 2: a subset of holders re-deals
 * its shares; Lagrange-combined with tss), so the partials the fake operators serve are
 * s_j·H1(id) of real shares. The client sees only the public side: a tkms_client_network
 * whose version loader hands it the dealers' commitments (tkms_client_version_combine
 * derives the rest, as it does from chain data).
 *
 * Each fake operator answers POST /v1/secrets like api.md says, optionally after checking
 * the dev-ecdsa attestation independently of the client's builder (libsecp256k1 recover
 * against the owner's address), and can misbehave on demand: a wrong partial, garbage, an
 * answer in another operator's name, a refusal, hanging, hanging up, an oversized answer,
 * a partial wrapped to the wrong RSA key, another env.
 */
#ifndef TKMS_TEST_NET_FIXTURE_H
#define TKMS_TEST_NET_FIXTURE_H

#include <jansson.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "client/client.h"
#include "common/tkms_ct.h"
#include "fake_node.h"
#include "ibe/ibe.h"
#include "prim/prim.h"
#include "tss/test_rng.h"

#define FX_N_MAX 8
#define FX_VERSIONS 2
#define FX_PEM_MAX 4096

typedef struct {
    uint64_t version;
    uint16_t t;
    uint64_t source;
    uint32_t dealer_count;
    uint8_t dealers[FX_N_MAX][20];
    tkms_tss_commitments dealings[FX_N_MAX];
    tkms_tss_secret shares[FX_N_MAX]; /* by operator */
    tkms_tss_commitments combined;    /* as tss computed it */
} fx_version;

typedef enum {
    FX_HONEST = 0,
    FX_BAD_PARTIAL, /* serves (s_j + 1)·H1(id) */
    FX_GARBAGE,     /* 200 with a body that is not JSON */
    FX_WRONG_ID,    /* answers in another operator's name */
    FX_REFUSE,      /* 409 not_holder */
    FX_HANG,        /* never answers */
    FX_HANG_UP,     /* closes the connection */
    FX_HUGE,        /* an answer above the client's cap */
    FX_WRONG_RSA,   /* wraps the partial to another RSA key */
} fx_behaviour;

typedef struct fixture fixture;

typedef struct {
    fixture *fx;
    uint32_t index;
    fx_behaviour behaviour;
    uint32_t serve_mask; /* bit k: serves fx->versions[k] */
    uint32_t bad_mask;   /* bit k: with FX_BAD_PARTIAL, which versions are wrong */
    const char *env_hex; /* NULL: the fixture's */
    const char *public_env;
    bool pubkey_lie; /* GET /v1/pubkey: a wrong public share for one operator */
    fake_node node;
} fx_operator;

struct fixture {
    uint32_t n;
    uint8_t addr[FX_N_MAX][20];
    tkms_bls_fr x[FX_N_MAX];
    tkms_tss_secret master; /* S, to check the recovered key */
    tkms_bls_g2 mpk;
    fx_version versions[FX_VERSIONS];
    fx_operator ops[FX_N_MAX];
    tu_rng prng;
    tkms_rng rng;
    char app_id[TKMS_CLIENT_APP_ID_BYTES];
    char env_hex[2 * (256 + TKMS_IBE_OVERHEAD_BYTES) + 1];
    const char *env_plain;
    bool check_attest;
    uint8_t owner[20];
    uint8_t epoch_log[20];             /* what /v1/pubkey reports */
    char other_public_pem[FX_PEM_MAX]; /* for FX_WRONG_RSA */
};

/* ---- the sharing ---------------------------------------------------------------------- */
static inline void fx_dkg(fixture *fx, fx_version *v) {
    tkms_tss_poly f;
    tkms_tss_secret dealt[FX_N_MAX][FX_N_MAX]; /* [player][dealer] */
    memset(&fx->master, 0, sizeof fx->master);
    v->version = 1;
    v->source = TKMS_CLIENT_DKG_SOURCE;
    v->t = (uint16_t)tkms_tss_threshold(fx->n);
    v->dealer_count = fx->n;
    for (uint32_t i = 0; i < fx->n; i++) {
        assert_int_equal(tkms_tss_poly_random(&f, v->t, NULL, &fx->rng), TKMS_OK);
        tkms_tss_poly_commit(&v->dealings[i], &f);
        memcpy(v->dealers[i], fx->addr[i], 20);
        tkms_bls_fr_add(&fx->master.v, &fx->master.v, &f.a[0]);
        for (uint32_t j = 0; j < fx->n; j++) {
            tkms_tss_poly_eval(&dealt[j][i], &f, &fx->x[j]);
        }
    }
    for (uint32_t j = 0; j < fx->n; j++) {
        assert_int_equal(tkms_tss_dkg_combine(&v->shares[j], &v->combined, dealt[j], v->dealings,
                                              fx->n, &fx->x[j]),
                         TKMS_OK);
    }
    fx->mpk = v->combined.c[0];
    tkms_tss_poly_wipe(&f);
}

/* Reshare of `from` by its first `dealers` holders to all n operators. */
static inline void fx_reshare(fixture *fx, fx_version *v, const fx_version *from,
                              uint32_t dealers) {
    tkms_tss_poly f;
    tkms_tss_secret dealt[FX_N_MAX][FX_N_MAX];
    tkms_bls_fr xs[FX_N_MAX];
    v->version = from->version + 1;
    v->source = from->version;
    v->t = (uint16_t)tkms_tss_threshold(fx->n);
    v->dealer_count = dealers;
    for (uint32_t i = 0; i < dealers; i++) {
        assert_int_equal(tkms_tss_poly_random(&f, v->t, &from->shares[i], &fx->rng), TKMS_OK);
        tkms_tss_poly_commit(&v->dealings[i], &f);
        memcpy(v->dealers[i], fx->addr[i], 20);
        xs[i] = fx->x[i];
        for (uint32_t j = 0; j < fx->n; j++) {
            tkms_tss_poly_eval(&dealt[j][i], &f, &fx->x[j]);
        }
    }
    for (uint32_t j = 0; j < fx->n; j++) {
        assert_int_equal(tkms_tss_reshare_combine(&v->shares[j], &v->combined, dealt[j],
                                                  v->dealings, xs, dealers, &fx->mpk, &fx->x[j]),
                         TKMS_OK);
    }
    tkms_tss_poly_wipe(&f);
}

/* The client's view of a version: what chain would give (dealers' commitments). */
static tkms_err fx_version_load(void *ctx, tkms_client_version *out, uint64_t version) {
    fixture *fx = ctx;
    memset(out, 0, sizeof *out);
    for (uint32_t k = 0; k < FX_VERSIONS; k++) {
        const fx_version *v = &fx->versions[k];
        if (v->version != version) {
            continue;
        }
        out->version = version;
        out->t = v->t;
        out->source = v->source;
        out->operator_count = fx->n;
        memcpy(out->operators, fx->addr, sizeof fx->addr[0] * fx->n);
        out->dealer_count = v->dealer_count;
        memcpy(out->dealers, v->dealers, sizeof v->dealers[0] * v->dealer_count);
        return tkms_client_version_combine(out, v->dealings, &fx->mpk);
    }
    return TKMS_ERR_CLIENT_UNKNOWN_VERSION;
}

/* ---- the fake operators ---------------------------------------------------------------- */

/* The dev-ecdsa check of api.md, written here without the client's code. */
static inline bool fx_dev_attest_ok(const fixture *fx, json_t *req) {
    const char *app = json_string_value(json_object_get(req, "app_id"));
    const char *challenge = json_string_value(json_object_get(req, "challenge"));
    const char *pem = json_string_value(json_object_get(req, "rsa_pubkey"));
    const char *att = json_string_value(json_object_get(req, "attestation"));
    if (!app || !challenge || !pem || !att) {
        return false;
    }
    uint8_t binding[32], digest[32], sig[80], pub[65], hash[32];
    char binding_hex[65], msg[512];
    size_t sig_len = 0, pub_len = sizeof pub;
    tkms_prim_sha256(binding, (const uint8_t *)pem, strlen(pem)); /* no extra_data here */
    tu_hex(binding_hex, binding, 32);
    int m = snprintf(msg, sizeof msg, "tkms-dev-attest-v1|%s|%s|%s", app, challenge, binding_hex);
    tkms_prim_keccak256(digest, (const uint8_t *)msg, (size_t)m);
    if (tkms_prim_base64_decode(sig, &sig_len, sizeof sig, att, strlen(att)) != TKMS_OK ||
        sig_len != 65 || (sig[64] != 27 && sig[64] != 28)) {
        return false;
    }
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_ecdsa_signature plain;
    secp256k1_pubkey key;
    bool ok = secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, sig[64] - 27) &&
              secp256k1_ecdsa_recover(ctx, &key, &rs, digest) &&
              secp256k1_ec_pubkey_serialize(ctx, pub, &pub_len, &key, SECP256K1_EC_UNCOMPRESSED);
    secp256k1_ecdsa_recoverable_signature_convert(ctx, &plain, &rs);
    ok = ok && secp256k1_ecdsa_signature_normalize(ctx, NULL, &plain) == 0; /* low s */
    secp256k1_context_destroy(ctx);
    tkms_prim_keccak256(hash, pub + 1, 64);
    return ok && memcmp(hash + 12, fx->owner, 20) == 0;
}

static inline char *fx_partial_b64(fx_operator *op, uint32_t k, const char *app, const char *pem) {
    fixture *fx = op->fx;
    tkms_bls_g1 h1, partial;
    tkms_tss_secret s = fx->versions[k].shares[op->index];
    if (op->behaviour == FX_BAD_PARTIAL && (op->bad_mask & (1u << k))) {
        tkms_bls_fr one;
        tkms_bls_fr_from_u64(&one, 1);
        tkms_bls_fr_add(&s.v, &s.v, &one);
    }
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)app, strlen(app)), TKMS_OK);
    tkms_tss_partial_sign(&partial, &s, &h1);
    if (op->behaviour == FX_WRONG_RSA) {
        pem = fx->other_public_pem;
    }
    uint8_t wrapped[TKMS_CLIENT_WRAPPED_BYTES_MAX];
    size_t len = 0;
    assert_int_equal(
        tkms_client_partial_wrap(wrapped, &len, sizeof wrapped, &partial, pem, strlen(pem)),
        TKMS_OK);
    char *b64 = malloc(2 * sizeof wrapped);
    assert_int_equal(tkms_prim_base64_encode(b64, 2 * sizeof wrapped, wrapped, len), TKMS_OK);
    return b64;
}

static inline void fx_secrets_answer(fx_operator *op, json_t *req, fake_reply *out) {
    fixture *fx = op->fx;
    const char *app = json_string_value(json_object_get(req, "app_id"));
    const char *pem = json_string_value(json_object_get(req, "rsa_pubkey"));
    json_t *want = json_object_get(req, "version");
    json_t *partials = json_array();
    for (uint32_t k = 0; k < FX_VERSIONS; k++) {
        if (!(op->serve_mask & (1u << k)) ||
            (want && (uint64_t)json_integer_value(want) != fx->versions[k].version)) {
            continue;
        }
        char *b64 = fx_partial_b64(op, k, app, pem);
        json_array_append_new(partials,
                              json_pack("{s:I,s:s}", "version", (json_int_t)fx->versions[k].version,
                                        "encrypted_partial", b64));
        free(b64);
    }
    uint8_t self[20];
    memcpy(self, fx->addr[op->behaviour == FX_WRONG_ID ? (op->index + 1) % fx->n : op->index], 20);
    char self_hex[TKMS_CLIENT_APP_ID_BYTES];
    self_hex[0] = '0';
    self_hex[1] = 'x';
    tu_hex(self_hex + 2, self, 20);
    json_t *pub =
        json_loads(op->public_env ? op->public_env : "{\"REGION\":\"eu\",\"MODE\":\"x\"}", 0, NULL);
    json_t *ans =
        json_pack("{s:s,s:o,s:s,s:o}", "operator", self_hex, "partials", partials, "encrypted_env",
                  op->env_hex ? op->env_hex : fx->env_hex, "public_env", pub);
    out->status = 200;
    out->body = json_dumps(ans, JSON_COMPACT);
    json_decref(ans);
}

static inline char *fx_hex_alloc(const uint8_t *in, size_t len) {
    char *out = malloc(2 * len + 3);
    out[0] = '0';
    out[1] = 'x';
    tu_hex(out + 2, in, len);
    return out;
}

static inline void fx_json_hex(json_t *o, const char *key, const uint8_t *in, size_t len) {
    char *h = fx_hex_alloc(in, len);
    json_object_set_new(o, key, json_string(h));
    free(h);
}

/* GET /v1/pubkey?version=N as api.md describes it, from the fixture's own sharing. */
static inline void fx_pubkey_answer(fx_operator *op, const char *path, fake_reply *out) {
    fixture *fx = op->fx;
    const char *q = strstr(path, "version=");
    uint64_t want = q ? strtoull(q + 8, NULL, 10) : fx->versions[FX_VERSIONS - 1].version;
    const fx_version *v = NULL;
    for (uint32_t k = 0; k < FX_VERSIONS; k++) {
        v = fx->versions[k].version == want ? &fx->versions[k] : v;
    }
    if (v == NULL) {
        out->status = 404;
        out->body = strdup("{\"error\":{\"code\":\"no_key_version\",\"message\":\"no\"}}");
        return;
    }
    uint8_t enc[TKMS_BLS_G2_BYTES], fr[32];
    json_t *o = json_pack("{s:I,s:I,s:I}", "version", (json_int_t)v->version, "threshold",
                          (json_int_t)v->t, "chain_id", (json_int_t)31337);
    tkms_bls_g2_encode(enc, &fx->mpk);
    fx_json_hex(o, "mpk", enc, sizeof enc);
    fx_json_hex(o, "epoch_log", fx->epoch_log, 20);
    json_t *cs = json_array(), *ds = json_array(), *ops = json_array();
    for (uint32_t k = 0; k < v->t; k++) {
        tkms_bls_g2_encode(enc, &v->combined.c[k]);
        char *h = fx_hex_alloc(enc, sizeof enc);
        json_array_append_new(cs, json_string(h + 2)); /* without 0x: both are accepted */
        free(h);
    }
    for (uint32_t i = 0; i < v->dealer_count; i++) {
        char *h = fx_hex_alloc(v->dealers[i], 20);
        json_array_append_new(ds, json_string(h));
        free(h);
    }
    for (uint32_t j = 0; j < fx->n; j++) {
        tkms_bls_g2 g2, pk;
        tkms_bls_g2_generator(&g2);
        tkms_bls_g2_mul(&pk, &g2, &v->shares[j].v);
        if (op->pubkey_lie && j == 0) {
            tkms_bls_g2_add(&pk, &pk, &g2);
        }
        json_t *e = json_object();
        fx_json_hex(e, "address", fx->addr[j], 20);
        tkms_bls_fr_encode(fr, &fx->x[j]);
        fx_json_hex(e, "x", fr, 32);
        tkms_bls_g2_encode(enc, &pk);
        fx_json_hex(e, "public_share", enc, sizeof enc);
        json_object_set_new(e, "holder", json_true());
        json_object_set_new(e, "app_url", json_string(fx->ops[j].node.url));
        json_array_append_new(ops, e);
    }
    json_object_set_new(o, "commitments", cs);
    json_object_set_new(o, "dealers", ds);
    json_object_set_new(o, "operators", ops);
    out->status = 200;
    out->body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
}

/* /readyz and a /v1/status in the shape of tkmsd's (src/node/api_ops.c). */
static inline void fx_status_answer(fx_operator *op, const char *path, fake_reply *out) {
    fixture *fx = op->fx;
    uint64_t newest = fx->versions[FX_VERSIONS - 1].version;
    out->status = 200;
    if (strcmp(path, "/readyz") == 0) {
        json_t *o = json_pack("{s:s,s:I,s:I}", "status", "ready", "version", (json_int_t)newest,
                              "epoch", (json_int_t)newest + 1);
        out->body = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        return;
    }
    char *self = fx_hex_alloc(fx->addr[op->index], 20);
    json_t *o = json_pack(
        "{s:s,s:I,s:{s:I,s:I,s:b},s:I,s:s,s:[I,I],s:I,s:[]}", "operator", self, "chain_id",
        (json_int_t)31337, "chain", "head", (json_int_t)1000, "final", (json_int_t)999, "live", 1,
        "epoch", (json_int_t)newest + 1, "phase", "revealed", "versions_held", (json_int_t)newest,
        (json_int_t)fx->versions[0].version, "peers_reachable", (json_int_t)fx->n - 1, "peers");
    out->body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    free(self);
}

static void fx_handler(void *ctx, const char *method, const char *path, const char *body,
                       size_t len, fake_reply *out) {
    fx_operator *op = ctx;
    switch (op->behaviour) {
    case FX_HANG:
        out->mode = FAKE_HANG;
        return;
    case FX_HANG_UP:
        out->mode = FAKE_HANG_UP;
        return;
    case FX_HUGE:
        out->mode = FAKE_HUGE;
        out->huge_bytes = TKMS_CLIENT_RESPONSE_BYTES_MAX + 1;
        return;
    case FX_GARBAGE:
        out->status = 200;
        out->body = strdup("{\"operator\": oops");
        return;
    case FX_REFUSE:
        out->status = 409;
        out->body = strdup("{\"error\":{\"code\":\"not_holder\",\"message\":\"holds none\"}}");
        return;
    default:
        break;
    }
    if (strcmp(method, "GET") == 0 && strncmp(path, "/v1/pubkey", 10) == 0) {
        fx_pubkey_answer(op, path, out);
        return;
    }
    if (strcmp(method, "GET") == 0 &&
        (strcmp(path, "/readyz") == 0 || strcmp(path, "/v1/status") == 0)) {
        fx_status_answer(op, path, out);
        return;
    }
    json_t *req = json_loadb(body, len, 0, NULL);
    if (strcmp(method, "POST") != 0 || strcmp(path, "/v1/secrets") != 0 || req == NULL) {
        out->status = 404;
        out->body = strdup("{\"error\":{\"code\":\"not_found\",\"message\":\"no\"}}");
    } else if (op->fx->check_attest && !fx_dev_attest_ok(op->fx, req)) {
        out->status = 401;
        out->body = strdup("{\"error\":{\"code\":\"attestation_invalid\",\"message\":\"no\"}}");
    } else {
        fx_secrets_answer(op, req, out);
    }
    json_decref(req);
}

/* ---- setup ------------------------------------------------------------------------------ */
/* addrs: the operators' addresses (NULL: random ones). */
static inline void fx_init_with(fixture *fx, uint32_t n, uint64_t seed,
                                const uint8_t (*addrs)[20]) {
    memset(fx, 0, sizeof *fx);
    fx->n = n;
    tu_rng_seed(&fx->prng, seed);
    fx->rng = test_rng_make(&fx->prng);
    for (uint32_t i = 0; i < n; i++) {
        if (addrs != NULL) {
            memcpy(fx->addr[i], addrs[i], 20);
        } else {
            tu_rng_bytes(&fx->prng, fx->addr[i], 20);
        }
    }
    for (uint32_t i = 0; i < n; i++) { /* operators in address order, as getNodeInfos() */
        for (uint32_t j = i + 1; j < n; j++) {
            if (memcmp(fx->addr[j], fx->addr[i], 20) < 0) {
                uint8_t t[20];
                memcpy(t, fx->addr[i], 20);
                memcpy(fx->addr[i], fx->addr[j], 20);
                memcpy(fx->addr[j], t, 20);
            }
        }
    }
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(tkms_tss_point_from_address(&fx->x[i], fx->addr[i]), TKMS_OK);
    }
    fx_dkg(fx, &fx->versions[0]);
    fx_reshare(fx, &fx->versions[1], &fx->versions[0], fx->versions[0].t);
    snprintf(fx->app_id, sizeof fx->app_id, "0x5fbdb2315678afecb367f032d93f642f64180aa3");
    fx->env_plain = "DATABASE_URL=postgres://secret\nAPI_KEY=s3cr3t\n";
    uint8_t ct[256 + TKMS_IBE_OVERHEAD_BYTES];
    size_t pt_len = strlen(fx->env_plain);
    assert_int_equal(tkms_ibe_encrypt(ct, sizeof ct, (const uint8_t *)fx->app_id,
                                      strlen(fx->app_id), &fx->mpk, (const uint8_t *)fx->env_plain,
                                      pt_len, &fx->rng),
                     TKMS_OK);
    tu_hex(fx->env_hex, ct, pt_len + TKMS_IBE_OVERHEAD_BYTES);
    for (uint32_t i = 0; i < n; i++) {
        fx->ops[i] = (fx_operator){.fx = fx, .index = i, .serve_mask = 3};
    }
}

static inline void fx_init(fixture *fx, uint32_t n, uint64_t seed) {
    fx_init_with(fx, n, seed, NULL);
}

static inline void fx_start(fixture *fx) {
    for (uint32_t i = 0; i < fx->n; i++) {
        fake_node_start(&fx->ops[i].node, fx_handler, &fx->ops[i]);
    }
}

static inline void fx_stop(fixture *fx) {
    for (uint32_t i = 0; i < fx->n; i++) {
        fake_node_stop(&fx->ops[i].node);
    }
}

/* The public network as a client would read it from chain, pointing at the fake nodes. */
static inline void fx_network(fixture *fx, tkms_client_network *net) {
    memset(net, 0, sizeof *net);
    net->chain_id = 31337;
    net->mpk = fx->mpk;
    net->finalized_version = 2;
    net->retained_count = 2;
    net->retained[0] = 2;
    net->retained[1] = 1;
    net->operator_count = fx->n;
    for (uint32_t i = 0; i < fx->n; i++) {
        memcpy(net->operators[i].address, fx->addr[i], 20);
        snprintf(net->operators[i].app_url, sizeof net->operators[i].app_url, "%s/",
                 fx->ops[i].node.url);
    }
    net->version_load = fx_version_load;
    net->version_ctx = fx;
}

#endif
