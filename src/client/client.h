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

/* =========================================================================================
 * Network part (net.c, net_chain.c, net_version.c, net_secrets.c, net_pubkey.c, net_util.c,
 * dev_attest.c): talking to a tkms network as an app or a tool (api.md "App-facing",
 * crypto.md §6–10, chain.md; decisions in docs/client.md).
 *
 * Contract
 * - One node is never trusted. The master public key, each retained version's threshold,
 *   dealer set D and the dealers' commitments are read from chain (EpochLog storage and its
 *   DealingRevealed events, every read pinned to one block hash); the combined
 *   commitments (Σ C_i for a DKG, Σ λ_i(D)·C_i for a reshare) and every operator's public
 *   share are derived here and C_0 == MPK is checked. Nodes' answers are checked against
 *   that state: each partial against its operator's public share, the recovered key
 *   against the MPK.
 * - Secrets are fetched from ALL operators at once (libcurl multi; per-request connect and
 *   total timeouts; bodies capped while received; http/https only; no redirects). One
 *   version is chosen, newest first, for which t partials verify; versions are never
 *   mixed. The env is accepted only when at least t of the operators whose partial for
 *   that version verified returned byte-identical encrypted_env and public_env, so fewer
 *   than t lying nodes cannot change an app's env.
 * - Operators that misbehave are named in the per-operator report (also on failure: the
 *   report is diagnostics, the secrets themselves are zeroed on failure).
 * - Not trusted either: the RPC beyond consistency (events are checked against the
 *   commitment hashes in storage; a lying RPC is not outvoted). The dev-ecdsa attestation
 *   proves app ownership, not code identity (development only).
 * - Allocation: responses, env and public env are heap (cleared by the matching _clear);
 *   tkms_client_chain is a handle (one keep-alive RPC connection, one thread at a time).
 *   Everything else is reentrant; no global state but libcurl's one-time init.
 * ========================================================================================= */
#include "common/tkms_rng.h"
#include "tss/tss.h"

#define TKMS_CLIENT_OPERATORS_MAX 64
#define TKMS_CLIENT_VERSIONS_MAX 8 /* retained versions considered (EpochLog C) */
#define TKMS_CLIENT_PARTIALS_MAX 8 /* partials in one /v1/secrets answer */
#define TKMS_CLIENT_URL_BYTES_MAX 512
#define TKMS_CLIENT_DETAIL_BYTES 160                /* one line about one operator */
#define TKMS_CLIENT_RESPONSE_BYTES_MAX (256u << 10) /* one node answer */
#define TKMS_CLIENT_ENV_BYTES_MAX 16384             /* AppController.MAX_ENV_BYTES */
#define TKMS_CLIENT_APP_ID_BYTES 43                 /* "0x" + 40 lowercase hex + NUL */
#define TKMS_CLIENT_TIMEOUT_MS_DEFAULT 10000
#define TKMS_CLIENT_CONNECT_TIMEOUT_MS_DEFAULT 3000
#define TKMS_CLIENT_DKG_SOURCE UINT64_MAX /* EpochLog.DKG_SOURCE */

_Static_assert(TKMS_CLIENT_OPERATORS_MAX <= TKMS_TSS_OPERATORS_MAX, "tss bounds");

/* ---- HTTP fan-out (net.c) ---- */
typedef struct {
    uint32_t timeout_ms; /* whole request */
    uint32_t connect_timeout_ms;
    size_t response_bytes_max; /* <= TKMS_CLIENT_RESPONSE_BYTES_MAX */
} tkms_client_http_options;

TKMS_EXPORT void tkms_client_http_options_default(tkms_client_http_options *o);

typedef struct {
    const char *url;  /* http:// or https:// */
    const char *body; /* NULL: GET; else POST application/json */
    size_t body_len;
} tkms_client_http_request;

typedef struct {
    bool answered; /* an HTTP status line came back (any status) */
    long status;
    char *body; /* heap, NUL-terminated (also for error statuses); NULL if none */
    size_t body_len;
    char error[TKMS_CLIENT_DETAIL_BYTES]; /* transport failure, when !answered */
} tkms_client_http_response;

