/*
 * test_cli_client.c — the network-client commands of the real `tkms` binary end to end:
 * anvil with the real contracts, a genesis DKG and a reshare recorded on chain with real
 * commitments, four fake tkmsd operators in this process serving partials of that sharing
 * and checking the dev-ecdsa attestation (tests/client/chain_fixture.h). Covered:
 * `tkms secrets` (env, public env, mnemonic and addresses equal to those of S·H1(id); a
 * byzantine operator named on stderr; fewer than t answers and a wrong owner key: exit 2
 * with one stderr line), `tkms pubkey` (chain state, all nodes agree; a lying node named,
 * exit 2; --chain-only), `tkms encrypt` (decrypts with the app key), `tkms status`, and
 * usage errors (exit 1), bad input (exit 2), --help (exit 0).
 * Env: TKMS_CLI_BIN (the binary), TKMS_CONTRACTS_DIR, TKMS_SOURCE_DIR.
 */
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "client/chain_fixture.h"

static const char *bin;
static char dir[64], deployment[128], owner_file[128], cmd_out[128], cmd_err[128];
static char out_text[1 << 16], err_text[4096];
static const char OWNER_SK[] = "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";

static void read_text(char *buf, size_t max, const char *path) {
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, max - 1, f) : 0;
    buf[n] = 0;
    if (f) {
        fclose(f);
    }
}

/* Runs `tkms <args>` (args may contain shell syntax); stdout/stderr into the buffers. */
static int run(const char *args_fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *args_fmt, ...) {
    char args[2048], line[3000];
    va_list ap;
    va_start(ap, args_fmt);
    vsnprintf(args, sizeof args, args_fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s %s >%s 2>%s", bin, args, cmd_out, cmd_err);
    int status = system(line);
    read_text(out_text, sizeof out_text, cmd_out);
    read_text(err_text, sizeof err_text, cmd_err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static size_t lines(const char *text) {
    size_t n = 0;
    for (; *text; text++) {
        n += *text == '\n';
    }
    return n;
}

static void net_args(char *out, size_t max) {
    snprintf(out, max, "--rpc %s --deployment %s --timeout-ms 3000", E.anvil.url, deployment);
}

static int setup(void **state) {
    (void)state;
    bin = getenv("TKMS_CLI_BIN");
    if (bin == NULL) {
        fail_msg("TKMS_CLI_BIN is not set (tests/cli/CMakeLists.txt sets it)");
    }
    chain_fixture_setup();
    chain_fixture_two_versions();
    snprintf(dir, sizeof dir, "/tmp/tkms-cli-client-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(deployment, sizeof deployment, "%s/deployment.json", dir);
    snprintf(owner_file, sizeof owner_file, "%s/owner.key", dir);
    snprintf(cmd_out, sizeof cmd_out, "%s/out", dir);
    snprintf(cmd_err, sizeof cmd_err, "%s/err", dir);
    char registry[TKMS_CHAIN_ADDRESS_HEX_BYTES], log[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(registry, &E.registry);
    tkms_chain_address_format(log, &E.epoch_log);
    FILE *f = fopen(deployment, "w");
    fprintf(f, "{\"kms_registry\":\"%s\",\"epoch_log\":\"%s\",\"app_controller\":\"%s\"}\n",
            registry, log, registry);
    fclose(f);
    f = fopen(owner_file, "w");
    fprintf(f, "%s\n", OWNER_SK);
    fclose(f);
    chmod(owner_file, 0600);
    tkms_chain_key owner;
    uint8_t sk[32];
    assert_int_equal(tkms_chain_hex_decode(sk, 32, OWNER_SK), TKMS_OK);
    assert_int_equal(tkms_chain_key_from_bytes(&owner, sk), TKMS_OK);
    memcpy(FX.owner, owner.address.bytes, 20); /* the fake nodes check the attestation */
    FX.check_attest = true;
    return 0;
}

static int teardown(void **state) {
    (void)state;
    chain_fixture_teardown();
    const char *files[] = {deployment, owner_file, cmd_out, cmd_err};
    for (size_t i = 0; i < 4; i++) {
        unlink(files[i]);
    }
    char extra[160];
    snprintf(extra, sizeof extra, "%s/env.out", dir);
    unlink(extra);
    snprintf(extra, sizeof extra, "%s/ct.hex", dir);
    unlink(extra);
    rmdir(dir);
    return 0;
}

static void app_mnemonic(char *words, size_t max) {
    tkms_bls_g1 h1, sk;
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)FX.app_id, strlen(FX.app_id)), TKMS_OK);
    tkms_tss_partial_sign(&sk, &FX.master, &h1);
    assert_int_equal(
        tkms_client_app_mnemonic(words, max, &sk, (const uint8_t *)FX.app_id, strlen(FX.app_id)),
        TKMS_OK);
}

static void test_secrets(void **state) {
    (void)state;
    char net[512];
    net_args(net, sizeof net);
    assert_int_equal(run("secrets --app-id %s --owner-key-file %s %s --json --mnemonic --addresses",
                         FX.app_id, owner_file, net),
                     0);
    assert_string_equal(err_text, "");
    json_t *o = json_loads(out_text, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "env")), FX.env_plain);
    assert_int_equal(json_integer_value(json_object_get(o, "version")), E.e2);
    assert_int_equal(json_integer_value(json_object_get(o, "threshold")), T);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(o, "public_env"), "REGION")), "eu");
    json_t *ops = json_object_get(o, "operators");
    assert_int_equal(json_array_size(ops), N);
    for (size_t i = 0; i < N; i++) {
        assert_string_equal(json_string_value(json_object_get(json_array_get(ops, i), "status")),
                            "ok");
    }
    char words[TKMS_CLIENT_MNEMONIC_BYTES_MAX];
    app_mnemonic(words, sizeof words);
    json_t *w = json_object_get(o, "wallet");
    assert_string_equal(json_string_value(json_object_get(w, "mnemonic")), words);
    assert_int_equal(json_array_size(json_object_get(w, "evm")), 5);
    assert_int_equal(
        strncmp(json_string_value(json_array_get(json_object_get(w, "evm"), 0)), "0x", 2), 0);
    json_decref(o);
    /* human output: the env as is */
    assert_int_equal(run("secrets --app-id %s --owner-key-file %s %s", FX.app_id, owner_file, net),
                     0);
    assert_non_null(strstr(out_text, FX.env_plain));
    assert_non_null(strstr(out_text, "REGION=eu\n"));
    assert_null(strstr(out_text, words)); /* no mnemonic unless asked */
}

