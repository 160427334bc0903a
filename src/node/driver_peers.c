/*
 * driver_peers.c — the peer outbox: pushes signed record envelopes to every peer's
 * POST /v1/peer and fetches records by hash with GET /v1/peer/record/<hash>, retrying
 * with exponential backoff until the phase deadline (protocol.md §8, api.md "Peer-facing").
 *
 * One thread owns the HTTP handle and the job table, so a slow or dead peer never blocks
 * the node loop: the loop only enqueues copies of public bytes and publishes the newest
 * final height, past which a job's deadline drops it. A fetched record enters the record
 * pool only when the hash computed from its parts equals the on-chain committed hash the
 * loop asked for; the answer's own claims are never trusted. Everything is bounded: jobs
 * (NODE_OUTBOX_JOBS_MAX), answer bytes, per-attempt time. Not here: building envelopes
 * (driver.c) or serving peers (http.c).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "common/tkms_assert.h"
#include "node/driver.h"
#include "node/log.h"
#include "prim/prim.h"

enum { JOB_FREE = 0, JOB_PUSH, JOB_FETCH };

#define FETCH_ANSWER_BYTES_MAX (2 * TKMS_PROTO_RECORD_BYTES_MAX + 4096)
#define PEERS_TRACKED TKMS_PROTO_OPERATORS_MAX

typedef struct {
    int kind;
    bool busy; /* being attempted by the thread (lock not held) */
    char url[NODE_URL_BYTES_MAX + 96];
    char *body; /* push: the JSON envelope (malloc) */
    size_t body_len;
    uint8_t hash[32]; /* fetch: the record hash; push: sha256 of the body (dedup) */
    uint64_t epoch, deadline_block;
    uint64_t next_ms;
    uint32_t backoff_ms, attempts;
} job;

typedef struct {
    char base[NODE_URL_BYTES_MAX];
    bool reachable;
    uint64_t last_ok;
} peer_seen;

struct node_outbox {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
    uint64_t height;
    job jobs[NODE_OUTBOX_JOBS_MAX];
    peer_seen peers[PEERS_TRACKED];
    node_outbox_stats stats;
    node_records *records;
    tkms_proto_domain domain;
    CURL *curl;
    uint8_t *answer; /* FETCH_ANSWER_BYTES_MAX */
    size_t answer_len;
    bool answer_overflow;
};

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void job_clear(job *j) {
    free(j->body);
    memset(j, 0, sizeof *j);
}

/* ---- HTTP (thread only) --------------------------------------------------------------- */

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ctx) {
    node_outbox *o = ctx;
    size_t n = size * nmemb;
    if (o->answer_len + n > FETCH_ANSWER_BYTES_MAX) {
        o->answer_overflow = true;
        return 0; /* aborts the transfer */
    }
    memcpy(o->answer + o->answer_len, ptr, n);
    o->answer_len += n;
    return n;
}

/* One attempt; true on a 2xx answer. */
static bool http_attempt(node_outbox *o, const job *j) {
    CURL *c = o->curl;
    curl_easy_reset(c);
    o->answer_len = 0;
    o->answer_overflow = false;
    struct curl_slist *headers = NULL;
    curl_easy_setopt(c, CURLOPT_URL, j->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)NODE_OUTBOX_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)NODE_OUTBOX_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, o);
    if (j->kind == JOB_PUSH) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, j->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)j->body_len);
    }
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    return rc == CURLE_OK && status >= 200 && status < 300;
}

