/*
 * http.c — tkmsd's HTTP server on libmicrohttpd: the route table, the dispatcher that
 * runs every generic check before a handler (style R16; order in http_internal.h), body
 * collection, the access log and request metrics, and starting/stopping the listeners.
 *
 * One exchange: MHD calls on_request when the headers are in (a request object is made,
 * the route found and the header-level checks run), again for each piece of body (kept
 * up to the route's cap, within read_timeout_s of the headers), and once more at the end
 * (the handler runs and its reply is queued). on_completed logs the exchange, counts it
 * and frees it. A generic check that fails queues its error reply at once; MHD sends it
 * and closes the connection if the body was not read. Slow clients: MHD's epoll workers
 * serve many connections each, so a client trickling bytes holds a connection slot
 * (bounded per IP and in all), never a worker; read_timeout_s is MHD's idle timeout and
 * also the deadline for a body once the headers are in. Not here: what the endpoints do
 * (api_*.c), limits' arithmetic (limits.c).
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "node/http_internal.h"
#include "node/log.h"

typedef struct http_listener {
    node_http *server;
    unsigned kind; /* LISTEN_APP, LISTEN_PEER or both */
} http_listener;

/* The routes (api.md). Ops routes answer on both listeners and are never limited. */
static const http_route routes[] = {
    {"pubkey", HTTP_GET, "/v1/pubkey", false, api_pubkey, BODY_NONE, AUTH_NONE, RATE_APP,
     LISTEN_APP},
    {"secrets", HTTP_POST, "/v1/secrets", false, api_secrets, BODY_SECRETS, AUTH_ATTESTED, RATE_APP,
     LISTEN_APP},
    {"peer", HTTP_POST, "/v1/peer", false, api_peer_post, BODY_DEFAULT, AUTH_PEER, RATE_PEER,
     LISTEN_PEER},
    {"peer_record", HTTP_GET, "/v1/peer/record/", true, api_peer_record, BODY_NONE, AUTH_NONE,
     RATE_PEER, LISTEN_PEER},
    {"healthz", HTTP_GET, "/healthz", false, api_healthz, BODY_NONE, AUTH_NONE, RATE_NONE,
     LISTEN_BOTH},
    {"readyz", HTTP_GET, "/readyz", false, api_readyz, BODY_NONE, AUTH_NONE, RATE_NONE,
     LISTEN_BOTH},
    {"metrics", HTTP_GET, "/metrics", false, api_metrics, BODY_NONE, AUTH_NONE, RATE_NONE,
     LISTEN_BOTH},
    {"status", HTTP_GET, "/v1/status", false, api_status, BODY_NONE, AUTH_NONE, RATE_NONE,
     LISTEN_BOTH},
};
#define ROUTE_COUNT (sizeof routes / sizeof routes[0])

static const http_route *route_find(const char *url, unsigned listener) {
    for (size_t i = 0; i < ROUTE_COUNT; i++) {
        const http_route *r = &routes[i];
        size_t n = strlen(r->path);
        bool match =
            r->prefix ? strncmp(url, r->path, n) == 0 && url[n] != 0 : strcmp(url, r->path) == 0;
        if (match && (r->listeners & listener) != 0) {
            return r;
        }
    }
    return NULL;
}

static unsigned method_bit(const char *method) {
    if (strcmp(method, MHD_HTTP_METHOD_GET) == 0) {
        return HTTP_GET;
    }
    return strcmp(method, MHD_HTTP_METHOD_POST) == 0 ? HTTP_POST : 0;
}

static size_t body_max(const node_http *s, const http_route *r) {
    switch (r->body) {
    case BODY_NONE:
        return 0;
    case BODY_DEFAULT:
        return s->config.body_bytes_max;
    case BODY_SECRETS:
        return s->config.secrets_body_bytes_max;
    }
    TKMS_ASSERT(false);
    return 0;
}

/* ---- request objects ------------------------------------------------------------------ */

