/*
 * cmd_pubkey.c — `tkms pubkey [--version N]`: the public state of a key version as the
 * chain records it (MPK, threshold, source, dealers, combined commitments and every
 * operator's public share, derived by libtkms-client from the dealers' on-chain
 * commitments), cross-checked against every operator's GET /v1/pubkey. A node that serves
 * something else is named and the command fails (exit 2) after printing the chain's view;
 * unreachable nodes are reported, not failures. --chain-only skips the nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_client.h"

enum { OPT_VERSION = CLI_OPT_COMMAND, OPT_CHAIN_ONLY };

static const char usage[] =
    "usage: tkms pubkey [--version N] [--chain-only] [network options]\n"
    "Prints the public state of a key version (default: the newest retained) derived from\n"
    "chain data alone (EpochLog: MPK, threshold, dealer set, the dealers' revealed\n"
    "commitments), and checks every operator's GET /v1/pubkey against it.\n"
    "  --version N    a retained version (epoch number)\n"
    "  --chain-only   do not ask the operators\n" CLI_CLIENT_USAGE;

typedef struct {
    bool has_version, chain_only;
    uint64_t version;
} pubkey_args;

static int pubkey_option(void *ctx, const cli_args *a, int id, const char *value) {
    pubkey_args *o = ctx;
    if (id == OPT_CHAIN_ONLY) {
        o->chain_only = true;
        return 0;
    }
    o->has_version = true;
    return cli_parse_u64(a, &o->version, "version", value);
}

static const struct option options[] = {
    {"version", required_argument, NULL, OPT_VERSION},
    {"chain-only", no_argument, NULL, OPT_CHAIN_ONLY},
    CLI_SHARED_OPTIONS,
};

static json_t *hex_json(const uint8_t *in, size_t len) {
    char *h = cli_client_hex(in, len);
    json_t *s = json_string(h ? h : "");
    free(h);
    return s;
}

static json_t *state_json(const tkms_client_network *net, const tkms_client_version *v) {
    uint8_t enc[TKMS_BLS_G2_BYTES], fr[TKMS_BLS_FR_BYTES];
    json_t *cs = json_array(), *ds = json_array(), *ops = json_array();
    for (uint32_t k = 0; k < v->t; k++) {
        tkms_bls_g2_encode(enc, &v->combined.c[k]);
        json_array_append_new(cs, hex_json(enc, sizeof enc));
    }
    for (uint32_t i = 0; i < v->dealer_count; i++) {
        char address[TKMS_CLIENT_APP_ID_BYTES];
        cli_client_hex_address(address, v->dealers[i]);
        json_array_append_new(ds, json_string(address));
    }
    for (uint32_t j = 0; j < v->operator_count; j++) {
        char address[TKMS_CLIENT_APP_ID_BYTES];
        tkms_bls_fr x;
        tkms_bls_g2 pk;
        cli_client_hex_address(address, v->operators[j]);
        if (tkms_tss_point_from_address(&x, v->operators[j]) != TKMS_OK ||
            tkms_client_public_share(&pk, v, v->operators[j]) != TKMS_OK) {
            continue; /* x = 0: impossible in practice */
        }
        tkms_bls_fr_encode(fr, &x);
        tkms_bls_g2_encode(enc, &pk);
        json_array_append_new(ops, json_pack("{s:s,s:o,s:o}", "address", address, "x",
                                             hex_json(fr, sizeof fr), "public_share",
                                             hex_json(enc, sizeof enc)));
    }
    char epoch_log[TKMS_CLIENT_APP_ID_BYTES];
    cli_client_hex_address(epoch_log, net->epoch_log);
    tkms_bls_g2_encode(enc, &net->mpk);
    json_t *root = json_pack(
        "{s:I,s:I,s:I,s:o,s:I,s:s,s:I,s:o,s:o,s:o}", "version", (json_int_t)v->version, "threshold",
        (json_int_t)v->t, "finalized_block", (json_int_t)v->finalized_block, "mpk",
        hex_json(enc, sizeof enc), "chain_id", (json_int_t)net->chain_id, "epoch_log", epoch_log,
        "block", (json_int_t)net->block_number, "commitments", cs, "dealers", ds, "operators", ops);
    json_object_set_new(root, "state_hash", hex_json(v->state_hash, 32));
    json_object_set_new(root, "source",
                        v->source == TKMS_CLIENT_DKG_SOURCE ? json_string("dkg")
                                                            : json_integer((json_int_t)v->source));
    return root;
}

