/*
 * metrics.c — counters, gauges and histograms for GET /metrics (metrics.h), rendered in
 * the Prometheus text format 0.0.4.
 *
 * Each family is a fixed array of series. A series is found by its label key (the label
 * values, sanitized and joined); lookups scan the published prefix of the array without a
 * lock (series are append-only and their keys immutable once the count is released), and
 * creation takes the family's mutex. Values are C11 atomics. Label values are sanitized
 * to [A-Za-z0-9_.:/-] (anything else becomes '_') and cut at NODE_METRICS_LABEL_BYTES_MAX,
 * so rendering never needs escaping. Not here: what to count (the callers), HTTP.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/metrics.h"

enum { TYPE_COUNTER = 0, TYPE_GAUGE = 1, TYPE_HISTOGRAM = 2 };

#define BUCKETS_MAX 16
#define KEY_BYTES (NODE_METRICS_LABELS_MAX * (NODE_METRICS_LABEL_BYTES_MAX + 1) + 1)
#define OVERFLOW_INDEX (NODE_METRICS_SERIES_MAX - 1)

typedef struct {
    const char *name;
    const char *help;
    int type;
    unsigned label_count;
    const char *label_names[NODE_METRICS_LABELS_MAX];
    const uint64_t *buckets_us; /* histogram upper bounds, ascending */
    unsigned bucket_count;
} family_def;

/* HTTP latencies: 250 µs .. 10 s. Protocol phases: 1 s .. 1 h. */
static const uint64_t http_buckets_us[] = {250,    500,     1000,    2500,    5000,
                                           10000,  25000,   50000,   100000,  250000,
                                           500000, 1000000, 2500000, 10000000};
static const uint64_t phase_buckets_us[] = {1000000,    5000000,      15000000,  30000000,
                                            60000000,   120000000,    300000000, 600000000,
                                            1800000000, 3600000000ULL};

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(COUNT_OF(http_buckets_us) <= BUCKETS_MAX, "bucket array");
_Static_assert(COUNT_OF(phase_buckets_us) <= BUCKETS_MAX, "bucket array");

static const family_def families[NODE_METRIC_COUNT] = {
    [NODE_METRIC_HTTP_REQUESTS] = {"tkms_http_requests_total",
                                   "HTTP requests by route and status",
                                   TYPE_COUNTER,
                                   2,
                                   {"route", "status"},
                                   NULL,
                                   0},
    [NODE_METRIC_HTTP_DURATION] = {"tkms_http_request_duration_seconds",
                                   "HTTP request latency from headers to response",
                                   TYPE_HISTOGRAM,
                                   2,
                                   {"route", "status"},
                                   http_buckets_us,
                                   COUNT_OF(http_buckets_us)},
    [NODE_METRIC_HTTP_IN_FLIGHT] = {"tkms_http_in_flight",
                                    "Requests being received or handled",
                                    TYPE_GAUGE,
                                    0,
                                    {NULL},
                                    NULL,
                                    0},
    [NODE_METRIC_HTTP_REJECTED] = {"tkms_http_rejected_total",
                                   "Requests refused by a generic check",
                                   TYPE_COUNTER,
                                   1,
                                   {"reason"},
                                   NULL,
                                   0},
    [NODE_METRIC_PARTIALS_SERVED] = {"tkms_partials_served_total",
                                     "Partial signatures served to apps",
                                     TYPE_COUNTER,
                                     0,
                                     {NULL},
                                     NULL,
                                     0},
    [NODE_METRIC_ATTEST_FAILURES] = {"tkms_attestation_failures_total",
                                     "Attestation failures by method and reason",
                                     TYPE_COUNTER,
                                     2,
                                     {"method", "reason"},
                                     NULL,
                                     0},
    [NODE_METRIC_EPOCH_OUTCOMES] =
        {"tkms_epoch_outcomes_total", "Epoch outcomes", TYPE_COUNTER, 1, {"outcome"}, NULL, 0},
    [NODE_METRIC_PHASE_DURATION] = {"tkms_phase_duration_seconds",
                                    "Protocol phase durations",
                                    TYPE_HISTOGRAM,
                                    1,
                                    {"phase"},
                                    phase_buckets_us,
                                    COUNT_OF(phase_buckets_us)},
    [NODE_METRIC_CHAIN_RPC_ERRORS] = {"tkms_chain_rpc_errors_total",
                                      "Chain RPC errors by kind",
                                      TYPE_COUNTER,
                                      1,
                                      {"kind"},
                                      NULL,
                                      0},
    [NODE_METRIC_PEER_MESSAGES] = {"tkms_peer_messages_total",
                                   "Peer messages",
                                   TYPE_COUNTER,
                                   3,
                                   {"direction", "type", "result"},
                                   NULL,
                                   0},
    [NODE_METRIC_CURRENT_VERSION] =
        {"tkms_current_version", "Newest held key version", TYPE_GAUGE, 0, {NULL}, NULL, 0},
    [NODE_METRIC_CURRENT_EPOCH] =
        {"tkms_current_epoch", "Current epoch", TYPE_GAUGE, 0, {NULL}, NULL, 0},
    [NODE_METRIC_CHAIN_HEAD] =
        {"tkms_chain_head", "Newest chain block seen", TYPE_GAUGE, 0, {NULL}, NULL, 0},
    [NODE_METRIC_G2_CACHE] = {"tkms_g2_cache_lookups_total",
                              "Commitment decodes and public shares: cached or computed",
                              TYPE_COUNTER,
                              1,
                              {"result"},
                              NULL,
                              0},
};

