/*
 * test_store.c — the store's API: creation (file mode, pragmas, schema), the state blob,
 * key versions, operator keys, the release cache, binding, master-key sources, schema
 * versions, locking, and erasure reaching the files on disk. Each error code of
 * store_errors.def that an API call can return has a negative test here or in
 * test_store_tamper.c / test_store_fault.c.
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

static void version_info(tkms_store_version_info *info, uint64_t v, uint8_t status) {
    memset(info, 0, sizeof *info);
    info->version = v;
    info->status = status;
    info->public_len = 200;
    st_fill(info->public_data, info->public_len, 1000 + v);
}

static void secret_of(tkms_store_secret *s, uint64_t seed) {
    st_fill(s->bytes, sizeof s->bytes, seed);
}

/* ---- creation ---- */

static void test_create_file_and_pragmas(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    struct stat st;
    assert_int_equal(stat(e->db, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char shm[256];
    snprintf(shm, sizeof shm, "%s-shm", e->db);
    assert_int_not_equal(access(shm, F_OK), 0); /* exclusive mode: WAL index in memory */
    tkms_store_binding b;
    tkms_store_binding_get(s, &b);
    assert_int_equal(b.chain_id, 31337);
    assert_false(b.has_mpk);
    assert_string_equal(tkms_store_detail(s), "");
    tkms_store_close(s);
    tkms_store_close(NULL);
    assert_int_equal(st_sql_int(e->db, "PRAGMA application_id"), 0x746b6d73);
    assert_int_equal(st_sql_int(e->db, "SELECT version FROM schema_version"), 2);
    uint8_t mode[8] = {0};
    st_sql_blob(e->db, "PRAGMA journal_mode", mode, sizeof mode - 1);
    assert_string_equal((char *)mode, "wal");
}

static void test_options_invalid(void **state) {
    st_env *e = *state;
    tkms_store_options o = st_options(e);
    tkms_store *s = NULL;
    o.binding.chain_id = 0;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_INVALID_ARGUMENT);
    o = st_options(e);
    o.path = "";
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_INVALID_ARGUMENT);
    o = st_options(e);
    o.busy_timeout_ms = TKMS_STORE_BUSY_TIMEOUT_MS_MAX + 1;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_INVALID_ARGUMENT);
    o = st_options(e);
    o.key_source = (tkms_store_key_source)9;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_INVALID_ARGUMENT);
    o = st_options(e);
    tkms_store_secret zero;
    memset(&zero, 0, sizeof zero);
    o.key = &zero;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_INVALID_ARGUMENT);
    o = st_options(e);
    char missing[256];
    snprintf(missing, sizeof missing, "%s/no/such/dir/node.db", e->dir);
    o.path = missing;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_CANNOT_OPEN);
    assert_null(s);
    assert_true(strlen(e->detail) > 0);
}

/* ---- state blob ---- */

static void test_state_roundtrip(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    uint8_t *a = malloc(TKMS_STORE_STATE_BYTES_MAX + 1), *b = malloc(TKMS_STORE_STATE_BYTES_MAX);
    assert_non_null(a);
    assert_non_null(b);
    size_t len = 99;
    assert_int_equal(tkms_store_state_get(s, b, 16, &len), TKMS_ERR_STORE_NOT_FOUND);
    assert_int_equal(len, 0);
    const size_t sizes[] = {1, 100, 16384, 70000, TKMS_STORE_STATE_BYTES_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        st_fill(a, sizes[i], i);
        assert_int_equal(tkms_store_state_put(s, a, sizes[i]), TKMS_OK);
        assert_int_equal(tkms_store_state_get(s, b, TKMS_STORE_STATE_BYTES_MAX, &len), TKMS_OK);
        assert_int_equal(len, sizes[i]);
        assert_memory_equal(a, b, len);
    }
    assert_int_equal(tkms_store_state_put(s, a, 0), TKMS_ERR_INVALID_ARGUMENT);
    assert_int_equal(tkms_store_state_put(s, a, TKMS_STORE_STATE_BYTES_MAX + 1),
                     TKMS_ERR_TOO_LARGE);
    st_fill(a, 5000, 77);
    assert_int_equal(tkms_store_state_put(s, a, 5000), TKMS_OK);
    assert_int_equal(tkms_store_state_get(s, b, 4999, &len), TKMS_ERR_STORE_BUFFER_TOO_SMALL);
    assert_int_equal(len, 5000);
    /* Request errors do not poison the handle. */
    assert_int_equal(tkms_store_state_get(s, b, 5000, &len), TKMS_OK);
    tkms_store_close(s);
    s = st_open(e); /* durable across close/open */
    assert_int_equal(tkms_store_state_get(s, b, 5000, &len), TKMS_OK);
    assert_memory_equal(a, b, 5000);
    tkms_store_close(s);
    free(a);
    free(b);
}

