/*
 * main.c — `tkms`: dispatches to a subcommand group through one static table (cli.h).
 * Knows nothing about what the groups do; `tkms --help` lists them.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const tkms_cli_command commands[] = {
    {"chain", tkms_cli_chain, "deploy the tkms contracts (KmsRegistry, EpochLog, AppController)"},
    {"keygen", tkms_cli_keygen, "a fresh operator chain key file (0600): operator keygen"},
    {"operator", tkms_cli_operator, "operator keys, allow-listing and registration"},
    {"app", tkms_cli_app, "create apps and publish their releases"},
    {"ibe", tkms_cli_ibe, "encrypt to an app id with the master public key, or decrypt"},
    {"mnemonic", tkms_cli_mnemonic, "an app's BIP-39 mnemonic and addresses from its key"},
    {"attest", tkms_cli_attest, "verify TEE attestation evidence (gcp, sev-snp), print the claims"},
    {"secrets", tkms_cli_secrets, "an app's env from all operators (dev attestation), verified"},
    {"pubkey", tkms_cli_pubkey, "a key version's public state from chain, checked against nodes"},
    {"encrypt", tkms_cli_encrypt, "encrypt a file (env) to an app id with the MPK from chain"},
    {"status", tkms_cli_status, "the cluster: operators from chain, readiness, epochs, versions"},
    {"devnet", tkms_cli_devnet, "a local network: anvil, contracts, N tkmsd, a demo app (up|down)"},
};

static void usage(FILE *out) {
    fprintf(out, "usage: tkms <command> [<args>] [--help]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    }
    fprintf(out, "\nexit status: 0 ok, 1 usage error, 2 bad input or operation failed\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return TKMS_CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return TKMS_CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "tkms: unknown command '%s' (see tkms --help)\n", argv[1]);
    return TKMS_CLI_EXIT_USAGE;
}
