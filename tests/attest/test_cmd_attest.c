/*
 * test_cmd_attest.c — `tkms attest verify` (src/cli/cmd_attest.c): exit 0 when the evidence
 * verifies, 1 for usage and setup errors, 2 when it is rejected; real evidence from
 * tests/vectors/attestation and a full production-shaped run (generated PKI, init data,
 * RSA key PEM + extra_data binding) through files, as an operator would use it.
 */
#include "test_util.h"

#include <unistd.h>

#include "attest/internal.h"
#include "fixtures.h"

int tkms_cli_attest(int argc, char **argv);

#define V "tests/vectors/attestation/"
#define GCP V "gcp-confidential-space/"
#define SNP V "sev-snp/"

static char dir[64];

static char *src(const char *rel) {
    static char bufs[8][512];
    static int i;
    const char *root = getenv("TKMS_SOURCE_DIR");
    char *b = bufs[i++ % 8];
    snprintf(b, 512, "%s/%s", root ? root : ".", rel);
    return b;
}

static char *tmp(const char *name) {
    static char bufs[8][256];
    static int i;
    char *b = bufs[i++ % 8];
    snprintf(b, 256, "%s/%s", dir, name);
    return b;
}

static void write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

#define RUN(...)                                                                                   \
    ({                                                                                             \
        char *argv_[] = {"attest", __VA_ARGS__, NULL};                                             \
        tkms_cli_attest((int)(sizeof argv_ / sizeof argv_[0]) - 1, argv_);                         \
    })

static int group_setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tkms-cmd-attest-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    static const char atlas[] = "{\"gcp\":{\"audiences\":[\"pca-attestation\"]}}";
    static const char bad[] = "{\"gcp\":{\"audiencez\":[]}}";
    write_file(tmp("atlas.json"), atlas, sizeof atlas - 1);
    write_file(tmp("bad.json"), bad, sizeof bad - 1);
    return 0;
}

static int group_teardown(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_usage(void **state) {
    (void)state;
    char *none[] = {"attest", NULL};
    assert_int_equal(tkms_cli_attest(1, none), 1);
    assert_int_equal(RUN("check"), 1);
    assert_int_equal(RUN("verify"), 1);
    assert_int_equal(RUN("verify", "--help"), 0); /* cli.h: usage on stdout, exit 0 */
    assert_int_equal(RUN("--help"), 0);
    assert_int_equal(RUN("verify", "--method", "gcp", "extra-argument"), 1);
    assert_int_equal(RUN("verify", "--method", "gcp", "--evidence"), 1); /* missing value */
    assert_int_equal(RUN("verify", "--method", "gcp", "--bogus"), 1);
    assert_int_equal(
        RUN("verify", "--method", "tdx", "--evidence", src(SNP "evidence/virtee_milan.json")), 1);
    assert_int_equal(
        RUN("verify", "--method", "gcp", "--evidence", src(GCP "atlas_pca_amd_sev_prod.jwt")), 1);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence",
                         src(SNP "evidence/virtee_milan.json"), "--now", "yesterday"),
                     1);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", tmp("missing.json")), 1);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence",
                         src(SNP "evidence/virtee_milan.json"), "--binding-hex", "00",
                         "--expect-report-data", "00"),
                     1);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence",
                         src(SNP "evidence/virtee_milan.json"), "--binding-hex", "abc"),
                     1);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence",
                         src(SNP "evidence/virtee_milan.json"), "--extra-data-b64", "AA=="),
                     1);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence",
                         src(SNP "evidence/virtee_milan.json"), "--policy", tmp("bad.json")),
                     1);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence",
                         src(SNP "evidence/virtee_milan.json"), "--amd-roots",
                         src(SNP "virtee_milan_vcek.der")),
                     1);
    assert_int_equal(RUN("verify", "--method", "gcp", "--evidence",
                         src(GCP "atlas_pca_amd_sev_prod.jwt"), "--jwks", tmp("missing.json")),
                     1);
}

static void test_real_gcp(void **state) {
    (void)state;
    const char *tok = src(GCP "atlas_pca_amd_sev_prod.jwt"),
               *jwks = src(GCP "atlas_pca_google_cs_jwks_20261008.json");
    assert_int_equal(RUN("verify", "--method", "gcp", "--evidence", (char *)tok, "--jwks",
                         (char *)jwks, "--policy", tmp("atlas.json"), "--now",
                         "2026-10-08T22:00:00Z", "--expect-nonce",
                         "8bbd16f5b103edde017ba6f3d953a781165a0d512dc97adaad905321444fad19"),
                     0);
    assert_int_equal(RUN("verify", "--method", "gcp", "--evidence", (char *)tok, "--jwks",
                         (char *)jwks, "--policy", tmp("atlas.json"), "--now", "1791497000",
                         "--json"),
                     0); /* binding not checked, said so in the output */
    assert_int_equal(RUN("verify", "--method", "gcp", "--evidence", (char *)tok, "--jwks",
                         (char *)jwks, "--policy", tmp("atlas.json"), "--now", "1791497000",
                         "--expect-nonce", "00000000"),
                     2);
    assert_int_equal(RUN("verify", "--method", "gcp", "--evidence",
                         src(GCP "atlas_pca_amd_sev_debug.jwt"), "--jwks", (char *)jwks, "--policy",
                         tmp("atlas.json"), "--now", "1791497000"),
                     2);
    assert_int_equal(RUN("verify", "--method", "gcp", "--evidence", (char *)tok, "--jwks",
                         (char *)jwks, "--policy", tmp("atlas.json")), /* now: long expired */
                     2);
}

