/*
 * test_ct_bls.c — constant-time checks of the BLS12-381 layer under valgrind memcheck
 * (crypto.md §12, style R10).
 *
 * Secrets (scalars, secret-derived points and field elements, GT values) are marked
 * undefined with VALGRIND_MAKE_MEM_UNDEFINED. Memcheck then follows every value computed
 * from them and reports any conditional jump or memory address that depends on one: a
 * secret-dependent branch or table index in the library is a memcheck error, which fails
 * the check that triggered it (counted with VALGRIND_COUNT_ERRORS) and makes valgrind exit
 * non-zero (--error-exitcode). Each check also proves that it measured something: the
 * secret really is undefined after marking, the output really depends on it (still
 * undefined afterwards), and once declassified (VALGRIND_MAKE_MEM_DEFINED, the only point
 * where the test branches on a result) it equals the same computation on public inputs.
 *
 * Groups (argv[1]):
 *   core    — Fr arithmetic and codecs, Fp/Fp2 inversion and roots, G1/G2 multiplication
 *             (secret scalar; public or secret point), GT power (secret exponent; public or
 *             secret base), pairing and multi-pairing with a secret G1 point, GT encodings,
 *             tkms_ct_bytes_equal (ctest ct_bls)
 *   encode  — G1/G2 point encodings of secret-derived points (ctest ct_bls_encode)
 *   leak-branch, leak-index — deliberately variable-time code that memcheck MUST flag:
 *             ctest runs them through expect_ct_failure.cmake, which passes only if
 *             valgrind exits with the error code, so a broken harness cannot pass.
 * The program refuses to run outside valgrind (a native run would check nothing).
 *
 * Not covered here: timing of instructions whose latency varies with operand values
 * (memcheck sees data flow, not cycles), and builds other than the one under test.
 * See docs/constant-time.md.
 */
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>

#include "bls/internal.h"
#include "common/tkms_ct.h"
#include "test_util.h"

static tu_rng rng;
static unsigned errors_at_start;

/* ---- harness ------------------------------------------------------------------------ */

/* 1 if any bit of the n bytes at p is undefined (tainted by a secret). */
static bool ct_any_undefined(const void *p, size_t n) {
    uint8_t vbits[1024];
    assert_true(n <= sizeof vbits);
    assert_int_equal(VALGRIND_GET_VBITS(p, vbits, n), 1);
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= vbits[i];
    }
    return acc != 0;
}

static bool ct_all_undefined(const void *p, size_t n) {
    uint8_t vbits[1024];
    assert_true(n <= sizeof vbits);
    assert_int_equal(VALGRIND_GET_VBITS(p, vbits, n), 1);
    for (size_t i = 0; i < n; i++) {
        if (vbits[i] != 0xff) {
            return false;
        }
    }
    return true;
}

/* Marks n bytes secret; from here memcheck tracks everything computed from them. */
static void ct_secret(void *p, size_t n) {
    (void)VALGRIND_MAKE_MEM_UNDEFINED(p, n);
    assert_true(ct_all_undefined(p, n));
}

/* The output is tainted (it depends on the secret), then declassified for comparison. */
static void ct_output(void *p, size_t n) {
    assert_true(ct_any_undefined(p, n));
    (void)VALGRIND_MAKE_MEM_DEFINED(p, n);
}

#define SECRET(x) ct_secret(&(x), sizeof(x))
#define OUTPUT(x) ct_output(&(x), sizeof(x))

static void ct_begin(void) {
    errors_at_start = VALGRIND_COUNT_ERRORS;
}

/* Fails the check if memcheck reported anything since ct_begin. */
static void ct_end(const char *what) {
    unsigned n = VALGRIND_COUNT_ERRORS - errors_at_start;
    if (n != 0) {
        fail_msg("%s: %u memcheck error(s): a branch or memory index depends on a secret "
                 "(see the valgrind report above; seed %llu)",
                 what, n, (unsigned long long)tu_seed());
    }
    print_message("ct ok: %s\n", what);
}

