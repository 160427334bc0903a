/*
 * test_rlp.c — RLP encoder and strict decoder (src/chain/rlp.c): the examples of the
 * Ethereum RLP specification, list iteration, and one negative test per error code
 * (truncated, non-canonical forms, trailing bytes, excessive depth, wrong shape).
 */
#include "chain/internal.h"
#include "test_util.h"

typedef struct {
    const char *hex;
    bool is_list;
} rlp_case;

static tkms_chain_bytes unhex_alloc(const char *hex) {
    tkms_chain_bytes b;
    assert_int_equal(tkms_chain_hex_decode_alloc(&b, hex, 1 << 20), TKMS_OK);
    return b;
}

static void check_encoding(chain_buf *b, const char *want_hex) {
    tkms_chain_bytes got;
    assert_int_equal(chain_buf_finish(b, &got), TKMS_OK);
    char *hex = malloc(2 * got.len + 3);
    tkms_chain_hex_encode(hex, got.ptr, got.len);
    assert_string_equal(hex + 2, want_hex);
    free(hex);
    tkms_chain_bytes_free(&got);
}

static void test_encode_spec_examples(void **state) {
    (void)state;
    chain_buf b;
    chain_buf_init(&b, 1024);
    chain_rlp_put_bytes(&b, (const uint8_t *)"dog", 3);
    check_encoding(&b, "83646f67");

    chain_buf_init(&b, 1024); /* ["cat", "dog"] */
    chain_rlp_put_list_header(&b, 8);
    chain_rlp_put_bytes(&b, (const uint8_t *)"cat", 3);
    chain_rlp_put_bytes(&b, (const uint8_t *)"dog", 3);
    check_encoding(&b, "c88363617483646f67");

    chain_buf_init(&b, 1024);
    chain_rlp_put_bytes(&b, NULL, 0);
    chain_rlp_put_list_header(&b, 0);
    chain_rlp_put_u64(&b, 0);
    chain_rlp_put_u64(&b, 15);
    chain_rlp_put_u64(&b, 1024);
    chain_rlp_put_u64(&b, UINT64_MAX);
    check_encoding(&b, "80c0800f820400"
                       "88ffffffffffffffff");

    const char *lorem = "Lorem ipsum dolor sit amet, consectetur adipisicing elit";
    chain_buf_init(&b, 1024);
    chain_rlp_put_bytes(&b, (const uint8_t *)lorem, strlen(lorem));
    check_encoding(&b, "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365"
                       "637465747572206164697069736963696e6720656c6974");

    uint8_t zero = 0, high = 0x80;
    chain_buf_init(&b, 1024);
    chain_rlp_put_bytes(&b, &zero, 1); /* the byte 0x00 is its own encoding */
    chain_rlp_put_bytes(&b, &high, 1);
    check_encoding(&b, "008180");
}

