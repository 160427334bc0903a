/*
 * test_net_secrets.c — tkms_client_secrets_fetch over real HTTP (loopback) against fake
 * tkmsd operators that serve partials of a real sharing (net_fixture.h): the happy path
 * (env, public env, sk_id = S·H1(id)), a byzantine operator with a wrong partial (named,
 * ignored), garbage / another operator's name / a partial wrapped to another key (named),
 * fewer than t answers (unreachable, hanging, refusing, oversized: a clean error within
 * the timeout), operators disagreeing on the env (fewer than t identical: refused; a
 * minority: named), mixed versions (never mixed: t must come from one version; fallback
 * to an older version when the newest lacks t verified), an asked-for version, the dev
 * attestation checked by the nodes, and the request body.
 */
#include "net_fixture.h"

static fixture FX;
static char private_pem[FX_PEM_MAX], public_pem[FX_PEM_MAX];
static char owner_sk_hex[] = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

static int group_setup(void **state) {
    (void)state;
    static char other_private[FX_PEM_MAX];
    if (tkms_prim_rsa_keygen(private_pem, public_pem, FX_PEM_MAX, 2048) != TKMS_OK ||
        tkms_prim_rsa_keygen(other_private, FX.other_public_pem, FX_PEM_MAX, 2048) != TKMS_OK) {
        return -1;
    }
    return 0;
}

/* A network of n honest operators. The sharing of each n is dealt once (it is the slow
   part) and reused; every call resets what the operators do and check. */
static void setup_network(uint32_t n) {
    static fixture cache[FX_N_MAX + 1];
    static bool dealt[FX_N_MAX + 1];
    assert_true(n <= FX_N_MAX);
    if (!dealt[n]) {
        fx_init(&cache[n], n, tu_seed() + n);
        dealt[n] = true;
    }
    char other[FX_PEM_MAX];
    memcpy(other, FX.other_public_pem, sizeof other);
    FX = cache[n];
    memcpy(FX.other_public_pem, other, sizeof other);
    FX.rng = test_rng_make(&FX.prng); /* the copy's pointers point at the copy */
    for (uint32_t i = 0; i < n; i++) {
        FX.ops[i].fx = &FX;
    }
}

static tkms_client_secrets_request request(void) {
    tkms_client_secrets_request r = {
        .app_id = FX.app_id,
        .attestation_method = "dev-ecdsa",
        .attestation = "AAAA",
        .rsa_public_pem = public_pem,
        .rsa_private_pem = private_pem,
        .challenge = "1-00",
    };
    return r;
}

static tkms_client_http_options http_fast(void) {
    tkms_client_http_options o;
    tkms_client_http_options_default(&o);
    o.timeout_ms = 1500;
    o.connect_timeout_ms = 500;
    return o;
}

static tkms_err fetch(tkms_client_secrets *out, const tkms_client_secrets_request *req) {
    static tkms_client_network net;
    fx_start(&FX);
    fx_network(&FX, &net);
    tkms_client_http_options o = http_fast();
    tkms_err err = tkms_client_secrets_fetch(out, &net, req, &o, &FX.rng);
    fx_stop(&FX);
    return err;
}

static void assert_recovered(const tkms_client_secrets *s, uint64_t version) {
    tkms_bls_g1 h1, want;
    assert_int_equal(tkms_tss_h1(&h1, (const uint8_t *)FX.app_id, strlen(FX.app_id)), TKMS_OK);
    tkms_tss_partial_sign(&want, &FX.master, &h1);
    assert_true(tkms_bls_g1_equal(&s->sk_id, &want));
    assert_int_equal(s->version, version);
    assert_int_equal(s->env_len, strlen(FX.env_plain));
    assert_memory_equal(s->env, FX.env_plain, s->env_len);
    assert_string_equal(s->public_env, "{\"MODE\":\"x\",\"REGION\":\"eu\"}");
}

static void test_all_honest(void **state) {
    (void)state;
    setup_network(4);
    tkms_client_secrets s;
    tkms_client_secrets_request r = request();
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_recovered(&s, 2); /* the newest version */
    assert_int_equal(s.t, 3);
    assert_int_equal(s.env_votes, 4);
    assert_int_equal(s.operator_count, 4);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(s.operators[i].status, TKMS_CLIENT_OPERATOR_OK);
        assert_int_equal(s.operators[i].http_status, 200);
        assert_memory_equal(s.operators[i].address, FX.addr[i], 20);
    }
    tkms_client_secrets_clear(&s);
    assert_null(s.env);
}

