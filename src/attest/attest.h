/*
 * attest.h — TEE attestation verifiers: Google Confidential Space tokens ("gcp") and raw
 * AMD SEV-SNP reports ("sev-snp"), behind one call (api.md "POST /v1/secrets", crypto.md §9).
 *
 * Contract
 * - One entry point: tkms_attest_verify(claims, error, context, policy, request). It checks
 *   the evidence against the policy, the binding and `request->now`, and fills `claims`, or
 *   returns a tkms_err with a stable code (attest_errors.def, 500–599) and a message saying
 *   which check failed, with the expected and the found value. Messages never contain
 *   tokens, keys or other secrets; found values are quoted, escaped and truncated.
 * - No clock reads and no I/O inside verification: time is `request->now` (unix seconds).
 *   JWKS fetching is a separate adapter (tkms_attest_jwks_cache_*, file or https URL via
 *   libcurl) that the caller refreshes; verification only reads its current key set.
 * - No logging. This layer returns errors; the caller logs them (never the evidence).
 * - Memory: heap objects are the explicit _new/_free types below (free accepts NULL); the
 *   policy, request and error are plain structs owned by the caller. Transient allocations
 *   (OpenSSL, jansson, decompression) are released before a call returns.
 * - Thread-safety: a context may be shared by threads (its replay cache and SEV-SNP chain
 *   cache are locked); a JWKS cache may be refreshed while another thread verifies. A claims
 *   object or an error struct belongs to one thread.
 * - Bounds: every input has a cap (TKMS_ATTEST_*_MAX below); JSON is parsed with duplicate
 *   keys rejected and a nesting limit.
 * - Not constant time, and need not be: everything verified here is public.
 *
 * Order of checks (what a test can rely on: the first failing check is the one reported)
 *   gcp:     size → JWS shape → header (alg RS256 only, kid) → key by kid → RS256 signature
 *            → payload JSON → iss → aud → iat/nbf/exp ± skew → swname → hwmodel → dbgstat
 *            → secboot → STABLE → swversion → project → image digest → app id → eat_nonce
 *            binding → replay cache (iss, iat, nonce) or jti.
 *   sev-snp: size → evidence JSON → report (HCL slice, version, algo, signer) → VEK
 *            certificate → chain to a trusted ASK/ASVK and ARK (cached by VEK fingerprint)
 *            → validity at now → product → report signature → cert TCB = REPORTED_TCB →
 *            hwID = CHIP_ID → guest policy (debug, migration agent, SMT) → VMPL → committed
 *            = current TCB → reported ≤ current → minimum TCB → MEASUREMENT allowlist →
 *            REPORT_DATA binding → init data hash → init data image reference.
 *
 * Caveats
 * - sev-snp evidence carries no app identity: claims.app_id is empty and the caller
 *   authorizes by image digest alone (as eigenx-kms-go does). It carries no time either:
 *   freshness comes from the caller's ephemeral RSA key inside the binding.
 * - For sev-snp, the image digest is only as trustworthy as the guest software that wrote
 *   REPORT_DATA: configure the MEASUREMENT allowlist (claims.snp_measurement_allowlisted).
 * - Binding kinds other than TKMS_ATTEST_BINDING_HASH exist for diagnostics and for tests
 *   against evidence bound to other parties' keys; a server must always use HASH.
 * docs/attestation.md has the claim mapping, the init-data format and the defaults.
 */
#ifndef TKMS_ATTEST_H
#define TKMS_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tkms_err.h"