/* Runs all requests concurrently and waits for all (each bounded by its timeouts). A
   request that fails (refused, timeout, oversize) is reported in its slot; the call itself
   fails only when the transfer machinery cannot be set up (TKMS_ERR_CLIENT_HTTP). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_http_run(tkms_client_http_response *out,
                                                        const tkms_client_http_request *reqs,
                                                        size_t count,
                                                        const tkms_client_http_options *o);
TKMS_EXPORT void tkms_client_http_clear(tkms_client_http_response *r, size_t count);
/* base (an operator's app URL, http/https) + path ("/v1/secrets"), one slash between. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_url_join(char *out, size_t out_max, const char *base,
                                                        const char *path);

/* ---- the network's public state ---- */
typedef struct {
    uint8_t address[20];
    char app_url[TKMS_CLIENT_URL_BYTES_MAX];
} tkms_client_operator;

typedef struct {
    uint64_t version; /* the epoch number */
    uint16_t t;
    uint64_t source; /* TKMS_CLIENT_DKG_SOURCE for a DKG, else the reshared version */
    uint64_t finalized_block;
    uint8_t state_hash[32];  /* the winning stateHash (versionInfo); zero when not from chain */
    uint32_t operator_count; /* O(v), address order */
    uint8_t operators[TKMS_CLIENT_OPERATORS_MAX][20];
    uint32_t dealer_count; /* D(v) as posted by the winning confirmers */
    uint8_t dealers[TKMS_CLIENT_OPERATORS_MAX][20];
    tkms_tss_commitments combined; /* derived; combined.c[0] == MPK (checked) */
} tkms_client_version;

/* Loads one version (chain-backed: tkms_client_chain_network; tests: their own). */
typedef tkms_err (*tkms_client_version_load_fn)(void *ctx, tkms_client_version *out,
                                                uint64_t version);

typedef struct {
    uint64_t chain_id;
    uint8_t epoch_log[20];
    uint64_t block_number; /* every chain read is pinned to this block */
    uint8_t block_hash[32];
    tkms_bls_g2 mpk;
    uint64_t finalized_version;
    uint32_t retained_count; /* EpochLog.retainedVersions(), newest first */
    uint64_t retained[TKMS_CLIENT_VERSIONS_MAX];
    uint32_t operator_count; /* KmsRegistry.getNodeInfos(): the current set, by address */
    tkms_client_operator operators[TKMS_CLIENT_OPERATORS_MAX];
    tkms_client_version_load_fn version_load;
    void *version_ctx;
} tkms_client_network;

/* Combines the dealers' commitment vectors of v (v->t, ->source, ->dealers, ->dealer_count
   set; dealings[i] belongs to dealers[i]) into v->combined: the sum for a DKG, the Lagrange
   combination over the dealers' points for a reshare. TKMS_ERR_CLIENT_CHAIN_STATE when the
   result's C_0 is not mpk (or the inputs are inconsistent). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_version_combine(tkms_client_version *v,
                                                               const tkms_tss_commitments *dealings,
                                                               const tkms_bls_g2 *mpk);
/* protocol.md §4 step 6: sha256("tkms-confirm-v1" ‖ be64(chain id) ‖ EpochLog ‖ be64(v) ‖
   be64(source) ‖ combined commitments ‖ D as sorted addresses) — what t' operators
   confirmed for v; the chain-backed loader requires it to equal v->state_hash. */
TKMS_EXPORT void tkms_client_version_state_hash(uint8_t out[32], const tkms_client_version *v,
                                                uint64_t chain_id, const uint8_t epoch_log[20]);
/* PK_j = Σ_k C_k·x_j^k with x_j = keccak256(address) mod r. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_public_share(tkms_bls_g2 *out,
                                                            const tkms_client_version *v,
                                                            const uint8_t address[20]);

/* ---- chain-backed state (net_chain.c) ---- */
typedef struct tkms_client_chain tkms_client_chain;

typedef struct {
    const char *rpc_url;
    uint64_t chain_id;     /* 0: accept the node's */
    uint8_t epoch_log[20]; /* the registry is EpochLog.registry() */
    uint32_t timeout_ms;
    uint32_t connect_timeout_ms;
} tkms_client_chain_options;

TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_chain_new(tkms_client_chain **out,
                                                         const tkms_client_chain_options *o);