/* A client's X-Request-Id is kept when it is 1..40 of [A-Za-z0-9._-] (safe in logs). */
static bool request_id_acceptable(const char *id) {
    size_t n = id != NULL ? strlen(id) : 0;
    if (n == 0 || n >= 41) {
        return false;
    }
    return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
}

static void request_address(http_request *req, struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    memset(req->ip, 0, sizeof req->ip);
    snprintf(req->ip_text, sizeof req->ip_text, "unknown");
    if (info == NULL || info->client_addr == NULL) {
        return;
    }
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in4 = (const struct sockaddr_in *)(const void *)sa;
        req->ip[10] = 0xff; /* IPv4-mapped, so both families share one key space */
        req->ip[11] = 0xff;
        memcpy(req->ip + 12, &in4->sin_addr, 4);
        inet_ntop(AF_INET, &in4->sin_addr, req->ip_text, sizeof req->ip_text);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(req->ip, &in6->sin6_addr, 16);
        inet_ntop(AF_INET6, &in6->sin6_addr, req->ip_text, sizeof req->ip_text);
    }
}

static http_request *request_new(node_http *s, struct MHD_Connection *conn, const char *url,
                                 const char *method, unsigned listener) {
    http_request *req = calloc(1, sizeof *req);
    if (req == NULL) {
        return NULL;
    }
    req->server = s;
    req->connection = conn;
    req->url = url;
    req->method = method_bit(method);
    req->start_us = http_now_us();
    req->route = route_find(url, listener);
    req->status = 0;
    const char *given = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (request_id_acceptable(given)) {
        snprintf(req->id, sizeof req->id, "%s", given);
    } else {
        uint64_t seq = atomic_fetch_add(&s->request_seq, 1) + 1;
        snprintf(req->id, sizeof req->id, "%s-%012llx", s->id_prefix, (unsigned long long)seq);
    }
    request_address(req, conn);
    return req;
}

static void request_free(http_request *req) {
    if (req->body != NULL) {
        tkms_wipe(req->body, req->body_cap); /* keys and evidence are not secret, but cheap */
        free(req->body);
    }
    free(req);
}

/* ---- replies ---------------------------------------------------------------------------- */

