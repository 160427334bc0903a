/*
 * internal.h — what the chain-backed subcommands of `tkms` share (cli_chain.c): the common
 * options (--rpc, --key-file, --nonce-file, --chain-id, --deployment, contract addresses,
 * --contracts-dir, --json, --help), argument parsing on getopt_long, the session (client,
 * key, nonce store), sending a call with a readable revert, and the one-line failures.
 */
#ifndef TKMS_CLI_INTERNAL_H
#define TKMS_CLI_INTERNAL_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain/chain.h"
#include "cli/cli.h"

#define CLI_RPC_DEFAULT "http://127.0.0.1:8545"

/* Ids of the shared options; commands number theirs from CLI_OPT_COMMAND. */
enum {
    CLI_OPT_RPC = 1000,
    CLI_OPT_KEY_FILE,
    CLI_OPT_NONCE_FILE,
    CLI_OPT_CHAIN_ID,
    CLI_OPT_DEPLOYMENT,
    CLI_OPT_KMS_REGISTRY,
    CLI_OPT_EPOCH_LOG,
    CLI_OPT_APP_CONTROLLER,
    CLI_OPT_CONTRACTS_DIR,
    CLI_OPT_TIMEOUT,
    CLI_OPT_JSON,
    CLI_OPT_HELP,
    CLI_OPT_COMMAND = 1100,
};

#define CLI_SHARED_OPTIONS                                                                         \
    {"rpc", required_argument, NULL, CLI_OPT_RPC},                                                 \
        {"key-file", required_argument, NULL, CLI_OPT_KEY_FILE},                                   \
        {"nonce-file", required_argument, NULL, CLI_OPT_NONCE_FILE},                               \
        {"chain-id", required_argument, NULL, CLI_OPT_CHAIN_ID},                                   \
        {"deployment", required_argument, NULL, CLI_OPT_DEPLOYMENT},                               \
        {"kms-registry", required_argument, NULL, CLI_OPT_KMS_REGISTRY},                           \
        {"epoch-log", required_argument, NULL, CLI_OPT_EPOCH_LOG},                                 \
        {"app-controller", required_argument, NULL, CLI_OPT_APP_CONTROLLER},                       \
        {"contracts-dir", required_argument, NULL, CLI_OPT_CONTRACTS_DIR},                         \
        {"timeout-ms", required_argument, NULL, CLI_OPT_TIMEOUT},                                  \
        {"json", no_argument, NULL, CLI_OPT_JSON}, {"help", no_argument, NULL, CLI_OPT_HELP}, {    \
        NULL, 0, NULL, 0                                                                           \
    }

#define CLI_SHARED_USAGE                                                                           \
    "common options:\n"                                                                            \
    "  --rpc URL            JSON-RPC endpoint (env TKMS_RPC_URL, default " CLI_RPC_DEFAULT ")\n"   \
    "  --key-file FILE      secp256k1 key, 64 hex digits, mode 0600 (env TKMS_KEY_FILE)\n"         \
    "  --nonce-file FILE    nonce store (default: <key-file>.nonces.json)\n"                       \
    "  --chain-id N         refuse to act unless the node serves this chain id\n"                  \
    "  --deployment FILE    contract addresses as written by `tkms chain deploy --out`\n"          \
    "  --kms-registry ADDR, --epoch-log ADDR, --app-controller ADDR   (override the file)\n"       \
    "  --contracts-dir DIR  compiled artifacts (env TKMS_CONTRACTS_DIR, default: beside\n"         \
    "                       the binary in the build tree)\n"                                       \
    "  --timeout-ms N       per-request timeout (default 10000)\n"                                 \
    "  --json               print the result as one JSON object\n"                                 \
    "  --help               this text\n"                                                           \
    "exit status: 0 ok, 1 usage error, 2 bad input or operation failed\n"

typedef enum { CLI_REGISTRY = 0, CLI_EPOCH_LOG, CLI_APP_CONTROLLER } cli_contract;

