/*
 * test_attest_jwks.c — JWKS parsing (attest_jwks.c) and the fetching adapter with its cache
 * (attest_jwks_fetch.c): a file source, a file:// URL through libcurl (no network), refresh
 * timing (refresh_s, retry_s, unknown kid), and a failed refresh keeping the previous set.
 */
#include "test_util.h"

#include <unistd.h>

#include "attest/internal.h"
#include "fixtures.h"

static EVP_PKEY *k1, *k2, *k_small;
static char dir[64];

static int group_setup(void **state) {
    (void)state;
    k1 = fx_rsa_key(2048);
    k2 = fx_rsa_key(2048);
    k_small = fx_rsa_key(1024);
    snprintf(dir, sizeof dir, "/tmp/tkms-attest-jwks-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int group_teardown(void **state) {
    (void)state;
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    EVP_PKEY_free(k_small);
    char path[128];
    snprintf(path, sizeof path, "%s/jwks.json", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}

static tkms_attest_error err;

static tkms_err parse(const char *json, size_t *count) {
    tkms_attest_jwks *set = NULL;
    tkms_err rc = tkms_attest_jwks_parse(&set, &err, (const uint8_t *)json, strlen(json));
    *count = tkms_attest_jwks_key_count(set);
    tkms_attest_jwks_free(set);
    return rc;
}

static void test_parse(void **state) {
    (void)state;
    EVP_PKEY *keys[] = {k1, k2};
    const char *kids[] = {"a", "b"};
    char *json = fx_jwks(keys, kids, 2);
    size_t n = 0;
    assert_int_equal(parse(json, &n), TKMS_OK);
    assert_int_equal(n, 2);
    free(json);
    /* an EC key is skipped; the RSA one counts */
    json = fx_jwks(keys, kids, 1);
    char with_ec[4096];
    snprintf(with_ec, sizeof with_ec, "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"e\"},%s",
             strchr(json, '[') + 1);
    assert_int_equal(parse(with_ec, &n), TKMS_OK);
    assert_int_equal(n, 1);
    free(json);
}

static void test_parse_errors(void **state) {
    (void)state;
    EVP_PKEY *keys[] = {k1, k1, k_small};
    const char *kids[] = {"a", "a", "small"};
    char *dup = fx_jwks(keys, kids, 2), *small = fx_jwks(keys + 2, kids + 2, 1);
    char *one = fx_jwks(keys, kids, 1);
    size_t n = 0;
    assert_int_equal(parse(dup, &n), TKMS_ERR_ATTEST_JWKS_INVALID);
    assert_string_equal(err.message, "JWKS: kid a appears twice");
    assert_int_equal(parse(small, &n), TKMS_ERR_ATTEST_JWKS_INVALID);
    assert_non_null(strstr(err.message, "modulus"));
    /* edits of a valid single-key set */
    const struct {
        const char *from, *to;
    } edits[] = {
        {"\"alg\":\"RS256\"", "\"alg\":\"RS384\""},
        {"\"use\":\"sig\"", "\"use\":\"enc\""},
        {"\"kid\":\"a\"", "\"kid\":\"\""},
        {"\"kid\":\"a\"", "\"kid\":7"},
        {"\"e\":\"AQAB\"", "\"e\":\"AQAC\""},
        {"\"e\":\"AQAB\"", "\"e\":\"AQABAQAB\""},
        {"\"e\":\"AQAB\"", "\"e\":\"AA\""},
        {"\"n\":\"", "\"n\":\"AA"},
        {"\"n\":\"", "\"n\":\"+"},
        {"\"kty\":\"RSA\"", "\"kty\":5"},
    };
    for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
        char buf[4096];
        const char *at = strstr(one, edits[i].from);
        assert_non_null(at);
        snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - one), one, edits[i].to,
                 at + strlen(edits[i].from));
        if (parse(buf, &n) != TKMS_ERR_ATTEST_JWKS_INVALID) {
            fail_msg("edit %zu accepted: %s -> %s", i, edits[i].from, edits[i].to);
        }
    }
    static const char *const bad[] = {"",
                                      "{}",
                                      "{\"keys\":{}}",
                                      "{\"keys\":[]}",
                                      "{\"keys\":[1]}",
                                      "{\"keys\":[{\"kty\":\"EC\"}]}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse(bad[i], &n), TKMS_ERR_ATTEST_JWKS_INVALID);
    }
    char many[16384] = "{\"keys\":[";
    for (int i = 0; i <= TKMS_ATTEST_JWKS_KEYS_MAX; i++) {
        strcat(many, i ? ",{\"kty\":\"EC\"}" : "{\"kty\":\"EC\"}");
    }
    strcat(many, "]}");
    assert_int_equal(parse(many, &n), TKMS_ERR_ATTEST_JWKS_INVALID);
    free(dup);
    free(small);
    free(one);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_cache_file(void **state) {
    (void)state;
    char path[128];
    snprintf(path, sizeof path, "%s/jwks.json", dir);
    EVP_PKEY *keys[] = {k1, k2};
    const char *kids[] = {"a", "b"};
    char *one = fx_jwks(keys, kids, 1), *two = fx_jwks(keys, kids, 2);
    write_file(path, one);
    tkms_attest_jwks_cache_options o;
    tkms_attest_jwks_cache_options_default(&o);
    o.source = path;
    o.refresh_s = 1000;
    o.retry_s = 100;
    tkms_attest_jwks_cache *c = NULL;
    assert_int_equal(tkms_attest_jwks_cache_new(&c, &err, &o), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_key_count(c), 0);
    assert_int_equal(tkms_attest_jwks_cache_refresh_if_due(c, &err, 5000, NULL), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_key_count(c), 1);
    write_file(path, two);
    /* not stale, kid known: nothing fetched */
    assert_int_equal(tkms_attest_jwks_cache_refresh_if_due(c, &err, 5050, "a"), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_key_count(c), 1);
    /* unknown kid, but the last attempt was 50 s ago (< retry_s) */
    assert_int_equal(tkms_attest_jwks_cache_refresh_if_due(c, &err, 5050, "b"), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_key_count(c), 1);
    /* unknown kid after retry_s: fetched */
    assert_int_equal(tkms_attest_jwks_cache_refresh_if_due(c, &err, 5100, "b"), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_key_count(c), 2);
    EVP_PKEY *got = attest_jwks_cache_key_get(c, "b");
    assert_non_null(got);
    /* a broken file: the refresh fails, the old set stays, the handed-out key survives */
    write_file(path, "{\"keys\":");
    assert_int_equal(tkms_attest_jwks_cache_refresh_if_due(c, &err, 6100, NULL),
                     TKMS_ERR_ATTEST_JWKS_INVALID);
    assert_int_equal(tkms_attest_jwks_cache_key_count(c), 2);
    write_file(path, one);
    assert_int_equal(tkms_attest_jwks_cache_refresh(c, &err, 6101), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_key_count(c), 1);
    assert_true(EVP_PKEY_get_bits(got) == 2048);
    EVP_PKEY_free(got);
    unlink(path);
    assert_int_equal(tkms_attest_jwks_cache_refresh(c, &err, 6102),
                     TKMS_ERR_ATTEST_JWKS_UNAVAILABLE);
    char *big = malloc(TKMS_ATTEST_JWKS_BYTES_MAX + 2);
    memset(big, ' ', TKMS_ATTEST_JWKS_BYTES_MAX + 1);
    big[TKMS_ATTEST_JWKS_BYTES_MAX + 1] = 0;
    write_file(path, big);
    assert_int_equal(tkms_attest_jwks_cache_refresh(c, &err, 6103),
                     TKMS_ERR_ATTEST_JWKS_UNAVAILABLE);
    free(big);
    tkms_attest_jwks_cache_free(c);
    free(one);
    free(two);
}

