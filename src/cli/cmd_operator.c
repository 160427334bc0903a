/*
 * cmd_operator.c — `tkms operator keygen|allow|register`: create an operator's secp256k1
 * key file (0600), allow-list an operator (registry owner), and register an operator's
 * Ed25519 key, first X25519 epoch key and URLs in KmsRegistry (docs/contracts.md §4).
 * Does not generate the Ed25519/X25519 keys themselves (the node does, later); they are
 * given as hex here.
 */
#include <stdio.h>
#include <string.h>

#include "cli/internal.h"

#define URL_BYTES_MAX 256 /* KmsRegistry.MAX_URL_BYTES */

enum {
    OPT_OUT = CLI_OPT_COMMAND,
    OPT_ADDRESS,
    OPT_ED25519,
    OPT_X25519,
    OPT_PEER_URL,
    OPT_APP_URL,
};

static const char operator_usage[] =
    "usage: tkms operator keygen --out FILE\n"
    "       tkms operator allow --address ADDR [common options]\n"
    "       tkms operator register --ed25519-pub HEX --x25519-pub HEX --peer-url URL\n"
    "                              --app-url URL [common options]\n"
    "(tkms operator <verb> --help for details)\n";

static const char keygen_usage[] =
    "usage: tkms operator keygen --out FILE [--json]\n"
    "Creates FILE (it must not exist) with mode 0600 holding a fresh secp256k1 key as 64 hex\n"
    "digits, and prints its Ethereum address. The key itself is never printed.\n";

static const char allow_usage[] =
    "usage: tkms operator allow --address ADDR --key-file OWNER_KEY [common options]\n"
    "Adds ADDR to the KmsRegistry allow-list (registry owner only).\n" CLI_SHARED_USAGE;

static const char register_usage[] =
    "usage: tkms operator register --ed25519-pub HEX --x25519-pub HEX --peer-url URL\n"
    "         --app-url URL --key-file OPERATOR_KEY [common options]\n"
    "Registers the key's address (it must be allow-listed) in KmsRegistry with its\n"
    "Ed25519 peer-signing key, its first X25519 epoch key (32 bytes each, hex) and its\n"
    "peer and app URLs (http(s), 1..256 bytes).\n" CLI_SHARED_USAGE;

typedef struct {
    const char *out;
    tkms_chain_address address;
    bool has_address;
    uint8_t ed25519[32], x25519[32];
    bool has_ed25519, has_x25519;
    const char *peer_url, *app_url;
} operator_args;

static int url_check(const cli_args *a, const char *flag, const char *url) {
    size_t n = strlen(url);
    if (n == 0 || n > URL_BYTES_MAX ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)) {
        return cli_fail(a, "--%s: expected an http(s) URL of 1..%d bytes", flag, URL_BYTES_MAX);
    }
    return 0;
}

static int operator_option(void *ctx, const cli_args *a, int id, const char *value) {
    operator_args *o = ctx;
    switch (id) {
    case OPT_OUT:
        o->out = value;
        return 0;
    case OPT_ADDRESS:
        o->has_address = true;
        return cli_parse_address(a, &o->address, "address", value);
    case OPT_ED25519:
        o->has_ed25519 = true;
        return cli_parse_bytes32(a, o->ed25519, "ed25519-pub", value);
    case OPT_X25519:
        o->has_x25519 = true;
        return cli_parse_bytes32(a, o->x25519, "x25519-pub", value);
    case OPT_PEER_URL:
        o->peer_url = value;
        return url_check(a, "peer-url", value);
    default: /* OPT_APP_URL */
        o->app_url = value;
        return url_check(a, "app-url", value);
    }
}

static const struct option operator_options[] = {
    {"out", required_argument, NULL, OPT_OUT},
    {"address", required_argument, NULL, OPT_ADDRESS},
    {"ed25519-pub", required_argument, NULL, OPT_ED25519},
    {"x25519-pub", required_argument, NULL, OPT_X25519},
    {"peer-url", required_argument, NULL, OPT_PEER_URL},
    {"app-url", required_argument, NULL, OPT_APP_URL},
    CLI_SHARED_OPTIONS,
};