/* ---- key versions ---- */

static void test_versions(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    tkms_store_version_info info, got;
    tkms_store_secret share, out;
    for (uint64_t v = 1; v <= TKMS_STORE_VERSIONS_MAX; v++) {
        version_info(&info, v * 10, TKMS_STORE_VERSION_PENDING);
        secret_of(&share, v);
        assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
    }
    version_info(&info, 999, TKMS_STORE_VERSION_PENDING);
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_ERR_STORE_FULL);
    uint64_t list[TKMS_STORE_VERSIONS_MAX];
    uint8_t status[TKMS_STORE_VERSIONS_MAX];
    size_t count = 0;
    assert_int_equal(tkms_store_version_list(s, list, status, &count), TKMS_OK);
    assert_int_equal(count, TKMS_STORE_VERSIONS_MAX);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(list[i], (i + 1) * 10);
        assert_int_equal(status[i], TKMS_STORE_VERSION_PENDING);
    }
    /* get, activate, idempotent put, conflicts */
    secret_of(&share, 3);
    version_info(&info, 30, TKMS_STORE_VERSION_PENDING);
    assert_int_equal(tkms_store_version_get(s, 30, &got, &out), TKMS_OK);
    assert_memory_equal(out.bytes, share.bytes, 32);
    assert_int_equal(got.public_len, 200);
    assert_memory_equal(got.public_data, info.public_data, 200);
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
    assert_int_equal(tkms_store_version_activate(s, 30), TKMS_OK);
    assert_int_equal(tkms_store_version_activate(s, 30), TKMS_OK);
    assert_int_equal(tkms_store_version_get(s, 30, &got, NULL), TKMS_OK);
    assert_int_equal(got.status, TKMS_STORE_VERSION_ACTIVE);
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_ERR_STORE_CONFLICT);
    info.status = TKMS_STORE_VERSION_ACTIVE;
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
    share.bytes[0] ^= 1;
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_ERR_STORE_CONFLICT);
    share.bytes[0] ^= 1;
    info.public_data[7] ^= 1;
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_ERR_STORE_CONFLICT);
    /* put with ACTIVE raises a PENDING version */
    version_info(&info, 40, TKMS_STORE_VERSION_ACTIVE);
    secret_of(&share, 4);
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
    assert_int_equal(tkms_store_version_get(s, 40, &got, NULL), TKMS_OK);
    assert_int_equal(got.status, TKMS_STORE_VERSION_ACTIVE);
    /* missing and invalid */
    assert_int_equal(tkms_store_version_get(s, 31, &got, &out), TKMS_ERR_STORE_NOT_FOUND);
    assert_int_equal(out.bytes[0] | out.bytes[31], 0);
    assert_int_equal(tkms_store_version_activate(s, 31), TKMS_ERR_STORE_NOT_FOUND);
    assert_int_equal(tkms_store_version_get(s, UINT64_MAX, &got, &out), TKMS_ERR_INVALID_ARGUMENT);
    info.version = UINT64_MAX;
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_ERR_INVALID_ARGUMENT);
    version_info(&info, 5, 7);
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_ERR_INVALID_ARGUMENT);
    version_info(&info, 5, TKMS_STORE_VERSION_PENDING);
    info.public_len = TKMS_STORE_VERSION_PUBLIC_BYTES_MAX + 1;
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_ERR_TOO_LARGE);
    tkms_store_close(s);
}

