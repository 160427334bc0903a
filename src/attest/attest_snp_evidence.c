/*
 * attest_snp_evidence.c — the sev-snp evidence envelope (eigenx-compatible):
 *   {"attestation_report": "<base64 report, plain or HCL-wrapped>",
 *    "cert_chain": ["<PEM>" | "<base64 DER>", …],   (VEK required; ASK/ARK optional)
 *    "init_data": "<base64>"}                       (optional)
 * Unknown members are ignored (attestation agents add their own); the three above must
 * have these types when present. Sizes are capped before anything is decoded.
 */
#include <string.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

/* Decodes a base64 string member into a fresh buffer. */
static tkms_err member_b64(uint8_t **out, size_t *out_len, tkms_attest_error *error,
                           const json_t *v, const char *name, size_t max) {
    if (!json_is_string(v)) {
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED,
                           "evidence: %s must be a base64 string", name);
    }
    const size_t n = json_string_length(v);
    if (attest_b64_decoded_max(n) > max + 3) {
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_TOO_LARGE,
                           "evidence: %s decodes to more than %zu bytes", name, max);
    }
    uint8_t *buf = malloc(attest_b64_decoded_max(n) + 1);
    if (buf == NULL) {
        return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "evidence: out of memory");
    }
    if (!attest_b64_decode(buf, attest_b64_decoded_max(n), out_len, json_string_value(v), n) ||
        *out_len > max) {
        free(buf);
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED,
                           "evidence: %s is not canonical standard base64 (at most %zu bytes)",
                           name, max);
    }
    *out = buf;
    return TKMS_OK;
}

static tkms_err parse_chain(attest_snp_evidence *out, tkms_attest_error *error,
                            const json_t *chain) {
    if (!json_is_array(chain)) {
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED,
                           "evidence: cert_chain must be an array of strings");
    }
    if (json_array_size(chain) > TKMS_ATTEST_SNP_CERT_CHAIN_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_CHAIN_TOO_LONG,
                           "evidence: cert_chain has %zu entries, the limit is %d",
                           json_array_size(chain), TKMS_ATTEST_SNP_CERT_CHAIN_MAX);
    }
    for (size_t i = 0; i < json_array_size(chain); i++) {
        const json_t *c = json_array_get(chain, i);
        if (!json_is_string(c) || json_string_length(c) > 4 * TKMS_ATTEST_SNP_CERT_BYTES_MAX) {
            return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_INVALID,
                               "evidence: cert_chain[%zu] must be a string of at most %d bytes", i,
                               4 * TKMS_ATTEST_SNP_CERT_BYTES_MAX);
        }
        const size_t n = json_string_length(c);
        out->certs[i] = malloc(n + 1);
        if (out->certs[i] == NULL) {
            return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "evidence: out of memory");
        }
        memcpy(out->certs[i], json_string_value(c), n + 1);
        out->cert_lens[i] = n;
        out->cert_count = i + 1;
    }
    return TKMS_OK;
}

tkms_err attest_snp_evidence_parse(attest_snp_evidence *out, tkms_attest_error *error,
                                   const uint8_t *json, size_t json_len) {
    memset(out, 0, sizeof *out);
    if (json_len > TKMS_ATTEST_EVIDENCE_BYTES_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_TOO_LARGE,
                           "evidence: %zu bytes, the limit is %d", json_len,
                           TKMS_ATTEST_EVIDENCE_BYTES_MAX);
    }
    json_t *root =
        attest_json_load(error, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED, "evidence", json, json_len);
    if (root == NULL) {
        return TKMS_ERR_ATTEST_EVIDENCE_MALFORMED;
    }
    tkms_err rc = TKMS_OK;
    const json_t *report = json_object_get(root, "attestation_report");
    if (report == NULL) {
        rc = attest_fail(error, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED,
                         "evidence: attestation_report is absent");
    }
    if (rc == TKMS_OK) {
        rc = member_b64(&out->report, &out->report_len, error, report, "attestation_report",
                        TKMS_ATTEST_SNP_REPORT_INPUT_BYTES_MAX);
    }
    if (rc == TKMS_OK) {
        const json_t *chain = json_object_get(root, "cert_chain");
        rc = chain == NULL ? attest_fail(error, TKMS_ERR_ATTEST_SNP_VEK_MISSING,
                                         "evidence: cert_chain is absent (the VCEK or VLEK "
                                         "certificate is required)")
                           : parse_chain(out, error, chain);
    }
    const json_t *init = json_object_get(root, "init_data");
    if (rc == TKMS_OK && init != NULL && !json_is_null(init)) {
        rc = member_b64(&out->init_data, &out->init_data_len, error, init, "init_data",
                        TKMS_ATTEST_INIT_DATA_BYTES_MAX);
    }
    json_decref(root);
    if (rc != TKMS_OK) {
        attest_snp_evidence_clear(out);
    }
    return rc;
}

void attest_snp_evidence_clear(attest_snp_evidence *ev) {
    free(ev->report);
    for (size_t i = 0; i < TKMS_ATTEST_SNP_CERT_CHAIN_MAX; i++) {
        free(ev->certs[i]);
    }
    free(ev->init_data);
    memset(ev, 0, sizeof *ev);
}
