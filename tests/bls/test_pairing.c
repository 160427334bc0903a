/*
 * test_pairing.c — the optimal ate pairing and GT (src/bls/pairing.c, final_exp.c, gt.c):
 * a known answer from @noble/curves, bilinearity, order r, non-degeneracy, inverses,
 * identities, multi-pairing against products of single pairings, the constant-time GT
 * power, the encoding order of crypto.md §2, the sparse line product and cyclotomic
 * squaring against the general ones, and the IBE v1 vector's GT value (crypto.md §3, §8).
 */
#include "bls/internal.h"
#include "test_util.h"

static tu_rng rng;

/*
 * e(g1, g2) in the order of crypto.md §2 (c1.c2.c1 first), computed once with
 * @noble/curves 2.4.0 (node, from the repository root):
 *   import { bls12_381 as b } from '@noble/curves/bls12-381.js';
 *   const h = x => x.toString(16).padStart(96, '0');
 *   const enc = f => { let s = ''; for (const c of [f.c1, f.c0])
 *     for (const d of [c.c2, c.c1, c.c0]) s += h(d.c1) + h(d.c0); return s; };
 *   console.log(enc(b.pairing(b.G1.Point.BASE, b.G2.Point.BASE)));
 * (noble's own Fp12.toBytes writes c0 first — the reverse block order — so it is not
 * used here.) The cube is enc(b.fields.Fp12.pow(e, 3n)).
 */
static const char *const E_G1_G2_HEX =
    "0f41e58663bf08cf068672cbd01a7ec73baca4d72ca93544deff686bfd6df543"
    "d48eaa24afe47e1efde449383b67663104c581234d086a9902249b64728ffd21"
    "a189e87935a954051c7cdba7b3872629a4fafc05066245cb9108f0242d0fe3ef"
    "03350f55a7aefcd3c31b4fcb6ce5771cc6a0e9786ab5973320c806ad36082910"
    "7ba810c5a09ffdd9be2291a0c25a99a211b8b424cd48bf38fcef68083b0b0ec5"
    "c81a93b330ee1a677d0d15ff7b984e8978ef48881e32fac91b93b47333e2ba57"
    "06fba23eb7c5af0d9f80940ca771b6ffd5857baaf222eb95a7d2809d61bfe02e"
    "1bfd1b68ff02f0b8102ae1c2d5d5ab1a19f26337d205fb469cd6bd15c3d5a04d"
    "c88784fbb3d0b2dbdea54d43b2b73f2cbb12d58386a8703e0f948226e47ee89d"
    "018107154f25a764bd3c79937a45b84546da634b8f6be14a8061e55cceba478b"
    "23f7dacaa35c8ca78beae9624045b4b601b2f522473d171391125ba84dc4007c"
    "fbf2f8da752f7c74185203fcca589ac719c34dffbbaad8431dad1c1fb597aaa5"
    "193502b86edb8857c273fa075a50512937e0794e1e65a7617c90d8bd66065b1f"
    "ffe51d7a579973b1315021ec3c19934f1368bb445c7c2d209703f239689ce34c"
    "0378a68e72a6b3b216da0e22a5031b54ddff57309396b38c881c4c849ec23e87"
    "089a1c5b46e5110b86750ec6a532348868a84045483c92b7af5af689452eafab"
    "f1a8943e50439f1d59882a98eaa0170f1250ebd871fc0a92a7b2d83168d0d727"
    "272d441befa15c503dd8e90ce98db3e7b6d194f60839c508a84305aaca1789b6";

static void rand_fr(tkms_bls_fr *out) {
    uint8_t b[64];
    tu_rng_bytes(&rng, b, sizeof b);
    tkms_bls_fr_decode_reduce(out, b, sizeof b);
}

static void rand_g1(tkms_bls_g1 *out) {
    tkms_bls_fr k;
    rand_fr(&k);
    tkms_bls_g1_generator(out);
    tkms_bls_g1_mul(out, out, &k);
}

static void rand_g2(tkms_bls_g2 *out) {
    tkms_bls_fr k;
    rand_fr(&k);
    tkms_bls_g2_generator(out);
    tkms_bls_g2_mul(out, out, &k);
}

static void pair_gen(tkms_bls_gt *out) {
    tkms_bls_g1 p;
    tkms_bls_g2 q;
    tkms_bls_g1_generator(&p);
    tkms_bls_g2_generator(&q);
    tkms_bls_pairing(out, &p, &q);
}

