/*
 * group_bls.c — the protocol's group operations over BLS12-381 G2 (tkms_proto_group, R14):
 * commitments are compressed G2 points, checked with the strict decoder, and the share
 * checks and combinations are tss.h. This is what a real node runs; the simulator plugs
 * in a transparent group with the same algebra instead.
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "proto/internal.h"

/* Decodes t commitments; false if any fails the strict decoder or C_0 is the identity. */
static bool decode_all(tkms_tss_commitments *out, const tkms_proto_commitments *c) {
    if (c->t < 1 || c->t > TKMS_TSS_THRESHOLD_MAX) {
        return false;
    }
    return tkms_proto_record_commitments_decode(out, NULL, NULL, c->c, c->t) == TKMS_OK;
}

static void encode_all(tkms_proto_commitments *out, const tkms_tss_commitments *c) {
    out->t = (uint16_t)c->t;
    memset(out->c, 0, sizeof out->c);
    for (uint32_t k = 0; k < c->t; k++) {
        tkms_bls_g2_encode(out->c[k], &c->c[k]);
    }
}

static void bls_commit(tkms_proto_commitments *out, const tkms_tss_poly *f) {
    tkms_tss_commitments c;
    tkms_tss_poly_commit(&c, f);
    encode_all(out, &c);
}

static bool bls_commitments_valid(const tkms_proto_commitments *c) {
    tkms_tss_commitments d;
    return decode_all(&d, c);
}

static bool bls_share_verify(const tkms_tss_secret *s, const tkms_bls_fr *x,
                             const tkms_proto_commitments *c) {
    tkms_tss_commitments d;
    return decode_all(&d, c) && tkms_tss_share_verify_vartime(s, x, &d);
}

static void bls_combine(tkms_proto_commitments *out, const tkms_proto_commitments *const *cs,
                        const tkms_bls_fr *w, size_t count) {
    tkms_tss_commitments acc;
    tkms_bls_g2 column[TKMS_PROTO_OPERATORS_MAX];
    TKMS_ASSERT(count >= 1 && count <= TKMS_PROTO_OPERATORS_MAX);
    acc.t = cs[0]->t;
    for (uint32_t k = 0; k < acc.t; k++) {
        for (size_t i = 0; i < count; i++) {
            TKMS_ASSERT(cs[i]->t == acc.t);
            tkms_err err = tkms_bls_g2_decode(&column[i], cs[i]->c[k]);
            TKMS_ASSERT(err == TKMS_OK); /* callers combine only validated commitments */
        }
        if (w == NULL) {
            acc.c[k] = column[0];
            for (size_t i = 1; i < count; i++) {
                tkms_bls_g2_add(&acc.c[k], &acc.c[k], &column[i]);
            }
        } else {
            tkms_err err = tkms_bls_g2_msm_vartime(&acc.c[k], column, w, count);
            TKMS_ASSERT(err == TKMS_OK);
        }
    }
    encode_all(out, &acc);
}

static void bls_public_share(uint8_t out[TKMS_PROTO_COMMITMENT_BYTES],
                             const tkms_proto_commitments *c, const tkms_bls_fr *x) {
    tkms_tss_commitments d;
    tkms_bls_g2 pk;
    bool ok = decode_all(&d, c);
    TKMS_ASSERT(ok); /* only validated commitments reach here */
    tkms_tss_public_share_vartime(&pk, &d, x);
    tkms_bls_g2_encode(out, &pk);
}

static bool bls_is_identity(const uint8_t v[TKMS_PROTO_COMMITMENT_BYTES]) {
    uint8_t identity[TKMS_PROTO_COMMITMENT_BYTES] = {0xc0};
    return memcmp(v, identity, sizeof identity) == 0;
}

static const tkms_proto_group BLS_GROUP = {
    bls_commit, bls_commitments_valid, bls_share_verify, bls_combine, bls_public_share,
    bls_is_identity,
};

TKMS_EXPORT const tkms_proto_group *tkms_proto_group_bls(void) {
    return &BLS_GROUP;
}
