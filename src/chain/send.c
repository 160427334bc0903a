/*
 * send.c — sending transactions: gas estimation, EIP-1559 fee pricing under a cap, nonce
 * reservation against the chain and the nonce store, broadcast, receipt waiting, fee
 * bumping of stuck transactions and re-broadcast after restarts (chain.md "Transactions").
 *
 * Nonce policy, applied under the store's lock before every reservation (reconcile):
 * - in-flight entries below the chain's mined count are done and forgotten;
 * - in-flight entries at or above the node's pending count were lost by the node (restart,
 *   eviction) and are re-broadcast;
 * - a nonce between the node's pending count and our next nonce that we hold no signed
 *   transaction for is a gap: TKMS_ERR_CHAIN_NONCE_GAP, never skipped over;
 * - if the chain is ahead of us (the key was used elsewhere) we continue from the chain.
 * A JSON-RPC refusal of a broadcast is definitive (the entry is dropped and, if it was the
 * newest, its nonce released); a transport failure is not (the entry stays and is
 * re-broadcast later).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

#define GWEI 1000000000ULL
#define TIP_FALLBACK_WEI GWEI

TKMS_EXPORT void tkms_chain_send_options_default(tkms_chain_send_options *out) {
    TKMS_ASSERT(out != NULL);
    out->gas_margin_percent = 20;
    out->max_fee_per_gas_cap = TKMS_CHAIN_FEE_CAP_WEI_DEFAULT;
    out->bump_percent = 15;
    out->receipt_poll_ms = 100;
    out->receipt_timeout_ms = 120000;
    out->bump_after_ms = 30000;
    out->receipt_grace_ms = TKMS_CHAIN_RECEIPT_GRACE_MS_DEFAULT;
}

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool message_has(const tkms_chain_client *c, const char *needle) {
    return strstr(c->error, needle) != NULL;
}

/* After a refused broadcast: does the node already have this very transaction (in its
 * pool or mined)? Keeps the refusal's error line. */
static bool node_has_tx(tkms_chain_client *c, const tkms_chain_hash *hash) {
    char line[TKMS_CHAIN_ERROR_BYTES];
    memcpy(line, c->error, sizeof line);
    json_t *params = json_pack("[o]", chain_json_hex(hash->bytes, 32));
    json_t *result = NULL;
    bool known = params != NULL &&
                 tkms_chain_rpc_call(c, &result, "eth_getTransactionByHash", params) == TKMS_OK &&
                 json_is_object(result);
    json_decref(result);
    memcpy(c->error, line, sizeof line);
    return known;
}

/* eth_sendRawTransaction; a transaction the node already has counts as sent, and the
 * echoed hash must be ours. */
static tkms_err broadcast(tkms_chain_client *c, const tkms_chain_bytes *raw,
                          const tkms_chain_hash *hash) {
    json_t *params = json_pack("[o]", chain_json_hex(raw->ptr, raw->len));
    if (params == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "eth_sendRawTransaction: no memory");
    }
    json_t *result = NULL;
    tkms_err err = tkms_chain_rpc_call(c, &result, "eth_sendRawTransaction", params);
    if (err == TKMS_ERR_CHAIN_RPC_ERROR && node_has_tx(c, hash)) {
        chain_error_clear(c); /* "already known", or mined after another re-broadcast */
        return TKMS_OK;
    }
    tkms_chain_hash echoed;
    if (err == TKMS_OK) {
        err = chain_json_hash(c, &echoed, result, "eth_sendRawTransaction");
    }
    if (err == TKMS_OK && memcmp(echoed.bytes, hash->bytes, 32) != 0) {
        err = chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD,
                         "eth_sendRawTransaction: node reports another transaction hash");
    }
    json_decref(result);
    return err;
}

