/*
 * chain.c — the simulator's chain: KmsRegistry + EpochLog as a model that accepts and
 * reverts exactly what contracts/KmsRegistry.sol and contracts/EpochLog.sol do
 * (docs/contracts.md §3–5: windows, who may call what, the opening cap, the tally per
 * sha256(mpk ‖ stateHash ‖ be256(D)), finalization at t', the stored MPK, the retained set
 * C with the §4.6 source fallback, snapshots as of the trigger block), with the errors
 * checked in the contracts' order (window, activity, membership, then the call's own).
 *
 * Every fact carries the block that wrote it: pinned reads filter by block, and a reorg
 * truncates (its transactions go back to the mempool and are included again, maybe
 * differently). Blocks are mined one by one; ready transactions are applied in a seeded
 * order. What it does not model: gas, URLs, ownership transfer, protocol versions,
 * update() (not consensus data for the protocol). Spec: protocol.md §3–4.6, §7.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "prim/prim.h"
#include "sim.h"

static const char *const REVERT_NAMES[] = {
#define SIM_REVERT_NAME(name) #name,
    SIM_REVERTS(SIM_REVERT_NAME)
#undef SIM_REVERT_NAME
};

const char *sim_revert_name(sim_revert r) {
    TKMS_ASSERT(r < SIM_R_COUNT);
    return REVERT_NAMES[r];
}

const char *sim_tx_kind_name(sim_tx_kind k) {
    static const char *const names[] = {"?",          "commit",  "reveal",  "ack",
                                        "open",       "confirm", "set_key", "register",
                                        "deregister", "allow",   "eject",   "genesis"};
    TKMS_ASSERT(k < SIM_TX_KINDS);
    return names[k];
}

/* ---- checkpoint histories (Checkpoints.sol: a push in the same block overwrites) -------- */

static void bits_push(sim_bits_hist *h, uint64_t block, bool on) {
    if (h->count > 0 && h->v[h->count - 1].block == block) {
        h->v[h->count - 1].on = on;
        return;
    }
    TKMS_ASSERT(h->count == 0 || h->v[h->count - 1].block < block);
    if (h->count == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        TKMS_ASSERT(h->v != NULL);
    }
    h->v[h->count].block = block;
    h->v[h->count].on = on;
    h->count++;
}

static bool bits_at(const sim_bits_hist *h, uint64_t block) {
    for (size_t i = h->count; i > 0; i--) {
        if (h->v[i - 1].block <= block) {
            return h->v[i - 1].on != 0;
        }
    }
    return false;
}

static bool bits_latest(const sim_bits_hist *h) {
    return h->count > 0 && h->v[h->count - 1].on != 0;
}

static void keys_push(sim_keys_hist *h, uint64_t block, const uint8_t key[32]) {
    if (h->count > 0 && h->v[h->count - 1].block == block) {
        memcpy(h->v[h->count - 1].key, key, 32);
        return;
    }
    TKMS_ASSERT(h->count == 0 || h->v[h->count - 1].block < block);
    if (h->count == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 8;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
        TKMS_ASSERT(h->v != NULL);
    }
    h->v[h->count].block = block;
    memcpy(h->v[h->count].key, key, 32);
    h->count++;
}

static const uint8_t ZERO32[32];

static const uint8_t *keys_at(const sim_keys_hist *h, uint64_t block) {
    for (size_t i = h->count; i > 0; i--) {
        if (h->v[i - 1].block <= block) {
            return h->v[i - 1].key;
        }
    }
    return ZERO32;
}

static const uint8_t *keys_latest(const sim_keys_hist *h) {
    return h->count > 0 ? h->v[h->count - 1].key : ZERO32;
}

/* Drops entries written after `block` (reorg), and compacts entries older than `keep_from`
   down to the one in force at keep_from (histories stay small in long runs). */
static void bits_truncate(sim_bits_hist *h, uint64_t block) {
    while (h->count > 0 && h->v[h->count - 1].block > block) {
        h->count--;
    }
}

static void keys_truncate(sim_keys_hist *h, uint64_t block) {
    while (h->count > 0 && h->v[h->count - 1].block > block) {
        h->count--;
    }
}

static void keys_compact(sim_keys_hist *h, uint64_t keep_from) {
    size_t first = 0;
    while (first + 1 < h->count && h->v[first + 1].block <= keep_from) {
        first++;
    }
    if (first > 0) {
        memmove(h->v, h->v + first, (h->count - first) * sizeof *h->v);
        h->count -= first;
    }
}

static void bits_compact(sim_bits_hist *h, uint64_t keep_from) {
    size_t first = 0;
    while (first + 1 < h->count && h->v[first + 1].block <= keep_from) {
        first++;
    }
    if (first > 0) {
        memmove(h->v, h->v + first, (h->count - first) * sizeof *h->v);
        h->count -= first;
    }
}

/* ---- setup ------------------------------------------------------------------------- */

static int cmp_addr_ctx_less(const uint8_t *a, const uint8_t *b) {
    return memcmp(a, b, 20);
}

