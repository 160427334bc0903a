/*
 * attest_snp_cert.c — the AMD certificate chain of an SEV-SNP report: ARK (root, self-
 * signed) → ASK (signs VCEKs) or ASVK (signs VLEKs) → VEK (the report's P-384 signing key).
 *
 * Every signature in the chain is RSASSA-PSS with SHA-384, MGF1-SHA-384 and salt 48; other
 * parameters are refused. AMD's VCEK/VLEK certificates have serial 0 and no Authority Key
 * Identifier, and older ones encode the default trailerField explicitly: all accepted, as
 * the chain is matched by issuer name against a small trusted set, not built by X509_STORE.
 * The VEK's AMD extensions (OID 1.3.6.1.4.1.3704.1.*) give the product name, the TCB it
 * certifies (blSPL, teeSPL, snpSPL, ucodeSPL, and fmcSPL on Turin) and, for a VCEK, the
 * hwID (64 bytes; 8 on Turin). Validity times are checked separately against `now`, so a
 * verified chain can be cached (attest.c) and re-checked cheaply.
 */
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

#define AMD_OID_PREFIX "1.3.6.1.4.1.3704.1."

int64_t attest_asn1_time_to_unix(const ASN1_TIME *t) {
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        return INT64_MIN;
    }
    return (int64_t)timegm(&tm);
}

static void cert_cn(char *out, size_t cap, const X509_NAME *name) {
    out[0] = 0;
    if (X509_NAME_get_text_by_NID((X509_NAME *)name, NID_commonName, out, (int)cap) < 0) {
        out[0] = 0;
    }
}

/* Reads the DER of a PEM CERTIFICATE block or of standard base64 text. */
uint8_t *attest_snp_cert_der(size_t *der_len, const char *text, size_t text_len) {
    while (text_len > 0 && (*text == ' ' || *text == '\n' || *text == '\r' || *text == '\t')) {
        text++;
        text_len--;
    }
    if (text_len >= 11 && memcmp(text, "-----BEGIN ", 11) == 0) {
        BIO *bio = BIO_new_mem_buf(text, (int)text_len);
        char *name = NULL, *header = NULL;
        unsigned char *data = NULL;
        long len = 0;
        uint8_t *der = NULL;
        if (bio && PEM_read_bio(bio, &name, &header, &data, &len) == 1 &&
            strcmp(name, "CERTIFICATE") == 0 && len > 0 && len <= TKMS_ATTEST_SNP_CERT_BYTES_MAX) {
            der = malloc((size_t)len);
            if (der) {
                memcpy(der, data, (size_t)len);
                *der_len = (size_t)len;
            }
        }
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(data);
        BIO_free(bio);
        return der;
    }
    uint8_t *der = malloc(attest_b64_decoded_max(text_len));
    if (der &&
        (!attest_b64_decode(der, attest_b64_decoded_max(text_len), der_len, text, text_len) ||
         *der_len > TKMS_ATTEST_SNP_CERT_BYTES_MAX)) {
        free(der);
        der = NULL;
    }
    return der;
}

tkms_err attest_snp_cert_parse_der(X509 **out, tkms_attest_error *error, const uint8_t *der,
                                   size_t der_len, size_t index) {
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)der_len);
    if (x == NULL || p != der + der_len) {
        X509_free(x);
        *out = NULL;
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_INVALID,
                           "cert_chain[%zu]: not a DER X.509 certificate (or trailing bytes)",
                           index);
    }
    *out = x;
    return TKMS_OK;
}

tkms_err attest_snp_cert_decode(X509 **out, uint8_t fingerprint[32], tkms_attest_error *error,
                                const char *text, size_t text_len, size_t index) {
    *out = NULL;
    size_t der_len = 0;
    uint8_t *der = attest_snp_cert_der(&der_len, text, text_len);
    if (der == NULL) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_INVALID,
                           "cert_chain[%zu]: expected a PEM certificate or base64 DER of at "
                           "most %d bytes",
                           index, TKMS_ATTEST_SNP_CERT_BYTES_MAX);
    }
    tkms_prim_sha256(fingerprint, der, der_len);
    tkms_err rc = attest_snp_cert_parse_der(out, error, der, der_len, index);
    free(der);
    return rc;
}

