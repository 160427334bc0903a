/*
 * pairing.c — the optimal ate Miller loop of BLS12-381 and the public pairing calls
 * (crypto.md §3).
 *
 * e(P, Q) = f_{|z|,Q}(P)^(p^6) raised to the final exponentiation (final_exp.c), where
 * |z| = 0xd201000000010000 and the conjugation (the p^6 power) accounts for z < 0.
 * T runs over the twist E2: y² = x³ + 4ξ (ξ = u + 1, M-type) in homogeneous projective
 * coordinates; each step returns the line through T (and Q) as three Fp2 coefficients,
 * scaled by factors in Fp2 that the final exponentiation kills (p^6 − 1 annihilates
 * every element of Fp6 ⊇ Fp2): doubling after Costello–Lange–Naehrig 2010 in the form of
 * Aranha–Barreto–Longa–Ricardini ("The realm of the pairings", 2013, §4.3), mixed
 * addition likewise. With the untwist (x', y') ↦ (x'·w⁻², y'·w⁻³) the line through a
 * point of slope λ' evaluated at P = (xP, yP) is, times w³ (w³ ∈ Fp4, also killed),
 *     −(y' − λ'x') + (−λ'·xP)·v + yP·(v·w)
 * — the sparse element "014" (coefficients of 1, v and v·w) that fp12_mul_by_014 takes.
 *
 * No inversion: P and Q stay projective. The line at P = (XP : YP : ZP) is the affine
 * line times ZP ∈ Fp, and the addition step with Q = (X2 : Y2 : Z2) is the mixed one with
 * xQ = X2/Z2, yQ = Y2/Z2 multiplied through by powers of Z2 ∈ Fp2 — all killed factors.
 *
 * Multi-pairing: all pairs share one accumulator f, hence one Fp12 squaring per step.
 * Pairs with P or Q the identity contribute exactly 1 without a branch: their points are
 * replaced by the generators and their lines by the constant 1 (masks), so the sequence
 * of operations depends only on the pair count (P may be secret: sk_id in IBE decryption,
 * crypto.md §8, §12). Not here: the final exponentiation (final_exp.c) and GT (gt.c).
 */
#include <string.h>

#include "bls/internal.h"

/* |z| of crypto.md §1; z itself is negative. */
#define PAIRING_Z_ABS 0xd201000000010000ULL
#define PAIRING_Z_ABS_TOP_BIT 63
/* Pairs processed per Miller loop pass: bounds the stack (no VLA, style R8). Larger
   products multiply the passes' results, each pass costing its own 62 squarings. */
#define PAIRING_CHUNK 8

_Static_assert(PAIRING_CHUNK <= TKMS_BLS_PAIRING_COUNT_MAX, "a full pass is a legal count");

/* One pair during the loop. P's values are stored pre-scaled so that each line
   coefficient costs one product. */
typedef struct {
    g2 t;          /* running multiple of Q, homogeneous projective */
    g2 q;          /* Q = (X2 : Y2 : Z2) */
    fp pz;         /* ZP (scales the constant coefficient) */
    fp px3, pny;   /* 3·XP, −YP (doubling line) */
    fp2 pnxz, pyz; /* −XP·Z2, YP·Z2 (addition line) */
    limb_t skip;   /* all-ones: the pair contributes 1 */
} pair_state;

/* a/2 mod p: add p when a is odd (selected by mask), then shift the (≤ 382-bit) sum. */
static void fp_halve(fp *out, const fp *a) {
    limb_t mask = tkms_ct_mask(a->l[0] & 1);
    limb_t t[6];
    limb_t carry = 0;
    for (size_t i = 0; i < 6; i++) {
        dlimb_t s = (dlimb_t)a->l[i] + (BLS_P[i] & mask) + carry;
        t[i] = (limb_t)s;
        carry = (limb_t)(s >> 64);
    }
    for (size_t i = 0; i < 5; i++) {
        out->l[i] = (t[i] >> 1) | (t[i + 1] << 63);
    }
    out->l[5] = (t[5] >> 1) | (carry << 63);
}

static void fp2_halve(fp2 *out, const fp2 *a) {
    fp_halve(&out->c0, &a->c0);
    fp_halve(&out->c1, &a->c1);
}

/* ---- sparse products ------------------------------------------------------------- */

