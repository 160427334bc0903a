/*
 * store.h — the node's write-ahead persistence: one SQLite file per node holding the
 * protocol state blob, key-version shares, operator keys and a cache of app releases.
 *
 * Contract (spec: protocol.md I3, I4, I5, §4.5, §5; style R5–R9, R11, R14, R20)
 * - Durability (I4). Every write call is one SQLite transaction (BEGIN IMMEDIATE … COMMIT)
 *   in WAL mode with synchronous=FULL: when it returns TKMS_OK the change is on disk and
 *   survives a process kill or power loss; when it returns an error the database holds
 *   either the old or the new value, never a mix. A failed write, sync or allocation makes
 *   the handle refuse every later call with TKMS_ERR_STORE_FAILED: the node must halt
 *   and restart (style R6); it never "logs and continues".
 * - Binding (I3). A database is bound at creation to (chain id, EpochLog address) and
 *   later, once, to the MPK (tkms_store_mpk_bind). Opening with another chain id or
 *   EpochLog, or another MPK once both are known, fails with
 *   TKMS_ERR_STORE_BINDING_MISMATCH.
 * - Secrets at rest. Every secret (state blob, shares, Ed25519 seed, X25519 keys) is
 *   sealed with AES-256-GCM under keys derived by HKDF from a 32-byte master key that is
 *   read from a key file (mode 0600, owned by the caller, not in or below the database's
 *   directory) or an environment variable, and is never written anywhere by the store.
 *   Each sealed value carries its own 32-byte random salt (per-value key and nonce) and
 *   is authenticated together with (database id, table, row key, purpose, public context),
 *   so values cannot be swapped between rows or databases. Public rows (binding, release
 *   cache) are authenticated the same way. Open verifies every secret row: a modified
 *   byte gives TKMS_ERR_STORE_TAMPERED, a different master key TKMS_ERR_STORE_WRONG_KEY;
 *   no call ever returns unauthenticated plaintext.
 * - Erasure (I5, §5). Each key version and each X25519 key is sealed under its own random
 *   wrapping key, itself stored sealed under the master-derived key. Erasing deletes the
 *   wrapping key and the row in one transaction with secure_delete on (freed pages are
 *   zeroed), then runs a TRUNCATE checkpoint so the WAL no longer holds the old pages.
 *   docs/store.md states what this does and does not reach (file-system and SSD blocks).
 * - Bounds (R11): every blob has a size cap and every table a row cap (Limits below).
 * - Threads and ownership: a tkms_store is owned by one thread (the node loop, R15); the
 *   database file is locked exclusively while open, so a second process (or handle) gets
 *   TKMS_ERR_STORE_BUSY. tkms_store_open allocates the handle; tkms_store_close frees it
 *   (NULL accepted) and wipes the derived keys. The only borrowed pointer kept is
 *   options.rng, which must outlive the handle.
 * - Errors: fallible calls return tkms_err (store_errors.def, 700–799, plus
 *   TKMS_ERR_INVALID_ARGUMENT, TKMS_ERR_TOO_LARGE, TKMS_ERR_OUT_OF_MEMORY) and zero their
 *   outputs on failure. tkms_store_detail() gives one line for the log (the SQLite code and
 *   message and the failing step); it never contains key material or row contents.
 * - Not here: the protocol logic (proto), chain reads, the nonce journal of the chain client
 *   (chain/nonces.c keeps its own write-ahead file), backups, rollback detection.
 */
#ifndef TKMS_STORE_H
#define TKMS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tkms_err.h"
#include "common/tkms_rng.h"