void sim_chain_init(sim_chain *c, const sim_params *p, const tkms_proto_group *group,
                    uint32_t actors, const uint8_t (*addr)[20], const tkms_bls_fr *x,
                    sim_rng *rng) {
    memset(c, 0, sizeof *c);
    TKMS_ASSERT(actors <= SIM_ACTORS_MAX);
    c->p = *p;
    c->chain_id = 31337;
    /* EpochLog as anvil deploys it (dev account 0, nonce 1): tests/sim/chain_diff.mjs replays
       the model's transactions against the real contracts and needs the same record hashes */
    memcpy(c->epoch_log,
           "\xe7\xf1\x72\x5e\x77\x34\xce\x28\x8f\x83\x67\xe1\xbb\x14\x3e\x90"
           "\xbb\x3f\x05\x12",
           20);
    c->group = group;
    c->addr = addr;
    c->x = x;
    c->actors = actors;
    c->rng = rng;
    c->ring = calloc(SIM_RING, sizeof *c->ring);
    TKMS_ASSERT(c->ring != NULL);
    c->block_id_cap = 1024;
    c->block_id = calloc(c->block_id_cap, sizeof *c->block_id);
    TKMS_ASSERT(c->block_id != NULL);
    c->next_block_id = 1;
    c->block_id[0] = c->next_block_id++;
    /* insertion sort of actor ids by address (at most SIM_ACTORS_MAX) */
    for (uint32_t i = 0; i < actors; i++) {
        uint32_t j = i;
        while (j > 0 && cmp_addr_ctx_less(addr[c->by_addr[j - 1]], addr[i]) > 0) {
            c->by_addr[j] = c->by_addr[j - 1];
            j--;
        }
        c->by_addr[j] = i;
    }
}

/* Actors may be added during a run (joins): the by-address order is rebuilt. */
void sim_chain_set_actors(sim_chain *c, uint32_t actors) {
    TKMS_ASSERT(actors >= c->actors && actors <= SIM_ACTORS_MAX);
    for (uint32_t i = c->actors; i < actors; i++) {
        uint32_t j = i;
        while (j > 0 && cmp_addr_ctx_less(c->addr[c->by_addr[j - 1]], c->addr[i]) > 0) {
            c->by_addr[j] = c->by_addr[j - 1];
            j--;
        }
        c->by_addr[j] = i;
    }
    c->actors = actors;
}

void sim_chain_free(sim_chain *c) {
    for (uint32_t i = 0; i < SIM_ACTORS_MAX; i++) {
        free(c->reg[i].allowed.v);
        free(c->reg[i].active.v);
        free(c->reg[i].xkey.v);
        free(c->reg[i].edkey.v);
    }
    for (size_t i = 0; i < c->mempool_count; i++) {
        free(c->mempool[i]);
    }
    free(c->mempool);
    for (size_t b = 0; b < SIM_REORG_MAX; b++) {
        for (size_t i = 0; i < c->included_count[b]; i++) {
            free(c->included[b][i]);
        }
        free(c->included[b]);
    }
    free(c->results);
    free(c->ring);
    for (size_t i = 0; i < c->fin_count; i++) {
        free(c->vinfo[i].combined);
    }
    free(c->fin);
    free(c->vinfo);
    free(c->block_id);
    memset(c, 0, sizeof *c);
}

sim_tx *sim_tx_new(void) {
    sim_tx *tx = calloc(1, sizeof *tx);
    TKMS_ASSERT(tx != NULL);
    return tx;
}

uint64_t sim_chain_trigger(const sim_chain *c, uint64_t epoch) {
    return epoch * c->p.interval;
}

/* ---- registry reads ---------------------------------------------------------------- */

bool sim_chain_active_at(const sim_chain *c, uint32_t actor, uint64_t block) {
    return bits_at(&c->reg[actor].active, block);
}

const uint8_t *sim_chain_key_at(const sim_chain *c, uint32_t actor, uint64_t block) {
    return keys_at(&c->reg[actor].xkey, block);
}

static const uint8_t *ed_key_at(const sim_chain *c, uint32_t actor, uint64_t block) {
    return keys_at(&c->reg[actor].edkey, block);
}

/* operatorsAt(b): the set as of the end of block b, sorted by address. */
uint32_t sim_chain_operators_at(const sim_chain *c, uint64_t block, uint32_t *out) {
    uint32_t n = 0;
    for (uint32_t k = 0; k < c->actors; k++) {
        uint32_t a = c->by_addr[k];
        if (bits_at(&c->reg[a].active, block)) {
            TKMS_ASSERT(n < SIM_OPS_MAX); /* the registry refuses a 65th member */
            out[n++] = a;
        }
    }
    return n;
}

uint32_t sim_chain_active_count(const sim_chain *c) {
    uint32_t n = 0;
    for (uint32_t a = 0; a < c->actors; a++) {
        n += bits_latest(&c->reg[a].active) ? 1u : 0u;
    }
    return n;
}

bool sim_chain_is_allowed(const sim_chain *c, uint32_t actor) {
    return bits_latest(&c->reg[actor].allowed);
}

bool sim_chain_is_registered(const sim_chain *c, uint32_t actor) {
    return bits_latest(&c->reg[actor].active);
}

/* frozenUntil() != 0 in `block`: after genesis, block % interval > openOffset. */
bool sim_chain_frozen(const sim_chain *c, uint64_t block) {
    return c->genesis_block != 0 && block % c->p.interval > c->p.open;
}

/* ---- finalization history ---------------------------------------------------------- */

static size_t fin_index_of(const sim_chain *c, uint64_t version, bool *found) {
    size_t lo = 0, hi = c->fin_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->fin[mid].version < version) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *found = lo < c->fin_count && c->fin[lo].version == version;
    return lo;
}

const sim_vinfo *sim_chain_vinfo(const sim_chain *c, uint64_t version) {
    bool found;
    size_t i = fin_index_of(c, version, &found);
    return found ? &c->vinfo[i] : NULL;
}

