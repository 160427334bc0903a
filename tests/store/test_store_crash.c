/*
 * test_store_crash.c — crash safety (protocol.md I4): a child process opens the store and
 * runs a deterministic schedule (state blob i, then one key-version / X25519 / MPK step
 * per i), reporting each committed state number through a pipe; the parent SIGKILLs it
 * at a random moment — during open or creation, mid-transaction, mid-checkpoint — at
 * least 200 times (seeded by TKMS_TEST_SEED), then reopens and checks that:
 *   - open passes (schema, binding, key check, quick_check, every secret authenticated),
 *     and a wrong binding is still refused;
 *   - the state blob is the last reported one or the next (committed, not yet reported),
 *     byte for byte;
 *   - versions, their status and shares, X25519 keys and the MPK binding equal the model
 *     after step i or step i - 1 (each step is one transaction).
 * The child resumes like a node does: it re-applies the step of the state it finds
 * (every write is idempotent) and continues. Every 25th round starts from no database.
 * The seed fixes the schedule, the number of commits waited for and the extra delay; what
 * the child reaches in that time depends on the machine, so a failure prints its seed but
 * may take a few runs to reproduce.
 */
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "store_test.h"

#define ROUNDS 200
#define FRESH_EVERY 25
#define REPORTS_MAX 12      /* the parent waits for 0..REPORTS_MAX-1 commits … */
#define EXTRA_DELAY_US 3000 /* … then 0..EXTRA_DELAY_US more before the kill */
#define OPEN_DELAY_US 1500  /* the delay range when not waiting for any commit */
#define CHILD_STEPS_MAX 100000
#define BLOB_BYTES_MAX 32768

static uint64_t seed;

/* ---- the schedule (shared by child and model) ---- */

static size_t blob_of(uint8_t *out, int64_t i) {
    tu_rng r;
    tu_rng_seed(&r, seed ^ ((uint64_t)i * 0x9e3779b97f4a7c15ULL));
    size_t len = 8 + (size_t)(tu_rng_next(&r) % (BLOB_BYTES_MAX - 8));
    tu_rng_bytes(&r, out + 8, len - 8);
    memcpy(out, &i, 8);
    return len;
}

static void share_of(tkms_store_secret *s, uint64_t v, uint64_t salt) {
    st_fill(s->bytes, sizeof s->bytes, seed + 1000003 * v + salt);
}

static void info_of(tkms_store_version_info *info, uint64_t v, uint8_t status) {
    memset(info, 0, sizeof *info);
    info->version = v;
    info->status = status;
    info->public_len = 96;
    st_fill(info->public_data, 96, seed + v);
}

static const uint8_t mpk_value[96] = {0xa5, 0x5a};

/* Step i: one transaction (or none). */
static tkms_err step_apply(tkms_store *s, int64_t i) {
    uint64_t g = (uint64_t)i / 8 + 1;
    tkms_store_version_info info;
    tkms_store_secret k;
    switch (i % 8) {
    case 0:
        info_of(&info, g, TKMS_STORE_VERSION_PENDING);
        share_of(&k, g, 0);
        return tkms_store_version_put(s, &info, &k);
    case 1:
        return i == 9 ? tkms_store_mpk_bind(s, mpk_value) : TKMS_OK;
    case 2:
        return tkms_store_version_activate(s, g);
    case 4:
        return g >= 3 ? tkms_store_version_erase(s, g - 2) : TKMS_OK;
    case 5:
        share_of(&k, g, 7);
        return tkms_store_x25519_put(s, g, &k);
    case 7:
        return g >= 3 ? tkms_store_x25519_erase(s, g - 2) : TKMS_OK;
    default:
        return TKMS_OK;
    }
}

/* The model after steps 0..k (k = -1: nothing). */
typedef struct {
    bool mpk;
    size_t versions, keys;
    uint64_t version[8], key[8];
    uint8_t status[8];
} model;

/* Version g: put at step 8(g-1), activated at 8(g-1)+2, erased at 8(g+1)+4.
   X25519 key g: put at 8(g-1)+5, erased at 8(g+1)+7. MPK bound at step 9. */
