/*
 * test_driver_e2e.c — four real tkmsd processes on a real anvil, over real loopback HTTP
 * and real SQLite files: the genesis DKG, one reshare, then a node SIGKILLed in the middle
 * of an epoch and restarted, which must rejoin with no manual step and confirm the epoch
 * with the others.
 *
 * The cluster (deployment, `tkmsd keygen` + allow + register + config per node, the
 * lockstep miner, every bounded wait) is the harness of e2e.h; docs/node.md "End-to-end
 * tests" lists what each e2e program proves.
 * Checks: the chain finalizes epoch G (genesis) and G+1 (reshare, same MPK); every node
 * serves them (/readyz, /v1/pubkey with the chain's MPK); a node SIGKILLed after its
 * commit of epoch G+2 landed, and another after its ack of G+3 landed (its decrypted
 * components exist only in its store then), each restarted three blocks later, is among
 * that epoch's winning confirmers and activates it; a node whose store writes fail (its
 * file-size limit, as a full disk) halts with status 3 and, restarted, rejoins the next
 * epoch; SIGTERM stops every node with status 0.
 * Not here: the other protocol phases (test_e2e_kill_phases.c), sizes (test_e2e_sizes.c),
 * membership changes (test_e2e_membership.c).
 */
#include "e2e.h"

#define NODES 4

static e2e_cluster E = {.opt = {.nodes = NODES}};

typedef struct {
    uint64_t epoch;
    const e2e_node *node;
    bool ack; /* false: its commit */
} landed_arg;

/* The node's commit (or ack) of the epoch is on chain. */
static bool landed(e2e_cluster *cl, void *arg) {
    const landed_arg *a = arg;
    if (e2e_current_epoch(cl) < a->epoch) {
        return false; /* not triggered yet: O(epoch) does not exist */
    }
    e2e_progress p = e2e_epoch_progress(cl, a->epoch);
    int index = e2e_index(cl, a->epoch, a->node);
    assert_true(index >= 0);
    return ((a->ack ? p.acked : p.committed) >> index) & 1;
}

static void genesis_and_reshare(uint64_t *g) {
    e2e_start_all(&E);
    *g = e2e_genesis(&E);
    e2e_expect_serving(&E, *g);
    uint64_t next = *g + 1;
    e2e_drive_until(&E, e2e_until_finalized, &next, 120, "reshare finalized on chain");
    assert_int_equal(e2e_finalized_version(&E), next);
    e2e_expect_serving(&E, next); /* same MPK as the chain's, which never changes */
}

static void expect_winner(uint64_t e, const e2e_node *k, const char *who) {
    e2e_progress p = e2e_epoch_progress(&E, e);
    assert_true(p.finalized);
    int index = e2e_index(&E, e, k);
    assert_true(index >= 0);
    if (!((p.winners >> index) & 1)) {
        e2e_dump_logs(&E);
        fail_msg("epoch %llu: %s is not among the winning confirmers (0x%llx)",
                 (unsigned long long)e, who, (unsigned long long)p.winners);
    }
}

/* SIGKILLs node k once its commit (ack = false) or ack of epoch e landed, restarts it
   three blocks later, and checks that e finalizes with k among the winning confirmers and
   that every node activates e. */
static void crash_and_rejoin(e2e_node *k, uint64_t e, bool ack, const char *what) {
    landed_arg arg = {e, k, ack};
    e2e_drive_until(&E, landed, &arg, 60, what);
    e2e_node_kill(&E, k);
    uint64_t resume = e2e_head(&E) + 3;
    e2e_drive_until(&E, e2e_until_block, &resume, 30, "three blocks without the killed node");
    e2e_node_start(&E, k);
    e2e_drive_until(&E, e2e_until_finalized, &e, 120, "the epoch of the crash finalized");
    expect_winner(e, k, "the restarted node");
    e2e_expect_serving(&E, e); /* every node, the restarted one too */
}

static bool exited(e2e_cluster *cl, void *arg) {
    (void)cl;
    return e2e_node_exited(arg);
}

/* R6: a store write that fails (here: the file-size limit, as a full disk would) halts the
   node with status 3 after logging; restarted normally, it rejoins and confirms the next
   epoch that starts after it came back. */
static void store_failure_halts(e2e_node *k) {
    assert_int_equal(e2e_node_term(&E, k), 0);
    char data[PATH_MAX + 16];
    snprintf(data, sizeof data, "%s/data/tkms.db", k->dir);
    struct stat st;
    assert_int_equal(stat(data, &st), 0);
    /* room for opening (its WAL and shared memory) but not for many state writes */
    e2e_node_start_fsize(&E, k, (rlim_t)(st.st_size + 160 * 1024));
    e2e_drive_until(&E, exited, k, 60, "the node with a full disk halted");
    int status = k->wait_status;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 3 || !e2e_node_log_has(k, "halting")) {
        dt_log_tail(k->log, 20);
        fail_msg("expected exit status 3 after a failed store write (status 0x%x)", status);
    }
    e2e_node_start(&E, k);
    uint64_t e = e2e_current_epoch(&E) + 1;
    e2e_drive_until(&E, e2e_until_finalized, &e, 120, "the next epoch finalized");
    expect_winner(e, k, "the node that halted");
    e2e_drive_until(&E, e2e_until_all_serve, &e, 60, "every node activated it");
}

static void test_genesis_reshare_kill_restart(void **state) {
    (void)state;
    uint64_t g = 0;
    genesis_and_reshare(&g);
    crash_and_rejoin(&E.n[1], g + 2, false, "node 1 committed its dealing (then SIGKILL)");
    crash_and_rejoin(&E.n[2], g + 3, true, "node 2 acked (then SIGKILL)");
    store_failure_halts(&E.n[3]);
    for (size_t i = 0; i < NODES; i++) { /* graceful stop */
        kill(E.n[i].pid, SIGTERM);
    }
    for (size_t i = 0; i < NODES; i++) {
        int status = dt_wait(E.n[i].pid, 15000);
        assert_true(status != -1 && WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        E.n[i].pid = 0;
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_genesis_reshare_kill_restart,
                                                 e2e_fixture_setup, e2e_fixture_teardown, &E),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