static void test_secrets_blame_and_failures(void **state) {
    (void)state;
    char net[512], address[TKMS_CLIENT_APP_ID_BYTES];
    net_args(net, sizeof net);
    FX.ops[2].behaviour = FX_BAD_PARTIAL;
    FX.ops[2].bad_mask = 3;
    assert_int_equal(run("secrets --app-id %s --owner-key-file %s %s", FX.app_id, owner_file, net),
                     0);
    address[0] = '0';
    address[1] = 'x';
    tu_hex(address + 2, FX.addr[2], 20);
    assert_non_null(strstr(err_text, address));
    assert_non_null(strstr(err_text, "bad_partial"));
    assert_non_null(strstr(out_text, FX.env_plain));
    /* a bad partial and a node hanging up: fewer than t = 3 */
    FX.ops[0].behaviour = FX_HANG_UP;
    assert_int_equal(run("secrets --app-id %s --owner-key-file %s %s", FX.app_id, owner_file, net),
                     2);
    assert_int_equal(lines(err_text), 1);
    assert_non_null(strstr(err_text, "tkms secrets: no key version has t verified partials"));
    assert_non_null(strstr(err_text, "client_too_few_partials"));
    assert_non_null(strstr(err_text, address)); /* named in the failure line too */
    assert_string_equal(out_text, "");
    FX.ops[0].behaviour = FX.ops[2].behaviour = FX_HONEST;
    /* a key that does not own the app: every node refuses the attestation */
    char other[160];
    snprintf(other, sizeof other, "%s/other.key", dir);
    FILE *f = fopen(other, "w");
    fprintf(f, "%s\n", test_anvil_keys[6]);
    fclose(f);
    chmod(other, 0600);
    assert_int_equal(run("secrets --app-id %s --owner-key-file %s %s", FX.app_id, other, net), 2);
    assert_int_equal(lines(err_text), 1);
    assert_non_null(strstr(err_text, "HTTP 401 attestation_invalid"));
    chmod(other, 0644); /* readable by others: refused before anything is sent */
    assert_int_equal(run("secrets --app-id %s --owner-key-file %s %s", FX.app_id, other, net), 2);
    assert_non_null(strstr(err_text, "readable by group or others"));
    unlink(other);
}

