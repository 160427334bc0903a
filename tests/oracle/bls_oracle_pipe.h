/*
 * bls_oracle_pipe.h — the C side of tests/oracle/bls_oracle.mjs: starts one `node
 * bls_oracle.mjs -` process, streams command batches to it over a pipe and compares its
 * one-line answers with ours (used by tests/bls/test_oracle_diff.c).
 *
 * A batch holds command lines and, in parallel, the answer lines this library expects.
 * batch_end() hands node each command as soon as it is built (non-blocking), so our own
 * computation overlaps node's; batch_run() waits for the rest (poll() on both pipes, so a
 * full pipe in either direction can never deadlock) and compares byte for byte, printing
 * the failing command, both answers and the seed. A missing node or node_modules makes every
 * test fail with a message saying which — never a skip. Include once per program: it keeps
 * the node process in static state. Needs test_util.h (cmocka) first.
 */
#ifndef TKMS_TESTS_BLS_ORACLE_PIPE_H
#define TKMS_TESTS_BLS_ORACLE_PIPE_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ORACLE_TIMEOUT_MS (300 * 1000) /* longest silence tolerated from node */
#define MISMATCH_PRINT_MAX 5

static uint64_t g_seed; /* printed with every failure */
static size_t g_cases;  /* cases per operation, printed by the handshake */

/* ---- growable text buffer --------------------------------------------------------- */
typedef struct {
    char *p;
    size_t len, cap;
} sbuf;

static inline void sb_reserve(sbuf *s, size_t extra) {
    if (s->len + extra + 1 <= s->cap) {
        return;
    }
    size_t cap = s->cap ? s->cap : 4096;
    while (cap < s->len + extra + 1) {
        cap *= 2;
    }
    char *p = realloc(s->p, cap);
    assert_non_null(p);
    s->p = p;
    s->cap = cap;
}

static inline void sb_mem(sbuf *s, const char *m, size_t n) {
    sb_reserve(s, n);
    memcpy(s->p + s->len, m, n);
    s->len += n;
    s->p[s->len] = 0;
}

static inline void sb_str(sbuf *s, const char *str) {
    sb_mem(s, str, strlen(str));
}

/* " <hex>", or " -" for the empty string (the oracle's spelling of it). */
static inline void sb_arg_hex(sbuf *s, const uint8_t *b, size_t n) {
    if (n == 0) {
        sb_str(s, " -");
        return;
    }
    sb_reserve(s, 2 * n + 1);
    s->p[s->len++] = ' ';
    tu_hex(s->p + s->len, b, n);
    s->len += 2 * n;
}

static inline void sb_free(sbuf *s) {
    free(s->p);
    memset(s, 0, sizeof *s);
}

/* ---- the node process ------------------------------------------------------------- */
typedef struct {
    pid_t pid;
    int to, from; /* its stdin (non-blocking) and stdout */
    bool started, broken;
    char why[4608];
} oracle;

static oracle g_oracle = {.pid = -1, .to = -1, .from = -1};

static inline const char *source_root(void) {
    const char *root = getenv("TKMS_SOURCE_DIR");
    return root ? root : ".";
}

/* Preconditions a developer can fix, checked before fork so the message says which. */
static inline bool oracle_prerequisites(char *why, size_t why_len) {
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/tests/oracle/bls_oracle.mjs", source_root());
    if (stat(path, &st) != 0) {
        snprintf(why, why_len, "oracle script %s not found", path);
        return false;
    }
    snprintf(path, sizeof path, "%s/node_modules/@noble/curves/package.json", source_root());
    if (stat(path, &st) != 0) {
        snprintf(why, why_len,
                 "%s missing: install the npm packages (npm ci, see scripts/setup.sh)", path);
        return false;
    }
    return true;
}

static inline bool oracle_spawn(char *why, size_t why_len) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
        snprintf(why, why_len, "pipe: %s", strerror(errno));
        return false;
    }
    const char *node = getenv("TKMS_NODE") ? getenv("TKMS_NODE") : "node";
    char script[4096];
    snprintf(script, sizeof script, "%s/tests/oracle/bls_oracle.mjs", source_root());
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_len, "fork: %s", strerror(errno));
        return false;
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        char *argv[] = {(char *)node, script, (char *)"-", NULL};
        execvp(node, argv);
        fprintf(stderr,
                "test_oracle_diff: cannot run '%s': %s (install node 20+, or set "
                "TKMS_NODE)\n",
                node, strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    g_oracle.pid = pid;
    g_oracle.to = in[1];
    g_oracle.from = out[0];
    /* Non-blocking writes: a full pipe must return to poll() so we keep reading answers. */
    int fl = fcntl(g_oracle.to, F_GETFL);
    assert_int_equal(fcntl(g_oracle.to, F_SETFL, fl | O_NONBLOCK), 0);
    return true;
}

