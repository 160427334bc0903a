/*
 * h2c_g1.c — hashing to G1: suites BLS12381G1_XMD:SHA-256_SSWU_RO_ (hash_to_curve) and
 * _NU_ (encode_to_curve) of RFC 9380 (§3, §6.6.3, §8.8.1; crypto.md §4, which fixes H1).
 *
 * u = hash_to_field(msg) (xmd.c) → simplified SWU onto E1': y² = x³ + A'x + B', the
 * curve 11-isogenous to E1 → the 11-isogeny → cofactor clearing by h_eff = 1 − z. The
 * SWU map is the straight-line version of Appendix F.2 with the sqrt_ratio of F.2.1.2
 * (one exponentiation, by the fixed chain of h2c_constants.c), so nothing branches on
 * or indexes by the message: in tkms the message is an app id, public, but the code is
 * constant time anyway (crypto.md §12). No inversion anywhere: the SWU output stays a
 * fraction x = xn/xd, which is already a projective point, and the isogeny is evaluated
 * on homogeneous coordinates. For the random-oracle suite the two SWU points are added
 * on E1' first and the isogeny (a homomorphism) is applied once (RFC 9380 §6.6.3 allows
 * it). Points of E1' reuse the g1 struct; only functions in this file interpret them.
 */
#include "bls/internal.h"

/* 1 in the low bit and all-ones if a == b, else 0. */
static limb_t fp_eq_mask(const fp *a, const fp *b) {
    limb_t acc = 0;
    for (int i = 0; i < 6; i++) {
        acc |= a->l[i] ^ b->l[i]; /* both canonical (< p), so limb equality is equality */
    }
    return tkms_ct_is_zero_mask(acc);
}

/* out = a^k, k = (p − 11)/16, by the fixed sliding-window chain; *a2 = a². The chain is
   public, so the table index and the sequence of operations do not depend on a. */
static void fp_pow_k(fp *out, fp *a2, const fp *a) {
    fp table[1 << (H2C_SQRT_CHAIN_WINDOW - 1)]; /* table[i] = a^(2i + 1) */
    fp acc;
    fp_sqr(a2, a);
    table[0] = *a;
    for (size_t i = 1; i < sizeof table / sizeof table[0]; i++) {
        fp_mul(&table[i], &table[i - 1], a2);
    }
    TKMS_ASSERT(H2C_SQRT_CHAIN[0].sqr == 0);
    acc = table[H2C_SQRT_CHAIN[0].digit >> 1];
    for (size_t s = 1; s < H2C_SQRT_CHAIN_LEN; s++) {
        for (unsigned j = 0; j < H2C_SQRT_CHAIN[s].sqr; j++) {
            fp_sqr(&acc, &acc);
        }
        if (H2C_SQRT_CHAIN[s].digit != 0) {
            fp_mul(&acc, &acc, &table[H2C_SQRT_CHAIN[s].digit >> 1]);
        }
    }
    *out = acc;
}

/* sqrt_ratio of RFC 9380 Appendix F.2.1.2 (q = 3 mod 4): returns 1 and y = sqrt(u/v) if
   u/v is a square, else 0 and y = sqrt(Z·u/v). v != 0. With c1 = (p − 3)/4 = 4k + 2,
   tv1^c1 = (tv1^k)^4 · tv1². */
static limb_t fp_sqrt_ratio(fp *y, const fp *u, const fp *v) {
    fp tv1, tv2, tv3, y1, y2, sq;
    fp_sqr(&tv1, v);
    fp_mul(&tv2, u, v);
    fp_mul(&tv1, &tv1, &tv2); /* u·v³ */
    fp_pow_k(&y1, &sq, &tv1);
    fp_sqr(&y1, &y1);
    fp_sqr(&y1, &y1);
    fp_mul(&y1, &y1, &sq); /* (u·v³)^((p−3)/4) */
    fp_mul(&y1, &y1, &tv2);
    fp_mul(&y2, &y1, &H2C_G1_SQRT_MINUS_Z);
    fp_sqr(&tv3, &y1);
    fp_mul(&tv3, &tv3, v);
    limb_t is_qr = fp_eq_mask(&tv3, u) & 1;
    fp_cmov(&y2, &y1, is_qr);
    *y = y2;
    return is_qr;
}

/*
 * map_to_curve_simple_swu (Appendix F.2, straight-line) onto E1'. Returns the point as
 * (x_num : y·x_den : x_den), x_den = tv4 != 0 (A'·Z and A'·tv2 are never 0), so no
 * inversion. Step numbers are the RFC's.
 */
