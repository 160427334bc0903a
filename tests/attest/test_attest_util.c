/*
 * test_attest_util.c — the shared pieces (attest_util.c, attest_replay.c): strict base64
 * and base64url, quoting of found values in messages, the JSON depth pre-scan and dotted
 * paths, the claims arena, and the bounded replay cache (expiry, eviction order).
 */
#include "test_util.h"

#include "attest/internal.h"

static void test_base64(void **state) {
    (void)state;
    uint8_t out[16];
    size_t n = 0;
    assert_true(attest_b64_decode(out, sizeof out, &n, "QQ==", 4) && n == 1 && out[0] == 'A');
    assert_true(attest_b64_decode(out, sizeof out, &n, "QQ", 2) && n == 1);
    assert_true(attest_b64_decode(out, sizeof out, &n, "QUI=", 4) && n == 2);
    assert_true(attest_b64_decode(out, sizeof out, &n, "", 0) && n == 0);
    assert_false(attest_b64_decode(out, sizeof out, &n, "QQ=", 3));  /* bad padding */
    assert_false(attest_b64_decode(out, sizeof out, &n, "QR==", 4)); /* unused bits set */
    assert_false(attest_b64_decode(out, sizeof out, &n, "Q", 1));
    assert_false(attest_b64_decode(out, sizeof out, &n, "QQ==QQ==", 8));
    assert_false(attest_b64_decode(out, sizeof out, &n, "QU I=", 5)); /* whitespace */
    assert_false(attest_b64_decode(out, sizeof out, &n, "_-8=", 4));  /* url alphabet */
    assert_false(attest_b64_decode(out, 1, &n, "QUI=", 4));           /* no room */
    assert_true(attest_b64url_decode(out, sizeof out, &n, "_-8", 3) && n == 2);
    assert_false(attest_b64url_decode(out, sizeof out, &n, "_-8=", 4));
    assert_false(attest_b64url_decode(out, sizeof out, &n, "+/8", 3));
}

static void test_quote_and_hex(void **state) {
    (void)state;
    char q[ATTEST_QUOTE_BYTES];
    attest_quote(q, "a\"b\\c\n\xff", 7);
    assert_string_equal(q, "\"a\\x22b\\x5cc\\x0a\\xff\"");
    char long_in[200];
    memset(long_in, 'z', sizeof long_in);
    attest_quote(q, long_in, sizeof long_in);
    assert_int_equal(strlen(q), 64 + 2 + 3);
    assert_string_equal(q + 66, "...");
    attest_quote_str(q, NULL);
    assert_string_equal(q, "(absent)");
    uint8_t b[3];
    assert_true(attest_unhex(b, 3, "0aFf10", 6));
    assert_int_equal(b[1], 0xff);
    assert_false(attest_unhex(b, 3, "0aFf1", 5));
    assert_false(attest_unhex(b, 3, "0aFg10", 6));
    char hx[64];
    uint8_t big[30] = {0xab};
    attest_hex_short(hx, big, 30);
    assert_int_equal(strlen(hx), 48 + 3);
    char t[32];
    attest_time_format(t, 1764708636);
    assert_string_equal(t, "2025-12-02T20:50:36Z");
}

static void test_json_helpers(void **state) {
    (void)state;
    const char *ok = "{\"a\":\"[[[[\\\"[[[[\",\"b\":[[1]]}";
    assert_true(attest_json_depth_ok((const uint8_t *)ok, strlen(ok), 3));
    assert_false(attest_json_depth_ok((const uint8_t *)ok, strlen(ok), 2));
    tkms_attest_error e;
    json_t *j = attest_json_load(&e, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED, "x",
                                 (const uint8_t *)"{\"s\":{\"g\":{\"i\":\"v\"}}}", 21);
    assert_non_null(j);
    assert_string_equal(json_string_value(attest_json_path(j, "s.g.i")), "v");
    assert_null(attest_json_path(j, "s.x.i"));
    assert_null(attest_json_path(j, "s.g.i.deeper"));
    assert_null(attest_json_path(j, "s..g"));
    char out[4];
    assert_false(attest_json_copy_string(out, sizeof out, json_object_get(j, "s"), "g"));
    json_decref(j);
    assert_null(
        attest_json_load(&e, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED, "x", (const uint8_t *)"{} {}", 5));
    assert_int_equal(e.code, TKMS_ERR_ATTEST_EVIDENCE_MALFORMED);
    assert_non_null(strstr(e.message, "x: invalid JSON at line 1"));
}

static void test_claims_arena(void **state) {
    (void)state;
    tkms_attest_claims *c = NULL;
    assert_int_equal(tkms_attest_claims_new(&c), TKMS_OK);
    char chunk[1024];
    memset(chunk, 'x', sizeof chunk);
    size_t stored = 0;
    while (attest_claims_strdup(c, chunk, sizeof chunk) != NULL) {
        stored++;
    }
    assert_int_equal(stored, TKMS_ATTEST_CLAIMS_ARENA_BYTES / (sizeof chunk + 1));
    attest_claims_reset(c);
    assert_int_equal(c->arena_used, 0);
    assert_non_null(attest_claims_strdup(c, "y", 1));
    tkms_attest_claims_free(c);
    tkms_attest_claims_free(NULL);
}

