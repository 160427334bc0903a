/*
 * group_bls.c — the protocol's group operations over BLS12-381 G2 (tkms_proto_group, R14):
 * commitments are compressed G2 points, checked with the strict decoder, and the share
 * checks and combinations are tss.h. This is what a real node runs; the simulator plugs
 * in a transparent group with the same algebra instead.
 *
 * The decode cache. One epoch asks for the same points many times: a dealer's t
 * commitments are checked when its record arrives, again at the ack and again at the
 * decide, combined at the decide, and every reshare dealer's constant is compared with
 * PK_i(V) (a multi-scalar multiplication over the source's commitments) at the ack and
 * again at the decide. Strict G2 decompression with its subgroup check is the node's
 * largest CPU cost at n = 20 (docs/performance.md). A tkms_proto_g2_cache memoizes both
 * pure functions — bytes → point, (commitments, x) → PK(x) — so each is computed once
 * while its epoch runs. Entries are keyed by the full input (compared byte for byte), so a
 * hit returns exactly what the computation would; the set index is a keyed hash under a
 * random key, so points chosen by a dealer cannot be aimed at one set. A full set evicts
 * in rotation: a miss costs what an uncached call costs, never more.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "prim/prim.h"
#include "proto/internal.h"

#define CACHE_WAYS TKMS_PROTO_G2_CACHE_WAYS
#define CACHE_SHARES 256 /* public shares: 2 per dealer and epoch, n <= 64 */

typedef struct {
    uint8_t bytes[TKMS_PROTO_COMMITMENT_BYTES];
    tkms_bls_g2 point;
    bool used;
} cache_point;

typedef struct {
    uint8_t digest[TKMS_PRIM_SHA256_BYTES]; /* of (t, C_0..C_{t-1}, x) under the key */
    uint8_t share[TKMS_PROTO_COMMITMENT_BYTES];
    bool used;
} cache_share;

struct tkms_proto_g2_cache {
    uint8_t key[32];
    size_t sets; /* a power of two */
    cache_point *points; /* sets × CACHE_WAYS */
    uint8_t *victim;     /* per set: the way the next insertion replaces */
    cache_share shares[CACHE_SHARES];
    uint32_t share_next;
    uint64_t hits, misses;
};

TKMS_EXPORT tkms_proto_g2_cache *tkms_proto_g2_cache_new(size_t points, const tkms_rng *rng) {
    TKMS_ASSERT(rng != NULL);
    TKMS_ASSERT(points >= CACHE_WAYS && points <= TKMS_PROTO_G2_CACHE_POINTS_MAX);
    tkms_proto_g2_cache *c = calloc(1, sizeof *c);
    size_t sets = 1;
    while (sets * 2 * CACHE_WAYS <= points) {
        sets *= 2;
    }
    if (c != NULL) {
        c->points = calloc(sets * CACHE_WAYS, sizeof *c->points);
        c->victim = calloc(sets, 1);
    }
    if (c == NULL || c->points == NULL || c->victim == NULL) {
        tkms_proto_g2_cache_free(c);
        return NULL;
    }
    c->sets = sets;
    tkms_rng_fill(rng, c->key, sizeof c->key);
    return c;
}

TKMS_EXPORT void tkms_proto_g2_cache_free(tkms_proto_g2_cache *c) {
    if (c != NULL) {
        free(c->points);
        free(c->victim);
        free(c);
    }
}

TKMS_EXPORT void tkms_proto_g2_cache_stats(const tkms_proto_g2_cache *c, uint64_t *hits,
                                           uint64_t *misses) {
    TKMS_ASSERT(c != NULL && hits != NULL && misses != NULL);
    *hits = c->hits;
    *misses = c->misses;
}

/* Strict decode of one point through the cache (cache may be NULL). Failures are not
   cached: a record with a bad point is marked failed once and not asked about again. */
