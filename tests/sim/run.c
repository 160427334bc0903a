/*
 * run.c — one simulated run: setup (actors, deployment, registration, startGenesis), the
 * block loop (scenario hook, seeded faults, mining, message delivery, every actor's poll
 * in a seeded order, checkers) and the result. Everything random comes from four streams
 * seeded by the run seed (chain, network, faults, adversary), so `--seed N` replays a run
 * exactly. What it does not do: print summaries (main.c) or define scenarios
 * (scenarios.c). Spec: protocol.md §7.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "prim/prim.h"
#include "sim.h"

void sim_fail(sim_run *run, const char *fmt, ...) {
    if (run->res.failed) {
        return; /* the first failure is the one reported */
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(run->res.message, sizeof run->res.message, fmt, ap);
    va_end(ap);
    run->res.failed = true;
    run->res.block = run->chain.height;
    if (run->cfg.verbose > 0) {
        fprintf(stderr, "[%llu] FAIL %s\n", (unsigned long long)run->chain.height,
                run->res.message);
    }
}

void sim_log(sim_run *run, int level, const char *fmt, ...) {
    if (run->cfg.verbose < level) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[%llu] ", (unsigned long long)run->chain.height);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void sim_params_default(sim_params *p) {
    /* windows of 6 blocks with c = 2 (the contract needs >= c + 2), confirm + c < interval */
    p->interval = 36;
    p->commit = 6;
    p->reveal = 12;
    p->ack = 18;
    p->open = 24;
    p->confirm = 30;
    p->confirmations = 2;
    p->min_operators = 4;
    p->patience = 2;
}

void sim_config_default(sim_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->nodes = 7;
    cfg->epochs = 8;
    cfg->seed = 1;
    strcpy(cfg->faults_spec, "none");
}

/* ---- actors ------------------------------------------------------------------------ */

/* A new identity (address with a non-zero point, Ed25519 and DRBG seeds) from the run's
   setup stream; honest ones get their machine when they start. */
uint32_t sim_actor_add(sim_run *run, bool malicious) {
    TKMS_ASSERT(run->actor_count < SIM_ACTORS_MAX);
    uint32_t id = run->actor_count++;
    sim_actor *a = &run->actors[id];
    memset(a, 0, sizeof *a);
    a->id = id;
    a->malicious = malicious;
    a->strategy = SIM_ADV_COUNT;
    do {
        sim_rng_bytes(&run->rng_chain, a->address, 20);
    } while (tkms_tss_point_from_address(&a->x, a->address) != TKMS_OK);
    sim_rng_bytes(&run->rng_chain, a->ed_seed, 32);
    sim_rng_bytes(&run->rng_chain, a->drbg_seed, 32);
    tkms_prim_ed25519_public(a->ed_pub, a->ed_seed);
    memcpy(run->addr[id], a->address, 20);
    run->xs[id] = a->x;
    sim_chain_set_actors(&run->chain, run->actor_count);
    return id;
}

static const uint8_t *registration_key(const sim_actor *a) {
    static const uint8_t zero[32] = {0};
    for (size_t i = 0; i < TKMS_PROTO_KEYS_MAX; i++) {
        if (memcmp(a->st->keys[i].pub, zero, 32) != 0) {
            return a->st->keys[i].pub;
        }
    }
    TKMS_ASSERT(false);
    return zero;
}

/* Starts the actor's process (its machine) and queues allow + register at `block`. */
void sim_actor_join(sim_run *run, uint32_t id, uint64_t block) {
    sim_actor *a = &run->actors[id];
    if (a->st == NULL) {
        sim_node_start(run, a);
    }
    sim_tx *allow = sim_tx_new();
    allow->kind = SIM_TX_ALLOW;
    allow->from = SIM_OWNER;
    allow->target = id;
    sim_chain_submit(&run->chain, allow, block);
    sim_tx *reg = sim_tx_new();
    reg->kind = SIM_TX_REGISTER;
    reg->from = id;
    memcpy(reg->ed, a->ed_pub, 32);
    memcpy(reg->key, registration_key(a), 32);
    sim_chain_submit(&run->chain, reg, block + 1);
}

void sim_owner_tx(sim_run *run, sim_tx_kind kind, uint32_t target, uint64_t block) {
    sim_tx *tx = sim_tx_new();
    tx->kind = kind;
    tx->from = kind == SIM_TX_DEREGISTER ? target : SIM_OWNER;
    tx->target = target;
    sim_chain_submit(&run->chain, tx, block);
}