TKMS_EXPORT void tkms_client_chain_free(tkms_client_chain *c);
/* One line about the last failure (RPC, or which chain fact was inconsistent). */
TKMS_EXPORT const char *tkms_client_chain_error(const tkms_client_chain *c);
/* Reads MPK, finalized version, retained set and operators at the latest block and pins
   every later read of c to that block; net->version_load reads a version from c (c must
   outlive the use of net). TKMS_ERR_CLIENT_NO_VERSION before the first finalization. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_chain_network(tkms_client_chain *c,
                                                             tkms_client_network *net);
/* The same without the MPK (works before the first finalization): operators, finalized
   version, retained set; net->version_load is NULL. For status views. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_chain_operators(tkms_client_chain *c,
                                                               tkms_client_network *net);
/* A finalized version from chain: versionInfo, epochSnapshot, dealerSet, the dealers'
   DealingRevealed commitments (each checked against the commitments hash in storage),
   combined, checked against the MPK and against the winning stateHash.
   TKMS_ERR_CLIENT_UNKNOWN_VERSION if not finalized. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_chain_version(tkms_client_chain *c,
                                                             tkms_client_version *out,
                                                             const tkms_client_network *net,
                                                             uint64_t version);

/* ---- secrets (net_secrets.c) ---- */
typedef struct {
    const char *app_id;             /* lowercase 0x address: the IBE identity */
    const char *attestation_method; /* "dev-ecdsa", "gcp", "sev-snp" */
    const char *attestation;        /* base64 */
    const char *rsa_public_pem;     /* ephemeral key the partials are wrapped to */
    const char *rsa_private_pem;    /* secret: unwraps them */
    const char *challenge;          /* dev-ecdsa, else NULL */
    const uint8_t *extra_data;      /* optional */
    size_t extra_data_len;
    const char *init_data; /* base64, sev-snp, else NULL */
    bool has_version;      /* ask for one version only */
    uint64_t version;
} tkms_client_secrets_request;

typedef enum {
    TKMS_CLIENT_OPERATOR_OK = 0,         /* verified (partial for the chosen version / pubkey) */
    TKMS_CLIENT_OPERATOR_UNREACHABLE,    /* no HTTP answer (refused, timeout, oversize) */
    TKMS_CLIENT_OPERATOR_REFUSED,        /* an HTTP error answer; detail = the node's code */
    TKMS_CLIENT_OPERATOR_MALFORMED,      /* blamed: an answer that is not what api.md says */
    TKMS_CLIENT_OPERATOR_WRONG_IDENTITY, /* blamed: answered as another operator */
    TKMS_CLIENT_OPERATOR_BAD_PARTIAL,    /* blamed: partial fails e(σ,g2) == e(H1(id),PK) */
    TKMS_CLIENT_OPERATOR_OTHER_VERSION,  /* answered, without a partial of the chosen one */
    TKMS_CLIENT_OPERATOR_ENV_MISMATCH,   /* blamed: env differs from the one t agreed on */
    TKMS_CLIENT_OPERATOR_MISMATCH,       /* blamed: /v1/pubkey differs from chain */
    TKMS_CLIENT_OPERATOR_NOT_USED,       /* answered fine but was not needed / not asked */
} tkms_client_operator_status;

TKMS_EXPORT const char *tkms_client_operator_status_name(tkms_client_operator_status s);
/* True for the statuses that name a misbehaving operator. */
TKMS_EXPORT bool tkms_client_operator_status_is_blame(tkms_client_operator_status s);

typedef struct {
    uint8_t address[20];
    tkms_client_operator_status status;
    long http_status; /* 0 without an answer */
    char detail[TKMS_CLIENT_DETAIL_BYTES];
} tkms_client_operator_report;

typedef struct {
    uint64_t version; /* the one used */
    uint16_t t;
    tkms_bls_g1 sk_id; /* secret: S·H1(id), checked against the MPK */
    uint8_t *env;      /* secret, heap: decrypted encrypted_env (NULL, 0 when empty) */
    size_t env_len;
    char *public_env;   /* heap: the agreed public_env as compact JSON with sorted keys */
    uint32_t env_votes; /* operators that returned the accepted env */
    uint32_t operator_count;
    tkms_client_operator_report operators[TKMS_CLIENT_OPERATORS_MAX]; /* net's order */
} tkms_client_secrets;

