/*
 * driver.h — the node core of tkmsd: configuration (config.c), operator keys (keys.c),
 * chain views (view.c, view_source.c), the peer outbox (driver_peers.c), the published
 * snapshot (driver_snapshot.c) and the node loop (driver.c). For src/node only.
 *
 * Threads (style R15): the node loop owns the protocol state, the store, the chain client
 * used for views and transactions, and the viewer's caches. The peer outbox has its own
 * thread and its own HTTP handles; it only gets copies of public bytes (signed envelopes,
 * record hashes) and puts verified records into the thread-safe record pool.
 *
 * Spec: protocol.md §3–§8 (I1 views from pinned reads, I4 persist before announce, I6 act
 * on final blocks only), chain.md "Node-side chain access", api.md (peer endpoints).
 */
#ifndef TKMS_NODE_DRIVER_H
#define TKMS_NODE_DRIVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chain/chain.h"
#include "node/node.h"
#include "proto/proto.h"
#include "store/store.h"

/* ---- configuration (config.c) ------------------------------------------------------------ */

#define NODE_CONFIG_ERRORS_MAX 32
#define NODE_CONFIG_ERROR_BYTES 240
#define NODE_CONFIG_FILE_BYTES_MAX (256u << 10)

typedef struct {
    size_t count;
    char line[NODE_CONFIG_ERRORS_MAX][NODE_CONFIG_ERROR_BYTES];
} node_config_errors;

/* Fills *out from, in increasing precedence: defaults, the JSON file named by --config (or
   env TKMS_CONFIG), environment variables TKMS_<KEY>, and flags --<key-with-dashes> VALUE
   (or --key=VALUE). argv holds the options only (no program name). Every problem gets one
   line in *errors (unknown key, wrong type, out of range, missing required value, a path
   that does not exist); the result is TKMS_OK only when there is none. envp may be NULL
   (then no environment is read). */
TKMS_MUST_USE tkms_err node_config_load(node_config *out, node_config_errors *errors, int argc,
                                        char *const *argv, char *const *envp);
/* The JSON-file stage alone, on text: defaults, the members, the required keys; no
   environment, flags or file-system checks (the config fuzzer's entry point). */
TKMS_MUST_USE tkms_err node_config_load_text(node_config *out, node_config_errors *errors,
                                             const char *text, size_t len);
/* The options, their environment names and defaults, for --help. */
void node_config_usage(FILE *out);

/* ---- operator keys (keys.c) -------------------------------------------------------------- */

/* The node key file (JSON, mode 0600): the secp256k1 chain key, the Ed25519 peer-signing
   seed and the seed of the protocol DRBG (which also derives the first X25519 epoch key,
   registered on chain). All three are secret. */
typedef struct {
    tkms_chain_key chain;
    uint8_t ed25519_seed[32];
    uint8_t drbg_seed[32];
} node_keys;

/* The public values an operator registers: address, Ed25519 key, first X25519 key. */
typedef struct {
    tkms_chain_address address;
    uint8_t ed25519[32];
    uint8_t x25519[32];
} node_keys_public;

TKMS_MUST_USE tkms_err node_keys_load(node_keys *out, const char *path);
/* Creates path (must not exist: TKMS_ERR_NODE_KEY_FILE_EXISTS) with mode 0600, fsynced. */
TKMS_MUST_USE tkms_err node_keys_save(const char *path, const node_keys *k);
void node_keys_public_get(node_keys_public *out, const node_keys *k);
void node_keys_wipe(node_keys *k);
/* `tkmsd keygen …` (argv[0] = "keygen"); returns the process exit status. */
int node_keygen_main(int argc, char **argv);

/* ---- chain views (view.c, view_source.c) ------------------------------------------------- */

#define NODE_SOURCE_CACHE 8 /* combined commitments of source versions (style R11) */
#define NODE_VIEW_ERROR_BYTES 320
#define NODE_ABI_POOL 1024 /* decoded values of one view call: 64 operators × 3 arrays … */

/* The storage behind one tkms_proto_chain_view (its pointers point in here). */
typedef struct {
    tkms_proto_chain_view v;
    tkms_chain_hash block_hash; /* the final block every read was pinned to */
    uint64_t block_timestamp;
    tkms_proto_commitments dealing[TKMS_PROTO_OPERATORS_MAX];
    tkms_proto_commitments source_commitments;
    uint8_t opened_share[TKMS_PROTO_OPERATORS_MAX][TKMS_PROTO_OPERATORS_MAX][32];
    uint8_t record[TKMS_PROTO_OPERATORS_MAX][TKMS_PROTO_RECORD_BYTES_MAX];
} node_view;

typedef struct {
    bool valid;
    uint64_t version;
    tkms_proto_commitments combined;
} node_source_entry;

