/*
 * test_h2c.c — RFC 9380 hashing to G1/G2 and expand_message_xmd (src/bls/xmd.c,
 * h2c_g1.c, h2c_g2.c) against every vector of tests/vectors/bls12_381/ (converted to
 * h2c_vectors.txt by tools/convert_h2c_vectors.py): for each hash-to-curve vector the
 * field elements u, each map_to_curve output Q0/Q1 (or Q) and the final P; for each xmd
 * vector the uniform bytes (the 256-byte-DST file through its §5.3.3 hashed DST, since the
 * library rejects DSTs over 255 bytes). Plus the length errors (DST 0 and 256 bytes, xmd
 * lengths 0 and 8161) with zeroed outputs, the edges that succeed (DST 1 and 255 bytes,
 * xmd 1 and 8160 bytes), and properties of hashed points (on curve, in the subgroup, not
 * the identity). The comparison with @noble/curves on random inputs is in
 * test_oracle_h2c.c (it needs node).
 */
#include <openssl/evp.h>

#include "bls/internal.h"
#include "test_util.h"

#define LINE_MAX_BYTES 8192
#define MSG_MAX_BYTES 1024
#define XMD_OUT_MAX (255 * 32)

static const char *empty_if_dash(const char *s) {
    return strcmp(s, "-") == 0 ? "" : s;
}

static size_t unhex_field(uint8_t *out, size_t max, const char *hex) {
    long n = tu_unhex(out, max, empty_if_dash(hex));
    assert_true(n >= 0);
    return (size_t)n;
}

static void expect_fp(const fp *a, const char *hex, const char *what) {
    uint8_t want[48], got[48];
    assert_int_equal(unhex_field(want, sizeof want, hex), 48);
    fp_to_bytes(got, a);
    if (memcmp(want, got, 48) != 0) {
        char h[97];
        tu_hex(h, got, 48);
        fail_msg("%s: got %s want %s", what, h, hex);
    }
}

/* An Fp2 element in the vector file: c0 then c1, 96 hex digits each. */
static void expect_fp2(const fp2 *a, const char *hex, const char *what) {
    char c0[97], c1[97];
    assert_int_equal(strlen(hex), 192);
    memcpy(c0, hex, 96);
    c0[96] = 0;
    memcpy(c1, hex + 96, 96);
    c1[96] = 0;
    expect_fp(&a->c0, c0, what);
    expect_fp(&a->c1, c1, what);
}

static void parse_fp(fp *out, const char *hex) {
    uint8_t b[48];
    assert_int_equal(unhex_field(b, sizeof b, hex), 48);
    assert_true(fp_from_bytes(out, b));
}

static void parse_fp2(fp2 *out, const char *hex) {
    uint8_t b[96];
    assert_int_equal(unhex_field(b, sizeof b, hex), 96);
    assert_true(fp_from_bytes(&out->c0, b));
    assert_true(fp_from_bytes(&out->c1, b + 48));
}

static void expect_g1(const g1 *p, const char *x, const char *y, const char *what) {
    g1_affine a;
    assert_false(tkms_bls_g1_is_identity(p));
    assert_true(tkms_bls_g1_is_on_curve(p));
    g1_to_affine(&a, p);
    expect_fp(&a.x, x, what);
    expect_fp(&a.y, y, what);
}

static void expect_g2(const g2 *p, const char *x, const char *y, const char *what) {
    g2_affine a;
    assert_false(tkms_bls_g2_is_identity(p));
    assert_true(tkms_bls_g2_is_on_curve(p));
    g2_to_affine(&a, p);
    expect_fp2(&a.x, x, what);
    expect_fp2(&a.y, y, what);
}

/* Splits a line into at most max space-separated tokens; returns the count. */
static size_t split(char *line, char **tok, size_t max) {
    size_t n = 0;
    for (char *t = strtok(line, " \n"); t != NULL && n < max; t = strtok(NULL, " \n")) {
        tok[n++] = t;
    }
    return n;
}

typedef struct {
    uint8_t dst[256], msg[MSG_MAX_BYTES];
    size_t dst_len, msg_len;
} h2c_input;