/* a·(b0 + b1·v) in Fp6: 5 Fp2 products instead of 6. */
static void fp6_mul_by_01(fp6 *out, const fp6 *a, const fp2 *b0, const fp2 *b1) {
    fp2 t0, t1, s, u, c0, c1, c2;
    fp2_mul(&t0, &a->c0, b0);
    fp2_mul(&t1, &a->c1, b1);
    /* c0 = a0·b0 + ξ·a2·b1 */
    fp2_mul(&s, &a->c2, b1);
    fp2_mul_by_nonresidue(&s, &s);
    fp2_add(&c0, &t0, &s);
    /* c1 = (a0 + a1)(b0 + b1) − a0·b0 − a1·b1 */
    fp2_add(&s, &a->c0, &a->c1);
    fp2_add(&u, b0, b1);
    fp2_mul(&s, &s, &u);
    fp2_sub(&s, &s, &t0);
    fp2_sub(&c1, &s, &t1);
    /* c2 = a1·b1 + a2·b0 */
    fp2_mul(&s, &a->c2, b0);
    fp2_add(&c2, &s, &t1);
    out->c0 = c0;
    out->c1 = c1;
    out->c2 = c2;
}

/* a·(b1·v) in Fp6 = ξ·a2·b1 + a0·b1·v + a1·b1·v²: 3 Fp2 products. */
static void fp6_mul_by_1(fp6 *out, const fp6 *a, const fp2 *b1) {
    fp2 c0, c1, c2;
    fp2_mul(&c0, &a->c2, b1);
    fp2_mul_by_nonresidue(&c0, &c0);
    fp2_mul(&c1, &a->c0, b1);
    fp2_mul(&c2, &a->c1, b1);
    out->c0 = c0;
    out->c1 = c1;
    out->c2 = c2;
}

/*
 * out = a·ℓ for the line ℓ = (c0 + c1·v) + (c4·v)·w: Karatsuba over Fp6 with sparse
 * factors, 13 Fp2 products (a full Fp12 product takes 18).
 */
void fp12_mul_by_014(fp12 *out, const fp12 *a, const fp2 *c0, const fp2 *c1, const fp2 *c4) {
    fp6 t0, t1, s;
    fp2 c14;
    fp6_mul_by_01(&t0, &a->c0, c0, c1);
    fp6_mul_by_1(&t1, &a->c1, c4);
    fp2_add(&c14, c1, c4);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_mul_by_01(&s, &s, c0, &c14);
    fp6_sub(&s, &s, &t0);
    fp6_sub(&out->c1, &s, &t1);
    fp6_mul_by_nonresidue(&t1, &t1);
    fp6_add(&out->c0, &t0, &t1);
}

/* ---- line steps ------------------------------------------------------------------ */

/*
 * T ← 2T and the tangent at T, times ZP: ℓ = (3b'Z² − Y²)·ZP + 3X²·XP·v − 2YZ·YP·vw.
 * With A = XY/2, B = Y², C = Z², E = 3b'C, F = 3E, G = (B + F)/2, H = 2YZ:
 * X3 = A(B − F), Y3 = G² − 3E², Z3 = B·H (3M + 6S in Fp2).
 */
static void dbl_step(pair_state *s, fp2 *c0, fp2 *c1, fp2 *c4) {
    g2 *t = &s->t;
    fp2 a, b, c, e, f, g, h, j;
    fp2_mul(&a, &t->x, &t->y);
    fp2_halve(&a, &a);
    fp2_sqr(&b, &t->y);
    fp2_sqr(&c, &t->z);
    /* E = 3·4ξ·C */
    fp2_dbl(&e, &c);
    fp2_add(&e, &e, &c);
    fp2_mul_by_nonresidue(&e, &e);
    fp2_dbl(&e, &e);
    fp2_dbl(&e, &e);
    fp2_dbl(&f, &e);
    fp2_add(&f, &f, &e);
    fp2_add(&g, &b, &f);
    fp2_halve(&g, &g);
    fp2_add(&h, &t->y, &t->z);
    fp2_sqr(&h, &h);
    fp2_sub(&h, &h, &b);
    fp2_sub(&h, &h, &c);
    fp2_sqr(&j, &t->x);
    /* line */
    fp2_sub(c0, &e, &b);
    fp2_mul_fp(c0, c0, &s->pz);
    fp2_mul_fp(c1, &j, &s->px3);
    fp2_mul_fp(c4, &h, &s->pny);
    /* point */
    fp2_sub(&f, &b, &f);
    fp2_mul(&t->x, &a, &f);
    fp2_sqr(&e, &e);
    fp2_dbl(&f, &e);
    fp2_add(&e, &f, &e);
    fp2_sqr(&g, &g);
    fp2_sub(&t->y, &g, &e);
    fp2_mul(&t->z, &b, &h);
}