static void rand_fr(fr *out) {
    uint8_t b[64];
    tu_rng_bytes(&rng, b, sizeof b);
    tkms_bls_fr_decode_reduce(out, b, sizeof b);
}

static void rand_fp(fp *out) {
    uint8_t b[64];
    tu_rng_bytes(&rng, b, sizeof b);
    fp_from_bytes64_reduce(out, b);
}

static void fr_from_hex(fr *out, const char *hex) {
    uint8_t b[32];
    assert_int_equal(tu_unhex(b, sizeof b, hex), 32);
    assert_int_equal(tkms_bls_fr_decode(out, b), TKMS_OK);
}

/* Scalars that exercise the edges of the GLV/GLS splits and the Booth recoding, then
   random ones. Returns the count written. */
static size_t test_scalars(fr *out, size_t max) {
    static const char *const edges[] = {
        "0000000000000000000000000000000000000000000000000000000000000000", /* 0 */
        "0000000000000000000000000000000000000000000000000000000000000001", /* 1 */
        "73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000000", /* r - 1 */
        "39f6d3a994cebea4199cec0404d0ec02a9ded2017fff2dff7fffffff80000000", /* (r - 1)/2 */
        "00000000000000000000000000000000ac45a4010001a4020000000100000000", /* z^2 */
        "00000000000000000000000000000000ac45a4010001a40200000000ffffffff", /* z^2 - 1 */
        "000000000000000000000000000000000000000000000000d201000000010000", /* |z| */
        "0000000000000000000000000000000000000000000000001f1f1f1f1f1f1f1f", /* Booth runs */
        "0000000000000000000000000000000100000000000000000000000000000000", /* 2^128 */
    };
    size_t n = 0;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0] && n < max; i++) {
        fr_from_hex(&out[n++], edges[i]);
    }
    while (n < max) {
        rand_fr(&out[n++]);
    }
    return n;
}

/* ---- Fr ----------------------------------------------------------------------------- */

static void check_fr_pair(const fr *a_pub, const fr *b_pub) {
    fr a = *a_pub, b = *b_pub, r_add, r_sub, r_mul, r_neg, r_inv, e_add, e_sub, e_mul, e_neg,
       e_inv, prod;
    tkms_bls_fr_add(&e_add, a_pub, b_pub);
    tkms_bls_fr_sub(&e_sub, a_pub, b_pub);
    tkms_bls_fr_mul(&e_mul, a_pub, b_pub);
    tkms_bls_fr_neg(&e_neg, a_pub);
    tkms_bls_fr_inv(&e_inv, a_pub);
    SECRET(a);
    SECRET(b);
    tkms_bls_fr_add(&r_add, &a, &b);
    tkms_bls_fr_sub(&r_sub, &a, &b);
    tkms_bls_fr_mul(&r_mul, &a, &b);
    tkms_bls_fr_neg(&r_neg, &a);
    tkms_bls_fr_inv(&r_inv, &a);
    bool z = tkms_bls_fr_is_zero(&a), eq = tkms_bls_fr_equal(&a, &b);
    OUTPUT(r_add);
    OUTPUT(r_sub);
    OUTPUT(r_mul);
    OUTPUT(r_neg);
    OUTPUT(r_inv);
    OUTPUT(z);
    OUTPUT(eq);
    assert_memory_equal(&r_add, &e_add, sizeof r_add);
    assert_memory_equal(&r_sub, &e_sub, sizeof r_sub);
    assert_memory_equal(&r_mul, &e_mul, sizeof r_mul);
    assert_memory_equal(&r_neg, &e_neg, sizeof r_neg);
    assert_memory_equal(&r_inv, &e_inv, sizeof r_inv);
    assert_int_equal(z, tkms_bls_fr_is_zero(a_pub));
    assert_int_equal(eq, tkms_bls_fr_equal(a_pub, b_pub));
    tkms_bls_fr_mul(&prod, a_pub, &e_inv); /* a·a⁻¹ = 1 (or 0 for a = 0) */
    assert_true(tkms_bls_fr_is_zero(a_pub) || tkms_bls_fr_equal(&prod, &FR_ONE));
}

