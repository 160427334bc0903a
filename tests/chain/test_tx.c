/*
 * test_tx.c — keys and EIP-1559 transactions (src/chain/key.c, tx.c): address derivation,
 * signing byte-identical to an independent implementation (@noble/curves + @noble/hashes
 * + a JS RLP encoder, vectors in tests/vectors/chain/tx1559.json), decoding with sender
 * recovery, every decoder refusal, and key files (0600 enforced, formats, O_EXCL).
 */
#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/internal.h"
#include "test_util.h"

static tkms_chain_key key_from_hex(const char *hex) {
    uint8_t sk[32];
    assert_int_equal(tkms_chain_hex_decode(sk, 32, hex), TKMS_OK);
    tkms_chain_key k;
    assert_int_equal(tkms_chain_key_from_bytes(&k, sk), TKMS_OK);
    return k;
}

static void assert_address(const tkms_chain_address *a, const char *want) {
    char hex[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(hex, a);
    assert_string_equal(hex + 2, want);
}

static void test_addresses(void **state) {
    (void)state;
    tkms_chain_key k =
        key_from_hex("0101010101010101010101010101010101010101010101010101010101010101");
    assert_address(&k.address, "1a642f0e3c3af545e7acbd38b07251b3990914f1");
    k = key_from_hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    assert_address(&k.address, "f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    tkms_chain_key_wipe(&k);
    assert_int_equal(k.sk[0], 0);
    uint8_t zero[32] = {0}, order[32];
    assert_int_equal(tkms_chain_key_from_bytes(&k, zero), TKMS_ERR_CHAIN_KEY_INVALID);
    assert_int_equal(
        tkms_chain_hex_decode(order, 32,
                              "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"),
        TKMS_OK);
    assert_int_equal(tkms_chain_key_from_bytes(&k, order), TKMS_ERR_CHAIN_KEY_INVALID);
}

/* "de0b6b3a7640000" (any length) → u256. */
static void u256_from_hex(tkms_chain_u256 *out, const char *hex) {
    char padded[65];
    size_t n = strlen(hex);
    assert_true(n <= 64);
    memset(padded, '0', 64 - n);
    memcpy(padded + 64 - n, hex, n + 1);
    assert_int_equal(tkms_chain_hex_decode(out->be, 32, padded), TKMS_OK);
}

static void vector_check(const json_t *v) {
    const char *to = json_string_value(json_object_get(v, "to"));
    const char *data_hex = json_string_value(json_object_get(v, "data"));
    tkms_chain_bytes data, want_raw;
    assert_int_equal(tkms_chain_hex_decode_alloc(&data, data_hex, 1 << 16), TKMS_OK);
    assert_int_equal(tkms_chain_hex_decode_alloc(
                         &want_raw, json_string_value(json_object_get(v, "raw")), 1 << 16),
                     TKMS_OK);
    tkms_chain_tx tx = {
        .chain_id = (uint64_t)json_integer_value(json_object_get(v, "chain_id")),
        .nonce = strtoull(json_string_value(json_object_get(v, "nonce")), NULL, 10),
        .max_priority_fee_per_gas =
            strtoull(json_string_value(json_object_get(v, "tip")), NULL, 10),
        .max_fee_per_gas = strtoull(json_string_value(json_object_get(v, "max_fee")), NULL, 10),
        .gas_limit = strtoull(json_string_value(json_object_get(v, "gas")), NULL, 10),
        .has_to = to != NULL,
        .data = data.ptr,
        .data_len = data.len};
    if (to != NULL) {
        assert_int_equal(tkms_chain_address_parse(&tx.to, to), TKMS_OK);
    }
    u256_from_hex(&tx.value, json_string_value(json_object_get(v, "value")));
    tkms_chain_key key = key_from_hex(json_string_value(json_object_get(v, "sk")));
    tkms_chain_bytes raw;
    tkms_chain_hash hash;
    assert_int_equal(tkms_chain_tx_sign(&raw, &hash, &tx, &key), TKMS_OK);
    assert_int_equal(raw.len, want_raw.len);
    assert_memory_equal(raw.ptr, want_raw.ptr, raw.len); /* RFC 6979: deterministic */
    char hash_hex[TKMS_CHAIN_HASH_HEX_BYTES];
    tkms_chain_hash_format(hash_hex, &hash);
    assert_string_equal(hash_hex + 2, json_string_value(json_object_get(v, "hash")));

    tkms_chain_tx_decoded d;
    assert_int_equal(tkms_chain_tx_decode(&d, raw.ptr, raw.len), TKMS_OK);
    assert_address(&d.sender, json_string_value(json_object_get(v, "sender")));
    assert_memory_equal(d.hash.bytes, hash.bytes, 32);
    assert_int_equal(d.tx.nonce, tx.nonce);
    assert_int_equal(d.tx.max_fee_per_gas, tx.max_fee_per_gas);
    assert_int_equal(d.tx.has_to, tx.has_to);
    assert_memory_equal(d.tx.value.be, tx.value.be, 32);
    assert_int_equal(d.tx.data_len, tx.data_len);
    tkms_chain_key_wipe(&key);
    tkms_chain_bytes_free(&raw);
    tkms_chain_bytes_free(&want_raw);
    tkms_chain_bytes_free(&data);
}

static void test_noble_vectors(void **state) {
    (void)state;
    size_t len = 0;
    uint8_t *text = tu_read_file("tests/vectors/chain/tx1559.json", &len);
    json_t *root = json_loadb((const char *)text, len, 0, NULL);
    assert_non_null(root);
    json_t *vectors = json_object_get(root, "vectors");
    assert_int_equal(json_array_size(vectors), 3);
    size_t i;
    json_t *v;
    json_array_foreach(vectors, i, v) {
        vector_check(v);
    }
    json_decref(root);
    free(text);
}

static tkms_chain_bytes signed_example(void) {
    tkms_chain_key key =
        key_from_hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    tkms_chain_tx tx = {.chain_id = 31337,
                        .nonce = 5,
                        .max_priority_fee_per_gas = 1,
                        .max_fee_per_gas = 2,
                        .gas_limit = 21000,
                        .has_to = true};
    tkms_chain_bytes raw;
    tkms_chain_hash hash;
    assert_int_equal(tkms_chain_tx_sign(&raw, &hash, &tx, &key), TKMS_OK);
    return raw;
}

static tkms_err decode_hex(const char *hex) {
    tkms_chain_bytes raw;
    assert_int_equal(tkms_chain_hex_decode_alloc(&raw, hex, 1 << 16), TKMS_OK);
    tkms_chain_tx_decoded d;
    tkms_err err = tkms_chain_tx_decode(&d, raw.ptr, raw.len);
    tkms_chain_bytes_free(&raw);
    return err;
}

static void test_decode_rejects(void **state) {
    (void)state;
    tkms_chain_bytes raw = signed_example();
    tkms_chain_tx_decoded d;
    assert_int_equal(tkms_chain_tx_decode(&d, raw.ptr, raw.len), TKMS_OK);
    raw.ptr[0] = 0x01; /* an EIP-2930 envelope */
    assert_int_equal(tkms_chain_tx_decode(&d, raw.ptr, raw.len), TKMS_ERR_CHAIN_RLP_SHAPE);
    raw.ptr[0] = 0x02;
    assert_int_equal(tkms_chain_tx_decode(&d, raw.ptr, raw.len - 1), TKMS_ERR_CHAIN_RLP_TRUNCATED);
    raw.ptr[raw.len - 1] ^= 1; /* s changed: another (or no) sender */
    tkms_err err = tkms_chain_tx_decode(&d, raw.ptr, raw.len);
    assert_true(err == TKMS_ERR_CHAIN_TX_BAD_SIGNATURE ||
                (err == TKMS_OK && d.sender.bytes[0] != 0xf3));
    tkms_chain_bytes_free(&raw);
    assert_int_equal(tkms_chain_tx_decode(&d, NULL, 0), TKMS_ERR_CHAIN_RLP_SHAPE);
    /* 11 fields: [1,0,0,0,0,"",0,"",[],0,1] */
    assert_int_equal(decode_hex("02cb0180808080808080c08001"), TKMS_ERR_CHAIN_RLP_SHAPE);
    /* 13 fields */
    assert_int_equal(decode_hex("02cd0180808080808080c080010101"), TKMS_ERR_CHAIN_RLP_SHAPE);
    /* y parity 2 */
    assert_int_equal(decode_hex("02cc0180808080808080c0020101"), TKMS_ERR_CHAIN_TX_BAD_SIGNATURE);
    /* high s (n-1) */
    assert_int_equal(decode_hex("02ec0180808080808080c08001a0fffffffffffffffffffffffffffffffe"
                                "baaedce6af48a03bbfd25e8cd0364140"),
                     TKMS_ERR_CHAIN_TX_BAD_SIGNATURE);
    /* nonce with a leading zero */
    assert_int_equal(decode_hex("02ce01820001808080808080c0800101"),
                     TKMS_ERR_CHAIN_RLP_NONCANONICAL);
    /* to of 19 bytes */
    assert_int_equal(decode_hex("02df0180808080930000000000000000000000000000000000000080"
                                "80c0800101"),
                     TKMS_ERR_CHAIN_RLP_SHAPE);
    /* access list entry that is not [address, [keys]] */
    assert_int_equal(decode_hex("02cd0180808080808080c180800101"), TKMS_ERR_CHAIN_RLP_SHAPE);
    /* value of 33 bytes */
    assert_int_equal(decode_hex("02ed018080808080a10100000000000000000000000000000000000000000000"
                                "00000000000000000000"
                                "80c0800101"),
                     TKMS_ERR_CHAIN_VALUE_RANGE);
}

static void test_key_files(void **state) {
    (void)state;
    char dir[] = "/tmp/tkms-key-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/operator.key", dir);
    tkms_chain_key k, loaded;
    assert_int_equal(tkms_chain_key_generate(&k), TKMS_OK);
    assert_int_equal(tkms_chain_key_save(path, &k), TKMS_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(tkms_chain_key_save(path, &k), TKMS_ERR_CHAIN_KEY_EXISTS);
    assert_int_equal(tkms_chain_key_load(&loaded, path), TKMS_OK);
    assert_memory_equal(loaded.address.bytes, k.address.bytes, 20);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(tkms_chain_key_load(&loaded, path), TKMS_ERR_CHAIN_KEY_PERMISSIONS);
    assert_int_equal(loaded.sk[0] | loaded.sk[31], 0);
    unlink(path);
    const struct {
        const char *text;
        tkms_err err;
    } cases[] = {
        {"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n", TKMS_OK},
        {"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", TKMS_OK},
        {"ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8",
         TKMS_ERR_CHAIN_KEY_FORMAT},
        {"zz0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
         TKMS_ERR_CHAIN_KEY_FORMAT},
        {"0000000000000000000000000000000000000000000000000000000000000000",
         TKMS_ERR_CHAIN_KEY_INVALID},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, cases[i].text, strlen(cases[i].text)),
                         (ssize_t)strlen(cases[i].text));
        close(fd);
        assert_int_equal(tkms_chain_key_load(&loaded, path), cases[i].err);
        unlink(path);
    }
    assert_int_equal(tkms_chain_key_load(&loaded, path), TKMS_ERR_IO);
    rmdir(dir);
    tkms_chain_key_wipe(&k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_noble_vectors),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_key_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
