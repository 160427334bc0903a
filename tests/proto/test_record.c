/*
 * test_record.c — the dealing record of protocol.md §4.3 (src/proto/record.c): the record
 * hash against an independent computation (record_hash.mjs, also checked against
 * EpochLog.recordHashOf on anvil), encode/decode round trips, every decode failure
 * (truncation at every byte, trailing bytes, version, ranges), every validity rule,
 * signatures, dealing and opening with each failure a player must survive.
 */
#include "proto_test.h"

static tu_rng prng;
static tkms_rng rng;

/* Produced by `node tests/proto/record_hash.mjs` (node:crypto only; the same script with
   --anvil checks them against EpochLog.recordHashOf, ctest proto_record_hash_anvil). */
static const char EXPECTED_DKG_RECORD_HASH[] =
    "40575c7b1af83c81e8158a013ff39602e26cd42d9e9ba25d5c34db81080cb70d";
static const char EXPECTED_DKG_ENCODING_SHA256[] =
    "3994dc896a863700d1bd9afceaf96d464bd4e5c77be45d03cfd1f36d02ddd8fc";
static const char EXPECTED_RESHARE_RECORD_HASH[] =
    "f09aa3645a9410085f44c2b421a2d1dc6e0dac43c6fb9fef16927494e144c710";
static const char EXPECTED_RESHARE_ENCODING_SHA256[] =
    "7343dccc6af8b800a2ce9d55963e7b9380cc77426ac0a880a10c72bcddfc0395";

/* The example of record_hash.mjs: t' = 2, n = 3, pattern bytes. */
static void example_record(tkms_proto_record *r, uint64_t epoch, uint64_t source) {
    memset(r, 0, sizeof *r);
    r->header = pt_header(epoch, source, 2);
    r->players = 3;
    for (size_t i = 0; i < 2 * 96; i++) {
        r->commitments[i / 96][i % 96] = (uint8_t)(i * 7 + 3);
    }
    for (size_t i = 0; i < 3 * 80; i++) {
        r->sealed[i / 80][i % 80] = (uint8_t)(i * 13 + 5);
    }
    for (size_t i = 0; i < 64; i++) {
        r->signature[i] = (uint8_t)i;
    }
}

static void check_example(uint64_t epoch, uint64_t source, const char *hash_hex,
                          const char *encoding_hex) {
    tkms_proto_record r, back;
    uint8_t want[32], got[32], ch[32], sh[32], buf[TKMS_PROTO_RECORD_BYTES_MAX];
    example_record(&r, epoch, source);
    assert_int_equal(tu_unhex(want, 32, hash_hex), 32);
    tkms_proto_record_hash(got, &PT_DOMAIN, &r);
    assert_memory_equal(got, want, 32);
    /* the contract's form: from the parts it receives */
    tkms_proto_record_commitments_hash(ch, &r);
    tkms_proto_record_sealed_hash(sh, &r);
    tkms_proto_record_header_hash(got, &PT_DOMAIN, &r.header, ch, sh);
    assert_memory_equal(got, want, 32);
    size_t len = 0;
    assert_int_equal(tkms_proto_record_encode(buf, sizeof buf, &len, &r), TKMS_OK);
    assert_int_equal(len, TKMS_PROTO_RECORD_BYTES(2, 3));
    assert_int_equal(tu_unhex(want, 32, encoding_hex), 32);
    tkms_prim_sha256(got, buf, len);
    assert_memory_equal(got, want, 32);
    assert_int_equal(tkms_proto_record_decode(&back, buf, len), TKMS_OK);
    assert_memory_equal(&back, &r, sizeof r);
}

