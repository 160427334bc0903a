/*
 * view.c — builds the state machine's chain view (tkms_proto_chain_view) as of one final
 * block, from the chain alone (protocol.md I1, proto.h walkthrough).
 *
 * Every eth_call names the block by hash (EIP-1898, requireCanonical), so all reads of one
 * view see the same state even while the chain moves. Revealed commitments are not in
 * contract storage (only their sha256 is): they come from DealingRevealed logs and are
 * accepted only when their hash equals the on-chain one, so a log from anywhere, even a
 * lying RPC, cannot change what the machine sees — a missing or wrong one fails the build.
 * Records come from the peer-record pool, by the committed hash only. Any failed or
 * inconsistent read fails the whole build: the driver then skips this step and tries again
 * at the next final block; the machine never sees a partial view.
 * Not here: the source version's commitments (view_source.c), the stepping (driver.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/driver.h"
#include "prim/prim.h"

static tkms_err fail(node_viewer *vw, tkms_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static tkms_err fail(node_viewer *vw, tkms_err err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(vw->error, sizeof vw->error, fmt, ap);
    va_end(ap);
    return err;
}

tkms_err node_view_call(node_viewer *vw, tkms_chain_abi_value *out, tkms_chain_bytes *keep,
                        const tkms_chain_address *to, const char *signature,
                        const tkms_chain_abi_value *args, const char *outputs,
                        const tkms_chain_hash *at) {
    TKMS_ASSERT(vw != NULL && out != NULL && keep != NULL);
    memset(keep, 0, sizeof *keep);
    tkms_chain_bytes data;
    tkms_err err = tkms_chain_abi_call_encode(&data, signature, args);
    TKMS_ASSERT(err == TKMS_OK); /* our own signatures and arguments */
    tkms_chain_call_request req = {.to = to, .data = data.ptr, .data_len = data.len};
    err = tkms_chain_call(vw->chain, keep, &req, tkms_chain_block_hash(at));
    tkms_chain_bytes_free(&data);
    if (err != TKMS_OK) {
        return fail(vw, TKMS_ERR_NODE_VIEW_READ, "%s: %s (%s)", signature, tkms_err_name(err),
                    tkms_chain_client_error(vw->chain));
    }
    tkms_chain_abi_pool pool = {vw->pool_values, NODE_ABI_POOL, 0};
    err = tkms_chain_abi_decode(out, &pool, outputs, keep->ptr, keep->len);
    if (err != TKMS_OK) {
        tkms_chain_bytes_free(keep);
        return fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "%s: answer does not decode as %s: %s",
                    signature, outputs, tkms_err_name(err));
    }
    return TKMS_OK;
}

/* A u64 out of a decoded uint word (a bitmap wider than 64 bits is malformed here). */
static bool word_u64(uint64_t *out, const tkms_chain_abi_value *v) {
    return tkms_chain_abi_get_u64(out, v) == TKMS_OK;
}

static tkms_chain_abi_value epoch_arg(uint64_t *e) {
    return tkms_chain_abi_uint64(*e);
}

/* ---- global state: MPK, finalized version, the retained set C ------------------------------ */

static tkms_err read_u64(node_viewer *vw, uint64_t *out, const tkms_chain_address *to,
                         const char *sig, const tkms_chain_abi_value *args, const char *outputs,
                         const tkms_chain_hash *at) {
    tkms_chain_abi_value v;
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &v, &keep, to, sig, args, outputs, at);
    if (err == TKMS_OK && !word_u64(out, &v.items[0])) {
        err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "%s: value out of range", sig);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