/* POST /v1/secrets to every operator of net, choose a version, verify, combine, check,
   vote on the env, decrypt it. Errors: TKMS_ERR_CLIENT_TOO_FEW_PARTIALS (no version has t
   verified partials), _ENV_DISAGREEMENT, _ENV_DECRYPT, _KEY_CHECK, _BAD_APP_ID,
   _NO_OPERATORS, _UNKNOWN_VERSION, or what loading a version returned. On failure the
   secrets are zeroed but out->operators still says what each operator did. rng draws the
   batch-verification coefficients. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_secrets_fetch(tkms_client_secrets *out,
                                                             const tkms_client_network *net,
                                                             const tkms_client_secrets_request *req,
                                                             const tkms_client_http_options *http,
                                                             const tkms_rng *rng);
/* Wipes sk_id and env, frees the heap parts. */
TKMS_EXPORT void tkms_client_secrets_clear(tkms_client_secrets *s);
/* The JSON body of the request (heap, NUL-terminated; free()). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_secrets_body(char **out, size_t *len,
                                                            const tkms_client_secrets_request *r);

/* ---- /v1/pubkey cross-check (net_pubkey.c) ---- */
/* GET /v1/pubkey?version=v from every operator of net and compares it with the chain
   state v: version, threshold, MPK, commitments, dealers, and each listed operator's x and
   public share. out[i] for net->operators[i]; *agreeing = how many matched. */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_pubkey_check(tkms_client_operator_report *out,
                                                            uint32_t *agreeing,
                                                            const tkms_client_network *net,
                                                            const tkms_client_version *v,
                                                            const tkms_client_http_options *http);

/* ---- dev-ecdsa attestation (dev_attest.c; api.md, development only) ---- */
#define TKMS_CLIENT_CHALLENGE_BYTES 96       /* "<unix seconds>-<64 hex>" + NUL */
#define TKMS_CLIENT_DEV_SIGNATURE_BYTES 65   /* r ‖ s ‖ v */
#define TKMS_CLIENT_DEV_ATTESTATION_BYTES 92 /* base64 of 65 bytes + NUL */

/* sha256(rsa_pubkey PEM bytes ‖ extra_data): what every attestation method binds. */
TKMS_EXPORT void tkms_client_binding_hash(uint8_t out[32], const char *pem, size_t pem_len,
                                          const uint8_t *extra, size_t extra_len);
/* keccak256("tkms-dev-attest-v1|" ‖ app_id ‖ "|" ‖ challenge ‖ "|" ‖ hex(binding hash)). */
TKMS_EXPORT TKMS_MUST_USE tkms_err tkms_client_dev_attest_digest(
    uint8_t out[32], const char *app_id, const char *challenge, const char *pem, size_t pem_len,
    const uint8_t *extra, size_t extra_len);
/* The same digest from the binding hash (what a verifier holds: tkmsd's dev-ecdsa check).
   No validation: app_id and challenge are NUL-terminated strings the caller checked. */
TKMS_EXPORT void tkms_client_dev_attest_digest_of_binding(uint8_t out[32], const char *app_id,
                                                          const char *challenge,
                                                          const uint8_t binding[32]);
/* challenge = "<now_s>-<hex(nonce)>"; attestation = base64(r ‖ s ‖ v), low-s, v = 27 + recid,
   signed by the app owner's secp256k1 key (secret; not kept). */
TKMS_EXPORT TKMS_MUST_USE tkms_err
tkms_client_dev_attest(char attestation[TKMS_CLIENT_DEV_ATTESTATION_BYTES],
                       char challenge[TKMS_CLIENT_CHALLENGE_BYTES], const uint8_t owner_sk[32],
                       const char *app_id, const char *pem, size_t pem_len, const uint8_t *extra,
                       size_t extra_len, uint64_t now_s, const uint8_t nonce[32]);
/* True for "0x" + 40 lowercase hex digits (the form apps are encrypted to). */
TKMS_EXPORT bool tkms_client_app_id_is_valid(const char *app_id);

#endif
