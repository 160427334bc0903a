/*
 * test_epoch.c — a full epoch of the real contracts (contracts/, artifacts from the
 * contracts build via TKMS_CONTRACTS_DIR) driven only through the C chain client on anvil:
 * deploy KmsRegistry/EpochLog/AppController (docs/contracts.md §2), allow and register 5
 * operators, startGenesis, then commit → reveal → ack → open → confirm of the genesis DKG,
 * each phase's transactions mined together in one block of its window. anvil is killed
 * and restarted from its dumped state in the middle of the epoch. Everything is read back
 * with eth_call pinned by block hash at heights before and after each phase, from events
 * (eth_getLogs) and with a block follower running alongside. Also an app release, and
 * every contract signature the C side uses is checked against the artifacts' ABI.
 * The commitments and shares are placeholders: the contracts do not check BLS values.
 */
#include <openssl/sha.h>

#include "chain_test.h"

#define OPS 5
#define T_PRIME 4 /* ceil(2n/3) for n = 5 */
#define INTERVAL 20
#define POOL 256
#define PHASE_GAS 3000000

typedef struct {
    test_anvil anvil;
    tkms_chain_client *c;
    tkms_chain_key owner, op[OPS];
    tkms_chain_nonces *owner_nonces, *op_nonces[OPS];
    size_t order[OPS]; /* index in O (sorted by address) → op[] index */
    tkms_chain_artifact art[3];
    tkms_chain_address registry, epoch_log, apps;
    tkms_chain_follower *follower;
    uint64_t follower_start, epoch, trigger;
    uint8_t commitments[OPS][96 * T_PRIME];
    uint8_t sealed[OPS][32], record[OPS][32];
} env;

static env E;

/* ---- helpers --------------------------------------------------------------------------- */
static tkms_chain_abi_value u64v(uint64_t v) {
    return tkms_chain_abi_uint64(v);
}

/* A pinned view that must succeed; v lives in pool and keep. */
static void view(tkms_chain_abi_value *v, tkms_chain_abi_pool *pool, tkms_chain_bytes *keep,
                 const tkms_chain_address *to, const char *sig, const tkms_chain_abi_value *args,
                 const char *out, tkms_chain_block_ref at) {
    tkms_err err = ct_view(E.c, v, pool, keep, to, sig, args, out, at);
    if (err != TKMS_OK) {
        fail_msg("%s: %s (%s)", sig, tkms_err_name(err), tkms_chain_client_error(E.c));
    }
}

static void send_ok(const tkms_chain_key *k, tkms_chain_nonces *n, const tkms_chain_address *to,
                    const char *sig, const tkms_chain_abi_value *args, tkms_chain_receipt *r) {
    tkms_chain_receipt local;
    tkms_err err = ct_send(E.c, n, k, r ? r : &local, to, sig, args);
    if (err != TKMS_OK) {
        fail_msg("%s: %s (%s)", sig, tkms_err_name(err), tkms_chain_client_error(E.c));
    }
    if (r == NULL) {
        tkms_chain_receipt_clear(&local);
    }
}

/* Submits one call per operator (args[i] for O index i) and mines them in one block. */
static tkms_chain_hash phase(const char *sig, const tkms_chain_abi_value *args, size_t count) {
    ct_automine(E.c, false);
    tkms_chain_sent sent[OPS];
    tkms_chain_send_options opt = ct_send_options();
    for (size_t i = 0; i < count; i++) {
        size_t o = E.order[i];
        tkms_chain_bytes data;
        assert_int_equal(tkms_chain_abi_call_encode(&data, sig, &args[i]), TKMS_OK);
        tkms_chain_send_request req = {
            .to = &E.epoch_log, .data = data.ptr, .data_len = data.len, .gas_limit = PHASE_GAS};
        tkms_err err = tkms_chain_tx_submit(E.c, E.op_nonces[o], &E.op[o], &sent[i], &req, &opt);
        if (err != TKMS_OK) {
            fail_msg("%s by O[%zu]: %s", sig, i, tkms_chain_client_error(E.c));
        }
        tkms_chain_bytes_free(&data);
    }
    ct_rpc_void(E.c, "evm_mine", "[]");
    ct_automine(E.c, true);
    tkms_chain_hash block = {{0}};
    for (size_t i = 0; i < count; i++) {
        tkms_chain_receipt r;
        size_t o = E.order[i];
        tkms_err err = tkms_chain_tx_wait(E.c, E.op_nonces[o], &E.op[o], &r, &sent[i], &opt);
        if (err != TKMS_OK) {
            fail_msg("%s by O[%zu]: %s", sig, i, tkms_chain_client_error(E.c));
        }
        assert_true(i == 0 || memcmp(block.bytes, r.block_hash.bytes, 32) == 0);
        block = r.block_hash;
        tkms_chain_receipt_clear(&r);
    }
    return block;
}

