/*
 * test_oracle_diff.c — differential test of the BLS12-381 layer against @noble/curves.
 *
 * One `node tests/oracle/bls_oracle.mjs -` process is started for the whole program and fed
 * batches of commands over a pipe (tests/oracle/bls_oracle_pipe.h); each command has exactly
 * one answer line, compared byte for byte with what this library computes. Per operation at
 * least TKMS_ORACLE_CASES (default 1000) random cases from the seeded tu_rng:
 * - G1/G2 add (incl. doubling, P + (−P), the identity; add(P, P) must equal dbl(P));
 * - mul with random and edge scalars (0, 1, r−1, (r±1)/2, |z|^i ± 1, …), generator and
 *   random bases [s]G;
 * - MSM of sizes 1..64 over a pool of points [s]G whose discrete logs are known (noble checks
 *   the pool, then Σ[kᵢ]Pᵢ as [Σkᵢsᵢ]G), plus fewer cases through noble's own Pippenger;
 * - pairing: GT bytes of e(P, Q) (crypto.md §2 order), and equalities (e(aP,bQ) = e(abP,Q),
 *   e(aP,bQ) = e(bP,aQ), unequal cases), through both tkms_bls_pairing and _multi;
 * - hash_to_curve / encode_to_curve on G1 and G2: random DSTs of 1..255 bytes, messages of
 *   0..300 bytes;
 * - strict decoding of valid, near-valid and random encodings: both sides must agree on valid
 *   vs invalid and on the failure class, and a valid input must re-encode to itself.
 *
 * Not covered here: constant-time behaviour (tests/ct), the RFC vectors (test_h2c etc.).
 * A missing node or node_modules is a failure, never a skip (label "oracle"). The seed
 * (TKMS_TEST_SEED) is printed, and every mismatch prints the command, both answers and the
 * seed to replay it; `node tests/oracle/bls_oracle.mjs <command>` re-asks noble one command.
 */
#include "bls/internal.h"
#include "test_util.h"

#include "oracle/bls_oracle_pipe.h"

#define CASES_DEFAULT 1000
#define POOL 64 /* MSM pool: [0] = O, [1..31] random, [32+i] = −[i] */
#define MSM_MAX 64

/* Each test draws from its own stream so it replays alone with the same seed. */
static void rng_for(tu_rng *r, uint64_t test_id) {
    tu_rng_seed(r, g_seed ^ (0x9e3779b97f4a7c15ULL * (test_id + 1)));
}

/* ---- scalars ---------------------------------------------------------------------- */
/* Edge scalars: 0, 1, 2, r−1, r−2, (r±1)/2, powers of |z| (the GLV/GLS digit base) ± 1,
   and their negatives, 2^64, 2^128; the rest uniform mod r. */
static void fr_pow_u64(fr *out, uint64_t base, uint64_t e) {
    fr b;
    tkms_bls_fr_from_u64(&b, base);
    tkms_bls_fr_from_u64(out, 1);
    for (uint64_t i = 0; i < e; i++) {
        tkms_bls_fr_mul(out, out, &b);
    }
}

static void fr_special(fr *out, uint64_t pick) {
    fr one, half;
    tkms_bls_fr_from_u64(&one, 1);
    tkms_bls_fr_from_u64(&half, 2);
    tkms_bls_fr_inv(&half, &half); /* 1/2 = (r+1)/2 */
    switch (pick % 10) {
    case 0:
        tkms_bls_fr_from_u64(out, pick % 3); /* 0, 1, 2 */
        return;
    case 1:
        tkms_bls_fr_from_u64(out, 1 + (pick >> 8) % 3);
        tkms_bls_fr_neg(out, out); /* r−1, r−2, r−3 */
        return;
    case 2:
        *out = half;
        return;
    case 3:
        tkms_bls_fr_sub(out, &half, &one); /* (r−1)/2 */
        return;
    case 4:
        fr_pow_u64(out, 2, 64 + 64 * ((pick >> 8) % 3)); /* 2^64, 2^128, 2^192 */
        return;
    default:
        break;
    }
    /* |z|^e (e = 1..3), then ±1 and an optional negation: the digit-split boundaries */
    fr_pow_u64(out, 0xd201000000010000ULL, 1 + (pick >> 4) % 3);
    if (pick & 0x100) {
        tkms_bls_fr_add(out, out, &one);
    } else if (pick & 0x200) {
        tkms_bls_fr_sub(out, out, &one);
    }
    if (pick & 0x400) {
        tkms_bls_fr_neg(out, out);
    }
}

