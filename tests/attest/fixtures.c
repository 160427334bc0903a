/*
 * fixtures.c — see fixtures.h. Everything is built with OpenSSL 3 public APIs; failures
 * abort the test program (they are bugs in the fixture, not in the code under test).
 */
#include "fixtures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#define FX_CHECK(cond)                                                                             \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fixture failed: %s\n", __FILE__, __LINE__, #cond);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

EVP_PKEY *fx_rsa_key(int bits) {
    EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
    FX_CHECK(k != NULL);
    return k;
}

EVP_PKEY *fx_ec_key(const char *curve) {
    EVP_PKEY *k = EVP_EC_gen(curve);
    FX_CHECK(k != NULL);
    return k;
}

static X509_NAME *fx_name(const char *cn) {
    X509_NAME *n = X509_NAME_new();
    FX_CHECK(n != NULL);
    FX_CHECK(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"tkms-test",
                                        -1, -1, 0) == 1);
    FX_CHECK(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                        0) == 1);
    return n;
}

/* Adds an extension whose value is the given DER (or raw) bytes. */
static void fx_ext(X509 *x, const char *oid, const uint8_t *value, size_t len, bool critical) {
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    FX_CHECK(obj && os && ASN1_OCTET_STRING_set(os, value, (int)len) == 1);
    X509_EXTENSION *ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical ? 1 : 0, os);
    FX_CHECK(ext != NULL && X509_add_ext(x, ext, -1) == 1);
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
}

static void fx_ext_int(X509 *x, const char *oid, int v) {
    ASN1_INTEGER *ai = ASN1_INTEGER_new();
    FX_CHECK(ai && ASN1_INTEGER_set(ai, v) == 1);
    unsigned char *der = NULL;
    const int len = i2d_ASN1_INTEGER(ai, &der);
    FX_CHECK(len > 0);
    fx_ext(x, oid, der, (size_t)len, false);
    OPENSSL_free(der);
    ASN1_INTEGER_free(ai);
}

static void fx_ext_ia5(X509 *x, const char *oid, const char *s) {
    ASN1_IA5STRING *str = ASN1_IA5STRING_new();
    FX_CHECK(str && ASN1_STRING_set(str, s, (int)strlen(s)) == 1);
    unsigned char *der = NULL;
    const int len = i2d_ASN1_IA5STRING(str, &der);
    FX_CHECK(len > 0);
    fx_ext(x, oid, der, (size_t)len, false);
    OPENSSL_free(der);
    ASN1_IA5STRING_free(str);
}

static void fx_amd_extensions(X509 *x, const fx_cert_spec *s) {
    fx_ext_int(x, "1.3.6.1.4.1.3704.1.1", 1);
    if (s->product_name) {
        fx_ext_ia5(x, "1.3.6.1.4.1.3704.1.2", s->product_name);
    }
    const struct {
        const char *oid;
        int v;
    } spl[] = {{"1.3.6.1.4.1.3704.1.3.1", s->bl},    {"1.3.6.1.4.1.3704.1.3.2", s->tee},
               {"1.3.6.1.4.1.3704.1.3.3", s->snp},   {"1.3.6.1.4.1.3704.1.3.4", s->spl4},
               {"1.3.6.1.4.1.3704.1.3.8", s->ucode}, {"1.3.6.1.4.1.3704.1.3.9", s->fmc}};
    for (size_t i = 0; i < sizeof spl / sizeof spl[0]; i++) {
        if (spl[i].v >= 0) {
            fx_ext_int(x, spl[i].oid, spl[i].v);
        }
    }
    if (s->hwid_len > 0) {
        fx_ext(x, "1.3.6.1.4.1.3704.1.4", s->hwid, s->hwid_len, false);
    }
}

static void fx_sign_cert(X509 *x, EVP_PKEY *key, fx_sig sig) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *h = sig == FX_SIG_PSS_256 ? EVP_sha256() : EVP_sha384();
    FX_CHECK(md && EVP_DigestSignInit(md, &pctx, h, NULL, key) == 1);
    if (sig != FX_SIG_PKCS1) {
        FX_CHECK(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
        FX_CHECK(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, sig == FX_SIG_PSS_SALT32 ? 32 : 48) == 1);
        FX_CHECK(EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, h) == 1);
    }
    FX_CHECK(X509_sign_ctx(x, md) > 0);
    EVP_MD_CTX_free(md);
}

