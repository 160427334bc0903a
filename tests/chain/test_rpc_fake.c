/*
 * test_rpc_fake.c — the client against a fake JSON-RPC server (tests/chain/fake_rpc.h), a
 * pure-unit mock of the transport: garbage, oversize and malformed answers, HTTP errors and
 * retries with backoff, timeouts, unreachable nodes, wrong chain id, fields of the wrong
 * format, answers that do not match the question (blocks, logs, receipts), reverted and
 * refused transactions and nonce gaps. Each case checks the error code, that the error
 * line is one clear line, and how many requests were made (no silent retries or skips).
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "chain/internal.h"
#include "fake_rpc.h"
#include "test_util.h"

#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"
#define HASH_A "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HASH_B "0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ADDR_A "0x1111111111111111111111111111111111111111"
#define ADDR_B "0x2222222222222222222222222222222222222222"
#define OK_ENVELOPE(result) "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":" result "}"
#define ERR_ENVELOPE(code, msg, data)                                                              \
    "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"error\":{\"code\":" code ",\"message\":\"" msg "\"" data   \
    "}}"
/* Error("boom") */
#define BOOM_DATA                                                                                  \
    "0x08c379a0"                                                                                   \
    "0000000000000000000000000000000000000000000000000000000000000020"                             \
    "0000000000000000000000000000000000000000000000000000000000000004"                             \
    "626f6f6d00000000000000000000000000000000000000000000000000000000"

typedef struct {
    fake_server server;
    tkms_chain_client *client;
} fixture;

static tkms_chain_client *client_new(const char *url, uint32_t retries, size_t max_bytes) {
    tkms_chain_client_options o;
    tkms_chain_client_options_default(&o);
    o.url = url;
    o.retries = retries;
    o.backoff_ms_initial = 1;
    o.timeout_ms = 300;
    o.connect_timeout_ms = 300;
    o.chain_id_expected = 31337;
    if (max_bytes) {
        o.response_bytes_max = max_bytes;
    }
    tkms_chain_client *c = NULL;
    assert_int_equal(tkms_chain_client_new(&c, &o), TKMS_OK);
    return c;
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    fake_start(&f->server);
    f->client = client_new(f->server.url, 2, 4096);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    tkms_chain_client_free(f->client); /* closes the keep-alive connection first */
    fake_stop(&f->server);
    free(f);
    return 0;
}

/* The error line is one non-empty line naming what failed. */
static void assert_line(const tkms_chain_client *c, const char *needle) {
    const char *line = tkms_chain_client_error(c);
    assert_true(strlen(line) > 0);
    assert_null(strchr(line, '\n'));
    if (strstr(line, needle) == NULL) {
        fail_msg("error line \"%s\" lacks \"%s\"", line, needle);
    }
}

static tkms_err block_number(fixture *f, const fake_route *routes, size_t n) {
    fake_routes(&f->server, routes, n);
    uint64_t number = 77;
    tkms_err err = tkms_chain_block_number_get(f->client, &number);
    if (err != TKMS_OK) {
        assert_int_equal(number, 0);
    }
    return err;
}