static void test_fr_arith(void **state) {
    (void)state;
    fr s[12];
    size_t n = test_scalars(s, 12);
    ct_begin();
    for (size_t i = 0; i < n; i++) {
        check_fr_pair(&s[i], &s[(i + 5) % n]);
    }
    check_fr_pair(&s[3], &s[3]); /* a = b: equal and sub to zero */
    ct_end("tkms_bls_fr_add/sub/mul/neg/inv/is_zero/equal");
}

static void check_fr_decode(const uint8_t in_pub[32]) {
    uint8_t in[32];
    memcpy(in, in_pub, sizeof in);
    fr e_out, r_out;
    tkms_err e_err = tkms_bls_fr_decode(&e_out, in_pub);
    SECRET(in);
    tkms_err r_err = tkms_bls_fr_decode(&r_out, in);
    OUTPUT(r_out);
    OUTPUT(r_err); /* validity of a stored secret is reported to the caller by design */
    assert_int_equal(r_err, e_err);
    assert_memory_equal(&r_out, &e_out, sizeof r_out);
}

static void test_fr_codec(void **state) {
    (void)state;
    uint8_t b[64];
    ct_begin();
    for (int i = 0; i < 4; i++) {
        tu_rng_bytes(&rng, b, 32);
        b[0] &= 0x3f; /* < r */
        check_fr_decode(b);
        b[0] |= 0x80; /* >= r: rejected, output zeroed, still without a branch */
        check_fr_decode(b);
    }
    static const size_t lens[] = {0, 1, 16, 31, 32, 33, 48, 63, 64};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        tu_rng_bytes(&rng, b, sizeof b);
        fr e_out, r_out;
        tkms_bls_fr_decode_reduce(&e_out, b, lens[i]);
        if (lens[i] > 0) {
            SECRET(b);
        }
        tkms_bls_fr_decode_reduce(&r_out, b, lens[i]);
        if (lens[i] > 0) {
            OUTPUT(r_out);
        }
        assert_memory_equal(&r_out, &e_out, sizeof r_out);
    }
    fr s[4];
    test_scalars(s, 4);
    for (size_t i = 0; i < 4; i++) {
        uint8_t e_enc[32], r_enc[32];
        fr k = s[i];
        tkms_bls_fr_encode(e_enc, &k);
        SECRET(k);
        tkms_bls_fr_encode(r_enc, &k);
        OUTPUT(r_enc);
        assert_memory_equal(r_enc, e_enc, 32);
    }
    ct_end("tkms_bls_fr_decode/decode_reduce/encode");
}

/* ---- Fp, Fp2 ------------------------------------------------------------------------ */

static void check_fp(const fp *a_pub) {
    fp a = *a_pub, r_inv, e_inv, r_sqrt, e_sqrt;
    fp_inv(&e_inv, a_pub);
    bool e_ok = fp_sqrt(&e_sqrt, a_pub);
    SECRET(a);
    fp_inv(&r_inv, &a);
    bool r_ok = fp_sqrt(&r_sqrt, &a);
    OUTPUT(r_inv);
    OUTPUT(r_sqrt);
    OUTPUT(r_ok);
    assert_memory_equal(&r_inv, &e_inv, sizeof r_inv);
    assert_memory_equal(&r_sqrt, &e_sqrt, sizeof r_sqrt);
    assert_int_equal(r_ok, e_ok);
}

static void check_fp2(const fp2 *a_pub) {
    fp2 a = *a_pub, r_inv, e_inv, r_sqrt, e_sqrt;
    fp2_inv(&e_inv, a_pub);
    bool e_ok = fp2_sqrt(&e_sqrt, a_pub);
    SECRET(a);
    fp2_inv(&r_inv, &a);
    bool r_ok = fp2_sqrt(&r_sqrt, &a);
    OUTPUT(r_inv);
    OUTPUT(r_sqrt);
    OUTPUT(r_ok);
    assert_memory_equal(&r_inv, &e_inv, sizeof r_inv);
    assert_memory_equal(&r_sqrt, &e_sqrt, sizeof r_sqrt);
    assert_int_equal(r_ok, e_ok);
}