static void test_hash_matches_contract(void **state) {
    (void)state;
    check_example(7, TKMS_PROTO_DKG_SOURCE, EXPECTED_DKG_RECORD_HASH,
                  EXPECTED_DKG_ENCODING_SHA256);
    check_example(9, 5, EXPECTED_RESHARE_RECORD_HASH, EXPECTED_RESHARE_ENCODING_SHA256);
    /* every input of the hash matters: the domain, each header field */
    tkms_proto_record r;
    uint8_t base[32], other[32];
    example_record(&r, 7, TKMS_PROTO_DKG_SOURCE);
    tkms_proto_record_hash(base, &PT_DOMAIN, &r);
    tkms_proto_domain d = PT_DOMAIN;
    d.chain_id = 1;
    tkms_proto_record_hash(other, &d, &r);
    assert_memory_not_equal(base, other, 32);
    d = PT_DOMAIN;
    d.epoch_log[19] ^= 1;
    tkms_proto_record_hash(other, &d, &r);
    assert_memory_not_equal(base, other, 32);
    r.signature[0] ^= 1; /* the signature is not covered */
    tkms_proto_record_hash(other, &PT_DOMAIN, &r);
    assert_memory_equal(base, other, 32);
}

static void test_roundtrip(void **state) {
    (void)state;
    static const uint16_t tn[][2] = {{1, 1}, {2, 3}, {3, 4}, {14, 20}, {43, 64}, {64, 64}};
    static tkms_proto_record r, back;
    static uint8_t buf[TKMS_PROTO_RECORD_BYTES_MAX], buf2[TKMS_PROTO_RECORD_BYTES_MAX];
    pt_players p;
    tkms_tss_poly f;
    for (size_t i = 0; i < sizeof tn / sizeof tn[0]; i++) {
        pt_players_make(&p, tn[i][1], &prng);
        pt_deal(&r, &f, NULL, &p, tn[i][0], 3, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
        size_t len = 0, len2 = 0;
        assert_int_equal(tkms_proto_record_encoded_bytes(&r), TKMS_PROTO_RECORD_BYTES(tn[i][0],
                                                                                      tn[i][1]));
        assert_int_equal(tkms_proto_record_encode(buf, sizeof buf, &len, &r), TKMS_OK);
        assert_int_equal(tkms_proto_record_decode(&back, buf, len), TKMS_OK);
        assert_memory_equal(&back, &r, sizeof r);
        assert_int_equal(tkms_proto_record_encode(buf2, sizeof buf2, &len2, &back), TKMS_OK);
        assert_int_equal(len2, len);
        assert_memory_equal(buf2, buf, len);
        /* a buffer one byte short is refused and nothing is claimed written */
        assert_int_equal(tkms_proto_record_encode(buf2, len - 1, &len2, &r),
                         TKMS_ERR_PROTO_BUFFER_SMALL);
        assert_int_equal(len2, 0);
        tkms_tss_poly_wipe(&f);
    }
    assert_int_equal(TKMS_PROTO_RECORD_BYTES(64, 64), TKMS_PROTO_RECORD_BYTES_MAX);
}

static void test_decode_truncated_and_trailing(void **state) {
    (void)state;
    static const uint16_t tn[][2] = {{3, 4}, {64, 64}};
    static tkms_proto_record r, out;
    static uint8_t buf[TKMS_PROTO_RECORD_BYTES_MAX + 100];
    pt_players p;
    tkms_tss_poly f;
    for (size_t i = 0; i < 2; i++) {
        pt_players_make(&p, tn[i][1], &prng);
        pt_deal(&r, &f, NULL, &p, tn[i][0], 3, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
        size_t len = 0;
        assert_int_equal(tkms_proto_record_encode(buf, sizeof buf, &len, &r), TKMS_OK);
        for (size_t cut = 0; cut < len; cut++) {
            assert_int_equal(tkms_proto_record_decode(&out, buf, cut),
                             TKMS_ERR_PROTO_RECORD_TRUNCATED);
        }
        assert_true(tkms_proto_record_decode(&out, NULL, 0) == TKMS_ERR_PROTO_RECORD_TRUNCATED);
        for (size_t extra = 1; extra <= 100; extra += 33) {
            memset(buf + len, 0, extra);
            assert_int_equal(tkms_proto_record_decode(&out, buf, len + extra),
                             TKMS_ERR_PROTO_RECORD_TRAILING);
            uint8_t zero[sizeof out.header] = {0};
            assert_memory_equal(&out.header, zero, sizeof zero); /* zeroed on failure */
        }
        assert_int_equal(tkms_proto_record_decode(&out, buf, len), TKMS_OK);
    }
}

/* Writes be16 v at off. */
static void set_be16(uint8_t *p, size_t off, uint16_t v) {
    p[off] = (uint8_t)(v >> 8);
    p[off + 1] = (uint8_t)v;
}

static void test_decode_fields(void **state) {
    (void)state;
    static tkms_proto_record r, out;
    static uint8_t buf[TKMS_PROTO_RECORD_BYTES_MAX + 8];
    example_record(&r, 7, TKMS_PROTO_DKG_SOURCE);
    size_t len = 0;
    assert_int_equal(tkms_proto_record_encode(buf, sizeof buf, &len, &r), TKMS_OK);
    static const uint8_t bad_versions[] = {0, 2, 0xff};
    for (size_t i = 0; i < sizeof bad_versions; i++) {
        buf[0] = bad_versions[i];
        assert_int_equal(tkms_proto_record_decode(&out, buf, len), TKMS_ERR_PROTO_RECORD_VERSION);
        assert_int_equal(tkms_proto_record_decode(&out, buf, 1), TKMS_ERR_PROTO_RECORD_VERSION);
    }
    buf[0] = 1;
    /* t' out of range, including values whose byte counts would be huge */
    static const uint16_t bad_t[] = {0, 65, 0x100, 0xffff};
    for (size_t i = 0; i < 4; i++) {
        set_be16(buf, 37, bad_t[i]);
        assert_int_equal(tkms_proto_record_decode(&out, buf, len),
                         TKMS_ERR_PROTO_RECORD_THRESHOLD_RANGE);
    }
    set_be16(buf, 37, 2);
    size_t n_off = TKMS_PROTO_RECORD_HEADER_BYTES + 2 * 96;
    static const uint16_t bad_n[] = {0, 65, 0x100, 0xffff};
    for (size_t i = 0; i < 4; i++) {
        set_be16(buf, n_off, bad_n[i]);
        assert_int_equal(tkms_proto_record_decode(&out, buf, len),
                         TKMS_ERR_PROTO_RECORD_PLAYERS_RANGE);
    }
    /* n = 1 < t' = 2, with exactly the bytes n = 1 implies */
    set_be16(buf, n_off, 1);
    size_t len1 = TKMS_PROTO_RECORD_BYTES(2, 1);
    assert_int_equal(tkms_proto_record_decode(&out, buf, len1),
                     TKMS_ERR_PROTO_RECORD_THRESHOLD_ABOVE_PLAYERS);
    /* a player count that disagrees with the bytes present */
    set_be16(buf, n_off, 4);
    assert_int_equal(tkms_proto_record_decode(&out, buf, len), TKMS_ERR_PROTO_RECORD_TRUNCATED);
    set_be16(buf, n_off, 2);
    assert_int_equal(tkms_proto_record_decode(&out, buf, len), TKMS_ERR_PROTO_RECORD_TRAILING);
    set_be16(buf, n_off, 3);
    assert_int_equal(tkms_proto_record_decode(&out, buf, len), TKMS_OK);
    /* one more declared commitment shifts the player count into commitment bytes */
    set_be16(buf, 37, 3);
    assert_true(tkms_proto_record_decode(&out, buf, len) != TKMS_OK);
}

/* ---- validity rules ------------------------------------------------------------------ */

static tkms_proto_record vr;
static tkms_tss_poly vf;
static pt_players vp;

static void setup_valid_record(void) {
    pt_players_make(&vp, 7, &prng);
    pt_deal(&vr, &vf, NULL, &vp, 5, 11, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
}

static void test_validate_header_rules(void **state) {
    (void)state;
    static tkms_tss_commitments c;
    setup_valid_record();
    tkms_proto_record_expect e = pt_expect(&vr), e2;
    assert_int_equal(tkms_proto_record_validate(&c, &vr, &PT_DOMAIN, &e), TKMS_OK);
    assert_int_equal(c.t, 5);
    tkms_proto_record r = vr;
    r.header.version = 2;
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e),
                     TKMS_ERR_PROTO_RECORD_VERSION);
    e2 = e;
    e2.epoch++;
    assert_int_equal(tkms_proto_record_validate(&c, &vr, &PT_DOMAIN, &e2),
                     TKMS_ERR_PROTO_RECORD_EPOCH);
    e2 = e;
    e2.dealer[0] ^= 1;
    assert_int_equal(tkms_proto_record_validate(&c, &vr, &PT_DOMAIN, &e2),
                     TKMS_ERR_PROTO_RECORD_DEALER);
    r = vr;
    r.header.source = 10; /* a reshare record where the epoch runs a DKG */
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e),
                     TKMS_ERR_PROTO_RECORD_SOURCE);
    e2 = e;
    e2.threshold = 4;
    assert_int_equal(tkms_proto_record_validate(&c, &vr, &PT_DOMAIN, &e2),
                     TKMS_ERR_PROTO_RECORD_THRESHOLD);
    e2 = e;
    e2.players = 8;
    assert_int_equal(tkms_proto_record_validate(&c, &vr, &PT_DOMAIN, &e2),
                     TKMS_ERR_PROTO_RECORD_PLAYERS);
    e2 = e;
    e2.committed_hash[31] ^= 1;
    assert_int_equal(tkms_proto_record_validate(&c, &vr, &PT_DOMAIN, &e2),
                     TKMS_ERR_PROTO_RECORD_HASH_MISMATCH);
    r = vr;
    r.sealed[6][79] ^= 1; /* a record differing from its committed hash */
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e),
                     TKMS_ERR_PROTO_RECORD_HASH_MISMATCH);
    tkms_proto_domain d = PT_DOMAIN;
    d.chain_id++; /* another deployment */
    assert_int_equal(tkms_proto_record_validate(&c, &vr, &d, &e),
                     TKMS_ERR_PROTO_RECORD_HASH_MISMATCH);
    assert_int_equal(c.t, 0); /* zeroed on failure */
}