static void sswu_g1(g1 *out, const fp *u) {
    fp tv1, tv2, tv3, tv4, tv5, tv6, x, y, y1, neg;
    fp_sqr(&tv1, u);               /* 1 */
    fp_mul(&tv1, &tv1, &H2C_G1_Z); /* 2 */
    fp_sqr(&tv2, &tv1);            /* 3 */
    fp_add(&tv2, &tv2, &tv1);      /* 4 */
    fp_add(&tv3, &tv2, &FP_ONE);   /* 5 */
    fp_mul(&tv3, &tv3, &H2C_G1_B); /* 6 */
    fp_neg(&tv4, &tv2);            /* 7: tv2 != 0 ? −tv2 : Z */
    fp_cmov(&tv4, &H2C_G1_Z, fp_is_zero_mask(&tv2) & 1);
    fp_mul(&tv4, &tv4, &H2C_G1_A);                         /* 8 */
    fp_sqr(&tv2, &tv3);                                    /* 9 */
    fp_sqr(&tv6, &tv4);                                    /* 10 */
    fp_mul(&tv5, &tv6, &H2C_G1_A);                         /* 11 */
    fp_add(&tv2, &tv2, &tv5);                              /* 12 */
    fp_mul(&tv2, &tv2, &tv3);                              /* 13 */
    fp_mul(&tv6, &tv6, &tv4);                              /* 14 */
    fp_mul(&tv5, &tv6, &H2C_G1_B);                         /* 15 */
    fp_add(&tv2, &tv2, &tv5);                              /* 16 */
    fp_mul(&x, &tv1, &tv3);                                /* 17 */
    limb_t is_gx1_square = fp_sqrt_ratio(&y1, &tv2, &tv6); /* 18 */
    fp_mul(&y, &tv1, u);                                   /* 19 */
    fp_mul(&y, &y, &y1);                                   /* 20 */
    fp_cmov(&x, &tv3, is_gx1_square);                      /* 21 */
    fp_cmov(&y, &y1, is_gx1_square);                       /* 22 */
    limb_t e1 = (fp_sgn0(u) ^ fp_sgn0(&y) ^ 1) & 1;        /* 23 */
    fp_neg(&neg, &y);                                      /* 24 */
    fp_cmov(&neg, &y, e1);
    out->x = x; /* 25: x = x / tv4, kept as Z */
    fp_mul(&out->y, &neg, &tv4);
    out->z = tv4;
}

/* Complete addition on E1' (a = A' != 0): Renes–Costello–Batina 2016, Algorithm 1,
   12M + 3·m_a + 2·m_3b. Handles doubling and inverse pairs without a branch. */
static void iso_add_g1(g1 *out, const g1 *p, const g1 *q) {
    fp t0, t1, t2, t3, t4, t5, x3, y3, z3;
    fp_mul(&t0, &p->x, &q->x);
    fp_mul(&t1, &p->y, &q->y);
    fp_mul(&t2, &p->z, &q->z);
    fp_add(&t3, &p->x, &p->y);
    fp_add(&t4, &q->x, &q->y);
    fp_mul(&t3, &t3, &t4);
    fp_add(&t4, &t0, &t1);
    fp_sub(&t3, &t3, &t4);
    fp_add(&t4, &p->x, &p->z);
    fp_add(&t5, &q->x, &q->z);
    fp_mul(&t4, &t4, &t5);
    fp_add(&t5, &t0, &t2);
    fp_sub(&t4, &t4, &t5);
    fp_add(&t5, &p->y, &p->z);
    fp_add(&x3, &q->y, &q->z);
    fp_mul(&t5, &t5, &x3);
    fp_add(&x3, &t1, &t2);
    fp_sub(&t5, &t5, &x3);
    fp_mul(&z3, &H2C_G1_A, &t4);
    fp_mul(&x3, &H2C_G1_B3, &t2);
    fp_add(&z3, &x3, &z3);
    fp_sub(&x3, &t1, &z3);
    fp_add(&z3, &t1, &z3);
    fp_mul(&y3, &x3, &z3);
    fp_dbl(&t1, &t0);
    fp_add(&t1, &t1, &t0);
    fp_mul(&t2, &H2C_G1_A, &t2);
    fp_mul(&t4, &H2C_G1_B3, &t4);
    fp_add(&t1, &t1, &t2);
    fp_sub(&t2, &t0, &t2);
    fp_mul(&t2, &H2C_G1_A, &t2);
    fp_add(&t4, &t4, &t2);
    fp_mul(&t0, &t1, &t4);
    fp_add(&y3, &y3, &t0);
    fp_mul(&t0, &t5, &t4);
    fp_mul(&x3, &t3, &x3);
    fp_sub(&out->x, &x3, &t0);
    fp_mul(&t0, &t3, &t1);
    fp_mul(&z3, &t5, &z3);
    fp_add(&out->z, &z3, &t0);
    out->y = y3;
}

