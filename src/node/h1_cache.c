/*
 * h1_cache.c — a bounded cache of H1(id) = hash_to_curve_G1(id) (crypto.md §4) for
 * /v1/secrets: an app asks again on every restart of its enclave, and hashing to G1 is a
 * measurable part of a request (docs/http.md "Performance").
 *
 * H1 is a public function of a public id, so caching it leaks nothing. The cache is
 * H1_CACHE_SETS sets of H1_CACHE_WAYS entries (LRU within a set by a use counter), set
 * chosen by the last bytes of the id (app ids are addresses: uniformly distributed;
 * a client choosing ids can only evict within one set, costing itself a recompute).
 * Ids longer than ID_BYTES_MAX are not cached. One mutex per set.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "node/http_internal.h"
#include "tss/tss.h"

#define ID_BYTES_MAX 64

typedef struct {
    bool used;
    uint8_t id_len;
    char id[ID_BYTES_MAX];
    uint64_t last_use;
    tkms_bls_g1 point;
} h1_entry;

typedef struct {
    pthread_mutex_t lock;
    uint64_t clock;
    h1_entry way[H1_CACHE_WAYS];
} h1_set;

struct node_h1_cache {
    h1_set sets[H1_CACHE_SETS];
};

node_h1_cache *h1_cache_new(void) {
    node_h1_cache *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < H1_CACHE_SETS; i++) {
        pthread_mutex_init(&c->sets[i].lock, NULL);
    }
    return c;
}

void h1_cache_free(node_h1_cache *c) {
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < H1_CACHE_SETS; i++) {
        pthread_mutex_destroy(&c->sets[i].lock);
    }
    free(c);
}

static size_t set_of(const char *id, size_t len) {
    uint32_t h = 2166136261u; /* FNV-1a over the id */
    for (size_t i = 0; i < len; i++) {
        h = (h ^ (uint8_t)id[i]) * 16777619u;
    }
    return h % H1_CACHE_SETS;
}

static bool lookup(h1_set *set, tkms_bls_g1 *out, const char *id, size_t len) {
    bool hit = false;
    pthread_mutex_lock(&set->lock);
    for (size_t i = 0; i < H1_CACHE_WAYS && !hit; i++) {
        h1_entry *e = &set->way[i];
        if (e->used && e->id_len == len && memcmp(e->id, id, len) == 0) {
            *out = e->point;
            e->last_use = ++set->clock;
            hit = true;
        }
    }
    pthread_mutex_unlock(&set->lock);
    return hit;
}

static void insert(h1_set *set, const tkms_bls_g1 *point, const char *id, size_t len) {
    pthread_mutex_lock(&set->lock);
    h1_entry *victim = &set->way[0];
    for (size_t i = 0; i < H1_CACHE_WAYS; i++) {
        h1_entry *e = &set->way[i];
        if (!e->used || (victim->used && e->last_use < victim->last_use)) {
            victim = e;
        }
    }
    victim->used = true;
    victim->id_len = (uint8_t)len;
    memcpy(victim->id, id, len);
    victim->point = *point;
    victim->last_use = ++set->clock;
    pthread_mutex_unlock(&set->lock);
}

tkms_err h1_cache_get(node_h1_cache *c, tkms_bls_g1 *out, const char *id, size_t id_len) {
    TKMS_ASSERT(out != NULL && id != NULL);
    bool cacheable = c != NULL && id_len > 0 && id_len <= ID_BYTES_MAX;
    h1_set *set = cacheable ? &c->sets[set_of(id, id_len)] : NULL;
    if (cacheable && lookup(set, out, id, id_len)) {
        return TKMS_OK;
    }
    tkms_err err = tkms_tss_h1(out, (const uint8_t *)id, id_len);
    if (err == TKMS_OK && cacheable) {
        insert(set, out, id, id_len);
    }
    return err;
}
