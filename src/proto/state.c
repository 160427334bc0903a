/*
 * state.c — the protocol state as data: initialization, the DRBG, epoch keys, held
 * versions, the stable binary encoding (write-ahead persistence), the confirm state hash.
 *
 * The encoding is explicit field by field, big-endian, with a magic and a format version,
 * so it does not depend on struct layout or compiler; decode checks every bound and
 * rejects trailing bytes. It contains secrets (shares, polynomial, keys): the store seals
 * it at rest. Spec: protocol.md §4–5, I4.
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "common/tkms_bytes.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"
#include "proto/internal.h"

#define STATE_MAGIC 0x746b6d7350524f54ULL /* "tkmsPROT" */
#define STATE_FORMAT 2 /* 2: the late slot and late_tried */

void proto_drbg_block(uint8_t out[32], const uint8_t key[32], uint64_t counter,
                      const char *label) {
    uint8_t msg[8 + 32];
    size_t label_len = strlen(label);
    TKMS_ASSERT(label_len <= 32);
    tkms_store_be64(msg, counter);
    memcpy(msg + 8, label, label_len);
    tkms_prim_hmac_sha256(out, key, 32, msg, 8 + label_len);
}

/* tkms_rng over HMAC-SHA256(key, counter ‖ label): deterministic, counter advances. */
static void drbg_fill(void *ctx, uint8_t *out, size_t len) {
    proto_drbg *d = ctx;
    while (len > 0) {
        uint8_t block[32];
        proto_drbg_block(block, d->key, (*d->counter)++, d->label);
        size_t n = len < 32 ? len : 32;
        memcpy(out, block, n);
        tkms_wipe(block, sizeof block);
        out += n;
        len -= n;
    }
}

tkms_rng proto_drbg_rng(proto_drbg *d) {
    tkms_rng rng = {drbg_fill, d};
    return rng;
}

TKMS_EXPORT void tkms_proto_init(tkms_proto_state *s, const tkms_proto_config *config,
                                 const uint8_t ed25519_seed[32], const uint8_t drbg_seed[32]) {
    TKMS_ASSERT(config->interval > config->confirm_offset);
    TKMS_ASSERT(config->commit_offset < config->reveal_offset);
    memset(s, 0, sizeof *s);
    s->config = *config;
    memcpy(s->ed25519_seed, ed25519_seed, 32);
    memcpy(s->drbg_key, drbg_seed, 32);
    /* the key registered with the operator (register() needs one) */
    proto_key_new(s, 0, NULL);
}

/* A fresh X25519 key from the DRBG, first used for `epoch`: an empty slot if there is
   one, else the oldest key that is not `keep` (the key pinned for the current epoch). */
const uint8_t *proto_key_new(tkms_proto_state *s, uint64_t epoch, const uint8_t keep[32]) {
    static const uint8_t zero[32] = {0};
    size_t slot = TKMS_PROTO_KEYS_MAX;
    for (size_t i = 0; i < TKMS_PROTO_KEYS_MAX; i++) {
        if (memcmp(s->keys[i].pub, zero, 32) == 0) {
            slot = i; /* an empty slot */
            break;
        }
        bool pinned = keep != NULL && memcmp(s->keys[i].pub, keep, 32) == 0;
        if (!pinned && (slot == TKMS_PROTO_KEYS_MAX ||
                        s->keys[i].published_for < s->keys[slot].published_for)) {
            slot = i; /* the oldest unpinned key so far */
        }
    }
    TKMS_ASSERT(slot < TKMS_PROTO_KEYS_MAX);
    proto_drbg d = {s->drbg_key, &s->drbg_counter, "x25519"};
    tkms_rng rng = proto_drbg_rng(&d);
    tkms_wipe(s->keys[slot].priv, 32);
    tkms_rng_fill(&rng, s->keys[slot].priv, 32);
    tkms_prim_x25519_public(s->keys[slot].pub, s->keys[slot].priv);
    s->keys[slot].published_for = epoch;
    return s->keys[slot].pub;
}

const uint8_t *proto_key_private(const tkms_proto_state *s, const uint8_t pub[32]) {
    static const uint8_t zero[32] = {0};
    if (memcmp(pub, zero, 32) == 0) {
        return NULL;
    }
    for (size_t i = 0; i < TKMS_PROTO_KEYS_MAX; i++) {
        if (memcmp(s->keys[i].pub, pub, 32) == 0) {
            return s->keys[i].priv;
        }
    }
    return NULL;
}

TKMS_EXPORT const tkms_proto_version *tkms_proto_version_get(const tkms_proto_state *s,
                                                             uint64_t v) {
    for (size_t i = 0; i < TKMS_PROTO_VERSIONS_MAX; i++) {
        if (s->versions[i].status != TKMS_PROTO_VERSION_EMPTY && s->versions[i].version == v) {
            return &s->versions[i];
        }
    }
    return NULL;
}

