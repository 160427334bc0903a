/*
 * xmd.c — expand_message_xmd with SHA-256 (RFC 9380 §5.3.1) and hash_to_field for Fp and
 * Fp2 with L = 64 (§5.2), the first half of hash-to-curve (crypto.md §4).
 *
 * SHA-256 is OpenSSL's, through EVP (the one context is OpenSSL's allocation, freed
 * before returning; this file allocates nothing itself). Every step runs the same
 * operations whatever the message bytes are: only lengths decide the work, and lengths
 * are public. It does not map to the curve (h2c_g1.c, h2c_g2.c) and does not implement
 * the oversize-DST rule of §5.3.3 (DST = H("H2C-OVERSIZE-DST-" || DST) for DSTs longer
 * than 255 bytes): such DSTs are rejected with TKMS_ERR_BLS_DST_LENGTH instead, so a
 * caller who needs one hashes it first (tests/bls/test_h2c.c does exactly that for the
 * long-DST vectors).
 */
#include <openssl/evp.h>

#include "bls/internal.h"

#define XMD_HASH_BYTES 32  /* b_in_bytes: SHA-256 output */
#define XMD_BLOCK_BYTES 64 /* s_in_bytes: SHA-256 input block, the length of Z_pad */
#define XMD_ELL_MAX 255
#define H2F_L_BYTES 64 /* L = ceil((ceil(log2(p)) + k) / 8) with k = 128 (§8.8) */
#define H2F_COUNT_MAX 2

_Static_assert((XMD_ELL_MAX * XMD_HASH_BYTES) <= TKMS_BLS_XMD_BYTES_MAX, "ell bound");
_Static_assert(TKMS_BLS_DST_BYTES_MAX == 255, "DST_prime ends in one length byte");

/* One SHA-256 over the concatenation of up to five parts; false if OpenSSL fails. */
static bool xmd_sha256(EVP_MD_CTX *ctx, const EVP_MD *md, uint8_t out[XMD_HASH_BYTES],
                       const uint8_t *const parts[], const size_t lens[], size_t count) {
    unsigned int out_len = 0;
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1) {
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        if (lens[i] != 0 && EVP_DigestUpdate(ctx, parts[i], lens[i]) != 1) {
            return false;
        }
    }
    if (EVP_DigestFinal_ex(ctx, out, &out_len) != 1) {
        return false;
    }
    TKMS_ASSERT(out_len == XMD_HASH_BYTES);
    return true;
}

/*
 * The body of expand_message_xmd once lengths are checked:
 *   b_0 = H(Z_pad || msg || I2OSP(len, 2) || 0x00 || DST_prime)
 *   b_1 = H(b_0 || 0x01 || DST_prime), b_i = H((b_0 xor b_(i-1)) || I2OSP(i, 1) || DST_prime)
 * with DST_prime = DST || I2OSP(len(DST), 1); out = the first out_len bytes of b_1 || ….
 */
static bool xmd_expand(EVP_MD_CTX *ctx, const EVP_MD *md, uint8_t *out, size_t out_len,
                       const uint8_t *msg, size_t msg_len, const uint8_t *dst, size_t dst_len) {
    static const uint8_t z_pad[XMD_BLOCK_BYTES] = {0};
    const uint8_t dst_len_byte = (uint8_t)dst_len;
    const uint8_t len_str[3] = {(uint8_t)(out_len >> 8), (uint8_t)out_len, 0};
    uint8_t b0[XMD_HASH_BYTES], bi[XMD_HASH_BYTES], counter = 1;
    size_t ell = (out_len + XMD_HASH_BYTES - 1) / XMD_HASH_BYTES;
    const uint8_t *parts0[5] = {z_pad, msg, len_str, dst, &dst_len_byte};
    const size_t lens0[5] = {sizeof z_pad, msg_len, sizeof len_str, dst_len, 1};
    bool ok = xmd_sha256(ctx, md, b0, parts0, lens0, 5);
    memset(bi, 0, sizeof bi); /* so that round 1 hashes b_0 xor 0 = b_0, as the RFC says */
    for (size_t i = 1; i <= ell && ok; i++) {
        uint8_t in[XMD_HASH_BYTES];
        for (size_t j = 0; j < XMD_HASH_BYTES; j++) {
            in[j] = (uint8_t)(b0[j] ^ bi[j]);
        }
        counter = (uint8_t)i;
        const uint8_t *parts[4] = {in, &counter, dst, &dst_len_byte};
        const size_t lens[4] = {sizeof in, 1, dst_len, 1};
        ok = xmd_sha256(ctx, md, bi, parts, lens, 4);
        size_t off = (i - 1) * XMD_HASH_BYTES;
        size_t take = out_len - off < XMD_HASH_BYTES ? out_len - off : XMD_HASH_BYTES;
        memcpy(out + off, bi, take);
        tkms_wipe(in, sizeof in);
    }
    tkms_wipe(b0, sizeof b0);
    tkms_wipe(bi, sizeof bi);
    return ok;
}