static void rand_scalar(tu_rng *r, fr *out) {
    uint64_t x = tu_rng_next(r);
    if ((x & 7) == 0) {
        fr_special(out, x >> 3);
        return;
    }
    uint8_t b[64];
    tu_rng_bytes(r, b, sizeof b);
    tkms_bls_fr_decode_reduce(out, b, sizeof b);
}

static void sb_arg_fr(sbuf *s, const fr *k) {
    uint8_t b[TKMS_BLS_FR_BYTES];
    tkms_bls_fr_encode(b, k);
    sb_arg_hex(s, b, sizeof b);
}

/* ---- the two groups behind one interface ------------------------------------------- */
typedef union {
    tkms_bls_g1 g1;
    tkms_bls_g2 g2;
} pt;

typedef struct {
    int id; /* 1 or 2 */
    const char *tag;
    size_t cbytes, ubytes; /* compressed / uncompressed encoding sizes */
} grp;

static const grp GRP1 = {1, "g1", TKMS_BLS_G1_BYTES, TKMS_BLS_G1_UNCOMPRESSED_BYTES};
static const grp GRP2 = {2, "g2", TKMS_BLS_G2_BYTES, TKMS_BLS_G2_UNCOMPRESSED_BYTES};

static void pt_generator(const grp *g, pt *o) {
    if (g->id == 1) {
        tkms_bls_g1_generator(&o->g1);
    } else {
        tkms_bls_g2_generator(&o->g2);
    }
}

static void pt_identity(const grp *g, pt *o) {
    if (g->id == 1) {
        tkms_bls_g1_identity(&o->g1);
    } else {
        tkms_bls_g2_identity(&o->g2);
    }
}

static void pt_add(const grp *g, pt *o, const pt *a, const pt *b) {
    if (g->id == 1) {
        tkms_bls_g1_add(&o->g1, &a->g1, &b->g1);
    } else {
        tkms_bls_g2_add(&o->g2, &a->g2, &b->g2);
    }
}

static void pt_dbl(const grp *g, pt *o, const pt *a) {
    if (g->id == 1) {
        tkms_bls_g1_dbl(&o->g1, &a->g1);
    } else {
        tkms_bls_g2_dbl(&o->g2, &a->g2);
    }
}

static void pt_neg(const grp *g, pt *o, const pt *a) {
    if (g->id == 1) {
        tkms_bls_g1_neg(&o->g1, &a->g1);
    } else {
        tkms_bls_g2_neg(&o->g2, &a->g2);
    }
}

static void pt_mul(const grp *g, pt *o, const pt *a, const fr *k) {
    if (g->id == 1) {
        tkms_bls_g1_mul(&o->g1, &a->g1, k);
    } else {
        tkms_bls_g2_mul(&o->g2, &a->g2, k);
    }
}

static bool pt_equal(const grp *g, const pt *a, const pt *b) {
    return g->id == 1 ? tkms_bls_g1_equal(&a->g1, &b->g1) : tkms_bls_g2_equal(&a->g2, &b->g2);
}

static void pt_encode(const grp *g, uint8_t *out, const pt *a, bool compressed) {
    if (g->id == 1) {
        if (compressed) {
            tkms_bls_g1_encode(out, &a->g1);
        } else {
            tkms_bls_g1_encode_uncompressed(out, &a->g1);
        }
    } else {
        if (compressed) {
            tkms_bls_g2_encode(out, &a->g2);
        } else {
            tkms_bls_g2_encode_uncompressed(out, &a->g2);
        }
    }
}

static tkms_err pt_from_bytes(const grp *g, pt *o, const uint8_t *in, size_t len) {
    return g->id == 1 ? tkms_bls_g1_from_bytes(&o->g1, in, len)
                      : tkms_bls_g2_from_bytes(&o->g2, in, len);
}

static tkms_err pt_hash(const grp *g, bool ro, pt *o, const uint8_t *msg, size_t msg_len,
                        const uint8_t *dst, size_t dst_len) {
    if (g->id == 1) {
        return ro ? tkms_bls_g1_hash(&o->g1, msg, msg_len, dst, dst_len)
                  : tkms_bls_g1_encode_to_curve(&o->g1, msg, msg_len, dst, dst_len);
    }
    return ro ? tkms_bls_g2_hash(&o->g2, msg, msg_len, dst, dst_len)
              : tkms_bls_g2_encode_to_curve(&o->g2, msg, msg_len, dst, dst_len);
}

