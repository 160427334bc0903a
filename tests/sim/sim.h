/*
 * sim.h — the deterministic simulator of the epoch protocol (protocol.md §7).
 *
 * One process runs n copies of the tkms_proto state machine (src/proto/proto.h) against a
 * modeled chain that behaves like contracts/KmsRegistry.sol + EpochLog.sol, a seeded
 * network (delay, loss, duplication, reordering, partitions, fetch by hash), seeded process
 * faults (crash at any action, restart from the last PERSIST, offline periods), RPC faults
 * (lagging answers, outages), reorgs (short: invisible; deep: must halt) and sim-controlled
 * adversaries. Checkers run after every step: secrecy oracle, agreement, recoverability,
 * integrity (I2), liveness under the §1 assumptions, erasure (§5).
 *
 * What it does not do: real I/O, wall-clock time, or anything non-deterministic. Every
 * random choice comes from one of four seeded streams, so a seed replays exactly; no draw
 * depends on group values, so the transparent group (group_fr.c) and the BLS group see
 * the same schedule and must reach the same outcomes.
 *
 * Files: group_fr.c (transparent group), chain.c (contract model), view.c (chain views,
 * reference D), net.c (records and messages), node.c (honest driver), adversary.c,
 * oracle.c (secrets and the secrecy oracle), check.c (other checkers), run.c (the loop),
 * scenarios.c (named scenarios), main.c (tkms-sim). docs/simulator.md describes them.
 */
#ifndef TKMS_SIM_H
#define TKMS_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "proto/proto.h"
#include "proto/wire.h"

#define SIM_OPS_MAX TKMS_PROTO_OPERATORS_MAX /* |O| (every bitmap is uint64_t) */
#define SIM_ACTORS_MAX 128                   /* every address that ever registers in one run */
#define SIM_RING 8           /* epochs whose chain records, pools and oracle data are kept */
#define SIM_POOL_MAX 192     /* distinct records per epoch in the record pool */
#define SIM_KEEP_VERSIONS 24 /* finalized versions whose heavy data is kept */
#define SIM_REORG_MAX 64     /* blocks of included transactions kept for reorgs */
#define SIM_OWNER UINT32_MAX
#define SIM_SETUP_BLOCK 5 /* allow at 5, register at 6, startGenesis at 7 (1-4: deployment) */
#define SIM_NONE UINT32_MAX

_Static_assert(SIM_OPS_MAX <= 64, "bitmaps are uint64_t");
_Static_assert(SIM_POOL_MAX % 64 == 0, "cache bitsets");

/* ---- deterministic randomness ------------------------------------------------------ */

typedef struct {
    uint64_t s[4];
} sim_rng;

