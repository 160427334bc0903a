/*
 * record.c — the dealing record of protocol.md §4.3: its canonical binary encoding, the
 * record hash EpochLog.recordHashOf recomputes, the dealer's Ed25519 signature, the
 * normative validity rules, building a dealer's record (commitments and sealed shares),
 * and opening one's own sealed share with its Feldman check (crypto.md §6).
 *
 * It does not fetch records, compare them with the chain or decide acks: the state
 * machine feeds it the expected values read from the chain (I1). No allocation, no I/O.
 * Secrets here are the polynomial, the shares and the X25519 private key: evaluation,
 * encoding and sealing are constant time in them, and every temporary copy is wiped.
 * Layouts and the reasons for each rule: docs/wire-formats.md §2–3.
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "common/tkms_bytes.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"
#include "proto/wire.h"

_Static_assert(TKMS_PROTO_RECORD_THRESHOLD_MAX <= TKMS_TSS_THRESHOLD_MAX, "tss bound");
_Static_assert(TKMS_PROTO_RECORD_PLAYERS_MAX <= TKMS_TSS_OPERATORS_MAX, "tss bound");
_Static_assert(TKMS_PROTO_RECORD_PLAYERS_MAX <= 64, "empty-slot bitmap is a uint64_t");
_Static_assert(TKMS_PROTO_COMMITMENT_BYTES == TKMS_BLS_G2_BYTES, "compressed G2");
_Static_assert(TKMS_PROTO_SEALED_BYTES == TKMS_PRIM_SEALED_BYTES, "prim seal format");
_Static_assert(TKMS_PROTO_SIGNATURE_BYTES == TKMS_PRIM_ED25519_SIG_BYTES, "Ed25519");
_Static_assert(TKMS_PROTO_ED25519_PUBLIC_BYTES == TKMS_PRIM_ED25519_PUBLIC_BYTES, "Ed25519");
_Static_assert(TKMS_PROTO_ED25519_SEED_BYTES == TKMS_PRIM_ED25519_SEED_BYTES, "Ed25519");
_Static_assert(TKMS_PROTO_X25519_BYTES == TKMS_PRIM_X25519_BYTES, "X25519");
_Static_assert(TKMS_PROTO_HASH_BYTES == TKMS_PRIM_SHA256_BYTES, "sha256");
_Static_assert(TKMS_PROTO_ADDRESS_BYTES == TKMS_TSS_ADDRESS_BYTES, "addresses");
_Static_assert(TKMS_PROTO_RECORD_HEADER_BYTES == 1 + 8 + 20 + 8 + 2, "header layout");
_Static_assert(TKMS_PROTO_SHARE_AAD_BYTES == 8 + 20 + 20 + 32, "AAD layout");
_Static_assert(TKMS_PROTO_RECORD_BYTES_MIN == 281, "documented size");
_Static_assert(TKMS_PROTO_RECORD_BYTES_MAX == 11369, "documented size");
_Static_assert(TKMS_PROTO_RECORD_BYTES_MAX <= UINT32_MAX, "fits the envelope's be32 length");

static const char RECORD_TAG[] = "tkms-record-v1"; /* 14 bytes, no NUL */





/* The invariant every record in memory must satisfy before it is encoded or hashed. */
static bool record_is_well_formed(const tkms_proto_record *r) {
    TKMS_ASSERT(r != NULL);
    const tkms_proto_record_header *h = &r->header;
    return h->version == TKMS_PROTO_RECORD_VERSION && h->threshold >= 1 &&
           h->threshold <= TKMS_PROTO_RECORD_THRESHOLD_MAX && r->players >= 1 &&
           r->players <= TKMS_PROTO_RECORD_PLAYERS_MAX && h->threshold <= r->players;
}

static void header_write(uint8_t out[TKMS_PROTO_RECORD_HEADER_BYTES],
                         const tkms_proto_record_header *h) {
    TKMS_ASSERT(h->version == TKMS_PROTO_RECORD_VERSION);
    TKMS_ASSERT(out != NULL);
    out[0] = h->version;
    tkms_store_be64(out + 1, h->epoch);
    memcpy(out + 9, h->dealer, TKMS_PROTO_ADDRESS_BYTES);
    tkms_store_be64(out + 29, h->source);
    tkms_store_be16(out + 37, h->threshold);
    TKMS_ASSERT(tkms_load_be16(out + 37) == h->threshold);
}

