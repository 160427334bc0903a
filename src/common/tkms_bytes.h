/*
 * tkms_bytes.h — big-endian loads and stores, the byte order of every tkms wire format,
 * hash input and persisted encoding. Static inline; no checks beyond the caller's bounds.
 */
#ifndef TKMS_BYTES_H
#define TKMS_BYTES_H

#include <stdint.h>

static inline uint16_t tkms_load_be16(const uint8_t *p) {
    return (uint16_t)(((unsigned)p[0] << 8) | p[1]);
}

static inline uint32_t tkms_load_be32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t tkms_load_be64(const uint8_t *p) {
    return ((uint64_t)tkms_load_be32(p) << 32) | tkms_load_be32(p + 4);
}

static inline void tkms_store_be16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void tkms_store_be32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (24 - 8 * i));
    }
}

static inline void tkms_store_be64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (56 - 8 * i));
    }
}

#endif
