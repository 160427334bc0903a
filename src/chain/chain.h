/*
 * chain.h — the Ethereum client of tkms: JSON-RPC, ABI, RLP, EIP-1559 transactions, nonce
 * management, pinned reads, logs and a reorg-aware block follower (spec: chain.md "Node-side
 * chain access"; protocol.md §1, I1, I6).
 *
 * Contract
 * - An adapter layer: it does I/O (HTTP via libcurl, the nonce file) but knows nothing of
 *   the protocol beyond the contract ABI. It never decides anything: it reports what the
 *   chain says, or an error. Nothing returned by an RPC is trusted: every field is parsed
 *   strictly, every length and count is capped (see "Limits"), and a malformed answer is an
 *   error, never skipped or defaulted.
 * - Pinned reads: every read takes a tkms_chain_block_ref. Protocol decisions must use
 *   TKMS_CHAIN_BLOCK_HASH (EIP-1898 with requireCanonical); "latest" exists for tooling.
 * - Threads: a tkms_chain_client (one keep-alive connection) is used by one thread at a time.
 *   A tkms_chain_nonces store is thread-safe and coordinates processes through flock(2).
 *   A tkms_chain_follower is owned by one thread. Everything else is pure and reentrant.
 * - Ownership: Objects from _new/_open are freed by the matching _free/_close (which
 *   accept NULL). tkms_chain_bytes, tkms_chain_logs, tkms_chain_receipt and artifacts own
 *   their heap memory and are released with their _free/_clear function. Borrowed pointers
 *   are never kept past a call unless stated.
 * - Errors: fallible calls return tkms_err (codes 400–499, chain_errors.def) and zero their
 *   outputs on failure. Calls taking a client leave one human-readable line in
 *   tkms_chain_client_error() (URL, method, what was wrong). Keys never reach error text.
 * - Secrets: tkms_chain_key holds an operator's secp256k1 key; wipe it with
 *   tkms_chain_key_wipe(). Key files must be mode 0600 (group/other bits refused).
 * - Recursion: the ABI encoder/decoder recurse over the *type* (bounded by
 *   TKMS_CHAIN_ABI_DEPTH_MAX, fixed by the signature string, never by the data). RLP
 *   decoding is iterative.
 */
#ifndef TKMS_CHAIN_H
#define TKMS_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/tkms_err.h"

/* ---- Limits ------------------------------------------------------------------------- */
#define TKMS_CHAIN_URL_BYTES_MAX 512
#define TKMS_CHAIN_ERROR_BYTES 320                        /* one line of error detail */
#define TKMS_CHAIN_RPC_RESPONSE_BYTES_DEFAULT (16u << 20) /* cap on one HTTP body */
#define TKMS_CHAIN_RPC_RESPONSE_BYTES_MAX (256u << 20)    /* ceiling for the option */
#define TKMS_CHAIN_RPC_TIMEOUT_MS_DEFAULT 10000
#define TKMS_CHAIN_RPC_CONNECT_TIMEOUT_MS_DEFAULT 3000
#define TKMS_CHAIN_RPC_RETRIES_DEFAULT 3 /* extra attempts after the first */
#define TKMS_CHAIN_RPC_RETRIES_MAX 16
#define TKMS_CHAIN_RPC_BACKOFF_MS_DEFAULT 100     /* doubles per attempt ... */
#define TKMS_CHAIN_RPC_BACKOFF_MS_MAX 10000       /* ... up to this */
#define TKMS_CHAIN_REVERT_BYTES_MAX 4096          /* revert data kept for the caller */
#define TKMS_CHAIN_RETURN_BYTES_MAX (1u << 20)    /* eth_call return data, eth_getCode */
#define TKMS_CHAIN_TX_DATA_BYTES_MAX (256u << 10) /* calldata / initcode we sign */
#define TKMS_CHAIN_TX_RAW_BYTES_MAX (TKMS_CHAIN_TX_DATA_BYTES_MAX + 4096)
#define TKMS_CHAIN_ABI_BYTES_MAX (1u << 20) /* one bytes/string value */
#define TKMS_CHAIN_ABI_ITEMS_MAX 4096       /* one dynamic or fixed array */
#define TKMS_CHAIN_ABI_DEPTH_MAX 8          /* type nesting */
#define TKMS_CHAIN_ABI_TYPE_NODES_MAX 96    /* nodes of one parsed signature */
#define TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX 1024
#define TKMS_CHAIN_RLP_DEPTH_MAX 16
#define TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX 2000 /* one eth_getLogs range (inclusive) */
#define TKMS_CHAIN_LOGS_MAX 10000            /* logs in one answer */
#define TKMS_CHAIN_LOG_FILTER_ITEMS_MAX 16   /* addresses or topic0 alternatives */
#define TKMS_CHAIN_RECEIPT_LOGS_MAX 1024
#define TKMS_CHAIN_PENDING_TX_MAX 16             /* in-flight transactions per nonce store */
#define TKMS_CHAIN_TX_REPLACEMENTS_MAX 8         /* fee bumps of one nonce */
#define TKMS_CHAIN_RECEIPT_GRACE_MS_DEFAULT 2000 /* nonce passed, no receipt of ours yet */
#define TKMS_CHAIN_FOLLOWER_WINDOW_MAX 4096
#define TKMS_CHAIN_FOLLOWER_BATCH_MAX 1024             /* blocks fetched per poll */
#define TKMS_CHAIN_FEE_CAP_WEI_DEFAULT 500000000000ULL /* 500 gwei max fee per gas */

