/*
 * fuzz_abi.c — libFuzzer target for the strict ABI decoder (src/chain/abi.c). The first
 * input byte picks one of the contract-shaped type lists below, the rest is the encoded
 * data. Decoding must not crash, stay within the pool, and anything accepted must
 * re-encode to exactly the input (the decoder accepts only canonical encodings).
 * Also decodes the data as an event log and as revert data.
 */
#include <stdlib.h>
#include <string.h>

#include "chain/internal.h"

static const char *const types[] = {
    "(uint256)",
    "(bytes)",
    "(string,bytes)",
    "(uint64,bytes32,address[],string[],bytes)",
    "(bool,int32,bytes4,uint8[3])",
    "((address,bytes32,string,uint64)[])",
    "(uint256[][],bytes[2])",
    TKMS_CHAIN_REGISTRY_NODE_INFOS_OUT,
    TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT,
    TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT,
    TKMS_CHAIN_APPS_RELEASE_OUT,
    "((uint8,(bytes,string[])[2])[],int256)",
};

#define POOL 2048

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    const char *t = types[data[0] % (sizeof types / sizeof types[0])];
    static tkms_chain_abi_value values[POOL];
    tkms_chain_abi_pool pool = {values, POOL, 0};
    tkms_chain_abi_value v;
    if (tkms_chain_abi_decode(&v, &pool, t, data + 1, size - 1) == TKMS_OK) {
        if (pool.used > POOL) {
            abort();
        }
        tkms_chain_bytes again;
        if (tkms_chain_abi_encode(&again, t, &v) != TKMS_OK || again.len != size - 1 ||
            memcmp(again.ptr, data + 1, size - 1) != 0) {
            abort();
        }
        tkms_chain_bytes_free(&again);
    } else if (pool.used != 0) {
        abort(); /* a failed decode leaves the pool as it was */
    }
    tkms_chain_log log = {.topic_count = 3, .data = (uint8_t *)data + 1, .data_len = size - 1};
    (void)tkms_chain_abi_event_topic(&log.topics[0], TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED);
    memset(log.topics[1].bytes, 0, 32);
    memcpy(log.topics[2].bytes, data, size < 32 ? size : 32);
    pool.used = 0;
    (void)tkms_chain_abi_event_decode(&v, &pool, TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED, &log);
    char text[256];
    tkms_chain_revert_describe(text, sizeof text, NULL, data + 1, size - 1);
    return 0;
}
