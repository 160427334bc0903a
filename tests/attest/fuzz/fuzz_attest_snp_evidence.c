/*
 * fuzz_attest_snp_evidence.c — the sev-snp evidence JSON and everything verification does
 * before the report signature: base64, certificate decoding, the chain to the built-in AMD
 * roots, time and product checks (a fuzzer reaches the policy checks only with a real
 * signature, which the corpus seeds supply for the real reports).
 */
#include <stdint.h>

#include "attest/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tkms_attest_context *ctx;
    static tkms_attest_claims *claims;
    static tkms_attest_policy policy;
    tkms_attest_error error;
    if (ctx == NULL) {
        tkms_attest_context_options o;
        tkms_attest_context_options_default(&o);
        o.snp_chain_cache_max = 4;
        if (tkms_attest_context_new(&ctx, &error, &o) != TKMS_OK ||
            tkms_attest_claims_new(&claims) != TKMS_OK) {
            return 0;
        }
        tkms_attest_policy_default(&policy);
    }
    attest_snp_evidence ev;
    if (attest_snp_evidence_parse(&ev, &error, data, size) == TKMS_OK) {
        for (size_t i = 0; i < ev.cert_count; i++) {
            X509 *x = NULL;
            uint8_t fp[32];
            if (attest_snp_cert_decode(&x, fp, &error, ev.certs[i], ev.cert_lens[i], i) ==
                TKMS_OK) {
                X509_free(x);
            }
        }
        attest_snp_evidence_clear(&ev);
    }
    tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_SEV_SNP,
                               .evidence = data,
                               .evidence_len = size,
                               .now = 1748736000}; /* 2025-06-01 */
    req.binding.kind = TKMS_ATTEST_BINDING_NONE;
    if (tkms_attest_verify(claims, &error, ctx, &policy, &req) != TKMS_OK && error.code == 0) {
        __builtin_trap(); /* a rejection always carries its code */
    }
    return 0;
}
