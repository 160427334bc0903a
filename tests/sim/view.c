/*
 * view.c — what a node's driver reads from the chain model, and the reference decision.
 *
 * sim_view_build() fills a tkms_proto_chain_view as of a final block h exactly as the
 * driver's pinned reads would (epochSnapshot, epochProgress, dealings and their revealed
 * commitments, acks, openings, finalization, the global MPK / finalized version / C), all
 * filtered to facts mined at or before h. Records are added per node (node.c).
 *
 * sim_decide() is an independent implementation of protocol.md §4 step 5 from the same
 * chain data (D, the combined commitments, the state hash): the agreement checker compares
 * every honest confirmation against it. It does not share code with src/proto. Spec:
 * protocol.md §4, §4.6, I1.
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "sim.h"

static void view_global(sim_view *w, sim_chain *c, uint64_t h) {
    tkms_proto_chain_view *v = &w->v;
    v->has_mpk = sim_chain_mpk_at(c, h, v->mpk);
    v->finalized_version = sim_chain_finalized_at(c, h);
    uint64_t retained[SIM_RING * 4];
    uint32_t count = sim_chain_retained_at(c, h, retained, SIM_RING * 4);
    if (count > TKMS_PROTO_RETAINED_MAX) {
        count = TKMS_PROTO_RETAINED_MAX; /* reported by the run (|C| above the view's cap) */
    }
    v->retained_count = count;
    for (uint32_t i = 0; i < count; i++) {
        const sim_vinfo *vi = sim_chain_vinfo(c, retained[i]);
        TKMS_ASSERT(vi != NULL);
        v->retained[i] = retained[i];
        memcpy(v->retained_state_hash[i], vi->state_hash, 32);
        v->retained_confirm_deadline[i] = vi->confirm_deadline;
    }
}

static void view_snapshot(sim_view *w, sim_chain *c, const sim_erec *r) {
    tkms_proto_chain_view *v = &w->v;
    uint64_t b = sim_chain_trigger(c, r->epoch);
    v->active = true;
    v->n = r->n;
    for (uint32_t i = 0; i < r->n; i++) {
        memcpy(v->ops[i].address, c->addr[r->op[i]], 20);
        memcpy(v->ops[i].ed25519, sim_chain_ed_key_at(c, r->op[i], b), 32);
        memcpy(v->ops[i].x25519, sim_chain_key_at(c, r->op[i], b), 32);
    }
    v->t = r->t;
    v->r = r->r;
    v->source = r->source;
    v->source_t = r->source_t;
    v->source_commitments = NULL;
    if (r->source != TKMS_PROTO_DKG_SOURCE) {
        const sim_vinfo *vi = sim_chain_vinfo(c, r->source);
        TKMS_ASSERT(vi != NULL && vi->combined != NULL);
        w->source_commitments = *vi->combined;
        v->source_commitments = &w->source_commitments;
    }
}

static void view_progress(sim_view *w, const sim_erec *r, uint64_t h) {
    tkms_proto_chain_view *v = &w->v;
    for (uint32_t i = 0; i < r->n; i++) {
        uint64_t bit = 1ull << i;
        if (r->commit_blk[i] != 0 && r->commit_blk[i] <= h) {
            v->committed |= bit;
            memcpy(v->record_hash[i], r->record_hash[i], 32);
        }
        if (r->reveal_blk[i] != 0 && r->reveal_blk[i] <= h) {
            v->revealed |= bit;
            v->dealing[i] = &r->comm[i];
        }
        if (r->ack_blk[i] != 0 && r->ack_blk[i] <= h) {
            v->acked |= bit;
            v->ack_bitmap[i] = r->ack_bits[i];
        }
        if (r->confirm_blk[i] != 0 && r->confirm_blk[i] <= h) {
            v->confirmed |= bit;
        }
        for (uint32_t p = 0; p < r->n; p++) {
            if (r->open_blk[i][p] != 0 && r->open_blk[i][p] <= h) {
                v->opened[i] |= 1ull << p;
                memcpy(w->opened_share[i][p], r->open_share[i][p], 32);
            }
        }
    }
    v->opened_share = (const uint8_t(*)[TKMS_PROTO_OPERATORS_MAX][32])w->opened_share;
    if (r->final_blk != 0 && r->final_blk <= h) {
        v->finalized = true;
        memcpy(v->winning_state_hash, r->win_sh, 32);
        v->winning_dealers = r->win_d;
    }
}

static void view_reset(sim_view *w, uint64_t h, uint64_t epoch) {
    memset(&w->v, 0, sizeof w->v);
    w->rec = NULL;
    for (uint32_t i = 0; i < SIM_OPS_MAX; i++) {
        w->pool_index[i] = -1;
    }
    w->v.height = h;
    w->v.epoch = epoch;
}

static void view_epoch(sim_view *w, sim_chain *c, const sim_erec *r, uint64_t h) {
    w->rec = r;
    view_snapshot(w, c, r);
    /* only the n x n corner of the openings is ever read */
    for (uint32_t i = 0; i < r->n; i++) {
        memset(w->opened_share[i], 0, (size_t)r->n * 32);
    }
    view_progress(w, r, h);
}

void sim_view_build(sim_view *w, sim_chain *c, uint64_t h) {
    TKMS_ASSERT(h <= c->height);
    view_reset(w, h, h / c->p.interval);
    view_global(w, c, h);
    const sim_erec *r = sim_chain_snapshot(c, w->v.epoch);
    if (r != NULL) {
        view_epoch(w, c, r, h);
    }
}

