/*
 * rpc.c — the JSON-RPC 2.0 client over HTTP(S): one libcurl easy handle per client, so
 * the TCP connection is kept alive between calls; connect and total timeouts; bounded
 * retries with exponential backoff on transport failures and HTTP 429/5xx; a hard cap on
 * the response size enforced while receiving; strict parsing of the response envelope.
 *
 * Not retried: a JSON-RPC error answer (the node understood and refused), an oversize or
 * malformed answer (retrying would not make it smaller or well-formed). Redirects are not
 * followed and only http/https are allowed. Not thread-safe: one client per thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init(void) {
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

TKMS_EXPORT void tkms_chain_client_options_default(tkms_chain_client_options *out) {
    TKMS_ASSERT(out != NULL);
    memset(out, 0, sizeof *out);
    out->timeout_ms = TKMS_CHAIN_RPC_TIMEOUT_MS_DEFAULT;
    out->connect_timeout_ms = TKMS_CHAIN_RPC_CONNECT_TIMEOUT_MS_DEFAULT;
    out->retries = TKMS_CHAIN_RPC_RETRIES_DEFAULT;
    out->backoff_ms_initial = TKMS_CHAIN_RPC_BACKOFF_MS_DEFAULT;
    out->response_bytes_max = TKMS_CHAIN_RPC_RESPONSE_BYTES_DEFAULT;
}

static bool url_is_valid(const char *url) {
    size_t n = strlen(url);
    if (n == 0 || n >= TKMS_CHAIN_URL_BYTES_MAX) {
        return false;
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
            return false;
        }
    }
    return true;
}

/* scheme://host[:port] of url: RPC URLs often carry API keys in their path, query or
 * user info, which must not reach error lines or logs. */
static void url_redact(char *out, size_t size, const char *url) {
    const char *host = strstr(url, "://") + 3; /* url_is_valid checked the scheme */
    size_t end = strcspn(host, "/?#");
    const char *at = memchr(host, '@', end);
    const char *shown = at ? at + 1 : host;
    snprintf(out, size, "%.*s%.*s", (int)(host - url), url, (int)(host + end - shown), shown);
}

static size_t write_body(char *data, size_t size, size_t count, void *user) {
    chain_response_buffer *r = user;
    size_t n = size * count;
    if (n > r->max - r->len) {
        r->overflow = true;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (r->len + n + 1 > r->capacity) {
        size_t cap = r->capacity ? r->capacity : 4096;
        while (cap < r->len + n + 1) {
            cap *= 2;
        }
        uint8_t *p = realloc(r->data, cap);
        if (p == NULL) {
            return 0;
        }
        r->data = p;
        r->capacity = cap;
    }
    memcpy(r->data + r->len, data, n);
    r->len += n;
    return n;
}

static tkms_err curl_configure(tkms_chain_client *c) {
    CURL *h = c->curl;
    const tkms_chain_client_options *o = &c->options;
    bool ok =
        curl_easy_setopt(h, CURLOPT_URL, c->url) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->response_bytes_max) ==
            CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &c->response) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK;
    return ok ? TKMS_OK : TKMS_ERR_CHAIN_RPC_TRANSPORT;
}