static void test_garbage_answers(void **state) {
    fixture *f = *state;
    const struct {
        const char *body;
        tkms_err err;
        const char *needle;
    } cases[] = {
        {"hello", TKMS_ERR_CHAIN_RPC_BAD_JSON, "bad response"},
        {"", TKMS_ERR_CHAIN_RPC_BAD_JSON, "eth_blockNumber"},
        {"{\"jsonrpc\":\"2.0\",\"id\":999999,\"result\":\"0x1\"}", TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE,
         "id does not match"},
        {"{\"id\":%ID%,\"result\":\"0x1\"}", TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE, "JSON-RPC 2.0"},
        {"[1,2]", TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE, "JSON-RPC 2.0"},
        {"{\"jsonrpc\":\"2.0\",\"id\":%ID%}", TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE, "exactly one"},
        {"{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1\",\"error\":{\"code\":1,"
         "\"message\":\"x\"}}",
         TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE, "exactly one"},
        {"{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1\",\"result\":\"0x2\"}",
         TKMS_ERR_CHAIN_RPC_BAD_JSON, "duplicate"},
        {"{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"error\":\"nope\"}", TKMS_ERR_CHAIN_RPC_BAD_ENVELOPE,
         "not an object"},
        {ERR_ENVELOPE("-32601", "the method does not exist", ""), TKMS_ERR_CHAIN_RPC_ERROR,
         "node error -32601: the method does not exist"},
        {OK_ENVELOPE("\"0x\""), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "eth_blockNumber"},
        {OK_ENVELOPE("\"12\""), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "hex quantity"},
        {OK_ENVELOPE("12"), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "hex quantity"},
        {OK_ENVELOPE("\"0x1ffffffffffffffff\""), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "2^64"},
        {OK_ENVELOPE("\"0xzz\""), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "hex quantity"},
        {OK_ENVELOPE("null"), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "hex quantity"},
        {OK_ENVELOPE("\"0x1\\u0000ff\""), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "hex quantity"},
        {ERR_ENVELOPE("3", "execution reverted: \\u0000\\u0007x", ""), TKMS_ERR_CHAIN_REVERTED,
         "eth_blockNumber: reverted (execution reverted: ??x)"},
        {ERR_ENVELOPE("-32000", "bad\\u0000 thing\\n", ""), TKMS_ERR_CHAIN_RPC_ERROR,
         "node error -32000: bad? thing?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fake_route r = {"*", 200, cases[i].body, FAKE_REPLY, 0};
        tkms_err err = block_number(f, &r, 1);
        if (err != cases[i].err) {
            fail_msg("case %zu: got %s want %s", i, tkms_err_name(err),
                     tkms_err_name(cases[i].err));
        }
        assert_line(f->client, cases[i].needle);
        assert_int_equal(atomic_load(&f->server.calls), 1); /* answers are never retried */
    }
    fake_route ok = {"*", 200, OK_ENVELOPE("\"0x0010\""), FAKE_REPLY, 0};
    assert_int_equal(block_number(f, &ok, 1), TKMS_OK); /* leading zeros are tolerated */
    assert_string_equal(tkms_chain_client_error(f->client), "");
}

static void test_oversize(void **state) {
    fixture *f = *state;
    static char big[8192];
    memset(big, ' ', sizeof big - 1);
    memcpy(big, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":\"0x1\"}", 42);
    fake_route sized = {"*", 200, big, FAKE_REPLY, 0};
    assert_int_equal(block_number(f, &sized, 1), TKMS_ERR_CHAIN_RPC_TOO_LARGE);
    assert_line(f->client, "larger than 4096 bytes");
    assert_int_equal(atomic_load(&f->server.calls), 1);
    fake_route endless = {"*", 200, "", FAKE_ENDLESS, 0};
    assert_int_equal(block_number(f, &endless, 1), TKMS_ERR_CHAIN_RPC_TOO_LARGE);
    assert_int_equal(atomic_load(&f->server.calls), 1);
}

static void test_http_status_and_retries(void **state) {
    fixture *f = *state;
    fake_route flaky[] = {{"*", 500, "oops", FAKE_REPLY, 2},
                          {"*", 200, OK_ENVELOPE("\"0x2a\""), FAKE_REPLY, 0}};
    assert_int_equal(block_number(f, flaky, 2), TKMS_OK);
    assert_int_equal(atomic_load(&f->server.calls), 3); /* two retries with backoff */

    fake_route down = {"*", 503, "busy", FAKE_REPLY, 0};
    assert_int_equal(block_number(f, &down, 1), TKMS_ERR_CHAIN_RPC_HTTP_STATUS);
    assert_line(f->client, "HTTP status 503");
    assert_int_equal(atomic_load(&f->server.calls), 3); /* 1 + retries, then gives up */

    fake_route missing = {"*", 404, "no", FAKE_REPLY, 0};
    assert_int_equal(block_number(f, &missing, 1), TKMS_ERR_CHAIN_RPC_HTTP_STATUS);
    assert_int_equal(atomic_load(&f->server.calls), 1); /* 4xx is not retried */

    fake_route rpc_in_400 = {"*", 400, ERR_ENVELOPE("-32602", "invalid params", ""), FAKE_REPLY, 0};
    assert_int_equal(block_number(f, &rpc_in_400, 1), TKMS_ERR_CHAIN_RPC_ERROR);
    assert_line(f->client, "invalid params");

    fake_route hangup = {"*", 0, "", FAKE_CLOSE, 0};
    assert_int_equal(block_number(f, &hangup, 1), TKMS_ERR_CHAIN_RPC_TRANSPORT);
    assert_line(f->client, "after 3 attempts");
    /* libcurl itself re-sends once when a reused keep-alive connection dies unanswered */
    assert_in_range(atomic_load(&f->server.calls), 3, 6);
}

static void test_timeout(void **state) {
    fixture *f = *state;
    tkms_chain_client_free(f->client);
    f->client = client_new(f->server.url, 0, 4096);
    fake_route slow = {"*", 200, OK_ENVELOPE("\"0x1\""), FAKE_DELAY, 0};
    assert_int_equal(block_number(f, &slow, 1), TKMS_ERR_CHAIN_RPC_TIMEOUT);
    assert_line(f->client, "after 1 attempt");
}

static void test_unreachable_and_bad_url(void **state) {
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* a port nobody listens on */
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));
    tkms_chain_client *c = client_new(url, 1, 0);
    uint64_t n;
    assert_int_equal(tkms_chain_block_number_get(c, &n), TKMS_ERR_CHAIN_RPC_UNREACHABLE);
    assert_line(c, url);
    assert_line(c, "after 2 attempts");
    tkms_chain_client_free(c);
    char secret_url[128]; /* API keys in user info or path never reach the error line */
    snprintf(secret_url, sizeof secret_url, "http://user:hunter2@127.0.0.1:%d/v3/APIKEY?k=1",
             ntohs(a.sin_port));
    c = client_new(secret_url, 0, 0);
    assert_int_equal(tkms_chain_block_number_get(c, &n), TKMS_ERR_CHAIN_RPC_UNREACHABLE);
    assert_line(c, url);
    assert_null(strstr(tkms_chain_client_error(c), "hunter2"));
    assert_null(strstr(tkms_chain_client_error(c), "APIKEY"));
    tkms_chain_client_free(c);
    close(fd);
    tkms_chain_client_options o;
    tkms_chain_client_options_default(&o);
    const char *bad[] = {"ftp://x", "127.0.0.1:8545", "http://a b", ""};
    for (size_t i = 0; i < 4; i++) {
        o.url = bad[i];
        assert_int_equal(tkms_chain_client_new(&c, &o), TKMS_ERR_CHAIN_BAD_URL);
        assert_null(c);
    }
    o.url = "http://x";
    o.response_bytes_max = TKMS_CHAIN_RPC_RESPONSE_BYTES_MAX + 1;
    assert_int_equal(tkms_chain_client_new(&c, &o), TKMS_ERR_INVALID_ARGUMENT);
}