static void parse_input(h2c_input *in, char **tok) {
    in->dst_len = unhex_field(in->dst, sizeof in->dst, tok[1]);
    in->msg_len = unhex_field(in->msg, sizeof in->msg, tok[2]);
}

/* G1_RO dst msg u0 u1 Q0.x Q0.y Q1.x Q1.y P.x P.y, or G1_NU dst msg u0 Q.x Q.y P.x P.y. */
static void check_g1_case(char **tok, size_t n, bool ro) {
    h2c_input in;
    fp u[2], want_u;
    g1 q, p;
    size_t count = ro ? 2 : 1;
    assert_int_equal(n, ro ? 11 : 8);
    parse_input(&in, tok);
    assert_int_equal(fp_hash_to_field(u, count, in.msg, in.msg_len, in.dst, in.dst_len), TKMS_OK);
    for (size_t i = 0; i < count; i++) {
        expect_fp(&u[i], tok[3 + i], "u");
        parse_fp(&want_u, tok[3 + i]);
        g1_map_to_curve(&q, &want_u);
        expect_g1(&q, tok[3 + count + 2 * i], tok[4 + count + 2 * i], "map_to_curve");
    }
    tkms_err err = ro ? tkms_bls_g1_hash(&p, in.msg, in.msg_len, in.dst, in.dst_len)
                      : tkms_bls_g1_encode_to_curve(&p, in.msg, in.msg_len, in.dst, in.dst_len);
    assert_int_equal(err, TKMS_OK);
    expect_g1(&p, tok[n - 2], tok[n - 1], "P");
    assert_true(tkms_bls_g1_in_group_vartime(&p));
}

static void check_g2_case(char **tok, size_t n, bool ro) {
    h2c_input in;
    fp2 u[2], want_u;
    g2 q, p;
    size_t count = ro ? 2 : 1;
    assert_int_equal(n, ro ? 11 : 8);
    parse_input(&in, tok);
    assert_int_equal(fp2_hash_to_field(u, count, in.msg, in.msg_len, in.dst, in.dst_len), TKMS_OK);
    for (size_t i = 0; i < count; i++) {
        expect_fp2(&u[i], tok[3 + i], "u");
        parse_fp2(&want_u, tok[3 + i]);
        g2_map_to_curve(&q, &want_u);
        expect_g2(&q, tok[3 + count + 2 * i], tok[4 + count + 2 * i], "map_to_curve");
    }
    tkms_err err = ro ? tkms_bls_g2_hash(&p, in.msg, in.msg_len, in.dst, in.dst_len)
                      : tkms_bls_g2_encode_to_curve(&p, in.msg, in.msg_len, in.dst, in.dst_len);
    assert_int_equal(err, TKMS_OK);
    expect_g2(&p, tok[n - 2], tok[n - 1], "P");
    assert_true(tkms_bls_g2_in_group_vartime(&p));
}

/* RFC 9380 §5.3.3: DST' = SHA-256("H2C-OVERSIZE-DST-" || DST), computed here, not in
   the library (which rejects long DSTs). */
static void oversize_dst(uint8_t out[32], const uint8_t *dst, size_t dst_len) {
    static const char prefix[] = "H2C-OVERSIZE-DST-";
    uint8_t buf[512];
    unsigned int len = 0;
    assert_true(dst_len + sizeof prefix - 1 <= sizeof buf);
    memcpy(buf, prefix, sizeof prefix - 1);
    memcpy(buf + sizeof prefix - 1, dst, dst_len);
    assert_int_equal(EVP_Digest(buf, sizeof prefix - 1 + dst_len, out, &len, EVP_sha256(), NULL),
                     1);
    assert_int_equal(len, 32);
}

