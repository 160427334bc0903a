/* tkms_ct.c — secret wiping (tkms_ct.h). */
#include "common/tkms_ct.h"

#include <string.h>

void tkms_wipe(void *p, size_t n) {
    if (p == NULL || n == 0) {
        return;
    }
    explicit_bzero(p, n);
    __asm__ __volatile__("" : : "r"(p) : "memory");
}