/* Writes what the pipe takes now; false on a write error (node gone). */
static inline bool exchange_write(const sbuf *cmds, size_t *sent) {
    ssize_t w = write(g_oracle.to, cmds->p + *sent, cmds->len - *sent);
    if (w < 0) {
        return errno == EAGAIN || errno == EINTR;
    }
    *sent += (size_t)w;
    return true;
}

/* Reads what node has written so far, counting answer lines into *got. */
static inline void exchange_read(sbuf *resp, size_t *got, size_t lines) {
    sb_reserve(resp, 65536);
    ssize_t r = read(g_oracle.from, resp->p + resp->len, 65536);
    if (r < 0 && errno == EINTR) {
        return;
    }
    if (r <= 0) {
        g_oracle.broken = true;
        fail_msg("oracle: node closed its output after %zu of %zu lines", *got, lines);
    }
    for (ssize_t i = 0; i < r; i++) {
        *got += resp->p[resp->len + (size_t)i] == '\n';
    }
    resp->len += (size_t)r;
    resp->p[resp->len] = 0;
}

/* One poll round: send what the pipe takes, read what came back. timeout_ms = 0 never
   blocks (used between cases, so our computation overlaps node's); otherwise silence for
   that long is a failure. */
static inline void oracle_pump(sbuf *resp, size_t *got, const sbuf *cmds, size_t *sent,
                               size_t lines, int timeout_ms) {
    struct pollfd pf[2] = {{.fd = g_oracle.from, .events = POLLIN},
                           {.fd = *sent < cmds->len ? g_oracle.to : -1, .events = POLLOUT}};
    int rc = poll(pf, 2, timeout_ms);
    if (rc < 0 && errno == EINTR) {
        return;
    }
    if (rc < 0 || (rc == 0 && timeout_ms > 0)) {
        g_oracle.broken = true;
        fail_msg("oracle: no answer for %d s (%zu of %zu lines) [seed=%llu]", timeout_ms / 1000,
                 *got, lines, (unsigned long long)g_seed);
    }
    if ((pf[1].revents & (POLLOUT | POLLERR)) && !exchange_write(cmds, sent)) {
        g_oracle.broken = true;
        fail_msg("oracle: write failed (%s): node exited?", strerror(errno));
    }
    if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        exchange_read(resp, got, lines);
    }
}

/* Streams the rest of cmds to node until `lines` answer lines have arrived. */
static inline void oracle_exchange(sbuf *resp, size_t *got, const sbuf *cmds, size_t *sent,
                                   size_t lines) {
    while (*got < lines) {
        oracle_pump(resp, got, cmds, sent, lines, ORACLE_TIMEOUT_MS);
    }
    assert_int_equal(*sent, cmds->len);
}

/* ping (noble's version) and selftest (the oracle's encoder against noble's). */
static inline void oracle_handshake(void) {
    sbuf cmd = {0}, resp = {0};
    size_t sent = 0, got = 0;
    sb_str(&cmd, "ping\nselftest\n");
    g_oracle.broken = true; /* until the handshake completes */
    snprintf(g_oracle.why, sizeof g_oracle.why,
             "node (TKMS_NODE or `node` on PATH) did not answer the handshake; see its stderr");
    oracle_exchange(&resp, &got, &cmd, &sent, 2);
    if (strncmp(resp.p, "pong ", 5) == 0 && strstr(resp.p, "\nok\n") != NULL) {
        g_oracle.broken = false;
        printf("[oracle] @noble/curves %.*s, seed=%llu (TKMS_TEST_SEED), %zu cases/op\n",
               (int)(strchr(resp.p, '\n') - resp.p - 5), resp.p + 5, (unsigned long long)g_seed,
               g_cases);
        fflush(stdout);
    } else {
        snprintf(g_oracle.why, sizeof g_oracle.why, "bad handshake: %.200s", resp.p);
    }
    sb_free(&cmd);
    sb_free(&resp);
}