_Static_assert(TKMS_CHAIN_RPC_RESPONSE_BYTES_DEFAULT <= TKMS_CHAIN_RPC_RESPONSE_BYTES_MAX,
               "default response cap within ceiling");
_Static_assert(TKMS_CHAIN_RETURN_BYTES_MAX * 2 + 64 < TKMS_CHAIN_RPC_RESPONSE_BYTES_DEFAULT,
               "a maximal eth_call answer (hex) fits a default response");
_Static_assert(TKMS_CHAIN_ABI_BYTES_MAX <= TKMS_CHAIN_RETURN_BYTES_MAX, "abi value fits");

/* ---- Basic types -------------------------------------------------------------------- */
#define TKMS_CHAIN_ADDRESS_BYTES 20
#define TKMS_CHAIN_HASH_BYTES 32
#define TKMS_CHAIN_ADDRESS_HEX_BYTES 43 /* "0x" + 40 + NUL */
#define TKMS_CHAIN_HASH_HEX_BYTES 67    /* "0x" + 64 + NUL */

typedef struct {
    uint8_t bytes[TKMS_CHAIN_ADDRESS_BYTES];
} tkms_chain_address;
typedef struct {
    uint8_t bytes[TKMS_CHAIN_HASH_BYTES];
} tkms_chain_hash;
typedef struct {
    uint8_t be[32]; /* big-endian */
} tkms_chain_u256;
typedef struct {
    uint8_t *ptr; /* heap (malloc), owned */
    size_t len;
} tkms_chain_bytes;

TKMS_EXPORT void tkms_chain_bytes_free(tkms_chain_bytes *b);

/* Lowercase "0x…" hex. out must hold 2 + 2·len + 1 bytes. */
TKMS_EXPORT void tkms_chain_hex_encode(char *out, const uint8_t *in, size_t len);
/* Exact-length hex ("0x" optional, either case) into out[0..len). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_hex_decode(uint8_t *out, size_t len, const char *hex);
/* Any even-length hex ("0x" optional) into a new buffer of at most max_len bytes. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_hex_decode_alloc(tkms_chain_bytes *out,
                                                               const char *hex, size_t max_len);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_address_parse(tkms_chain_address *out,
                                                            const char *hex);
TKMS_EXPORT void tkms_chain_address_format(char out[TKMS_CHAIN_ADDRESS_HEX_BYTES],
                                           const tkms_chain_address *a);
TKMS_EXPORT void tkms_chain_hash_format(char out[TKMS_CHAIN_HASH_HEX_BYTES],
                                        const tkms_chain_hash *h);
TKMS_EXPORT void tkms_chain_u256_from_u64(tkms_chain_u256 *out, uint64_t v);
/* TKMS_ERR_CHAIN_VALUE_RANGE when the value does not fit 64 bits. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_u256_to_u64(uint64_t *out, const tkms_chain_u256 *v);

/* ---- Keys (secret) ------------------------------------------------------------------ */
typedef struct {
    uint8_t sk[32]; /* secret: never logged, wiped by tkms_chain_key_wipe */
    tkms_chain_address address;
} tkms_chain_key;

TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_key_from_bytes(tkms_chain_key *out,
                                                             const uint8_t sk[32]);
/* A file holding 64 hex digits (optional 0x, optional trailing newline), mode 0600. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_key_load(tkms_chain_key *out, const char *path);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_key_generate(tkms_chain_key *out);
/* Creates path (must not exist) with mode 0600 and fsyncs it. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_key_save(const char *path, const tkms_chain_key *k);
TKMS_EXPORT void tkms_chain_key_wipe(tkms_chain_key *k);

/* ---- RLP (Ethereum yellow paper appendix B) ------------------------------------------ */
typedef struct {
    bool is_list;
    const uint8_t *payload; /* points into the decoded input */
    size_t payload_len;
} tkms_chain_rlp_item;

