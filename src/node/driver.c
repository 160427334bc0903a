/*
 * driver.c — the node loop: opens everything the node acts with (chain client, store,
 * protocol state, nonce store, follower, outbox), then follows the chain and, at each new
 * final block, builds the pinned view, steps the state machine and executes its actions
 * in order (proto.h; style R12, R15).
 *
 * Only FINAL blocks are acted on (I6): the follower reports them once `confirmations`
 * deep, and only the newest final block of a poll is stepped (the machine acts on phase
 * boundaries and catches up from any later height, so intermediate views add nothing).
 * A view that cannot be read is skipped, never guessed (I1); the next final block
 * retries. What halts the node, with a non-zero exit: a failed store write (R6), a reorg
 * deeper than the confirmation depth, a protocol halt (a view older than one acted on, a
 * changed MPK), a persisted state bound elsewhere. Restart is always safe: the state is
 * written before anything is announced (I4), transactions are re-sent by the machine
 * until they land and the nonce store re-broadcasts lost ones.
 * Not here: executing actions (driver_actions.c), the snapshot (driver_snapshot.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "node/driver_internal.h"
#include "node/log.h"

#define STORE_FILE "tkms.db"
#define NONCES_FILE "nonces.json"
#define SEAL_KEY_ENV "TKMS_SEAL_KEY"

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- open: chain and deployment --------------------------------------------------------- */

static tkms_err open_chain(node_driver *d) {
    tkms_chain_client_options o;
    tkms_chain_client_options_default(&o);
    o.url = d->config->rpc_url;
    o.chain_id_expected = d->config->chain_id;
    o.timeout_ms = 5000;
    o.connect_timeout_ms = 2000;
    o.retries = 2;
    tkms_err err = tkms_chain_client_new(&d->chain, &o);
    uint64_t id = 0;
    if (err == TKMS_OK) {
        err = tkms_chain_client_chain_id(d->chain, &id);
    }
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "driver", "chain_unavailable", NODE_LOG_NO_EPOCH, "%s: %s",
                 tkms_err_name(err), d->chain ? tkms_chain_client_error(d->chain) : "");
    }
    return err;
}

/* One address-returning view at "latest" (deployment wiring, not a protocol decision). */
static tkms_err read_address(node_driver *d, tkms_chain_address *out,
                             const tkms_chain_address *to, const char *sig) {
    tkms_chain_bytes data, ret = {0};
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0), v;
    tkms_chain_abi_value pool_values[4];
    tkms_chain_abi_pool pool = {pool_values, 4, 0};
    tkms_err err = tkms_chain_abi_call_encode(&data, sig, &none);
    TKMS_ASSERT(err == TKMS_OK);
    tkms_chain_call_request req = {.to = to, .data = data.ptr, .data_len = data.len};
    err = tkms_chain_call(d->chain, &ret, &req, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
    tkms_chain_bytes_free(&data);
    if (err == TKMS_OK) {
        err = tkms_chain_abi_decode(&v, &pool, NODE_SIG_ADDRESS_OUT, ret.ptr, ret.len);
    }
    if (err == TKMS_OK) {
        err = tkms_chain_abi_get_address(out, &v.items[0]);
    }
    tkms_chain_bytes_free(&ret);
    return err;
}

