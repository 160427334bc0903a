/*
 * scenarios.c — named scenarios: the four reference incidents of protocol.md §2, the
 * adversaries and situations of §7, operator-set changes of §6, and regressions for
 * state-machine bugs the simulator found. Each one fixes n, the adversary, the faults and
 * a script of events (a hook called at the start of every block); the seed still drives
 * everything else. A scenario may add a final check (`finish`) that it really exercised
 * what it is named after. All checkers of run.c stay on in every scenario.
 * Spec: protocol.md §2, §6, §7.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "sim.h"

static uint64_t trig(const sim_run *run, uint64_t e) {
    return e * run->p.interval;
}

/* n actors, `mal` of them malicious with `strategy`, all allowed and registered at blocks
   5-6 and startGenesis at block 7 (first epoch 1; blocks 1-4 are the deployment). */
static void population(sim_run *run, uint32_t n, uint32_t mal, sim_adv strategy) {
    run->n0 = n;
    if (n < run->p.min_operators) {
        run->p.min_operators = n;
        run->chain.p.min_operators = n;
    }
    for (uint32_t i = 0; i < n; i++) {
        sim_actor_add(run, false);
    }
    for (uint32_t k = 0; k < mal; k++) {
        uint32_t id;
        do {
            id = (uint32_t)sim_rng_below(&run->rng_adv, n);
        } while (run->actors[id].malicious);
        run->actors[id].malicious = true;
        run->actors[id].strategy = strategy;
    }
    for (uint32_t i = 0; i < n; i++) {
        sim_actor_join(run, i, SIM_SETUP_BLOCK);
    }
    sim_owner_tx(run, SIM_TX_GENESIS, 0, SIM_SETUP_BLOCK + 2);
}

static uint32_t first_honest(const sim_run *run, uint32_t skip) {
    for (uint32_t i = 0; i < run->actor_count; i++) {
        if (!run->actors[i].malicious && skip-- == 0) {
            return i;
        }
    }
    TKMS_ASSERT(false);
    return 0;
}

static void down(sim_run *run, uint32_t id, uint64_t until) {
    sim_actor *a = &run->actors[id];
    if (a->status == SIM_UP) {
        sim_node_crash(run, a, until);
        a->offline_planned = true;
    }
}

static void light_faults(sim_run *run) {
    run->cfg.faults.msg_delay_max = 2;
    run->cfg.faults.msg_dup_pm = 50;
}

/* ---- the reference incidents (protocol.md §2) ------------------------------------------ */

/* A node one version behind: it decides epoch 3 then misses two finalizations; back in
   epoch 5 it holds v3 while the network reshares from v4. It must not deal from v3, must
   activate or erase exactly per the chain, and every checker must hold. */
static void hook_one_behind(sim_run *run, uint64_t block) {
    if (block == trig(run, 3) + run->p.open + run->p.confirmations + 2) {
        down(run, (uint32_t)run->sc[0], trig(run, 5) + run->p.commit - 1);
    }
}

static void setup_one_behind(sim_run *run) {
    run->cfg.epochs = 7;
    light_faults(run);
    population(run, 7, 0, SIM_ADV_HONEST);
    run->sc[0] = first_honest(run, 0);
    run->hook = hook_one_behind;
}

/* Dealers seen differently because of timing: lagging RPCs, slow inclusion, and a dealer
   whose transactions all land in the last block of their window. D is decided from chain
   data at the cutoff, so every node computes the same one. */
static void setup_timing_dealers(sim_run *run) {
    run->cfg.epochs = 6;
    run->cfg.faults.lag_pm = 500;
    run->cfg.faults.lag_max = 3;
    run->cfg.faults.tx_delay_max = 2;
    run->cfg.faults.msg_delay_max = 3;
    run->no_liveness = true; /* inclusion delays beyond the window are allowed here */
    population(run, 7, 2, SIM_ADV_LATE);
}

/* A >= t' subset split: 5 of 7 and 2 of 7 cannot reach each other for epoch 2's commit,
   reveal and ack phases; the chain is shared. Only dealers every player acked or had
   opened qualify, from chain data. */
static void hook_subset_split(sim_run *run, uint64_t block) {
    if (block == trig(run, 2)) {
        run->partitioned = true;
        for (uint32_t i = 0; i < run->actor_count; i++) {
            run->partition[i] = i < 5 ? 0 : 1;
        }
    }
    if (block == trig(run, 2) + run->p.ack + 1) {
        run->partitioned = false;
    }
}

static void setup_subset_split(sim_run *run) {
    run->cfg.epochs = 4;
    light_faults(run);
    population(run, 7, 0, SIM_ADV_HONEST);
    run->hook = hook_subset_split;
}

/* A partition that leaves two honest players acking only malicious dealers (protocol.md
   §7): through epoch 2's commit, reveal and ack phases they reach only the two adversaries
   (who reach everyone), so they ack the adversaries and themselves. The three other honest
   dealers open their shares (2 <= r), the two cut-off dealers need 3 openings and are out:
   D = 3 honest + 2 malicious. Both players' new shares are then known to the adversary
   (every component either dealt by it or opened): 2 + 2 = 4 < t = 5, checked by the
   oracle; the epoch finalizes. */
