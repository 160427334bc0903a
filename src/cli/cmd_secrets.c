/*
 * cmd_secrets.c — `tkms secrets --app-id ID --owner-key-file FILE`: an app's env end to
 * end with the dev-ecdsa attestation (api.md; development only: it proves ownership of
 * the app, not the code that runs). Reads the network from chain, makes an ephemeral RSA
 * key, signs the dev attestation with the app owner's key, asks every operator at once,
 * recovers and checks the app key (libtkms-client: client.h "secrets") and prints the env,
 * the public env and, on request, the app's mnemonic and addresses. Operators that
 * misbehaved are named on stderr (one line each on success; in the one failure line
 * otherwise).
 *
 * Secrets (the owner key, the RSA private key, the app key, env, mnemonic) are wiped after
 * use; the env and mnemonic reach stdout only because that is what was asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_client.h"
#include "cli/cli_io.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

enum {
    OPT_APP_ID = CLI_OPT_COMMAND,
    OPT_OWNER_KEY,
    OPT_VERSION,
    OPT_MNEMONIC,
    OPT_ADDRESSES,
    OPT_ENV_OUT
};

static const char usage[] =
    "usage: tkms secrets --app-id ID --owner-key-file FILE [--version N] [--mnemonic]\n"
    "                    [--addresses] [--env-out FILE] [network options]\n"
    "Fetches an app's env from every operator with the dev-ecdsa attestation (the app\n"
    "owner's key signs; development only: it proves ownership, not code identity). The\n"
    "master public key, each version's commitments and the operators come from chain; each\n"
    "partial is verified against its operator's public share, one version with t verified\n"
    "partials is used, the app key is checked against the MPK, and the env is accepted only\n"
    "if t of those operators returned it identically. Misbehaving operators are named on\n"
    "stderr.\n"
    "  --app-id ID          the app's address, lowercase 0x hex (its IBE identity)\n"
    "  --owner-key-file F   the app owner's secp256k1 key, 64 hex digits, mode 0600\n"
    "  --version N          use this key version only (default: the newest served)\n"
    "  --mnemonic           also print the app's BIP-39 mnemonic (a secret)\n"
    "  --addresses          also print its EVM and Solana addresses (i = 0..4)\n"
    "  --env-out FILE       write the env to FILE (0600) instead of stdout\n" CLI_CLIENT_USAGE;

typedef struct {
    const char *app_id, *owner_key_file, *env_out;
    bool has_version, mnemonic, addresses;
    uint64_t version;
} secrets_args;

static int secrets_option(void *ctx, const cli_args *a, int id, const char *value) {
    secrets_args *o = ctx;
    switch (id) {
    case OPT_APP_ID:
        o->app_id = value;
        return 0;
    case OPT_OWNER_KEY:
        o->owner_key_file = value;
        return 0;
    case OPT_VERSION:
        o->has_version = true;
        return cli_parse_u64(a, &o->version, "version", value);
    case OPT_MNEMONIC:
        o->mnemonic = true;
        return 0;
    case OPT_ADDRESSES:
        o->addresses = true;
        return 0;
    default:
        o->env_out = value;
        return 0; /* OPT_ENV_OUT */
    }
}

static const struct option options[] = {
    {"app-id", required_argument, NULL, OPT_APP_ID},
    {"owner-key-file", required_argument, NULL, OPT_OWNER_KEY},
    {"version", required_argument, NULL, OPT_VERSION},
    {"mnemonic", no_argument, NULL, OPT_MNEMONIC},
    {"addresses", no_argument, NULL, OPT_ADDRESSES},
    {"env-out", required_argument, NULL, OPT_ENV_OUT},
    CLI_SHARED_OPTIONS,
};

