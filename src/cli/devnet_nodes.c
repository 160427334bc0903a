/*
 * devnet_nodes.c — the operator side of `tkms devnet up` (devnet.h): deploying the
 * contracts and registering operators by running this binary's own subcommands (`tkms
 * chain deploy`, `tkms operator allow|register`, `tkms app create|release`), the
 * operators' identities (`tkmsd keygen`) and seal keys, their tkmsd configuration files,
 * starting the tkmsd processes and waiting until each answers /healthz.
 *
 * Keys are written 0600 and never printed; the deployer key is anvil's public dev key.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/devnet.h"
#include "common/tkms_ct.h"

int devnet_write_secret(const cli_args *a, const char *path, const char *hex) {
    FILE *f = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL || fprintf(f, "%s\n", hex) < 0) {
        if (fd >= 0 && f == NULL) {
            close(fd);
        }
        if (f) {
            fclose(f);
        }
        return cli_fail(a, "cannot write %s", path);
    }
    fclose(f);
    return 0;
}

/* ---- running this binary ------------------------------------------------------------------ */

/* Runs `tkms <args…> --rpc R --deployment D` (NULL-terminated args), stdout in out. */
int devnet_self_run(const cli_args *a, const devnet_state *s, const char *what,
                    const char *const *args, char *out, size_t out_max) {
    const char *argv[48] = {s->tkms};
    char deployment[DEVNET_PATH_MAX];
    devnet_path(deployment, s, "deployment.json");
    size_t n = 1;
    for (; args[n - 1] != NULL && n < 40; n++) {
        argv[n] = args[n - 1];
    }
    const char *tail[] = {"--rpc", s->rpc_url, "--deployment", deployment, "--chain-id", "31337"};
    for (size_t i = 0; i < 6; i++) {
        argv[n++] = tail[i];
    }
    if (a->contracts_dir != NULL) {
        argv[n++] = "--contracts-dir";
        argv[n++] = a->contracts_dir;
    }
    argv[n] = NULL;
    char err[400];
    int rc = devnet_run(argv, out, out_max, err, sizeof err);
    return rc == 0 ? 0 : cli_fail(a, "%s failed: %s", what, err[0] ? err : "(no message)");
}

int devnet_deploy(const cli_args *a, const devnet_state *s, const devnet_params *p) {
    char key[DEVNET_PATH_MAX], deployment[DEVNET_PATH_MAX], v[7][24];
    devnet_path(key, s, "deployer.key");
    devnet_path(deployment, s, "deployment.json");
    snprintf(v[0], sizeof v[0], "%u", p->interval);
    for (int i = 0; i < 5; i++) {
        snprintf(v[1 + i], sizeof v[1 + i], "%u", p->offsets[i]);
    }
    snprintf(v[6], sizeof v[6], "%u", s->nodes);
    const char *args[] = {"chain",
                          "deploy",
                          "--key-file",
                          key,
                          "--out",
                          deployment,
                          "--interval",
                          v[0],
                          "--commit-offset",
                          v[1],
                          "--reveal-offset",
                          v[2],
                          "--ack-offset",
                          v[3],
                          "--open-offset",
                          v[4],
                          "--confirm-offset",
                          v[5],
                          "--confirmations",
                          "1",
                          "--min-operators",
                          v[6],
                          NULL};
    return devnet_self_run(a, s, "tkms chain deploy", args, NULL, 0);
}

