/*
 * release.c — a cache of app releases read from the chain (public data: image digest,
 * registry, envs as the node encodes them), so a restarted node can serve before its
 * first chain read. Each row carries a tag (AES-GCM over no plaintext, AAD = app, block,
 * sha256 of the data) so a modified cache entry is refused rather than authorizing a
 * wrong image.
 *
 * Bounded (R11): TKMS_STORE_RELEASE_BYTES_MAX per entry, TKMS_STORE_RELEASES_MAX entries;
 * at the cap the least recently written entry is evicted (it is a cache: the chain stays
 * the source of truth, chain.md AppController). An older block never replaces a newer one.
 */
#include <string.h>

#include "store/internal.h"

#define TAG_BYTES STORE_SEAL_OVERHEAD /* a seal of zero bytes */

static void release_aad(store_aad *aad, const uint8_t app[TKMS_STORE_ADDRESS_BYTES], uint64_t block,
                        const uint8_t *data, size_t len) {
    TKMS_ASSERT(app != NULL && data != NULL);
    TKMS_ASSERT(len <= TKMS_STORE_RELEASE_BYTES_MAX);
    store_aad_set(aad, "app_release", block, 0, "release");
    const tkms_prim_buf parts[] = {{app, TKMS_STORE_ADDRESS_BYTES}, {data, len}};
    tkms_prim_sha256_parts(aad->context, parts, 2);
}

typedef struct {
    const uint8_t *app;
    uint64_t block;
    const uint8_t *data;
    size_t len;
    uint8_t tag[TAG_BYTES];
} release_put_ctx;

/* The cached block of app, or false if there is none. */
static tkms_err release_block(tkms_store *s, const uint8_t *app, bool *found, uint64_t *block) {
    TKMS_ASSERT(app != NULL && found != NULL && block != NULL);
    TKMS_ASSERT(sqlite3_get_autocommit(s->db) == 0); /* read inside the put's transaction */
    sqlite3_stmt *st = NULL;
    tkms_err err =
        store_prepare(s, &st, "SELECT block FROM app_release WHERE app = ?", "release_put");
    if (err == TKMS_OK) {
        err = store_bind(s, st, "release_put", "b", app, (size_t)TKMS_STORE_ADDRESS_BYTES);
    }
    if (err == TKMS_OK) {
        err = store_step(s, st, found, "release_put");
    }
    *block = 0;
    if (err == TKMS_OK && *found) {
        err = store_column_id(s, st, 0, block, "release_put");
    }
    sqlite3_finalize(st);
    return err;
}

static tkms_err release_put_txn(tkms_store *s, void *vctx) {
    release_put_ctx *c = vctx;
    TKMS_ASSERT(c->app != NULL && c->data != NULL);
    TKMS_ASSERT(c->block <= TKMS_STORE_ID_MAX && c->len <= TKMS_STORE_RELEASE_BYTES_MAX);
    bool found = false;
    uint64_t cached = 0, rows = 0, written = 0;
    tkms_err err = release_block(s, c->app, &found, &cached);
    if (err != TKMS_OK || (found && cached > c->block)) {
        return err; /* never go back to an older release */
    }
    if (!found) {
        err = store_count(s, "SELECT count(*) FROM app_release", &rows, "release_put");
    }
    if (err == TKMS_OK && rows >= TKMS_STORE_RELEASES_MAX) {
        err = store_exec(s,
                         "DELETE FROM app_release WHERE app ="
                         " (SELECT app FROM app_release ORDER BY written LIMIT 1)",
                         "release_evict");
    }
    if (err == TKMS_OK) {
        err = store_count(s, "SELECT coalesce(max(written), 0) + 1 FROM app_release", &written,
                          "release_put");
    }
    sqlite3_stmt *st = NULL;
    if (err == TKMS_OK) {
        err = store_prepare(s, &st,
                            "INSERT INTO app_release(app, block, written, data, tag)"
                            " VALUES (?, ?, ?, ?, ?) ON CONFLICT(app) DO UPDATE SET"
                            " block = excluded.block, written = excluded.written,"
                            " data = excluded.data, tag = excluded.tag",
                            "release_put");
    }
    if (err == TKMS_OK) {
        err = store_bind(s, st, "release_put", "buubb", c->app, (size_t)TKMS_STORE_ADDRESS_BYTES,
                         c->block, written, c->data, c->len, c->tag, sizeof c->tag);
    }
    if (err == TKMS_OK) {
        return store_step_done(s, st, "release_put");
    }
    sqlite3_finalize(st);
    return err;
}

