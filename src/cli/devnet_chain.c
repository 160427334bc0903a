/*
 * devnet_chain.c — the chain side of `tkms devnet up` (devnet.h): start anvil and learn
 * its port, fund fresh operator keys (anvil_setBalance), switch to a fixed block time
 * (evm_setIntervalMining) once the setup transactions are in, call startGenesis, follow
 * the genesis DKG to its finalization with progress lines, encrypt the demo env to the
 * demo app with the MPK from chain, and do the live round trip (every operator asked,
 * partials verified against chain-derived public shares, env decrypted).
 *
 * Everything a step reads it reads from chain or from the nodes' HTTP API; nothing is
 * trusted from the state file except where processes are and which app is the demo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_io.h"
#include "cli/devnet.h"
#include "common/tkms_ct.h"
#include "ibe/ibe.h"

#define ANVIL_LISTEN_PREFIX "Listening on 127.0.0.1:"
#define POLL_MS 500
#define FUND_WEI_HEX "0x56bc75e2d63100000" /* 100 ETH */

static int anvil_port_from_log(const char *log) {
    FILE *f = fopen(log, "r");
    char line[512];
    int port = 0;
    while (f != NULL && port == 0 && fgets(line, sizeof line, f) != NULL) {
        const char *p = strstr(line, ANVIL_LISTEN_PREFIX);
        port = p ? atoi(p + strlen(ANVIL_LISTEN_PREFIX)) : 0;
    }
    if (f != NULL) {
        fclose(f);
    }
    return port;
}

static tkms_chain_client *rpc_client(const devnet_state *s, uint32_t timeout_ms) {
    tkms_chain_client_options o;
    tkms_chain_client_options_default(&o);
    o.url = s->rpc_url;
    o.chain_id_expected = DEVNET_CHAIN_ID;
    o.timeout_ms = timeout_ms;
    o.retries = 1;
    tkms_chain_client *c = NULL;
    return tkms_chain_client_new(&c, &o) == TKMS_OK ? c : NULL;
}

/* One JSON-RPC call whose result is not needed. */
static int rpc_void(const cli_args *a, const devnet_state *s, const char *method, json_t *params) {
    tkms_chain_client *c = rpc_client(s, 5000);
    json_t *result = NULL;
    tkms_err err = c ? tkms_chain_rpc_call(c, &result, method, params) : TKMS_ERR_OUT_OF_MEMORY;
    int rc =
        err == TKMS_OK ? 0 : cli_fail(a, "%s: %s", method, c ? tkms_chain_client_error(c) : "");
    json_decref(result);
    tkms_chain_client_free(c);
    return rc;
}

int devnet_anvil_start(const cli_args *a, devnet_state *s, uint32_t timeout_ms) {
    char log[DEVNET_PATH_MAX];
    devnet_path(log, s, "anvil.log");
    unlink(log);
    const char *argv[] = {s->anvil, "--host",     "127.0.0.1", "--port",
                          "0",      "--chain-id", "31337",     NULL};
    s->anvil_proc.pid = devnet_spawn(log, argv);
    snprintf(s->anvil_proc.binary, sizeof s->anvil_proc.binary, "%s", s->anvil);
    if (s->anvil_proc.pid <= 0 || devnet_state_save(s) != 0) {
        return cli_fail(a, "cannot start anvil (%s) or write the state file", s->anvil);
    }
    int port = 0;
    for (uint32_t waited = 0; port == 0 && waited < timeout_ms; waited += 50) {
        if (!devnet_alive(&s->anvil_proc)) {
            return cli_fail(a, "anvil exited at start (see %s)", log);
        }
        devnet_sleep_ms(50);
        port = anvil_port_from_log(log);
    }
    if (port == 0) {
        return cli_fail(a, "anvil did not listen within %u ms (see %s)", timeout_ms, log);
    }
    snprintf(s->rpc_url, sizeof s->rpc_url, "http://127.0.0.1:%d", port);
    tkms_chain_client *c = rpc_client(s, 3000);
    uint64_t chain_id = 0;
    tkms_err err = c ? tkms_chain_client_chain_id(c, &chain_id) : TKMS_ERR_OUT_OF_MEMORY;
    tkms_chain_client_free(c);
    if (err != TKMS_OK) {
        return cli_fail(a, "anvil at %s does not answer eth_chainId (%s)", s->rpc_url,
                        tkms_err_name(err));
    }
    return devnet_state_save(s) == 0 ? 0 : cli_fail(a, "cannot write the state file");
}

