/*
 * cmd_attest.c — `tkms attest verify`: runs the attestation verifiers of src/attest on a
 * piece of evidence and prints the claims or the exact failure, so an operator can see why
 * a /v1/secrets request was refused without a node (docs/attestation.md).
 *
 *   tkms attest verify --method gcp|sev-snp --evidence FILE [--now T] [--policy FILE]
 *       [--binding-hex HEX | --rsa-pubkey FILE [--extra-data-b64 B64]
 *        | --expect-report-data HEX | --expect-nonce STRING]
 *       [--init-data FILE] [--jwks FILE|URL] [--amd-roots FILE]... [--no-builtin-roots]
 *       [--json]
 *
 * As cli.h requires: exit 0 verified, 1 usage or setup error (arguments, unreadable files,
 * invalid policy or JWKS), 2 the evidence was rejected; a failure prints exactly one line
 * "tkms attest verify: …" on stderr; --help prints the usage on stdout and exits 0; the
 * claims (or, with --json, the verdict) go to stdout. Without a binding option the binding
 * is not checked and the output says so. This is the one place in the attest code that
 * reads the clock (the default of --now) and the network (--jwks https://…).
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "attest/attest.h"
#include "cli/cli.h"
_Static_assert(TKMS_CLI_EXIT_OK == 0 && TKMS_CLI_EXIT_USAGE == 1 && TKMS_CLI_EXIT_FAILED == 2,
               "the exit statuses below are cli.h's");

#define FILE_BYTES_MAX (4 * 1024 * 1024)
#define ROOTS_FILES_MAX 16

enum { EXIT_VERIFIED = 0, EXIT_USAGE = 1, EXIT_REJECTED = 2 }; /* cli.h's TKMS_CLI_EXIT_* */

