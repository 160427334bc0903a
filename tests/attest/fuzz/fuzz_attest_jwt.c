/*
 * fuzz_attest_jwt.c — the compact JWS parser (attest_jwt_parse) and, on whatever parses,
 * the Confidential Space claim checks with a permissive policy (the signature is what a
 * fuzzer cannot forge, so the checks behind it are reached directly).
 */
#include <stdint.h>
#include <string.h>

#include "attest/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tkms_attest_claims *claims;
    static tkms_attest_policy policy;
    if (claims == NULL) {
        if (tkms_attest_claims_new(&claims) != TKMS_OK) {
            return 0;
        }
        tkms_attest_policy_default(&policy);
        memcpy(policy.gcp.audiences[0], "pca-attestation", 16);
        policy.gcp.audience_count = 1;
        policy.gcp.allow_debug = true;
        policy.gcp.require_stable = false;
    }
    tkms_attest_error error;
    attest_jwt jwt;
    if (attest_jwt_parse(&jwt, &error, data, size) != TKMS_OK) {
        return 0;
    }
    if (attest_jwt_parse_payload(&jwt, &error) != TKMS_OK) {
        attest_jwt_clear(&jwt);
        return 0;
    }
    tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_GCP, .now = 1791497000};
    req.binding.kind = size % 2 ? TKMS_ATTEST_BINDING_NONE : TKMS_ATTEST_BINDING_HASH;
    attest_claims_reset(claims);
    (void)attest_gcp_check_claims(claims, &error, &policy, &req, &jwt);
    attest_jwt_clear(&jwt);
    return 0;
}
