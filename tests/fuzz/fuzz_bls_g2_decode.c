/*
 * fuzz_bls_g2_decode.c — libFuzzer target for the G2 point decoders (crypto.md §2,
 * style R21): tkms_bls_g2_from_bytes on arbitrary bytes of any length.
 *
 * Invariants (abort on violation):
 * - a length other than 96/192 is TKMS_ERR_BLS_BAD_LENGTH; every failure leaves the
 *   identity in the output and is one of the decoder's own error codes;
 * - from_bytes agrees with the fixed-length decoder of that length;
 * - an accepted point is on the curve and in G2, the decoders are strict, so the input
 *   is canonical: encode(decode(x)) == x byte for byte in the same form;
 * - decode(encode(p)) == p in both forms, and the two encodings describe the same x;
 * - the infinity flag is set exactly when the point is the identity, and p + (−p) = O.
 * A 32-byte input (never a point length) is also read as a scalar k and the checks run on
 * [k]G, so that mutations reach the accepting paths, which random bytes almost never do.
 */
#include <stdint.h>
#include <string.h>

#include "bls/bls.h"
#include "fuzz_check.h"

static void check_valid(const tkms_bls_g2 *p) {
    uint8_t c[TKMS_BLS_G2_BYTES], u[TKMS_BLS_G2_UNCOMPRESSED_BYTES];
    tkms_bls_g2 q, n, s;
    FUZZ_CHECK(tkms_bls_g2_is_on_curve(p));
    FUZZ_CHECK(tkms_bls_g2_in_group_vartime(p));
    tkms_bls_g2_encode(c, p);
    tkms_bls_g2_encode_uncompressed(u, p);
    FUZZ_CHECK(tkms_bls_g2_decode(&q, c) == TKMS_OK);
    FUZZ_CHECK(tkms_bls_g2_equal(&q, p));
    FUZZ_CHECK(tkms_bls_g2_decode_uncompressed(&q, u) == TKMS_OK);
    FUZZ_CHECK(tkms_bls_g2_equal(&q, p));
    /* flags: compressed bit only in c; infinity in both iff identity */
    bool inf = tkms_bls_g2_is_identity(p);
    FUZZ_CHECK((c[0] & 0x80) != 0 && (u[0] & 0x80) == 0);
    FUZZ_CHECK(((c[0] & 0x40) != 0) == inf && ((u[0] & 0x40) != 0) == inf);
    FUZZ_CHECK((u[0] & 0x20) == 0);
    /* same x in both forms */
    FUZZ_CHECK((c[0] & 0x1f) == (u[0] & 0x1f) && memcmp(c + 1, u + 1, 95) == 0);
    tkms_bls_g2_neg(&n, p);
    tkms_bls_g2_add(&s, p, &n);
    FUZZ_CHECK(tkms_bls_g2_is_identity(&s));
    if (!inf) { /* −p has the other sign flag (y != 0: G2 has odd order) */
        uint8_t cn[TKMS_BLS_G2_BYTES];
        tkms_bls_g2_encode(cn, &n);
        FUZZ_CHECK((cn[0] ^ c[0]) == 0x20 && memcmp(cn + 1, c + 1, 95) == 0);
    }
}

static void check_scalar_path(const uint8_t *data) {
    tkms_bls_fr k;
    tkms_bls_g2 g, p;
    tkms_bls_fr_decode_reduce(&k, data, 32);
    tkms_bls_g2_generator(&g);
    tkms_bls_g2_mul(&p, &g, &k);
    FUZZ_CHECK(tkms_bls_g2_is_identity(&p) == tkms_bls_fr_is_zero(&k));
    check_valid(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tkms_bls_g2 p, q;
    tkms_err err = tkms_bls_g2_from_bytes(&p, data, size);
    if (size != TKMS_BLS_G2_BYTES && size != TKMS_BLS_G2_UNCOMPRESSED_BYTES) {
        FUZZ_CHECK(err == TKMS_ERR_BLS_BAD_LENGTH);
        FUZZ_CHECK(tkms_bls_g2_is_identity(&p));
        if (size == 32) {
            check_scalar_path(data);
        }
        return 0;
    }
    bool compressed = size == TKMS_BLS_G2_BYTES;
    tkms_err err2 = compressed ? tkms_bls_g2_decode(&q, data)
                               : tkms_bls_g2_decode_uncompressed(&q, data);
    FUZZ_CHECK(err2 == err);
    FUZZ_CHECK(memcmp(&p, &q, sizeof p) == 0);
    if (err != TKMS_OK) {
        FUZZ_CHECK(err == TKMS_ERR_BLS_BAD_FLAGS || err == TKMS_ERR_BLS_BAD_INFINITY ||
                   err == TKMS_ERR_BLS_COORDINATE_RANGE || err == TKMS_ERR_BLS_NOT_ON_CURVE ||
                   err == TKMS_ERR_BLS_NOT_IN_GROUP);
        FUZZ_CHECK(tkms_bls_g2_is_identity(&p));
        return 0;
    }
    check_valid(&p);
    uint8_t enc[TKMS_BLS_G2_UNCOMPRESSED_BYTES];
    if (compressed) {
        tkms_bls_g2_encode(enc, &p);
    } else {
        tkms_bls_g2_encode_uncompressed(enc, &p);
    }
    FUZZ_CHECK(memcmp(enc, data, size) == 0); /* strict decoding accepts canonical input only */
    FUZZ_CHECK(((data[0] & 0x40) != 0) == tkms_bls_g2_is_identity(&p));
    return 0;
}
