/*
 * test_e2e_kill_phases.c — SIGKILL of one tkmsd in every protocol phase of a reshare and
 * a restart with no manual step (protocol.md I4), four real nodes on anvil through the
 * harness of e2e.h. test_driver_e2e covers "its commit landed" and "its ack landed"; this
 * program covers the other points:
 *
 *   epoch G+1: node 0 after its polynomial is persisted, before its commit lands;
 *              node 1 in the reveal window, before its reveal lands;
 *              node 2 in the ack window, before its ack lands;
 *              node 3 in the open window with nothing in flight (back three blocks later,
 *              at the cutoff: it decides late);
 *   epoch G+2: node 0 after the cutoff, its pending share persisted, before its confirm
 *              lands;
 *              node 1 after the epoch finalized on chain, before it activated the version;
 *   epoch G+3: node 2 in the reveal window once its reveal landed and its record reached
 *              the others, back only after the ack window (it never acks, so every dealer
 *              opens its share and it opens its own); node 3 in the open window before its
 *              opening lands;
 *   epoch G+4: node 1 after its polynomial is persisted, before its commit was even
 *              signed (its nonce store put back as it was at the trigger): the state
 *              machine must send the commit again itself, inside the commit window;
 *   epoch G+5: nobody: it must finalize with all four.
 *
 * Each point is hit exactly: the lockstep miner (e2e_drive_until_exact: no fallback)
 * evaluates its predicate after every node stepped at the newest final block and before
 * the next block is mined, and the predicate asks the node itself (/v1/status: epoch and
 * phase, which it publishes after the phase's actions ran, i.e. after it persisted and
 * submitted the transaction) and the chain (epochProgress, openings: the transaction has
 * not landed). The killed node's transaction is then
 * dropped from anvil's mempool, so the restart sees exactly a crash after the node
 * persisted its state and the signed transaction but before anything reached the chain
 * (in G+4 also before the transaction was signed).
 *
 * Checks: every restarted node lands what it had not (commit, reveal, ack, opening,
 * confirm), is a dealer of the epoch (D = everyone), is among its winning confirmers
 * (everyone, once the confirm window closed), puts its own record back into its pool after
 * a restart before the cutoff (GET /v1/peer/record/<hash> on it), activates the
 * version (late, after the finalization: log `version_activated` of the new run) and
 * serves it with the chain's MPK; in G+3 everyone but node 2 acked, every dealer opened
 * node 2's share and nothing else, and node 2, with its share from the openings, is among
 * the winners; every next epoch finalizes with all four again.
 */
#include "e2e.h"

#define NODES 4

static e2e_cluster E = {.opt = {.nodes = NODES}};

typedef enum { TX_NONE, TX_COMMIT, TX_REVEAL, TX_ACK, TX_OPEN, TX_CONFIRM } tx_kind;

typedef struct {
    const e2e_node *node;
    uint64_t epoch;
    const char *phase; /* as /v1/status names it */
    tx_kind landed;    /* a transaction of the node that must be on chain already */
    tx_kind pending;   /* the transaction of that phase, which must not have landed yet */
} phase_arg;

/* The node's transaction of this kind is on chain (index: the node's in O(epoch)). */
static bool tx_landed(e2e_cluster *cl, uint64_t epoch, int index, tx_kind kind) {
    if (kind == TX_OPEN) {
        uint64_t opened[E2E_OPERATORS_MAX];
        size_t n = e2e_epoch_openings(cl, epoch, opened, E2E_OPERATORS_MAX);
        return (size_t)index < n && opened[index] != 0;
    }
    e2e_progress p = e2e_epoch_progress(cl, epoch);
    uint64_t bitmap = kind == TX_COMMIT    ? p.committed
                      : kind == TX_REVEAL  ? p.revealed
                      : kind == TX_ACK     ? p.acked
                      : kind == TX_CONFIRM ? p.confirmed
                                           : 0;
    return (bitmap >> index) & 1;
}

/* The node reports the phase of the epoch, its `landed` transaction is on chain and its
   `pending` one is not. */
