/*
 * e2e.h — the end-to-end cluster harness: a real anvil, the real contracts, N real tkmsd
 * processes on loopback HTTP with real SQLite files, and a miner that moves the chain in
 * lockstep with the nodes. Linked into every tests/node/test_e2e_*.c program and
 * test_driver_e2e.c (library tkms_e2e, tests/node/CMakeLists.txt). Spec: protocol.md §3–6,
 * api.md, chain.md; what each test proves is in docs/node.md "End-to-end tests".
 *
 * What it does, as an operator would: deploys KmsRegistry, EpochLog (setEpochLog) and
 * AppController (docs/contracts.md §2) from anvil dev key #0 (the owner); per node runs
 * `tkmsd keygen` (a real process; its printed public keys are what gets registered),
 * funds the new address, allow-lists it, registers it from its own key, writes a config
 * file and starts `tkmsd run`. Nodes can be added at any time (e2e_node_add), killed
 * (SIGKILL), restarted, stopped (SIGTERM).
 *
 * The lockstep miner (from e2e_genesis on, automine is off and only the harness mines):
 * e2e_drive_until() mines one block at a time, as soon as every running node reports
 * (GET /v1/status "chain.final") that it stepped at the newest final block, or after
 * e2e_options.mine_fallback_ms regardless (a stuck node cannot stall the run; it then misses
 * windows and the assertions catch it). The predicate is evaluated after that check and
 * before each block is mined, so a predicate on a node's phase sees the settled state of
 * every height: a test can stop the chain at an exact protocol phase of one node.
 * Every wait is bounded by a number of seconds and fails with what it waited for, the
 * block reached and the tail of every node's log.
 *
 * Also: apps and releases on chain and a libtkms-client fetch usable from any thread
 * (e2e_app_create, e2e_client_fetch; a byzantine operator is a test's own proxy behind
 * the operator's app URL). What it does not do: no fixed ports (every port is a free one,
 * ctest runs tests in parallel). Temp files live
 * under /tmp/tkms-e2e-XXXXXX (kept when TKMS_KEEP_E2E is set) and every process the
 * harness started is killed by e2e_teardown, also after a failed assertion (call it from
 * the cmocka teardown). Anvil dev key #0 is the owner (its nonce store is
 * cluster->owner_nonces); keys #1..#6 are free for tests.
 *
 * API stability: names and meanings below stay; additions only.
 */
#ifndef TKMS_TEST_NODE_E2E_H
#define TKMS_TEST_NODE_E2E_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "chain/chain_test.h"
#include "driver_test.h"

#define E2E_NODES_MAX 16          /* nodes one cluster can hold (initial + added) */
#define E2E_MINE_FALLBACK_MS 3000 /* default: mine anyway after this long without every node */
#define E2E_OPERATORS_MAX 64      /* O of any epoch (the registry's cap) */

/* Zero means the default for every field. */
typedef struct {
    size_t nodes;               /* created by e2e_setup (default 4, max E2E_NODES_MAX) */
    uint64_t interval;          /* blocks per epoch (default 30) */
    uint64_t offsets[5];        /* commit, reveal, ack, open (cutoff), confirm: 5,10,15,20,25 */
    uint32_t confirmations;     /* c (default 1) */
    uint32_t min_operators;     /* default min(nodes, 4) */
    uint32_t fallback_patience; /* k (default 2) */
    uint32_t poll_ms;           /* tkmsd poll_ms (default 20) */
    uint32_t mine_fallback_ms;  /* default E2E_MINE_FALLBACK_MS */
    const char *config_extra;   /* JSON members added to every node's config, e.g.
                                   "\"dev_ecdsa_enabled\":true" (NULL: none) */
} e2e_options;

typedef struct {
    char dir[PATH_MAX];         /* <root>/node<k>: keys, config, data/, logs */
    char log[PATH_MAX + 16];    /* stdout+stderr of every tkmsd run (appended) */
    char config[PATH_MAX + 16]; /* the JSON config */
    char url[64];               /* http://127.0.0.1:<port>: registered app and peer URL */
    int port;
    pid_t pid;                  /* > 0 while the harness believes it runs */
    int wait_status;            /* last wait status once reaped (pid = 0) */
    long log_mark;              /* size of log when the current run started */
    tkms_chain_address address; /* operator address (printed by tkmsd keygen) */
    uint8_t ed25519[32], x25519[32];
} e2e_node;

