/*
 * adversary.c — sim-controlled malicious operators (protocol.md §7's adversary list).
 *
 * A malicious actor runs a puppet copy of the real state machine (so it holds real shares,
 * acks and confirms like an honest node when that suits it) and a strategy per epoch that
 * filters, mutates or replaces the puppet's actions, or deals a record of its own making:
 *   honest      the puppet's actions unchanged (its knowledge still feeds the oracle)
 *   silent      nothing at all
 *   rush        commits, then tries to reveal commitments built from honest reveals so the
 *               key becomes its choice (the contract must refuse: RecordHashMismatch)
 *   degree      shares from a degree-t' polynomial under t' commitments (acks must fail)
 *   degree_len  reveals t'+1 commitments (CommitmentsLength)
 *   malformed   a commitment that does not decode, or C_0 = identity
 *   wrong_push  pushes a record differing from the committed one, never the real one
 *   withhold    the real record to some players only (selective delivery), opens the rest
 *   bogus_open  withholds from one player and opens a wrong share for it
 *   open_many   tries more than r openings and openings of players that acked
 *   frontrun    confirms first, a bogus (mpk, hash, D) or the winner's without a share
 *   refuse      honest until it holds a finalized share, then never deals nor serves again
 *   bogus_push  floods garbage and near-copies before the real record
 *   low_key     publishes a low-order X25519 key (its share must be opened)
 *   late        honest, but every transaction lands in the last block of its window
 *   chaos       honest, plus malformed transactions of every kind in every block (wrong
 *               epochs and windows, random bitmaps, unknown players, non-canonical shares,
 *               bad MPK flags, zero or reused keys): the chain must refuse them exactly as
 *               the contracts do (tests/sim/chain_diff.mjs)
 * What it does not do: break cryptography or the chain; it only sends what a real operator
 * could send. Spec: protocol.md §1, §4, §7.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "prim/prim.h"
#include "sim.h"

static const char *const ADV_NAMES[] = {
    "honest",     "silent",   "rush",       "degree",    "degree_len", "malformed",
    "wrong_push", "withhold", "bogus_open", "open_many", "frontrun",   "refuse",
    "bogus_push", "low_key",  "late",       "chaos",
};
_Static_assert(sizeof ADV_NAMES / sizeof ADV_NAMES[0] == SIM_ADV_COUNT, "names");

const char *sim_adv_name(sim_adv a) {
    return a < SIM_ADV_COUNT ? ADV_NAMES[a] : "random";
}

typedef struct {
    uint64_t trigger, commit_end, reveal_end, ack_end, open_end, confirm_end;
} deadlines;

static deadlines deadlines_of(const sim_run *run, uint64_t epoch) {
    deadlines d;
    d.trigger = epoch * run->p.interval;
    d.commit_end = d.trigger + run->p.commit;
    d.reveal_end = d.trigger + run->p.reveal;
    d.ack_end = d.trigger + run->p.ack;
    d.open_end = d.trigger + run->p.open;
    d.confirm_end = d.trigger + run->p.confirm;
    return d;
}

static void adv_submit(sim_run *run, sim_actor *a, sim_tx *tx) {
    tx->from = a->id;
    sim_chain_submit(&run->chain, tx, run->chain.height + 1);
}

static int32_t my_index(const sim_erec *r, uint32_t actor) {
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->op[i] == actor) {
            return (int32_t)i;
        }
    }
    return -1;
}

static sim_adv pick_strategy(sim_run *run, sim_actor *a, uint64_t epoch) {
    if (a->strategy_epoch == epoch && a->strategy_epoch != 0) {
        return a->cur_strategy;
    }
    sim_adv s = a->strategy;
    if (s == SIM_ADV_COUNT) {
        static const sim_adv pool[] = {
            SIM_ADV_HONEST,     SIM_ADV_SILENT,    SIM_ADV_RUSH,       SIM_ADV_DEGREE,
            SIM_ADV_DEGREE_LEN, SIM_ADV_MALFORMED, SIM_ADV_WRONG_PUSH, SIM_ADV_WITHHOLD,
            SIM_ADV_BOGUS_OPEN, SIM_ADV_OPEN_MANY, SIM_ADV_FRONTRUN,   SIM_ADV_BOGUS_PUSH,
            SIM_ADV_LOW_KEY,    SIM_ADV_LATE,
        };
        s = pool[sim_rng_below(&run->rng_adv, sizeof pool / sizeof pool[0])];
    }
    a->cur_strategy = s;
    a->strategy_epoch = epoch;
    memset(&a->adv, 0, sizeof a->adv);
    a->adv.epoch = epoch;
    sim_log(run, 2, "adversary %u plays %s in epoch %llu", a->id, sim_adv_name(s),
            (unsigned long long)epoch);
    return s;
}

/* ---- crafted records ------------------------------------------------------------------ */

