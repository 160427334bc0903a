/*
 * ec_impl.h — the group law of a short Weierstrass curve y² = x³ + b (a = 0), written once
 * and instantiated for E1 over Fp (g1.c) and E2 over Fp2 (g2.c). Not a header to include
 * elsewhere: the includer defines
 *   EC_NAME(x)   name of an instantiated function (g1_##x / g2_##x)
 *   EC_POINT, EC_AFFINE, EC_F         point, affine point and field types
 *   F_ADD F_SUB F_DBL F_NEG F_MUL F_SQR F_INV F_CMOV F_IS_ZERO_MASK F_ZERO F_ONE
 *   F_MUL_B3     multiplication by 3b
 *   F_B          the constant b (for the curve equation)
 *
 * Points are homogeneous projective (X:Y:Z), identity (0:1:0). Addition and doubling are
 * the complete formulas of Renes, Costello and Batina (2016), Algorithms 7–9 for a = 0:
 * correct for every input pair (doubling, identity, P + (−P)) with no branch, which is
 * what makes the constant-time scalar multiplication simple (crypto.md §12). The one
 * exception is the fixed [|z|] chain (cofactor clearing, subgroup checks), which runs in
 * Jacobian coordinates with masks that keep it exact for every input and constant time.
 * Not here: curve-specific maps (φ, ψ), encodings, hashing, the pairing.
 */

void EC_NAME(identity_set)(EC_POINT *out) {
    F_ZERO(&out->x);
    out->y = F_ONE;
    F_ZERO(&out->z);
}

limb_t EC_NAME(is_identity_mask)(const EC_POINT *p) {
    return F_IS_ZERO_MASK(&p->z);
}

/* RCB Algorithm 7: complete addition, 12M + 2·mul_b3. */
void EC_NAME(add)(EC_POINT *out, const EC_POINT *p, const EC_POINT *q) {
    EC_F t0, t1, t2, t3, t4, x3, y3, z3;
    F_MUL(&t0, &p->x, &q->x);
    F_MUL(&t1, &p->y, &q->y);
    F_MUL(&t2, &p->z, &q->z);
    F_ADD(&t3, &p->x, &p->y);
    F_ADD(&t4, &q->x, &q->y);
    F_MUL(&t3, &t3, &t4);
    F_ADD(&t4, &t0, &t1);
    F_SUB(&t3, &t3, &t4);
    F_ADD(&t4, &p->y, &p->z);
    F_ADD(&x3, &q->y, &q->z);
    F_MUL(&t4, &t4, &x3);
    F_ADD(&x3, &t1, &t2);
    F_SUB(&t4, &t4, &x3);
    F_ADD(&x3, &p->x, &p->z);
    F_ADD(&y3, &q->x, &q->z);
    F_MUL(&x3, &x3, &y3);
    F_ADD(&y3, &t0, &t2);
    F_SUB(&y3, &x3, &y3);
    F_DBL(&x3, &t0);
    F_ADD(&t0, &x3, &t0);
    F_MUL_B3(&t2, &t2);
    F_ADD(&z3, &t1, &t2);
    F_SUB(&t1, &t1, &t2);
    F_MUL_B3(&y3, &y3);
    F_MUL(&x3, &t4, &y3);
    F_MUL(&t2, &t3, &t1);
    F_SUB(&x3, &t2, &x3);
    F_MUL(&y3, &y3, &t0);
    F_MUL(&t1, &t1, &z3);
    F_ADD(&y3, &t1, &y3);
    F_MUL(&t0, &t0, &t3);
    F_MUL(&z3, &z3, &t4);
    F_ADD(&z3, &z3, &t0);
    out->x = x3;
    out->y = y3;
    out->z = z3;
}

/* RCB Algorithm 8: mixed addition with an affine q (q is never the identity),
   11M + 2·mul_b3. Complete for every projective p. */
