/*
 * wallet.c — an app's mnemonic and addresses (crypto.md §10).
 *
 * entropy = HKDF-SHA256(sk_id compressed, salt "tkms-mnemonic-v1", info id) → BIP-39
 * 24-word English mnemonic → seed (PBKDF2-HMAC-SHA512, 2048 rounds) → EVM addresses at
 * BIP-32 m/44'/60'/0'/0/i (secp256k1, EIP-55) and Solana addresses at SLIP-10 ed25519
 * m/44'/501'/i'/0' (base58). Every intermediate secret is wiped before return.
 */
#include <secp256k1.h>
#include <string.h>

#include "client/internal.h"
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "common/tkms_rng.h"
#include "prim/prim.h"

#define HARDENED 0x80000000u

static const char MNEMONIC_SALT[] = "tkms-mnemonic-v1";

TKMS_EXPORT tkms_err tkms_client_mnemonic_from_entropy(char *out, size_t out_max,
                                                       const uint8_t *entropy, size_t len) {
    if (len < 16 || len > 32 || len % 4 != 0) {
        return TKMS_ERR_CLIENT_BAD_MNEMONIC;
    }
    uint8_t bits[33], hash[TKMS_PRIM_SHA256_BYTES];
    tkms_prim_sha256(hash, entropy, len);
    memcpy(bits, entropy, len);
    bits[len] = hash[0]; /* checksum: the first len/4 bits of the hash */
    size_t words = (len * 8 + len / 4) / 11, pos = 0;
    out[0] = 0;
    for (size_t w = 0; w < words; w++) {
        uint32_t idx = 0;
        for (size_t b = 0; b < 11; b++) {
            size_t bit = w * 11 + b;
            idx = (idx << 1) | ((bits[bit / 8] >> (7 - bit % 8)) & 1);
        }
        const char *word = BIP39_ENGLISH[idx];
        size_t wl = strlen(word);
        if (pos + wl + 2 > out_max) {
            tkms_wipe(out, out_max);
            tkms_wipe(bits, sizeof bits);
            return TKMS_ERR_CLIENT_BUFFER;
        }
        if (w > 0) {
            out[pos++] = ' ';
        }
        memcpy(out + pos, word, wl);
        pos += wl;
        out[pos] = 0;
    }
    tkms_wipe(bits, sizeof bits);
    tkms_wipe(hash, sizeof hash);
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_client_mnemonic_to_seed(uint8_t seed[TKMS_CLIENT_SEED_BYTES],
                                                  const char *mnemonic, const char *passphrase) {
    char salt[8 + 256];
    size_t plen = strlen(passphrase);
    if (plen > 256) {
        return TKMS_ERR_CLIENT_BAD_MNEMONIC;
    }
    memcpy(salt, "mnemonic", 8);
    memcpy(salt + 8, passphrase, plen);
    tkms_err err = tkms_prim_pbkdf2_sha512(seed, TKMS_CLIENT_SEED_BYTES, (const uint8_t *)mnemonic,
                                           strlen(mnemonic), (const uint8_t *)salt, 8 + plen,
                                           2048);
    tkms_wipe(salt, sizeof salt);
    return err;
}

TKMS_EXPORT tkms_err tkms_client_app_mnemonic(char *out, size_t out_max, const tkms_bls_g1 *sk_id,
                                              const uint8_t *id, size_t id_len) {
    uint8_t sk[TKMS_BLS_G1_BYTES], entropy[32];
    tkms_bls_g1_encode(sk, sk_id);
    tkms_err err = tkms_prim_hkdf_sha256(entropy, sizeof entropy, sk, sizeof sk,
                                         (const uint8_t *)MNEMONIC_SALT, sizeof MNEMONIC_SALT - 1,
                                         id, id_len);
    if (err == TKMS_OK) {
        err = tkms_client_mnemonic_from_entropy(out, out_max, entropy, sizeof entropy);
    }
    tkms_wipe(sk, sizeof sk);
    tkms_wipe(entropy, sizeof entropy);
    return err;
}

/* ---- BIP-32 (secp256k1) and SLIP-10 (ed25519) --------------------------------------- */

static secp256k1_context *secp_new(void) {
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32];
    TKMS_ASSERT(ctx != NULL);
    tkms_rng_fill(tkms_rng_os(), seed, sizeof seed); /* side-channel blinding */
    TKMS_ASSERT(secp256k1_context_randomize(ctx, seed) == 1);
    return ctx;
}