/* Decodes exactly one item spanning all of in[0..len) (trailing bytes refused), and
 * validates every nested item: canonical lengths, single bytes < 0x80 not wrapped, depth
 * <= TKMS_CHAIN_RLP_DEPTH_MAX. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_rlp_decode(tkms_chain_rlp_item *out,
                                                         const uint8_t *in, size_t len);
/* Iterates a validated list: *cursor starts at 0; returns false after the last item. */
TKMS_EXPORT bool tkms_chain_rlp_list_next(tkms_chain_rlp_item *out, const tkms_chain_rlp_item *list,
                                          size_t *cursor);
/* An RLP byte string as a canonical unsigned integer (no leading zero) of <= 8 bytes. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_rlp_to_u64(uint64_t *out,
                                                         const tkms_chain_rlp_item *item);

/* ---- ABI (Solidity contract ABI specification) -------------------------------------- */
typedef enum {
    TKMS_CHAIN_ABI_UINT = 1,
    TKMS_CHAIN_ABI_INT,
    TKMS_CHAIN_ABI_ADDRESS,
    TKMS_CHAIN_ABI_BOOL,
    TKMS_CHAIN_ABI_FIXED_BYTES, /* bytes1..bytes32 */
    TKMS_CHAIN_ABI_BYTES,
    TKMS_CHAIN_ABI_STRING,
    TKMS_CHAIN_ABI_ARRAY,       /* T[] */
    TKMS_CHAIN_ABI_FIXED_ARRAY, /* T[k] */
    TKMS_CHAIN_ABI_TUPLE,
} tkms_chain_abi_kind;

/* A value. Static scalars hold their 32-byte ABI word (numbers and addresses left-padded,
 * bytesN right-padded); bytes/string point to their content; arrays and tuples to items.
 * Built by the helpers below (which borrow pointers) or by the decoder (which points into
 * the input and into the caller's pool). */
typedef struct tkms_chain_abi_value {
    tkms_chain_abi_kind kind;
    uint8_t word[32];
    const uint8_t *data;
    size_t len;
    const struct tkms_chain_abi_value *items;
    size_t count;
} tkms_chain_abi_value;

/* Caller-provided storage for decoded arrays and tuples (no allocation in the decoder). */
typedef struct {
    tkms_chain_abi_value *values;
    size_t capacity;
    size_t used;
} tkms_chain_abi_pool;

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_uint64(uint64_t v);
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_uint256(const tkms_chain_u256 *v);
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_bool(bool v);
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_address(const tkms_chain_address *a);
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_bytes32(const uint8_t v[32]);
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_bytes(const uint8_t *data, size_t len);
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_string(const char *s);
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_array(const tkms_chain_abi_value *items,
                                                      size_t count);
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_tuple(const tkms_chain_abi_value *items,
                                                      size_t count);

/* Accessors of decoded scalars; TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH on the wrong kind. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_get_u64(uint64_t *out,
                                                          const tkms_chain_abi_value *v);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_get_address(tkms_chain_address *out,
                                                              const tkms_chain_abi_value *v);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_get_bool(bool *out,
                                                           const tkms_chain_abi_value *v);

/* selector = keccak256(signature)[0..4); signature canonical, e.g. "f(uint256,bytes)". */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_selector(uint8_t out[4], const char *signature);
/* Encodes value (a tuple) as the parameter list types, e.g. "(uint64,bytes32[])". */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_encode(tkms_chain_bytes *out, const char *types,
                                                         const tkms_chain_abi_value *value);
/* selector(signature) ‖ encode(parameter list of signature, args). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_call_encode(tkms_chain_bytes *out,
                                                              const char *signature,
                                                              const tkms_chain_abi_value *args);
/* Decodes data as types (a tuple string). Strict: bounds, caps, zero padding, value ranges
 * and canonical layout (re-encoding must give the input back, so trailing bytes and
 * aliased offsets are refused). out and the pool point into data. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_decode(tkms_chain_abi_value *out,
                                                         tkms_chain_abi_pool *pool,
                                                         const char *types, const uint8_t *data,
                                                         size_t len);
/* Canonical form "Name(t1,t2)" and topic0 of an event declared as
 * "Name(t1 indexed,t2)" (parameter names are not allowed). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_event_topic(tkms_chain_hash *out,
                                                              const char *event);

/* ---- Client (JSON-RPC over HTTP, one keep-alive connection) -------------------------- */
typedef struct tkms_chain_client tkms_chain_client;

typedef struct {
    const char *url;            /* http:// or https:// only */
    uint64_t chain_id_expected; /* 0: accept what eth_chainId says */
    uint32_t timeout_ms;
    uint32_t connect_timeout_ms;
    uint32_t retries; /* extra attempts on transport errors, HTTP 429/5xx */
    uint32_t backoff_ms_initial;
    size_t response_bytes_max;
} tkms_chain_client_options;

