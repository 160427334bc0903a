/*
 * schema.c — the schema, its migrations, and the meta row: database id, master-key
 * fingerprint, binding (chain id, EpochLog, MPK) and a sealed check value over them.
 *
 * Versioning: schema_version holds one integer. A fresh file runs every migration from 0
 * plus the meta row in ONE transaction, so a crash during creation leaves an empty file
 * that the next open creates again. An older file runs the missing steps and the version
 * bump in one transaction; a newer one is refused (we cannot know what it means). The
 * file also carries SQLite's application_id ("tkms"), so a foreign database is refused
 * before anything is written to it.
 * It does not open the file or set pragmas (open.c). Spec: protocol.md I3 (binding).
 */
#include <string.h>

#include "common/tkms_ct.h"
#include "store/internal.h"

static const char check_plain[] = "tkms-store-check-v1";
#define CHECK_PLAIN_BYTES (sizeof check_plain - 1)
#define CHECK_SEALED_BYTES (CHECK_PLAIN_BYTES + STORE_SEAL_OVERHEAD)

/* migrations[v] takes the schema from version v to v + 1. Never edit a shipped step. */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 0 -> 1: binding, state, key versions, operator keys. */
    "CREATE TABLE schema_version(id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version INTEGER NOT NULL);"
    "INSERT INTO schema_version VALUES (1, 0);"
    "CREATE TABLE meta(id INTEGER PRIMARY KEY CHECK (id = 1),"
    " db_id BLOB NOT NULL CHECK (length(db_id) = 16),"
    " key_id BLOB NOT NULL CHECK (length(key_id) = 16),"
    " chain_id INTEGER NOT NULL,"
    " epoch_log BLOB NOT NULL CHECK (length(epoch_log) = 20),"
    " mpk BLOB CHECK (mpk IS NULL OR length(mpk) = 96),"
    " check_sealed BLOB NOT NULL,"
    " scrub_pending INTEGER NOT NULL DEFAULT 0 CHECK (scrub_pending IN (0, 1)));"
    "CREATE TABLE state(id INTEGER PRIMARY KEY CHECK (id = 1), sealed BLOB NOT NULL);"
    "CREATE TABLE wrap_key(id INTEGER PRIMARY KEY, sealed BLOB NOT NULL);"
    "CREATE TABLE key_version(version INTEGER PRIMARY KEY,"
    " wrap INTEGER NOT NULL UNIQUE REFERENCES wrap_key(id) ON DELETE CASCADE,"
    " status INTEGER NOT NULL CHECK (status IN (1, 2)),"
    " public BLOB NOT NULL, sealed BLOB NOT NULL);"
    "CREATE TABLE ed25519_key(id INTEGER PRIMARY KEY CHECK (id = 1),"
    " public BLOB NOT NULL, sealed BLOB NOT NULL);"
    "CREATE TABLE x25519_key(epoch INTEGER PRIMARY KEY,"
    " wrap INTEGER NOT NULL UNIQUE REFERENCES wrap_key(id) ON DELETE CASCADE,"
    " public BLOB NOT NULL, sealed BLOB NOT NULL);",
    /* 1 -> 2: the app release cache (public, authenticated by a tag). */
    "CREATE TABLE app_release(app BLOB PRIMARY KEY CHECK (length(app) = 20),"
    " block INTEGER NOT NULL, written INTEGER NOT NULL, data BLOB NOT NULL,"
    " tag BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX app_release_written ON app_release(written);",
};

/* The public fields the check value authenticates. */
static void binding_context(uint8_t out[STORE_CONTEXT_BYTES], const tkms_store *s,
                            const tkms_store_binding *b) {
    TKMS_ASSERT(out != NULL && b != NULL);
    TKMS_ASSERT(b->chain_id != 0);
    uint8_t chain[8], flag = b->has_mpk ? 1 : 0;
    static const uint8_t no_mpk[TKMS_STORE_MPK_BYTES];
    for (int i = 0; i < 8; i++) {
        chain[i] = (uint8_t)(b->chain_id >> (56 - 8 * i));
    }
    const tkms_prim_buf parts[] = {
        {chain, sizeof chain},
        {b->epoch_log, sizeof b->epoch_log},
        {&flag, 1},
        {b->has_mpk ? b->mpk : no_mpk, TKMS_STORE_MPK_BYTES},
        {s->key_id, sizeof s->key_id},
    };
    tkms_prim_sha256_parts(out, parts, sizeof parts / sizeof parts[0]);
}

