/*
 * chain_fixture.h — a tkms network on a real chain for the client's tests: anvil, the real
 * contracts, N = 4 operators (anvil dev keys #1..#4) registered with the URLs of fake
 * tkmsd operators (net_fixture.h), and epochs driven through EpochLog (commit → reveal →
 * confirm, each phase mined in one block of its window) with the REAL commitments of the
 * fixture's sharing, so that what the chain records is exactly what the fake operators
 * hold. Used by tests/client/test_net_chain.c and tests/cli/test_cli_client.c.
 */
#ifndef TKMS_TEST_CHAIN_FIXTURE_H
#define TKMS_TEST_CHAIN_FIXTURE_H

#include "chain/chain_test.h"
#include "net_fixture.h"

#define N 4
#define T 3 /* ceil(2n/3) */
#define INTERVAL 20
#define PHASE_GAS 3000000

static struct {
    test_anvil anvil;
    tkms_chain_client *c;
    tkms_chain_key owner, op[N];
    tkms_chain_nonces *owner_nonces, *op_nonces[N];
    size_t key_of[N]; /* O index (= fixture index, address order) → op[] */
    tkms_chain_address registry, epoch_log;
    uint64_t e1, e2;
} E;

static fixture FX;

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

/* One call per listed O index, all mined in one block (phase windows are 3 blocks). */
static void phase(const char *sig, const tkms_chain_abi_value *args, const uint32_t *who,
                  size_t count) {
    ct_automine(E.c, false);
    tkms_chain_sent sent[N];
    tkms_chain_send_options opt = ct_send_options();
    for (size_t i = 0; i < count; i++) {
        size_t k = E.key_of[who[i]];
        tkms_chain_bytes data;
        assert_int_equal(tkms_chain_abi_call_encode(&data, sig, &args[i]), TKMS_OK);
        tkms_chain_send_request req = {
            .to = &E.epoch_log, .data = data.ptr, .data_len = data.len, .gas_limit = PHASE_GAS};
        tkms_err err = tkms_chain_tx_submit(E.c, E.op_nonces[k], &E.op[k], &sent[i], &req, &opt);
        tkms_chain_bytes_free(&data);
        if (err != TKMS_OK) {
            fail_msg("%s by O[%u]: %s", sig, who[i], tkms_chain_client_error(E.c));
        }
    }
    ct_rpc_void(E.c, "evm_mine", "[]");
    ct_automine(E.c, true);
    for (size_t i = 0; i < count; i++) {
        size_t k = E.key_of[who[i]];
        tkms_chain_receipt r;
        tkms_err err = tkms_chain_tx_wait(E.c, E.op_nonces[k], &E.op[k], &r, &sent[i], &opt);
        if (err != TKMS_OK) {
            fail_msg("%s by O[%u]: %s", sig, who[i], tkms_chain_client_error(E.c));
        }
        tkms_chain_receipt_clear(&r);
    }
}

static void deploy(void) {
    tkms_chain_artifact reg, log;
    ct_artifact(&reg, "KmsRegistry");
    ct_artifact(&log, "EpochLog");
    tkms_chain_abi_value p[9];
    const uint64_t params[9] = {INTERVAL, 3, 6, 9, 12, 15, 1, N, 2};
    for (int i = 0; i < 9; i++) {
        p[i] = tkms_chain_abi_uint64(params[i]);
    }
    tkms_chain_abi_value args = tkms_chain_abi_tuple(p, 9);
    E.registry =
        ct_deploy(E.c, E.owner_nonces, &E.owner, &reg, TKMS_CHAIN_REGISTRY_CONSTRUCTOR, &args);
    tkms_chain_abi_value r = tkms_chain_abi_address(&E.registry);
    args = tkms_chain_abi_tuple(&r, 1);
    E.epoch_log =
        ct_deploy(E.c, E.owner_nonces, &E.owner, &log, TKMS_CHAIN_EPOCHLOG_CONSTRUCTOR, &args);
    tkms_chain_abi_value l = tkms_chain_abi_address(&E.epoch_log);
    args = tkms_chain_abi_tuple(&l, 1);
    send_ok(&E.owner, E.owner_nonces, &E.registry, TKMS_CHAIN_REGISTRY_SET_EPOCH_LOG, &args, NULL);
    tkms_chain_artifact_free(&reg);
    tkms_chain_artifact_free(&log);
}

