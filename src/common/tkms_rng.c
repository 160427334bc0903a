/* tkms_rng.c — the OS randomness source behind tkms_rng_os() (tkms_rng.h). */
#include "common/tkms_rng.h"

#include <errno.h>
#include <sys/random.h>

#include "common/tkms_assert.h"

static void os_fill(void *ctx, uint8_t *out, size_t len) {
    (void)ctx;
    size_t done = 0;
    for (int tries = 0; done < len && tries < 1000; tries++) {
        ssize_t n = getrandom(out + done, len - done, 0);
        if (n < 0) {
            TKMS_ASSERT(errno == EINTR);
            continue;
        }
        done += (size_t)n;
    }
    TKMS_ASSERT(done == len);
}

static const tkms_rng os_rng = {os_fill, NULL};

const tkms_rng *tkms_rng_os(void) {
    return &os_rng;
}