/* The public MSM takes arrays of the group's own type: copy the union slots over. */
static tkms_err pt_msm(const grp *g, pt *o, const pt *points, const fr *k, size_t n) {
    static tkms_bls_g1 p1[MSM_MAX];
    static tkms_bls_g2 p2[MSM_MAX];
    assert_true(n <= MSM_MAX);
    for (size_t i = 0; i < n; i++) {
        if (g->id == 1) {
            p1[i] = points[i].g1;
        } else {
            p2[i] = points[i].g2;
        }
    }
    return g->id == 1 ? tkms_bls_g1_msm_vartime(&o->g1, p1, k, n)
                      : tkms_bls_g2_msm_vartime(&o->g2, p2, k, n);
}

static void sb_arg_pt(sbuf *s, const grp *g, const pt *a, bool compressed) {
    uint8_t b[TKMS_BLS_G2_UNCOMPRESSED_BYTES];
    pt_encode(g, b, a, compressed);
    sb_arg_hex(s, b, compressed ? g->cbytes : g->ubytes);
}

/* Inputs of arithmetic commands: mostly uncompressed (noble then skips its ~2 ms subgroup
   check, see bls_oracle.mjs), one in eight compressed through noble's full decoder. */
static void sb_arg_pt_input(sbuf *s, const grp *g, const pt *a, tu_rng *r) {
    sb_arg_pt(s, g, a, (tu_rng_next(r) & 7) == 0);
}

/* Our answer line for a point result: the compressed encoding (no leading space). */
static void expect_pt(batch *b, const grp *g, const pt *a) {
    uint8_t enc[TKMS_BLS_G2_BYTES];
    char hex[2 * TKMS_BLS_G2_BYTES + 1];
    pt_encode(g, enc, a, true);
    tu_hex(hex, enc, g->cbytes);
    sb_str(&b->expect, hex);
}

/* A random point [s]G of the group (s random or an edge scalar, so sometimes O). */
static void rand_point(const grp *g, tu_rng *r, pt *o, fr *s) {
    pt gen;
    rand_scalar(r, s);
    pt_generator(g, &gen);
    pt_mul(g, o, &gen, s);
}

static size_t env_cases(void) {
    const char *s = getenv("TKMS_ORACLE_CASES");
    size_t n = s ? (size_t)strtoull(s, NULL, 0) : CASES_DEFAULT;
    return n ? n : CASES_DEFAULT;
}

static void batch_init(batch *b, const grp *g, const char *op) {
    memset(b, 0, sizeof *b);
    static char names[32][24];
    static size_t used;
    char *name = names[used++ % 32];
    snprintf(name, 24, "%s%s", g ? g->tag : "", op);
    b->name = name;
}

/* ---- add / mul ---------------------------------------------------------------------- */
static void add_case(batch *b, const grp *g, tu_rng *r) {
    pt a, c, out, dbl;
    fr s;
    rand_point(g, r, &a, &s);
    switch (tu_rng_next(r) % 16) {
    case 0:
        c = a;
        break; /* doubling inside add */
    case 1:
        pt_neg(g, &c, &a);
        break; /* P + (−P) = O */
    case 2:
        pt_identity(g, &a);
        rand_point(g, r, &c, &s);
        break;
    case 3:
        pt_identity(g, &c);
        break;
    case 4:
        pt_identity(g, &a);
        pt_identity(g, &c);
        break;
    default:
        rand_point(g, r, &c, &s);
        break;
    }
    pt_add(g, &out, &a, &c);
    if (pt_equal(g, &a, &c)) {
        pt_dbl(g, &dbl, &a);
        if (!pt_equal(g, &dbl, &out)) {
            local_failure(b, b->count, "dbl(P) != add(P, P)");
        }
    }
    batch_cmd(b, g->id == 1 ? "g1add" : "g2add");
    sb_arg_pt_input(&b->cmds, g, &a, r);
    sb_arg_pt_input(&b->cmds, g, &c, r);
    expect_pt(b, g, &out);
    batch_end(b);
}

static void mul_case(batch *b, const grp *g, tu_rng *r) {
    pt p, out;
    fr k, s;
    rand_scalar(r, &k);
    uint64_t kind = tu_rng_next(r) % 32;
    batch_cmd(b, g->id == 1 ? "g1mul" : "g2mul");
    sb_arg_fr(&b->cmds, &k);
    if (kind < 8) { /* the generator, spelled "-" */
        pt_generator(g, &p);
        sb_str(&b->cmds, " -");
    } else {
        if (kind == 8) {
            pt_identity(g, &p);
        } else {
            rand_point(g, r, &p, &s);
        }
        sb_arg_pt_input(&b->cmds, g, &p, r);
    }
    pt_mul(g, &out, &p, &k);
    expect_pt(b, g, &out);
    batch_end(b);
}

