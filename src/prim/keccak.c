/*
 * keccak.c — Keccak-256 (Ethereum flavour): keccak-f[1600] and the sponge around it.
 *
 * The permutation follows the Keccak reference (FIPS 202 §3.2 step mappings θ ρ π χ ι,
 * 24 rounds) on 25 little-endian 64-bit lanes. Padding is the pre-FIPS Keccak one used
 * by Ethereum: 0x01 after the message, 0x80 in the last byte of the rate block. No
 * branch or index depends on message bytes. Does not implement SHA3 or SHAKE.
 */
#include <string.h>

#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

#define KECCAK_ROUNDS 24
#define RATE TKMS_PRIM_KECCAK256_RATE_BYTES

_Static_assert(RATE % 8 == 0, "rate is a whole number of lanes");
_Static_assert(RATE < 200, "rate leaves a capacity");

static const uint64_t round_constants[KECCAK_ROUNDS] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

/* ρ offsets and π destinations along the single cycle of π starting at lane 1. */
static const unsigned rho_offsets[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                         27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
static const unsigned pi_lanes[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                                      15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

static uint64_t rotl64(uint64_t x, unsigned n) {
    return (x << n) | (x >> ((64 - n) & 63));
}

static void keccak_f1600(uint64_t a[25]) {
    for (unsigned round = 0; round < KECCAK_ROUNDS; round++) {
        uint64_t c[5];
        for (unsigned x = 0; x < 5; x++) { /* θ */
            c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
        }
        for (unsigned x = 0; x < 5; x++) {
            uint64_t d = c[(x + 4) % 5] ^ rotl64(c[(x + 1) % 5], 1);
            for (unsigned y = 0; y < 25; y += 5) {
                a[y + x] ^= d;
            }
        }
        uint64_t carry = a[1]; /* ρ and π together */
        for (unsigned i = 0; i < 24; i++) {
            unsigned lane = pi_lanes[i];
            uint64_t next = a[lane];
            a[lane] = rotl64(carry, rho_offsets[i]);
            carry = next;
        }
        for (unsigned y = 0; y < 25; y += 5) { /* χ */
            uint64_t row[5];
            memcpy(row, &a[y], sizeof row);
            for (unsigned x = 0; x < 5; x++) {
                a[y + x] = row[x] ^ (~row[(x + 1) % 5] & row[(x + 2) % 5]);
            }
        }
        a[0] ^= round_constants[round]; /* ι */
    }
}

/* XORs one full rate block (little-endian lanes) into the state and permutes. */
static void absorb_block(uint64_t state[25], const uint8_t block[RATE]) {
    for (unsigned i = 0; i < RATE / 8; i++) {
        uint64_t lane = 0;
        for (unsigned b = 0; b < 8; b++) {
            lane |= (uint64_t)block[8 * i + b] << (8 * b);
        }
        state[i] ^= lane;
    }
    keccak_f1600(state);
}

TKMS_EXPORT void tkms_prim_keccak256_init(tkms_prim_keccak256_ctx *ctx) {
    TKMS_ASSERT(ctx != NULL);
    memset(ctx, 0, sizeof *ctx);
}

TKMS_EXPORT void tkms_prim_keccak256_update(tkms_prim_keccak256_ctx *ctx, const uint8_t *in,
                                            size_t len) {
    TKMS_ASSERT(ctx != NULL && ctx->buffer_len < RATE);
    TKMS_ASSERT(in != NULL || len == 0);
    while (len > 0) {
        size_t take = RATE - ctx->buffer_len;
        if (take > len) {
            take = len;
        }
        memcpy(ctx->buffer + ctx->buffer_len, in, take);
        ctx->buffer_len += take;
        in += take;
        len -= take;
        if (ctx->buffer_len == RATE) {
            absorb_block(ctx->state, ctx->buffer);
            ctx->buffer_len = 0;
        }
    }
}

TKMS_EXPORT void tkms_prim_keccak256_final(uint8_t out[TKMS_PRIM_KECCAK256_BYTES],
                                           tkms_prim_keccak256_ctx *ctx) {
    TKMS_ASSERT(ctx != NULL && out != NULL);
    TKMS_ASSERT(ctx->buffer_len < RATE);
    memset(ctx->buffer + ctx->buffer_len, 0, RATE - ctx->buffer_len);
    ctx->buffer[ctx->buffer_len] ^= 0x01; /* Keccak padding: 0x01 … 0x80 (may be one byte) */
    ctx->buffer[RATE - 1] ^= 0x80;
    absorb_block(ctx->state, ctx->buffer);
    for (unsigned i = 0; i < TKMS_PRIM_KECCAK256_BYTES; i++) {
        out[i] = (uint8_t)(ctx->state[i / 8] >> (8 * (i % 8)));
    }
    tkms_wipe(ctx, sizeof *ctx);
}

TKMS_EXPORT void tkms_prim_keccak256(uint8_t out[TKMS_PRIM_KECCAK256_BYTES], const uint8_t *in,
                                     size_t len) {
    tkms_prim_keccak256_ctx ctx;
    tkms_prim_keccak256_init(&ctx);
    tkms_prim_keccak256_update(&ctx, in, len);
    tkms_prim_keccak256_final(out, &ctx);
}
