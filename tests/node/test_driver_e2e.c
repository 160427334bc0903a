/*
 * test_driver_e2e.c — four real tkmsd processes on a real anvil, over real loopback HTTP
 * and real SQLite files: the genesis DKG, one reshare, then a node SIGKILLed in the middle
 * of an epoch and restarted, which must rejoin with no manual step and confirm the epoch
 * with the others.
 *
 * Setup as an operator would do it: the contracts deployed (KmsRegistry, EpochLog,
 * setEpochLog, AppController; docs/contracts.md §2), `tkmsd keygen` per node (a real
 * process; its printed public keys are what gets registered), allow + register, one
 * config file per node, 4 × `tkmsd run`, then startGenesis.
 * The chain is mined by the test in lockstep with the nodes: a block is mined once every
 * running node reports (GET /v1/status) that it has stepped at the newest final block, or
 * after 1.5 s regardless (so a stuck node cannot stall the run: it then misses windows and
 * the assertions catch it). That keeps the phase windows (5 blocks) meaningful on a slow
 * or sanitized build without sleeping blindly. Every wait is bounded.
 * Checks: the chain finalizes epoch G (genesis) and G+1 (reshare, same MPK); every node
 * serves them (/readyz, /v1/pubkey with the chain's MPK); a node SIGKILLed after its
 * commit of epoch G+2 landed, and another after its ack of G+3 landed (its decrypted
 * components exist only in its store then), each restarted three blocks later, is among
 * that epoch's winning confirmers and activates it; a node whose store writes fail (its
 * file-size limit, as a full disk) halts with status 3 and, restarted, rejoins the next
 * epoch; SIGTERM stops every node with status 0.
 */
#include <jansson.h>

#include "chain/chain_test.h"
#include "driver_test.h"

#define NODES 4
#define INTERVAL 30
#define CONFIRMATIONS 1
#define MINE_FALLBACK_MS 1500
#define OWNER_KEY 0

typedef struct {
    char dir[PATH_MAX], log[PATH_MAX + 16], config[PATH_MAX + 16];
    int port;
    pid_t pid;
    tkms_chain_address address;
    uint8_t ed25519[32], x25519[32];
    size_t index; /* in O (address order) */
} node;

typedef struct {
    test_anvil anvil;
    tkms_chain_client *c;
    tkms_chain_key owner;
    tkms_chain_nonces *owner_nonces;
    tkms_chain_address registry, epoch_log, apps;
    char root[PATH_MAX];
    node n[NODES];
    uint64_t last_mine_ms;
    uint64_t started_ms;
} env;

static env E;

/* ---- chain reads and writes ---------------------------------------------------------------- */

static tkms_chain_block_ref latest(void) {
    return tkms_chain_block_tag(TKMS_CHAIN_BLOCK_LATEST);
}

