/*
 * attest_snp_report.c — the AMD SEV-SNP ATTESTATION_REPORT (SEV-SNP ABI spec, table
 * "ATTESTATION_REPORT Structure"): locating it in evidence (plain or HCL-wrapped), parsing
 * versions 2 and 3, the TCB_VERSION layouts (Milan/Genoa vs Turin), the product from the
 * version-3 CPUID bytes, and the report signature: ECDSA P-384 with SHA-384 over bytes
 * [0, 0x2A0), R and S stored little-endian in 72-byte fields of which the low 48 are used.
 * All integers in the report are little-endian. Parsing checks structure only; policy is
 * judged in attest_snp.c after the signature has verified.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

enum {
    OFF_VERSION = 0x00,
    OFF_GUEST_SVN = 0x04,
    OFF_POLICY = 0x08,
    OFF_FAMILY_ID = 0x10,
    OFF_IMAGE_ID = 0x20,
    OFF_VMPL = 0x30,
    OFF_SIGNATURE_ALGO = 0x34,
    OFF_CURRENT_TCB = 0x38,
    OFF_PLATFORM_INFO = 0x40,
    OFF_SIGNER_INFO = 0x48,
    OFF_REPORT_DATA = 0x50,
    OFF_MEASUREMENT = 0x90,
    OFF_HOST_DATA = 0xC0,
    OFF_ID_KEY_DIGEST = 0xE0,
    OFF_AUTHOR_KEY_DIGEST = 0x110,
    OFF_REPORT_ID = 0x140,
    OFF_REPORT_ID_MA = 0x160,
    OFF_REPORTED_TCB = 0x180,
    OFF_CPUID_FAMILY = 0x188,
    OFF_CPUID_MODEL = 0x189,
    OFF_CPUID_STEPPING = 0x18A,
    OFF_CHIP_ID = 0x1A0,
    OFF_COMMITTED_TCB = 0x1E0,
    OFF_CURRENT_BUILD = 0x1E8,
    OFF_COMMITTED_BUILD = 0x1EC,
    OFF_LAUNCH_TCB = 0x1F0,
    OFF_SIGNATURE = 0x2A0,
    OFF_SIGNATURE_R = 0x2A0,
    OFF_SIGNATURE_S = 0x2E8,
    SIGNATURE_FIELD_BYTES = 72,
    P384_BYTES = 48,
};
_Static_assert(OFF_SIGNATURE_S + SIGNATURE_FIELD_BYTES <= TKMS_ATTEST_SNP_REPORT_BYTES,
               "signature inside the report");
_Static_assert(TKMS_ATTEST_SNP_REPORT_BYTES == 0x4A0, "report size per the ABI");

static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p) {
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

TKMS_EXPORT const char *tkms_attest_snp_product_name(tkms_attest_snp_product product) {
    switch (product) {
    case TKMS_ATTEST_SNP_PRODUCT_MILAN:
        return "Milan";
    case TKMS_ATTEST_SNP_PRODUCT_GENOA:
        return "Genoa";
    case TKMS_ATTEST_SNP_PRODUCT_TURIN:
        return "Turin";
    case TKMS_ATTEST_SNP_PRODUCT_UNKNOWN:
        break;
    }
    return "unknown";
}

tkms_attest_snp_product attest_snp_product_from_cpuid(uint8_t family, uint8_t model) {
    if (family == 0x19 && model <= 0x0F) {
        return TKMS_ATTEST_SNP_PRODUCT_MILAN;
    }
    if (family == 0x19 && model >= 0x10 && model <= 0x1F) {
        return TKMS_ATTEST_SNP_PRODUCT_GENOA;
    }
    if (family == 0x1A && model <= 0x11) {
        return TKMS_ATTEST_SNP_PRODUCT_TURIN;
    }
    return TKMS_ATTEST_SNP_PRODUCT_UNKNOWN;
}

void attest_snp_tcb_decode(tkms_attest_snp_tcb *out, uint64_t raw,
                           tkms_attest_snp_product product) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = (uint8_t)(raw >> (8 * i));
    }
    memset(out, 0, sizeof *out);
    if (product == TKMS_ATTEST_SNP_PRODUCT_TURIN) {
        out->fmc = b[0];
        out->bl = b[1];
        out->tee = b[2];
        out->snp = b[3];
    } else {
        out->bl = b[0];
        out->tee = b[1];
        out->snp = b[6];
    }
    out->ucode = b[7];
}

uint64_t attest_snp_tcb_encode(const tkms_attest_snp_tcb *tcb, tkms_attest_snp_product product) {
    if (product == TKMS_ATTEST_SNP_PRODUCT_TURIN) {
        return (uint64_t)tcb->fmc | (uint64_t)tcb->bl << 8 | (uint64_t)tcb->tee << 16 |
               (uint64_t)tcb->snp << 24 | (uint64_t)tcb->ucode << 56;
    }
    return (uint64_t)tcb->bl | (uint64_t)tcb->tee << 8 | (uint64_t)tcb->snp << 48 |
           (uint64_t)tcb->ucode << 56;
}

void attest_snp_tcb_format(char out[64], const tkms_attest_snp_tcb *tcb,
                           tkms_attest_snp_product product) {
    if (product == TKMS_ATTEST_SNP_PRODUCT_TURIN) {
        snprintf(out, 64, "fmc=%u bl=%u tee=%u snp=%u ucode=%u", tcb->fmc, tcb->bl, tcb->tee,
                 tcb->snp, tcb->ucode);
    } else {
        snprintf(out, 64, "bl=%u tee=%u snp=%u ucode=%u", tcb->bl, tcb->tee, tcb->snp, tcb->ucode);
    }
}

tkms_err attest_snp_report_locate(const uint8_t **report, tkms_attest_error *error,
                                  const uint8_t *in, size_t in_len) {
    *report = NULL;
    if (in_len > TKMS_ATTEST_SNP_REPORT_INPUT_BYTES_MAX) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_REPORT_SIZE,
                           "attestation_report: %zu bytes, the limit is %d", in_len,
                           TKMS_ATTEST_SNP_REPORT_INPUT_BYTES_MAX);
    }
    size_t offset = 0;
    if (in_len >= 4 && memcmp(in, "HCLA", 4) == 0) {
        offset = TKMS_ATTEST_SNP_HCL_REPORT_OFFSET; /* Azure HCL report: header, report, … */
    }
    if (in_len < offset + TKMS_ATTEST_SNP_REPORT_BYTES) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_REPORT_SIZE,
                           "attestation_report: expected at least %zu bytes%s, found %zu",
                           offset + TKMS_ATTEST_SNP_REPORT_BYTES, offset ? " (HCL-wrapped)" : "",
                           in_len);
    }
    *report = in + offset;
    return TKMS_OK;
}