void EC_NAME(add_affine)(EC_POINT *out, const EC_POINT *p, const EC_AFFINE *q) {
    EC_F t0, t1, t2, t3, t4, x3, y3, z3;
    F_MUL(&t0, &p->x, &q->x);
    F_MUL(&t1, &p->y, &q->y);
    F_ADD(&t3, &q->x, &q->y);
    F_ADD(&t4, &p->x, &p->y);
    F_MUL(&t3, &t3, &t4);
    F_ADD(&t4, &t0, &t1);
    F_SUB(&t3, &t3, &t4);
    F_MUL(&t4, &q->y, &p->z);
    F_ADD(&t4, &t4, &p->y);
    F_MUL(&y3, &q->x, &p->z);
    F_ADD(&y3, &y3, &p->x);
    F_DBL(&x3, &t0);
    F_ADD(&t0, &x3, &t0);
    F_MUL_B3(&t2, &p->z);
    F_ADD(&z3, &t1, &t2);
    F_SUB(&t1, &t1, &t2);
    F_MUL_B3(&y3, &y3);
    F_MUL(&x3, &t4, &y3);
    F_MUL(&t2, &t3, &t1);
    F_SUB(&x3, &t2, &x3);
    F_MUL(&y3, &y3, &t0);
    F_MUL(&t1, &t1, &z3);
    F_ADD(&y3, &t1, &y3);
    F_MUL(&t0, &t0, &t3);
    F_MUL(&z3, &z3, &t4);
    F_ADD(&z3, &z3, &t0);
    out->x = x3;
    out->y = y3;
    out->z = z3;
}

/* RCB Algorithm 9: doubling, 6M + 2S + 1·mul_b3. */
void EC_NAME(dbl)(EC_POINT *out, const EC_POINT *p) {
    EC_F t0, t1, t2, x3, y3, z3;
    F_SQR(&t0, &p->y);
    F_DBL(&z3, &t0);
    F_DBL(&z3, &z3);
    F_DBL(&z3, &z3);
    F_MUL(&t1, &p->y, &p->z);
    F_SQR(&t2, &p->z);
    F_MUL_B3(&t2, &t2);
    F_MUL(&x3, &t2, &z3);
    F_ADD(&y3, &t0, &t2);
    F_MUL(&z3, &t1, &z3);
    F_DBL(&t1, &t2);
    F_ADD(&t2, &t1, &t2);
    F_SUB(&t0, &t0, &t2);
    F_MUL(&y3, &t0, &y3);
    F_ADD(&y3, &x3, &y3);
    F_MUL(&t1, &p->x, &p->y);
    F_MUL(&x3, &t0, &t1);
    F_DBL(&x3, &x3);
    out->x = x3;
    out->y = y3;
    out->z = z3;
}

void EC_NAME(neg_point)(EC_POINT *out, const EC_POINT *p) {
    out->x = p->x;
    F_NEG(&out->y, &p->y);
    out->z = p->z;
}

/* out = flag ? p : out, flag in {0, 1}. */
void EC_NAME(cmov)(EC_POINT *out, const EC_POINT *p, limb_t flag) {
    F_CMOV(&out->x, &p->x, flag);
    F_CMOV(&out->y, &p->y, flag);
    F_CMOV(&out->z, &p->z, flag);
}

/* Negates y when flag = 1 (constant time). */
static void EC_NAME(cneg)(EC_POINT *p, limb_t flag) {
    EC_F ny;
    F_NEG(&ny, &p->y);
    F_CMOV(&p->y, &ny, flag);
}

/* Equality of projective points: X1Z2 = X2Z1 and Y1Z2 = Y2Z1, with identities equal
   only to each other. */
limb_t EC_NAME(equal_mask)(const EC_POINT *p, const EC_POINT *q) {
    EC_F a, b, d;
    limb_t pz = F_IS_ZERO_MASK(&p->z), qz = F_IS_ZERO_MASK(&q->z);
    F_MUL(&a, &p->x, &q->z);
    F_MUL(&b, &q->x, &p->z);
    F_SUB(&d, &a, &b);
    limb_t eq = F_IS_ZERO_MASK(&d);
    F_MUL(&a, &p->y, &q->z);
    F_MUL(&b, &q->y, &p->z);
    F_SUB(&d, &a, &b);
    eq &= F_IS_ZERO_MASK(&d);
    return (pz & qz) | (~pz & ~qz & eq);
}

/* Y²Z = X³ + bZ³ (the identity (0:1:0) satisfies it; (0:0:0) does not). */
limb_t EC_NAME(is_on_curve_mask)(const EC_POINT *p) {
    EC_F lhs, rhs, t;
    F_SQR(&lhs, &p->y);
    F_MUL(&lhs, &lhs, &p->z);
    F_SQR(&rhs, &p->x);
    F_MUL(&rhs, &rhs, &p->x);
    F_SQR(&t, &p->z);
    F_MUL(&t, &t, &p->z);
    F_MUL(&t, &t, &F_B);
    F_ADD(&rhs, &rhs, &t);
    F_SUB(&t, &lhs, &rhs);
    limb_t all_zero = F_IS_ZERO_MASK(&p->x) & F_IS_ZERO_MASK(&p->y) & F_IS_ZERO_MASK(&p->z);
    return F_IS_ZERO_MASK(&t) & ~all_zero;
}

