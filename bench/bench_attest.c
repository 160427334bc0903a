/*
 * bench_attest.c — cost of attestation verification (src/attest) on production paths with
 * warm caches, one JSON line per operation:
 *   {"layer":"attest","op":"…","iterations":N,"ns_per_op":X,"ops_per_s":Y}
 * ns_per_op is CPU time of the benchmarking thread (CLOCK_THREAD_CPUTIME_ID), so a loaded
 * shared machine does not inflate it (`openssl speed` also reports CPU time); wall_ns_per_op
 * is elapsed time. Evidence: the real Confidential Space token atlas_pca_amd_sev_prod.jwt with its
 * JWKS, the real SEV-SNP report virtee_milan (tests/vectors/attestation), and generated tokens that
 * differ in their nonce, so the replay cache is exercised as a server would. Run from the
 * source tree or set TKMS_SOURCE_DIR. Targets: gcp ≤ 0.1 ms, sev-snp ≤ 1 ms (warm).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "attest/internal.h"

#define TOKEN "tests/vectors/attestation/gcp-confidential-space/atlas_pca_amd_sev_prod.jwt"
#define JWKS                                                                                       \
    "tests/vectors/attestation/gcp-confidential-space/atlas_pca_google_cs_jwks_20261008.json"
#define SNP_EVIDENCE "tests/vectors/attestation/sev-snp/evidence/virtee_milan.json"
#define GENERATED_TOKENS 2000

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
    printf("{\"layer\":\"attest\",\"op\":\"%s\",\"iterations\":%d,\"ns_per_op\":%.0f,"
           "\"ops_per_s\":%.0f,\"wall_ns_per_op\":%.0f}\n",
           op, iterations, cpu, 1e9 / cpu, wall);
    fflush(stdout);
}

static uint8_t *read_source_file(const char *rel, size_t *len) {
    char path[2048]; /* root (< 1024) + "/" + rel */
    const char *root = getenv("TKMS_SOURCE_DIR");
    if (root == NULL) { /* this file is <root>/bench/bench_attest.c */
        static char guess[1024];
        snprintf(guess, sizeof guess, "%s", __FILE__);
        char *cut = strstr(guess, "bench/bench_attest.c");
        if (cut != NULL) {
            *cut = 0;
        }
        root = cut != NULL && guess[0] ? guess : ".";
    }
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "bench_attest: cannot open %s (set TKMS_SOURCE_DIR)\n", path);
        exit(1);
    }
    uint8_t *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static void must(tkms_err rc, const tkms_attest_error *e, const char *what) {
    if (rc != TKMS_OK) {
        fprintf(stderr, "bench_attest: %s: %s: %s\n", what, tkms_err_name(rc), e->message);
        exit(1);
    }
}

static tkms_attest_context *context(size_t replay, size_t chain_cache) {
    tkms_attest_context_options o;
    tkms_attest_context_options_default(&o);
    o.replay_entries_max = replay;
    o.snp_chain_cache_max = chain_cache;
    tkms_attest_context *ctx = NULL;
    tkms_attest_error e;
    must(tkms_attest_context_new(&ctx, &e, &o), &e, "context");
    return ctx;
}

static tkms_attest_jwks_cache *jwks_cache(const uint8_t *json, size_t len) {
    tkms_attest_jwks_cache_options o;
    tkms_attest_jwks_cache_options_default(&o);
    tkms_attest_jwks_cache *c = NULL;
    tkms_attest_jwks *set = NULL;
    tkms_attest_error e;
    must(tkms_attest_jwks_cache_new(&c, &e, &o), &e, "jwks cache");
    must(tkms_attest_jwks_parse(&set, &e, json, len), &e, "jwks");
    tkms_attest_jwks_cache_install(c, set, 0);
    return c;
}

/* The real token, replay check off (the same token every time). */
static void bench_gcp_real(tkms_attest_claims *claims) {
    size_t tlen = 0, jlen = 0;
    uint8_t *token = read_source_file(TOKEN, &tlen), *jwks = read_source_file(JWKS, &jlen);
    tkms_attest_context *ctx = context(0, 0);
    tkms_attest_jwks_cache *cache = jwks_cache(jwks, jlen);
    tkms_attest_context_jwks_set(ctx, cache);
    tkms_attest_policy policy;
    tkms_attest_policy_default(&policy);
    memcpy(policy.gcp.audiences[0], "pca-attestation", 16);
    policy.gcp.audience_count = 1;
    static const char nonce[] = "8bbd16f5b103edde017ba6f3d953a781165a0d512dc97adaad905321444fad19";
    tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_GCP,
                               .evidence = token,
                               .evidence_len = tlen,
                               .binding = {.kind = TKMS_ATTEST_BINDING_EXACT,
                                           .exact = (const uint8_t *)nonce,
                                           .exact_len = 64},
                               .now = 1791497000};
    tkms_attest_error e;
    const int n = 5000;
    must(tkms_attest_verify(claims, &e, ctx, &policy, &req), &e, "gcp warm-up");
    const stamp t0 = now_ns();
    for (int i = 0; i < n; i++) {
        must(tkms_attest_verify(claims, &e, ctx, &policy, &req), &e, "gcp");
    }
    report("verify_gcp_real_token", n, t0);
    tkms_attest_context_free(ctx);
    tkms_attest_jwks_cache_free(cache);
    free(token);
    free(jwks);
}