X509 *fx_cert(const fx_cert_spec *s) {
    X509 *x = X509_new();
    FX_CHECK(x != NULL && X509_set_version(x, 2) == 1);
    FX_CHECK(ASN1_INTEGER_set(X509_get_serialNumber(x), 0) == 1); /* AMD style: serial 0 */
    X509_NAME *subject = fx_name(s->subject_cn), *issuer = fx_name(s->issuer_cn);
    FX_CHECK(X509_set_subject_name(x, subject) == 1 && X509_set_issuer_name(x, issuer) == 1);
    X509_NAME_free(subject);
    X509_NAME_free(issuer);
    FX_CHECK(ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) != NULL);
    FX_CHECK(ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after) != NULL);
    FX_CHECK(X509_set_pubkey(x, s->subject_key) == 1);
    if (s->amd) {
        fx_amd_extensions(x, s);
    }
    if (s->critical_unknown) {
        static const uint8_t v[] = {0x05, 0x00};
        fx_ext(x, "1.2.3.4.5", v, sizeof v, true);
    }
    fx_sign_cert(x, s->issuer_key, s->sig);
    return x;
}

char *fx_pem(X509 *x) {
    BIO *b = BIO_new(BIO_s_mem());
    FX_CHECK(b && PEM_write_bio_X509(b, x) == 1);
    char *data = NULL;
    const long n = BIO_get_mem_data(b, &data);
    char *out = malloc((size_t)n + 1);
    FX_CHECK(out != NULL);
    memcpy(out, data, (size_t)n);
    out[n] = 0;
    BIO_free(b);
    return out;
}

char *fx_b64der(X509 *x) {
    unsigned char *der = NULL;
    const int n = i2d_X509(x, &der);
    FX_CHECK(n > 0);
    char *out = malloc((size_t)(4 * ((n + 2) / 3) + 1));
    FX_CHECK(out != NULL);
    EVP_EncodeBlock((unsigned char *)out, der, n);
    OPENSSL_free(der);
    return out;
}

void fx_cert_spec_vek(fx_cert_spec *s, const char *product, EVP_PKEY *vek, EVP_PKEY *ask,
                      const char *ask_cn) {
    memset(s, 0, sizeof *s);
    s->subject_cn = "SEV-VCEK";
    s->issuer_cn = ask_cn;
    s->subject_key = vek;
    s->issuer_key = ask;
    s->not_before = FX_NOW - 30 * FX_DAY;
    s->not_after = FX_NOW + 365 * FX_DAY;
    s->amd = true;
    s->product_name = product;
    const bool turin = strcmp(product, "Turin") == 0;
    s->bl = 3;
    s->tee = 0;
    s->snp = 8;
    s->ucode = 115;
    s->fmc = turin ? 1 : -1;
    s->spl4 = turin ? -1 : 0;
}

static char *fx_bundle(X509 *ask, X509 *ark) {
    char *a = fx_pem(ask), *b = fx_pem(ark);
    char *out = malloc(strlen(a) + strlen(b) + 1);
    FX_CHECK(out != NULL);
    strcpy(out, a);
    strcat(out, b);
    free(a);
    free(b);
    return out;
}

static X509 *fx_ca(const char *cn, const char *issuer_cn, EVP_PKEY *key, EVP_PKEY *issuer_key) {
    fx_cert_spec s;
    memset(&s, 0, sizeof s);
    s.subject_cn = cn;
    s.issuer_cn = issuer_cn;
    s.subject_key = key;
    s.issuer_key = issuer_key;
    s.not_before = FX_NOW - 3650 * FX_DAY;
    s.not_after = FX_NOW + 3650 * FX_DAY;
    return fx_cert(&s);
}

