/*
 * points.c — evaluation points and Lagrange coefficients (crypto.md §5, §6).
 *
 * An operator's point is keccak256(address) mod r, so points survive operator-set
 * changes (unlike 1..n). Point sets are public: the checks and the interpolation are
 * variable time. Zero is rejected (f(0) is the secret itself), and so are duplicates
 * (two operators would hold the same share, and Lagrange would divide by zero).
 */
#include "common/tkms_assert.h"
#include "prim/prim.h"
#include "tss/tss.h"

TKMS_EXPORT uint32_t tkms_tss_threshold(uint32_t n) {
    TKMS_ASSERT(n >= 1 && n <= TKMS_TSS_OPERATORS_MAX);
    uint32_t t = (2 * n + 2) / 3;
    TKMS_ASSERT(t >= 1 && t <= n);
    return t;
}

TKMS_EXPORT tkms_err tkms_tss_point_from_address(tkms_bls_fr *x,
                                                 const uint8_t address[TKMS_TSS_ADDRESS_BYTES]) {
    uint8_t h[TKMS_PRIM_KECCAK256_BYTES];
    tkms_prim_keccak256(h, address, TKMS_TSS_ADDRESS_BYTES);
    tkms_bls_fr_decode_reduce(x, h, sizeof h);
    if (tkms_bls_fr_is_zero(x)) {
        return TKMS_ERR_TSS_ZERO_POINT;
    }
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_tss_points_check(const tkms_bls_fr *xs, size_t count) {
    if (count > TKMS_TSS_OPERATORS_MAX) {
        return TKMS_ERR_TSS_TOO_MANY;
    }
    for (size_t i = 0; i < count; i++) {
        if (tkms_bls_fr_is_zero(&xs[i])) {
            return TKMS_ERR_TSS_ZERO_POINT;
        }
        for (size_t j = 0; j < i; j++) {
            if (tkms_bls_fr_equal(&xs[i], &xs[j])) {
                return TKMS_ERR_TSS_DUPLICATE_POINT;
            }
        }
    }
    return TKMS_OK;
}

/* λ_i = N / d_i with N = Π x_j and d_i = x_i·Π_{j≠i}(x_j − x_i); one batch inversion. */
TKMS_EXPORT tkms_err tkms_tss_lagrange_at_zero_vartime(tkms_bls_fr *lambdas,
                                                       const tkms_bls_fr *xs, size_t count) {
    tkms_bls_fr scratch[TKMS_TSS_OPERATORS_MAX], numerator;
    tkms_err err = tkms_tss_points_check(xs, count);
    if (err != TKMS_OK) {
        return err;
    }
    tkms_bls_fr_from_u64(&numerator, 1);
    for (size_t i = 0; i < count; i++) {
        tkms_bls_fr_mul(&numerator, &numerator, &xs[i]);
        lambdas[i] = xs[i];
        for (size_t j = 0; j < count; j++) {
            if (j != i) {
                tkms_bls_fr d;
                tkms_bls_fr_sub(&d, &xs[j], &xs[i]);
                tkms_bls_fr_mul(&lambdas[i], &lambdas[i], &d);
            }
        }
    }
    bool ok = tkms_bls_fr_batch_inv_vartime(lambdas, scratch, count);
    TKMS_ASSERT(ok); /* distinct non-zero points: every d_i is non-zero */
    for (size_t i = 0; i < count; i++) {
        tkms_bls_fr_mul(&lambdas[i], &lambdas[i], &numerator);
    }
    return TKMS_OK;
}