TKMS_EXPORT tkms_err tkms_chain_client_new(tkms_chain_client **out,
                                           const tkms_chain_client_options *opt) {
    TKMS_ASSERT(out != NULL && opt != NULL && opt->url != NULL);
    *out = NULL;
    if (!url_is_valid(opt->url)) {
        return TKMS_ERR_CHAIN_BAD_URL;
    }
    if (opt->response_bytes_max == 0 ||
        opt->response_bytes_max > TKMS_CHAIN_RPC_RESPONSE_BYTES_MAX ||
        opt->retries > TKMS_CHAIN_RPC_RETRIES_MAX || opt->timeout_ms == 0 ||
        opt->connect_timeout_ms == 0 || opt->backoff_ms_initial > TKMS_CHAIN_RPC_BACKOFF_MS_MAX) {
        return TKMS_ERR_INVALID_ARGUMENT;
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK) {
        return TKMS_ERR_CHAIN_RPC_TRANSPORT;
    }
    tkms_chain_client *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    c->options = *opt;
    snprintf(c->url, sizeof c->url, "%s", opt->url);
    url_redact(c->url_shown, sizeof c->url_shown, c->url);
    c->options.url = c->url;
    c->next_id = 1;
    c->response.max = opt->response_bytes_max;
    c->curl = curl_easy_init();
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    c->headers = c->headers ? curl_slist_append(c->headers, "Accept: application/json") : NULL;
    c->headers = c->headers ? curl_slist_append(c->headers, "Expect:") : NULL;
    if (c->curl == NULL || c->headers == NULL) {
        tkms_chain_client_free(c);
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    if (curl_configure(c) != TKMS_OK) {
        tkms_chain_client_free(c);
        return TKMS_ERR_CHAIN_RPC_TRANSPORT;
    }
    *out = c;
    return TKMS_OK;
}

TKMS_EXPORT void tkms_chain_client_free(tkms_chain_client *c) {
    if (c == NULL) {
        return;
    }
    if (c->curl != NULL) {
        curl_easy_cleanup(c->curl);
    }
    curl_slist_free_all(c->headers);
    free(c->response.data);
    free(c);
}

TKMS_EXPORT const char *tkms_chain_client_error(const tkms_chain_client *c) {
    TKMS_ASSERT(c != NULL);
    return c->error;
}

TKMS_EXPORT void tkms_chain_client_revert_data(const tkms_chain_client *c, const uint8_t **data,
                                               size_t *len) {
    TKMS_ASSERT(c != NULL && data != NULL && len != NULL);
    *data = c->revert;
    *len = c->revert_len;
}

void chain_sleep_ms(uint32_t ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* ---- response envelope ------------------------------------------------------------------ */
/* Copies len bytes of text as one printable line (NULs and controls become '?'). */
static void message_copy_bytes(char *out, size_t size, const char *text, size_t len) {
    size_t n = len < size - 1 ? len : size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)text[i];
        out[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    out[n] = 0;
}

static void message_copy(char *out, size_t size, const char *text) {
    message_copy_bytes(out, size, text ? text : "", text ? strlen(text) : 0);
}

/* The "error" member: code, message, and revert data when the node attached it. */
static tkms_err error_member_parse(chain_rpc_answer *out, const json_t *error) {
    const json_t *code = json_object_get(error, "code");
    const json_t *message = json_object_get(error, "message");
    if (!json_is_integer(code) || !json_is_string(message)) {
        message_copy(out->message, sizeof out->message, "error without integer code/message");
        return TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE;
    }
    out->error_code = json_integer_value(code);
    message_copy_bytes(out->message, sizeof out->message, json_string_value(message),
                       json_string_length(message));
    const char *data = chain_json_text(json_object_get(error, "data"));
    bool revert =
        out->error_code == 3 || strncmp(json_string_value(message), "execution reverted", 18) == 0;
    if (!revert) {
        return TKMS_ERR_CHAIN_RPC_ERROR;
    }
    if (data != NULL) {
        tkms_chain_bytes bytes;
        if (tkms_chain_hex_decode_alloc(&bytes, data, TKMS_CHAIN_REVERT_BYTES_MAX) == TKMS_OK) {
            memcpy(out->revert, bytes.ptr, bytes.len);
            out->revert_len = bytes.len;
            tkms_chain_bytes_free(&bytes);
        }
    }
    return TKMS_ERR_CHAIN_REVERTED;
}

tkms_err chain_rpc_response_parse(chain_rpc_answer *out, const uint8_t *body, size_t len,
                                  uint64_t id) {
    TKMS_ASSERT(out != NULL);
    TKMS_ASSERT(body != NULL || len == 0);
    memset(out, 0, sizeof *out);
    json_error_t jerr;
    json_t *root =
        json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        message_copy(out->message, sizeof out->message, jerr.text);
        return TKMS_ERR_CHAIN_RPC_BAD_JSON;
    }
    tkms_err err = TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE;
    const json_t *rid = json_object_get(root, "id");
    const json_t *result = json_object_get(root, "result");
    const json_t *error = json_object_get(root, "error");
    const char *version = chain_json_text(json_object_get(root, "jsonrpc"));
    if (!json_is_object(root) || version == NULL || strcmp(version, "2.0") != 0) {
        message_copy(out->message, sizeof out->message, "not a JSON-RPC 2.0 response");
    } else if (!json_is_integer(rid) || (uint64_t)json_integer_value(rid) != id) {
        message_copy(out->message, sizeof out->message, "response id does not match request");
    } else if ((result == NULL) == (error == NULL)) {
        message_copy(out->message, sizeof out->message, "need exactly one of result and error");
    } else if (error != NULL) {
        err = json_is_object(error) ? error_member_parse(out, error)
                                    : TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE;
        if (!json_is_object(error)) {
            message_copy(out->message, sizeof out->message, "error member is not an object");
        }
    } else {
        out->result = json_incref((json_t *)result);
        err = TKMS_OK;
    }
    json_decref(root);
    return err;
}

/* ---- transport -------------------------------------------------------------------------- */
typedef struct {
    tkms_err err;
    bool retry;
    char what[160];
} attempt_result;

static void classify_curl(attempt_result *r, const tkms_chain_client *c, CURLcode code) {
    r->retry = true;
    switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
        r->err = TKMS_ERR_CHAIN_RPC_UNREACHABLE;
        break;
    case CURLE_OPERATION_TIMEDOUT:
        r->err = TKMS_ERR_CHAIN_RPC_TIMEOUT;
        break;
    case CURLE_FILESIZE_EXCEEDED:
        r->err = TKMS_ERR_CHAIN_RPC_TOO_LARGE;
        r->retry = false;
        break;
    case CURLE_WRITE_ERROR:
        r->err = c->response.overflow ? TKMS_ERR_CHAIN_RPC_TOO_LARGE : TKMS_ERR_OUT_OF_MEMORY;
        r->retry = false;
        break;
    default:
        r->err = TKMS_ERR_CHAIN_RPC_TRANSPORT;
        break;
    }
    if (r->err == TKMS_ERR_CHAIN_RPC_TOO_LARGE) {
        snprintf(r->what, sizeof r->what, "response larger than %zu bytes",
                 c->options.response_bytes_max);
    } else {
        snprintf(r->what, sizeof r->what, "%s", curl_easy_strerror(code));
    }
}

