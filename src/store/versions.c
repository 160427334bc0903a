/*
 * versions.c — key versions: a version's share (sealed under the version's own wrapping
 * key), its status (PENDING until its epoch finalizes with this node's hash, then
 * ACTIVE) and its public data (opaque to the store: the node's encoding of the combined
 * commitments, threshold and state hash).
 *
 * Thin checks over the generic wrapped rows of wrapped.c. It does not decide when a
 * version is activated or erased (proto's ACTIVATE/ERASE actions do). Spec: protocol.md
 * §4 step 6–7, §5, I2 (a share never changes), I5.
 */
#include <string.h>

#include "store/wrapped.h"

const store_wrapped_table store_version_table = {
    .name = "key_version",
    .sql_select = "SELECT wrap, status, public, sealed FROM key_version WHERE version = ?1",
    .sql_insert = "INSERT INTO key_version(version, wrap, status, public, sealed)"
                  " VALUES (?1, ?2, ?3, ?4, ?5)",
    .sql_update = "UPDATE key_version SET status = ?2, sealed = ?3 WHERE version = ?1",
    .sql_list = "SELECT version, status FROM key_version ORDER BY version LIMIT ?1",
    .sql_count = "SELECT count(*) FROM key_version",
    .rows_max = TKMS_STORE_VERSIONS_MAX,
    .public_max = TKMS_STORE_VERSION_PUBLIC_BYTES_MAX,
};

TKMS_EXPORT tkms_err tkms_store_version_put(tkms_store *s, const tkms_store_version_info *info,
                                            const tkms_store_secret *share) {
    TKMS_ASSERT(s != NULL && info != NULL);
    TKMS_ASSERT(share != NULL);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (info->version > TKMS_STORE_ID_MAX ||
        (info->status != TKMS_STORE_VERSION_PENDING && info->status != TKMS_STORE_VERSION_ACTIVE)) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "version_put");
    }
    if (info->public_len > TKMS_STORE_VERSION_PUBLIC_BYTES_MAX) {
        return store_fail(s, TKMS_ERR_TOO_LARGE, "version_put");
    }
    err = store_wrapped_put(s, &store_version_table, info, share);
    TKMS_ASSERT(err != TKMS_ERR_STORE_NOT_FOUND); /* put creates what is missing */
    return err;
}

TKMS_EXPORT tkms_err tkms_store_version_activate(tkms_store *s, uint64_t version) {
    TKMS_ASSERT(s != NULL);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (version > TKMS_STORE_ID_MAX) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "version_activate");
    }
    return store_wrapped_status_raise(s, &store_version_table, version, TKMS_STORE_VERSION_ACTIVE);
}

TKMS_EXPORT tkms_err tkms_store_version_get(tkms_store *s, uint64_t version,
                                            tkms_store_version_info *info,
                                            tkms_store_secret *share) {
    TKMS_ASSERT(s != NULL && info != NULL);
    memset(info, 0, sizeof *info);
    if (share != NULL) {
        memset(share, 0, sizeof *share);
    }
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (version > TKMS_STORE_ID_MAX) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "version_get");
    }
    err = store_wrapped_get(s, &store_version_table, version, info, share);
    TKMS_ASSERT(err != TKMS_OK || info->version == version);
    return err;
}

TKMS_EXPORT tkms_err tkms_store_version_list(tkms_store *s,
                                             uint64_t versions[TKMS_STORE_VERSIONS_MAX],
                                             uint8_t status[TKMS_STORE_VERSIONS_MAX],
                                             size_t *count) {
    TKMS_ASSERT(s != NULL && versions != NULL);
    TKMS_ASSERT(status != NULL && count != NULL);
    *count = 0;
    tkms_err err = store_usable(s);
    if (err == TKMS_OK) {
        err = store_wrapped_list(s, &store_version_table, versions, status, count);
    }
    TKMS_ASSERT(*count <= TKMS_STORE_VERSIONS_MAX);
    return err;
}

TKMS_EXPORT tkms_err tkms_store_version_erase(tkms_store *s, uint64_t version) {
    TKMS_ASSERT(s != NULL);
    tkms_err err = store_usable(s);
    if (err != TKMS_OK) {
        return err;
    }
    if (version > TKMS_STORE_ID_MAX) {
        return store_fail(s, TKMS_ERR_INVALID_ARGUMENT, "version_erase");
    }
    return store_wrapped_erase(s, &store_version_table, version);
}
