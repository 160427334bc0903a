/*
 * config.c — tkmsd's configuration: a JSON file (jansson), environment overrides
 * TKMS_<KEY> and flags --<key-with-dashes>, in that increasing precedence, over defaults
 * (api.md "Limits"). One table describes every key once (name, type, bounds, required), so
 * the three sources parse identically and every problem gets exactly one message naming
 * its source. Checks here are local (syntax, ranges, paths that must exist); what needs
 * the chain (the registry's confirmations, the deployment) is checked by the driver.
 * Spec: api.md (limits, listeners), chain.md (RPC), protocol.md §3 (confirmations).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "common/tkms_assert.h"
#include "node/driver.h"
#include "node/log.h"

typedef enum {
    K_STR,    /* path or text */
    K_URL,    /* http(s) URL */
    K_LISTEN, /* host:port */
    K_U32,
    K_U64,
    K_ADDR, /* 20-byte 0x-hex address, nonzero */
    K_BOOL,
    K_LEVEL, /* debug|info|warn|error */
} kind;

typedef struct {
    const char *name; /* JSON key; env TKMS_<NAME>; flag --name-with-dashes */
    kind k;
    size_t offset;
    size_t size; /* strings: buffer size */
    uint64_t min, max;
    bool required;
    const char *def; /* default as text (NULL: none / empty) */
    const char *help;
} field;

#define F(name, k, member, min, max, req, def, help)                                              \
    {#name, k, offsetof(node_config, member), sizeof(((node_config *)0)->member), min, max, req,  \
     def, help}

static const field FIELDS[] = {
    F(data_dir, K_STR, data_dir, 0, 0, true, NULL, "directory of the SQLite store and nonces"),
    F(key_file, K_STR, key_file, 0, 0, true, NULL, "node key file (tkmsd keygen), mode 0600"),
    F(seal_key_file, K_STR, seal_key_file, 0, 0, false, NULL,
      "store master key file (else env TKMS_SEAL_KEY)"),
    F(rpc_url, K_URL, rpc_url, 0, 0, true, NULL, "JSON-RPC endpoint of the chain"),
    F(chain_id, K_U64, chain_id, 1, UINT64_MAX, true, NULL, "expected chain id"),
    F(kms_registry, K_ADDR, kms_registry, 0, 0, true, NULL, "KmsRegistry address"),
    F(epoch_log, K_ADDR, epoch_log, 0, 0, true, NULL, "EpochLog address"),
    F(app_controller, K_ADDR, app_controller, 0, 0, true, NULL, "AppController address"),
    F(confirmations, K_U32, confirmations, 0, 1000, false, "0",
      "depth of a final block (0: the registry's; never below it)"),
    F(poll_ms, K_U32, poll_ms, 10, 60000, false, "500", "chain polling interval"),
    F(app_listen, K_LISTEN, app_listen, 0, 0, true, NULL, "app API listener host:port"),
    F(peer_listen, K_LISTEN, peer_listen, 0, 0, false, NULL, "peer API listener (default: app)"),
    F(http_threads, K_U32, http_threads, 1, 64, false, "4", "HTTP worker threads"),
    F(body_bytes_max, K_U32, body_bytes_max, 1024, 16u << 20, false, "65536", "request body"),
    F(secrets_body_bytes_max, K_U32, secrets_body_bytes_max, 1024, 64u << 20, false, "2097152",
      "/v1/secrets body"),
    F(header_bytes_max, K_U32, header_bytes_max, 1024, 1u << 20, false, "16384", "headers"),
    F(read_timeout_s, K_U32, read_timeout_s, 1, 3600, false, "10", "request read timeout"),
    F(ip_rps, K_U32, ip_rps, 1, 1000000, false, "50", "per-IP rate"),
    F(ip_burst, K_U32, ip_burst, 1, 1000000, false, "100", "per-IP burst"),
    F(app_rps, K_U32, app_rps, 1, 1000000, false, "20", "per-app rate"),
    F(app_burst, K_U32, app_burst, 1, 1000000, false, "40", "per-app burst"),
    F(in_flight_max, K_U32, in_flight_max, 1, 100000, false, "256", "requests in flight"),
    F(dev_ecdsa_enabled, K_BOOL, dev_ecdsa_enabled, 0, 0, false, "false",
      "accept dev-ecdsa attestation (development only)"),
    F(attest_policy_file, K_STR, attest_policy_file, 0, 0, false, NULL, "attestation policy"),
    F(attest_jwks, K_STR, attest_jwks, 0, 0, false, NULL,
      "gcp JWKS: a file or https URL (default: Google's)"),
    F(log_level, K_LEVEL, log_level, 0, 3, false, "info", "debug|info|warn|error"),
};
#define FIELD_COUNT (sizeof FIELDS / sizeof FIELDS[0])