/* Polls the follower; it must only ever add blocks here (no reorg on this chain). */
static void follow(void) {
    static tkms_chain_event events[64];
    bool more = true;
    while (more) {
        size_t n = 0;
        tkms_err err = tkms_chain_follower_poll(E.follower, E.c, events, 64, &n, &more);
        if (err != TKMS_OK) {
            fail_msg("follower: %s", tkms_chain_client_error(E.c));
        }
        for (size_t i = 0; i < n; i++) {
            assert_int_not_equal(events[i].kind, TKMS_CHAIN_EVENT_BLOCK_REMOVED);
        }
    }
}

static uint64_t word_u64(const tkms_chain_abi_value *v) {
    uint64_t x = 0;
    assert_int_equal(tkms_chain_abi_get_u64(&x, v), TKMS_OK);
    return x;
}

/* ---- setup: deploy, allow, register, genesis ----------------------------------------------- */
static void deploy_all(void) {
    ct_artifact(&E.art[0], "KmsRegistry");
    ct_artifact(&E.art[1], "EpochLog");
    ct_artifact(&E.art[2], "AppController");
    tkms_chain_abi_value p[] = {u64v(INTERVAL), u64v(3), u64v(6), u64v(9), u64v(12),
                                u64v(15),       u64v(1), u64v(4), u64v(2)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(p, 9);
    E.registry =
        ct_deploy(E.c, E.owner_nonces, &E.owner, &E.art[0], TKMS_CHAIN_REGISTRY_CONSTRUCTOR, &args);
    tkms_chain_abi_value r = tkms_chain_abi_address(&E.registry);
    args = tkms_chain_abi_tuple(&r, 1);
    E.epoch_log =
        ct_deploy(E.c, E.owner_nonces, &E.owner, &E.art[1], TKMS_CHAIN_EPOCHLOG_CONSTRUCTOR, &args);
    tkms_chain_abi_value l = tkms_chain_abi_address(&E.epoch_log);
    args = tkms_chain_abi_tuple(&l, 1);
    send_ok(&E.owner, E.owner_nonces, &E.registry, TKMS_CHAIN_REGISTRY_SET_EPOCH_LOG, &args, NULL);
    E.apps = ct_deploy(E.c, E.owner_nonces, &E.owner, &E.art[2], NULL, NULL);
}

static void register_operators(void) {
    for (size_t i = 0; i < OPS; i++) {
        tkms_chain_abi_value a = tkms_chain_abi_address(&E.op[i].address);
        tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
        send_ok(&E.owner, E.owner_nonces, &E.registry, TKMS_CHAIN_REGISTRY_ALLOW, &args, NULL);
    }
    for (size_t i = 0; i < OPS; i++) {
        uint8_t ed[32], x[32];
        memset(ed, (int)(0x10 + i), 32);
        memset(x, (int)(0x20 + i), 32);
        char peer[64], app[64];
        snprintf(peer, sizeof peer, "http://127.0.0.1:%zu/peer", 9100 + i);
        snprintf(app, sizeof app, "http://127.0.0.1:%zu", 9200 + i);
        tkms_chain_abi_value f[] = {tkms_chain_abi_bytes32(ed), tkms_chain_abi_bytes32(x),
                                    tkms_chain_abi_string(peer), tkms_chain_abi_string(app)};
        tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 4);
        send_ok(&E.op[i], E.op_nonces[i], &E.registry, TKMS_CHAIN_REGISTRY_REGISTER, &args, NULL);
    }
    for (size_t i = 0; i < OPS; i++) { /* O is sorted ascending by address */
        E.order[i] = i;
    }
    for (size_t i = 0; i < OPS; i++) {
        for (size_t j = i + 1; j < OPS; j++) {
            if (memcmp(E.op[E.order[j]].address.bytes, E.op[E.order[i]].address.bytes, 20) < 0) {
                size_t t = E.order[i];
                E.order[i] = E.order[j];
                E.order[j] = t;
            }
        }
    }
}

static void start_genesis(void) {
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    tkms_chain_receipt r;
    send_ok(&E.owner, E.owner_nonces, &E.registry, TKMS_CHAIN_REGISTRY_START_GENESIS, &none, &r);
    tkms_chain_abi_value pool_values[8], v;
    tkms_chain_abi_pool pool = {pool_values, 8, 0};
    assert_int_equal(r.log_count, 1);
    assert_int_equal(tkms_chain_abi_event_decode(
                         &v, &pool, TKMS_CHAIN_REGISTRY_EVENT_GENESIS_STARTED, &r.logs[0]),
                     TKMS_OK);
    assert_int_equal(word_u64(&v.items[0]), r.block_number);
    E.epoch = word_u64(&v.items[1]);
    E.trigger = E.epoch * INTERVAL;
    assert_true(E.trigger >= r.block_number);
    tkms_chain_receipt_clear(&r);
}

