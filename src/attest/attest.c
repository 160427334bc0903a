/*
 * attest.c — the attestation context (trusted AMD roots, the verified-chain cache, the
 * replay cache, the JWKS cache it reads) and the one verification entry point, which
 * checks the request's shape and dispatches by method (attest.h).
 */
#include <string.h>

#include <openssl/err.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

TKMS_EXPORT tkms_attest_method tkms_attest_method_from_name(const char *name) {
    if (name != NULL && strcmp(name, "gcp") == 0) {
        return TKMS_ATTEST_METHOD_GCP;
    }
    if (name != NULL && strcmp(name, "sev-snp") == 0) {
        return TKMS_ATTEST_METHOD_SEV_SNP;
    }
    return TKMS_ATTEST_METHOD_NONE;
}

TKMS_EXPORT const char *tkms_attest_method_name(tkms_attest_method method) {
    switch (method) {
    case TKMS_ATTEST_METHOD_GCP:
        return "gcp";
    case TKMS_ATTEST_METHOD_SEV_SNP:
        return "sev-snp";
    case TKMS_ATTEST_METHOD_NONE:
        break;
    }
    return "none";
}

TKMS_EXPORT void tkms_attest_context_options_default(tkms_attest_context_options *out) {
    memset(out, 0, sizeof *out);
    out->snp_builtin_roots = true;
    out->replay_entries_max = TKMS_ATTEST_REPLAY_ENTRIES_DEFAULT;
    out->snp_chain_cache_max = TKMS_ATTEST_SNP_CHAIN_CACHE_DEFAULT;
}

static tkms_err roots_add(tkms_attest_context *ctx, tkms_attest_error *error, const uint8_t *pem,
                          size_t pem_len) {
    if (ctx->root_count == ctx->root_cap) {
        const size_t cap = ctx->root_cap ? 2 * ctx->root_cap : 8;
        attest_snp_root *grown = realloc(ctx->roots, cap * sizeof *grown);
        if (grown == NULL) {
            return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "context: out of memory");
        }
        ctx->roots = grown;
        ctx->root_cap = cap;
    }
    tkms_err rc = attest_snp_root_load(&ctx->roots[ctx->root_count], error, pem, pem_len);
    if (rc == TKMS_OK) {
        ctx->root_count++;
    }
    return rc;
}

TKMS_EXPORT tkms_err tkms_attest_context_new(tkms_attest_context **out, tkms_attest_error *error,
                                             const tkms_attest_context_options *options) {
    *out = NULL;
    if (options->replay_entries_max > TKMS_ATTEST_REPLAY_ENTRIES_MAX ||
        options->snp_chain_cache_max > TKMS_ATTEST_SNP_CHAIN_CACHE_MAX) {
        return attest_fail(error, TKMS_ERR_INVALID_ARGUMENT,
                           "context: replay cache at most %u entries, chain cache at most %d",
                           TKMS_ATTEST_REPLAY_ENTRIES_MAX, TKMS_ATTEST_SNP_CHAIN_CACHE_MAX);
    }
    tkms_attest_context *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "context: out of memory");
    }
    TKMS_ASSERT(pthread_mutex_init(&ctx->lock, NULL) == 0);
    ctx->chain_cache_max = options->snp_chain_cache_max;
    const size_t slots = ctx->chain_cache_max ? ctx->chain_cache_max : 1;
    ctx->chain_cache = calloc(slots, sizeof *ctx->chain_cache);
    ctx->chain_cache_used = calloc(slots, sizeof *ctx->chain_cache_used);
    if (options->replay_entries_max > 0) {
        ctx->replay = attest_replay_new(options->replay_entries_max);
    }
    if (ctx->chain_cache == NULL || ctx->chain_cache_used == NULL ||
        (options->replay_entries_max > 0 && ctx->replay == NULL)) {
        tkms_attest_context_free(ctx);
        return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "context: out of memory");
    }
    for (size_t i = 0; options->snp_builtin_roots && i < attest_snp_builtin_bundle_count; i++) {
        const char *pem = attest_snp_builtin_bundles[i];
        tkms_attest_error e;
        /* The built-in bundles are part of the program: failing to load one is a bug. */
        TKMS_ASSERT(roots_add(ctx, &e, (const uint8_t *)pem, strlen(pem)) == TKMS_OK);
    }
    *out = ctx;
    return TKMS_OK;
}

TKMS_EXPORT void tkms_attest_context_free(tkms_attest_context *ctx) {
    if (ctx == NULL) {
        return;
    }
    for (size_t i = 0; i < ctx->root_count; i++) {
        attest_snp_root_clear(&ctx->roots[i]);
    }
    for (size_t i = 0; i < ctx->chain_cache_count; i++) {
        attest_snp_vek_clear(&ctx->chain_cache[i]);
    }
    attest_replay_free(ctx->replay);
    pthread_mutex_destroy(&ctx->lock);
    free(ctx->roots);
    free(ctx->chain_cache);
    free(ctx->chain_cache_used);
    free(ctx);
}

