/*
 * fault_scenarios.h — the operations the fault loops drive (fault_loop.h), each with its
 * baseline and its "intact, old or new" check. Shared by the I/O and allocation tests.
 *
 * Baseline: state blob OLD (8000 B), versions 1 and 2, X25519 key of epoch 1.
 */
#ifndef TKMS_STORE_FAULT_SCENARIOS_H
#define TKMS_STORE_FAULT_SCENARIOS_H

#include "fault_loop.h"

#define OLD_BYTES 8000
#define NEW_BYTES 20000

static uint8_t blob_old[OLD_BYTES], blob_new[NEW_BYTES];
static uint8_t erased_wrap[128];
static size_t erased_wrap_len;

static void blobs_init(void) {
    st_fill(blob_old, sizeof blob_old, 1);
    st_fill(blob_new, sizeof blob_new, 2);
}

static void version_of(tkms_store_version_info *info, tkms_store_secret *share, uint64_t v) {
    memset(info, 0, sizeof *info);
    info->version = v;
    info->status = TKMS_STORE_VERSION_ACTIVE;
    info->public_len = 64;
    st_fill(info->public_data, 64, 100 + v);
    st_fill(share->bytes, 32, 200 + v);
}

static void base_prepare(st_env *e) {
    tkms_store *s = st_open(e);
    assert_int_equal(tkms_store_state_put(s, blob_old, sizeof blob_old), TKMS_OK);
    tkms_store_version_info info;
    tkms_store_secret share;
    for (uint64_t v = 1; v <= 2; v++) {
        version_of(&info, &share, v);
        assert_int_equal(tkms_store_version_put(s, &info, &share), TKMS_OK);
    }
    st_fill(share.bytes, 32, 300);
    assert_int_equal(tkms_store_x25519_put(s, 1, &share), TKMS_OK);
    tkms_store_close(s);
}

/* Returns 0 (absent), 1 (present and exactly as written). */
static int version_state(tkms_store *s, uint64_t v) {
    tkms_store_version_info want, got;
    tkms_store_secret share, out;
    version_of(&want, &share, v);
    tkms_err err = tkms_store_version_get(s, v, &got, &out);
    if (err == TKMS_ERR_STORE_NOT_FOUND) {
        return 0;
    }
    assert_int_equal(err, TKMS_OK);
    assert_memory_equal(out.bytes, share.bytes, 32);
    assert_memory_equal(got.public_data, want.public_data, 64);
    return 1;
}

/* 0 = OLD, 1 = NEW, -1 = none. */
static int state_which(tkms_store *s) {
    static uint8_t buf[NEW_BYTES];
    size_t len = 0;
    tkms_err err = tkms_store_state_get(s, buf, sizeof buf, &len);
    if (err == TKMS_ERR_STORE_NOT_FOUND) {
        return -1;
    }
    assert_int_equal(err, TKMS_OK);
    if (len == OLD_BYTES && memcmp(buf, blob_old, OLD_BYTES) == 0) {
        return 0;
    }
    assert_int_equal(len, NEW_BYTES);
    assert_memory_equal(buf, blob_new, NEW_BYTES);
    return 1;
}

/* ---- state_put ---- */
static tkms_err op_state_put(st_env *e, tkms_store *s) {
    (void)e;
    return tkms_store_state_put(s, blob_new, sizeof blob_new);
}
static void check_state_put(st_env *e, tkms_err err) {
    tkms_store *s = st_open(e);
    int which = state_which(s);
    assert_true(which == 0 || which == 1);
    assert_true(err != TKMS_OK || which == 1);
    assert_int_equal(version_state(s, 1) + version_state(s, 2), 2);
    tkms_store_close(s);
}

/* ---- version_put ---- */
static tkms_err op_version_put(st_env *e, tkms_store *s) {
    (void)e;
    tkms_store_version_info info;
    tkms_store_secret share;
    version_of(&info, &share, 3);
    return tkms_store_version_put(s, &info, &share);
}
static void check_version_put(st_env *e, tkms_err err) {
    tkms_store *s = st_open(e);
    int present = version_state(s, 3);
    assert_true(err != TKMS_OK || present == 1);
    assert_int_equal(state_which(s), 0);
    tkms_store_close(s);
}

