/*
 * internal.h — what the attest files share and what tests and fuzzers reach below the
 * public API (attest.h): encoders, the JWS parser, the SEV-SNP report and certificate
 * code, the init-data parser, the replay and chain caches. Not for other layers.
 */
#ifndef TKMS_ATTEST_INTERNAL_H
#define TKMS_ATTEST_INTERNAL_H

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>

#include "attest/attest.h"
#include "prim/prim.h"

/* ---- Errors and text (attest_util.c) ------------------------------------------------- */

/* Sets error->code and the formatted message; returns code. error may be NULL. */
tkms_err attest_fail(tkms_attest_error *error, tkms_err code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define ATTEST_QUOTE_BYTES 80 /* a quoted, escaped value: at most 64 source bytes */

/* Writes "value" (printable ASCII, others as \xNN, cut at 64 bytes with "..."). */
void attest_quote(char out[ATTEST_QUOTE_BYTES], const char *s, size_t len);
/* Same for a NUL-terminated string (NULL prints as (absent)). */
void attest_quote_str(char out[ATTEST_QUOTE_BYTES], const char *s);

/* Lowercase hex of n bytes into out (2n + 1 bytes). */
void attest_hex(char *out, const uint8_t *in, size_t n);
/* Lowercase hex of the first n bytes, at most 24 shown then "...", for messages. */
void attest_hex_short(char out[64], const uint8_t *in, size_t n);
/* Decodes exactly out_len bytes from 2*out_len hex digits (either case). */
bool attest_unhex(uint8_t *out, size_t out_len, const char *hex, size_t hex_len);
/* ISO-8601 UTC ("2025-12-10T22:14:21Z"). */
void attest_time_format(char out[32], int64_t t);

/* Strict base64url without padding (RFC 7515): canonical trailing bits. */
bool attest_b64url_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in,
                          size_t in_len);
/* Standard base64 with optional correct padding, canonical bits, no whitespace. */
bool attest_b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in,
                       size_t in_len);
/* Upper bound of the decoded size of in_len base64 characters. */
static inline size_t attest_b64_decoded_max(size_t in_len) {
    return in_len / 4 * 3 + 3;
}

/* Nesting depth of a JSON text (outside strings) is at most depth_max. */
bool attest_json_depth_ok(const uint8_t *json, size_t len, int depth_max);
/* Loads a JSON object: depth cap, duplicate keys rejected, no trailing data. On error
 * fails with `code` and a message naming `what` and the parser's line/column. */
json_t *attest_json_load(tkms_attest_error *error, tkms_err code, const char *what,
                         const uint8_t *json, size_t len);
/* Copies a string member (at most cap - 1 bytes, no NUL inside) into out. Returns false
 * when absent, not a string, or too long. */
bool attest_json_copy_string(char *out, size_t cap, const json_t *obj, const char *key);
/* Reads a dotted path ("submods.gce.instance_name") below obj; NULL when absent. */
const json_t *attest_json_path(const json_t *obj, const char *path);

/* SHA-256 / SHA-384 fetched once per process (shared, never freed), for the signature
 * verifications; plain hashing goes through prim (tkms_prim_sha256*, tkms_prim_sha384). */
const EVP_MD *attest_md_sha256(void);
const EVP_MD *attest_md_sha384(void);

/* Copies len bytes plus a NUL into the claims arena; NULL when it is full. */
const char *attest_claims_strdup(tkms_attest_claims *claims, const char *s, size_t len);
/* Resets claims to empty (keeps it allocated). */
void attest_claims_reset(tkms_attest_claims *claims);

/* ---- JWS (attest_jwt.c) ---------------------------------------------------------------- */

#define ATTEST_JWT_SIGNATURE_BYTES_MAX (TKMS_ATTEST_RSA_BITS_MAX / 8)

typedef struct {
    const char *signing_input; /* header_b64 "." payload_b64, borrowed from the token */
    size_t signing_input_len;
    uint8_t signature[ATTEST_JWT_SIGNATURE_BYTES_MAX];
    size_t signature_len;
    uint8_t *payload_bytes; /* decoded, not yet parsed (owned) */
    size_t payload_bytes_len;
    json_t *header;  /* owned */
    json_t *payload; /* owned; NULL until attest_jwt_parse_payload */
    char alg[16];
    char kid[TKMS_ATTEST_KID_BYTES_MAX + 1];
} attest_jwt;

/* Splits a compact JWS (trailing ASCII whitespace allowed), decodes the signature and
 * parses the header (alg must be RS256, kid present, no crit), base64url-decodes the
 * payload. No signature check, and the payload JSON is left unparsed:
 * attest_jwt_parse_payload parses it once the signature verified. */
tkms_err attest_jwt_parse(attest_jwt *out, tkms_attest_error *error, const uint8_t *token,
                          size_t token_len);
