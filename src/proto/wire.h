/*
 * wire.h — the protocol's wire formats: the dealing record (protocol.md §4.3) with its
 * record hash, validity rules, dealing and opening helpers, and the signed peer envelope
 * (protocol.md §8) in its canonical binary form and its JSON form. Normative byte layouts
 * and the reasons behind each rule: docs/wire-formats.md.
 *
 * Contract (spec: protocol.md §4.3, §8; crypto.md §2, §6, §11, §12)
 * - Pure: no I/O, no logging, no global mutable state; thread-safe on distinct objects.
 *   The record codec, hashing, validation, dealing and opening never allocate (the
 *   structs are fixed-size; OpenSSL allocates inside prim's SHA-256/Ed25519/AEAD calls).
 *   The envelope's JSON decoder uses jansson, which allocates: it is the adapter
 *   boundary towards HTTP, and frees everything before it returns.
 * - Decoders are strict and bounded: every length is checked against the limits below
 *   before it is used, trailing bytes are rejected, and each failure has its own tkms_err
 *   (proto_errors.def, 600–649). Accepted encodings are canonical: encode(decode(b)) == b.
 *   On failure outputs are zeroed.
 * - Record decoding is structural only (cheap: no curve arithmetic), so a node can hash a
 *   pushed record and compare it with the on-chain commitment before it spends any
 *   subgroup checks on it. tkms_proto_record_validate() then applies every validity rule,
 *   cheapest first, each with its own error.
 * - Secrets: the dealing polynomial (tkms_tss_poly), shares (tkms_tss_secret), the X25519
 *   private key and the Ed25519 seed. Functions touching them are constant time in them
 *   and wipe their own temporaries; the caller wipes its inputs. Everything else here
 *   (records, commitments, envelopes, hashes) is public; `_vartime` takes public inputs.
 * - Sealed shares are opened only by their player; an empty slot, an AEAD failure, a
 *   low-order ephemeral key, a non-canonical or a wrong share are distinct errors that
 *   all mean "no ack" (protocol.md §4 step 3) — never a crash.
 * - The record's Ed25519 signature is a peer-side filter, not a validity condition: the
 *   chain authenticates the dealer (msg.sender) and a record is valid iff its hash is the
 *   committed one and the rules hold (docs/wire-formats.md §3).
 */
#ifndef TKMS_PROTO_WIRE_H
#define TKMS_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bls/bls.h"
#include "common/tkms_err.h"
#include "common/tkms_rng.h"
#include "tss/tss.h"

/* ---- limits and sizes (style R11) ------------------------------------------------- */
#define TKMS_PROTO_OPERATORS_MAX 64
#define TKMS_PROTO_DKG_SOURCE UINT64_MAX
#define TKMS_PROTO_COMMITMENT_BYTES 96
#define TKMS_PROTO_RECORD_VERSION 1
#define TKMS_PROTO_RECORD_THRESHOLD_MAX 64
#define TKMS_PROTO_RECORD_PLAYERS_MAX TKMS_PROTO_OPERATORS_MAX
#define TKMS_PROTO_ADDRESS_BYTES 20
#define TKMS_PROTO_HASH_BYTES 32
#define TKMS_PROTO_SEALED_BYTES 80   /* E (32) ‖ ciphertext (32) ‖ tag (16) */
#define TKMS_PROTO_SIGNATURE_BYTES 64 /* Ed25519 */
#define TKMS_PROTO_ED25519_PUBLIC_BYTES 32
#define TKMS_PROTO_ED25519_SEED_BYTES 32
#define TKMS_PROTO_X25519_BYTES 32
#define TKMS_PROTO_SHARE_AAD_BYTES 80 /* be64 epoch ‖ dealer ‖ player ‖ sha256(commitments) */
/* u8 version ‖ be64 epoch ‖ dealer (20) ‖ be64 source ‖ be16 t' */
#define TKMS_PROTO_RECORD_HEADER_BYTES 39
/* header ‖ t'·96 ‖ be16 n ‖ n·80 ‖ signature (64) */
#define TKMS_PROTO_RECORD_BYTES(t, n)                                                       \
    (TKMS_PROTO_RECORD_HEADER_BYTES + (size_t)(t) * TKMS_PROTO_COMMITMENT_BYTES + 2 +       \
     (size_t)(n) * TKMS_PROTO_SEALED_BYTES + TKMS_PROTO_SIGNATURE_BYTES)
