/*
 * gt.c — the target group GT ⊂ Fp12* of the pairing: identity, product, constant-time
 * power and the 576-byte encoding (crypto.md §2, §3, §12).
 *
 * GT has no decoder: values only come out of the pairing (GT is used as KDF input). The
 * encoding is gnark-crypto's E12.Bytes() order (crypto.md §2). The IBE cube convention of
 * crypto.md §3 is applied in exactly one place, tkms_bls_gt_encode_cubed.
 */
#include "bls/internal.h"

/* The power splits k into GT_POW_DIGITS base-|z| digits of at most 64 bits each and walks
   their bits jointly: one table entry per subset of the digits. */
#define GT_POW_DIGITS 4
#define GT_POW_TABLE_SIZE (1u << GT_POW_DIGITS)
#define GT_POW_DIGIT_BITS 64

TKMS_EXPORT void tkms_bls_gt_one(tkms_bls_gt *out) {
    fp12_one(&out->v);
}

TKMS_EXPORT bool tkms_bls_gt_is_one(const tkms_bls_gt *a) {
    return fp12_is_one(&a->v);
}

TKMS_EXPORT bool tkms_bls_gt_equal(const tkms_bls_gt *a, const tkms_bls_gt *b) {
    return fp12_equal(&a->v, &b->v);
}

TKMS_EXPORT void tkms_bls_gt_mul(tkms_bls_gt *out, const tkms_bls_gt *a, const tkms_bls_gt *b) {
    fp12_mul(&out->v, &a->v, &b->v);
}

/* out = table[index] reading every entry (masked select): no secret-dependent address. */
static void table_lookup(fp12 *out, const fp12 table[GT_POW_TABLE_SIZE], limb_t index) {
    fp12_one(out);
    for (limb_t j = 0; j < GT_POW_TABLE_SIZE; j++) {
        fp12_cmov(out, &table[j], tkms_ct_is_zero_mask(index ^ j) & 1);
    }
}

/*
 * table[m] = Π_{i ∈ m} b_i with b_i = a^(|z|^i). On GT, a^p = a^z (p ≡ z mod r), so
 * a^|z| = conj(frobenius(a)): the bases cost three Frobenius maps, the table 11 products.
 */
static void pow_table(fp12 table[GT_POW_TABLE_SIZE], const fp12 *a) {
    fp12 base[GT_POW_DIGITS];
    base[0] = *a;
    for (size_t i = 1; i < GT_POW_DIGITS; i++) {
        fp12_frobenius(&base[i], &base[i - 1], 1);
        fp12_conj(&base[i], &base[i]);
    }
    fp12_one(&table[0]);
    for (size_t m = 1; m < GT_POW_TABLE_SIZE; m++) {
        size_t low = (size_t)__builtin_ctz((unsigned)m); /* m is public: loop index */
        if (m == ((size_t)1 << low)) {
            table[m] = base[low];
        } else {
            fp12_mul(&table[m], &table[m & (m - 1)], &base[low]);
        }
    }
    tkms_wipe(base, sizeof base);
}

/*
 * a^k, k secret: k = Σ d_i·|z|^i with d_i < |z| < 2^64 (scalar_split_gls, constant
 * time), then a^k = Π b_i^(d_i) by joint square-and-multiply over the 64 bit positions:
 * per bit one cyclotomic squaring and one product with the table entry of the digits'
 * bits, read by masked lookup — the same operations for every k. Needs a ∈ GT (order r;
 * bls.h precondition) both for the cyclotomic squaring and for a^p = a^z.
 */
TKMS_EXPORT void tkms_bls_gt_pow(tkms_bls_gt *out, const tkms_bls_gt *a, const tkms_bls_fr *k) {
    fp12 table[GT_POW_TABLE_SIZE], acc, sel;
    limb_t digits[GT_POW_DIGITS];
    scalar_split_gls(digits, k);
    pow_table(table, &a->v);
    fp12_one(&acc);
    for (size_t bit = GT_POW_DIGIT_BITS; bit-- > 0;) {
        limb_t index = 0;
        for (size_t i = 0; i < GT_POW_DIGITS; i++) {
            index |= ((digits[i] >> bit) & 1) << i;
        }
        fp12_cyclotomic_sqr(&acc, &acc); /* squaring 1 is harmless */
        table_lookup(&sel, table, index);
        fp12_mul(&acc, &acc, &sel);
    }
    out->v = acc;
    tkms_wipe(table, sizeof table);
    tkms_wipe(&acc, sizeof acc);
    tkms_wipe(&sel, sizeof sel);
    tkms_wipe(digits, sizeof digits);
}

/* c1.c2.c1 ‖ c1.c2.c0 ‖ c1.c1.c1 ‖ … ‖ c0.c0.c0, 48-byte big-endian each (crypto.md §2). */
TKMS_EXPORT void tkms_bls_gt_encode(uint8_t out[TKMS_BLS_GT_BYTES], const tkms_bls_gt *a) {
    const fp6 *halves[2] = {&a->v.c1, &a->v.c0};
    size_t off = 0;
    for (size_t i = 0; i < 2; i++) {
        const fp2 *coeffs[3] = {&halves[i]->c2, &halves[i]->c1, &halves[i]->c0};
        for (size_t j = 0; j < 3; j++) {
            fp_to_bytes(&out[off], &coeffs[j]->c1);
            fp_to_bytes(&out[off + TKMS_BLS_FP_BYTES], &coeffs[j]->c0);
            off += 2 * TKMS_BLS_FP_BYTES;
        }
    }
    TKMS_ASSERT(off == TKMS_BLS_GT_BYTES);
}

/*
 * The encoding of a³: the GT value the IBE KDF consumes (crypto.md §3, §8). General Fp12
 * squaring, so the result is right even for an a outside GT.
 */
TKMS_EXPORT void tkms_bls_gt_encode_cubed(uint8_t out[TKMS_BLS_GT_BYTES], const tkms_bls_gt *a) {
    tkms_bls_gt cube;
    fp12_sqr(&cube.v, &a->v);
    fp12_mul(&cube.v, &cube.v, &a->v);
    tkms_bls_gt_encode(out, &cube);
    tkms_wipe(&cube, sizeof cube);
}
