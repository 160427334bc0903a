/*
 * fuzz_rpc_response.c — libFuzzer target for the JSON-RPC response parser and the strict
 * field parsers behind every typed read (src/chain/rpc.c, json.c): the envelope (id,
 * version, result/error, revert data), then the result as a quantity, a hash, hex data and
 * a log object. Nothing may crash or leak; failures must leave outputs zeroed.
 */
#include <stdlib.h>
#include <string.h>

#include "chain/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    chain_rpc_answer a;
    if (chain_rpc_response_parse(&a, data, size, 1) != TKMS_OK) {
        if (a.result != NULL || a.revert_len > TKMS_CHAIN_REVERT_BYTES_MAX) {
            abort();
        }
        return 0;
    }
    uint64_t u = 0;
    tkms_chain_u256 big;
    tkms_chain_hash h;
    tkms_chain_address addr;
    tkms_chain_bytes bytes;
    (void)chain_json_u64(NULL, &u, a.result, "fuzz");
    (void)chain_json_u256(NULL, &big, a.result, "fuzz");
    (void)chain_json_hash(NULL, &h, a.result, "fuzz");
    (void)chain_json_address(NULL, &addr, a.result, "fuzz");
    if (chain_json_data(NULL, &bytes, a.result, 4096, "fuzz") == TKMS_OK) {
        tkms_chain_bytes_free(&bytes);
    } else if (bytes.ptr != NULL) {
        abort();
    }
    tkms_chain_log log;
    if (chain_log_parse(NULL, &log, a.result) == TKMS_OK) {
        free(log.data);
    } else if (log.data != NULL) {
        abort();
    }
    json_decref(a.result);
    return 0;
}
