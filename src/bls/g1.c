/*
 * g1.c — the group G1 ⊂ E1(Fp), E1: y² = x³ + 4 (crypto.md §1).
 *
 * The group law comes from ec_impl.h (complete projective formulas). Specific to G1:
 * the endomorphism φ(x, y) = (βx, y) = [−z²] on G1, used for GLV scalar multiplication
 * (constant time) and for Scott's subgroup test φ(P) = [−z²]P (variable time, public
 * input). Encodings are in encode.c, hashing in h2c_g1.c.
 */
#include "bls/internal.h"

static void fp_mul_b3(fp *out, const fp *a) {
    fp_mul_small(out, a, 12); /* 3b = 12 */
}

#define EC_NAME(x) g1_##x
#define EC_POINT g1
#define EC_AFFINE g1_affine
#define EC_F fp
#define F_ADD fp_add
#define F_SUB fp_sub
#define F_DBL fp_dbl
#define F_NEG fp_neg
#define F_MUL fp_mul
#define F_SQR fp_sqr
#define F_INV fp_inv
#define F_CMOV fp_cmov
#define F_IS_ZERO_MASK fp_is_zero_mask
#define F_ZERO fp_zero
#define F_ONE FP_ONE
#define F_MUL_B3 fp_mul_b3
#define F_B G1_B
#include "bls/ec_impl.h"
#include "bls/msm_impl.h"

void g1_phi(g1 *out, const g1 *p) {
    fp_mul(&out->x, &p->x, &G1_BETA);
    out->y = p->y;
    out->z = p->z;
}

TKMS_EXPORT void tkms_bls_g1_generator(tkms_bls_g1 *out) {
    *out = G1_GENERATOR;
}

TKMS_EXPORT void tkms_bls_g1_identity(tkms_bls_g1 *out) {
    g1_identity_set(out);
}

TKMS_EXPORT bool tkms_bls_g1_is_identity(const tkms_bls_g1 *p) {
    return (g1_is_identity_mask(p) & 1) != 0;
}

TKMS_EXPORT bool tkms_bls_g1_equal(const tkms_bls_g1 *a, const tkms_bls_g1 *b) {
    return (g1_equal_mask(a, b) & 1) != 0;
}

TKMS_EXPORT bool tkms_bls_g1_is_on_curve(const tkms_bls_g1 *p) {
    return (g1_is_on_curve_mask(p) & 1) != 0;
}

TKMS_EXPORT void tkms_bls_g1_add(tkms_bls_g1 *out, const tkms_bls_g1 *a, const tkms_bls_g1 *b) {
    g1_add(out, a, b);
}

TKMS_EXPORT void tkms_bls_g1_dbl(tkms_bls_g1 *out, const tkms_bls_g1 *a) {
    g1_dbl(out, a);
}

TKMS_EXPORT void tkms_bls_g1_neg(tkms_bls_g1 *out, const tkms_bls_g1 *a) {
    g1_neg_point(out, a);
}

/* Scott 2021: P on E1 is in G1 iff φ(P) = [−z²]P, i.e. φ(P) + [|z|]([|z|]P) = O.
   P is attacker-chosen (decoders): mul_by_z_abs is exact for every point of E1, also
   those of order 3 or 11 that meet its addition's doubling case (ec_impl.h). */
TKMS_EXPORT bool tkms_bls_g1_in_group_vartime(const tkms_bls_g1 *p) {
    g1 t, f;
    if (!tkms_bls_g1_is_on_curve(p)) {
        return false;
    }
    g1_mul_by_z_abs(&t, p);
    g1_mul_by_z_abs(&t, &t);
    g1_phi(&f, p);
    g1_add(&t, &t, &f);
    return tkms_bls_g1_is_identity(&t);
}

/* GLV: [k]P = [k0]P + [k1](−φ(P)), two 128-bit scalars, joint signed windows. */
TKMS_EXPORT void tkms_bls_g1_mul(tkms_bls_g1 *out, const tkms_bls_g1 *p, const tkms_bls_fr *k) {
    g1 tables[2][16];
    limb_t scalars[4];
    scalar_split_glv(&scalars[0], &scalars[2], k);
    g1_table_build(tables[0], p);
    for (size_t i = 0; i < 16; i++) {
        g1_phi(&tables[1][i], &tables[0][i]);
        g1_neg_point(&tables[1][i], &tables[1][i]);
    }
    g1_mul_tables_ct(out, tables, 2, scalars, 2);
    tkms_wipe(scalars, sizeof scalars);
    tkms_wipe(tables, sizeof tables);
}

TKMS_EXPORT tkms_err tkms_bls_g1_msm_vartime(tkms_bls_g1 *out, const tkms_bls_g1 *points,
                                           const tkms_bls_fr *scalars, size_t count) {
    return g1_msm_vartime(out, points, scalars, count);
}