static bool at_phase(e2e_cluster *cl, void *arg) {
    const phase_arg *a = arg;
    if (!e2e_node_in_phase(a->node, a->epoch, a->phase)) {
        return false;
    }
    int index = e2e_index(cl, a->epoch, a->node);
    assert_true(index >= 0);
    if (a->landed != TX_NONE && !tx_landed(cl, a->epoch, index, a->landed)) {
        return false;
    }
    if (a->pending != TX_NONE && tx_landed(cl, a->epoch, index, a->pending)) {
        fail_msg("%s: its transaction landed in the block that took it to %s", a->node->dir,
                 a->phase); /* cannot happen in lockstep: it is sent after the step */
    }
    return true;
}

/* Drives to the point, SIGKILLs k and drops what it had submitted (asserting there was
   something when a pending transaction is named). */
static void kill_at(e2e_node *k, const phase_arg *a, const char *what) {
    e2e_drive_until_exact(&E, at_phase, (void *)a, 60, what);
    e2e_node_kill(&E, k);
    size_t dropped = e2e_drop_pending(&E, k);
    if (a->pending != TX_NONE && dropped == 0) {
        fail_msg("%s: nothing of the killed node was in the mempool", what);
    }
}

/* kill_at, then a restart `later` blocks after (0: at once). */
static void kill_restart(e2e_node *k, uint64_t epoch, const char *phase, tx_kind pending,
                         uint64_t later, const char *what) {
    phase_arg a = {k, epoch, phase, TX_NONE, pending};
    kill_at(k, &a, what);
    if (later > 0) {
        uint64_t resume = e2e_head(&E) + later;
        e2e_drive_until(&E, e2e_until_block, &resume, 30, "blocks without the killed node");
    }
    e2e_node_start(&E, k);
}

static bool deadline_passed(e2e_cluster *cl, void *arg) {
    uint64_t e = *(const uint64_t *)arg;
    return e2e_head(cl) > e * cl->opt.interval + cl->opt.offsets[4];
}

/* Epoch e finalized; everyone committed, revealed, confirmed, is in D and among the
   winners once the confirm window closed; everyone but `no_ack` (a bitmap) acked. Every
   running node serves e with the chain's MPK. */
static void expect_epoch(uint64_t e, uint64_t no_ack) {
    e2e_drive_until(&E, e2e_until_finalized, &e, 120, "the epoch finalized");
    e2e_drive_until(&E, deadline_passed, &e, 60, "its confirm window closed");
    e2e_progress p = e2e_epoch_progress(&E, e);
    uint64_t all = ((uint64_t)1 << NODES) - 1;
    assert_true(p.finalized);
    if (p.committed != all || p.revealed != all || p.acked != (all & ~no_ack) ||
        p.confirmed != all || p.dealers != all || p.winners != all) {
        e2e_dump_logs(&E);
        fail_msg("epoch %llu: committed 0x%llx revealed 0x%llx acked 0x%llx confirmed 0x%llx "
                 "D 0x%llx winners 0x%llx (want 0x%llx, acked 0x%llx)",
                 (unsigned long long)e, (unsigned long long)p.committed,
                 (unsigned long long)p.revealed, (unsigned long long)p.acked,
                 (unsigned long long)p.confirmed, (unsigned long long)p.dealers,
                 (unsigned long long)p.winners, (unsigned long long)all,
                 (unsigned long long)(all & ~no_ack));
    }
    e2e_expect_serving(&E, e);
}

/* Epoch a->epoch is finalized on chain and a->node (answering) does not hold it yet. */
static bool finalized_not_activated(e2e_cluster *cl, void *arg) {
    const phase_arg *a = arg;
    json_t *status = e2e_node_status(a->node);
    json_t *held = json_object_get(status, "versions_held");
    bool holds = false;
    for (size_t i = 0; i < json_array_size(held); i++) {
        holds = holds || (uint64_t)json_integer_value(json_array_get(held, i)) == a->epoch;
    }
    bool answered = status != NULL;
    json_decref(status);
    return answered && !holds && e2e_epoch_progress(cl, a->epoch).finalized;
}

static void expect_event(const e2e_node *k, const char *event, uint64_t epoch, const char *why) {
    char needle[128];
    snprintf(needle, sizeof needle, "\"event\":\"%s\",\"epoch\":%llu", event,
             (unsigned long long)epoch);
    if (!e2e_node_log_has(k, needle)) {
        dt_log_tail(k->log, 30);
        fail_msg("%s: no %s in the log of its new run (%s)", k->dir, needle, why);
    }
}