static void hook_malicious_only(sim_run *run, uint64_t block) {
    if (block == trig(run, 2)) {
        run->partitioned = true;
        for (uint32_t i = 0; i < run->actor_count; i++) {
            run->partition[i] = run->actors[i].malicious ? SIM_PARTITION_BRIDGE : 0;
        }
        run->partition[first_honest(run, 0)] = 1;
        run->partition[first_honest(run, 1)] = 1;
    }
    if (block == trig(run, 2) + run->p.ack + 1) {
        run->partitioned = false;
    }
}

static void finish_malicious_only(sim_run *run) {
    const sim_erec *r = sim_chain_erec(&run->chain, 2);
    if (r == NULL || r->final_blk == 0 || sim_popcount(r->win_d) != 5) {
        sim_fail(run, "scenario: epoch 2 should finalize with the 3 reachable honest dealers "
                      "and the 2 adversaries");
    }
}

static void setup_malicious_only(sim_run *run) {
    run->cfg.epochs = 4;
    population(run, 7, 2, SIM_ADV_HONEST);
    run->hook = hook_malicious_only;
}

/* Peers' views used as inputs: heavy loss, duplicated and failed fetches, and two
   adversaries that deliver selectively, push wrong records or flood garbage first. */
static void setup_peer_views(sim_run *run) {
    run->cfg.epochs = 5;
    run->cfg.faults.msg_delay_max = 3;
    run->cfg.faults.msg_loss_pm = 200;
    run->cfg.faults.msg_dup_pm = 200;
    run->cfg.faults.fetch_fail_pm = 300;
    run->no_liveness = true;
    population(run, 7, 2, SIM_ADV_COUNT);
}

/* ---- adversaries ---------------------------------------------------------------------- */

/* Rushing dealer at genesis with n − t' honest operators offline: it commits, then tries to
   reveal commitments built from the honest ones (so S would be its choice). The contract
   recomputes the record hash and refuses; S is not its target. */
static void hook_rushing(sim_run *run, uint64_t block) {
    if (block == SIM_SETUP_BLOCK) {
        down(run, first_honest(run, 0), trig(run, 2));
        down(run, first_honest(run, 1), trig(run, 2));
    }
}

static void finish_rushing(sim_run *run) {
    if (run->rush_attempts == 0 || run->res.adv_reverts[SIM_R_RECORD_HASH_MISMATCH] == 0) {
        sim_fail(run, "scenario: the rushing reveal was not attempted or not refused");
    }
    for (uint32_t i = 0; i < run->actor_count; i++) {
        const sim_actor *a = &run->actors[i];
        if (a->malicious && a->adv.rushed && run->has_master &&
            tkms_bls_fr_equal(&a->adv.rush_target, &run->master_secret)) {
            sim_fail(run, "secrecy: the rushing dealer chose the master key");
        }
    }
}

static void setup_rushing(sim_run *run) {
    run->cfg.epochs = 3;
    population(run, 7, 1, SIM_ADV_RUSH);
    run->hook = hook_rushing;
}

/* Openings beyond the cap: three honest players are offline in epoch 2 (r = 2), so honest
   dealers would need 3 openings: they post none and the epoch fails; the adversary tries
   more than r openings and openings of players that acked (refused by the contract). */
static void hook_openings(sim_run *run, uint64_t block) {
    if (block == trig(run, 2) - 1) {
        for (uint32_t k = 0; k < 3; k++) {
            down(run, first_honest(run, k), trig(run, 3) - 1);
        }
    }
}

static void finish_openings(sim_run *run) {
    if (run->res.adv_reverts[SIM_R_OPENING_NOT_NEEDED] +
            run->res.adv_reverts[SIM_R_OPENING_CAP_EXCEEDED] ==
        0) {
        sim_fail(run, "scenario: no opening beyond the cap was attempted");
    }
}

static void setup_openings(sim_run *run) {
    run->cfg.epochs = 4;
    population(run, 7, 1, SIM_ADV_OPEN_MANY);
    run->hook = hook_openings;
}

/* An honest operator restored from a backup taken at epoch e's trigger, after it acked in
   e: it holds the older versions but not e's components, and it acked (so nobody opened
   its share): it cannot compute its share of e. */
static void restore_backup(sim_run *run, uint32_t id, uint64_t e, uint64_t block) {
    sim_actor *a = &run->actors[id];
    size_t len = tkms_proto_state_encoded_bytes();
    if (block == trig(run, e) + 1) {
        if (run->backup == NULL) {
            run->backup = malloc(len);
            TKMS_ASSERT(run->backup != NULL);
        }
        memcpy(run->backup, a->persisted, len);
        run->backup_block_id = a->persisted_block_id;
    }
    if (block == trig(run, e) + run->p.ack + 3 && run->backup != NULL) {
        down(run, id, trig(run, e + 1));
        memcpy(a->persisted, run->backup, len);
        a->persisted_block_id = run->backup_block_id;
        sim_log(run, 1, "actor %u restored from its backup of block %llu", id,
                (unsigned long long)(trig(run, e) + 1));
    }
}

/* Pivotal holder refusing after finalization: n = 4; in epoch 2 an honest operator acks and
   then loses its epoch-2 state (backup restore), so v2 finalizes with the adversary as its
   third holder; the adversary then refuses forever. v2 is bricked for dealing; the source
   walks back to v1 (still in C) within k·|C| epochs. */
static void hook_pivotal(sim_run *run, uint64_t block) {
    restore_backup(run, (uint32_t)run->sc[0], 2, block);
}

