/*
 * reads.c — typed reads over JSON-RPC: block number and headers, balances, nonces, code,
 * eth_call pinned to a block (EIP-1898 by hash with requireCanonical), eth_getLogs with
 * bounded ranges (or one block by hash, EIP-234), and receipts. Every answer is checked
 * against the question (a header for block N must say N; a log must match the filter; a
 * receipt must name the transaction asked for); a mismatch is an error, never ignored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

/* Node messages (geth, anvil, erigon, nethermind) meaning "no such block here" and "no
 * state kept for that block". Only used to pick a clearer error code; the node's own words
 * stay in the error line. */
static const char *const block_missing_words[] = {"not found", "canonical", "unknown block"};
static const char *const state_missing_words[] = {"missing trie node", "BlockOutOfRange", "pruned",
                                                  "historical state"};

static bool error_mentions(const tkms_chain_client *c, const char *const *words, size_t count) {
    for (size_t i = 0; i < count; i++) {
        if (strstr(c->error, words[i]) != NULL) {
            return true;
        }
    }
    return false;
}

/* Calls method with params; when a pinned read fails because the node lacks the block or
 * its state, reports TKMS_ERR_CHAIN_BLOCK_NOT_FOUND / _STATE_UNAVAILABLE naming the block. */
static tkms_err pinned_call(tkms_chain_client *c, json_t **result, const char *method,
                            json_t *params, tkms_chain_block_ref at) {
    tkms_err err = tkms_chain_rpc_call(c, result, method, params);
    bool pinned = at.kind == TKMS_CHAIN_BLOCK_HASH || at.kind == TKMS_CHAIN_BLOCK_NUMBER;
    if (err != TKMS_ERR_CHAIN_RPC_ERROR || !pinned) {
        return err;
    }
    bool no_state = error_mentions(c, state_missing_words, 4);
    if (!no_state && !error_mentions(c, block_missing_words, 3)) {
        return err;
    }
    char where[96];
    chain_block_ref_describe(where, sizeof where, at);
    char node_said[TKMS_CHAIN_ERROR_BYTES];
    snprintf(node_said, sizeof node_said, "%s", c->error);
    return chain_fail(
        c, no_state ? TKMS_ERR_CHAIN_STATE_UNAVAILABLE : TKMS_ERR_CHAIN_BLOCK_NOT_FOUND,
        "%s: %s %s (%s)", method, where,
        no_state ? "has no state on this node (pruned or not kept)" : "unknown or not canonical",
        node_said);
}

TKMS_EXPORT tkms_err tkms_chain_block_number_get(tkms_chain_client *c, uint64_t *out) {
    TKMS_ASSERT(c != NULL && out != NULL);
    *out = 0;
    json_t *result = NULL;
    tkms_err err = tkms_chain_rpc_call(c, &result, "eth_blockNumber", NULL);
    if (err == TKMS_OK) {
        err = chain_json_u64(c, out, result, "eth_blockNumber");
    }
    json_decref(result);
    return err;
}

static tkms_err header_parse(tkms_chain_client *c, tkms_chain_header *out, const json_t *b) {
    tkms_err err = chain_json_u64(c, &out->number, json_object_get(b, "number"), "block.number");
    if (err == TKMS_OK) {
        err = chain_json_hash(c, &out->hash, json_object_get(b, "hash"), "block.hash");
    }
    if (err == TKMS_OK) {
        err = chain_json_hash(c, &out->parent_hash, json_object_get(b, "parentHash"),
                              "block.parentHash");
    }
    if (err == TKMS_OK) {
        err =
            chain_json_u64(c, &out->timestamp, json_object_get(b, "timestamp"), "block.timestamp");
    }
    const json_t *base_fee = json_object_get(b, "baseFeePerGas");
    if (err == TKMS_OK && base_fee != NULL && !json_is_null(base_fee)) {
        out->has_base_fee = true;
        err = chain_json_u64(c, &out->base_fee_per_gas, base_fee, "block.baseFeePerGas");
    }
    return err;
}

