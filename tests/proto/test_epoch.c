/*
 * test_epoch.c — the epoch state machine end to end on a small in-test chain model
 * (4 operators, real BLS group): genesis DKG, then reshares. Every PERSIST is replayed
 * through encode/decode (a node continues from its decoded state, as after a restart),
 * and at the end the MPK is unique, every node activated every version, and t shares of
 * the newest version recover S·H1(id) that verifies against the MPK. A second case stops one
 * node between its ack and the cutoff of epoch 2 until after the next trigger: it must
 * compute its share of v2 late (proto.h, the late share: a view of epoch 2 attached when
 * tkms_proto_late_wanted() asks) and deal from it in epoch 3. Nodes 0 and 2 use the
 * stateless BLS group, node 1 a decode cache large enough for everything and node 3 one of
 * four points (evicting all the time): a cache must never change a decision. Two timing
 * cases probe one player: how long its ack waits for a withheld record, and that it fetches
 * a record whose push it missed before the dealer's reveal is final. The full simulator
 * with faults and adversaries is tests/sim.
 */
#include <string.h>

#include "prim/prim.h"
#include "proto/proto.h"
#include "test_util.h"

enum { N = 4, EPOCHS = 4, C_DEPTH = 1 };
static const tkms_proto_config BASE = {.chain_id = 31337,
                                       .interval = 40,
                                       .commit_offset = 5,
                                       .reveal_offset = 10,
                                       .ack_offset = 15,
                                       .open_offset = 20,
                                       .confirm_offset = 25,
                                       .confirmations = C_DEPTH};

typedef struct {
    bool snap, finalized;
    tkms_proto_operator ops[N];
    uint16_t t, r, source_t;
    uint64_t source, committed, revealed, acked, confirmed_bits, opened[N], dset, ack_bitmap[N];
    uint8_t record_hash[N][32], opened_share[N][N][32], win[32], mpk[96];
    tkms_proto_commitments dealing[N];
    uint8_t *record[N];
    size_t record_len[N];
    uint8_t confirm_key[N][32 + 96 + 8]; /* (hash, mpk, D) per confirmer */
    tkms_proto_commitments combined;     /* of the finalized version */
} epoch_rec;

/* A timing probe for one epoch (0: none): `dealer`'s reveal becomes visible `reveal_delay`
   blocks after it is sent, and its record reaches `player` only from final height
   `record_from` (never: UINT64_MAX); what `player` did about it is recorded. */
typedef struct {
    uint64_t epoch, reveal_delay, record_from;
    size_t dealer, player;
    uint64_t revealed_at, first_fetch, ack_height; /* final heights; 0: never */
} timing_probe;

static struct {
    tkms_proto_state nodes[N];
    uint8_t keys_now[N][32];
    epoch_rec ep[EPOCHS + 2];
    bool has_mpk;
    uint8_t mpk[96];
    uint64_t finalized[EPOCHS + 2];
    size_t nfinal;
    uint64_t m_source; /* highest version that was the source of a finalized reshare */
    tkms_proto_g2_cache *cache[N];
    tkms_proto_group group[N];
    timing_probe probe;
} w;

static tu_rng prng;

static uint64_t bit(size_t i) {
    return (uint64_t)1 << i;
}

static void retained(uint64_t *out, uint32_t *count) {
    *count = 0;
    for (size_t k = w.nfinal; k-- > 0;) { /* newest first */
        if (w.finalized[k] >= w.m_source && *count < TKMS_PROTO_RETAINED_MAX) {
            out[(*count)++] = w.finalized[k];
        }
    }
}

static void snapshot(uint64_t e) {
    epoch_rec *r = &w.ep[e];
    r->snap = true;
    for (size_t i = 0; i < N; i++) {
        memcpy(r->ops[i].address, w.nodes[i].config.self, 20);
        tkms_prim_ed25519_public(r->ops[i].ed25519, w.nodes[i].ed25519_seed);
        memcpy(r->ops[i].x25519, w.keys_now[i], 32);
    }
    r->t = (uint16_t)tkms_tss_threshold(N);
    r->r = (uint16_t)(r->t - 1 - (N - 1) / 3);
    uint64_t c[TKMS_PROTO_RETAINED_MAX];
    uint32_t cn;
    retained(c, &cn);
    if (w.nfinal == 0) {
        r->source = TKMS_PROTO_DKG_SOURCE;
    } else {
        uint64_t f = e - 1 - w.finalized[w.nfinal - 1];
        r->source = c[(f / 2) % cn]; /* k = 2 */
        r->source_t = w.ep[r->source].t;
    }
}

