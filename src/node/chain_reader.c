/*
 * chain_reader.c — the HTTP layer's chain reads (chain_reader.h): a bounded cache over a
 * node_chain_source, and the JSON-RPC source over src/chain (AppController.owner(app) and
 * latestRelease(app), docs/contracts.md §6).
 *
 * Cache: NODE_CHAIN_CACHE_ENTRIES_MAX at most, in sets of WAYS with LRU inside a set,
 * one mutex (held for lookups and copies only; RPC runs outside it). Each entry keeps
 * the owner and the release separately with their fetch times. Invalidation bumps a
 * generation; a fetch that started before the bump does not insert its (possibly stale)
 * answer. Negative answers (unknown app, no release, errors) are never cached. Releases
 * are kept compact (their env bytes only, not the 33 KB node_release) and all of them
 * together within NODE_CHAIN_CACHE_RELEASE_BYTES_MAX: a release that does not fit after
 * the expired ones are dropped is answered but not cached, so apps created to fill the
 * cache cost the node CPU (one RPC per request, as without a cache), never memory.
 * RPC source: a pool of tkms_chain_client (each one thread at a time, chain.h), taken by
 * trylock round-robin, else waited for. Reverts are told apart by their selector:
 * UnknownApp(address) and NoRelease(address); anything else is chain_unavailable.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain.h"
#include "common/tkms_assert.h"
#include "node/chain_reader.h"
#include "node/log.h"

#define WAYS 4
#define APPS_OWNER "owner(address)"
#define APPS_OWNER_OUT "(address)"
#define REVERT_UNKNOWN_APP "UnknownApp(address)"
#define REVERT_NO_RELEASE "NoRelease(address)"

/* ---- the cache ------------------------------------------------------------------------ */

typedef struct {
    bool used;
    uint8_t app[20];
    uint64_t last_use;
    bool has_owner;
    uint64_t owner_at_s;
    uint8_t owner[20];
    struct cached_release *release; /* heap, NULL when not cached */
    uint64_t release_at_s;
} cache_entry;

/* A release as cached: the fixed fields and exactly its env bytes (encrypted, public). */
typedef struct cached_release {
    uint64_t release_id;
    uint64_t block_number;
    uint8_t image_digest[32];
    char registry[NODE_REGISTRY_BYTES_MAX + 1];
    size_t encrypted_env_len, public_env_len;
    size_t bytes; /* this allocation */
    uint8_t env[];
} cached_release;

struct node_chain_reader {
    node_chain_source source;
    pthread_mutex_t lock;
    uint32_t ttl_s;
    size_t sets; /* 0: no cache */
    cache_entry *entries;
    uint64_t clock;
    uint64_t generation;
    size_t release_bytes; /* Σ cached_release.bytes */
    _Atomic uint64_t source_calls;
};

static uint64_t now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec;
}

tkms_err node_chain_reader_new(node_chain_reader **out, const node_chain_source *source,
                               uint32_t ttl_s, uint32_t entries) {
    TKMS_ASSERT(source != NULL && source->app_owner != NULL && source->latest_release != NULL);
    *out = NULL;
    node_chain_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    r->source = *source;
    r->ttl_s = ttl_s != 0 ? ttl_s : NODE_CHAIN_CACHE_TTL_S_DEFAULT;
    entries = entries > NODE_CHAIN_CACHE_ENTRIES_MAX ? NODE_CHAIN_CACHE_ENTRIES_MAX : entries;
    r->sets = (entries + WAYS - 1) / WAYS;
    if (r->sets > 0 && (r->entries = calloc(r->sets * WAYS, sizeof *r->entries)) == NULL) {
        free(r);
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return TKMS_OK;
}

static void release_drop(node_chain_reader *r, cache_entry *e) {
    if (e->release != NULL) {
        TKMS_ASSERT(r->release_bytes >= e->release->bytes);
        r->release_bytes -= e->release->bytes;
        free(e->release);
        e->release = NULL;
    }
}

static void entry_clear(node_chain_reader *r, cache_entry *e) {
    release_drop(r, e);
    memset(e, 0, sizeof *e);
}

void node_chain_reader_free(node_chain_reader *r) {
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->sets * WAYS; i++) {
        entry_clear(r, &r->entries[i]);
    }
    free(r->entries);
    pthread_mutex_destroy(&r->lock);
    if (r->source.free != NULL) {
        r->source.free(r->source.ctx);
    }
    free(r);
}

