/*
 * test_driver_view.c — the chain view builder (src/node/view.c, view_source.c) against the
 * real contracts on anvil: the snapshot (O in address order, epoch and Ed25519 keys as of
 * the trigger, t', r, DKG source), progress bitmaps, committed record hashes, revealed
 * commitments recovered from DealingRevealed logs, acks, openings placed at their player's
 * index, records taken from the pool by committed hash only — and the I1 failure rules: a
 * view pinned to a block that was reorged out fails as a whole (no partial view), and
 * commitments whose hash is not the on-chain one are never accepted.
 * The commitments are placeholders: neither the contracts nor the view builder check
 * curve points (the state machine does).
 */
#include "chain/chain_test.h"
#include "driver_test.h"
#include "node/driver.h"
#include "prim/prim.h"

#define OPS 4
#define T_PRIME 3 /* ceil(2·4/3) */
#define INTERVAL 30

typedef struct {
    test_anvil anvil;
    tkms_chain_client *c;
    tkms_chain_key owner, op[OPS];
    tkms_chain_nonces *nonces[OPS + 1];
    tkms_chain_address registry, epoch_log;
    size_t order[OPS]; /* O index -> op[] */
    uint64_t epoch, trigger;
    uint8_t commitments[OPS][96 * T_PRIME];
    uint8_t record_hash[OPS][32];
    node_records *records;
    node_viewer *vw;
    node_view *view;
} env;

static env E;

static void send_ok(size_t who, const tkms_chain_address *to, const char *sig,
                    const tkms_chain_abi_value *args) {
    tkms_chain_receipt r;
    const tkms_chain_key *k = who == 0 ? &E.owner : &E.op[who - 1];
    tkms_err err = ct_send(E.c, E.nonces[who], k, &r, to, sig, args);
    if (err != TKMS_OK) {
        fail_msg("%s: %s (%s)", sig, tkms_err_name(err), tkms_chain_client_error(E.c));
    }
    tkms_chain_receipt_clear(&r);
}

static void deploy_and_register(void) {
    tkms_chain_artifact reg, log;
    ct_artifact(&reg, "KmsRegistry");
    ct_artifact(&log, "EpochLog");
    tkms_chain_abi_value p[9];
    const uint64_t params[9] = {INTERVAL, 5, 10, 15, 20, 25, 1, OPS, 2};
    for (size_t i = 0; i < 9; i++) {
        p[i] = tkms_chain_abi_uint64(params[i]);
    }
    tkms_chain_abi_value args = tkms_chain_abi_tuple(p, 9);
    E.registry = ct_deploy(E.c, E.nonces[0], &E.owner, &reg, TKMS_CHAIN_REGISTRY_CONSTRUCTOR,
                           &args);
    tkms_chain_abi_value a = tkms_chain_abi_address(&E.registry);
    args = tkms_chain_abi_tuple(&a, 1);
    E.epoch_log = ct_deploy(E.c, E.nonces[0], &E.owner, &log, TKMS_CHAIN_EPOCHLOG_CONSTRUCTOR,
                            &args);
    a = tkms_chain_abi_address(&E.epoch_log);
    args = tkms_chain_abi_tuple(&a, 1);
    send_ok(0, &E.registry, TKMS_CHAIN_REGISTRY_SET_EPOCH_LOG, &args);
    for (size_t i = 0; i < OPS; i++) {
        a = tkms_chain_abi_address(&E.op[i].address);
        args = tkms_chain_abi_tuple(&a, 1);
        send_ok(0, &E.registry, TKMS_CHAIN_REGISTRY_ALLOW, &args);
        uint8_t ed[32], x[32];
        memset(ed, (int)(0x10 + i), 32);
        memset(x, (int)(0x20 + i), 32);
        tkms_chain_abi_value f[] = {tkms_chain_abi_bytes32(ed), tkms_chain_abi_bytes32(x),
                                    tkms_chain_abi_string("http://127.0.0.1:1"),
                                    tkms_chain_abi_string("http://127.0.0.1:2")};
        args = tkms_chain_abi_tuple(f, 4);
        send_ok(i + 1, &E.registry, TKMS_CHAIN_REGISTRY_REGISTER, &args);
    }
    tkms_chain_artifact_free(&reg);
    tkms_chain_artifact_free(&log);
    for (size_t i = 0; i < OPS; i++) {
        E.order[i] = 0;
        for (size_t j = 0; j < OPS; j++) {
            E.order[i] += memcmp(E.op[j].address.bytes, E.op[i].address.bytes, 20) < 0;
        }
    }
}

