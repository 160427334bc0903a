/*
 * test_group.c — G1 and G2 group law and scalar multiplication: the generator is on the
 * curve and of order r, the endomorphisms have the eigenvalues the fast paths assume
 * (φ = [−z²] on G1, ψ = [z] on G2), complete addition handles doubling/identity/inverse,
 * the constant-time GLV/GLS multiplication agrees with plain double-and-add for random and
 * edge scalars, and the subgroup tests reject constructed points outside G1/G2
 * (random curve points and pure cofactor-torsion points).
 */
#include "bls/internal.h"
#include "test_util.h"

static tu_rng rng;

static void rand_fr(tkms_bls_fr *out) {
    uint8_t b[64];
    tu_rng_bytes(&rng, b, sizeof b);
    tkms_bls_fr_decode_reduce(out, b, 64);
}

/* A random point of E1 (not in G1 in general): x random until x³ + 4 is a square. */
static void rand_e1(g1 *out) {
    for (;;) {
        uint8_t b[64];
        tu_rng_bytes(&rng, b, sizeof b);
        fp x, y2, y;
        fp_from_bytes64_reduce(&x, b);
        fp_sqr(&y2, &x);
        fp_mul(&y2, &y2, &x);
        fp_add(&y2, &y2, &G1_B);
        if (fp_sqrt(&y, &y2)) {
            out->x = x;
            out->y = y;
            out->z = FP_ONE;
            return;
        }
    }
}

static void rand_e2(g2 *out) {
    for (;;) {
        uint8_t b[64];
        fp2 x, y2, y;
        tu_rng_bytes(&rng, b, sizeof b);
        fp_from_bytes64_reduce(&x.c0, b);
        tu_rng_bytes(&rng, b, sizeof b);
        fp_from_bytes64_reduce(&x.c1, b);
        fp2_sqr(&y2, &x);
        fp2_mul(&y2, &y2, &x);
        fp2_add(&y2, &y2, &G2_B);
        if (fp2_sqrt(&y, &y2)) {
            out->x = x;
            out->y = y;
            out->z = FP2_ONE;
            return;
        }
    }
}

static void test_generators(void **state) {
    (void)state;
    g1 p, t;
    g2 q, u;
    tkms_bls_g1_generator(&p);
    tkms_bls_g2_generator(&q);
    assert_true(tkms_bls_g1_is_on_curve(&p));
    assert_true(tkms_bls_g2_is_on_curve(&q));
    assert_true(tkms_bls_g1_in_group_vartime(&p));
    assert_true(tkms_bls_g2_in_group_vartime(&q));
    g1_mul_public_vartime(&t, &p, BLS_R, 4);
    assert_true(tkms_bls_g1_is_identity(&t));
    g2_mul_public_vartime(&u, &q, BLS_R, 4);
    assert_true(tkms_bls_g2_is_identity(&u));
    /* eigenvalues: phi = [-z^2] on G1, psi = [z] on G2 */
    g1 f;
    g1_phi(&f, &p);
    g1_mul_by_z_abs(&t, &p);
    g1_mul_by_z_abs(&t, &t);
    g1_neg_point(&t, &t);
    assert_true(tkms_bls_g1_equal(&f, &t));
    g2 s;
    g2_psi(&s, &q);
    g2_mul_by_z_abs(&u, &q);
    g2_neg_point(&u, &u);
    assert_true(tkms_bls_g2_equal(&s, &u));
}

