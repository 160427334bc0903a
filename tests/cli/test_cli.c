/*
 * test_cli.c — the `tkms` binary end to end against anvil: --help and usage errors
 * (exit 1), bad input and failed operations (exit 2, exactly one line on stderr), and the
 * happy paths with human and --json output: operator keygen, chain deploy (--out
 * deployment file), operator allow/register, app create/release; results are checked on
 * chain with the C client (pinned reads), contract refusals come back with their error
 * names.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "chain/anvil.h"
#include "chain/chain.h"
#include "test_util.h"

typedef struct {
    int status;
    char out[16384];
    char err[4096];
} run_result;

static test_anvil anvil;
static char dir[64];

static void slurp(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = 0;
    if (f) {
        fclose(f);
    }
}

/* Runs tkms with args (NULL-terminated) and captures stdout, stderr and the exit status. */
static void run(run_result *r, const char *const *args) {
    const char *bin = getenv("TKMS_CLI_BIN");
    assert_non_null(bin);
    char out_path[128], err_path[128];
    snprintf(out_path, sizeof out_path, "%s/stdout", dir);
    snprintf(err_path, sizeof err_path, "%s/stderr", dir);
    const char *argv[48] = {bin};
    size_t argc = 1;
    for (; args[argc - 1] != NULL; argc++) {
        argv[argc] = args[argc - 1];
    }
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
            _exit(127);
        }
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    r->status = WEXITSTATUS(status);
    slurp(out_path, r->out, sizeof r->out);
    slurp(err_path, r->err, sizeof r->err);
}

/* A failure: the status, one line on stderr containing needle. */
static void expect_failure(const char *const *args, int status, const char *needle) {
    run_result r;
    run(&r, args);
    if (r.status != status || strstr(r.err, needle) == NULL) {
        fail_msg("%s %s: status %d, stderr: %s", args[0], args[1], r.status, r.err);
    }
    size_t lines = 0;
    for (const char *p = r.err; *p; p++) {
        lines += *p == '\n';
    }
    assert_int_equal(lines, 1);
}

static void expect_ok(run_result *r, const char *const *args) {
    run(r, args);
    if (r->status != 0) {
        fail_msg("%s %s: status %d, stderr: %s", args[0], args[1], r->status, r->err);
    }
    assert_string_equal(r->err, "");
}

static json_t *expect_json(const char *const *args) {
    run_result r;
    expect_ok(&r, args);
    json_t *j = json_loads(r.out, 0, NULL);
    if (j == NULL) {
        fail_msg("not JSON: %s", r.out);
    }
    return j;
}

static void write_file(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

static char key_path[8][128];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tkms-cli-XXXXXX");
    assert_non_null(mkdtemp(dir));
    test_anvil_start(&anvil, NULL);
    for (size_t i = 0; i < 4; i++) {
        snprintf(key_path[i], sizeof key_path[i], "%s/key%zu", dir, i);
        write_file(key_path[i], test_anvil_keys[i], 0600);
    }
    return 0;
}