int devnet_fund(const cli_args *a, const devnet_state *s, const char *address) {
    return rpc_void(a, s, "anvil_setBalance", json_pack("[s,s]", address, FUND_WEI_HEX));
}

int devnet_interval_mining(const cli_args *a, const devnet_state *s, uint32_t seconds) {
    return rpc_void(a, s, "evm_setIntervalMining", json_pack("[I]", (json_int_t)seconds));
}

/* A cli_args acting for the devnet's deployer (key file, deployment, RPC of the devnet). */
static void deployer_args(cli_args *out, const cli_args *a, const devnet_state *s,
                          char key[DEVNET_PATH_MAX], char deployment[DEVNET_PATH_MAX]) {
    *out = *a;
    devnet_path(key, s, "deployer.key");
    devnet_path(deployment, s, "deployment.json");
    out->rpc_url = s->rpc_url;
    out->key_file = key;
    out->nonce_file = NULL;
    out->deployment = deployment;
    out->chain_id = DEVNET_CHAIN_ID;
    for (int i = 0; i < 3; i++) {
        out->address_flags[i] = NULL;
    }
}

int devnet_start_genesis(const cli_args *a, devnet_state *s) {
    char key[DEVNET_PATH_MAX], deployment[DEVNET_PATH_MAX];
    cli_args d;
    deployer_args(&d, a, s, key, deployment);
    tkms_chain_address registry;
    int rc = cli_contract_address(&d, &registry, CLI_REGISTRY);
    cli_session sess = {0};
    tkms_chain_artifact art = {0};
    bool have_art = rc == 0 && cli_artifact_try(&d, &art, "KmsRegistry");
    if (rc == 0) {
        rc = cli_session_open(&sess, &d, true);
    }
    tkms_chain_receipt r = {0};
    tkms_chain_abi_value none = tkms_chain_abi_tuple(NULL, 0), values[8], ev;
    tkms_chain_abi_pool pool = {values, 8, 0};
    if (rc == 0) {
        rc = cli_send(&d, &sess, &r, &registry, TKMS_CHAIN_REGISTRY_START_GENESIS, &none,
                      have_art ? &art : NULL);
    }
    if (rc == 0 &&
        (r.log_count == 0 ||
         tkms_chain_abi_event_decode(&ev, &pool, TKMS_CHAIN_REGISTRY_EVENT_GENESIS_STARTED,
                                     &r.logs[0]) != TKMS_OK ||
         tkms_chain_abi_get_u64(&s->genesis_epoch, &ev.items[1]) != TKMS_OK)) {
        rc = cli_fail(a, "startGenesis mined without a GenesisStarted event");
    }
    tkms_chain_receipt_clear(&r);
    tkms_chain_artifact_free(&art);
    cli_session_close(&sess);
    return rc == 0 ? devnet_state_save(s) : rc;
}

/* ---- following the genesis DKG ----------------------------------------------------------- */

typedef struct {
    tkms_chain_client *c;
    tkms_chain_address epoch_log;
    uint64_t block, finalized, epoch;
    uint32_t committed, revealed, confirmed;
} dkg_view;

static uint32_t popcount64(uint64_t v) {
    uint32_t n = 0;
    for (; v != 0; v &= v - 1) {
        n++;
    }
    return n;
}

static tkms_err view_call(dkg_view *v, tkms_chain_abi_value *out, tkms_chain_abi_pool *pool,
                          tkms_chain_bytes *keep, const char *sig, const tkms_chain_abi_value *args,
                          const char *types) {
    tkms_chain_bytes data;
    tkms_err err = tkms_chain_abi_call_encode(&data, sig, args);
    tkms_chain_call_request req = {.to = &v->epoch_log, .data = data.ptr, .data_len = data.len};
    if (err == TKMS_OK) {
        err = tkms_chain_call(v->c, keep, &req, tkms_chain_block_number(v->block));
        tkms_chain_bytes_free(&data);
    }
    return err == TKMS_OK ? tkms_chain_abi_decode(out, pool, types, keep->ptr, keep->len) : err;
}

