/*
 * fuzz_seal_open.c — libFuzzer target for the sealed-share opener (protocol.md §4.3):
 * the first 80 bytes are the sealed entry, the rest the AAD, for a fixed X25519 key.
 * Every input must give a defined error (or the plaintext of a real seal), never a crash.
 */
#include <stdlib.h>
#include <string.h>

#include "prim/prim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t priv[32] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                     16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    uint8_t sealed[TKMS_PRIM_SEALED_BYTES] = {0}, pt[32];
    memcpy(sealed, data, size < sizeof sealed ? size : sizeof sealed);
    const uint8_t *aad = size > sizeof sealed ? data + sizeof sealed : NULL;
    size_t aad_len = size > sizeof sealed ? size - sizeof sealed : 0;
    tkms_err err = tkms_prim_seal_open(pt, sealed, priv, aad, aad_len);
    if (err != TKMS_OK && err != TKMS_ERR_PRIM_AEAD && err != TKMS_ERR_PRIM_SEALED_EMPTY &&
        err != TKMS_ERR_PRIM_X25519_ZERO) {
        abort();
    }
    return 0;
}
