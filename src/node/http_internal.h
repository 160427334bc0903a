/*
 * http_internal.h — what the HTTP server's files share: the request and reply of one
 * exchange, the route table entry, the server object, and the helpers the handlers use
 * (limits, dev-ecdsa, H1 cache, reply builders). Only src/node's HTTP files include it.
 *
 * Dispatch (style R16, like Redis's processCommand): http.c finds the route in a static
 * table, then runs the generic checks in this order before any handler code runs:
 *   route exists (404) → method (405, Allow) → content type (415) → declared body size
 *   (413) → per-IP token bucket of the route's rate class (429, Retry-After) → global
 *   in-flight cap (503, Retry-After) → body received within the cap (413) and within
 *   read_timeout_s of the headers (408) → handler.
 * A handler is parse → call → render: it fills an http_reply (status + JSON) and never
 * touches MHD. Handlers are therefore callable without a server socket (fuzzers).
 */
#ifndef TKMS_NODE_HTTP_INTERNAL_H
#define TKMS_NODE_HTTP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "attest/attest.h"
#include "bls/bls.h"
#include "client/client.h"
#include "node/http.h"

/* ---- routes --------------------------------------------------------------------------- */

enum { HTTP_GET = 1u, HTTP_POST = 2u };
enum { LISTEN_APP = 1u, LISTEN_PEER = 2u, LISTEN_BOTH = 3u };

typedef enum {
    BODY_NONE = 0,    /* GET: any body is refused (413) */
    BODY_DEFAULT = 1, /* config.body_bytes_max */
    BODY_SECRETS = 2, /* config.secrets_body_bytes_max */
} http_body_class;

typedef enum {
    AUTH_NONE = 0,     /* public */
    AUTH_ATTESTED = 1, /* the handler verifies a TEE attestation (api.md /v1/secrets) */
    AUTH_PEER = 2,     /* the handler verifies an operator's envelope signature */
} http_auth_class;

typedef enum {
    RATE_NONE = 0, /* operator endpoints: never limited, not counted in flight */
    RATE_APP = 1,  /* app endpoints: per-IP bucket (ip_rps, ip_burst) */
    RATE_PEER = 2, /* peer endpoints: their own per-IP bucket, same numbers */
    RATE_CLASS_COUNT = 3,
} http_rate_class;

typedef struct http_request http_request;
typedef struct http_reply http_reply;
typedef void (*http_handler)(http_request *req, http_reply *reply);

typedef struct {
    const char *name; /* metric and log label */
    unsigned methods; /* HTTP_GET | HTTP_POST */
    const char *path; /* exact, or a prefix when prefix is true */
    bool prefix;
    http_handler handler;
    http_body_class body;
    http_auth_class auth;
    http_rate_class rate;
    unsigned listeners; /* LISTEN_* */
} http_route;

/* ---- limits (limits.c) ----------------------------------------------------------------- */

#define NODE_LIMITS_BUCKET_SETS 1024 /* x 4 ways per table */
#define NODE_LIMITS_WAYS 4

typedef struct node_limits node_limits;

node_limits *limits_new(const node_config *config);
void limits_free(node_limits *l);
/* Takes a token of the route class's bucket for this source address (16 bytes, IPv4
   mapped); false with *retry_after_s when empty. rps 0 in the config: unlimited. */
bool limits_ip_take(node_limits *l, http_rate_class rate, const uint8_t ip[16], uint64_t now_us,
                    uint32_t *retry_after_s);
/* The per-app-id bucket of /v1/secrets (app_rps, app_burst). */
bool limits_app_take(node_limits *l, const uint8_t app[20], uint64_t now_us,
                     uint32_t *retry_after_s);
/* The global in-flight cap: false (and nothing counted) when at in_flight_max. */
bool limits_in_flight_enter(node_limits *l);
void limits_in_flight_leave(node_limits *l);
uint32_t limits_in_flight(node_limits *l);

/* ---- dev-ecdsa (dev_attest.c) ---------------------------------------------------------- */

#define DEV_ATTEST_WINDOW_S 300 /* a challenge is accepted for 5 minutes ... */
#define DEV_ATTEST_FUTURE_S 30  /* ... and not more than 30 s ahead */
#define DEV_ATTEST_SIGNATURE_BYTES 65
#define DEV_ATTEST_CHALLENGE_BYTES_MAX 96 /* 20 digits + '-' + 64 hex, with room */
#define DEV_ATTEST_REPLAY_SETS 8192       /* x 8 ways = 65536 nonces */
#define DEV_ATTEST_REPLAY_WAYS 8

typedef struct node_dev_attest node_dev_attest;