/* XMD dst dst_prime msg len uniform_bytes */
static void check_xmd_case(char **tok, size_t n) {
    static uint8_t dst[512], dst_prime[256], msg[MSG_MAX_BYTES], want[XMD_OUT_MAX],
        got[XMD_OUT_MAX];
    assert_int_equal(n, 6);
    size_t dst_len = unhex_field(dst, sizeof dst, tok[1]);
    size_t dst_prime_len = unhex_field(dst_prime, sizeof dst_prime, tok[2]);
    size_t msg_len = unhex_field(msg, sizeof msg, tok[3]);
    size_t len = (size_t)strtoul(tok[4], NULL, 10);
    assert_int_equal(unhex_field(want, sizeof want, tok[5]), len);
    /* DST_prime = DST' || I2OSP(len(DST'), 1); the library gets DST'. */
    assert_int_equal(dst_prime[dst_prime_len - 1], dst_prime_len - 1);
    if (dst_len > TKMS_BLS_DST_BYTES_MAX) {
        uint8_t hashed[32];
        assert_int_equal(tkms_bls_expand_message_xmd(got, len, msg, msg_len, dst, dst_len),
                         TKMS_ERR_BLS_DST_LENGTH);
        oversize_dst(hashed, dst, dst_len);
        assert_int_equal(dst_prime_len, 33);
        assert_memory_equal(hashed, dst_prime, 32);
    } else {
        assert_int_equal(dst_prime_len, dst_len + 1);
        assert_memory_equal(dst_prime, dst, dst_len);
    }
    assert_int_equal(
        tkms_bls_expand_message_xmd(got, len, msg, msg_len, dst_prime, dst_prime_len - 1), TKMS_OK);
    assert_memory_equal(got, want, len);
}

static void test_vectors(void **state) {
    (void)state;
    size_t file_len;
    char *text = (char *)tu_read_file("tests/vectors/bls12_381/h2c_vectors.txt", &file_len);
    size_t counts[5] = {0}; /* G1_RO G1_NU G2_RO G2_NU XMD */
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        char copy[LINE_MAX_BYTES], *tok[16];
        if (line[0] == '#') {
            continue;
        }
        assert_true(strlen(line) < sizeof copy);
        strcpy(copy, line);
        size_t n = split(copy, tok, 16);
        if (strcmp(tok[0], "G1_RO") == 0 || strcmp(tok[0], "G1_NU") == 0) {
            check_g1_case(tok, n, tok[0][3] == 'R');
            counts[tok[0][3] == 'R' ? 0 : 1]++;
        } else if (strcmp(tok[0], "G2_RO") == 0 || strcmp(tok[0], "G2_NU") == 0) {
            check_g2_case(tok, n, tok[0][3] == 'R');
            counts[tok[0][3] == 'R' ? 2 : 3]++;
        } else {
            assert_string_equal(tok[0], "XMD");
            check_xmd_case(tok, n);
            counts[4]++;
        }
    }
    free(text);
    printf("# vectors: G1 RO %zu, G1 NU %zu, G2 RO %zu, G2 NU %zu, xmd %zu\n", counts[0], counts[1],
           counts[2], counts[3], counts[4]);
    /* Every case of the six JSON files: 5 per hash-to-curve suite, 10 per xmd file. */
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(counts[i], 5);
    }
    assert_int_equal(counts[4], 20);
}

static bool all_zero(const void *p, size_t n) {
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= b[i];
    }
    return acc == 0;
}