/* _sourceFor: DKG while nothing < epoch finalized, else C[(f_e / k) mod |C|]. */
static void source_for(const sim_chain *c, uint64_t epoch, uint16_t t, uint64_t *source,
                       uint16_t *source_t) {
    bool found;
    size_t count = fin_index_of(c, epoch, &found); /* versions < epoch */
    if (count == 0) {
        *source = TKMS_PROTO_DKG_SOURCE;
        *source_t = t;
        return;
    }
    const sim_fin *last = &c->fin[count - 1];
    uint64_t size = count - last->retained_start;
    uint64_t failed = epoch - 1 - last->version;
    uint64_t idx = (failed / c->p.patience) % size;
    *source = c->fin[count - 1 - idx].version;
    *source_t = c->vinfo[count - 1 - idx].t;
}

/* The retained set C as of height h, newest first. */
uint32_t sim_chain_retained_at(const sim_chain *c, uint64_t h, uint64_t *out, uint32_t max) {
    size_t len = c->fin_count;
    while (len > 0 && c->fin[len - 1].block > h) {
        len--;
    }
    if (len == 0) {
        return 0;
    }
    uint64_t start = c->fin[len - 1].retained_start;
    uint32_t n = 0;
    for (size_t i = len; i > start; i--) {
        if (n < max) {
            out[n] = c->fin[i - 1].version;
        }
        n++;
    }
    return n;
}

uint64_t sim_chain_finalized_at(const sim_chain *c, uint64_t h) {
    size_t len = c->fin_count;
    while (len > 0 && c->fin[len - 1].block > h) {
        len--;
    }
    return len == 0 ? 0 : c->fin[len - 1].version;
}

bool sim_chain_mpk_at(const sim_chain *c, uint64_t h, uint8_t out[TKMS_PROTO_COMMITMENT_BYTES]) {
    if (!c->has_mpk || c->mpk_blk > h) {
        return false;
    }
    memcpy(out, c->mpk, TKMS_PROTO_COMMITMENT_BYTES);
    return true;
}

/* ---- epochs: snapshot and storage ---------------------------------------------------- */

sim_erec *sim_chain_erec(sim_chain *c, uint64_t epoch) {
    sim_erec *r = &c->ring[epoch % SIM_RING];
    if (r->used && r->epoch == epoch) {
        return r;
    }
    return NULL;
}

static sim_erec *erec_create(sim_chain *c, uint64_t epoch) {
    sim_erec *r = &c->ring[epoch % SIM_RING];
    if (r->used && r->epoch == epoch) {
        return r;
    }
    TKMS_ASSERT(!r->used || r->epoch < epoch); /* the ring only moves forward */
    memset(r, 0, sizeof *r);
    r->used = true;
    r->epoch = epoch;
    return r;
}

/* _computeSnapshot as of B (from append-only histories: the same in every block >= B). */
static void compute_snapshot(sim_chain *c, sim_erec *r) {
    uint64_t b = sim_chain_trigger(c, r->epoch);
    r->snap_ok = false;
    if (c->genesis_block == 0 || c->genesis_block > b) {
        r->snap_err = SIM_R_EPOCH_BEFORE_GENESIS;
        return;
    }
    r->n = sim_chain_operators_at(c, b, r->op);
    if (r->n < c->p.min_operators) {
        r->snap_err = SIM_R_EPOCH_BELOW_MIN_OPERATORS;
        return;
    }
    uint32_t t = (2 * r->n + 2) / 3, f = (r->n - 1) / 3;
    r->t = (uint16_t)t;
    r->r = (uint16_t)(t - 1 - f);
    source_for(c, r->epoch, r->t, &r->source, &r->source_t);
    r->snap_err = SIM_R_OK;
    r->snap_ok = true;
}

/* The snapshot of an epoch whose trigger is mined, or NULL when it is inactive. */
const sim_erec *sim_chain_snapshot(sim_chain *c, uint64_t epoch) {
    if (sim_chain_trigger(c, epoch) > c->height) {
        return NULL;
    }
    sim_erec *r = erec_create(c, epoch);
    if (!r->snap_ok) {
        compute_snapshot(c, r);
    }
    return r->snap_ok ? r : NULL;
}

static int32_t index_in(const sim_erec *r, uint32_t actor) {
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->op[i] == actor) {
            return (int32_t)i;
        }
    }
    return -1;
}

static int32_t index_of_addr(const sim_chain *c, const sim_erec *r, const uint8_t addr[20]) {
    for (uint32_t i = 0; i < r->n; i++) {
        if (memcmp(c->addr[r->op[i]], addr, 20) == 0) {
            return (int32_t)i;
        }
    }
    return -1;
}

/* _enter: window, lazy snapshot (activity), membership. */
static sim_revert enter(sim_chain *c, const sim_tx *tx, uint64_t block, uint8_t phase,
                        sim_erec **out, uint32_t *index) {
    const sim_params *p = &c->p;
    if (tx->epoch > (UINT64_MAX - p->interval) / p->interval) {
        return SIM_R_EPOCH_OUT_OF_RANGE;
    }
    uint64_t b = sim_chain_trigger(c, tx->epoch);
    uint64_t starts[6] = {0, 0, p->commit, p->reveal, p->ack, p->open};
    uint64_t ends[6] = {0, p->commit, p->reveal, p->ack, p->open, p->confirm};
    uint64_t first = b + starts[phase] + 1, last = b + ends[phase];
    if (block < first) {
        return SIM_R_PHASE_NOT_STARTED;
    }
    if (block > last) {
        return SIM_R_PHASE_ENDED;
    }
    sim_erec *r = erec_create(c, tx->epoch);
    if (!r->snap_ok) {
        compute_snapshot(c, r);
    }
    if (!r->snap_ok) {
        return r->snap_err;
    }
    int32_t i = tx->from == SIM_OWNER ? -1 : index_in(r, tx->from);
    if (i < 0) {
        return SIM_R_NOT_OPERATOR;
    }
    *out = r;
    *index = (uint32_t)i;
    return SIM_R_OK;
}