typedef struct {
    test_anvil anvil;
    tkms_chain_client *chain;
    tkms_chain_key owner;
    tkms_chain_nonces *owner_nonces;
    tkms_chain_address registry, epoch_log, apps;
    tkms_chain_artifact artifacts[3]; /* registry, epoch log, apps (revert names) */
    e2e_options opt;                  /* with defaults filled in */
    char root[PATH_MAX];
    char deployment[PATH_MAX + 32]; /* {"rpc_url","chain_id","kms_registry","epoch_log",
                                       "app_controller"} as tkms --deployment reads it */
    size_t count;                   /* nodes created */
    e2e_node n[E2E_NODES_MAX];
    bool lockstep; /* automine off: only the harness mines */
    uint64_t last_mine_ms, started_ms;
    char revert[256];        /* the contract error of the last e2e_send that reverted */
    uint64_t fallback_mines; /* blocks mined without every running node (diagnostics) */
    uint64_t stepped_head[E2E_NODES_MAX]; /* the miner's: head at which node i was seen
                                             stepped (internal) */
} e2e_cluster;

/* ---- cluster --------------------------------------------------------------------------------- */

/* Starts anvil on a free port, deploys and wires the contracts, writes the deployment
   file and creates opt->nodes nodes (keys, allow, register, config; not started). */
void e2e_setup(e2e_cluster *cl, const e2e_options *opt);
/* SIGKILLs every running node, stops anvil, removes the temp dirs. Safe after a failure. */
void e2e_teardown(e2e_cluster *cl);
/* cmocka fixtures, one cluster per test: pass the cluster as the prestate with its `opt`
   filled in, e.g. `static e2e_cluster E = {.opt = {.nodes = 4}};` and
   cmocka_unit_test_prestate_setup_teardown(test, e2e_fixture_setup, e2e_fixture_teardown,
   &E); setup runs e2e_setup with those options, teardown e2e_teardown. */
int e2e_fixture_setup(void **state);
int e2e_fixture_teardown(void **state);
/* Starts every created node that is not running and drives until all answer /healthz. */
void e2e_start_all(e2e_cluster *cl);
/* Turns lockstep on, sends startGenesis, mines straight to just before the first trigger
   and drives until the genesis DKG is finalized on chain; returns its version. */
uint64_t e2e_genesis(e2e_cluster *cl);

/* ---- nodes ----------------------------------------------------------------------------------- */

/* A new node: `tkmsd keygen`, funded, allow-listed, registered with the printed keys,
   config written; not started. Works before and during lockstep (membership changes are
   frozen between a cutoff and the next trigger: the register then fails the test). */
e2e_node *e2e_node_add(e2e_cluster *cl);
/* `tkmsd run --config …`, output appended to nd->log (log_mark set first). */
void e2e_node_start(e2e_cluster *cl, e2e_node *nd);
/* The same with every file the process writes capped at fsize_max bytes (RLIMIT_FSIZE,
   SIGXFSZ ignored: writes beyond fail like on a full disk). */
void e2e_node_start_fsize(e2e_cluster *cl, e2e_node *nd, rlim_t fsize_max);
/* SIGKILL and reap (asserts it died of the signal). */
void e2e_node_kill(e2e_cluster *cl, e2e_node *nd);
/* SIGTERM and wait up to 15 s; returns the exit code (-1: did not exit normally). */
int e2e_node_term(e2e_cluster *cl, e2e_node *nd);
/* True once nd exited (reaped, nd->pid = 0, nd->wait_status set); false while running. */
bool e2e_node_exited(e2e_node *nd);
/* GET /v1/status; NULL when the node does not answer 200 (json_decref the result). */
json_t *e2e_node_status(const e2e_node *nd);
/* /v1/status says epoch `epoch` and phase `phase` (idle, dealt, revealed, acked, opened,
   decided). */
bool e2e_node_in_phase(const e2e_node *nd, uint64_t epoch, const char *phase);
/* /readyz answers 200 with version v as the node's newest held version. */
bool e2e_node_serves(const e2e_node *nd, uint64_t v);
/* The value of one series of GET /metrics, e.g. `tkms_g2_cache_lookups_total{result="hit"}`
   (-1: no answer or no such series). */
