/*
 * internal.h — what the files of src/store share: the handle, the SQLite helpers
 * (sql.c), the sealing format (seal.c), the schema (schema.c) and the row-level readers
 * the open-time scan reuses (verify.c). Not a public interface.
 *
 * Sealed value layout (docs/store.md): salt (32) ‖ ciphertext ‖ tag (16). The AES-256-GCM
 * key and nonce are HKDF-SHA256(key, salt, "tkms-store-value-v1"), so each value has its
 * own key and nonce and the 96-bit nonce birthday bound never applies. The AAD is
 *   "tkms-store-aad-v1" ‖ db_id (16) ‖ u8 |table| ‖ table ‖ be64 k1 ‖ be64 k2 ‖
 *   u8 |purpose| ‖ purpose ‖ context (32: a hash of the row's public fields, or zeros).
 */
#ifndef TKMS_STORE_INTERNAL_H
#define TKMS_STORE_INTERNAL_H

#include <sqlite3.h>

#include "common/tkms_assert.h"
#include "prim/prim.h"
#include "store/store.h"

#define STORE_SCHEMA_VERSION 2
#define STORE_APPLICATION_ID 0x746b6d73 /* "tkms" in the SQLite header */
#define STORE_DB_ID_BYTES 16
#define STORE_KEY_ID_BYTES 16
#define STORE_SALT_BYTES 32
#define STORE_CONTEXT_BYTES 32
#define STORE_SEAL_OVERHEAD (STORE_SALT_BYTES + TKMS_PRIM_AEAD_TAG_BYTES)
#define STORE_AAD_BYTES_MAX 160
#define STORE_NAME_BYTES_MAX 24 /* table and purpose names in the AAD */
#define STORE_JOURNAL_SIZE_LIMIT_BYTES (4 << 20)

_Static_assert(TKMS_STORE_STATE_BYTES_MAX < INT32_MAX - STORE_SEAL_OVERHEAD, "blob fits int");
_Static_assert(TKMS_STORE_RELEASE_BYTES_MAX < INT32_MAX, "blob fits int");
_Static_assert(TKMS_STORE_SECRET_BYTES == TKMS_PRIM_AEAD_KEY_BYTES, "wrapping key size");
_Static_assert(17 + STORE_DB_ID_BYTES + 2 * (1 + STORE_NAME_BYTES_MAX) + 16 + STORE_CONTEXT_BYTES <=
                   STORE_AAD_BYTES_MAX,
               "AAD buffer");

struct tkms_store {
    sqlite3 *db;
    const tkms_rng *rng;
    bool failed; /* a write/read failed: every later call returns TKMS_ERR_STORE_FAILED */
    uint8_t db_id[STORE_DB_ID_BYTES];
    uint8_t seal_key[TKMS_STORE_SECRET_BYTES]; /* secret: HKDF(master, db_id) */
    uint8_t key_id[STORE_KEY_ID_BYTES];        /* public fingerprint of the master key */
    tkms_store_binding binding;
    char detail[TKMS_STORE_DETAIL_BYTES];
};

/* Which row a sealed value belongs to (the AAD fields). */
typedef struct {
    const char *table;
    uint64_t k1, k2;
    const char *purpose;
    uint8_t context[STORE_CONTEXT_BYTES];
} store_aad;

/* ---- seal.c ---- */
void store_aad_set(store_aad *a, const char *table, uint64_t k1, uint64_t k2, const char *purpose);
/* out has pt_len + STORE_SEAL_OVERHEAD bytes. */
void store_seal(uint8_t *out, const tkms_store *s, const uint8_t key[TKMS_STORE_SECRET_BYTES],
                const store_aad *aad, const uint8_t *pt, size_t pt_len);
/* pt has sealed_len - STORE_SEAL_OVERHEAD bytes; TKMS_ERR_STORE_TAMPERED (pt zeroed) on
   any mismatch, including a sealed_len that is not pt_len + overhead. */
TKMS_MUST_USE tkms_err store_unseal(uint8_t *pt, size_t pt_len, const tkms_store *s,
                                    const uint8_t key[TKMS_STORE_SECRET_BYTES],
                                    const store_aad *aad, const uint8_t *sealed, size_t sealed_len);
/* seal_key and key_id from the master key and db_id. */
TKMS_MUST_USE tkms_err store_keys_derive(tkms_store *s, const tkms_store_secret *master);

/* ---- masterkey.c ---- */
TKMS_MUST_USE tkms_err store_master_key_load(tkms_store_secret *out, const tkms_store_options *o);