/* ---- EpochLog calls ---------------------------------------------------------------- */

static sim_revert do_commit(sim_chain *c, const sim_tx *tx, uint64_t block) {
    sim_erec *r;
    uint32_t i;
    sim_revert e = enter(c, tx, block, 1, &r, &i);
    if (e != SIM_R_OK) {
        return e;
    }
    if (r->commit_blk[i] != 0) {
        return SIM_R_ALREADY_COMMITTED;
    }
    r->commit_blk[i] = block;
    memcpy(r->record_hash[i], tx->hash, 32);
    return SIM_R_OK;
}

/* recordHashOf: sha256("tkms-record-v1" ‖ be64 chainid ‖ EpochLog ‖ 0x01 ‖ be64 epoch ‖
   dealer ‖ be64 source ‖ be16 t' ‖ sha256(commitments) ‖ sealedHash). */
static void record_hash_of(const sim_chain *c, uint8_t out[32], uint64_t epoch,
                           const uint8_t dealer[20], uint64_t source, uint16_t t,
                           const uint8_t commitments_hash[32], const uint8_t sealed_hash[32]) {
    uint8_t buf[14 + 8 + 20 + 1 + 8 + 20 + 8 + 2 + 32 + 32];
    size_t o = 0;
    memcpy(buf, "tkms-record-v1", 14);
    o = 14;
    for (int k = 0; k < 8; k++) {
        buf[o++] = (uint8_t)(c->chain_id >> (56 - 8 * k));
    }
    memcpy(buf + o, c->epoch_log, 20);
    o += 20;
    buf[o++] = 1;
    for (int k = 0; k < 8; k++) {
        buf[o++] = (uint8_t)(epoch >> (56 - 8 * k));
    }
    memcpy(buf + o, dealer, 20);
    o += 20;
    for (int k = 0; k < 8; k++) {
        buf[o++] = (uint8_t)(source >> (56 - 8 * k));
    }
    buf[o++] = (uint8_t)(t >> 8);
    buf[o++] = (uint8_t)t;
    memcpy(buf + o, commitments_hash, 32);
    o += 32;
    memcpy(buf + o, sealed_hash, 32);
    o += 32;
    TKMS_ASSERT(o == sizeof buf);
    tkms_prim_sha256(out, buf, o);
}

static sim_revert do_reveal(sim_chain *c, const sim_tx *tx, uint64_t block) {
    sim_erec *r;
    uint32_t i;
    sim_revert e = enter(c, tx, block, 2, &r, &i);
    if (e != SIM_R_OK) {
        return e;
    }
    if (r->commit_blk[i] == 0) {
        return SIM_R_NOT_COMMITTED;
    }
    if (r->reveal_blk[i] != 0) {
        return SIM_R_ALREADY_REVEALED;
    }
    if (tx->t != r->t) {
        return SIM_R_COMMITMENTS_LENGTH;
    }
    uint8_t ch[32], computed[32];
    tkms_prim_sha256(ch, &tx->commitments[0][0], (size_t)tx->t * TKMS_PROTO_COMMITMENT_BYTES);
    record_hash_of(c, computed, tx->epoch, c->addr[tx->from], r->source, r->t, ch, tx->hash);
    if (memcmp(computed, r->record_hash[i], 32) != 0) {
        return SIM_R_RECORD_HASH_MISMATCH;
    }
    r->reveal_blk[i] = block;
    memset(&r->comm[i], 0, sizeof r->comm[i]);
    r->comm[i].t = tx->t;
    memcpy(r->comm[i].c, tx->commitments, (size_t)tx->t * TKMS_PROTO_COMMITMENT_BYTES);
    return SIM_R_OK;
}

static uint64_t revealed_bits(const sim_erec *r) {
    uint64_t bits = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->reveal_blk[i] != 0) {
            bits |= 1ull << i;
        }
    }
    return bits;
}

static sim_revert do_ack(sim_chain *c, const sim_tx *tx, uint64_t block) {
    sim_erec *r;
    uint32_t i;
    sim_revert e = enter(c, tx, block, 3, &r, &i);
    if (e != SIM_R_OK) {
        return e;
    }
    if (r->ack_blk[i] != 0) {
        return SIM_R_ALREADY_ACKED;
    }
    if ((tx->bitmap & ~revealed_bits(r)) != 0) {
        return SIM_R_ACK_BITMAP_INVALID;
    }
    r->ack_blk[i] = block;
    r->ack_bits[i] = tx->bitmap;
    return SIM_R_OK;
}

/* Fr modulus, big-endian: openings must be canonical. */
static const uint8_t FR_MODULUS_BE[32] = {
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05,
    0x53, 0xbd, 0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01};

