/*
 * base64.c — standard base64 (RFC 4648 §4, padded) for the eigenx-compatible partial
 * wrapping (crypto.md §9). The decoder is strict: only canonical padded input of the
 * standard alphabet is accepted (no whitespace, no URL alphabet, zero pad bits).
 */
#include "prim/prim.h"

static const char ALPHABET[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

TKMS_EXPORT tkms_err tkms_prim_base64_encode(char *out, size_t out_max, const uint8_t *in,
                                             size_t len) {
    size_t need = (len + 2) / 3 * 4;
    if (len > SIZE_MAX / 2 || out_max <= need) {
        return TKMS_ERR_PRIM_LENGTH;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        v |= i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0;
        v |= i + 2 < len ? in[i + 2] : 0;
        out[o++] = ALPHABET[(v >> 18) & 63];
        out[o++] = ALPHABET[(v >> 12) & 63];
        out[o++] = i + 1 < len ? ALPHABET[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? ALPHABET[v & 63] : '=';
    }
    out[o] = 0;
    return TKMS_OK;
}

static int value_of(char c) {
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

TKMS_EXPORT tkms_err tkms_prim_base64_decode(uint8_t *out, size_t *out_len, size_t out_max,
                                             const char *in, size_t in_len) {
    *out_len = 0;
    if (in_len % 4 != 0) {
        return TKMS_ERR_PRIM_BASE64;
    }
    size_t o = 0;
    for (size_t i = 0; i < in_len; i += 4) {
        bool last = i + 4 == in_len;
        size_t pad = last ? (in[i + 3] == '=') + (in[i + 2] == '=' && in[i + 3] == '=') : 0;
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            int d = k >= 4 - pad ? 0 : value_of(in[i + k]);
            if (d < 0) {
                return TKMS_ERR_PRIM_BASE64;
            }
            v = (v << 6) | (uint32_t)d;
        }
        if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0)) {
            return TKMS_ERR_PRIM_BASE64; /* non-zero pad bits: not canonical */
        }
        size_t n = 3 - pad;
        if (o + n > out_max) {
            return TKMS_ERR_PRIM_LENGTH;
        }
        for (size_t k = 0; k < n; k++) {
            out[o++] = (uint8_t)(v >> (16 - 8 * k));
        }
    }
    *out_len = o;
    return TKMS_OK;
}
