/*
 * h2c_g2.c — hashing to G2: suites BLS12381G2_XMD:SHA-256_SSWU_RO_ (hash_to_curve) and
 * _NU_ (encode_to_curve) of RFC 9380 (§3, §6.6.3, §8.8.2; crypto.md §4).
 *
 * u = hash_to_field(msg) over Fp2 (xmd.c) → simplified SWU onto E2': y² = x³ + 240u·x +
 * 1012(1 + u), 3-isogenous to E2 → the 3-isogeny → cofactor clearing by the ψ method of
 * Budroni–Pintore (RFC 9380 Appendix G.3). Like h2c_g1.c: straight-line SWU (Appendix
 * F.2), constant time, no inversion, and the RO suite adds the two SWU points on E2'
 * before one isogeny. The sqrt_ratio is the generic one of Appendix F.2.1.1 for
 * q = p² (2³ ‖ q − 1), whose exponent c3 = (p² − 9)/16 is ~758 bits; with
 * k = (p − 11)/16, c3 = k·p + 11k + 7 and x^p = conj(x), so a^c3 = conj(a^k)·(a^k)^11·a^7:
 * one 377-bit exponentiation (the chain shared with G1) plus a few products.
 * Points of E2' reuse the g2 struct; only functions in this file interpret them.
 */
#include "bls/internal.h"

/* 1 in the low bit and all-ones if a == 1, else 0 (both canonical). */
static limb_t fp2_is_one_mask(const fp2 *a) {
    limb_t acc = 0;
    for (int i = 0; i < 6; i++) {
        acc |= (a->c0.l[i] ^ FP2_ONE.c0.l[i]) | (a->c1.l[i] ^ FP2_ONE.c1.l[i]);
    }
    return tkms_ct_is_zero_mask(acc);
}

/* out = a^c3, c3 = (p² − 9)/16 = k·p + 11k + 7, k = (p − 11)/16, by the fixed chain for k
   (public: operations and table indices never depend on a). */
static void fp2_pow_c3(fp2 *out, const fp2 *a) {
    fp2 table[1 << (H2C_SQRT_CHAIN_WINDOW - 1)]; /* table[i] = a^(2i + 1) */
    fp2 acc, a2, t2, t;
    _Static_assert(H2C_SQRT_CHAIN_WINDOW >= 3, "a^7 is read from the table");
    fp2_sqr(&a2, a);
    table[0] = *a;
    for (size_t i = 1; i < sizeof table / sizeof table[0]; i++) {
        fp2_mul(&table[i], &table[i - 1], &a2);
    }
    TKMS_ASSERT(H2C_SQRT_CHAIN[0].sqr == 0);
    acc = table[H2C_SQRT_CHAIN[0].digit >> 1];
    for (size_t s = 1; s < H2C_SQRT_CHAIN_LEN; s++) {
        for (unsigned j = 0; j < H2C_SQRT_CHAIN[s].sqr; j++) {
            fp2_sqr(&acc, &acc);
        }
        if (H2C_SQRT_CHAIN[s].digit != 0) {
            fp2_mul(&acc, &acc, &table[H2C_SQRT_CHAIN[s].digit >> 1]);
        }
    }
    fp2_sqr(&t2, &acc);    /* t = a^k; t^11 = t^8·t^2·t */
    fp2_sqr(&t, &t2);      /* t^4 */
    fp2_sqr(&t, &t);       /* t^8 */
    fp2_mul(&t, &t, &t2);  /* t^10 */
    fp2_mul(&t, &t, &acc); /* t^11 */
    fp2_conj(&acc, &acc);  /* (a^k)^p */
    fp2_mul(&t, &t, &acc);
    fp2_mul(out, &t, &table[3]);
}

/*
 * sqrt_ratio of RFC 9380 Appendix F.2.1.1 with c1 = 3, c4 = 7, c5 = 4, c6 = Z^c2,
 * c7 = Z^((c2 + 1)/2): returns 1 and y = sqrt(u/v) if u/v is a square, else 0 and
 * y = sqrt(Z·u/v). v != 0. The loop of steps 17–26 is unrolled (i = 3, 2).
 */