/* The record bytes of a fetch answer: {"record":"0x…"} (JSON) or the raw bytes. */
static bool answer_record(node_outbox *o, uint8_t **bytes, size_t *len) {
    *bytes = o->answer;
    *len = o->answer_len;
    if (o->answer_len == 0 || o->answer[0] != '{') {
        return o->answer_len > 0;
    }
    json_t *root = json_loadb((const char *)o->answer, o->answer_len, JSON_REJECT_DUPLICATES,
                              NULL);
    const char *hex = json_string_value(json_object_get(root, "record"));
    tkms_chain_bytes b = {0};
    bool ok = hex != NULL &&
              tkms_chain_hex_decode_alloc(&b, hex, TKMS_PROTO_RECORD_BYTES_MAX) == TKMS_OK;
    if (ok) {
        memcpy(o->answer, b.ptr, b.len); /* b.len < answer_len: the hex was longer */
        *len = b.len;
    }
    tkms_chain_bytes_free(&b);
    json_decref(root);
    return ok;
}

/* A fetched record counts only if its computed hash is the one asked for. */
static bool fetch_accept(node_outbox *o, const job *j) {
    uint8_t *bytes;
    size_t len;
    tkms_proto_record *rec = malloc(sizeof *rec);
    TKMS_ASSERT(rec != NULL);
    bool ok = answer_record(o, &bytes, &len) &&
              tkms_proto_record_decode(rec, bytes, len) == TKMS_OK;
    if (ok) {
        uint8_t hash[32];
        tkms_proto_record_hash(hash, &o->domain, rec);
        ok = memcmp(hash, j->hash, 32) == 0 && rec->header.epoch == j->epoch &&
             node_records_put(o->records, j->epoch, hash, bytes, len);
    }
    free(rec);
    return ok;
}

/* ---- the job table ------------------------------------------------------------------- */

/* Records the outcome for the peer whose base URL prefixes url (registered at enqueue). */
static void peer_note(node_outbox *o, const char *url, bool ok) {
    for (size_t i = 0; i < PEERS_TRACKED; i++) {
        size_t n = strlen(o->peers[i].base);
        if (n > 0 && strncmp(url, o->peers[i].base, n) == 0) {
            o->peers[i].reachable = ok;
            o->peers[i].last_ok = ok ? (uint64_t)time(NULL) : o->peers[i].last_ok;
            return;
        }
    }
}

static void peer_register(node_outbox *o, const char *base) {
    for (size_t i = 0; i < PEERS_TRACKED; i++) {
        if (strcmp(o->peers[i].base, base) == 0) {
            return;
        }
        if (o->peers[i].base[0] == '\0') {
            snprintf(o->peers[i].base, sizeof o->peers[i].base, "%s", base);
            return;
        }
    }
}

/* After an attempt: done (success, or a fetch whose hash another job already got), or
   rescheduled with doubled backoff. Lock held. */
static void job_finish(node_outbox *o, job *j, bool ok) {
    j->busy = false;
    peer_note(o, j->url, ok);
    if (ok) {
        if (j->kind == JOB_PUSH) {
            o->stats.pushed++;
        } else {
            o->stats.fetched++;
            uint8_t hash[32];
            memcpy(hash, j->hash, 32);
            for (size_t k = 0; k < NODE_OUTBOX_JOBS_MAX; k++) { /* others for it are moot */
                job *x = &o->jobs[k];
                if (x->kind == JOB_FETCH && !x->busy && memcmp(x->hash, hash, 32) == 0) {
                    job_clear(x);
                }
            }
        }
        if (j->kind != JOB_FREE) {
            job_clear(j);
        }
        return;
    }
    if (j->kind == JOB_PUSH) {
        o->stats.push_failures++;
    } else {
        o->stats.fetch_failures++;
    }
    j->attempts++;
    j->next_ms = now_ms() + j->backoff_ms;
    j->backoff_ms = j->backoff_ms * 2 > NODE_OUTBOX_BACKOFF_MS_MAX ? NODE_OUTBOX_BACKOFF_MS_MAX
                                                                     : j->backoff_ms * 2;
}