TKMS_EXPORT void tkms_chain_client_options_default(tkms_chain_client_options *out);
/* No I/O: the first call that needs it reads and checks eth_chainId. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_client_new(tkms_chain_client **out,
                                                         const tkms_chain_client_options *opt);
TKMS_EXPORT void tkms_chain_client_free(tkms_chain_client *c);
/* The last failure of this client as one line ("" after success). */
TKMS_EXPORT const char *tkms_chain_client_error(const tkms_chain_client *c);
/* Revert data of the last call that failed with TKMS_ERR_CHAIN_REVERTED (else len 0). */
TKMS_EXPORT void tkms_chain_client_revert_data(const tkms_chain_client *c, const uint8_t **data,
                                               size_t *len);
/* eth_chainId, checked against chain_id_expected; cached after the first success. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_client_chain_id(tkms_chain_client *c, uint64_t *out);

/* Raw JSON-RPC call: params is stolen (may be NULL for []); *result is a new reference.
 * A JSON-RPC error answer gives TKMS_ERR_CHAIN_RPC_ERROR (or _REVERTED when it carries
 * revert data), with code and message in the error line. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_rpc_call(tkms_chain_client *c, json_t **result,
                                                       const char *method, json_t *params);

/* ---- Reads --------------------------------------------------------------------------- */
typedef enum {
    TKMS_CHAIN_BLOCK_LATEST = 1,
    TKMS_CHAIN_BLOCK_SAFE,
    TKMS_CHAIN_BLOCK_FINALIZED,
    TKMS_CHAIN_BLOCK_PENDING,
    TKMS_CHAIN_BLOCK_NUMBER,
    TKMS_CHAIN_BLOCK_HASH, /* EIP-1898 {blockHash, requireCanonical: true} */
} tkms_chain_block_kind;

typedef struct {
    tkms_chain_block_kind kind;
    uint64_t number;      /* TKMS_CHAIN_BLOCK_NUMBER */
    tkms_chain_hash hash; /* TKMS_CHAIN_BLOCK_HASH */
} tkms_chain_block_ref;

TKMS_EXPORT tkms_chain_block_ref tkms_chain_block_tag(tkms_chain_block_kind kind);
TKMS_EXPORT tkms_chain_block_ref tkms_chain_block_number(uint64_t number);
TKMS_EXPORT tkms_chain_block_ref tkms_chain_block_hash(const tkms_chain_hash *hash);

typedef struct {
    uint64_t number;
    tkms_chain_hash hash;
    tkms_chain_hash parent_hash;
    uint64_t timestamp;
    bool has_base_fee;
    uint64_t base_fee_per_gas;
} tkms_chain_header;

TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_block_number_get(tkms_chain_client *c, uint64_t *out);
/* TKMS_ERR_CHAIN_BLOCK_NOT_FOUND if the node has no such block. The header's hash is
 * checked against a requested hash, its number against a requested number. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_header_get(tkms_chain_client *c,
                                                         tkms_chain_header *out,
                                                         tkms_chain_block_ref at);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_balance_get(tkms_chain_client *c,
                                                          tkms_chain_u256 *out,
                                                          const tkms_chain_address *account,
                                                          tkms_chain_block_ref at);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_tx_count_get(tkms_chain_client *c, uint64_t *out,
                                                           const tkms_chain_address *account,
                                                           tkms_chain_block_ref at);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_code_get(tkms_chain_client *c, tkms_chain_bytes *out,
                                                       const tkms_chain_address *account,
                                                       tkms_chain_block_ref at);

typedef struct {
    const tkms_chain_address *from; /* optional */
    const tkms_chain_address *to;
    const uint8_t *data;
    size_t data_len;
} tkms_chain_call_request;

/* eth_call at a block; a revert gives TKMS_ERR_CHAIN_REVERTED with the revert data kept
 * (tkms_chain_client_revert_data) and decoded in the error line when it is Error/Panic. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_call(tkms_chain_client *c, tkms_chain_bytes *out,
                                                   const tkms_chain_call_request *req,
                                                   tkms_chain_block_ref at);

/* ---- Logs ---------------------------------------------------------------------------- */
#define TKMS_CHAIN_LOG_TOPICS_MAX 4
typedef struct {
    tkms_chain_address address;
    tkms_chain_hash topics[TKMS_CHAIN_LOG_TOPICS_MAX];
    size_t topic_count;
    uint8_t *data; /* heap, owned by the enclosing list/receipt */
    size_t data_len;
    uint64_t block_number;
    tkms_chain_hash block_hash;
    tkms_chain_hash tx_hash;
    uint64_t log_index;
} tkms_chain_log;

typedef struct {
    tkms_chain_log *items;
    size_t count;
} tkms_chain_logs;