void store_meta_check_seal(uint8_t *out, const tkms_store *s, const tkms_store_binding *b) {
    TKMS_ASSERT(out != NULL && b != NULL);
    TKMS_ASSERT(b->chain_id != 0);
    store_aad aad;
    store_aad_set(&aad, "meta", 1, 0, "check");
    binding_context(aad.context, s, b);
    store_seal(out, s, s->seal_key, &aad, (const uint8_t *)check_plain, CHECK_PLAIN_BYTES);
}

static tkms_err run_migrations(tkms_store *s, uint64_t from) {
    TKMS_ASSERT(from < STORE_SCHEMA_VERSION);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0); /* all steps in one transaction */
    tkms_err err = TKMS_OK;
    for (uint64_t v = from; v < STORE_SCHEMA_VERSION && err == TKMS_OK; v++) {
        err = store_exec(s, migrations[v], "schema_migrate");
    }
    sqlite3_stmt *st = NULL;
    if (err == TKMS_OK) {
        err = store_prepare(s, &st, "UPDATE schema_version SET version = ? WHERE id = 1",
                            "schema_version_set");
    }
    if (err == TKMS_OK) {
        err = store_bind(s, st, "schema_version_set", "u", (uint64_t)STORE_SCHEMA_VERSION);
    }
    if (err == TKMS_OK) {
        err = store_step_done(s, st, "schema_version_set");
    } else {
        sqlite3_finalize(st);
    }
    return err;
}

static tkms_err create_txn(tkms_store *s, void *ctx) {
    const tkms_store_binding *b = ctx;
    TKMS_ASSERT(b->chain_id != 0 && b->chain_id <= (uint64_t)INT64_MAX);
    uint64_t objects = 0;
    tkms_err err = store_count(s, "SELECT count(*) FROM sqlite_schema", &objects, "create");
    if (err == TKMS_OK && objects != 0) {
        err = store_fail(s, TKMS_ERR_STORE_NOT_TKMS, "create");
    }
    if (err == TKMS_OK) {
        err = run_migrations(s, 0);
    }
    if (err == TKMS_OK) {
        /* 0x746b6d73 = STORE_APPLICATION_ID */
        err = store_exec(s, "PRAGMA application_id = 1953197427", "create_application_id");
    }
    uint8_t check[CHECK_SEALED_BYTES];
    store_meta_check_seal(check, s, b);
    sqlite3_stmt *st = NULL;
    if (err == TKMS_OK) {
        err = store_prepare(s, &st,
                            "INSERT INTO meta(id, db_id, key_id, chain_id, epoch_log, mpk,"
                            " check_sealed) VALUES (1, ?, ?, ?, ?, ?, ?)",
                            "create_meta");
    }
    if (err == TKMS_OK) {
        err = b->has_mpk
                  ? store_bind(s, st, "create_meta", "bbubbb", s->db_id, sizeof s->db_id, s->key_id,
                               sizeof s->key_id, b->chain_id, b->epoch_log, sizeof b->epoch_log,
                               b->mpk, sizeof b->mpk, check, sizeof check)
                  : store_bind(s, st, "create_meta", "bbubnb", s->db_id, sizeof s->db_id, s->key_id,
                               sizeof s->key_id, b->chain_id, b->epoch_log, sizeof b->epoch_log,
                               check, sizeof check);
    }
    if (err == TKMS_OK) {
        return store_step_done(s, st, "create_meta");
    }
    sqlite3_finalize(st);
    return err;
}

tkms_err store_schema_create(tkms_store *s, const tkms_store_binding *binding,
                             const tkms_store_secret *master) {
    TKMS_ASSERT(s != NULL && binding != NULL);
    TKMS_ASSERT(master != NULL);
    tkms_rng_fill(s->rng, s->db_id, sizeof s->db_id);
    tkms_err err = store_keys_derive(s, master);
    if (err == TKMS_OK) {
        err = store_txn(s, create_txn, (void *)binding, "create");
    }
    if (err == TKMS_OK) {
        s->binding = *binding;
    }
    TKMS_ASSERT(err == TKMS_OK || s->failed);
    return err;
}