/* a^e for a public exponent (little-endian limbs) by plain square and multiply: an
   oracle independent of the fixed-window code under test. */
static void fp12_pow_vartime(fp12 *out, const fp12 *a, const limb_t *e, size_t limbs) {
    fp12 acc;
    fp12_one(&acc);
    for (size_t i = limbs; i-- > 0;) {
        for (int b = 63; b >= 0; b--) {
            fp12_sqr(&acc, &acc);
            if ((e[i] >> b) & 1) {
                fp12_mul(&acc, &acc, a);
            }
        }
    }
    *out = acc;
}

static void test_known_answer(void **state) {
    (void)state;
    uint8_t expect[TKMS_BLS_GT_BYTES], got[TKMS_BLS_GT_BYTES];
    assert_int_equal(tu_unhex(expect, sizeof expect, E_G1_G2_HEX), TKMS_BLS_GT_BYTES);
    tkms_bls_gt e;
    pair_gen(&e);
    tkms_bls_gt_encode(got, &e);
    assert_memory_equal(got, expect, TKMS_BLS_GT_BYTES);
    /* the same value through the internal affine Miller loop */
    g1_affine pa = {G1_GENERATOR.x, G1_GENERATOR.y};
    g2_affine qa = {G2_GENERATOR.x, G2_GENERATOR.y};
    fp12 f;
    miller_loop_multi(&f, &pa, &qa, 1);
    final_exponentiation(&f, &f);
    assert_true(fp12_equal(&f, &e.v));
}

static void test_non_degenerate_and_order(void **state) {
    (void)state;
    tkms_bls_gt e, t;
    pair_gen(&e);
    assert_false(tkms_bls_gt_is_one(&e));
    /* e^r = 1 with an exponent oracle independent of gt_pow */
    fp12_pow_vartime(&t.v, &e.v, BLS_R, 4);
    assert_true(tkms_bls_gt_is_one(&t));
    /* and through gt_pow: e^(r−1)·e = 1 */
    tkms_bls_fr one, minus_one;
    tkms_bls_fr_from_u64(&one, 1);
    tkms_bls_fr_neg(&minus_one, &one);
    tkms_bls_gt_pow(&t, &e, &minus_one);
    assert_false(tkms_bls_gt_is_one(&t));
    tkms_bls_gt_mul(&t, &t, &e);
    assert_true(tkms_bls_gt_is_one(&t));
}

static void test_bilinearity(void **state) {
    (void)state;
    for (int i = 0; i < 3; i++) {
        tkms_bls_g1 p, ap, abp;
        tkms_bls_g2 q, bq, abq;
        tkms_bls_fr a, b, ab;
        tkms_bls_gt e, lhs, rhs, t;
        rand_g1(&p);
        rand_g2(&q);
        rand_fr(&a);
        rand_fr(&b);
        tkms_bls_fr_mul(&ab, &a, &b);
        tkms_bls_g1_mul(&ap, &p, &a);
        tkms_bls_g2_mul(&bq, &q, &b);
        tkms_bls_g1_mul(&abp, &p, &ab);
        tkms_bls_g2_mul(&abq, &q, &ab);
        tkms_bls_pairing(&e, &p, &q);
        tkms_bls_pairing(&lhs, &ap, &bq);
        tkms_bls_gt_pow(&rhs, &e, &ab);
        assert_true(tkms_bls_gt_equal(&lhs, &rhs));
        tkms_bls_pairing(&t, &abp, &q);
        assert_true(tkms_bls_gt_equal(&lhs, &t));
        tkms_bls_pairing(&t, &p, &abq);
        assert_true(tkms_bls_gt_equal(&lhs, &t));
        /* linearity in each argument: e(P + P', Q) = e(P, Q)·e(P', Q) */
        tkms_bls_g1 sum;
        tkms_bls_g1_add(&sum, &p, &ap);
        tkms_bls_pairing(&lhs, &sum, &q);
        tkms_bls_pairing(&t, &ap, &q);
        tkms_bls_gt_mul(&rhs, &e, &t);
        assert_true(tkms_bls_gt_equal(&lhs, &rhs));
        assert_false(tkms_bls_gt_is_one(&e));
    }
}