/* The registry's immutable parameters, and the two contracts naming each other. */
static tkms_err check_deployment(node_driver *d, tkms_proto_config *pc) {
    tkms_chain_address bound_log, bound_registry;
    tkms_err err = read_address(d, &bound_log, &d->registry, NODE_SIG_REGISTRY_EPOCH_LOG);
    if (err == TKMS_OK) {
        err = read_address(d, &bound_registry, &d->epoch_log, NODE_SIG_EPOCHLOG_REGISTRY);
    }
    if (err != TKMS_OK || memcmp(bound_log.bytes, d->epoch_log.bytes, 20) != 0 ||
        memcmp(bound_registry.bytes, d->registry.bytes, 20) != 0) {
        node_log(NODE_LOG_ERROR, "driver", "deployment_mismatch", NODE_LOG_NO_EPOCH,
                 "kms_registry and epoch_log do not name each other (%s)",
                 err != TKMS_OK ? tkms_chain_client_error(d->chain) : "different addresses");
        return TKMS_ERR_NODE_DEPLOYMENT_MISMATCH;
    }
    tkms_chain_bytes data, ret = {0};
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0), v, pool_values[16];
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    err = tkms_chain_abi_call_encode(&data, TKMS_CHAIN_REGISTRY_PARAMS, &none);
    TKMS_ASSERT(err == TKMS_OK);
    tkms_chain_call_request req = {.to = &d->registry, .data = data.ptr, .data_len = data.len};
    err = tkms_chain_call(d->chain, &ret, &req, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
    tkms_chain_bytes_free(&data);
    uint64_t p[9] = {0};
    if (err == TKMS_OK) {
        err = tkms_chain_abi_decode(&v, &pool, TKMS_CHAIN_REGISTRY_PARAMS_OUT, ret.ptr, ret.len);
    }
    for (size_t i = 0; i < 9 && err == TKMS_OK; i++) {
        err = tkms_chain_abi_get_u64(&p[i], &v.items[i]);
    }
    tkms_chain_bytes_free(&ret);
    if (err != TKMS_OK || p[0] == 0 || p[5] >= p[0] || p[1] >= p[2]) {
        node_log(NODE_LOG_ERROR, "driver", "registry_params_unreadable", NODE_LOG_NO_EPOCH,
                 "%s", tkms_chain_client_error(d->chain));
        return TKMS_ERR_NODE_DEPLOYMENT_MISMATCH;
    }
    pc->interval = p[0];
    pc->commit_offset = p[1];
    pc->reveal_offset = p[2];
    pc->ack_offset = p[3];
    pc->open_offset = p[4];
    pc->confirm_offset = p[5];
    if (d->config->confirmations != 0 && d->config->confirmations < p[6]) {
        node_log(NODE_LOG_ERROR, "driver", "confirmations_below_registry", NODE_LOG_NO_EPOCH,
                 "configured %u, the registry requires %llu", d->config->confirmations,
                 (unsigned long long)p[6]);
        return TKMS_ERR_NODE_CONFIRMATIONS;
    }
    d->confirmations = d->config->confirmations != 0 ? d->config->confirmations : (uint32_t)p[6];
    pc->confirmations = d->confirmations;
    return TKMS_OK;
}

/* ---- open: store and protocol state ------------------------------------------------------- */

static tkms_err open_store(node_driver *d) {
    char path[NODE_PATH_BYTES_MAX + 16], detail[TKMS_STORE_DETAIL_BYTES] = "";
    snprintf(path, sizeof path, "%s/%s", d->config->data_dir, STORE_FILE);
    tkms_store_options o;
    memset(&o, 0, sizeof o);
    o.path = path;
    bool file = d->config->seal_key_file[0] != '\0';
    o.key_source = file ? TKMS_STORE_KEY_FILE : TKMS_STORE_KEY_ENV;
    o.key_name = file ? d->config->seal_key_file : SEAL_KEY_ENV;
    o.binding.chain_id = d->config->chain_id;
    memcpy(o.binding.epoch_log, d->config->epoch_log, 20);
    o.detail = detail;
    tkms_err err = tkms_store_open(&d->store, &o);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "driver", "store_open_failed", NODE_LOG_NO_EPOCH, "%s: %s (%s)",
                 path, tkms_err_name(err), detail);
    }
    return err;
}

static bool config_equal(const tkms_proto_config *a, const tkms_proto_config *b) {
    return a->chain_id == b->chain_id && memcmp(a->epoch_log, b->epoch_log, 20) == 0 &&
           memcmp(a->self, b->self, 20) == 0 && a->interval == b->interval &&
           a->commit_offset == b->commit_offset && a->reveal_offset == b->reveal_offset &&
           a->ack_offset == b->ack_offset && a->open_offset == b->open_offset &&
           a->confirm_offset == b->confirm_offset && a->confirmations == b->confirmations;
}

