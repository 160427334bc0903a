/*
 * test_chain_reader.c — the release cache of node_chain_reader (chain_reader.h) over a
 * faked source: a cached release is answered byte for byte without a source call; apps
 * with the largest envs the contract allows cannot push the cached bytes past
 * NODE_CHAIN_CACHE_RELEASE_BYTES_MAX (the releases that do not fit are still answered,
 * from the source); small releases are kept at their own size, not the 33 KB struct; expired
 * releases make room; invalidation frees everything. The HTTP path over the reader is
 * test_http_app.c, the reader over a real AppController test_http_anvil.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/chain_reader.h"
#include "test_util.h"

typedef struct {
    uint64_t calls;
    size_t env_len; /* each env of every release */
} fake_chain;

static void app_address(uint8_t app[20], uint32_t k) {
    memset(app, 0x11, 20);
    app[16] = (uint8_t)(k >> 24);
    app[17] = (uint8_t)(k >> 16);
    app[18] = (uint8_t)(k >> 8);
    app[19] = (uint8_t)k;
}

static tkms_err fake_owner(void *ctx, uint8_t owner[20], const uint8_t app[20]) {
    (void)ctx;
    memcpy(owner, app, 20);
    return TKMS_OK;
}

/* The release of app: its env bytes are a function of the app and the position. */
static void release_of(node_release *out, const uint8_t app[20], size_t env_len) {
    memset(out, 0, sizeof *out);
    out->release_id = app[19] + 1u;
    out->block_number = 7;
    memcpy(out->image_digest, app, 20);
    snprintf(out->registry, sizeof out->registry, "reg-%u", app[19]);
    out->encrypted_env_len = env_len;
    out->public_env_len = env_len;
    for (size_t i = 0; i < env_len; i++) {
        out->encrypted_env[i] = (uint8_t)(app[18] ^ app[19] ^ i);
        out->public_env[i] = (uint8_t)(app[19] + i);
    }
}

static tkms_err fake_release(void *ctx, node_release *out, const uint8_t app[20]) {
    fake_chain *f = ctx;
    f->calls++;
    release_of(out, app, f->env_len);
    return TKMS_OK;
}

/* One test's reader over its fake chain, and two release buffers (33 KB each: heap). */
typedef struct {
    fake_chain f;
    node_chain_reader *r;
    node_release *got, *want;
} fixture;

static void fixture_open(fixture *x, size_t env_len, uint32_t ttl_s) {
    memset(x, 0, sizeof *x);
    x->f.env_len = env_len;
    node_chain_source src = {&x->f, fake_owner, fake_release, NULL};
    assert_int_equal(node_chain_reader_new(&x->r, &src, ttl_s, NODE_CHAIN_CACHE_ENTRIES_MAX),
                     TKMS_OK);
    x->got = malloc(sizeof *x->got);
    x->want = malloc(sizeof *x->want);
    assert_non_null(x->got);
    assert_non_null(x->want);
}

static void fixture_close(fixture *x) {
    free(x->got);
    free(x->want);
    node_chain_reader_free(x->r);
}

/* Reads app k and checks the answer against the source's release. */
static void read_and_check(fixture *x, uint32_t k) {
    node_release *got = x->got, *want = x->want;
    size_t env_len = x->f.env_len;
    uint8_t app[20];
    app_address(app, k);
    assert_int_equal(node_chain_reader_latest_release(x->r, got, app), TKMS_OK);
    release_of(want, app, env_len);
    assert_int_equal(got->release_id, want->release_id);
    assert_int_equal(got->block_number, want->block_number);
    assert_memory_equal(got->image_digest, want->image_digest, 32);
    assert_string_equal(got->registry, want->registry);
    assert_int_equal(got->encrypted_env_len, env_len);
    assert_int_equal(got->public_env_len, env_len);
    assert_memory_equal(got->encrypted_env, want->encrypted_env, env_len);
    assert_memory_equal(got->public_env, want->public_env, env_len);
}