tkms_err attest_snp_report_parse(tkms_attest_snp_report *out, tkms_attest_error *error,
                                 const uint8_t *r, size_t report_len) {
    memset(out, 0, sizeof *out);
    if (report_len != TKMS_ATTEST_SNP_REPORT_BYTES) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_REPORT_SIZE,
                           "report: expected %d bytes, found %zu", TKMS_ATTEST_SNP_REPORT_BYTES,
                           report_len);
    }
    out->version = le32(r + OFF_VERSION);
    if (out->version != 2 && out->version != 3) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_REPORT_VERSION,
                           "report version: expected 2 or 3, found %u", out->version);
    }
    out->signature_algo = le32(r + OFF_SIGNATURE_ALGO);
    if (out->signature_algo != 1) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_SIGNATURE_ALGO,
                           "report signature_algo: expected 1 (ECDSA P-384 SHA-384), found %u",
                           out->signature_algo);
    }
    out->guest_svn = le32(r + OFF_GUEST_SVN);
    out->policy = le64(r + OFF_POLICY);
    memcpy(out->family_id, r + OFF_FAMILY_ID, 16);
    memcpy(out->image_id, r + OFF_IMAGE_ID, 16);
    out->vmpl = le32(r + OFF_VMPL);
    out->current_tcb = le64(r + OFF_CURRENT_TCB);
    out->platform_info = le64(r + OFF_PLATFORM_INFO);
    out->signer_info = le32(r + OFF_SIGNER_INFO);
    out->author_key_en = (out->signer_info & 1u) != 0;
    out->mask_chip_id = (out->signer_info & 2u) != 0;
    out->signing_key = (out->signer_info >> 2) & 7u;
    memcpy(out->report_data, r + OFF_REPORT_DATA, 64);
    memcpy(out->measurement, r + OFF_MEASUREMENT, 48);
    memcpy(out->host_data, r + OFF_HOST_DATA, 32);
    memcpy(out->id_key_digest, r + OFF_ID_KEY_DIGEST, 48);
    memcpy(out->author_key_digest, r + OFF_AUTHOR_KEY_DIGEST, 48);
    memcpy(out->report_id, r + OFF_REPORT_ID, 32);
    memcpy(out->report_id_ma, r + OFF_REPORT_ID_MA, 32);
    out->reported_tcb = le64(r + OFF_REPORTED_TCB);
    if (out->version >= 3) {
        out->cpuid_family = r[OFF_CPUID_FAMILY];
        out->cpuid_model = r[OFF_CPUID_MODEL];
        out->cpuid_stepping = r[OFF_CPUID_STEPPING];
    }
    memcpy(out->chip_id, r + OFF_CHIP_ID, 64);
    out->committed_tcb = le64(r + OFF_COMMITTED_TCB);
    out->current_build = r[OFF_CURRENT_BUILD];
    out->current_minor = r[OFF_CURRENT_BUILD + 1];
    out->current_major = r[OFF_CURRENT_BUILD + 2];
    out->committed_build = r[OFF_COMMITTED_BUILD];
    out->committed_minor = r[OFF_COMMITTED_BUILD + 1];
    out->committed_major = r[OFF_COMMITTED_BUILD + 2];
    out->launch_tcb = le64(r + OFF_LAUNCH_TCB);
    memcpy(out->signature_r, r + OFF_SIGNATURE_R, SIGNATURE_FIELD_BYTES);
    memcpy(out->signature_s, r + OFF_SIGNATURE_S, SIGNATURE_FIELD_BYTES);
    return TKMS_OK;
}

