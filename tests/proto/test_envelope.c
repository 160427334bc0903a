/*
 * test_envelope.c — the peer envelope of protocol.md §8 (src/proto/envelope.c): the exact
 * binary layout and signed bytes (docs/wire-formats.md §4), the exact JSON form (§5),
 * round trips through both forms, signature tampering at every byte, and every decode
 * failure of the binary and the JSON decoder.
 */
#include "proto_test.h"

static tu_rng prng;
static tkms_rng rng;
static char hx[2 * TKMS_PROTO_ENVELOPE_BYTES_MAX + 1];

#define SIG_DIGITS                                                                                 \
    "3333333333333333333333333333333333333333333333333333333333333333"                             \
    "3333333333333333333333333333333333333333333333333333333333333333"

/* A fetch to every peer: from 0x11…, body 0x22…, signature 0x33… (not a real one). */
static void fetch_envelope(tkms_proto_envelope *env) {
    memset(env, 0, sizeof *env);
    env->version = TKMS_PROTO_ENVELOPE_VERSION;
    env->epoch = 5;
    env->type = TKMS_PROTO_ENVELOPE_FETCH;
    memset(env->from, 0x11, 20);
    env->to_all = true;
    memset(env->body.record_hash, 0x22, 32);
    memset(env->signature, 0x33, 64);
}