/* `tkmsd keygen` for node i: its address and the public keys to register. */
int devnet_node_keygen(const cli_args *a, devnet_state *s, uint32_t i, char ed[67], char x[67]) {
    char dir[DEVNET_PATH_MAX], key[DEVNET_PATH_MAX], chain_key[DEVNET_PATH_MAX], name[32];
    char out[1024], err[400];
    snprintf(name, sizeof name, "node-%u", i);
    devnet_path(dir, s, name);
    snprintf(key, sizeof key, "%s/node.key", dir);
    snprintf(chain_key, sizeof chain_key, "%s/chain.key", dir);
    if (mkdir(dir, 0700) != 0) {
        return cli_fail(a, "cannot create %s", dir);
    }
    const char *argv[] = {s->tkmsd, "keygen", "--out", key, "--chain-key", chain_key, NULL};
    if (devnet_run(argv, out, sizeof out, err, sizeof err) != 0) {
        return cli_fail(a, "tkmsd keygen failed: %s", err);
    }
    json_t *o = json_loads(out, 0, NULL);
    const char *address = json_string_value(json_object_get(o, "address"));
    const char *e = json_string_value(json_object_get(o, "ed25519_pub"));
    const char *k = json_string_value(json_object_get(o, "x25519_pub"));
    int rc = address && e && k && strlen(e) == 66 && strlen(k) == 66
                 ? 0
                 : cli_fail(a, "tkmsd keygen printed no keys: %.120s", out);
    if (rc == 0) {
        snprintf(s->node_address[i], sizeof s->node_address[i], "%s", address);
        snprintf(ed, 67, "%s", e);
        snprintf(x, 67, "%s", k);
    }
    json_decref(o);
    uint8_t seal[32];
    char seal_hex[65], seal_path[DEVNET_PATH_MAX];
    snprintf(seal_path, sizeof seal_path, "%s/seal.key", dir);
    if (rc == 0 && getrandom(seal, sizeof seal, 0) == (ssize_t)sizeof seal) {
        tkms_chain_hex_encode(out, seal, 32);
        snprintf(seal_hex, sizeof seal_hex, "%s", out + 2);
        rc = devnet_write_secret(a, seal_path, seal_hex);
    }
    tkms_wipe(seal, sizeof seal);
    return rc;
}

/* Allow-lists every operator (as the registry owner) then registers each one (with its own
   chain key), each batch in parallel: the nonce store serializes the owner's transactions. */
int devnet_register(const cli_args *a, const devnet_state *s, char (*ed)[67], char (*x)[67]) {
    static char argv_text[DEVNET_NODES_MAX][8][DEVNET_PATH_MAX];
    static const char *argvs[DEVNET_NODES_MAX][20];
    const char *const *list[DEVNET_NODES_MAX];
    char key[DEVNET_PATH_MAX], deployment[DEVNET_PATH_MAX], err[400];
    devnet_path(key, s, "deployer.key");
    devnet_path(deployment, s, "deployment.json");
    for (int batch = 0; batch < 2; batch++) {
        for (uint32_t i = 0; i < s->nodes; i++) {
            char(*t)[DEVNET_PATH_MAX] = argv_text[i];
            snprintf(t[0], DEVNET_PATH_MAX, "http://127.0.0.1:%d", s->node_port[i]);
            snprintf(t[1], DEVNET_PATH_MAX, "%s/node-%u/chain.key", s->dir, i);
            const char *allow[] = {
                s->tkms,      "operator", "allow", "--address", s->node_address[i],
                "--key-file", key,        NULL};
            const char *reg[] = {
                s->tkms, "operator",   "register", "--ed25519-pub", ed[i], "--x25519-pub",
                x[i],    "--peer-url", t[0],       "--app-url",     t[0],  "--key-file",
                t[1],    NULL};
            const char *const *src = batch == 0 ? allow : reg;
            size_t n = 0;
            for (; src[n] != NULL; n++) {
                argvs[i][n] = src[n];
            }
            const char *tail[] = {"--rpc", s->rpc_url, "--deployment", deployment, NULL};
            for (size_t k = 0; tail[k] != NULL; k++) {
                argvs[i][n++] = tail[k];
            }
            argvs[i][n] = NULL;
            list[i] = argvs[i];
        }
        if (devnet_run_all(list, s->nodes, err, sizeof err) != 0) {
            return cli_fail(a, "tkms operator %s failed: %s", batch == 0 ? "allow" : "register",
                            err[0] ? err : "(no message)");
        }
    }
    return 0;
}

