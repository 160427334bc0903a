/*
 * attest_gcp.c — the "gcp" method: a Google Confidential Space OIDC token (RS256 JWS) whose
 * key comes from the context's JWKS cache, checked claim by claim in the order listed in
 * attest.h against the policy (claim names: Google's "Attestation token claims" reference).
 * The app id comes from submods.gce.instance_name (its last '-'-separated part by default)
 * or from a configured claim; the image digest from submods.container.image_digest; the
 * binding from eat_nonce (a string, or an array of up to 6 strings). Accepted tokens are
 * remembered in the replay cache by (iss, sub, iat, nonces), or by jti when present, until
 * exp + skew.
 */
#include <string.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

#define DEBUG_DISABLED "disabled-since-boot"

static tkms_err claim_mismatch(tkms_attest_error *error, tkms_err code, const char *claim,
                               const char *expected, const json_t *found) {
    char q[ATTEST_QUOTE_BYTES];
    if (json_is_string(found)) {
        attest_quote(q, json_string_value(found), json_string_length(found));
    } else {
        snprintf(q, sizeof q, "%s", found == NULL ? "(absent)" : "(not a string)");
    }
    return attest_fail(error, code, "%s: expected %s, found %s", claim, expected, q);
}

static bool string_is(const json_t *v, const char *s) {
    return json_is_string(v) && json_string_length(v) == strlen(s) &&
           strcmp(json_string_value(v), s) == 0;
}

static tkms_err check_issuer_audience(tkms_attest_claims *claims, tkms_attest_error *error,
                                      const tkms_attest_policy *policy, const json_t *p) {
    const json_t *iss = json_object_get(p, "iss");
    if (!string_is(iss, TKMS_ATTEST_GCP_ISSUER)) {
        return claim_mismatch(error, TKMS_ERR_ATTEST_JWT_ISSUER_MISMATCH, "iss",
                              "\"" TKMS_ATTEST_GCP_ISSUER "\"", iss);
    }
    if (policy->gcp.audience_count == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_POLICY_INVALID,
                           "policy: gcp.audiences is empty (an audience is required)");
    }
    const json_t *aud = json_object_get(p, "aud");
    if (json_is_array(aud) && json_array_size(aud) == 1) {
        aud = json_array_get(aud, 0); /* a one-element array is the same audience */
    }
    for (size_t i = 0; i < policy->gcp.audience_count; i++) {
        if (string_is(aud, policy->gcp.audiences[i])) {
            snprintf(claims->gcp.audience, sizeof claims->gcp.audience, "%s",
                     policy->gcp.audiences[i]);
            return TKMS_OK;
        }
    }
    char want[ATTEST_QUOTE_BYTES + 32];
    attest_quote_str(want, policy->gcp.audiences[0]);
    if (policy->gcp.audience_count > 1) {
        strcat(want, " or another configured audience");
    }
    return claim_mismatch(error, TKMS_ERR_ATTEST_JWT_AUDIENCE_MISMATCH, "aud (exactly one)", want,
                          aud);
}

static tkms_err check_time(tkms_attest_claims *claims, tkms_attest_error *error,
                           const tkms_attest_policy *policy, const json_t *p, int64_t now) {
    const json_t *iat = json_object_get(p, "iat"), *nbf = json_object_get(p, "nbf"),
                 *exp = json_object_get(p, "exp");
    if (!json_is_integer(iat) || !json_is_integer(exp) || (nbf && !json_is_integer(nbf))) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_TIME_CLAIM_INVALID,
                           "iat and exp must be integers (and nbf, when present)");
    }
    const int64_t t_iat = json_integer_value(iat), t_exp = json_integer_value(exp);
    const int64_t t_nbf = nbf ? json_integer_value(nbf) : t_iat;
    const int64_t skew = policy->clock_skew_s;
    char a[32], b[32], n[32];
    attest_time_format(a, t_nbf);
    attest_time_format(b, t_exp);
    attest_time_format(n, now);
    if (t_exp <= t_iat || t_nbf > t_exp || t_iat < 0 || t_exp > INT64_MAX / 2) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_TIME_CLAIM_INVALID,
                           "exp (%s) must be after iat and nbf", b);
    }
    if (now + skew < t_nbf) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_NOT_YET_VALID,
                           "nbf: valid from %s, now %s (skew %llds)", a, n, (long long)skew);
    }
    if (now - skew >= t_exp) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_EXPIRED,
                           "exp: valid until %s, now %s (skew %llds)", b, n, (long long)skew);
    }
    if (t_iat > now + skew) {
        attest_time_format(a, t_iat);
        return attest_fail(error, TKMS_ERR_ATTEST_JWT_ISSUED_IN_FUTURE,
                           "iat: issued at %s, after now %s (skew %llds)", a, n, (long long)skew);
    }
    claims->has_time = true;
    claims->issued_at = t_iat;
    claims->not_before = t_nbf;
    claims->expires_at = t_exp;
    return TKMS_OK;
}