/* "/v1/peer/record/<hash>" of node k's dealing record of epoch e (its committed hash). */
static void record_path(char path[96], e2e_cluster *cl, const e2e_node *k, uint64_t e) {
    uint8_t hash[32];
    assert_true(e2e_record_hash(cl, e, k, hash));
    snprintf(path, 96, "/v1/peer/record/");
    tu_hex(path + strlen(path), hash, 32);
}

/* Every other running node serves node k's dealing record of epoch e by its hash, so k's
   death cannot keep it from the players (it pushed the record when it revealed). */
static bool peers_have_record(e2e_cluster *cl, const e2e_node *k, uint64_t e) {
    char path[96], body[8192];
    record_path(path, cl, k, e);
    bool all = true;
    for (size_t i = 0; i < cl->count && all; i++) {
        const e2e_node *nd = &cl->n[i];
        all = nd == k || nd->pid <= 0 || dt_http_get(nd->port, path, body, sizeof body) == 200;
    }
    return all;
}

/* Nodes 0..2 (restarted since they dealt) serve their own records of epoch *arg again:
   the record pool is memory only, a restarted dealer rebuilds its record from the
   persisted polynomial. */
static bool own_records_served(e2e_cluster *cl, void *arg) {
    for (size_t i = 0; i < 3; i++) {
        char path[96], body[8192];
        record_path(path, cl, &cl->n[i], *(const uint64_t *)arg);
        if (dt_http_get(cl->n[i].port, path, body, sizeof body) != 200) {
            return false;
        }
    }
    return true;
}

/* Epoch e, before the cutoff: node 0 before its commit lands, node 1 before its reveal
   lands, node 2 before its ack lands (each restarted at once), node 3 in the open window
   with nothing in flight (back three blocks later, at the cutoff: it decides late). */
static void kill_before_cutoff(uint64_t e) {
    kill_restart(&E.n[0], e, "dealt", TX_COMMIT, 0, "node 0 persisted its polynomial (SIGKILL)");
    kill_restart(&E.n[1], e, "revealed", TX_REVEAL, 0, "node 1 sent its reveal (SIGKILL)");
    kill_restart(&E.n[2], e, "acked", TX_ACK, 0, "node 2 sent its ack (SIGKILL)");
    e2e_drive_until(&E, own_records_served, &e, 30, "nodes 0-2 serve their own records again");
    assert_true(e2e_head(&E) <= e * E.opt.interval + E.opt.offsets[3]); /* before the cutoff */
    kill_restart(&E.n[3], e, "opened", TX_NONE, 3, "node 3 in the open window (SIGKILL)");
    expect_epoch(e, 0);
}

/* Epoch e, after the cutoff: node 0 before its confirm lands, node 1 after the
   finalization, before it activated (both restarted at once). */
static void kill_after_cutoff(uint64_t e) {
    kill_restart(&E.n[0], e, "decided", TX_CONFIRM, 0,
                 "node 0 persisted its pending share (SIGKILL)");
    phase_arg late = {&E.n[1], e, NULL, TX_NONE, TX_NONE};
    e2e_drive_until_exact(&E, finalized_not_activated, &late, 60,
                          "finalized on chain, node 1 not activated yet (SIGKILL)");
    e2e_node_kill(&E, &E.n[1]);
    e2e_node_start(&E, &E.n[1]);
    expect_epoch(e, 0);
    expect_event(&E.n[1], "version_activated", e, "it activated the version late");
}

static bool revealed_and_pushed(e2e_cluster *cl, void *arg) {
    const phase_arg *a = arg;
    return at_phase(cl, arg) && peers_have_record(cl, a->node, a->epoch);
}

/* Epoch e, openings: node 2 dies once its reveal landed and its record reached the others,
   and is back only when the ack window has closed (it never acks: every dealer must open
   its share, and it opens its own); node 3 dies in the open window before its opening
   lands and is restarted at once. Node 2 takes its share from the chain's openings. */