/* A signed record envelope from the dealer to one player, t' = 2 of n = 3. */
static void record_envelope(tkms_proto_envelope *env) {
    pt_players p;
    tkms_tss_poly f;
    pt_players_make(&p, 3, &prng);
    memset(env, 0, sizeof *env);
    env->version = TKMS_PROTO_ENVELOPE_VERSION;
    env->epoch = 12;
    env->type = TKMS_PROTO_ENVELOPE_RECORD;
    memcpy(env->from, PT_DEALER, 20);
    memcpy(env->to, p.players[1].address, 20);
    pt_deal(&env->body.record, &f, NULL, &p, 2, 12, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
    tkms_proto_envelope_sign(env, &PT_DOMAIN, PT_DEALER_SEED);
    tkms_tss_poly_wipe(&f);
}

static void test_binary_layout(void **state) {
    (void)state;
    static tkms_proto_envelope env, back;
    uint8_t bin[TKMS_PROTO_ENVELOPE_BYTES_MAX];
    size_t len = 0;
    fetch_envelope(&env);
    assert_int_equal(tkms_proto_envelope_encode(bin, sizeof bin, &len, &env), TKMS_OK);
    assert_int_equal(len, 55 + 32 + 64);
    tu_hex(hx, bin, len);
    char want[2 * 151 + 1];
    snprintf(want, sizeof want, "01%016x02%s00%s%08x%s%s", 5,
             "1111111111111111111111111111111111111111",
             "0000000000000000000000000000000000000000", 32,
             "2222222222222222222222222222222222222222222222222222222222222222",
             SIG_DIGITS);
    assert_string_equal(hx, want);
    assert_int_equal(tkms_proto_envelope_decode(&back, bin, len), TKMS_OK);
    assert_memory_equal(&back, &env, sizeof env);
    assert_int_equal(tkms_proto_envelope_encode(bin, len - 1, &len, &env),
                     TKMS_ERR_PROTO_BUFFER_SMALL);
    assert_int_equal(len, 0);
}

/* The signature covers "tkms-peer-v1" ‖ be64 chain id ‖ EpochLog ‖ binary without sig. */
static void test_signed_bytes(void **state) {
    (void)state;
    static tkms_proto_envelope env;
    static uint8_t msg[40 + TKMS_PROTO_ENVELOPE_BYTES_MAX];
    uint8_t pub[32];
    tkms_prim_ed25519_public(pub, PT_DEALER_SEED);
    record_envelope(&env);
    size_t len = 0;
    memcpy(msg, "tkms-peer-v1", 12);
    memcpy(msg + 12, "\x00\x00\x00\x00\x00\x00\x7a\x69", 8); /* 31337 */
    memcpy(msg + 20, PT_DOMAIN.epoch_log, 20);
    assert_int_equal(tkms_proto_envelope_encode(msg + 40, sizeof msg - 40, &len, &env), TKMS_OK);
    assert_true(tkms_prim_ed25519_verify(env.signature, pub, msg, 40 + len - 64));
    assert_int_equal(tkms_proto_envelope_verify(&env, &PT_DOMAIN, pub), TKMS_OK);
    /* the same fields in another deployment, or with another key, do not verify */
    tkms_proto_domain d = PT_DOMAIN;
    d.chain_id = 1;
    assert_int_equal(tkms_proto_envelope_verify(&env, &d, pub), TKMS_ERR_PROTO_ENVELOPE_SIGNATURE);
    uint8_t other_seed[32] = {42}, other[32];
    tkms_prim_ed25519_public(other, other_seed);
    assert_int_equal(tkms_proto_envelope_verify(&env, &PT_DOMAIN, other),
                     TKMS_ERR_PROTO_ENVELOPE_SIGNATURE);
}

/* Flips each bit position (one per byte) of the encoding: the result must either fail
   to decode or fail to verify; nothing tampered is accepted. */
static void tamper_every_byte(const tkms_proto_envelope *env) {
    static uint8_t bin[TKMS_PROTO_ENVELOPE_BYTES_MAX];
    static tkms_proto_envelope out;
    uint8_t pub[32];
    tkms_prim_ed25519_public(pub, PT_DEALER_SEED);
    size_t len = 0;
    assert_int_equal(tkms_proto_envelope_encode(bin, sizeof bin, &len, env), TKMS_OK);
    assert_int_equal(tkms_proto_envelope_decode(&out, bin, len), TKMS_OK);
    assert_int_equal(tkms_proto_envelope_verify(&out, &PT_DOMAIN, pub), TKMS_OK);
    size_t accepted = 0;
    for (size_t i = 0; i < len; i++) {
        bin[i] ^= (uint8_t)(1u << (i % 8));
        if (tkms_proto_envelope_decode(&out, bin, len) == TKMS_OK) {
            assert_int_equal(tkms_proto_envelope_verify(&out, &PT_DOMAIN, pub),
                             TKMS_ERR_PROTO_ENVELOPE_SIGNATURE);
            accepted++;
        }
        bin[i] ^= (uint8_t)(1u << (i % 8));
    }
    assert_true(accepted > len / 2); /* most flips reach the signature check */
}

static void test_tamper(void **state) {
    (void)state;
    static tkms_proto_envelope env;
    record_envelope(&env);
    tamper_every_byte(&env);
    fetch_envelope(&env);
    env.to_all = false;
    memset(env.to, 0x44, 20);
    tkms_proto_envelope_sign(&env, &PT_DOMAIN, PT_DEALER_SEED);
    tamper_every_byte(&env);
}

static void test_binary_errors(void **state) {
    (void)state;
    static tkms_proto_envelope env, out;
    static uint8_t bin[TKMS_PROTO_ENVELOPE_BYTES_MAX + 8];
    size_t len = 0;
    record_envelope(&env);
    assert_int_equal(tkms_proto_envelope_encode(bin, sizeof bin, &len, &env), TKMS_OK);
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(tkms_proto_envelope_decode(&out, bin, cut),
                         TKMS_ERR_PROTO_ENVELOPE_TRUNCATED);
    }
    bin[len] = 0;
    assert_int_equal(tkms_proto_envelope_decode(&out, bin, len + 1),
                     TKMS_ERR_PROTO_ENVELOPE_TRAILING);
#define EXPECT_AT(off, value, err)                                                                \
    do {                                                                                          \
        uint8_t keep = bin[off];                                                                  \
        bin[off] = (value);                                                                       \
        assert_int_equal(tkms_proto_envelope_decode(&out, bin, len), (err));                      \
        bin[off] = keep;                                                                          \
    } while (0)
    EXPECT_AT(0, 0, TKMS_ERR_PROTO_ENVELOPE_VERSION);
    EXPECT_AT(0, 2, TKMS_ERR_PROTO_ENVELOPE_VERSION);
    EXPECT_AT(1, 0x80, TKMS_ERR_PROTO_ENVELOPE_EPOCH_RANGE); /* epoch >= 2^63 */
    EXPECT_AT(8, 13, TKMS_ERR_PROTO_ENVELOPE_EPOCH_MISMATCH); /* record of epoch 12 */
    EXPECT_AT(9, 0, TKMS_ERR_PROTO_ENVELOPE_TYPE);
    EXPECT_AT(9, 3, TKMS_ERR_PROTO_ENVELOPE_TYPE);
    EXPECT_AT(9, TKMS_PROTO_ENVELOPE_FETCH, TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
    EXPECT_AT(30, 2, TKMS_ERR_PROTO_ENVELOPE_TO);
    EXPECT_AT(30, 0, TKMS_ERR_PROTO_ENVELOPE_TO); /* "*" with a non-zero address */
    EXPECT_AT(51, 1, TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH); /* 2^24 + … */
    EXPECT_AT(54, (uint8_t)(bin[54] + 1), TKMS_ERR_PROTO_ENVELOPE_TRUNCATED);
    EXPECT_AT(54, (uint8_t)(bin[54] - 1), TKMS_ERR_PROTO_ENVELOPE_TRAILING);
    EXPECT_AT(55, 2, TKMS_ERR_PROTO_RECORD_VERSION); /* the record's own decoder speaks */
    assert_int_equal(tkms_proto_envelope_decode(&out, bin, len), TKMS_OK);
    /* body lengths of a fetch, and the smallest/largest record bounds */
    fetch_envelope(&env);
    assert_int_equal(tkms_proto_envelope_encode(bin, sizeof bin, &len, &env), TKMS_OK);
    EXPECT_AT(54, 31, TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
    EXPECT_AT(54, 33, TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
    EXPECT_AT(51, 0xff, TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
    EXPECT_AT(9, TKMS_PROTO_ENVELOPE_RECORD, TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
    EXPECT_AT(31, 1, TKMS_ERR_PROTO_ENVELOPE_TO);
#undef EXPECT_AT
}

static void test_json_form(void **state) {
    (void)state;
    static tkms_proto_envelope env, back;
    static char json[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1];
    size_t len = 0;
    fetch_envelope(&env);
    assert_int_equal(tkms_proto_envelope_json_encode(json, sizeof json, &len, &env), TKMS_OK);
    assert_string_equal(
        json, "{\"v\":1,\"epoch\":5,\"type\":\"fetch\","
              "\"from\":\"0x1111111111111111111111111111111111111111\",\"to\":\"*\","
              "\"body\":\"0x2222222222222222222222222222222222222222222222222222222222222222\","
              "\"sig\":\"0x" SIG_DIGITS
              "\"}");
    assert_int_equal(len, strlen(json));
    assert_int_equal(tkms_proto_envelope_json_decode(&back, json, len), TKMS_OK);
    assert_memory_equal(&back, &env, sizeof env);
    /* the encoder refuses a buffer without room for the NUL */
    assert_int_equal(tkms_proto_envelope_json_encode(json, len, &len, &env),
                     TKMS_ERR_PROTO_BUFFER_SMALL);
    assert_int_equal(len, 0);
    /* a record envelope through JSON, and the same envelope through binary */
    uint8_t pub[32];
    tkms_prim_ed25519_public(pub, PT_DEALER_SEED);
    record_envelope(&env);
    assert_int_equal(tkms_proto_envelope_json_encode(json, sizeof json, &len, &env), TKMS_OK);
    assert_non_null(strstr(json, "\"type\":\"record\""));
    assert_int_equal(tkms_proto_envelope_json_decode(&back, json, len), TKMS_OK);
    assert_memory_equal(&back, &env, sizeof env);
    assert_int_equal(tkms_proto_envelope_verify(&back, &PT_DOMAIN, pub), TKMS_OK);
    /* whitespace and key order are free in JSON (the signature covers the binary form) */
    static const char spaced[] =
        " { \"sig\" : \"0x" SIG_DIGITS
        "\" ,\n\"to\":\"*\","
        "\"body\":\"0x2222222222222222222222222222222222222222222222222222222222222222\","
        "\"from\":\"0x1111111111111111111111111111111111111111\",\"type\":\"fetch\","
        "\"epoch\":5,\"v\":1}\n";
    fetch_envelope(&env);
    assert_int_equal(tkms_proto_envelope_json_decode(&back, spaced, strlen(spaced)), TKMS_OK);
    assert_memory_equal(&back, &env, sizeof env);
}

/* A fetch envelope in JSON with each field's raw JSON text given. */
static tkms_err json_try(const char *v, const char *epoch, const char *type, const char *from,
                         const char *to, const char *body, const char *sig) {
    static char buf[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 64];
    static tkms_proto_envelope out;
    int n = snprintf(buf, sizeof buf,
                     "{\"v\":%s,\"epoch\":%s,\"type\":%s,\"from\":%s,\"to\":%s,\"body\":%s,"
                     "\"sig\":%s}",
                     v, epoch, type, from, to, body, sig);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    tkms_err err = tkms_proto_envelope_json_decode(&out, buf, (size_t)n);
    if (err != TKMS_OK) {
        assert_int_equal(out.version, 0); /* zeroed on failure */
    }
    return err;
}

#define A "\"0x1111111111111111111111111111111111111111\""
#define H "\"0x2222222222222222222222222222222222222222222222222222222222222222\""
#define S "\"0x" SIG_DIGITS "\""

static void test_json_field_errors(void **state) {
    (void)state;
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, "\"*\"", H, S), TKMS_OK);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, H, S), TKMS_OK);
    assert_int_equal(json_try("\"1\"", "5", "\"fetch\"", A, A, H, S), TKMS_ERR_PROTO_JSON_TYPE);
    assert_int_equal(json_try("1.0", "5", "\"fetch\"", A, A, H, S), TKMS_ERR_PROTO_JSON_TYPE);
    assert_int_equal(json_try("true", "5", "\"fetch\"", A, A, H, S), TKMS_ERR_PROTO_JSON_TYPE);
    assert_int_equal(json_try("2", "5", "\"fetch\"", A, A, H, S), TKMS_ERR_PROTO_ENVELOPE_VERSION);
    assert_int_equal(json_try("1", "-1", "\"fetch\"", A, A, H, S),
                     TKMS_ERR_PROTO_ENVELOPE_EPOCH_RANGE);
    assert_int_equal(json_try("1", "\"5\"", "\"fetch\"", A, A, H, S), TKMS_ERR_PROTO_JSON_TYPE);
    assert_int_equal(json_try("1", "5e0", "\"fetch\"", A, A, H, S), TKMS_ERR_PROTO_JSON_TYPE);
    assert_int_equal(json_try("1", "9223372036854775807", "\"fetch\"", A, A, H, S), TKMS_OK);
    assert_int_equal(json_try("1", "9223372036854775808", "\"fetch\"", A, A, H, S),
                     TKMS_ERR_PROTO_JSON_SYNTAX); /* jansson: integer overflow */
    assert_int_equal(json_try("1", "5", "\"Fetch\"", A, A, H, S), TKMS_ERR_PROTO_ENVELOPE_TYPE);
    assert_int_equal(json_try("1", "5", "\"ack\"", A, A, H, S), TKMS_ERR_PROTO_ENVELOPE_TYPE);
    assert_int_equal(json_try("1", "5", "2", A, A, H, S), TKMS_ERR_PROTO_JSON_TYPE);
    static const char *bad_addr[] = {
        "\"0x111111111111111111111111111111111111111\"",   /* 39 digits */
        "\"0x11111111111111111111111111111111111111111\"", /* 41 digits */
        "\"0x111111111111111111111111111111111111111A\"",  /* uppercase */
        "\"0X1111111111111111111111111111111111111111\"",  /* 0X */
        "\"1111111111111111111111111111111111111111\"",    /* no prefix */
        "\"0x11111111111111111111111111111111111111g1\"",  /* not hex */
        "\"**\"", "\"\"",
    };
    for (size_t i = 0; i < sizeof bad_addr / sizeof bad_addr[0]; i++) {
        assert_int_equal(json_try("1", "5", "\"fetch\"", A, bad_addr[i], H, S),
                         TKMS_ERR_PROTO_JSON_ADDRESS);
        if (i < 6) {
            assert_int_equal(json_try("1", "5", "\"fetch\"", bad_addr[i], A, H, S),
                             TKMS_ERR_PROTO_JSON_ADDRESS);
        }
    }
    assert_int_equal(json_try("1", "5", "\"fetch\"", "\"*\"", A, H, S),
                     TKMS_ERR_PROTO_JSON_ADDRESS);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, "null", H, S), TKMS_ERR_PROTO_JSON_TYPE);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, "\"0x222\"", S),
                     TKMS_ERR_PROTO_JSON_HEX);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, "\"22\"", S), TKMS_ERR_PROTO_JSON_HEX);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, "\"0xAB\"", S), TKMS_ERR_PROTO_JSON_HEX);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, "\"0x22\"", S),
                     TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, "\"0x\"", S),
                     TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
    assert_int_equal(json_try("1", "5", "\"record\"", A, A, H, S),
                     TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, "[]", S), TKMS_ERR_PROTO_JSON_TYPE);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, H, "\"0x33\""), TKMS_ERR_PROTO_JSON_HEX);
    assert_int_equal(json_try("1", "5", "\"fetch\"", A, A, H, H), TKMS_ERR_PROTO_JSON_HEX);
}