/* Decodes an AlgorithmIdentifier parameter that must name SHA-384. */
static bool algor_is_sha384(const X509_ALGOR *alg) {
    const ASN1_OBJECT *obj = NULL;
    X509_ALGOR_get0(&obj, NULL, NULL, alg);
    return OBJ_obj2nid(obj) == NID_sha384;
}

static bool pss_params_ok(const RSA_PSS_PARAMS *pss) {
    if (pss->hashAlgorithm == NULL || !algor_is_sha384(pss->hashAlgorithm)) {
        return false;
    }
    if (pss->maskGenAlgorithm == NULL) {
        return false;
    }
    const ASN1_OBJECT *mgf = NULL;
    int ptype = 0;
    const void *pval = NULL;
    X509_ALGOR_get0(&mgf, &ptype, &pval, pss->maskGenAlgorithm);
    if (OBJ_obj2nid(mgf) != NID_mgf1 || ptype != V_ASN1_SEQUENCE) {
        return false;
    }
    X509_ALGOR *mgf_hash = ASN1_item_unpack(pval, ASN1_ITEM_rptr(X509_ALGOR));
    const bool mgf_ok = mgf_hash != NULL && algor_is_sha384(mgf_hash);
    X509_ALGOR_free(mgf_hash);
    if (!mgf_ok || pss->saltLength == NULL || ASN1_INTEGER_get(pss->saltLength) != 48) {
        return false;
    }
    return pss->trailerField == NULL || ASN1_INTEGER_get(pss->trailerField) == 1;
}

tkms_err attest_snp_cert_check_pss(tkms_attest_error *error, X509 *cert, EVP_PKEY *issuer_key,
                                   const char *what) {
    const X509_ALGOR *alg = NULL;
    X509_get0_signature(NULL, &alg, cert);
    const ASN1_OBJECT *obj = NULL;
    int ptype = 0;
    const void *pval = NULL;
    X509_ALGOR_get0(&obj, &ptype, &pval, alg);
    bool ok = OBJ_obj2nid(obj) == NID_rsassaPss && ptype == V_ASN1_SEQUENCE;
    if (ok) {
        RSA_PSS_PARAMS *pss = ASN1_item_unpack(pval, ASN1_ITEM_rptr(RSA_PSS_PARAMS));
        ok = pss != NULL && pss_params_ok(pss);
        RSA_PSS_PARAMS_free(pss);
    }
    if (!ok) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_SIGALG_INVALID,
                           "%s certificate: expected RSASSA-PSS SHA-384 / MGF1-SHA-384 / salt "
                           "48, found other signature parameters",
                           what);
    }
    if (X509_verify(cert, issuer_key) != 1) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_SIGNATURE_INVALID,
                           "%s certificate: RSA-PSS signature does not verify under its issuer",
                           what);
    }
    return TKMS_OK;
}

static tkms_attest_snp_product product_from_suffix(const char *s) {
    if (strcmp(s, "Milan") == 0) {
        return TKMS_ATTEST_SNP_PRODUCT_MILAN;
    }
    if (strcmp(s, "Genoa") == 0) {
        return TKMS_ATTEST_SNP_PRODUCT_GENOA;
    }
    if (strcmp(s, "Turin") == 0) {
        return TKMS_ATTEST_SNP_PRODUCT_TURIN;
    }
    return TKMS_ATTEST_SNP_PRODUCT_UNKNOWN;
}

static bool rsa_key_ok(EVP_PKEY *k) {
    return k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA &&
           EVP_PKEY_get_bits(k) >= TKMS_ATTEST_RSA_BITS_MIN &&
           EVP_PKEY_get_bits(k) <= TKMS_ATTEST_RSA_BITS_MAX;
}

/* Reads up to 2 certificates of a bundle into certs (either order). */
static tkms_err bundle_read(X509 *certs[2], tkms_attest_error *error, const uint8_t *pem,
                            size_t pem_len) {
    BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
    size_t n = 0;
    X509 *x = NULL;
    while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        if (n == 2) {
            X509_free(x);
            n = 3;
            break;
        }
        certs[n++] = x;
    }
    BIO_free(bio);
    ERR_clear_error();
    if (n != 2) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_ROOT_INVALID,
                           "AMD root bundle: expected 2 PEM certificates (ASK or ASVK, ARK)");
    }
    return TKMS_OK;
}