static int setup(void **state) {
    (void)state;
    memset(&E, 0, sizeof E);
    test_anvil_start(&E.anvil, NULL);
    test_anvil_stop(&E.anvil); /* restart with state dumping for the mid-epoch restart */
    const char *args[] = {"--dump-state", E.anvil.state, "--preserve-historical-states", NULL};
    test_anvil_spawn(&E.anvil, E.anvil.port, args);
    E.c = ct_client(E.anvil.url, 1);
    E.owner = ct_key(0);
    E.owner_nonces = ct_nonces(E.anvil.dir, 0, &E.owner);
    for (size_t i = 0; i < OPS; i++) {
        E.op[i] = ct_key(i + 1);
        E.op_nonces[i] = ct_nonces(E.anvil.dir, i + 1, &E.op[i]);
    }
    tkms_chain_follower_options o;
    tkms_chain_follower_options_default(&o);
    o.confirmations = 1;
    E.follower_start = ct_block_number(E.c);
    o.start_block = E.follower_start;
    assert_int_equal(tkms_chain_follower_new(&E.follower, &o), TKMS_OK);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    tkms_chain_follower_free(E.follower);
    tkms_chain_nonces_close(E.owner_nonces);
    for (size_t i = 0; i <= OPS; i++) {
        if (i < OPS) {
            tkms_chain_nonces_close(E.op_nonces[i]);
        }
        ct_nonces_remove(E.anvil.dir, i);
    }
    for (size_t i = 0; i < 3; i++) {
        tkms_chain_artifact_free(&E.art[i]);
    }
    tkms_chain_client_free(E.c);
    test_anvil_cleanup(&E.anvil);
    return 0;
}

