/*
 * cmd_devnet.c — `tkms devnet up|down|status` (chain.md "Devnet"): a whole tkms network on
 * this machine. `up` starts anvil, deploys the contracts, makes N operator identities
 * (`tkmsd keygen`), funds, allow-lists and registers them, starts N tkmsd processes on
 * loopback ports, switches anvil to a fixed block time, calls startGenesis, follows the
 * genesis DKG until a key version is final, creates a demo app, publishes a release with
 * an env encrypted to it (MPK from chain), and does a live round trip with the dev-ecdsa
 * attestation — printing progress all along and, at the end, how to call it. `down` stops
 * everything `up` started, by pid, from <dir>/state.json; `status` shows the processes and
 * the cluster (`tkms status`).
 *
 * The steps reuse the `tkms` subcommands (chain deploy, operator allow/register, app
 * create/release) by running this very binary, so the devnet exercises the same code an
 * operator uses. When `up` fails, what it started is stopped again; logs stay in <dir>.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/devnet.h"
#include "prim/prim.h"

#define MARKER ".tkms-devnet"
#define STEPS 9

enum {
    OPT_NODES = CLI_OPT_COMMAND,
    OPT_DIR,
    OPT_ANVIL,
    OPT_TKMSD,
    OPT_BLOCK_TIME,
    OPT_INTERVAL,
    OPT_WAIT,
};

static const char devnet_usage[] =
    "usage: tkms devnet up [--nodes N] [options]   start a local network (anvil + N tkmsd)\n"
    "       tkms devnet status [--dir DIR]          processes and cluster view\n"
    "       tkms devnet down [--dir DIR]            stop everything `up` started\n"
    "(tkms devnet <verb> --help for details)\n";

static const char up_usage[] =
    "usage: tkms devnet up [--nodes N] [--dir DIR] [--block-time S] [--interval BLOCKS]\n"
    "                      [--wait-s S] [--anvil PATH] [--tkmsd PATH] [--json]\n"
    "Starts anvil, deploys the contracts, registers N operators with fresh keys, starts N\n"
    "tkmsd on loopback ports, calls startGenesis, waits for the genesis DKG, publishes a\n"
    "demo app whose env is encrypted to it and fetches it back from every operator.\n"
    "  --nodes N          operators, 1..32 (default 4; fewer than 4 tolerate no fault)\n"
    "  --dir DIR          state, keys, configs and logs (default .devnet)\n"
    "  --block-time S     seconds per block once the setup is mined (default 1)\n"
    "  --interval BLOCKS  epoch length, >= 17 (default 30; five equal phase windows)\n"
    "  --wait-s S         how long to wait for the genesis DKG (default 300)\n"
    "  --anvil PATH       anvil binary (env TKMS_ANVIL; default: node_modules, PATH)\n"
    "  --tkmsd PATH       tkmsd binary (env TKMS_TKMSD; default: beside tkms in the build)\n"
    "  --contracts-dir D  compiled contracts (default: beside the binary in the build tree)\n"
    "  --json             one JSON object at the end instead of progress lines\n"
    "exit status: 0 ok, 1 usage error, 2 a step failed (what it started is stopped)\n";

static const char down_usage[] =
    "usage: tkms devnet down [--dir DIR] [--json]\n"
    "Stops the tkmsd processes and anvil that `tkms devnet up` started (by pid, from\n"
    "DIR/state.json), and removes the state file. Logs and keys stay in DIR.\n";

static const char status_usage[] =
    "usage: tkms devnet status [--dir DIR] [--json]\n"
    "Shows whether the devnet's processes are alive, then `tkms status` for it.\n";

typedef struct {
    uint32_t nodes;
    const char *dir, *anvil, *tkmsd;
    devnet_params params;
} devnet_args;

static int devnet_option(void *ctx, const cli_args *a, int id, const char *value) {
    devnet_args *o = ctx;
    uint64_t v = 0;
    if (id == OPT_DIR || id == OPT_ANVIL || id == OPT_TKMSD) {
        *(id == OPT_DIR ? &o->dir : id == OPT_ANVIL ? &o->anvil : &o->tkmsd) = value;
        return 0;
    }
    static const char *const names[] = {"nodes", "", "", "", "block-time", "interval", "wait-s"};
    static const uint64_t lo[] = {1, 0, 0, 0, 1, 17, 10},
                          hi[] = {DEVNET_NODES_MAX, 0, 0, 0, 60, 1000, 3600};
    size_t k = (size_t)(id - OPT_NODES);
    int rc = cli_parse_u64(a, &v, names[k], value);
    if (rc == 0 && (v < lo[k] || v > hi[k])) {
        return cli_fail(a, "--%s: %llu..%llu", names[k], (unsigned long long)lo[k],
                        (unsigned long long)hi[k]);
    }
    uint32_t *slot[] = {
        &o->nodes,           NULL, NULL, NULL, &o->params.block_time_s, &o->params.interval,
        &o->params.timeout_s};
    *slot[k] = (uint32_t)v;
    return rc;
}

static const struct option devnet_options[] = {
    {"nodes", required_argument, NULL, OPT_NODES},
    {"dir", required_argument, NULL, OPT_DIR},
    {"anvil", required_argument, NULL, OPT_ANVIL},
    {"tkmsd", required_argument, NULL, OPT_TKMSD},
    {"block-time", required_argument, NULL, OPT_BLOCK_TIME},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"wait-s", required_argument, NULL, OPT_WAIT},
    CLI_SHARED_OPTIONS,
};

static void step(const cli_args *a, int k, const char *what) {
    if (!a->json) {
        printf("[%d/%d] %s\n", k, STEPS, what);
        fflush(stdout);
    }
}

/* ---- the directory ----------------------------------------------------------------------- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st;
    (void)flag;
    (void)f;
    return remove(path);
}

/* Makes dir (0700) fresh: a previous devnet's files go, but only from a directory that
   carries our marker (never an arbitrary --dir). */