/* Sizes and caps. */
#define TKMS_ATTEST_MESSAGE_BYTES 384
#define TKMS_ATTEST_BINDING_BYTES 32                /* sha256(rsa_pubkey ‖ extra_data) */
#define TKMS_ATTEST_EVIDENCE_BYTES_MAX (256 * 1024) /* api.md: attestation ≤ 256 KiB */
#define TKMS_ATTEST_JWT_BYTES_MAX (64 * 1024)
#define TKMS_ATTEST_JSON_DEPTH_MAX 16
#define TKMS_ATTEST_JWKS_BYTES_MAX (64 * 1024)
#define TKMS_ATTEST_JWKS_KEYS_MAX 16
#define TKMS_ATTEST_RSA_BITS_MIN 2048
#define TKMS_ATTEST_RSA_BITS_MAX 8192
#define TKMS_ATTEST_KID_BYTES_MAX 128
#define TKMS_ATTEST_APP_ID_BYTES_MAX 128
#define TKMS_ATTEST_NONCE_BYTES_MIN 8 /* Confidential Space: each nonce is 8..88 bytes */
#define TKMS_ATTEST_NONCE_BYTES_MAX 88
#define TKMS_ATTEST_NONCE_COUNT_MAX 6
#define TKMS_ATTEST_AUDIENCE_BYTES_MAX 512
#define TKMS_ATTEST_AUDIENCES_MAX 8
#define TKMS_ATTEST_HWMODEL_BYTES_MAX 31
#define TKMS_ATTEST_HWMODELS_MAX 8
#define TKMS_ATTEST_PROJECT_BYTES_MAX 63
#define TKMS_ATTEST_PROJECTS_MAX 64
#define TKMS_ATTEST_CLAIM_PATH_BYTES_MAX 127
#define TKMS_ATTEST_SKEW_S_MAX 600
#define TKMS_ATTEST_SKEW_S_DEFAULT 60
#define TKMS_ATTEST_IMAGE_DIGEST_BYTES 71 /* "sha256:" + 64 lowercase hex */
#define TKMS_ATTEST_IMAGE_REFERENCE_BYTES_MAX 511
#define TKMS_ATTEST_CONTAINER_ARGS_MAX 64
#define TKMS_ATTEST_CONTAINER_ENV_MAX 128
#define TKMS_ATTEST_CLAIMS_ARENA_BYTES (48 * 1024)
#define TKMS_ATTEST_SNP_REPORT_BYTES 1184 /* 0x4A0 */
#define TKMS_ATTEST_SNP_HCL_REPORT_OFFSET 32
#define TKMS_ATTEST_SNP_REPORT_INPUT_BYTES_MAX (16 * 1024)
#define TKMS_ATTEST_SNP_CERT_CHAIN_MAX 8
#define TKMS_ATTEST_SNP_CERT_BYTES_MAX 8192
#define TKMS_ATTEST_SNP_MEASUREMENT_BYTES 48
#define TKMS_ATTEST_SNP_MEASUREMENTS_MAX 64
#define TKMS_ATTEST_SNP_REPORT_DATA_BYTES 64
#define TKMS_ATTEST_SNP_CHIP_ID_BYTES 64
#define TKMS_ATTEST_INIT_DATA_BYTES_MAX (256 * 1024)
#define TKMS_ATTEST_INIT_DATA_DECOMPRESSED_BYTES_MAX (1024 * 1024)
#define TKMS_ATTEST_REPLAY_ENTRIES_DEFAULT 65536
#define TKMS_ATTEST_REPLAY_ENTRIES_MAX (1u << 22)
#define TKMS_ATTEST_SNP_CHAIN_CACHE_DEFAULT 256
#define TKMS_ATTEST_SNP_CHAIN_CACHE_MAX 4096
#define TKMS_ATTEST_NOW_MAX 100000000000LL /* request->now: unix seconds, year < 5138 */
#define TKMS_ATTEST_GCP_ISSUER "https://confidentialcomputing.googleapis.com"

typedef enum {
    TKMS_ATTEST_METHOD_NONE = 0,
    TKMS_ATTEST_METHOD_GCP = 1,
    TKMS_ATTEST_METHOD_SEV_SNP = 2,
} tkms_attest_method;

/* "gcp" / "sev-snp" ⇄ enum. from_name returns TKMS_ATTEST_METHOD_NONE for other names. */
tkms_attest_method tkms_attest_method_from_name(const char *name);
const char *tkms_attest_method_name(tkms_attest_method method);

/* The failure of a verification: the code again and a one-line message, NUL-terminated. */
typedef struct {
    tkms_err code;
    char message[TKMS_ATTEST_MESSAGE_BYTES];
} tkms_attest_error;