#define TKMS_PROTO_RECORD_BYTES_MIN TKMS_PROTO_RECORD_BYTES(1, 1)  /* 281 */
#define TKMS_PROTO_RECORD_BYTES_MAX                                                        \
    TKMS_PROTO_RECORD_BYTES(TKMS_PROTO_RECORD_THRESHOLD_MAX, TKMS_PROTO_RECORD_PLAYERS_MAX)
/* u8 v ‖ be64 epoch ‖ u8 type ‖ from (20) ‖ u8 to_kind ‖ to (20) ‖ be32 body length */
#define TKMS_PROTO_ENVELOPE_HEADER_BYTES 55
#define TKMS_PROTO_ENVELOPE_BYTES_MAX                                                      \
    (TKMS_PROTO_ENVELOPE_HEADER_BYTES + TKMS_PROTO_RECORD_BYTES_MAX + TKMS_PROTO_SIGNATURE_BYTES)
#define TKMS_PROTO_ENVELOPE_VERSION 1
#define TKMS_PROTO_ENVELOPE_EPOCH_MAX INT64_MAX /* what a JSON integer can carry */
/* The JSON form of the largest envelope is 23 042 bytes; anything longer is refused unparsed. */
#define TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX 24576

/* ---- shared types ------------------------------------------------------------------ */

/* The deployment every hash and signature is bound to (the chain id and EpochLog). */
typedef struct {
    uint64_t chain_id;
    uint8_t epoch_log[TKMS_PROTO_ADDRESS_BYTES];
} tkms_proto_domain;

/* A player of O as a dealer sees it: its address and its X25519 key for the epoch (all
   zero: no key, the slot stays empty and the share must be opened, protocol.md §4.5). */
typedef struct {
    uint8_t address[TKMS_PROTO_ADDRESS_BYTES];
    uint8_t x25519[TKMS_PROTO_X25519_BYTES];
} tkms_proto_player;

/* ---- dealing record (protocol.md §4.3) ------------------------------------------------ */

typedef struct {
    uint8_t version; /* TKMS_PROTO_RECORD_VERSION */
    uint64_t epoch;
    uint8_t dealer[TKMS_PROTO_ADDRESS_BYTES];
    uint64_t source;    /* TKMS_PROTO_DKG_SOURCE for a DKG */
    uint16_t threshold; /* t' = number of commitments */
} tkms_proto_record_header;

/* A decoded record: plain data, public. Only the first `threshold` commitments and the
   first `players` sealed entries are meaningful (the rest is zero after decode). */
typedef struct {
    tkms_proto_record_header header;
    uint16_t players; /* |O|: one sealed entry per player, in address order */
    uint8_t commitments[TKMS_PROTO_RECORD_THRESHOLD_MAX][TKMS_PROTO_COMMITMENT_BYTES];
    uint8_t sealed[TKMS_PROTO_RECORD_PLAYERS_MAX][TKMS_PROTO_SEALED_BYTES];
    uint8_t signature[TKMS_PROTO_SIGNATURE_BYTES];
} tkms_proto_record;

/* What a node expects of dealer `dealer`'s record in `epoch`, all from the chain snapshot
   and progress at pinned blocks (I1). reshare_constant is PK_i(V) of this dealer under the
   source version's combined commitments (tkms_proto_record_reshare_constant_vartime) and
   must be given iff source != TKMS_PROTO_DKG_SOURCE. */
typedef struct {
    uint64_t epoch;
    uint8_t dealer[TKMS_PROTO_ADDRESS_BYTES];
    uint64_t source;
    uint16_t threshold; /* t' of the epoch */
    uint16_t players;   /* |O| */
    uint8_t committed_hash[TKMS_PROTO_HASH_BYTES]; /* commitDealing's record hash */
    const tkms_bls_g2 *reshare_constant;
} tkms_proto_record_expect;

