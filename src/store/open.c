/*
 * open.c — opening and closing the store: option checks, creating the file with mode
 * 0600 before SQLite sees it, the connection pragmas (exclusive lock, WAL, synchronous
 * FULL, foreign keys, secure_delete, in-memory temp store), telling a fresh file from ours
 * or a foreign one, the binding check and the open-time verification.
 *
 * It does not define the schema (schema.c) or read rows (state.c, versions.c, keys.c,
 * release.c). Spec: protocol.md I3 (binding), I4 (write-ahead, crash safety).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/tkms_ct.h"
#include "store/internal.h"

static tkms_err options_check(const tkms_store_options *o) {
    TKMS_ASSERT(o != NULL);
    if (o->path == NULL || o->path[0] == 0 || strlen(o->path) >= PATH_MAX) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    if (o->binding.chain_id == 0 || o->binding.chain_id > (uint64_t)INT64_MAX) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    if (o->busy_timeout_ms > TKMS_STORE_BUSY_TIMEOUT_MS_MAX) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    return TKMS_OK;
}

static tkms_err dir_sync(const char *path) {
    char buf[PATH_MAX];
    TKMS_ASSERT(path != NULL);
    TKMS_ASSERT(strlen(path) < sizeof buf);
    strcpy(buf, path);
    int fd = open(dirname(buf), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return TKMS_ERR_STORE_CANNOT_OPEN;
    }
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? TKMS_OK : TKMS_ERR_STORE_IO;
}

/* Creates the file 0600 if missing (so SQLite, which gives -wal the same mode, never
   creates anything wider), then checks owner and mode of what is there. */
static tkms_err file_prepare(const char *path) {
    TKMS_ASSERT(path != NULL);
    TKMS_ASSERT(path[0] != 0);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
        int rc = fsync(fd);
        close(fd);
        tkms_err err = rc == 0 ? dir_sync(path) : TKMS_ERR_STORE_IO;
        if (err != TKMS_OK) {
            return err;
        }
    } else if (errno != EEXIST) {
        return TKMS_ERR_STORE_CANNOT_OPEN;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return TKMS_ERR_STORE_CANNOT_OPEN;
    }
    struct stat st;
    int rc = fstat(fd, &st);
    close(fd);
    if (rc != 0 || !S_ISREG(st.st_mode)) {
        return TKMS_ERR_STORE_CANNOT_OPEN;
    }
    if (st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        return TKMS_ERR_STORE_DB_PERMISSIONS;
    }
    return TKMS_OK;
}

/* Sets a pragma and reads it back: a pragma SQLite ignores must not go unnoticed. */
static tkms_err pragma_check(tkms_store *s, const char *set, const char *get, int64_t expect) {
    TKMS_ASSERT(set != NULL && get != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) != 0); /* some pragmas are no-ops in a txn */
    tkms_err err = store_exec(s, set, set);
    sqlite3_stmt *st = NULL;
    bool row = false;
    if (err == TKMS_OK) {
        err = store_prepare(s, &st, get, get);
    }
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, get);
    }
    if (err == TKMS_OK && (!row || sqlite3_column_int64(st, 0) != expect)) {
        err = store_fail(s, TKMS_ERR_STORE_IO, get);
    }
    sqlite3_finalize(st);
    return err;
}

/* PRAGMA journal_mode = WAL answers "wal" in its first row but may still have a
   transaction to commit (an empty file gets its format bytes): step to the end and check
   finalize too, or a failed commit would pass unseen. */
static tkms_err journal_mode_wal(tkms_store *s) {
    TKMS_ASSERT(s->db != NULL);
    TKMS_ASSERT(!s->failed);
    sqlite3_stmt *st = NULL;
    bool row = false, wal = false;
    tkms_err err = store_prepare(s, &st, "PRAGMA journal_mode = WAL", "journal_mode");
    for (int i = 0; err == TKMS_OK && i < 3; i++) {
        err = store_step(s, st, &row, "journal_mode");
        if (err != TKMS_OK || !row) {
            break;
        }
        wal = sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    }
    int rc = sqlite3_finalize(st);
    if (err == TKMS_OK && rc != SQLITE_OK) {
        err = store_fail_sqlite(s, rc, "journal_mode");
    }
    if (err == TKMS_OK && (row || !wal)) {
        err = store_fail(s, TKMS_ERR_STORE_IO, "journal_mode");
    }
    return err;
}