static sim_revert do_open(sim_chain *c, const sim_tx *tx, uint64_t block) {
    sim_erec *r;
    uint32_t d;
    sim_revert e = enter(c, tx, block, 4, &r, &d);
    if (e != SIM_R_OK) {
        return e;
    }
    if (r->reveal_blk[d] == 0) {
        return SIM_R_NOT_REVEALED;
    }
    if (tx->count == 0) {
        return SIM_R_NO_SHARES;
    }
    uint64_t opened = 0;
    for (uint32_t p = 0; p < r->n; p++) {
        opened |= r->open_blk[d][p] != 0 ? 1ull << p : 0;
    }
    int32_t idx[SIM_OPS_MAX];
    for (uint32_t k = 0; k < tx->count; k++) {
        int32_t p = index_of_addr(c, r, tx->players[k]);
        if (p < 0) {
            return SIM_R_UNKNOWN_PLAYER;
        }
        if (opened & (1ull << p)) {
            return SIM_R_SHARE_ALREADY_OPENED;
        }
        if (r->ack_bits[p] & (1ull << d)) {
            return SIM_R_OPENING_NOT_NEEDED;
        }
        if (memcmp(tx->shares[k], FR_MODULUS_BE, 32) >= 0) {
            return SIM_R_SHARE_NOT_CANONICAL;
        }
        opened |= 1ull << p;
        idx[k] = p;
    }
    if (sim_popcount(opened) > r->r) {
        return SIM_R_OPENING_CAP_EXCEEDED;
    }
    for (uint32_t k = 0; k < tx->count; k++) {
        r->open_blk[d][idx[k]] = block;
        memcpy(r->open_share[d][idx[k]], tx->shares[k], 32);
    }
    return SIM_R_OK;
}

static sim_revert confirm_inputs(const sim_chain *c, const sim_erec *r, const sim_tx *tx) {
    uint32_t needed = r->source_t;
    uint64_t revealed = revealed_bits(r);
    if (sim_popcount(revealed) < needed) {
        return SIM_R_TOO_FEW_DEALERS;
    }
    if (tx->mpk[0] & 0x40) {
        return SIM_R_MPK_IDENTITY;
    }
    if ((tx->mpk[0] & 0x80) == 0) {
        return SIM_R_MPK_NOT_COMPRESSED;
    }
    if (c->has_mpk && memcmp(c->mpk, tx->mpk, sizeof c->mpk) != 0) {
        return SIM_R_MPK_MISMATCH;
    }
    if ((tx->bitmap & ~revealed) != 0) {
        return SIM_R_DEALER_SET_INVALID;
    }
    if (sim_popcount(tx->bitmap) < needed) {
        return SIM_R_DEALER_SET_TOO_SMALL;
    }
    return SIM_R_OK;
}

static void tally_key(uint8_t out[32], const sim_tx *tx) {
    uint8_t buf[TKMS_PROTO_COMMITMENT_BYTES + 32 + 32];
    memcpy(buf, tx->mpk, TKMS_PROTO_COMMITMENT_BYTES);
    memcpy(buf + TKMS_PROTO_COMMITMENT_BYTES, tx->hash, 32);
    memset(buf + TKMS_PROTO_COMMITMENT_BYTES + 32, 0, 24);
    for (int k = 0; k < 8; k++) {
        buf[TKMS_PROTO_COMMITMENT_BYTES + 56 + k] = (uint8_t)(tx->bitmap >> (56 - 8 * k));
    }
    tkms_prim_sha256(out, buf, sizeof buf);
}

static uint64_t tally_bits(const sim_erec *r, const uint8_t key[32], uint64_t h) {
    uint64_t bits = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->confirm_blk[i] != 0 && r->confirm_blk[i] <= h &&
            memcmp(r->confirm_key[i], key, 32) == 0) {
            bits |= 1ull << i;
        }
    }
    return bits;
}

static void vinfo_grow(sim_chain *c) {
    if (c->fin_count < c->fin_cap) {
        return;
    }
    c->fin_cap = c->fin_cap ? 2 * c->fin_cap : 64;
    c->fin = realloc(c->fin, c->fin_cap * sizeof *c->fin);
    c->vinfo = realloc(c->vinfo, c->fin_cap * sizeof *c->vinfo);
    TKMS_ASSERT(c->fin != NULL && c->vinfo != NULL);
}

/* _finalize: stores the outcome and appends to the history with the retained start. */
static void finalize(sim_chain *c, sim_erec *r, const uint8_t key[32], uint64_t block) {
    r->final_blk = block;
    memcpy(r->win_key, key, 32);
    uint32_t i = 0;
    while (memcmp(r->confirm_key[i], key, 32) != 0 || r->confirm_blk[i] == 0) {
        i++;
    }
    memcpy(r->win_sh, r->confirm_sh[i], 32);
    r->win_d = r->confirm_d[i];
    uint64_t start = c->fin_count == 0 ? 0 : c->fin[c->fin_count - 1].retained_start;
    if (r->source != TKMS_PROTO_DKG_SOURCE) {
        bool found;
        size_t si = fin_index_of(c, r->source, &found);
        TKMS_ASSERT(found);
        if (si > start) {
            start = si;
        }
    }
    vinfo_grow(c);
    sim_fin *f = &c->fin[c->fin_count];
    f->version = r->epoch;
    f->block = block;
    f->retained_start = start;
    sim_vinfo *v = &c->vinfo[c->fin_count];
    memset(v, 0, sizeof *v);
    v->version = r->epoch;
    v->t = r->t;
    v->source = r->source;
    v->n = r->n;
    memcpy(v->op, r->op, sizeof v->op);
    v->dealers = r->win_d;
    v->winners = tally_bits(r, key, block);
    v->public_players = 0;
    for (uint32_t j = 0; j < r->n; j++) {
        v->opened_to[j] = 0;
        for (uint32_t d = 0; d < r->n; d++) {
            v->opened_to[j] |= r->open_blk[d][j] != 0 ? 1ull << d : 0;
        }
        v->public_players |= (v->opened_to[j] & r->win_d) == r->win_d ? 1ull << j : 0;
    }
    memcpy(v->state_hash, r->win_sh, 32);
    v->confirm_deadline = sim_chain_trigger(c, r->epoch) + c->p.confirm;
    c->fin_count++;
    v->combined = malloc(sizeof *v->combined);
    TKMS_ASSERT(v->combined != NULL);
    sim_combine(v->combined, c->group, r, r->win_d, r->source == TKMS_PROTO_DKG_SOURCE, c->x);
    v->combined_ok = v->combined->t != 0;
    /* heavy data of versions far below the retained set is no longer needed */
    while (c->pruned + SIM_KEEP_VERSIONS < start) {
        free(c->vinfo[c->pruned].combined);
        c->vinfo[c->pruned].combined = NULL;
        c->pruned++;
    }
}