/* ---- the epoch ---------------------------------------------------------------------------- */
static tkms_chain_hash commit_phase(void) {
    tkms_chain_abi_value args[OPS], fields[OPS][6];
    for (size_t i = 0; i < OPS; i++) {
        for (size_t k = 0; k < sizeof E.commitments[i]; k++) {
            E.commitments[i][k] = (uint8_t)(i * 31 + k);
        }
        memset(E.sealed[i], (int)(0xa0 + i), 32);
        uint8_t commitments_hash[32];
        SHA256(E.commitments[i], sizeof E.commitments[i], commitments_hash);
        fields[i][0] = u64v(E.epoch);
        fields[i][1] = tkms_chain_abi_address(&E.op[E.order[i]].address);
        fields[i][2] = u64v(UINT64_MAX); /* DKG source */
        fields[i][3] = u64v(T_PRIME);
        fields[i][4] = tkms_chain_abi_bytes32(commitments_hash);
        fields[i][5] = tkms_chain_abi_bytes32(E.sealed[i]);
        tkms_chain_abi_value pool_values[4], v;
        tkms_chain_abi_pool pool = {pool_values, 4, 0};
        tkms_chain_bytes keep;
        tkms_chain_abi_value q = tkms_chain_abi_tuple(fields[i], 6);
        view(&v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF, &q,
             TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF_OUT, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
        memcpy(E.record[i], v.items[0].word, 32);
        tkms_chain_bytes_free(&keep);
    }
    tkms_chain_abi_value commit[OPS][2];
    for (size_t i = 0; i < OPS; i++) {
        commit[i][0] = u64v(E.epoch);
        commit[i][1] = tkms_chain_abi_bytes32(E.record[i]);
        args[i] = tkms_chain_abi_tuple(commit[i], 2);
    }
    return phase(TKMS_CHAIN_EPOCHLOG_COMMIT, args, OPS);
}

static tkms_chain_hash reveal_phase(void) {
    tkms_chain_abi_value args[OPS], f[OPS][3];
    for (size_t i = 0; i < OPS; i++) {
        f[i][0] = u64v(E.epoch);
        f[i][1] = tkms_chain_abi_bytes(E.commitments[i], sizeof E.commitments[i]);
        f[i][2] = tkms_chain_abi_bytes32(E.sealed[i]);
        args[i] = tkms_chain_abi_tuple(f[i], 3);
    }
    return phase(TKMS_CHAIN_EPOCHLOG_REVEAL, args, OPS);
}

/* Every player acks every dealer, except O[4], which lacks dealer O[0]'s share. */
static tkms_chain_hash ack_phase(void) {
    tkms_chain_abi_value args[OPS], f[OPS][2];
    for (size_t i = 0; i < OPS; i++) {
        f[i][0] = u64v(E.epoch);
        f[i][1] = u64v(i == 4 ? 0x1e : 0x1f);
        args[i] = tkms_chain_abi_tuple(f[i], 2);
    }
    return phase(TKMS_CHAIN_EPOCHLOG_ACK, args, OPS);
}

static const uint8_t opened_share[32] = {0x01, 0x02, 0x03};

static tkms_chain_hash open_phase(void) {
    tkms_chain_abi_value player = tkms_chain_abi_address(&E.op[E.order[4]].address);
    tkms_chain_abi_value share = tkms_chain_abi_bytes32(opened_share);
    tkms_chain_abi_value f[] = {u64v(E.epoch), tkms_chain_abi_array(&player, 1),
                                tkms_chain_abi_array(&share, 1)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 3);
    return phase(TKMS_CHAIN_EPOCHLOG_OPEN, &args, 1); /* by dealer O[0] */
}

static uint8_t mpk[96], state_hash[32];

static tkms_chain_hash confirm_phase(void) {
    memset(mpk, 0x33, sizeof mpk);
    mpk[0] = 0xa5; /* compressed, not infinity */
    memset(state_hash, 0x77, sizeof state_hash);
    tkms_chain_abi_value args[OPS], f[OPS][4];
    for (size_t i = 0; i < OPS; i++) {
        f[i][0] = u64v(E.epoch);
        f[i][1] = tkms_chain_abi_bytes(mpk, sizeof mpk);
        f[i][2] = tkms_chain_abi_bytes32(state_hash);
        f[i][3] = u64v(0x1f);
        args[i] = tkms_chain_abi_tuple(f[i], 4);
    }
    return phase(TKMS_CHAIN_EPOCHLOG_CONFIRM, args, OPS);
}

/* epochProgress(e) at a block: committed, revealed, acked, confirmed bitmaps, finalized. */
static void progress_at(const tkms_chain_hash *block, uint64_t bits[4], bool *finalized) {
    tkms_chain_abi_value pool_values[16], v, e = u64v(E.epoch);
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    tkms_chain_bytes keep;
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&e, 1);
    view(&v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_PROGRESS, &args,
         TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT, tkms_chain_block_hash(block));
    for (int i = 0; i < 4; i++) {
        bits[i] = word_u64(&v.items[i]);
    }
    assert_int_equal(tkms_chain_abi_get_bool(finalized, &v.items[4]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
}

static void check_progress(const tkms_chain_hash *block, uint64_t committed, uint64_t revealed,
                           uint64_t acked, uint64_t confirmed, bool finalized) {
    uint64_t bits[4];
    bool fin = !finalized;
    progress_at(block, bits, &fin);
    assert_int_equal(bits[0], committed);
    assert_int_equal(bits[1], revealed);
    assert_int_equal(bits[2], acked);
    assert_int_equal(bits[3], confirmed);
    assert_int_equal(fin, finalized);
}

static void check_snapshot(const tkms_chain_hash *block) {
    tkms_chain_abi_value pool_values[64], v, e = u64v(E.epoch);
    tkms_chain_abi_pool pool = {pool_values, 64, 0};
    tkms_chain_bytes keep;
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&e, 1);
    view(&v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_SNAPSHOT, &args,
         TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT, tkms_chain_block_hash(block));
    assert_int_equal(v.items[0].count, OPS);
    for (size_t i = 0; i < OPS; i++) {
        tkms_chain_address a;
        assert_int_equal(tkms_chain_abi_get_address(&a, &v.items[0].items[i]), TKMS_OK);
        assert_memory_equal(a.bytes, E.op[E.order[i]].address.bytes, 20);
        assert_int_equal(v.items[1].items[i].word[0], 0x20 + E.order[i]); /* epoch key */
    }
    assert_int_equal(word_u64(&v.items[3]), T_PRIME);
    assert_int_equal(word_u64(&v.items[4]), 2); /* r = t' - 1 - f */
    assert_int_equal(word_u64(&v.items[5]), UINT64_MAX);
    tkms_chain_bytes_free(&keep);
}

/* Node infos as of the trigger, read at any later block by hash. */
static void check_node_infos(const tkms_chain_hash *block) {
    tkms_chain_abi_value pool_values[64], v, b = u64v(E.trigger);
    tkms_chain_abi_pool pool = {pool_values, 64, 0};
    tkms_chain_bytes keep;
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&b, 1);
    view(&v, &pool, &keep, &E.registry, TKMS_CHAIN_REGISTRY_NODE_INFOS_AT, &args,
         TKMS_CHAIN_REGISTRY_NODE_INFOS_OUT, tkms_chain_block_hash(block));
    const tkms_chain_abi_value *infos = &v.items[0];
    assert_int_equal(infos->count, OPS);
    for (size_t i = 0; i < OPS; i++) {
        const tkms_chain_abi_value *info = &infos->items[i];
        tkms_chain_address a;
        assert_int_equal(tkms_chain_abi_get_address(&a, &info->items[0]), TKMS_OK);
        assert_memory_equal(a.bytes, E.op[E.order[i]].address.bytes, 20);
        assert_int_equal(info->items[1].word[31], 0x10 + E.order[i]);
        char peer[64];
        snprintf(peer, sizeof peer, "http://127.0.0.1:%zu/peer", 9100 + E.order[i]);
        assert_int_equal(info->items[3].len, strlen(peer));
        assert_memory_equal(info->items[3].data, peer, strlen(peer));
    }
    tkms_chain_bytes_free(&keep);
}

static void check_dealings(const tkms_chain_hash *block, bool revealed) {
    tkms_chain_abi_value pool_values[32], v, e = u64v(E.epoch);
    tkms_chain_abi_pool pool = {pool_values, 32, 0};
    tkms_chain_bytes keep;
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&e, 1);
    view(&v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_DEALINGS, &args,
         TKMS_CHAIN_EPOCHLOG_DEALINGS_OUT, tkms_chain_block_hash(block));
    for (size_t i = 0; i < OPS; i++) {
        assert_memory_equal(v.items[0].items[i].word, E.record[i], 32);
        uint8_t want[32] = {0};
        if (revealed) {
            SHA256(E.commitments[i], sizeof E.commitments[i], want);
        }
        assert_memory_equal(v.items[1].items[i].word, want, 32);
    }
    tkms_chain_bytes_free(&keep);
}

