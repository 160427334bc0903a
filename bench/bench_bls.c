/*
 * bench_bls.c — fixed-count benchmarks of the BLS12-381 layer's production paths, to set
 * beside blst's numbers (style R21; docs/performance.md).
 *
 *   bench_bls [--op NAME]           every (or one) operation: one JSON line each,
 *                                   {"op":…,"ns_per_op":median,"cpu_ns_per_op":…,"iters":…,
 *                                    "reps":…,"kernel":…}
 *   bench_bls --op NAME --iters N   set up NAME, then run it exactly N times, no timing (for
 *                                   callgrind: instructions(N = 1 + k) − instructions(N = 1)
 *                                   is k operations without the setup; bench/run does this)
 *   bench_bls --list                the operation names
 *
 * Inputs come from a fixed-seed generator, so two runs execute the same instructions. The
 * median over REPS repetitions of a fixed iteration count (CLOCK_MONOTONIC) is reported,
 * with the thread-CPU-time median beside it for loaded machines.
 * fp_mul / fr_mul use the in-layer Montgomery multiplications (internal.h); everything else
 * goes through bls.h. Not a test: results are only checked enough to catch a broken setup.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bls/internal.h"

#define REPS 9
#define MSM_N 32
#define DECODE_SET 16

/* Everything an operation reads; built once by setup(), never by the timed loop. */
typedef struct {
    fp fa, fb;
    fr ra, rb;
    fr k;
    tkms_bls_g1 p1;
    tkms_bls_g2 p2;
    uint8_t c1[DECODE_SET][TKMS_BLS_G1_BYTES];
    uint8_t c2[DECODE_SET][TKMS_BLS_G2_BYTES];
    tkms_bls_g1 ms1[MSM_N];
    tkms_bls_g2 ms2[MSM_N];
    fr mk[MSM_N];
    tkms_bls_g1 pp[2];
    tkms_bls_g2 qq[2];
} bench_ctx;

static volatile uint8_t sink; /* keeps results observable */

static uint64_t rng_state = 0x243f6a8885a308d3ULL; /* fixed: runs must be identical */

static uint64_t rng_next(void) {
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rand_bytes(uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint8_t)rng_next();
    }
}

static void rand_fr(fr *out) {
    uint8_t b[64];
    rand_bytes(b, sizeof b);
    tkms_bls_fr_decode_reduce(out, b, sizeof b);
}

static void rand_fp(fp *out) {
    uint8_t b[64];
    rand_bytes(b, sizeof b);
    fp_from_bytes64_reduce(out, b);
}

static void die(const char *what) {
    fprintf(stderr, "bench_bls: %s\n", what);
    exit(1);
}

/* MSM inputs: random scalars; points P + i·Q (two multiplications, not 32: the MSM's
   cost does not depend on how the points relate, and callgrind runs the setup twice). */
static void setup_msm(bench_ctx *c) {
    tkms_bls_g1 gen1, q1;
    tkms_bls_g2 gen2, q2;
    fr s;
    tkms_bls_g1_generator(&gen1);
    tkms_bls_g2_generator(&gen2);
    rand_fr(&s);
    tkms_bls_g1_mul(&c->ms1[0], &gen1, &s);
    tkms_bls_g2_mul(&c->ms2[0], &gen2, &s);
    rand_fr(&s);
    tkms_bls_g1_mul(&q1, &gen1, &s);
    tkms_bls_g2_mul(&q2, &gen2, &s);
    for (size_t i = 1; i < MSM_N; i++) {
        tkms_bls_g1_add(&c->ms1[i], &c->ms1[i - 1], &q1);
        tkms_bls_g2_add(&c->ms2[i], &c->ms2[i - 1], &q2);
    }
    for (size_t i = 0; i < MSM_N; i++) {
        rand_fr(&c->mk[i]);
    }
}

static void setup(bench_ctx *c, const char *op) {
    memset(c, 0, sizeof *c);
    rand_fp(&c->fa);
    rand_fp(&c->fb);
    rand_fr(&c->ra);
    rand_fr(&c->rb);
    rand_fr(&c->k);
    tkms_bls_g1_generator(&c->p1);
    tkms_bls_g2_generator(&c->p2);
    tkms_bls_g1_mul(&c->p1, &c->p1, &c->k); /* a random base, not the generator */
    tkms_bls_g2_mul(&c->p2, &c->p2, &c->k);
    rand_fr(&c->k);
    bool decode = strstr(op, "decompress") != NULL;
    for (size_t i = 0; decode && i < DECODE_SET; i++) {
        tkms_bls_g1 a;
        tkms_bls_g2 b;
        fr s;
        rand_fr(&s);
        tkms_bls_g1_mul(&a, &c->p1, &s);
        tkms_bls_g2_mul(&b, &c->p2, &s);
        tkms_bls_g1_encode(c->c1[i], &a);
        tkms_bls_g2_encode(c->c2[i], &b);
    }
    if (strstr(op, "msm") != NULL) {
        setup_msm(c);
    }
    for (size_t i = 0; i < 2; i++) {
        fr s;
        rand_fr(&s);
        tkms_bls_g1_mul(&c->pp[i], &c->p1, &s);
        rand_fr(&s);
        tkms_bls_g2_mul(&c->qq[i], &c->p2, &s);
    }
}