static int keygen_run(const cli_args *a, void *ctx) {
    const operator_args *o = ctx;
    if (o->out == NULL) {
        return cli_usage_fail(a, "--out is required");
    }
    tkms_chain_key key;
    tkms_err err = tkms_chain_key_generate(&key);
    if (err == TKMS_OK) {
        err = tkms_chain_key_save(o->out, &key);
    }
    char address[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(address, &key.address);
    tkms_chain_key_wipe(&key);
    if (err != TKMS_OK) {
        return cli_fail(a, "--out %s: %s", o->out,
                        err == TKMS_ERR_CHAIN_KEY_EXISTS ? "already exists" : tkms_err_name(err));
    }
    if (a->json) {
        cli_json_print(json_pack("{s:s,s:s}", "address", address, "key_file", o->out));
    } else {
        printf("%s\n", address);
    }
    return TKMS_CLI_EXIT_OK;
}

/* Prints the outcome of a registry transaction. */
static void tx_report(const cli_args *a, const char *verb, const tkms_chain_address *who,
                      const tkms_chain_receipt *r) {
    char address[TKMS_CHAIN_ADDRESS_HEX_BYTES], tx[TKMS_CHAIN_HASH_HEX_BYTES];
    tkms_chain_address_format(address, who);
    tkms_chain_hash_format(tx, &r->tx_hash);
    if (a->json) {
        cli_json_print(json_pack("{s:s,s:s,s:I,s:s}", "operator", address, "tx", tx, "block",
                                 (json_int_t)r->block_number, "status", verb));
    } else {
        printf("%s %s in block %llu (tx %s)\n", verb, address, (unsigned long long)r->block_number,
               tx);
    }
}

static int registry_send(const cli_args *a, const char *verb, const tkms_chain_address *who,
                         const char *signature, const tkms_chain_abi_value *args) {
    tkms_chain_address registry;
    int rc = cli_contract_address(a, &registry, CLI_REGISTRY);
    if (rc != 0) {
        return rc;
    }
    tkms_chain_artifact art = {0};
    bool have_art = cli_artifact_try(a, &art, "KmsRegistry"); /* for error names only */
    cli_session s = {0};
    rc = cli_session_open(&s, a, true);
    tkms_chain_receipt r = {0};
    if (rc == 0) {
        rc = cli_send(a, &s, &r, &registry, signature, args, have_art ? &art : NULL);
    }
    if (rc == 0) {
        tx_report(a, verb, who ? who : &s.key.address, &r);
    }
    tkms_chain_receipt_clear(&r);
    cli_session_close(&s);
    tkms_chain_artifact_free(&art);
    return rc;
}

static int allow_run(const cli_args *a, void *ctx) {
    const operator_args *o = ctx;
    if (!o->has_address) {
        return cli_usage_fail(a, "--address is required");
    }
    tkms_chain_abi_value v = tkms_chain_abi_address(&o->address);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&v, 1);
    return registry_send(a, "allowed", &o->address, TKMS_CHAIN_REGISTRY_ALLOW, &args);
}

static int register_run(const cli_args *a, void *ctx) {
    const operator_args *o = ctx;
    if (!o->has_ed25519 || !o->has_x25519 || o->peer_url == NULL || o->app_url == NULL) {
        return cli_usage_fail(a, "--ed25519-pub, --x25519-pub, --peer-url and --app-url are "
                                 "required");
    }
    tkms_chain_abi_value f[] = {
        tkms_chain_abi_bytes32(o->ed25519), tkms_chain_abi_bytes32(o->x25519),
        tkms_chain_abi_string(o->peer_url), tkms_chain_abi_string(o->app_url)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 4);
    return registry_send(a, "registered", NULL, TKMS_CHAIN_REGISTRY_REGISTER, &args);
}

static const cli_verb verbs[] = {
    {"keygen", keygen_run, keygen_usage},
    {"allow", allow_run, allow_usage},
    {"register", register_run, register_usage},
};

/* `tkms keygen …` is `tkms operator keygen …` (the command operators look for first). */
int tkms_cli_keygen(int argc, char **argv) {
    char *args[64];
    if (argc < 1 || argc > 62) {
        fputs(keygen_usage, stderr);
        return TKMS_CLI_EXIT_USAGE;
    }
    args[0] = "operator";
    for (int i = 0; i < argc; i++) {
        args[i + 1] = argv[i]; /* argv[0] is "keygen" itself: the verb */
    }
    args[argc + 1] = NULL;
    return tkms_cli_operator(argc + 1, args);
}

int tkms_cli_operator(int argc, char **argv) {
    static const cli_group group = {
        "operator",       operator_usage, verbs, sizeof verbs / sizeof verbs[0],
        operator_options, operator_option};
    operator_args o = {.out = NULL};
    return cli_group_run(&group, &o, argc, argv);
}
