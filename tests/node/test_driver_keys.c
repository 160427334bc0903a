/*
 * test_driver_keys.c — the node key file and `tkmsd keygen` (src/node/keys.c): save/load
 * round trip, mode 0600 and O_EXCL, refused permissions, symlinks and malformed files, the
 * public values an operator registers (the first X25519 key is exactly what
 * tkms_proto_init derives from the DRBG seed), and importing a `tkms operator keygen`
 * chain key.
 */
#include <limits.h>
#include <sys/stat.h>

#include "driver_test.h"
#include "node/driver.h"
#include "prim/prim.h"

static char dir[PATH_MAX];

static int setup(void **state) {
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/tkms-keys-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state) {
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void path_of(char *out, size_t max, const char *name) {
    snprintf(out, max, "%s/%s", dir, name);
}

static node_keys sample(void) {
    node_keys k;
    uint8_t sk[32];
    for (int i = 0; i < 32; i++) {
        sk[i] = (uint8_t)(i + 1);
        k.ed25519_seed[i] = (uint8_t)(0x40 + i);
        k.drbg_seed[i] = (uint8_t)(0x80 + i);
    }
    assert_int_equal(tkms_chain_key_from_bytes(&k.chain, sk), TKMS_OK);
    return k;
}

static void test_round_trip(void **state) {
    (void)state;
    char p[PATH_MAX + 32];
    path_of(p, sizeof p, "node.keys");
    node_keys k = sample(), back;
    assert_int_equal(node_keys_save(p, &k), TKMS_OK);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(node_keys_load(&back, p), TKMS_OK);
    assert_memory_equal(back.chain.sk, k.chain.sk, 32);
    assert_memory_equal(back.chain.address.bytes, k.chain.address.bytes, 20);
    assert_memory_equal(back.ed25519_seed, k.ed25519_seed, 32);
    assert_memory_equal(back.drbg_seed, k.drbg_seed, 32);
    assert_int_equal(node_keys_save(p, &k), TKMS_ERR_NODE_KEY_FILE_EXISTS); /* O_EXCL */
    node_keys_wipe(&back);
    const uint8_t zero[32] = {0};
    assert_memory_equal(back.ed25519_seed, zero, 32);
    assert_memory_equal(back.chain.sk, zero, 32);
}

static void test_refused_files(void **state) {
    (void)state;
    char p[PATH_MAX + 32], link[PATH_MAX + 32];
    path_of(p, sizeof p, "node.keys");
    node_keys k = sample(), back;
    assert_int_equal(node_keys_save(p, &k), TKMS_OK);
    assert_int_equal(chmod(p, 0640), 0);
    assert_int_equal(node_keys_load(&back, p), TKMS_ERR_NODE_KEY_FILE_PERMISSIONS);
    assert_int_equal(chmod(p, 0600), 0);
    path_of(link, sizeof link, "link.keys");
    assert_int_equal(symlink(p, link), 0);
    assert_int_equal(node_keys_load(&back, link), TKMS_ERR_NODE_KEY_FILE_PERMISSIONS);
    path_of(p, sizeof p, "missing.keys");
    assert_int_equal(node_keys_load(&back, p), TKMS_ERR_NODE_KEY_FILE_IO);
    const char *bad[] = {
        "not json",
        "{\"version\":2,\"chain_key\":\"0x01\",\"ed25519_seed\":\"0x01\",\"drbg_seed\":\"0x01\"}",
        "{\"version\":1}",
        ("{\"version\":1,\"chain_key\":\"0x0000000000000000000000000000000000000000000000000000"
         "000000000000\",\"ed25519_seed\":\"0x000000000000000000000000000000000000000000000000000"
         "0000000000000\",\"drbg_seed\":\"0x0000000000000000000000000000000000000000000000000000"
         "000000000000\"}"), /* the zero chain key is invalid */
        ("{\"version\":1,\"chain_key\":\"0x01\",\"ed25519_seed\":\"0x01\",\"drbg_seed\":\"0x01\","
         "\"extra\":1}"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        path_of(p, sizeof p, "bad.keys");
        dt_write_file(p, bad[i], 0600);
        assert_int_equal(node_keys_load(&back, p), TKMS_ERR_NODE_KEY_FILE);
    }
}

/* The registered X25519 key is the one the protocol state starts with. */
static void test_public_values(void **state) {
    (void)state;
    node_keys k = sample();
    node_keys_public p;
    node_keys_public_get(&p, &k);
    uint8_t ed[32];
    tkms_prim_ed25519_public(ed, k.ed25519_seed);
    assert_memory_equal(p.ed25519, ed, 32);
    assert_memory_equal(p.address.bytes, k.chain.address.bytes, 20);
    tkms_proto_state *s = calloc(1, sizeof *s);
    tkms_proto_config cfg = {.chain_id = 31337, .interval = 30, .commit_offset = 5,
                             .reveal_offset = 10, .ack_offset = 15, .open_offset = 20,
                             .confirm_offset = 25};
    tkms_proto_init(s, &cfg, k.ed25519_seed, k.drbg_seed);
    assert_memory_equal(p.x25519, s->keys[0].pub, 32);
    uint8_t derived[32];
    tkms_prim_x25519_public(derived, s->keys[0].priv);
    assert_memory_equal(p.x25519, derived, 32);
    free(s);
}

static void test_keygen_command(void **state) {
    (void)state;
    char out[PATH_MAX + 32], chain[PATH_MAX + 32];
    path_of(out, sizeof out, "a.keys");
    path_of(chain, sizeof chain, "chain.key");
    /* an existing `tkms operator keygen` key is imported */
    tkms_chain_key ck;
    assert_int_equal(tkms_chain_key_generate(&ck), TKMS_OK);
    assert_int_equal(tkms_chain_key_save(chain, &ck), TKMS_OK);
    char *argv[] = {"keygen", "--out", out, "--chain-key", chain, NULL};
    assert_int_equal(node_keygen_main(5, argv), 0);
    node_keys k;
    assert_int_equal(node_keys_load(&k, out), TKMS_OK);
    assert_memory_equal(k.chain.address.bytes, ck.address.bytes, 20);
    node_keys_wipe(&k);
    assert_int_equal(node_keygen_main(5, argv), 2); /* --out exists */
    /* without --chain-key: a fresh key */
    path_of(out, sizeof out, "b.keys");
    char *argv2[] = {"keygen", "--out", out, NULL};
    assert_int_equal(node_keygen_main(3, argv2), 0);
    assert_int_equal(node_keys_load(&k, out), TKMS_OK);
    assert_memory_not_equal(k.chain.address.bytes, ck.address.bytes, 20);
    node_keys_wipe(&k);
    char *argv3[] = {"pubkeys", "--key-file", out, NULL};
    assert_int_equal(node_keygen_main(3, argv3), 0);
    char *usage[] = {"keygen", NULL};
    assert_int_equal(node_keygen_main(1, usage), 1);
    char *unknown[] = {"keygen", "--bogus", "x", NULL};
    assert_int_equal(node_keygen_main(3, unknown), 1);
    tkms_chain_key_wipe(&ck);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keygen_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
