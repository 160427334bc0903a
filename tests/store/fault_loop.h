/*
 * fault_loop.h — the scenario loop shared by test_store_fault.c (I/O faults) and
 * test_store_oom.c (allocation faults), after SQLite's own OOM/IO-error tests: for
 * N = 1, 2, … restore a baseline database, fail the Nth call (once, or from N on), run
 * the operation, and require (1) the right error or success, (2) a poisoned handle after
 * a failure, (3) no leaked SQLite allocation, (4) an intact database holding the old or
 * the new value (the new one whenever the call said TKMS_OK). The loop ends at the first
 * N whose run injects no fault; the operation must then succeed.
 */
#ifndef TKMS_STORE_FAULT_LOOP_H
#define TKMS_STORE_FAULT_LOOP_H

#include "fault.h"
#include "store_test.h"

#define FAULT_N_MAX 5000 /* bound on the loop: far above any operation's call count */
#define FAULT_N_EVERY 64 /* sampled mode: every N up to here, then every FAULT_STRIDE-th */
#define FAULT_STRIDE 16

/* Full mode runs every N; sampled mode (the default tier) runs N <= FAULT_N_EVERY and then
   one N in FAULT_STRIDE at a seed-derived phase, so repeated CI runs cover every N. */
static bool fault_full_mode;
static uint64_t fault_phase;

static inline bool fault_n_selected(long n) {
    return fault_full_mode || n <= FAULT_N_EVERY ||
           (uint64_t)n % FAULT_STRIDE == fault_phase % FAULT_STRIDE;
}

typedef enum { ARM_IO, ARM_IO_FULL, ARM_POWER, ARM_MALLOC } fault_kind;

typedef struct {
    const char *name;
    bool arm_before_open;                     /* the fault targets open itself */
    void (*prepare)(st_env *e);               /* builds the baseline with faults off */
    tkms_err (*op)(st_env *e, tkms_store *s); /* NULL for open-only scenarios */
    void (*check)(st_env *e, tkms_err err);   /* faults off: intact, old or new */
} fault_scenario;

typedef struct {
    long runs, ok_fault_in_op, fault_in_close, errors, right_error_kind[3], calls;
} fault_stats;

typedef struct {
    uint8_t *db, *wal;
    size_t db_len, wal_len;
} fault_baseline;

static inline void baseline_capture(fault_baseline *b, const st_env *e) {
    char wal[256];
    snprintf(wal, sizeof wal, "%s-wal", e->db);
    b->db = st_file_read(e->db, &b->db_len);
    b->wal = st_file_read(wal, &b->wal_len);
}

static inline void baseline_restore(const fault_baseline *b, const st_env *e) {
    char wal[256];
    st_db_remove(e);
    snprintf(wal, sizeof wal, "%s-wal", e->db);
    if (b->db != NULL) {
        st_file_write(e->db, b->db, b->db_len);
    }
    if (b->wal != NULL) {
        st_file_write(wal, b->wal, b->wal_len);
    }
}

static inline void fault_arm_kind(fault_kind k, long n, bool persistent) {
    if (k == ARM_MALLOC) {
        fault_malloc_arm(n, persistent);
    } else if (k == ARM_POWER) {
        fault_power_arm(n);
    } else {
        fault_io_arm(n, persistent, k == ARM_IO_FULL ? SQLITE_FULL : SQLITE_IOERR_WRITE);
    }
}

static inline long fault_disarm_kind(fault_kind k) {
    if (k == ARM_MALLOC) {
        fault_malloc_disarm();
        return fault_malloc_fired();
    }
    fault_io_disarm();
    return fault_io_fired();
}

/* One run at N; returns the operation's result and whether a fault fired. */
static inline long fault_fired_kind(fault_kind k) {
    return k == ARM_MALLOC ? fault_malloc_fired() : fault_io_fired();
}

