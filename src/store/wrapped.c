/*
 * wrapped.c — rows whose 32-byte secret is sealed under its own wrapping key: key
 * versions (versions.c) and X25519 epoch keys (keys.c). One generic implementation of
 * put (idempotent, conflict on a different secret, row cap), get, status change, list and
 * erase, driven by a table descriptor.
 *
 * Wrapping keys live in wrap_key, sealed under the master-derived key with the owner
 * (table, row key) in the AAD; the owner row references its wrapping key with ON DELETE
 * CASCADE, so erasing is one DELETE of the wrapping key, and the row follows in the same
 * transaction. The secret's AAD holds (table, row key, status, sha256(public data)), so no
 * field of the row can be changed or swapped without the unseal failing.
 * Spec: protocol.md §5 ("destroying a version's wrapping key erases it everywhere"), I5.
 */
#include <string.h>

#include "common/tkms_ct.h"
#include "store/wrapped.h"

#define SECRET_SEALED_BYTES (TKMS_STORE_SECRET_BYTES + STORE_SEAL_OVERHEAD)

typedef struct {
    int64_t wrap;
    tkms_store_version_info info;
    uint8_t sealed[SECRET_SEALED_BYTES];
} wrapped_row;

/* ---- wrapping keys ------------------------------------------------------------------- */

tkms_err store_wrap_create(tkms_store *s, const char *owner, uint64_t owner_key, int64_t *id,
                           uint8_t key[TKMS_STORE_SECRET_BYTES]) {
    TKMS_ASSERT(owner != NULL && id != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0); /* inside the owner's transaction */
    uint64_t next = 0;
    tkms_err err =
        store_count(s, "SELECT coalesce(max(id), 0) + 1 FROM wrap_key", &next, "wrap_create");
    if (err == TKMS_OK && next < 1) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "wrap_create"); /* a negative id in the file */
    }
    if (err != TKMS_OK) {
        return err;
    }
    tkms_rng_fill(s->rng, key, TKMS_STORE_SECRET_BYTES);
    store_aad aad;
    store_aad_set(&aad, "wrap_key", next, owner_key, owner);
    uint8_t sealed[STORE_WRAP_SEALED_BYTES];
    store_seal(sealed, s, s->seal_key, &aad, key, TKMS_STORE_SECRET_BYTES);
    sqlite3_stmt *st = NULL;
    err = store_prepare(s, &st, "INSERT INTO wrap_key(id, sealed) VALUES (?, ?)", "wrap_create");
    if (err == TKMS_OK) {
        err = store_bind(s, st, "wrap_create", "ub", next, sealed, sizeof sealed);
    }
    if (err == TKMS_OK) {
        err = store_step_done(s, st, "wrap_create");
    } else {
        sqlite3_finalize(st);
    }
    *id = (int64_t)next;
    TKMS_ASSERT(next >= 1 && next <= (uint64_t)INT64_MAX);
    if (err != TKMS_OK) {
        tkms_wipe(key, TKMS_STORE_SECRET_BYTES);
    }
    return err;
}

tkms_err store_wrap_load(tkms_store *s, int64_t id, const char *owner, uint64_t owner_key,
                         uint8_t key[TKMS_STORE_SECRET_BYTES]) {
    TKMS_ASSERT(owner != NULL && key != NULL);
    TKMS_ASSERT(id >= 0);
    sqlite3_stmt *st = NULL;
    bool row = false;
    tkms_err err = store_prepare(s, &st, "SELECT sealed FROM wrap_key WHERE id = ?", "wrap_load");
    if (err == TKMS_OK) {
        err = store_bind(s, st, "wrap_load", "i", id);
    }
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, "wrap_load");
    }
    if (err == TKMS_OK && !row) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "wrap_load"); /* the foreign key holds */
    }
    const uint8_t *sealed = NULL;
    size_t len = 0;
    if (err == TKMS_OK) {
        err = store_column_blob(s, st, 0, &sealed, &len, 0, STORE_WRAP_SEALED_BYTES, "wrap_load");
    }
    if (err == TKMS_OK) {
        store_aad aad;
        store_aad_set(&aad, "wrap_key", (uint64_t)id, owner_key, owner);
        err = store_unseal(key, TKMS_STORE_SECRET_BYTES, s, s->seal_key, &aad, sealed, len);
        err = err == TKMS_OK ? TKMS_OK : store_fail(s, err, "wrap_load");
    }
    sqlite3_finalize(st);
    TKMS_ASSERT(err == TKMS_OK || s->failed); /* a missing or bad wrapping key is fatal */
    return err;
}

