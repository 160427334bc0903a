/*
 * test_anvil.c — the chain client against a real anvil (one fresh anvil per test):
 * signed EIP-1559 transfers, pinned reads by block hash before and after, the Probe
 * contract (events, logs by range and by block hash, ABI round trips through Solidity's own
 * encoder, Error/Panic/custom-error reverts at estimation and mined), the nonce store
 * across restarts and concurrent senders, fee bumping of a stuck transaction, killing and
 * restarting anvil (--dump-state/--load-state), a nonce gap after the chain lost
 * transactions, and the block follower through reorgs (evm_snapshot/evm_revert), catch-up
 * after downtime, a reorg past finality and resuming from an anchor.
 */
#include <pthread.h>

#include "chain/internal.h"
#include "chain_test.h"

typedef struct {
    test_anvil anvil;
    tkms_chain_client *c;
    tkms_chain_key key;
    tkms_chain_nonces *nonces;
} env;

static int setup(void **state) {
    env *e = calloc(1, sizeof *e);
    test_anvil_start(&e->anvil, NULL);
    e->c = ct_client(e->anvil.url, 1);
    e->key = ct_key(0);
    e->nonces = ct_nonces(e->anvil.dir, 0, &e->key);
    *state = e;
    return 0;
}

static int teardown(void **state) {
    env *e = *state;
    tkms_chain_nonces_close(e->nonces);
    for (size_t i = 0; i < 8; i++) {
        ct_nonces_remove(e->anvil.dir, i);
    }
    tkms_chain_client_free(e->c);
    test_anvil_cleanup(&e->anvil);
    tkms_chain_key_wipe(&e->key);
    free(e);
    return 0;
}

static uint64_t balance_u64(tkms_chain_client *c, const tkms_chain_address *a,
                            tkms_chain_block_ref at) {
    tkms_chain_u256 v;
    assert_int_equal(tkms_chain_balance_get(c, &v, a, at), TKMS_OK);
    uint64_t low = 0;
    for (int i = 24; i < 32; i++) {
        low = low << 8 | v.be[i];
    }
    return low;
}

static void test_transfer_and_pinned_reads(void **state) {
    env *e = *state;
    uint64_t chain_id = 0;
    assert_int_equal(tkms_chain_client_chain_id(e->c, &chain_id), TKMS_OK);
    assert_int_equal(chain_id, CT_CHAIN_ID);
    tkms_chain_key to_key = ct_key(1);
    tkms_chain_send_request req = {.to = &to_key.address};
    tkms_chain_u256_from_u64(&req.value, 1000000007);
    tkms_chain_send_options opt = ct_send_options();
    tkms_chain_receipt r;
    assert_int_equal(tkms_chain_tx_send(e->c, e->nonces, &e->key, &r, &req, &opt), TKMS_OK);
    assert_true(r.status_ok);
    assert_int_equal(r.gas_used, 21000);
    tkms_chain_header before = ct_header(e->c, r.block_number - 1);
    tkms_chain_header after = ct_header(e->c, r.block_number);
    assert_memory_equal(after.hash.bytes, r.block_hash.bytes, 32);
    assert_memory_equal(after.parent_hash.bytes, before.hash.bytes, 32);
    uint64_t b0 = balance_u64(e->c, &to_key.address, tkms_chain_block_hash(&before.hash));
    uint64_t b1 = balance_u64(e->c, &to_key.address, tkms_chain_block_hash(&after.hash));
    assert_int_equal(b1 - b0, 1000000007);
    uint64_t count = 0;
    assert_int_equal(
        tkms_chain_tx_count_get(e->c, &count, &e->key.address, tkms_chain_block_hash(&before.hash)),
        TKMS_OK);
    assert_int_equal(count, 0);
    assert_int_equal(
        tkms_chain_tx_count_get(e->c, &count, &e->key.address, tkms_chain_block_hash(&after.hash)),
        TKMS_OK);
    assert_int_equal(count, 1);
    tkms_chain_hash bogus;
    memset(bogus.bytes, 0x42, 32);
    tkms_chain_u256 v;
    assert_int_equal(
        tkms_chain_balance_get(e->c, &v, &to_key.address, tkms_chain_block_hash(&bogus)),
        TKMS_ERR_CHAIN_BLOCK_NOT_FOUND);
    assert_non_null(strstr(tkms_chain_client_error(e->c), "unknown or not canonical"));
    tkms_chain_header h;
    assert_int_equal(tkms_chain_header_get(e->c, &h, tkms_chain_block_number(1000000)),
                     TKMS_ERR_CHAIN_BLOCK_NOT_FOUND);
    tkms_chain_receipt_clear(&r);
}

