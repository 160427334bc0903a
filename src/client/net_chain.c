/*
 * net_chain.c — the network's public state as the chain records it (client.h
 * "chain-backed state"): EpochLog's MPK, finalized version and retained set, the operator
 * set and app URLs from KmsRegistry.getNodeInfos(), and per version its threshold, source,
 * operator set, dealer set and the dealers' commitments from their DealingRevealed events,
 * each checked against the commitments hash EpochLog keeps in storage. Every eth_call is
 * pinned to the block hash read first (EIP-1898), so the state is one consistent picture.
 *
 * Does not trust the RPC beyond that: it reports inconsistent data
 * (TKMS_ERR_CLIENT_CHAIN_STATE with the fact named in the error line), it does not try to
 * outvote a lying RPC. The combination math is net_version.c.
 * Spec: chain.md (EpochLog, KmsRegistry), docs/contracts.md §4–5, crypto.md §6.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/chain.h"
#include "client/client.h"
#include "client/net_internal.h"
#include "common/tkms_assert.h"
#include "prim/prim.h"

#define SIG_REGISTRY "registry()"
#define SIG_NODE_INFOS "getNodeInfos()"
#define SIG_RETAINED "retainedVersions()"
#define SIG_VERSION_INFO "versionInfo(uint64)"
#define OUT_ADDRESS "(address)"
#define OUT_U64_ARRAY "(uint64[])"
#define OUT_VERSION_INFO "(bool,uint64,uint16,uint64,bytes32)"
#define POOL_VALUES (6 * TKMS_CLIENT_OPERATORS_MAX + 16)

struct tkms_client_chain {
    tkms_chain_client *rpc;
    tkms_chain_address epoch_log;
    bool pinned;
    tkms_chain_hash block;
    uint64_t block_number;
    tkms_bls_g2 mpk; /* read with the pin, for the versions' C_0 check */
    uint64_t chain_id;
    char error[TKMS_CHAIN_ERROR_BYTES + 96];
};

__attribute__((format(printf, 3, 4))) static tkms_err fail(tkms_client_chain *c, tkms_err err,
                                                           const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    vsnprintf(c->error, sizeof c->error, format, ap);
    va_end(ap);
    return err;
}

TKMS_EXPORT tkms_err tkms_client_chain_new(tkms_client_chain **out,
                                           const tkms_client_chain_options *o) {
    *out = NULL;
    tkms_client_chain *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    tkms_chain_client_options co;
    tkms_chain_client_options_default(&co);
    co.url = o->rpc_url;
    co.chain_id_expected = o->chain_id;
    co.timeout_ms = o->timeout_ms ? o->timeout_ms : co.timeout_ms;
    co.connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : co.connect_timeout_ms;
    tkms_err err = tkms_chain_client_new(&c->rpc, &co);
    if (err != TKMS_OK) {
        free(c);
        return err;
    }
    memcpy(c->epoch_log.bytes, o->epoch_log, 20);
    *out = c;
    return TKMS_OK;
}

TKMS_EXPORT void tkms_client_chain_free(tkms_client_chain *c) {
    if (c != NULL) {
        tkms_chain_client_free(c->rpc);
        free(c);
    }
}

TKMS_EXPORT const char *tkms_client_chain_error(const tkms_client_chain *c) {
    return c->error;
}

/* eth_call of signature(args) at the pinned block, decoded as out_types. */
static tkms_err view(tkms_client_chain *c, tkms_chain_abi_value *v, tkms_chain_abi_pool *pool,
                     tkms_chain_bytes *keep, const tkms_chain_address *to, const char *signature,
                     const tkms_chain_abi_value *args, const char *out_types) {
    TKMS_ASSERT(c->pinned);
    keep->ptr = NULL;
    keep->len = 0;
    tkms_chain_bytes data;
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    tkms_err err = tkms_chain_abi_call_encode(&data, signature, args ? args : &none);
    TKMS_ASSERT(err == TKMS_OK); /* our own signatures and arguments */
    tkms_chain_call_request req = {.to = to, .data = data.ptr, .data_len = data.len};
    err = tkms_chain_call(c->rpc, keep, &req, tkms_chain_block_hash(&c->block));
    tkms_chain_bytes_free(&data);
    if (err != TKMS_OK) {
        return fail(c, err, "%s: %s", signature, tkms_chain_client_error(c->rpc));
    }
    err = tkms_chain_abi_decode(v, pool, out_types, keep->ptr, keep->len);
    if (err != TKMS_OK) {
        tkms_chain_bytes_free(keep);
        return fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "%s: undecodable answer (%s)", signature,
                    tkms_err_name(err));
    }
    return TKMS_OK;
}

