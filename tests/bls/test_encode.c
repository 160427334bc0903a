/*
 * test_encode.c — point encodings: the 4 × 1000 ZCash-format vectors ([i]G for
 * i = 0..999, i = 0 the identity; the .dat files of tests/vectors/bls12_381) decode to [i]G and
 * re-encode byte for byte; and every hostile input class of crypto.md §2 is rejected with
 * its own error: wrong length, each illegal flag combination, non-canonical infinity,
 * coordinates >= p, points off the curve, and points on the curve outside the subgroup
 * (constructed here: random curve points and pure cofactor torsion).
 */
#include "bls/internal.h"
#include "test_util.h"

static tu_rng rng;

typedef struct {
    const char *file;
    size_t size;
    bool g2;
    bool compressed;
} vector_file;

static const vector_file files[] = {
    {"tests/vectors/bls12_381/g1_compressed_valid_test_vectors.dat", 48, false, true},
    {"tests/vectors/bls12_381/g1_uncompressed_valid_test_vectors.dat", 96, false, false},
    {"tests/vectors/bls12_381/g2_compressed_valid_test_vectors.dat", 96, true, true},
    {"tests/vectors/bls12_381/g2_uncompressed_valid_test_vectors.dat", 192, true, false},
};

static void check_vector_file(const vector_file *vf) {
    size_t len;
    uint8_t *data = tu_read_file(vf->file, &len);
    assert_int_equal(len, 1000 * vf->size);
    g1 p1, acc1;
    g2 p2, acc2;
    tkms_bls_g1_identity(&acc1);
    tkms_bls_g2_identity(&acc2);
    for (size_t i = 0; i < 1000; i++) {
        const uint8_t *rec = data + i * vf->size;
        uint8_t enc[192];
        if (!vf->g2) {
            assert_int_equal(tkms_bls_g1_from_bytes(&p1, rec, vf->size), TKMS_OK);
            assert_true(tkms_bls_g1_equal(&p1, &acc1));
            if (vf->compressed) {
                tkms_bls_g1_encode(enc, &acc1);
            } else {
                tkms_bls_g1_encode_uncompressed(enc, &acc1);
            }
            tkms_bls_g1_add(&acc1, &acc1, &G1_GENERATOR);
        } else {
            assert_int_equal(tkms_bls_g2_from_bytes(&p2, rec, vf->size), TKMS_OK);
            assert_true(tkms_bls_g2_equal(&p2, &acc2));
            if (vf->compressed) {
                tkms_bls_g2_encode(enc, &acc2);
            } else {
                tkms_bls_g2_encode_uncompressed(enc, &acc2);
            }
            tkms_bls_g2_add(&acc2, &acc2, &G2_GENERATOR);
        }
        assert_memory_equal(enc, rec, vf->size);
    }
    free(data);
}

static void test_vectors(void **state) {
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        check_vector_file(&files[i]);
    }
}

static const char P_HEX[] = "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f624"
                            "1eabfffeb153ffffb9feffffffffaaab";

static void test_lengths(void **state) {
    (void)state;
    uint8_t buf[256] = {0xc0};
    g1 p;
    g2 q;
    static const size_t bad1[] = {0, 1, 47, 49, 95, 97, 192};
    static const size_t bad2[] = {0, 48, 95, 97, 191, 193, 255};
    for (size_t i = 0; i < sizeof bad1 / sizeof bad1[0]; i++) {
        assert_int_equal(tkms_bls_g1_from_bytes(&p, buf, bad1[i]), TKMS_ERR_BLS_BAD_LENGTH);
        assert_int_equal(tkms_bls_g2_from_bytes(&q, buf, bad2[i]), TKMS_ERR_BLS_BAD_LENGTH);
    }
}