/* replay_check false only for benchmarks (node_config.dev_ecdsa_replay_disabled). */
node_dev_attest *dev_attest_new(bool replay_check);
void dev_attest_free(node_dev_attest *d);
/* Checks the challenge (format, window against now) and the signature (65 bytes, v in
   {0,1,27,28}, low s), and recovers the signer's address. On success *nonce holds the
   challenge's nonce and *expires when its replay entry may be dropped. Errors:
   TKMS_ERR_NODE_DEV_CHALLENGE_MALFORMED/_EXPIRED/_FUTURE, _SIGNATURE_MALFORMED/_HIGH_S/
   _INVALID, with a message. */
TKMS_MUST_USE tkms_err dev_attest_recover(uint8_t signer[20], uint8_t nonce[32], int64_t *expires,
                                          char *message, size_t message_max, const char *app_id,
                                          const char *challenge, const uint8_t *signature,
                                          size_t signature_len, const uint8_t binding[32],
                                          int64_t now);
/* Records the nonce (check-and-insert, atomic): TKMS_ERR_NODE_DEV_REPLAYED if seen. */
TKMS_MUST_USE tkms_err dev_attest_nonce_use(node_dev_attest *d, const uint8_t nonce[32],
                                            int64_t expires, int64_t now);

/* ---- H1 cache (h1_cache.c) ------------------------------------------------------------- */

#define H1_CACHE_SETS 256 /* x 4 ways = 1024 app ids */
#define H1_CACHE_WAYS 4

typedef struct node_h1_cache node_h1_cache;
node_h1_cache *h1_cache_new(void);
void h1_cache_free(node_h1_cache *c);
/* H1(id) through the cache (c may be NULL: computed every time). */
TKMS_MUST_USE tkms_err h1_cache_get(node_h1_cache *c, tkms_bls_g1 *out, const char *id,
                                    size_t id_len);

/* ---- the server and one exchange (http.c) ----------------------------------------------- */

struct node_http {
    node_config config;
    node_snapshots *snapshots;
    node_records *records;
    node_chain_reader *chain;
    node_metrics *metrics;
    node_limits *limits;
    node_dev_attest *dev;
    node_h1_cache *h1;
    tkms_attest_context *attest;
    tkms_attest_policy policy;
    tkms_attest_jwks_cache *jwks;
    bool gcp_enabled;               /* a gcp audience is configured */
    void *daemon_app, *daemon_peer; /* struct MHD_Daemon */
    uint16_t port_app, port_peer;
    struct http_listener *listener_app, *listener_peer;
    char id_prefix[9]; /* random per process: request ids are unique across restarts */
    _Atomic uint64_t request_seq;
};

#define HTTP_REQUEST_ID_BYTES 48
#define HTTP_IP_TEXT_BYTES 64

struct http_request {
    node_http *server;
    const http_route *route;
    void *connection; /* struct MHD_Connection; NULL outside MHD (fuzzers) */
    const char *url;
    unsigned method;
    char id[HTTP_REQUEST_ID_BYTES];
    char ip_text[HTTP_IP_TEXT_BYTES];
    uint8_t ip[16];
    uint64_t start_us; /* monotonic */
    uint8_t *body;
    size_t body_len, body_cap, body_max;
    bool answered;    /* a reply was queued */
    tkms_err pending; /* a body-time failure, answered when the body ends */
    bool in_flight;   /* counted by limits_in_flight_enter */
    /* for the access log and metrics */
    unsigned status;
    tkms_err err;
    const char *attest_method; /* secrets: the method name, for logs */
    uint32_t partials;         /* secrets: partials served */
};

struct http_reply {
    unsigned status;
    char *body; /* malloc'd, NUL-terminated */
    size_t body_len;
    const char *content_type; /* NULL: application/json */
    uint32_t retry_after_s;   /* 0: no Retry-After */
    const char *allow;        /* 405: the Allow header */
    tkms_err err;             /* TKMS_OK or the failure (logs, metrics) */
};

/* Monotonic and wall clocks (CLOCK_MONOTONIC µs, CLOCK_REALTIME s). */
uint64_t http_now_us(void);
int64_t http_unix_now(void);

/* The reply builders. json is stolen (decref'd); a NULL json (out of memory) becomes a
   500. http_reply_error maps err to its status and api.md code (docs/http.md). */