/*
 * T ← T + Q and the line through them, Q = (X2 : Y2 : Z2) projective. With
 * O = Y·Z2 − Y2·Z, L = X·Z2 − X2·Z, E = L³, G = X·Z2·L², H = E + Z·Z2·O² − 2G:
 * X3 = L·H, Y3 = O(G − H) − Y·Z2·E, Z3 = E·Z·Z2 (the mixed addition of Aranha et al.
 * with xQ = X2/Z2, yQ = Y2/Z2, scaled by Z2⁴), and the line times Z2²·ZP:
 * ℓ = (X2·O − Y2·L)·ZP − O·XP·Z2·v + L·YP·Z2·vw. 14M + 2S in Fp2.
 */
static void add_step(pair_state *s, fp2 *c0, fp2 *c1, fp2 *c4) {
    g2 *t = &s->t;
    const g2 *q = &s->q;
    fp2 xz, yz, zz, o, l, c, e, f, g, h, u;
    fp2_mul(&xz, &t->x, &q->z);
    fp2_mul(&yz, &t->y, &q->z);
    fp2_mul(&zz, &t->z, &q->z);
    fp2_mul(&o, &q->y, &t->z);
    fp2_sub(&o, &yz, &o);
    fp2_mul(&l, &q->x, &t->z);
    fp2_sub(&l, &xz, &l);
    fp2_sqr(&c, &o);
    fp2_sqr(&u, &l);
    fp2_mul(&e, &l, &u);
    fp2_mul(&f, &zz, &c);
    fp2_mul(&g, &xz, &u);
    fp2_add(&h, &e, &f);
    fp2_sub(&h, &h, &g);
    fp2_sub(&h, &h, &g);
    /* line */
    fp2_mul(c0, &q->x, &o);
    fp2_mul(&u, &q->y, &l);
    fp2_sub(c0, c0, &u);
    fp2_mul_fp(c0, c0, &s->pz);
    fp2_mul(c1, &o, &s->pnxz);
    fp2_mul(c4, &l, &s->pyz);
    /* point */
    fp2_mul(&t->x, &l, &h);
    fp2_sub(&g, &g, &h);
    fp2_mul(&g, &g, &o);
    fp2_mul(&u, &yz, &e);
    fp2_sub(&t->y, &g, &u);
    fp2_mul(&t->z, &zz, &e);
}

/*
 * Multiplies f by the line, or by 1 when the pair is skipped (the line is masked). When f
 * is still 1 (the first line of the loop; public control flow) f becomes the line itself.
 */
static void line_apply(fp12 *f, bool *f_is_one, const pair_state *s, fp2 *c0, fp2 *c1, fp2 *c4) {
    fp2 zero;
    fp2_zero(&zero);
    fp2_cmov(c0, &FP2_ONE, s->skip & 1);
    fp2_cmov(c1, &zero, s->skip & 1);
    fp2_cmov(c4, &zero, s->skip & 1);
    if (*f_is_one) {
        memset(f, 0, sizeof *f);
        f->c0.c0 = *c0;
        f->c0.c1 = *c1;
        f->c1.c1 = *c4;
        *f_is_one = false;
    } else {
        fp12_mul_by_014(f, f, c0, c1, c4);
    }
}

/* ---- the loop -------------------------------------------------------------------- */

/*
 * f = Π_k f_{|z|,Q_k}(P_k), conjugated (z < 0). Bits of |z| below the top one, left to
 * right: square f once, double every T, and add Q where the bit is set. The exponent is
 * a public constant, so these branches are on public data.
 */
static void miller_loop_states(fp12 *f, pair_state *st, size_t n) {
    TKMS_ASSERT(n >= 1 && n <= PAIRING_CHUNK);
    fp2 c0, c1, c4;
    bool f_is_one = true;
    fp12_one(f);
    for (int i = PAIRING_Z_ABS_TOP_BIT - 1; i >= 0; i--) {
        if (!f_is_one) {
            fp12_sqr(f, f);
        }
        for (size_t k = 0; k < n; k++) {
            dbl_step(&st[k], &c0, &c1, &c4);
            line_apply(f, &f_is_one, &st[k], &c0, &c1, &c4);
        }
        if ((PAIRING_Z_ABS >> i) & 1) {
            for (size_t k = 0; k < n; k++) {
                add_step(&st[k], &c0, &c1, &c4);
                line_apply(f, &f_is_one, &st[k], &c0, &c1, &c4);
            }
        }
    }
    fp12_conj(f, f);
}

