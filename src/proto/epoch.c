/*
 * epoch.c — one epoch of DKG or reshare as seen by one node (proto.h walkthrough,
 * protocol.md §4–5).
 *
 * tkms_proto_step() takes a chain view pinned at a final block and advances the node
 * through deal → reveal → ack → open → decide, acting on each boundary once it is final.
 * All state changes of a step happen before any of its announcements, and a step that
 * changed state emits PERSIST first (I4). Every input to the decision (D, the share, the
 * combined commitments) comes from the view alone (I1); the share is checked before it is
 * persisted (I2); a node holding any version never joins a DKG (I3); polynomials,
 * components and keys are erased at the points of §5 (I5); a view older than what was
 * acted on halts the node (I6).
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "proto/internal.h"

enum { TX_COMMIT, TX_REVEAL, TX_ACK, TX_OPEN, TX_CONFIRM, TX_KEY };

typedef struct {
    uint64_t trigger, commit_end, reveal_end, ack_end, open_end, confirm_end;
} deadlines;

typedef struct {
    tkms_proto_state *s;
    const tkms_proto_group *g;
    const tkms_proto_chain_view *v;
    tkms_proto_actions *out;
    deadlines d;
    size_t me;
    tkms_bls_fr xs[TKMS_PROTO_OPERATORS_MAX];
    /* the components decide combines: cur's, or the late slot's for a late share */
    uint64_t comp_have;
    const tkms_tss_secret *comp;
    bool dirty;
} step_ctx;

static deadlines deadlines_of(const tkms_proto_config *c, uint64_t epoch) {
    deadlines d;
    d.trigger = epoch * c->interval;
    d.commit_end = d.trigger + c->commit_offset;
    d.reveal_end = d.trigger + c->reveal_offset;
    d.ack_end = d.trigger + c->ack_offset;
    d.open_end = d.trigger + c->open_offset;
    d.confirm_end = d.trigger + c->confirm_offset;
    return d;
}

static uint64_t bit(size_t i) {
    TKMS_ASSERT(i < 64);
    return (uint64_t)1 << i;
}