/* Seals f_share(x_j) for every player as record.c does (same AAD and sealing), but for a
   polynomial of any degree (record_seal insists on t == the header's t'). */
static bool seal_shares(sim_run *run, tkms_proto_record *rec, const tkms_tss_poly *f_share,
                        const tkms_proto_player *players, uint32_t n) {
    static const uint8_t zero[32];
    uint8_t ch[32];
    tkms_proto_record_commitments_hash(ch, rec);
    tkms_rng rng = sim_rng_as_tkms(&run->rng_adv);
    for (uint32_t j = 0; j < n; j++) {
        tkms_bls_fr x;
        uint8_t aad[TKMS_PROTO_SHARE_AAD_BYTES], pt[32];
        if (memcmp(players[j].x25519, zero, 32) == 0 ||
            tkms_tss_point_from_address(&x, players[j].address) != TKMS_OK) {
            continue;
        }
        tkms_proto_record_share_aad(aad, rec->header.epoch, rec->header.dealer, players[j].address,
                                    ch);
        tkms_bls_fr y;
        sim_poly_eval(&y, f_share, &x);
        tkms_bls_fr_encode(pt, &y);
        if (tkms_prim_seal(rec->sealed[j], players[j].x25519, aad, sizeof aad, pt, &rng) !=
            TKMS_OK) {
            memset(rec->sealed[j], 0, TKMS_PROTO_SEALED_BYTES); /* low-order: empty slot */
        }
    }
    rec->players = (uint16_t)n;
    return true;
}

/* Builds, signs and pools a record of a->adv.commitments-style: header t = f_commit->t,
   commitments of f_commit, shares of f_share sealed to O's keys. */
static bool craft_record(sim_run *run, sim_actor *a, const sim_view *w,
                         const tkms_tss_poly *f_commit, const tkms_tss_poly *f_share, int corrupt) {
    static tkms_proto_record rec;
    tkms_proto_commitments pc;
    tkms_proto_player players[SIM_OPS_MAX];
    memset(&rec, 0, sizeof rec);
    rec.header.version = TKMS_PROTO_RECORD_VERSION;
    rec.header.epoch = w->v.epoch;
    memcpy(rec.header.dealer, a->address, 20);
    rec.header.source = w->v.source;
    rec.header.threshold = (uint16_t)f_commit->t;
    if (f_commit->t > w->v.n) {
        return false; /* not encodable (degree raising at n = 1) */
    }
    run->group->commit(run->group->ctx, &pc, f_commit);
    if (corrupt == 1) {
        pc.c[f_commit->t > 1 ? 1 : 0][5] ^= 0x40; /* breaks the strict decoding */
    } else if (corrupt == 2) {
        memset(pc.c[0], 0, sizeof pc.c[0]);
        pc.c[0][0] = 0xc0; /* C_0 = identity */
    }
    memcpy(rec.commitments, pc.c, sizeof rec.commitments);
    for (uint32_t j = 0; j < w->v.n; j++) {
        memcpy(players[j].address, w->v.ops[j].address, 20);
        memcpy(players[j].x25519, w->v.ops[j].x25519, 32);
    }
    if (!seal_shares(run, &rec, f_share, players, w->v.n)) {
        return false;
    }
    tkms_proto_domain dom;
    dom.chain_id = run->chain.chain_id;
    memcpy(dom.epoch_log, run->chain.epoch_log, 20);
    tkms_proto_record_sign(&rec, &dom, a->ed_seed);
    size_t len;
    if (tkms_proto_record_encode(run->record_buf, TKMS_PROTO_RECORD_BYTES_MAX, &len, &rec) !=
        TKMS_OK) {
        return false;
    }
    int32_t idx = sim_pool_add(run, w->v.epoch, run->record_buf, len);
    if (idx < 0) {
        return false;
    }
    a->adv.rec = (uint32_t)idx;
    tkms_proto_record_hash(a->adv.record_hash, &dom, &rec);
    tkms_proto_record_sealed_hash(a->adv.sealed_hash, &rec);
    a->adv.t = rec.header.threshold;
    memcpy(a->adv.commitments, pc.c, sizeof a->adv.commitments);
    a->adv.share_poly = *f_share;
    a->adv.crafted = true;
    return true;
}