void EC_NAME(to_affine)(EC_AFFINE *out, const EC_POINT *p) {
    EC_F zinv;
    F_INV(&zinv, &p->z);
    F_MUL(&out->x, &p->x, &zinv);
    F_MUL(&out->y, &p->y, &zinv);
}

void EC_NAME(from_affine)(EC_POINT *out, const EC_AFFINE *a) {
    out->x = a->x;
    out->y = a->y;
    out->z = F_ONE;
}

/* [k]p for a public k (little-endian limbs), left to right double-and-add. */
void EC_NAME(mul_public_vartime)(EC_POINT *out, const EC_POINT *p, const limb_t *k,
                                 size_t k_limbs) {
    EC_POINT acc, base = *p;
    EC_NAME(identity_set)(&acc);
    for (size_t i = k_limbs; i-- > 0;) {
        for (int b = 63; b >= 0; b--) {
            EC_NAME(dbl)(&acc, &acc);
            if ((k[i] >> b) & 1) {
                EC_NAME(add)(&acc, &acc, &base);
            }
        }
    }
    *out = acc;
}

/* ---- [|z|]p in Jacobian coordinates ------------------------------------------------
 * [|z|]p, |z| = 0xd201000000010000, is 63 doublings and 5 additions of p: two chains are
 * most of hashing to G2, one or two most of a subgroup check. In Jacobian coordinates
 * (x = X/Z², y = Y/Z³) a doubling is 2M + 5S (dbl-2009-l) against 6M + 2S + 1·mul_b3 for
 * the complete projective one, so the chain runs there and converts at both ends.
 *
 * Exactness for EVERY p on the curve (the subgroup checks get attacker-chosen points, not
 * only hash outputs): dbl-2009-l is exact for every input (the identity Z = 0 and 2-torsion
 * Y = 0 give Z3 = 0). The additions are always acc + p, and add-2007-bl is exact except
 * for acc = p != O (H = r = 0, where it returns (0:0:0)). That case is reachable: acc = [m]p
 * with m ∈ {2, 12, 104, 53760, 230901736800256} before each addition, and [m]p = p iff
 * ord(p) | m − 1; on E2(Fp2) gcd(m − 1, #E2) = 1 for every m, but on E1(Fp) 11 | 12 − 1
 * and 3 | 230901736800256 − 1 both divide #E1 = h1·r, so points of order 11 or 3 reach it.
 * Rather than argue per curve, the addition detects it (H = r = 0 with both inputs finite)
 * and selects [2]p, computed once: it is also the chain's first doubling, so it costs
 * nothing. acc = −p gives H = 0, r != 0 and Z3 = 0 from the formula itself; identity
 * inputs are selected by mask. So mul_by_z_abs is exact for every input and, like the
 * projective formulas, constant time in p: no branch or index depends on it, only on the
 * bits of the public constant |z|. */
#define EC_JACOBIAN EC_NAME(jacobian)
#define EC_JACOBIAN_ADDEND EC_NAME(jacobian_addend)
typedef struct {
    EC_F x, y, z;
} EC_JACOBIAN;

/* The chain's addend p in Jacobian form with its Z², Z³ (each addition needs them) and
   [2]p (the sum in the one case the addition formula cannot compute, acc = p). */
typedef struct {
    EC_JACOBIAN p, p2;
    EC_F zz, zzz;
} EC_JACOBIAN_ADDEND;

static void EC_NAME(jacobian_cmov)(EC_JACOBIAN *out, const EC_JACOBIAN *p, limb_t flag) {
    F_CMOV(&out->x, &p->x, flag);
    F_CMOV(&out->y, &p->y, flag);
    F_CMOV(&out->z, &p->z, flag);
}

/* dbl-2009-l (a = 0), rearranged to save two additions: with B' = 2B = 2Y² and
   C' = B'² = 4C, D = 4XY² = (X + B')² − A − C' and 8C = 2C'. out may alias p. */