static void test_versions_erase(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    tkms_store_version_info info, got;
    tkms_store_secret share, out;
    uint64_t list[TKMS_STORE_VERSIONS_MAX];
    uint8_t status[TKMS_STORE_VERSIONS_MAX];
    size_t count = 0;
    for (uint64_t v = 1; v <= TKMS_STORE_VERSIONS_MAX; v++) {
        version_info(&info, v * 10, TKMS_STORE_VERSION_PENDING);
        secret_of(&share, v);
        assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
    }
    /* erase: idempotent, frees a slot */
    assert_int_equal(tkms_store_version_erase(s, 30), TKMS_OK);
    assert_int_equal(tkms_store_version_erase(s, 30), TKMS_OK);
    assert_int_equal(tkms_store_version_get(s, 30, &got, &out), TKMS_ERR_STORE_NOT_FOUND);
    assert_int_equal(tkms_store_version_list(s, list, status, &count), TKMS_OK);
    assert_int_equal(count, TKMS_STORE_VERSIONS_MAX - 1);
    version_info(&info, 999, TKMS_STORE_VERSION_PENDING);
    assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
    tkms_store_close(s);
    assert_int_equal(st_sql_int(e->db, "SELECT count(*) FROM wrap_key"), TKMS_STORE_VERSIONS_MAX);
}

/* Erasure reaches the files: neither the wrapping key nor the sealed share of an erased
   version is anywhere in the database file or its WAL afterwards (protocol.md §5). */
static void test_erase_reaches_files(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    tkms_store_version_info info;
    tkms_store_secret share;
    for (uint64_t v = 1; v <= 2; v++) {
        version_info(&info, v, TKMS_STORE_VERSION_ACTIVE);
        secret_of(&share, 50 + v);
        assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
    }
    tkms_store_close(s);
    uint8_t wrap1[128], row1[128], wrap2[128];
    size_t wrap1_len = st_sql_blob(e->db,
                                   "SELECT w.sealed FROM wrap_key w JOIN key_version k"
                                   " ON k.wrap = w.id WHERE k.version = 1",
                                   wrap1, sizeof wrap1);
    size_t row1_len =
        st_sql_blob(e->db, "SELECT sealed FROM key_version WHERE version = 1", row1, sizeof row1);
    size_t wrap2_len = st_sql_blob(e->db,
                                   "SELECT w.sealed FROM wrap_key w JOIN key_version k"
                                   " ON k.wrap = w.id WHERE k.version = 2",
                                   wrap2, sizeof wrap2);
    s = st_open(e);
    assert_true(st_files_contain(e, wrap1, wrap1_len));
    assert_true(st_files_contain(e, row1, row1_len));
    assert_int_equal(tkms_store_version_erase(s, 1), TKMS_OK);
    /* Checked while the store is still open: the erase itself did it. */
    assert_false(st_files_contain(e, wrap1, wrap1_len));
    assert_false(st_files_contain(e, row1, row1_len));
    assert_true(st_files_contain(e, wrap2, wrap2_len)); /* the search does work */
    tkms_store_close(s);
}

/* The previous state blob (which held the erased share) is scrubbed too, whichever order
   the node uses: PERSIST then ERASE, or ERASE then PERSIST. */
static void test_erase_scrubs_old_state(void **state) {
    st_env *e = *state;
    for (int order = 0; order < 2; order++) {
        st_db_remove(e);
        tkms_store *s = st_open(e);
        uint8_t blob[20000];
        st_fill(blob, sizeof blob, 600 + (uint64_t)order);
        tkms_store_version_info info;
        tkms_store_secret share;
        version_info(&info, 9, TKMS_STORE_VERSION_ACTIVE);
        secret_of(&share, 9);
        assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
        assert_int_equal(tkms_store_state_put(s, blob, sizeof blob), TKMS_OK);
        tkms_store_close(s);
        uint8_t old[sizeof blob + 64];
        size_t old_len = st_sql_blob(e->db, "SELECT sealed FROM state", old, sizeof old);
        s = st_open(e);
        assert_true(st_files_contain(e, old + 100, 64));
        blob[0] ^= 1;
        if (order == 0) {
            assert_int_equal(tkms_store_state_put(s, blob, sizeof blob), TKMS_OK);
            assert_int_equal(tkms_store_version_erase(s, 9), TKMS_OK);
        } else {
            assert_int_equal(tkms_store_version_erase(s, 9), TKMS_OK);
            assert_int_equal(tkms_store_state_put(s, blob, sizeof blob), TKMS_OK);
        }
        for (size_t off = 0; off + 64 <= old_len; off += 997) {
            assert_false(st_files_contain(e, old + off, 64));
        }
        tkms_store_close(s);
    }
}