/* One HTTP exchange; on success the body is in c->response. */
static void attempt(attempt_result *r, tkms_chain_client *c, const char *body, size_t len) {
    memset(r, 0, sizeof *r);
    c->response.len = 0;
    c->response.overflow = false;
    if (curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) != CURLE_OK) {
        r->err = TKMS_ERR_CHAIN_RPC_TRANSPORT;
        snprintf(r->what, sizeof r->what, "cannot set request body");
        return;
    }
    CURLcode code = curl_easy_perform(c->curl);
    if (code != CURLE_OK) {
        classify_curl(r, c, code);
        return;
    }
    long status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status != 200) {
        r->err = TKMS_ERR_CHAIN_RPC_HTTP_STATUS;
        r->retry = status == 429 || status >= 500;
        snprintf(r->what, sizeof r->what, "HTTP status %ld", status);
    }
}

static uint32_t backoff_ms(const tkms_chain_client *c, uint32_t attempt_index) {
    uint64_t ms = c->options.backoff_ms_initial;
    for (uint32_t i = 0; i < attempt_index && ms < TKMS_CHAIN_RPC_BACKOFF_MS_MAX; i++) {
        ms *= 2;
    }
    return (uint32_t)(ms < TKMS_CHAIN_RPC_BACKOFF_MS_MAX ? ms : TKMS_CHAIN_RPC_BACKOFF_MS_MAX);
}

/* Sends body with retries; returns the transport verdict (the body is in c->response). */
static tkms_err exchange(tkms_chain_client *c, const char *method, const char *body, size_t len) {
    attempt_result r;
    uint32_t attempts = 0;
    for (;;) {
        attempt(&r, c, body, len);
        attempts++;
        if (r.err == TKMS_OK || !r.retry || attempts > c->options.retries) {
            break;
        }
        chain_sleep_ms(backoff_ms(c, attempts - 1));
    }
    if (r.err != TKMS_OK) { /* an HTTP error body may still hold a JSON-RPC error: caller */
        return chain_fail(c, r.err, "%s to %s: %s (after %u attempt%s)", method, c->url_shown,
                          r.what, attempts, attempts == 1 ? "" : "s");
    }
    return TKMS_OK;
}