static tkms_err pin_latest(tkms_client_chain *c, tkms_client_network *net) {
    tkms_chain_header h;
    tkms_err err = tkms_chain_client_chain_id(c->rpc, &net->chain_id);
    if (err == TKMS_OK) {
        err = tkms_chain_header_get(c->rpc, &h, tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST));
    }
    if (err != TKMS_OK) {
        return fail(c, err, "%s", tkms_chain_client_error(c->rpc));
    }
    c->pinned = true;
    c->block = h.hash;
    c->block_number = h.number;
    c->chain_id = net->chain_id;
    net->block_number = h.number;
    memcpy(net->block_hash, h.hash.bytes, 32);
    memcpy(net->epoch_log, c->epoch_log.bytes, 20);
    return TKMS_OK;
}

static tkms_err read_mpk(tkms_client_chain *c, tkms_client_network *net) {
    tkms_chain_abi_value values[4], v;
    tkms_chain_abi_pool pool = {values, 4, 0};
    tkms_chain_bytes keep;
    tkms_err err = view(c, &v, &pool, &keep, &c->epoch_log, TKMS_CHAIN_EPOCHLOG_MPK, NULL,
                        TKMS_CHAIN_EPOCHLOG_MPK_OUT);
    if (err != TKMS_OK) {
        return err;
    }
    if (v.items[0].len == 0) {
        err = fail(c, TKMS_ERR_CLIENT_NO_VERSION, "no key version finalized yet (block %llu)",
                   (unsigned long long)c->block_number);
    } else if (v.items[0].len != TKMS_BLS_G2_BYTES ||
               tkms_bls_g2_decode(&net->mpk, v.items[0].data) != TKMS_OK ||
               tkms_bls_g2_is_identity(&net->mpk)) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "masterPublicKey() is not a valid G2 point");
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

static tkms_err read_u64(tkms_client_chain *c, uint64_t *out, const char *signature,
                         const tkms_chain_abi_value *args, const char *out_types) {
    tkms_chain_abi_value values[4], v;
    tkms_chain_abi_pool pool = {values, 4, 0};
    tkms_chain_bytes keep;
    tkms_err err = view(c, &v, &pool, &keep, &c->epoch_log, signature, args, out_types);
    if (err == TKMS_OK && tkms_chain_abi_get_u64(out, &v.items[0]) != TKMS_OK) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "%s: not a u64", signature);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

static tkms_err read_retained(tkms_client_chain *c, tkms_client_network *net) {
    tkms_chain_abi_value values[TKMS_CHAIN_ABI_ITEMS_MAX / 64], v;
    tkms_chain_abi_pool pool = {values, sizeof values / sizeof values[0], 0};
    tkms_chain_bytes keep;
    tkms_err err = view(c, &v, &pool, &keep, &c->epoch_log, SIG_RETAINED, NULL, OUT_U64_ARRAY);
    if (err != TKMS_OK) {
        return err;
    }
    const tkms_chain_abi_value *list = &v.items[0];
    net->retained_count = 0;
    for (size_t i = 0; i < list->count && net->retained_count < TKMS_CLIENT_VERSIONS_MAX; i++) {
        uint64_t version = 0;
        if (tkms_chain_abi_get_u64(&version, &list->items[i]) != TKMS_OK ||
            (i > 0 && version >= net->retained[net->retained_count - 1])) {
            err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "retainedVersions() not newest first");
            break;
        }
        net->retained[net->retained_count++] = version;
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

static tkms_err node_info(tkms_client_chain *c, tkms_client_operator *op,
                          const tkms_chain_abi_value *info) {
    tkms_chain_address a;
    if (tkms_chain_abi_get_address(&a, &info->items[0]) != TKMS_OK) {
        return fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "getNodeInfos(): bad address");
    }
    memcpy(op->address, a.bytes, 20);
    const tkms_chain_abi_value *url = &info->items[4];
    if (url->len == 0 || url->len >= sizeof op->app_url || memchr(url->data, 0, url->len)) {
        return fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "getNodeInfos(): bad app URL");
    }
    memcpy(op->app_url, url->data, url->len);
    op->app_url[url->len] = 0;
    return TKMS_OK;
}

