/*
 * exec.c — executes a step's actions for the honest driver (node.c), in order, with an
 * optional crash point: PERSIST stores tkms_proto_state_encode() and runs the persisted-
 * state checkers, TX_* become chain transactions (dropped during an RPC outage), the
 * reveal's commitments and sealed hash come from the node's own record, SEND_RECORD
 * pushes that record to O, FETCH_RECORD asks every peer of O by hash (with a short
 * backoff), ACTIVATE/ERASE/ALERT are bookkeeping for the checkers. Spec: proto.h (the
 * action list), protocol.md I4.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "sim.h"

/* The node's own record, rebuilt by the machine only once per (epoch, record hash): the
   driver keeps it in the pool (it is deterministic, so a rebuild gives the same bytes). */
static const sim_record *own_record(sim_run *run, sim_actor *a, const sim_view *w) {
    if (a->own_epoch == w->v.epoch && memcmp(a->own_hash, a->st->cur.record_hash, 32) == 0) {
        const sim_pool *p = sim_pool_for(run, w->v.epoch, false);
        if (p != NULL && a->own_idx >= 0 && (uint32_t)a->own_idx < p->count) {
            return &p->rec[a->own_idx];
        }
    }
    size_t len, max = TKMS_PROTO_RECORD_BYTES_MAX;
    tkms_err err = tkms_proto_own_record(run->record_buf, max, &len, a->st, run->group, &w->v);
    if (err != TKMS_OK) {
        sim_log(run, 1, "actor %u: own record unavailable (%s)", a->id, tkms_err_name(err));
        return NULL;
    }
    int32_t idx = sim_pool_add(run, w->v.epoch, run->record_buf, len);
    if (idx < 0) {
        return NULL;
    }
    const sim_record *r = &sim_pool_for(run, w->v.epoch, false)->rec[idx];
    if (memcmp(r->hash, a->st->cur.record_hash, 32) != 0) {
        sim_fail(run, "actor %u: its own record's hash is not the one it committed", a->id);
        return NULL;
    }
    a->own_epoch = w->v.epoch;
    memcpy(a->own_hash, a->st->cur.record_hash, 32);
    a->own_idx = idx;
    return r;
}

static sim_tx *tx_reveal(sim_run *run, sim_actor *a, const sim_view *w) {
    static tkms_proto_record rec;
    const sim_record *own = own_record(run, a, w);
    if (own == NULL || tkms_proto_record_decode(&rec, own->bytes, own->len) != TKMS_OK) {
        sim_fail(run, "actor %u: asked to reveal without a decodable own record", a->id);
        return NULL;
    }
    sim_tx *tx = sim_tx_new();
    tx->kind = SIM_TX_REVEAL;
    tx->t = rec.header.threshold;
    memcpy(tx->commitments, rec.commitments, (size_t)tx->t * TKMS_PROTO_COMMITMENT_BYTES);
    tkms_proto_record_sealed_hash(tx->hash, &rec);
    return tx;
}

static sim_tx *tx_from_action(sim_run *run, sim_actor *a, const sim_view *w,
                              const tkms_proto_action *act) {
    sim_tx *tx;
    if (act->kind == TKMS_PROTO_ACT_TX_REVEAL) {
        tx = tx_reveal(run, a, w);
        if (tx == NULL) {
            return NULL;
        }
    } else {
        tx = sim_tx_new();
    }
    tx->from = a->id;
    tx->epoch = act->epoch;
    switch (act->kind) {
    case TKMS_PROTO_ACT_TX_COMMIT:
        tx->kind = SIM_TX_COMMIT;
        memcpy(tx->hash, act->hash, 32);
        sim_oracle_capture(run, a->id, act->epoch, &a->st->cur.poly);
        break;
    case TKMS_PROTO_ACT_TX_REVEAL:
        break;
    case TKMS_PROTO_ACT_TX_ACK:
        tx->kind = SIM_TX_ACK;
        tx->bitmap = act->arg;
        break;
    case TKMS_PROTO_ACT_TX_OPEN:
        tx->kind = SIM_TX_OPEN;
        tx->count = act->count;
        memcpy(tx->players, act->players, sizeof tx->players);
        memcpy(tx->shares, act->shares, sizeof tx->shares);
        break;
    case TKMS_PROTO_ACT_TX_CONFIRM:
        tx->kind = SIM_TX_CONFIRM;
        tx->bitmap = act->arg;
        memcpy(tx->hash, act->hash, 32);
        memcpy(tx->mpk, act->mpk, sizeof tx->mpk);
        break;
    case TKMS_PROTO_ACT_TX_SET_EPOCH_KEY:
        tx->kind = SIM_TX_SET_KEY;
        memcpy(tx->key, act->key, 32);
        break;
    default:
        TKMS_ASSERT(false);
    }
    return tx;
}

