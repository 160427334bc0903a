/*
 * test_abi.c — ABI encoder/decoder (src/chain/abi.c, abi_type.c): the worked examples of
 * the Solidity ABI specification (selectors and exact bytes), decode of each back to the
 * same values, type-string parsing, event topics and log decoding, and one negative test
 * per decoder error (truncation, offsets, caps, padding, ranges, non-canonical layouts,
 * pool exhaustion). The same shapes are round-tripped through real Solidity on anvil in
 * test_anvil.c.
 */
#include "chain/internal.h"
#include "prim/prim.h"
#include "test_util.h"

#define POOL 256

static tkms_chain_bytes unhex(const char *hex) {
    tkms_chain_bytes b;
    assert_int_equal(tkms_chain_hex_decode_alloc(&b, hex, 1 << 20), TKMS_OK);
    return b;
}

static void assert_bytes_hex(const tkms_chain_bytes *b, const char *want) {
    char *hex = malloc(2 * b->len + 3);
    tkms_chain_hex_encode(hex, b->ptr, b->len);
    assert_string_equal(hex + 2, want);
    free(hex);
}

static uint64_t get_u64(const tkms_chain_abi_value *v) {
    uint64_t x = 0;
    assert_int_equal(tkms_chain_abi_get_u64(&x, v), TKMS_OK);
    return x;
}

#define W(x) "00000000000000000000000000000000000000000000000000000000000000" x

static const char sam_hex[] = "a5643bf2" W("60") W("01") W("a0")
    W("04") "6461766500000000000000000000000000000000000000000000000000000000" W("03") W("01")
        W("02") W("03");

static const char f_hex[] =
    "8be65246"
    "0000000000000000000000000000000000000000000000000000000000000123" W(
        "80") "3132333435363738393000000000000000000000000000000000000000000000" W("e0")
        W("02") "0000000000000000000000000000000000000000000000000000000000000456"
                "0000000000000000000000000000000000000000000000000000000000000789" W(
                    "0d") "48656c6c6f2c20776f726c642100000000000000000000000000000000000000";

static const char g_hex[] =
    "2289b18c" W("40") "0000000000000000000000000000000000000000000000000000000000000140" W("02")
        W("40") W("a0") W("02") W("01") W("02") W("01") W("03") W("03") W("60") W("a0") W("e0")
            W("03") "6f6e65000000000000000000000000000000000000000000000000000000000"
                    "0" W("03") "74776f000000000000000000000000000000000000000000000000"
                                "0000000000" W("05") "746872656500000000000000000000000"
                                                     "0000000000000000000000000000000";