/* ---- rows ---------------------------------------------------------------------------- */

static void row_aad(store_aad *aad, const store_wrapped_table *t,
                    const tkms_store_version_info *info) {
    TKMS_ASSERT(info->public_len <= t->public_max);
    TKMS_ASSERT(info->status == TKMS_STORE_VERSION_PENDING ||
                info->status == TKMS_STORE_VERSION_ACTIVE);
    store_aad_set(aad, t->name, info->version, info->status, "secret");
    tkms_prim_sha256(aad->context, info->public_data, info->public_len);
}

/* TKMS_ERR_STORE_NOT_FOUND (no detail, no poisoning) when the row is absent. */
static tkms_err row_read(tkms_store *s, const store_wrapped_table *t, uint64_t key,
                         wrapped_row *r) {
    TKMS_ASSERT(t != NULL && r != NULL);
    TKMS_ASSERT(key <= TKMS_STORE_ID_MAX);
    const char *w = t->name;
    sqlite3_stmt *st = NULL;
    bool row = false;
    tkms_err err = store_prepare(s, &st, t->sql_select, w);
    if (err == TKMS_OK) {
        err = store_bind(s, st, w, "u", key);
    }
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, w);
    }
    if (err == TKMS_OK && !row) {
        err = TKMS_ERR_STORE_NOT_FOUND;
    }
    uint64_t wrap = 0, status = 0;
    const uint8_t *pub = NULL, *sealed = NULL;
    size_t pub_len = 0, sealed_len = 0;
    if (err == TKMS_OK) {
        err = store_column_id(s, st, 0, &wrap, w);
    }
    if (err == TKMS_OK) {
        err = store_column_id(s, st, 1, &status, w);
    }
    if (err == TKMS_OK &&
        (status < TKMS_STORE_VERSION_PENDING || status > TKMS_STORE_VERSION_ACTIVE)) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, w);
    }
    if (err == TKMS_OK) {
        err = store_column_blob(s, st, 2, &pub, &pub_len, 0, t->public_max, w);
    }
    if (err == TKMS_OK) {
        err = store_column_blob(s, st, 3, &sealed, &sealed_len, SECRET_SEALED_BYTES,
                                SECRET_SEALED_BYTES, w);
    }
    if (err == TKMS_OK) {
        r->wrap = (int64_t)wrap;
        r->info.version = key;
        r->info.status = (uint8_t)status;
        r->info.public_len = (uint32_t)pub_len;
        if (pub_len > 0) {
            memcpy(r->info.public_data, pub, pub_len);
        }
        memcpy(r->sealed, sealed, SECRET_SEALED_BYTES);
    }
    sqlite3_finalize(st);
    TKMS_ASSERT(err != TKMS_OK || r->info.public_len <= t->public_max);
    return err;
}

/* The row's wrapping key and secret; TKMS_ERR_STORE_TAMPERED if anything was changed. */
static tkms_err row_open(tkms_store *s, const store_wrapped_table *t, const wrapped_row *r,
                         uint8_t wrap_key[TKMS_STORE_SECRET_BYTES], tkms_store_secret *secret) {
    TKMS_ASSERT(wrap_key != NULL && secret != NULL);
    TKMS_ASSERT(r->info.version <= TKMS_STORE_ID_MAX);
    tkms_err err = store_wrap_load(s, r->wrap, t->name, r->info.version, wrap_key);
    if (err == TKMS_OK) {
        store_aad aad;
        row_aad(&aad, t, &r->info);
        err = store_unseal(secret->bytes, TKMS_STORE_SECRET_BYTES, s, wrap_key, &aad, r->sealed,
                           SECRET_SEALED_BYTES);
        err = err == TKMS_OK ? TKMS_OK : store_fail(s, err, t->name);
    }
    if (err != TKMS_OK) {
        tkms_wipe(wrap_key, TKMS_STORE_SECRET_BYTES);
        tkms_wipe(secret, sizeof *secret);
    }
    return err;
}

/* ?1 key, ?2 wrap, ?3 status, ?4 public, ?5 sealed (insert) or ?1 key, ?2 status,
   ?3 sealed (update). */
