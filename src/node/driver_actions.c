/*
 * driver_actions.c — executes the state machine's actions, in the order given (proto.h):
 *   PERSIST          the encoded state into the store (sealed at rest). A failure halts the
 *                    node: nothing after it may run (I4, style R6).
 *   TX_*             one transaction each (commitDealing, revealDealing, ack, openShares,
 *                    confirm, setEpochKey), submitted without waiting for a receipt: the
 *                    machine re-sends what has not landed after a few blocks, and the
 *                    nonce store keeps every signed transaction until it is mined.
 *   SEND_RECORD      the node's own record (rebuilt by tkms_proto_own_record) into the
 *                    record pool, and a signed envelope queued for every peer of O.
 *   FETCH_RECORD     a fetch by committed hash queued towards every peer.
 *   ACTIVATE/ERASE   the version table of the store (each version's share under its own
 *                    wrapping key, so erasing destroys it, §5) and a log line.
 *   ALERT            a log line at error level.
 * A failed transaction or peer message is logged and retried by the protocol, never fatal.
 * Spec: protocol.md §4, §5, §8; docs/contracts.md §5.
 */
#include <stdlib.h>

#include <jansson.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "node/driver_internal.h"
#include "node/log.h"

/* ---- persistence ------------------------------------------------------------------------- */

tkms_err driver_persist(node_driver *d) {
    size_t n = tkms_proto_state_encoded_bytes();
    TKMS_ASSERT(n <= d->buf_max);
    tkms_proto_state_encode(d->buf, d->state);
    tkms_err err = tkms_store_state_put(d->store, d->buf, n);
    tkms_wipe(d->buf, n);
    if (err == TKMS_OK && d->state->mpk_bound) {
        err = tkms_store_mpk_bind(d->store, d->state->mpk); /* same MPK again: no-op */
    }
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "driver", "persist_failed", d->state->cur.epoch,
                 "%s (%s): halting", tkms_err_name(err), tkms_store_detail(d->store));
        return TKMS_ERR_NODE_STORE_WRITE;
    }
    return TKMS_OK;
}

/* Public part of a version in the store: be16 t ‖ state hash ‖ t·96 commitment bytes. */
static void version_info(tkms_store_version_info *info, const tkms_proto_version *h) {
    memset(info, 0, sizeof *info);
    info->version = h->version;
    info->status = TKMS_STORE_VERSION_ACTIVE;
    info->public_data[0] = (uint8_t)(h->t >> 8);
    info->public_data[1] = (uint8_t)h->t;
    memcpy(info->public_data + 2, h->state_hash, 32);
    size_t c = (size_t)h->commitments.t * TKMS_PROTO_COMMITMENT_BYTES;
    TKMS_ASSERT(34 + c <= TKMS_STORE_VERSION_PUBLIC_BYTES_MAX);
    memcpy(info->public_data + 34, h->commitments.c, c);
    info->public_len = (uint32_t)(34 + c);
}

static tkms_err version_store(node_driver *d, const tkms_proto_version *h) {
    tkms_store_version_info *info = malloc(sizeof *info);
    TKMS_ASSERT(info != NULL);
    version_info(info, h);
    tkms_store_secret share;
    tkms_bls_fr_encode(share.bytes, &h->share.v);
    tkms_err err = tkms_store_version_put(d->store, info, &share);
    tkms_wipe(&share, sizeof share);
    free(info);
    if (err == TKMS_OK) {
        err = tkms_store_version_activate(d->store, h->version);
    }
    return err;
}

tkms_err driver_versions_mirror(node_driver *d) {
    uint64_t versions[TKMS_STORE_VERSIONS_MAX];
    uint8_t status[TKMS_STORE_VERSIONS_MAX];
    size_t count = 0;
    tkms_err err = tkms_store_version_list(d->store, versions, status, &count);
    for (size_t k = 0; k < TKMS_PROTO_VERSIONS_MAX && err == TKMS_OK; k++) {
        const tkms_proto_version *h = &d->state->versions[k];
        if (h->status == TKMS_PROTO_VERSION_ACTIVE) {
            err = version_store(d, h);
        }
    }
    for (size_t i = 0; i < count && err == TKMS_OK; i++) {
        const tkms_proto_version *h = tkms_proto_version_get(d->state, versions[i]);
        if (h == NULL || h->status != TKMS_PROTO_VERSION_ACTIVE) {
            err = tkms_store_version_erase(d->store, versions[i]); /* erased by the machine */
        }
    }
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "driver", "version_mirror_failed", NODE_LOG_NO_EPOCH, "%s (%s)",
                 tkms_err_name(err), tkms_store_detail(d->store));
        return TKMS_ERR_NODE_STORE_WRITE;
    }
    return TKMS_OK;
}