/* Σ k_i X^i Z^(deg − i) by Horner: the polynomial Σ k_i x^i (k has n coefficients, plus
   an implicit leading 1 at degree n if monic) homogenized to degree deg at x = X/Z.
   zp[j] = Z^j. */
static void iso_poly_g1(fp *out, const fp *k, size_t n, bool monic, const fp *x, const fp zp[16]) {
    size_t deg = monic ? n : n - 1;
    size_t i = n - 1; /* the first coefficient not yet in acc */
    fp acc, t;
    TKMS_ASSERT(n >= 2 && deg <= 15);
    acc = k[n - 1];
    if (monic) { /* public: which polynomial */
        fp_mul(&t, &k[n - 1], &zp[1]);
        fp_add(&acc, x, &t); /* X + k_(n−1)·Z */
    }
    while (i-- > 0) {
        fp_mul(&acc, &acc, x);
        fp_mul(&t, &k[i], &zp[deg - i]);
        fp_add(&acc, &acc, &t);
    }
    *out = acc;
}

/*
 * The 11-isogeny E1' → E1 of Appendix E.2 on a projective point (X : Y : Z). With x = X/Z:
 * x_num(x) = Nx/Z^11, x_den(x) = Dx/Z^10, y_num(x) = Ny/Z^15, y_den(x) = Dy/Z^15, so the
 * image is (Nx·Dy : Y·Ny·Dx : Z·Dx·Dy). A vanishing denominator (the kernel) or Z = 0
 * gives Z·Dx·Dy = 0, and the RFC's answer is the identity, which is then set explicitly.
 */
static void iso_map_g1(g1 *out, const g1 *p) {
    fp zp[16], nx, dx, ny, dy, t;
    zp[0] = FP_ONE;
    zp[1] = p->z;
    for (size_t j = 2; j < 16; j++) {
        fp_mul(&zp[j], &zp[j - 1], &p->z);
    }
    iso_poly_g1(&nx, H2C_G1_XNUM, 12, false, &p->x, zp);
    iso_poly_g1(&dx, H2C_G1_XDEN, 10, true, &p->x, zp);
    iso_poly_g1(&ny, H2C_G1_YNUM, 16, false, &p->x, zp);
    iso_poly_g1(&dy, H2C_G1_YDEN, 15, true, &p->x, zp);
    fp_mul(&out->x, &nx, &dy);
    fp_mul(&t, &p->y, &ny);
    fp_mul(&out->y, &t, &dx);
    fp_mul(&t, &p->z, &dx);
    fp_mul(&out->z, &t, &dy);
    g1 identity;
    g1_identity_set(&identity);
    g1_cmov(out, &identity, fp_is_zero_mask(&out->z) & 1);
}

void g1_map_to_curve(g1 *out, const fp *u) {
    g1 e;
    sswu_g1(&e, u);
    iso_map_g1(out, &e);
}

/* h_eff = 1 − z = 1 + |z| (RFC 9380 §8.8.1; z < 0): P + [|z|]P. */
void g1_clear_cofactor(g1 *out, const g1 *p) {
    g1 t;
    g1_mul_by_z_abs(&t, p);
    g1_add(out, &t, p);
}

TKMS_EXPORT tkms_err tkms_bls_g1_hash(tkms_bls_g1 *out, const uint8_t *msg, size_t msg_len,
                                      const uint8_t *dst, size_t dst_len) {
    fp u[2];
    g1 q0, q1;
    tkms_err err = fp_hash_to_field(u, 2, msg, msg_len, dst, dst_len);
    if (err != TKMS_OK) { /* lengths only: public */
        memset(out, 0, sizeof *out);
        return err;
    }
    sswu_g1(&q0, &u[0]);
    sswu_g1(&q1, &u[1]);
    iso_add_g1(&q0, &q0, &q1);
    iso_map_g1(&q0, &q0);
    g1_clear_cofactor(out, &q0);
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_bls_g1_encode_to_curve(tkms_bls_g1 *out, const uint8_t *msg,
                                                 size_t msg_len, const uint8_t *dst,
                                                 size_t dst_len) {
    fp u;
    g1 q;
    tkms_err err = fp_hash_to_field(&u, 1, msg, msg_len, dst, dst_len);
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    g1_map_to_curve(&q, &u);
    g1_clear_cofactor(out, &q);
    return TKMS_OK;
}
