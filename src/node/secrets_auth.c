/*
 * secrets_auth.c — steps 3–6 of POST /v1/secrets (see secrets.c for the list): verify the
 * attestation and its binding, check the attested app id and image digest against the
 * chain, then compute and wrap the partials of the held versions.
 *
 * TEE methods go through src/attest exactly as docs/attestation.md asks: HASH binding,
 * JWKS refreshed when due and once more after an unknown kid, failures counted by
 * reason. dev-ecdsa goes through dev_attest.c and the app's on-chain owner; its nonce is
 * spent only after the signer proved to be the owner. The partial σ = s·H1(id) is a
 * secret until wrapped: it lives on the stack and is wiped right after wrapping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "node/http_internal.h"
#include "node/log.h"
#include "prim/prim.h"
#include "tss/tss.h"

#define JWT_HEADER_BYTES_MAX 2048

static void attest_failure_count(node_http *s, const secrets_request *sr, tkms_err err) {
    const char *labels[] = {sr->method_name, tkms_err_name(err)};
    node_metrics_add(s->metrics, NODE_METRIC_ATTEST_FAILURES, labels, 1);
}

/* The kid of a compact JWS header (base64url JSON), for a targeted JWKS refresh. */
static bool jwt_kid(char *kid, size_t kid_max, const uint8_t *jws, size_t len) {
    char b64[JWT_HEADER_BYTES_MAX + 4];
    size_t n = 0;
    for (; n < len && jws[n] != '.' && n < JWT_HEADER_BYTES_MAX; n++) {
        b64[n] = jws[n] == '-' ? '+' : jws[n] == '_' ? '/' : (char)jws[n];
    }
    while (n % 4 != 0) {
        b64[n++] = '=';
    }
    uint8_t header[JWT_HEADER_BYTES_MAX];
    size_t header_len = 0;
    if (tkms_prim_base64_decode(header, &header_len, sizeof header, b64, n) != TKMS_OK) {
        return false;
    }
    json_t *root = json_loadb((const char *)header, header_len, JSON_REJECT_DUPLICATES, NULL);
    const char *value = json_string_value(json_object_get(root, "kid"));
    bool ok = value != NULL && strlen(value) < kid_max;
    if (ok) {
        memcpy(kid, value, strlen(value) + 1);
    }
    json_decref(root);
    return ok;
}

static tkms_err tee_verify(node_http *s, tkms_attest_claims *claims, char *message, size_t max,
                           const secrets_request *sr, int64_t now) {
    tkms_attest_request ar = {0};
    ar.method =
        sr->method == SECRETS_METHOD_GCP ? TKMS_ATTEST_METHOD_GCP : TKMS_ATTEST_METHOD_SEV_SNP;
    ar.evidence = sr->attestation;
    ar.evidence_len = sr->attestation_len;
    ar.init_data = sr->init_data;
    ar.init_data_len = sr->init_data_len;
    ar.binding.kind = TKMS_ATTEST_BINDING_HASH;
    memcpy(ar.binding.hash, sr->binding, 32);
    ar.now = now;
    tkms_attest_error error = {0};
    if (s->jwks != NULL && ar.method == TKMS_ATTEST_METHOD_GCP &&
        tkms_attest_jwks_cache_refresh_if_due(s->jwks, &error, now, NULL) != TKMS_OK) {
        node_log(NODE_LOG_WARN, "http", "jwks_refresh_failed", NODE_LOG_NO_EPOCH, "%s",
                 error.message); /* the previous key set stays in use */
    }
    tkms_err err = tkms_attest_verify(claims, &error, s->attest, &s->policy, &ar);
    char kid[TKMS_ATTEST_KID_BYTES_MAX + 1];
    if (err == TKMS_ERR_ATTEST_JWT_KID_UNKNOWN && s->jwks != NULL &&
        jwt_kid(kid, sizeof kid, sr->attestation, sr->attestation_len) &&
        tkms_attest_jwks_cache_refresh_if_due(s->jwks, &error, now, kid) == TKMS_OK) {
        err = tkms_attest_verify(claims, &error, s->attest, &s->policy, &ar);
    }
    if (err != TKMS_OK) {
        snprintf(message, max, "%s: %s", tkms_err_name(err), error.message);
    }
    return err;
}

