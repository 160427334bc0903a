/*
 * hex.c — hex encoding, addresses, 256-bit values and the bounded byte buffer used by the
 * encoders. Pure: no I/O. Decoders accept an optional "0x" and either case, and refuse
 * odd lengths, non-hex characters and wrong sizes.
 */
#include <stdlib.h>
#include <string.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

int chain_hex_nibble(char ch) {
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

static const char *skip_prefix(const char *hex) {
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        return hex + 2;
    }
    return hex;
}

TKMS_EXPORT void tkms_chain_hex_encode(char *out, const uint8_t *in, size_t len) {
    static const char digits[] = "0123456789abcdef";
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(in != NULL || len == 0);
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < len; i++) {
        out[2 + 2 * i] = digits[in[i] >> 4];
        out[3 + 2 * i] = digits[in[i] & 15];
    }
    out[2 + 2 * len] = 0;
}

static bool hex_decode_digits(uint8_t *out, const char *digits, size_t len) {
    for (size_t i = 0; i < len; i++) {
        int hi = chain_hex_nibble(digits[2 * i]);
        int lo = chain_hex_nibble(digits[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

TKMS_EXPORT tkms_err tkms_chain_hex_decode(uint8_t *out, size_t len, const char *hex) {
    TKMS_ASSERT(out != NULL || len == 0);
    TKMS_ASSERT(hex != NULL);
    const char *digits = skip_prefix(hex);
    if (strlen(digits) != 2 * len) {
        memset(out, 0, len);
        return TKMS_ERR_BAD_LENGTH;
    }
    if (!hex_decode_digits(out, digits, len)) {
        memset(out, 0, len);
        return TKMS_ERR_BAD_HEX;
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_chain_hex_decode_alloc(tkms_chain_bytes *out, const char *hex,
                                                 size_t max_len) {
    TKMS_ASSERT(out != NULL && hex != NULL);
    out->ptr = NULL;
    out->len = 0;
    const char *digits = skip_prefix(hex);
    size_t n = strlen(digits);
    if (n % 2 != 0) {
        return TKMS_ERR_BAD_HEX;
    }
    if (n / 2 > max_len) {
        return TKMS_ERR_TOO_LARGE;
    }
    uint8_t *buf = malloc(n / 2 + 1); /* +1: malloc(0) may return NULL */
    if (buf == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    if (!hex_decode_digits(buf, digits, n / 2)) {
        free(buf);
        return TKMS_ERR_BAD_HEX;
    }
    out->ptr = buf;
    out->len = n / 2;
    return TKMS_OK;
}

TKMS_EXPORT void tkms_chain_bytes_free(tkms_chain_bytes *b) {
    if (b == NULL) {
        return;
    }
    free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
}

TKMS_EXPORT tkms_err tkms_chain_address_parse(tkms_chain_address *out, const char *hex) {
    TKMS_ASSERT(out != NULL && hex != NULL);
    return tkms_chain_hex_decode(out->bytes, sizeof out->bytes, hex);
}

TKMS_EXPORT void tkms_chain_address_format(char out[TKMS_CHAIN_ADDRESS_HEX_BYTES],
                                           const tkms_chain_address *a) {
    TKMS_ASSERT(a != NULL);
    tkms_chain_hex_encode(out, a->bytes, sizeof a->bytes);
}

TKMS_EXPORT void tkms_chain_hash_format(char out[TKMS_CHAIN_HASH_HEX_BYTES],
                                        const tkms_chain_hash *h) {
    TKMS_ASSERT(h != NULL);
    tkms_chain_hex_encode(out, h->bytes, sizeof h->bytes);
}

TKMS_EXPORT void tkms_chain_u256_from_u64(tkms_chain_u256 *out, uint64_t v) {
    TKMS_ASSERT(out != NULL);
    memset(out->be, 0, sizeof out->be);
    for (unsigned i = 0; i < 8; i++) {
        out->be[31 - i] = (uint8_t)(v >> (8 * i));
    }
}

TKMS_EXPORT tkms_err tkms_chain_u256_to_u64(uint64_t *out, const tkms_chain_u256 *v) {
    TKMS_ASSERT(out != NULL && v != NULL);
    *out = 0;
    for (unsigned i = 0; i < 24; i++) {
        if (v->be[i] != 0) {
            return TKMS_ERR_CHAIN_VALUE_RANGE;
        }
    }
    uint64_t r = 0;
    for (unsigned i = 24; i < 32; i++) {
        r = r << 8 | v->be[i];
    }
    *out = r;
    return TKMS_OK;
}

/* ---- chain_buf ------------------------------------------------------------------------- */
void chain_buf_init(chain_buf *b, size_t max) {
    TKMS_ASSERT(b != NULL);
    TKMS_ASSERT(max > 0);
    memset(b, 0, sizeof *b);
    b->max = max;
}

void chain_buf_free(chain_buf *b) {
    TKMS_ASSERT(b != NULL);
    free(b->ptr);
    memset(b, 0, sizeof *b);
}

/* Ensures room for extra more bytes; marks the buffer failed instead of overflowing. */
static bool buf_reserve(chain_buf *b, size_t extra) {
    if (b->error != TKMS_OK) {
        return false;
    }
    if (extra > b->max || b->len > b->max - extra) {
        b->error = TKMS_ERR_TOO_LARGE;
        return false;
    }
    size_t need = b->len + extra;
    if (need <= b->capacity) {
        return true;
    }
    size_t cap = b->capacity ? b->capacity : 256;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    uint8_t *p = realloc(b->ptr, cap);
    if (p == NULL) {
        b->error = TKMS_ERR_OUT_OF_MEMORY;
        return false;
    }
    b->ptr = p;
    b->capacity = cap;
    return true;
}

void chain_buf_put(chain_buf *b, const uint8_t *data, size_t len) {
    TKMS_ASSERT(b != NULL);
    TKMS_ASSERT(data != NULL || len == 0);
    if (len == 0 || !buf_reserve(b, len)) {
        return;
    }
    memcpy(b->ptr + b->len, data, len);
    b->len += len;
}

void chain_buf_put_byte(chain_buf *b, uint8_t byte) {
    chain_buf_put(b, &byte, 1);
}

void chain_buf_put_zeros(chain_buf *b, size_t len) {
    TKMS_ASSERT(b != NULL);
    if (len == 0 || !buf_reserve(b, len)) {
        return;
    }
    memset(b->ptr + b->len, 0, len);
    b->len += len;
}

tkms_err chain_buf_finish(chain_buf *b, tkms_chain_bytes *out) {
    TKMS_ASSERT(b != NULL && out != NULL);
    out->ptr = NULL;
    out->len = 0;
    if (b->ptr == NULL && b->error == TKMS_OK) { /* an empty result still owns a buffer */
        b->ptr = malloc(1);
        b->capacity = b->ptr ? 1 : 0;
        b->error = b->ptr ? TKMS_OK : TKMS_ERR_OUT_OF_MEMORY;
    }
    tkms_err err = b->error;
    if (err != TKMS_OK) {
        chain_buf_free(b);
        return err;
    }
    out->ptr = b->ptr;
    out->len = b->len;
    memset(b, 0, sizeof *b);
    return TKMS_OK;
}
