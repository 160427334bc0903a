/*
 * abi.c — Solidity ABI encoding and strict decoding of values, function selectors and
 * event logs (contract ABI specification: "Formal Specification of the Encoding",
 * "Events").
 *
 * The decoder trusts nothing: every offset and length is bounds-checked before use, lengths
 * and counts are capped (TKMS_CHAIN_ABI_BYTES_MAX, _ITEMS_MAX), padding must be zero and
 * values must fit their type. Decoded arrays and tuples live in the caller's pool, so a
 * hostile answer cannot make it allocate. Finally the value is re-encoded and must equal
 * the input byte for byte: only the canonical layout that Solidity produces is accepted,
 * which also rejects trailing bytes and aliased offsets. Recursion follows the type tree,
 * whose depth the signature string fixes (<= TKMS_CHAIN_ABI_DEPTH_MAX), never the data.
 */
#include <string.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"
#include "prim/prim.h"

#define EVENT_PARAMS_MAX 32

static size_t round_up32(size_t n) {
    return (n + 31) & ~(size_t)31;
}

static bool is_array_kind(tkms_chain_abi_kind k) {
    return k == TKMS_CHAIN_ABI_ARRAY || k == TKMS_CHAIN_ABI_FIXED_ARRAY;
}

static bool is_scalar_kind(tkms_chain_abi_kind k) {
    return k == TKMS_CHAIN_ABI_UINT || k == TKMS_CHAIN_ABI_INT || k == TKMS_CHAIN_ABI_ADDRESS ||
           k == TKMS_CHAIN_ABI_BOOL || k == TKMS_CHAIN_ABI_FIXED_BYTES;
}

/* ---- value constructors ------------------------------------------------------------------- */
TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_uint64(uint64_t v) {
    tkms_chain_abi_value r = {.kind = TKMS_CHAIN_ABI_UINT};
    for (unsigned i = 0; i < 8; i++) {
        r.word[31 - i] = (uint8_t)(v >> (8 * i));
    }
    return r;
}

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_uint256(const tkms_chain_u256 *v) {
    TKMS_ASSERT(v != NULL);
    tkms_chain_abi_value r = {.kind = TKMS_CHAIN_ABI_UINT};
    memcpy(r.word, v->be, 32);
    return r;
}

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_bool(bool v) {
    tkms_chain_abi_value r = {.kind = TKMS_CHAIN_ABI_BOOL};
    r.word[31] = v ? 1 : 0;
    return r;
}

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_address(const tkms_chain_address *a) {
    TKMS_ASSERT(a != NULL);
    tkms_chain_abi_value r = {.kind = TKMS_CHAIN_ABI_ADDRESS};
    memcpy(r.word + 12, a->bytes, 20);
    return r;
}

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_bytes32(const uint8_t v[32]) {
    TKMS_ASSERT(v != NULL);
    tkms_chain_abi_value r = {.kind = TKMS_CHAIN_ABI_FIXED_BYTES};
    memcpy(r.word, v, 32);
    return r;
}

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_bytes(const uint8_t *data, size_t len) {
    TKMS_ASSERT(data != NULL || len == 0);
    return (tkms_chain_abi_value){.kind = TKMS_CHAIN_ABI_BYTES, .data = data, .len = len};
}

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_string(const char *s) {
    TKMS_ASSERT(s != NULL);
    return (tkms_chain_abi_value){
        .kind = TKMS_CHAIN_ABI_STRING, .data = (const uint8_t *)s, .len = strlen(s)};
}

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_array(const tkms_chain_abi_value *items,
                                                      size_t count) {
    TKMS_ASSERT(items != NULL || count == 0);
    return (tkms_chain_abi_value){.kind = TKMS_CHAIN_ABI_ARRAY, .items = items, .count = count};
}

TKMS_EXPORT tkms_chain_abi_value tkms_chain_abi_tuple(const tkms_chain_abi_value *items,
                                                      size_t count) {
    TKMS_ASSERT(items != NULL || count == 0);
    return (tkms_chain_abi_value){.kind = TKMS_CHAIN_ABI_TUPLE, .items = items, .count = count};
}