static void test_decode_valid(void **state) {
    (void)state;
    const rlp_case cases[] = {
        {"83646f67", false},
        {"c88363617483646f67", true},
        {"80", false},
        {"c0", true},
        {"0f", false},
        {"820400", false},
        {"c7c0c1c0c3c0c1c0", true}, /* set theory */
        {"b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e736563746574"
         "7572206164697069736963696e6720656c6974",
         false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tkms_chain_bytes in = unhex_alloc(cases[i].hex);
        tkms_chain_rlp_item item;
        assert_int_equal(tkms_chain_rlp_decode(&item, in.ptr, in.len), TKMS_OK);
        assert_int_equal(item.is_list, cases[i].is_list);
        tkms_chain_bytes_free(&in);
    }
    tkms_chain_bytes in = unhex_alloc("c88363617483646f67");
    tkms_chain_rlp_item list, item;
    assert_int_equal(tkms_chain_rlp_decode(&list, in.ptr, in.len), TKMS_OK);
    size_t cursor = 0;
    assert_true(tkms_chain_rlp_list_next(&item, &list, &cursor));
    assert_memory_equal(item.payload, "cat", 3);
    assert_true(tkms_chain_rlp_list_next(&item, &list, &cursor));
    assert_memory_equal(item.payload, "dog", 3);
    assert_false(tkms_chain_rlp_list_next(&item, &list, &cursor));
    tkms_chain_bytes_free(&in);
}

static void expect_error(const char *hex, tkms_err want) {
    tkms_chain_bytes in = unhex_alloc(hex);
    tkms_chain_rlp_item item;
    tkms_err got = tkms_chain_rlp_decode(&item, in.ptr, in.len);
    if (got != want) {
        fail_msg("%s: got %s, want %s", hex, tkms_err_name(got), tkms_err_name(want));
    }
    assert_null(item.payload);
    tkms_chain_bytes_free(&in);
}

static void test_decode_rejects(void **state) {
    (void)state;
    expect_error("", TKMS_ERR_CHAIN_RLP_TRUNCATED);
    expect_error("83646f", TKMS_ERR_CHAIN_RLP_TRUNCATED);
    expect_error("c3836162", TKMS_ERR_CHAIN_RLP_TRUNCATED); /* item overruns its list */
    expect_error("bfffffffffffffffff", TKMS_ERR_CHAIN_RLP_TRUNCATED);
    expect_error("b9", TKMS_ERR_CHAIN_RLP_TRUNCATED);      /* length bytes missing */
    expect_error("8100", TKMS_ERR_CHAIN_RLP_NONCANONICAL); /* 0x00 wrapped */
    expect_error("817f", TKMS_ERR_CHAIN_RLP_NONCANONICAL);
    expect_error("b80161", TKMS_ERR_CHAIN_RLP_NONCANONICAL);   /* long form for 1 byte */
    expect_error("b9003861", TKMS_ERR_CHAIN_RLP_NONCANONICAL); /* leading zero length */
    expect_error("f800", TKMS_ERR_CHAIN_RLP_NONCANONICAL);
    expect_error("c2c280", TKMS_ERR_CHAIN_RLP_TRUNCATED); /* nested overrun */
    expect_error("8080", TKMS_ERR_CHAIN_RLP_TRAILING);
    expect_error("c0c0", TKMS_ERR_CHAIN_RLP_TRAILING);
    char deep[2 * 40 + 1] = {0}; /* 20 nested lists: c0 wrapped 19 times */
    size_t n = 0;
    for (int i = 19; i >= 0; i--) {
        snprintf(deep + n, sizeof deep - n, "%02x", 0xc0 + i);
        n += 2;
    }
    expect_error(deep, TKMS_ERR_CHAIN_RLP_TOO_DEEP);
}

static void test_to_u64(void **state) {
    (void)state;
    const struct {
        const char *hex;
        tkms_err err;
        uint64_t value;
    } cases[] = {
        {"80", TKMS_OK, 0},
        {"7f", TKMS_OK, 127},
        {"820400", TKMS_OK, 1024},
        {"88ffffffffffffffff", TKMS_OK, UINT64_MAX},
        {"00", TKMS_ERR_CHAIN_RLP_NONCANONICAL, 0},
        {"820001", TKMS_ERR_CHAIN_RLP_NONCANONICAL, 0},
        {"89010000000000000000", TKMS_ERR_CHAIN_VALUE_RANGE, 0},
        {"c0", TKMS_ERR_CHAIN_RLP_SHAPE, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tkms_chain_bytes in = unhex_alloc(cases[i].hex);
        tkms_chain_rlp_item item;
        assert_int_equal(tkms_chain_rlp_decode(&item, in.ptr, in.len), TKMS_OK);
        uint64_t v = 99;
        assert_int_equal(tkms_chain_rlp_to_u64(&v, &item), cases[i].err);
        assert_int_equal(v, cases[i].value);
        tkms_chain_bytes_free(&in);
    }
}

/* Random trees: encode, then the decoder accepts exactly the encoding. */
static void test_random_roundtrip(void **state) {
    (void)state;
    uint64_t seed = tu_seed();
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    for (int round = 0; round < 200; round++) {
        chain_buf payload, out;
        chain_buf_init(&payload, 1 << 20);
        size_t items = (size_t)(tu_rng_next(&rng) % 20);
        for (size_t i = 0; i < items; i++) {
            uint8_t data[300];
            size_t len = (size_t)(tu_rng_next(&rng) % sizeof data);
            tu_rng_bytes(&rng, data, len);
            chain_rlp_put_bytes(&payload, data, len);
        }
        chain_buf_init(&out, 1 << 20);
        chain_rlp_put_list_header(&out, payload.len);
        chain_buf_put(&out, payload.ptr, payload.len);
        tkms_chain_rlp_item list, item;
        if (tkms_chain_rlp_decode(&list, out.ptr, out.len) != TKMS_OK) {
            fail_msg("round %d (seed %llu)", round, (unsigned long long)seed);
        }
        size_t cursor = 0, count = 0;
        while (tkms_chain_rlp_list_next(&item, &list, &cursor)) {
            count++;
        }
        assert_int_equal(count, items);
        assert_int_equal(tkms_chain_rlp_decode(&list, out.ptr, out.len - 1) == TKMS_OK, false);
        chain_buf_free(&payload);
        chain_buf_free(&out);
    }
}

int main(void) {
    printf("# seed %llu\n", (unsigned long long)tu_seed());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_spec_examples), cmocka_unit_test(test_decode_valid),
        cmocka_unit_test(test_decode_rejects),       cmocka_unit_test(test_to_u64),
        cmocka_unit_test(test_random_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
