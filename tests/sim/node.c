/*
 * node.c — the honest node's driver around tkms_proto_step (what tkmsd's loop does, with
 * the world replaced by the simulator).
 *
 * Every block an up node polls its RPC for the final block (height − confirmations, maybe
 * lagging), checks that the block it last acted on is still canonical (a deep reorg: a
 * view below it goes to the machine, which must halt; a view above it halts the driver),
 * builds the pinned view with the records it holds whose hash is committed, steps the
 * machine and executes the actions IN ORDER: PERSIST writes the encoded state (and is
 * checked), transactions go to the mempool, records are pushed and fetched by hash.
 * A crash can hit before any action: everything not persisted is lost and nothing after
 * the crash point happened. What it does not do: decide anything itself. Spec: proto.h,
 * protocol.md I4, I6, §7.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tkms_assert.h"
#include "sim.h"

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void sim_node_start(sim_run *run, sim_actor *a) {
    tkms_proto_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.chain_id = run->chain.chain_id;
    memcpy(cfg.epoch_log, run->chain.epoch_log, 20);
    memcpy(cfg.self, a->address, 20);
    cfg.interval = run->p.interval;
    cfg.commit_offset = run->p.commit;
    cfg.reveal_offset = run->p.reveal;
    cfg.ack_offset = run->p.ack;
    cfg.open_offset = run->p.open;
    cfg.confirm_offset = run->p.confirm;
    cfg.confirmations = run->p.confirmations;
    a->st = calloc(1, sizeof *a->st);
    a->persisted = malloc(tkms_proto_state_encoded_bytes());
    TKMS_ASSERT(a->st != NULL && a->persisted != NULL);
    tkms_proto_init(a->st, &cfg, a->ed_seed, a->drbg_seed);
    /* write-ahead: the registration key's private part is durable before register() */
    tkms_proto_state_encode(a->persisted, a->st);
    a->has_persisted = true;
    a->persisted_block_id = run->chain.block_id[0]; /* last_height 0: the genesis block */
    a->status = SIM_UP;
}

void sim_node_crash(sim_run *run, sim_actor *a, uint64_t until) {
    if (a->status != SIM_UP) {
        return;
    }
    a->status = SIM_DOWN;
    a->restart_at = until;
    a->crashes++;
    run->res.crashes++;
    sim_cache_clear(a); /* the peer-side record store is lost too (harsher than a DB) */
    sim_log(run, 2, "actor %u crashes until %llu", a->id, (unsigned long long)until);
}

void sim_node_restart(sim_run *run, sim_actor *a) {
    TKMS_ASSERT(a->status == SIM_DOWN && a->has_persisted);
    tkms_err err = tkms_proto_state_decode(a->st, a->persisted, tkms_proto_state_encoded_bytes());
    if (err != TKMS_OK) {
        sim_fail(run, "actor %u: persisted state does not decode (%s)", a->id, tkms_err_name(err));
        return;
    }
    a->status = SIM_UP;
    a->seen_height = a->st->last_height;
    a->seen_block_id = a->st->last_height <= run->chain.height ? a->persisted_block_id : 0;
    sim_log(run, 2, "actor %u restarts at height %llu", a->id,
            (unsigned long long)a->st->last_height);
}

/* Records the node holds whose record hash is the committed one (protocol.md §8). */
void sim_view_records(sim_run *run, sim_view *w, const sim_actor *a) {
    tkms_proto_chain_view *v = &w->v;
    for (uint32_t i = 0; i < v->n; i++) {
        v->record[i] = NULL;
        v->record_len[i] = 0;
        if (w->pool_index[i] < 0 || !sim_cache_has(a, v->epoch, (uint32_t)w->pool_index[i])) {
            continue;
        }
        const sim_pool *p = sim_pool_for(run, v->epoch, false);
        const sim_record *r = &p->rec[w->pool_index[i]];
        v->record[i] = r->bytes;
        v->record_len[i] = r->len;
    }
}

/* The shared view of height h (built once per height and chain tip). */
sim_view *sim_view_at(sim_run *run, uint64_t h) {
    uint64_t tip = run->chain.block_id[run->chain.height];
    for (int k = 0; k < 2; k++) {
        if (run->view_h[k] == h && run->view_bid[k] == tip) {
            return k == 0 ? run->view : run->view2;
        }
    }
    /* slot 0 holds the common final height, slot 1 lagging or older views */
    int k = h == run->chain.height - run->p.confirmations ? 0 : 1;
    sim_view *w = k == 0 ? run->view : run->view2;
    sim_view_build(w, &run->chain, h);
    for (uint32_t i = 0; i < w->v.n; i++) {
        if (w->v.committed & (1ull << i)) {
            w->pool_index[i] = sim_pool_find(run, w->v.epoch, w->v.record_hash[i]);
        }
    }
    run->view_h[k] = h;
    run->view_bid[k] = tip;
    return w;
}

