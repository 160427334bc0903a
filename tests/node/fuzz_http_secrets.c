/*
 * fuzz_http_secrets.c — libFuzzer target for the /v1/secrets body parser
 * (secrets_request_parse: the flat-object pre-scan, strict JSON, field caps, base64, the
 * RSA key check through prim) and, for bodies that parse, the dev-ecdsa challenge and
 * signature checks. Every input must end in a node error with a message, never a crash;
 * an accepted body must name an app id of 42 lowercase characters and one method.
 */
#include <string.h>

#include "../fuzz/fuzz_check.h"
#include "node/http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    secrets_request sr;
    char message[512];
    tkms_err err = secrets_request_parse(&sr, message, sizeof message, data, size);
    FUZZ_CHECK(err == TKMS_OK || err == TKMS_ERR_NODE_HTTP_BAD_REQUEST ||
               err == TKMS_ERR_NODE_HTTP_BAD_FIELD || err == TKMS_ERR_NODE_HTTP_OVERLOADED);
    FUZZ_CHECK(err == TKMS_OK || message[0] != 0);
    if (err == TKMS_OK) {
        FUZZ_CHECK(strlen(sr.app_id) == SECRETS_APP_ID_BYTES);
        FUZZ_CHECK(sr.method >= SECRETS_METHOD_DEV_ECDSA && sr.method <= SECRETS_METHOD_SEV_SNP);
        FUZZ_CHECK(sr.attestation_len <= TKMS_ATTEST_EVIDENCE_BYTES_MAX);
        FUZZ_CHECK(sr.extra_data_len <= SECRETS_EXTRA_DATA_BYTES_MAX);
        if (sr.method == SECRETS_METHOD_DEV_ECDSA) {
            uint8_t signer[20], nonce[32];
            int64_t expires = 0;
            err = dev_attest_recover(signer, nonce, &expires, message, sizeof message, sr.app_id,
                                     sr.challenge, sr.attestation, sr.attestation_len, sr.binding,
                                     1785000000);
            FUZZ_CHECK(err == TKMS_OK || (err >= TKMS_ERR_NODE_DEV_CHALLENGE_MALFORMED &&
                                          err <= TKMS_ERR_NODE_DEV_SIGNATURE_INVALID));
        }
    }
    secrets_request_clear(&sr);
    return 0;
}