/* ---- version_erase: when it says OK, the wrapping key is gone from the files ---- */
static void prepare_erase(st_env *e) {
    base_prepare(e);
    erased_wrap_len = st_sql_blob(e->db,
                                  "SELECT w.sealed FROM wrap_key w JOIN key_version k"
                                  " ON k.wrap = w.id WHERE k.version = 1",
                                  erased_wrap, sizeof erased_wrap);
}
static tkms_err op_version_erase(st_env *e, tkms_store *s) {
    (void)e;
    return tkms_store_version_erase(s, 1);
}
static void check_version_erase(st_env *e, tkms_err err) {
    bool on_disk = st_files_contain(e, erased_wrap, erased_wrap_len);
    assert_true(err != TKMS_OK || !on_disk);
    tkms_store *s = st_open(e);
    int present = version_state(s, 1);
    assert_true(err != TKMS_OK || present == 0);
    assert_int_equal(version_state(s, 2), 1);
    tkms_store_close(s);
}

/* ---- mpk_bind ---- */
static tkms_err op_mpk_bind(st_env *e, tkms_store *s) {
    (void)e;
    uint8_t mpk[96];
    memset(mpk, 0x77, sizeof mpk);
    return tkms_store_mpk_bind(s, mpk);
}
static void check_mpk_bind(st_env *e, tkms_err err) {
    tkms_store *s = st_open(e);
    tkms_store_binding b;
    tkms_store_binding_get(s, &b);
    assert_true(err != TKMS_OK || b.has_mpk);
    assert_true(!b.has_mpk || b.mpk[95] == 0x77);
    tkms_store_close(s);
}

/* ---- open with a committed transaction still in the WAL (as after a kill) ---- */
static void prepare_open_wal(st_env *e) {
    base_prepare(e);
    tkms_store *s = st_open(e);
    assert_int_equal(tkms_store_state_put(s, blob_new, sizeof blob_new), TKMS_OK);
    fault_baseline snap;
    baseline_capture(&snap, e); /* the files as a kill right now would leave them */
    assert_non_null(snap.wal);
    tkms_store_close(s);
    baseline_restore(&snap, e);
    free(snap.db);
    free(snap.wal);
}
static void check_open_wal(st_env *e, tkms_err err) {
    (void)err;
    tkms_store *s = st_open(e);
    assert_int_equal(state_which(s), 1); /* committed before the "kill": never lost */
    tkms_store_close(s);
}

/* ---- create a fresh database ---- */
static void prepare_create(st_env *e) {
    st_db_remove(e);
}
static void check_create(st_env *e, tkms_err err) {
    (void)err;
    tkms_store *s = st_open(e);
    assert_int_equal(state_which(s), -1);
    tkms_store_close(s);
}

/* ---- migrate a version-1 file ---- */
static void prepare_migrate(st_env *e) {
    base_prepare(e);
    st_sql(e->db, "DROP TABLE app_release; UPDATE schema_version SET version = 1");
}
static void check_migrate(st_env *e, tkms_err err) {
    int64_t version = st_sql_int(e->db, "SELECT version FROM schema_version");
    int64_t tables = st_sql_int(e->db, "SELECT count(*) FROM sqlite_schema WHERE name ="
                                       " 'app_release'");
    assert_true((version == 1 && tables == 0) || (version == 2 && tables == 1));
    assert_true(err != TKMS_OK || version == 2);
    tkms_store *s = st_open(e);
    assert_int_equal(state_which(s), 0);
    tkms_store_close(s);
}

static const fault_scenario fault_scenarios[] = {
    {"state_put", false, base_prepare, op_state_put, check_state_put},
    {"version_put", false, base_prepare, op_version_put, check_version_put},
    {"version_erase", false, prepare_erase, op_version_erase, check_version_erase},
    {"mpk_bind", false, base_prepare, op_mpk_bind, check_mpk_bind},
    {"open_with_wal", true, prepare_open_wal, NULL, check_open_wal},
    {"create", true, prepare_create, NULL, check_create},
    {"migrate_v1", true, prepare_migrate, NULL, check_migrate},
};
#define FAULT_SCENARIOS (sizeof fault_scenarios / sizeof fault_scenarios[0])

#endif