/* ---- transactions ------------------------------------------------------------------------ */

/* Gas headroom over eth_estimateGas, per call: an estimate is taken against the state
   before the other operators' calls of the same block, and two calls cost more when they
   land first: the first phase call of an epoch pays its snapshot (~22k gas per operator,
   docs/chain-gas.md) and the t'-th confirm finalizes (~+230k, stores the MPK). Without it
   the node's call runs out of gas exactly when it matters. */
#define GAS_HEADROOM_BASE 60000
#define GAS_HEADROOM_PER_OPERATOR 25000
#define GAS_HEADROOM_CONFIRM 400000
#define GAS_LIMIT_MAX 10000000

static tkms_err estimate(node_driver *d, uint64_t *gas, const tkms_chain_address *to,
                         const tkms_chain_bytes *data) {
    char from[TKMS_CHAIN_ADDRESS_HEX_BYTES], dest[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(from, &d->key.address);
    tkms_chain_address_format(dest, to);
    char *hex = malloc(2 * data->len + 3);
    TKMS_ASSERT(hex != NULL);
    tkms_chain_hex_encode(hex, data->ptr, data->len);
    json_t *params = json_pack("[{s:s,s:s,s:s}]", "from", from, "to", dest, "data", hex);
    free(hex);
    json_t *result = NULL;
    tkms_err err = tkms_chain_rpc_call(d->chain, &result, "eth_estimateGas", params);
    const char *q = json_string_value(result);
    char *end = NULL;
    *gas = q != NULL && strncmp(q, "0x", 2) == 0 ? strtoull(q + 2, &end, 16) : 0;
    if (err == TKMS_OK && (end == NULL || *end != '\0' || *gas == 0)) {
        err = TKMS_ERR_CHAIN_RPC_BAD_FIELD;
    }
    json_decref(result);
    return err;
}

static void tx_failed(node_driver *d, uint64_t epoch, const char *what, tkms_err err) {
    const uint8_t *rd = NULL;
    size_t rl = 0;
    char reason[256] = "";
    if (err == TKMS_ERR_CHAIN_REVERTED) {
        tkms_chain_client_revert_data(d->chain, &rd, &rl);
        driver_txs_describe(reason, sizeof reason, rd, rl);
    }
    const char *labels[] = {"tx"};
    node_metrics_add(d->metrics, NODE_METRIC_CHAIN_RPC_ERRORS, labels, 1);
    node_log(NODE_LOG_WARN, "driver", "tx_failed", epoch, "%s: %s %s (%s); the protocol retries",
             what, tkms_err_name(err), reason, tkms_chain_client_error(d->chain));
}

static void tx(node_driver *d, const tkms_chain_address *to, const char *signature,
               const tkms_chain_abi_value *args, uint64_t epoch, const char *what,
               uint64_t headroom) {
    tkms_chain_bytes data;
    tkms_err err = tkms_chain_abi_call_encode(&data, signature, args);
    TKMS_ASSERT(err == TKMS_OK); /* our signatures, values from the machine */
    uint64_t gas = 0;
    err = estimate(d, &gas, to, &data); /* a call that would revert is never signed */
    tkms_chain_sent sent;
    if (err == TKMS_OK) {
        gas = gas + gas / 5 + headroom;
        tkms_chain_send_request req = {.to = to, .data = data.ptr, .data_len = data.len,
                                       .gas_limit = gas < GAS_LIMIT_MAX ? gas : GAS_LIMIT_MAX};
        err = tkms_chain_tx_submit(d->chain, d->nonces, &d->key, &sent, &req, &d->send);
    }
    if (err == TKMS_OK) {
        driver_txs_track(d, &sent, to, data.ptr, data.len, what, epoch);
    }
    tkms_chain_bytes_free(&data);
    if (err != TKMS_OK) {
        tx_failed(d, epoch, what, err);
        return;
    }
    char hash[TKMS_CHAIN_HASH_HEX_BYTES];
    tkms_chain_hash_format(hash, &sent.hash);
    node_log(NODE_LOG_INFO, "driver", "tx_sent", epoch, "%s nonce %llu gas %llu tx %s", what,
             (unsigned long long)sent.nonce, (unsigned long long)gas, hash);
}

static uint64_t headroom_first_call(const node_driver *d) {
    return GAS_HEADROOM_BASE + GAS_HEADROOM_PER_OPERATOR * (uint64_t)d->view->v.n;
}

/* revealDealing(epoch, commitments, sha256(sealed)) from the node's own record. */
static void tx_reveal(node_driver *d, const tkms_proto_action *a) {
    size_t len = 0;
    tkms_err err = tkms_proto_own_record(d->buf, d->buf_max, &len, d->state,
                                         &d->group, &d->view->v);
    tkms_proto_record *rec = malloc(sizeof *rec);
    TKMS_ASSERT(rec != NULL);
    if (err == TKMS_OK) {
        err = tkms_proto_record_decode(rec, d->buf, len);
    }
    if (err == TKMS_OK) {
        TKMS_ASSERT(rec->header.threshold == a->t);
        uint8_t sealed_hash[32];
        tkms_proto_record_sealed_hash(sealed_hash, rec);
        tkms_chain_abi_value f[] = {
            tkms_chain_abi_uint64(a->epoch),
            tkms_chain_abi_bytes(&rec->commitments[0][0],
                                 (size_t)a->t * TKMS_PROTO_COMMITMENT_BYTES),
            tkms_chain_abi_bytes32(sealed_hash)};
        tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 3);
        tx(d, &d->epoch_log, TKMS_CHAIN_EPOCHLOG_REVEAL, &args, a->epoch, "revealDealing",
           headroom_first_call(d));
    } else {
        node_log(NODE_LOG_ERROR, "driver", "own_record_unavailable", a->epoch, "%s",
                 tkms_err_name(err));
    }
    free(rec);
}

