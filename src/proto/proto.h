/*
 * proto.h — the epoch protocol (DKG and reshare) as a pure state machine.
 *
 * Spec: protocol.md §3–6 (phases, decide, versions, erasure), invariants I1–I6.
 *
 * Walkthrough. One node's machine is driven by one kind of event:
 *   TKMS_PROTO_EV_CHAIN   the chain as of a FINAL block H (H is `confirmations` deep), read
 *                         by the driver with pinned calls: the epoch's snapshot (O, keys,
 *                         t', r, source), its progress (commits, reveals with their
 *                         commitments, acks, openings, confirmations, finalization), the
 *                         global state (MPK, finalized version, retained set C) and the
 *                         dealing records obtained from peers so far. The driver keeps
 *                         peer records deduplicated by hash and hands over only those that
 *                         match the on-chain committed hash (protocol.md §8), so a bogus
 *                         first push never blocks the real record; the machine still
 *                         validates every record fully.
 * and answers with actions, executed by the driver IN ORDER:
 *   PERSIST  write tkms_proto_state_encode() durably; nothing after it may run until it
 *            has (I4: persist before announce; a failed write halts the node);
 *   TX_*     one chain transaction (commit, reveal, ack, open, confirm, set epoch key);
 *   SEND_RECORD / FETCH_RECORD   peer traffic;
 *   ACTIVATE / ERASE / ALERT     key-version bookkeeping and operator alerts.
 * Per epoch e with trigger B (all boundaries acted on once final):
 *   1. B final: a dealer builds its polynomial (random constant for the DKG, its share of
 *      the source version for a reshare), persists it, posts commitDealing(record hash);
 *      the node also publishes its X25519 key for the next epoch.
 *   2. commit deadline final: revealDealing(commitments, sha256(sealed)), push the record.
 *      A block later, a player fetches the committed records it has not been pushed, and
 *      opens those whose reveal is final.
 *   3. reveal deadline final: for every revealed dealer, obtain its record (push/fetch),
 *      open the own sealed share, check it (Feldman), persist verified components, ack;
 *      a missing record is waited for only while the ack keeps
 *      TKMS_PROTO_ACK_SLACK_BLOCKS blocks of slack.
 *   4. ack deadline final: a dealer opens the shares of the players without its bit
 *      (at most r, else none).
 *   5. open deadline (cutoff) final: D is computed from chain data alone (I1); if
 *      |D| >= t' (DKG) or t(V) (reshare) the node combines its share, checks I2, persists
 *      it as PENDING and confirms (mpk, stateHash, D).
 *   6. finalization final: the pending version is activated if its stateHash won, else
 *      erased. Versions leaving the retained set are erased.
 *   7. late (§4 step 7): a retained version this node does not hold, because it came back
 *      after that epoch's confirm deadline (crash, downtime) or could not confirm in time,
 *      is computed from the components it persisted for that epoch plus the on-chain
 *      openings (openings alone for a player that was away all epoch), checked against
 *      the winning stateHash and activated. The driver asks tkms_proto_late_wanted()
 *      before each step and attaches a view of that epoch as `late`; each version is
 *      tried once.
 *
 * Caveats.
 * - No I/O, no clock, no globals: the state is plain data (tkms_proto_state_encode /
 *   _decode round-trip), randomness comes from a DRBG kept in the state and seeded by the
 *   driver (OS randomness in production, the run seed in the simulator).
 * - Group operations go through tkms_proto_group (style R14): production passes
 *   tkms_proto_group_bls() (tss over BLS12-381); the simulator passes a transparent group
 *   with the same algebra over Fr so that thousands of epochs run in seconds. The
 *   protocol logic is the same code either way.
 * - A chain view older than what the node already acted on (a reorg deeper than the
 *   confirmation depth) or a chain MPK different from the bound one is never followed:
 *   step() returns TKMS_ERR_PROTO_HALT with an ALERT and the node stops (I3, I6).
 */
#ifndef TKMS_PROTO_H
#define TKMS_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tkms_err.h"
#include "common/tkms_rng.h"
#include "proto/wire.h"
#include "tss/tss.h"

/* Limits (style R11); TKMS_PROTO_OPERATORS_MAX and the byte sizes are in wire.h. */
#define TKMS_PROTO_VERSIONS_MAX 8 /* held versions: retained set plus one pending */
#define TKMS_PROTO_KEYS_MAX 4     /* X25519 epoch keys alive at once */
#define TKMS_PROTO_ACTIONS_MAX 16
#define TKMS_PROTO_RETAINED_MAX 8
#define TKMS_PROTO_RESEND_BLOCKS 3 /* re-send a transaction not seen after this many blocks */
#define TKMS_PROTO_ACK_SLACK_BLOCKS 2 /* an ack waiting for records leaves this many blocks */