static void test_fp_inv_sqrt(void **state) {
    (void)state;
    ct_begin();
    for (int i = 0; i < 4; i++) {
        /* random, a certain square a², a certain non-square −a² (−1 is not a square:
           p ≡ 3 mod 4), so both outcomes of the root test run on secret inputs */
        fp a, sq, nsq, t;
        rand_fp(&a);
        check_fp(&a);
        fp_sqr(&sq, &a);
        check_fp(&sq);
        fp_neg(&nsq, &sq);
        check_fp(&nsq);
        assert_true(fp_sqrt(&t, &sq));
        assert_false(fp_sqrt(&t, &nsq));
        /* Fp2: ξ = u + 1 has norm 2, not a square mod p (p ≡ 3 mod 8), so ξ·b² is not */
        fp2 b, b_sq, b_nsq, u;
        rand_fp(&b.c0);
        rand_fp(&b.c1);
        check_fp2(&b);
        fp2_sqr(&b_sq, &b);
        check_fp2(&b_sq);
        fp2_mul_by_nonresidue(&b_nsq, &b_sq);
        check_fp2(&b_nsq);
        assert_true(fp2_sqrt(&u, &b_sq));
        assert_false(fp2_sqrt(&u, &b_nsq));
    }
    fp zero;
    fp2 zero2;
    fp_zero(&zero);
    fp2_zero(&zero2);
    check_fp(&zero);
    check_fp2(&zero2);
    ct_end("fp_inv/fp_sqrt/fp2_inv/fp2_sqrt (squares and non-squares)");
}

/* ---- G1, G2 ------------------------------------------------------------------------- */

static void check_g1_mul(const g1 *p_pub, const fr *k_pub, bool secret_point) {
    g1 p = *p_pub, r_out, e_out, v_out;
    fr k = *k_pub;
    limb_t raw[4];
    tkms_bls_g1_mul(&e_out, p_pub, k_pub);
    fr_to_raw(raw, k_pub);
    g1_mul_public_vartime(&v_out, p_pub, raw, 4); /* independent reference */
    assert_true(tkms_bls_g1_equal(&e_out, &v_out));
    SECRET(k);
    if (secret_point) {
        SECRET(p);
    }
    tkms_bls_g1_mul(&r_out, &p, &k);
    OUTPUT(r_out);
    assert_memory_equal(&r_out, &e_out, sizeof r_out);
}

static void check_g2_mul(const g2 *p_pub, const fr *k_pub, bool secret_point) {
    g2 p = *p_pub, r_out, e_out, v_out;
    fr k = *k_pub;
    limb_t raw[4];
    tkms_bls_g2_mul(&e_out, p_pub, k_pub);
    fr_to_raw(raw, k_pub);
    g2_mul_public_vartime(&v_out, p_pub, raw, 4);
    assert_true(tkms_bls_g2_equal(&e_out, &v_out));
    SECRET(k);
    if (secret_point) {
        SECRET(p);
    }
    tkms_bls_g2_mul(&r_out, &p, &k);
    OUTPUT(r_out);
    assert_memory_equal(&r_out, &e_out, sizeof r_out);
}

static void test_g1_mul(void **state) {
    (void)state;
    fr s[12], t;
    size_t n = test_scalars(s, 12);
    g1 gen, q, ident;
    tkms_bls_g1_generator(&gen);
    tkms_bls_g1_identity(&ident);
    rand_fr(&t);
    tkms_bls_g1_mul(&q, &gen, &t); /* a random point of G1 */
    ct_begin();
    for (size_t i = 0; i < n; i++) {
        check_g1_mul(&gen, &s[i], false);
        check_g1_mul(&q, &s[i], true); /* secret-derived point: a partial signature */
    }
    check_g1_mul(&ident, &s[n - 1], true);
    ct_end("tkms_bls_g1_mul (secret scalar; public and secret point)");
}