static tkms_err counts_get(tkms_chain_client *c, uint64_t *mined, uint64_t *pending,
                           const tkms_chain_address *address) {
    tkms_err err =
        tkms_chain_tx_count_get(c, mined, address, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
    if (err == TKMS_OK) {
        err = tkms_chain_tx_count_get(c, pending, address,
                                      tkms_chain_block_tag(TKMS_CHAIN_BLOCK_PENDING));
    }
    return err;
}

/* The nonce policy above; state is locked. Saves the state when it changed. */
static tkms_err reconcile(tkms_chain_client *c, tkms_chain_nonces *n, chain_nonce_state *s) {
    uint64_t mined = 0, pending = 0;
    const tkms_chain_address *address = chain_nonces_address(n);
    tkms_err err = counts_get(c, &mined, &pending, address);
    bool changed = false;
    for (size_t i = 0; err == TKMS_OK && i < s->pending_count;) {
        chain_pending_tx *p = &s->pending[i];
        if (p->nonce < mined) {
            chain_pending_remove(s, p->nonce); /* some version of it was mined */
            changed = true;
            continue;
        }
        if (p->nonce >= pending) {
            err = broadcast(c, &p->raw, &p->hashes[p->hash_count - 1]);
        }
        i++;
    }
    if (err != TKMS_OK) {
        return err;
    }
    for (uint64_t k = pending; k < s->next_nonce; k++) {
        if (chain_pending_find(s, k) == NULL) {
            char who[TKMS_CHAIN_ADDRESS_HEX_BYTES];
            tkms_chain_address_format(who, address);
            return chain_fail(c, TKMS_ERR_CHAIN_NONCE_GAP,
                              "nonce gap for %s: the chain knows %llu transactions, the nonce "
                              "store is at %llu and holds no transaction for nonce %llu "
                              "(chain reset or reorg?); reset the nonce store to continue",
                              who, (unsigned long long)pending, (unsigned long long)s->next_nonce,
                              (unsigned long long)k);
        }
    }
    if (s->next_nonce < pending) {
        s->next_nonce = pending; /* the key was used elsewhere, or a new store */
        changed = true;
    }
    err = changed ? chain_nonces_save(n) : TKMS_OK;
    return err == TKMS_OK ? TKMS_OK : chain_fail(c, err, "cannot write the nonce store");
}

/* ---- fees and gas -------------------------------------------------------------------------- */
typedef struct {
    uint64_t tip;
    uint64_t max_fee;
} fees;

static tkms_err fees_price(tkms_chain_client *c, fees *out, const tkms_chain_send_options *opt) {
    tkms_chain_header head;
    tkms_err err = tkms_chain_header_get(c, &head, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
    if (err != TKMS_OK) {
        return err;
    }
    if (!head.has_base_fee) {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD,
                          "latest block has no base fee "
                          "(chain without EIP-1559)");
    }
    json_t *result = NULL;
    out->tip = TIP_FALLBACK_WEI;
    err = tkms_chain_rpc_call(c, &result, "eth_maxPriorityFeePerGas", NULL);
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &out->tip, result, "eth_maxPriorityFeePerGas");
    } else if (err == TKMS_ERR_CHAIN_RPC_ERROR) {
        err = TKMS_OK; /* method not offered: use the fallback tip */
    }
    json_decref(result);
    if (err != TKMS_OK) {
        return err;
    }
    uint64_t base = head.base_fee_per_gas;
    if (base > opt->max_fee_per_gas_cap || out->tip > opt->max_fee_per_gas_cap - base) {
        return chain_fail(c, TKMS_ERR_CHAIN_FEE_CAP,
                          "base fee %llu + tip %llu wei exceeds the fee cap %llu wei",
                          (unsigned long long)base, (unsigned long long)out->tip,
                          (unsigned long long)opt->max_fee_per_gas_cap);
    }
    uint64_t room = opt->max_fee_per_gas_cap - base - out->tip; /* 2·base + tip, capped */
    out->max_fee = base + out->tip + (base < room ? base : room);
    return TKMS_OK;
}