void fx_amd_init(fx_amd *p, const char *product) {
    memset(p, 0, sizeof *p);
    p->product = product;
    char ark_cn[32];
    snprintf(ark_cn, sizeof ark_cn, "ARK-%s", product);
    snprintf(p->ask_cn, sizeof p->ask_cn, "SEV-%s", product);
    snprintf(p->asvk_cn, sizeof p->asvk_cn, "SEV-VLEK-%s", product);
    p->ark_key = fx_rsa_key(2048);
    p->ask_key = fx_rsa_key(2048);
    p->asvk_key = fx_rsa_key(2048);
    p->vcek_key = fx_ec_key("P-384");
    p->vlek_key = fx_ec_key("P-384");
    p->ark = fx_ca(ark_cn, ark_cn, p->ark_key, p->ark_key);
    p->ask = fx_ca(p->ask_cn, ark_cn, p->ask_key, p->ark_key);
    p->asvk = fx_ca(p->asvk_cn, ark_cn, p->asvk_key, p->ark_key);
    p->bundle_ask = fx_bundle(p->ask, p->ark);
    p->bundle_asvk = fx_bundle(p->asvk, p->ark);
    for (size_t i = 0; i < 64; i++) {
        p->chip_id[i] = (uint8_t)(0xA0 + i);
    }
    if (strcmp(product, "Turin") == 0) {
        memset(p->chip_id + 8, 0, 56);
    }
    p->vcek = fx_amd_vek(p, false, NULL);
    p->vlek = fx_amd_vek(p, true, NULL);
}

X509 *fx_amd_vek(const fx_amd *p, bool vlek, void (*edit)(fx_cert_spec *)) {
    fx_cert_spec s;
    fx_cert_spec_vek(&s, p->product, vlek ? p->vlek_key : p->vcek_key,
                     vlek ? p->asvk_key : p->ask_key, vlek ? p->asvk_cn : p->ask_cn);
    if (vlek) {
        s.subject_cn = "SEV-VLEK";
    } else {
        s.hwid = p->chip_id;
        s.hwid_len = strcmp(p->product, "Turin") == 0 ? 8 : 64;
    }
    if (edit) {
        edit(&s);
    }
    return fx_cert(&s);
}

void fx_amd_free(fx_amd *p) {
    EVP_PKEY_free(p->ark_key);
    EVP_PKEY_free(p->ask_key);
    EVP_PKEY_free(p->asvk_key);
    EVP_PKEY_free(p->vcek_key);
    EVP_PKEY_free(p->vlek_key);
    X509_free(p->ark);
    X509_free(p->ask);
    X509_free(p->asvk);
    X509_free(p->vcek);
    X509_free(p->vlek);
    free(p->bundle_ask);
    free(p->bundle_asvk);
    memset(p, 0, sizeof *p);
}

void fx_report_set32(uint8_t *r, size_t off, uint32_t v) {
    for (int i = 0; i < 4; i++) {
        r[off + (size_t)i] = (uint8_t)(v >> (8 * i));
    }
}

void fx_report_set64(uint8_t *r, size_t off, uint64_t v) {
    fx_report_set32(r, off, (uint32_t)v);
    fx_report_set32(r, off + 4, (uint32_t)(v >> 32));
}

uint64_t fx_report_tcb(const fx_amd *p) {
    if (strcmp(p->product, "Turin") == 0) { /* fmc 1, bl 3, tee 0, snp 8, ucode 115 */
        return 1ull | 3ull << 8 | 8ull << 24 | 115ull << 56;
    }
    return 3ull | 8ull << 48 | 115ull << 56; /* bl 3, tee 0, snp 8, ucode 115 */
}

void fx_report_init(uint8_t r[TKMS_ATTEST_SNP_REPORT_BYTES], const fx_amd *p, uint32_t version,
                    bool vlek) {
    memset(r, 0, TKMS_ATTEST_SNP_REPORT_BYTES);
    const uint64_t tcb = fx_report_tcb(p);
    fx_report_set32(r, 0x00, version);
    fx_report_set32(r, 0x04, 1);                  /* guest_svn */
    fx_report_set64(r, 0x08, 0x30000);            /* SMT + reserved bit 17 */
    fx_report_set32(r, 0x30, 0);                  /* VMPL */
    fx_report_set32(r, 0x34, 1);                  /* ECDSA P-384 SHA-384 */
    fx_report_set64(r, 0x38, tcb);                /* CURRENT_TCB */
    fx_report_set64(r, 0x40, 1);                  /* PLATFORM_INFO: SMT enabled */
    fx_report_set32(r, 0x48, vlek ? 1u << 2 : 0); /* SIGNING_KEY */
    memset(r + 0x90, 0x4d, 48);                   /* MEASUREMENT */
    fx_report_set64(r, 0x180, tcb);               /* REPORTED_TCB */
    if (version >= 3) {
        const bool turin = strcmp(p->product, "Turin") == 0;
        r[0x188] = turin ? 0x1A : 0x19;
        r[0x189] = strcmp(p->product, "Genoa") == 0 ? 0x11 : turin ? 0x02 : 0x01;
        r[0x18A] = 1;
    }
    if (!vlek) {
        memcpy(r + 0x1A0, p->chip_id, 64);
    }
    fx_report_set64(r, 0x1E0, tcb); /* COMMITTED_TCB */
    r[0x1E8] = 4;                   /* current build 4, minor 55, major 1 */
    r[0x1E9] = 55;
    r[0x1EA] = 1;
    memcpy(r + 0x1EC, r + 0x1E8, 3);
    fx_report_set64(r, 0x1F0, tcb); /* LAUNCH_TCB */
}