static tkms_err check_platform(tkms_attest_claims *claims, tkms_attest_error *error,
                               const tkms_attest_policy *policy, const json_t *p) {
    const json_t *swname = json_object_get(p, "swname");
    if (!string_is(swname, "CONFIDENTIAL_SPACE")) {
        return claim_mismatch(error, TKMS_ERR_ATTEST_GCP_SWNAME_MISMATCH, "swname",
                              "\"CONFIDENTIAL_SPACE\"", swname);
    }
    const json_t *hw = json_object_get(p, "hwmodel");
    bool allowed = false;
    for (size_t i = 0; i < policy->gcp.hwmodel_count && !allowed; i++) {
        allowed = string_is(hw, policy->gcp.hwmodels[i]);
    }
    if (!allowed) {
        return claim_mismatch(error, TKMS_ERR_ATTEST_GCP_HWMODEL_NOT_ALLOWED, "hwmodel",
                              "one of the policy's gcp.hwmodels", hw);
    }
    const json_t *dbg = json_object_get(p, "dbgstat");
    claims->platform.debug = !string_is(dbg, DEBUG_DISABLED);
    if (claims->platform.debug && !policy->gcp.allow_debug) {
        return claim_mismatch(error, TKMS_ERR_ATTEST_GCP_DEBUG_ENABLED, "dbgstat",
                              "\"" DEBUG_DISABLED "\"", dbg);
    }
    const json_t *secboot = json_object_get(p, "secboot");
    claims->gcp.secure_boot = json_is_true(secboot);
    if (policy->gcp.require_secure_boot && !claims->gcp.secure_boot) {
        return attest_fail(error, TKMS_ERR_ATTEST_GCP_SECURE_BOOT_OFF,
                           "secboot: expected true, found %s",
                           secboot == NULL ? "(absent)" : "another value");
    }
    attest_json_copy_string(claims->platform.hardware_model, sizeof claims->platform.hardware_model,
                            p, "hwmodel");
    attest_json_copy_string(claims->gcp.swname, sizeof claims->gcp.swname, p, "swname");
    if (!attest_json_copy_string(claims->gcp.dbgstat, sizeof claims->gcp.dbgstat, p, "dbgstat")) {
        claims->gcp.dbgstat[0] = 0;
    }
    attest_json_copy_string(claims->platform.tcb, sizeof claims->platform.tcb,
                            attest_json_path(p, "tdx"), "gcp_attester_tcb_status");
    return TKMS_OK;
}

static tkms_err check_support(tkms_attest_claims *claims, tkms_attest_error *error,
                              const tkms_attest_policy *policy, const json_t *p) {
    const json_t *attrs = attest_json_path(p, "submods.confidential_space.support_attributes");
    if (json_is_array(attrs)) {
        for (size_t i = 0; i < json_array_size(attrs) && i < 16; i++) {
            const json_t *a = json_array_get(attrs, i);
            claims->gcp.support_latest |= string_is(a, "LATEST");
            claims->gcp.support_stable |= string_is(a, "STABLE");
            claims->gcp.support_usable |= string_is(a, "USABLE");
        }
    }
    if (policy->gcp.require_stable && !claims->gcp.support_stable) {
        return attest_fail(error, TKMS_ERR_ATTEST_GCP_STABLE_MISSING,
                           "submods.confidential_space.support_attributes: expected to contain "
                           "\"STABLE\", found %s",
                           attrs == NULL ? "(absent)" : "no STABLE");
    }
    return TKMS_OK;
}

