/*
 * test_cli_offline.c — the offline subcommands of the real `tkms` binary (issue 3 §4):
 * `tkms ibe encrypt|decrypt` round trip with the published master key and app key, the
 * exit codes (0 ok, 1 usage, 2 bad input / decryption failure) with one stderr line, and
 * `tkms mnemonic` (deterministic, 24 words, 5 + 5 addresses with --json).
 * argv[1] is the binary (ctest passes $<TARGET_FILE:tkms>).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test_util.h"

static const char *bin;
static const char MPK[] = "afd08921d49a670bf740faba63c33755bd64fa7fad22f0c6e2c820c1ded804cef12f178058ebcfdd0bc91fbdd33d7c4710f0af06581ff7dea44aa15e4cbfe2c9b2de01496f144cf4b558169b3f8ff933250dbe7ac7693fcb19bc4db4aadcb583";
static const char SK[] = "a6c714af28e51d806a9eadcfa6a77095106f0f539bf198f1f1cd2df9853d641642b1a8e1e76df623e108daa017b9d1f5"; /* app key of "my-app" (ibe_v1.json) */

/* Runs a shell command line with the binary substituted for %s; returns the exit status
   and the first line of stderr in err (if given). */
static int run(const char *fmt, char *err, size_t err_max) {
    char cmd[2048], full[2200];
    snprintf(cmd, sizeof cmd, fmt, bin, bin);
    snprintf(full, sizeof full, "(%s) 2>/tmp/tkms-cli-test.err", cmd);
    int status = system(full);
    if (err != NULL) {
        FILE *f = fopen("/tmp/tkms-cli-test.err", "r");
        err[0] = 0;
        if (f != NULL) {
            if (fgets(err, (int)err_max, f) == NULL) {
                err[0] = 0;
            }
            fclose(f);
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_ibe(void **state) {
    (void)state;
    char err[512], cmd[1024];
    snprintf(cmd, sizeof cmd, "printf 'API_KEY=s3cr3t\\n' | %%s ibe encrypt --app-id my-app --mpk %s > /tmp/tkms-ct.hex", MPK);
    assert_int_equal(run(cmd, err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "%%s ibe decrypt --app-id my-app --app-key %s --in /tmp/tkms-ct.hex --out /tmp/tkms-pt.txt", SK);
    assert_int_equal(run(cmd, err, sizeof err), 0);
    char got[64] = {0};
    FILE *f = fopen("/tmp/tkms-pt.txt", "r");
    assert_non_null(f);
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    assert_int_equal(n, 15);
    assert_string_equal(got, "API_KEY=s3cr3t\n");
    /* wrong id, wrong key, truncated ciphertext: exit 2 with one line */
    snprintf(cmd, sizeof cmd, "%%s ibe decrypt --app-id my-apq --app-key %s --in /tmp/tkms-ct.hex", SK);
    assert_int_equal(run(cmd, err, sizeof err), 2);
    assert_string_equal(err, "tkms ibe decrypt: decryption failed\n");
    snprintf(cmd, sizeof cmd, "head -c 200 /tmp/tkms-ct.hex | %%s ibe decrypt --app-id my-app --app-key %s", SK);
    assert_int_equal(run(cmd, err, sizeof err), 2);
    snprintf(cmd, sizeof cmd, "%%s ibe encrypt --app-id my-app --mpk %.190s < /dev/null", MPK);
    assert_int_equal(run(cmd, err, sizeof err), 2); /* 95 bytes of hex */
    assert_int_equal(run("%s ibe encrypt --app-id my-app < /dev/null", err, sizeof err), 1);
    assert_int_equal(run("%s ibe frobnicate", err, sizeof err), 1);
    assert_int_equal(run("%s ibe encrypt --help > /dev/null", err, sizeof err), 0);
    snprintf(cmd, sizeof cmd, "%%s ibe encrypt --app-id abc --mpk %s < /dev/null", MPK);
    assert_int_equal(run(cmd, err, sizeof err), 2); /* id shorter than 5 bytes */
}

static void test_round_trip_bytes(void **state) {
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "head -c 70000 /dev/urandom > /tmp/tkms-in.bin && %%s ibe encrypt --app-id my-app --mpk %s --in /tmp/tkms-in.bin --out /tmp/tkms-ct2.hex && "
             "%%s ibe decrypt --app-id my-app --app-key %s --in /tmp/tkms-ct2.hex --out /tmp/tkms-out.bin && cmp -s /tmp/tkms-in.bin /tmp/tkms-out.bin",
             MPK, SK);
    char expanded[2200]; /* the command has two %s for the binary */
    snprintf(expanded, sizeof expanded, cmd, bin, bin);
    assert_int_equal(WEXITSTATUS(system(expanded)), 0);
}

static void test_mnemonic(void **state) {
    (void)state;
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%%s mnemonic --app-key %s --app-id my-app --addresses --json > /tmp/tkms-m1.json && "
             "%%s mnemonic --app-key %s --app-id my-app --addresses --json > /tmp/tkms-m2.json && cmp -s /tmp/tkms-m1.json /tmp/tkms-m2.json",
             SK, SK);
    char expanded[2200];
    snprintf(expanded, sizeof expanded, cmd, bin, bin);
    assert_int_equal(WEXITSTATUS(system(expanded)), 0);
    char json[4096] = {0};
    FILE *f = fopen("/tmp/tkms-m1.json", "r");
    assert_non_null(f);
    assert_true(fread(json, 1, sizeof json - 1, f) > 0);
    fclose(f);
    int words = 1, evm = 0, sol = 0;
    char *m = strstr(json, "\"mnemonic\":\"");
    assert_non_null(m);
    for (char *p = m + 12; *p && *p != '"'; p++) {
        words += *p == ' ';
    }
    assert_int_equal(words, 24);
    for (char *p = json; (p = strstr(p, "\"0x")) != NULL; p++) {
        evm++;
    }
    char *s = strstr(json, "\"solana\":[");
    assert_non_null(s);
    for (char *p = s; *p && *p != ']'; p++) {
        sol += *p == ',';
    }
    assert_int_equal(evm, 5);
    assert_int_equal(sol + 1, 5);
    char err[256];
    assert_int_equal(run("%s mnemonic --app-key 00 --app-id my-app", err, sizeof err), 2);
    assert_int_equal(run("%s mnemonic --app-id my-app", err, sizeof err), 1);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH_TO_TKMS\n", argv[0]);
        return 1;
    }
    bin = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ibe),
        cmocka_unit_test(test_round_trip_bytes),
        cmocka_unit_test(test_mnemonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