/* Replaces commitment k by enc, re-commits the hash, and validates. */
static tkms_err validate_with_commitment(size_t k, const uint8_t enc[96]) {
    static tkms_tss_commitments c;
    tkms_proto_record r = vr;
    memcpy(r.commitments[k], enc, 96);
    tkms_proto_record_expect e = pt_expect(&r);
    return tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e);
}

static void test_validate_commitments(void **state) {
    (void)state;
    setup_valid_record();
    uint8_t enc[96];
    static const char *bad[] = {
        /* flags: compressed bit clear */
        "000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000001"
        "000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000001",
        /* not on the curve */
        "800000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000001"
        "000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000006",
        /* on the curve, not in the prime-order subgroup */
        "800000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000001"
        "000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000001",
        /* x.c1 = p */
        "9a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf"
        "6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab"
        "000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000001",
        /* infinity with a non-zero body */
        "c00000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000000"
        "000000000000000000000000000000000000000000000001",
    };
    static const tkms_err bls[] = {TKMS_ERR_BLS_BAD_FLAGS, TKMS_ERR_BLS_NOT_ON_CURVE,
                                   TKMS_ERR_BLS_NOT_IN_GROUP, TKMS_ERR_BLS_COORDINATE_RANGE,
                                   TKMS_ERR_BLS_BAD_INFINITY};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(tu_unhex(enc, 96, bad[i]), 96);
        for (size_t k = 0; k < 5; k += 2) {
            assert_int_equal(validate_with_commitment(k, enc),
                             TKMS_ERR_PROTO_RECORD_COMMITMENT_INVALID);
        }
        static tkms_tss_commitments c;
        uint8_t cs[5][96];
        memcpy(cs, vr.commitments, sizeof cs);
        memcpy(cs[3], enc, 96);
        size_t idx = 99;
        tkms_err why = TKMS_OK;
        assert_int_equal(tkms_proto_record_commitments_decode(&c, &idx, &why,
                                                              (const uint8_t(*)[96])cs, 5),
                         TKMS_ERR_PROTO_RECORD_COMMITMENT_INVALID);
        assert_int_equal(idx, 3);
        assert_int_equal(why, bls[i]);
    }
    /* the identity: refused as C_0 (a zero constant term), accepted elsewhere */
    memset(enc, 0, 96);
    enc[0] = 0xc0;
    assert_int_equal(validate_with_commitment(0, enc), TKMS_ERR_PROTO_RECORD_COMMITMENT_IDENTITY);
    assert_int_equal(validate_with_commitment(1, enc), TKMS_OK);
    assert_int_equal(validate_with_commitment(4, enc), TKMS_OK);
}