static void random_poly(sim_run *run, tkms_tss_poly *f, uint32_t t, const tkms_tss_secret *c) {
    tkms_rng rng = sim_rng_as_tkms(&run->rng_adv);
    TKMS_ASSERT(tkms_tss_poly_random(f, t, c, &rng) == TKMS_OK);
}

/* The constant a reshare dealer must use: its share of the source (the puppet's). */
static const tkms_tss_secret *source_share(const sim_actor *a, const sim_view *w) {
    if (w->v.source == TKMS_PROTO_DKG_SOURCE) {
        return NULL;
    }
    const tkms_proto_version *v = tkms_proto_version_get(a->st, w->v.source);
    return v != NULL && v->status == TKMS_PROTO_VERSION_ACTIVE ? &v->share : NULL;
}

static void prepare_crafted(sim_run *run, sim_actor *a, const sim_view *w, sim_adv s) {
    tkms_tss_poly f, g;
    uint32_t t = w->v.t;
    const tkms_tss_secret *c = source_share(a, w);
    if (w->v.source != TKMS_PROTO_DKG_SOURCE && c == NULL) {
        a->adv.gave_up = true;
        return;
    }
    random_poly(run, &f, t, c);
    bool ok = false;
    if (s == SIM_ADV_DEGREE) {
        g = f; /* shares of f + a·x^t' under the commitments of f */
        g.t = t + 1;
        tkms_rng rng = sim_rng_as_tkms(&run->rng_adv);
        uint8_t b[32];
        tkms_rng_fill(&rng, b, 32);
        tkms_bls_fr_decode_reduce(&g.a[t], b, 32);
        ok = t + 1 <= TKMS_TSS_THRESHOLD_MAX && craft_record(run, a, w, &f, &g, 0);
    } else if (s == SIM_ADV_DEGREE_LEN) {
        random_poly(run, &g, t + 1 <= TKMS_TSS_THRESHOLD_MAX ? t + 1 : t, c);
        ok = craft_record(run, a, w, &g, &g, 0);
    } else if (s == SIM_ADV_MALFORMED) {
        ok = craft_record(run, a, w, &f, &f, 1 + (int)sim_rng_below(&run->rng_adv, 2));
    }
    if (ok && s != SIM_ADV_DEGREE) {
        sim_oracle_capture(run, a->id, w->v.epoch, &a->adv.share_poly);
    }
    a->adv.gave_up = !ok;
}

