/*
 * state.c — the protocol state blob (tkms_proto_state_encode output), sealed under the
 * master-derived key, one row, replaced atomically by each PERSIST action.
 *
 * A put is one transaction; the blob is sealed before the transaction starts, so the
 * transaction itself only writes. If an erase ran since the last put (meta.scrub_pending),
 * the put clears the flag and runs a TRUNCATE checkpoint after its commit: the previous
 * blob (which still held the erased share) is then zeroed in the main file by
 * secure_delete and gone from the WAL, whichever order the node used for PERSIST and
 * ERASE. It does not interpret the blob. Spec: protocol.md I4, I5, §5.
 */
#include <string.h>

#include "common/tkms_ct.h"
#include "store/internal.h"

typedef struct {
    const uint8_t *sealed;
    size_t sealed_len;
    bool scrub; /* out: a checkpoint is owed after commit */
} state_put_ctx;

static void state_aad(store_aad *aad) {
    TKMS_ASSERT(aad != NULL);
    store_aad_set(aad, "state", 1, 0, "proto_state");
}

static tkms_err state_put_txn(tkms_store *s, void *vctx) {
    state_put_ctx *c = vctx;
    TKMS_ASSERT(c->sealed != NULL);
    TKMS_ASSERT(c->sealed_len > STORE_SEAL_OVERHEAD);
    uint64_t scrub = 0;
    tkms_err err =
        store_count(s, "SELECT scrub_pending FROM meta WHERE id = 1", &scrub, "state_put_scrub");
    sqlite3_stmt *st = NULL;
    if (err == TKMS_OK) {
        err = store_prepare(s, &st,
                            "INSERT INTO state(id, sealed) VALUES (1, ?)"
                            " ON CONFLICT(id) DO UPDATE SET sealed = excluded.sealed",
                            "state_put");
    }
    if (err == TKMS_OK) {
        err = store_bind(s, st, "state_put", "b", c->sealed, c->sealed_len);
    }
    if (err != TKMS_OK) {
        sqlite3_finalize(st);
        return err;
    }
    err = store_step_done(s, st, "state_put");
    if (err == TKMS_OK && scrub != 0) {
        err = store_exec(s, "UPDATE meta SET scrub_pending = 0 WHERE id = 1", "state_put_scrub");
        c->scrub = true;
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_store_state_put(tkms_store *s, const uint8_t *blob, size_t len) {
    TKMS_ASSERT(s != NULL);
    TKMS_ASSERT(blob != NULL || len == 0);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (len == 0) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "state_put");
    }
    if (len > TKMS_STORE_STATE_BYTES_MAX) {
        return store_fail(s, TKMS_ERR_TOO_LARGE, "state_put");
    }
    state_put_ctx c = {NULL, len + STORE_SEAL_OVERHEAD, false};
    uint8_t *sealed = sqlite3_malloc64(c.sealed_len);
    if (sealed == NULL) {
        return store_fail(s, TKMS_ERR_OUT_OF_MEMORY, "state_put_alloc");
    }
    store_aad aad;
    state_aad(&aad);
    store_seal(sealed, s, s->seal_key, &aad, blob, len);
    c.sealed = sealed;
    err = store_txn(s, state_put_txn, &c, "state_put");
    sqlite3_free(sealed);
    TKMS_ASSERT(err == TKMS_OK || s->failed); /* every failure here is a storage failure */
    if (err == TKMS_OK && c.scrub) {
        err = store_checkpoint(s, "state_put_checkpoint");
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_store_state_get(tkms_store *s, uint8_t *out, size_t out_max,
                                          size_t *out_len) {
    TKMS_ASSERT(s != NULL && out_len != NULL);
    TKMS_ASSERT(out != NULL || out_max == 0);
    *out_len = 0;
    tkms_err err = store_usable(s);
    sqlite3_stmt *st = NULL;
    bool row = false;
    if (err == TKMS_OK) {
        err = store_prepare(s, &st, "SELECT sealed FROM state WHERE id = 1", "state_get");
    }
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, "state_get");
    }
    if (err == TKMS_OK && !row) {
        err = store_fail(s, TKMS_ERR_STORE_NOT_FOUND, "state_get");
    }
    const uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    if (err == TKMS_OK) {
        err = store_column_blob(s, st, 0, &sealed, &sealed_len, STORE_SEAL_OVERHEAD + 1,
                                STORE_SEAL_OVERHEAD + TKMS_STORE_STATE_BYTES_MAX, "state_get");
    }
    size_t len = sealed_len - STORE_SEAL_OVERHEAD;
    if (err == TKMS_OK && len > out_max) {
        *out_len = len; /* the size needed */
        err = store_fail(s, TKMS_ERR_STORE_BUFFER_TOO_SMALL, "state_get");
    } else if (err == TKMS_OK) {
        store_aad aad;
        state_aad(&aad);
        err = store_unseal(out, len, s, s->seal_key, &aad, sealed, sealed_len);
        err = err == TKMS_OK ? TKMS_OK : store_fail(s, err, "state_get");
        *out_len = err == TKMS_OK ? len : 0;
    }
    sqlite3_finalize(st);
    TKMS_ASSERT(*out_len <= out_max || err == TKMS_ERR_STORE_BUFFER_TOO_SMALL);
    TKMS_ASSERT(err == TKMS_OK || err == TKMS_ERR_STORE_BUFFER_TOO_SMALL || *out_len == 0);
    return err;
}