static void fx_hex(char *out, const uint8_t *in, size_t n) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
}

void fx_report_bind(uint8_t *r, const uint8_t binding[32], const uint8_t *init, size_t init_len) {
    uint8_t h[48];
    unsigned int n = 0;
    FX_CHECK(EVP_Digest(init, init_len, h, &n, EVP_sha384(), NULL) == 1);
    fx_hex((char *)r + 0x50, binding, 16);
    fx_hex((char *)r + 0x70, h, 16);
}

void fx_report_sign(uint8_t *r, EVP_PKEY *vek_key) {
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char der[160];
    size_t der_len = sizeof der;
    FX_CHECK(md && EVP_DigestSignInit(md, NULL, EVP_sha384(), NULL, vek_key) == 1);
    FX_CHECK(EVP_DigestSign(md, der, &der_len, r, 0x2A0) == 1);
    EVP_MD_CTX_free(md);
    const unsigned char *p = der;
    ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
    FX_CHECK(sig != NULL);
    memset(r + 0x2A0, 0, 0x4A0 - 0x2A0);
    FX_CHECK(BN_bn2lebinpad(ECDSA_SIG_get0_r(sig), r + 0x2A0, 48) == 48);
    FX_CHECK(BN_bn2lebinpad(ECDSA_SIG_get0_s(sig), r + 0x2E8, 48) == 48);
    ECDSA_SIG_free(sig);
}

static char *fx_b64(const uint8_t *in, size_t len) {
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    FX_CHECK(out != NULL);
    EVP_EncodeBlock((unsigned char *)out, in, (int)len);
    return out;
}

char *fx_evidence(const uint8_t *report, size_t report_len, const char *const *certs,
                  size_t cert_count, const uint8_t *init, size_t init_len) {
    json_t *o = json_object(), *chain = json_array();
    char *rep = fx_b64(report, report_len);
    json_object_set_new(o, "attestation_report", json_string(rep));
    free(rep);
    for (size_t i = 0; i < cert_count; i++) {
        json_array_append_new(chain, json_string(certs[i]));
    }
    json_object_set_new(o, "cert_chain", chain);
    if (init != NULL) {
        char *b = fx_b64(init, init_len);
        json_object_set_new(o, "init_data", json_string(b));
        free(b);
    }
    char *s = json_dumps(o, JSON_COMPACT);
    FX_CHECK(s != NULL);
    json_decref(o);
    return s;
}

char *fx_init_data(const char *image) {
    static const char fmt[] = "algorithm = \"sha384\"\n"
                              "version = \"0.1.0\"\n\n"
                              "[data]\n"
                              "\"aa.toml\" = '''\n[token_configs]\n'''\n"
                              "\"policy.rego\" = '''\n"
                              "package agent_policy\n"
                              "# the image of this app (comments are ignored)\n"
                              "default allow := false\n"
                              "allow if { input.image == \"%s\" }\n"
                              "'''\n";
    const size_t n = sizeof fmt + strlen(image);
    char *out = malloc(n);
    FX_CHECK(out != NULL);
    snprintf(out, n, fmt, image);
    return out;
}

char *fx_b64url(const uint8_t *in, size_t len) {
    char *s = fx_b64(in, len);
    size_t o = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '=') {
            continue;
        }
        s[o++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    s[o] = 0;
    return s;
}

static char *fx_bn_b64url(const BIGNUM *bn) {
    uint8_t buf[1024];
    const int n = BN_bn2bin(bn, buf);
    FX_CHECK(n > 0);
    return fx_b64url(buf, (size_t)n);
}