/* The entry of app in its set; with create, a free or the LRU way (cleared). Locked. */
static cache_entry *entry_find(node_chain_reader *r, const uint8_t app[20], bool create) {
    uint32_t h = (uint32_t)app[16] << 24 | (uint32_t)app[17] << 16 | (uint32_t)app[18] << 8 |
                 app[19]; /* addresses are keccak outputs: uniform */
    cache_entry *set = &r->entries[(h % r->sets) * WAYS];
    cache_entry *victim = &set[0];
    for (size_t i = 0; i < WAYS; i++) {
        if (set[i].used && memcmp(set[i].app, app, 20) == 0) {
            set[i].last_use = ++r->clock;
            return &set[i];
        }
        if (!set[i].used || (victim->used && set[i].last_use < victim->last_use)) {
            victim = &set[i];
        }
    }
    if (!create) {
        return NULL;
    }
    entry_clear(r, victim);
    victim->used = true;
    memcpy(victim->app, app, 20);
    victim->last_use = ++r->clock;
    return victim;
}

static cached_release *release_pack(const node_release *in) {
    TKMS_ASSERT(in->encrypted_env_len <= NODE_ENV_BYTES_MAX);
    TKMS_ASSERT(in->public_env_len <= NODE_ENV_BYTES_MAX);
    size_t bytes = sizeof(cached_release) + in->encrypted_env_len + in->public_env_len;
    cached_release *c = malloc(bytes);
    if (c == NULL) {
        return NULL;
    }
    c->release_id = in->release_id;
    c->block_number = in->block_number;
    memcpy(c->image_digest, in->image_digest, 32);
    memcpy(c->registry, in->registry, sizeof c->registry);
    c->encrypted_env_len = in->encrypted_env_len;
    c->public_env_len = in->public_env_len;
    c->bytes = bytes;
    memcpy(c->env, in->encrypted_env, in->encrypted_env_len);
    memcpy(c->env + in->encrypted_env_len, in->public_env, in->public_env_len);
    return c;
}

static void release_unpack(node_release *out, const cached_release *c) {
    out->release_id = c->release_id;
    out->block_number = c->block_number;
    memcpy(out->image_digest, c->image_digest, 32);
    memcpy(out->registry, c->registry, sizeof out->registry);
    out->encrypted_env_len = c->encrypted_env_len;
    memcpy(out->encrypted_env, c->env, c->encrypted_env_len);
    out->public_env_len = c->public_env_len;
    memcpy(out->public_env, c->env + c->encrypted_env_len, c->public_env_len);
}

/* Room for `bytes` more within the budget, dropping expired releases if needed. Locked. */
static bool release_room(node_chain_reader *r, size_t bytes, uint64_t now) {
    if (r->release_bytes + bytes <= NODE_CHAIN_CACHE_RELEASE_BYTES_MAX) {
        return true;
    }
    for (size_t i = 0; i < r->sets * WAYS; i++) {
        cache_entry *e = &r->entries[i];
        if (e->release != NULL && now - e->release_at_s >= r->ttl_s) {
            release_drop(r, e);
        }
    }
    return r->release_bytes + bytes <= NODE_CHAIN_CACHE_RELEASE_BYTES_MAX;
}