static void finish_pivotal(sim_run *run) {
    if (run->res.max_retained < 2 || run->chain.fin_count < 3) {
        sim_fail(run, "scenario: no fallback to an older retained version happened");
    }
}

static void setup_pivotal(sim_run *run) {
    run->cfg.epochs = 7;
    run->refuse_from = 2;
    population(run, 4, 1, SIM_ADV_REFUSE);
    run->sc[0] = first_honest(run, 0);
    run->hook = hook_pivotal;
}

/* Bricked successors in a row: n = 7 with two adversaries refusing from v2 and from v5
   respectively, and one honest operator restored from a backup in epochs 2 and 5: v2 and
   v5 finalize and are bricked; the source walks back through C to v1, and C grows to 3
   versions or more (|C| > 3 raises the operator alert). */
static void hook_bricked(sim_run *run, uint64_t block) {
    restore_backup(run, (uint32_t)run->sc[0], 2, block);
    restore_backup(run, (uint32_t)run->sc[0], 5, block);
}

static void finish_bricked(sim_run *run) {
    if (run->res.max_retained < 3) {
        sim_fail(run, "scenario: |C| never grew past 2 (max %u)", run->res.max_retained);
    }
}

static void setup_bricked(sim_run *run) {
    run->cfg.epochs = 12;
    population(run, 7, 2, SIM_ADV_REFUSE);
    uint32_t k = 0;
    for (uint32_t i = 0; i < run->actor_count; i++) {
        if (run->actors[i].malicious) {
            run->actors[i].refuse_from = k++ == 0 ? 2 : 5;
        }
    }
    run->sc[0] = first_honest(run, 0);
    run->hook = hook_bricked;
}

/* Confirmations racing the next trigger: the tightest allowed interval (confirm + c + 1)
   and every honest confirmation landing in the last block of the confirm window. */
static void setup_confirm_race(sim_run *run) {
    run->cfg.epochs = 6;
    run->p.interval = run->p.confirm + run->p.confirmations + 1;
    run->chain.p.interval = run->p.interval;
    run->confirm_at_deadline = true;
    population(run, 7, 1, SIM_ADV_FRONTRUN);
}

/* Staggered registration: one operator registers per epoch; the owner tries startGenesis
   after the first (refused: below min_operators) and again once 4 are in. Before that no
   epoch is active: the adversary's early commits and confirms revert. */
static void hook_staggered(sim_run *run, uint64_t block) {
    uint64_t e = block / run->p.interval;
    if (block % run->p.interval == 2 && e >= 1 && e < run->n0) {
        sim_actor_join(run, (uint32_t)e, block);
    }
    if (block == SIM_SETUP_BLOCK + 3 || block == trig(run, 4) + 3) {
        sim_owner_tx(run, SIM_TX_GENESIS, 0, block);
    }
    sim_actor *adv = &run->actors[run->sc[0]];
    if (block % run->p.interval == 3 && e >= 1 && e < 4 && adv->st != NULL) {
        for (int k = 0; k < 2; k++) {
            sim_tx *tx = sim_tx_new();
            tx->kind = k == 0 ? SIM_TX_COMMIT : SIM_TX_CONFIRM;
            tx->from = adv->id;
            tx->epoch = e;
            tx->mpk[0] = 0xa7;
            sim_chain_submit(&run->chain, tx, block + (k == 0 ? 0 : run->p.open));
        }
    }
}

static void finish_staggered(sim_run *run) {
    if (run->res.owner_reverts[SIM_R_BELOW_MIN_OPERATORS] == 0 ||
        run->res.adv_reverts[SIM_R_EPOCH_BEFORE_GENESIS] == 0 || run->genesis_epoch < 4) {
        sim_fail(run, "scenario: genesis by the first registrant was not refused");
    }
}

static void setup_staggered(sim_run *run) {
    uint32_t n = 5;
    run->n0 = n;
    run->cfg.epochs = 3;
    for (uint32_t i = 0; i < n; i++) {
        sim_actor_add(run, i == 0);
        run->actors[i].strategy = SIM_ADV_SILENT;
    }
    run->sc[0] = 0;
    sim_actor_join(run, 0, SIM_SETUP_BLOCK);
    run->hook = hook_staggered;
}

/* ---- faults, keys and outages ----------------------------------------------------------- */

/* A failed epoch followed by missing epoch keys: an outage spans epoch 2's cutoff (it
   fails); the keys two operators publish for epoch 3 land only after epoch 3's trigger, and
   a third sets a low-order key. Their shares must be opened, and the keys that land late
   must still be usable when epoch 4 pins them. */
static void hook_failed_keys(sim_run *run, uint64_t block) {
    uint64_t b2 = trig(run, 2), b3 = trig(run, 3);
    run->outage = block >= b2 + run->p.ack - 1 && block <= b2 + run->p.open + 3;
    if (block == b2 + 1) {
        run->sc[1] = 1; /* delay the next SET_KEY of the first two honest operators */
    }
    for (size_t i = 0; i < run->chain.mempool_count && run->sc[1]; i++) {
        sim_tx *tx = run->chain.mempool[i];
        if (tx->kind == SIM_TX_SET_KEY && tx->epoch == 2 && tx->ready <= b3 &&
            (tx->from == first_honest(run, 0) || tx->from == first_honest(run, 1))) {
            tx->ready = b3 + 3;
        }
    }
    if (block == b2 + run->p.open + 5) {
        sim_tx *tx = sim_tx_new();
        tx->kind = SIM_TX_SET_KEY;
        tx->from = first_honest(run, 2);
        tx->key[0] = 1; /* u = 1: low order */
        sim_actor_set_low_key(&run->actors[tx->from], 3);
        sim_chain_submit(&run->chain, tx, block + 1);
    }
}

