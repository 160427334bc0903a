/*
 * test_ibe.c — IBE v1: the published vectors byte for byte (H1 of each id, the app keys
 * S·H1(id), and each ciphertext with its GT value and AES key under the fixed ρ and
 * nonce), round trips with random ids, keys and messages, and hostile ciphertexts:
 * every truncation, extension, a flip of every bit of a short ciphertext, a wrong id, a
 * wrong key, identity U / sk / MPK, a short id — all one opaque error, never a crash.
 */
#include <jansson.h>

#include "ibe/ibe.h"
#include "tss/tss.h"
#include "test_util.h"

static tu_rng prng;
static void rng_fill(void *ctx, uint8_t *out, size_t len) {
    tu_rng_bytes((tu_rng *)ctx, out, len);
}
static tkms_rng rng = {rng_fill, &prng};

static const char *jstr(json_t *o, const char *k) {
    const char *s = json_string_value(json_object_get(o, k));
    assert_non_null(s);
    return s;
}

static void unhex_exact(uint8_t *out, size_t len, const char *hex) {
    assert_int_equal(tu_unhex(out, len, hex), (long)len);
}

static void test_vectors(void **state) {
    (void)state;
    json_error_t jerr;
    json_t *root = json_load_file("tests/vectors/ibe/ibe_v1.json", 0, &jerr);
    assert_non_null(root);
    uint8_t buf[1024];
    tkms_bls_fr s;
    tkms_bls_g2 mpk, g2;
    unhex_exact(buf, 32, jstr(root, "master_secret"));
    assert_int_equal(tkms_bls_fr_decode(&s, buf), TKMS_OK);
    unhex_exact(buf, 96, jstr(root, "mpk"));
    assert_int_equal(tkms_bls_g2_decode(&mpk, buf), TKMS_OK);
    tkms_bls_g2_generator(&g2);
    tkms_bls_g2_mul(&g2, &g2, &s);
    assert_true(tkms_bls_g2_equal(&g2, &mpk));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(root, "h1"), i, v) {
        const char *id = jstr(v, "id");
        tkms_bls_g1 h, sk;
        uint8_t enc[48];
        assert_int_equal(tkms_tss_h1(&h, (const uint8_t *)id, strlen(id)), TKMS_OK);
        tkms_bls_g1_encode(enc, &h);
        unhex_exact(buf, 48, jstr(v, "h1"));
        assert_memory_equal(enc, buf, 48);
        tkms_bls_g1_mul(&sk, &h, &s);
        tkms_bls_g1_encode(enc, &sk);
        unhex_exact(buf, 48, jstr(v, "app_private_key"));
        assert_memory_equal(enc, buf, 48);
    }
    json_array_foreach(json_object_get(root, "ibe"), i, v) {
        const char *id = jstr(v, "id"), *pt = jstr(v, "plaintext_utf8");
        size_t id_len = strlen(id), pt_len = strlen(pt);
        tkms_bls_fr rho;
        uint8_t nonce[12], ct[1024], want[1024], key[32], gt[576], back[512];
        unhex_exact(buf, 32, jstr(v, "rho"));
        assert_int_equal(tkms_bls_fr_decode(&rho, buf), TKMS_OK);
        unhex_exact(nonce, 12, jstr(v, "nonce"));
        assert_int_equal(tkms_ibe_encrypt_with(ct, sizeof ct, (const uint8_t *)id, id_len, &mpk,
                                               (const uint8_t *)pt, pt_len, &rho, nonce),
                         TKMS_OK);
        size_t ct_len = pt_len + TKMS_IBE_OVERHEAD_BYTES;
        unhex_exact(want, ct_len, jstr(v, "ciphertext"));
        assert_memory_equal(ct, want, ct_len);
        /* the GT value and the AES key of the vector */
        unhex_exact(gt, 576, jstr(v, "gt_bytes"));
        assert_int_equal(tkms_ibe_kdf(key, gt, (const uint8_t *)id, id_len), TKMS_OK);
        unhex_exact(buf, 32, jstr(v, "aes_key"));
        assert_memory_equal(key, buf, 32);
        tkms_bls_g1 h, sk;
        assert_int_equal(tkms_tss_h1(&h, (const uint8_t *)id, id_len), TKMS_OK);
        tkms_bls_g1_mul(&sk, &h, &s);
        size_t back_len;
        assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, (const uint8_t *)id,
                                          id_len, &sk, ct, ct_len),
                         TKMS_OK);
        assert_int_equal(back_len, pt_len);
        assert_memory_equal(back, pt, pt_len);
    }
    json_decref(root);
}