static char *b64url(const uint8_t *in, size_t len) {
    char *s = malloc(4 * ((len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)s, in, (int)len);
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] != '=') {
            s[o++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
        }
    }
    s[o] = 0;
    return s;
}

/* A token like the real one, with the i-th nonce, signed by key. */
static char *make_token(EVP_PKEY *key, const char *payload_fmt, int i) {
    char payload[4096], nonce[65];
    snprintf(nonce, sizeof nonce, "%064d", i);
    snprintf(payload, sizeof payload, payload_fmt, nonce);
    char *h = b64url((const uint8_t *)"{\"alg\":\"RS256\",\"kid\":\"bench\",\"typ\":\"JWT\"}", 41);
    char *p = b64url((const uint8_t *)payload, strlen(payload));
    char *input = malloc(strlen(h) + strlen(p) + 2);
    sprintf(input, "%s.%s", h, p);
    uint8_t sig[256];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, sig, &sig_len, (const uint8_t *)input, strlen(input)) != 1) {
        exit(1);
    }
    EVP_MD_CTX_free(md);
    char *s = b64url(sig, sig_len);
    char *token = malloc(strlen(input) + strlen(s) + 2);
    sprintf(token, "%s.%s", input, s);
    free(h);
    free(p);
    free(input);
    free(s);
    return token;
}

static const char payload_fmt[] =
    "{\"aud\":\"tkms\",\"exp\":1800003000,\"iat\":1799999400,\"nbf\":1799999400,"
    "\"iss\":\"https://confidentialcomputing.googleapis.com\",\"sub\":\"https://www.googleapis.com/"
    "compute/v1/projects/p/zones/z/instances/tkms-0xaa\",\"eat_nonce\":\"%s\",\"secboot\":true,"
    "\"oemid\":11129,\"hwmodel\":\"GCP_INTEL_TDX\",\"swname\":\"CONFIDENTIAL_SPACE\","
    "\"swversion\":[\"260900\"],\"dbgstat\":\"disabled-since-boot\",\"submods\":{"
    "\"confidential_space\":{\"support_attributes\":[\"LATEST\",\"STABLE\",\"USABLE\"]},"
    "\"container\":{\"image_reference\":\"ghcr.io/acme/app:v1\",\"image_digest\":\"sha256:"
    "1111111111111111111111111111111111111111111111111111111111111111\",\"restart_policy\":"
    "\"Never\",\"args\":[\"/app\"],\"env\":{\"HOSTNAME\":\"h\",\"PATH\":\"/usr/bin:/bin\"}},"
    "\"gce\":{\"zone\":\"us-central1-a\",\"project_id\":\"p\",\"project_number\":\"1\","
    "\"instance_name\":\"tkms-0xaa\",\"instance_id\":\"42\"}}}";