/* acks(e) or openings(e): one bitmap per O index. */
static void check_bitmaps(const char *sig, const tkms_chain_hash *block, const uint64_t want[OPS]) {
    tkms_chain_abi_value pool_values[16], v, e = u64v(E.epoch);
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    tkms_chain_bytes keep;
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&e, 1);
    view(&v, &pool, &keep, &E.epoch_log, sig, &args, TKMS_CHAIN_EPOCHLOG_BITMAPS_OUT,
         tkms_chain_block_hash(block));
    assert_int_equal(v.items[0].count, OPS);
    for (size_t i = 0; i < OPS; i++) {
        assert_int_equal(word_u64(&v.items[0].items[i]), want[i]);
    }
    tkms_chain_bytes_free(&keep);
}

static void check_opened_shares(const tkms_chain_hash *block) {
    tkms_chain_abi_value pool_values[16], v;
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    tkms_chain_bytes keep;
    tkms_chain_abi_value f[] = {u64v(E.epoch), tkms_chain_abi_address(&E.op[E.order[0]].address)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 2);
    view(&v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_OPENED_SHARES, &args,
         TKMS_CHAIN_EPOCHLOG_OPENED_SHARES_OUT, tkms_chain_block_hash(block));
    assert_int_equal(v.items[0].count, 1);
    tkms_chain_address player;
    assert_int_equal(tkms_chain_abi_get_address(&player, &v.items[0].items[0]), TKMS_OK);
    assert_memory_equal(player.bytes, E.op[E.order[4]].address.bytes, 20);
    assert_memory_equal(v.items[1].items[0].word, opened_share, 32);
    tkms_chain_bytes_free(&keep);
}

/* finalizedVersion, masterPublicKey, winningStateHash, confirmers, dealerSet at a block. */
static void check_finalization(const tkms_chain_hash *block, bool done) {
    tkms_chain_abi_value pool_values[16], v, e = u64v(E.epoch);
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    tkms_chain_bytes keep;
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0), one = tkms_chain_abi_tuple(&e, 1);
    tkms_chain_block_ref at = tkms_chain_block_hash(block);
    view(&v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION, &none,
         TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION_OUT, at);
    assert_int_equal(word_u64(&v.items[0]), done ? E.epoch : 0);
    tkms_chain_bytes_free(&keep);
    view(&v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_MPK, &none,
         TKMS_CHAIN_EPOCHLOG_MPK_OUT, at);
    assert_int_equal(v.items[0].len, done ? 96 : 0);
    if (done) {
        assert_memory_equal(v.items[0].data, mpk, 96);
    }
    tkms_chain_bytes_free(&keep);
    view(&v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_WINNING_STATE_HASH, &one,
         TKMS_CHAIN_EPOCHLOG_WINNING_STATE_HASH_OUT, at);
    uint8_t zero[32] = {0};
    assert_memory_equal(v.items[0].word, done ? state_hash : zero, 32);
    tkms_chain_bytes_free(&keep);
    const char *lists[] = {TKMS_CHAIN_EPOCHLOG_CONFIRMERS, TKMS_CHAIN_EPOCHLOG_DEALER_SET};
    for (size_t l = 0; l < 2; l++) {
        pool.used = 0;
        view(&v, &pool, &keep, &E.epoch_log, lists[l], &one, TKMS_CHAIN_EPOCHLOG_ADDRESSES_OUT, at);
        assert_int_equal(v.items[0].count, done ? OPS : 0);
        tkms_chain_bytes_free(&keep);
    }
}

/* The commitments come back from the DealingRevealed events, one per dealer. */
static void check_reveal_events(const tkms_chain_hash *reveal_block) {
    tkms_chain_hash topics[2];
    assert_int_equal(tkms_chain_abi_event_topic(&topics[0], TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED),
                     TKMS_OK);
    assert_int_equal(tkms_chain_abi_event_topic(&topics[1], TKMS_CHAIN_EPOCHLOG_EVENT_FINALIZED),
                     TKMS_OK);
    tkms_chain_log_filter f = {.from_block = E.trigger,
                               .to_block = ct_block_number(E.c),
                               .addresses = &E.epoch_log,
                               .address_count = 1,
                               .topic0 = topics,
                               .topic0_count = 2};
    tkms_chain_logs logs;
    assert_int_equal(tkms_chain_logs_get(E.c, &logs, &f), TKMS_OK);
    assert_int_equal(logs.count, OPS + 1);
    for (size_t i = 0; i < OPS; i++) {
        tkms_chain_abi_value pool_values[16], v;
        tkms_chain_abi_pool pool = {pool_values, 16, 0};
        assert_int_equal(tkms_chain_abi_event_decode(&v, &pool, TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED,
                                                     &logs.items[i]),
                         TKMS_OK);
        assert_memory_equal(logs.items[i].block_hash.bytes, reveal_block->bytes, 32);
        tkms_chain_address dealer;
        assert_int_equal(tkms_chain_abi_get_address(&dealer, &v.items[1]), TKMS_OK);
        size_t index = OPS;
        for (size_t k = 0; k < OPS; k++) {
            index = memcmp(dealer.bytes, E.op[E.order[k]].address.bytes, 20) == 0 ? k : index;
        }
        assert_true(index < OPS);
        assert_int_equal(v.items[4].len, sizeof E.commitments[index]);
        assert_memory_equal(v.items[4].data, E.commitments[index], v.items[4].len);
    }
    tkms_chain_abi_value pool_values[16], v;
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    assert_int_equal(tkms_chain_abi_event_decode(&v, &pool, TKMS_CHAIN_EPOCHLOG_EVENT_FINALIZED,
                                                 &logs.items[OPS]),
                     TKMS_OK);
    assert_memory_equal(v.items[1].word, state_hash, 32);
    assert_int_equal(word_u64(&v.items[4]), 0x1f);
    tkms_chain_logs_free(&logs);
}

