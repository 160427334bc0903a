/*
 * bench_tss.c — the costs of issue 3 (threshold crypto, IBE, client recovery): one JSON
 * line per operation with the median ns/op over 7 repetitions (CLOCK_MONOTONIC).
 *   node:   partial with H1 cached / uncached, RSA-OAEP wrap of a partial
 *   client: verify 20 partials batched / one by one, combine 20, verify the app key,
 *           IBE encrypt / decrypt of 1 KiB
 *   DKG:    dealer cost for n = 30, t = 20 (polynomial, commitments, 30 shares, 30 seals);
 *           one player checking 30 dealings (batched and one by one); public share by
 *           MSM vs Horner.
 * Usage: bench_tss [--op NAME] (one operation, e.g. under callgrind)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/client.h"
#include "ibe/ibe.h"
#include "prim/prim.h"
#include "tss/tss.h"

enum { N = 30, T = 20, K = 20 };

static struct {
    tkms_bls_fr xs[N];
    tkms_tss_poly poly;
    tkms_tss_commitments comms[N];
    tkms_tss_secret shares[N];
    tkms_bls_g1 h1, partials[N];
    tkms_bls_g2 pks[N], mpk;
    tkms_bls_g1 sk;
    uint8_t x25519_pub[N][32];
    char priv[8192], pub[8192];
    uint8_t pt[1024], ct[1024 + TKMS_IBE_OVERHEAD_BYTES];
} w;

static const uint8_t ID[] = "0x1234567890abcdef1234567890abcdef12345678";

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void must(tkms_err err) {
    if (err != TKMS_OK) {
        fprintf(stderr, "bench setup failed: %s\n", tkms_err_name(err));
        exit(1);
    }
}

static void setup(void) {
    const tkms_rng *rng = tkms_rng_os();
    for (size_t i = 0; i < N; i++) {
        uint8_t addr[20], x[32];
        tkms_rng_fill(rng, addr, 20);
        must(tkms_tss_point_from_address(&w.xs[i], addr));
        tkms_rng_fill(rng, x, 32);
        tkms_prim_x25519_public(w.x25519_pub[i], x);
    }
    must(tkms_tss_poly_random(&w.poly, T, NULL, rng));
    for (size_t i = 0; i < N; i++) {
        tkms_tss_poly_commit(&w.comms[i], &w.poly); /* 30 copies of one dealing: same cost */
        tkms_tss_poly_eval(&w.shares[i], &w.poly, &w.xs[0]);
    }
    w.mpk = w.comms[0].c[0];
    must(tkms_tss_h1(&w.h1, ID, sizeof ID - 1));
    for (size_t j = 0; j < N; j++) {
        tkms_tss_secret s;
        tkms_tss_poly_eval(&s, &w.poly, &w.xs[j]);
        tkms_tss_partial_sign(&w.partials[j], &s, &w.h1);
        tkms_tss_public_share_vartime(&w.pks[j], &w.comms[0], &w.xs[j]);
    }
    must(tkms_tss_partials_combine(&w.sk, w.partials, w.xs, T));
    must(tkms_prim_rsa_keygen(w.priv, w.pub, sizeof w.priv, 2048));
    must(tkms_ibe_encrypt(w.ct, sizeof w.ct, ID, sizeof ID - 1, &w.mpk, w.pt, sizeof w.pt, rng));
}

