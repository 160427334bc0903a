/*
 * cmd_chain.c — `tkms chain deploy`: deploys KmsRegistry(params), EpochLog(registry), binds
 * them with setEpochLog, and deploys AppController (docs/contracts.md §2), from the
 * artifacts of the contracts build. Prints the addresses, and with --out writes them as a
 * deployment file that the other subcommands take with --deployment. The registry checks
 * its parameters; a refusal is printed with the contract's error name.
 * Does not allow-list or register operators (`tkms operator`), nor start genesis.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/internal.h"

#define PARAMS 9

enum { OPT_OUT = CLI_OPT_COMMAND, OPT_PARAM_FIRST };

static const char *const param_names[PARAMS] = {
    "interval",       "commit-offset", "reveal-offset", "ack-offset",       "open-offset",
    "confirm-offset", "confirmations", "min-operators", "fallback-patience"};
/* The example of docs/contracts.md: 3-block windows, c = 1, 20-block epochs. */
static const uint64_t param_defaults[PARAMS] = {20, 3, 6, 9, 12, 15, 1, 4, 2};

static const char deploy_usage[] =
    "usage: tkms chain deploy --key-file FILE [--rpc URL] [--out FILE]\n"
    "         [--interval N] [--commit-offset N] [--reveal-offset N] [--ack-offset N]\n"
    "         [--open-offset N] [--confirm-offset N] [--confirmations N]\n"
    "         [--min-operators N] [--fallback-patience N] [common options]\n"
    "Deploys KmsRegistry, EpochLog (bound to the registry) and AppController; the key\n"
    "becomes the registry owner. Defaults: interval 20, offsets 3/6/9/12/15 blocks after\n"
    "each trigger, confirmations 1, min-operators 4, fallback-patience 2. The registry\n"
    "refuses windows shorter than confirmations + 2 blocks.\n"
    "  --out FILE   write the deployment (addresses, chain id, parameters) as "
    "JSON\n" CLI_SHARED_USAGE;

static const char chain_usage[] =
    "usage: tkms chain deploy [options]   (tkms chain deploy --help)\n";

typedef struct {
    uint64_t params[PARAMS];
    const char *out;
} deploy_args;

static int deploy_option(void *ctx, const cli_args *a, int id, const char *value) {
    deploy_args *d = ctx;
    if (id == OPT_OUT) {
        d->out = value;
        return 0;
    }
    size_t i = (size_t)(id - OPT_PARAM_FIRST);
    int rc = cli_parse_u64(a, &d->params[i], param_names[i], value);
    bool narrow = i >= 7; /* minOperators and fallbackPatience are uint32 */
    if (rc == 0 && narrow && d->params[i] > UINT32_MAX) {
        rc = cli_fail(a, "--%s: at most %u", param_names[i], UINT32_MAX);
    }
    return rc;
}

typedef struct {
    tkms_chain_address address[3];
    uint64_t block[3];
} deployed;

static int deploy_one(const cli_args *a, cli_session *s, deployed *out, size_t index,
                      const tkms_chain_artifact *art, const char *types,
                      const tkms_chain_abi_value *args) {
    tkms_chain_bytes encoded = {0};
    if (types != NULL && tkms_chain_abi_encode(&encoded, types, args) != TKMS_OK) {
        return cli_fail(a, "cannot encode the %s constructor arguments", art->name);
    }
    tkms_chain_receipt r;
    tkms_err err = tkms_chain_deploy(s->client, s->nonces, &s->key, &r, &art->bytecode, encoded.ptr,
                                     encoded.len, &s->send);
    tkms_chain_bytes_free(&encoded);
    if (err != TKMS_OK) {
        char what[160];
        snprintf(what, sizeof what, "deploying %s", art->name);
        return cli_chain_fail(a, s, err, what, art);
    }
    out->address[index] = r.contract_address;
    out->block[index] = r.block_number;
    tkms_chain_receipt_clear(&r);
    return 0;
}

static int deploy_all(const cli_args *a, cli_session *s, const deploy_args *d,
                      const tkms_chain_artifact art[3], deployed *out) {
    tkms_chain_abi_value p[PARAMS];
    for (size_t i = 0; i < PARAMS; i++) {
        p[i] = tkms_chain_abi_uint64(d->params[i]);
    }
    tkms_chain_abi_value args = tkms_chain_abi_tuple(p, PARAMS);
    int rc = deploy_one(a, s, out, 0, &art[0], TKMS_CHAIN_REGISTRY_CONSTRUCTOR, &args);
    tkms_chain_abi_value registry = tkms_chain_abi_address(&out->address[0]);
    args = tkms_chain_abi_tuple(&registry, 1);
    if (rc == 0) {
        rc = deploy_one(a, s, out, 1, &art[1], TKMS_CHAIN_EPOCHLOG_CONSTRUCTOR, &args);
    }
    tkms_chain_abi_value log = tkms_chain_abi_address(&out->address[1]);
    args = tkms_chain_abi_tuple(&log, 1);
    tkms_chain_receipt r = {0};
    if (rc == 0) {
        rc =
            cli_send(a, s, &r, &out->address[0], TKMS_CHAIN_REGISTRY_SET_EPOCH_LOG, &args, &art[0]);
        tkms_chain_receipt_clear(&r);
    }
    if (rc == 0) {
        rc = deploy_one(a, s, out, 2, &art[2], NULL, NULL);
    }
    return rc;
}