/* Kills anvil mid-epoch: a clear error; restarted from its dump, the same client goes on. */
static void kill_and_restart(const tkms_chain_hash *old_block) {
    test_anvil_stop(&E.anvil);
    uint64_t n;
    assert_int_equal(tkms_chain_block_number_get(E.c, &n), TKMS_ERR_CHAIN_RPC_UNREACHABLE);
    assert_non_null(strstr(tkms_chain_client_error(E.c), "eth_blockNumber to http://127.0.0.1:"));
    size_t events = 0;
    bool more = false;
    tkms_chain_event ev[4];
    assert_int_equal(tkms_chain_follower_poll(E.follower, E.c, ev, 4, &events, &more),
                     TKMS_ERR_CHAIN_RPC_UNREACHABLE);
    const char *args[] = {"--load-state",
                          E.anvil.state,
                          "--dump-state",
                          E.anvil.state,
                          "--preserve-historical-states",
                          NULL};
    test_anvil_spawn(&E.anvil, E.anvil.port, args);
    tkms_chain_header h;
    assert_int_equal(tkms_chain_header_get(E.c, &h, tkms_chain_block_hash(old_block)), TKMS_OK);
    follow();
}

static void test_full_epoch(void **state) {
    (void)state;
    deploy_all();
    register_operators();
    start_genesis();
    follow();
    ct_mine_to(E.c, E.trigger);
    tkms_chain_header trigger = ct_header(E.c, E.trigger);
    tkms_chain_hash commit_block = commit_phase();
    check_snapshot(&commit_block);
    check_node_infos(&commit_block);
    check_progress(&trigger.hash, 0, 0, 0, 0, false); /* before: nothing */
    check_progress(&commit_block, 0x1f, 0, 0, 0, false);
    check_dealings(&commit_block, false);
    follow();

    ct_mine_to(E.c, E.trigger + 3);
    tkms_chain_hash reveal_block = reveal_phase();
    check_progress(&reveal_block, 0x1f, 0x1f, 0, 0, false);
    check_dealings(&reveal_block, true);
    check_dealings(&commit_block, false); /* the past does not change */
    kill_and_restart(&commit_block);

    ct_mine_to(E.c, E.trigger + 6);
    tkms_chain_hash ack_block = ack_phase();
    const uint64_t acks[OPS] = {0x1f, 0x1f, 0x1f, 0x1f, 0x1e}, none[OPS] = {0};
    check_bitmaps(TKMS_CHAIN_EPOCHLOG_ACKS, &ack_block, acks);
    check_bitmaps(TKMS_CHAIN_EPOCHLOG_ACKS, &reveal_block, none);
    ct_mine_to(E.c, E.trigger + 9);
    tkms_chain_hash open_block = open_phase();
    const uint64_t opened[OPS] = {1u << 4, 0, 0, 0, 0};
    check_bitmaps(TKMS_CHAIN_EPOCHLOG_OPENINGS, &open_block, opened);
    check_bitmaps(TKMS_CHAIN_EPOCHLOG_OPENINGS, &ack_block, none);
    check_opened_shares(&open_block);
    follow();

    ct_mine_to(E.c, E.trigger + 12);
    tkms_chain_hash confirm_block = confirm_phase();
    check_progress(&confirm_block, 0x1f, 0x1f, 0x1f, 0x1f, true);
    check_finalization(&open_block, false); /* before */
    check_finalization(&confirm_block, true);
    check_reveal_events(&reveal_block);
    ct_mine(E.c, 2);
    follow();
    tkms_chain_header tip;
    assert_true(tkms_chain_follower_tip(E.follower, &tip));
    assert_int_equal(tip.number, ct_block_number(E.c)); /* followed every block */
    check_node_infos(&tip.hash);
}

