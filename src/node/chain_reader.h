/*
 * chain_reader.h — what the HTTP handlers read from the chain: an app's owner and its
 * latest release on AppController (docs/contracts.md §6), behind a small cache.
 *
 * Contract
 * - Two layers (style R14). A node_chain_source is the backend: plain function pointers,
 *   implemented over src/chain by node_chain_source_rpc (a pool of JSON-RPC clients, each
 *   used by one thread at a time), or faked by tests. A node_chain_reader wraps a source
 *   with a bounded cache (LRU, NODE_CHAIN_CACHE_ENTRIES_MAX apps, releases within
 *   NODE_CHAIN_CACHE_RELEASE_BYTES_MAX in all, entries expire after ttl_s) that the node
 *   loop invalidates when it sees ReleasePublished or an app ownership transfer
 *   (node_chain_reader_invalidate).
 * - Reads use the "latest" block: authorization follows the newest release immediately;
 *   a reorg that removes a release is corrected at the next invalidation or expiry.
 * - Thread-safe: any HTTP worker may call any function; the cache holds one mutex only
 *   for lookups and copies, never during RPC.
 * - Errors: TKMS_ERR_NODE_UNKNOWN_APP, TKMS_ERR_NODE_NO_RELEASE (the app exists, has no
 *   release), TKMS_ERR_NODE_CHAIN_UNAVAILABLE (transport, malformed answer, unexpected
 *   revert). Negative answers are not cached.
 */
#ifndef TKMS_NODE_CHAIN_READER_H
#define TKMS_NODE_CHAIN_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tkms_err.h"

#define NODE_ENV_BYTES_MAX 16384    /* AppController.MAX_ENV_BYTES (both envs together) */
#define NODE_REGISTRY_BYTES_MAX 256 /* AppController.MAX_REGISTRY_BYTES */
#define NODE_CHAIN_CACHE_ENTRIES_MAX 4096
#define NODE_CHAIN_CACHE_RELEASE_BYTES_MAX (4u << 20) /* 4 MB of cached releases in all */
#define NODE_CHAIN_CACHE_TTL_S_DEFAULT 60
#define NODE_CHAIN_CLIENTS_MAX 64

/* The latest release of an app (about 33 KB: keep it on the heap). */
typedef struct {
    uint64_t release_id;
    uint64_t block_number;
    uint8_t image_digest[32];
    char registry[NODE_REGISTRY_BYTES_MAX + 1];
    size_t encrypted_env_len;
    uint8_t encrypted_env[NODE_ENV_BYTES_MAX];
    size_t public_env_len;
    uint8_t public_env[NODE_ENV_BYTES_MAX];
} node_release;

/* The backend. app_owner gives the zero address for an app that does not exist. */
typedef struct {
    void *ctx;
    tkms_err (*app_owner)(void *ctx, uint8_t owner[20], const uint8_t app[20]);
    tkms_err (*latest_release)(void *ctx, node_release *out, const uint8_t app[20]);
    void (*free)(void *ctx); /* may be NULL */
} node_chain_source;

/* JSON-RPC source: `clients` keep-alive connections to rpc_url (1..NODE_CHAIN_CLIENTS_MAX,
   typically http_threads), reading AppController at app_controller. No I/O here. */
TKMS_MUST_USE tkms_err node_chain_source_rpc(node_chain_source *out, const char *rpc_url,
                                             uint64_t chain_id, const uint8_t app_controller[20],
                                             uint32_t clients);

typedef struct node_chain_reader node_chain_reader;

/* Takes ownership of the source (its free runs in node_chain_reader_free). ttl_s 0 means
   NODE_CHAIN_CACHE_TTL_S_DEFAULT; entries 0 disables the cache (benchmarks of the RPC). */
TKMS_MUST_USE tkms_err node_chain_reader_new(node_chain_reader **out,
                                             const node_chain_source *source, uint32_t ttl_s,
                                             uint32_t entries);
void node_chain_reader_free(node_chain_reader *r);

/* TKMS_OK (owner set), TKMS_ERR_NODE_UNKNOWN_APP, TKMS_ERR_NODE_CHAIN_UNAVAILABLE. */
TKMS_MUST_USE tkms_err node_chain_reader_app_owner(node_chain_reader *r, uint8_t owner[20],
                                                   const uint8_t app[20]);
/* TKMS_OK, TKMS_ERR_NODE_UNKNOWN_APP, _NO_RELEASE, _CHAIN_UNAVAILABLE. */
TKMS_MUST_USE tkms_err node_chain_reader_latest_release(node_chain_reader *r, node_release *out,
                                                        const uint8_t app[20]);
/* Forgets what is cached for app (NULL: everything). Called by the node loop on
   ReleasePublished(app) and AppOwnershipTransferred(app), and after a reorg. */
void node_chain_reader_invalidate(node_chain_reader *r, const uint8_t app[20]);
/* Bytes held by cached releases (never above NODE_CHAIN_CACHE_RELEASE_BYTES_MAX). */
size_t node_chain_reader_cached_bytes(node_chain_reader *r);
/* Source calls made so far (tests and /metrics). */
uint64_t node_chain_reader_source_calls(const node_chain_reader *r);

#endif