static enum MHD_Result reply_queue(http_request *req, http_reply *reply) {
    TKMS_ASSERT(!req->answered);
    TKMS_ASSERT(reply->status >= 100 && reply->status < 600);
    req->answered = true;
    req->status = reply->status;
    req->err = reply->err;
    if (reply->body == NULL) { /* out of memory even for the error body */
        reply->body = strdup("{}");
        reply->body_len = reply->body != NULL ? 2 : 0;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(reply->body_len, reply->body, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL) {
        free(reply->body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                            reply->content_type != NULL ? reply->content_type : "application/json");
    MHD_add_response_header(resp, "X-Request-Id", req->id);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (reply->retry_after_s > 0) {
        char value[16];
        snprintf(value, sizeof value, "%u", reply->retry_after_s);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, value);
    }
    if (reply->allow != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, reply->allow);
    }
    enum MHD_Result rc = MHD_queue_response(req->connection, reply->status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static const char *rejection_reason(tkms_err err) {
    return tkms_err_name(err);
}

/* A generic check failed: reply now and count it. */
static enum MHD_Result reject(http_request *req, tkms_err err, uint32_t retry_after_s,
                              const char *allow, const char *message) {
    http_reply reply = {0};
    reply.retry_after_s = retry_after_s;
    reply.allow = allow;
    http_reply_error(&reply, err, "%s", message);
    const char *labels[] = {rejection_reason(err)};
    node_metrics_add(req->server->metrics, NODE_METRIC_HTTP_REJECTED, labels, 1);
    return reply_queue(req, &reply);
}

/* ---- the generic checks (header time) ---------------------------------------------------- */

static bool content_type_json(struct MHD_Connection *conn) {
    const char *ct =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    static const char json[] = "application/json";
    if (ct == NULL || strncasecmp(ct, json, sizeof json - 1) != 0) {
        return false;
    }
    char next = ct[sizeof json - 1];
    return next == 0 || next == ';' || next == ' ';
}

static enum MHD_Result count_length(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value) {
    (void)kind;
    (void)value;
    *(unsigned *)cls += strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0;
    return MHD_YES;
}

/* More than one Content-Length: the framing is ambiguous (RFC 9112 §6.3: 400). MHD 0.9.75
   and content_length() take the first; a proxy in front taking another would desync the
   connection (request smuggling). */
static bool content_length_repeated(struct MHD_Connection *conn) {
    unsigned count = 0;
    MHD_get_connection_values(conn, MHD_HEADER_KIND, count_length, &count);
    return count > 1;
}

/* The declared Content-Length, or false when absent (chunked: checked while reading). */
static bool content_length(struct MHD_Connection *conn, uint64_t *out) {
    const char *cl =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl == NULL || cl[0] == 0 || strlen(cl) > 19 || strspn(cl, "0123456789") != strlen(cl)) {
        return false; /* MHD itself refuses a malformed length before we see it */
    }
    *out = strtoull(cl, NULL, 10);
    return true;
}

static enum MHD_Result checks_at_headers(http_request *req, struct MHD_Connection *conn,
                                         const char *method) {
    node_http *s = req->server;
    const http_route *r = req->route;
    if (r == NULL) {
        char msg[160];
        snprintf(msg, sizeof msg, "no route %.16s %.100s", method, req->url);
        return reject(req, TKMS_ERR_NODE_HTTP_NOT_FOUND, 0, NULL, msg);
    }
    if ((req->method & r->methods) == 0) {
        return reject(req, TKMS_ERR_NODE_HTTP_METHOD, 0, r->methods == HTTP_GET ? "GET" : "POST",
                      r->methods == HTTP_GET ? "use GET" : "use POST");
    }
    if (r->body != BODY_NONE && !content_type_json(conn)) {
        return reject(req, TKMS_ERR_NODE_HTTP_MEDIA_TYPE, 0, NULL,
                      "Content-Type must be application/json");
    }
    if (content_length_repeated(conn)) {
        return reject(req, TKMS_ERR_NODE_HTTP_BAD_REQUEST, 0, NULL,
                      "more than one Content-Length header");
    }
    req->body_max = body_max(s, r);
    uint64_t declared;
    if (content_length(conn, &declared) && declared > req->body_max) {
        char msg[96];
        snprintf(msg, sizeof msg, "body of %llu bytes, at most %zu", (unsigned long long)declared,
                 req->body_max);
        return reject(req, TKMS_ERR_NODE_HTTP_TOO_LARGE, 0, NULL, msg);
    }
    uint32_t retry_after_s = 0;
    if (r->rate != RATE_NONE &&
        !limits_ip_take(s->limits, r->rate, req->ip, req->start_us, &retry_after_s)) {
        return reject(req, TKMS_ERR_NODE_HTTP_RATE_LIMITED, retry_after_s, NULL,
                      "too many requests from this address");
    }
    if (r->rate != RATE_NONE) {
        if (!limits_in_flight_enter(s->limits)) {
            return reject(req, TKMS_ERR_NODE_HTTP_OVERLOADED, 1, NULL,
                          "too many requests in flight");
        }
        req->in_flight = true;
        node_metrics_gauge_add(s->metrics, NODE_METRIC_HTTP_IN_FLIGHT, NULL, 1);
    }
    return MHD_YES;
}

/* ---- body and handler --------------------------------------------------------------------- */

/* A body piece. MHD (0.9.75) can only queue a reply before the body or after all of it,
   so a body over the cap is discarded and answered 413 once it ends, and a body still
   arriving at the deadline closes the connection (counted as request_timeout). */
static enum MHD_Result body_append(http_request *req, const char *data, size_t size) {
    node_http *s = req->server;
    uint64_t timeout_us = (uint64_t)s->config.read_timeout_s * 1000000u;
    if (http_now_us() - req->start_us > timeout_us) {
        const char *labels[] = {tkms_err_name(TKMS_ERR_NODE_HTTP_TIMEOUT)};
        node_metrics_add(s->metrics, NODE_METRIC_HTTP_REJECTED, labels, 1);
        req->err = TKMS_ERR_NODE_HTTP_TIMEOUT;
        return MHD_NO; /* close: the body did not arrive within read_timeout_s */
    }
    if (req->pending != TKMS_OK) {
        return MHD_YES; /* discarding until the end, then the pending error */
    }
    if (size > req->body_max - req->body_len) {
        req->pending = TKMS_ERR_NODE_HTTP_TOO_LARGE;
        return MHD_YES;
    }
    if (req->body_len + size > req->body_cap) {
        size_t cap = req->body_cap == 0 ? 4096 : req->body_cap;
        while (cap < req->body_len + size) {
            cap *= 2;
        }
        cap = cap > req->body_max ? req->body_max : cap;
        uint8_t *body = malloc(cap + 1); /* +1: handlers may NUL-terminate */
        if (body == NULL) {
            req->pending = TKMS_ERR_NODE_HTTP_OVERLOADED;
            return MHD_YES;
        }
        if (req->body != NULL) {
            memcpy(body, req->body, req->body_len);
            tkms_wipe(req->body, req->body_cap);
            free(req->body);
        }
        req->body = body;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, size);
    req->body_len += size;
    return MHD_YES;
}

static enum MHD_Result run_handler(http_request *req) {
    if (req->pending == TKMS_ERR_NODE_HTTP_TOO_LARGE) {
        char msg[64];
        snprintf(msg, sizeof msg, "body larger than %zu bytes", req->body_max);
        return reject(req, req->pending, 0, NULL, msg);
    }
    if (req->pending != TKMS_OK) {
        return reject(req, req->pending, 1, NULL, "out of memory");
    }
    http_reply reply = {0};
    if (req->body != NULL) {
        req->body[req->body_len] = 0;
    }
    req->route->handler(req, &reply);
    TKMS_ASSERT(reply.status != 0); /* every handler replies */
    return reply_queue(req, &reply);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)version;
    http_listener *l = cls;
    http_request *req = *con_cls;
    if (req == NULL) {
        req = request_new(l->server, conn, url, method, l->kind);
        if (req == NULL) {
            return MHD_NO; /* out of memory: drop the connection */
        }
        *con_cls = req;
        return checks_at_headers(req, conn, method);
    }
    if (*upload_data_size > 0) {
        size_t size = *upload_data_size;
        *upload_data_size = 0;
        return req->answered ? MHD_YES : body_append(req, upload_data, size);
    }
    return req->answered ? MHD_YES : run_handler(req);
}

