/*
 * cli_client.h — what the network-client subcommands of `tkms` share (cmd_secrets.c,
 * cmd_pubkey.c, cmd_encrypt.c, cmd_status.c, cmd_devnet.c): opening the chain-backed view
 * of a network from the shared options (--rpc, --deployment or --epoch-log, --chain-id,
 * --timeout-ms), HTTP options for the nodes, and printing per-operator reports.
 */
#ifndef TKMS_CLI_CLIENT_H
#define TKMS_CLI_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/internal.h"
#include "client/client.h"

#define CLI_CLIENT_USAGE                                                                           \
    "network options:\n"                                                                           \
    "  --rpc URL            JSON-RPC endpoint (env TKMS_RPC_URL, default " CLI_RPC_DEFAULT ")\n"   \
    "  --deployment FILE    contract addresses (tkms chain deploy --out; `tkms devnet up`\n"       \
    "                       writes .devnet/deployment.json), or --epoch-log ADDR\n"                \
    "  --chain-id N         refuse a node serving another chain\n"                                 \
    "  --timeout-ms N       per-request timeout, chain and operators (default 10000)\n"            \
    "  --json               print the result as one JSON object\n"                                 \
    "  --help               this text\n"                                                           \
    "exit status: 0 ok, 1 usage error, 2 bad input or operation failed\n"

/* The chain view: with_mpk = tkms_client_chain_network (a version must exist), else
   tkms_client_chain_operators. 0 or an exit status (line printed). *net is heap. */
int cli_client_open(const cli_args *a, tkms_client_chain **chain, tkms_client_network **net,
                    bool with_mpk);
void cli_client_close(tkms_client_chain *chain, tkms_client_network *net);
void cli_client_http(const cli_args *a, tkms_client_http_options *o);
/* "0x" + 40 lowercase hex. */
void cli_client_hex_address(char out[TKMS_CLIENT_APP_ID_BYTES], const uint8_t address[20]);
/* Lowercase hex (no 0x) into a heap string. */
char *cli_client_hex(const uint8_t *in, size_t len);
/* The report of one operator as a JSON object. */
json_t *cli_client_report_json(const tkms_client_operator_report *r);
/* "0xab…(status: detail), …" of the blamed operators, into out. */
void cli_client_blamed(char *out, size_t max, const tkms_client_operator_report *r, uint32_t count);

/* The secrets of app_id with the dev-ecdsa attestation signed by owner: an ephemeral RSA key,
   the attestation, tkms_client_secrets_fetch (OS randomness). */
tkms_err cli_client_dev_secrets(const cli_args *a, const tkms_client_network *net,
                                const char *app_id, const tkms_chain_key *owner, bool has_version,
                                uint64_t version, tkms_client_secrets *out);

/* The one failure line of a secrets fetch: what failed, how many answered / were unreachable
   / refused (with a refusal's code), and the operators blamed. Returns the exit status. */
int cli_client_secrets_fail(const cli_args *a, tkms_err err, const tkms_client_secrets *s);

#endif
