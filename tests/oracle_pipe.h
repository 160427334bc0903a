/*
 * oracle_pipe.h — runs a node oracle script over a batch of command lines and reads one
 * answer line per command (tests only). The script gets the batch on stdin through a
 * temporary file, so there is no pipe deadlock however large the batch. A missing node or
 * node_modules makes the test FAIL with a message (run scripts/setup.sh), never skip.
 */
#ifndef TKMS_ORACLE_PIPE_H
#define TKMS_ORACLE_PIPE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

typedef struct {
    char path[64];
    FILE *in;
} oracle_batch;

static inline void oracle_begin(oracle_batch *b) {
    snprintf(b->path, sizeof b->path, "/tmp/tkms-oracle-XXXXXX");
    int fd = mkstemp(b->path);
    assert_true(fd >= 0);
    b->in = fdopen(fd, "w");
    assert_non_null(b->in);
}

/* Runs `node script` on the batch; returns the output stream (one line per command). */
static inline FILE *oracle_run(oracle_batch *b, const char *script) {
    fclose(b->in);
    if (access("node_modules/@noble/curves", F_OK) != 0) {
        fail_msg("node_modules missing: run scripts/setup.sh (oracle %s)", script);
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "node %s < %s", script, b->path);
    FILE *out = popen(cmd, "r");
    if (out == NULL) {
        fail_msg("cannot run node for oracle %s", script);
    }
    return out;
}

static inline void oracle_end(oracle_batch *b, FILE *out) {
    int status = pclose(out);
    unlink(b->path);
    if (status != 0) {
        fail_msg("oracle exited with status %d (is node installed? scripts/setup.sh)", status);
    }
}

/* Reads one line without its newline into buf; fails the test at EOF. */
static inline void oracle_line(FILE *out, char *buf, size_t max) {
    if (fgets(buf, (int)max, out) == NULL) {
        fail_msg("oracle ended early");
    }
    buf[strcspn(buf, "\n")] = 0;
}

#endif
