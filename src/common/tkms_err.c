/* tkms_err.c — names of error codes, generated from the per-layer lists (tkms_err.h). */
#include "common/tkms_err.h"

TKMS_EXPORT const char *tkms_err_name(tkms_err err) {
    switch (err) {
    case TKMS_OK:
        return "ok";
#define X(name, value, str)                                                                        \
    case name:                                                                                     \
        return str;
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
    }
    return "unknown_error";
}