static void model_at(model *m, int64_t k) {
    memset(m, 0, sizeof *m);
    m->mpk = k >= 9;
    for (int64_t g = 1; 8 * (g - 1) <= k; g++) {
        if (k < 8 * (g + 1) + 4) {
            m->status[m->versions] =
                k >= 8 * (g - 1) + 2 ? TKMS_STORE_VERSION_ACTIVE : TKMS_STORE_VERSION_PENDING;
            m->version[m->versions++] = (uint64_t)g;
        }
        if (8 * (g - 1) + 5 <= k && k < 8 * (g + 1) + 7) {
            m->key[m->keys++] = (uint64_t)g;
        }
        assert_true(m->versions <= 4 && m->keys <= 4);
    }
}

/* ---- the child ---- */

static int64_t state_number(tkms_store *s, uint8_t *buf) {
    size_t len = 0;
    tkms_err err = tkms_store_state_get(s, buf, BLOB_BYTES_MAX, &len);
    if (err == TKMS_ERR_STORE_NOT_FOUND) {
        return -1;
    }
    if (err != TKMS_OK || len < 8) {
        return -2;
    }
    int64_t i;
    memcpy(&i, buf, 8);
    return i;
}

static void child_main(st_env *e, int report_fd) {
    static uint8_t buf[BLOB_BYTES_MAX];
    tkms_store_options o = st_options(e);
    tkms_store *s = NULL;
    if (tkms_store_open(&s, &o) != TKMS_OK) {
        _exit(3);
    }
    int64_t i = state_number(s, buf);
    if (i < -1 || (i >= 0 && step_apply(s, i) != TKMS_OK)) {
        _exit(4); /* resume: the step of the state found, again (idempotent) */
    }
    for (i++; i < CHILD_STEPS_MAX; i++) {
        size_t len = blob_of(buf, i);
        if (tkms_store_state_put(s, buf, len) != TKMS_OK) {
            _exit(5);
        }
        if (write(report_fd, &i, sizeof i) != (ssize_t)sizeof i) {
            _exit(6);
        }
        if (step_apply(s, i) != TKMS_OK) {
            _exit(7);
        }
    }
    _exit(0);
}

/* ---- the parent's checks ---- */

static bool matches(tkms_store *s, const model *m) {
    uint64_t versions[TKMS_STORE_VERSIONS_MAX], keys[TKMS_STORE_X25519_KEYS_MAX];
    uint8_t status[TKMS_STORE_VERSIONS_MAX];
    size_t nv = 0, nk = 0;
    assert_int_equal(tkms_store_version_list(s, versions, status, &nv), TKMS_OK);
    assert_int_equal(tkms_store_x25519_list(s, keys, &nk), TKMS_OK);
    tkms_store_binding b;
    tkms_store_binding_get(s, &b);
    if (nv != m->versions || nk != m->keys || b.has_mpk != m->mpk) {
        return false;
    }
    for (size_t j = 0; j < nv; j++) {
        if (versions[j] != m->version[j] || status[j] != m->status[j]) {
            return false;
        }
    }
    return nk == 0 || memcmp(keys, m->key, nk * sizeof keys[0]) == 0;
}

static void check_contents(tkms_store *s, const model *m) {
    tkms_store_version_info info, want;
    tkms_store_secret share, expect;
    uint8_t pub[32];
    for (size_t j = 0; j < m->versions; j++) {
        assert_int_equal(tkms_store_version_get(s, m->version[j], &info, &share), TKMS_OK);
        share_of(&expect, m->version[j], 0);
        info_of(&want, m->version[j], m->status[j]);
        assert_memory_equal(share.bytes, expect.bytes, 32);
        assert_memory_equal(info.public_data, want.public_data, 96);
    }
    for (size_t j = 0; j < m->keys; j++) {
        assert_int_equal(tkms_store_x25519_get(s, m->key[j], &share, pub), TKMS_OK);
        share_of(&expect, m->key[j], 7);
        assert_memory_equal(share.bytes, expect.bytes, 32);
    }
    if (m->mpk) {
        tkms_store_binding b;
        tkms_store_binding_get(s, &b);
        assert_memory_equal(b.mpk, mpk_value, 96);
    }
}

