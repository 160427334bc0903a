/*
 * test_attest_snp.c — the sev-snp method against generated evidence: our own ARK/ASK/ASVK
 * and VCEK/VLEK (fixtures.c, OpenSSL), synthetic reports signed by the VEK and bound to a
 * binding hash and a CoCo init-data document. A valid case verifies; then each checked field
 * of the report, the certificates, the evidence JSON, the init data and the policy is
 * changed one at a time, and the rejection must carry that check's error code.
 */
#include "test_util.h"

#include "attest/internal.h"
#include "fixtures.h"

#define IMAGE                                                                                      \
    "ghcr.io/acme/app@sha256:abababababababababababababababababababababababababababababababab"
#define DIGEST "sha256:abababababababababababababababababababababababababababababababab"

static fx_amd milan, turin;

static int group_setup(void **state) {
    (void)state;
    fx_amd_init(&milan, "Milan");
    fx_amd_init(&turin, "Turin");
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    fx_amd_free(&milan);
    fx_amd_free(&turin);
    return 0;
}

typedef struct {
    const fx_amd *pki;
    bool vlek;
    uint32_t version;
    uint8_t report[TKMS_ATTEST_SNP_REPORT_BYTES];
    X509 *vek; /* borrowed */
    const char *certs[TKMS_ATTEST_SNP_CERT_CHAIN_MAX + 2];
    size_t cert_count;
    char *owned[TKMS_ATTEST_SNP_CERT_CHAIN_MAX + 2];
    char *init;            /* init data bound into REPORT_DATA and sent in the request */
    bool init_in_evidence; /* …in the evidence JSON instead */
    tkms_attest_binding binding;
    tkms_attest_policy policy;
    tkms_attest_context *ctx;
    tkms_attest_claims *claims;
    tkms_attest_error error;
} snp_case;

static snp_case *C;

static void add_cert(snp_case *c, char *text) {
    c->owned[c->cert_count] = text;
    c->certs[c->cert_count++] = text;
}

static void case_reset(const fx_amd *pki, bool vlek, uint32_t version) {
    snp_case *c = C;
    for (size_t i = 0; i < c->cert_count; i++) {
        free(c->owned[i]);
    }
    free(c->init);
    c->cert_count = 0;
    c->pki = pki;
    c->vlek = vlek;
    c->version = version;
    c->vek = vlek ? pki->vlek : pki->vcek;
    c->init = fx_init_data(IMAGE);
    c->init_in_evidence = false;
    tkms_attest_binding_from_request(&c->binding, (const uint8_t *)"rsa-pem", 7,
                                     (const uint8_t *)"extra", 5);
    fx_report_init(c->report, pki, version, vlek);
    fx_report_bind(c->report, c->binding.hash, (const uint8_t *)c->init, strlen(c->init));
    add_cert(c, fx_pem(c->vek));
    tkms_attest_policy_default(&c->policy);
}

static int setup(void **state) {
    (void)state;
    C = calloc(1, sizeof *C);
    tkms_attest_context_options o;
    tkms_attest_context_options_default(&o);
    o.snp_builtin_roots = false;
    assert_int_equal(tkms_attest_context_new(&C->ctx, &C->error, &o), TKMS_OK);
    const char *bundles[] = {milan.bundle_ask, milan.bundle_asvk, turin.bundle_ask,
                             turin.bundle_asvk};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(tkms_attest_context_snp_roots_add(
                             C->ctx, &C->error, (const uint8_t *)bundles[i], strlen(bundles[i])),
                         TKMS_OK);
    }
    assert_int_equal(tkms_attest_claims_new(&C->claims), TKMS_OK);
    case_reset(&milan, false, 3);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (size_t i = 0; i < C->cert_count; i++) {
        free(C->owned[i]);
    }
    free(C->init);
    tkms_attest_claims_free(C->claims);
    tkms_attest_context_free(C->ctx);
    free(C);
    return 0;
}

/* Verifies the report as it stands (already signed) at FX_NOW. */
static tkms_err verify_signed(void) {
    snp_case *c = C;
    const size_t init_len = strlen(c->init);
    char *ev = fx_evidence(c->report, sizeof c->report, c->certs, c->cert_count,
                           c->init_in_evidence ? (const uint8_t *)c->init : NULL, init_len);
    tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_SEV_SNP,
                               .evidence = (const uint8_t *)ev,
                               .evidence_len = strlen(ev),
                               .init_data = c->init_in_evidence ? NULL : (const uint8_t *)c->init,
                               .init_data_len = c->init_in_evidence ? 0 : init_len,
                               .binding = c->binding,
                               .now = FX_NOW};
    tkms_err rc = tkms_attest_verify(c->claims, &c->error, c->ctx, &c->policy, &req);
    if (rc != TKMS_OK) {
        assert_int_equal(c->error.code, rc);
        assert_true(strlen(c->error.message) > 0);
    }
    free(ev);
    return rc;
}

