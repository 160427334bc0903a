/*
 * prim.h — cryptographic primitives: our own Keccak-256 (no Debian library has Ethereum's),
 * and thin fixed-algorithm wrappers over OpenSSL 3 (second half of this header).
 *
 * Contract
 * - Keccak-256 as Ethereum uses it: keccak-f[1600], rate 136 bytes, the
 *   original Keccak padding 0x01 … 0x80 (NOT SHA3-256, whose domain byte is 0x06).
 *   Used for function selectors, event topics, addresses and transaction hashes
 *   (chain.md "Node-side chain access").
 * - No malloc, no I/O, no logging, no global mutable state; thread-safe on distinct
 *   contexts. Constant time in the message bytes (keccak-f has no data-dependent branches
 *   or indexing); the message length is public.
 * - The incremental context is plain data; tkms_prim_keccak256_final() wipes it.
 */
#ifndef TKMS_PRIM_H
#define TKMS_PRIM_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "common/tkms_err.h"
#include "common/tkms_rng.h"

#define TKMS_PRIM_KECCAK256_BYTES 32
#define TKMS_PRIM_KECCAK256_RATE_BYTES 136 /* (1600 - 2*256) / 8 */

typedef struct {
    uint64_t state[25];
    uint8_t buffer[TKMS_PRIM_KECCAK256_RATE_BYTES];
    size_t buffer_len; /* bytes of buffer[] in use, always < rate */
} tkms_prim_keccak256_ctx;

/* One-shot Keccak-256 of in[0..len). in may be NULL when len == 0. */
TKMS_EXPORT void tkms_prim_keccak256(uint8_t out[TKMS_PRIM_KECCAK256_BYTES], const uint8_t *in,
                                     size_t len);

/* Incremental: init, any number of updates (any split gives the one-shot result), final. */
TKMS_EXPORT void tkms_prim_keccak256_init(tkms_prim_keccak256_ctx *ctx);
TKMS_EXPORT void tkms_prim_keccak256_update(tkms_prim_keccak256_ctx *ctx, const uint8_t *in,
                                            size_t len);
TKMS_EXPORT void tkms_prim_keccak256_final(uint8_t out[TKMS_PRIM_KECCAK256_BYTES],
                                           tkms_prim_keccak256_ctx *ctx);

/* ==== OpenSSL-backed primitives (hash.c, aead.c, rsa.c, curve25519.c, seal.c, base64.c) ====
 * Thin wrappers with fixed algorithms and tkms_err results (issue 3 §1). They allocate
 * inside OpenSSL but never keep state between calls; secrets passed in are the caller's to
 * wipe, and every temporary secret here is wiped before return. Failures of OpenSSL
 * itself on valid input (out of memory) abort: callers cannot act on them.
 */
#define TKMS_PRIM_SHA256_BYTES 32
#define TKMS_PRIM_SHA384_BYTES 48
#define TKMS_PRIM_SHA512_BYTES 64
#define TKMS_PRIM_AEAD_KEY_BYTES 32
#define TKMS_PRIM_AEAD_NONCE_BYTES 12
#define TKMS_PRIM_AEAD_TAG_BYTES 16
#define TKMS_PRIM_HKDF_BYTES_MAX (255 * 32)
#define TKMS_PRIM_RSA_PEM_BYTES_MAX 8192 /* crypto.md §9 */
#define TKMS_PRIM_RSA_BITS_MIN 2048
#define TKMS_PRIM_RSA_BITS_MAX 8192
#define TKMS_PRIM_ED25519_PUBLIC_BYTES 32
#define TKMS_PRIM_ED25519_SEED_BYTES 32
#define TKMS_PRIM_ED25519_SIG_BYTES 64
#define TKMS_PRIM_X25519_BYTES 32
#define TKMS_PRIM_SEALED_BYTES 80 /* E (32) ‖ ciphertext (32) ‖ tag (16), protocol.md §4.3 */
#define TKMS_PRIM_SEALED_PLAINTEXT_BYTES 32

/* A byte string (for hashing several parts without copying them together). */
typedef struct {
    const uint8_t *ptr;
    size_t len;
} tkms_prim_buf;