static int dir_prepare(const cli_args *a, devnet_state *s, const char *dir) {
    char marker[DEVNET_PATH_MAX];
    snprintf(marker, sizeof marker, "%s/%s", dir, MARKER);
    if (access(dir, F_OK) == 0) {
        if (access(marker, F_OK) != 0) {
            return cli_fail(a, "--dir %s exists and is not a devnet directory", dir);
        }
        if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
            return cli_fail(a, "cannot clear %s: %s", dir, strerror(errno));
        }
    }
    char abs[PATH_MAX];
    FILE *m = NULL;
    if (mkdir(dir, 0700) != 0 || realpath(dir, abs) == NULL || (m = fopen(marker, "w")) == NULL) {
        return cli_fail(a, "cannot create %s: %s", dir, strerror(errno));
    }
    fclose(m);
    snprintf(s->dir, sizeof s->dir, "%s", abs);
    return 0;
}

/* ---- up ----------------------------------------------------------------------------------- */

static const char DEMO_ENV[] =
    "DEMO_SECRET=only-this-app-can-read-this\nGREETING=hello from tkms\n";

static int up_prepare(const cli_args *a, const devnet_args *o, devnet_state *s) {
    devnet_state old;
    const char *dir = o->dir ? o->dir : DEVNET_DIR_DEFAULT;
    if (devnet_state_load(&old, dir) == 0) {
        bool live = devnet_alive(&old.anvil_proc);
        for (uint32_t i = 0; i < old.nodes; i++) {
            live = live || devnet_alive(&old.node_proc[i]);
        }
        if (live) {
            return cli_fail(a, "a devnet is already up in %s (tkms devnet down --dir %s)", dir,
                            dir);
        }
    }
    memset(s, 0, sizeof *s);
    s->nodes = o->nodes;
    int rc = devnet_locate(a, s, o->anvil, o->tkmsd);
    if (rc == 0) {
        rc = devnet_tkmsd_check(a, s); /* fail before starting anything */
    }
    if (rc == 0) {
        rc = dir_prepare(a, s, dir);
    }
    char key[DEVNET_PATH_MAX];
    devnet_path(key, s, "deployer.key");
    return rc == 0 ? devnet_write_secret(a, key, DEVNET_DEPLOYER_KEY) : rc;
}