/* The next due job (marked busy), or NULL with *wait_ms until the earliest one. */
static job *job_next(node_outbox *o, uint64_t *wait_ms) {
    uint64_t now = now_ms(), earliest = UINT64_MAX;
    job *due = NULL;
    for (size_t k = 0; k < NODE_OUTBOX_JOBS_MAX; k++) {
        job *j = &o->jobs[k];
        if (j->kind == JOB_FREE || j->busy) {
            continue;
        }
        if (o->height > j->deadline_block) {
            o->stats.dropped++;
            job_clear(j);
            continue;
        }
        if (j->next_ms <= now && (due == NULL || j->next_ms < due->next_ms)) {
            due = j;
        }
        earliest = j->next_ms < earliest ? j->next_ms : earliest;
    }
    if (due != NULL) {
        due->busy = true;
    }
    *wait_ms = earliest == UINT64_MAX ? 1000 : (earliest > now ? earliest - now : 0);
    return due;
}

static void *outbox_main(void *arg) {
    node_outbox *o = arg;
    pthread_mutex_lock(&o->lock);
    while (!o->stop) {
        uint64_t wait_ms;
        job *j = job_next(o, &wait_ms);
        if (j == NULL) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            uint64_t ns = (uint64_t)until.tv_nsec + (wait_ms > 1000 ? 1000 : wait_ms) * 1000000;
            until.tv_sec += (time_t)(ns / 1000000000);
            until.tv_nsec = (long)(ns % 1000000000);
            pthread_cond_timedwait(&o->wake, &o->lock, &until);
            continue;
        }
        job copy = *j; /* the thread alone touches a busy job's fields */
        pthread_mutex_unlock(&o->lock);
        bool ok = http_attempt(o, &copy) && (copy.kind == JOB_PUSH || fetch_accept(o, &copy));
        pthread_mutex_lock(&o->lock);
        job_finish(o, j, ok);
    }
    pthread_mutex_unlock(&o->lock);
    return NULL;
}

/* ---- API (node loop) ---------------------------------------------------------------- */

