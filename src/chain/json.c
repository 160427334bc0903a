/*
 * json.c — strict parsing of the JSON-RPC value formats (execution-apis: QUANTITY is "0x"
 * and 1..64 hex digits, DATA is "0x" and an even number of hex digits, hashes 32 bytes,
 * addresses 20 bytes), block parameters (EIP-1898) and log objects, plus the client's
 * one-line error text. A field of the wrong type or format is an error naming the field;
 * nothing is defaulted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

tkms_err chain_fail(tkms_chain_client *c, tkms_err err, const char *format, ...) {
    TKMS_ASSERT(err != TKMS_OK);
    if (c == NULL) {
        return err;
    }
    char line[TKMS_CHAIN_ERROR_BYTES]; /* arguments may point into c->error */
    va_list ap;
    va_start(ap, format);
    vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    memcpy(c->error, line, sizeof line);
    for (char *p = c->error; *p != 0; p++) { /* one line, printable */
        if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f) {
            *p = ' ';
        }
    }
    return err;
}

void chain_error_clear(tkms_chain_client *c) {
    TKMS_ASSERT(c != NULL);
    c->error[0] = 0;
    c->revert_len = 0;
}

/* "0x" and 1..max_digits hex digits (leading zeros tolerated but counted). */
static bool quantity_digits(const char *s, size_t max_digits, const char **digits, size_t *n) {
    if (s == NULL || s[0] != '0' || s[1] != 'x') {
        return false;
    }
    s += 2;
    while (s[0] == '0' && s[1] != 0) { /* skip leading zeros, keep a lone "0" */
        s++;
    }
    size_t len = strlen(s);
    if (len == 0 || len > max_digits) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (chain_hex_nibble(s[i]) < 0) {
            return false;
        }
    }
    *digits = s;
    *n = len;
    return true;
}

const char *chain_json_text(const json_t *v) {
    const char *s = json_string_value(v);
    return s != NULL && strlen(s) == json_string_length(v) ? s : NULL;
}

bool chain_quantity_parse(uint64_t *out, const char *s) {
    TKMS_ASSERT(out != NULL);
    *out = 0;
    const char *digits = NULL;
    size_t n = 0;
    if (!quantity_digits(s, 16, &digits, &n)) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v << 4 | (uint64_t)chain_hex_nibble(digits[i]);
    }
    *out = v;
    return true;
}

tkms_err chain_json_u64(tkms_chain_client *c, uint64_t *out, const json_t *v, const char *what) {
    TKMS_ASSERT(out != NULL && what != NULL);
    if (!chain_quantity_parse(out, chain_json_text(v))) {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "%s: expected a hex quantity below 2^64",
                          what);
    }
    return TKMS_OK;
}

tkms_err chain_json_u256(tkms_chain_client *c, tkms_chain_u256 *out, const json_t *v,
                         const char *what) {
    TKMS_ASSERT(out != NULL && what != NULL);
    memset(out, 0, sizeof *out);
    const char *digits = NULL;
    size_t n = 0;
    if (!quantity_digits(chain_json_text(v), 64, &digits, &n)) {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD,
                          "%s: expected a hex quantity below 2^256", what);
    }
    for (size_t i = 0; i < n; i++) { /* digit i from the right is nibble position */
        size_t pos = n - 1 - i;
        uint8_t d = (uint8_t)chain_hex_nibble(digits[i]);
        out->be[31 - pos / 2] |= (uint8_t)(pos % 2 ? d << 4 : d);
    }
    return TKMS_OK;
}

static tkms_err fixed_hex(tkms_chain_client *c, uint8_t *out, size_t len, const json_t *v,
                          const char *what) {
    const char *s = chain_json_text(v);
    if (s == NULL || s[0] != '0' || s[1] != 'x' || tkms_chain_hex_decode(out, len, s) != TKMS_OK) {
        memset(out, 0, len);
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "%s: expected 0x and %zu hex bytes",
                          what, len);
    }
    return TKMS_OK;
}

tkms_err chain_json_hash(tkms_chain_client *c, tkms_chain_hash *out, const json_t *v,
                         const char *what) {
    TKMS_ASSERT(out != NULL);
    return fixed_hex(c, out->bytes, sizeof out->bytes, v, what);
}

tkms_err chain_json_address(tkms_chain_client *c, tkms_chain_address *out, const json_t *v,
                            const char *what) {
    TKMS_ASSERT(out != NULL);
    return fixed_hex(c, out->bytes, sizeof out->bytes, v, what);
}

tkms_err chain_json_data(tkms_chain_client *c, tkms_chain_bytes *out, const json_t *v,
                         size_t max_len, const char *what) {
    TKMS_ASSERT(out != NULL && what != NULL);
    out->ptr = NULL;
    out->len = 0;
    const char *s = chain_json_text(v);
    if (s == NULL || s[0] != '0' || s[1] != 'x') {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "%s: expected 0x-prefixed hex data",
                          what);
    }
    tkms_err err = tkms_chain_hex_decode_alloc(out, s, max_len);
    if (err == TKMS_ERR_TOO_LARGE) {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_TOO_LARGE, "%s: more than %zu bytes", what,
                          max_len);
    }
    if (err != TKMS_OK) {
        return chain_fail(c, err == TKMS_ERR_OUT_OF_MEMORY ? err : TKMS_ERR_CHAIN_RPC_BAD_FIELD,
                          "%s: malformed hex data", what);
    }
    return TKMS_OK;
}

