/*
 * wrap.c — a partial signature as it travels to an app (crypto.md §9): RSA-OAEP-SHA256 of
 * the eigenx-compatible JSON {"CompressedBytes":"<base64 of the 48-byte G1 point>"}.
 *
 * The node wraps; the app unwraps with its ephemeral private key and gets a strictly
 * decoded G1 point (length, flags, curve, subgroup). The JSON is parsed strictly with
 * jansson (one object, exactly that key, no duplicates, nothing trailing).
 */
#include <jansson.h>
#include <string.h>

#include "bls/bls.h"
#include "client/client.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

TKMS_EXPORT tkms_err tkms_client_partial_wrap(uint8_t *out, size_t *out_len, size_t out_max,
                                              const tkms_bls_g1 *partial, const char *pem,
                                              size_t pem_len) {
    uint8_t enc[TKMS_BLS_G1_BYTES];
    char b64[TKMS_BLS_G1_BYTES * 2], json[128];
    tkms_bls_g1_encode(enc, partial);
    tkms_err err = tkms_prim_base64_encode(b64, sizeof b64, enc, sizeof enc);
    if (err != TKMS_OK) {
        return err;
    }
    int n = snprintf(json, sizeof json, "{\"CompressedBytes\":\"%s\"}", b64);
    err = tkms_prim_rsa_oaep_encrypt(out, out_len, out_max, pem, pem_len, (const uint8_t *)json,
                                     (size_t)n);
    tkms_wipe(json, sizeof json);
    tkms_wipe(b64, sizeof b64);
    tkms_wipe(enc, sizeof enc);
    return err;
}

/* Parses the JSON body into the 48 encoded bytes (internal.h: also the fuzz entry). */
tkms_err client_partial_parse(uint8_t enc[TKMS_BLS_G1_BYTES], const uint8_t *json, size_t len) {
    json_error_t jerr;
    json_t *root = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, &jerr);
    tkms_err err = TKMS_ERR_CLIENT_BAD_WRAP;
    if (root != NULL && json_is_object(root) && json_object_size(root) == 1) {
        json_t *v = json_object_get(root, "CompressedBytes");
        size_t n = 0;
        if (json_is_string(v) &&
            tkms_prim_base64_decode(enc, &n, TKMS_BLS_G1_BYTES, json_string_value(v),
                                    json_string_length(v)) == TKMS_OK &&
            n == TKMS_BLS_G1_BYTES) {
            err = TKMS_OK;
        }
    }
    json_decref(root);
    return err;
}

TKMS_EXPORT tkms_err tkms_client_partial_unwrap(tkms_bls_g1 *partial, const uint8_t *wrapped,
                                                size_t wrapped_len, const char *private_pem,
                                                size_t pem_len) {
    uint8_t plain[1024], enc[TKMS_BLS_G1_BYTES];
    size_t plain_len = 0;
    tkms_bls_g1_identity(partial);
    tkms_err err = tkms_prim_rsa_oaep_decrypt(plain, &plain_len, sizeof plain, private_pem,
                                              pem_len, wrapped, wrapped_len);
    if (err == TKMS_OK) {
        err = client_partial_parse(enc, plain, plain_len);
    }
    if (err == TKMS_OK) {
        err = tkms_bls_g1_decode(partial, enc);
    }
    tkms_wipe(plain, sizeof plain);
    return err;
}