static void test_byzantine_partial_named(void **state) {
    (void)state;
    setup_network(5); /* t = 4 */
    FX.ops[2].behaviour = FX_BAD_PARTIAL;
    FX.ops[2].bad_mask = 3;
    tkms_client_secrets s;
    tkms_client_secrets_request r = request();
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_recovered(&s, 2);
    assert_int_equal(s.operators[2].status, TKMS_CLIENT_OPERATOR_BAD_PARTIAL);
    assert_non_null(strstr(s.operators[2].detail, "fails verification"));
    assert_true(tkms_client_operator_status_is_blame(s.operators[2].status));
    for (uint32_t i = 0; i < 5; i++) {
        if (i != 2) {
            assert_int_equal(s.operators[i].status, TKMS_CLIENT_OPERATOR_OK);
        }
    }
    assert_int_equal(s.env_votes, 4); /* the blamed one does not vote */
    tkms_client_secrets_clear(&s);
}

static void test_malformed_and_impostors_named(void **state) {
    (void)state;
    setup_network(7); /* t = 5 */
    FX.ops[0].behaviour = FX_GARBAGE;
    FX.ops[3].behaviour = FX_WRONG_ID;
    tkms_client_secrets s;
    tkms_client_secrets_request r = request();
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_recovered(&s, 2);
    assert_int_equal(s.operators[0].status, TKMS_CLIENT_OPERATOR_MALFORMED);
    assert_int_equal(s.operators[3].status, TKMS_CLIENT_OPERATOR_WRONG_IDENTITY);
    assert_non_null(strstr(s.operators[3].detail, "answered as operator 0x"));
    tkms_client_secrets_clear(&s);
    /* a partial wrapped to another key cannot be unwrapped: named */
    setup_network(4);
    FX.ops[1].behaviour = FX_WRONG_RSA;
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_int_equal(s.operators[1].status, TKMS_CLIENT_OPERATOR_BAD_PARTIAL);
    assert_non_null(strstr(s.operators[1].detail, "unwrap"));
    tkms_client_secrets_clear(&s);
}

static void test_fewer_than_t_answers(void **state) {
    (void)state;
    setup_network(5); /* t = 4: two down leaves 3 */
    FX.ops[1].behaviour = FX_HANG;
    FX.ops[4].behaviour = FX_HANG_UP;
    tkms_client_secrets s;
    tkms_client_secrets_request r = request();
    /* (that a hanging operator costs one timeout, not one per operator: test_net_http.c) */
    assert_int_equal(fetch(&s, &r), TKMS_ERR_CLIENT_TOO_FEW_PARTIALS);
    assert_int_equal(s.operators[1].status, TKMS_CLIENT_OPERATOR_UNREACHABLE);
    assert_non_null(strstr(s.operators[1].detail, "http://127.0.0.1:"));
    assert_int_equal(s.operators[4].status, TKMS_CLIENT_OPERATOR_UNREACHABLE);
    assert_int_equal(s.version, 0); /* secrets zeroed, the report kept */
    assert_null(s.env);
    tkms_client_secrets_clear(&s);
    /* refusals and oversized answers count as missing too */
    setup_network(4);
    FX.ops[0].behaviour = FX_REFUSE;
    FX.ops[2].behaviour = FX_HUGE;
    assert_int_equal(fetch(&s, &r), TKMS_ERR_CLIENT_TOO_FEW_PARTIALS);
    assert_int_equal(s.operators[0].status, TKMS_CLIENT_OPERATOR_REFUSED);
    assert_string_equal(s.operators[0].detail, "HTTP 409 not_holder");
    assert_int_equal(s.operators[2].status, TKMS_CLIENT_OPERATOR_UNREACHABLE);
    assert_non_null(strstr(s.operators[2].detail, "larger than the limit"));
    tkms_client_secrets_clear(&s);
    /* nobody there at all */
    setup_network(4);
    static tkms_client_network net;
    fx_network(&FX, &net);
    for (uint32_t i = 0; i < 4; i++) {
        snprintf(net.operators[i].app_url, sizeof net.operators[i].app_url, "http://127.0.0.1:%d",
                 fake_dead_port());
    }
    snprintf(net.operators[2].app_url, sizeof net.operators[2].app_url, "ftp://127.0.0.1/");
    tkms_client_http_options o = http_fast();
    assert_int_equal(tkms_client_secrets_fetch(&s, &net, &r, &o, &FX.rng),
                     TKMS_ERR_CLIENT_TOO_FEW_PARTIALS);
    assert_int_equal(s.operators[3].status, TKMS_CLIENT_OPERATOR_UNREACHABLE);
    assert_string_equal(s.operators[2].detail, "its app URL on chain is not an http(s) URL");
    tkms_client_secrets_clear(&s);
}

