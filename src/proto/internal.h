/* internal.h — what the files of the state machine share (state.c, epoch.c, group_bls.c). */
#ifndef TKMS_PROTO_INTERNAL_H
#define TKMS_PROTO_INTERNAL_H

#include "proto/proto.h"

/* HMAC-SHA256 DRBG: block i = HMAC(key, be64(i) ‖ label); *counter advances. */
typedef struct {
    const uint8_t *key;
    uint64_t *counter;
    const char *label;
} proto_drbg;

void proto_drbg_block(uint8_t out[32], const uint8_t key[32], uint64_t counter,
                      const char *label);
tkms_rng proto_drbg_rng(proto_drbg *d);

/* Epoch keys: a fresh key first used for `epoch`; the private key of a published one. */
const uint8_t *proto_key_new(tkms_proto_state *s, uint64_t epoch, const uint8_t keep[32]);
const uint8_t *proto_key_private(const tkms_proto_state *s, const uint8_t pub[32]);

/* A free version slot, or NULL. */
tkms_proto_version *proto_version_slot(tkms_proto_state *s);

#endif