static void test_spec_baz_and_sam(void **state) {
    (void)state;
    tkms_chain_abi_value baz_args[] = {tkms_chain_abi_uint64(69), tkms_chain_abi_bool(true)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(baz_args, 2);
    tkms_chain_bytes out;
    assert_int_equal(tkms_chain_abi_call_encode(&out, "baz(uint32,bool)", &args), TKMS_OK);
    assert_bytes_hex(&out, "cdcd77c0" W("45") W("01"));
    tkms_chain_bytes_free(&out);

    tkms_chain_abi_value nums[] = {tkms_chain_abi_uint64(1), tkms_chain_abi_uint64(2),
                                   tkms_chain_abi_uint64(3)};
    tkms_chain_abi_value sam_args[] = {tkms_chain_abi_bytes((const uint8_t *)"dave", 4),
                                       tkms_chain_abi_bool(true), tkms_chain_abi_array(nums, 3)};
    args = tkms_chain_abi_tuple(sam_args, 3);
    assert_int_equal(tkms_chain_abi_call_encode(&out, "sam(bytes,bool,uint256[])", &args), TKMS_OK);
    assert_bytes_hex(&out, sam_hex);

    tkms_chain_abi_value pool_values[POOL], v;
    tkms_chain_abi_pool pool = {pool_values, POOL, 0};
    assert_int_equal(
        tkms_chain_abi_decode(&v, &pool, "(bytes,bool,uint256[])", out.ptr + 4, out.len - 4),
        TKMS_OK);
    assert_int_equal(v.count, 3);
    assert_int_equal(v.items[0].len, 4);
    assert_memory_equal(v.items[0].data, "dave", 4);
    bool flag = false;
    assert_int_equal(tkms_chain_abi_get_bool(&flag, &v.items[1]), TKMS_OK);
    assert_true(flag);
    assert_int_equal(v.items[2].count, 3);
    assert_int_equal(get_u64(&v.items[2].items[2]), 3);
    tkms_chain_bytes_free(&out);
}

static void test_spec_f(void **state) {
    (void)state;
    tkms_chain_abi_value small[] = {tkms_chain_abi_uint64(0x456), tkms_chain_abi_uint64(0x789)};
    tkms_chain_abi_value b10 = {.kind = TKMS_CHAIN_ABI_FIXED_BYTES};
    memcpy(b10.word, "1234567890", 10);
    tkms_chain_abi_value items[] = {tkms_chain_abi_uint64(0x123), tkms_chain_abi_array(small, 2),
                                    b10, tkms_chain_abi_string("Hello, world!")};
    items[3].kind = TKMS_CHAIN_ABI_BYTES;
    tkms_chain_abi_value args = tkms_chain_abi_tuple(items, 4);
    tkms_chain_bytes out;
    assert_int_equal(tkms_chain_abi_call_encode(&out, "f(uint,uint32[],bytes10,bytes)", &args),
                     TKMS_OK); /* "uint" is canonicalized to uint256 for the selector */
    assert_bytes_hex(&out, f_hex);
    tkms_chain_abi_value pool_values[POOL], v;
    tkms_chain_abi_pool pool = {pool_values, POOL, 0};
    assert_int_equal(tkms_chain_abi_decode(&v, &pool, "(uint256,uint32[],bytes10,bytes)",
                                           out.ptr + 4, out.len - 4),
                     TKMS_OK);
    assert_int_equal(get_u64(&v.items[1].items[1]), 0x789);
    assert_memory_equal(v.items[2].word, "1234567890", 10);
    assert_int_equal(v.items[3].len, 13);
    tkms_chain_bytes_free(&out);
}

static void test_spec_g_nested(void **state) {
    (void)state;
    tkms_chain_abi_value a[] = {tkms_chain_abi_uint64(1), tkms_chain_abi_uint64(2)};
    tkms_chain_abi_value b[] = {tkms_chain_abi_uint64(3)};
    tkms_chain_abi_value outer[] = {tkms_chain_abi_array(a, 2), tkms_chain_abi_array(b, 1)};
    tkms_chain_abi_value strings[] = {tkms_chain_abi_string("one"), tkms_chain_abi_string("two"),
                                      tkms_chain_abi_string("three")};
    tkms_chain_abi_value items[] = {tkms_chain_abi_array(outer, 2),
                                    tkms_chain_abi_array(strings, 3)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(items, 2);
    tkms_chain_bytes out;
    assert_int_equal(tkms_chain_abi_call_encode(&out, "g(uint256[][],string[])", &args), TKMS_OK);
    assert_bytes_hex(&out, g_hex);
    tkms_chain_abi_value pool_values[POOL], v;
    tkms_chain_abi_pool pool = {pool_values, POOL, 0};
    assert_int_equal(
        tkms_chain_abi_decode(&v, &pool, "(uint256[][],string[])", out.ptr + 4, out.len - 4),
        TKMS_OK);
    assert_int_equal(v.items[0].items[0].count, 2);
    assert_int_equal(get_u64(&v.items[0].items[1].items[0]), 3);
    assert_int_equal(v.items[1].items[2].len, 5);
    assert_memory_equal(v.items[1].items[2].data, "three", 5);
    /* a pool one value too small is refused and left as it was */
    tkms_chain_abi_pool small = {pool_values, 8, 0};
    assert_int_equal(
        tkms_chain_abi_decode(&v, &small, "(uint256[][],string[])", out.ptr + 4, out.len - 4),
        TKMS_ERR_CHAIN_ABI_POOL_FULL);
    assert_int_equal(small.used, 0);
    assert_int_equal(v.kind, 0);
    tkms_chain_bytes_free(&out);
}

static void test_type_strings(void **state) {
    (void)state;
    uint8_t sel[4];
    const char *good[] = {"f()", "f(uint8,int256,bytes1,bytes32,address,bool,string,bytes)",
                          "f((uint256,(bytes,string)[])[3][])", "f(uint256[4096])"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_int_equal(tkms_chain_abi_selector(sel, good[i]), TKMS_OK);
    }
    const char *bad[] = {"f(uint7)",
                         "f(uint264)",
                         "f(bytes33)",
                         "f(bytes0)",
                         "f(uint256[0])",
                         "f(uint256[01])",
                         "f(uint256",
                         "f(foo)",
                         "f(uint256,)",
                         "f( uint256)",
                         "(uint256)",
                         "f(uint256)x",
                         "f(uint256[4097])",
                         "f(((((((((uint8)))))))))",
                         "f(uint8[][][][][][][][][])",
                         "f(uint256[1000][1000])"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (tkms_chain_abi_selector(sel, bad[i]) != TKMS_ERR_CHAIN_ABI_BAD_TYPE) {
            fail_msg("accepted bad type string %s", bad[i]);
        }
    }
    assert_int_equal(tkms_chain_abi_selector(sel, "transfer(address,uint256)"), TKMS_OK);
    assert_memory_equal(sel, "\xa9\x05\x9c\xbb", 4);
}

static tkms_err decode_hex(const char *types, const char *hex) {
    tkms_chain_bytes in = unhex(hex);
    tkms_chain_abi_value pool_values[POOL], v;
    tkms_chain_abi_pool pool = {pool_values, POOL, 0};
    tkms_err err = tkms_chain_abi_decode(&v, &pool, types, in.ptr, in.len);
    tkms_chain_bytes_free(&in);
    if (err != TKMS_OK) {
        assert_int_equal(pool.used, 0);
    }
    return err;
}

#define F(x) "ff000000000000000000000000000000000000000000000000000000000000" x

static void test_decode_rejects(void **state) {
    (void)state;
    const struct {
        const char *types, *hex;
        tkms_err err;
    } cases[] = {
        {"(uint256)", "", TKMS_ERR_CHAIN_ABI_TRUNCATED},
        {"(uint256)", W("01") "00", TKMS_ERR_CHAIN_ABI_NONCANONICAL}, /* trailing */
        {"(uint8)", W("00") "", TKMS_OK},
        {"(uint8)", "00000000000000000000000000000000000000000000000000000000000001ff",
         TKMS_ERR_CHAIN_ABI_BAD_VALUE},
        {"(int8)", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff80", TKMS_OK},
        {"(int8)", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
         TKMS_ERR_CHAIN_ABI_BAD_VALUE},
        {"(bool)", W("02"), TKMS_ERR_CHAIN_ABI_BAD_VALUE},
        {"(address)", "0000000000000000000000010000000000000000000000000000000000000000",
         TKMS_ERR_CHAIN_ABI_BAD_PADDING},
        {"(bytes4)", "6162636465000000000000000000000000000000000000000000000000000000",
         TKMS_ERR_CHAIN_ABI_BAD_PADDING},
        {"(bytes)", W("20"), TKMS_ERR_CHAIN_ABI_TRUNCATED},          /* no length */
        {"(bytes)", W("60") W("00"), TKMS_ERR_CHAIN_ABI_BAD_OFFSET}, /* past end */
        {"(bytes)", F("20") W("00"), TKMS_ERR_CHAIN_ABI_BAD_OFFSET}, /* huge */
        {"(bytes)", W("20") W("21"), TKMS_ERR_CHAIN_ABI_TRUNCATED},  /* 33 > 0 */
        {"(bytes)", W("20") "0000000000000000000000000000000000000000000000000000000000100001",
         TKMS_ERR_CHAIN_ABI_TOO_LONG}, /* > 1 MiB */
        {"(bytes)",
         W("20") W("01") "6162000000000000000000000000000000000000000000000000000000000000",
         TKMS_ERR_CHAIN_ABI_BAD_PADDING},
        {"(uint256[])", W("20") "0000000000000000000000000000000000000000000000000000000000001001",
         TKMS_ERR_CHAIN_ABI_TOO_LONG},                                          /* > 4096 */
        {"(uint256[])", W("20") W("05") W("01"), TKMS_ERR_CHAIN_ABI_TRUNCATED}, /* 5 claimed */
        {"(bytes,bytes)",
         W("40") W("40") W("01") "6100000000000000000000000000000000000000000000000000000000000000",
         TKMS_ERR_CHAIN_ABI_NONCANONICAL},                                     /* aliased */
        {"(bytes)", W("40") W("00") W("00"), TKMS_ERR_CHAIN_ABI_NONCANONICAL}, /* gap */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tkms_err got = decode_hex(cases[i].types, cases[i].hex);
        if (got != cases[i].err) {
            fail_msg("case %zu %s: got %s, want %s", i, cases[i].types, tkms_err_name(got),
                     tkms_err_name(cases[i].err));
        }
    }
}

static void test_encode_rejects(void **state) {
    (void)state;
    tkms_chain_bytes out;
    tkms_chain_abi_value one = tkms_chain_abi_uint64(1);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&one, 1);
    assert_int_equal(tkms_chain_abi_encode(&out, "(bool)", &args),
                     TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH);
    tkms_chain_abi_value big = tkms_chain_abi_uint64(256);
    args = tkms_chain_abi_tuple(&big, 1);
    assert_int_equal(tkms_chain_abi_encode(&out, "(uint8)", &args), TKMS_ERR_CHAIN_ABI_BAD_VALUE);
    args = tkms_chain_abi_tuple(&one, 1);
    assert_int_equal(tkms_chain_abi_encode(&out, "(uint8,uint8)", &args),
                     TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH);
    tkms_chain_abi_value arr = tkms_chain_abi_array(&one, 1);
    args = tkms_chain_abi_tuple(&arr, 1);
    assert_int_equal(tkms_chain_abi_encode(&out, "(uint8[2])", &args),
                     TKMS_ERR_CHAIN_ABI_TYPE_MISMATCH);
    assert_int_equal(tkms_chain_abi_encode(&out, "(uint8[1])", &args), TKMS_OK);
    assert_bytes_hex(&out, W("01"));
    tkms_chain_bytes_free(&out);
    assert_null(out.ptr);
}

static void test_event_decode(void **state) {
    (void)state;
    const char *event = "ValueSet(address indexed,uint256 indexed,string,bytes)";
    tkms_chain_hash topic0, want;
    assert_int_equal(tkms_chain_abi_event_topic(&topic0, event), TKMS_OK);
    const char *canonical = "ValueSet(address,uint256,string,bytes)";
    tkms_prim_keccak256(want.bytes, (const uint8_t *)canonical, strlen(canonical));
    assert_memory_equal(topic0.bytes, want.bytes, 32);

    tkms_chain_abi_value data_items[] = {tkms_chain_abi_string("hi"),
                                         tkms_chain_abi_bytes((const uint8_t *)"\x01\x02", 2)};
    tkms_chain_abi_value data_tuple = tkms_chain_abi_tuple(data_items, 2);
    tkms_chain_bytes data;
    assert_int_equal(tkms_chain_abi_encode(&data, "(string,bytes)", &data_tuple), TKMS_OK);
    tkms_chain_log log = {.topic_count = 3, .data = data.ptr, .data_len = data.len};
    log.topics[0] = topic0;
    memset(log.topics[1].bytes, 0, 32);
    memset(log.topics[1].bytes + 12, 0xab, 20);
    tkms_chain_abi_value forty_two = tkms_chain_abi_uint64(42);
    memcpy(log.topics[2].bytes, forty_two.word, 32);

    tkms_chain_abi_value pool_values[POOL], v;
    tkms_chain_abi_pool pool = {pool_values, POOL, 0};
    assert_int_equal(tkms_chain_abi_event_decode(&v, &pool, event, &log), TKMS_OK);
    assert_int_equal(v.count, 4);
    tkms_chain_address who;
    assert_int_equal(tkms_chain_abi_get_address(&who, &v.items[0]), TKMS_OK);
    assert_int_equal(who.bytes[19], 0xab);
    assert_int_equal(get_u64(&v.items[1]), 42);
    assert_memory_equal(v.items[2].data, "hi", 2);
    assert_int_equal(v.items[3].len, 2);

    log.topic_count = 2; /* one indexed topic missing */
    assert_int_equal(tkms_chain_abi_event_decode(&v, &pool, event, &log),
                     TKMS_ERR_CHAIN_ABI_EVENT_MISMATCH);
    log.topic_count = 3;
    log.topics[0].bytes[0] ^= 1; /* another event */
    assert_int_equal(tkms_chain_abi_event_decode(&v, &pool, event, &log),
                     TKMS_ERR_CHAIN_ABI_EVENT_MISMATCH);
    log.topics[0].bytes[0] ^= 1;
    log.topics[1].bytes[0] = 1; /* address topic with dirty padding */
    assert_int_equal(tkms_chain_abi_event_decode(&v, &pool, event, &log),
                     TKMS_ERR_CHAIN_ABI_BAD_PADDING);
    tkms_chain_bytes_free(&data);
}

/* Seeded random values of fixed nested types: encode → decode → encode is stable. */
static void test_random_roundtrip(void **state) {
    (void)state;
    uint64_t seed = tu_seed();
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    static uint8_t blob[4096];
    tu_rng_bytes(&rng, blob, sizeof blob);
    for (int round = 0; round < 300; round++) {
        size_t n = (size_t)(tu_rng_next(&rng) % 6);
        tkms_chain_abi_value infos[6], fields[6][3];
        for (size_t i = 0; i < n; i++) {
            size_t len = (size_t)(tu_rng_next(&rng) % 100);
            fields[i][0] = tkms_chain_abi_bytes32(blob + (tu_rng_next(&rng) % 1000));
            fields[i][1] = tkms_chain_abi_bytes(blob + 2000, len);
            fields[i][2] = tkms_chain_abi_uint64(tu_rng_next(&rng));
            infos[i] = tkms_chain_abi_tuple(fields[i], 3);
        }
        tkms_chain_abi_value top[] = {tkms_chain_abi_array(infos, n), tkms_chain_abi_bool(n % 2)};
        tkms_chain_abi_value args = tkms_chain_abi_tuple(top, 2);
        const char *types = "((bytes32,bytes,uint64)[],bool)";
        tkms_chain_bytes a, b;
        assert_int_equal(tkms_chain_abi_encode(&a, types, &args), TKMS_OK);
        tkms_chain_abi_value pool_values[POOL], v;
        tkms_chain_abi_pool pool = {pool_values, POOL, 0};
        if (tkms_chain_abi_decode(&v, &pool, types, a.ptr, a.len) != TKMS_OK) {
            fail_msg("round %d (seed %llu)", round, (unsigned long long)seed);
        }
        assert_int_equal(tkms_chain_abi_encode(&b, types, &v), TKMS_OK);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.ptr, b.ptr, a.len);
        tkms_chain_bytes_free(&a);
        tkms_chain_bytes_free(&b);
    }
}

int main(void) {
    printf("# seed %llu\n", (unsigned long long)tu_seed());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_baz_and_sam), cmocka_unit_test(test_spec_f),
        cmocka_unit_test(test_spec_g_nested),    cmocka_unit_test(test_type_strings),
        cmocka_unit_test(test_decode_rejects),   cmocka_unit_test(test_encode_rejects),
        cmocka_unit_test(test_event_decode),     cmocka_unit_test(test_random_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