typedef struct {
    char key[KEY_BYTES];   /* sanitized values joined by '\x1f' */
    _Atomic int64_t value; /* counter, gauge; histogram: count */
    _Atomic uint64_t sum_us;
    _Atomic uint64_t buckets[BUCKETS_MAX];
} series;

typedef struct {
    pthread_mutex_t lock;
    _Atomic uint32_t count; /* published series in s[0..count) */
    atomic_bool overflow_used;
    series s[NODE_METRICS_SERIES_MAX];
} family;

struct node_metrics {
    family f[NODE_METRIC_COUNT];
};

node_metrics *node_metrics_new(void) {
    node_metrics *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < NODE_METRIC_COUNT; i++) {
        TKMS_ASSERT(families[i].name != NULL);
        TKMS_ASSERT(families[i].label_count <= NODE_METRICS_LABELS_MAX);
        pthread_mutex_init(&m->f[i].lock, NULL);
        if (families[i].label_count == 0) { /* the one series exists from the start */
            atomic_store(&m->f[i].count, 1);
        }
    }
    return m;
}

void node_metrics_free(node_metrics *m) {
    if (m == NULL) {
        return;
    }
    for (size_t i = 0; i < NODE_METRIC_COUNT; i++) {
        pthread_mutex_destroy(&m->f[i].lock);
    }
    free(m);
}

/* key = sanitized label values joined by 0x1f. */
static void key_build(char key[KEY_BYTES], const family_def *def, const char *const *labels) {
    size_t len = 0;
    for (unsigned i = 0; i < def->label_count; i++) {
        const char *v = labels != NULL && labels[i] != NULL ? labels[i] : "";
        if (i > 0) {
            key[len++] = '\x1f';
        }
        for (size_t j = 0; v[j] != 0 && j < NODE_METRICS_LABEL_BYTES_MAX; j++) {
            char c = v[j];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == ':' || c == '/' || c == '-';
            key[len++] = ok ? c : '_';
        }
    }
    TKMS_ASSERT(len < KEY_BYTES);
    key[len] = 0;
}

static void key_overflow(char key[KEY_BYTES], const family_def *def) {
    const char *other[NODE_METRICS_LABELS_MAX] = {"other", "other", "other"};
    key_build(key, def, other);
}

static series *series_find(node_metrics *m, node_metric id, const char *const *labels) {
    TKMS_ASSERT(m != NULL);
    TKMS_ASSERT((unsigned)id < NODE_METRIC_COUNT);
    family *f = &m->f[id];
    const family_def *def = &families[id];
    if (def->label_count == 0) {
        return &f->s[0];
    }
    char key[KEY_BYTES];
    key_build(key, def, labels);
    uint32_t n = atomic_load_explicit(&f->count, memory_order_acquire);
    for (uint32_t i = 0; i < n; i++) {
        if (strcmp(f->s[i].key, key) == 0) {
            return &f->s[i];
        }
    }
    pthread_mutex_lock(&f->lock);
    n = atomic_load_explicit(&f->count, memory_order_relaxed);
    series *found = NULL;
    for (uint32_t i = 0; i < n && found == NULL; i++) {
        found = strcmp(f->s[i].key, key) == 0 ? &f->s[i] : NULL;
    }
    if (found == NULL && n < OVERFLOW_INDEX) {
        found = &f->s[n];
        memcpy(found->key, key, sizeof key);
        atomic_store_explicit(&f->count, n + 1, memory_order_release);
    } else if (found == NULL) { /* full: every further combination counts as "other" */
        found = &f->s[OVERFLOW_INDEX];
        if (!atomic_load(&f->overflow_used)) {
            key_overflow(found->key, def);
            atomic_store(&f->overflow_used, true);
        }
    }
    pthread_mutex_unlock(&f->lock);
    return found;
}

void node_metrics_add(node_metrics *m, node_metric id, const char *const *labels, uint64_t delta) {
    if (m == NULL) {
        return;
    }
    TKMS_ASSERT(families[id].type == TYPE_COUNTER);
    atomic_fetch_add(&series_find(m, id, labels)->value, (int64_t)delta);
}

void node_metrics_set(node_metrics *m, node_metric id, const char *const *labels, int64_t value) {
    if (m == NULL) {
        return;
    }
    TKMS_ASSERT(families[id].type == TYPE_GAUGE);
    atomic_store(&series_find(m, id, labels)->value, value);
}

void node_metrics_gauge_add(node_metrics *m, node_metric id, const char *const *labels,
                            int64_t delta) {
    if (m == NULL) {
        return;
    }
    TKMS_ASSERT(families[id].type == TYPE_GAUGE);
    atomic_fetch_add(&series_find(m, id, labels)->value, delta);
}