/* Names and keys of the ARK/ASK pair; fills product, kind and CNs. */
static tkms_err root_identify(attest_snp_root *out, tkms_attest_error *error) {
    char ark_cn[64], ask_cn[64];
    cert_cn(ark_cn, sizeof ark_cn, X509_get_subject_name(out->ark));
    cert_cn(ask_cn, sizeof ask_cn, X509_get_subject_name(out->ask));
    if (strncmp(ark_cn, "ARK-", 4) != 0 ||
        (out->product = product_from_suffix(ark_cn + 4)) == TKMS_ATTEST_SNP_PRODUCT_UNKNOWN) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_ROOT_INVALID,
                           "AMD root bundle: ARK CN: expected ARK-Milan|Genoa|Turin");
    }
    const char *line = tkms_attest_snp_product_name(out->product);
    char want_ask[32], want_asvk[32];
    snprintf(want_ask, sizeof want_ask, "SEV-%s", line);
    snprintf(want_asvk, sizeof want_asvk, "SEV-VLEK-%s", line);
    if (strcmp(ask_cn, want_ask) == 0) {
        out->kind = ATTEST_SNP_CA_ASK;
    } else if (strcmp(ask_cn, want_asvk) == 0) {
        out->kind = ATTEST_SNP_CA_ASVK;
    } else {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_ROOT_INVALID,
                           "AMD root bundle: intermediate CN: expected %s or %s", want_ask,
                           want_asvk);
    }
    memcpy(out->ask_cn, ask_cn, sizeof out->ask_cn);
    if (X509_NAME_cmp(X509_get_issuer_name(out->ark), X509_get_subject_name(out->ark)) != 0 ||
        X509_NAME_cmp(X509_get_issuer_name(out->ask), X509_get_subject_name(out->ark)) != 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_ROOT_INVALID,
                           "AMD root bundle: ARK is not self-issued or does not issue %s", ask_cn);
    }
    return TKMS_OK;
}

tkms_err attest_snp_root_load(attest_snp_root *out, tkms_attest_error *error, const uint8_t *pem,
                              size_t pem_len) {
    memset(out, 0, sizeof *out);
    X509 *certs[2] = {NULL, NULL};
    tkms_err rc = bundle_read(certs, error, pem, pem_len);
    if (rc != TKMS_OK) {
        X509_free(certs[0]);
        X509_free(certs[1]);
        return rc;
    }
    char cn0[64];
    cert_cn(cn0, sizeof cn0, X509_get_subject_name(certs[0]));
    const int ark_index = strncmp(cn0, "ARK-", 4) == 0 ? 0 : 1;
    out->ark = certs[ark_index];
    out->ask = certs[1 - ark_index];
    rc = root_identify(out, error);
    EVP_PKEY *ark_key = X509_get0_pubkey(out->ark);
    out->ask_key = X509_get_pubkey(out->ask);
    if (rc == TKMS_OK && (!rsa_key_ok(ark_key) || !rsa_key_ok(out->ask_key))) {
        rc = attest_fail(error, TKMS_ERR_ATTEST_SNP_ROOT_INVALID,
                         "AMD root bundle: ARK and ASK keys must be RSA of %d..%d bits",
                         TKMS_ATTEST_RSA_BITS_MIN, TKMS_ATTEST_RSA_BITS_MAX);
    }
    if (rc == TKMS_OK) {
        rc = attest_snp_cert_check_pss(error, out->ark, ark_key, "ARK");
    }
    if (rc == TKMS_OK) {
        rc = attest_snp_cert_check_pss(error, out->ask, ark_key, out->ask_cn);
    }
    if (rc != TKMS_OK) {
        if (error) {
            error->code = TKMS_ERR_ATTEST_SNP_ROOT_INVALID;
        }
        attest_snp_root_clear(out);
        return TKMS_ERR_ATTEST_SNP_ROOT_INVALID;
    }
    out->ark_not_before = attest_asn1_time_to_unix(X509_get0_notBefore(out->ark));
    out->ark_not_after = attest_asn1_time_to_unix(X509_get0_notAfter(out->ark));
    out->ask_not_before = attest_asn1_time_to_unix(X509_get0_notBefore(out->ask));
    out->ask_not_after = attest_asn1_time_to_unix(X509_get0_notAfter(out->ask));
    return TKMS_OK;
}