static void run_add(const grp *g, uint64_t id) {
    oracle_ensure();
    double t = now_s();
    tu_rng r;
    batch b;
    rng_for(&r, id);
    batch_init(&b, g, "add");
    for (size_t i = 0; i < g_cases; i++) {
        add_case(&b, g, &r);
    }
    batch_run(&b, t);
}

static void run_mul(const grp *g, uint64_t id) {
    oracle_ensure();
    double t = now_s();
    tu_rng r;
    batch b;
    rng_for(&r, id);
    batch_init(&b, g, "mul");
    for (size_t i = 0; i < g_cases; i++) {
        mul_case(&b, g, &r);
    }
    batch_run(&b, t);
}

static void test_g1_add(void **state) {
    (void)state;
    run_add(&GRP1, 1);
}

static void test_g2_add(void **state) {
    (void)state;
    run_add(&GRP2, 2);
}

static void test_g1_mul(void **state) {
    (void)state;
    run_mul(&GRP1, 3);
}

static void test_g2_mul(void **state) {
    (void)state;
    run_mul(&GRP2, 4);
}

/* ---- MSM ------------------------------------------------------------------------------ */
typedef struct {
    pt p[POOL];
    fr s[POOL]; /* p[i] = [s[i]]G */
} pool;

/* [0] = O, [1..31] random, [32 + i] = −[i]: sums with repeated and opposite points. */
static void pool_make(batch *b, const grp *g, tu_rng *r, pool *pl) {
    pt_identity(g, &pl->p[0]);
    tkms_bls_fr_from_u64(&pl->s[0], 0);
    for (size_t i = 1; i < POOL / 2; i++) {
        rand_point(g, r, &pl->p[i], &pl->s[i]);
    }
    for (size_t i = 0; i < POOL / 2; i++) {
        pt_neg(g, &pl->p[POOL / 2 + i], &pl->p[i]);
        tkms_bls_fr_neg(&pl->s[POOL / 2 + i], &pl->s[i]);
    }
    /* The oracle confirms every pool point is [s]G before any sum over them counts. */
    for (size_t i = 0; i < POOL; i++) {
        batch_cmd(b, g->id == 1 ? "g1mul" : "g2mul");
        sb_arg_fr(&b->cmds, &pl->s[i]);
        sb_str(&b->cmds, " -");
        expect_pt(b, g, &pl->p[i]);
        batch_end(b);
    }
}

/* One MSM of n <= n_max pool points. `explicit_points`: noble runs its Pippenger on the
   points themselves; otherwise it checks [Σ kᵢsᵢ]G (same value, far cheaper in BigInt). */
static void msm_case(batch *b, const grp *g, tu_rng *r, const pool *pl, bool explicit_points,
                     size_t n_max) {
    static pt pts[MSM_MAX];
    static fr ks[MSM_MAX];
    size_t idx[MSM_MAX];
    size_t n = 1 + (size_t)(tu_rng_next(r) % n_max);
    for (size_t i = 0; i < n; i++) {
        idx[i] = (size_t)(tu_rng_next(r) % POOL);
        pts[i] = pl->p[idx[i]];
        rand_scalar(r, &ks[i]);
    }
    pt out;
    if (pt_msm(g, &out, pts, ks, n) != TKMS_OK) {
        local_failure(b, b->count, "msm returned an error");
    }
    char head[32];
    snprintf(head, sizeof head, "%s%s %zu", g->tag, explicit_points ? "msm" : "lc", n);
    batch_cmd(b, head);
    for (size_t i = 0; i < n; i++) {
        if (explicit_points) {
            sb_arg_pt(&b->cmds, g, &pts[i], true);
        } else {
            sb_arg_fr(&b->cmds, &pl->s[idx[i]]);
        }
    }
    for (size_t i = 0; i < n; i++) {
        sb_arg_fr(&b->cmds, &ks[i]);
    }
    expect_pt(b, g, &out);
    batch_end(b);
}

/* explicit_cases/explicit_max bound noble's Pippenger cost (G2: ~6 ms per point in BigInt). */
static void run_msm(const grp *g, uint64_t id, size_t explicit_cases, size_t explicit_max) {
    oracle_ensure();
    double t = now_s();
    tu_rng r;
    batch b;
    static pool pl;
    rng_for(&r, id);
    batch_init(&b, g, "msm");
    pool_make(&b, g, &r, &pl);
    for (size_t i = 0; i < g_cases; i++) {
        msm_case(&b, g, &r, &pl, false, MSM_MAX);
    }
    for (size_t i = 0; i < explicit_cases; i++) {
        msm_case(&b, g, &r, &pl, true, explicit_max);
    }
    batch_run(&b, t);
}