static void ser32(uint8_t out[4], uint32_t v) {
    for (int i = 0; i < 4; i++) {
        out[i] = (uint8_t)(v >> (24 - 8 * i));
    }
}

/* One child step. data = 0x00 ‖ k ‖ i (hardened) or serP(K) ‖ i (BIP-32 normal). */
static tkms_err child(tkms_client_hd_node *node, uint32_t index, bool ed25519,
                      secp256k1_context *ctx) {
    uint8_t data[37], mac[64];
    size_t n = 33;
    if (index & HARDENED) {
        data[0] = 0;
        memcpy(data + 1, node->key, 32);
    } else {
        secp256k1_pubkey pub;
        TKMS_ASSERT(!ed25519); /* SLIP-10 ed25519 has only hardened children */
        if (!secp256k1_ec_pubkey_create(ctx, &pub, node->key)) {
            return TKMS_ERR_CLIENT_DERIVATION;
        }
        TKMS_ASSERT(secp256k1_ec_pubkey_serialize(ctx, data, &n, &pub, SECP256K1_EC_COMPRESSED));
    }
    ser32(data + 33, index);
    tkms_prim_hmac_sha512(mac, node->chain, 32, data, sizeof data);
    tkms_err err = TKMS_OK;
    if (ed25519) {
        memcpy(node->key, mac, 32);
    } else if (!secp256k1_ec_seckey_tweak_add(ctx, node->key, mac)) {
        err = TKMS_ERR_CLIENT_DERIVATION; /* I_L >= n or a zero key: probability 2^-127 */
    }
    memcpy(node->chain, mac + 32, 32);
    tkms_wipe(data, sizeof data);
    tkms_wipe(mac, sizeof mac);
    return err;
}

