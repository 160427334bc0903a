/*
 * oracle.c — the simulator's knowledge of every secret, and the secrecy oracle
 * (protocol.md §7).
 *
 * The sim records every dealing polynomial f_{e,i} (honest ones when the dealer submits its
 * commit, adversarial ones when the adversary builds them) and, at each finalization, the
 * true share of every player of the new version and its secret F_v(0), which must be the
 * master secret S every time (I3) and match the chain's MPK.
 *
 * It accumulates the adversary's points: on every dealing polynomial, the evaluations at
 * malicious players (they decrypt their sealed entries), every opening on chain, the whole
 * polynomial of a malicious dealer, and f_i(0) = s_i(V) whenever the adversary knows dealer
 * i's share of the source version; on every version, the shares of players all of whose
 * components over D it knows. This is closed to a fixpoint. The run fails when an honest
 * dealer's polynomial or a version reaches its threshold, and then also shows that the
 * interpolated value names S. It does not model linear relations beyond these points (a
 * sound approximation for the attacks of §7, not an information-theoretic proof).
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "sim.h"

#define ORACLE_SLOTS (SIM_RING * 2)

sim_oracle_epoch *sim_oracle_get(sim_run *run, uint64_t epoch, bool create) {
    sim_oracle_epoch *o = &run->oracle[epoch % ORACLE_SLOTS];
    if (o->used && o->epoch == epoch) {
        return o;
    }
    if (!create) {
        return NULL;
    }
    const sim_erec *snap = sim_chain_snapshot(&run->chain, epoch);
    if (snap == NULL) {
        return NULL;
    }
    memset(o, 0, sizeof *o);
    o->used = true;
    o->epoch = epoch;
    o->n = snap->n;
    o->t = snap->t;
    o->source = snap->source;
    memcpy(o->op, snap->op, sizeof o->op);
    for (uint32_t j = 0; j < snap->n; j++) {
        if (run->actors[snap->op[j]].malicious) {
            o->malicious |= 1ull << j;
        }
    }
    return o;
}

static int32_t index_of(const sim_oracle_epoch *o, uint32_t actor) {
    for (uint32_t i = 0; i < o->n; i++) {
        if (o->op[i] == actor) {
            return (int32_t)i;
        }
    }
    return -1;
}

static bool poly_equal(const tkms_tss_poly *a, const tkms_tss_poly *b) {
    if (a->t != b->t) {
        return false;
    }
    for (uint32_t k = 0; k < a->t; k++) {
        if (!tkms_bls_fr_equal(&a->a[k], &b->a[k])) {
            return false;
        }
    }
    return true;
}

/* The sim learns dealer `actor`'s polynomial for `epoch` (honest: at its commit). */
void sim_oracle_capture(sim_run *run, uint32_t actor, uint64_t epoch, const tkms_tss_poly *f) {
    sim_oracle_epoch *o = sim_oracle_get(run, epoch, true);
    if (o == NULL) {
        sim_fail(run, "actor %u dealt in inactive epoch %llu", actor, (unsigned long long)epoch);
        return;
    }
    int32_t i = index_of(o, actor);
    if (i < 0 || f->t == 0) {
        sim_fail(run, "actor %u committed in epoch %llu without being a dealer of O", actor,
                 (unsigned long long)epoch);
        return;
    }
    if ((o->have_poly & (1ull << i)) && !poly_equal(&o->poly[i], f) &&
        !run->actors[actor].malicious) {
        sim_fail(run, "actor %u re-dealt a different polynomial in epoch %llu (I4)", actor,
                 (unsigned long long)epoch);
        return;
    }
    o->poly[i] = *f;
    o->have_poly |= 1ull << i;
}