static void setup_failed_keys(sim_run *run) {
    run->cfg.epochs = 5;
    population(run, 7, 0, SIM_ADV_HONEST);
    run->hook = hook_failed_keys;
}

/* One operator offline for 5 epochs, then back (its versions left C meanwhile). */
static void hook_offline5(sim_run *run, uint64_t block) {
    if (block == trig(run, 2)) {
        down(run, (uint32_t)run->sc[0], trig(run, 7) + 1);
    }
}

static void setup_offline5(sim_run *run) {
    run->cfg.epochs = 9;
    light_faults(run);
    population(run, 7, 0, SIM_ADV_HONEST);
    run->sc[0] = first_honest(run, 0);
    run->hook = hook_offline5;
}

/* A dealer withholding its record from one player (and refusing its fetches): that player
   cannot ack it, the dealer opens the player's share, and still qualifies. */
static void setup_withhold(sim_run *run) {
    run->cfg.epochs = 4;
    light_faults(run);
    run->withhold_count = 1;
    population(run, 7, 1, SIM_ADV_WITHHOLD);
}

/* Chain (RPC) outage spanning a cutoff: nobody sees blocks or submits from epoch 2's ack
   deadline to after its cutoff. */
static void hook_outage(sim_run *run, uint64_t block) {
    uint64_t b = trig(run, 2);
    run->outage = block >= b + run->p.ack - 2 && block <= b + run->p.open + 4;
}

static void setup_outage(sim_run *run) {
    run->cfg.epochs = 4;
    light_faults(run);
    population(run, 7, 0, SIM_ADV_HONEST);
    run->hook = hook_outage;
}

/* A reorg deeper than `confirmations` after nodes acted on the orphaned blocks: every such
   node must halt (the machine refuses an older view, the driver a changed final block);
   none may act on the new branch silently. */
static void hook_deep_reorg(sim_run *run, uint64_t block) {
    if (block == trig(run, 2) + run->p.reveal + 3) {
        sim_reorg(run, run->p.confirmations + 3, run->sc[0] != 0);
    }
}

static void finish_deep_reorg(sim_run *run) {
    if (run->res.halts == 0) {
        sim_fail(run, "scenario: no node halted after a reorg deeper than confirmations");
    }
}

static void setup_deep_reorg(sim_run *run) {
    run->cfg.epochs = 3;
    run->cfg.expect_halt = true;
    run->sc[0] = run->cfg.seed % 2; /* odd seeds: the new branch is as long at once */
    population(run, 7, 0, SIM_ADV_HONEST);
    run->hook = hook_deep_reorg;
}

/* Short reorgs (<= confirmations) at every phase deadline, including the ack deadline. */
static void hook_short_reorgs(sim_run *run, uint64_t block) {
    uint64_t in = block % run->p.interval;
    if (in == run->p.ack + 1 || in == run->p.reveal + 1 || in == run->p.open + 1) {
        sim_reorg(run, run->p.confirmations, true);
    }
}

static void setup_short_reorgs(sim_run *run) {
    run->cfg.epochs = 5;
    population(run, 7, 0, SIM_ADV_HONEST);
    run->hook = hook_short_reorgs;
}

/* Crashes at every kind of step (1 in 4 steps with actions), quick restarts. */
static void setup_crashes(sim_run *run) {
    run->cfg.epochs = 5;
    run->cfg.faults.crash_pm = 250;
    run->cfg.faults.restart_max = 3;
    light_faults(run);
    population(run, 7, 0, SIM_ADV_HONEST);
}

/* ---- operator-set changes (§6) ----------------------------------------------------------- */

/* Adds `per_epoch` operators at the start of each epoch from `from` until n reaches
   sc[0], or removes one per epoch down to sc[0] (sc[1] = 1). */
static void hook_resize(sim_run *run, uint64_t block) {
    uint64_t e = block / run->p.interval;
    if (block % run->p.interval != 2 || e < 2) {
        return;
    }
    uint32_t n = sim_chain_active_count(&run->chain);
    if (run->sc[1] == 0 && n < run->sc[0]) {
        for (uint64_t k = 0; k < run->sc[2] && n + k < run->sc[0]; k++) {
            sim_actor_join(run, sim_actor_add(run, false), block);
        }
    } else if (run->sc[1] == 1 && n > run->sc[0]) {
        for (uint32_t i = run->actor_count; i > 0; i--) {
            if (sim_chain_is_registered(&run->chain, i - 1) && !run->actors[i - 1].malicious) {
                sim_owner_tx(run, SIM_TX_DEREGISTER, i - 1, block);
                break;
            }
        }
    }
}

static void finish_resize(sim_run *run) {
    uint32_t n = sim_chain_active_count(&run->chain);
    if (n != run->sc[0]) {
        sim_fail(run, "scenario: operator set is %u, expected %llu", n,
                 (unsigned long long)run->sc[0]);
    }
}

static void setup_resize(sim_run *run, uint32_t from, uint32_t to, uint32_t per_epoch,
                         uint64_t epochs) {
    run->cfg.epochs = epochs;
    light_faults(run);
    population(run, from, 0, SIM_ADV_HONEST);
    run->sc[0] = to;
    run->sc[1] = to < from ? 1 : 0;
    run->sc[2] = per_epoch;
    run->hook = hook_resize;
}

