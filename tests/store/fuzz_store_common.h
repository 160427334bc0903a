/*
 * fuzz_store_common.h — the key and binding shared by the store fuzzer and the program
 * that writes its seed databases (gen_corpus.c), and one helper to open a store on a file.
 */
#ifndef TKMS_STORE_FUZZ_COMMON_H
#define TKMS_STORE_FUZZ_COMMON_H

#include <string.h>

#include "store/store.h"

static inline tkms_store_options fuzz_store_options(const char *path, tkms_store_secret *key_out) {
    memset(key_out, 0x5c, sizeof *key_out);
    tkms_store_options o;
    memset(&o, 0, sizeof o);
    o.path = path;
    o.key_source = TKMS_STORE_KEY_BYTES;
    o.key = key_out;
    o.binding.chain_id = 31337;
    memset(o.binding.epoch_log, 0x11, sizeof o.binding.epoch_log);
    return o;
}

#endif
