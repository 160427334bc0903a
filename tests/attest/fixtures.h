/*
 * fixtures.h — generated attestation evidence for the attest tests: an AMD-like PKI (ARK,
 * ASK, ASVK, VEK certificates signed with RSA-PSS SHA-384 and carrying AMD's extensions)
 * made with OpenSSL at test time, synthetic SEV-SNP reports signed by the VEK, RS256 JWKS
 * and Confidential Space tokens. Each rejection path of the verifiers gets evidence that
 * differs from a valid one in exactly one checked field.
 */
#ifndef TKMS_TEST_ATTEST_FIXTURES_H
#define TKMS_TEST_ATTEST_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "attest/attest.h"

#define FX_NOW 1800000000LL /* 2027-01-15T08:00:00Z: every generated window covers it */
#define FX_DAY 86400LL

EVP_PKEY *fx_rsa_key(int bits);
EVP_PKEY *fx_ec_key(const char *curve); /* "P-384", "P-256" */

/* How a certificate is signed (default: RSA-PSS SHA-384, MGF1 SHA-384, salt 48). */
typedef enum { FX_SIG_PSS_384 = 0, FX_SIG_PSS_256, FX_SIG_PSS_SALT32, FX_SIG_PKCS1 } fx_sig;

typedef struct {
    const char *subject_cn, *issuer_cn; /* names are O=tkms-test, CN=… */
    EVP_PKEY *subject_key, *issuer_key;
    int64_t not_before, not_after;
    fx_sig sig;
    bool amd;                     /* add the AMD VEK extensions below */
    const char *product_name;     /* NULL: extension absent */
    int bl, tee, snp, ucode, fmc; /* -1: extension absent */
    int spl4;                     /* reserved SPL 1.3.6.1.4.1.3704.1.3.4, -1 absent */
    const uint8_t *hwid;
    size_t hwid_len; /* 0: absent */
    bool critical_unknown;
} fx_cert_spec;

void fx_cert_spec_vek(fx_cert_spec *spec, const char *product, EVP_PKEY *vek, EVP_PKEY *ask,
                      const char *ask_cn);
X509 *fx_cert(const fx_cert_spec *spec);
char *fx_pem(X509 *x);    /* malloc'd */
char *fx_b64der(X509 *x); /* malloc'd */

/* One product's PKI: ARK, ASK, ASVK (RSA-2048 for speed), a VCEK and a VLEK (P-384). */
typedef struct {
    const char *product;
    EVP_PKEY *ark_key, *ask_key, *asvk_key, *vcek_key, *vlek_key;
    X509 *ark, *ask, *asvk, *vcek, *vlek;
    char ask_cn[32], asvk_cn[32];
    char *bundle_ask, *bundle_asvk; /* PEM: ASK+ARK, ASVK+ARK */
    uint8_t chip_id[64];
} fx_amd;

void fx_amd_init(fx_amd *pki, const char *product);
void fx_amd_free(fx_amd *pki);
/* A VCEK/VLEK for `pki` with its default extensions, changed by `edit` when non-NULL. */
X509 *fx_amd_vek(const fx_amd *pki, bool vlek, void (*edit)(fx_cert_spec *));

/* A report of `version` for pki's product: policy SMT, VMPL 0, the given signer, TCB
 * bl 3 tee 0 snp 8 ucode 115 (fmc 1 on Turin) everywhere, CHIP_ID = pki chip id (VCEK). */
void fx_report_init(uint8_t r[TKMS_ATTEST_SNP_REPORT_BYTES], const fx_amd *pki, uint32_t version,
                    bool vlek);
void fx_report_set32(uint8_t *r, size_t off, uint32_t v);
void fx_report_set64(uint8_t *r, size_t off, uint64_t v);
uint64_t fx_report_tcb(const fx_amd *pki); /* the default TCB in pki's product layout */
/* REPORT_DATA = hex(binding[0:16]) ‖ hex(sha384(init)[0:16]). */
void fx_report_bind(uint8_t *r, const uint8_t binding[32], const uint8_t *init, size_t init_len);
void fx_report_sign(uint8_t *r, EVP_PKEY *vek_key);

/* {"attestation_report": b64(report), "cert_chain": [certs…], "init_data"?}; malloc'd. */
char *fx_evidence(const uint8_t *report, size_t report_len, const char *const *certs,
                  size_t cert_count, const uint8_t *init, size_t init_len);

/* A CoCo init-data TOML naming `image` (e.g. "ghcr.io/acme/app@sha256:…"); malloc'd. */
char *fx_init_data(const char *image);

/* JWKS with one RSA key per kid. */
char *fx_jwks(EVP_PKEY *const *keys, const char *const *kids, size_t count);
/* base64url(header).base64url(payload).base64url(RS256 signature by key); malloc'd. */
char *fx_jwt(const char *header_json, const char *payload_json, EVP_PKEY *key);
char *fx_b64url(const uint8_t *in, size_t len);
/* A realistic Confidential Space claim set (production image) valid at FX_NOW. */
json_t *fx_gcp_claims(const char *nonce_hex);

#endif