/* Reads chain views for one deployment; owned by the node loop (it uses the loop's client). */
typedef struct {
    tkms_chain_client *chain;
    tkms_chain_address registry, epoch_log;
    tkms_proto_config config; /* chain id, EpochLog, self, interval and offsets */
    const tkms_proto_group *group;
    node_records *records; /* borrowed */
    /* the revealed commitments of the current epoch, checked against the chain's hashes */
    uint64_t cache_epoch;
    uint64_t cache_have; /* bit i: cache_dealing[i] holds dealer i's commitments */
    uint8_t cache_hash[TKMS_PROTO_OPERATORS_MAX][32];
    tkms_proto_commitments cache_dealing[TKMS_PROTO_OPERATORS_MAX];
    node_source_entry source[NODE_SOURCE_CACHE];
    size_t source_next;
    tkms_proto_commitments scratch[TKMS_PROTO_OPERATORS_MAX]; /* a source version's dealings */
    tkms_chain_abi_value pool_values[NODE_ABI_POOL];
    char error[NODE_VIEW_ERROR_BYTES]; /* why the last build failed (no secrets) */
} node_viewer;

/* Builds the view as of the final block `at`: every eth_call pinned to its hash (EIP-1898),
   DealingRevealed logs checked against the on-chain commitment hashes, the source version's
   combined commitments recomputed from chain data and checked against its winning state
   hash, and the pool's records that match committed hashes. Any failed read fails the
   whole build (I1: never a partial view): TKMS_ERR_NODE_VIEW_READ, _VIEW_MALFORMED,
   _COMMITMENTS_MISSING or _SOURCE_INVALID, with a line in vw->error. */
TKMS_MUST_USE tkms_err node_view_build(node_viewer *vw, node_view *out,
                                       const tkms_chain_header *at);
/* The same reads for a past `epoch` at block `at` (no global part, no records): what
   tkms_proto_late_wanted() asks for (proto.h, the late share). */
TKMS_MUST_USE tkms_err node_view_build_past(node_viewer *vw, node_view *out,
                                            const tkms_chain_header *at, uint64_t epoch);

/* Pinned helper shared by the view files: eth_call of signature(args) at block `at`,
   decoded as `outputs` into *out. The values live in vw->pool_values and *keep (free it
   with tkms_chain_bytes_free) and are valid until the next call. */
TKMS_MUST_USE tkms_err node_view_call(node_viewer *vw, tkms_chain_abi_value *out,
                                      tkms_chain_bytes *keep, const tkms_chain_address *to,
                                      const char *signature, const tkms_chain_abi_value *args,
                                      const char *outputs, const tkms_chain_hash *at);
/* For every i in `want`, the commitments dealer addr[i] revealed in `epoch` (t of them),
   found in the DealingRevealed logs of that epoch's reveal window up to to_block and
   checked against hash[i] (the on-chain sha256 of the commitments). Fails with
   TKMS_ERR_NODE_COMMITMENTS_MISSING unless every wanted one is found. */
TKMS_MUST_USE tkms_err node_view_revealed_scan(node_viewer *vw, tkms_proto_commitments *out,
                                               uint64_t epoch, uint16_t t,
                                               const uint8_t (*addr)[20],
                                               const uint8_t (*hash)[32], uint64_t want,
                                               uint64_t to_block);
/* The combined commitments of finalized version `version` (cached): D from dealerSet, the
   dealers' revealed commitments, summed (DKG) or Lagrange-weighted over D's points
   (reshare), and checked against versionInfo's winning state hash. */
TKMS_MUST_USE tkms_err node_view_source_commitments(node_viewer *vw, tkms_proto_commitments *out,
                                                    uint64_t version, const tkms_chain_hash *at);
/* Operators of epoch `epoch` (O as of its trigger, ascending) at block `at`. */
TKMS_MUST_USE tkms_err node_view_operators(node_viewer *vw, uint8_t (*out)[20], uint32_t *count,
                                           uint64_t epoch, const tkms_chain_hash *at);

/* Extra view signatures (the rest are chain.h's TKMS_CHAIN_* macros); each is checked
   against the compiled artifacts by tests/node/test_driver_abi.c. */
#define NODE_SIG_EPOCH_ACTIVE "epochActive(uint64)"
#define NODE_SIG_BOOL_OUT "(bool)"
#define NODE_SIG_RETAINED "retainedVersions()"
#define NODE_SIG_U64_ARRAY_OUT "(uint64[])"
#define NODE_SIG_VERSION_INFO "versionInfo(uint64)"
#define NODE_SIG_VERSION_INFO_OUT "(bool,uint64,uint16,uint64,bytes32)"
#define NODE_SIG_REGISTRY_EPOCH_LOG "epochLog()"
#define NODE_SIG_ADDRESS_OUT "(address)"
#define NODE_SIG_EPOCHLOG_REGISTRY "registry()"
#define NODE_SIG_EPOCH_KEY_AT "epochKeyAt(address,uint64)"
#define NODE_SIG_BYTES32_OUT "(bytes32)"

