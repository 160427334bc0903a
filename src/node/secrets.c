/*
 * secrets.c — the work behind POST /v1/secrets (api.md), in its order of checks:
 *   1–2 size limits and JSON shape (secrets_request_parse: a flat object of known fields,
 *       each with its own cap; the RSA key is checked here, before any expensive work);
 *   3   attestation with the binding sha256(rsa_pubkey ‖ extra_data): dev-ecdsa
 *       (dev_attest.c + the app's on-chain owner) or gcp / sev-snp (src/attest);
 *   4   the attested app id equals app_id (gcp; dev-ecdsa proves it by ownership; sev-snp
 *       carries none and is authorized by image digest alone, as docs/attestation.md says);
 *   5   the attested image digest equals the app's latest on-chain release (dev-ecdsa:
 *       the release's by definition — it proves ownership, not code identity);
 *   6   partials of the two newest held versions, or of `version` (protocol.md §5),
 *       σ = s·H1(id), RSA-OAEP-wrapped to the request's key (crypto.md §7, §9).
 * Each step returns a node error with a message that names what failed; no message holds
 * an attestation token, a share or a partial. The handler (api_app.c) renders.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "node/http_internal.h"
#include "node/log.h"
#include "prim/prim.h"
#include "tss/tss.h"

#define B64_LEN_MAX(bytes) ((((size_t)(bytes) + 2) / 3) * 4)

/* ---- 1–2: shape ------------------------------------------------------------------------- */

/* A flat object of at most SECRETS_FIELDS_MAX members, checked on the raw bytes so that a
   hostile body (deep nesting, millions of tiny values) never reaches the DOM builder. */
static bool shape_scan(const uint8_t *body, size_t len) {
    unsigned depth = 0, members = 1;
    bool in_string = false, escaped = false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = body[i];
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else {
                escaped = c == '\\';
                in_string = c != '"';
            }
            continue;
        }
        in_string = c == '"';
        if (c == '[' || (c == '{' && ++depth > 1)) {
            return false;
        }
        members += depth == 1 && c == ',' ? 1 : 0;
    }
    return members <= SECRETS_FIELDS_MAX;
}

static const char *const known_fields[] = {"app_id",      "attestation_method", "version",
                                           "attestation", "rsa_pubkey",         "challenge",
                                           "extra_data",  "init_data"};

static tkms_err fail(char *message, size_t max, tkms_err err, const char *fmt, const char *arg) {
    snprintf(message, max, fmt, arg);
    return err;
}

/* A base64 string field into a new buffer of at most max_bytes (absent: ok, NULL). */
static tkms_err b64_field(uint8_t **out, size_t *out_len, char *message, size_t mmax, json_t *root,
                          const char *key, size_t max_bytes) {
    json_t *v = json_object_get(root, key);
    if (v == NULL) {
        return TKMS_OK;
    }
    const char *text = json_string_value(v);
    size_t len = json_string_length(v);
    if (text == NULL || len > B64_LEN_MAX(max_bytes)) {
        snprintf(message, mmax, "%s must be a base64 string of at most %zu bytes", key, max_bytes);
        return TKMS_ERR_NODE_HTTP_BAD_FIELD;
    }
    *out = malloc(len / 4 * 3 + 1);
    if (*out == NULL) {
        return fail(message, mmax, TKMS_ERR_NODE_HTTP_OVERLOADED, "%s", "out of memory");
    }
    if (tkms_prim_base64_decode(*out, out_len, len / 4 * 3 + 1, text, len) != TKMS_OK ||
        *out_len > max_bytes) {
        return fail(message, mmax, TKMS_ERR_NODE_HTTP_BAD_FIELD,
                    "%s is not canonical padded base64 (or too long)", key);
    }
    return TKMS_OK;
}

static tkms_err app_id_field(secrets_request *out, char *message, size_t max) {
    const char *id = json_string_value(json_object_get(out->root, "app_id"));
    size_t len = id != NULL ? strlen(id) : 0;
    if (len != SECRETS_APP_ID_BYTES || id[0] != '0' || id[1] != 'x' ||
        strspn(id + 2, "0123456789abcdef") != 40 || !http_hex_parse(out->app, 20, id, len, true)) {
        return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD, "%s",
                    "app_id must be the app's address as lowercase 0x hex (40 digits)");
    }
    memcpy(out->app_id, id, len + 1);
    return TKMS_OK;
}

static tkms_err method_field(secrets_request *out, char *message, size_t max) {
    const char *m = json_string_value(json_object_get(out->root, "attestation_method"));
    static const struct {
        const char *name;
        secrets_method method;
    } methods[] = {{"dev-ecdsa", SECRETS_METHOD_DEV_ECDSA},
                   {"gcp", SECRETS_METHOD_GCP},
                   {"sev-snp", SECRETS_METHOD_SEV_SNP}};
    for (size_t i = 0; m != NULL && i < 3; i++) {
        if (strcmp(m, methods[i].name) == 0) {
            out->method = methods[i].method;
            out->method_name = methods[i].name;
            return TKMS_OK;
        }
    }
    return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD, "%s",
                "attestation_method must be \"dev-ecdsa\", \"gcp\" or \"sev-snp\"");
}

