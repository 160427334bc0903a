/*
 * msm_impl.h — variable-time multi-scalar multiplication Σ [k_i]P_i (Pippenger's bucket
 * method with signed digits), written once and instantiated in g1.c and g2.c after
 * ec_impl.h (same EC_NAME/EC_POINT/EC_AFFINE/F_* macros).
 *
 * For PUBLIC points and scalars only (commitments, public shares, Lagrange-weighted
 * partials): it branches on digits and skips identities. Memory is bounded and on the
 * stack: inputs are processed in chunks of MSM_CHUNK points, each chunk's points are
 * normalized to affine with one inversion (Montgomery's trick) so bucket additions are
 * mixed additions, and the window width c ≤ 7 bounds the buckets at 64.
 */

#define MSM_CHUNK 64
#define MSM_WINDOW_MAX 7
#define MSM_DIGITS_MAX ((255 + 1) / 2 + 2)

/* Window width by chunk size (public); minimizes ≈ (255/c)(n + 2^c) additions. */
static size_t EC_NAME(msm_window)(size_t n) {
    if (n < 4) {
        return 2;
    }
    if (n < 12) {
        return 3;
    }
    if (n < 40) {
        return 4;
    }
    if (n < 120) {
        return 5;
    }
    return 6;
}

/* Affine copies of the non-identity points; returns how many were written. */
static size_t EC_NAME(msm_to_affine_vartime)(EC_AFFINE *out, size_t *index, const EC_POINT *p,
                                             size_t n) {
    EC_F prefix[MSM_CHUNK], acc = F_ONE, inv;
    size_t m = 0;
    TKMS_ASSERT(n <= MSM_CHUNK);
    for (size_t i = 0; i < n; i++) {
        if (EC_NAME(is_identity_mask)(&p[i]) & 1) {
            continue;
        }
        prefix[m] = acc;
        F_MUL(&acc, &acc, &p[i].z);
        index[m++] = i;
    }
    F_INV(&inv, &acc);
    for (size_t j = m; j-- > 0;) {
        const EC_POINT *q = &p[index[j]];
        EC_F zinv;
        F_MUL(&zinv, &inv, &prefix[j]); /* 1/z_j */
        F_MUL(&inv, &inv, &q->z);       /* 1/(z_0 … z_{j-1}) */
        F_MUL(&out[j].x, &q->x, &zinv);
        F_MUL(&out[j].y, &q->y, &zinv);
    }
    return m;
}

/* Signed base-2^c digits in [−2^(c−1), 2^(c−1)] of a plain little-endian scalar < 2^255. */
static void EC_NAME(msm_recode_vartime)(int8_t *digits, size_t windows, const limb_t k[4],
                                        size_t c) {
    int carry = 0;
    limb_t mask = ((limb_t)1 << c) - 1;
    for (size_t w = 0; w < windows; w++) {
        size_t bit = w * c;
        limb_t v = 0;
        if (bit < 256) {
            v = k[bit / 64] >> (bit % 64);
            if (bit % 64 + c > 64 && bit / 64 + 1 < 4) {
                v |= k[bit / 64 + 1] << (64 - bit % 64);
            }
        }
        int d = (int)(v & mask) + carry;
        carry = d > (1 << (c - 1));
        d -= carry << c;
        digits[w] = (int8_t)d;
    }
    TKMS_ASSERT(carry == 0);
}