static sim_revert do_confirm(sim_chain *c, const sim_tx *tx, uint64_t block) {
    sim_erec *r;
    uint32_t i;
    sim_revert e = enter(c, tx, block, 5, &r, &i);
    if (e != SIM_R_OK) {
        return e;
    }
    if (r->confirm_blk[i] != 0) {
        return SIM_R_ALREADY_CONFIRMED;
    }
    e = confirm_inputs(c, r, tx);
    if (e != SIM_R_OK) {
        return e;
    }
    uint8_t key[32];
    tally_key(key, tx);
    r->confirm_blk[i] = block;
    memcpy(r->confirm_key[i], key, 32);
    memcpy(r->confirm_sh[i], tx->hash, 32);
    memcpy(r->confirm_mpk[i], tx->mpk, TKMS_PROTO_COMMITMENT_BYTES);
    r->confirm_d[i] = tx->bitmap;
    uint64_t bits = tally_bits(r, key, block);
    if (r->final_blk != 0 && memcmp(r->win_key, key, 32) == 0) {
        bool found;
        size_t fi = fin_index_of(c, r->epoch, &found);
        TKMS_ASSERT(found);
        c->vinfo[fi].winners = bits; /* later confirms join the winning tally */
    }
    if (r->final_blk == 0 && sim_popcount(bits) >= r->t) {
        if (!c->has_mpk) {
            c->has_mpk = true;
            c->mpk_blk = block;
            memcpy(c->mpk, tx->mpk, sizeof c->mpk);
        }
        finalize(c, r, key, block);
    }
    return SIM_R_OK;
}

/* ---- KmsRegistry calls --------------------------------------------------------------- */

static sim_revert set_epoch_key(sim_chain *c, uint32_t a, const uint8_t key[32], uint64_t block) {
    if (memcmp(key, ZERO32, 32) == 0) {
        return SIM_R_ZERO_KEY;
    }
    if (memcmp(keys_latest(&c->reg[a].xkey), key, 32) == 0) {
        return SIM_R_EPOCH_KEY_REUSED;
    }
    keys_push(&c->reg[a].xkey, block, key);
    return SIM_R_OK;
}

/* _checkLiveHolders over guardedVersions(): newest finalized and, when C has >= 2, the
   next one; live = candidates (O(v) ∩ D(v) ∩ winning confirmers) registered now. */
static sim_revert live_holders(const sim_chain *c, uint32_t a) {
    if (c->fin_count == 0) {
        return SIM_R_OK;
    }
    size_t len = c->fin_count;
    bool two = len - 1 > c->fin[len - 1].retained_start;
    for (size_t g = 0; g < (two ? 2u : 1u); g++) {
        const sim_vinfo *v = &c->vinfo[len - 1 - g];
        uint64_t cand = v->winners & v->dealers;
        uint32_t live = 0;
        bool holder = false;
        for (uint32_t i = 0; i < v->n; i++) {
            if ((cand & (1ull << i)) && bits_latest(&c->reg[v->op[i]].active)) {
                live++;
                holder |= v->op[i] == a;
            }
        }
        if (holder && live - 1 < (uint32_t)v->t + 1) {
            return SIM_R_LIVE_HOLDER_GUARD;
        }
    }
    return SIM_R_OK;
}

static sim_revert leave(sim_chain *c, uint32_t a, uint64_t block) {
    if (sim_chain_frozen(c, block)) {
        return SIM_R_MEMBERSHIP_FROZEN;
    }
    uint32_t count = sim_chain_active_count(c);
    if (count >= c->p.min_operators && count - 1 < c->p.min_operators) {
        return SIM_R_BELOW_MIN_OPERATORS;
    }
    sim_revert e = live_holders(c, a);
    if (e != SIM_R_OK) {
        return e;
    }
    bits_push(&c->reg[a].active, block, false);
    return SIM_R_OK;
}

static sim_revert do_register(sim_chain *c, const sim_tx *tx, uint64_t block) {
    uint32_t a = tx->from;
    if (!bits_latest(&c->reg[a].allowed)) {
        return SIM_R_NOT_ALLOWED;
    }
    if (bits_latest(&c->reg[a].active)) {
        return SIM_R_ALREADY_REGISTERED;
    }
    if (sim_chain_active_count(c) >= SIM_OPS_MAX) {
        return SIM_R_TOO_MANY_OPERATORS;
    }
    if (sim_chain_frozen(c, block)) {
        return SIM_R_MEMBERSHIP_FROZEN;
    }
    if (memcmp(tx->ed, ZERO32, 32) == 0) {
        return SIM_R_ZERO_KEY;
    }
    sim_revert e = set_epoch_key(c, a, tx->key, block);
    if (e != SIM_R_OK) {
        return e;
    }
    keys_push(&c->reg[a].edkey, block, tx->ed);
    bits_push(&c->reg[a].active, block, true);
    return SIM_R_OK;
}