static void test_g1_msm(void **state) {
    (void)state;
    run_msm(&GRP1, 5, 64, 64);
}

static void test_g2_msm(void **state) {
    (void)state;
    run_msm(&GRP2, 6, 32, 16);
}

/* ---- pairing -------------------------------------------------------------------------- */
static void pairing_case(batch *b, tu_rng *r, size_t i) {
    pt p, q;
    fr s;
    rand_point(&GRP1, r, &p, &s);
    rand_point(&GRP2, r, &q, &s);
    if (i % 250 == 0) {
        pt_identity(&GRP1, &p);
    } else if (i % 250 == 1) {
        pt_identity(&GRP2, &q);
    }
    tkms_bls_gt e1, e2;
    tkms_bls_pairing(&e1, &p.g1, &q.g2);
    /* One case in four also through the multi-pairing entry (keeps ASan builds quick). */
    if (i % 4 == 0 &&
        (tkms_bls_pairing_multi(&e2, &p.g1, &q.g2, 1) != TKMS_OK || !tkms_bls_gt_equal(&e1, &e2))) {
        local_failure(b, i, "pairing_multi(1 pair) != pairing");
    }
    batch_cmd(b, "pairing");
    sb_arg_pt_input(&b->cmds, &GRP1, &p, r);
    sb_arg_pt_input(&b->cmds, &GRP2, &q, r);
    uint8_t enc[TKMS_BLS_GT_BYTES];
    char hex[2 * TKMS_BLS_GT_BYTES + 1];
    tkms_bls_gt_encode(enc, &e1);
    tu_hex(hex, enc, sizeof enc);
    sb_str(&b->expect, hex);
    batch_end(b);
}

/* P1, Q1, P2, Q2 for e(P1,Q1) =? e(P2,Q2): half bilinear identities, half unequal. */
static void pair_eq_points(tu_rng *r, pt pp[2], pt qq[2]) {
    pt p, q;
    fr a, c, ab, s;
    rand_point(&GRP1, r, &p, &s);
    rand_point(&GRP2, r, &q, &s);
    rand_scalar(r, &a);
    rand_scalar(r, &c);
    tkms_bls_fr_mul(&ab, &a, &c);
    pt_mul(&GRP1, &pp[0], &p, &a);
    pt_mul(&GRP2, &qq[0], &q, &c);
    switch (tu_rng_next(r) % 6) {
    case 0:
    case 1: /* e(aP, bQ) = e(abP, Q) */
        pt_mul(&GRP1, &pp[1], &p, &ab);
        qq[1] = q;
        break;
    case 2: /* e(aP, bQ) = e(bP, aQ) */
        pt_mul(&GRP1, &pp[1], &p, &c);
        pt_mul(&GRP2, &qq[1], &q, &a);
        break;
    case 3: { /* e(aP, bQ) vs e((ab + d)P, Q), d != 0 */
        fr d;
        tkms_bls_fr_from_u64(&d, 1 + tu_rng_next(r) % 1000);
        tkms_bls_fr_add(&ab, &ab, &d);
        pt_mul(&GRP1, &pp[1], &p, &ab);
        qq[1] = q;
        break;
    }
    case 4: /* e(aP, bQ) vs e(aP, −bQ) */
        pp[1] = pp[0];
        pt_neg(&GRP2, &qq[1], &qq[0]);
        break;
    default: /* unrelated points */
        rand_point(&GRP1, r, &pp[1], &s);
        rand_point(&GRP2, r, &qq[1], &s);
        break;
    }
}

/* Our verdict is the verification path's: e(P1,Q1)·e(−P2,Q2) = 1 with one shared final
   exponentiation (tkms_bls_pairing_multi); one case in four also compares two single
   pairings, which must agree. */