/* ---- Binding -------------------------------------------------------------------------- */

typedef enum {
    /* Production (api.md): hash = sha256(rsa_pubkey PEM bytes ‖ extra_data). gcp: eat_nonce
     * contains lowercase hex(hash). sev-snp: REPORT_DATA[0:32] = hex(hash[0:16]). */
    TKMS_ATTEST_BINDING_HASH = 0,
    /* Diagnostics/tests: gcp: eat_nonce contains exactly `exact`; sev-snp: REPORT_DATA equals
     * the 64 bytes of `exact`. */
    TKMS_ATTEST_BINDING_EXACT = 1,
    /* Diagnostics only: the binding is not checked (claims.binding_checked = false). */
    TKMS_ATTEST_BINDING_NONE = 2,
} tkms_attest_binding_kind;

typedef struct {
    tkms_attest_binding_kind kind;
    uint8_t hash[TKMS_ATTEST_BINDING_BYTES]; /* kind HASH */
    const uint8_t *exact;                    /* kind EXACT (borrowed) */
    size_t exact_len;
} tkms_attest_binding;

/* Sets a HASH binding to sha256(rsa_pubkey ‖ extra_data) (extra_data may be NULL/0). */
void tkms_attest_binding_from_request(tkms_attest_binding *out, const uint8_t *rsa_pubkey_pem,
                                      size_t rsa_pubkey_pem_len, const uint8_t *extra_data,
                                      size_t extra_data_len);

/* ---- Policy --------------------------------------------------------------------------- */

typedef enum {
    TKMS_ATTEST_SNP_PRODUCT_UNKNOWN = 0,
    TKMS_ATTEST_SNP_PRODUCT_MILAN = 1,
    TKMS_ATTEST_SNP_PRODUCT_GENOA = 2,
    TKMS_ATTEST_SNP_PRODUCT_TURIN = 3,
} tkms_attest_snp_product;
#define TKMS_ATTEST_SNP_PRODUCT_COUNT 4

const char *tkms_attest_snp_product_name(tkms_attest_snp_product product);

/* A TCB_VERSION decoded per product (Milan/Genoa: BL,TEE,-,-,-,-,SNP,UCODE; Turin:
 * FMC,BL,TEE,SNP,-,-,-,UCODE; fmc is 0 before Turin). */
typedef struct {
    uint8_t fmc, bl, tee, snp, ucode;
} tkms_attest_snp_tcb;

typedef enum {
    TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME_SUFFIX = 0, /* last '-'-separated part (default) */
    TKMS_ATTEST_GCP_APP_ID_INSTANCE_NAME = 1,        /* submods.gce.instance_name as is */
    TKMS_ATTEST_GCP_APP_ID_CLAIM = 2,                /* string claim at a dotted path */
} tkms_attest_gcp_app_id_source;

