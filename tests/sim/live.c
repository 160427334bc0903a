/*
 * live.c — seeded faults of the random runs, per-epoch accounting, recoverability and
 * liveness (protocol.md §1 assumptions, §4.6 fallback, §7).
 *
 * Faults (each only when enabled by --faults): node crashes happen inside node.c; here
 * planned offline periods, partitions, RPC outages (no views, no submissions), short
 * reorgs (depth <= confirmations: invisible to nodes), one deep reorg (nodes that acted
 * on an orphaned block must halt), operator churn through the registry, low-order epoch
 * keys set by a misconfigured operator, congestion (a block capacity near deadlines).
 *
 * An epoch is expected to finalize when the §1 assumptions held for it: no outage,
 * partition, congestion or deep reorg during its window, at most f malicious operators in
 * O, at least t' honest operators of O up and usable for the whole window, and for a
 * reshare at least t(V) of them holding the source version. Recoverability: at every block
 * some retained version has at least t(v) shares on live honest operators.
 */
#include <limits.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "sim.h"

static size_t slot_of(uint64_t epoch) {
    return epoch % SIM_RING;
}

static void mark_disrupted(sim_run *run, uint64_t epoch, uint32_t actor) {
    size_t k = slot_of(epoch);
    if (actor < 64) {
        run->disrupted[k] |= 1ull << actor;
    } else {
        run->disrupted_hi[k] |= 1ull << (actor - 64);
    }
}

static bool was_disrupted(const sim_run *run, uint64_t epoch, uint32_t actor) {
    size_t k = slot_of(epoch);
    return actor < 64 ? (run->disrupted[k] >> actor) & 1
                      : (run->disrupted_hi[k] >> (actor - 64)) & 1;
}

void sim_mark_unfair(sim_run *run, uint64_t block) {
    uint64_t e = block / run->p.interval;
    size_t k = slot_of(e);
    if (run->disrupted_epoch[k] == e) {
        run->epoch_unfair[k] = true;
    }
}

/* ---- faults -------------------------------------------------------------------------- */

static uint32_t random_honest_up(sim_run *run) {
    for (int tries = 0; tries < 16; tries++) {
        uint32_t id = (uint32_t)sim_rng_below(&run->rng_fault, run->actor_count);
        sim_actor *a = &run->actors[id];
        if (!a->malicious && a->status == SIM_UP && sim_chain_is_registered(&run->chain, id)) {
            return id;
        }
    }
    return SIM_NONE;
}

static void fault_offline(sim_run *run, uint64_t block) {
    if (!sim_rng_pm(&run->rng_fault, 1000 / (uint32_t)run->p.interval / 3)) {
        return;
    }
    uint32_t id = random_honest_up(run);
    if (id != SIM_NONE) {
        uint64_t len = run->p.interval * (1 + sim_rng_below(&run->rng_fault, 4));
        sim_node_crash(run, &run->actors[id], block + len);
        run->actors[id].offline_planned = true;
    }
}

static void fault_partition(sim_run *run, uint64_t block) {
    uint64_t *until = &run->partition_until;
    if (run->partitioned && block >= *until) {
        run->partitioned = false;
    }
    if (!run->partitioned && sim_rng_pm(&run->rng_fault, 1000 / (uint32_t)run->p.interval / 6)) {
        run->partitioned = true;
        *until = block + 1 + sim_rng_below(&run->rng_fault, run->p.interval / 2);
        for (uint32_t i = 0; i < run->actor_count; i++) {
            run->partition[i] = (uint8_t)sim_rng_below(&run->rng_fault, 2);
        }
    }
}

static void fault_outage(sim_run *run, uint64_t block) {
    uint64_t *until = &run->outage_until;
    if (run->outage && block >= *until) {
        run->outage = false;
    }
    if (!run->outage && sim_rng_pm(&run->rng_fault, 1000 / (uint32_t)run->p.interval / 8)) {
        run->outage = true;
        *until = block + 1 + sim_rng_below(&run->rng_fault, run->p.interval);
    }
}

/* A reorg replaces the last `depth` blocks. With regrow, the new branch is mined at once
   to the same height (what a node normally sees: same height, other blocks); without, the
   chain is shorter for a while (a node's RPC switched to a shorter heavier branch). */
