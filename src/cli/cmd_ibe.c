/*
 * cmd_ibe.c — `tkms ibe encrypt|decrypt`: offline IBE v1 (crypto.md §8, ibe.h).
 *   encrypt --app-id ID --mpk HEX [--in FILE] [--out FILE]   ciphertext as lowercase hex
 *   decrypt --app-id ID --app-key HEX [--in FILE] [--out FILE]  for the holder of sk_id
 * Encryption needs only the master public key (e.g. in a CI pipeline); decryption needs
 * the recovered 48-byte app key. Exit 0 ok, 1 usage, 2 bad input or decryption failure.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_io.h"
#include "common/tkms_ct.h"
#include "ibe/ibe.h"

static const char USAGE[] =
    "usage: tkms ibe encrypt --app-id ID --mpk HEX [--in FILE] [--out FILE]\n"
    "       tkms ibe decrypt --app-id ID --app-key HEX [--in FILE] [--out FILE]\n"
    "  --app-id ID     the app's identity string (its 0x address, lowercase)\n"
    "  --mpk HEX       master public key, 96-byte compressed G2 (encrypt)\n"
    "  --app-key HEX   the app's recovered key, 48-byte compressed G1 (decrypt)\n"
    "  --in FILE       input (default stdin): plaintext, or ciphertext hex\n"
    "  --out FILE      output (default stdout, files are created 0600)\n"
    "exit status: 0 ok, 1 usage error, 2 bad input or decryption failed\n";

typedef struct {
    const char *app_id, *key_hex, *in, *out;
} ibe_args;

static int parse(ibe_args *a, int argc, char **argv, bool encrypt) {
    static const struct option opts[] = {{"app-id", required_argument, NULL, 'i'},
                                         {"mpk", required_argument, NULL, 'm'},
                                         {"app-key", required_argument, NULL, 'k'},
                                         {"in", required_argument, NULL, 'I'},
                                         {"out", required_argument, NULL, 'O'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    optind = 2; /* argv[0] = "ibe", argv[1] = the verb */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i': a->app_id = optarg; break;
        case 'm': if (encrypt) { a->key_hex = optarg; break; } goto usage;
        case 'k': if (!encrypt) { a->key_hex = optarg; break; } goto usage;
        case 'I': a->in = optarg; break;
        case 'O': a->out = optarg; break;
        case 'h': fputs(USAGE, stdout); return TKMS_CLI_EXIT_OK;
        default: goto usage;
        }
    }
    if (a->app_id != NULL && a->key_hex != NULL && optind == argc) {
        return -1;
    }
usage:
    fprintf(stderr, "tkms ibe: missing or unknown option (see tkms ibe --help)\n");
    return TKMS_CLI_EXIT_USAGE;
}

static int do_encrypt(const ibe_args *a) {
    const char *name = "tkms ibe encrypt";
    uint8_t mpk_bytes[TKMS_BLS_G2_BYTES];
    tkms_bls_g2 mpk;
    if (cli_unhex_exact(mpk_bytes, sizeof mpk_bytes, a->key_hex) != 0) {
        return cli_io_fail(name, "--mpk must be 96 bytes of hex");
    }
    tkms_err err = tkms_bls_g2_decode(&mpk, mpk_bytes);
    if (err != TKMS_OK) {
        return cli_io_fail(name, tkms_err_name(err));
    }
    size_t pt_len;
    uint8_t *pt = cli_read_all(name, a->in, TKMS_IBE_PLAINTEXT_BYTES_MAX, &pt_len);
    if (pt == NULL) {
        return TKMS_CLI_EXIT_FAILED;
    }
    size_t ct_len = pt_len + TKMS_IBE_OVERHEAD_BYTES;
    uint8_t *ct = malloc(ct_len);
    char *hex = malloc(2 * ct_len + 2);
    err = tkms_ibe_encrypt(ct, ct_len, (const uint8_t *)a->app_id, strlen(a->app_id), &mpk, pt,
                           pt_len, tkms_rng_os());
    int rc = TKMS_CLI_EXIT_OK;
    if (err != TKMS_OK) {
        rc = cli_io_fail(name, tkms_err_name(err));
    } else {
        static const char d[] = "0123456789abcdef";
        for (size_t i = 0; i < ct_len; i++) {
            hex[2 * i] = d[ct[i] >> 4];
            hex[2 * i + 1] = d[ct[i] & 15];
        }
        hex[2 * ct_len] = '\n';
        rc = cli_write_all(name, a->out, (uint8_t *)hex, 2 * ct_len + 1) == 0 ? 0 : 2;
    }
    tkms_wipe(pt, pt_len);
    free(pt);
    free(ct);
    free(hex);
    return rc;
}

static int do_decrypt(const ibe_args *a) {
    const char *name = "tkms ibe decrypt";
    uint8_t sk_bytes[TKMS_BLS_G1_BYTES];
    tkms_bls_g1 sk;
    if (cli_unhex_exact(sk_bytes, sizeof sk_bytes, a->key_hex) != 0 ||
        tkms_bls_g1_decode(&sk, sk_bytes) != TKMS_OK) {
        tkms_wipe(sk_bytes, sizeof sk_bytes);
        return cli_io_fail(name, "--app-key must be a 48-byte compressed G1 point in hex");
    }
    size_t hex_len, ct_len;
    uint8_t *hex = cli_read_all(name, a->in, CLI_INPUT_BYTES_MAX, &hex_len);
    if (hex == NULL) {
        return TKMS_CLI_EXIT_FAILED;
    }
    uint8_t *ct = cli_unhex_alloc((const char *)hex, hex_len, &ct_len);
    free(hex);
    if (ct == NULL) {
        return cli_io_fail(name, "input is not a hex ciphertext");
    }
    uint8_t *pt = malloc(ct_len + 1);
    size_t pt_len = 0;
    tkms_err err = tkms_ibe_decrypt(pt, ct_len, &pt_len, (const uint8_t *)a->app_id,
                                    strlen(a->app_id), &sk, ct, ct_len);
    int rc = err == TKMS_OK ? (cli_write_all(name, a->out, pt, pt_len) == 0 ? 0 : 2)
                            : cli_io_fail(name, "decryption failed");
    tkms_wipe(pt, ct_len + 1);
    tkms_wipe(&sk, sizeof sk);
    tkms_wipe(sk_bytes, sizeof sk_bytes);
    free(pt);
    free(ct);
    return rc;
}

int tkms_cli_ibe(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? TKMS_CLI_EXIT_USAGE : TKMS_CLI_EXIT_OK;
    }
    bool encrypt = strcmp(argv[1], "encrypt") == 0;
    if (!encrypt && strcmp(argv[1], "decrypt") != 0) {
        fprintf(stderr, "tkms ibe: unknown verb %s (encrypt, decrypt)\n", argv[1]);
        return TKMS_CLI_EXIT_USAGE;
    }
    ibe_args a;
    int rc = parse(&a, argc, argv, encrypt);
    if (rc >= 0) {
        return rc;
    }
    return encrypt ? do_encrypt(&a) : do_decrypt(&a);
}