static void test_g2_mul(void **state) {
    (void)state;
    fr s[12], t;
    size_t n = test_scalars(s, 12);
    g2 gen, q, ident;
    tkms_bls_g2_generator(&gen);
    tkms_bls_g2_identity(&ident);
    rand_fr(&t);
    tkms_bls_g2_mul(&q, &gen, &t);
    ct_begin();
    for (size_t i = 0; i < n; i++) {
        check_g2_mul(&gen, &s[i], false);
        check_g2_mul(&q, &s[i], true);
    }
    check_g2_mul(&ident, &s[n - 1], true);
    ct_end("tkms_bls_g2_mul (secret scalar; public and secret point)");
}

/* A chain as in the protocol: σ = [s]Q with s secret, then [λ]σ with λ secret too. */
static void test_g1_mul_chain(void **state) {
    (void)state;
    fr s, l;
    g1 gen, a_pub, b_pub;
    rand_fr(&s);
    rand_fr(&l);
    tkms_bls_g1_generator(&gen);
    tkms_bls_g1_mul(&a_pub, &gen, &s);
    tkms_bls_g1_mul(&b_pub, &a_pub, &l);
    ct_begin();
    SECRET(s);
    SECRET(l);
    g1 a, b;
    tkms_bls_g1_mul(&a, &gen, &s);
    assert_true(ct_all_undefined(&a, sizeof a)); /* the intermediate stays secret */
    tkms_bls_g1_mul(&b, &a, &l);
    OUTPUT(b);
    assert_memory_equal(&b, &b_pub, sizeof b);
    ct_end("tkms_bls_g1_mul chained on a secret-derived point");
}

/* ---- GT and the pairing ------------------------------------------------------------- */

static void test_gt_pow(void **state) {
    (void)state;
    g1 p;
    g2 q;
    tkms_bls_gt base, a_pub, r_out, e_out;
    tkms_bls_g1_generator(&p);
    tkms_bls_g2_generator(&q);
    tkms_bls_pairing(&base, &p, &q);
    fr s[4];
    test_scalars(s, 4);
    ct_begin();
    for (size_t i = 0; i < 4; i++) {
        fr k = s[i];
        tkms_bls_gt_pow(&e_out, &base, &k);
        SECRET(k);
        tkms_bls_gt_pow(&r_out, &base, &k);
        OUTPUT(r_out);
        assert_memory_equal(&r_out, &e_out, sizeof r_out);
    }
    /* secret GT base too: a = base^k1 (k1 secret), then a^k2 */
    fr k1, k2;
    rand_fr(&k1);
    rand_fr(&k2);
    tkms_bls_gt_pow(&a_pub, &base, &k1);
    tkms_bls_gt_pow(&e_out, &a_pub, &k2);
    SECRET(k1);
    SECRET(k2);
    tkms_bls_gt a;
    tkms_bls_gt_pow(&a, &base, &k1);
    tkms_bls_gt_pow(&r_out, &a, &k2);
    OUTPUT(r_out);
    assert_memory_equal(&r_out, &e_out, sizeof r_out);
    ct_end("tkms_bls_gt_pow (secret exponent; public and secret base)");
}

