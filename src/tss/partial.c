/*
 * partial.c — partial signatures on H1(id) and the client-side recovery of the app key
 * (crypto.md §4, §7).
 *
 * Node side: σ_j = s_j·H1(id) (constant time: s_j is the node's share). Client side:
 * each partial is checked against its operator's public share, so a bad operator is named
 * without any subset search; many partials are first checked together with random
 * 128-bit coefficients (one 2-pairing product), falling back to one-by-one only when the
 * batch fails. t verified partials combine by Lagrange interpolation in the exponent, and
 * the result is checked against the master public key before it is used.
 */
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "tss/tss.h"

TKMS_EXPORT tkms_err tkms_tss_h1(tkms_bls_g1 *out, const uint8_t *id, size_t id_len) {
    if (id_len == 0 || id_len > TKMS_TSS_ID_BYTES_MAX) {
        tkms_bls_g1_identity(out);
        return TKMS_ERR_TSS_BAD_ID;
    }
    static const char dst[] = TKMS_TSS_H1_DST;
    return tkms_bls_g1_hash(out, id, id_len, (const uint8_t *)dst, sizeof dst - 1);
}

TKMS_EXPORT void tkms_tss_partial_sign(tkms_bls_g1 *out, const tkms_tss_secret *share,
                                       const tkms_bls_g1 *h1) {
    tkms_bls_g1_mul(out, h1, &share->v);
}

/* e(a, −g2)·e(h, b) == 1, i.e. e(a, g2) == e(h, b). */
static bool pairing_check(const tkms_bls_g1 *a, const tkms_bls_g1 *h, const tkms_bls_g2 *b) {
    tkms_bls_g1 ps[2] = {*a, *h};
    tkms_bls_g2 qs[2];
    tkms_bls_gt out;
    tkms_bls_g2_generator(&qs[0]);
    tkms_bls_g2_neg(&qs[0], &qs[0]);
    qs[1] = *b;
    tkms_err err = tkms_bls_pairing_multi(&out, ps, qs, 2);
    TKMS_ASSERT(err == TKMS_OK);
    return tkms_bls_gt_is_one(&out);
}

TKMS_EXPORT bool tkms_tss_partial_verify_vartime(const tkms_bls_g1 *partial,
                                                 const tkms_bls_g1 *h1,
                                                 const tkms_bls_g2 *public_share) {
    if (tkms_bls_g1_is_identity(partial) || tkms_bls_g2_is_identity(public_share)) {
        return false;
    }
    return pairing_check(partial, h1, public_share);
}

/* One batch check: e(Σ r_i σ_i, g2) == e(H1, Σ r_i PK_i) for random 128-bit r_i. */
static bool batch_check(const tkms_bls_g1 *partials, const tkms_bls_g2 *public_shares,
                        size_t count, const tkms_bls_g1 *h1, const tkms_rng *rng) {
    tkms_bls_fr coeff[TKMS_TSS_OPERATORS_MAX];
    for (size_t i = 0; i < count; i++) {
        uint8_t r[16];
        tkms_rng_fill(rng, r, sizeof r);
        tkms_bls_fr_decode_reduce(&coeff[i], r, sizeof r);
        if (tkms_bls_g1_is_identity(&partials[i]) ||
            tkms_bls_g2_is_identity(&public_shares[i])) {
            return false;
        }
    }
    tkms_bls_g1 a;
    tkms_bls_g2 b;
    if (tkms_bls_g1_msm_vartime(&a, partials, coeff, count) != TKMS_OK ||
        tkms_bls_g2_msm_vartime(&b, public_shares, coeff, count) != TKMS_OK) {
        return false;
    }
    return pairing_check(&a, h1, &b);
}

TKMS_EXPORT size_t tkms_tss_partials_verify_batch_vartime(bool *ok, const tkms_bls_g1 *partials,
                                                          const tkms_bls_g2 *public_shares,
                                                          size_t count, const tkms_bls_g1 *h1,
                                                          const tkms_rng *rng) {
    TKMS_ASSERT(count <= TKMS_TSS_OPERATORS_MAX);
    if (count > 1 && batch_check(partials, public_shares, count, h1, rng)) {
        for (size_t i = 0; i < count; i++) {
            ok[i] = true;
        }
        return count;
    }
    size_t passed = 0;
    for (size_t i = 0; i < count; i++) {
        ok[i] = tkms_tss_partial_verify_vartime(&partials[i], h1, &public_shares[i]);
        passed += ok[i] ? 1 : 0;
    }
    return passed;
}

TKMS_EXPORT tkms_err tkms_tss_partials_combine(tkms_bls_g1 *sk, const tkms_bls_g1 *partials,
                                               const tkms_bls_fr *xs, size_t count) {
    tkms_bls_fr lambdas[TKMS_TSS_OPERATORS_MAX];
    tkms_bls_g1_identity(sk);
    if (count == 0) {
        return TKMS_ERR_TSS_NO_DEALERS;
    }
    tkms_err err = tkms_tss_lagrange_at_zero_vartime(lambdas, xs, count);
    if (err != TKMS_OK) {
        return err;
    }
    /* The MSM is variable time only in the public λ_j; the partials may be secret. */
    err = tkms_bls_g1_msm_vartime(sk, partials, lambdas, count);
    TKMS_ASSERT(err == TKMS_OK);
    if (tkms_bls_g1_is_identity(sk)) {
        return TKMS_ERR_TSS_IDENTITY_KEY;
    }
    return TKMS_OK;
}

TKMS_EXPORT bool tkms_tss_app_key_verify_vartime(const tkms_bls_g1 *sk, const tkms_bls_g1 *h1,
                                                 const tkms_bls_g2 *mpk) {
    if (tkms_bls_g1_is_identity(sk) || tkms_bls_g2_is_identity(mpk)) {
        return false;
    }
    return pairing_check(sk, h1, mpk);
}
