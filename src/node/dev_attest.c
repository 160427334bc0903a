/*
 * dev_attest.c — the dev-ecdsa attestation of api.md (development only): the app owner's
 * secp256k1 key signs
 *   keccak256("tkms-dev-attest-v1|" ‖ app_id ‖ "|" ‖ challenge ‖ "|" ‖ hex(binding hash))
 * (no EIP-191 prefix) as 65 bytes r ‖ s ‖ v, v ∈ {0, 1, 27, 28}, low s; the challenge is
 * "<unix seconds>-<64 lowercase hex nonce>", accepted from 5 minutes old to 30 s ahead,
 * and each nonce is accepted once. This file checks the challenge and the signature and
 * recovers the signer; the caller compares it with the app's on-chain owner and then
 * spends the nonce (dev_attest_nonce_use), so only a fully valid request uses one up.
 *
 * The nonce cache is a fixed set-associative table (DEV_ATTEST_REPLAY_SETS x _WAYS,
 * 2.6 MB) indexed by a keyed hash. A nonce is remembered until its challenge can no
 * longer be accepted. A full set evicts the entry that expires first, so under a flood
 * one nonce may be replayed once evicted — as in the attest layer, acceptable because the
 * answer is encrypted to the RSA key bound into the signature (docs/http.md).
 * Dev mode proves ownership of the app, not the identity of the code that runs.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include "common/tkms_assert.h"
#include "node/http_internal.h"
#include "prim/prim.h"

#define LOCKS 64
#define SECONDS_DIGITS_MAX 12

/* secp256k1 n/2: the largest s accepted (low-s, as EIP-2). */
static const uint8_t half_order[32] = {
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0};

typedef struct {
    uint8_t nonce[32];
    int64_t expires; /* 0: free */
} replay_entry;

struct node_dev_attest {
    bool replay_check;
    uint8_t hash_key[16];
    pthread_mutex_t locks[LOCKS];
    replay_entry *entries; /* DEV_ATTEST_REPLAY_SETS * DEV_ATTEST_REPLAY_WAYS */
};

node_dev_attest *dev_attest_new(bool replay_check) {
    node_dev_attest *d = calloc(1, sizeof *d);
    if (d == NULL) {
        return NULL;
    }
    d->replay_check = replay_check;
    if (replay_check) {
        d->entries =
            calloc((size_t)DEV_ATTEST_REPLAY_SETS * DEV_ATTEST_REPLAY_WAYS, sizeof *d->entries);
        if (d->entries == NULL) {
            free(d);
            return NULL;
        }
    }
    if (getrandom(d->hash_key, sizeof d->hash_key, 0) != (ssize_t)sizeof d->hash_key) {
        memset(d->hash_key, 0xa5, sizeof d->hash_key);
    }
    for (size_t i = 0; i < LOCKS; i++) {
        pthread_mutex_init(&d->locks[i], NULL);
    }
    return d;
}

void dev_attest_free(node_dev_attest *d) {
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < LOCKS; i++) {
        pthread_mutex_destroy(&d->locks[i]);
    }
    free(d->entries);
    free(d);
}

/* "<1..12 digits>-<64 lowercase hex>" → seconds and nonce. */
static bool challenge_parse(int64_t *seconds, uint8_t nonce[32], const char *challenge) {
    size_t digits = strspn(challenge, "0123456789");
    if (digits == 0 || digits > SECONDS_DIGITS_MAX || challenge[digits] != '-') {
        return false;
    }
    const char *hex = challenge + digits + 1;
    if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64) {
        return false;
    }
    int64_t v = 0;
    for (size_t i = 0; i < digits; i++) {
        v = v * 10 + (challenge[i] - '0');
    }
    *seconds = v;
    return http_hex_parse(nonce, 32, hex, 64, false);
}

static tkms_err challenge_check(int64_t *seconds, uint8_t nonce[32], char *message,
                                size_t message_max, const char *challenge, int64_t now) {
    if (!challenge_parse(seconds, nonce, challenge)) {
        snprintf(message, message_max,
                 "challenge must be \"<unix seconds>-<64 lowercase hex nonce>\"");
        return TKMS_ERR_NODE_DEV_CHALLENGE_MALFORMED;
    }
    if (*seconds > now + DEV_ATTEST_FUTURE_S) {
        snprintf(message, message_max, "challenge time %lld is %lld s in the future (max %d)",
                 (long long)*seconds, (long long)(*seconds - now), DEV_ATTEST_FUTURE_S);
        return TKMS_ERR_NODE_DEV_CHALLENGE_FUTURE;
    }
    if (now - *seconds > DEV_ATTEST_WINDOW_S) {
        snprintf(message, message_max, "challenge issued %lld s ago, accepted for %d s",
                 (long long)(now - *seconds), DEV_ATTEST_WINDOW_S);
        return TKMS_ERR_NODE_DEV_CHALLENGE_EXPIRED;
    }
    return TKMS_OK;
}