static void setup_grow_4_7(sim_run *run) {
    setup_resize(run, 4, 7, 1, 6);
}

static void setup_grow_7_13(sim_run *run) {
    setup_resize(run, 7, 13, 2, 6);
}

static void setup_shrink_10_7(sim_run *run) {
    setup_resize(run, 10, 7, 1, 7);
}

/* A join and a leave before the same trigger. */
static void hook_join_leave(sim_run *run, uint64_t block) {
    if (block == trig(run, 2) + 2) {
        sim_actor_join(run, sim_actor_add(run, false), block);
        sim_owner_tx(run, SIM_TX_EJECT, first_honest(run, 0), block + 1);
    }
}

static void setup_join_leave(sim_run *run) {
    run->cfg.epochs = 5;
    light_faults(run);
    population(run, 7, 0, SIM_ADV_HONEST);
    run->hook = hook_join_leave;
}

/* Full replacement of the genesis operators: five newcomers join (one per epoch), and the
   four genesis operators leave one per epoch once enough newcomers hold shares (the
   registry refuses removing a live holder below t(v) + 1 live holders: the removal is
   retried next epoch). The MPK and S never change (oracle). */
static void hook_replace(sim_run *run, uint64_t block) {
    uint64_t e = block / run->p.interval;
    if (block % run->p.interval != 2 || e < 2) {
        return;
    }
    if (run->sc[1] < 5) {
        sim_actor_join(run, sim_actor_add(run, false), block);
        run->sc[1]++;
    }
    while (run->sc[0] < 4 && !sim_chain_is_registered(&run->chain, (uint32_t)run->sc[0])) {
        run->sc[0]++;
    }
    if (run->sc[1] >= 3 && run->sc[0] < 4) {
        sim_owner_tx(run, SIM_TX_DEREGISTER, (uint32_t)run->sc[0], block + 1);
    }
}

static void finish_replace(sim_run *run) {
    for (uint32_t i = 0; i < 4; i++) {
        if (sim_chain_is_registered(&run->chain, i)) {
            sim_fail(run, "scenario: genesis operator %u is still registered", i);
        }
    }
}

static void setup_replace(sim_run *run) {
    run->cfg.epochs = 18;
    population(run, 4, 0, SIM_ADV_HONEST);
    run->hook = hook_replace;
}

/* Ejections of silent operators during the confirm phase (refused: membership frozen),
   then after the trigger (accepted), at n = 31 or 64. */
static void hook_eject_silent(sim_run *run, uint64_t block) {
    if (block == trig(run, 2) + run->p.open + 2 || block == trig(run, 3) + 1) {
        for (uint32_t k = 0; k < 3; k++) {
            sim_owner_tx(run, SIM_TX_EJECT, first_honest(run, k), block);
        }
    }
    if (block == SIM_SETUP_BLOCK) {
        for (uint32_t k = 0; k < 3; k++) {
            down(run, first_honest(run, k), UINT64_MAX);
        }
    }
}

static void finish_eject_silent(sim_run *run) {
    if (run->res.owner_reverts[SIM_R_MEMBERSHIP_FROZEN] == 0 ||
        sim_chain_is_registered(&run->chain, first_honest(run, 0))) {
        sim_fail(run, "scenario: ejection not frozen in the confirm phase or not done later");
    }
}

static void setup_eject31(sim_run *run) {
    run->cfg.epochs = 4;
    population(run, 31, 0, SIM_ADV_HONEST);
    run->hook = hook_eject_silent;
}

static void setup_eject64(sim_run *run) {
    run->cfg.epochs = 3;
    population(run, 64, 0, SIM_ADV_HONEST);
    run->hook = hook_eject_silent;
}

static void setup_n1(sim_run *run) {
    run->cfg.epochs = 5;
    light_faults(run);
    population(run, 1, 0, SIM_ADV_HONEST);
}

static void setup_n2(sim_run *run) {
    run->cfg.epochs = 5;
    light_faults(run);
    population(run, 2, 0, SIM_ADV_HONEST);
}

static void setup_n3(sim_run *run) {
    run->cfg.epochs = 5;
    light_faults(run);
    population(run, 3, 0, SIM_ADV_HONEST);
}

/* ---- regressions for state-machine findings ---------------------------------------------- */

/* A withholding dealer makes every honest player wait for its record until "halfway
   through the ack window" in final-height terms; the ack then needs to land within
   confirmations + 1 blocks. With a one-block inclusion delay it misses the deadline. */
static void setup_ack_timing(sim_run *run) {
    run->cfg.epochs = 4;
    run->cfg.faults.tx_delay_max = 1;
    population(run, 7, 1, SIM_ADV_WRONG_PUSH);
}

/* A node back after the confirm deadline of an epoch that did not finalize: it must not
   keep (or create) a pending share past that deadline (§5). */
static void hook_pending_erasure(sim_run *run, uint64_t block) {
    uint64_t b = trig(run, 2);
    run->outage = block >= b + run->p.ack + 1 && block <= b + run->p.confirm + 1;
}

static void setup_pending_erasure(sim_run *run) {
    run->cfg.epochs = 3;
    population(run, 4, 0, SIM_ADV_HONEST);
    run->hook = hook_pending_erasure;
}

