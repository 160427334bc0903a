/*
 * test_keccak.c — Keccak-256 against vectors from @noble/hashes keccak_256 (generated once
 * by tests/prim/gen_keccak_vectors.mjs into tests/vectors/prim/keccak256.json): "", "abc",
 * lengths around the 136-byte rate (1, 135, 136, 137, 200, 271–273, 1000, 4096), each also
 * hashed incrementally with random splits; plus Ethereum facts (selectors, addresses).
 */
#include <jansson.h>

#include "prim/prim.h"
#include "test_util.h"

static void check_hex(const uint8_t got[32], const char *want_hex) {
    char got_hex[65];
    tu_hex(got_hex, got, 32);
    assert_string_equal(got_hex, want_hex);
}

static void test_known_answers(void **state) {
    (void)state;
    uint8_t h[32];
    tkms_prim_keccak256(h, NULL, 0);
    check_hex(h, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
    tkms_prim_keccak256(h, (const uint8_t *)"abc", 3);
    check_hex(h, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
    /* ERC-20 transfer selector and Transfer event topic: well-known constants. */
    const char *sig = "transfer(address,uint256)";
    tkms_prim_keccak256(h, (const uint8_t *)sig, strlen(sig));
    assert_int_equal(h[0], 0xa9);
    assert_int_equal(h[1], 0x05);
    assert_int_equal(h[2], 0x9c);
    assert_int_equal(h[3], 0xbb);
    const char *ev = "Transfer(address,address,uint256)";
    tkms_prim_keccak256(h, (const uint8_t *)ev, strlen(ev));
    check_hex(h, "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
}

/* Hashes msg in random-sized pieces (including empty ones) and compares to one-shot. */
static void check_incremental(tu_rng *rng, const uint8_t *msg, size_t len, const uint8_t want[32]) {
    tkms_prim_keccak256_ctx ctx;
    tkms_prim_keccak256_init(&ctx);
    size_t done = 0;
    while (done < len) {
        size_t piece = (size_t)(tu_rng_next(rng) % 300);
        if (piece > len - done) {
            piece = len - done;
        }
        tkms_prim_keccak256_update(&ctx, msg + done, piece);
        done += piece;
    }
    tkms_prim_keccak256_update(&ctx, NULL, 0);
    uint8_t got[32];
    tkms_prim_keccak256_final(got, &ctx);
    assert_memory_equal(got, want, 32);
}

static void test_noble_vectors(void **state) {
    (void)state;
    size_t len = 0;
    uint8_t *text = tu_read_file("tests/vectors/prim/keccak256.json", &len);
    json_error_t jerr;
    json_t *root = json_loadb((const char *)text, len, 0, &jerr);
    assert_non_null(root);
    json_t *vectors = json_object_get(root, "vectors");
    assert_true(json_array_size(vectors) >= 12);
    uint64_t seed = tu_seed();
    tu_rng rng;
    tu_rng_seed(&rng, seed);
    size_t index;
    json_t *v;
    json_array_foreach(vectors, index, v) {
        const char *msg_hex = json_string_value(json_object_get(v, "msg_hex"));
        const char *hash_hex = json_string_value(json_object_get(v, "hash"));
        assert_non_null(msg_hex);
        assert_non_null(hash_hex);
        uint8_t *msg = malloc(strlen(msg_hex) / 2 + 1);
        long n = tu_unhex(msg, strlen(msg_hex) / 2 + 1, msg_hex);
        assert_true(n >= 0);
        uint8_t want[32], got[32];
        assert_int_equal(tu_unhex(want, 32, hash_hex), 32);
        tkms_prim_keccak256(got, msg, (size_t)n);
        if (memcmp(got, want, 32) != 0) {
            fail_msg("vector %zu (len %ld) differs (seed %llu)", index, n,
                     (unsigned long long)seed);
        }
        check_incremental(&rng, msg, (size_t)n, want);
        free(msg);
    }
    json_decref(root);
    free(text);
}

/* The keccak256 vectors of the EigenX KMS reference (shared/vectors/eigenx.json, copied). */
static void test_eigenx_vectors(void **state) {
    (void)state;
    size_t len = 0;
    uint8_t *text = tu_read_file("tests/vectors/prim/eigenx_keccak256.json", &len);
    json_t *root = json_loadb((const char *)text, len, 0, NULL);
    assert_non_null(root);
    size_t index;
    json_t *v;
    json_array_foreach(json_object_get(root, "keccak256"), index, v) {
        uint8_t msg[64], want[32], got[32];
        long n = tu_unhex(msg, sizeof msg, json_string_value(json_object_get(v, "msg_hex")));
        assert_true(n >= 0);
        assert_int_equal(tu_unhex(want, 32, json_string_value(json_object_get(v, "hash"))), 32);
        tkms_prim_keccak256(got, msg, (size_t)n);
        assert_memory_equal(got, want, 32);
    }
    json_decref(root);
    free(text);
}

int main(void) {
    printf("# seed %llu\n", (unsigned long long)tu_seed());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_noble_vectors),
        cmocka_unit_test(test_eigenx_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