static const char other_public[] = "{\"REGION\":\"us\",\"MODE\":\"x\"}";

static void test_env_disagreement(void **state) {
    (void)state;
    setup_network(4); /* t = 3: a 2–2 split has no t identical */
    FX.ops[0].public_env = other_public;
    FX.ops[1].public_env = other_public;
    tkms_client_secrets s;
    tkms_client_secrets_request r = request();
    assert_int_equal(fetch(&s, &r), TKMS_ERR_CLIENT_ENV_DISAGREEMENT);
    assert_int_equal(s.env_votes, 2);
    assert_null(s.env);
    assert_null(s.public_env);
    assert_int_equal(s.version, 0);
    tkms_client_secrets_clear(&s);
    /* one lying operator (another ciphertext): outvoted and named */
    setup_network(4);
    char *forged = strdup(FX.env_hex);
    forged[300] = forged[300] == 'a' ? 'b' : 'a';
    FX.ops[3].env_hex = forged;
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_recovered(&s, 2);
    assert_int_equal(s.env_votes, 3);
    assert_int_equal(s.operators[3].status, TKMS_CLIENT_OPERATOR_ENV_MISMATCH);
    tkms_client_secrets_clear(&s);
    /* fewer than t liars cannot change the env; t agreeing on a wrong one is refused at
       decryption (it does not decrypt under the app key) */
    setup_network(4);
    for (uint32_t i = 0; i < 3; i++) {
        FX.ops[i].env_hex = forged;
    }
    assert_int_equal(fetch(&s, &r), TKMS_ERR_CLIENT_ENV_DECRYPT);
    assert_null(s.env);
    tkms_client_secrets_clear(&s);
    free(forged);
}

static void test_versions_never_mixed(void **state) {
    (void)state;
    setup_network(4);                                /* t = 3 for both versions */
    FX.ops[0].serve_mask = FX.ops[1].serve_mask = 2; /* version 2 only */
    FX.ops[2].serve_mask = FX.ops[3].serve_mask = 1; /* version 1 only */
    tkms_client_secrets s;
    tkms_client_secrets_request r = request();
    assert_int_equal(fetch(&s, &r), TKMS_ERR_CLIENT_TOO_FEW_PARTIALS); /* 4 partials, 2+2 */
    tkms_client_secrets_clear(&s);
    /* three of version 2: that one, and the version-1-only operator is not used */
    FX.ops[2].serve_mask = 3;
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_recovered(&s, 2);
    assert_int_equal(s.operators[3].status, TKMS_CLIENT_OPERATOR_OTHER_VERSION);
    tkms_client_secrets_clear(&s);
    /* the newest lacks t verified partials (two wrong): the older one, with blame */
    setup_network(4);
    FX.ops[1].behaviour = FX.ops[3].behaviour = FX_BAD_PARTIAL;
    FX.ops[1].bad_mask = FX.ops[3].bad_mask = 2; /* wrong in version 2 only */
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_recovered(&s, 1);
    assert_int_equal(s.operators[1].status, TKMS_CLIENT_OPERATOR_BAD_PARTIAL);
    assert_int_equal(s.operators[3].status, TKMS_CLIENT_OPERATOR_BAD_PARTIAL);
    assert_int_equal(s.operators[0].status, TKMS_CLIENT_OPERATOR_OK);
    tkms_client_secrets_clear(&s);
}