/* ---- the operations: each runs `iters` times on production paths ----------------- */
static void op_fp_mul(bench_ctx *c, size_t iters) {
    fp a = c->fa; /* a dependent chain: latency, like blst's loop */
    for (size_t i = 0; i < iters; i++) {
        fp_mul(&a, &a, &c->fb);
    }
    sink ^= (uint8_t)a.l[0];
}

static void op_fr_mul(bench_ctx *c, size_t iters) {
    fr a = c->ra;
    for (size_t i = 0; i < iters; i++) {
        fr_mul_mont(&a, &a, &c->rb);
    }
    sink ^= (uint8_t)a.l[0];
}

static void op_g1_mul(bench_ctx *c, size_t iters) {
    tkms_bls_g1 p = c->p1;
    for (size_t i = 0; i < iters; i++) {
        tkms_bls_g1_mul(&p, &p, &c->k);
    }
    sink ^= (uint8_t)p.x.l[0];
}

static void op_g2_mul(bench_ctx *c, size_t iters) {
    tkms_bls_g2 p = c->p2;
    for (size_t i = 0; i < iters; i++) {
        tkms_bls_g2_mul(&p, &p, &c->k);
    }
    sink ^= (uint8_t)p.x.c0.l[0];
}

static const char DST_G1[] = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";
static const char DST_G2[] = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_";

static void op_hash_to_g1(bench_ctx *c, size_t iters) {
    uint8_t msg[32] = {0};
    tkms_bls_g1 p;
    (void)c;
    for (size_t i = 0; i < iters; i++) {
        memcpy(msg, &i, sizeof i); /* a different message each time */
        if (tkms_bls_g1_hash(&p, msg, sizeof msg, (const uint8_t *)DST_G1, sizeof DST_G1 - 1) !=
            TKMS_OK) {
            die("tkms_bls_g1_hash failed");
        }
        sink ^= (uint8_t)p.x.l[0];
    }
}

static void op_hash_to_g2(bench_ctx *c, size_t iters) {
    uint8_t msg[32] = {0};
    tkms_bls_g2 p;
    (void)c;
    for (size_t i = 0; i < iters; i++) {
        memcpy(msg, &i, sizeof i);
        if (tkms_bls_g2_hash(&p, msg, sizeof msg, (const uint8_t *)DST_G2, sizeof DST_G2 - 1) !=
            TKMS_OK) {
            die("tkms_bls_g2_hash failed");
        }
        sink ^= (uint8_t)p.x.c0.l[0];
    }
}

static void op_pairing(bench_ctx *c, size_t iters) {
    tkms_bls_gt e;
    for (size_t i = 0; i < iters; i++) {
        tkms_bls_pairing(&e, &c->pp[0], &c->qq[0]);
        sink ^= (uint8_t)e.v.c0.c0.c0.l[0];
    }
}

static void op_pairing2(bench_ctx *c, size_t iters) {
    tkms_bls_gt e;
    for (size_t i = 0; i < iters; i++) {
        if (tkms_bls_pairing_multi(&e, c->pp, c->qq, 2) != TKMS_OK) {
            die("tkms_bls_pairing_multi failed");
        }
        sink ^= (uint8_t)e.v.c0.c0.c0.l[0];
    }
}

static void op_g1_decompress_check(bench_ctx *c, size_t iters) {
    tkms_bls_g1 p;
    for (size_t i = 0; i < iters; i++) {
        if (tkms_bls_g1_decode(&p, c->c1[i % DECODE_SET]) != TKMS_OK) {
            die("tkms_bls_g1_decode rejected a valid point");
        }
        sink ^= (uint8_t)p.x.l[0];
    }
}

