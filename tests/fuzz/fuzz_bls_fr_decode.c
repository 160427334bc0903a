/*
 * fuzz_bls_fr_decode.c — libFuzzer target for the scalar decoders (crypto.md §2,
 * style R21): tkms_bls_fr_decode (canonical, 32 bytes) and tkms_bls_fr_decode_reduce
 * (any length up to 64) on arbitrary bytes.
 *
 * Invariants (abort on violation):
 * - fr_decode accepts exactly the 32-byte big-endian values below r (compared here byte
 *   by byte against r), re-encodes them byte for byte, and zeroes its output on rejection;
 * - fr_decode_reduce equals an independent Horner evaluation Σ b_i·256^(n−1−i) in Fr,
 *   agrees with fr_decode on canonical input, and its output re-encodes canonically;
 * - a few field identities on the decoded value: a + (−a) = 0, a·a⁻¹ = 1 (a ≠ 0).
 * Inputs longer than 64 bytes are only fed to the canonical decoder's length guard here:
 * decode_reduce takes at most 64 bytes by contract (a caller bug, asserted).
 */
#include <stdint.h>
#include <string.h>

#include "bls/bls.h"
#include "fuzz_check.h"

static const uint8_t R_BE[32] = {
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
};

/* Big-endian a < r, by the first differing byte (public data: variable time is fine). */
static bool below_r(const uint8_t a[32]) {
    for (size_t i = 0; i < 32; i++) {
        if (a[i] != R_BE[i]) {
            return a[i] < R_BE[i];
        }
    }
    return false;
}

static void horner(tkms_bls_fr *out, const uint8_t *in, size_t len) {
    tkms_bls_fr base, digit;
    tkms_bls_fr_from_u64(out, 0);
    tkms_bls_fr_from_u64(&base, 256);
    for (size_t i = 0; i < len; i++) {
        tkms_bls_fr_mul(out, out, &base);
        tkms_bls_fr_from_u64(&digit, in[i]);
        tkms_bls_fr_add(out, out, &digit);
    }
}

static void check_identities(const tkms_bls_fr *a) {
    tkms_bls_fr n, s, inv, one, prod;
    tkms_bls_fr_neg(&n, a);
    tkms_bls_fr_add(&s, a, &n);
    FUZZ_CHECK(tkms_bls_fr_is_zero(&s));
    tkms_bls_fr_inv(&inv, a);
    tkms_bls_fr_mul(&prod, a, &inv);
    tkms_bls_fr_from_u64(&one, 1);
    FUZZ_CHECK(tkms_bls_fr_is_zero(a) ? tkms_bls_fr_is_zero(&inv)
                                      : tkms_bls_fr_equal(&prod, &one));
}

static void check_canonical(const uint8_t *data) {
    tkms_bls_fr a, b;
    uint8_t enc[32];
    tkms_err err = tkms_bls_fr_decode(&a, data);
    bool ok = below_r(data);
    FUZZ_CHECK((err == TKMS_OK) == ok);
    if (!ok) {
        FUZZ_CHECK(err == TKMS_ERR_BLS_SCALAR_RANGE);
        FUZZ_CHECK(tkms_bls_fr_is_zero(&a));
        return;
    }
    tkms_bls_fr_encode(enc, &a);
    FUZZ_CHECK(memcmp(enc, data, 32) == 0);
    tkms_bls_fr_decode_reduce(&b, data, 32);
    FUZZ_CHECK(tkms_bls_fr_equal(&a, &b));
    check_identities(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 32) {
        check_canonical(data);
    }
    if (size > 64) {
        return 0;
    }
    tkms_bls_fr a, h, back;
    uint8_t enc[32];
    tkms_bls_fr_decode_reduce(&a, data, size);
    horner(&h, data, size);
    FUZZ_CHECK(tkms_bls_fr_equal(&a, &h));
    tkms_bls_fr_encode(enc, &a);
    FUZZ_CHECK(below_r(enc));
    FUZZ_CHECK(tkms_bls_fr_decode(&back, enc) == TKMS_OK);
    FUZZ_CHECK(tkms_bls_fr_equal(&back, &a));
    return 0;
}