bool sim_actor_functional(const sim_run *run, const sim_actor *a) {
    return a->status == SIM_UP && !run->outage && !run->partitioned;
}

bool sim_actor_low_key(const sim_actor *a, uint64_t e) {
    if (e == 0) {
        return a->low_key_epoch[0] != 0;
    }
    return a->low_key_epoch[0] == e || a->low_key_epoch[1] == e;
}

void sim_actor_set_low_key(sim_actor *a, uint64_t e) {
    if (a->low_key_epoch[0] != e) {
        a->low_key_epoch[1] = a->low_key_epoch[0];
        a->low_key_epoch[0] = e;
    }
}

/* The last block of the window a transaction kind must land in. */
static uint64_t window_end(const sim_run *run, const sim_tx *tx) {
    uint64_t b = tx->epoch * run->p.interval;
    switch (tx->kind) {
    case SIM_TX_COMMIT:
        return b + run->p.commit;
    case SIM_TX_REVEAL:
        return b + run->p.reveal;
    case SIM_TX_ACK:
        return b + run->p.ack;
    case SIM_TX_OPEN:
        return b + run->p.open;
    case SIM_TX_CONFIRM:
        return b + run->p.confirm;
    default:
        return 0;
    }
}

/* A node's transaction: dropped during an RPC outage, else included after a seeded delay. */
void sim_submit(sim_run *run, sim_tx *tx) {
    if (run->outage) {
        free(tx);
        return;
    }
    uint64_t delay = sim_rng_below(&run->rng_fault, run->cfg.faults.tx_delay_max + 1ull);
    uint64_t ready = run->chain.height + 1 + delay;
    const sim_actor *a = tx->from < run->actor_count ? &run->actors[tx->from] : NULL;
    bool late = a != NULL && a->malicious && a->cur_strategy == SIM_ADV_LATE;
    late |= run->confirm_at_deadline && tx->kind == SIM_TX_CONFIRM;
    if (late && window_end(run, tx) > ready) {
        ready = window_end(run, tx); /* lands in the window's last block */
    }
    sim_log(run, 2, "actor %u submits tx kind %d at %llu, ready %llu", tx->from, (int)tx->kind,
            (unsigned long long)run->chain.height, (unsigned long long)ready);
    sim_chain_submit(&run->chain, tx, ready);
}

/* ---- setup ------------------------------------------------------------------------- */

static void run_alloc(sim_run *run) {
    run->actors = calloc(SIM_ACTORS_MAX, sizeof *run->actors);
    run->view = calloc(1, sizeof *run->view);
    run->view2 = calloc(1, sizeof *run->view2);
    run->view_late = calloc(1, sizeof *run->view_late);
    run->actions = calloc(1, sizeof *run->actions);
    run->scratch_state = malloc(sizeof(tkms_proto_state) + tkms_proto_state_encoded_bytes());
    run->record_buf = malloc(TKMS_PROTO_RECORD_BYTES_MAX);
    TKMS_ASSERT(run->actors && run->view && run->view2 && run->view_late && run->actions &&
                run->scratch_state && run->record_buf);
    run->view_h[0] = run->view_h[1] = UINT64_MAX;
}

static void run_free(sim_run *run) {
    for (uint32_t i = 0; i < run->actor_count; i++) {
        if (run->actors[i].st != NULL) {
            tkms_proto_state_wipe(run->actors[i].st);
        }
        free(run->actors[i].st);
        free(run->actors[i].persisted);
    }
    sim_net_free(run);
    if (run->chain.trace != NULL) {
        fclose(run->chain.trace);
    }
    sim_chain_free(&run->chain);
    free(run->actors);
    free(run->view);
    free(run->view2);
    free(run->view_late);
    free(run->actions);
    free(run->scratch_state);
    free(run->record_buf);
    free(run->scenario_state);
    free(run->backup);
}

/* Picks `count` distinct actors among the first n to be malicious (adversary stream). */
static void choose_malicious(sim_run *run, uint32_t n, uint32_t count) {
    for (uint32_t k = 0; k < count; k++) {
        uint32_t id;
        do {
            id = (uint32_t)sim_rng_below(&run->rng_adv, n);
        } while (run->actors[id].malicious);
        run->actors[id].malicious = true;
    }
}