typedef struct {
    node_config *cfg;
    node_config_errors *errors;
    bool set[FIELD_COUNT];   /* a valid value was given */
    bool given[FIELD_COUNT]; /* a value was given (valid or not: its problem is reported) */
    bool file_unreadable; /* then "required" is not reported again for each key */
} loader;

static void problem(loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(loader *l, const char *fmt, ...) {
    if (l->errors->count >= NODE_CONFIG_ERRORS_MAX) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->errors->line[l->errors->count++], NODE_CONFIG_ERROR_BYTES, fmt, ap);
    va_end(ap);
}

/* ---- value parsers (text form: env, flags, defaults) -------------------------------------- */

static bool parse_u64(uint64_t *out, const char *s) {
    if (*s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

static bool parse_listen(const char *s) {
    const char *colon = strrchr(s, ':');
    if (colon == NULL || colon == s || (size_t)(colon - s) > 253) {
        return false;
    }
    uint64_t port;
    return parse_u64(&port, colon + 1) && port >= 1 && port <= 65535;
}

static bool parse_level(int *out, const char *s) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = i;
            return true;
        }
    }
    return false;
}

/* Stores text s into field f; `source` names where it came from for the message. */
static void set_text(loader *l, size_t index, const char *s, const char *source) {
    const field *f = &FIELDS[index];
    uint8_t *dst = (uint8_t *)l->cfg + f->offset;
    uint64_t v = 0;
    l->given[index] = true;
    switch (f->k) {
    case K_STR:
    case K_URL:
    case K_LISTEN:
        if (strlen(s) == 0 || strlen(s) >= f->size) {
            problem(l, "%s: %s must be 1..%zu bytes", source, f->name, f->size - 1);
            return;
        }
        if (f->k == K_URL && strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0) {
            problem(l, "%s: %s must be an http:// or https:// URL", source, f->name);
            return;
        }
        if (f->k == K_LISTEN && !parse_listen(s)) {
            problem(l, "%s: %s must be host:port with port 1..65535 (got \"%s\")", source,
                    f->name, s);
            return;
        }
        memcpy(dst, s, strlen(s) + 1);
        break;
    case K_U32:
    case K_U64:
        if (!parse_u64(&v, s) || v < f->min || v > f->max) {
            problem(l, "%s: %s must be an integer in %llu..%llu (got \"%s\")", source, f->name,
                    (unsigned long long)f->min, (unsigned long long)f->max, s);
            return;
        }
        if (f->k == K_U32) {
            uint32_t v32 = (uint32_t)v;
            memcpy(dst, &v32, sizeof v32);
        } else {
            memcpy(dst, &v, sizeof v);
        }
        break;
    case K_ADDR: {
        static const uint8_t zero[20] = {0};
        uint8_t a[20];
        if (strlen(s) != 42 || s[0] != '0' || s[1] != 'x' ||
            tkms_chain_hex_decode(a, 20, s) != TKMS_OK || memcmp(a, zero, 20) == 0) {
            problem(l, "%s: %s must be a nonzero 0x-prefixed 20-byte hex address", source,
                    f->name);
            return;
        }
        memcpy(dst, a, 20);
        break;
    }
    case K_BOOL: {
        bool b = strcmp(s, "true") == 0 || strcmp(s, "1") == 0;
        if (!b && strcmp(s, "false") != 0 && strcmp(s, "0") != 0) {
            problem(l, "%s: %s must be true or false", source, f->name);
            return;
        }
        memcpy(dst, &b, sizeof b);
        break;
    }
    default: { /* K_LEVEL */
        int level;
        if (!parse_level(&level, s)) {
            problem(l, "%s: %s must be debug, info, warn or error", source, f->name);
            return;
        }
        memcpy(dst, &level, sizeof level);
        break;
    }
    }
    l->set[index] = true;
}

