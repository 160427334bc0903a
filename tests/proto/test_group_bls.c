/*
 * test_group_bls.c — the BLS group with a decode cache answers exactly as the stateless
 * one (proto.h, group_bls.c): on valid commitments, on every kind of bad one (a point off
 * the curve, outside the subgroup, a non-canonical encoding, a zero constant, bad counts),
 * for Feldman checks, combinations and public shares; a repeated question is answered from
 * the cache (the hit counter moves and the miss counter does not), a failure is never
 * remembered, and a cache far too small for its working set (constant eviction) still
 * answers correctly. The state machine's run with cached groups is test_epoch.c.
 */
#include <string.h>

#include "proto/proto.h"
#include "proto_test.h"

enum { T = 5, DEALERS = 6 };

static tu_rng prng;
static tkms_rng rng;

/* A dealer polynomial and its commitments. */
static void deal(tkms_tss_poly *f, tkms_proto_commitments *c) {
    assert_int_equal(tkms_tss_poly_random(f, T, NULL, &rng), TKMS_OK);
    tkms_proto_group_bls()->commit(NULL, c, f);
}

static void random_x(tkms_bls_fr *x) {
    uint8_t addr[20];
    tu_rng_bytes(&prng, addr, sizeof addr);
    assert_int_equal(tkms_tss_point_from_address(x, addr), TKMS_OK);
}

/* Both groups agree on everything they are asked about c (valid or not) at x. */
static void assert_agree(const tkms_proto_group *cached, const tkms_proto_commitments *c,
                         const tkms_tss_secret *s, const tkms_bls_fr *x) {
    const tkms_proto_group *plain = tkms_proto_group_bls();
    bool valid = plain->commitments_valid(NULL, c);
    assert_int_equal(cached->commitments_valid(cached->ctx, c), valid);
    assert_int_equal(cached->share_verify(cached->ctx, s, x, c),
                     plain->share_verify(NULL, s, x, c));
    if (valid) {
        uint8_t a[TKMS_PROTO_COMMITMENT_BYTES], b[TKMS_PROTO_COMMITMENT_BYTES];
        plain->public_share(NULL, a, c, x);
        cached->public_share(cached->ctx, b, c, x);
        assert_memory_equal(a, b, sizeof a);
    }
}

/* Bad variants of a valid c: each must be refused by both groups alike. */
static void assert_bad_variants_agree(const tkms_proto_group *cached,
                                      const tkms_proto_commitments *good,
                                      const tkms_tss_secret *s, const tkms_bls_fr *x) {
    tkms_proto_commitments bad;
    for (int kind = 0; kind < 6; kind++) {
        bad = *good;
        switch (kind) {
        case 0: bad.c[1][47] ^= 1; break;                     /* likely off the curve */
        case 1: memset(bad.c[2], 0xff, sizeof bad.c[2]); break; /* x >= p */
        case 2: bad.c[0][0] &= 0x7f; break;                    /* compression flag clear */
        case 3: memset(bad.c[0], 0, sizeof bad.c[0]); bad.c[0][0] = 0xc0; break; /* C_0 = O */
        case 4: bad.t = 0; break;
        default: bad.t = TKMS_TSS_THRESHOLD_MAX + 1; break;
        }
        assert_false(tkms_proto_group_bls()->commitments_valid(NULL, &bad));
        assert_agree(cached, &bad, s, x);
        /* asked twice: still refused (failures are not cached) */
        assert_false(cached->commitments_valid(cached->ctx, &bad));
    }
}

static void test_cached_answers_as_stateless(void **state) {
    (void)state;
    tkms_proto_g2_cache *cache = tkms_proto_g2_cache_new(1024, &rng);
    assert_non_null(cache);
    tkms_proto_group g = tkms_proto_group_bls_cached(cache);
    tkms_tss_poly f;
    tkms_proto_commitments c;
    tkms_tss_secret s, wrong;
    tkms_bls_fr x;
    deal(&f, &c);
    random_x(&x);
    tkms_tss_poly_eval(&s, &f, &x);
    wrong = s;
    tkms_bls_fr_add(&wrong.v, &wrong.v, &wrong.v);
    assert_true(g.share_verify(g.ctx, &s, &x, &c));
    assert_false(g.share_verify(g.ctx, &wrong, &x, &c));
    assert_agree(&g, &c, &s, &x);
    assert_bad_variants_agree(&g, &c, &s, &x);

    /* the same questions again: answered from the cache */
    uint64_t hits0, misses0, hits1, misses1;
    tkms_proto_g2_cache_stats(cache, &hits0, &misses0);
    assert_true(g.commitments_valid(g.ctx, &c));
    uint8_t pk[TKMS_PROTO_COMMITMENT_BYTES];
    g.public_share(g.ctx, pk, &c, &x);
    tkms_proto_g2_cache_stats(cache, &hits1, &misses1);
    assert_int_equal(misses1, misses0);
    assert_int_equal(hits1, hits0 + T + 1); /* T points, one public share */
    tkms_tss_poly_wipe(&f);
    tkms_proto_g2_cache_free(cache);
}

/* Combinations (plain sum and Lagrange-weighted) agree, with a cache of 4 points only. */
static void test_tiny_cache_combine(void **state) {
    (void)state;
    tkms_proto_g2_cache *cache = tkms_proto_g2_cache_new(TKMS_PROTO_G2_CACHE_WAYS, &rng);
    assert_non_null(cache);
    tkms_proto_group g = tkms_proto_group_bls_cached(cache);
    const tkms_proto_group *plain = tkms_proto_group_bls();
    tkms_tss_poly f[DEALERS];
    tkms_proto_commitments c[DEALERS], a, b;
    const tkms_proto_commitments *cs[DEALERS];
    tkms_bls_fr w[DEALERS];
    for (size_t i = 0; i < DEALERS; i++) {
        deal(&f[i], &c[i]);
        cs[i] = &c[i];
        random_x(&w[i]);
        assert_true(g.commitments_valid(g.ctx, &c[i]));
    }
    for (int round = 0; round < 2; round++) {
        plain->combine(NULL, &a, cs, NULL, DEALERS);
        g.combine(g.ctx, &b, cs, NULL, DEALERS);
        assert_memory_equal(&a, &b, sizeof a);
        plain->combine(NULL, &a, cs, w, DEALERS);
        g.combine(g.ctx, &b, cs, w, DEALERS);
        assert_memory_equal(&a, &b, sizeof a);
        for (size_t i = 0; i < DEALERS; i++) {
            tkms_tss_secret s;
            tkms_tss_poly_eval(&s, &f[i], &w[i]);
            assert_agree(&g, &c[i], &s, &w[i]);
        }
    }
    uint64_t hits, misses;
    tkms_proto_g2_cache_stats(cache, &hits, &misses);
    assert_true(misses > 4 * DEALERS * T); /* the working set never fitted */
    for (size_t i = 0; i < DEALERS; i++) {
        tkms_tss_poly_wipe(&f[i]);
    }
    tkms_proto_g2_cache_free(cache);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    rng = pt_rng_make(&prng);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_cached_answers_as_stateless),
                                       cmocka_unit_test(test_tiny_cache_combine)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