/* True shares and the secret of a finalized version; checks F_v(0) == S and the MPK. */
static void compute_truth(sim_run *run, sim_oracle_epoch *o, uint64_t dealers) {
    tkms_bls_fr xs[SIM_OPS_MAX], lambdas[SIM_OPS_MAX];
    uint32_t idx[SIM_OPS_MAX], m = 0;
    for (uint32_t i = 0; i < o->n; i++) {
        if (dealers & (1ull << i)) {
            if (!(o->have_poly & (1ull << i))) {
                sim_fail(run, "epoch %llu finalized with dealer %u whose polynomial is unknown",
                         (unsigned long long)o->epoch, o->op[i]);
                return;
            }
            xs[m] = run->actors[o->op[i]].x;
            idx[m++] = i;
        }
    }
    bool dkg = o->source == TKMS_PROTO_DKG_SOURCE;
    if (!dkg) {
        TKMS_ASSERT(tkms_tss_lagrange_at_zero_vartime(lambdas, xs, m) == TKMS_OK);
    }
    memset(&o->secret, 0, sizeof o->secret);
    for (uint32_t k = 0; k < m; k++) {
        tkms_bls_fr term = o->poly[idx[k]].a[0];
        if (!dkg) {
            tkms_bls_fr_mul(&term, &term, &lambdas[k]);
        }
        tkms_bls_fr_add(&o->secret, &o->secret, &term);
    }
    for (uint32_t j = 0; j < o->n; j++) {
        memset(&o->share[j], 0, sizeof o->share[j]);
        for (uint32_t k = 0; k < m; k++) {
            tkms_bls_fr y;
            sim_poly_eval(&y, &o->poly[idx[k]], &run->actors[o->op[j]].x);
            if (!dkg) {
                tkms_bls_fr_mul(&y, &y, &lambdas[k]);
            }
            tkms_bls_fr_add(&o->share[j], &o->share[j], &y);
        }
    }
    o->shares_ok = true;
}

static void check_master(sim_run *run, sim_oracle_epoch *o) {
    if (!run->has_master) {
        run->master_secret = o->secret;
        run->has_master = true;
    } else if (!tkms_bls_fr_equal(&run->master_secret, &o->secret)) {
        sim_fail(run, "version %llu has a different master secret (I3)",
                 (unsigned long long)o->epoch);
        return;
    }
    tkms_tss_poly constant;
    tkms_proto_commitments c;
    memset(&constant, 0, sizeof constant);
    constant.t = 1;
    constant.a[0] = o->secret;
    run->group->commit(run->group->ctx, &c, &constant);
    uint8_t mpk[TKMS_PROTO_COMMITMENT_BYTES];
    if (!sim_chain_mpk_at(&run->chain, run->chain.height, mpk) ||
        memcmp(mpk, c.c[0], sizeof mpk) != 0) {
        sim_fail(run, "the chain's MPK is not S·g after version %llu",
                 (unsigned long long)o->epoch);
    }
}

/* Called once when the chain finalizes `epoch`. */
void sim_oracle_on_final(sim_run *run, uint64_t epoch) {
    sim_oracle_epoch *o = sim_oracle_get(run, epoch, false);
    const sim_erec *r = sim_chain_erec(&run->chain, epoch);
    TKMS_ASSERT(r != NULL && r->final_blk != 0);
    if (o == NULL || o->finalized) {
        return;
    }
    o->finalized = true;
    o->dealers = r->win_d;
    compute_truth(run, o, r->win_d);
    if (!run->res.failed) {
        check_master(run, o);
    }
}

/* Shows that `count` known shares of version o interpolate to S (the adversary names S). */
static bool names_secret(sim_run *run, const sim_oracle_epoch *o) {
    tkms_bls_fr xs[SIM_OPS_MAX], lambdas[SIM_OPS_MAX], s;
    uint32_t m = 0, idx[SIM_OPS_MAX];
    for (uint32_t j = 0; j < o->n && m < o->t; j++) {
        if (o->known_share & (1ull << j)) {
            xs[m] = run->actors[o->op[j]].x;
            idx[m++] = j;
        }
    }
    if (tkms_tss_lagrange_at_zero_vartime(lambdas, xs, m) != TKMS_OK) {
        return false;
    }
    memset(&s, 0, sizeof s);
    for (uint32_t k = 0; k < m; k++) {
        tkms_bls_fr y;
        tkms_bls_fr_mul(&y, &o->share[idx[k]], &lambdas[k]);
        tkms_bls_fr_add(&s, &s, &y);
    }
    return tkms_bls_fr_equal(&s, &o->secret);
}

/* Adversary's knowledge of actor a's share of version v (false if v is not tracked). */
static bool knows_share(sim_run *run, uint64_t v, uint32_t actor) {
    const sim_oracle_epoch *o = sim_oracle_get(run, v, false);
    if (o == NULL || !o->finalized) {
        return false;
    }
    int32_t j = index_of(o, actor);
    return j >= 0 && (o->known_share & (1ull << j)) != 0;
}

