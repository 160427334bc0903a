/*
 * fuzz_check.h — the invariant check of the fuzz targets: FUZZ_CHECK(cond) prints the
 * failed condition with its line and aborts, which libFuzzer (and the corpus replay run
 * by ctest) report as a crash. Unlike assert() it is never compiled out.
 */
#ifndef TKMS_FUZZ_CHECK_H
#define TKMS_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", __FILE__, __LINE__, #cond);  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
