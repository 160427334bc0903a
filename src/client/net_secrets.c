/*
 * net_secrets.c — an app's secrets from the whole network (client.h "secrets";
 * api.md POST /v1/secrets; crypto.md §7–9): one request body to every operator at once,
 * strict parsing of each answer, then per version, newest first: unwrap each operator's
 * partial with the app's RSA key, verify it against the operator's public share derived
 * from chain (batched, with one-by-one blame), and with t verified partials of that one
 * version recover sk_id and check it against the MPK. Versions are never mixed. The env
 * is accepted only when t of the verified operators returned byte-identical
 * encrypted_env and public_env; it is then decrypted with IBE.
 *
 * Does not read the chain itself (tkms_client_network and its version loader do) and
 * does not retry. The per-operator report says who was unreachable, who refused and who
 * misbehaved (blame), also when the call fails.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "client/net_internal.h"
#include "common/tkms_assert.h"
#include "common/tkms_ct.h"
#include "ibe/ibe.h"
#include "prim/prim.h"

#define EXTRA_DATA_BYTES_MAX (1u << 20) /* api.md: extra_data <= 1 MiB */
#define PUBLIC_ENV_JSON_BYTES_MAX (4 * TKMS_CLIENT_ENV_BYTES_MAX)

/* ---- the request -------------------------------------------------------------------- */

static int set_string(json_t *o, const char *key, const char *value) {
    return value == NULL ? 0 : json_object_set_new(o, key, json_string(value));
}

static tkms_err body_extra_data(json_t *o, const tkms_client_secrets_request *r) {
    if (r->extra_data_len == 0) {
        return TKMS_OK;
    }
    if (r->extra_data_len > EXTRA_DATA_BYTES_MAX) {
        return TKMS_ERR_CLIENT_BAD_REQUEST;
    }
    size_t max = 4 * ((r->extra_data_len + 2) / 3) + 1;
    char *b64 = malloc(max);
    tkms_err err = b64 ? tkms_prim_base64_encode(b64, max, r->extra_data, r->extra_data_len)
                       : TKMS_ERR_OUT_OF_MEMORY;
    if (err == TKMS_OK && json_object_set_new(o, "extra_data", json_string(b64)) != 0) {
        err = TKMS_ERR_OUT_OF_MEMORY;
    }
    free(b64);
    return err;
}

TKMS_EXPORT tkms_err tkms_client_secrets_body(char **out, size_t *len,
                                              const tkms_client_secrets_request *r) {
    *out = NULL;
    *len = 0;
    if (!tkms_client_app_id_is_valid(r->app_id)) {
        return TKMS_ERR_CLIENT_BAD_APP_ID;
    }
    if (r->attestation_method == NULL || r->attestation == NULL || r->rsa_public_pem == NULL ||
        (r->has_version && r->version > (uint64_t)INT64_MAX)) {
        return TKMS_ERR_CLIENT_BAD_REQUEST;
    }
    json_t *o = json_object();
    int bad = o == NULL;
    bad |= set_string(o, "app_id", r->app_id);
    bad |= set_string(o, "attestation_method", r->attestation_method);
    bad |= set_string(o, "attestation", r->attestation);
    bad |= set_string(o, "rsa_pubkey", r->rsa_public_pem);
    bad |= set_string(o, "challenge", r->challenge);
    bad |= set_string(o, "init_data", r->init_data);
    if (r->has_version) {
        bad |= json_object_set_new(o, "version", json_integer((json_int_t)r->version));
    }
    tkms_err err = bad ? TKMS_ERR_CLIENT_BAD_REQUEST : body_extra_data(o, r);
    char *text = err == TKMS_OK ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (err == TKMS_OK && text == NULL) {
        err = TKMS_ERR_OUT_OF_MEMORY;
    }
    *out = text;
    *len = text ? strlen(text) : 0;
    return err;
}

/* ---- one answer ----------------------------------------------------------------------- */

void client_secrets_answer_clear(client_secrets_answer *a) {
    free(a->encrypted_env);
    free(a->public_env);
    tkms_wipe(a, sizeof *a); /* wrapped partials are ciphertexts, but cheap to wipe */
}