static tkms_err gas_estimate(tkms_chain_client *c, uint64_t *out, const tkms_chain_address *from,
                             const tkms_chain_send_request *req,
                             const tkms_chain_send_options *opt) {
    char value[80];
    tkms_chain_hex_encode(value, req->value.be, 32);
    json_t *tx = json_pack("{s:o,s:o,s:s}", "from", chain_json_hex(from->bytes, 20), "data",
                           chain_json_hex(req->data, req->data_len), "value", value);
    if (tx != NULL && req->to != NULL) {
        json_object_set_new(tx, "to", chain_json_hex(req->to->bytes, 20));
    }
    json_t *params = tx ? json_pack("[o]", tx) : NULL;
    if (params == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "eth_estimateGas: no memory");
    }
    json_t *result = NULL;
    uint64_t gas = 0;
    tkms_err err = tkms_chain_rpc_call(c, &result, "eth_estimateGas", params);
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &gas, result, "eth_estimateGas");
    }
    json_decref(result);
    if (err == TKMS_OK && gas > UINT64_MAX / (100 + opt->gas_margin_percent)) {
        err = chain_fail(c, TKMS_ERR_CHAIN_VALUE_RANGE, "eth_estimateGas: absurd estimate");
    }
    *out = gas / 100 * (100 + opt->gas_margin_percent) + gas % 100 + 1000;
    return err;
}

/* ---- submit -----------------------------------------------------------------------------------
 */
static tkms_err identity_check(tkms_chain_client *c, tkms_chain_nonces *n,
                               const tkms_chain_key *key, uint64_t *chain_id) {
    tkms_err err = tkms_chain_client_chain_id(c, chain_id);
    if (err != TKMS_OK) {
        return err;
    }
    if (*chain_id != chain_nonces_chain_id(n) ||
        memcmp(key->address.bytes, chain_nonces_address(n)->bytes, 20) != 0) {
        return chain_fail(c, TKMS_ERR_CHAIN_NONCE_FILE_MISMATCH,
                          "the nonce store belongs to another chain id or key");
    }
    return TKMS_OK;
}

/* Reserves a nonce, signs and persists tx (state locked by the caller); *raw gets a copy
 * of the signed bytes to broadcast (another sender may handle the stored entry meanwhile). */
static tkms_err reserve_and_sign(tkms_chain_client *c, tkms_chain_nonces *n, chain_nonce_state *s,
                                 tkms_chain_tx *tx, const tkms_chain_key *key, tkms_chain_sent *out,
                                 tkms_chain_bytes *raw) {
    tkms_err err = reconcile(c, n, s);
    if (err != TKMS_OK) {
        return err;
    }
    if (s->pending_count == TKMS_CHAIN_PENDING_TX_MAX) {
        return chain_fail(c, TKMS_ERR_CHAIN_TX_TOO_MANY_PENDING,
                          "%d transactions already in flight", TKMS_CHAIN_PENDING_TX_MAX);
    }
    tx->nonce = s->next_nonce;
    chain_pending_tx *p = &s->pending[s->pending_count];
    memset(p, 0, sizeof *p);
    err = tkms_chain_tx_sign(&p->raw, &p->hashes[0], tx, key);
    if (err != TKMS_OK) {
        return chain_fail(c, err, "cannot sign the transaction");
    }
    p->nonce = tx->nonce;
    p->hash_count = 1;
    s->pending_count++;
    s->next_nonce++;
    err = chain_nonces_save(n); /* write-ahead: persisted before it is broadcast */
    if (err != TKMS_OK) {
        return chain_fail(c, err, "cannot write the nonce store");
    }
    chain_buf copy;
    chain_buf_init(&copy, TKMS_CHAIN_TX_RAW_BYTES_MAX);
    chain_buf_put(&copy, p->raw.ptr, p->raw.len);
    err = chain_buf_finish(&copy, raw);
    if (err != TKMS_OK) {
        return chain_fail(c, err, "out of memory");
    }
    out->nonce = p->nonce;
    out->hash = p->hashes[0];
    return TKMS_OK;
}