/* version (optional integer >= 0), challenge (dev-ecdsa only), init_data (sev-snp only). */
static tkms_err optional_fields(secrets_request *out, char *message, size_t max) {
    json_t *version = json_object_get(out->root, "version");
    if (version != NULL && (!json_is_integer(version) || json_integer_value(version) < 0)) {
        return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD, "%s",
                    "version must be a non-negative integer");
    }
    out->has_version = version != NULL;
    out->version = version != NULL ? (uint64_t)json_integer_value(version) : 0;
    json_t *challenge = json_object_get(out->root, "challenge");
    bool dev = out->method == SECRETS_METHOD_DEV_ECDSA;
    out->challenge = json_string_value(challenge);
    if (dev != (challenge != NULL) || (dev && out->challenge == NULL) ||
        json_string_length(challenge) > DEV_ATTEST_CHALLENGE_BYTES_MAX) {
        return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD, "%s",
                    "challenge: a string, required with dev-ecdsa and only with it");
    }
    if (json_object_get(out->root, "init_data") != NULL && out->method != SECRETS_METHOD_SEV_SNP) {
        return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD, "%s",
                    "init_data is only for sev-snp");
    }
    json_t *extra = json_object_get(out->root, "extra_data");
    out->extra_data_b64 = extra != NULL ? json_string_value(extra) : "";
    return TKMS_OK;
}

/* The RSA key: a string of at most 8192 bytes that prim accepts (PEM SPKI, RSA, 2048..8192
   bits). A zero-sized output buffer makes prim stop right after loading the key. */
static tkms_err rsa_field(secrets_request *out, char *message, size_t max) {
    json_t *v = json_object_get(out->root, "rsa_pubkey");
    out->rsa_pubkey = json_string_value(v);
    out->rsa_pubkey_len = json_string_length(v);
    if (out->rsa_pubkey == NULL || out->rsa_pubkey_len > TKMS_PRIM_RSA_PEM_BYTES_MAX) {
        return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD, "%s",
                    "rsa_pubkey must be a PEM string of at most 8192 bytes");
    }
    uint8_t none[1];
    size_t none_len = 0;
    tkms_err err = tkms_prim_rsa_oaep_encrypt(none, &none_len, 0, out->rsa_pubkey,
                                              out->rsa_pubkey_len, none, 1);
    if (err == TKMS_ERR_PRIM_LENGTH) {
        return TKMS_OK; /* the key loaded and passed the size check */
    }
    return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD,
                "rsa_pubkey: %s (a PEM SubjectPublicKeyInfo RSA key of 2048..8192 bits)",
                tkms_err_name(err));
}

static tkms_err parse_fields(secrets_request *out, char *message, size_t max) {
    const char *key;
    json_t *value;
    json_object_foreach(out->root, key, value) {
        bool known = false;
        for (size_t i = 0; i < sizeof known_fields / sizeof known_fields[0]; i++) {
            known = known || strcmp(key, known_fields[i]) == 0;
        }
        if (!known || (!json_is_string(value) && strcmp(key, "version") != 0)) {
            return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD,
                        known ? "%.40s must be a string" : "unknown field \"%.40s\"", key);
        }
    }
    tkms_err err = app_id_field(out, message, max);
    err = err != TKMS_OK ? err : method_field(out, message, max);
    err = err != TKMS_OK ? err : optional_fields(out, message, max);
    err = err != TKMS_OK ? err : rsa_field(out, message, max);
    if (err == TKMS_OK && json_object_get(out->root, "attestation") == NULL) {
        err = fail(message, max, TKMS_ERR_NODE_HTTP_BAD_FIELD, "%s", "attestation is required");
    }
    err = err != TKMS_OK ? err
                         : b64_field(&out->attestation, &out->attestation_len, message, max,
                                     out->root, "attestation", TKMS_ATTEST_EVIDENCE_BYTES_MAX);
    err = err != TKMS_OK ? err
                         : b64_field(&out->extra_data, &out->extra_data_len, message, max,
                                     out->root, "extra_data", SECRETS_EXTRA_DATA_BYTES_MAX);
    err = err != TKMS_OK ? err
                         : b64_field(&out->init_data, &out->init_data_len, message, max, out->root,
                                     "init_data", TKMS_ATTEST_INIT_DATA_BYTES_MAX);
    return err;
}

tkms_err secrets_request_parse(secrets_request *out, char *message, size_t max, const uint8_t *body,
                               size_t len) {
    memset(out, 0, sizeof *out);
    message[0] = 0;
    if (body == NULL || len == 0 || !shape_scan(body, len)) {
        return fail(message, max, TKMS_ERR_NODE_HTTP_BAD_REQUEST, "%s",
                    "the body must be one flat JSON object");
    }
    json_error_t jerr;
    out->root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (out->root == NULL || !json_is_object(out->root)) {
        snprintf(message, max, "malformed JSON (line %d, column %d): %.80s", jerr.line, jerr.column,
                 out->root == NULL ? jerr.text : "not an object");
        return TKMS_ERR_NODE_HTTP_BAD_REQUEST;
    }
    tkms_err err = parse_fields(out, message, max);
    if (err == TKMS_OK) {
        tkms_attest_binding binding;
        tkms_attest_binding_from_request(&binding, (const uint8_t *)out->rsa_pubkey,
                                         out->rsa_pubkey_len, out->extra_data, out->extra_data_len);
        memcpy(out->binding, binding.hash, 32);
    }
    return err;
}

void secrets_request_clear(secrets_request *r) {
    json_decref(r->root);
    free(r->attestation);
    free(r->extra_data);
    free(r->init_data);
    memset(r, 0, sizeof *r);
}
