/*
 * net_pubkey.c — cross-checks what each operator serves on GET /v1/pubkey (api.md)
 * against the version's public state derived from chain: version, threshold, MPK,
 * combined commitments, dealer set, chain id and EpochLog, and for every operator the
 * node lists, its evaluation point x = keccak256(address) mod r and its public share.
 * The first difference is named; a node that differs is blamed (MISMATCH).
 *
 * The chain is the reference here, never a node: this is how an operator (or anyone)
 * spots a node whose view diverged. Nothing secret is involved.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "client/client.h"
#include "client/net_internal.h"
#include "common/tkms_assert.h"

/* text is hex (optional 0x, either case) of exactly these bytes. */
static bool hex_equals(const char *text, const uint8_t *bytes, size_t len) {
    char want[2 * TKMS_BLS_G2_BYTES + 1];
    TKMS_ASSERT(len <= TKMS_BLS_G2_BYTES);
    if (text == NULL) {
        return false;
    }
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text += 2;
    }
    client_hex(want, bytes, len);
    return strlen(text) == 2 * len && strncasecmp(text, want, 2 * len) == 0;
}

static bool u64_field(json_t *root, const char *key, uint64_t want) {
    json_t *v = json_object_get(root, key);
    return json_is_integer(v) && json_integer_value(v) >= 0 &&
           (uint64_t)json_integer_value(v) == want;
}

static const char *check_commitments(json_t *root, const tkms_client_version *v) {
    json_t *list = json_object_get(root, "commitments");
    if (!json_is_array(list) || json_array_size(list) != v->t) {
        return "commitments: wrong count";
    }
    for (uint32_t k = 0; k < v->t; k++) {
        uint8_t enc[TKMS_BLS_G2_BYTES];
        tkms_bls_g2_encode(enc, &v->combined.c[k]);
        if (!hex_equals(json_string_value(json_array_get(list, k)), enc, sizeof enc)) {
            return "commitments differ from chain";
        }
    }
    return NULL;
}

static const char *check_dealers(json_t *root, const tkms_client_version *v) {
    json_t *list = json_object_get(root, "dealers");
    if (!json_is_array(list) || json_array_size(list) != v->dealer_count) {
        return "dealers: wrong count";
    }
    for (uint32_t i = 0; i < v->dealer_count; i++) {
        uint8_t a[20];
        bool found = false;
        if (!client_address_parse(a, json_string_value(json_array_get(list, i)))) {
            return "dealers: not addresses";
        }
        for (uint32_t j = 0; j < v->dealer_count && !found; j++) {
            found = memcmp(a, v->dealers[j], 20) == 0;
        }
        if (!found) {
            return "dealers differ from chain";
        }
    }
    return NULL;
}

static const char *check_operator(json_t *item, const tkms_client_version *v) {
    uint8_t a[20], x_enc[TKMS_BLS_FR_BYTES], pk_enc[TKMS_BLS_G2_BYTES];
    if (!client_address_parse(a, json_string_value(json_object_get(item, "address")))) {
        return "operators: bad address";
    }
    bool member = false;
    for (uint32_t j = 0; j < v->operator_count && !member; j++) {
        member = memcmp(a, v->operators[j], 20) == 0;
    }
    tkms_bls_fr x;
    tkms_bls_g2 pk;
    if (!member || tkms_tss_point_from_address(&x, a) != TKMS_OK ||
        tkms_client_public_share(&pk, v, a) != TKMS_OK) {
        return "operators: lists an address outside the version's operator set";
    }
    tkms_bls_fr_encode(x_enc, &x);
    tkms_bls_g2_encode(pk_enc, &pk);
    if (!hex_equals(json_string_value(json_object_get(item, "x")), x_enc, sizeof x_enc)) {
        return "operators: x differs from keccak256(address) mod r";
    }
    if (!hex_equals(json_string_value(json_object_get(item, "public_share")), pk_enc,
                    sizeof pk_enc)) {
        return "operators: public_share differs from chain";
    }
    return NULL;
}

