/*
 * batch.c — checking many dealings for one player at once (crypto.md §6, protocol.md §4
 * step 3). For dealings C_i with shares s_i at the player's point x and random 128-bit
 * r_i:  (Σ r_i s_i)·g2 == Σ_k x^k·D_k  with  D_k = Σ_i r_i·C_ik.
 * That is t MSMs of `count` points with 128-bit scalars and one MSM of t points, instead
 * of `count` MSMs of t points with full scalars — about half the work at n = 30. A bad
 * dealing makes the combined check fail except with probability 2^-128; the fallback
 * then checks each dealing alone, so the caller learns exactly which dealers to not ack.
 */
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "tss/tss.h"

static bool combined_check(const tkms_tss_secret *shares, const tkms_tss_commitments *dealings,
                           size_t count, const tkms_bls_fr *x, const tkms_rng *rng) {
    tkms_bls_fr r[TKMS_TSS_OPERATORS_MAX], powers[TKMS_TSS_THRESHOLD_MAX];
    tkms_bls_g2 column[TKMS_TSS_OPERATORS_MAX], d[TKMS_TSS_THRESHOLD_MAX], rhs, lhs;
    tkms_bls_fr acc;
    uint32_t t = dealings[0].t;
    tkms_bls_fr_from_u64(&acc, 0);
    for (size_t i = 0; i < count; i++) {
        uint8_t wide[16];
        tkms_rng_fill(rng, wide, sizeof wide);
        tkms_bls_fr_decode_reduce(&r[i], wide, sizeof wide);
        tkms_bls_fr term;
        tkms_bls_fr_mul(&term, &r[i], &shares[i].v);
        tkms_bls_fr_add(&acc, &acc, &term);
        tkms_wipe(&term, sizeof term);
    }
    for (uint32_t k = 0; k < t; k++) {
        for (size_t i = 0; i < count; i++) {
            column[i] = dealings[i].c[k];
        }
        tkms_err err = tkms_bls_g2_msm_vartime(&d[k], column, r, count);
        TKMS_ASSERT(err == TKMS_OK);
    }
    tkms_bls_fr_from_u64(&powers[0], 1);
    for (uint32_t k = 1; k < t; k++) {
        tkms_bls_fr_mul(&powers[k], &powers[k - 1], x);
    }
    tkms_err err = tkms_bls_g2_msm_vartime(&rhs, d, powers, t);
    TKMS_ASSERT(err == TKMS_OK);
    tkms_bls_g2_generator(&lhs);
    tkms_bls_g2_mul(&lhs, &lhs, &acc);
    tkms_wipe(&acc, sizeof acc);
    return tkms_bls_g2_equal(&lhs, &rhs);
}

TKMS_EXPORT size_t tkms_tss_shares_verify_batch_vartime(bool *ok, const tkms_tss_secret *shares,
                                                        const tkms_tss_commitments *dealings,
                                                        size_t count, const tkms_bls_fr *x,
                                                        const tkms_rng *rng) {
    TKMS_ASSERT(count <= TKMS_TSS_OPERATORS_MAX);
    bool same_t = count > 1;
    for (size_t i = 0; i < count; i++) {
        same_t = same_t && dealings[i].t == dealings[0].t && dealings[i].t >= 1 &&
                 dealings[i].t <= TKMS_TSS_THRESHOLD_MAX;
    }
    if (same_t && combined_check(shares, dealings, count, x, rng)) {
        for (size_t i = 0; i < count; i++) {
            ok[i] = true;
        }
        return count;
    }
    size_t passed = 0;
    for (size_t i = 0; i < count; i++) {
        ok[i] = tkms_tss_share_verify_vartime(&shares[i], x, &dealings[i]);
        passed += ok[i] ? 1 : 0;
    }
    return passed;
}
