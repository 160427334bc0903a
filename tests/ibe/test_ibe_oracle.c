/*
 * test_ibe_oracle.c — IBE v1 against an independent implementation written from the
 * spec (tests/oracle/ibe_oracle.mjs: @noble/curves + node:crypto): for random ids, master
 * keys and messages from 0 B to 1 MiB, each side decrypts the other's ciphertexts, the
 * app keys S·H1(id) agree, and with the same ρ and nonce both produce identical bytes.
 */
#include "ibe/ibe.h"
#include "oracle_pipe.h"
#include "tss/tss.h"

static tu_rng prng;
static void rng_fill(void *ctx, uint8_t *out, size_t len) {
    tu_rng_bytes((tu_rng *)ctx, out, len);
}
static tkms_rng rng = {rng_fill, &prng};

enum { CASES = 24, LINE_MAX_BYTES = 3 << 20 };

typedef struct {
    uint8_t id[64];
    size_t id_len, pt_len;
    uint8_t *pt, *ct, *ct_fixed;
    tkms_bls_fr s, rho;
    uint8_t nonce[12];
    tkms_bls_g1 sk;
    tkms_bls_g2 mpk;
} ibe_case;

static size_t pick_size(int c) {
    static const size_t fixed[] = {0, 1, 15, 16, 17, 1000, 1 << 20};
    if (c < 7) {
        return fixed[c];
    }
    return (size_t)(tu_rng_next(&prng) % 5000);
}

static void make_case(ibe_case *k, int c) {
    uint8_t wide[64];
    k->id_len = 5 + (size_t)(tu_rng_next(&prng) % 60);
    tu_rng_bytes(&prng, k->id, k->id_len);
    k->pt_len = pick_size(c);
    k->pt = malloc(k->pt_len + 1);
    k->ct = malloc(k->pt_len + TKMS_IBE_OVERHEAD_BYTES);
    k->ct_fixed = malloc(k->pt_len + TKMS_IBE_OVERHEAD_BYTES);
    tu_rng_bytes(&prng, k->pt, k->pt_len);
    tu_rng_bytes(&prng, wide, 64);
    tkms_bls_fr_decode_reduce(&k->s, wide, 64);
    tu_rng_bytes(&prng, wide, 64);
    tkms_bls_fr_decode_reduce(&k->rho, wide, 64);
    tu_rng_bytes(&prng, k->nonce, 12);
    tkms_bls_g2_generator(&k->mpk);
    tkms_bls_g2_mul(&k->mpk, &k->mpk, &k->s);
    tkms_bls_g1 h;
    assert_int_equal(tkms_tss_h1(&h, k->id, k->id_len), TKMS_OK);
    tkms_bls_g1_mul(&k->sk, &h, &k->s);
    size_t ct_len = k->pt_len + TKMS_IBE_OVERHEAD_BYTES;
    assert_int_equal(tkms_ibe_encrypt(k->ct, ct_len, k->id, k->id_len, &k->mpk, k->pt, k->pt_len, &rng), TKMS_OK);
    assert_int_equal(tkms_ibe_encrypt_with(k->ct_fixed, ct_len, k->id, k->id_len, &k->mpk, k->pt,
                                           k->pt_len, &k->rho, k->nonce),
                     TKMS_OK);
}

static void put_hex(FILE *f, const uint8_t *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    if (n == 0) {
        fputc('-', f);
    }
    for (size_t i = 0; i < n; i++) {
        fputc(d[p[i] >> 4], f);
        fputc(d[p[i] & 15], f);
    }
}

static void write_commands(FILE *f, const ibe_case *k) {
    uint8_t buf[96], s[32];
    fputs("key ", f);
    put_hex(f, k->id, k->id_len);
    tkms_bls_fr_encode(s, &k->s);
    fputc(' ', f);
    put_hex(f, s, 32);
    fputs("\ndec ", f);
    put_hex(f, k->id, k->id_len);
    tkms_bls_g1_encode(buf, &k->sk);
    fputc(' ', f);
    put_hex(f, buf, 48);
    fputc(' ', f);
    put_hex(f, k->ct, k->pt_len + TKMS_IBE_OVERHEAD_BYTES);
    fputs("\nenc ", f);
    put_hex(f, k->id, k->id_len);
    tkms_bls_g2_encode(buf, &k->mpk);
    fputc(' ', f);
    put_hex(f, buf, 96);
    tkms_bls_fr_encode(s, &k->rho);
    fputc(' ', f);
    put_hex(f, s, 32);
    fputc(' ', f);
    put_hex(f, k->nonce, 12);
    fputc(' ', f);
    put_hex(f, k->pt, k->pt_len);
    fputc('\n', f);
}

static void check_answers(FILE *out, const ibe_case *k, char *line, char *hex) {
    uint8_t enc[48];
    size_t ct_len = k->pt_len + TKMS_IBE_OVERHEAD_BYTES;
    oracle_line(out, line, LINE_MAX_BYTES); /* key */
    tkms_bls_g1_encode(enc, &k->sk);
    tu_hex(hex, enc, 48);
    assert_string_equal(line, hex);
    oracle_line(out, line, LINE_MAX_BYTES); /* dec of our ciphertext */
    if (k->pt_len == 0) {
        assert_string_equal(line, "-");
    } else {
        tu_hex(hex, k->pt, k->pt_len);
        assert_string_equal(line, hex);
    }
    oracle_line(out, line, LINE_MAX_BYTES); /* their ciphertext with our ρ and nonce */
    tu_hex(hex, k->ct_fixed, ct_len);
    assert_string_equal(line, hex);
    uint8_t *theirs = malloc(ct_len), *back = malloc(k->pt_len + 1);
    size_t back_len;
    assert_int_equal(tu_unhex(theirs, ct_len, line), (long)ct_len);
    assert_int_equal(tkms_ibe_decrypt(back, k->pt_len + 1, &back_len, k->id, k->id_len, &k->sk,
                                      theirs, ct_len),
                     TKMS_OK);
    assert_int_equal(back_len, k->pt_len);
    assert_memory_equal(back, k->pt, k->pt_len);
    free(theirs);
    free(back);
}

static void test_differential(void **state) {
    (void)state;
    static ibe_case cases[CASES];
    oracle_batch b;
    oracle_begin(&b);
    for (int c = 0; c < CASES; c++) {
        make_case(&cases[c], c);
        write_commands(b.in, &cases[c]);
    }
    FILE *out = oracle_run(&b, "tests/oracle/ibe_oracle.mjs");
    char *line = malloc(LINE_MAX_BYTES), *hex = malloc(LINE_MAX_BYTES);
    for (int c = 0; c < CASES; c++) {
        check_answers(out, &cases[c], line, hex);
        free(cases[c].pt);
        free(cases[c].ct);
        free(cases[c].ct_fixed);
    }
    free(line);
    free(hex);
    oracle_end(&b, out);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_differential)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
