/*
 * check.c — the checkers of protocol.md §7 other than the secrecy oracle (oracle.c):
 *
 * - integrity (I2): every share an honest node persists verifies against its version's
 *   combined commitments, whose constant term is the chain's MPK; an active version's
 *   commitments and share are the true ones;
 * - erasure (§5): in persisted state, no polynomial or seal seed once the open deadline is
 *   final, no components once the share is persisted or abandoned, no pending share after
 *   its confirm deadline, no active version outside C, no private key no epoch can pin any
 *   more — and the key pinned for the running epoch still there until it was used;
 * - agreement: every honest confirm equals the reference decision computed from chain
 *   data alone (view.c: D, the combined commitments, the state hash, the MPK); every
 *   activation matches the chain's winning hash; one MPK; write-ahead (an honest node never
 *   sends two different payloads of one kind in one epoch) and no honest transaction
 *   reverts for a reason only a bug can cause;
 * - recoverability: some retained version has >= t(v) shares on live honest operators
 *   (the margin is reported);
 * - liveness: an epoch finalizes when the §1 assumptions held for it, and a bricked source
 *   is walked back within k·|C| epochs.
 * Spec: protocol.md §1, §4–5, I1–I6, §7.
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "prim/prim.h"
#include "sim.h"

static bool zero_bytes(const void *p, size_t n) {
    const uint8_t *b = p;
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= b[i];
    }
    return acc == 0;
}

static bool poly_erased(const tkms_tss_poly *f) {
    for (size_t k = 0; k < TKMS_TSS_THRESHOLD_MAX; k++) {
        if (!tkms_bls_fr_is_zero(&f->a[k])) {
            return false;
        }
    }
    return true;
}

/* The reference decision of an epoch, computed once its cutoff is mined. */
const sim_decision *sim_reference(sim_run *run, uint64_t epoch) {
    size_t k = epoch % SIM_RING;
    uint64_t cutoff = sim_chain_trigger(&run->chain, epoch) + run->p.open;
    const sim_erec *r = sim_chain_erec(&run->chain, epoch);
    if (r == NULL || !r->snap_ok || run->chain.height < cutoff) {
        return NULL;
    }
    if (!run->dec_valid[k] || run->dec_epoch[k] != epoch || run->dec_tip[k] != run->reorgs) {
        sim_decide(&run->dec[k], &run->chain, r, cutoff);
        run->dec_valid[k] = true;
        run->dec_epoch[k] = epoch;
        run->dec_tip[k] = run->reorgs;
    }
    return &run->dec[k];
}

/* ---- persisted state ------------------------------------------------------------------ */

static void check_version(sim_run *run, const sim_actor *a, const tkms_proto_state *s,
                          const tkms_proto_version *v) {
    tkms_tss_secret share = v->share;
    if (!run->group->share_verify(run->group->ctx, &share, &a->x, &v->commitments) ||
        run->group->is_identity(run->group->ctx, v->commitments.c[0])) {
        sim_fail(run,
                 "integrity: actor %u persisted a share of version %llu that fails its "
                 "commitments (I2)",
                 a->id, (unsigned long long)v->version);
        return;
    }
    uint8_t mpk[TKMS_PROTO_COMMITMENT_BYTES];
    if (sim_chain_mpk_at(&run->chain, run->chain.height, mpk) &&
        memcmp(mpk, v->commitments.c[0], sizeof mpk) != 0) {
        sim_fail(run,
                 "integrity: actor %u persisted version %llu whose constant term is not "
                 "the MPK (I2)",
                 a->id, (unsigned long long)v->version);
        return;
    }
    if (s->mpk_bound && memcmp(s->mpk, v->commitments.c[0], sizeof mpk) != 0) {
        sim_fail(run, "integrity: actor %u holds version %llu of another master key", a->id,
                 (unsigned long long)v->version);
        return;
    }
    const sim_decision *d = sim_reference(run, v->version);
    if (v->status == TKMS_PROTO_VERSION_PENDING && d != NULL &&
        (!d->decided || memcmp(d->state_hash, v->state_hash, 32) != 0)) {
        sim_fail(run,
                 "agreement: actor %u persisted a pending version %llu whose state differs "
                 "from the chain-only reference (I1)",
                 a->id, (unsigned long long)v->version);
        return;
    }
    const sim_oracle_epoch *o = sim_oracle_get(run, v->version, false);
    if (v->status != TKMS_PROTO_VERSION_ACTIVE || o == NULL || !o->shares_ok) {
        return;
    }
    for (uint32_t j = 0; j < o->n; j++) {
        if (o->op[j] == a->id && !tkms_bls_fr_equal(&o->share[j], &v->share.v)) {
            sim_fail(run,
                     "integrity: actor %u's active share of version %llu is not its true "
                     "share",
                     a->id, (unsigned long long)v->version);
        }
    }
}