static inline tkms_err fault_run_once(st_env *e, const fault_scenario *sc, fault_kind k, long n,
                                      bool persistent, long *fired_in_op, long *fired) {
    tkms_store_options o = st_options(e);
    tkms_store *s = NULL;
    if (sc->arm_before_open) {
        fault_arm_kind(k, n, persistent);
    }
    tkms_err err = tkms_store_open(&s, &o);
    if (!sc->arm_before_open) {
        assert_int_equal(err, TKMS_OK);
        fault_arm_kind(k, n, persistent);
        err = sc->op(e, s);
    }
    *fired_in_op = fault_fired_kind(k);
    if (err != TKMS_OK && s != NULL) {
        snprintf(e->detail, sizeof e->detail, "%s", tkms_store_detail(s));
        /* A failed write poisons the handle: the node must halt. */
        size_t len = 0;
        assert_int_equal(tkms_store_state_get(s, NULL, 0, &len), TKMS_ERR_STORE_FAILED);
    }
    tkms_store_close(s); /* still armed: a dying disk fails the close too */
    *fired = fault_disarm_kind(k);
    return err;
}

static inline bool fault_right_error(fault_kind k, tkms_err err) {
    switch (k) {
    case ARM_IO:
    case ARM_POWER:
        return err == TKMS_ERR_STORE_IO;
    case ARM_IO_FULL: /* writes say "full"; syncs and truncates still fail as I/O */
        return err == TKMS_ERR_STORE_DISK_FULL || err == TKMS_ERR_STORE_IO;
    default:
        return err == TKMS_ERR_OUT_OF_MEMORY;
    }
}

static inline fault_stats fault_loop(st_env *e, const fault_scenario *sc, fault_kind k,
                                     bool persistent) {
    st_db_remove(e);
    sc->prepare(e);
    fault_baseline b;
    baseline_capture(&b, e);
    fault_stats stats = {0};
    for (long n = 1;; n++) {
        assert_true(n < FAULT_N_MAX);
        if (!fault_n_selected(n)) {
            continue;
        }
        baseline_restore(&b, e);
        long allocs = fault_malloc_outstanding();
        long fired = 0, fired_in_op = 0;
        tkms_err err = fault_run_once(e, sc, k, n, persistent, &fired_in_op, &fired);
        assert_int_equal(fault_malloc_outstanding(), allocs); /* no leak */
        stats.runs++;
        if (fired == 0) {
            stats.calls = k == ARM_MALLOC ? fault_malloc_calls() : fault_io_calls();
            if (err != TKMS_OK) {
                fail_msg("%s: no fault at N=%ld but %s", sc->name, n, tkms_err_name(err));
            }
            sc->check(e, err);
            break;
        }
        if (err == TKMS_OK && fired_in_op > 0 && k != ARM_MALLOC) {
            /* A failed write or sync must surface (style R6: the node halts on it). */
            fail_msg("%s N=%ld: I/O fault swallowed", sc->name, n);
        }
        if (err == TKMS_OK && fired_in_op == 0) {
            stats.fault_in_close++; /* close()'s best-effort checkpoint: already durable */
        } else if (err == TKMS_OK) {
            stats.ok_fault_in_op++; /* allocations only: SQLite recovered by itself */
        } else if (!fault_right_error(k, err)) {
            fail_msg("%s N=%ld %s: %s (%s); replay: TKMS_TEST_SEED=%llu", sc->name, n,
                     persistent ? "persistent" : "transient", tkms_err_name(err), e->detail,
                     (unsigned long long)tu_seed());
        } else {
            stats.errors++;
            stats.right_error_kind[err == TKMS_ERR_STORE_DISK_FULL ? 1 : 0]++;
        }
        sc->check(e, err);
    }
    free(b.db);
    free(b.wal);
    return stats;
}

static inline void fault_report(const char *kind, const fault_scenario *sc, bool persistent,
                                const fault_stats *st) {
    printf("fault kind=%s scenario=%s mode=%s calls=%ld runs=%ld errors=%ld disk_full=%ld "
           "ok_despite_fault=%ld fault_in_close=%ld\n",
           kind, sc->name, persistent ? "persistent" : "transient", st->calls, st->runs, st->errors,
           st->right_error_kind[1], st->ok_fault_in_op, st->fault_in_close);
}

#endif