tkms_err node_outbox_start(node_outbox **out, node_records *records,
                           const tkms_proto_domain *domain) {
    TKMS_ASSERT(out != NULL && records != NULL && domain != NULL);
    *out = NULL;
    node_outbox *o = calloc(1, sizeof *o);
    if (o == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    o->records = records;
    o->domain = *domain;
    o->answer = malloc(FETCH_ANSWER_BYTES_MAX);
    o->curl = curl_easy_init();
    if (o->answer == NULL || o->curl == NULL) {
        curl_easy_cleanup(o->curl);
        free(o->answer);
        free(o);
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    pthread_mutex_init(&o->lock, NULL);
    pthread_cond_init(&o->wake, NULL);
    if (pthread_create(&o->thread, NULL, outbox_main, o) != 0) {
        curl_easy_cleanup(o->curl);
        free(o->answer);
        free(o);
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    *out = o;
    return TKMS_OK;
}

void node_outbox_stop(node_outbox *o) {
    if (o == NULL) {
        return;
    }
    pthread_mutex_lock(&o->lock);
    o->stop = true;
    pthread_cond_signal(&o->wake);
    pthread_mutex_unlock(&o->lock);
    pthread_join(o->thread, NULL);
    for (size_t k = 0; k < NODE_OUTBOX_JOBS_MAX; k++) {
        job_clear(&o->jobs[k]);
    }
    curl_easy_cleanup(o->curl);
    pthread_cond_destroy(&o->wake);
    pthread_mutex_destroy(&o->lock);
    free(o->answer);
    free(o);
}

void node_outbox_height_set(node_outbox *o, uint64_t height) {
    pthread_mutex_lock(&o->lock);
    o->height = height > o->height ? height : o->height;
    pthread_mutex_unlock(&o->lock);
}

/* Adds a job unless an equal one is pending (*taken: the slot now owns proto->body).
   Lock held. */
static tkms_err enqueue(node_outbox *o, const job *proto, bool *taken) {
    *taken = false;
    job *slot = NULL;
    for (size_t k = 0; k < NODE_OUTBOX_JOBS_MAX; k++) {
        job *j = &o->jobs[k];
        if (j->kind == proto->kind && strcmp(j->url, proto->url) == 0 &&
            memcmp(j->hash, proto->hash, 32) == 0) {
            return TKMS_OK; /* already pending: the first one keeps its backoff */
        }
        if (j->kind == JOB_FREE && slot == NULL) {
            slot = j;
        }
    }
    if (slot == NULL) {
        o->stats.dropped++;
        return TKMS_ERR_NODE_PEER_QUEUE_FULL;
    }
    *slot = *proto;
    *taken = true;
    pthread_cond_signal(&o->wake);
    return TKMS_OK;
}

static bool url_join(char *out, size_t max, const char *base, const char *path) {
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') {
        n--; /* "http://h:1/" and "http://h:1" name the same peer */
    }
    int w = snprintf(out, max, "%.*s%s", (int)n, base, path);
    return w > 0 && (size_t)w < max;
}

tkms_err node_outbox_push(node_outbox *o, const char *base_url, const char *body, size_t body_len,
                          uint64_t epoch, uint64_t deadline_block) {
    TKMS_ASSERT(o != NULL && base_url != NULL && body != NULL);
    job j;
    memset(&j, 0, sizeof j);
    j.kind = JOB_PUSH;
    if (!url_join(j.url, sizeof j.url, base_url, NODE_PEER_PATH)) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    tkms_prim_sha256(j.hash, (const uint8_t *)body, body_len);
    j.epoch = epoch;
    j.deadline_block = deadline_block;
    j.backoff_ms = NODE_OUTBOX_BACKOFF_MS_MIN;
    j.body = malloc(body_len + 1);
    if (j.body == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    memcpy(j.body, body, body_len);
    j.body[body_len] = '\0';
    j.body_len = body_len;
    bool taken = false;
    pthread_mutex_lock(&o->lock);
    peer_register(o, base_url);
    tkms_err err = enqueue(o, &j, &taken);
    pthread_mutex_unlock(&o->lock);
    if (!taken) {
        free(j.body);
    }
    return err;
}

tkms_err node_outbox_fetch(node_outbox *o, const char *base_url, const uint8_t hash[32],
                           uint64_t epoch, uint64_t deadline_block) {
    TKMS_ASSERT(o != NULL && base_url != NULL && hash != NULL);
    job j;
    memset(&j, 0, sizeof j);
    j.kind = JOB_FETCH;
    char path[sizeof NODE_PEER_RECORD_PATH + 64];
    char hex[67];
    tkms_chain_hex_encode(hex, hash, 32);
    snprintf(path, sizeof path, "%s%s", NODE_PEER_RECORD_PATH, hex + 2);
    if (!url_join(j.url, sizeof j.url, base_url, path)) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    memcpy(j.hash, hash, 32);
    j.epoch = epoch;
    j.deadline_block = deadline_block;
    j.backoff_ms = NODE_OUTBOX_BACKOFF_MS_MIN;
    bool taken = false;
    pthread_mutex_lock(&o->lock);
    peer_register(o, base_url);
    tkms_err err = enqueue(o, &j, &taken);
    pthread_mutex_unlock(&o->lock);
    return err;
}

void node_outbox_stats_get(node_outbox *o, node_outbox_stats *out) {
    pthread_mutex_lock(&o->lock);
    *out = o->stats;
    pthread_mutex_unlock(&o->lock);
}

bool node_outbox_peer_status(node_outbox *o, const char *base_url, bool *reachable,
                             uint64_t *last_ok) {
    bool found = false;
    *reachable = false;
    *last_ok = 0;
    pthread_mutex_lock(&o->lock);
    for (size_t i = 0; i < PEERS_TRACKED && !found; i++) {
        if (strcmp(o->peers[i].base, base_url) == 0) {
            found = true;
            *reachable = o->peers[i].reachable;
            *last_ok = o->peers[i].last_ok;
        }
    }
    pthread_mutex_unlock(&o->lock);
    return found;
}