/* Size of r's encoding; r must be well formed (asserted). */
TKMS_EXPORT size_t tkms_proto_record_encoded_bytes(const tkms_proto_record *r);
/* Canonical encoding; TKMS_ERR_PROTO_BUFFER_SMALL if out_max is too small. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_encode(uint8_t *out, size_t out_max,
                                                            size_t *out_len,
                                                            const tkms_proto_record *r);
/* Structural decode: truncation, trailing bytes, version, 1 <= t' <= 64, 1 <= n <= 64,
   t' <= n. Does not touch the curve (see tkms_proto_record_validate). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_decode(tkms_proto_record *out,
                                                            const uint8_t *in, size_t len);

/* The record hash from its parts, exactly as EpochLog.recordHashOf recomputes it:
   sha256("tkms-record-v1" ‖ be64 chain id ‖ EpochLog ‖ header ‖ commitments_hash ‖
   sealed_hash). */
TKMS_EXPORT void tkms_proto_record_header_hash(
    uint8_t out[TKMS_PROTO_HASH_BYTES], const tkms_proto_domain *domain,
    const tkms_proto_record_header *header,
    const uint8_t commitments_hash[TKMS_PROTO_HASH_BYTES],
    const uint8_t sealed_hash[TKMS_PROTO_HASH_BYTES]);
/* sha256 of the t'·96 commitment bytes / of the n·80 sealed bytes. */
TKMS_EXPORT void tkms_proto_record_commitments_hash(uint8_t out[TKMS_PROTO_HASH_BYTES],
                                                    const tkms_proto_record *r);
TKMS_EXPORT void tkms_proto_record_sealed_hash(uint8_t out[TKMS_PROTO_HASH_BYTES],
                                               const tkms_proto_record *r);
/* The record hash of r (the signature is not covered). */
TKMS_EXPORT void tkms_proto_record_hash(uint8_t out[TKMS_PROTO_HASH_BYTES],
                                        const tkms_proto_domain *domain,
                                        const tkms_proto_record *r);

/* Signs the record hash with the dealer's Ed25519 seed (secret) into r->signature. */
TKMS_EXPORT void tkms_proto_record_sign(tkms_proto_record *r, const tkms_proto_domain *domain,
                                        const uint8_t seed[TKMS_PROTO_ED25519_SEED_BYTES]);