json_t *chain_json_hex(const uint8_t *data, size_t len) {
    TKMS_ASSERT(data != NULL || len == 0);
    char *text = malloc(2 * len + 3);
    if (text == NULL) {
        return NULL;
    }
    tkms_chain_hex_encode(text, data, len);
    json_t *s = json_string(text);
    free(text);
    return s;
}

json_t *chain_json_quantity(uint64_t v) {
    char text[24];
    snprintf(text, sizeof text, "0x%llx", (unsigned long long)v);
    return json_string(text);
}

json_t *chain_json_block_ref(tkms_chain_block_ref at) {
    switch (at.kind) {
    case TKMS_CHAIN_BLOCK_LATEST:
        return json_string("latest");
    case TKMS_CHAIN_BLOCK_SAFE:
        return json_string("safe");
    case TKMS_CHAIN_BLOCK_FINALIZED:
        return json_string("finalized");
    case TKMS_CHAIN_BLOCK_PENDING:
        return json_string("pending");
    case TKMS_CHAIN_BLOCK_NUMBER:
        return chain_json_quantity(at.number);
    case TKMS_CHAIN_BLOCK_HASH:
        return json_pack("{s:o,s:b}", "blockHash", chain_json_hex(at.hash.bytes, 32),
                         "requireCanonical", 1);
    }
    TKMS_ASSERT(false); /* unknown block ref kind */
    return NULL;
}

void chain_block_ref_describe(char *out, size_t size, tkms_chain_block_ref at) {
    TKMS_ASSERT(out != NULL && size > 0);
    char hash[TKMS_CHAIN_HASH_HEX_BYTES];
    switch (at.kind) {
    case TKMS_CHAIN_BLOCK_NUMBER:
        snprintf(out, size, "block %llu", (unsigned long long)at.number);
        return;
    case TKMS_CHAIN_BLOCK_HASH:
        tkms_chain_hash_format(hash, &at.hash);
        snprintf(out, size, "block %s", hash);
        return;
    default:
        snprintf(out, size, "%s block",
                 at.kind == TKMS_CHAIN_BLOCK_SAFE        ? "safe"
                 : at.kind == TKMS_CHAIN_BLOCK_FINALIZED ? "finalized"
                 : at.kind == TKMS_CHAIN_BLOCK_PENDING   ? "pending"
                                                         : "latest");
        return;
    }
}

TKMS_EXPORT tkms_chain_block_ref tkms_chain_block_tag(tkms_chain_block_kind kind) {
    TKMS_ASSERT(kind != TKMS_CHAIN_BLOCK_NUMBER && kind != TKMS_CHAIN_BLOCK_HASH);
    return (tkms_chain_block_ref){.kind = kind};
}

TKMS_EXPORT tkms_chain_block_ref tkms_chain_block_number(uint64_t number) {
    return (tkms_chain_block_ref){.kind = TKMS_CHAIN_BLOCK_NUMBER, .number = number};
}

TKMS_EXPORT tkms_chain_block_ref tkms_chain_block_hash(const tkms_chain_hash *hash) {
    TKMS_ASSERT(hash != NULL);
    return (tkms_chain_block_ref){.kind = TKMS_CHAIN_BLOCK_HASH, .hash = *hash};
}

static tkms_err log_topics_parse(tkms_chain_client *c, tkms_chain_log *out, const json_t *v) {
    const json_t *topics = json_object_get(v, "topics");
    if (!json_is_array(topics) || json_array_size(topics) > TKMS_CHAIN_LOG_TOPICS_MAX) {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "log.topics: expected 0..4 hashes");
    }
    out->topic_count = json_array_size(topics);
    for (size_t i = 0; i < out->topic_count; i++) {
        tkms_err err =
            chain_json_hash(c, &out->topics[i], json_array_get(topics, i), "log.topics[]");
        if (err != TKMS_OK) {
            return err;
        }
    }
    return TKMS_OK;
}

tkms_err chain_log_parse(tkms_chain_client *c, tkms_chain_log *out, const json_t *v) {
    TKMS_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    if (!json_is_object(v)) {
        return chain_fail(c, TKMS_ERR_CHAIN_RPC_BAD_FIELD, "log: expected an object");
    }
    const json_t *removed = json_object_get(v, "removed");
    if (removed != NULL && !json_is_false(removed)) {
        return chain_fail(c, TKMS_ERR_CHAIN_LOG_MISMATCH, "log: marked removed (reorged out)");
    }
    tkms_chain_bytes data = {0};
    tkms_err err =
        chain_json_address(c, &out->address, json_object_get(v, "address"), "log.address");
    if (err == TKMS_OK) {
        err = log_topics_parse(c, out, v);
    }
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &out->block_number, json_object_get(v, "blockNumber"),
                             "log.blockNumber");
    }
    if (err == TKMS_OK) {
        err =
            chain_json_hash(c, &out->block_hash, json_object_get(v, "blockHash"), "log.blockHash");
    }
    if (err == TKMS_OK) {
        err = chain_json_hash(c, &out->tx_hash, json_object_get(v, "transactionHash"),
                              "log.transactionHash");
    }
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &out->log_index, json_object_get(v, "logIndex"), "log.logIndex");
    }
    if (err == TKMS_OK) {
        err = chain_json_data(c, &data, json_object_get(v, "data"), TKMS_CHAIN_RETURN_BYTES_MAX,
                              "log.data");
    }
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    out->data = data.ptr;
    out->data_len = data.len;
    return TKMS_OK;
}