TKMS_EXPORT tkms_err tkms_attest_context_snp_roots_add(tkms_attest_context *ctx,
                                                       tkms_attest_error *error, const uint8_t *pem,
                                                       size_t pem_len) {
    /* Roots are configuration: add them before the context is shared between threads. */
    tkms_err rc = roots_add(ctx, error, pem, pem_len);
    ERR_clear_error();
    return rc;
}

TKMS_EXPORT void tkms_attest_context_jwks_set(tkms_attest_context *ctx,
                                              tkms_attest_jwks_cache *cache) {
    ctx->jwks = cache;
}

/* Shape of the request (external data: errors) and of the policy (ours: asserts). */
static tkms_err request_check(tkms_attest_error *error, const tkms_attest_policy *policy,
                              const tkms_attest_request *req) {
    TKMS_ASSERT(policy->gcp.audience_count <= TKMS_ATTEST_AUDIENCES_MAX);
    TKMS_ASSERT(policy->gcp.hwmodel_count <= TKMS_ATTEST_HWMODELS_MAX);
    TKMS_ASSERT(policy->gcp.project_count <= TKMS_ATTEST_PROJECTS_MAX);
    TKMS_ASSERT(policy->snp.measurement_count <= TKMS_ATTEST_SNP_MEASUREMENTS_MAX);
    if (policy->clock_skew_s > TKMS_ATTEST_SKEW_S_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_POLICY_INVALID,
                           "policy clock_skew_s: expected at most %d, found %u",
                           TKMS_ATTEST_SKEW_S_MAX, policy->clock_skew_s);
    }
    if (req->now < 0 || req->now > TKMS_ATTEST_NOW_MAX) {
        return attest_fail(error, TKMS_ERR_INVALID_ARGUMENT,
                           "now: expected unix seconds in 0..%lld, found %lld",
                           (long long)TKMS_ATTEST_NOW_MAX, (long long)req->now);
    }
    if (req->evidence == NULL || req->evidence_len == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED, "evidence: empty");
    }
    if (req->evidence_len > TKMS_ATTEST_EVIDENCE_BYTES_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_TOO_LARGE,
                           "evidence: %zu bytes, the limit is %d", req->evidence_len,
                           TKMS_ATTEST_EVIDENCE_BYTES_MAX);
    }
    const tkms_attest_binding *b = &req->binding;
    if (b->kind != TKMS_ATTEST_BINDING_HASH && b->kind != TKMS_ATTEST_BINDING_EXACT &&
        b->kind != TKMS_ATTEST_BINDING_NONE) {
        return attest_fail(error, TKMS_ERR_ATTEST_BINDING_INVALID, "binding: unknown kind %d",
                           (int)b->kind);
    }
    if (b->kind == TKMS_ATTEST_BINDING_EXACT &&
        (b->exact == NULL || b->exact_len == 0 || b->exact_len > TKMS_ATTEST_NONCE_BYTES_MAX)) {
        return attest_fail(error, TKMS_ERR_ATTEST_BINDING_INVALID,
                           "binding: an exact value has 1..%d bytes", TKMS_ATTEST_NONCE_BYTES_MAX);
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_attest_verify(tkms_attest_claims *claims, tkms_attest_error *error,
                                        tkms_attest_context *ctx, const tkms_attest_policy *policy,
                                        const tkms_attest_request *request) {
    TKMS_ASSERT(claims != NULL && error != NULL);
    TKMS_ASSERT(ctx != NULL && policy != NULL && request != NULL);
    attest_claims_reset(claims);
    error->code = TKMS_OK;
    error->message[0] = 0;
    tkms_err rc = request_check(error, policy, request);
    if (rc == TKMS_OK) {
        switch (request->method) {
        case TKMS_ATTEST_METHOD_GCP:
            rc = attest_gcp_verify(claims, error, ctx, policy, request);
            break;
        case TKMS_ATTEST_METHOD_SEV_SNP:
            rc = attest_snp_verify(claims, error, ctx, policy, request);
            break;
        case TKMS_ATTEST_METHOD_NONE:
        default:
            rc = attest_fail(error, TKMS_ERR_ATTEST_METHOD_UNKNOWN,
                             "attestation_method: expected gcp or sev-snp, found %d",
                             (int)request->method);
            break;
        }
    }
    if (rc != TKMS_OK) {
        TKMS_ASSERT(error->code == rc);
        attest_claims_reset(claims);
        ERR_clear_error(); /* nothing of a rejected input lingers in OpenSSL's queue */
    }
    return rc;
}