static size_t op_at(size_t index) { /* the op[] of O index `index` */
    for (size_t i = 0; i < OPS; i++) {
        if (E.order[i] == index) {
            return i;
        }
    }
    fail_msg("no operator at index %zu", index);
    return 0;
}

static void viewer_new(void) {
    E.records = node_records_new();
    E.vw = calloc(1, sizeof *E.vw);
    E.view = calloc(1, sizeof *E.view);
    assert_non_null(E.records);
    E.vw->chain = E.c;
    E.vw->registry = E.registry;
    E.vw->epoch_log = E.epoch_log;
    E.vw->group = tkms_proto_group_bls();
    E.vw->records = E.records;
    tkms_proto_config *pc = &E.vw->config;
    pc->chain_id = CT_CHAIN_ID;
    memcpy(pc->epoch_log, E.epoch_log.bytes, 20);
    pc->interval = INTERVAL;
    pc->commit_offset = 5;
    pc->reveal_offset = 10;
    pc->ack_offset = 15;
    pc->open_offset = 20;
    pc->confirm_offset = 25;
}

static int setup(void **state) {
    (void)state;
    memset(&E, 0, sizeof E);
    setenv("TKMS_CONTRACTS_DIR", dt_contracts_dir(), 1);
    test_anvil_start(&E.anvil, NULL);
    E.c = ct_client(E.anvil.url, 1);
    E.owner = ct_key(0);
    E.nonces[0] = ct_nonces(E.anvil.dir, 0, &E.owner);
    for (size_t i = 0; i < OPS; i++) {
        E.op[i] = ct_key(i + 1);
        E.nonces[i + 1] = ct_nonces(E.anvil.dir, i + 1, &E.op[i]);
    }
    deploy_and_register();
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    send_ok(0, &E.registry, TKMS_CHAIN_REGISTRY_START_GENESIS, &none);
    E.epoch = ct_block_number(E.c) / INTERVAL + 1;
    E.trigger = E.epoch * INTERVAL;
    viewer_new();
    return 0;
}

static int teardown(void **state) {
    (void)state;
    for (size_t i = 0; i <= OPS; i++) {
        tkms_chain_nonces_close(E.nonces[i]);
        ct_nonces_remove(E.anvil.dir, i);
    }
    node_records_free(E.records);
    free(E.vw);
    free(E.view);
    tkms_chain_client_free(E.c);
    test_anvil_cleanup(&E.anvil);
    return 0;
}

static tkms_proto_chain_view *view_at(uint64_t number) {
    tkms_chain_header h = ct_header(E.c, number);
    tkms_err err = node_view_build(E.vw, E.view, &h);
    if (err != TKMS_OK) {
        fail_msg("view at %llu: %s: %s", (unsigned long long)number, tkms_err_name(err),
                 E.vw->error);
    }
    assert_int_equal(E.view->v.height, number);
    return &E.view->v;
}

/* recordHashOf(epoch, dealer, DKG, t', sha256(commitments), sealedHash) as the chain has it. */
static void record_hash_of(uint8_t out[32], size_t index, const uint8_t sealed_hash[32]) {
    uint8_t ch[32];
    tkms_prim_sha256(ch, E.commitments[index], sizeof E.commitments[index]);
    tkms_chain_abi_value f[] = {tkms_chain_abi_uint64(E.epoch),
                                tkms_chain_abi_address(&E.op[op_at(index)].address),
                                tkms_chain_abi_uint64(UINT64_MAX), tkms_chain_abi_uint64(T_PRIME),
                                tkms_chain_abi_bytes32(ch), tkms_chain_abi_bytes32(sealed_hash)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 6), v, pool_values[4];
    tkms_chain_abi_pool pool = {pool_values, 4, 0};
    tkms_chain_bytes keep;
    assert_int_equal(ct_view(E.c, &v, &pool, &keep, &E.epoch_log,
                             TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF, &args,
                             TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF_OUT,
                             tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST)),
                     TKMS_OK);
    memcpy(out, v.items[0].word, 32);
    tkms_chain_bytes_free(&keep);
}

