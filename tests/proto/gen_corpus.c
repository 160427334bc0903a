/*
 * gen_corpus.c — writes the seed corpora of fuzz_record and fuzz_envelope
 * (tests/proto/corpus/<target>/seed_*): real dealt records (DKG, reshare, the largest),
 * records with invalid points or an identity C_0, truncated and padded ones, and signed
 * envelopes in both forms plus a few malformed JSON bodies. Deterministic (fixed seed),
 * so re-running it rewrites the same files. Usage: proto_gen_corpus <corpus dir>.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prim/prim.h"
#include "proto/wire.h"

static uint64_t state = 0x5eed;

static void gen_fill(void *ctx, uint8_t *out, size_t len) {
    (void)ctx;
    for (size_t i = 0; i < len; i++) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        out[i] = (uint8_t)(state >> 56);
    }
}

static const tkms_rng rng = {gen_fill, NULL};
static const tkms_proto_domain domain = {31337, {0xe7, 0xf1}};
static const uint8_t seed[32] = {1, 2, 3};
static const char *root;

static void put(const char *target, const char *name, uint8_t mode, const void *p, size_t n) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/seed_%s", root, target, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        exit(1);
    }
    if (mode != 0xff) {
        fwrite(&mode, 1, 1, f);
    }
    fwrite(p, 1, n, f);
    fclose(f);
}

static void deal(tkms_proto_record *r, uint16_t t, size_t n, uint64_t epoch, uint64_t source) {
    static tkms_proto_player players[64];
    memset(players, 0, sizeof players);
    for (size_t j = 0; j < n; j++) {
        players[j].address[0] = (uint8_t)(j + 1); /* ascending */
        uint8_t priv[32];
        gen_fill(NULL, priv, 32);
        tkms_prim_x25519_public(players[j].x25519, priv);
    }
    tkms_tss_poly f;
    tkms_proto_record_header h = {TKMS_PROTO_RECORD_VERSION, epoch, {0xd0}, source, t};
    if (tkms_tss_poly_random(&f, t, NULL, &rng) != TKMS_OK ||
        tkms_proto_record_deal(r, NULL, &domain, &h, &f, players, n, seed, &rng) != TKMS_OK) {
        fprintf(stderr, "deal failed\n");
        exit(1);
    }
    tkms_tss_poly_wipe(&f);
}

static size_t encode(uint8_t *buf, const tkms_proto_record *r) {
    size_t len = 0;
    if (tkms_proto_record_encode(buf, TKMS_PROTO_RECORD_BYTES_MAX + 16, &len, r) != TKMS_OK) {
        exit(1);
    }
    return len;
}

static void records(void) {
    static tkms_proto_record r;
    static uint8_t buf[TKMS_PROTO_RECORD_BYTES_MAX + 16];
    deal(&r, 3, 4, 5, TKMS_PROTO_DKG_SOURCE);
    size_t len = encode(buf, &r);
    put("fuzz_record", "dkg_3_of_4", 0xff, buf, len);
    put("fuzz_record", "truncated", 0xff, buf, len - 1);
    buf[len] = 0;
    put("fuzz_record", "trailing", 0xff, buf, len + 1);
    memset(r.commitments[0], 0, 96);
    r.commitments[0][0] = 0xc0;
    len = encode(buf, &r);
    put("fuzz_record", "identity_c0", 0xff, buf, len);
    r.commitments[1][5] ^= 1;
    len = encode(buf, &r);
    put("fuzz_record", "bad_point", 0xff, buf, len);
    deal(&r, 1, 1, 6, 4);
    len = encode(buf, &r);
    put("fuzz_record", "reshare_1_of_1", 0xff, buf, len);
    deal(&r, 64, 64, 7, TKMS_PROTO_DKG_SOURCE);
    len = encode(buf, &r);
    put("fuzz_record", "max_64_of_64", 0xff, buf, len);
}

static void envelopes(void) {
    static tkms_proto_envelope env;
    static uint8_t bin[TKMS_PROTO_ENVELOPE_BYTES_MAX];
    static char json[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1];
    size_t len = 0;
    memset(&env, 0, sizeof env);
    env.version = TKMS_PROTO_ENVELOPE_VERSION;
    env.epoch = 5;
    env.type = TKMS_PROTO_ENVELOPE_RECORD;
    env.from[0] = 0xd0;
    env.to[0] = 0x01;
    deal(&env.body.record, 2, 3, 5, TKMS_PROTO_DKG_SOURCE);
    tkms_proto_envelope_sign(&env, &domain, seed);
    if (tkms_proto_envelope_encode(bin, sizeof bin, &len, &env) != TKMS_OK) {
        exit(1);
    }
    put("fuzz_envelope", "bin_record", 0, bin, len);
    if (tkms_proto_envelope_json_encode(json, sizeof json, &len, &env) != TKMS_OK) {
        exit(1);
    }
    put("fuzz_envelope", "json_record", 1, json, len);
    memset(&env, 0, sizeof env);
    env.version = TKMS_PROTO_ENVELOPE_VERSION;
    env.epoch = 9;
    env.type = TKMS_PROTO_ENVELOPE_FETCH;
    env.from[19] = 0xaa;
    env.to_all = true;
    memset(env.body.record_hash, 0x42, 32);
    tkms_proto_envelope_sign(&env, &domain, seed);
    if (tkms_proto_envelope_encode(bin, sizeof bin, &len, &env) != TKMS_OK ||
        tkms_proto_envelope_json_encode(json, sizeof json, &len, &env) != TKMS_OK) {
        exit(1);
    }
    put("fuzz_envelope", "bin_fetch", 0, bin, tkms_proto_envelope_encoded_bytes(&env));
    put("fuzz_envelope", "json_fetch", 1, json, len);
    static const char dup[] = "{\"v\":1,\"v\":1}";
    put("fuzz_envelope", "json_duplicate", 1, dup, sizeof dup - 1);
    static const char extra[] = "{\"v\":1,\"epoch\":1,\"type\":\"fetch\",\"from\":\"0x\",\"to\":"
                                "\"*\",\"body\":\"0x\",\"sig\":\"0x\",\"x\":null}";
    put("fuzz_envelope", "json_extra_key", 1, extra, sizeof extra - 1);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <tests/proto/corpus>\n", argv[0]);
        return 2;
    }
    root = argv[1];
    records();
    envelopes();
    return 0;
}