tkms_err node_chain_reader_app_owner(node_chain_reader *r, uint8_t owner[20],
                                     const uint8_t app[20]) {
    TKMS_ASSERT(r != NULL);
    uint64_t now = now_s(), generation = 0;
    if (r->sets > 0) {
        pthread_mutex_lock(&r->lock);
        generation = r->generation;
        cache_entry *e = entry_find(r, app, false);
        bool hit = e != NULL && e->has_owner && now - e->owner_at_s < r->ttl_s;
        if (hit) {
            memcpy(owner, e->owner, 20);
        }
        pthread_mutex_unlock(&r->lock);
        if (hit) {
            return TKMS_OK;
        }
    }
    atomic_fetch_add(&r->source_calls, 1);
    tkms_err err = r->source.app_owner(r->source.ctx, owner, app);
    static const uint8_t zero[20] = {0};
    if (err == TKMS_OK && memcmp(owner, zero, 20) == 0) {
        return TKMS_ERR_NODE_UNKNOWN_APP;
    }
    if (err == TKMS_OK && r->sets > 0) {
        pthread_mutex_lock(&r->lock);
        cache_entry *e = r->generation == generation ? entry_find(r, app, true) : NULL;
        if (e != NULL) {
            e->has_owner = true;
            e->owner_at_s = now;
            memcpy(e->owner, owner, 20);
        }
        pthread_mutex_unlock(&r->lock);
    }
    return err;
}

static bool release_cached(node_chain_reader *r, node_release *out, const uint8_t app[20],
                           uint64_t now, uint64_t *generation) {
    pthread_mutex_lock(&r->lock);
    *generation = r->generation;
    cache_entry *e = entry_find(r, app, false);
    bool hit = e != NULL && e->release != NULL && now - e->release_at_s < r->ttl_s;
    if (hit) {
        release_unpack(out, e->release);
    }
    pthread_mutex_unlock(&r->lock);
    return hit;
}

tkms_err node_chain_reader_latest_release(node_chain_reader *r, node_release *out,
                                          const uint8_t app[20]) {
    TKMS_ASSERT(r != NULL && out != NULL);
    uint64_t now = now_s(), generation = 0;
    if (r->sets > 0 && release_cached(r, out, app, now, &generation)) {
        return TKMS_OK;
    }
    atomic_fetch_add(&r->source_calls, 1);
    tkms_err err = r->source.latest_release(r->source.ctx, out, app);
    if (err != TKMS_OK || r->sets == 0) {
        return err;
    }
    cached_release *copy = release_pack(out); /* outside the lock */
    if (copy == NULL) {
        return TKMS_OK; /* not cached, still answered */
    }
    pthread_mutex_lock(&r->lock);
    cache_entry *e = r->generation == generation ? entry_find(r, app, true) : NULL;
    if (e != NULL) {
        release_drop(r, e);
        if (release_room(r, copy->bytes, now)) {
            e->release = copy;
            e->release_at_s = now;
            r->release_bytes += copy->bytes;
            copy = NULL;
        }
    }
    pthread_mutex_unlock(&r->lock);
    free(copy);
    return TKMS_OK;
}

void node_chain_reader_invalidate(node_chain_reader *r, const uint8_t app[20]) {
    TKMS_ASSERT(r != NULL);
    pthread_mutex_lock(&r->lock);
    r->generation++; /* fetches in progress will not insert what they read */
    for (size_t i = 0; i < r->sets * WAYS; i++) {
        if (r->entries[i].used && (app == NULL || memcmp(r->entries[i].app, app, 20) == 0)) {
            entry_clear(r, &r->entries[i]);
        }
    }
    pthread_mutex_unlock(&r->lock);
}

size_t node_chain_reader_cached_bytes(node_chain_reader *r) {
    TKMS_ASSERT(r != NULL);
    pthread_mutex_lock(&r->lock);
    size_t bytes = r->release_bytes;
    pthread_mutex_unlock(&r->lock);
    return bytes;
}

uint64_t node_chain_reader_source_calls(const node_chain_reader *r) {
    return atomic_load(&((node_chain_reader *)r)->source_calls);
}