static void pair_eq_case(batch *b, tu_rng *r, size_t i) {
    pt pp[2], qq[2];
    pair_eq_points(r, pp, qq);
    tkms_bls_g1 ps[2];
    tkms_bls_g2 qs[2] = {qq[0].g2, qq[1].g2};
    tkms_bls_gt prod;
    ps[0] = pp[0].g1;
    tkms_bls_g1_neg(&ps[1], &pp[1].g1);
    if (tkms_bls_pairing_multi(&prod, ps, qs, 2) != TKMS_OK) {
        local_failure(b, i, "pairing_multi returned an error");
    }
    bool equal = tkms_bls_gt_is_one(&prod);
    if (i % 4 == 0) {
        tkms_bls_gt e1, e2;
        tkms_bls_pairing(&e1, &pp[0].g1, &qq[0].g2);
        tkms_bls_pairing(&e2, &pp[1].g1, &qq[1].g2);
        if (tkms_bls_gt_equal(&e1, &e2) != equal) {
            local_failure(b, i, "pairing_multi verdict != verdict of two pairings");
        }
    }
    batch_cmd(b, "pair_eq");
    for (size_t j = 0; j < 2; j++) {
        sb_arg_pt_input(&b->cmds, &GRP1, &pp[j], r);
        sb_arg_pt_input(&b->cmds, &GRP2, &qq[j], r);
    }
    sb_str(&b->expect, equal ? "1" : "0");
    batch_end(b);
}

static void test_pairing_bytes(void **state) {
    (void)state;
    oracle_ensure();
    double t = now_s();
    tu_rng r;
    batch b;
    rng_for(&r, 7);
    batch_init(&b, NULL, "pairing");
    for (size_t i = 0; i < g_cases; i++) {
        pairing_case(&b, &r, i);
    }
    batch_run(&b, t);
}

static void test_pairing_eq(void **state) {
    (void)state;
    oracle_ensure();
    double t = now_s();
    tu_rng r;
    batch b;
    rng_for(&r, 8);
    batch_init(&b, NULL, "pair_eq");
    for (size_t i = 0; i < g_cases; i++) {
        pair_eq_case(&b, &r, i);
    }
    batch_run(&b, t);
}

/* ---- hash to curve ------------------------------------------------------------------ */
static void h2c_case(batch *b, const grp *g, bool ro, tu_rng *r) {
    uint8_t dst[TKMS_BLS_DST_BYTES_MAX], msg[300];
    uint64_t x = tu_rng_next(r);
    size_t dst_len = 1 + (size_t)(x % 255), msg_len = (size_t)((x >> 8) % 301);
    if (((x >> 20) & 15) == 0) {
        dst_len = ((x >> 24) & 1) ? 1 : TKMS_BLS_DST_BYTES_MAX; /* the DST length bounds */
    }
    if (((x >> 28) & 15) == 0) {
        msg_len = 0;
    }
    tu_rng_bytes(r, dst, dst_len);
    tu_rng_bytes(r, msg, msg_len);
    pt out;
    if (pt_hash(g, ro, &out, msg, msg_len, dst, dst_len) != TKMS_OK) {
        local_failure(b, b->count, "hash returned an error");
    }
    char op[8];
    snprintf(op, sizeof op, "%s%s", ro ? "h2" : "e2", g->tag);
    batch_cmd(b, op);
    sb_arg_hex(&b->cmds, dst, dst_len);
    sb_arg_hex(&b->cmds, msg, msg_len);
    expect_pt(b, g, &out);
    batch_end(b);
}

static void run_h2c(const grp *g, bool ro, uint64_t id) {
    oracle_ensure();
    double t = now_s();
    tu_rng r;
    batch b;
    rng_for(&r, id);
    batch_init(&b, g, ro ? "hash_ro" : "hash_nu");
    for (size_t i = 0; i < g_cases; i++) {
        h2c_case(&b, g, ro, &r);
    }
    batch_run(&b, t);
}

static void test_h2g1_ro(void **state) {
    (void)state;
    run_h2c(&GRP1, true, 9);
}

static void test_h2g1_nu(void **state) {
    (void)state;
    run_h2c(&GRP1, false, 10);
}

static void test_h2g2_ro(void **state) {
    (void)state;
    run_h2c(&GRP2, true, 11);
}

static void test_h2g2_nu(void **state) {
    (void)state;
    run_h2c(&GRP2, false, 12);
}

/* ---- strict decoding --------------------------------------------------------------- */
#define ENC_MAX 256

/* Writes a 48-byte coordinate into slot `slot` of an encoding, keeping byte 0's flags. */
static void put_coord(uint8_t *buf, size_t slot, const uint8_t v[48]) {
    uint8_t *d = buf + 48 * slot;
    uint8_t flags = (uint8_t)(d[0] & 0xe0);
    memcpy(d, v, 48);
    if (slot == 0) {
        d[0] = (uint8_t)(flags | (v[0] & 0x1f));
    }
}

static void p_bytes(uint8_t v[48]) {
    for (size_t i = 0; i < 6; i++) {
        for (size_t j = 0; j < 8; j++) {
            v[47 - 8 * i - j] = (uint8_t)(BLS_P[i] >> (8 * j));
        }
    }
}