static void test_inverse_and_identity(void **state) {
    (void)state;
    tkms_bls_g1 p, np, o1;
    tkms_bls_g2 q, nq, o2;
    tkms_bls_gt e, t, u;
    rand_g1(&p);
    rand_g2(&q);
    tkms_bls_g1_neg(&np, &p);
    tkms_bls_g2_neg(&nq, &q);
    tkms_bls_pairing(&e, &p, &q);
    tkms_bls_pairing(&t, &np, &q);
    tkms_bls_gt_mul(&u, &e, &t);
    assert_true(tkms_bls_gt_is_one(&u));
    fp12_conj(&u.v, &e.v); /* the inverse in GT */
    assert_true(tkms_bls_gt_equal(&u, &t));
    tkms_bls_pairing(&u, &p, &nq);
    assert_true(tkms_bls_gt_equal(&u, &t));
    tkms_bls_pairing(&u, &np, &nq);
    assert_true(tkms_bls_gt_equal(&u, &e));
    /* identities contribute exactly 1 */
    tkms_bls_g1_identity(&o1);
    tkms_bls_g2_identity(&o2);
    tkms_bls_pairing(&u, &o1, &q);
    assert_true(tkms_bls_gt_is_one(&u));
    tkms_bls_pairing(&u, &p, &o2);
    assert_true(tkms_bls_gt_is_one(&u));
    tkms_bls_pairing(&u, &o1, &o2);
    assert_true(tkms_bls_gt_is_one(&u));
    /* a point with Z ≠ 1 (projective input) gives the same value */
    tkms_bls_g1 p2;
    tkms_bls_g2 q2;
    tkms_bls_g1_dbl(&p2, &p);
    tkms_bls_g1_add(&p2, &p2, &np); /* = P, with some other Z */
    tkms_bls_g2_dbl(&q2, &q);
    tkms_bls_g2_add(&q2, &q2, &nq);
    tkms_bls_pairing(&u, &p2, &q2);
    assert_true(tkms_bls_gt_equal(&u, &e));
}

#define MULTI_MAX 19

/* Π e(P_i, Q_i) computed one by one. */
static void product_of_singles(tkms_bls_gt *out, const tkms_bls_g1 *ps, const tkms_bls_g2 *qs,
                               size_t count) {
    tkms_bls_gt_one(out);
    for (size_t i = 0; i < count; i++) {
        tkms_bls_gt e;
        tkms_bls_pairing(&e, &ps[i], &qs[i]);
        tkms_bls_gt_mul(out, out, &e);
    }
}

static void test_multi(void **state) {
    (void)state;
    tkms_bls_g1 ps[MULTI_MAX];
    tkms_bls_g2 qs[MULTI_MAX];
    for (size_t i = 0; i < MULTI_MAX; i++) {
        rand_g1(&ps[i]);
        rand_g2(&qs[i]);
    }
    /* identity entries at fixed places: P only, Q only, both */
    tkms_bls_g1_identity(&ps[2]);
    tkms_bls_g2_identity(&qs[5]);
    tkms_bls_g1_identity(&ps[7]);
    tkms_bls_g2_identity(&qs[7]);
    /* counts 0..8, then across the 8-pair passes */
    static const size_t counts[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, MULTI_MAX};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        tkms_bls_gt got, want;
        assert_int_equal(tkms_bls_pairing_multi(&got, ps, qs, counts[c]), TKMS_OK);
        product_of_singles(&want, ps, qs, counts[c]);
        assert_true(tkms_bls_gt_equal(&got, &want));
    }
    /* a product that must cancel: e(P, Q)·e(−P, Q) = 1 (the batch-verification shape) */
    tkms_bls_g1 pp[2];
    tkms_bls_g2 qq[2];
    pp[0] = ps[0];
    tkms_bls_g1_neg(&pp[1], &ps[0]);
    qq[0] = qs[0];
    qq[1] = qs[0];
    tkms_bls_gt got;
    assert_int_equal(tkms_bls_pairing_multi(&got, pp, qq, 2), TKMS_OK);
    assert_true(tkms_bls_gt_is_one(&got));
    /* the internal affine Miller loop over several pairs agrees with the public call */
    g1_affine pa[3];
    g2_affine qa[3];
    tkms_bls_g1 pj[3] = {ps[0], ps[1], ps[3]};
    tkms_bls_g2 qj[3] = {qs[0], qs[1], qs[3]};
    for (size_t i = 0; i < 3; i++) {
        g1_to_affine(&pa[i], &pj[i]);
        g2_to_affine(&qa[i], &qj[i]);
    }
    fp12 f;
    miller_loop_multi(&f, pa, qa, 3);
    final_exponentiation(&f, &f);
    assert_int_equal(tkms_bls_pairing_multi(&got, pj, qj, 3), TKMS_OK);
    assert_true(fp12_equal(&f, &got.v));
}