/* ---- Probe ------------------------------------------------------------------------------- */
#define POOL 512

/* eth_call of echo-style functions: Solidity decodes our encoding and re-encodes it; the
 * answer must be byte-identical to our encoding of the same values. */
static void echo_check(env *e, const tkms_chain_address *probe, const char *signature,
                       const char *types, const tkms_chain_abi_value *args) {
    tkms_chain_bytes ours, call, answer;
    assert_int_equal(tkms_chain_abi_encode(&ours, types, args), TKMS_OK);
    assert_int_equal(tkms_chain_abi_call_encode(&call, signature, args), TKMS_OK);
    tkms_chain_call_request req = {.to = probe, .data = call.ptr, .data_len = call.len};
    tkms_err err =
        tkms_chain_call(e->c, &answer, &req, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
    if (err != TKMS_OK) {
        fail_msg("%s: %s", signature, tkms_chain_client_error(e->c));
    }
    assert_int_equal(answer.len, ours.len);
    assert_memory_equal(answer.ptr, ours.ptr, ours.len);
    tkms_chain_abi_value pool_values[POOL], v;
    tkms_chain_abi_pool pool = {pool_values, POOL, 0};
    assert_int_equal(tkms_chain_abi_decode(&v, &pool, types, answer.ptr, answer.len), TKMS_OK);
    tkms_chain_bytes_free(&ours);
    tkms_chain_bytes_free(&call);
    tkms_chain_bytes_free(&answer);
}

static void probe_echoes(env *e, const tkms_chain_address *probe) {
    uint8_t b32[32];
    memset(b32, 0x5a, 32);
    tkms_chain_address addrs[3];
    for (int i = 0; i < 3; i++) {
        memset(addrs[i].bytes, 0x11 * (i + 1), 20);
    }
    tkms_chain_abi_value av[3] = {tkms_chain_abi_address(&addrs[0]),
                                  tkms_chain_abi_address(&addrs[1]),
                                  tkms_chain_abi_address(&addrs[2])};
    tkms_chain_abi_value sv[3] = {tkms_chain_abi_string(""), tkms_chain_abi_string("tkms"),
                                  tkms_chain_abi_string("a string longer than thirty-two bytes!")};
    uint8_t blob[100];
    memset(blob, 0xc3, sizeof blob);
    tkms_chain_abi_value args[] = {tkms_chain_abi_uint64(UINT64_MAX), tkms_chain_abi_bytes32(b32),
                                   tkms_chain_abi_array(av, 3), tkms_chain_abi_array(sv, 3),
                                   tkms_chain_abi_bytes(blob, sizeof blob)};
    tkms_chain_abi_value t = tkms_chain_abi_tuple(args, 5);
    echo_check(e, probe, "echo(uint64,bytes32,address[],string[],bytes)",
               "(uint64,bytes32,address[],string[],bytes)", &t);

    tkms_chain_abi_value minus_one = {.kind = TKMS_CHAIN_ABI_INT};
    memset(minus_one.word, 0xff, 32);
    tkms_chain_abi_value b4 = {.kind = TKMS_CHAIN_ABI_FIXED_BYTES};
    memcpy(b4.word, "tkms", 4);
    tkms_chain_abi_value u8s[3] = {tkms_chain_abi_uint64(1), tkms_chain_abi_uint64(2),
                                   tkms_chain_abi_uint64(255)};
    tkms_chain_abi_value args2[] = {tkms_chain_abi_bool(true), minus_one, b4,
                                    tkms_chain_abi_array(u8s, 3)};
    t = tkms_chain_abi_tuple(args2, 4);
    echo_check(e, probe, "echo2(bool,int32,bytes4,uint8[3])", "(bool,int32,bytes4,uint8[3])", &t);

    tkms_chain_abi_value fields[2][4], infos[2];
    for (int i = 0; i < 2; i++) {
        fields[i][0] = tkms_chain_abi_address(&addrs[i]);
        fields[i][1] = tkms_chain_abi_bytes32(b32);
        fields[i][2] = tkms_chain_abi_string(i ? "http://127.0.0.1:9000/peer" : "x");
        fields[i][3] = tkms_chain_abi_uint64((uint64_t)i * 1000);
        infos[i] = tkms_chain_abi_tuple(fields[i], 4);
    }
    tkms_chain_abi_value arr = tkms_chain_abi_array(infos, 2);
    t = tkms_chain_abi_tuple(&arr, 1);
    echo_check(e, probe, "infos((address,bytes32,string,uint64)[])",
               "((address,bytes32,string,uint64)[])", &t);

    tkms_chain_abi_value n1[] = {tkms_chain_abi_uint64(1), tkms_chain_abi_uint64(2)};
    tkms_chain_abi_value inner[] = {tkms_chain_abi_array(n1, 2), tkms_chain_abi_array(NULL, 0),
                                    tkms_chain_abi_array(n1, 1)};
    tkms_chain_abi_value pair[] = {tkms_chain_abi_bytes(blob, 33), tkms_chain_abi_bytes(NULL, 0)};
    tkms_chain_abi_value nested[] = {tkms_chain_abi_array(inner, 3), tkms_chain_abi_array(pair, 2)};
    t = tkms_chain_abi_tuple(nested, 2);
    echo_check(e, probe, "nested(uint256[][],bytes[2])", "(uint256[][],bytes[2])", &t);
}

static uint64_t probe_value(env *e, const tkms_chain_address *probe, tkms_chain_block_ref at) {
    tkms_chain_abi_value pool_values[8], v;
    tkms_chain_abi_pool pool = {pool_values, 8, 0};
    tkms_chain_bytes keep;
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    assert_int_equal(ct_view(e->c, &v, &pool, &keep, probe, "value()", &none, "(uint256)", at),
                     TKMS_OK);
    uint64_t x = 0;
    assert_int_equal(tkms_chain_abi_get_u64(&x, &v.items[0]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
    return x;
}

static tkms_chain_abi_value set_args_storage[3];
static const tkms_chain_abi_value *set_args(uint64_t v, const char *note) {
    set_args_storage[0] = tkms_chain_abi_uint64(v);
    set_args_storage[1] = tkms_chain_abi_string(note);
    set_args_storage[2] = tkms_chain_abi_bytes((const uint8_t *)"\x01\x02", 2);
    static tkms_chain_abi_value t;
    t = tkms_chain_abi_tuple(set_args_storage, 3);
    return &t;
}

static void probe_events(env *e, const tkms_chain_address *probe, const tkms_chain_receipt *r) {
    const char *event = "ValueSet(address indexed,uint256 indexed,string,bytes)";
    assert_int_equal(r->log_count, 1);
    tkms_chain_abi_value pool_values[16], v;
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    assert_int_equal(tkms_chain_abi_event_decode(&v, &pool, event, &r->logs[0]), TKMS_OK);
    tkms_chain_address who;
    assert_int_equal(tkms_chain_abi_get_address(&who, &v.items[0]), TKMS_OK);
    assert_memory_equal(who.bytes, e->key.address.bytes, 20);
    assert_int_equal(v.items[2].len, 5);
    assert_memory_equal(v.items[2].data, "hello", 5);
    tkms_chain_hash topic;
    assert_int_equal(tkms_chain_abi_event_topic(&topic, event), TKMS_OK);
    tkms_chain_log_filter by_range = {.from_block = 0,
                                      .to_block = r->block_number,
                                      .addresses = probe,
                                      .address_count = 1,
                                      .topic0 = &topic,
                                      .topic0_count = 1};
    tkms_chain_logs logs;
    assert_int_equal(tkms_chain_logs_get(e->c, &logs, &by_range), TKMS_OK);
    assert_int_equal(logs.count, 1);
    assert_memory_equal(logs.items[0].tx_hash.bytes, r->tx_hash.bytes, 32);
    tkms_chain_logs_free(&logs);
    tkms_chain_log_filter by_hash = {
        .by_block_hash = true, .block_hash = r->block_hash, .addresses = probe, .address_count = 1};
    assert_int_equal(tkms_chain_logs_get(e->c, &logs, &by_hash), TKMS_OK);
    assert_int_equal(logs.count, 1);
    assert_int_equal(logs.items[0].block_number, r->block_number);
    tkms_chain_logs_free(&logs);
    by_range.to_block = r->block_number - 1;
    assert_int_equal(tkms_chain_logs_get(e->c, &logs, &by_range), TKMS_OK);
    assert_int_equal(logs.count, 0);
    tkms_chain_logs_free(&logs);
}

static void probe_reverts(env *e, const tkms_chain_address *probe, const tkms_chain_artifact *a) {
    tkms_chain_receipt r;
    assert_int_equal(ct_send(e->c, e->nonces, &e->key, &r, probe, "set(uint256,string,bytes)",
                             set_args(13, "x")),
                     TKMS_ERR_CHAIN_REVERTED);
    assert_non_null(
        strstr(tkms_chain_client_error(e->c), "eth_estimateGas: reverted: Error(\"unlucky\")"));
    assert_int_equal(ct_send(e->c, e->nonces, &e->key, &r, probe, "set(uint256,string,bytes)",
                             set_args(2000000, "x")),
                     TKMS_ERR_CHAIN_REVERTED);
    const uint8_t *data;
    size_t len;
    tkms_chain_client_revert_data(e->c, &data, &len);
    char text[200];
    tkms_chain_revert_describe(text, sizeof text, a, data, len);
    assert_string_equal(text, "TooLarge(2000000, 1000000)");
    tkms_chain_bytes out, call;
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    assert_int_equal(tkms_chain_abi_call_encode(&call, "boom()", &none), TKMS_OK);
    tkms_chain_call_request req = {.to = probe, .data = call.ptr, .data_len = call.len};
    assert_int_equal(
        tkms_chain_call(e->c, &out, &req, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST)),
        TKMS_ERR_CHAIN_REVERTED);
    assert_non_null(strstr(tkms_chain_client_error(e->c), "Panic(1): assert failed"));
    tkms_chain_bytes_free(&call);
    /* mined but failed: skip estimation with an explicit gas limit */
    tkms_chain_bytes data13;
    assert_int_equal(
        tkms_chain_abi_call_encode(&data13, "set(uint256,string,bytes)", set_args(13, "x")),
        TKMS_OK);
    tkms_chain_send_request send = {
        .to = probe, .data = data13.ptr, .data_len = data13.len, .gas_limit = 200000};
    tkms_chain_send_options opt = ct_send_options();
    assert_int_equal(tkms_chain_tx_send(e->c, e->nonces, &e->key, &r, &send, &opt),
                     TKMS_ERR_CHAIN_TX_REVERTED);
    assert_false(r.status_ok);
    assert_non_null(strstr(tkms_chain_client_error(e->c), "Error(\"unlucky\")"));
    tkms_chain_receipt_clear(&r);
    tkms_chain_bytes_free(&data13);
}

static void test_probe_contract(void **state) {
    env *e = *state;
    tkms_chain_artifact a;
    ct_artifact(&a, "Probe");
    char signature[256];
    assert_int_equal(tkms_chain_artifact_signature(signature, sizeof signature, NULL, 0, &a,
                                                   "event", "ValueSet"),
                     TKMS_OK);
    assert_string_equal(signature, "ValueSet(address indexed,uint256 indexed,string,bytes)");
    char outputs[256];
    assert_int_equal(tkms_chain_artifact_signature(signature, sizeof signature, outputs,
                                                   sizeof outputs, &a, "function", "infos"),
                     TKMS_OK);
    assert_string_equal(signature, "infos((address,bytes32,string,uint64)[])");
    assert_string_equal(outputs, "((address,bytes32,string,uint64)[])");
    tkms_chain_address probe = ct_deploy(e->c, e->nonces, &e->key, &a, NULL, NULL);
    uint64_t deployed_at = ct_block_number(e->c);
    tkms_chain_receipt r;
    assert_int_equal(ct_send(e->c, e->nonces, &e->key, &r, &probe, "set(uint256,string,bytes)",
                             set_args(42, "hello")),
                     TKMS_OK);
    tkms_chain_header at_deploy = ct_header(e->c, deployed_at);
    assert_int_equal(probe_value(e, &probe, tkms_chain_block_hash(&at_deploy.hash)), 0);
    assert_int_equal(probe_value(e, &probe, tkms_chain_block_hash(&r.block_hash)), 42);
    assert_int_equal(probe_value(e, &probe, tkms_chain_block_number(deployed_at)), 0);
    probe_events(e, &probe, &r);
    probe_echoes(e, &probe);
    probe_reverts(e, &probe, &a);
    tkms_chain_receipt_clear(&r);
    tkms_chain_artifact_free(&a);
}

/* ---- nonce store --------------------------------------------------------------------------- */
/* One concurrent sender: its own client and its own store object on the shared file.
 * Built by the main thread: cmocka assertions must not run in other threads. */
typedef struct {
    tkms_chain_client *c;
    tkms_chain_nonces *n;
    const tkms_chain_key *key;
    tkms_chain_address to;
    size_t sends;
    tkms_err err;
} sender_job;

static void *sender_main(void *arg) {
    sender_job *job = arg;
    tkms_chain_send_request req = {.to = &job->to};
    tkms_chain_u256_from_u64(&req.value, 1);
    tkms_chain_send_options opt = ct_send_options();
    for (size_t i = 0; i < job->sends && job->err == TKMS_OK; i++) {
        tkms_chain_receipt r;
        job->err = tkms_chain_tx_send(job->c, job->n, job->key, &r, &req, &opt);
        tkms_chain_receipt_clear(&r);
    }
    return NULL;
}

static void test_nonce_store(void **state) {
    env *e = *state;
    tkms_chain_key to = ct_key(2);
    tkms_chain_send_request req = {.to = &to.address};
    tkms_chain_send_options opt = ct_send_options();
    for (int i = 0; i < 3; i++) {
        tkms_chain_receipt r;
        assert_int_equal(tkms_chain_tx_send(e->c, e->nonces, &e->key, &r, &req, &opt), TKMS_OK);
        tkms_chain_receipt_clear(&r);
    }
    tkms_chain_nonces_close(e->nonces); /* a restart of the process */
    e->nonces = ct_nonces(e->anvil.dir, 0, &e->key);
    uint64_t next;
    size_t pending;
    assert_int_equal(tkms_chain_nonces_peek(e->nonces, &next, &pending), TKMS_OK);
    assert_int_equal(next, 3);
    assert_int_equal(pending, 0);
    sender_job jobs[3];
    pthread_t threads[3];
    for (int i = 0; i < 3; i++) { /* separate clients and store objects: like processes */
        jobs[i] = (sender_job){ct_client(e->anvil.url, 1),
                               ct_nonces(e->anvil.dir, 0, &e->key),
                               &e->key,
                               to.address,
                               4,
                               TKMS_OK};
        pthread_create(&threads[i], NULL, sender_main, &jobs[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        if (jobs[i].err != TKMS_OK) {
            fail_msg("sender %d: %s", i, tkms_chain_client_error(jobs[i].c));
        }
        tkms_chain_nonces_close(jobs[i].n);
        tkms_chain_client_free(jobs[i].c);
    }
    uint64_t mined = 0;
    assert_int_equal(tkms_chain_tx_count_get(e->c, &mined, &e->key.address,
                                             tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST)),
                     TKMS_OK);
    assert_int_equal(mined, 15);
    assert_int_equal(tkms_chain_nonces_peek(e->nonces, &next, &pending), TKMS_OK);
    assert_int_equal(next, 15);
    assert_int_equal(pending, 0);
}

static void test_fee_bump(void **state) {
    env *e = *state;
    tkms_chain_key to = ct_key(3);
    tkms_chain_send_request req = {.to = &to.address};
    tkms_chain_send_options opt = ct_send_options();
    ct_automine(e->c, false);
    tkms_chain_sent first, second;
    assert_int_equal(tkms_chain_tx_submit(e->c, e->nonces, &e->key, &first, &req, &opt), TKMS_OK);
    assert_int_equal(tkms_chain_tx_bump(e->c, e->nonces, &e->key, &second, first.nonce, &opt),
                     TKMS_OK);
    assert_int_equal(second.nonce, first.nonce);
    assert_memory_not_equal(second.hash.bytes, first.hash.bytes, 32);
    /* nothing is mined: tx_wait bumps on its own, then gives up with a clear line */
    opt.bump_after_ms = 0;
    opt.receipt_timeout_ms = 60;
    tkms_chain_receipt r;
    assert_int_equal(tkms_chain_tx_wait(e->c, e->nonces, &e->key, &r, &first, &opt),
                     TKMS_ERR_CHAIN_TX_TIMEOUT);
    assert_non_null(strstr(tkms_chain_client_error(e->c), "not mined after 60 ms"));
    ct_rpc_void(e->c, "evm_mine", "[]");
    opt = ct_send_options();
    assert_int_equal(tkms_chain_tx_wait(e->c, e->nonces, &e->key, &r, &first, &opt), TKMS_OK);
    assert_memory_not_equal(r.tx_hash.bytes, first.hash.bytes, 32); /* a replacement won */
    tkms_chain_receipt_clear(&r);
    assert_int_equal(tkms_chain_tx_bump(e->c, e->nonces, &e->key, &second, first.nonce, &opt),
                     TKMS_ERR_CHAIN_TX_NOT_PENDING);
    ct_automine(e->c, true);
}

/* ---- anvil restarts ----------------------------------------------------------------------- */
static void restart(env *e, const char *load_from) {
    test_anvil_stop(&e->anvil);
    const char *args[] = {"--load-state",
                          load_from,
                          "--dump-state",
                          e->anvil.state,
                          "--preserve-historical-states",
                          NULL};
    test_anvil_spawn(&e->anvil, e->anvil.port, args);
}

static void test_restart_recovers(void **state) {
    env *e = *state;
    test_anvil_stop(&e->anvil); /* restart this test's anvil so that it dumps its state */
    const char *args[] = {"--dump-state", e->anvil.state, "--preserve-historical-states", NULL};
    test_anvil_spawn(&e->anvil, e->anvil.port, args);
    tkms_chain_artifact a;
    ct_artifact(&a, "Probe");
    tkms_chain_address probe = ct_deploy(e->c, e->nonces, &e->key, &a, NULL, NULL);
    tkms_chain_receipt r;
    assert_int_equal(ct_send(e->c, e->nonces, &e->key, &r, &probe, "set(uint256,string,bytes)",
                             set_args(42, "hello")),
                     TKMS_OK);
    tkms_chain_hash set_block = r.block_hash;
    tkms_chain_receipt_clear(&r);

    test_anvil_stop(&e->anvil); /* the node goes away mid-run */
    uint64_t n;
    assert_int_equal(tkms_chain_block_number_get(e->c, &n), TKMS_ERR_CHAIN_RPC_UNREACHABLE);
    const char *line = tkms_chain_client_error(e->c);
    assert_non_null(strstr(line, e->anvil.url));
    assert_non_null(strstr(line, "after 2 attempts"));
    assert_int_equal(ct_send(e->c, e->nonces, &e->key, &r, &probe, "set(uint256,string,bytes)",
                             set_args(7, "down")),
                     TKMS_ERR_CHAIN_RPC_UNREACHABLE);
    uint64_t next;
    size_t pending;
    assert_int_equal(tkms_chain_nonces_peek(e->nonces, &next, &pending), TKMS_OK);
    assert_int_equal(pending, 0); /* nothing was signed while the node was down */

    restart(e, e->anvil.state); /* same port: the same client recovers */
    assert_int_equal(probe_value(e, &probe, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST)), 42);
    assert_int_equal(probe_value(e, &probe, tkms_chain_block_hash(&set_block)), 42);
    assert_int_equal(ct_send(e->c, e->nonces, &e->key, &r, &probe, "set(uint256,string,bytes)",
                             set_args(43, "again")),
                     TKMS_OK);
    tkms_chain_receipt_clear(&r);

    /* a transaction in flight when the node restarts is re-broadcast from the store */
    ct_automine(e->c, false);
    tkms_chain_sent sent;
    tkms_chain_bytes call;
    assert_int_equal(
        tkms_chain_abi_call_encode(&call, "set(uint256,string,bytes)", set_args(44, "flight")),
        TKMS_OK);
    tkms_chain_send_request req = {.to = &probe, .data = call.ptr, .data_len = call.len};
    tkms_chain_send_options opt = ct_send_options();
    assert_int_equal(tkms_chain_tx_submit(e->c, e->nonces, &e->key, &sent, &req, &opt), TKMS_OK);
    restart(e, e->anvil.state);
    assert_int_equal(tkms_chain_nonces_sync(e->nonces, e->c), TKMS_OK);
    ct_rpc_void(e->c, "evm_mine", "[]");
    assert_int_equal(tkms_chain_tx_wait(e->c, e->nonces, &e->key, &r, &sent, &opt), TKMS_OK);
    assert_int_equal(probe_value(e, &probe, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST)), 44);
    tkms_chain_receipt_clear(&r);
    tkms_chain_bytes_free(&call);
    tkms_chain_artifact_free(&a);
}

static void copy_file(const char *from, const char *to) {
    size_t len;
    FILE *in = fopen(from, "rb");
    assert_non_null(in);
    static char buf[1 << 22];
    len = fread(buf, 1, sizeof buf, in);
    assert_true(len < sizeof buf);
    fclose(in);
    FILE *out = fopen(to, "wb");
    assert_int_equal(fwrite(buf, 1, len, out), len);
    fclose(out);
}

static void test_nonce_gap_after_state_loss(void **state) {
    env *e = *state;
    test_anvil_stop(&e->anvil);
    const char *args[] = {"--dump-state", e->anvil.state, NULL};
    test_anvil_spawn(&e->anvil, e->anvil.port, args);
    tkms_chain_key to = ct_key(4);
    tkms_chain_send_request req = {.to = &to.address};
    tkms_chain_send_options opt = ct_send_options();
    tkms_chain_receipt r;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tkms_chain_tx_send(e->c, e->nonces, &e->key, &r, &req, &opt), TKMS_OK);
        tkms_chain_receipt_clear(&r);
    }
    char old[400];
    snprintf(old, sizeof old, "%s/old-state.json", e->anvil.dir);
    restart(e, e->anvil.state);
    copy_file(e->anvil.state, old); /* the chain as of 2 transactions */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(tkms_chain_tx_send(e->c, e->nonces, &e->key, &r, &req, &opt), TKMS_OK);
        tkms_chain_receipt_clear(&r);
    }
    restart(e, old); /* the chain lost nonces 2 and 3, the store remembers 4 */
    tkms_chain_sent sent;
    assert_int_equal(tkms_chain_tx_submit(e->c, e->nonces, &e->key, &sent, &req, &opt),
                     TKMS_ERR_CHAIN_NONCE_GAP);
    assert_non_null(strstr(tkms_chain_client_error(e->c),
                           "the chain knows 2 transactions, the nonce store is at 4"));
    assert_int_equal(tkms_chain_nonces_reset(e->nonces, e->c), TKMS_OK);
    assert_int_equal(tkms_chain_tx_send(e->c, e->nonces, &e->key, &r, &req, &opt), TKMS_OK);
    tkms_chain_receipt_clear(&r);
    unlink(old);
}