static void test_group_law(void **state) {
    (void)state;
    g1 p, q, r, s, id;
    tkms_bls_g1_identity(&id);
    assert_true(tkms_bls_g1_is_on_curve(&id));
    g1 zero = {0};
    assert_false(tkms_bls_g1_is_on_curve(&zero));
    for (int i = 0; i < 50; i++) {
        tkms_bls_fr a, b;
        rand_fr(&a);
        rand_fr(&b);
        tkms_bls_g1_generator(&p);
        tkms_bls_g1_mul(&p, &p, &a);
        tkms_bls_g1_generator(&q);
        tkms_bls_g1_mul(&q, &q, &b);
        tkms_bls_g1_add(&r, &p, &q);
        tkms_bls_g1_add(&s, &q, &p);
        assert_true(tkms_bls_g1_equal(&r, &s));
        tkms_bls_g1_add(&r, &p, &p);
        tkms_bls_g1_dbl(&s, &p);
        assert_true(tkms_bls_g1_equal(&r, &s));
        tkms_bls_g1_neg(&s, &p);
        tkms_bls_g1_add(&r, &p, &s);
        assert_true(tkms_bls_g1_is_identity(&r));
        tkms_bls_g1_add(&r, &p, &id);
        assert_true(tkms_bls_g1_equal(&r, &p));
        tkms_bls_g1_add(&r, &id, &id);
        assert_true(tkms_bls_g1_is_identity(&r));
        assert_false(tkms_bls_g1_equal(&p, &id));
        /* [a]G + [b]G = [a + b]G */
        tkms_bls_fr c;
        tkms_bls_fr_add(&c, &a, &b);
        tkms_bls_g1_add(&r, &p, &q);
        tkms_bls_g1_generator(&s);
        tkms_bls_g1_mul(&s, &s, &c);
        assert_true(tkms_bls_g1_equal(&r, &s));
        /* same on G2 */
        g2 p2, q2, r2, s2;
        tkms_bls_g2_generator(&p2);
        tkms_bls_g2_mul(&p2, &p2, &a);
        tkms_bls_g2_generator(&q2);
        tkms_bls_g2_mul(&q2, &q2, &b);
        tkms_bls_g2_add(&r2, &p2, &q2);
        tkms_bls_g2_generator(&s2);
        tkms_bls_g2_mul(&s2, &s2, &c);
        assert_true(tkms_bls_g2_equal(&r2, &s2));
        tkms_bls_g2_neg(&s2, &p2);
        tkms_bls_g2_add(&r2, &s2, &p2);
        assert_true(tkms_bls_g2_is_identity(&r2));
        tkms_bls_g2_dbl(&r2, &p2);
        tkms_bls_g2_add(&s2, &p2, &p2);
        assert_true(tkms_bls_g2_equal(&r2, &s2));
    }
}

/* The constant-time multiplication against double-and-add for random and edge scalars. */
static void test_mul_vs_public(void **state) {
    (void)state;
    static const char *edges[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0000000000000000000000000000000000000000000000000000000000000001",
        "0000000000000000000000000000000000000000000000000000000000000010",
        "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000", /* r-1 */
        "000000000000000000000000000000000000000000000000d201000000010000", /* |z| */
        "00000000000000000000000000000000ac45a4010001a4020000000100000000", /* z^2 */
        "00000000000000000000000000000000ac45a4010001a40200000000ffffffff", /* z^2-1 */
        "0000000000000000ffffffffffffffffffffffffffffffffffffffffffffffff",
    };
    g1 p, a, b;
    g2 q, c, d;
    tkms_bls_g1_generator(&p);
    tkms_bls_g2_generator(&q);
    for (int i = 0; i < 108; i++) {
        tkms_bls_fr k;
        if (i < 8) {
            uint8_t buf[32];
            assert_int_equal(tu_unhex(buf, 32, edges[i]), 32);
            assert_int_equal(tkms_bls_fr_decode(&k, buf), TKMS_OK);
        } else {
            rand_fr(&k);
        }
        limb_t raw[4];
        fr_to_raw(raw, &k);
        tkms_bls_g1_mul(&a, &p, &k);
        g1_mul_public_vartime(&b, &p, raw, 4);
        assert_true(tkms_bls_g1_equal(&a, &b));
        tkms_bls_g2_mul(&c, &q, &k);
        g2_mul_public_vartime(&d, &q, raw, 4);
        assert_true(tkms_bls_g2_equal(&c, &d));
        p = a; /* walk to other base points */
        if (tkms_bls_g1_is_identity(&p)) {
            tkms_bls_g1_generator(&p);
        }
        q = c;
        if (tkms_bls_g2_is_identity(&q)) {
            tkms_bls_g2_generator(&q);
        }
    }
}