typedef struct {
    uint32_t clock_skew_s; /* tolerance on iat/nbf/exp (default 60, max 600) */
    struct {
        size_t audience_count; /* aud must be exactly one of these (required) */
        char audiences[TKMS_ATTEST_AUDIENCES_MAX][TKMS_ATTEST_AUDIENCE_BYTES_MAX + 1];
        size_t hwmodel_count; /* default GCP_AMD_SEV, GCP_AMD_SEV_ES, GCP_INTEL_TDX */
        char hwmodels[TKMS_ATTEST_HWMODELS_MAX][TKMS_ATTEST_HWMODEL_BYTES_MAX + 1];
        size_t project_count; /* 0 = any project */
        char projects[TKMS_ATTEST_PROJECTS_MAX][TKMS_ATTEST_PROJECT_BYTES_MAX + 1];
        bool allow_debug;         /* accept dbgstat other than disabled-since-boot */
        bool require_stable;      /* support_attributes must contain STABLE (default on) */
        bool require_secure_boot; /* secboot must be true (default on) */
        uint32_t swversion_min;   /* every swversion entry ≥ this (YYYYMM##; default 0) */
        tkms_attest_gcp_app_id_source app_id_source;
        char app_id_claim[TKMS_ATTEST_CLAIM_PATH_BYTES_MAX + 1]; /* for _CLAIM */
        bool replay_check;                                       /* default on */
    } gcp;
    struct {
        bool allow_debug;                /* guest policy DEBUG (default off) */
        bool allow_migration_agent;      /* guest policy MIGRATE_MA (default off) */
        bool allow_smt;                  /* guest policy SMT (default on) */
        bool allow_provisional_firmware; /* committed ≤ current instead of = (default off) */
        bool allow_vcek, allow_vlek;     /* signing keys (default both) */
        uint32_t vmpl;                   /* required VMPL (default 0) */
        bool min_tcb_set[TKMS_ATTEST_SNP_PRODUCT_COUNT];
        tkms_attest_snp_tcb min_tcb[TKMS_ATTEST_SNP_PRODUCT_COUNT]; /* by product */
        size_t measurement_count; /* 0 = no allowlist (not recommended) */
        uint8_t measurements[TKMS_ATTEST_SNP_MEASUREMENTS_MAX][TKMS_ATTEST_SNP_MEASUREMENT_BYTES];
        bool init_data_first_image_wins; /* eigenx behaviour; default: ambiguity is an error */
    } snp;
} tkms_attest_policy;

/* The defaults documented in docs/attestation.md (no audience: gcp needs one configured). */
void tkms_attest_policy_default(tkms_attest_policy *out);

/* Loads a policy from JSON (docs/attestation.md): starts from the defaults and applies the
 * keys present; unknown keys and bad values are errors (TKMS_ERR_ATTEST_POLICY_INVALID). */
TKMS_MUST_USE tkms_err tkms_attest_policy_from_json(tkms_attest_policy *out,
                                                    tkms_attest_error *error, const uint8_t *json,
                                                    size_t json_len);

/* ---- Claims --------------------------------------------------------------------------- */

/* The parsed fields of an SEV-SNP ATTESTATION_REPORT (AMD SEV-SNP ABI, versions 2 and 3). */
typedef struct {
    uint32_t version;
    uint32_t guest_svn;
    uint64_t policy;
    uint8_t family_id[16];
    uint8_t image_id[16];
    uint32_t vmpl;
    uint32_t signature_algo;
    uint64_t current_tcb;
    uint64_t platform_info;
    uint32_t signer_info; /* raw word at 0x48 */
    bool author_key_en;   /* bit 0 */
    bool mask_chip_id;    /* bit 1 */
    uint32_t signing_key; /* bits 4:2: 0 VCEK, 1 VLEK, 7 none */
    uint8_t report_data[TKMS_ATTEST_SNP_REPORT_DATA_BYTES];
    uint8_t measurement[TKMS_ATTEST_SNP_MEASUREMENT_BYTES];
    uint8_t host_data[32];
    uint8_t id_key_digest[48];
    uint8_t author_key_digest[48];
    uint8_t report_id[32];
    uint8_t report_id_ma[32];
    uint64_t reported_tcb;
    uint8_t cpuid_family, cpuid_model, cpuid_stepping; /* version ≥ 3, else 0 */
    uint8_t chip_id[TKMS_ATTEST_SNP_CHIP_ID_BYTES];
    uint64_t committed_tcb;
    uint8_t current_build, current_minor, current_major;
    uint8_t committed_build, committed_minor, committed_major;
    uint64_t launch_tcb;
    uint8_t signature_r[72], signature_s[72]; /* little-endian, as in the report */
} tkms_attest_snp_report;

#define TKMS_ATTEST_SNP_SIGNER_VCEK 0u
#define TKMS_ATTEST_SNP_SIGNER_VLEK 1u
#define TKMS_ATTEST_SNP_SIGNER_NONE 7u
#define TKMS_ATTEST_SNP_POLICY_SMT (1ull << 16)
#define TKMS_ATTEST_SNP_POLICY_MIGRATE_MA (1ull << 18)
#define TKMS_ATTEST_SNP_POLICY_DEBUG (1ull << 19)

