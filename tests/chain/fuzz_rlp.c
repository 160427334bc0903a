/*
 * fuzz_rlp.c — libFuzzer target for the RLP decoder and the EIP-1559 transaction decoder
 * (src/chain/rlp.c, tx.c). Any input: decoding must not crash or read out of bounds; an
 * accepted item must span the input, every nested item must lie inside its parent, and an
 * accepted byte string re-encodes to the same bytes (canonical form).
 */
#include <stdlib.h>
#include <string.h>

#include "chain/internal.h"

/* Walks every item under list, iteratively, checking bounds. */
static void walk(const tkms_chain_rlp_item *top, const uint8_t *data, size_t size) {
    tkms_chain_rlp_item stack[TKMS_CHAIN_RLP_DEPTH_MAX + 1];
    size_t cursors[TKMS_CHAIN_RLP_DEPTH_MAX + 1];
    size_t depth = 0;
    stack[0] = *top;
    cursors[0] = 0;
    for (;;) {
        tkms_chain_rlp_item item;
        if (!tkms_chain_rlp_list_next(&item, &stack[depth], &cursors[depth])) {
            if (depth == 0) {
                return;
            }
            depth--;
            continue;
        }
        if (item.payload < data || item.payload + item.payload_len > data + size) {
            abort();
        }
        uint64_t v;
        (void)tkms_chain_rlp_to_u64(&v, &item);
        if (item.is_list) {
            if (depth + 1 > TKMS_CHAIN_RLP_DEPTH_MAX) {
                abort(); /* the decoder promised the depth bound */
            }
            stack[++depth] = item;
            cursors[depth] = 0;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tkms_chain_rlp_item item;
    if (tkms_chain_rlp_decode(&item, data, size) == TKMS_OK) {
        if (item.is_list) {
            walk(&item, data, size);
        } else {
            chain_buf b;
            chain_buf_init(&b, size + 16);
            chain_rlp_put_bytes(&b, item.payload, item.payload_len);
            if (b.error != TKMS_OK || b.len != size || memcmp(b.ptr, data, size) != 0) {
                abort();
            }
            chain_buf_free(&b);
        }
    }
    tkms_chain_tx_decoded tx;
    if (tkms_chain_tx_decode(&tx, data, size) == TKMS_OK &&
        (tx.tx.data < data || tx.tx.data + tx.tx.data_len > data + size)) {
        abort();
    }
    return 0;
}