/* The view of epoch e at `height` (e = height / interval, or a past epoch for `late`);
   `shares` backs its openings. */
static void build_view(tkms_proto_chain_view *v, uint64_t height, uint64_t e, size_t viewer,
                       uint8_t (*shares)[TKMS_PROTO_OPERATORS_MAX][32]) {
    memset(v, 0, sizeof *v);
    epoch_rec *r = &w.ep[e];
    v->height = height;
    v->epoch = e;
    v->active = e >= 1 && r->snap;
    v->n = N;
    memcpy(v->ops, r->ops, sizeof r->ops);
    v->t = r->t;
    v->r = r->r;
    v->source = r->source;
    v->source_t = r->source_t;
    v->source_commitments = r->source == TKMS_PROTO_DKG_SOURCE ? NULL : &w.ep[r->source].combined;
    v->committed = r->committed;
    v->revealed = r->revealed;
    v->acked = r->acked;
    memcpy(v->record_hash, r->record_hash, sizeof r->record_hash);
    for (size_t i = 0; i < N; i++) {
        v->dealing[i] = (r->revealed & bit(i)) ? &r->dealing[i] : NULL;
        v->opened[i] = r->opened[i];
        v->ack_bitmap[i] = r->ack_bitmap[i];
        v->record[i] = r->record[i];
        v->record_len[i] = r->record_len[i];
    }
    for (size_t i = 0; i < N; i++) {
        memcpy(shares[i], r->opened_share[i], sizeof r->opened_share[i]);
    }
    if (e == w.probe.epoch && e != 0) {
        size_t d = w.probe.dealer;
        if (height < w.probe.revealed_at) {
            v->revealed &= ~bit(d);
            v->dealing[d] = NULL;
        }
        if (viewer == w.probe.player && height < w.probe.record_from) {
            v->record[d] = NULL;
            v->record_len[d] = 0;
        }
    }
    v->opened_share = (const uint8_t(*)[TKMS_PROTO_OPERATORS_MAX][32])shares;
    v->finalized = r->finalized;
    memcpy(v->winning_state_hash, r->win, 32);
    v->winning_dealers = r->dset;
    v->has_mpk = w.has_mpk;
    memcpy(v->mpk, w.mpk, 96);
    v->finalized_version = w.nfinal ? w.finalized[w.nfinal - 1] : 0;
    retained(v->retained, &v->retained_count);
    for (uint32_t k = 0; k < v->retained_count; k++) {
        memcpy(v->retained_state_hash[k], w.ep[v->retained[k]].win, 32);
    }
}

/* Finalization in the model: the tally of (hash, mpk, D) reaching t' (EpochLog.confirm). */
static void confirm(uint64_t e, size_t i, const tkms_proto_action *a) {
    epoch_rec *r = &w.ep[e];
    uint8_t *key = r->confirm_key[i];
    memcpy(key, a->hash, 32);
    memcpy(key + 32, a->mpk, 96);
    memcpy(key + 128, &a->arg, 8);
    r->confirmed_bits |= bit(i);
    size_t count = 0;
    for (size_t j = 0; j < N; j++) {
        count += (r->confirmed_bits & bit(j)) && memcmp(r->confirm_key[j], key, 136) == 0;
    }
    if (r->finalized || count < r->t) {
        return;
    }
    r->finalized = true;
    memcpy(r->win, a->hash, 32);
    r->dset = a->arg;
    if (!w.has_mpk) {
        w.has_mpk = true;
        memcpy(w.mpk, a->mpk, 96);
    }
    assert_memory_equal(w.mpk, a->mpk, 96); /* one MPK, ever */
    w.finalized[w.nfinal++] = e;
    if (r->source != TKMS_PROTO_DKG_SOURCE) {
        w.m_source = r->source > w.m_source ? r->source : w.m_source;
    }
    /* the model's combined commitments over D (sum, or Lagrange over D's points) */
    const tkms_proto_commitments *cs[N];
    tkms_bls_fr xs[N], lambdas[N];
    size_t m = 0;
    for (size_t d = 0; d < N; d++) {
        if (r->dset & bit(d)) {
            cs[m] = &r->dealing[d];
            assert_int_equal(tkms_tss_point_from_address(&xs[m], r->ops[d].address), TKMS_OK);
            m++;
        }
    }
    if (r->source != TKMS_PROTO_DKG_SOURCE) {
        assert_int_equal(tkms_tss_lagrange_at_zero_vartime(lambdas, xs, m), TKMS_OK);
    }
    tkms_proto_group_bls()->combine(NULL, &r->combined, cs,
                                    r->source == TKMS_PROTO_DKG_SOURCE ? NULL : lambdas, m);
}