static sim_revert do_registry(sim_chain *c, const sim_tx *tx, uint64_t block) {
    switch (tx->kind) {
    case SIM_TX_REGISTER:
        return do_register(c, tx, block);
    case SIM_TX_DEREGISTER:
        if (!bits_latest(&c->reg[tx->from].active)) {
            return SIM_R_NOT_REGISTERED;
        }
        return leave(c, tx->from, block);
    case SIM_TX_SET_KEY:
        if (!bits_latest(&c->reg[tx->from].active)) {
            return SIM_R_NOT_REGISTERED;
        }
        return set_epoch_key(c, tx->from, tx->key, block);
    case SIM_TX_ALLOW:
        if (bits_latest(&c->reg[tx->target].allowed)) {
            return SIM_R_ALREADY_ALLOWED;
        }
        bits_push(&c->reg[tx->target].allowed, block, true);
        return SIM_R_OK;
    case SIM_TX_EJECT: {
        if (!bits_latest(&c->reg[tx->target].allowed)) {
            return SIM_R_NOT_ALLOWED;
        }
        if (bits_latest(&c->reg[tx->target].active)) {
            sim_revert e = leave(c, tx->target, block); /* a revert undoes the whole call */
            if (e != SIM_R_OK) {
                return e;
            }
        }
        bits_push(&c->reg[tx->target].allowed, block, false);
        return SIM_R_OK;
    }
    case SIM_TX_GENESIS:
        if (c->genesis_block != 0) {
            return SIM_R_GENESIS_ALREADY_STARTED;
        }
        if (sim_chain_active_count(c) < c->p.min_operators) {
            return SIM_R_BELOW_MIN_OPERATORS;
        }
        c->genesis_block = block;
        return SIM_R_OK;
    default:
        TKMS_ASSERT(false);
        return SIM_R_OK;
    }
}

sim_revert sim_chain_apply(sim_chain *c, const sim_tx *tx, uint64_t block) {
    TKMS_ASSERT(block >= 1);
    switch (tx->kind) {
    case SIM_TX_COMMIT:
        return do_commit(c, tx, block);
    case SIM_TX_REVEAL:
        return do_reveal(c, tx, block);
    case SIM_TX_ACK:
        return do_ack(c, tx, block);
    case SIM_TX_OPEN:
        return do_open(c, tx, block);
    case SIM_TX_CONFIRM:
        return do_confirm(c, tx, block);
    default:
        return do_registry(c, tx, block);
    }
}

/* ---- blocks ------------------------------------------------------------------------ */

void sim_chain_submit(sim_chain *c, sim_tx *tx, uint64_t ready) {
    if (c->mempool_count == c->mempool_cap) {
        c->mempool_cap = c->mempool_cap ? 2 * c->mempool_cap : 256;
        c->mempool = realloc(c->mempool, c->mempool_cap * sizeof *c->mempool);
        TKMS_ASSERT(c->mempool != NULL);
    }
    tx->id = ++c->next_tx_id;
    tx->submitted = c->height;
    tx->ready = ready;
    c->mempool[c->mempool_count++] = tx;
}

static void included_push(sim_chain *c, uint64_t block, sim_tx *tx) {
    size_t s = block % SIM_REORG_MAX;
    if (c->included_count[s] == c->included_cap[s]) {
        c->included_cap[s] = c->included_cap[s] ? 2 * c->included_cap[s] : 64;
        c->included[s] = realloc(c->included[s], c->included_cap[s] * sizeof(sim_tx *));
        TKMS_ASSERT(c->included[s] != NULL);
    }
    c->included[s][c->included_count[s]++] = tx;
}

static void result_push(sim_chain *c, sim_tx *tx, sim_revert e, uint64_t block) {
    if (c->result_count == c->result_cap) {
        c->result_cap = c->result_cap ? 2 * c->result_cap : 64;
        c->results = realloc(c->results, c->result_cap * sizeof *c->results);
        TKMS_ASSERT(c->results != NULL);
    }
    c->results[c->result_count].tx = tx;
    c->results[c->result_count].revert = e;
    c->results[c->result_count].block = block;
    c->result_count++;
}

static void block_id_set(sim_chain *c, uint64_t h) {
    if (h >= c->block_id_cap) {
        while (h >= c->block_id_cap) {
            c->block_id_cap *= 2;
        }
        c->block_id = realloc(c->block_id, c->block_id_cap * sizeof *c->block_id);
        TKMS_ASSERT(c->block_id != NULL);
    }
    c->block_id[h] = c->next_block_id++;
}

/* Long runs: histories older than the oldest epoch still in the ring are compacted. */
static void compact_histories(sim_chain *c) {
    uint64_t epoch = c->height / c->p.interval;
    if (epoch < 2 * SIM_RING || c->height % (c->p.interval * SIM_RING) != 0) {
        return;
    }
    uint64_t keep_from = sim_chain_trigger(c, epoch - SIM_RING) - SIM_REORG_MAX;
    for (uint32_t a = 0; a < c->actors; a++) {
        bits_compact(&c->reg[a].allowed, keep_from);
        bits_compact(&c->reg[a].active, keep_from);
        keys_compact(&c->reg[a].xkey, keep_from);
        keys_compact(&c->reg[a].edkey, keep_from);
    }
}