static void test_wrong_chain_id(void **state) {
    fixture *f = *state;
    fake_route r = {"eth_chainId", 200, OK_ENVELOPE("\"0x1\""), FAKE_REPLY, 0};
    fake_routes(&f->server, &r, 1);
    uint64_t id = 5;
    assert_int_equal(tkms_chain_client_chain_id(f->client, &id), TKMS_ERR_CHAIN_WRONG_CHAIN_ID);
    assert_int_equal(id, 0);
    assert_line(f->client, "serves chain id 1, expected 31337");
}

#define BLOCK(number, hash)                                                                        \
    OK_ENVELOPE("{\"number\":\"" number "\",\"hash\":\"" hash "\",\"parentHash\":\"" HASH_B        \
                "\",\"timestamp\":\"0x5\",\"baseFeePerGas\":\"0x7\"}")

static void test_block_mismatch(void **state) {
    fixture *f = *state;
    tkms_chain_header h;
    fake_route wrong_number = {"*", 200, BLOCK("0x6", HASH_A), FAKE_REPLY, 0};
    fake_routes(&f->server, &wrong_number, 1);
    assert_int_equal(tkms_chain_header_get(f->client, &h, tkms_chain_block_number(5)),
                     TKMS_ERR_CHAIN_BLOCK_MISMATCH);
    assert_line(f->client, "asked for block 5, node answered block 6");
    assert_int_equal(tkms_chain_header_get(f->client, &h, tkms_chain_block_number(6)), TKMS_OK);
    assert_int_equal(h.base_fee_per_gas, 7);
    tkms_chain_hash b;
    memset(b.bytes, 0xbb, 32);
    assert_int_equal(tkms_chain_header_get(f->client, &h, tkms_chain_block_hash(&b)),
                     TKMS_ERR_CHAIN_BLOCK_MISMATCH);
    fake_route none = {"*", 200, OK_ENVELOPE("null"), FAKE_REPLY, 0};
    fake_routes(&f->server, &none, 1);
    assert_int_equal(tkms_chain_header_get(f->client, &h, tkms_chain_block_number(9)),
                     TKMS_ERR_CHAIN_BLOCK_NOT_FOUND);
    fake_route bad_hash = {"*", 200, BLOCK("0x6", "0xabc"), FAKE_REPLY, 0};
    fake_routes(&f->server, &bad_hash, 1);
    assert_int_equal(tkms_chain_header_get(f->client, &h, tkms_chain_block_number(6)),
                     TKMS_ERR_CHAIN_RPC_BAD_FIELD);
    assert_line(f->client, "block.hash");
}