static void test_json_record_body(void **state) {
    (void)state;
    static tkms_proto_envelope env;
    static uint8_t rec[TKMS_PROTO_RECORD_BYTES_MAX + 1];
    static char body[2 * (TKMS_PROTO_RECORD_BYTES_MAX + 1) + 8];
    size_t len = 0;
    record_envelope(&env);
    assert_int_equal(tkms_proto_record_encode(rec, sizeof rec, &len, &env.body.record), TKMS_OK);
    body[0] = '"';
    body[1] = '0';
    body[2] = 'x';
    tu_hex(body + 3, rec, len);
    strcat(body, "\"");
    assert_int_equal(json_try("1", "12", "\"record\"", A, A, body, S), TKMS_OK);
    assert_int_equal(json_try("1", "11", "\"record\"", A, A, body, S),
                     TKMS_ERR_PROTO_ENVELOPE_EPOCH_MISMATCH);
    body[3] = '0';
    body[4] = '2'; /* record version 2 */
    assert_int_equal(json_try("1", "12", "\"record\"", A, A, body, S),
                     TKMS_ERR_PROTO_RECORD_VERSION);
    /* a body one byte longer than any record */
    memset(rec, 0, sizeof rec);
    tu_hex(body + 3, rec, TKMS_PROTO_RECORD_BYTES_MAX + 1);
    strcat(body, "\"");
    assert_int_equal(json_try("1", "12", "\"record\"", A, A, body, S),
                     TKMS_ERR_PROTO_ENVELOPE_BODY_LENGTH);
}