static void test_validate_reshare(void **state) {
    (void)state;
    /* source version V: a dealing over the dealer's point gives it a share s_i */
    static tkms_tss_commitments source, c;
    static tkms_proto_record r;
    tkms_tss_poly g, f;
    assert_int_equal(tkms_tss_poly_random(&g, 3, NULL, &rng), TKMS_OK);
    tkms_tss_poly_commit(&source, &g);
    tkms_bls_fr x;
    assert_int_equal(tkms_tss_point_from_address(&x, PT_DEALER), TKMS_OK);
    tkms_tss_secret s_i;
    tkms_tss_poly_eval(&s_i, &g, &x);
    pt_players p;
    pt_players_make(&p, 5, &prng);
    pt_deal(&r, &f, NULL, &p, 4, 12, 8, &s_i, &rng);
    tkms_bls_g2 pk;
    assert_int_equal(tkms_proto_record_reshare_constant_vartime(&pk, &source, PT_DEALER), TKMS_OK);
    tkms_proto_record_expect e = pt_expect(&r);
    e.reshare_constant = &pk;
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e), TKMS_OK);
    /* a dealer that does not deal its own share of V */
    uint8_t other[20];
    memcpy(other, PT_DEALER, 20);
    other[0] ^= 0x55;
    assert_int_equal(tkms_proto_record_reshare_constant_vartime(&pk, &source, other), TKMS_OK);
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e),
                     TKMS_ERR_PROTO_RECORD_RESHARE_CONSTANT);
    assert_int_equal(c.t, 0);
    tkms_tss_poly_wipe(&g);
    tkms_tss_poly_wipe(&f);
    tkms_tss_secret_wipe(&s_i);
}