/* Distinct generated tokens with the replay cache on: what a server does per request. */
static void bench_gcp_replay(tkms_attest_claims *claims) {
    EVP_PKEY *key = EVP_RSA_gen(2048);
    char **tokens = malloc(GENERATED_TOKENS * sizeof *tokens);
    for (int i = 0; i < GENERATED_TOKENS; i++) {
        tokens[i] = make_token(key, payload_fmt, i);
    }
    BIGNUM *bn_n = NULL, *bn_e = NULL;
    EVP_PKEY_get_bn_param(key, "n", &bn_n);
    EVP_PKEY_get_bn_param(key, "e", &bn_e);
    uint8_t nb[256], eb[8];
    const int nl = BN_bn2bin(bn_n, nb), el = BN_bn2bin(bn_e, eb);
    char *ns = b64url(nb, (size_t)nl), *es = b64url(eb, (size_t)el);
    char jwks[1024];
    snprintf(jwks, sizeof jwks,
             "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"bench\",\"n\":\"%s\",\"e\":\"%s\"}]}", ns, es);
    tkms_attest_context *ctx = context(TKMS_ATTEST_REPLAY_ENTRIES_DEFAULT, 0);
    tkms_attest_jwks_cache *cache = jwks_cache((const uint8_t *)jwks, strlen(jwks));
    tkms_attest_context_jwks_set(ctx, cache);
    tkms_attest_policy policy;
    tkms_attest_policy_default(&policy);
    memcpy(policy.gcp.audiences[0], "tkms", 5);
    policy.gcp.audience_count = 1;
    tkms_attest_error e;
    const stamp t0 = now_ns();
    for (int i = 0; i < GENERATED_TOKENS; i++) {
        char nonce[65];
        snprintf(nonce, sizeof nonce, "%064d", i);
        tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_GCP,
                                   .evidence = (const uint8_t *)tokens[i],
                                   .evidence_len = strlen(tokens[i]),
                                   .binding = {.kind = TKMS_ATTEST_BINDING_EXACT,
                                               .exact = (const uint8_t *)nonce,
                                               .exact_len = 64},
                                   .now = 1800000000};
        must(tkms_attest_verify(claims, &e, ctx, &policy, &req), &e, "gcp replay");
    }
    report("verify_gcp_distinct_tokens_replay_on", GENERATED_TOKENS, t0);
    for (int i = 0; i < GENERATED_TOKENS; i++) {
        free(tokens[i]);
    }
    free(tokens);
    free(ns);
    free(es);
    BN_free(bn_n);
    BN_free(bn_e);
    EVP_PKEY_free(key);
    tkms_attest_context_free(ctx);
    tkms_attest_jwks_cache_free(cache);
}

static void bench_snp(tkms_attest_claims *claims, const char *op, size_t chain_cache, int n) {
    size_t len = 0;
    uint8_t *ev = read_source_file(SNP_EVIDENCE, &len);
    tkms_attest_context *ctx = context(0, chain_cache);
    tkms_attest_policy policy;
    tkms_attest_policy_default(&policy);
    uint8_t report_data[64];
    attest_snp_evidence parsed;
    const uint8_t *rep = NULL;
    tkms_attest_snp_report r;
    tkms_attest_error e;
    must(attest_snp_evidence_parse(&parsed, &e, ev, len), &e, "snp evidence");
    must(attest_snp_report_locate(&rep, &e, parsed.report, parsed.report_len), &e, "locate");
    must(attest_snp_report_parse(&r, &e, rep, TKMS_ATTEST_SNP_REPORT_BYTES), &e, "report");
    memcpy(report_data, r.report_data, 64);
    attest_snp_evidence_clear(&parsed);
    tkms_attest_request req = {
        .method = TKMS_ATTEST_METHOD_SEV_SNP,
        .evidence = ev,
        .evidence_len = len,
        .binding = {.kind = TKMS_ATTEST_BINDING_EXACT, .exact = report_data, .exact_len = 64},
        .now = 1748736000};
    must(tkms_attest_verify(claims, &e, ctx, &policy, &req), &e, "snp warm-up");
    const stamp t0 = now_ns();
    for (int i = 0; i < n; i++) {
        must(tkms_attest_verify(claims, &e, ctx, &policy, &req), &e, op);
    }
    report(op, n, t0);
    tkms_attest_context_free(ctx);
    free(ev);
}

/* The floor under sev-snp: one ECDSA P-384 verification of the report signature. */
static void bench_snp_signature_only(void) {
    size_t len = 0;
    uint8_t *ev = read_source_file(SNP_EVIDENCE, &len);
    attest_snp_evidence parsed;
    tkms_attest_error e;
    must(attest_snp_evidence_parse(&parsed, &e, ev, len), &e, "snp evidence");
    X509 *x = NULL;
    uint8_t fp[32];
    must(attest_snp_cert_decode(&x, fp, &e, parsed.certs[0], parsed.cert_lens[0], 0), &e, "vcek");
    EVP_PKEY *key = X509_get_pubkey(x);
    const int n = 1000;
    const stamp t0 = now_ns();
    for (int i = 0; i < n; i++) {
        must(attest_snp_report_verify_signature(&e, key, parsed.report), &e, "signature");
    }
    report("snp_report_ecdsa_p384_only", n, t0);
    EVP_PKEY_free(key);
    X509_free(x);
    attest_snp_evidence_clear(&parsed);
    free(ev);
}

int main(void) {
    tkms_attest_claims *claims = NULL;
    if (tkms_attest_claims_new(&claims) != TKMS_OK) {
        return 1;
    }
    bench_gcp_real(claims);
    bench_gcp_replay(claims);
    bench_snp(claims, "verify_sev_snp_warm_chain_cache", TKMS_ATTEST_SNP_CHAIN_CACHE_DEFAULT, 1000);
    bench_snp(claims, "verify_sev_snp_cold_no_chain_cache", 0, 300);
    bench_snp_signature_only();
    tkms_attest_claims_free(claims);
    return 0;
}