_Static_assert(TKMS_PROTO_OPERATORS_MAX <= 64, "bitmaps are uint64_t");
_Static_assert(TKMS_PROTO_OPERATORS_MAX <= TKMS_TSS_OPERATORS_MAX, "tss bounds");

/* ---- the group interface --------------------------------------------------------- */

/* Commitments in their 96-byte wire form (compressed G2 for BLS); decoded by the group. */
typedef struct {
    uint16_t t;
    uint8_t c[TKMS_TSS_THRESHOLD_MAX][TKMS_PROTO_COMMITMENT_BYTES];
} tkms_proto_commitments;

/* Every operation takes the group's ctx first (NULL for a stateless group). */
typedef struct tkms_proto_group {
    /* commitments of a polynomial */
    void (*commit)(void *ctx, tkms_proto_commitments *out, const tkms_tss_poly *f);
    /* strict check of received commitments (decodes, right count); false = invalid */
    bool (*commitments_valid)(void *ctx, const tkms_proto_commitments *c);
    /* Feldman: s matches c at x */
    bool (*share_verify)(void *ctx, const tkms_tss_secret *s, const tkms_bls_fr *x,
                         const tkms_proto_commitments *c);
    /* out = Σ w_i c_i (w = NULL: plain sum), all of the same t */
    void (*combine)(void *ctx, tkms_proto_commitments *out,
                    const tkms_proto_commitments *const *cs, const tkms_bls_fr *w, size_t count);
    /* the public share Σ c_k x^k, written in the 96-byte form */
    void (*public_share)(void *ctx, uint8_t out[TKMS_PROTO_COMMITMENT_BYTES],
                         const tkms_proto_commitments *c, const tkms_bls_fr *x);
    /* true if the 96-byte value is the group identity */
    bool (*is_identity)(void *ctx, const uint8_t v[TKMS_PROTO_COMMITMENT_BYTES]);
    void *ctx;
} tkms_proto_group;

/* tss over BLS12-381 G2, stateless: every call decodes its points again. */
TKMS_EXPORT const tkms_proto_group *tkms_proto_group_bls(void);

/* A memo of strict G2 decodes and public shares for one thread (group_bls.c explains
   why): results are keyed by their whole input, so a cached group answers exactly as the
   stateless one. `points` (TKMS_PROTO_G2_CACHE_WAYS..TKMS_PROTO_G2_CACHE_POINTS_MAX) bounds
   its memory at about 400 bytes a point; rng keys the set index. NULL: out of memory. */
#define TKMS_PROTO_G2_CACHE_WAYS 4
#define TKMS_PROTO_G2_CACHE_POINTS_MAX 65536
typedef struct tkms_proto_g2_cache tkms_proto_g2_cache;
TKMS_EXPORT tkms_proto_g2_cache *tkms_proto_g2_cache_new(size_t points, const tkms_rng *rng);
TKMS_EXPORT void tkms_proto_g2_cache_free(tkms_proto_g2_cache *cache);
/* Lookups answered from the cache, and computed (points and public shares together). */
TKMS_EXPORT void tkms_proto_g2_cache_stats(const tkms_proto_g2_cache *cache, uint64_t *hits,
                                           uint64_t *misses);
/* The BLS group over `cache` (borrowed: it must outlive the group; one thread at a time). */
TKMS_EXPORT tkms_proto_group tkms_proto_group_bls_cached(tkms_proto_g2_cache *cache);

/* ---- configuration and chain view -------------------------------------------------- */

typedef struct {
    uint64_t chain_id;
    uint8_t epoch_log[20];
    uint8_t self[20];
    uint64_t interval;
    uint64_t commit_offset, reveal_offset, ack_offset, open_offset, confirm_offset;
    uint64_t confirmations; /* c: a transaction sent at final height H lands at H + c + 1
                               at the earliest (the head is H + c) */
} tkms_proto_config;

typedef struct {
    uint8_t address[20];
    uint8_t ed25519[32];
    uint8_t x25519[32]; /* all zero: no valid epoch key (the player's share is opened) */
} tkms_proto_operator;

/* The chain as of the final block `height` (see the walkthrough). Pointers are borrowed
   for the duration of the step. Bitmaps are over indices of O (address order). */