bool sim_view_build_past(sim_view *w, sim_chain *c, uint64_t h, uint64_t epoch) {
    TKMS_ASSERT(h <= c->height && epoch <= h / c->p.interval);
    view_reset(w, h, epoch);
    /* only an epoch still in the ring (8 epochs); its snapshot is recomputed if a reorg
       invalidated it (sim_chain_snapshot never creates an entry that exists) */
    const sim_erec *r = sim_chain_erec(c, epoch) != NULL ? sim_chain_snapshot(c, epoch) : NULL;
    if (r == NULL) {
        return false;
    }
    view_epoch(w, c, r, h);
    return true;
}

/* ---- the reference decision (protocol.md §4 step 5) -------------------------------- */

void sim_combine(tkms_proto_commitments *out, const tkms_proto_group *g, const sim_erec *rec,
                 uint64_t dealers, bool dkg, const tkms_bls_fr *xs_by_actor) {
    const tkms_proto_commitments *cs[SIM_OPS_MAX];
    tkms_bls_fr xs[SIM_OPS_MAX], lambdas[SIM_OPS_MAX];
    size_t count = 0;
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < rec->n; i++) {
        if ((dealers & (1ull << i)) == 0) {
            continue;
        }
        if (!g->commitments_valid(g->ctx, &rec->comm[i]) || rec->comm[i].t != rec->t) {
            return; /* out->t == 0: not combinable (a bogus D) */
        }
        cs[count] = &rec->comm[i];
        xs[count] = xs_by_actor[rec->op[i]];
        count++;
    }
    if (count == 0) {
        return;
    }
    if (dkg) {
        g->combine(g->ctx, out, cs, NULL, count);
        return;
    }
    tkms_err err = tkms_tss_lagrange_at_zero_vartime(lambdas, xs, count);
    TKMS_ASSERT(err == TKMS_OK);
    g->combine(g->ctx, out, cs, lambdas, count);
}

/* Dealer i qualifies: revealed, t' commitments that decode, C_i0 == PK_i(V) (reshare),
   every player acked it or holds a valid opening, no invalid opening, <= r openings. */
static bool qualifies(sim_chain *c, const sim_erec *rec, uint32_t i, uint64_t h,
                      const tkms_proto_commitments *source, bool *invalid_opening) {
    const tkms_proto_group *g = c->group;
    *invalid_opening = false;
    if (rec->reveal_blk[i] == 0 || rec->reveal_blk[i] > h) {
        return false;
    }
    const tkms_proto_commitments *ci = &rec->comm[i];
    if (ci->t != rec->t || !g->commitments_valid(g->ctx, ci)) {
        return false;
    }
    if (source != NULL) {
        uint8_t pk[TKMS_PROTO_COMMITMENT_BYTES];
        g->public_share(g->ctx, pk, source, &c->x[rec->op[i]]);
        if (memcmp(pk, ci->c[0], sizeof pk) != 0) {
            return false;
        }
    }
    bool ok = true;
    uint32_t openings = 0;
    for (uint32_t j = 0; j < rec->n; j++) {
        bool acked =
            rec->ack_blk[j] != 0 && rec->ack_blk[j] <= h && (rec->ack_bits[j] & (1ull << i)) != 0;
        bool opened = rec->open_blk[i][j] != 0 && rec->open_blk[i][j] <= h;
        if (opened) {
            tkms_tss_secret s;
            openings++;
            bool valid = tkms_bls_fr_decode(&s.v, rec->open_share[i][j]) == TKMS_OK &&
                         g->share_verify(g->ctx, &s, &c->x[rec->op[j]], ci);
            if (!valid) {
                *invalid_opening = true;
                ok = false;
            }
        } else if (!acked) {
            ok = false;
        }
    }
    return ok && openings <= rec->r;
}

void sim_decide(sim_decision *out, sim_chain *c, const sim_erec *rec, uint64_t h) {
    memset(out, 0, sizeof *out);
    bool dkg = rec->source == TKMS_PROTO_DKG_SOURCE;
    const tkms_proto_commitments *source = NULL;
    if (!dkg) {
        const sim_vinfo *vi = sim_chain_vinfo(c, rec->source);
        TKMS_ASSERT(vi != NULL && vi->combined != NULL);
        source = vi->combined;
    }
    uint8_t addrs[SIM_OPS_MAX][20];
    size_t count = 0;
    for (uint32_t i = 0; i < rec->n; i++) {
        bool invalid;
        if (qualifies(c, rec, i, h, source, &invalid)) {
            out->dealers |= 1ull << i;
            memcpy(addrs[count++], c->addr[rec->op[i]], 20);
        }
        if (invalid) {
            out->invalid_openers |= 1ull << i;
        }
    }
    uint32_t bound = dkg ? rec->t : rec->source_t;
    if (count == 0 || count < bound) {
        return;
    }
    out->decided = true;
    sim_combine(&out->combined, c->group, rec, out->dealers, dkg, c->x);
    TKMS_ASSERT(out->combined.t == rec->t);
    tkms_proto_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.chain_id = c->chain_id;
    memcpy(cfg.epoch_log, c->epoch_log, 20);
    tkms_proto_state_hash(out->state_hash, &cfg, rec->epoch, rec->source, &out->combined,
                          (const uint8_t(*)[20])addrs, count);
}
