/*
 * fr.c — the scalar field Fr (mod r): 4×64-bit limbs, Montgomery form (R = 2^256).
 *
 * Scalars are usually secrets (shares, coefficients, ρ), so everything here is constant
 * time except tkms_bls_fr_batch_inv_vartime, which is for public evaluation points.
 * Canonical decoding rejects values >= r; the reducing decoder is for hash outputs only.
 * Spec: crypto.md §2, §6, §12.
 */
#include "bls/internal.h"
#include "bls/limbs.h"

void fr_mul_mont(fr *out, const fr *a, const fr *b) {
    limbs_mont_mul(out->l, a->l, b->l, BLS_R, BLS_R_N0, 4);
}

void fr_to_raw(limb_t raw[4], const fr *a) {
    static const fr one_plain = {{1, 0, 0, 0}};
    fr t;
    fr_mul_mont(&t, a, &one_plain);
    for (int i = 0; i < 4; i++) {
        raw[i] = t.l[i];
    }
}

static void fr_from_raw(fr *out, const limb_t raw[4]) {
    fr t = {{raw[0], raw[1], raw[2], raw[3]}};
    fr_mul_mont(out, &t, &FR_R2);
}

static void load_be32(limb_t raw[4], const uint8_t in[32]) {
    for (int i = 0; i < 4; i++) {
        limb_t w = 0;
        for (int j = 0; j < 8; j++) {
            w = (w << 8) | in[(3 - i) * 8 + j];
        }
        raw[i] = w;
    }
}

TKMS_EXPORT tkms_err tkms_bls_fr_decode(tkms_bls_fr *out, const uint8_t in[TKMS_BLS_FR_BYTES]) {
    limb_t raw[4];
    load_be32(raw, in);
    limb_t ok = limbs_less_than(raw, BLS_R, 4);
    fr_from_raw(out, raw);
    limb_t keep = tkms_ct_mask(ok);
    for (int i = 0; i < 4; i++) {
        out->l[i] &= keep;
    }
    tkms_wipe(raw, sizeof raw);
    return ok ? TKMS_OK : TKMS_ERR_BLS_SCALAR_RANGE;
}

/*
 * Reduces a big-endian integer of up to 64 bytes: split into 32-byte halves hi, lo
 * (each < 2^256, not necessarily < r); reduce each by one conditional subtraction chain
 * (2^256 < 3r), then combine hi·2^256 + lo with Montgomery arithmetic.
 */
TKMS_EXPORT void tkms_bls_fr_decode_reduce(tkms_bls_fr *out, const uint8_t *in, size_t len) {
    TKMS_ASSERT(len <= 64);
    uint8_t buf[64] = {0};
    for (size_t i = 0; i < len; i++) {
        buf[64 - len + i] = in[i];
    }
    limb_t hi[4], lo[4];
    load_be32(hi, buf);
    load_be32(lo, buf + 32);
    for (int k = 0; k < 2; k++) { /* x < 2^256 < 3r: two conditional subtractions */
        limbs_cond_sub(hi, hi, BLS_R, 4);
        limbs_cond_sub(lo, lo, BLS_R, 4);
    }
    fr h, l;
    fr_from_raw(&h, hi);
    fr_from_raw(&l, lo);
    /* hi·2^256 mod r: multiply by the Montgomery form of (2^256 mod r). */
    fr two256;
    static const limb_t two256_mod_r_raw[4] = {0x00000001fffffffeULL, 0x5884b7fa00034802ULL,
                                               0x998c4fefecbc4ff5ULL, 0x1824b159acc5056fULL};
    fr_from_raw(&two256, two256_mod_r_raw);
    fr_mul_mont(&h, &h, &two256);
    limbs_add_mod(out->l, h.l, l.l, BLS_R, 4);
    tkms_wipe(buf, sizeof buf);
    tkms_wipe(hi, sizeof hi);
    tkms_wipe(lo, sizeof lo);
    tkms_wipe(&h, sizeof h);
    tkms_wipe(&l, sizeof l);
}