/* ---- Limits (style R11) ------------------------------------------------------------- */
#define TKMS_STORE_SECRET_BYTES 32                /* master key, share, seeds, X25519 keys */
#define TKMS_STORE_ADDRESS_BYTES 20               /* EpochLog, app ids */
#define TKMS_STORE_MPK_BYTES 96                   /* compressed G2 */
#define TKMS_STORE_STATE_BYTES_MAX (1u << 20)     /* tkms_proto_state_encode() output */
#define TKMS_STORE_VERSION_PUBLIC_BYTES_MAX 8192  /* commitments etc. of one version */
#define TKMS_STORE_VERSIONS_MAX 16                /* key versions held (proto: 8) */
#define TKMS_STORE_X25519_KEYS_MAX 8              /* epoch keys alive (proto: 4) */
#define TKMS_STORE_RELEASE_BYTES_MAX (128u << 10) /* one cached app release */
#define TKMS_STORE_RELEASES_MAX 4096              /* cached apps; the oldest entry is evicted */
#define TKMS_STORE_ID_MAX INT64_MAX               /* versions, epochs, blocks (SQLite INTEGER) */
#define TKMS_STORE_BUSY_TIMEOUT_MS_DEFAULT 5000
#define TKMS_STORE_BUSY_TIMEOUT_MS_MAX 600000
#define TKMS_STORE_DETAIL_BYTES 192
#define TKMS_STORE_KEY_ENV_DEFAULT "TKMS_STORE_MASTER_KEY"

/* A 32-byte secret (style R9): wipe with tkms_wipe() when done. */
typedef struct {
    uint8_t bytes[TKMS_STORE_SECRET_BYTES];
} tkms_store_secret;

/* What the database is bound to (protocol.md I3). */
typedef struct {
    uint64_t chain_id; /* nonzero */
    uint8_t epoch_log[TKMS_STORE_ADDRESS_BYTES];
    bool has_mpk;
    uint8_t mpk[TKMS_STORE_MPK_BYTES];
} tkms_store_binding;

/* Where the master key comes from. The key is 32 bytes: a file of exactly 32 raw bytes
   or 64 hex digits (optionally newline-terminated); a variable of 64 hex digits. An
   all-zero key is refused. A variable is wiped in place and unset once read, so call
   tkms_store_open before starting threads. KEY_BYTES is for a key the node obtained
   elsewhere (e.g. unsealed by a TPM); tests use it too. */
typedef enum {
    TKMS_STORE_KEY_FILE = 1,
    TKMS_STORE_KEY_ENV = 2,
    TKMS_STORE_KEY_BYTES = 3,
} tkms_store_key_source;

typedef struct {
    const char *path; /* the database file; created 0600 if missing */
    tkms_store_key_source key_source;
    const char *key_name;         /* KEY_FILE: its path; KEY_ENV: name (NULL = default) */
    const tkms_store_secret *key; /* KEY_BYTES only */
    tkms_store_binding binding;   /* has_mpk: also checked against a bound MPK */
    uint32_t busy_timeout_ms;     /* 0 = TKMS_STORE_BUSY_TIMEOUT_MS_DEFAULT */
    const tkms_rng *rng;          /* salts, ids, wrapping keys; NULL = tkms_rng_os() */
    char *detail; /* optional, TKMS_STORE_DETAIL_BYTES: why open failed (no secrets) */
} tkms_store_options;

typedef struct tkms_store tkms_store;

/* ---- Open and close ------------------------------------------------------------------ */

/* Opens (or creates) the database: checks file and key permissions, applies the pragmas,
   creates or migrates the schema in one transaction (a newer schema is refused:
   TKMS_ERR_STORE_SCHEMA_NEWER), checks the master key and the binding, runs
   quick_check and authenticates every secret row. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_open(tkms_store **out,
                                                   const tkms_store_options *options);
/* Checkpoints (best effort: everything committed is already durable), closes, wipes. */
TKMS_EXPORT void tkms_store_close(tkms_store *s);
/* One line about the last failure ("" if none); no secrets. */
TKMS_EXPORT const char *tkms_store_detail(const tkms_store *s);

TKMS_EXPORT void tkms_store_binding_get(const tkms_store *s, tkms_store_binding *out);
/* Binds the MPK once (I3): the same MPK again is TKMS_OK, another one
   TKMS_ERR_STORE_BINDING_MISMATCH. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_mpk_bind(tkms_store *s,
                                                       const uint8_t mpk[TKMS_STORE_MPK_BYTES]);

/* ---- The protocol state (the PERSIST action) ----------------------------------------- */

/* Atomically replaces the state blob (1..TKMS_STORE_STATE_BYTES_MAX bytes). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_state_put(tkms_store *s, const uint8_t *blob,
                                                        size_t len);
/* TKMS_ERR_STORE_NOT_FOUND if never written; TKMS_ERR_STORE_BUFFER_TOO_SMALL with
 *out_len = the size needed when out_max is too small. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_state_get(tkms_store *s, uint8_t *out, size_t out_max,
                                                        size_t *out_len);

/* ---- Key versions ---------------------------------------------------------------------- */