/* ---- completion: access log, metrics, cleanup ------------------------------------------------ */

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)conn;
    http_listener *l = cls;
    http_request *req = *con_cls;
    if (req == NULL) {
        return;
    }
    *con_cls = NULL;
    node_http *s = l->server;
    uint64_t duration_us = http_now_us() - req->start_us;
    const char *route = req->route != NULL ? req->route->name : "unknown";
    char status[8];
    snprintf(status, sizeof status, "%u", req->status);
    const char *labels[] = {route, req->answered ? status : "aborted"};
    node_metrics_add(s->metrics, NODE_METRIC_HTTP_REQUESTS, labels, 1);
    node_metrics_observe(s->metrics, NODE_METRIC_HTTP_DURATION, labels, duration_us);
    if (req->in_flight) {
        limits_in_flight_leave(s->limits);
        node_metrics_gauge_add(s->metrics, NODE_METRIC_HTTP_IN_FLIGHT, NULL, -1);
    }
    int level = req->status >= 500 && req->err == TKMS_ERR_NODE_HTTP_INTERNAL ? NODE_LOG_ERROR
                : req->answered                                               ? NODE_LOG_INFO
                                                                              : NODE_LOG_WARN;
    node_log_field f[] = {
        NODE_LOG_STR("req_id", req->id),
        NODE_LOG_STR("route", route),
        NODE_LOG_STR("ip", req->ip_text),
        NODE_LOG_U64("status", req->status),
        NODE_LOG_STR("error", req->err != TKMS_OK ? tkms_err_name(req->err) : ""),
        NODE_LOG_U64("duration_us", duration_us),
        NODE_LOG_U64("body_bytes", req->body_len),
        NODE_LOG_STR("attestation_method", req->attest_method),
        NODE_LOG_U64("partials", req->partials),
        NODE_LOG_U64("termination", (uint64_t)toe),
    };
    node_log_fields(level, "http", req->answered ? "request" : "request_aborted", NODE_LOG_NO_EPOCH,
                    f, sizeof f / sizeof f[0]);
    request_free(req);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[256];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = 0;
    node_log(NODE_LOG_WARN, "http", "mhd", NODE_LOG_NO_EPOCH, "%s", msg);
}

