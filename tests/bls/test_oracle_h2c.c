/*
 * test_oracle_h2c.c — tkms's RFC 9380 hashing against @noble/curves 2.4.0, an independent
 * implementation, on random inputs seeded by TKMS_TEST_SEED: 1000 (DST, msg) cases per group
 * (700 hash_to_curve, 300 encode_to_curve) with random DSTs (1..255 arbitrary bytes) and
 * messages (0..1000 bytes), expand_message_xmd at random lengths up to 8160, and map_to_curve +
 * cofactor clearing on random field elements and the exceptional inputs (0, ±1, and for G1 the u
 * with Z²u⁴ + Zu² = 0). All commands go to one node process (tests/oracle/h2c_oracle.mjs, batch
 * mode) through a command file and popen(); answers are compressed points. Needs node and
 * node_modules (scripts/setup.sh): without them the test FAILS, saying so.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "bls/internal.h"
#include "test_util.h"

/* Per group: 1000 random (DST, msg) cases, 700 hash_to_curve + 300 encode_to_curve
   (noble takes ~4 ms per G1 hash and ~12 ms per G2 hash, which sets the budget). */
#define HASH_CASES 700
#define ENCODE_CASES 300
#define XMD_CASES 200
#define MAP_CASES 50
#define MSG_MAX 1000
#define XMD_MAX (255 * 32)

typedef enum { H2G1, H2G2, E2G1, E2G2, XMD, M2G1, M2G2 } op_kind;
static const char *const OP_NAME[] = {"h2g1", "h2g2", "e2g1", "e2g2", "xmd", "m2g1", "m2g2"};

typedef struct {
    op_kind op;
    uint8_t dst[255], msg[MSG_MAX];
    size_t dst_len, msg_len, xmd_len;
    fp2 u; /* m2g1 uses u.c0 */
} oracle_case;

static tu_rng rng;
static uint64_t seed;

static size_t rand_below(size_t n) {
    return (size_t)(tu_rng_next(&rng) % n);
}

static void rand_fp(fp *out) {
    uint8_t b[64];
    tu_rng_bytes(&rng, b, sizeof b);
    fp_from_bytes64_reduce(out, b);
}

/* DSTs: mostly random bytes of random length 1..255, sometimes the suite names. */
static void rand_input(oracle_case *c) {
    static const char *const named[] = {"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_",
                                        "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_", "D"};
    size_t pick = rand_below(10);
    if (pick < 3) {
        c->dst_len = strlen(named[pick]);
        memcpy(c->dst, named[pick], c->dst_len);
    } else {
        c->dst_len = 1 + rand_below(255);
        tu_rng_bytes(&rng, c->dst, c->dst_len);
    }
    c->msg_len = rand_below(8) == 0 ? rand_below(MSG_MAX + 1) : rand_below(80);
    tu_rng_bytes(&rng, c->msg, c->msg_len);
}

static void write_hex_arg(FILE *f, const uint8_t *b, size_t n) {
    char h[2 * 1024 + 1];
    TKMS_ASSERT(n <= 1024);
    tu_hex(h, b, n);
    fprintf(f, " %s", n == 0 ? "-" : h);
}

static void write_fp_arg(FILE *f, const fp *a) {
    uint8_t b[48];
    fp_to_bytes(b, a);
    write_hex_arg(f, b, 48);
}

static void write_command(FILE *f, const oracle_case *c) {
    fputs(OP_NAME[c->op], f);
    if (c->op == M2G1 || c->op == M2G2) {
        write_fp_arg(f, &c->u.c0);
        if (c->op == M2G2) {
            write_fp_arg(f, &c->u.c1);
        }
    } else {
        write_hex_arg(f, c->dst, c->dst_len);
        write_hex_arg(f, c->msg, c->msg_len);
        if (c->op == XMD) {
            fprintf(f, " %zu", c->xmd_len);
        }
    }
    fputc('\n', f);
}

/* tkms's answer, as lowercase hex into out. */
static void compute(char *out, const oracle_case *c) {
    static uint8_t buf[XMD_MAX];
    g1 p1;
    g2 p2;
    tkms_err err = TKMS_OK;
    switch (c->op) {
    case H2G1:
    case E2G1:
    case M2G1:
        if (c->op == M2G1) {
            g1_map_to_curve(&p1, &c->u.c0);
            g1_clear_cofactor(&p1, &p1);
        } else {
            err = (c->op == H2G1 ? tkms_bls_g1_hash : tkms_bls_g1_encode_to_curve)(
                &p1, c->msg, c->msg_len, c->dst, c->dst_len);
        }
        tkms_bls_g1_encode(buf, &p1);
        tu_hex(out, buf, TKMS_BLS_G1_BYTES);
        break;
    case H2G2:
    case E2G2:
    case M2G2:
        if (c->op == M2G2) {
            g2_map_to_curve(&p2, &c->u);
            g2_clear_cofactor(&p2, &p2);
        } else {
            err = (c->op == H2G2 ? tkms_bls_g2_hash : tkms_bls_g2_encode_to_curve)(
                &p2, c->msg, c->msg_len, c->dst, c->dst_len);
        }
        tkms_bls_g2_encode(buf, &p2);
        tu_hex(out, buf, TKMS_BLS_G2_BYTES);
        break;
    case XMD:
        err = tkms_bls_expand_message_xmd(buf, c->xmd_len, c->msg, c->msg_len, c->dst, c->dst_len);
        tu_hex(out, buf, c->xmd_len);
        break;
    }
    assert_int_equal(err, TKMS_OK);
}

