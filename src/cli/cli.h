/*
 * cli.h — the `tkms` command line tool: one static table of subcommand groups (main.c),
 * each group implemented in its own src/cli/cmd_<group>.c with one entry point.
 *
 * Contract
 * - An entry point gets the arguments from the group name on: argv[0] is the group ("chain",
 *   "operator", …), argv[1] usually the verb. It returns the process exit status:
 *   TKMS_CLI_EXIT_OK (0), TKMS_CLI_EXIT_USAGE (1: unknown/missing options, wrong verb),
 *   TKMS_CLI_EXIT_FAILED (2: bad input values or the operation failed). On failure it
 *   prints exactly one line on stderr, "tkms <group> <verb>: <what went wrong>".
 * - Every group and verb answers --help (usage on stdout, exit 0). Results go to stdout, as
 *   human-readable lines or, with --json, as one JSON object.
 * - Secrets (key files) are read, never printed or logged.
 *
 * Adding a group: write cmd_<group>.c with `int tkms_cli_<group>(int argc, char **argv)`,
 * declare it below, add one row to the table in main.c and the file to CMakeLists.txt.
 */
#ifndef TKMS_CLI_H
#define TKMS_CLI_H

enum {
    TKMS_CLI_EXIT_OK = 0,
    TKMS_CLI_EXIT_USAGE = 1,
    TKMS_CLI_EXIT_FAILED = 2,
};

typedef int (*tkms_cli_entry)(int argc, char **argv);

typedef struct {
    const char *name;    /* the group, argv[1] of the process */
    tkms_cli_entry run;  /* gets argc - 1, argv + 1 */
    const char *summary; /* one line for `tkms --help` */
} tkms_cli_command;

/* Entry points, one per cmd_<group>.c. */
int tkms_cli_chain(int argc, char **argv);    /* cmd_chain.c: deploy */
int tkms_cli_operator(int argc, char **argv);
int tkms_cli_keygen(int argc, char **argv); /* = `tkms operator keygen` */ /* cmd_operator.c: keygen, allow, register */
int tkms_cli_app(int argc, char **argv);      /* cmd_app.c: create, release */
int tkms_cli_ibe(int argc, char **argv);      /* cmd_ibe.c: encrypt, decrypt (offline) */
int tkms_cli_mnemonic(int argc, char **argv); /* cmd_mnemonic.c: an app's mnemonic */
int tkms_cli_attest(int argc, char **argv);   /* cmd_attest.c: verify evidence */
int tkms_cli_secrets(int argc, char **argv);  /* cmd_secrets.c: an app's env, verified */
int tkms_cli_pubkey(int argc, char **argv);   /* cmd_pubkey.c: chain state vs nodes */
int tkms_cli_encrypt(int argc, char **argv);  /* cmd_encrypt.c: IBE with the chain's MPK */
int tkms_cli_status(int argc, char **argv);   /* cmd_status.c: the cluster's view */
int tkms_cli_devnet(int argc, char **argv);   /* cmd_devnet.c: up, down, status */

#endif