/* ---- follower ------------------------------------------------------------------------------- */
typedef struct {
    tkms_chain_event items[4096];
    size_t count;
} event_log;

/* Polls until the follower has nothing more to do right now. */
static tkms_err poll_all(tkms_chain_follower *f, tkms_chain_client *c, event_log *log,
                         size_t capacity) {
    bool more = true;
    while (more) {
        size_t n = 0;
        assert_true(log->count + capacity <= 4096);
        tkms_err err = tkms_chain_follower_poll(f, c, log->items + log->count, capacity, &n, &more);
        log->count += n;
        if (err != TKMS_OK) {
            return err;
        }
    }
    return TKMS_OK;
}

static size_t count_kind(const event_log *log, size_t from, tkms_chain_event_kind kind) {
    size_t n = 0;
    for (size_t i = from; i < log->count; i++) {
        n += log->items[i].kind == kind;
    }
    return n;
}

/* The ADDED/REMOVED stream replays to the chain's canonical blocks, in order. */
static void check_stream(tkms_chain_client *c, const event_log *log, uint64_t start) {
    static tkms_chain_header chain[4096];
    size_t height = 0; /* chain[i] is block start + i */
    uint64_t final_seen = 0;
    bool any_final = false;
    for (size_t i = 0; i < log->count; i++) {
        const tkms_chain_event *ev = &log->items[i];
        if (ev->kind == TKMS_CHAIN_EVENT_BLOCK_ADDED) {
            assert_int_equal(ev->header.number, start + height);
            if (height > 0) {
                assert_memory_equal(ev->header.parent_hash.bytes, chain[height - 1].hash.bytes, 32);
            }
            chain[height++] = ev->header;
        } else if (ev->kind == TKMS_CHAIN_EVENT_BLOCK_REMOVED) {
            assert_true(height > 0);
            assert_memory_equal(ev->header.hash.bytes, chain[height - 1].hash.bytes, 32);
            assert_true(!any_final || ev->header.number > final_seen);
            height--;
        } else {
            assert_true(!any_final || ev->header.number == final_seen + 1);
            final_seen = ev->header.number;
            any_final = true;
        }
    }
    for (size_t i = 0; i < height; i++) { /* what survived is canonical now */
        tkms_chain_header h = ct_header(c, start + i);
        assert_memory_equal(h.hash.bytes, chain[i].hash.bytes, 32);
    }
}