static void test_cache_url(void **state) {
    (void)state;
    char path[128], url[160];
    snprintf(path, sizeof path, "%s/jwks.json", dir);
    snprintf(url, sizeof url, "file://%s", path);
    EVP_PKEY *keys[] = {k1, k2};
    const char *kids[] = {"a", "b"};
    char *two = fx_jwks(keys, kids, 2);
    write_file(path, two);
    tkms_attest_jwks_cache_options o;
    tkms_attest_jwks_cache_options_default(&o);
    o.source = url;
    tkms_attest_jwks_cache *c = NULL;
    /* only https:// unless insecure URLs are allowed (tests) */
    assert_int_equal(tkms_attest_jwks_cache_new(&c, &err, &o), TKMS_ERR_INVALID_ARGUMENT);
    o.source = "http://example.invalid/jwks";
    assert_int_equal(tkms_attest_jwks_cache_new(&c, &err, &o), TKMS_ERR_INVALID_ARGUMENT);
    o.source = url;
    o.allow_insecure_url = true;
    assert_int_equal(tkms_attest_jwks_cache_new(&c, &err, &o), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_refresh(c, &err, 1), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_key_count(c), 2);
    tkms_attest_jwks_cache_free(c);
    snprintf(url, sizeof url, "file://%s/missing.json", dir);
    assert_int_equal(tkms_attest_jwks_cache_new(&c, &err, &o), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_refresh(c, &err, 1), TKMS_ERR_ATTEST_JWKS_UNAVAILABLE);
    tkms_attest_jwks_cache_free(c);
    o.source = NULL;
    assert_int_equal(tkms_attest_jwks_cache_new(&c, &err, &o), TKMS_OK);
    assert_int_equal(tkms_attest_jwks_cache_refresh(c, &err, 1), TKMS_ERR_ATTEST_JWKS_UNAVAILABLE);
    tkms_attest_jwks_cache_free(c);
    free(two);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_cache_file),
        cmocka_unit_test(test_cache_url),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
