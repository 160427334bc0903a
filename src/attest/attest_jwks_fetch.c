/*
 * attest_jwks_fetch.c — the JWKS adapter: where keys come from (a file, or an https URL
 * fetched with libcurl), how long a set is used (refresh_s), and how often a fetch may be
 * attempted (retry_s, so unknown kids in hostile tokens cannot make us hammer the source).
 * This is the only I/O of the attest layer, and verification never calls it: the caller
 * runs tkms_attest_jwks_cache_refresh_if_due() and verifies against the current set.
 * A failed fetch keeps the previous set. The URL fetch is bounded in time and size, does
 * not follow redirects, and verifies TLS with the system trust store.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "attest/internal.h"
#include "common/tkms_assert.h"

#define JWKS_SOURCE_BYTES_MAX 1024

struct tkms_attest_jwks_cache {
    pthread_mutex_t lock;
    char source[JWKS_SOURCE_BYTES_MAX + 1];
    bool is_url;
    tkms_attest_jwks_cache_options options;
    tkms_attest_jwks *current; /* may be NULL before the first successful fetch */
    int64_t fetched_at;        /* when `current` was installed */
    int64_t attempted_at;      /* last fetch attempt, successful or not */
    bool attempted;
};

TKMS_EXPORT void tkms_attest_jwks_cache_options_default(tkms_attest_jwks_cache_options *out) {
    memset(out, 0, sizeof *out);
    out->refresh_s = 3600;
    out->retry_s = 60;
    out->timeout_ms = 5000;
}

static bool has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

TKMS_EXPORT tkms_err tkms_attest_jwks_cache_new(tkms_attest_jwks_cache **out,
                                                tkms_attest_error *error,
                                                const tkms_attest_jwks_cache_options *options) {
    *out = NULL;
    const char *src = options->source ? options->source : "";
    if (strlen(src) > JWKS_SOURCE_BYTES_MAX) {
        return attest_fail(error, TKMS_ERR_INVALID_ARGUMENT, "JWKS source: longer than %d bytes",
                           JWKS_SOURCE_BYTES_MAX);
    }
    const bool is_url = strstr(src, "://") != NULL;
    if (is_url && !has_prefix(src, "https://") &&
        !(options->allow_insecure_url &&
          (has_prefix(src, "http://") || has_prefix(src, "file://")))) {
        return attest_fail(error, TKMS_ERR_INVALID_ARGUMENT,
                           "JWKS source: only https:// URLs (or a file path) are accepted");
    }
    tkms_attest_jwks_cache *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "JWKS cache: out of memory");
    }
    TKMS_ASSERT(pthread_mutex_init(&c->lock, NULL) == 0);
    memcpy(c->source, src, strlen(src) + 1);
    c->is_url = is_url;
    c->options = *options;
    c->options.source = c->source;
    *out = c;
    return TKMS_OK;
}

TKMS_EXPORT void tkms_attest_jwks_cache_free(tkms_attest_jwks_cache *cache) {
    if (cache == NULL) {
        return;
    }
    tkms_attest_jwks_free(cache->current);
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

typedef struct {
    uint8_t *buf;
    size_t len;
    bool too_large;
} fetch_buffer;

static size_t fetch_write(char *ptr, size_t size, size_t nmemb, void *userdata) {
    fetch_buffer *b = userdata;
    const size_t n = size * nmemb;
    if (n > TKMS_ATTEST_JWKS_BYTES_MAX - b->len) {
        b->too_large = true;
        return 0; /* aborts the transfer */
    }
    memcpy(b->buf + b->len, ptr, n);
    b->len += n;
    return n;
}

static tkms_err fetch_url(fetch_buffer *b, tkms_attest_error *error,
                          const tkms_attest_jwks_cache *c) {
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE, "JWKS fetch: curl init failed");
    }
    curl_easy_setopt(curl, CURLOPT_URL, c->source);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fetch_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)c->options.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE, (long)TKMS_ATTEST_JWKS_BYTES_MAX);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR,
                     c->options.allow_insecure_url ? "https,http,file" : "https");
    const CURLcode res = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(curl);
    if (b->too_large) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE,
                           "JWKS fetch: response larger than %d bytes", TKMS_ATTEST_JWKS_BYTES_MAX);
    }
    if (res != CURLE_OK) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE, "JWKS fetch: %s",
                           curl_easy_strerror(res));
    }
    if (has_prefix(c->source, "http") && status != 200) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE,
                           "JWKS fetch: expected HTTP 200, found %ld", status);
    }
    return TKMS_OK;
}