static int field_index(const char *name, size_t len) {
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        if (strlen(FIELDS[i].name) == len && strncmp(FIELDS[i].name, name, len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* ---- the JSON file ---------------------------------------------------------------------- */

/* A JSON value as the text set_text parses (types are checked first). */
static void set_json(loader *l, size_t index, json_t *v, const char *path) {
    const field *f = &FIELDS[index];
    char text[NODE_PATH_BYTES_MAX + 1];
    char source[NODE_PATH_BYTES_MAX + 16];
    snprintf(source, sizeof source, "config file %s", path);
    l->given[index] = true;
    bool is_text = f->k != K_U32 && f->k != K_U64 && f->k != K_BOOL;
    if (is_text && !json_is_string(v)) {
        problem(l, "%s: %s must be a string", source, f->name);
    } else if ((f->k == K_U32 || f->k == K_U64) && !json_is_integer(v)) {
        problem(l, "%s: %s must be an integer", source, f->name);
    } else if (f->k == K_BOOL && !json_is_boolean(v)) {
        problem(l, "%s: %s must be true or false", source, f->name);
    } else if (is_text && json_string_length(v) > NODE_PATH_BYTES_MAX) {
        problem(l, "%s: %s is too long", source, f->name);
    } else {
        if (is_text) {
            if (strlen(json_string_value(v)) != json_string_length(v)) {
                problem(l, "%s: %s contains a NUL byte", source, f->name);
                return;
            }
            snprintf(text, sizeof text, "%s", json_string_value(v));
        } else if (f->k == K_BOOL) {
            snprintf(text, sizeof text, "%s", json_is_true(v) ? "true" : "false");
        } else if (json_integer_value(v) < 0) {
            problem(l, "%s: %s must not be negative", source, f->name);
            return;
        } else {
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
        }
        set_text(l, index, text, source);
    }
}

/* The members of one JSON object (the file's root), each through set_json. */
static void load_root(loader *l, json_t *root, const char *path) {
    l->file_unreadable = false;
    if (!json_is_object(root)) {
        problem(l, "config file %s: must hold one JSON object", path);
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        int i = field_index(key, strlen(key));
        if (i < 0) {
            problem(l, "config file %s: unknown key \"%s\"", path, key);
        } else {
            set_json(l, (size_t)i, value, path);
        }
    }
}

static void load_text(loader *l, const char *text, size_t len, const char *path) {
    json_error_t jerr;
    l->file_unreadable = true;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        problem(l, "config file %s: line %d: %s", path, jerr.line, jerr.text);
        return;
    }
    load_root(l, root, path);
    json_decref(root);
}

static void load_file(loader *l, const char *path) {
    json_error_t jerr;
    struct stat st;
    l->file_unreadable = true;
    if (stat(path, &st) != 0) {
        problem(l, "config file %s: cannot read it (%s)", path, strerror(errno));
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        problem(l, "config file %s: not a regular file", path);
        return;
    }
    if ((uint64_t)st.st_size > NODE_CONFIG_FILE_BYTES_MAX) {
        problem(l, "config file %s: larger than %u bytes", path, NODE_CONFIG_FILE_BYTES_MAX);
        return;
    }
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        problem(l, "config file %s: line %d: %s", path, jerr.line, jerr.text);
        return;
    }
    load_root(l, root, path);
    json_decref(root);
}

/* ---- environment and flags -------------------------------------------------------------- */

static void env_name(char *out, size_t max, const char *name) {
    size_t n = (size_t)snprintf(out, max, "TKMS_");
    for (size_t i = 0; name[i] != '\0' && n + 1 < max; i++) {
        out[n++] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    }
    out[n] = '\0';
}

static const char *env_get(char *const *envp, const char *name) {
    size_t len = strlen(name);
    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
        if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=') {
            return envp[i] + len + 1;
        }
    }
    return NULL;
}

static void load_env(loader *l, char *const *envp) {
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        char name[64], source[80];
        env_name(name, sizeof name, FIELDS[i].name);
        const char *v = env_get(envp, name);
        if (v != NULL) {
            snprintf(source, sizeof source, "environment %s", name);
            set_text(l, i, v, source);
        }
    }
}

/* "--rpc-url" → index of rpc_url; dashes and underscores are both accepted. */
static int flag_index(const char *flag, size_t len) {
    char name[64];
    if (len >= sizeof name) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        name[i] = flag[i] == '-' ? '_' : flag[i];
    }
    return field_index(name, len);
}

/* Flags: --key VALUE or --key=VALUE; --config is taken by the caller's first pass. */
static void load_flags(loader *l, int argc, char *const *argv) {
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            problem(l, "unexpected argument \"%s\"", a);
            continue;
        }
        const char *eq = strchr(a + 2, '=');
        size_t len = eq != NULL ? (size_t)(eq - a - 2) : strlen(a + 2);
        const char *value = eq != NULL ? eq + 1 : (i + 1 < argc ? argv[i + 1] : NULL);
        bool is_config = len == 6 && strncmp(a + 2, "config", 6) == 0;
        int index = is_config ? -1 : flag_index(a + 2, len);
        if (!is_config && index < 0) {
            problem(l, "unknown option %.*s", (int)(len + 2), a);
        } else if (value == NULL) {
            problem(l, "option %.*s needs a value", (int)(len + 2), a);
            if (index >= 0) {
                l->given[index] = true;
            }
        } else if (!is_config) {
            char source[80];
            snprintf(source, sizeof source, "option --%.*s", (int)len, a + 2);
            set_text(l, (size_t)index, value, source);
        }
        if (eq == NULL && value != NULL) {
            i++; /* the value was the next argument */
        }
    }
}