static tkms_err sign_and_verify(void) {
    fx_report_sign(C->report, C->vlek ? C->pki->vlek_key : C->pki->vcek_key);
    return verify_signed();
}

#define EXPECT(expr, code)                                                                         \
    do {                                                                                           \
        const tkms_err rc_ = (expr);                                                               \
        if (rc_ != (code)) {                                                                       \
            fail_msg("%s: expected %s, got %s: %s", #expr, tkms_err_name(code),                    \
                     tkms_err_name(rc_), C->error.message);                                        \
        }                                                                                          \
    } while (0)

static void test_valid(void **state) {
    (void)state;
    EXPECT(sign_and_verify(), TKMS_OK);
    const tkms_attest_claims *cl = C->claims;
    assert_int_equal(cl->method, TKMS_ATTEST_METHOD_SEV_SNP);
    assert_true(cl->binding_checked);
    assert_string_equal(cl->image_digest, DIGEST);
    assert_string_equal(cl->image_reference, "ghcr.io/acme/app");
    assert_true(cl->snp.init_data_present);
    char want[33];
    tu_hex(want, C->binding.hash, 16);
    assert_string_equal(cl->nonce, want);
    assert_string_equal(cl->platform.hardware_model, "Milan");
    assert_string_equal(cl->platform.tcb, "bl=3 tee=0 snp=8 ucode=115");
    assert_false(cl->platform.debug);
    assert_string_equal(cl->app_id, "");
    assert_false(cl->has_time);
    assert_false(cl->snp.measurement_allowlisted);
    assert_int_equal(cl->snp.reported_tcb.ucode, 115);
}

static void test_valid_variants(void **state) {
    (void)state;
    case_reset(&milan, false, 2); /* version 2: no CPUID */
    EXPECT(sign_and_verify(), TKMS_OK);
    case_reset(&milan, true, 3); /* VLEK via the ASVK */
    EXPECT(sign_and_verify(), TKMS_OK);
    assert_int_equal(C->claims->snp.report.signing_key, TKMS_ATTEST_SNP_SIGNER_VLEK);
    case_reset(&turin, false, 3); /* Turin layout, 8-byte hwID */
    EXPECT(sign_and_verify(), TKMS_OK);
    assert_string_equal(C->claims->platform.tcb, "fmc=1 bl=3 tee=0 snp=8 ucode=115");
    case_reset(&milan, false, 3); /* base64 DER VEK, plus the ASK and ARK in the chain */
    free(C->owned[0]);
    C->owned[0] = fx_b64der(C->vek);
    C->certs[0] = C->owned[0];
    add_cert(C, fx_pem(milan.ask));
    add_cert(C, fx_pem(milan.ark));
    EXPECT(sign_and_verify(), TKMS_OK);
    case_reset(&milan, false, 3); /* init data inside the evidence JSON */
    C->init_in_evidence = true;
    EXPECT(sign_and_verify(), TKMS_OK);
    assert_string_equal(C->claims->image_digest, DIGEST);
}

static void test_hcl_wrapped(void **state) {
    (void)state;
    fx_report_sign(C->report, milan.vcek_key);
    uint8_t hcl[32 + 1184 + 64];
    memset(hcl, 0, sizeof hcl);
    memcpy(hcl, "HCLA", 4);
    memcpy(hcl + 32, C->report, 1184);
    const size_t init_len = strlen(C->init);
    char *ev = fx_evidence(hcl, sizeof hcl, C->certs, C->cert_count, NULL, 0);
    tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_SEV_SNP,
                               .evidence = (const uint8_t *)ev,
                               .evidence_len = strlen(ev),
                               .init_data = (const uint8_t *)C->init,
                               .init_data_len = init_len,
                               .binding = C->binding,
                               .now = FX_NOW};
    EXPECT(tkms_attest_verify(C->claims, &C->error, C->ctx, &C->policy, &req), TKMS_OK);
    free(ev);
    ev = fx_evidence(hcl, 32 + 1000, C->certs, C->cert_count, NULL, 0); /* HCL, cut short */
    req.evidence = (const uint8_t *)ev;
    req.evidence_len = strlen(ev);
    EXPECT(tkms_attest_verify(C->claims, &C->error, C->ctx, &C->policy, &req),
           TKMS_ERR_ATTEST_SNP_REPORT_SIZE);
    free(ev);
}

/* ---- Report fields ------------------------------------------------------------------------ */