static tkms_err read_operators(tkms_client_chain *c, tkms_client_network *net) {
    tkms_chain_address registry;
    tkms_chain_abi_value values[POOL_VALUES], v;
    tkms_chain_abi_pool pool = {values, POOL_VALUES, 0};
    tkms_chain_bytes keep;
    tkms_err err = view(c, &v, &pool, &keep, &c->epoch_log, SIG_REGISTRY, NULL, OUT_ADDRESS);
    if (err == TKMS_OK && tkms_chain_abi_get_address(&registry, &v.items[0]) != TKMS_OK) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "registry(): bad address");
    }
    tkms_chain_bytes_free(&keep);
    pool.used = 0;
    if (err == TKMS_OK) {
        err = view(c, &v, &pool, &keep, &registry, SIG_NODE_INFOS, NULL,
                   TKMS_CHAIN_REGISTRY_NODE_INFOS_OUT);
    }
    if (err != TKMS_OK) {
        return err;
    }
    const tkms_chain_abi_value *infos = &v.items[0];
    if (infos->count > TKMS_CLIENT_OPERATORS_MAX) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "getNodeInfos(): %zu operators", infos->count);
    }
    net->operator_count = 0;
    for (size_t i = 0; err == TKMS_OK && i < infos->count; i++) {
        tkms_client_operator *op = &net->operators[net->operator_count];
        err = node_info(c, op, &infos->items[i]);
        if (err == TKMS_OK && i > 0 && memcmp(op[-1].address, op->address, 20) >= 0) {
            err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "getNodeInfos(): not sorted by address");
        }
        net->operator_count += err == TKMS_OK;
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

static tkms_err load_callback(void *ctx, tkms_client_version *out, uint64_t version);

/* Pins the latest block and reads the operator set, the finalized version and the
   retained set; with_mpk also the MPK (and then a finalized version must exist). */
static tkms_err network_read(tkms_client_chain *c, tkms_client_network *net, bool with_mpk) {
    memset(net, 0, sizeof *net);
    c->error[0] = 0;
    tkms_err err = pin_latest(c, net);
    if (err == TKMS_OK) {
        err = read_operators(c, net);
    }
    if (err == TKMS_OK) {
        err = read_u64(c, &net->finalized_version, TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION, NULL,
                       TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION_OUT);
    }
    if (err == TKMS_OK) {
        err = read_retained(c, net);
    }
    if (err == TKMS_OK && with_mpk) {
        err = read_mpk(c, net);
    }
    if (err == TKMS_OK && with_mpk && net->retained_count == 0) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "an MPK but no retained version");
    }
    if (err != TKMS_OK) {
        memset(net, 0, sizeof *net);
        return err;
    }
    c->mpk = net->mpk;
    net->version_load = with_mpk ? load_callback : NULL;
    net->version_ctx = with_mpk ? c : NULL;
    return TKMS_OK;
}

TKMS_EXPORT tkms_err tkms_client_chain_network(tkms_client_chain *c, tkms_client_network *net) {
    return network_read(c, net, true);
}

TKMS_EXPORT tkms_err tkms_client_chain_operators(tkms_client_chain *c, tkms_client_network *net) {
    return network_read(c, net, false);
}

/* ---- one version ---------------------------------------------------------------------- */