/* swversion: an array of decimal strings (YYYYMM##); every entry ≥ the minimum. */
static tkms_err check_swversion(tkms_attest_claims *claims, tkms_attest_error *error,
                                const tkms_attest_policy *policy, const json_t *p) {
    const json_t *sw = json_object_get(p, "swversion");
    const json_t *one = json_is_string(sw) ? sw : NULL;
    const size_t count = one ? 1 : json_is_array(sw) ? json_array_size(sw) : 0;
    if (count == 0 || count > 8) {
        if (policy->gcp.swversion_min == 0 && sw == NULL) {
            return TKMS_OK;
        }
        return attest_fail(error, TKMS_ERR_ATTEST_GCP_SWVERSION_TOO_OLD,
                           "swversion: expected 1..8 decimal versions >= %u, found %s",
                           policy->gcp.swversion_min, sw == NULL ? "(absent)" : "another shape");
    }
    for (size_t i = 0; i < count; i++) {
        const json_t *v = one ? one : json_array_get(sw, i);
        const char *s = json_is_string(v) ? json_string_value(v) : "";
        const size_t n = json_is_string(v) ? json_string_length(v) : 0;
        uint64_t value = 0;
        bool digits = n > 0 && n <= 9;
        for (size_t k = 0; k < n && digits; k++) {
            digits = s[k] >= '0' && s[k] <= '9';
            value = value * 10 + (uint64_t)(s[k] - '0');
        }
        if (!digits || value < policy->gcp.swversion_min) {
            char q[ATTEST_QUOTE_BYTES];
            attest_quote(q, s, n);
            return attest_fail(error, TKMS_ERR_ATTEST_GCP_SWVERSION_TOO_OLD,
                               "swversion[%zu]: expected a decimal version >= %u, found %s", i,
                               policy->gcp.swversion_min, q);
        }
        if (i == 0) {
            claims->gcp.swversion = (uint32_t)value;
        }
    }
    return TKMS_OK;
}

static tkms_err check_project(tkms_attest_claims *claims, tkms_attest_error *error,
                              const tkms_attest_policy *policy, const json_t *p) {
    const json_t *gce = attest_json_path(p, "submods.gce");
    const bool has = attest_json_copy_string(claims->gcp.project_id, sizeof claims->gcp.project_id,
                                             gce, "project_id");
    if (policy->gcp.project_count == 0) {
        return TKMS_OK;
    }
    for (size_t i = 0; i < policy->gcp.project_count && has; i++) {
        if (strcmp(claims->gcp.project_id, policy->gcp.projects[i]) == 0) {
            return TKMS_OK;
        }
    }
    return claim_mismatch(error, TKMS_ERR_ATTEST_GCP_PROJECT_NOT_ALLOWED, "submods.gce.project_id",
                          "one of the policy's gcp.projects", json_object_get(gce, "project_id"));
}

static bool digest_ok(const char *s) {
    if (strlen(s) != TKMS_ATTEST_IMAGE_DIGEST_BYTES || strncmp(s, "sha256:", 7) != 0) {
        return false;
    }
    for (size_t i = 7; i < TKMS_ATTEST_IMAGE_DIGEST_BYTES; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return false;
        }
    }
    return true;
}

static tkms_err check_image(tkms_attest_claims *claims, tkms_attest_error *error,
                            const tkms_attest_policy *policy, const json_t *p) {
    (void)policy;
    const json_t *container = attest_json_path(p, "submods.container");
    if (!attest_json_copy_string(claims->image_digest, sizeof claims->image_digest, container,
                                 "image_digest") ||
        !digest_ok(claims->image_digest)) {
        claims->image_digest[0] = 0;
        return claim_mismatch(error, TKMS_ERR_ATTEST_GCP_IMAGE_DIGEST_INVALID,
                              "submods.container.image_digest", "\"sha256:<64 lowercase hex>\"",
                              json_object_get(container, "image_digest"));
    }
    return TKMS_OK;
}