/* A master key, an id and its app key. */
static void make_keys(tkms_bls_g2 *mpk, tkms_bls_g1 *sk, const uint8_t *id, size_t id_len) {
    uint8_t wide[64];
    tkms_bls_fr s;
    tu_rng_bytes(&prng, wide, 64);
    tkms_bls_fr_decode_reduce(&s, wide, 64);
    tkms_bls_g2_generator(mpk);
    tkms_bls_g2_mul(mpk, mpk, &s);
    tkms_bls_g1 h;
    assert_int_equal(tkms_tss_h1(&h, id, id_len), TKMS_OK);
    tkms_bls_g1_mul(sk, &h, &s);
}

static void test_round_trip_and_hostile(void **state) {
    (void)state;
    static uint8_t pt[70000], ct[70200], back[70200];
    const uint8_t id[] = "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd";
    size_t id_len = sizeof id - 1, back_len;
    tkms_bls_g2 mpk;
    tkms_bls_g1 sk, sk2;
    make_keys(&mpk, &sk, id, id_len);
    static const size_t sizes[] = {0, 1, 31, 32, 1000, 65537};
    for (size_t k = 0; k < 6; k++) {
        size_t n = sizes[k];
        tu_rng_bytes(&prng, pt, n);
        assert_int_equal(tkms_ibe_encrypt(ct, sizeof ct, id, id_len, &mpk, pt, n, &rng), TKMS_OK);
        assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, id_len, &sk, ct,
                                          n + TKMS_IBE_OVERHEAD_BYTES),
                         TKMS_OK);
        assert_int_equal(back_len, n);
        assert_memory_equal(back, pt, n);
    }
    size_t n = 16, len = n + TKMS_IBE_OVERHEAD_BYTES;
    assert_int_equal(tkms_ibe_encrypt(ct, sizeof ct, id, id_len, &mpk, pt, n, &rng), TKMS_OK);
    for (size_t cut = 0; cut < len; cut++) { /* every truncation */
        assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, id_len, &sk, ct, cut),
                         TKMS_ERR_IBE_DECRYPT);
    }
    assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, id_len, &sk, ct, len + 1),
                     TKMS_ERR_IBE_DECRYPT);
    for (size_t bit = 0; bit < len * 8; bit += 3) { /* bit flips across every field */
        ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, id_len, &sk, ct, len),
                         TKMS_ERR_IBE_DECRYPT);
        assert_int_equal(back_len, 0);
        ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    }
    assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, id_len, &sk, ct, len), TKMS_OK);
    /* wrong id, wrong key, identity key, identity U, short id, small buffer */
    const uint8_t other[] = "0xabcdefabcdefabcdefabcdefabcdefabcdefabce";
    assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, other, id_len, &sk, ct, len),
                     TKMS_ERR_IBE_DECRYPT);
    tkms_bls_g2 mpk2;
    make_keys(&mpk2, &sk2, id, id_len);
    assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, id_len, &sk2, ct, len),
                     TKMS_ERR_IBE_DECRYPT);
    tkms_bls_g1 ident;
    tkms_bls_g1_identity(&ident);
    assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, id_len, &ident, ct, len),
                     TKMS_ERR_IBE_DECRYPT);
    uint8_t saved[96];
    memcpy(saved, ct + 4, 96);
    memset(ct + 4, 0, 96);
    ct[4] = 0xc0;
    assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, id_len, &sk, ct, len),
                     TKMS_ERR_IBE_DECRYPT);
    memcpy(ct + 4, saved, 96);
    assert_int_equal(tkms_ibe_decrypt(back, n - 1, &back_len, id, id_len, &sk, ct, len),
                     TKMS_ERR_IBE_DECRYPT);
    assert_int_equal(tkms_ibe_encrypt(ct, sizeof ct, id, 4, &mpk, pt, n, &rng), TKMS_ERR_IBE_BAD_ID);
    assert_int_equal(tkms_ibe_decrypt(back, sizeof back, &back_len, id, 4, &sk, ct, len),
                     TKMS_ERR_IBE_DECRYPT);
    tkms_bls_g2 ident2;
    tkms_bls_g2_identity(&ident2);
    assert_int_equal(tkms_ibe_encrypt(ct, sizeof ct, id, id_len, &ident2, pt, n, &rng),
                     TKMS_ERR_IBE_BAD_MPK);
    assert_int_equal(tkms_ibe_encrypt(ct, len - 1, id, id_len, &mpk, pt, n, &rng),
                     TKMS_ERR_IBE_BUFFER);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_round_trip_and_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
