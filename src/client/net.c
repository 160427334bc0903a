/*
 * net.c — the HTTP fan-out of the client (client.h "HTTP fan-out"): all requests to the
 * operators run at once on one libcurl multi handle in the calling thread, each with its
 * own connect and total timeout, http/https only, no redirects, the body capped while it
 * is received. A slow or dead operator costs its timeout, never more, and never delays
 * the others. Also the URL join used to reach an operator's endpoints.
 *
 * Does not parse bodies (net_secrets.c, net_pubkey.c do) and never retries: an operator
 * that did not answer is reported as such, the caller has the others.
 * Spec: api.md (endpoints, limits), crypto.md §7 (ask every operator).
 */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/net_internal.h"
#include "common/tkms_assert.h"

#define POLL_MS 200            /* curl_multi_poll wake-up; timeouts are curl's */
#define LOOP_SLACK_ROUNDS 1000 /* bound on polls beyond timeout / POLL_MS */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result = CURLE_FAILED_INIT;

static void curl_init(void) {
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

TKMS_EXPORT void tkms_client_http_options_default(tkms_client_http_options *o) {
    o->timeout_ms = TKMS_CLIENT_TIMEOUT_MS_DEFAULT;
    o->connect_timeout_ms = TKMS_CLIENT_CONNECT_TIMEOUT_MS_DEFAULT;
    o->response_bytes_max = TKMS_CLIENT_RESPONSE_BYTES_MAX;
}

#define BODY_BYTES_INITIAL 4096 /* grows by doubling up to the cap: most answers are small */

typedef struct {
    tkms_client_http_response *out;
    size_t cap; /* the most we accept */
    size_t used;
    size_t allocated; /* buf holds allocated + 1 bytes */
    bool overflow;
    char *buf;
} transfer;

static size_t write_body(char *data, size_t size, size_t nmemb, void *ctx) {
    transfer *t = ctx;
    size_t n = size * nmemb;
    if (n > t->cap - t->used) { /* stop at the cap: curl then fails the transfer */
        t->overflow = true;
        return 0;
    }
    if (t->used + n > t->allocated) {
        size_t want = t->allocated;
        while (want < t->used + n) {
            want = want > t->cap / 2 ? t->cap : 2 * want;
        }
        char *bigger = realloc(t->buf, want + 1);
        if (bigger == NULL) {
            return 0; /* curl fails the transfer: reported as a write error */
        }
        t->buf = bigger;
        t->allocated = want;
    }
    memcpy(t->buf + t->used, data, n);
    t->used += n;
    return n;
}

static bool easy_setup(CURL *h, const tkms_client_http_request *r, transfer *t,
                       struct curl_slist *headers, const tkms_client_http_options *o) {
    bool ok =
        curl_easy_setopt(h, CURLOPT_URL, r->url) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)t->cap) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_body) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_WRITEDATA, t) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_PRIVATE, t) == CURLE_OK &&
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers) == CURLE_OK;
    if (ok && r->body != NULL) {
        ok = curl_easy_setopt(h, CURLOPT_POST, 1L) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body) == CURLE_OK &&
             curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len) == CURLE_OK;
    }
    return ok;
}

/* The URL as scheme://host:port only: operator URLs may carry tokens in path or query. */
static void url_origin(char *out, size_t max, const char *url) {
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    size_t host_len = strcspn(host, "/?#");
    const char *at = memchr(host, '@', host_len); /* drop user info */
    if (at != NULL) {
        host_len -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    int scheme_len = scheme_end ? (int)(scheme_end - url) : 0;
    snprintf(out, max, "%.*s://%.*s", scheme_len, url, (int)host_len, host);
}

static void transfer_done(transfer *t, CURL *h, CURLcode code, const char *url) {
    tkms_client_http_response *r = t->out;
    char origin[TKMS_CLIENT_DETAIL_BYTES / 2];
    url_origin(origin, sizeof origin, url);
    if (code == CURLE_OK) {
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        r->answered = true;
        r->status = status;
        r->error[0] = 0;
        t->buf[t->used] = 0;
        r->body = t->buf;
        r->body_len = t->used;
        t->buf = NULL;
        return;
    }
    const char *why = t->overflow || code == CURLE_FILESIZE_EXCEEDED
                          ? "answer larger than the limit"
                          : curl_easy_strerror(code);
    snprintf(r->error, sizeof r->error, "%s: %s", origin, why);
}

/* Drives the multi handle until every transfer ended; bounded by the timeouts. */
static void multi_drive(CURLM *m, const tkms_client_http_options *o) {
    int running = 1;
    size_t rounds_max = o->timeout_ms / POLL_MS + LOOP_SLACK_ROUNDS;
    for (size_t round = 0; running > 0; round++) {
        TKMS_ASSERT(round < rounds_max); /* curl enforces every transfer's timeout */
        if (curl_multi_perform(m, &running) != CURLM_OK) {
            break;
        }
        if (running > 0 && curl_multi_poll(m, NULL, 0, POLL_MS, NULL) != CURLM_OK) {
            break;
        }
    }
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(m, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        transfer *t = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        TKMS_ASSERT(t != NULL);
        const char *url = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_EFFECTIVE_URL, &url);
        transfer_done(t, msg->easy_handle, msg->data.result, url ? url : "");
    }
}