void attest_snp_root_clear(attest_snp_root *root) {
    X509_free(root->ark);
    X509_free(root->ask);
    EVP_PKEY_free(root->ask_key);
    memset(root, 0, sizeof *root);
}

/* ---- VEK extensions ------------------------------------------------------------------- */

typedef struct {
    int spl[10]; /* index = last OID arc of 1.3.6.1.4.1.3704.1.3.N; -1 when absent */
    char product_name[32];
    uint8_t hwid[64];
    size_t hwid_len;
    bool has_product, has_hwid;
} vek_extensions;

static bool ext_integer(int *out, const ASN1_OCTET_STRING *data) {
    const unsigned char *p = ASN1_STRING_get0_data(data);
    const long len = ASN1_STRING_length(data);
    const unsigned char *end = p + len;
    ASN1_INTEGER *ai = d2i_ASN1_INTEGER(NULL, &p, len);
    int64_t v = -1;
    const bool ok =
        ai != NULL && p == end && ASN1_INTEGER_get_int64(&v, ai) == 1 && v >= 0 && v <= 255;
    ASN1_INTEGER_free(ai);
    *out = (int)v;
    return ok;
}

static bool ext_ia5(char *out, size_t cap, const ASN1_OCTET_STRING *data) {
    const unsigned char *p = ASN1_STRING_get0_data(data);
    const long len = ASN1_STRING_length(data);
    const unsigned char *end = p + len;
    ASN1_IA5STRING *s = d2i_ASN1_IA5STRING(NULL, &p, len);
    const bool ok = s != NULL && p == end && (size_t)ASN1_STRING_length(s) < cap &&
                    memchr(ASN1_STRING_get0_data(s), 0, (size_t)ASN1_STRING_length(s)) == NULL;
    if (ok) {
        memcpy(out, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        out[ASN1_STRING_length(s)] = 0;
    }
    ASN1_IA5STRING_free(s);
    return ok;
}

/* Reads one AMD extension by its OID suffix after 1.3.6.1.4.1.3704.1. */
static bool vek_extension(vek_extensions *out, const char *suffix, const ASN1_OCTET_STRING *d) {
    if (strcmp(suffix, "1") == 0 || strcmp(suffix, "5") == 0) {
        return true; /* structVersion, cspId: informational */
    }
    if (strcmp(suffix, "2") == 0) {
        out->has_product = ext_ia5(out->product_name, sizeof out->product_name, d);
        return out->has_product;
    }
    if (strcmp(suffix, "4") == 0) {
        const int len = ASN1_STRING_length(d);
        if (len != 64 && len != 8) {
            return false;
        }
        memcpy(out->hwid, ASN1_STRING_get0_data(d), (size_t)len);
        out->hwid_len = (size_t)len;
        out->has_hwid = true;
        return true;
    }
    if (strncmp(suffix, "3.", 2) == 0 && suffix[2] >= '1' && suffix[2] <= '9' && suffix[3] == 0) {
        return ext_integer(&out->spl[suffix[2] - '0'], d);
    }
    return true; /* unknown AMD extension: ignored unless critical (checked by the caller) */
}

static tkms_err vek_extensions_read(vek_extensions *out, tkms_attest_error *error, X509 *vek,
                                    const char *what) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < 10; i++) {
        out->spl[i] = -1;
    }
    const int count = X509_get_ext_count(vek);
    for (int i = 0; i < count && i < 64; i++) {
        X509_EXTENSION *ext = X509_get_ext(vek, i);
        char oid[80];
        if (OBJ_obj2txt(oid, sizeof oid, X509_EXTENSION_get_object(ext), 1) <= 0) {
            return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID,
                               "%s certificate: unreadable extension OID", what);
        }
        const bool amd = strncmp(oid, AMD_OID_PREFIX, strlen(AMD_OID_PREFIX)) == 0;
        if (!amd) {
            if (X509_EXTENSION_get_critical(ext)) {
                return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID,
                                   "%s certificate: unsupported critical extension %s", what, oid);
            }
            continue;
        }
        if (!vek_extension(out, oid + strlen(AMD_OID_PREFIX), X509_EXTENSION_get_data(ext))) {
            return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID,
                               "%s certificate: extension %s is malformed", what, oid);
        }
    }
    return TKMS_OK;
}