/* node-<i>/config.json for tkmsd (src/node/config.c keys). */
static int node_config_write(const cli_args *a, const devnet_state *s, uint32_t i) {
    char dir[DEVNET_PATH_MAX], path[DEVNET_PATH_MAX], sub[3][DEVNET_PATH_MAX], listen[32];
    snprintf(dir, sizeof dir, "%s/node-%u", s->dir, i);
    snprintf(path, sizeof path, "%s/config.json", dir);
    snprintf(sub[0], sizeof sub[0], "%s/data", dir);
    snprintf(sub[1], sizeof sub[1], "%s/node.key", dir);
    snprintf(sub[2], sizeof sub[2], "%s/seal.key", dir);
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->node_port[i]);
    char dep_path[DEVNET_PATH_MAX];
    devnet_path(dep_path, s, "deployment.json");
    json_t *dep = json_load_file(dep_path, 0, NULL);
    json_t *cfg =
        json_pack("{s:s,s:s,s:s,s:s,s:I,s:O,s:O,s:O,s:s,s:I,s:b,s:s}", "data_dir", sub[0],
                  "key_file", sub[1], "seal_key_file", sub[2], "rpc_url", s->rpc_url, "chain_id",
                  (json_int_t)DEVNET_CHAIN_ID, "kms_registry", json_object_get(dep, "kms_registry"),
                  "epoch_log", json_object_get(dep, "epoch_log"), "app_controller",
                  json_object_get(dep, "app_controller"), "app_listen", listen, "poll_ms",
                  (json_int_t)200, "dev_ecdsa_enabled", 1, "log_level", "info");
    int rc = cfg != NULL && mkdir(sub[0], 0700) == 0 &&
                     json_dump_file(cfg, path, JSON_INDENT(2) | JSON_SORT_KEYS) == 0
                 ? 0
                 : cli_fail(a, "cannot write %s (deployment file readable?)", path);
    json_decref(cfg);
    json_decref(dep);
    return rc;
}

/* GET /healthz of every node until all answer 200, bounded by timeout_ms. */
static int nodes_healthy(const cli_args *a, const devnet_state *s, uint32_t timeout_ms) {
    char urls[DEVNET_NODES_MAX][64];
    tkms_client_http_request reqs[DEVNET_NODES_MAX];
    tkms_client_http_response res[DEVNET_NODES_MAX];
    tkms_client_http_options o;
    tkms_client_http_options_default(&o);
    o.timeout_ms = 1000;
    for (uint32_t i = 0; i < s->nodes; i++) {
        snprintf(urls[i], sizeof urls[i], "http://127.0.0.1:%d/healthz", s->node_port[i]);
        reqs[i] = (tkms_client_http_request){urls[i], NULL, 0};
    }
    for (uint32_t waited = 0; waited < timeout_ms; waited += 250) {
        uint32_t up = 0, dead = s->nodes;
        if (tkms_client_http_run(res, reqs, s->nodes, &o) != TKMS_OK) {
            return cli_fail(a, "HTTP setup failed");
        }
        for (uint32_t i = 0; i < s->nodes; i++) {
            up += res[i].answered && res[i].status == 200;
            dead = devnet_alive(&s->node_proc[i]) ? dead : i;
        }
        tkms_client_http_clear(res, s->nodes);
        if (dead < s->nodes) {
            return cli_fail(a, "tkmsd node %u exited at start (see %s/node-%u/tkmsd.log)", dead,
                            s->dir, dead);
        }
        if (up == s->nodes) {
            return 0;
        }
        devnet_sleep_ms(250);
    }
    return cli_fail(a, "not every tkmsd answered /healthz within %u ms (logs in %s)", timeout_ms,
                    s->dir);
}

