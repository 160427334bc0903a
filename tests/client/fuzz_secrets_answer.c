/*
 * fuzz_secrets_answer.c — libFuzzer target for a node's /v1/secrets answer (api.md), the
 * parser every byte a node sends goes through (client_secrets_answer_parse). An accepted
 * answer must be internally consistent: 1..8 partials of distinct versions, each a
 * non-empty RSA block, lowercase even-length hex env, a canonical public env object.
 */
#include <stdlib.h>
#include <string.h>

#include "client/net_internal.h"

static const uint8_t OPERATOR[20] = {0x11, 0x22, 0x33};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    client_secrets_answer a;
    char detail[TKMS_CLIENT_DETAIL_BYTES];
    tkms_client_operator_status s =
        client_secrets_answer_parse(&a, detail, sizeof detail, (const char *)data, size, OPERATOR);
    if (s == TKMS_CLIENT_OPERATOR_OK) {
        if (a.partial_count == 0 || a.partial_count > TKMS_CLIENT_PARTIALS_MAX ||
            a.encrypted_env == NULL || a.public_env == NULL || strlen(a.encrypted_env) % 2 != 0) {
            abort();
        }
        for (uint32_t i = 0; i < a.partial_count; i++) {
            if (a.wrapped_len[i] == 0 || a.wrapped_len[i] > TKMS_CLIENT_WRAPPED_BYTES_MAX) {
                abort();
            }
            for (uint32_t j = 0; j < i; j++) {
                if (a.versions[i] == a.versions[j]) {
                    abort();
                }
            }
        }
        client_secrets_answer_clear(&a);
    } else if (s != TKMS_CLIENT_OPERATOR_MALFORMED && s != TKMS_CLIENT_OPERATOR_WRONG_IDENTITY) {
        abort();
    } else if (strlen(detail) >= sizeof detail) {
        abort();
    }
    return 0;
}
