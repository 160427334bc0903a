/*
 * encode.c — strict point encodings (crypto.md §2): ZCash/IETF format, compressed and
 * uncompressed, for G1 and G2, and the length-dispatching decoders for byte strings of
 * unknown length.
 *
 * Byte 0 carries three flags: bit 7 compressed, bit 6 infinity, bit 5 "y is the
 * lexicographically larger root" (compressed only). G2 coordinates are written imaginary
 * part first (c1 ‖ c0). Decoding checks, in this order and each with its own error:
 * length, flag combination, the zero body of an infinity encoding, coordinates < p, the
 * curve equation, the prime-order subgroup. Decoded data is public, so decoding may be
 * variable time in the ways of failing, but a valid encoding of a secret point (a
 * partial after RSA decryption, a stored sk_id) decodes without branching on its bits,
 * and encoding is constant time (tests/ct).
 */
#include "bls/internal.h"

#define FLAG_COMPRESSED 0x80
#define FLAG_INFINITY 0x40
#define FLAG_SIGN 0x20
#define FLAG_MASK 0xe0

/* Flag checks shared by both groups; body excludes byte 0's flag bits. Returns
   TKMS_OK with *is_infinity set, or the flag/infinity error. */
static tkms_err check_flags(bool *is_infinity, bool *sign, const uint8_t *in, size_t len,
                            bool compressed) {
    uint8_t flags = in[0] & FLAG_MASK;
    *is_infinity = (flags & FLAG_INFINITY) != 0;
    *sign = (flags & FLAG_SIGN) != 0;
    if (((flags & FLAG_COMPRESSED) != 0) != compressed) {
        return TKMS_ERR_BLS_BAD_FLAGS;
    }
    /* One test on the combined bits: for a valid encoding it does not depend on the sign
       bit, which is secret when the point is. */
    if ((flags & FLAG_SIGN) != 0 && ((flags & FLAG_INFINITY) != 0 || !compressed)) {
        return TKMS_ERR_BLS_BAD_FLAGS;
    }
    if (*is_infinity) {
        uint8_t acc = in[0] & (uint8_t)~FLAG_MASK;
        for (size_t i = 1; i < len; i++) {
            acc |= in[i];
        }
        if (acc != 0) {
            return TKMS_ERR_BLS_BAD_INFINITY;
        }
    }
    return TKMS_OK;
}

/* Reads a 48-byte big-endian coordinate, with byte 0's flag bits cleared when first. */
static bool read_fp(fp *out, const uint8_t in[48], bool clear_flags) {
    uint8_t buf[48];
    for (size_t i = 0; i < 48; i++) {
        buf[i] = in[i];
    }
    if (clear_flags) {
        buf[0] &= (uint8_t)~FLAG_MASK;
    }
    return fp_from_bytes(out, buf);
}

static bool read_fp2(fp2 *out, const uint8_t in[96], bool clear_flags) {
    bool ok1 = read_fp(&out->c1, in, clear_flags);
    bool ok0 = read_fp(&out->c0, in + 48, false);
    return ok1 && ok0;
}

static tkms_err g1_finish(tkms_bls_g1 *out, const fp *x, const fp *y) {
    out->x = *x;
    out->y = *y;
    out->z = FP_ONE;
    if (!tkms_bls_g1_is_on_curve(out)) {
        return TKMS_ERR_BLS_NOT_ON_CURVE;
    }
    if (!tkms_bls_g1_in_group_vartime(out)) {
        return TKMS_ERR_BLS_NOT_IN_GROUP;
    }
    return TKMS_OK;
}

static tkms_err g2_finish(tkms_bls_g2 *out, const fp2 *x, const fp2 *y) {
    out->x = *x;
    out->y = *y;
    out->z = FP2_ONE;
    if (!tkms_bls_g2_is_on_curve(out)) {
        return TKMS_ERR_BLS_NOT_ON_CURVE;
    }
    if (!tkms_bls_g2_in_group_vartime(out)) {
        return TKMS_ERR_BLS_NOT_IN_GROUP;
    }
    return TKMS_OK;
}

