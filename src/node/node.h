/*
 * node.h — tkmsd's internal seams: configuration, the snapshot the node loop publishes
 * for the HTTP threads, and the peer-record pool. (tkmsd is a program, not a library:
 * this header is for src/node only.)
 *
 * Threads (style R15). One node-loop thread owns the protocol state, the store and the
 * chain session: it follows the chain, builds pinned views, steps the state machine,
 * executes its actions in order, and after every step publishes an immutable
 * node_snapshot. libmicrohttpd's worker threads never touch the protocol state: they read
 * the current snapshot (acquire/release, reference counted), put verified peer records
 * into the record pool, and read chain data through their own caches. Nothing blocks the
 * node loop on a request.
 *
 * Secrets: the snapshot holds the shares of the held versions (the HTTP threads compute
 * partials from them). It is freed with tkms_wipe; it is never logged or serialized.
 */
#ifndef TKMS_NODE_H
#define TKMS_NODE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto/proto.h"

/* ---- configuration (config.c) --------------------------------------------------------- */

#define NODE_URL_BYTES_MAX 256
#define NODE_PATH_BYTES_MAX 1024

typedef struct {
    /* identity and files */
    char data_dir[NODE_PATH_BYTES_MAX];      /* SQLite store, nonce file */
    char key_file[NODE_PATH_BYTES_MAX];      /* operator keys (tkms keygen), mode 0600 */
    char seal_key_file[NODE_PATH_BYTES_MAX]; /* store master key (or env TKMS_SEAL_KEY) */
    /* chain */
    char rpc_url[NODE_URL_BYTES_MAX];
    uint64_t chain_id;
    uint8_t kms_registry[20], epoch_log[20], app_controller[20];
    uint32_t confirmations;
    uint32_t poll_ms;
    /* listeners */
    char app_listen[64];  /* "127.0.0.1:8081" */
    char peer_listen[64]; /* may equal app_listen */
    uint32_t http_threads;
    /* limits (api.md "Limits") */
    uint32_t body_bytes_max, secrets_body_bytes_max, header_bytes_max, read_timeout_s;
    uint32_t ip_rps, ip_burst, app_rps, app_burst, in_flight_max;
    /* attestation */
    bool dev_ecdsa_enabled;
    char attest_policy_file[NODE_PATH_BYTES_MAX]; /* gcp/sev-snp policy (attest.h), optional */
    /* added by the HTTP layer (docs/http.md) */
    char attest_jwks[NODE_PATH_BYTES_MAX]; /* gcp JWKS: a file or https URL ("" = Google's) */
    bool dev_ecdsa_replay_disabled; /* benchmarks only: no dev-ecdsa nonce cache; never set
                                       in production (no config-file key maps to it) */
    /* logging */
    int log_level; /* 0 debug .. 3 error */
} node_config;

/* ---- the published snapshot (snapshot.c) --------------------------------------------- */

typedef struct {
    uint8_t address[20];
    tkms_bls_fr x;
    uint8_t public_share[TKMS_PROTO_COMMITMENT_BYTES];
    char app_url[NODE_URL_BYTES_MAX];
} node_operator;

typedef struct {
    uint64_t version;
    uint64_t activated_at; /* the trigger block's timestamp */
    uint16_t t;
    tkms_tss_secret share; /* secret: partials are s·H1(id) */
    tkms_proto_commitments commitments;
    uint32_t dealer_count;
    uint8_t dealers[TKMS_PROTO_OPERATORS_MAX][20];
    uint32_t operator_count;
    node_operator operators[TKMS_PROTO_OPERATORS_MAX];
} node_version;

/* The operators of one epoch as the peer endpoint authenticates them (protocol.md §8):
   an envelope of epoch e is accepted from a member of O(e) only, signed by its Ed25519
   key as of e's trigger. */
#define NODE_PEER_SETS_MAX (TKMS_PROTO_RETAINED_MAX + 1)
typedef struct {
    uint64_t epoch;
    uint32_t count;
    tkms_proto_operator ops[TKMS_PROTO_OPERATORS_MAX]; /* address order */
} node_peer_set;

/* What /v1/status reports about each peer (filled by the node loop's peer traffic). */
typedef struct {
    uint8_t address[20];
    bool reachable;   /* the last exchange with it succeeded */
    uint64_t last_ok; /* unix seconds of the last success, 0 = never */
} node_peer_status;

typedef struct node_snapshot {
    /* immutable after publication */
    uint64_t chain_id;
    uint8_t epoch_log[20];
    uint8_t self[20];
    uint64_t head, final_height, epoch;
    uint8_t phase;     /* tkms_proto_phase */
    bool chain_live;   /* the last chain read succeeded */
    bool has_mpk;
    uint8_t mpk[TKMS_PROTO_COMMITMENT_BYTES];
    bool network_has_version; /* some version finalized on chain */
    uint32_t version_count;   /* held, ACTIVE, newest first */
    node_version versions[TKMS_PROTO_VERSIONS_MAX];
    char last_epoch_result[128]; /* for /v1/status */
    /* added by the HTTP layer (filled by the node loop) */
    uint32_t retained_count;                    /* the network's retained set C ... */
    uint64_t retained[TKMS_PROTO_RETAINED_MAX]; /* ... newest first (404 vs 409, §5) */
    uint32_t peer_set_count;                    /* current epoch first, then retained */
    node_peer_set peer_sets[NODE_PEER_SETS_MAX];
    uint32_t peer_status_count;
    node_peer_status peer_status[TKMS_PROTO_OPERATORS_MAX];
    /* reference count (managed by node_snapshots) */
    int refs;
} node_snapshot;

typedef struct {
    pthread_mutex_t lock;
    node_snapshot *current;
} node_snapshots;

/* A zeroed snapshot on the heap (the node loop fills it, then publishes it); free wipes
   it (it holds shares) and accepts NULL. Never free a published snapshot yourself. */
node_snapshot *node_snapshot_new(void);
void node_snapshot_free(node_snapshot *snap);
void node_snapshots_init(node_snapshots *s);
/* Node loop: publish a new snapshot (ownership passes to the holder). */
void node_snapshots_publish(node_snapshots *s, node_snapshot *next);
/* HTTP threads: take a reference to the current snapshot (NULL before the first one). */
const node_snapshot *node_snapshot_acquire(node_snapshots *s);
void node_snapshot_release(node_snapshots *s, const node_snapshot *snap);
void node_snapshots_destroy(node_snapshots *s);

/* ---- peer records (records.c) ---------------------------------------------------------- */

#define NODE_RECORDS_MAX 256 /* current and retained epochs, n <= 64 dealers */

/* A bounded, thread-safe pool of dealing records keyed by their record hash. Peer
   handlers insert records whose envelope verified (the hash is computed from the record's
   parts, never trusted from the sender); the node loop takes the ones matching on-chain
   committed hashes into its views; the fetch endpoint serves them by hash. Eviction:
   records of epochs older than the oldest retained one. */
typedef struct node_records node_records;

node_records *node_records_new(void);
void node_records_free(node_records *r);
/* Inserts a copy (dedup by hash). False when full of newer records or oversized. */
bool node_records_put(node_records *r, uint64_t epoch, const uint8_t hash[32],
                      const uint8_t *bytes, size_t len);
/* Copies the record with this hash into out (max bytes); returns its length or 0. */
size_t node_records_get(node_records *r, const uint8_t hash[32], uint8_t *out, size_t max);
void node_records_evict_before(node_records *r, uint64_t epoch);

#endif