/* Loads the persisted state (checked against this deployment and key), or creates one. */
static tkms_err load_state(node_driver *d, const node_keys *keys, const tkms_proto_config *pc) {
    size_t len = 0;
    tkms_err err = tkms_store_state_get(d->store, d->buf, d->buf_max, &len);
    if (err == TKMS_ERR_STORE_NOT_FOUND) {
        tkms_proto_init(d->state, pc, keys->ed25519_seed, keys->drbg_seed);
        node_log(NODE_LOG_INFO, "driver", "state_created", NODE_LOG_NO_EPOCH, NULL);
        return driver_persist(d);
    }
    if (err == TKMS_OK) {
        err = tkms_proto_state_decode(d->state, d->buf, len);
    }
    tkms_wipe(d->buf, d->buf_max);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "driver", "state_load_failed", NODE_LOG_NO_EPOCH, "%s (%s)",
                 tkms_err_name(err), tkms_store_detail(d->store));
        return err;
    }
    if (!config_equal(&d->state->config, pc) ||
        !tkms_ct_bytes_equal(d->state->ed25519_seed, keys->ed25519_seed, 32)) {
        node_log(NODE_LOG_ERROR, "driver", "state_mismatch", NODE_LOG_NO_EPOCH,
                 "the persisted state belongs to another operator key or deployment");
        return TKMS_ERR_NODE_STATE_MISMATCH;
    }
    node_log(NODE_LOG_INFO, "driver", "state_loaded", d->state->cur.epoch,
             "last acted on block %llu", (unsigned long long)d->state->last_height);
    return TKMS_OK;
}

static tkms_err open_protocol(node_driver *d, const node_keys *keys, tkms_proto_config *pc) {
    tkms_err err = open_store(d);
    tkms_store_secret seed;
    memcpy(seed.bytes, keys->ed25519_seed, 32);
    if (err == TKMS_OK) {
        err = tkms_store_ed25519_put(d->store, &seed); /* a different seed: refused */
    }
    tkms_wipe(&seed, sizeof seed);
    if (err != TKMS_OK) {
        return err;
    }
    memcpy(pc->self, keys->chain.address.bytes, 20);
    pc->chain_id = d->config->chain_id;
    memcpy(pc->epoch_log, d->config->epoch_log, 20);
    err = load_state(d, keys, pc);
    if (err == TKMS_OK && d->state->mpk_bound) {
        err = tkms_store_mpk_bind(d->store, d->state->mpk);
    }
    if (err == TKMS_OK) {
        err = driver_versions_mirror(d);
    }
    return err;
}

/* ---- open: nonces, follower, viewer, outbox ---------------------------------------------- */

static tkms_err open_sending(node_driver *d) {
    char path[NODE_PATH_BYTES_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", d->config->data_dir, NONCES_FILE);
    tkms_err err = tkms_chain_nonces_open(&d->nonces, path, d->config->chain_id,
                                          &d->key.address);
    if (err == TKMS_OK) {
        err = tkms_chain_nonces_sync(d->nonces, d->chain); /* re-broadcasts lost ones */
    }
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "driver", "nonces_unusable", NODE_LOG_NO_EPOCH, "%s: %s (%s)",
                 path, tkms_err_name(err), tkms_chain_client_error(d->chain));
    }
    tkms_chain_send_options_default(&d->send);
    return err;
}

static tkms_err open_follower(node_driver *d) {
    uint64_t head = 0;
    tkms_err err = tkms_chain_block_number_get(d->chain, &head);
    if (err != TKMS_OK) {
        return err;
    }
    tkms_chain_follower_options o;
    tkms_chain_follower_options_default(&o);
    o.confirmations = d->confirmations;
    o.window_blocks = d->confirmations + 64;
    /* resume where the machine last acted, or just below the final head when that is
       further (the machine needs only the newest final view, never the blocks between) */
    uint64_t final_head = head > d->confirmations ? head - d->confirmations : 0;
    o.start_block = d->state->last_height > final_head ? d->state->last_height : final_head;
    err = tkms_chain_follower_new(&d->follower, &o);
    d->releases_scanned = o.start_block;
    return err;
}