/* Allow-lists and registers O[i] with the URL of fake operator i. */
static void register_operators(void) {
    for (uint32_t i = 0; i < N; i++) {
        size_t k = E.key_of[i];
        tkms_chain_abi_value a = tkms_chain_abi_address(&E.op[k].address);
        tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
        send_ok(&E.owner, E.owner_nonces, &E.registry, TKMS_CHAIN_REGISTRY_ALLOW, &args, NULL);
        uint8_t ed[32], x[32];
        memset(ed, (int)(0x10 + i), 32);
        memset(x, (int)(0x20 + i), 32);
        char peer[96];
        snprintf(peer, sizeof peer, "%s/peer", FX.ops[i].node.url);
        tkms_chain_abi_value f[] = {tkms_chain_abi_bytes32(ed), tkms_chain_abi_bytes32(x),
                                    tkms_chain_abi_string(peer),
                                    tkms_chain_abi_string(FX.ops[i].node.url)};
        args = tkms_chain_abi_tuple(f, 4);
        send_ok(&E.op[k], E.op_nonces[k], &E.registry, TKMS_CHAIN_REGISTRY_REGISTER, &args, NULL);
    }
}

static uint64_t start_genesis(void) {
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0), values[8], v;
    tkms_chain_abi_pool pool = {values, 8, 0};
    tkms_chain_receipt r;
    send_ok(&E.owner, E.owner_nonces, &E.registry, TKMS_CHAIN_REGISTRY_START_GENESIS, &none, &r);
    assert_int_equal(tkms_chain_abi_event_decode(
                         &v, &pool, TKMS_CHAIN_REGISTRY_EVENT_GENESIS_STARTED, &r.logs[0]),
                     TKMS_OK);
    uint64_t epoch = 0;
    assert_int_equal(tkms_chain_abi_get_u64(&epoch, &v.items[1]), TKMS_OK);
    tkms_chain_receipt_clear(&r);
    return epoch;
}

/* protocol.md §4 step 6, written here from the spec: sha256("tkms-confirm-v1" ‖ be64(chain
   id) ‖ EpochLog ‖ be64(epoch) ‖ be64(source) ‖ combined commitments ‖ D sorted). The
   dealers O[0..dealers) are in address order already. */
static void state_hash_of(uint8_t out[32], uint64_t epoch, uint64_t source, const fx_version *v,
                          uint32_t dealers) {
    uint8_t buf[15 + 8 + 20 + 8 + 8 + 96 * T + 20 * N], *p = buf;
    memcpy(p, "tkms-confirm-v1", 15);
    p += 15;
    const uint64_t nums[3] = {CT_CHAIN_ID, epoch, source};
    for (int k = 0; k < 3; k++) {
        for (int b = 7; b >= 0; b--) {
            *p++ = (uint8_t)(nums[k] >> (8 * b));
        }
        if (k == 0) {
            memcpy(p, E.epoch_log.bytes, 20);
            p += 20;
        }
    }
    for (uint32_t k = 0; k < T; k++, p += 96) {
        tkms_bls_g2_encode(p, &v->combined.c[k]);
    }
    for (uint32_t i = 0; i < dealers; i++, p += 20) {
        memcpy(p, FX.addr[i], 20);
    }
    tkms_prim_sha256(out, buf, (size_t)(p - buf));
}

/* Commit, reveal and confirm an epoch whose dealers O[0..dealers) deal v's commitments;
   the confirmers post the right stateHash, or wrong_state. */