static void test_multi_limits(void **state) {
    (void)state;
    static tkms_bls_g1 ps[TKMS_BLS_PAIRING_COUNT_MAX + 1];
    static tkms_bls_g2 qs[TKMS_BLS_PAIRING_COUNT_MAX + 1];
    tkms_bls_g1 p;
    tkms_bls_g2 q;
    tkms_bls_g1_generator(&p);
    tkms_bls_g2_generator(&q);
    for (size_t i = 0; i <= TKMS_BLS_PAIRING_COUNT_MAX; i++) {
        ps[i] = p;
        qs[i] = q;
        if (i % 2 == 1) {
            tkms_bls_g1_neg(&ps[i], &p);
        }
    }
    tkms_bls_gt got, zero;
    memset(&zero, 0, sizeof zero);
    /* the maximum count works (an even number of ±pairs cancels) */
    assert_int_equal(tkms_bls_pairing_multi(&got, ps, qs, TKMS_BLS_PAIRING_COUNT_MAX), TKMS_OK);
    assert_true(tkms_bls_gt_is_one(&got));
    /* one more is refused, and the output is zeroed */
    pair_gen(&got);
    assert_int_equal(tkms_bls_pairing_multi(&got, ps, qs, TKMS_BLS_PAIRING_COUNT_MAX + 1),
                     TKMS_ERR_BLS_TOO_MANY);
    assert_memory_equal(&got, &zero, sizeof zero);
    /* count 0 is the empty product */
    assert_int_equal(tkms_bls_pairing_multi(&got, NULL, NULL, 0), TKMS_OK);
    assert_true(tkms_bls_gt_is_one(&got));
}

static void test_gt_pow(void **state) {
    (void)state;
    tkms_bls_gt e, want, got;
    pair_gen(&e);
    /* small exponents against repeated multiplication */
    tkms_bls_gt_one(&want);
    for (uint64_t k = 0; k < 40; k++) {
        tkms_bls_fr kf;
        tkms_bls_fr_from_u64(&kf, k);
        tkms_bls_gt_pow(&got, &e, &kf);
        assert_true(tkms_bls_gt_equal(&got, &want));
        tkms_bls_gt_mul(&want, &want, &e);
    }
    /* random exponents against the vartime oracle and against the pairing of kP */
    for (int i = 0; i < 4; i++) {
        tkms_bls_fr k;
        rand_fr(&k);
        limb_t raw[4];
        fr_to_raw(raw, &k);
        tkms_bls_gt_pow(&got, &e, &k);
        fp12_pow_vartime(&want.v, &e.v, raw, 4);
        assert_true(tkms_bls_gt_equal(&got, &want));
        tkms_bls_g1 kp;
        tkms_bls_g2 q;
        tkms_bls_g1_generator(&kp);
        tkms_bls_g1_mul(&kp, &kp, &k);
        tkms_bls_g2_generator(&q);
        tkms_bls_pairing(&want, &kp, &q);
        assert_true(tkms_bls_gt_equal(&got, &want));
    }
    /* output aliasing the input */
    tkms_bls_fr two;
    tkms_bls_fr_from_u64(&two, 2);
    got = e;
    tkms_bls_gt_pow(&got, &got, &two);
    tkms_bls_gt_mul(&want, &e, &e);
    assert_true(tkms_bls_gt_equal(&got, &want));
}