/* ---- listeners ---------------------------------------------------------------------------- */

/* "host:port", "[v6]:port", or ":port" / "*:port" for every IPv4 address (use "[::]:port"
   for IPv6 and IPv4 together); numeric hosts only. */
static bool listen_parse(struct sockaddr_storage *out, socklen_t *out_len, const char *text) {
    char host[64];
    const char *colon = strrchr(text, ':');
    if (colon == NULL || (size_t)(colon - text) >= sizeof host) {
        return false;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = 0;
    const char *port = colon + 1;
    if (port[0] == 0 || strlen(port) > 5 || strspn(port, "0123456789") != strlen(port) ||
        strtoul(port, NULL, 10) > 65535) {
        return false;
    }
    size_t hl = strlen(host);
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    bool any = host[0] == 0 || strcmp(host, "*") == 0;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_family = any ? AF_INET : AF_UNSPEC;
    if (getaddrinfo(any ? NULL : host, port, &hints, &res) != 0 || res == NULL) {
        return false;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *out_len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

static tkms_err daemon_start(void **out, uint16_t *port, node_http *s, http_listener *l,
                             const char *listen) {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    if (!listen_parse(&addr, &addr_len, listen)) {
        node_log(NODE_LOG_ERROR, "http", "listen_invalid", NODE_LOG_NO_EPOCH, "%s", listen);
        return TKMS_ERR_NODE_CONFIG_INVALID;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6) {
        flags |= MHD_USE_DUAL_STACK;
    }
    const node_config *c = &s->config;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, l, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)c->http_threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)NODE_HTTP_CONNECTIONS_MAX,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)NODE_HTTP_CONNECTIONS_PER_IP_MAX,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)c->read_timeout_s,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)c->header_bytes_max + 16384,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, l, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
        MHD_OPTION_END);
    if (d == NULL) {
        node_log(NODE_LOG_ERROR, "http", "listen_failed", NODE_LOG_NO_EPOCH, "%s", listen);
        return TKMS_ERR_NODE_HTTP_START;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *port = info != NULL ? info->port : 0;
    *out = d;
    return TKMS_OK;
}

/* ---- start and stop ------------------------------------------------------------------------ */

static tkms_err config_check(const node_config *c) {
    bool ok = c->http_threads >= 1 && c->http_threads <= NODE_HTTP_THREADS_MAX &&
              c->body_bytes_max >= TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX &&
              c->body_bytes_max <= (64u << 20) && c->secrets_body_bytes_max >= 16384 &&
              c->secrets_body_bytes_max <= (64u << 20) && c->header_bytes_max >= 1024 &&
              c->header_bytes_max <= (1u << 20) && c->read_timeout_s >= 1 &&
              c->read_timeout_s <= 3600 && c->in_flight_max >= 1 &&
              c->in_flight_max <= NODE_HTTP_IN_FLIGHT_MAX && (c->ip_rps == 0 || c->ip_burst >= 1) &&
              (c->app_rps == 0 || c->app_burst >= 1);
    if (!ok) {
        node_log(NODE_LOG_ERROR, "http", "config_invalid", NODE_LOG_NO_EPOCH,
                 "http_threads 1..%d, body_bytes_max >= %d, secrets_body_bytes_max >= 16384, "
                 "header_bytes_max 1 KiB..1 MiB, read_timeout_s 1..3600, in_flight_max "
                 "1..%d, bursts >= 1 when limited",
                 NODE_HTTP_THREADS_MAX, TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX,
                 NODE_HTTP_IN_FLIGHT_MAX);
        return TKMS_ERR_NODE_CONFIG_INVALID;
    }
    return TKMS_OK;
}