void sim_reorg(sim_run *run, uint64_t depth, bool regrow) {
    if (run->chain.height < depth + SIM_SETUP_BLOCK) {
        return; /* never into the deployment blocks (chain_diff.mjs replays from block 5) */
    }
    sim_log(run, 1, "reorg of depth %llu%s", (unsigned long long)depth,
            regrow ? "" : " (shorter branch)");
    uint64_t height = run->chain.height;
    sim_chain_rollback(&run->chain, height - depth);
    run->reorgs++;
    run->view_h[0] = run->view_h[1] = UINT64_MAX;
    if (depth > run->p.confirmations) {
        run->deep_reorged = true;
    }
    while (regrow && run->chain.height < height) {
        size_t fin_before = run->chain.fin_count;
        sim_chain_mine(&run->chain);
        sim_after_mine(run, fin_before);
    }
}

static void fault_churn(sim_run *run, uint64_t block) {
    if (block % run->p.interval != 1 || block < run->p.interval ||
        !sim_rng_pm(&run->rng_fault, 250)) {
        return; /* from epoch 1 on (the setup registers in blocks 5-7) */
    }
    uint32_t n = sim_chain_active_count(&run->chain);
    uint32_t mal = 0;
    for (uint32_t i = 0; i < run->actor_count; i++) {
        mal += run->actors[i].malicious && sim_chain_is_registered(&run->chain, i) ? 1u : 0u;
    }
    bool join = n < 6 || sim_rng_below(&run->rng_fault, 2) == 0;
    if (join && n < SIM_OPS_MAX && run->actor_count < SIM_ACTORS_MAX) {
        uint32_t id = sim_actor_add(run, false);
        sim_actor_join(run, id, block + 1);
        return;
    }
    /* leaving keeps the adversary within f of the smaller set */
    if (mal > (n - 2) / 3) {
        return;
    }
    uint32_t id = random_honest_up(run);
    if (id != SIM_NONE) {
        sim_owner_tx(run, sim_rng_below(&run->rng_fault, 2) ? SIM_TX_EJECT : SIM_TX_DEREGISTER, id,
                     block + 1);
    }
}

/* A misconfigured operator sets a low-order X25519 key (u = 1): dealers must give it an
   empty slot and open its share. The node's own next key supersedes it. */
static void fault_bad_key(sim_run *run, uint64_t block) {
    if (block % run->p.interval != run->p.open + 2 || block < run->p.interval ||
        !sim_rng_pm(&run->rng_fault, 150)) {
        return;
    }
    uint32_t id = random_honest_up(run);
    if (id == SIM_NONE) {
        return;
    }
    sim_tx *tx = sim_tx_new();
    tx->kind = SIM_TX_SET_KEY;
    tx->from = id;
    tx->key[0] = 1;
    sim_actor_set_low_key(&run->actors[id], block / run->p.interval + 1);
    sim_chain_submit(&run->chain, tx, block + 1);
}

void sim_faults_step(sim_run *run, uint64_t block) {
    const sim_faults *f = &run->cfg.faults;
    if (f->offline) {
        fault_offline(run, block);
    }
    if (f->partitions) {
        fault_partition(run, block);
    }
    if (f->outages) {
        fault_outage(run, block);
    }
    if (f->short_reorgs && sim_rng_pm(&run->rng_fault, 1000 / (uint32_t)run->p.interval)) {
        sim_reorg(run, 1 + sim_rng_below(&run->rng_fault, run->p.confirmations), true);
    }
    if (f->deep_reorg && !run->deep_reorged && run->genesis_epoch != 0 &&
        block > sim_chain_trigger(&run->chain, run->genesis_epoch + 2) &&
        sim_rng_pm(&run->rng_fault, 1000 / (uint32_t)run->p.interval)) {
        sim_reorg(run, run->p.confirmations + 1 + sim_rng_below(&run->rng_fault, 3),
                  sim_rng_below(&run->rng_fault, 2) == 0);
    }
    if (f->churn) {
        fault_churn(run, block);
    }
    if (f->bad_keys) {
        fault_bad_key(run, block);
    }
    run->chain.capacity = 0;
    if (f->congestion) {
        uint64_t in_epoch = block % run->p.interval;
        bool near = in_epoch % 6 >= 4; /* the last blocks of each 6-block window */
        run->chain.capacity = near ? 2 : 0;
        if (near) {
            sim_mark_unfair(run, block);
        }
    }
}

/* ---- accounting, recoverability -------------------------------------------------------- */

static bool holds(const sim_actor *a, const sim_vinfo *vi) {
    for (uint32_t k = 0; k < a->held_count; k++) {
        if (a->held_version[k] != vi->version) {
            continue;
        }
        if (a->held_status[k] == TKMS_PROTO_VERSION_ACTIVE ||
            memcmp(a->held_hash[k], vi->state_hash, 32) == 0) {
            return true;
        }
    }
    return false;
}

