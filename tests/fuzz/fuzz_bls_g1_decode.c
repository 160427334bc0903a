/*
 * fuzz_bls_g1_decode.c — libFuzzer target for the G1 point decoders (crypto.md §2,
 * style R21): tkms_bls_g1_from_bytes on arbitrary bytes of any length (48 compressed,
 * 96 uncompressed). The checks, and the entry point, are fuzz_point_decode.h's, shared
 * with the other group's target: only the group differs.
 */
#include "bls/bls.h"

#define FUZZ_G(x) tkms_bls_g1_##x
#define FUZZ_POINT tkms_bls_g1
#define FUZZ_BYTES TKMS_BLS_G1_BYTES
#define FUZZ_UNCOMPRESSED_BYTES TKMS_BLS_G1_UNCOMPRESSED_BYTES
#include "fuzz_point_decode.h"
