/*
 * tkms_ct.h — constant-time helpers on bytes and words, and secret wiping (style R9, R10).
 *
 * Masks are all-ones (true) or all-zero (false) words. tkms_ct_barrier launders a value
 * through an empty asm so the compiler cannot turn mask arithmetic back into a branch.
 * Nothing here branches on or indexes by its inputs.
 */
#ifndef TKMS_CT_H
#define TKMS_CT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t tkms_ct_barrier(uint64_t x) {
    __asm__("" : "+r"(x));
    return x;
}

/* All-ones if x == 0, else zero. */
static inline uint64_t tkms_ct_is_zero_mask(uint64_t x) {
    return tkms_ct_barrier((uint64_t)0 - (((~x & (x - 1)) >> 63) & 1));
}

/* All-ones if bit == 1, zero if bit == 0 (bit must be 0 or 1). */
static inline uint64_t tkms_ct_mask(uint64_t bit) {
    return tkms_ct_barrier((uint64_t)0 - (bit & 1));
}

/* 1 if the n bytes at a and b are equal, else 0; time depends only on n. */
static inline int tkms_ct_bytes_equal(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        acc |= (uint64_t)(x[i] ^ y[i]);
    }
    return (int)(tkms_ct_is_zero_mask(acc) & 1);
}

/* Zero n bytes in a way the compiler may not elide (explicit_bzero plus a barrier). */
void tkms_wipe(void *p, size_t n);

#endif
