/*
 * fuzz_record.c — libFuzzer target for the dealing-record decoder (protocol.md §4.3) and
 * everything a node runs on a record it received: decode, canonical re-encoding, the
 * validity rules (strict G2 decoding of every commitment), the signature check and
 * opening entry 0 with a fixed key. Every input must end in a listed error, never a crash,
 * and an accepted record must re-encode to exactly the input bytes.
 */
#include <string.h>

#include "../fuzz/fuzz_check.h"
#include "proto/wire.h"

static bool is_decode_error(tkms_err e) {
    return e == TKMS_ERR_PROTO_RECORD_TRUNCATED || e == TKMS_ERR_PROTO_RECORD_TRAILING ||
           e == TKMS_ERR_PROTO_RECORD_VERSION || e == TKMS_ERR_PROTO_RECORD_THRESHOLD_RANGE ||
           e == TKMS_ERR_PROTO_RECORD_PLAYERS_RANGE ||
           e == TKMS_ERR_PROTO_RECORD_THRESHOLD_ABOVE_PLAYERS;
}

static bool is_share_error(tkms_err e) {
    return e == TKMS_OK || e == TKMS_ERR_PROTO_SHARE_EMPTY || e == TKMS_ERR_PROTO_SHARE_AEAD ||
           e == TKMS_ERR_PROTO_SHARE_LOW_ORDER || e == TKMS_ERR_PROTO_SHARE_RANGE ||
           e == TKMS_ERR_PROTO_SHARE_INVALID;
}

static void check_validate(const tkms_proto_record *r) {
    static const tkms_proto_domain domain = {31337, {0xe7, 0xf1}};
    static const uint8_t priv[32] = {7, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    static const uint8_t pub[32] = {0x3b, 0x6a, 0x27, 0xbc};
    tkms_proto_record_expect e;
    memset(&e, 0, sizeof e);
    e.epoch = r->header.epoch;
    memcpy(e.dealer, r->header.dealer, sizeof e.dealer);
    e.source = r->header.source;
    e.threshold = r->header.threshold;
    e.players = r->players;
    tkms_proto_record_hash(e.committed_hash, &domain, r);
    tkms_bls_g2 pk;
    tkms_bls_g2_generator(&pk);
    e.reshare_constant = r->header.source == TKMS_PROTO_DKG_SOURCE ? NULL : &pk;
    tkms_tss_commitments c;
    tkms_err err = tkms_proto_record_validate(&c, r, &domain, &e);
    FUZZ_CHECK(err == TKMS_OK || err == TKMS_ERR_PROTO_RECORD_COMMITMENT_INVALID ||
               err == TKMS_ERR_PROTO_RECORD_COMMITMENT_IDENTITY ||
               err == TKMS_ERR_PROTO_RECORD_RESHARE_CONSTANT);
    err = tkms_proto_record_signature_verify(r, &domain, pub);
    FUZZ_CHECK(err == TKMS_OK || err == TKMS_ERR_PROTO_RECORD_SIGNATURE);
    tkms_tss_secret s;
    if (tkms_proto_record_commitments_decode(&c, NULL, NULL, r->commitments,
                                             r->header.threshold) == TKMS_OK) {
        err = tkms_proto_record_share_open(&s, r, &c, 0, r->header.dealer, priv);
    } else {
        err = tkms_proto_record_share_decrypt(&s, r, 0, r->header.dealer, priv);
    }
    FUZZ_CHECK(is_share_error(err));
    FUZZ_CHECK(err == TKMS_OK || tkms_bls_fr_is_zero(&s.v));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    tkms_proto_record r;
    tkms_err err = tkms_proto_record_decode(&r, data, size);
    if (err != TKMS_OK) {
        FUZZ_CHECK(is_decode_error(err));
        return 0;
    }
    uint8_t buf[TKMS_PROTO_RECORD_BYTES_MAX];
    size_t len = 0;
    FUZZ_CHECK(tkms_proto_record_encode(buf, sizeof buf, &len, &r) == TKMS_OK);
    FUZZ_CHECK(len == size);
    FUZZ_CHECK(memcmp(buf, data, size) == 0);
    check_validate(&r);
    return 0;
}