typedef struct {
    const char *name;
    size_t offset;
    unsigned width; /* 1, 4 or 8 bytes (little-endian); 0: xor 0x01 into one byte */
    uint64_t value;
    tkms_err expected;
} report_flip;

static const report_flip report_flips[] = {
    {"version 1", 0x00, 4, 1, TKMS_ERR_ATTEST_SNP_REPORT_VERSION},
    {"version 4", 0x00, 4, 4, TKMS_ERR_ATTEST_SNP_REPORT_VERSION},
    {"signature_algo 2", 0x34, 4, 2, TKMS_ERR_ATTEST_SNP_SIGNATURE_ALGO},
    {"signing key 7", 0x48, 4, 7u << 2, TKMS_ERR_ATTEST_SNP_SIGNER_NOT_ALLOWED},
    {"signing key VLEK with a VCEK chain", 0x48, 4, 1u << 2, TKMS_ERR_ATTEST_SNP_VEK_MISSING},
    {"policy DEBUG", 0x08, 8, 0xB0000, TKMS_ERR_ATTEST_SNP_DEBUG_ENABLED},
    {"policy MIGRATE_MA", 0x08, 8, 0x70000, TKMS_ERR_ATTEST_SNP_MIGRATION_AGENT_ENABLED},
    {"policy without SMT", 0x08, 8, 0x20000, TKMS_OK},
    {"VMPL 1", 0x30, 4, 1, TKMS_ERR_ATTEST_SNP_VMPL_MISMATCH},
    {"COMMITTED_TCB ucode 114", 0x1E7, 1, 114, TKMS_ERR_ATTEST_SNP_TCB_PROVISIONAL},
    {"REPORTED_TCB ucode 116", 0x187, 1, 116, TKMS_ERR_ATTEST_SNP_TCB_CERT_MISMATCH},
    {"REPORTED_TCB reserved byte", 0x182, 1, 1, TKMS_ERR_ATTEST_SNP_TCB_CERT_MISMATCH},
    {"CHIP_ID byte", 0x1A5, 0, 0, TKMS_ERR_ATTEST_SNP_CHIP_ID_MISMATCH},
    {"CPUID Genoa", 0x189, 1, 0x11, TKMS_ERR_ATTEST_SNP_PRODUCT_MISMATCH},
    {"CPUID family 17h", 0x188, 1, 0x17, TKMS_ERR_ATTEST_SNP_PRODUCT_UNSUPPORTED},
    {"REPORT_DATA[0]", 0x50, 0, 0, TKMS_ERR_ATTEST_BINDING_MISMATCH},
    {"REPORT_DATA[31]", 0x6F, 0, 0, TKMS_ERR_ATTEST_BINDING_MISMATCH},
    {"REPORT_DATA[32]", 0x70, 0, 0, TKMS_ERR_ATTEST_SNP_INIT_DATA_MISMATCH},
    {"REPORT_DATA[63]", 0x8F, 0, 0, TKMS_ERR_ATTEST_SNP_INIT_DATA_MISMATCH},
    {"MEASUREMENT (no allowlist)", 0x90, 0, 0, TKMS_OK},
    {"HOST_DATA (not checked)", 0xC0, 0, 0, TKMS_OK},
};

static void set_field(uint8_t *r, const report_flip *f) {
    if (f->width == 0) {
        r[f->offset] ^= 0x01;
    } else if (f->width == 1) {
        r[f->offset] = (uint8_t)f->value;
    } else if (f->width == 4) {
        fx_report_set32(r, f->offset, (uint32_t)f->value);
    } else {
        fx_report_set64(r, f->offset, f->value);
    }
}

static void test_report_flips(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof report_flips / sizeof report_flips[0]; i++) {
        case_reset(&milan, false, 3);
        set_field(C->report, &report_flips[i]);
        const tkms_err rc = sign_and_verify();
        if (rc != report_flips[i].expected) {
            fail_msg("%s: expected %s, got %s: %s", report_flips[i].name,
                     tkms_err_name(report_flips[i].expected), tkms_err_name(rc), C->error.message);
        }
    }
}