static void check_shares(sim_run *run, const sim_actor *a, const tkms_proto_state *s) {
    for (size_t k = 0; k < TKMS_PROTO_VERSIONS_MAX && !run->res.failed; k++) {
        const tkms_proto_version *v = &s->versions[k];
        if (v->status == TKMS_PROTO_VERSION_EMPTY) {
            if (!zero_bytes(&v->share, sizeof v->share)) {
                sim_fail(run, "erasure: actor %u keeps share bytes in an empty slot", a->id);
            }
            continue;
        }
        check_version(run, a, s, v);
    }
}

static void summarize(sim_actor *w, const tkms_proto_state *s) {
    w->held_count = 0;
    for (size_t k = 0; k < TKMS_PROTO_VERSIONS_MAX; k++) {
        const tkms_proto_version *v = &s->versions[k];
        if (v->status != TKMS_PROTO_VERSION_EMPTY) {
            w->held_version[w->held_count] = v->version;
            w->held_status[w->held_count] = v->status;
            w->held_deadline[w->held_count] = v->confirm_deadline;
            memcpy(w->held_hash[w->held_count], v->state_hash, 32);
            w->held_count++;
        }
    }
    w->sum_cur_epoch = s->cur.epoch;
    w->sum_phase = s->cur.phase;
    w->sum_have_component = s->cur.have_component;
    w->sum_poly = !poly_erased(&s->cur.poly) || !zero_bytes(s->cur.seal_seed, 32);
    w->sum_comps = !zero_bytes(s->cur.component, sizeof s->cur.component);
    w->sum_late_epoch = s->late.epoch;
    w->sum_late_have = s->late.have_component;
    if (s->late.epoch == 0 && !zero_bytes(s->late.component, sizeof s->late.component)) {
        w->sum_late_epoch = UINT64_MAX; /* components without an epoch: never legitimate */
    }
    for (size_t i = 0; i < TKMS_PROTO_KEYS_MAX; i++) {
        memcpy(w->sum_key_pub[i], s->keys[i].pub, 32);
        w->sum_key_priv[i] = !zero_bytes(s->keys[i].priv, 32);
        w->sum_key_for[i] = s->keys[i].published_for;
    }
    w->sum_ok = true;
}

/* Versions: none active outside C (I5); no pending share past its confirm deadline unless
   its epoch finalized with this very hash (then it only awaits activation). */
static void erasure_versions(sim_run *run, const sim_actor *a, uint64_t h) {
    uint64_t retained[64];
    uint32_t count = sim_chain_retained_at(&run->chain, h, retained, 64);
    for (uint32_t k = 0; k < a->held_count && !run->res.failed; k++) {
        uint64_t version = a->held_version[k];
        bool in_c = false;
        for (uint32_t i = 0; i < count && i < 64; i++) {
            in_c |= retained[i] == version;
        }
        const sim_vinfo *vi = sim_chain_vinfo(&run->chain, version);
        bool won = in_c && vi != NULL && memcmp(vi->state_hash, a->held_hash[k], 32) == 0;
        if (a->held_status[k] == TKMS_PROTO_VERSION_ACTIVE && !in_c && count > 0) {
            sim_fail(run,
                     "erasure: actor %u keeps version %llu at height %llu after it left C "
                     "(I5)",
                     a->id, (unsigned long long)version, (unsigned long long)h);
        } else if (a->held_status[k] == TKMS_PROTO_VERSION_PENDING && h > a->held_deadline[k] &&
                   !won) {
            sim_fail(run,
                     "erasure: actor %u keeps a pending share of version %llu at height "
                     "%llu, past its confirm deadline %llu, and that epoch did not finalize "
                     "with its hash (§5)",
                     a->id, (unsigned long long)version, (unsigned long long)h,
                     (unsigned long long)a->held_deadline[k]);
        }
    }
}