static tkms_err pragmas_apply(tkms_store *s) {
    TKMS_ASSERT(s->db != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) != 0);
    tkms_err err = journal_mode_wal(s);
    if (err == TKMS_OK) {
        err = pragma_check(s, "PRAGMA synchronous = FULL", "PRAGMA synchronous", 2);
    }
    if (err == TKMS_OK) {
        err = pragma_check(s, "PRAGMA foreign_keys = ON", "PRAGMA foreign_keys", 1);
    }
    if (err == TKMS_OK) {
        err = pragma_check(s, "PRAGMA secure_delete = ON", "PRAGMA secure_delete", 1);
    }
    if (err == TKMS_OK) {
        err = pragma_check(s, "PRAGMA temp_store = MEMORY", "PRAGMA temp_store", 2);
    }
    if (err == TKMS_OK) {
        err = pragma_check(s, "PRAGMA journal_size_limit = 4194304", "PRAGMA journal_size_limit",
                           STORE_JOURNAL_SIZE_LIMIT_BYTES);
    }
    if (err == TKMS_OK) {
        err = pragma_check(s, "PRAGMA cell_size_check = ON", "PRAGMA cell_size_check", 1);
    }
    return err;
}

static tkms_err db_connect(tkms_store *s, const tkms_store_options *o) {
    TKMS_ASSERT(s->db == NULL);
    int flags =
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE | SQLITE_OPEN_NOFOLLOW;
    int rc = sqlite3_open_v2(o->path, &s->db, flags, NULL);
    if (rc != SQLITE_OK) {
        return store_fail_sqlite(s, rc, "open");
    }
    TKMS_ASSERT(s->db != NULL);
    /* No SQL path (writable_schema, journal_mode=OFF …) may corrupt the file. */
    rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    }
    if (rc == SQLITE_OK) {
        uint32_t ms = o->busy_timeout_ms ? o->busy_timeout_ms : TKMS_STORE_BUSY_TIMEOUT_MS_DEFAULT;
        rc = sqlite3_busy_timeout(s->db, (int)ms);
    }
    if (rc != SQLITE_OK) {
        return store_fail_sqlite(s, rc, "open_config");
    }
    /* Before the first read: the lock is then held until close, and the WAL index lives
       in process memory (no -shm file). One node per database file. */
    return store_exec(s, "PRAGMA locking_mode = EXCLUSIVE", "locking_mode");
}

/* Fresh (empty, no application id), ours, or foreign? The first read of the file. */
static tkms_err classify(tkms_store *s, bool *fresh) {
    TKMS_ASSERT(s->db != NULL && fresh != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) != 0);
    *fresh = false;
    sqlite3_stmt *st = NULL;
    bool row = false;
    tkms_err err = store_prepare(s, &st, "PRAGMA application_id", "application_id");
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, "application_id");
    }
    sqlite3_int64 app_id = row ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    uint64_t objects = 0;
    if (err == TKMS_OK) {
        err = store_count(s, "SELECT count(*) FROM sqlite_schema", &objects, "classify");
    }
    if (err != TKMS_OK) {
        return err;
    }
    if (app_id == 0 && objects == 0) {
        *fresh = true;
        return TKMS_OK;
    }
    return app_id == STORE_APPLICATION_ID ? TKMS_OK
                                          : store_fail(s, TKMS_ERR_STORE_NOT_TKMS, "classify");
}

static tkms_err binding_check(tkms_store *s, const tkms_store_binding *want) {
    TKMS_ASSERT(want->chain_id != 0);
    TKMS_ASSERT(s->binding.chain_id != 0);
    const tkms_store_binding *have = &s->binding;
    bool same = have->chain_id == want->chain_id &&
                memcmp(have->epoch_log, want->epoch_log, TKMS_STORE_ADDRESS_BYTES) == 0;
    if (same && have->has_mpk && want->has_mpk) {
        same = memcmp(have->mpk, want->mpk, TKMS_STORE_MPK_BYTES) == 0;
    }
    return same ? TKMS_OK : store_fail(s, TKMS_ERR_STORE_BINDING_MISMATCH, "binding");
}

