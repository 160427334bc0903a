/*
 * g2.c — the group G2 ⊂ E2(Fp2), E2: y² = x³ + 4(u + 1), the M-type sextic twist
 * (crypto.md §1).
 *
 * The group law comes from ec_impl.h. Specific to G2: the untwist–Frobenius–twist
 * endomorphism ψ, which acts as [z] on G2 — used for GLS scalar multiplication (four
 * 64-bit digits, constant time), Scott's subgroup test ψ(Q) = [z]Q (variable time) and
 * the cofactor clearing of hash-to-curve (h2c_g2.c).
 */
#include "bls/internal.h"

static void fp2_mul_b3(fp2 *out, const fp2 *a) {
    fp2 t;
    fp2_mul_by_nonresidue(&t, a); /* 3b = 12(u + 1) */
    fp2_mul_small(out, &t, 12);
}

#define EC_NAME(x) g2_##x
#define EC_POINT g2
#define EC_AFFINE g2_affine
#define EC_F fp2
#define F_ADD fp2_add
#define F_SUB fp2_sub
#define F_DBL fp2_dbl
#define F_NEG fp2_neg
#define F_MUL fp2_mul
#define F_SQR fp2_sqr
#define F_INV fp2_inv
#define F_CMOV fp2_cmov
#define F_IS_ZERO_MASK fp2_is_zero_mask
#define F_ZERO fp2_zero
#define F_ONE FP2_ONE
#define F_MUL_B3 fp2_mul_b3
#define F_B G2_B
#include "bls/ec_impl.h"
#include "bls/msm_impl.h"

/* ψ(X:Y:Z) = (cx·X^p : cy·Y^p : Z^p), X^p = conj(X). */
void g2_psi(g2 *out, const g2 *p) {
    fp2 t;
    fp2_conj(&t, &p->x);
    fp2_mul(&out->x, &t, &G2_PSI_CX);
    fp2_conj(&t, &p->y);
    fp2_mul(&out->y, &t, &G2_PSI_CY);
    fp2_conj(&out->z, &p->z);
}

TKMS_EXPORT void tkms_bls_g2_generator(tkms_bls_g2 *out) {
    *out = G2_GENERATOR;
}

TKMS_EXPORT void tkms_bls_g2_identity(tkms_bls_g2 *out) {
    g2_identity_set(out);
}

TKMS_EXPORT bool tkms_bls_g2_is_identity(const tkms_bls_g2 *p) {
    return (g2_is_identity_mask(p) & 1) != 0;
}

TKMS_EXPORT bool tkms_bls_g2_equal(const tkms_bls_g2 *a, const tkms_bls_g2 *b) {
    return (g2_equal_mask(a, b) & 1) != 0;
}

TKMS_EXPORT bool tkms_bls_g2_is_on_curve(const tkms_bls_g2 *p) {
    return (g2_is_on_curve_mask(p) & 1) != 0;
}

TKMS_EXPORT void tkms_bls_g2_add(tkms_bls_g2 *out, const tkms_bls_g2 *a, const tkms_bls_g2 *b) {
    g2_add(out, a, b);
}

TKMS_EXPORT void tkms_bls_g2_dbl(tkms_bls_g2 *out, const tkms_bls_g2 *a) {
    g2_dbl(out, a);
}

TKMS_EXPORT void tkms_bls_g2_neg(tkms_bls_g2 *out, const tkms_bls_g2 *a) {
    g2_neg_point(out, a);
}

/* Scott 2021: Q on E2 is in G2 iff ψ(Q) = [z]Q, i.e. ψ(Q) + [|z|]Q = O (z < 0).
   Q is attacker-chosen (decoders): mul_by_z_abs is exact for every point (ec_impl.h). */
TKMS_EXPORT bool tkms_bls_g2_in_group_vartime(const tkms_bls_g2 *p) {
    g2 t, f;
    if (!tkms_bls_g2_is_on_curve(p)) {
        return false;
    }
    g2_mul_by_z_abs(&t, p);
    g2_psi(&f, p);
    g2_add(&t, &t, &f);
    return tkms_bls_g2_is_identity(&t);
}

/* GLS: [|z|]Q = −ψ(Q) on G2, so [k]Q = Σ [k_i](−ψ)^i(Q) for k's base-|z| digits k_i. */
TKMS_EXPORT void tkms_bls_g2_mul(tkms_bls_g2 *out, const tkms_bls_g2 *p, const tkms_bls_fr *k) {
    g2 tables[4][16];
    limb_t digits[4];
    scalar_split_gls(digits, k);
    g2_table_build(tables[0], p);
    for (size_t i = 1; i < 4; i++) {
        for (size_t j = 0; j < 16; j++) {
            g2_psi(&tables[i][j], &tables[i - 1][j]);
            g2_neg_point(&tables[i][j], &tables[i][j]);
        }
    }
    g2_mul_tables_ct(out, tables, 4, digits, 1);
    tkms_wipe(digits, sizeof digits);
    tkms_wipe(tables, sizeof tables);
}

TKMS_EXPORT tkms_err tkms_bls_g2_msm_vartime(tkms_bls_g2 *out, const tkms_bls_g2 *points,
                                           const tkms_bls_fr *scalars, size_t count) {
    return g2_msm_vartime(out, points, scalars, count);
}