static void test_gt_encode(void **state) {
    (void)state;
    uint8_t buf[TKMS_BLS_GT_BYTES], buf2[TKMS_BLS_GT_BYTES];
    tkms_bls_gt one, e, cube;
    /* 1 = c0.c0.c0 = 1: only the last 48-byte block is non-zero, and it reads 1 */
    tkms_bls_gt_one(&one);
    assert_true(tkms_bls_gt_is_one(&one));
    tkms_bls_gt_encode(buf, &one);
    for (size_t i = 0; i < TKMS_BLS_GT_BYTES - 1; i++) {
        assert_int_equal(buf[i], 0);
    }
    assert_int_equal(buf[TKMS_BLS_GT_BYTES - 1], 1);
    tkms_bls_gt_encode_cubed(buf2, &one);
    assert_memory_equal(buf, buf2, sizeof buf);
    /* block order: put distinct small integers in every coefficient */
    tkms_bls_gt x;
    fp2 *c[6] = {&x.v.c0.c0, &x.v.c0.c1, &x.v.c0.c2, &x.v.c1.c0, &x.v.c1.c1, &x.v.c1.c2};
    for (size_t i = 0; i < 6; i++) {
        fp_from_u64(&c[i]->c0, 100 + 10 * i);     /* cI.cJ.c0 */
        fp_from_u64(&c[i]->c1, 100 + 10 * i + 1); /* cI.cJ.c1 */
    }
    tkms_bls_gt_encode(buf, &x);
    /* expected blocks: c1.c2.c1 (151), c1.c2.c0 (150), c1.c1.c1 (141), …, c0.c0.c0 (100) */
    static const uint8_t order[12] = {151, 150, 141, 140, 131, 130, 121, 120, 111, 110, 101, 100};
    for (size_t b = 0; b < 12; b++) {
        for (size_t i = 0; i < 47; i++) {
            assert_int_equal(buf[48 * b + i], 0);
        }
        assert_int_equal(buf[48 * b + 47], order[b]);
    }
    /* encode_cubed(a) = encode(a³), and differs from encode(a) */
    pair_gen(&e);
    tkms_bls_gt_mul(&cube, &e, &e);
    tkms_bls_gt_mul(&cube, &cube, &e);
    tkms_bls_gt_encode(buf, &cube);
    tkms_bls_gt_encode_cubed(buf2, &e);
    assert_memory_equal(buf, buf2, sizeof buf);
    tkms_bls_gt_encode(buf, &e);
    assert_memory_not_equal(buf, buf2, sizeof buf);
    /* the cube of e(g1, g2), as noble computes it (Fp12.pow(e, 3n), same order) */
    static const char *const cube_prefix = "18b2db6b3286baea116ccad8f5554d170a69b329a6de5b24";
    uint8_t prefix[24];
    assert_int_equal(tu_unhex(prefix, sizeof prefix, cube_prefix), 24);
    assert_memory_equal(buf2, prefix, sizeof prefix);
}

/* Random element of GT-like shape: the easy part of the final exponentiation applied to a
   random Fp12 lands in the cyclotomic subgroup. */
static void rand_cyclotomic(fp12 *out) {
    fp12 a, t;
    fp2 *c[6] = {&a.c0.c0, &a.c0.c1, &a.c0.c2, &a.c1.c0, &a.c1.c1, &a.c1.c2};
    for (size_t i = 0; i < 6; i++) {
        uint8_t b[64];
        tu_rng_bytes(&rng, b, sizeof b);
        fp_from_bytes64_reduce(&c[i]->c0, b);
        tu_rng_bytes(&rng, b, sizeof b);
        fp_from_bytes64_reduce(&c[i]->c1, b);
    }
    fp12_conj(&t, &a);
    fp12_inv(&a, &a);
    fp12_mul(&t, &t, &a);
    fp12_frobenius(&a, &t, 2);
    fp12_mul(out, &a, &t);
}

static void test_building_blocks(void **state) {
    (void)state;
    for (int i = 0; i < 20; i++) {
        fp12 a, s1, s2, line, m1, m2;
        rand_cyclotomic(&a);
        fp12_sqr(&s1, &a);
        fp12_cyclotomic_sqr(&s2, &a);
        assert_true(fp12_equal(&s1, &s2));
        fp12_cyclotomic_sqr(&a, &a); /* aliasing */
        assert_true(fp12_equal(&a, &s1));
        /* sparse line product against the full product with the same element */
        fp2 c0, c1, c4;
        c0 = a.c1.c2;
        c1 = a.c0.c1;
        c4 = a.c1.c0;
        memset(&line, 0, sizeof line);
        line.c0.c0 = c0;
        line.c0.c1 = c1;
        line.c1.c1 = c4;
        fp12_mul(&m1, &s2, &line);
        fp12_mul_by_014(&m2, &s2, &c0, &c1, &c4);
        assert_true(fp12_equal(&m1, &m2));
        fp12_mul_by_014(&s2, &s2, &c0, &c1, &c4); /* aliasing */
        assert_true(fp12_equal(&m1, &s2));
    }
}

/* ---- IBE v1 vector (tests/vectors/ibe/ibe_v1.json, copied from shared/vectors) ---- */

