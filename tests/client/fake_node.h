/*
 * fake_node.h — a tiny HTTP/1.1 server thread on 127.0.0.1 (ephemeral port) for the
 * client's network tests: it reads one request per connection (request line, headers,
 * Content-Length body), asks the test's handler for the answer and writes it with
 * Connection: close. Handlers can also make the node hang until stopped (to exercise
 * client timeouts), hang up without answering, or answer an oversized body.
 *
 * Real sockets, real HTTP: the client under test uses libcurl exactly as against tkmsd.
 * Waiting is event-driven (poll on the socket and a self-pipe), never a blind sleep.
 */
#ifndef TKMS_TEST_FAKE_NODE_H
#define TKMS_TEST_FAKE_NODE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_util.h"

#define FAKE_REQUEST_BYTES_MAX (4u << 20)

typedef enum {
    FAKE_ANSWER = 0, /* status + body */
    FAKE_HANG,       /* keep the connection open without answering until stopped */
    FAKE_HANG_UP,    /* close without a byte */
    FAKE_HUGE,       /* 200 with a body of huge_bytes */
} fake_mode;

typedef struct {
    fake_mode mode;
    int status;
    char *body; /* malloc'ed by the handler; freed by the server */
    size_t huge_bytes;
} fake_reply;

typedef void (*fake_handler)(void *ctx, const char *method, const char *path, const char *body,
                             size_t len, fake_reply *out);

typedef struct {
    int fd;
    int port;
    int wake[2]; /* self-pipe: stop */
    pthread_t thread;
    fake_handler handler;
    void *ctx;
    char url[64];
    int requests; /* served so far (read after stop) */
} fake_node;

static inline bool fake_wait_readable(fake_node *n, int fd, int timeout_ms) {
    struct pollfd p[2] = {{fd, POLLIN, 0}, {n->wake[0], POLLIN, 0}};
    int rc = poll(p, 2, timeout_ms);
    return rc > 0 && (p[0].revents & (POLLIN | POLLHUP)) && !(p[1].revents & POLLIN);
}

/* Reads headers + body; returns the total length or 0 on failure. */
static inline size_t fake_read_request(fake_node *n, int c, char *buf, size_t max, size_t *body_off,
                                       size_t *body_len) {
    size_t used = 0;
    char *end = NULL;
    while (end == NULL) {
        if (used >= max || !fake_wait_readable(n, c, 5000)) {
            return 0;
        }
        ssize_t r = read(c, buf + used, max - used);
        if (r <= 0) {
            return 0;
        }
        used += (size_t)r;
        buf[used] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    *body_off = (size_t)(end + 4 - buf);
    const char *cl = strcasestr(buf, "\r\nContent-Length:");
    *body_len = cl ? (size_t)strtoul(cl + 17, NULL, 10) : 0;
    if (*body_len > max - *body_off) {
        return 0;
    }
    while (used < *body_off + *body_len) {
        if (!fake_wait_readable(n, c, 5000)) {
            return 0;
        }
        ssize_t r = read(c, buf + used, *body_off + *body_len - used);
        if (r <= 0) {
            return 0;
        }
        used += (size_t)r;
    }
    buf[used] = 0;
    return used;
}

static inline void fake_write_all(int c, const char *p, size_t len) {
    while (len > 0) {
        ssize_t w = send(c, p, len, MSG_NOSIGNAL); /* a client that hung up: no SIGPIPE */
        if (w <= 0) {
            return;
        }
        p += w;
        len -= (size_t)w;
    }
}

static inline void fake_answer(fake_node *n, int c, const fake_reply *r) {
    char head[256];
    if (r->mode == FAKE_HANG) {
        fake_wait_readable(n, n->wake[0], 20000); /* until stopped */
        return;
    }
    if (r->mode == FAKE_HANG_UP) {
        return;
    }
    size_t len = r->mode == FAKE_HUGE ? r->huge_bytes : (r->body ? strlen(r->body) : 0);
    int h = snprintf(head, sizeof head,
                     "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     r->status, len);
    fake_write_all(c, head, (size_t)h);
    if (r->mode == FAKE_HUGE) {
        char chunk[4096];
        memset(chunk, ' ', sizeof chunk);
        for (size_t sent = 0; sent < len; sent += sizeof chunk) {
            fake_write_all(c, chunk, len - sent < sizeof chunk ? len - sent : sizeof chunk);
        }
    } else if (len > 0) {
        fake_write_all(c, r->body, len);
    }
}

static inline void fake_serve_one(fake_node *n, int c, char *buf) {
    size_t body_off = 0, body_len = 0;
    if (fake_read_request(n, c, buf, FAKE_REQUEST_BYTES_MAX, &body_off, &body_len) == 0) {
        return;
    }
    char method[16] = {0}, path[1024] = {0};
    if (sscanf(buf, "%15s %1023s", method, path) != 2) {
        return;
    }
    fake_reply reply = {FAKE_ANSWER, 500, NULL, 0};
    n->handler(n->ctx, method, path, buf + body_off, body_len, &reply);
    n->requests++;
    fake_answer(n, c, &reply);
    free(reply.body);
}

static inline void *fake_loop(void *arg) {
    fake_node *n = arg;
    char *buf = malloc(FAKE_REQUEST_BYTES_MAX + 1);
    while (buf != NULL && fake_wait_readable(n, n->fd, -1)) {
        int c = accept(n->fd, NULL, NULL);
        if (c < 0) {
            continue;
        }
        fake_serve_one(n, c, buf);
        close(c);
    }
    free(buf);
    return NULL;
}

static inline void fake_node_start(fake_node *n, fake_handler handler, void *ctx) {
    memset(n, 0, sizeof *n);
    n->handler = handler;
    n->ctx = ctx;
    assert_int_equal(pipe(n->wake), 0);
    n->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(n->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(n->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(n->fd, 64), 0);
    socklen_t len = sizeof a;
    assert_int_equal(getsockname(n->fd, (struct sockaddr *)&a, &len), 0);
    n->port = ntohs(a.sin_port);
    snprintf(n->url, sizeof n->url, "http://127.0.0.1:%d", n->port);
    assert_int_equal(pthread_create(&n->thread, NULL, fake_loop, n), 0);
}

static inline void fake_node_stop(fake_node *n) {
    if (n->fd <= 0) {
        return;
    }
    assert_int_equal(write(n->wake[1], "x", 1), 1);
    pthread_join(n->thread, NULL);
    close(n->fd);
    close(n->wake[0]);
    close(n->wake[1]);
    n->fd = 0;
}

/* A port nothing listens on (bound then closed). */
static inline int fake_dead_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

#endif
