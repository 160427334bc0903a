/*
 * fake_rpc.h — a tiny fake JSON-RPC HTTP server for unit tests of the transport and of the
 * client's handling of bad answers (chain.md allows mocks only for pure-unit tests; every
 * integration test uses anvil). One thread, one listening socket on 127.0.0.1 (ephemeral
 * port), HTTP/1.1 keep-alive, answers from a route table:
 *   {method or "*", HTTP status, body template, mode, times}
 * In the body "%ID%" becomes the request id and "%RAWHASH%" the keccak256 of the first
 * parameter (for eth_sendRawTransaction), "%P0%" the first parameter itself. Modes: reply, close
 * without reply, reply after a delay, or stream an endless chunked body. Every request is counted
 * per method and the last params of each call are kept for inspection.
 */
#ifndef TKMS_TEST_FAKE_RPC_H
#define TKMS_TEST_FAKE_RPC_H

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "chain/chain.h"
#include "prim/prim.h"

enum { FAKE_REPLY = 0, FAKE_CLOSE, FAKE_DELAY, FAKE_ENDLESS };

typedef struct {
    const char *method; /* "*" matches any */
    int status;
    const char *body;
    int mode;
    int times; /* uses left; 0 = unlimited */
} fake_route;

typedef struct {
    int listen_fd;
    int port;
    char url[64];
    pthread_t thread;
    atomic_bool stop;
    fake_route routes[32];
    size_t route_count;
    atomic_int calls;
    char last_method[64];
    char *last_params; /* JSON text of the last call's params (malloc) */
    pthread_mutex_t mutex;
} fake_server;

static void fake_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static bool fake_write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Reads one request (headers + Content-Length body); returns the body or NULL at EOF. */
static char *fake_read_request(int fd) {
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    char *end = NULL;
    while (end == NULL) {
        if (len == cap) {
            free(buf);
            return NULL;
        }
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r <= 0) {
            free(buf);
            return NULL;
        }
        len += (size_t)r;
        buf[len] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    size_t header_len = (size_t)(end - buf) + 4;
    size_t body_len = 0;
    for (char *line = buf; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, "Content-Length:", 15) == 0) {
            body_len = strtoul(line + 15, NULL, 10);
        }
    }
    while (len < header_len + body_len && len < cap) {
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r <= 0) {
            free(buf);
            return NULL;
        }
        len += (size_t)r;
    }
    buf[header_len + body_len] = 0;
    memmove(buf, buf + header_len, body_len + 1);
    return buf;
}

static char *fake_replace(const char *text, const char *token, const char *value) {
    size_t n = strlen(text) + 1;
    for (const char *p = strstr(text, token); p; p = strstr(p + 1, token)) {
        n += strlen(value);
    }
    char *out = malloc(n), *o = out;
    const char *p = text, *hit;
    while ((hit = strstr(p, token)) != NULL) {
        memcpy(o, p, (size_t)(hit - p));
        o += hit - p;
        strcpy(o, value);
        o += strlen(value);
        p = hit + strlen(token);
    }
    strcpy(o, p);
    return out;
}

static const fake_route *fake_route_pick(fake_server *s, const char *method) {
    for (size_t i = 0; i < s->route_count; i++) {
        fake_route *r = &s->routes[i];
        if ((strcmp(r->method, "*") == 0 || strcmp(r->method, method) == 0) && r->times >= 0) {
            if (r->times > 0 && --r->times == 0) {
                r->times = -1; /* used up */
            }
            return r;
        }
    }
    return NULL;
}