/* "Computable" (protocol.md §4 step 7, §7): held (active, or pending with the winning
   hash), or derivable from what it persisted plus the openings: every dealer of D either
   opened this player's share or is among the components it persisted for that epoch
   (public openings alone suffice for a player that never acked). */
static bool computable(const sim_actor *a, const sim_vinfo *vi) {
    if (holds(a, vi)) {
        return true;
    }
    for (uint32_t j = 0; j < vi->n; j++) {
        if (vi->op[j] == a->id) {
            uint64_t mine = a->sum_cur_epoch == vi->version ? a->sum_have_component
                            : a->sum_late_epoch == vi->version ? a->sum_late_have
                                                                : 0;
            return ((vi->opened_to[j] | mine) & vi->dealers) == vi->dealers;
        }
    }
    return false;
}

static void dump_holders(sim_run *run, const uint64_t *retained, uint32_t count) {
    for (uint32_t i = 0; i < count && i < 64; i++) {
        const sim_vinfo *vi = sim_chain_vinfo(&run->chain, retained[i]);
        for (uint32_t a = 0; a < run->actor_count; a++) {
            const sim_actor *act = &run->actors[a];
            sim_log(run, 1,
                    "  v%llu t=%u actor %u: %s status %d registered %d held %d "
                    "computable %d cur %llu have %016llx",
                    (unsigned long long)vi->version, vi->t, a,
                    act->malicious ? "malicious" : "honest", (int)act->status,
                    (int)sim_chain_is_registered(&run->chain, a), (int)holds(act, vi),
                    (int)computable(act, vi), (unsigned long long)act->sum_cur_epoch,
                    (unsigned long long)act->sum_have_component);
        }
    }
}

/* Attributes a recoverability failure: holders of the genesis version removed while it was
   being created, a removal in the last blocks, or a node dropping a computable share. */
static void recoverability_fail(sim_run *run, const uint64_t *retained, uint32_t count,
                                int32_t best) {
    bool removed = false, genesis = false;
    const sim_vinfo *g = count == 1 ? sim_chain_vinfo(&run->chain, retained[0]) : NULL;
    uint64_t g_fin = run->chain.fin_count > 0 ? run->chain.fin[0].block : 0;
    for (uint32_t j = 0; g != NULL && g->source == TKMS_PROTO_DKG_SOURCE && j < g->n; j++) {
        uint64_t at = run->removed_at[g->op[j]];
        genesis |= at > sim_chain_trigger(&run->chain, g->version) && at <= g_fin;
    }
    for (uint32_t a = 0; a < run->actor_count && !genesis; a++) {
        removed |= run->removed_at[a] != 0 && run->removed_at[a] + 2 >= run->chain.height;
    }
    if (run->cfg.verbose > 0) {
        dump_holders(run, retained, count);
    }
    sim_fail(run,
             "recoverability: no retained version has t(v) shares on live honest "
             "operators (best margin %d, |C| = %u)%s",
             best, count,
             genesis   ? " [holders of the genesis version were removed while it was being "
                         "created]"
             : removed ? " [after the registry removed an operator]"
                       : " [a share computable but not held was dropped]");
}

static void recoverability(sim_run *run) {
    uint64_t retained[64];
    uint64_t h = run->chain.height - run->p.confirmations;
    uint32_t count = sim_chain_retained_at(&run->chain, h, retained, 64);
    if (count == 0 || run->deep_reorged) {
        return;
    }
    if (count > run->res.max_retained) {
        run->res.max_retained = count;
    }
    int32_t best = INT32_MIN, best_held = INT32_MIN;
    for (uint32_t i = 0; i < count && i < 64; i++) {
        const sim_vinfo *vi = sim_chain_vinfo(&run->chain, retained[i]);
        int32_t have = 0, held = 0;
        for (uint32_t a = 0; a < run->actor_count; a++) {
            const sim_actor *act = &run->actors[a];
            /* registered or not: an ejected operator keeps its shares until the version
               leaves C (I5), and the owner can re-allow it (docs/decisions.md) */
            if (!act->malicious && act->status != SIM_HALTED && act->st != NULL) {
                have += computable(act, vi) ? 1 : 0;
                held += holds(act, vi) ? 1 : 0;
            }
        }
        best = have - (int32_t)vi->t > best ? have - (int32_t)vi->t : best;
        best_held = held - (int32_t)vi->t > best_held ? held - (int32_t)vi->t : best_held;
    }
    if (best != run->last_margin) {
        sim_log(run, 2, "recoverability margin %d (held %d)", best, best_held);
        run->last_margin = best;
    }
    run->res.min_margin = best < run->res.min_margin ? best : run->res.min_margin;
    if (best_held < run->res.min_margin_held) {
        run->res.min_margin_held = best_held;
    }
    if (best < 0) {
        recoverability_fail(run, retained, count, best);
    }
}

