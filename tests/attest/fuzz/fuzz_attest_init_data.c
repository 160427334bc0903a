/*
 * fuzz_attest_init_data.c — the init-data parser: gzip / base64-gzip detection and
 * decompression under its cap, the TOML subset, Rego comment stripping and the image
 * reference scan, in both ambiguity modes.
 */
#include <stdint.h>

#include "attest/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tkms_attest_error error;
    attest_init_data_image image;
    (void)attest_init_data_image_parse(&image, &error, data, size, false);
    (void)attest_init_data_image_parse(&image, &error, data, size, true);
    return 0;
}