static void run_setup(sim_run *run, const sim_config *cfg) {
    memset(run, 0, sizeof *run);
    run->cfg = *cfg;
    run_alloc(run);
    run->group = cfg->bls ? tkms_proto_group_bls() : sim_group_fr();
    sim_rng_seed(&run->rng_chain, cfg->seed * 4 + 0);
    sim_rng_seed(&run->rng_net, cfg->seed * 4 + 1);
    sim_rng_seed(&run->rng_fault, cfg->seed * 4 + 2);
    sim_rng_seed(&run->rng_adv, cfg->seed * 4 + 3);
    uint32_t n = cfg->nodes;
    if (cfg->nodes_max > cfg->nodes) {
        n += (uint32_t)sim_rng_below(&run->rng_fault, cfg->nodes_max - cfg->nodes + 1ull);
    }
    run->n0 = n;
    sim_params_default(&run->p);
    if (n < run->p.min_operators) {
        run->p.min_operators = n; /* docs/contracts.md §7.2: 1..3 for tests and devnets */
    }
    sim_chain_init(&run->chain, &run->p, run->group, 0, (const uint8_t(*)[20])run->addr, run->xs,
                   &run->rng_chain);
    sim_net_init(run);
    if (cfg->trace != NULL) {
        run->chain.trace = fopen(cfg->trace, "w");
        TKMS_ASSERT(run->chain.trace != NULL);
    }
    run->res.min_margin = INT32_MAX;
    run->res.min_margin_held = INT32_MAX;
}

static void default_population(sim_run *run) {
    uint32_t n = run->n0;
    for (uint32_t i = 0; i < n; i++) {
        sim_actor_add(run, false);
    }
    uint32_t f = (n - 1) / 3;
    uint32_t b = run->cfg.byzantine;
    if (run->cfg.byz_random) {
        b = (uint32_t)sim_rng_below(&run->rng_adv, f + 1ull);
    }
    if (b > f) {
        b = f;
    }
    choose_malicious(run, n, b);
    for (uint32_t i = 0; i < n; i++) {
        sim_actor_join(run, i, SIM_SETUP_BLOCK);
    }
    sim_owner_tx(run, SIM_TX_GENESIS, 0, SIM_SETUP_BLOCK + 2);
}

/* ---- the loop ---------------------------------------------------------------------- */

void sim_faults_step(sim_run *run, uint64_t block);
void sim_live_block(sim_run *run, uint64_t block);
void sim_live_epoch_end(sim_run *run, uint64_t epoch);

void sim_after_mine(sim_run *run, size_t fin_before) {
    sim_check_results(run);
    for (size_t i = 0; i < run->chain.result_count; i++) {
        const sim_tx_result *r = &run->chain.results[i];
        if (r->tx->kind == SIM_TX_GENESIS && r->revert == SIM_R_OK) {
            uint64_t g = r->block;
            run->genesis_epoch = (g + run->p.interval - 1) / run->p.interval;
            run->last_epoch = run->genesis_epoch + run->cfg.epochs - 1;
            sim_log(run, 1, "genesis started at block %llu: first epoch %llu",
                    (unsigned long long)g, (unsigned long long)run->genesis_epoch);
        }
    }
    for (size_t i = fin_before; i < run->chain.fin_count && !run->res.failed; i++) {
        sim_log(run, 1, "epoch %llu finalized (D=%016llx, source %lld)",
                (unsigned long long)run->chain.fin[i].version,
                (unsigned long long)run->chain.vinfo[i].dealers,
                (long long)run->chain.vinfo[i].source);
        if (!run->chain.vinfo[i].combined_ok) {
            sim_fail(run,
                     "agreement: epoch %llu finalized with a D whose commitments do not "
                     "combine",
                     (unsigned long long)run->chain.fin[i].version);
        }
        sim_oracle_on_final(run, run->chain.fin[i].version);
    }
}

static void poll_all(sim_run *run, uint64_t block) {
    uint32_t order[SIM_ACTORS_MAX];
    for (uint32_t i = 0; i < run->actor_count; i++) {
        order[i] = i;
    }
    for (uint32_t i = run->actor_count; i > 1; i--) {
        uint32_t j = (uint32_t)sim_rng_below(&run->rng_fault, i);
        uint32_t tmp = order[i - 1];
        order[i - 1] = order[j];
        order[j] = tmp;
    }
    for (uint32_t k = 0; k < run->actor_count && !run->res.failed; k++) {
        sim_actor *a = &run->actors[order[k]];
        if (a->status == SIM_DOWN && a->restart_at <= block) {
            sim_node_restart(run, a);
        }
        if (a->malicious) {
            sim_adv_poll(run, a, block);
        } else {
            sim_node_poll(run, a, block);
        }
    }
}