static void reveal(uint64_t e, size_t i, const tkms_proto_chain_view *v) {
    epoch_rec *r = &w.ep[e];
    uint8_t buf[TKMS_PROTO_RECORD_BYTES_MAX];
    size_t len;
    assert_int_equal(tkms_proto_own_record(buf, sizeof buf, &len, &w.nodes[i], &w.group[i], v),
                     TKMS_OK);
    tkms_proto_record rec;
    assert_int_equal(tkms_proto_record_decode(&rec, buf, len), TKMS_OK);
    r->dealing[i].t = rec.header.threshold;
    memcpy(r->dealing[i].c, rec.commitments, sizeof rec.commitments);
    r->revealed |= bit(i);
    if (e == w.probe.epoch && i == w.probe.dealer && w.probe.revealed_at == UINT64_MAX) {
        w.probe.revealed_at = v->height + w.probe.reveal_delay;
    }
    free(r->record[i]);
    r->record[i] = malloc(len);
    memcpy(r->record[i], buf, len);
    r->record_len[i] = len;
}

/* Executes node i's actions in order; PERSIST round-trips the state through its encoding. */
static void execute(size_t i, const tkms_proto_actions *acts, const tkms_proto_chain_view *v) {
    uint64_t e = v->epoch;
    epoch_rec *r = &w.ep[e];
    for (uint32_t k = 0; k < acts->count; k++) {
        const tkms_proto_action *a = &acts->a[k];
        switch (a->kind) {
        case TKMS_PROTO_ACT_PERSIST: {
            size_t n = tkms_proto_state_encoded_bytes();
            uint8_t *buf = malloc(n);
            tkms_proto_state_encode(buf, &w.nodes[i]);
            tkms_proto_state_wipe(&w.nodes[i]);
            assert_int_equal(tkms_proto_state_decode(&w.nodes[i], buf, n), TKMS_OK);
            uint8_t *again = malloc(n); /* decode(encode(s)) encodes to the same bytes */
            tkms_proto_state_encode(again, &w.nodes[i]);
            assert_memory_equal(buf, again, n);
            assert_int_equal(tkms_proto_state_decode(&w.nodes[i], buf, n - 1),
                             TKMS_ERR_PROTO_STATE_DECODE);
            assert_int_equal(tkms_proto_state_decode(&w.nodes[i], buf, n), TKMS_OK);
            free(again);
            free(buf);
            break;
        }
        case TKMS_PROTO_ACT_TX_COMMIT:
            r->committed |= bit(i);
            memcpy(r->record_hash[i], a->hash, 32);
            break;
        case TKMS_PROTO_ACT_TX_REVEAL:
            reveal(e, i, v);
            break;
        case TKMS_PROTO_ACT_TX_ACK:
            r->acked |= bit(i);
            r->ack_bitmap[i] = a->arg;
            if (e == w.probe.epoch && i == w.probe.player) {
                w.probe.ack_height = v->height;
            }
            break;
        case TKMS_PROTO_ACT_FETCH_RECORD:
            if (e == w.probe.epoch && i == w.probe.player && a->arg == w.probe.dealer &&
                w.probe.first_fetch == 0) {
                w.probe.first_fetch = v->height;
            }
            break;
        case TKMS_PROTO_ACT_TX_OPEN:
            for (uint32_t j = 0; j < a->count; j++) {
                for (size_t p = 0; p < N; p++) {
                    if (memcmp(r->ops[p].address, a->players[j], 20) == 0) {
                        r->opened[i] |= bit(p);
                        memcpy(r->opened_share[i][p], a->shares[j], 32);
                    }
                }
            }
            break;
        case TKMS_PROTO_ACT_TX_CONFIRM:
            confirm(e, i, a);
            break;
        case TKMS_PROTO_ACT_TX_SET_EPOCH_KEY:
            memcpy(w.keys_now[i], a->key, 32);
            break;
        case TKMS_PROTO_ACT_ALERT:
            fail_msg("node %zu alert at height %llu: %s", i, (unsigned long long)v->height,
                     a->reason);
            break;
        default:
            break;
        }
    }
}

static int cmp_address(const void *a, const void *b) {
    return memcmp(a, b, 20);
}

