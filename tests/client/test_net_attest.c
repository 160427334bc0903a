/*
 * test_net_attest.c — the dev-ecdsa attestation builder (api.md) and the binding hash:
 * byte-for-byte against a vector computed independently with @noble/curves and
 * @noble/hashes (gen_dev_attest_vector.mjs: RFC 6979 signatures are deterministic, so
 * libsecp256k1 and noble agree exactly), the signer recovered with libsecp256k1 is the
 * owner, s is low, v is 27/28, the challenge format, and refusals of bad input.
 */
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <string.h>

#include "client/client.h"
#include "prim/prim.h"
#include "test_util.h"

static const char OWNER_SK[] = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
static const char OWNER[] = "f39fd6e51aad88f6f4ce6ab8827279cfffb92266";
static const char APP[] = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
static const char PEM[] = "-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n";
/* node tests/client/gen_dev_attest_vector.mjs */
static const char BINDING[] = "392fe2bbcd52dce78e9e23556444a0bc4c641772343e57449f305e11f81eeb8d";
static const char DIGEST[] = "20a889def86c78f522639fcd2fac6ff351814a5a2951531af34f9d6383247c0d";
static const char ATTESTATION[] =
    "uZL8xJi+BCqfdTbubZO73+SLf3bxKvQlgKRG0uSR9WoZ0uWZnuxHJSsxitsvvXydI8kfTrdvVEH/cXfVyOMB7hs=";

static void test_vector(void **state) {
    (void)state;
    uint8_t sk[32], nonce[32], binding[32], digest[32], want[32];
    assert_int_equal(tu_unhex(sk, 32, OWNER_SK), 32);
    memset(nonce, 0x11, 32);
    tkms_client_binding_hash(binding, PEM, strlen(PEM), (const uint8_t *)"hello", 5);
    assert_int_equal(tu_unhex(want, 32, BINDING), 32);
    assert_memory_equal(binding, want, 32);
    char att[TKMS_CLIENT_DEV_ATTESTATION_BYTES], challenge[TKMS_CLIENT_CHALLENGE_BYTES];
    assert_int_equal(tkms_client_dev_attest(att, challenge, sk, APP, PEM, strlen(PEM),
                                            (const uint8_t *)"hello", 5, 1785000000, nonce),
                     TKMS_OK);
    assert_string_equal(
        challenge, "1785000000-1111111111111111111111111111111111111111111111111111111111111111");
    assert_int_equal(tkms_client_dev_attest_digest(digest, APP, challenge, PEM, strlen(PEM),
                                                   (const uint8_t *)"hello", 5),
                     TKMS_OK);
    assert_int_equal(tu_unhex(want, 32, DIGEST), 32);
    assert_memory_equal(digest, want, 32);
    assert_string_equal(att, ATTESTATION);
}

static void test_recovers_owner(void **state) {
    (void)state;
    uint8_t sk[32], nonce[32], digest[32], sig[70], pub[65], hash[32], owner[20];
    size_t sig_len = 0, pub_len = sizeof pub;
    assert_int_equal(tu_unhex(sk, 32, OWNER_SK), 32);
    assert_int_equal(tu_unhex(owner, 20, OWNER), 20);
    tu_rng r;
    tu_rng_seed(&r, tu_seed());
    for (int round = 0; round < 16; round++) { /* both recovery ids show up */
        tu_rng_bytes(&r, nonce, 32);
        char att[TKMS_CLIENT_DEV_ATTESTATION_BYTES], challenge[TKMS_CLIENT_CHALLENGE_BYTES];
        assert_int_equal(tkms_client_dev_attest(att, challenge, sk, APP, PEM, strlen(PEM), NULL, 0,
                                                1700000000 + (uint64_t)round, nonce),
                         TKMS_OK);
        assert_int_equal(strlen(challenge), 10 + 1 + 64);
        assert_int_equal(
            tkms_client_dev_attest_digest(digest, APP, challenge, PEM, strlen(PEM), NULL, 0),
            TKMS_OK);
        assert_int_equal(tkms_prim_base64_decode(sig, &sig_len, sizeof sig, att, strlen(att)),
                         TKMS_OK);
        assert_int_equal(sig_len, 65);
        assert_true(sig[64] == 27 || sig[64] == 28);
        secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        secp256k1_ecdsa_recoverable_signature rs;
        secp256k1_ecdsa_signature plain;
        secp256k1_pubkey key;
        assert_true(
            secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rs, sig, sig[64] - 27));
        assert_true(secp256k1_ecdsa_recover(ctx, &key, &rs, digest));
        secp256k1_ecdsa_recoverable_signature_convert(ctx, &plain, &rs);
        assert_int_equal(secp256k1_ecdsa_signature_normalize(ctx, NULL, &plain), 0); /* low s */
        assert_true(
            secp256k1_ec_pubkey_serialize(ctx, pub, &pub_len, &key, SECP256K1_EC_UNCOMPRESSED));
        secp256k1_context_destroy(ctx);
        tkms_prim_keccak256(hash, pub + 1, 64);
        assert_memory_equal(hash + 12, owner, 20);
    }
}

static void test_refusals(void **state) {
    (void)state;
    uint8_t sk[32] = {0}, nonce[32] = {0}, digest[32];
    char att[TKMS_CLIENT_DEV_ATTESTATION_BYTES], challenge[TKMS_CLIENT_CHALLENGE_BYTES];
    /* the zero key is not a valid secp256k1 key */
    assert_int_equal(
        tkms_client_dev_attest(att, challenge, sk, APP, PEM, strlen(PEM), NULL, 0, 1, nonce),
        TKMS_ERR_CLIENT_ATTEST);
    assert_string_equal(att, "");
    sk[31] = 1;
    assert_int_equal(tkms_client_dev_attest(att, challenge, sk,
                                            "0x5FBDB2315678AFECB367F032D93F642F64180AA3", PEM,
                                            strlen(PEM), NULL, 0, 1, nonce),
                     TKMS_ERR_CLIENT_BAD_APP_ID);
    assert_int_equal(tkms_client_dev_attest_digest(digest, APP, NULL, PEM, strlen(PEM), NULL, 0),
                     TKMS_ERR_CLIENT_BAD_REQUEST);
    assert_false(tkms_client_app_id_is_valid("0x5fbdb2315678afecb367f032d93f642f64180aa"));
    assert_false(tkms_client_app_id_is_valid("5fbdb2315678afecb367f032d93f642f64180aa3"));
    assert_false(tkms_client_app_id_is_valid("0x5fbdb2315678afecb367f032d93f642f64180aag"));
    assert_true(tkms_client_app_id_is_valid(APP));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector),
        cmocka_unit_test(test_recovers_owner),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
