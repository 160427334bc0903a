/*
 * fuzz_bls_g2_decode.c — libFuzzer target for the G2 point decoders (crypto.md §2,
 * style R21): tkms_bls_g2_from_bytes on arbitrary bytes of any length (96 compressed,
 * 192 uncompressed). The checks, and the entry point, are fuzz_point_decode.h's, shared
 * with the other group's target: only the group differs.
 */
#include "bls/bls.h"

#define FUZZ_G(x) tkms_bls_g2_##x
#define FUZZ_POINT tkms_bls_g2
#define FUZZ_BYTES TKMS_BLS_G2_BYTES
#define FUZZ_UNCOMPRESSED_BYTES TKMS_BLS_G2_UNCOMPRESSED_BYTES
#include "fuzz_point_decode.h"
