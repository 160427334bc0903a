/*
 * cmd_app.c — `tkms app create|release`: create an app in AppController (its id is the
 * app's address, lowercase 0x hex, the IBE identity string) and publish a release: image
 * digest, image registry, encrypted env and public env (docs/contracts.md §6).
 *
 * --env-file holds the env already encrypted to the app id, as hex (`tkms encrypt`, or
 * `tkms ibe encrypt` offline). A file that is not hex is refused (never published as if it
 * were encrypted). The public env is published as given.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "cli/internal.h"

#define ENV_BYTES_MAX 16384    /* AppController.MAX_ENV_BYTES, both envs together */
#define REGISTRY_BYTES_MAX 256 /* AppController.MAX_REGISTRY_BYTES */
#define ENV_FILE_BYTES_MAX (2 * ENV_BYTES_MAX + 1024)

enum {
    OPT_SALT = CLI_OPT_COMMAND,
    OPT_APP,
    OPT_DIGEST,
    OPT_IMAGE_REGISTRY,
    OPT_ENV_FILE,
    OPT_PUBLIC_ENV_FILE,
};

static const char app_usage[] =
    "usage: tkms app create [--salt HEX] [common options]\n"
    "       tkms app release --app ADDR --image-digest DIGEST --image-registry NAME\n"
    "                        --env-file FILE --public-env-file FILE [common options]\n"
    "(tkms app <verb> --help for details)\n";

static const char create_usage[] =
    "usage: tkms app create --key-file FILE [--salt HEX] [common options]\n"
    "Creates an app owned by the key's address and prints its id (the app's address, the\n"
    "identity apps are encrypted to). --salt: 32 bytes as hex (default: "
    "random).\n" CLI_SHARED_USAGE;

static const char release_usage[] =
    "usage: tkms app release --app ADDR --image-digest DIGEST --image-registry NAME\n"
    "         --env-file FILE --public-env-file FILE --key-file FILE [common options]\n"
    "Publishes a release of the app (app owner only); the newest release is what the KMS\n"
    "authorizes.\n"
    "  --image-digest      sha256:<64 hex> or 64 hex digits\n"
    "  --image-registry    where the image lives, e.g. ghcr.io/org/app (1..256 bytes)\n"
    "  --env-file          the env encrypted to the app id, as hex (tkms encrypt --app-id ID\n"
    "                      --in ENV; plaintext is refused)\n"
    "  --public-env-file   public env, published in clear (may be empty)\n"
    "  the two envs together hold at most 16384 bytes\n" CLI_SHARED_USAGE;

typedef struct {
    uint8_t salt[32];
    bool has_salt;
    tkms_chain_address app;
    bool has_app;
    uint8_t digest[32];
    bool has_digest;
    const char *image_registry, *env_file, *public_env_file;
} app_args;

static int digest_parse(const cli_args *a, uint8_t out[32], const char *value) {
    if (strncmp(value, "sha256:", 7) == 0) {
        value += 7;
    }
    return cli_parse_bytes32(a, out, "image-digest", value);
}

static int app_option(void *ctx, const cli_args *a, int id, const char *value) {
    app_args *o = ctx;
    switch (id) {
    case OPT_SALT:
        o->has_salt = true;
        return cli_parse_bytes32(a, o->salt, "salt", value);
    case OPT_APP:
        o->has_app = true;
        return cli_parse_address(a, &o->app, "app", value);
    case OPT_DIGEST:
        o->has_digest = true;
        return digest_parse(a, o->digest, value);
    case OPT_IMAGE_REGISTRY:
        o->image_registry = value;
        if (value[0] == 0 || strlen(value) > REGISTRY_BYTES_MAX) {
            return cli_fail(a, "--image-registry: 1..%d bytes", REGISTRY_BYTES_MAX);
        }
        return 0;
    case OPT_ENV_FILE:
        o->env_file = value;
        return 0;
    default: /* OPT_PUBLIC_ENV_FILE */
        o->public_env_file = value;
        return 0;
    }
}

static const struct option app_options[] = {
    {"salt", required_argument, NULL, OPT_SALT},
    {"app", required_argument, NULL, OPT_APP},
    {"image-digest", required_argument, NULL, OPT_DIGEST},
    {"image-registry", required_argument, NULL, OPT_IMAGE_REGISTRY},
    {"env-file", required_argument, NULL, OPT_ENV_FILE},
    {"public-env-file", required_argument, NULL, OPT_PUBLIC_ENV_FILE},
    CLI_SHARED_OPTIONS,
};

