/*
 * fuzz_ibe_decrypt.c — libFuzzer target for the IBE v1 decoder (ibe.h): arbitrary bytes as
 * a ciphertext for a fixed id and app key. Decryption must return the one opaque error
 * (or, impossibly, succeed with a plaintext of the right length) and never crash.
 */
#include <stdlib.h>

#include "ibe/ibe.h"
#include "tss/tss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tkms_bls_g1 sk;
    static int ready;
    static const uint8_t id[] = "0x1234567890abcdef1234567890abcdef12345678";
    if (!ready) {
        tkms_bls_fr s;
        tkms_bls_fr_from_u64(&s, 0x1234567);
        if (tkms_tss_h1(&sk, id, sizeof id - 1) != TKMS_OK) {
            abort();
        }
        tkms_bls_g1_mul(&sk, &sk, &s);
        ready = 1;
    }
    static uint8_t pt[1 << 16];
    size_t pt_len = 0;
    tkms_err err = tkms_ibe_decrypt(pt, sizeof pt, &pt_len, id, sizeof id - 1, &sk, data, size);
    if (err != TKMS_OK && (err != TKMS_ERR_IBE_DECRYPT || pt_len != 0)) {
        abort();
    }
    if (err == TKMS_OK && pt_len + TKMS_IBE_OVERHEAD_BYTES != size) {
        abort();
    }
    return 0;
}
