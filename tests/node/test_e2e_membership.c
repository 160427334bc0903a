/*
 * test_e2e_membership.c — operator-set changes between epochs (protocol.md §6,
 * docs/contracts.md §4 guards) with real tkmsd processes on anvil, through the harness of
 * e2e.h.
 *
 * Six operators run the genesis DKG (t' = 4: six live holders, t + 1 = 5). During the
 * next epoch G+1, before its cutoff, the owner ejects one operator (allowed: five live
 * holders remain), a second ejection is refused by the live-holder guard
 * (LiveHolderGuard: it would leave four < t + 1), a new operator is added (allow, `tkmsd
 * keygen`, register, a new tkmsd started), and after the cutoff the removal of the new one
 * is refused by the membership freeze (MembershipFrozen). G+1 still runs with the old set.
 *
 * Checks: G+1 finalizes with all six old operators; O(G+2) is the new set (the ejected
 * operator out, the new one in); G+2 finalizes with every member of it among the winning
 * confirmers — the new operator too, though it is not a dealer (it holds no share of G+1);
 * every member, the new node included, serves G+2 with the chain's MPK (the same as at
 * genesis); the ejected node is idle, is not a holder of G+2 (/v1/pubkey?version 409) and,
 * once G+3 finalizes and G+1 leaves the retained set, holds nothing at all (/v1/status,
 * /readyz 503); G+3 finalizes with the new set.
 */
#include "e2e.h"

#define NODES 6
#define SIG_EJECT "eject(address)"

static e2e_cluster E = {.opt = {.nodes = NODES}};

static tkms_err eject(const e2e_node *nd) {
    tkms_chain_abi_value a = tkms_chain_abi_address(&nd->address);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    return e2e_owner_send(&E, &E.registry, SIG_EJECT, &args);
}

/* The owner's ejection of nd is refused before anything is signed, with that error. */
static void expect_refused(const e2e_node *nd, const char *error) {
    tkms_err err = eject(nd);
    if (err != TKMS_ERR_CHAIN_REVERTED || strncmp(E.revert, error, strlen(error)) != 0) {
        fail_msg("eject: expected %s, got %s \"%s\"", error, tkms_err_name(err), E.revert);
    }
}

/* Epoch e finalized and, once its confirm window closed, every member of O(e) confirmed
   the winning key; returns n = |O(e)|. */
static size_t expect_all_winners(uint64_t e) {
    e2e_drive_until(&E, e2e_until_finalized, &e, 120, "the epoch finalized");
    uint64_t closed = e * E.opt.interval + E.opt.offsets[4] + 1;
    e2e_drive_until(&E, e2e_until_block, &closed, 60, "its confirm window closed");
    tkms_chain_address ops[E2E_OPERATORS_MAX];
    size_t n = e2e_operators(&E, e, ops, E2E_OPERATORS_MAX);
    e2e_progress p = e2e_epoch_progress(&E, e);
    uint64_t all = ((uint64_t)1 << n) - 1;
    if (!p.finalized || p.winners != all) {
        e2e_dump_logs(&E);
        fail_msg("epoch %llu: winners 0x%llx of %zu operators", (unsigned long long)e,
                 (unsigned long long)p.winners, n);
    }
    e2e_expect_serving(&E, e);
    return n;
}

/* During epoch e, before its cutoff: eject `out` (allowed), eject `kept` (refused by the
   live-holder guard), add a node and start it; after the cutoff, eject the new node
   (refused by the freeze alone: it holds nothing). Returns the new node. */
static e2e_node *change_members(uint64_t e, e2e_node *out, e2e_node *kept) {
    uint64_t trigger = e * E.opt.interval;
    e2e_drive_until(&E, e2e_until_block, &trigger, 60, "the epoch triggered");
    if (eject(out) != TKMS_OK) {
        fail_msg("eject of a live holder leaving t + 1: %s", E.revert);
    }
    expect_refused(kept, "LiveHolderGuard");
    e2e_node *added = e2e_node_add(&E);
    e2e_node_start(&E, added);
    assert_true(e2e_head(&E) <= trigger + E.opt.offsets[3]); /* all before the cutoff */
    e2e_note(&E, "ejected one, refused one, added one");
    uint64_t frozen = trigger + E.opt.offsets[3] + 1;
    e2e_drive_until(&E, e2e_until_block, &frozen, 60, "past the cutoff");
    expect_refused(added, "MembershipFrozen");
    return added;
}

static bool holds_nothing(e2e_cluster *cl, void *arg) {
    (void)cl;
    json_t *status = e2e_node_status(arg);
    bool empty = status != NULL && json_array_size(json_object_get(status, "versions_held")) == 0;
    json_decref(status);
    return empty;
}

/* The ejected node: not in O(e), idle, not a holder of e; later it holds nothing. */
static void expect_gone(const e2e_node *out, uint64_t e) {
    assert_int_equal(e2e_index(&E, e, out), -1);
    json_t *status = e2e_node_status(out);
    assert_non_null(status);
    assert_string_equal(json_string_value(json_object_get(status, "phase")), "idle");
    json_decref(status);
    char path[64], body[4096];
    snprintf(path, sizeof path, "/v1/pubkey?version=%llu", (unsigned long long)e);
    assert_int_equal(dt_http_get(out->port, path, body, sizeof body), 409);
    assert_non_null(strstr(body, "not_holder"));
}

static void test_add_and_remove(void **state) {
    (void)state;
    e2e_start_all(&E);
    uint64_t g = e2e_genesis(&E);
    e2e_expect_serving(&E, g);
    char mpk[193], now[193];
    e2e_mpk_hex(&E, mpk);
    e2e_node *out = &E.n[5], *kept = &E.n[4];
    e2e_node *added = change_members(g + 1, out, kept);
    assert_int_equal(expect_all_winners(g + 1), NODES); /* the old set */
    assert_true(e2e_index(&E, g + 1, out) >= 0);
    assert_int_equal(e2e_index(&E, g + 1, added), -1);
    uint64_t e = g + 2;
    e2e_drive_until(&E, e2e_until_block, &(uint64_t){e * E.opt.interval}, 60, "G+2 triggered");
    assert_int_equal(expect_all_winners(e), NODES); /* five old + the new one */
    int index = e2e_index(&E, e, added);
    assert_true(index >= 0);
    assert_false((e2e_epoch_progress(&E, e).dealers >> index) & 1); /* no share of G+1 */
    assert_true(e2e_node_serves(added, e));
    expect_gone(out, e);
    e2e_mpk_hex(&E, now);
    assert_string_equal(now, mpk);
    assert_int_equal(expect_all_winners(e + 1), NODES);
    e2e_drive_until(&E, holds_nothing, out, 60, "the ejected node erased every version");
    char body[1024];
    assert_int_equal(dt_http_get(out->port, "/readyz", body, sizeof body), 503);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate_setup_teardown(test_add_and_remove, e2e_fixture_setup,
                                                 e2e_fixture_teardown, &E),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
