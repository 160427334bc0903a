/*
 * test_attest_init_data.c — the init-data parser (attest_init_data.c): the TOML subset
 * (every string form and escape, and each refused construct), Rego comment stripping, the
 * image reference scan and its ambiguity rule, and gzip / base64-gzip under the size caps.
 */
#include "test_util.h"

#ifdef TKMS_ATTEST_HAVE_ZLIB
#include <zlib.h>
#endif

#include "attest/internal.h"

#define H64 "abababababababababababababababababababababababababababababababab"
#define H64B "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

static tkms_attest_error err;
static attest_init_data_image img;

static tkms_err parse(const char *doc) {
    return attest_init_data_image_parse(&img, &err, (const uint8_t *)doc, strlen(doc), false);
}

static tkms_err parse_first(const char *doc) {
    return attest_init_data_image_parse(&img, &err, (const uint8_t *)doc, strlen(doc), true);
}

#define EXPECT(expr, code)                                                                         \
    do {                                                                                           \
        const tkms_err rc_ = (expr);                                                               \
        if (rc_ != (code)) {                                                                       \
            fail_msg("%s: expected %s, got %s: %s", #expr, tkms_err_name(code),                    \
                     tkms_err_name(rc_), err.message);                                             \
        }                                                                                          \
    } while (0)

static void test_coco_document(void **state) {
    (void)state;
    const char *doc = "algorithm = \"sha384\"\r\n"
                      "version = \"0.1.0\"\r\n"
                      "\r\n"
                      "[data]\r\n"
                      "\"aa.toml\" = '''\r\n[token_configs.kbs]\r\nurl = \"https://kbs\"\r\n'''\r\n"
                      "\"cdh.toml\" = \"\"\"\r\n[kbc]\r\n\"\"\"\r\n"
                      "\"policy.rego\" = '''\r\n"
                      "package agent_policy\r\n"
                      "# retired: ghcr.io/acme/old@sha256:" H64B "\r\n"
                      "default allow := false\r\n"
                      "allow if { input.image == \"ghcr.io/acme/app@sha256:" H64 "\" } # pinned\r\n"
                      "'''\r\n";
    EXPECT(parse(doc), TKMS_OK);
    assert_string_equal(img.reference, "ghcr.io/acme/app");
    assert_string_equal(img.digest, "sha256:" H64);
    assert_int_equal(img.distinct_count, 1);
}