/* The header must be the one asked for: same number or hash. */
static tkms_err header_matches(tkms_chain_client *c, const tkms_chain_header *h,
                               tkms_chain_block_ref at) {
    if (at.kind == TKMS_CHAIN_BLOCK_NUMBER && h->number != at.number) {
        return chain_fail(c, TKMS_ERR_CHAIN_BLOCK_MISMATCH,
                          "asked for block %llu, node answered block %llu",
                          (unsigned long long)at.number, (unsigned long long)h->number);
    }
    if (at.kind == TKMS_CHAIN_BLOCK_HASH && memcmp(h->hash.bytes, at.hash.bytes, 32) != 0) {
        return chain_fail(c, TKMS_ERR_CHAIN_BLOCK_MISMATCH,
                          "asked for a block by hash, node answered another block");
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_chain_header_get(tkms_chain_client *c, tkms_chain_header *out,
                                           tkms_chain_block_ref at) {
    TKMS_ASSERT(c != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    bool by_hash = at.kind == TKMS_CHAIN_BLOCK_HASH;
    json_t *which = by_hash ? chain_json_hex(at.hash.bytes, 32) : chain_json_block_ref(at);
    json_t *params = json_pack("[o,b]", which, 0);
    if (params == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "cannot build block request");
    }
    const char *method = by_hash ? "eth_getBlockByHash" : "eth_getBlockByNumber";
    json_t *result = NULL;
    tkms_err err = tkms_chain_rpc_call(c, &result, method, params);
    if (err == TKMS_OK && json_is_null(result)) {
        char where[96];
        chain_block_ref_describe(where, sizeof where, at);
        err = chain_fail(c, TKMS_ERR_CHAIN_BLOCK_NOT_FOUND, "%s: no %s", method, where);
    } else if (err == TKMS_OK && !json_is_object(result)) {
        err = chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "%s: result is not a block", method);
    }
    if (err == TKMS_OK) {
        err = header_parse(c, out, result);
    }
    if (err == TKMS_OK) {
        err = header_matches(c, out, at);
    }
    json_decref(result);
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

/* method(account, block) → a JSON value, for balance/nonce/code. */
static tkms_err account_read(tkms_chain_client *c, json_t **result, const char *method,
                             const tkms_chain_address *account, tkms_chain_block_ref at) {
    json_t *params =
        json_pack("[o,o]", chain_json_hex(account->bytes, 20), chain_json_block_ref(at));
    if (params == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "%s: cannot build request", method);
    }
    return pinned_call(c, result, method, params, at);
}

TKMS_EXPORT tkms_err tkms_chain_balance_get(tkms_chain_client *c, tkms_chain_u256 *out,
                                            const tkms_chain_address *account,
                                            tkms_chain_block_ref at) {
    TKMS_ASSERT(c != NULL && out != NULL && account != NULL);
    memset(out, 0, sizeof *out);
    json_t *result = NULL;
    tkms_err err = account_read(c, &result, "eth_getBalance", account, at);
    if (err == TKMS_OK) {
        err = chain_json_u256(c, out, result, "eth_getBalance");
    }
    json_decref(result);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_tx_count_get(tkms_chain_client *c, uint64_t *out,
                                             const tkms_chain_address *account,
                                             tkms_chain_block_ref at) {
    TKMS_ASSERT(c != NULL && out != NULL && account != NULL);
    *out = 0;
    json_t *result = NULL;
    tkms_err err = account_read(c, &result, "eth_getTransactionCount", account, at);
    if (err == TKMS_OK) {
        err = chain_json_u64(c, out, result, "eth_getTransactionCount");
    }
    json_decref(result);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_code_get(tkms_chain_client *c, tkms_chain_bytes *out,
                                         const tkms_chain_address *account,
                                         tkms_chain_block_ref at) {
    TKMS_ASSERT(c != NULL && out != NULL && account != NULL);
    out->ptr = NULL;
    out->len = 0;
    json_t *result = NULL;
    tkms_err err = account_read(c, &result, "eth_getCode", account, at);
    if (err == TKMS_OK) {
        err = chain_json_data(c, out, result, TKMS_CHAIN_RETURN_BYTES_MAX, "eth_getCode");
    }
    json_decref(result);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_call(tkms_chain_client *c, tkms_chain_bytes *out,
                                     const tkms_chain_call_request *req, tkms_chain_block_ref at) {
    TKMS_ASSERT(c != NULL && out != NULL && req != NULL && req->to != NULL);
    TKMS_ASSERT(req->data != NULL || req->data_len == 0);
    out->ptr = NULL;
    out->len = 0;
    if (req->data_len > TKMS_CHAIN_TX_DATA_BYTES_MAX) {
        return chain_fail(c, TKMS_ERR_TOO_LARGE, "eth_call: calldata over the limit");
    }
    json_t *tx = json_pack("{s:o,s:o}", "to", chain_json_hex(req->to->bytes, 20), "data",
                           chain_json_hex(req->data, req->data_len));
    if (tx != NULL && req->from != NULL) {
        json_object_set_new(tx, "from", chain_json_hex(req->from->bytes, 20));
    }
    json_t *params = tx ? json_pack("[o,o]", tx, chain_json_block_ref(at)) : NULL;
    if (params == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "eth_call: cannot build request");
    }
    json_t *result = NULL;
    tkms_err err = pinned_call(c, &result, "eth_call", params, at);
    if (err == TKMS_OK) {
        err = chain_json_data(c, out, result, TKMS_CHAIN_RETURN_BYTES_MAX, "eth_call");
    }
    json_decref(result);
    return err;
}

/* ---- logs ------------------------------------------------------------------------------- */
TKMS_EXPORT void tkms_chain_logs_free(tkms_chain_logs *logs) {
    if (logs == NULL) {
        return;
    }
    for (size_t i = 0; i < logs->count; i++) {
        free(logs->items[i].data);
    }
    free(logs->items);
    logs->items = NULL;
    logs->count = 0;
}

static tkms_err filter_check(tkms_chain_client *c, const tkms_chain_log_filter *f) {
    if (f->address_count == 0 || f->address_count > TKMS_CHAIN_LOG_FILTER_ITEMS_MAX ||
        f->topic0_count > TKMS_CHAIN_LOG_FILTER_ITEMS_MAX) {
        return chain_fail(c, TKMS_ERR_INVALID_ARGUMENT,
                          "eth_getLogs: 1..%d addresses and at most %d topics",
                          TKMS_CHAIN_LOG_FILTER_ITEMS_MAX, TKMS_CHAIN_LOG_FILTER_ITEMS_MAX);
    }
    if (!f->by_block_hash && (f->from_block > f->to_block ||
                              f->to_block - f->from_block >= TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX)) {
        return chain_fail(c, TKMS_ERR_CHAIN_LOG_RANGE,
                          "eth_getLogs: range %llu..%llu is empty or over %d blocks",
                          (unsigned long long)f->from_block, (unsigned long long)f->to_block,
                          TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX);
    }
    return TKMS_OK;
}

static json_t *filter_json(const tkms_chain_log_filter *f) {
    json_t *addresses = json_array();
    json_t *topic0 = json_array();
    json_t *filter = json_object();
    if (addresses == NULL || topic0 == NULL || filter == NULL) {
        json_decref(addresses);
        json_decref(topic0);
        json_decref(filter);
        return NULL;
    }
    for (size_t i = 0; i < f->address_count; i++) {
        json_array_append_new(addresses, chain_json_hex(f->addresses[i].bytes, 20));
    }
    for (size_t i = 0; i < f->topic0_count; i++) {
        json_array_append_new(topic0, chain_json_hex(f->topic0[i].bytes, 32));
    }
    json_object_set_new(filter, "address", addresses);
    if (f->topic0_count > 0) {
        json_object_set_new(filter, "topics", json_pack("[o]", topic0));
    } else {
        json_decref(topic0);
    }
    if (f->by_block_hash) {
        json_object_set_new(filter, "blockHash", chain_json_hex(f->block_hash.bytes, 32));
    } else {
        json_object_set_new(filter, "fromBlock", chain_json_quantity(f->from_block));
        json_object_set_new(filter, "toBlock", chain_json_quantity(f->to_block));
    }
    return json_pack("[o]", filter);
}

/* A log the filter did not ask for, or out of order, spoils the whole answer. */
static tkms_err log_matches(tkms_chain_client *c, const tkms_chain_log_filter *f,
                            const tkms_chain_log *log, const tkms_chain_log *prev) {
    bool address_ok = false;
    for (size_t i = 0; i < f->address_count; i++) {
        address_ok = address_ok || memcmp(log->address.bytes, f->addresses[i].bytes, 20) == 0;
    }
    bool topic_ok = f->topic0_count == 0;
    for (size_t i = 0; i < f->topic0_count && log->topic_count > 0; i++) {
        topic_ok = topic_ok || memcmp(log->topics[0].bytes, f->topic0[i].bytes, 32) == 0;
    }
    bool block_ok = f->by_block_hash
                        ? memcmp(log->block_hash.bytes, f->block_hash.bytes, 32) == 0
                        : log->block_number >= f->from_block && log->block_number <= f->to_block;
    bool order_ok = prev == NULL || log->block_number > prev->block_number ||
                    (log->block_number == prev->block_number && log->log_index > prev->log_index);
    if (!address_ok || !topic_ok || !block_ok || !order_ok) {
        return chain_fail(c, TKMS_ERR_CHAIN_LOG_MISMATCH,
                          "eth_getLogs: answer has a log %s (block %llu index %llu)",
                          !address_ok ? "from another address"
                          : !topic_ok ? "with another topic0"
                          : !block_ok ? "outside the requested blocks"
                                      : "out of order or duplicated",
                          (unsigned long long)log->block_number,
                          (unsigned long long)log->log_index);
    }
    return TKMS_OK;
}

static tkms_err logs_parse(tkms_chain_client *c, tkms_chain_logs *out, const json_t *result,
                           const tkms_chain_log_filter *f) {
    if (!json_is_array(result)) {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "eth_getLogs: result not an array");
    }
    size_t n = json_array_size(result);
    if (n > TKMS_CHAIN_LOGS_MAX) {
        return chain_fail(c, TKMS_ERR_CHAIN_TOO_MANY_LOGS,
                          "eth_getLogs: %zu logs, more than %d; query fewer blocks", n,
                          TKMS_CHAIN_LOGS_MAX);
    }
    out->items = calloc(n ? n : 1, sizeof *out->items);
    if (out->items == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "eth_getLogs: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        tkms_err err = chain_log_parse(c, &out->items[i], json_array_get(result, i));
        if (err != TKMS_OK) {
            return err;
        }
        out->count++;
        err = log_matches(c, f, &out->items[i], i ? &out->items[i - 1] : NULL);
        if (err != TKMS_OK) {
            return err;
        }
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_chain_logs_get(tkms_chain_client *c, tkms_chain_logs *out,
                                         const tkms_chain_log_filter *filter) {
    TKMS_ASSERT(c != NULL && out != NULL && filter != NULL);
    TKMS_ASSERT(filter->addresses != NULL || filter->address_count == 0);
    memset(out, 0, sizeof *out);
    tkms_err err = filter_check(c, filter);
    if (err != TKMS_OK) {
        return err;
    }
    json_t *params = filter_json(filter);
    if (params == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "eth_getLogs: cannot build request");
    }
    json_t *result = NULL;
    err = tkms_chain_rpc_call(c, &result, "eth_getLogs", params);
    if (err == TKMS_OK) {
        err = logs_parse(c, out, result, filter);
    }
    json_decref(result);
    if (err != TKMS_OK) {
        tkms_chain_logs_free(out);
    }
    return err;
}

/* ---- receipts ---------------------------------------------------------------------------- */
TKMS_EXPORT void tkms_chain_receipt_clear(tkms_chain_receipt *r) {
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->log_count; i++) {
        free(r->logs[i].data);
    }
    free(r->logs);
    memset(r, 0, sizeof *r);
}

static tkms_err receipt_logs_parse(tkms_chain_client *c, tkms_chain_receipt *out,
                                   const json_t *logs) {
    if (!json_is_array(logs) || json_array_size(logs) > TKMS_CHAIN_RECEIPT_LOGS_MAX) {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD,
                          "receipt.logs: not an array or too long");
    }
    size_t n = json_array_size(logs);
    out->logs = calloc(n ? n : 1, sizeof *out->logs);
    if (out->logs == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "receipt: out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        tkms_err err = chain_log_parse(c, &out->logs[i], json_array_get(logs, i));
        if (err != TKMS_OK) {
            return err;
        }
        out->log_count++;
        if (memcmp(out->logs[i].tx_hash.bytes, out->tx_hash.bytes, 32) != 0) {
            return chain_fail(c, TKMS_ERR_CHAIN_LOG_MISMATCH, "receipt has a foreign log");
        }
    }
    return TKMS_OK;
}

static tkms_err receipt_parse(tkms_chain_client *c, tkms_chain_receipt *out, const json_t *r) {
    uint64_t status = 2;
    tkms_err err = chain_json_hash(c, &out->tx_hash, json_object_get(r, "transactionHash"),
                                   "receipt.transactionHash");
    if (err == TKMS_OK) {
        err = chain_json_hash(c, &out->block_hash, json_object_get(r, "blockHash"),
                              "receipt.blockHash");
    }
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &out->block_number, json_object_get(r, "blockNumber"),
                             "receipt.blockNumber");
    }
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &status, json_object_get(r, "status"), "receipt.status");
    }
    if (err == TKMS_OK && status > 1) {
        err = chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "receipt.status: not 0x0 or 0x1");
    }
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &out->gas_used, json_object_get(r, "gasUsed"), "receipt.gasUsed");
    }
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &out->effective_gas_price, json_object_get(r, "effectiveGasPrice"),
                             "receipt.effectiveGasPrice");
    }
    const json_t *created = json_object_get(r, "contractAddress");
    if (err == TKMS_OK && created != NULL && !json_is_null(created)) {
        out->has_contract_address = true;
        err = chain_json_address(c, &out->contract_address, created, "receipt.contractAddress");
    }
    out->status_ok = status == 1;
    return err == TKMS_OK ? receipt_logs_parse(c, out, json_object_get(r, "logs")) : err;
}

TKMS_EXPORT tkms_err tkms_chain_receipt_get(tkms_chain_client *c, tkms_chain_receipt *out,
                                            bool *found, const tkms_chain_hash *tx_hash) {
    TKMS_ASSERT(c != NULL && out != NULL && found != NULL && tx_hash != NULL);
    memset(out, 0, sizeof *out);
    *found = false;
    json_t *params = json_pack("[o]", chain_json_hex(tx_hash->bytes, 32));
    if (params == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "receipt: cannot build request");
    }
    json_t *result = NULL;
    tkms_err err = tkms_chain_rpc_call(c, &result, "eth_getTransactionReceipt", params);
    if (err != TKMS_OK || json_is_null(result)) {
        json_decref(result);
        return err;
    }
    err = json_is_object(result) ? receipt_parse(c, out, result)
                                 : chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD,
                                              "eth_getTransactionReceipt: not an object");
    if (err == TKMS_OK && memcmp(out->tx_hash.bytes, tx_hash->bytes, 32) != 0) {
        err = chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "receipt is for another transaction");
    }
    json_decref(result);
    if (err != TKMS_OK) {
        tkms_chain_receipt_clear(out);
        return err;
    }
    *found = true;
    return TKMS_OK;
}