/* Every public entry point rejects a DST of 0 or 256 bytes and zeroes its output. */
static void test_dst_length_errors(void **state) {
    (void)state;
    uint8_t dst[256], out[64];
    const size_t bad[2] = {0, 256};
    memset(dst, 'D', sizeof dst);
    for (size_t i = 0; i < 2; i++) {
        g1 p1;
        g2 p2;
        memset(out, 0xaa, sizeof out);
        assert_int_equal(
            tkms_bls_expand_message_xmd(out, sizeof out, (const uint8_t *)"m", 1, dst, bad[i]),
            TKMS_ERR_BLS_DST_LENGTH);
        assert_true(all_zero(out, sizeof out));
        p1 = G1_GENERATOR;
        assert_int_equal(tkms_bls_g1_hash(&p1, NULL, 0, dst, bad[i]), TKMS_ERR_BLS_DST_LENGTH);
        assert_true(all_zero(&p1, sizeof p1));
        p1 = G1_GENERATOR;
        assert_int_equal(tkms_bls_g1_encode_to_curve(&p1, NULL, 0, dst, bad[i]),
                         TKMS_ERR_BLS_DST_LENGTH);
        assert_true(all_zero(&p1, sizeof p1));
        p2 = G2_GENERATOR;
        assert_int_equal(tkms_bls_g2_hash(&p2, NULL, 0, dst, bad[i]), TKMS_ERR_BLS_DST_LENGTH);
        assert_true(all_zero(&p2, sizeof p2));
        p2 = G2_GENERATOR;
        assert_int_equal(tkms_bls_g2_encode_to_curve(&p2, NULL, 0, dst, bad[i]),
                         TKMS_ERR_BLS_DST_LENGTH);
        assert_true(all_zero(&p2, sizeof p2));
    }
    /* The edges that are allowed: 1 and 255 bytes. */
    for (size_t len = 1; len <= 255; len += 254) {
        g1 p1;
        g2 p2;
        assert_int_equal(tkms_bls_expand_message_xmd(out, sizeof out, NULL, 0, dst, len), TKMS_OK);
        assert_int_equal(tkms_bls_g1_hash(&p1, NULL, 0, dst, len), TKMS_OK);
        assert_true(tkms_bls_g1_in_group_vartime(&p1));
        assert_int_equal(tkms_bls_g2_hash(&p2, NULL, 0, dst, len), TKMS_OK);
        assert_true(tkms_bls_g2_in_group_vartime(&p2));
    }
}

static void test_xmd_length_errors(void **state) {
    (void)state;
    static uint8_t out[XMD_OUT_MAX + 1], again[XMD_OUT_MAX];
    const uint8_t dst[] = "QUUX-V01-CS02-with-expander-SHA256-128";
    const size_t dst_len = sizeof dst - 1;
    memset(out, 0xaa, sizeof out);
    assert_int_equal(tkms_bls_expand_message_xmd(out, 0, NULL, 0, dst, dst_len),
                     TKMS_ERR_BLS_XMD_LENGTH);
    assert_int_equal(out[0], 0xaa); /* zero-length output: nothing written */
    assert_int_equal(tkms_bls_expand_message_xmd(out, XMD_OUT_MAX + 1, NULL, 0, dst, dst_len),
                     TKMS_ERR_BLS_XMD_LENGTH);
    assert_true(all_zero(out, XMD_OUT_MAX + 1));
    /* ell = 255 is the largest allowed; a DST error wins over a length error. */
    assert_int_equal(tkms_bls_expand_message_xmd(out, XMD_OUT_MAX, NULL, 0, dst, dst_len), TKMS_OK);
    assert_false(all_zero(out + XMD_OUT_MAX - 32, 32));
    assert_int_equal(tkms_bls_expand_message_xmd(out, 0, NULL, 0, dst, 0), TKMS_ERR_BLS_DST_LENGTH);
    /* Deterministic at the largest length, and the smallest length (1) is accepted. */
    assert_int_equal(tkms_bls_expand_message_xmd(again, XMD_OUT_MAX, NULL, 0, dst, dst_len),
                     TKMS_OK);
    assert_memory_equal(out, again, XMD_OUT_MAX);
    assert_int_equal(tkms_bls_expand_message_xmd(again, 1, NULL, 0, dst, dst_len), TKMS_OK);
}

/* map_to_curve's exceptional input u = 0 (tv2 = 0 in the straight-line map) and ±1 land on
   the curve, and clearing the cofactor of a map output gives a subgroup point. */
