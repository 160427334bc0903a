/*
 * tkms_assert.h — always-on assertions (style R6, R7).
 *
 * TKMS_ASSERT is for programmer errors: a broken precondition or invariant aborts the
 * process, in every build. Never assert on external data: bad input returns a tkms_err.
 * TKMS_DEBUG_ASSERT is only for O(n) checks too costly for release builds.
 */
#ifndef TKMS_ASSERT_H
#define TKMS_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define TKMS_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#ifdef NDEBUG
#define TKMS_DEBUG_ASSERT(cond) ((void)0)
#else
#define TKMS_DEBUG_ASSERT(cond) TKMS_ASSERT(cond)
#endif

#endif