static void test_signature(void **state) {
    (void)state;
    setup_valid_record();
    uint8_t pub[32], other_pub[32], other_seed[32] = {9};
    tkms_prim_ed25519_public(pub, PT_DEALER_SEED);
    tkms_prim_ed25519_public(other_pub, other_seed);
    assert_int_equal(tkms_proto_record_signature_verify(&vr, &PT_DOMAIN, pub), TKMS_OK);
    assert_int_equal(tkms_proto_record_signature_verify(&vr, &PT_DOMAIN, other_pub),
                     TKMS_ERR_PROTO_RECORD_SIGNATURE);
    tkms_proto_record r = vr;
    for (size_t i = 0; i < 64; i++) {
        r.signature[i] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(tkms_proto_record_signature_verify(&r, &PT_DOMAIN, pub),
                         TKMS_ERR_PROTO_RECORD_SIGNATURE);
        r.signature[i] = vr.signature[i];
    }
    r.header.epoch++;
    assert_int_equal(tkms_proto_record_signature_verify(&r, &PT_DOMAIN, pub),
                     TKMS_ERR_PROTO_RECORD_SIGNATURE);
    r = vr;
    r.commitments[2][50] ^= 4;
    assert_int_equal(tkms_proto_record_signature_verify(&r, &PT_DOMAIN, pub),
                     TKMS_ERR_PROTO_RECORD_SIGNATURE);
    tkms_proto_domain d = PT_DOMAIN;
    d.epoch_log[0] ^= 1;
    assert_int_equal(tkms_proto_record_signature_verify(&vr, &d, pub),
                     TKMS_ERR_PROTO_RECORD_SIGNATURE);
    /* re-signing after a change makes it verify again */
    r = vr;
    r.header.epoch++;
    tkms_proto_record_sign(&r, &PT_DOMAIN, PT_DEALER_SEED);
    assert_int_equal(tkms_proto_record_signature_verify(&r, &PT_DOMAIN, pub), TKMS_OK);
}