/* ---- codec ------------------------------------------------------------------------ */

TKMS_EXPORT size_t tkms_proto_record_encoded_bytes(const tkms_proto_record *r) {
    TKMS_ASSERT(r != NULL);
    TKMS_ASSERT(record_is_well_formed(r));
    size_t len = TKMS_PROTO_RECORD_BYTES(r->header.threshold, r->players);
    TKMS_ASSERT(len >= TKMS_PROTO_RECORD_BYTES_MIN && len <= TKMS_PROTO_RECORD_BYTES_MAX);
    return len;
}

TKMS_EXPORT tkms_err tkms_proto_record_encode(uint8_t *out, size_t out_max, size_t *out_len,
                                              const tkms_proto_record *r) {
    TKMS_ASSERT(out != NULL && out_len != NULL);
    size_t need = tkms_proto_record_encoded_bytes(r);
    *out_len = 0;
    if (out_max < need) {
        return TKMS_ERR_PROTO_BUFFER_SMALL;
    }
    size_t t = r->header.threshold, n = r->players, off = 0;
    header_write(out, &r->header);
    off += TKMS_PROTO_RECORD_HEADER_BYTES;
    memcpy(out + off, r->commitments, t * TKMS_PROTO_COMMITMENT_BYTES);
    off += t * TKMS_PROTO_COMMITMENT_BYTES;
    tkms_store_be16(out + off, r->players);
    off += 2;
    memcpy(out + off, r->sealed, n * TKMS_PROTO_SEALED_BYTES);
    off += n * TKMS_PROTO_SEALED_BYTES;
    memcpy(out + off, r->signature, TKMS_PROTO_SIGNATURE_BYTES);
    off += TKMS_PROTO_SIGNATURE_BYTES;
    TKMS_ASSERT(off == need);
    *out_len = off;
    return TKMS_OK;
}

/* Header fields; the layout after byte 0 is that of version 1, so the version is checked
   as soon as it is present. */
static tkms_err decode_header(tkms_proto_record_header *h, const uint8_t *in, size_t len) {
    TKMS_ASSERT(h != NULL);
    TKMS_ASSERT(in != NULL || len == 0);
    if (len >= 1 && in[0] != TKMS_PROTO_RECORD_VERSION) {
        return TKMS_ERR_PROTO_RECORD_VERSION;
    }
    if (len < TKMS_PROTO_RECORD_HEADER_BYTES) {
        return TKMS_ERR_PROTO_RECORD_TRUNCATED;
    }
    h->version = in[0];
    h->epoch = tkms_load_be64(in + 1);
    memcpy(h->dealer, in + 9, TKMS_PROTO_ADDRESS_BYTES);
    h->source = tkms_load_be64(in + 29);
    h->threshold = tkms_load_be16(in + 37);
    if (h->threshold == 0 || h->threshold > TKMS_PROTO_RECORD_THRESHOLD_MAX) {
        return TKMS_ERR_PROTO_RECORD_THRESHOLD_RANGE;
    }
    return TKMS_OK;
}

/* The rest once the header is known. Lengths are bounded (t, n <= 64) before any
   arithmetic, so no sum below can overflow. */