/* The wallet of the app (mnemonic and addresses), only when asked. */
typedef struct {
    char words[TKMS_CLIENT_MNEMONIC_BYTES_MAX];
    char evm[TKMS_CLIENT_ADDRESSES][TKMS_CLIENT_EVM_ADDRESS_BYTES];
    char sol[TKMS_CLIENT_ADDRESSES][TKMS_CLIENT_SOLANA_ADDRESS_BYTES];
} wallet;

static tkms_err wallet_derive(wallet *w, const tkms_client_secrets *s, const char *app_id,
                              bool addresses) {
    uint8_t seed[TKMS_CLIENT_SEED_BYTES];
    tkms_err err = tkms_client_app_mnemonic(w->words, sizeof w->words, &s->sk_id,
                                            (const uint8_t *)app_id, strlen(app_id));
    if (err == TKMS_OK && addresses) {
        err = tkms_client_mnemonic_to_seed(seed, w->words, "");
        for (uint32_t i = 0; err == TKMS_OK && i < TKMS_CLIENT_ADDRESSES; i++) {
            err = tkms_client_evm_address_at(w->evm[i], seed, i);
            if (err == TKMS_OK) {
                err = tkms_client_solana_address_at(w->sol[i], seed, i);
            }
        }
    }
    tkms_wipe(seed, sizeof seed);
    return err;
}

static json_t *wallet_json(const wallet *w, bool mnemonic, bool addresses) {
    json_t *o = json_object();
    if (mnemonic) {
        json_object_set_new(o, "mnemonic", json_string(w->words));
    }
    if (addresses) {
        json_t *evm = json_array(), *sol = json_array();
        for (uint32_t i = 0; i < TKMS_CLIENT_ADDRESSES; i++) {
            json_array_append_new(evm, json_string(w->evm[i]));
            json_array_append_new(sol, json_string(w->sol[i]));
        }
        json_object_set_new(o, "evm", evm);
        json_object_set_new(o, "solana", sol);
    }
    return o;
}

static void print_json(const cli_args *a, const secrets_args *o, const tkms_client_secrets *s,
                       const wallet *w) {
    json_t *reports = json_array();
    for (uint32_t i = 0; i < s->operator_count; i++) {
        json_array_append_new(reports, cli_client_report_json(&s->operators[i]));
    }
    json_t *root = json_pack("{s:s,s:I,s:I,s:I,s:o,s:o}", "app_id", o->app_id, "version",
                             (json_int_t)s->version, "threshold", (json_int_t)s->t, "env_votes",
                             (json_int_t)s->env_votes, "public_env",
                             json_loads(s->public_env, 0, NULL), "operators", reports);
    if (o->env_out == NULL) {
        json_t *env = json_stringn((const char *)s->env, s->env_len); /* NULL unless UTF-8 */
        if (env == NULL && s->env_len > 0) {
            char *b64 = malloc(4 * (s->env_len / 3 + 1) + 1);
            if (b64 && tkms_prim_base64_encode(b64, 4 * (s->env_len / 3 + 1) + 1, s->env,
                                               s->env_len) == TKMS_OK) {
                json_object_set_new(root, "env_base64", json_string(b64));
            }
            free(b64);
        } else {
            json_object_set_new(root, "env", env ? env : json_string(""));
        }
    }
    if (o->mnemonic || o->addresses) {
        json_object_set_new(root, "wallet", wallet_json(w, o->mnemonic, o->addresses));
    }
    (void)a;
    cli_json_print(root); /* the env leaves only through stdout, as asked */
}

