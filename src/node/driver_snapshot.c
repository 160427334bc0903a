/*
 * driver_snapshot.c — what the node loop publishes after every step (node.h node_snapshot,
 * style R15), and the public chain facts it needs: the registered URLs of the operators,
 * each held version's O(v), D(v), activation time and public shares, and the operator sets
 * (with Ed25519 keys) the peer endpoint authenticates envelopes against.
 *
 * Facts of finalized versions never change (I6), so they are read once, pinned to the
 * last stepped final block, and cached; URLs are not consensus data and are refreshed once
 * per epoch. A read that fails leaves that item out of this snapshot and is retried at the
 * next one (a version missing from one snapshot answers 409 for a block, never wrongly).
 * Not here: the snapshot's memory management (snapshot.c), HTTP (http.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/driver_internal.h"
#include "node/log.h"

/* ---- operators' URLs ---------------------------------------------------------------------- */

tkms_err driver_infos_refresh(node_driver *d, const tkms_chain_header *at) {
    uint64_t epoch = at->number / d->viewer->config.interval;
    if (d->infos_valid && d->infos_epoch == epoch) {
        return TKMS_OK;
    }
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(at->number);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(d->viewer, &r, &keep, &d->registry,
                                  TKMS_CHAIN_REGISTRY_NODE_INFOS_AT, &args,
                                  TKMS_CHAIN_REGISTRY_NODE_INFOS_OUT, &at->hash);
    if (err != TKMS_OK) {
        return err;
    }
    const tkms_chain_abi_value *infos = &r.items[0];
    uint32_t count = 0;
    for (size_t i = 0; i < infos->count && count < TKMS_PROTO_OPERATORS_MAX; i++) {
        const tkms_chain_abi_value *info = &infos->items[i];
        tkms_chain_address addr;
        driver_node_info *out = &d->infos[count];
        if (tkms_chain_abi_get_address(&addr, &info->items[0]) != TKMS_OK ||
            info->items[3].len >= sizeof out->peer_url ||
            info->items[4].len >= sizeof out->app_url) {
            continue; /* the registry caps URLs at 256 bytes: this does not happen */
        }
        memcpy(out->address, addr.bytes, 20);
        memcpy(out->peer_url, info->items[3].data, info->items[3].len);
        out->peer_url[info->items[3].len] = '\0';
        memcpy(out->app_url, info->items[4].data, info->items[4].len);
        out->app_url[info->items[4].len] = '\0';
        count++;
    }
    tkms_chain_bytes_free(&keep);
    d->info_count = count;
    d->infos_epoch = epoch;
    d->infos_valid = true;
    return TKMS_OK;
}

const driver_node_info *driver_info_find(const node_driver *d, const uint8_t address[20]) {
    for (uint32_t i = 0; i < d->info_count; i++) {
        if (memcmp(d->infos[i].address, address, 20) == 0) {
            return &d->infos[i];
        }
    }
    return NULL;
}

/* ---- held versions ----------------------------------------------------------------------- */

static tkms_err read_dealers(node_viewer *vw, node_version_public *out, uint64_t version,
                             const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_DEALER_SET,
                                  &args, TKMS_CHAIN_EPOCHLOG_ADDRESSES_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    out->dealer_count = 0;
    for (size_t k = 0; k < r.items[0].count && k < TKMS_PROTO_OPERATORS_MAX; k++) {
        tkms_chain_address dealer;
        if (tkms_chain_abi_get_address(&dealer, &r.items[0].items[k]) == TKMS_OK) {
            memcpy(out->dealers[out->dealer_count++], dealer.bytes, 20);
        }
    }
    tkms_chain_bytes_free(&keep);
    return TKMS_OK;
}

tkms_err node_version_public_read(node_viewer *vw, node_version_public *out,
                                  const tkms_proto_version *held, const tkms_chain_hash *at) {
    TKMS_ASSERT(held != NULL && held->status == TKMS_PROTO_VERSION_ACTIVE);
    memset(out, 0, sizeof *out);
    uint8_t ops[TKMS_PROTO_OPERATORS_MAX][20];
    uint32_t n = 0;
    tkms_err err = node_view_operators(vw, ops, &n, held->version, at);
    if (err == TKMS_OK) {
        err = read_dealers(vw, out, held->version, at);
    }
    tkms_chain_header trigger;
    if (err == TKMS_OK) {
        err = tkms_chain_header_get(vw->chain, &trigger,
                                    tkms_chain_block_number(held->version * vw->config.interval));
    }
    if (err != TKMS_OK) {
        return err;
    }
    out->activated_at = trigger.timestamp;
    for (uint32_t i = 0; i < n; i++) {
        node_operator *op = &out->operators[i];
        memcpy(op->address, ops[i], 20);
        if (tkms_tss_point_from_address(&op->x, ops[i]) != TKMS_OK) {
            return TKMS_ERR_NODE_SOURCE_INVALID; /* a zero point never gets into O */
        }
        vw->group->public_share(vw->group->ctx, op->public_share, &held->commitments, &op->x);
    }
    out->operator_count = n;
    out->version = held->version;
    out->valid = true;
    return TKMS_OK;
}