static tkms_err decode_point(tkms_proto_g2_cache *c, tkms_bls_g2 *out,
                             const uint8_t in[TKMS_PROTO_COMMITMENT_BYTES]) {
    if (c == NULL) {
        return tkms_bls_g2_decode(out, in);
    }
    uint8_t h[TKMS_PRIM_SHA256_BYTES];
    tkms_prim_buf parts[2] = {{c->key, sizeof c->key}, {in, TKMS_PROTO_COMMITMENT_BYTES}};
    tkms_prim_sha256_parts(h, parts, 2);
    uint64_t index = 0;
    memcpy(&index, h, sizeof index);
    size_t set = (size_t)(index & (c->sets - 1));
    cache_point *ways = &c->points[set * CACHE_WAYS];
    for (size_t w = 0; w < CACHE_WAYS; w++) {
        if (ways[w].used && memcmp(ways[w].bytes, in, TKMS_PROTO_COMMITMENT_BYTES) == 0) {
            c->hits++;
            *out = ways[w].point;
            return TKMS_OK;
        }
    }
    c->misses++;
    tkms_err err = tkms_bls_g2_decode(out, in);
    if (err == TKMS_OK) {
        cache_point *e = &ways[c->victim[set]];
        c->victim[set] = (uint8_t)((c->victim[set] + 1) % CACHE_WAYS);
        memcpy(e->bytes, in, TKMS_PROTO_COMMITMENT_BYTES);
        e->point = *out;
        e->used = true;
    }
    return err;
}

/* Decodes t commitments; false if any fails the strict decoder or C_0 is the identity
   (the rules of tkms_proto_record_commitments_decode, wire.h). */
static bool decode_all(tkms_proto_g2_cache *cache, tkms_tss_commitments *out,
                       const tkms_proto_commitments *c) {
    if (c->t < 1 || c->t > TKMS_TSS_THRESHOLD_MAX) {
        return false;
    }
    out->t = c->t;
    for (uint32_t k = 0; k < TKMS_TSS_THRESHOLD_MAX; k++) {
        tkms_bls_g2_identity(&out->c[k]);
    }
    for (uint32_t k = 0; k < c->t; k++) {
        if (decode_point(cache, &out->c[k], c->c[k]) != TKMS_OK) {
            return false;
        }
    }
    return !tkms_bls_g2_is_identity(&out->c[0]);
}

static void encode_all(tkms_proto_commitments *out, const tkms_tss_commitments *c) {
    out->t = (uint16_t)c->t;
    memset(out->c, 0, sizeof out->c);
    for (uint32_t k = 0; k < c->t; k++) {
        tkms_bls_g2_encode(out->c[k], &c->c[k]);
    }
}

static void bls_commit(void *ctx, tkms_proto_commitments *out, const tkms_tss_poly *f) {
    (void)ctx;
    tkms_tss_commitments c;
    tkms_tss_poly_commit(&c, f);
    encode_all(out, &c);
}

static bool bls_commitments_valid(void *ctx, const tkms_proto_commitments *c) {
    tkms_tss_commitments d;
    return decode_all(ctx, &d, c);
}

static bool bls_share_verify(void *ctx, const tkms_tss_secret *s, const tkms_bls_fr *x,
                             const tkms_proto_commitments *c) {
    tkms_tss_commitments d;
    return decode_all(ctx, &d, c) && tkms_tss_share_verify_vartime(s, x, &d);
}

static void bls_combine(void *ctx, tkms_proto_commitments *out,
                        const tkms_proto_commitments *const *cs, const tkms_bls_fr *w,
                        size_t count) {
    tkms_tss_commitments acc;
    tkms_bls_g2 column[TKMS_PROTO_OPERATORS_MAX];
    TKMS_ASSERT(count >= 1 && count <= TKMS_PROTO_OPERATORS_MAX);
    acc.t = cs[0]->t;
    for (uint32_t k = 0; k < acc.t; k++) {
        for (size_t i = 0; i < count; i++) {
            TKMS_ASSERT(cs[i]->t == acc.t);
            tkms_err err = decode_point(ctx, &column[i], cs[i]->c[k]);
            TKMS_ASSERT(err == TKMS_OK); /* callers combine only validated commitments */
        }
        if (w == NULL) {
            acc.c[k] = column[0];
            for (size_t i = 1; i < count; i++) {
                tkms_bls_g2_add(&acc.c[k], &acc.c[k], &column[i]);
            }
        } else {
            tkms_err err = tkms_bls_g2_msm_vartime(&acc.c[k], column, w, count);
            TKMS_ASSERT(err == TKMS_OK);
        }
    }
    encode_all(out, &acc);
}