/* Copies the string value of the next "key": "…" after *pos into out (hex), advancing *pos. */
static void json_next_string(char *out, size_t out_max, const char *json, size_t *pos,
                             const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\": \"", key);
    const char *at = strstr(json + *pos, pattern);
    assert_non_null(at);
    at += strlen(pattern);
    const char *end = strchr(at, '"');
    assert_non_null(end);
    size_t n = (size_t)(end - at);
    assert_true(n < out_max);
    memcpy(out, at, n);
    out[n] = 0;
    *pos = (size_t)(end - json);
}

static void test_ibe_vector(void **state) {
    (void)state;
    size_t len = 0;
    char *json = (char *)tu_read_file("tests/vectors/ibe/ibe_v1.json", &len);
    static char hex[2 * 1024];
    uint8_t mpk_bytes[TKMS_BLS_G2_BYTES], sk_bytes[TKMS_BLS_G1_BYTES], h1_bytes[TKMS_BLS_G1_BYTES];
    uint8_t gt_bytes[TKMS_BLS_GT_BYTES], rho_bytes[TKMS_BLS_FR_BYTES], got[TKMS_BLS_GT_BYTES];
    size_t pos = 0;
    json_next_string(hex, sizeof hex, json, &pos, "mpk");
    assert_int_equal(tu_unhex(mpk_bytes, sizeof mpk_bytes, hex), TKMS_BLS_G2_BYTES);
    tkms_bls_g2 mpk;
    assert_int_equal(tkms_bls_g2_decode(&mpk, mpk_bytes), TKMS_OK);
    /* The "ibe" cases use the ids of the first two "h1" entries, in order. */
    size_t h1_pos = 0, ibe_pos = (size_t)(strstr(json, "\"ibe\"") - json);
    for (int c = 0; c < 2; c++) {
        json_next_string(hex, sizeof hex, json, &h1_pos, "h1");
        assert_int_equal(tu_unhex(h1_bytes, sizeof h1_bytes, hex), TKMS_BLS_G1_BYTES);
        json_next_string(hex, sizeof hex, json, &h1_pos, "app_private_key");
        assert_int_equal(tu_unhex(sk_bytes, sizeof sk_bytes, hex), TKMS_BLS_G1_BYTES);
        json_next_string(hex, sizeof hex, json, &ibe_pos, "rho");
        assert_int_equal(tu_unhex(rho_bytes, sizeof rho_bytes, hex), TKMS_BLS_FR_BYTES);
        json_next_string(hex, sizeof hex, json, &ibe_pos, "gt_bytes");
        assert_int_equal(tu_unhex(gt_bytes, sizeof gt_bytes, hex), TKMS_BLS_GT_BYTES);
        tkms_bls_g1 qid, sk;
        tkms_bls_fr rho;
        assert_int_equal(tkms_bls_g1_decode(&qid, h1_bytes), TKMS_OK);
        assert_int_equal(tkms_bls_g1_decode(&sk, sk_bytes), TKMS_OK);
        assert_int_equal(tkms_bls_fr_decode(&rho, rho_bytes), TKMS_OK);
        /* encryptor: g = e(Q_id, MPK)^ρ; the file holds the encoding of g³ */
        tkms_bls_gt g, d;
        tkms_bls_pairing(&g, &qid, &mpk);
        tkms_bls_gt_pow(&g, &g, &rho);
        tkms_bls_gt_encode_cubed(got, &g);
        assert_memory_equal(got, gt_bytes, TKMS_BLS_GT_BYTES);
        /* not the plain encoding: the file follows the cube convention of crypto.md §3 */
        tkms_bls_gt_encode(got, &g);
        assert_memory_not_equal(got, gt_bytes, TKMS_BLS_GT_BYTES);
        /* decryptor: e(sk_id, U) with U = ρ·g2 gives the same value */
        tkms_bls_g2 u;
        tkms_bls_g2_generator(&u);
        tkms_bls_g2_mul(&u, &u, &rho);
        tkms_bls_pairing(&d, &sk, &u);
        assert_true(tkms_bls_gt_equal(&d, &g));
    }
    free(json);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED), kernel %s\n", (unsigned long long)seed,
           tkms_bls_kernel_name());
    tu_rng_seed(&rng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answer),    cmocka_unit_test(test_non_degenerate_and_order),
        cmocka_unit_test(test_bilinearity),     cmocka_unit_test(test_inverse_and_identity),
        cmocka_unit_test(test_multi),           cmocka_unit_test(test_multi_limits),
        cmocka_unit_test(test_gt_pow),          cmocka_unit_test(test_gt_encode),
        cmocka_unit_test(test_building_blocks), cmocka_unit_test(test_ibe_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
