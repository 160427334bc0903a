/*
 * verify.c — the open-time check: SQLite's quick_check and foreign_key_check, row caps,
 * no orphaned wrapping key, and every secret row unsealed once (then wiped), so that a
 * modified byte or a wrong key is found at startup (TKMS_ERR_STORE_TAMPERED /
 * _CORRUPT) rather than in the middle of an epoch.
 *
 * It does not repair anything: a database that fails here needs an operator (restore
 * from the chain's perspective: a node without its share is opened, protocol.md §4.5).
 * The release cache is checked per read instead (it can hold 4096 entries).
 */
#include <string.h>

#include "common/tkms_ct.h"
#include "store/wrapped.h"

static tkms_err check_sqlite(tkms_store *s) {
    TKMS_ASSERT(s->db != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) != 0);
    sqlite3_stmt *st = NULL;
    bool row = false;
    tkms_err err = store_prepare(s, &st, "PRAGMA quick_check(1)", "quick_check");
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, "quick_check");
    }
    if (err == TKMS_OK &&
        (!row || sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "quick_check");
    }
    sqlite3_finalize(st);
    if (err == TKMS_OK) {
        err = store_prepare(s, &st, "PRAGMA foreign_key_check", "foreign_key_check");
    }
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, "foreign_key_check");
        sqlite3_finalize(st);
    }
    if (err == TKMS_OK && row) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "foreign_key_check");
    }
    uint64_t orphans = 0, releases = 0;
    if (err == TKMS_OK) {
        err = store_count(s,
                          "SELECT count(*) FROM wrap_key WHERE id NOT IN"
                          " (SELECT wrap FROM key_version UNION ALL SELECT wrap FROM x25519_key)",
                          &orphans, "orphans");
    }
    if (err == TKMS_OK) {
        err = store_count(s, "SELECT count(*) FROM app_release", &releases, "releases");
    }
    if (err == TKMS_OK && (orphans != 0 || releases > TKMS_STORE_RELEASES_MAX)) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "row_counts");
    }
    return err;
}

static tkms_err check_state(tkms_store *s) {
    TKMS_ASSERT(!s->failed);
    size_t len = 0;
    tkms_err err = tkms_store_state_get(s, NULL, 0, &len);
    if (err == TKMS_ERR_STORE_NOT_FOUND) {
        return TKMS_OK;
    }
    if (err != TKMS_ERR_STORE_BUFFER_TOO_SMALL) {
        TKMS_ASSERT(err != TKMS_OK); /* a stored blob is never empty */
        return err;
    }
    TKMS_ASSERT(len > 0 && len <= TKMS_STORE_STATE_BYTES_MAX);
    uint8_t *buf = sqlite3_malloc64(len);
    if (buf == NULL) {
        return store_fail(s, TKMS_ERR_OUT_OF_MEMORY, "verify_state");
    }
    size_t got = 0;
    err = tkms_store_state_get(s, buf, len, &got);
    TKMS_ASSERT(err != TKMS_OK || got == len);
    tkms_wipe(buf, len);
    sqlite3_free(buf);
    return err;
}

static tkms_err check_wrapped(tkms_store *s, const store_wrapped_table *t) {
    uint64_t keys[TKMS_STORE_VERSIONS_MAX];
    _Static_assert(TKMS_STORE_VERSIONS_MAX >= TKMS_STORE_X25519_KEYS_MAX, "one key buffer");
    TKMS_ASSERT(t->rows_max <= TKMS_STORE_VERSIONS_MAX);
    size_t count = 0;
    tkms_err err = store_wrapped_list(s, t, keys, NULL, &count);
    tkms_store_version_info *info = NULL;
    if (err == TKMS_OK && count > 0) {
        info = sqlite3_malloc64(sizeof *info);
        err = info == NULL ? store_fail(s, TKMS_ERR_OUT_OF_MEMORY, "verify_wrapped") : TKMS_OK;
    }
    for (size_t i = 0; i < count && err == TKMS_OK; i++) {
        tkms_store_secret secret;
        err = store_wrapped_get(s, t, keys[i], info, &secret);
        tkms_wipe(&secret, sizeof secret);
        /* Listed a moment ago in this same connection: absence is corruption. */
        if (err == TKMS_ERR_STORE_NOT_FOUND) {
            err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "verify_wrapped");
        }
    }
    sqlite3_free(info);
    return err;
}

tkms_err store_verify_all(tkms_store *s) {
    TKMS_ASSERT(s != NULL && s->db != NULL);
    TKMS_ASSERT(!s->failed);
    tkms_err err = check_sqlite(s);
    if (err == TKMS_OK) {
        err = check_state(s);
    }
    if (err == TKMS_OK) {
        tkms_store_secret seed;
        uint8_t pub[32];
        err = tkms_store_ed25519_get(s, &seed, pub);
        tkms_wipe(&seed, sizeof seed);
        err = err == TKMS_ERR_STORE_NOT_FOUND ? TKMS_OK : err;
    }
    if (err == TKMS_OK) {
        err = check_wrapped(s, &store_version_table);
    }
    if (err == TKMS_OK) {
        err = check_wrapped(s, &store_x25519_table);
    }
    if (err == TKMS_OK) {
        s->detail[0] = 0; /* the probes above leave request-level notes */
    }
    TKMS_ASSERT(err == TKMS_OK || s->failed); /* NOT_FOUND probes never escape */
    return err;
}
