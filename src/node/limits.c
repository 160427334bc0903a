/*
 * limits.c — request admission: token buckets per source address (one table per rate
 * class) and per app id, and the global in-flight cap (api.md "Limits").
 *
 * Buckets live in fixed set-associative tables (NODE_LIMITS_BUCKET_SETS sets of
 * NODE_LIMITS_WAYS), indexed by a keyed hash with a per-process random key so a client
 * cannot aim many addresses at one set. A full set reuses its least recently used way;
 * that bucket starts full again, so a flood of distinct addresses can at worst grant
 * each of them its burst — the same as having a bucket each — and never grows memory.
 * Tokens are fixed-point (1 token = 10^6 units): refill = elapsed µs × rps units, capped
 * at burst × 10^6. Each set has its own mutex (held for a few arithmetic operations).
 * rps = 0 in the config disables that limit. Not here: the order of checks (http.c).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/tkms_assert.h"
#include "node/http_internal.h"
#include "prim/prim.h"

#define TOKEN_UNITS 1000000u
#define KEY_BYTES 21 /* class/kind byte ‖ 20 (app) or 16 (address) bytes */

typedef struct {
    bool used;
    uint8_t key[KEY_BYTES];
    uint64_t tokens; /* units */
    uint64_t last_us;
} bucket;

typedef struct {
    pthread_mutex_t lock;
    bucket way[NODE_LIMITS_WAYS];
} bucket_set;

typedef struct {
    uint32_t rps, burst;
    bucket_set *sets; /* NODE_LIMITS_BUCKET_SETS */
} bucket_table;

enum { TABLE_APP_IP = 0, TABLE_PEER_IP = 1, TABLE_APP_ID = 2, TABLE_COUNT = 3 };

struct node_limits {
    uint8_t hash_key[16];
    bucket_table table[TABLE_COUNT];
    uint32_t in_flight_max;
    _Atomic uint32_t in_flight;
};

static bool table_init(bucket_table *t, uint32_t rps, uint32_t burst) {
    t->rps = rps;
    t->burst = burst;
    if (rps == 0) {
        return true; /* unlimited: no table */
    }
    t->sets = calloc(NODE_LIMITS_BUCKET_SETS, sizeof *t->sets);
    if (t->sets == NULL) {
        return false;
    }
    for (size_t i = 0; i < NODE_LIMITS_BUCKET_SETS; i++) {
        pthread_mutex_init(&t->sets[i].lock, NULL);
    }
    return true;
}

static void table_free(bucket_table *t) {
    if (t->sets == NULL) {
        return;
    }
    for (size_t i = 0; i < NODE_LIMITS_BUCKET_SETS; i++) {
        pthread_mutex_destroy(&t->sets[i].lock);
    }
    free(t->sets);
    t->sets = NULL;
}

node_limits *limits_new(const node_config *c) {
    node_limits *l = calloc(1, sizeof *l);
    if (l == NULL) {
        return NULL;
    }
    if (getrandom(l->hash_key, sizeof l->hash_key, 0) != (ssize_t)sizeof l->hash_key) {
        memset(l->hash_key, 0x5a, sizeof l->hash_key); /* still works, only less spread */
    }
    l->in_flight_max = c->in_flight_max;
    bool ok = table_init(&l->table[TABLE_APP_IP], c->ip_rps, c->ip_burst) &&
              table_init(&l->table[TABLE_PEER_IP], c->ip_rps, c->ip_burst) &&
              table_init(&l->table[TABLE_APP_ID], c->app_rps, c->app_burst);
    if (!ok) {
        limits_free(l);
        return NULL;
    }
    return l;
}

void limits_free(node_limits *l) {
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < TABLE_COUNT; i++) {
        table_free(&l->table[i]);
    }
    free(l);
}

static size_t set_index(const node_limits *l, const uint8_t key[KEY_BYTES]) {
    uint8_t h[TKMS_PRIM_SHA256_BYTES];
    tkms_prim_buf parts[] = {{l->hash_key, sizeof l->hash_key}, {key, KEY_BYTES}};
    tkms_prim_sha256_parts(h, parts, 2);
    uint32_t v = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16;
    return v % NODE_LIMITS_BUCKET_SETS;
}