static tkms_err version_read(tkms_store *s, uint64_t *version) {
    TKMS_ASSERT(s != NULL && version != NULL);
    return store_count(s, "SELECT version FROM schema_version WHERE id = 1", version,
                       "schema_version");
}

static tkms_err migrate_txn(tkms_store *s, void *ctx) {
    (void)ctx;
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0);
    uint64_t version = 0;
    tkms_err err = version_read(s, &version);
    if (err != TKMS_OK) {
        return err;
    }
    if (version > STORE_SCHEMA_VERSION) {
        return store_fail(s, TKMS_ERR_STORE_SCHEMA_NEWER, "migrate");
    }
    if (version == 0) {
        return store_fail(s, TKMS_ERR_STORE_CORRUPT, "migrate");
    }
    return version == STORE_SCHEMA_VERSION ? TKMS_OK : run_migrations(s, version);
}

/* Reads the meta row into s (db_id, key_id, binding) and its sealed check value. */
static tkms_err meta_read(tkms_store *s, uint8_t check[CHECK_SEALED_BYTES]) {
    TKMS_ASSERT(check != NULL);
    TKMS_ASSERT(!s->failed);
    const char *w = "meta_read";
    sqlite3_stmt *st = NULL;
    tkms_err err = store_prepare(s, &st,
                                 "SELECT db_id, key_id, chain_id, epoch_log, mpk, check_sealed"
                                 " FROM meta WHERE id = 1",
                                 w);
    bool row = false;
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, w);
    }
    if (err == TKMS_OK && !row) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, w);
    }
    const uint8_t *p[6] = {0};
    size_t n[6] = {0};
    static const size_t sizes[6] = {
        STORE_DB_ID_BYTES,        STORE_KEY_ID_BYTES,   0,
        TKMS_STORE_ADDRESS_BYTES, TKMS_STORE_MPK_BYTES, CHECK_SEALED_BYTES};
    for (int c = 0; c < 6 && err == TKMS_OK; c++) {
        if (c == 2 || (c == 4 && sqlite3_column_type(st, 4) == SQLITE_NULL)) {
            continue;
        }
        err = store_column_blob(s, st, c, &p[c], &n[c], sizes[c], sizes[c], w);
    }
    if (err == TKMS_OK && sqlite3_column_type(st, 2) != SQLITE_INTEGER) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, w);
    }
    if (err == TKMS_OK) {
        memcpy(s->db_id, p[0], STORE_DB_ID_BYTES);
        memcpy(s->key_id, p[1], STORE_KEY_ID_BYTES);
        s->binding.chain_id = (uint64_t)sqlite3_column_int64(st, 2);
        memcpy(s->binding.epoch_log, p[3], TKMS_STORE_ADDRESS_BYTES);
        s->binding.has_mpk = p[4] != NULL;
        if (p[4] != NULL) {
            memcpy(s->binding.mpk, p[4], TKMS_STORE_MPK_BYTES);
        }
        memcpy(check, p[5], CHECK_SEALED_BYTES);
    }
    sqlite3_finalize(st);
    return err;
}

/* The master key must give the stored fingerprint, then the check value must open. */
static tkms_err meta_verify(tkms_store *s, const tkms_store_secret *master,
                            const uint8_t check[CHECK_SEALED_BYTES]) {
    TKMS_ASSERT(master != NULL && check != NULL);
    TKMS_ASSERT(!s->failed);
    uint8_t stored_key_id[STORE_KEY_ID_BYTES];
    memcpy(stored_key_id, s->key_id, sizeof stored_key_id);
    tkms_err err = store_keys_derive(s, master);
    if (err != TKMS_OK) {
        return store_fail(s, err, "meta_keys");
    }
    if (!tkms_ct_bytes_equal(stored_key_id, s->key_id, sizeof stored_key_id)) {
        return store_fail(s, TKMS_ERR_STORE_WRONG_KEY, "meta_key_id");
    }
    store_aad aad;
    store_aad_set(&aad, "meta", 1, 0, "check");
    binding_context(aad.context, s, &s->binding);
    uint8_t plain[CHECK_PLAIN_BYTES];
    err = store_unseal(plain, sizeof plain, s, s->seal_key, &aad, check, CHECK_SEALED_BYTES);
    if (err == TKMS_OK && memcmp(plain, check_plain, CHECK_PLAIN_BYTES) != 0) {
        err = TKMS_ERR_STORE_TAMPERED;
    }
    return err == TKMS_OK ? TKMS_OK : store_fail(s, err, "meta_check");
}