static int up_operators(const cli_args *a, devnet_state *s) {
    static char ed[DEVNET_NODES_MAX][67], x[DEVNET_NODES_MAX][67];
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < s->nodes; i++) {
        s->node_port[i] = devnet_free_port();
        rc = s->node_port[i] > 0 ? devnet_node_keygen(a, s, i, ed[i], x[i])
                                 : cli_fail(a, "no free port");
        if (rc == 0) {
            rc = devnet_fund(a, s, s->node_address[i]);
        }
    }
    if (rc == 0) {
        rc = devnet_state_save(s) == 0 ? devnet_register(a, s, ed, x)
                                       : cli_fail(a, "cannot write the state file");
    }
    return rc;
}

static void up_summary(const cli_args *a, const devnet_state *s) {
    char deployment[DEVNET_PATH_MAX];
    devnet_path(deployment, s, "deployment.json");
    if (a->json) {
        json_t *nodes = json_array();
        for (uint32_t i = 0; i < s->nodes; i++) {
            char url[64];
            snprintf(url, sizeof url, "http://127.0.0.1:%d", s->node_port[i]);
            json_array_append_new(nodes,
                                  json_pack("{s:s,s:s,s:I}", "address", s->node_address[i], "url",
                                            url, "pid", (json_int_t)s->node_proc[i].pid));
        }
        cli_json_print(json_pack(
            "{s:s,s:s,s:I,s:s,s:o,s:I,s:I,s:s}", "dir", s->dir, "rpc_url", s->rpc_url, "chain_id",
            (json_int_t)DEVNET_CHAIN_ID, "deployment", deployment, "nodes", nodes, "anvil_pid",
            (json_int_t)s->anvil_proc.pid, "version", (json_int_t)s->version, "app_id", s->app_id));
        return;
    }
    printf("\ndevnet up: %u operators, chain %s (id %d), key version %llu; files in %s\n", s->nodes,
           s->rpc_url, DEVNET_CHAIN_ID, (unsigned long long)s->version, s->dir);
    printf("try:\n  export TKMS_RPC_URL=%s\n", s->rpc_url);
    printf("  tkms status --deployment %s\n", deployment);
    printf("  tkms secrets --deployment %s --app-id %s --owner-key-file %s/deployer.key\n",
           deployment, s->app_id, s->dir);
    printf("  tkms pubkey --deployment %s\n", deployment);
    printf("  tkms encrypt --deployment %s --app-id %s --in FILE\n", deployment, s->app_id);
    printf("  tkms devnet down%s%s\n", strcmp(s->dir, DEVNET_DIR_DEFAULT) ? " --dir " : "",
           strcmp(s->dir, DEVNET_DIR_DEFAULT) ? s->dir : "");
}

static void stop_all(devnet_state *s) {
    for (uint32_t i = 0; i < s->nodes; i++) {
        devnet_stop(&s->node_proc[i], 15000);
    }
    devnet_stop(&s->anvil_proc, 5000);
    devnet_state_remove(s);
}

/* The steps of `up`, in order (dispatch is data: one row per printed step). */
typedef int (*up_step_fn)(const cli_args *a, const devnet_args *o, devnet_state *s);

static int step_anvil(const cli_args *a, const devnet_args *o, devnet_state *s) {
    (void)o;
    return devnet_anvil_start(a, s, 15000);
}

