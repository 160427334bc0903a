/*
 * fuzz_envelope.c — libFuzzer target for the peer-envelope decoders (protocol.md §8).
 * Byte 0 picks the form: 0 = binary, anything else = JSON (the rest of the input).
 * Every input must end in a listed error, never a crash. An accepted envelope must
 * re-encode to exactly the input (binary), and both forms must carry it unchanged through
 * the other one (binary -> JSON -> binary and JSON -> binary -> JSON).
 */
#include <string.h>

#include "../fuzz/fuzz_check.h"
#include "proto/wire.h"

static bool is_error(tkms_err e) {
    return (e >= TKMS_ERR_PROTO_RECORD_TRUNCATED &&
            e <= TKMS_ERR_PROTO_RECORD_THRESHOLD_ABOVE_PLAYERS) ||
           (e >= TKMS_ERR_PROTO_ENVELOPE_TRUNCATED && e <= TKMS_ERR_PROTO_ENVELOPE_EPOCH_RANGE) ||
           (e >= TKMS_ERR_PROTO_JSON_TOO_LARGE && e <= TKMS_ERR_PROTO_JSON_ADDRESS);
}

/* env through the JSON form and back, and through the binary form and back. */
static void check_both_forms(const tkms_proto_envelope *env) {
    static const tkms_proto_domain domain = {1, {0}};
    static const uint8_t pub[32] = {0x3b, 0x6a, 0x27, 0xbc};
    static char json[TKMS_PROTO_ENVELOPE_JSON_BYTES_MAX + 1];
    static uint8_t bin[TKMS_PROTO_ENVELOPE_BYTES_MAX];
    static tkms_proto_envelope back;
    size_t len = 0;
    FUZZ_CHECK(tkms_proto_envelope_json_encode(json, sizeof json, &len, env) == TKMS_OK);
    FUZZ_CHECK(tkms_proto_envelope_json_decode(&back, json, len) == TKMS_OK);
    FUZZ_CHECK(memcmp(&back, env, sizeof back) == 0);
    FUZZ_CHECK(tkms_proto_envelope_encode(bin, sizeof bin, &len, env) == TKMS_OK);
    FUZZ_CHECK(tkms_proto_envelope_decode(&back, bin, len) == TKMS_OK);
    FUZZ_CHECK(memcmp(&back, env, sizeof back) == 0);
    tkms_err err = tkms_proto_envelope_verify(env, &domain, pub);
    FUZZ_CHECK(err == TKMS_OK || err == TKMS_ERR_PROTO_ENVELOPE_SIGNATURE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static tkms_proto_envelope env;
    static uint8_t bin[TKMS_PROTO_ENVELOPE_BYTES_MAX];
    if (size == 0) {
        return 0;
    }
    tkms_err err;
    if (data[0] == 0) {
        err = tkms_proto_envelope_decode(&env, data + 1, size - 1);
        if (err == TKMS_OK) {
            size_t len = 0;
            FUZZ_CHECK(tkms_proto_envelope_encode(bin, sizeof bin, &len, &env) == TKMS_OK);
            FUZZ_CHECK(len == size - 1);
            FUZZ_CHECK(memcmp(bin, data + 1, len) == 0);
        }
    } else {
        err = tkms_proto_envelope_json_decode(&env, (const char *)data + 1, size - 1);
    }
    if (err != TKMS_OK) {
        FUZZ_CHECK(is_error(err));
        return 0;
    }
    check_both_forms(&env);
    return 0;
}