static tkms_err read_mpk(node_viewer *vw, tkms_proto_chain_view *v, const tkms_chain_hash *at) {
    tkms_chain_abi_value r, none = tkms_chain_abi_tuple(NULL, 0);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_MPK, &none,
                                  TKMS_CHAIN_EPOCHLOG_MPK_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    const tkms_chain_abi_value *mpk = &r.items[0];
    if (mpk->len == TKMS_PROTO_COMMITMENT_BYTES) {
        v->has_mpk = true;
        memcpy(v->mpk, mpk->data, TKMS_PROTO_COMMITMENT_BYTES);
    } else if (mpk->len != 0) {
        err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "masterPublicKey: %zu bytes", mpk->len);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

/* The winning state hash of a retained (finalized) version. */
static tkms_err read_version_hash(node_viewer *vw, uint8_t out[32], uint64_t version,
                                  const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = epoch_arg(&version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, NODE_SIG_VERSION_INFO, &args,
                                  NODE_SIG_VERSION_INFO_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    bool finalized = false;
    if (tkms_chain_abi_get_bool(&finalized, &r.items[0]) != TKMS_OK || !finalized) {
        err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "retained version %llu is not finalized",
                   (unsigned long long)version);
    } else {
        memcpy(out, r.items[4].word, 32);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

static tkms_err read_retained(node_viewer *vw, tkms_proto_chain_view *v,
                              const tkms_chain_hash *at) {
    tkms_chain_abi_value r, none = tkms_chain_abi_tuple(NULL, 0);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, NODE_SIG_RETAINED, &none,
                                  NODE_SIG_U64_ARRAY_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    size_t count = r.items[0].count;
    if (count > TKMS_PROTO_RETAINED_MAX) {
        /* the machine holds at most 8 versions; the oldest beyond that cannot be kept */
        snprintf(vw->error, sizeof vw->error, "retained set of %zu versions cut to %d", count,
                 TKMS_PROTO_RETAINED_MAX);
        count = TKMS_PROTO_RETAINED_MAX;
    }
    for (size_t k = 0; k < count && err == TKMS_OK; k++) {
        if (!word_u64(&v->retained[k], &r.items[0].items[k])) {
            err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "retainedVersions: bad entry");
        }
        v->retained_confirm_deadline[k] =
            v->retained[k] * vw->config.interval + vw->config.confirm_offset;
    }
    v->retained_count = (uint32_t)count;
    tkms_chain_bytes_free(&keep);
    for (size_t k = 0; k < count && err == TKMS_OK; k++) {
        err = read_version_hash(vw, v->retained_state_hash[k], v->retained[k], at);
    }
    return err;
}

/* This node's latest epoch key as of the view's block (proto.h: a key that did not land is
   sent again). */
static tkms_err read_own_key(node_viewer *vw, tkms_proto_chain_view *v,
                             const tkms_chain_hash *at) {
    tkms_chain_address self;
    memcpy(self.bytes, vw->config.self, 20);
    tkms_chain_abi_value r, a[2] = {tkms_chain_abi_address(&self),
                                    tkms_chain_abi_uint64(v->height)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(a, 2);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->registry, NODE_SIG_EPOCH_KEY_AT, &args,
                                  NODE_SIG_BYTES32_OUT, at);
    if (err == TKMS_OK) {
        memcpy(v->own_key_latest, r.items[0].word, 32);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

static tkms_err read_global(node_viewer *vw, tkms_proto_chain_view *v,
                            const tkms_chain_hash *at) {
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    tkms_err err = read_u64(vw, &v->finalized_version, &vw->epoch_log,
                            TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION, &none,
                            TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION_OUT, at);
    if (err == TKMS_OK) {
        err = read_mpk(vw, v, at);
    }
    if (err == TKMS_OK) {
        err = read_retained(vw, v, at);
    }
    if (err == TKMS_OK) {
        err = read_own_key(vw, v, at);
    }
    return err;
}

/* ---- the epoch: snapshot ------------------------------------------------------------------ */

static tkms_err snapshot_fill(node_viewer *vw, tkms_proto_chain_view *v,
                              const tkms_chain_abi_value *r) {
    size_t n = r->items[0].count;
    uint64_t t = 0, cap = 0, source_t = 0;
    if (n < 1 || n > TKMS_PROTO_OPERATORS_MAX || r->items[1].count != n ||
        r->items[2].count != n || !word_u64(&t, &r->items[3]) || !word_u64(&cap, &r->items[4]) ||
        !word_u64(&v->source, &r->items[5]) || !word_u64(&source_t, &r->items[6]) || t < 1 ||
        t > n || cap > n || source_t < 1 || source_t > TKMS_PROTO_OPERATORS_MAX) {
        return fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "epochSnapshot: inconsistent (n = %zu)", n);
    }
    v->n = (uint32_t)n;
    v->t = (uint16_t)t;
    v->r = (uint16_t)cap;
    v->source_t = (uint16_t)source_t;
    for (size_t i = 0; i < n; i++) {
        tkms_chain_address a;
        if (tkms_chain_abi_get_address(&a, &r->items[0].items[i]) != TKMS_OK ||
            (i > 0 && memcmp(a.bytes, v->ops[i - 1].address, 20) <= 0)) {
            return fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "epochSnapshot: O not ascending");
        }
        memcpy(v->ops[i].address, a.bytes, 20);
        memcpy(v->ops[i].x25519, r->items[1].items[i].word, 32);
        memcpy(v->ops[i].ed25519, r->items[2].items[i].word, 32);
    }
    return TKMS_OK;
}

static tkms_err read_snapshot(node_viewer *vw, tkms_proto_chain_view *v,
                              const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = epoch_arg(&v->epoch);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_SNAPSHOT,
                                  &args, TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT, at);
    if (err == TKMS_OK) {
        err = snapshot_fill(vw, v, &r);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

/* ---- the epoch: progress ------------------------------------------------------------------ */

static tkms_err read_progress(node_viewer *vw, tkms_proto_chain_view *v,
                              const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = epoch_arg(&v->epoch);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_PROGRESS,
                                  &args, TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    uint64_t mask = v->n == 64 ? UINT64_MAX : (((uint64_t)1 << v->n) - 1);
    uint64_t *bits[] = {&v->committed, &v->revealed, &v->acked, &v->confirmed};
    bool ok = true;
    for (size_t k = 0; k < 4; k++) {
        ok = ok && word_u64(bits[k], &r.items[k]) && (*bits[k] & ~mask) == 0;
    }
    ok = ok && tkms_chain_abi_get_bool(&v->finalized, &r.items[4]) == TKMS_OK &&
         word_u64(&v->winning_dealers, &r.items[6]) && (v->winning_dealers & ~mask) == 0;
    memcpy(v->winning_state_hash, r.items[5].word, 32);
    tkms_chain_bytes_free(&keep);
    if (!ok) {
        return fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "epochProgress: bitmaps outside O");
    }
    return TKMS_OK;
}

/* One bitmap per O index (acks, openings): count 0 (epoch untouched) or n. */
static tkms_err read_bitmaps(node_viewer *vw, uint64_t *out, const char *sig,
                             const tkms_proto_chain_view *v, const tkms_chain_hash *at) {
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(v->epoch);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, sig, &args,
                                  TKMS_CHAIN_EPOCHLOG_BITMAPS_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    size_t count = r.items[0].count;
    uint64_t mask = v->n == 64 ? UINT64_MAX : (((uint64_t)1 << v->n) - 1);
    if (count != 0 && count != v->n) {
        err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "%s: %zu entries for n = %u", sig, count,
                   v->n);
    }
    for (size_t i = 0; i < count && err == TKMS_OK; i++) {
        if (!word_u64(&out[i], &r.items[0].items[i]) || (out[i] & ~mask) != 0) {
            err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "%s: bitmap outside O", sig);
        }
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

/* The shares dealer i opened, placed at their players' O indices. */
static tkms_err read_opened(node_viewer *vw, node_view *out, size_t i,
                            const tkms_chain_hash *at) {
    tkms_proto_chain_view *v = &out->v;
    tkms_chain_address dealer;
    memcpy(dealer.bytes, v->ops[i].address, 20);
    tkms_chain_abi_value r, f[] = {tkms_chain_abi_uint64(v->epoch),
                                   tkms_chain_abi_address(&dealer)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 2);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_OPENED_SHARES,
                                  &args, TKMS_CHAIN_EPOCHLOG_OPENED_SHARES_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    uint64_t seen = 0;
    size_t count = r.items[0].count;
    for (size_t k = 0; k < count && k < r.items[1].count; k++) {
        tkms_chain_address p;
        size_t j = 0;
        bool ok = tkms_chain_abi_get_address(&p, &r.items[0].items[k]) == TKMS_OK;
        while (ok && j < v->n && memcmp(v->ops[j].address, p.bytes, 20) != 0) {
            j++;
        }
        if (ok && j < v->n) {
            memcpy(out->opened_share[i][j], r.items[1].items[k].word, 32);
            seen |= (uint64_t)1 << j;
        }
    }
    tkms_chain_bytes_free(&keep);
    if (seen != v->opened[i] || count != r.items[1].count) {
        return fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "openedShares of dealer %zu disagree "
                    "with openings()", i);
    }
    return TKMS_OK;
}

/* ---- the epoch: dealings and their revealed commitments ------------------------------------ */

static tkms_err read_dealings(node_viewer *vw, node_view *out, uint8_t (*commitments_hash)[32],
                              const tkms_chain_hash *at) {
    tkms_proto_chain_view *v = &out->v;
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(v->epoch);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    tkms_err err = node_view_call(vw, &r, &keep, &vw->epoch_log, TKMS_CHAIN_EPOCHLOG_DEALINGS,
                                  &args, TKMS_CHAIN_EPOCHLOG_DEALINGS_OUT, at);
    if (err != TKMS_OK) {
        return err;
    }
    size_t count = r.items[0].count;
    if ((count != 0 && count != v->n) || r.items[1].count != count) {
        err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "dealings: %zu entries for n = %u", count,
                   v->n);
    }
    for (size_t i = 0; i < count && err == TKMS_OK; i++) {
        memcpy(v->record_hash[i], r.items[0].items[i].word, 32);
        memcpy(commitments_hash[i], r.items[1].items[i].word, 32);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

/* Revealed commitments of the view's epoch: from the per-epoch cache, else from the logs. */
static tkms_err fill_dealings(node_viewer *vw, node_view *out, uint8_t (*hash)[32]) {
    tkms_proto_chain_view *v = &out->v;
    if (vw->cache_epoch != v->epoch) {
        vw->cache_epoch = v->epoch;
        vw->cache_have = 0;
    }
    uint64_t want = 0;
    for (size_t i = 0; i < v->n; i++) {
        uint64_t bit = (uint64_t)1 << i;
        bool cached = (vw->cache_have & bit) && memcmp(vw->cache_hash[i], hash[i], 32) == 0;
        if ((v->revealed & bit) && !cached) {
            want |= bit;
        }
    }
    if (want != 0) {
        uint8_t addr[TKMS_PROTO_OPERATORS_MAX][20];
        for (size_t i = 0; i < v->n; i++) {
            memcpy(addr[i], v->ops[i].address, 20);
        }
        tkms_err err = node_view_revealed_scan(vw, vw->cache_dealing, v->epoch, v->t,
                                               (const uint8_t(*)[20])addr,
                                               (const uint8_t(*)[32])hash, want, v->height);
        if (err != TKMS_OK) {
            return err;
        }
        for (size_t i = 0; i < v->n; i++) {
            if (want & ((uint64_t)1 << i)) {
                memcpy(vw->cache_hash[i], hash[i], 32);
            }
        }
        vw->cache_have |= want;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (v->revealed & ((uint64_t)1 << i)) {
            out->dealing[i] = vw->cache_dealing[i];
            v->dealing[i] = &out->dealing[i];
        }
    }
    return TKMS_OK;
}

/* Records from the pool whose hash is a committed one (the pool keys by computed hash). */
static void fill_records(node_viewer *vw, node_view *out) {
    tkms_proto_chain_view *v = &out->v;
    for (size_t i = 0; i < v->n; i++) {
        if (!(v->committed & ((uint64_t)1 << i))) {
            continue;
        }
        size_t len = node_records_get(vw->records, v->record_hash[i], out->record[i],
                                      sizeof out->record[i]);
        if (len > 0) {
            v->record[i] = out->record[i];
            v->record_len[i] = len;
        }
    }
}

static tkms_err read_epoch(node_viewer *vw, node_view *out, const tkms_chain_hash *at,
                           bool records) {
    tkms_proto_chain_view *v = &out->v;
    uint8_t commitments_hash[TKMS_PROTO_OPERATORS_MAX][32];
    memset(commitments_hash, 0, sizeof commitments_hash);
    tkms_err err = read_snapshot(vw, v, at);
    if (err == TKMS_OK) {
        err = read_progress(vw, v, at);
    }
    if (err == TKMS_OK) {
        err = read_dealings(vw, out, commitments_hash, at);
    }
    if (err == TKMS_OK && v->acked != 0) {
        err = read_bitmaps(vw, v->ack_bitmap, TKMS_CHAIN_EPOCHLOG_ACKS, v, at);
    }
    if (err == TKMS_OK && v->revealed != 0) {
        err = read_bitmaps(vw, v->opened, TKMS_CHAIN_EPOCHLOG_OPENINGS, v, at);
    }
    for (size_t i = 0; i < v->n && err == TKMS_OK; i++) {
        if (v->opened[i] != 0) {
            err = read_opened(vw, out, i, at);
        }
    }
    if (err == TKMS_OK) {
        err = fill_dealings(vw, out, commitments_hash);
    }
    if (err == TKMS_OK && v->source != TKMS_PROTO_DKG_SOURCE) {
        err = node_view_source_commitments(vw, &out->source_commitments, v->source, at);
        v->source_commitments = &out->source_commitments;
    }
    if (err == TKMS_OK && records) {
        fill_records(vw, out);
    }
    return err;
}

static void view_reset(node_view *out, const tkms_chain_header *at, uint64_t epoch) {
    memset(&out->v, 0, sizeof out->v);
    for (size_t i = 0; i < TKMS_PROTO_OPERATORS_MAX; i++) {
        memset(out->opened_share[i], 0, sizeof out->opened_share[i]);
    }
    out->v.opened_share = (const uint8_t(*)[TKMS_PROTO_OPERATORS_MAX][32])out->opened_share;
    out->block_hash = at->hash;
    out->block_timestamp = at->timestamp;
    out->v.height = at->number;
    out->v.epoch = epoch;
}

tkms_err node_view_build_past(node_viewer *vw, node_view *out, const tkms_chain_header *at,
                              uint64_t epoch) {
    TKMS_ASSERT(vw != NULL && out != NULL && at != NULL);
    TKMS_ASSERT(vw->config.interval > 0 && epoch <= at->number / vw->config.interval);
    vw->error[0] = '\0';
    view_reset(out, at, epoch);
    out->v.active = true; /* only finalized epochs are asked for: they were active */
    tkms_err err = read_epoch(vw, out, &at->hash, false);
    if (err != TKMS_OK) {
        memset(&out->v, 0, sizeof out->v);
    }
    return err;
}

tkms_err node_view_build(node_viewer *vw, node_view *out, const tkms_chain_header *at) {
    TKMS_ASSERT(vw != NULL && out != NULL && at != NULL);
    TKMS_ASSERT(vw->config.interval > 0);
    vw->error[0] = '\0';
    view_reset(out, at, at->number / vw->config.interval);
    tkms_err err = read_global(vw, &out->v, &at->hash);
    if (err != TKMS_OK) {
        return err;
    }
    bool active = false;
    tkms_chain_abi_value r, a = tkms_chain_abi_uint64(out->v.epoch);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    err = node_view_call(vw, &r, &keep, &vw->epoch_log, NODE_SIG_EPOCH_ACTIVE, &args,
                         NODE_SIG_BOOL_OUT, &at->hash);
    if (err == TKMS_OK && tkms_chain_abi_get_bool(&active, &r.items[0]) != TKMS_OK) {
        err = fail(vw, TKMS_ERR_NODE_VIEW_MALFORMED, "epochActive: not a bool");
    }
    tkms_chain_bytes_free(&keep);
    out->v.active = active;
    if (err == TKMS_OK && active) {
        err = read_epoch(vw, out, &at->hash, true);
    }
    if (err != TKMS_OK) {
        memset(&out->v, 0, sizeof out->v); /* never half a view */
    }
    return err;
}
