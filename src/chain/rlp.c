/*
 * rlp.c — Recursive Length Prefix encoding (Ethereum yellow paper, appendix B).
 *
 * The decoder validates a whole item tree without recursion: a stack of list ends bounded
 * by TKMS_CHAIN_RLP_DEPTH_MAX. It accepts only the canonical form (the one encoding every
 * value has): single bytes below 0x80 are never wrapped, long forms only for >= 56 bytes,
 * length fields without leading zeros, and nothing after the top-level item.
 * It interprets nothing; transactions are parsed in tx.c.
 */
#include <string.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

_Static_assert(TKMS_CHAIN_RLP_DEPTH_MAX >= 4, "typed transactions nest three deep");

/* Reads the header of the item at in[0..len): its kind and where its payload lies. */
static tkms_err header_decode(tkms_chain_rlp_item *out, size_t *item_len, const uint8_t *in,
                              size_t len) {
    if (len == 0) {
        return TKMS_ERR_CHAIN_RLP_TRUNCATED;
    }
    uint8_t b = in[0];
    if (b < 0x80) { /* the byte is its own encoding */
        *out = (tkms_chain_rlp_item){false, in, 1};
        *item_len = 1;
        return TKMS_OK;
    }
    bool is_list = b >= 0xc0;
    uint8_t base = is_list ? 0xc0 : 0x80;
    size_t header = 1;
    size_t payload_len;
    if (b - base <= 55) {
        payload_len = (size_t)(b - base);
    } else {
        size_t length_bytes = (size_t)(b - base - 55);
        if (len < 1 + length_bytes) {
            return TKMS_ERR_CHAIN_RLP_TRUNCATED;
        }
        if (in[1] == 0) {
            return TKMS_ERR_CHAIN_RLP_NONCANONICAL; /* leading zero in the length */
        }
        uint64_t n = 0;
        for (size_t i = 0; i < length_bytes; i++) {
            n = n << 8 | in[1 + i];
        }
        if (n < 56) {
            return TKMS_ERR_CHAIN_RLP_NONCANONICAL; /* short form was required */
        }
        if (n > len) {
            return TKMS_ERR_CHAIN_RLP_TRUNCATED;
        }
        payload_len = (size_t)n;
        header += length_bytes;
    }
    if (payload_len > len - header) {
        return TKMS_ERR_CHAIN_RLP_TRUNCATED;
    }
    if (!is_list && payload_len == 1 && in[header] < 0x80) {
        return TKMS_ERR_CHAIN_RLP_NONCANONICAL; /* must have been the bare byte */
    }
    *out = (tkms_chain_rlp_item){is_list, in + header, payload_len};
    *item_len = header + payload_len;
    return TKMS_OK;
}

/* Walks every item inside a list payload, iteratively, checking each header. */
static tkms_err validate_tree(const tkms_chain_rlp_item *top) {
    size_t ends[TKMS_CHAIN_RLP_DEPTH_MAX];
    size_t depth = 0;
    const uint8_t *base = top->payload;
    size_t pos = 0;
    size_t end = top->payload_len;
    for (;;) {
        if (pos == end) {
            if (depth == 0) {
                return TKMS_OK;
            }
            end = ends[--depth];
            continue;
        }
        TKMS_ASSERT(pos < end);
        tkms_chain_rlp_item item;
        size_t item_len = 0;
        tkms_err err = header_decode(&item, &item_len, base + pos, end - pos);
        if (err != TKMS_OK) {
            return err;
        }
        if (!item.is_list) {
            pos += item_len;
            continue;
        }
        if (depth + 1 >= TKMS_CHAIN_RLP_DEPTH_MAX) {
            return TKMS_ERR_CHAIN_RLP_TOO_DEEP;
        }
        ends[depth++] = end; /* the enclosing list resumes at pos + item_len */
        end = pos + item_len;
        pos = (size_t)(item.payload - base);
    }
}