typedef struct {
    bool by_block_hash; /* EIP-234: exactly one block, by hash */
    tkms_chain_hash block_hash;
    uint64_t from_block; /* inclusive range, at most TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX */
    uint64_t to_block;
    const tkms_chain_address *addresses; /* count 1..TKMS_CHAIN_LOG_FILTER_ITEMS_MAX */
    size_t address_count;
    const tkms_chain_hash *topic0; /* alternatives; 0 = any */
    size_t topic0_count;
} tkms_chain_log_filter;

/* eth_getLogs. Every returned log is checked against the filter (address, topic0, block
 * range or hash, not removed) and for strict (block, index) order; a violation is an error
 * for the whole answer, never a skipped log. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_logs_get(tkms_chain_client *c, tkms_chain_logs *out,
                                                       const tkms_chain_log_filter *filter);
TKMS_EXPORT void tkms_chain_logs_free(tkms_chain_logs *logs);
/* Decodes a log of an event declared "Name(t1 indexed,t2,…)" into a tuple of all
 * parameters in order (indexed dynamic parameters come back as their bytes32 topic). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_abi_event_decode(tkms_chain_abi_value *out,
                                                               tkms_chain_abi_pool *pool,
                                                               const char *event,
                                                               const tkms_chain_log *log);

/* ---- Transactions (EIP-1559) --------------------------------------------------------- */
typedef struct {
    uint64_t chain_id;
    uint64_t nonce;
    uint64_t max_priority_fee_per_gas; /* wei */
    uint64_t max_fee_per_gas;          /* wei */
    uint64_t gas_limit;
    bool has_to; /* false: contract creation */
    tkms_chain_address to;
    tkms_chain_u256 value;
    const uint8_t *data;
    size_t data_len;
} tkms_chain_tx;

/* 0x02 ‖ rlp([chainId, nonce, tip, maxFee, gas, to, value, data, [], yParity, r, s]),
 * signed (low-s, RFC 6979) over keccak256(0x02 ‖ rlp(first nine fields)). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_tx_sign(tkms_chain_bytes *raw, tkms_chain_hash *hash,
                                                      const tkms_chain_tx *tx,
                                                      const tkms_chain_key *key);

typedef struct {
    tkms_chain_tx tx; /* tx.data points into the decoded input */
    tkms_chain_address sender;
    tkms_chain_hash hash;
    size_t access_list_entries;
} tkms_chain_tx_decoded;

/* Parses a signed type-2 transaction and recovers its sender (high-s refused). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_tx_decode(tkms_chain_tx_decoded *out,
                                                        const uint8_t *raw, size_t len);

typedef struct {
    tkms_chain_hash tx_hash;
    tkms_chain_hash block_hash;
    uint64_t block_number;
    bool status_ok;
    uint64_t gas_used;
    uint64_t effective_gas_price;
    bool has_contract_address;
    tkms_chain_address contract_address;
    tkms_chain_log *logs; /* heap; tkms_chain_receipt_clear */
    size_t log_count;
} tkms_chain_receipt;

/* found = false (and OK) while the node has no receipt. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_receipt_get(tkms_chain_client *c,
                                                          tkms_chain_receipt *out, bool *found,
                                                          const tkms_chain_hash *tx_hash);
TKMS_EXPORT void tkms_chain_receipt_clear(tkms_chain_receipt *r);

/* ---- Nonce store and sending ----------------------------------------------------------- */
/* The nonce store is a small JSON file (written atomically: temp + fsync + rename) holding
 * the next nonce of one (chain id, address) and every in-flight signed transaction, which
 * is persisted before it is broadcast. After a restart the in-flight ones are re-broadcast
 * (tkms_chain_nonces_sync) so no nonce is skipped; a nonce the chain lacks and the store
 * has no transaction for is TKMS_ERR_CHAIN_NONCE_GAP, repaired only by an explicit
 * tkms_chain_nonces_reset. A sibling "<path>.lock" is flock()ed during every update. */
typedef struct tkms_chain_nonces tkms_chain_nonces;

TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_nonces_open(tkms_chain_nonces **out, const char *path,
                                                          uint64_t chain_id,
                                                          const tkms_chain_address *address);
