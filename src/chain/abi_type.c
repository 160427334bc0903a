/*
 * abi_type.c — parsing and printing of Solidity ABI type strings (contract ABI
 * specification, "Types"): uintN/intN (uint/int = 256), address, bool, bytesN, bytes,
 * string, T[], T[k] and tuples "(T1,…)". Types come from our own signature strings, but
 * are still parsed defensively: bounded node pool, bounded nesting, bounded sizes.
 * Also computes which types are dynamic and how many head bytes each takes.
 */
#include <stdio.h>
#include <string.h>

#include "chain/internal.h"
#include "common/tkms_assert.h"

static chain_abi_type *node_new(chain_abi_types *pool, tkms_chain_abi_kind kind) {
    if (pool->used == TKMS_CHAIN_ABI_TYPE_NODES_MAX) {
        return NULL;
    }
    chain_abi_type *t = &pool->nodes[pool->used++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->head_bytes = 32;
    return t;
}

static bool is_ident_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Parses decimal digits without leading zeros into 1..max. */
static bool parse_size(uint32_t *out, const char *s, size_t len, uint32_t max) {
    if (len == 0 || len > 6 || s[0] == '0') {
        return false;
    }
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return v <= max;
}

/* Matches "uint8".."uint256" style names; prefix_len = strlen of "uint"/"int"/"bytes". */
static bool sized_name(uint32_t *size, const char *s, size_t len, const char *prefix,
                       uint32_t max) {
    size_t prefix_len = strlen(prefix);
    if (len <= prefix_len || memcmp(s, prefix, prefix_len) != 0) {
        return false;
    }
    return parse_size(size, s + prefix_len, len - prefix_len, max);
}

static tkms_err elementary_parse(chain_abi_type **out, chain_abi_types *pool, const char *s,
                                 size_t len) {
    tkms_chain_abi_kind kind;
    uint32_t size = 0;
    if ((len == 4 && memcmp(s, "uint", 4) == 0) || (len == 3 && memcmp(s, "int", 3) == 0)) {
        kind = s[0] == 'u' ? TKMS_CHAIN_ABI_UINT : TKMS_CHAIN_ABI_INT;
        size = 256;
    } else if (sized_name(&size, s, len, "uint", 256) && size % 8 == 0) {
        kind = TKMS_CHAIN_ABI_UINT;
    } else if (sized_name(&size, s, len, "int", 256) && size % 8 == 0) {
        kind = TKMS_CHAIN_ABI_INT;
    } else if (sized_name(&size, s, len, "bytes", 32)) {
        kind = TKMS_CHAIN_ABI_FIXED_BYTES;
    } else if (len == 7 && memcmp(s, "address", 7) == 0) {
        kind = TKMS_CHAIN_ABI_ADDRESS;
    } else if (len == 4 && memcmp(s, "bool", 4) == 0) {
        kind = TKMS_CHAIN_ABI_BOOL;
    } else if (len == 5 && memcmp(s, "bytes", 5) == 0) {
        kind = TKMS_CHAIN_ABI_BYTES;
    } else if (len == 6 && memcmp(s, "string", 6) == 0) {
        kind = TKMS_CHAIN_ABI_STRING;
    } else {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    chain_abi_type *t = node_new(pool, kind);
    if (t == NULL) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    t->size = size;
    t->dynamic = kind == TKMS_CHAIN_ABI_BYTES || kind == TKMS_CHAIN_ABI_STRING;
    *out = t;
    return TKMS_OK;
}

/* "(T1,T2,…)" with *cursor at '('. */
static tkms_err tuple_parse(chain_abi_type **out, chain_abi_types *pool, const char **cursor,
                            unsigned depth) {
    const char *p = *cursor;
    TKMS_ASSERT(*p == '(');
    chain_abi_type *t = node_new(pool, TKMS_CHAIN_ABI_TUPLE);
    if (t == NULL) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    t->head_bytes = 0;
    p++;
    chain_abi_type *last = NULL;
    while (*p != ')') {
        if (last != NULL && *p++ != ',') {
            return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
        }
        chain_abi_type *member = NULL;
        tkms_err err = chain_abi_type_parse(&member, pool, &p, depth + 1);
        if (err != TKMS_OK) {
            return err;
        }
        if (last == NULL) {
            t->child = member;
        } else {
            last->next = member;
        }
        last = member;
        t->member_count++;
        t->dynamic = t->dynamic || member->dynamic;
        t->head_bytes += member->head_bytes;
        if (t->member_count > TKMS_CHAIN_ABI_ITEMS_MAX) {
            return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
        }
    }
    *cursor = p + 1;
    if (t->dynamic) {
        t->head_bytes = 32;
    }
    *out = t;
    return TKMS_OK;
}

/* Wraps t in array suffixes "[]" / "[k]" found at *cursor. */
static tkms_err suffixes_parse(chain_abi_type **t, chain_abi_types *pool, const char **cursor,
                               unsigned depth) {
    const char *p = *cursor;
    while (*p == '[') {
        if (++depth > TKMS_CHAIN_ABI_DEPTH_MAX) {
            return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
        }
        const char *close = strchr(p, ']');
        if (close == NULL) {
            return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
        }
        bool fixed = close != p + 1;
        chain_abi_type *a =
            node_new(pool, fixed ? TKMS_CHAIN_ABI_FIXED_ARRAY : TKMS_CHAIN_ABI_ARRAY);
        if (a == NULL) {
            return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
        }
        a->child = *t;
        a->dynamic = !fixed || (*t)->dynamic;
        if (fixed) {
            if (!parse_size(&a->size, p + 1, (size_t)(close - p - 1), TKMS_CHAIN_ABI_ITEMS_MAX)) {
                return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
            }
            a->head_bytes = a->dynamic ? 32 : a->size * (*t)->head_bytes;
            if (a->head_bytes > TKMS_CHAIN_ABI_BYTES_MAX) {
                return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
            }
        }
        *t = a;
        p = close + 1;
    }
    *cursor = p;
    return TKMS_OK;
}

tkms_err chain_abi_type_parse(chain_abi_type **out, chain_abi_types *pool, const char **cursor,
                              unsigned depth) {
    TKMS_ASSERT(out != NULL && pool != NULL);
    TKMS_ASSERT(cursor != NULL && *cursor != NULL);
    if (depth > TKMS_CHAIN_ABI_DEPTH_MAX) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    const char *p = *cursor;
    chain_abi_type *t = NULL;
    tkms_err err;
    if (*p == '(') {
        err = tuple_parse(&t, pool, &p, depth);
    } else {
        const char *start = p;
        while (is_ident_char(*p)) {
            p++;
        }
        err = elementary_parse(&t, pool, start, (size_t)(p - start));
    }
    if (err == TKMS_OK) {
        err = suffixes_parse(&t, pool, &p, depth);
    }
    if (err != TKMS_OK) {
        return err;
    }
    if (t->head_bytes > TKMS_CHAIN_ABI_BYTES_MAX) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    *cursor = p;
    *out = t;
    return TKMS_OK;
}

tkms_err chain_abi_tuple_parse(const chain_abi_type **out, chain_abi_types *pool,
                               const char *types) {
    TKMS_ASSERT(out != NULL && pool != NULL && types != NULL);
    *out = NULL;
    if (types[0] != '(' || strlen(types) > TKMS_CHAIN_ABI_SIGNATURE_BYTES_MAX) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    const char *p = types;
    chain_abi_type *t = NULL;
    tkms_err err = chain_abi_type_parse(&t, pool, &p, 0);
    if (err != TKMS_OK) {
        return err;
    }
    if (*p != 0 || t->kind != TKMS_CHAIN_ABI_TUPLE) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE; /* trailing text, or "(…)[]" */
    }
    *out = t;
    return TKMS_OK;
}

tkms_err chain_abi_signature_parse(const chain_abi_type **params, size_t *name_len,
                                   chain_abi_types *pool, const char *signature) {
    TKMS_ASSERT(params != NULL && name_len != NULL && signature != NULL);
    *params = NULL;
    *name_len = 0;
    size_t n = 0;
    while ((signature[n] >= 'a' && signature[n] <= 'z') ||
           (signature[n] >= 'A' && signature[n] <= 'Z') ||
           (signature[n] >= '0' && signature[n] <= '9') || signature[n] == '_' ||
           signature[n] == '$') {
        n++;
    }
    if (n == 0 || (signature[0] >= '0' && signature[0] <= '9')) {
        return TKMS_ERR_CHAIN_ABI_BAD_TYPE;
    }
    tkms_err err = chain_abi_tuple_parse(params, pool, signature + n);
    if (err == TKMS_OK) {
        *name_len = n;
    }
    return err;
}

static void put_str(chain_buf *b, const char *s) {
    chain_buf_put(b, (const uint8_t *)s, strlen(s));
}

static void put_uint(chain_buf *b, uint32_t v) {
    char digits[16];
    int n = snprintf(digits, sizeof digits, "%u", v);
    TKMS_ASSERT(n > 0 && (size_t)n < sizeof digits);
    chain_buf_put(b, (const uint8_t *)digits, (size_t)n);
}

void chain_abi_type_format(chain_buf *b, const chain_abi_type *t) {
    TKMS_ASSERT(b != NULL && t != NULL);
    switch (t->kind) {
    case TKMS_CHAIN_ABI_UINT:
    case TKMS_CHAIN_ABI_INT:
        put_str(b, t->kind == TKMS_CHAIN_ABI_UINT ? "uint" : "int");
        put_uint(b, t->size);
        return;
    case TKMS_CHAIN_ABI_FIXED_BYTES:
        put_str(b, "bytes");
        put_uint(b, t->size);
        return;
    case TKMS_CHAIN_ABI_ADDRESS:
        put_str(b, "address");
        return;
    case TKMS_CHAIN_ABI_BOOL:
        put_str(b, "bool");
        return;
    case TKMS_CHAIN_ABI_BYTES:
        put_str(b, "bytes");
        return;
    case TKMS_CHAIN_ABI_STRING:
        put_str(b, "string");
        return;
    case TKMS_CHAIN_ABI_ARRAY:
    case TKMS_CHAIN_ABI_FIXED_ARRAY:
        chain_abi_type_format(b, t->child);
        put_str(b, "[");
        if (t->kind == TKMS_CHAIN_ABI_FIXED_ARRAY) {
            put_uint(b, t->size);
        }
        put_str(b, "]");
        return;
    case TKMS_CHAIN_ABI_TUPLE:
        put_str(b, "(");
        for (const chain_abi_type *m = t->child; m != NULL; m = m->next) {
            chain_abi_type_format(b, m);
            if (m->next != NULL) {
                put_str(b, ",");
            }
        }
        put_str(b, ")");
        return;
    }
    TKMS_ASSERT(false); /* unknown ABI kind */
}
