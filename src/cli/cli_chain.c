/*
 * cli_chain.c — shared machinery of the chain-backed `tkms` subcommands (internal.h):
 * option parsing, value parsing, the session (client + key + nonce store), locating
 * contracts and artifacts, sending with readable reverts, and one-line failures.
 * Keys are loaded from 0600 files and never printed.
 */
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/chain.h"
#include "cli/internal.h"

static void vline(const cli_args *a, const char *format, va_list ap, const char *suffix) {
    char text[512];
    vsnprintf(text, sizeof text, format, ap);
    for (char *p = text; *p != 0; p++) { /* one line */
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    fprintf(stderr, "%s: %s%s\n", a->name, text, suffix);
}

int cli_fail(const cli_args *a, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    vline(a, format, ap, "");
    va_end(ap);
    return TKMS_CLI_EXIT_FAILED;
}

int cli_usage_fail(const cli_args *a, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    vline(a, format, ap, " (see --help)");
    va_end(ap);
    return TKMS_CLI_EXIT_USAGE;
}

int cli_parse_address(const cli_args *a, tkms_chain_address *out, const char *flag,
                      const char *value) {
    if (strncmp(value, "0x", 2) != 0 || tkms_chain_address_parse(out, value) != TKMS_OK) {
        return cli_fail(a, "--%s: expected 0x and 40 hex digits, got '%.64s'", flag, value);
    }
    return 0;
}

int cli_parse_bytes32(const cli_args *a, uint8_t out[32], const char *flag, const char *value) {
    if (tkms_chain_hex_decode(out, 32, value) != TKMS_OK) {
        return cli_fail(a, "--%s: expected 64 hex digits (optional 0x), got '%.80s'", flag, value);
    }
    return 0;
}

int cli_parse_u64(const cli_args *a, uint64_t *out, const char *flag, const char *value) {
    char *end = NULL;
    if (value[0] < '0' || value[0] > '9') {
        return cli_fail(a, "--%s: expected a decimal number, got '%.32s'", flag, value);
    }
    unsigned long long v = strtoull(value, &end, 10);
    if (*end != 0 || (v == ULLONG_MAX)) {
        return cli_fail(a, "--%s: expected a decimal number, got '%.32s'", flag, value);
    }
    *out = v;
    return 0;
}

int cli_read_file(const cli_args *a, tkms_chain_bytes *out, const char *flag, const char *path,
                  size_t max) {
    out->ptr = NULL;
    out->len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return cli_fail(a, "--%s: cannot open %s", flag, path);
    }
    uint8_t *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    bool bad = buf == NULL || ferror(f) || n > max;
    fclose(f);
    if (bad) {
        free(buf);
        return cli_fail(a, "--%s: cannot read %s or it is larger than %zu bytes", flag, path, max);
    }
    buf[n] = 0;
    out->ptr = buf;
    out->len = n;
    return 0;
}

/* ---- parsing ----------------------------------------------------------------------------- */
static int shared_option(cli_args *a, int id, const char *value) {
    switch (id) {
    case CLI_OPT_RPC:
        a->rpc_url = value;
        return 0;
    case CLI_OPT_KEY_FILE:
        a->key_file = value;
        return 0;
    case CLI_OPT_NONCE_FILE:
        a->nonce_file = value;
        return 0;
    case CLI_OPT_CHAIN_ID:
        return cli_parse_u64(a, &a->chain_id, "chain-id", value);
    case CLI_OPT_DEPLOYMENT:
        a->deployment = value;
        return 0;
    case CLI_OPT_KMS_REGISTRY:
    case CLI_OPT_EPOCH_LOG:
    case CLI_OPT_APP_CONTROLLER:
        a->address_flags[id - CLI_OPT_KMS_REGISTRY] = value;
        return 0;
    case CLI_OPT_CONTRACTS_DIR:
        a->contracts_dir = value;
        return 0;
    case CLI_OPT_JSON:
        a->json = true;
        return 0;
    default: { /* CLI_OPT_TIMEOUT */
        uint64_t ms = 0;
        int rc = cli_parse_u64(a, &ms, "timeout-ms", value);
        if (rc == 0 && (ms == 0 || ms > 600000)) {
            rc = cli_fail(a, "--timeout-ms: 1..600000");
        }
        a->timeout_ms = (uint32_t)ms;
        return rc;
    }
    }
}