static void print_human(json_t *st, const tkms_client_version *v,
                        const tkms_client_operator_report *nodes, uint32_t count, uint32_t agreeing,
                        bool chain_only) {
    printf("key version %llu (%s", (unsigned long long)v->version,
           v->source == TKMS_CLIENT_DKG_SOURCE ? "genesis DKG" : "reshare of ");
    if (v->source != TKMS_CLIENT_DKG_SOURCE) {
        printf("%llu", (unsigned long long)v->source);
    }
    printf("), threshold %u of %u operators, %u dealers, finalized in block %llu\n", v->t,
           v->operator_count, v->dealer_count, (unsigned long long)v->finalized_block);
    printf("mpk %s\n", json_string_value(json_object_get(st, "mpk")));
    json_t *cs = json_object_get(st, "commitments");
    for (size_t k = 0; k < json_array_size(cs); k++) {
        printf("C%-2zu %s\n", k, json_string_value(json_array_get(cs, k)));
    }
    json_t *ops = json_object_get(st, "operators");
    for (size_t j = 0; j < json_array_size(ops); j++) {
        json_t *e = json_array_get(ops, j);
        printf("operator %s public share %.24s…\n",
               json_string_value(json_object_get(e, "address")),
               json_string_value(json_object_get(e, "public_share")));
    }
    for (uint32_t i = 0; !chain_only && i < count; i++) {
        char address[TKMS_CLIENT_APP_ID_BYTES];
        cli_client_hex_address(address, nodes[i].address);
        printf("node %s: %s%s%s\n", address, tkms_client_operator_status_name(nodes[i].status),
               nodes[i].detail[0] ? ": " : "", nodes[i].detail);
    }
    if (!chain_only) {
        printf("%u of %u nodes serve this state\n", agreeing, count);
    }
}

static int report(const cli_args *a, const pubkey_args *o, const tkms_client_network *net,
                  const tkms_client_version *v) {
    tkms_client_operator_report nodes[TKMS_CLIENT_OPERATORS_MAX];
    uint32_t agreeing = 0, mismatching = 0;
    if (!o->chain_only) {
        tkms_client_http_options http;
        cli_client_http(a, &http);
        if (tkms_client_pubkey_check(nodes, &agreeing, net, v, &http) != TKMS_OK) {
            return cli_fail(a, "cannot reach the operators (HTTP setup failed)");
        }
    }
    json_t *st = state_json(net, v);
    json_t *list = json_array();
    for (uint32_t i = 0; !o->chain_only && i < net->operator_count; i++) {
        mismatching += nodes[i].status == TKMS_CLIENT_OPERATOR_MISMATCH;
        json_array_append_new(list, cli_client_report_json(&nodes[i]));
    }
    if (a->json) {
        json_object_set_new(st, "nodes", list);
        json_object_set_new(st, "nodes_agreeing", json_integer(agreeing));
        cli_json_print(st);
    } else {
        print_human(st, v, nodes, net->operator_count, agreeing, o->chain_only);
        json_decref(list);
        json_decref(st);
    }
    if (mismatching > 0) {
        char blamed[600];
        cli_client_blamed(blamed, sizeof blamed, nodes, net->operator_count);
        return cli_fail(a, "%u node(s) serve a public state that differs from chain: %s",
                        mismatching, blamed);
    }
    return 0;
}

static int pubkey_run(const cli_args *a, void *ctx) {
    const pubkey_args *o = ctx;
    tkms_client_chain *chain = NULL;
    tkms_client_network *net = NULL;
    int rc = cli_client_open(a, &chain, &net, true);
    tkms_client_version *v = calloc(1, sizeof *v);
    if (rc == 0 && v == NULL) {
        rc = cli_fail(a, "out of memory");
    }
    if (rc == 0) {
        uint64_t version = o->has_version ? o->version : net->retained[0];
        tkms_err err = tkms_client_chain_version(chain, v, net, version);
        rc = err == TKMS_OK ? report(a, o, net, v)
                            : cli_fail(a, "version %llu: %s (%s)", (unsigned long long)version,
                                       tkms_client_chain_error(chain), tkms_err_name(err));
    }
    free(v);
    cli_client_close(chain, net);
    return rc;
}

int tkms_cli_pubkey(int argc, char **argv) {
    pubkey_args o = {0};
    cli_args a;
    int rc = cli_parse(&a, "tkms pubkey", argc, argv, options, pubkey_option, &o, usage);
    return rc >= 0 ? rc : pubkey_run(&a, &o);
}
