/*
 * tkms_err.h — the one error enum of tkms (style R5).
 *
 * Every fallible function returns a tkms_err; TKMS_OK is 0. Codes are grouped by layer:
 * each layer owns a list file (<layer>_errors.def) of X(NAME, value, "snake_case_name")
 * entries in its own numeric range, so layers add codes without touching each other.
 * tkms_err_name() returns the stable snake_case name (the api.md code when an error
 * reaches HTTP). Numeric values are stable: never renumber, only append.
 *
 * Ranges: common 1–99, bls 100–199, tss 200–299, ibe 300–399, chain 400–499,
 * attest 500–599, proto 600–699, store 700–799, node 800–899, client 900–999,
 * prim 1000–1099.
 */
#ifndef TKMS_ERR_H
#define TKMS_ERR_H

typedef enum {
    TKMS_OK = 0,
#define X(name, value, str) name = value,
#include "common/common_errors.def"
#include "bls/bls_errors.def"
#if __has_include("tss/tss_errors.def")
#include "tss/tss_errors.def"
#endif
#if __has_include("ibe/ibe_errors.def")
#include "ibe/ibe_errors.def"
#endif
#if __has_include("chain/chain_errors.def")
#include "chain/chain_errors.def"
#endif
#if __has_include("attest/attest_errors.def")
#include "attest/attest_errors.def"
#endif
#if __has_include("proto/proto_errors.def")
#include "proto/proto_errors.def"
#endif
#if __has_include("store/store_errors.def")
#include "store/store_errors.def"
#endif
#if __has_include("node/node_errors.def")
#include "node/node_errors.def"
#endif
#if __has_include("client/client_errors.def")
#include "client/client_errors.def"
#endif
#if __has_include("prim/prim_errors.def")
#include "prim/prim_errors.def"
#endif

#undef X
} tkms_err;

/* Stable snake_case name of an error code ("ok" for TKMS_OK, "unknown_error" otherwise). */
const char *tkms_err_name(tkms_err err);

#define TKMS_MUST_USE __attribute__((warn_unused_result))
#define TKMS_EXPORT __attribute__((visibility("default")))

#endif
