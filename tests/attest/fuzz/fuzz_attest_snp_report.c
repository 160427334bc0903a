/*
 * fuzz_attest_snp_report.c — locating (plain / HCL-wrapped) and parsing an SEV-SNP
 * ATTESTATION_REPORT, and decoding its TCB values for every product layout.
 */
#include <stdint.h>
#include <stdlib.h>

#include "attest/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tkms_attest_error error;
    const uint8_t *report = NULL;
    if (attest_snp_report_locate(&report, &error, data, size) != TKMS_OK) {
        return 0;
    }
    tkms_attest_snp_report r;
    if (attest_snp_report_parse(&r, &error, report, TKMS_ATTEST_SNP_REPORT_BYTES) != TKMS_OK) {
        return 0;
    }
    /* decode then encode keeps exactly the bytes the product's layout defines */
    static const uint64_t kept[TKMS_ATTEST_SNP_PRODUCT_COUNT] = {
        0xFFFF00000000FFFFull, 0xFFFF00000000FFFFull, 0xFFFF00000000FFFFull, 0xFF000000FFFFFFFFull};
    for (int p = 0; p < TKMS_ATTEST_SNP_PRODUCT_COUNT; p++) {
        tkms_attest_snp_tcb tcb;
        char text[64];
        attest_snp_tcb_decode(&tcb, r.reported_tcb, (tkms_attest_snp_product)p);
        attest_snp_tcb_format(text, &tcb, (tkms_attest_snp_product)p);
        if (attest_snp_tcb_encode(&tcb, (tkms_attest_snp_product)p) != (r.reported_tcb & kept[p])) {
            abort();
        }
    }
    (void)attest_snp_product_from_cpuid(r.cpuid_family, r.cpuid_model);
    return 0;
}