static tkms_err app_id(tkms_attest_claims *claims, tkms_attest_error *error,
                       const tkms_attest_policy *policy, const json_t *p) {
    const char *path = policy->gcp.app_id_source == TKMS_ATTEST_GCP_APP_ID_CLAIM
                           ? policy->gcp.app_id_claim
                           : "submods.gce.instance_name";
    const json_t *v = attest_json_path(p, path);
    const char *s = json_is_string(v) ? json_string_value(v) : "";
    size_t n = json_is_string(v) ? json_string_length(v) : 0;
    if (policy->gcp.app_id_source == TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME_SUFFIX) {
        const char *dash = memrchr(s, '-', n);
        if (dash != NULL) {
            n -= (size_t)(dash + 1 - s);
            s = dash + 1;
        }
    }
    if (n == 0 || n > TKMS_ATTEST_APP_ID_BYTES_MAX || memchr(s, 0, n) != NULL) {
        return claim_mismatch(error, TKMS_ERR_ATTEST_GCP_APP_ID_MISSING, path,
                              "a string holding the app id", v);
    }
    memcpy(claims->app_id, s, n);
    claims->app_id[n] = 0;
    return TKMS_OK;
}

/* eat_nonce: a string or 1..6 strings of 8..88 bytes; one must carry the binding. */
static tkms_err check_nonce(tkms_attest_claims *claims, tkms_attest_error *error,
                            const tkms_attest_binding *binding, const json_t *p) {
    const json_t *nonce = json_object_get(p, "eat_nonce");
    if (nonce == NULL) {
        if (binding->kind == TKMS_ATTEST_BINDING_NONE) {
            return TKMS_OK;
        }
        return attest_fail(error, TKMS_ERR_ATTEST_GCP_NONCE_MISSING,
                           "eat_nonce: absent, but it must carry the binding");
    }
    const size_t count = json_is_string(nonce)  ? 1
                         : json_is_array(nonce) ? json_array_size(nonce)
                                                : 0;
    if (count == 0 || count > TKMS_ATTEST_NONCE_COUNT_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_GCP_NONCE_INVALID,
                           "eat_nonce: expected a string or 1..%d strings",
                           TKMS_ATTEST_NONCE_COUNT_MAX);
    }
    char want[2 * TKMS_ATTEST_BINDING_BYTES + 1];
    attest_hex(want, binding->hash, TKMS_ATTEST_BINDING_BYTES);
    const char *w =
        binding->kind == TKMS_ATTEST_BINDING_EXACT ? (const char *)binding->exact : want;
    const size_t w_len =
        binding->kind == TKMS_ATTEST_BINDING_EXACT ? binding->exact_len : strlen(want);
    for (size_t i = 0; i < count; i++) {
        const json_t *v = json_is_string(nonce) ? nonce : json_array_get(nonce, i);
        const size_t n = json_is_string(v) ? json_string_length(v) : 0;
        if (n < TKMS_ATTEST_NONCE_BYTES_MIN || n > TKMS_ATTEST_NONCE_BYTES_MAX) {
            return attest_fail(error, TKMS_ERR_ATTEST_GCP_NONCE_INVALID,
                               "eat_nonce[%zu]: expected a string of %d..%d bytes", i,
                               TKMS_ATTEST_NONCE_BYTES_MIN, TKMS_ATTEST_NONCE_BYTES_MAX);
        }
        const bool match = binding->kind == TKMS_ATTEST_BINDING_NONE
                               ? i == 0
                               : n == w_len && memcmp(json_string_value(v), w, n) == 0;
        if (match && claims->nonce[0] == 0) {
            memcpy(claims->nonce, json_string_value(v), n);
            claims->nonce[n] = 0;
        }
    }
    if (claims->nonce[0] == 0 && binding->kind != TKMS_ATTEST_BINDING_NONE) {
        char q[ATTEST_QUOTE_BYTES], f[ATTEST_QUOTE_BYTES];
        attest_quote(q, w, w_len);
        const json_t *first = json_is_string(nonce) ? nonce : json_array_get(nonce, 0);
        attest_quote(f, json_string_value(first), json_string_length(first));
        return attest_fail(error, TKMS_ERR_ATTEST_BINDING_MISMATCH,
                           "eat_nonce: expected an entry %s%s, found %s%s", q,
                           binding->kind == TKMS_ATTEST_BINDING_HASH
                               ? " = hex(sha256(rsa_pubkey ‖ extra_data))"
                               : "",
                           f, count > 1 ? " and others" : "");
    }
    return TKMS_OK;
}