static void run_epoch_with(uint64_t epoch, uint64_t source, const fx_version *v, uint32_t dealers,
                           const uint8_t *wrong_state) {
    static uint8_t commitments[N][96 * T];
    uint8_t sealed[32], hashes[N][32], records[N][32], mpk[96], state[32];
    uint32_t who[N] = {0, 1, 2, 3};
    tkms_chain_abi_value args[N], f[N][6], e = tkms_chain_abi_uint64(epoch);
    uint64_t trigger = epoch * INTERVAL;
    memset(sealed, 0x5e, 32);
    for (uint32_t i = 0; i < dealers; i++) {
        for (uint32_t k = 0; k < T; k++) {
            tkms_bls_g2_encode(commitments[i] + 96 * k, &v->dealings[i].c[k]);
        }
        tkms_prim_sha256(hashes[i], commitments[i], sizeof commitments[i]);
        tkms_chain_abi_value q[] = {e,
                                    tkms_chain_abi_address(&E.op[E.key_of[i]].address),
                                    tkms_chain_abi_uint64(source),
                                    tkms_chain_abi_uint64(T),
                                    tkms_chain_abi_bytes32(hashes[i]),
                                    tkms_chain_abi_bytes32(sealed)};
        tkms_chain_abi_value pool_values[4], out, qa = tkms_chain_abi_tuple(q, 6);
        tkms_chain_abi_pool pool = {pool_values, 4, 0};
        tkms_chain_bytes keep;
        assert_int_equal(ct_view(E.c, &out, &pool, &keep, &E.epoch_log,
                                 TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF, &qa,
                                 TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF_OUT,
                                 tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST)),
                         TKMS_OK);
        memcpy(records[i], out.items[0].word, 32);
        tkms_chain_bytes_free(&keep);
        f[i][0] = e;
        f[i][1] = tkms_chain_abi_bytes32(records[i]);
        args[i] = tkms_chain_abi_tuple(f[i], 2);
    }
    ct_mine_to(E.c, trigger);
    phase(TKMS_CHAIN_EPOCHLOG_COMMIT, args, who, dealers);
    for (uint32_t i = 0; i < dealers; i++) {
        f[i][0] = e;
        f[i][1] = tkms_chain_abi_bytes(commitments[i], sizeof commitments[i]);
        f[i][2] = tkms_chain_abi_bytes32(sealed);
        args[i] = tkms_chain_abi_tuple(f[i], 3);
    }
    ct_mine_to(E.c, trigger + 3);
    phase(TKMS_CHAIN_EPOCHLOG_REVEAL, args, who, dealers);
    tkms_bls_g2_encode(mpk, &FX.mpk);
    state_hash_of(state, epoch, source, v, dealers);
    if (wrong_state != NULL) {
        memcpy(state, wrong_state, 32);
    }
    for (uint32_t i = 0; i < N; i++) {
        f[i][0] = e;
        f[i][1] = tkms_chain_abi_bytes(mpk, 96);
        f[i][2] = tkms_chain_abi_bytes32(state);
        f[i][3] = tkms_chain_abi_uint64((1u << dealers) - 1);
        args[i] = tkms_chain_abi_tuple(f[i], 4);
    }
    ct_mine_to(E.c, trigger + 12);
    phase(TKMS_CHAIN_EPOCHLOG_CONFIRM, args, who, N);
}

static void run_epoch(uint64_t epoch, uint64_t source, const fx_version *v, uint32_t dealers) {
    run_epoch_with(epoch, source, v, dealers, NULL);
}

/* Anvil, keys, the fixture's sharing over the operators' addresses, fake operators up. */
static inline void chain_fixture_setup(void) {
    memset(&E, 0, sizeof E);
    test_anvil_start(&E.anvil, NULL);
    E.c = ct_client(E.anvil.url, 1);
    E.owner = ct_key(0);
    E.owner_nonces = ct_nonces(E.anvil.dir, 0, &E.owner);
    uint8_t addrs[N][20];
    for (size_t i = 0; i < N; i++) {
        E.op[i] = ct_key(i + 1);
        E.op_nonces[i] = ct_nonces(E.anvil.dir, i + 1, &E.op[i]);
        memcpy(addrs[i], E.op[i].address.bytes, 20);
    }
    fx_init_with(&FX, N, tu_seed(), (const uint8_t(*)[20])addrs);
    for (size_t i = 0; i < N; i++) {
        for (size_t k = 0; k < N; k++) {
            E.key_of[i] = memcmp(FX.addr[i], addrs[k], 20) == 0 ? k : E.key_of[i];
        }
    }
    static char other_private[FX_PEM_MAX];
    assert_int_equal(tkms_prim_rsa_keygen(other_private, FX.other_public_pem, FX_PEM_MAX, 2048),
                     TKMS_OK);
    fx_start(&FX);
}

static inline void chain_fixture_teardown(void) {
    fx_stop(&FX);
    tkms_chain_nonces_close(E.owner_nonces);
    for (size_t i = 0; i <= N; i++) {
        if (i < N) {
            tkms_chain_nonces_close(E.op_nonces[i]);
        }
        ct_nonces_remove(E.anvil.dir, i);
    }
    tkms_chain_client_free(E.c);
    test_anvil_cleanup(&E.anvil);
}

/* Deploy, register, genesis DKG (every operator deals) and a reshare of it by O[0..t). */
static inline void chain_fixture_two_versions(void) {
    deploy();
    memcpy(FX.epoch_log, E.epoch_log.bytes, 20);
    register_operators();
    E.e1 = start_genesis();
    E.e2 = E.e1 + 1;
    FX.versions[0].version = E.e1;
    FX.versions[1].version = E.e2;
    run_epoch(E.e1, UINT64_MAX, &FX.versions[0], N);
    run_epoch(E.e2, E.e1, &FX.versions[1], T);
    ct_mine(E.c, 1);
}

#endif