static void op_g2_decompress_check(bench_ctx *c, size_t iters) {
    tkms_bls_g2 p;
    for (size_t i = 0; i < iters; i++) {
        if (tkms_bls_g2_decode(&p, c->c2[i % DECODE_SET]) != TKMS_OK) {
            die("tkms_bls_g2_decode rejected a valid point");
        }
        sink ^= (uint8_t)p.x.c0.l[0];
    }
}

static void op_g1_msm32(bench_ctx *c, size_t iters) {
    tkms_bls_g1 p;
    for (size_t i = 0; i < iters; i++) {
        if (tkms_bls_g1_msm_vartime(&p, c->ms1, c->mk, MSM_N) != TKMS_OK) {
            die("tkms_bls_g1_msm_vartime failed");
        }
        sink ^= (uint8_t)p.x.l[0];
    }
}

static void op_g2_msm32(bench_ctx *c, size_t iters) {
    tkms_bls_g2 p;
    for (size_t i = 0; i < iters; i++) {
        if (tkms_bls_g2_msm_vartime(&p, c->ms2, c->mk, MSM_N) != TKMS_OK) {
            die("tkms_bls_g2_msm_vartime failed");
        }
        sink ^= (uint8_t)p.x.c0.l[0];
    }
}

typedef struct {
    const char *name;
    void (*run)(bench_ctx *, size_t);
    size_t iters; /* per repetition: ~5–20 ms each on a 2020s x86-64 core */
} bench_op;

static const bench_op OPS[] = {
    {"fp_mul", op_fp_mul, 200000},
    {"fr_mul", op_fr_mul, 200000},
    {"g1_mul", op_g1_mul, 200},
    {"g2_mul", op_g2_mul, 100},
    {"hash_to_g1", op_hash_to_g1, 200},
    {"hash_to_g2", op_hash_to_g2, 100},
    {"pairing", op_pairing, 30},
    {"pairing2", op_pairing2, 25},
    {"g1_decompress_check", op_g1_decompress_check, 200},
    {"g2_decompress_check", op_g2_decompress_check, 200},
    {"g1_msm32", op_g1_msm32, 15},
    {"g2_msm32", op_g2_msm32, 6},
};
#define OPS_COUNT (sizeof OPS / sizeof OPS[0])

static double clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median wall time (CLOCK_MONOTONIC) per operation, the reported figure, and beside it the
   median thread CPU time, which stays meaningful when other processes share the cores. */
static void time_op(const bench_op *op, bench_ctx *c) {
    double wall[REPS], cpu[REPS];
    setup(c, op->name);
    op->run(c, op->iters / 4 + 1); /* warm caches and the branch predictor */
    for (size_t r = 0; r < REPS; r++) {
        double w0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        op->run(c, op->iters);
        cpu[r] = (clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)op->iters;
        wall[r] = (clock_ns(CLOCK_MONOTONIC) - w0) / (double)op->iters;
    }
    qsort(wall, REPS, sizeof wall[0], cmp_double);
    qsort(cpu, REPS, sizeof cpu[0], cmp_double);
    printf("{\"op\":\"%s\",\"ns_per_op\":%.1f,\"cpu_ns_per_op\":%.1f,\"iters\":%zu,"
           "\"reps\":%d,\"kernel\":\"%s\"}\n",
           op->name, wall[REPS / 2], cpu[REPS / 2], op->iters, REPS, tkms_bls_kernel_name());
    fflush(stdout);
}

static const bench_op *find_op(const char *name) {
    for (size_t i = 0; i < OPS_COUNT; i++) {
        if (strcmp(OPS[i].name, name) == 0) {
            return &OPS[i];
        }
    }
    return NULL;
}

static int usage(void) {
    fprintf(stderr, "usage: bench_bls [--op NAME [--iters N]] [--list]\n");
    return 2;
}

int main(int argc, char **argv) {
    static bench_ctx ctx;
    const char *only = NULL;
    long iters = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--op") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc) {
            iters = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--list") == 0) {
            for (size_t j = 0; j < OPS_COUNT; j++) {
                printf("%s\n", OPS[j].name);
            }
            return 0;
        } else {
            return usage();
        }
    }
    const bench_op *op = only ? find_op(only) : NULL;
    if (only && !op) {
        fprintf(stderr, "bench_bls: unknown operation %s\n", only);
        return usage();
    }
    if (op && iters >= 0) { /* callgrind mode: exactly `iters` runs after the setup */
        setup(&ctx, op->name);
        op->run(&ctx, (size_t)iters);
        return 0;
    }
    for (size_t i = 0; i < OPS_COUNT; i++) {
        if (!op || op == &OPS[i]) {
            time_op(&OPS[i], &ctx);
        }
    }
    return 0;
}
