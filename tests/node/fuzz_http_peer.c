/*
 * fuzz_http_peer.c — libFuzzer target for the peer path of the HTTP layer: the
 * POST /v1/peer handler (envelope JSON decode, epoch/sender/recipient checks, Ed25519,
 * the record's dealer and signature, strict commitment decoding, the record pool) and
 * GET /v1/peer/record/<hash>, against a fixed in-process snapshot with two known peers.
 * Byte 0 picks the mode:
 *   0: the rest is the POST body as sent;
 *   1: the rest is an envelope JSON that, if it decodes, the harness re-signs as peer A
 *      (and re-signs its record as dealer A), so mutations reach the checks behind the
 *      signatures (bad points, pool bounds);
 *   2: the rest is the <hash> of a GET.
 * Invariant: never a 500 (bad input is never a server error), always an answer.
 */
#include <stdlib.h>
#include <string.h>

#include "../fuzz/fuzz_check.h"
#include "node/http_internal.h"
#include "prim/prim.h"

#define EPOCH 7

static node_http server;
static node_snapshots snapshots;
static const uint8_t seed_a[32] = {0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
                                   0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41,
                                   0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41};
static tkms_proto_domain domain;

static void init(void) {
    node_snapshots_init(&snapshots);
    node_snapshot *s = node_snapshot_new();
    s->chain_id = 31337;
    memset(s->epoch_log, 0xe1, 20);
    memset(s->self, 0x5e, 20);
    s->epoch = EPOCH;
    s->peer_set_count = 1;
    s->peer_sets[0].epoch = EPOCH;
    s->peer_sets[0].count = 2;
    for (int i = 0; i < 2; i++) {
        uint8_t seed[32];
        memset(seed, 0x41 + i, 32);
        memset(s->peer_sets[0].ops[i].address, 0xa0 + i, 20);
        tkms_prim_ed25519_public(s->peer_sets[0].ops[i].ed25519, seed);
    }
    domain.chain_id = s->chain_id;
    memcpy(domain.epoch_log, s->epoch_log, 20);
    node_snapshots_publish(&snapshots, s);
    server.snapshots = &snapshots;
    server.records = node_records_new();
}

static void run(http_request *req) {
    http_reply reply = {0};
    if (req->route == NULL) {
        api_peer_post(req, &reply);
    } else {
        api_peer_record(req, &reply);
    }
    FUZZ_CHECK(reply.status >= 200 && reply.status < 600);
    FUZZ_CHECK(reply.status != 500);
    FUZZ_CHECK(reply.body != NULL);
    free(reply.body);
}

/* Mode 1: decode, re-sign as A, re-encode; false when it does not decode. */
static bool resign(char *out, size_t max, size_t *len, const uint8_t *json, size_t size) {
    static tkms_proto_envelope env;
    if (tkms_proto_envelope_json_decode(&env, (const char *)json, size) != TKMS_OK) {
        return false;
    }
    env.epoch = EPOCH;
    memset(env.from, 0xa0, 20);
    if (env.type == TKMS_PROTO_ENVELOPE_RECORD) {
        env.body.record.header.epoch = EPOCH;
        memset(env.body.record.header.dealer, 0xa0, 20);
        tkms_proto_record_sign(&env.body.record, &domain, seed_a);
    }
    tkms_proto_envelope_sign(&env, &domain, seed_a);
    return tkms_proto_envelope_json_encode(out, max, len, &env) == TKMS_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char body[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 2];
    static const http_route record_route = {.name = "peer_record"};
    if (server.snapshots == NULL) {
        init();
    }
    if (size == 0 || size > TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1) {
        return 0;
    }
    http_request req;
    memset(&req, 0, sizeof req);
    req.server = &server;
    size_t len = size - 1;
    memcpy(body, data + 1, len);
    body[len] = 0;
    if (data[0] == 1 && !resign(body, sizeof body, &len, data + 1, size - 1)) {
        return 0;
    }
    if (data[0] == 2) {
        char url[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 32];
        snprintf(url, sizeof url, "/v1/peer/record/%s", body);
        req.url = url;
        req.route = &record_route;
        run(&req);
        return 0;
    }
    req.body = (uint8_t *)body;
    req.body_len = len;
    run(&req);
    return 0;
}
