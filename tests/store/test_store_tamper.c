/*
 * test_store_tamper.c — modified databases: a flipped byte in any sealed value (salt,
 * ciphertext or tag), changed public fields bound into an AAD, rows swapped between
 * keys or copied between databases, a modified binding, a wrong master key. Open must
 * fail with TKMS_ERR_STORE_TAMPERED (or _WRONG_KEY for another key / key fingerprint)
 * and never hand out plaintext; a tampered cache entry fails its read and poisons the
 * handle.
 *
 * Byte flips are made in the database FILE (found by searching for the value's bytes,
 * read with a raw SQLite connection while the store is closed); field edits use SQL.
 */
#include "store_test.h"

static int setup(void **state) {
    st_env *e = malloc(sizeof *e);
    assert_non_null(e);
    st_env_init(e);
    *state = e;
    return 0;
}

static int teardown(void **state) {
    st_env *e = *state;
    st_env_free(e);
    free(e);
    return 0;
}

/* A database with one of everything. */
static void populate(st_env *e) {
    tkms_store *s = st_open(e);
    uint8_t blob[3000];
    st_fill(blob, sizeof blob, 1);
    assert_int_equal(tkms_store_state_put(s, blob, sizeof blob), TKMS_OK);
    tkms_store_secret k;
    tkms_store_version_info info;
    for (uint64_t v = 1; v <= 2; v++) {
        memset(&info, 0, sizeof info);
        info.version = v;
        info.status = TKMS_STORE_VERSION_PENDING;
        info.public_len = 96;
        st_fill(info.public_data, 96, 10 + v);
        st_fill(k.bytes, 32, 20 + v);
        assert_int_equal(tkms_store_version_put(s, &info, &k), TKMS_OK);
        st_fill(k.bytes, 32, 30 + v);
        assert_int_equal(tkms_store_x25519_put(s, v, &k), TKMS_OK);
    }
    st_fill(k.bytes, 32, 40);
    assert_int_equal(tkms_store_ed25519_put(s, &k), TKMS_OK);
    uint8_t app[20] = {9};
    assert_int_equal(tkms_store_release_put(s, app, 5, blob, 100), TKMS_OK);
    tkms_store_close(s);
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", e->db);
    assert_int_not_equal(access(wal, F_OK), 0); /* everything is in the main file */
}

/* Flips one byte at `offset` of the single occurrence of the value in the file. */
static void flip_in_file(const st_env *e, const uint8_t *value, size_t len, size_t offset) {
    size_t file_len = 0;
    uint8_t *buf = st_file_read(e->db, &file_len);
    assert_non_null(buf);
    uint8_t *at = memmem(buf, file_len, value, len);
    assert_non_null(at);
    assert_null(memmem(at + 1, file_len - (size_t)(at + 1 - buf), value, len));
    at[offset] ^= 0x01;
    st_file_write(e->db, buf, file_len);
    free(buf);
}

static void expect_tampered_at(st_env *e, const char *sql, tkms_err want) {
    uint8_t value[4096];
    size_t len = st_sql_blob(e->db, sql, value, sizeof value);
    assert_true(len > 48);
    /* salt, ciphertext, tag */
    const size_t offsets[3] = {5, 32 + (len - 48) / 2, len - 1};
    size_t file_len = 0;
    uint8_t *orig = st_file_read(e->db, &file_len);
    for (int i = 0; i < 3; i++) {
        flip_in_file(e, value, len, offsets[i]);
        tkms_err err = st_try_open(e);
        if (err != want) {
            fail_msg("%s offset %zu: %s", sql, offsets[i], tkms_err_name(err));
        }
        st_file_write(e->db, orig, file_len);
        assert_int_equal(st_try_open(e), TKMS_OK);
    }
    free(orig);
}

static void test_flip_sealed_values(void **state) {
    st_env *e = *state;
    populate(e);
    assert_int_equal(st_try_open(e), TKMS_OK);
    expect_tampered_at(e, "SELECT sealed FROM state", TKMS_ERR_STORE_TAMPERED);
    expect_tampered_at(e, "SELECT sealed FROM key_version WHERE version = 2",
                       TKMS_ERR_STORE_TAMPERED);
    expect_tampered_at(e, "SELECT sealed FROM wrap_key ORDER BY id LIMIT 1",
                       TKMS_ERR_STORE_TAMPERED);
    expect_tampered_at(e, "SELECT sealed FROM x25519_key WHERE epoch = 1", TKMS_ERR_STORE_TAMPERED);
    expect_tampered_at(e, "SELECT sealed FROM ed25519_key", TKMS_ERR_STORE_TAMPERED);
    expect_tampered_at(e, "SELECT check_sealed FROM meta", TKMS_ERR_STORE_TAMPERED);
}

/* Each statement changes one field; open must refuse with `want`. */
static void expect_after_sql(st_env *e, const char *sql, tkms_err want) {
    size_t file_len = 0;
    uint8_t *orig = st_file_read(e->db, &file_len);
    st_sql(e->db, sql);
    tkms_err err = st_try_open(e);
    if (err != want) {
        fail_msg("%s: %s", sql, tkms_err_name(err));
    }
    st_file_write(e->db, orig, file_len);
    free(orig);
    assert_int_equal(st_try_open(e), TKMS_OK);
}

