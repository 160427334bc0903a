/*
 * cli_client.c — shared machinery of the network-client subcommands (cli_client.h): the
 * chain-backed network view from the shared options, HTTP options, report formatting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "cli/cli_client.h"
#include "common/tkms_ct.h"
#include "prim/prim.h"

#define PEM_BYTES_MAX 4096
#define RSA_BITS 2048

int cli_client_open(const cli_args *a, tkms_client_chain **chain, tkms_client_network **net,
                    bool with_mpk) {
    *chain = NULL;
    *net = NULL;
    tkms_chain_address epoch_log;
    int rc = cli_contract_address(a, &epoch_log, CLI_EPOCH_LOG);
    if (rc != 0) {
        return rc;
    }
    tkms_client_chain_options o = {
        .rpc_url = a->rpc_url, .chain_id = a->chain_id, .timeout_ms = a->timeout_ms};
    memcpy(o.epoch_log, epoch_log.bytes, 20);
    tkms_err err = tkms_client_chain_new(chain, &o);
    if (err != TKMS_OK) {
        return cli_fail(a, "--rpc %s: %s", a->rpc_url, tkms_err_name(err));
    }
    *net = calloc(1, sizeof **net);
    if (*net == NULL) {
        return cli_fail(a, "out of memory");
    }
    err = with_mpk ? tkms_client_chain_network(*chain, *net)
                   : tkms_client_chain_operators(*chain, *net);
    if (err != TKMS_OK) {
        return cli_fail(a, "reading the network from chain: %s (%s)",
                        tkms_client_chain_error(*chain), tkms_err_name(err));
    }
    return 0;
}

void cli_client_close(tkms_client_chain *chain, tkms_client_network *net) {
    tkms_client_chain_free(chain);
    free(net);
}

void cli_client_http(const cli_args *a, tkms_client_http_options *o) {
    tkms_client_http_options_default(o);
    o->timeout_ms = a->timeout_ms;
    if (o->connect_timeout_ms > o->timeout_ms) {
        o->connect_timeout_ms = o->timeout_ms;
    }
}

void cli_client_hex_address(char out[TKMS_CLIENT_APP_ID_BYTES], const uint8_t address[20]) {
    tkms_chain_address a;
    memcpy(a.bytes, address, 20);
    tkms_chain_address_format(out, &a);
}

char *cli_client_hex(const uint8_t *in, size_t len) {
    char *out = malloc(2 * len + 3);
    if (out != NULL) {
        tkms_chain_hex_encode(out, in, len);
        memmove(out, out + 2, 2 * len + 1); /* drop the 0x */
    }
    return out;
}

json_t *cli_client_report_json(const tkms_client_operator_report *r) {
    char address[TKMS_CLIENT_APP_ID_BYTES];
    cli_client_hex_address(address, r->address);
    return json_pack("{s:s,s:s,s:I,s:s,s:b}", "address", address, "status",
                     tkms_client_operator_status_name(r->status), "http_status",
                     (json_int_t)r->http_status, "detail", r->detail, "blamed",
                     tkms_client_operator_status_is_blame(r->status));
}

void cli_client_blamed(char *out, size_t max, const tkms_client_operator_report *r,
                       uint32_t count) {
    size_t used = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < count && used < max; i++) {
        if (!tkms_client_operator_status_is_blame(r[i].status)) {
            continue;
        }
        char address[TKMS_CLIENT_APP_ID_BYTES];
        cli_client_hex_address(address, r[i].address);
        int n = snprintf(out + used, max - used, "%s%s (%s: %s)", used ? ", " : "", address,
                         tkms_client_operator_status_name(r[i].status), r[i].detail);
        used += n > 0 ? (size_t)n : 0;
    }
}

tkms_err cli_client_dev_secrets(const cli_args *a, const tkms_client_network *net,
                                const char *app_id, const tkms_chain_key *owner, bool has_version,
                                uint64_t version, tkms_client_secrets *out) {
    static char private_pem[PEM_BYTES_MAX], public_pem[PEM_BYTES_MAX];
    char attestation[TKMS_CLIENT_DEV_ATTESTATION_BYTES], challenge[TKMS_CLIENT_CHALLENGE_BYTES];
    uint8_t nonce[32];
    memset(out, 0, sizeof *out);
    tkms_err err = tkms_prim_rsa_keygen(private_pem, public_pem, PEM_BYTES_MAX, RSA_BITS);
    if (err == TKMS_OK && getrandom(nonce, sizeof nonce, 0) != (ssize_t)sizeof nonce) {
        err = TKMS_ERR_RANDOM;
    }
    if (err == TKMS_OK) {
        err = tkms_client_dev_attest(attestation, challenge, owner->sk, app_id, public_pem,
                                     strlen(public_pem), NULL, 0, (uint64_t)time(NULL), nonce);
    }
    if (err == TKMS_OK) {
        tkms_client_secrets_request req = {.app_id = app_id,
                                           .attestation_method = "dev-ecdsa",
                                           .attestation = attestation,
                                           .rsa_public_pem = public_pem,
                                           .rsa_private_pem = private_pem,
                                           .challenge = challenge,
                                           .has_version = has_version,
                                           .version = version};
        tkms_client_http_options http;
        cli_client_http(a, &http);
        err = tkms_client_secrets_fetch(out, net, &req, &http, tkms_rng_os());
    }
    tkms_wipe(private_pem, sizeof private_pem); /* the ephemeral key dies here */
    return err;
}

int cli_client_secrets_fail(const cli_args *a, tkms_err err, const tkms_client_secrets *s) {
    uint32_t answered = 0, unreachable = 0, refused = 0;
    const char *refusal = "";
    for (uint32_t i = 0; i < s->operator_count; i++) {
        tkms_client_operator_status st = s->operators[i].status;
        unreachable += st == TKMS_CLIENT_OPERATOR_UNREACHABLE;
        refused += st == TKMS_CLIENT_OPERATOR_REFUSED;
        refusal = st == TKMS_CLIENT_OPERATOR_REFUSED ? s->operators[i].detail : refusal;
        answered += st == TKMS_CLIENT_OPERATOR_OK || st == TKMS_CLIENT_OPERATOR_NOT_USED ||
                    st == TKMS_CLIENT_OPERATOR_OTHER_VERSION;
    }
    char blamed[600];
    cli_client_blamed(blamed, sizeof blamed, s->operators, s->operator_count);
    const char *what =
        err == TKMS_ERR_CLIENT_TOO_FEW_PARTIALS ? "no key version has t verified partials"
        : err == TKMS_ERR_CLIENT_ENV_DISAGREEMENT
            ? "operators disagree on the env (fewer than t identical)"
        : err == TKMS_ERR_CLIENT_ENV_DECRYPT ? "the agreed env does not decrypt with the app key"
                                             : "cannot recover the app's secrets";
    return cli_fail(a, "%s (%s): %u of %u operators answered, %u unreachable, %u refused%s%s%s%s%s",
                    what, tkms_err_name(err), answered, s->operator_count, unreachable, refused,
                    refused ? " (" : "", refusal, refused ? ")" : "",
                    blamed[0] ? "; misbehaving: " : "", blamed);
}
