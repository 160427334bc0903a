/*
 * api_app.c — the app-facing endpoints of api.md: GET /v1/pubkey (the public state of the
 * newest, or a named, held version, straight from the published snapshot) and
 * POST /v1/secrets (parse → authorize → partials → render; the steps are in secrets.c and
 * secrets_auth.c). Handlers only: the generic checks ran in http.c before them.
 *
 * Encodings in answers: addresses "0x" + 40 lowercase hex; points, scalars and ciphertexts
 * lowercase hex without prefix (api.md's "<hex …>"); wrapped partials standard base64.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bls/bls.h"
#include "common/tkms_assert.h"
#include "node/http_internal.h"

/* ---- GET /v1/pubkey ------------------------------------------------------------------- */

static json_t *hex_json(const uint8_t *bytes, size_t len, bool prefix) {
    char buf[2 * TKMS_PROTO_COMMITMENT_BYTES + 3];
    TKMS_ASSERT(2 * len + 3 <= sizeof buf);
    http_hex(buf, bytes, len, prefix);
    return json_string(buf);
}

static json_t *operators_json(const node_version *v) {
    json_t *ops = json_array();
    for (uint32_t i = 0; ops != NULL && i < v->operator_count; i++) {
        const node_operator *op = &v->operators[i];
        uint8_t x[TKMS_BLS_FR_BYTES];
        tkms_bls_fr_encode(x, &op->x);
        json_array_append_new(
            ops, json_pack("{s:o,s:o,s:o,s:b,s:o}", "address", hex_json(op->address, 20, true), "x",
                           hex_json(x, sizeof x, false), "public_share",
                           hex_json(op->public_share, TKMS_PROTO_COMMITMENT_BYTES, false), "holder",
                           1, "app_url", http_text_json(op->app_url, sizeof op->app_url)));
    }
    return ops;
}

static json_t *pubkey_json(const node_snapshot *snap, const node_version *v) {
    json_t *commitments = json_array(), *dealers = json_array(), *held = json_array();
    for (uint16_t k = 0; k < v->commitments.t && k < TKMS_TSS_THRESHOLD_MAX; k++) {
        json_array_append_new(commitments,
                              hex_json(v->commitments.c[k], TKMS_PROTO_COMMITMENT_BYTES, false));
    }
    for (uint32_t i = 0; i < v->dealer_count && i < TKMS_PROTO_OPERATORS_MAX; i++) {
        json_array_append_new(dealers, hex_json(v->dealers[i], 20, true));
    }
    for (uint32_t i = 0; i < snap->version_count; i++) {
        json_array_append_new(held, json_integer((json_int_t)snap->versions[i].version));
    }
    /* MPK = C_0 of every version (reshares keep it); the snapshot's copy when bound */
    const uint8_t *mpk = snap->has_mpk ? snap->mpk : v->commitments.c[0];
    return json_pack("{s:I,s:I,s:i,s:o,s:o,s:o,s:o,s:o,s:I,s:o}", "version", (json_int_t)v->version,
                     "activated_at", (json_int_t)v->activated_at, "threshold", (int)v->t, "mpk",
                     hex_json(mpk, TKMS_PROTO_COMMITMENT_BYTES, false), "commitments", commitments,
                     "dealers", dealers, "operators", operators_json(v), "held_versions", held,
                     "chain_id", (json_int_t)snap->chain_id, "epoch_log",
                     hex_json(snap->epoch_log, 20, true));
}

