/*
 * fault.c — the fault-injecting VFS shim and allocator of fault.h. Test code only; it
 * forwards every call to the real VFS / allocator and changes nothing else.
 */
#include "fault.h"

#include <assert.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    long nth, calls, fired;
    bool armed, persistent;
} fault_counter;

/* True if this call must fail. */
static bool fault_step(fault_counter *c) {
    if (!c->armed) {
        return false;
    }
    c->calls++;
    if (getenv("TKMS_FAULT_TRACE") != NULL) {
        fprintf(stderr, "fault: call %ld%s\n", c->calls, c->calls == c->nth ? " FAIL" : "");
    }
    if (c->calls == c->nth || (c->persistent && c->calls > c->nth)) {
        c->fired++;
        return true;
    }
    return false;
}

static void fault_arm(fault_counter *c, long nth, bool persistent) {
    c->nth = nth;
    c->calls = 0;
    c->fired = 0;
    c->persistent = persistent;
    c->armed = true;
}

/* ---- VFS ---- */

static fault_counter io;
static int io_write_rc = SQLITE_IOERR_WRITE;
static sqlite3_vfs *real_vfs;
static sqlite3_vfs fault_vfs;

/* Power-cut simulation: an undo record per unsynced write or truncate. */
typedef struct undo {
    sqlite3_int64 off;
    int len;
    struct undo *next;
    unsigned char old[];
} undo;

typedef struct fault_file {
    sqlite3_file base;
    sqlite3_file *real;
    int flags;                 /* SQLITE_OPEN_MAIN_DB, _WAL, _MAIN_JOURNAL … (for traces) */
    sqlite3_int64 synced_size; /* size at the last sync; -1 while clean */
    undo *log;                 /* newest first */
    struct fault_file *next_open;
} fault_file;

static bool power_mode, power_dead;
static fault_file *open_files;
static void undo_forget(fault_file *f);

#define REAL(f) (((fault_file *)(f))->real)

static int f_close(sqlite3_file *f) {
    fault_file **pp = &open_files;
    while (*pp != NULL && *pp != (fault_file *)f) {
        pp = &(*pp)->next_open;
    }
    if (*pp != NULL) {
        *pp = (*pp)->next_open;
    }
    undo_forget((fault_file *)f);
    return REAL(f)->pMethods->xClose(REAL(f));
}
static int f_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off) {
    return REAL(f)->pMethods->xRead(REAL(f), p, n, off);
}
/* Remembers what [off, off + n) held before an unsynced change (power mode only). */
static void undo_record(fault_file *f, sqlite3_int64 off, sqlite3_int64 n) {
    sqlite3_int64 size = 0;
    f->real->pMethods->xFileSize(f->real, &size);
    if (f->synced_size < 0) {
        f->synced_size = size;
    }
    sqlite3_int64 keep = off >= size ? 0 : (off + n > size ? size - off : n);
    undo *u = malloc(sizeof *u + (size_t)keep);
    assert(u != NULL);
    u->off = off;
    u->len = (int)keep;
    if (keep > 0) {
        int rc = f->real->pMethods->xRead(f->real, u->old, (int)keep, off);
        assert(rc == SQLITE_OK);
        (void)rc;
    }
    u->next = f->log;
    f->log = u;
}

static void undo_forget(fault_file *f) {
    while (f->log != NULL) {
        undo *u = f->log;
        f->log = u->next;
        free(u);
    }
    f->synced_size = -1;
}

/* The power goes: every open file loses what was written since its last sync. */
static void power_cut(void) {
    for (fault_file *f = open_files; f != NULL; f = f->next_open) {
        for (undo *u = f->log; u != NULL; u = u->next) {
            if (u->len > 0) {
                f->real->pMethods->xWrite(f->real, u->old, u->len, u->off);
            }
        }
        if (f->synced_size >= 0) {
            f->real->pMethods->xTruncate(f->real, f->synced_size);
        }
        undo_forget(f);
    }
    power_dead = true;
}