/* Runs the network from epoch 1 through EPOCHS; `away` (if < N) takes no step at heights
   [from, to), as a node that is down. Every step gets the late view it asks for. */
static void run_network(uint8_t (*addrs)[20], size_t away, uint64_t from, uint64_t to,
                        const timing_probe *probe) {
    static uint8_t shares[N][TKMS_PROTO_OPERATORS_MAX][32];
    static uint8_t late_shares[N][TKMS_PROTO_OPERATORS_MAX][32];
    memset(&w, 0, sizeof w);
    if (probe != NULL) {
        w.probe = *probe;
    }
    w.probe.revealed_at = UINT64_MAX;
    for (size_t i = 0; i < N; i++) {
        tu_rng_bytes(&prng, addrs[i], 20);
        w.group[i] = *tkms_proto_group_bls();
        if (i % 2 == 1) {
            w.cache[i] = tkms_proto_g2_cache_new(i == 1 ? 4096 : TKMS_PROTO_G2_CACHE_WAYS,
                                                 tkms_rng_os());
            assert_non_null(w.cache[i]);
            w.group[i] = tkms_proto_group_bls_cached(w.cache[i]);
        }
    }
    qsort(addrs, N, 20, cmp_address);
    for (size_t i = 0; i < N; i++) {
        tkms_proto_config cfg = BASE;
        memcpy(cfg.self, addrs[i], 20);
        uint8_t seed[32], drbg[32];
        tu_rng_bytes(&prng, seed, 32);
        tu_rng_bytes(&prng, drbg, 32);
        tkms_proto_init(&w.nodes[i], &cfg, seed, drbg);
        memcpy(w.keys_now[i], w.nodes[i].keys[0].pub, 32);
    }
    uint64_t last = BASE.interval * (EPOCHS + 1);
    for (uint64_t head = BASE.interval; head < last; head++) {
        uint64_t final = head - C_DEPTH;
        if (head % BASE.interval == 0) {
            snapshot(head / BASE.interval);
        }
        for (size_t i = 0; i < N; i++) {
            if (i == away && final >= from && final < to) {
                continue;
            }
            tkms_proto_chain_view v, late;
            tkms_proto_actions acts;
            build_view(&v, final, final / BASE.interval, i, shares);
            uint64_t want = tkms_proto_late_wanted(&w.nodes[i], &v);
            if (want != 0) {
                build_view(&late, final, want, i, late_shares);
                v.late = &late;
            }
            tkms_proto_event ev = {TKMS_PROTO_EV_CHAIN, &v};
            assert_int_equal(tkms_proto_step(&w.nodes[i], &w.group[i], &ev, &acts), TKMS_OK);
            execute(i, &acts, &v);
        }
    }
}

/* Every node holds `version` activated, and t of the shares give an app key that verifies
   against the MPK. */
static void check_version(uint8_t (*addrs)[20], uint64_t version) {
    tkms_bls_g1 h1, partials[N], sk;
    tkms_bls_fr xs[N];
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)"my-app", 6), TKMS_OK);
    for (size_t i = 0; i < N; i++) {
        const tkms_proto_version *ver = tkms_proto_version_get(&w.nodes[i], version);
        assert_non_null(ver);
        assert_int_equal(ver->status, TKMS_PROTO_VERSION_ACTIVE);
        tkms_tss_partial_sign(&partials[i], &ver->share, &h1);
        assert_int_equal(tkms_tss_point_from_address(&xs[i], addrs[i]), TKMS_OK);
    }
    uint32_t t = tkms_tss_threshold(N);
    assert_int_equal(tkms_tss_partials_combine(&sk, partials + 1, xs + 1, t), TKMS_OK);
    tkms_bls_g2 mpk;
    assert_int_equal(tkms_bls_g2_decode(&mpk, w.mpk), TKMS_OK);
    assert_true(tkms_tss_app_key_verify_vartime(&sk, &h1, &mpk));
}

/* Frees the records and the caches; the big cache must have answered most questions. */
static void free_records(void) {
    uint64_t hits, misses;
    tkms_proto_g2_cache_stats(w.cache[1], &hits, &misses);
    printf("# node 1's decode cache: %llu hits, %llu misses\n", (unsigned long long)hits,
           (unsigned long long)misses);
    assert_true(hits > misses);
    for (size_t i = 0; i < N; i++) {
        tkms_proto_g2_cache_free(w.cache[i]);
    }
    for (size_t e = 0; e < EPOCHS + 2; e++) {
        for (size_t i = 0; i < N; i++) {
            free(w.ep[e].record[i]);
            w.ep[e].record[i] = NULL;
        }
    }
}