static tkms_err open_steps(tkms_store *s, const tkms_store_options *o,
                           const tkms_store_secret *master) {
    TKMS_ASSERT(s->db == NULL && s->rng != NULL);
    TKMS_ASSERT(master != NULL);
    tkms_err err = db_connect(s, o);
    bool fresh = false;
    if (err == TKMS_OK) {
        err = classify(s, &fresh);
    }
    if (err == TKMS_OK) {
        err = pragmas_apply(s);
    }
    if (err == TKMS_OK) {
        err = fresh ? store_schema_create(s, &o->binding, master) : store_schema_load(s, master);
    }
    if (err == TKMS_OK) {
        err = binding_check(s, &o->binding);
    }
    if (err == TKMS_OK && !fresh) {
        err = store_schema_migrate(s);
    }
    if (err == TKMS_OK) {
        err = store_verify_all(s);
    }
    if (err == TKMS_OK) {
        /* Leaves no WAL behind: also completes the scrub of an erase cut short by a crash. */
        err = store_checkpoint(s, "open_checkpoint");
    }
    TKMS_ASSERT(err == TKMS_OK || s->failed || store_err_is_request(err));
    return err;
}

static void detail_copy(const tkms_store_options *o, const char *where, tkms_err err,
                        const tkms_store *s) {
    TKMS_ASSERT(where != NULL);
    TKMS_ASSERT(err != TKMS_OK);
    if (o->detail == NULL) {
        return;
    }
    if (s != NULL && s->detail[0] != 0) {
        snprintf(o->detail, TKMS_STORE_DETAIL_BYTES, "%s", s->detail);
    } else {
        snprintf(o->detail, TKMS_STORE_DETAIL_BYTES, "%s: %s", where, tkms_err_name(err));
    }
}

TKMS_EXPORT tkms_err tkms_store_open(tkms_store **out, const tkms_store_options *o) {
    TKMS_ASSERT(out != NULL && o != NULL);
    *out = NULL;
    tkms_err err = options_check(o);
    tkms_store_secret master;
    memset(&master, 0, sizeof master);
    if (err == TKMS_OK) {
        err = store_master_key_load(&master, o);
    }
    if (err == TKMS_OK) {
        err = file_prepare(o->path);
    }
    if (err != TKMS_OK) {
        tkms_wipe(&master, sizeof master);
        detail_copy(o, "open_files", err, NULL);
        return err;
    }
    tkms_store *s = sqlite3_malloc64(sizeof *s);
    if (s == NULL) {
        tkms_wipe(&master, sizeof master);
        detail_copy(o, "open_alloc", TKMS_ERR_OUT_OF_MEMORY, NULL);
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    memset(s, 0, sizeof *s);
    s->rng = o->rng != NULL ? o->rng : tkms_rng_os();
    err = open_steps(s, o, &master);
    tkms_wipe(&master, sizeof master);
    if (err != TKMS_OK) {
        detail_copy(o, "open", err, s);
        tkms_store_close(s);
        return err;
    }
    TKMS_ASSERT(!s->failed);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) != 0);
    *out = s;
    return TKMS_OK;
}

TKMS_EXPORT void tkms_store_close(tkms_store *s) {
    if (s == NULL) {
        return;
    }
    TKMS_ASSERT(s->rng != NULL); /* set before anything in open can fail */
    if (s->db != NULL) {
        if (!s->failed && sqlite3_get_autocommit(s->db) != 0) {
            /* Best effort: whatever was committed is already durable in the WAL. */
            (void)sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
        }
        int rc = sqlite3_close(s->db);
        TKMS_ASSERT(rc == SQLITE_OK); /* every statement is finalized where it is made */
    }
    tkms_wipe(s, sizeof *s);
    sqlite3_free(s);
}

TKMS_EXPORT const char *tkms_store_detail(const tkms_store *s) {
    TKMS_ASSERT(s != NULL);
    TKMS_ASSERT(memchr(s->detail, 0, sizeof s->detail) != NULL); /* always terminated */
    return s->detail;
}
