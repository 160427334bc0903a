// bls_oracle.mjs — BLS12-381 reference answers from @noble/curves for the C differential test
// (tests/bls/test_oracle_diff.c). It does no testing itself: it reads one command per line
// and prints exactly one result line per command, in order, so a caller can stream batches.
//
//   node tests/oracle/bls_oracle.mjs -            batch mode: commands on stdin
//   node tests/oracle/bls_oracle.mjs CMD ARGS...  one command (for debugging by hand)
//
// Arguments are lowercase hex; "-" is the empty string (empty message, or "the generator" for
// a point). Scalars are 32-byte big-endian, canonical (< r). Points are ZCash/IETF encodings
// (crypto.md §2): compressed inputs go through noble's full decoder (curve and subgroup
// checked); uncompressed inputs of arithmetic commands are the C side's own [s]G values and
// are only checked to be on the curve, because noble's subgroup check costs ~1.5 ms (G1) to
// ~3 ms (G2) per point and the test feeds tens of thousands of them (subgroup rejection is
// what the `decode` command tests). Points are printed compressed by our own encoder for the
// same reason (noble's toHex re-runs the subgroup check); `selftest` checks that encoder
// against noble's.
//
// Commands (result line):
//   ping                         pong <noble version>
//   g1add A B | g2add A B        A+B compressed
//   g1mul K [P] | g2mul K [P]    [K]P (P omitted or "-": generator)
//   g1msm N P1..PN K1..KN        Σ[Ki]Pi by noble's Pippenger     (g2msm alike)
//   g1lc N S1..SN K1..KN         [Σ Ki·Si]G: the MSM of points Pi = [Si]G whose discrete logs
//                                the caller knows (cheap check of many MSMs; g2lc alike)
//   pair_eq P1 Q1 P2 Q2          1 if e(P1,Q1) == e(P2,Q2) else 0
//   pairing P Q                  GT bytes (576 B) in crypto.md §2 order
//   h2g1 DST MSG | h2g2 ...      hash_to_curve (RO), compressed
//   e2g1 DST MSG | e2g2 ...      encode_to_curve (NU), compressed
//   decode g1|g2 BYTES           "ok <re-encoding in the input's format>" or "err <class>",
//                                class in length flags infinity range curve subgroup
//   selftest                     ok, or err <what>
// Any other failure prints "ERR <message>" (the C side treats it as a mismatch).
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { pippenger } from '@noble/curves/abstract/curve.js';
import { readFileSync } from 'node:fs';
import readline from 'node:readline';

const G1 = bls.G1.Point;
const G2 = bls.G2.Point;
const { Fp, Fp2, Fr } = bls.fields;
const P = Fp.ORDER;

const unhex = (h) => (h === '-' ? new Uint8Array(0) : Uint8Array.from(Buffer.from(h, 'hex')));
const hex = (u) => Buffer.from(u).toString('hex');
const fpBytes = (x) => {
  const s = x.toString(16).padStart(96, '0');
  return Buffer.from(s, 'hex');
};
const scalar = (h) => {
  const k = BigInt('0x' + h);
  if (k >= Fr.ORDER) throw new Error('scalar not canonical');
  return k;
};

// ---- our compressed encoder (same rules as noble's coder, without its validity check) ----
const larger = (y) => (y * 2n) / P === 1n; // y > (p-1)/2
function encG1(pt) {
  if (pt.is0()) return 'c0' + '00'.repeat(47);
  const { x, y } = pt.toAffine();
  const b = fpBytes(x);
  b[0] |= 0x80 | (larger(y) ? 0x20 : 0);
  return hex(b);
}
function encG2(pt) {
  if (pt.is0()) return 'c0' + '00'.repeat(95);
  const { x, y } = pt.toAffine();
  const b = Buffer.concat([fpBytes(x.c1), fpBytes(x.c0)]);
  const sign = y.c1 !== 0n ? larger(y.c1) : larger(y.c0);
  b[0] |= 0x80 | (sign ? 0x20 : 0);
  return hex(b);
}

