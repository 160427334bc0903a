/*
 * tx.c — EIP-1559 (type 2, EIP-2718 envelope) transactions: encoding, signing and strict
 * decoding with sender recovery.
 *
 * Signed form: 0x02 ‖ rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gasLimit,
 * to, value, data, accessList, yParity, r, s]); the signature covers keccak256(0x02 ‖
 * rlp(first nine fields)) and the transaction hash is keccak256 of the signed form. We
 * always sign with an empty access list; the decoder accepts well-formed lists (used by
 * tests and the fuzzer). High-s signatures are refused (EIP-2).
 */
#include <string.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"
#include "prim/prim.h"

#define TX_TYPE_EIP1559 0x02
#define TX_FIELDS 12

/* secp256k1 group order / 2, the largest s allowed (EIP-2). */
static const uint8_t half_order[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

/* The nine unsigned fields, RLP-encoded back to back (the list payload). */
static void unsigned_fields_put(chain_buf *b, const tkms_chain_tx *tx) {
    chain_rlp_put_u64(b, tx->chain_id);
    chain_rlp_put_u64(b, tx->nonce);
    chain_rlp_put_u64(b, tx->max_priority_fee_per_gas);
    chain_rlp_put_u64(b, tx->max_fee_per_gas);
    chain_rlp_put_u64(b, tx->gas_limit);
    chain_rlp_put_bytes(b, tx->to.bytes, tx->has_to ? 20 : 0);
    chain_rlp_put_uint_be(b, tx->value.be, 32);
    chain_rlp_put_bytes(b, tx->data, tx->data_len);
    chain_rlp_put_list_header(b, 0); /* empty access list */
}

/* 0x02 ‖ list header ‖ payload. */
static void envelope_put(chain_buf *out, const chain_buf *payload) {
    chain_buf_put_byte(out, TX_TYPE_EIP1559);
    chain_rlp_put_list_header(out, payload->len);
    chain_buf_put(out, payload->ptr, payload->len);
}

static tkms_err signing_hash(uint8_t hash[32], const tkms_chain_tx *tx) {
    chain_buf fields, envelope;
    chain_buf_init(&fields, TKMS_CHAIN_TX_RAW_BYTES_MAX);
    chain_buf_init(&envelope, TKMS_CHAIN_TX_RAW_BYTES_MAX);
    unsigned_fields_put(&fields, tx);
    envelope_put(&envelope, &fields);
    tkms_err err = fields.error != TKMS_OK ? fields.error : envelope.error;
    if (err == TKMS_OK) {
        tkms_prim_keccak256(hash, envelope.ptr, envelope.len);
    }
    chain_buf_free(&fields);
    chain_buf_free(&envelope);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_tx_sign(tkms_chain_bytes *raw, tkms_chain_hash *hash,
                                        const tkms_chain_tx *tx, const tkms_chain_key *key) {
    TKMS_ASSERT(raw != NULL && hash != NULL && tx != NULL && key != NULL);
    TKMS_ASSERT(tx->data != NULL || tx->data_len == 0);
    raw->ptr = NULL;
    raw->len = 0;
    memset(hash, 0, sizeof *hash);
    if (tx->data_len > TKMS_CHAIN_TX_DATA_BYTES_MAX) {
        return TKMS_ERR_TOO_LARGE;
    }
    if (tx->max_priority_fee_per_gas > tx->max_fee_per_gas || tx->chain_id == 0) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    uint8_t digest[32], sig[64];
    int recid = 0;
    tkms_err err = signing_hash(digest, tx);
    if (err == TKMS_OK) {
        err = chain_ecdsa_sign(sig, &recid, digest, key);
    }
    if (err != TKMS_OK) {
        return err;
    }
    chain_buf fields, envelope;
    chain_buf_init(&fields, TKMS_CHAIN_TX_RAW_BYTES_MAX);
    chain_buf_init(&envelope, TKMS_CHAIN_TX_RAW_BYTES_MAX);
    unsigned_fields_put(&fields, tx);
    chain_rlp_put_u64(&fields, (uint64_t)recid);
    chain_rlp_put_uint_be(&fields, sig, 32);
    chain_rlp_put_uint_be(&fields, sig + 32, 32);
    envelope_put(&envelope, &fields);
    err = fields.error;
    chain_buf_free(&fields);
    if (err != TKMS_OK) {
        chain_buf_free(&envelope);
        return err;
    }
    err = chain_buf_finish(&envelope, raw);
    if (err == TKMS_OK) {
        tkms_prim_keccak256(hash->bytes, raw->ptr, raw->len);
    }
    return err;
}

/* ---- decoding ------------------------------------------------------------------------------- */
/* An RLP string that is a canonical unsigned integer of at most 32 bytes, left-padded. */
static tkms_err rlp_uint256(uint8_t out[32], const tkms_chain_rlp_item *item) {
    memset(out, 0, 32);
    if (item->is_list) {
        return TKMS_ERR_CHAIN_RLP_SHAPE;
    }
    if (item->payload_len > 32) {
        return TKMS_ERR_CHAIN_VALUE_RANGE;
    }
    if (item->payload_len > 0 && item->payload[0] == 0) {
        return TKMS_ERR_CHAIN_RLP_NONCANONICAL;
    }
    memcpy(out + 32 - item->payload_len, item->payload, item->payload_len);
    return TKMS_OK;
}

/* [[address, [storageKey, …]], …] with 20-byte addresses and 32-byte keys. */
static tkms_err access_list_check(size_t *entries, const tkms_chain_rlp_item *list) {
    *entries = 0;
    if (!list->is_list) {
        return TKMS_ERR_CHAIN_RLP_SHAPE;
    }
    size_t cursor = 0;
    tkms_chain_rlp_item entry;
    while (tkms_chain_rlp_list_next(&entry, list, &cursor)) {
        tkms_chain_rlp_item address, keys, key;
        size_t inner = 0, key_cursor = 0;
        if (!entry.is_list || !tkms_chain_rlp_list_next(&address, &entry, &inner) ||
            !tkms_chain_rlp_list_next(&keys, &entry, &inner) || inner != entry.payload_len ||
            address.is_list || address.payload_len != 20 || !keys.is_list) {
            return TKMS_ERR_CHAIN_RLP_SHAPE;
        }
        while (tkms_chain_rlp_list_next(&key, &keys, &key_cursor)) {
            if (key.is_list || key.payload_len != 32) {
                return TKMS_ERR_CHAIN_RLP_SHAPE;
            }
        }
        (*entries)++;
    }
    return TKMS_OK;
}

typedef struct {
    tkms_chain_rlp_item item[TX_FIELDS];
    const uint8_t *payload; /* the outer list's payload */
    size_t unsigned_len;    /* its first bytes holding the nine unsigned fields */
} tx_fields;

static tkms_err fields_split(tx_fields *f, const uint8_t *raw, size_t len) {
    if (len < 1 || raw[0] != TX_TYPE_EIP1559) {
        return TKMS_ERR_CHAIN_RLP_SHAPE;
    }
    tkms_chain_rlp_item list;
    tkms_err err = tkms_chain_rlp_decode(&list, raw + 1, len - 1);
    if (err != TKMS_OK) {
        return err;
    }
    if (!list.is_list) {
        return TKMS_ERR_CHAIN_RLP_SHAPE;
    }
    f->payload = list.payload;
    size_t cursor = 0, n = 0;
    tkms_chain_rlp_item item;
    while (tkms_chain_rlp_list_next(&item, &list, &cursor)) {
        if (n == TX_FIELDS) {
            return TKMS_ERR_CHAIN_RLP_SHAPE;
        }
        f->item[n++] = item;
        if (n == 9) {
            f->unsigned_len = cursor;
        }
    }
    return n == TX_FIELDS ? TKMS_OK : TKMS_ERR_CHAIN_RLP_SHAPE;
}

static tkms_err scalars_parse(tkms_chain_tx *tx, const tx_fields *f) {
    uint64_t *dest[5] = {&tx->chain_id, &tx->nonce, &tx->max_priority_fee_per_gas,
                         &tx->max_fee_per_gas, &tx->gas_limit};
    for (size_t i = 0; i < 5; i++) {
        tkms_err err = tkms_chain_rlp_to_u64(dest[i], &f->item[i]);
        if (err != TKMS_OK) {
            return err;
        }
    }
    const tkms_chain_rlp_item *to = &f->item[5];
    if (to->is_list || (to->payload_len != 0 && to->payload_len != 20)) {
        return TKMS_ERR_CHAIN_RLP_SHAPE;
    }
    tx->has_to = to->payload_len == 20;
    if (tx->has_to) {
        memcpy(tx->to.bytes, to->payload, 20);
    }
    tkms_err err = rlp_uint256(tx->value.be, &f->item[6]);
    if (err != TKMS_OK) {
        return err;
    }
    if (f->item[7].is_list) {
        return TKMS_ERR_CHAIN_RLP_SHAPE;
    }
    tx->data = f->item[7].payload;
    tx->data_len = f->item[7].payload_len;
    return TKMS_OK;
}

/* y parity, r, s → recovered sender of the signing hash. */
static tkms_err signature_recover(tkms_chain_address *sender, const tx_fields *f) {
    uint64_t parity = 0;
    uint8_t sig[64];
    tkms_err err = tkms_chain_rlp_to_u64(&parity, &f->item[9]);
    if (err == TKMS_OK) {
        err = rlp_uint256(sig, &f->item[10]);
    }
    if (err == TKMS_OK) {
        err = rlp_uint256(sig + 32, &f->item[11]);
    }
    if (err != TKMS_OK) {
        return err;
    }
    if (parity > 1 || memcmp(sig + 32, half_order, 32) > 0) {
        return TKMS_ERR_CHAIN_TX_BAD_SIGNATURE;
    }
    chain_buf envelope;
    chain_buf_init(&envelope, TKMS_CHAIN_TX_RAW_BYTES_MAX);
    chain_buf_put_byte(&envelope, TX_TYPE_EIP1559);
    chain_rlp_put_list_header(&envelope, f->unsigned_len);
    chain_buf_put(&envelope, f->payload, f->unsigned_len);
    uint8_t digest[32];
    err = envelope.error;
    if (err == TKMS_OK) {
        tkms_prim_keccak256(digest, envelope.ptr, envelope.len);
        err = chain_ecdsa_recover(sender, digest, sig, (int)parity);
    }
    chain_buf_free(&envelope);
    return err;
}

TKMS_EXPORT tkms_err tkms_chain_tx_decode(tkms_chain_tx_decoded *out, const uint8_t *raw,
                                          size_t len) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(raw != NULL || len == 0);
    memset(out, 0, sizeof *out);
    if (len > TKMS_CHAIN_TX_RAW_BYTES_MAX) {
        return TKMS_ERR_TOO_LARGE;
    }
    tx_fields f;
    memset(&f, 0, sizeof f);
    tkms_err err = fields_split(&f, raw, len);
    if (err == TKMS_OK) {
        err = scalars_parse(&out->tx, &f);
    }
    if (err == TKMS_OK) {
        err = access_list_check(&out->access_list_entries, &f.item[8]);
    }
    if (err == TKMS_OK) {
        err = signature_recover(&out->sender, &f);
    }
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    tkms_prim_keccak256(out->hash.bytes, raw, len);
    return TKMS_OK;
}