static tkms_err fetch_file(fetch_buffer *b, tkms_attest_error *error, const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE, "JWKS file: cannot open");
    }
    b->len = fread(b->buf, 1, TKMS_ATTEST_JWKS_BYTES_MAX, f);
    const bool more = fgetc(f) != EOF;
    const bool failed = ferror(f) != 0;
    fclose(f);
    if (failed) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE, "JWKS file: read error");
    }
    if (more) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE,
                           "JWKS file: larger than %d bytes", TKMS_ATTEST_JWKS_BYTES_MAX);
    }
    return TKMS_OK;
}

TKMS_EXPORT void tkms_attest_jwks_cache_install(tkms_attest_jwks_cache *cache,
                                                tkms_attest_jwks *jwks, int64_t now) {
    TKMS_ASSERT(jwks != NULL);
    pthread_mutex_lock(&cache->lock);
    tkms_attest_jwks *old = cache->current;
    cache->current = jwks;
    cache->fetched_at = now;
    pthread_mutex_unlock(&cache->lock);
    tkms_attest_jwks_free(old); /* keys handed out earlier hold their own references */
}

TKMS_EXPORT tkms_err tkms_attest_jwks_cache_refresh(tkms_attest_jwks_cache *cache,
                                                    tkms_attest_error *error, int64_t now) {
    pthread_mutex_lock(&cache->lock);
    cache->attempted = true;
    cache->attempted_at = now;
    pthread_mutex_unlock(&cache->lock);
    if (cache->source[0] == 0) {
        return attest_fail(error, TKMS_ERR_ATTEST_JWKS_UNAVAILABLE, "JWKS: no source configured");
    }
    fetch_buffer b = {.buf = malloc(TKMS_ATTEST_JWKS_BYTES_MAX), .len = 0, .too_large = false};
    if (b.buf == NULL) {
        return attest_fail(error, TKMS_ERR_OUT_OF_MEMORY, "JWKS fetch: out of memory");
    }
    tkms_err rc =
        cache->is_url ? fetch_url(&b, error, cache) : fetch_file(&b, error, cache->source);
    tkms_attest_jwks *jwks = NULL;
    if (rc == TKMS_OK) {
        rc = tkms_attest_jwks_parse(&jwks, error, b.buf, b.len);
    }
    free(b.buf);
    if (rc != TKMS_OK) {
        return rc;
    }
    tkms_attest_jwks_cache_install(cache, jwks, now);
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_attest_jwks_cache_refresh_if_due(tkms_attest_jwks_cache *cache,
                                                           tkms_attest_error *error, int64_t now,
                                                           const char *kid) {
    pthread_mutex_lock(&cache->lock);
    const bool stale = cache->current == NULL ||
                       now - cache->fetched_at >= (int64_t)cache->options.refresh_s ||
                       now < cache->fetched_at;
    bool kid_missing = false;
    if (kid != NULL && cache->current != NULL) {
        EVP_PKEY *k = attest_jwks_key_get(cache->current, kid);
        kid_missing = k == NULL;
        EVP_PKEY_free(k);
    }
    const bool may_try = !cache->attempted ||
                         now - cache->attempted_at >= (int64_t)cache->options.retry_s ||
                         now < cache->attempted_at;
    pthread_mutex_unlock(&cache->lock);
    if (!(stale || kid_missing) || !may_try) {
        return TKMS_OK;
    }
    return tkms_attest_jwks_cache_refresh(cache, error, now);
}

TKMS_EXPORT size_t tkms_attest_jwks_cache_key_count(tkms_attest_jwks_cache *cache) {
    pthread_mutex_lock(&cache->lock);
    const size_t n = tkms_attest_jwks_key_count(cache->current);
    pthread_mutex_unlock(&cache->lock);
    return n;
}

EVP_PKEY *attest_jwks_cache_key_get(tkms_attest_jwks_cache *cache, const char *kid) {
    pthread_mutex_lock(&cache->lock);
    EVP_PKEY *k = attest_jwks_key_get(cache->current, kid);
    pthread_mutex_unlock(&cache->lock);
    return k;
}
