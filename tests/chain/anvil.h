/*
 * anvil.h — starts and stops a real anvil (npm @foundry-rs/anvil) for integration tests.
 *
 * anvil listens on an ephemeral port (--port 0) and logs to a file in a per-test temp
 * directory; we read the port from its "Listening on 127.0.0.1:PORT" line (bounded wait).
 * A restart reuses the port, so a client keeps its URL. Stopping sends SIGTERM to the pid
 * we started (anvil then writes --dump-state) and reaps it; if the test process dies, the
 * kernel sends anvil SIGTERM (PR_SET_PDEATHSIG). A missing anvil binary fails the test:
 * integration tests never skip silently.
 */
#ifndef TKMS_TEST_ANVIL_H
#define TKMS_TEST_ANVIL_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

extern char **environ;

typedef struct {
    pid_t pid;
    int port;
    char dir[256]; /* temp dir: log, state */
    char url[64];
    char state[300]; /* state file for --dump-state/--load-state */
} test_anvil;

static inline const char *test_anvil_binary(void) {
    static char path[4096];
    const char *root = getenv("TKMS_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil",
             root ? root : ".");
    return path;
}

static inline void test_anvil_sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Reads the port from the log; 0 while not yet listening. */
static inline int test_anvil_port_from_log(const char *log) {
    FILE *f = fopen(log, "r");
    if (f == NULL) {
        return 0;
    }
    char line[512];
    int port = 0;
    while (port == 0 && fgets(line, sizeof line, f) != NULL) {
        const char *p = strstr(line, "Listening on 127.0.0.1:");
        if (p != NULL) {
            port = atoi(p + strlen("Listening on 127.0.0.1:"));
        }
    }
    fclose(f);
    return port;
}

/* Spawns anvil with extra arguments (NULL-terminated); port 0 picks a free one. */
static inline void test_anvil_spawn(test_anvil *a, int port, const char *const *extra) {
    const char *bin = test_anvil_binary();
    if (access(bin, X_OK) != 0) {
        fail_msg("anvil not found at %s (run scripts/setup.sh)", bin);
    }
    char log[300], port_text[16];
    snprintf(log, sizeof log, "%s/anvil.log", a->dir);
    snprintf(port_text, sizeof port_text, "%d", port);
    unlink(log);
    const char *argv[32] = {bin, "--host", "127.0.0.1", "--port", port_text, "--chain-id", "31337"};
    size_t argc = 7;
    for (size_t i = 0; extra != NULL && extra[i] != NULL && argc < 30; i++) {
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;
    pid_t parent = getpid();
    a->pid = fork();
    assert_true(a->pid >= 0);
    if (a->pid == 0) {                    /* only async-signal-safe calls until exec */
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* a crashed test leaves no anvil behind */
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (getppid() != parent || fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
            _exit(127);
        }
        execve(bin, (char *const *)argv, environ);
        _exit(127);
    }
    for (int i = 0; i < 1000 && (a->port = test_anvil_port_from_log(log)) == 0; i++) {
        int status;
        if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
            fail_msg("anvil exited early (see %s)", log);
        }
        test_anvil_sleep_ms(10); /* bounded: at most 10 s for anvil to listen */
    }
    if (a->port == 0) {
        fail_msg("anvil did not start listening within 10 s (see %s)", log);
    }
    snprintf(a->url, sizeof a->url, "http://127.0.0.1:%d", a->port);
}

/* Starts a fresh anvil that dumps its state to a->state when stopped. */
static inline void test_anvil_start(test_anvil *a, const char *const *extra) {
    memset(a, 0, sizeof *a);
    snprintf(a->dir, sizeof a->dir, "/tmp/tkms-anvil-XXXXXX");
    assert_non_null(mkdtemp(a->dir));
    snprintf(a->state, sizeof a->state, "%s/state.json", a->dir);
    test_anvil_spawn(a, 0, extra);
}

/* SIGTERM (anvil writes --dump-state) and reap. */
static inline void test_anvil_stop(test_anvil *a) {
    if (a->pid <= 0) {
        return;
    }
    kill(a->pid, SIGTERM);
    int status;
    while (waitpid(a->pid, &status, 0) < 0 && errno == EINTR) {
    }
    a->pid = 0;
}

/* Removes the temp dir (files we created only). */
static inline void test_anvil_cleanup(test_anvil *a) {
    test_anvil_stop(a);
    char path[400];
    const char *files[] = {"anvil.log", "state.json"};
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", a->dir, files[i]);
        unlink(path);
    }
    rmdir(a->dir);
}

/* anvil's deterministic dev keys (from its default mnemonic); #0 deploys. */
static const char *const test_anvil_keys[] = {
    "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
    "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
    "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
    "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
};

#endif