/* The cached public facts of a held version (read on first use). */
static const node_version_public *vpub_get(node_driver *d, const tkms_proto_version *h) {
    node_version_public *slot = NULL;
    for (size_t k = 0; k < TKMS_PROTO_VERSIONS_MAX; k++) {
        if (d->vpub[k].valid && d->vpub[k].version == h->version) {
            return &d->vpub[k];
        }
        if (!d->vpub[k].valid && slot == NULL) {
            slot = &d->vpub[k];
        }
    }
    if (slot == NULL || !d->stepped_any) {
        return NULL;
    }
    tkms_err err = node_version_public_read(d->viewer, slot, h, &d->stepped.hash);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_WARN, "driver", "version_public_unreadable", h->version, "%s: %s",
                 tkms_err_name(err), d->viewer->error);
        memset(slot, 0, sizeof *slot);
        return NULL;
    }
    return slot;
}

static void fill_version(node_driver *d, node_version *out, const tkms_proto_version *h,
                         const node_version_public *p) {
    out->version = h->version;
    out->activated_at = p->activated_at;
    out->t = h->t;
    out->share = h->share;
    out->commitments = h->commitments;
    out->dealer_count = p->dealer_count;
    memcpy(out->dealers, p->dealers, sizeof out->dealers);
    out->operator_count = p->operator_count;
    for (uint32_t i = 0; i < p->operator_count; i++) {
        out->operators[i] = p->operators[i];
        const driver_node_info *info = driver_info_find(d, p->operators[i].address);
        if (info != NULL) {
            snprintf(out->operators[i].app_url, sizeof out->operators[i].app_url, "%s",
                     info->app_url);
        }
    }
}

/* ACTIVE versions, newest first. */
static void fill_versions(node_driver *d, node_snapshot *snap) {
    const tkms_proto_version *held[TKMS_PROTO_VERSIONS_MAX];
    size_t m = 0;
    for (size_t k = 0; k < TKMS_PROTO_VERSIONS_MAX; k++) {
        if (d->state->versions[k].status == TKMS_PROTO_VERSION_ACTIVE) {
            held[m++] = &d->state->versions[k];
        }
    }
    for (size_t i = 1; i < m; i++) { /* insertion sort, at most 8 */
        for (size_t j = i; j > 0 && held[j]->version > held[j - 1]->version; j--) {
            const tkms_proto_version *t = held[j];
            held[j] = held[j - 1];
            held[j - 1] = t;
        }
    }
    for (size_t i = 0; i < m; i++) {
        const node_version_public *p = vpub_get(d, held[i]);
        if (p != NULL) {
            fill_version(d, &snap->versions[snap->version_count++], held[i], p);
        }
    }
}

/* ---- operator sets of the current and retained epochs ---------------------------------- */

static tkms_err read_peer_set(node_driver *d, node_peer_set *out, uint64_t epoch) {
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(epoch);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(d->viewer, &r, &keep, &d->epoch_log,
                                  TKMS_CHAIN_EPOCHLOG_SNAPSHOT, &args,
                                  TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT, &d->stepped.hash);
    if (err != TKMS_OK) {
        return err;
    }
    size_t n = r.items[0].count;
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n && i < TKMS_PROTO_OPERATORS_MAX && err == TKMS_OK; i++) {
        tkms_chain_address addr;
        err = tkms_chain_abi_get_address(&addr, &r.items[0].items[i]);
        memcpy(out->ops[i].address, addr.bytes, 20);
        memcpy(out->ops[i].x25519, r.items[1].items[i].word, 32);
        memcpy(out->ops[i].ed25519, r.items[2].items[i].word, 32);
    }
    out->epoch = epoch;
    out->count = err == TKMS_OK && n <= TKMS_PROTO_OPERATORS_MAX ? (uint32_t)n : 0;
    tkms_chain_bytes_free(&keep);
    return err;
}