static void test_field_edits_and_swaps(void **state) {
    st_env *e = *state;
    populate(e);
    const tkms_err T = TKMS_ERR_STORE_TAMPERED;
    expect_after_sql(e, "UPDATE key_version SET status = 2 WHERE version = 1", T);
    expect_after_sql(e,
                     "UPDATE key_version SET public = CAST(x'00' || substr(public, 2) AS BLOB)"
                     " WHERE version = 1",
                     T);
    expect_after_sql(e, "UPDATE key_version SET version = 3 WHERE version = 1", T);
    /* Swap the wrapping keys of versions 1 and 2 (raw connections have foreign keys off). */
    expect_after_sql(e,
                     "CREATE TEMP TABLE t AS SELECT version, wrap FROM key_version;"
                     " UPDATE key_version SET wrap = -wrap;"
                     " UPDATE key_version SET wrap = (SELECT wrap FROM t"
                     " WHERE t.version = 3 - key_version.version)",
                     T);
    expect_after_sql(e,
                     "CREATE TEMP TABLE t AS SELECT version, sealed FROM key_version;"
                     " UPDATE key_version SET sealed = (SELECT sealed FROM t"
                     " WHERE t.version = 3 - key_version.version)",
                     T);
    expect_after_sql(e,
                     "CREATE TEMP TABLE t AS SELECT id, sealed FROM wrap_key;"
                     " UPDATE wrap_key SET sealed = (SELECT sealed FROM t"
                     " WHERE t.id = (SELECT max(id) FROM t) + 1 - wrap_key.id)",
                     T);
    expect_after_sql(e,
                     "UPDATE x25519_key SET public = (SELECT public FROM x25519_key"
                     " WHERE epoch = 2) WHERE epoch = 1",
                     T);
    expect_after_sql(e, "UPDATE x25519_key SET epoch = 7 WHERE epoch = 1", T);
    expect_after_sql(e, "UPDATE ed25519_key SET public = zeroblob(32)", T);
    expect_after_sql(e, "UPDATE meta SET chain_id = 1", T);
    expect_after_sql(e, "UPDATE meta SET epoch_log = zeroblob(20)", T);
    expect_after_sql(e, "UPDATE meta SET mpk = zeroblob(96)", T);
    expect_after_sql(e, "UPDATE meta SET key_id = zeroblob(16)", TKMS_ERR_STORE_WRONG_KEY);
    expect_after_sql(e, "UPDATE meta SET db_id = zeroblob(16)", TKMS_ERR_STORE_WRONG_KEY);
}

/* A forged binding passed along with the edited row still fails: the check value covers
   the binding, so the store never runs on a binding it did not write. */
static void test_forged_binding(void **state) {
    st_env *e = *state;
    populate(e);
    st_sql(e->db, "UPDATE meta SET chain_id = 5");
    e->binding.chain_id = 5;
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_TAMPERED);
}

/* A sealed value copied from another database under the SAME master key is refused:
   the database id is in every AAD. */
static void test_copy_between_databases(void **state) {
    st_env *e = *state;
    populate(e);
    st_env other;
    st_env_init(&other);
    other.key = e->key;
    tkms_store *s = st_open(&other);
    uint8_t blob[3000];
    st_fill(blob, sizeof blob, 99);
    assert_int_equal(tkms_store_state_put(s, blob, sizeof blob), TKMS_OK);
    tkms_store_close(s);
    uint8_t sealed[4096];
    size_t len = st_sql_blob(other.db, "SELECT sealed FROM state", sealed, sizeof sealed);
    char sql[10000] = "UPDATE state SET sealed = x'";
    tu_hex(sql + strlen(sql), sealed, len);
    strcat(sql, "'");
    st_sql(e->db, sql);
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_TAMPERED);
    st_env_free(&other);
}

/* The release cache is checked per read: a wrong read returns no data and poisons. */
static void test_release_tag(void **state) {
    st_env *e = *state;
    populate(e);
    st_sql(e->db, "UPDATE app_release SET data = CAST(x'00' || substr(data, 2) AS BLOB)");
    tkms_store *s = st_open(e);
    uint8_t app[20] = {9}, out[200];
    memset(out, 0xcc, sizeof out);
    uint64_t block = 1;
    size_t len = 1;
    assert_int_equal(tkms_store_release_get(s, app, &block, out, sizeof out, &len),
                     TKMS_ERR_STORE_TAMPERED);
    assert_int_equal(block, 0);
    assert_int_equal(len, 0);
    assert_int_equal(out[0] & out[50] & out[99], 0xcc); /* untouched */
    assert_true(strstr(tkms_store_detail(s), "tampered") != NULL);
    assert_int_equal(tkms_store_state_put(s, out, 10), TKMS_ERR_STORE_FAILED);
    tkms_store_close(s);
    st_sql(e->db, "UPDATE app_release SET block = 6");
    s = st_open(e);
    assert_int_equal(tkms_store_release_get(s, app, &block, out, sizeof out, &len),
                     TKMS_ERR_STORE_TAMPERED);
    tkms_store_close(s);
}

static void test_wrong_key_never_opens(void **state) {
    st_env *e = *state;
    populate(e);
    for (int bit = 0; bit < 8; bit++) {
        e->key.bytes[bit * 4] ^= (uint8_t)(1u << bit);
        assert_int_equal(st_try_open(e), TKMS_ERR_STORE_WRONG_KEY);
        e->key.bytes[bit * 4] ^= (uint8_t)(1u << bit);
    }
    assert_int_equal(st_try_open(e), TKMS_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flip_sealed_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_edits_and_swaps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_forged_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_between_databases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_tag, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key_never_opens, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
