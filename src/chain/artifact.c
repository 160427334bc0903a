/*
 * artifact.c — contract artifacts written by the contracts build ({"contractName", "abi",
 * "bytecode", …}), canonical signatures from their JSON ABI (tuples expanded from
 * "components"), and human descriptions of revert data: Error(string), Panic(uint256)
 * and the artifact's custom errors with their decoded arguments.
 * Does not resolve library links (unlinked bytecode is refused as malformed).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

#define ARTIFACT_FILE_BYTES_MAX (32u << 20)
#define DESCRIBE_ITEMS_MAX 64

TKMS_EXPORT tkms_err tkms_chain_artifact_load(tkms_chain_artifact *out, const char *path) {
    TKMS_ASSERT(out != NULL && path != NULL);
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0) {
        return TKMS_ERR_IO;
    }
    if (!S_ISREG(st.st_mode) || (size_t)st.st_size > ARTIFACT_FILE_BYTES_MAX) {
        return TKMS_ERR_CHAIN_ARTIFACT_BAD;
    }
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
    const char *name = json_string_value(json_object_get(root, "contractName"));
    const char *bytecode = json_string_value(json_object_get(root, "bytecode"));
    json_t *abi = json_object_get(root, "abi");
    tkms_err err = TKMS_ERR_CHAIN_ARTIFACT_BAD;
    if (name != NULL && strlen(name) < sizeof out->name && bytecode != NULL && json_is_array(abi)) {
        err = tkms_chain_hex_decode_alloc(&out->bytecode, bytecode, TKMS_CHAIN_TX_DATA_BYTES_MAX);
        err = err == TKMS_OK && out->bytecode.len == 0 ? TKMS_ERR_CHAIN_ARTIFACT_BAD : err;
    }
    if (err == TKMS_OK) {
        snprintf(out->name, sizeof out->name, "%s", name);
        out->abi = json_incref(abi);
    } else {
        tkms_chain_bytes_free(&out->bytecode);
        err = err == TKMS_ERR_OUT_OF_MEMORY ? err : TKMS_ERR_CHAIN_ARTIFACT_BAD;
    }
    json_decref(root);
    return err;
}

TKMS_EXPORT void tkms_chain_artifact_free(tkms_chain_artifact *a) {
    if (a == NULL) {
        return;
    }
    tkms_chain_bytes_free(&a->bytecode);
    json_decref(a->abi);
    memset(a, 0, sizeof *a);
}

/* Appends the canonical type of one ABI parameter ("tuple[]" → "(…)[]"). */
static bool param_format(chain_buf *b, const json_t *param, unsigned depth) {
    const char *type = json_string_value(json_object_get(param, "type"));
    if (type == NULL || depth > TKMS_CHAIN_ABI_DEPTH_MAX) {
        return false;
    }
    if (strncmp(type, "tuple", 5) != 0) {
        chain_buf_put(b, (const uint8_t *)type, strlen(type));
        return true;
    }
    const json_t *components = json_object_get(param, "components");
    if (!json_is_array(components)) {
        return false;
    }
    chain_buf_put_byte(b, '(');
    for (size_t i = 0; i < json_array_size(components); i++) {
        if (i > 0) {
            chain_buf_put_byte(b, ',');
        }
        if (!param_format(b, json_array_get(components, i), depth + 1)) {
            return false;
        }
    }
    chain_buf_put_byte(b, ')');
    chain_buf_put(b, (const uint8_t *)type + 5, strlen(type + 5)); /* array suffixes */
    return true;
}

/* "(t1,t2 indexed,…)" from an inputs/outputs array; indexed markers when events. */
static bool params_format(chain_buf *b, const json_t *params, bool events) {
    if (!json_is_array(params)) {
        return false;
    }
    chain_buf_put_byte(b, '(');
    for (size_t i = 0; i < json_array_size(params); i++) {
        const json_t *p = json_array_get(params, i);
        if (i > 0) {
            chain_buf_put_byte(b, ',');
        }
        if (!param_format(b, p, 0)) {
            return false;
        }
        if (events && json_is_true(json_object_get(p, "indexed"))) {
            chain_buf_put(b, (const uint8_t *)" indexed", 8);
        }
    }
    chain_buf_put_byte(b, ')');
    return true;
}

