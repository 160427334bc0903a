/*
 * cmd_status.c — `tkms status`: the cluster as the chain and the operators see it. From
 * chain (pinned to the latest block): the operator set with app URLs, the finalized
 * version and the retained set. From every operator at once: GET /readyz (ready, or why
 * not) and GET /v1/status (its epoch and phase, chain head seen, versions held, peers
 * reachable, last epoch result). An observation: it exits 0 whenever the chain could be
 * read, whatever the nodes say.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_client.h"

static const char usage[] =
    "usage: tkms status [network options]\n"
    "Shows the operator set from chain and, for each operator, /readyz and /v1/status:\n"
    "ready or why not, epoch and phase, the chain head it saw, versions held, "
    "peers.\n" CLI_CLIENT_USAGE;

static const struct option options[] = {CLI_SHARED_OPTIONS};

static int no_option(void *ctx, const cli_args *a, int id, const char *value) {
    (void)ctx;
    (void)id;
    (void)value;
    return cli_usage_fail(a, "unexpected option");
}

typedef struct {
    json_t *status; /* /v1/status body, or NULL */
    bool ready;
    char why[TKMS_CLIENT_DETAIL_BYTES]; /* not ready / unreachable */
} node_view;

static void node_view_read(node_view *v, const tkms_client_http_response *ready,
                           const tkms_client_http_response *status) {
    memset(v, 0, sizeof *v);
    if (status->answered && status->status == 200) {
        v->status = json_loadb(status->body, status->body_len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(v->status)) {
            json_decref(v->status);
            v->status = NULL;
        }
    }
    v->ready = ready->answered && ready->status == 200;
    if (!ready->answered) {
        snprintf(v->why, sizeof v->why, "unreachable: %s", ready->error);
        return;
    }
    json_t *body = json_loads(ready->body ? ready->body : "", 0, NULL);
    const char *code = json_string_value(json_object_get(json_object_get(body, "error"), "code"));
    if (!v->ready) {
        snprintf(v->why, sizeof v->why, "HTTP %ld%s%.64s", ready->status, code ? " " : "",
                 code ? code : "");
    }
    json_decref(body);
}

static void versions_text(char *out, size_t max, json_t *list) {
    size_t used = 0;
    out[0] = 0;
    for (size_t i = 0; i < json_array_size(list) && used < max; i++) {
        int n = snprintf(out + used, max - used, "%s%lld", i ? "," : "",
                         (long long)json_integer_value(json_array_get(list, i)));
        used += n > 0 ? (size_t)n : 0;
    }
    if (out[0] == 0) {
        snprintf(out, max, "-");
    }
}

static void print_node(const tkms_client_operator *op, const node_view *v) {
    char address[TKMS_CLIENT_APP_ID_BYTES], held[64];
    cli_client_hex_address(address, op->address);
    json_t *s = v->status;
    versions_text(held, sizeof held, json_object_get(s, "versions_held"));
    printf("%s %-28s %-5s", address, op->app_url, v->ready ? "ready" : "no");
    if (s != NULL) {
        json_t *chain = json_object_get(s, "chain");
        printf(" epoch %lld %-8s head %lld held %s peers %lld/%zu",
               (long long)json_integer_value(json_object_get(s, "epoch")),
               json_string_value(json_object_get(s, "phase"))
                   ? json_string_value(json_object_get(s, "phase"))
                   : "?",
               (long long)json_integer_value(json_object_get(chain, "head")), held,
               (long long)json_integer_value(json_object_get(s, "peers_reachable")),
               json_array_size(json_object_get(s, "peers")));
    }
    printf("%s%s\n", v->why[0] ? "  " : "", v->why);
}