/* Sends to AppController and decodes the event it must emit into ev (pool). */
static int apps_send(const cli_args *a, cli_session *s, tkms_chain_receipt *r,
                     const char *signature, const tkms_chain_abi_value *args, const char *event,
                     tkms_chain_abi_value *ev, tkms_chain_abi_pool *pool) {
    tkms_chain_address apps;
    int rc = cli_contract_address(a, &apps, CLI_APP_CONTROLLER);
    tkms_chain_artifact art = {0};
    bool have_art = rc == 0 && cli_artifact_try(a, &art, "AppController");
    if (rc == 0) {
        rc = cli_session_open(s, a, true);
    }
    if (rc == 0) {
        rc = cli_send(a, s, r, &apps, signature, args, have_art ? &art : NULL);
    }
    tkms_chain_artifact_free(&art);
    tkms_chain_hash topic;
    if (rc != 0 || tkms_chain_abi_event_topic(&topic, event) != TKMS_OK) {
        return rc != 0 ? rc : cli_fail(a, "bad event signature %s", event);
    }
    for (size_t i = 0; i < r->log_count; i++) {
        if (memcmp(r->logs[i].address.bytes, apps.bytes, 20) == 0 &&
            tkms_chain_abi_event_decode(ev, pool, event, &r->logs[i]) == TKMS_OK) {
            return 0;
        }
    }
    return cli_fail(a, "the transaction was mined but emitted no %.*s event",
                    (int)strcspn(event, "("), event);
}

static int create_run(const cli_args *a, void *ctx) {
    app_args *o = ctx;
    if (!o->has_salt && getrandom(o->salt, sizeof o->salt, 0) != (ssize_t)sizeof o->salt) {
        return cli_fail(a, "no randomness for the salt");
    }
    tkms_chain_abi_value salt = tkms_chain_abi_bytes32(o->salt);
    tkms_chain_abi_value args = tkms_chain_abi_tuple(&salt, 1);
    cli_session s = {0};
    tkms_chain_receipt r = {0};
    tkms_chain_abi_value values[8], ev;
    tkms_chain_abi_pool pool = {values, 8, 0};
    int rc = apps_send(a, &s, &r, TKMS_CHAIN_APPS_CREATE, &args, TKMS_CHAIN_APPS_EVENT_CREATED, &ev,
                       &pool);
    tkms_chain_address app;
    if (rc == 0 && tkms_chain_abi_get_address(&app, &ev.items[0]) == TKMS_OK) {
        char id[TKMS_CHAIN_ADDRESS_HEX_BYTES], owner[TKMS_CHAIN_ADDRESS_HEX_BYTES];
        char tx[TKMS_CHAIN_HASH_HEX_BYTES], salt_hex[TKMS_CHAIN_HASH_HEX_BYTES];
        tkms_chain_address_format(id, &app);
        tkms_chain_address_format(owner, &s.key.address);
        tkms_chain_hash_format(tx, &r.tx_hash);
        tkms_chain_hex_encode(salt_hex, o->salt, 32);
        if (a->json) {
            cli_json_print(json_pack("{s:s,s:s,s:s,s:s,s:I}", "app", id, "owner", owner, "salt",
                                     salt_hex, "tx", tx, "block", (json_int_t)r.block_number));
        } else {
            printf("app %s created by %s in block %llu (tx %s)\n", id, owner,
                   (unsigned long long)r.block_number, tx);
        }
    }
    tkms_chain_receipt_clear(&r);
    cli_session_close(&s);
    return rc;
}

