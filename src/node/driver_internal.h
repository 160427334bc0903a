/*
 * driver_internal.h — the node loop's state, shared by driver.c (open, loop, stepping),
 * driver_actions.c (executing the machine's actions) and driver_snapshot.c (what the loop
 * publishes). Owned by the node-loop thread alone (style R15); nothing here is locked.
 */
#ifndef TKMS_NODE_DRIVER_INTERNAL_H
#define TKMS_NODE_DRIVER_INTERNAL_H

#include "node/chain_reader.h"
#include "node/driver.h"
#include "node/metrics.h"

#define DRIVER_FOLLOW_EVENTS 64
#define DRIVER_FOLLOW_POLLS_MAX 64 /* follower polls per loop turn (catch-up is bounded) */
#define DRIVER_PEER_SETS NODE_PEER_SETS_MAX

/* Decoded commitments kept (about 1.5 MB): an epoch at n = 64, t' = 43 checks 2,752 points
   and its source as many once; at n = 30 about 600 each. */
#define NODE_G2_CACHE_POINTS 4096
#define DRIVER_TXS_MAX 32 /* transactions whose receipts are looked up (diagnostics) */

typedef struct {
    bool used;
    tkms_chain_hash hash;
    tkms_chain_address to;
    uint8_t *data; /* calldata, for replaying a revert */
    size_t data_len;
    uint64_t epoch, sent_height;
    char what[24];
} driver_tx;

/* An operator's URLs as registered (current: URLs are not consensus data). */
typedef struct {
    uint8_t address[20];
    char peer_url[NODE_URL_BYTES_MAX];
    char app_url[NODE_URL_BYTES_MAX];
} driver_node_info;

struct node_driver {
    const node_config *config;
    atomic_bool *stop;
    node_snapshots *snapshots;
    node_records *records;
    node_metrics *metrics;       /* may be NULL */
    node_chain_reader *reader;   /* may be NULL: release-cache invalidation */
    /* chain */
    tkms_chain_client *chain;
    tkms_chain_key key; /* secret */
    tkms_chain_nonces *nonces;
    tkms_chain_address registry, epoch_log, app_controller;
    uint32_t confirmations;
    tkms_chain_follower *follower;
    tkms_chain_send_options send;
    /* protocol */
    tkms_store *store;
    tkms_proto_state *state; /* secret (heap) */
    tkms_proto_domain domain;
    tkms_proto_g2_cache *g2_cache; /* driver thread only (group_bls.c) */
    tkms_proto_group group;        /* BLS over g2_cache: every step and view uses it */
    uint64_t g2_hits, g2_misses;   /* as last added to the metrics */
    node_viewer *viewer;
    node_view *view;    /* the view of the last step (the last good one) */
    node_view *scratch; /* where the next view is built; swapped in on success */
    bool have_view;
    tkms_chain_header stepped; /* the final block of the last step */
    bool stepped_any;
    uint8_t *buf; /* state encoding, own record (sized for both) */
    size_t buf_max;
    node_outbox *outbox;
    /* URLs of the registered operators, refreshed once per epoch */
    uint64_t infos_epoch;
    bool infos_valid;
    uint32_t info_count;
    driver_node_info infos[TKMS_PROTO_OPERATORS_MAX];
    /* public facts of held versions, and operator sets of recent epochs (immutable) */
    node_version_public vpub[TKMS_PROTO_VERSIONS_MAX];
    node_peer_set peer_sets[DRIVER_PEER_SETS];
    /* status */
    uint64_t head;
    bool chain_live;
    uint64_t releases_scanned; /* AppController logs scanned up to this block */
    uint8_t last_phase;
    uint64_t phase_started_ms;
    char last_result[128];
    uint32_t view_failures; /* consecutive, for log rate limiting */
    driver_tx txs[DRIVER_TXS_MAX];
    /* scratch of the loop (too large for the stack) */
    tkms_chain_event events[DRIVER_FOLLOW_EVENTS];
    tkms_proto_actions actions;
};

/* driver_actions.c: executes the actions of one step in order; a failed PERSIST (or any
   store write) returns TKMS_ERR_NODE_STORE_WRITE and the node must halt. */
TKMS_MUST_USE tkms_err driver_actions_run(node_driver *d, const tkms_proto_actions *actions);
/* Mirrors the state's ACTIVE versions into the store's version table (after a restart:
   repairs a crash between PERSIST and ACTIVATE/ERASE). */
TKMS_MUST_USE tkms_err driver_versions_mirror(node_driver *d);
/* Writes the encoded state to the store (the PERSIST action). */
TKMS_MUST_USE tkms_err driver_persist(node_driver *d);

/* driver_txs.c: receipts of sent transactions, logged (diagnostics only) */
void driver_txs_track(node_driver *d, const tkms_chain_sent *sent, const tkms_chain_address *to,
                      const uint8_t *data, size_t len, const char *what, uint64_t epoch);
void driver_txs_check(node_driver *d);
void driver_txs_free(node_driver *d);
/* "Name(args)" of a contract custom error (or the chain layer's description). */
void driver_txs_describe(char *out, size_t max, const uint8_t *data, size_t len);
/* The contract errors driver_txs_describe names (checked against the artifacts). */
const char *const *driver_txs_known_errors(size_t *count);

/* driver_snapshot.c */
void driver_snapshot_publish(node_driver *d);
/* The registered operators' URLs as of the final block (cached per epoch). */
TKMS_MUST_USE tkms_err driver_infos_refresh(node_driver *d, const tkms_chain_header *at);
const driver_node_info *driver_info_find(const node_driver *d, const uint8_t address[20]);

#endif