static void test_real_snp(void **state) {
    (void)state;
    const char *ev = src(SNP "evidence/virtee_milan.json");
    const char *rd = "d447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c64581"
                     "0b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd";
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", (char *)ev, "--now",
                         "2025-06-01T00:00:00Z", "--expect-report-data", (char *)rd),
                     0);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", (char *)ev, "--now",
                         "2025-06-01T00:00:00Z", "--expect-report-data", (char *)rd, "--json"),
                     0);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", (char *)ev, "--now",
                         "2025-06-01T00:00:00Z", "--binding-hex",
                         "0000000000000000000000000000000000000000000000000000000000000000"),
                     2);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", (char *)ev, "--now",
                         "2025-06-01T00:00:00Z", "--no-builtin-roots", "--amd-roots",
                         src(SNP "amd-roots/ask_ark_genoa.pem")),
                     2);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence",
                         src(SNP "evidence/gosevguest_milan.json"), "--now",
                         "2023-01-01T00:00:00Z"),
                     2);
    /* the API's base64 form of the evidence is accepted too */
    size_t n = 0;
    uint8_t *json = tu_read_file(SNP "evidence/virtee_milan.json", &n);
    char *b64 = malloc(4 * n / 3 + 8);
    const int b = EVP_EncodeBlock((unsigned char *)b64, json, (int)n);
    write_file(tmp("virtee.b64"), b64, (size_t)b);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", tmp("virtee.b64"), "--now",
                         "2025-06-01T00:00:00Z"),
                     0);
    write_file(tmp("junk.b64"), "!!!", 3);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", tmp("junk.b64")), 1);
    free(b64);
    free(json);
}

/* The production path: a generated PKI, init data, the binding from an RSA PEM + extra_data. */
static void test_production_shape(void **state) {
    (void)state;
    fx_amd pki;
    fx_amd_init(&pki, "Genoa");
    static const char pem[] = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
    static const uint8_t extra[] = {0xde, 0xad, 0xbe, 0xef};
    tkms_attest_binding binding;
    tkms_attest_binding_from_request(&binding, (const uint8_t *)pem, sizeof pem - 1, extra, 4);
    char *init = fx_init_data("ghcr.io/acme/app@sha256:"
                              "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    uint8_t report[TKMS_ATTEST_SNP_REPORT_BYTES];
    fx_report_init(report, &pki, 3, false);
    fx_report_bind(report, binding.hash, (const uint8_t *)init, strlen(init));
    fx_report_sign(report, pki.vcek_key);
    char *vek = fx_pem(pki.vcek);
    const char *certs[] = {vek};
    char *ev = fx_evidence(report, sizeof report, certs, 1, NULL, 0);
    write_file(tmp("ev.json"), ev, strlen(ev));
    write_file(tmp("init.toml"), init, strlen(init));
    write_file(tmp("rsa.pem"), pem, sizeof pem - 1);
    write_file(tmp("roots.pem"), pki.bundle_ask, strlen(pki.bundle_ask));
    char now[24];
    snprintf(now, sizeof now, "%lld", (long long)FX_NOW);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", tmp("ev.json"),
                         "--init-data", tmp("init.toml"), "--rsa-pubkey", tmp("rsa.pem"),
                         "--extra-data-b64", "3q2+7w==", "--amd-roots", tmp("roots.pem"),
                         "--no-builtin-roots", "--now", now),
                     0);
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", tmp("ev.json"),
                         "--init-data", tmp("init.toml"), "--rsa-pubkey", tmp("rsa.pem"),
                         "--extra-data-b64", "3q2+7A==", "--amd-roots", tmp("roots.pem"), "--now",
                         now),
                     2); /* other extra_data */
    assert_int_equal(RUN("verify", "--method", "sev-snp", "--evidence", tmp("ev.json"),
                         "--rsa-pubkey", tmp("rsa.pem"), "--extra-data-b64",
                         "3q2+7w==", "--amd-roots", tmp("roots.pem"), "--now", now),
                     2); /* init data missing */
    free(ev);
    free(vek);
    free(init);
    fx_amd_free(&pki);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage),
        cmocka_unit_test(test_real_gcp),
        cmocka_unit_test(test_real_snp),
        cmocka_unit_test(test_production_shape),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