tkms_proto_version *proto_version_slot(tkms_proto_state *s) {
    for (size_t i = 0; i < TKMS_PROTO_VERSIONS_MAX; i++) {
        if (s->versions[i].status == TKMS_PROTO_VERSION_EMPTY) {
            return &s->versions[i];
        }
    }
    return NULL;
}

TKMS_EXPORT void tkms_proto_state_hash(uint8_t out[32], const tkms_proto_config *config,
                                       uint64_t epoch, uint64_t source,
                                       const tkms_proto_commitments *combined,
                                       const uint8_t (*dealers)[20], size_t dealer_count) {
    static const char TAG[] = "tkms-confirm-v1";
    uint8_t be[3][8];
    tkms_store_be64(be[0], config->chain_id);
    tkms_store_be64(be[1], epoch);
    tkms_store_be64(be[2], source);
    TKMS_ASSERT(combined->t >= 1 && combined->t <= TKMS_TSS_THRESHOLD_MAX);
    tkms_prim_buf parts[7] = {
        {(const uint8_t *)TAG, sizeof TAG - 1},
        {be[0], 8},
        {config->epoch_log, 20},
        {be[1], 8},
        {be[2], 8},
        {&combined->c[0][0], (size_t)combined->t * TKMS_PROTO_COMMITMENT_BYTES},
        {dealers[0], dealer_count * 20},
    };
    tkms_prim_sha256_parts(out, parts, 7);
}

TKMS_EXPORT void tkms_proto_state_wipe(tkms_proto_state *s) {
    tkms_wipe(s, sizeof *s);
}

/* ---- encoding --------------------------------------------------------------------------- */

typedef struct {
    uint8_t *p;       /* NULL: only count */
    const uint8_t *q; /* reading */
    size_t len, max;
    bool bad;
} cursor;

static void put(cursor *c, const void *v, size_t n) {
    if (c->p != NULL) {
        memcpy(c->p + c->len, v, n);
    }
    c->len += n;
}

static void put64(cursor *c, uint64_t v) {
    uint8_t b[8];
    tkms_store_be64(b, v);
    put(c, b, 8);
}

static void get(cursor *c, void *v, size_t n) {
    if (c->bad || c->max - c->len < n) {
        c->bad = true;
        memset(v, 0, n);
        return;
    }
    memcpy(v, c->q + c->len, n);
    c->len += n;
}

static uint64_t get64(cursor *c) {
    uint8_t b[8];
    get(c, b, 8);
    return tkms_load_be64(b);
}

/* One walker for both directions keeps encode and decode in lockstep. */
static void walk_u64(cursor *c, uint64_t *v, bool reading) {
    if (reading) {
        *v = get64(c);
    } else {
        put64(c, *v);
    }
}

static void walk_bytes(cursor *c, void *v, size_t n, bool reading) {
    if (reading) {
        get(c, v, n);
    } else {
        put(c, v, n);
    }
}

static void walk_fr(cursor *c, tkms_bls_fr *v, bool reading) {
    uint8_t b[32];
    if (!reading) {
        tkms_bls_fr_encode(b, v);
    }
    walk_bytes(c, b, 32, reading);
    if (reading && tkms_bls_fr_decode(v, b) != TKMS_OK) {
        c->bad = true;
    }
    tkms_wipe(b, sizeof b);
}

static void walk_version(cursor *c, tkms_proto_version *v, bool reading) {
    uint64_t meta[3] = {v->status, v->t, v->commitments.t};
    walk_u64(c, &v->version, reading);
    for (int i = 0; i < 3; i++) {
        walk_u64(c, &meta[i], reading);
    }
    if (reading) {
        c->bad |= meta[0] > TKMS_PROTO_VERSION_ACTIVE || meta[1] > TKMS_TSS_THRESHOLD_MAX ||
                  meta[2] > TKMS_TSS_THRESHOLD_MAX;
        v->status = (uint8_t)meta[0];
        v->t = (uint16_t)meta[1];
        v->commitments.t = (uint16_t)meta[2];
    }
    walk_u64(c, &v->confirm_deadline, reading);
    walk_bytes(c, v->state_hash, 32, reading);
    walk_fr(c, &v->share.v, reading);
    walk_bytes(c, v->commitments.c, sizeof v->commitments.c, reading);
}

