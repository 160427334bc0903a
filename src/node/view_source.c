/*
 * view_source.c — chain data that needs more than one call: revealed commitments from the
 * DealingRevealed logs, and the combined commitments of a source version V recomputed
 * from chain data (protocol.md §4 step 6, §4.6; crypto.md §6).
 *
 * The contract stores only sha256 of each dealer's commitments; the commitments are in
 * the DealingRevealed event (and in the record). A log is used only if its commitments
 * hash to the stored value, so logs cannot be forged; missing ones fail the read.
 * V's combined commitments: D(V) from dealerSet(V), each dealer's revealed commitments
 * in V's epoch, summed for a DKG version or weighted by the Lagrange coefficients of D's
 * points for a reshare version; the result, with D, must reproduce V's winning state
 * hash (versionInfo), which pins it to what t' operators confirmed. Results are cached:
 * a finalized version never changes (I6). Not here: the per-epoch reads (view.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/driver.h"
#include "prim/prim.h"

#define REVEAL_LOG_POOL 16

static tkms_err fail(node_viewer *vw, tkms_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tkms_err fail(node_viewer *vw, tkms_err err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vw->error, sizeof vw->error, fmt, ap);
    va_end(ap);
    return err;
}

/* Matches one DealingRevealed log against the wanted dealers; fills out[i] on a match. */
static void reveal_match(tkms_proto_commitments *out, uint64_t *found, const tkms_chain_log *log,
                         uint64_t epoch, uint16_t t, const uint8_t (*addr)[20],
                         const uint8_t (*hash)[32], uint64_t want) {
    tkms_chain_abi_value pool_values[REVEAL_LOG_POOL], ev;
    tkms_chain_abi_pool pool = {pool_values, REVEAL_LOG_POOL, 0};
    if (tkms_chain_abi_event_decode(&ev, &pool, TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED, log) !=
        TKMS_OK) {
        return; /* not ours to judge: only hash-matching logs count */
    }
    uint64_t e = 0;
    tkms_chain_address dealer;
    const tkms_chain_abi_value *c = &ev.items[4];
    if (tkms_chain_abi_get_u64(&e, &ev.items[0]) != TKMS_OK || e != epoch ||
        tkms_chain_abi_get_address(&dealer, &ev.items[1]) != TKMS_OK ||
        c->len != (size_t)t * TKMS_PROTO_COMMITMENT_BYTES) {
        return;
    }
    uint8_t h[32];
    tkms_prim_sha256(h, c->data, c->len);
    for (size_t i = 0; i < TKMS_PROTO_OPERATORS_MAX; i++) {
        uint64_t bit = (uint64_t)1 << i;
        if ((want & bit) && memcmp(addr[i], dealer.bytes, 20) == 0 &&
            memcmp(hash[i], h, 32) == 0) {
            memset(&out[i], 0, sizeof out[i]);
            out[i].t = t;
            memcpy(out[i].c, c->data, c->len);
            *found |= bit;
        }
    }
}

tkms_err node_view_revealed_scan(node_viewer *vw, tkms_proto_commitments *out, uint64_t epoch,
                                 uint16_t t, const uint8_t (*addr)[20], const uint8_t (*hash)[32],
                                 uint64_t want, uint64_t to_block) {
    TKMS_ASSERT(vw != NULL && out != NULL);
    TKMS_ASSERT(t >= 1 && t <= TKMS_TSS_THRESHOLD_MAX);
    tkms_chain_hash topic;
    tkms_err err = tkms_chain_abi_event_topic(&topic, TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED);
    TKMS_ASSERT(err == TKMS_OK);
    uint64_t trigger = epoch * vw->config.interval;
    uint64_t from = trigger + vw->config.commit_offset + 1;
    uint64_t last = trigger + vw->config.reveal_offset;
    last = last < to_block ? last : to_block;
    uint64_t found = 0;
    /* bounded: the reveal window is at most `interval` blocks, in 2000-block chunks */
    while (from <= last && (found & want) != want) {
        uint64_t to = last - from >= TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX - 1
                          ? from + TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX - 1
                          : last;
        tkms_chain_log_filter f = {.from_block = from, .to_block = to,
                                   .addresses = &vw->epoch_log, .address_count = 1,
                                   .topic0 = &topic, .topic0_count = 1};
        tkms_chain_logs logs = {0};
        err = tkms_chain_logs_get(vw->chain, &logs, &f);
        if (err != TKMS_OK) {
            return fail(vw, TKMS_ERR_NODE_VIEW_READ, "DealingRevealed logs %llu..%llu: %s (%s)",
                        (unsigned long long)from, (unsigned long long)to, tkms_err_name(err),
                        tkms_chain_client_error(vw->chain));
        }
        for (size_t k = 0; k < logs.count; k++) {
            reveal_match(out, &found, &logs.items[k], epoch, t, addr, hash, want);
        }
        tkms_chain_logs_free(&logs);
        from = to + 1;
    }
    if ((found & want) != want) {
        return fail(vw, TKMS_ERR_NODE_COMMITMENTS_MISSING,
                    "epoch %llu: revealed commitments missing from the logs (dealers 0x%llx)",
                    (unsigned long long)epoch, (unsigned long long)(want & ~found));
    }
    return TKMS_OK;
}