TKMS_EXPORT void tkms_prim_sha256(uint8_t out[TKMS_PRIM_SHA256_BYTES], const uint8_t *in,
                                  size_t len);
TKMS_EXPORT void tkms_prim_sha256_parts(uint8_t out[TKMS_PRIM_SHA256_BYTES],
                                        const tkms_prim_buf *parts, size_t count);
TKMS_EXPORT void tkms_prim_sha384(uint8_t out[TKMS_PRIM_SHA384_BYTES], const uint8_t *in,
                                  size_t len);
TKMS_EXPORT void tkms_prim_sha512(uint8_t out[TKMS_PRIM_SHA512_BYTES], const uint8_t *in,
                                  size_t len);
TKMS_EXPORT void tkms_prim_hmac_sha256(uint8_t out[TKMS_PRIM_SHA256_BYTES], const uint8_t *key,
                                       size_t key_len, const uint8_t *msg, size_t msg_len);
TKMS_EXPORT void tkms_prim_hmac_sha512(uint8_t out[TKMS_PRIM_SHA512_BYTES], const uint8_t *key,
                                       size_t key_len, const uint8_t *msg, size_t msg_len);
/* RFC 5869; out_len 1..TKMS_PRIM_HKDF_BYTES_MAX (else TKMS_ERR_PRIM_LENGTH). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_hkdf_sha256(uint8_t *out, size_t out_len,
                                                         const uint8_t *ikm, size_t ikm_len,
                                                         const uint8_t *salt, size_t salt_len,
                                                         const uint8_t *info, size_t info_len);
/* PBKDF2-HMAC-SHA512 (BIP-39 seeds). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_pbkdf2_sha512(uint8_t *out, size_t out_len,
                                                           const uint8_t *pass, size_t pass_len,
                                                           const uint8_t *salt, size_t salt_len,
                                                           uint32_t iterations);

/* AES-256-GCM with a 16-byte tag; ct has pt_len bytes. open() zeroes pt on failure and
   returns TKMS_ERR_PRIM_AEAD (one opaque error for any mismatch). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_aead_seal(
    uint8_t *ct, uint8_t tag[TKMS_PRIM_AEAD_TAG_BYTES], const uint8_t key[TKMS_PRIM_AEAD_KEY_BYTES],
    const uint8_t nonce[TKMS_PRIM_AEAD_NONCE_BYTES], const uint8_t *aad, size_t aad_len,
    const uint8_t *pt, size_t pt_len);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_aead_open(
    uint8_t *pt, const uint8_t key[TKMS_PRIM_AEAD_KEY_BYTES],
    const uint8_t nonce[TKMS_PRIM_AEAD_NONCE_BYTES], const uint8_t *aad, size_t aad_len,
    const uint8_t *ct, size_t ct_len, const uint8_t tag[TKMS_PRIM_AEAD_TAG_BYTES]);

/* RSA-OAEP with SHA-256 for OAEP and MGF1, empty label (crypto.md §9). The public key is
   a PEM SubjectPublicKeyInfo of an RSA key, <= TKMS_PRIM_RSA_PEM_BYTES_MAX bytes, with a
   modulus of TKMS_PRIM_RSA_BITS_MIN..MAX bits, parsed strictly (rsa.c): one "PUBLIC KEY"
   block and nothing around it (LF or CRLF, final newline optional, lines of one width
   <= 76 that is a multiple of 4, or one line), DER not BER, NULL parameters, odd
   3 <= e < 2^32. Errors in order: TKMS_ERR_PRIM_BAD_PEM (framing, encoding, e),
   TKMS_ERR_PRIM_NOT_RSA (another algorithm), TKMS_ERR_PRIM_RSA_KEY_SIZE,
   TKMS_ERR_PRIM_LENGTH (checked before any RSA work: out_max 0 probes the key cheaply),
   TKMS_ERR_PRIM_RSA (OpenSSL refused the key, e.g. an even n). *out_len receives the
   ciphertext length (the modulus size); out_max must be at least that. The OAEP seed
   comes from OpenSSL's CSPRNG. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_rsa_oaep_encrypt(uint8_t *out, size_t *out_len,
                                                              size_t out_max, const char *pem,
                                                              size_t pem_len, const uint8_t *msg,
                                                              size_t msg_len);
/* Decrypts with a PEM private key (PKCS#8), for apps and tests. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_rsa_oaep_decrypt(uint8_t *out, size_t *out_len,
                                                              size_t out_max, const char *pem,
                                                              size_t pem_len, const uint8_t *ct,
                                                              size_t ct_len);
/* A fresh RSA key pair as PEM (PKCS#8 private, SPKI public); buffers of pem_max bytes. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_rsa_keygen(char *private_pem, char *public_pem,
                                                        size_t pem_max, unsigned bits);

/* Ed25519 (RFC 8032) from a 32-byte seed. verify() returns true only for a valid
   signature under a valid key. */