static tkms_proto_action *emit(step_ctx *c, tkms_proto_action_kind kind) {
    TKMS_ASSERT(c->out->count < TKMS_PROTO_ACTIONS_MAX);
    tkms_proto_action *a = &c->out->a[c->out->count++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->epoch = c->v->epoch;
    return a;
}

static void alert(step_ctx *c, const char *reason) {
    emit(c, TKMS_PROTO_ACT_ALERT)->reason = reason;
}

/* A transaction is (re)sent when it has not landed and the last send is old enough. */
static bool should_send(step_ctx *c, int tx, bool landed) {
    uint64_t *sent = &c->s->cur.sent_height[tx];
    if (landed || (*sent != 0 && c->v->height < *sent + TKMS_PROTO_RESEND_BLOCKS)) {
        return false;
    }
    *sent = c->v->height;
    c->dirty = true;
    return true;
}

static tkms_proto_domain domain_of(const tkms_proto_config *config) {
    tkms_proto_domain d;
    d.chain_id = config->chain_id;
    memcpy(d.epoch_log, config->epoch_log, 20);
    return d;
}

/* The node's record, rebuilt deterministically from the persisted polynomial and seal
   seed: commitments through the group, shares sealed to each player's epoch key. */
static tkms_err build_record(tkms_proto_record *rec, const tkms_proto_state *s,
                             const tkms_proto_group *g, const tkms_proto_chain_view *v) {
    tkms_proto_commitments pc;
    tkms_proto_player players[TKMS_PROTO_OPERATORS_MAX];
    TKMS_ASSERT(s->cur.poly.t >= 1 && v->n <= TKMS_PROTO_OPERATORS_MAX);
    memset(rec, 0, sizeof *rec);
    rec->header.version = TKMS_PROTO_RECORD_VERSION;
    rec->header.epoch = v->epoch;
    memcpy(rec->header.dealer, s->config.self, 20);
    rec->header.source = v->source;
    rec->header.threshold = (uint16_t)s->cur.poly.t;
    g->commit(g->ctx, &pc, &s->cur.poly);
    memcpy(rec->commitments, pc.c, sizeof rec->commitments);
    for (size_t j = 0; j < v->n; j++) {
        memcpy(players[j].address, v->ops[j].address, 20);
        memcpy(players[j].x25519, v->ops[j].x25519, 32);
    }
    uint64_t counter = 0;
    proto_drbg d = {s->cur.seal_seed, &counter, "seal"};
    tkms_rng rng = proto_drbg_rng(&d);
    tkms_err err = tkms_proto_record_seal(rec, NULL, &s->cur.poly, players, v->n, &rng);
    if (err == TKMS_OK) {
        tkms_proto_domain dom = domain_of(&s->config);
        tkms_proto_record_sign(rec, &dom, s->ed25519_seed);
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_proto_own_record(uint8_t *out, size_t out_max, size_t *out_len,
                                           const tkms_proto_state *s,
                                           const tkms_proto_group *g,
                                           const tkms_proto_chain_view *v) {
    static const uint8_t zero[32] = {0};
    *out_len = 0;
    if (!s->cur.dealer || s->cur.epoch != v->epoch ||
        memcmp(s->cur.seal_seed, zero, 32) == 0) {
        return TKMS_ERR_PROTO_NO_RECORD; /* not dealing, or erased after the cutoff */
    }
    tkms_proto_record rec;
    tkms_err err = build_record(&rec, s, g, v);
    if (err == TKMS_OK) {
        err = tkms_proto_record_encode(out, out_max, out_len, &rec);
    }
    return err;
}

/* ---- phase 1: deal ------------------------------------------------------------------ */

/* Which secret this node deals, if any: DKG (random constant) only when it holds no
   version at all (I3); reshare only with its active share of the source version. */
static bool dealing_constant(step_ctx *c, const tkms_tss_secret **constant) {
    *constant = NULL;
    if (c->v->source == TKMS_PROTO_DKG_SOURCE) {
        for (size_t i = 0; i < TKMS_PROTO_VERSIONS_MAX; i++) {
            if (c->s->versions[i].status != TKMS_PROTO_VERSION_EMPTY) {
                alert(c, "dkg_while_holding_a_version");
                return false;
            }
        }
        return true;
    }
    const tkms_proto_version *src = tkms_proto_version_get(c->s, c->v->source);
    if (src == NULL || src->status != TKMS_PROTO_VERSION_ACTIVE) {
        return false;
    }
    *constant = &src->share;
    return true;
}

static void phase_deal(step_ctx *c) {
    tkms_proto_state *s = c->s;
    const tkms_tss_secret *constant;
    s->cur.phase = TKMS_PROTO_PHASE_DEALT;
    c->dirty = true;
    if (c->v->height >= c->d.commit_end || !dealing_constant(c, &constant)) {
        return; /* too late to deal, or nothing to deal */
    }
    proto_drbg d = {s->drbg_key, &s->drbg_counter, "poly"};
    tkms_rng rng = proto_drbg_rng(&d);
    tkms_err err = tkms_tss_poly_random(&s->cur.poly, c->v->t, constant, &rng);
    TKMS_ASSERT(err == TKMS_OK); /* 1 <= t' <= n <= 64 checked on the view */
    proto_drbg_block(s->cur.seal_seed, s->drbg_key, s->drbg_counter++, "seal-seed");
    tkms_proto_record rec;
    if (build_record(&rec, s, c->g, c->v) != TKMS_OK) {
        tkms_tss_poly_wipe(&s->cur.poly);
        alert(c, "cannot_build_record");
        return;
    }
    tkms_proto_domain dom = domain_of(&s->config);
    tkms_proto_record_hash(s->cur.record_hash, &dom, &rec);
    s->cur.dealer = true;
}

/* ---- phase 3: components ------------------------------------------------------------- */

static bool record_matches(const tkms_proto_record *rec, step_ctx *c, size_t i) {
    const tkms_proto_record_header *h = &rec->header;
    uint8_t hash[32];
    tkms_proto_domain dom = domain_of(&c->s->config);
    tkms_proto_record_hash(hash, &dom, rec);
    return h->version == TKMS_PROTO_RECORD_VERSION && h->epoch == c->v->epoch &&
           memcmp(h->dealer, c->v->ops[i].address, 20) == 0 && h->source == c->v->source &&
           h->threshold == c->v->t && rec->players == c->v->n &&
           memcmp(hash, c->v->record_hash[i], 32) == 0;
}

/* The reshare rule C_i0 == PK_i(V) (also for decide). */
static bool constant_ok(step_ctx *c, size_t i, const tkms_proto_commitments *ci) {
    if (c->v->source == TKMS_PROTO_DKG_SOURCE) {
        return true;
    }
    uint8_t pk[TKMS_PROTO_COMMITMENT_BYTES];
    c->g->public_share(c->g->ctx, pk, c->v->source_commitments, &c->xs[i]);
    return memcmp(pk, ci->c[0], sizeof pk) == 0;
}

/* Validates dealer i's record and opens this node's share in it. */
static bool component_from_record(step_ctx *c, size_t i, tkms_tss_secret *share) {
    const tkms_proto_chain_view *v = c->v;
    tkms_proto_record rec;
    tkms_proto_commitments pc;
    if (v->record[i] == NULL || v->dealing[i] == NULL ||
        tkms_proto_record_decode(&rec, v->record[i], v->record_len[i]) != TKMS_OK ||
        !record_matches(&rec, c, i)) {
        return false;
    }
    pc.t = rec.header.threshold;
    memcpy(pc.c, rec.commitments, sizeof pc.c);
    if (!c->g->commitments_valid(c->g->ctx, &pc) || !constant_ok(c, i, &pc)) {
        return false;
    }
    const uint8_t *priv = proto_key_private(c->s, v->ops[c->me].x25519);
    if (priv == NULL || tkms_proto_record_share_decrypt(share, &rec, c->me, c->s->config.self,
                                                        priv) != TKMS_OK) {
        return false;
    }
    return c->g->share_verify(c->g->ctx, share, &c->xs[c->me], &pc);
}

/* Fetches are re-requested on every step while a record is missing, so a step asks for
   at most FETCHES_PER_STEP of them (a flood of missing records must never overflow the
   action list: that would abort on external input), starting at a rotating index so a
   withheld record cannot starve the others. */
#define FETCHES_PER_STEP 6
_Static_assert(FETCHES_PER_STEP + 10 <= TKMS_PROTO_ACTIONS_MAX, "room for the other actions");

static void gather_components(step_ctx *c) {
    tkms_proto_state *s = c->s;
    size_t fetches = 0, n = c->v->n;
    /* A dealer pushes its record as it sends its reveal, once the commit deadline is final.
       One block later a player already asks for the records of committed dealers it lacks,
       before their reveals are final: a lost push is then repaired in the reveal phase, not
       in the few blocks the ack may wait (sim seed 662). Such records are only fetched
       here; they are opened once their reveal is final. */
    uint64_t wanted = c->v->revealed;
    if (s->cur.phase == TKMS_PROTO_PHASE_REVEALED && c->v->height > c->d.commit_end &&
        c->v->height < c->d.reveal_end) {
        wanted |= c->v->committed & ~bit(c->me);
    }
    for (size_t k = 0; k < n; k++) {
        size_t i = (k + (size_t)(c->v->height % n)) % n;
        if (!(wanted & bit(i)) || ((s->cur.have_component | s->cur.failed) & bit(i))) {
            continue;
        }
        if (i == c->me && s->cur.dealer) { /* own share: no record needed */
            tkms_tss_poly_eval(&s->cur.component[i], &s->cur.poly, &c->xs[i]);
            s->cur.have_component |= bit(i);
        } else if (c->v->record[i] == NULL) {
            if (fetches++ < FETCHES_PER_STEP) {
                emit(c, TKMS_PROTO_ACT_FETCH_RECORD)->arg = i;
            }
            continue;
        } else if (!(c->v->revealed & bit(i))) {
            continue; /* fetched early: opened once its reveal is final */
        } else if (component_from_record(c, i, &s->cur.component[i])) {
            s->cur.have_component |= bit(i);
        } else {
            tkms_tss_secret_wipe(&s->cur.component[i]);
            s->cur.failed |= bit(i);
        }
        c->dirty = true;
    }
}

static void phase_ack(step_ctx *c) {
    tkms_proto_state *s = c->s;
    gather_components(c);
    bool all = ((s->cur.have_component | s->cur.failed) & c->v->revealed) == c->v->revealed;
    /* The ack must land by ack_end; sent at final height H it lands at H + c + 1 at the
       earliest. Wait for missing records only while TKMS_PROTO_ACK_SLACK_BLOCKS more
       blocks remain: one for an inclusion delay, one for a view that comes a block late.
       A late ack costs every dealer an opening, a missing record only its own dealer, so
       the wait gives way first (with one block, a record withheld from everyone made all
       honest players wait to the last moment, and a lagging RPC answer plus a one-block
       inclusion delay then failed the epoch: sim seed 19151). */
    uint64_t sent = c->v->height + c->s->config.confirmations + 1;
    bool late = sent + TKMS_PROTO_ACK_SLACK_BLOCKS >= c->d.ack_end;
    if (!all && !late) {
        return;
    }
    s->cur.phase = TKMS_PROTO_PHASE_ACKED;
    c->dirty = true;
    if (c->v->height < c->d.ack_end && should_send(c, TX_ACK, c->v->acked & bit(c->me))) {
        emit(c, TKMS_PROTO_ACT_TX_ACK)->arg = s->cur.have_component & c->v->revealed;
    }
}

/* ---- phase 4: openings ------------------------------------------------------------------ */

static void phase_open(step_ctx *c) {
    const tkms_proto_chain_view *v = c->v;
    c->s->cur.phase = TKMS_PROTO_PHASE_OPENED;
    c->dirty = true;
    if (!c->s->cur.dealer || !(v->revealed & bit(c->me)) || v->height >= c->d.open_end) {
        return;
    }
    uint64_t missing = 0;
    for (size_t j = 0; j < v->n; j++) {
        bool acked = (v->acked & bit(j)) && (v->ack_bitmap[j] & bit(c->me));
        if (!acked) {
            missing |= bit(j);
        }
    }
    uint32_t count = (uint32_t)__builtin_popcountll(missing);
    if (count == 0 || count > v->r) { /* > r: post none, the dealer is excluded */
        return;
    }
    tkms_proto_action *a = emit(c, TKMS_PROTO_ACT_TX_OPEN);
    for (size_t j = 0; j < v->n; j++) {
        if (missing & bit(j)) {
            tkms_tss_secret share;
            tkms_tss_poly_eval(&share, &c->s->cur.poly, &c->xs[j]);
            memcpy(a->players[a->count], v->ops[j].address, 20);
            tkms_bls_fr_encode(a->shares[a->count], &share.v);
            tkms_tss_secret_wipe(&share);
            a->count++;
        }
    }
    c->s->cur.sent_height[TX_OPEN] = v->height;
}

/* Erases this epoch's dealing secrets: the polynomial and the seal seed (§5). */
static void wipe_dealing(tkms_proto_state *s) {
    tkms_tss_poly_wipe(&s->cur.poly);
    tkms_wipe(s->cur.seal_seed, sizeof s->cur.seal_seed);
}

/* ---- phase 5: decide and confirm ----------------------------------------------------------- */

/* An opened share of dealer i for player j, decoded and checked against C_i. */
static bool opening_valid(step_ctx *c, size_t i, size_t j, tkms_tss_secret *share) {
    if (tkms_bls_fr_decode(&share->v, c->v->opened_share[i][j]) != TKMS_OK) {
        return false;
    }
    return c->g->share_verify(c->g->ctx, share, &c->xs[j], c->v->dealing[i]);
}

/* D from chain data alone (protocol.md §4 step 5). */
static uint64_t qualified_dealers(step_ctx *c) {
    const tkms_proto_chain_view *v = c->v;
    uint64_t set = 0;
    for (size_t i = 0; i < v->n; i++) {
        const tkms_proto_commitments *ci = v->dealing[i];
        if (!(v->revealed & bit(i)) || ci == NULL || ci->t != v->t ||
            !c->g->commitments_valid(c->g->ctx, ci) || !constant_ok(c, i, ci) ||
            (uint32_t)__builtin_popcountll(v->opened[i]) > v->r) {
            continue;
        }
        bool ok = true;
        for (size_t j = 0; j < v->n && ok; j++) {
            tkms_tss_secret share;
            if (v->opened[i] & bit(j)) {
                ok = opening_valid(c, i, j, &share);
                tkms_tss_secret_wipe(&share);
            } else {
                ok = (v->acked & bit(j)) && (v->ack_bitmap[j] & bit(i));
            }
        }
        set |= ok ? bit(i) : 0;
    }
    return set;
}

/* This node's new share and the combined commitments over D; false if it cannot
   compute them (a component missing) or they fail I2. */
static bool combine_share(step_ctx *c, uint64_t dset, tkms_tss_secret *share,
                          tkms_proto_commitments *combined) {
    const tkms_proto_chain_view *v = c->v;
    const tkms_proto_commitments *cs[TKMS_PROTO_OPERATORS_MAX];
    tkms_tss_secret comp[TKMS_PROTO_OPERATORS_MAX];
    tkms_bls_fr dxs[TKMS_PROTO_OPERATORS_MAX], lambdas[TKMS_PROTO_OPERATORS_MAX];
    size_t m = 0;
    bool ok = true;
    for (size_t i = 0; i < v->n && ok; i++) {
        if (!(dset & bit(i))) {
            continue;
        }
        cs[m] = v->dealing[i];
        dxs[m] = c->xs[i];
        if (c->comp_have & bit(i)) {
            comp[m] = c->comp[i];
        } else {
            ok = (v->opened[i] & bit(c->me)) && opening_valid(c, i, c->me, &comp[m]);
        }
        m++;
    }
    if (ok && v->source != TKMS_PROTO_DKG_SOURCE) {
        ok = tkms_tss_lagrange_at_zero_vartime(lambdas, dxs, m) == TKMS_OK;
    }
    tkms_bls_fr_from_u64(&share->v, 0);
    for (size_t k = 0; k < m && ok; k++) {
        if (v->source != TKMS_PROTO_DKG_SOURCE) {
            tkms_bls_fr_mul(&comp[k].v, &comp[k].v, &lambdas[k]);
        }
        tkms_bls_fr_add(&share->v, &share->v, &comp[k].v);
    }
    tkms_wipe(comp, sizeof comp);
    if (!ok) {
        return false;
    }
    const tkms_proto_group *g = c->g;
    g->combine(g->ctx, combined, cs, v->source == TKMS_PROTO_DKG_SOURCE ? NULL : lambdas, m);
    /* I2: the share against the combined commitments, and the master key unchanged */
    if (!g->share_verify(g->ctx, share, &c->xs[c->me], combined) ||
        g->is_identity(g->ctx, combined->c[0])) {
        alert(c, "combined_share_fails_commitments");
        return false;
    }
    if (v->source != TKMS_PROTO_DKG_SOURCE &&
        memcmp(combined->c[0], v->source_commitments->c[0], TKMS_PROTO_COMMITMENT_BYTES) != 0) {
        alert(c, "reshare_changes_master_key");
        return false;
    }
    return true;
}

/* The decision of the view's epoch for this node: D, its new share, the combined
   commitments and the stateHash; false if the epoch fails for it (|D| too small, a
   component missing, I2). Uses c->comp / c->comp_have as the persisted components. */
static bool decide_share(step_ctx *c, uint64_t *dset, tkms_tss_secret *share,
                         tkms_proto_commitments *combined, uint8_t state_hash[32]) {
    const tkms_proto_chain_view *v = c->v;
    *dset = qualified_dealers(c);
    uint32_t need = v->source == TKMS_PROTO_DKG_SOURCE ? v->t : v->source_t;
    if ((uint32_t)__builtin_popcountll(*dset) < need || !combine_share(c, *dset, share, combined)) {
        return false;
    }
    uint8_t dealers[TKMS_PROTO_OPERATORS_MAX][20];
    size_t m = 0;
    for (size_t i = 0; i < v->n; i++) {
        if (*dset & bit(i)) {
            memcpy(dealers[m++], v->ops[i].address, 20);
        }
    }
    tkms_proto_state_hash(state_hash, &c->s->config, v->epoch, v->source, combined,
                          (const uint8_t(*)[20])dealers, m);
    return true;
}

/* Stores a new version in a free slot (the share is moved: wiped by the caller). */
static tkms_proto_version *version_store(step_ctx *c, uint8_t status, const tkms_tss_secret *share,
                                         const tkms_proto_commitments *combined,
                                         const uint8_t state_hash[32], uint64_t confirm_end) {
    tkms_proto_version *slot = proto_version_slot(c->s);
    if (slot == NULL) {
        alert(c, "no_free_version_slot");
        return NULL;
    }
    slot->version = c->v->epoch;
    slot->status = status;
    slot->t = c->v->t;
    slot->confirm_deadline = confirm_end;
    slot->share = *share;
    slot->commitments = *combined;
    memcpy(slot->state_hash, state_hash, 32);
    c->dirty = true;
    return slot;
}

static void phase_decide(step_ctx *c) {
    tkms_proto_state *s = c->s;
    s->cur.phase = TKMS_PROTO_PHASE_DECIDED;
    c->dirty = true;
    /* the open deadline is final: the polynomial and the seal seed die here (§5) */
    wipe_dealing(s);
    uint64_t dset;
    tkms_tss_secret share;
    tkms_proto_commitments combined;
    uint8_t state_hash[32];
    c->comp = s->cur.component;
    c->comp_have = s->cur.have_component;
    bool ok = decide_share(c, &dset, &share, &combined, state_hash);
    tkms_wipe(s->cur.component, sizeof s->cur.component);
    if (!ok) {
        return; /* the epoch fails for this node: no pending version, no confirm */
    }
    tkms_proto_version *slot = version_store(c, TKMS_PROTO_VERSION_PENDING, &share, &combined,
                                             state_hash, c->d.confirm_end);
    tkms_tss_secret_wipe(&share);
    if (slot == NULL) {
        return;
    }
    s->cur.sent_height[TX_CONFIRM] = c->v->height;
    tkms_proto_action *a = emit(c, TKMS_PROTO_ACT_TX_CONFIRM);
    a->arg = dset;
    memcpy(a->hash, state_hash, 32);
    memcpy(a->mpk, combined.c[0], TKMS_PROTO_COMMITMENT_BYTES);
}

/* ---- versions: activation and erasure ----------------------------------------------------- */

static int retained_index(const tkms_proto_chain_view *v, uint64_t version) {
    for (uint32_t i = 0; i < v->retained_count && i < TKMS_PROTO_RETAINED_MAX; i++) {
        if (v->retained[i] == version) {
            return (int)i;
        }
    }
    return -1;
}

static void version_erase(step_ctx *c, tkms_proto_version *h) {
    emit(c, TKMS_PROTO_ACT_ERASE)->arg = h->version;
    tkms_wipe(h, sizeof *h);
    c->dirty = true;
}

static void versions_update(step_ctx *c) {
    const tkms_proto_chain_view *v = c->v;
    for (size_t k = 0; k < TKMS_PROTO_VERSIONS_MAX; k++) {
        tkms_proto_version *h = &c->s->versions[k];
        int r = retained_index(v, h->version);
        if (h->status == TKMS_PROTO_VERSION_PENDING) {
            if (r >= 0 && memcmp(v->retained_state_hash[r], h->state_hash, 32) == 0) {
                h->status = TKMS_PROTO_VERSION_ACTIVE; /* also late, after a crash */
                emit(c, TKMS_PROTO_ACT_ACTIVATE)->arg = h->version;
                c->dirty = true;
            } else if (r >= 0) {
                alert(c, "version_finalized_with_another_state_hash");
                version_erase(c, h);
            } else if (v->height > h->confirm_deadline) {
                version_erase(c, h); /* §5: not finalized with our hash by its deadline */
            }
        } else if (h->status == TKMS_PROTO_VERSION_ACTIVE && v->retained_count > 0 && r < 0) {
            version_erase(c, h); /* left the retained set C (I5) */
        }
    }
}

/* ---- late share (protocol.md §4 step 7) ------------------------------------------------ */

static int index_of(const tkms_proto_chain_view *v, const uint8_t addr[20]);
static bool view_sane(const tkms_proto_chain_view *v, const tkms_proto_config *config);

static bool late_was_tried(const tkms_proto_state *s, uint64_t version) {
    for (size_t i = 0; i < TKMS_PROTO_RETAINED_MAX; i++) {
        if (s->late_tried[i] == version) {
            return true;
        }
    }
    return false;
}

TKMS_EXPORT uint64_t tkms_proto_late_wanted(const tkms_proto_state *s,
                                            const tkms_proto_chain_view *v) {
    for (uint32_t i = 0; i < v->retained_count && i < TKMS_PROTO_RETAINED_MAX; i++) {
        uint64_t version = v->retained[i];
        /* the epoch still running here is decided by the phases, not late */
        bool running = version == v->epoch && s->cur.epoch == v->epoch &&
                       s->cur.phase != TKMS_PROTO_PHASE_DECIDED;
        if (version != 0 && !running && tkms_proto_version_get(s, version) == NULL &&
            !late_was_tried(s, version)) {
            return version;
        }
    }
    return 0;
}

/* Forgets tried versions that left C, and late components whose version did not finalize
   or left C (abandoned, §5). The next trigger being final, retention is settled. */
static void late_prune(step_ctx *c) {
    tkms_proto_state *s = c->s;
    for (size_t i = 0; i < TKMS_PROTO_RETAINED_MAX; i++) {
        if (s->late_tried[i] != 0 && retained_index(c->v, s->late_tried[i]) < 0) {
            s->late_tried[i] = 0;
            c->dirty = true;
        }
    }
    if (s->late.epoch != 0 && s->late.epoch < c->v->epoch &&
        retained_index(c->v, s->late.epoch) < 0) {
        tkms_wipe(&s->late, sizeof s->late);
        c->dirty = true;
    }
}

/* Every slot names a retained version (late_prune) and C holds at most RETAINED_MAX. */
static void late_mark(tkms_proto_state *s, uint64_t version) {
    size_t i = 0;
    while (i < TKMS_PROTO_RETAINED_MAX && s->late_tried[i] != 0) {
        i++;
    }
    TKMS_ASSERT(i < TKMS_PROTO_RETAINED_MAX);
    s->late_tried[i] = version;
}

/* Computes this node's share of the finalized epoch `lv` (a view of that epoch at the
   current height) from its persisted components for that epoch, if any, plus the
   openings; activates it if its stateHash is the winning one. Tried once per version. */
static void late_share(step_ctx *outer, const tkms_proto_chain_view *lv) {
    tkms_proto_state *s = outer->s;
    late_mark(s, lv->epoch);
    outer->dirty = true;
    int r = retained_index(outer->v, lv->epoch);
    int me = index_of(lv, s->config.self);
    step_ctx c = {.s = s, .g = outer->g, .v = lv, .out = outer->out};
    c.me = me >= 0 ? (size_t)me : 0;
    bool ok = r >= 0 && me >= 0 && lv->finalized && view_sane(lv, &s->config) &&
              lv->height == outer->v->height;
    for (size_t i = 0; ok && i < lv->n; i++) {
        ok = tkms_tss_point_from_address(&c.xs[i], lv->ops[i].address) == TKMS_OK;
    }
    if (ok) {
        c.d = deadlines_of(&s->config, lv->epoch);
        bool from_late = s->late.epoch == lv->epoch, from_cur = s->cur.epoch == lv->epoch;
        c.comp = from_late ? s->late.component : s->cur.component;
        c.comp_have = from_late ? s->late.have_component : from_cur ? s->cur.have_component : 0;
        uint64_t dset;
        tkms_tss_secret share;
        tkms_proto_commitments combined;
        uint8_t hash[32];
        if (decide_share(&c, &dset, &share, &combined, hash)) {
            if (dset == lv->winning_dealers &&
                memcmp(hash, outer->v->retained_state_hash[r], 32) == 0 &&
                version_store(&c, TKMS_PROTO_VERSION_ACTIVE, &share, &combined, hash,
                              c.d.confirm_end) != NULL) {
                emit(&c, TKMS_PROTO_ACT_ACTIVATE)->arg = lv->epoch;
            } else {
                alert(&c, "late_share_not_the_winning_state");
            }
            tkms_tss_secret_wipe(&share);
        }
    }
    if (s->late.epoch == lv->epoch) {
        tkms_wipe(&s->late, sizeof s->late); /* computed or abandoned: components die (§5) */
    }
}

/* ---- the step --------------------------------------------------------------------------- */

static bool view_sane(const tkms_proto_chain_view *v, const tkms_proto_config *config) {
    if (!v->active) {
        return true;
    }
    return v->n >= 1 && v->n <= TKMS_PROTO_OPERATORS_MAX && v->t >= 1 && v->t <= v->n &&
           v->epoch * config->interval <= v->height &&
           v->retained_count <= TKMS_PROTO_RETAINED_MAX &&
           (v->source == TKMS_PROTO_DKG_SOURCE || v->source_commitments != NULL);
}

static void epoch_start(step_ctx *c) {
    tkms_proto_state *s = c->s;
    if (s->cur.epoch != 0 && s->cur.phase != TKMS_PROTO_PHASE_DECIDED &&
        s->cur.have_component != 0) {
        /* left undecided (crash, downtime): keep the components for the late share */
        tkms_wipe(&s->late, sizeof s->late);
        s->late.epoch = s->cur.epoch;
        s->late.have_component = s->cur.have_component;
        memcpy(s->late.component, s->cur.component, sizeof s->late.component);
    }
    tkms_tss_poly_wipe(&s->cur.poly);
    tkms_wipe(&s->cur, sizeof s->cur);
    s->cur.epoch = c->v->epoch;
    c->dirty = true;
}

/* Keys: publish one for the next epoch once per epoch; erase keys no longer pinned. */
static void keys_update(step_ctx *c) {
    tkms_proto_state *s = c->s;
    const uint8_t *pinned = c->v->ops[c->me].x25519;
    for (size_t i = 0; i < TKMS_PROTO_KEYS_MAX; i++) {
        /* a key published for epoch e may land after trigger e and be pinned for e + 1 */
        bool live = memcmp(s->keys[i].pub, pinned, 32) == 0 ||
                    s->keys[i].published_for >= c->v->epoch;
        static const uint8_t zero[32] = {0};
        if (!live && memcmp(s->keys[i].pub, zero, 32) != 0) {
            tkms_wipe(&s->keys[i], sizeof s->keys[i]);
            c->dirty = true;
        }
    }
    if (!s->cur.key_published) {
        tkms_proto_action *a = emit(c, TKMS_PROTO_ACT_TX_SET_EPOCH_KEY);
        memcpy(a->key, proto_key_new(s, c->v->epoch + 1, pinned), 32);
        s->cur.key_published = true;
        s->cur.sent_height[TX_KEY] = c->v->height;
        c->dirty = true;
        return;
    }
    /* not landed (a crash after PERSIST, a dropped transaction) or superseded by a key this
       node does not hold: the next epoch would pin a key it cannot open with */
    for (size_t i = 0; i < TKMS_PROTO_KEYS_MAX; i++) {
        if (s->keys[i].published_for == c->v->epoch + 1 &&
            should_send(c, TX_KEY, memcmp(s->keys[i].pub, c->v->own_key_latest, 32) == 0)) {
            memcpy(emit(c, TKMS_PROTO_ACT_TX_SET_EPOCH_KEY)->key, s->keys[i].pub, 32);
        }
    }
}

static void run_phases(step_ctx *c) {
    tkms_proto_state *s = c->s;
    const tkms_proto_chain_view *v = c->v;
    keys_update(c);
    if (s->cur.phase == TKMS_PROTO_PHASE_IDLE) {
        phase_deal(c);
    }
    if (s->cur.dealer && s->cur.phase == TKMS_PROTO_PHASE_DEALT && v->height < c->d.commit_end &&
        should_send(c, TX_COMMIT, v->committed & bit(c->me))) {
        memcpy(emit(c, TKMS_PROTO_ACT_TX_COMMIT)->hash, s->cur.record_hash, 32);
    }
    if (s->cur.phase == TKMS_PROTO_PHASE_DEALT && v->height >= c->d.commit_end) {
        s->cur.phase = TKMS_PROTO_PHASE_REVEALED;
        c->dirty = true;
        s->cur.dealer = s->cur.dealer && (v->committed & bit(c->me)) &&
                        memcmp(v->record_hash[c->me], s->cur.record_hash, 32) == 0;
    }
    if (s->cur.dealer && s->cur.phase == TKMS_PROTO_PHASE_REVEALED &&
        v->height < c->d.reveal_end && should_send(c, TX_REVEAL, v->revealed & bit(c->me))) {
        emit(c, TKMS_PROTO_ACT_TX_REVEAL)->t = (uint16_t)s->cur.poly.t;
        emit(c, TKMS_PROTO_ACT_SEND_RECORD);
    }
    if (s->cur.phase == TKMS_PROTO_PHASE_REVEALED && v->height < c->d.reveal_end) {
        /* records of dealers whose reveal is final are fetched and opened already: a lost
           push then costs no ack (the ack itself still waits for the reveal deadline) */
        gather_components(c);
    }
    if (s->cur.phase == TKMS_PROTO_PHASE_REVEALED && v->height >= c->d.reveal_end) {
        phase_ack(c);
    }
    if (s->cur.phase == TKMS_PROTO_PHASE_ACKED && v->height >= c->d.ack_end) {
        phase_open(c);
    }
    if (s->cur.phase == TKMS_PROTO_PHASE_OPENED && v->height >= c->d.open_end) {
        if (v->height >= c->d.confirm_end) { /* too late to confirm (§5) */
            s->cur.phase = TKMS_PROTO_PHASE_DECIDED;
            wipe_dealing(s);
            if (v->finalized && tkms_proto_late_wanted(s, v) == v->epoch) {
                late_share(c, v); /* finalized without us: activate our share late */
            }
            tkms_wipe(s->cur.component, sizeof s->cur.component);
            c->dirty = true;
        } else {
            phase_decide(c);
        }
    }
}

static int index_of(const tkms_proto_chain_view *v, const uint8_t addr[20]) {
    for (size_t i = 0; i < v->n; i++) {
        if (memcmp(v->ops[i].address, addr, 20) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* PERSIST goes first whenever the state changed: every announcement follows it (I4). */
static void persist_first(step_ctx *c) {
    tkms_proto_actions *out = c->out;
    TKMS_ASSERT(out->count < TKMS_PROTO_ACTIONS_MAX);
    memmove(&out->a[1], &out->a[0], out->count * sizeof out->a[0]);
    memset(&out->a[0], 0, sizeof out->a[0]);
    out->a[0].kind = TKMS_PROTO_ACT_PERSIST;
    out->a[0].epoch = c->v->epoch;
    out->count++;
}

static tkms_err halt(step_ctx *c, const char *reason) {
    c->out->count = 0;
    alert(c, reason);
    return TKMS_ERR_PROTO_HALT;
}

TKMS_EXPORT tkms_err tkms_proto_step(tkms_proto_state *s, const tkms_proto_group *g,
                                     const tkms_proto_event *ev, tkms_proto_actions *out) {
    TKMS_ASSERT(ev->kind == TKMS_PROTO_EV_CHAIN && ev->chain != NULL);
    step_ctx c = {.s = s, .g = g, .v = ev->chain, .out = out};
    out->count = 0;
    const tkms_proto_chain_view *v = ev->chain;
    if (v->height < s->last_height) {
        return halt(&c, "chain_view_went_backwards");
    }
    if (!view_sane(v, &s->config)) {
        return halt(&c, "chain_view_malformed");
    }
    if (v->has_mpk && s->mpk_bound && memcmp(v->mpk, s->mpk, sizeof s->mpk) != 0) {
        return halt(&c, "master_public_key_changed");
    }
    if (v->has_mpk && !s->mpk_bound) {
        memcpy(s->mpk, v->mpk, sizeof s->mpk);
        s->mpk_bound = true;
        c.dirty = true;
    }
    s->last_height = v->height;
    c.d = deadlines_of(&s->config, v->epoch);
    versions_update(&c);
    int me = v->active ? index_of(v, s->config.self) : -1;
    if (v->active && v->epoch != s->cur.epoch) {
        epoch_start(&c);
    }
    late_prune(&c);
    if (v->late != NULL && v->late->epoch == tkms_proto_late_wanted(s, v)) {
        late_share(&c, v->late);
    }
    if (me >= 0) {
        c.me = (size_t)me;
        for (size_t i = 0; i < v->n; i++) {
            if (tkms_tss_point_from_address(&c.xs[i], v->ops[i].address) != TKMS_OK) {
                return halt(&c, "operator_with_zero_point");
            }
        }
        run_phases(&c);
    }
    if (c.dirty) {
        persist_first(&c);
    }
    return TKMS_OK;
}