static void tx_open(node_driver *d, const tkms_proto_action *a) {
    tkms_chain_abi_value players[TKMS_PROTO_OPERATORS_MAX], shares[TKMS_PROTO_OPERATORS_MAX];
    tkms_chain_address addr[TKMS_PROTO_OPERATORS_MAX];
    TKMS_ASSERT(a->count >= 1 && a->count <= TKMS_PROTO_OPERATORS_MAX);
    for (uint32_t k = 0; k < a->count; k++) {
        memcpy(addr[k].bytes, a->players[k], 20);
        players[k] = tkms_chain_abi_address(&addr[k]);
        shares[k] = tkms_chain_abi_bytes32(a->shares[k]);
    }
    tkms_chain_abi_value f[] = {tkms_chain_abi_uint64(a->epoch),
                                tkms_chain_abi_array(players, a->count),
                                tkms_chain_abi_array(shares, a->count)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 3);
    tx(d, &d->epoch_log, TKMS_CHAIN_EPOCHLOG_OPEN, &args, a->epoch, "openShares",
       headroom_first_call(d));
}

static void tx_simple(node_driver *d, const tkms_proto_action *a) {
    tkms_chain_abi_value f[4];
    tkms_chain_abi_value args;
    switch (a->kind) {
    case TKMS_PROTO_ACT_TX_COMMIT:
        f[0] = tkms_chain_abi_uint64(a->epoch);
        f[1] = tkms_chain_abi_bytes32(a->hash);
        args = tkms_chain_abi_tuple(f, 2);
        tx(d, &d->epoch_log, TKMS_CHAIN_EPOCHLOG_COMMIT, &args, a->epoch, "commitDealing",
           headroom_first_call(d));
        break;
    case TKMS_PROTO_ACT_TX_ACK:
        f[0] = tkms_chain_abi_uint64(a->epoch);
        f[1] = tkms_chain_abi_uint64(a->arg);
        args = tkms_chain_abi_tuple(f, 2);
        tx(d, &d->epoch_log, TKMS_CHAIN_EPOCHLOG_ACK, &args, a->epoch, "ack",
           headroom_first_call(d));
        break;
    case TKMS_PROTO_ACT_TX_CONFIRM:
        f[0] = tkms_chain_abi_uint64(a->epoch);
        f[1] = tkms_chain_abi_bytes(a->mpk, TKMS_PROTO_COMMITMENT_BYTES);
        f[2] = tkms_chain_abi_bytes32(a->hash);
        f[3] = tkms_chain_abi_uint64(a->arg);
        args = tkms_chain_abi_tuple(f, 4);
        tx(d, &d->epoch_log, TKMS_CHAIN_EPOCHLOG_CONFIRM, &args, a->epoch, "confirm",
           GAS_HEADROOM_CONFIRM);
        break;
    default: /* TKMS_PROTO_ACT_TX_SET_EPOCH_KEY */
        TKMS_ASSERT(a->kind == TKMS_PROTO_ACT_TX_SET_EPOCH_KEY);
        f[0] = tkms_chain_abi_bytes32(a->key);
        args = tkms_chain_abi_tuple(f, 1);
        tx(d, &d->registry, TKMS_CHAIN_REGISTRY_SET_EPOCH_KEY, &args, a->epoch, "setEpochKey",
           GAS_HEADROOM_BASE);
        break;
    }
}

