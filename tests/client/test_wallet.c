/*
 * test_wallet.c — mnemonic and addresses (crypto.md §10): the published BIP-39 vectors
 * (TREZOR passphrase), BIP-32 test vector 1, SLIP-10 ed25519 test vector 1, the EIP-55
 * examples, base58 examples; and a differential run against independent implementations
 * (tests/oracle/wallet_oracle.mjs) for random entropy: mnemonic, seed, five EVM and five
 * Solana addresses each.
 */
#include "client/client.h"
#include "common/tkms_ct.h"
#include "oracle_pipe.h"
#include "test_util.h"

static tu_rng prng;

static void expect_hex(const uint8_t *got, size_t len, const char *hex) {
    uint8_t want[128];
    assert_int_equal(tu_unhex(want, sizeof want, hex), (long)len);
    assert_memory_equal(got, want, len);
}

static void test_bip39_vectors(void **state) {
    (void)state;
    static const struct {
        const char *entropy, *words, *seed;
    } v[] = {
        {"00000000000000000000000000000000",
         "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
         "c55257c360c07c72029aebc1b53c05ed0362ada38ead3e3e9efa3708e53495531f09a6987599d18264c1e1c92f2cf141630c7a3c4ab7c81b2f001698e7463b04"},
        {"7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f",
         "legal winner thank year wave sausage worth useful legal winner thank yellow",
         "2e8905819b8723fe2c1d161860e5ee1830318dbf49a83bd451cfb8440c28bd6fa457fe1296106559a3c80937a1c1069be3a3a5bd381ee6260e8d9739fce1f607"},
        {"0000000000000000000000000000000000000000000000000000000000000000",
         "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art",
         "bda85446c68413707090a52022edd26a1c9462295029f2e60cd7c4f2bbd3097170af7a4d73245cafa9c3cca8d561a7c3de6f5d4a10be8ed2a5e608d68f92fcc8"},
    };
    for (size_t i = 0; i < 3; i++) {
        uint8_t entropy[32], seed[64];
        char words[TKMS_CLIENT_MNEMONIC_BYTES_MAX];
        long n = tu_unhex(entropy, sizeof entropy, v[i].entropy);
        assert_int_equal(tkms_client_mnemonic_from_entropy(words, sizeof words, entropy, (size_t)n), TKMS_OK);
        assert_string_equal(words, v[i].words);
        assert_int_equal(tkms_client_mnemonic_to_seed(seed, words, "TREZOR"), TKMS_OK);
        expect_hex(seed, 64, v[i].seed);
    }
    uint8_t e[32] = {0};
    char words[TKMS_CLIENT_MNEMONIC_BYTES_MAX];
    assert_int_equal(tkms_client_mnemonic_from_entropy(words, sizeof words, e, 15), TKMS_ERR_CLIENT_BAD_MNEMONIC);
    assert_int_equal(tkms_client_mnemonic_from_entropy(words, sizeof words, e, 36), TKMS_ERR_CLIENT_BAD_MNEMONIC);
    assert_int_equal(tkms_client_mnemonic_from_entropy(words, 20, e, 32), TKMS_ERR_CLIENT_BUFFER);
}

static void test_hd_vectors(void **state) {
    (void)state;
    uint8_t seed[16];
    tkms_client_hd_node node;
    assert_int_equal(tu_unhex(seed, 16, "000102030405060708090a0b0c0d0e0f"), 16);
    const uint32_t h0 = TKMS_CLIENT_HARDENED;
    /* BIP-32 test vector 1: m and m/0H */
    assert_int_equal(tkms_client_bip32_derive(&node, seed, 16, NULL, 0), TKMS_OK);
    expect_hex(node.key, 32, "e8f32e723decf4051aefac8e2c93c9c5b214313817cdb01a1494b917c8436b35");
    expect_hex(node.chain, 32, "873dff81c02f525623fd1fe5167eac3a55a049de3d314bb42ee227ffed37d508");
    assert_int_equal(tkms_client_bip32_derive(&node, seed, 16, &h0, 1), TKMS_OK);
    expect_hex(node.key, 32, "edb2e14f9ee77d26dd93b4ecede8d16ed408ce149b6cd80b0715a2d911a0afea");
    expect_hex(node.chain, 32, "47fdacbd0f1097043b78c63c20c34ef4ed9a111d980047ad16282c7ae6236141");
    /* SLIP-10 ed25519 test vector 1: m and m/0H */
    assert_int_equal(tkms_client_slip10_derive(&node, seed, 16, NULL, 0), TKMS_OK);
    expect_hex(node.key, 32, "2b4be7f19ee27bbf30c667b642d5f4aa69fd169872f8fc3059c08ebae2eb19e7");
    expect_hex(node.chain, 32, "90046a93de5380a72b5e45010748567d5ea02bbf6522f979e05c0d8d8ca9fffb");
    assert_int_equal(tkms_client_slip10_derive(&node, seed, 16, &h0, 1), TKMS_OK);
    expect_hex(node.key, 32, "68e0fe46dfb67e368c75379acec591dad19df3cde26e63b93a8e704f1dade7a3");
    expect_hex(node.chain, 32, "8b59aa11380b624e81507a27fedda59fea6d0b779a778918a2fd3590e16e9c69");
    const uint32_t soft = 1;
    assert_int_equal(tkms_client_slip10_derive(&node, seed, 16, &soft, 1), TKMS_ERR_CLIENT_DERIVATION);
    assert_int_equal(tkms_client_bip32_derive(&node, seed, 15, NULL, 0), TKMS_ERR_CLIENT_DERIVATION);
}