static void test_map_edges(void **state) {
    (void)state;
    fp u1[3];
    fp2 u2[3];
    fp_zero(&u1[0]);
    u1[1] = FP_ONE;
    fp_neg(&u1[2], &FP_ONE);
    for (size_t i = 0; i < 3; i++) {
        u2[i].c0 = u1[i];
        u2[i].c1 = u1[(i + 1) % 3];
    }
    for (size_t i = 0; i < 3; i++) {
        g1 p1;
        g2 p2;
        g1_map_to_curve(&p1, &u1[i]);
        assert_true(tkms_bls_g1_is_on_curve(&p1));
        assert_false(tkms_bls_g1_is_identity(&p1));
        g1_clear_cofactor(&p1, &p1);
        assert_true(tkms_bls_g1_in_group_vartime(&p1));
        g2_map_to_curve(&p2, &u2[i]);
        assert_true(tkms_bls_g2_is_on_curve(&p2));
        assert_false(tkms_bls_g2_is_identity(&p2));
        g2_clear_cofactor(&p2, &p2);
        assert_true(tkms_bls_g2_in_group_vartime(&p2));
    }
}

/* Cofactor clearing maps the identity to the identity and is a homomorphism. */
static void test_clear_cofactor(void **state) {
    (void)state;
    g1 a1, b1, s1, t1;
    g2 a2, b2, s2, t2;
    g1_identity_set(&a1);
    g1_clear_cofactor(&t1, &a1);
    assert_true(tkms_bls_g1_is_identity(&t1));
    g2_identity_set(&a2);
    g2_clear_cofactor(&t2, &a2);
    assert_true(tkms_bls_g2_is_identity(&t2));
    fp u = FP_ONE, v;
    fp_add(&v, &u, &u);
    g1_map_to_curve(&a1, &u);
    g1_map_to_curve(&b1, &v);
    g1_add(&s1, &a1, &b1);
    g1_clear_cofactor(&s1, &s1);
    g1_clear_cofactor(&a1, &a1);
    g1_clear_cofactor(&b1, &b1);
    g1_add(&t1, &a1, &b1);
    assert_true(tkms_bls_g1_equal(&s1, &t1));
    fp2 w = {u, v}, x = {v, u};
    g2_map_to_curve(&a2, &w);
    g2_map_to_curve(&b2, &x);
    g2_add(&s2, &a2, &b2);
    g2_clear_cofactor(&s2, &s2);
    g2_clear_cofactor(&a2, &a2);
    g2_clear_cofactor(&b2, &b2);
    g2_add(&t2, &a2, &b2);
    assert_true(tkms_bls_g2_equal(&s2, &t2));
}

/* h_eff of RFC 9380 §8.8.1–2 and #E/ℓ^e for small primes ℓ with ℓ^e ‖ #E (h1 = 3·11²·…,
   h2 = 13²·23²·…; the ℓ-parts are Z/ℓ × Z/ℓ for ℓ² so [#E/ℓ²]Q has order ℓ or 1),
   little-endian limbs. The test checks the order of each point it makes, so a wrong
   constant cannot pass silently. */
static const limb_t G2_H_EFF[10] = {
    0xe8020005aaa95551ULL, 0x59894c0adebbf6b4ULL, 0xe954cbc06689f6a3ULL, 0x2ec0ec69d7477c1aULL,
    0x6d82bf015d1212b0ULL, 0x329c2f178731db95ULL, 0x9986ff031508ffe1ULL, 0x88e2a8e9145ad768ULL,
    0x584c6a0ea91b3528ULL, 0x0bc69f08f2ee75b3ULL};
static const limb_t G2_ORDER_OVER_169[12] = {
    0x29f4e3380941cfddULL, 0xa706298882819145ULL, 0xb3ca5c33c3fd8ff8ULL, 0x96568f2d18c750b4ULL,
    0xd6461e907737d78eULL, 0xcfdac10ff1fc5b48ULL, 0x3677f5d45f7cedb8ULL, 0xb33907d71557a7d3ULL,
    0x56f3b9bdc84396caULL, 0x28ba1c1fa6b67083ULL, 0xa7136c440a0c65b7ULL, 0x0004005449cda731ULL};
static const limb_t G1_H_EFF[1] = {0xd201000000010001ULL};
static const limb_t G1_ORDER_OVER_3[6] = {0xd955555555558e39ULL, 0x0a395554e5c6aaaaULL,
                                          0xcd104635a790520cULL, 0xcc27c3d6fbd7063fULL,
                                          0x190937e76bc3e447ULL, 0x08ab05f8bdd54cdeULL};