/* Recovers the Ethereum address of the signer of digest (sig = r ‖ s ‖ v, checked). */
static tkms_err signer_recover(uint8_t signer[20], char *message, size_t message_max,
                               const uint8_t digest[32], const uint8_t *sig, size_t sig_len) {
    uint8_t v = sig_len == DEV_ATTEST_SIGNATURE_BYTES ? sig[64] : 0xff;
    if (sig_len != DEV_ATTEST_SIGNATURE_BYTES || (v != 0 && v != 1 && v != 27 && v != 28)) {
        snprintf(message, message_max, "signature must be 65 bytes r‖s‖v with v in 0,1,27,28");
        return TKMS_ERR_NODE_DEV_SIGNATURE_MALFORMED;
    }
    if (memcmp(sig + 32, half_order, 32) > 0) {
        snprintf(message, message_max, "signature s is not low (s > n/2)");
        return TKMS_ERR_NODE_DEV_SIGNATURE_HIGH_S;
    }
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pub;
    uint8_t point[65];
    size_t point_len = sizeof point;
    int recid = v >= 27 ? v - 27 : v;
    if (!secp256k1_ecdsa_recoverable_signature_parse_compact(secp256k1_context_static, &rs, sig,
                                                             recid) ||
        !secp256k1_ecdsa_recover(secp256k1_context_static, &pub, &rs, digest) ||
        !secp256k1_ec_pubkey_serialize(secp256k1_context_static, point, &point_len, &pub,
                                       SECP256K1_EC_UNCOMPRESSED)) {
        snprintf(message, message_max, "signature does not recover a public key");
        return TKMS_ERR_NODE_DEV_SIGNATURE_INVALID;
    }
    TKMS_ASSERT(point_len == 65);
    uint8_t h[32];
    tkms_prim_keccak256(h, point + 1, 64);
    memcpy(signer, h + 12, 20);
    return TKMS_OK;
}

tkms_err dev_attest_recover(uint8_t signer[20], uint8_t nonce[32], int64_t *expires, char *message,
                            size_t message_max, const char *app_id, const char *challenge,
                            const uint8_t *signature, size_t signature_len,
                            const uint8_t binding[32], int64_t now) {
    TKMS_ASSERT(app_id != NULL && challenge != NULL);
    int64_t seconds = 0;
    memset(signer, 0, 20);
    tkms_err err = challenge_check(&seconds, nonce, message, message_max, challenge, now);
    if (err != TKMS_OK) {
        return err;
    }
    uint8_t digest[32];
    tkms_client_dev_attest_digest_of_binding(digest, app_id, challenge, binding);
    err = signer_recover(signer, message, message_max, digest, signature, signature_len);
    *expires = seconds + DEV_ATTEST_WINDOW_S + 1;
    return err;
}

static size_t replay_set(const node_dev_attest *d, const uint8_t nonce[32]) {
    uint8_t h[TKMS_PRIM_SHA256_BYTES];
    tkms_prim_buf parts[] = {{d->hash_key, sizeof d->hash_key}, {nonce, 32}};
    tkms_prim_sha256_parts(h, parts, 2);
    uint32_t v = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16;
    return v % DEV_ATTEST_REPLAY_SETS;
}

tkms_err dev_attest_nonce_use(node_dev_attest *d, const uint8_t nonce[32], int64_t expires,
                              int64_t now) {
    TKMS_ASSERT(d != NULL);
    if (!d->replay_check) {
        return TKMS_OK; /* benchmarks only (node_config.dev_ecdsa_replay_disabled) */
    }
    size_t set = replay_set(d, nonce);
    replay_entry *ways = &d->entries[set * DEV_ATTEST_REPLAY_WAYS];
    pthread_mutex_t *lock = &d->locks[set % LOCKS];
    tkms_err err = TKMS_OK;
    pthread_mutex_lock(lock);
    replay_entry *slot = &ways[0];
    for (size_t i = 0; i < DEV_ATTEST_REPLAY_WAYS; i++) {
        replay_entry *e = &ways[i];
        if (e->expires > now && memcmp(e->nonce, nonce, 32) == 0) {
            err = TKMS_ERR_NODE_DEV_REPLAYED;
            break;
        }
        if (e->expires < slot->expires) { /* free (0) and expired entries sort first */
            slot = e;
        }
    }
    if (err == TKMS_OK) {
        memcpy(slot->nonce, nonce, 32);
        slot->expires = expires;
    }
    pthread_mutex_unlock(lock);
    return err;
}