/* ---- peers ---------------------------------------------------------------------------- */

static uint64_t ack_deadline(const node_driver *d, uint64_t epoch) {
    return epoch * d->viewer->config.interval + d->viewer->config.ack_offset;
}

static void peer_metric(node_driver *d, const char *type, const char *result) {
    const char *labels[] = {"out", type, result};
    node_metrics_add(d->metrics, NODE_METRIC_PEER_MESSAGES, labels, 1);
}

/* Signs an envelope around the record and queues it for every other member of O. */
static void push_record(node_driver *d, const tkms_proto_record *rec, uint64_t epoch) {
    tkms_proto_envelope *env = calloc(1, sizeof *env);
    char *json = malloc(TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1);
    TKMS_ASSERT(env != NULL && json != NULL);
    env->version = TKMS_PROTO_ENVELOPE_VERSION;
    env->epoch = epoch;
    env->type = TKMS_PROTO_ENVELOPE_RECORD;
    memcpy(env->from, d->state->config.self, 20);
    env->to_all = true;
    env->body.record = *rec;
    tkms_proto_envelope_sign(env, &d->domain, d->state->ed25519_seed);
    size_t len = 0;
    tkms_err err = tkms_proto_envelope_json_encode(json, TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1,
                                                   &len, env);
    TKMS_ASSERT(err == TKMS_OK); /* sized for the largest envelope */
    const tkms_proto_chain_view *v = &d->view->v;
    for (size_t i = 0; i < v->n; i++) {
        const driver_node_info *info = driver_info_find(d, v->ops[i].address);
        if (memcmp(v->ops[i].address, d->state->config.self, 20) == 0) {
            continue;
        }
        bool queued = info != NULL && node_outbox_push(d->outbox, info->peer_url, json, len,
                                                       epoch, ack_deadline(d, epoch)) == TKMS_OK;
        peer_metric(d, "record", queued ? "queued" : "dropped");
    }
    free(json);
    free(env);
}

static void send_record(node_driver *d, const tkms_proto_action *a) {
    size_t len = 0;
    tkms_proto_record *rec = malloc(sizeof *rec);
    TKMS_ASSERT(rec != NULL);
    tkms_err err = tkms_proto_own_record(d->buf, d->buf_max, &len, d->state,
                                         &d->group, &d->view->v);
    if (err == TKMS_OK) {
        err = tkms_proto_record_decode(rec, d->buf, len);
    }
    if (err == TKMS_OK) {
        err = driver_infos_refresh(d, &d->stepped);
    }
    if (err == TKMS_OK) {
        uint8_t hash[32];
        tkms_proto_record_hash(hash, &d->domain, rec);
        bool kept = node_records_put(d->records, a->epoch, hash, d->buf, len); /* served too */
        push_record(d, rec, a->epoch);
        node_log(NODE_LOG_INFO, "driver", "record_pushed", a->epoch, "%zu bytes to %u peers%s",
                 len, d->view->v.n - 1, kept ? "" : " (not kept: pool full)");
    } else {
        node_log(NODE_LOG_WARN, "driver", "record_push_failed", a->epoch, "%s (%s)",
                 tkms_err_name(err), d->viewer->error);
    }
    free(rec);
}

static void fetch_record(node_driver *d, const tkms_proto_action *a) {
    const tkms_proto_chain_view *v = &d->view->v;
    TKMS_ASSERT(a->arg < v->n);
    if (driver_infos_refresh(d, &d->stepped) != TKMS_OK) {
        return; /* the machine asks again at the next step */
    }
    /* the dealer first (it surely has its record), then everyone else */
    for (size_t k = 0; k <= v->n; k++) {
        size_t i = k == 0 ? (size_t)a->arg : k - 1;
        if ((k > 0 && i == a->arg) || memcmp(v->ops[i].address, d->state->config.self, 20) == 0) {
            continue;
        }
        const driver_node_info *info = driver_info_find(d, v->ops[i].address);
        bool queued = info != NULL &&
                      node_outbox_fetch(d->outbox, info->peer_url, v->record_hash[a->arg],
                                        a->epoch, ack_deadline(d, a->epoch)) == TKMS_OK;
        peer_metric(d, "fetch", queued ? "queued" : "dropped");
    }
}

/* ---- versions ---------------------------------------------------------------------------- */