/* Points on the curve but outside the subgroup are rejected by the subgroup tests. */
static void test_subgroup_rejects(void **state) {
    (void)state;
    for (int i = 0; i < 20; i++) {
        g1 p, t;
        rand_e1(&p);
        assert_true(tkms_bls_g1_is_on_curve(&p));
        g1_mul_public_vartime(&t, &p, BLS_R, 4); /* [r]P != O: not in G1 */
        assert_false(tkms_bls_g1_is_identity(&t));
        assert_false(tkms_bls_g1_in_group_vartime(&p));
        /* t = [r]P is pure cofactor torsion */
        assert_true(tkms_bls_g1_is_on_curve(&t));
        assert_false(tkms_bls_g1_in_group_vartime(&t));
        /* clearing the cofactor (multiplying by h) lands in G1 */
        static const limb_t h1[2] = {0x8c00aaab0000aaabULL, 0x396c8c005555e156ULL};
        g1_mul_public_vartime(&t, &p, h1, 2);
        assert_true(tkms_bls_g1_in_group_vartime(&t));

        g2 q, u;
        rand_e2(&q);
        assert_true(tkms_bls_g2_is_on_curve(&q));
        g2_mul_public_vartime(&u, &q, BLS_R, 4);
        assert_false(tkms_bls_g2_is_identity(&u));
        assert_false(tkms_bls_g2_in_group_vartime(&q));
        assert_false(tkms_bls_g2_in_group_vartime(&u));
    }
}

/* [|z|]P by the Jacobian chain of ec_impl.h equals double-and-add for every kind of point:
   random points of E1 and E2, the identity, and E1's points of order 3 and 11, for which
   the chain's addition meets its doubling case acc = P (ec_impl.h); the subgroup test
   rejects those torsion points. */
static void check_z_abs_g1(const g1 *p) {
    static const limb_t z_abs[1] = {0xd201000000010000ULL};
    g1 a, b;
    g1_mul_by_z_abs(&a, p);
    g1_mul_public_vartime(&b, p, z_abs, 1);
    assert_true(tkms_bls_g1_equal(&a, &b));
    assert_true(tkms_bls_g1_is_on_curve(&a));
}

static void test_mul_by_z_abs_exact(void **state) {
    (void)state;
    static const limb_t z_abs[1] = {0xd201000000010000ULL};
    /* #E1(Fp)/121 = h1·r/11²: maps E1(Fp) onto its 11-torsion (h1 = 3·11²·…) */
    static const limb_t n1_div_121[6] = {
        0xff0a941963702343ULL, 0x461258dc05b269c8ULL, 0xe11e05f8de12635bULL,
        0xe98ebcebf11641bdULL, 0x85e8f4b11c0f6f71ULL, 0x0037046124713073ULL};
    g1 t3, t11, p, id;
    fp_zero(&t3.x);
    fp_from_u64(&t3.y, 2); /* (0, 2): order 3 on y² = x³ + 4 */
    t3.z = FP_ONE;
    assert_true(tkms_bls_g1_is_on_curve(&t3));
    check_z_abs_g1(&t3);
    assert_false(tkms_bls_g1_in_group_vartime(&t3));
    tkms_bls_g1_identity(&id);
    check_z_abs_g1(&id);
    int order11 = 0;
    for (int i = 0; i < 20; i++) {
        rand_e1(&p);
        check_z_abs_g1(&p);
        g1_mul_public_vartime(&t11, &p, n1_div_121, 6);
        if (!tkms_bls_g1_is_identity(&t11)) { /* order 11 */
            order11++;
            check_z_abs_g1(&t11);
            assert_false(tkms_bls_g1_in_group_vartime(&t11));
        }
        g2 q, a, b;
        rand_e2(&q);
        g2_mul_by_z_abs(&a, &q);
        g2_mul_public_vartime(&b, &q, z_abs, 1);
        assert_true(tkms_bls_g2_equal(&a, &b));
    }
    assert_true(order11 > 0); /* 1 − 1/121 per try */
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED), kernel %s\n", (unsigned long long)seed,
           tkms_bls_kernel_name());
    tu_rng_seed(&rng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generators),
        cmocka_unit_test(test_group_law),
        cmocka_unit_test(test_mul_vs_public),
        cmocka_unit_test(test_subgroup_rejects),
        cmocka_unit_test(test_mul_by_z_abs_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
