/* test_rng.h — a deterministic tkms_rng over the seeded test PRNG (tests only). */
#ifndef TKMS_TEST_RNG_H
#define TKMS_TEST_RNG_H

#include "common/tkms_rng.h"
#include "test_util.h"

static void test_rng_fill(void *ctx, uint8_t *out, size_t len) {
    tu_rng_bytes((tu_rng *)ctx, out, len);
}

static inline tkms_rng test_rng_make(tu_rng *r) {
    tkms_rng rng = {test_rng_fill, r};
    return rng;
}

#endif