/* The request text; params (stolen) defaults to []. */
static char *request_body(const char *method, json_t *params, uint64_t id) {
    json_t *req = json_pack("{s:s,s:I,s:s,s:o}", "jsonrpc", "2.0", "id", (json_int_t)id, "method",
                            method, "params", params ? params : json_array());
    if (req == NULL) {
        return NULL;
    }
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return text;
}

static tkms_err answer_handle(tkms_chain_client *c, json_t **result, const char *method,
                              tkms_err transport, uint64_t id) {
    chain_rpc_answer a;
    tkms_err err = chain_rpc_response_parse(&a, c->response.data, c->response.len, id);
    if (transport != TKMS_OK && err != TKMS_ERR_CHAIN_RPC_ERROR && err != TKMS_ERR_CHAIN_REVERTED) {
        json_decref(a.result); /* keep the transport's error line */
        return transport;
    }
    switch (err) {
    case TKMS_OK:
        *result = a.result;
        return TKMS_OK;
    case TKMS_ERR_CHAIN_REVERTED: {
        memcpy(c->revert, a.revert, a.revert_len);
        c->revert_len = a.revert_len;
        if (a.revert_len == 0) { /* no data to decode: the node's words are all there is */
            return chain_fail(c, err, "%s: reverted (%s)", method, a.message);
        }
        char summary[160];
        chain_revert_summary(summary, sizeof summary, a.revert, a.revert_len);
        return chain_fail(c, err, "%s: reverted: %s", method, summary);
    }
    case TKMS_ERR_CHAIN_RPC_ERROR:
        return chain_fail(c, err, "%s: node error %lld: %s", method, a.error_code, a.message);
    default:
        return chain_fail(c, err, "%s to %s: bad response: %s", method, c->url_shown, a.message);
    }
}

TKMS_EXPORT tkms_err tkms_chain_rpc_call(tkms_chain_client *c, json_t **result, const char *method,
                                         json_t *params) {
    TKMS_ASSERT(c != NULL && result != NULL && method != NULL);
    TKMS_ASSERT(params == NULL || json_is_array(params));
    *result = NULL;
    chain_error_clear(c);
    uint64_t id = c->next_id++;
    char *body = request_body(method, params, id);
    if (body == NULL) {
        return chain_fail(c, TKMS_ERR_OUT_OF_MEMORY, "%s: cannot build request", method);
    }
    tkms_err err = exchange(c, method, body, strlen(body));
    free(body);
    if (err != TKMS_OK && (err != TKMS_ERR_CHAIN_RPC_HTTP_STATUS || c->response.len == 0)) {
        return err;
    }
    return answer_handle(c, result, method, err, id);
}

TKMS_EXPORT tkms_err tkms_chain_client_chain_id(tkms_chain_client *c, uint64_t *out) {
    TKMS_ASSERT(c != NULL && out != NULL);
    *out = 0;
    if (c->chain_id_known) {
        *out = c->chain_id;
        return TKMS_OK;
    }
    json_t *result = NULL;
    tkms_err err = tkms_chain_rpc_call(c, &result, "eth_chainId", NULL);
    uint64_t id = 0;
    if (err == TKMS_OK) {
        err = chain_json_u64(c, &id, result, "eth_chainId");
    }
    json_decref(result);
    if (err != TKMS_OK) {
        return err;
    }
    if (c->options.chain_id_expected != 0 && id != c->options.chain_id_expected) {
        return chain_fail(c, TKMS_ERR_CHAIN_WRONG_CHAIN_ID,
                          "%s serves chain id %llu, expected %llu", c->url_shown,
                          (unsigned long long)id, (unsigned long long)c->options.chain_id_expected);
    }
    c->chain_id = id;
    c->chain_id_known = true;
    *out = id;
    return TKMS_OK;
}