/* The polynomial and seal seed once the open deadline is final; the components once the
   share was persisted or abandoned (at the same point). */
/* Late components (proto.h late share) live only while their version may still be computed:
   once the next trigger is final, their epoch must be in C. */
static void erasure_late(sim_run *run, const sim_actor *a, uint64_t h) {
    uint64_t e = a->sum_late_epoch;
    if (e == 0 || (e != UINT64_MAX && h < sim_chain_trigger(&run->chain, e + 1))) {
        return;
    }
    uint64_t retained[64];
    uint32_t count = sim_chain_retained_at(&run->chain, h, retained, 64);
    bool in_c = false;
    for (uint32_t i = 0; i < count && i < 64; i++) {
        in_c |= retained[i] == e;
    }
    if (!in_c) {
        sim_fail(run,
                 "erasure: actor %u keeps late components of epoch %llu at height %llu, "
                 "which is not retained (§5)",
                 a->id, (unsigned long long)e, (unsigned long long)h);
    }
}

static void erasure_cur(sim_run *run, const sim_actor *a, uint64_t h) {
    uint64_t open_end = sim_chain_trigger(&run->chain, a->sum_cur_epoch) + run->p.open;
    if (h < open_end) {
        return;
    }
    if (a->sum_poly) {
        sim_fail(run,
                 "erasure: actor %u keeps its dealing polynomial of epoch %llu at height "
                 "%llu, after the open deadline (§5)",
                 a->id, (unsigned long long)a->sum_cur_epoch, (unsigned long long)h);
    } else if (a->sum_comps) {
        sim_fail(run,
                 "erasure: actor %u keeps decrypted components of epoch %llu at height "
                 "%llu, after its share was persisted or abandoned (§5)",
                 a->id, (unsigned long long)a->sum_cur_epoch, (unsigned long long)h);
    }
}

/* Keys (§4.5): the pinned key must still be there until the epoch's share was persisted or
   abandoned; a key that no epoch can pin any more (neither pinned now nor the latest on
   chain, and published before this epoch) must be gone. */
static void erasure_keys(sim_run *run, const sim_actor *a, uint64_t h) {
    uint64_t e = h / run->p.interval;
    uint64_t b = sim_chain_trigger(&run->chain, e);
    if (!sim_chain_active_at(&run->chain, a->id, b) || a->sum_cur_epoch != e) {
        return;
    }
    const uint8_t *pinned = sim_chain_key_at(&run->chain, a->id, b);
    const uint8_t *latest = sim_chain_key_at(&run->chain, a->id, h);
    bool have_pinned = false;
    for (size_t i = 0; i < TKMS_PROTO_KEYS_MAX; i++) {
        if (zero_bytes(a->sum_key_pub[i], 32)) {
            continue;
        }
        bool is_pinned = memcmp(a->sum_key_pub[i], pinned, 32) == 0;
        bool is_latest = memcmp(a->sum_key_pub[i], latest, 32) == 0;
        have_pinned |= is_pinned && a->sum_key_priv[i];
        if (!is_pinned && !is_latest && a->sum_key_for[i] < e && a->sum_key_priv[i]) {
            sim_fail(run,
                     "erasure: actor %u keeps an X25519 key (for epoch %llu) that no epoch "
                     "can pin any more, at epoch %llu (§4.5)",
                     a->id, (unsigned long long)a->sum_key_for[i], (unsigned long long)e);
            return;
        }
    }
    /* the low-order key the bad-keys fault registers (u = 1) was never the node's: it
       stays pinned while the node is down and cannot supersede it */
    static const uint8_t low_order[32] = {1};
    bool injected = memcmp(pinned, low_order, 32) == 0;
    bool needs = a->sum_phase < TKMS_PROTO_PHASE_ACKED && !sim_actor_low_key(a, e) && !injected;
    if (needs && !have_pinned && !zero_bytes(pinned, 32)) {
        sim_fail(run,
                 "keys: actor %u lost the private X25519 key pinned for epoch %llu before "
                 "using it (§4.5)",
                 a->id, (unsigned long long)e);
    }
}