/* The largest envelope (64-of-64 record, largest epoch) in both forms: the sizes the
   documentation and the decoders' caps promise. */
static void test_largest_envelope(void **state) {
    (void)state;
    static tkms_proto_envelope env, back;
    static uint8_t bin[TKMS_PROTO_ENVELOPE_BYTES_MAX];
    static char json[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1];
    static pt_players p;
    tkms_tss_poly f;
    pt_players_make(&p, 64, &prng);
    memset(&env, 0, sizeof env);
    env.version = TKMS_PROTO_ENVELOPE_VERSION;
    env.epoch = TKMS_PROTO_ENVELOPE_EPOCH_MAX;
    env.type = TKMS_PROTO_ENVELOPE_RECORD;
    memcpy(env.from, PT_DEALER, 20);
    pt_deal(&env.body.record, &f, NULL, &p, 64, env.epoch, TKMS_PROTO_DKG_SOURCE, NULL, &rng);
    tkms_proto_envelope_sign(&env, &PT_DOMAIN, PT_DEALER_SEED);
    size_t len = 0;
    assert_int_equal(tkms_proto_envelope_encode(bin, sizeof bin, &len, &env), TKMS_OK);
    assert_int_equal(len, TKMS_PROTO_ENVELOPE_BYTES_MAX);
    assert_int_equal(tkms_proto_envelope_decode(&back, bin, len), TKMS_OK);
    assert_memory_equal(&back, &env, sizeof env);
    assert_int_equal(tkms_proto_envelope_json_encode(json, sizeof json, &len, &env), TKMS_OK);
    assert_int_equal(len, 23042);
    assert_int_equal(tkms_proto_envelope_json_decode(&back, json, len), TKMS_OK);
    assert_memory_equal(&back, &env, sizeof env);
    tkms_tss_poly_wipe(&f);
}