static size_t add_cases(oracle_case *cases, size_t n, op_kind op, size_t count) {
    for (size_t i = 0; i < count; i++) {
        oracle_case *c = &cases[n + i];
        c->op = op;
        rand_input(c);
        c->xmd_len = rand_below(4) == 0 ? 1 + rand_below(XMD_MAX) : 1 + rand_below(300);
        rand_fp(&c->u.c0);
        rand_fp(&c->u.c1);
    }
    return n + count;
}

/* The exceptional and small inputs of map_to_curve. */
static size_t add_map_edges(oracle_case *cases, size_t n) {
    fp edge[4], z, t;
    fp_zero(&edge[0]);
    edge[1] = FP_ONE;
    fp_neg(&edge[2], &FP_ONE);
    /* u² = −1/Z makes Z²u⁴ + Zu² = 0 (−1/Z is a square: both −1 and Z are non-squares). */
    fp_from_u64(&z, 11);
    fp_inv(&t, &z);
    fp_neg(&t, &t);
    assert_true(fp_sqrt(&edge[3], &t));
    for (size_t i = 0; i < 4; i++) {
        cases[n].op = M2G1;
        cases[n].u.c0 = edge[i];
        n++;
        for (size_t j = 0; j < 3; j++) {
            cases[n].op = M2G2;
            cases[n].u.c0 = edge[i];
            cases[n].u.c1 = edge[j];
            n++;
        }
    }
    return n;
}

/* Fails (never skips) when node or the npm packages are missing. */
static void require_node(const char *root) {
    char path[4096];
    if (system("node --version > /dev/null 2>&1") != 0) {
        fail_msg("node is not on PATH: this oracle test needs node >= 20 (scripts/setup.sh)");
    }
    snprintf(path, sizeof path, "%s/node_modules/@noble/curves/package.json", root);
    if (access(path, R_OK) != 0) {
        fail_msg("%s missing: run npm ci at the repository root (scripts/setup.sh)", path);
    }
    snprintf(path, sizeof path, "%s/tests/oracle/h2c_oracle.mjs", root);
    if (access(path, R_OK) != 0) {
        fail_msg("%s missing", path);
    }
}

static void test_against_noble(void **state) {
    (void)state;
    const char *env_root = getenv("TKMS_SOURCE_DIR");
    const char *root = env_root ? env_root : ".";
    size_t cap = 2 * HASH_CASES + 2 * ENCODE_CASES + XMD_CASES + 2 * MAP_CASES + 16;
    oracle_case *cases = calloc(cap, sizeof *cases);
    char cmd_path[] = "/tmp/tkms_h2c_oracle_XXXXXX", cmd[8192];
    assert_non_null(cases);
    require_node(root);
    size_t n = add_cases(cases, 0, H2G1, HASH_CASES);
    n = add_cases(cases, n, H2G2, HASH_CASES);
    n = add_cases(cases, n, E2G1, ENCODE_CASES);
    n = add_cases(cases, n, E2G2, ENCODE_CASES);
    n = add_cases(cases, n, XMD, XMD_CASES);
    n = add_cases(cases, n, M2G1, MAP_CASES);
    n = add_cases(cases, n, M2G2, MAP_CASES);
    n = add_map_edges(cases, n);
    assert_true(n <= cap);
    int fd = mkstemp(cmd_path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        write_command(f, &cases[i]);
    }
    assert_int_equal(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "node '%s/tests/oracle/h2c_oracle.mjs' < '%s'", root, cmd_path);
    FILE *pipe = popen(cmd, "r");
    assert_non_null(pipe);
    static char line[2 * XMD_MAX + 64], mine[2 * XMD_MAX + 1];
    size_t done = 0;
    for (; done < n && fgets(line, sizeof line, pipe) != NULL; done++) {
        line[strcspn(line, "\n")] = 0;
        compute(mine, &cases[done]);
        if (strcmp(line, mine) != 0) {
            fail_msg("case %zu (%s) differs from noble (seed %llu):\n tkms  %s\n noble %s", done,
                     OP_NAME[cases[done].op], (unsigned long long)seed, mine, line);
        }
    }
    int status = pclose(pipe);
    unlink(cmd_path);
    free(cases);
    if (done != n || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("the oracle answered %zu of %zu commands (exit status %d)", done, n, status);
    }
    printf("# %zu cases agree with @noble/curves (seed %llu)\n", n, (unsigned long long)seed);
}

int main(void) {
    seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED), kernel %s\n", (unsigned long long)seed,
           tkms_bls_kernel_name());
    tu_rng_seed(&rng, seed);
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_against_noble)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