void http_reply_json(http_reply *reply, unsigned status, json_t *json);
void http_reply_error(http_reply *reply, tkms_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void http_reply_text(http_reply *reply, unsigned status, const char *content_type, char *text,
                     size_t len);
/* Status and api.md code of an error; *retry_after_s is the default Retry-After (0: none). */
unsigned http_error_status(tkms_err err, const char **code, uint32_t *retry_after_s);

/* A JSON string of at most max bytes of text, non-printable-ASCII bytes replaced by '?'
   (node-loop and chain strings: app URLs, epoch results). Text beyond 256 bytes is cut. */
json_t *http_text_json(const char *text, size_t max);

/* A query parameter of the request (NULL when absent or outside MHD). */
const char *http_query(const http_request *req, const char *key);

/* Lowercase hex of len bytes into out (2·len + 1), optionally "0x"-prefixed. */
void http_hex(char *out, const uint8_t *in, size_t len, bool prefix);
/* Strict "0x" + 2·len lowercase-or-uppercase hex (prefix optional when allowed). */
bool http_hex_parse(uint8_t *out, size_t len, const char *text, size_t text_len,
                    bool prefix_required);

/* ---- handlers (api_app.c, api_peer.c, api_ops.c) ----------------------------------------- */

void api_pubkey(http_request *req, http_reply *reply);
void api_secrets(http_request *req, http_reply *reply);
void api_peer_post(http_request *req, http_reply *reply);
void api_peer_record(http_request *req, http_reply *reply);
void api_healthz(http_request *req, http_reply *reply);
void api_readyz(http_request *req, http_reply *reply);
void api_metrics(http_request *req, http_reply *reply);
void api_status(http_request *req, http_reply *reply);

/* ---- /v1/secrets internals (secrets.c) ----------------------------------------------------- */

#define SECRETS_APP_ID_BYTES 42 /* "0x" + 40 lowercase hex */
#define SECRETS_FIELDS_MAX 16   /* members of the request object (pre-scan bound) */
#define SECRETS_EXTRA_DATA_BYTES_MAX (1024 * 1024)
#define SECRETS_VERSIONS_DEFAULT 2 /* protocol.md §5: the two newest held versions */

typedef enum {
    SECRETS_METHOD_DEV_ECDSA = 1,
    SECRETS_METHOD_GCP = 2,
    SECRETS_METHOD_SEV_SNP = 3,
} secrets_method;

/* A parsed /v1/secrets body. Strings point into `root` (jansson), decoded byte strings
   are heap copies; secrets_request_clear releases both. */
typedef struct {
    json_t *root;
    char app_id[SECRETS_APP_ID_BYTES + 1];
    uint8_t app[20];
    secrets_method method;
    const char *method_name;
    bool has_version;
    uint64_t version;
    uint8_t *attestation;
    size_t attestation_len;
    const char *rsa_pubkey;
    size_t rsa_pubkey_len;
    const char *challenge;      /* dev-ecdsa; NULL otherwise */
    const char *extra_data_b64; /* the echo ("" when absent) */
    uint8_t *extra_data;
    size_t extra_data_len;
    uint8_t *init_data;
    size_t init_data_len;
    uint8_t binding[32]; /* sha256(rsa_pubkey ‖ extra_data) */
} secrets_request;

/* Size limits and JSON shape (api.md order of checks, steps 1–2): TKMS_OK, or
   TKMS_ERR_NODE_HTTP_BAD_REQUEST / _BAD_FIELD with a message. Checks the RSA key through
   prim (PEM, RSA, 2048..8192 bits) so that a bad key costs no attestation. */
TKMS_MUST_USE tkms_err secrets_request_parse(secrets_request *out, char *message,
                                             size_t message_max, const uint8_t *body, size_t len);
void secrets_request_clear(secrets_request *r);

/* Steps 3–5: attestation (with the binding), app id, image digest against the latest
   release, which it leaves in *release. */
TKMS_MUST_USE tkms_err secrets_authorize(node_http *server, http_request *req,
                                         node_release *release, char *message, size_t message_max,
                                         const secrets_request *sr);

#define SECRETS_WRAPPED_B64_BYTES (((TKMS_CLIENT_WRAPPED_BYTES_MAX + 2) / 3) * 4 + 1)
typedef struct {
    uint32_t count;
    uint64_t version[TKMS_PROTO_VERSIONS_MAX];
    char wrapped_b64[SECRETS_VERSIONS_DEFAULT][SECRETS_WRAPPED_B64_BYTES];
    uint8_t operator_address[20]; /* the snapshot's self */
} secrets_partials;

/* Step 6: partials of the requested (or two newest) held versions, RSA-wrapped.
   TKMS_ERR_NODE_NO_FINALIZED_VERSION / _NO_KEY_VERSION / _NOT_HOLDER / _NOT_READY. */
TKMS_MUST_USE tkms_err secrets_partials_compute(node_http *server, secrets_partials *out,
                                                char *message, size_t message_max,
                                                const secrets_request *sr);

#endif