#define POLICY_FILE_BYTES_MAX (1u << 20)
#define GOOGLE_CS_JWKS                                                                             \
    "https://www.googleapis.com/service_accounts/v1/metadata/jwk/"                                 \
    "signer@confidentialspace-sign.iam.gserviceaccount.com"

static tkms_err policy_load(tkms_attest_policy *policy, const char *path) {
    tkms_attest_policy_default(policy);
    if (path[0] == 0) {
        return TKMS_OK;
    }
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(POLICY_FILE_BYTES_MAX);
    size_t n = f != NULL && buf != NULL ? fread(buf, 1, POLICY_FILE_BYTES_MAX, f) : 0;
    bool read_ok = f != NULL && buf != NULL && ferror(f) == 0 && n < POLICY_FILE_BYTES_MAX;
    if (f != NULL) {
        fclose(f);
    }
    tkms_attest_error error = {0};
    tkms_err err = read_ok ? tkms_attest_policy_from_json(policy, &error, buf, n)
                           : TKMS_ERR_NODE_CONFIG_INVALID;
    free(buf);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "http", "attest_policy_invalid", NODE_LOG_NO_EPOCH, "%s: %s", path,
                 read_ok ? error.message : "unreadable or larger than 1 MiB");
        return TKMS_ERR_NODE_CONFIG_INVALID;
    }
    return TKMS_OK;
}

static tkms_err attest_setup(node_http *s) {
    tkms_err err = policy_load(&s->policy, s->config.attest_policy_file);
    tkms_attest_error error = {0};
    tkms_attest_context_options opt;
    tkms_attest_context_options_default(&opt);
    if (err == TKMS_OK && (err = tkms_attest_context_new(&s->attest, &error, &opt)) != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "http", "attest_context_failed", NODE_LOG_NO_EPOCH, "%s",
                 error.message);
    }
    s->gcp_enabled = err == TKMS_OK && s->policy.gcp.audience_count > 0;
    if (s->gcp_enabled) {
        tkms_attest_jwks_cache_options jo;
        tkms_attest_jwks_cache_options_default(&jo);
        jo.source = s->config.attest_jwks[0] != 0 ? s->config.attest_jwks : GOOGLE_CS_JWKS;
        jo.allow_insecure_url = strncmp(jo.source, "https://", 8) != 0; /* file:// in tests */
        err = tkms_attest_jwks_cache_new(&s->jwks, &error, &jo);
        if (err != TKMS_OK) {
            node_log(NODE_LOG_ERROR, "http", "attest_jwks_invalid", NODE_LOG_NO_EPOCH, "%s",
                     error.message);
            return TKMS_ERR_NODE_CONFIG_INVALID;
        }
        tkms_attest_context_jwks_set(s->attest, s->jwks);
    }
    if (err == TKMS_OK && s->policy.snp.measurement_count == 0) {
        node_log(NODE_LOG_WARN, "http", "sev_snp_no_measurement_allowlist", NODE_LOG_NO_EPOCH,
                 "sev-snp accepts any guest measurement: configure sev_snp.measurements");
    }
    return err == TKMS_OK ? TKMS_OK : TKMS_ERR_NODE_CONFIG_INVALID;
}