/* ---- the JSON-RPC source ------------------------------------------------------------------ */

typedef struct {
    pthread_mutex_t lock;
    tkms_chain_client *client;
} rpc_slot;

typedef struct {
    tkms_chain_address app_controller;
    uint32_t count;
    _Atomic uint32_t next;
    uint8_t sel_unknown_app[4], sel_no_release[4];
    rpc_slot slots[NODE_CHAIN_CLIENTS_MAX];
} rpc_source;

static rpc_slot *rpc_take(rpc_source *s) {
    uint32_t start = atomic_fetch_add(&s->next, 1);
    for (uint32_t i = 0; i < s->count; i++) {
        rpc_slot *slot = &s->slots[(start + i) % s->count];
        if (pthread_mutex_trylock(&slot->lock) == 0) {
            return slot;
        }
    }
    rpc_slot *slot = &s->slots[start % s->count]; /* all busy: wait for one */
    pthread_mutex_lock(&slot->lock);
    return slot;
}

/* eth_call of signature(app) at "latest"; the return data in *ret. */
static tkms_err rpc_call_app(rpc_source *s, rpc_slot *slot, tkms_chain_bytes *ret,
                             const char *signature, const uint8_t app[20]) {
    tkms_chain_address a;
    memcpy(a.bytes, app, 20);
    tkms_chain_abi_value arg = tkms_chain_abi_address(&a);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&arg, 1);
    tkms_chain_bytes data = {0};
    tkms_err err = tkms_chain_abi_call_encode(&data, signature, &args);
    TKMS_ASSERT(err == TKMS_OK); /* our own constant signature */
    tkms_chain_call_request req = {NULL, &s->app_controller, data.ptr, data.len};
    err = tkms_chain_call(slot->client, ret, &req, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
    tkms_chain_bytes_free(&data);
    return err;
}

/* Maps a failed call: a known revert or chain_unavailable (logged). */
static tkms_err rpc_failure(rpc_source *s, rpc_slot *slot, tkms_err err, const char *what) {
    if (err == TKMS_ERR_CHAIN_REVERTED) {
        const uint8_t *data;
        size_t len;
        tkms_chain_client_revert_data(slot->client, &data, &len);
        if (len >= 4 && memcmp(data, s->sel_unknown_app, 4) == 0) {
            return TKMS_ERR_NODE_UNKNOWN_APP;
        }
        if (len >= 4 && memcmp(data, s->sel_no_release, 4) == 0) {
            return TKMS_ERR_NODE_NO_RELEASE;
        }
    }
    node_log(NODE_LOG_WARN, "chain", "app_read_failed", NODE_LOG_NO_EPOCH, "%s: %s: %s", what,
             tkms_err_name(err), tkms_chain_client_error(slot->client));
    return TKMS_ERR_NODE_CHAIN_UNAVAILABLE;
}

static tkms_err rpc_owner(void *ctx, uint8_t owner[20], const uint8_t app[20]) {
    rpc_source *s = ctx;
    rpc_slot *slot = rpc_take(s);
    tkms_chain_bytes ret = {0};
    tkms_err err = rpc_call_app(s, slot, &ret, APPS_OWNER, app);
    tkms_chain_abi_value values[4], out;
    tkms_chain_abi_pool pool = {values, 4, 0};
    tkms_chain_address a;
    if (err == TKMS_OK &&
        ((err = tkms_chain_abi_decode(&out, &pool, APPS_OWNER_OUT, ret.ptr, ret.len)) != TKMS_OK ||
         (err = tkms_chain_abi_get_address(&a, &out.items[0])) != TKMS_OK)) {
        err = TKMS_ERR_CHAIN_RPC_BAD_FIELD;
    }
    if (err == TKMS_OK) {
        memcpy(owner, a.bytes, 20);
    }
    tkms_err result = err == TKMS_OK ? TKMS_OK : rpc_failure(s, slot, err, "owner");
    pthread_mutex_unlock(&slot->lock);
    tkms_chain_bytes_free(&ret);
    return result;
}

