/*
 * bench_store.c — durable commits per second of the store on this machine's disk (style
 * R21: fixed iteration counts, production paths, one machine-readable line per
 * operation). Not a test. Usage:
 *   store_bench [dir] [iterations]     (default: a fresh directory under $TMPDIR or /tmp, 2000)
 * Lines: state_put of 16 KiB and of 64 B (sealing + one WAL transaction with
 * synchronous=FULL each), version_put + version_erase pairs (erase adds a TRUNCATE
 * checkpoint), and plain SQLite INSERTs of 64 B with the same pragmas as the reference
 * point of notes/libraries.md (~5.2k/s).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/tkms_err.h"
#include "store/store.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *op, size_t bytes, long n, double seconds) {
    printf("store op=%s bytes=%zu n=%ld seconds=%.3f commits_per_s=%.0f us_per_op=%.1f\n", op,
           bytes, n, seconds, (double)n / seconds, seconds * 1e6 / (double)n);
}

static int die(const char *what, tkms_err err) {
    fprintf(stderr, "bench: %s: %s\n", what, tkms_err_name(err));
    exit(1);
}

static void bench_state(tkms_store *s, size_t bytes, long n) {
    uint8_t *blob = malloc(bytes);
    for (size_t i = 0; i < bytes; i++) {
        blob[i] = (uint8_t)(i * 131);
    }
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        blob[0] = (uint8_t)i;
        tkms_err err = tkms_store_state_put(s, blob, bytes);
        if (err != TKMS_OK) {
            die("state_put", err);
        }
    }
    report("state_put", bytes, n, now_s() - t0);
    free(blob);
}

static void bench_versions(tkms_store *s, long n) {
    tkms_store_version_info info;
    memset(&info, 0, sizeof info);
    info.status = TKMS_STORE_VERSION_PENDING;
    info.public_len = 43 * 96; /* combined commitments at n = 64 */
    tkms_store_secret share;
    memset(&share, 7, sizeof share);
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        info.version = (uint64_t)i + 1;
        tkms_err err = tkms_store_version_put(s, &info, &share);
        if (err == TKMS_OK) {
            err = tkms_store_version_erase(s, info.version);
        }
        if (err != TKMS_OK) {
            die("version put/erase", err);
        }
    }
    report("version_put_erase_pair", info.public_len, n, now_s() - t0);
}

static void bench_raw_sqlite(const char *dir, long n) {
    char path[512];
    snprintf(path, sizeof path, "%s/raw.db", dir);
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                     " CREATE TABLE t(id INTEGER PRIMARY KEY, v BLOB)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        die("raw sqlite", TKMS_ERR_STORE_IO);
    }
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO t(v) VALUES (randomblob(64))", -1, &st, NULL);
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        if (sqlite3_step(st) != SQLITE_DONE) {
            die("raw insert", TKMS_ERR_STORE_IO);
        }
        sqlite3_reset(st);
    }
    report("raw_sqlite_insert", 64, n, now_s() - t0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(path);
}

int main(int argc, char **argv) {
    char dir[256];
    const char *tmp = getenv("TMPDIR");
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    } else {
        snprintf(dir, sizeof dir, "%s/tkms-bench-XXXXXX", tmp ? tmp : "/tmp");
        if (mkdtemp(dir) == NULL) {
            return 1;
        }
    }
    long n = argc > 2 ? strtol(argv[2], NULL, 10) : 2000;
    char path[512];
    snprintf(path, sizeof path, "%s/bench.db", dir);
    tkms_store_secret key;
    memset(&key, 0x5c, sizeof key);
    tkms_store_options o;
    memset(&o, 0, sizeof o);
    o.path = path;
    o.key_source = TKMS_STORE_KEY_BYTES;
    o.key = &key;
    o.binding.chain_id = 31337;
    tkms_store *s = NULL;
    tkms_err err = tkms_store_open(&s, &o);
    if (err != TKMS_OK) {
        die("open", err);
    }
    printf("store bench dir=%s iterations=%ld\n", dir, n);
    bench_state(s, 16384, n);
    bench_state(s, 64, n);
    bench_versions(s, n / 4);
    tkms_store_close(s);
    bench_raw_sqlite(dir, n);
    char wal[600];
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(path);
    unlink(wal);
    if (argc <= 1) {
        rmdir(dir);
    }
    return 0;
}