TKMS_EXPORT void tkms_chain_nonces_close(tkms_chain_nonces *n);
/* Next nonce the store would use, and the number of in-flight transactions. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_nonces_peek(tkms_chain_nonces *n, uint64_t *next,
                                                          size_t *pending);
/* Drops every in-flight entry and sets the next nonce to the chain's pending count. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_nonces_reset(tkms_chain_nonces *n,
                                                           tkms_chain_client *c);
/* Forgets mined transactions and re-broadcasts in-flight ones the node lost. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_nonces_sync(tkms_chain_nonces *n,
                                                          tkms_chain_client *c);

typedef struct {
    uint32_t gas_margin_percent;  /* added to eth_estimateGas */
    uint64_t max_fee_per_gas_cap; /* never sign above this (wei) */
    uint32_t bump_percent;        /* fee increase per replacement (>= 10) */
    uint32_t receipt_poll_ms;     /* between receipt polls */
    uint32_t receipt_timeout_ms;  /* total wait */
    uint32_t bump_after_ms;       /* replace a tx not mined after this long */
    uint32_t receipt_grace_ms;    /* how long the nonce may be used up without a receipt of
                                   * ours showing (receipts lag the count on some nodes)
                                   * before it counts as taken by another transaction */
} tkms_chain_send_options;

TKMS_EXPORT void tkms_chain_send_options_default(tkms_chain_send_options *out);

typedef struct {
    const tkms_chain_address *to; /* NULL: contract creation */
    tkms_chain_u256 value;
    const uint8_t *data;
    size_t data_len;
    uint64_t gas_limit; /* 0: eth_estimateGas + margin */
} tkms_chain_send_request;

typedef struct {
    uint64_t nonce;
    tkms_chain_hash hash; /* of the latest signed version */
} tkms_chain_sent;

/* Estimates gas (a revert here is TKMS_ERR_CHAIN_REVERTED, nothing is signed), prices
 * fees from the latest base fee, reserves a nonce, signs, persists, broadcasts. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_tx_submit(tkms_chain_client *c, tkms_chain_nonces *n,
                                                        const tkms_chain_key *key,
                                                        tkms_chain_sent *out,
                                                        const tkms_chain_send_request *req,
                                                        const tkms_chain_send_options *opt);
/* Re-signs the in-flight transaction of nonce with fees raised by bump_percent. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_tx_bump(tkms_chain_client *c, tkms_chain_nonces *n,
                                                      const tkms_chain_key *key,
                                                      tkms_chain_sent *out, uint64_t nonce,
                                                      const tkms_chain_send_options *opt);
/* Polls receipts of every signed version of the sent nonce (sent->hash and those in the
 * store); replaces it when stuck. A mined but failed tx is TKMS_ERR_CHAIN_TX_REVERTED (the
 * receipt is still filled in). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_tx_wait(tkms_chain_client *c, tkms_chain_nonces *n,
                                                      const tkms_chain_key *key,
                                                      tkms_chain_receipt *out,
                                                      const tkms_chain_sent *sent,
                                                      const tkms_chain_send_options *opt);
/* submit + wait. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_tx_send(tkms_chain_client *c, tkms_chain_nonces *n,
                                                      const tkms_chain_key *key,
                                                      tkms_chain_receipt *out,
                                                      const tkms_chain_send_request *req,
                                                      const tkms_chain_send_options *opt);

/* ---- Block follower ------------------------------------------------------------------- */
typedef enum {
    TKMS_CHAIN_EVENT_BLOCK_ADDED = 1, /* a new canonical block, in order, none skipped */
    TKMS_CHAIN_EVENT_BLOCK_REMOVED,   /* reorged out (newest first); undo what it did */
    TKMS_CHAIN_EVENT_BLOCK_FINAL,     /* now `confirmations` deep; never removed later */
} tkms_chain_event_kind;

typedef struct {
    tkms_chain_event_kind kind;
    tkms_chain_header header;
} tkms_chain_event;

typedef struct {
    uint64_t start_block;     /* first block to report (without anchor) */
    bool has_anchor;          /* resume after the anchor, which must still be canonical */
    tkms_chain_header anchor; /* number and hash of the last block reported FINAL before a
                               * restart; it is taken as final, later blocks are reported
                               * ADDED again (consumers must be idempotent) */
    uint32_t confirmations;   /* depth at which a block is reported final */
    uint32_t window_blocks;   /* hashes kept for reorg detection (> confirmations) */
    uint32_t batch_blocks;    /* blocks fetched per poll (catch-up speed) */
    bool follow_safe_head;    /* on rollups: follow the "safe" head, not "latest" */
} tkms_chain_follower_options;

typedef struct tkms_chain_follower tkms_chain_follower;

TKMS_EXPORT void tkms_chain_follower_options_default(tkms_chain_follower_options *out);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_follower_new(tkms_chain_follower **out,
                                                           const tkms_chain_follower_options *o);
TKMS_EXPORT void tkms_chain_follower_free(tkms_chain_follower *f);
/* Fills up to capacity events; *more = true when it stopped early (call again). A reorg
 * deeper than the window, or one that removes a block already reported final, returns
 * TKMS_ERR_CHAIN_REORG_TOO_DEEP / _REORG_BEYOND_FINAL and the follower stays halted. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_follower_poll(tkms_chain_follower *f,
                                                            tkms_chain_client *c,
                                                            tkms_chain_event *events,
                                                            size_t capacity, size_t *count,
                                                            bool *more);
/* The newest block followed (false before the first block). */
TKMS_EXPORT bool tkms_chain_follower_tip(const tkms_chain_follower *f, tkms_chain_header *out);