static tkms_err decode_body(tkms_proto_record *r, const uint8_t *in, size_t len) {
    size_t t = r->header.threshold;
    TKMS_ASSERT(t >= 1 && t <= TKMS_PROTO_RECORD_THRESHOLD_MAX);
    size_t off = TKMS_PROTO_RECORD_HEADER_BYTES + t * TKMS_PROTO_COMMITMENT_BYTES;
    if (len < off + 2) {
        return TKMS_ERR_PROTO_RECORD_TRUNCATED;
    }
    uint16_t n = tkms_load_be16(in + off);
    if (n == 0 || n > TKMS_PROTO_RECORD_PLAYERS_MAX) {
        return TKMS_ERR_PROTO_RECORD_PLAYERS_RANGE;
    }
    if (t > n) {
        return TKMS_ERR_PROTO_RECORD_THRESHOLD_ABOVE_PLAYERS;
    }
    size_t total = TKMS_PROTO_RECORD_BYTES(t, n);
    if (len < total) {
        return TKMS_ERR_PROTO_RECORD_TRUNCATED;
    }
    if (len > total) {
        return TKMS_ERR_PROTO_RECORD_TRAILING;
    }
    r->players = n;
    memcpy(r->commitments, in + TKMS_PROTO_RECORD_HEADER_BYTES, t * TKMS_PROTO_COMMITMENT_BYTES);
    memcpy(r->sealed, in + off + 2, (size_t)n * TKMS_PROTO_SEALED_BYTES);
    memcpy(r->signature, in + total - TKMS_PROTO_SIGNATURE_BYTES, TKMS_PROTO_SIGNATURE_BYTES);
    TKMS_ASSERT(record_is_well_formed(r));
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_proto_record_decode(tkms_proto_record *out, const uint8_t *in,
                                              size_t len) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(in != NULL || len == 0);
    memset(out, 0, sizeof *out);
    tkms_err err = decode_header(&out->header, in, len);
    if (err == TKMS_OK) {
        err = decode_body(out, in, len);
    }
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    TKMS_ASSERT(tkms_proto_record_encoded_bytes(out) == len);
    return TKMS_OK;
}

/* ---- hash and signature --------------------------------------------------------------- */

TKMS_EXPORT void tkms_proto_record_header_hash(
    uint8_t out[TKMS_PROTO_HASH_BYTES], const tkms_proto_domain *domain,
    const tkms_proto_record_header *header,
    const uint8_t commitments_hash[TKMS_PROTO_HASH_BYTES],
    const uint8_t sealed_hash[TKMS_PROTO_HASH_BYTES]) {
    TKMS_ASSERT(out != NULL && domain != NULL && header != NULL);
    TKMS_ASSERT(commitments_hash != NULL && sealed_hash != NULL);
    uint8_t chain_id[8], head[TKMS_PROTO_RECORD_HEADER_BYTES];
    tkms_store_be64(chain_id, domain->chain_id);
    header_write(head, header);
    const tkms_prim_buf parts[6] = {
        {(const uint8_t *)RECORD_TAG, sizeof RECORD_TAG - 1},
        {chain_id, sizeof chain_id},
        {domain->epoch_log, TKMS_PROTO_ADDRESS_BYTES},
        {head, sizeof head},
        {commitments_hash, TKMS_PROTO_HASH_BYTES},
        {sealed_hash, TKMS_PROTO_HASH_BYTES},
    };
    tkms_prim_sha256_parts(out, parts, 6);
}

TKMS_EXPORT void tkms_proto_record_commitments_hash(uint8_t out[TKMS_PROTO_HASH_BYTES],
                                                    const tkms_proto_record *r) {
    TKMS_ASSERT(out != NULL && r != NULL);
    TKMS_ASSERT(r->header.threshold >= 1 &&
                r->header.threshold <= TKMS_PROTO_RECORD_THRESHOLD_MAX);
    tkms_prim_sha256(out, r->commitments[0],
                     (size_t)r->header.threshold * TKMS_PROTO_COMMITMENT_BYTES);
}

TKMS_EXPORT void tkms_proto_record_sealed_hash(uint8_t out[TKMS_PROTO_HASH_BYTES],
                                               const tkms_proto_record *r) {
    TKMS_ASSERT(out != NULL && r != NULL);
    TKMS_ASSERT(r->players >= 1 && r->players <= TKMS_PROTO_RECORD_PLAYERS_MAX);
    tkms_prim_sha256(out, r->sealed[0], (size_t)r->players * TKMS_PROTO_SEALED_BYTES);
}

TKMS_EXPORT void tkms_proto_record_hash(uint8_t out[TKMS_PROTO_HASH_BYTES],
                                        const tkms_proto_domain *domain,
                                        const tkms_proto_record *r) {
    TKMS_ASSERT(r != NULL);
    TKMS_ASSERT(record_is_well_formed(r));
    uint8_t ch[TKMS_PROTO_HASH_BYTES], sh[TKMS_PROTO_HASH_BYTES];
    tkms_proto_record_commitments_hash(ch, r);
    tkms_proto_record_sealed_hash(sh, r);
    tkms_proto_record_header_hash(out, domain, &r->header, ch, sh);
}