TKMS_EXPORT tkms_err tkms_bls_expand_message_xmd(uint8_t *out, size_t out_len, const uint8_t *msg,
                                                 size_t msg_len, const uint8_t *dst,
                                                 size_t dst_len) {
    TKMS_ASSERT(out != NULL || out_len == 0);
    TKMS_ASSERT(msg != NULL || msg_len == 0);
    TKMS_ASSERT(dst != NULL || dst_len == 0);
    if (dst_len == 0 || dst_len > TKMS_BLS_DST_BYTES_MAX) {
        if (out_len != 0) {
            memset(out, 0, out_len);
        }
        return TKMS_ERR_BLS_DST_LENGTH;
    }
    if (out_len == 0 || out_len > (size_t)XMD_ELL_MAX * XMD_HASH_BYTES) {
        if (out_len != 0) {
            memset(out, 0, out_len);
        }
        return TKMS_ERR_BLS_XMD_LENGTH;
    }
    /* One explicit fetch per call: EVP_sha256() would make every EVP_DigestInit_ex fetch
       the provider's SHA-256 again (OpenSSL 3), which costs more than a block of hashing. */
    EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok =
        md != NULL && ctx != NULL && xmd_expand(ctx, md, out, out_len, msg, msg_len, dst, dst_len);
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    if (!ok) {
        memset(out, 0, out_len);
        return TKMS_ERR_OUT_OF_MEMORY; /* the only way OpenSSL's SHA-256 fails */
    }
    return TKMS_OK;
}

/* §5.2 with m = 1 (Fp) or 2 (Fp2): coordinate j of element i is the 64 bytes at
   L·(j + i·m), big-endian, reduced mod p; out holds count·m coordinates in that order. */
static tkms_err hash_to_field(fp *out, size_t count, size_t m, const uint8_t *msg, size_t msg_len,
                              const uint8_t *dst, size_t dst_len) {
    uint8_t bytes[H2F_COUNT_MAX * 2 * H2F_L_BYTES];
    size_t n = count * m;
    TKMS_ASSERT(count >= 1 && count <= H2F_COUNT_MAX);
    TKMS_ASSERT(m == 1 || m == 2);
    tkms_err err = tkms_bls_expand_message_xmd(bytes, n * H2F_L_BYTES, msg, msg_len, dst, dst_len);
    for (size_t i = 0; i < n; i++) {
        fp_from_bytes64_reduce(&out[i], bytes + i * H2F_L_BYTES);
        fp_cmov(&out[i], &(fp){{0}}, err != TKMS_OK); /* zeroed on failure (bls.h) */
    }
    tkms_wipe(bytes, sizeof bytes);
    return err;
}

tkms_err fp_hash_to_field(fp *out, size_t count, const uint8_t *msg, size_t msg_len,
                          const uint8_t *dst, size_t dst_len) {
    return hash_to_field(out, count, 1, msg, msg_len, dst, dst_len);
}

tkms_err fp2_hash_to_field(fp2 *out, size_t count, const uint8_t *msg, size_t msg_len,
                           const uint8_t *dst, size_t dst_len) {
    fp coords[H2F_COUNT_MAX * 2];
    TKMS_ASSERT(count >= 1 && count <= H2F_COUNT_MAX);
    tkms_err err = hash_to_field(coords, count, 2, msg, msg_len, dst, dst_len);
    for (size_t i = 0; i < count; i++) {
        out[i].c0 = coords[2 * i];
        out[i].c1 = coords[2 * i + 1];
    }
    tkms_wipe(coords, sizeof coords);
    return err;
}