static tkms_err g1_decode_impl(tkms_bls_g1 *out, const uint8_t *in, bool compressed) {
    size_t len = compressed ? TKMS_BLS_G1_BYTES : TKMS_BLS_G1_UNCOMPRESSED_BYTES;
    bool inf, sign;
    tkms_err err = check_flags(&inf, &sign, in, len, compressed);
    if (err != TKMS_OK || inf) {
        g1_identity_set(out);
        return err;
    }
    fp x, y, y2;
    if (!read_fp(&x, in, true) || (!compressed && !read_fp(&y, in + 48, false))) {
        return TKMS_ERR_BLS_COORDINATE_RANGE;
    }
    if (compressed) {
        fp_sqr(&y2, &x);
        fp_mul(&y2, &y2, &x);
        fp_add(&y2, &y2, &G1_B);
        if (!fp_sqrt(&y, &y2)) {
            return TKMS_ERR_BLS_NOT_ON_CURVE;
        }
        fp ny; /* pick the root without branching: the point may be secret */
        fp_neg(&ny, &y);
        fp_cmov(&y, &ny, fp_is_lexicographically_largest(&y) ^ (limb_t)sign);
    }
    return g1_finish(out, &x, &y);
}

static tkms_err g2_decode_impl(tkms_bls_g2 *out, const uint8_t *in, bool compressed) {
    size_t len = compressed ? TKMS_BLS_G2_BYTES : TKMS_BLS_G2_UNCOMPRESSED_BYTES;
    bool inf, sign;
    tkms_err err = check_flags(&inf, &sign, in, len, compressed);
    if (err != TKMS_OK || inf) {
        g2_identity_set(out);
        return err;
    }
    fp2 x, y, y2;
    if (!read_fp2(&x, in, true) || (!compressed && !read_fp2(&y, in + 96, false))) {
        return TKMS_ERR_BLS_COORDINATE_RANGE;
    }
    if (compressed) {
        fp2_sqr(&y2, &x);
        fp2_mul(&y2, &y2, &x);
        fp2_add(&y2, &y2, &G2_B);
        if (!fp2_sqrt(&y, &y2)) {
            return TKMS_ERR_BLS_NOT_ON_CURVE;
        }
        fp2 ny;
        fp2_neg(&ny, &y);
        fp2_cmov(&y, &ny, fp2_is_lexicographically_largest(&y) ^ (limb_t)sign);
    }
    return g2_finish(out, &x, &y);
}

/* On failure the output is the identity, never a half-decoded point (style R5). */
static tkms_err g1_decode_checked(tkms_bls_g1 *out, const uint8_t *in, bool compressed) {
    tkms_err err = g1_decode_impl(out, in, compressed);
    if (err != TKMS_OK) {
        g1_identity_set(out);
    }
    return err;
}

