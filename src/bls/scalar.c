/*
 * scalar.c — splitting a secret scalar for endomorphism-accelerated multiplication.
 *
 * G1 (GLV): φ(P) = [−z²]P, so k = k0 + k1·z² gives [k]P = [k0]P + [k1](−φ(P)), with
 * k0 < z² < 2^128 and k1 < r / z² < 2^128.
 * G2 (GLS): ψ(Q) = [z]Q, so writing k in base |z| (four 64-bit digits, since r < |z|⁴)
 * gives [k]Q = Σ [k_i](−ψ)^i(Q).
 * The divisions are binary long divisions by a public constant with a fixed number of
 * iterations and masked subtractions: constant time in k (crypto.md §12). They cost a few
 * thousand instructions, negligible next to the point arithmetic.
 */
#include "bls/internal.h"

/* q = x / n and rem = x mod n for a secret x < 2^256 and a public 0 < n < 2^128. */
static void divmod_ct(limb_t q[4], limb_t rem[2], const limb_t x[4], const limb_t n[2]) {
    limb_t r[3] = {0, 0, 0}; /* running remainder, < 2n < 2^129 */
    for (int i = 0; i < 4; i++) {
        q[i] = 0;
    }
    for (int bit = 255; bit >= 0; bit--) {
        limb_t in = (x[bit / 64] >> (bit % 64)) & 1;
        r[2] = (r[2] << 1) | (r[1] >> 63);
        r[1] = (r[1] << 1) | (r[0] >> 63);
        r[0] = (r[0] << 1) | in;
        limb_t t[3], borrow = 0;
        const limb_t nn[3] = {n[0], n[1], 0};
        for (int j = 0; j < 3; j++) {
            dlimb_t d = (dlimb_t)r[j] - nn[j] - borrow;
            t[j] = (limb_t)d;
            borrow = (limb_t)(d >> 64) & 1;
        }
        limb_t take = tkms_ct_mask(borrow ^ 1); /* r >= n */
        for (int j = 0; j < 3; j++) {
            r[j] = (t[j] & take) | (r[j] & ~take);
        }
        q[bit / 64] |= (take & 1) << (bit % 64);
    }
    /* r < n < 2^128 here, so r[2] = 0: no assertion, it would branch on a secret. */
    rem[0] = r[0];
    rem[1] = r[1];
    tkms_wipe(r, sizeof r);
}

void scalar_split_glv(limb_t k0[2], limb_t k1[2], const fr *k) {
    static const limb_t z2[2] = {0x0000000100000000ULL, 0xac45a4010001a402ULL};
    limb_t raw[4], q[4];
    fr_to_raw(raw, k);
    divmod_ct(q, k0, raw, z2);
    /* q < r / z² < 2^128: q[2] = q[3] = 0 (mathematically; not asserted, secret). */
    k1[0] = q[0];
    k1[1] = q[1];
    tkms_wipe(raw, sizeof raw);
    tkms_wipe(q, sizeof q);
}

void scalar_split_gls(limb_t digits[4], const fr *k) {
    static const limb_t z_abs[2] = {0xd201000000010000ULL, 0};
    limb_t x[4], q[4], rem[2];
    fr_to_raw(x, k);
    for (int i = 0; i < 4; i++) {
        divmod_ct(q, rem, x, z_abs);
        digits[i] = rem[0];
        for (int j = 0; j < 4; j++) {
            x[j] = q[j];
        }
    }
    /* x = 0 now since k < r < |z|^4 (not asserted: it would branch on a secret). */
    tkms_wipe(x, sizeof x);
    tkms_wipe(q, sizeof q);
    tkms_wipe(rem, sizeof rem);
}
