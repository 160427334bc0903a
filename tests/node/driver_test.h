/*
 * driver_test.h — helpers of the node-core tests (test_driver_*.c): the build's paths
 * (tkmsd, contract artifacts) found from the test binary's own location, free loopback
 * ports, a minimal HTTP/1.0 GET over a socket (no client library between the test and
 * tkmsd's server), spawning and signalling tkmsd processes, and temp files.
 * Every wait is bounded; nothing here sleeps blindly.
 */
#ifndef TKMS_TEST_DRIVER_TEST_H
#define TKMS_TEST_DRIVER_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

extern char **environ;

/* The build directory: the test binary lives in <build>/tests/node/. */
static inline const char *dt_build_dir(void) {
    static char dir[PATH_MAX];
    if (dir[0] == '\0') {
        char exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        assert_true(n > 0);
        exe[n] = '\0';
        char *d = dirname(exe);    /* <build>/tests/node */
        d = dirname(d);            /* <build>/tests */
        snprintf(dir, sizeof dir, "%s", dirname(d));
    }
    return dir;
}

static inline const char *dt_tkmsd(void) {
    static char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/src/node/tkmsd", dt_build_dir());
    if (access(path, X_OK) != 0) {
        fail_msg("tkmsd not built at %s (build the tkmsd target)", path);
    }
    return path;
}

static inline const char *dt_contracts_dir(void) {
    static char path[PATH_MAX + 32];
    const char *env = getenv("TKMS_CONTRACTS_DIR");
    snprintf(path, sizeof path, "%s", env != NULL ? env : "");
    if (env == NULL) {
        snprintf(path, sizeof path, "%s/contracts", dt_build_dir());
    }
    char probe[PATH_MAX + 64];
    snprintf(probe, sizeof probe, "%s/EpochLog.json", path);
    if (access(probe, R_OK) != 0) {
        fail_msg("contract artifacts not found at %s (build the contracts target)", path);
    }
    return path;
}

static inline uint64_t dt_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void dt_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* count distinct free loopback ports (all sockets held open until every port is chosen). */
static inline void dt_free_ports(int *ports, size_t count) {
    int fds[16];
    assert_true(count <= 16);
    for (size_t i = 0; i < count; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fds[i] >= 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(fds[i], (struct sockaddr *)&a, sizeof a), 0);
        socklen_t len = sizeof a;
        assert_int_equal(getsockname(fds[i], (struct sockaddr *)&a, &len), 0);
        ports[i] = ntohs(a.sin_port);
    }
    for (size_t i = 0; i < count; i++) {
        close(fds[i]);
    }
}

/* GET path from 127.0.0.1:port (HTTP/1.0, 2 s timeout). Returns the status (0 when the
   node does not answer) and the body, NUL-terminated, in body (max bytes). */
static inline int dt_http_get(int port, const char *path, char *body, size_t max) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return 0;
    }
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char buf[65536];
    size_t len = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        char req[256];
        int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
        if (write(fd, req, (size_t)n) == n) {
            ssize_t r;
            while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
                len += (size_t)r;
            }
        }
    }
    close(fd);
    buf[len] = '\0';
    int status = 0;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
        status = 0;
    }
    const char *start = strstr(buf, "\r\n\r\n");
    snprintf(body, max, "%s", start != NULL ? start + 4 : "");
    return status;
}

/* Spawns argv (NULL-terminated) with stdout+stderr appended to log; the child dies with
   the test (PR_SET_PDEATHSIG). fsize_max > 0 caps every file the child writes
   (RLIMIT_FSIZE, SIGXFSZ ignored: writes beyond fail with EFBIG, like a full disk). */
static inline pid_t dt_spawn_limited(const char *const *argv, const char *log,
                                     rlim_t fsize_max) {
    pid_t parent = getpid();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (fsize_max > 0) {
            struct rlimit rl = {fsize_max, fsize_max};
            signal(SIGXFSZ, SIG_IGN);
            if (setrlimit(RLIMIT_FSIZE, &rl) != 0) {
                _exit(126);
            }
        }
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (getppid() != parent || fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
            _exit(127);
        }
        execve(argv[0], (char *const *)argv, environ);
        _exit(127);
    }
    return pid;
}

static inline pid_t dt_spawn(const char *const *argv, const char *log) {
    return dt_spawn_limited(argv, log, 0);
}

/* Waits for pid up to ms; returns its wait status, or -1 on timeout (pid still running). */
static inline int dt_wait(pid_t pid, long ms) {
    for (long waited = 0; waited <= ms; waited += 10) {
        int status;
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return status;
        }
        dt_sleep_ms(10);
    }
    return -1;
}

/* Runs argv and captures its stdout (max bytes); returns the exit status. */
static inline int dt_run_capture(const char *const *argv, char *out, size_t max) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        execve(argv[0], (char *const *)argv, environ);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t r;
    while (len < max - 1 && (r = read(fds[0], out + len, max - 1 - len)) > 0) {
        len += (size_t)r;
    }
    out[len] = '\0';
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static inline void dt_write_file(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    size_t n = strlen(text);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
}

/* Prints the last `lines` lines of a log file to stderr (failure diagnostics). */
static inline void dt_log_tail(const char *path, size_t lines) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return;
    }
    static char ring[64][1024];
    size_t count = 0;
    lines = lines > 64 ? 64 : lines;
    while (fgets(ring[count % lines], sizeof ring[0], f) != NULL) {
        count++;
    }
    fclose(f);
    fprintf(stderr, "---- %s (last %zu lines)\n", path, count < lines ? count : lines);
    for (size_t i = count > lines ? count - lines : 0; i < count; i++) {
        fputs(ring[i % lines], stderr);
    }
}

#endif
