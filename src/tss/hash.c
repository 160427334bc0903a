/*
 * hash.c — the reference system's commitment hashes (crypto.md §6), kept as tested
 * utilities for compatibility tooling: sha256 over the compressed commitments, with
 * be64(source version) appended for a reshare. tkms's own protocol commits to the record
 * hash of protocol.md §4.3 instead.
 */
#include "common/tkms_assert.h"
#include "common/tkms_bytes.h"
#include "prim/prim.h"
#include "tss/tss.h"

TKMS_EXPORT void tkms_tss_commitment_hash_bytes(uint8_t out[TKMS_TSS_HASH_BYTES],
                                                const uint8_t *encoded, size_t len,
                                                const uint64_t *version) {
    uint8_t be[8] = {0};
    if (version != NULL) {
        tkms_store_be64(be, *version);
    }
    tkms_prim_buf parts[2] = {{encoded, len}, {be, sizeof be}};
    tkms_prim_sha256_parts(out, parts, version != NULL ? 2 : 1);
}

static void hash_commitments(uint8_t out[TKMS_TSS_HASH_BYTES], const tkms_tss_commitments *c,
                             const uint64_t *version) {
    uint8_t buf[TKMS_TSS_THRESHOLD_MAX * TKMS_BLS_G2_BYTES];
    TKMS_ASSERT(c->t >= 1 && c->t <= TKMS_TSS_THRESHOLD_MAX);
    for (uint32_t k = 0; k < c->t; k++) {
        tkms_bls_g2_encode(buf + (size_t)k * TKMS_BLS_G2_BYTES, &c->c[k]);
    }
    tkms_tss_commitment_hash_bytes(out, buf, (size_t)c->t * TKMS_BLS_G2_BYTES, version);
}

TKMS_EXPORT void tkms_tss_commitment_hash(uint8_t out[TKMS_TSS_HASH_BYTES],
                                          const tkms_tss_commitments *c) {
    hash_commitments(out, c, NULL);
}

TKMS_EXPORT void tkms_tss_reshare_commitment_hash(uint8_t out[TKMS_TSS_HASH_BYTES],
                                                  const tkms_tss_commitments *c,
                                                  uint64_t version) {
    hash_commitments(out, c, &version);
}