/* ---- dealing and opening ---------------------------------------------------------------- */

static void test_open_every_share(void **state) {
    (void)state;
    static tkms_proto_record r;
    static tkms_tss_commitments c;
    pt_players p;
    tkms_tss_poly f;
    pt_players_make(&p, 10, &prng);
    uint64_t empty = ~0ULL;
    pt_deal(&r, &f, &empty, &p, 7, 4, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
    assert_int_equal(empty, 0);
    tkms_proto_record_expect e = pt_expect(&r);
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e), TKMS_OK);
    for (size_t j = 0; j < p.n; j++) {
        tkms_tss_secret s, want;
        tkms_bls_fr x;
        assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, j, p.players[j].address,
                                                      p.priv[j]),
                         TKMS_OK);
        assert_int_equal(tkms_tss_point_from_address(&x, p.players[j].address), TKMS_OK);
        tkms_tss_poly_eval(&want, &f, &x);
        assert_true(tkms_bls_fr_equal(&s.v, &want.v));
    }
    tkms_tss_poly_wipe(&f);
}

static void test_dealing_is_deterministic(void **state) {
    (void)state;
    static tkms_proto_record a, b;
    pt_players p;
    pt_players_make(&p, 4, &prng);
    tkms_tss_poly f;
    assert_int_equal(tkms_tss_poly_random(&f, 3, NULL, &rng), TKMS_OK);
    tkms_proto_record_header h = pt_header(2, TKMS_PROTO_DKG_SOURCE, 3);
    tu_rng r1, r2;
    tu_rng_seed(&r1, 77);
    tu_rng_seed(&r2, 77);
    tkms_rng g1 = pt_rng_make(&r1), g2 = pt_rng_make(&r2);
    assert_int_equal(tkms_proto_record_deal(&a, NULL, &PT_DOMAIN, &h, &f, p.players, 4,
                                            PT_DEALER_SEED, &g1),
                     TKMS_OK);
    assert_int_equal(tkms_proto_record_deal(&b, NULL, &PT_DOMAIN, &h, &f, p.players, 4,
                                            PT_DEALER_SEED, &g2),
                     TKMS_OK);
    assert_memory_equal(&a, &b, sizeof a); /* the same seed rebuilds the same record */
    tkms_tss_poly_wipe(&f);
}

static void test_empty_and_low_order_slots(void **state) {
    (void)state;
    static tkms_proto_record r;
    static tkms_tss_commitments c;
    static const uint8_t zero[80] = {0};
    pt_players p;
    tkms_tss_poly f;
    pt_players_make(&p, 6, &prng);
    memset(p.players[1].x25519, 0, 32); /* no key for the epoch */
    memset(p.players[4].x25519, 0, 32);
    p.players[4].x25519[0] = 1; /* u = 1: a low-order key */
    uint64_t empty = 0;
    pt_deal(&r, &f, &empty, &p, 4, 4, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
    assert_int_equal(empty, (1u << 1) | (1u << 4));
    assert_memory_equal(r.sealed[1], zero, 80);
    assert_memory_equal(r.sealed[4], zero, 80);
    tkms_proto_record_expect e = pt_expect(&r);
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e), TKMS_OK);
    tkms_tss_secret s;
    for (size_t j = 1; j < 6; j += 3) {
        assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, j, p.players[j].address,
                                                      p.priv[j]),
                         TKMS_ERR_PROTO_SHARE_EMPTY);
        assert_true(tkms_bls_fr_is_zero(&s.v));
    }
    assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, 0, p.players[0].address, p.priv[0]),
                     TKMS_OK);
    tkms_tss_poly_wipe(&f);
}