/* Σ [k_i]P_i over one chunk of n <= MSM_CHUNK points (plain scalars). */
static void EC_NAME(msm_chunk_vartime)(EC_POINT *out, const EC_POINT *points,
                                       const limb_t (*scalars)[4], size_t n) {
    EC_AFFINE affine[MSM_CHUNK];
    size_t index[MSM_CHUNK];
    int8_t digits[MSM_CHUNK][MSM_DIGITS_MAX];
    EC_POINT buckets[1 << (MSM_WINDOW_MAX - 1)];
    size_t m = EC_NAME(msm_to_affine_vartime)(affine, index, points, n);
    EC_NAME(identity_set)(out);
    if (m == 0) {
        return;
    }
    size_t c = EC_NAME(msm_window)(m);
    /* only as many windows as the largest scalar needs (public): batch-verification
       coefficients are 128-bit, Lagrange coefficients full size; +1 for the final carry */
    size_t bits = 1;
    for (size_t j = 0; j < m; j++) {
        for (size_t l = 4; l-- > 0;) {
            if (scalars[index[j]][l] != 0) {
                size_t b = 64 * l + 64 - (size_t)__builtin_clzll(scalars[index[j]][l]);
                bits = b > bits ? b : bits;
                break;
            }
        }
    }
    size_t windows = bits / c + 1;
    size_t nb = (size_t)1 << (c - 1);
    TKMS_ASSERT(c <= MSM_WINDOW_MAX && windows <= MSM_DIGITS_MAX);
    for (size_t j = 0; j < m; j++) {
        EC_NAME(msm_recode_vartime)(digits[j], windows, scalars[index[j]], c);
    }
    EC_POINT acc;
    EC_NAME(identity_set)(&acc);
    for (size_t w = windows; w-- > 0;) {
        for (size_t d = 0; d < c; d++) {
            EC_NAME(dbl)(&acc, &acc);
        }
        bool used[1 << (MSM_WINDOW_MAX - 1)] = {false};
        for (size_t j = 0; j < m; j++) {
            int d = digits[j][w];
            if (d == 0) {
                continue;
            }
            size_t b = (size_t)(d > 0 ? d : -d) - 1;
            EC_AFFINE q = affine[j];
            if (d < 0) {
                F_NEG(&q.y, &q.y);
            }
            if (used[b]) {
                EC_NAME(add_affine)(&buckets[b], &buckets[b], &q);
            } else {
                EC_NAME(from_affine)(&buckets[b], &q); /* first point: no addition */
                used[b] = true;
            }
        }
        /* Σ (b + 1)·bucket[b] by running sums, skipping empty buckets (public digits). */
        EC_POINT running, sum;
        bool started = false;
        EC_NAME(identity_set)(&sum);
        for (size_t b = nb; b-- > 0;) {
            if (used[b]) {
                if (started) {
                    EC_NAME(add)(&running, &running, &buckets[b]);
                } else {
                    running = buckets[b];
                    started = true;
                }
            }
            if (started) {
                EC_NAME(add)(&sum, &sum, &running);
            }
        }
        EC_NAME(add)(&acc, &acc, &sum);
    }
    *out = acc;
}

/* Public entry: Σ [k_i]P_i for count <= TKMS_BLS_MSM_COUNT_MAX, chunk by chunk. */
static tkms_err EC_NAME(msm_vartime)(EC_POINT *out, const EC_POINT *points, const fr *scalars,
                                     size_t count) {
    EC_POINT acc; /* out may alias points (bls.h): write it only at the end */
    EC_NAME(identity_set)(&acc);
    if (count > TKMS_BLS_MSM_COUNT_MAX) {
        *out = acc;
        return TKMS_ERR_BLS_TOO_MANY;
    }
    for (size_t start = 0; start < count; start += MSM_CHUNK) {
        size_t n = count - start < MSM_CHUNK ? count - start : MSM_CHUNK;
        limb_t raw[MSM_CHUNK][4];
        for (size_t i = 0; i < n; i++) {
            fr_to_raw(raw[i], &scalars[start + i]);
        }
        EC_POINT part;
        EC_NAME(msm_chunk_vartime)(&part, points + start, (const limb_t(*)[4])raw, n);
        EC_NAME(add)(&acc, &acc, &part);
    }
    *out = acc;
    return TKMS_OK;
}

#undef MSM_CHUNK
#undef MSM_WINDOW_MAX
#undef MSM_DIGITS_MAX
