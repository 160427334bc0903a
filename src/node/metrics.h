/*
 * metrics.h — tkmsd's metrics: counters, gauges and histograms with atomic updates,
 * rendered in the Prometheus text format for GET /metrics (api.md "Operator-facing").
 *
 * Contract
 * - The families are a static table (metrics.c): name, help, type, label names. Each
 *   family keeps at most NODE_METRICS_SERIES_MAX label combinations; later ones go to one
 *   series whose labels are all "other", so a hostile input can never grow memory.
 * - Updates are lock-free after a series exists (one mutex per family guards creation).
 *   Any thread may update; rendering reads a consistent-enough view (each value atomic).
 * - `labels` holds exactly the family's label values, in order (NULL when it has none).
 *   Values are public strings (route names, status codes, error names): never a secret,
 *   an app id or anything a client chose freely.
 * - Every function accepts m == NULL and then does nothing (tests, fuzzers).
 */
#ifndef TKMS_NODE_METRICS_H
#define TKMS_NODE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define NODE_METRICS_SERIES_MAX 96
#define NODE_METRICS_LABELS_MAX 3
#define NODE_METRICS_LABEL_BYTES_MAX 48

typedef enum {
    NODE_METRIC_HTTP_REQUESTS = 0, /* counter {route, status} */
    NODE_METRIC_HTTP_DURATION,     /* histogram seconds {route, status} */
    NODE_METRIC_HTTP_IN_FLIGHT,    /* gauge */
    NODE_METRIC_HTTP_REJECTED,     /* counter {reason}: rate_limited, overloaded, … */
    NODE_METRIC_PARTIALS_SERVED,   /* counter */
    NODE_METRIC_ATTEST_FAILURES,   /* counter {method, reason} */
    NODE_METRIC_EPOCH_OUTCOMES,    /* counter {outcome} (node loop) */
    NODE_METRIC_PHASE_DURATION,    /* histogram seconds {phase} (node loop) */
    NODE_METRIC_CHAIN_RPC_ERRORS,  /* counter {kind} */
    NODE_METRIC_PEER_MESSAGES,     /* counter {direction, type, result} */
    NODE_METRIC_CURRENT_VERSION,   /* gauge */
    NODE_METRIC_CURRENT_EPOCH,     /* gauge */
    NODE_METRIC_CHAIN_HEAD,        /* gauge */
    NODE_METRIC_G2_CACHE,          /* counter {result}: hit, miss (node loop) */
    NODE_METRIC_COUNT
} node_metric;

typedef struct node_metrics node_metrics;

node_metrics *node_metrics_new(void);
void node_metrics_free(node_metrics *m);

/* Counter += delta. */
void node_metrics_add(node_metrics *m, node_metric id, const char *const *labels, uint64_t delta);
/* Gauge = value / gauge += delta. */
void node_metrics_set(node_metrics *m, node_metric id, const char *const *labels, int64_t value);
void node_metrics_gauge_add(node_metrics *m, node_metric id, const char *const *labels,
                            int64_t delta);
/* Histogram observation in microseconds (rendered in seconds). */
void node_metrics_observe(node_metrics *m, node_metric id, const char *const *labels,
                          uint64_t value_us);
/* The current value of a counter or gauge series (0 if absent): tests and /v1/status. */
int64_t node_metrics_value(node_metrics *m, node_metric id, const char *const *labels);
/* The Prometheus text exposition (version 0.0.4), NUL-terminated, malloc'd (caller frees);
   NULL when out of memory. */
char *node_metrics_render(node_metrics *m, size_t *len);

#endif