static void test_tcb_rules(void **state) {
    (void)state;
    /* CURRENT = COMMITTED = ucode 114 < REPORTED 115 */
    C->report[0x3F] = 114;
    C->report[0x1E7] = 114;
    EXPECT(sign_and_verify(), TKMS_ERR_ATTEST_SNP_TCB_ABOVE_CURRENT);
    /* provisional firmware: COMMITTED 114 ≤ CURRENT 116 allowed only when configured */
    case_reset(&milan, false, 3);
    C->report[0x3F] = 116;
    C->report[0x1E7] = 114;
    EXPECT(sign_and_verify(), TKMS_ERR_ATTEST_SNP_TCB_PROVISIONAL);
    C->policy.snp.allow_provisional_firmware = true;
    EXPECT(verify_signed(), TKMS_OK);
    C->report[0x1E7] = 117; /* COMMITTED above CURRENT: never */
    EXPECT(sign_and_verify(), TKMS_ERR_ATTEST_SNP_TCB_PROVISIONAL);
    /* minimum TCB per product */
    case_reset(&milan, false, 3);
    C->policy.snp.min_tcb_set[TKMS_ATTEST_SNP_PRODUCT_MILAN] = true;
    C->policy.snp.min_tcb[TKMS_ATTEST_SNP_PRODUCT_MILAN] =
        (tkms_attest_snp_tcb){.bl = 3, .snp = 9, .ucode = 100};
    EXPECT(sign_and_verify(), TKMS_ERR_ATTEST_SNP_TCB_TOO_OLD);
    C->policy.snp.min_tcb[TKMS_ATTEST_SNP_PRODUCT_MILAN].snp = 8;
    EXPECT(verify_signed(), TKMS_OK);
    C->policy.snp.min_tcb_set[TKMS_ATTEST_SNP_PRODUCT_MILAN] = false; /* Turin rule ≠ Milan */
    C->policy.snp.min_tcb_set[TKMS_ATTEST_SNP_PRODUCT_TURIN] = true;
    C->policy.snp.min_tcb[TKMS_ATTEST_SNP_PRODUCT_TURIN].ucode = 200;
    EXPECT(verify_signed(), TKMS_OK);
}

static void test_policy_flips(void **state) {
    (void)state;
    fx_report_sign(C->report, milan.vcek_key);
    C->policy.snp.allow_smt = false;
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_SMT_NOT_ALLOWED);
    C->policy.snp.allow_smt = true;
    C->policy.snp.vmpl = 2;
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_VMPL_MISMATCH);
    C->policy.snp.vmpl = 0;
    C->policy.snp.allow_vcek = false;
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_SIGNER_NOT_ALLOWED);
    C->policy.snp.allow_vcek = true;
    C->policy.snp.measurement_count = 1;
    memset(C->policy.snp.measurements[0], 0x4e, 48);
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_MEASUREMENT_NOT_ALLOWED);
    memset(C->policy.snp.measurements[0], 0x4d, 48); /* fx_report_init's MEASUREMENT */
    EXPECT(verify_signed(), TKMS_OK);
    assert_true(C->claims->snp.measurement_allowlisted);
    C->policy.snp.allow_debug = true; /* allowing more never breaks a valid report */
    C->policy.snp.allow_migration_agent = true;
    EXPECT(verify_signed(), TKMS_OK);
}

static void test_masked_chip_id(void **state) {
    (void)state;
    memset(C->report + 0x1A0, 0, 64);
    EXPECT(sign_and_verify(), TKMS_ERR_ATTEST_SNP_CHIP_ID_MISMATCH);
    fx_report_set32(C->report, 0x48, 2); /* MASK_CHIP_ID */
    EXPECT(sign_and_verify(), TKMS_OK);
    assert_true(C->claims->snp.report.mask_chip_id);
}

static void test_signature_flips(void **state) {
    (void)state;
    fx_report_sign(C->report, milan.vcek_key);
    C->report[0x1F8] ^= 0x80; /* a reserved byte inside the signed range */
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_REPORT_SIGNATURE_INVALID);
    C->report[0x1F8] ^= 0x80;
    EXPECT(verify_signed(), TKMS_OK);
    C->report[0x2A0 + 50] = 1; /* R: bytes 48..71 must be zero */
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_REPORT_SIGNATURE_INVALID);
    fx_report_sign(C->report, milan.vlek_key); /* another P-384 key */
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_REPORT_SIGNATURE_INVALID);
    fx_report_sign(C->report, milan.vcek_key);
    C->report[0x2E8] ^= 1; /* S */
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_REPORT_SIGNATURE_INVALID);
    memset(C->report + 0x2A0, 0, 144); /* R = S = 0 */
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_REPORT_SIGNATURE_INVALID);
}

/* ---- Certificates --------------------------------------------------------------------------- */