/* Composes the TCB_VERSION the certificate certifies; reserved SPLs must be 0. */
static tkms_err vek_tcb(uint64_t *tcb, tkms_attest_error *error, const vek_extensions *ext,
                        tkms_attest_snp_product product, const char *what) {
    const bool turin = product == TKMS_ATTEST_SNP_PRODUCT_TURIN;
    /* .3.1 bl, .3.2 tee, .3.3 snp, .3.8 ucode, .3.9 fmc (Turin); .3.4–.3.7 reserved */
    if (ext->spl[1] < 0 || ext->spl[2] < 0 || ext->spl[3] < 0 || ext->spl[8] < 0 ||
        (turin && ext->spl[9] < 0)) {
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID,
                           "%s certificate: blSPL, teeSPL, snpSPL, ucodeSPL%s must be present",
                           what, turin ? ", fmcSPL" : "");
    }
    for (int i = 4; i <= 7; i++) {
        if (ext->spl[i] > 0) {
            return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID,
                               "%s certificate: reserved SPL 1.3.6.1.4.1.3704.1.3.%d is %d, "
                               "expected 0",
                               what, i, ext->spl[i]);
        }
    }
    const tkms_attest_snp_tcb t = {
        .fmc = (uint8_t)(turin ? ext->spl[9] : 0),
        .bl = (uint8_t)ext->spl[1],
        .tee = (uint8_t)ext->spl[2],
        .snp = (uint8_t)ext->spl[3],
        .ucode = (uint8_t)ext->spl[8],
    };
    *tcb = attest_snp_tcb_encode(&t, product);
    return TKMS_OK;
}

/* P-384 public key of the VEK (one reference taken into *out). */
static tkms_err vek_key(EVP_PKEY **out, tkms_attest_error *error, X509 *vek, const char *what) {
    EVP_PKEY *k = X509_get_pubkey(vek);
    char group[32] = "";
    if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
        EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, NULL) !=
            1 ||
        strcmp(group, "secp384r1") != 0) {
        EVP_PKEY_free(k);
        return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_KEY_INVALID,
                           "%s certificate: expected an EC P-384 public key", what);
    }
    *out = k;
    return TKMS_OK;
}

/* Finds the trusted ASK/ASVK that issued the VEK and checks its signature. */
static tkms_err vek_issuer(const attest_snp_root **found, tkms_attest_error *error,
                           const attest_snp_root *roots, size_t root_count, X509 *vek,
                           uint32_t signer, const char *what) {
    const attest_snp_ca_kind kind =
        signer == TKMS_ATTEST_SNP_SIGNER_VLEK ? ATTEST_SNP_CA_ASVK : ATTEST_SNP_CA_ASK;
    tkms_err last = TKMS_OK;
    size_t candidates = 0;
    for (size_t i = 0; i < root_count; i++) {
        const attest_snp_root *r = &roots[i];
        if (r->kind != kind ||
            X509_NAME_cmp(X509_get_issuer_name(vek), X509_get_subject_name(r->ask)) != 0) {
            continue;
        }
        candidates++;
        last = attest_snp_cert_check_pss(error, vek, r->ask_key, what);
        if (last == TKMS_OK) {
            *found = r;
            return TKMS_OK;
        }
    }
    if (candidates > 0) {
        return last;
    }
    char issuer_cn[64];
    cert_cn(issuer_cn, sizeof issuer_cn, X509_get_issuer_name(vek));
    char q[ATTEST_QUOTE_BYTES];
    attest_quote_str(q, issuer_cn);
    return attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_ISSUER_UNKNOWN,
                       "%s certificate: issuer CN %s is not a trusted %s", what, q,
                       kind == ATTEST_SNP_CA_ASVK ? "ASVK (SEV-VLEK-<product>)"
                                                  : "ASK (SEV-<product>)");
}

