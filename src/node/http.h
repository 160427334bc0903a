/*
 * http.h — tkmsd's HTTP server (api.md): the app-facing, operator-facing and peer-facing
 * endpoints on libmicrohttpd, started by the daemon with the seams of node.h.
 *
 * Contract
 * - node_http_start binds app_listen and, when it differs, peer_listen, each served by its
 *   own MHD daemon (internal polling thread + epoll, a pool of http_threads workers,
 *   keep-alive). Ops routes (/healthz, /readyz, /metrics, /v1/status) answer on both; app
 *   routes only on the app listener, peer routes only on the peer listener.
 * - Threads (style R15): handlers run on MHD's workers. They read the published snapshot
 *   (acquire/release), put verified peer records into the record pool, read the chain
 *   through the node_chain_reader's cache, and never touch protocol state or block the
 *   node loop. The server keeps no pointer into a snapshot past a request.
 * - Borrowed: snapshots, records, chain reader and metrics must outlive the server
 *   (node_http_stop first). The config is copied.
 * - Every response is JSON (except /metrics: Prometheus text) and carries X-Request-Id;
 *   errors are {"error":{"code","message"}} with api.md's codes (docs/http.md has the full
 *   table). Never a 500 for bad input; a 500 is a bug and is logged with its request id.
 * - Logging: one JSON line per request (log.h), never bodies, tokens or secrets.
 * Routing, limits and the order of checks: http_internal.h and docs/http.md.
 */
#ifndef TKMS_NODE_HTTP_H
#define TKMS_NODE_HTTP_H

#include <stdint.h>

#include "common/tkms_err.h"
#include "node/chain_reader.h"
#include "node/metrics.h"
#include "node/node.h"

/* Connection bounds that are not in node_config (docs/http.md "Limits"). */
#define NODE_HTTP_CONNECTIONS_MAX 1024       /* per listener */
#define NODE_HTTP_CONNECTIONS_PER_IP_MAX 128 /* slow clients hold slots, never workers */
#define NODE_HTTP_THREADS_MAX 64
#define NODE_HTTP_IN_FLIGHT_MAX 100000 /* = config.c's bound */

typedef struct node_http node_http;

typedef enum {
    NODE_HTTP_LISTENER_APP = 0,
    NODE_HTTP_LISTENER_PEER = 1,
} node_http_listener;

/* Starts the listeners. Port 0 in a listen address picks a free port (node_http_port).
   TKMS_ERR_NODE_HTTP_START when a listener cannot bind; TKMS_ERR_NODE_CONFIG_INVALID for
   unusable limits, listen addresses or attestation policy/JWKS settings. */
TKMS_MUST_USE tkms_err node_http_start(node_http **out, const node_config *config,
                                       node_snapshots *snapshots, node_records *records,
                                       node_chain_reader *chain, node_metrics *metrics);
/* Stops accepting, waits for running handlers, frees everything (NULL is fine). */
void node_http_stop(node_http *http);
/* The bound port of a listener (the app one when both are the same). */
uint16_t node_http_port(const node_http *http, node_http_listener listener);

#endif
