/*
 * tkms_rng.h — the randomness interface (style R12, R14).
 *
 * Layers that need randomness (dealing polynomials, IBE's ρ and nonce, batch-verification
 * coefficients) take a tkms_rng and never call the OS themselves: production passes
 * tkms_rng_os() (getrandom), tests and the simulator pass a seeded deterministic
 * generator. fill() must fill all len bytes or abort: a missing random source is not an
 * error a caller can handle safely.
 */
#ifndef TKMS_RNG_H
#define TKMS_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct tkms_rng {
    void (*fill)(void *ctx, uint8_t *out, size_t len);
    void *ctx;
} tkms_rng;

/* The operating system's CSPRNG (getrandom(2), blocking until seeded). */
const tkms_rng *tkms_rng_os(void);

static inline void tkms_rng_fill(const tkms_rng *rng, uint8_t *out, size_t len) {
    rng->fill(rng->ctx, out, len);
}

#endif
