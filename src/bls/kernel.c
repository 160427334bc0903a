/* kernel.c — reports which Montgomery kernel this build uses (bls.h). */
#include "bls/internal.h"

TKMS_EXPORT const char *tkms_bls_kernel_name(void) {
#if defined(TKMS_BLS_ASM)
    return "x86_64-adx";
#else
    return "portable";
#endif
}
