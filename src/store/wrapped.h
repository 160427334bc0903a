/*
 * wrapped.h — the generic "secret under its own wrapping key" table (wrapped.c), used by
 * key versions (versions.c) and X25519 epoch keys (keys.c). Internal to src/store.
 * Rows are described with tkms_store_version_info (key, status, public data); tables
 * without a status column select the constant 1 (PENDING) and ignore the bound status.
 */
#ifndef TKMS_STORE_WRAPPED_H
#define TKMS_STORE_WRAPPED_H

#include "store/internal.h"

typedef struct {
    const char *name;       /* table name: the AAD table and the wrapping key's owner */
    const char *sql_select; /* ?1 key -> wrap, status, public, sealed */
    const char *sql_insert; /* ?1 key, ?2 wrap, ?3 status, ?4 public, ?5 sealed */
    const char *sql_update; /* ?1 key, ?2 status, ?3 sealed */
    const char *sql_list;   /* ?1 limit -> key, status in ascending key order */
    const char *sql_count;  /* -> row count */
    size_t rows_max;
    size_t public_max;
} store_wrapped_table;

extern const store_wrapped_table store_version_table;
extern const store_wrapped_table store_x25519_table;

TKMS_MUST_USE tkms_err store_wrapped_put(tkms_store *s, const store_wrapped_table *t,
                                         const tkms_store_version_info *info,
                                         const tkms_store_secret *secret);
/* secret may be NULL; the row is authenticated either way. */
TKMS_MUST_USE tkms_err store_wrapped_get(tkms_store *s, const store_wrapped_table *t, uint64_t key,
                                         tkms_store_version_info *info, tkms_store_secret *secret);
TKMS_MUST_USE tkms_err store_wrapped_status_raise(tkms_store *s, const store_wrapped_table *t,
                                                  uint64_t key, uint8_t status);
/* keys has rows_max entries; status may be NULL. */
TKMS_MUST_USE tkms_err store_wrapped_list(tkms_store *s, const store_wrapped_table *t,
                                          uint64_t *keys, uint8_t *status, size_t *count);
/* Idempotent; checkpoints (TRUNCATE) after the commit. */
TKMS_MUST_USE tkms_err store_wrapped_erase(tkms_store *s, const store_wrapped_table *t,
                                           uint64_t key);

#endif