typedef struct {
    CURLM *multi;
    CURL **easy;
    transfer *transfers;
    struct curl_slist *headers;
    size_t count;
} fanout;

static void fanout_free(fanout *f) {
    for (size_t i = 0; f->easy != NULL && i < f->count; i++) {
        if (f->easy[i] != NULL) {
            curl_multi_remove_handle(f->multi, f->easy[i]);
            curl_easy_cleanup(f->easy[i]);
        }
        free(f->transfers[i].buf);
    }
    curl_slist_free_all(f->headers);
    curl_multi_cleanup(f->multi);
    free(f->easy);
    free(f->transfers);
}

static tkms_err fanout_add(fanout *f, size_t i, tkms_client_http_response *out,
                           const tkms_client_http_request *r, const tkms_client_http_options *o) {
    transfer *t = &f->transfers[i];
    t->out = &out[i];
    t->cap = o->response_bytes_max;
    t->allocated = t->cap < BODY_BYTES_INITIAL ? t->cap : BODY_BYTES_INITIAL;
    t->buf = malloc(t->allocated + 1);
    f->easy[i] = curl_easy_init();
    if (t->buf == NULL || f->easy[i] == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    if (!easy_setup(f->easy[i], r, t, f->headers, o) ||
        curl_multi_add_handle(f->multi, f->easy[i]) != CURLM_OK) {
        return TKMS_ERR_CLIENT_HTTP;
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_client_http_run(tkms_client_http_response *out,
                                          const tkms_client_http_request *reqs, size_t count,
                                          const tkms_client_http_options *o) {
    TKMS_ASSERT(count <= 2 * TKMS_CLIENT_OPERATORS_MAX);
    TKMS_ASSERT(o->response_bytes_max > 0);
    TKMS_ASSERT(o->response_bytes_max <= TKMS_CLIENT_RESPONSE_BYTES_MAX);
    memset(out, 0, count * sizeof *out);
    for (size_t i = 0; i < count; i++) {
        snprintf(out[i].error, sizeof out[i].error, "not attempted");
    }
    pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK) {
        return TKMS_ERR_CLIENT_HTTP;
    }
    fanout f = {.count = count};
    f.multi = curl_multi_init();
    f.easy = calloc(count + 1, sizeof *f.easy);
    f.transfers = calloc(count + 1, sizeof *f.transfers);
    f.headers = curl_slist_append(NULL, "Content-Type: application/json");
    f.headers = f.headers ? curl_slist_append(f.headers, "Accept: application/json") : NULL;
    f.headers = f.headers ? curl_slist_append(f.headers, "Expect:") : NULL; /* no 100-continue */
    tkms_err err = f.multi && f.easy && f.transfers && f.headers ? TKMS_OK : TKMS_ERR_OUT_OF_MEMORY;
    for (size_t i = 0; err == TKMS_OK && i < count; i++) {
        err = fanout_add(&f, i, out, &reqs[i], o);
    }
    if (err == TKMS_OK) {
        multi_drive(f.multi, o);
    }
    fanout_free(&f);
    if (err != TKMS_OK) {
        tkms_client_http_clear(out, count);
    }
    return err;
}

TKMS_EXPORT void tkms_client_http_clear(tkms_client_http_response *r, size_t count) {
    for (size_t i = 0; r != NULL && i < count; i++) {
        free(r[i].body);
        memset(&r[i], 0, sizeof r[i]);
    }
}

TKMS_EXPORT tkms_err tkms_client_url_join(char *out, size_t out_max, const char *base,
                                          const char *path) {
    TKMS_ASSERT(out_max > 0);
    TKMS_ASSERT(path[0] == '/');
    out[0] = 0;
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
        return TKMS_ERR_CLIENT_BAD_URL;
    }
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/') {
        len--;
    }
    for (size_t i = 0; i < len; i++) { /* no spaces or control characters in a URL */
        if ((unsigned char)base[i] <= 0x20 || base[i] == 0x7f) {
            return TKMS_ERR_CLIENT_BAD_URL;
        }
    }
    int n = snprintf(out, out_max, "%.*s%s", (int)len, base, path);
    if (n < 0 || (size_t)n >= out_max) {
        out[0] = 0;
        return TKMS_ERR_CLIENT_BAD_URL;
    }
    return TKMS_OK;
}