tkms_err attest_jwt_parse_payload(attest_jwt *jwt, tkms_attest_error *error);
void attest_jwt_clear(attest_jwt *jwt);
/* RSASSA-PKCS1-v1_5 SHA-256 over the signing input. */
tkms_err attest_jwt_verify_rs256(tkms_attest_error *error, EVP_PKEY *key, const attest_jwt *jwt);

/* ---- JWKS (attest_jwks.c) -------------------------------------------------------------- */

/* The key for kid with one reference taken (EVP_PKEY_free it), or NULL. */
EVP_PKEY *attest_jwks_key_get(const tkms_attest_jwks *jwks, const char *kid);
EVP_PKEY *attest_jwks_cache_key_get(tkms_attest_jwks_cache *cache, const char *kid);
/* Builds an RSA public key from big-endian n and e. */
EVP_PKEY *attest_rsa_public_from_ne(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len);

/* ---- Replay cache (attest_replay.c) ------------------------------------------------------ */

typedef struct attest_replay attest_replay;

attest_replay *attest_replay_new(size_t entries_max);
void attest_replay_free(attest_replay *replay);
/* Records key until expires_at; TKMS_ERR_ATTEST_REPLAYED when it is recorded and live.
 * A full bucket evicts its entry that expires first (bounded memory, see docs). */
tkms_err attest_replay_check_insert(attest_replay *replay, tkms_attest_error *error,
                                    const uint8_t key[32], int64_t expires_at, int64_t now);

/* ---- SEV-SNP report (attest_snp_report.c) -------------------------------------------------- */

/* Finds the 1184-byte report in the evidence bytes: at offset 32 of an HCL blob ("HCLA"),
 * else at offset 0 (trailing bytes, as in Azure/Constellation captures, are ignored). */
tkms_err attest_snp_report_locate(const uint8_t **report, tkms_attest_error *error,
                                  const uint8_t *in, size_t in_len);
/* Parses exactly TKMS_ATTEST_SNP_REPORT_BYTES bytes: version 2 or 3, algo 1, a signer. */
tkms_err attest_snp_report_parse(tkms_attest_snp_report *out, tkms_attest_error *error,
                                 const uint8_t *report, size_t report_len);
void attest_snp_tcb_decode(tkms_attest_snp_tcb *out, uint64_t raw, tkms_attest_snp_product product);
uint64_t attest_snp_tcb_encode(const tkms_attest_snp_tcb *tcb, tkms_attest_snp_product product);
void attest_snp_tcb_format(char out[64], const tkms_attest_snp_tcb *tcb,
                           tkms_attest_snp_product product);
tkms_attest_snp_product attest_snp_product_from_cpuid(uint8_t family, uint8_t model);
/* ECDSA P-384 SHA-384 over report[0, 0x2A0) with R, S little-endian at 0x2A0 / 0x2E8. */
tkms_err attest_snp_report_verify_signature(tkms_attest_error *error, EVP_PKEY *vek,
                                            const uint8_t *report);

/* ---- SEV-SNP certificates (attest_snp_cert.c) ------------------------------------------------ */

typedef enum { ATTEST_SNP_CA_ASK = 0, ATTEST_SNP_CA_ASVK = 1 } attest_snp_ca_kind;

typedef struct {
    tkms_attest_snp_product product;
    attest_snp_ca_kind kind;
    X509 *ark;
    X509 *ask; /* ASK or ASVK */
    EVP_PKEY *ask_key;
    int64_t ark_not_before, ark_not_after;
    int64_t ask_not_before, ask_not_after;
    char ask_cn[64];
} attest_snp_root;

/* A VEK (VCEK or VLEK) whose chain verified, with what its extensions say. */
typedef struct {
    uint8_t fingerprint[32]; /* sha256(DER) */
    EVP_PKEY *key;           /* P-384 public key (owned) */
    tkms_attest_snp_product product;
    uint32_t signer; /* TKMS_ATTEST_SNP_SIGNER_VCEK or _VLEK */
    uint64_t tcb;    /* REPORTED_TCB the certificate certifies, in the product's layout */
    uint8_t hwid[64];
    size_t hwid_len; /* 64 (Milan, Genoa), 8 (Turin), 0 (VLEK) */
    char product_name[32];
    char ask_cn[64];
    int64_t vek_not_before, vek_not_after;
    int64_t ask_not_before, ask_not_after;
    int64_t ark_not_before, ark_not_after;
} attest_snp_vek;

/* The DER of one cert_chain entry, PEM ("-----BEGIN CERTIFICATE-----") or base64 DER, at
 * most TKMS_ATTEST_SNP_CERT_BYTES_MAX (malloc'd; NULL when it is neither). */
uint8_t *attest_snp_cert_der(size_t *der_len, const char *text, size_t text_len);
/* d2i_X509 of exactly der_len bytes. */
tkms_err attest_snp_cert_parse_der(X509 **out, tkms_attest_error *error, const uint8_t *der,
                                   size_t der_len, size_t index);