/* commit, reveal, push and (degree) open for a crafted record */
static void drive_crafted(sim_run *run, sim_actor *a, const sim_view *w, const deadlines *d,
                          sim_adv s) {
    uint64_t h = w->v.height;
    if (!a->adv.crafted && !a->adv.gave_up && h < d->commit_end) {
        prepare_crafted(run, a, w, s);
    }
    if (!a->adv.crafted) {
        return;
    }
    if (!a->adv.committed && h < d->commit_end) {
        sim_tx *tx = sim_tx_new();
        tx->kind = SIM_TX_COMMIT;
        tx->epoch = w->v.epoch;
        memcpy(tx->hash, a->adv.record_hash, 32);
        adv_submit(run, a, tx);
        a->adv.committed = true;
    }
    if (a->adv.committed && !a->adv.revealed && h >= d->commit_end && h < d->reveal_end) {
        sim_tx *tx = sim_tx_new();
        tx->kind = SIM_TX_REVEAL;
        tx->epoch = w->v.epoch;
        tx->t = a->adv.t;
        memcpy(tx->commitments, a->adv.commitments, sizeof a->adv.commitments);
        memcpy(tx->hash, a->adv.sealed_hash, 32);
        adv_submit(run, a, tx);
        if (s == SIM_ADV_DEGREE_LEN && a->adv.t > w->v.t) {
            sim_tx *cut = sim_tx_new(); /* and the first t' of them: hash mismatch */
            *cut = *tx;
            cut->t = w->v.t;
            adv_submit(run, a, cut);
        }
        sim_net_push_all(run, a->id, w->v.epoch, a->adv.rec, w->rec);
        a->adv.revealed = true;
    }
}

/* ---- puppet-driven strategies ---------------------------------------------------------- */

/* Players (by O index) a withholding dealer leaves out: one honest player, or a few. */
static uint64_t choose_excluded(sim_run *run, const sim_actor *a, const sim_view *w, bool one) {
    uint64_t ex = 0;
    uint32_t want = one ? 1 : 1 + (uint32_t)sim_rng_below(&run->rng_adv, w->v.r + 1ull);
    if (run->withhold_count != 0) {
        want = run->withhold_count;
    }
    for (uint32_t tries = 0; tries < 64 && sim_popcount(ex) < want; tries++) {
        uint32_t j = (uint32_t)sim_rng_below(&run->rng_adv, w->v.n);
        if (w->rec->op[j] != a->id && !run->actors[w->rec->op[j]].malicious) {
            ex |= 1ull << j;
        }
    }
    return ex;
}

static void push_selective(sim_run *run, sim_actor *a, const sim_view *w, uint64_t excluded) {
    size_t len;
    if (tkms_proto_own_record(run->record_buf, TKMS_PROTO_RECORD_BYTES_MAX, &len, a->st, run->group,
                              &w->v) != TKMS_OK) {
        return;
    }
    int32_t idx = sim_pool_add(run, w->v.epoch, run->record_buf, len);
    if (idx < 0) {
        return;
    }
    sim_cache_put(a, w->v.epoch, (uint32_t)idx);
    for (uint32_t j = 0; j < w->v.n; j++) {
        if (!(excluded & (1ull << j))) {
            sim_net_send(run, a->id, w->rec->op[j], SIM_MSG_PUSH, w->v.epoch, (uint32_t)idx, NULL);
        }
    }
}

/* A record with the same header whose sealed part differs: a different record hash. */
static void push_variants(sim_run *run, sim_actor *a, const sim_view *w, bool garbage) {
    size_t len;
    if (tkms_proto_own_record(run->record_buf, TKMS_PROTO_RECORD_BYTES_MAX, &len, a->st, run->group,
                              &w->v) != TKMS_OK) {
        return;
    }
    size_t sealed_at = TKMS_PROTO_RECORD_HEADER_BYTES + (size_t)w->v.t * 96 + 2;
    run->record_buf[sealed_at + 40] ^= 0x01;
    int32_t idx = sim_pool_add(run, w->v.epoch, run->record_buf, len);
    if (idx >= 0) {
        sim_net_push_all(run, a->id, w->v.epoch, (uint32_t)idx, w->rec);
    }
    if (garbage) {
        uint8_t junk[300];
        sim_rng_bytes(&run->rng_adv, junk, sizeof junk);
        idx = sim_pool_add(run, w->v.epoch, junk, sizeof junk);
        if (idx >= 0) {
            sim_net_push_all(run, a->id, w->v.epoch, (uint32_t)idx, w->rec);
        }
    }
}