/* After a definitive refusal: forget the entry, and release its nonce if it was newest. */
static void refused_forget(tkms_chain_nonces *n, uint64_t nonce) {
    chain_nonce_state *s = NULL;
    if (chain_nonces_lock(n, &s) != TKMS_OK) {
        return; /* the entry stays; reconcile re-broadcasts and reports the refusal again */
    }
    chain_pending_remove(s, nonce);
    if (s->next_nonce == nonce + 1) {
        s->next_nonce = nonce;
    }
    (void)chain_nonces_save(n);
    chain_nonces_unlock(n);
}

static tkms_err broadcast_pending(tkms_chain_client *c, tkms_chain_nonces *n, uint64_t nonce) {
    chain_nonce_state *s = NULL;
    tkms_err err = chain_nonces_lock(n, &s);
    if (err != TKMS_OK) {
        return chain_fail(c, err, "cannot read the nonce store");
    }
    chain_pending_tx *p = chain_pending_find(s, nonce);
    tkms_chain_bytes raw = {0};
    tkms_chain_hash hash;
    if (p != NULL) {
        raw = p->raw;
        hash = p->hashes[p->hash_count - 1];
        p->raw = (tkms_chain_bytes){0}; /* moved out; the next lock reloads the file */
    }
    chain_nonces_unlock(n);
    if (raw.ptr == NULL) {
        return chain_fail(c, TKMS_ERR_CHAIN_TX_NOT_PENDING, "nonce %llu is not in flight",
                          (unsigned long long)nonce);
    }
    err = broadcast(c, &raw, &hash);
    tkms_chain_bytes_free(&raw);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_tx_submit(tkms_chain_client *c, tkms_chain_nonces *n,
                                          const tkms_chain_key *key, tkms_chain_sent *out,
                                          const tkms_chain_send_request *req,
                                          const tkms_chain_send_options *opt) {
    TKMS_ASSERT(c != NULL && n != NULL && key != NULL && out != NULL);
    TKMS_ASSERT(req != NULL && opt != NULL && (req->data != NULL || req->data_len == 0));
    memset(out, 0, sizeof *out);
    tkms_chain_tx tx = {.has_to = req->to != NULL,
                        .value = req->value,
                        .data = req->data,
                        .data_len = req->data_len,
                        .gas_limit = req->gas_limit};
    if (req->to != NULL) {
        tx.to = *req->to;
    }
    fees f = {0};
    tkms_err err = identity_check(c, n, key, &tx.chain_id);
    if (err == TKMS_OK && tx.gas_limit == 0) {
        err = gas_estimate(c, &tx.gas_limit, &key->address, req, opt);
    }
    if (err == TKMS_OK) {
        err = fees_price(c, &f, opt);
    }
    if (err != TKMS_OK) {
        return err;
    }
    tx.max_priority_fee_per_gas = f.tip;
    tx.max_fee_per_gas = f.max_fee;
    chain_nonce_state *s = NULL;
    err = chain_nonces_lock(n, &s);
    if (err != TKMS_OK) {
        return chain_fail(c, err, "cannot read the nonce store");
    }
    tkms_chain_bytes raw = {0};
    err = reserve_and_sign(c, n, s, &tx, key, out, &raw);
    chain_nonces_unlock(n);
    if (err != TKMS_OK) {
        return err;
    }
    err = broadcast(c, &raw, &out->hash);
    tkms_chain_bytes_free(&raw);
    if (err == TKMS_ERR_CHAIN_RPC_ERROR) {
        refused_forget(n, out->nonce);
        return chain_fail(c, TKMS_ERR_CHAIN_TX_REJECTED, "transaction refused: %s", c->error);
    }
    return err;
}

/* ---- bump ----------------------------------------------------------------------------------- */
static uint64_t raised(uint64_t v, uint32_t percent) {
    uint64_t r = v / 100 * (100 + percent) + v % 100 * (100 + percent) / 100;
    return r > v ? r : v + 1;
}

/* Re-signs the newest version of p with raised fees (state locked). */
static tkms_err bump_locked(tkms_chain_client *c, tkms_chain_nonces *n, chain_pending_tx *p,
                            const tkms_chain_key *key, const tkms_chain_send_options *opt) {
    if (p->hash_count == TKMS_CHAIN_TX_REPLACEMENTS_MAX + 1) {
        return chain_fail(c, TKMS_ERR_CHAIN_FEE_CAP, "nonce %llu replaced %d times already",
                          (unsigned long long)p->nonce, TKMS_CHAIN_TX_REPLACEMENTS_MAX);
    }
    tkms_chain_tx_decoded old;
    tkms_err err = tkms_chain_tx_decode(&old, p->raw.ptr, p->raw.len);
    if (err != TKMS_OK) {
        return chain_fail(c, err, "nonce store holds an undecodable transaction");
    }
    tkms_chain_tx tx = old.tx;
    tx.max_priority_fee_per_gas = raised(tx.max_priority_fee_per_gas, opt->bump_percent);
    tx.max_fee_per_gas = raised(tx.max_fee_per_gas, opt->bump_percent);
    if (tx.max_fee_per_gas > opt->max_fee_per_gas_cap) {
        return chain_fail(c, TKMS_ERR_CHAIN_FEE_CAP,
                          "replacing nonce %llu needs max fee %llu wei, above the cap %llu",
                          (unsigned long long)p->nonce, (unsigned long long)tx.max_fee_per_gas,
                          (unsigned long long)opt->max_fee_per_gas_cap);
    }
    tkms_chain_bytes raw;
    tkms_chain_hash hash;
    err = tkms_chain_tx_sign(&raw, &hash, &tx, key); /* tx.data points into p->raw */
    if (err != TKMS_OK) {
        return chain_fail(c, err, "cannot sign the replacement");
    }
    tkms_chain_bytes_free(&p->raw);
    p->raw = raw;
    p->hashes[p->hash_count++] = hash;
    err = chain_nonces_save(n);
    return err == TKMS_OK ? TKMS_OK : chain_fail(c, err, "cannot write the nonce store");
}

TKMS_EXPORT tkms_err tkms_chain_tx_bump(tkms_chain_client *c, tkms_chain_nonces *n,
                                        const tkms_chain_key *key, tkms_chain_sent *out,
                                        uint64_t nonce, const tkms_chain_send_options *opt) {
    TKMS_ASSERT(c != NULL && n != NULL && key != NULL);
    TKMS_ASSERT(out != NULL && opt != NULL && opt->bump_percent >= 10);
    memset(out, 0, sizeof *out);
    uint64_t chain_id = 0;
    tkms_err err = identity_check(c, n, key, &chain_id);
    chain_nonce_state *s = NULL;
    if (err == TKMS_OK && (err = chain_nonces_lock(n, &s)) != TKMS_OK) {
        return chain_fail(c, err, "cannot read the nonce store");
    }
    if (err != TKMS_OK) {
        return err;
    }
    chain_pending_tx *p = chain_pending_find(s, nonce);
    err = p ? bump_locked(c, n, p, key, opt)
            : chain_fail(c, TKMS_ERR_CHAIN_TX_NOT_PENDING, "nonce %llu is not in flight",
                         (unsigned long long)nonce);
    if (err == TKMS_OK) {
        out->nonce = nonce;
        out->hash = p->hashes[p->hash_count - 1];
    }
    chain_nonces_unlock(n);
    if (err != TKMS_OK) {
        return err;
    }
    err = broadcast_pending(c, n, nonce);
    if (err == TKMS_ERR_CHAIN_RPC_ERROR && message_has(c, "nonce too low")) {
        chain_error_clear(c);
        return TKMS_OK; /* an earlier version was mined meanwhile: tx_wait will find it */
    }
    return err == TKMS_ERR_CHAIN_RPC_ERROR
               ? chain_fail(c, TKMS_ERR_CHAIN_TX_REJECTED, "replacement refused: %s", c->error)
               : err;
}

/* ---- wait ------------------------------------------------------------------------------------ */
typedef struct {
    tkms_chain_hash hashes[TKMS_CHAIN_TX_REPLACEMENTS_MAX + 1];
    size_t count;
} version_hashes;

/* Refreshes *v from the store. Another sender's reconcile may already have forgotten a
 * mined entry; then the versions seen before are still the ones to look for. */
static tkms_err versions_get(tkms_chain_client *c, tkms_chain_nonces *n, version_hashes *v,
                             uint64_t nonce) {
    chain_nonce_state *s = NULL;
    tkms_err err = chain_nonces_lock(n, &s);
    if (err != TKMS_OK) {
        return chain_fail(c, err, "cannot read the nonce store");
    }
    chain_pending_tx *p = chain_pending_find(s, nonce);
    if (p != NULL) {
        v->count = p->hash_count;
        memcpy(v->hashes, p->hashes, p->hash_count * sizeof p->hashes[0]);
    }
    chain_nonces_unlock(n);
    return v->count > 0 ? TKMS_OK
                        : chain_fail(c, TKMS_ERR_CHAIN_TX_NOT_PENDING,
                                     "nonce %llu is not in flight", (unsigned long long)nonce);
}

/* Looks for a receipt of any version; *found tells whether one exists. */
static tkms_err receipt_find(tkms_chain_client *c, tkms_chain_receipt *out, bool *found,
                             const version_hashes *v) {
    *found = false;
    for (size_t i = 0; i < v->count; i++) {
        tkms_err err = tkms_chain_receipt_get(c, out, found, &v->hashes[i]);
        if (err != TKMS_OK || *found) {
            return err;
        }
    }
    return TKMS_OK;
}

/* Describes why a mined transaction failed by replaying it before its block. */
static void revert_reason(tkms_chain_client *c, char *out, size_t size,
                          const tkms_chain_tx_decoded *tx, uint64_t block) {
    snprintf(out, size, "no revert data");
    if (!tx->tx.has_to || block == 0) {
        return;
    }
    tkms_chain_call_request req = {
        .from = &tx->sender, .to = &tx->tx.to, .data = tx->tx.data, .data_len = tx->tx.data_len};
    tkms_chain_bytes ignored = {0};
    if (tkms_chain_call(c, &ignored, &req, tkms_chain_block_number(block - 1)) ==
        TKMS_ERR_CHAIN_REVERTED) {
        chain_revert_summary(out, size, c->revert, c->revert_len);
    }
    tkms_chain_bytes_free(&ignored);
}

/* Mined: forget the entry; a failed status becomes TKMS_ERR_CHAIN_TX_REVERTED. */
static tkms_err mined_finish(tkms_chain_client *c, tkms_chain_nonces *n,
                             const tkms_chain_receipt *r, uint64_t nonce) {
    chain_nonce_state *s = NULL;
    tkms_err err = chain_nonces_lock(n, &s);
    if (err != TKMS_OK) {
        return chain_fail(c, err, "cannot update the nonce store");
    }
    chain_pending_tx *p = chain_pending_find(s, nonce);
    tkms_chain_tx_decoded tx;
    tkms_chain_bytes raw = {0};
    if (p != NULL) {
        raw = p->raw;
        p->raw = (tkms_chain_bytes){0};
    }
    chain_pending_remove(s, nonce);
    err = chain_nonces_save(n);
    chain_nonces_unlock(n);
    if (err == TKMS_OK && !r->status_ok) {
        char reason[160] = "no revert data";
        if (raw.ptr != NULL && tkms_chain_tx_decode(&tx, raw.ptr, raw.len) == TKMS_OK) {
            revert_reason(c, reason, sizeof reason, &tx, r->block_number);
        }
        char hash[TKMS_CHAIN_HASH_HEX_BYTES];
        tkms_chain_hash_format(hash, &r->tx_hash);
        err = chain_fail(c, TKMS_ERR_CHAIN_TX_REVERTED, "transaction %s reverted in block %llu: %s",
                         hash, (unsigned long long)r->block_number, reason);
    } else if (err != TKMS_OK) {
        err = chain_fail(c, err, "cannot write the nonce store");
    }
    tkms_chain_bytes_free(&raw);
    return err;
}

/* One poll: a receipt of some version (*found), else whether the chain's count has
 * passed the nonce without one (*consumed: mined elsewhere, or the node is still indexing
 * the receipt — nodes update the count before the receipt is queryable). */
static tkms_err wait_poll(tkms_chain_client *c, tkms_chain_nonces *n, tkms_chain_receipt *out,
                          bool *found, bool *consumed, version_hashes *v, uint64_t nonce) {
    *consumed = false;
    tkms_err err = versions_get(c, n, v, nonce);
    if (err == TKMS_OK) {
        err = receipt_find(c, out, found, v);
    }
    uint64_t mined = 0;
    if (err == TKMS_OK && !*found) {
        err = tkms_chain_tx_count_get(c, &mined, chain_nonces_address(n),
                                      tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
    }
    *consumed = err == TKMS_OK && !*found && mined > nonce;
    return err;
}

/* The wait loop's decision when no receipt was found yet (not an error: TKMS_OK). */
static tkms_err wait_idle(tkms_chain_client *c, tkms_chain_nonces *n, const tkms_chain_key *key,
                          const tkms_chain_send_options *opt, uint64_t nonce, uint64_t start,
                          uint64_t consumed_since, uint64_t *last_sent, bool *bumping) {
    uint64_t now = now_ms();
    if (consumed_since != 0 && now - consumed_since >= opt->receipt_grace_ms) {
        return chain_fail(c, TKMS_ERR_CHAIN_TX_REJECTED,
                          "nonce %llu was used by a transaction this store did not sign",
                          (unsigned long long)nonce);
    }
    if (now - start >= opt->receipt_timeout_ms) {
        return chain_fail(c, TKMS_ERR_CHAIN_TX_TIMEOUT,
                          "nonce %llu not mined after %u ms; it stays in the nonce store "
                          "and is re-broadcast by the next send",
                          (unsigned long long)nonce, opt->receipt_timeout_ms);
    }
    if (*bumping && consumed_since == 0 && now - *last_sent >= opt->bump_after_ms) {
        tkms_chain_sent replacement;
        tkms_err err = tkms_chain_tx_bump(c, n, key, &replacement, nonce, opt);
        *bumping = err == TKMS_OK; /* at the cap: keep waiting at the current price */
        if (err != TKMS_OK && err != TKMS_ERR_CHAIN_FEE_CAP) {
            return err;
        }
        *last_sent = now;
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_chain_tx_wait(tkms_chain_client *c, tkms_chain_nonces *n,
                                        const tkms_chain_key *key, tkms_chain_receipt *out,
                                        const tkms_chain_sent *sent,
                                        const tkms_chain_send_options *opt) {
    TKMS_ASSERT(c != NULL && n != NULL && key != NULL && sent != NULL);
    TKMS_ASSERT(out != NULL && opt != NULL && opt->receipt_poll_ms > 0);
    memset(out, 0, sizeof *out);
    uint64_t start = now_ms(), last_sent = start, consumed_since = 0;
    bool bumping = true;
    version_hashes versions = {.count = 1};
    versions.hashes[0] = sent->hash;
    for (;;) {
        bool found = false, consumed = false;
        tkms_err err = wait_poll(c, n, out, &found, &consumed, &versions, sent->nonce);
        if (err != TKMS_OK || found) {
            return err != TKMS_OK ? err : mined_finish(c, n, out, sent->nonce);
        }
        consumed_since = consumed ? (consumed_since ? consumed_since : now_ms()) : 0;
        err = wait_idle(c, n, key, opt, sent->nonce, start, consumed_since, &last_sent, &bumping);
        if (err != TKMS_OK) {
            return err;
        }
        chain_sleep_ms(opt->receipt_poll_ms);
    }
}

TKMS_EXPORT tkms_err tkms_chain_tx_send(tkms_chain_client *c, tkms_chain_nonces *n,
                                        const tkms_chain_key *key, tkms_chain_receipt *out,
                                        const tkms_chain_send_request *req,
                                        const tkms_chain_send_options *opt) {
    TKMS_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    tkms_chain_sent sent;
    tkms_err err = tkms_chain_tx_submit(c, n, key, &sent, req, opt);
    if (err != TKMS_OK) {
        return err;
    }
    return tkms_chain_tx_wait(c, n, key, out, &sent, opt);
}

/* ---- store maintenance ---------------------------------------------------------------------- */
TKMS_EXPORT tkms_err tkms_chain_nonces_sync(tkms_chain_nonces *n, tkms_chain_client *c) {
    TKMS_ASSERT(n != NULL && c != NULL);
    uint64_t chain_id = 0;
    tkms_err err = tkms_chain_client_chain_id(c, &chain_id);
    if (err == TKMS_OK && chain_id != chain_nonces_chain_id(n)) {
        err = chain_fail(c, TKMS_ERR_CHAIN_NONCE_FILE_MISMATCH,
                         "the nonce store belongs to another chain id");
    }
    chain_nonce_state *s = NULL;
    if (err == TKMS_OK && (err = chain_nonces_lock(n, &s)) != TKMS_OK) {
        return chain_fail(c, err, "cannot read the nonce store");
    }
    if (err != TKMS_OK) {
        return err;
    }
    err = reconcile(c, n, s);
    chain_nonces_unlock(n);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_nonces_reset(tkms_chain_nonces *n, tkms_chain_client *c) {
    TKMS_ASSERT(n != NULL && c != NULL);
    uint64_t mined = 0, pending = 0;
    tkms_err err = counts_get(c, &mined, &pending, chain_nonces_address(n));
    chain_nonce_state *s = NULL;
    if (err == TKMS_OK && (err = chain_nonces_lock(n, &s)) != TKMS_OK) {
        return chain_fail(c, err, "cannot read the nonce store");
    }
    if (err != TKMS_OK) {
        return err;
    }
    while (s->pending_count > 0) {
        chain_pending_remove(s, s->pending[0].nonce);
    }
    s->next_nonce = pending;
    err = chain_nonces_save(n);
    chain_nonces_unlock(n);
    return err == TKMS_OK ? TKMS_OK : chain_fail(c, err, "cannot write the nonce store");
}

TKMS_EXPORT tkms_err tkms_chain_deploy(tkms_chain_client *c, tkms_chain_nonces *n,
                                       const tkms_chain_key *key, tkms_chain_receipt *receipt,
                                       const tkms_chain_bytes *initcode,
                                       const uint8_t *constructor_args, size_t constructor_args_len,
                                       const tkms_chain_send_options *opt) {
    TKMS_ASSERT(receipt != NULL && initcode != NULL && initcode->ptr != NULL);
    TKMS_ASSERT(constructor_args != NULL || constructor_args_len == 0);
    memset(receipt, 0, sizeof *receipt);
    chain_buf data;
    chain_buf_init(&data, TKMS_CHAIN_TX_DATA_BYTES_MAX);
    chain_buf_put(&data, initcode->ptr, initcode->len);
    chain_buf_put(&data, constructor_args, constructor_args_len);
    if (data.error != TKMS_OK) {
        tkms_err err = data.error;
        chain_buf_free(&data);
        return chain_fail(c, err, "deploy: initcode and arguments over the calldata limit");
    }
    tkms_chain_send_request req = {.to = NULL, .data = data.ptr, .data_len = data.len};
    tkms_err err = tkms_chain_tx_send(c, n, key, receipt, &req, opt);
    chain_buf_free(&data);
    if (err == TKMS_OK && !receipt->has_contract_address) {
        err = chain_fail(c, TKMS_ERR_CHAIN_DEPLOY_NO_CODE, "deploy: receipt has no address");
    }
    tkms_chain_bytes code = {0};
    if (err == TKMS_OK) {
        err = tkms_chain_code_get(c, &code, &receipt->contract_address,
                                  tkms_chain_block_hash(&receipt->block_hash));
    }
    if (err == TKMS_OK && code.len == 0) {
        err = chain_fail(c, TKMS_ERR_CHAIN_DEPLOY_NO_CODE, "deploy: no code at the new address");
    }
    tkms_chain_bytes_free(&code);
    return err;
}