/* Both of the above, plus the SHA-256 of the DER. */
tkms_err attest_snp_cert_decode(X509 **out, uint8_t fingerprint[32], tkms_attest_error *error,
                                const char *text, size_t text_len, size_t index);
/* Loads an ASK/ASVK + ARK PEM bundle, checking both signatures and names. */
tkms_err attest_snp_root_load(attest_snp_root *out, tkms_attest_error *error, const uint8_t *pem,
                              size_t pem_len);
void attest_snp_root_clear(attest_snp_root *root);
/* Checks that cert is signed by issuer_key with RSASSA-PSS SHA-384, MGF1-SHA-384, salt 48. */
tkms_err attest_snp_cert_check_pss(tkms_attest_error *error, X509 *cert, EVP_PKEY *issuer_key,
                                   const char *what);
/* Verifies the VEK against the roots (by issuer name and signer kind) and extracts its
 * extensions. Does not check validity times (attest_snp_vek_check_time does). */
tkms_err attest_snp_vek_verify(attest_snp_vek *out, tkms_attest_error *error,
                               const attest_snp_root *roots, size_t root_count, X509 *vek,
                               uint32_t signer);
tkms_err attest_snp_vek_check_time(tkms_attest_error *error, const attest_snp_vek *vek,
                                   int64_t now);
void attest_snp_vek_clear(attest_snp_vek *vek);
int64_t attest_asn1_time_to_unix(const ASN1_TIME *t);

/* The built-in AMD KDS bundles (attest_snp_roots.c): ASK/ASVK + ARK for each product. */
extern const char *const attest_snp_builtin_bundles[];
extern const size_t attest_snp_builtin_bundle_count;

/* ---- SEV-SNP evidence JSON (attest_snp_evidence.c) ------------------------------------------ */

typedef struct {
    uint8_t *report; /* decoded attestation_report (owned) */
    size_t report_len;
    size_t cert_count;
    char *certs[TKMS_ATTEST_SNP_CERT_CHAIN_MAX]; /* owned copies of the entries */
    size_t cert_lens[TKMS_ATTEST_SNP_CERT_CHAIN_MAX];
    uint8_t *init_data; /* decoded init_data (owned), NULL when absent */
    size_t init_data_len;
} attest_snp_evidence;

tkms_err attest_snp_evidence_parse(attest_snp_evidence *out, tkms_attest_error *error,
                                   const uint8_t *json, size_t json_len);
void attest_snp_evidence_clear(attest_snp_evidence *ev);

/* ---- Init data (attest_init_data.c) ------------------------------------------------------ */

typedef struct {
    char reference[TKMS_ATTEST_IMAGE_REFERENCE_BYTES_MAX + 1]; /* registry/repo[:tag] */
    char digest[TKMS_ATTEST_IMAGE_DIGEST_BYTES + 1];           /* "sha256:<hex>" */
    size_t distinct_count;                                     /* image references found */
} attest_init_data_image;

/* Parses init data (raw TOML, gzip, or base64 of gzip), finds [data]."policy.rego", strips
 * Rego comments and extracts the `<registry>@sha256:<digest>` reference. */
tkms_err attest_init_data_image_parse(attest_init_data_image *out, tkms_attest_error *error,
                                      const uint8_t *init_data, size_t init_data_len,
                                      bool first_wins);
/* The TOML subset: returns the [data]."policy.rego" string (malloc'd, NUL-terminated). */
tkms_err attest_init_data_toml_policy(char **policy_out, size_t *policy_len,
                                      tkms_attest_error *error, const char *toml, size_t len);
/* Replaces Rego comments (# to end of line, outside strings) with spaces, in place. */
void attest_rego_strip_comments(char *rego, size_t len);

/* ---- Context (attest.c) ------------------------------------------------------------------ */

struct tkms_attest_context {
    attest_snp_root *roots;
    size_t root_count;
    size_t root_cap;
    pthread_mutex_t lock; /* guards the chain cache */
    attest_snp_vek *chain_cache;
    uint64_t *chain_cache_used; /* last-use tick per entry (LRU) */
    size_t chain_cache_count;
    size_t chain_cache_max;
    uint64_t chain_cache_tick;
    attest_replay *replay; /* NULL when disabled */
    tkms_attest_jwks_cache *jwks;
};

/* The claim checks of the gcp method on an already verified JWS (also the fuzz entry). */
tkms_err attest_gcp_check_claims(tkms_attest_claims *claims, tkms_attest_error *error,
                                 const tkms_attest_policy *policy, const tkms_attest_request *req,
                                 const attest_jwt *jwt);
tkms_err attest_gcp_verify(tkms_attest_claims *claims, tkms_attest_error *error,
                           tkms_attest_context *ctx, const tkms_attest_policy *policy,
                           const tkms_attest_request *request);
tkms_err attest_snp_verify(tkms_attest_claims *claims, tkms_attest_error *error,
                           tkms_attest_context *ctx, const tkms_attest_policy *policy,
                           const tkms_attest_request *request);

#endif