/* Steps 3–4 for gcp / sev-snp; the claims' image digest is left in digest. */
static tkms_err authorize_tee(node_http *s, char digest[TKMS_ATTEST_IMAGE_DIGEST_BYTES + 1],
                              char *message, size_t max, const secrets_request *sr) {
    if (sr->method == SECRETS_METHOD_GCP && !s->gcp_enabled) {
        snprintf(message, max, "gcp attestation is not configured on this node (no audience)");
        return TKMS_ERR_NODE_METHOD_DISABLED;
    }
    tkms_attest_claims *claims = NULL;
    if (tkms_attest_claims_new(&claims) != TKMS_OK) {
        snprintf(message, max, "out of memory");
        return TKMS_ERR_NODE_HTTP_OVERLOADED;
    }
    tkms_err err = tee_verify(s, claims, message, max, sr, http_unix_now());
    if (err != TKMS_OK) {
        attest_failure_count(s, sr, err);
    } else if (sr->method == SECRETS_METHOD_GCP && strcmp(claims->app_id, sr->app_id) != 0) {
        char lower[TKMS_ATTEST_APP_ID_BYTES_MAX + 1];
        size_t n = strlen(claims->app_id);
        for (size_t i = 0; i <= n; i++) { /* eigenx app ids may come checksummed */
            char c = claims->app_id[i];
            lower[i] = c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
        }
        if (strcmp(lower, sr->app_id) != 0) {
            snprintf(message, max, "the attestation is for app \"%.64s\", not %s", lower,
                     sr->app_id);
            err = TKMS_ERR_NODE_APP_MISMATCH;
        }
    }
    if (err == TKMS_OK) {
        memcpy(digest, claims->image_digest, sizeof claims->image_digest);
    }
    tkms_attest_claims_free(claims);
    return err;
}

/* Step 3 for dev-ecdsa: the signer must be the app's owner on chain. */
static tkms_err authorize_dev(node_http *s, char *message, size_t max, const secrets_request *sr) {
    if (s->dev == NULL) {
        snprintf(message, max, "dev-ecdsa is not enabled on this node");
        return TKMS_ERR_NODE_METHOD_DISABLED;
    }
    uint8_t signer[20], owner[20], nonce[32];
    int64_t expires = 0, now = http_unix_now();
    tkms_err err =
        dev_attest_recover(signer, nonce, &expires, message, max, sr->app_id, sr->challenge,
                           sr->attestation, sr->attestation_len, sr->binding, now);
    if (err == TKMS_OK) {
        err = node_chain_reader_app_owner(s->chain, owner, sr->app);
        if (err != TKMS_OK) {
            snprintf(message, max, "owner of %s: %s", sr->app_id, tkms_err_name(err));
            return err; /* not an attestation failure */
        }
    }
    if (err == TKMS_OK && memcmp(signer, owner, 20) != 0) {
        char hex[43];
        http_hex(hex, signer, 20, true);
        snprintf(message, max, "signer %s is not the owner of %s", hex, sr->app_id);
        err = TKMS_ERR_NODE_DEV_NOT_OWNER;
    }
    if (err == TKMS_OK && (err = dev_attest_nonce_use(s->dev, nonce, expires, now)) != TKMS_OK) {
        snprintf(message, max, "challenge nonce already used");
    }
    if (err != TKMS_OK) {
        attest_failure_count(s, sr, err);
    }
    return err;
}

/* Step 5 (and the release's own validity: public_env must be a JSON object). */
static tkms_err release_check(node_http *s, node_release *release, const char *digest,
                              char *message, size_t max, const secrets_request *sr) {
    tkms_err err = node_chain_reader_latest_release(s->chain, release, sr->app);
    if (err != TKMS_OK) {
        snprintf(message, max, "latest release of %s: %s", sr->app_id, tkms_err_name(err));
        return err;
    }
    char released[TKMS_ATTEST_IMAGE_DIGEST_BYTES + 1] = "sha256:";
    http_hex(released + 7, release->image_digest, 32, false);
    if (digest != NULL && strcmp(digest, released) != 0) {
        snprintf(message, max, "attested image %.71s is not the latest release (%s)", digest,
                 released);
        return TKMS_ERR_NODE_IMAGE_NOT_RELEASED;
    }
    if (release->public_env_len > 0) {
        json_t *env = json_loadb((const char *)release->public_env, release->public_env_len,
                                 JSON_REJECT_DUPLICATES, NULL);
        bool ok = json_is_object(env);
        const char *key;
        json_t *value;
        json_object_foreach(env, key, value) {
            ok = ok && json_is_string(value); /* api.md: {"KEY":"value",…} */
        }
        json_decref(env);
        if (!ok) {
            snprintf(message, max, "release %llu of %s: public_env is not a JSON object of strings",
                     (unsigned long long)release->release_id, sr->app_id);
            return TKMS_ERR_NODE_RELEASE_INVALID;
        }
    }
    return TKMS_OK;
}

tkms_err secrets_authorize(node_http *s, http_request *req, node_release *release, char *message,
                           size_t max, const secrets_request *sr) {
    (void)req;
    char digest[TKMS_ATTEST_IMAGE_DIGEST_BYTES + 1] = "";
    tkms_err err = sr->method == SECRETS_METHOD_DEV_ECDSA
                       ? authorize_dev(s, message, max, sr)
                       : authorize_tee(s, digest, message, max, sr);
    if (err != TKMS_OK) {
        return err;
    }
    bool dev = sr->method == SECRETS_METHOD_DEV_ECDSA; /* no code identity to compare */
    return release_check(s, release, dev ? NULL : digest, message, max, sr);
}