static tkms_err read_version_info(tkms_client_chain *c, tkms_client_version *out) {
    tkms_chain_abi_value values[8], v, arg = tkms_chain_abi_uint64(out->version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&arg, 1);
    tkms_chain_abi_pool pool = {values, 8, 0};
    tkms_chain_bytes keep;
    tkms_err err =
        view(c, &v, &pool, &keep, &c->epoch_log, SIG_VERSION_INFO, &args, OUT_VERSION_INFO);
    if (err != TKMS_OK) {
        return err;
    }
    bool finalized = false;
    uint64_t t = 0;
    memcpy(out->state_hash, v.items[4].word, 32);
    if (tkms_chain_abi_get_bool(&finalized, &v.items[0]) != TKMS_OK ||
        tkms_chain_abi_get_u64(&out->finalized_block, &v.items[1]) != TKMS_OK ||
        tkms_chain_abi_get_u64(&t, &v.items[2]) != TKMS_OK ||
        tkms_chain_abi_get_u64(&out->source, &v.items[3]) != TKMS_OK) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "versionInfo(%llu): bad fields",
                   (unsigned long long)out->version);
    } else if (!finalized) {
        err = fail(c, TKMS_ERR_CLIENT_UNKNOWN_VERSION, "version %llu is not finalized on chain",
                   (unsigned long long)out->version);
    } else if (t == 0 || t > TKMS_TSS_THRESHOLD_MAX) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "version %llu: threshold %llu",
                   (unsigned long long)out->version, (unsigned long long)t);
    }
    out->t = (uint16_t)t;
    tkms_chain_bytes_free(&keep);
    return err;
}

/* An address[] (dealerSet) or the first member of a tuple that is one (epochSnapshot). */
static tkms_err read_addresses(tkms_client_chain *c, uint8_t (*out)[20], uint32_t *count,
                               uint64_t version, const char *signature, const char *out_types) {
    tkms_chain_abi_value values[POOL_VALUES], v, arg = tkms_chain_abi_uint64(version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&arg, 1);
    tkms_chain_abi_pool pool = {values, POOL_VALUES, 0};
    tkms_chain_bytes keep;
    tkms_err err = view(c, &v, &pool, &keep, &c->epoch_log, signature, &args, out_types);
    if (err != TKMS_OK) {
        return err;
    }
    const tkms_chain_abi_value *list = &v.items[0];
    *count = 0;
    if (list->count == 0 || list->count > TKMS_CLIENT_OPERATORS_MAX) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "%s of %llu: %zu addresses", signature,
                   (unsigned long long)version, list->count);
    }
    for (size_t i = 0; err == TKMS_OK && i < list->count; i++) {
        tkms_chain_address a;
        if (tkms_chain_abi_get_address(&a, &list->items[i]) != TKMS_OK) {
            err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "%s: bad address", signature);
        }
        memcpy(out[i], a.bytes, 20);
    }
    *count = err == TKMS_OK ? (uint32_t)list->count : 0;
    tkms_chain_bytes_free(&keep);
    return err;
}