static tkms_err open_viewer(node_driver *d, const tkms_proto_config *pc) {
    d->viewer = calloc(1, sizeof *d->viewer);
    d->view = calloc(1, sizeof *d->view);
    d->scratch = calloc(1, sizeof *d->scratch);
    d->g2_cache = tkms_proto_g2_cache_new(NODE_G2_CACHE_POINTS, tkms_rng_os());
    if (d->viewer == NULL || d->view == NULL || d->scratch == NULL || d->g2_cache == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    d->group = tkms_proto_group_bls_cached(d->g2_cache);
    d->viewer->chain = d->chain;
    d->viewer->registry = d->registry;
    d->viewer->epoch_log = d->epoch_log;
    d->viewer->config = *pc;
    d->viewer->group = &d->group;
    d->viewer->records = d->records;
    d->domain.chain_id = pc->chain_id;
    memcpy(d->domain.epoch_log, pc->epoch_log, 20);
    return node_outbox_start(&d->outbox, d->records, &d->domain);
}

static tkms_err driver_alloc(node_driver **out, const node_driver_options *o) {
    node_driver *d = calloc(1, sizeof *d);
    if (d == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    *out = d;
    d->config = o->config;
    d->stop = o->stop;
    d->snapshots = o->snapshots;
    d->records = o->records;
    d->metrics = o->metrics;
    d->reader = o->reader;
    d->key = o->keys->chain;
    memcpy(d->registry.bytes, o->config->kms_registry, 20);
    memcpy(d->epoch_log.bytes, o->config->epoch_log, 20);
    memcpy(d->app_controller.bytes, o->config->app_controller, 20);
    d->buf_max = tkms_proto_state_encoded_bytes();
    d->buf_max = d->buf_max > TKMS_PROTO_RECORD_BYTES_MAX ? d->buf_max
                                                           : TKMS_PROTO_RECORD_BYTES_MAX;
    d->buf = malloc(d->buf_max);
    d->state = calloc(1, sizeof *d->state);
    return d->buf == NULL || d->state == NULL ? TKMS_ERR_OUT_OF_MEMORY : TKMS_OK;
}

tkms_err node_driver_open(node_driver **out, const node_driver_options *o) {
    TKMS_ASSERT(out != NULL && o != NULL && o->config != NULL && o->keys != NULL);
    TKMS_ASSERT(o->snapshots != NULL && o->records != NULL && o->stop != NULL);
    *out = NULL;
    node_driver *d = NULL;
    tkms_proto_config pc;
    memset(&pc, 0, sizeof pc);
    tkms_err err = driver_alloc(&d, o);
    if (err == TKMS_OK) {
        err = open_chain(d);
    }
    if (err == TKMS_OK) {
        err = check_deployment(d, &pc);
    }
    if (err == TKMS_OK) {
        err = open_protocol(d, o->keys, &pc);
    }
    if (err == TKMS_OK) {
        err = open_sending(d);
    }
    if (err == TKMS_OK) {
        err = open_follower(d);
    }
    if (err == TKMS_OK) {
        err = open_viewer(d, &pc);
    }
    if (err != TKMS_OK) {
        node_driver_close(d);
        return err;
    }
    d->chain_live = true;
    d->phase_started_ms = now_ms();
    *out = d;
    return TKMS_OK;
}

void node_driver_close(node_driver *d) {
    if (d == NULL) {
        return;
    }
    node_outbox_stop(d->outbox);
    tkms_chain_follower_free(d->follower);
    tkms_chain_nonces_close(d->nonces);
    tkms_store_close(d->store);
    tkms_chain_client_free(d->chain);
    if (d->state != NULL) {
        tkms_proto_state_wipe(d->state);
    }
    if (d->buf != NULL) {
        tkms_wipe(d->buf, d->buf_max);
    }
    tkms_chain_key_wipe(&d->key);
    driver_txs_free(d);
    free(d->state);
    free(d->buf);
    free(d->viewer);
    free(d->view);
    free(d->scratch);
    tkms_proto_g2_cache_free(d->g2_cache);
    free(d);
}

/* ---- the loop --------------------------------------------------------------------------- */

static void chain_error(node_driver *d, const char *kind, tkms_err err) {
    const char *labels[] = {kind};
    node_metrics_add(d->metrics, NODE_METRIC_CHAIN_RPC_ERRORS, labels, 1);
    if (d->chain_live || d->view_failures % 20 == 0) { /* one line per outage, then sparse */
        node_log(NODE_LOG_WARN, "driver", "chain_read_failed", NODE_LOG_NO_EPOCH, "%s: %s (%s)",
                 kind, tkms_err_name(err), tkms_chain_client_error(d->chain));
    }
    d->chain_live = false;
    d->view_failures++;
}

/* Drains the follower; *final is the newest block reported final (if any). */
static tkms_err follow(node_driver *d, tkms_chain_header *final, bool *have_final) {
    tkms_chain_event *events = d->events;
    *have_final = false;
    bool more = true;
    for (int polls = 0; more && polls < DRIVER_FOLLOW_POLLS_MAX; polls++) {
        size_t count = 0;
        tkms_err err = tkms_chain_follower_poll(d->follower, d->chain, events,
                                                DRIVER_FOLLOW_EVENTS, &count, &more);
        if (err == TKMS_ERR_CHAIN_REORG_TOO_DEEP || err == TKMS_ERR_CHAIN_REORG_BEYOND_FINAL) {
            node_log(NODE_LOG_ERROR, "driver", "reorg_beyond_final", NODE_LOG_NO_EPOCH,
                     "%s: halting (protocol.md I6)", tkms_err_name(err));
            return TKMS_ERR_NODE_HALTED;
        }
        if (err != TKMS_OK) {
            chain_error(d, "follow", err);
            return TKMS_OK;
        }
        for (size_t i = 0; i < count; i++) {
            if (events[i].kind == TKMS_CHAIN_EVENT_BLOCK_FINAL) {
                *final = events[i].header;
                *have_final = true;
            }
        }
    }
    tkms_chain_header tip;
    if (tkms_chain_follower_tip(d->follower, &tip)) {
        d->head = tip.number;
    }
    return TKMS_OK;
}

static void log_phase(node_driver *d) {
    uint8_t phase = d->state->cur.phase;
    if (phase == d->last_phase) {
        return;
    }
    static const char *const names[] = {"idle", "dealt", "revealed", "acked", "opened",
                                        "decided"};
    const char *labels[] = {d->last_phase < 6 ? names[d->last_phase] : "other"};
    node_metrics_observe(d->metrics, NODE_METRIC_PHASE_DURATION, labels,
                         (now_ms() - d->phase_started_ms) * 1000);
    node_log(NODE_LOG_INFO, "driver", "phase", d->state->cur.epoch, "%s -> %s at block %llu",
             labels[0], phase < 6 ? names[phase] : "other",
             (unsigned long long)d->view->v.height);
    d->last_phase = phase;
    d->phase_started_ms = now_ms();
}

/* The pool is memory only: after a restart the node's own record of the current epoch is
   put back (rebuilt from the persisted polynomial, until the cutoff erases it) so that
   peers fetching it from its dealer find it. Records older than every retained epoch go. */
static void records_upkeep(node_driver *d) {
    const tkms_proto_chain_view *v = &d->view->v;
    uint64_t oldest = v->epoch;
    for (uint32_t k = 0; k < v->retained_count; k++) {
        oldest = v->retained[k] < oldest ? v->retained[k] : oldest;
    }
    node_records_evict_before(d->records, oldest);
    size_t me = v->n;
    for (size_t i = 0; i < v->n; i++) {
        me = memcmp(v->ops[i].address, d->state->config.self, 20) == 0 ? i : me;
    }
    /* never before the commit deadline is final: until then the record (its commitments)
       must not leave the node, or a dealer still to commit could build on it (protocol.md
       §4 step 1, commit-reveal) */
    if (!v->active || me == v->n || !(v->committed & ((uint64_t)1 << me)) ||
        !d->state->cur.dealer || d->state->cur.epoch != v->epoch ||
        d->state->cur.phase < TKMS_PROTO_PHASE_REVEALED ||
        node_records_get(d->records, v->record_hash[me], d->buf, d->buf_max) > 0) {
        return;
    }
    size_t len = 0;
    tkms_proto_record *rec = malloc(sizeof *rec);
    TKMS_ASSERT(rec != NULL);
    if (tkms_proto_own_record(d->buf, d->buf_max, &len, d->state, &d->group, v) ==
            TKMS_OK &&
        tkms_proto_record_decode(rec, d->buf, len) == TKMS_OK) {
        uint8_t hash[32];
        tkms_proto_record_hash(hash, &d->domain, rec);
        if (memcmp(hash, v->record_hash[me], 32) == 0 &&
            node_records_put(d->records, v->epoch, hash, d->buf, len)) {
            node_log(NODE_LOG_INFO, "driver", "own_record_restored", v->epoch, NULL);
        }
    }
    free(rec);
}

/* The past epoch the machine asks for (proto.h, the late share), built at the same block;
   NULL when none is wanted or the build failed (the machine asks again next step). Rare
   (once per version), so the ~1 MB view is allocated only then. */
static node_view *late_view(node_driver *d, const tkms_chain_header *at) {
    uint64_t epoch = tkms_proto_late_wanted(d->state, &d->view->v);
    d->view->v.late = NULL;
    if (epoch == 0) {
        return NULL;
    }
    node_view *late = calloc(1, sizeof *late);
    if (late == NULL) {
        return NULL;
    }
    tkms_err err = node_view_build_past(d->viewer, late, at, epoch);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_WARN, "driver", "late_view_failed", epoch, "%s: %s",
                 tkms_err_name(err), d->viewer->error);
        free(late);
        return NULL;
    }
    node_log(NODE_LOG_INFO, "driver", "late_share_attempt", epoch, NULL);
    d->view->v.late = &late->v;
    return late;
}