typedef enum {
    TKMS_STORE_VERSION_PENDING = 1,
    TKMS_STORE_VERSION_ACTIVE = 2,
} tkms_store_version_status;

/* The public part of a version: status and opaque public data (the node's encoding of
   the combined commitments, threshold, state hash). */
typedef struct {
    uint64_t version;
    uint8_t status; /* tkms_store_version_status */
    uint32_t public_len;
    uint8_t public_data[TKMS_STORE_VERSION_PUBLIC_BYTES_MAX];
} tkms_store_version_info;

/* Stores a version's share under a fresh wrapping key. Idempotent: putting a version that
   exists with the same share and public data is TKMS_OK (and may raise PENDING to
   ACTIVE); anything else for an existing version is TKMS_ERR_STORE_CONFLICT (a share never
   changes, I2). TKMS_ERR_STORE_FULL beyond TKMS_STORE_VERSIONS_MAX. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_version_put(tkms_store *s,
                                                          const tkms_store_version_info *info,
                                                          const tkms_store_secret *share);
/* PENDING -> ACTIVE (ACTIVE stays ACTIVE); TKMS_ERR_STORE_NOT_FOUND if absent. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_version_activate(tkms_store *s, uint64_t version);
/* share may be NULL to read only the public part. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_version_get(tkms_store *s, uint64_t version,
                                                          tkms_store_version_info *info,
                                                          tkms_store_secret *share);
/* Versions held, ascending, with their status. */
TKMS_EXPORT TKMS_MUST_USE tkms_err
tkms_store_version_list(tkms_store *s, uint64_t versions[TKMS_STORE_VERSIONS_MAX],
                        uint8_t status[TKMS_STORE_VERSIONS_MAX], size_t *count);
/* Deletes the wrapping key and the row (secure_delete), then a TRUNCATE checkpoint.
   Idempotent: an absent version is TKMS_OK (a replay after a crash). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_version_erase(tkms_store *s, uint64_t version);

/* ---- Operator keys --------------------------------------------------------------------- */

/* The operator's Ed25519 seed (its identity on chain): written once; the same seed again
   is TKMS_OK, another one TKMS_ERR_STORE_CONFLICT. get() also gives the public key. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_ed25519_put(tkms_store *s,
                                                          const tkms_store_secret *seed);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_ed25519_get(tkms_store *s, tkms_store_secret *seed,
                                                          uint8_t public_key[32]);

/* X25519 epoch keys by the epoch they were published for (§4.5), each under its own
   wrapping key; put() is idempotent like version_put; erase() like version_erase. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_x25519_put(tkms_store *s, uint64_t epoch,
                                                         const tkms_store_secret *private_key);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_x25519_get(tkms_store *s, uint64_t epoch,
                                                         tkms_store_secret *private_key,
                                                         uint8_t public_key[32]);
TKMS_EXPORT TKMS_MUST_USE tkms_err
tkms_store_x25519_list(tkms_store *s, uint64_t epochs[TKMS_STORE_X25519_KEYS_MAX], size_t *count);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_store_x25519_erase(tkms_store *s, uint64_t epoch);

/* ---- App release cache (public data) --------------------------------------------------- */

/* Caches the release of `app` read at final block `block` (opaque bytes, at most
   TKMS_STORE_RELEASE_BYTES_MAX). An older block than the cached one is ignored (TKMS_OK).
   At TKMS_STORE_RELEASES_MAX apps the least recently written entry is evicted. */
TKMS_EXPORT TKMS_MUST_USE tkms_err
tkms_store_release_put(tkms_store *s, const uint8_t app[TKMS_STORE_ADDRESS_BYTES], uint64_t block,
                       const uint8_t *data, size_t len);
TKMS_EXPORT TKMS_MUST_USE tkms_err
tkms_store_release_get(tkms_store *s, const uint8_t app[TKMS_STORE_ADDRESS_BYTES], uint64_t *block,
                       uint8_t *out, size_t out_max, size_t *out_len);

#endif