static limb_t fp2_sqrt_ratio(fp2 *y, const fp2 *u, const fp2 *v) {
    fp2 tv1 = H2C_G2_C6, tv2, tv3, tv4, tv5;
    fp2_sqr(&tv3, v);
    fp2_mul(&tv2, &tv3, v);    /* v³ */
    fp2_sqr(&tv3, &tv3);       /* v⁴ */
    fp2_mul(&tv2, &tv2, &tv3); /* 2: tv2 = v^7 */
    fp2_sqr(&tv3, &tv2);       /* 3 */
    fp2_mul(&tv3, &tv3, v);    /* 4 */
    fp2_mul(&tv5, u, &tv3);    /* 5 */
    fp2_pow_c3(&tv5, &tv5);    /* 6 */
    fp2_mul(&tv5, &tv5, &tv2); /* 7 */
    fp2_mul(&tv2, &tv5, v);    /* 8 */
    fp2_mul(&tv3, &tv5, u);    /* 9 */
    fp2_mul(&tv4, &tv3, &tv2); /* 10 */
    fp2_sqr(&tv5, &tv4);
    fp2_sqr(&tv5, &tv5);                      /* 11: tv4^4 */
    limb_t is_qr = fp2_is_one_mask(&tv5) & 1; /* 12 */
    fp2_mul(&tv2, &tv3, &H2C_G2_C7);          /* 13 */
    fp2_mul(&tv5, &tv4, &tv1);                /* 14 */
    fp2_cmov(&tv2, &tv3, is_qr);              /* 15 */
    tv3 = tv2;
    fp2_cmov(&tv5, &tv4, is_qr); /* 16 */
    tv4 = tv5;
    for (unsigned i = 3; i >= 2; i--) { /* 17 */
        fp2_sqr(&tv5, &tv4);            /* 18–20: tv4^(2^(i−2)) */
        fp2_cmov(&tv5, &tv4, i == 2);
        limb_t e1 = fp2_is_one_mask(&tv5) & 1; /* 21 */
        fp2_mul(&tv2, &tv3, &tv1);             /* 22 */
        fp2_sqr(&tv1, &tv1);                   /* 23 */
        fp2_mul(&tv5, &tv4, &tv1);             /* 24 */
        fp2_cmov(&tv2, &tv3, e1);              /* 25 */
        tv3 = tv2;
        fp2_cmov(&tv5, &tv4, e1); /* 26 */
        tv4 = tv5;
    }
    *y = tv3;
    return is_qr;
}

/* map_to_curve_simple_swu (Appendix F.2, straight-line) onto E2', returned as
   (x_num : y·x_den : x_den) with x_den = tv4 != 0. Step numbers are the RFC's. */
static void sswu_g2(g2 *out, const fp2 *u) {
    fp2 tv1, tv2, tv3, tv4, tv5, tv6, x, y, y1, neg;
    fp2_sqr(&tv1, u);               /* 1 */
    fp2_mul(&tv1, &tv1, &H2C_G2_Z); /* 2 */
    fp2_sqr(&tv2, &tv1);            /* 3 */
    fp2_add(&tv2, &tv2, &tv1);      /* 4 */
    fp2_add(&tv3, &tv2, &FP2_ONE);  /* 5 */
    fp2_mul(&tv3, &tv3, &H2C_G2_B); /* 6 */
    fp2_neg(&tv4, &tv2);            /* 7: tv2 != 0 ? −tv2 : Z */
    fp2_cmov(&tv4, &H2C_G2_Z, fp2_is_zero_mask(&tv2) & 1);
    fp2_mul(&tv4, &tv4, &H2C_G2_A);                         /* 8 */
    fp2_sqr(&tv2, &tv3);                                    /* 9 */
    fp2_sqr(&tv6, &tv4);                                    /* 10 */
    fp2_mul(&tv5, &tv6, &H2C_G2_A);                         /* 11 */
    fp2_add(&tv2, &tv2, &tv5);                              /* 12 */
    fp2_mul(&tv2, &tv2, &tv3);                              /* 13 */
    fp2_mul(&tv6, &tv6, &tv4);                              /* 14 */
    fp2_mul(&tv5, &tv6, &H2C_G2_B);                         /* 15 */
    fp2_add(&tv2, &tv2, &tv5);                              /* 16 */
    fp2_mul(&x, &tv1, &tv3);                                /* 17 */
    limb_t is_gx1_square = fp2_sqrt_ratio(&y1, &tv2, &tv6); /* 18 */
    fp2_mul(&y, &tv1, u);                                   /* 19 */
    fp2_mul(&y, &y, &y1);                                   /* 20 */
    fp2_cmov(&x, &tv3, is_gx1_square);                      /* 21 */
    fp2_cmov(&y, &y1, is_gx1_square);                       /* 22 */
    limb_t e1 = (fp2_sgn0(u) ^ fp2_sgn0(&y) ^ 1) & 1;       /* 23 */
    fp2_neg(&neg, &y);                                      /* 24 */
    fp2_cmov(&neg, &y, e1);
    out->x = x; /* 25: x = x / tv4, kept as Z */
    fp2_mul(&out->y, &neg, &tv4);
    out->z = tv4;
}

