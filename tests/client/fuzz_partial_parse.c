/*
 * fuzz_partial_parse.c — libFuzzer target for the wrapped-partial JSON body an app
 * receives after RSA decryption (crypto.md §9). Any accepted body must hold exactly 48
 * bytes that then go through the strict G1 decoder.
 */
#include <stdlib.h>

#include "client/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t enc[TKMS_BLS_G1_BYTES];
    tkms_err err = client_partial_parse(enc, data, size);
    if (err == TKMS_OK) {
        tkms_bls_g1 p;
        (void)tkms_bls_g1_decode(&p, enc);
    } else if (err != TKMS_ERR_CLIENT_BAD_WRAP) {
        abort();
    }
    return 0;
}