static int step_deploy(const cli_args *a, const devnet_args *o, devnet_state *s) {
    return devnet_deploy(a, s, &o->params);
}

static int step_operators(const cli_args *a, const devnet_args *o, devnet_state *s) {
    (void)o;
    return up_operators(a, s);
}

/* Blocks at a fixed pace from here on: the nodes follow block heights, not the clock. */
static int step_nodes(const cli_args *a, const devnet_args *o, devnet_state *s) {
    int rc = devnet_interval_mining(a, s, o->params.block_time_s);
    return rc == 0 ? devnet_nodes_start(a, s) : rc;
}

static int step_genesis(const cli_args *a, const devnet_args *o, devnet_state *s) {
    (void)o;
    return devnet_start_genesis(a, s);
}

static int step_wait(const cli_args *a, const devnet_args *o, devnet_state *s) {
    return devnet_wait_genesis(a, s, &o->params);
}

static int step_demo(const cli_args *a, const devnet_args *o, devnet_state *s) {
    (void)o;
    return devnet_demo_app(a, s, DEMO_ENV);
}

static int step_round_trip(const cli_args *a, const devnet_args *o, devnet_state *s) {
    (void)o;
    return devnet_round_trip(a, s, 60);
}

static int step_save(const cli_args *a, const devnet_args *o, devnet_state *s) {
    (void)o;
    return devnet_state_save(s) == 0 ? 0 : cli_fail(a, "cannot write the state file");
}

static const struct {
    const char *what;
    up_step_fn run;
} up_table[] = {
    {"starting anvil", step_anvil},
    {"deploying KmsRegistry, EpochLog, AppController", step_deploy},
    {"operator keys (tkmsd keygen), funding, allow + register", step_operators},
    {"fixed block time; starting tkmsd on loopback ports", step_nodes},
    {"startGenesis", step_genesis},
    {"waiting for the genesis DKG to finalize", step_wait},
    {"demo app: create, encrypt its env to it, publish a release", step_demo},
    {"round trip: the app's env from every operator, verified", step_round_trip},
    {"writing the state file", step_save},
};
_Static_assert(sizeof up_table / sizeof up_table[0] == STEPS, "one row per step");

static int up_run(const cli_args *a, void *ctx) {
    devnet_args *o = ctx;
    uint32_t w = (o->params.interval - 2) / 5; /* five equal windows, confirm + c < interval */
    for (int i = 0; i < 5; i++) {
        o->params.offsets[i] = w * (uint32_t)(i + 1);
    }
    if (w < 3) {
        return cli_fail(a, "--interval: at least 17 blocks (phase windows of 3)");
    }
    if (o->nodes < 4 && !a->json) {
        printf("note: with %u operators the network tolerates no faulty operator\n", o->nodes);
    }
    static devnet_state s;
    int rc = up_prepare(a, o, &s);
    for (int k = 0; rc == 0 && k < STEPS; k++) {
        step(a, k + 1, up_table[k].what);
        rc = up_table[k].run(a, o, &s);
        if (rc != 0) {
            stop_all(&s); /* the failure line is printed; logs stay in the directory */
        }
    }
    if (rc == 0) {
        up_summary(a, &s);
    }
    return rc;
}

/* ---- down, status ------------------------------------------------------------------------- */

static int load_or_fail(const cli_args *a, const devnet_args *o, devnet_state *s) {
    const char *dir = o->dir ? o->dir : DEVNET_DIR_DEFAULT;
    int rc = devnet_state_load(s, dir);
    if (rc == -2) {
        return cli_fail(a, "%s/state.json is unreadable", dir);
    }
    return rc;
}