static void open_extra(sim_run *run, sim_actor *a, const sim_view *w, bool bogus) {
    sim_tx *tx = sim_tx_new();
    tx->kind = SIM_TX_OPEN;
    tx->epoch = w->v.epoch;
    int32_t me = my_index(w->rec, a->id);
    for (uint32_t j = 0; j < w->v.n && tx->count <= w->v.r; j++) {
        bool acked = (w->v.acked & (1ull << j)) && (w->v.ack_bitmap[j] & (1ull << me));
        if (bogus && acked) {
            continue;
        }
        tkms_tss_secret s;
        tkms_tss_poly_eval(&s, &a->st->cur.poly, &run->actors[w->rec->op[j]].x);
        if (bogus) {
            tkms_bls_fr one;
            tkms_bls_fr_from_u64(&one, 1);
            tkms_bls_fr_add(&s.v, &s.v, &one);
        }
        memcpy(tx->players[tx->count], w->v.ops[j].address, 20);
        tkms_bls_fr_encode(tx->shares[tx->count], &s.v);
        tx->count++;
    }
    if (tx->count == 0) {
        free(tx);
        return;
    }
    adv_submit(run, a, tx);
}

static void frontrun(sim_run *run, sim_actor *a, const sim_view *w) {
    sim_tx *tx = sim_tx_new();
    tx->kind = SIM_TX_CONFIRM;
    tx->epoch = w->v.epoch;
    const sim_decision *d = sim_reference(run, w->v.epoch);
    if (d != NULL && d->decided && sim_rng_below(&run->rng_adv, 2) == 0) {
        /* confirming without (necessarily) a share: copy the winner from public data */
        tx->bitmap = d->dealers;
        memcpy(tx->hash, d->state_hash, 32);
        memcpy(tx->mpk, d->combined.c[0], sizeof tx->mpk);
    } else {
        tx->bitmap = w->v.revealed;
        sim_rng_bytes(&run->rng_adv, tx->hash, 32);
        if (w->v.has_mpk) {
            memcpy(tx->mpk, w->v.mpk, sizeof tx->mpk);
        } else {
            tkms_bls_fr v;
            uint8_t b[32];
            sim_rng_bytes(&run->rng_adv, b, 32);
            tkms_bls_fr_decode_reduce(&v, b, 32);
            sim_fr_encode(tx->mpk, &v);
            tx->mpk[0] = 0xa7;
        }
    }
    adv_submit(run, a, tx);
}

/* The rushing dealer: reveals commitments whose constant makes S its chosen value. */
static void rush(sim_run *run, sim_actor *a, const sim_view *w) {
    const tkms_proto_commitments *cs[SIM_OPS_MAX];
    tkms_bls_fr ws[SIM_OPS_MAX];
    tkms_tss_poly target;
    tkms_proto_commitments tc, crafted;
    random_poly(run, &target, w->v.t, NULL);
    run->group->commit(run->group->ctx, &tc, &target);
    cs[0] = &tc;
    tkms_bls_fr_from_u64(&ws[0], 1);
    size_t m = 1;
    tkms_bls_fr minus_one;
    tkms_bls_fr_from_u64(&minus_one, 1);
    tkms_bls_fr_neg(&minus_one, &minus_one);
    for (uint32_t i = 0; i < w->v.n; i++) {
        if ((w->v.revealed & (1ull << i)) && w->rec->op[i] != a->id &&
            run->group->commitments_valid(run->group->ctx, w->v.dealing[i])) {
            cs[m] = w->v.dealing[i];
            ws[m++] = minus_one;
        }
    }
    run->group->combine(run->group->ctx, &crafted, cs, ws, m);
    sim_tx *tx = sim_tx_new();
    tx->kind = SIM_TX_REVEAL;
    tx->epoch = w->v.epoch;
    tx->t = w->v.t;
    memcpy(tx->commitments, crafted.c, (size_t)tx->t * TKMS_PROTO_COMMITMENT_BYTES);
    sim_rng_bytes(&run->rng_adv, tx->hash, 32);
    adv_submit(run, a, tx);
    a->adv.rush_target = target.a[0];
    a->adv.rushed = true;
    run->rush_attempts++;
}

