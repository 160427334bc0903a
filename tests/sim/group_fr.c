/*
 * group_fr.c — the simulator's transparent group (tkms_proto_group, style R14).
 *
 * Same algebra as tss over BLS12-381 G2, but a "commitment" C_k is the Fr value a_k
 * itself: the 96-byte slot holds a tag (so a malformed value is detectable by the strict
 * check), zero padding and the 32-byte canonical big-endian value. The identity (Fr 0) is
 * encoded exactly like the compressed G2 identity (0xc0 then zeros), so the chain model's
 * MPK flag checks (infinity flag refused, compression flag required) behave as they do for
 * real points. share_verify checks s == Σ C_k x^k in Fr; combine and public_share are Fr
 * sums. Thousands of epochs run in seconds this way.
 *
 * What it does not do: hide anything. Commitments reveal the coefficients; the secrecy
 * oracle (oracle.c) models what the adversary would learn from real G2 commitments
 * (nothing), never what this encoding shows. Spec: protocol.md §7.
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "sim.h"

#define FR_TAG0 0xa7 /* compression flag set, infinity flag clear, arbitrary low bits */
#define FR_PAD 0x5a  /* bytes 1..31: tag pattern; bytes 32..63: zero; 64..95: value */

void sim_fr_encode(uint8_t out[TKMS_PROTO_COMMITMENT_BYTES], const tkms_bls_fr *v) {
    memset(out, 0, TKMS_PROTO_COMMITMENT_BYTES);
    if (tkms_bls_fr_is_zero(v)) {
        out[0] = 0xc0;
        return;
    }
    out[0] = FR_TAG0;
    memset(out + 1, FR_PAD, 31);
    tkms_bls_fr_encode(out + 64, v);
}

bool sim_fr_decode(tkms_bls_fr *out, const uint8_t in[TKMS_PROTO_COMMITMENT_BYTES]) {
    static const uint8_t identity[TKMS_PROTO_COMMITMENT_BYTES] = {0xc0};
    uint8_t expect[64];
    if (memcmp(in, identity, sizeof identity) == 0) {
        memset(out, 0, sizeof *out);
        return true;
    }
    memset(expect, 0, sizeof expect);
    expect[0] = FR_TAG0;
    memset(expect + 1, FR_PAD, 31);
    if (memcmp(in, expect, sizeof expect) != 0) {
        return false;
    }
    if (tkms_bls_fr_decode(out, in + 64) != TKMS_OK) {
        return false;
    }
    /* zero must use the identity encoding: one value, one encoding (strict) */
    return !tkms_bls_fr_is_zero(out);
}

/* Decodes all t values; false on any malformed entry or a bad count. */
static bool decode_all(tkms_bls_fr *out, const tkms_proto_commitments *c) {
    if (c->t < 1 || c->t > TKMS_TSS_THRESHOLD_MAX) {
        return false;
    }
    for (uint32_t k = 0; k < c->t; k++) {
        if (!sim_fr_decode(&out[k], c->c[k])) {
            return false;
        }
    }
    return true;
}

static void fr_commit(void *ctx, tkms_proto_commitments *out, const tkms_tss_poly *f) {
    (void)ctx;
    TKMS_ASSERT(f->t >= 1 && f->t <= TKMS_TSS_THRESHOLD_MAX);
    memset(out, 0, sizeof *out);
    out->t = (uint16_t)f->t;
    for (uint32_t k = 0; k < f->t; k++) {
        sim_fr_encode(out->c[k], &f->a[k]);
    }
}

/* Mirrors the BLS group: every entry decodes strictly and C_0 is not the identity. */
static bool fr_commitments_valid(void *ctx, const tkms_proto_commitments *c) {
    (void)ctx;
    tkms_bls_fr v[TKMS_TSS_THRESHOLD_MAX];
    if (!decode_all(v, c)) {
        return false;
    }
    return !tkms_bls_fr_is_zero(&v[0]);
}

static void eval_at(tkms_bls_fr *out, const tkms_bls_fr *v, uint32_t t, const tkms_bls_fr *x) {
    TKMS_ASSERT(t >= 1);
    *out = v[t - 1];
    for (uint32_t k = t - 1; k > 0; k--) {
        tkms_bls_fr_mul(out, out, x);
        tkms_bls_fr_add(out, out, &v[k - 1]);
    }
}

static bool fr_share_verify(void *ctx, const tkms_tss_secret *s, const tkms_bls_fr *x,
                            const tkms_proto_commitments *c) {
    tkms_bls_fr v[TKMS_TSS_THRESHOLD_MAX], y;
    if (!fr_commitments_valid(ctx, c)) {
        return false;
    }
    decode_all(v, c);
    eval_at(&y, v, c->t, x);
    return tkms_bls_fr_equal(&y, &s->v);
}

static void fr_combine(void *ctx, tkms_proto_commitments *out,
                       const tkms_proto_commitments *const *cs, const tkms_bls_fr *w,
                       size_t count) {
    (void)ctx;
    tkms_bls_fr acc[TKMS_TSS_THRESHOLD_MAX], v[TKMS_TSS_THRESHOLD_MAX];
    TKMS_ASSERT(count >= 1 && count <= TKMS_PROTO_OPERATORS_MAX);
    uint16_t t = cs[0]->t;
    memset(acc, 0, sizeof acc);
    for (size_t i = 0; i < count; i++) {
        TKMS_ASSERT(cs[i]->t == t);
        bool ok = decode_all(v, cs[i]);
        TKMS_ASSERT(ok); /* callers combine only validated commitments */
        for (uint32_t k = 0; k < t; k++) {
            if (w != NULL) {
                tkms_bls_fr_mul(&v[k], &v[k], &w[i]);
            }
            tkms_bls_fr_add(&acc[k], &acc[k], &v[k]);
        }
    }
    memset(out, 0, sizeof *out);
    out->t = t;
    for (uint32_t k = 0; k < t; k++) {
        sim_fr_encode(out->c[k], &acc[k]);
    }
}

static void fr_public_share(void *ctx, uint8_t out[TKMS_PROTO_COMMITMENT_BYTES],
                            const tkms_proto_commitments *c, const tkms_bls_fr *x) {
    (void)ctx;
    tkms_bls_fr v[TKMS_TSS_THRESHOLD_MAX], y;
    bool ok = decode_all(v, c);
    TKMS_ASSERT(ok); /* only validated commitments reach here */
    eval_at(&y, v, c->t, x);
    sim_fr_encode(out, &y);
}

static bool fr_is_identity(void *ctx, const uint8_t v[TKMS_PROTO_COMMITMENT_BYTES]) {
    (void)ctx;
    static const uint8_t identity[TKMS_PROTO_COMMITMENT_BYTES] = {0xc0};
    return memcmp(v, identity, sizeof identity) == 0;
}

static const tkms_proto_group FR_GROUP = {
    fr_commit,       fr_commitments_valid, fr_share_verify, fr_combine,
    fr_public_share, fr_is_identity,       NULL,
};

const tkms_proto_group *sim_group_fr(void) {
    return &FR_GROUP;
}

void sim_poly_eval(tkms_bls_fr *out, const tkms_tss_poly *f, const tkms_bls_fr *x) {
    eval_at(out, f->a, f->t, x);
}