/* ---- accessors ------------------------------------------------------------------------------ */
TKMS_EXPORT tkms_err tkms_chain_abi_get_u64(uint64_t *out, const tkms_chain_abi_value *v) {
    TKMS_ASSERT(out != NULL && v != NULL);
    *out = 0;
    if (v->kind != TKMS_CHAIN_ABI_UINT) {
        return TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH;
    }
    tkms_chain_u256 u;
    memcpy(u.be, v->word, 32);
    return tkms_chain_u256_to_u64(out, &u);
}

TKMS_EXPORT tkms_err tkms_chain_abi_get_address(tkms_chain_address *out,
                                                const tkms_chain_abi_value *v) {
    TKMS_ASSERT(out != NULL && v != NULL);
    memset(out, 0, sizeof *out);
    if (v->kind != TKMS_CHAIN_ABI_ADDRESS) {
        return TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH;
    }
    memcpy(out->bytes, v->word + 12, 20);
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_chain_abi_get_bool(bool *out, const tkms_chain_abi_value *v) {
    TKMS_ASSERT(out != NULL && v != NULL);
    *out = false;
    if (v->kind != TKMS_CHAIN_ABI_BOOL) {
        return TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH;
    }
    *out = v->word[31] == 1;
    return TKMS_OK;
}

/* ---- checks --------------------------------------------------------------------------------- */
static bool all_bytes(const uint8_t *p, size_t n, uint8_t value) {
    for (size_t i = 0; i < n; i++) {
        if (p[i] != value) {
            return false;
        }
    }
    return true;
}

tkms_err chain_abi_word_check(const chain_abi_type *t, const uint8_t word[32]) {
    TKMS_ASSERT(t != NULL && word != NULL);
    size_t high = 32 - t->size / 8; /* bytes above an N-bit number */
    switch (t->kind) {
    case TKMS_CHAIN_ABI_UINT:
        return all_bytes(word, high, 0) ? TKMS_OK : TKMS_ERR_CHAIN_ABI_BAD_VALUE;
    case TKMS_CHAIN_ABI_INT: {
        uint8_t sign = (word[high] & 0x80) ? 0xff : 0x00; /* high < 32 since size >= 8 */
        return all_bytes(word, high, sign) ? TKMS_OK : TKMS_ERR_CHAIN_ABI_BAD_VALUE;
    }
    case TKMS_CHAIN_ABI_ADDRESS:
        return all_bytes(word, 12, 0) ? TKMS_OK : TKMS_ERR_CHAIN_ABI_BAD_PADDING;
    case TKMS_CHAIN_ABI_BOOL:
        return all_bytes(word, 31, 0) && word[31] <= 1 ? TKMS_OK : TKMS_ERR_CHAIN_ABI_BAD_VALUE;
    case TKMS_CHAIN_ABI_FIXED_BYTES:
        return all_bytes(word + t->size, 32 - t->size, 0) ? TKMS_OK
                                                          : TKMS_ERR_CHAIN_ABI_BAD_PADDING;
    default:
        TKMS_ASSERT(false); /* not a static scalar */
        return TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH;
    }
}

/* Walks a sequence's member types: a tuple's members, or one element type repeated. */
static const chain_abi_type *seq_next(const chain_abi_type *t, bool repeat) {
    return repeat ? t : t->next;
}

static tkms_err value_check(const chain_abi_type *t, const tkms_chain_abi_value *v) {
    if (is_scalar_kind(t->kind)) {
        return v->kind == t->kind ? chain_abi_word_check(t, v->word)
                                  : TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH;
    }
    if (t->kind == TKMS_CHAIN_ABI_BYTES || t->kind == TKMS_CHAIN_ABI_STRING) {
        if (v->kind != t->kind || (v->data == NULL && v->len != 0)) {
            return TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH;
        }
        return v->len <= TKMS_CHAIN_ABI_BYTES_MAX ? TKMS_OK : TKMS_ERR_CHAIN_ABI_TOO_LONG;
    }
    bool tuple = t->kind == TKMS_CHAIN_ABI_TUPLE;
    if (tuple ? v->kind != TKMS_CHAIN_ABI_TUPLE : !is_array_kind(v->kind)) {
        return TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH;
    }
    size_t expected = tuple ? t->member_count : t->size;
    if (t->kind != TKMS_CHAIN_ABI_ARRAY && v->count != expected) {
        return TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH;
    }
    if (v->count > TKMS_CHAIN_ABI_ITEMS_MAX || (v->items == NULL && v->count != 0)) {
        return TKMS_ERR_CHAIN_ABI_TOO_LONG;
    }
    const chain_abi_type *member = t->child;
    for (size_t i = 0; i < v->count; i++, member = seq_next(member, !tuple)) {
        tkms_err err = value_check(member, &v->items[i]);
        if (err != TKMS_OK) {
            return err;
        }
    }
    return TKMS_OK;
}

/* ---- encoding ------------------------------------------------------------------------------- */
static size_t encoded_size(const chain_abi_type *t, const tkms_chain_abi_value *v);

static size_t seq_size(const chain_abi_type *first, bool repeat, const tkms_chain_abi_value *items,
                       size_t count) {
    size_t total = 0;
    const chain_abi_type *m = first;
    for (size_t i = 0; i < count; i++, m = seq_next(m, repeat)) {
        total += m->head_bytes + (m->dynamic ? encoded_size(m, &items[i]) : 0);
    }
    return total;
}

static size_t encoded_size(const chain_abi_type *t, const tkms_chain_abi_value *v) {
    if (!t->dynamic) {
        return t->head_bytes;
    }
    switch (t->kind) {
    case TKMS_CHAIN_ABI_BYTES:
    case TKMS_CHAIN_ABI_STRING:
        return 32 + round_up32(v->len);
    case TKMS_CHAIN_ABI_ARRAY:
        return 32 + seq_size(t->child, true, v->items, v->count);
    case TKMS_CHAIN_ABI_FIXED_ARRAY:
        return seq_size(t->child, true, v->items, v->count);
    case TKMS_CHAIN_ABI_TUPLE:
        return seq_size(t->child, false, v->items, v->count);
    default:
        TKMS_ASSERT(false); /* static kinds return above */
        return 0;
    }
}

static void put_word_u64(chain_buf *b, uint64_t v) {
    tkms_chain_abi_value w = tkms_chain_abi_uint64(v);
    chain_buf_put(b, w.word, 32);
}

static void encode_value(chain_buf *b, const chain_abi_type *t, const tkms_chain_abi_value *v);

static void encode_seq(chain_buf *b, const chain_abi_type *first, bool repeat,
                       const tkms_chain_abi_value *items, size_t count) {
    size_t offset = 0;
    const chain_abi_type *m = first;
    for (size_t i = 0; i < count; i++, m = seq_next(m, repeat)) {
        offset += m->head_bytes;
    }
    m = first;
    for (size_t i = 0; i < count; i++, m = seq_next(m, repeat)) { /* heads */
        if (m->dynamic) {
            put_word_u64(b, offset);
            offset += encoded_size(m, &items[i]);
        } else {
            encode_value(b, m, &items[i]);
        }
    }
    m = first;
    for (size_t i = 0; i < count; i++, m = seq_next(m, repeat)) { /* tails */
        if (m->dynamic) {
            encode_value(b, m, &items[i]);
        }
    }
}

static void encode_value(chain_buf *b, const chain_abi_type *t, const tkms_chain_abi_value *v) {
    switch (t->kind) {
    case TKMS_CHAIN_ABI_BYTES:
    case TKMS_CHAIN_ABI_STRING:
        put_word_u64(b, v->len);
        chain_buf_put(b, v->data, v->len);
        chain_buf_put_zeros(b, round_up32(v->len) - v->len);
        return;
    case TKMS_CHAIN_ABI_ARRAY:
        put_word_u64(b, v->count);
        encode_seq(b, t->child, true, v->items, v->count);
        return;
    case TKMS_CHAIN_ABI_FIXED_ARRAY:
        encode_seq(b, t->child, true, v->items, v->count);
        return;
    case TKMS_CHAIN_ABI_TUPLE:
        encode_seq(b, t->child, false, v->items, v->count);
        return;
    default:
        chain_buf_put(b, v->word, 32); /* static scalar, checked by value_check */
        return;
    }
}

tkms_err chain_abi_encode_into(chain_buf *b, const chain_abi_type *t,
                               const tkms_chain_abi_value *value) {
    TKMS_ASSERT(b != NULL && t != NULL && value != NULL);
    tkms_err err = value_check(t, value);
    if (err != TKMS_OK) {
        return err;
    }
    encode_value(b, t, value);
    return b->error;
}

/* ---- decoding ------------------------------------------------------------------------------- */
static tkms_chain_abi_value *pool_take(tkms_chain_abi_pool *pool, size_t count) {
    if (count > pool->capacity - pool->used) {
        return NULL;
    }
    tkms_chain_abi_value *items = pool->values + pool->used;
    pool->used += count;
    memset(items, 0, count * sizeof *items);
    return items;
}

/* Reads a length/offset word; it must fit in 32 bits (anything larger is out of range). */
static bool read_small_word(size_t *out, const uint8_t *word) {
    if (!all_bytes(word, 28, 0)) {
        return false;
    }
    *out = (size_t)word[28] << 24 | (size_t)word[29] << 16 | (size_t)word[30] << 8 | word[31];
    return true;
}

static tkms_err decode_value(tkms_chain_abi_value *out, tkms_chain_abi_pool *pool,
                             const chain_abi_type *t, const uint8_t *p, size_t len);

static tkms_err decode_seq(tkms_chain_abi_value *items, tkms_chain_abi_pool *pool,
                           const chain_abi_type *first, bool repeat, size_t count, const uint8_t *p,
                           size_t len) {
    size_t head = 0;
    const chain_abi_type *m = first;
    for (size_t i = 0; i < count; i++, m = seq_next(m, repeat)) {
        if (m->head_bytes > len - head) {
            return TKMS_ERR_CHAIN_ABI_TRUNCATED;
        }
        size_t start = head;
        if (m->dynamic && (!read_small_word(&start, p + head) || start > len)) {
            return TKMS_ERR_CHAIN_ABI_BAD_OFFSET;
        }
        tkms_err err = decode_value(&items[i], pool, m, p + start, len - start);
        if (err != TKMS_OK) {
            return err;
        }
        head += m->head_bytes;
    }
    return TKMS_OK;
}

static tkms_err decode_bytes(tkms_chain_abi_value *out, const chain_abi_type *t, const uint8_t *p,
                             size_t len) {
    size_t n = 0;
    if (!read_small_word(&n, p) || n > TKMS_CHAIN_ABI_BYTES_MAX) {
        return TKMS_ERR_CHAIN_ABI_TOO_LONG;
    }
    if (round_up32(n) > len - 32) {
        return TKMS_ERR_CHAIN_ABI_TRUNCATED;
    }
    if (!all_bytes(p + 32 + n, round_up32(n) - n, 0)) {
        return TKMS_ERR_CHAIN_ABI_BAD_PADDING;
    }
    out->kind = t->kind;
    out->data = p + 32;
    out->len = n;
    return TKMS_OK;
}

static tkms_err decode_value(tkms_chain_abi_value *out, tkms_chain_abi_pool *pool,
                             const chain_abi_type *t, const uint8_t *p, size_t len) {
    bool counted = t->kind == TKMS_CHAIN_ABI_ARRAY;
    if ((t->dynamic || is_scalar_kind(t->kind) || counted) && len < 32) {
        return TKMS_ERR_CHAIN_ABI_TRUNCATED;
    }
    if (is_scalar_kind(t->kind)) {
        tkms_err err = chain_abi_word_check(t, p);
        if (err == TKMS_OK) {
            out->kind = t->kind;
            memcpy(out->word, p, 32);
        }
        return err;
    }
    if (t->kind == TKMS_CHAIN_ABI_BYTES || t->kind == TKMS_CHAIN_ABI_STRING) {
        return decode_bytes(out, t, p, len);
    }
    size_t count = t->kind == TKMS_CHAIN_ABI_TUPLE ? t->member_count : t->size;
    if (counted && (!read_small_word(&count, p) || count > TKMS_CHAIN_ABI_ITEMS_MAX)) {
        return TKMS_ERR_CHAIN_ABI_TOO_LONG;
    }
    const uint8_t *body = counted ? p + 32 : p;
    size_t body_len = counted ? len - 32 : len;
    if (counted && count * t->child->head_bytes > body_len) {
        return TKMS_ERR_CHAIN_ABI_TRUNCATED; /* before taking count items from the pool */
    }
    tkms_chain_abi_value *items = pool_take(pool, count);
    if (items == NULL && count != 0) {
        return TKMS_ERR_CHAIN_ABI_POOL_FULL;
    }
    out->kind = t->kind;
    out->items = items;
    out->count = count;
    return decode_seq(items, pool, t->child, t->kind != TKMS_CHAIN_ABI_TUPLE, count, body,
                      body_len);
}

tkms_err chain_abi_decode_as(tkms_chain_abi_value *out, tkms_chain_abi_pool *pool,
                             const chain_abi_type *t, const uint8_t *data, size_t len) {
    TKMS_ASSERT(out != NULL && pool != NULL && t != NULL);
    TKMS_ASSERT(pool->used <= pool->capacity);
    TKMS_ASSERT(data != NULL || len == 0);
    size_t pool_used = pool->used;
    memset(out, 0, sizeof *out);
    tkms_err err = decode_value(out, pool, t, data, len);
    if (err == TKMS_OK && encoded_size(t, out) != len) {
        err = TKMS_ERR_CHAIN_ABI_NONCANONICAL;
    }
    if (err == TKMS_OK) { /* same size; now the same bytes (offsets, order) */
        chain_buf b;
        chain_buf_init(&b, len + 1);
        encode_value(&b, t, out);
        if (b.error != TKMS_OK) {
            err = b.error;
        } else if (b.len != len || memcmp(b.ptr, data, len) != 0) {
            err = TKMS_ERR_CHAIN_ABI_NONCANONICAL;
        }
        chain_buf_free(&b);
    }
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        pool->used = pool_used;
    }
    return err;
}