static json_t *node_json(const tkms_client_operator *op, const node_view *v) {
    char address[TKMS_CLIENT_APP_ID_BYTES];
    cli_client_hex_address(address, op->address);
    json_t *o =
        json_pack("{s:s,s:s,s:b}", "address", address, "app_url", op->app_url, "ready", v->ready);
    if (v->why[0]) {
        json_object_set_new(o, "not_ready", json_string(v->why));
    }
    json_object_set(o, "status", v->status ? v->status : json_null());
    return o;
}

static void print_all(const cli_args *a, const tkms_client_network *net, const node_view *views) {
    uint32_t ready = 0;
    json_t *retained = json_array(), *nodes = json_array();
    for (uint32_t k = 0; k < net->retained_count; k++) {
        json_array_append_new(retained, json_integer((json_int_t)net->retained[k]));
    }
    for (uint32_t i = 0; i < net->operator_count; i++) {
        ready += views[i].ready;
        json_array_append_new(nodes, node_json(&net->operators[i], &views[i]));
    }
    if (a->json) {
        cli_json_print(json_pack("{s:I,s:I,s:I,s:o,s:I,s:o}", "chain_id", (json_int_t)net->chain_id,
                                 "block", (json_int_t)net->block_number, "finalized_version",
                                 (json_int_t)net->finalized_version, "retained_versions", retained,
                                 "ready", (json_int_t)ready, "operators", nodes));
        return;
    }
    char held[64];
    versions_text(held, sizeof held, retained);
    printf("chain %llu at block %llu: finalized version %llu, retained %s, %u operators "
           "(%u ready)\n",
           (unsigned long long)net->chain_id, (unsigned long long)net->block_number,
           (unsigned long long)net->finalized_version, held, net->operator_count, ready);
    for (uint32_t i = 0; i < net->operator_count; i++) {
        print_node(&net->operators[i], &views[i]);
    }
    json_decref(retained);
    json_decref(nodes);
}

static int probe(const cli_args *a, const tkms_client_network *net) {
    uint32_t n = net->operator_count;
    char(*urls)[TKMS_CLIENT_URL_BYTES_MAX + 16] = calloc(2 * n + 1, sizeof *urls);
    tkms_client_http_request *reqs = calloc(2 * n + 1, sizeof *reqs);
    tkms_client_http_response *res = calloc(2 * n + 1, sizeof *res);
    node_view *views = calloc(n + 1, sizeof *views);
    int rc = urls && reqs && res && views ? 0 : cli_fail(a, "out of memory");
    for (uint32_t i = 0; rc == 0 && i < 2 * n; i++) {
        const char *path = i < n ? "/readyz" : "/v1/status";
        tkms_err e =
            tkms_client_url_join(urls[i], sizeof urls[i], net->operators[i % n].app_url, path);
        reqs[i] = (tkms_client_http_request){e == TKMS_OK ? urls[i] : "invalid:", NULL, 0};
    }
    tkms_client_http_options http;
    cli_client_http(a, &http);
    if (rc == 0 && tkms_client_http_run(res, reqs, 2 * n, &http) != TKMS_OK) {
        rc = cli_fail(a, "cannot reach the operators (HTTP setup failed)");
    }
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        node_view_read(&views[i], &res[i], &res[n + i]);
    }
    if (rc == 0) {
        print_all(a, net, views);
        tkms_client_http_clear(res, 2 * n);
    }
    for (uint32_t i = 0; views != NULL && i < n; i++) {
        json_decref(views[i].status);
    }
    free(urls);
    free(reqs);
    free(res);
    free(views);
    return rc;
}

static int status_run(const cli_args *a) {
    tkms_client_chain *chain = NULL;
    tkms_client_network *net = NULL;
    int rc = cli_client_open(a, &chain, &net, false);
    if (rc == 0) {
        rc = probe(a, net);
    }
    cli_client_close(chain, net);
    return rc;
}

int tkms_cli_status(int argc, char **argv) {
    cli_args a;
    int rc = cli_parse(&a, "tkms status", argc, argv, options, no_option, NULL, usage);
    return rc >= 0 ? rc : status_run(&a);
}