/* --env-file: hex ciphertext (whitespace around it ignored). */
static int env_read(const cli_args *a, tkms_chain_bytes *out, const char *path) {
    tkms_chain_bytes text;
    int rc = cli_read_file(a, &text, "env-file", path, ENV_FILE_BYTES_MAX);
    if (rc != 0) {
        return rc;
    }
    char *start = (char *)text.ptr;
    size_t len = text.len;
    while (len > 0 && isspace((unsigned char)start[len - 1])) {
        start[--len] = 0;
    }
    while (len > 0 && isspace((unsigned char)*start)) {
        start++;
        len--;
    }
    tkms_err err = tkms_chain_hex_decode_alloc(out, start, ENV_BYTES_MAX);
    tkms_chain_bytes_free(&text);
    if (err == TKMS_ERR_TOO_LARGE) {
        return cli_fail(a, "--env-file %s: more than %d bytes", path, ENV_BYTES_MAX);
    }
    if (err != TKMS_OK || out->len == 0) {
        tkms_chain_bytes_free(out);
        return cli_fail(a,
                        "--env-file %s: expected the env ciphertext as hex (encrypt it "
                        "first: tkms encrypt --app-id ID --in ENV)",
                        path);
    }
    return 0;
}

static void release_report(const cli_args *a, const app_args *o, const tkms_chain_receipt *r,
                           uint64_t release_id) {
    char id[TKMS_CHAIN_ADDRESS_HEX_BYTES], tx[TKMS_CHAIN_HASH_HEX_BYTES];
    tkms_chain_address_format(id, &o->app);
    tkms_chain_hash_format(tx, &r->tx_hash);
    if (a->json) {
        cli_json_print(json_pack("{s:s,s:I,s:s,s:I}", "app", id, "release", (json_int_t)release_id,
                                 "tx", tx, "block", (json_int_t)r->block_number));
    } else {
        printf("app %s release %llu published in block %llu (tx %s)\n", id,
               (unsigned long long)release_id, (unsigned long long)r->block_number, tx);
    }
}

static int release_send(const cli_args *a, const app_args *o, const tkms_chain_bytes *env,
                        const tkms_chain_bytes *public_env) {
    tkms_chain_abi_value f[] = {tkms_chain_abi_address(&o->app), tkms_chain_abi_bytes32(o->digest),
                                tkms_chain_abi_string(o->image_registry),
                                tkms_chain_abi_bytes(env->ptr, env->len),
                                tkms_chain_abi_bytes(public_env->ptr, public_env->len)};
    tkms_chain_abi_value args = tkms_chain_abi_tuple(f, 5);
    cli_session s = {0};
    tkms_chain_receipt r = {0};
    tkms_chain_abi_value values[16], ev;
    tkms_chain_abi_pool pool = {values, 16, 0};
    int rc = apps_send(a, &s, &r, TKMS_CHAIN_APPS_PUBLISH, &args, TKMS_CHAIN_APPS_EVENT_RELEASE,
                       &ev, &pool);
    uint64_t release_id = 0;
    if (rc == 0 && tkms_chain_abi_get_u64(&release_id, &ev.items[1]) == TKMS_OK) {
        release_report(a, o, &r, release_id);
    }
    tkms_chain_receipt_clear(&r);
    cli_session_close(&s);
    return rc;
}

static int release_run(const cli_args *a, void *ctx) {
    const app_args *o = ctx;
    if (!o->has_app || !o->has_digest || o->image_registry == NULL || o->env_file == NULL ||
        o->public_env_file == NULL) {
        return cli_usage_fail(a, "--app, --image-digest, --image-registry, --env-file and "
                                 "--public-env-file are required");
    }
    tkms_chain_bytes env = {0}, public_env = {0};
    int rc = env_read(a, &env, o->env_file);
    if (rc == 0) {
        rc = cli_read_file(a, &public_env, "public-env-file", o->public_env_file, ENV_BYTES_MAX);
    }
    if (rc == 0 && env.len + public_env.len > ENV_BYTES_MAX) {
        rc = cli_fail(a, "the envs hold %zu bytes together, more than %d", env.len + public_env.len,
                      ENV_BYTES_MAX);
    }
    if (rc == 0) {
        rc = release_send(a, o, &env, &public_env);
    }
    tkms_chain_bytes_free(&env);
    tkms_chain_bytes_free(&public_env);
    return rc;
}

static const cli_verb verbs[] = {
    {"create", create_run, create_usage},
    {"release", release_run, release_usage},
};

int tkms_cli_app(int argc, char **argv) {
    static const cli_group group = {"app",       app_usage, verbs, sizeof verbs / sizeof verbs[0],
                                    app_options, app_option};
    app_args o = {.has_salt = false};
    return cli_group_run(&group, &o, argc, argv);
}