static void commit_and_reveal(void) {
    uint8_t sealed[OPS][32];
    for (size_t i = 0; i < OPS; i++) {
        for (size_t k = 0; k < sizeof E.commitments[i]; k++) {
            E.commitments[i][k] = (uint8_t)(i * 37 + k);
        }
        memset(sealed[i], (int)(0xa0 + i), 32);
        record_hash_of(E.record_hash[i], i, sealed[i]);
    }
    ct_mine_to(E.c, E.trigger);
    for (size_t i = 0; i < OPS; i++) { /* one block each: B+1 .. B+4 */
        tkms_chain_abi_value f[] = {tkms_chain_abi_uint64(E.epoch),
                                    tkms_chain_abi_bytes32(E.record_hash[i])};
        tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 2);
        send_ok(op_at(i) + 1, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_COMMIT, &args);
    }
    tkms_proto_chain_view *v = view_at(ct_block_number(E.c));
    assert_int_equal(v->committed, 0xf);
    assert_int_equal(v->revealed, 0);
    for (size_t i = 0; i < OPS; i++) {
        assert_memory_equal(v->record_hash[i], E.record_hash[i], 32);
        assert_null(v->dealing[i]);
    }
    ct_mine_to(E.c, E.trigger + 5);
    for (size_t i = 0; i < OPS; i++) { /* B+6 .. B+9 */
        tkms_chain_abi_value f[] = {tkms_chain_abi_uint64(E.epoch),
                                    tkms_chain_abi_bytes(E.commitments[i],
                                                         sizeof E.commitments[i]),
                                    tkms_chain_abi_bytes32(sealed[i])};
        tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 3);
        send_ok(op_at(i) + 1, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_REVEAL, &args);
    }
}

static void test_epoch_views(void **state) {
    (void)state;
    /* before the first active trigger: an inactive epoch, no global state */
    tkms_proto_chain_view *v = view_at(ct_block_number(E.c));
    assert_false(v->active);
    assert_int_equal(v->n, 0);
    assert_int_equal(v->finalized_version, 0);
    assert_false(v->has_mpk);
    assert_int_equal(v->retained_count, 0);
    ct_mine_to(E.c, E.trigger);
    v = view_at(E.trigger); /* the snapshot as of B */
    assert_true(v->active);
    assert_int_equal(v->epoch, E.epoch);
    assert_int_equal(v->n, OPS);
    assert_int_equal(v->t, T_PRIME);
    assert_int_equal(v->r, 1); /* t' - 1 - f */
    assert_int_equal(v->source, TKMS_PROTO_DKG_SOURCE);
    assert_null(v->source_commitments);
    for (size_t i = 0; i < OPS; i++) {
        size_t o = op_at(i);
        assert_memory_equal(v->ops[i].address, E.op[o].address.bytes, 20);
        assert_int_equal(v->ops[i].ed25519[0], 0x10 + o);
        assert_int_equal(v->ops[i].x25519[31], 0x20 + o);
    }
    commit_and_reveal();
    v = view_at(ct_block_number(E.c));
    assert_int_equal(v->revealed, 0xf);
    for (size_t i = 0; i < OPS; i++) { /* from the logs, checked against the chain's hash */
        assert_non_null(v->dealing[i]);
        assert_int_equal(v->dealing[i]->t, T_PRIME);
        assert_memory_equal(v->dealing[i]->c, E.commitments[i], sizeof E.commitments[i]);
    }
}