/* Starts node on first use; every test fails with the same clear message if it cannot. */
static inline void oracle_ensure(void) {
    if (!g_oracle.started) {
        g_oracle.started = true;
        if (oracle_prerequisites(g_oracle.why, sizeof g_oracle.why) &&
            oracle_spawn(g_oracle.why, sizeof g_oracle.why)) {
            oracle_handshake();
        } else {
            g_oracle.broken = true;
        }
    }
    if (g_oracle.broken) {
        fail_msg("oracle unavailable: %s", g_oracle.why);
    }
}

static inline int oracle_stop(void **state) {
    (void)state;
    if (g_oracle.pid > 0) {
        close(g_oracle.to);
        int status = 0;
        if (g_oracle.broken) {
            kill(g_oracle.pid, SIGTERM);
        }
        waitpid(g_oracle.pid, &status, 0);
        close(g_oracle.from);
        g_oracle.pid = -1;
        if (!g_oracle.broken && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            fprintf(stderr, "[oracle] node exited abnormally (status %d)\n", status);
            return -1;
        }
    }
    return 0;
}

/* ---- batches: commands, our expected answers, comparison ---------------------------- */
typedef struct {
    const char *name;
    sbuf cmds, expect, resp;
    size_t count, sent, got; /* cases built, command bytes sent, answers received */
    size_t local_failures;   /* our own consistency checks (e.g. pairing vs pairing_multi) */
} batch;

static inline void batch_cmd(batch *b, const char *op) {
    sb_str(&b->cmds, op);
}

/* Ends a case and hands node whatever it can take now, without waiting. */
static inline void batch_end(batch *b) {
    sb_str(&b->cmds, "\n");
    sb_str(&b->expect, "\n");
    b->count++;
    oracle_pump(&b->resp, &b->got, &b->cmds, &b->sent, b->count, 0);
}

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The next line of a buffer, advancing *pos past its newline. */
static inline const char *next_line(const sbuf *s, size_t *pos, size_t *len) {
    const char *start = s->p + *pos;
    const char *nl = memchr(start, '\n', s->len - *pos);
    assert_non_null(nl);
    *len = (size_t)(nl - start);
    *pos += *len + 1;
    return start;
}

static inline void report_mismatch(const batch *b, size_t i, const char *cmd, size_t cmd_len,
                                   const char *ours, size_t ours_len, const char *theirs,
                                   size_t theirs_len) {
    fprintf(stderr,
            "[oracle] MISMATCH %s case %zu [seed=%llu]\n  command: %.*s\n  ours:    %.*s\n"
            "  noble:   %.*s\n",
            b->name, i, (unsigned long long)g_seed, (int)cmd_len, cmd, (int)ours_len, ours,
            (int)theirs_len, theirs);
}

static inline void batch_run(batch *b, double t_start) {
    double t_built = now_s();
    oracle_exchange(&b->resp, &b->got, &b->cmds, &b->sent, b->count);
    size_t pc = 0, pe = 0, pr = 0, bad = 0;
    for (size_t i = 0; i < b->count; i++) {
        size_t lc, le, lr;
        const char *c = next_line(&b->cmds, &pc, &lc);
        const char *e = next_line(&b->expect, &pe, &le);
        const char *r = next_line(&b->resp, &pr, &lr);
        if (le != lr || memcmp(e, r, le) != 0) {
            if (bad < MISMATCH_PRINT_MAX) {
                report_mismatch(b, i, c, lc, e, le, r, lr);
            }
            bad++;
        }
    }
    assert_int_equal(pr, b->resp.len); /* one answer per command, nothing more */
    printf("[oracle] %-10s %5zu cases: %zu mismatches, %zu local failures "
           "(%.2f s building while noble ran, then %.2f s waiting for noble)\n",
           b->name, b->count, bad, b->local_failures, t_built - t_start, now_s() - t_built);
    fflush(stdout);
    sb_free(&b->resp);
    sb_free(&b->cmds);
    sb_free(&b->expect);
    if (bad != 0 || b->local_failures != 0) {
        fail_msg("%s: %zu mismatches with noble, %zu local failures; replay with "
                 "TKMS_TEST_SEED=%llu",
                 b->name, bad, b->local_failures, (unsigned long long)g_seed);
    }
}

static inline void local_failure(batch *b, size_t i, const char *what) {
    fprintf(stderr, "[oracle] LOCAL FAILURE %s case %zu [seed=%llu]: %s\n", b->name, i,
            (unsigned long long)g_seed, what);
    b->local_failures++;
}

#endif