/* ---- operator keys ---- */

static void test_x25519(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    tkms_store_secret k, out;
    uint8_t pub[32], want[32];
    for (uint64_t ep = 1; ep <= TKMS_STORE_X25519_KEYS_MAX; ep++) {
        secret_of(&k, 300 + ep);
        assert_int_equal(tkms_store_x25519_put(s, ep, &k), TKMS_OK);
        assert_int_equal(tkms_store_x25519_put(s, ep, &k), TKMS_OK); /* replay */
    }
    assert_int_equal(tkms_store_x25519_put(s, 100, &k), TKMS_ERR_STORE_FULL);
    secret_of(&k, 303);
    assert_int_equal(tkms_store_x25519_get(s, 3, &out, pub), TKMS_OK);
    assert_memory_equal(out.bytes, k.bytes, 32);
    tkms_prim_x25519_public(want, k.bytes);
    assert_memory_equal(pub, want, 32);
    k.bytes[5] ^= 1;
    assert_int_equal(tkms_store_x25519_put(s, 3, &k), TKMS_ERR_STORE_CONFLICT);
    uint64_t epochs[TKMS_STORE_X25519_KEYS_MAX];
    size_t count = 0;
    assert_int_equal(tkms_store_x25519_erase(s, 3), TKMS_OK);
    assert_int_equal(tkms_store_x25519_erase(s, 3), TKMS_OK);
    assert_int_equal(tkms_store_x25519_get(s, 3, &out, pub), TKMS_ERR_STORE_NOT_FOUND);
    assert_int_equal(tkms_store_x25519_list(s, epochs, &count), TKMS_OK);
    assert_int_equal(count, TKMS_STORE_X25519_KEYS_MAX - 1);
    assert_int_equal(epochs[2], 4);
    assert_int_equal(tkms_store_x25519_put(s, UINT64_MAX, &k), TKMS_ERR_INVALID_ARGUMENT);
    tkms_store_close(s);
}

static void test_ed25519(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    tkms_store_secret seed, out;
    uint8_t pub[32], want[32];
    assert_int_equal(tkms_store_ed25519_get(s, &out, pub), TKMS_ERR_STORE_NOT_FOUND);
    secret_of(&seed, 7);
    assert_int_equal(tkms_store_ed25519_put(s, &seed), TKMS_OK);
    assert_int_equal(tkms_store_ed25519_put(s, &seed), TKMS_OK);
    seed.bytes[0] ^= 1;
    assert_int_equal(tkms_store_ed25519_put(s, &seed), TKMS_ERR_STORE_CONFLICT);
    seed.bytes[0] ^= 1;
    tkms_store_close(s);
    s = st_open(e);
    assert_int_equal(tkms_store_ed25519_get(s, &out, pub), TKMS_OK);
    assert_memory_equal(out.bytes, seed.bytes, 32);
    tkms_prim_ed25519_public(want, seed.bytes);
    assert_memory_equal(pub, want, 32);
    tkms_store_close(s);
}

/* ---- release cache ---- */

