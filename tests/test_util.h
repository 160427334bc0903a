/*
 * test_util.h — small helpers shared by the cmocka tests: hex, a seeded PRNG, vector files.
 *
 * Randomized tests take their seed from TKMS_TEST_SEED (default fixed), print it, and
 * print it again in any failure message, so every run can be replayed exactly.
 */
#ifndef TKMS_TEST_UTIL_H
#define TKMS_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static inline int tu_hexval(int c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Decodes hex (optional 0x prefix) into out; returns the byte count or -1. */
static inline long tu_unhex(uint8_t *out, size_t out_max, const char *hex) {
    if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) {
        hex += 2;
    }
    size_t n = strlen(hex);
    if (n % 2 != 0 || n / 2 > out_max) {
        return -1;
    }
    for (size_t i = 0; i < n / 2; i++) {
        int hi = tu_hexval(hex[2 * i]), lo = tu_hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    return (long)(n / 2);
}

static inline void tu_hex(char *out, const uint8_t *in, size_t n) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = 0;
}

/* xoshiro256** seeded by splitmix64: deterministic test randomness. */
typedef struct {
    uint64_t s[4];
} tu_rng;

static inline uint64_t tu_splitmix(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void tu_rng_seed(tu_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) {
        r->s[i] = tu_splitmix(&seed);
    }
}

static inline uint64_t tu_rng_next(tu_rng *r) {
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t res = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}

static inline void tu_rng_bytes(tu_rng *r, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint8_t)tu_rng_next(r);
    }
}

/* The run's seed: TKMS_TEST_SEED or a fixed default; printed once. */
static inline uint64_t tu_seed(void) {
    const char *s = getenv("TKMS_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : 20261124u;
    return seed;
}

/* Reads a whole file under the source tree (TKMS_SOURCE_DIR or cwd); caller frees. */
static inline uint8_t *tu_read_file(const char *rel, size_t *len) {
    const char *root = getenv("TKMS_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root ? root : ".", rel);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail_msg("cannot open %s", path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

#endif
