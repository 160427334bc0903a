/*
 * test_store_oom.c — the allocation-failure loop (SQLite's faultsim: countdown plus
 * repeat): SQLITE_CONFIG_MALLOC installs an allocator that fails the Nth allocation, once
 * (transient) or from N on (persistent), for N = 1, 2, … until the operation completes.
 * The store's own heap objects come from sqlite3_malloc, so they are covered too
 * (OpenSSL's allocations are not: prim aborts on them). Every run must end with TKMS_OK
 * (SQLite recovers from some failures itself) or TKMS_ERR_OUT_OF_MEMORY, a poisoned
 * handle, no leaked allocation and an intact database holding the old or new value.
 * Opens dominate the cost (thousands of allocations each), so the default tier samples N
 * (fault_loop.h) and `--full` (ctest store_test_oom_full, label slow) runs every N.
 * Allocation failures do not need a real disk: the files go to /dev/shm when it exists.
 */
#include "fault_scenarios.h"

static void test_malloc_failures(void **state) {
    (void)state;
    st_env e;
    st_prefer_ram_tmpdir();
    st_env_init(&e);
    long total = 0;
    for (size_t i = 0; i < FAULT_SCENARIOS; i++) {
        for (int persistent = 0; persistent < 2; persistent++) {
            fault_stats st = fault_loop(&e, &fault_scenarios[i], ARM_MALLOC, persistent);
            fault_report("malloc", &fault_scenarios[i], persistent, &st);
            assert_true(st.errors > 0);
            total += st.runs;
        }
    }
    printf("fault kind=malloc total_runs=%ld\n", total);
    st_env_free(&e);
}

int main(int argc, char **argv) {
    /* "--full": every N (ctest store_test_oom_full, label slow); default: sampled. */
    fault_full_mode = argc > 1 && strcmp(argv[1], "--full") == 0;
    fault_phase = tu_seed();
    printf("store_test_oom: %s, TKMS_TEST_SEED=%llu\n", fault_full_mode ? "every N" : "sampled N",
           (unsigned long long)tu_seed());
    fault_malloc_install();
    fault_vfs_install(); /* unarmed here; keeps the file stack identical to the I/O test */
    blobs_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