/* From the cache (keyed by epoch, immutable once triggered), else read it. */
static const node_peer_set *peer_set_get(node_driver *d, uint64_t epoch) {
    size_t victim = 0;
    for (size_t k = 0; k < DRIVER_PEER_SETS; k++) {
        if (d->peer_sets[k].count > 0 && d->peer_sets[k].epoch == epoch) {
            return &d->peer_sets[k];
        }
        if (d->peer_sets[k].epoch < d->peer_sets[victim].epoch) {
            victim = k; /* the oldest epoch goes first */
        }
    }
    if (read_peer_set(d, &d->peer_sets[victim], epoch) != TKMS_OK) {
        memset(&d->peer_sets[victim], 0, sizeof d->peer_sets[victim]);
        return NULL;
    }
    return &d->peer_sets[victim];
}

static void fill_peer_sets(node_driver *d, node_snapshot *snap) {
    const tkms_proto_chain_view *v = &d->view->v;
    if (v->active) {
        node_peer_set *cur = &snap->peer_sets[snap->peer_set_count++];
        cur->epoch = v->epoch;
        cur->count = v->n;
        memcpy(cur->ops, v->ops, sizeof cur->ops);
    }
    for (uint32_t k = 0; k < v->retained_count && snap->peer_set_count < NODE_PEER_SETS_MAX;
         k++) {
        if (v->active && v->retained[k] == v->epoch) {
            continue;
        }
        const node_peer_set *set = peer_set_get(d, v->retained[k]);
        if (set != NULL) {
            snap->peer_sets[snap->peer_set_count++] = *set;
        }
    }
}

static void fill_peer_status(node_driver *d, node_snapshot *snap) {
    for (uint32_t i = 0; i < d->info_count && i < TKMS_PROTO_OPERATORS_MAX; i++) {
        node_peer_status *p = &snap->peer_status[snap->peer_status_count];
        if (memcmp(d->infos[i].address, d->state->config.self, 20) == 0) {
            continue;
        }
        memcpy(p->address, d->infos[i].address, 20);
        if (node_outbox_peer_status(d->outbox, d->infos[i].peer_url, &p->reachable,
                                    &p->last_ok)) {
            snap->peer_status_count++;
        }
    }
}

void driver_snapshot_publish(node_driver *d) {
    node_snapshot *snap = node_snapshot_new();
    if (snap == NULL) {
        node_log(NODE_LOG_WARN, "driver", "snapshot_out_of_memory", NODE_LOG_NO_EPOCH, NULL);
        return;
    }
    const tkms_proto_chain_view *v = &d->view->v;
    snap->chain_id = d->state->config.chain_id;
    memcpy(snap->epoch_log, d->state->config.epoch_log, 20);
    memcpy(snap->self, d->state->config.self, 20);
    snap->head = d->head;
    snap->final_height = d->stepped_any ? d->stepped.number : 0;
    snap->epoch = d->have_view ? v->epoch : 0;
    snap->phase = d->state->cur.phase;
    snap->chain_live = d->chain_live;
    snap->has_mpk = d->state->mpk_bound;
    memcpy(snap->mpk, d->state->mpk, sizeof snap->mpk);
    snap->network_has_version = d->have_view && v->finalized_version != 0;
    if (d->have_view) {
        if (d->stepped_any && driver_infos_refresh(d, &d->stepped) != TKMS_OK) {
            node_log(NODE_LOG_DEBUG, "driver", "infos_unreadable", v->epoch, "%s",
                     d->viewer->error);
        }
        fill_versions(d, snap);
        snap->retained_count = v->retained_count;
        memcpy(snap->retained, v->retained, sizeof snap->retained);
        fill_peer_sets(d, snap);
        fill_peer_status(d, snap);
    }
    snprintf(snap->last_epoch_result, sizeof snap->last_epoch_result, "%s", d->last_result);
    node_metrics_set(d->metrics, NODE_METRIC_CURRENT_EPOCH, NULL, (int64_t)snap->epoch);
    node_metrics_set(d->metrics, NODE_METRIC_CHAIN_HEAD, NULL, (int64_t)snap->head);
    node_metrics_set(d->metrics, NODE_METRIC_CURRENT_VERSION, NULL,
                     snap->version_count > 0 ? (int64_t)snap->versions[0].version : 0);
    node_snapshots_publish(d->snapshots, snap);
}