static int index_of(const uint8_t (*list)[20], uint32_t count, const uint8_t address[20]) {
    for (uint32_t i = 0; i < count; i++) {
        if (memcmp(list[i], address, 20) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* The commitments hash in storage of each dealer, by O(v) index. */
static tkms_err read_commitment_hashes(tkms_client_chain *c, uint8_t (*hashes)[32],
                                       const tkms_client_version *out) {
    tkms_chain_abi_value values[2 * TKMS_CLIENT_OPERATORS_MAX + 8], v;
    tkms_chain_abi_value arg = tkms_chain_abi_uint64(out->version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&arg, 1);
    tkms_chain_abi_pool pool = {values, sizeof values / sizeof values[0], 0};
    tkms_chain_bytes keep;
    tkms_err err = view(c, &v, &pool, &keep, &c->epoch_log, TKMS_CHAIN_EPOCHLOG_DEALINGS, &args,
                        TKMS_CHAIN_EPOCHLOG_DEALINGS_OUT);
    if (err == TKMS_OK && v.items[1].count != out->operator_count) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "dealings(%llu): %zu entries for %u operators",
                   (unsigned long long)out->version, v.items[1].count, out->operator_count);
    }
    for (uint32_t i = 0; err == TKMS_OK && i < out->operator_count; i++) {
        memcpy(hashes[i], v.items[1].items[i].word, 32);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

static tkms_err read_reveal_window(tkms_client_chain *c, uint64_t *first, uint64_t *last,
                                   uint64_t version) {
    tkms_chain_abi_value values[8], v, arg = tkms_chain_abi_uint64(version);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&arg, 1);
    tkms_chain_abi_pool pool = {values, 8, 0};
    tkms_chain_bytes keep;
    tkms_err err = view(c, &v, &pool, &keep, &c->epoch_log, TKMS_CHAIN_EPOCHLOG_DEADLINES, &args,
                        TKMS_CHAIN_EPOCHLOG_DEADLINES_OUT);
    uint64_t commit_end = 0;
    if (err == TKMS_OK && (tkms_chain_abi_get_u64(&commit_end, &v.items[1]) != TKMS_OK ||
                           tkms_chain_abi_get_u64(last, &v.items[2]) != TKMS_OK ||
                           commit_end >= *last || *last > c->block_number)) {
        err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "deadlines(%llu): bad reveal window",
                   (unsigned long long)version);
    }
    *first = commit_end + 1;
    tkms_chain_bytes_free(&keep);
    return err;
}

typedef struct {
    tkms_client_version *v;
    const uint8_t (*hashes)[32]; /* storage, by O index */
    tkms_tss_commitments *dealings;
    bool seen[TKMS_CLIENT_OPERATORS_MAX];
} reveal_ctx;

/* One DealingRevealed log: kept when it is of this version and a dealer of D. */
static tkms_err reveal_take(tkms_client_chain *c, reveal_ctx *r, const tkms_chain_log *log) {
    tkms_chain_abi_value values[8], ev;
    tkms_chain_abi_pool pool = {values, 8, 0};
    uint64_t epoch = 0;
    tkms_chain_address dealer;
    if (tkms_chain_abi_event_decode(&ev, &pool, TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED, log) !=
            TKMS_OK ||
        tkms_chain_abi_get_u64(&epoch, &ev.items[0]) != TKMS_OK ||
        tkms_chain_abi_get_address(&dealer, &ev.items[1]) != TKMS_OK) {
        return fail(c, TKMS_ERR_CLIENT_CHAIN_STATE, "undecodable DealingRevealed event");
    }
    int d = index_of((const uint8_t(*)[20])r->v->dealers, r->v->dealer_count, dealer.bytes);
    int o = index_of((const uint8_t(*)[20])r->v->operators, r->v->operator_count, dealer.bytes);
    if (epoch != r->v->version || d < 0) {
        return TKMS_OK; /* another epoch, or a dealer outside D */
    }
    const tkms_chain_abi_value *bytes = &ev.items[4];
    uint8_t hash[32];
    tkms_prim_sha256(hash, bytes->data, bytes->len);
    if (o < 0 || r->seen[d] || bytes->len != (size_t)r->v->t * TKMS_BLS_G2_BYTES ||
        memcmp(hash, ev.items[2].word, 32) != 0 || memcmp(hash, r->hashes[o], 32) != 0) {
        return fail(c, TKMS_ERR_CLIENT_CHAIN_STATE,
                    "version %llu: dealer %d's revealed commitments do not match storage",
                    (unsigned long long)r->v->version, d);
    }
    r->seen[d] = true;
    r->dealings[d].t = r->v->t;
    for (uint32_t k = 0; k < r->v->t; k++) {
        if (tkms_bls_g2_decode(&r->dealings[d].c[k], bytes->data + k * TKMS_BLS_G2_BYTES) !=
            TKMS_OK) {
            return fail(c, TKMS_ERR_CLIENT_CHAIN_STATE,
                        "version %llu: dealer %d's commitment %u is not a G2 point",
                        (unsigned long long)r->v->version, d, k);
        }
    }
    return TKMS_OK;
}

static tkms_err read_reveals(tkms_client_chain *c, reveal_ctx *r) {
    uint64_t first = 0, last = 0;
    tkms_err err = read_reveal_window(c, &first, &last, r->v->version);
    tkms_chain_hash topic;
    TKMS_ASSERT(tkms_chain_abi_event_topic(&topic, TKMS_CHAIN_EPOCHLOG_EVENT_REVEALED) == TKMS_OK);
    for (uint64_t from = first; err == TKMS_OK && from <= last;
         from += TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX) {
        uint64_t to = last - from >= TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX
                          ? from + TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX - 1
                          : last;
        tkms_chain_log_filter f = {.from_block = from,
                                   .to_block = to,
                                   .addresses = &c->epoch_log,
                                   .address_count = 1,
                                   .topic0 = &topic,
                                   .topic0_count = 1};
        tkms_chain_logs logs = {0};
        err = tkms_chain_logs_get(c->rpc, &logs, &f);
        if (err != TKMS_OK) {
            err = fail(c, err, "DealingRevealed logs: %s", tkms_chain_client_error(c->rpc));
        }
        for (size_t i = 0; err == TKMS_OK && i < logs.count; i++) {
            err = reveal_take(c, r, &logs.items[i]);
        }
        tkms_chain_logs_free(&logs);
    }
    for (uint32_t d = 0; err == TKMS_OK && d < r->v->dealer_count; d++) {
        if (!r->seen[d]) {
            err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE,
                       "version %llu: no DealingRevealed event of dealer %u",
                       (unsigned long long)r->v->version, d);
        }
    }
    return err;
}

