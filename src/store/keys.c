/*
 * keys.c — the operator's keys: the Ed25519 seed (its peer-signing identity, published on
 * chain, so written once and never replaced) sealed under the master-derived key, and
 * the X25519 epoch keys (§4.5), each under its own wrapping key so that erasing one
 * reaches every copy (wrapped.c).
 *
 * It does not decide when an X25519 key may be erased (proto does, §4.5). Public keys are
 * stored beside the sealed private key and bound into its AAD; after every load the pair
 * is checked again (style R7: pair the check before persisting and after loading).
 */
#include <string.h>

#include "common/tkms_ct.h"
#include "store/wrapped.h"

const store_wrapped_table store_x25519_table = {
    .name = "x25519_key",
    .sql_select = "SELECT wrap, 1, public, sealed FROM x25519_key WHERE epoch = ?1",
    .sql_insert = "INSERT INTO x25519_key(epoch, wrap, public, sealed)"
                  " VALUES (?1, ?2, ?4, ?5)", /* ?3 (status) is not stored */
    .sql_update = NULL,                       /* X25519 keys have no status to raise */
    .sql_list = "SELECT epoch, 1 FROM x25519_key ORDER BY epoch LIMIT ?1",
    .sql_count = "SELECT count(*) FROM x25519_key",
    .rows_max = TKMS_STORE_X25519_KEYS_MAX,
    .public_max = TKMS_PRIM_X25519_BYTES,
};

/* ---- X25519 -------------------------------------------------------------------------- */

TKMS_EXPORT tkms_err tkms_store_x25519_put(tkms_store *s, uint64_t epoch,
                                           const tkms_store_secret *private_key) {
    TKMS_ASSERT(s != NULL && private_key != NULL);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (epoch > TKMS_STORE_ID_MAX) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "x25519_put");
    }
    tkms_store_version_info *info = sqlite3_malloc64(sizeof *info);
    if (info == NULL) {
        return store_fail(s, TKMS_ERR_OUT_OF_MEMORY, "x25519_put");
    }
    memset(info, 0, sizeof *info);
    info->version = epoch;
    info->status = TKMS_STORE_VERSION_PENDING;
    info->public_len = TKMS_PRIM_X25519_BYTES;
    tkms_prim_x25519_public(info->public_data, private_key->bytes);
    err = store_wrapped_put(s, &store_x25519_table, info, private_key);
    sqlite3_free(info);
    TKMS_ASSERT(err != TKMS_ERR_STORE_NOT_FOUND);
    return err;
}

TKMS_EXPORT tkms_err tkms_store_x25519_get(tkms_store *s, uint64_t epoch,
                                           tkms_store_secret *private_key, uint8_t public_key[32]) {
    TKMS_ASSERT(s != NULL && private_key != NULL);
    TKMS_ASSERT(public_key != NULL);
    memset(private_key, 0, sizeof *private_key);
    memset(public_key, 0, 32);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (epoch > TKMS_STORE_ID_MAX) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "x25519_get");
    }
    tkms_store_version_info *info = sqlite3_malloc64(sizeof *info);
    if (info == NULL) {
        return store_fail(s, TKMS_ERR_OUT_OF_MEMORY, "x25519_get");
    }
    err = store_wrapped_get(s, &store_x25519_table, epoch, info, private_key);
    if (err == TKMS_OK) {
        TKMS_ASSERT(info->public_len == TKMS_PRIM_X25519_BYTES); /* authenticated */
        uint8_t derived[TKMS_PRIM_X25519_BYTES];
        tkms_prim_x25519_public(derived, private_key->bytes);
        TKMS_ASSERT(memcmp(derived, info->public_data, sizeof derived) == 0);
        memcpy(public_key, derived, sizeof derived);
    }
    sqlite3_free(info);
    return err;
}

TKMS_EXPORT tkms_err tkms_store_x25519_list(tkms_store *s,
                                            uint64_t epochs[TKMS_STORE_X25519_KEYS_MAX],
                                            size_t *count) {
    TKMS_ASSERT(s != NULL && epochs != NULL);
    TKMS_ASSERT(count != NULL);
    *count = 0;
    tkms_err err = store_usable(s);
    if (err == TKMS_OK) {
        err = store_wrapped_list(s, &store_x25519_table, epochs, NULL, count);
    }
    TKMS_ASSERT(*count <= TKMS_STORE_X25519_KEYS_MAX);
    return err;
}

TKMS_EXPORT tkms_err tkms_store_x25519_erase(tkms_store *s, uint64_t epoch) {
    TKMS_ASSERT(s != NULL);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (epoch > TKMS_STORE_ID_MAX) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "x25519_erase");
    }
    return store_wrapped_erase(s, &store_x25519_table, epoch);
}

/* ---- Ed25519 ------------------------------------------------------------------------- */