/* One pass of the closure over epoch o; returns true if anything was learned. */
static bool close_epoch(sim_run *run, sim_oracle_epoch *o) {
    bool changed = false;
    for (uint32_t i = 0; i < o->n; i++) {
        uint64_t bit = 1ull << i;
        if (!(o->known_zero & bit) && o->source != TKMS_PROTO_DKG_SOURCE &&
            knows_share(run, o->source, o->op[i])) {
            o->known_zero |= bit;
            changed = true;
        }
        uint32_t points = sim_popcount(o->known_eval[i]) + ((o->known_zero & bit) ? 1u : 0u);
        if (!(o->known_poly & bit) && points >= o->t) {
            o->known_poly |= bit;
            changed = true;
        }
    }
    if (o->finalized) {
        uint64_t known = 0;
        for (uint32_t j = 0; j < o->n; j++) {
            bool all = true;
            for (uint32_t i = 0; i < o->n && all; i++) {
                if (o->dealers & (1ull << i)) {
                    all = (o->known_poly & (1ull << i)) || (o->known_eval[i] & (1ull << j));
                }
            }
            known |= all ? 1ull << j : 0;
        }
        changed |= known != o->known_share;
        o->known_share |= known;
    }
    return changed;
}

static void judge(sim_run *run, sim_oracle_epoch *o) {
    for (uint32_t i = 0; i < o->n; i++) {
        uint64_t bit = 1ull << i;
        if (o->malicious & bit) {
            continue;
        }
        uint32_t points = sim_popcount(o->known_eval[i]) + ((o->known_zero & bit) ? 1u : 0u);
        /* the statistic covers the polynomials that must stay hidden (see below) */
        bool hidden = !(o->known_zero & bit);
        if (hidden && (points * run->res.max_adv_threshold > run->res.max_adv_points * o->t ||
                       run->res.max_adv_threshold == 0)) {
            run->res.max_adv_points = points;
            run->res.max_adv_threshold = o->t;
        }
        /* A dealer whose constant term the adversary already knew (its source share is in
           P(V)) reveals no secret of V when its polynomial is exposed: only components,
           which the closure turns into version shares, judged below (protocol.md §4 as
           amended in docs/decisions.md). Every other honest polynomial must stay hidden. */
        if ((o->known_poly & bit) && !(o->known_zero & bit)) {
            sim_log(run, 1,
                    "oracle: epoch %llu source %lld dealer %u: evals %016llx (malicious "
                    "%016llx), constant known %d",
                    (unsigned long long)o->epoch, (long long)o->source, i,
                    (unsigned long long)o->known_eval[i], (unsigned long long)o->malicious,
                    (int)((o->known_zero >> i) & 1));
            sim_fail(run,
                     "secrecy: the adversary holds %u points of honest dealer %u's "
                     "polynomial in epoch %llu (threshold %u)",
                     points, o->op[i], (unsigned long long)o->epoch, o->t);
            return;
        }
    }
    if (o->finalized && sim_popcount(o->known_share) >= o->t) {
        sim_fail(run, "secrecy: the adversary knows %u shares of version %llu (t = %u)%s",
                 sim_popcount(o->known_share), (unsigned long long)o->epoch, o->t,
                 names_secret(run, o) ? " and names S" : "");
    }
}

/* Adds what the chain and the corrupted players reveal, closes, and judges. */
void sim_oracle_update(sim_run *run, uint64_t block) {
    (void)block;
    for (size_t k = 0; k < ORACLE_SLOTS; k++) {
        sim_oracle_epoch *o = &run->oracle[k];
        const sim_erec *r = o->used ? sim_chain_erec(&run->chain, o->epoch) : NULL;
        if (!o->used) {
            continue;
        }
        o->known_poly |= o->malicious; /* components it dealt */
        for (uint32_t i = 0; i < o->n; i++) {
            o->known_eval[i] |= o->malicious; /* anything it can decrypt: its own entries */
            for (uint32_t j = 0; r != NULL && j < o->n; j++) {
                if (r->open_blk[i][j] != 0) {
                    o->known_eval[i] |= 1ull << j; /* openings are public */
                }
            }
        }
    }
    for (int pass = 0; pass < 8; pass++) {
        bool changed = false;
        for (size_t k = 0; k < ORACLE_SLOTS; k++) {
            if (run->oracle[k].used) {
                changed |= close_epoch(run, &run->oracle[k]);
            }
        }
        if (!changed) {
            break;
        }
    }
    for (size_t k = 0; k < ORACLE_SLOTS && !run->res.failed; k++) {
        if (run->oracle[k].used) {
            judge(run, &run->oracle[k]);
        }
    }
}