/* Filters one puppet action; returns false to drop it. */
static bool filter_action(sim_run *run, sim_actor *a, const sim_view *w, sim_adv s,
                          const tkms_proto_action *act) {
    switch (s) {
    case SIM_ADV_SILENT:
        return act->kind == TKMS_PROTO_ACT_PERSIST;
    case SIM_ADV_DEGREE:
    case SIM_ADV_DEGREE_LEN:
    case SIM_ADV_MALFORMED:
        return act->kind != TKMS_PROTO_ACT_TX_COMMIT && act->kind != TKMS_PROTO_ACT_TX_REVEAL &&
               act->kind != TKMS_PROTO_ACT_SEND_RECORD && act->kind != TKMS_PROTO_ACT_TX_OPEN;
    case SIM_ADV_WRONG_PUSH:
    case SIM_ADV_WITHHOLD:
    case SIM_ADV_BOGUS_OPEN:
    case SIM_ADV_BOGUS_PUSH:
        if (act->kind != TKMS_PROTO_ACT_SEND_RECORD) {
            return !(s == SIM_ADV_BOGUS_OPEN && act->kind == TKMS_PROTO_ACT_TX_OPEN);
        }
        if (s == SIM_ADV_WRONG_PUSH) {
            push_variants(run, a, w, false);
        } else if (s == SIM_ADV_BOGUS_PUSH) {
            push_variants(run, a, w, true);
            return true; /* then the real one */
        } else {
            if (a->adv.excluded == 0) {
                a->adv.excluded = choose_excluded(run, a, w, s == SIM_ADV_BOGUS_OPEN);
            }
            push_selective(run, a, w, a->adv.excluded);
        }
        return false;
    case SIM_ADV_FRONTRUN:
        return act->kind != TKMS_PROTO_ACT_TX_CONFIRM || a->adv.confirmed;
    case SIM_ADV_RUSH: /* its real reveal only after the rushing attempt */
        return a->adv.rushed ||
               (act->kind != TKMS_PROTO_ACT_TX_REVEAL && act->kind != TKMS_PROTO_ACT_SEND_RECORD);
    default:
        return true;
    }
}

static void run_puppet(sim_run *run, sim_actor *a, sim_view *w, sim_adv s) {
    tkms_proto_event ev = {TKMS_PROTO_EV_CHAIN, &w->v};
    sim_view_records(run, w, a);
    tkms_err err = tkms_proto_step(a->st, run->group, &ev, run->actions);
    if (err != TKMS_OK) {
        return; /* a halted puppet just stops (the adversary does not care) */
    }
    tkms_proto_actions *kept = run->actions;
    uint32_t out = 0;
    for (uint32_t k = 0; k < kept->count; k++) {
        if (filter_action(run, a, w, s, &kept->a[k])) {
            kept->a[out++] = kept->a[k];
        }
    }
    kept->count = out;
    sim_execute_actions(run, a, w, kept, UINT32_MAX);
}