static tkms_err row_write(tkms_store *s, const store_wrapped_table *t, const wrapped_row *r,
                          bool insert) {
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0); /* inside the caller's transaction */
    TKMS_ASSERT(insert ? t->sql_insert != NULL : t->sql_update != NULL);
    const char *w = t->name;
    sqlite3_stmt *st = NULL;
    tkms_err err = store_prepare(s, &st, insert ? t->sql_insert : t->sql_update, w);
    if (err == TKMS_OK && insert) {
        err = store_bind(s, st, w, "uiubb", r->info.version, r->wrap, (uint64_t)r->info.status,
                         r->info.public_data, (size_t)r->info.public_len, r->sealed,
                         sizeof r->sealed);
    } else if (err == TKMS_OK) {
        err = store_bind(s, st, w, "uub", r->info.version, (uint64_t)r->info.status, r->sealed,
                         sizeof r->sealed);
    }
    if (err != TKMS_OK) {
        sqlite3_finalize(st);
        return err;
    }
    err = store_step_done(s, st, w);
    if (err == TKMS_OK && sqlite3_changes(s->db) != 1) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, w);
    }
    return err;
}

static void row_seal(tkms_store *s, const store_wrapped_table *t, wrapped_row *r,
                     const uint8_t wrap_key[TKMS_STORE_SECRET_BYTES],
                     const tkms_store_secret *secret) {
    TKMS_ASSERT(wrap_key != NULL && secret != NULL);
    TKMS_ASSERT(r->wrap >= 0);
    store_aad aad;
    row_aad(&aad, t, &r->info);
    store_seal(r->sealed, s, wrap_key, &aad, secret->bytes, TKMS_STORE_SECRET_BYTES);
}

/* ---- put ----------------------------------------------------------------------------- */

typedef struct {
    const store_wrapped_table *table;
    const tkms_store_version_info *info;
    const tkms_store_secret *secret;
    wrapped_row row; /* scratch */
} put_ctx;

/* Existing row: the same secret and public data is a replay (status may only rise). */
static tkms_err put_existing(tkms_store *s, put_ctx *c) {
    TKMS_ASSERT(c->row.info.version == c->info->version);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0);
    uint8_t wrap_key[TKMS_STORE_SECRET_BYTES];
    tkms_store_secret old;
    tkms_err err = row_open(s, c->table, &c->row, wrap_key, &old);
    if (err != TKMS_OK) {
        return err;
    }
    bool same = tkms_ct_bytes_equal(old.bytes, c->secret->bytes, sizeof old.bytes) &&
                c->row.info.public_len == c->info->public_len &&
                memcmp(c->row.info.public_data, c->info->public_data, c->info->public_len) == 0;
    tkms_wipe(&old, sizeof old);
    if (!same || c->info->status < c->row.info.status) {
        err = store_fail(s, TKMS_ERR_STORE_CONFLICT, c->table->name);
    } else if (c->info->status > c->row.info.status) {
        c->row.info.status = c->info->status;
        row_seal(s, c->table, &c->row, wrap_key, c->secret);
        err = row_write(s, c->table, &c->row, false);
    }
    tkms_wipe(wrap_key, sizeof wrap_key);
    return err;
}

static tkms_err put_new(tkms_store *s, put_ctx *c) {
    TKMS_ASSERT(c->info->public_len <= c->table->public_max);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0);
    uint64_t rows = 0;
    tkms_err err = store_count(s, c->table->sql_count, &rows, c->table->name);
    if (err == TKMS_OK && rows >= c->table->rows_max) {
        err = store_fail(s, TKMS_ERR_STORE_FULL, c->table->name);
    }
    if (err != TKMS_OK) {
        return err;
    }
    uint8_t wrap_key[TKMS_STORE_SECRET_BYTES];
    err = store_wrap_create(s, c->table->name, c->info->version, &c->row.wrap, wrap_key);
    if (err == TKMS_OK) {
        c->row.info = *c->info;
        row_seal(s, c->table, &c->row, wrap_key, c->secret);
        err = row_write(s, c->table, &c->row, true);
    }
    tkms_wipe(wrap_key, sizeof wrap_key);
    return err;
}