static tkms_err g2_decode_checked(tkms_bls_g2 *out, const uint8_t *in, bool compressed) {
    tkms_err err = g2_decode_impl(out, in, compressed);
    if (err != TKMS_OK) {
        g2_identity_set(out);
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_bls_g1_decode(tkms_bls_g1 *out, const uint8_t in[TKMS_BLS_G1_BYTES]) {
    return g1_decode_checked(out, in, true);
}

TKMS_EXPORT tkms_err tkms_bls_g1_decode_uncompressed(
    tkms_bls_g1 *out, const uint8_t in[TKMS_BLS_G1_UNCOMPRESSED_BYTES]) {
    return g1_decode_checked(out, in, false);
}

TKMS_EXPORT tkms_err tkms_bls_g2_decode(tkms_bls_g2 *out, const uint8_t in[TKMS_BLS_G2_BYTES]) {
    return g2_decode_checked(out, in, true);
}

TKMS_EXPORT tkms_err tkms_bls_g2_decode_uncompressed(
    tkms_bls_g2 *out, const uint8_t in[TKMS_BLS_G2_UNCOMPRESSED_BYTES]) {
    return g2_decode_checked(out, in, false);
}

TKMS_EXPORT tkms_err tkms_bls_g1_from_bytes(tkms_bls_g1 *out, const uint8_t *in, size_t len) {
    if (len == TKMS_BLS_G1_BYTES) {
        return tkms_bls_g1_decode(out, in);
    }
    if (len == TKMS_BLS_G1_UNCOMPRESSED_BYTES) {
        return tkms_bls_g1_decode_uncompressed(out, in);
    }
    g1_identity_set(out);
    return TKMS_ERR_BLS_BAD_LENGTH;
}

TKMS_EXPORT tkms_err tkms_bls_g2_from_bytes(tkms_bls_g2 *out, const uint8_t *in, size_t len) {
    if (len == TKMS_BLS_G2_BYTES) {
        return tkms_bls_g2_decode(out, in);
    }
    if (len == TKMS_BLS_G2_UNCOMPRESSED_BYTES) {
        return tkms_bls_g2_decode_uncompressed(out, in);
    }
    g2_identity_set(out);
    return TKMS_ERR_BLS_BAD_LENGTH;
}

/* Writes x (and y) of a non-identity point, or the infinity encoding. */
/* Encoding is constant time: a partial signature or sk_id is secret. The identity needs
   no branch: to_affine maps (0:1:0) to (0, 0) (the inverse of 0 is 0), so only the flag
   bits differ, and they are set by mask. */
static void g1_write(uint8_t *out, const tkms_bls_g1 *p, bool compressed) {
    limb_t inf = g1_is_identity_mask(p) & 1;
    g1_affine a;
    g1_to_affine(&a, p);
    fp_to_bytes(out, &a.x);
    if (compressed) {
        out[0] |= (uint8_t)(FLAG_COMPRESSED | (fp_is_lexicographically_largest(&a.y) << 5));
    } else {
        fp_to_bytes(out + 48, &a.y);
    }
    out[0] |= (uint8_t)(inf << 6); /* FLAG_INFINITY */
}

static void g2_write(uint8_t *out, const tkms_bls_g2 *p, bool compressed) {
    limb_t inf = g2_is_identity_mask(p) & 1;
    g2_affine a;
    g2_to_affine(&a, p);
    fp_to_bytes(out, &a.x.c1);
    fp_to_bytes(out + 48, &a.x.c0);
    if (compressed) {
        out[0] |= (uint8_t)(FLAG_COMPRESSED | (fp2_is_lexicographically_largest(&a.y) << 5));
    } else {
        fp_to_bytes(out + 96, &a.y.c1);
        fp_to_bytes(out + 144, &a.y.c0);
    }
    out[0] |= (uint8_t)(inf << 6); /* FLAG_INFINITY */
}

TKMS_EXPORT void tkms_bls_g1_encode(uint8_t out[TKMS_BLS_G1_BYTES], const tkms_bls_g1 *p) {
    g1_write(out, p, true);
}

TKMS_EXPORT void tkms_bls_g1_encode_uncompressed(uint8_t out[TKMS_BLS_G1_UNCOMPRESSED_BYTES],
                                                 const tkms_bls_g1 *p) {
    g1_write(out, p, false);
}

TKMS_EXPORT void tkms_bls_g2_encode(uint8_t out[TKMS_BLS_G2_BYTES], const tkms_bls_g2 *p) {
    g2_write(out, p, true);
}

TKMS_EXPORT void tkms_bls_g2_encode_uncompressed(uint8_t out[TKMS_BLS_G2_UNCOMPRESSED_BYTES],
                                                 const tkms_bls_g2 *p) {
    g2_write(out, p, false);
}