tkms_err attest_snp_vek_verify(attest_snp_vek *out, tkms_attest_error *error,
                               const attest_snp_root *roots, size_t root_count, X509 *vek,
                               uint32_t signer) {
    memset(out, 0, sizeof *out);
    const char *what = signer == TKMS_ATTEST_SNP_SIGNER_VLEK ? "VLEK" : "VCEK";
    const attest_snp_root *root = NULL;
    tkms_err rc = vek_issuer(&root, error, roots, root_count, vek, signer, what);
    if (rc != TKMS_OK) {
        return rc;
    }
    vek_extensions ext;
    rc = vek_extensions_read(&ext, error, vek, what);
    if (rc == TKMS_OK && !ext.has_product) {
        rc = attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID,
                         "%s certificate: productName extension missing", what);
    }
    const char *line = tkms_attest_snp_product_name(root->product);
    if (rc == TKMS_OK && strncmp(ext.product_name, line, strlen(line)) != 0) {
        char q[ATTEST_QUOTE_BYTES];
        attest_quote_str(q, ext.product_name);
        rc = attest_fail(error, TKMS_ERR_ATTEST_SNP_PRODUCT_MISMATCH,
                         "%s certificate productName: expected %s*, found %s (issuer %s)", what,
                         line, q, root->ask_cn);
    }
    if (rc == TKMS_OK) {
        rc = vek_tcb(&out->tcb, error, &ext, root->product, what);
    }
    const size_t hwid_len = root->product == TKMS_ATTEST_SNP_PRODUCT_TURIN ? 8 : 64;
    if (rc == TKMS_OK && signer == TKMS_ATTEST_SNP_SIGNER_VCEK &&
        (!ext.has_hwid || ext.hwid_len != hwid_len)) {
        rc = attest_fail(error, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID,
                         "VCEK certificate hwID: expected %zu bytes for %s, found %zu", hwid_len,
                         line, ext.has_hwid ? ext.hwid_len : 0);
    }
    if (rc == TKMS_OK) {
        rc = vek_key(&out->key, error, vek, what);
    }
    if (rc != TKMS_OK) {
        return rc;
    }
    out->product = root->product;
    out->signer = signer;
    if (signer == TKMS_ATTEST_SNP_SIGNER_VCEK) {
        memcpy(out->hwid, ext.hwid, ext.hwid_len);
        out->hwid_len = ext.hwid_len;
    }
    memcpy(out->product_name, ext.product_name, sizeof out->product_name);
    memcpy(out->ask_cn, root->ask_cn, sizeof out->ask_cn);
    out->vek_not_before = attest_asn1_time_to_unix(X509_get0_notBefore(vek));
    out->vek_not_after = attest_asn1_time_to_unix(X509_get0_notAfter(vek));
    out->ask_not_before = root->ask_not_before;
    out->ask_not_after = root->ask_not_after;
    out->ark_not_before = root->ark_not_before;
    out->ark_not_after = root->ark_not_after;
    return TKMS_OK;
}

static tkms_err check_window(tkms_attest_error *error, const char *what, int64_t not_before,
                             int64_t not_after, int64_t now) {
    char a[32], b[32], n[32];
    if (now >= not_before && now <= not_after) {
        return TKMS_OK;
    }
    attest_time_format(a, not_before);
    attest_time_format(b, not_after);
    attest_time_format(n, now);
    return attest_fail(error,
                       now < not_before ? TKMS_ERR_ATTEST_SNP_CERT_NOT_YET_VALID
                                        : TKMS_ERR_ATTEST_SNP_CERT_EXPIRED,
                       "%s certificate %s: valid %s..%s, now %s", what,
                       now < not_before ? "not yet valid" : "expired", a, b, n);
}

tkms_err attest_snp_vek_check_time(tkms_attest_error *error, const attest_snp_vek *vek,
                                   int64_t now) {
    const char *what = vek->signer == TKMS_ATTEST_SNP_SIGNER_VLEK ? "VLEK" : "VCEK";
    tkms_err rc = check_window(error, what, vek->vek_not_before, vek->vek_not_after, now);
    if (rc == TKMS_OK) {
        rc = check_window(error, vek->ask_cn, vek->ask_not_before, vek->ask_not_after, now);
    }
    if (rc == TKMS_OK) {
        rc = check_window(error, "ARK", vek->ark_not_before, vek->ark_not_after, now);
    }
    return rc;
}

void attest_snp_vek_clear(attest_snp_vek *vek) {
    EVP_PKEY_free(vek->key);
    memset(vek, 0, sizeof *vek);
}