/* A block with one transfer, so that a branch differs from the one it replaces. */
static void mine_with_transfer(env *e, uint64_t value) {
    tkms_chain_key to = ct_key(5);
    tkms_chain_send_request req = {.to = &to.address};
    tkms_chain_u256_from_u64(&req.value, value);
    tkms_chain_send_options opt = ct_send_options();
    tkms_chain_receipt r;
    assert_int_equal(tkms_chain_nonces_reset(e->nonces, e->c), TKMS_OK); /* after evm_revert */
    assert_int_equal(tkms_chain_tx_send(e->c, e->nonces, &e->key, &r, &req, &opt), TKMS_OK);
    tkms_chain_receipt_clear(&r);
}

static tkms_chain_follower_options follower_options(uint64_t start) {
    tkms_chain_follower_options o;
    tkms_chain_follower_options_default(&o);
    o.start_block = start;
    o.confirmations = 3;
    o.window_blocks = 32;
    o.batch_blocks = 16;
    return o;
}

static void revert_to(env *e, json_t *snapshot) {
    char params[80];
    snprintf(params, sizeof params, "[\"%s\"]", json_string_value(snapshot));
    json_t *reverted = ct_rpc(e->c, "evm_revert", params);
    assert_true(json_is_true(reverted));
    json_decref(reverted);
    json_decref(snapshot);
}