// ---- point inputs ----
const cache = new Map();
function trustedAffine(C, F, b, x, y) {
  // Uncompressed input from the C side: on-curve check only (see the header).
  const pt = C.fromAffine({ x, y });
  if (!pt.is0()) {
    const rhs = F.add(F.mul(F.sqr(x), x), b);
    if (!F.eql(F.sqr(y), rhs)) throw new Error('input point not on curve');
  }
  return pt;
}
function pointIn(C, h) {
  if (h === '-' || h === undefined) return C.BASE;
  const key = (C === G1 ? '1' : '2') + h;
  let pt = cache.get(key);
  if (pt) return pt;
  const bytes = unhex(h);
  const full = C === G1 ? 96 : 192;
  if (bytes.length === full && (bytes[0] & 0xe0) === 0) {
    if (C === G1) {
      const x = BigInt('0x' + h.slice(0, 96)), y = BigInt('0x' + h.slice(96));
      pt = trustedAffine(G1, Fp, 4n, x, y);
    } else {
      const f = (i) => BigInt('0x' + h.slice(96 * i, 96 * i + 96));
      const x = Fp2.create({ c0: f(1), c1: f(0) }), y = Fp2.create({ c0: f(3), c1: f(2) });
      pt = trustedAffine(G2, Fp2, Fp2.create({ c0: 4n, c1: 4n }), x, y);
    }
  } else {
    pt = C.fromBytes(bytes);
  }
  if (cache.size > 20000) cache.clear();
  cache.set(key, pt);
  return pt;
}

const mul = (pt, k) => (k === 0n ? pt.constructor.ZERO : pt.multiplyUnsafe(k));
const enc = (C) => (C === G1 ? encG1 : encG2);

function msm(C, args) {
  const n = parseInt(args[0], 10);
  if (!(n >= 1) || args.length !== 1 + 2 * n) throw new Error('bad msm arity');
  const pts = args.slice(1, 1 + n).map((h) => pointIn(C, h));
  const ks = args.slice(1 + n).map(scalar);
  return enc(C)(pippenger(C, pts, ks));
}
function lincomb(C, args) {
  const n = parseInt(args[0], 10);
  if (!(n >= 1) || args.length !== 1 + 2 * n) throw new Error('bad lc arity');
  let acc = 0n;
  for (let i = 0; i < n; i++) {
    acc = Fr.add(acc, Fr.mul(scalar(args[1 + i]), scalar(args[1 + n + i])));
  }
  return enc(C)(mul(C.BASE, acc));
}

// e(P,Q) with e(O, Q) = e(P, O) = 1 (noble refuses the identity; the algebra does not).
function pair(p, q) {
  if (p.is0() || q.is0()) return Fp12ONE();
  return bls.pairing(p, q);
}
const Fp12ONE = () => bls.fields.Fp12.ONE;
function gtBytes(f) {
  // crypto.md §2: c1.c2.c1, c1.c2.c0, …, c0.c0.c0 (noble's toBytes is the reverse order).
  const out = [];
  for (const a of ['c1', 'c0'])
    for (const b of ['c2', 'c1', 'c0'])
      for (const c of ['c1', 'c0']) out.push(fpBytes(f[a][b][c]));
  return hex(Buffer.concat(out));
}
function pairEq(p1, q1, p2, q2) {
  const a = [pointIn(G1, p1), pointIn(G2, q1)];
  const b = [pointIn(G1, p2), pointIn(G2, q2)];
  // One Miller loop product and one final exponentiation: e(P1,Q1)·e(-P2,Q2) == 1.
  const pairs = [];
  if (!a[0].is0() && !a[1].is0()) pairs.push({ g1: a[0], g2: a[1] });
  if (!b[0].is0() && !b[1].is0()) pairs.push({ g1: b[0].negate(), g2: b[1] });
  if (pairs.length === 0) return '1';
  return bls.fields.Fp12.eql(bls.pairingBatch(pairs), Fp12ONE()) ? '1' : '0';
}