/* TKMS_OK or TKMS_ERR_PROTO_RECORD_SIGNATURE under the dealer's registered key. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_signature_verify(
    const tkms_proto_record *r, const tkms_proto_domain *domain,
    const uint8_t pub[TKMS_PROTO_ED25519_PUBLIC_BYTES]);

/* Strict decode of t commitments (1 <= t <= 64) given as 96-byte compressed G2 points
   (a record's, or a DealingRevealed event's): each through tkms_bls_g2_decode, and C_0
   must not be the identity. TKMS_ERR_PROTO_RECORD_COMMITMENT_INVALID (the index in
   *bad_index and the bls error in *bls_err, both optional) or
   TKMS_ERR_PROTO_RECORD_COMMITMENT_IDENTITY. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_commitments_decode(
    tkms_tss_commitments *out, size_t *bad_index, tkms_err *bls_err,
    const uint8_t (*commitments)[TKMS_PROTO_COMMITMENT_BYTES], size_t t);

/* PK_i(V) = Σ_k V_k·x_i^k: what C_0 of dealer i's reshare record must equal (crypto §6).
   Fails only with TKMS_ERR_TSS_ZERO_POINT for an address whose point is zero. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_reshare_constant_vartime(
    tkms_bls_g2 *out, const tkms_tss_commitments *source_commitments,
    const uint8_t dealer[TKMS_PROTO_ADDRESS_BYTES]);

/* The normative validity rules, in this order, each with its own error:
     version == 1                    TKMS_ERR_PROTO_RECORD_VERSION
     epoch == expected               TKMS_ERR_PROTO_RECORD_EPOCH
     dealer == expected              TKMS_ERR_PROTO_RECORD_DEALER
     source == expected              TKMS_ERR_PROTO_RECORD_SOURCE
     t' == the epoch's t'            TKMS_ERR_PROTO_RECORD_THRESHOLD
     players == |O|                  TKMS_ERR_PROTO_RECORD_PLAYERS
     record hash == committed hash   TKMS_ERR_PROTO_RECORD_HASH_MISMATCH
     every commitment decodes        TKMS_ERR_PROTO_RECORD_COMMITMENT_INVALID
     C_0 is not the identity         TKMS_ERR_PROTO_RECORD_COMMITMENT_IDENTITY
     reshare: C_0 == PK_i(V)         TKMS_ERR_PROTO_RECORD_RESHARE_CONSTANT
   On success *commitments holds the decoded commitments. The Ed25519 signature is not a
   validity rule (tkms_proto_record_signature_verify). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_validate(
    tkms_tss_commitments *commitments, const tkms_proto_record *r,
    const tkms_proto_domain *domain, const tkms_proto_record_expect *expect);

/* AAD of player's sealed entry: be64 epoch ‖ dealer ‖ player ‖ sha256(commitments). */
TKMS_EXPORT void tkms_proto_record_share_aad(
    uint8_t out[TKMS_PROTO_SHARE_AAD_BYTES], uint64_t epoch,
    const uint8_t dealer[TKMS_PROTO_ADDRESS_BYTES], const uint8_t player[TKMS_PROTO_ADDRESS_BYTES],
    const uint8_t commitments_hash[TKMS_PROTO_HASH_BYTES]);

/* Fills r->players and r->sealed: player j (strictly ascending addresses, 1..64 of them)
   gets f(x_j) sealed to its X25519 key, or an empty slot (80 zero bytes) when it has no
   key or a low-order one; bit j of *empty_slots (optional) tells which. r->header and
   r->commitments must already be set (the AAD binds sha256(commitments)). Randomness
   (the ephemeral scalars) comes from rng. Constant time in f. Errors:
   TKMS_ERR_PROTO_RECORD_PLAYERS_RANGE, TKMS_ERR_PROTO_PLAYERS_ORDER,
   TKMS_ERR_TSS_ZERO_POINT; r->sealed is zeroed on failure. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_seal(tkms_proto_record *r,
                                                          uint64_t *empty_slots,
                                                          const tkms_tss_poly *f,
                                                          const tkms_proto_player *players,
                                                          size_t count, const tkms_rng *rng);

/* A dealer's whole record: the header (version 1 and threshold == f->t, asserted),
   commitments C_k = a_k·g2, sealed shares (tkms_proto_record_seal) and the Ed25519
   signature over the record hash. Errors as tkms_proto_record_seal, and
   TKMS_ERR_PROTO_RECORD_THRESHOLD_ABOVE_PLAYERS when f->t > count; *out is zeroed on
   failure. For a DKG f is random; for a reshare f(0) is the dealer's share of V. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_deal(
    tkms_proto_record *out, uint64_t *empty_slots, const tkms_proto_domain *domain,
    const tkms_proto_record_header *header, const tkms_tss_poly *f,
    const tkms_proto_player *players, size_t count,
    const uint8_t seed[TKMS_PROTO_ED25519_SEED_BYTES], const tkms_rng *rng);

/* Player side: decrypts entry `index` (the player's position in O) of r with its X25519
   private key and the AAD for `player`, and decodes the share canonically. Errors:
   TKMS_ERR_PROTO_RECORD_PLAYERS (index >= r->players), TKMS_ERR_PROTO_SHARE_EMPTY,
   TKMS_ERR_PROTO_SHARE_LOW_ORDER, TKMS_ERR_PROTO_SHARE_AEAD, TKMS_ERR_PROTO_SHARE_RANGE.
   *share is zero on failure. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_share_decrypt(
    tkms_tss_secret *share, const tkms_proto_record *r, size_t index,
    const uint8_t player[TKMS_PROTO_ADDRESS_BYTES],
    const uint8_t x25519_private[TKMS_PROTO_X25519_BYTES]);
/* tkms_proto_record_share_decrypt, then the Feldman check against the record's decoded
   commitments (from tkms_proto_record_validate) at the player's point:
   TKMS_ERR_PROTO_SHARE_INVALID if it fails. *share is zero on failure. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_record_share_open(
    tkms_tss_secret *share, const tkms_proto_record *r, const tkms_tss_commitments *commitments,
    size_t index, const uint8_t player[TKMS_PROTO_ADDRESS_BYTES],
    const uint8_t x25519_private[TKMS_PROTO_X25519_BYTES]);

/* ---- peer envelope (protocol.md §8) ---------------------------------------------------- */