static tkms_err derive(tkms_client_hd_node *node, const uint8_t *seed, size_t seed_len,
                       const uint32_t *path, size_t depth, bool ed25519) {
    static const char BTC[] = "Bitcoin seed", ED[] = "ed25519 seed";
    uint8_t mac[64];
    if (depth > TKMS_CLIENT_PATH_DEPTH_MAX || seed_len < 16 || seed_len > 64) {
        return TKMS_ERR_CLIENT_DERIVATION;
    }
    tkms_prim_hmac_sha512(mac, (const uint8_t *)(ed25519 ? ED : BTC),
                          ed25519 ? sizeof ED - 1 : sizeof BTC - 1, seed, seed_len);
    memcpy(node->key, mac, 32);
    memcpy(node->chain, mac + 32, 32);
    tkms_wipe(mac, sizeof mac);
    secp256k1_context *ctx = secp_new();
    tkms_err err = TKMS_OK;
    if (!ed25519 && !secp256k1_ec_seckey_verify(ctx, node->key)) {
        err = TKMS_ERR_CLIENT_DERIVATION;
    }
    for (size_t i = 0; i < depth && err == TKMS_OK; i++) {
        if (ed25519 && !(path[i] & HARDENED)) {
            err = TKMS_ERR_CLIENT_DERIVATION;
        } else {
            err = child(node, path[i], ed25519, ctx);
        }
    }
    secp256k1_context_destroy(ctx);
    if (err != TKMS_OK) {
        tkms_wipe(node, sizeof *node);
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_client_bip32_derive(tkms_client_hd_node *node, const uint8_t *seed,
                                              size_t seed_len, const uint32_t *path,
                                              size_t depth) {
    return derive(node, seed, seed_len, path, depth, false);
}

TKMS_EXPORT tkms_err tkms_client_slip10_derive(tkms_client_hd_node *node, const uint8_t *seed,
                                               size_t seed_len, const uint32_t *path,
                                               size_t depth) {
    return derive(node, seed, seed_len, path, depth, true);
}

/* ---- addresses -------------------------------------------------------------------- */

TKMS_EXPORT tkms_err tkms_client_eth_address(char out[TKMS_CLIENT_EVM_ADDRESS_BYTES],
                                             const uint8_t seckey[32]) {
    secp256k1_context *ctx = secp_new();
    secp256k1_pubkey pub;
    uint8_t ser[65], hash[32];
    size_t n = sizeof ser;
    int ok = secp256k1_ec_pubkey_create(ctx, &pub, seckey) &&
             secp256k1_ec_pubkey_serialize(ctx, ser, &n, &pub, SECP256K1_EC_UNCOMPRESSED);
    secp256k1_context_destroy(ctx);
    if (!ok) {
        return TKMS_ERR_CLIENT_DERIVATION;
    }
    tkms_prim_keccak256(hash, ser + 1, 64);
    tkms_client_eip55(out, hash + 12);
    return TKMS_OK;
}

/* EIP-55: upper-case hex letter i when nibble i of keccak256(lowercase hex) >= 8. */
TKMS_EXPORT void tkms_client_eip55(char out[TKMS_CLIENT_EVM_ADDRESS_BYTES],
                                   const uint8_t address[20]) {
    static const char hex[] = "0123456789abcdef";
    char lower[40];
    uint8_t hash[32];
    for (int i = 0; i < 20; i++) {
        lower[2 * i] = hex[address[i] >> 4];
        lower[2 * i + 1] = hex[address[i] & 15];
    }
    tkms_prim_keccak256(hash, (const uint8_t *)lower, sizeof lower);
    out[0] = '0';
    out[1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nibble = (hash[i / 2] >> (i % 2 ? 0 : 4)) & 15;
        char c = lower[i];
        out[2 + i] = (c >= 'a' && nibble >= 8) ? (char)(c - 'a' + 'A') : c;
    }
    out[42] = 0;
}

TKMS_EXPORT tkms_err tkms_client_base58_encode(char *out, size_t out_max, const uint8_t *in,
                                               size_t len) {
    static const char ALPHABET[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    uint8_t digits[128] = {0}; /* base-58 digits, least significant first */
    size_t ndigits = 0, zeros = 0;
    if (len > 64) {
        return TKMS_ERR_CLIENT_BUFFER;
    }
    while (zeros < len && in[zeros] == 0) {
        zeros++;
    }
    for (size_t i = zeros; i < len; i++) {
        uint32_t carry = in[i];
        for (size_t j = 0; j < ndigits; j++) {
            carry += (uint32_t)digits[j] << 8;
            digits[j] = (uint8_t)(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits[ndigits++] = (uint8_t)(carry % 58);
            carry /= 58;
        }
    }
    if (zeros + ndigits + 1 > out_max) {
        return TKMS_ERR_CLIENT_BUFFER;
    }
    size_t o = 0;
    for (size_t i = 0; i < zeros; i++) {
        out[o++] = '1';
    }
    for (size_t j = ndigits; j-- > 0;) {
        out[o++] = ALPHABET[digits[j]];
    }
    out[o] = 0;
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_client_evm_address_at(char out[TKMS_CLIENT_EVM_ADDRESS_BYTES],
                                                const uint8_t seed[TKMS_CLIENT_SEED_BYTES],
                                                uint32_t index) {
    const uint32_t path[5] = {44 | HARDENED, 60 | HARDENED, 0 | HARDENED, 0, index};
    tkms_client_hd_node node;
    tkms_err err = tkms_client_bip32_derive(&node, seed, TKMS_CLIENT_SEED_BYTES, path, 5);
    if (err == TKMS_OK) {
        err = tkms_client_eth_address(out, node.key);
    }
    tkms_wipe(&node, sizeof node);
    return err;
}

TKMS_EXPORT tkms_err tkms_client_solana_address_at(char out[TKMS_CLIENT_SOLANA_ADDRESS_BYTES],
                                                   const uint8_t seed[TKMS_CLIENT_SEED_BYTES],
                                                   uint32_t index) {
    const uint32_t path[4] = {44 | HARDENED, 501 | HARDENED, index | HARDENED, 0 | HARDENED};
    tkms_client_hd_node node;
    uint8_t pub[32];
    if (index & HARDENED) {
        return TKMS_ERR_CLIENT_DERIVATION;
    }
    tkms_err err = tkms_client_slip10_derive(&node, seed, TKMS_CLIENT_SEED_BYTES, path, 4);
    if (err == TKMS_OK) {
        tkms_prim_ed25519_public(pub, node.key);
        err = tkms_client_base58_encode(out, TKMS_CLIENT_SOLANA_ADDRESS_BYTES, pub, sizeof pub);
    }
    tkms_wipe(&node, sizeof node);
    return err;
}