static tkms_err dkg_read(dkg_view *v, uint32_t interval) {
    tkms_chain_abi_value values[16], out, none = tkms_chain_abi_tuple(NULL, 0);
    tkms_chain_abi_pool pool = {values, 16, 0};
    tkms_chain_bytes keep = {0};
    tkms_err err = tkms_chain_block_number_get(v->c, &v->block);
    if (err == TKMS_OK) {
        err = view_call(v, &out, &pool, &keep, TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION, &none,
                        TKMS_CHAIN_EPOCHLOG_FINALIZED_VERSION_OUT);
    }
    if (err == TKMS_OK) {
        err = tkms_chain_abi_get_u64(&v->finalized, &out.items[0]);
    }
    tkms_chain_bytes_free(&keep);
    v->epoch = v->block / interval;
    tkms_chain_abi_value e = tkms_chain_abi_uint64(v->epoch);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&e, 1);
    pool.used = 0;
    if (err == TKMS_OK && view_call(v, &out, &pool, &keep, TKMS_CHAIN_EPOCHLOG_PROGRESS, &args,
                                    TKMS_CHAIN_EPOCHLOG_PROGRESS_OUT) == TKMS_OK) {
        uint64_t bits[4] = {0};
        for (int i = 0; i < 4; i++) {
            (void)tkms_chain_abi_get_u64(&bits[i], &out.items[i]);
        }
        v->committed = popcount64(bits[0]);
        v->revealed = popcount64(bits[1]);
        v->confirmed = popcount64(bits[3]);
    }
    tkms_chain_bytes_free(&keep);
    return err;
}

/* The last line of a node's log, for a failure message. */
static void log_tail(char *out, size_t max, const char *path) {
    FILE *f = fopen(path, "r");
    char line[512] = "";
    out[0] = 0;
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (line[0] != '\n') {
            snprintf(out, max, "%s", line);
        }
    }
    out[strcspn(out, "\n")] = 0;
    if (f != NULL) {
        fclose(f);
    }
}

static int nodes_alive(const cli_args *a, const devnet_state *s) {
    for (uint32_t i = 0; i < s->nodes; i++) {
        if (!devnet_alive(&s->node_proc[i])) {
            char name[64], log[DEVNET_PATH_MAX], tail[200];
            snprintf(name, sizeof name, "node-%u/tkmsd.log", i);
            devnet_path(log, s, name);
            log_tail(tail, sizeof tail, log);
            return cli_fail(a, "tkmsd node %u exited (see %s: %s)", i, log, tail);
        }
    }
    return 0;
}

static void dkg_progress(const cli_args *a, const dkg_view *v, const devnet_state *s,
                         dkg_view *shown) {
    bool changed = v->epoch != shown->epoch || v->committed != shown->committed ||
                   v->revealed != shown->revealed || v->confirmed != shown->confirmed ||
                   v->block >= shown->block + 10;
    if (!a->json && changed) {
        printf("      block %llu, epoch %llu: %u/%u committed, %u revealed, %u confirmed\n",
               (unsigned long long)v->block, (unsigned long long)v->epoch, v->committed, s->nodes,
               v->revealed, v->confirmed);
        fflush(stdout);
        *shown = *v;
    }
}

int devnet_wait_genesis(const cli_args *a, devnet_state *s, const devnet_params *p) {
    char key[DEVNET_PATH_MAX], deployment[DEVNET_PATH_MAX];
    cli_args d;
    deployer_args(&d, a, s, key, deployment);
    dkg_view v = {.c = rpc_client(s, 5000)}, shown = {.epoch = UINT64_MAX};
    int rc =
        v.c ? cli_contract_address(&d, &v.epoch_log, CLI_EPOCH_LOG) : cli_fail(a, "out of memory");
    uint32_t rounds = p->timeout_s * 1000 / POLL_MS;
    for (uint32_t i = 0; rc == 0 && i < rounds; i++) {
        tkms_err err = dkg_read(&v, p->interval);
        if (err == TKMS_OK && v.finalized != 0) {
            s->version = v.finalized;
            break;
        }
        rc = nodes_alive(a, s);
        if (rc == 0 && err == TKMS_OK) {
            dkg_progress(a, &v, s, &shown);
        }
        devnet_sleep_ms(POLL_MS);
    }
    if (rc == 0 && s->version == 0) {
        rc = cli_fail(a, "no key version finalized within %u s (block %llu; node logs in %s)",
                      p->timeout_s, (unsigned long long)v.block, s->dir);
    }
    tkms_chain_client_free(v.c);
    return rc == 0 ? devnet_state_save(s) : rc;
}

