/*
 * api_ops.c — the operator endpoints (api.md "Operator-facing"): /healthz (the process
 * answers), /readyz (a held finalized version and a live chain), /metrics (Prometheus
 * text) and /v1/status (identity, chain head, epoch and phase, last epoch result, versions,
 * peers). They read the published snapshot only; they are never rate limited nor counted
 * in flight, so an overloaded node can still be observed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/http_internal.h"

void api_healthz(http_request *req, http_reply *reply) {
    (void)req;
    http_reply_json(reply, 200, json_pack("{s:s}", "status", "ok"));
}

void api_readyz(http_request *req, http_reply *reply) {
    node_http *s = req->server;
    const node_snapshot *snap = node_snapshot_acquire(s->snapshots);
    if (snap == NULL) {
        http_reply_error(reply, TKMS_ERR_NODE_NOT_READY, "the node has not loaded its state yet");
    } else if (!snap->chain_live) {
        http_reply_error(reply, TKMS_ERR_NODE_CHAIN_UNAVAILABLE, "the last chain read failed");
    } else if (snap->version_count == 0) {
        http_reply_error(reply,
                         snap->network_has_version ? TKMS_ERR_NODE_NOT_READY
                                                   : TKMS_ERR_NODE_NO_FINALIZED_VERSION,
                         snap->network_has_version ? "this node holds no finalized version"
                                                   : "the network has no finalized version yet");
    } else {
        http_reply_json(reply, 200,
                        json_pack("{s:s,s:I,s:I}", "status", "ready", "version",
                                  (json_int_t)snap->versions[0].version, "epoch",
                                  (json_int_t)snap->epoch));
    }
    node_snapshot_release(s->snapshots, snap);
}

void api_metrics(http_request *req, http_reply *reply) {
    node_http *s = req->server;
    const node_snapshot *snap = node_snapshot_acquire(s->snapshots);
    if (snap != NULL) { /* the gauges follow the snapshot even if the loop forgets them */
        node_metrics_set(s->metrics, NODE_METRIC_CURRENT_EPOCH, NULL, (int64_t)snap->epoch);
        node_metrics_set(s->metrics, NODE_METRIC_CHAIN_HEAD, NULL, (int64_t)snap->head);
        node_metrics_set(s->metrics, NODE_METRIC_CURRENT_VERSION, NULL,
                         snap->version_count > 0 ? (int64_t)snap->versions[0].version : -1);
    }
    node_snapshot_release(s->snapshots, snap);
    size_t len = 0;
    char *text = node_metrics_render(s->metrics, &len);
    if (text == NULL) {
        http_reply_error(reply, TKMS_ERR_NODE_HTTP_OVERLOADED, "metrics unavailable");
        return;
    }
    http_reply_text(reply, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
}

static const char *phase_name(uint8_t phase) {
    static const char *const names[] = {"idle", "dealt", "revealed", "acked", "opened", "decided"};
    return phase < sizeof names / sizeof names[0] ? names[phase] : "unknown";
}

static json_t *address_json(const uint8_t address[20]) {
    char hex[43];
    http_hex(hex, address, 20, true);
    return json_string(hex);
}

static json_t *peers_json(const node_snapshot *snap, json_int_t *reachable) {
    json_t *peers = json_array();
    *reachable = 0;
    for (uint32_t i = 0; i < snap->peer_status_count && i < TKMS_PROTO_OPERATORS_MAX; i++) {
        const node_peer_status *p = &snap->peer_status[i];
        *reachable += p->reachable ? 1 : 0;
        json_array_append_new(peers, json_pack("{s:o,s:b,s:I}", "address", address_json(p->address),
                                               "reachable", p->reachable, "last_ok",
                                               (json_int_t)p->last_ok));
    }
    return peers;
}

static json_t *status_json(const node_snapshot *snap, uint32_t in_flight) {
    json_t *held = json_array(), *retained = json_array();
    for (uint32_t i = 0; i < snap->version_count; i++) {
        json_array_append_new(held, json_integer((json_int_t)snap->versions[i].version));
    }
    for (uint32_t i = 0; i < snap->retained_count && i < TKMS_PROTO_RETAINED_MAX; i++) {
        json_array_append_new(retained, json_integer((json_int_t)snap->retained[i]));
    }
    json_int_t reachable = 0;
    json_t *peers = peers_json(snap, &reachable);
    return json_pack(
        "{s:o,s:I,s:o,s:{s:I,s:I,s:b},s:I,s:s,s:o,s:o,s:o,s:b,s:o,s:I,s:I}", "operator",
        address_json(snap->self), "chain_id", (json_int_t)snap->chain_id, "epoch_log",
        address_json(snap->epoch_log), "chain", "head", (json_int_t)snap->head, "final",
        (json_int_t)snap->final_height, "live", snap->chain_live, "epoch", (json_int_t)snap->epoch,
        "phase", phase_name(snap->phase), "last_epoch_result",
        http_text_json(snap->last_epoch_result, sizeof snap->last_epoch_result), "versions_held",
        held, "retained_versions", retained, "network_has_version", snap->network_has_version,
        "peers", peers, "peers_reachable", reachable, "http_in_flight", (json_int_t)in_flight);
}

void api_status(http_request *req, http_reply *reply) {
    node_http *s = req->server;
    const node_snapshot *snap = node_snapshot_acquire(s->snapshots);
    if (snap == NULL) {
        http_reply_error(reply, TKMS_ERR_NODE_NOT_READY, "the node has not loaded its state yet");
        return;
    }
    http_reply_json(reply, 200, status_json(snap, limits_in_flight(s->limits)));
    node_snapshot_release(s->snapshots, snap);
}