/* ---- apps ------------------------------------------------------------------------------------ */
static tkms_err latest_release(tkms_chain_abi_value *v, tkms_chain_abi_pool *pool,
                               tkms_chain_bytes *keep, const tkms_chain_address *app,
                               const tkms_chain_hash *block) {
    tkms_chain_abi_value a = tkms_chain_abi_address(app);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    return ct_view(E.c, v, pool, keep, &E.apps, TKMS_CHAIN_APPS_LATEST_RELEASE, &args,
                   TKMS_CHAIN_APPS_RELEASE_OUT, tkms_chain_block_hash(block));
}

static void test_app_release(void **state) {
    (void)state;
    uint8_t salt[32], digest[32];
    memset(salt, 0x5a, 32);
    memset(digest, 0xd1, 32);
    tkms_chain_abi_value s = tkms_chain_abi_bytes32(salt);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&s, 1);
    tkms_chain_receipt r;
    send_ok(&E.op[0], E.op_nonces[0], &E.apps, TKMS_CHAIN_APPS_CREATE, &args, &r);
    tkms_chain_abi_value pool_values[32], v;
    tkms_chain_abi_pool pool = {pool_values, 32, 0};
    assert_int_equal(
        tkms_chain_abi_event_decode(&v, &pool, TKMS_CHAIN_APPS_EVENT_CREATED, &r.logs[0]), TKMS_OK);
    tkms_chain_address app;
    assert_int_equal(tkms_chain_abi_get_address(&app, &v.items[0]), TKMS_OK);
    tkms_chain_hash created_block = r.block_hash;
    tkms_chain_receipt_clear(&r);
    tkms_chain_bytes keep;
    pool.used = 0;
    assert_int_equal(latest_release(&v, &pool, &keep, &app, &created_block),
                     TKMS_ERR_CHAIN_REVERTED);
    const uint8_t *data;
    size_t len;
    tkms_chain_client_revert_data(E.c, &data, &len);
    char text[160], want[80], hex[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_revert_describe(text, sizeof text, &E.art[2], data, len);
    tkms_chain_address_format(hex, &app);
    snprintf(want, sizeof want, "NoRelease(%s)", hex);
    assert_string_equal(text, want);
    const uint8_t env_ct[] = {0xc1, 0xc2, 0xc3};
    tkms_chain_abi_value f[] = {tkms_chain_abi_address(&app), tkms_chain_abi_bytes32(digest),
                                tkms_chain_abi_string("registry.example/app"),
                                tkms_chain_abi_bytes(env_ct, 3),
                                tkms_chain_abi_bytes((const uint8_t *)"A=1\n", 4)};
    args = tkms_chain_abi_tuple(f, 5);
    send_ok(&E.op[0], E.op_nonces[0], &E.apps, TKMS_CHAIN_APPS_PUBLISH, &args, &r);
    pool.used = 0;
    assert_int_equal(latest_release(&v, &pool, &keep, &app, &r.block_hash), TKMS_OK);
    assert_int_equal(word_u64(&v.items[0]), 1);
    assert_int_equal(word_u64(&v.items[1]), r.block_number);
    assert_memory_equal(v.items[2].word, digest, 32);
    assert_int_equal(v.items[4].len, 3);
    assert_memory_equal(v.items[4].data, env_ct, 3);
    tkms_chain_bytes_free(&keep);
    tkms_chain_receipt_clear(&r);
}