static void ed25519_aad(store_aad *aad, const uint8_t public_key[32]) {
    TKMS_ASSERT(aad != NULL && public_key != NULL);
    _Static_assert(STORE_CONTEXT_BYTES == 32, "the public key is the context");
    store_aad_set(aad, "ed25519_key", 1, 0, "seed");
    memcpy(aad->context, public_key, 32);
}

/* Reads and opens the seed; TKMS_ERR_STORE_NOT_FOUND (plain) if there is none. */
static tkms_err ed25519_read(tkms_store *s, tkms_store_secret *seed, uint8_t public_key[32]) {
    TKMS_ASSERT(seed != NULL && public_key != NULL);
    TKMS_ASSERT(!s->failed);
    const char *w = "ed25519_get";
    sqlite3_stmt *st = NULL;
    bool row = false;
    tkms_err err = store_prepare(s, &st, "SELECT public, sealed FROM ed25519_key WHERE id = 1", w);
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, w);
    }
    if (err == TKMS_OK && !row) {
        err = TKMS_ERR_STORE_NOT_FOUND;
    }
    const uint8_t *pub = NULL, *sealed = NULL;
    size_t pub_len = 0, sealed_len = 0;
    if (err == TKMS_OK) {
        err = store_column_blob(s, st, 0, &pub, &pub_len, 32, 32, w);
    }
    if (err == TKMS_OK) {
        err = store_column_blob(s, st, 1, &sealed, &sealed_len, 0, 128, w);
    }
    if (err == TKMS_OK) {
        store_aad aad;
        ed25519_aad(&aad, pub);
        memcpy(public_key, pub, 32);
        err =
            store_unseal(seed->bytes, sizeof seed->bytes, s, s->seal_key, &aad, sealed, sealed_len);
        err = err == TKMS_OK ? TKMS_OK : store_fail(s, err, w);
    }
    sqlite3_finalize(st);
    if (err == TKMS_OK) {
        uint8_t derived[32];
        tkms_prim_ed25519_public(derived, seed->bytes);
        TKMS_ASSERT(memcmp(derived, public_key, 32) == 0); /* authenticated pair */
    }
    return err;
}

static tkms_err ed25519_put_txn(tkms_store *s, void *ctx) {
    const tkms_store_secret *seed = ctx;
    TKMS_ASSERT(seed != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0);
    tkms_store_secret old;
    uint8_t pub[32];
    tkms_err err = ed25519_read(s, &old, pub);
    if (err == TKMS_OK) {
        bool same = tkms_ct_bytes_equal(old.bytes, seed->bytes, sizeof old.bytes);
        tkms_wipe(&old, sizeof old);
        return same ? TKMS_OK : store_fail(s, TKMS_ERR_STORE_CONFLICT, "ed25519_put");
    }
    if (err != TKMS_ERR_STORE_NOT_FOUND) {
        return err;
    }
    tkms_prim_ed25519_public(pub, seed->bytes);
    store_aad aad;
    ed25519_aad(&aad, pub);
    uint8_t sealed[TKMS_STORE_SECRET_BYTES + STORE_SEAL_OVERHEAD];
    store_seal(sealed, s, s->seal_key, &aad, seed->bytes, sizeof seed->bytes);
    sqlite3_stmt *st = NULL;
    err = store_prepare(s, &st, "INSERT INTO ed25519_key(id, public, sealed) VALUES (1, ?, ?)",
                        "ed25519_put");
    if (err == TKMS_OK) {
        err = store_bind(s, st, "ed25519_put", "bb", pub, sizeof pub, sealed, sizeof sealed);
    }
    if (err == TKMS_OK) {
        return store_step_done(s, st, "ed25519_put");
    }
    sqlite3_finalize(st);
    return err;
}

TKMS_EXPORT tkms_err tkms_store_ed25519_put(tkms_store *s, const tkms_store_secret *seed) {
    TKMS_ASSERT(s != NULL && seed != NULL);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    err = store_txn(s, ed25519_put_txn, (void *)seed, "ed25519_put");
    TKMS_ASSERT(err == TKMS_OK || err == TKMS_ERR_STORE_CONFLICT || s->failed);
    return err;
}

TKMS_EXPORT tkms_err tkms_store_ed25519_get(tkms_store *s, tkms_store_secret *seed,
                                            uint8_t public_key[32]) {
    TKMS_ASSERT(s != NULL && seed != NULL);
    TKMS_ASSERT(public_key != NULL);
    tkms_err err = store_usable(s);
    if (err == TKMS_OK) {
        err = ed25519_read(s, seed, public_key);
    }
    if (err != TKMS_OK) {
        tkms_wipe(seed, sizeof *seed);
        memset(public_key, 0, 32);
    }
    TKMS_ASSERT(err == TKMS_OK || err == TKMS_ERR_STORE_NOT_FOUND || s->failed);
    return err;
}