/* A two-block branch replaced by a three-block one: 2 REMOVED (newest first), 3 ADDED. */
static void follower_short_reorg(env *e, tkms_chain_follower *f, event_log *log) {
    json_t *snap = ct_rpc(e->c, "evm_snapshot", "[]");
    mine_with_transfer(e, 1);
    mine_with_transfer(e, 2);
    assert_int_equal(poll_all(f, e->c, log, 8), TKMS_OK);
    revert_to(e, snap);
    size_t mark = log->count;
    mine_with_transfer(e, 3);
    ct_mine(e->c, 2);
    assert_int_equal(poll_all(f, e->c, log, 8), TKMS_OK);
    assert_int_equal(count_kind(log, mark, TKMS_CHAIN_EVENT_BLOCK_REMOVED), 2);
    assert_int_equal(count_kind(log, mark, TKMS_CHAIN_EVENT_BLOCK_ADDED), 3);
    assert_int_equal(log->items[mark].kind, TKMS_CHAIN_EVENT_BLOCK_REMOVED);
    assert_true(log->items[mark].header.number > log->items[mark + 1].header.number);
}

/* A restarted node resumes from its last final block (the anchor); a changed anchor fails. */
static void follower_resume(env *e, const tkms_chain_follower_options *o,
                            const tkms_chain_header *tip) {
    tkms_chain_follower_options resume = *o;
    resume.has_anchor = true;
    resume.anchor = ct_header(e->c, tip->number - 3);
    tkms_chain_follower *g = NULL;
    assert_int_equal(tkms_chain_follower_new(&g, &resume), TKMS_OK);
    static event_log log;
    log.count = 0;
    assert_int_equal(poll_all(g, e->c, &log, 8), TKMS_OK);
    assert_int_equal(count_kind(&log, 0, TKMS_CHAIN_EVENT_BLOCK_ADDED), 3);
    assert_int_equal(log.items[0].header.number, tip->number - 2);
    tkms_chain_follower_free(g);
    resume.anchor.hash.bytes[0] ^= 1;
    assert_int_equal(tkms_chain_follower_new(&g, &resume), TKMS_OK);
    size_t n;
    bool more;
    assert_int_equal(tkms_chain_follower_poll(g, e->c, log.items, 8, &n, &more),
                     TKMS_ERR_CHAIN_ANCHOR_NOT_CANONICAL);
    tkms_chain_follower_free(g);
}

