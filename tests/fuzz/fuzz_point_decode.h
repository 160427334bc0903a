/*
 * fuzz_point_decode.h — the libFuzzer entry point shared by the G1 and G2 point-decoder
 * targets (fuzz_bls_g1_decode.c, fuzz_bls_g2_decode.c; crypto.md §2, style R21), written
 * once for the group its includer picks, as src/bls/ec_impl.h is for the curves. Not a
 * header to include elsewhere: the includer defines
 *   FUZZ_G(x)                  the public name of group function x (tkms_bls_g1_##x)
 *   FUZZ_POINT                 the point type (tkms_bls_g1)
 *   FUZZ_BYTES                 the compressed length (TKMS_BLS_G1_BYTES)
 *   FUZZ_UNCOMPRESSED_BYTES    the uncompressed length (TKMS_BLS_G1_UNCOMPRESSED_BYTES)
 * and gets LLVMFuzzerTestOneInput, which feeds FUZZ_G(from_bytes) arbitrary bytes of any
 * length. Invariants (abort on violation):
 * - a length other than the two point lengths is TKMS_ERR_BLS_BAD_LENGTH; every failure
 *   leaves the identity in the output and is one of the decoder's own error codes;
 * - from_bytes agrees with the fixed-length decoder of that length;
 * - an accepted point is on the curve and in the group, the decoders are strict, so the
 *   input is canonical: encode(decode(x)) == x byte for byte in the same form;
 * - an accepted point has order dividing r by an independent double-and-add over the
 *   public add/dbl (not the endomorphism test the decoder used), so a subgroup check that
 *   lets torsion points through (corpus torsion_*) is caught here;
 * - decode(encode(p)) == p in both forms, and the two encodings describe the same x;
 * - the infinity flag is set exactly when the point is the identity, and p + (−p) = O.
 * A 32-byte input (never a point length) is also read as a scalar k and the checks run on
 * [k]G, so that mutations reach the accepting paths, which random bytes almost never do.
 */
#include <stdint.h>
#include <string.h>

#include "bls/bls.h"
#include "fuzz_check.h"

/* r, the order of G1 and G2, big-endian. */
static const uint8_t FUZZ_R_BE[32] = {
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
};

/* [r]p = O by left-to-right double-and-add over the public group law. */
static bool has_order_dividing_r(const FUZZ_POINT *p) {
    FUZZ_POINT acc;
    FUZZ_G(identity)(&acc);
    for (size_t i = 0; i < sizeof FUZZ_R_BE; i++) {
        for (int b = 7; b >= 0; b--) {
            FUZZ_G(dbl)(&acc, &acc);
            if ((FUZZ_R_BE[i] >> b) & 1) {
                FUZZ_G(add)(&acc, &acc, p);
            }
        }
    }
    return FUZZ_G(is_identity)(&acc);
}

static void check_valid(const FUZZ_POINT *p) {
    uint8_t c[FUZZ_BYTES], u[FUZZ_UNCOMPRESSED_BYTES];
    FUZZ_POINT q, n, s;
    FUZZ_CHECK(FUZZ_G(is_on_curve)(p));
    FUZZ_CHECK(FUZZ_G(in_group_vartime)(p));
    FUZZ_G(encode)(c, p);
    FUZZ_G(encode_uncompressed)(u, p);
    FUZZ_CHECK(FUZZ_G(decode)(&q, c) == TKMS_OK);
    FUZZ_CHECK(FUZZ_G(equal)(&q, p));
    FUZZ_CHECK(FUZZ_G(decode_uncompressed)(&q, u) == TKMS_OK);
    FUZZ_CHECK(FUZZ_G(equal)(&q, p));
    /* flags: compressed bit only in c; infinity in both iff identity */
    bool inf = FUZZ_G(is_identity)(p);
    FUZZ_CHECK((c[0] & 0x80) != 0 && (u[0] & 0x80) == 0);
    FUZZ_CHECK(((c[0] & 0x40) != 0) == inf && ((u[0] & 0x40) != 0) == inf);
    FUZZ_CHECK((u[0] & 0x20) == 0);
    /* same x in both forms */
    FUZZ_CHECK((c[0] & 0x1f) == (u[0] & 0x1f) && memcmp(c + 1, u + 1, FUZZ_BYTES - 1) == 0);
    FUZZ_G(neg)(&n, p);
    FUZZ_G(add)(&s, p, &n);
    FUZZ_CHECK(FUZZ_G(is_identity)(&s));
    if (!inf) { /* −p has the other sign flag (y != 0: the group has odd order r) */
        uint8_t cn[FUZZ_BYTES];
        FUZZ_G(encode)(cn, &n);
        FUZZ_CHECK((cn[0] ^ c[0]) == 0x20 && memcmp(cn + 1, c + 1, FUZZ_BYTES - 1) == 0);
    }
}

static void check_scalar_path(const uint8_t *data) {
    tkms_bls_fr k;
    FUZZ_POINT g, p;
    tkms_bls_fr_decode_reduce(&k, data, 32);
    FUZZ_G(generator)(&g);
    FUZZ_G(mul)(&p, &g, &k);
    FUZZ_CHECK(FUZZ_G(is_identity)(&p) == tkms_bls_fr_is_zero(&k));
    check_valid(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FUZZ_POINT p, q;
    tkms_err err = FUZZ_G(from_bytes)(&p, data, size);
    if (size != FUZZ_BYTES && size != FUZZ_UNCOMPRESSED_BYTES) {
        FUZZ_CHECK(err == TKMS_ERR_BLS_BAD_LENGTH);
        FUZZ_CHECK(FUZZ_G(is_identity)(&p));
        if (size == 32) {
            check_scalar_path(data);
        }
        return 0;
    }
    bool compressed = size == FUZZ_BYTES;
    tkms_err err2 = compressed ? FUZZ_G(decode)(&q, data) : FUZZ_G(decode_uncompressed)(&q, data);
    FUZZ_CHECK(err2 == err);
    FUZZ_CHECK(memcmp(&p, &q, sizeof p) == 0);
    if (err != TKMS_OK) {
        FUZZ_CHECK(err == TKMS_ERR_BLS_BAD_FLAGS || err == TKMS_ERR_BLS_BAD_INFINITY ||
                   err == TKMS_ERR_BLS_COORDINATE_RANGE || err == TKMS_ERR_BLS_NOT_ON_CURVE ||
                   err == TKMS_ERR_BLS_NOT_IN_GROUP);
        FUZZ_CHECK(FUZZ_G(is_identity)(&p));
        return 0;
    }
    check_valid(&p);
    FUZZ_CHECK(has_order_dividing_r(&p)); /* decoded only: [k]G is in the group by making */
    uint8_t enc[FUZZ_UNCOMPRESSED_BYTES];
    if (compressed) {
        FUZZ_G(encode)(enc, &p);
    } else {
        FUZZ_G(encode_uncompressed)(enc, &p);
    }
    FUZZ_CHECK(memcmp(enc, data, size) == 0); /* strict decoding accepts canonical input only */
    FUZZ_CHECK(((data[0] & 0x40) != 0) == FUZZ_G(is_identity)(&p));
    return 0;
}
