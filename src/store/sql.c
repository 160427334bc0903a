/*
 * sql.c — thin helpers over the SQLite C API: result-code mapping, the poisoned-handle
 * rule, statement binding and stepping, transactions and the TRUNCATE checkpoint.
 *
 * Every SQLite failure goes through store_fail_sqlite(), which maps the code to a
 * tkms_err, writes one detail line (the step name, the SQLite code and message; SQL text
 * and bound values never appear, so no secret can leak into it) and marks the handle
 * failed: the node halts and restarts rather than running on a half-known disk (style
 * R6, protocol.md I4). It does not decide what to store: see state.c, versions.c, keys.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/internal.h"

static tkms_err map_sqlite(int rc) {
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        return TKMS_ERR_OUT_OF_MEMORY;
    case SQLITE_FULL:
        return TKMS_ERR_STORE_DISK_FULL;
    case SQLITE_CORRUPT:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_SCHEMA:
    case SQLITE_ERROR: /* our SQL is constant: an SQL error means an unexpected schema */
        return TKMS_ERR_STORE_CORRUPT;
    case SQLITE_NOTADB:
        return TKMS_ERR_STORE_NOT_TKMS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return TKMS_ERR_STORE_BUSY;
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return TKMS_ERR_STORE_CANNOT_OPEN;
    case SQLITE_IOERR:
        /* A failed allocation inside the VFS is still an allocation failure. */
        return rc == SQLITE_IOERR_NOMEM ? TKMS_ERR_OUT_OF_MEMORY : TKMS_ERR_STORE_IO;
    default:
        return TKMS_ERR_STORE_IO;
    }
}

tkms_err store_fail_sqlite(tkms_store *s, int rc, const char *where) {
    TKMS_ASSERT(s != NULL);
    TKMS_ASSERT(rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE);
    tkms_err err = map_sqlite(rc);
    const char *msg = s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
    snprintf(s->detail, sizeof s->detail, "%s: sqlite %d (%s)", where, rc, msg);
    s->failed = true;
    return err;
}

tkms_err store_fail(tkms_store *s, tkms_err err, const char *where) {
    TKMS_ASSERT(s != NULL);
    TKMS_ASSERT(err != TKMS_OK);
    snprintf(s->detail, sizeof s->detail, "%s: %s", where, tkms_err_name(err));
    if (!store_err_is_request(err)) {
        s->failed = true;
    }
    return err;
}

bool store_err_is_request(tkms_err err) {
    return err == TKMS_ERR_INVALID_ARGUMENT || err == TKMS_ERR_TOO_LARGE ||
           err == TKMS_ERR_STORE_NOT_FOUND || err == TKMS_ERR_STORE_CONFLICT ||
           err == TKMS_ERR_STORE_FULL || err == TKMS_ERR_STORE_BUFFER_TOO_SMALL ||
           err == TKMS_ERR_STORE_BINDING_MISMATCH;
}

tkms_err store_usable(const tkms_store *s) {
    TKMS_ASSERT(s != NULL);
    TKMS_ASSERT(s->db != NULL);
    return s->failed ? TKMS_ERR_STORE_FAILED : TKMS_OK;
}

tkms_err store_exec(tkms_store *s, const char *sql, const char *where) {
    TKMS_ASSERT(s->db != NULL);
    TKMS_ASSERT(sql != NULL);
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? TKMS_OK : store_fail_sqlite(s, rc, where);
}

tkms_err store_prepare(tkms_store *s, sqlite3_stmt **st, const char *sql, const char *where) {
    TKMS_ASSERT(s->db != NULL);
    TKMS_ASSERT(st != NULL);
    *st = NULL;
    int rc = sqlite3_prepare_v3(s->db, sql, -1, 0, st, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*st);
        *st = NULL;
        return store_fail_sqlite(s, rc, where);
    }
    TKMS_ASSERT(*st != NULL);
    return TKMS_OK;
}

static int bind_one(sqlite3_stmt *st, int index, char kind, va_list *ap) {
    switch (kind) {
    case 'i':
        return sqlite3_bind_int64(st, index, (sqlite3_int64)va_arg(*ap, int64_t));
    case 'u': {
        uint64_t v = va_arg(*ap, uint64_t);
        TKMS_ASSERT(v <= (uint64_t)INT64_MAX);
        return sqlite3_bind_int64(st, index, (sqlite3_int64)v);
    }
    case 'b': {
        const void *p = va_arg(*ap, const void *);
        size_t n = va_arg(*ap, size_t);
        TKMS_ASSERT(n <= (size_t)INT32_MAX);
        TKMS_ASSERT(p != NULL || n == 0);
        /* A zero-length blob, never NULL: NULL would be a different SQL value. */
        return n == 0 ? sqlite3_bind_zeroblob(st, index, 0)
                      : sqlite3_bind_blob(st, index, p, (int)n, SQLITE_STATIC);
    }
    case 'n':
        return sqlite3_bind_null(st, index);
    default:
        TKMS_ASSERT(kind == 'i' || kind == 'u' || kind == 'b' || kind == 'n'); /* unreachable */
        return SQLITE_MISUSE;
    }
}

