/*
 * test_driver_config.c — tkmsd's configuration (src/node/config.c): defaults, the JSON
 * file, TKMS_* environment overrides and flags with their precedence, and exactly one
 * message per problem, naming where the bad value came from.
 */
#include <limits.h>
#include <sys/stat.h>

#include <jansson.h>

#include "driver_test.h"
#include "node/driver.h"

typedef struct {
    char dir[PATH_MAX], data[PATH_MAX + 8], keys[PATH_MAX + 16], file[PATH_MAX + 16];
} fixture;

static fixture F;

static int setup(void **state) {
    (void)state;
    snprintf(F.dir, sizeof F.dir, "/tmp/tkms-config-XXXXXX");
    assert_non_null(mkdtemp(F.dir));
    snprintf(F.data, sizeof F.data, "%s/data", F.dir);
    assert_int_equal(mkdir(F.data, 0700), 0);
    snprintf(F.keys, sizeof F.keys, "%s/node.keys", F.dir);
    dt_write_file(F.keys, "{}", 0600);
    snprintf(F.file, sizeof F.file, "%s/config.json", F.dir);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    unlink(F.file);
    unlink(F.keys);
    rmdir(F.data);
    rmdir(F.dir);
    return 0;
}

/* A complete, valid file; the members of `extra` (a JSON object's text) are added or
   replace the base ones. */
static void write_config(const char *extra) {
    json_t *base = json_pack("{s:s,s:s,s:s,s:i,s:s,s:s,s:s,s:s}", "data_dir", F.data,
                             "key_file", F.keys, "rpc_url", "http://127.0.0.1:8545", "chain_id",
                             31337, "kms_registry", "0x5fbdb2315678afecb367f032d93f642f64180aa3",
                             "epoch_log", "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512",
                             "app_controller", "0x9fe46736679d2d9a65f0992f2272de9f3c7fa6e0",
                             "app_listen", "127.0.0.1:8081");
    json_t *more = json_loads(extra, 0, NULL);
    assert_non_null(more);
    assert_int_equal(json_object_update(base, more), 0);
    char *text = json_dumps(base, 0);
    dt_write_file(F.file, text, 0600);
    free(text);
    json_decref(more);
    json_decref(base);
}

static tkms_err load(node_config *c, node_config_errors *e, char **env, int argc, ...) {
    char *argv[16];
    va_list ap;
    va_start(ap, argc);
    for (int i = 0; i < argc && i < 16; i++) {
        argv[i] = va_arg(ap, char *);
    }
    va_end(ap);
    return node_config_load(c, e, argc, argv, env);
}

static void print_errors(const node_config_errors *e) {
    for (size_t i = 0; i < e->count; i++) {
        fprintf(stderr, "  config: %s\n", e->line[i]);
    }
}

static void test_file_and_defaults(void **state) {
    (void)state;
    write_config("{}");
    node_config c;
    node_config_errors e;
    assert_int_equal(load(&c, &e, NULL, 2, "--config", F.file), TKMS_OK);
    assert_int_equal(e.count, 0);
    assert_string_equal(c.data_dir, F.data);
    assert_int_equal(c.chain_id, 31337);
    assert_int_equal(c.epoch_log[0], 0xe7);
    assert_int_equal(c.epoch_log[19], 0x12);
    assert_int_equal(c.poll_ms, 500);            /* defaults (api.md "Limits") */
    assert_int_equal(c.body_bytes_max, 65536);
    assert_int_equal(c.secrets_body_bytes_max, 2097152);
    assert_int_equal(c.ip_rps, 50);
    assert_int_equal(c.confirmations, 0);        /* 0: the registry's */
    assert_false(c.dev_ecdsa_enabled);
    assert_int_equal(c.log_level, 1);
    assert_string_equal(c.peer_listen, "127.0.0.1:8081"); /* defaults to the app listener */
}

/* defaults < file < environment < flags */
static void test_precedence(void **state) {
    (void)state;
    write_config("{\"poll_ms\":100,\"log_level\":\"warn\",\"http_threads\":3}");
    char cfg[PATH_MAX + 32];
    snprintf(cfg, sizeof cfg, "TKMS_CONFIG=%s", F.file);
    char *env[] = {cfg, "TKMS_POLL_MS=200", "TKMS_LOG_LEVEL=debug", "OTHER=1", NULL};
    node_config c;
    node_config_errors e;
    assert_int_equal(load(&c, &e, env, 0), TKMS_OK);
    assert_int_equal(c.poll_ms, 200);
    assert_int_equal(c.log_level, 0);
    assert_int_equal(c.http_threads, 3);
    assert_int_equal(load(&c, &e, env, 3, "--poll-ms", "300", "--log-level=error"), TKMS_OK);
    assert_int_equal(c.poll_ms, 300);
    assert_int_equal(c.log_level, 3);
    assert_int_equal(load(&c, &e, env, 2, "--peer_listen", "127.0.0.1:9000"), TKMS_OK);
    assert_string_equal(c.peer_listen, "127.0.0.1:9000");
}

