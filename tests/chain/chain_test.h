/*
 * chain_test.h — helpers shared by the anvil tests of the chain client: clients with short
 * timeouts, dev keys, per-test nonce stores in a temp dir, anvil control calls
 * (evm_mine, evm_setAutomine, evm_snapshot/evm_revert), ABI call helpers and artifact
 * loading (TKMS_CONTRACTS_DIR for the contracts build, tests/vectors/chain for Probe).
 */
#ifndef TKMS_TEST_CHAIN_TEST_H
#define TKMS_TEST_CHAIN_TEST_H

#include <limits.h>

#include "anvil.h"
#include "chain/chain.h"
#include "test_util.h"

#define CT_CHAIN_ID 31337

static inline tkms_chain_client *ct_client(const char *url, uint32_t retries) {
    tkms_chain_client_options o;
    tkms_chain_client_options_default(&o);
    o.url = url;
    o.chain_id_expected = CT_CHAIN_ID;
    o.retries = retries;
    o.backoff_ms_initial = 5;
    o.timeout_ms = 5000;
    o.connect_timeout_ms = 1000;
    tkms_chain_client *c = NULL;
    assert_int_equal(tkms_chain_client_new(&c, &o), TKMS_OK);
    return c;
}

static inline tkms_chain_key ct_key(size_t index) {
    uint8_t sk[32];
    assert_int_equal(tkms_chain_hex_decode(sk, 32, test_anvil_keys[index]), TKMS_OK);
    tkms_chain_key k;
    assert_int_equal(tkms_chain_key_from_bytes(&k, sk), TKMS_OK);
    return k;
}

/* A nonce store for key in dir (file "<dir>/nonces-<index>.json"). */
static inline tkms_chain_nonces *ct_nonces(const char *dir, size_t index, const tkms_chain_key *k) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/nonces-%zu.json", dir, index);
    tkms_chain_nonces *n = NULL;
    assert_int_equal(tkms_chain_nonces_open(&n, path, CT_CHAIN_ID, &k->address), TKMS_OK);
    return n;
}

static inline void ct_nonces_remove(const char *dir, size_t index) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/nonces-%zu.json", dir, index);
    unlink(path);
    snprintf(path, sizeof path, "%s/nonces-%zu.json.lock", dir, index);
    unlink(path);
}

static inline tkms_chain_send_options ct_send_options(void) {
    tkms_chain_send_options o;
    tkms_chain_send_options_default(&o);
    o.receipt_poll_ms = 5;
    o.receipt_timeout_ms = 20000;
    return o;
}

/* Calls an anvil/evm method with params given as JSON text; fails the test on error. */
static inline json_t *ct_rpc(tkms_chain_client *c, const char *method, const char *params) {
    json_t *p = json_loads(params, 0, NULL);
    assert_non_null(p);
    json_t *result = NULL;
    tkms_err err = tkms_chain_rpc_call(c, &result, method, p);
    if (err != TKMS_OK) {
        fail_msg("%s: %s (%s)", method, tkms_err_name(err), tkms_chain_client_error(c));
    }
    return result;
}

static inline void ct_rpc_void(tkms_chain_client *c, const char *method, const char *params) {
    json_decref(ct_rpc(c, method, params));
}

static inline void ct_mine(tkms_chain_client *c, uint64_t blocks) {
    char params[64];
    snprintf(params, sizeof params, "[\"0x%llx\"]", (unsigned long long)blocks);
    ct_rpc_void(c, "anvil_mine", params);
}

static inline void ct_automine(tkms_chain_client *c, bool on) {
    ct_rpc_void(c, "evm_setAutomine", on ? "[true]" : "[false]");
}

static inline uint64_t ct_block_number(tkms_chain_client *c) {
    uint64_t n = 0;
    assert_int_equal(tkms_chain_block_number_get(c, &n), TKMS_OK);
    return n;
}

/* Mines until the latest block is `target` (no-op if already there). */
static inline void ct_mine_to(tkms_chain_client *c, uint64_t target) {
    uint64_t now = ct_block_number(c);
    assert_true(now <= target);
    if (now < target) {
        ct_mine(c, target - now);
    }
}