static void print_human(const secrets_args *o, const tkms_client_secrets *s, const wallet *w) {
    printf("# app %s: key version %llu (threshold %u), env agreed by %u operators\n", o->app_id,
           (unsigned long long)s->version, s->t, s->env_votes);
    if (o->env_out == NULL) {
        fwrite(s->env, 1, s->env_len, stdout);
        if (s->env_len > 0 && s->env[s->env_len - 1] != '\n') {
            putchar('\n');
        }
    } else {
        printf("# env (%zu bytes) written to %s\n", s->env_len, o->env_out);
    }
    json_t *pub = json_loads(s->public_env, 0, NULL);
    const char *key;
    json_t *value;
    printf("# public env\n");
    json_object_foreach(pub, key, value) {
        printf("%s=%s\n", key, json_string_value(value));
    }
    json_decref(pub);
    if (o->mnemonic) {
        printf("# mnemonic\n%s\n", w->words);
    }
    for (uint32_t i = 0; o->addresses && i < TKMS_CLIENT_ADDRESSES; i++) {
        printf("evm[%u] %s\nsolana[%u] %s\n", i, w->evm[i], i, w->sol[i]);
    }
}

/* Warnings on stderr about operators that misbehaved (the run still succeeded). */
static void warn_blamed(const cli_args *a, const tkms_client_secrets *s) {
    for (uint32_t i = 0; i < s->operator_count; i++) {
        const tkms_client_operator_report *r = &s->operators[i];
        if (tkms_client_operator_status_is_blame(r->status)) {
            char address[TKMS_CLIENT_APP_ID_BYTES];
            cli_client_hex_address(address, r->address);
            fprintf(stderr, "%s: warning: operator %s %s: %s\n", a->name, address,
                    tkms_client_operator_status_name(r->status), r->detail);
        }
    }
}

static int output(const cli_args *a, const secrets_args *o, const tkms_client_secrets *s) {
    static wallet w;
    int rc = 0;
    if ((o->mnemonic || o->addresses) && wallet_derive(&w, s, o->app_id, o->addresses) != TKMS_OK) {
        rc = cli_fail(a, "deriving the app's mnemonic failed");
    }
    if (rc == 0 && o->env_out != NULL && cli_write_all(a->name, o->env_out, s->env, s->env_len)) {
        rc = TKMS_CLI_EXIT_FAILED;
    }
    if (rc == 0) {
        warn_blamed(a, s);
        if (a->json) {
            print_json(a, o, s, &w);
        } else {
            print_human(o, s, &w);
        }
    }
    tkms_wipe(&w, sizeof w);
    return rc;
}

static int secrets_run(const cli_args *a, void *ctx) {
    const secrets_args *o = ctx;
    if (o->app_id == NULL || o->owner_key_file == NULL) {
        return cli_usage_fail(a, "--app-id and --owner-key-file are required");
    }
    if (!tkms_client_app_id_is_valid(o->app_id)) {
        return cli_fail(a, "--app-id: expected 0x and 40 lowercase hex digits, got '%.64s'",
                        o->app_id);
    }
    tkms_chain_key owner;
    tkms_err kerr = tkms_chain_key_load(&owner, o->owner_key_file);
    if (kerr != TKMS_OK) {
        return cli_fail(a, "--owner-key-file %s: %s", o->owner_key_file,
                        kerr == TKMS_ERR_CHAIN_KEY_PERMISSIONS ? "readable by group or others"
                        : kerr == TKMS_ERR_IO                  ? "cannot open"
                                              : "not 64 hex digits of a secp256k1 key");
    }
    tkms_client_chain *chain = NULL;
    tkms_client_network *net = NULL;
    int rc = cli_client_open(a, &chain, &net, true);
    static tkms_client_secrets s;
    if (rc == 0) {
        tkms_err err =
            cli_client_dev_secrets(a, net, o->app_id, &owner, o->has_version, o->version, &s);
        rc = err == TKMS_OK ? output(a, o, &s) : cli_client_secrets_fail(a, err, &s);
    }
    tkms_client_secrets_clear(&s);
    tkms_chain_key_wipe(&owner);
    cli_client_close(chain, net);
    return rc;
}

int tkms_cli_secrets(int argc, char **argv) {
    secrets_args o = {0};
    cli_args a;
    int rc = cli_parse(&a, "tkms secrets", argc, argv, options, secrets_option, &o, usage);
    return rc >= 0 ? rc : secrets_run(&a, &o);
}
