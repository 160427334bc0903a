/*
 * dev_attest.c — the `dev-ecdsa` attestation of api.md (development only): the app
 * owner's secp256k1 key signs keccak256("tkms-dev-attest-v1|" ‖ app_id ‖ "|" ‖ challenge
 * ‖ "|" ‖ hex(sha256(rsa_pubkey ‖ extra_data))) with no EIP-191 prefix; the attestation
 * is base64 of r ‖ s ‖ v (65 bytes, low s, v = 27 + recovery id); the challenge is
 * "<unix seconds>-<64 lowercase hex nonce>". Also the binding hash every method uses.
 *
 * It proves ownership of the app, not what code runs: tools and the devnet use it, real
 * apps attest with gcp or sev-snp. The owner key is a secret: it is only borrowed, and the
 * libsecp256k1 context is randomized and destroyed per signature.
 */
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "client/client.h"
#include "client/net_internal.h"
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

#define DEV_DOMAIN "tkms-dev-attest-v1|"

TKMS_EXPORT void tkms_client_binding_hash(uint8_t out[32], const char *pem, size_t pem_len,
                                          const uint8_t *extra, size_t extra_len) {
    tkms_prim_buf parts[2] = {{(const uint8_t *)pem, pem_len}, {extra, extra_len}};
    tkms_prim_sha256_parts(out, parts, extra_len > 0 ? 2 : 1);
}

TKMS_EXPORT tkms_err tkms_client_dev_attest_digest(uint8_t out[32], const char *app_id,
                                                   const char *challenge, const char *pem,
                                                   size_t pem_len, const uint8_t *extra,
                                                   size_t extra_len) {
    memset(out, 0, 32);
    if (!tkms_client_app_id_is_valid(app_id)) {
        return TKMS_ERR_CLIENT_BAD_APP_ID;
    }
    if (challenge == NULL || strlen(challenge) >= TKMS_CLIENT_CHALLENGE_BYTES || pem == NULL) {
        return TKMS_ERR_CLIENT_BAD_REQUEST;
    }
    uint8_t binding[32];
    tkms_client_binding_hash(binding, pem, pem_len, extra, extra_len);
    tkms_client_dev_attest_digest_of_binding(out, app_id, challenge, binding);
    return TKMS_OK;
}

TKMS_EXPORT void tkms_client_dev_attest_digest_of_binding(uint8_t out[32], const char *app_id,
                                                          const char *challenge,
                                                          const uint8_t binding[32]) {
    TKMS_ASSERT(app_id != NULL && challenge != NULL && binding != NULL);
    char binding_hex[65];
    client_hex(binding_hex, binding, 32);
    tkms_prim_keccak256_ctx k;
    tkms_prim_keccak256_init(&k);
    tkms_prim_keccak256_update(&k, (const uint8_t *)DEV_DOMAIN, strlen(DEV_DOMAIN));
    tkms_prim_keccak256_update(&k, (const uint8_t *)app_id, strlen(app_id));
    tkms_prim_keccak256_update(&k, (const uint8_t *)"|", 1);
    tkms_prim_keccak256_update(&k, (const uint8_t *)challenge, strlen(challenge));
    tkms_prim_keccak256_update(&k, (const uint8_t *)"|", 1);
    tkms_prim_keccak256_update(&k, (const uint8_t *)binding_hex, 64);
    tkms_prim_keccak256_final(out, &k);
}

/* r ‖ s ‖ (27 + recid) over digest, RFC 6979 nonce, low s (libsecp256k1 never signs high). */
static tkms_err sign(uint8_t sig[TKMS_CLIENT_DEV_SIGNATURE_BYTES], const uint8_t digest[32],
                     const uint8_t sk[32]) {
    secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    uint8_t seed[32];
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_ecdsa_signature plain;
    int recid = -1;
    tkms_err err = TKMS_ERR_CLIENT_ATTEST;
    if (ctx != NULL && getrandom(seed, sizeof seed, 0) == (ssize_t)sizeof seed &&
        secp256k1_context_randomize(ctx, seed) &&
        secp256k1_ecdsa_sign_recoverable(ctx, &rs, digest, sk, NULL, NULL) &&
        secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, sig, &recid, &rs)) {
        secp256k1_ecdsa_recoverable_signature_convert(ctx, &plain, &rs);
        /* normalize() returns 1 when s was high: must not happen with libsecp256k1 */
        TKMS_ASSERT(secp256k1_ecdsa_signature_normalize(ctx, NULL, &plain) == 0);
        TKMS_ASSERT(recid >= 0 && recid <= 3);
        sig[64] = (uint8_t)(27 + recid);
        err = TKMS_OK;
    }
    secp256k1_context_destroy(ctx);
    tkms_wipe(seed, sizeof seed);
    tkms_wipe(&rs, sizeof rs);
    return err;
}

TKMS_EXPORT tkms_err tkms_client_dev_attest(char attestation[TKMS_CLIENT_DEV_ATTESTATION_BYTES],
                                            char challenge[TKMS_CLIENT_CHALLENGE_BYTES],
                                            const uint8_t owner_sk[32], const char *app_id,
                                            const char *pem, size_t pem_len, const uint8_t *extra,
                                            size_t extra_len, uint64_t now_s,
                                            const uint8_t nonce[32]) {
    attestation[0] = 0;
    challenge[0] = 0;
    char nonce_hex[65];
    client_hex(nonce_hex, nonce, 32);
    int n = snprintf(challenge, TKMS_CLIENT_CHALLENGE_BYTES, "%llu-%s", (unsigned long long)now_s,
                     nonce_hex);
    TKMS_ASSERT(n > 0 && n < TKMS_CLIENT_CHALLENGE_BYTES);
    uint8_t digest[32], sig[TKMS_CLIENT_DEV_SIGNATURE_BYTES];
    tkms_err err =
        tkms_client_dev_attest_digest(digest, app_id, challenge, pem, pem_len, extra, extra_len);
    if (err == TKMS_OK) {
        err = sign(sig, digest, owner_sk);
    }
    if (err == TKMS_OK) {
        err = tkms_prim_base64_encode(attestation, TKMS_CLIENT_DEV_ATTESTATION_BYTES, sig,
                                      sizeof sig);
    }
    if (err != TKMS_OK) {
        attestation[0] = 0;
        challenge[0] = 0;
    }
    return err;
}