void sim_rng_seed(sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(sim_rng *r);
uint64_t sim_rng_below(sim_rng *r, uint64_t bound); /* uniform in [0, bound), bound > 0 */
bool sim_rng_pm(sim_rng *r, uint32_t permille);     /* true with probability permille/1000 */
void sim_rng_bytes(sim_rng *r, uint8_t *out, size_t len);
tkms_rng sim_rng_as_tkms(sim_rng *r);

static inline uint32_t sim_popcount(uint64_t x) {
    return (uint32_t)__builtin_popcountll(x);
}

/* ---- the transparent group (group_fr.c) ---------------------------------------------- */

const tkms_proto_group *sim_group_fr(void);
void sim_fr_encode(uint8_t out[TKMS_PROTO_COMMITMENT_BYTES], const tkms_bls_fr *v);
bool sim_fr_decode(tkms_bls_fr *out, const uint8_t in[TKMS_PROTO_COMMITMENT_BYTES]);
void sim_poly_eval(tkms_bls_fr *out, const tkms_tss_poly *f, const tkms_bls_fr *x);

/* ---- parameters and faults ---------------------------------------------------------- */

typedef struct {
    uint64_t interval, commit, reveal, ack, open, confirm, confirmations;
    uint32_t min_operators, patience;
} sim_params;

typedef struct {
    uint32_t msg_delay_max; /* blocks */
    uint32_t msg_loss_pm;   /* per mille of messages lost */
    uint32_t msg_dup_pm;    /* per mille duplicated */
    uint32_t tx_delay_max;  /* extra inclusion delay in blocks (beyond the next block) */
    uint32_t crash_pm;      /* per mille of node steps that crash at a random action */
    uint32_t restart_max;   /* blocks a crashed node stays down (1..) */
    uint32_t lag_pm;        /* per mille of polls answered by a lagging RPC */
    uint32_t lag_max;       /* blocks of lag */
    uint32_t fetch_fail_pm; /* per mille of fetch answers lost */
    bool partitions, outages, short_reorgs, deep_reorg, churn, offline, congestion, bad_keys;
} sim_faults;

/* ---- transactions and the chain model (chain.c) --------------------------------------- */

typedef enum {
    SIM_TX_COMMIT = 1,
    SIM_TX_REVEAL,
    SIM_TX_ACK,
    SIM_TX_OPEN,
    SIM_TX_CONFIRM,
    SIM_TX_SET_KEY,
    SIM_TX_REGISTER,
    SIM_TX_DEREGISTER,
    SIM_TX_ALLOW,
    SIM_TX_EJECT,
    SIM_TX_GENESIS,
    SIM_TX_KINDS,
} sim_tx_kind;

/* Revert reasons, one per custom error of the contracts (docs/contracts.md §3-5). */
/* clang-format off */
#define SIM_REVERTS(X)                                                                     \
    X(OK) X(EPOCH_OUT_OF_RANGE) X(EPOCH_NOT_TRIGGERED) X(EPOCH_BEFORE_GENESIS)              \
    X(EPOCH_BELOW_MIN_OPERATORS) X(PHASE_NOT_STARTED) X(PHASE_ENDED) X(NOT_OPERATOR)        \
    X(ALREADY_COMMITTED) X(NOT_COMMITTED) X(ALREADY_REVEALED) X(COMMITMENTS_LENGTH)         \
    X(RECORD_HASH_MISMATCH) X(ALREADY_ACKED) X(ACK_BITMAP_INVALID) X(NOT_REVEALED)          \
    X(LENGTH_MISMATCH) X(NO_SHARES) X(UNKNOWN_PLAYER) X(SHARE_ALREADY_OPENED)               \
    X(OPENING_NOT_NEEDED) X(SHARE_NOT_CANONICAL) X(OPENING_CAP_EXCEEDED)                    \
    X(ALREADY_CONFIRMED) X(TOO_FEW_DEALERS) X(MPK_IDENTITY) X(MPK_NOT_COMPRESSED)           \
    X(MPK_MISMATCH) X(DEALER_SET_INVALID) X(DEALER_SET_TOO_SMALL) X(ZERO_ADDRESS)           \
    X(ALREADY_ALLOWED) X(NOT_ALLOWED) X(ALREADY_REGISTERED) X(NOT_REGISTERED)               \
    X(TOO_MANY_OPERATORS) X(ZERO_KEY) X(EPOCH_KEY_REUSED) X(MEMBERSHIP_FROZEN)              \
    X(BELOW_MIN_OPERATORS) X(LIVE_HOLDER_GUARD) X(GENESIS_ALREADY_STARTED)
/* clang-format on */

typedef enum {
#define SIM_REVERT_ENUM(name) SIM_R_##name,
    SIM_REVERTS(SIM_REVERT_ENUM)
#undef SIM_REVERT_ENUM
        SIM_R_COUNT
} sim_revert;

const char *sim_revert_name(sim_revert r);
const char *sim_tx_kind_name(sim_tx_kind k);

typedef struct {
    sim_tx_kind kind;
    uint32_t from; /* actor id, or SIM_OWNER */
    uint64_t epoch;
    uint8_t hash[32]; /* commit: record hash; reveal: sealed hash; confirm: state hash */
    uint16_t t;       /* reveal: commitments count (t'+1 for degree raising) */
    uint8_t commitments[TKMS_TSS_THRESHOLD_MAX + 1][TKMS_PROTO_COMMITMENT_BYTES];
    uint64_t bitmap; /* ack: dealers; confirm: D */
    uint32_t count;  /* open */
    uint8_t players[SIM_OPS_MAX][20];
    uint8_t shares[SIM_OPS_MAX][32];
    uint8_t mpk[TKMS_PROTO_COMMITMENT_BYTES];
    uint8_t key[32]; /* set key / register: X25519 */
    uint8_t ed[32];  /* register: Ed25519 */
    uint32_t target; /* allow / eject */
    /* bookkeeping */
    uint64_t id, submitted, ready;
} sim_tx;

typedef struct {
    uint64_t block;
    uint8_t on;
} sim_hist_bit;

typedef struct {
    uint64_t block;
    uint8_t key[32];
} sim_hist_key;

typedef struct {
    size_t count, cap;
    sim_hist_bit *v;
} sim_bits_hist;

typedef struct {
    size_t count, cap;
    sim_hist_key *v;
} sim_keys_hist;

typedef struct {
    sim_bits_hist allowed, active;
    sim_keys_hist xkey, edkey;
} sim_reg;

/* One epoch as EpochLog holds it; every fact carries the block that wrote it, so a view
   "as of height h" filters by block and a reorg truncates. */
typedef struct {
    uint64_t epoch;
    bool used;
    /* snapshot as of B (cached; recomputed after a deep reorg) */
    bool snap_ok;
    sim_revert snap_err;
    uint32_t n;
    uint32_t op[SIM_OPS_MAX]; /* actor ids in address order */
    uint16_t t, r, source_t;
    uint64_t source;
    /* progress */
    uint64_t commit_blk[SIM_OPS_MAX];
    uint8_t record_hash[SIM_OPS_MAX][32];
    uint64_t reveal_blk[SIM_OPS_MAX];
    tkms_proto_commitments comm[SIM_OPS_MAX];
    uint64_t ack_blk[SIM_OPS_MAX];
    uint64_t ack_bits[SIM_OPS_MAX];
    uint64_t open_blk[SIM_OPS_MAX][SIM_OPS_MAX]; /* [dealer][player], 0 = not opened */
    uint8_t open_share[SIM_OPS_MAX][SIM_OPS_MAX][32];
    uint64_t confirm_blk[SIM_OPS_MAX];
    uint8_t confirm_key[SIM_OPS_MAX][32];
    uint8_t confirm_sh[SIM_OPS_MAX][32];
    uint64_t confirm_d[SIM_OPS_MAX];
    uint8_t confirm_mpk[SIM_OPS_MAX][TKMS_PROTO_COMMITMENT_BYTES];
    uint64_t final_blk; /* 0 = not finalized */
    uint8_t win_key[32], win_sh[32];
    uint64_t win_d;
} sim_erec;

typedef struct {
    uint64_t version, block, retained_start;
} sim_fin;

/* What the chain (and its events) say about a finalized version; kept for versions that
   may still be retained. */
typedef struct {
    uint64_t version;
    uint16_t t;
    uint64_t source;
    uint32_t n;
    uint32_t op[SIM_OPS_MAX];
    uint64_t dealers, winners;       /* winners: confirmers of the winning key (grows) */
    uint64_t public_players;         /* players every dealer of D opened: share computable by all */
    uint64_t opened_to[SIM_OPS_MAX]; /* [player]: dealers that opened its share */
    uint8_t state_hash[32];
    uint64_t confirm_deadline;
    bool combined_ok;
    tkms_proto_commitments *combined; /* heap; freed once far below the retained set */
} sim_vinfo;

typedef struct {
    sim_tx *tx;
    sim_revert revert;
    uint64_t block;
} sim_tx_result;

typedef struct sim_chain {
    sim_params p;
    uint64_t chain_id;
    uint8_t epoch_log[20];
    const tkms_proto_group *group;
    uint64_t height;
    uint64_t *block_id; /* [height] -> unique id of that block (reorgs mint new ids) */
    size_t block_id_cap;
    uint64_t next_block_id;
    uint32_t actors;
    const uint8_t (*addr)[20];        /* by actor id */
    const tkms_bls_fr *x;             /* evaluation points by actor id */
    uint32_t by_addr[SIM_ACTORS_MAX]; /* actor ids sorted by address */
    sim_reg reg[SIM_ACTORS_MAX];
    uint64_t genesis_block;
    sim_erec *ring; /* [SIM_RING] */
    sim_fin *fin;
    size_t fin_count, fin_cap;
    sim_vinfo *vinfo; /* parallel to fin (heavy data pruned for old entries) */
    size_t pruned;    /* vinfo[0 .. pruned) have no combined commitments any more */
    bool has_mpk;
    uint64_t mpk_blk;
    uint8_t mpk[TKMS_PROTO_COMMITMENT_BYTES];
    /* mempool and recently included transactions (for reorgs) */
    sim_tx **mempool;
    size_t mempool_count, mempool_cap;
    sim_tx **included[SIM_REORG_MAX];
    size_t included_count[SIM_REORG_MAX], included_cap[SIM_REORG_MAX];
    uint64_t next_tx_id;
    sim_rng *rng;
    /* results of the last mined block */
    sim_tx_result *results;
    size_t result_count, result_cap;
    /* statistics */
    uint64_t reverts[SIM_R_COUNT];
    uint64_t included_total;
    bool halted;       /* no blocks produced */
    FILE *trace;       /* --trace: every applied transaction and reorg, JSON lines */
    uint32_t capacity; /* transactions per block (0: unlimited): congestion */
} sim_chain;

void sim_chain_init(sim_chain *c, const sim_params *p, const tkms_proto_group *group,
                    uint32_t actors, const uint8_t (*addr)[20], const tkms_bls_fr *x, sim_rng *rng);
void sim_chain_free(sim_chain *c);
sim_tx *sim_tx_new(void);
/* Queues tx for inclusion no earlier than block `ready` (ownership passes to the chain). */
void sim_chain_submit(sim_chain *c, sim_tx *tx, uint64_t ready);
/* Mines block height+1: applies ready transactions in a seeded order; results in c->results
   (valid until the next mine; the txs themselves stay owned by the chain). */
void sim_chain_mine(sim_chain *c);
/* Reorg: drops blocks above `height` (their transactions go back to the mempool). */
void sim_chain_rollback(sim_chain *c, uint64_t height);
/* Applies one transaction directly in the current block (setup before block 1). */
sim_revert sim_chain_apply(sim_chain *c, const sim_tx *tx, uint64_t block);

/* Pinned reads as of block h (h <= height). */
sim_erec *sim_chain_erec(sim_chain *c, uint64_t epoch);
const sim_erec *sim_chain_snapshot(sim_chain *c, uint64_t epoch); /* NULL if inactive */
bool sim_chain_active_at(const sim_chain *c, uint32_t actor, uint64_t block);
const uint8_t *sim_chain_key_at(const sim_chain *c, uint32_t actor, uint64_t block);
uint32_t sim_chain_operators_at(const sim_chain *c, uint64_t block, uint32_t *out);
uint32_t sim_chain_retained_at(const sim_chain *c, uint64_t h, uint64_t *out, uint32_t max);
const sim_vinfo *sim_chain_vinfo(const sim_chain *c, uint64_t version);
uint64_t sim_chain_finalized_at(const sim_chain *c, uint64_t h);
bool sim_chain_mpk_at(const sim_chain *c, uint64_t h, uint8_t out[TKMS_PROTO_COMMITMENT_BYTES]);
uint32_t sim_chain_active_count(const sim_chain *c);
bool sim_chain_is_allowed(const sim_chain *c, uint32_t actor);
bool sim_chain_is_registered(const sim_chain *c, uint32_t actor);
bool sim_chain_frozen(const sim_chain *c, uint64_t block);
uint64_t sim_chain_trigger(const sim_chain *c, uint64_t epoch);
void sim_chain_set_actors(sim_chain *c, uint32_t actors);
const uint8_t *sim_chain_ed_key_at(const sim_chain *c, uint32_t actor, uint64_t block);
uint64_t sim_chain_revealed_bits(const sim_erec *r, uint64_t h);
uint64_t sim_chain_tally_bits(const sim_erec *r, const uint8_t key[32], uint64_t h);

void sim_trace_header(sim_chain *c);
void sim_trace_tx(sim_chain *c, const sim_tx *tx, sim_revert r, uint64_t block);

/* ---- chain views and the reference decision (view.c) ---------------------------------- */

/* Everything a view borrows (pointers of tkms_proto_chain_view point in here). */
typedef struct {
    tkms_proto_chain_view v;
    tkms_proto_commitments source_commitments;
    uint8_t opened_share[SIM_OPS_MAX][SIM_OPS_MAX][32];
    const sim_erec *rec;             /* NULL when the epoch is inactive */
    int32_t pool_index[SIM_OPS_MAX]; /* record pool entry matching the committed hash */
} sim_view;

/* Fills w->v as of final block h, records left NULL (the driver adds its own). */
void sim_view_build(sim_view *w, sim_chain *c, uint64_t h);
/* A view of a past `epoch` at height h (its snapshot and progress; no global part); false
   when the chain model no longer keeps that epoch. */
bool sim_view_build_past(sim_view *w, sim_chain *c, uint64_t h, uint64_t epoch);

/* The reference decision of protocol.md §4 step 5, computed from chain data alone by an
   independent implementation: D, the combined commitments and the state hash. */
typedef struct {
    bool decided; /* |D| reached the bound */
    uint64_t dealers;
    tkms_proto_commitments combined;
    uint8_t state_hash[32];
    uint64_t invalid_openers; /* dealers with an invalid opening (adversary accounting) */
} sim_decision;

void sim_decide(sim_decision *out, sim_chain *c, const sim_erec *rec, uint64_t h);
void sim_combine(tkms_proto_commitments *out, const tkms_proto_group *g, const sim_erec *rec,
                 uint64_t dealers, bool dkg, const tkms_bls_fr *xs_by_actor);

/* ---- records and the network (net.c) ----------------------------------------------- */

typedef struct {
    uint8_t *bytes;
    size_t len;
    uint8_t hash[32];
} sim_record;

typedef struct {
    uint64_t epoch;
    bool used;
    uint32_t count;
    sim_record rec[SIM_POOL_MAX];
} sim_pool;

typedef enum {
    SIM_MSG_PUSH = 1,
    SIM_MSG_FETCH,
    SIM_MSG_ANSWER,
} sim_msg_kind;

typedef struct {
    uint64_t at;
    uint32_t from, to;
    sim_msg_kind kind;
    uint64_t epoch;
    uint32_t rec;     /* pool index (push, answer) */
    uint8_t hash[32]; /* fetch */
} sim_msg;

typedef struct {
    uint64_t epoch;
    uint64_t bits[SIM_POOL_MAX / 64];
} sim_cache;

/* ---- actors ------------------------------------------------------------------------- */

typedef enum {
    SIM_ABSENT = 0, /* process not started yet (joins later) */
    SIM_UP,
    SIM_DOWN,   /* crashed or offline: restarts from its persisted state */
    SIM_HALTED, /* stopped itself (deep reorg, MPK mismatch): stays down */
} sim_status;

/* Adversary strategies (adversary.c); a malicious actor runs one per epoch. */
typedef enum {
    SIM_ADV_HONEST = 0, /* runs the real machine, knowledge counted by the oracle */
    SIM_ADV_SILENT,     /* does nothing */
    SIM_ADV_RUSH,       /* tries to reveal commitments built from honest ones */
    SIM_ADV_DEGREE,     /* shares of a degree-t' polynomial under t' commitments */
    SIM_ADV_DEGREE_LEN, /* reveals t'+1 commitments */
    SIM_ADV_MALFORMED,  /* a commitment that does not decode */
    SIM_ADV_WRONG_PUSH, /* pushes a record differing from the committed one, never the real */
    SIM_ADV_WITHHOLD,   /* real record to some players only, then opens the rest */
    SIM_ADV_BOGUS_OPEN, /* withholds from one player and opens a wrong share */
    SIM_ADV_OPEN_MANY,  /* tries more than r openings, and openings of acked players */
    SIM_ADV_FRONTRUN,   /* confirms a bogus (mpk, hash, D) first, then copies the winner */
    SIM_ADV_REFUSE,     /* honest until its first finalized holding, then silent */
    SIM_ADV_BOGUS_PUSH, /* floods garbage and near-copies before the real record */
    SIM_ADV_LOW_KEY,    /* publishes a low-order X25519 key */
    SIM_ADV_LATE,       /* honest, but every transaction lands in its window's last block */
    SIM_ADV_CHAOS,      /* honest puppet plus malformed transactions of every kind */
    SIM_ADV_COUNT,
} sim_adv;

const char *sim_adv_name(sim_adv a);

/* Per-epoch memory of a malicious actor (adversary.c). */
typedef struct {
    uint64_t epoch;
    bool crafted, gave_up, committed, revealed, opened, confirmed, rushed, low_key;
    uint32_t rec; /* pool index of the crafted record */
    uint8_t record_hash[32], sealed_hash[32];
    uint16_t t;
    uint8_t commitments[TKMS_TSS_THRESHOLD_MAX][TKMS_PROTO_COMMITMENT_BYTES];
    tkms_tss_poly share_poly;
    uint64_t excluded; /* players (O indices) a withholding dealer leaves out */
    tkms_bls_fr rush_target;
} sim_adv_state;

typedef struct {
    uint32_t id;
    uint8_t address[20];
    tkms_bls_fr x;
    uint8_t ed_seed[32], ed_pub[32], drbg_seed[32];
    bool malicious;
    sim_adv strategy;     /* fixed strategy, or SIM_ADV_COUNT: random per epoch */
    sim_adv cur_strategy; /* this epoch's */
    uint64_t strategy_epoch;
    bool refusing;        /* SIM_ADV_REFUSE after its first holding */
    uint64_t refuse_from; /* SIM_ADV_REFUSE: from holding this version (0: the run's) */
    sim_adv_state adv;
    sim_status status;
    uint64_t restart_at; /* SIM_DOWN: back at this block (UINT64_MAX: scenario decides) */
    bool offline_planned;
    tkms_proto_state *st;
    uint8_t *persisted;
    bool has_persisted;
    uint64_t seen_height, seen_block_id;         /* last view acted on, for reorg detection */
    uint64_t persisted_block_id;                 /* the block id stored with the last PERSIST */
    uint64_t fetch_epoch, fetch_at[SIM_OPS_MAX]; /* fetch backoff per dealer */
    uint64_t own_epoch; /* driver cache of the node's own record (pool index) */
    uint8_t own_hash[32];
    int32_t own_idx;
    bool seen_any;
    sim_cache cache[SIM_RING];
    /* write-ahead check: first payload digest per (epoch, tx kind) */
    uint64_t eq_epoch;
    bool eq_have[SIM_TX_KINDS];
    uint8_t eq_digest[SIM_TX_KINDS][32];
    uint64_t steps, halts, crashes;
    /* epochs whose key the sim replaced by a low-order one: the newest and the one before
       (the next epoch's injection, at open + 2, precedes this epoch's liveness census) */
    uint64_t low_key_epoch[2];
    /* summary of the last persisted state: recoverability reads the versions, and the
       erasure checks judge it after every step against the height the node acted on */
    bool sum_ok;
    uint32_t held_count;
    uint64_t held_version[TKMS_PROTO_VERSIONS_MAX];
    uint8_t held_status[TKMS_PROTO_VERSIONS_MAX];
    uint8_t held_hash[TKMS_PROTO_VERSIONS_MAX][32];
    uint64_t held_deadline[TKMS_PROTO_VERSIONS_MAX];
    uint64_t sum_cur_epoch;
    uint8_t sum_phase;
    uint64_t sum_have_component; /* dealers whose component it persisted (cur epoch) */
    bool sum_poly, sum_comps;    /* polynomial / seal seed, components still present */
    uint64_t sum_late_epoch, sum_late_have; /* the late slot (proto.h late share) */
    uint8_t sum_key_pub[TKMS_PROTO_KEYS_MAX][32];
    bool sum_key_priv[TKMS_PROTO_KEYS_MAX];
    uint64_t sum_key_for[TKMS_PROTO_KEYS_MAX];
} sim_actor;

/* ---- oracle (oracle.c) -------------------------------------------------------------- */

typedef struct {
    uint64_t epoch;
    bool used;
    uint32_t n;
    uint16_t t;
    uint64_t source;
    uint32_t op[SIM_OPS_MAX];
    uint64_t malicious;               /* players of O that are malicious */
    uint64_t have_poly;               /* dealers whose polynomial the sim knows */
    tkms_tss_poly poly[SIM_OPS_MAX];  /* true dealing polynomials */
    uint64_t known_eval[SIM_OPS_MAX]; /* [dealer]: players whose f_i(x_j) the adversary knows */
    uint64_t known_zero;              /* dealers whose f_i(0) the adversary knows */
    uint64_t known_poly;              /* dealers whose polynomial the adversary knows */
    bool finalized;
    uint64_t dealers;
    uint64_t known_share; /* players whose share of this version it knows */
    bool shares_ok;
    tkms_bls_fr share[SIM_OPS_MAX]; /* true shares of this version by O index */
    tkms_bls_fr secret;             /* F_v(0) */
    uint32_t max_points;            /* largest adversary point count seen (report) */
} sim_oracle_epoch;

/* ---- the run ------------------------------------------------------------------------ */

typedef struct sim_run sim_run;
typedef void (*sim_hook)(sim_run *run, uint64_t block);

typedef struct {
    uint32_t nodes;     /* initial operators */
    uint32_t nodes_max; /* > nodes: a range, n drawn per seed */
    uint64_t epochs;    /* epochs to run after genesis is started */
    uint64_t seed;
    uint32_t byzantine; /* malicious actors (<= f) */
    bool byz_random;    /* --byzantine not given: 0..f per seed when faults are on */
    sim_faults faults;
    char faults_spec[256];
    const char *scenario;
    bool bls; /* real group */
    int verbose;
    bool expect_halt;  /* deep reorg scenarios: halting is the expected outcome */
    const char *trace; /* file for the chain_diff.mjs replay against the contracts */
} sim_config;

typedef struct {
    bool failed;
    char message[768];
    uint64_t block;
    uint64_t epochs_total, epochs_finalized, epochs_expected, epochs_expected_ok;
    int32_t min_margin;      /* recoverability margin (INT32_MAX before genesis) */
    int32_t min_margin_held; /* the same counting only shares nodes actually hold */
    uint32_t max_retained;
    uint32_t max_adv_points, max_adv_threshold;
    uint64_t steps, crashes, halts, blocks;
    uint64_t honest_reverts[SIM_R_COUNT];
    uint64_t adv_reverts[SIM_R_COUNT];
    uint64_t owner_reverts[SIM_R_COUNT];
    uint64_t finalized_mask_hash; /* hash over (epoch, D) of finalized epochs */
    double proto_seconds;         /* CPU in tkms_proto_step (honest nodes) */
    uint64_t node_epochs;         /* Σ over active epochs of |O| (for CPU per node-epoch) */
    uint64_t proto_steps;
} sim_result;

struct sim_run {
    sim_config cfg;
    sim_params p;
    const tkms_proto_group *group;
    sim_rng rng_chain, rng_net, rng_fault, rng_adv;
    sim_chain chain;
    sim_actor *actors;
    uint32_t actor_count;
    uint8_t addr[SIM_ACTORS_MAX][20]; /* by actor id, read by the chain model */
    tkms_bls_fr xs[SIM_ACTORS_MAX];
    uint32_t n0;
    uint64_t genesis_epoch; /* first active epoch (0 until startGenesis lands) */
    uint64_t last_epoch;    /* run until this epoch's confirm window is over */
    /* network */
    sim_pool pools[SIM_RING];
    sim_msg *msgs;
    size_t msg_count, msg_cap;
    uint8_t partition[SIM_ACTORS_MAX]; /* group per actor; messages across groups drop */
#define SIM_PARTITION_BRIDGE 255       /* a group that reaches every group */
    bool partitioned;
    bool outage; /* RPC outage: no views, no submissions */
    uint64_t partition_until, outage_until;
    bool deep_reorged;
    bool no_liveness;         /* scenario: assumptions broken on purpose, safety only */
    bool confirm_at_deadline; /* scenario: honest confirms land in the window's last block */
    uint64_t refuse_from;     /* SIM_ADV_REFUSE starts once it holds a version >= this */
    uint32_t withhold_count;  /* SIM_ADV_WITHHOLD leaves out this many (0: 1..r) */
    uint64_t sc[16];          /* scenario parameters and counters */
    uint64_t late_acks[SIM_RING], late_acks_epoch[SIM_RING]; /* honest acks past the deadline */
    uint64_t last_removal;               /* block of the last successful deregister/eject */
    uint64_t removed_at[SIM_ACTORS_MAX]; /* block of each actor's last removal */
    int32_t last_margin;
    uint8_t *backup; /* scenario: a node's persisted state restored later */
    uint64_t backup_block_id;
    /* accounting per epoch (ring by epoch) */
    uint64_t disrupted[SIM_RING];    /* actors disrupted during the epoch (bit by actor) */
    uint64_t disrupted_hi[SIM_RING]; /* actors 64..127 */
    uint64_t disrupted_epoch[SIM_RING];
    bool epoch_unfair[SIM_RING]; /* chain/network assumptions broken this epoch */
    uint64_t fallback_streak;    /* consecutive unfinalized epochs (fallback check) */
    uint64_t last_finalized_seen;
    sim_oracle_epoch oracle[SIM_RING * 2];
    sim_decision dec[SIM_RING]; /* reference decisions (check.c) */
    uint64_t dec_epoch[SIM_RING], dec_tip[SIM_RING];
    bool dec_valid[SIM_RING];
    uint64_t reorgs; /* deep and short reorgs so far (invalidates caches) */
    uint64_t rush_attempts;
    tkms_bls_fr master_secret;
    bool has_master;
    sim_hook hook; /* scenario: called at the start of every new height */
    uint64_t hook_high;
    void *scenario_state;
    sim_result res;
    /* scratch */
    sim_view *view, *view2, *view_late; /* view_late: a past epoch (proto.h late share) */
    uint64_t view_h[2], view_bid[2]; /* which (height, top block) each view was built for */
    tkms_proto_actions *actions;
    uint8_t *scratch_state;
    uint8_t *record_buf;
};

/* run.c */
void sim_config_default(sim_config *cfg);
void sim_params_default(sim_params *p);
bool sim_faults_parse(sim_faults *f, const char *spec);
void sim_run_one(sim_result *res, const sim_config *cfg);
void sim_fail(sim_run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_log(sim_run *run, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
uint32_t sim_actor_add(sim_run *run, bool malicious);
void sim_submit(sim_run *run, sim_tx *tx);
bool sim_actor_functional(const sim_run *run, const sim_actor *a);
/* A low-order key the sim set for the actor is pinned in epoch e (or, e == 0: ever was). */
bool sim_actor_low_key(const sim_actor *a, uint64_t e);
void sim_actor_set_low_key(sim_actor *a, uint64_t e);
void sim_actor_join(sim_run *run, uint32_t id, uint64_t block);
void sim_owner_tx(sim_run *run, sim_tx_kind kind, uint32_t target, uint64_t block);

/* net.c */
void sim_net_init(sim_run *run);
void sim_net_free(sim_run *run);
sim_pool *sim_pool_for(sim_run *run, uint64_t epoch, bool create);
int32_t sim_pool_add(sim_run *run, uint64_t epoch, const uint8_t *bytes, size_t len);
int32_t sim_pool_find(sim_run *run, uint64_t epoch, const uint8_t hash[32]);
bool sim_cache_has(const sim_actor *a, uint64_t epoch, uint32_t idx);
void sim_cache_put(sim_actor *a, uint64_t epoch, uint32_t idx);
void sim_cache_clear(sim_actor *a);
void sim_net_send(sim_run *run, uint32_t from, uint32_t to, sim_msg_kind kind, uint64_t epoch,
                  uint32_t rec, const uint8_t *hash);
void sim_net_push_all(sim_run *run, uint32_t from, uint64_t epoch, uint32_t rec,
                      const sim_erec *snap);
void sim_net_deliver(sim_run *run, uint64_t block);
bool sim_net_reachable(const sim_run *run, uint32_t from, uint32_t to);
void sim_record_hash(sim_run *run, uint8_t out[32], const uint8_t *bytes, size_t len,
                     bool *decodes);

/* node.c */
void sim_node_start(sim_run *run, sim_actor *a);
void sim_node_poll(sim_run *run, sim_actor *a, uint64_t block);
void sim_node_crash(sim_run *run, sim_actor *a, uint64_t until);
void sim_node_restart(sim_run *run, sim_actor *a);
void sim_view_records(sim_run *run, sim_view *w, const sim_actor *a);
sim_view *sim_view_at(sim_run *run, uint64_t h);
void sim_execute_actions(sim_run *run, sim_actor *a, const sim_view *w,
                         const tkms_proto_actions *acts, uint32_t crash_at);

/* adversary.c */
void sim_adv_poll(sim_run *run, sim_actor *a, uint64_t block);
void sim_adv_on_message(sim_run *run, sim_actor *a, const sim_msg *m);
bool sim_adv_serves(sim_run *run, const sim_actor *a, uint32_t to, uint64_t epoch);

/* oracle.c */
sim_oracle_epoch *sim_oracle_get(sim_run *run, uint64_t epoch, bool create);
void sim_oracle_capture(sim_run *run, uint32_t actor, uint64_t epoch, const tkms_tss_poly *f);
void sim_oracle_update(sim_run *run, uint64_t block);
void sim_oracle_on_final(sim_run *run, uint64_t epoch);

/* check.c */
void sim_check_persisted(sim_run *run, const sim_actor *a);
void sim_check_erasure(sim_run *run, const sim_actor *a, uint64_t h);
void sim_check_tx(sim_run *run, sim_actor *a, const sim_tx *tx);
void sim_check_block(sim_run *run, uint64_t block);
void sim_check_results(sim_run *run);
void sim_check_epoch_end(sim_run *run, uint64_t epoch);
void sim_check_activate(sim_run *run, const sim_actor *a, uint64_t version);
const sim_decision *sim_reference(sim_run *run, uint64_t epoch);

/* live.c */
void sim_reorg(sim_run *run, uint64_t depth, bool regrow);
void sim_after_mine(sim_run *run, size_t fin_before);
void sim_mark_unfair(sim_run *run, uint64_t block);

/* scenarios.c */
typedef struct {
    const char *name;
    const char *what;
    void (*setup)(sim_run *run);
    void (*finish)(sim_run *run); /* optional: did it exercise what it is named after */
} sim_scenario;
const sim_scenario *sim_scenario_find(const char *name);
const sim_scenario *sim_scenarios(size_t *count);

#endif