/* The slot of (c, x) in the public-share memo, and its digest. */
static cache_share *share_lookup(tkms_proto_g2_cache *cache, uint8_t digest[32],
                                 const tkms_proto_commitments *c, const tkms_bls_fr *x) {
    uint8_t t_bytes[2] = {(uint8_t)(c->t >> 8), (uint8_t)c->t}, x_bytes[32];
    tkms_bls_fr_encode(x_bytes, x);
    tkms_prim_buf parts[4] = {{cache->key, sizeof cache->key}, {t_bytes, 2},
                              {&c->c[0][0], (size_t)c->t * TKMS_PROTO_COMMITMENT_BYTES},
                              {x_bytes, sizeof x_bytes}};
    tkms_prim_sha256_parts(digest, parts, 4);
    for (size_t k = 0; k < CACHE_SHARES; k++) {
        if (cache->shares[k].used && memcmp(cache->shares[k].digest, digest, 32) == 0) {
            return &cache->shares[k];
        }
    }
    return NULL;
}

static void bls_public_share(void *ctx, uint8_t out[TKMS_PROTO_COMMITMENT_BYTES],
                             const tkms_proto_commitments *c, const tkms_bls_fr *x) {
    tkms_proto_g2_cache *cache = ctx;
    uint8_t digest[TKMS_PRIM_SHA256_BYTES];
    TKMS_ASSERT(c->t >= 1 && c->t <= TKMS_TSS_THRESHOLD_MAX);
    const cache_share *hit = cache != NULL ? share_lookup(cache, digest, c, x) : NULL;
    if (hit != NULL) {
        cache->hits++;
        memcpy(out, hit->share, TKMS_PROTO_COMMITMENT_BYTES);
        return;
    }
    tkms_tss_commitments d;
    tkms_bls_g2 pk;
    if (cache != NULL) {
        cache->misses++;
    }
    bool ok = decode_all(cache, &d, c);
    TKMS_ASSERT(ok); /* only validated commitments reach here */
    tkms_tss_public_share_vartime(&pk, &d, x);
    tkms_bls_g2_encode(out, &pk);
    if (cache != NULL) {
        cache_share *e = &cache->shares[cache->share_next];
        cache->share_next = (cache->share_next + 1) % CACHE_SHARES;
        memcpy(e->digest, digest, sizeof digest);
        memcpy(e->share, out, TKMS_PROTO_COMMITMENT_BYTES);
        e->used = true;
    }
}

static bool bls_is_identity(void *ctx, const uint8_t v[TKMS_PROTO_COMMITMENT_BYTES]) {
    (void)ctx;
    uint8_t identity[TKMS_PROTO_COMMITMENT_BYTES] = {0xc0};
    return memcmp(v, identity, sizeof identity) == 0;
}

static const tkms_proto_group BLS_GROUP = {
    bls_commit,       bls_commitments_valid, bls_share_verify, bls_combine,
    bls_public_share, bls_is_identity,       NULL,
};

TKMS_EXPORT const tkms_proto_group *tkms_proto_group_bls(void) {
    return &BLS_GROUP;
}

TKMS_EXPORT tkms_proto_group tkms_proto_group_bls_cached(tkms_proto_g2_cache *cache) {
    TKMS_ASSERT(cache != NULL);
    tkms_proto_group g = BLS_GROUP;
    g.ctx = cache;
    return g;
}