static void op_partial_cached(void) {
    tkms_bls_g1 p;
    tkms_tss_partial_sign(&p, &w.shares[0], &w.h1);
}
static void op_partial_uncached(void) {
    tkms_bls_g1 h, p;
    must(tkms_tss_h1(&h, ID, sizeof ID - 1));
    tkms_tss_partial_sign(&p, &w.shares[0], &h);
}
static void op_rsa_wrap(void) {
    uint8_t out[512];
    size_t len;
    must(tkms_client_partial_wrap(out, &len, sizeof out, &w.partials[0], w.pub, strlen(w.pub)));
}
static void op_verify_batched(void) {
    bool ok[K];
    if (tkms_tss_partials_verify_batch_vartime(ok, w.partials, w.pks, K, &w.h1, tkms_rng_os()) != K) {
        exit(1);
    }
}
static void op_verify_each(void) {
    for (size_t j = 0; j < K; j++) {
        if (!tkms_tss_partial_verify_vartime(&w.partials[j], &w.h1, &w.pks[j])) {
            exit(1);
        }
    }
}
static void op_combine(void) {
    tkms_bls_g1 sk;
    must(tkms_tss_partials_combine(&sk, w.partials, w.xs, K));
}
static void op_verify_key(void) {
    if (!tkms_tss_app_key_verify_vartime(&w.sk, &w.h1, &w.mpk)) {
        exit(1);
    }
}
static void op_client_recovery(void) { /* the whole client side for t = 20 of n = 30 */
    op_verify_batched();
    op_combine();
    op_verify_key();
}
static void op_ibe_encrypt(void) {
    uint8_t ct[sizeof w.ct];
    must(tkms_ibe_encrypt(ct, sizeof ct, ID, sizeof ID - 1, &w.mpk, w.pt, sizeof w.pt,
                          tkms_rng_os()));
}
static void op_ibe_decrypt(void) {
    uint8_t pt[sizeof w.pt];
    size_t len;
    must(tkms_ibe_decrypt(pt, sizeof pt, &len, ID, sizeof ID - 1, &w.sk, w.ct, sizeof w.ct));
}
static void op_dealer(void) {
    static tkms_tss_poly f;
    static tkms_tss_commitments c;
    must(tkms_tss_poly_random(&f, T, NULL, tkms_rng_os()));
    tkms_tss_poly_commit(&c, &f);
    for (size_t j = 0; j < N; j++) {
        tkms_tss_secret s;
        uint8_t plain[32], sealed[TKMS_PRIM_SEALED_BYTES];
        tkms_tss_poly_eval(&s, &f, &w.xs[j]);
        tkms_bls_fr_encode(plain, &s.v);
        must(tkms_prim_seal(sealed, w.x25519_pub[j], ID, 20, plain, tkms_rng_os()));
    }
    tkms_tss_poly_wipe(&f);
}
static void op_check30_batched(void) {
    bool ok[N];
    if (tkms_tss_shares_verify_batch_vartime(ok, w.shares, w.comms, N, &w.xs[0], tkms_rng_os()) != N) {
        exit(1);
    }
}
static void op_check30_each(void) {
    for (size_t i = 0; i < N; i++) {
        if (!tkms_tss_share_verify_vartime(&w.shares[i], &w.xs[0], &w.comms[i])) {
            exit(1);
        }
    }
}
static void op_public_share_msm(void) {
    tkms_bls_g2 pk;
    tkms_tss_public_share_vartime(&pk, &w.comms[0], &w.xs[1]);
}
static void op_public_share_horner(void) {
    tkms_bls_g2 acc = w.comms[0].c[T - 1];
    for (size_t k = T - 1; k-- > 0;) {
        must(tkms_bls_g2_msm_vartime(&acc, &acc, &w.xs[1], 1)); /* vartime [x]acc */
        tkms_bls_g2_add(&acc, &acc, &w.comms[0].c[k]);
    }
}

typedef struct {
    const char *name;
    void (*fn)(void);
    int iters;
} bench_op;

static const bench_op OPS[] = {
    {"node_partial_h1_cached", op_partial_cached, 50},
    {"node_partial_h1_uncached", op_partial_uncached, 50},
    {"node_rsa_wrap_2048", op_rsa_wrap, 50},
    {"client_verify20_batched", op_verify_batched, 3},
    {"client_verify20_each", op_verify_each, 1},
    {"client_combine20", op_combine, 10},
    {"client_verify_key", op_verify_key, 10},
    {"client_recovery_t20", op_client_recovery, 3},
    {"ibe_encrypt_1k", op_ibe_encrypt, 10},
    {"ibe_decrypt_1k", op_ibe_decrypt, 10},
    {"dealer_n30_t20", op_dealer, 1},
    {"check30_dealings_t20_batched", op_check30_batched, 1},
    {"check30_dealings_t20_each", op_check30_each, 1},
    {"public_share_t20_msm", op_public_share_msm, 5},
    {"public_share_t20_horner", op_public_share_horner, 2},
};

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void run(const bench_op *op) {
    double runs[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now_ns();
        for (int i = 0; i < op->iters; i++) {
            op->fn();
        }
        runs[r] = (now_ns() - t0) / op->iters;
    }
    qsort(runs, 7, sizeof runs[0], cmp_double);
    printf("{\"op\":\"%s\",\"ns_per_op\":%.0f,\"kernel\":\"%s\"}\n", op->name, runs[3],
           tkms_bls_kernel_name());
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *only = argc == 3 && strcmp(argv[1], "--op") == 0 ? argv[2] : NULL;
    setup();
    for (size_t i = 0; i < sizeof OPS / sizeof OPS[0]; i++) {
        if (only == NULL || strcmp(only, OPS[i].name) == 0) {
            if (only != NULL) {
                OPS[i].fn(); /* one call: for callgrind */
            } else {
                run(&OPS[i]);
            }
        }
    }
    return 0;
}