typedef struct tkms_proto_chain_view {
    uint64_t height;
    uint64_t epoch;  /* floor(height / interval): the newest final trigger */
    bool active;     /* the epoch runs (after startGenesis, >= min_operators) */
    /* snapshot of `epoch` as of its trigger */
    uint32_t n;
    tkms_proto_operator ops[TKMS_PROTO_OPERATORS_MAX];
    uint16_t t, r;
    uint64_t source;  /* TKMS_PROTO_DKG_SOURCE for a DKG */
    uint16_t source_t;
    const tkms_proto_commitments *source_commitments; /* V's combined commitments */
    /* progress of `epoch` as of `height` */
    uint64_t committed, revealed, acked, confirmed;
    uint8_t record_hash[TKMS_PROTO_OPERATORS_MAX][32];
    const tkms_proto_commitments *dealing[TKMS_PROTO_OPERATORS_MAX]; /* revealed ones */
    uint64_t ack_bitmap[TKMS_PROTO_OPERATORS_MAX];                  /* by player */
    uint64_t opened[TKMS_PROTO_OPERATORS_MAX];                      /* by dealer */
    const uint8_t (*opened_share)[TKMS_PROTO_OPERATORS_MAX][32]; /* [dealer][player]; n rows */
    bool finalized;
    uint8_t winning_state_hash[32];
    uint64_t winning_dealers;
    /* records from peers that match the committed hashes (NULL: not obtained yet) */
    const uint8_t *record[TKMS_PROTO_OPERATORS_MAX];
    size_t record_len[TKMS_PROTO_OPERATORS_MAX];
    /* this node's latest setEpochKey as of `height` (registry epochKeyAt(self, height); zero
       if none): a published key that did not land is sent again */
    uint8_t own_key_latest[32];
    /* global state as of `height` */
    bool has_mpk;
    uint8_t mpk[TKMS_PROTO_COMMITMENT_BYTES];
    uint64_t finalized_version;
    uint32_t retained_count;
    uint64_t retained[TKMS_PROTO_RETAINED_MAX]; /* newest first */
    uint8_t retained_state_hash[TKMS_PROTO_RETAINED_MAX][32]; /* their winning hashes */
    uint64_t retained_confirm_deadline[TKMS_PROTO_RETAINED_MAX];
    /* the epoch tkms_proto_late_wanted() asked for, read at this same height (NULL: none;
       its own `late`, records and global fields are not used) */
    const struct tkms_proto_chain_view *late;
} tkms_proto_chain_view;

/* ---- state ------------------------------------------------------------------------ */

typedef enum {
    TKMS_PROTO_VERSION_EMPTY = 0,
    TKMS_PROTO_VERSION_PENDING = 1,
    TKMS_PROTO_VERSION_ACTIVE = 2,
} tkms_proto_version_status;

typedef struct {
    uint64_t version; /* the epoch that created it */
    uint8_t status;   /* tkms_proto_version_status */
    uint16_t t;
    uint64_t confirm_deadline;
    uint8_t state_hash[32];
    tkms_tss_secret share; /* secret */
    tkms_proto_commitments commitments; /* combined */
} tkms_proto_version;

typedef enum {
    TKMS_PROTO_PHASE_IDLE = 0, /* not in O, inactive, or waiting for the trigger */
    TKMS_PROTO_PHASE_DEALT,    /* polynomial persisted, commit sent */
    TKMS_PROTO_PHASE_REVEALED, /* reveal sent, record pushed */
    TKMS_PROTO_PHASE_ACKED,    /* components persisted, ack sent */
    TKMS_PROTO_PHASE_OPENED,   /* openings sent (or none needed) */
    TKMS_PROTO_PHASE_DECIDED,  /* D computed; pending persisted and confirm sent, or not */
} tkms_proto_phase;

typedef struct {
    tkms_proto_config config;
    uint8_t ed25519_seed[32]; /* secret */
    uint8_t drbg_key[32];     /* secret */
    uint64_t drbg_counter;
    bool mpk_bound;
    uint8_t mpk[TKMS_PROTO_COMMITMENT_BYTES];
    uint64_t last_height; /* highest view acted on */
    struct {
        uint64_t published_for; /* epoch this key was published for (first use) */
        uint8_t priv[32];       /* secret */
        uint8_t pub[32];
    } keys[TKMS_PROTO_KEYS_MAX];
    tkms_proto_version versions[TKMS_PROTO_VERSIONS_MAX];
    struct {
        uint64_t epoch;
        uint8_t phase; /* tkms_proto_phase */
        bool dealer;   /* this node deals in this epoch */
        bool key_published;
        tkms_tss_poly poly; /* secret, erased once the open deadline is final */
        uint8_t record_hash[32];
        uint8_t seal_seed[32]; /* secret: derives the sealing scalars, erased with poly */
        uint64_t have_component; /* dealers whose share to me verified */
        uint64_t failed;         /* dealers whose share to me failed (no ack) */
        uint64_t sent_height[8]; /* per transaction kind: height of the last send */
        tkms_tss_secret component[TKMS_PROTO_OPERATORS_MAX]; /* secret */
    } cur;
    /* components of an epoch left undecided at the next trigger, kept for the late share
       (§4 step 7) until that version is computed, abandoned or leaves C */
    struct {
        uint64_t epoch; /* 0: empty */
        uint64_t have_component;
        tkms_tss_secret component[TKMS_PROTO_OPERATORS_MAX]; /* secret */
    } late;
    uint64_t late_tried[TKMS_PROTO_RETAINED_MAX]; /* retained versions already tried late */
} tkms_proto_state;