static void test_json_structure_errors(void **state) {
    (void)state;
    static tkms_proto_envelope out;
    static char big[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1];
    memset(big, ' ', sizeof big);
    assert_int_equal(tkms_proto_envelope_json_decode(&out, big, sizeof big),
                     TKMS_ERR_PROTO_JSON_TOO_LARGE);
    static const struct {
        const char *json;
        tkms_err err;
    } cases[] = {
        {"", TKMS_ERR_PROTO_JSON_SYNTAX},
        {"{", TKMS_ERR_PROTO_JSON_SYNTAX},
        {"{\"v\":1,}", TKMS_ERR_PROTO_JSON_SYNTAX},
        {"{} x", TKMS_ERR_PROTO_JSON_SYNTAX},
        {"{}{}", TKMS_ERR_PROTO_JSON_SYNTAX},
        {"\"x\"", TKMS_ERR_PROTO_JSON_SYNTAX}, /* jansson refuses a non-container root */
        {"[]", TKMS_ERR_PROTO_JSON_TYPE},
        {"{}", TKMS_ERR_PROTO_JSON_MISSING_KEY},
        {"{\"v\":1,\"v\":1}", TKMS_ERR_PROTO_JSON_DUPLICATE_KEY},
        {"{\"v\":1,\"x\":1}", TKMS_ERR_PROTO_JSON_UNKNOWN_KEY},
        {"{\"V\":1}", TKMS_ERR_PROTO_JSON_UNKNOWN_KEY},
        {"{\"v\\u0000\":1}", TKMS_ERR_PROTO_JSON_SYNTAX}, /* NUL in a key */
        {"{\"v\":\"\xff\"}", TKMS_ERR_PROTO_JSON_SYNTAX},  /* invalid UTF-8 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(tkms_proto_envelope_json_decode(&out, cases[i].json,
                                                         strlen(cases[i].json)),
                         cases[i].err);
    }
    /* all seven keys plus an eighth; then six of seven */
    static char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"v\":1,\"epoch\":5,\"type\":\"fetch\",\"from\":%s,\"to\":\"*\",\"body\":%s,"
             "\"sig\":%s,\"extra\":0}",
             A, H, S);
    assert_int_equal(tkms_proto_envelope_json_decode(&out, buf, strlen(buf)),
                     TKMS_ERR_PROTO_JSON_UNKNOWN_KEY);
    snprintf(buf, sizeof buf,
             "{\"v\":1,\"epoch\":5,\"type\":\"fetch\",\"from\":%s,\"to\":\"*\",\"body\":%s}", A,
             H);
    assert_int_equal(tkms_proto_envelope_json_decode(&out, buf, strlen(buf)),
                     TKMS_ERR_PROTO_JSON_MISSING_KEY);
    snprintf(buf, sizeof buf,
             "{\"v\":1,\"epoch\":5,\"type\":\"fetch\",\"from\":%s,\"to\":\"*\",\"body\":%s,"
             "\"sig\":%s,\"sig\":%s}",
             A, H, S, S);
    assert_int_equal(tkms_proto_envelope_json_decode(&out, buf, strlen(buf)),
                     TKMS_ERR_PROTO_JSON_DUPLICATE_KEY);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("TKMS_TEST_SEED=%llu\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    rng = pt_rng_make(&prng);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_layout),
        cmocka_unit_test(test_signed_bytes),
        cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_binary_errors),
        cmocka_unit_test(test_json_form),
        cmocka_unit_test(test_json_field_errors),
        cmocka_unit_test(test_json_record_body),
        cmocka_unit_test(test_largest_envelope),
        cmocka_unit_test(test_json_structure_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