/* ?version=N: 1..20 decimal digits without overflow. */
static bool version_query(uint64_t *out, const char *text) {
    size_t n = strlen(text);
    if (n == 0 || n > 20 || strspn(text, "0123456789") != n) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = (uint64_t)(text[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

void api_pubkey(http_request *req, http_reply *reply) {
    node_http *s = req->server;
    const char *q = http_query(req, "version");
    secrets_request want = {0}; /* only has_version/version: the selection rules of §5 */
    if (q != NULL && !version_query(&want.version, q)) {
        http_reply_error(reply, TKMS_ERR_NODE_HTTP_BAD_REQUEST, "version must be a number");
        return;
    }
    want.has_version = q != NULL;
    const node_snapshot *snap = node_snapshot_acquire(s->snapshots);
    if (snap == NULL) {
        http_reply_error(reply, TKMS_ERR_NODE_NOT_READY, "the node has not loaded its state yet");
        return;
    }
    const node_version *v = NULL;
    for (uint32_t i = 0; i < snap->version_count && v == NULL; i++) {
        v = !want.has_version || snap->versions[i].version == want.version ? &snap->versions[i]
                                                                           : NULL;
    }
    bool retained = false;
    for (uint32_t i = 0; i < snap->retained_count; i++) {
        retained = retained || snap->retained[i] == want.version;
    }
    if (v != NULL) {
        http_reply_json(reply, 200, pubkey_json(snap, v));
    } else if (!want.has_version) {
        http_reply_error(reply,
                         snap->network_has_version ? TKMS_ERR_NODE_NOT_HOLDER
                                                   : TKMS_ERR_NODE_NO_FINALIZED_VERSION,
                         snap->network_has_version
                             ? "this node holds no key version"
                             : "the network has no finalized key version yet");
    } else {
        http_reply_error(reply, retained ? TKMS_ERR_NODE_NOT_HOLDER : TKMS_ERR_NODE_NO_KEY_VERSION,
                         retained ? "version %llu is retained but not held by this node"
                                  : "version %llu never finalized or was erased",
                         (unsigned long long)want.version);
    }
    node_snapshot_release(s->snapshots, snap);
}

/* ---- POST /v1/secrets --------------------------------------------------------------------- */

static json_t *secrets_json(const secrets_request *sr, const node_release *release,
                            const secrets_partials *parts) {
    json_t *partials = json_array();
    for (uint32_t i = 0; i < parts->count; i++) {
        json_array_append_new(partials,
                              json_pack("{s:I,s:s}", "version", (json_int_t)parts->version[i],
                                        "encrypted_partial", parts->wrapped_b64[i]));
    }
    char *env_hex = malloc(2 * release->encrypted_env_len + 1);
    if (env_hex != NULL) {
        http_hex(env_hex, release->encrypted_env, release->encrypted_env_len, false);
    }
    json_t *public_env = release->public_env_len == 0
                             ? json_object()
                             : json_loadb((const char *)release->public_env,
                                          release->public_env_len, JSON_REJECT_DUPLICATES, NULL);
    json_t *out =
        json_pack("{s:o,s:o,s:s?,s:o,s:s}", "operator", hex_json(parts->operator_address, 20, true),
                  "partials", partials, "encrypted_env", env_hex, "public_env", public_env,
                  "extra_data", sr->extra_data_b64);
    bool complete = env_hex != NULL;
    free(env_hex);
    if (!complete) {
        json_decref(out);
        return NULL; /* http_reply_json answers 500 out of memory */
    }
    return out;
}

void api_secrets(http_request *req, http_reply *reply) {
    node_http *s = req->server;
    char message[512] = "";
    secrets_request sr;
    secrets_partials parts;
    node_release *release = NULL;
    tkms_err err = secrets_request_parse(&sr, message, sizeof message, req->body, req->body_len);
    req->attest_method = sr.method_name;
    uint32_t retry_after_s = 0;
    if (err == TKMS_OK && !limits_app_take(s->limits, sr.app, http_now_us(), &retry_after_s)) {
        snprintf(message, sizeof message, "too many requests for app %s", sr.app_id);
        reply->retry_after_s = retry_after_s;
        err = TKMS_ERR_NODE_HTTP_RATE_LIMITED;
    }
    if (err == TKMS_OK && (release = malloc(sizeof *release)) == NULL) {
        snprintf(message, sizeof message, "out of memory");
        err = TKMS_ERR_NODE_HTTP_OVERLOADED;
    }
    if (err == TKMS_OK) {
        err = secrets_authorize(s, req, release, message, sizeof message, &sr);
    }
    if (err == TKMS_OK) {
        err = secrets_partials_compute(s, &parts, message, sizeof message, &sr);
    }
    if (err == TKMS_OK) {
        req->partials = parts.count;
        node_metrics_add(s->metrics, NODE_METRIC_PARTIALS_SERVED, NULL, parts.count);
        http_reply_json(reply, 200, secrets_json(&sr, release, &parts));
    } else {
        http_reply_error(reply, err, "%s", message);
    }
    free(release);
    secrets_request_clear(&sr);
}