static inline tkms_chain_header ct_header(tkms_chain_client *c, uint64_t number) {
    tkms_chain_header h;
    assert_int_equal(tkms_chain_header_get(c, &h, tkms_chain_block_number(number)), TKMS_OK);
    return h;
}

/* eth_call of signature(args) at a block, decoded as output types into v (pool). */
static inline tkms_err ct_view(tkms_chain_client *c, tkms_chain_abi_value *v,
                               tkms_chain_abi_pool *pool, tkms_chain_bytes *keep,
                               const tkms_chain_address *to, const char *signature,
                               const tkms_chain_abi_value *args, const char *outputs,
                               tkms_chain_block_ref at) {
    tkms_chain_bytes data;
    assert_int_equal(tkms_chain_abi_call_encode(&data, signature, args), TKMS_OK);
    tkms_chain_call_request req = {.to = to, .data = data.ptr, .data_len = data.len};
    tkms_err err = tkms_chain_call(c, keep, &req, at);
    tkms_chain_bytes_free(&data);
    if (err != TKMS_OK) {
        return err;
    }
    return tkms_chain_abi_decode(v, pool, outputs, keep->ptr, keep->len);
}

/* Sends signature(args) to `to` from key and waits; returns the code, fills receipt. */
static inline tkms_err ct_send(tkms_chain_client *c, tkms_chain_nonces *n,
                               const tkms_chain_key *key, tkms_chain_receipt *receipt,
                               const tkms_chain_address *to, const char *signature,
                               const tkms_chain_abi_value *args) {
    tkms_chain_bytes data;
    assert_int_equal(tkms_chain_abi_call_encode(&data, signature, args), TKMS_OK);
    tkms_chain_send_request req = {.to = to, .data = data.ptr, .data_len = data.len};
    tkms_chain_send_options opt = ct_send_options();
    tkms_err err = tkms_chain_tx_send(c, n, key, receipt, &req, &opt);
    tkms_chain_bytes_free(&data);
    return err;
}

static inline void ct_artifact(tkms_chain_artifact *a, const char *name) {
    char path[PATH_MAX];
    const char *dir = getenv("TKMS_CONTRACTS_DIR");
    const char *root = getenv("TKMS_SOURCE_DIR");
    if (strcmp(name, "Probe") == 0) {
        snprintf(path, sizeof path, "%s/tests/vectors/chain/Probe.json", root ? root : ".");
    } else {
        if (dir == NULL) {
            fail_msg("TKMS_CONTRACTS_DIR is not set (tests/chain/CMakeLists.txt sets it)");
        }
        snprintf(path, sizeof path, "%s/%s.json", dir, name);
    }
    tkms_err err = tkms_chain_artifact_load(a, path);
    if (err != TKMS_OK) {
        fail_msg("cannot load artifact %s: %s", path, tkms_err_name(err));
    }
}

static inline tkms_chain_address ct_deploy(tkms_chain_client *c, tkms_chain_nonces *n,
                                           const tkms_chain_key *key, const tkms_chain_artifact *a,
                                           const char *ctor_types,
                                           const tkms_chain_abi_value *ctor_args) {
    tkms_chain_bytes args = {0};
    if (ctor_types != NULL) {
        assert_int_equal(tkms_chain_abi_encode(&args, ctor_types, ctor_args), TKMS_OK);
    }
    tkms_chain_send_options opt = ct_send_options();
    tkms_chain_receipt r;
    tkms_err err = tkms_chain_deploy(c, n, key, &r, &a->bytecode, args.ptr, args.len, &opt);
    if (err != TKMS_OK) {
        fail_msg("deploy %s: %s (%s)", a->name, tkms_err_name(err), tkms_chain_client_error(c));
    }
    tkms_chain_address address = r.contract_address;
    tkms_chain_receipt_clear(&r);
    tkms_chain_bytes_free(&args);
    return address;
}

#endif