static void test_open_failures(void **state) {
    (void)state;
    static tkms_proto_record r, t;
    static tkms_tss_commitments c;
    pt_players p;
    tkms_tss_poly f;
    pt_players_make(&p, 4, &prng);
    pt_deal(&r, &f, NULL, &p, 3, 4, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
    tkms_proto_record_expect e = pt_expect(&r);
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e), TKMS_OK);
    tkms_tss_secret s;
    const uint8_t *a0 = p.players[0].address;
    /* another player's key, another player's entry, another player's address (AAD) */
    assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, 0, a0, p.priv[1]),
                     TKMS_ERR_PROTO_SHARE_AEAD);
    assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, 1, a0, p.priv[0]),
                     TKMS_ERR_PROTO_SHARE_AEAD);
    assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, 0, p.players[1].address, p.priv[0]),
                     TKMS_ERR_PROTO_SHARE_AEAD);
    assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, 4, a0, p.priv[0]),
                     TKMS_ERR_PROTO_RECORD_PLAYERS);
    /* every byte of the ciphertext and tag, and the first byte of E */
    for (size_t i = 0; i < 80; i++) {
        if (i > 0 && i < 32) {
            continue;
        }
        t = r;
        t.sealed[0][i] ^= 0x20;
        assert_int_equal(tkms_proto_record_share_open(&s, &t, &c, 0, a0, p.priv[0]),
                         TKMS_ERR_PROTO_SHARE_AEAD);
        assert_true(tkms_bls_fr_is_zero(&s.v));
    }
    /* the AAD binds the commitments and the header */
    t = r;
    t.commitments[1][10] ^= 1;
    assert_int_equal(tkms_proto_record_share_decrypt(&s, &t, 0, a0, p.priv[0]),
                     TKMS_ERR_PROTO_SHARE_AEAD);
    t = r;
    t.header.epoch++;
    assert_int_equal(tkms_proto_record_share_decrypt(&s, &t, 0, a0, p.priv[0]),
                     TKMS_ERR_PROTO_SHARE_AEAD);
    /* a low-order ephemeral key */
    t = r;
    memset(t.sealed[0], 0, 32);
    t.sealed[0][0] = 1;
    assert_int_equal(tkms_proto_record_share_open(&s, &t, &c, 0, a0, p.priv[0]),
                     TKMS_ERR_PROTO_SHARE_LOW_ORDER);
    assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, 0, a0, p.priv[0]), TKMS_OK);
    tkms_tss_poly_wipe(&f);
}