/* IBE decryption: e(sk_id, U) with sk_id secret, then the KDF input encoding. */
static void test_pairing_secret_g1(void **state) {
    (void)state;
    g1 gen, sk_pub;
    g2 u;
    fr s, rho;
    rand_fr(&s);
    rand_fr(&rho);
    tkms_bls_g1_generator(&gen);
    tkms_bls_g1_mul(&sk_pub, &gen, &s);
    tkms_bls_g2_generator(&u);
    tkms_bls_g2_mul(&u, &u, &rho);
    tkms_bls_gt e_out, r_out;
    uint8_t e_enc[TKMS_BLS_GT_BYTES], r_enc[TKMS_BLS_GT_BYTES];
    uint8_t e_cub[TKMS_BLS_GT_BYTES], r_cub[TKMS_BLS_GT_BYTES];
    tkms_bls_pairing(&e_out, &sk_pub, &u);
    tkms_bls_gt_encode(e_enc, &e_out);
    tkms_bls_gt_encode_cubed(e_cub, &e_out);
    ct_begin();
    g1 sk = sk_pub;
    SECRET(sk);
    tkms_bls_pairing(&r_out, &sk, &u);
    assert_true(ct_any_undefined(&r_out, sizeof r_out));
    tkms_bls_gt_encode(r_enc, &r_out);
    tkms_bls_gt_encode_cubed(r_cub, &r_out);
    OUTPUT(r_out);
    OUTPUT(r_enc);
    OUTPUT(r_cub);
    assert_memory_equal(&r_out, &e_out, sizeof r_out);
    assert_memory_equal(r_enc, e_enc, sizeof r_enc);
    assert_memory_equal(r_cub, e_cub, sizeof r_cub);
    /* the client's check of crypto.md §7 with secret sk_id = [s]G:
       e(sk_id, g2)·e(−G, [s]g2) = 1, as one multi-pairing */
    g1 ps[2];
    g2 qs[2];
    tkms_bls_gt prod;
    ps[0] = sk_pub;
    tkms_bls_g1_neg(&ps[1], &gen);
    tkms_bls_g2_generator(&qs[0]);
    tkms_bls_g2_mul(&qs[1], &qs[0], &s);
    SECRET(ps[0]);
    assert_int_equal(tkms_bls_pairing_multi(&prod, ps, qs, 2), TKMS_OK);
    bool ok = tkms_bls_gt_is_one(&prod);
    OUTPUT(ok);
    assert_true(ok);
    /* the identity as a secret P: its pair is masked to 1 without a branch */
    g1 ident;
    tkms_bls_g1_identity(&ident);
    SECRET(ident);
    tkms_bls_pairing(&r_out, &ident, &u);
    OUTPUT(r_out);
    assert_true(tkms_bls_gt_is_one(&r_out));
    ct_end("tkms_bls_pairing/pairing_multi (secret G1 point), tkms_bls_gt_encode/encode_cubed");
}

/* ---- common/tkms_ct.h --------------------------------------------------------------- */

/* The [|z|] chain (cofactor clearing, subgroup checks) is constant time in its point, also
   for a torsion point that takes its doubling-case select (ec_impl.h). Its inputs are
   public in tkms (hash outputs, decoded points); this keeps bls.h's default claim true. */
static void test_mul_by_z_abs(void **state) {
    (void)state;
    g1 p[3], o1;
    g2 q[2], o2;
    fp u;
    fp2 u2;
    tkms_bls_g1_generator(&p[0]);
    fp_zero(&p[1].x); /* (0, 2): order 3, reaches the doubling case */
    fp_from_u64(&p[1].y, 2);
    p[1].z = FP_ONE;
    rand_fp(&u);
    g1_map_to_curve(&p[2], &u);
    tkms_bls_g2_generator(&q[0]);
    rand_fp(&u2.c0);
    rand_fp(&u2.c1);
    g2_map_to_curve(&q[1], &u2);
    ct_begin();
    for (size_t i = 0; i < 3; i++) {
        SECRET(p[i]);
        g1_mul_by_z_abs(&o1, &p[i]);
        OUTPUT(o1);
        g1_clear_cofactor(&o1, &p[i]);
        OUTPUT(o1);
    }
    for (size_t i = 0; i < 2; i++) {
        SECRET(q[i]);
        g2_mul_by_z_abs(&o2, &q[i]);
        OUTPUT(o2);
        g2_clear_cofactor(&o2, &q[i]);
        OUTPUT(o2);
    }
    ct_end("g1/g2_mul_by_z_abs and clear_cofactor (secret point)");
}