int devnet_nodes_start(const cli_args *a, devnet_state *s) {
    for (uint32_t i = 0; i < s->nodes; i++) {
        int rc = node_config_write(a, s, i);
        if (rc != 0) {
            return rc;
        }
        char config[DEVNET_PATH_MAX], log[DEVNET_PATH_MAX];
        snprintf(config, sizeof config, "%s/node-%u/config.json", s->dir, i);
        snprintf(log, sizeof log, "%s/node-%u/tkmsd.log", s->dir, i);
        const char *argv[] = {s->tkmsd, "run", "--config", config, NULL};
        s->node_proc[i].pid = devnet_spawn(log, argv);
        snprintf(s->node_proc[i].binary, sizeof s->node_proc[i].binary, "%s", s->tkmsd);
        if (s->node_proc[i].pid <= 0 || devnet_state_save(s) != 0) {
            return cli_fail(a, "cannot start %s", s->tkmsd);
        }
    }
    return nodes_healthy(a, s, 20000);
}

/* Is tkmsd there and runnable? (`tkmsd --help` exits 0.) */
int devnet_tkmsd_check(const cli_args *a, const devnet_state *s) {
    const char *argv[] = {s->tkmsd, "--help", NULL};
    char err[200];
    if (access(s->tkmsd, X_OK) != 0 || devnet_run(argv, NULL, 0, err, sizeof err) != 0) {
        return cli_fail(a,
                        "tkmsd is not runnable at %s (build the tkmsd target, or pass "
                        "--tkmsd PATH / env TKMS_TKMSD)",
                        s->tkmsd);
    }
    return 0;
}

/* The demo app: created by the deployer; its release carries the encrypted demo env. */
int devnet_demo_app(const cli_args *a, devnet_state *s, const char *env_plain) {
    char key[DEVNET_PATH_MAX], out[2048], hex_path[DEVNET_PATH_MAX], pub_path[DEVNET_PATH_MAX];
    devnet_path(key, s, "deployer.key");
    const char *create[] = {"app", "create", "--key-file", key, "--json", NULL};
    int rc = devnet_self_run(a, s, "tkms app create", create, out, sizeof out);
    json_t *o = rc == 0 ? json_loads(out, 0, NULL) : NULL;
    const char *app = json_string_value(json_object_get(o, "app"));
    if (rc == 0 && (app == NULL || !tkms_client_app_id_is_valid(app))) {
        rc = cli_fail(a, "tkms app create printed no app id");
    }
    if (rc == 0) {
        snprintf(s->app_id, sizeof s->app_id, "%s", app);
        rc = devnet_state_save(s) == 0 ? 0 : cli_fail(a, "cannot write the state file");
    }
    json_decref(o);
    devnet_path(hex_path, s, "demo.env.hex");
    devnet_path(pub_path, s, "demo.public-env.json");
    FILE *f = rc == 0 ? fopen(pub_path, "w") : NULL;
    if (rc == 0 &&
        (f == NULL || fputs("{\"DEMO\":\"tkms devnet\",\"NETWORK\":\"local\"}", f) < 0)) {
        rc = cli_fail(a, "cannot write %s", pub_path);
    }
    if (f != NULL) {
        fclose(f);
    }
    if (rc == 0) {
        rc = devnet_demo_env(a, s, env_plain, hex_path);
    }
    /* sha256("tkms devnet demo image"): a stand-in digest (dev-ecdsa attests ownership) */
    const char *release[] = {
        "app",
        "release",
        "--app",
        s->app_id,
        "--image-digest",
        "sha256:a30ba51603e836706977ab9cd9b555e2fc5ca42360b10b8f0ac398da034d378b",
        "--image-registry",
        "devnet/demo",
        "--env-file",
        hex_path,
        "--public-env-file",
        pub_path,
        "--key-file",
        key,
        NULL};
    return rc == 0 ? devnet_self_run(a, s, "tkms app release", release, NULL, 0) : rc;
}