/* Deep reorg detection as the chain client does it: the block last acted on must still be
   canonical. Returns false when the driver stops the node itself. */
static bool reorg_check(sim_run *run, sim_actor *a, uint64_t final_h, bool *older) {
    *older = false;
    if (!a->seen_any) {
        return true;
    }
    bool canonical = a->seen_height <= run->chain.height &&
                     run->chain.block_id[a->seen_height] == a->seen_block_id;
    if (canonical) {
        return true;
    }
    if (final_h < a->st->last_height) {
        *older = true; /* the machine itself must refuse this view (I6) */
        return true;
    }
    a->status = SIM_HALTED;
    a->halts++;
    run->res.halts++;
    sim_log(run, 1, "actor %u: driver halts: final block %llu was reorged out", a->id,
            (unsigned long long)a->seen_height);
    return false;
}

static void step_node(sim_run *run, sim_actor *a, sim_view *w, bool must_halt) {
    tkms_proto_event ev = {TKMS_PROTO_EV_CHAIN, &w->v};
    sim_view_records(run, w, a);
    memcpy(w->v.own_key_latest, sim_chain_key_at(&run->chain, a->id, w->v.height), 32);
    uint64_t late = tkms_proto_late_wanted(a->st, &w->v);
    w->v.late = NULL; /* the shared view is reused by other nodes */
    if (late != 0 && sim_view_build_past(run->view_late, &run->chain, w->v.height, late)) {
        w->v.late = &run->view_late->v;
    }
    if (late != 0) {
        sim_log(run, 2, "actor %u asks for version %llu late (view %s)", a->id,
                (unsigned long long)late, w->v.late != NULL ? "attached" : "not kept");
    }
    double t0 = cpu_seconds();
    tkms_err err = tkms_proto_step(a->st, run->group, &ev, run->actions);
    run->res.proto_seconds += cpu_seconds() - t0;
    run->res.proto_steps++;
    w->v.late = NULL;
    a->steps++;
    if (err == TKMS_ERR_PROTO_HALT) {
        a->status = SIM_HALTED;
        a->halts++;
        run->res.halts++;
        const char *why = run->actions->count > 0 ? run->actions->a[0].reason : "?";
        sim_log(run, 1, "actor %u halts at view %llu: %s", a->id, (unsigned long long)w->v.height,
                why ? why : "?");
        if (!must_halt && !run->cfg.expect_halt) {
            sim_fail(run, "actor %u halted on a sound view at %llu (%s)", a->id,
                     (unsigned long long)w->v.height, why ? why : "?");
        }
        return;
    }
    if (must_halt) {
        sim_fail(run,
                 "actor %u followed a view older than the one it acted on (%llu < %llu): "
                 "silent divergence after a deep reorg (I6)",
                 a->id, (unsigned long long)w->v.height, (unsigned long long)a->seen_height);
        return;
    }
    if (err != TKMS_OK) {
        sim_fail(run, "actor %u: step rejected a chain view (%s)", a->id, tkms_err_name(err));
        return;
    }
    a->seen_any = true;
    a->seen_height = w->v.height;
    a->seen_block_id = run->chain.block_id[w->v.height];
    uint32_t crash_at = UINT32_MAX;
    if (run->actions->count > 0 && sim_rng_pm(&run->rng_fault, run->cfg.faults.crash_pm)) {
        crash_at = (uint32_t)sim_rng_below(&run->rng_fault, run->actions->count + 1ull);
    }
    sim_execute_actions(run, a, w, run->actions, crash_at);
    if (a->status == SIM_UP) {
        sim_check_erasure(run, a, w->v.height); /* what it keeps, judged at what it saw */
    }
}

void sim_node_poll(sim_run *run, sim_actor *a, uint64_t block) {
    (void)block;
    if (a->status != SIM_UP || run->outage || run->chain.height < run->p.confirmations) {
        return;
    }
    uint64_t final_h = run->chain.height - run->p.confirmations;
    if (sim_rng_pm(&run->rng_fault, run->cfg.faults.lag_pm)) {
        uint64_t lag = 1 + sim_rng_below(&run->rng_fault, run->cfg.faults.lag_max + 1ull);
        final_h = final_h > lag ? final_h - lag : 0;
    }
    bool older;
    if (!reorg_check(run, a, final_h, &older)) {
        return;
    }
    if (!older && a->seen_any && final_h <= a->seen_height) {
        return; /* nothing new (a lagging answer is ignored, as the client does) */
    }
    step_node(run, a, sim_view_at(run, final_h), older);
}