static void test_ct_bytes_equal(void **state) {
    (void)state;
    uint8_t tag[32], other[32];
    tu_rng_bytes(&rng, tag, sizeof tag);
    ct_begin();
    for (int diff = -1; diff < 32; diff += 11) {
        memcpy(other, tag, sizeof other);
        if (diff >= 0) {
            other[diff] ^= 0x10;
        }
        uint8_t secret_tag[32];
        memcpy(secret_tag, tag, sizeof secret_tag);
        SECRET(secret_tag);
        int eq = tkms_ct_bytes_equal(secret_tag, other, sizeof other);
        OUTPUT(eq);
        assert_int_equal(eq, diff < 0);
    }
    ct_end("tkms_ct_bytes_equal (secret tag)");
}

/* ---- encodings of secret-derived points (group "encode") ------------------------------- */

static void check_g1_encode(const g1 *p_pub) {
    g1 p = *p_pub;
    uint8_t e_c[TKMS_BLS_G1_BYTES], r_c[TKMS_BLS_G1_BYTES];
    uint8_t e_u[TKMS_BLS_G1_UNCOMPRESSED_BYTES], r_u[TKMS_BLS_G1_UNCOMPRESSED_BYTES];
    tkms_bls_g1_encode(e_c, p_pub);
    tkms_bls_g1_encode_uncompressed(e_u, p_pub);
    SECRET(p);
    tkms_bls_g1_encode(r_c, &p);
    tkms_bls_g1_encode_uncompressed(r_u, &p);
    OUTPUT(r_c);
    OUTPUT(r_u);
    assert_memory_equal(r_c, e_c, sizeof r_c);
    assert_memory_equal(r_u, e_u, sizeof r_u);
}

static void check_g2_encode(const g2 *p_pub) {
    g2 p = *p_pub;
    uint8_t e_c[TKMS_BLS_G2_BYTES], r_c[TKMS_BLS_G2_BYTES];
    uint8_t e_u[TKMS_BLS_G2_UNCOMPRESSED_BYTES], r_u[TKMS_BLS_G2_UNCOMPRESSED_BYTES];
    tkms_bls_g2_encode(e_c, p_pub);
    tkms_bls_g2_encode_uncompressed(e_u, p_pub);
    SECRET(p);
    tkms_bls_g2_encode(r_c, &p);
    tkms_bls_g2_encode_uncompressed(r_u, &p);
    OUTPUT(r_c);
    OUTPUT(r_u);
    assert_memory_equal(r_c, e_c, sizeof r_c);
    assert_memory_equal(r_u, e_u, sizeof r_u);
}

static void test_g1_encode(void **state) {
    (void)state;
    g1 gen, p, ident;
    tkms_bls_g1_generator(&gen);
    tkms_bls_g1_identity(&ident);
    ct_begin();
    for (int i = 0; i < 4; i++) {
        fr k;
        rand_fr(&k);
        tkms_bls_g1_mul(&p, &gen, &k); /* projective, Z != 1: sk_id, a partial signature */
        check_g1_encode(&p);
        tkms_bls_g1_neg(&p, &p); /* the other sign flag */
        check_g1_encode(&p);
    }
    check_g1_encode(&ident);
    ct_end("tkms_bls_g1_encode/encode_uncompressed (secret-derived point)");
}

static void test_g2_encode(void **state) {
    (void)state;
    g2 gen, p, ident;
    tkms_bls_g2_generator(&gen);
    tkms_bls_g2_identity(&ident);
    ct_begin();
    for (int i = 0; i < 2; i++) {
        fr k;
        rand_fr(&k);
        tkms_bls_g2_mul(&p, &gen, &k);
        check_g2_encode(&p);
        tkms_bls_g2_neg(&p, &p);
        check_g2_encode(&p);
    }
    check_g2_encode(&ident);
    ct_end("tkms_bls_g2_encode/encode_uncompressed (secret-derived point)");
}

/* ---- deliberately variable-time code: memcheck must flag it --------------------------- */

/* Square-and-multiply that skips the multiply for zero bits: the textbook timing leak.
   The loop's work depends on each secret bit, so the compiler must emit a branch. */