static void test_dkg_and_reshares(void **state) {
    (void)state;
    uint8_t addrs[N][20];
    run_network(addrs, N, 0, 0, NULL);
    assert_int_equal(w.nfinal, EPOCHS);
    check_version(addrs, w.finalized[w.nfinal - 1]);
    free_records();
}

/* Node 3 is away from just after epoch 2's ack deadline (its components are persisted, its
   ack landed) until 3 blocks after trigger 3: epoch 2 finalizes with the other three, and
   node 3 must activate v2 late from its persisted components and deal in epoch 3. */
static void test_late_share(void **state) {
    (void)state;
    uint8_t addrs[N][20];
    uint64_t b2 = 2 * BASE.interval, b3 = 3 * BASE.interval;
    run_network(addrs, 3, b2 + BASE.ack_offset + 1, b3 + 3, NULL);
    assert_int_equal(w.nfinal, EPOCHS);
    assert_true(w.ep[2].finalized);
    assert_false(w.ep[2].confirmed_bits & bit(3)); /* it never confirmed epoch 2 */
    assert_true(w.ep[2].acked & bit(3));
    assert_true(w.ep[3].dset & bit(3)); /* dealt in epoch 3 from its late share of v2 */
    assert_int_equal(w.nodes[3].late.epoch, 0); /* late components erased */
    check_version(addrs, w.finalized[w.nfinal - 1]);
    free_records();
}

/* Dealer 0's record never reaches node 1 in epoch 1 (withheld): node 1 waits for it only
   while TKMS_PROTO_ACK_SLACK_BLOCKS blocks of slack remain after the ack would land, then
   acks without it; dealer 0 opens node 1's share and stays in D (r = 1 for n = 4). */
static void test_ack_leaves_slack(void **state) {
    (void)state;
    uint8_t addrs[N][20];
    timing_probe p = {.epoch = 1, .record_from = UINT64_MAX, .dealer = 0, .player = 1};
    run_network(addrs, N, 0, 0, &p);
    uint64_t b1 = BASE.interval;
    assert_int_equal(w.probe.ack_height,
                     b1 + BASE.ack_offset - C_DEPTH - 1 - TKMS_PROTO_ACK_SLACK_BLOCKS);
    assert_true(w.probe.ack_height > b1 + BASE.reveal_offset); /* it did wait */
    /* and had it stepped a block late, with a block of inclusion delay, the ack still lands:
       final height H + 1, head H + 1 + c, mined in H + c + 3 <= ack_end (sim seed 19151) */
    assert_true(w.probe.ack_height + 1 + C_DEPTH + 2 <= b1 + BASE.ack_offset);
    assert_false(w.ep[1].ack_bitmap[1] & bit(0));
    assert_true(w.ep[1].opened[0] & bit(1));
    assert_true(w.ep[1].finalized);
    assert_true(w.ep[1].dset & bit(0));
    assert_int_equal(w.nfinal, EPOCHS);
    free_records();
}

/* Dealer 0's reveal becomes visible only 4 blocks after it is sent, and its push to node 1
   is lost (the record reaches node 1 only through a fetch, modelled as arriving at the
   reveal deadline): node 1 asks for it one block after the commit deadline, before the
   reveal is visible, and acks it at the reveal deadline without waiting. */
static void test_fetch_before_reveal(void **state) {
    (void)state;
    uint8_t addrs[N][20];
    uint64_t b1 = BASE.interval;
    timing_probe p = {.epoch = 1, .reveal_delay = 4, .record_from = b1 + BASE.reveal_offset,
                 .dealer = 0, .player = 1};
    run_network(addrs, N, 0, 0, &p);
    assert_int_equal(w.probe.revealed_at, b1 + BASE.commit_offset + 4);
    assert_int_equal(w.probe.first_fetch, b1 + BASE.commit_offset + 1);
    assert_int_equal(w.probe.ack_height, b1 + BASE.reveal_offset);
    assert_true(w.ep[1].ack_bitmap[1] & bit(0));
    assert_int_equal(w.nfinal, EPOCHS);
    free_records();
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED)\n", (unsigned long long)seed);
    tu_rng_seed(&prng, seed);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_dkg_and_reshares),
                                       cmocka_unit_test(test_late_share),
                                       cmocka_unit_test(test_ack_leaves_slack),
                                       cmocka_unit_test(test_fetch_before_reveal)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