TKMS_EXPORT void tkms_proto_record_sign(tkms_proto_record *r, const tkms_proto_domain *domain,
                                        const uint8_t seed[TKMS_PROTO_ED25519_SEED_BYTES]) {
    TKMS_ASSERT(r != NULL && seed != NULL);
    uint8_t hash[TKMS_PROTO_HASH_BYTES];
    tkms_proto_record_hash(hash, domain, r);
    tkms_prim_ed25519_sign(r->signature, seed, hash, sizeof hash);
    TKMS_ASSERT(record_is_well_formed(r));
}

TKMS_EXPORT tkms_err tkms_proto_record_signature_verify(
    const tkms_proto_record *r, const tkms_proto_domain *domain,
    const uint8_t pub[TKMS_PROTO_ED25519_PUBLIC_BYTES]) {
    TKMS_ASSERT(r != NULL && pub != NULL);
    uint8_t hash[TKMS_PROTO_HASH_BYTES];
    tkms_proto_record_hash(hash, domain, r);
    bool ok = tkms_prim_ed25519_verify(r->signature, pub, hash, sizeof hash);
    return ok ? TKMS_OK : TKMS_ERR_PROTO_RECORD_SIGNATURE;
}

/* ---- validity ------------------------------------------------------------------------- */

TKMS_EXPORT tkms_err tkms_proto_record_commitments_decode(
    tkms_tss_commitments *out, size_t *bad_index, tkms_err *bls_err,
    const uint8_t (*commitments)[TKMS_PROTO_COMMITMENT_BYTES], size_t t) {
    TKMS_ASSERT(out != NULL && commitments != NULL);
    TKMS_ASSERT(t >= 1 && t <= TKMS_PROTO_RECORD_THRESHOLD_MAX);
    out->t = (uint32_t)t;
    for (size_t k = 0; k < TKMS_TSS_THRESHOLD_MAX; k++) {
        tkms_bls_g2_identity(&out->c[k]); /* unused slots: as tkms_tss_poly_commit leaves them */
    }
    for (size_t k = 0; k < t; k++) {
        tkms_err err = tkms_bls_g2_decode(&out->c[k], commitments[k]);
        if (err != TKMS_OK) {
            if (bad_index != NULL) {
                *bad_index = k;
            }
            if (bls_err != NULL) {
                *bls_err = err;
            }
            memset(out, 0, sizeof *out);
            return TKMS_ERR_PROTO_RECORD_COMMITMENT_INVALID;
        }
    }
    /* A zero constant term: docs/wire-formats.md §3 rule 9. */
    if (tkms_bls_g2_is_identity(&out->c[0])) {
        memset(out, 0, sizeof *out);
        return TKMS_ERR_PROTO_RECORD_COMMITMENT_IDENTITY;
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_proto_record_reshare_constant_vartime(
    tkms_bls_g2 *out, const tkms_tss_commitments *source_commitments,
    const uint8_t dealer[TKMS_PROTO_ADDRESS_BYTES]) {
    TKMS_ASSERT(out != NULL && source_commitments != NULL && dealer != NULL);
    TKMS_ASSERT(source_commitments->t >= 1 && source_commitments->t <= TKMS_TSS_THRESHOLD_MAX);
    tkms_bls_fr x;
    tkms_err err = tkms_tss_point_from_address(&x, dealer);
    if (err != TKMS_OK) {
        tkms_bls_g2_identity(out);
        return err;
    }
    tkms_tss_public_share_vartime(out, source_commitments, &x);
    return TKMS_OK;
}

/* Rules 1–7: header fields, counts and the committed hash (cheap, no curve work). */
static tkms_err validate_fields(const tkms_proto_record *r, const tkms_proto_domain *domain,
                                const tkms_proto_record_expect *e) {
    const tkms_proto_record_header *h = &r->header;
    TKMS_ASSERT(e->threshold >= 1 && e->threshold <= e->players);
    TKMS_ASSERT(e->players <= TKMS_PROTO_RECORD_PLAYERS_MAX);
    if (h->version != TKMS_PROTO_RECORD_VERSION) {
        return TKMS_ERR_PROTO_RECORD_VERSION;
    }
    if (h->epoch != e->epoch) {
        return TKMS_ERR_PROTO_RECORD_EPOCH;
    }
    if (memcmp(h->dealer, e->dealer, TKMS_PROTO_ADDRESS_BYTES) != 0) {
        return TKMS_ERR_PROTO_RECORD_DEALER;
    }
    if (h->source != e->source) {
        return TKMS_ERR_PROTO_RECORD_SOURCE;
    }
    if (h->threshold != e->threshold) {
        return TKMS_ERR_PROTO_RECORD_THRESHOLD;
    }
    if (r->players != e->players) {
        return TKMS_ERR_PROTO_RECORD_PLAYERS;
    }
    TKMS_ASSERT(record_is_well_formed(r)); /* follows from the two checks above */
    uint8_t hash[TKMS_PROTO_HASH_BYTES];
    tkms_proto_record_hash(hash, domain, r);
    if (memcmp(hash, e->committed_hash, sizeof hash) != 0) { /* public data */
        return TKMS_ERR_PROTO_RECORD_HASH_MISMATCH;
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_proto_record_validate(tkms_tss_commitments *commitments,
                                                const tkms_proto_record *r,
                                                const tkms_proto_domain *domain,
                                                const tkms_proto_record_expect *expect) {
    TKMS_ASSERT(commitments != NULL && r != NULL && domain != NULL && expect != NULL);
    /* A reshare needs PK_i(V); a DKG must not be given one. */
    TKMS_ASSERT((expect->source == TKMS_PROTO_DKG_SOURCE) == (expect->reshare_constant == NULL));
    memset(commitments, 0, sizeof *commitments);
    tkms_err err = validate_fields(r, domain, expect);
    if (err != TKMS_OK) {
        return err;
    }
    err = tkms_proto_record_commitments_decode(commitments, NULL, NULL, r->commitments,
                                               r->header.threshold);
    if (err != TKMS_OK) {
        return err;
    }
    if (expect->reshare_constant != NULL &&
        !tkms_bls_g2_equal(&commitments->c[0], expect->reshare_constant)) {
        memset(commitments, 0, sizeof *commitments);
        return TKMS_ERR_PROTO_RECORD_RESHARE_CONSTANT;
    }
    TKMS_ASSERT(commitments->t == r->header.threshold);
    return TKMS_OK;
}

/* ---- dealing -------------------------------------------------------------------------- */

TKMS_EXPORT void tkms_proto_record_share_aad(
    uint8_t out[TKMS_PROTO_SHARE_AAD_BYTES], uint64_t epoch,
    const uint8_t dealer[TKMS_PROTO_ADDRESS_BYTES], const uint8_t player[TKMS_PROTO_ADDRESS_BYTES],
    const uint8_t commitments_hash[TKMS_PROTO_HASH_BYTES]) {
    TKMS_ASSERT(out != NULL && dealer != NULL);
    TKMS_ASSERT(player != NULL && commitments_hash != NULL);
    tkms_store_be64(out, epoch);
    memcpy(out + 8, dealer, TKMS_PROTO_ADDRESS_BYTES);
    memcpy(out + 28, player, TKMS_PROTO_ADDRESS_BYTES);
    memcpy(out + 48, commitments_hash, TKMS_PROTO_HASH_BYTES);
}

static bool key_is_absent(const uint8_t key[TKMS_PROTO_X25519_BYTES]) {
    static const uint8_t zero[TKMS_PROTO_X25519_BYTES] = {0};
    TKMS_ASSERT(key != NULL);
    return memcmp(key, zero, sizeof zero) == 0; /* a public key: memcmp is fine */
}

/* Player j's entry: f(x_j) sealed to its key, or an empty slot (no key, or a low-order
   key: X25519 gives the all-zero secret, protocol.md §4.3). */
static tkms_err seal_one(uint8_t out[TKMS_PROTO_SEALED_BYTES], bool *empty,
                         const tkms_proto_record *r, const tkms_tss_poly *f,
                         const tkms_proto_player *player,
                         const uint8_t commitments_hash[TKMS_PROTO_HASH_BYTES],
                         const tkms_rng *rng) {
    TKMS_ASSERT(out != NULL && empty != NULL);
    TKMS_ASSERT(f->t == r->header.threshold);
    memset(out, 0, TKMS_PROTO_SEALED_BYTES);
    *empty = true;
    tkms_bls_fr x;
    tkms_err err = tkms_tss_point_from_address(&x, player->address);
    if (err != TKMS_OK || key_is_absent(player->x25519)) {
        return err;
    }
    uint8_t aad[TKMS_PROTO_SHARE_AAD_BYTES], pt[TKMS_PRIM_SEALED_PLAINTEXT_BYTES];
    tkms_proto_record_share_aad(aad, r->header.epoch, r->header.dealer, player->address,
                                commitments_hash);
    tkms_tss_secret s;
    tkms_tss_poly_eval(&s, f, &x);
    tkms_bls_fr_encode(pt, &s.v);
    err = tkms_prim_seal(out, player->x25519, aad, sizeof aad, pt, rng);
    if (err == TKMS_ERR_PRIM_X25519_ZERO) {
        memset(out, 0, TKMS_PROTO_SEALED_BYTES);
        err = TKMS_OK;
    } else if (err == TKMS_OK) {
        *empty = false;
    }
    tkms_tss_secret_wipe(&s);
    tkms_wipe(pt, sizeof pt);
    return err;
}

static tkms_err players_check(const tkms_proto_player *players, size_t count) {
    TKMS_ASSERT(players != NULL || count == 0);
    if (count == 0 || count > TKMS_PROTO_RECORD_PLAYERS_MAX) {
        return TKMS_ERR_PROTO_RECORD_PLAYERS_RANGE;
    }
    for (size_t j = 1; j < count; j++) {
        if (memcmp(players[j - 1].address, players[j].address, TKMS_PROTO_ADDRESS_BYTES) >= 0) {
            return TKMS_ERR_PROTO_PLAYERS_ORDER;
        }
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_proto_record_seal(tkms_proto_record *r, uint64_t *empty_slots,
                                            const tkms_tss_poly *f,
                                            const tkms_proto_player *players, size_t count,
                                            const tkms_rng *rng) {
    TKMS_ASSERT(r != NULL && f != NULL && rng != NULL);
    TKMS_ASSERT(f->t >= 1 && f->t == r->header.threshold);
    memset(r->sealed, 0, sizeof r->sealed);
    r->players = 0;
    if (empty_slots != NULL) {
        *empty_slots = 0;
    }
    tkms_err err = players_check(players, count);
    if (err != TKMS_OK) {
        return err;
    }
    uint8_t ch[TKMS_PROTO_HASH_BYTES];
    tkms_proto_record_commitments_hash(ch, r);
    uint64_t empty = 0;
    for (size_t j = 0; j < count && err == TKMS_OK; j++) {
        bool e = false;
        err = seal_one(r->sealed[j], &e, r, f, &players[j], ch, rng);
        empty |= (uint64_t)e << j;
    }
    if (err != TKMS_OK) {
        memset(r->sealed, 0, sizeof r->sealed);
        return err;
    }
    r->players = (uint16_t)count;
    TKMS_ASSERT(r->players == count);
    if (empty_slots != NULL) {
        *empty_slots = empty;
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_proto_record_deal(
    tkms_proto_record *out, uint64_t *empty_slots, const tkms_proto_domain *domain,
    const tkms_proto_record_header *header, const tkms_tss_poly *f,
    const tkms_proto_player *players, size_t count,
    const uint8_t seed[TKMS_PROTO_ED25519_SEED_BYTES], const tkms_rng *rng) {
    TKMS_ASSERT(out != NULL && header != NULL && f != NULL && seed != NULL);
    TKMS_ASSERT(header->version == TKMS_PROTO_RECORD_VERSION);
    TKMS_ASSERT(f->t >= 1 && f->t <= TKMS_PROTO_RECORD_THRESHOLD_MAX);
    TKMS_ASSERT(header->threshold == f->t);
    memset(out, 0, sizeof *out);
    out->header = *header;
    tkms_tss_commitments c;
    tkms_tss_poly_commit(&c, f);
    for (uint32_t k = 0; k < f->t; k++) {
        tkms_bls_g2_encode(out->commitments[k], &c.c[k]);
    }
    tkms_err err = tkms_proto_record_seal(out, empty_slots, f, players, count, rng);
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
        return err;
    }
    if (out->header.threshold > out->players) { /* t' = ceil(2n/3) <= n for a real O */
        memset(out, 0, sizeof *out);
        return TKMS_ERR_PROTO_RECORD_THRESHOLD_ABOVE_PLAYERS;
    }
    tkms_proto_record_sign(out, domain, seed);
    return TKMS_OK;
}

/* ---- opening one's own share ------------------------------------------------------------ */

/* prim's opening errors as proto's. prim aborts on OpenSSL failures, so nothing else can
   come back (asserted: a new prim error must be mapped here, not leak through). */
static tkms_err share_error(tkms_err prim_err) {
    tkms_err err = prim_err;
    if (prim_err == TKMS_ERR_PRIM_SEALED_EMPTY) {
        err = TKMS_ERR_PROTO_SHARE_EMPTY;
    } else if (prim_err == TKMS_ERR_PRIM_X25519_ZERO) {
        err = TKMS_ERR_PROTO_SHARE_LOW_ORDER;
    } else if (prim_err == TKMS_ERR_PRIM_AEAD) {
        err = TKMS_ERR_PROTO_SHARE_AEAD;
    }
    TKMS_ASSERT(err == TKMS_OK || err == TKMS_ERR_PROTO_SHARE_EMPTY ||
                err == TKMS_ERR_PROTO_SHARE_LOW_ORDER || err == TKMS_ERR_PROTO_SHARE_AEAD);
    TKMS_ASSERT((err == TKMS_OK) == (prim_err == TKMS_OK));
    return err;
}

TKMS_EXPORT tkms_err tkms_proto_record_share_decrypt(
    tkms_tss_secret *share, const tkms_proto_record *r, size_t index,
    const uint8_t player[TKMS_PROTO_ADDRESS_BYTES],
    const uint8_t x25519_private[TKMS_PROTO_X25519_BYTES]) {
    TKMS_ASSERT(share != NULL && r != NULL);
    TKMS_ASSERT(player != NULL && x25519_private != NULL);
    tkms_wipe(share, sizeof *share);
    if (!record_is_well_formed(r) || index >= r->players) {
        return TKMS_ERR_PROTO_RECORD_PLAYERS;
    }
    uint8_t ch[TKMS_PROTO_HASH_BYTES], aad[TKMS_PROTO_SHARE_AAD_BYTES];
    uint8_t pt[TKMS_PRIM_SEALED_PLAINTEXT_BYTES];
    tkms_proto_record_commitments_hash(ch, r);
    tkms_proto_record_share_aad(aad, r->header.epoch, r->header.dealer, player, ch);
    tkms_err err = share_error(
        tkms_prim_seal_open(pt, r->sealed[index], x25519_private, aad, sizeof aad));
    if (err == TKMS_OK && tkms_bls_fr_decode(&share->v, pt) != TKMS_OK) {
        err = TKMS_ERR_PROTO_SHARE_RANGE;
    }
    tkms_wipe(pt, sizeof pt);
    if (err != TKMS_OK) {
        tkms_tss_secret_wipe(share);
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_proto_record_share_open(
    tkms_tss_secret *share, const tkms_proto_record *r, const tkms_tss_commitments *commitments,
    size_t index, const uint8_t player[TKMS_PROTO_ADDRESS_BYTES],
    const uint8_t x25519_private[TKMS_PROTO_X25519_BYTES]) {
    TKMS_ASSERT(share != NULL && commitments != NULL);
    tkms_err err = tkms_proto_record_share_decrypt(share, r, index, player, x25519_private);
    if (err != TKMS_OK) {
        return err;
    }
    /* The commitments must be this record's, decoded by tkms_proto_record_validate. */
    TKMS_ASSERT(commitments->t == r->header.threshold);
    tkms_bls_fr x;
    err = tkms_tss_point_from_address(&x, player);
    if (err == TKMS_OK && !tkms_tss_share_verify_vartime(share, &x, commitments)) {
        err = TKMS_ERR_PROTO_SHARE_INVALID;
    }
    if (err != TKMS_OK) {
        tkms_tss_secret_wipe(share);
    }
    return err;
}