static void test_required_each_named(void **state) {
    (void)state;
    node_config c;
    node_config_errors e;
    assert_int_equal(load(&c, &e, NULL, 0), TKMS_ERR_NODE_CONFIG_INVALID);
    const char *required[] = {"data_dir", "key_file", "rpc_url", "chain_id", "kms_registry",
                              "epoch_log", "app_controller", "app_listen"};
    assert_int_equal(e.count, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_non_null(strstr(e.line[i], required[i]));
        assert_non_null(strstr(e.line[i], "is required"));
        assert_non_null(strstr(e.line[i], "TKMS_"));
    }
}

/* Every bad value is reported once, with its source; nothing else is. */
static void test_one_message_per_problem(void **state) {
    (void)state;
    write_config("{\"poll_ms\":5,\"chain_id\":\"1\",\"bogus\":1,\"dev_ecdsa_enabled\":\"yes\","
                 "\"http_threads\":-1}");
    char *env[] = {"TKMS_EPOCH_LOG=0x1234", "TKMS_RPC_URL=ftp://x", NULL};
    node_config c;
    node_config_errors e;
    tkms_err err = load(&c, &e, env, 7, "--config", F.file, "--app-listen", "nohost",
                        "--no-such-flag", "1", "--log-level");
    assert_int_equal(err, TKMS_ERR_NODE_CONFIG_INVALID);
    print_errors(&e);
    const char *expect[][2] = {
        {"poll_ms", "10..60000"},           {"chain_id", "must be an integer"},
        {"bogus", "unknown key"},           {"dev_ecdsa_enabled", "true or false"},
        {"http_threads", "negative"},       {"environment TKMS_EPOCH_LOG", "20-byte"},
        {"environment TKMS_RPC_URL", "http"}, {"app_listen", "host:port"},
        {"--no-such-flag", "unknown option"}, {"--log-level", "needs a value"},
    };
    assert_int_equal(e.count, sizeof expect / sizeof expect[0]);
    for (size_t k = 0; k < sizeof expect / sizeof expect[0]; k++) {
        bool found = false;
        for (size_t i = 0; i < e.count && !found; i++) {
            found = strstr(e.line[i], expect[k][0]) && strstr(e.line[i], expect[k][1]);
        }
        if (!found) {
            fail_msg("no message about %s (%s)", expect[k][0], expect[k][1]);
        }
    }
}

static void test_files_must_exist(void **state) {
    (void)state;
    write_config("{\"seal_key_file\":\"/nonexistent/seal.key\"}");
    node_config c;
    node_config_errors e;
    char missing[PATH_MAX + 16];
    snprintf(missing, sizeof missing, "%s/missing", F.dir);
    assert_int_equal(load(&c, &e, NULL, 4, "--config", F.file, "--data-dir", missing),
                     TKMS_ERR_NODE_CONFIG_INVALID);
    print_errors(&e);
    assert_int_equal(e.count, 2);
    assert_non_null(strstr(e.line[0], "not an existing directory"));
    assert_non_null(strstr(e.line[1], "seal_key_file"));
    /* a config file that is not JSON: one message with the line */
    dt_write_file(F.file, "{\"data_dir\": \n nope}", 0600);
    assert_int_equal(load(&c, &e, NULL, 2, "--config", F.file), TKMS_ERR_NODE_CONFIG_INVALID);
    assert_int_equal(e.count, 1); /* the keys it would have set are not also "required" */
    assert_non_null(strstr(e.line[0], "line 2"));
    /* a missing config file */
    assert_int_equal(load(&c, &e, NULL, 2, "--config", missing), TKMS_ERR_NODE_CONFIG_INVALID);
    assert_non_null(strstr(e.line[0], "cannot read"));
    /* duplicate keys are refused (jansson JSON_REJECT_DUPLICATES) */
    dt_write_file(F.file, "{\"poll_ms\":10,\"poll_ms\":20}", 0600);
    assert_int_equal(load(&c, &e, NULL, 2, "--config", F.file), TKMS_ERR_NODE_CONFIG_INVALID);
    assert_non_null(strstr(e.line[0], "duplicate"));
}

static void test_bounds(void **state) {
    (void)state;
    write_config("{\"chain_id\":0,\"confirmations\":1001,\"app_controller\":"
                 "\"0x0000000000000000000000000000000000000000\"}");
    node_config c;
    node_config_errors e;
    assert_int_equal(load(&c, &e, NULL, 4, "--config", F.file, "--chain-id", "18446744073709551616"),
                     TKMS_ERR_NODE_CONFIG_INVALID);
    print_errors(&e);
    /* chain_id 0 (file) and 2^64 (flag) are two problems; confirmations; the zero address */
    assert_int_equal(e.count, 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_and_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
        cmocka_unit_test_setup_teardown(test_required_each_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_one_message_per_problem, setup, teardown),
        cmocka_unit_test_setup_teardown(test_files_must_exist, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