static void test_comments(void **state) {
    (void)state;
    /* an inline comment naming another image, before the real one */
    EXPECT(parse("[data]\n'policy.rego' = '''\nallow := true # was r/old@sha256:" H64B
                 "\nimg := \"r/new@sha256:" H64 "\"\n'''\n"),
           TKMS_OK);
    assert_string_equal(img.reference, "r/new");
    /* '#' inside a Rego string or raw string is not a comment */
    EXPECT(parse("[data]\n'policy.rego' = '''\nx := \"#\"; y := \"r/a@sha256:" H64 "\"\n'''\n"),
           TKMS_OK);
    assert_string_equal(img.reference, "r/a");
    EXPECT(parse("[data]\n'policy.rego' = '''\nx := `a # b`; y := \"r/b@sha256:" H64 "\"\n'''\n"),
           TKMS_OK);
    assert_string_equal(img.reference, "r/b");
    /* escaped quote inside a Rego string keeps the string open */
    EXPECT(parse("[data]\n'policy.rego' = '''\nx := \"\\\"#\"; y := \"r/c@sha256:" H64 "\"\n'''\n"),
           TKMS_OK);
    /* the only reference is in a comment */
    EXPECT(parse("[data]\n'policy.rego' = '''\n# r/a@sha256:" H64 "\n'''\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_MISSING);
    char rego[] = "a # b\n\"#\" # c\n`#`";
    attest_rego_strip_comments(rego, strlen(rego));
    assert_string_equal(rego, "a    \n\"#\"    \n`#`");
}

static void test_references(void **state) {
    (void)state;
    EXPECT(
        parse("[data]\n\"policy.rego\" = \"x := \\\"localhost:5000/a/b:v1@sha256:" H64 "\\\"\"\n"),
        TKMS_OK);
    assert_string_equal(img.reference, "localhost:5000/a/b:v1");
    EXPECT(parse("[data]\n\"policy.rego\" = \"x@sha256:" H64 " x@sha256:" H64 "\"\n"), TKMS_OK);
    assert_int_equal(img.distinct_count, 1); /* the same reference twice */
    EXPECT(parse("[data]\n\"policy.rego\" = \"a/x@sha256:" H64 " b/x@sha256:" H64 "\"\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_AMBIGUOUS); /* same digest, other registry */
    EXPECT(parse("[data]\n\"policy.rego\" = \"x@sha256:" H64 " x@sha256:" H64B "\"\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_AMBIGUOUS);
    assert_string_equal(img.digest, ""); /* nothing half-filled on failure */
    EXPECT(parse_first("[data]\n\"policy.rego\" = \"x@sha256:" H64 " y@sha256:" H64B "\"\n"),
           TKMS_OK);
    assert_string_equal(img.reference, "x");
    EXPECT(parse("[data]\n\"policy.rego\" = \"x@sha256:ABABABABABABABABABABABABABABABABABABABABAB"
                 "ABABABABABABABABABABAB\"\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_MISSING); /* uppercase */
    EXPECT(parse("[data]\n\"policy.rego\" = \"x@sha256:" H64 "a\"\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_MISSING); /* 65 digits */
    EXPECT(parse("[data]\n\"policy.rego\" = \"x@sha256:" H64 "g\"\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_MISSING); /* glued to more name characters */
    EXPECT(parse("[data]\n\"policy.rego\" = \"@sha256:" H64 "\"\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_MISSING); /* no registry */
    EXPECT(parse("[data]\n\"policy.rego\" = \"x@sha512:" H64 H64 "\"\n"),
           TKMS_ERR_ATTEST_INIT_DATA_IMAGE_MISSING);
}

static void test_toml_strings(void **state) {
    (void)state;
    char *policy = NULL;
    size_t len = 0;
    const char *doc = "[data]\n\"policy.rego\" = \"q\\\" b\\\\ n\\n t\\t u\\u00e9 U\\U0001F600\"\n";
    EXPECT(attest_init_data_toml_policy(&policy, &len, &err, doc, strlen(doc)), TKMS_OK);
    assert_string_equal(policy, "q\" b\\ n\n t\t u\xc3\xa9 U\xf0\x9f\x98\x80");
    free(policy);
    doc = "[data]\n\"policy.rego\" = \"\"\"\n  a \\\n     b\"\"\"\n";
    EXPECT(attest_init_data_toml_policy(&policy, &len, &err, doc, strlen(doc)), TKMS_OK);
    assert_string_equal(policy, "  a b");
    free(policy);
    doc = "[data]\n\"policy.rego\" = '''it's ''quoted'''''\n";
    EXPECT(attest_init_data_toml_policy(&policy, &len, &err, doc, strlen(doc)), TKMS_OK);
    assert_string_equal(policy, "it's ''quoted''");
    free(policy);
    doc = "[\"data\"] # quoted table name\n'policy.rego' = 'C:\\no\\escapes'\n";
    EXPECT(attest_init_data_toml_policy(&policy, &len, &err, doc, strlen(doc)), TKMS_OK);
    assert_string_equal(policy, "C:\\no\\escapes");
    free(policy);
}

typedef struct {
    const char *doc;
    tkms_err expected;
} toml_case;

static void test_toml_errors(void **state) {
    (void)state;
    static const toml_case cases[] = {
        {"[data]\n\"policy.rego\" = \"open\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = '''open\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" \"x\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\ndata.policy = \"x\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[[data]]\n\"policy.rego\" = \"x\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\na = \"1\"\na = \"2\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n[other]\n[data]\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = 1\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = true\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = [\"x\"]\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = { a = \"x\" }\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = \"x\" junk\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = \"bad \\q escape\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = \"\\uD800\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = \"\\u12\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"policy.rego\" = \"tab\tok but bell\a not\"\n",
         TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"= \"x\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\n\"\"\"k\"\"\" = \"x\"\n", TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID},
        {"[data]\nother = \"x\"\n", TKMS_ERR_ATTEST_INIT_DATA_POLICY_MISSING},
        {"\"policy.rego\" = \"x@sha256:" H64 "\"\n", TKMS_ERR_ATTEST_INIT_DATA_POLICY_MISSING},
        {"[other]\n\"policy.rego\" = \"x@sha256:" H64 "\"\n",
         TKMS_ERR_ATTEST_INIT_DATA_POLICY_MISSING},
        {"", TKMS_ERR_ATTEST_INIT_DATA_POLICY_MISSING},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tkms_err rc = parse(cases[i].doc);
        if (rc != cases[i].expected) {
            fail_msg("case %zu %s: expected %s, got %s: %s", i, cases[i].doc,
                     tkms_err_name(cases[i].expected), tkms_err_name(rc), err.message);
        }
    }
    const char nul_doc[] = "[data]\n\"policy.rego\" = \"a\0b\"\n";
    EXPECT(attest_init_data_image_parse(&img, &err, (const uint8_t *)nul_doc, sizeof nul_doc - 1,
                                        false),
           TKMS_ERR_ATTEST_INIT_DATA_TOML_INVALID);
    char *big = malloc(TKMS_ATTEST_INIT_DATA_BYTES_MAX + 2);
    memset(big, '#', TKMS_ATTEST_INIT_DATA_BYTES_MAX + 1);
    big[TKMS_ATTEST_INIT_DATA_BYTES_MAX + 1] = 0;
    EXPECT(parse(big), TKMS_ERR_ATTEST_INIT_DATA_TOO_LARGE);
    big[TKMS_ATTEST_INIT_DATA_BYTES_MAX] = 0; /* exactly at the cap: a comment, no policy */
    EXPECT(parse(big), TKMS_ERR_ATTEST_INIT_DATA_POLICY_MISSING);
    free(big);
}

#ifdef TKMS_ATTEST_HAVE_ZLIB
static size_t gzip_bytes(uint8_t *out, size_t cap, const uint8_t *in, size_t len) {
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    const size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static void test_gzip(void **state) {
    (void)state;
    const char *doc = "[data]\n\"policy.rego\" = \"r/z@sha256:" H64 "\"\n";
    uint8_t gz[512], b64[800];
    const size_t n = gzip_bytes(gz, sizeof gz, (const uint8_t *)doc, strlen(doc));
    EXPECT(attest_init_data_image_parse(&img, &err, gz, n, false), TKMS_OK);
    assert_string_equal(img.reference, "r/z");
    int b = EVP_EncodeBlock(b64, gz, (int)n);
    b64[b] = '\n'; /* trailing newline, as a file would have */
    EXPECT(attest_init_data_image_parse(&img, &err, b64, (size_t)b + 1, false), TKMS_OK);
    while (b64[b - 1] == '=') {
        b64[--b] = 0; /* unpadded, as some kata configurations emit */
    }
    EXPECT(attest_init_data_image_parse(&img, &err, b64, (size_t)b, false), TKMS_OK);
    gz[n / 2] ^= 0xff;
    EXPECT(attest_init_data_image_parse(&img, &err, gz, n, false),
           TKMS_ERR_ATTEST_INIT_DATA_DECOMPRESS);
    gz[n / 2] ^= 0xff;
    EXPECT(attest_init_data_image_parse(&img, &err, gz, n - 4, false), /* truncated */
           TKMS_ERR_ATTEST_INIT_DATA_DECOMPRESS);
    gz[n] = 'x'; /* trailing byte after the member */
    EXPECT(attest_init_data_image_parse(&img, &err, gz, n + 1, false),
           TKMS_ERR_ATTEST_INIT_DATA_DECOMPRESS);
    EXPECT(parse("H4sI!!!!"), TKMS_ERR_ATTEST_INIT_DATA_DECOMPRESS);
    /* a bomb: 2 MiB of zeros compresses to a few KiB, decompression stops at 1 MiB */
    const size_t zeros_len = 2 * TKMS_ATTEST_INIT_DATA_DECOMPRESSED_BYTES_MAX;
    uint8_t *zeros = calloc(1, zeros_len), *bomb = malloc(64 * 1024);
    const size_t bomb_len = gzip_bytes(bomb, 64 * 1024, zeros, zeros_len);
    assert_true(bomb_len < 8192);
    EXPECT(attest_init_data_image_parse(&img, &err, bomb, bomb_len, false),
           TKMS_ERR_ATTEST_INIT_DATA_TOO_LARGE);
    free(zeros);
    free(bomb);
}
#else
static void test_gzip(void **state) {
    (void)state;
    const uint8_t gz[] = {0x1f, 0x8b, 8, 0};
    EXPECT(attest_init_data_image_parse(&img, &err, gz, sizeof gz, false),
           TKMS_ERR_ATTEST_INIT_DATA_GZIP_UNSUPPORTED);
}
#endif

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_coco_document), cmocka_unit_test(test_comments),
        cmocka_unit_test(test_references),    cmocka_unit_test(test_toml_strings),
        cmocka_unit_test(test_toml_errors),   cmocka_unit_test(test_gzip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