/* ---- peer outbox (driver_peers.c) -------------------------------------------------------- */

#define NODE_OUTBOX_JOBS_MAX 512       /* pushes and fetches in flight (style R11) */
#define NODE_OUTBOX_BACKOFF_MS_MIN 200 /* first retry delay, doubled per attempt ... */
#define NODE_OUTBOX_BACKOFF_MS_MAX 5000
#define NODE_OUTBOX_TIMEOUT_MS 3000    /* one HTTP attempt */
#define NODE_PEER_PATH "/v1/peer"
#define NODE_PEER_RECORD_PATH "/v1/peer/record/"

typedef struct node_outbox node_outbox;

/* Starts the outbox thread. records (borrowed, thread-safe) receives fetched records. */
TKMS_MUST_USE tkms_err node_outbox_start(node_outbox **out, node_records *records,
                                         const tkms_proto_domain *domain);
/* Stops the thread, drops pending jobs, frees (NULL accepted). */
void node_outbox_stop(node_outbox *o);
/* The newest final height: jobs whose deadline block is below it are dropped. */
void node_outbox_height_set(node_outbox *o, uint64_t height);
/* POST body (a JSON envelope) to base_url + "/v1/peer", retried with exponential backoff
   until it succeeds (2xx) or the final height passes deadline_block. */
TKMS_MUST_USE tkms_err node_outbox_push(node_outbox *o, const char *base_url, const char *body,
                                        size_t body_len, uint64_t epoch, uint64_t deadline_block);
/* GET base_url + "/v1/peer/record/<hash>"; the answer enters the record pool only if its
   record hash (computed from its parts) equals hash. Deduplicated by (url, hash). */
TKMS_MUST_USE tkms_err node_outbox_fetch(node_outbox *o, const char *base_url,
                                         const uint8_t hash[32], uint64_t epoch,
                                         uint64_t deadline_block);
/* Counters for /metrics and tests. */
typedef struct {
    uint64_t pushed, push_failures, fetched, fetch_failures, dropped;
} node_outbox_stats;
void node_outbox_stats_get(node_outbox *o, node_outbox_stats *out);
/* The last outcome with the peer at base_url; false if nothing was ever sent to it. */
bool node_outbox_peer_status(node_outbox *o, const char *base_url, bool *reachable,
                             uint64_t *last_ok);

/* ---- the node loop (driver.c) ------------------------------------------------------------ */

typedef struct node_driver node_driver;

typedef struct {
    const node_config *config; /* borrowed for the driver's life */
    node_keys *keys;           /* borrowed; the driver copies what it needs */
    node_snapshots *snapshots; /* borrowed: where snapshots are published */
    node_records *records;     /* borrowed: the peer-record pool */
    struct node_metrics *metrics;     /* borrowed, may be NULL */
    struct node_chain_reader *reader; /* borrowed, may be NULL: release-cache invalidation */
    atomic_bool *stop;         /* set by the signal handler: leave the loop */
} node_driver_options;

/* Opens the chain client, checks the deployment (registry ↔ EpochLog, chain id, the
   registry's parameters and confirmations), opens the store (bound to chain id and
   EpochLog), loads or creates the protocol state, syncs the nonce store and starts the
   outbox. Logs and returns an error for anything that stops the node from starting. */
TKMS_MUST_USE tkms_err node_driver_open(node_driver **out, const node_driver_options *o);
/* The loop: until *stop. Returns TKMS_OK after a stop request, or the error that halted
   the node (a failed store write, a reorg beyond final, a protocol halt). */
TKMS_MUST_USE tkms_err node_driver_run(node_driver *d);
void node_driver_close(node_driver *d);

/* ---- the published snapshot (driver_snapshot.c) ------------------------------------------ */

/* Public data of a held version that never changes once finalized (cached by the loop). */
typedef struct {
    bool valid;
    uint64_t version;
    uint64_t activated_at;
    uint32_t dealer_count;
    uint8_t dealers[TKMS_PROTO_OPERATORS_MAX][20];
    uint32_t operator_count;
    node_operator operators[TKMS_PROTO_OPERATORS_MAX];
} node_version_public;

/* Reads O(v), D(v), the trigger block's timestamp and current app URLs of version v, and
   computes every operator's public share from the combined commitments. */
TKMS_MUST_USE tkms_err node_version_public_read(node_viewer *vw, node_version_public *out,
                                                const tkms_proto_version *held,
                                                const tkms_chain_hash *at);

#endif