/* NULL when the answer matches, else what differs first. */
static const char *compare(json_t *root, const tkms_client_network *net,
                           const tkms_client_version *v) {
    uint8_t mpk[TKMS_BLS_G2_BYTES];
    tkms_bls_g2_encode(mpk, &net->mpk);
    if (!json_is_object(root)) {
        return "answer is not a JSON object";
    }
    if (!u64_field(root, "version", v->version)) {
        return "version differs";
    }
    if (!u64_field(root, "threshold", v->t)) {
        return "threshold differs from chain";
    }
    if (!hex_equals(json_string_value(json_object_get(root, "mpk")), mpk, sizeof mpk)) {
        return "mpk differs from chain";
    }
    if (net->chain_id != 0 && !u64_field(root, "chain_id", net->chain_id)) {
        return "chain_id differs";
    }
    if (!hex_equals(json_string_value(json_object_get(root, "epoch_log")), net->epoch_log, 20)) {
        return "epoch_log differs";
    }
    const char *why = check_commitments(root, v);
    why = why ? why : check_dealers(root, v);
    json_t *ops = json_object_get(root, "operators");
    if (why == NULL && (!json_is_array(ops) || json_array_size(ops) > TKMS_CLIENT_OPERATORS_MAX)) {
        why = "operators: not an array";
    }
    for (size_t i = 0; why == NULL && i < json_array_size(ops); i++) {
        why = check_operator(json_array_get(ops, i), v);
    }
    return why;
}

TKMS_EXPORT tkms_err tkms_client_pubkey_check(tkms_client_operator_report *out, uint32_t *agreeing,
                                              const tkms_client_network *net,
                                              const tkms_client_version *v,
                                              const tkms_client_http_options *http) {
    TKMS_ASSERT(net->operator_count <= TKMS_CLIENT_OPERATORS_MAX);
    TKMS_ASSERT(v->combined.t == v->t);
    *agreeing = 0;
    char urls[TKMS_CLIENT_OPERATORS_MAX][TKMS_CLIENT_URL_BYTES_MAX + 48];
    tkms_client_http_request reqs[TKMS_CLIENT_OPERATORS_MAX];
    tkms_client_http_response res[TKMS_CLIENT_OPERATORS_MAX];
    for (uint32_t i = 0; i < net->operator_count; i++) {
        char path[48];
        snprintf(path, sizeof path, "/v1/pubkey?version=%llu", (unsigned long long)v->version);
        tkms_err e = tkms_client_url_join(urls[i], sizeof urls[i], net->operators[i].app_url, path);
        reqs[i] = (tkms_client_http_request){e == TKMS_OK ? urls[i] : "invalid:", NULL, 0};
        memset(&out[i], 0, sizeof out[i]);
        memcpy(out[i].address, net->operators[i].address, 20);
    }
    tkms_err err = tkms_client_http_run(res, reqs, net->operator_count, http);
    for (uint32_t i = 0; err == TKMS_OK && i < net->operator_count; i++) {
        out[i].http_status = res[i].status;
        if (!res[i].answered) {
            out[i].status = TKMS_CLIENT_OPERATOR_UNREACHABLE;
            client_detail(out[i].detail, sizeof out[i].detail, res[i].error);
            continue;
        }
        if (res[i].status != 200) {
            out[i].status = TKMS_CLIENT_OPERATOR_REFUSED;
            client_error_detail(out[i].detail, sizeof out[i].detail, res[i].status, res[i].body);
            continue;
        }
        json_t *root = json_loadb(res[i].body, res[i].body_len, JSON_REJECT_DUPLICATES, NULL);
        const char *why = compare(root, net, v);
        json_decref(root);
        out[i].status = why ? TKMS_CLIENT_OPERATOR_MISMATCH : TKMS_CLIENT_OPERATOR_OK;
        client_detail(out[i].detail, sizeof out[i].detail, why ? why : "");
        *agreeing += why == NULL;
    }
    if (err == TKMS_OK) {
        tkms_client_http_clear(res, net->operator_count);
    }
    return err;
}