static void test_pinned_call(void **state) {
    fixture *f = *state;
    tkms_chain_address to;
    assert_int_equal(tkms_chain_address_parse(&to, ADDR_A), TKMS_OK);
    tkms_chain_call_request req = {.to = &to, .data = (const uint8_t *)"\x01\x02", .data_len = 2};
    tkms_chain_hash h;
    memset(h.bytes, 0xaa, 32);
    tkms_chain_bytes out;
    fake_route unknown = {"*", 200, ERR_ENVELOPE("-32000", "header not found", ""), FAKE_REPLY, 0};
    fake_routes(&f->server, &unknown, 1);
    assert_int_equal(tkms_chain_call(f->client, &out, &req, tkms_chain_block_hash(&h)),
                     TKMS_ERR_CHAIN_BLOCK_NOT_FOUND);
    assert_line(f->client, "unknown or not canonical");
    assert_non_null(strstr(f->server.last_params, "\"requireCanonical\":true"));
    assert_non_null(strstr(f->server.last_params, "\"blockHash\":\"" HASH_A "\""));
    assert_non_null(strstr(f->server.last_params, "\"data\":\"0x0102\""));

    fake_route revert = {
        "*", 200, ERR_ENVELOPE("3", "execution reverted: boom", ",\"data\":\"" BOOM_DATA "\""),
        FAKE_REPLY, 0};
    fake_routes(&f->server, &revert, 1);
    assert_int_equal(tkms_chain_call(f->client, &out, &req, tkms_chain_block_number(3)),
                     TKMS_ERR_CHAIN_REVERTED);
    assert_line(f->client, "eth_call: reverted: Error(\"boom\")");
    const uint8_t *data;
    size_t len;
    tkms_chain_client_revert_data(f->client, &data, &len);
    assert_int_equal(len, 100);
    assert_int_equal(data[0], 0x08);

    fake_route odd = {"*", 200, OK_ENVELOPE("\"0x123\""), FAKE_REPLY, 0};
    fake_routes(&f->server, &odd, 1);
    assert_int_equal(tkms_chain_call(f->client, &out, &req, tkms_chain_block_number(3)),
                     TKMS_ERR_CHAIN_RPC_BAD_FIELD);
    assert_null(out.ptr);
}

#define LOG(addr, block, index, topic)                                                             \
    "{\"address\":\"" addr "\",\"topics\":[\"" topic                                               \
    "\"],\"data\":\"0x\",\"blockNumber\":\"" block "\",\"blockHash\":\"" HASH_A                    \
    "\",\"transactionHash\":\"" HASH_B "\",\"logIndex\":\"" index "\",\"removed\":false}"

static tkms_err logs_with(fixture *f, const char *body, tkms_chain_logs *logs) {
    fake_route r = {"*", 200, body, FAKE_REPLY, 0};
    fake_routes(&f->server, &r, 1);
    tkms_chain_address addr;
    assert_int_equal(tkms_chain_address_parse(&addr, ADDR_A), TKMS_OK);
    tkms_chain_hash topic;
    memset(topic.bytes, 0xaa, 32);
    tkms_chain_log_filter filter = {.from_block = 10,
                                    .to_block = 20,
                                    .addresses = &addr,
                                    .address_count = 1,
                                    .topic0 = &topic,
                                    .topic0_count = 1};
    return tkms_chain_logs_get(f->client, logs, &filter);
}