typedef struct {
    const char *name; /* "tkms operator register", prefix of every message */
    const char *rpc_url, *key_file, *nonce_file, *deployment, *contracts_dir;
    const char *address_flags[3]; /* by cli_contract */
    uint64_t chain_id;
    uint32_t timeout_ms;
    bool json;
} cli_args;

/* A command's own option: 0 ok, TKMS_CLI_EXIT_USAGE or _FAILED (line printed). */
typedef int (*cli_option_fn)(void *ctx, const cli_args *a, int id, const char *value);

/* Parses argv (argv[0] = the verb). Returns -1 to go on, or an exit status (also 0 for
 * --help, after printing usage to stdout). */
int cli_parse(cli_args *a, const char *name, int argc, char **argv, const struct option *options,
              cli_option_fn on_option, void *ctx, const char *usage);

/* A verb of a group; ctx is the group's option struct, filled by its cli_option_fn. */
typedef struct {
    const char *verb;
    int (*run)(const cli_args *a, void *ctx);
    const char *usage;
} cli_verb;

typedef struct {
    const char *group; /* "app" */
    const char *usage; /* for `tkms <group> --help` */
    const cli_verb *verbs;
    size_t verb_count;
    const struct option *options; /* the group's own options, then CLI_SHARED_OPTIONS */
    cli_option_fn on_option;
} cli_group;

/* Runs `tkms <group> <verb> [options]`: argv[0] is the group, argv[1] the verb; ctx is
 * initialised by the caller (defaults) and filled from the options. */
int cli_group_run(const cli_group *g, void *ctx, int argc, char **argv);

/* One line on stderr, "name: message"; return the exit status to use. */
int cli_fail(const cli_args *a, const char *format, ...) __attribute__((format(printf, 2, 3)));
int cli_usage_fail(const cli_args *a, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Value parsers for command options: 0 ok, else TKMS_CLI_EXIT_FAILED (line printed). */
int cli_parse_address(const cli_args *a, tkms_chain_address *out, const char *flag,
                      const char *value);
int cli_parse_bytes32(const cli_args *a, uint8_t out[32], const char *flag, const char *value);
int cli_parse_u64(const cli_args *a, uint64_t *out, const char *flag, const char *value);
/* Reads a whole file of at most max bytes (heap, NUL-terminated). */
int cli_read_file(const cli_args *a, tkms_chain_bytes *out, const char *flag, const char *path,
                  size_t max);

typedef struct {
    tkms_chain_client *client;
    bool has_key;
    tkms_chain_key key;
    tkms_chain_nonces *nonces;
    uint64_t chain_id;
    tkms_chain_send_options send;
} cli_session;

/* Connects (checks the chain id), and with need_key loads the key and its nonce store. */
int cli_session_open(cli_session *s, const cli_args *a, bool need_key);
void cli_session_close(cli_session *s);
/* The address of a contract from its flag or the deployment file. */
int cli_contract_address(const cli_args *a, tkms_chain_address *out, cli_contract which);
/* Loads <contracts-dir>/<name>.json; 0 ok, else exit status (line printed). */
int cli_artifact_load(const cli_args *a, tkms_chain_artifact *out, const char *name);
/* The same, silently: for naming contract errors when the artifact happens to be there. */
bool cli_artifact_try(const cli_args *a, tkms_chain_artifact *out, const char *name);
/* Sends signature(args) to `to` and waits; a revert is described with the artifact's
 * errors when one is given. */
int cli_send(const cli_args *a, cli_session *s, tkms_chain_receipt *receipt,
             const tkms_chain_address *to, const char *signature, const tkms_chain_abi_value *args,
             const tkms_chain_artifact *artifact);
/* Prints a chain failure of the session's client as one line. */
int cli_chain_fail(const cli_args *a, const cli_session *s, tkms_err err, const char *what,
                   const tkms_chain_artifact *artifact);
/* Prints obj (stolen) as JSON on stdout. */
void cli_json_print(json_t *obj);

#endif