static void test_release_cache(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    uint8_t app[20], data[602], out[600];
    memset(app, 0x42, sizeof app);
    st_fill(data, sizeof data, 5);
    uint64_t block = 0;
    size_t len = 0;
    assert_int_equal(tkms_store_release_get(s, app, &block, out, sizeof out, &len),
                     TKMS_ERR_STORE_NOT_FOUND);
    assert_int_equal(tkms_store_release_put(s, app, 100, data, 500), TKMS_OK);
    assert_int_equal(tkms_store_release_put(s, app, 90, data + 1, 400), TKMS_OK); /* older */
    assert_int_equal(tkms_store_release_get(s, app, &block, out, sizeof out, &len), TKMS_OK);
    assert_int_equal(block, 100);
    assert_int_equal(len, 500);
    assert_memory_equal(out, data, 500);
    assert_int_equal(tkms_store_release_put(s, app, 101, data + 2, 600), TKMS_OK);
    assert_int_equal(tkms_store_release_get(s, app, &block, out, 599, &len),
                     TKMS_ERR_STORE_BUFFER_TOO_SMALL);
    assert_int_equal(len, 600);
    assert_int_equal(tkms_store_release_get(s, app, &block, out, sizeof out, &len), TKMS_OK);
    assert_int_equal(block, 101);
    assert_memory_equal(out, data + 2, 600);
    assert_int_equal(tkms_store_release_put(s, app, 1, data, 0), TKMS_OK);   /* ignored */
    assert_int_equal(tkms_store_release_put(s, app, 200, data, 0), TKMS_OK); /* empty is fine */
    assert_int_equal(tkms_store_release_get(s, app, &block, out, sizeof out, &len), TKMS_OK);
    assert_int_equal(len, 0);
    assert_int_equal(tkms_store_release_put(s, app, 300, data, TKMS_STORE_RELEASE_BYTES_MAX + 1),
                     TKMS_ERR_TOO_LARGE);
    assert_int_equal(tkms_store_release_put(s, app, UINT64_MAX, data, 1),
                     TKMS_ERR_INVALID_ARGUMENT);
    tkms_store_close(s);
}

/* At the cap the least recently written entry goes. The cap is lowered for the test by
   filling the table directly (4096 fsynced puts would take seconds). */
static void test_release_evicts(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    uint8_t app[20] = {1}, out[8];
    assert_int_equal(tkms_store_release_put(s, app, 5, (const uint8_t *)"x", 1), TKMS_OK);
    tkms_store_close(s);
    st_sql(e->db, "WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 4096)"
                  " INSERT INTO app_release SELECT randomblob(20), 1, i, x'', x'' FROM n");
    s = st_open(e);
    uint8_t fresh[20];
    memset(fresh, 0xee, sizeof fresh);
    assert_int_equal(tkms_store_release_put(s, fresh, 9, (const uint8_t *)"y", 1), TKMS_OK);
    uint64_t block = 0;
    size_t len = 0;
    assert_int_equal(tkms_store_release_get(s, app, &block, out, sizeof out, &len),
                     TKMS_ERR_STORE_NOT_FOUND);
    assert_int_equal(tkms_store_release_get(s, fresh, &block, out, sizeof out, &len), TKMS_OK);
    tkms_store_close(s);
    assert_int_equal(st_sql_int(e->db, "SELECT count(*) FROM app_release"),
                     TKMS_STORE_RELEASES_MAX);
}

/* ---- binding (I3) ---- */

static void test_binding(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    uint8_t mpk[96], other[96];
    memset(mpk, 0x33, sizeof mpk);
    memset(other, 0x34, sizeof other);
    assert_int_equal(tkms_store_mpk_bind(s, mpk), TKMS_OK);
    assert_int_equal(tkms_store_mpk_bind(s, mpk), TKMS_OK);
    assert_int_equal(tkms_store_mpk_bind(s, other), TKMS_ERR_STORE_BINDING_MISMATCH);
    assert_true(strstr(tkms_store_detail(s), "binding_mismatch") != NULL);
    tkms_store_close(s);
    s = st_open(e); /* no MPK given: fine */
    tkms_store_binding b;
    tkms_store_binding_get(s, &b);
    assert_true(b.has_mpk);
    assert_memory_equal(b.mpk, mpk, 96);
    tkms_store_close(s);
    e->binding.has_mpk = true;
    memcpy(e->binding.mpk, mpk, 96);
    assert_int_equal(st_try_open(e), TKMS_OK);
    memcpy(e->binding.mpk, other, 96);
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_BINDING_MISMATCH);
    e->binding.has_mpk = false;
    e->binding.chain_id = 1;
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_BINDING_MISMATCH);
    assert_true(strstr(e->detail, "binding") != NULL);
    e->binding.chain_id = 31337;
    e->binding.epoch_log[19] ^= 1;
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_BINDING_MISMATCH);
    e->binding.epoch_log[19] ^= 1;
    assert_int_equal(st_try_open(e), TKMS_OK);
}

