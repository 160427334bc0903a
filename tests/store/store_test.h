/*
 * store_test.h — helpers shared by the store tests: a private temporary directory per
 * test (database in it, key files in a separate subdirectory), default options and
 * binding, raw SQLite access to a CLOSED database (to inspect or tamper with it), and
 * byte search in the files on disk (erasure checks).
 *
 * Everything here asserts with cmocka; nothing is used by the library itself.
 */
#ifndef TKMS_STORE_TEST_H
#define TKMS_STORE_TEST_H

#include <dirent.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tkms_err.h"
#include "prim/prim.h"
#include "store/store.h"
#include "test_util.h"

typedef struct {
    char dir[128];     /* mkdtemp directory */
    char data[160];    /* dir/data (0700): the database's directory */
    char db[192];      /* dir/data/node.db */
    char keys[192];    /* dir/keys (0700): key files live here, never beside the db */
    char keyfile[256]; /* keys/master.key */
    tkms_store_secret key;
    tkms_store_binding binding;
    char detail[TKMS_STORE_DETAIL_BYTES];
} st_env;

static inline void st_env_init(st_env *e) {
    memset(e, 0, sizeof *e);
    const char *tmp = getenv("TMPDIR");
    snprintf(e->dir, sizeof e->dir, "%s/tkms-store-XXXXXX", tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->data, sizeof e->data, "%s/data", e->dir);
    assert_int_equal(mkdir(e->data, 0700), 0);
    snprintf(e->db, sizeof e->db, "%s/node.db", e->data);
    snprintf(e->keys, sizeof e->keys, "%s/keys", e->dir);
    assert_int_equal(mkdir(e->keys, 0700), 0);
    snprintf(e->keyfile, sizeof e->keyfile, "%s/master.key", e->keys);
    for (int i = 0; i < TKMS_STORE_SECRET_BYTES; i++) {
        e->key.bytes[i] = (uint8_t)(0xa0 + i);
    }
    e->binding.chain_id = 31337;
    memset(e->binding.epoch_log, 0x11, sizeof e->binding.epoch_log);
}

/* For the fault loops: faults come from the shim, not the disk, so a RAM file system
   keeps them fast on a loaded machine. TMPDIR, when set, wins. */
static inline void st_prefer_ram_tmpdir(void) {
    if (getenv("TMPDIR") == NULL && access("/dev/shm", W_OK) == 0) {
        setenv("TMPDIR", "/dev/shm", 1);
    }
}

static inline void st_rm_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    struct dirent *ent;
    char path[512];
    while ((ent = readdir(d)) != NULL) {
        if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0) {
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
        if (unlink(path) != 0) {
            st_rm_dir(path); /* one level of subdirectories (keys/) */
        }
    }
    closedir(d);
    rmdir(dir);
}

static inline void st_env_free(st_env *e) {
    st_rm_dir(e->dir);
}

/* Removes the database and its WAL (a fresh start in the same directory). */
static inline void st_db_remove(const st_env *e) {
    char p[256];
    unlink(e->db);
    snprintf(p, sizeof p, "%s-wal", e->db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", e->db);
    unlink(p);
}

static inline tkms_store_options st_options(st_env *e) {
    tkms_store_options o;
    memset(&o, 0, sizeof o);
    o.path = e->db;
    o.key_source = TKMS_STORE_KEY_BYTES;
    o.key = &e->key;
    o.binding = e->binding;
    o.detail = e->detail;
    return o;
}

static inline tkms_store *st_open(st_env *e) {
    tkms_store_options o = st_options(e);
    tkms_store *s = NULL;
    tkms_err err = tkms_store_open(&s, &o);
    if (err != TKMS_OK) {
        fail_msg("open: %s (%s)", tkms_err_name(err), e->detail);
    }
    return s;
}

static inline tkms_err st_try_open(st_env *e) {
    tkms_store_options o = st_options(e);
    tkms_store *s = NULL;
    tkms_err err = tkms_store_open(&s, &o);
    if (err == TKMS_OK) {
        assert_non_null(s);
        tkms_store_close(s);
    } else {
        assert_null(s);
    }
    return err;
}

/* ---- raw SQLite on a closed database ---- */

static inline void st_sql(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                     SQLITE_OK);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fail_msg("sql %s: %s", sql, msg ? msg : "?");
    }
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* The first column of the first row as bytes; returns its length. */
static inline size_t st_sql_blob(const char *path, const char *sql, uint8_t *out, size_t max) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    size_t n = (size_t)sqlite3_column_bytes(st, 0);
    assert_true(n <= max);
    memcpy(out, sqlite3_column_blob(st, 0), n);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return n;
}

static inline int64_t st_sql_int(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    return v;
}

/* ---- files on disk ---- */

static inline uint8_t *st_file_read(const char *path, size_t *len) {
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return NULL;
    }
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        assert_true(n > 0);
        got += (size_t)n;
    }
    close(fd);
    *len = got;
    return buf;
}

static inline void st_file_write(const char *path, const uint8_t *buf, size_t len) {
    int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
}

/* True if needle occurs in the database file or its WAL. */
static inline bool st_files_contain(const st_env *e, const uint8_t *needle, size_t n) {
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", e->db);
    const char *paths[2] = {e->db, wal};
    bool found = false;
    for (int i = 0; i < 2 && !found; i++) {
        size_t len = 0;
        uint8_t *buf = st_file_read(paths[i], &len);
        found = buf != NULL && memmem(buf, len, needle, n) != NULL;
        free(buf);
    }
    return found;
}

static inline void st_fill(uint8_t *p, size_t n, uint64_t seed) {
    tu_rng r;
    tu_rng_seed(&r, seed);
    tu_rng_bytes(&r, p, n);
}

#endif