function errorClass(msg) {
  const rules = [
    [/expected \d+ bytes|invalid encoding flag|expected compressed/, 'flags'],
    [/non-canonical zero/, 'infinity'],
    [/outside of range/, 'range'],
    [/square root|equation left|point: compressed|point: uncompressed/, 'curve'],
    [/prime-order subgroup/, 'subgroup'],
  ];
  for (const [re, cls] of rules) if (re.test(msg)) return cls;
  return 'other:' + msg.replace(/\s+/g, '_');
}
function decode(group, h) {
  const C = group === 'g1' ? G1 : group === 'g2' ? G2 : null;
  if (!C) throw new Error('decode: group must be g1 or g2');
  const bytes = unhex(h);
  const lens = C === G1 ? [48, 96] : [96, 192];
  // noble's decoder picks the form from the flag byte, not the length: the length class is
  // ours (the C side's tkms_bls_g*_from_bytes dispatches on length).
  if (!lens.includes(bytes.length)) return 'err length';
  let pt;
  try {
    pt = C.fromBytes(bytes);
  } catch (e) {
    return 'err ' + errorClass(e.message);
  }
  return 'ok ' + pt.toHex(bytes.length === lens[0]);
}

function h2c(C, kind, dst, msg) {
  const d = unhex(dst);
  if (d.length < 1 || d.length > 255) throw new Error('dst length');
  const H = C === G1 ? bls.G1 : bls.G2;
  const m = unhex(msg);
  const pt = kind === 'ro' ? H.hashToCurve(m, { DST: d }) : H.encodeToCurve(m, { DST: d });
  return enc(C)(pt);
}

function selftest() {
  for (let i = 0n; i < 40n; i++) {
    const k = i < 20n ? i : Fr.ORDER - (i - 19n);
    const a = mul(G1.BASE, k), b = mul(G2.BASE, k);
    if (encG1(a) !== a.toHex(true)) return 'err encG1 ' + k;
    if (encG2(b) !== b.toHex(true)) return 'err encG2 ' + k;
    const ua = a.is0() ? null : a.toHex(false), ub = b.is0() ? null : b.toHex(false);
    if (ua && !pointIn(G1, ua).equals(a)) return 'err pointIn G1 ' + k;
    if (ub && !pointIn(G2, ub).equals(b)) return 'err pointIn G2 ' + k;
  }
  return 'ok';
}

const version = (() => {
  // package.json is not in noble's "exports": find it next to the module we imported.
  const url = new URL('./package.json', import.meta.resolve('@noble/curves/bls12-381.js'));
  return JSON.parse(readFileSync(url, 'utf8')).version;
})();

const ops = {
  ping: () => 'pong ' + version,
  selftest,
  g1add: (a, b) => encG1(pointIn(G1, a).add(pointIn(G1, b))),
  g2add: (a, b) => encG2(pointIn(G2, a).add(pointIn(G2, b))),
  g1mul: (k, p) => encG1(mul(pointIn(G1, p), scalar(k))),
  g2mul: (k, p) => encG2(mul(pointIn(G2, p), scalar(k))),
  g1msm: (...a) => msm(G1, a),
  g2msm: (...a) => msm(G2, a),
  g1lc: (...a) => lincomb(G1, a),
  g2lc: (...a) => lincomb(G2, a),
  pair_eq: pairEq,
  pairing: (p, q) => gtBytes(pair(pointIn(G1, p), pointIn(G2, q))),
  h2g1: (d, m) => h2c(G1, 'ro', d, m),
  h2g2: (d, m) => h2c(G2, 'ro', d, m),
  e2g1: (d, m) => h2c(G1, 'nu', d, m),
  e2g2: (d, m) => h2c(G2, 'nu', d, m),
  decode,
};

function run(line) {
  const [cmd, ...args] = line.trim().split(/\s+/);
  if (!cmd) return null;
  try {
    const op = ops[cmd];
    if (!op) throw new Error('unknown command ' + cmd);
    return op(...args);
  } catch (e) {
    return 'ERR ' + String(e.message).replace(/\s+/g, ' ');
  }
}

if (process.argv[2] === '-') {
  // One write per result: the caller reads while it writes (poll), so nothing can deadlock.
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (l) => {
    const r = run(l);
    if (r !== null) process.stdout.write(r + '\n');
  });
} else {
  const r = run(process.argv.slice(2).join(' '));
  console.log(r === null ? 'ERR empty command' : r);
}