/* Container policy fields into the claims arena. */
static tkms_err fill_container(tkms_attest_claims *claims, tkms_attest_error *error,
                               const json_t *p) {
    const json_t *c = attest_json_path(p, "submods.container");
    if (!json_is_object(c)) {
        return TKMS_OK;
    }
    claims->container.present = true;
    attest_json_copy_string(claims->container.restart_policy,
                            sizeof claims->container.restart_policy, c, "restart_policy");
    attest_json_copy_string(claims->image_reference, sizeof claims->image_reference, c,
                            "image_reference");
    attest_json_copy_string(claims->gcp.image_id, sizeof claims->gcp.image_id, c, "image_id");
    const json_t *args = json_object_get(c, "args");
    const json_t *env = json_object_get(c, "env");
    if ((args &&
         (!json_is_array(args) || json_array_size(args) > TKMS_ATTEST_CONTAINER_ARGS_MAX)) ||
        (env && (!json_is_object(env) || json_object_size(env) > TKMS_ATTEST_CONTAINER_ENV_MAX))) {
        return attest_fail(error, TKMS_ERR_ATTEST_CLAIMS_TOO_LARGE,
                           "submods.container: args (<= %d strings) or env (<= %d entries) too "
                           "large or malformed",
                           TKMS_ATTEST_CONTAINER_ARGS_MAX, TKMS_ATTEST_CONTAINER_ENV_MAX);
    }
    for (size_t i = 0; i < json_array_size(args); i++) {
        const json_t *a = json_array_get(args, i);
        const char *s = json_is_string(a) ? attest_claims_strdup(claims, json_string_value(a),
                                                                 json_string_length(a))
                                          : NULL;
        if (s == NULL) {
            return attest_fail(error, TKMS_ERR_ATTEST_CLAIMS_TOO_LARGE,
                               "submods.container.args[%zu]: not a string or no room", i);
        }
        claims->container.args[claims->container.arg_count++] = s;
    }
    const char *name;
    const json_t *value;
    json_object_foreach((json_t *)env, name, value) {
        const size_t k = claims->container.env_count;
        claims->container.env_names[k] = attest_claims_strdup(claims, name, strlen(name));
        claims->container.env_values[k] =
            json_is_string(value)
                ? attest_claims_strdup(claims, json_string_value(value), json_string_length(value))
                : NULL;
        if (claims->container.env_names[k] == NULL || claims->container.env_values[k] == NULL) {
            return attest_fail(error, TKMS_ERR_ATTEST_CLAIMS_TOO_LARGE,
                               "submods.container.env: a value is not a string or no room");
        }
        claims->container.env_count++;
    }
    return TKMS_OK;
}

static void fill_gce(tkms_attest_claims *claims, const attest_jwt *jwt) {
    const json_t *gce = attest_json_path(jwt->payload, "submods.gce");
    attest_json_copy_string(claims->gcp.project_number, sizeof claims->gcp.project_number, gce,
                            "project_number");
    attest_json_copy_string(claims->gcp.zone, sizeof claims->gcp.zone, gce, "zone");
    attest_json_copy_string(claims->gcp.instance_name, sizeof claims->gcp.instance_name, gce,
                            "instance_name");
    attest_json_copy_string(claims->gcp.instance_id, sizeof claims->gcp.instance_id, gce,
                            "instance_id");
    attest_json_copy_string(claims->gcp.jti, sizeof claims->gcp.jti, jwt->payload, "jti");
    memcpy(claims->gcp.kid, jwt->kid, sizeof claims->gcp.kid);
}

