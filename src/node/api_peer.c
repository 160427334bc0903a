/*
 * api_peer.c — the peer endpoints (api.md "Peer-facing", protocol.md §8):
 * POST /v1/peer takes a signed envelope (docs/wire-formats.md §5) and
 * GET /v1/peer/record/<hash> serves a dealing record from the pool.
 *
 * POST /v1/peer, cheapest check first, so that a stranger costs one JSON decode:
 *   envelope JSON (strict, bounded by proto) → the epoch is current or retained (a peer
 *   set in the snapshot) → the sender is in that epoch's O → `to` is this node or "*" →
 *   Ed25519 signature under the sender's key → then by type:
 *   record: the dealer is in O, the record's own signature verifies under the dealer's
 *           key (so a relayed record cannot be forged, and a dealer's junk displaces only
 *           its own records, records.c), every commitment decodes strictly (400 bad_point),
 *           its record hash is computed from its parts — never taken from the sender — and
 *           it goes into the pool: 202 {"accepted":true,"hash"}.
 *   fetch:  the record with that hash from the pool: 200 {"hash","record"} or 404.
 * Whether a record matches the chain is the node loop's business (it hands the machine
 * only records whose hash was committed on chain).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/http_internal.h"
#include "proto/wire.h"

#define RECORD_HEX_BYTES (2 * TKMS_PROTO_RECORD_BYTES_MAX + 3)

static void peer_count(node_http *s, const char *type, const char *result) {
    const char *labels[] = {"in", type, result};
    node_metrics_add(s->metrics, NODE_METRIC_PEER_MESSAGES, labels, 1);
}

static const node_peer_set *peer_set_find(const node_snapshot *snap, uint64_t epoch) {
    for (uint32_t i = 0; i < snap->peer_set_count && i < NODE_PEER_SETS_MAX; i++) {
        if (snap->peer_sets[i].epoch == epoch) {
            return &snap->peer_sets[i];
        }
    }
    return NULL;
}

static const tkms_proto_operator *operator_find(const node_peer_set *set,
                                                const uint8_t address[20]) {
    for (uint32_t i = 0; i < set->count && i < TKMS_PROTO_OPERATORS_MAX; i++) {
        if (memcmp(set->ops[i].address, address, 20) == 0) {
            return &set->ops[i];
        }
    }
    return NULL;
}

/* Sender, recipient and signature checks; *set is the epoch's operator set. */
static tkms_err envelope_authenticate(const node_peer_set **set, char *message, size_t max,
                                      const node_snapshot *snap, const tkms_proto_envelope *env) {
    *set = peer_set_find(snap, env->epoch);
    if (*set == NULL) {
        snprintf(message, max, "epoch %llu is neither current nor retained here",
                 (unsigned long long)env->epoch);
        return TKMS_ERR_NODE_PEER_EPOCH;
    }
    const tkms_proto_operator *sender = operator_find(*set, env->from);
    if (sender == NULL) {
        snprintf(message, max, "the sender is not an operator of epoch %llu",
                 (unsigned long long)env->epoch);
        return TKMS_ERR_NODE_PEER_UNKNOWN_SENDER;
    }
    if (!env->to_all && memcmp(env->to, snap->self, 20) != 0) {
        snprintf(message, max, "the envelope is addressed to another operator");
        return TKMS_ERR_NODE_PEER_WRONG_RECIPIENT;
    }
    tkms_proto_domain domain = {snap->chain_id, {0}};
    memcpy(domain.epoch_log, snap->epoch_log, 20);
    if (tkms_proto_envelope_verify(env, &domain, sender->ed25519) != TKMS_OK) {
        snprintf(message, max, "bad envelope signature");
        return TKMS_ERR_NODE_PEER_BAD_SIGNATURE;
    }
    return TKMS_OK;
}