/* One step at the final block `at`. */
/* The decode cache's counts since the last call, into tkms_g2_cache_lookups_total. */
static void cache_metrics(node_driver *d) {
    uint64_t hits, misses;
    tkms_proto_g2_cache_stats(d->g2_cache, &hits, &misses);
    const char *hit[] = {"hit"}, *miss[] = {"miss"};
    node_metrics_add(d->metrics, NODE_METRIC_G2_CACHE, hit, hits - d->g2_hits);
    node_metrics_add(d->metrics, NODE_METRIC_G2_CACHE, miss, misses - d->g2_misses);
    d->g2_hits = hits;
    d->g2_misses = misses;
}

static tkms_err step_at(node_driver *d, const tkms_chain_header *at) {
    tkms_err err = node_view_build(d->viewer, d->scratch, at);
    if (err != TKMS_OK) {
        const char *labels[] = {"view"};
        node_metrics_add(d->metrics, NODE_METRIC_CHAIN_RPC_ERRORS, labels, 1);
        node_log(d->view_failures % 20 == 0 ? NODE_LOG_WARN : NODE_LOG_DEBUG, "driver",
                 "view_failed", at->number / d->viewer->config.interval,
                 "block %llu: %s: %s (step skipped)", (unsigned long long)at->number,
                 tkms_err_name(err), d->viewer->error);
        d->view_failures++;
        d->chain_live = false;
        return TKMS_OK;
    }
    if (d->viewer->error[0] != '\0') { /* a note from a successful build */
        node_log(NODE_LOG_WARN, "driver", "view_note", at->number / d->viewer->config.interval,
                 "%s", d->viewer->error);
    }
    node_view *good = d->scratch; /* a failed build leaves d->view, the last good one */
    d->scratch = d->view;
    d->view = good;
    d->view_failures = 0;
    d->chain_live = true;
    d->have_view = true;
    tkms_proto_actions *actions = &d->actions;
    tkms_proto_event ev = {TKMS_PROTO_EV_CHAIN, &d->view->v};
    node_view *late = late_view(d, at);
    err = tkms_proto_step(d->state, &d->group, &ev, actions);
    d->view->v.late = NULL;
    free(late);
    d->stepped = *at;
    d->stepped_any = true;
    node_outbox_height_set(d->outbox, at->number);
    if (err == TKMS_ERR_PROTO_HALT) {
        tkms_err run = driver_actions_run(d, actions); /* the ALERT says why */
        (void)run;
        node_log(NODE_LOG_ERROR, "driver", "protocol_halt", d->view->v.epoch,
                 "the state machine halted at block %llu", (unsigned long long)at->number);
        return TKMS_ERR_NODE_HALTED;
    }
    if (err != TKMS_OK) {
        node_log(NODE_LOG_WARN, "driver", "step_rejected", d->view->v.epoch, "%s",
                 tkms_err_name(err));
        return TKMS_OK;
    }
    err = driver_actions_run(d, actions);
    if (err == TKMS_OK) {
        log_phase(d);
        records_upkeep(d);
        driver_txs_check(d);
    }
    cache_metrics(d);
    return err;
}

