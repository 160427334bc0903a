/*
 * poly.c — dealing polynomials and their Feldman commitments (crypto.md §6).
 *
 * A polynomial is secret: random coefficients come from the caller's tkms_rng, evaluation
 * is constant-time Horner, and it is wiped by tkms_tss_poly_wipe. Commitments c[k] = a[k]·g2
 * are public, so the share check and the public share (Σ c[k]·x^k, one MSM) are
 * variable time. The check compares s·g2, computed in constant time because s is secret.
 */
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "tss/tss.h"

_Static_assert(TKMS_TSS_THRESHOLD_MAX <= TKMS_BLS_MSM_COUNT_MAX, "public share MSM bound");

static void fr_random(tkms_bls_fr *out, const tkms_rng *rng) {
    uint8_t wide[64]; /* 512 bits reduced mod r: bias < 2^-256 */
    tkms_rng_fill(rng, wide, sizeof wide);
    tkms_bls_fr_decode_reduce(out, wide, sizeof wide);
    tkms_wipe(wide, sizeof wide);
}

TKMS_EXPORT tkms_err tkms_tss_poly_random(tkms_tss_poly *out, uint32_t t,
                                          const tkms_tss_secret *constant, const tkms_rng *rng) {
    if (t < 1 || t > TKMS_TSS_THRESHOLD_MAX) {
        tkms_tss_poly_wipe(out);
        return TKMS_ERR_TSS_BAD_THRESHOLD;
    }
    out->t = t;
    for (uint32_t k = 0; k < TKMS_TSS_THRESHOLD_MAX; k++) {
        tkms_bls_fr_from_u64(&out->a[k], 0);
    }
    for (uint32_t k = 0; k < t; k++) {
        fr_random(&out->a[k], rng);
    }
    if (constant != NULL) {
        out->a[0] = constant->v;
    }
    return TKMS_OK;
}

TKMS_EXPORT void tkms_tss_poly_eval(tkms_tss_secret *out, const tkms_tss_poly *f,
                                    const tkms_bls_fr *x) {
    TKMS_ASSERT(f->t >= 1 && f->t <= TKMS_TSS_THRESHOLD_MAX);
    tkms_bls_fr acc = f->a[f->t - 1];
    for (uint32_t k = f->t - 1; k-- > 0;) {
        tkms_bls_fr_mul(&acc, &acc, x);
        tkms_bls_fr_add(&acc, &acc, &f->a[k]);
    }
    out->v = acc;
    tkms_wipe(&acc, sizeof acc);
}

TKMS_EXPORT void tkms_tss_poly_commit(tkms_tss_commitments *out, const tkms_tss_poly *f) {
    TKMS_ASSERT(f->t >= 1 && f->t <= TKMS_TSS_THRESHOLD_MAX);
    tkms_bls_g2 g;
    tkms_bls_g2_generator(&g);
    out->t = f->t;
    for (uint32_t k = 0; k < f->t; k++) {
        tkms_bls_g2_mul(&out->c[k], &g, &f->a[k]);
    }
    for (uint32_t k = f->t; k < TKMS_TSS_THRESHOLD_MAX; k++) {
        tkms_bls_g2_identity(&out->c[k]);
    }
}

TKMS_EXPORT void tkms_tss_poly_wipe(tkms_tss_poly *f) {
    tkms_wipe(f, sizeof *f);
}

TKMS_EXPORT void tkms_tss_secret_wipe(tkms_tss_secret *s) {
    tkms_wipe(s, sizeof *s);
}

TKMS_EXPORT void tkms_tss_public_share_vartime(tkms_bls_g2 *out, const tkms_tss_commitments *c,
                                               const tkms_bls_fr *x) {
    tkms_bls_fr powers[TKMS_TSS_THRESHOLD_MAX];
    TKMS_ASSERT(c->t >= 1 && c->t <= TKMS_TSS_THRESHOLD_MAX);
    tkms_bls_fr_from_u64(&powers[0], 1);
    for (uint32_t k = 1; k < c->t; k++) {
        tkms_bls_fr_mul(&powers[k], &powers[k - 1], x);
    }
    tkms_err err = tkms_bls_g2_msm_vartime(out, c->c, powers, c->t);
    TKMS_ASSERT(err == TKMS_OK); /* t <= TKMS_TSS_THRESHOLD_MAX < TKMS_BLS_MSM_COUNT_MAX */
}

TKMS_EXPORT bool tkms_tss_share_verify_vartime(const tkms_tss_secret *s, const tkms_bls_fr *x,
                                               const tkms_tss_commitments *c) {
    tkms_bls_g2 lhs, rhs, g;
    if (c->t < 1 || c->t > TKMS_TSS_THRESHOLD_MAX) {
        return false;
    }
    tkms_bls_g2_generator(&g);
    tkms_bls_g2_mul(&lhs, &g, &s->v);
    tkms_tss_public_share_vartime(&rhs, c, x);
    return tkms_bls_g2_equal(&lhs, &rhs);
}