static void EC_NAME(jacobian_dbl)(EC_JACOBIAN *out, const EC_JACOBIAN *p) {
    EC_F a, b, c, d, e, f, t;
    F_SQR(&a, &p->x);
    F_SQR(&b, &p->y);
    F_DBL(&b, &b); /* B' = 2Y² */
    F_SQR(&c, &b); /* C' = 4Y⁴ */
    F_ADD(&d, &p->x, &b);
    F_SQR(&d, &d);
    F_SUB(&d, &d, &a);
    F_SUB(&d, &d, &c); /* D = 4XY² */
    F_DBL(&e, &a);
    F_ADD(&e, &e, &a); /* E = 3X² */
    F_SQR(&f, &e);
    F_MUL(&out->z, &p->y, &p->z);
    F_DBL(&out->z, &out->z); /* Z3 = 2YZ, before X and Y are overwritten */
    F_DBL(&t, &d);
    F_SUB(&out->x, &f, &t); /* X3 = E² − 2D */
    F_SUB(&t, &d, &out->x);
    F_MUL(&t, &e, &t);
    F_DBL(&c, &c);
    F_SUB(&out->y, &t, &c); /* Y3 = E(D − X3) − 8Y⁴ */
}

/* out = acc + q for the chain's addend q: add-2007-bl with q's Z² and Z³ cached, made
   exact for every input by masks (see above): acc = q → [2]q, acc = O → q, q = O → acc.
   out may alias acc. */
static void EC_NAME(jacobian_add_addend)(EC_JACOBIAN *out, const EC_JACOBIAN *acc,
                                         const EC_JACOBIAN_ADDEND *q) {
    EC_F z1z1, u1, u2, s1, s2, h, i, j, r, v;
    EC_JACOBIAN res;
    F_SQR(&z1z1, &acc->z);
    F_MUL(&u1, &acc->x, &q->zz);
    F_MUL(&u2, &q->p.x, &z1z1);
    F_MUL(&s1, &acc->y, &q->zzz);
    F_MUL(&s2, &q->p.y, &acc->z);
    F_MUL(&s2, &s2, &z1z1);
    F_SUB(&h, &u2, &u1);
    F_SUB(&r, &s2, &s1);
    limb_t same = F_IS_ZERO_MASK(&h) & F_IS_ZERO_MASK(&r); /* acc = q if both finite */
    F_DBL(&r, &r);
    F_DBL(&i, &h);
    F_SQR(&i, &i);
    F_MUL(&j, &h, &i);
    F_MUL(&v, &u1, &i);
    F_SQR(&res.x, &r);
    F_SUB(&res.x, &res.x, &j);
    F_SUB(&res.x, &res.x, &v);
    F_SUB(&res.x, &res.x, &v); /* X3 = r² − J − 2V */
    F_SUB(&v, &v, &res.x);
    F_MUL(&res.y, &r, &v);
    F_MUL(&s1, &s1, &j);
    F_DBL(&s1, &s1);
    F_SUB(&res.y, &res.y, &s1); /* Y3 = r(V − X3) − 2·S1·J */
    F_ADD(&res.z, &acc->z, &q->p.z);
    F_SQR(&res.z, &res.z);
    F_SUB(&res.z, &res.z, &z1z1);
    F_SUB(&res.z, &res.z, &q->zz);
    F_MUL(&res.z, &res.z, &h); /* Z3 = ((Z1 + Z2)² − Z1Z1 − Z2Z2)·H */
    limb_t acc_inf = F_IS_ZERO_MASK(&acc->z), q_inf = F_IS_ZERO_MASK(&q->p.z);
    EC_NAME(jacobian_cmov)(&res, &q->p2, same & ~acc_inf & ~q_inf & 1);
    EC_NAME(jacobian_cmov)(&res, &q->p, acc_inf & 1);
    EC_NAME(jacobian_cmov)(&res, acc, q_inf & 1);
    *out = res;
}

/* [|z|]p, exact for every p and constant time in p (see above). Projective (X : Y : Z) is
   Jacobian (XZ : YZ² : Z); Jacobian (X : Y : Z) is projective (XZ : Y : Z³), with a
   Z = 0 result written as the identity (0 : 1 : 0). */
void EC_NAME(mul_by_z_abs)(EC_POINT *out, const EC_POINT *p) {
    static const limb_t z_abs = 0xd201000000010000ULL;
    EC_JACOBIAN_ADDEND q;
    EC_JACOBIAN acc;
    EC_F zz;
    F_MUL(&q.p.x, &p->x, &p->z);
    F_SQR(&q.zz, &p->z);
    F_MUL(&q.p.y, &p->y, &q.zz);
    q.p.z = p->z;
    F_MUL(&q.zzz, &q.zz, &p->z);
    EC_NAME(jacobian_dbl)(&q.p2, &q.p);
    acc = q.p2; /* bit 63 is the leading 1: the chain starts at p, its first step is [2]p */
    for (int b = 62; b >= 0; b--) {
        if (b != 62) {
            EC_NAME(jacobian_dbl)(&acc, &acc);
        }
        if ((z_abs >> b) & 1) {
            EC_NAME(jacobian_add_addend)(&acc, &acc, &q);
        }
    }
    F_MUL(&out->x, &acc.x, &acc.z);
    out->y = acc.y;
    F_SQR(&zz, &acc.z);
    F_MUL(&out->z, &zz, &acc.z);
    EC_POINT identity;
    EC_NAME(identity_set)(&identity);
    EC_NAME(cmov)(out, &identity, F_IS_ZERO_MASK(&out->z) & 1);
}
#undef EC_JACOBIAN
#undef EC_JACOBIAN_ADDEND