/* Invalidates the HTTP release cache for apps whose release or owner changed. */
static void scan_releases(node_driver *d, uint64_t to) {
    if (d->reader == NULL || to <= d->releases_scanned) {
        return;
    }
    uint64_t from = d->releases_scanned + 1;
    if (to - from >= TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX) {
        to = from + TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX - 1;
    }
    tkms_chain_hash topics[2];
    tkms_err err = tkms_chain_abi_event_topic(&topics[0], TKMS_CHAIN_APPS_EVENT_RELEASE);
    TKMS_ASSERT(err == TKMS_OK);
    err = tkms_chain_abi_event_topic(
        &topics[1], "AppOwnershipTransferred(address indexed,address indexed,address indexed)");
    TKMS_ASSERT(err == TKMS_OK);
    tkms_chain_log_filter f = {.from_block = from, .to_block = to,
                               .addresses = &d->app_controller, .address_count = 1,
                               .topic0 = topics, .topic0_count = 2};
    tkms_chain_logs logs = {0};
    if (tkms_chain_logs_get(d->chain, &logs, &f) != TKMS_OK) {
        return; /* retried next time; the cache also expires on its own */
    }
    for (size_t i = 0; i < logs.count; i++) {
        if (logs.items[i].topic_count >= 2) {
            node_chain_reader_invalidate(d->reader, logs.items[i].topics[1].bytes + 12);
        }
    }
    tkms_chain_logs_free(&logs);
    d->releases_scanned = to;
}