/* (uint256 id, uint64 block, bytes32 digest, string registry, bytes env, bytes public). */
static tkms_err release_decode(node_release *out, const uint8_t *data, size_t len) {
    tkms_chain_abi_value values[10], v;
    tkms_chain_abi_pool pool = {values, 10, 0};
    tkms_err err = tkms_chain_abi_decode(&v, &pool, TKMS_CHAIN_APPS_RELEASE_OUT, data, len);
    if (err != TKMS_OK || v.count != 6 || tkms_chain_abi_get_u64(&out->release_id, &v.items[0]) ||
        tkms_chain_abi_get_u64(&out->block_number, &v.items[1]) ||
        v.items[3].len > NODE_REGISTRY_BYTES_MAX ||
        v.items[4].len + v.items[5].len > NODE_ENV_BYTES_MAX) {
        return TKMS_ERR_CHAIN_RPC_BAD_FIELD;
    }
    memcpy(out->image_digest, v.items[2].word, 32);
    memcpy(out->registry, v.items[3].data, v.items[3].len);
    out->registry[v.items[3].len] = 0;
    out->encrypted_env_len = v.items[4].len;
    memcpy(out->encrypted_env, v.items[4].data, v.items[4].len);
    out->public_env_len = v.items[5].len;
    memcpy(out->public_env, v.items[5].data, v.items[5].len);
    return TKMS_OK;
}

static tkms_err rpc_latest_release(void *ctx, node_release *out, const uint8_t app[20]) {
    rpc_source *s = ctx;
    rpc_slot *slot = rpc_take(s);
    tkms_chain_bytes ret = {0};
    tkms_err err = rpc_call_app(s, slot, &ret, TKMS_CHAIN_APPS_LATEST_RELEASE, app);
    if (err == TKMS_OK) {
        err = release_decode(out, ret.ptr, ret.len);
    }
    tkms_err result = err == TKMS_OK ? TKMS_OK : rpc_failure(s, slot, err, "latestRelease");
    pthread_mutex_unlock(&slot->lock);
    tkms_chain_bytes_free(&ret);
    return result;
}

static void rpc_free(void *ctx) {
    rpc_source *s = ctx;
    for (uint32_t i = 0; i < s->count; i++) {
        tkms_chain_client_free(s->slots[i].client);
        pthread_mutex_destroy(&s->slots[i].lock);
    }
    free(s);
}

tkms_err node_chain_source_rpc(node_chain_source *out, const char *rpc_url, uint64_t chain_id,
                               const uint8_t app_controller[20], uint32_t clients) {
    TKMS_ASSERT(out != NULL && rpc_url != NULL);
    memset(out, 0, sizeof *out);
    if (clients == 0 || clients > NODE_CHAIN_CLIENTS_MAX) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    rpc_source *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    memcpy(s->app_controller.bytes, app_controller, 20);
    tkms_err err = tkms_chain_abi_selector(s->sel_unknown_app, REVERT_UNKNOWN_APP);
    TKMS_ASSERT(err == TKMS_OK);
    err = tkms_chain_abi_selector(s->sel_no_release, REVERT_NO_RELEASE);
    TKMS_ASSERT(err == TKMS_OK);
    tkms_chain_client_options opt;
    tkms_chain_client_options_default(&opt);
    opt.url = rpc_url;
    opt.chain_id_expected = chain_id;
    opt.retries = 1; /* a request waits for this: fail fast, the app retries */
    for (; s->count < clients && err == TKMS_OK; s->count++) {
        pthread_mutex_init(&s->slots[s->count].lock, NULL);
        err = tkms_chain_client_new(&s->slots[s->count].client, &opt);
    }
    if (err != TKMS_OK) {
        rpc_free(s);
        return err;
    }
    *out = (node_chain_source){s, rpc_owner, rpc_latest_release, rpc_free};
    return TKMS_OK;
}