/* ---- public entry points ------------------------------------------------------------------- */
TKMS_EXPORT tkms_err tkms_chain_abi_encode(tkms_chain_bytes *out, const char *types,
                                           const tkms_chain_abi_value *value) {
    TKMS_ASSERT(out != NULL && types != NULL && value != NULL);
    out->ptr = NULL;
    out->len = 0;
    chain_abi_types pool = {.used = 0};
    const chain_abi_type *t = NULL;
    tkms_err err = chain_abi_tuple_parse(&t, &pool, types);
    if (err != TKMS_OK) {
        return err;
    }
    chain_buf b;
    chain_buf_init(&b, TKMS_CHAIN_TX_DATA_BYTES_MAX);
    err = chain_abi_encode_into(&b, t, value);
    if (err != TKMS_OK) {
        chain_buf_free(&b);
        return err;
    }
    return chain_buf_finish(&b, out);
}

/* Canonical "name(types)" of a parsed signature into b. */
static void signature_format(chain_buf *b, const char *name, size_t name_len,
                             const chain_abi_type *params) {
    chain_buf_put(b, (const uint8_t *)name, name_len);
    chain_abi_type_format(b, params);
}

TKMS_EXPORT tkms_err tkms_chain_abi_selector(uint8_t out[4], const char *signature) {
    TKMS_ASSERT(out != NULL && signature != NULL);
    memset(out, 0, 4);
    chain_abi_types pool = {.used = 0};
    const chain_abi_type *params = NULL;
    size_t name_len = 0;
    tkms_err err = chain_abi_signature_parse(&params, &name_len, &pool, signature);
    if (err != TKMS_OK) {
        return err;
    }
    chain_buf b;
    chain_buf_init(&b, 2 * TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX);
    signature_format(&b, signature, name_len, params);
    err = b.error;
    if (err == TKMS_OK) {
        uint8_t hash[32];
        tkms_prim_keccak256(hash, b.ptr, b.len);
        memcpy(out, hash, 4);
    }
    chain_buf_free(&b);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_abi_call_encode(tkms_chain_bytes *out, const char *signature,
                                                const tkms_chain_abi_value *args) {
    TKMS_ASSERT(out != NULL && signature != NULL && args != NULL);
    out->ptr = NULL;
    out->len = 0;
    uint8_t selector[4];
    tkms_err err = tkms_chain_abi_selector(selector, signature);
    if (err != TKMS_OK) {
        return err;
    }
    chain_abi_types pool = {.used = 0};
    const chain_abi_type *params = NULL;
    size_t name_len = 0;
    err = chain_abi_signature_parse(&params, &name_len, &pool, signature);
    TKMS_ASSERT(err == TKMS_OK); /* parsed once above */
    chain_buf b;
    chain_buf_init(&b, TKMS_CHAIN_TX_DATA_BYTES_MAX);
    chain_buf_put(&b, selector, 4);
    err = chain_abi_encode_into(&b, params, args);
    if (err != TKMS_OK) {
        chain_buf_free(&b);
        return err;
    }
    return chain_buf_finish(&b, out);
}

TKMS_EXPORT tkms_err tkms_chain_abi_decode(tkms_chain_abi_value *out, tkms_chain_abi_pool *pool,
                                           const char *types, const uint8_t *data, size_t len) {
    TKMS_ASSERT(out != NULL && pool != NULL && types != NULL);
    memset(out, 0, sizeof *out);
    chain_abi_types type_pool = {.used = 0};
    const chain_abi_type *t = NULL;
    tkms_err err = chain_abi_tuple_parse(&t, &type_pool, types);
    if (err != TKMS_OK) {
        return err;
    }
    return chain_abi_decode_as(out, pool, t, data, len);
}

/* ---- events ---------------------------------------------------------------------------------- */
typedef struct {
    const char *name;
    size_t name_len;
    chain_abi_type *params[EVENT_PARAMS_MAX];
    bool indexed[EVENT_PARAMS_MAX];
    size_t count;
    size_t indexed_count;
    tkms_chain_hash topic0;
} event_decl;

/* Parses "Name(t1 indexed,t2)" and computes topic0 over the canonical form. */
static tkms_err event_parse(event_decl *e, chain_abi_types *pool, const char *event) {
    memset(e, 0, sizeof *e);
    size_t n = 0;
    while (event[n] != 0 && event[n] != '(') {
        n++;
    }
    if (n == 0 || event[n] != '(' || strlen(event) > TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    e->name = event;
    e->name_len = n;
    const char *p = event + n + 1;
    while (*p != ')') {
        if (e->count == EVENT_PARAMS_MAX || (e->count > 0 && *p++ != ',')) {
            return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
        }
        tkms_err err = chain_abi_type_parse(&e->params[e->count], pool, &p, 1);
        if (err != TKMS_OK) {
            return err;
        }
        if (strncmp(p, " indexed", 8) == 0) {
            p += 8;
            e->indexed[e->count] = true;
            e->indexed_count++;
        }
        e->count++;
    }
    if (p[1] != 0 || e->indexed_count > TKMS_CHAIN_LOG_TOPICS_MAX - 1) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    chain_buf b;
    chain_buf_init(&b, 2 * TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX);
    chain_buf_put(&b, (const uint8_t *)e->name, e->name_len);
    chain_buf_put_byte(&b, '(');
    for (size_t i = 0; i < e->count; i++) {
        chain_abi_type_format(&b, e->params[i]);
        chain_buf_put_byte(&b, i + 1 < e->count ? ',' : ')');
    }
    if (e->count == 0) {
        chain_buf_put_byte(&b, ')');
    }
    tkms_err err = b.error;
    if (err == TKMS_OK) {
        tkms_prim_keccak256(e->topic0.bytes, b.ptr, b.len);
    }
    chain_buf_free(&b);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_abi_event_topic(tkms_chain_hash *out, const char *event) {
    TKMS_ASSERT(out != NULL && event != NULL);
    memset(out, 0, sizeof *out);
    chain_abi_types pool = {.used = 0};
    event_decl e;
    tkms_err err = event_parse(&e, &pool, event);
    if (err == TKMS_OK) {
        *out = e.topic0;
    }
    return err;
}

/* Builds a tuple type of the non-indexed parameters (linked through `next`). */
static tkms_err data_tuple_build(const chain_abi_type **out, chain_abi_types *pool, event_decl *e) {
    if (pool->used == TKMS_CHAIN_ABI_TYPE_NODES_MAX) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    chain_abi_type *t = &pool->nodes[pool->used++];
    memset(t, 0, sizeof *t);
    t->kind = TKMS_CHAIN_ABI_TUPLE;
    chain_abi_type *last = NULL;
    for (size_t i = 0; i < e->count; i++) {
        if (e->indexed[i]) {
            continue;
        }
        if (last == NULL) {
            t->child = e->params[i];
        } else {
            last->next = e->params[i];
        }
        last = e->params[i];
        t->member_count++;
        t->dynamic = t->dynamic || last->dynamic;
        t->head_bytes += last->head_bytes;
    }
    if (t->dynamic) {
        t->head_bytes = 32;
    }
    *out = t;
    return TKMS_OK;
}

/* An indexed parameter from its topic: scalars decode, anything else is its hash. */
static tkms_err topic_value(tkms_chain_abi_value *out, const chain_abi_type *t,
                            const tkms_chain_hash *topic) {
    memset(out, 0, sizeof *out);
    if (!is_scalar_kind(t->kind)) {
        *out = tkms_chain_abi_bytes32(topic->bytes);
        return TKMS_OK;
    }
    tkms_err err = chain_abi_word_check(t, topic->bytes);
    if (err == TKMS_OK) {
        out->kind = t->kind;
        memcpy(out->word, topic->bytes, 32);
    }
    return err;
}

static tkms_err event_values(tkms_chain_abi_value *items, tkms_chain_abi_pool *pool, event_decl *e,
                             const chain_abi_type *data_type, const tkms_chain_log *log) {
    tkms_chain_abi_value data;
    tkms_err err = chain_abi_decode_as(&data, pool, data_type, log->data, log->data_len);
    size_t topic = 1;
    size_t field = 0;
    for (size_t i = 0; i < e->count && err == TKMS_OK; i++) {
        if (e->indexed[i]) {
            err = topic_value(&items[i], e->params[i], &log->topics[topic++]);
        } else {
            TKMS_ASSERT(field < data.count);
            items[i] = data.items[field++];
        }
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_abi_event_decode(tkms_chain_abi_value *out,
                                                 tkms_chain_abi_pool *pool, const char *event,
                                                 const tkms_chain_log *log) {
    TKMS_ASSERT(out != NULL && pool != NULL);
    TKMS_ASSERT(event != NULL && log != NULL);
    memset(out, 0, sizeof *out);
    chain_abi_types type_pool = {.used = 0};
    event_decl e;
    tkms_err err = event_parse(&e, &type_pool, event);
    if (err != TKMS_OK) {
        return err;
    }
    if (log->topic_count != 1 + e.indexed_count ||
        memcmp(log->topics[0].bytes, e.topic0.bytes, 32) != 0) {
        return TKMS_ERR_CHAIN_ABI_EVENT_MISMATCH;
    }
    const chain_abi_type *data_type = NULL;
    err = data_tuple_build(&data_type, &type_pool, &e);
    if (err != TKMS_OK) {
        return err;
    }
    size_t pool_used = pool->used;
    tkms_chain_abi_value *items = pool_take(pool, e.count);
    if (items == NULL && e.count != 0) {
        return TKMS_ERR_CHAIN_ABI_POOL_FULL;
    }
    err = event_values(items, pool, &e, data_type, log);
    if (err != TKMS_OK) {
        pool->used = pool_used;
        return err;
    }
    *out = tkms_chain_abi_tuple(items, e.count);
    return TKMS_OK;
}
