/*
 * test_store_fault.c — the I/O-error loop (SQLite testing style, style R20): through a VFS
 * shim (fault.c), fail the Nth xWrite/xSync/xTruncate for N = 1, 2, … until the
 * operation completes, once (transient) and from N on (persistent), and with writes
 * failing as SQLITE_FULL. Every run must end with TKMS_OK or the right error
 * (TKMS_ERR_STORE_IO / _DISK_FULL), a poisoned handle after an error, no leaked SQLite
 * allocation, and a database that opens cleanly holding the old or the new value.
 * A third pass cuts the power at the Nth call (writes since the last sync are undone):
 * a value the store reported committed must survive.
 * Prints one statistics line per scenario and mode.
 */
#include "fault_scenarios.h"

static void run_kind(fault_kind kind, const char *name) {
    st_env e;
    st_prefer_ram_tmpdir();
    st_env_init(&e);
    long total = 0, full = 0;
    for (size_t i = 0; i < FAULT_SCENARIOS; i++) {
        for (int persistent = 0; persistent < 2; persistent++) {
            if (kind != ARM_IO && !persistent) {
                continue; /* a full disk or a power cut is a persistent condition */
            }
            fault_stats st = fault_loop(&e, &fault_scenarios[i], kind, persistent);
            fault_report(name, &fault_scenarios[i], persistent, &st);
            assert_true(st.errors > 0); /* every scenario writes: some fault must surface */
            total += st.runs;
            full += st.right_error_kind[1];
        }
    }
    printf("fault kind=%s total_runs=%ld\n", name, total);
    if (kind == ARM_IO_FULL) {
        assert_true(full > 0); /* SQLITE_FULL is reported as disk full, not as I/O */
    }
    st_env_free(&e);
}

static void test_io_errors(void **state) {
    (void)state;
    run_kind(ARM_IO, "io");
}

static void test_disk_full(void **state) {
    (void)state;
    run_kind(ARM_IO_FULL, "disk_full");
}

/* Power loss at every write/sync/truncate: synchronous=FULL is what makes this pass. */
static void test_power_cut(void **state) {
    (void)state;
    run_kind(ARM_POWER, "power_cut");
}

int main(void) {
    fault_full_mode = true; /* cheap: every N always */
    fault_malloc_install(); /* unarmed: counts allocations for the leak check */
    fault_vfs_install();
    blobs_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_io_errors),
        cmocka_unit_test(test_disk_full),
        cmocka_unit_test(test_power_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