typedef enum {
    TKMS_PROTO_ENVELOPE_RECORD = 1, /* body: a whole dealing record */
    TKMS_PROTO_ENVELOPE_FETCH = 2,  /* body: the hash of the record asked for */
} tkms_proto_envelope_type;

typedef struct {
    uint8_t version; /* TKMS_PROTO_ENVELOPE_VERSION */
    uint64_t epoch;  /* <= TKMS_PROTO_ENVELOPE_EPOCH_MAX; a record body has this epoch */
    uint8_t type;    /* tkms_proto_envelope_type */
    uint8_t from[TKMS_PROTO_ADDRESS_BYTES];
    bool to_all; /* "*": every peer; then `to` is zero */
    uint8_t to[TKMS_PROTO_ADDRESS_BYTES];
    union {
        tkms_proto_record record;                     /* TKMS_PROTO_ENVELOPE_RECORD */
        uint8_t record_hash[TKMS_PROTO_HASH_BYTES];   /* TKMS_PROTO_ENVELOPE_FETCH */
    } body;
    uint8_t signature[TKMS_PROTO_SIGNATURE_BYTES];
} tkms_proto_envelope;

/* Binary form: the signed fields (docs/wire-formats.md §4) ‖ signature. */
TKMS_EXPORT size_t tkms_proto_envelope_encoded_bytes(const tkms_proto_envelope *env);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_envelope_encode(uint8_t *out, size_t out_max,
                                                              size_t *out_len,
                                                              const tkms_proto_envelope *env);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_envelope_decode(tkms_proto_envelope *out,
                                                              const uint8_t *in, size_t len);

/* Ed25519 over "tkms-peer-v1" ‖ be64 chain id ‖ EpochLog ‖ the binary form without the
   signature. sign() writes env->signature; verify() is the receiver's signature check
   given the sender's registered key: TKMS_OK or TKMS_ERR_PROTO_ENVELOPE_SIGNATURE. The
   other receiver checks (sender in O, `to`, epoch) are the state machine's. */
TKMS_EXPORT void tkms_proto_envelope_sign(tkms_proto_envelope *env,
                                          const tkms_proto_domain *domain,
                                          const uint8_t seed[TKMS_PROTO_ED25519_SEED_BYTES]);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_envelope_verify(
    const tkms_proto_envelope *env, const tkms_proto_domain *domain,
    const uint8_t pub[TKMS_PROTO_ED25519_PUBLIC_BYTES]);

/* JSON form {"v","epoch","type","from","to","body","sig"} (docs/wire-formats.md §5).
   encode() writes a NUL-terminated string (out_max must exceed its length, else
   TKMS_ERR_PROTO_BUFFER_SMALL) in a fixed key order without whitespace. decode() is strict:
   at most TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX bytes, exactly the seven keys, no duplicates,
   lowercase 0x-hex, and the same structural checks as the binary decoder. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_envelope_json_encode(char *out, size_t out_max,
                                                                   size_t *out_len,
                                                                   const tkms_proto_envelope *env);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_proto_envelope_json_decode(tkms_proto_envelope *out,
                                                                   const char *in, size_t len);

#endif