static json_t *deployment_json(const cli_session *s, const deploy_args *d, const deployed *dep) {
    char hex[3][TKMS_CHAIN_ADDRESS_HEX_BYTES], owner[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    for (size_t i = 0; i < 3; i++) {
        tkms_chain_address_format(hex[i], &dep->address[i]);
    }
    tkms_chain_address_format(owner, &s->key.address);
    json_t *params = json_object();
    for (size_t i = 0; i < PARAMS; i++) {
        json_object_set_new(params, param_names[i], json_integer((json_int_t)d->params[i]));
    }
    return json_pack("{s:I,s:s,s:s,s:s,s:s,s:I,s:o}", "chain_id", (json_int_t)s->chain_id, "owner",
                     owner, "kms_registry", hex[0], "epoch_log", hex[1], "app_controller", hex[2],
                     "block", (json_int_t)dep->block[2], "params", params);
}

/* Writes the deployment file atomically (temp + rename). */
static int deployment_write(const cli_args *a, const char *path, json_t *doc) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return cli_fail(a, "--out %s: cannot write", path);
    }
    return 0;
}

static void deployment_print(const cli_session *s, const deploy_args *d, const deployed *dep) {
    static const char *const names[3] = {"KmsRegistry", "EpochLog", "AppController"};
    char hex[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    printf("chain id       %llu\n", (unsigned long long)s->chain_id);
    tkms_chain_address_format(hex, &s->key.address);
    printf("owner          %s\n", hex);
    for (size_t i = 0; i < 3; i++) {
        tkms_chain_address_format(hex, &dep->address[i]);
        printf("%-14s %s  (block %llu)\n", names[i], hex, (unsigned long long)dep->block[i]);
    }
    printf("parameters     interval %llu, offsets %llu/%llu/%llu/%llu/%llu, confirmations %llu, "
           "min operators %llu, fallback patience %llu\n",
           (unsigned long long)d->params[0], (unsigned long long)d->params[1],
           (unsigned long long)d->params[2], (unsigned long long)d->params[3],
           (unsigned long long)d->params[4], (unsigned long long)d->params[5],
           (unsigned long long)d->params[6], (unsigned long long)d->params[7],
           (unsigned long long)d->params[8]);
}

static int deploy_run(const cli_args *a, void *ctx) {
    const deploy_args *d = ctx;
    tkms_chain_artifact art[3] = {0};
    static const char *const names[3] = {"KmsRegistry", "EpochLog", "AppController"};
    int rc = 0;
    for (size_t i = 0; i < 3 && rc == 0; i++) {
        rc = cli_artifact_load(a, &art[i], names[i]);
    }
    cli_session s = {0};
    if (rc == 0) {
        rc = cli_session_open(&s, a, true);
    }
    deployed dep;
    if (rc == 0) {
        rc = deploy_all(a, &s, d, art, &dep);
    }
    json_t *doc = rc == 0 ? deployment_json(&s, d, &dep) : NULL;
    if (rc == 0 && d->out != NULL) {
        rc = deployment_write(a, d->out, doc);
    }
    if (rc == 0 && a->json) {
        cli_json_print(json_incref(doc));
    } else if (rc == 0) {
        deployment_print(&s, d, &dep);
    }
    json_decref(doc);
    cli_session_close(&s);
    for (size_t i = 0; i < 3; i++) {
        tkms_chain_artifact_free(&art[i]);
    }
    return rc;
}

static const struct option deploy_options[] = {
    {"out", required_argument, NULL, OPT_OUT},
    {"interval", required_argument, NULL, OPT_PARAM_FIRST + 0},
    {"commit-offset", required_argument, NULL, OPT_PARAM_FIRST + 1},
    {"reveal-offset", required_argument, NULL, OPT_PARAM_FIRST + 2},
    {"ack-offset", required_argument, NULL, OPT_PARAM_FIRST + 3},
    {"open-offset", required_argument, NULL, OPT_PARAM_FIRST + 4},
    {"confirm-offset", required_argument, NULL, OPT_PARAM_FIRST + 5},
    {"confirmations", required_argument, NULL, OPT_PARAM_FIRST + 6},
    {"min-operators", required_argument, NULL, OPT_PARAM_FIRST + 7},
    {"fallback-patience", required_argument, NULL, OPT_PARAM_FIRST + 8},
    CLI_SHARED_OPTIONS,
};

static const cli_verb verbs[] = {
    {"deploy", deploy_run, deploy_usage},
};

int tkms_cli_chain(int argc, char **argv) {
    static const cli_group group = {
        "chain", chain_usage, verbs, sizeof verbs / sizeof verbs[0], deploy_options, deploy_option};
    deploy_args d = {.out = NULL};
    memcpy(d.params, param_defaults, sizeof d.params);
    return cli_group_run(&group, &d, argc, argv);
}