/* ---- Contract artifacts and deployment ------------------------------------------------- */
typedef struct {
    char name[128];
    tkms_chain_bytes bytecode; /* creation code */
    json_t *abi;               /* owned reference */
} tkms_chain_artifact;

/* Loads {"contractName","abi","bytecode",…} as written by the contracts build. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_artifact_load(tkms_chain_artifact *out,
                                                            const char *path);
TKMS_EXPORT void tkms_chain_artifact_free(tkms_chain_artifact *a);
/* Canonical "name(types)" of the ABI entry (kind "function", "event", "error" or
 * "constructor" — then name is ignored and the result is "(types)"); events keep
 * " indexed" markers as tkms_chain_abi_event_* expect. Outputs "(types)" when outputs is
 * not NULL. TKMS_ERR_CHAIN_ARTIFACT_NO_ENTRY when absent or overloaded. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_artifact_signature(char *out, size_t out_size,
                                                                 char *outputs, size_t outputs_size,
                                                                 const tkms_chain_artifact *a,
                                                                 const char *kind,
                                                                 const char *name);
/* Describes revert data in one line: "Error(\"msg\")", "Panic(0x11)", a custom error of
 * the artifact with its arguments' hex words, or the raw selector. a may be NULL. */
TKMS_EXPORT void tkms_chain_revert_describe(char *out, size_t out_size,
                                            const tkms_chain_artifact *a, const uint8_t *data,
                                            size_t len);

/* Sends initcode ‖ constructor_args as a creation transaction, waits for it and checks
 * that code exists at the new address. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_chain_deploy(
    tkms_chain_client *c, tkms_chain_nonces *n, const tkms_chain_key *key,
    tkms_chain_receipt *receipt, const tkms_chain_bytes *initcode, const uint8_t *constructor_args,
    size_t constructor_args_len, const tkms_chain_send_options *opt);

/* ---- Contract interface (docs/contracts.md) ---------------------------------------------
 * Canonical signatures of the calls and events the node and the CLI use, and the types of
 * their outputs. tests/chain/test_epoch.c checks each one against the compiled artifacts'
 * ABI, so a contract change that breaks them fails a test instead of a node. */
#define TKMS_CHAIN_REGISTRY_CONSTRUCTOR                                                            \
    "(uint64,uint64,uint64,uint64,uint64,uint64,uint64,uint32,uint32)"
#define TKMS_CHAIN_REGISTRY_ALLOW "allow(address)"
#define TKMS_CHAIN_REGISTRY_REGISTER "register(bytes32,bytes32,string,string)"
#define TKMS_CHAIN_REGISTRY_SET_EPOCH_LOG "setEpochLog(address)"
#define TKMS_CHAIN_REGISTRY_SET_EPOCH_KEY "setEpochKey(bytes32)"
#define TKMS_CHAIN_REGISTRY_START_GENESIS "startGenesis()"
#define TKMS_CHAIN_REGISTRY_OWNER "owner()"
#define TKMS_CHAIN_REGISTRY_OWNER_OUT "(address)"
#define TKMS_CHAIN_REGISTRY_IS_ALLOWED "isAllowed(address)"
#define TKMS_CHAIN_REGISTRY_IS_ACTIVE "isActive(address)"
#define TKMS_CHAIN_REGISTRY_IS_OUT "(bool)"
#define TKMS_CHAIN_REGISTRY_GENESIS_BLOCK "genesisBlock()"
#define TKMS_CHAIN_REGISTRY_GENESIS_BLOCK_OUT "(uint64)"
#define TKMS_CHAIN_REGISTRY_PARAMS "params()"
#define TKMS_CHAIN_REGISTRY_PARAMS_OUT TKMS_CHAIN_REGISTRY_CONSTRUCTOR
#define TKMS_CHAIN_REGISTRY_NODE_INFOS_AT "getNodeInfosAt(uint64)"
#define TKMS_CHAIN_REGISTRY_NODE_INFOS_OUT "((address,bytes32,bytes32,string,string)[])"
#define TKMS_CHAIN_REGISTRY_EVENT_GENESIS_STARTED "GenesisStarted(uint64,uint64)"
#define TKMS_CHAIN_REGISTRY_EVENT_OPERATOR_REGISTERED                                              \
    "OperatorRegistered(address indexed,bytes32,bytes32,string,string)"