void node_metrics_observe(node_metrics *m, node_metric id, const char *const *labels,
                          uint64_t value_us) {
    if (m == NULL) {
        return;
    }
    const family_def *def = &families[id];
    TKMS_ASSERT(def->type == TYPE_HISTOGRAM);
    series *s = series_find(m, id, labels);
    unsigned b = 0;
    while (b < def->bucket_count && value_us > def->buckets_us[b]) {
        b++;
    }
    if (b < def->bucket_count) {
        atomic_fetch_add(&s->buckets[b], 1);
    }
    atomic_fetch_add(&s->sum_us, value_us);
    atomic_fetch_add(&s->value, 1);
}

int64_t node_metrics_value(node_metrics *m, node_metric id, const char *const *labels) {
    if (m == NULL) {
        return 0;
    }
    TKMS_ASSERT(families[id].type != TYPE_HISTOGRAM);
    return atomic_load(&series_find(m, id, labels)->value);
}

/* ---- rendering ---------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t len, cap;
    bool failed;
} text;

static void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(text *t, const char *fmt, ...) {
    for (int attempt = 0; attempt < 2 && !t->failed; attempt++) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = true;
        } else if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        } else {
            size_t cap = (t->cap + (size_t)n + 1) * 2;
            char *p = realloc(t->p, cap);
            t->failed = p == NULL;
            t->p = p != NULL ? p : t->p;
            t->cap = p != NULL ? cap : t->cap;
        }
    }
}

/* `a="x",b="y"` from a key (extra: one more label, e.g. le, or NULL). */
static void labels_render(char *out, size_t max, const family_def *def, const char *key,
                          const char *extra) {
    size_t len = 0;
    out[0] = 0;
    const char *v = key;
    for (unsigned i = 0; i < def->label_count; i++) {
        size_t vlen = strcspn(v, "\x1f");
        int n = snprintf(out + len, max - len, "%s%s=\"%.*s\"", i > 0 ? "," : "",
                         def->label_names[i], (int)vlen, v);
        len += n > 0 ? (size_t)n : 0;
        v += vlen + (v[vlen] != 0 ? 1 : 0);
    }
    if (extra != NULL) {
        snprintf(out + len, max - len, "%s%s", len > 0 ? "," : "", extra);
    }
}

static void histogram_render(text *t, const family_def *def, const series *s) {
    char lab[KEY_BYTES * 2 + 64], extra[48];
    uint64_t cumulative = 0;
    for (unsigned b = 0; b < def->bucket_count; b++) {
        cumulative += atomic_load(&s->buckets[b]);
        snprintf(extra, sizeof extra, "le=\"%g\"", (double)def->buckets_us[b] / 1e6);
        labels_render(lab, sizeof lab, def, s->key, extra);
        text_printf(t, "%s_bucket{%s} %llu\n", def->name, lab, (unsigned long long)cumulative);
    }
    int64_t count = atomic_load(&s->value);
    labels_render(lab, sizeof lab, def, s->key, "le=\"+Inf\"");
    text_printf(t, "%s_bucket{%s} %lld\n", def->name, lab, (long long)count);
    labels_render(lab, sizeof lab, def, s->key, NULL);
    const char *open = lab[0] != 0 ? "{" : "", *close = lab[0] != 0 ? "}" : "";
    text_printf(t, "%s_sum%s%s%s %.6f\n", def->name, open, lab, close,
                (double)atomic_load(&s->sum_us) / 1e6);
    text_printf(t, "%s_count%s%s%s %lld\n", def->name, open, lab, close, (long long)count);
}

static void series_render(text *t, const family_def *def, const series *s) {
    if (def->type == TYPE_HISTOGRAM) {
        histogram_render(t, def, s);
        return;
    }
    char lab[KEY_BYTES * 2 + 64];
    labels_render(lab, sizeof lab, def, s->key, NULL);
    if (lab[0] != 0) {
        text_printf(t, "%s{%s} %lld\n", def->name, lab, (long long)atomic_load(&s->value));
    } else {
        text_printf(t, "%s %lld\n", def->name, (long long)atomic_load(&s->value));
    }
}

char *node_metrics_render(node_metrics *m, size_t *len) {
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    text t = {malloc(16384), 0, 16384, false};
    if (m == NULL || t.p == NULL) {
        free(t.p);
        return NULL;
    }
    for (size_t i = 0; i < NODE_METRIC_COUNT; i++) {
        const family_def *def = &families[i];
        family *f = &m->f[i];
        text_printf(&t, "# HELP %s %s\n# TYPE %s %s\n", def->name, def->help, def->name,
                    type_names[def->type]);
        uint32_t n = atomic_load_explicit(&f->count, memory_order_acquire);
        for (uint32_t j = 0; j < n; j++) {
            series_render(&t, def, &f->s[j]);
        }
        if (atomic_load(&f->overflow_used)) {
            series_render(&t, def, &f->s[OVERFLOW_INDEX]);
        }
    }
    if (t.failed) {
        free(t.p);
        return NULL;
    }
    *len = t.len;
    return t.p;
}