/* A database created with an MPK is bound to it from the start. */
static void test_binding_mpk_at_creation(void **state) {
    st_env *e = *state;
    e->binding.has_mpk = true;
    memset(e->binding.mpk, 0x55, 96);
    assert_int_equal(st_try_open(e), TKMS_OK);
    e->binding.mpk[0] ^= 1;
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_BINDING_MISMATCH);
}

/* ---- master key sources ---- */

static void write_key_file(const char *path, const void *bytes, size_t n, mode_t mode) {
    unlink(path);
    st_file_write(path, bytes, n);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_key_file(void **state) {
    st_env *e = *state;
    tkms_store_options o = st_options(e);
    o.key_source = TKMS_STORE_KEY_FILE;
    o.key_name = e->keyfile;
    tkms_store *s = NULL;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_FILE); /* missing */
    write_key_file(e->keyfile, e->key.bytes, 32, 0600);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_OK);
    tkms_store_close(s);
    char hex[66];
    tu_hex(hex, e->key.bytes, 32);
    hex[64] = '\n';
    write_key_file(e->keyfile, hex, 65, 0400); /* hex form, read-only: same key */
    assert_int_equal(tkms_store_open(&s, &o), TKMS_OK);
    tkms_store_close(s);
    write_key_file(e->keyfile, hex, 65, 0640);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_FILE_PERMISSIONS);
    hex[3] = 'g';
    write_key_file(e->keyfile, hex, 65, 0600);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_FILE);
    write_key_file(e->keyfile, hex, 31, 0600);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_FILE);
    uint8_t zero[32] = {0};
    write_key_file(e->keyfile, zero, 32, 0600);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_FILE);
    /* Beside the database, or below its directory: refused even with the right key and
       mode (also through a symlinked directory). */
    char beside[256], below[256], sub[256], link[256];
    snprintf(beside, sizeof beside, "%s/master.key", e->data);
    write_key_file(beside, e->key.bytes, 32, 0600);
    o.key_name = beside;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_BESIDE_DATABASE);
    assert_null(s);
    snprintf(sub, sizeof sub, "%s/secrets", e->data);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(below, sizeof below, "%s/master.key", sub);
    write_key_file(below, e->key.bytes, 32, 0600);
    o.key_name = below;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_BESIDE_DATABASE);
    snprintf(link, sizeof link, "%s/alias", e->keys);
    assert_int_equal(symlink(sub, link), 0);
    snprintf(below, sizeof below, "%s/alias/master.key", e->keys);
    o.key_name = below;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_BESIDE_DATABASE);
    /* A sibling directory whose name starts like the data directory is fine. */
    char sibling[256];
    snprintf(sibling, sizeof sibling, "%s/data2", e->dir);
    assert_int_equal(mkdir(sibling, 0700), 0);
    snprintf(below, sizeof below, "%s/master.key", sibling);
    write_key_file(below, e->key.bytes, 32, 0600);
    o.key_name = below;
    assert_int_equal(tkms_store_open(&s, &o), TKMS_OK);
    tkms_store_close(s);
}

static void test_key_env(void **state) {
    st_env *e = *state;
    tkms_store_options o = st_options(e);
    o.key_source = TKMS_STORE_KEY_ENV;
    tkms_store *s = NULL;
    unsetenv(TKMS_STORE_KEY_ENV_DEFAULT);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_ENV);
    char hex[65];
    tu_hex(hex, e->key.bytes, 32);
    setenv(TKMS_STORE_KEY_ENV_DEFAULT, hex, 1);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_OK);
    assert_null(getenv(TKMS_STORE_KEY_ENV_DEFAULT)); /* consumed */
    tkms_store_close(s);
    o.key_name = "TKMS_TEST_OTHER_KEY";
    hex[10] = 'z';
    setenv("TKMS_TEST_OTHER_KEY", hex, 1);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_ENV);
    assert_null(getenv("TKMS_TEST_OTHER_KEY"));
    setenv("TKMS_TEST_OTHER_KEY", "abcd", 1);
    assert_int_equal(tkms_store_open(&s, &o), TKMS_ERR_STORE_KEY_ENV);
}