TKMS_EXPORT tkms_err tkms_chain_rlp_decode(tkms_chain_rlp_item *out, const uint8_t *in,
                                           size_t len) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(in != NULL || len == 0);
    memset(out, 0, sizeof *out);
    tkms_chain_rlp_item item;
    size_t item_len = 0;
    tkms_err err = header_decode(&item, &item_len, in, len);
    if (err == TKMS_OK && item_len != len) {
        err = TKMS_ERR_CHAIN_RLP_TRAILING;
    }
    if (err == TKMS_OK && item.is_list) {
        err = validate_tree(&item);
    }
    if (err == TKMS_OK) {
        *out = item;
    }
    return err;
}

TKMS_EXPORT bool tkms_chain_rlp_list_next(tkms_chain_rlp_item *out, const tkms_chain_rlp_item *list,
                                          size_t *cursor) {
    TKMS_ASSERT(out != NULL && list != NULL && cursor != NULL);
    TKMS_ASSERT(list->is_list && *cursor <= list->payload_len);
    if (*cursor == list->payload_len) {
        return false;
    }
    size_t item_len = 0;
    tkms_err err =
        header_decode(out, &item_len, list->payload + *cursor, list->payload_len - *cursor);
    TKMS_ASSERT(err == TKMS_OK); /* the list was validated by tkms_chain_rlp_decode */
    *cursor += item_len;
    return true;
}

TKMS_EXPORT tkms_err tkms_chain_rlp_to_u64(uint64_t *out, const tkms_chain_rlp_item *item) {
    TKMS_ASSERT(out != NULL && item != NULL);
    *out = 0;
    if (item->is_list) {
        return TKMS_ERR_CHAIN_RLP_SHAPE;
    }
    if (item->payload_len > 8) {
        return TKMS_ERR_CHAIN_VALUE_RANGE;
    }
    if (item->payload_len > 0 && item->payload[0] == 0) {
        return TKMS_ERR_CHAIN_RLP_NONCANONICAL; /* integers have no leading zeros */
    }
    uint64_t v = 0;
    for (size_t i = 0; i < item->payload_len; i++) {
        v = v << 8 | item->payload[i];
    }
    *out = v;
    return TKMS_OK;
}

/* ---- encoder --------------------------------------------------------------------------- */
static void put_header(chain_buf *b, uint8_t base, size_t payload_len) {
    if (payload_len <= 55) {
        chain_buf_put_byte(b, (uint8_t)(base + payload_len));
        return;
    }
    uint8_t be[8];
    size_t n = 0;
    for (size_t v = payload_len; v > 0; v >>= 8) {
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        be[i] = (uint8_t)(payload_len >> (8 * (n - 1 - i)));
    }
    chain_buf_put_byte(b, (uint8_t)(base + 55 + n));
    chain_buf_put(b, be, n);
}

void chain_rlp_put_bytes(chain_buf *b, const uint8_t *data, size_t len) {
    TKMS_ASSERT(b != NULL);
    TKMS_ASSERT(data != NULL || len == 0);
    if (len == 1 && data[0] < 0x80) {
        chain_buf_put_byte(b, data[0]);
        return;
    }
    put_header(b, 0x80, len);
    chain_buf_put(b, data, len);
}

void chain_rlp_put_uint_be(chain_buf *b, const uint8_t *be, size_t len) {
    TKMS_ASSERT(b != NULL && be != NULL);
    size_t skip = 0;
    while (skip < len && be[skip] == 0) {
        skip++;
    }
    chain_rlp_put_bytes(b, be + skip, len - skip);
}

void chain_rlp_put_u64(chain_buf *b, uint64_t v) {
    uint8_t be[8];
    for (unsigned i = 0; i < 8; i++) {
        be[i] = (uint8_t)(v >> (8 * (7 - i)));
    }
    chain_rlp_put_uint_be(b, be, sizeof be);
}

void chain_rlp_put_list_header(chain_buf *b, size_t payload_len) {
    TKMS_ASSERT(b != NULL);
    put_header(b, 0xc0, payload_len);
}