static uint64_t finalized_version(void) {
    tkms_chain_abi_value pool_values[4], v, none = tkms_chain_abi_tuple(NULL, 0);
    tkms_chain_abi_pool pool = {pool_values, 4, 0};
    tkms_chain_bytes keep;
    assert_int_equal(ct_view(E.c, &v, &pool, &keep, &E.epoch_log,
                             TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION, &none,
                             TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION_OUT, latest()),
                     TKMS_OK);
    uint64_t x = 0;
    assert_int_equal(tkms_chain_abi_get_u64(&x, &v.items[0]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
    return x;
}

typedef struct {
    uint64_t committed, acked, winners; /* winners: who confirmed the winning key */
    bool finalized;
} progress_t;

/* epochProgress(e) at the latest block. */
static progress_t progress(uint64_t e) {
    progress_t p;
    tkms_chain_abi_value pool_values[16], v, a = tkms_chain_abi_uint64(e);
    tkms_chain_abi_pool pool = {pool_values, 16, 0};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    tkms_chain_bytes keep;
    assert_int_equal(ct_view(E.c, &v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_PROGRESS,
                             &args, TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT, latest()),
                     TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_u64(&p.committed, &v.items[0]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_u64(&p.acked, &v.items[2]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_bool(&p.finalized, &v.items[4]), TKMS_OK);
    assert_int_equal(tkms_chain_abi_get_u64(&p.winners, &v.items[7]), TKMS_OK);
    tkms_chain_bytes_free(&keep);
    return p;
}

static void mpk_hex(char out[193]) {
    tkms_chain_abi_value pool_values[4], v, none = tkms_chain_abi_tuple(NULL, 0);
    tkms_chain_abi_pool pool = {pool_values, 4, 0};
    tkms_chain_bytes keep;
    assert_int_equal(ct_view(E.c, &v, &pool, &keep, &E.epoch_log, TKMS_CHAIN_EPOCHLOG_MPK,
                             &none, TKMS_CHAIN_EPOCHLOG_MPK_OUT, latest()),
                     TKMS_OK);
    assert_int_equal(v.items[0].len, 96);
    tu_hex(out, v.items[0].data, 96);
    tkms_chain_bytes_free(&keep);
}

static void owner_send(const tkms_chain_address *to, const char *sig,
                       const tkms_chain_abi_value *args) {
    tkms_chain_receipt r;
    tkms_err err = ct_send(E.c, E.owner_nonces, &E.owner, &r, to, sig, args);
    if (err != TKMS_OK) {
        fail_msg("%s: %s (%s)", sig, tkms_err_name(err), tkms_chain_client_error(E.c));
    }
    tkms_chain_receipt_clear(&r);
}

static void deploy(void) {
    tkms_chain_artifact art[3];
    ct_artifact(&art[0], "KmsRegistry");
    ct_artifact(&art[1], "EpochLog");
    ct_artifact(&art[2], "AppController");
    /* windows of 5 blocks (>= c + 2), confirm at +25, next trigger at +30; min 4; k = 2 */
    tkms_chain_abi_value p[] = {
        tkms_chain_abi_uint64(INTERVAL), tkms_chain_abi_uint64(5),  tkms_chain_abi_uint64(10),
        tkms_chain_abi_uint64(15),       tkms_chain_abi_uint64(20), tkms_chain_abi_uint64(25),
        tkms_chain_abi_uint64(CONFIRMATIONS), tkms_chain_abi_uint64(NODES),
        tkms_chain_abi_uint64(2)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(p, 9);
    E.registry = ct_deploy(E.c, E.owner_nonces, &E.owner, &art[0],
                           TKMS_CHAIN_REGISTRY_CONSTRUCTOR, &args);
    tkms_chain_abi_value r = tkms_chain_abi_address(&E.registry);
    args = tkms_chain_abi_tuple(&r, 1);
    E.epoch_log = ct_deploy(E.c, E.owner_nonces, &E.owner, &art[1],
                            TKMS_CHAIN_EPOCHLOG_CONSTRUCTOR, &args);
    tkms_chain_abi_value l = tkms_chain_abi_address(&E.epoch_log);
    args = tkms_chain_abi_tuple(&l, 1);
    owner_send(&E.registry, TKMS_CHAIN_REGISTRY_SET_EPOCH_LOG, &args);
    E.apps = ct_deploy(E.c, E.owner_nonces, &E.owner, &art[2], NULL, NULL);
    for (size_t i = 0; i < 3; i++) {
        tkms_chain_artifact_free(&art[i]);
    }
}

/* ---- nodes: keys, registration, config, processes ------------------------------------------ */

static void node_keygen(node *nd) {
    char keys[PATH_MAX + 16], out[1024];
    snprintf(keys, sizeof keys, "%s/node.keys", nd->dir);
    const char *argv[] = {dt_tkmsd(), "keygen", "--out", keys, NULL};
    assert_int_equal(dt_run_capture(argv, out, sizeof out), 0);
    json_t *j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(tkms_chain_address_parse(&nd->address,
                                              json_string_value(json_object_get(j, "address"))),
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

/* Funds the fresh key, allow-lists it and registers it with the keys keygen printed. */
static void node_register(node *nd) {
    char params[160], address[TKMS_CHAIN_ADDRESS_HEX_BYTES];
    tkms_chain_address_format(address, &nd->address);
    snprintf(params, sizeof params, "[\"%s\",\"0x56bc75e2d63100000\"]", address); /* 100 ETH */
    ct_rpc_void(E.c, "anvil_setBalance", params);
    tkms_chain_abi_value a = tkms_chain_abi_address(&nd->address);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&a, 1);
    owner_send(&E.registry, TKMS_CHAIN_REGISTRY_ALLOW, &args);
    char keys[PATH_MAX + 16], chain_key[PATH_MAX + 16];
    snprintf(keys, sizeof keys, "%s/node.keys", nd->dir);
    snprintf(chain_key, sizeof chain_key, "%s/chain.key", nd->dir);
    /* the operator's chain key, as `tkms operator keygen` would have written it */
    FILE *f = fopen(keys, "r");
    assert_non_null(f);
    char text[512];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    json_t *j = json_loads(text, 0, NULL);
    uint8_t sk[32];
    assert_int_equal(tu_unhex(sk, 32, json_string_value(json_object_get(j, "chain_key"))), 32);
    json_decref(j);
    tkms_chain_key key;
    assert_int_equal(tkms_chain_key_from_bytes(&key, sk), TKMS_OK);
    assert_memory_equal(key.address.bytes, nd->address.bytes, 20);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", nd->port);
    tkms_chain_abi_value f4[] = {tkms_chain_abi_bytes32(nd->ed25519),
                                 tkms_chain_abi_bytes32(nd->x25519), tkms_chain_abi_string(url),
                                 tkms_chain_abi_string(url)};
    args = tkms_chain_abi_tuple(f4, 4);
    tkms_chain_nonces *nonces = NULL;
    char nonce_path[PATH_MAX + 32];
    snprintf(nonce_path, sizeof nonce_path, "%s/register-nonces.json", nd->dir);
    assert_int_equal(tkms_chain_nonces_open(&nonces, nonce_path, CT_CHAIN_ID, &key.address),
                     TKMS_OK);
    tkms_chain_receipt r;
    tkms_err err = ct_send(E.c, nonces, &key, &r, &E.registry, TKMS_CHAIN_REGISTRY_REGISTER,
                           &args);
    if (err != TKMS_OK) {
        fail_msg("register: %s (%s)", tkms_err_name(err), tkms_chain_client_error(E.c));
    }
    tkms_chain_receipt_clear(&r);
    tkms_chain_nonces_close(nonces);
    tkms_chain_key_wipe(&key);
}

static void node_config(node *nd) {
    char seal[PATH_MAX + 16], data[PATH_MAX + 16], reg[43], log[43], apps[43];
    snprintf(seal, sizeof seal, "%s/seal.key", nd->dir);
    dt_write_file(seal, "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\n",
                  0600);
    snprintf(data, sizeof data, "%s/data", nd->dir);
    assert_int_equal(mkdir(data, 0700), 0);
    tkms_chain_address_format(reg, &E.registry);
    tkms_chain_address_format(log, &E.epoch_log);
    tkms_chain_address_format(apps, &E.apps);
    char text[4096];
    snprintf(text, sizeof text,
             "{\"data_dir\":\"%s\",\"key_file\":\"%s/node.keys\",\"seal_key_file\":\"%s\","
             "\"rpc_url\":\"%s\",\"chain_id\":%d,\"kms_registry\":\"%s\",\"epoch_log\":\"%s\","
             "\"app_controller\":\"%s\",\"poll_ms\":20,\"app_listen\":\"127.0.0.1:%d\","
             "\"http_threads\":2,\"log_level\":\"info\"}\n",
             data, nd->dir, seal, E.anvil.url, CT_CHAIN_ID, reg, log, apps, nd->port);
    snprintf(nd->config, sizeof nd->config, "%s/config.json", nd->dir);
    dt_write_file(nd->config, text, 0600);
}

static void node_start(node *nd) {
    const char *argv[] = {dt_tkmsd(), "run", "--config", nd->config, NULL};
    nd->pid = dt_spawn(argv, nd->log);
}

static void dump_logs(void) {
    for (size_t i = 0; i < NODES; i++) {
        dt_log_tail(E.n[i].log, 25);
    }
}

/* ---- driving the chain --------------------------------------------------------------------- */

/* The final height a running node reports having stepped at (0: no answer). */
static uint64_t node_final(const node *nd) {
    char body[8192];
    if (dt_http_get(nd->port, "/v1/status", body, sizeof body) != 200) {
        return 0;
    }
    json_t *j = json_loads(body, 0, NULL);
    json_int_t f = json_integer_value(json_object_get(json_object_get(j, "chain"), "final"));
    json_decref(j);
    return (uint64_t)f;
}

/* Mines one block when every running node has stepped at the newest final block, or
   after MINE_FALLBACK_MS; otherwise waits 5 ms (polling, bounded by the caller). */
static void tick(void) {
    uint64_t head = ct_block_number(E.c);
    bool all = true;
    for (size_t i = 0; i < NODES && all; i++) {
        all = E.n[i].pid <= 0 || node_final(&E.n[i]) + CONFIRMATIONS >= head;
    }
    uint64_t now = dt_now_ms();
    if (all || now - E.last_mine_ms > MINE_FALLBACK_MS) {
        ct_rpc_void(E.c, "evm_mine", "[]");
        E.last_mine_ms = now;
    } else {
        dt_sleep_ms(5);
    }
}

typedef bool (*predicate)(void *arg);

static void drive_until(predicate p, void *arg, uint64_t seconds, const char *what) {
    uint64_t start = dt_now_ms();
    while (!p(arg)) {
        if (dt_now_ms() - start > seconds * 1000) {
            dump_logs();
            fail_msg("timed out after %llu s waiting for %s (block %llu)",
                     (unsigned long long)seconds, what,
                     (unsigned long long)ct_block_number(E.c));
        }
        tick();
    }
    fprintf(stderr, "[e2e %6.1f s] %s (block %llu)\n",
            (double)(dt_now_ms() - E.started_ms) / 1000.0, what,
            (unsigned long long)ct_block_number(E.c));
}

static bool version_finalized(void *arg) {
    return finalized_version() >= *(uint64_t *)arg;
}

/* Node nd reports version v as its newest held one (/readyz). */
static bool node_serves(const node *nd, uint64_t v) {
    char body[1024];
    if (dt_http_get(nd->port, "/readyz", body, sizeof body) != 200) {
        return false;
    }
    json_t *j = json_loads(body, 0, NULL);
    bool ok = (uint64_t)json_integer_value(json_object_get(j, "version")) == v;
    json_decref(j);
    return ok;
}

static bool all_serve(void *arg) {
    for (size_t i = 0; i < NODES; i++) {
        if (!node_serves(&E.n[i], *(uint64_t *)arg)) {
            return false;
        }
    }
    return true;
}

static bool all_healthy(void *arg) {
    (void)arg;
    char body[256];
    for (size_t i = 0; i < NODES; i++) {
        if (dt_http_get(E.n[i].port, "/healthz", body, sizeof body) != 200) {
            return false;
        }
    }
    return true;
}

/* /v1/pubkey of every node: version v and the chain's MPK. */
static void check_pubkeys(uint64_t v) {
    char want[193];
    mpk_hex(want);
    for (size_t i = 0; i < NODES; i++) {
        char body[65536];
        assert_int_equal(dt_http_get(E.n[i].port, "/v1/pubkey", body, sizeof body), 200);
        json_t *j = json_loads(body, 0, NULL);
        assert_non_null(j);
        assert_int_equal(json_integer_value(json_object_get(j, "version")), (json_int_t)v);
        const char *mpk = json_string_value(json_object_get(j, "mpk"));
        assert_non_null(mpk);
        if (strncmp(mpk, "0x", 2) == 0) {
            mpk += 2;
        }
        assert_string_equal(mpk, want);
        assert_int_equal(json_array_size(json_object_get(j, "operators")), NODES);
        json_decref(j);
    }
}

/* ---- setup and teardown --------------------------------------------------------------------- */

static void order_nodes(void) {
    for (size_t i = 0; i < NODES; i++) {
        E.n[i].index = 0;
        for (size_t j = 0; j < NODES; j++) {
            if (memcmp(E.n[j].address.bytes, E.n[i].address.bytes, 20) < 0) {
                E.n[i].index++;
            }
        }
    }
}

static int setup(void **state) {
    (void)state;
    memset(&E, 0, sizeof E);
    E.started_ms = dt_now_ms();
    setenv("TKMS_CONTRACTS_DIR", dt_contracts_dir(), 1);
    test_anvil_start(&E.anvil, NULL);
    E.c = ct_client(E.anvil.url, 1);
    E.owner = ct_key(OWNER_KEY);
    E.owner_nonces = ct_nonces(E.anvil.dir, 0, &E.owner);
    deploy();
    snprintf(E.root, sizeof E.root, "/tmp/tkms-e2e-XXXXXX");
    assert_non_null(mkdtemp(E.root));
    int ports[NODES];
    dt_free_ports(ports, NODES);
    for (size_t i = 0; i < NODES; i++) {
        node *nd = &E.n[i];
        snprintf(nd->dir, sizeof nd->dir, "%s/node%zu", E.root, i);
        assert_int_equal(mkdir(nd->dir, 0700), 0);
        snprintf(nd->log, sizeof nd->log, "%s/tkmsd.log", nd->dir);
        nd->port = ports[i];
        node_keygen(nd);
        node_register(nd);
        node_config(nd);
    }
    order_nodes();
    fprintf(stderr, "[e2e] anvil %s, nodes in %s\n", E.anvil.url, E.root);
    return 0;
}

static void rm_rf(const char *path) {
    char cmd[PATH_MAX + 32];
    if (strncmp(path, "/tmp/tkms-e2e-", 14) == 0) { /* only what this test created */
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
        int rc = system(cmd);
        (void)rc;
    }
}

static int teardown(void **state) {
    (void)state;
    for (size_t i = 0; i < NODES; i++) {
        if (E.n[i].pid > 0) {
            kill(E.n[i].pid, SIGKILL);
            dt_wait(E.n[i].pid, 5000);
        }
    }
    tkms_chain_nonces_close(E.owner_nonces);
    ct_nonces_remove(E.anvil.dir, 0);
    tkms_chain_client_free(E.c);
    test_anvil_cleanup(&E.anvil);
    if (getenv("TKMS_KEEP_E2E") == NULL) {
        rm_rf(E.root);
    }
    return 0;
}

/* ---- the scenario ---------------------------------------------------------------------------- */

/* {epoch, index, which}: node `index` has committed (which = 0) or acked (1) in epoch. */
static bool landed(void *arg) {
    const uint64_t *a = arg;
    progress_t p = progress(a[0]);
    return ((a[2] == 0 ? p.committed : p.acked) >> a[1]) & 1;
}

static bool past_block(void *arg) {
    return ct_block_number(E.c) >= *(uint64_t *)arg;
}

static void genesis_and_reshare(uint64_t *g) {
    for (size_t i = 0; i < NODES; i++) {
        node_start(&E.n[i]);
    }
    drive_until(all_healthy, NULL, 30, "all four tkmsd answer /healthz");
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0);
    ct_automine(E.c, false); /* from here on only tick() mines */
    tkms_chain_bytes data;
    assert_int_equal(tkms_chain_abi_call_encode(&data, TKMS_CHAIN_REGISTRY_START_GENESIS, &none),
                     TKMS_OK);
    tkms_chain_send_request req = {.to = &E.registry, .data = data.ptr, .data_len = data.len};
    tkms_chain_send_options opt = ct_send_options();
    tkms_chain_sent sent;
    assert_int_equal(tkms_chain_tx_submit(E.c, E.owner_nonces, &E.owner, &sent, &req, &opt),
                     TKMS_OK);
    tkms_chain_bytes_free(&data);
    uint64_t first = 1;
    drive_until(version_finalized, &first, 120, "genesis DKG finalized on chain");
    *g = finalized_version();
    drive_until(all_serve, g, 60, "every node activated the genesis version");
    check_pubkeys(*g);
    uint64_t next = *g + 1;
    drive_until(version_finalized, &next, 120, "reshare finalized on chain");
    assert_int_equal(finalized_version(), next);
    drive_until(all_serve, &next, 60, "every node activated the reshared version");
    check_pubkeys(next); /* same MPK as the chain's, which never changes */
}

/* SIGKILLs node k once its commit (which = 0) or ack (1) of epoch e landed, restarts it
   three blocks later, and checks that e finalizes with k among the winning confirmers and
   that every node activates e. */
static void crash_and_rejoin(node *k, uint64_t e, uint64_t which, const char *what) {
    uint64_t arg[3] = {e, k->index, which};
    drive_until(landed, arg, 60, what);
    kill(k->pid, SIGKILL);
    assert_true(WIFSIGNALED(dt_wait(k->pid, 5000)));
    k->pid = 0;
    uint64_t resume = ct_block_number(E.c) + 3;
    drive_until(past_block, &resume, 30, "three blocks without the killed node");
    node_start(k);
    drive_until(version_finalized, &e, 120, "the epoch of the crash finalized");
    progress_t p = progress(e);
    assert_true(p.finalized);
    if (!((p.winners >> k->index) & 1)) {
        dump_logs();
        fail_msg("epoch %llu: the restarted node is not among the winning confirmers (0x%llx)",
                 (unsigned long long)e, (unsigned long long)p.winners);
    }
    drive_until(all_serve, &e, 60, "every node, the restarted one too, activated it");
    check_pubkeys(e);
}

static off_t file_size(const char *dir, const char *name) {
    char path[PATH_MAX + 32];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0 ? st.st_size : 0;
}

static bool exited(void *arg) {
    node *nd = arg;
    int status;
    if (waitpid(nd->pid, &status, WNOHANG) != nd->pid) {
        return false;
    }
    nd->pid = -status - 1; /* keep the status; <= 0 means "not running" to tick() */
    return true;
}

static bool log_has(const char *path, const char *needle) {
    FILE *f = fopen(path, "r");
    char line[2048];
    bool found = false;
    while (f != NULL && !found && fgets(line, sizeof line, f) != NULL) {
        found = strstr(line, needle) != NULL;
    }
    if (f != NULL) {
        fclose(f);
    }
    return found;
}

/* R6: a store write that fails (here: the file-size limit, as a full disk would) halts the
   node with status 3 after logging; restarted normally, it rejoins and confirms the next
   epoch that starts after it came back. */
static void store_failure_halts(node *k) {
    kill(k->pid, SIGTERM);
    int status = dt_wait(k->pid, 15000);
    assert_true(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char data[PATH_MAX + 8], log[PATH_MAX + 16];
    snprintf(data, sizeof data, "%s/data", k->dir);
    snprintf(log, sizeof log, "%s/tkmsd-full.log", k->dir);
    /* room for opening (its WAL and shared memory) but not for many state writes */
    rlim_t cap = (rlim_t)(file_size(data, "tkms.db") + 160 * 1024);
    const char *argv[] = {dt_tkmsd(), "run", "--config", k->config, NULL};
    k->pid = dt_spawn_limited(argv, log, cap);
    drive_until(exited, k, 60, "the node with a full disk halted");
    status = -k->pid - 1;
    k->pid = 0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 3 || !log_has(log, "halting")) {
        dt_log_tail(log, 20);
        fail_msg("expected exit status 3 after a failed store write (status 0x%x)", status);
    }
    node_start(k);
    uint64_t e = ct_block_number(E.c) / INTERVAL + 1;
    drive_until(version_finalized, &e, 120, "the next epoch finalized");
    progress_t p = progress(e);
    if (!((p.winners >> k->index) & 1)) {
        dump_logs();
        fail_msg("epoch %llu: the node that halted is not among the winners (0x%llx)",
                 (unsigned long long)e, (unsigned long long)p.winners);
    }
    drive_until(all_serve, &e, 60, "every node activated it");
}

static void test_genesis_reshare_kill_restart(void **state) {
    (void)state;
    uint64_t g = 0;
    genesis_and_reshare(&g);
    crash_and_rejoin(&E.n[1], g + 2, 0, "node 1 committed its dealing (then SIGKILL)");
    crash_and_rejoin(&E.n[2], g + 3, 1, "node 2 acked (then SIGKILL)");
    store_failure_halts(&E.n[3]);
    for (size_t i = 0; i < NODES; i++) { /* graceful stop */
        kill(E.n[i].pid, SIGTERM);
    }
    for (size_t i = 0; i < NODES; i++) {
        int status = dt_wait(E.n[i].pid, 15000);
        assert_true(status != -1 && WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        E.n[i].pid = 0;
    }
    fprintf(stderr, "[e2e] done in %.1f s\n", (double)(dt_now_ms() - E.started_ms) / 1000.0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_genesis_reshare_kill_restart, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