/* The share of an operator that was down for a whole epoch is computable from the
   openings alone (every dealer of D opened it); protocol.md §4 step 7 activates it "also
   late, as soon as it can compute its share". It comes back just after the next trigger.
   With one adversary that refuses after genesis, the network needs that share to ever
   reshare. */
static void hook_late_share(sim_run *run, uint64_t block) {
    if (block == SIM_SETUP_BLOCK) {
        down(run, (uint32_t)run->sc[0], trig(run, 2) + run->p.confirmations + 3);
    }
}

static void setup_late_share(sim_run *run) {
    run->cfg.epochs = 5;
    run->refuse_from = 1;
    population(run, 4, 1, SIM_ADV_REFUSE);
    run->sc[0] = first_honest(run, 0);
    run->hook = hook_late_share;
}

/* One operator of 25 receives no pushed record in epoch 2 (isolated during the reveal
   phase): at the reveal deadline it must fetch 24 records by hash. The step's actions
   (a fetch per missing record, plus PERSIST and the rest) must fit the action list or the
   machine must report TKMS_ERR_PROTO_ACTIONS_FULL — never abort on external input (R6). */
static void hook_fetch_flood(sim_run *run, uint64_t block) {
    uint64_t b = trig(run, 2);
    if (block == b + run->p.commit) {
        run->partitioned = true;
        for (uint32_t i = 0; i < run->actor_count; i++) {
            run->partition[i] = i == run->sc[0] ? 1 : 0;
        }
    }
    if (block == b + run->p.reveal + run->p.confirmations + 1) {
        run->partitioned = false;
    }
}

static void setup_fetch_flood(sim_run *run) {
    run->cfg.epochs = 3;
    population(run, 25, 0, SIM_ADV_HONEST);
    run->sc[0] = first_honest(run, 0);
    run->hook = hook_fetch_flood;
}

/* Two adversaries send malformed transactions of every kind in every block, and the owner
   ejects and re-allows operators at random blocks (freeze, min-operators and live-holder
   guards). With --trace this is the widest input for the anvil differential test. */
static void hook_contract_rules(sim_run *run, uint64_t block) {
    if (block > trig(run, 2) && sim_rng_below(&run->rng_adv, 12) == 0) {
        uint32_t id = (uint32_t)sim_rng_below(&run->rng_adv, run->actor_count);
        sim_owner_tx(run, sim_rng_below(&run->rng_adv, 3) ? SIM_TX_EJECT : SIM_TX_ALLOW, id, block);
    }
}

static void setup_contract_rules(sim_run *run) {
    run->cfg.epochs = 5;
    population(run, 7, 2, SIM_ADV_CHAOS);
    run->hook = hook_contract_rules;
    run->no_liveness = true; /* ejections may take O below what the epoch needs */
}

/* Operators ejected while the genesis epoch runs (allowed: no version is finalized yet, so
   no live-holder guard applies, and the cutoff freeze has not started). Genesis still
   finalizes with their shares, but only 4 of its 7 holders stay registered, below
   t(v1) = 5: epoch 2 cannot reshare. The key is not lost — the ejected operators keep
   their shares while v1 is retained (I5) — and the owner's remedy works: it re-allows them
   after epoch 2 failed, they register again, and epoch 4 reshares from v1
   (docs/decisions.md, "Ejected holders"). */
static void hook_genesis_ejections(sim_run *run, uint64_t block) {
    if (block == trig(run, 1) + run->p.reveal) {
        for (uint32_t k = 0; k < 3; k++) {
            sim_owner_tx(run, SIM_TX_EJECT, first_honest(run, k), block);
        }
    }
    if (block == trig(run, 3) + 2) {
        for (uint32_t k = 0; k < 3; k++) {
            sim_actor_join(run, first_honest(run, k), block);
        }
    }
}

static void finish_genesis_ejections(sim_run *run) {
    const sim_erec *r2 = sim_chain_erec(&run->chain, 2);
    const sim_erec *r4 = sim_chain_erec(&run->chain, 4);
    if (r2 == NULL || r2->final_blk != 0 || r4 == NULL || r4->final_blk == 0 || r4->n != 7 ||
        r4->source != 1) {
        sim_fail(run, "scenario: epoch 2 should fail and epoch 4 reshare v1 with all 7 again");
    }
}

static void setup_genesis_ejections(sim_run *run) {
    run->cfg.epochs = 5;
    population(run, 7, 0, SIM_ADV_HONEST);
    run->hook = hook_genesis_ejections;
}

/* A reshare dealer whose own source share is public (it missed epoch 2's acks, so every
   dealer opened its share: it is in P(v2)) deals in epoch 3 while two honest players miss
   epoch 3's acks (r = 2 openings of its polynomial) and two adversaries ack: f + r = 4
   evaluations plus f(0) = s(v2), public, make t' = 5 points of an honest polynomial.
   protocol.md §4 bounds the adversary at f + r < t' points and forgets the constant. */
static void hook_public_constant(sim_run *run, uint64_t block) {
    if (block == trig(run, 2) - 2) {
        down(run, first_honest(run, 0), trig(run, 2) + run->p.open + run->p.confirmations + 1);
    }
    if (block == trig(run, 3) + run->p.commit + 3) {
        down(run, first_honest(run, 1), trig(run, 4));
        down(run, first_honest(run, 2), trig(run, 4));
    }
}

