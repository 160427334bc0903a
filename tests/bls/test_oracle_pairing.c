/*
 * test_oracle_pairing.c — the pairing against @noble/curves 2.4.0 (label "oracle": needs
 * node and the npm packages of package-lock.json, run from the repository root).
 *
 * For random scalars a, b one node process computes enc(e(a·g1, b·g2)) in the order of
 * crypto.md §2 and, per pair of cases, enc(e(P1, Q1)·e(P2, Q2)); the C side must agree
 * byte for byte (tkms_bls_pairing, tkms_bls_pairing_multi, tkms_bls_gt_encode). Also
 * enc(e³) against tkms_bls_gt_encode_cubed. A missing node is a failure, not a skip.
 */
#define _POSIX_C_SOURCE 200809L /* popen */
#include "bls/internal.h"
#include "test_util.h"

static tu_rng rng;

#define ORACLE_CASES 4

static const char ORACLE_SCRIPT[] =
    "import { bls12_381 as b } from '@noble/curves/bls12-381.js';"
    "const h = x => x.toString(16).padStart(96, '0');"
    "const enc = f => { let s = ''; for (const c of [f.c1, f.c0])"
    "  for (const d of [c.c2, c.c1, c.c0]) s += h(d.c1) + h(d.c0); return s; };"
    "const F = b.fields.Fp12, a = process.argv.slice(1).map(x => BigInt('0x' + x));"
    "const P = [], Q = [];"
    "for (let i = 0; i < a.length; i += 2) {"
    "  P.push(b.G1.Point.BASE.multiply(a[i])); Q.push(b.G2.Point.BASE.multiply(a[i + 1])); }"
    "for (let i = 0; i < P.length; i++) { const e = b.pairing(P[i], Q[i]);"
    "  console.log(enc(e)); console.log(enc(F.pow(e, 3n))); }"
    "for (let i = 0; i + 1 < P.length; i += 2)"
    "  console.log(enc(F.mul(b.pairing(P[i], Q[i]), b.pairing(P[i + 1], Q[i + 1]))));";

/* Non-zero random scalar (noble rejects 0 in multiply). */
static void rand_fr_nonzero(tkms_bls_fr *out, uint8_t be[TKMS_BLS_FR_BYTES]) {
    do {
        uint8_t b[64];
        tu_rng_bytes(&rng, b, sizeof b);
        tkms_bls_fr_decode_reduce(out, b, sizeof b);
    } while (tkms_bls_fr_is_zero(out));
    tkms_bls_fr_encode(be, out);
}

/* Reads one 1152-hex-digit line from the oracle and decodes it. */
static void read_gt_line(FILE *f, uint8_t out[TKMS_BLS_GT_BYTES]) {
    static char line[4096];
    assert_non_null(fgets(line, sizeof line, f));
    line[strcspn(line, "\r\n")] = 0;
    assert_int_equal(tu_unhex(out, TKMS_BLS_GT_BYTES, line), TKMS_BLS_GT_BYTES);
}

static void test_against_noble(void **state) {
    (void)state;
    tkms_bls_g1 ps[ORACLE_CASES];
    tkms_bls_g2 qs[ORACLE_CASES];
    tkms_bls_gt es[ORACLE_CASES];
    static char cmd[8192];
    int n = snprintf(cmd, sizeof cmd, "node --input-type=module -e \"%s\" --", ORACLE_SCRIPT);
    for (int i = 0; i < ORACLE_CASES; i++) {
        tkms_bls_fr a, b;
        uint8_t abe[TKMS_BLS_FR_BYTES], bbe[TKMS_BLS_FR_BYTES];
        char ahex[2 * TKMS_BLS_FR_BYTES + 1], bhex[2 * TKMS_BLS_FR_BYTES + 1];
        rand_fr_nonzero(&a, abe);
        rand_fr_nonzero(&b, bbe);
        tu_hex(ahex, abe, sizeof abe);
        tu_hex(bhex, bbe, sizeof bbe);
        n += snprintf(cmd + n, sizeof cmd - (size_t)n, " %s %s", ahex, bhex);
        tkms_bls_g1_generator(&ps[i]);
        tkms_bls_g1_mul(&ps[i], &ps[i], &a);
        tkms_bls_g2_generator(&qs[i]);
        tkms_bls_g2_mul(&qs[i], &qs[i], &b);
    }
    assert_true(n > 0 && (size_t)n < sizeof cmd);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    uint8_t want[TKMS_BLS_GT_BYTES], got[TKMS_BLS_GT_BYTES];
    for (int i = 0; i < ORACLE_CASES; i++) {
        tkms_bls_pairing(&es[i], &ps[i], &qs[i]);
        read_gt_line(f, want);
        tkms_bls_gt_encode(got, &es[i]);
        assert_memory_equal(got, want, sizeof got);
        read_gt_line(f, want);
        tkms_bls_gt_encode_cubed(got, &es[i]);
        assert_memory_equal(got, want, sizeof got);
    }
    for (int i = 0; i + 1 < ORACLE_CASES; i += 2) {
        tkms_bls_gt m;
        assert_int_equal(tkms_bls_pairing_multi(&m, &ps[i], &qs[i], 2), TKMS_OK);
        read_gt_line(f, want);
        tkms_bls_gt_encode(got, &m);
        assert_memory_equal(got, want, sizeof got);
    }
    assert_int_equal(pclose(f), 0);
}

int main(void) {
    uint64_t seed = tu_seed();
    printf("# seed %llu (TKMS_TEST_SEED), kernel %s\n", (unsigned long long)seed,
           tkms_bls_kernel_name());
    tu_rng_seed(&rng, seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_noble),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