/* DER ECDSA-Sig-Value from the report's little-endian R, S (high 24 bytes must be zero). */
static int signature_der(uint8_t *der, size_t cap, const uint8_t *report) {
    static const uint8_t zero[SIGNATURE_FIELD_BYTES - P384_BYTES] = {0};
    const uint8_t *r_le = report + OFF_SIGNATURE_R, *s_le = report + OFF_SIGNATURE_S;
    if (memcmp(r_le + P384_BYTES, zero, sizeof zero) != 0 ||
        memcmp(s_le + P384_BYTES, zero, sizeof zero) != 0) {
        return -1;
    }
    BIGNUM *r = BN_lebin2bn(r_le, P384_BYTES, NULL);
    BIGNUM *s = BN_lebin2bn(s_le, P384_BYTES, NULL);
    ECDSA_SIG *sig = ECDSA_SIG_new();
    int len = -1;
    if (r && s && sig && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = NULL; /* owned by sig now */
        if (i2d_ECDSA_SIG(sig, NULL) <= (int)cap) {
            uint8_t *p = der;
            len = i2d_ECDSA_SIG(sig, &p);
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return len;
}

tkms_err attest_snp_report_verify_signature(tkms_attest_error *error, EVP_PKEY *vek,
                                            const uint8_t *report) {
    TKMS_ASSERT(vek != NULL);
    uint8_t der[128];
    const int der_len = signature_der(der, sizeof der, report);
    if (der_len <= 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_REPORT_SIGNATURE_INVALID,
                           "report signature: R or S is not a 48-byte little-endian value");
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const int ok = md != NULL &&
                   EVP_DigestVerifyInit(md, NULL, attest_md_sha384(), NULL, vek) == 1 &&
                   EVP_DigestVerify(md, der, (size_t)der_len, report, OFF_SIGNATURE) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_REPORT_SIGNATURE_INVALID,
                           "report signature: ECDSA P-384 SHA-384 over [0, 0x2A0) does not "
                           "verify under the VEK");
    }
    return TKMS_OK;
}