static void setup_public_constant(sim_run *run) {
    run->cfg.epochs = 4;
    population(run, 7, 2, SIM_ADV_HONEST);
    run->hook = hook_public_constant;
}

/* n = 7 with two adversaries that take part: one honest operator is down for the whole
   genesis epoch, so genesis finalizes with 4 honest and 2 malicious confirmations; the
   missing operator's share is computable from the openings, making exactly t = 5 honest
   holders. It never confirmed, so it is not a "live holder" and the registry lets the owner
   eject it: 4 honest holders remain, below t (the guard counted the adversaries). */
static void hook_eject_offline(sim_run *run, uint64_t block) {
    if (block == SIM_SETUP_BLOCK) {
        down(run, first_honest(run, 0), trig(run, 2));
    }
    if (block == trig(run, 2) + 2) {
        sim_owner_tx(run, SIM_TX_EJECT, first_honest(run, 0), block);
    }
}

static void setup_eject_offline(sim_run *run) {
    run->cfg.epochs = 3;
    population(run, 7, 2, SIM_ADV_HONEST);
    run->hook = hook_eject_offline;
}

/* A failed genesis, then a retry: an RPC outage spans epoch 1's cutoff, so no genesis
   confirmation lands; epoch 2 runs a fresh DKG (nobody holds a version: I3) and succeeds,
   and the MPK is set exactly once. */
static void hook_failed_genesis(sim_run *run, uint64_t block) {
    uint64_t b = trig(run, 1);
    run->outage = block >= b + run->p.ack - 1 && block <= b + run->p.confirm + 3;
}

static void finish_failed_genesis(sim_run *run) {
    const sim_erec *r = sim_chain_erec(&run->chain, 1);
    if (r == NULL || r->final_blk != 0 || run->chain.fin_count == 0 ||
        run->chain.vinfo[0].source != TKMS_PROTO_DKG_SOURCE) {
        sim_fail(run, "scenario: genesis did not fail first and then succeed by a DKG");
    }
}

static void setup_failed_genesis(sim_run *run) {
    run->cfg.epochs = 4;
    light_faults(run);
    population(run, 7, 1, SIM_ADV_COUNT);
    run->hook = hook_failed_genesis;
}

/* ---- every mix of offline and malicious operators within the model (§1, §7) ------------ */

/* n - t': how many of n operators may be malicious or offline together (§1). */
static uint32_t mix_slack(uint32_t n) {
    return n - (2 * n + 2) / 3;
}

/* Mixes at n: b malicious (b <= (n - 1)/3, as the random population) and o honest
   operators offline for the whole run with o + b <= n - t' (the §1 assumption: at least t'
   honest operators up). */
static uint64_t mixes_at(uint32_t n) {
    uint32_t slack = mix_slack(n), b_max = (n - 1) / 3, count = 0;
    for (uint32_t b = 0; b <= b_max && b <= slack; b++) {
        count += slack - b + 1;
    }
    return count;
}

/* Mix number k (modulo the number of mixes) over n = lo..hi, in order of n, b, o. */
static void mix_of(uint64_t k, uint32_t lo, uint32_t hi, uint32_t *n, uint32_t *o,
                   uint32_t *b) {
    uint64_t total = 0;
    for (uint32_t m = lo; m <= hi; m++) {
        total += mixes_at(m);
    }
    TKMS_ASSERT(total > 0);
    k %= total;
    for (*n = lo; k >= mixes_at(*n); (*n)++) {
        k -= mixes_at(*n);
    }
    uint32_t slack = mix_slack(*n);
    for (*b = 0; k > slack - *b; (*b)++) {
        k -= slack - *b + 1;
    }
    *o = (uint32_t)k;
}

/* The hardest mix at n: as many malicious as allowed, the rest of the slack offline. */
static void mix_max_of(uint32_t n, uint32_t *o, uint32_t *b) {
    uint32_t slack = mix_slack(n), b_max = (n - 1) / 3;
    *b = b_max < slack ? b_max : slack;
    *o = slack - *b;
}

static void hook_mix(sim_run *run, uint64_t block) {
    if (block == SIM_SETUP_BLOCK) {
        for (uint32_t k = 0; k < run->sc[1]; k++) {
            down(run, first_honest(run, k), UINT64_MAX);
        }
    }
}

static void finish_mix(sim_run *run) {
    if (run->res.epochs_finalized < run->res.epochs_total) {
        sim_fail(run, "scenario: n = %u with %llu offline and %llu malicious finalized %llu of "
                 "%llu epochs", run->n0, (unsigned long long)run->sc[1],
                 (unsigned long long)run->sc[2], (unsigned long long)run->res.epochs_finalized,
                 (unsigned long long)run->res.epochs_total);
    }
}

/* Seed k runs mix k - 1 of the --nodes range, so `--seeds` equal to the number of mixes
   covers every one (the counts are in docs/simulator.md §4). Malicious operators draw a
   strategy every epoch; every epoch must finalize. */
static void mix_population(sim_run *run, uint32_t n, uint32_t o, uint32_t b) {
    run->cfg.epochs = 3;
    population(run, n, b, SIM_ADV_COUNT);
    run->sc[1] = o;
    run->sc[2] = b;
    run->hook = hook_mix;
    sim_log(run, 1, "mix: n = %u, %u offline, %u malicious", n, o, b);
}