/* The replay key: jti when present, else (iss, sub, iat, every nonce). */
static void replay_key(uint8_t key[32], const json_t *p) {
    json_t *parts = json_array();
    TKMS_ASSERT(parts != NULL);
    const json_t *jti = json_object_get(p, "jti");
    json_array_append(parts, json_object_get(p, "iss"));
    if (json_is_string(jti)) {
        json_array_append(parts, (json_t *)jti);
    } else {
        json_array_append(parts, json_object_get(p, "sub"));
        json_array_append(parts, json_object_get(p, "iat"));
        json_array_append(parts, json_object_get(p, "eat_nonce"));
    }
    char *canon = json_dumps(parts, JSON_COMPACT | JSON_ENCODE_ANY);
    TKMS_ASSERT(canon != NULL);
    tkms_prim_sha256(key, (const uint8_t *)canon, strlen(canon));
    free(canon);
    json_decref(parts);
}

typedef tkms_err (*claim_check)(tkms_attest_claims *, tkms_attest_error *,
                                const tkms_attest_policy *, const json_t *);

tkms_err attest_gcp_check_claims(tkms_attest_claims *claims, tkms_attest_error *error,
                                 const tkms_attest_policy *policy, const tkms_attest_request *req,
                                 const attest_jwt *jwt) {
    const json_t *p = jwt->payload;
    tkms_err rc = check_issuer_audience(claims, error, policy, p);
    if (rc == TKMS_OK) {
        rc = check_time(claims, error, policy, p, req->now);
    }
    static const claim_check checks[] = {check_platform, check_support, check_swversion,
                                         check_project,  check_image,   app_id};
    for (size_t i = 0; rc == TKMS_OK && i < sizeof checks / sizeof checks[0]; i++) {
        rc = checks[i](claims, error, policy, p);
    }
    if (rc == TKMS_OK) {
        rc = check_nonce(claims, error, &req->binding, p);
    }
    if (rc == TKMS_OK) {
        rc = fill_container(claims, error, p);
    }
    return rc;
}

tkms_err attest_gcp_verify(tkms_attest_claims *claims, tkms_attest_error *error,
                           tkms_attest_context *ctx, const tkms_attest_policy *policy,
                           const tkms_attest_request *req) {
    if (ctx->jwks == NULL) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE,
                           "gcp: no JWKS configured in the attest context");
    }
    attest_jwt jwt;
    tkms_err rc = attest_jwt_parse(&jwt, error, req->evidence, req->evidence_len);
    if (rc != TKMS_OK) {
        return rc;
    }
    EVP_PKEY *key = attest_jwks_cache_key_get(ctx->jwks, jwt.kid);
    if (key == NULL) {
        char q[ATTEST_QUOTE_BYTES];
        attest_quote_str(q, jwt.kid);
        rc = attest_fail(error, TKMS_ERR_ATTEST_JWT_KID_UNKNOWN,
                         "JWS header kid %s: not among the %zu keys of the JWKS", q,
                         tkms_attest_jwks_cache_key_count(ctx->jwks));
    }
    if (rc == TKMS_OK) {
        rc = attest_jwt_verify_rs256(error, key, &jwt);
    }
    EVP_PKEY_free(key);
    if (rc == TKMS_OK) {
        rc = attest_jwt_parse_payload(&jwt, error);
    }
    if (rc == TKMS_OK) {
        rc = attest_gcp_check_claims(claims, error, policy, req, &jwt);
    }
    if (rc == TKMS_OK) {
        claims->method = TKMS_ATTEST_METHOD_GCP;
        claims->binding_checked = req->binding.kind != TKMS_ATTEST_BINDING_NONE;
        fill_gce(claims, &jwt);
    }
    if (rc == TKMS_OK && policy->gcp.replay_check && ctx->replay != NULL) {
        uint8_t key_digest[32];
        replay_key(key_digest, jwt.payload);
        rc = attest_replay_check_insert(ctx->replay, error, key_digest,
                                        claims->expires_at + policy->clock_skew_s, req->now);
    }
    attest_jwt_clear(&jwt);
    return rc;
}