/* p + t (t < 2^16; p + t < 2^381 still fits under the flag bits), or 2^381 − 1. */
static void coord_out_of_range(uint8_t v[48], tu_rng *r) {
    uint64_t t = tu_rng_next(r);
    if ((t & 7) == 0) {
        memset(v, 0xff, 48);
        v[0] = 0x1f;
        return;
    }
    p_bytes(v);
    unsigned carry = (unsigned)((t >> 3) & 0xffff);
    for (size_t i = 48; i-- > 0 && carry;) {
        carry += v[i];
        v[i] = (uint8_t)carry;
        carry >>= 8;
    }
}

/* Uncompressed bytes of a random point of E (or E'), almost surely outside G1 (G2). */
static void rand_curve_bytes(const grp *g, tu_rng *r, uint8_t *out) {
    uint8_t b[64];
    for (int tries = 0; tries < 1000; tries++) {
        if (g->id == 1) {
            fp x, y2, y;
            tu_rng_bytes(r, b, sizeof b);
            fp_from_bytes64_reduce(&x, b);
            fp_sqr(&y2, &x);
            fp_mul(&y2, &y2, &x);
            fp_add(&y2, &y2, &G1_B);
            if (fp_sqrt(&y, &y2)) {
                fp_to_bytes(out, &x);
                fp_to_bytes(out + 48, &y);
                return;
            }
        } else {
            fp2 x, y2, y;
            tu_rng_bytes(r, b, sizeof b);
            fp_from_bytes64_reduce(&x.c0, b);
            tu_rng_bytes(r, b, sizeof b);
            fp_from_bytes64_reduce(&x.c1, b);
            fp2_sqr(&y2, &x);
            fp2_mul(&y2, &y2, &x);
            fp2_add(&y2, &y2, &G2_B);
            if (fp2_sqrt(&y, &y2)) {
                fp_to_bytes(out, &x.c1);
                fp_to_bytes(out + 48, &x.c0);
                fp_to_bytes(out + 96, &y.c1);
                fp_to_bytes(out + 144, &y.c0);
                return;
            }
        }
    }
    fail_msg("no curve point in 1000 tries");
}

/* Turns the valid encoding in buf (len bytes) into a near-valid or invalid one. */
static void decode_mutate(const grp *g, tu_rng *r, uint8_t *buf, size_t *len, uint64_t kind) {
    size_t slots = *len / 48;
    uint8_t v[48];
    uint64_t x = tu_rng_next(r);
    switch (kind) {
    case 2:
        buf[0] ^= 0x20;
        break; /* other root, or an illegal flag combination */
    case 3:
        tu_rng_bytes(r, buf, *len);
        break; /* random, random flags */
    case 4:    /* infinity with a non-zero body bit */
        memset(buf, 0, *len);
        buf[0] = *len == g->cbytes ? 0xc0 : 0x40;
        buf[x % *len] |= (uint8_t)(1u << ((x >> 16) % ((x % *len) == 0 ? 5 : 8)));
        break;
    case 5:
        coord_out_of_range(v, r);
        put_coord(buf, x % slots, v);
        break;
    case 6:
        tu_rng_bytes(r, v, 48);
        put_coord(buf, x % slots, v);
        break; /* random coordinate */
    case 7: {  /* on the curve, not in the subgroup */
        uint8_t u[TKMS_BLS_G2_UNCOMPRESSED_BYTES];
        rand_curve_bytes(g, r, u);
        memcpy(buf, u, *len); /* compressed: x only */
        buf[0] |= *len == g->cbytes ? (uint8_t)(0x80 | ((x & 1) << 5)) : 0;
        break;
    }
    case 8:
        buf[*len - 1 - x % 48] ^= (uint8_t)(1 + (x >> 8) % 255);
        break; /* last coord */
    case 9:
        buf[x % *len] ^= (uint8_t)(1u << ((x >> 16) & 7));
        break; /* one bit */
    case 10:
        buf[0] ^= 0x80;
        break; /* wrong form */
    case 11:
        memset(buf, 0, *len);
        buf[0] = (uint8_t)(x & 0xe0);
        break; /* zero body */
    case 12:   /* a length that is neither encoding's */
        do {
            *len = (size_t)(tu_rng_next(r) % ENC_MAX);
        } while (*len == g->cbytes || *len == g->ubytes);
        tu_rng_bytes(r, buf, *len);
        break;
    default: /* x = 0 or x = p − 1 (p ends in 0xab: no borrow) */
        memset(v, 0, 48);
        if (x & 1) {
            p_bytes(v);
            v[47]--;
        }
        put_coord(buf, 0, v);
        break;
    }
}

