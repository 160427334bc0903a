/*
 * tkmsd.c — the tkms node daemon: `tkmsd [run] [options]`, `tkmsd keygen`, `tkmsd pubkeys`.
 *
 * Wires the pieces together and does nothing else (style R15, §3 "god file"): reads the
 * configuration (config.c) and the operator keys (keys.c), opens the node loop (driver.c:
 * chain, store, protocol state, nonces, outbox), starts the HTTP server (http.c) on the
 * shared snapshot and record pool, and runs the loop on the main thread until SIGTERM or
 * SIGINT. Shutdown is graceful (the current step finishes, the server drains, the store
 * checkpoints); SIGKILL at any point is safe by construction: every state change is in
 * the store before anything that depends on it leaves the node (I4), and a restart
 * resumes from it with no manual step.
 * Exit status: 0 after a stop request, 1 usage/configuration, 2 start-up failure,
 * 3 halted (store write failed, reorg beyond final, protocol halt).
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "common/tkms_assert.h"
#include "node/chain_reader.h"
#include "node/driver.h"
#include "node/http.h"
#include "node/log.h"
#include "node/metrics.h"

extern char **environ;

static atomic_bool stop_requested;

static void on_signal(int sig) {
    (void)sig;
    atomic_store(&stop_requested, true); /* async-signal-safe: lock-free atomic store */
}

static void usage(FILE *out) {
    fprintf(out, "usage: tkmsd [run] [--config FILE] [options]\n"
                 "       tkmsd keygen --out FILE [--chain-key FILE]\n"
                 "       tkmsd pubkeys --key-file FILE\n\n");
    node_config_usage(out);
    fprintf(out, "\nenvironment: TKMS_SEAL_KEY (64 hex digits) when seal_key_file is not set\n"
                 "exit status: 0 stopped, 1 usage or configuration, 2 start-up failed, "
                 "3 halted\n");
}

static void signals_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a peer hanging up is an error return, not a death */
}

typedef struct {
    node_config config;
    node_keys keys;
    node_snapshots snapshots;
    node_records *records;
    node_metrics *metrics;
    node_chain_reader *reader;
    node_driver *driver;
    node_http *http;
} tkmsd_parts;

static int daemon_start(tkmsd_parts *dm) {
    node_snapshots_init(&dm->snapshots);
    tkms_err err = node_keys_load(&dm->keys, dm->config.key_file);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "tkmsd", "key_file_invalid", NODE_LOG_NO_EPOCH, "%s: %s",
                 dm->config.key_file, tkms_err_name(err));
        return 2;
    }
    dm->records = node_records_new();
    dm->metrics = node_metrics_new();
    node_chain_source src;
    err = node_chain_source_rpc(&src, dm->config.rpc_url, dm->config.chain_id,
                                dm->config.app_controller, dm->config.http_threads);
    if (err == TKMS_OK) {
        err = node_chain_reader_new(&dm->reader, &src, 0, NODE_CHAIN_CACHE_ENTRIES_MAX);
    }
    if (dm->records == NULL || dm->metrics == NULL || err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "tkmsd", "start_failed", NODE_LOG_NO_EPOCH, "%s",
                 tkms_err_name(err != TKMS_OK ? err : TKMS_ERR_OUT_OF_MEMORY));
        return 2;
    }
    node_driver_options o = {.config = &dm->config, .keys = &dm->keys,
                             .snapshots = &dm->snapshots, .records = dm->records,
                             .metrics = dm->metrics, .reader = dm->reader,
                             .stop = &stop_requested};
    err = node_driver_open(&dm->driver, &o); /* reads TKMS_SEAL_KEY before any thread */
    node_keys_wipe(&dm->keys);
    if (err != TKMS_OK) {
        return 2;
    }
    err = node_http_start(&dm->http, &dm->config, &dm->snapshots, dm->records, dm->reader,
                          dm->metrics);
    if (err != TKMS_OK) {
        node_log(NODE_LOG_ERROR, "tkmsd", "http_start_failed", NODE_LOG_NO_EPOCH, "%s",
                 tkms_err_name(err));
        return 2;
    }
    node_log(NODE_LOG_INFO, "tkmsd", "started", NODE_LOG_NO_EPOCH,
             "app port %u, peer port %u", node_http_port(dm->http, NODE_HTTP_LISTENER_APP),
             node_http_port(dm->http, NODE_HTTP_LISTENER_PEER));
    return 0;
}

static void daemon_stop(tkmsd_parts *dm) {
    node_http_stop(dm->http); /* handlers hold snapshots and the pool: stop them first */
    node_driver_close(dm->driver);
    node_chain_reader_free(dm->reader);
    node_metrics_free(dm->metrics);
    node_records_free(dm->records);
    node_snapshots_destroy(&dm->snapshots);
    node_keys_wipe(&dm->keys);
}

static int run(int argc, char **argv) {
    static tkmsd_parts dm; /* ~10 KB of config and keys: not on the stack */
    node_config_errors errors;
    if (node_config_load(&dm.config, &errors, argc, argv, environ) != TKMS_OK) {
        for (size_t i = 0; i < errors.count; i++) {
            fprintf(stderr, "tkmsd: %s\n", errors.line[i]);
        }
        fprintf(stderr, "tkmsd: %zu configuration problem%s (tkmsd --help)\n", errors.count,
                errors.count == 1 ? "" : "s");
        return 1;
    }
    node_log_level_set(dm.config.log_level);
    signals_install();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return 2;
    }
    int rc = daemon_start(&dm);
    if (rc == 0) {
        tkms_err err = node_driver_run(dm.driver);
        rc = err == TKMS_OK ? 0 : 3;
    }
    daemon_stop(&dm);
    curl_global_cleanup();
    node_log(NODE_LOG_INFO, "tkmsd", "exit", NODE_LOG_NO_EPOCH, "status %d", rc);
    return rc;
}

int main(int argc, char **argv) {
    if (argc >= 2 && (strcmp(argv[1], "keygen") == 0 || strcmp(argv[1], "pubkeys") == 0)) {
        return node_keygen_main(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        usage(stdout);
        return 0;
    }
    int skip = argc >= 2 && strcmp(argv[1], "run") == 0 ? 2 : 1;
    return run(argc - skip, argv + skip);
}