/* ---- the demo app ---------------------------------------------------------------------- */

static int network_open(const cli_args *a, const devnet_state *s, tkms_client_chain **chain,
                        tkms_client_network **net) {
    char key[DEVNET_PATH_MAX], deployment[DEVNET_PATH_MAX];
    cli_args d;
    deployer_args(&d, a, s, key, deployment);
    return cli_client_open(&d, chain, net, true);
}

int devnet_demo_env(const cli_args *a, const devnet_state *s, const char *plain,
                    const char *hex_path) {
    tkms_client_chain *chain = NULL;
    tkms_client_network *net = NULL;
    int rc = network_open(a, s, &chain, &net);
    size_t pt_len = strlen(plain), ct_len = pt_len + TKMS_IBE_OVERHEAD_BYTES;
    uint8_t ct[1024];
    char hex[2 * sizeof ct + 4];
    if (rc == 0 && ct_len > sizeof ct) {
        rc = cli_fail(a, "demo env too long");
    }
    if (rc == 0 &&
        tkms_ibe_encrypt(ct, sizeof ct, (const uint8_t *)s->app_id, strlen(s->app_id), &net->mpk,
                         (const uint8_t *)plain, pt_len, tkms_rng_os()) != TKMS_OK) {
        rc = cli_fail(a, "encrypting the demo env failed");
    }
    if (rc == 0) {
        tkms_chain_hex_encode(hex, ct, ct_len);
        hex[2 + 2 * ct_len] = '\n';
        rc = cli_write_all(a->name, hex_path, (const uint8_t *)hex + 2, 2 * ct_len + 1) ? 2 : 0;
    }
    cli_client_close(chain, net);
    return rc;
}

static void round_trip_print(const cli_args *a, const tkms_client_secrets *sec) {
    if (a->json) {
        return;
    }
    printf("      key version %llu, threshold %u, env agreed by %u operators:\n",
           (unsigned long long)sec->version, sec->t, sec->env_votes);
    const char *p = (const char *)sec->env, *end = p + sec->env_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        printf("        %.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
}

/* Asks every operator until t verified partials and the env come back (nodes may still be
   catching up with the release); bounded by timeout_s. */
int devnet_round_trip(const cli_args *a, devnet_state *s, uint32_t timeout_s) {
    char key_path[DEVNET_PATH_MAX];
    devnet_path(key_path, s, "deployer.key");
    tkms_chain_key owner;
    if (tkms_chain_key_load(&owner, key_path) != TKMS_OK) {
        return cli_fail(a, "cannot load %s", key_path);
    }
    static tkms_client_secrets sec;
    tkms_err err = TKMS_ERR_CLIENT_TOO_FEW_PARTIALS;
    int rc = 0;
    for (uint32_t waited = 0; rc == 0 && waited <= timeout_s; waited++) {
        tkms_client_chain *chain = NULL;
        tkms_client_network *net = NULL;
        rc = network_open(a, s, &chain, &net);
        err = rc == 0 ? cli_client_dev_secrets(a, net, s->app_id, &owner, false, 0, &sec) : err;
        cli_client_close(chain, net);
        if (rc != 0 || err == TKMS_OK) {
            break;
        }
        tkms_client_secrets_clear(&sec);
        devnet_sleep_ms(1000);
    }
    if (rc == 0 && err == TKMS_OK) {
        round_trip_print(a, &sec);
    } else if (rc == 0) {
        rc = cli_client_secrets_fail(a, err, &sec);
    }
    tkms_client_secrets_clear(&sec);
    tkms_chain_key_wipe(&owner);
    return rc;
}