TKMS_EXPORT tkms_err tkms_store_release_put(tkms_store *s,
                                            const uint8_t app[TKMS_STORE_ADDRESS_BYTES],
                                            uint64_t block, const uint8_t *data, size_t len) {
    TKMS_ASSERT(s != NULL && app != NULL);
    TKMS_ASSERT(data != NULL || len == 0);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (block > TKMS_STORE_ID_MAX) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "release_put");
    }
    if (len > TKMS_STORE_RELEASE_BYTES_MAX) {
        return store_fail(s, TKMS_ERR_TOO_LARGE, "release_put");
    }
    static const uint8_t empty[1];
    release_put_ctx c = {app, block, len ? data : empty, len, {0}};
    store_aad aad;
    release_aad(&aad, app, block, c.data, len);
    store_seal(c.tag, s, s->seal_key, &aad, empty, 0);
    err = store_txn(s, release_put_txn, &c, "release_put");
    TKMS_ASSERT(err == TKMS_OK || err != TKMS_ERR_STORE_NOT_FOUND);
    return err;
}

/* Checks the tag, then copies the data out. */
static tkms_err release_copy(tkms_store *s, sqlite3_stmt *st, const uint8_t *app, uint64_t block,
                             uint8_t *out, size_t out_max, size_t *out_len) {
    TKMS_ASSERT(st != NULL && out_len != NULL);
    TKMS_ASSERT(out != NULL || out_max == 0);
    const char *w = "release_get";
    const uint8_t *data = NULL, *tag = NULL;
    size_t len = 0, tag_len = 0;
    tkms_err err = store_column_blob(s, st, 1, &data, &len, 0, TKMS_STORE_RELEASE_BYTES_MAX, w);
    if (err == TKMS_OK) {
        err = store_column_blob(s, st, 2, &tag, &tag_len, TAG_BYTES, TAG_BYTES, w);
    }
    if (err == TKMS_OK && len > out_max) {
        *out_len = len;
        return store_fail(s, TKMS_ERR_STORE_BUFFER_TOO_SMALL, w);
    }
    if (err == TKMS_OK) {
        static const uint8_t empty[1];
        store_aad aad;
        release_aad(&aad, app, block, len ? data : empty, len);
        uint8_t none[1];
        err = store_unseal(none, 0, s, s->seal_key, &aad, tag, tag_len);
        err = err == TKMS_OK ? TKMS_OK : store_fail(s, err, w);
    }
    if (err == TKMS_OK) {
        TKMS_ASSERT(len <= out_max && tag_len == TAG_BYTES);
        if (len > 0) {
            memcpy(out, data, len);
        }
        *out_len = len;
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_store_release_get(tkms_store *s,
                                            const uint8_t app[TKMS_STORE_ADDRESS_BYTES],
                                            uint64_t *block, uint8_t *out, size_t out_max,
                                            size_t *out_len) {
    TKMS_ASSERT(s != NULL && app != NULL && block != NULL);
    TKMS_ASSERT(out_len != NULL && (out != NULL || out_max == 0));
    *block = 0;
    *out_len = 0;
    tkms_err err = store_usable(s);
    sqlite3_stmt *st = NULL;
    bool row = false;
    if (err == TKMS_OK) {
        err = store_prepare(s, &st, "SELECT block, data, tag FROM app_release WHERE app = ?",
                            "release_get");
    }
    if (err == TKMS_OK) {
        err = store_bind(s, st, "release_get", "b", app, (size_t)TKMS_STORE_ADDRESS_BYTES);
    }
    if (err == TKMS_OK) {
        err = store_step(s, st, &row, "release_get");
    }
    if (err == TKMS_OK && !row) {
        err = TKMS_ERR_STORE_NOT_FOUND;
    }
    uint64_t b = 0;
    if (err == TKMS_OK) {
        err = store_column_id(s, st, 0, &b, "release_get");
    }
    if (err == TKMS_OK) {
        err = release_copy(s, st, app, b, out, out_max, out_len);
    }
    sqlite3_finalize(st);
    *block = err == TKMS_OK ? b : 0;
    TKMS_ASSERT(err == TKMS_OK || *out_len == 0 || err == TKMS_ERR_STORE_BUFFER_TOO_SMALL);
    return err;
}