static tkms_err put_txn(tkms_store *s, void *vctx) {
    put_ctx *c = vctx;
    TKMS_ASSERT(c->table != NULL && c->info != NULL && c->secret != NULL);
    TKMS_ASSERT(c->info->version <= TKMS_STORE_ID_MAX);
    tkms_err err = row_read(s, c->table, c->info->version, &c->row);
    if (err == TKMS_OK) {
        return put_existing(s, c);
    }
    return err == TKMS_ERR_STORE_NOT_FOUND ? put_new(s, c) : err;
}

tkms_err store_wrapped_put(tkms_store *s, const store_wrapped_table *t,
                           const tkms_store_version_info *info, const tkms_store_secret *secret) {
    TKMS_ASSERT(t != NULL && info != NULL && secret != NULL);
    TKMS_ASSERT(info->status == TKMS_STORE_VERSION_PENDING ||
                info->status == TKMS_STORE_VERSION_ACTIVE);
    put_ctx *c = sqlite3_malloc64(sizeof *c);
    if (c == NULL) {
        return store_fail(s, TKMS_ERR_OUT_OF_MEMORY, t->name);
    }
    c->table = t;
    c->info = info;
    c->secret = secret;
    tkms_err err = store_txn(s, put_txn, c, t->name);
    tkms_wipe(c, sizeof *c);
    sqlite3_free(c);
    TKMS_ASSERT(err == TKMS_OK || err == TKMS_ERR_STORE_CONFLICT || err == TKMS_ERR_STORE_FULL ||
                s->failed);
    return err;
}

/* ---- get, status, list, erase ------------------------------------------------------ */

tkms_err store_wrapped_get(tkms_store *s, const store_wrapped_table *t, uint64_t key,
                           tkms_store_version_info *info, tkms_store_secret *secret) {
    TKMS_ASSERT(t != NULL && info != NULL);
    TKMS_ASSERT(key <= TKMS_STORE_ID_MAX);
    wrapped_row *r = sqlite3_malloc64(sizeof *r);
    if (r == NULL) {
        return store_fail(s, TKMS_ERR_OUT_OF_MEMORY, t->name);
    }
    tkms_err err = row_read(s, t, key, r);
    /* The secret is always opened: it authenticates the public fields too. */
    uint8_t wrap_key[TKMS_STORE_SECRET_BYTES];
    tkms_store_secret opened;
    if (err == TKMS_OK) {
        err = row_open(s, t, r, wrap_key, &opened);
    }
    if (err == TKMS_OK) {
        *info = r->info;
        if (secret != NULL) {
            *secret = opened;
        }
        tkms_wipe(wrap_key, sizeof wrap_key);
        tkms_wipe(&opened, sizeof opened);
    }
    tkms_wipe(r, sizeof *r);
    sqlite3_free(r);
    TKMS_ASSERT(err != TKMS_OK || info->version == key);
    return err;
}

typedef struct {
    const store_wrapped_table *table;
    uint64_t key;
    uint8_t status;
    wrapped_row row;
} status_ctx;

static tkms_err status_txn(tkms_store *s, void *vctx) {
    status_ctx *c = vctx;
    TKMS_ASSERT(c->table->sql_update != NULL);
    TKMS_ASSERT(c->key <= TKMS_STORE_ID_MAX);
    tkms_err err = row_read(s, c->table, c->key, &c->row);
    if (err != TKMS_OK || c->row.info.status >= c->status) {
        return err; /* absent, or already there (a replay) */
    }
    uint8_t wrap_key[TKMS_STORE_SECRET_BYTES];
    tkms_store_secret secret;
    err = row_open(s, c->table, &c->row, wrap_key, &secret);
    if (err == TKMS_OK) {
        c->row.info.status = c->status;
        row_seal(s, c->table, &c->row, wrap_key, &secret);
        err = row_write(s, c->table, &c->row, false);
        tkms_wipe(wrap_key, sizeof wrap_key);
        tkms_wipe(&secret, sizeof secret);
    }
    return err;
}

tkms_err store_wrapped_status_raise(tkms_store *s, const store_wrapped_table *t, uint64_t key,
                                    uint8_t status) {
    TKMS_ASSERT(t != NULL);
    TKMS_ASSERT(status == TKMS_STORE_VERSION_ACTIVE);
    status_ctx *c = sqlite3_malloc64(sizeof *c);
    if (c == NULL) {
        return store_fail(s, TKMS_ERR_OUT_OF_MEMORY, t->name);
    }
    c->table = t;
    c->key = key;
    c->status = status;
    tkms_err err = store_txn(s, status_txn, c, t->name);
    tkms_wipe(c, sizeof *c);
    sqlite3_free(c);
    TKMS_ASSERT(err == TKMS_OK || err == TKMS_ERR_STORE_NOT_FOUND || s->failed);
    return err;
}