static tkms_err loop_turn(node_driver *d) {
    tkms_chain_header final;
    bool have_final = false;
    tkms_err err = follow(d, &final, &have_final);
    if (err != TKMS_OK) {
        return err;
    }
    bool newer = have_final && (!d->stepped_any || final.number > d->stepped.number);
    if (!newer && d->chain_live) {
        return TKMS_OK;
    }
    if (!newer && d->stepped_any) {
        final = d->stepped; /* retry a view that failed: same block */
    } else if (!newer) {
        return TKMS_OK;
    }
    err = step_at(d, &final);
    if (err == TKMS_OK && d->chain_live) {
        scan_releases(d, final.number);
    }
    driver_snapshot_publish(d);
    return err;
}

static void pause_ms(const node_driver *d, uint32_t ms) {
    for (uint32_t slept = 0; slept < ms && !atomic_load(d->stop); slept += 50) {
        uint32_t step = ms - slept < 50 ? ms - slept : 50;
        struct timespec ts = {0, (long)step * 1000000L};
        nanosleep(&ts, NULL);
    }
}

tkms_err node_driver_run(node_driver *d) {
    TKMS_ASSERT(d != NULL);
    node_log(NODE_LOG_INFO, "driver", "loop_started", d->state->cur.epoch,
             "confirmations %u, interval %llu", d->confirmations,
             (unsigned long long)d->viewer->config.interval);
    driver_snapshot_publish(d);
    tkms_err err = TKMS_OK;
    while (!atomic_load(d->stop) && err == TKMS_OK) {
        err = loop_turn(d);
        if (err == TKMS_OK) {
            pause_ms(d, d->config->poll_ms);
        }
    }
    node_log(err == TKMS_OK ? NODE_LOG_INFO : NODE_LOG_ERROR, "driver", "loop_stopped",
             d->state->cur.epoch, "%s", tkms_err_name(err));
    return err;
}