/*
 * What verification established. Heap object (tkms_attest_claims_new/_free): the container
 * args and env point into its own arena, so it must not be copied by value. Strings are
 * NUL-terminated and empty when the method does not carry the field.
 */
typedef struct {
    tkms_attest_method method;
    bool binding_checked;                          /* false only for TKMS_ATTEST_BINDING_NONE */
    char app_id[TKMS_ATTEST_APP_ID_BYTES_MAX + 1]; /* gcp only */
    char image_digest[TKMS_ATTEST_IMAGE_DIGEST_BYTES + 1];           /* "sha256:<hex>" */
    char image_reference[TKMS_ATTEST_IMAGE_REFERENCE_BYTES_MAX + 1]; /* gcp image_reference;
                                                                       sev-snp: registry/repo */
    bool has_time;                                                   /* gcp: iat/nbf/exp present */
    int64_t issued_at, not_before, expires_at;
    char nonce[TKMS_ATTEST_NONCE_BYTES_MAX + 1]; /* gcp: the eat_nonce entry that matched;
                                                    sev-snp: REPORT_DATA[0:32] as text */
    struct {
        char hardware_model[32]; /* gcp hwmodel; sev-snp product (Milan, Genoa, Turin) */
        char tcb[64];            /* sev-snp "bl=.. tee=.. snp=.. ucode=.."; gcp TDX status */
        bool debug;
    } platform;
    struct {
        bool present;
        size_t arg_count;
        const char *args[TKMS_ATTEST_CONTAINER_ARGS_MAX];
        size_t env_count;
        const char *env_names[TKMS_ATTEST_CONTAINER_ENV_MAX];
        const char *env_values[TKMS_ATTEST_CONTAINER_ENV_MAX];
        char restart_policy[32];
    } container;
    struct {
        char kid[TKMS_ATTEST_KID_BYTES_MAX + 1];
        char audience[TKMS_ATTEST_AUDIENCE_BYTES_MAX + 1];
        char swname[32];
        uint32_t swversion;
        char dbgstat[32];
        bool secure_boot;
        bool support_latest, support_stable, support_usable;
        char project_id[64];
        char project_number[24];
        char zone[64];
        char instance_name[64];
        char instance_id[24];
        char image_id[TKMS_ATTEST_IMAGE_DIGEST_BYTES + 1];
        char jti[TKMS_ATTEST_NONCE_BYTES_MAX + 1];
    } gcp;
    struct {
        tkms_attest_snp_report report;
        tkms_attest_snp_product product;
        tkms_attest_snp_tcb reported_tcb;
        char vek_product_name[32]; /* productName extension, e.g. "Milan-B0" */
        bool measurement_allowlisted;
        bool init_data_present;
    } snp;
    size_t arena_used;
    char arena[TKMS_ATTEST_CLAIMS_ARENA_BYTES];
} tkms_attest_claims;

TKMS_MUST_USE tkms_err tkms_attest_claims_new(tkms_attest_claims **out);
void tkms_attest_claims_free(tkms_attest_claims *claims);

/* ---- JWKS key sets and their cache (the fetching adapter) ------------------------------ */

typedef struct tkms_attest_jwks tkms_attest_jwks; /* an immutable set of RS256 keys */

/* Parses {"keys":[…]}: RSA keys with kid (unique), n, e, optional alg RS256 / use sig;
 * keys of other types are skipped; at least one RSA key is required. */
TKMS_MUST_USE tkms_err tkms_attest_jwks_parse(tkms_attest_jwks **out, tkms_attest_error *error,
                                              const uint8_t *json, size_t json_len);
void tkms_attest_jwks_free(tkms_attest_jwks *jwks);
size_t tkms_attest_jwks_key_count(const tkms_attest_jwks *jwks);

typedef struct tkms_attest_jwks_cache tkms_attest_jwks_cache;