static bool parse_partial(client_secrets_answer *out, uint32_t i, json_t *item) {
    json_t *version = json_object_get(item, "version");
    json_t *wrapped = json_object_get(item, "encrypted_partial");
    if (!json_is_object(item) || !json_is_integer(version) || json_integer_value(version) < 0 ||
        !json_is_string(wrapped)) {
        return false;
    }
    out->versions[i] = (uint64_t)json_integer_value(version);
    for (uint32_t j = 0; j < i; j++) {
        if (out->versions[j] == out->versions[i]) {
            return false; /* one partial per version */
        }
    }
    return tkms_prim_base64_decode(out->wrapped[i], &out->wrapped_len[i],
                                   TKMS_CLIENT_WRAPPED_BYTES_MAX, json_string_value(wrapped),
                                   json_string_length(wrapped)) == TKMS_OK &&
           out->wrapped_len[i] > 0;
}

static bool parse_env(client_secrets_answer *out, json_t *root) {
    json_t *enc = json_object_get(root, "encrypted_env");
    json_t *pub = json_object_get(root, "public_env");
    if (!json_is_string(enc) || !json_is_object(pub) ||
        json_string_length(enc) > 2 * TKMS_CLIENT_ENV_BYTES_MAX) {
        return false;
    }
    const char *hex = json_string_value(enc);
    size_t hex_len = json_string_length(enc);
    for (size_t i = 0; i < hex_len; i++) { /* lowercase hex, as api.md says */
        bool digit = (hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f');
        if (!digit) {
            return false;
        }
    }
    const char *key;
    json_t *value;
    json_object_foreach(pub, key, value) {
        if (!json_is_string(value)) {
            return false;
        }
    }
    out->encrypted_env = strndup(hex, hex_len);
    out->public_env = json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS);
    return hex_len % 2 == 0 && out->encrypted_env != NULL && out->public_env != NULL &&
           strlen(out->public_env) <= PUBLIC_ENV_JSON_BYTES_MAX;
}

static tkms_client_operator_status parse_root(client_secrets_answer *out, char *detail, size_t max,
                                              json_t *root, const uint8_t op[20]) {
    uint8_t claimed[20];
    const char *operator_text = json_string_value(json_object_get(root, "operator"));
    if (!client_address_parse(claimed, operator_text)) {
        snprintf(detail, max, "no valid \"operator\" field");
        return TKMS_CLIENT_OPERATOR_MALFORMED;
    }
    if (memcmp(claimed, op, 20) != 0) {
        char hex[TKMS_CLIENT_APP_ID_BYTES];
        client_address_hex(hex, claimed);
        snprintf(detail, max, "answered as operator %s", hex);
        return TKMS_CLIENT_OPERATOR_WRONG_IDENTITY;
    }
    json_t *partials = json_object_get(root, "partials");
    size_t count = json_array_size(partials);
    if (!json_is_array(partials) || count == 0 || count > TKMS_CLIENT_PARTIALS_MAX) {
        snprintf(detail, max, "\"partials\" is not an array of 1..%d", TKMS_CLIENT_PARTIALS_MAX);
        return TKMS_CLIENT_OPERATOR_MALFORMED;
    }
    for (uint32_t i = 0; i < count; i++) {
        if (!parse_partial(out, i, json_array_get(partials, i))) {
            snprintf(detail, max, "partial %u is malformed", i);
            return TKMS_CLIENT_OPERATOR_MALFORMED;
        }
        out->partial_count = i + 1;
    }
    if (!parse_env(out, root)) {
        snprintf(detail, max, "encrypted_env or public_env is malformed");
        return TKMS_CLIENT_OPERATOR_MALFORMED;
    }
    return TKMS_CLIENT_OPERATOR_OK;
}

tkms_client_operator_status client_secrets_answer_parse(client_secrets_answer *out, char *detail,
                                                        size_t detail_max, const char *body,
                                                        size_t len,
                                                        const uint8_t operator_address[20]) {
    memset(out, 0, sizeof *out);
    detail[0] = 0;
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    tkms_client_operator_status s = TKMS_CLIENT_OPERATOR_MALFORMED;
    if (!json_is_object(root)) {
        snprintf(detail, detail_max, "answer is not a JSON object");
    } else {
        s = parse_root(out, detail, detail_max, root, operator_address);
    }
    json_decref(root);
    if (s != TKMS_CLIENT_OPERATOR_OK) {
        client_secrets_answer_clear(out);
    }
    return s;
}