void sim_check_erasure(sim_run *run, const sim_actor *a, uint64_t h) {
    if (a->malicious || !a->sum_ok || run->res.failed) {
        return;
    }
    erasure_versions(run, a, h);
    if (!run->res.failed) {
        erasure_cur(run, a, h);
    }
    if (!run->res.failed) {
        erasure_late(run, a, h);
    }
    if (!run->res.failed) {
        erasure_keys(run, a, h);
    }
}

void sim_check_persisted(sim_run *run, const sim_actor *a) {
    if (a->malicious) {
        return; /* the adversary's puppet keeps what it likes */
    }
    tkms_proto_state *s = (tkms_proto_state *)run->scratch_state;
    size_t len = tkms_proto_state_encoded_bytes();
    if (tkms_proto_state_decode(s, a->persisted, len) != TKMS_OK) {
        sim_fail(run, "actor %u: persisted state does not decode", a->id);
        return;
    }
    uint8_t *again = run->scratch_state + sizeof(tkms_proto_state);
    tkms_proto_state_encode(again, s);
    if (memcmp(again, a->persisted, len) != 0) {
        sim_fail(run, "actor %u: encode(decode(persisted)) differs (R13)", a->id);
        return;
    }
    summarize((sim_actor *)a, s);
    check_shares(run, a, s);
    sim_check_erasure(run, a, s->last_height);
}

/* ---- transactions --------------------------------------------------------------------- */

static void tx_digest(uint8_t out[32], const sim_tx *tx) {
    tkms_prim_buf parts[5] = {
        {tx->hash, 32},
        {(const uint8_t *)&tx->bitmap, 8},
        {tx->mpk, sizeof tx->mpk},
        {tx->key, 32},
        {&tx->commitments[0][0], (size_t)tx->t * TKMS_PROTO_COMMITMENT_BYTES},
    };
    tkms_prim_sha256_parts(out, parts, 5);
}

static void check_confirm(sim_run *run, const sim_actor *a, const sim_tx *tx) {
    const sim_decision *d = sim_reference(run, tx->epoch);
    if (d == NULL) {
        sim_fail(run, "agreement: actor %u confirmed epoch %llu before its cutoff was mined", a->id,
                 (unsigned long long)tx->epoch);
        return;
    }
    if (!d->decided) {
        sim_fail(run, "agreement: actor %u confirmed epoch %llu although |D| is below the bound",
                 a->id, (unsigned long long)tx->epoch);
    } else if (tx->bitmap != d->dealers) {
        sim_fail(run,
                 "agreement: actor %u confirmed D=%016llx in epoch %llu, chain data gives "
                 "D=%016llx (I1)",
                 a->id, (unsigned long long)tx->bitmap, (unsigned long long)tx->epoch,
                 (unsigned long long)d->dealers);
    } else if (memcmp(tx->hash, d->state_hash, 32) != 0 ||
               memcmp(tx->mpk, d->combined.c[0], sizeof tx->mpk) != 0) {
        sim_fail(run,
                 "agreement: actor %u's state hash or MPK in epoch %llu differs from the "
                 "reference",
                 a->id, (unsigned long long)tx->epoch);
    }
}

void sim_check_tx(sim_run *run, sim_actor *a, const sim_tx *tx) {
    if (a->malicious) {
        return;
    }
    if (a->eq_epoch != tx->epoch) {
        memset(a->eq_have, 0, sizeof a->eq_have);
        a->eq_epoch = tx->epoch;
    }
    uint8_t digest[32];
    tx_digest(digest, tx);
    if (tx->kind != SIM_TX_OPEN) {
        if (a->eq_have[tx->kind] && memcmp(a->eq_digest[tx->kind], digest, 32) != 0) {
            sim_fail(run,
                     "write-ahead: actor %u sent two different %s transactions in epoch "
                     "%llu (I4)",
                     a->id, sim_tx_kind_name(tx->kind), (unsigned long long)tx->epoch);
            return;
        }
        a->eq_have[tx->kind] = true;
        memcpy(a->eq_digest[tx->kind], digest, 32);
    }
    if (tx->kind == SIM_TX_CONFIRM) {
        check_confirm(run, a, tx);
    }
}

