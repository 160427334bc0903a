/*
 * log.h — tkmsd's logger: one JSON object per line on stderr (style R22).
 *
 * Every line carries ts (UTC, ms), level, subsys and a stable snake_case event, then the
 * optional epoch and a free-text msg. A line is formatted into one buffer and written with
 * one write(2), so lines of concurrent threads never interleave. Never log secrets, request
 * bodies or attestation tokens: callers pass public values only. Not here: metrics, log
 * rotation (stderr goes wherever the supervisor sends it).
 */
#ifndef TKMS_NODE_LOG_H
#define TKMS_NODE_LOG_H

#include <stddef.h>
#include <stdint.h>

enum {
    NODE_LOG_DEBUG = 0,
    NODE_LOG_INFO = 1,
    NODE_LOG_WARN = 2,
    NODE_LOG_ERROR = 3,
};

#define NODE_LOG_LINE_BYTES 1024 /* longer messages are truncated (style R11) */
#define NODE_LOG_NO_EPOCH UINT64_MAX

/* Lines below `level` are dropped (default NODE_LOG_INFO). */
void node_log_level_set(int level);
int node_log_level_get(void);

/* One line: {"ts","level","subsys","event"[,"epoch"][,"msg"]}. fmt may be NULL. */
void node_log(int level, const char *subsys, const char *event, uint64_t epoch, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

/* Structured fields (the HTTP layer's access log: req_id, route, status, …). Keys are
   static snake_case; string values are escaped; a line stays <= NODE_LOG_LINE_BYTES. */
typedef struct {
    const char *key;
    const char *str; /* NULL: the number is the value */
    uint64_t num;
} node_log_field;

#define NODE_LOG_STR(k, v) ((node_log_field){(k), (v) != NULL ? (v) : "", 0})
#define NODE_LOG_U64(k, v) ((node_log_field){(k), NULL, (uint64_t)(v)})

/* One line: {"ts","level","subsys","event"[,"epoch"],<fields…>}. */
void node_log_fields(int level, const char *subsys, const char *event, uint64_t epoch,
                     const node_log_field *fields, size_t count);

#endif