void sim_live_epoch_end(sim_run *run, uint64_t epoch);

void sim_live_block(sim_run *run, uint64_t block) {
    uint64_t e = block / run->p.interval;
    size_t k = slot_of(e);
    if (run->disrupted_epoch[k] != e) {
        run->disrupted_epoch[k] = e;
        run->disrupted[k] = run->disrupted_hi[k] = 0;
        run->epoch_unfair[k] = false;
    }
    if (block % run->p.interval <= run->p.confirm + run->p.confirmations) {
        for (uint32_t i = 0; i < run->actor_count; i++) {
            if (!sim_actor_functional(run, &run->actors[i])) {
                mark_disrupted(run, e, i);
            }
        }
        if (run->outage || run->partitioned || run->chain.halted) {
            run->epoch_unfair[k] = true;
        }
    }
    recoverability(run);
    uint64_t done = run->p.confirm + run->p.confirmations + 1;
    if (block >= done && (block - done) % run->p.interval == 0 && !run->res.failed) {
        sim_live_epoch_end(run, (block - done) / run->p.interval);
    }
}

/* ---- liveness ------------------------------------------------------------------------- */

typedef struct {
    uint32_t malicious, healthy, holders, held;
} epoch_census;

static epoch_census census(sim_run *run, const sim_erec *r) {
    epoch_census c = {0, 0, 0, 0};
    const sim_vinfo *src =
        r->source == TKMS_PROTO_DKG_SOURCE ? NULL : sim_chain_vinfo(&run->chain, r->source);
    for (uint32_t i = 0; i < r->n; i++) {
        const sim_actor *a = &run->actors[r->op[i]];
        if (a->malicious) {
            c.malicious++;
            continue;
        }
        if (was_disrupted(run, r->epoch, a->id) || a->status == SIM_HALTED ||
            sim_actor_low_key(a, r->epoch)) {
            continue;
        }
        c.healthy++;
        if (src != NULL && computable(a, src)) {
            c.holders++;
        }
        if (src != NULL && holds(a, src)) {
            c.held++;
        }
    }
    return c;
}

void sim_live_epoch_end(sim_run *run, uint64_t epoch) {
    const sim_erec *r = sim_chain_snapshot(&run->chain, epoch);
    if (r == NULL || run->disrupted_epoch[slot_of(epoch)] != epoch) {
        return; /* inactive epoch */
    }
    bool finalized = r->final_blk != 0;
    run->res.epochs_total++;
    run->res.node_epochs += r->n;
    run->res.epochs_finalized += finalized ? 1u : 0u;
    if (finalized) {
        run->res.finalized_mask_hash =
            run->res.finalized_mask_hash * 1000003u ^ epoch ^ (r->win_d * 0x9e3779b97f4a7c15ull);
    }
    if (run->deep_reorged || run->cfg.expect_halt) {
        return;
    }
    epoch_census c = census(run, r);
    bool dkg = r->source == TKMS_PROTO_DKG_SOURCE;
    bool fair = !run->epoch_unfair[slot_of(epoch)] && c.malicious <= (r->n - 1) / 3;
    bool others = fair && !run->no_liveness && c.healthy >= r->t;
    bool expected = others && (dkg || c.holders >= r->source_t);
    if (expected) {
        run->res.epochs_expected++;
        if (!finalized) {
            size_t k = slot_of(epoch);
            bool late = run->late_acks_epoch[k] == epoch && run->late_acks[k] > 0;
            bool unheld = !dkg && c.held < r->source_t;
            sim_fail(run,
                     "liveness: epoch %llu did not finalize although %u of n = %u honest "
                     "operators were up (t' = %u)%s%s%s",
                     (unsigned long long)epoch, c.healthy, r->n, r->t,
                     dkg ? "" : ", enough of them holding or able to compute the source",
                     late ? " [honest acks missed the ack deadline]" : "",
                     unheld ? " [source share computable but not held]" : "");
            return;
        }
        run->res.epochs_expected_ok++;
    }
    if (finalized || !others || dkg) {
        run->fallback_streak = 0;
        return;
    }
    uint64_t retained[64];
    uint32_t size = sim_chain_retained_at(&run->chain, run->chain.height, retained, 64);
    run->fallback_streak++;
    if (run->fallback_streak > (uint64_t)run->p.patience * size) {
        sim_fail(run,
                 "liveness: %llu epochs without finalization from a bricked source; the "
                 "fallback should recover within k·|C| = %llu",
                 (unsigned long long)run->fallback_streak,
                 (unsigned long long)run->p.patience * size);
    }
}