static void test_asked_version(void **state) {
    (void)state;
    setup_network(4);
    tkms_client_secrets s;
    tkms_client_secrets_request r = request();
    r.has_version = true;
    r.version = 1;
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_recovered(&s, 1);
    tkms_client_secrets_clear(&s);
    r.version = 7; /* not retained: refused before any request */
    assert_int_equal(fetch(&s, &r), TKMS_ERR_CLIENT_UNKNOWN_VERSION);
    assert_int_equal(FX.ops[0].node.requests, 0);
    tkms_client_secrets_clear(&s);
    r = request();
    r.app_id = "0x5FBDB2315678AFECB367F032D93F642F64180AA3"; /* ids are lowercase */
    assert_int_equal(fetch(&s, &r), TKMS_ERR_CLIENT_BAD_APP_ID);
    tkms_client_secrets_clear(&s);
}

static void test_dev_attestation_checked_by_nodes(void **state) {
    (void)state;
    setup_network(4);
    uint8_t sk[32], nonce[32];
    assert_int_equal(tu_unhex(sk, 32, owner_sk_hex), 32);
    tu_rng_bytes(&FX.prng, nonce, 32);
    FX.check_attest = true;
    /* owner = address of the key (anvil account #1) */
    assert_int_equal(tu_unhex(FX.owner, 20, "70997970c51812dc3a010c7d01b50e0d17dc79c8"), 20);
    char att[TKMS_CLIENT_DEV_ATTESTATION_BYTES], challenge[TKMS_CLIENT_CHALLENGE_BYTES];
    assert_int_equal(tkms_client_dev_attest(att, challenge, sk, FX.app_id, public_pem,
                                            strlen(public_pem), NULL, 0, 1785000000, nonce),
                     TKMS_OK);
    tkms_client_secrets s;
    tkms_client_secrets_request r = request();
    r.attestation = att;
    r.challenge = challenge;
    assert_int_equal(fetch(&s, &r), TKMS_OK);
    assert_recovered(&s, 2);
    tkms_client_secrets_clear(&s);
    /* signed by someone else: every node refuses, the error names it */
    sk[5] ^= 1;
    assert_int_equal(tkms_client_dev_attest(att, challenge, sk, FX.app_id, public_pem,
                                            strlen(public_pem), NULL, 0, 1785000000, nonce),
                     TKMS_OK);
    assert_int_equal(fetch(&s, &r), TKMS_ERR_CLIENT_TOO_FEW_PARTIALS);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(s.operators[i].status, TKMS_CLIENT_OPERATOR_REFUSED);
        assert_string_equal(s.operators[i].detail, "HTTP 401 attestation_invalid");
    }
    tkms_client_secrets_clear(&s);
    tkms_wipe(sk, sizeof sk);
}

static void test_request_body(void **state) {
    (void)state;
    tkms_client_secrets_request r = {
        .app_id = "0x5fbdb2315678afecb367f032d93f642f64180aa3",
        .attestation_method = "dev-ecdsa",
        .attestation = "QUJD",
        .rsa_public_pem = "PEM\n",
        .challenge = "1-ab",
        .extra_data = (const uint8_t *)"hi",
        .extra_data_len = 2,
        .has_version = true,
        .version = 9,
    };
    char *body = NULL;
    size_t len = 0;
    assert_int_equal(tkms_client_secrets_body(&body, &len, &r), TKMS_OK);
    json_t *o = json_loads(body, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "app_id")), r.app_id);
    assert_string_equal(json_string_value(json_object_get(o, "rsa_pubkey")), "PEM\n");
    assert_string_equal(json_string_value(json_object_get(o, "extra_data")), "aGk=");
    assert_int_equal(json_integer_value(json_object_get(o, "version")), 9);
    assert_null(json_object_get(o, "init_data"));
    assert_int_equal(strlen(body), len);
    json_decref(o);
    free(body);
    r.attestation = NULL;
    assert_int_equal(tkms_client_secrets_body(&body, &len, &r), TKMS_ERR_CLIENT_BAD_REQUEST);
    assert_null(body);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_honest),
        cmocka_unit_test(test_byzantine_partial_named),
        cmocka_unit_test(test_malformed_and_impostors_named),
        cmocka_unit_test(test_fewer_than_t_answers),
        cmocka_unit_test(test_env_disagreement),
        cmocka_unit_test(test_versions_never_mixed),
        cmocka_unit_test(test_asked_version),
        cmocka_unit_test(test_dev_attestation_checked_by_nodes),
        cmocka_unit_test(test_request_body),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