static void vek_unknown_issuer(fx_cert_spec *s) {
    s->issuer_cn = "SEV-Unknown";
}
static void vek_wrong_signer(fx_cert_spec *s) {
    s->issuer_key = milan.asvk_key; /* right name (SEV-Milan), wrong key */
}
static void vek_pss_sha256(fx_cert_spec *s) {
    s->sig = FX_SIG_PSS_256;
}
static void vek_pss_salt32(fx_cert_spec *s) {
    s->sig = FX_SIG_PSS_SALT32;
}
static void vek_pkcs1(fx_cert_spec *s) {
    s->sig = FX_SIG_PKCS1;
}
static void vek_not_yet(fx_cert_spec *s) {
    s->not_before = FX_NOW + 10;
}
static void vek_expired(fx_cert_spec *s) {
    s->not_after = FX_NOW - 1;
}
static void vek_no_product(fx_cert_spec *s) {
    s->product_name = NULL;
}
static void vek_genoa_name(fx_cert_spec *s) {
    s->product_name = "Genoa";
}
static void vek_no_ucode(fx_cert_spec *s) {
    s->ucode = -1;
}
static void vek_spl4(fx_cert_spec *s) {
    s->spl4 = 1;
}
static void vek_hwid_short(fx_cert_spec *s) {
    s->hwid_len = 32;
}
static void vek_no_hwid(fx_cert_spec *s) {
    s->hwid_len = 0;
}
static void vek_critical(fx_cert_spec *s) {
    s->critical_unknown = true;
}
static void vek_other_cn(fx_cert_spec *s) {
    s->subject_cn = "SEV-XYZ";
}
static void vek_tcb_114(fx_cert_spec *s) {
    s->ucode = 114;
}
static void vek_other_hwid(fx_cert_spec *s) {
    static uint8_t other[64];
    memset(other, 7, sizeof other);
    s->hwid = other;
}
static void vek_ucode_256(fx_cert_spec *s) {
    s->ucode = 256;
}
static EVP_PKEY *p256_key, *rsa_key;
static void vek_p256(fx_cert_spec *s) {
    s->subject_key = p256_key;
}
static void vek_rsa(fx_cert_spec *s) {
    s->subject_key = rsa_key;
}

typedef struct {
    const char *name;
    void (*edit)(fx_cert_spec *);
    tkms_err expected;
} cert_flip;

static const cert_flip cert_flips[] = {
    {"issuer unknown", vek_unknown_issuer, TKMS_ERR_ATTEST_SNP_CERT_ISSUER_UNKNOWN},
    {"signed by another key", vek_wrong_signer, TKMS_ERR_ATTEST_SNP_CERT_SIGNATURE_INVALID},
    {"PSS SHA-256", vek_pss_sha256, TKMS_ERR_ATTEST_SNP_CERT_SIGALG_INVALID},
    {"PSS salt 32", vek_pss_salt32, TKMS_ERR_ATTEST_SNP_CERT_SIGALG_INVALID},
    {"PKCS#1 v1.5", vek_pkcs1, TKMS_ERR_ATTEST_SNP_CERT_SIGALG_INVALID},
    {"not yet valid", vek_not_yet, TKMS_ERR_ATTEST_SNP_CERT_NOT_YET_VALID},
    {"expired", vek_expired, TKMS_ERR_ATTEST_SNP_CERT_EXPIRED},
    {"no productName", vek_no_product, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID},
    {"productName Genoa", vek_genoa_name, TKMS_ERR_ATTEST_SNP_PRODUCT_MISMATCH},
    {"no ucodeSPL", vek_no_ucode, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID},
    {"ucodeSPL 256", vek_ucode_256, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID},
    {"reserved SPL 4 = 1", vek_spl4, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID},
    {"hwID 32 bytes", vek_hwid_short, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID},
    {"no hwID", vek_no_hwid, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID},
    {"unknown critical extension", vek_critical, TKMS_ERR_ATTEST_SNP_CERT_EXTENSION_INVALID},
    {"subject CN not SEV-VCEK", vek_other_cn, TKMS_ERR_ATTEST_SNP_VEK_MISSING},
    {"certified TCB ucode 114", vek_tcb_114, TKMS_ERR_ATTEST_SNP_TCB_CERT_MISMATCH},
    {"other hwID", vek_other_hwid, TKMS_ERR_ATTEST_SNP_CHIP_ID_MISMATCH},
    {"P-256 key", vek_p256, TKMS_ERR_ATTEST_SNP_CERT_KEY_INVALID},
    {"RSA key", vek_rsa, TKMS_ERR_ATTEST_SNP_CERT_KEY_INVALID},
};

static void test_cert_flips(void **state) {
    (void)state;
    p256_key = fx_ec_key("P-256");
    rsa_key = fx_rsa_key(2048);
    for (size_t i = 0; i < sizeof cert_flips / sizeof cert_flips[0]; i++) {
        case_reset(&milan, false, 3);
        X509 *vek = fx_amd_vek(&milan, false, cert_flips[i].edit);
        free(C->owned[0]);
        C->owned[0] = fx_pem(vek);
        C->certs[0] = C->owned[0];
        X509_free(vek);
        const tkms_err rc = sign_and_verify();
        if (rc != cert_flips[i].expected) {
            fail_msg("%s: expected %s, got %s: %s", cert_flips[i].name,
                     tkms_err_name(cert_flips[i].expected), tkms_err_name(rc), C->error.message);
        }
    }
    EVP_PKEY_free(p256_key);
    EVP_PKEY_free(rsa_key);
}