static const limb_t G1_ORDER_OVER_121[6] = {0xff0a941963702343ULL, 0x461258dc05b269c8ULL,
                                            0xe11e05f8de12635bULL, 0xe98ebcebf11641bdULL,
                                            0x85e8f4b11c0f6f71ULL, 0x0037046124713073ULL};

/* A point of order ell on E2: [#E/ell]Q for the first Q = map_to_curve(u) that gives one. */
static void g2_small_order_point(g2 *out, const limb_t *cofactor, size_t limbs, uint64_t ell) {
    for (uint64_t i = 1; i < 100; i++) {
        fp2 u;
        g2 q, t;
        fp_from_u64(&u.c0, i);
        fp_from_u64(&u.c1, 7 * i);
        g2_map_to_curve(&q, &u);
        g2_mul_public_vartime(out, &q, cofactor, limbs);
        if (!tkms_bls_g2_is_identity(out)) {
            g2_mul_public_vartime(&t, out, &ell, 1);
            assert_true(tkms_bls_g2_is_identity(&t));
            return;
        }
    }
    fail_msg("no point of order %llu found", (unsigned long long)ell);
}

static void g1_small_order_point(g1 *out, const limb_t *cofactor, size_t limbs, uint64_t ell) {
    for (uint64_t i = 1; i < 100; i++) {
        fp u;
        g1 q, t;
        fp_from_u64(&u, i);
        g1_map_to_curve(&q, &u);
        g1_mul_public_vartime(out, &q, cofactor, limbs);
        if (!tkms_bls_g1_is_identity(out)) {
            g1_mul_public_vartime(&t, out, &ell, 1);
            assert_true(tkms_bls_g1_is_identity(&t));
            return;
        }
    }
    fail_msg("no point of order %llu found", (unsigned long long)ell);
}

/* The endomorphism-based clearing equals multiplication by h_eff on every kind of input:
   map outputs, points of small order (order 13 makes the [|z|] chain hit P + (−P) and
   then O + P; order 3 and 11 make the G1 chain hit P + P), their sums, the identity. */
static void test_clear_cofactor_is_h_eff(void **state) {
    (void)state;
    g2 q2[5], a2, b2;
    fp2 u2 = {FP_ONE, FP_ONE};
    g2_map_to_curve(&q2[0], &u2);
    g2_small_order_point(&q2[1], G2_ORDER_OVER_169, 12, 13);
    g2_add(&q2[2], &q2[0], &q2[1]);
    g2_dbl(&q2[3], &q2[1]);
    g2_identity_set(&q2[4]);
    for (size_t i = 0; i < 5; i++) {
        g2_clear_cofactor(&a2, &q2[i]);
        g2_mul_public_vartime(&b2, &q2[i], G2_H_EFF, 10);
        assert_true(tkms_bls_g2_equal(&a2, &b2));
        assert_true(tkms_bls_g2_in_group_vartime(&a2));
    }
    g1 q1[5], a1, b1;
    g1_map_to_curve(&q1[0], &FP_ONE);
    g1_small_order_point(&q1[1], G1_ORDER_OVER_3, 6, 3);
    g1_small_order_point(&q1[2], G1_ORDER_OVER_121, 6, 11);
    g1_add(&q1[3], &q1[0], &q1[2]);
    g1_identity_set(&q1[4]);
    for (size_t i = 0; i < 5; i++) {
        g1_clear_cofactor(&a1, &q1[i]);
        g1_mul_public_vartime(&b1, &q1[i], G1_H_EFF, 1);
        assert_true(tkms_bls_g1_equal(&a1, &b1));
        assert_true(tkms_bls_g1_in_group_vartime(&a1));
    }
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED, unused: deterministic), kernel %s\n",
           (unsigned long long)seed, tkms_bls_kernel_name());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),           cmocka_unit_test(test_dst_length_errors),
        cmocka_unit_test(test_xmd_length_errors), cmocka_unit_test(test_map_edges),
        cmocka_unit_test(test_clear_cofactor),    cmocka_unit_test(test_clear_cofactor_is_h_eff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
