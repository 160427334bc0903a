// gen_corpus.mjs — writes the seed corpora of the BLS fuzz targets (corpus/<target>/seed_*)
// from the independent @noble/curves oracle, deterministically (fixed scalars, counters):
// valid encodings (generator, identity, [k]G) in both forms, and one input per rejection
// class of crypto.md §2 (length, flags, infinity body, coordinate >= p, off the curve,
// outside the subgroup). Finds of fuzzing runs are added next to the seeds under their
// libFuzzer names and are not touched here.
// Usage (from the repository root): node tests/fuzz/gen_corpus.mjs
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { Fp, Fp2 } = bls12_381.fields;
const P = Fp.ORDER;
const R = bls12_381.fields.Fr.ORDER;

function be(v, n) {
    const out = new Uint8Array(n);
    for (let i = n - 1; i >= 0; i--) {
        out[i] = Number(v & 0xffn);
        v >>= 8n;
    }
    return out;
}
const cat = (...parts) => Uint8Array.from(parts.flatMap((p) => [...p]));
function write(target, name, bytes) {
    const dir = join(here, 'corpus', target);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `seed_${name}`), bytes);
}
const scalars = [1n, 2n, 3n, 0xd201000000010000n, R - 1n, 0x1234567890abcdef1234567890abcdefn];

// A curve point outside the prime-order subgroup: the first x >= start with a square rhs.
function offSubgroupG1(start) {
    for (let x = start; ; x++) {
        try {
            const y = Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(x), x), 4n));
            return { x, y };
        } catch {
            continue;
        }
    }
}
function nonSquareXG1(start) {
    for (let x = start; ; x++) {
        try {
            Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(x), x), 4n));
        } catch {
            return x;
        }
    }
}
const B2 = Fp2.fromBigTuple([4n, 4n]);
function fp2Bytes(a) {
    return cat(be(a.c1, 48), be(a.c0, 48));
}
function rhsG2(x) {
    return Fp2.add(Fp2.mul(Fp2.sqr(x), x), B2);
}
function offSubgroupG2(start) {
    for (let i = start; ; i++) {
        const x = Fp2.fromBigTuple([i, 1n]);
        try {
            return { x, y: Fp2.sqrt(rhsG2(x)) };
        } catch {
            continue;
        }
    }
}
function nonSquareXG2(start) {
    for (let i = start; ; i++) {
        const x = Fp2.fromBigTuple([i, 1n]);
        try {
            Fp2.sqrt(rhsG2(x));
        } catch {
            return x;
        }
    }
}

// The oracle must reject the off-subgroup seed too (else it would not be one).
function assertRejected(Point, bytes) {
    let accepted = true;
    try {
        Point.fromBytes(bytes);
    } catch {
        accepted = false;
    }
    if (accepted) {
        throw new Error('off-subgroup seed accepted by the oracle');
    }
}

function group(target, Point, fpLen, off, nonSquare, coordBytes, curveCheck) {
    const cLen = fpLen, uLen = 2 * fpLen;
    const G = Point.BASE;
    write(target, 'generator_c', G.toBytes(true));
    write(target, 'generator_u', G.toBytes(false));
    write(target, 'identity_c', Point.ZERO.toBytes(true));
    write(target, 'identity_u', Point.ZERO.toBytes(false));
    scalars.forEach((k, i) => {
        const p = G.multiply(k);
        write(target, `mul${i}_c`, p.toBytes(true));
        write(target, `mul${i}_u`, p.toBytes(false));
        write(target, `mul${i}_neg_c`, p.negate().toBytes(true));
    });
    // scalar path of the target (32-byte inputs are read as k, checked on [k]G)
    write(target, 'scalar_k', be(0x0123456789abcdefn, 32));
    const g = G.toBytes(true), gu = G.toBytes(false);
    // flags
    // byte 0 changed by f, the rest kept
    const flag0 = (bytes, f) => Uint8Array.from(bytes, (b, i) => (i ? b : f(b)));
    write(target, 'bad_flags_c_without_compressed', flag0(g, (b) => b & 0x7f));
    write(target, 'bad_flags_u_with_compressed', flag0(gu, (b) => b | 0x80));
    write(target, 'bad_flags_u_with_sign', flag0(gu, (b) => b | 0x20));
    const infC = Point.ZERO.toBytes(true);
    write(target, 'bad_flags_infinity_with_sign', flag0(infC, (b) => b | 0x20));
    // infinity body not zero
    write(target, 'bad_infinity_body', Uint8Array.from(infC, (b, i) => (i === cLen - 1 ? 1 : b)));
    write(target, 'bad_infinity_low_bits', flag0(infC, (b) => b | 0x01));
    // coordinate >= p (x = p, the smallest non-canonical value)
    write(target, 'range_x_eq_p_c', flag0(coordBytes(P), (b) => b | 0x80));
    write(target, 'range_y_eq_p_u', cat(gu.slice(0, fpLen), coordBytes(P)));
    // off the curve
    write(target, 'not_on_curve_c', flag0(nonSquare(), (b) => b | 0x80));
    const bad = Uint8Array.from(gu);
    bad[uLen - 1] ^= 1;
    write(target, 'not_on_curve_u', bad);
    // on the curve, outside the subgroup
    const o = off();
    write(target, 'not_in_group_c', flag0(o.x, (b) => b | 0x80));
    write(target, 'not_in_group_u', cat(o.x, o.y));
    // lengths
    write(target, 'length_empty', new Uint8Array(0));
    write(target, 'length_short', g.slice(0, cLen - 1));
    write(target, 'length_long', cat(g, [0]));
    curveCheck(o);
}

// G1: 48-byte coordinates
group('fuzz_bls_g1_decode', bls12_381.G1.Point, 48,
    () => { const { x, y } = offSubgroupG1(1n); return { x: be(x, 48), y: be(y, 48) }; },
    () => be(nonSquareXG1(1n), 48),
    (v) => be(v, 48),
    (o) => assertRejected(bls12_381.G1.Point, cat(o.x, o.y)));
// G2: 96-byte coordinates, c1 first; "x = p" is c1 = p, c0 = 0
group('fuzz_bls_g2_decode', bls12_381.G2.Point, 96,
    () => { const { x, y } = offSubgroupG2(1n); return { x: fp2Bytes(x), y: fp2Bytes(y) }; },
    () => fp2Bytes(nonSquareXG2(1n)),
    (v) => cat(be(v, 48), be(0n, 48)),
    (o) => assertRejected(bls12_381.G2.Point, cat(o.x, o.y)));

// Fr
const fr = 'fuzz_bls_fr_decode';
const mid = 0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefn;
[[0n, 'zero'], [1n, 'one'], [R - 1n, 'r_minus_1'], [R, 'r'], [R + 1n, 'r_plus_1'],
 [(1n << 256n) - 1n, 'max256'], [mid, 'mid']]
    .forEach(([v, name]) => write(fr, name, be(v, 32)));
write(fr, 'empty', new Uint8Array(0));
write(fr, 'one_byte', Uint8Array.of(0xff));
write(fr, 'len48', be((1n << 383n) + 12345n, 48));
write(fr, 'len64_max', be((1n << 512n) - 1n, 64));
write(fr, 'len64_r_squared', be(R * R, 64));
write(fr, 'len65', new Uint8Array(65).fill(0xab));
console.log('corpus written');
