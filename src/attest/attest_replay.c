/*
 * attest_replay.c — a bounded, set-associative replay cache for attestation tokens.
 *
 * Keys are 32-byte digests of what identifies a token (iss, iat, nonce — or jti); each is
 * kept until the token's expiry (plus skew, chosen by the caller). Memory is fixed at
 * creation: 2 × entries_max ways (rounded up to a power of two, 32 bytes each) in buckets
 * of 8, the bucket chosen by a keyed hash (a random per-cache salt, so nobody can aim many
 * tokens at one bucket). Inserting into a full bucket first reuses expired ways and
 * otherwise evicts the way that expires first; at half load a bucket overflows rarely. Eviction of
 * a live entry would let that one token be replayed; the binding to the caller's RSA key still
 * stops a replayer from reading the answer (docs/attestation.md). Thread-safe.
 */
#include <string.h>

#include <openssl/rand.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

#define REPLAY_WAYS 8

typedef struct {
    uint8_t key[16]; /* 128 bits of the salted digest */
    int64_t expires_at;
    bool used;
} replay_entry;

struct attest_replay {
    pthread_mutex_t lock;
    size_t bucket_count; /* power of two */
    uint8_t salt[32];
    replay_entry *entries; /* bucket_count * REPLAY_WAYS */
};

attest_replay *attest_replay_new(size_t entries_max) {
    TKMS_ASSERT(entries_max > 0);
    TKMS_ASSERT(entries_max <= TKMS_ATTEST_REPLAY_ENTRIES_MAX);
    size_t buckets = 1;
    while (buckets * REPLAY_WAYS < 2 * entries_max) {
        buckets *= 2;
    }
    attest_replay *r = calloc(1, sizeof *r);
    if (r == NULL) {
        return NULL;
    }
    r->entries = calloc(buckets * REPLAY_WAYS, sizeof *r->entries);
    if (r->entries == NULL || RAND_bytes(r->salt, sizeof r->salt) != 1) {
        free(r->entries);
        free(r);
        return NULL;
    }
    r->bucket_count = buckets;
    TKMS_ASSERT(pthread_mutex_init(&r->lock, NULL) == 0);
    return r;
}

void attest_replay_free(attest_replay *replay) {
    if (replay == NULL) {
        return;
    }
    pthread_mutex_destroy(&replay->lock);
    free(replay->entries);
    free(replay);
}

tkms_err attest_replay_check_insert(attest_replay *replay, tkms_attest_error *error,
                                    const uint8_t key[32], int64_t expires_at, int64_t now) {
    uint8_t digest[32];
    const tkms_prim_buf parts[] = {{replay->salt, sizeof replay->salt}, {key, 32}};
    tkms_prim_sha256_parts(digest, parts, 2);
    uint64_t h = 0;
    memcpy(&h, digest + 16, sizeof h);
    replay_entry *bucket = replay->entries + (h & (replay->bucket_count - 1)) * REPLAY_WAYS;

    pthread_mutex_lock(&replay->lock);
    replay_entry *victim = NULL;
    for (size_t i = 0; i < REPLAY_WAYS; i++) {
        replay_entry *e = &bucket[i];
        const bool live = e->used && e->expires_at > now;
        if (live && memcmp(e->key, digest, sizeof e->key) == 0) {
            const int64_t until = e->expires_at;
            pthread_mutex_unlock(&replay->lock);
            char t[32];
            attest_time_format(t, until);
            return attest_fail(error, TKMS_ERR_ATTEST_REPLAYED,
                               "replay: this token was already accepted (remembered until %s)", t);
        }
        if (!live && (victim == NULL || victim->used)) {
            victim = e; /* prefer a never-used way, then any expired one */
        } else if (live && (victim == NULL || (victim->used && victim->expires_at > now &&
                                               e->expires_at < victim->expires_at))) {
            victim = e;
        }
    }
    TKMS_ASSERT(victim != NULL);
    memcpy(victim->key, digest, sizeof victim->key);
    victim->expires_at = expires_at;
    victim->used = true;
    pthread_mutex_unlock(&replay->lock);
    return TKMS_OK;
}