static const char *err_class(tkms_err e) {
    switch (e) {
    case TKMS_ERR_BLS_BAD_LENGTH:
        return "length";
    case TKMS_ERR_BLS_BAD_FLAGS:
        return "flags";
    case TKMS_ERR_BLS_BAD_INFINITY:
        return "infinity";
    case TKMS_ERR_BLS_COORDINATE_RANGE:
        return "range";
    case TKMS_ERR_BLS_NOT_ON_CURVE:
        return "curve";
    case TKMS_ERR_BLS_NOT_IN_GROUP:
        return "subgroup";
    default:
        return "unexpected_error_code";
    }
}

/* Our answer for one decode input: "ok <re-encoding>" or "err <class>"; a valid input must
   re-encode to itself, and a failed decode must leave the identity in its output, never a
   half-decoded point (encode.c, style R5). */
static void decode_expect(batch *b, const grp *g, const uint8_t *in, size_t len) {
    pt p;
    memset(&p, 0xa5, sizeof p);
    tkms_err e = pt_from_bytes(g, &p, in, len);
    if (e != TKMS_OK) {
        sb_str(&b->expect, "err ");
        sb_str(&b->expect, err_class(e));
        if (!(g->id == 1 ? tkms_bls_g1_is_identity(&p.g1) : tkms_bls_g2_is_identity(&p.g2))) {
            local_failure(b, b->count, "a failed decode left a point in its output");
        }
        return;
    }
    uint8_t out[TKMS_BLS_G2_UNCOMPRESSED_BYTES];
    char hex[2 * TKMS_BLS_G2_UNCOMPRESSED_BYTES + 1];
    pt_encode(g, out, &p, len == g->cbytes);
    if (memcmp(out, in, len) != 0) {
        local_failure(b, b->count, "decode then encode is not the identity");
    }
    tu_hex(hex, out, len);
    sb_str(&b->expect, "ok ");
    sb_str(&b->expect, hex);
}

static void decode_case(batch *b, const grp *g, tu_rng *r) {
    uint8_t buf[ENC_MAX];
    pt p;
    fr s;
    rand_point(g, r, &p, &s);
    bool compressed = (tu_rng_next(r) & 1) != 0;
    size_t len = compressed ? g->cbytes : g->ubytes;
    pt_encode(g, buf, &p, compressed);
    uint64_t kind = tu_rng_next(r) % 16;
    if (kind >= 2) { /* kinds 0, 1: the valid encoding itself */
        decode_mutate(g, r, buf, &len, kind);
    }
    batch_cmd(b, "decode ");
    sb_str(&b->cmds, g->tag);
    if (len == 0) {
        sb_str(&b->cmds, " -");
    } else {
        sb_arg_hex(&b->cmds, buf, len);
    }
    decode_expect(b, g, buf, len);
    batch_end(b);
}

static void run_decode(const grp *g, uint64_t id) {
    oracle_ensure();
    double t = now_s();
    tu_rng r;
    batch b;
    rng_for(&r, id);
    batch_init(&b, g, "decode");
    for (size_t i = 0; i < 2 * g_cases; i++) {
        decode_case(&b, g, &r);
    }
    batch_run(&b, t);
}

static void test_g1_decode(void **state) {
    (void)state;
    run_decode(&GRP1, 13);
}

static void test_g2_decode(void **state) {
    (void)state;
    run_decode(&GRP2, 14);
}

int main(void) {
    g_seed = tu_seed();
    g_cases = env_cases();
    printf("[oracle] seed=%llu (set TKMS_TEST_SEED to replay), %zu cases per operation\n",
           (unsigned long long)g_seed, g_cases);
    fflush(stdout);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_g1_add),        cmocka_unit_test(test_g2_add),
        cmocka_unit_test(test_g1_mul),        cmocka_unit_test(test_g2_mul),
        cmocka_unit_test(test_g1_msm),        cmocka_unit_test(test_g2_msm),
        cmocka_unit_test(test_pairing_bytes), cmocka_unit_test(test_pairing_eq),
        cmocka_unit_test(test_h2g1_ro),       cmocka_unit_test(test_h2g1_nu),
        cmocka_unit_test(test_h2g2_ro),       cmocka_unit_test(test_h2g2_nu),
        cmocka_unit_test(test_g1_decode),     cmocka_unit_test(test_g2_decode),
    };
    return cmocka_run_group_tests(tests, NULL, oracle_stop);
}
