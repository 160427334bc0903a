/*
 * leaky_div.c — a deliberately variable-time function for the self-test of
 * check_no_div.sh: a division by a (potentially secret) operand, which the script must
 * report (ctest ct_selftest_div). Never linked into anything else.
 */
#include <stdint.h>

uint64_t ct_selftest_div(uint64_t a, uint64_t b);

uint64_t ct_selftest_div(uint64_t a, uint64_t b) {
    return a / (b | 1);
}