TKMS_EXPORT void tkms_prim_ed25519_public(uint8_t pub[TKMS_PRIM_ED25519_PUBLIC_BYTES],
                                          const uint8_t seed[TKMS_PRIM_ED25519_SEED_BYTES]);
TKMS_EXPORT void tkms_prim_ed25519_sign(uint8_t sig[TKMS_PRIM_ED25519_SIG_BYTES],
                                        const uint8_t seed[TKMS_PRIM_ED25519_SEED_BYTES],
                                        const uint8_t *msg, size_t len);
TKMS_EXPORT TKMS_MUST_USE bool tkms_prim_ed25519_verify(
    const uint8_t sig[TKMS_PRIM_ED25519_SIG_BYTES],
    const uint8_t pub[TKMS_PRIM_ED25519_PUBLIC_BYTES], const uint8_t *msg, size_t len);
/* X25519 (RFC 7748). shared() fails with TKMS_ERR_PRIM_X25519_ZERO on an all-zero result
   (a low-order peer key). */
TKMS_EXPORT void tkms_prim_x25519_public(uint8_t pub[TKMS_PRIM_X25519_BYTES],
                                         const uint8_t priv[TKMS_PRIM_X25519_BYTES]);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_x25519_shared(
    uint8_t shared[TKMS_PRIM_X25519_BYTES], const uint8_t priv[TKMS_PRIM_X25519_BYTES],
    const uint8_t peer[TKMS_PRIM_X25519_BYTES]);
/* shared() that also returns priv's public key: importing the private key derives it
   anyway, so this costs one scalar multiplication less than public() + shared(). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_x25519_shared_and_public(
    uint8_t shared[TKMS_PRIM_X25519_BYTES], uint8_t own_public[TKMS_PRIM_X25519_BYTES],
    const uint8_t priv[TKMS_PRIM_X25519_BYTES], const uint8_t peer[TKMS_PRIM_X25519_BYTES]);

/* The sealed share of protocol.md §4.3: E = e·G for a fresh e from rng,
   key = HKDF-SHA256(X25519(e, pk), salt = E ‖ pk, info = "tkms-share-v1"),
   AES-256-GCM with a zero nonce and the caller's AAD. open() returns
   TKMS_ERR_PRIM_SEALED_EMPTY for the 80 zero bytes of an empty slot,
   TKMS_ERR_PRIM_X25519_ZERO for a low-order E, TKMS_ERR_PRIM_AEAD otherwise. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_seal(
    uint8_t out[TKMS_PRIM_SEALED_BYTES], const uint8_t recipient[TKMS_PRIM_X25519_BYTES],
    const uint8_t *aad, size_t aad_len, const uint8_t pt[TKMS_PRIM_SEALED_PLAINTEXT_BYTES],
    const tkms_rng *rng);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_seal_open(
    uint8_t pt[TKMS_PRIM_SEALED_PLAINTEXT_BYTES], const uint8_t sealed[TKMS_PRIM_SEALED_BYTES],
    const uint8_t priv[TKMS_PRIM_X25519_BYTES], const uint8_t *aad, size_t aad_len);

/* Standard base64 with padding. encode() writes a NUL-terminated string of
   4·ceil(len/3) characters (out_max must exceed that). decode() rejects anything but
   canonical padded base64 (TKMS_ERR_PRIM_BASE64). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_base64_encode(char *out, size_t out_max,
                                                           const uint8_t *in, size_t len);
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_prim_base64_decode(uint8_t *out, size_t *out_len,
                                                           size_t out_max, const char *in,
                                                           size_t in_len);

#endif