TKMS_EXPORT void tkms_bls_fr_encode(uint8_t out[TKMS_BLS_FR_BYTES], const tkms_bls_fr *a) {
    limb_t raw[4];
    fr_to_raw(raw, a);
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 8; j++) {
            out[(3 - i) * 8 + j] = (uint8_t)(raw[i] >> (56 - 8 * j));
        }
    }
    tkms_wipe(raw, sizeof raw);
}

TKMS_EXPORT void tkms_bls_fr_from_u64(tkms_bls_fr *out, uint64_t v) {
    limb_t raw[4] = {v, 0, 0, 0};
    limbs_cond_sub(raw, raw, BLS_R, 4);
    fr_from_raw(out, raw);
}

TKMS_EXPORT void tkms_bls_fr_add(tkms_bls_fr *out, const tkms_bls_fr *a, const tkms_bls_fr *b) {
    limbs_add_mod(out->l, a->l, b->l, BLS_R, 4);
}

TKMS_EXPORT void tkms_bls_fr_sub(tkms_bls_fr *out, const tkms_bls_fr *a, const tkms_bls_fr *b) {
    limbs_sub_mod(out->l, a->l, b->l, BLS_R, 4);
}

TKMS_EXPORT void tkms_bls_fr_neg(tkms_bls_fr *out, const tkms_bls_fr *a) {
    limbs_neg_mod(out->l, a->l, BLS_R, 4);
}

TKMS_EXPORT void tkms_bls_fr_mul(tkms_bls_fr *out, const tkms_bls_fr *a, const tkms_bls_fr *b) {
    fr_mul_mont(out, a, b);
}

/* a^(r-2): a fixed exponent, so the operation sequence never depends on a. */
TKMS_EXPORT void tkms_bls_fr_inv(tkms_bls_fr *out, const tkms_bls_fr *a) {
    static const limb_t r_minus_2[4] = {0xfffffffeffffffffULL, 0x53bda402fffe5bfeULL,
                                        0x3339d80809a1d805ULL, 0x73eda753299d7d48ULL};
    fr acc = FR_ONE;
    fr base = *a;
    for (int i = 3; i >= 0; i--) {
        for (int b = 63; b >= 0; b--) {
            fr_mul_mont(&acc, &acc, &acc);
            if ((r_minus_2[i] >> b) & 1) { /* public exponent bit */
                fr_mul_mont(&acc, &acc, &base);
            }
        }
    }
    *out = acc;
    tkms_wipe(&acc, sizeof acc);
    tkms_wipe(&base, sizeof base);
}

TKMS_EXPORT bool tkms_bls_fr_batch_inv_vartime(tkms_bls_fr *elems, tkms_bls_fr *scratch,
                                               size_t count) {
    if (count == 0) {
        return true;
    }
    fr acc = FR_ONE;
    for (size_t i = 0; i < count; i++) {
        if (tkms_bls_fr_is_zero(&elems[i])) {
            return false;
        }
        scratch[i] = acc; /* product of elems[0..i-1] */
        fr_mul_mont(&acc, &acc, &elems[i]);
    }
    fr inv;
    tkms_bls_fr_inv(&inv, &acc);
    for (size_t i = count; i-- > 0;) {
        fr e = elems[i];
        fr_mul_mont(&elems[i], &inv, &scratch[i]);
        fr_mul_mont(&inv, &inv, &e);
    }
    return true;
}

TKMS_EXPORT bool tkms_bls_fr_is_zero(const tkms_bls_fr *a) {
    return (limbs_is_zero_mask(a->l, 4) & 1) != 0;
}

TKMS_EXPORT bool tkms_bls_fr_equal(const tkms_bls_fr *a, const tkms_bls_fr *b) {
    limb_t acc = 0;
    for (int i = 0; i < 4; i++) {
        acc |= a->l[i] ^ b->l[i];
    }
    return (tkms_ct_is_zero_mask(acc) & 1) != 0;
}