/* Apps with the largest envs, four times more than fit: bytes stay bounded, every answer
   right, the cached ones served without a source call, invalidation frees all. */
static void test_large_releases_bounded(void **state) {
    (void)state;
    fixture x;
    fixture_open(&x, NODE_ENV_BYTES_MAX / 2, 600);
    const uint32_t apps = 4 * (NODE_CHAIN_CACHE_RELEASE_BYTES_MAX / NODE_ENV_BYTES_MAX);
    for (uint32_t k = 0; k < apps; k++) {
        read_and_check(&x, k);
        assert_true(node_chain_reader_cached_bytes(x.r) <= NODE_CHAIN_CACHE_RELEASE_BYTES_MAX);
    }
    assert_int_equal(x.f.calls, apps);
    size_t full = node_chain_reader_cached_bytes(x.r);
    assert_true(full > NODE_CHAIN_CACHE_RELEASE_BYTES_MAX / 2); /* the budget is used */
    x.f.calls = 0;
    for (uint32_t k = 0; k < apps; k++) { /* the first ones are cached, the rest not */
        read_and_check(&x, k);
    }
    assert_true(x.f.calls > 0 && x.f.calls < apps);
    node_chain_reader_invalidate(x.r, NULL);
    assert_int_equal(node_chain_reader_cached_bytes(x.r), 0);
    fixture_close(&x);
}

/* Small releases cost their own size: thousands fit, and the second read is a hit. */
static void test_small_releases_compact(void **state) {
    (void)state;
    fixture x;
    fixture_open(&x, 100, 600);
    const uint32_t apps = 1000;
    for (uint32_t k = 0; k < apps; k++) {
        read_and_check(&x, k);
    }
    size_t bytes = node_chain_reader_cached_bytes(x.r);
    assert_true(bytes >= apps * 2 * x.f.env_len);
    assert_true(bytes < apps * (2 * x.f.env_len + 1024)); /* not 33 KB each */
    x.f.calls = 0;
    for (uint32_t k = 0; k < apps; k++) {
        read_and_check(&x, k);
    }
    assert_int_equal(x.f.calls, 0);
    uint8_t app[20];
    app_address(app, 5);
    node_chain_reader_invalidate(x.r, app); /* one app: its bytes only */
    assert_true(node_chain_reader_cached_bytes(x.r) < bytes);
    read_and_check(&x, 5);
    assert_int_equal(x.f.calls, 1);
    fixture_close(&x);
}

/* With a TTL of 2 s, a full budget of expired releases makes room for new ones. The TTL
   counts whole seconds (CLOCK_MONOTONIC): 2 s leaves the two reads of the new release at
   least a whole second in which it is fresh, and 2.1 s of sleep expire every older one. */
static void test_expired_make_room(void **state) {
    (void)state;
    fixture x;
    fixture_open(&x, NODE_ENV_BYTES_MAX / 2, 2);
    const uint32_t fit = NODE_CHAIN_CACHE_RELEASE_BYTES_MAX / NODE_ENV_BYTES_MAX;
    for (uint32_t k = 0; k < 2 * fit; k++) {
        read_and_check(&x, k);
    }
    struct timespec two_s = {2, 100 * 1000 * 1000}; /* past the TTL: a bounded wait */
    nanosleep(&two_s, NULL);
    uint32_t other = 1u << 20;
    read_and_check(&x, other); /* cached: the expired ones were dropped */
    x.f.calls = 0;
    read_and_check(&x, other);
    assert_int_equal(x.f.calls, 0);
    assert_true(node_chain_reader_cached_bytes(x.r) < NODE_CHAIN_CACHE_RELEASE_BYTES_MAX / 2);
    fixture_close(&x);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_large_releases_bounded),
                                       cmocka_unit_test(test_small_releases_compact),
                                       cmocka_unit_test(test_expired_make_room)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