/* A pushed record: dealer, its signature, strict commitments, then the pool. */
static tkms_err record_accept(node_http *s, uint8_t hash[32], char *message, size_t max,
                              const node_snapshot *snap, const node_peer_set *set,
                              const tkms_proto_record *r) {
    const tkms_proto_operator *dealer = operator_find(set, r->header.dealer);
    tkms_proto_domain domain = {snap->chain_id, {0}};
    memcpy(domain.epoch_log, snap->epoch_log, 20);
    if (dealer == NULL) {
        snprintf(message, max, "the record's dealer is not an operator of its epoch");
        return TKMS_ERR_NODE_PEER_RECORD_DEALER;
    }
    if (tkms_proto_record_signature_verify(r, &domain, dealer->ed25519) != TKMS_OK) {
        snprintf(message, max, "bad record signature (dealer's key)");
        return TKMS_ERR_NODE_PEER_RECORD_SIGNATURE;
    }
    tkms_tss_commitments c;
    size_t bad = 0;
    tkms_err bls_err = TKMS_OK;
    tkms_err err = tkms_proto_record_commitments_decode(&c, &bad, &bls_err, r->commitments,
                                                        r->header.threshold);
    if (err != TKMS_OK) {
        snprintf(message, max, "commitment %zu: %s (%s)", bad, tkms_err_name(err),
                 tkms_err_name(bls_err));
        return TKMS_ERR_NODE_HTTP_BAD_POINT;
    }
    uint8_t *bytes = malloc(TKMS_PROTO_RECORD_BYTES_MAX);
    size_t len = 0;
    err = bytes != NULL ? tkms_proto_record_encode(bytes, TKMS_PROTO_RECORD_BYTES_MAX, &len, r)
                        : TKMS_ERR_OUT_OF_MEMORY;
    tkms_proto_record_hash(hash, &domain, r);
    bool stored = err == TKMS_OK && node_records_put(s->records, r->header.epoch, hash, bytes, len);
    free(bytes);
    if (!stored) {
        snprintf(message, max, "the record pool is full of newer records");
        return TKMS_ERR_NODE_RECORD_POOL_FULL;
    }
    return TKMS_OK;
}

/* {"hash":"0x…","record":"0x…"} of the pooled record, or 404. */
static void record_reply(node_http *s, http_reply *reply, const uint8_t hash[32]) {
    uint8_t *bytes = malloc(TKMS_PROTO_RECORD_BYTES_MAX);
    char *hex = malloc(RECORD_HEX_BYTES);
    size_t len = bytes != NULL && hex != NULL
                     ? node_records_get(s->records, hash, bytes, TKMS_PROTO_RECORD_BYTES_MAX)
                     : 0;
    char hash_hex[67];
    http_hex(hash_hex, hash, 32, true);
    if (bytes == NULL || hex == NULL) {
        http_reply_error(reply, TKMS_ERR_NODE_HTTP_OVERLOADED, "out of memory");
    } else if (len == 0) {
        http_reply_error(reply, TKMS_ERR_NODE_UNKNOWN_RECORD, "no record %s here", hash_hex);
    } else {
        http_hex(hex, bytes, len, true);
        http_reply_json(reply, 200, json_pack("{s:s,s:s}", "hash", hash_hex, "record", hex));
    }
    free(bytes);
    free(hex);
}

void api_peer_post(http_request *req, http_reply *reply) {
    node_http *s = req->server;
    tkms_proto_envelope *env = malloc(sizeof *env);
    if (env == NULL) {
        http_reply_error(reply, TKMS_ERR_NODE_HTTP_OVERLOADED, "out of memory");
        return;
    }
    char message[256] = "";
    tkms_err err = tkms_proto_envelope_json_decode(env, (const char *)req->body, req->body_len);
    if (err != TKMS_OK) {
        peer_count(s, "unknown", "malformed");
        http_reply_error(reply, TKMS_ERR_NODE_HTTP_BAD_REQUEST, "envelope: %s", tkms_err_name(err));
        free(env);
        return;
    }
    const char *type = env->type == TKMS_PROTO_ENVELOPE_RECORD ? "record" : "fetch";
    const node_snapshot *snap = node_snapshot_acquire(s->snapshots);
    const node_peer_set *set = NULL;
    err = snap == NULL ? TKMS_ERR_NODE_NOT_READY
                       : envelope_authenticate(&set, message, sizeof message, snap, env);
    uint8_t hash[32];
    if (err == TKMS_OK && env->type == TKMS_PROTO_ENVELOPE_RECORD) {
        err = record_accept(s, hash, message, sizeof message, snap, set, &env->body.record);
    }
    peer_count(s, type, err == TKMS_OK ? "accepted" : tkms_err_name(err));
    if (err == TKMS_OK && env->type == TKMS_PROTO_ENVELOPE_RECORD) {
        char hex[67];
        http_hex(hex, hash, 32, true);
        http_reply_json(reply, 202, json_pack("{s:b,s:s}", "accepted", 1, "hash", hex));
    } else if (err == TKMS_OK) {
        record_reply(s, reply, env->body.record_hash);
    } else {
        http_reply_error(reply, err, "%s", snap == NULL ? "no state loaded yet" : message);
    }
    node_snapshot_release(s->snapshots, snap);
    free(env);
}

void api_peer_record(http_request *req, http_reply *reply) {
    const char *text = req->url + strlen("/v1/peer/record/");
    uint8_t hash[32];
    if (!http_hex_parse(hash, 32, text, strlen(text), false)) {
        http_reply_error(reply, TKMS_ERR_NODE_HTTP_BAD_REQUEST,
                         "the record hash is 64 hex digits (optionally 0x-prefixed)");
        return;
    }
    peer_count(req->server, "record_get", "served");
    record_reply(req->server, reply, hash);
}
