/*
 * internal.h — shared internals of the chain layer: the client struct, the error line,
 * strict JSON field parsers, a bounded byte-buffer builder and the RLP encoder.
 * Not part of the public API; only the chain sources and the chain fuzzers include it.
 */
#ifndef TKMS_CHAIN_INTERNAL_H
#define TKMS_CHAIN_INTERNAL_H

#include <curl/curl.h>
#include <stdarg.h>

#include "chain/chain.h"

/* ---- client ---------------------------------------------------------------------------- */
typedef struct {
    uint8_t *data;
    size_t len;
    size_t capacity;
    size_t max;
    bool overflow;
} chain_response_buffer;

struct tkms_chain_client {
    CURL *curl;
    struct curl_slist *headers;
    char url[TKMS_CHAIN_URL_BYTES_MAX];
    char url_shown[TKMS_CHAIN_URL_BYTES_MAX]; /* scheme://host:port only, for error lines */
    tkms_chain_client_options options;
    uint64_t next_id;
    bool chain_id_known;
    uint64_t chain_id;
    char error[TKMS_CHAIN_ERROR_BYTES];
    uint8_t revert[TKMS_CHAIN_REVERT_BYTES_MAX];
    size_t revert_len;
    chain_response_buffer response;
};

/* Sets the client's error line (printf format) and returns err. c may be NULL. */
tkms_err chain_fail(tkms_chain_client *c, tkms_err err, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
void chain_error_clear(tkms_chain_client *c);

/* ---- JSON-RPC response parsing (pure; fuzzed by fuzz_rpc_response) ---------------------- */
typedef struct {
    json_t *result;       /* new reference on TKMS_OK */
    long long error_code; /* JSON-RPC error code when TKMS_ERR_CHAIN_RPC_ERROR/_REVERTED */
    char message[200];    /* envelope problem or the node's error message */
    uint8_t revert[TKMS_CHAIN_REVERT_BYTES_MAX];
    size_t revert_len;
} chain_rpc_answer;

/* Parses one JSON-RPC 2.0 response body answering request id. */
tkms_err chain_rpc_response_parse(chain_rpc_answer *out, const uint8_t *body, size_t len,
                                  uint64_t id);

/* ---- strict field parsers ------------------------------------------------------------- */
/* Each sets the client's error line naming `what` on failure (TKMS_ERR_CHAIN_RPC_BAD_FIELD). */
tkms_err chain_json_u64(tkms_chain_client *c, uint64_t *out, const json_t *v, const char *what);
tkms_err chain_json_u256(tkms_chain_client *c, tkms_chain_u256 *out, const json_t *v,
                         const char *what);
tkms_err chain_json_hash(tkms_chain_client *c, tkms_chain_hash *out, const json_t *v,
                         const char *what);
tkms_err chain_json_address(tkms_chain_client *c, tkms_chain_address *out, const json_t *v,
                            const char *what);
tkms_err chain_json_data(tkms_chain_client *c, tkms_chain_bytes *out, const json_t *v,
                         size_t max_len, const char *what);
/* The string of v, or NULL when v is not a string or holds a NUL (answers are parsed with
 * JSON_ALLOW_NUL because nodes put raw revert bytes in error messages). */
const char *chain_json_text(const json_t *v);
/* Quantity "0x…" (1..16 hex digits) → u64, without a client (pure). */
bool chain_quantity_parse(uint64_t *out, const char *s);
/* Hex-encodes into a new JSON string ("0x…"); NULL on allocation failure. */
json_t *chain_json_hex(const uint8_t *data, size_t len);
json_t *chain_json_quantity(uint64_t v);
json_t *chain_json_block_ref(tkms_chain_block_ref at);
/* Human form of a block ref for error lines. */
void chain_block_ref_describe(char *out, size_t size, tkms_chain_block_ref at);

/* Parses a log object (eth_getLogs / receipt) into out (data is newly allocated). */
tkms_err chain_log_parse(tkms_chain_client *c, tkms_chain_log *out, const json_t *v);

/* The value of one hex digit (either case), or -1. */
int chain_hex_nibble(char ch);

/* ---- bounded byte buffer ------------------------------------------------------------------ */
typedef struct {
    uint8_t *ptr;
    size_t len;
    size_t capacity;
    size_t max;     /* hard cap: appends beyond it fail */
    tkms_err error; /* first failure (TOO_LARGE or OUT_OF_MEMORY); later appends are no-ops */
} chain_buf;

void chain_buf_init(chain_buf *b, size_t max);
void chain_buf_free(chain_buf *b);
void chain_buf_put(chain_buf *b, const uint8_t *data, size_t len);
void chain_buf_put_byte(chain_buf *b, uint8_t byte);
void chain_buf_put_zeros(chain_buf *b, size_t len);
/* Moves the content into out; TKMS_ERR_OUT_OF_MEMORY/TOO_LARGE if any append failed. */
tkms_err chain_buf_finish(chain_buf *b, tkms_chain_bytes *out);

/* ---- RLP encoding ----------------------------------------------------------------------- */
void chain_rlp_put_bytes(chain_buf *b, const uint8_t *data, size_t len);
void chain_rlp_put_u64(chain_buf *b, uint64_t v);
/* Big-endian integer without leading zeros (canonical RLP scalar). */
void chain_rlp_put_uint_be(chain_buf *b, const uint8_t *be, size_t len);
/* Appends a list header for a payload of payload_len bytes (payload appended after). */
void chain_rlp_put_list_header(chain_buf *b, size_t payload_len);

/* ---- ABI types (abi_type.c) ----------------------------------------------------------------- */
typedef struct chain_abi_type {
    tkms_chain_abi_kind kind;
    uint32_t size;                      /* uint/int bits, bytesN length, T[k] length */
    const struct chain_abi_type *child; /* arrays: element; tuples: first member */
    const struct chain_abi_type *next;  /* next tuple member */
    uint32_t member_count;              /* tuples */
    bool dynamic;
    size_t head_bytes; /* bytes in the head of an enclosing sequence (32 if dynamic) */
} chain_abi_type;

typedef struct {
    chain_abi_type nodes[TKMS_CHAIN_ABI_TYPE_NODES_MAX];
    size_t used;
} chain_abi_types;

/* Parses one type ("uint256", "(address,bytes)[]", …) starting at *cursor. */
tkms_err chain_abi_type_parse(chain_abi_type **out, chain_abi_types *pool, const char **cursor,
                              unsigned depth);
/* Parses a whole string that must be exactly one tuple type "(…)". */
tkms_err chain_abi_tuple_parse(const chain_abi_type **out, chain_abi_types *pool,
                               const char *types);
/* Appends the canonical form of t (aliases expanded, no spaces). */
void chain_abi_type_format(chain_buf *b, const chain_abi_type *t);
/* Parses "name(…)" into name length and its parameter tuple. */
tkms_err chain_abi_signature_parse(const chain_abi_type **params, size_t *name_len,
                                   chain_abi_types *pool, const char *signature);

/* Encodes value as t (value checked against t first). */
tkms_err chain_abi_encode_into(chain_buf *b, const chain_abi_type *t,
                               const tkms_chain_abi_value *value);
/* Decodes data as t, strictly and canonically. */
tkms_err chain_abi_decode_as(tkms_chain_abi_value *out, tkms_chain_abi_pool *pool,
                             const chain_abi_type *t, const uint8_t *data, size_t len);
/* Checks a 32-byte word is a valid encoding of the static scalar type t. */
tkms_err chain_abi_word_check(const chain_abi_type *t, const uint8_t word[32]);

/* ---- nonce store (nonces.c) ------------------------------------------------------------------ */
typedef struct {
    uint64_t nonce;
    tkms_chain_hash hashes[TKMS_CHAIN_TX_REPLACEMENTS_MAX + 1]; /* every signed version */
    size_t hash_count;
    tkms_chain_bytes raw; /* the latest signed version */
} chain_pending_tx;

typedef struct {
    uint64_t next_nonce; /* 0 in a new store: take the chain's count */
    chain_pending_tx pending[TKMS_CHAIN_PENDING_TX_MAX];
    size_t pending_count;
} chain_nonce_state;

/* Locks (mutex + flock) and loads the file into *state (borrowed until the unlock). */
tkms_err chain_nonces_lock(tkms_chain_nonces *n, chain_nonce_state **state);
/* Writes the state atomically (temp file, fsync, rename, fsync of the directory). */
tkms_err chain_nonces_save(tkms_chain_nonces *n);
void chain_nonces_unlock(tkms_chain_nonces *n);
uint64_t chain_nonces_chain_id(const tkms_chain_nonces *n);
const tkms_chain_address *chain_nonces_address(const tkms_chain_nonces *n);
chain_pending_tx *chain_pending_find(chain_nonce_state *s, uint64_t nonce);
void chain_pending_remove(chain_nonce_state *s, uint64_t nonce);

/* ---- keys, sleeping ------------------------------------------------------------------------ */
/* Signs hash32 with the key: out = r ‖ s (low-s, RFC 6979), *recid = y parity (0/1). */
tkms_err chain_ecdsa_sign(uint8_t sig64[64], int *recid, const uint8_t hash32[32],
                          const tkms_chain_key *key);
/* Recovers the address that signed hash32 with (r ‖ s, recovery id). */
tkms_err chain_ecdsa_recover(tkms_chain_address *out, const uint8_t hash32[32],
                             const uint8_t sig64[64], int recid);
void chain_sleep_ms(uint32_t ms);

/* Short human form of revert data for an error line (Error(string), Panic, selector). */
void chain_revert_summary(char *out, size_t size, const uint8_t *data, size_t len);

#endif
