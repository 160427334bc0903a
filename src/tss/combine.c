/*
 * combine.c — turning the dealings of the agreed dealer set D into a player's share and
 * the combined commitments (crypto.md §6), with the checks of protocol.md I2 performed
 * before anything is returned: the share against the combined commitments, and for a
 * reshare the unchanged master key C'_0 == MPK. On any failure the outputs are zeroed,
 * so a caller cannot persist a share that failed (style R5).
 */
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "tss/tss.h"

static tkms_err fail(tkms_tss_secret *share, tkms_tss_commitments *combined, tkms_err err) {
    tkms_wipe(share, sizeof *share);
    tkms_wipe(combined, sizeof *combined);
    return err;
}

/* All dealings must have the same, valid t. */
static tkms_err check_dealings(const tkms_tss_commitments *dealings, size_t dealers) {
    if (dealers == 0) {
        return TKMS_ERR_TSS_NO_DEALERS;
    }
    if (dealers > TKMS_TSS_OPERATORS_MAX) {
        return TKMS_ERR_TSS_TOO_MANY;
    }
    uint32_t t = dealings[0].t;
    if (t < 1 || t > TKMS_TSS_THRESHOLD_MAX) {
        return TKMS_ERR_TSS_BAD_THRESHOLD;
    }
    for (size_t i = 1; i < dealers; i++) {
        if (dealings[i].t != t) {
            return TKMS_ERR_TSS_THRESHOLD_MISMATCH;
        }
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_tss_dkg_combine(tkms_tss_secret *share, tkms_tss_commitments *combined,
                                          const tkms_tss_secret *dealt,
                                          const tkms_tss_commitments *dealings, size_t dealers,
                                          const tkms_bls_fr *my_x) {
    tkms_err err = check_dealings(dealings, dealers);
    if (err != TKMS_OK) {
        return fail(share, combined, err);
    }
    *combined = dealings[0];
    share->v = dealt[0].v;
    for (size_t i = 1; i < dealers; i++) {
        tkms_bls_fr_add(&share->v, &share->v, &dealt[i].v);
        for (uint32_t k = 0; k < combined->t; k++) {
            tkms_bls_g2_add(&combined->c[k], &combined->c[k], &dealings[i].c[k]);
        }
    }
    if (!tkms_tss_share_verify_vartime(share, my_x, combined)) {
        return fail(share, combined, TKMS_ERR_TSS_SHARE_INVALID);
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_tss_reshare_combine(tkms_tss_secret *share,
                                              tkms_tss_commitments *combined,
                                              const tkms_tss_secret *dealt,
                                              const tkms_tss_commitments *dealings,
                                              const tkms_bls_fr *dealer_xs, size_t dealers,
                                              const tkms_bls_g2 *mpk, const tkms_bls_fr *my_x) {
    tkms_bls_fr lambdas[TKMS_TSS_OPERATORS_MAX];
    tkms_bls_g2 column[TKMS_TSS_OPERATORS_MAX];
    tkms_err err = check_dealings(dealings, dealers);
    if (err == TKMS_OK) {
        err = tkms_tss_lagrange_at_zero_vartime(lambdas, dealer_xs, dealers);
    }
    if (err != TKMS_OK) {
        return fail(share, combined, err);
    }
    tkms_bls_fr_from_u64(&share->v, 0);
    for (size_t i = 0; i < dealers; i++) {
        tkms_bls_fr term;
        tkms_bls_fr_mul(&term, &lambdas[i], &dealt[i].v);
        tkms_bls_fr_add(&share->v, &share->v, &term);
        tkms_wipe(&term, sizeof term);
    }
    combined->t = dealings[0].t;
    for (uint32_t k = 0; k < TKMS_TSS_THRESHOLD_MAX; k++) {
        tkms_bls_g2_identity(&combined->c[k]);
    }
    for (uint32_t k = 0; k < combined->t; k++) {
        for (size_t i = 0; i < dealers; i++) {
            column[i] = dealings[i].c[k];
        }
        err = tkms_bls_g2_msm_vartime(&combined->c[k], column, lambdas, dealers);
        TKMS_ASSERT(err == TKMS_OK);
    }
    if (!tkms_bls_g2_equal(&combined->c[0], mpk)) {
        return fail(share, combined, TKMS_ERR_TSS_MPK_CHANGED);
    }
    if (!tkms_tss_share_verify_vartime(share, my_x, combined)) {
        return fail(share, combined, TKMS_ERR_TSS_SHARE_INVALID);
    }
    return TKMS_OK;
}