/* The one stderr line of a failure (cli.h); returns status. */
__attribute__((format(printf, 2, 3))) static int fail(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("tkms attest verify: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return status;
}

typedef struct {
    const char *method, *evidence, *now, *policy, *binding_hex, *rsa_pubkey, *extra_data_b64;
    const char *expect_report_data, *expect_nonce, *init_data, *jwks;
    const char *roots[ROOTS_FILES_MAX];
    size_t root_count;
    bool no_builtin_roots, json;
} attest_args;

static void usage(FILE *f) {
    fprintf(
        f,
        "usage: tkms attest verify --method gcp|sev-snp --evidence FILE [--now T]\n"
        "         [--policy FILE] [--binding-hex HEX | --rsa-pubkey FILE [--extra-data-b64 B64]\n"
        "          | --expect-report-data HEX | --expect-nonce STRING] [--init-data FILE]\n"
        "         [--jwks FILE|URL] [--amd-roots FILE]... [--no-builtin-roots] [--json]\n"
        "  T is unix seconds or YYYY-MM-DDTHH:MM:SSZ (default: now).\n"
        "  exit: 0 verified, 1 usage/setup error, 2 evidence rejected\n");
}

/* Reads a whole file (at most FILE_BYTES_MAX); caller frees. */
static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail(EXIT_USAGE, "cannot open %s", path);
        return NULL;
    }
    uint8_t *buf = malloc(FILE_BYTES_MAX + 1);
    size_t n = buf ? fread(buf, 1, FILE_BYTES_MAX + 1, f) : 0;
    const bool bad = buf == NULL || ferror(f) || n > FILE_BYTES_MAX;
    fclose(f);
    if (bad) {
        fail(EXIT_USAGE, "cannot read %s (or larger than %d bytes)", path, FILE_BYTES_MAX);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static int parse_args(attest_args *a, int argc, char **argv) {
    static const struct option opts[] = {{"method", required_argument, 0, 'm'},
                                         {"evidence", required_argument, 0, 'e'},
                                         {"now", required_argument, 0, 't'},
                                         {"policy", required_argument, 0, 'p'},
                                         {"binding-hex", required_argument, 0, 'b'},
                                         {"rsa-pubkey", required_argument, 0, 'r'},
                                         {"extra-data-b64", required_argument, 0, 'x'},
                                         {"expect-report-data", required_argument, 0, 'R'},
                                         {"expect-nonce", required_argument, 0, 'N'},
                                         {"init-data", required_argument, 0, 'i'},
                                         {"jwks", required_argument, 0, 'j'},
                                         {"amd-roots", required_argument, 0, 'a'},
                                         {"no-builtin-roots", no_argument, 0, 'n'},
                                         {"json", no_argument, 0, 'J'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    optind = 0; /* glibc: a full rescan, so the command can run more than once */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const char **slot = c == 'm'   ? &a->method
                            : c == 'e' ? &a->evidence
                            : c == 't' ? &a->now
                            : c == 'p' ? &a->policy
                            : c == 'b' ? &a->binding_hex
                            : c == 'r' ? &a->rsa_pubkey
                            : c == 'x' ? &a->extra_data_b64
                            : c == 'R' ? &a->expect_report_data
                            : c == 'N' ? &a->expect_nonce
                            : c == 'i' ? &a->init_data
                            : c == 'j' ? &a->jwks
                                       : NULL;
        if (slot != NULL) {
            *slot = optarg;
        } else if (c == 'a' && a->root_count < ROOTS_FILES_MAX) {
            a->roots[a->root_count++] = optarg;
        } else if (c == 'a') {
            return fail(-1, "at most %d --amd-roots", ROOTS_FILES_MAX);
        } else if (c == 'n' || c == 'J') {
            *(c == 'n' ? &a->no_builtin_roots : &a->json) = true;
        } else if (c == 'h') {
            return 1;
        } else {
            return fail(-1, "unknown option or missing value: %s (see --help)", argv[optind - 1]);
        }
    }
    const int bindings = (a->binding_hex != NULL) + (a->rsa_pubkey != NULL) +
                         (a->expect_report_data != NULL) + (a->expect_nonce != NULL);
    if (optind != argc) {
        return fail(-1, "unexpected argument: %s", argv[optind]);
    }
    if (a->method == NULL || a->evidence == NULL) {
        return fail(-1, "--method and --evidence are required (see --help)");
    }
    if (bindings > 1) {
        return fail(-1, "give at most one of --binding-hex, --rsa-pubkey, --expect-report-data, "
                        "--expect-nonce");
    }
    if (a->extra_data_b64 != NULL && a->rsa_pubkey == NULL) {
        return fail(-1, "--extra-data-b64 needs --rsa-pubkey");
    }
    return 0;
}

/* "1791496700" or "2026-10-08T22:00:00Z". */
static bool parse_time(int64_t *out, const char *s) {
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*s != 0 && *end == 0) {
        *out = v;
        return true;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == NULL || *end != 0) {
        return false;
    }
    *out = (int64_t)timegm(&tm);
    return true;
}

static int hexval(char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

static bool unhex(uint8_t *out, size_t n, const char *hex) {
    if (strlen(hex) != 2 * n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

/* Lenient standard base64 (padding and line breaks ignored): operator-supplied files. */
static bool unbase64(uint8_t *out, size_t cap, size_t *out_len, const char *in, size_t n) {
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == '=' || in[i] == '\n' || in[i] == '\r') {
            continue;
        }
        const char *p = in[i] ? strchr(alphabet, in[i]) : NULL;
        if (p == NULL) {
            return false;
        }
        acc = acc << 6 | (uint32_t)(p - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap) {
                return false;
            }
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    *out_len = o;
    return true;
}

typedef struct {
    uint8_t *evidence, *init_data, *rsa_pubkey;
    size_t evidence_len, init_data_len, rsa_pubkey_len;
    uint8_t exact[128];
    uint8_t extra[4096];
    size_t extra_len;
} attest_inputs;

static void inputs_free(attest_inputs *in) {
    free(in->evidence);
    free(in->init_data);
    free(in->rsa_pubkey);
}

/* sev-snp evidence may be the API's base64 form of the JSON: decode it then. */
static bool evidence_unwrap(attest_inputs *in) {
    size_t i = 0;
    while (i < in->evidence_len && strchr(" \t\r\n", in->evidence[i]) && in->evidence[i]) {
        i++;
    }
    if (i == in->evidence_len || in->evidence[i] == '{') {
        return true;
    }
    uint8_t *json = malloc(in->evidence_len);
    size_t n = 0;
    if (json == NULL ||
        !unbase64(json, in->evidence_len, &n, (const char *)in->evidence, in->evidence_len)) {
        free(json);
        return false;
    }
    free(in->evidence);
    in->evidence = json;
    in->evidence_len = n;
    return true;
}

static int build_binding(tkms_attest_binding *b, attest_inputs *in, const attest_args *a) {
    memset(b, 0, sizeof *b);
    b->kind = TKMS_ATTEST_BINDING_NONE;
    if (a->binding_hex != NULL) {
        b->kind = TKMS_ATTEST_BINDING_HASH;
        return unhex(b->hash, sizeof b->hash, a->binding_hex) ? 0 : -1;
    }
    if (a->rsa_pubkey != NULL) {
        in->rsa_pubkey = read_file(a->rsa_pubkey, &in->rsa_pubkey_len);
        const char *x = a->extra_data_b64 ? a->extra_data_b64 : "";
        if (in->rsa_pubkey == NULL) {
            return -2; /* read_file reported it */
        }
        if (!unbase64(in->extra, sizeof in->extra, &in->extra_len, x, strlen(x))) {
            return -1;
        }
        tkms_attest_binding_from_request(b, in->rsa_pubkey, in->rsa_pubkey_len, in->extra,
                                         in->extra_len);
        return 0;
    }
    if (a->expect_report_data != NULL) {
        b->kind = TKMS_ATTEST_BINDING_EXACT;
        b->exact = in->exact;
        b->exact_len = 64;
        return unhex(in->exact, 64, a->expect_report_data) ? 0 : -1;
    }
    if (a->expect_nonce != NULL) {
        b->kind = TKMS_ATTEST_BINDING_EXACT;
        b->exact = (const uint8_t *)a->expect_nonce;
        b->exact_len = strlen(a->expect_nonce);
    }
    return 0;
}

/* ---- Rendering -------------------------------------------------------------------------- */

static char *hex_string(char *buf, const uint8_t *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        buf[2 * i] = d[p[i] >> 4];
        buf[2 * i + 1] = d[p[i] & 15];
    }
    buf[2 * n] = 0;
    return buf;
}

static json_t *snp_json(const tkms_attest_claims *c) {
    const tkms_attest_snp_report *r = &c->snp.report;
    char h[129], fw[2][24];
    snprintf(fw[0], sizeof fw[0], "%u.%u.%u", r->current_major, r->current_minor, r->current_build);
    snprintf(fw[1], sizeof fw[1], "%u.%u.%u", r->committed_major, r->committed_minor,
             r->committed_build);
    json_t *o =
        json_pack("{s:i,s:I,s:s,s:i,s:s,s:s}", "version", (int)r->version, "guest_svn",
                  (json_int_t)r->guest_svn, "product", tkms_attest_snp_product_name(c->snp.product),
                  "vmpl", (int)r->vmpl, "signer", r->signing_key == 1 ? "VLEK" : "VCEK",
                  "vek_product_name", c->snp.vek_product_name);
    char num[32];
#define HEXFIELD(name, field)                                                                      \
    json_object_set_new(o, name, json_string(hex_string(h, field, sizeof field)))
#define U64FIELD(name, v)                                                                          \
    (snprintf(num, sizeof num, "0x%016llx", (unsigned long long)(v)),                              \
     json_object_set_new(o, name, json_string(num)))
    U64FIELD("policy", r->policy);
    U64FIELD("platform_info", r->platform_info);
    U64FIELD("reported_tcb", r->reported_tcb);
    U64FIELD("current_tcb", r->current_tcb);
    U64FIELD("committed_tcb", r->committed_tcb);
    U64FIELD("launch_tcb", r->launch_tcb);
    HEXFIELD("measurement", r->measurement);
    HEXFIELD("report_data", r->report_data);
    HEXFIELD("host_data", r->host_data);
    HEXFIELD("id_key_digest", r->id_key_digest);
    HEXFIELD("chip_id", r->chip_id);
    json_object_set_new(o, "current_firmware", json_string(fw[0]));
    json_object_set_new(o, "committed_firmware", json_string(fw[1]));
    json_object_set_new(o, "measurement_allowlisted", json_boolean(c->snp.measurement_allowlisted));
#undef HEXFIELD
#undef U64FIELD
    return o;
}

static json_t *gcp_json(const tkms_attest_claims *c) {
    return json_pack("{s:s,s:s,s:s,s:I,s:s,s:b,s:b,s:s,s:s,s:s,s:s,s:s,s:s}", "kid", c->gcp.kid,
                     "audience", c->gcp.audience, "swname", c->gcp.swname, "swversion",
                     (json_int_t)c->gcp.swversion, "dbgstat", c->gcp.dbgstat, "secure_boot",
                     c->gcp.secure_boot, "support_stable", c->gcp.support_stable, "project_id",
                     c->gcp.project_id, "project_number", c->gcp.project_number, "zone",
                     c->gcp.zone, "instance_name", c->gcp.instance_name, "instance_id",
                     c->gcp.instance_id, "image_id", c->gcp.image_id);
}

static json_t *claims_json(const tkms_attest_claims *c) {
    json_t *o =
        json_pack("{s:s,s:b,s:s,s:s,s:s,s:s}", "method", tkms_attest_method_name(c->method),
                  "binding_checked", c->binding_checked, "app_id", c->app_id, "image_digest",
                  c->image_digest, "image_reference", c->image_reference, "nonce", c->nonce);
    if (c->has_time) {
        json_object_set_new(o, "issued_at", json_integer(c->issued_at));
        json_object_set_new(o, "not_before", json_integer(c->not_before));
        json_object_set_new(o, "expires_at", json_integer(c->expires_at));
    }
    json_object_set_new(o, "platform",
                        json_pack("{s:s,s:s,s:b}", "hardware_model", c->platform.hardware_model,
                                  "tcb", c->platform.tcb, "debug", c->platform.debug));
    if (c->container.present) {
        json_t *args = json_array(), *env = json_object();
        for (size_t i = 0; i < c->container.arg_count; i++) {
            json_array_append_new(args, json_string(c->container.args[i]));
        }
        for (size_t i = 0; i < c->container.env_count; i++) {
            json_object_set_new(env, c->container.env_names[i],
                                json_string(c->container.env_values[i]));
        }
        json_object_set_new(o, "container",
                            json_pack("{s:o,s:o,s:s}", "args", args, "env", env, "restart_policy",
                                      c->container.restart_policy));
    }
    json_object_set_new(o, c->method == TKMS_ATTEST_METHOD_GCP ? "gcp" : "sev_snp",
                        c->method == TKMS_ATTEST_METHOD_GCP ? gcp_json(c) : snp_json(c));
    return o;
}

static void print_text(const json_t *o, const char *prefix) {
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        if (json_is_object(v) && strcmp(k, "env") != 0) {
            char p[64];
            snprintf(p, sizeof p, "%s%s.", prefix, k);
            print_text(v, p);
        } else if (json_is_string(v)) {
            printf("%s%s: %s\n", prefix, k, json_string_value(v));
        } else {
            char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            printf("%s%s: %s\n", prefix, k, s ? s : "?");
            free(s);
        }
    }
}

static int report(const tkms_attest_claims *claims, const tkms_attest_error *error, tkms_err rc,
                  bool as_json) {
    json_t *o = rc == TKMS_OK ? json_pack("{s:b,s:o}", "ok", 1, "claims", claims_json(claims))
                              : json_pack("{s:b,s:s,s:s}", "ok", 0, "code", tkms_err_name(rc),
                                          "message", error->message);
    if (as_json) {
        char *s = json_dumps(o, JSON_COMPACT);
        printf("%s\n", s ? s : "{}");
        free(s);
    } else if (rc == TKMS_OK) {
        printf("VERIFIED%s\n", claims->binding_checked ? "" : " (binding NOT checked)");
        print_text(json_object_get(o, "claims"), "");
    } else {
        printf("REJECTED %s: %s\n", tkms_err_name(rc), error->message);
    }
    if (rc != TKMS_OK) {
        fail(EXIT_REJECTED, "%s: %s", tkms_err_name(rc), error->message);
    }
    json_decref(o);
    return rc == TKMS_OK ? EXIT_VERIFIED : EXIT_REJECTED;
}

/* ---- Setup and run ------------------------------------------------------------------------ */

static int setup_context(tkms_attest_context **ctx, tkms_attest_jwks_cache **jwks,
                         const attest_args *a, int64_t now) {
    tkms_attest_error e;
    tkms_attest_context_options o;
    tkms_attest_context_options_default(&o);
    o.snp_builtin_roots = !a->no_builtin_roots;
    if (tkms_attest_context_new(ctx, &e, &o) != TKMS_OK) {
        return fail(EXIT_USAGE, "%s", e.message);
    }
    for (size_t i = 0; i < a->root_count; i++) {
        size_t n = 0;
        uint8_t *pem = read_file(a->roots[i], &n);
        tkms_err rc = pem ? tkms_attest_context_snp_roots_add(*ctx, &e, pem, n) : TKMS_ERR_IO;
        free(pem);
        if (rc != TKMS_OK) {
            return rc == TKMS_ERR_IO ? EXIT_USAGE
                                     : fail(EXIT_USAGE, "--amd-roots %s: %s", a->roots[i],
                                            e.message);
        }
    }
    if (a->jwks == NULL) {
        return EXIT_VERIFIED;
    }
    tkms_attest_jwks_cache_options jo;
    tkms_attest_jwks_cache_options_default(&jo);
    jo.source = a->jwks;
    if (tkms_attest_jwks_cache_new(jwks, &e, &jo) != TKMS_OK ||
        tkms_attest_jwks_cache_refresh(*jwks, &e, now) != TKMS_OK) {
        return fail(EXIT_USAGE, "--jwks %s: %s", a->jwks, e.message);
    }
    tkms_attest_context_jwks_set(*ctx, *jwks);
    return EXIT_VERIFIED;
}

static int load_inputs(attest_inputs *in, tkms_attest_policy *policy, const attest_args *a,
                       tkms_attest_method method) {
    in->evidence = read_file(a->evidence, &in->evidence_len);
    if (in->evidence == NULL) {
        return EXIT_USAGE;
    }
    if (method == TKMS_ATTEST_METHOD_SEV_SNP && !evidence_unwrap(in)) {
        return fail(EXIT_USAGE, "--evidence is neither JSON nor base64 of JSON");
    }
    if (a->init_data != NULL &&
        (in->init_data = read_file(a->init_data, &in->init_data_len)) == NULL) {
        return EXIT_USAGE;
    }
    tkms_attest_policy_default(policy);
    if (a->policy != NULL) {
        size_t n = 0;
        uint8_t *p = read_file(a->policy, &n);
        tkms_attest_error e;
        tkms_err rc = p ? tkms_attest_policy_from_json(policy, &e, p, n) : TKMS_ERR_IO;
        free(p);
        if (rc != TKMS_OK) {
            return rc == TKMS_ERR_IO ? EXIT_USAGE
                                     : fail(EXIT_USAGE, "--policy %s: %s", a->policy, e.message);
        }
    }
    return EXIT_VERIFIED;
}

static int verify(const attest_args *a) {
    const tkms_attest_method method = tkms_attest_method_from_name(a->method);
    int64_t now = (int64_t)time(NULL);
    if (method == TKMS_ATTEST_METHOD_NONE || (a->now != NULL && !parse_time(&now, a->now)) ||
        (method == TKMS_ATTEST_METHOD_GCP && a->jwks == NULL)) {
        return fail(EXIT_USAGE, "%s",
                    method == TKMS_ATTEST_METHOD_NONE ? "--method must be gcp or sev-snp"
                    : method == TKMS_ATTEST_METHOD_GCP && a->jwks == NULL
                        ? "--method gcp needs --jwks FILE|URL"
                        : "--now must be unix seconds or YYYY-MM-DDTHH:MM:SSZ");
    }
    attest_inputs in;
    memset(&in, 0, sizeof in);
    tkms_attest_policy *policy = malloc(sizeof *policy);
    tkms_attest_claims *claims = NULL;
    tkms_attest_context *ctx = NULL;
    tkms_attest_jwks_cache *jwks = NULL;
    tkms_attest_request req = {.method = method, .now = now};
    int status = policy ? load_inputs(&in, policy, a, method) : EXIT_USAGE;
    const int bound = status == EXIT_VERIFIED ? build_binding(&req.binding, &in, a) : 0;
    if (bound != 0) {
        status = bound == -2 ? EXIT_USAGE
                             : fail(EXIT_USAGE, "bad binding option (hex length or base64)");
    }
    if (status == EXIT_VERIFIED) {
        status = setup_context(&ctx, &jwks, a, now);
    }
    if (status == EXIT_VERIFIED && tkms_attest_claims_new(&claims) == TKMS_OK) {
        req.evidence = in.evidence;
        req.evidence_len = in.evidence_len;
        req.init_data = in.init_data;
        req.init_data_len = in.init_data_len;
        tkms_attest_error e;
        const tkms_err rc = tkms_attest_verify(claims, &e, ctx, policy, &req);
        status = report(claims, &e, rc, a->json);
    }
    tkms_attest_claims_free(claims);
    tkms_attest_context_free(ctx);
    tkms_attest_jwks_cache_free(jwks);
    inputs_free(&in);
    free(policy);
    return status;
}

int tkms_cli_attest(int argc, char **argv) {
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        usage(stdout);
        return EXIT_VERIFIED;
    }
    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        fprintf(stderr, "tkms attest: expected the verb verify (see tkms attest --help)\n");
        return EXIT_USAGE;
    }
    attest_args a;
    const int parsed = parse_args(&a, argc - 1, argv + 1);
    if (parsed != 0) {
        if (parsed > 0) {
            usage(stdout);
        }
        return parsed > 0 ? EXIT_VERIFIED : EXIT_USAGE;
    }
    const bool url = a.jwks != NULL && strstr(a.jwks, "://") != NULL;
    if (url) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
    }
    const int status = verify(&a);
    if (url) {
        curl_global_cleanup();
    }
    return status;
}