/* Reopens after a kill; returns the state number found (-1: none). */
static int64_t verify_after_kill(st_env *e, int64_t reported, long *unreported_commits) {
    static uint8_t buf[BLOB_BYTES_MAX], want[BLOB_BYTES_MAX];
    tkms_store *s = st_open(e);
    int64_t i = state_number(s, buf);
    if (i != reported && i != reported + 1) {
        fail_msg("state %lld after last reported %lld (seed %llu)", (long long)i,
                 (long long)reported, (unsigned long long)seed);
    }
    *unreported_commits += i == reported + 1;
    if (i >= 0) {
        size_t len = blob_of(want, i), got = 0;
        assert_int_equal(tkms_store_state_get(s, buf, sizeof buf, &got), TKMS_OK);
        assert_int_equal(got, len);
        assert_memory_equal(buf, want, len);
    }
    model now, before;
    model_at(&now, i);
    model_at(&before, i - 1);
    bool ok = matches(s, &now) || (i >= 0 && matches(s, &before));
    if (!ok) {
        fail_msg("keys do not match step %lld or %lld (seed %llu)", (long long)i, (long long)i - 1,
                 (unsigned long long)seed);
    }
    check_contents(s, matches(s, &now) ? &now : &before);
    tkms_store_close(s);
    return i;
}

/* Forks a child, kills it at a random moment; returns the last state it reported. */
static int64_t run_and_kill(st_env *e, tu_rng *r, int64_t reported, long *killed_in_open) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_main(e, fds[1]);
    }
    close(fds[1]);
    uint64_t wait_reports = tu_rng_next(r) % REPORTS_MAX;
    int64_t i = 0;
    uint64_t got = 0;
    while (got < wait_reports && read(fds[0], &i, sizeof i) == (ssize_t)sizeof i) {
        reported = i;
        got++;
    }
    /* Without a report to wait for, aim at fork, open and creation (about 1 ms). */
    uint64_t delay_us = tu_rng_next(r) % (wait_reports == 0 ? OPEN_DELAY_US : EXTRA_DELAY_US);
    struct timespec ts = {0, (long)delay_us * 1000};
    nanosleep(&ts, NULL); /* a random moment, not a wait for anything */
    assert_int_equal(kill(pid, SIGKILL), 0);
    while (read(fds[0], &i, sizeof i) == (ssize_t)sizeof i) {
        reported = i; /* reports written before the kill landed */
        got++;
    }
    close(fds[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
        fail_msg("child exited with %d before the kill (seed %llu)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1, (unsigned long long)seed);
    }
    *killed_in_open += got == 0;
    return reported;
}

static void test_kill_anywhere(void **state) {
    (void)state;
    st_env e;
    /* A killed process loses nothing the kernel already has, so RAM and disk behave the
       same here; TMPDIR=/var/tmp (say) runs it on a disk. Power loss: test_store_fault. */
    st_prefer_ram_tmpdir();
    st_env_init(&e);
    tu_rng r;
    tu_rng_seed(&r, seed);
    int64_t on_disk = -1;
    long in_open = 0, unreported = 0, fresh = 0;
    for (int round = 0; round < ROUNDS; round++) {
        if (round % FRESH_EVERY == 0) {
            st_db_remove(&e);
            on_disk = -1;
            fresh++;
        }
        int64_t reported = run_and_kill(&e, &r, on_disk, &in_open);
        on_disk = verify_after_kill(&e, reported, &unreported);
        if (round % 20 == 19) {
            e.binding.chain_id++;
            assert_int_equal(st_try_open(&e), TKMS_ERR_STORE_BINDING_MISMATCH);
            e.binding.chain_id--;
        }
    }
    printf("crash: dir=%s seed=%llu kills=%d fresh_starts=%ld killed_before_first_commit=%ld "
           "committed_but_unreported=%ld last_state=%lld\n",
           e.dir, (unsigned long long)seed, ROUNDS, fresh, in_open, unreported, (long long)on_disk);
    st_env_free(&e);
}

int main(void) {
    seed = tu_seed();
    printf("store_test_crash: TKMS_TEST_SEED=%llu\n", (unsigned long long)seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
