/*
 * test_cli_client_devnet.c — `tkms devnet up|status|down` with the real tkmsd: a 4-operator
 * network on anvil, the genesis DKG run by the nodes themselves, the demo app's env
 * fetched back (by `up`, and again by `tkms secrets` against the devnet), a second `up`
 * refused while the first runs, `down` stopping every process it recorded (each pid is
 * checked gone), a second `down` with nothing to do, and `up` failing at once with one clear
 * line when tkmsd is not runnable (nothing started, no directory made).
 * Slow (~1 minute: the DKG runs at one block per second). Env: TKMS_CLI_BIN, TKMS_TKMSD,
 * TKMS_CONTRACTS_DIR, TKMS_SOURCE_DIR (anvil is found in node_modules of the cwd).
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

static const char *bin;
static char base[64], dir[96], out_path[128], err_path[128];
static char out_text[1 << 16], err_text[4096];

static void read_text(char *buf, size_t max, const char *path) {
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, max - 1, f) : 0;
    buf[n] = 0;
    if (f) {
        fclose(f);
    }
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
    char args[2048], line[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(line, sizeof line, "%s %s >%s 2>%s", bin, args, out_path, err_path);
    int status = system(line);
    read_text(out_text, sizeof out_text, out_path);
    read_text(err_text, sizeof err_text, err_path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Gone: no such process, or a zombie about to be reaped by its new parent. */
static bool gone(long pid) {
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
        return true;
    }
    char path[64], text[256] = "";
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    read_text(text, sizeof text, path);
    const char *p = strrchr(text, ')');
    return text[0] == 0 || (p != NULL && p[1] == ' ' && p[2] == 'Z');
}

static int setup(void **state) {
    (void)state;
    bin = getenv("TKMS_CLI_BIN");
    if (bin == NULL || getenv("TKMS_TKMSD") == NULL) {
        fail_msg("TKMS_CLI_BIN and TKMS_TKMSD must be set (tests/cli/CMakeLists.txt)");
    }
    snprintf(base, sizeof base, "/tmp/tkms-devnet-XXXXXX");
    assert_non_null(mkdtemp(base));
    snprintf(dir, sizeof dir, "%s/net", base);
    snprintf(out_path, sizeof out_path, "%s/out", base);
    snprintf(err_path, sizeof err_path, "%s/err", base);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    run("devnet down --dir %s", dir); /* whatever happened, nothing stays running */
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", base); /* our mkdtemp directory only */
    return system(cmd) == 0 ? 0 : -1;
}

static void test_refused_without_tkmsd(void **state) {
    (void)state;
    assert_int_equal(run("devnet up --dir %s --tkmsd %s/no-such-tkmsd", dir, base), 2);
    assert_non_null(strstr(err_text, "tkms devnet up: tkmsd is not runnable at"));
    assert_int_equal(strchr(err_text, '\n') - err_text + 1, (long)strlen(err_text));
    assert_int_not_equal(access(dir, F_OK), 0); /* nothing started, nothing made */
    assert_int_equal(run("devnet up --nodes 0 --dir %s", dir), 2);
    assert_int_equal(run("devnet sideways"), 1);
    assert_int_equal(run("devnet up --help"), 0);
    assert_int_equal(run("devnet down --dir %s", dir), 0); /* nothing to stop */
    assert_non_null(strstr(out_text, "nothing to stop"));
    assert_int_equal(run("devnet status --dir %s", dir), 2);
}

static void test_up_status_secrets_down(void **state) {
    (void)state;
    int rc = run("devnet up --nodes 4 --dir %s --json", dir);
    if (rc != 0) {
        fail_msg("devnet up: exit %d: %s", rc, err_text);
    }
    json_t *up = json_loads(out_text, 0, NULL);
    assert_non_null(up);
    const char *rpc = json_string_value(json_object_get(up, "rpc_url"));
    const char *app = json_string_value(json_object_get(up, "app_id"));
    const char *deployment = json_string_value(json_object_get(up, "deployment"));
    assert_non_null(rpc);
    assert_non_null(app);
    assert_true(json_integer_value(json_object_get(up, "version")) >= 1);
    json_t *nodes = json_object_get(up, "nodes");
    assert_int_equal(json_array_size(nodes), 4);
    long pids[5];
    pids[4] = (long)json_integer_value(json_object_get(up, "anvil_pid"));
    for (size_t i = 0; i < 4; i++) {
        pids[i] = (long)json_integer_value(json_object_get(json_array_get(nodes, i), "pid"));
        assert_false(gone(pids[i]));
    }
    /* the cluster view, and the demo env fetched again by `tkms secrets` */
    assert_int_equal(run("devnet status --dir %s --json", dir), 0);
    json_t *st = json_loads(out_text, 0, NULL);
    assert_true(json_is_true(json_object_get(json_object_get(st, "anvil"), "alive")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "status"), "ready")),
                     4);
    json_decref(st);
    assert_int_equal(run("secrets --rpc %s --deployment %s --app-id %s --owner-key-file "
                         "%s/deployer.key",
                         rpc, deployment, app, dir),
                     0);
    assert_non_null(strstr(out_text, "DEMO_SECRET=only-this-app-can-read-this\n"));
    assert_int_equal(run("pubkey --rpc %s --deployment %s --json", rpc, deployment), 0);
    assert_int_equal(run("devnet up --dir %s", dir), 2); /* one devnet per directory */
    assert_non_null(strstr(err_text, "already up"));
    json_decref(up);
    /* down: every recorded process stops */
    assert_int_equal(run("devnet down --dir %s", dir), 0);
    assert_non_null(strstr(out_text, "stopped 5 process(es)"));
    for (size_t i = 0; i < 5; i++) {
        assert_true(gone(pids[i]));
    }
    assert_int_equal(run("devnet down --dir %s", dir), 0);
    assert_non_null(strstr(out_text, "nothing to stop"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refused_without_tkmsd),
        cmocka_unit_test(test_up_status_secrets_down),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