static void test_expired_ask(void **state) {
    (void)state;
    /* an ASK (same name as the trusted one, own key) that expired: its VEK fails on time */
    EVP_PKEY *ask_key = fx_rsa_key(2048);
    fx_cert_spec s;
    memset(&s, 0, sizeof s);
    s.subject_cn = "SEV-Milan";
    s.issuer_cn = "ARK-Milan";
    s.subject_key = ask_key;
    s.issuer_key = milan.ark_key;
    s.not_before = FX_NOW - 100 * FX_DAY;
    s.not_after = FX_NOW - FX_DAY;
    X509 *ask = fx_cert(&s);
    char *a = fx_pem(ask), *r = fx_pem(milan.ark);
    char bundle[8192];
    snprintf(bundle, sizeof bundle, "%s%s", r, a); /* ARK first: either order is accepted */
    EXPECT(tkms_attest_context_snp_roots_add(C->ctx, &C->error, (const uint8_t *)bundle,
                                             strlen(bundle)),
           TKMS_OK);
    fx_cert_spec_vek(&s, "Milan", milan.vcek_key, ask_key, "SEV-Milan");
    s.hwid = milan.chip_id;
    s.hwid_len = 64;
    X509 *vek = fx_cert(&s);
    free(C->owned[0]);
    C->owned[0] = fx_pem(vek);
    C->certs[0] = C->owned[0];
    EXPECT(sign_and_verify(), TKMS_ERR_ATTEST_SNP_CERT_EXPIRED);
    assert_non_null(strstr(C->error.message, "SEV-Milan certificate expired"));
    X509_free(vek);
    X509_free(ask);
    EVP_PKEY_free(ask_key);
    free(a);
    free(r);
}

static void test_chain_shape(void **state) {
    (void)state;
    fx_report_sign(C->report, milan.vcek_key);
    free(C->owned[0]); /* only the ASK and ARK: no VEK */
    C->owned[0] = fx_pem(milan.ask);
    C->certs[0] = C->owned[0];
    add_cert(C, fx_pem(milan.ark));
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_VEK_MISSING);
    C->cert_count = 1;
    free(C->owned[1]);
    C->owned[1] = NULL;
    C->certs[0] = "not a certificate";
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_CERT_INVALID);
    C->certs[0] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_CERT_INVALID);
    C->certs[0] = "AAAAAAAA"; /* base64, but not DER */
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_CERT_INVALID);
    char *vek = fx_pem(milan.vcek), *other = fx_pem(turin.vcek);
    C->certs[0] = vek;
    C->certs[1] = other; /* two different SEV-VCEK certificates */
    C->cert_count = 2;
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_CERT_INVALID);
    C->certs[1] = vek; /* the same one twice is fine */
    EXPECT(verify_signed(), TKMS_OK);
    for (size_t i = 0; i < TKMS_ATTEST_SNP_CERT_CHAIN_MAX + 1; i++) {
        C->certs[i] = vek;
    }
    C->cert_count = TKMS_ATTEST_SNP_CERT_CHAIN_MAX + 1;
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_CERT_CHAIN_TOO_LONG);
    C->cert_count = 0;
    EXPECT(verify_signed(), TKMS_ERR_ATTEST_SNP_VEK_MISSING);
    free(vek);
    free(other);
    free(C->owned[0]); /* the ASK PEM; owned[1] was freed above */
    C->owned[0] = C->owned[1] = NULL;
}

/* ---- Evidence JSON and init data ---------------------------------------------------------------
 */

static tkms_err verify_raw(const char *evidence, const uint8_t *init, size_t init_len) {
    tkms_attest_request req = {.method = TKMS_ATTEST_METHOD_SEV_SNP,
                               .evidence = (const uint8_t *)evidence,
                               .evidence_len = strlen(evidence),
                               .init_data = init,
                               .init_data_len = init_len,
                               .binding = C->binding,
                               .now = FX_NOW};
    return tkms_attest_verify(C->claims, &C->error, C->ctx, &C->policy, &req);
}