#define TKMS_CHAIN_EPOCHLOG_CONSTRUCTOR "(address)"
#define TKMS_CHAIN_EPOCHLOG_COMMIT "commitDealing(uint64,bytes32)"
#define TKMS_CHAIN_EPOCHLOG_REVEAL "revealDealing(uint64,bytes,bytes32)"
#define TKMS_CHAIN_EPOCHLOG_ACK "ack(uint64,uint256)"
#define TKMS_CHAIN_EPOCHLOG_OPEN "openShares(uint64,address[],bytes32[])"
#define TKMS_CHAIN_EPOCHLOG_CONFIRM "confirm(uint64,bytes,bytes32,uint256)"
#define TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF                                                         \
    "recordHashOf(uint64,address,uint64,uint16,bytes32,bytes32)"
#define TKMS_CHAIN_EPOCHLOG_RECORD_HASH_OF_OUT "(bytes32)"
#define TKMS_CHAIN_EPOCHLOG_DEADLINES "deadlines(uint64)"
#define TKMS_CHAIN_EPOCHLOG_DEADLINES_OUT "(uint64,uint64,uint64,uint64,uint64,uint64)"
#define TKMS_CHAIN_EPOCHLOG_SNAPSHOT "epochSnapshot(uint64)"
#define TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT                                                           \
    "(address[],bytes32[],bytes32[],uint16,uint16,uint64,uint16)"
#define TKMS_CHAIN_EPOCHLOG_PROGRESS "epochProgress(uint64)"
#define TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT                                                           \
    "(uint256,uint256,uint256,uint256,bool,bytes32,uint256,uint256)"
#define TKMS_CHAIN_EPOCHLOG_DEALINGS "dealings(uint64)"
#define TKMS_CHAIN_EPOCHLOG_DEALINGS_OUT "(bytes32[],bytes32[])"
#define TKMS_CHAIN_EPOCHLOG_ACKS "acks(uint64)"
#define TKMS_CHAIN_EPOCHLOG_OPENINGS "openings(uint64)"
#define TKMS_CHAIN_EPOCHLOG_BITMAPS_OUT "(uint256[])"
#define TKMS_CHAIN_EPOCHLOG_OPENED_SHARES "openedShares(uint64,address)"
#define TKMS_CHAIN_EPOCHLOG_OPENED_SHARES_OUT "(address[],bytes32[])"
#define TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION "finalizedVersion()"
#define TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION_OUT "(uint64)"
#define TKMS_CHAIN_EPOCHLOG_WINNING_STATE_HASH "winningStateHash(uint64)"
#define TKMS_CHAIN_EPOCHLOG_WINNING_STATE_HASH_OUT "(bytes32)"
#define TKMS_CHAIN_EPOCHLOG_MPK "masterPublicKey()"
#define TKMS_CHAIN_EPOCHLOG_MPK_OUT "(bytes)"
#define TKMS_CHAIN_EPOCHLOG_CONFIRMERS "confirmers(uint64)"
#define TKMS_CHAIN_EPOCHLOG_DEALER_SET "dealerSet(uint64)"
#define TKMS_CHAIN_EPOCHLOG_ADDRESSES_OUT "(address[])"
#define TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED                                                         \
    "DealingRevealed(uint64 indexed,address indexed,bytes32,bytes32,bytes)"
#define TKMS_CHAIN_EPOCHLOG_EVENT_FINALIZED                                                        \
    "EpochFinalized(uint64 indexed,bytes32,bytes32,uint64,uint256)"

#define TKMS_CHAIN_APPS_CREATE "createApp(bytes32)"
#define TKMS_CHAIN_APPS_CREATE_OUT "(address)"
#define TKMS_CHAIN_APPS_PUBLISH "publishRelease(address,bytes32,string,bytes,bytes)"
#define TKMS_CHAIN_APPS_PUBLISH_OUT "(uint256)"
#define TKMS_CHAIN_APPS_LATEST_RELEASE "latestRelease(address)"
#define TKMS_CHAIN_APPS_RELEASE_OUT "(uint256,uint64,bytes32,string,bytes,bytes)"
#define TKMS_CHAIN_APPS_RELEASE_AT "releaseAt(address,uint64)"
#define TKMS_CHAIN_APPS_RELEASE_AT_OUT "(uint256)"
#define TKMS_CHAIN_APPS_APP_ADDRESS "appAddress(address,bytes32)"
#define TKMS_CHAIN_APPS_APP_ADDRESS_OUT "(address)"
#define TKMS_CHAIN_APPS_EVENT_CREATED "AppCreated(address indexed,address indexed,bytes32)"
#define TKMS_CHAIN_APPS_EVENT_RELEASE                                                              \
    "ReleasePublished(address indexed,uint256 indexed,bytes32,string,bytes,bytes)"

#endif