static void args_init(cli_args *a, const char *name) {
    memset(a, 0, sizeof *a);
    a->name = name;
    a->rpc_url = getenv("TKMS_RPC_URL") ? getenv("TKMS_RPC_URL") : CLI_RPC_DEFAULT;
    a->key_file = getenv("TKMS_KEY_FILE");
    a->contracts_dir = getenv("TKMS_CONTRACTS_DIR");
    a->timeout_ms = TKMS_CHAIN_RPC_TIMEOUT_MS_DEFAULT;
}

int cli_parse(cli_args *a, const char *name, int argc, char **argv, const struct option *options,
              cli_option_fn on_option, void *ctx, const char *usage) {
    args_init(a, name);
    optind = 0; /* glibc: full re-initialisation */
    opterr = 0;
    int id;
    while ((id = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        int rc;
        if (id == CLI_OPT_HELP) {
            fputs(usage, stdout);
            return TKMS_CLI_EXIT_OK;
        } else if (id == '?') {
            return cli_usage_fail(a, "unknown option '%s'", argv[optind - 1]);
        } else if (id == ':') {
            return cli_usage_fail(a, "option '%s' needs a value", argv[optind - 1]);
        } else if (id >= CLI_OPT_COMMAND) {
            rc = on_option(ctx, a, id, optarg);
        } else {
            rc = shared_option(a, id, optarg);
        }
        if (rc != 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return cli_usage_fail(a, "unexpected argument '%s'", argv[optind]);
    }
    return -1;
}

int cli_group_run(const cli_group *g, void *ctx, int argc, char **argv) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(g->usage, stdout);
        return TKMS_CLI_EXIT_OK;
    }
    for (size_t i = 0; argc >= 2 && i < g->verb_count; i++) {
        const cli_verb *v = &g->verbs[i];
        if (strcmp(argv[1], v->verb) == 0) {
            char name[64];
            snprintf(name, sizeof name, "tkms %s %s", g->group, v->verb);
            cli_args a;
            int rc =
                cli_parse(&a, name, argc - 1, argv + 1, g->options, g->on_option, ctx, v->usage);
            return rc >= 0 ? rc : v->run(&a, ctx);
        }
    }
    fprintf(stderr, "tkms %s: %s (see tkms %s --help)\n", g->group,
            argc < 2 ? "missing subcommand" : "unknown subcommand", g->group);
    return TKMS_CLI_EXIT_USAGE;
}

/* ---- session ----------------------------------------------------------------------------- */
static int key_open(cli_session *s, const cli_args *a) {
    tkms_err err = tkms_chain_key_load(&s->key, a->key_file);
    if (err != TKMS_OK) {
        return cli_fail(a, "key file %s: %s", a->key_file,
                        err == TKMS_ERR_CHAIN_KEY_PERMISSIONS
                            ? "readable by group or others (chmod 600 it)"
                        : err == TKMS_ERR_IO ? "cannot open"
                                             : "not 64 hex digits of a valid secp256k1 key");
    }
    s->has_key = true;
    char nonce_path[PATH_MAX];
    snprintf(nonce_path, sizeof nonce_path, "%s.nonces.json", a->key_file);
    const char *path = a->nonce_file ? a->nonce_file : nonce_path;
    err = tkms_chain_nonces_open(&s->nonces, path, s->chain_id, &s->key.address);
    if (err != TKMS_OK) {
        return cli_fail(a, "nonce store %s: %s", path, tkms_err_name(err));
    }
    return 0;
}

int cli_session_open(cli_session *s, const cli_args *a, bool need_key) {
    memset(s, 0, sizeof *s);
    if (need_key && a->key_file == NULL) {
        return cli_usage_fail(a, "--key-file is required (or env TKMS_KEY_FILE)");
    }
    tkms_chain_send_options_default(&s->send);
    tkms_chain_client_options o;
    tkms_chain_client_options_default(&o);
    o.url = a->rpc_url;
    o.chain_id_expected = a->chain_id;
    o.timeout_ms = a->timeout_ms;
    tkms_err err = tkms_chain_client_new(&s->client, &o);
    if (err != TKMS_OK) {
        return cli_fail(a, "--rpc %s: %s", a->rpc_url,
                        err == TKMS_ERR_CHAIN_BAD_URL ? "not an http(s) URL" : tkms_err_name(err));
    }
    err = tkms_chain_client_chain_id(s->client, &s->chain_id);
    if (err != TKMS_OK) {
        return cli_chain_fail(a, s, err, "connect", NULL);
    }
    return need_key ? key_open(s, a) : 0;
}

void cli_session_close(cli_session *s) {
    tkms_chain_nonces_close(s->nonces);
    tkms_chain_client_free(s->client);
    tkms_chain_key_wipe(&s->key);
    memset(s, 0, sizeof *s);
}