tkms_err store_schema_load(tkms_store *s, const tkms_store_secret *master) {
    TKMS_ASSERT(s != NULL && master != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) != 0);
    uint64_t version = 0;
    tkms_err err = version_read(s, &version);
    if (err == TKMS_OK && version > STORE_SCHEMA_VERSION) {
        err = store_fail(s, TKMS_ERR_STORE_SCHEMA_NEWER, "schema_version");
    }
    if (err == TKMS_OK && version == 0) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "schema_version");
    }
    uint8_t check[CHECK_SEALED_BYTES];
    if (err == TKMS_OK) {
        err = meta_read(s, check); /* meta's v1 columns are readable at every version */
    }
    if (err == TKMS_OK) {
        err = meta_verify(s, master, check);
    }
    /* chain_id is authenticated by the check value, written only by create (nonzero). */
    TKMS_ASSERT(err != TKMS_OK || s->binding.chain_id != 0);
    return err;
}

tkms_err store_schema_migrate(tkms_store *s) {
    TKMS_ASSERT(s != NULL && !s->failed);
    TKMS_ASSERT(s->binding.chain_id != 0); /* key and binding were checked first */
    uint64_t version = 0;
    tkms_err err = version_read(s, &version);
    if (err == TKMS_OK && version != STORE_SCHEMA_VERSION) {
        err = store_txn(s, migrate_txn, NULL, "migrate");
    }
    return err;
}

/* ---- binding ------------------------------------------------------------------------- */

TKMS_EXPORT void tkms_store_binding_get(const tkms_store *s, tkms_store_binding *out) {
    TKMS_ASSERT(s != NULL && out != NULL);
    TKMS_ASSERT(s->binding.chain_id != 0);
    *out = s->binding;
}

static tkms_err mpk_bind_txn(tkms_store *s, void *ctx) {
    tkms_store_binding *b = ctx;
    TKMS_ASSERT(b->has_mpk);
    TKMS_ASSERT(b->chain_id == s->binding.chain_id);
    uint8_t check[CHECK_SEALED_BYTES];
    store_meta_check_seal(check, s, b);
    sqlite3_stmt *st = NULL;
    tkms_err err = store_prepare(
        s, &st, "UPDATE meta SET mpk = ?, check_sealed = ? WHERE id = 1 AND mpk IS NULL",
        "mpk_bind");
    if (err == TKMS_OK) {
        err = store_bind(s, st, "mpk_bind", "bb", b->mpk, sizeof b->mpk, check, sizeof check);
    }
    if (err != TKMS_OK) {
        sqlite3_finalize(st);
        return err;
    }
    err = store_step_done(s, st, "mpk_bind");
    if (err == TKMS_OK && sqlite3_changes(s->db) != 1) {
        err = store_fail(s, TKMS_ERR_STORE_CORRUPT, "mpk_bind");
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_store_mpk_bind(tkms_store *s, const uint8_t mpk[TKMS_STORE_MPK_BYTES]) {
    TKMS_ASSERT(s != NULL && mpk != NULL);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (s->binding.has_mpk) {
        /* The MPK is public: a plain comparison is fine. */
        return memcmp(s->binding.mpk, mpk, TKMS_STORE_MPK_BYTES) == 0
                   ? TKMS_OK
                   : store_fail(s, TKMS_ERR_STORE_BINDING_MISMATCH, "mpk_bind");
    }
    tkms_store_binding b = s->binding;
    b.has_mpk = true;
    memcpy(b.mpk, mpk, TKMS_STORE_MPK_BYTES);
    err = store_txn(s, mpk_bind_txn, &b, "mpk_bind");
    if (err == TKMS_OK) {
        s->binding = b;
    }
    TKMS_ASSERT(err != TKMS_OK || s->binding.has_mpk);
    return err;
}