static void chaos_fields(sim_run *run, sim_actor *a, const sim_view *w, sim_tx *tx) {
    sim_rng *r = &run->rng_adv;
    uint64_t n = w->v.n ? w->v.n : 1;
    sim_rng_bytes(r, tx->hash, 32);
    tx->bitmap = sim_rng_next(r) & (sim_rng_below(r, 2) ? w->v.revealed : ~0ull);
    tx->bitmap &= n >= 64 ? ~0ull : (1ull << n) - 1 + (sim_rng_below(r, 8) == 0 ? 1ull << n : 0);
    tx->t = (uint16_t)(w->v.t + sim_rng_below(r, 3) - 1);
    if (tx->t == 0 || tx->t > TKMS_TSS_THRESHOLD_MAX) {
        tx->t = 1;
    }
    sim_rng_bytes(r, &tx->commitments[0][0], (size_t)tx->t * TKMS_PROTO_COMMITMENT_BYTES);
    tx->count = (uint32_t)sim_rng_below(r, w->v.r + 3ull);
    for (uint32_t k = 0; k < tx->count; k++) {
        uint64_t j = sim_rng_below(r, n + 1);
        if (j < w->v.n) {
            memcpy(tx->players[k], w->v.ops[j].address, 20);
        } else {
            sim_rng_bytes(r, tx->players[k], 20); /* unknown player */
        }
        sim_rng_bytes(r, tx->shares[k], 32);
        tx->shares[k][0] &= sim_rng_below(r, 4) ? 0x3f : 0xff; /* sometimes >= r */
    }
    memcpy(tx->mpk, w->v.has_mpk ? w->v.mpk : a->address, 20);
    tx->mpk[0] = (uint8_t)(0x80 | (sim_rng_below(r, 4) == 0 ? 0x40 : 0));
    if (sim_rng_below(r, 6) == 0) {
        tx->mpk[0] = 0x13; /* compression flag clear */
    }
    if (sim_rng_below(r, 3) != 0) {
        memset(tx->key, 0, 32); /* zero key */
        if (sim_rng_below(r, 2)) {
            memcpy(tx->key, w->v.ops[0].x25519, 32); /* maybe someone's current key */
        }
    } else {
        sim_rng_bytes(r, tx->key, 32);
    }
}

/* CHAOS: one or two malformed transactions per block, any kind, epoch e-1..e+1. */
static void chaos(sim_run *run, sim_actor *a, const sim_view *w) {
    static const sim_tx_kind kinds[] = {SIM_TX_COMMIT, SIM_TX_REVEAL,  SIM_TX_ACK,
                                        SIM_TX_OPEN,   SIM_TX_CONFIRM, SIM_TX_SET_KEY};
    uint64_t count = 1 + sim_rng_below(&run->rng_adv, 2);
    for (uint64_t k = 0; k < count; k++) {
        sim_tx *tx = sim_tx_new();
        tx->kind = kinds[sim_rng_below(&run->rng_adv, sizeof kinds / sizeof kinds[0])];
        tx->epoch = w->v.epoch + sim_rng_below(&run->rng_adv, 3);
        tx->epoch = tx->epoch > 0 ? tx->epoch - 1 : 0;
        chaos_fields(run, a, w, tx);
        adv_submit(run, a, tx);
    }
}

/* Actions of the strategy beyond the puppet's, at their moment in the epoch. */
static void strategy_extras(sim_run *run, sim_actor *a, const sim_view *w, const deadlines *d,
                            sim_adv s) {
    uint64_t h = w->v.height;
    int32_t me = my_index(w->rec, a->id);
    bool revealed = me >= 0 && (w->v.revealed & (1ull << me));
    if (s == SIM_ADV_RUSH && !a->adv.rushed && h >= d->commit_end) {
        if (h + 3 > d->reveal_end) {
            a->adv.rushed = true; /* no honest reveal in time: give up, reveal for real */
        } else if ((w->v.revealed & ~(me >= 0 ? 1ull << me : 0)) != 0) {
            rush(run, a, w);
        }
    }
    if ((s == SIM_ADV_OPEN_MANY || s == SIM_ADV_BOGUS_OPEN) && revealed && !a->adv.opened &&
        h >= d->ack_end && h < d->open_end && a->st->cur.poly.t != 0) {
        open_extra(run, a, w, s == SIM_ADV_BOGUS_OPEN);
        a->adv.opened = true;
    }
    if (s == SIM_ADV_FRONTRUN && !a->adv.confirmed && h >= d->open_end && h < d->confirm_end) {
        frontrun(run, a, w);
        a->adv.confirmed = true;
    }
    if (s == SIM_ADV_CHAOS) {
        chaos(run, a, w);
    }
    if (s == SIM_ADV_LOW_KEY && !a->adv.low_key && h >= d->open_end) {
        sim_tx *tx = sim_tx_new();
        tx->kind = SIM_TX_SET_KEY;
        tx->epoch = w->v.epoch;
        tx->key[0] = (uint8_t)(1 + sim_rng_below(&run->rng_adv, 2) * 223); /* u = 1 or 224 */
        adv_submit(run, a, tx);
        a->adv.low_key = true;
    }
}