tkms_err store_bind(tkms_store *s, sqlite3_stmt *st, const char *where, const char *fmt, ...) {
    TKMS_ASSERT(st != NULL);
    TKMS_ASSERT(fmt != NULL);
    TKMS_ASSERT((int)strlen(fmt) == sqlite3_bind_parameter_count(st));
    va_list ap;
    va_start(ap, fmt);
    int rc = SQLITE_OK;
    for (int i = 0; fmt[i] != 0 && rc == SQLITE_OK; i++) {
        rc = bind_one(st, i + 1, fmt[i], &ap);
    }
    va_end(ap);
    return rc == SQLITE_OK ? TKMS_OK : store_fail_sqlite(s, rc, where);
}

tkms_err store_step(tkms_store *s, sqlite3_stmt *st, bool *row, const char *where) {
    TKMS_ASSERT(st != NULL);
    TKMS_ASSERT(row != NULL);
    int rc = sqlite3_step(st);
    *row = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        return TKMS_OK;
    }
    return store_fail_sqlite(s, rc, where);
}

tkms_err store_step_done(tkms_store *s, sqlite3_stmt *st, const char *where) {
    bool row = false;
    tkms_err err = store_step(s, st, &row, where);
    sqlite3_finalize(st);
    if (err == TKMS_OK && row) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, where);
    }
    return err;
}

tkms_err store_column_blob(tkms_store *s, sqlite3_stmt *st, int col, const uint8_t **ptr,
                           size_t *len, size_t len_min, size_t len_max, const char *where) {
    TKMS_ASSERT(ptr != NULL && len != NULL);
    TKMS_ASSERT(len_min <= len_max);
    *ptr = NULL;
    *len = 0;
    /* A tampered row may hold TEXT or INTEGER: refuse rather than convert. */
    if (sqlite3_column_type(st, col) != SQLITE_BLOB) {
        return store_fail(s, TKMS_ERR_STORE_CORRUPT, where);
    }
    const uint8_t *p = sqlite3_column_blob(st, col);
    int n = sqlite3_column_bytes(st, col);
    if (p == NULL && n != 0) {
        return store_fail_sqlite(s, sqlite3_errcode(s->db), where);
    }
    if (n < 0 || (size_t)n < len_min || (size_t)n > len_max) {
        return store_fail(s, TKMS_ERR_STORE_CORRUPT, where);
    }
    *ptr = p;
    *len = (size_t)n;
    return TKMS_OK;
}

tkms_err store_column_id(tkms_store *s, sqlite3_stmt *st, int col, uint64_t *out,
                         const char *where) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(col >= 0);
    *out = 0;
    if (sqlite3_column_type(st, col) != SQLITE_INTEGER) {
        return store_fail(s, TKMS_ERR_STORE_CORRUPT, where);
    }
    sqlite3_int64 v = sqlite3_column_int64(st, col);
    if (v < 0) {
        return store_fail(s, TKMS_ERR_STORE_CORRUPT, where);
    }
    *out = (uint64_t)v;
    return TKMS_OK;
}

static void rollback(tkms_store *s) {
    if (sqlite3_get_autocommit(s->db) == 0) {
        /* ROLLBACK can itself fail (I/O); the handle is failed anyway and SQLite rolls the
           transaction back when the connection closes or the hot WAL is read next time. */
        int rc = sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            s->failed = true;
        }
    }
}

tkms_err store_txn(tkms_store *s, store_txn_fn fn, void *ctx, const char *where) {
    TKMS_ASSERT(fn != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) != 0); /* no nesting */
    tkms_err err = store_exec(s, "BEGIN IMMEDIATE", where);
    if (err != TKMS_OK) {
        rollback(s);
        return err;
    }
    err = fn(s, ctx);
    if (err == TKMS_OK) {
        err = store_exec(s, "COMMIT", where);
    }
    if (err != TKMS_OK) {
        rollback(s);
    }
    TKMS_ASSERT(err != TKMS_OK || sqlite3_get_autocommit(s->db) != 0);
    return err;
}

tkms_err store_checkpoint(tkms_store *s, const char *where) {
    TKMS_ASSERT(s->db != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) != 0);
    int log_frames = -1, done_frames = -1;
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log_frames,
                                       &done_frames);
    if (rc != SQLITE_OK) {
        return store_fail_sqlite(s, rc, where);
    }
    /* The file is locked exclusively: nobody can hold frames back. */
    TKMS_ASSERT(log_frames == done_frames);
    return TKMS_OK;
}

tkms_err store_count(tkms_store *s, const char *sql, uint64_t *count, const char *where) {
    TKMS_ASSERT(count != NULL);
    *count = 0;
    sqlite3_stmt *st = NULL;
    tkms_err err = store_prepare(s, &st, sql, where);
    bool row = false;
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, where);
    }
    if (err == TKMS_OK && !row) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, where);
    }
    if (err == TKMS_OK) {
        err = store_column_id(s, st, 0, count, where);
    }
    sqlite3_finalize(st);
    return err;
}
