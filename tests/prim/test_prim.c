/*
 * test_prim.c — the OpenSSL-backed primitives against published vectors (RFC 4231 HMAC,
 * RFC 5869 HKDF, RFC 8032 Ed25519, RFC 7748 X25519, RFC 4648 base64, the NIST GCM
 * test case 14 — AES-256, zero key/IV/plaintext), plus every failure path: tampered AEAD
 * input, sealed shares (wrong key, wrong AAD, bit flips, empty slot, low-order E), RSA
 * keys that are garbage, not RSA, or too small.
 */
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "prim/prim.h"
#include "test_util.h"

static tu_rng prng;
static void rng_fill(void *ctx, uint8_t *out, size_t len) {
    tu_rng_bytes((tu_rng *)ctx, out, len);
}
static tkms_rng rng = {rng_fill, &prng};

static void expect_hex(const uint8_t *got, size_t len, const char *hex) {
    uint8_t want[256];
    assert_int_equal(tu_unhex(want, sizeof want, hex), (long)len);
    assert_memory_equal(got, want, len);
}

static void test_hashes(void **state) {
    (void)state;
    uint8_t out[64];
    tkms_prim_sha256(out, (const uint8_t *)"abc", 3);
    expect_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    tkms_prim_buf parts[2] = {{(const uint8_t *)"a", 1}, {(const uint8_t *)"bc", 2}};
    tkms_prim_sha256_parts(out, parts, 2);
    expect_hex(out, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* RFC 4231 test case 2 */
    tkms_prim_hmac_sha256(out, (const uint8_t *)"Jefe", 4,
                          (const uint8_t *)"what do ya want for nothing?", 28);
    expect_hex(out, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    tkms_prim_hmac_sha512(out, (const uint8_t *)"Jefe", 4,
                          (const uint8_t *)"what do ya want for nothing?", 28);
    expect_hex(out, 64, "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
    /* RFC 5869 test case 1 */
    uint8_t ikm[22], salt[13], info[10];
    memset(ikm, 0x0b, sizeof ikm);
    for (int i = 0; i < 13; i++) {
        salt[i] = (uint8_t)i;
    }
    for (int i = 0; i < 10; i++) {
        info[i] = (uint8_t)(0xf0 + i);
    }
    assert_int_equal(tkms_prim_hkdf_sha256(out, 42, ikm, 22, salt, 13, info, 10), TKMS_OK);
    expect_hex(out, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    /* RFC 5869 test case 3: empty salt and info */
    assert_int_equal(tkms_prim_hkdf_sha256(out, 42, ikm, 22, NULL, 0, NULL, 0), TKMS_OK);
    expect_hex(out, 42, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    assert_int_equal(tkms_prim_hkdf_sha256(out, 0, ikm, 22, NULL, 0, NULL, 0), TKMS_ERR_PRIM_LENGTH);
    assert_int_equal(tkms_prim_hkdf_sha256(out, 255 * 32 + 1, ikm, 22, NULL, 0, NULL, 0),
                     TKMS_ERR_PRIM_LENGTH);
}

static void test_aead(void **state) {
    (void)state;
    uint8_t key[32] = {0}, nonce[12] = {0}, pt[16] = {0}, ct[16], tag[16], back[16];
    assert_int_equal(tkms_prim_aead_seal(ct, tag, key, nonce, NULL, 0, pt, 16), TKMS_OK);
    expect_hex(ct, 16, "cea7403d4d606b6e074ec5d3baf39d18"); /* GCM test case 14 */
    expect_hex(tag, 16, "d0d1c8a799996bf0265b98b5d48ab919");
    assert_int_equal(tkms_prim_aead_open(back, key, nonce, NULL, 0, ct, 16, tag), TKMS_OK);
    assert_memory_equal(back, pt, 16);
    const uint8_t aad[3] = {1, 2, 3};
    assert_int_equal(tkms_prim_aead_seal(ct, tag, key, nonce, aad, 3, pt, 16), TKMS_OK);
    for (int i = 0; i < 16; i++) { /* any flipped bit in ct or tag fails, plaintext zeroed */
        ct[i] ^= 1;
        memset(back, 0x55, 16);
        assert_int_equal(tkms_prim_aead_open(back, key, nonce, aad, 3, ct, 16, tag),
                         TKMS_ERR_PRIM_AEAD);
        assert_memory_equal(back, pt, 16);
        ct[i] ^= 1;
        tag[i] ^= 0x80;
        assert_int_equal(tkms_prim_aead_open(back, key, nonce, aad, 3, ct, 16, tag),
                         TKMS_ERR_PRIM_AEAD);
        tag[i] ^= 0x80;
    }
    assert_int_equal(tkms_prim_aead_open(back, key, nonce, aad, 2, ct, 16, tag), TKMS_ERR_PRIM_AEAD);
    assert_int_equal(tkms_prim_aead_open(back, key, nonce, aad, 3, ct, 16, tag), TKMS_OK);
}

static void test_curve25519(void **state) {
    (void)state;
    uint8_t seed[32], pub[32], sig[64];
    /* RFC 8032 §7.1 test 1 */
    assert_int_equal(tu_unhex(seed, 32, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"), 32);
    tkms_prim_ed25519_public(pub, seed);
    expect_hex(pub, 32, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    tkms_prim_ed25519_sign(sig, seed, NULL, 0);
    expect_hex(sig, 64, "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    assert_true(tkms_prim_ed25519_verify(sig, pub, NULL, 0));
    sig[10] ^= 1;
    assert_false(tkms_prim_ed25519_verify(sig, pub, NULL, 0));
    sig[10] ^= 1;
    assert_false(tkms_prim_ed25519_verify(sig, pub, (const uint8_t *)"x", 1));
    /* RFC 7748 §6.1 */
    uint8_t a[32], b[32], apub[32], bpub[32], s1[32], s2[32];
    assert_int_equal(tu_unhex(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"), 32);
    assert_int_equal(tu_unhex(b, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"), 32);
    tkms_prim_x25519_public(apub, a);
    expect_hex(apub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    tkms_prim_x25519_public(bpub, b);
    assert_int_equal(tkms_prim_x25519_shared(s1, a, bpub), TKMS_OK);
    assert_int_equal(tkms_prim_x25519_shared(s2, b, apub), TKMS_OK);
    expect_hex(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    assert_memory_equal(s1, s2, 32);
    uint8_t zero[32] = {0};
    assert_int_equal(tkms_prim_x25519_shared(s1, a, zero), TKMS_ERR_PRIM_X25519_ZERO);
}

static void test_seal(void **state) {
    (void)state;
    uint8_t priv[32], pub[32], other[32], sealed[80], pt[32], back[32];
    tu_rng_bytes(&prng, priv, 32);
    tu_rng_bytes(&prng, other, 32);
    tu_rng_bytes(&prng, pt, 32);
    tkms_prim_x25519_public(pub, priv);
    const uint8_t aad[] = "epoch|dealer|player|commitments";
    assert_int_equal(tkms_prim_seal(sealed, pub, aad, sizeof aad, pt, &rng), TKMS_OK);
    assert_int_equal(tkms_prim_seal_open(back, sealed, priv, aad, sizeof aad), TKMS_OK);
    assert_memory_equal(back, pt, 32);
    assert_int_equal(tkms_prim_seal_open(back, sealed, other, aad, sizeof aad), TKMS_ERR_PRIM_AEAD);
    assert_int_equal(tkms_prim_seal_open(back, sealed, priv, aad, sizeof aad - 1), TKMS_ERR_PRIM_AEAD);
    for (int i = 0; i < 80; i++) {
        sealed[i] ^= 0x04;
        tkms_err err = tkms_prim_seal_open(back, sealed, priv, aad, sizeof aad);
        assert_true(err == TKMS_ERR_PRIM_AEAD || err == TKMS_ERR_PRIM_X25519_ZERO);
        sealed[i] ^= 0x04;
    }
    uint8_t empty[80] = {0};
    assert_int_equal(tkms_prim_seal_open(back, empty, priv, aad, sizeof aad), TKMS_ERR_PRIM_SEALED_EMPTY);
    empty[79] = 1; /* E = 0 (low order) with a non-empty body */
    assert_int_equal(tkms_prim_seal_open(back, empty, priv, aad, sizeof aad), TKMS_ERR_PRIM_X25519_ZERO);
    uint8_t zero_pub[32] = {0};
    assert_int_equal(tkms_prim_seal(sealed, zero_pub, aad, sizeof aad, pt, &rng), TKMS_ERR_PRIM_X25519_ZERO);
}

static void test_base64(void **state) {
    (void)state;
    static const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    char out[32];
    uint8_t back[32];
    size_t n;
    for (int i = 0; i < 7; i++) {
        assert_int_equal(tkms_prim_base64_encode(out, sizeof out, (const uint8_t *)in[i], strlen(in[i])), TKMS_OK);
        assert_string_equal(out, want[i]);
        assert_int_equal(tkms_prim_base64_decode(back, &n, sizeof back, want[i], strlen(want[i])), TKMS_OK);
        assert_int_equal(n, strlen(in[i]));
        assert_memory_equal(back, in[i], n);
    }
    static const char *bad[] = {"Zg=", "Zh==", "Z===", "Zm9v\n", "Zm-v", "Zm9=Yg=="};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(tkms_prim_base64_decode(back, &n, sizeof back, bad[i], strlen(bad[i])),
                         TKMS_ERR_PRIM_BASE64);
    }
    assert_int_equal(tkms_prim_base64_decode(back, &n, 2, "Zm9v", 4), TKMS_ERR_PRIM_LENGTH);
    assert_int_equal(tkms_prim_base64_encode(out, 4, (const uint8_t *)"foo", 3), TKMS_ERR_PRIM_LENGTH);
}

static void test_rsa(void **state) {
    (void)state;
    static char priv[8192], pub[8192];
    uint8_t ct[512], back[512];
    size_t ct_len, back_len;
    assert_int_equal(tkms_prim_rsa_keygen(priv, pub, sizeof priv, 2048), TKMS_OK);
    const uint8_t msg[] = "{\"CompressedBytes\":\"AAAA\"}";
    assert_int_equal(tkms_prim_rsa_oaep_encrypt(ct, &ct_len, sizeof ct, pub, strlen(pub), msg, sizeof msg), TKMS_OK);
    assert_int_equal(ct_len, 256);
    assert_int_equal(tkms_prim_rsa_oaep_decrypt(back, &back_len, sizeof back, priv, strlen(priv), ct, ct_len), TKMS_OK);
    assert_int_equal(back_len, sizeof msg);
    assert_memory_equal(back, msg, sizeof msg);
    ct[5] ^= 1;
    assert_int_equal(tkms_prim_rsa_oaep_decrypt(back, &back_len, sizeof back, priv, strlen(priv), ct, ct_len), TKMS_ERR_PRIM_RSA);
    /* garbage, truncated, oversize PEM */
    assert_int_equal(tkms_prim_rsa_oaep_encrypt(ct, &ct_len, sizeof ct, "garbage", 7, msg, 4), TKMS_ERR_PRIM_BAD_PEM);
    assert_int_equal(tkms_prim_rsa_oaep_encrypt(ct, &ct_len, sizeof ct, pub, strlen(pub) / 2, msg, 4), TKMS_ERR_PRIM_BAD_PEM);
    assert_int_equal(tkms_prim_rsa_oaep_encrypt(ct, &ct_len, sizeof ct, pub, 8193, msg, 4), TKMS_ERR_PRIM_BAD_PEM);
    assert_int_equal(tkms_prim_rsa_oaep_encrypt(ct, &ct_len, 100, pub, strlen(pub), msg, 4), TKMS_ERR_PRIM_LENGTH);
    /* a 1024-bit RSA key, and an EC key */
    EVP_PKEY *small = EVP_RSA_gen(1024), *ec = EVP_EC_gen("P-256");
    EVP_PKEY *keys[2] = {small, ec};
    tkms_err want[2] = {TKMS_ERR_PRIM_RSA_KEY_SIZE, TKMS_ERR_PRIM_NOT_RSA};
    for (int i = 0; i < 2; i++) {
        BIO *bio = BIO_new(BIO_s_mem());
        assert_int_equal(PEM_write_bio_PUBKEY(bio, keys[i]), 1);
        char *data;
        long len = BIO_get_mem_data(bio, &data);
        assert_int_equal(tkms_prim_rsa_oaep_encrypt(ct, &ct_len, sizeof ct, data, (size_t)len, msg, 4), want[i]);
        BIO_free(bio);
        EVP_PKEY_free(keys[i]);
    }
    assert_int_equal(tkms_prim_rsa_keygen(priv, pub, sizeof priv, 1024), TKMS_ERR_PRIM_RSA_KEY_SIZE);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hashes), cmocka_unit_test(test_aead), cmocka_unit_test(test_curve25519),
        cmocka_unit_test(test_seal),   cmocka_unit_test(test_base64), cmocka_unit_test(test_rsa),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