void sim_chain_mine(sim_chain *c) {
    uint64_t h = c->height + 1;
    size_t slot = h % SIM_REORG_MAX;
    for (size_t i = 0; i < c->included_count[slot]; i++) {
        free(c->included[slot][i]);
    }
    c->included_count[slot] = 0;
    c->result_count = 0;
    /* ready transactions, in a seeded order (reordering), stable for the rest */
    size_t ready = 0;
    for (size_t i = 0; i < c->mempool_count; i++) {
        if (c->mempool[i]->ready <= h && (c->capacity == 0 || ready < c->capacity)) {
            sim_tx *tmp = c->mempool[ready];
            c->mempool[ready] = c->mempool[i];
            c->mempool[i] = tmp;
            ready++;
        }
    }
    for (size_t i = ready; i > 1; i--) {
        size_t j = (size_t)sim_rng_below(c->rng, i);
        sim_tx *tmp = c->mempool[i - 1];
        c->mempool[i - 1] = c->mempool[j];
        c->mempool[j] = tmp;
    }
    c->height = h;
    block_id_set(c, h);
    for (size_t i = 0; i < ready; i++) {
        sim_tx *tx = c->mempool[i];
        sim_revert e = sim_chain_apply(c, tx, h);
        if (c->trace != NULL) {
            sim_trace_tx(c, tx, e, h);
        }
        c->reverts[e]++;
        c->included_total++;
        included_push(c, h, tx);
        result_push(c, tx, e, h);
    }
    memmove(c->mempool, c->mempool + ready, (c->mempool_count - ready) * sizeof(sim_tx *));
    c->mempool_count -= ready;
    compact_histories(c);
}

static void erec_truncate(sim_erec *r, uint64_t h) {
    for (uint32_t i = 0; i < SIM_OPS_MAX; i++) {
        if (r->commit_blk[i] > h) {
            r->commit_blk[i] = 0;
            memset(r->record_hash[i], 0, 32);
        }
        if (r->reveal_blk[i] > h) {
            r->reveal_blk[i] = 0;
            memset(&r->comm[i], 0, sizeof r->comm[i]);
        }
        if (r->ack_blk[i] > h) {
            r->ack_blk[i] = 0;
            r->ack_bits[i] = 0;
        }
        for (uint32_t p = 0; p < SIM_OPS_MAX; p++) {
            if (r->open_blk[i][p] > h) {
                r->open_blk[i][p] = 0;
            }
        }
        if (r->confirm_blk[i] > h) {
            r->confirm_blk[i] = 0;
        }
    }
    if (r->final_blk > h) {
        r->final_blk = 0;
        r->win_d = 0;
    }
    r->snap_ok = false; /* histories may have changed: recompute on next touch */
}

void sim_chain_rollback(sim_chain *c, uint64_t height) {
    TKMS_ASSERT(height < c->height && c->height - height < SIM_REORG_MAX);
    if (c->trace != NULL) {
        fprintf(c->trace, "{\"reorg\":%llu}\n", (unsigned long long)height);
    }
    for (uint64_t h = height + 1; h <= c->height; h++) {
        size_t s = h % SIM_REORG_MAX;
        for (size_t i = 0; i < c->included_count[s]; i++) {
            sim_tx *tx = c->included[s][i];
            sim_chain_submit(c, tx, height + 1); /* back in the new branch's first block */
        }
        c->included_count[s] = 0;
    }
    for (uint32_t a = 0; a < c->actors; a++) {
        bits_truncate(&c->reg[a].allowed, height);
        bits_truncate(&c->reg[a].active, height);
        keys_truncate(&c->reg[a].xkey, height);
        keys_truncate(&c->reg[a].edkey, height);
    }
    if (c->genesis_block > height) {
        c->genesis_block = 0;
    }
    for (size_t k = 0; k < SIM_RING; k++) {
        if (c->ring[k].used) {
            erec_truncate(&c->ring[k], height);
        }
    }
    while (c->fin_count > 0 && c->fin[c->fin_count - 1].block > height) {
        c->fin_count--;
        free(c->vinfo[c->fin_count].combined);
        c->vinfo[c->fin_count].combined = NULL;
    }
    if (c->has_mpk && c->mpk_blk > height) {
        c->has_mpk = false;
    }
    for (size_t k = 0; k < SIM_RING; k++) {
        sim_erec *r = &c->ring[k];
        const sim_vinfo *v = r->used ? sim_chain_vinfo(c, r->epoch) : NULL;
        if (v != NULL) {
            ((sim_vinfo *)v)->winners = tally_bits(r, r->win_key, height);
        }
    }
    c->height = height;
}

/* Read by view.c: the Ed25519 key of an operator as of block b. */
const uint8_t *sim_chain_ed_key_at(const sim_chain *c, uint32_t actor, uint64_t block) {
    return ed_key_at(c, actor, block);
}

uint64_t sim_chain_revealed_bits(const sim_erec *r, uint64_t h) {
    uint64_t bits = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->reveal_blk[i] != 0 && r->reveal_blk[i] <= h) {
            bits |= 1ull << i;
        }
    }
    return bits;
}

uint64_t sim_chain_tally_bits(const sim_erec *r, const uint8_t key[32], uint64_t h) {
    return tally_bits(r, key, h);
}