static int down_run(const cli_args *a, void *ctx) {
    static devnet_state s;
    int rc = load_or_fail(a, ctx, &s);
    if (rc == -1) {
        if (a->json) {
            cli_json_print(json_pack("{s:I}", "stopped", (json_int_t)0));
        } else {
            printf("no devnet state: nothing to stop\n");
        }
        return 0;
    }
    if (rc != 0) {
        return rc;
    }
    uint32_t stopped = 0, failed = 0;
    for (uint32_t i = 0; i <= s.nodes; i++) {
        devnet_process *p = i < s.nodes ? &s.node_proc[i] : &s.anvil_proc;
        bool was = devnet_alive(p);
        bool gone = devnet_stop(p, i < s.nodes ? 15000 : 5000);
        stopped += was && gone;
        failed += !gone;
    }
    if (failed > 0) {
        return cli_fail(a, "%u process(es) did not stop; state kept in %s", failed, s.dir);
    }
    devnet_state_remove(&s);
    if (a->json) {
        cli_json_print(json_pack("{s:I}", "stopped", (json_int_t)stopped));
    } else {
        printf("stopped %u process(es) (anvil and %u tkmsd); logs stay in %s\n", stopped, s.nodes,
               s.dir);
    }
    return 0;
}

static int status_run(const cli_args *a, void *ctx) {
    static devnet_state s;
    int rc = load_or_fail(a, ctx, &s);
    if (rc == -1) {
        return cli_fail(a, "no devnet in %s (tkms devnet up)",
                        ((devnet_args *)ctx)->dir ? ((devnet_args *)ctx)->dir : DEVNET_DIR_DEFAULT);
    }
    static char out[DEVNET_OUTPUT_BYTES_MAX];
    const char *args[] = {"status", a->json ? "--json" : NULL, NULL};
    int st = rc == 0 ? devnet_self_run(a, &s, "tkms status", args, out, sizeof out) : rc;
    json_t *nodes = json_array();
    for (uint32_t i = 0; i < s.nodes; i++) {
        json_array_append_new(nodes, json_pack("{s:s,s:I,s:b,s:I}", "address", s.node_address[i],
                                               "pid", (json_int_t)s.node_proc[i].pid, "alive",
                                               devnet_alive(&s.node_proc[i]), "port",
                                               (json_int_t)s.node_port[i]));
    }
    if (a->json) {
        cli_json_print(json_pack("{s:s,s:s,s:{s:I,s:b},s:o,s:s,s:o}", "dir", s.dir, "rpc_url",
                                 s.rpc_url, "anvil", "pid", (json_int_t)s.anvil_proc.pid, "alive",
                                 devnet_alive(&s.anvil_proc), "nodes", nodes, "app_id", s.app_id,
                                 "status", st == 0 ? json_loads(out, 0, NULL) : json_null()));
        return st;
    }
    printf("devnet in %s: anvil pid %d %s (%s)\n", s.dir, (int)s.anvil_proc.pid,
           devnet_alive(&s.anvil_proc) ? "alive" : "NOT RUNNING", s.rpc_url);
    for (uint32_t i = 0; i < s.nodes; i++) {
        printf("  tkmsd %u pid %d %s, port %d, %s\n", i, (int)s.node_proc[i].pid,
               devnet_alive(&s.node_proc[i]) ? "alive" : "NOT RUNNING", s.node_port[i],
               s.node_address[i]);
    }
    printf("demo app %s\n%s", s.app_id, st == 0 ? out : "");
    json_decref(nodes);
    return st;
}

static const cli_verb verbs[] = {
    {"up", up_run, up_usage},
    {"down", down_run, down_usage},
    {"status", status_run, status_usage},
};

int tkms_cli_devnet(int argc, char **argv) {
    static const cli_group group = {"devnet",       devnet_usage,
                                    verbs,          sizeof verbs / sizeof verbs[0],
                                    devnet_options, devnet_option};
    devnet_args o = {.nodes = DEVNET_NODES_DEFAULT,
                     .params = {.interval = 30, .block_time_s = 1, .timeout_s = 300}};
    return cli_group_run(&group, &o, argc, argv);
}