char *fx_jwks(EVP_PKEY *const *keys, const char *const *kids, size_t count) {
    json_t *arr = json_array();
    for (size_t i = 0; i < count; i++) {
        BIGNUM *n = NULL, *e = NULL;
        FX_CHECK(EVP_PKEY_get_bn_param(keys[i], "n", &n) == 1);
        FX_CHECK(EVP_PKEY_get_bn_param(keys[i], "e", &e) == 1);
        char *sn = fx_bn_b64url(n), *se = fx_bn_b64url(e);
        json_array_append_new(arr,
                              json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "kty", "RSA", "alg", "RS256",
                                        "use", "sig", "kid", kids[i], "n", sn, "e", se));
        free(sn);
        free(se);
        BN_free(n);
        BN_free(e);
    }
    json_t *o = json_pack("{s:o}", "keys", arr);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

char *fx_jwt(const char *header_json, const char *payload_json, EVP_PKEY *key) {
    char *h = fx_b64url((const uint8_t *)header_json, strlen(header_json));
    char *p = fx_b64url((const uint8_t *)payload_json, strlen(payload_json));
    const size_t in_len = strlen(h) + 1 + strlen(p);
    char *input = malloc(in_len + 1);
    FX_CHECK(input != NULL);
    snprintf(input, in_len + 1, "%s.%s", h, p);
    uint8_t sig[1024];
    size_t sig_len = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    FX_CHECK(md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1);
    FX_CHECK(EVP_DigestSign(md, sig, &sig_len, (const uint8_t *)input, in_len) == 1);
    EVP_MD_CTX_free(md);
    char *s = fx_b64url(sig, sig_len);
    char *out = malloc(in_len + 2 + strlen(s));
    FX_CHECK(out != NULL);
    sprintf(out, "%s.%s", input, s);
    free(h);
    free(p);
    free(input);
    free(s);
    return out;
}

json_t *fx_gcp_claims(const char *nonce_hex) {
    json_t *c = json_pack(
        "{s:s,s:I,s:I,s:s,s:I,s:s,s:s,s:s,s:b,s:i,s:s,s:s,s:[s],s:s}", "aud", "tkms", "exp",
        (json_int_t)(FX_NOW + 3000), "iat", (json_int_t)(FX_NOW - 600), "iss",
        "https://confidentialcomputing.googleapis.com", "nbf", (json_int_t)(FX_NOW - 600), "sub",
        "https://www.googleapis.com/compute/v1/projects/acme-prod/zones/us-central1-a/instances/"
        "tkms-0x00000000000000000000000000000000000000aa",
        "eat_nonce", nonce_hex, "eat_profile",
        "https://cloud.google.com/confidential-computing/confidential-space/docs/reference/"
        "token-claims",
        "secboot", 1, "oemid", 11129, "hwmodel", "GCP_INTEL_TDX", "swname", "CONFIDENTIAL_SPACE",
        "swversion", "260900", "dbgstat", "disabled-since-boot");
    FX_CHECK(c != NULL);
    json_t *submods = json_pack(
        "{s:{s:[s,s,s],s:{s:b}},s:{s:s,s:s,s:s,s:s,s:{s:s,s:s},s:[s,s]},"
        "s:{s:s,s:s,s:s,s:s,s:s}}",
        "confidential_space", "support_attributes", "LATEST", "STABLE", "USABLE",
        "monitoring_enabled", "memory", 0, "container", "image_reference", "ghcr.io/acme/app:v1",
        "image_digest", "sha256:1111111111111111111111111111111111111111111111111111111111111111",
        "restart_policy", "Never", "image_id",
        "sha256:2222222222222222222222222222222222222222222222222222222222222222", "env",
        "HOSTNAME", "tkms-app", "MODE", "prod", "args", "/app", "--serve", "gce", "zone",
        "us-central1-a", "project_id", "acme-prod", "project_number", "123456789", "instance_name",
        "tkms-0x00000000000000000000000000000000000000aa", "instance_id", "42");
    FX_CHECK(submods != NULL);
    json_object_set_new(c, "submods", submods);
    json_object_set_new(c, "tdx", json_pack("{s:s}", "gcp_attester_tcb_status", "UpToDate"));
    return c;
}