static tkms_err buf_to_string(char *out, size_t size, chain_buf *b) {
    chain_buf_put_byte(b, 0);
    tkms_err err = b->error;
    if (err == TKMS_OK && b->len > size) {
        err = TKMS_ERR_TOO_LARGE;
    }
    if (err == TKMS_OK) {
        memcpy(out, b->ptr, b->len);
    }
    chain_buf_free(b);
    return err;
}

static const json_t *entry_find(const tkms_chain_artifact *a, const char *kind, const char *name) {
    const json_t *found = NULL;
    size_t matches = 0;
    for (size_t i = 0; i < json_array_size(a->abi); i++) {
        const json_t *e = json_array_get(a->abi, i);
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *entry_name = json_string_value(json_object_get(e, "name"));
        bool constructor = strcmp(kind, "constructor") == 0;
        if (type != NULL && strcmp(type, kind) == 0 &&
            (constructor || (entry_name != NULL && strcmp(entry_name, name) == 0))) {
            found = e;
            matches++;
        }
    }
    return matches == 1 ? found : NULL;
}

TKMS_EXPORT tkms_err tkms_chain_artifact_signature(char *out, size_t out_size, char *outputs,
                                                   size_t outputs_size,
                                                   const tkms_chain_artifact *a, const char *kind,
                                                   const char *name) {
    TKMS_ASSERT(out != NULL && out_size > 0 && a != NULL && kind != NULL);
    TKMS_ASSERT(outputs == NULL || outputs_size > 0);
    out[0] = 0;
    bool constructor = strcmp(kind, "constructor") == 0;
    TKMS_ASSERT(constructor || name != NULL);
    const json_t *e = entry_find(a, kind, name);
    if (e == NULL && !constructor) {
        return TKMS_ERR_CHAIN_ARTIFACT_NO_ENTRY;
    }
    chain_buf b;
    chain_buf_init(&b, TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX + 1);
    if (!constructor) {
        chain_buf_put(&b, (const uint8_t *)name, strlen(name));
    }
    bool ok = e == NULL
                  ? (chain_buf_put(&b, (const uint8_t *)"()", 2), true)
                  : params_format(&b, json_object_get(e, "inputs"), strcmp(kind, "event") == 0);
    if (!ok) {
        chain_buf_free(&b);
        return TKMS_ERR_CHAIN_ARTIFACT_BAD;
    }
    tkms_err err = buf_to_string(out, out_size, &b);
    if (err == TKMS_OK && outputs != NULL) {
        chain_buf_init(&b, TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX + 1);
        if (e == NULL || !params_format(&b, json_object_get(e, "outputs"), false)) {
            chain_buf_free(&b);
            return TKMS_ERR_CHAIN_ARTIFACT_BAD;
        }
        err = buf_to_string(outputs, outputs_size, &b);
    }
    return err;
}

/* ---- revert data ---------------------------------------------------------------------------- */
static void text_append(char *out, size_t size, const char *text) {
    size_t used = strlen(out);
    if (used + 1 < size) {
        snprintf(out + used, size - used, "%s", text);
    }
}

/* A short rendering of one decoded value. */
static void value_describe(char *out, size_t size, const tkms_chain_abi_value *v) {
    uint64_t small = 0;
    char hex[2 * 32 + 3];
    if (v->kind == TKMS_CHAIN_ABI_UINT && tkms_chain_abi_get_u64(&small, v) == TKMS_OK) {
        snprintf(out, size, "%llu", (unsigned long long)small);
    } else if (v->kind == TKMS_CHAIN_ABI_ADDRESS) {
        tkms_chain_hex_encode(hex, v->word + 12, 20);
        snprintf(out, size, "%s", hex);
    } else if (v->kind == TKMS_CHAIN_ABI_STRING) {
        snprintf(out, size, "\"%.*s\"", (int)(v->len < 80 ? v->len : 80), (const char *)v->data);
    } else if (v->kind == TKMS_CHAIN_ABI_BYTES) {
        tkms_chain_hex_encode(hex, v->data, v->len < 32 ? v->len : 32);
        snprintf(out, size, "%s%s", hex, v->len > 32 ? "…" : "");
    } else if (v->kind == TKMS_CHAIN_ABI_BOOL) {
        snprintf(out, size, "%s", v->word[31] ? "true" : "false");
    } else if (v->kind == TKMS_CHAIN_ABI_ARRAY || v->kind == TKMS_CHAIN_ABI_FIXED_ARRAY ||
               v->kind == TKMS_CHAIN_ABI_TUPLE) {
        snprintf(out, size, "[%zu items]", v->count);
    } else {
        tkms_chain_hex_encode(hex, v->word, 32);
        snprintf(out, size, "%s", hex);
    }
}

