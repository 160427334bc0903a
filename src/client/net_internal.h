/* net_internal.h — what the network files of src/client share (net*.c, dev_attest.c). */
#ifndef TKMS_CLIENT_NET_INTERNAL_H
#define TKMS_CLIENT_NET_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/client.h"

/* Lowercase hex of len bytes, NUL-terminated; out holds 2·len + 1. */
void client_hex(char *out, const uint8_t *in, size_t len);
/* "0x" + 40 lowercase hex + NUL. */
void client_address_hex(char out[TKMS_CLIENT_APP_ID_BYTES], const uint8_t address[20]);
/* Strict "0x" + 40 hex (either case) → 20 bytes. */
bool client_address_parse(uint8_t out[20], const char *text);
/* Strict lowercase even-length hex → bytes; false on anything else or above max. */
bool client_unhex_lower(uint8_t *out, size_t *out_len, size_t max, const char *hex, size_t hex_len);
/* Copies at most max − 1 printable ASCII characters (others become '?'). */
void client_detail(char *out, size_t max, const char *text);

/* ---- /v1/secrets answers (net_secrets.c; also the fuzz entry) ---- */
#define CLIENT_WRAPPED_B64_BYTES_MAX (4 * ((TKMS_CLIENT_WRAPPED_BYTES_MAX + 2) / 3) + 1)

typedef struct {
    uint32_t partial_count;
    uint64_t versions[TKMS_CLIENT_PARTIALS_MAX];
    uint8_t wrapped[TKMS_CLIENT_PARTIALS_MAX][TKMS_CLIENT_WRAPPED_BYTES_MAX];
    size_t wrapped_len[TKMS_CLIENT_PARTIALS_MAX];
    char *encrypted_env; /* heap: lowercase hex as received (checked), may be "" */
    char *public_env;    /* heap: canonical JSON (compact, sorted keys) */
} client_secrets_answer;

/* Parses a 200 answer strictly (api.md). Returns TKMS_CLIENT_OPERATOR_OK,
   _MALFORMED or _WRONG_IDENTITY (operator field not the expected address), with a reason
   in detail. On anything but OK the answer holds nothing (cleared). */
tkms_client_operator_status client_secrets_answer_parse(client_secrets_answer *out, char *detail,
                                                        size_t detail_max, const char *body,
                                                        size_t len,
                                                        const uint8_t operator_address[20]);
void client_secrets_answer_clear(client_secrets_answer *a);

/* "HTTP <status> <code>" from an api.md error body (or just the status). */
void client_error_detail(char *out, size_t max, long status, const char *body);

#endif