/* ---- events and actions -------------------------------------------------------------- */

typedef enum {
    TKMS_PROTO_EV_CHAIN = 1,
} tkms_proto_event_kind;

typedef struct {
    tkms_proto_event_kind kind;
    const tkms_proto_chain_view *chain;
} tkms_proto_event;

typedef enum {
    TKMS_PROTO_ACT_PERSIST = 1,
    TKMS_PROTO_ACT_TX_COMMIT,
    TKMS_PROTO_ACT_TX_REVEAL,
    TKMS_PROTO_ACT_TX_ACK,
    TKMS_PROTO_ACT_TX_OPEN,
    TKMS_PROTO_ACT_TX_CONFIRM,
    TKMS_PROTO_ACT_TX_SET_EPOCH_KEY,
    TKMS_PROTO_ACT_SEND_RECORD,
    TKMS_PROTO_ACT_FETCH_RECORD,
    TKMS_PROTO_ACT_ACTIVATE,
    TKMS_PROTO_ACT_ERASE,
    TKMS_PROTO_ACT_ALERT,
} tkms_proto_action_kind;

typedef struct {
    tkms_proto_action_kind kind;
    uint64_t epoch;
    uint64_t arg;       /* ack/confirm: bitmap; activate/erase: version; fetch: dealer index */
    uint8_t hash[32];   /* commit: record hash; reveal: sealed hash; confirm: state hash */
    uint8_t key[32];    /* set epoch key: the public key */
    uint8_t mpk[TKMS_PROTO_COMMITMENT_BYTES]; /* confirm: the combined constant term */
    uint16_t t;         /* reveal: number of commitments (their bytes: own record) */
    uint32_t count;     /* open: number of entries */
    uint8_t players[TKMS_PROTO_OPERATORS_MAX][20];
    uint8_t shares[TKMS_PROTO_OPERATORS_MAX][32]; /* open: shares in clear (they are public) */
    const char *reason; /* alert: a static string */
} tkms_proto_action;

typedef struct {
    uint32_t count;
    tkms_proto_action a[TKMS_PROTO_ACTIONS_MAX];
} tkms_proto_actions;

/* ---- API ----------------------------------------------------------------------------- */

/* A fresh state: config, the operator's Ed25519 seed, a DRBG seed (secret inputs are
   copied; the caller wipes its copies). */
TKMS_EXPORT void tkms_proto_init(tkms_proto_state *s, const tkms_proto_config *config,
                                 const uint8_t ed25519_seed[32], const uint8_t drbg_seed[32]);
/* One step. Returns TKMS_OK, an error for a rejected event (bad record: the state is
   unchanged), or TKMS_ERR_PROTO_HALT (see Caveats). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_step(tkms_proto_state *s,
                                                   const tkms_proto_group *group,
                                                   const tkms_proto_event *ev,
                                                   tkms_proto_actions *out);
/* The node's own dealing record for the current epoch (rebuilt deterministically from the
   persisted polynomial and seal seed), for SEND_RECORD and for serving fetches. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_own_record(uint8_t *out, size_t out_max,
                                                         size_t *out_len,
                                                         const tkms_proto_state *s,
                                                         const tkms_proto_group *group,
                                                         const tkms_proto_chain_view *view);
/* The retained version the driver should attach as `view->late` for the next step with
   this view (a view of that epoch at the same height), or 0 for none: the newest retained
   version this node neither holds nor has tried late. */
TKMS_EXPORT uint64_t tkms_proto_late_wanted(const tkms_proto_state *s,
                                            const tkms_proto_chain_view *v);

/* Stable binary encoding of the whole state (secrets included: the store seals it). */
TKMS_EXPORT size_t tkms_proto_state_encoded_bytes(void);
TKMS_EXPORT void tkms_proto_state_encode(uint8_t *out, const tkms_proto_state *s);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_state_decode(tkms_proto_state *s,
                                                           const uint8_t *in, size_t len);
TKMS_EXPORT void tkms_proto_state_wipe(tkms_proto_state *s);

/* The share a node holds for version v, or NULL (serving partials). */
TKMS_EXPORT const tkms_proto_version *tkms_proto_version_get(const tkms_proto_state *s,
                                                             uint64_t v);

/* stateHash of protocol.md §4 step 6 (exposed for the chain model and tests). */
TKMS_EXPORT void tkms_proto_state_hash(uint8_t out[32], const tkms_proto_config *config,
                                       uint64_t epoch, uint64_t source,
                                       const tkms_proto_commitments *combined,
                                       const uint8_t (*dealers)[20], size_t dealer_count);

#endif