static void send_record(sim_run *run, sim_actor *a, const sim_view *w) {
    const sim_record *own = w->rec != NULL ? own_record(run, a, w) : NULL;
    if (own == NULL) {
        return;
    }
    uint32_t idx = (uint32_t)a->own_idx;
    sim_cache_put(a, w->v.epoch, idx);
    sim_net_push_all(run, a->id, w->v.epoch, idx, w->rec);
}

static void fetch_record(sim_run *run, sim_actor *a, const sim_view *w, uint64_t dealer) {
    if (dealer >= w->v.n || w->rec == NULL) {
        sim_fail(run, "actor %u: fetch for dealer index %llu of %u", a->id,
                 (unsigned long long)dealer, w->v.n);
        return;
    }
    if (a->fetch_epoch != w->v.epoch) {
        memset(a->fetch_at, 0, sizeof a->fetch_at);
        a->fetch_epoch = w->v.epoch;
    }
    if (a->fetch_at[dealer] != 0 && run->chain.height < a->fetch_at[dealer] + 2) {
        return; /* backoff: one round of requests in flight */
    }
    a->fetch_at[dealer] = run->chain.height;
    for (uint32_t i = 0; i < w->rec->n; i++) {
        sim_net_send(run, a->id, w->rec->op[i], SIM_MSG_FETCH, w->v.epoch, 0,
                     w->v.record_hash[dealer]);
    }
}

static void do_persist(sim_run *run, sim_actor *a) {
    tkms_proto_state_encode(a->persisted, a->st);
    a->persisted_block_id = a->seen_block_id;
    a->has_persisted = true;
    sim_check_persisted(run, a);
}

static void do_action(sim_run *run, sim_actor *a, const sim_view *w, const tkms_proto_action *act) {
    switch (act->kind) {
    case TKMS_PROTO_ACT_PERSIST:
        do_persist(run, a);
        break;
    case TKMS_PROTO_ACT_TX_COMMIT:
    case TKMS_PROTO_ACT_TX_REVEAL:
    case TKMS_PROTO_ACT_TX_ACK:
    case TKMS_PROTO_ACT_TX_OPEN:
    case TKMS_PROTO_ACT_TX_CONFIRM:
    case TKMS_PROTO_ACT_TX_SET_EPOCH_KEY: {
        sim_tx *tx = tx_from_action(run, a, w, act);
        if (tx != NULL) {
            sim_check_tx(run, a, tx);
            sim_submit(run, tx);
        }
        break;
    }
    case TKMS_PROTO_ACT_SEND_RECORD:
        send_record(run, a, w);
        break;
    case TKMS_PROTO_ACT_FETCH_RECORD:
        fetch_record(run, a, w, act->arg);
        break;
    case TKMS_PROTO_ACT_ACTIVATE:
        sim_check_activate(run, a, act->arg);
        break;
    case TKMS_PROTO_ACT_ERASE:
        sim_log(run, 2, "actor %u erases version %llu", a->id, (unsigned long long)act->arg);
        break;
    case TKMS_PROTO_ACT_ALERT:
        sim_log(run, 1, "actor %u alert: %s", a->id, act->reason ? act->reason : "?");
        break;
    default:
        sim_fail(run, "actor %u: unknown action kind %d", a->id, (int)act->kind);
    }
}

void sim_execute_actions(sim_run *run, sim_actor *a, const sim_view *w,
                         const tkms_proto_actions *acts, uint32_t crash_at) {
    TKMS_ASSERT(acts->count <= TKMS_PROTO_ACTIONS_MAX);
    for (uint32_t k = 0; k <= acts->count && !run->res.failed; k++) {
        if (k == crash_at) {
            uint64_t down = 1 + sim_rng_below(&run->rng_fault, run->cfg.faults.restart_max + 1ull);
            sim_node_crash(run, a, run->chain.height + down);
            return;
        }
        if (k == acts->count) {
            break;
        }
        do_action(run, a, w, &acts->a[k]);
    }
}