static tkms_err read_sets(tkms_client_chain *c, tkms_client_version *out) {
    tkms_err err = read_addresses(c, out->operators, &out->operator_count, out->version,
                                  TKMS_CHAIN_EPOCHLOG_SNAPSHOT, TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT);
    if (err == TKMS_OK) {
        err = read_addresses(c, out->dealers, &out->dealer_count, out->version,
                             TKMS_CHAIN_EPOCHLOG_DEALER_SET, TKMS_CHAIN_EPOCHLOG_ADDRESSES_OUT);
    }
    for (uint32_t i = 0; err == TKMS_OK && i < out->dealer_count; i++) {
        if (index_of((const uint8_t(*)[20])out->operators, out->operator_count, out->dealers[i]) <
                0 ||
            index_of((const uint8_t(*)[20])out->dealers, i, out->dealers[i]) >= 0) {
            err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE,
                       "version %llu: dealer set is not a subset of its operators",
                       (unsigned long long)out->version);
        }
    }
    return err;
}

TKMS_EXPORT tkms_err tkms_client_chain_version(tkms_client_chain *c, tkms_client_version *out,
                                               const tkms_client_network *net, uint64_t version) {
    TKMS_ASSERT(c->pinned);
    TKMS_ASSERT(memcmp(net->block_hash, c->block.bytes, 32) == 0);
    memset(out, 0, sizeof *out);
    out->version = version;
    tkms_err err = read_version_info(c, out);
    if (err == TKMS_OK) {
        err = read_sets(c, out);
    }
    uint8_t(*hashes)[32] = calloc(TKMS_CLIENT_OPERATORS_MAX, 32);
    tkms_tss_commitments *dealings = calloc(out->dealer_count + 1, sizeof *dealings);
    if (err == TKMS_OK && (hashes == NULL || dealings == NULL)) {
        err = TKMS_ERR_OUT_OF_MEMORY;
    }
    if (err == TKMS_OK) {
        err = read_commitment_hashes(c, hashes, out);
    }
    if (err == TKMS_OK) {
        reveal_ctx r = {.v = out, .hashes = (const uint8_t(*)[32])hashes, .dealings = dealings};
        err = read_reveals(c, &r);
    }
    if (err == TKMS_OK) {
        err = tkms_client_version_combine(out, dealings, &net->mpk);
        if (err != TKMS_OK) {
            fail(c, err, "version %llu: combined commitments do not give the MPK",
                 (unsigned long long)version);
        }
    }
    uint8_t state_hash[32];
    if (err == TKMS_OK) { /* I1 seen from outside: exactly what t' operators confirmed */
        tkms_client_version_state_hash(state_hash, out, c->chain_id, c->epoch_log.bytes);
        if (memcmp(state_hash, out->state_hash, 32) != 0) {
            err = fail(c, TKMS_ERR_CLIENT_CHAIN_STATE,
                       "version %llu: the derived state does not match its winning stateHash",
                       (unsigned long long)version);
        }
    }
    free(hashes);
    free(dealings);
    if (err != TKMS_OK) {
        memset(out, 0, sizeof *out);
    }
    return err;
}

static tkms_err load_callback(void *ctx, tkms_client_version *out, uint64_t version) {
    tkms_client_chain *c = ctx;
    tkms_client_network *pinned = calloc(1, sizeof *pinned); /* ~35 KiB: not on the stack */
    if (pinned == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    memcpy(pinned->block_hash, c->block.bytes, 32);
    pinned->mpk = c->mpk;
    tkms_err err = tkms_client_chain_version(c, out, pinned, version);
    free(pinned);
    return err;
}
