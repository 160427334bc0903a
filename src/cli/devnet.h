/*
 * devnet.h — what the files of `tkms devnet` share (cmd_devnet.c: the verbs and the `up`
 * sequence; devnet_proc.c: processes, the state file, locating binaries; devnet_chain.c:
 * chain steps — funding, genesis, waiting for the DKG, the demo app and round trip).
 *
 * The state file (<dir>/state.json) lists every process `up` started (pid and binary) as
 * soon as it starts, so `down` can stop exactly those, by pid, even after a failed `up`.
 * A pid is only signalled when /proc/<pid>/exe is still the binary recorded for it.
 */
#ifndef TKMS_CLI_DEVNET_H
#define TKMS_CLI_DEVNET_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/cli_client.h"

#define DEVNET_NODES_MAX 32
#define DEVNET_NODES_DEFAULT 4
#define DEVNET_DIR_DEFAULT ".devnet"
#define DEVNET_CHAIN_ID 31337
#define DEVNET_PATH_MAX 1024
#define DEVNET_OUTPUT_BYTES_MAX (64u << 10)
/* anvil's dev account #0 (public knowledge): deploys, owns the registry and the demo app */
#define DEVNET_DEPLOYER_KEY "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

typedef struct {
    pid_t pid;
    char binary[DEVNET_PATH_MAX]; /* what /proc/<pid>/exe must still be */
} devnet_process;

typedef struct {
    char dir[DEVNET_PATH_MAX]; /* absolute */
    char tkms[DEVNET_PATH_MAX], tkmsd[DEVNET_PATH_MAX], anvil[DEVNET_PATH_MAX];
    uint32_t nodes;
    devnet_process anvil_proc;
    char rpc_url[64];
    devnet_process node_proc[DEVNET_NODES_MAX];
    int node_port[DEVNET_NODES_MAX];
    char node_address[DEVNET_NODES_MAX][TKMS_CLIENT_APP_ID_BYTES];
    char app_id[TKMS_CLIENT_APP_ID_BYTES];
    uint64_t genesis_epoch, version;
} devnet_state;

/* <dir>/<name> into out. */
void devnet_path(char *out, const devnet_state *s, const char *name);
int devnet_state_save(const devnet_state *s);
/* 0 ok, -1 no state file, -2 unreadable. */
int devnet_state_load(devnet_state *s, const char *dir);
void devnet_state_remove(const devnet_state *s);

/* Starts argv in its own session (it outlives `tkms`), stdin /dev/null, stdout and stderr
   appended to log_path. Returns the pid or -1. */
pid_t devnet_spawn(const char *log_path, const char *const *argv);
/* Runs argv and waits; stdout captured into out (NUL-terminated, bounded), the first
   stderr line into err. Returns the exit status, or -1 when it could not run. */
int devnet_run(const char *const *argv, char *out, size_t out_max, char *err, size_t err_max);
/* Runs several argv at once and waits for all; the first failure's stderr line in err.
   Returns 0 when all exited 0. */
int devnet_run_all(const char *const *const *argvs, size_t count, char *err, size_t err_max);
bool devnet_alive(const devnet_process *p);
/* SIGTERM, wait up to timeout_ms, then SIGKILL. true if it is gone. */
bool devnet_stop(devnet_process *p, uint32_t timeout_ms);
/* A free TCP port on 127.0.0.1 (bound and released: good enough for a devnet). */
int devnet_free_port(void);
void devnet_sleep_ms(uint32_t ms);
/* Locates anvil and tkmsd (flags, env TKMS_ANVIL / TKMS_TKMSD, beside the build, PATH). */
int devnet_locate(const cli_args *a, devnet_state *s, const char *anvil_flag,
                  const char *tkmsd_flag);

/* ---- operators (devnet_nodes.c) ---- */
typedef struct {
    uint32_t interval, offsets[5], block_time_s, timeout_s;
} devnet_params;

/* A new file (O_EXCL, 0600) holding hex and a newline. */
int devnet_write_secret(const cli_args *a, const char *path, const char *hex);
/* Runs this binary: `tkms <args> --rpc <devnet> --deployment <dir>/deployment.json`. */
int devnet_self_run(const cli_args *a, const devnet_state *s, const char *what,
                    const char *const *args, char *out, size_t out_max);
int devnet_deploy(const cli_args *a, const devnet_state *s, const devnet_params *p);
/* `tkmsd keygen` into <dir>/node-<i>/ (+ a seal key); ed/x get the keys to register. */
int devnet_node_keygen(const cli_args *a, devnet_state *s, uint32_t i, char ed[67], char x[67]);
int devnet_register(const cli_args *a, const devnet_state *s, char (*ed)[67], char (*x)[67]);
int devnet_tkmsd_check(const cli_args *a, const devnet_state *s);
int devnet_nodes_start(const cli_args *a, devnet_state *s);
int devnet_demo_app(const cli_args *a, devnet_state *s, const char *env_plain);

/* ---- chain steps (devnet_chain.c) ---- */
int devnet_anvil_start(const cli_args *a, devnet_state *s, uint32_t timeout_ms);
int devnet_fund(const cli_args *a, const devnet_state *s, const char *address);
int devnet_interval_mining(const cli_args *a, const devnet_state *s, uint32_t seconds);
int devnet_start_genesis(const cli_args *a, devnet_state *s);
int devnet_wait_genesis(const cli_args *a, devnet_state *s, const devnet_params *p);
int devnet_demo_env(const cli_args *a, const devnet_state *s, const char *plain,
                    const char *hex_path);
int devnet_round_trip(const cli_args *a, devnet_state *s, uint32_t timeout_s);

#endif
