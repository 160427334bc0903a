/*
 * cmd_mnemonic.c — `tkms mnemonic --app-key HEX --app-id ID [--addresses] [--json]`: the
 * app's BIP-39 mnemonic and, optionally, its EVM and Solana addresses (crypto.md §10,
 * client.h). The mnemonic is a secret: printed only to stdout, on request.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_io.h"
#include "client/client.h"
#include "common/tkms_ct.h"

static const char USAGE[] =
    "usage: tkms mnemonic --app-key HEX --app-id ID [--addresses] [--json]\n"
    "  --app-key HEX   the app's recovered key, 48-byte compressed G1\n"
    "  --app-id ID     the app's identity string\n"
    "  --addresses     also print EVM (m/44'/60'/0'/0/i) and Solana (m/44'/501'/i'/0')\n"
    "                  addresses, i = 0..4\n"
    "  --json          one JSON object\n"
    "exit status: 0 ok, 1 usage error, 2 bad input\n";

static int print_all(const char *words, const char *id, bool addresses, bool json) {
    uint8_t seed[TKMS_CLIENT_SEED_BYTES];
    char evm[TKMS_CLIENT_ADDRESSES][TKMS_CLIENT_EVM_ADDRESS_BYTES];
    char sol[TKMS_CLIENT_ADDRESSES][TKMS_CLIENT_SOLANA_ADDRESS_BYTES];
    if (addresses) {
        if (tkms_client_mnemonic_to_seed(seed, words, "") != TKMS_OK) {
            return cli_io_fail("tkms mnemonic", "seed derivation failed");
        }
        for (uint32_t i = 0; i < TKMS_CLIENT_ADDRESSES; i++) {
            if (tkms_client_evm_address_at(evm[i], seed, i) != TKMS_OK ||
                tkms_client_solana_address_at(sol[i], seed, i) != TKMS_OK) {
                tkms_wipe(seed, sizeof seed);
                return cli_io_fail("tkms mnemonic", "address derivation failed");
            }
        }
        tkms_wipe(seed, sizeof seed);
    }
    if (json) {
        printf("{\"app_id\":\"%s\",\"mnemonic\":\"%s\"", id, words);
        for (int k = 0; addresses && k < 2; k++) {
            printf(",\"%s\":[", k == 0 ? "evm" : "solana");
            for (int i = 0; i < TKMS_CLIENT_ADDRESSES; i++) {
                printf("%s\"%s\"", i ? "," : "", k == 0 ? evm[i] : sol[i]);
            }
            printf("]");
        }
        printf("}\n");
    } else {
        printf("mnemonic: %s\n", words);
        for (int i = 0; addresses && i < TKMS_CLIENT_ADDRESSES; i++) {
            printf("evm[%d]: %s\nsolana[%d]: %s\n", i, evm[i], i, sol[i]);
        }
    }
    return TKMS_CLI_EXIT_OK;
}

int tkms_cli_mnemonic(int argc, char **argv) {
    static const struct option opts[] = {{"app-key", required_argument, NULL, 'k'},
                                         {"app-id", required_argument, NULL, 'i'},
                                         {"addresses", no_argument, NULL, 'a'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *key_hex = NULL, *id = NULL;
    bool addresses = false, json = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k': key_hex = optarg; break;
        case 'i': id = optarg; break;
        case 'a': addresses = true; break;
        case 'j': json = true; break;
        case 'h': fputs(USAGE, stdout); return TKMS_CLI_EXIT_OK;
        default:
            fprintf(stderr, "tkms mnemonic: unknown option (see tkms mnemonic --help)\n");
            return TKMS_CLI_EXIT_USAGE;
        }
    }
    if (key_hex == NULL || id == NULL || optind != argc) {
        fprintf(stderr, "tkms mnemonic: --app-key and --app-id are required\n");
        return TKMS_CLI_EXIT_USAGE;
    }
    uint8_t sk_bytes[TKMS_BLS_G1_BYTES];
    tkms_bls_g1 sk;
    char words[TKMS_CLIENT_MNEMONIC_BYTES_MAX];
    if (cli_unhex_exact(sk_bytes, sizeof sk_bytes, key_hex) != 0 ||
        tkms_bls_g1_decode(&sk, sk_bytes) != TKMS_OK || tkms_bls_g1_is_identity(&sk)) {
        return cli_io_fail("tkms mnemonic", "--app-key must be a 48-byte compressed G1 point in hex");
    }
    int rc = TKMS_CLI_EXIT_FAILED;
    if (tkms_client_app_mnemonic(words, sizeof words, &sk, (const uint8_t *)id, strlen(id)) ==
        TKMS_OK) {
        rc = print_all(words, id, addresses, json);
    } else {
        cli_io_fail("tkms mnemonic", "mnemonic derivation failed");
    }
    tkms_wipe(words, sizeof words);
    tkms_wipe(&sk, sizeof sk);
    tkms_wipe(sk_bytes, sizeof sk_bytes);
    return rc;
}