/* ---- sql.c ---- */
/* Maps an SQLite result to a tkms_err, records the detail line, marks the handle failed. */
TKMS_MUST_USE tkms_err store_fail_sqlite(tkms_store *s, int rc, const char *where);
/* Records the detail line and marks the handle failed (for non-SQLite failures). */
TKMS_MUST_USE tkms_err store_fail(tkms_store *s, tkms_err err, const char *where);
TKMS_MUST_USE tkms_err store_exec(tkms_store *s, const char *sql, const char *where);
TKMS_MUST_USE tkms_err store_prepare(tkms_store *s, sqlite3_stmt **st, const char *sql,
                                     const char *where);
/* fmt: 'i' int64_t, 'u' uint64_t (<= INT64_MAX, asserted), 'b' (const void *, size_t),
   'n' NULL. */
TKMS_MUST_USE tkms_err store_bind(tkms_store *s, sqlite3_stmt *st, const char *where,
                                  const char *fmt, ...);
/* sqlite3_step: SQLITE_ROW -> *row = true, SQLITE_DONE -> false, else an error. */
TKMS_MUST_USE tkms_err store_step(tkms_store *s, sqlite3_stmt *st, bool *row, const char *where);
/* Steps a statement that must not return rows, then finalizes it. */
TKMS_MUST_USE tkms_err store_step_done(tkms_store *s, sqlite3_stmt *st, const char *where);
/* A BLOB column of exactly/at most the given size (TKMS_ERR_STORE_CORRUPT otherwise). */
TKMS_MUST_USE tkms_err store_column_blob(tkms_store *s, sqlite3_stmt *st, int col,
                                         const uint8_t **ptr, size_t *len, size_t len_min,
                                         size_t len_max, const char *where);
TKMS_MUST_USE tkms_err store_column_id(tkms_store *s, sqlite3_stmt *st, int col, uint64_t *out,
                                       const char *where);
/* Runs fn inside BEGIN IMMEDIATE … COMMIT; any error rolls back. */
typedef tkms_err (*store_txn_fn)(tkms_store *s, void *ctx);
TKMS_MUST_USE tkms_err store_txn(tkms_store *s, store_txn_fn fn, void *ctx, const char *where);
/* PRAGMA wal_checkpoint(TRUNCATE): the WAL file ends at length 0. */
TKMS_MUST_USE tkms_err store_checkpoint(tkms_store *s, const char *where);
/* TKMS_ERR_STORE_FAILED if the handle is poisoned, else TKMS_OK. */
TKMS_MUST_USE tkms_err store_usable(const tkms_store *s);
/* True for errors that describe the caller's request, not the database (no poisoning). */
bool store_err_is_request(tkms_err err);
/* Row count of a table (name is a constant from this layer). */
TKMS_MUST_USE tkms_err store_count(tkms_store *s, const char *sql, uint64_t *count,
                                   const char *where);

/* ---- schema.c ---- */
/* Fresh (empty) file: schema, binding and key check in one transaction. */
TKMS_MUST_USE tkms_err store_schema_create(tkms_store *s, const tkms_store_binding *binding,
                                           const tkms_store_secret *master);
/* Existing file: refuse a newer schema, load meta, check the master key and the check
   value. Writes nothing. */
TKMS_MUST_USE tkms_err store_schema_load(tkms_store *s, const tkms_store_secret *master);
/* An older schema: every missing step and the version bump in one transaction. Run only
   after the key and the binding were accepted (a refused file is never modified). */
TKMS_MUST_USE tkms_err store_schema_migrate(tkms_store *s);
/* The check value of the meta row for the given binding (sealed under seal_key). */
void store_meta_check_seal(uint8_t *out, const tkms_store *s, const tkms_store_binding *b);

/* ---- versions.c / keys.c (wrapping keys) ---- */
#define STORE_WRAP_SEALED_BYTES (TKMS_STORE_SECRET_BYTES + STORE_SEAL_OVERHEAD)
/* Creates a random wrapping key for (owner table, owner key), inserts its sealed form and
   returns its id and value. */
TKMS_MUST_USE tkms_err store_wrap_create(tkms_store *s, const char *owner, uint64_t owner_key,
                                         int64_t *id, uint8_t key[TKMS_STORE_SECRET_BYTES]);
TKMS_MUST_USE tkms_err store_wrap_load(tkms_store *s, int64_t id, const char *owner,
                                       uint64_t owner_key, uint8_t key[TKMS_STORE_SECRET_BYTES]);

/* ---- verify.c ---- */
/* quick_check, row counts, orphans, and every secret row authenticated. */
TKMS_MUST_USE tkms_err store_verify_all(tkms_store *s);

#endif