/* ---- constant-time fixed-window scalar multiplication ------------------------------ */

/* Signed windows of EC_WINDOW bits (Booth recoding): digits in [−16, 16]. */
#define EC_WINDOW 5
#define EC_TABLE 16

/* table[i] = [i + 1]p for i = 0..15. */
static void EC_NAME(table_build)(EC_POINT table[EC_TABLE], const EC_POINT *p) {
    table[0] = *p;
    EC_NAME(dbl)(&table[1], p);
    for (size_t i = 2; i < EC_TABLE; i++) {
        EC_NAME(add)(&table[i], &table[i - 1], p);
    }
}

/* out = sign(d)·table[|d| − 1], or the identity for d = 0; reads every entry. */
static void EC_NAME(table_select)(EC_POINT *out, const EC_POINT table[EC_TABLE], limb_t digit,
                                  limb_t negative) {
    EC_NAME(identity_set)(out);
    for (size_t i = 0; i < EC_TABLE; i++) {
        limb_t hit = tkms_ct_is_zero_mask(digit ^ (limb_t)(i + 1)) & 1;
        EC_NAME(cmov)(out, &table[i], hit);
    }
    EC_NAME(cneg)(out, negative);
}

/* The Booth digit of window j of the little-endian scalar k (bits wj−1 … wj+w−1):
   d = ((v + 1) >> 1) − 2^w·(v >> w); returns |d| and sets *negative. */
static limb_t EC_NAME(booth_digit)(const limb_t *k, size_t k_limbs, size_t j, limb_t *negative) {
    size_t lo = j * EC_WINDOW; /* bit index of b_{wj}; window reads from lo − 1 */
    limb_t v = 0;
    for (size_t t = 0; t <= EC_WINDOW; t++) {
        size_t bit = lo + t; /* reads b_{lo-1+t} as bit t of v */
        limb_t b = 0;
        if (bit >= 1 && (bit - 1) / 64 < k_limbs) { /* public positions only */
            b = (k[(bit - 1) / 64] >> ((bit - 1) % 64)) & 1;
        }
        v |= b << t;
    }
    limb_t top = v >> EC_WINDOW;
    limb_t d = ((v + 1) >> 1) - (top << EC_WINDOW); /* two's complement if negative */
    limb_t neg_mask = 0 - top;
    /* top = 1 implies d <= 0; |d| = −d. top = 0 implies d >= 0. */
    limb_t abs = (d ^ neg_mask) - neg_mask;
    *negative = top & (tkms_ct_is_zero_mask(abs) ^ 1);
    return abs;
}

/*
 * Σ [k_i]·T_i[0] for m tables T_i (T_i[j] = [j + 1]T_i[0]) and m scalars of n_limbs
 * limbs each, sharing the doublings: ceil((64·n_limbs + 1)/5) windows, each 5 doublings
 * and m masked lookups and complete additions. Constant time in the scalars.
 */
static void EC_NAME(mul_tables_ct)(EC_POINT *out, const EC_POINT tables[][EC_TABLE], size_t m,
                                   const limb_t *scalars, size_t n_limbs) {
    size_t windows = (64 * n_limbs + 1 + EC_WINDOW - 1) / EC_WINDOW;
    EC_POINT acc, t;
    EC_NAME(identity_set)(&acc);
    for (size_t j = windows; j-- > 0;) {
        for (size_t d = 0; d < EC_WINDOW && j + 1 < windows; d++) {
            EC_NAME(dbl)(&acc, &acc);
        }
        for (size_t i = 0; i < m; i++) {
            limb_t negative;
            limb_t digit = EC_NAME(booth_digit)(scalars + i * n_limbs, n_limbs, j, &negative);
            EC_NAME(table_select)(&t, tables[i], digit, negative);
            EC_NAME(add)(&acc, &acc, &t);
        }
    }
    *out = acc;
    tkms_wipe(&t, sizeof t);
}