/* Acks, one opening at its player's index, and records by committed hash only. */
static void test_acks_openings_records(void **state) {
    (void)state;
    ct_mine_to(E.c, E.trigger);
    commit_and_reveal();
    ct_mine_to(E.c, E.trigger + 10);
    for (size_t j = 0; j < OPS; j++) { /* player 2 lacks dealer 3's share */
        tkms_chain_abi_value f[] = {tkms_chain_abi_uint64(E.epoch),
                                    tkms_chain_abi_uint64(j == 2 ? 0x7 : 0xf)};
        tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 2);
        send_ok(op_at(j) + 1, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_ACK, &args);
    }
    ct_mine_to(E.c, E.trigger + 15);
    uint8_t share[32] = {0};
    share[31] = 42;
    tkms_chain_abi_value player = tkms_chain_abi_address(&E.op[op_at(2)].address);
    tkms_chain_abi_value s = tkms_chain_abi_bytes32(share);
    tkms_chain_abi_value f[] = {tkms_chain_abi_uint64(E.epoch), tkms_chain_abi_array(&player, 1),
                                tkms_chain_abi_array(&s, 1)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 3);
    send_ok(op_at(3) + 1, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_OPEN, &args);
    uint8_t bytes[300], junk_hash[32];
    memset(bytes, 0x5a, sizeof bytes);
    memset(junk_hash, 0x77, sizeof junk_hash);
    assert_true(node_records_put(E.records, E.epoch, E.record_hash[1], bytes, sizeof bytes));
    assert_true(node_records_put(E.records, E.epoch, junk_hash, bytes, sizeof bytes));
    tkms_proto_chain_view *v = view_at(ct_block_number(E.c));
    assert_int_equal(v->acked, 0xf);
    assert_int_equal(v->ack_bitmap[2], 0x7);
    assert_int_equal(v->ack_bitmap[0], 0xf);
    assert_int_equal(v->opened[3], 1u << 2);
    assert_int_equal(v->opened[0], 0);
    assert_memory_equal(v->opened_share[3][2], share, 32);
    assert_non_null(v->record[1]); /* pooled under the committed hash */
    assert_int_equal(v->record_len[1], sizeof bytes);
    assert_memory_equal(v->record[1], bytes, sizeof bytes);
    assert_null(v->record[0]);
    assert_null(v->record[2]);
}

/* I1: commitments whose hash is not the chain's are never taken; a view pinned to a block
   that left the canonical chain fails whole. */
static void test_failures_are_whole(void **state) {
    (void)state;
    ct_mine_to(E.c, E.trigger);
    commit_and_reveal();
    tkms_proto_commitments out[OPS];
    uint8_t addr[OPS][20], wrong[OPS][32];
    for (size_t i = 0; i < OPS; i++) {
        memcpy(addr[i], E.op[op_at(i)].address.bytes, 20);
        tkms_prim_sha256(wrong[i], E.commitments[i], sizeof E.commitments[i]);
    }
    wrong[2][0] ^= 1;
    tkms_err err = node_view_revealed_scan(E.vw, out, E.epoch, T_PRIME,
                                           (const uint8_t(*)[20])addr,
                                           (const uint8_t(*)[32])wrong, 0xf,
                                           ct_block_number(E.c));
    assert_int_equal(err, TKMS_ERR_NODE_COMMITMENTS_MISSING);
    assert_non_null(strstr(E.vw->error, "0x4")); /* dealer 2 named */
    assert_int_equal(node_view_revealed_scan(E.vw, out, E.epoch, T_PRIME,
                                             (const uint8_t(*)[20])addr,
                                             (const uint8_t(*)[32])wrong, 0xb,
                                             ct_block_number(E.c)),
                     TKMS_OK);
    json_decref(ct_rpc(E.c, "evm_snapshot", "[]"));
    ct_mine(E.c, 1);
    tkms_chain_header gone = ct_header(E.c, ct_block_number(E.c));
    json_t *snap_id = ct_rpc(E.c, "evm_snapshot", "[]");
    json_decref(snap_id);
    ct_rpc_void(E.c, "evm_revert", "[\"0x0\"]"); /* back before `gone` */
    ct_mine(E.c, 3);
    view_at(ct_block_number(E.c)); /* a good view first: the failure must clear it */
    err = node_view_build(E.vw, E.view, &gone);
    assert_int_equal(err, TKMS_ERR_NODE_VIEW_READ);
    assert_false(E.view->v.active);
    assert_int_equal(E.view->v.n, 0);
    assert_int_equal(E.view->v.revealed, 0);
    assert_null(E.view->v.dealing[0]);
    assert_true(strlen(E.vw->error) > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_epoch_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acks_openings_records, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failures_are_whole, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