int cli_chain_fail(const cli_args *a, const cli_session *s, tkms_err err, const char *what,
                   const tkms_chain_artifact *artifact) {
    if ((err == TKMS_ERR_CHAIN_REVERTED || err == TKMS_ERR_CHAIN_TX_REVERTED) && artifact != NULL) {
        const uint8_t *data;
        size_t len;
        tkms_chain_client_revert_data(s->client, &data, &len);
        char reason[256];
        tkms_chain_revert_describe(reason, sizeof reason, artifact, data, len);
        return cli_fail(a, "%s reverted: %s (%s)", what, reason, tkms_err_name(err));
    }
    return cli_fail(a, "%s: %s (%s)", what, tkms_chain_client_error(s->client), tkms_err_name(err));
}

static const char *const contract_keys[3] = {"kms_registry", "epoch_log", "app_controller"};
static const char *const contract_flags[3] = {"kms-registry", "epoch-log", "app-controller"};

int cli_contract_address(const cli_args *a, tkms_chain_address *out, cli_contract which) {
    if (a->address_flags[which] != NULL) {
        return cli_parse_address(a, out, contract_flags[which], a->address_flags[which]);
    }
    if (a->deployment == NULL) {
        return cli_usage_fail(a, "need --%s or --deployment", contract_flags[which]);
    }
    json_error_t jerr;
    json_t *root = json_load_file(a->deployment, JSON_REJECT_DUPLICATES, &jerr);
    const char *hex = json_string_value(json_object_get(root, contract_keys[which]));
    int rc = 0;
    if (root == NULL) {
        rc = cli_fail(a, "--deployment %s: %s", a->deployment, jerr.text);
    } else if (hex == NULL || tkms_chain_address_parse(out, hex) != TKMS_OK) {
        rc = cli_fail(a, "--deployment %s: no valid \"%s\" address", a->deployment,
                      contract_keys[which]);
    }
    json_decref(root);
    return rc;
}

/* Default artifacts directory: <build>/contracts beside <build>/src/cli/tkms. */
static void default_contracts_dir(char *out, size_t size) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    out[0] = 0;
    if (n <= 0) {
        return;
    }
    exe[n] = 0;
    char *dir = dirname(dirname(dirname(exe))); /* …/src/cli/tkms → … */
    snprintf(out, size, "%s/contracts", dir);
}

static tkms_err artifact_load(const cli_args *a, tkms_chain_artifact *out, const char *name,
                              char *path, size_t path_size) {
    char dir[PATH_MAX];
    if (a->contracts_dir != NULL) {
        snprintf(dir, sizeof dir, "%s", a->contracts_dir);
    } else {
        default_contracts_dir(dir, sizeof dir);
    }
    snprintf(path, path_size, "%s/%s.json", dir, name);
    return tkms_chain_artifact_load(out, path);
}

int cli_artifact_load(const cli_args *a, tkms_chain_artifact *out, const char *name) {
    char path[PATH_MAX + 64];
    tkms_err err = artifact_load(a, out, name, path, sizeof path);
    if (err != TKMS_OK) {
        return cli_fail(a, "artifact %s: %s (build the contracts or pass --contracts-dir)", path,
                        err == TKMS_ERR_IO ? "cannot read" : "malformed");
    }
    return 0;
}

bool cli_artifact_try(const cli_args *a, tkms_chain_artifact *out, const char *name) {
    char path[PATH_MAX + 64];
    return artifact_load(a, out, name, path, sizeof path) == TKMS_OK;
}

int cli_send(const cli_args *a, cli_session *s, tkms_chain_receipt *receipt,
             const tkms_chain_address *to, const char *signature, const tkms_chain_abi_value *args,
             const tkms_chain_artifact *artifact) {
    tkms_chain_bytes data;
    tkms_err err = tkms_chain_abi_call_encode(&data, signature, args);
    if (err != TKMS_OK) {
        return cli_fail(a, "cannot encode %s: %s", signature, tkms_err_name(err));
    }
    tkms_chain_send_request req = {.to = to, .data = data.ptr, .data_len = data.len};
    err = tkms_chain_tx_send(s->client, s->nonces, &s->key, receipt, &req, &s->send);
    tkms_chain_bytes_free(&data);
    if (err != TKMS_OK) {
        char what[128];
        snprintf(what, sizeof what, "%.*s", (int)strcspn(signature, "("), signature);
        return cli_chain_fail(a, s, err, what, artifact);
    }
    return 0;
}

void cli_json_print(json_t *obj) {
    char *text = obj ? json_dumps(obj, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (text != NULL) {
        puts(text);
    }
    free(text);
    json_decref(obj);
}