static void test_pubkey(void **state) {
    (void)state;
    char net[512];
    net_args(net, sizeof net);
    assert_int_equal(run("pubkey %s --json", net), 0);
    json_t *o = json_loads(out_text, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "version")), E.e2);
    assert_int_equal(json_integer_value(json_object_get(o, "source")), E.e1);
    assert_int_equal(json_integer_value(json_object_get(o, "nodes_agreeing")), N);
    uint8_t mpk[96];
    char mpk_hex[193];
    tkms_bls_g2_encode(mpk, &FX.mpk);
    tu_hex(mpk_hex, mpk, 96);
    assert_string_equal(json_string_value(json_object_get(o, "mpk")), mpk_hex);
    assert_int_equal(json_array_size(json_object_get(o, "commitments")), T);
    json_decref(o);
    assert_int_equal(run("pubkey %s --json --version %llu", net, (unsigned long long)E.e1), 0);
    o = json_loads(out_text, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(o, "source")), "dkg");
    json_decref(o);
    FX.ops[3].pubkey_lie = true;
    assert_int_equal(run("pubkey %s", net), 2);
    assert_int_equal(lines(err_text), 1);
    assert_non_null(strstr(err_text, "1 node(s) serve a public state that differs from chain"));
    assert_non_null(strstr(out_text, "3 of 4 nodes serve this state"));
    assert_int_equal(run("pubkey %s --chain-only", net), 0);
    FX.ops[3].pubkey_lie = false;
    assert_int_equal(run("pubkey %s --version 999999", net), 2);
    assert_non_null(strstr(err_text, "not finalized"));
}

static void test_encrypt(void **state) {
    (void)state;
    char net[512], ct_path[160];
    net_args(net, sizeof net);
    snprintf(ct_path, sizeof ct_path, "%s/ct.hex", dir);
    assert_int_equal(
        run("encrypt --app-id %s %s --out %s < %s", FX.app_id, net, ct_path, deployment), 0);
    char hex[4096];
    read_text(hex, sizeof hex, ct_path);
    assert_true(strlen(hex) > 0 && hex[strlen(hex) - 1] == '\n');
    hex[strlen(hex) - 1] = 0;
    uint8_t ct[2048], pt[2048];
    long ct_len = tu_unhex(ct, sizeof ct, hex);
    assert_true(ct_len > TKMS_IBE_OVERHEAD_BYTES);
    tkms_bls_g1 h1, sk;
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)FX.app_id, strlen(FX.app_id)), TKMS_OK);
    tkms_tss_partial_sign(&sk, &FX.master, &h1);
    size_t pt_len = 0;
    assert_int_equal(tkms_ibe_decrypt(pt, sizeof pt, &pt_len, (const uint8_t *)FX.app_id,
                                      strlen(FX.app_id), &sk, ct, (size_t)ct_len),
                     TKMS_OK);
    char want[2048];
    read_text(want, sizeof want, deployment);
    assert_int_equal(pt_len, strlen(want));
    assert_memory_equal(pt, want, pt_len);
    assert_int_equal(run("encrypt --app-id 0xABC %s < /dev/null", net), 2);
    assert_int_equal(run("encrypt %s < /dev/null", net), 1);
}

static void test_status(void **state) {
    (void)state;
    char net[512];
    net_args(net, sizeof net);
    FX.ops[1].behaviour = FX_HANG_UP;
    assert_int_equal(run("status %s --json", net), 0);
    json_t *o = json_loads(out_text, 0, NULL);
    assert_non_null(o);
    assert_int_equal(json_integer_value(json_object_get(o, "finalized_version")), E.e2);
    assert_int_equal(json_integer_value(json_object_get(o, "ready")), N - 1);
    json_t *ops = json_object_get(o, "operators");
    assert_int_equal(json_array_size(ops), N);
    assert_false(json_is_true(json_object_get(json_array_get(ops, 1), "ready")));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(ops, 0), "status"), "phase")),
                        "revealed");
    json_decref(o);
    assert_int_equal(run("status %s", net), 0);
    assert_non_null(strstr(out_text, "4 operators (3 ready)"));
    FX.ops[1].behaviour = FX_HONEST;
}

static void test_usage(void **state) {
    (void)state;
    const char *help[] = {"secrets", "pubkey", "encrypt", "status"};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(run("%s --help", help[i]), 0);
        assert_non_null(strstr(out_text, "usage: tkms "));
        assert_int_equal(run("%s --frobnicate", help[i]), 1);
        assert_int_equal(lines(err_text), 1);
    }
    assert_int_equal(run("secrets --owner-key-file %s", owner_file), 1);
    assert_int_equal(run("secrets --app-id 0x12 --owner-key-file %s", owner_file), 2);
    assert_int_equal(lines(err_text), 1);
    assert_int_equal(
        run("status --rpc http://127.0.0.1:1 --deployment %s --timeout-ms 500", deployment), 2);
    assert_int_equal(lines(err_text), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets), cmocka_unit_test(test_secrets_blame_and_failures),
        cmocka_unit_test(test_pubkey),  cmocka_unit_test(test_encrypt),
        cmocka_unit_test(test_status),  cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