/* ---- the whole network ------------------------------------------------------------- */

typedef struct {
    const tkms_client_network *net;
    const tkms_client_secrets_request *req;
    tkms_client_secrets *out;
    client_secrets_answer *answers; /* heap, one per operator */
    bool answered[TKMS_CLIENT_OPERATORS_MAX];
    bool verified[TKMS_CLIENT_OPERATORS_MAX]; /* for the chosen version */
    tkms_bls_g1 h1;
    const tkms_rng *rng;
    bool chosen; /* a version had t verified partials */
} run;

static void report(run *r, uint32_t i, tkms_client_operator_status s, const char *detail) {
    tkms_client_operator_report *rep = &r->out->operators[i];
    if (tkms_client_operator_status_is_blame(rep->status) &&
        !tkms_client_operator_status_is_blame(s)) {
        return; /* blame sticks */
    }
    rep->status = s;
    client_detail(rep->detail, sizeof rep->detail, detail);
}

/* Sorts one operator's HTTP outcome into its report (and its parsed answer). */
static void gather_classify(run *r, uint32_t i, const tkms_client_http_response *res,
                            bool bad_url) {
    char detail[TKMS_CLIENT_DETAIL_BYTES];
    r->out->operators[i].http_status = res->status;
    if (!res->answered) {
        report(r, i, TKMS_CLIENT_OPERATOR_UNREACHABLE,
               bad_url ? "its app URL on chain is not an http(s) URL" : res->error);
    } else if (res->status != 200) {
        client_error_detail(detail, sizeof detail, res->status, res->body);
        report(r, i, TKMS_CLIENT_OPERATOR_REFUSED, detail);
    } else {
        tkms_client_operator_status s =
            client_secrets_answer_parse(&r->answers[i], detail, sizeof detail, res->body,
                                        res->body_len, r->net->operators[i].address);
        r->answered[i] = s == TKMS_CLIENT_OPERATOR_OK;
        report(r, i, s == TKMS_CLIENT_OPERATOR_OK ? TKMS_CLIENT_OPERATOR_NOT_USED : s, detail);
    }
}

/* One body to every operator at once. */
static tkms_err gather(run *r, const tkms_client_http_options *http) {
    const tkms_client_network *net = r->net;
    char *body = NULL, (*urls)[TKMS_CLIENT_URL_BYTES_MAX + 16] = NULL;
    size_t body_len = 0;
    bool bad_url[TKMS_CLIENT_OPERATORS_MAX] = {false};
    tkms_client_http_request reqs[TKMS_CLIENT_OPERATORS_MAX];
    tkms_client_http_response res[TKMS_CLIENT_OPERATORS_MAX];
    tkms_err err = tkms_client_secrets_body(&body, &body_len, r->req);
    urls = err == TKMS_OK ? calloc(net->operator_count, sizeof *urls) : NULL;
    if (err == TKMS_OK && urls == NULL) {
        err = TKMS_ERR_OUT_OF_MEMORY;
    }
    for (uint32_t i = 0; err == TKMS_OK && i < net->operator_count; i++) {
        bad_url[i] = tkms_client_url_join(urls[i], sizeof urls[i], net->operators[i].app_url,
                                          "/v1/secrets") != TKMS_OK;
        reqs[i] = (tkms_client_http_request){bad_url[i] ? "invalid:" : urls[i], body, body_len};
    }
    if (err == TKMS_OK) {
        err = tkms_client_http_run(res, reqs, net->operator_count, http);
    }
    for (uint32_t i = 0; err == TKMS_OK && i < net->operator_count; i++) {
        gather_classify(r, i, &res[i], bad_url[i]);
    }
    if (err == TKMS_OK) {
        tkms_client_http_clear(res, net->operator_count);
    }
    free(urls);
    free(body);
    return err;
}

/* The operators' partials of version v: unwrapped, with their public shares and points. */
typedef struct {
    uint32_t count;
    uint32_t who[TKMS_CLIENT_OPERATORS_MAX];
    tkms_bls_g1 partials[TKMS_CLIENT_OPERATORS_MAX]; /* t of them give sk_id: wiped */
    tkms_bls_g2 shares[TKMS_CLIENT_OPERATORS_MAX];
    tkms_bls_fr xs[TKMS_CLIENT_OPERATORS_MAX];
    bool ok[TKMS_CLIENT_OPERATORS_MAX];
} collected;