static char *fake_body(const fake_route *r, long long id, json_t *params) {
    char id_text[32], hash_text[80] = "0x00";
    snprintf(id_text, sizeof id_text, "%lld", id);
    const char *raw_hex = json_string_value(json_array_get(params, 0));
    tkms_chain_bytes raw;
    if (raw_hex != NULL && tkms_chain_hex_decode_alloc(&raw, raw_hex, 1 << 20) == TKMS_OK) {
        uint8_t h[32];
        tkms_prim_keccak256(h, raw.ptr, raw.len);
        tkms_chain_hex_encode(hash_text, h, 32);
        tkms_chain_bytes_free(&raw);
    }
    char *a = fake_replace(r->body, "%ID%", id_text);
    char *b = fake_replace(a, "%RAWHASH%", hash_text);
    char *c = fake_replace(b, "%P0%", raw_hex ? raw_hex : "");
    free(a);
    free(b);
    return c;
}

static void fake_respond(int fd, const fake_route *r, const char *body) {
    char header[256];
    if (r->mode == FAKE_ENDLESS) {
        snprintf(header, sizeof header,
                 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n");
        fake_write_all(fd, header, strlen(header));
        char chunk[8200];
        int n = snprintf(chunk, sizeof chunk, "2000\r\n");
        memset(chunk + n, ' ', 0x2000);
        memcpy(chunk + n + 0x2000, "\r\n", 2);
        for (int i = 0; i < 4096 && fake_write_all(fd, chunk, (size_t)n + 0x2000 + 2); i++) {
        }
        return;
    }
    if (r->mode == FAKE_DELAY) {
        fake_sleep_ms(700);
    }
    int n =
        snprintf(header, sizeof header,
                 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                 r->status, strlen(body));
    char *reply = malloc((size_t)n + strlen(body) + 1); /* one send: no Nagle/delayed-ACK stall */
    memcpy(reply, header, (size_t)n);
    strcpy(reply + n, body);
    fake_write_all(fd, reply, strlen(reply));
    free(reply);
}

/* Serves one connection until the client closes it (or a route says to). */
static void fake_serve(fake_server *s, int fd) {
    char *request;
    while (!atomic_load(&s->stop) && (request = fake_read_request(fd)) != NULL) {
        json_t *req = json_loads(request, 0, NULL);
        free(request);
        const char *method = json_string_value(json_object_get(req, "method"));
        json_t *params = json_object_get(req, "params");
        long long id = json_integer_value(json_object_get(req, "id"));
        pthread_mutex_lock(&s->mutex);
        atomic_fetch_add(&s->calls, 1);
        snprintf(s->last_method, sizeof s->last_method, "%s", method ? method : "?");
        free(s->last_params);
        s->last_params = json_dumps(params, JSON_COMPACT | JSON_ENCODE_ANY);
        const fake_route *r = fake_route_pick(s, method ? method : "?");
        pthread_mutex_unlock(&s->mutex);
        if (r == NULL || r->mode == FAKE_CLOSE) {
            json_decref(req);
            return;
        }
        char *body = fake_body(r, id, params);
        fake_respond(fd, r, body);
        free(body);
        json_decref(req);
        if (r->mode == FAKE_ENDLESS) {
            return;
        }
    }
}

static void *fake_main(void *arg) {
    fake_server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->listen_fd, POLLIN, 0};
        if (poll(&p, 1, 20) <= 0) {
            continue;
        }
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd >= 0) {
            fake_serve(s, fd);
            close(fd);
        }
    }
    return NULL;
}

static void fake_start(fake_server *s) {
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mutex, NULL);
    s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(s->listen_fd, 8) != 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &len) != 0) {
        abort();
    }
    s->port = ntohs(a.sin_port);
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
    pthread_create(&s->thread, NULL, fake_main, s);
}

static void fake_stop(fake_server *s) {
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    free(s->last_params);
    pthread_mutex_destroy(&s->mutex);
}

/* Replaces the route table (call between requests only). */
static void fake_routes(fake_server *s, const fake_route *routes, size_t count) {
    pthread_mutex_lock(&s->mutex);
    if (count > 0) {
        memcpy(s->routes, routes, count * sizeof *routes);
    }
    s->route_count = count;
    atomic_store(&s->calls, 0);
    pthread_mutex_unlock(&s->mutex);
}

#endif