static void key_of(uint8_t key[32], unsigned i) {
    memset(key, 0, 32);
    memcpy(key, &i, sizeof i);
}

static void test_replay_cache(void **state) {
    (void)state;
    tkms_attest_error e;
    attest_replay *r = attest_replay_new(TKMS_ATTEST_REPLAY_ENTRIES_DEFAULT);
    assert_non_null(r);
    uint8_t k[32];
    key_of(k, 1);
    assert_int_equal(attest_replay_check_insert(r, &e, k, 200, 100), TKMS_OK);
    assert_int_equal(attest_replay_check_insert(r, &e, k, 200, 150), TKMS_ERR_ATTEST_REPLAYED);
    assert_non_null(strstr(e.message, "already accepted"));
    assert_int_equal(attest_replay_check_insert(r, &e, k, 300, 200), TKMS_OK); /* expired */
    for (unsigned i = 2; i < 2000; i++) {
        key_of(k, i);
        assert_int_equal(attest_replay_check_insert(r, &e, k, 1000, 250), TKMS_OK);
    }
    /* far below capacity no bucket of 8 fills (P < 1e-9), so all are remembered */
    for (unsigned i = 2; i < 2000; i++) {
        key_of(k, i);
        assert_int_equal(attest_replay_check_insert(r, &e, k, 1000, 260), TKMS_ERR_ATTEST_REPLAYED);
    }
    attest_replay_free(r);
    /* entries_max 4: one bucket of 8 ways; the 9th live key evicts the one expiring first */
    r = attest_replay_new(4);
    for (unsigned i = 0; i < 8; i++) {
        key_of(k, i);
        assert_int_equal(attest_replay_check_insert(r, &e, k, 1000 + i, 0), TKMS_OK);
    }
    key_of(k, 100);
    assert_int_equal(attest_replay_check_insert(r, &e, k, 5000, 0), TKMS_OK);
    key_of(k, 0); /* evicted: accepted again (and now evicts key 1) */
    assert_int_equal(attest_replay_check_insert(r, &e, k, 1000, 0), TKMS_OK);
    for (unsigned i = 2; i < 8; i++) {
        key_of(k, i);
        assert_int_equal(attest_replay_check_insert(r, &e, k, 1000, 0), TKMS_ERR_ATTEST_REPLAYED);
    }
    key_of(k, 100);
    assert_int_equal(attest_replay_check_insert(r, &e, k, 5000, 0), TKMS_ERR_ATTEST_REPLAYED);
    /* when time passes, expired ways are reused before live ones are evicted */
    key_of(k, 200);
    assert_int_equal(attest_replay_check_insert(r, &e, k, 9000, 1500), TKMS_OK);
    key_of(k, 100);
    assert_int_equal(attest_replay_check_insert(r, &e, k, 5000, 1500), TKMS_ERR_ATTEST_REPLAYED);
    attest_replay_free(r);
    attest_replay_free(NULL);
}

static void test_context_options(void **state) {
    (void)state;
    tkms_attest_context_options o;
    tkms_attest_context_options_default(&o);
    o.replay_entries_max = TKMS_ATTEST_REPLAY_ENTRIES_MAX + 1;
    tkms_attest_context *ctx = NULL;
    tkms_attest_error e;
    assert_int_equal(tkms_attest_context_new(&ctx, &e, &o), TKMS_ERR_INVALID_ARGUMENT);
    assert_null(ctx);
    tkms_attest_context_options_default(&o);
    o.replay_entries_max = 0;
    o.snp_chain_cache_max = 0;
    assert_int_equal(tkms_attest_context_new(&ctx, &e, &o), TKMS_OK);
    assert_null(ctx->replay);
    assert_int_equal(ctx->root_count, 6); /* the built-in Milan/Genoa/Turin ASK and ASVK */
    tkms_attest_context_free(ctx);
    tkms_attest_context_free(NULL);
    for (int c = 500; c < 600; c++) { /* every attest code has a distinct stable name */
        const char *name = tkms_err_name((tkms_err)c);
        if (strcmp(name, "unknown_error") != 0) {
            assert_true(strncmp(name, "attest_", 7) == 0);
            for (int d = 500; d < c; d++) {
                assert_true(strcmp(name, tkms_err_name((tkms_err)d)) != 0);
            }
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),       cmocka_unit_test(test_quote_and_hex),
        cmocka_unit_test(test_json_helpers), cmocka_unit_test(test_claims_arena),
        cmocka_unit_test(test_replay_cache), cmocka_unit_test(test_context_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