static void collect(run *r, collected *c, const tkms_client_version *v) {
    const char *pem = r->req->rsa_private_pem;
    c->count = 0;
    for (uint32_t i = 0; i < r->net->operator_count; i++) {
        const client_secrets_answer *a = &r->answers[i];
        uint32_t p = 0;
        while (r->answered[i] && p < a->partial_count && a->versions[p] != v->version) {
            p++;
        }
        if (!r->answered[i] || p == a->partial_count) {
            continue;
        }
        const uint8_t *address = r->net->operators[i].address;
        uint32_t n = c->count;
        if (tkms_client_partial_unwrap(&c->partials[n], a->wrapped[p], a->wrapped_len[p], pem,
                                       strlen(pem)) != TKMS_OK) {
            report(r, i, TKMS_CLIENT_OPERATOR_BAD_PARTIAL, "partial does not unwrap with our key");
            continue;
        }
        if (tkms_client_public_share(&c->shares[n], v, address) != TKMS_OK ||
            tkms_tss_point_from_address(&c->xs[n], address) != TKMS_OK) {
            continue; /* x = 0: impossible in practice (crypto.md §5) */
        }
        c->who[c->count++] = i;
    }
}

/* t verified partials of v (first t in operator order) → sk_id, checked against the MPK. */
static tkms_err recover(run *r, collected *c, const tkms_client_version *v) {
    tkms_bls_g1 chosen[TKMS_CLIENT_OPERATORS_MAX];
    tkms_bls_fr xs[TKMS_CLIENT_OPERATORS_MAX];
    uint32_t n = 0;
    for (uint32_t j = 0; j < c->count && n < v->t; j++) {
        if (c->ok[j]) {
            chosen[n] = c->partials[j];
            xs[n++] = c->xs[j];
        }
    }
    TKMS_ASSERT(n == v->t);
    tkms_err err = tkms_tss_partials_combine(&r->out->sk_id, chosen, xs, n);
    if (err == TKMS_OK && !tkms_tss_app_key_verify_vartime(&r->out->sk_id, &r->h1, &r->net->mpk)) {
        err = TKMS_ERR_CLIENT_KEY_CHECK;
    }
    tkms_wipe(chosen, sizeof chosen);
    return err == TKMS_OK ? TKMS_OK : TKMS_ERR_CLIENT_KEY_CHECK;
}

static tkms_err try_version(run *r, const tkms_client_version *v) {
    collected *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    collect(r, c, v);
    size_t good = c->count == 0 ? 0
                                : tkms_tss_partials_verify_batch_vartime(
                                      c->ok, c->partials, c->shares, c->count, &r->h1, r->rng);
    for (uint32_t j = 0; j < c->count; j++) {
        char detail[TKMS_CLIENT_DETAIL_BYTES];
        snprintf(detail, sizeof detail, "partial for version %llu fails verification",
                 (unsigned long long)v->version);
        if (!c->ok[j]) {
            report(r, c->who[j], TKMS_CLIENT_OPERATOR_BAD_PARTIAL, detail);
        }
    }
    tkms_err err = good >= v->t ? recover(r, c, v) : TKMS_ERR_CLIENT_TOO_FEW_PARTIALS;
    for (uint32_t j = 0; err == TKMS_OK && j < c->count; j++) {
        r->verified[c->who[j]] = c->ok[j];
    }
    tkms_wipe(c, sizeof *c);
    free(c);
    return err;
}

static bool same_env(const client_secrets_answer *a, const client_secrets_answer *b) {
    return strcmp(a->encrypted_env, b->encrypted_env) == 0 &&
           strcmp(a->public_env, b->public_env) == 0;
}