static int teardown(void **state) {
    (void)state;
    test_anvil_cleanup(&anvil);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", dir); /* our own temp dir only */
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void test_help_and_usage(void **state) {
    (void)state;
    run_result r;
    const char *const help[][4] = {{"--help", NULL},
                                   {"chain", "--help", NULL},
                                   {"chain", "deploy", "--help", NULL},
                                   {"operator", "--help", NULL},
                                   {"operator", "keygen", "--help", NULL},
                                   {"operator", "allow", "--help", NULL},
                                   {"operator", "register", "--help", NULL},
                                   {"app", "--help", NULL},
                                   {"app", "create", "--help", NULL},
                                   {"app", "release", "--help", NULL}};
    for (size_t i = 0; i < sizeof help / sizeof help[0]; i++) {
        expect_ok(&r, help[i]);
        assert_non_null(strstr(r.out, "usage: tkms"));
    }
    expect_failure((const char *const[]){"frobnicate", NULL}, 1, "unknown command 'frobnicate'");
    expect_failure((const char *const[]){"chain", NULL}, 1, "missing subcommand");
    expect_failure((const char *const[]){"app", "delete", NULL}, 1, "unknown subcommand");
    expect_failure((const char *const[]){"chain", "deploy", "--bogus", NULL}, 1,
                   "unknown option '--bogus'");
    expect_failure((const char *const[]){"chain", "deploy", "--rpc", NULL}, 1, "needs a value");
    expect_failure((const char *const[]){"app", "release", "--app",
                                         "0x1111111111111111111111111111111111111111", NULL},
                   1, "are required");
    expect_failure((const char *const[]){"operator", "allow", "--address", "0xzz", NULL}, 2,
                   "--address: expected 0x and 40 hex digits");
    expect_failure((const char *const[]){"chain", "deploy", "--interval", "x1", NULL}, 2,
                   "--interval: expected a decimal number");
}

static void test_keygen(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/new.key", dir);
    json_t *j =
        expect_json((const char *const[]){"operator", "keygen", "--out", path, "--json", NULL});
    const char *address = json_string_value(json_object_get(j, "address"));
    assert_non_null(address);
    tkms_chain_key k;
    assert_int_equal(tkms_chain_key_load(&k, path), TKMS_OK);
    char hex[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(hex, &k.address);
    assert_string_equal(hex, address);
    tkms_chain_key_wipe(&k);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    json_decref(j);
    expect_failure((const char *const[]){"operator", "keygen", "--out", path, NULL}, 2,
                   "already exists");
    /* `tkms keygen` is the same command */
    snprintf(path, sizeof path, "%s/top.key", dir);
    j = expect_json((const char *const[]){"keygen", "--out", path, "--json", NULL});
    assert_non_null(json_string_value(json_object_get(j, "address")));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    json_decref(j);
    expect_failure((const char *const[]){"keygen", "--out", path, NULL}, 2, "already exists");
}

/* ---- chain-backed commands ------------------------------------------------------------- */
static char deployment[128];

static tkms_chain_client *client_new(void) {
    tkms_chain_client_options o;
    tkms_chain_client_options_default(&o);
    o.url = anvil.url;
    tkms_chain_client *c = NULL;
    assert_int_equal(tkms_chain_client_new(&c, &o), TKMS_OK);
    return c;
}

/* A view of the deployed contract `key` ("kms_registry", …) at the latest block's hash;
 * *keep owns the bytes v points into. */
static void view(tkms_chain_client *c, tkms_chain_abi_value *v, tkms_chain_abi_pool *pool,
                 tkms_chain_bytes *keep, const char *key, const char *signature,
                 const tkms_chain_address *arg, const char *outputs) {
    json_t *doc = json_load_file(deployment, 0, NULL);
    tkms_chain_address contract;
    assert_int_equal(
        tkms_chain_address_parse(&contract, json_string_value(json_object_get(doc, key))), TKMS_OK);
    json_decref(doc);
    tkms_chain_abi_value a = tkms_chain_abi_address(arg);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes call;
    assert_int_equal(tkms_chain_abi_call_encode(&call, signature, &args), TKMS_OK);
    tkms_chain_header h;
    assert_int_equal(tkms_chain_header_get(c, &h, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST)),
                     TKMS_OK);
    tkms_chain_call_request req = {.to = &contract, .data = call.ptr, .data_len = call.len};
    assert_int_equal(tkms_chain_call(c, keep, &req, tkms_chain_block_hash(&h.hash)), TKMS_OK);
    assert_int_equal(tkms_chain_abi_decode(v, pool, outputs, keep->ptr, keep->len), TKMS_OK);
    tkms_chain_bytes_free(&call);
}

static bool registry_flag(tkms_chain_client *c, const char *signature, const char *who) {
    tkms_chain_address op;
    assert_int_equal(tkms_chain_address_parse(&op, who), TKMS_OK);
    tkms_chain_abi_value values[2], v;
    tkms_chain_abi_pool pool = {values, 2, 0};
    tkms_chain_bytes keep;
    view(c, &v, &pool, &keep, "kms_registry", signature, &op, TKMS_CHAIN_REGISTRY_IS_OUT);
    bool flag = false;
    assert_int_equal(tkms_chain_abi_get_bool(&flag, &v.items[0]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
    return flag;
}

static void test_deploy_and_operators(void **state) {
    (void)state;
    snprintf(deployment, sizeof deployment, "%s/deployment.json", dir);
    run_result r;
    expect_ok(&r, (const char *const[]){"chain", "deploy", "--rpc", anvil.url, "--key-file",
                                        key_path[0], "--out", deployment, NULL});
    assert_non_null(strstr(r.out, "KmsRegistry    0x"));
    assert_non_null(strstr(r.out, "chain id       31337"));
    json_t *doc = json_load_file(deployment, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_integer_value(json_object_get(doc, "chain_id")), 31337);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "params"), "interval")), 20);
    json_decref(doc);
    expect_failure((const char *const[]){"chain", "deploy", "--rpc", anvil.url, "--key-file",
                                         key_path[0], "--commit-offset", "2", NULL},
                   2, "deploying KmsRegistry reverted: PhaseWindowTooShort(1, 2, 3)");
    expect_failure((const char *const[]){"chain", "deploy", "--rpc", anvil.url, "--key-file",
                                         key_path[0], "--chain-id", "1", NULL},
                   2, "serves chain id 31337, expected 1");
    tkms_chain_key op1, op2;
    assert_int_equal(tkms_chain_key_load(&op1, key_path[1]), TKMS_OK);
    assert_int_equal(tkms_chain_key_load(&op2, key_path[2]), TKMS_OK);
    char op1_hex[TKMS_CHAIN_ADDRESS_HEX_BYTES], op2_hex[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(op1_hex, &op1.address);
    tkms_chain_address_format(op2_hex, &op2.address);
    json_t *j = expect_json(
        (const char *const[]){"operator", "allow", "--rpc", anvil.url, "--key-file", key_path[0],
                              "--deployment", deployment, "--address", op1_hex, "--json", NULL});
    assert_string_equal(json_string_value(json_object_get(j, "operator")), op1_hex);
    json_decref(j);
    const char *ed = "1111111111111111111111111111111111111111111111111111111111111111";
    const char *x = "0x2222222222222222222222222222222222222222222222222222222222222222";
    expect_ok(&r,
              (const char *const[]){"operator", "register", "--rpc", anvil.url, "--key-file",
                                    key_path[1], "--deployment", deployment, "--ed25519-pub", ed,
                                    "--x25519-pub", x, "--peer-url", "http://127.0.0.1:9101/peer",
                                    "--app-url", "http://127.0.0.1:9201", NULL});
    assert_non_null(strstr(r.out, "registered 0x"));
    char not_allowed[96];
    snprintf(not_allowed, sizeof not_allowed, "register reverted: NotAllowed(%s)", op2_hex);
    expect_failure((const char *const[]){"operator", "register", "--rpc", anvil.url, "--key-file",
                                         key_path[2], "--deployment", deployment, "--ed25519-pub",
                                         ed, "--x25519-pub", x, "--peer-url", "http://a",
                                         "--app-url", "http://b", NULL},
                   2, not_allowed);
    expect_failure((const char *const[]){"operator", "allow", "--rpc", anvil.url, "--key-file",
                                         key_path[2], "--deployment", deployment, "--address",
                                         op2_hex, NULL},
                   2, "allow reverted: NotOwner(");
    tkms_chain_client *c = client_new();
    assert_true(registry_flag(c, TKMS_CHAIN_REGISTRY_IS_ACTIVE, op1_hex));
    assert_false(registry_flag(c, TKMS_CHAIN_REGISTRY_IS_ALLOWED, op2_hex));
    tkms_chain_client_free(c);
    tkms_chain_key_wipe(&op1);
    tkms_chain_key_wipe(&op2);
}

