/*
 * net_util.c — small text helpers of the network part of the client: hex, addresses,
 * and sanitizing what a node said before it reaches a terminal or a log line.
 * Nothing here is secret; none of it allocates.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "chain/chain.h"
#include "client/net_internal.h"
#include "common/tkms_assert.h"

void client_hex(char *out, const uint8_t *in, size_t len) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = 0;
}

void client_address_hex(char out[TKMS_CLIENT_APP_ID_BYTES], const uint8_t address[20]) {
    tkms_chain_address a;
    memcpy(a.bytes, address, 20);
    tkms_chain_address_format(out, &a);
}

static int nibble(char c, bool lower_only) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (!lower_only && c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

bool client_address_parse(uint8_t out[20], const char *text) {
    tkms_chain_address a;
    /* exactly "0x" + 40 hex: the chain parser alone would also take it without the prefix */
    if (text == NULL || strlen(text) != 42 || text[0] != '0' || text[1] != 'x' ||
        tkms_chain_address_parse(&a, text) != TKMS_OK) {
        return false;
    }
    memcpy(out, a.bytes, 20);
    return true;
}

bool client_unhex_lower(uint8_t *out, size_t *out_len, size_t max, const char *hex,
                        size_t hex_len) {
    *out_len = 0;
    if (hex_len % 2 != 0 || hex_len / 2 > max) {
        return false;
    }
    for (size_t i = 0; i < hex_len / 2; i++) {
        int hi = nibble(hex[2 * i], true), lo = nibble(hex[2 * i + 1], true);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    *out_len = hex_len / 2;
    return true;
}

void client_detail(char *out, size_t max, const char *text) {
    TKMS_ASSERT(max > 0);
    size_t i = 0;
    for (; text != NULL && text[i] != 0 && i + 1 < max; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    out[i] = 0;
}

void client_error_detail(char *out, size_t max, long status, const char *body) {
    json_t *root = body ? json_loads(body, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *code = json_string_value(json_object_get(json_object_get(root, "error"), "code"));
    char clean[64];
    client_detail(clean, sizeof clean, code ? code : "");
    snprintf(out, max, code ? "HTTP %ld %s" : "HTTP %ld", status, clean);
    json_decref(root);
}

TKMS_EXPORT bool tkms_client_app_id_is_valid(const char *app_id) {
    if (app_id == NULL || strlen(app_id) != 42 || app_id[0] != '0' || app_id[1] != 'x') {
        return false;
    }
    for (size_t i = 2; i < 42; i++) {
        if (nibble(app_id[i], true) < 0) {
            return false;
        }
    }
    return true;
}
