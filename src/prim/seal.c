/*
 * seal.c — the sealed share entry of protocol.md §4.3 / crypto.md §11: a 32-byte share
 * encrypted to a player's X25519 key of the epoch, authenticated with the caller's AAD
 * (be64 epoch ‖ dealer ‖ player ‖ sha256(commitments)).
 *
 * E = e·G for a fresh scalar e; key = HKDF-SHA256(X25519(e, pk), salt = E ‖ pk,
 * info = "tkms-share-v1"); AES-256-GCM with a zero nonce, safe because every key is used
 * exactly once (e is fresh). An empty slot is 80 zero bytes. Opening never crashes on
 * hostile input: a low-order E or any AEAD mismatch is an error the player turns into
 * "no ack".
 */
#include "common/tkms_ct.h"
#include "prim/prim.h"

static const char SEAL_INFO[] = "tkms-share-v1";

static tkms_err seal_key(uint8_t key[TKMS_PRIM_AEAD_KEY_BYTES], const uint8_t shared[32],
                         const uint8_t e_pub[32], const uint8_t recipient[32]) {
    uint8_t salt[64];
    memcpy(salt, e_pub, 32);
    memcpy(salt + 32, recipient, 32);
    return tkms_prim_hkdf_sha256(key, TKMS_PRIM_AEAD_KEY_BYTES, shared, 32, salt, sizeof salt,
                                 (const uint8_t *)SEAL_INFO, sizeof SEAL_INFO - 1);
}

TKMS_EXPORT tkms_err tkms_prim_seal(uint8_t out[TKMS_PRIM_SEALED_BYTES],
                                    const uint8_t recipient[TKMS_PRIM_X25519_BYTES],
                                    const uint8_t *aad, size_t aad_len,
                                    const uint8_t pt[TKMS_PRIM_SEALED_PLAINTEXT_BYTES],
                                    const tkms_rng *rng) {
    uint8_t e[32], shared[32], key[TKMS_PRIM_AEAD_KEY_BYTES];
    static const uint8_t zero_nonce[TKMS_PRIM_AEAD_NONCE_BYTES] = {0};
    tkms_rng_fill(rng, e, sizeof e);
    tkms_err err = tkms_prim_x25519_shared_and_public(shared, out, e, recipient);
    if (err == TKMS_OK) {
        err = seal_key(key, shared, out, recipient);
    }
    if (err == TKMS_OK) {
        err = tkms_prim_aead_seal(out + 32, out + 64, key, zero_nonce, aad, aad_len, pt, 32);
    }
    if (err != TKMS_OK) {
        tkms_wipe(out, TKMS_PRIM_SEALED_BYTES);
    }
    tkms_wipe(e, sizeof e);
    tkms_wipe(shared, sizeof shared);
    tkms_wipe(key, sizeof key);
    return err;
}

TKMS_EXPORT tkms_err tkms_prim_seal_open(uint8_t pt[TKMS_PRIM_SEALED_PLAINTEXT_BYTES],
                                         const uint8_t sealed[TKMS_PRIM_SEALED_BYTES],
                                         const uint8_t priv[TKMS_PRIM_X25519_BYTES],
                                         const uint8_t *aad, size_t aad_len) {
    static const uint8_t empty[TKMS_PRIM_SEALED_BYTES] = {0};
    static const uint8_t zero_nonce[TKMS_PRIM_AEAD_NONCE_BYTES] = {0};
    uint8_t pub[32], shared[32], key[TKMS_PRIM_AEAD_KEY_BYTES];
    tkms_wipe(pt, TKMS_PRIM_SEALED_PLAINTEXT_BYTES);
    if (memcmp(sealed, empty, sizeof empty) == 0) { /* public data: memcmp is fine */
        return TKMS_ERR_PRIM_SEALED_EMPTY;
    }
    tkms_err err = tkms_prim_x25519_shared_and_public(shared, pub, priv, sealed);
    if (err == TKMS_OK) {
        err = seal_key(key, shared, sealed, pub);
    }
    if (err == TKMS_OK) {
        err = tkms_prim_aead_open(pt, key, zero_nonce, aad, aad_len, sealed + 32, 32, sealed + 64);
    }
    tkms_wipe(shared, sizeof shared);
    tkms_wipe(key, sizeof key);
    return err;
}