/* ---- step 6: partials ------------------------------------------------------------------- */

static bool version_in(const uint64_t *list, uint32_t count, uint64_t v) {
    for (uint32_t i = 0; i < count; i++) {
        if (list[i] == v) {
            return true;
        }
    }
    return false;
}

static void held_list(char *out, size_t max, const node_snapshot *snap) {
    size_t len = (size_t)snprintf(out, max, "[");
    for (uint32_t i = 0; i < snap->version_count && len + 24 < max; i++) {
        len += (size_t)snprintf(out + len, max - len, "%s%llu", i > 0 ? "," : "",
                                (unsigned long long)snap->versions[i].version);
    }
    snprintf(out + len, max - len, "]");
}

/* Indices of the versions to serve (protocol.md §5), or the error. */
static tkms_err versions_choose(size_t *idx, uint32_t *count, char *message, size_t max,
                                const node_snapshot *snap, const secrets_request *sr) {
    char held[256];
    held_list(held, sizeof held, snap);
    *count = 0;
    for (uint32_t i = 0; i < snap->version_count; i++) {
        bool wanted = sr->has_version ? snap->versions[i].version == sr->version
                                      : *count < SECRETS_VERSIONS_DEFAULT;
        if (wanted) {
            idx[(*count)++] = i;
        }
    }
    if (*count > 0) {
        return TKMS_OK;
    }
    if (!sr->has_version && !snap->network_has_version) {
        snprintf(message, max, "the network has no finalized key version yet");
        return TKMS_ERR_NODE_NO_FINALIZED_VERSION;
    }
    if (sr->has_version && !version_in(snap->retained, snap->retained_count, sr->version)) {
        snprintf(message, max, "version %llu never finalized or was erased",
                 (unsigned long long)sr->version);
        return TKMS_ERR_NODE_NO_KEY_VERSION;
    }
    snprintf(message, max, "this node holds none of the requested versions; it holds %s", held);
    return TKMS_ERR_NODE_NOT_HOLDER;
}

static tkms_err partial_wrap(char *b64, size_t b64_max, const tkms_tss_secret *share,
                             const tkms_bls_g1 *h1, const secrets_request *sr) {
    tkms_bls_g1 sigma;
    uint8_t wrapped[TKMS_CLIENT_WRAPPED_BYTES_MAX];
    size_t wrapped_len = 0;
    tkms_tss_partial_sign(&sigma, share, h1);
    tkms_err err = tkms_client_partial_wrap(wrapped, &wrapped_len, sizeof wrapped, &sigma,
                                            sr->rsa_pubkey, sr->rsa_pubkey_len);
    tkms_wipe(&sigma, sizeof sigma);
    if (err == TKMS_OK) {
        err = tkms_prim_base64_encode(b64, b64_max, wrapped, wrapped_len);
    }
    return err;
}

tkms_err secrets_partials_compute(node_http *s, secrets_partials *out, char *message, size_t max,
                                  const secrets_request *sr) {
    memset(out, 0, sizeof *out);
    const node_snapshot *snap = node_snapshot_acquire(s->snapshots);
    if (snap == NULL) {
        snprintf(message, max, "the node has not loaded its state yet");
        return TKMS_ERR_NODE_NOT_READY;
    }
    size_t idx[TKMS_PROTO_VERSIONS_MAX];
    uint32_t count = 0;
    tkms_err err = versions_choose(idx, &count, message, max, snap, sr);
    tkms_bls_g1 h1;
    if (err == TKMS_OK &&
        (err = h1_cache_get(s->h1, &h1, sr->app_id, strlen(sr->app_id))) != TKMS_OK) {
        snprintf(message, max, "H1(app_id): %s", tkms_err_name(err));
        err = TKMS_ERR_NODE_HTTP_INTERNAL; /* app ids are 42 bytes: H1 cannot fail */
    }
    TKMS_ASSERT(err != TKMS_OK || count <= SECRETS_VERSIONS_DEFAULT);
    for (uint32_t i = 0; err == TKMS_OK && i < count; i++) {
        const node_version *v = &snap->versions[idx[i]];
        err = partial_wrap(out->wrapped_b64[i], SECRETS_WRAPPED_B64_BYTES, &v->share, &h1, sr);
        out->version[i] = v->version;
        if (err != TKMS_OK) { /* the key passed the same checks in step 1 */
            snprintf(message, max, "wrapping the partial: %s", tkms_err_name(err));
            err = TKMS_ERR_NODE_HTTP_INTERNAL;
        }
    }
    out->count = err == TKMS_OK ? count : 0;
    memcpy(out->operator_address, snap->self, 20);
    node_snapshot_release(s->snapshots, snap);
    return err;
}