__attribute__((noinline)) static void leaky_fr_pow(fr *out, const fr *a, const fr *e) {
    limb_t raw[4];
    fr acc = FR_ONE;
    fr_to_raw(raw, e);
    for (int i = 255; i >= 0; i--) {
        tkms_bls_fr_mul(&acc, &acc, &acc);
        if ((raw[i / 64] >> (i % 64)) & 1) {
            tkms_bls_fr_mul(&acc, &acc, a);
        }
    }
    *out = acc;
}

/* Table lookup at a secret index: the cache-timing leak. */
__attribute__((noinline)) static uint8_t leaky_lookup(const uint8_t secret[32]) {
    static volatile uint8_t sbox[256];
    uint8_t acc = 0;
    for (size_t i = 0; i < 32; i++) {
        acc ^= sbox[secret[i]];
    }
    return acc;
}

static void expect_flagged(const char *what) {
    unsigned n = VALGRIND_COUNT_ERRORS - errors_at_start;
    assert_true(n > 0); /* the harness would have missed a real leak */
    print_message("ct-selftest: memcheck flagged %s (%u error(s)), as it must\n", what, n);
}

static void test_leak_branch(void **state) {
    (void)state;
    fr a, e, out;
    rand_fr(&a);
    rand_fr(&e);
    ct_begin();
    SECRET(e);
    leaky_fr_pow(&out, &a, &e);
    /* out depends on e only through control flow, which memcheck does not taint */
    (void)VALGRIND_MAKE_MEM_DEFINED(&out, sizeof out);
    expect_flagged("a branch on a secret exponent bit");
}

static void test_leak_index(void **state) {
    (void)state;
    uint8_t key[32];
    tu_rng_bytes(&rng, key, sizeof key);
    ct_begin();
    SECRET(key);
    uint8_t r = leaky_lookup(key);
    (void)VALGRIND_MAKE_MEM_DEFINED(&r, sizeof r);
    expect_flagged("a table index derived from a secret");
}

int main(int argc, char **argv) {
    const char *group = argc > 1 ? argv[1] : "core";
    if (!RUNNING_ON_VALGRIND) {
        fprintf(stderr, "test_ct_bls must run under valgrind --tool=memcheck "
                        "(a native run checks nothing)\n");
        return 2;
    }
    uint64_t seed = tu_seed();
    printf("test_ct_bls: group %s, kernel %s, TKMS_TEST_SEED=%llu\n", group,
           tkms_bls_kernel_name(), (unsigned long long)seed);
    tu_rng_seed(&rng, seed);
    const struct CMUnitTest core[] = {
        cmocka_unit_test(test_fr_arith),      cmocka_unit_test(test_fr_codec),
        cmocka_unit_test(test_fp_inv_sqrt),   cmocka_unit_test(test_g1_mul),
        cmocka_unit_test(test_g2_mul),        cmocka_unit_test(test_g1_mul_chain),
        cmocka_unit_test(test_gt_pow),        cmocka_unit_test(test_pairing_secret_g1),
        cmocka_unit_test(test_ct_bytes_equal), cmocka_unit_test(test_mul_by_z_abs),
    };
    const struct CMUnitTest encode[] = {
        cmocka_unit_test(test_g1_encode),
        cmocka_unit_test(test_g2_encode),
    };
    const struct CMUnitTest leak_branch[] = {cmocka_unit_test(test_leak_branch)};
    const struct CMUnitTest leak_index[] = {cmocka_unit_test(test_leak_index)};
    if (strcmp(group, "core") == 0) {
        return cmocka_run_group_tests_name("ct_core", core, NULL, NULL);
    }
    if (strcmp(group, "encode") == 0) {
        return cmocka_run_group_tests_name("ct_encode", encode, NULL, NULL);
    }
    if (strcmp(group, "leak-branch") == 0) {
        return cmocka_run_group_tests_name("ct_leak_branch", leak_branch, NULL, NULL);
    }
    if (strcmp(group, "leak-index") == 0) {
        return cmocka_run_group_tests_name("ct_leak_index", leak_index, NULL, NULL);
    }
    fprintf(stderr, "unknown group %s (core, encode, leak-branch, leak-index)\n", group);
    return 2;
}