static tkms_err helpers_setup(node_http *s) {
    s->limits = limits_new(&s->config);
    s->h1 = h1_cache_new();
    if (s->config.dev_ecdsa_enabled) {
        s->dev = dev_attest_new(!s->config.dev_ecdsa_replay_disabled);
        node_log(NODE_LOG_WARN, "http", "dev_ecdsa_enabled", NODE_LOG_NO_EPOCH,
                 "dev-ecdsa attestation is on: it proves app ownership, not code identity "
                 "(development only)%s",
                 s->config.dev_ecdsa_replay_disabled ? "; nonce replay cache DISABLED" : "");
    }
    uint8_t prefix[4];
    if (getrandom(prefix, sizeof prefix, 0) != (ssize_t)sizeof prefix) {
        memset(prefix, 0, sizeof prefix);
    }
    http_hex(s->id_prefix, prefix, sizeof prefix, false);
    bool ok = s->limits != NULL && s->h1 != NULL && (!s->config.dev_ecdsa_enabled || s->dev);
    return ok ? TKMS_OK : TKMS_ERR_OUT_OF_MEMORY;
}

static tkms_err listeners_start(node_http *s) {
    bool shared = strcmp(s->config.app_listen, s->config.peer_listen) == 0;
    s->listener_app = calloc(1, sizeof *s->listener_app);
    s->listener_peer = shared ? NULL : calloc(1, sizeof *s->listener_peer);
    if (s->listener_app == NULL || (!shared && s->listener_peer == NULL)) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    *s->listener_app = (http_listener){s, shared ? LISTEN_BOTH : LISTEN_APP};
    tkms_err err =
        daemon_start(&s->daemon_app, &s->port_app, s, s->listener_app, s->config.app_listen);
    if (err == TKMS_OK && !shared) {
        *s->listener_peer = (http_listener){s, LISTEN_PEER};
        err = daemon_start(&s->daemon_peer, &s->port_peer, s, s->listener_peer,
                           s->config.peer_listen);
    }
    if (err == TKMS_OK && shared) {
        s->port_peer = s->port_app;
    }
    return err;
}

tkms_err node_http_start(node_http **out, const node_config *config, node_snapshots *snapshots,
                         node_records *records, node_chain_reader *chain, node_metrics *metrics) {
    TKMS_ASSERT(out != NULL && config != NULL);
    TKMS_ASSERT(snapshots != NULL && records != NULL && chain != NULL);
    *out = NULL;
    tkms_err err = config_check(config);
    node_http *s = err == TKMS_OK ? calloc(1, sizeof *s) : NULL;
    if (err == TKMS_OK && s == NULL) {
        err = TKMS_ERR_OUT_OF_MEMORY;
    }
    if (err != TKMS_OK) {
        return err;
    }
    s->config = *config;
    s->snapshots = snapshots;
    s->records = records;
    s->chain = chain;
    s->metrics = metrics;
    err = helpers_setup(s);
    if (err == TKMS_OK) {
        err = attest_setup(s);
    }
    if (err == TKMS_OK) {
        err = listeners_start(s);
    }
    if (err != TKMS_OK) {
        node_http_stop(s);
        return err;
    }
    node_log(NODE_LOG_INFO, "http", "listening", NODE_LOG_NO_EPOCH,
             "app %s (port %u), peer %s (port %u), %u threads", config->app_listen, s->port_app,
             config->peer_listen, s->port_peer, config->http_threads);
    *out = s;
    return TKMS_OK;
}

void node_http_stop(node_http *s) {
    if (s == NULL) {
        return;
    }
    if (s->daemon_peer != NULL) {
        MHD_stop_daemon(s->daemon_peer);
    }
    if (s->daemon_app != NULL) {
        MHD_stop_daemon(s->daemon_app); /* waits for the workers: no handler runs after */
    }
    free(s->listener_app);
    free(s->listener_peer);
    tkms_attest_context_free(s->attest);
    tkms_attest_jwks_cache_free(s->jwks);
    dev_attest_free(s->dev);
    h1_cache_free(s->h1);
    limits_free(s->limits);
    tkms_wipe(s, sizeof *s);
    free(s);
}

uint16_t node_http_port(const node_http *s, node_http_listener listener) {
    TKMS_ASSERT(s != NULL);
    return listener == NODE_HTTP_LISTENER_PEER ? s->port_peer : s->port_app;
}