/* A reorg deeper than `confirmations` halts the follower for good. */
static void follower_deep_reorg(env *e, tkms_chain_follower *f, event_log *log) {
    json_t *snap = ct_rpc(e->c, "evm_snapshot", "[]");
    ct_mine(e->c, 10);
    assert_int_equal(poll_all(f, e->c, log, 8), TKMS_OK);
    revert_to(e, snap);
    mine_with_transfer(e, 4);
    ct_mine(e->c, 11);
    assert_int_equal(poll_all(f, e->c, log, 8), TKMS_ERR_CHAIN_REORG_BEYOND_FINAL);
    assert_non_null(strstr(tkms_chain_client_error(e->c), "already 3 deep"));
    size_t n;
    bool more;
    assert_int_equal(tkms_chain_follower_poll(f, e->c, log->items, 8, &n, &more),
                     TKMS_ERR_CHAIN_REORG_BEYOND_FINAL);
    assert_int_equal(n, 0);
}

static void test_follower_reorgs(void **state) {
    env *e = *state;
    static event_log log;
    log.count = 0;
    ct_mine(e->c, 3);
    uint64_t start = ct_block_number(e->c);
    tkms_chain_follower_options o = follower_options(start);
    tkms_chain_follower *f = NULL;
    assert_int_equal(tkms_chain_follower_new(&f, &o), TKMS_OK);
    ct_mine(e->c, 5);
    assert_int_equal(poll_all(f, e->c, &log, 8), TKMS_OK);
    assert_int_equal(count_kind(&log, 0, TKMS_CHAIN_EVENT_BLOCK_ADDED), 6);
    assert_int_equal(count_kind(&log, 0, TKMS_CHAIN_EVENT_BLOCK_FINAL), 3);
    follower_short_reorg(e, f, &log);
    ct_mine(e->c, 300); /* downtime: caught up in batches, nothing dropped */
    size_t mark = log.count;
    assert_int_equal(poll_all(f, e->c, &log, 16), TKMS_OK);
    assert_int_equal(count_kind(&log, mark, TKMS_CHAIN_EVENT_BLOCK_ADDED), 300);
    check_stream(e->c, &log, start);
    tkms_chain_header tip;
    assert_true(tkms_chain_follower_tip(f, &tip));
    assert_int_equal(tip.number, ct_block_number(e->c));
    follower_resume(e, &o, &tip);
    follower_deep_reorg(e, f, &log);
    tkms_chain_follower_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_transfer_and_pinned_reads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probe_contract, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonce_store, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fee_bump, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_recovers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonce_gap_after_state_loss, setup, teardown),
        cmocka_unit_test_setup_teardown(test_follower_reorgs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