static void test_logs(void **state) {
    fixture *f = *state;
    tkms_chain_logs logs;
    assert_int_equal(
        logs_with(f,
                  OK_ENVELOPE("[" LOG(ADDR_A, "0xa", "0x0", HASH_A) "," LOG(
                      ADDR_A, "0xa", "0x1", HASH_A) "," LOG(ADDR_A, "0x14", "0x0", HASH_A) "]"),
                  &logs),
        TKMS_OK);
    assert_int_equal(logs.count, 3);
    assert_int_equal(logs.items[2].block_number, 20);
    tkms_chain_logs_free(&logs);
    const struct {
        const char *body;
        tkms_err err;
        const char *needle;
    } bad[] = {
        {OK_ENVELOPE("[" LOG(ADDR_B, "0xa", "0x0", HASH_A) "]"), TKMS_ERR_CHAIN_LOG_MISMATCH,
         "from another address"},
        {OK_ENVELOPE("[" LOG(ADDR_A, "0xa", "0x0", HASH_B) "]"), TKMS_ERR_CHAIN_LOG_MISMATCH,
         "another topic0"},
        {OK_ENVELOPE("[" LOG(ADDR_A, "0x15", "0x0", HASH_A) "]"), TKMS_ERR_CHAIN_LOG_MISMATCH,
         "outside the requested blocks"},
        {OK_ENVELOPE(
             "[" LOG(ADDR_A, "0xb", "0x0", HASH_A) "," LOG(ADDR_A, "0xa", "0x0", HASH_A) "]"),
         TKMS_ERR_CHAIN_LOG_MISMATCH, "out of order or duplicated"},
        {OK_ENVELOPE(
             "[" LOG(ADDR_A, "0xa", "0x0", HASH_A) "," LOG(ADDR_A, "0xa", "0x0", HASH_A) "]"),
         TKMS_ERR_CHAIN_LOG_MISMATCH, "duplicated"},
        {OK_ENVELOPE("[{\"removed\":true}]"), TKMS_ERR_CHAIN_LOG_MISMATCH, "removed"},
        {OK_ENVELOPE("[{\"address\":\"" ADDR_A "\"}]"), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "log.topics"},
        {OK_ENVELOPE("{}"), TKMS_ERR_CHAIN_RPC_BAD_FIELD, "not an array"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tkms_err err = logs_with(f, bad[i].body, &logs);
        if (err != bad[i].err) {
            fail_msg("case %zu: got %s", i, tkms_err_name(err));
        }
        assert_line(f->client, bad[i].needle);
        assert_null(logs.items);
    }
    tkms_chain_address addr;
    assert_int_equal(tkms_chain_address_parse(&addr, ADDR_A), TKMS_OK);
    tkms_chain_log_filter wide = {.from_block = 0,
                                  .to_block = TKMS_CHAIN_LOG_RANGE_BLOCKS_MAX,
                                  .addresses = &addr,
                                  .address_count = 1};
    fake_routes(&f->server, NULL, 0);
    assert_int_equal(tkms_chain_logs_get(f->client, &logs, &wide), TKMS_ERR_CHAIN_LOG_RANGE);
    assert_int_equal(atomic_load(&f->server.calls), 0); /* refused before asking */
}

static void test_too_many_logs(void **state) {
    fixture *f = *state;
    tkms_chain_client_free(f->client);
    f->client = client_new(f->server.url, 0, 16u << 20);
    size_t n = TKMS_CHAIN_LOGS_MAX + 1;
    const char *one = LOG(ADDR_A, "0xa", "0x0", HASH_A) ",";
    char *body = malloc(64 + n * strlen(one));
    strcpy(body, "{\"jsonrpc\":\"2.0\",\"id\":%ID%,\"result\":[");
    char *p = body + strlen(body);
    for (size_t i = 0; i < n; i++, p += strlen(one)) {
        memcpy(p, one, strlen(one));
    }
    strcpy(p - 1, "]}");
    tkms_chain_logs logs;
    assert_int_equal(logs_with(f, body, &logs), TKMS_ERR_CHAIN_TOO_MANY_LOGS);
    assert_line(f->client, "query fewer blocks");
    free(body);
}

static void test_receipts(void **state) {
    fixture *f = *state;
    tkms_chain_hash tx;
    memset(tx.bytes, 0xaa, 32);
    tkms_chain_receipt r;
    bool found = true;
    fake_route none = {"*", 200, OK_ENVELOPE("null"), FAKE_REPLY, 0};
    fake_routes(&f->server, &none, 1);
    assert_int_equal(tkms_chain_receipt_get(f->client, &r, &found, &tx), TKMS_OK);
    assert_false(found);
#define RECEIPT(hash, status)                                                                      \
    OK_ENVELOPE("{\"transactionHash\":\"" hash "\",\"blockHash\":\"" HASH_B                        \
                "\",\"blockNumber\":\"0x3\",\"status\":\"" status "\",\"gasUsed\":\"0x5208\","     \
                "\"effectiveGasPrice\":\"0x1\",\"contractAddress\":null,\"logs\":[]}")
    fake_route other = {"*", 200, RECEIPT(HASH_B, "0x1"), FAKE_REPLY, 0};
    fake_routes(&f->server, &other, 1);
    assert_int_equal(tkms_chain_receipt_get(f->client, &r, &found, &tx),
                     TKMS_ERR_CHAIN_RPC_BAD_FIELD);
    assert_line(f->client, "another transaction");
    assert_false(found);
    fake_route status = {"*", 200, RECEIPT(HASH_A, "0x2"), FAKE_REPLY, 0};
    fake_routes(&f->server, &status, 1);
    assert_int_equal(tkms_chain_receipt_get(f->client, &r, &found, &tx),
                     TKMS_ERR_CHAIN_RPC_BAD_FIELD);
    assert_line(f->client, "receipt.status");
    fake_route good = {"*", 200, RECEIPT(HASH_A, "0x0"), FAKE_REPLY, 0};
    fake_routes(&f->server, &good, 1);
    assert_int_equal(tkms_chain_receipt_get(f->client, &r, &found, &tx), TKMS_OK);
    assert_true(found);
    assert_false(r.status_ok);
    assert_int_equal(r.gas_used, 21000);
    tkms_chain_receipt_clear(&r);
}

/* ---- sending against canned answers -------------------------------------------------- */
#define KEY0 "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"

typedef struct {
    char dir[64];
    char path[128];
    tkms_chain_key key;
    tkms_chain_nonces *nonces;
} send_env;

static void send_env_open(send_env *e, const char *store_json) {
    snprintf(e->dir, sizeof e->dir, "/tmp/tkms-nonce-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->path, sizeof e->path, "%s/nonces.json", e->dir);
    if (store_json != NULL) {
        FILE *fp = fopen(e->path, "w");
        fputs(store_json, fp);
        fclose(fp);
    }
    uint8_t sk[32];
    assert_int_equal(tkms_chain_hex_decode(sk, 32, KEY0), TKMS_OK);
    assert_int_equal(tkms_chain_key_from_bytes(&e->key, sk), TKMS_OK);
    assert_int_equal(tkms_chain_nonces_open(&e->nonces, e->path, 31337, &e->key.address), TKMS_OK);
}

static void send_env_close(send_env *e) {
    tkms_chain_nonces_close(e->nonces);
    char lock[160];
    snprintf(lock, sizeof lock, "%s.lock", e->path);
    unlink(e->path);
    unlink(lock);
    rmdir(e->dir);
    tkms_chain_key_wipe(&e->key);
}

#define CHAIN_ROUTES(pending_count)                                                                \
    {"eth_chainId", 200, OK_ENVELOPE("\"0x7a69\""), FAKE_REPLY, 0},                                \
        {"eth_estimateGas", 200, OK_ENVELOPE("\"0x5208\""), FAKE_REPLY, 0},                        \
        {"eth_getBlockByNumber", 200, BLOCK("0x3", HASH_A), FAKE_REPLY, 0},                        \
        {"eth_maxPriorityFeePerGas", 200, OK_ENVELOPE("\"0x1\""), FAKE_REPLY, 0}, {                \
        "eth_getTransactionCount", 200, OK_ENVELOPE("\"" pending_count "\""), FAKE_REPLY, 0        \
    }

static void test_reverted_transaction(void **state) {
    fixture *f = *state;
    send_env e;
    send_env_open(&e, NULL);
    fake_route routes[] = {
        CHAIN_ROUTES("0x3"),
        {"eth_sendRawTransaction", 200, OK_ENVELOPE("\"%RAWHASH%\""), FAKE_REPLY, 0},
        {"eth_getTransactionReceipt", 200,
         OK_ENVELOPE("{\"transactionHash\":\"%P0%\",\"blockHash\":\"" HASH_B "\","
                     "\"blockNumber\":\"0x4\",\"status\":\"0x0\",\"gasUsed\":\"0x5208\","
                     "\"effectiveGasPrice\":\"0x1\",\"contractAddress\":null,\"logs\":[]}"),
         FAKE_REPLY, 0},
        {"eth_call", 200, ERR_ENVELOPE("3", "execution reverted", ",\"data\":\"" BOOM_DATA "\""),
         FAKE_REPLY, 0},
    };
    fake_routes(&f->server, routes, sizeof routes / sizeof routes[0]);
    tkms_chain_address to;
    assert_int_equal(tkms_chain_address_parse(&to, ADDR_A), TKMS_OK);
    tkms_chain_send_request req = {.to = &to};
    tkms_chain_send_options opt;
    tkms_chain_send_options_default(&opt);
    opt.receipt_poll_ms = 1;
    tkms_chain_receipt r;
    assert_int_equal(tkms_chain_tx_send(f->client, e.nonces, &e.key, &r, &req, &opt),
                     TKMS_ERR_CHAIN_TX_REVERTED);
    assert_line(f->client, "reverted in block 4: Error(\"boom\")");
    assert_false(r.status_ok);
    uint64_t next;
    size_t pending;
    assert_int_equal(tkms_chain_nonces_peek(e.nonces, &next, &pending), TKMS_OK);
    assert_int_equal(next, 4); /* the nonce was used (mined), nothing left in flight */
    assert_int_equal(pending, 0);
    tkms_chain_receipt_clear(&r);
    send_env_close(&e);
}

static void test_refused_and_estimate_revert(void **state) {
    fixture *f = *state;
    send_env e;
    send_env_open(&e, NULL);
    fake_route routes[] = {
        CHAIN_ROUTES("0x3"),
        {"eth_sendRawTransaction", 200,
         ERR_ENVELOPE("-32003", "insufficient funds for gas * price + value", ""), FAKE_REPLY, 0},
        {"eth_getTransactionByHash", 200, OK_ENVELOPE("null"), FAKE_REPLY, 0},
    };
    fake_routes(&f->server, routes, sizeof routes / sizeof routes[0]);
    tkms_chain_address to;
    assert_int_equal(tkms_chain_address_parse(&to, ADDR_A), TKMS_OK);
    tkms_chain_send_request req = {.to = &to};
    tkms_chain_send_options opt;
    tkms_chain_send_options_default(&opt);
    tkms_chain_sent sent;
    assert_int_equal(tkms_chain_tx_submit(f->client, e.nonces, &e.key, &sent, &req, &opt),
                     TKMS_ERR_CHAIN_TX_REJECTED);
    assert_line(f->client, "insufficient funds");
    uint64_t next;
    size_t pending;
    assert_int_equal(tkms_chain_nonces_peek(e.nonces, &next, &pending), TKMS_OK);
    assert_int_equal(next, 3); /* released: the refused nonce is used by the next send */
    assert_int_equal(pending, 0);

    fake_route estimate[] = {
        CHAIN_ROUTES("0x3"),
    };
    estimate[1] = (fake_route){
        "eth_estimateGas", 200,
        ERR_ENVELOPE("3", "execution reverted", ",\"data\":\"" BOOM_DATA "\""), FAKE_REPLY, 0};
    fake_routes(&f->server, estimate, sizeof estimate / sizeof estimate[0]);
    assert_int_equal(tkms_chain_tx_submit(f->client, e.nonces, &e.key, &sent, &req, &opt),
                     TKMS_ERR_CHAIN_REVERTED);
    assert_line(f->client, "eth_estimateGas: reverted: Error(\"boom\")");
    assert_int_equal(tkms_chain_nonces_peek(e.nonces, &next, &pending), TKMS_OK);
    assert_int_equal(pending, 0); /* nothing signed */

    fake_route cap[] = {CHAIN_ROUTES("0x3")};
    fake_routes(&f->server, cap, 5);
    opt.max_fee_per_gas_cap = 7; /* base fee 7 + tip 1 > 7 */
    assert_int_equal(tkms_chain_tx_submit(f->client, e.nonces, &e.key, &sent, &req, &opt),
                     TKMS_ERR_CHAIN_FEE_CAP);
    assert_line(f->client, "exceeds the fee cap 7 wei");
    send_env_close(&e);
}

static void test_nonce_gap(void **state) {
    fixture *f = *state;
    send_env e;
    send_env_open(&e, "{\"version\":1,\"chain_id\":31337,\"address\":"
                      "\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\",\"next_nonce\":5,"
                      "\"pending\":[]}");
    fake_route routes[] = {
        CHAIN_ROUTES("0x3"),
        {"eth_sendRawTransaction", 200, OK_ENVELOPE("\"%RAWHASH%\""), FAKE_REPLY, 0},
    };
    fake_routes(&f->server, routes, sizeof routes / sizeof routes[0]);
    tkms_chain_address to;
    assert_int_equal(tkms_chain_address_parse(&to, ADDR_A), TKMS_OK);
    tkms_chain_send_request req = {.to = &to};
    tkms_chain_send_options opt;
    tkms_chain_send_options_default(&opt);
    tkms_chain_sent sent;
    assert_int_equal(tkms_chain_tx_submit(f->client, e.nonces, &e.key, &sent, &req, &opt),
                     TKMS_ERR_CHAIN_NONCE_GAP);
    assert_line(f->client, "the chain knows 3 transactions, the nonce store is at 5");
    assert_string_not_equal(f->server.last_method, "eth_sendRawTransaction");
    assert_int_equal(tkms_chain_nonces_reset(e.nonces, f->client), TKMS_OK);
    assert_int_equal(tkms_chain_tx_submit(f->client, e.nonces, &e.key, &sent, &req, &opt), TKMS_OK);
    assert_int_equal(sent.nonce, 3);
    send_env_close(&e);
}

/* The chain's count passes our nonce but no receipt of ours ever shows: after the grace
 * period the wait says the nonce was taken by another transaction. */
static void test_nonce_taken_elsewhere(void **state) {
    fixture *f = *state;
    send_env e;
    send_env_open(&e, NULL);
    fake_route routes[] = {
        CHAIN_ROUTES("0x3"),
        {"eth_sendRawTransaction", 200, OK_ENVELOPE("\"%RAWHASH%\""), FAKE_REPLY, 0},
    };
    fake_routes(&f->server, routes, sizeof routes / sizeof routes[0]);
    tkms_chain_address to;
    assert_int_equal(tkms_chain_address_parse(&to, ADDR_A), TKMS_OK);
    tkms_chain_send_request req = {.to = &to};
    tkms_chain_send_options opt;
    tkms_chain_send_options_default(&opt);
    opt.receipt_poll_ms = 1;
    opt.receipt_grace_ms = 20;
    tkms_chain_sent sent;
    assert_int_equal(tkms_chain_tx_submit(f->client, e.nonces, &e.key, &sent, &req, &opt), TKMS_OK);
    fake_route after[] = {
        {"eth_getTransactionReceipt", 200, OK_ENVELOPE("null"), FAKE_REPLY, 0},
        {"eth_getTransactionCount", 200, OK_ENVELOPE("\"0x4\""), FAKE_REPLY, 0},
    };
    fake_routes(&f->server, after, 2);
    tkms_chain_receipt r;
    assert_int_equal(tkms_chain_tx_wait(f->client, e.nonces, &e.key, &r, &sent, &opt),
                     TKMS_ERR_CHAIN_TX_REJECTED);
    assert_line(f->client, "nonce 3 was used by a transaction this store did not sign");
    assert_true(atomic_load(&f->server.calls) > 4); /* it waited through the grace period */
    send_env_close(&e);
}

static void test_nonce_store_files(void **state) {
    (void)state;
    const struct {
        const char *json;
        tkms_err err;
    } cases[] = {
        {"not json", TKMS_ERR_CHAIN_NONCE_FILE},
        {"{\"version\":2,\"chain_id\":31337,\"address\":"
         "\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
         "\"next_nonce\":5,\"pending\":[]}",
         TKMS_ERR_CHAIN_NONCE_FILE},
        {"{\"version\":1,\"chain_id\":1,\"address\":\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
         "\"next_nonce\":5,\"pending\":[]}",
         TKMS_ERR_CHAIN_NONCE_FILE_MISMATCH},
        {"{\"version\":1,\"chain_id\":31337,\"address\":\"" ADDR_A "\",\"next_nonce\":5,"
         "\"pending\":[]}",
         TKMS_ERR_CHAIN_NONCE_FILE_MISMATCH},
        {"{\"version\":1,\"chain_id\":31337,\"address\":"
         "\"0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\","
         "\"next_nonce\":5,\"pending\":[{\"nonce\":4,\"hashes\":[],\"raw\":\"0x02\"}]}",
         TKMS_ERR_CHAIN_NONCE_FILE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char dir[] = "/tmp/tkms-nonce-XXXXXX", path[128], lock[160];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/n.json", dir);
        snprintf(lock, sizeof lock, "%s.lock", path);
        FILE *fp = fopen(path, "w");
        fputs(cases[i].json, fp);
        fclose(fp);
        tkms_chain_address me;
        assert_int_equal(
            tkms_chain_address_parse(&me, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"), TKMS_OK);
        tkms_chain_nonces *n = NULL;
        assert_int_equal(tkms_chain_nonces_open(&n, path, 31337, &me), cases[i].err);
        assert_null(n);
        unlink(path);
        unlink(lock);
        rmdir(dir);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_garbage_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_status_and_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout, setup, teardown),
        cmocka_unit_test(test_unreachable_and_bad_url),
        cmocka_unit_test_setup_teardown(test_wrong_chain_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_block_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pinned_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_receipts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reverted_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_estimate_revert, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonce_gap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nonce_taken_elsewhere, setup, teardown),
        cmocka_unit_test(test_nonce_store_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