/* Every signature the C side uses matches the compiled contracts' ABI. */
static const struct {
    int artifact;
    const char *kind, *name, *signature, *outputs;
} uses[] = {
    {0, "constructor", NULL, TKMS_CHAIN_REGISTRY_CONSTRUCTOR, NULL},
    {0, "function", "allow", TKMS_CHAIN_REGISTRY_ALLOW, "()"},
    {0, "function", "register", TKMS_CHAIN_REGISTRY_REGISTER, "()"},
    {0, "function", "setEpochLog", TKMS_CHAIN_REGISTRY_SET_EPOCH_LOG, "()"},
    {0, "function", "setEpochKey", TKMS_CHAIN_REGISTRY_SET_EPOCH_KEY, "()"},
    {0, "function", "startGenesis", TKMS_CHAIN_REGISTRY_START_GENESIS, "()"},
    {0, "function", "owner", TKMS_CHAIN_REGISTRY_OWNER, TKMS_CHAIN_REGISTRY_OWNER_OUT},
    {0, "function", "isAllowed", TKMS_CHAIN_REGISTRY_IS_ALLOWED, TKMS_CHAIN_REGISTRY_IS_OUT},
    {0, "function", "isActive", TKMS_CHAIN_REGISTRY_IS_ACTIVE, TKMS_CHAIN_REGISTRY_IS_OUT},
    {0, "function", "genesisBlock", TKMS_CHAIN_REGISTRY_GENESIS_BLOCK,
     TKMS_CHAIN_REGISTRY_GENESIS_BLOCK_OUT},
    {0, "function", "params", TKMS_CHAIN_REGISTRY_PARAMS, TKMS_CHAIN_REGISTRY_PARAMS_OUT},
    {0, "function", "getNodeInfosAt", TKMS_CHAIN_REGISTRY_NODE_INFOS_AT,
     TKMS_CHAIN_REGISTRY_NODE_INFOS_OUT},
    {0, "event", "GenesisStarted", TKMS_CHAIN_REGISTRY_EVENT_GENESIS_STARTED, NULL},
    {0, "event", "OperatorRegistered", TKMS_CHAIN_REGISTRY_EVENT_OPERATOR_REGISTERED, NULL},
    {1, "constructor", NULL, TKMS_CHAIN_EPOCHLOG_CONSTRUCTOR, NULL},
    {1, "function", "commitDealing", TKMS_CHAIN_EPOCHLOG_COMMIT, "()"},
    {1, "function", "revealDealing", TKMS_CHAIN_EPOCHLOG_REVEAL, "()"},
    {1, "function", "ack", TKMS_CHAIN_EPOCHLOG_ACK, "()"},
    {1, "function", "openShares", TKMS_CHAIN_EPOCHLOG_OPEN, "()"},
    {1, "function", "confirm", TKMS_CHAIN_EPOCHLOG_CONFIRM, "()"},
    {1, "function", "recordHashOf", TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF,
     TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF_OUT},
    {1, "function", "deadlines", TKMS_CHAIN_EPOCHLOG_DEADLINES, TKMS_CHAIN_EPOCHLOG_DEADLINES_OUT},
    {1, "function", "epochSnapshot", TKMS_CHAIN_EPOCHLOG_SNAPSHOT,
     TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT},
    {1, "function", "epochProgress", TKMS_CHAIN_EPOCHLOG_PROGRESS,
     TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT},
    {1, "function", "dealings", TKMS_CHAIN_EPOCHLOG_DEALINGS, TKMS_CHAIN_EPOCHLOG_DEALINGS_OUT},
    {1, "function", "acks", TKMS_CHAIN_EPOCHLOG_ACKS, TKMS_CHAIN_EPOCHLOG_BITMAPS_OUT},
    {1, "function", "openings", TKMS_CHAIN_EPOCHLOG_OPENINGS, TKMS_CHAIN_EPOCHLOG_BITMAPS_OUT},
    {1, "function", "openedShares", TKMS_CHAIN_EPOCHLOG_OPENED_SHARES,
     TKMS_CHAIN_EPOCHLOG_OPENED_SHARES_OUT},
    {1, "function", "finalizedVersion", TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION,
     TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION_OUT},
    {1, "function", "winningStateHash", TKMS_CHAIN_EPOCHLOG_WINNING_STATE_HASH,
     TKMS_CHAIN_EPOCHLOG_WINNING_STATE_HASH_OUT},
    {1, "function", "masterPublicKey", TKMS_CHAIN_EPOCHLOG_MPK, TKMS_CHAIN_EPOCHLOG_MPK_OUT},
    {1, "function", "confirmers", TKMS_CHAIN_EPOCHLOG_CONFIRMERS,
     TKMS_CHAIN_EPOCHLOG_ADDRESSES_OUT},
    {1, "function", "dealerSet", TKMS_CHAIN_EPOCHLOG_DEALER_SET, TKMS_CHAIN_EPOCHLOG_ADDRESSES_OUT},
    {1, "event", "DealingRevealed", TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED, NULL},
    {1, "event", "EpochFinalized", TKMS_CHAIN_EPOCHLOG_EVENT_FINALIZED, NULL},
    {2, "function", "createApp", TKMS_CHAIN_APPS_CREATE, TKMS_CHAIN_APPS_CREATE_OUT},
    {2, "function", "publishRelease", TKMS_CHAIN_APPS_PUBLISH, TKMS_CHAIN_APPS_PUBLISH_OUT},
    {2, "function", "latestRelease", TKMS_CHAIN_APPS_LATEST_RELEASE, TKMS_CHAIN_APPS_RELEASE_OUT},
    {2, "function", "releaseAt", TKMS_CHAIN_APPS_RELEASE_AT, TKMS_CHAIN_APPS_RELEASE_AT_OUT},
    {2, "function", "appAddress", TKMS_CHAIN_APPS_APP_ADDRESS, TKMS_CHAIN_APPS_APP_ADDRESS_OUT},
    {2, "event", "AppCreated", TKMS_CHAIN_APPS_EVENT_CREATED, NULL},
    {2, "event", "ReleasePublished", TKMS_CHAIN_APPS_EVENT_RELEASE, NULL},
};

static void test_signatures_match_artifacts(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof uses / sizeof uses[0]; i++) {
        char signature[512], outputs[512];
        tkms_err err = tkms_chain_artifact_signature(
            signature, sizeof signature, uses[i].outputs ? outputs : NULL, sizeof outputs,
            &E.art[uses[i].artifact], uses[i].kind, uses[i].name);
        if (err != TKMS_OK) {
            fail_msg("%s %s: %s", uses[i].kind, uses[i].signature, tkms_err_name(err));
        }
        assert_string_equal(signature, uses[i].signature);
        if (uses[i].outputs != NULL) {
            assert_string_equal(outputs, uses[i].outputs);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_epoch),
        cmocka_unit_test(test_app_release),
        cmocka_unit_test(test_signatures_match_artifacts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