/* Fills a state from projective P and Q (neither the identity) and the skip mask. */
static void state_init(pair_state *s, const g1 *p, const g2 *q, limb_t skip) {
    s->pz = p->z;
    fp_dbl(&s->px3, &p->x);
    fp_add(&s->px3, &s->px3, &p->x);
    fp_neg(&s->pny, &p->y);
    fp2_mul_fp(&s->pnxz, &q->z, &p->x);
    fp2_neg(&s->pnxz, &s->pnxz);
    fp2_mul_fp(&s->pyz, &q->z, &p->y);
    s->q = *q;
    s->t = *q;
    s->skip = skip;
}

void miller_loop_multi(fp12 *out, const g1_affine *ps, const g2_affine *qs, size_t count) {
    pair_state st[PAIRING_CHUNK];
    fp12 f;
    fp12_one(out);
    for (size_t base = 0; base < count; base += PAIRING_CHUNK) {
        size_t n = count - base < PAIRING_CHUNK ? count - base : PAIRING_CHUNK;
        for (size_t k = 0; k < n; k++) {
            g1 p = {ps[base + k].x, ps[base + k].y, FP_ONE};
            g2 q = {qs[base + k].x, qs[base + k].y, FP2_ONE};
            state_init(&st[k], &p, &q, 0);
            tkms_wipe(&p, sizeof p);
        }
        miller_loop_states(&f, st, n);
        fp12_mul(out, out, &f);
    }
    tkms_wipe(st, sizeof st);
    tkms_wipe(&f, sizeof f);
}

/*
 * Loads n ≤ PAIRING_CHUNK projective pairs: a pair with an identity point (Z = 0) is
 * replaced by (g1, g2) and marked skipped, by masks, so its lines become 1.
 */
static void states_load(pair_state *st, const g1 *ps, const g2 *qs, size_t n) {
    TKMS_ASSERT(n >= 1 && n <= PAIRING_CHUNK);
    for (size_t k = 0; k < n; k++) {
        limb_t skip = fp_is_zero_mask(&ps[k].z) | fp2_is_zero_mask(&qs[k].z);
        g1 p = ps[k];
        g2 q = qs[k];
        fp_cmov(&p.x, &G1_GENERATOR.x, skip & 1);
        fp_cmov(&p.y, &G1_GENERATOR.y, skip & 1);
        fp_cmov(&p.z, &G1_GENERATOR.z, skip & 1);
        fp2_cmov(&q.x, &G2_GENERATOR.x, skip & 1);
        fp2_cmov(&q.y, &G2_GENERATOR.y, skip & 1);
        fp2_cmov(&q.z, &G2_GENERATOR.z, skip & 1);
        state_init(&st[k], &p, &q, skip);
        tkms_wipe(&p, sizeof p);
    }
}

/* Miller loop over projective pairs, in passes of PAIRING_CHUNK. */
static void miller_loop_projective(fp12 *out, const g1 *ps, const g2 *qs, size_t count) {
    pair_state st[PAIRING_CHUNK];
    fp12 f;
    fp12_one(out);
    for (size_t base = 0; base < count; base += PAIRING_CHUNK) {
        size_t n = count - base < PAIRING_CHUNK ? count - base : PAIRING_CHUNK;
        states_load(st, &ps[base], &qs[base], n);
        miller_loop_states(&f, st, n);
        fp12_mul(out, out, &f);
    }
    tkms_wipe(st, sizeof st);
    tkms_wipe(&f, sizeof f);
}

TKMS_EXPORT void tkms_bls_pairing(tkms_bls_gt *out, const tkms_bls_g1 *p, const tkms_bls_g2 *q) {
    fp12 f;
    miller_loop_projective(&f, p, q, 1);
    final_exponentiation(&out->v, &f);
    tkms_wipe(&f, sizeof f);
}

TKMS_EXPORT tkms_err tkms_bls_pairing_multi(tkms_bls_gt *out, const tkms_bls_g1 *ps,
                                            const tkms_bls_g2 *qs, size_t count) {
    if (count > TKMS_BLS_PAIRING_COUNT_MAX) {
        memset(out, 0, sizeof *out);
        return TKMS_ERR_BLS_TOO_MANY;
    }
    if (count == 0) {
        fp12_one(&out->v); /* the empty product */
        return TKMS_OK;
    }
    TKMS_ASSERT(ps != NULL);
    TKMS_ASSERT(qs != NULL);
    fp12 f;
    miller_loop_projective(&f, ps, qs, count);
    final_exponentiation(&out->v, &f);
    tkms_wipe(&f, sizeof f);
    return TKMS_OK;
}
