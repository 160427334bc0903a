/*
 * proto_test.h — fixtures shared by the wire-format tests: a deterministic tkms_rng over
 * the seeded test PRNG, a fixed deployment domain and dealer, sorted players with X25519
 * keys, and a helper that deals a record. Tests only.
 */
#ifndef TKMS_PROTO_TEST_H
#define TKMS_PROTO_TEST_H

#include "common/tkms_rng.h"
#include "prim/prim.h"
#include "proto/wire.h"
#include "test_util.h"

static void pt_rng_fill(void *ctx, uint8_t *out, size_t len) {
    tu_rng_bytes((tu_rng *)ctx, out, len);
}

static inline tkms_rng pt_rng_make(tu_rng *r) {
    tkms_rng rng = {pt_rng_fill, r};
    return rng;
}

/* chain id 31337 and the EpochLog a fresh anvil deploys second (record_hash.mjs). */
static const tkms_proto_domain PT_DOMAIN = {
    31337,
    {0xe7, 0xf1, 0x72, 0x5e, 0x77, 0x34, 0xce, 0x28, 0x8f, 0x83,
     0x67, 0xe1, 0xbb, 0x14, 0x3e, 0x90, 0xbb, 0x3f, 0x05, 0x12},
};
/* anvil account #1 */
static const uint8_t PT_DEALER[20] = {0x70, 0x99, 0x79, 0x70, 0xc5, 0x18, 0x12, 0xdc, 0x3a, 0x01,
                                      0x0c, 0x7d, 0x01, 0xb5, 0x0e, 0x0d, 0x17, 0xdc, 0x79, 0xc8};
static const uint8_t PT_DEALER_SEED[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                           17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                           31, 32};

typedef struct {
    size_t n;
    tkms_proto_player players[TKMS_PROTO_OPERATORS_MAX];
    uint8_t priv[TKMS_PROTO_OPERATORS_MAX][32];
} pt_players;

/* n players with random addresses in ascending order, each with a fresh X25519 key. */
static inline void pt_players_make(pt_players *p, size_t n, tu_rng *prng) {
    memset(p, 0, sizeof *p);
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        tu_rng_bytes(prng, p->players[i].address, 20);
    }
    for (size_t i = 1; i < n; i++) { /* insertion sort by address */
        for (size_t j = i; j > 0 && memcmp(p->players[j - 1].address, p->players[j].address,
                                           20) > 0; j--) {
            tkms_proto_player tmp = p->players[j];
            p->players[j] = p->players[j - 1];
            p->players[j - 1] = tmp;
        }
    }
    for (size_t i = 0; i < n; i++) {
        tu_rng_bytes(prng, p->priv[i], 32);
        tkms_prim_x25519_public(p->players[i].x25519, p->priv[i]);
    }
}

static inline tkms_proto_record_header pt_header(uint64_t epoch, uint64_t source, uint16_t t) {
    tkms_proto_record_header h;
    memset(&h, 0, sizeof h);
    h.version = TKMS_PROTO_RECORD_VERSION;
    h.epoch = epoch;
    memcpy(h.dealer, PT_DEALER, 20);
    h.source = source;
    h.threshold = t;
    return h;
}

/* A dealt record of polynomial *f (random of t coefficients unless constant is given). */
static inline void pt_deal(tkms_proto_record *r, tkms_tss_poly *f, uint64_t *empty,
                           const pt_players *p, uint16_t t, uint64_t epoch, uint64_t source,
                           const tkms_tss_secret *constant, const tkms_rng *rng) {
    assert_int_equal(tkms_tss_poly_random(f, t, constant, rng), TKMS_OK);
    tkms_proto_record_header h = pt_header(epoch, source, t);
    assert_int_equal(tkms_proto_record_deal(r, empty, &PT_DOMAIN, &h, f, p->players, p->n,
                                            PT_DEALER_SEED, rng),
                     TKMS_OK);
}

/* The expectation a node derives from the chain for the dealt record r. */
static inline tkms_proto_record_expect pt_expect(const tkms_proto_record *r) {
    tkms_proto_record_expect e;
    memset(&e, 0, sizeof e);
    e.epoch = r->header.epoch;
    memcpy(e.dealer, r->header.dealer, 20);
    e.source = r->header.source;
    e.threshold = r->header.threshold;
    e.players = r->players;
    tkms_proto_record_hash(e.committed_hash, &PT_DOMAIN, r);
    return e;
}

#endif