static void kill_with_openings(uint64_t e) {
    e2e_node *player = &E.n[2];
    phase_arg a = {player, e, "revealed", TX_REVEAL, TX_NONE};
    e2e_drive_until_exact(&E, revealed_and_pushed, &a, 60, "node 2 revealed and pushed (SIGKILL)");
    e2e_node_kill(&E, player);
    uint64_t open = e * E.opt.interval + E.opt.offsets[2] + 1;
    e2e_drive_until(&E, e2e_until_block, &open, 30, "the ack window closed without node 2");
    e2e_node_start(&E, player);
    kill_restart(&E.n[3], e, "opened", TX_OPEN, 0, "node 3 sent its openings (SIGKILL)");
    int j = e2e_index(&E, e, player);
    expect_epoch(e, (uint64_t)1 << j);
    uint64_t opened[E2E_OPERATORS_MAX];
    size_t n = e2e_epoch_openings(&E, e, opened, E2E_OPERATORS_MAX);
    assert_int_equal(n, NODES);
    for (size_t i = 0; i < n; i++) { /* each dealer opened node 2's share, nothing else */
        if (opened[i] != (uint64_t)1 << j) {
            fail_msg("epoch %llu: dealer %zu opened 0x%llx, expected 0x%llx", (unsigned long long)e,
                     i, (unsigned long long)opened[i], (unsigned long long)1 << j);
        }
    }
}

static void copy_file(const char *to, const char *from) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, in);
    assert_true(n < sizeof buf && feof(in)); /* a nonce store is a few KB */
    assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

/* Epoch e: node 1 dies after it persisted its polynomial but before its commit was even
   signed: its nonce store is put back as it was at the trigger (nothing of that step
   reached the store or the chain). The state machine must send the commit again itself
   (TKMS_PROTO_RESEND_BLOCKS later, still inside the commit window), and the epoch key for
   e + 1 it published in that lost step too (§4.5: epoch e + 1 pins a fresh key). */
static void kill_before_signing(uint64_t e) {
    e2e_node *k = &E.n[1];
    char store[PATH_MAX + 32], saved[PATH_MAX + 32];
    snprintf(store, sizeof store, "%s/data/nonces.json", k->dir);
    snprintf(saved, sizeof saved, "%s/nonces-at-trigger.json", k->dir);
    uint64_t trigger = e * E.opt.interval;
    e2e_drive_until(&E, e2e_until_block, &trigger, 60, "the epoch triggered");
    copy_file(saved, store); /* nothing is sent before the trigger is final */
    phase_arg a = {k, e, "dealt", TX_NONE, TX_COMMIT};
    kill_at(k, &a, "node 1 persisted its polynomial (SIGKILL, transactions unsigned)");
    copy_file(store, saved);
    e2e_node_start(&E, k);
    expect_epoch(e, 0);
    uint64_t next = (e + 1) * E.opt.interval;
    e2e_drive_until(&E, e2e_until_block, &next, 60, "the next trigger");
    uint8_t key_e[32], key_next[32];
    e2e_epoch_key(&E, k, e * E.opt.interval, key_e);
    e2e_epoch_key(&E, k, next, key_next);
    assert_memory_not_equal(key_e, key_next, 32);
}

/* Commit-reveal (protocol.md §4 step 1): node 3's record of epoch e is not served by
   anyone, itself included, at any block of the commit window after its commit landed
   (the node steps at every block in lockstep; it only reveals after the window). */
static void record_private_until_reveal(uint64_t e) {
    phase_arg a = {&E.n[3], e, "dealt", TX_COMMIT, TX_NONE};
    e2e_drive_until_exact(&E, at_phase, &a, 60, "node 3's commit landed, window open");
    char path[96], body[8192];
    record_path(path, &E, &E.n[3], e);
    size_t checked = 0;
    while (e2e_node_in_phase(&E.n[3], e, "dealt")) {
        for (size_t i = 0; i < E.count; i++) {
            assert_int_not_equal(dt_http_get(E.n[i].port, path, body, sizeof body), 200);
        }
        checked++;
        uint64_t next = e2e_head(&E) + 1;
        e2e_drive_until_exact(&E, e2e_until_block, &next, 30, "a block of the commit window");
    }
    assert_true(checked >= 2); /* the commit's landing was final inside the window */
}

static void test_kill_in_every_phase(void **state) {
    (void)state;
    e2e_start_all(&E);
    uint64_t g = e2e_genesis(&E);
    e2e_expect_serving(&E, g);
    kill_before_cutoff(g + 1);
    kill_after_cutoff(g + 2);
    kill_with_openings(g + 3);
    kill_before_signing(g + 4);
    record_private_until_reveal(g + 5);
    expect_epoch(g + 5, 0); /* with every restarted node */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_kill_in_every_phase, e2e_fixture_setup,
                                                 e2e_fixture_teardown, &E),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