static void walk_cur(cursor *c, tkms_proto_state *s, bool reading) {
    uint64_t flags[4] = {s->cur.phase, s->cur.dealer, s->cur.key_published, s->cur.poly.t};
    walk_u64(c, &s->cur.epoch, reading);
    for (int i = 0; i < 4; i++) {
        walk_u64(c, &flags[i], reading);
    }
    if (reading) {
        c->bad |= flags[0] > TKMS_PROTO_PHASE_DECIDED || flags[1] > 1 || flags[2] > 1 ||
                  flags[3] > TKMS_TSS_THRESHOLD_MAX;
        s->cur.phase = (uint8_t)flags[0];
        s->cur.dealer = flags[1] != 0;
        s->cur.key_published = flags[2] != 0;
        s->cur.poly.t = (uint32_t)flags[3];
    }
    for (size_t k = 0; k < TKMS_TSS_THRESHOLD_MAX; k++) {
        walk_fr(c, &s->cur.poly.a[k], reading);
    }
    walk_bytes(c, s->cur.record_hash, 32, reading);
    walk_bytes(c, s->cur.seal_seed, 32, reading);
    walk_u64(c, &s->cur.have_component, reading);
    walk_u64(c, &s->cur.failed, reading);
    for (size_t k = 0; k < 8; k++) {
        walk_u64(c, &s->cur.sent_height[k], reading);
    }
    for (size_t i = 0; i < TKMS_PROTO_OPERATORS_MAX; i++) {
        walk_fr(c, &s->cur.component[i].v, reading);
    }
}

static void walk_late(cursor *c, tkms_proto_state *s, bool reading) {
    walk_u64(c, &s->late.epoch, reading);
    walk_u64(c, &s->late.have_component, reading);
    for (size_t i = 0; i < TKMS_PROTO_OPERATORS_MAX; i++) {
        walk_fr(c, &s->late.component[i].v, reading);
    }
    for (size_t i = 0; i < TKMS_PROTO_RETAINED_MAX; i++) {
        walk_u64(c, &s->late_tried[i], reading);
    }
}

static void walk_state(cursor *c, tkms_proto_state *s, bool reading) {
    uint64_t magic = STATE_MAGIC, format = STATE_FORMAT, bound = s->mpk_bound;
    walk_u64(c, &magic, reading);
    walk_u64(c, &format, reading);
    c->bad |= magic != STATE_MAGIC || format != STATE_FORMAT;
    walk_u64(c, &s->config.chain_id, reading);
    walk_bytes(c, s->config.epoch_log, 20, reading);
    walk_bytes(c, s->config.self, 20, reading);
    uint64_t *times[7] = {&s->config.interval,      &s->config.commit_offset,
                          &s->config.reveal_offset,  &s->config.ack_offset,
                          &s->config.open_offset,    &s->config.confirm_offset,
                          &s->config.confirmations};
    for (int i = 0; i < 7; i++) {
        walk_u64(c, times[i], reading);
    }
    walk_bytes(c, s->ed25519_seed, 32, reading);
    walk_bytes(c, s->drbg_key, 32, reading);
    walk_u64(c, &s->drbg_counter, reading);
    walk_u64(c, &bound, reading);
    if (reading) {
        s->mpk_bound = bound != 0;
    }
    walk_bytes(c, s->mpk, sizeof s->mpk, reading);
    walk_u64(c, &s->last_height, reading);
    for (size_t i = 0; i < TKMS_PROTO_KEYS_MAX; i++) {
        walk_u64(c, &s->keys[i].published_for, reading);
        walk_bytes(c, s->keys[i].priv, 32, reading);
        walk_bytes(c, s->keys[i].pub, 32, reading);
    }
    for (size_t i = 0; i < TKMS_PROTO_VERSIONS_MAX; i++) {
        walk_version(c, &s->versions[i], reading);
    }
    walk_cur(c, s, reading);
    walk_late(c, s, reading);
}

TKMS_EXPORT size_t tkms_proto_state_encoded_bytes(void) {
    static tkms_proto_state zero;
    cursor c = {0};
    walk_state(&c, &zero, false);
    return c.len;
}

TKMS_EXPORT void tkms_proto_state_encode(uint8_t *out, const tkms_proto_state *s) {
    cursor c = {.p = out};
    walk_state(&c, (tkms_proto_state *)s, false); /* writing does not modify s */
    TKMS_ASSERT(c.len == tkms_proto_state_encoded_bytes());
}

TKMS_EXPORT tkms_err tkms_proto_state_decode(tkms_proto_state *s, const uint8_t *in,
                                             size_t len) {
    cursor c = {.q = in, .max = len};
    memset(s, 0, sizeof *s);
    walk_state(&c, s, true);
    if (c.bad || c.len != len) {
        tkms_proto_state_wipe(s);
        return TKMS_ERR_PROTO_STATE_DECODE;
    }
    return TKMS_OK;
}