static void test_apps(void **state) {
    (void)state;
    json_t *j =
        expect_json((const char *const[]){"app", "create", "--rpc", anvil.url, "--key-file",
                                          key_path[3], "--deployment", deployment, "--json", NULL});
    char app[64];
    snprintf(app, sizeof app, "%s", json_string_value(json_object_get(j, "app")));
    assert_int_equal(strlen(app), 42);
    json_decref(j);
    char env[128], pub[128], plain[128];
    snprintf(env, sizeof env, "%s/env.hex", dir);
    snprintf(pub, sizeof pub, "%s/public.env", dir);
    snprintf(plain, sizeof plain, "%s/plain.env", dir);
    write_file(env, "  0xc0ffee0102\n", 0600);
    write_file(pub, "LOG_LEVEL=debug\n", 0600);
    write_file(plain, "SECRET=hunter2\n", 0600);
    const char *digest = "sha256:d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1d1";
    run_result r;
    expect_ok(&r,
              (const char *const[]){"app", "release", "--rpc", anvil.url, "--key-file", key_path[3],
                                    "--deployment", deployment, "--app", app, "--image-digest",
                                    digest, "--image-registry", "ghcr.io/example/app", "--env-file",
                                    env, "--public-env-file", pub, NULL});
    assert_non_null(strstr(r.out, "release 1 published"));
    tkms_chain_client *c = client_new(); /* read the release back from the chain */
    tkms_chain_address app_address;
    assert_int_equal(tkms_chain_address_parse(&app_address, app), TKMS_OK);
    tkms_chain_abi_value values[8], v;
    tkms_chain_abi_pool pool = {values, 8, 0};
    tkms_chain_bytes keep;
    view(c, &v, &pool, &keep, "app_controller", TKMS_CHAIN_APPS_LATEST_RELEASE, &app_address,
         TKMS_CHAIN_APPS_RELEASE_OUT);
    assert_int_equal(v.items[2].word[0], 0xd1);
    assert_int_equal(v.items[3].len, strlen("ghcr.io/example/app"));
    assert_int_equal(v.items[4].len, 5);
    assert_memory_equal(v.items[4].data, "\xc0\xff\xee\x01\x02", 5);
    assert_int_equal(v.items[5].len, strlen("LOG_LEVEL=debug\n"));
    tkms_chain_bytes_free(&keep);
    tkms_chain_client_free(c);
    expect_failure((const char *const[]){"app", "release", "--rpc", anvil.url, "--key-file",
                                         key_path[3], "--deployment", deployment, "--app", app,
                                         "--image-digest", digest, "--image-registry", "r",
                                         "--env-file", plain, "--public-env-file", pub, NULL},
                   2, "expected the env ciphertext as hex");
    expect_failure((const char *const[]){"app", "release", "--rpc", anvil.url, "--key-file",
                                         key_path[2], "--deployment", deployment, "--app", app,
                                         "--image-digest", digest, "--image-registry", "r",
                                         "--env-file", env, "--public-env-file", pub, NULL},
                   2, "publishRelease reverted: NotAppOwner(");
    expect_failure(
        (const char *const[]){"app", "release", "--app", app, "--image-digest", "abc", NULL}, 2,
        "--image-digest: expected 64 hex digits");
    char loose[128];
    snprintf(loose, sizeof loose, "%s/loose.key", dir);
    write_file(loose, test_anvil_keys[3], 0644);
    expect_failure((const char *const[]){"app", "create", "--rpc", anvil.url, "--key-file", loose,
                                         "--deployment", deployment, NULL},
                   2, "chmod 600");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help_and_usage),
        cmocka_unit_test(test_keygen),
        cmocka_unit_test(test_deploy_and_operators),
        cmocka_unit_test(test_apps),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