/* ---- a version's public facts ------------------------------------------------------------ */

tkms_err node_view_operators(node_viewer *vw, uint8_t (*out)[20], uint32_t *count, uint64_t epoch,
                             const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(epoch);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    *count = 0;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_SNAPSHOT,
                                  &args, TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    size_t n = r.items[0].count;
    if (n < 1 || n > TKMS_PROTO_OPERATORS_MAX) {
        err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "epochSnapshot(%llu): n = %zu",
                   (unsigned long long)epoch, n);
    }
    for (size_t i = 0; i < n && err == TKMS_OK; i++) {
        tkms_chain_address addr;
        if (tkms_chain_abi_get_address(&addr, &r.items[0].items[i]) != TKMS_OK ||
            (i > 0 && memcmp(addr.bytes, out[i - 1], 20) <= 0)) {
            err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "epochSnapshot: O not ascending");
        }
        memcpy(out[i], addr.bytes, 20);
    }
    *count = err == TKMS_OK ? (uint32_t)n : 0;
    tkms_chain_bytes_free(&keep);
    return err;
}

/* D(V) as O(V) indices (dealerSet returns addresses in O order). */
static tkms_err read_dealer_set(node_viewer *vw, uint64_t *dset, const uint8_t (*ops)[20],
                                uint32_t n, uint64_t version, const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    *dset = 0;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_DEALER_SET,
                                  &args, TKMS_CHAIN_EPOCHLOG_ADDRESSES_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    for (size_t k = 0; k < r.items[0].count && err == TKMS_OK; k++) {
        tkms_chain_address d;
        uint32_t j = 0;
        bool ok = tkms_chain_abi_get_address(&d, &r.items[0].items[k]) == TKMS_OK;
        while (ok && j < n && memcmp(ops[j], d.bytes, 20) != 0) {
            j++;
        }
        if (!ok || j == n) {
            err = fail(vw, TKMS_ERR_NODE_SOURCE_INVALID, "dealerSet(%llu): a dealer outside O",
                       (unsigned long long)version);
        } else {
            *dset |= (uint64_t)1 << j;
        }
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

/* versionInfo(V): finalized, t(V), V's own source and its winning state hash. */
static tkms_err read_version_info(node_viewer *vw, uint16_t *t, uint64_t *source,
                                  uint8_t state_hash[32], uint64_t version,
                                  const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, NODE_SIG_VERSION_INFO, &args,
                                  NODE_SIG_VERSION_INFO_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    bool finalized = false;
    uint64_t t64 = 0;
    if (tkms_chain_abi_get_bool(&finalized, &r.items[0]) != TKMS_OK || !finalized ||
        tkms_chain_abi_get_u64(&t64, &r.items[2]) != TKMS_OK || t64 < 1 ||
        t64 > TKMS_TSS_THRESHOLD_MAX || tkms_chain_abi_get_u64(source, &r.items[3]) != TKMS_OK) {
        err = fail(vw, TKMS_ERR_NODE_SOURCE_INVALID, "versionInfo(%llu): not a finalized version",
                   (unsigned long long)version);
    }
    *t = (uint16_t)t64;
    memcpy(state_hash, r.items[4].word, 32);
    tkms_chain_bytes_free(&keep);
    return err;
}

/* dealings(V).commitmentsHashes by O(V) index. */
static tkms_err read_commitment_hashes(node_viewer *vw, uint8_t (*out)[32], uint32_t n,
                                       uint64_t version, const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_DEALINGS,
                                  &args, TKMS_CHAIN_EPOCHLOG_DEALINGS_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    if (r.items[1].count != n) {
        err = fail(vw, TKMS_ERR_NODE_SOURCE_INVALID, "dealings(%llu): %zu entries for n = %u",
                   (unsigned long long)version, r.items[1].count, n);
    }
    for (size_t i = 0; i < n && err == TKMS_OK; i++) {
        memcpy(out[i], r.items[1].items[i].word, 32);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

/* Σ C_i (DKG version) or Σ λ_i C_i over D's points (reshare version). */
static tkms_err combine(node_viewer *vw, tkms_proto_commitments *out,
                        const tkms_proto_commitments *dealing, const uint8_t (*ops)[20],
                        uint32_t n, uint64_t dset, uint16_t t, bool dkg) {
    const tkms_proto_commitments *cs[TKMS_PROTO_OPERATORS_MAX];
    tkms_bls_fr xs[TKMS_PROTO_OPERATORS_MAX], lambdas[TKMS_PROTO_OPERATORS_MAX];
    size_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!(dset & ((uint64_t)1 << i))) {
            continue;
        }
        if (dealing[i].t != t || !vw->group->commitments_valid(vw->group->ctx, &dealing[i]) ||
            tkms_tss_point_from_address(&xs[m], ops[i]) != TKMS_OK) {
            return fail(vw, TKMS_ERR_NODE_SOURCE_INVALID, "a dealer of D has invalid "
                        "commitments");
        }
        cs[m++] = &dealing[i];
    }
    if (m == 0) {
        return fail(vw, TKMS_ERR_NODE_SOURCE_INVALID, "empty dealer set");
    }
    if (!dkg && tkms_tss_lagrange_at_zero_vartime(lambdas, xs, m) != TKMS_OK) {
        return fail(vw, TKMS_ERR_NODE_SOURCE_INVALID, "dealer points not distinct");
    }
    vw->group->combine(vw->group->ctx, out, cs, dkg ? NULL : lambdas, m);
    return TKMS_OK;
}

/* Recomputes V's combined commitments and checks them against its winning state hash. */
static tkms_err source_compute(node_viewer *vw, tkms_proto_commitments *out, uint64_t version,
                               const tkms_chain_hash *at) {
    tkms_proto_commitments *dealing = vw->scratch;
    uint8_t ops[TKMS_PROTO_OPERATORS_MAX][20], hashes[TKMS_PROTO_OPERATORS_MAX][32];
    uint8_t want_hash[32], got_hash[32], dealers[TKMS_PROTO_OPERATORS_MAX][20];
    uint32_t n = 0;
    uint16_t t = 0;
    uint64_t source = 0, dset = 0;
    tkms_err err = read_version_info(vw, &t, &source, want_hash, version, at);
    if (err == TKMS_OK) {
        err = node_view_operators(vw, ops, &n, version, at);
    }
    if (err == TKMS_OK) {
        err = read_dealer_set(vw, &dset, (const uint8_t(*)[20])ops, n, version, at);
    }
    if (err == TKMS_OK) {
        err = read_commitment_hashes(vw, hashes, n, version, at);
    }
    if (err == TKMS_OK) {
        err = node_view_revealed_scan(vw, dealing, version, t, (const uint8_t(*)[20])ops,
                                      (const uint8_t(*)[32])hashes, dset, UINT64_MAX);
    }
    if (err == TKMS_OK) {
        err = combine(vw, out, dealing, (const uint8_t(*)[20])ops, n, dset, t,
                      source == TKMS_PROTO_DKG_SOURCE);
    }
    if (err != TKMS_OK) {
        return err;
    }
    size_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (dset & ((uint64_t)1 << i)) {
            memcpy(dealers[m++], ops[i], 20);
        }
    }
    tkms_proto_state_hash(got_hash, &vw->config, version, source, out,
                          (const uint8_t(*)[20])dealers, m);
    if (memcmp(got_hash, want_hash, 32) != 0) {
        return fail(vw, TKMS_ERR_NODE_SOURCE_INVALID, "version %llu: commitments from chain data "
                    "do not reproduce its winning state hash", (unsigned long long)version);
    }
    return TKMS_OK;
}

tkms_err node_view_source_commitments(node_viewer *vw, tkms_proto_commitments *out,
                                      uint64_t version, const tkms_chain_hash *at) {
    TKMS_ASSERT(vw != NULL && out != NULL);
    TKMS_ASSERT(version != TKMS_PROTO_DKG_SOURCE);
    for (size_t k = 0; k < NODE_SOURCE_CACHE; k++) {
        if (vw->source[k].valid && vw->source[k].version == version) {
            *out = vw->source[k].combined;
            return TKMS_OK;
        }
    }
    tkms_err err = source_compute(vw, out, version, at);
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    node_source_entry *e = &vw->source[vw->source_next];
    vw->source_next = (vw->source_next + 1) % NODE_SOURCE_CACHE;
    e->valid = true;
    e->version = version;
    e->combined = *out;
    return TKMS_OK;
}