tkms_err store_wrapped_list(tkms_store *s, const store_wrapped_table *t, uint64_t *keys,
                            uint8_t *status, size_t *count) {
    TKMS_ASSERT(t != NULL && keys != NULL && count != NULL);
    TKMS_ASSERT(t->rows_max < INT32_MAX);
    *count = 0;
    sqlite3_stmt *st = NULL;
    tkms_err err = store_prepare(s, &st, t->sql_list, t->name);
    if (err == TKMS_OK) {
        err = store_bind(s, st, t->name, "u", (uint64_t)t->rows_max + 1);
    }
    size_t n = 0;
    bool row = err == TKMS_OK;
    /* Bounded: the LIMIT is rows_max + 1, and one more row than allowed is corruption. */
    while (err == TKMS_OK && row) {
        uint64_t key = 0, st_value = 0;
        err = store_step(s, st, &row, t->name);
        if (err != TKMS_OK || !row) {
            break;
        }
        if (n == t->rows_max) {
            err = store_fail(s, TKMS_ERR_STORE_CORRUPT, t->name);
            break;
        }
        err = store_column_id(s, st, 0, &key, t->name);
        if (err == TKMS_OK) {
            err = store_column_id(s, st, 1, &st_value, t->name);
        }
        keys[n] = key;
        if (status != NULL) {
            status[n] = (uint8_t)st_value;
        }
        n++;
    }
    sqlite3_finalize(st);
    *count = err == TKMS_OK ? n : 0;
    TKMS_ASSERT(*count <= t->rows_max);
    return err;
}

typedef struct {
    const store_wrapped_table *table;
    uint64_t key;
    wrapped_row row;
} erase_ctx;

static tkms_err erase_txn(tkms_store *s, void *vctx) {
    erase_ctx *c = vctx;
    TKMS_ASSERT(c->table != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0);
    tkms_err err = row_read(s, c->table, c->key, &c->row);
    if (err == TKMS_ERR_STORE_NOT_FOUND) {
        return TKMS_OK; /* already erased: a replay after a crash */
    }
    sqlite3_stmt *st = NULL;
    if (err == TKMS_OK) {
        err = store_prepare(s, &st, "DELETE FROM wrap_key WHERE id = ?", "erase");
    }
    if (err == TKMS_OK) {
        err = store_bind(s, st, "erase", "i", c->row.wrap);
    }
    if (err != TKMS_OK) {
        sqlite3_finalize(st);
        return err;
    }
    err = store_step_done(s, st, "erase");
    if (err == TKMS_OK && sqlite3_changes(s->db) != 1) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "erase");
    }
    /* The owner row went with its wrapping key (ON DELETE CASCADE): check, never assume. */
    if (err == TKMS_OK) {
        err = row_read(s, c->table, c->key, &c->row);
        if (err == TKMS_OK) {
            err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "erase");
        } else if (err == TKMS_ERR_STORE_NOT_FOUND) {
            err = TKMS_OK;
        }
    }
    if (err == TKMS_OK) {
        err = store_exec(s, "UPDATE meta SET scrub_pending = 1 WHERE id = 1", "erase");
    }
    return err;
}

tkms_err store_wrapped_erase(tkms_store *s, const store_wrapped_table *t, uint64_t key) {
    TKMS_ASSERT(t != NULL);
    TKMS_ASSERT(key <= TKMS_STORE_ID_MAX);
    erase_ctx *c = sqlite3_malloc64(sizeof *c);
    if (c == NULL) {
        return store_fail(s, TKMS_ERR_OUT_OF_MEMORY, t->name);
    }
    c->table = t;
    c->key = key;
    tkms_err err = store_txn(s, erase_txn, c, "erase");
    tkms_wipe(c, sizeof *c);
    sqlite3_free(c);
    TKMS_ASSERT(err == TKMS_OK || s->failed); /* erase has no request-level failure */
    /* secure_delete zeroed the freed cells in pages now in the WAL; the checkpoint writes
       them over the main file and truncates the WAL (docs/store.md §Erasure). */
    if (err == TKMS_OK) {
        err = store_checkpoint(s, "erase_checkpoint");
    }
    return err;
}