static const char *config_path(int argc, char *const *argv, char *const *envp) {
    const char *path = env_get(envp, "TKMS_CONFIG");
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            path = argv[i + 1];
        } else if (strncmp(argv[i], "--config=", 9) == 0) {
            path = argv[i] + 9;
        }
    }
    return path;
}

/* ---- checks that need more than one value ------------------------------------------------- */

static void check_paths(loader *l) {
    node_config *c = l->cfg;
    struct stat st;
    if (l->set[field_index("data_dir", 8)] &&
        (stat(c->data_dir, &st) != 0 || !S_ISDIR(st.st_mode))) {
        problem(l, "data_dir %s: not an existing directory", c->data_dir);
    }
    if (l->set[field_index("key_file", 8)] &&
        (stat(c->key_file, &st) != 0 || !S_ISREG(st.st_mode))) {
        problem(l, "key_file %s: not an existing file", c->key_file);
    }
    if (c->seal_key_file[0] != '\0' && (stat(c->seal_key_file, &st) != 0 || !S_ISREG(st.st_mode))) {
        problem(l, "seal_key_file %s: not an existing file", c->seal_key_file);
    }
    if (c->attest_policy_file[0] != '\0' &&
        (stat(c->attest_policy_file, &st) != 0 || !S_ISREG(st.st_mode))) {
        problem(l, "attest_policy_file %s: not an existing file", c->attest_policy_file);
    }
}

static void check_required(loader *l) {
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        if (FIELDS[i].required && !l->given[i]) {
            char env[64], flag[64];
            env_name(env, sizeof env, FIELDS[i].name);
            snprintf(flag, sizeof flag, "%s", FIELDS[i].name);
            for (char *p = flag; *p != '\0'; p++) {
                *p = *p == '_' ? '-' : *p;
            }
            problem(l, "%s is required (config key %s, environment %s or --%s)", FIELDS[i].name,
                    FIELDS[i].name, env, flag);
        }
    }
}

static void defaults(loader *l) {
    memset(l->cfg, 0, sizeof *l->cfg);
    memset(l->errors, 0, sizeof *l->errors);
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        if (FIELDS[i].def != NULL) {
            set_text(l, i, FIELDS[i].def, "default");
            l->set[i] = false; /* a default does not satisfy "required" */
            l->given[i] = false;
        }
    }
    TKMS_ASSERT(l->errors->count == 0); /* the defaults are valid */
}

tkms_err node_config_load_text(node_config *out, node_config_errors *errors, const char *text,
                               size_t len) {
    TKMS_ASSERT(out != NULL && errors != NULL);
    TKMS_ASSERT(text != NULL || len == 0);
    loader l = {.cfg = out, .errors = errors};
    defaults(&l);
    load_text(&l, text != NULL ? text : "", len, "(text)");
    if (!l.file_unreadable) {
        check_required(&l);
    }
    return errors->count == 0 ? TKMS_OK : TKMS_ERR_NODE_CONFIG_INVALID;
}

tkms_err node_config_load(node_config *out, node_config_errors *errors, int argc,
                          char *const *argv, char *const *envp) {
    TKMS_ASSERT(out != NULL && errors != NULL);
    TKMS_ASSERT(argc >= 0);
    loader l = {.cfg = out, .errors = errors};
    defaults(&l);
    const char *path = config_path(argc, argv, envp);
    if (path != NULL) {
        load_file(&l, path);
    }
    load_env(&l, envp);
    load_flags(&l, argc, argv);
    if (!l.file_unreadable) {
        check_required(&l);
    }
    if (out->peer_listen[0] == '\0') {
        memcpy(out->peer_listen, out->app_listen, sizeof out->peer_listen);
    }
    check_paths(&l);
    return errors->count == 0 ? TKMS_OK : TKMS_ERR_NODE_CONFIG_INVALID;
}

void node_config_usage(FILE *out) {
    fprintf(out, "options (config file key / environment TKMS_<KEY> / flag --key-name):\n"
                 "  --config FILE                  JSON config file (env TKMS_CONFIG)\n");
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        char flag[64];
        snprintf(flag, sizeof flag, "%s", FIELDS[i].name);
        for (char *p = flag; *p != '\0'; p++) {
            *p = *p == '_' ? '-' : *p;
        }
        fprintf(out, "  --%-28s %s%s%s%s\n", flag, FIELDS[i].help,
                FIELDS[i].required ? " (required)" : "", FIELDS[i].def ? "; default " : "",
                FIELDS[i].def ? FIELDS[i].def : "");
    }
}