static void test_wrong_key(void **state) {
    st_env *e = *state;
    assert_int_equal(st_try_open(e), TKMS_OK);
    e->key.bytes[31] ^= 0x80;
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_WRONG_KEY);
    e->key.bytes[31] ^= 0x80;
    assert_int_equal(st_try_open(e), TKMS_OK);
}

/* ---- files, schema, locking ---- */

static void test_db_permissions(void **state) {
    st_env *e = *state;
    assert_int_equal(st_try_open(e), TKMS_OK);
    assert_int_equal(chmod(e->db, 0644), 0);
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_DB_PERMISSIONS);
    assert_int_equal(chmod(e->db, 0600), 0);
    assert_int_equal(st_try_open(e), TKMS_OK);
}

static void test_not_tkms(void **state) {
    st_env *e = *state;
    st_sql(e->db, "CREATE TABLE other(x)");
    assert_int_equal(chmod(e->db, 0600), 0);
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_NOT_TKMS);
    assert_int_equal(st_sql_int(e->db, "SELECT count(*) FROM other"), 0); /* untouched */
    st_db_remove(e);
    uint8_t junk[4096];
    st_fill(junk, sizeof junk, 8);
    st_file_write(e->db, junk, sizeof junk);
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_NOT_TKMS);
}

static void test_schema_newer(void **state) {
    st_env *e = *state;
    assert_int_equal(st_try_open(e), TKMS_OK);
    st_sql(e->db, "UPDATE schema_version SET version = 3");
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_SCHEMA_NEWER);
    assert_int_equal(st_sql_int(e->db, "SELECT version FROM schema_version"), 3);
}

/* A version-1 file (no release cache) is migrated in one transaction; data survives. */
static void test_schema_migrate_v1(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    uint8_t blob[300], out[300];
    st_fill(blob, sizeof blob, 9);
    assert_int_equal(tkms_store_state_put(s, blob, sizeof blob), TKMS_OK);
    tkms_store_close(s);
    st_sql(e->db, "DROP TABLE app_release; UPDATE schema_version SET version = 1");
    /* A refused file is never modified: no migration before key and binding pass. */
    e->binding.chain_id = 5;
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_BINDING_MISMATCH);
    e->binding.chain_id = 31337;
    e->key.bytes[0] ^= 1;
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_WRONG_KEY);
    e->key.bytes[0] ^= 1;
    assert_int_equal(st_sql_int(e->db, "SELECT version FROM schema_version"), 1);
    s = st_open(e);
    size_t len = 0;
    assert_int_equal(tkms_store_state_get(s, out, sizeof out, &len), TKMS_OK);
    assert_memory_equal(out, blob, sizeof blob);
    uint8_t app[20] = {3};
    assert_int_equal(tkms_store_release_put(s, app, 1, blob, 10), TKMS_OK);
    tkms_store_close(s);
    assert_int_equal(st_sql_int(e->db, "SELECT version FROM schema_version"), 2);
    st_sql(e->db, "UPDATE schema_version SET version = 0");
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_CORRUPT);
}

static void test_busy(void **state) {
    st_env *e = *state;
    tkms_store *s = st_open(e);
    tkms_store_options o = st_options(e);
    o.busy_timeout_ms = 20;
    tkms_store *second = NULL;
    assert_int_equal(tkms_store_open(&second, &o), TKMS_ERR_STORE_BUSY);
    assert_null(second);
    tkms_store_close(s);
    assert_int_equal(tkms_store_open(&second, &o), TKMS_OK);
    tkms_store_close(second);
}

static void test_orphan_wrap_key_is_corrupt(void **state) {
    st_env *e = *state;
    assert_int_equal(st_try_open(e), TKMS_OK);
    st_sql(e->db, "INSERT INTO wrap_key VALUES (77, x'00')");
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_CORRUPT);
    st_sql(e->db, "DELETE FROM wrap_key; INSERT INTO state VALUES (1, 'text, not a blob')");
    assert_int_equal(st_try_open(e), TKMS_ERR_STORE_CORRUPT);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_file_and_pragmas, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_roundtrip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_versions_erase, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_reaches_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_scrubs_old_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_x25519, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ed25519, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_release_evicts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binding_mpk_at_creation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_db_permissions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_tkms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_schema_migrate_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphan_wrap_key_is_corrupt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