int64_t e2e_node_metric(const e2e_node *nd, const char *series);
/* /v1/status "versions_held" contains v. */
bool e2e_node_holds(const e2e_node *nd, uint64_t v);
/* The node's log since its current run started contains needle. */
bool e2e_node_log_has(const e2e_node *nd, const char *needle);
/* Drops nd's transactions from anvil's mempool (a crash after the node persisted a signed
   transaction but before it reached the chain); returns how many were dropped. */
size_t e2e_drop_pending(e2e_cluster *cl, const e2e_node *nd);

/* ---- driving the chain ----------------------------------------------------------------------- */

typedef bool (*e2e_predicate)(e2e_cluster *cl, void *arg);

/* Mines in lockstep (one block per step, see above) until p(cl, arg) holds; fails the test
   after `seconds` with `what`. Without lockstep it only waits (nothing is mined). */
void e2e_drive_until(e2e_cluster *cl, e2e_predicate p, void *arg, uint64_t seconds,
                     const char *what);
/* The same without the fallback: a block is mined only once every running node stepped
   at the newest final block, so a predicate on one node's phase can never be overtaken by
   a block it did not see (a node that does not step then runs into the time limit). */
void e2e_drive_until_exact(e2e_cluster *cl, e2e_predicate p, void *arg, uint64_t seconds,
                           const char *what);
/* Predicates for e2e_drive_until; arg is a uint64_t *. */
bool e2e_until_finalized(e2e_cluster *cl, void *version); /* finalizedVersion() >= *v */
bool e2e_until_block(e2e_cluster *cl, void *block);       /* latest block >= *b */
bool e2e_until_all_serve(e2e_cluster *cl, void *version); /* running members of O(v) */
/* Drives until every running member of O(v) serves v as newest, then checks each one's
   /v1/pubkey: version v, the chain's MPK, the operators of O(v). */
void e2e_expect_serving(e2e_cluster *cl, uint64_t v);
/* Sends signature(args) from key (nonces: its store) and waits for the receipt, mining in
   lockstep. TKMS_OK, or the error (TKMS_ERR_CHAIN_REVERTED when the estimate reverts,
   TKMS_ERR_CHAIN_TX_REVERTED when mined and failed; cl->revert names the contract error,
   e.g. "LiveHolderGuard(…)"). */
TKMS_MUST_USE tkms_err e2e_send(e2e_cluster *cl, tkms_chain_nonces *nonces,
                                const tkms_chain_key *key, const tkms_chain_address *to,
                                const char *signature, const tkms_chain_abi_value *args);
/* e2e_send from the owner (dev key #0). */
TKMS_MUST_USE tkms_err e2e_owner_send(e2e_cluster *cl, const tkms_chain_address *to,
                                      const char *signature, const tkms_chain_abi_value *args);

/* ---- chain reads (at the latest block) ------------------------------------------------------- */

typedef struct {
    uint64_t committed, revealed, acked, confirmed; /* bitmaps over O(e) indices */
    bool finalized;
    uint64_t dealers; /* D of the winning key */
    uint64_t winners; /* who confirmed the winning key */
} e2e_progress;

uint64_t e2e_head(e2e_cluster *cl);
uint64_t e2e_finalized_version(e2e_cluster *cl);
e2e_progress e2e_epoch_progress(e2e_cluster *cl, uint64_t epoch);
/* openings(epoch): per dealer index of O(epoch), the bitmap of players whose share it opened
   on chain; returns n (0 for an epoch nobody touched). */
size_t e2e_epoch_openings(e2e_cluster *cl, uint64_t epoch, uint64_t *out, size_t max);
/* nd's committed record hash in epoch e (dealings(e)); false (zeros) when it has not
   committed or is not in O(e). */
bool e2e_record_hash(e2e_cluster *cl, uint64_t epoch, const e2e_node *nd, uint8_t out[32]);
/* masterPublicKey() as 192 lowercase hex digits (fails the test before the first one). */
void e2e_mpk_hex(e2e_cluster *cl, char out[193]);
/* O(epoch) (epochSnapshot; the epoch must be triggered and active), ascending; returns n. */
size_t e2e_operators(e2e_cluster *cl, uint64_t epoch, tkms_chain_address *out, size_t max);
/* nd's index in O(epoch), -1 when it is not a member. */
int e2e_index(e2e_cluster *cl, uint64_t epoch, const e2e_node *nd);
/* The epoch the latest block belongs to (head / interval). */
uint64_t e2e_current_epoch(e2e_cluster *cl);
/* nd's X25519 epoch key as of `block` (registry epochKeyAt): the key epoch e pins at
   block e·interval. */
