/*
 * net_version.c — the public state of a key version derived from its dealers'
 * commitments (crypto.md §6): combined commitments C_k = Σ_{i∈D} C_ik for a DKG and
 * C_k = Σ_{i∈D} λ_i(D)·C_ik for a reshare (λ over the dealers' evaluation points), the
 * check C_0 == MPK, and an operator's public share PK_j = Σ_k C_k·x_j^k.
 *
 * Also the stateHash of protocol.md §4 step 6 that binds the combination to what the
 * confirmers posted. Everything here is public data, so it is variable time. No I/O; the only
 * allocation is the scratch column of the reshare combination. Where the inputs come from (chain)
 * is net_chain.c's business.
 */
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "common/tkms_assert.h"
#include "prim/prim.h"

static tkms_err dealer_points(tkms_bls_fr *xs, const tkms_client_version *v) {
    for (uint32_t i = 0; i < v->dealer_count; i++) {
        tkms_err err = tkms_tss_point_from_address(&xs[i], v->dealers[i]);
        if (err != TKMS_OK) {
            return TKMS_ERR_CLIENT_CHAIN_STATE;
        }
    }
    return tkms_tss_points_check(xs, v->dealer_count) == TKMS_OK ? TKMS_OK
                                                                 : TKMS_ERR_CLIENT_CHAIN_STATE;
}

static void combine_sum(tkms_tss_commitments *out, const tkms_tss_commitments *dealings,
                        uint32_t count) {
    for (uint32_t k = 0; k < out->t; k++) {
        tkms_bls_g2_identity(&out->c[k]);
        for (uint32_t i = 0; i < count; i++) {
            tkms_bls_g2_add(&out->c[k], &out->c[k], &dealings[i].c[k]);
        }
    }
}

/* C_k = Σ λ_i C_ik, one MSM per coefficient over the column k of the dealings. */
static tkms_err combine_lagrange(tkms_tss_commitments *out, const tkms_tss_commitments *dealings,
                                 const tkms_bls_fr *xs, uint32_t count) {
    tkms_bls_fr lambdas[TKMS_CLIENT_OPERATORS_MAX];
    if (tkms_tss_lagrange_at_zero_vartime(lambdas, xs, count) != TKMS_OK) {
        return TKMS_ERR_CLIENT_CHAIN_STATE;
    }
    tkms_bls_g2 *column = malloc(count * sizeof *column);
    if (column == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    tkms_err err = TKMS_OK;
    for (uint32_t k = 0; err == TKMS_OK && k < out->t; k++) {
        for (uint32_t i = 0; i < count; i++) {
            column[i] = dealings[i].c[k];
        }
        err = tkms_bls_g2_msm_vartime(&out->c[k], column, lambdas, count);
    }
    free(column);
    return err == TKMS_OK ? TKMS_OK : TKMS_ERR_CLIENT_CHAIN_STATE;
}

TKMS_EXPORT tkms_err tkms_client_version_combine(tkms_client_version *v,
                                                 const tkms_tss_commitments *dealings,
                                                 const tkms_bls_g2 *mpk) {
    TKMS_ASSERT(v->dealer_count <= TKMS_CLIENT_OPERATORS_MAX);
    TKMS_ASSERT(v->t <= TKMS_TSS_THRESHOLD_MAX);
    memset(&v->combined, 0, sizeof v->combined);
    if (v->t == 0 || v->dealer_count == 0) {
        return TKMS_ERR_CLIENT_CHAIN_STATE;
    }
    for (uint32_t i = 0; i < v->dealer_count; i++) {
        if (dealings[i].t != v->t) {
            return TKMS_ERR_CLIENT_CHAIN_STATE;
        }
    }
    tkms_bls_fr xs[TKMS_CLIENT_OPERATORS_MAX];
    tkms_err err = dealer_points(xs, v);
    v->combined.t = v->t;
    if (err == TKMS_OK && v->source == TKMS_CLIENT_DKG_SOURCE) {
        combine_sum(&v->combined, dealings, v->dealer_count);
    } else if (err == TKMS_OK) {
        err = combine_lagrange(&v->combined, dealings, xs, v->dealer_count);
    }
    /* I2 seen from outside: every version shares the one master key. */
    if (err == TKMS_OK && (tkms_bls_g2_is_identity(&v->combined.c[0]) ||
                           !tkms_bls_g2_equal(&v->combined.c[0], mpk))) {
        err = TKMS_ERR_CLIENT_CHAIN_STATE;
    }
    if (err != TKMS_OK) {
        memset(&v->combined, 0, sizeof v->combined);
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_client_public_share(tkms_bls_g2 *out, const tkms_client_version *v,
                                              const uint8_t address[20]) {
    TKMS_ASSERT(v->combined.t == v->t);
    TKMS_ASSERT(v->t >= 1);
    tkms_bls_fr x;
    tkms_bls_g2_identity(out);
    if (tkms_tss_point_from_address(&x, address) != TKMS_OK) {
        return TKMS_ERR_CLIENT_CHAIN_STATE;
    }
    tkms_tss_public_share_vartime(out, &v->combined, &x);
    return TKMS_OK;
}

static void be64(uint8_t out[8], uint64_t v) {
    for (int i = 7; i >= 0; i--) {
        out[i] = (uint8_t)v;
        v >>= 8;
    }
}

TKMS_EXPORT void tkms_client_version_state_hash(uint8_t out[32], const tkms_client_version *v,
                                                uint64_t chain_id, const uint8_t epoch_log[20]) {
    TKMS_ASSERT(v->combined.t == v->t && v->t >= 1);
    TKMS_ASSERT(v->dealer_count <= TKMS_CLIENT_OPERATORS_MAX);
    static const char TAG[] = "tkms-confirm-v1";
    uint8_t nums[3][8], commitments[TKMS_TSS_THRESHOLD_MAX][TKMS_BLS_G2_BYTES];
    uint8_t dealers[TKMS_CLIENT_OPERATORS_MAX][20];
    be64(nums[0], chain_id);
    be64(nums[1], v->version);
    be64(nums[2], v->source);
    for (uint32_t k = 0; k < v->t; k++) {
        tkms_bls_g2_encode(commitments[k], &v->combined.c[k]);
    }
    memcpy(dealers, v->dealers, (size_t)v->dealer_count * 20);
    for (uint32_t i = 1; i < v->dealer_count; i++) { /* sorted ascending (insertion sort) */
        for (uint32_t j = i; j > 0 && memcmp(dealers[j - 1], dealers[j], 20) > 0; j--) {
            uint8_t tmp[20];
            memcpy(tmp, dealers[j], 20);
            memcpy(dealers[j], dealers[j - 1], 20);
            memcpy(dealers[j - 1], tmp, 20);
        }
    }
    tkms_prim_buf parts[7] = {
        {(const uint8_t *)TAG, sizeof TAG - 1},
        {nums[0], 8},
        {epoch_log, 20},
        {nums[1], 8},
        {nums[2], 8},
        {commitments[0], (size_t)v->t * TKMS_BLS_G2_BYTES},
        {dealers[0], (size_t)v->dealer_count * 20},
    };
    tkms_prim_sha256_parts(out, parts, 7);
}
