/*
 * net.c — the simulated peer network and record pool (protocol.md §8 as the driver sees
 * it), plus the run's seeded PRNG.
 *
 * Records are stored once per epoch in a pool (bytes and record hash) and each actor keeps
 * a bitset of the pool entries it holds (its peer-side record store, lost on a crash).
 * Messages (pushes, fetch requests by hash, fetch answers) get a seeded delay, may be
 * lost or duplicated, are dropped across a partition and to actors that are down, and are
 * delivered in a seeded order (reordering). The driver hands the machine only records
 * whose hash is the committed one (node.c), so a bogus first push never blocks the real
 * record. What it does not do: envelopes and signatures (the record's signature is not a
 * validity rule; envelope checks are tested in tests/proto). Spec: protocol.md §7, §8.
 */
#include <stdlib.h>
#include <string.h>

#include "common/tkms_assert.h"
#include "prim/prim.h"
#include "sim.h"

/* ---- PRNG: xoshiro256** seeded by splitmix64 ------------------------------------------ */

static uint64_t splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sim_rng_seed(sim_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) {
        r->s[i] = splitmix(&seed);
    }
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(sim_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sim_rng_below(sim_rng *r, uint64_t bound) {
    TKMS_ASSERT(bound > 0);
    return sim_rng_next(r) % bound; /* the bias is irrelevant for a simulator */
}

bool sim_rng_pm(sim_rng *r, uint32_t permille) {
    return permille > 0 && sim_rng_below(r, 1000) < permille;
}

void sim_rng_bytes(sim_rng *r, uint8_t *out, size_t len) {
    while (len > 0) {
        uint64_t v = sim_rng_next(r);
        size_t n = len < 8 ? len : 8;
        memcpy(out, &v, n);
        out += n;
        len -= n;
    }
}

static void rng_fill(void *ctx, uint8_t *out, size_t len) {
    sim_rng_bytes(ctx, out, len);
}

tkms_rng sim_rng_as_tkms(sim_rng *r) {
    tkms_rng t = {rng_fill, r};
    return t;
}

/* ---- record pool ------------------------------------------------------------------- */

void sim_net_init(sim_run *run) {
    memset(run->pools, 0, sizeof run->pools);
    run->msg_cap = 1024;
    run->msgs = calloc(run->msg_cap, sizeof *run->msgs);
    TKMS_ASSERT(run->msgs != NULL);
    run->msg_count = 0;
}

static void pool_clear(sim_pool *p) {
    for (uint32_t i = 0; i < p->count; i++) {
        free(p->rec[i].bytes);
    }
    memset(p, 0, sizeof *p);
}

void sim_net_free(sim_run *run) {
    for (size_t k = 0; k < SIM_RING; k++) {
        pool_clear(&run->pools[k]);
    }
    free(run->msgs);
    run->msgs = NULL;
}

sim_pool *sim_pool_for(sim_run *run, uint64_t epoch, bool create) {
    sim_pool *p = &run->pools[epoch % SIM_RING];
    if (p->used && p->epoch == epoch) {
        return p;
    }
    if (!create || (p->used && p->epoch > epoch)) {
        return NULL;
    }
    pool_clear(p);
    p->used = true;
    p->epoch = epoch;
    return p;
}

/* The record hash of bytes (what the driver compares with the committed hash); bytes
   that do not decode get sha256(bytes), which no commitment can name. */
void sim_record_hash(sim_run *run, uint8_t out[32], const uint8_t *bytes, size_t len,
                     bool *decodes) {
    static tkms_proto_record rec; /* large; the simulator is single-threaded */
    *decodes = tkms_proto_record_decode(&rec, bytes, len) == TKMS_OK;
    if (!*decodes) {
        tkms_prim_sha256(out, bytes, len);
        return;
    }
    tkms_proto_domain dom;
    dom.chain_id = run->chain.chain_id;
    memcpy(dom.epoch_log, run->chain.epoch_log, 20);
    tkms_proto_record_hash(out, &dom, &rec);
}

int32_t sim_pool_find(sim_run *run, uint64_t epoch, const uint8_t hash[32]) {
    sim_pool *p = sim_pool_for(run, epoch, false);
    if (p == NULL) {
        return -1;
    }
    for (uint32_t i = 0; i < p->count; i++) {
        if (memcmp(p->rec[i].hash, hash, 32) == 0) {
            return (int32_t)i;
        }
    }
    return -1;
}

/* Adds a record (deduplicated by record hash); -1 when the pool is full. */
int32_t sim_pool_add(sim_run *run, uint64_t epoch, const uint8_t *bytes, size_t len) {
    uint8_t hash[32];
    bool decodes;
    sim_record_hash(run, hash, bytes, len, &decodes);
    int32_t found = sim_pool_find(run, epoch, hash);
    if (found >= 0) {
        return found;
    }
    sim_pool *p = sim_pool_for(run, epoch, true);
    if (p == NULL || p->count == SIM_POOL_MAX) {
        return -1;
    }
    sim_record *r = &p->rec[p->count];
    r->bytes = malloc(len);
    TKMS_ASSERT(r->bytes != NULL);
    memcpy(r->bytes, bytes, len);
    r->len = len;
    memcpy(r->hash, hash, 32);
    return (int32_t)p->count++;
}

/* ---- per-actor record store ------------------------------------------------------------ */

bool sim_cache_has(const sim_actor *a, uint64_t epoch, uint32_t idx) {
    const sim_cache *c = &a->cache[epoch % SIM_RING];
    return c->epoch == epoch && (c->bits[idx / 64] & (1ull << (idx % 64))) != 0;
}

void sim_cache_put(sim_actor *a, uint64_t epoch, uint32_t idx) {
    TKMS_ASSERT(idx < SIM_POOL_MAX);
    sim_cache *c = &a->cache[epoch % SIM_RING];
    if (c->epoch != epoch) {
        memset(c, 0, sizeof *c);
        c->epoch = epoch;
    }
    c->bits[idx / 64] |= 1ull << (idx % 64);
}

void sim_cache_clear(sim_actor *a) {
    memset(a->cache, 0, sizeof a->cache);
}

/* ---- messages ---------------------------------------------------------------------- */

bool sim_net_reachable(const sim_run *run, uint32_t from, uint32_t to) {
    uint8_t a = run->partition[from], b = run->partition[to];
    return !run->partitioned || a == b || a == SIM_PARTITION_BRIDGE || b == SIM_PARTITION_BRIDGE;
}

static void enqueue(sim_run *run, const sim_msg *m) {
    if (run->msg_count == run->msg_cap) {
        run->msg_cap *= 2;
        run->msgs = realloc(run->msgs, run->msg_cap * sizeof *run->msgs);
        TKMS_ASSERT(run->msgs != NULL);
    }
    run->msgs[run->msg_count++] = *m;
}

void sim_net_send(sim_run *run, uint32_t from, uint32_t to, sim_msg_kind kind, uint64_t epoch,
                  uint32_t rec, const uint8_t *hash) {
    const sim_faults *f = &run->cfg.faults;
    if (from == to || !sim_net_reachable(run, from, to)) {
        return;
    }
    if (sim_rng_pm(&run->rng_net, f->msg_loss_pm)) {
        return;
    }
    uint32_t copies = sim_rng_pm(&run->rng_net, f->msg_dup_pm) ? 2 : 1;
    for (uint32_t k = 0; k < copies; k++) {
        sim_msg m;
        memset(&m, 0, sizeof m);
        m.at = run->chain.height + sim_rng_below(&run->rng_net, f->msg_delay_max + 1ull);
        m.from = from;
        m.to = to;
        m.kind = kind;
        m.epoch = epoch;
        m.rec = rec;
        if (hash != NULL) {
            memcpy(m.hash, hash, 32);
        }
        enqueue(run, &m);
    }
}

void sim_net_push_all(sim_run *run, uint32_t from, uint64_t epoch, uint32_t rec,
                      const sim_erec *snap) {
    for (uint32_t i = 0; i < snap->n; i++) {
        sim_net_send(run, from, snap->op[i], SIM_MSG_PUSH, epoch, rec, NULL);
    }
}

/* A fetch by hash: an honest peer that holds the record answers (as often as asked). */
static void answer_fetch(sim_run *run, sim_actor *peer, const sim_msg *m) {
    int32_t idx = sim_pool_find(run, m->epoch, m->hash);
    if (idx < 0 || !sim_cache_has(peer, m->epoch, (uint32_t)idx)) {
        return;
    }
    if (peer->malicious && !sim_adv_serves(run, peer, m->from, m->epoch)) {
        return;
    }
    /* an adversary bridging a partition relays only its own records (the dealer address
       follows the record's version and epoch: protocol.md §4.3) */
    const sim_record *rec = &sim_pool_for(run, m->epoch, false)->rec[idx];
    if (peer->malicious && run->partitioned && run->partition[peer->id] == SIM_PARTITION_BRIDGE &&
        (rec->len < 29 || memcmp(rec->bytes + 9, peer->address, 20) != 0)) {
        return;
    }
    if (sim_rng_pm(&run->rng_net, run->cfg.faults.fetch_fail_pm)) {
        return;
    }
    sim_net_send(run, peer->id, m->from, SIM_MSG_ANSWER, m->epoch, (uint32_t)idx, NULL);
}

static void deliver_one(sim_run *run, const sim_msg *m) {
    sim_actor *to = &run->actors[m->to];
    if (to->status != SIM_UP || !sim_net_reachable(run, m->from, m->to)) {
        return;
    }
    if (m->kind == SIM_MSG_FETCH) {
        answer_fetch(run, to, m);
        return;
    }
    if (sim_pool_for(run, m->epoch, false) == NULL) {
        return; /* an epoch no longer kept */
    }
    sim_cache_put(to, m->epoch, m->rec);
    if (to->malicious) {
        sim_adv_on_message(run, to, m);
    }
}

void sim_net_deliver(sim_run *run, uint64_t block) {
    size_t due = 0;
    for (size_t i = 0; i < run->msg_count; i++) {
        if (run->msgs[i].at <= block) {
            sim_msg tmp = run->msgs[due];
            run->msgs[due] = run->msgs[i];
            run->msgs[i] = tmp;
            due++;
        }
    }
    for (size_t i = due; i > 1; i--) {
        size_t j = (size_t)sim_rng_below(&run->rng_net, i);
        sim_msg tmp = run->msgs[i - 1];
        run->msgs[i - 1] = run->msgs[j];
        run->msgs[j] = tmp;
    }
    /* answers to fetches are enqueued while delivering: deliver only the due prefix */
    sim_msg *batch = malloc((due ? due : 1) * sizeof *batch);
    TKMS_ASSERT(batch != NULL);
    memcpy(batch, run->msgs, due * sizeof *batch);
    memmove(run->msgs, run->msgs + due, (run->msg_count - due) * sizeof *run->msgs);
    run->msg_count -= due;
    for (size_t i = 0; i < due; i++) {
        deliver_one(run, &batch[i]);
    }
    free(batch);
}
