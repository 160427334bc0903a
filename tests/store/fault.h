/*
 * fault.h — fault injection for the store tests, in the style of SQLite's own harness
 * (src/test_malloc.c faultsimStep, src/test_vfs.c): a VFS shim that fails the Nth
 * write/sync/truncate, and an allocator (SQLITE_CONFIG_MALLOC) that fails the Nth
 * allocation and counts outstanding ones (the leak check). Both count from arm() and
 * fail once (transient) or from N on (persistent). The VFS can also cut the power at the
 * Nth call: unsynced writes are undone, as SQLite's crash tests do.
 */
#ifndef TKMS_STORE_FAULT_H
#define TKMS_STORE_FAULT_H

#include <stdbool.h>
#include <stdint.h>

/* Registers the "tkms_fault" VFS as the default, wrapping the previous default. */
void fault_vfs_install(void);
/* Fails the nth counted I/O call (xWrite, xSync, xTruncate) from now with an error:
   xWrite returns `write_rc` (SQLITE_IOERR_WRITE or SQLITE_FULL), xSync
   SQLITE_IOERR_FSYNC, xTruncate SQLITE_IOERR_TRUNCATE. */
void fault_io_arm(long nth, bool persistent, int write_rc);
/* Like a persistent fault at the nth call, but first every open file loses all writes
   since its last successful xSync (a power cut); xDelete fails from then on too. */
void fault_power_arm(long nth);
void fault_io_disarm(void);
long fault_io_calls(void); /* counted calls since arm */
long fault_io_fired(void); /* faults injected since arm */

/* Must run before anything else touches SQLite (sqlite3_shutdown + SQLITE_CONFIG_MALLOC). */
void fault_malloc_install(void);
void fault_malloc_arm(long nth, bool persistent);
void fault_malloc_disarm(void);
long fault_malloc_calls(void); /* counted allocations since arm */
long fault_malloc_fired(void);
long fault_malloc_outstanding(void); /* live SQLite allocations */

#endif