static void test_flags_and_infinity(void **state) {
    (void)state;
    uint8_t c1[48], u1[96], c2[96], u2[192];
    g1 p;
    g2 q;
    tkms_bls_g1_encode(c1, &G1_GENERATOR);
    tkms_bls_g1_encode_uncompressed(u1, &G1_GENERATOR);
    tkms_bls_g2_encode(c2, &G2_GENERATOR);
    tkms_bls_g2_encode_uncompressed(u2, &G2_GENERATOR);
    /* compressed bit missing / present where it must not be */
    c1[0] &= 0x7f;
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_ERR_BLS_BAD_FLAGS);
    assert_true(tkms_bls_g1_is_identity(&p)); /* outputs never half-written */
    u1[0] |= 0x80;
    assert_int_equal(tkms_bls_g1_decode_uncompressed(&p, u1), TKMS_ERR_BLS_BAD_FLAGS);
    c2[0] &= 0x7f;
    assert_int_equal(tkms_bls_g2_decode(&q, c2), TKMS_ERR_BLS_BAD_FLAGS);
    u2[0] |= 0x80;
    assert_int_equal(tkms_bls_g2_decode_uncompressed(&q, u2), TKMS_ERR_BLS_BAD_FLAGS);
    /* sign bit in an uncompressed encoding */
    tkms_bls_g1_encode_uncompressed(u1, &G1_GENERATOR);
    u1[0] |= 0x20;
    assert_int_equal(tkms_bls_g1_decode_uncompressed(&p, u1), TKMS_ERR_BLS_BAD_FLAGS);
    /* infinity with the sign bit, and with non-zero body bits */
    memset(c1, 0, 48);
    c1[0] = 0xe0;
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_ERR_BLS_BAD_FLAGS);
    c1[0] = 0xc0;
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_OK);
    assert_true(tkms_bls_g1_is_identity(&p));
    c1[47] = 1;
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_ERR_BLS_BAD_INFINITY);
    c1[47] = 0;
    c1[0] = 0xc1;
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_ERR_BLS_BAD_INFINITY);
    memset(u2, 0, 192);
    u2[0] = 0x40;
    assert_int_equal(tkms_bls_g2_decode_uncompressed(&q, u2), TKMS_OK);
    assert_true(tkms_bls_g2_is_identity(&q));
    u2[191] = 0x01;
    assert_int_equal(tkms_bls_g2_decode_uncompressed(&q, u2), TKMS_ERR_BLS_BAD_INFINITY);
    memset(c2, 0, 96);
    c2[0] = 0xc0;
    c2[60] = 0x10;
    assert_int_equal(tkms_bls_g2_decode(&q, c2), TKMS_ERR_BLS_BAD_INFINITY);
    /* all-zero compressed input: compressed flag missing */
    memset(c1, 0, 48);
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_ERR_BLS_BAD_FLAGS);
}

static void test_coordinate_range(void **state) {
    (void)state;
    uint8_t c1[48], c2[96], u1[96];
    g1 p;
    g2 q;
    assert_int_equal(tu_unhex(c1, 48, P_HEX), 48);
    c1[0] |= 0x80; /* x = p */
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_ERR_BLS_COORDINATE_RANGE);
    memset(c1, 0xff, 48);
    c1[0] = 0x9f; /* x = 2^381 - 1 */
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_ERR_BLS_COORDINATE_RANGE);
    /* y = p in an uncompressed encoding */
    tkms_bls_g1_encode_uncompressed(u1, &G1_GENERATOR);
    assert_int_equal(tu_unhex(u1 + 48, 48, P_HEX), 48);
    assert_int_equal(tkms_bls_g1_decode_uncompressed(&p, u1), TKMS_ERR_BLS_COORDINATE_RANGE);
    /* G2: x.c1 = p, then x.c0 = p */
    tkms_bls_g2_encode(c2, &G2_GENERATOR);
    assert_int_equal(tu_unhex(c2 + 48, 48, P_HEX), 48);
    assert_int_equal(tkms_bls_g2_decode(&q, c2), TKMS_ERR_BLS_COORDINATE_RANGE);
    tkms_bls_g2_encode(c2, &G2_GENERATOR);
    assert_int_equal(tu_unhex(c2, 48, P_HEX), 48);
    c2[0] |= 0x80;
    assert_int_equal(tkms_bls_g2_decode(&q, c2), TKMS_ERR_BLS_COORDINATE_RANGE);
}

/* x with x^3 + b a non-square (compressed) / a wrong y (uncompressed). */
static void test_not_on_curve(void **state) {
    (void)state;
    uint8_t c1[48] = {0}, u1[96], c2[96] = {0}, u2[192];
    g1 p;
    g2 q;
    int found = 0;
    for (uint8_t x = 1; x < 50 && !found; x++) {
        fp fx, y2, y;
        fp_from_u64(&fx, x);
        fp_sqr(&y2, &fx);
        fp_mul(&y2, &y2, &fx);
        fp_add(&y2, &y2, &G1_B);
        if (!fp_sqrt(&y, &y2)) {
            c1[0] = 0x80;
            c1[47] = x;
            found = 1;
        }
    }
    assert_true(found);
    assert_int_equal(tkms_bls_g1_decode(&p, c1), TKMS_ERR_BLS_NOT_ON_CURVE);
    tkms_bls_g1_encode_uncompressed(u1, &G1_GENERATOR);
    u1[95] ^= 1;
    assert_int_equal(tkms_bls_g1_decode_uncompressed(&p, u1), TKMS_ERR_BLS_NOT_ON_CURVE);
    found = 0;
    for (uint8_t x = 1; x < 50 && !found; x++) {
        fp2 fx = {{{0}}, {{0}}}, y2, y;
        fp_from_u64(&fx.c0, x);
        fp2_sqr(&y2, &fx);
        fp2_mul(&y2, &y2, &fx);
        fp2_add(&y2, &y2, &G2_B);
        if (!fp2_sqrt(&y, &y2)) {
            c2[0] = 0x80;
            c2[95] = x;
            found = 1;
        }
    }
    assert_true(found);
    assert_int_equal(tkms_bls_g2_decode(&q, c2), TKMS_ERR_BLS_NOT_ON_CURVE);
    tkms_bls_g2_encode_uncompressed(u2, &G2_GENERATOR);
    u2[150] ^= 4;
    assert_int_equal(tkms_bls_g2_decode_uncompressed(&q, u2), TKMS_ERR_BLS_NOT_ON_CURVE);
}