/* The counted step of write/sync/truncate: true = fail this call. */
static bool io_step(void) {
    if (power_dead) {
        return true;
    }
    if (!fault_step(&io)) {
        return false;
    }
    if (power_mode) {
        power_cut();
    }
    return true;
}

static int f_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off) {
    if (getenv("TKMS_FAULT_TRACE") != NULL && io.armed) {
        fprintf(stderr, "fault: write file=%x n=%d off=%lld\n", ((fault_file *)f)->flags & 0xfff00,
                n, (long long)off);
    }
    if (io_step()) {
        return power_mode ? SQLITE_IOERR_WRITE : io_write_rc;
    }
    if (power_mode && io.armed) {
        undo_record((fault_file *)f, off, n);
    }
    return REAL(f)->pMethods->xWrite(REAL(f), p, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size) {
    if (io_step()) {
        return SQLITE_IOERR_TRUNCATE;
    }
    if (power_mode && io.armed) {
        sqlite3_int64 cur = 0;
        REAL(f)->pMethods->xFileSize(REAL(f), &cur);
        undo_record((fault_file *)f, size, cur > size ? cur - size : 0);
    }
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags) {
    if (io_step()) {
        return SQLITE_IOERR_FSYNC;
    }
    int rc = REAL(f)->pMethods->xSync(REAL(f), flags);
    if (rc == SQLITE_OK) {
        undo_forget((fault_file *)f);
    }
    return rc;
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size) {
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int f_lock(sqlite3_file *f, int l) {
    return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int f_unlock(sqlite3_file *f, int l) {
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int f_reserved(sqlite3_file *f, int *out) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int f_control(sqlite3_file *f, int op, void *arg) {
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f) {
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int f_device(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int sz, int ext, void volatile **pp) {
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, ext, pp);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags) {
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f) {
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int f_shm_unmap(sqlite3_file *f, int del) {
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp) {
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static const sqlite3_io_methods fault_methods = {
    3,          f_close,       f_read,      f_write,   f_truncate, f_sync,   f_size,
    f_lock,     f_unlock,      f_reserved,  f_control, f_sector,   f_device, f_shm_map,
    f_shm_lock, f_shm_barrier, f_shm_unmap, f_fetch,   f_unfetch,
};

static int v_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out) {
    (void)vfs;
    fault_file *f = (fault_file *)file;
    f->real = (sqlite3_file *)(f + 1);
    f->flags = flags;
    f->synced_size = -1;
    f->log = NULL;
    int rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out);
    /* SQLite calls xClose only if pMethods is set; mirror the real file. */
    f->base.pMethods = f->real->pMethods != NULL ? &fault_methods : NULL;
    if (f->base.pMethods != NULL) {
        f->next_open = open_files;
        open_files = f;
    }
    assert(f->real->pMethods == NULL || f->real->pMethods->iVersion == 3);
    return rc;
}
static int v_delete(sqlite3_vfs *vfs, const char *name, int sync_dir) {
    (void)vfs;
    if (power_dead) {
        return SQLITE_IOERR_DELETE; /* a dead machine deletes nothing */
    }
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}
static int v_access(sqlite3_vfs *vfs, const char *name, int flags, int *out) {
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int v_full(sqlite3_vfs *vfs, const char *name, int n, char *out) {
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static int v_random(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}
static int v_sleep(sqlite3_vfs *vfs, int us) {
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}
static int v_time(sqlite3_vfs *vfs, double *out) {
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}
static int v_error(sqlite3_vfs *vfs, int n, char *out) {
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}
static int v_time64(sqlite3_vfs *vfs, sqlite3_int64 *out) {
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

void fault_vfs_install(void) {
    real_vfs = sqlite3_vfs_find(NULL);
    assert(real_vfs != NULL && real_vfs->iVersion >= 2);
    memset(&fault_vfs, 0, sizeof fault_vfs);
    fault_vfs.iVersion = 2;
    fault_vfs.szOsFile = (int)sizeof(fault_file) + real_vfs->szOsFile;
    fault_vfs.mxPathname = real_vfs->mxPathname;
    fault_vfs.zName = "tkms_fault";
    fault_vfs.xOpen = v_open;
    fault_vfs.xDelete = v_delete;
    fault_vfs.xAccess = v_access;
    fault_vfs.xFullPathname = v_full;
    fault_vfs.xRandomness = v_random;
    fault_vfs.xSleep = v_sleep;
    fault_vfs.xCurrentTime = v_time;
    fault_vfs.xGetLastError = v_error;
    fault_vfs.xCurrentTimeInt64 = v_time64;
    int rc = sqlite3_vfs_register(&fault_vfs, 1);
    assert(rc == SQLITE_OK);
    (void)rc;
}

void fault_io_arm(long nth, bool persistent, int write_rc) {
    io_write_rc = write_rc;
    power_mode = false;
    power_dead = false;
    fault_arm(&io, nth, persistent);
}
void fault_power_arm(long nth) {
    fault_io_arm(nth, true, SQLITE_IOERR_WRITE);
    power_mode = true;
    for (fault_file *f = open_files; f != NULL; f = f->next_open) {
        undo_forget(f); /* tracking starts now: earlier writes count as synced */
    }
}
void fault_io_disarm(void) {
    io.armed = false;
    power_mode = false;
    power_dead = false;
}
long fault_io_calls(void) {
    return io.calls;
}
long fault_io_fired(void) {
    return io.fired;
}

/* ---- allocator ---- */

static fault_counter mem;
static sqlite3_mem_methods real_mem;
static long outstanding;

static void *m_malloc(int n) {
    if (fault_step(&mem)) {
        return NULL;
    }
    void *p = real_mem.xMalloc(n);
    outstanding += p != NULL;
    return p;
}
static void m_free(void *p) {
    outstanding -= p != NULL;
    real_mem.xFree(p);
}
static void *m_realloc(void *p, int n) {
    if (fault_step(&mem)) {
        return NULL;
    }
    void *q = real_mem.xRealloc(p, n);
    outstanding += p == NULL && q != NULL;
    return q;
}
static int m_size(void *p) {
    return real_mem.xSize(p);
}
static int m_roundup(int n) {
    return real_mem.xRoundup(n);
}
static int m_init(void *arg) {
    return real_mem.xInit(arg);
}
static void m_shutdown(void *arg) {
    real_mem.xShutdown(arg);
}

static void log_cb(void *arg, int code, const char *msg) {
    (void)arg;
    fprintf(stderr, "sqlite log %d: %s\n", code, msg);
}

void fault_malloc_install(void) {
    int rc = sqlite3_shutdown();
    assert(rc == SQLITE_OK);
    if (getenv("TKMS_FAULT_TRACE") != NULL) {
        sqlite3_config(SQLITE_CONFIG_LOG, log_cb, NULL);
    }
    rc = sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem);
    assert(rc == SQLITE_OK);
    static const sqlite3_mem_methods wrap = {m_malloc,  m_free, m_realloc,  m_size,
                                             m_roundup, m_init, m_shutdown, NULL};
    rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &wrap);
    assert(rc == SQLITE_OK);
    rc = sqlite3_initialize();
    assert(rc == SQLITE_OK);
    (void)rc;
}

void fault_malloc_arm(long nth, bool persistent) {
    fault_arm(&mem, nth, persistent);
}
void fault_malloc_disarm(void) {
    mem.armed = false;
}
long fault_malloc_calls(void) {
    return mem.calls;
}
long fault_malloc_fired(void) {
    return mem.fired;
}
long fault_malloc_outstanding(void) {
    return outstanding;
}
