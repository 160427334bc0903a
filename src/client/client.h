/*
 * client.h — libtkms-client: what an app (or a tool acting for one) needs to turn the
 * network's answers into its keys (crypto.md §7, §9, §10).
 *
 * Contract
 * - Partials travel RSA-OAEP-wrapped (tkms_client_partial_wrap on the node,
 *   _unwrap in the app); recovery itself is tss.h (verify, combine, check against MPK)
 *   and decryption of env files is ibe.h.
 * - From the app key sk_id the app derives a BIP-39 mnemonic, EVM and Solana addresses.
 * - Secrets (mnemonics, seeds, private keys) are written only into caller buffers and
 *   wiped from every temporary; the caller wipes its buffers (tkms_wipe).
 * - This layer may allocate (jansson, OpenSSL) but keeps no state between calls.
 */
#ifndef TKMS_CLIENT_H
#define TKMS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bls/bls.h"
#include "common/tkms_err.h"

#define TKMS_CLIENT_WRAPPED_BYTES_MAX 1024 /* 8192-bit RSA */

/* RSA-OAEP-SHA256 of {"CompressedBytes":"<base64>"} to the app's PEM SPKI key. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_partial_wrap(uint8_t *out, size_t *out_len,
                                                            size_t out_max,
                                                            const tkms_bls_g1 *partial,
                                                            const char *pem, size_t pem_len);
/* The inverse, with strict JSON and strict point decoding; the identity on failure. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_partial_unwrap(tkms_bls_g1 *partial,
                                                              const uint8_t *wrapped,
                                                              size_t wrapped_len,
                                                              const char *private_pem,
                                                              size_t pem_len);

/* ---- mnemonic and addresses (crypto.md §10) ---- */
#define TKMS_CLIENT_MNEMONIC_BYTES_MAX 256  /* 24 words of <= 8 letters + spaces + NUL */
#define TKMS_CLIENT_SEED_BYTES 64
#define TKMS_CLIENT_PATH_DEPTH_MAX 16
#define TKMS_CLIENT_EVM_ADDRESS_BYTES 43    /* "0x" + 40 hex + NUL */
#define TKMS_CLIENT_SOLANA_ADDRESS_BYTES 48 /* base58 of 32 bytes: <= 44 chars + NUL */
#define TKMS_CLIENT_ADDRESSES 5             /* i = 0..4 */
#define TKMS_CLIENT_HARDENED 0x80000000u

/* A BIP-32 / SLIP-10 node: private key and chain code (secret; wipe after use). */
typedef struct {
    uint8_t key[32];
    uint8_t chain[32];
} tkms_client_hd_node;

/* BIP-39 English mnemonic of 16..32 bytes of entropy (len % 4 == 0). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_mnemonic_from_entropy(char *out, size_t out_max,
                                                                     const uint8_t *entropy,
                                                                     size_t len);
/* BIP-39 seed: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" ‖ passphrase, 2048). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_mnemonic_to_seed(
    uint8_t seed[TKMS_CLIENT_SEED_BYTES], const char *mnemonic, const char *passphrase);
/* The app's 24-word mnemonic: entropy = HKDF-SHA256(sk_id compressed, "tkms-mnemonic-v1", id). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_app_mnemonic(char *out, size_t out_max,
                                                            const tkms_bls_g1 *sk_id,
                                                            const uint8_t *id, size_t id_len);
/* BIP-32 secp256k1 / SLIP-10 ed25519 (hardened indices only) derivation along a path. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_bip32_derive(tkms_client_hd_node *node,
                                                            const uint8_t *seed, size_t seed_len,
                                                            const uint32_t *path, size_t depth);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_slip10_derive(tkms_client_hd_node *node,
                                                             const uint8_t *seed, size_t seed_len,
                                                             const uint32_t *path, size_t depth);
/* EIP-55 checksummed address of a secp256k1 private key. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_eth_address(char out[TKMS_CLIENT_EVM_ADDRESS_BYTES],
                                                           const uint8_t seckey[32]);
/* EIP-55 form of a 20-byte address. */
TKMS_EXPORT void tkms_client_eip55(char out[TKMS_CLIENT_EVM_ADDRESS_BYTES],
                                   const uint8_t address[20]);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_base58_encode(char *out, size_t out_max,
                                                             const uint8_t *in, size_t len);
/* EVM address at m/44'/60'/0'/0/index; Solana address at m/44'/501'/index'/0'. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_evm_address_at(
    char out[TKMS_CLIENT_EVM_ADDRESS_BYTES], const uint8_t seed[TKMS_CLIENT_SEED_BYTES],
    uint32_t index);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_solana_address_at(
    char out[TKMS_CLIENT_SOLANA_ADDRESS_BYTES], const uint8_t seed[TKMS_CLIENT_SEED_BYTES],
    uint32_t index);

#endif
