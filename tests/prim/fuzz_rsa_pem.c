/*
 * fuzz_rsa_pem.c — libFuzzer target for the app's RSA key path (crypto.md §9): arbitrary
 * bytes as the PEM public key a node must encrypt a partial to. Only the documented
 * errors may come back; a success must produce a modulus-sized ciphertext.
 */
#include <stdlib.h>

#include "prim/prim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const uint8_t msg[] = "{\"CompressedBytes\":\"x\"}";
    uint8_t out[1100];
    size_t out_len = 0;
    tkms_err err = tkms_prim_rsa_oaep_encrypt(out, &out_len, sizeof out, (const char *)data, size,
                                              msg, sizeof msg - 1);
    switch (err) {
    case TKMS_OK:
        if (out_len < 256 || out_len > 1024) {
            abort();
        }
        break;
    case TKMS_ERR_PRIM_BAD_PEM:
    case TKMS_ERR_PRIM_NOT_RSA:
    case TKMS_ERR_PRIM_RSA_KEY_SIZE:
    case TKMS_ERR_PRIM_LENGTH:
    case TKMS_ERR_PRIM_RSA:
        break;
    default:
        abort();
    }
    return 0;
}