/* The env that at least t verified operators returned identically; blames the others. */
static tkms_err env_vote(run *r, uint16_t t, int *winner) {
    uint32_t best = 0;
    *winner = -1;
    for (uint32_t i = 0; i < r->net->operator_count; i++) {
        uint32_t votes = 0;
        for (uint32_t j = 0; r->verified[i] && j < r->net->operator_count; j++) {
            votes += r->verified[j] && same_env(&r->answers[i], &r->answers[j]);
        }
        if (votes > best) {
            best = votes;
            *winner = (int)i;
        }
    }
    r->out->env_votes = best;
    if (best < t) {
        return TKMS_ERR_CLIENT_ENV_DISAGREEMENT;
    }
    for (uint32_t i = 0; i < r->net->operator_count; i++) {
        if (r->answered[i] && !same_env(&r->answers[i], &r->answers[*winner])) {
            report(r, i, TKMS_CLIENT_OPERATOR_ENV_MISMATCH, "env differs from the agreed one");
        }
    }
    return TKMS_OK;
}

static tkms_err env_decrypt(run *r, const client_secrets_answer *a) {
    tkms_client_secrets *out = r->out;
    size_t hex_len = strlen(a->encrypted_env), ct_len = 0;
    out->public_env = strdup(a->public_env);
    if (out->public_env == NULL) {
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    if (hex_len == 0) {
        return TKMS_OK;
    }
    uint8_t *ct = malloc(hex_len / 2);
    out->env = malloc(hex_len / 2);
    if (ct == NULL || out->env == NULL) {
        free(ct);
        return TKMS_ERR_OUT_OF_MEMORY;
    }
    tkms_err err = TKMS_ERR_CLIENT_ENV_DECRYPT;
    if (client_unhex_lower(ct, &ct_len, hex_len / 2, a->encrypted_env, hex_len) &&
        tkms_ibe_decrypt(out->env, hex_len / 2, &out->env_len, (const uint8_t *)r->req->app_id,
                         strlen(r->req->app_id), &out->sk_id, ct, ct_len) == TKMS_OK) {
        err = TKMS_OK;
    }
    free(ct);
    return err;
}

/* Newest first, the versions to try: the one asked for, else every retained one served. */
static uint32_t candidates(const run *r, uint64_t *out) {
    uint32_t n = 0;
    for (uint32_t k = 0; k < r->net->retained_count; k++) {
        uint64_t v = r->net->retained[k];
        bool served = false;
        for (uint32_t i = 0; i < r->net->operator_count && !served; i++) {
            for (uint32_t p = 0; r->answered[i] && p < r->answers[i].partial_count; p++) {
                served |= r->answers[i].versions[p] == v;
            }
        }
        if (served && (!r->req->has_version || r->req->version == v)) {
            out[n++] = v;
        }
    }
    return n;
}

static tkms_err choose_and_recover(run *r) {
    uint64_t versions[TKMS_CLIENT_VERSIONS_MAX];
    uint32_t count = candidates(r, versions);
    tkms_client_version *v = calloc(1, sizeof *v);
    tkms_err err = v ? TKMS_ERR_CLIENT_TOO_FEW_PARTIALS : TKMS_ERR_OUT_OF_MEMORY;
    tkms_err load_err = TKMS_OK;
    for (uint32_t k = 0; v != NULL && k < count; k++) {
        tkms_err e = r->net->version_load(r->net->version_ctx, v, versions[k]);
        if (e != TKMS_OK) {
            load_err = e; /* an older version may still do */
            continue;
        }
        TKMS_ASSERT(v->version == versions[k]);
        err = try_version(r, v);
        if (err != TKMS_ERR_CLIENT_TOO_FEW_PARTIALS) {
            r->chosen = true;
            r->out->version = v->version;
            r->out->t = v->t;
            break;
        }
    }
    free(v);
    return err == TKMS_ERR_CLIENT_TOO_FEW_PARTIALS && load_err != TKMS_OK ? load_err : err;
}

static void finish_reports(run *r) {
    for (uint32_t i = 0; i < r->net->operator_count; i++) {
        if (r->verified[i]) {
            report(r, i, TKMS_CLIENT_OPERATOR_OK, "");
        } else if (r->answered[i] && r->chosen) {
            report(r, i, TKMS_CLIENT_OPERATOR_OTHER_VERSION, "no partial of the version used");
        }
    }
}

static tkms_err secrets_run(run *r, const tkms_client_http_options *http) {
    const tkms_client_secrets_request *req = r->req;
    if (!tkms_client_app_id_is_valid(req->app_id)) {
        return TKMS_ERR_CLIENT_BAD_APP_ID;
    }
    if (req->rsa_private_pem == NULL) {
        return TKMS_ERR_CLIENT_BAD_REQUEST;
    }
    if (r->net->operator_count == 0) {
        return TKMS_ERR_CLIENT_NO_OPERATORS;
    }
    bool known = !req->has_version;
    for (uint32_t k = 0; k < r->net->retained_count; k++) {
        known |= r->net->retained[k] == req->version;
    }
    if (!known) {
        return TKMS_ERR_CLIENT_UNKNOWN_VERSION;
    }
    tkms_err err = tkms_tss_h1(&r->h1, (const uint8_t *)req->app_id, strlen(req->app_id));
    if (err == TKMS_OK) {
        err = gather(r, http);
    }
    if (err == TKMS_OK) {
        err = choose_and_recover(r);
    }
    int winner = -1;
    if (err == TKMS_OK) {
        err = env_vote(r, r->out->t, &winner);
    }
    if (err == TKMS_OK) {
        err = env_decrypt(r, &r->answers[winner]);
    }
    finish_reports(r);
    return err;
}

TKMS_EXPORT tkms_err tkms_client_secrets_fetch(tkms_client_secrets *out,
                                               const tkms_client_network *net,
                                               const tkms_client_secrets_request *req,
                                               const tkms_client_http_options *http,
                                               const tkms_rng *rng) {
    TKMS_ASSERT(net->operator_count <= TKMS_CLIENT_OPERATORS_MAX);
    TKMS_ASSERT(net->retained_count <= TKMS_CLIENT_VERSIONS_MAX);
    memset(out, 0, sizeof *out);
    out->operator_count = net->operator_count;
    for (uint32_t i = 0; i < net->operator_count; i++) {
        memcpy(out->operators[i].address, net->operators[i].address, 20);
        out->operators[i].status = TKMS_CLIENT_OPERATOR_NOT_USED;
    }
    run r = {.net = net, .req = req, .out = out, .rng = rng};
    r.answers = calloc(net->operator_count + 1, sizeof *r.answers);
    tkms_err err = r.answers ? secrets_run(&r, http) : TKMS_ERR_OUT_OF_MEMORY;
    for (uint32_t i = 0; r.answers != NULL && i < net->operator_count; i++) {
        client_secrets_answer_clear(&r.answers[i]);
    }
    free(r.answers);
    if (err != TKMS_OK) { /* secrets zeroed, the report stays */
        tkms_client_operator_report reports[TKMS_CLIENT_OPERATORS_MAX];
        memcpy(reports, out->operators, sizeof reports);
        uint32_t votes = out->env_votes;
        tkms_client_secrets_clear(out);
        memcpy(out->operators, reports, sizeof reports);
        out->operator_count = net->operator_count;
        out->env_votes = votes;
    }
    return err;
}

TKMS_EXPORT void tkms_client_secrets_clear(tkms_client_secrets *s) {
    if (s->env != NULL) {
        tkms_wipe(s->env, s->env_len);
    }
    free(s->env);
    free(s->public_env);
    tkms_wipe(s, sizeof *s);
}

static const char *const status_names[] = {
    "ok",          "unreachable",   "refused",      "malformed", "wrong_identity",
    "bad_partial", "other_version", "env_mismatch", "mismatch",  "not_used",
};

TKMS_EXPORT const char *tkms_client_operator_status_name(tkms_client_operator_status s) {
    _Static_assert(sizeof status_names / sizeof status_names[0] ==
                       TKMS_CLIENT_OPERATOR_NOT_USED + 1,
                   "one name per status");
    return (unsigned)s <= TKMS_CLIENT_OPERATOR_NOT_USED ? status_names[s] : "unknown";
}

TKMS_EXPORT bool tkms_client_operator_status_is_blame(tkms_client_operator_status s) {
    return s == TKMS_CLIENT_OPERATOR_MALFORMED || s == TKMS_CLIENT_OPERATOR_WRONG_IDENTITY ||
           s == TKMS_CLIENT_OPERATOR_BAD_PARTIAL || s == TKMS_CLIENT_OPERATOR_ENV_MISMATCH ||
           s == TKMS_CLIENT_OPERATOR_MISMATCH;
}