typedef struct {
    const char *source;      /* a file path, or an https:// URL (copied) */
    uint32_t refresh_s;      /* refetch when older than this (default 3600) */
    uint32_t retry_s;        /* at most one fetch per this many seconds (default 60) */
    uint32_t timeout_ms;     /* URL fetch timeout (default 5000) */
    bool allow_insecure_url; /* also accept http:// and file:// URLs (tests only) */
} tkms_attest_jwks_cache_options;

void tkms_attest_jwks_cache_options_default(tkms_attest_jwks_cache_options *out);
TKMS_MUST_USE tkms_err tkms_attest_jwks_cache_new(tkms_attest_jwks_cache **out,
                                                  tkms_attest_error *error,
                                                  const tkms_attest_jwks_cache_options *options);
void tkms_attest_jwks_cache_free(tkms_attest_jwks_cache *cache);
/* Fetches and parses the source now (I/O); on failure the previous key set stays. */
TKMS_MUST_USE tkms_err tkms_attest_jwks_cache_refresh(tkms_attest_jwks_cache *cache,
                                                      tkms_attest_error *error, int64_t now);
/* Refreshes when the key set is older than refresh_s, or when `kid` (may be NULL) is not
 * in it — in both cases at most once per retry_s. Returns TKMS_OK when nothing was due.
 * Callers run this before verifying, and again after TKMS_ERR_ATTEST_JWT_KID_UNKNOWN. */
TKMS_MUST_USE tkms_err tkms_attest_jwks_cache_refresh_if_due(tkms_attest_jwks_cache *cache,
                                                             tkms_attest_error *error, int64_t now,
                                                             const char *kid);
/* Installs an already parsed key set (takes ownership), as if fetched at `now`. */
void tkms_attest_jwks_cache_install(tkms_attest_jwks_cache *cache, tkms_attest_jwks *jwks,
                                    int64_t now);
size_t tkms_attest_jwks_cache_key_count(tkms_attest_jwks_cache *cache);

/* ---- Context and verification ----------------------------------------------------------- */

typedef struct tkms_attest_context tkms_attest_context;

typedef struct {
    bool snp_builtin_roots;     /* AMD ARK/ASK/ASVK for Milan, Genoa, Turin (default on) */
    size_t replay_entries_max;  /* gcp replay cache size; 0 disables it (benchmarks) */
    size_t snp_chain_cache_max; /* verified VEK chains kept; 0 disables the cache */
} tkms_attest_context_options;

void tkms_attest_context_options_default(tkms_attest_context_options *out);
TKMS_MUST_USE tkms_err tkms_attest_context_new(tkms_attest_context **out, tkms_attest_error *error,
                                               const tkms_attest_context_options *options);
void tkms_attest_context_free(tkms_attest_context *ctx);

/* Trusts one more AMD KDS cert_chain bundle: an ASK (or ASVK) and its ARK, PEM, either
 * order. Both signatures are checked (RSA-PSS SHA-384) before the bundle is added. */
TKMS_MUST_USE tkms_err tkms_attest_context_snp_roots_add(tkms_attest_context *ctx,
                                                         tkms_attest_error *error,
                                                         const uint8_t *pem, size_t pem_len);

/* The JWKS cache gcp verification reads (borrowed: it must outlive the context's use). */
void tkms_attest_context_jwks_set(tkms_attest_context *ctx, tkms_attest_jwks_cache *cache);

typedef struct {
    tkms_attest_method method;
    const uint8_t *evidence; /* gcp: the compact JWS; sev-snp: the evidence JSON
                                {"attestation_report","cert_chain","init_data"?} */
    size_t evidence_len;
    const uint8_t *init_data; /* sev-snp: the request's decoded init_data (optional when the
                                 evidence JSON carries it; both present must be equal) */
    size_t init_data_len;
    tkms_attest_binding binding;
    int64_t now; /* unix seconds */
} tkms_attest_request;

/* Verifies; on success fills claims (reset first), on failure zeroes claims and fills error. */
TKMS_MUST_USE tkms_err tkms_attest_verify(tkms_attest_claims *claims, tkms_attest_error *error,
                                          tkms_attest_context *ctx,
                                          const tkms_attest_policy *policy,
                                          const tkms_attest_request *request);

#endif