static void test_open_wrong_share(void **state) {
    (void)state;
    static tkms_proto_record r;
    static tkms_tss_commitments c;
    pt_players p;
    tkms_tss_poly f, g;
    pt_players_make(&p, 4, &prng);
    pt_deal(&r, &f, NULL, &p, 3, 4, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
    /* a cheating dealer: commitments of f, shares of g, correctly sealed */
    assert_int_equal(tkms_tss_poly_random(&g, 3, NULL, &rng), TKMS_OK);
    assert_int_equal(tkms_proto_record_seal(&r, NULL, &g, p.players, p.n, &rng), TKMS_OK);
    tkms_proto_record_sign(&r, &PT_DOMAIN, PT_DEALER_SEED);
    tkms_proto_record_expect e = pt_expect(&r);
    assert_int_equal(tkms_proto_record_validate(&c, &r, &PT_DOMAIN, &e), TKMS_OK);
    tkms_tss_secret s;
    const uint8_t *a2 = p.players[2].address;
    assert_int_equal(tkms_proto_record_share_decrypt(&s, &r, 2, a2, p.priv[2]), TKMS_OK);
    assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, 2, a2, p.priv[2]),
                     TKMS_ERR_PROTO_SHARE_INVALID);
    assert_true(tkms_bls_fr_is_zero(&s.v));
    /* a plaintext >= r, sealed with the right AAD */
    uint8_t ch[32], aad[80], big[32];
    memset(big, 0xff, 32);
    tkms_proto_record_commitments_hash(ch, &r);
    tkms_proto_record_share_aad(aad, r.header.epoch, r.header.dealer, a2, ch);
    assert_int_equal(tkms_prim_seal(r.sealed[2], p.players[2].x25519, aad, 80, big, &rng),
                     TKMS_OK);
    assert_int_equal(tkms_proto_record_share_open(&s, &r, &c, 2, a2, p.priv[2]),
                     TKMS_ERR_PROTO_SHARE_RANGE);
    tkms_tss_poly_wipe(&f);
    tkms_tss_poly_wipe(&g);
}

static void test_dealing_inputs(void **state) {
    (void)state;
    static tkms_proto_record r;
    static pt_players p;
    tkms_tss_poly f;
    pt_players_make(&p, 5, &prng);
    assert_int_equal(tkms_tss_poly_random(&f, 4, NULL, &rng), TKMS_OK);
    tkms_proto_record_header h = pt_header(1, TKMS_PROTO_DKG_SOURCE, 4);
    tkms_proto_player swapped[5];
    memcpy(swapped, p.players, sizeof swapped);
    swapped[2] = p.players[3];
    swapped[3] = p.players[2];
    assert_int_equal(tkms_proto_record_deal(&r, NULL, &PT_DOMAIN, &h, &f, swapped, 5,
                                            PT_DEALER_SEED, &rng),
                     TKMS_ERR_PROTO_PLAYERS_ORDER);
    swapped[3] = swapped[2]; /* a duplicate */
    assert_int_equal(tkms_proto_record_deal(&r, NULL, &PT_DOMAIN, &h, &f, swapped, 5,
                                            PT_DEALER_SEED, &rng),
                     TKMS_ERR_PROTO_PLAYERS_ORDER);
    assert_int_equal(tkms_proto_record_deal(&r, NULL, &PT_DOMAIN, &h, &f, p.players, 0,
                                            PT_DEALER_SEED, &rng),
                     TKMS_ERR_PROTO_RECORD_PLAYERS_RANGE);
    assert_int_equal(tkms_proto_record_deal(&r, NULL, &PT_DOMAIN, &h, &f, p.players, 65,
                                            PT_DEALER_SEED, &rng),
                     TKMS_ERR_PROTO_RECORD_PLAYERS_RANGE);
    assert_int_equal(tkms_proto_record_deal(&r, NULL, &PT_DOMAIN, &h, &f, p.players, 3,
                                            PT_DEALER_SEED, &rng),
                     TKMS_ERR_PROTO_RECORD_THRESHOLD_ABOVE_PLAYERS);
    assert_int_equal(r.players, 0); /* zeroed on failure */
    tkms_tss_poly_wipe(&f);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("TKMS_TEST_SEED=%llu\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    rng = pt_rng_make(&prng);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_matches_contract),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_decode_truncated_and_trailing),
        cmocka_unit_test(test_decode_fields),
        cmocka_unit_test(test_validate_header_rules),
        cmocka_unit_test(test_validate_commitments),
        cmocka_unit_test(test_validate_reshare),
        cmocka_unit_test(test_signature),
        cmocka_unit_test(test_open_every_share),
        cmocka_unit_test(test_dealing_is_deterministic),
        cmocka_unit_test(test_empty_and_low_order_slots),
        cmocka_unit_test(test_open_failures),
        cmocka_unit_test(test_open_wrong_share),
        cmocka_unit_test(test_dealing_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
