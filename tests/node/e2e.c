/*
 * e2e.c — the end-to-end cluster harness of e2e.h: anvil and the contracts, tkmsd
 * processes (keygen, allow, register, config, start, kill, stop), the lockstep miner and
 * the chain reads the end-to-end tests assert on. It asserts with cmocka like a test (a
 * failed step fails the calling test); it never decides what a test proves.
 * Spec: protocol.md §3–6, api.md, docs/contracts.md §2 (deployment order).
 */
#include "e2e.h"

#include <strings.h>

#define OWNER_KEY 0

/* ---- small helpers --------------------------------------------------------------------------- */

static tkms_chain_block_ref latest(void) {
    return tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST);
}

static bool node_running(const e2e_node *nd) {
    return nd->pid > 0;
}

static bool all_healthy(e2e_cluster *cl, void *arg);

static long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

void e2e_note(e2e_cluster *cl, const char *what) {
    fprintf(stderr, "[e2e %6.1f s] %s (block %llu)\n",
            (double)(dt_now_ms() - cl->started_ms) / 1000.0, what,
            (unsigned long long)ct_block_number(cl->chain));
}

void e2e_dump_logs(const e2e_cluster *cl) {
    for (size_t i = 0; i < cl->count; i++) {
        dt_log_tail(cl->n[i].log, 25);
    }
}

/* ---- chain reads ----------------------------------------------------------------------------- */

/* eth_call of signature(args) on `to` at the latest block; fails the test on error. */
static void view(e2e_cluster *cl, tkms_chain_abi_value *out, tkms_chain_abi_pool *pool,
                 tkms_chain_bytes *keep, const tkms_chain_address *to, const char *signature,
                 const tkms_chain_abi_value *args, const char *outputs) {
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    tkms_err err = ct_view(cl->chain, out, pool, keep, to, signature, args != NULL ? args : &none,
                           outputs, latest());
    if (err != TKMS_OK) {
        fail_msg("%s: %s (%s)", signature, tkms_err_name(err), tkms_chain_client_error(cl->chain));
    }
}

uint64_t e2e_head(e2e_cluster *cl) {
    return ct_block_number(cl->chain);
}

uint64_t e2e_current_epoch(e2e_cluster *cl) {
    return e2e_head(cl) / cl->opt.interval;
}