/* Reverts only a bug can cause, for an honest sender. */
static bool bug_revert(sim_revert r) {
    switch (r) {
    case SIM_R_RECORD_HASH_MISMATCH:
    case SIM_R_COMMITMENTS_LENGTH:
    case SIM_R_ACK_BITMAP_INVALID:
    case SIM_R_OPENING_NOT_NEEDED:
    case SIM_R_OPENING_CAP_EXCEEDED:
    case SIM_R_SHARE_NOT_CANONICAL:
    case SIM_R_UNKNOWN_PLAYER:
    case SIM_R_TOO_FEW_DEALERS:
    case SIM_R_MPK_IDENTITY:
    case SIM_R_MPK_NOT_COMPRESSED:
    case SIM_R_MPK_MISMATCH:
    case SIM_R_DEALER_SET_INVALID:
    case SIM_R_DEALER_SET_TOO_SMALL:
    case SIM_R_NOT_REVEALED:
    case SIM_R_EPOCH_BEFORE_GENESIS:
    case SIM_R_EPOCH_BELOW_MIN_OPERATORS:
        return true;
    default:
        return false;
    }
}

void sim_check_results(sim_run *run) {
    const sim_chain *c = &run->chain;
    for (size_t i = 0; i < c->result_count && !run->res.failed; i++) {
        const sim_tx_result *r = &c->results[i];
        const sim_tx *tx = r->tx;
        if (tx->from == SIM_OWNER || tx->kind >= SIM_TX_REGISTER) {
            run->res.owner_reverts[r->revert]++;
            if (r->revert == SIM_R_OK &&
                (tx->kind == SIM_TX_DEREGISTER || tx->kind == SIM_TX_EJECT)) {
                run->last_removal = r->block;
                run->removed_at[tx->kind == SIM_TX_EJECT ? tx->target : tx->from] = r->block;
            }
            sim_log(run, 1, "registry %s (actor %u) %s", sim_tx_kind_name(tx->kind),
                    tx->kind == SIM_TX_REGISTER || tx->kind == SIM_TX_DEREGISTER ? tx->from
                                                                                 : tx->target,
                    r->revert == SIM_R_OK ? "ok" : sim_revert_name(r->revert));
            continue;
        }
        if (tx->from >= run->actor_count || run->actors[tx->from].malicious) {
            run->res.adv_reverts[r->revert]++;
            continue;
        }
        if (r->revert == SIM_R_PHASE_ENDED && tx->kind == SIM_TX_ACK) {
            size_t k = tx->epoch % SIM_RING;
            if (run->late_acks_epoch[k] != tx->epoch) {
                run->late_acks_epoch[k] = tx->epoch;
                run->late_acks[k] = 0;
            }
            run->late_acks[k]++;
        }
        if (r->revert != SIM_R_OK) {
            run->res.honest_reverts[r->revert]++;
            sim_log(run, 2, "honest %s of actor %u in epoch %llu reverts: %s",
                    sim_tx_kind_name(tx->kind), tx->from, (unsigned long long)tx->epoch,
                    sim_revert_name(r->revert));
        }
        if (bug_revert(r->revert) && !sim_actor_low_key(&run->actors[tx->from], 0)) {
            sim_fail(run, "honest %s of actor %u in epoch %llu reverted with %s",
                     sim_tx_kind_name(tx->kind), tx->from, (unsigned long long)tx->epoch,
                     sim_revert_name(r->revert));
        }
    }
}

void sim_check_activate(sim_run *run, const sim_actor *a, uint64_t version) {
    if (a->malicious) {
        return;
    }
    const tkms_proto_version *v = tkms_proto_version_get(a->st, version);
    const sim_vinfo *vi = sim_chain_vinfo(&run->chain, version);
    if (v == NULL || vi == NULL || vi->combined == NULL) {
        sim_fail(run, "agreement: actor %u activated version %llu that is not finalized", a->id,
                 (unsigned long long)version);
        return;
    }
    if (memcmp(v->state_hash, vi->state_hash, 32) != 0 || v->commitments.t != vi->combined->t ||
        memcmp(v->commitments.c, vi->combined->c,
               (size_t)v->commitments.t * TKMS_PROTO_COMMITMENT_BYTES) != 0) {
        sim_fail(run,
                 "agreement: actor %u activated version %llu with a state other than the "
                 "winning one",
                 a->id, (unsigned long long)version);
    }
}