static const char *panic_meaning(uint64_t code) {
    switch (code) {
    case 0x01:
        return "assert failed";
    case 0x11:
        return "arithmetic overflow";
    case 0x12:
        return "division by zero";
    case 0x21:
        return "bad enum value";
    case 0x32:
        return "array index out of bounds";
    case 0x41:
        return "out of memory";
    default:
        return "panic";
    }
}

/* Decodes args as types and renders "Name(a, b)"; false if they do not decode. */
static bool call_describe(char *out, size_t size, const char *name, const char *types,
                          const uint8_t *args, size_t len) {
    tkms_chain_abi_value values[DESCRIBE_ITEMS_MAX];
    tkms_chain_abi_pool pool = {values, DESCRIBE_ITEMS_MAX, 0};
    tkms_chain_abi_value decoded;
    if (tkms_chain_abi_decode(&decoded, &pool, types, args, len) != TKMS_OK) {
        return false;
    }
    snprintf(out, size, "%s(", name);
    for (size_t i = 0; i < decoded.count; i++) {
        char item[128];
        value_describe(item, sizeof item, &decoded.items[i]);
        text_append(out, size, i > 0 ? ", " : "");
        text_append(out, size, item);
    }
    text_append(out, size, ")");
    return true;
}

static bool custom_error_describe(char *out, size_t size, const tkms_chain_artifact *a,
                                  const uint8_t *data, size_t len) {
    for (size_t i = 0; i < json_array_size(a->abi); i++) {
        const json_t *e = json_array_get(a->abi, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *type = json_string_value(json_object_get(e, "type"));
        char signature[TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX + 1];
        uint8_t selector[4];
        if (type == NULL || strcmp(type, "error") != 0 || name == NULL ||
            tkms_chain_artifact_signature(signature, sizeof signature, NULL, 0, a, "error", name) !=
                TKMS_OK ||
            tkms_chain_abi_selector(selector, signature) != TKMS_OK ||
            memcmp(selector, data, 4) != 0) {
            continue;
        }
        return call_describe(out, size, name, signature + strlen(name), data + 4, len - 4);
    }
    return false;
}

TKMS_EXPORT void tkms_chain_revert_describe(char *out, size_t out_size,
                                            const tkms_chain_artifact *a, const uint8_t *data,
                                            size_t len) {
    TKMS_ASSERT(out != NULL && out_size > 0);
    TKMS_ASSERT(data != NULL || len == 0);
    static const uint8_t error_selector[4] = {0x08, 0xc3, 0x79, 0xa0};
    static const uint8_t panic_selector[4] = {0x4e, 0x48, 0x7b, 0x71};
    out[0] = 0;
    if (len == 0) {
        snprintf(out, out_size, "no revert data");
        return;
    }
    char hex[2 * 4 + 3];
    tkms_chain_hex_encode(hex, data, len < 4 ? len : 4);
    if (len >= 4 && memcmp(data, error_selector, 4) == 0 &&
        call_describe(out, out_size, "Error", "(string)", data + 4, len - 4)) {
        return;
    }
    if (len >= 4 && memcmp(data, panic_selector, 4) == 0 &&
        call_describe(out, out_size, "Panic", "(uint256)", data + 4, len - 4)) {
        uint64_t code = len == 36 ? data[35] : 0;
        text_append(out, out_size, ": ");
        text_append(out, out_size, panic_meaning(code));
        return;
    }
    if (len >= 4 && a != NULL && custom_error_describe(out, out_size, a, data, len)) {
        return;
    }
    snprintf(out, out_size, "%s %s (%zu bytes)", len >= 4 ? "custom error" : "revert data", hex,
             len);
}

void chain_revert_summary(char *out, size_t size, const uint8_t *data, size_t len) {
    tkms_chain_revert_describe(out, size, NULL, data, len);
}