/* REFUSE: once it holds a finalized share (it confirmed a winning hash), it stops. */
static void update_refusal(sim_run *run, sim_actor *a) {
    if (a->refusing || a->strategy != SIM_ADV_REFUSE) {
        return;
    }
    for (size_t k = 0; k < TKMS_PROTO_VERSIONS_MAX; k++) {
        if (a->st->versions[k].status == TKMS_PROTO_VERSION_ACTIVE &&
            a->st->versions[k].version >= (a->refuse_from ? a->refuse_from : run->refuse_from)) {
            a->refusing = true;
            sim_log(run, 1, "adversary %u now refuses (holds version %llu)", a->id,
                    (unsigned long long)a->st->versions[k].version);
        }
    }
}

void sim_adv_poll(sim_run *run, sim_actor *a, uint64_t block) {
    (void)block;
    if (a->status != SIM_UP || a->st == NULL || run->chain.height < run->p.confirmations) {
        return;
    }
    uint64_t h = run->chain.height - run->p.confirmations;
    if (h <= a->seen_height && a->seen_any) {
        return;
    }
    sim_view *w = sim_view_at(run, h);
    a->seen_any = true;
    a->seen_height = h;
    a->seen_block_id = run->chain.block_id[h];
    update_refusal(run, a);
    if (w->rec == NULL || my_index(w->rec, a->id) < 0) {
        run_puppet(run, a, w, SIM_ADV_HONEST); /* keeps its keys and versions current */
        return;
    }
    sim_adv s = a->refusing ? SIM_ADV_SILENT : pick_strategy(run, a, w->v.epoch);
    if (s == SIM_ADV_REFUSE) {
        s = SIM_ADV_HONEST;
    }
    deadlines d = deadlines_of(run, w->v.epoch);
    if (s == SIM_ADV_DEGREE || s == SIM_ADV_DEGREE_LEN || s == SIM_ADV_MALFORMED) {
        drive_crafted(run, a, w, &d, s);
    }
    run_puppet(run, a, w, s);
    strategy_extras(run, a, w, &d, s);
}

bool sim_adv_serves(sim_run *run, const sim_actor *a, uint32_t to, uint64_t epoch) {
    if (a->refusing || a->strategy_epoch != epoch) {
        return !a->refusing;
    }
    switch (a->cur_strategy) {
    case SIM_ADV_SILENT:
    case SIM_ADV_WRONG_PUSH:
        return false;
    case SIM_ADV_WITHHOLD:
    case SIM_ADV_BOGUS_OPEN: {
        const sim_erec *r = sim_chain_erec(&run->chain, epoch);
        int32_t j = r != NULL ? my_index(r, to) : -1;
        return j < 0 || !(a->adv.excluded & (1ull << j));
    }
    default:
        return true;
    }
}

void sim_adv_on_message(sim_run *run, sim_actor *a, const sim_msg *m) {
    (void)run;
    (void)a;
    (void)m; /* records it receives are in its store (net.c); the oracle counts them */
}