static void setup_mix(sim_run *run) {
    uint32_t lo = run->cfg.nodes, hi = run->cfg.nodes_max > lo ? run->cfg.nodes_max : lo;
    uint32_t n, o, b;
    mix_of(run->cfg.seed - 1, lo, hi, &n, &o, &b);
    mix_population(run, n, o, b);
}

/* Seed k runs n = lo + (k - 1) mod (hi - lo + 1) with its hardest mix: `--nodes 1-64
   --seeds 64` is the sweep of n = 1..64 at the limit of the model. */
static void setup_mix_max(sim_run *run) {
    uint32_t lo = run->cfg.nodes, hi = run->cfg.nodes_max > lo ? run->cfg.nodes_max : lo;
    uint32_t n = lo + (uint32_t)((run->cfg.seed - 1) % (hi - lo + 1ull)), o, b;
    mix_max_of(n, &o, &b);
    mix_population(run, n, o, b);
}

static const sim_scenario SCENARIOS[] = {
    {"one_behind", "incident: a node one version behind", setup_one_behind, NULL},
    {"timing_dealers", "incident: dealers seen differently because of timing", setup_timing_dealers,
     NULL},
    {"subset_split", "incident: a >= t' subset split from the rest", setup_subset_split, NULL},
    {"acking_malicious_only", "partition: two players reach only the adversaries' records",
     setup_malicious_only, finish_malicious_only},
    {"peer_views", "incident: peers' views as inputs (loss, selective delivery)", setup_peer_views,
     NULL},
    {"rushing_genesis", "rushing dealer at genesis with n - t' honest offline", setup_rushing,
     finish_rushing},
    {"openings_cap", "openings beyond the cap", setup_openings, finish_openings},
    {"pivotal_refuse", "pivotal holder refusing after finalization (fallback)", setup_pivotal,
     finish_pivotal},
    {"confirm_race", "confirmations racing the next trigger", setup_confirm_race, NULL},
    {"genesis_first_registrant", "staggered registration, early startGenesis refused",
     setup_staggered, finish_staggered},
    {"failed_genesis", "a failed genesis, then a retry by a fresh DKG", setup_failed_genesis,
     finish_failed_genesis},
    {"failed_then_missing_keys", "failed epoch, then late and low-order epoch keys",
     setup_failed_keys, NULL},
    {"grow_4_7", "operator set grows 4 -> 7", setup_grow_4_7, finish_resize},
    {"grow_7_13", "operator set grows 7 -> 13", setup_grow_7_13, finish_resize},
    {"shrink_10_7", "operator set shrinks 10 -> 7", setup_shrink_10_7, finish_resize},
    {"join_leave", "a join and a leave in one epoch", setup_join_leave, NULL},
    {"replace_genesis", "full replacement of the genesis operators", setup_replace, finish_replace},
    {"eject_silent_31", "ejections of silent operators at n = 31", setup_eject31,
     finish_eject_silent},
    {"eject_silent_64", "ejections of silent operators at n = 64", setup_eject64,
     finish_eject_silent},
    {"n1", "a single operator", setup_n1, NULL},
    {"n2", "two operators", setup_n2, NULL},
    {"n3", "three operators", setup_n3, NULL},
    {"offline_5_epochs", "one operator offline 5 epochs, then back", setup_offline5, NULL},
    {"withhold_one", "a dealer withholding from one player", setup_withhold, NULL},
    {"outage_cutoff", "chain outage spanning a cutoff", setup_outage, NULL},
    {"deep_reorg", "reorg deeper than confirmations: halt, never diverge", setup_deep_reorg,
     finish_deep_reorg},
    {"short_reorgs", "reorgs within confirmations at every deadline", setup_short_reorgs, NULL},
    {"crashes", "crash at any action, restart from the last PERSIST", setup_crashes, NULL},
    {"bricked_in_a_row", "bricked successors in a row, |C| grows to 3", setup_bricked,
     finish_bricked},
    {"ack_timing", "regression: one withholding dealer makes every ack late", setup_ack_timing,
     NULL},
    {"pending_erasure", "regression: pending share past the confirm deadline",
     setup_pending_erasure, NULL},
    {"late_share", "regression: share computable from openings never activated", setup_late_share,
     NULL},
    {"fetch_flood", "regression: more missing records than the action list holds",
     setup_fetch_flood, NULL},
    {"contract_rules", "malformed transactions of every kind, random ejections",
     setup_contract_rules, NULL},
    {"genesis_ejections", "holders ejected while genesis runs, re-allowed later",
     setup_genesis_ejections, finish_genesis_ejections},
    {"public_constant", "a dealer in P(V) (public constant term) deals with r openings",
     setup_public_constant, NULL},
    {"eject_offline_holder", "regression: the guard lets the owner eject a needed holder",
     setup_eject_offline, NULL},
    {"mix", "seed k: mix k of offline and malicious operators within the model, n = --nodes",
     setup_mix, finish_mix},
    {"mix_max", "seed k: n = the k-th of --nodes with as many malicious and offline as allowed",
     setup_mix_max, finish_mix},
};

const sim_scenario *sim_scenarios(size_t *count) {
    *count = sizeof SCENARIOS / sizeof SCENARIOS[0];
    return SCENARIOS;
}

const sim_scenario *sim_scenario_find(const char *name) {
    size_t count;
    const sim_scenario *s = sim_scenarios(&count);
    for (size_t i = 0; i < count; i++) {
        if (strcmp(s[i].name, name) == 0) {
            return &s[i];
        }
    }
    return NULL;
}