/* Complete addition on E2' (a = A' != 0): Renes–Costello–Batina 2016, Algorithm 1. */
static void iso_add_g2(g2 *out, const g2 *p, const g2 *q) {
    fp2 t0, t1, t2, t3, t4, t5, x3, y3, z3;
    fp2_mul(&t0, &p->x, &q->x);
    fp2_mul(&t1, &p->y, &q->y);
    fp2_mul(&t2, &p->z, &q->z);
    fp2_add(&t3, &p->x, &p->y);
    fp2_add(&t4, &q->x, &q->y);
    fp2_mul(&t3, &t3, &t4);
    fp2_add(&t4, &t0, &t1);
    fp2_sub(&t3, &t3, &t4);
    fp2_add(&t4, &p->x, &p->z);
    fp2_add(&t5, &q->x, &q->z);
    fp2_mul(&t4, &t4, &t5);
    fp2_add(&t5, &t0, &t2);
    fp2_sub(&t4, &t4, &t5);
    fp2_add(&t5, &p->y, &p->z);
    fp2_add(&x3, &q->y, &q->z);
    fp2_mul(&t5, &t5, &x3);
    fp2_add(&x3, &t1, &t2);
    fp2_sub(&t5, &t5, &x3);
    fp2_mul(&z3, &H2C_G2_A, &t4);
    fp2_mul(&x3, &H2C_G2_B3, &t2);
    fp2_add(&z3, &x3, &z3);
    fp2_sub(&x3, &t1, &z3);
    fp2_add(&z3, &t1, &z3);
    fp2_mul(&y3, &x3, &z3);
    fp2_dbl(&t1, &t0);
    fp2_add(&t1, &t1, &t0);
    fp2_mul(&t2, &H2C_G2_A, &t2);
    fp2_mul(&t4, &H2C_G2_B3, &t4);
    fp2_add(&t1, &t1, &t2);
    fp2_sub(&t2, &t0, &t2);
    fp2_mul(&t2, &H2C_G2_A, &t2);
    fp2_add(&t4, &t4, &t2);
    fp2_mul(&t0, &t1, &t4);
    fp2_add(&y3, &y3, &t0);
    fp2_mul(&t0, &t5, &t4);
    fp2_mul(&x3, &t3, &x3);
    fp2_sub(&out->x, &x3, &t0);
    fp2_mul(&t0, &t3, &t1);
    fp2_mul(&z3, &t5, &z3);
    fp2_add(&out->z, &z3, &t0);
    out->y = y3;
}

/* Σ k_i X^i Z^(deg − i) by Horner (see iso_poly_g1 in h2c_g1.c); zp[j] = Z^j. */
static void iso_poly_g2(fp2 *out, const fp2 *k, size_t n, bool monic, const fp2 *x,
                        const fp2 zp[4]) {
    size_t deg = monic ? n : n - 1;
    size_t i = n - 1; /* the first coefficient not yet in acc */
    fp2 acc, t;
    TKMS_ASSERT(n >= 2 && deg <= 3);
    acc = k[n - 1];
    if (monic) { /* public: which polynomial */
        fp2_mul(&t, &k[n - 1], &zp[1]);
        fp2_add(&acc, x, &t); /* X + k_(n−1)·Z */
    }
    while (i-- > 0) {
        fp2_mul(&acc, &acc, x);
        fp2_mul(&t, &k[i], &zp[deg - i]);
        fp2_add(&acc, &acc, &t);
    }
    *out = acc;
}

/* The 3-isogeny E2' → E2 of Appendix E.3 on (X : Y : Z): with x_num = Nx/Z³,
   x_den = Dx/Z², y_num = Ny/Z³, y_den = Dy/Z³ the image is (Nx·Dy : Y·Ny·Dx : Z·Dx·Dy);
   the kernel and Z = 0 map to the identity, set explicitly. */
