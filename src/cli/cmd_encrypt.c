/*
 * cmd_encrypt.c — `tkms encrypt --app-id ID [--in FILE] [--out FILE]`: encrypts a file
 * (typically an app's env) to an app id with IBE v1 (crypto.md §8), the master public key
 * read from chain (EpochLog.masterPublicKey, pinned to the latest block) rather than taken
 * from any node. Output: the ciphertext as lowercase hex and a newline — the form `tkms
 * app release --env-file` publishes. Anyone can encrypt; only the app (t operators'
 * partials) can decrypt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_client.h"
#include "cli/cli_io.h"
#include "common/tkms_ct.h"
#include "ibe/ibe.h"

enum { OPT_APP_ID = CLI_OPT_COMMAND, OPT_IN, OPT_OUT };

static const char usage[] =
    "usage: tkms encrypt --app-id ID [--in FILE] [--out FILE] [network options]\n"
    "Encrypts FILE (default stdin) to the app id with the network's master public key,\n"
    "read from chain. Prints (or writes, mode 0600) the IBE v1 ciphertext as hex: the\n"
    "form `tkms app release --env-file` takes. On chain, a release's two envs hold at most\n"
    "16384 bytes together (the ciphertext is 128 bytes longer than the plaintext).\n"
    "  --app-id ID   the app's address, lowercase 0x hex\n"
    "  --in FILE     plaintext (default stdin)\n"
    "  --out FILE    ciphertext hex (default stdout)\n" CLI_CLIENT_USAGE;

typedef struct {
    const char *app_id, *in, *out;
} encrypt_args;

static int encrypt_option(void *ctx, const cli_args *a, int id, const char *value) {
    encrypt_args *o = ctx;
    (void)a;
    if (id == OPT_APP_ID) {
        o->app_id = value;
    } else if (id == OPT_IN) {
        o->in = value;
    } else {
        o->out = value;
    }
    return 0;
}

static const struct option options[] = {
    {"app-id", required_argument, NULL, OPT_APP_ID},
    {"in", required_argument, NULL, OPT_IN},
    {"out", required_argument, NULL, OPT_OUT},
    CLI_SHARED_OPTIONS,
};

static int encrypt_with(const cli_args *a, const encrypt_args *o, const tkms_client_network *net,
                        const uint8_t *pt, size_t pt_len) {
    size_t ct_len = pt_len + TKMS_IBE_OVERHEAD_BYTES;
    uint8_t *ct = malloc(ct_len);
    char *hex = malloc(2 * ct_len + 4);
    int rc = ct && hex ? 0 : cli_fail(a, "out of memory");
    tkms_err err = TKMS_OK;
    if (rc == 0) {
        err = tkms_ibe_encrypt(ct, ct_len, (const uint8_t *)o->app_id, strlen(o->app_id), &net->mpk,
                               pt, pt_len, tkms_rng_os());
        rc = err == TKMS_OK ? 0 : cli_fail(a, "encryption failed (%s)", tkms_err_name(err));
    }
    if (rc == 0) {
        tkms_chain_hex_encode(hex, ct, ct_len);
        memmove(hex, hex + 2, 2 * ct_len + 1);
        if (a->json) {
            char *mpk = NULL;
            uint8_t enc[TKMS_BLS_G2_BYTES];
            tkms_bls_g2_encode(enc, &net->mpk);
            mpk = cli_client_hex(enc, sizeof enc);
            json_t *root = json_pack("{s:s,s:s,s:s,s:I,s:I}", "app_id", o->app_id, "ciphertext",
                                     hex, "mpk", mpk ? mpk : "", "plaintext_bytes",
                                     (json_int_t)pt_len, "block", (json_int_t)net->block_number);
            free(mpk);
            if (o->out != NULL) {
                hex[2 * ct_len] = '\n';
                rc = cli_write_all(a->name, o->out, (uint8_t *)hex, 2 * ct_len + 1) ? 2 : 0;
                json_object_del(root, "ciphertext");
                json_object_set_new(root, "out", json_string(o->out));
            }
            cli_json_print(root);
        } else {
            hex[2 * ct_len] = '\n';
            rc = cli_write_all(a->name, o->out, (uint8_t *)hex, 2 * ct_len + 1) ? 2 : 0;
        }
    }
    free(ct);
    free(hex);
    return rc;
}

static int encrypt_run(const cli_args *a, void *ctx) {
    const encrypt_args *o = ctx;
    if (o->app_id == NULL) {
        return cli_usage_fail(a, "--app-id is required");
    }
    if (!tkms_client_app_id_is_valid(o->app_id)) {
        return cli_fail(a, "--app-id: expected 0x and 40 lowercase hex digits, got '%.64s'",
                        o->app_id);
    }
    tkms_client_chain *chain = NULL;
    tkms_client_network *net = NULL;
    int rc = cli_client_open(a, &chain, &net, true);
    size_t pt_len = 0;
    uint8_t *pt =
        rc == 0 ? cli_read_all(a->name, o->in, TKMS_IBE_PLAINTEXT_BYTES_MAX, &pt_len) : NULL;
    if (rc == 0 && pt == NULL) {
        rc = TKMS_CLI_EXIT_FAILED;
    }
    if (rc == 0) {
        rc = encrypt_with(a, o, net, pt, pt_len);
    }
    if (pt != NULL) {
        tkms_wipe(pt, pt_len);
        free(pt);
    }
    cli_client_close(chain, net);
    return rc;
}

int tkms_cli_encrypt(int argc, char **argv) {
    encrypt_args o = {0};
    cli_args a;
    int rc = cli_parse(&a, "tkms encrypt", argc, argv, options, encrypt_option, &o, usage);
    return rc >= 0 ? rc : encrypt_run(&a, &o);
}