static tkms_err activate(node_driver *d, const tkms_proto_action *a) {
    const tkms_proto_version *h = tkms_proto_version_get(d->state, a->arg);
    TKMS_ASSERT(h != NULL && h->status == TKMS_PROTO_VERSION_ACTIVE);
    tkms_err err = version_store(d, h);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "driver", "version_store_failed", a->arg, "%s (%s): halting",
                 tkms_err_name(err), tkms_store_detail(d->store));
        return TKMS_ERR_NODE_STORE_WRITE;
    }
    char hash[67];
    tkms_chain_hex_encode(hash, h->state_hash, 32);
    node_log(NODE_LOG_INFO, "driver", "version_activated", a->arg, "threshold %u, state hash %s",
             h->t, hash);
    snprintf(d->last_result, sizeof d->last_result, "epoch %llu finalized; version active",
             (unsigned long long)a->arg);
    const char *labels[] = {"activated"};
    node_metrics_add(d->metrics, NODE_METRIC_EPOCH_OUTCOMES, labels, 1);
    return TKMS_OK;
}

static tkms_err erase(node_driver *d, const tkms_proto_action *a) {
    tkms_err err = tkms_store_version_erase(d->store, a->arg);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "driver", "version_erase_failed", a->arg, "%s (%s): halting",
                 tkms_err_name(err), tkms_store_detail(d->store));
        return TKMS_ERR_NODE_STORE_WRITE;
    }
    for (size_t k = 0; k < TKMS_PROTO_VERSIONS_MAX; k++) {
        if (d->vpub[k].valid && d->vpub[k].version == a->arg) {
            memset(&d->vpub[k], 0, sizeof d->vpub[k]);
        }
    }
    node_log(NODE_LOG_INFO, "driver", "version_erased", a->arg, NULL);
    snprintf(d->last_result, sizeof d->last_result, "version %llu erased",
             (unsigned long long)a->arg);
    const char *labels[] = {"erased"};
    node_metrics_add(d->metrics, NODE_METRIC_EPOCH_OUTCOMES, labels, 1);
    return TKMS_OK;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static tkms_err action_run(node_driver *d, const tkms_proto_action *a) {
    switch (a->kind) {
    case TKMS_PROTO_ACT_PERSIST:
        return driver_persist(d);
    case TKMS_PROTO_ACT_TX_COMMIT:
    case TKMS_PROTO_ACT_TX_ACK:
    case TKMS_PROTO_ACT_TX_CONFIRM:
    case TKMS_PROTO_ACT_TX_SET_EPOCH_KEY:
        tx_simple(d, a);
        return TKMS_OK;
    case TKMS_PROTO_ACT_TX_REVEAL:
        tx_reveal(d, a);
        return TKMS_OK;
    case TKMS_PROTO_ACT_TX_OPEN:
        tx_open(d, a);
        return TKMS_OK;
    case TKMS_PROTO_ACT_SEND_RECORD:
        send_record(d, a);
        return TKMS_OK;
    case TKMS_PROTO_ACT_FETCH_RECORD:
        fetch_record(d, a);
        return TKMS_OK;
    case TKMS_PROTO_ACT_ACTIVATE:
        return activate(d, a);
    case TKMS_PROTO_ACT_ERASE:
        return erase(d, a);
    case TKMS_PROTO_ACT_ALERT:
        node_log(NODE_LOG_ERROR, "proto", "alert", a->epoch, "%s",
                 a->reason != NULL ? a->reason : "(no reason)");
        snprintf(d->last_result, sizeof d->last_result, "epoch %llu alert: %s",
                 (unsigned long long)a->epoch, a->reason != NULL ? a->reason : "");
        return TKMS_OK;
    }
    TKMS_ASSERT(false && "unknown action kind");
    return TKMS_ERR_INVALID_ARGUMENT;
}

tkms_err driver_actions_run(node_driver *d, const tkms_proto_actions *actions) {
    TKMS_ASSERT(actions->count <= TKMS_PROTO_ACTIONS_MAX);
    /* write-ahead (I4): the machine puts PERSIST first whenever the state changed, so no
       announcement ever precedes the write that it depends on */
    for (uint32_t i = 1; i < actions->count; i++) {
        TKMS_ASSERT(actions->a[i].kind != TKMS_PROTO_ACT_PERSIST);
    }
    for (uint32_t i = 0; i < actions->count; i++) {
        tkms_err err = action_run(d, &actions->a[i]);
        if (err != TKMS_OK) {
            return err; /* a failed store write: nothing after it may run */
        }
    }
    return TKMS_OK;
}