static void test_evidence_json(void **state) {
    (void)state;
    EXPECT(verify_raw("not json", NULL, 0), TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    EXPECT(verify_raw("[]", NULL, 0), TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    EXPECT(verify_raw("{\"cert_chain\":[]}", NULL, 0), TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    EXPECT(verify_raw("{\"attestation_report\":5,\"cert_chain\":[]}", NULL, 0),
           TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    EXPECT(verify_raw("{\"attestation_report\":\"@@@@\",\"cert_chain\":[]}", NULL, 0),
           TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    EXPECT(verify_raw("{\"attestation_report\":\"AAAA\",\"attestation_report\":\"AAAA\"}", NULL, 0),
           TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    EXPECT(verify_raw("{\"attestation_report\":\"AAAA\"}", NULL, 0),
           TKMS_ERR_ATTEST_SNP_VEK_MISSING);
    EXPECT(verify_raw("{\"attestation_report\":\"AAAA\",\"cert_chain\":\"x\"}", NULL, 0),
           TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    EXPECT(verify_raw("{\"attestation_report\":\"AAAA\",\"cert_chain\":[]}", NULL, 0),
           TKMS_ERR_ATTEST_SNP_REPORT_SIZE);
    EXPECT(verify_raw("{\"attestation_report\":\"AAAA\",\"cert_chain\":[1]}", NULL, 0),
           TKMS_ERR_ATTEST_SNP_CERT_INVALID);
    char deep[200];
    snprintf(deep, sizeof deep, "{\"x\":%s1%s}", "[[[[[[[[[[[[[[[[[[[[", "]]]]]]]]]]]]]]]]]]]]");
    EXPECT(verify_raw(deep, NULL, 0), TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    char *big = malloc(TKMS_ATTEST_EVIDENCE_BYTES_MAX + 2);
    memset(big, ' ', TKMS_ATTEST_EVIDENCE_BYTES_MAX + 1);
    big[TKMS_ATTEST_EVIDENCE_BYTES_MAX + 1] = 0;
    EXPECT(verify_raw(big, NULL, 0), TKMS_ERR_ATTEST_EVIDENCE_TOO_LARGE);
    free(big);
    /* the unknown member "extra" is ignored */
    fx_report_sign(C->report, milan.vcek_key);
    char *ev = fx_evidence(C->report, 1184, C->certs, C->cert_count, NULL, 0);
    char *patched = malloc(strlen(ev) + 32);
    sprintf(patched, "{\"extra\":{\"a\":1},%s", ev + 1);
    EXPECT(verify_raw(patched, (const uint8_t *)C->init, strlen(C->init)), TKMS_OK);
    free(patched);
    free(ev);
}

static void test_init_data_binding(void **state) {
    (void)state;
    fx_report_sign(C->report, milan.vcek_key);
    char *ev = fx_evidence(C->report, 1184, C->certs, C->cert_count, NULL, 0);
    EXPECT(verify_raw(ev, NULL, 0), TKMS_ERR_ATTEST_SNP_INIT_DATA_MISSING);
    char *other = fx_init_data(IMAGE);
    other[0] = 'A'; /* same meaning, other bytes */
    EXPECT(verify_raw(ev, (const uint8_t *)other, strlen(other)),
           TKMS_ERR_ATTEST_SNP_INIT_DATA_MISMATCH);
    free(ev);
    /* both in the request and in the evidence: must be the same bytes */
    ev = fx_evidence(C->report, 1184, C->certs, C->cert_count, (const uint8_t *)other,
                     strlen(other));
    EXPECT(verify_raw(ev, (const uint8_t *)C->init, strlen(C->init)),
           TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    free(ev);
    ev = fx_evidence(C->report, 1184, C->certs, C->cert_count, (const uint8_t *)C->init,
                     strlen(C->init));
    EXPECT(verify_raw(ev, (const uint8_t *)C->init, strlen(C->init)), TKMS_OK);
    free(ev);
    free(other);
    char *huge = calloc(1, TKMS_ATTEST_INIT_DATA_BYTES_MAX + 2);
    memset(huge, 'x', TKMS_ATTEST_INIT_DATA_BYTES_MAX + 1);
    ev = fx_evidence(C->report, 1184, C->certs, C->cert_count, NULL, 0);
    EXPECT(verify_raw(ev, (const uint8_t *)huge, strlen(huge)),
           TKMS_ERR_ATTEST_INIT_DATA_TOO_LARGE);
    free(ev);
    free(huge);
}

/* Binds `init` (replacing the default) and verifies. */
static tkms_err verify_with_init(const char *init) {
    free(C->init);
    C->init = strdup(init);
    fx_report_bind(C->report, C->binding.hash, (const uint8_t *)C->init, strlen(C->init));
    return sign_and_verify();
}

static void test_init_data_content(void **state) {
    (void)state;
    EXPECT(verify_with_init("[data]\n\"policy.rego\" = \"package p\"\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_MISSING);
    EXPECT(verify_with_init("[data]\nother = \"x\"\n"), TKMS_ERR_ATTEST_INIT_DATA_POLICY_MISSING);
    EXPECT(verify_with_init("[data]\n\"policy.rego\" = 5\n"),
           TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID);
    const char *two =
        "[data]\n\"policy.rego\" = '''\n"
        "a := \"r1/x@sha256:1111111111111111111111111111111111111111111111111111111111111111\"\n"
        "b := \"r2/y@sha256:2222222222222222222222222222222222222222222222222222222222222222\"\n"
        "'''\n";
    EXPECT(verify_with_init(two), TKMS_ERR_ATTEST_INIT_DATA_IMAGE_AMBIGUOUS);
    C->policy.snp.init_data_first_image_wins = true;
    EXPECT(verify_signed(), TKMS_OK);
    assert_string_equal(C->claims->image_reference, "r1/x");
    assert_string_equal(C->claims->image_digest,
                        "sha256:1111111111111111111111111111111111111111111111111111111111111111");
#ifdef TKMS_ATTEST_HAVE_ZLIB
    /* base64(gzip(TOML)), as kata writes it: fixed bytes made by Python's gzip (mtime 0) of
     * [data] "policy.rego" = "x := \"ghcr.io/z/z@sha256:cdcd…cd\"" */
    static const char gz_b64[] = "H4sIAAAAAAACA4tOSSxJjOVSKsjPyUyu1CtKTc9XUrBVUKpQsLJViFFKz0gu0"
                                 "svM16/Sr3Iozkg0MjWzSk6hDMYoKXEBAEWsfoV2AAAA";
    C->policy.snp.init_data_first_image_wins = false;
    EXPECT(verify_with_init(gz_b64), TKMS_OK);
    assert_string_equal(C->claims->image_reference, "ghcr.io/z/z");
    assert_string_equal(C->claims->image_digest,
                        "sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
#else
    EXPECT(verify_with_init("H4sIAAAA"), TKMS_ERR_ATTEST_INIT_DATA_GZIP_UNSUPPORTED);
#endif
}

/* ---- Roots --------------------------------------------------------------------------------------
 */

static void test_roots_add(void **state) {
    (void)state;
    char *ask = fx_pem(milan.ask), *ark = fx_pem(milan.ark), *turin_ask = fx_pem(turin.ask);
    char bundle[16384];
    EXPECT(tkms_attest_context_snp_roots_add(C->ctx, &C->error, (const uint8_t *)ask, strlen(ask)),
           TKMS_ERR_ATTEST_SNP_ROOT_INVALID); /* one certificate */
    snprintf(bundle, sizeof bundle, "%s%s%s", ask, ark, ask);
    EXPECT(tkms_attest_context_snp_roots_add(C->ctx, &C->error, (const uint8_t *)bundle,
                                             strlen(bundle)),
           TKMS_ERR_ATTEST_SNP_ROOT_INVALID); /* three */
    snprintf(bundle, sizeof bundle, "%s%s", turin_ask, ark);
    EXPECT(tkms_attest_context_snp_roots_add(C->ctx, &C->error, (const uint8_t *)bundle,
                                             strlen(bundle)),
           TKMS_ERR_ATTEST_SNP_ROOT_INVALID); /* SEV-Turin under ARK-Milan */
    /* an ASK named right but not signed by that ARK */
    fx_cert_spec s;
    memset(&s, 0, sizeof s);
    s.subject_cn = "SEV-Milan";
    s.issuer_cn = "ARK-Milan";
    s.subject_key = milan.ask_key;
    s.issuer_key = turin.ark_key;
    s.not_before = FX_NOW - FX_DAY;
    s.not_after = FX_NOW + FX_DAY;
    X509 *forged = fx_cert(&s);
    char *f = fx_pem(forged);
    snprintf(bundle, sizeof bundle, "%s%s", f, ark);
    EXPECT(tkms_attest_context_snp_roots_add(C->ctx, &C->error, (const uint8_t *)bundle,
                                             strlen(bundle)),
           TKMS_ERR_ATTEST_SNP_ROOT_INVALID);
    assert_non_null(strstr(C->error.message, "does not verify"));
    X509_free(forged);
    free(f);
    free(ask);
    free(ark);
    free(turin_ask);
}

int main(void) {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_valid),
        T(test_valid_variants),
        T(test_hcl_wrapped),
        T(test_report_flips),
        T(test_tcb_rules),
        T(test_policy_flips),
        T(test_masked_chip_id),
        T(test_signature_flips),
        T(test_cert_flips),
        T(test_expired_ask),
        T(test_chain_shape),
        T(test_evidence_json),
        T(test_init_data_binding),
        T(test_init_data_content),
        T(test_roots_add),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