void e2e_epoch_key(e2e_cluster *cl, const e2e_node *nd, uint64_t block, uint8_t out[32]);

/* ---- diagnostics ----------------------------------------------------------------------------- */

/* The last 25 lines of every node's log on stderr. */
void e2e_dump_logs(const e2e_cluster *cl);
/* "[e2e  12.3 s] <what> (block N)" on stderr. */
void e2e_note(e2e_cluster *cl, const char *what);

/* ---- apps and the client library (added for test_e2e_client.c and test_e2e_hostile.c) ------- */

#include "client/client.h"

#define E2E_PEM_BYTES 4096

/* Sends update(ed25519, peer URL = nd->url, app URL = app_url) from nd's own key: its app
   URL on chain becomes app_url (e.g. an in-test proxy in front of it). Only before nd's
   first start (the nonce store used here is not the node's). */
void e2e_node_set_app_url(e2e_cluster *cl, e2e_node *nd, const char *app_url);
/* VmRSS of a running node in KiB (/proc/<pid>/status); fails the test when unreadable. */
long e2e_node_rss_kb(const e2e_node *nd);

typedef struct {
    char id[TKMS_CLIENT_APP_ID_BYTES]; /* lowercase 0x address: the IBE identity */
    tkms_chain_address address;
    size_t owner_index; /* anvil dev key #owner_index (1..6) owns it */
} e2e_app;

/* createApp(bytes32 of salt repeated) from anvil dev key #owner_index; works any time. */
void e2e_app_create(e2e_cluster *cl, e2e_app *app, size_t owner_index, uint8_t salt);
/* publishRelease by the app's owner: image digest = digest repeated, registry
   "ghcr.io/tkms/e2e", encrypted env = IBE v1 of env_plain to the chain's MPK (NULL: empty;
   needs a finalized version), public env = the bytes of public_env as given ("" allowed). */
void e2e_app_release(e2e_cluster *cl, const e2e_app *app, uint8_t digest, const char *env_plain,
                     const char *public_env);

/* An app as libtkms-client drives the network: its owner's key signs the dev-ecdsa
   attestation (the nodes need "dev_ecdsa_enabled":true), one RSA-2048 key per client. */
typedef struct {
    char rpc_url[64];
    uint8_t epoch_log[20];
    char app_id[TKMS_CLIENT_APP_ID_BYTES];
    uint8_t owner_sk[32];
    char rsa_private[E2E_PEM_BYTES], rsa_public[E2E_PEM_BYTES];
    uint32_t timeout_ms; /* per request (default TKMS_CLIENT_TIMEOUT_MS_DEFAULT) */
} e2e_client;

void e2e_client_init(e2e_client *c, const e2e_cluster *cl, const e2e_app *app);
void e2e_client_wipe(e2e_client *c);
/* One fetch as an app does it: the network read from chain at the latest block, a fresh
   dev-ecdsa attestation (new nonce), tkms_client_secrets_fetch. Never asserts (usable from
   any thread): returns the error; why says which step failed; mpk (may be NULL) receives
   the chain's MPK the client used. out is the library's result (clear it). */
TKMS_MUST_USE tkms_err e2e_client_fetch(const e2e_client *c, tkms_client_secrets *out,
                                        tkms_bls_g2 *mpk, char *why, size_t why_max);

/* e2e_drive_until without mining, also in lockstep: a bounded wait for p while the chain
   stands still (lockstep resumes afterwards; not after a failure, which ends the test). */
void e2e_wait_until(e2e_cluster *cl, e2e_predicate p, void *arg, uint64_t seconds,
                    const char *what);

/* ---- raw sockets (hostile HTTP the client library would not send) ---------------------------- */

/* A TCP connection from source address src (NULL: any) to 127.0.0.1:port; -1 on failure. */
int e2e_raw_connect(const char *src, int port);
/* Sends len bytes; false when the peer closed the connection. */
bool e2e_raw_send(int fd, const void *data, size_t len);
/* The status of the first response on fd within timeout_ms (0: closed or none). */
int e2e_raw_status(int fd, int timeout_ms);

#endif