static void test_address_vectors(void **state) {
    (void)state;
    static const char *eip55[] = {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
                                  "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
                                  "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
                                  "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"};
    char out[64];
    for (int i = 0; i < 4; i++) {
        uint8_t addr[20];
        assert_int_equal(tu_unhex(addr, 20, eip55[i]), 20);
        tkms_client_eip55(out, addr);
        assert_string_equal(out, eip55[i]);
    }
    uint8_t key[32]; /* anvil's account #0 */
    assert_int_equal(tu_unhex(key, 32, "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"), 32);
    assert_int_equal(tkms_client_eth_address(out, key), TKMS_OK);
    assert_string_equal(out, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    static const struct {
        const char *hex, *b58;
    } b[] = {{"", ""}, {"00", "1"}, {"48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U"},
             {"0000287fb4cd", "11233QC4"}};
    for (int i = 0; i < 4; i++) {
        uint8_t in[32];
        long n = tu_unhex(in, sizeof in, b[i].hex);
        assert_int_equal(tkms_client_base58_encode(out, sizeof out, in, (size_t)n), TKMS_OK);
        assert_string_equal(out, b[i].b58);
    }
}

static void test_against_oracle(void **state) {
    (void)state;
    enum { CASES = 12 };
    uint8_t entropy[CASES][32], seeds[CASES][64];
    char words[CASES][TKMS_CLIENT_MNEMONIC_BYTES_MAX], hex[600];
    oracle_batch b;
    oracle_begin(&b);
    for (int c = 0; c < CASES; c++) {
        tu_rng_bytes(&prng, entropy[c], 32);
        assert_int_equal(tkms_client_mnemonic_from_entropy(words[c], sizeof words[c], entropy[c], 32), TKMS_OK);
        assert_int_equal(tkms_client_mnemonic_to_seed(seeds[c], words[c], ""), TKMS_OK);
        tu_hex(hex, entropy[c], 32);
        fprintf(b.in, "mnemonic %s\n", hex);
        tu_hex(hex, (const uint8_t *)words[c], strlen(words[c]));
        fprintf(b.in, "seed %s\n", hex);
        tu_hex(hex, seeds[c], 64);
        for (int i = 0; i < TKMS_CLIENT_ADDRESSES; i++) {
            fprintf(b.in, "evm %s %d\nsol %s %d\n", hex, i, hex, i);
        }
    }
    FILE *out = oracle_run(&b, "tests/oracle/wallet_oracle.mjs");
    char line[600], mine[128];
    for (int c = 0; c < CASES; c++) {
        oracle_line(out, line, sizeof line);
        assert_string_equal(line, words[c]);
        oracle_line(out, line, sizeof line);
        tu_hex(hex, seeds[c], 64);
        assert_string_equal(line, hex);
        for (uint32_t i = 0; i < TKMS_CLIENT_ADDRESSES; i++) {
            oracle_line(out, line, sizeof line);
            assert_int_equal(tkms_client_evm_address_at(mine, seeds[c], i), TKMS_OK);
            assert_string_equal(line, mine);
            oracle_line(out, line, sizeof line);
            assert_int_equal(tkms_client_solana_address_at(mine, seeds[c], i), TKMS_OK);
            assert_string_equal(line, mine);
        }
    }
    oracle_end(&b, out);
}

static void test_app_mnemonic(void **state) {
    (void)state;
    tkms_bls_g1 sk;
    tkms_bls_fr k;
    tkms_bls_fr_from_u64(&k, 42);
    tkms_bls_g1_generator(&sk);
    tkms_bls_g1_mul(&sk, &sk, &k);
    char a[TKMS_CLIENT_MNEMONIC_BYTES_MAX], b2[TKMS_CLIENT_MNEMONIC_BYTES_MAX];
    const uint8_t id[] = "0x1234567890abcdef1234567890abcdef12345678";
    assert_int_equal(tkms_client_app_mnemonic(a, sizeof a, &sk, id, sizeof id - 1), TKMS_OK);
    assert_int_equal(tkms_client_app_mnemonic(b2, sizeof b2, &sk, id, sizeof id - 1), TKMS_OK);
    assert_string_equal(a, b2);
    int spaces = 0;
    for (const char *p = a; *p; p++) {
        spaces += *p == ' ';
    }
    assert_int_equal(spaces, 23);
    assert_int_equal(tkms_client_app_mnemonic(b2, sizeof b2, &sk, id, sizeof id - 2), TKMS_OK);
    assert_string_not_equal(a, b2); /* bound to the id */
    tkms_wipe(a, sizeof a);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bip39_vectors), cmocka_unit_test(test_hd_vectors),
        cmocka_unit_test(test_address_vectors), cmocka_unit_test(test_against_oracle),
        cmocka_unit_test(test_app_mnemonic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