static uint64_t end_block(const sim_run *run) {
    if (run->genesis_epoch == 0) {
        return (run->cfg.epochs + 2) * run->p.interval;
    }
    return sim_chain_trigger(&run->chain, run->last_epoch) + run->p.confirm + run->p.confirmations +
           2;
}

/* One iteration per block to be mined: `block` is always the chain's next height (after a
   reorg the same heights are mined again on the new branch). */
static void run_loop(sim_run *run) {
    uint64_t ticks = 0;
    while (run->chain.height < end_block(run) && !run->res.failed) {
        uint64_t block = run->chain.height + 1;
        TKMS_ASSERT(++ticks < 4 * end_block(run) + 1000); /* reorgs are bounded */
        if (run->hook != NULL && block > run->hook_high) {
            run->hook_high = block; /* scripted events happen once per height */
            run->hook(run, block);
        }
        sim_faults_step(run, block);
        block = run->chain.height + 1; /* a reorg may have moved it */
        size_t fin_before = run->chain.fin_count;
        sim_chain_mine(&run->chain);
        sim_after_mine(run, fin_before);
        sim_net_deliver(run, run->chain.height);
        poll_all(run, block);
        if (run->res.failed) {
            break;
        }
        sim_oracle_update(run, block);
        sim_live_block(run, block);
        run->res.blocks = ticks;
    }
}

void sim_run_one(sim_result *res, const sim_config *cfg) {
    static sim_run run; /* large; one run at a time */
    run_setup(&run, cfg);
    const sim_scenario *sc = cfg->scenario ? sim_scenario_find(cfg->scenario) : NULL;
    if (sc != NULL) {
        sc->setup(&run);
    } else {
        default_population(&run);
    }
    if (run.chain.trace != NULL) {
        sim_trace_header(&run.chain); /* after the scenario set its parameters */
    }
    run_loop(&run);
    if (sc != NULL && sc->finish != NULL && !run.res.failed) {
        sc->finish(&run);
    }
    run.res.steps = run.res.proto_steps;
    *res = run.res;
    run_free(&run);
}

/* --faults LIST: comma-separated classes; "all" enables every class that keeps the §1
   assumptions checkable (deepreorg and congestion are separate: they break them). */
bool sim_faults_parse(sim_faults *f, const char *spec) {
    char buf[256];
    memset(f, 0, sizeof *f);
    if (strlen(spec) >= sizeof buf) {
        return false;
    }
    strcpy(buf, spec);
    for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ",")) {
        bool all = strcmp(tok, "all") == 0;
        bool known = all || strcmp(tok, "none") == 0;
        if (all || strcmp(tok, "delay") == 0) {
            f->msg_delay_max = 2, known = true;
        }
        if (all || strcmp(tok, "loss") == 0) {
            f->msg_loss_pm = 50, known = true;
        }
        if (all || strcmp(tok, "dup") == 0) {
            f->msg_dup_pm = 50, known = true;
        }
        if (all || strcmp(tok, "txdelay") == 0) {
            f->tx_delay_max = 1, known = true;
        }
        if (all || strcmp(tok, "crash") == 0) {
            f->crash_pm = 20, f->restart_max = 6, known = true;
        }
        if (all || strcmp(tok, "lag") == 0) {
            f->lag_pm = 50, f->lag_max = 2, known = true;
        }
        if (all || strcmp(tok, "fetchfail") == 0) {
            f->fetch_fail_pm = 100, known = true;
        }
#define FLAG(name, field)                                                                          \
    if (all || strcmp(tok, name) == 0) {                                                           \
        f->field = true, known = true;                                                             \
    }
        FLAG("offline", offline)
        FLAG("partition", partitions)
        FLAG("outage", outages)
        FLAG("reorg", short_reorgs)
        FLAG("churn", churn)
        FLAG("badkeys", bad_keys)
#undef FLAG
        if (strcmp(tok, "deepreorg") == 0) {
            f->deep_reorg = true, known = true;
        }
        if (strcmp(tok, "congestion") == 0) {
            f->congestion = true, known = true;
        }
        if (!known) {
            return false;
        }
    }
    return true;
}