uint64_t e2e_finalized_version(e2e_cluster *cl) {
    tkms_chain_abi_value pool_values[4], v;
    tkms_chain_abi_pool pool = {pool_values, 4, 0};
    tkms_chain_bytes keep;
    view(cl, &v, &pool, &keep, &cl->epoch_log, TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION, NULL,
         TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION_OUT);
    uint64_t x = 0;
    assert_int_equal(tkms_chain_abi_get_u64(&x, &v.items[0]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
    return x;
}

void e2e_epoch_key(e2e_cluster *cl, const e2e_node *nd, uint64_t block, uint8_t out[32]) {
    tkms_chain_abi_value pool_values[4], v;
    tkms_chain_abi_pool pool = {pool_values, 4, 0};
    tkms_chain_abi_value a[2] = {tkms_chain_abi_address(&nd->address),
                                 tkms_chain_abi_uint64(block)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(a, 2);
    tkms_chain_bytes keep;
    view(cl, &v, &pool, &keep, &cl->registry, "epochKeyAt(address,uint64)", &args, "(bytes32)");
    memcpy(out, v.items[0].word, 32);
    tkms_chain_bytes_free(&keep);
}

e2e_progress e2e_epoch_progress(e2e_cluster *cl, uint64_t epoch) {
    e2e_progress p;
    tkms_chain_abi_value pool_values[16], v, a = tkms_chain_abi_uint64(epoch);
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    view(cl, &v, &pool, &keep, &cl->epoch_log, TKMS_CHAIN_EPOCHLOG_PROGRESS, &args,
         TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT);
    assert_int_equal(tkms_chain_abi_get_u64(&p.committed, &v.items[0]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_u64(&p.revealed, &v.items[1]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_u64(&p.acked, &v.items[2]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_u64(&p.confirmed, &v.items[3]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_bool(&p.finalized, &v.items[4]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_u64(&p.dealers, &v.items[6]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_u64(&p.winners, &v.items[7]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
    return p;
}

void e2e_mpk_hex(e2e_cluster *cl, char out[193]) {
    tkms_chain_abi_value pool_values[4], v;
    tkms_chain_abi_pool pool = {pool_values, 4, 0};
    tkms_chain_bytes keep;
    view(cl, &v, &pool, &keep, &cl->epoch_log, TKMS_CHAIN_EPOCHLOG_MPK, NULL,
         TKMS_CHAIN_EPOCHLOG_MPK_OUT);
    assert_int_equal(v.items[0].len, 96);
    tu_hex(out, v.items[0].data, 96);
    tkms_chain_bytes_free(&keep);
}

#define ARRAY_POOL_VALUES (4 * E2E_OPERATORS_MAX + 16)

/* The items of the array that signature(epoch) returns first, at the latest block, copied
   out (static types only: kind and word stay valid); returns their count, at most max. */
static size_t epoch_items(e2e_cluster *cl, tkms_chain_abi_value *out, size_t max,
                          const char *signature, const char *outputs, uint64_t epoch) {
    tkms_chain_abi_value pool_values[ARRAY_POOL_VALUES], v, a = tkms_chain_abi_uint64(epoch);
    tkms_chain_abi_pool pool = {pool_values, ARRAY_POOL_VALUES, 0};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    view(cl, &v, &pool, &keep, &cl->epoch_log, signature, &args, outputs);
    size_t n = v.items[0].count;
    assert_true(n <= max);
    memcpy(out, v.items[0].items, n * sizeof *out);
    tkms_chain_bytes_free(&keep);
    return n;
}

/* epoch_items decoded as addresses (into addresses) or integers (into numbers). */
static size_t epoch_decode(e2e_cluster *cl, tkms_chain_address *addresses, uint64_t *numbers,
                           size_t max, const char *signature, const char *outputs, uint64_t epoch) {
    tkms_chain_abi_value items[E2E_OPERATORS_MAX];
    size_t n = epoch_items(cl, items, max < E2E_OPERATORS_MAX ? max : E2E_OPERATORS_MAX, signature,
                           outputs, epoch);
    for (size_t i = 0; i < n; i++) {
        tkms_err err = addresses != NULL ? tkms_chain_abi_get_address(&addresses[i], &items[i])
                                         : tkms_chain_abi_get_u64(&numbers[i], &items[i]);
        assert_int_equal(err, TKMS_OK);
    }
    return n;
}

size_t e2e_operators(e2e_cluster *cl, uint64_t epoch, tkms_chain_address *out, size_t max) {
    return epoch_decode(cl, out, NULL, max, TKMS_CHAIN_EPOCHLOG_SNAPSHOT,
                        TKMS_CHAIN_EPOCHLOG_SNAPSHOT_OUT, epoch);
}

size_t e2e_epoch_openings(e2e_cluster *cl, uint64_t epoch, uint64_t *out, size_t max) {
    return epoch_decode(cl, NULL, out, max, TKMS_CHAIN_EPOCHLOG_OPENINGS,
                        TKMS_CHAIN_EPOCHLOG_BITMAPS_OUT, epoch);
}

bool e2e_record_hash(e2e_cluster *cl, uint64_t epoch, const e2e_node *nd, uint8_t out[32]) {
    int index = e2e_index(cl, epoch, nd);
    tkms_chain_abi_value items[E2E_OPERATORS_MAX];
    size_t n = epoch_items(cl, items, E2E_OPERATORS_MAX, TKMS_CHAIN_EPOCHLOG_DEALINGS,
                           TKMS_CHAIN_EPOCHLOG_DEALINGS_OUT, epoch);
    static const uint8_t zero[32] = {0};
    bool found = index >= 0 && (size_t)index < n && memcmp(items[index].word, zero, 32) != 0;
    memcpy(out, found ? items[index].word : zero, 32);
    return found;
}

int e2e_index(e2e_cluster *cl, uint64_t epoch, const e2e_node *nd) {
    tkms_chain_address ops[E2E_OPERATORS_MAX];
    size_t n = e2e_operators(cl, epoch, ops, E2E_OPERATORS_MAX);
    for (size_t i = 0; i < n; i++) {
        if (memcmp(ops[i].bytes, nd->address.bytes, 20) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- transactions ---------------------------------------------------------------------------- */

static const tkms_chain_artifact *artifact_of(const e2e_cluster *cl, const tkms_chain_address *to) {
    const tkms_chain_address *known[3] = {&cl->registry, &cl->epoch_log, &cl->apps};
    for (size_t i = 0; i < 3; i++) {
        if (memcmp(known[i]->bytes, to->bytes, 20) == 0) {
            return &cl->artifacts[i];
        }
    }
    return NULL;
}

static bool receipt_found(e2e_cluster *cl, void *arg) {
    tkms_chain_receipt r;
    bool found = false;
    tkms_err err = tkms_chain_receipt_get(cl->chain, &r, &found, arg);
    if (err == TKMS_OK && found) {
        tkms_chain_receipt_clear(&r);
    }
    return err == TKMS_OK && found;
}

tkms_err e2e_send(e2e_cluster *cl, tkms_chain_nonces *nonces, const tkms_chain_key *key,
                  const tkms_chain_address *to, const char *signature,
                  const tkms_chain_abi_value *args) {
    cl->revert[0] = '\0';
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    tkms_chain_bytes data;
    assert_int_equal(tkms_chain_abi_call_encode(&data, signature, args != NULL ? args : &none),
                     TKMS_OK);
    tkms_chain_send_request req = {.to = to, .data = data.ptr, .data_len = data.len};
    tkms_chain_send_options opt = ct_send_options();
    tkms_chain_sent sent;
    tkms_err err = tkms_chain_tx_submit(cl->chain, nonces, key, &sent, &req, &opt);
    tkms_chain_bytes_free(&data);
    if (err == TKMS_OK) {
        if (cl->lockstep) {
            e2e_drive_until(cl, receipt_found, &sent.hash, 60, signature);
        }
        tkms_chain_receipt r;
        err = tkms_chain_tx_wait(cl->chain, nonces, key, &r, &sent, &opt);
        if (err == TKMS_OK || err == TKMS_ERR_CHAIN_TX_REVERTED) {
            tkms_chain_receipt_clear(&r);
        }
    }
    if (err == TKMS_ERR_CHAIN_REVERTED || err == TKMS_ERR_CHAIN_TX_REVERTED) {
        const uint8_t *revert;
        size_t len;
        tkms_chain_client_revert_data(cl->chain, &revert, &len);
        tkms_chain_revert_describe(cl->revert, sizeof cl->revert, artifact_of(cl, to), revert, len);
    }
    return err;
}

tkms_err e2e_owner_send(e2e_cluster *cl, const tkms_chain_address *to, const char *signature,
                        const tkms_chain_abi_value *args) {
    return e2e_send(cl, cl->owner_nonces, &cl->owner, to, signature, args);
}

static void owner_must(e2e_cluster *cl, const tkms_chain_address *to, const char *signature,
                       const tkms_chain_abi_value *args) {
    tkms_err err = e2e_owner_send(cl, to, signature, args);
    if (err != TKMS_OK) {
        fail_msg("%s: %s %s (%s)", signature, tkms_err_name(err), cl->revert,
                 tkms_chain_client_error(cl->chain));
    }
}

size_t e2e_drop_pending(e2e_cluster *cl, const e2e_node *nd) {
    char me[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(me, &nd->address);
    json_t *pool = ct_rpc(cl->chain, "txpool_content", "[]");
    size_t dropped = 0;
    const char *kinds[] = {"pending", "queued"};
    for (size_t k = 0; k < 2; k++) {
        const char *sender;
        json_t *txs;
        json_object_foreach(json_object_get(pool, kinds[k]), sender, txs) {
            if (strcasecmp(sender, me) != 0) {
                continue;
            }
            const char *nonce;
            json_t *tx;
            json_object_foreach(txs, nonce, tx) {
                char params[128];
                snprintf(params, sizeof params, "[\"%s\"]",
                         json_string_value(json_object_get(tx, "hash")));
                ct_rpc_void(cl->chain, "anvil_dropTransaction", params);
                dropped++;
            }
        }
    }
    json_decref(pool);
    return dropped;
}

/* ---- deployment ------------------------------------------------------------------------------ */

static void deploy(e2e_cluster *cl) {
    const e2e_options *o = &cl->opt;
    ct_artifact(&cl->artifacts[0], "KmsRegistry");
    ct_artifact(&cl->artifacts[1], "EpochLog");
    ct_artifact(&cl->artifacts[2], "AppController");
    tkms_chain_abi_value p[] = {
        tkms_chain_abi_uint64(o->interval),         tkms_chain_abi_uint64(o->offsets[0]),
        tkms_chain_abi_uint64(o->offsets[1]),       tkms_chain_abi_uint64(o->offsets[2]),
        tkms_chain_abi_uint64(o->offsets[3]),       tkms_chain_abi_uint64(o->offsets[4]),
        tkms_chain_abi_uint64(o->confirmations),    tkms_chain_abi_uint64(o->min_operators),
        tkms_chain_abi_uint64(o->fallback_patience)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(p, 9);
    cl->registry = ct_deploy(cl->chain, cl->owner_nonces, &cl->owner, &cl->artifacts[0],
                             TKMS_CHAIN_REGISTRY_CONSTRUCTOR, &args);
    tkms_chain_abi_value r = tkms_chain_abi_address(&cl->registry);
    args = tkms_chain_abi_tuple(&r, 1);
    cl->epoch_log = ct_deploy(cl->chain, cl->owner_nonces, &cl->owner, &cl->artifacts[1],
                              TKMS_CHAIN_EPOCHLOG_CONSTRUCTOR, &args);
    tkms_chain_abi_value l = tkms_chain_abi_address(&cl->epoch_log);
    args = tkms_chain_abi_tuple(&l, 1);
    owner_must(cl, &cl->registry, TKMS_CHAIN_REGISTRY_SET_EPOCH_LOG, &args);
    cl->apps = ct_deploy(cl->chain, cl->owner_nonces, &cl->owner, &cl->artifacts[2], NULL, NULL);
}

static void write_deployment(e2e_cluster *cl) {
    char reg[43], log[43], apps[43], text[1024];
    tkms_chain_address_format(reg, &cl->registry);
    tkms_chain_address_format(log, &cl->epoch_log);
    tkms_chain_address_format(apps, &cl->apps);
    snprintf(text, sizeof text,
             "{\"rpc_url\":\"%s\",\"chain_id\":%d,\"kms_registry\":\"%s\",\"epoch_log\":\"%s\","
             "\"app_controller\":\"%s\"}\n",
             cl->anvil.url, CT_CHAIN_ID, reg, log, apps);
    snprintf(cl->deployment, sizeof cl->deployment, "%s/deployment.json", cl->root);
    dt_write_file(cl->deployment, text, 0600);
}

static void options_fill(e2e_options *o, const e2e_options *in) {
    static const uint64_t offsets[5] = {5, 10, 15, 20, 25};
    *o = in != NULL ? *in : (e2e_options){0};
    o->nodes = o->nodes == 0 ? 4 : o->nodes;
    assert_true(o->nodes <= E2E_NODES_MAX);
    o->interval = o->interval == 0 ? 30 : o->interval;
    if (o->offsets[0] == 0) {
        memcpy(o->offsets, offsets, sizeof offsets);
    }
    o->confirmations = o->confirmations == 0 ? 1 : o->confirmations;
    if (o->min_operators == 0) {
        o->min_operators = o->nodes < 4 ? (uint32_t)o->nodes : 4;
    }
    o->fallback_patience = o->fallback_patience == 0 ? 2 : o->fallback_patience;
    o->poll_ms = o->poll_ms == 0 ? 20 : o->poll_ms;
    o->mine_fallback_ms = o->mine_fallback_ms == 0 ? E2E_MINE_FALLBACK_MS : o->mine_fallback_ms;
}

void e2e_setup(e2e_cluster *cl, const e2e_options *opt) {
    memset(cl, 0, sizeof *cl);
    cl->started_ms = dt_now_ms();
    options_fill(&cl->opt, opt);
    setenv("TKMS_CONTRACTS_DIR", dt_contracts_dir(), 1);
    test_anvil_start(&cl->anvil, NULL);
    cl->chain = ct_client(cl->anvil.url, 1);
    cl->owner = ct_key(OWNER_KEY);
    cl->owner_nonces = ct_nonces(cl->anvil.dir, OWNER_KEY, &cl->owner);
    snprintf(cl->root, sizeof cl->root, "/tmp/tkms-e2e-XXXXXX");
    assert_non_null(mkdtemp(cl->root));
    deploy(cl);
    write_deployment(cl);
    for (size_t i = 0; i < cl->opt.nodes; i++) {
        e2e_node_add(cl);
    }
    fprintf(stderr, "[e2e] anvil %s, %zu nodes in %s\n", cl->anvil.url, cl->count, cl->root);
}

int e2e_fixture_setup(void **state) {
    e2e_cluster *cl = *state;
    e2e_options opt = cl->opt;
    e2e_setup(cl, &opt);
    return 0;
}

int e2e_fixture_teardown(void **state) {
    e2e_teardown(*state);
    return 0;
}

static void rm_rf(const char *path) {
    char cmd[PATH_MAX + 32];
    if (strncmp(path, "/tmp/tkms-e2e-", 14) == 0) { /* only what the harness created */
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
        int rc = system(cmd);
        (void)rc;
    }
}

void e2e_teardown(e2e_cluster *cl) {
    for (size_t i = 0; i < cl->count; i++) {
        if (node_running(&cl->n[i])) {
            kill(cl->n[i].pid, SIGKILL);
            dt_wait(cl->n[i].pid, 5000);
            cl->n[i].pid = 0;
        }
    }
    tkms_chain_nonces_close(cl->owner_nonces);
    cl->owner_nonces = NULL;
    ct_nonces_remove(cl->anvil.dir, OWNER_KEY);
    tkms_chain_client_free(cl->chain);
    cl->chain = NULL;
    test_anvil_cleanup(&cl->anvil);
    for (size_t i = 0; i < 3; i++) {
        tkms_chain_artifact_free(&cl->artifacts[i]);
    }
    if (getenv("TKMS_KEEP_E2E") == NULL && cl->root[0] != '\0') {
        rm_rf(cl->root);
    }
    fprintf(stderr, "[e2e] done in %.1f s (%llu blocks mined without every running node)\n",
            (double)(dt_now_ms() - cl->started_ms) / 1000.0,
            (unsigned long long)cl->fallback_mines);
}

/* ---- nodes: keys, registration, config, processes -------------------------------------------- */

static void node_keygen(e2e_node *nd) {
    char keys[PATH_MAX + 16], out[1024];
    snprintf(keys, sizeof keys, "%s/node.keys", nd->dir);
    const char *argv[] = {dt_tkmsd(), "keygen", "--out", keys, NULL};
    assert_int_equal(dt_run_capture(argv, out, sizeof out), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(
        tkms_chain_address_parse(&nd->address, json_string_value(json_object_get(j, "address"))),
        TKMS_OK);
    const char *ed = json_string_value(json_object_get(j, "ed25519_pub"));
    const char *x = json_string_value(json_object_get(j, "x25519_pub"));
    assert_int_equal(tu_unhex(nd->ed25519, 32, ed), 32);
    assert_int_equal(tu_unhex(nd->x25519, 32, x), 32);
    json_decref(j);
    struct stat st;
    assert_int_equal(stat(keys, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

/* The operator's chain key, read back from the key file keygen wrote. */
static tkms_chain_key node_chain_key(const e2e_node *nd) {
    char keys[PATH_MAX + 16], text[512];
    snprintf(keys, sizeof keys, "%s/node.keys", nd->dir);
    FILE *f = fopen(keys, "r");
    assert_non_null(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    uint8_t sk[32];
    assert_int_equal(tu_unhex(sk, 32, json_string_value(json_object_get(j, "chain_key"))), 32);
    json_decref(j);
    tkms_chain_key key;
    assert_int_equal(tkms_chain_key_from_bytes(&key, sk), TKMS_OK);
    assert_memory_equal(key.address.bytes, nd->address.bytes, 20);
    return key;
}

/* Funds the fresh key, allow-lists it and registers it with the keys keygen printed. */
static void node_register(e2e_cluster *cl, e2e_node *nd) {
    char params[160], address[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(address, &nd->address);
    snprintf(params, sizeof params, "[\"%s\",\"0x56bc75e2d63100000\"]", address); /* 100 ETH */
    ct_rpc_void(cl->chain, "anvil_setBalance", params);
    tkms_chain_abi_value a = tkms_chain_abi_address(&nd->address);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    owner_must(cl, &cl->registry, TKMS_CHAIN_REGISTRY_ALLOW, &args);
    tkms_chain_key key = node_chain_key(nd);
    tkms_chain_abi_value f4[] = {tkms_chain_abi_bytes32(nd->ed25519),
                                 tkms_chain_abi_bytes32(nd->x25519), tkms_chain_abi_string(nd->url),
                                 tkms_chain_abi_string(nd->url)};
    args = tkms_chain_abi_tuple(f4, 4);
    /* a nonce store of its own: the node's store (data/nonces.json) is the node's alone */
    tkms_chain_nonces *nonces = NULL;
    char nonce_path[PATH_MAX + 32];
    snprintf(nonce_path, sizeof nonce_path, "%s/register-nonces.json", nd->dir);
    assert_int_equal(tkms_chain_nonces_open(&nonces, nonce_path, CT_CHAIN_ID, &key.address),
                     TKMS_OK);
    tkms_err err = e2e_send(cl, nonces, &key, &cl->registry, TKMS_CHAIN_REGISTRY_REGISTER, &args);
    tkms_chain_nonces_close(nonces);
    tkms_chain_key_wipe(&key);
    if (err != TKMS_OK) {
        fail_msg("register: %s %s (%s)", tkms_err_name(err), cl->revert,
                 tkms_chain_client_error(cl->chain));
    }
}

static void node_config(e2e_cluster *cl, e2e_node *nd) {
    char seal[PATH_MAX + 16], data[PATH_MAX + 16], reg[43], log[43], apps[43];
    snprintf(seal, sizeof seal, "%s/seal.key", nd->dir);
    dt_write_file(seal, "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\n", 0600);
    snprintf(data, sizeof data, "%s/data", nd->dir);
    assert_int_equal(mkdir(data, 0700), 0);
    tkms_chain_address_format(reg, &cl->registry);
    tkms_chain_address_format(log, &cl->epoch_log);
    tkms_chain_address_format(apps, &cl->apps);
    const char *extra = cl->opt.config_extra;
    char text[8192];
    int len =
        snprintf(text, sizeof text,
                 "{\"data_dir\":\"%s\",\"key_file\":\"%s/node.keys\",\"seal_key_file\":\"%s\","
                 "\"rpc_url\":\"%s\",\"chain_id\":%d,\"kms_registry\":\"%s\",\"epoch_log\":\"%s\","
                 "\"app_controller\":\"%s\",\"poll_ms\":%u,\"app_listen\":\"127.0.0.1:%d\","
                 "\"http_threads\":2,\"log_level\":\"info\"%s%s}\n",
                 data, nd->dir, seal, cl->anvil.url, CT_CHAIN_ID, reg, log, apps, cl->opt.poll_ms,
                 nd->port, extra != NULL ? "," : "", extra != NULL ? extra : "");
    assert_true(len > 0 && (size_t)len < sizeof text);
    snprintf(nd->config, sizeof nd->config, "%s/config.json", nd->dir);
    dt_write_file(nd->config, text, 0600);
}

e2e_node *e2e_node_add(e2e_cluster *cl) {
    assert_true(cl->count < E2E_NODES_MAX);
    e2e_node *nd = &cl->n[cl->count];
    memset(nd, 0, sizeof *nd);
    snprintf(nd->dir, sizeof nd->dir, "%s/node%zu", cl->root, cl->count);
    assert_int_equal(mkdir(nd->dir, 0700), 0);
    snprintf(nd->log, sizeof nd->log, "%s/tkmsd.log", nd->dir);
    dt_free_ports(&nd->port, 1);
    snprintf(nd->url, sizeof nd->url, "http://127.0.0.1:%d", nd->port);
    cl->count++;
    node_keygen(nd);
    node_register(cl, nd);
    node_config(cl, nd);
    return nd;
}

void e2e_node_start_fsize(e2e_cluster *cl, e2e_node *nd, rlim_t fsize_max) {
    assert_false(node_running(nd));
    nd->log_mark = file_size(nd->log);
    cl->stepped_head[nd - cl->n] = 0;
    const char *argv[] = {dt_tkmsd(), "run", "--config", nd->config, NULL};
    nd->pid = dt_spawn_limited(argv, nd->log, fsize_max);
}

void e2e_node_start(e2e_cluster *cl, e2e_node *nd) {
    e2e_node_start_fsize(cl, nd, 0);
}

void e2e_node_kill(e2e_cluster *cl, e2e_node *nd) {
    (void)cl;
    assert_true(node_running(nd));
    kill(nd->pid, SIGKILL);
    int status = dt_wait(nd->pid, 5000);
    assert_true(status != -1 && WIFSIGNALED(status));
    nd->wait_status = status;
    nd->pid = 0;
}

int e2e_node_term(e2e_cluster *cl, e2e_node *nd) {
    (void)cl;
    assert_true(node_running(nd));
    kill(nd->pid, SIGTERM);
    int status = dt_wait(nd->pid, 15000);
    if (status == -1) {
        fail_msg("%s did not stop within 15 s of SIGTERM", nd->dir);
    }
    nd->wait_status = status;
    nd->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool e2e_node_exited(e2e_node *nd) {
    int status;
    if (nd->pid > 0 && waitpid(nd->pid, &status, WNOHANG) == nd->pid) {
        nd->wait_status = status;
        nd->pid = 0;
    }
    return nd->pid <= 0;
}

void e2e_start_all(e2e_cluster *cl) {
    for (size_t i = 0; i < cl->count; i++) {
        if (!node_running(&cl->n[i])) {
            e2e_node_start(cl, &cl->n[i]);
        }
    }
    e2e_drive_until(cl, all_healthy, NULL, 30, "every tkmsd answers /healthz");
}

/* ---- node reads ------------------------------------------------------------------------------ */

json_t *e2e_node_status(const e2e_node *nd) {
    char body[16384];
    if (!node_running(nd) || dt_http_get(nd->port, "/v1/status", body, sizeof body) != 200) {
        return NULL;
    }
    return json_loads(body, 0, NULL);
}

int64_t e2e_node_metric(const e2e_node *nd, const char *series) {
    static char body[262144]; /* tests run one thread of e2e calls */
    if (!node_running(nd) || dt_http_get(nd->port, "/metrics", body, sizeof body) != 200) {
        return -1;
    }
    size_t len = strlen(series);
    for (const char *line = body; line != NULL && *line != '\0';) {
        if (strncmp(line, series, len) == 0 && line[len] == ' ') {
            return strtoll(line + len + 1, NULL, 10);
        }
        line = strchr(line, '\n');
        line = line != NULL ? line + 1 : NULL;
    }
    return -1;
}

/* The final height a running node reports having stepped at (0: no answer). */
static uint64_t node_final(const e2e_node *nd) {
    json_t *j = e2e_node_status(nd);
    json_int_t f = json_integer_value(json_object_get(json_object_get(j, "chain"), "final"));
    json_decref(j);
    return (uint64_t)f;
}

bool e2e_node_in_phase(const e2e_node *nd, uint64_t epoch, const char *phase) {
    json_t *j = e2e_node_status(nd);
    const char *p = json_string_value(json_object_get(j, "phase"));
    bool ok = p != NULL && strcmp(p, phase) == 0 &&
              (uint64_t)json_integer_value(json_object_get(j, "epoch")) == epoch;
    json_decref(j);
    return ok;
}

bool e2e_node_holds(const e2e_node *nd, uint64_t v) {
    json_t *j = e2e_node_status(nd);
    json_t *held = json_object_get(j, "versions_held");
    bool found = false;
    for (size_t i = 0; i < json_array_size(held) && !found; i++) {
        found = (uint64_t)json_integer_value(json_array_get(held, i)) == v;
    }
    json_decref(j);
    return found;
}

bool e2e_node_serves(const e2e_node *nd, uint64_t v) {
    char body[1024];
    if (!node_running(nd) || dt_http_get(nd->port, "/readyz", body, sizeof body) != 200) {
        return false;
    }
    json_t *j = json_loads(body, 0, NULL);
    bool ok = (uint64_t)json_integer_value(json_object_get(j, "version")) == v;
    json_decref(j);
    return ok;
}

bool e2e_node_log_has(const e2e_node *nd, const char *needle) {
    FILE *f = fopen(nd->log, "r");
    if (f == NULL) {
        return false;
    }
    char line[4096];
    bool found = false;
    if (fseek(f, nd->log_mark, SEEK_SET) == 0) {
        while (!found && fgets(line, sizeof line, f) != NULL) {
            found = strstr(line, needle) != NULL;
        }
    }
    fclose(f);
    return found;
}

/* ---- the lockstep miner ---------------------------------------------------------------------- */

/* Every running node stepped at the newest final block. A node that exited is reaped
   here (pid 0, wait_status kept), so a halted node does not hold the chain back. */
static bool all_stepped(e2e_cluster *cl) {
    uint64_t head = ct_block_number(cl->chain);
    bool all = true;
    for (size_t i = 0; i < cl->count && all; i++) {
        e2e_node *nd = &cl->n[i];
        if (!node_running(nd) || e2e_node_exited(nd) || cl->stepped_head[i] == head) {
            continue; /* asked once per block only: polling costs the nodes CPU */
        }
        all = node_final(nd) + cl->opt.confirmations >= head;
        cl->stepped_head[i] = all ? head : 0;
    }
    return all;
}

/* The loop of both drives; fallback_ms 0: never mine without every running node. */
static void drive(e2e_cluster *cl, e2e_predicate p, void *arg, uint64_t seconds, const char *what,
                  uint64_t fallback_ms) {
    uint64_t start = dt_now_ms();
    for (;;) {
        bool all = cl->lockstep && all_stepped(cl);
        if (p(cl, arg)) {
            break;
        }
        uint64_t now = dt_now_ms();
        if (now - start > seconds * 1000) {
            e2e_dump_logs(cl);
            fail_msg("timed out after %llu s waiting for %s (block %llu)",
                     (unsigned long long)seconds, what,
                     (unsigned long long)ct_block_number(cl->chain));
        }
        bool late = fallback_ms > 0 && now - cl->last_mine_ms > fallback_ms;
        if (cl->lockstep && (all || late)) {
            cl->fallback_mines += all ? 0 : 1;
            ct_rpc_void(cl->chain, "evm_mine", "[]");
            cl->last_mine_ms = now;
        } else {
            dt_sleep_ms(5);
        }
    }
    e2e_note(cl, what);
}

void e2e_drive_until(e2e_cluster *cl, e2e_predicate p, void *arg, uint64_t seconds,
                     const char *what) {
    drive(cl, p, arg, seconds, what, cl->opt.mine_fallback_ms);
}

void e2e_drive_until_exact(e2e_cluster *cl, e2e_predicate p, void *arg, uint64_t seconds,
                           const char *what) {
    drive(cl, p, arg, seconds, what, 0);
}

bool e2e_until_finalized(e2e_cluster *cl, void *version) {
    return e2e_finalized_version(cl) >= *(const uint64_t *)version;
}

bool e2e_until_block(e2e_cluster *cl, void *block) {
    return ct_block_number(cl->chain) >= *(const uint64_t *)block;
}

static bool all_healthy(e2e_cluster *cl, void *arg) {
    (void)arg;
    char body[256];
    for (size_t i = 0; i < cl->count; i++) {
        if (node_running(&cl->n[i]) &&
            dt_http_get(cl->n[i].port, "/healthz", body, sizeof body) != 200) {
            return false;
        }
    }
    return true;
}

static bool in_set(const tkms_chain_address *set, size_t n, const tkms_chain_address *a) {
    for (size_t i = 0; i < n; i++) {
        if (memcmp(set[i].bytes, a->bytes, 20) == 0) {
            return true;
        }
    }
    return false;
}

bool e2e_until_all_serve(e2e_cluster *cl, void *version) {
    uint64_t v = *(const uint64_t *)version;
    tkms_chain_address ops[E2E_OPERATORS_MAX];
    size_t n = e2e_operators(cl, v, ops, E2E_OPERATORS_MAX);
    for (size_t i = 0; i < cl->count; i++) {
        const e2e_node *nd = &cl->n[i];
        if (node_running(nd) && in_set(ops, n, &nd->address) && !e2e_node_serves(nd, v)) {
            return false;
        }
    }
    return true;
}

/* /v1/pubkey of one node: version v, the chain's MPK, O(v)'s operators. */
static void check_pubkey(const e2e_node *nd, uint64_t v, const char *mpk_want,
                         const tkms_chain_address *ops, size_t n) {
    char body[65536];
    int status = 0;
    for (int attempt = 0; attempt < 3 && status == 0; attempt++) { /* 0: no answer in 2 s */
        status = dt_http_get(nd->port, "/v1/pubkey", body, sizeof body);
    }
    assert_int_equal(status, 200);
    json_t *j = json_loads(body, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "version")), (json_int_t)v);
    const char *mpk = json_string_value(json_object_get(j, "mpk"));
    assert_non_null(mpk);
    if (strncmp(mpk, "0x", 2) == 0) {
        mpk += 2;
    }
    assert_string_equal(mpk, mpk_want);
    json_t *operators = json_object_get(j, "operators");
    assert_int_equal(json_array_size(operators), n);
    for (size_t i = 0; i < n; i++) {
        tkms_chain_address a;
        const char *hex =
            json_string_value(json_object_get(json_array_get(operators, i), "address"));
        assert_non_null(hex);
        assert_int_equal(tkms_chain_address_parse(&a, hex), TKMS_OK);
        assert_true(in_set(ops, n, &a));
    }
    json_decref(j);
}

void e2e_expect_serving(e2e_cluster *cl, uint64_t v) {
    char what[96];
    snprintf(what, sizeof what, "every running member of O(%llu) serves it", (unsigned long long)v);
    e2e_drive_until(cl, e2e_until_all_serve, &v, 60, what);
    char want[193];
    e2e_mpk_hex(cl, want);
    tkms_chain_address ops[E2E_OPERATORS_MAX];
    size_t n = e2e_operators(cl, v, ops, E2E_OPERATORS_MAX);
    for (size_t i = 0; i < cl->count; i++) {
        if (node_running(&cl->n[i]) && in_set(ops, n, &cl->n[i].address)) {
            check_pubkey(&cl->n[i], v, want, ops, n);
        }
    }
}

/* ---- genesis --------------------------------------------------------------------------------- */

uint64_t e2e_genesis(e2e_cluster *cl) {
    ct_automine(cl->chain, false); /* from here on only e2e_drive_until mines */
    cl->lockstep = true;
    cl->last_mine_ms = dt_now_ms();
    owner_must(cl, &cl->registry, TKMS_CHAIN_REGISTRY_START_GENESIS, NULL);
    /* nothing happens before the first trigger: mine the idle blocks at once (the nodes
       catch up from any height) and go back to lockstep two blocks before it */
    uint64_t head = ct_block_number(cl->chain);
    uint64_t trigger = (head + cl->opt.interval - 1) / cl->opt.interval * cl->opt.interval;
    if (trigger > head + 2) {
        ct_mine(cl->chain, trigger - 2 - head);
    }
    uint64_t first = 1;
    e2e_drive_until(cl, e2e_until_finalized, &first, 120, "genesis DKG finalized on chain");
    return e2e_finalized_version(cl);
}

/* ---- apps, the client library, raw sockets (added for test_e2e_client, test_e2e_hostile) ----- */

#include <poll.h>
#include <sys/random.h>

#include "common/tkms_ct.h"
#include "ibe/ibe.h"
#include "prim/prim.h"

#define E2E_REGISTRY_UPDATE "update(bytes32,string,string)"

/* e2e_send from key with a nonce store of its own at nonce_path; fails the test on error. */
static void send_as(e2e_cluster *cl, const tkms_chain_key *key, const char *nonce_path,
                    const tkms_chain_address *to, const char *signature,
                    const tkms_chain_abi_value *args) {
    tkms_chain_nonces *nonces = NULL;
    assert_int_equal(tkms_chain_nonces_open(&nonces, nonce_path, CT_CHAIN_ID, &key->address),
                     TKMS_OK);
    tkms_err err = e2e_send(cl, nonces, key, to, signature, args);
    tkms_chain_nonces_close(nonces);
    if (err != TKMS_OK) {
        fail_msg("%s: %s %s (%s)", signature, tkms_err_name(err), cl->revert,
                 tkms_chain_client_error(cl->chain));
    }
}

void e2e_node_set_app_url(e2e_cluster *cl, e2e_node *nd, const char *app_url) {
    assert_false(node_running(nd));
    tkms_chain_key key = node_chain_key(nd);
    tkms_chain_abi_value f[] = {tkms_chain_abi_bytes32(nd->ed25519), tkms_chain_abi_string(nd->url),
                                tkms_chain_abi_string(app_url)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 3);
    char nonce_path[PATH_MAX + 32];
    snprintf(nonce_path, sizeof nonce_path, "%s/register-nonces.json", nd->dir);
    send_as(cl, &key, nonce_path, &cl->registry, E2E_REGISTRY_UPDATE, &args);
    tkms_chain_key_wipe(&key);
}

long e2e_node_rss_kb(const e2e_node *nd) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)nd->pid);
    FILE *f = node_running(nd) ? fopen(path, "r") : NULL;
    long kb = -1;
    while (f != NULL && kb < 0 && fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "VmRSS: %ld kB", &kb) != 1) {
            kb = -1;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    if (kb < 0) {
        fail_msg("no VmRSS for %s (pid %d)", nd->dir, (int)nd->pid);
    }
    return kb;
}

static void app_send(e2e_cluster *cl, size_t owner_index, const char *signature,
                     const tkms_chain_abi_value *args) {
    tkms_chain_key key = ct_key(owner_index);
    char nonce_path[PATH_MAX + 32];
    snprintf(nonce_path, sizeof nonce_path, "%s/app-owner-%zu-nonces.json", cl->root, owner_index);
    send_as(cl, &key, nonce_path, &cl->apps, signature, args);
    tkms_chain_key_wipe(&key);
}

void e2e_app_create(e2e_cluster *cl, e2e_app *app, size_t owner_index, uint8_t salt) {
    uint8_t s[32];
    memset(s, salt, sizeof s);
    tkms_chain_abi_value arg = tkms_chain_abi_bytes32(s);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&arg, 1);
    app_send(cl, owner_index, TKMS_CHAIN_APPS_CREATE, &args);
    tkms_chain_key owner = ct_key(owner_index);
    tkms_chain_abi_value a[] = {tkms_chain_abi_address(&owner.address), tkms_chain_abi_bytes32(s)};
    tkms_chain_key_wipe(&owner);
    tkms_chain_abi_value pool_values[4], v;
    tkms_chain_abi_pool pool = {pool_values, 4, 0};
    tkms_chain_bytes keep;
    args = tkms_chain_abi_tuple(a, 2);
    view(cl, &v, &pool, &keep, &cl->apps, TKMS_CHAIN_APPS_APP_ADDRESS, &args,
         TKMS_CHAIN_APPS_APP_ADDRESS_OUT);
    memset(app, 0, sizeof *app);
    assert_int_equal(tkms_chain_abi_get_address(&app->address, &v.items[0]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
    tkms_chain_hex_encode(app->id, app->address.bytes, 20); /* lowercase: the identity */
    app->owner_index = owner_index;
}

void e2e_app_release(e2e_cluster *cl, const e2e_app *app, uint8_t digest, const char *env_plain,
                     const char *public_env) {
    size_t plain_len = env_plain != NULL ? strlen(env_plain) : 0;
    size_t ct_len = env_plain != NULL ? plain_len + TKMS_IBE_OVERHEAD_BYTES : 0;
    uint8_t *ct = calloc(1, ct_len + 1), d[32];
    assert_non_null(ct);
    if (env_plain != NULL) {
        char hex[193];
        uint8_t raw[96];
        tkms_bls_g2 mpk;
        e2e_mpk_hex(cl, hex);
        assert_int_equal(tu_unhex(raw, 96, hex), 96);
        assert_int_equal(tkms_bls_g2_decode(&mpk, raw), TKMS_OK);
        assert_int_equal(tkms_ibe_encrypt(ct, ct_len, (const uint8_t *)app->id, strlen(app->id),
                                          &mpk, (const uint8_t *)env_plain, plain_len,
                                          tkms_rng_os()),
                         TKMS_OK);
    }
    memset(d, digest, sizeof d);
    tkms_chain_abi_value f[] = {
        tkms_chain_abi_address(&app->address), tkms_chain_abi_bytes32(d),
        tkms_chain_abi_string("ghcr.io/tkms/e2e"), tkms_chain_abi_bytes(ct, ct_len),
        tkms_chain_abi_bytes((const uint8_t *)public_env, strlen(public_env))};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 5);
    app_send(cl, app->owner_index, TKMS_CHAIN_APPS_PUBLISH, &args);
    free(ct);
}

void e2e_client_init(e2e_client *c, const e2e_cluster *cl, const e2e_app *app) {
    memset(c, 0, sizeof *c);
    snprintf(c->rpc_url, sizeof c->rpc_url, "%s", cl->anvil.url);
    memcpy(c->epoch_log, cl->epoch_log.bytes, 20);
    snprintf(c->app_id, sizeof c->app_id, "%s", app->id);
    tkms_chain_key owner = ct_key(app->owner_index);
    memcpy(c->owner_sk, owner.sk, 32);
    tkms_chain_key_wipe(&owner);
    assert_int_equal(tkms_prim_rsa_keygen(c->rsa_private, c->rsa_public, E2E_PEM_BYTES, 2048),
                     TKMS_OK);
    c->timeout_ms = TKMS_CLIENT_TIMEOUT_MS_DEFAULT;
}

void e2e_client_wipe(e2e_client *c) {
    tkms_wipe(c, sizeof *c);
}

/* The dev-ecdsa request of c over net (fresh nonce: the nodes' replay cache spends it). */
static tkms_err client_fetch_dev(const e2e_client *c, const tkms_client_network *net,
                                 tkms_client_secrets *out) {
    char attestation[TKMS_CLIENT_DEV_ATTESTATION_BYTES], challenge[TKMS_CLIENT_CHALLENGE_BYTES];
    uint8_t nonce[32];
    if (getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) {
        return TKMS_ERR_RANDOM;
    }
    size_t pem_len = strlen(c->rsa_public);
    tkms_err err =
        tkms_client_dev_attest(attestation, challenge, c->owner_sk, c->app_id, c->rsa_public,
                               pem_len, NULL, 0, (uint64_t)time(NULL), nonce);
    if (err != TKMS_OK) {
        return err;
    }
    tkms_client_secrets_request req = {.app_id = c->app_id,
                                       .attestation_method = "dev-ecdsa",
                                       .attestation = attestation,
                                       .rsa_public_pem = c->rsa_public,
                                       .rsa_private_pem = c->rsa_private,
                                       .challenge = challenge};
    tkms_client_http_options http;
    tkms_client_http_options_default(&http);
    http.timeout_ms = c->timeout_ms;
    return tkms_client_secrets_fetch(out, net, &req, &http, tkms_rng_os());
}

/* The failure of a fetch in one line: the error and every operator that was not ok. */
static void client_why(char *why, size_t max, tkms_err err, const tkms_client_secrets *s,
                       tkms_client_chain *chain) {
    int n =
        snprintf(why, max, "secrets: %s (%s)", tkms_err_name(err), tkms_client_chain_error(chain));
    size_t len = n > 0 && (size_t)n < max ? (size_t)n : max - 1;
    for (uint32_t i = 0; i < s->operator_count && len + 1 < max; i++) {
        const tkms_client_operator_report *r = &s->operators[i];
        if (r->status == TKMS_CLIENT_OPERATOR_OK) {
            continue;
        }
        char address[TKMS_CHAIN_ADDRESS_HEX_BYTES];
        tkms_chain_hex_encode(address, r->address, 20);
        n = snprintf(why + len, max - len, "; %s %s (HTTP %ld) %s", address,
                     tkms_client_operator_status_name(r->status), r->http_status, r->detail);
        len = n > 0 && len + (size_t)n < max ? len + (size_t)n : max - 1;
    }
}

tkms_err e2e_client_fetch(const e2e_client *c, tkms_client_secrets *out, tkms_bls_g2 *mpk,
                          char *why, size_t why_max) {
    memset(out, 0, sizeof *out);
    why[0] = '\0';
    tkms_client_chain_options o = {.rpc_url = c->rpc_url,
                                   .chain_id = CT_CHAIN_ID,
                                   .timeout_ms = 10000,
                                   .connect_timeout_ms = 2000};
    memcpy(o.epoch_log, c->epoch_log, 20);
    tkms_client_chain *chain = NULL;
    tkms_client_network *net = calloc(1, sizeof *net); /* ~40 KB: not on a thread's stack */
    tkms_err err = net != NULL ? tkms_client_chain_new(&chain, &o) : TKMS_ERR_OUT_OF_MEMORY;
    if (err != TKMS_OK) {
        snprintf(why, why_max, "client chain handle: %s", tkms_err_name(err));
    } else if ((err = tkms_client_chain_network(chain, net)) != TKMS_OK) {
        snprintf(why, why_max, "network from chain: %s (%s)", tkms_err_name(err),
                 tkms_client_chain_error(chain));
    } else if ((err = client_fetch_dev(c, net, out)) != TKMS_OK) {
        client_why(why, why_max, err, out, chain);
    } else if (mpk != NULL) {
        *mpk = net->mpk;
    }
    tkms_client_chain_free(chain);
    free(net);
    return err;
}

void e2e_wait_until(e2e_cluster *cl, e2e_predicate p, void *arg, uint64_t seconds,
                    const char *what) {
    bool lockstep = cl->lockstep;
    cl->lockstep = false; /* e2e_drive_until mines only in lockstep */
    e2e_drive_until(cl, p, arg, seconds, what);
    cl->lockstep = lockstep;
}

int e2e_raw_connect(const char *src, int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_port = 0};
    bool ok = fd >= 0 && (src == NULL || (inet_pton(AF_INET, src, &from.sin_addr) == 1 &&
                                          bind(fd, (struct sockaddr *)&from, sizeof from) == 0));
    if (ok && connect(fd, (struct sockaddr *)&a, sizeof a) == 0) {
        return fd;
    }
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

bool e2e_raw_send(int fd, const void *data, size_t len) {
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

int e2e_raw_status(int fd, int timeout_ms) {
    char head[64] = "";
    size_t got = 0;
    uint64_t end = dt_now_ms() + (uint64_t)timeout_ms;
    while (got < sizeof head - 1 && strstr(head, "\r\n") == NULL) {
        uint64_t now = dt_now_ms();
        struct pollfd p = {.fd = fd, .events = POLLIN};
        ssize_t n = now < end && poll(&p, 1, (int)(end - now)) > 0
                        ? recv(fd, head + got, sizeof head - 1 - got, 0)
                        : 0;
        if (n <= 0) {
            break; /* closed, error or the deadline */
        }
        got += (size_t)n;
        head[got] = '\0';
    }
    int status = 0;
    return sscanf(head, "HTTP/1.%*d %d", &status) == 1 ? status : 0;
}