static void iso_map_g2(g2 *out, const g2 *p) {
    fp2 zp[4], nx, dx, ny, dy, t;
    zp[0] = FP2_ONE;
    zp[1] = p->z;
    fp2_sqr(&zp[2], &p->z);
    fp2_mul(&zp[3], &zp[2], &p->z);
    iso_poly_g2(&nx, H2C_G2_XNUM, 4, false, &p->x, zp);
    iso_poly_g2(&dx, H2C_G2_XDEN, 2, true, &p->x, zp);
    iso_poly_g2(&ny, H2C_G2_YNUM, 4, false, &p->x, zp);
    iso_poly_g2(&dy, H2C_G2_YDEN, 3, true, &p->x, zp);
    fp2_mul(&out->x, &nx, &dy);
    fp2_mul(&t, &p->y, &ny);
    fp2_mul(&out->y, &t, &dx);
    fp2_mul(&t, &p->z, &dx);
    fp2_mul(&out->z, &t, &dy);
    g2 identity;
    g2_identity_set(&identity);
    g2_cmov(out, &identity, fp2_is_zero_mask(&out->z) & 1);
}

void g2_map_to_curve(g2 *out, const fp2 *u) {
    g2 e;
    sswu_g2(&e, u);
    iso_map_g2(out, &e);
}

/*
 * clear_cofactor_bls12381_g2 (RFC 9380 Appendix G.3, Budroni–Pintore):
 * h_eff·P = [z² − z − 1]P + [z − 1]ψ(P) + ψ²(2P), with [z] = −[|z|] since z < 0.
 * g2_mul_by_z_abs is the Jacobian chain of ec_impl.h: exact for every point of E2 (P and
 * [z]P + ψ(P) here) and constant time, like the rest of this file.
 */
void g2_clear_cofactor(g2 *out, const g2 *p) {
    g2 t1, t2, t3;
    g2_mul_by_z_abs(&t1, p);
    g2_neg_point(&t1, &t1); /* 1: t1 = [z]P */
    g2_psi(&t2, p);         /* 2: t2 = ψ(P) */
    g2_dbl(&t3, p);         /* 3: t3 = 2P */
    g2_psi(&t3, &t3);
    g2_psi(&t3, &t3); /* 4: t3 = ψ²(2P) */
    g2_neg_point(&t2, &t2);
    g2_add(&t3, &t3, &t2); /* 5: t3 = t3 − ψ(P) */
    g2_neg_point(&t2, &t2);
    g2_add(&t2, &t1, &t2); /* 6: t2 = [z]P + ψ(P) */
    g2_mul_by_z_abs(&t2, &t2);
    g2_neg_point(&t2, &t2); /* 7: t2 = [z]t2 */
    g2_add(&t3, &t3, &t2);  /* 8 */
    g2_neg_point(&t1, &t1);
    g2_add(&t3, &t3, &t1); /* 9: t3 = t3 − t1 */
    g2_neg_point(&t1, p);
    g2_add(out, &t3, &t1); /* 10: Q = t3 − P */
}

TKMS_EXPORT tkms_err tkms_bls_g2_hash(tkms_bls_g2 *out, const uint8_t *msg, size_t msg_len,
                                      const uint8_t *dst, size_t dst_len) {
    fp2 u[2];
    g2 q0, q1;
    tkms_err err = fp2_hash_to_field(u, 2, msg, msg_len, dst, dst_len);
    if (err != TKMS_OK) { /* lengths only: public */
        memset(out, 0, sizeof *out);
        return err;
    }
    sswu_g2(&q0, &u[0]);
    sswu_g2(&q1, &u[1]);
    iso_add_g2(&q0, &q0, &q1);
    iso_map_g2(&q0, &q0);
    g2_clear_cofactor(out, &q0);
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_bls_g2_encode_to_curve(tkms_bls_g2 *out, const uint8_t *msg,
                                                 size_t msg_len, const uint8_t *dst,
                                                 size_t dst_len) {
    fp2 u;
    g2 q;
    tkms_err err = fp2_hash_to_field(&u, 1, msg, msg_len, dst, dst_len);
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    g2_map_to_curve(&q, &u);
    g2_clear_cofactor(out, &q);
    return TKMS_OK;
}