/* On E1/E2 but not in G1/G2: random curve points and [r]·(random point). */
static void test_not_in_subgroup(void **state) {
    (void)state;
    for (int i = 0; i < 10; i++) {
        g1 p, t;
        for (;;) {
            uint8_t b[64];
            tu_rng_bytes(&rng, b, 64);
            fp x, y2, y;
            fp_from_bytes64_reduce(&x, b);
            fp_sqr(&y2, &x);
            fp_mul(&y2, &y2, &x);
            fp_add(&y2, &y2, &G1_B);
            if (fp_sqrt(&y, &y2)) {
                p.x = x;
                p.y = y;
                p.z = FP_ONE;
                break;
            }
        }
        g1_mul_public_vartime(&t, &p, BLS_R, 4);
        const g1 *cases[2] = {&p, &t};
        for (int c = 0; c < 2; c++) {
            uint8_t enc[48], unc[96];
            tkms_bls_g1_encode(enc, cases[c]);
            tkms_bls_g1_encode_uncompressed(unc, cases[c]);
            g1 out;
            assert_int_equal(tkms_bls_g1_decode(&out, enc), TKMS_ERR_BLS_NOT_IN_GROUP);
            assert_int_equal(tkms_bls_g1_decode_uncompressed(&out, unc),
                             TKMS_ERR_BLS_NOT_IN_GROUP);
        }
        g2 q, u;
        for (;;) {
            uint8_t b[64];
            fp2 x, y2, y;
            tu_rng_bytes(&rng, b, 64);
            fp_from_bytes64_reduce(&x.c0, b);
            tu_rng_bytes(&rng, b, 64);
            fp_from_bytes64_reduce(&x.c1, b);
            fp2_sqr(&y2, &x);
            fp2_mul(&y2, &y2, &x);
            fp2_add(&y2, &y2, &G2_B);
            if (fp2_sqrt(&y, &y2)) {
                q.x = x;
                q.y = y;
                q.z = FP2_ONE;
                break;
            }
        }
        g2_mul_public_vartime(&u, &q, BLS_R, 4);
        const g2 *cases2[2] = {&q, &u};
        for (int c = 0; c < 2; c++) {
            uint8_t enc[96], unc[192];
            tkms_bls_g2_encode(enc, cases2[c]);
            tkms_bls_g2_encode_uncompressed(unc, cases2[c]);
            g2 out;
            assert_int_equal(tkms_bls_g2_decode(&out, enc), TKMS_ERR_BLS_NOT_IN_GROUP);
            assert_int_equal(tkms_bls_g2_decode_uncompressed(&out, unc),
                             TKMS_ERR_BLS_NOT_IN_GROUP);
        }
    }
}

static void test_scalar_encoding(void **state) {
    (void)state;
    for (int i = 0; i < 1000; i++) {
        uint8_t b[32], out[32];
        tu_rng_bytes(&rng, b, 32);
        b[0] &= 0x3f; /* < 2^254 < r: canonical */
        tkms_bls_fr k;
        assert_int_equal(tkms_bls_fr_decode(&k, b), TKMS_OK);
        tkms_bls_fr_encode(out, &k);
        assert_memory_equal(out, b, 32);
        b[0] |= 0x80; /* >= 2^255 > r */
        assert_int_equal(tkms_bls_fr_decode(&k, b), TKMS_ERR_BLS_SCALAR_RANGE);
    }
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&rng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),          cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_flags_and_infinity), cmocka_unit_test(test_coordinate_range),
        cmocka_unit_test(test_not_on_curve),     cmocka_unit_test(test_not_in_subgroup),
        cmocka_unit_test(test_scalar_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