/* The way holding key, else a free or the least recently used one (reset to full). */
static bucket *way_for(bucket_set *set, const uint8_t key[KEY_BYTES], const bucket_table *t,
                       uint64_t now_us) {
    bucket *victim = &set->way[0];
    for (size_t i = 0; i < NODE_LIMITS_WAYS; i++) {
        bucket *b = &set->way[i];
        if (b->used && memcmp(b->key, key, KEY_BYTES) == 0) {
            return b;
        }
        if (!b->used || (victim->used && b->last_us < victim->last_us)) {
            victim = b;
        }
    }
    victim->used = true;
    memcpy(victim->key, key, KEY_BYTES);
    victim->tokens = (uint64_t)t->burst * TOKEN_UNITS;
    victim->last_us = now_us;
    return victim;
}

static bool bucket_take(node_limits *l, bucket_table *t, const uint8_t key[KEY_BYTES],
                        uint64_t now_us, uint32_t *retry_after_s) {
    *retry_after_s = 0;
    if (t->rps == 0) {
        return true;
    }
    TKMS_ASSERT(t->sets != NULL);
    bucket_set *set = &t->sets[set_index(l, key)];
    pthread_mutex_lock(&set->lock);
    bucket *b = way_for(set, key, t, now_us);
    uint64_t cap = (uint64_t)t->burst * TOKEN_UNITS;
    if (now_us > b->last_us) {
        uint64_t elapsed = now_us - b->last_us;
        /* bounded so that elapsed·rps cannot overflow */
        uint64_t refill = elapsed >= cap / t->rps + 1 ? cap : elapsed * t->rps;
        b->tokens = b->tokens + refill > cap ? cap : b->tokens + refill;
        b->last_us = now_us;
    }
    bool ok = b->tokens >= TOKEN_UNITS;
    if (ok) {
        b->tokens -= TOKEN_UNITS;
    } else {
        uint64_t wait_us = (TOKEN_UNITS - b->tokens + t->rps - 1) / t->rps;
        *retry_after_s = (uint32_t)((wait_us + 999999u) / 1000000u);
        *retry_after_s = *retry_after_s == 0 ? 1 : *retry_after_s;
    }
    pthread_mutex_unlock(&set->lock);
    return ok;
}

bool limits_ip_take(node_limits *l, http_rate_class rate, const uint8_t ip[16], uint64_t now_us,
                    uint32_t *retry_after_s) {
    TKMS_ASSERT(l != NULL);
    TKMS_ASSERT(rate == RATE_APP || rate == RATE_PEER);
    uint8_t key[KEY_BYTES] = {(uint8_t)rate};
    memcpy(key + 1, ip, 16);
    size_t table = rate == RATE_APP ? TABLE_APP_IP : TABLE_PEER_IP;
    return bucket_take(l, &l->table[table], key, now_us, retry_after_s);
}

bool limits_app_take(node_limits *l, const uint8_t app[20], uint64_t now_us,
                     uint32_t *retry_after_s) {
    TKMS_ASSERT(l != NULL);
    uint8_t key[KEY_BYTES] = {0xa0};
    memcpy(key + 1, app, 20);
    return bucket_take(l, &l->table[TABLE_APP_ID], key, now_us, retry_after_s);
}

bool limits_in_flight_enter(node_limits *l) {
    uint32_t cur = atomic_load(&l->in_flight);
    do {
        if (cur >= l->in_flight_max) {
            return false;
        }
    } while (!atomic_compare_exchange_weak(&l->in_flight, &cur, cur + 1));
    return true;
}

void limits_in_flight_leave(node_limits *l) {
    uint32_t before = atomic_fetch_sub(&l->in_flight, 1);
    TKMS_ASSERT(before >= 1);
}

uint32_t limits_in_flight(node_limits *l) {
    return atomic_load(&l->in_flight);
}
