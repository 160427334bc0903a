/*
 * test_wrap.c — partial wrapping (crypto.md §9): round trip through RSA-OAEP and the
 * eigenx JSON; the app rejects a wrong key, garbage, and every malformed JSON body (other
 * keys, duplicate keys, wrong types, bad base64, wrong length, a point off the curve).
 */
#include "client/client.h"
#include "prim/prim.h"
#include "test_util.h"

static char priv[8192], pub[8192], priv2[8192], pub2[8192];

static void test_round_trip(void **state) {
    (void)state;
    tkms_bls_g1 p, back;
    tkms_bls_fr k;
    tkms_bls_fr_from_u64(&k, 123456789);
    tkms_bls_g1_generator(&p);
    tkms_bls_g1_mul(&p, &p, &k);
    uint8_t wrapped[TKMS_CLIENT_WRAPPED_BYTES_MAX];
    size_t len;
    assert_int_equal(tkms_client_partial_wrap(wrapped, &len, sizeof wrapped, &p, pub, strlen(pub)),
                     TKMS_OK);
    assert_int_equal(tkms_client_partial_unwrap(&back, wrapped, len, priv, strlen(priv)), TKMS_OK);
    assert_true(tkms_bls_g1_equal(&p, &back));
    assert_int_equal(tkms_client_partial_unwrap(&back, wrapped, len, priv2, strlen(priv2)),
                     TKMS_ERR_PRIM_RSA);
    assert_true(tkms_bls_g1_is_identity(&back));
    assert_int_equal(tkms_client_partial_unwrap(&back, wrapped, len - 1, priv, strlen(priv)),
                     TKMS_ERR_PRIM_RSA);
    assert_int_equal(tkms_client_partial_wrap(wrapped, &len, sizeof wrapped, &p, "junk", 4),
                     TKMS_ERR_PRIM_BAD_PEM);
}

static void test_bad_bodies(void **state) {
    (void)state;
    uint8_t enc[48];
    char b64[80], gen[160], offcurve[160];
    tkms_bls_g1 g;
    tkms_bls_g1_generator(&g);
    tkms_bls_g1_encode(enc, &g);
    assert_int_equal(tkms_prim_base64_encode(b64, sizeof b64, enc, 48), TKMS_OK);
    snprintf(gen, sizeof gen, "{\"CompressedBytes\":\"%s\"}", b64);
    enc[47] ^= 1; /* another x: off the curve, or on it outside G1 */
    assert_int_equal(tkms_prim_base64_encode(b64, sizeof b64, enc, 48), TKMS_OK);
    snprintf(offcurve, sizeof offcurve, "{\"CompressedBytes\":\"%s\"}", b64);
    struct {
        const char *body;
        tkms_err want;
    } cases[] = {
        {gen, TKMS_OK},
        {"", TKMS_ERR_CLIENT_BAD_WRAP},
        {"[]", TKMS_ERR_CLIENT_BAD_WRAP},
        {"{\"compressedBytes\":\"AA==\"}", TKMS_ERR_CLIENT_BAD_WRAP},
        {"{\"CompressedBytes\":1}", TKMS_ERR_CLIENT_BAD_WRAP},
        {"{\"CompressedBytes\":\"AAAA\"}", TKMS_ERR_CLIENT_BAD_WRAP},
        {"{\"CompressedBytes\":\"!!!!\"}", TKMS_ERR_CLIENT_BAD_WRAP},
        {"{\"CompressedBytes\":\"AA==\",\"CompressedBytes\":\"AA==\"}", TKMS_ERR_CLIENT_BAD_WRAP},
        {"{\"CompressedBytes\":\"AA==\",\"x\":1}", TKMS_ERR_CLIENT_BAD_WRAP},
        {offcurve, TKMS_ERR_BLS_NOT_IN_GROUP}, /* or not on the curve: either is a reject */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t wrapped[512];
        size_t len;
        tkms_bls_g1 back;
        assert_int_equal(tkms_prim_rsa_oaep_encrypt(wrapped, &len, sizeof wrapped, pub, strlen(pub),
                                                    (const uint8_t *)cases[i].body,
                                                    strlen(cases[i].body)),
                         TKMS_OK);
        tkms_err err = tkms_client_partial_unwrap(&back, wrapped, len, priv, strlen(priv));
        if (err == TKMS_ERR_BLS_NOT_ON_CURVE && cases[i].want == TKMS_ERR_BLS_NOT_IN_GROUP) {
            err = TKMS_ERR_BLS_NOT_IN_GROUP;
        }
        if (err != cases[i].want) {
            fail_msg("case %zu (%s): got %s", i, cases[i].body, tkms_err_name(err));
        }
    }
}

int main(void) {
    assert_int_equal(tkms_prim_rsa_keygen(priv, pub, sizeof priv, 2048), TKMS_OK);
    assert_int_equal(tkms_prim_rsa_keygen(priv2, pub2, sizeof priv2, 2048), TKMS_OK);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bad_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
