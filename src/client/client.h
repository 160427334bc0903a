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

#endif
