// h2c_oracle.mjs — @noble/curves as the independent oracle for tkms's RFC 9380 hashing
// (tests/bls/test_oracle_h2c.c). Batch mode (no arguments): one command per stdin line,
// one answer per stdout line, in order; a failing command answers "ERR <message>".
// With arguments: runs that one command. Hex arguments, "-" is the empty string.
//   h2g1 <dst> <msg>        hash_to_curve G1 (RO), compressed point hex (48 bytes)
//   h2g2 <dst> <msg>        hash_to_curve G2 (RO), compressed (96 bytes)
//   e2g1 <dst> <msg>        encode_to_curve G1 (NU)
//   e2g2 <dst> <msg>        encode_to_curve G2 (NU)
//   xmd  <dst> <msg> <len>  expand_message_xmd SHA-256, hex of len bytes
//   m2g1 <u>                clear_cofactor(map_to_curve(u)) on G1, u a field element (hex)
//   m2g2 <u.c0> <u.c1>      the same on G2
// DSTs are raw bytes (any value); DSTs over 255 bytes get noble's RFC 9380 §5.3.3 handling.
import { bls12_381 as bls } from '@noble/curves/bls12-381.js';
import { expand_message_xmd } from '@noble/curves/abstract/hash-to-curve.js';
import { sha256 } from '@noble/hashes/sha2.js';
import readline from 'node:readline';

const bytes = (h) => Uint8Array.from(Buffer.from(h === undefined || h === '-' ? '' : h, 'hex'));
const hex = (u) => Buffer.from(u).toString('hex');

const ops = {
  h2g1: (dst, msg) => bls.G1.hashToCurve(bytes(msg), { DST: bytes(dst) }).toHex(true),
  h2g2: (dst, msg) => bls.G2.hashToCurve(bytes(msg), { DST: bytes(dst) }).toHex(true),
  e2g1: (dst, msg) => bls.G1.encodeToCurve(bytes(msg), { DST: bytes(dst) }).toHex(true),
  e2g2: (dst, msg) => bls.G2.encodeToCurve(bytes(msg), { DST: bytes(dst) }).toHex(true),
  m2g1: (u) => bls.G1.mapToCurve(BigInt('0x' + u)).toHex(true),
  m2g2: (c0, c1) => bls.G2.mapToCurve([BigInt('0x' + c0), BigInt('0x' + c1)]).toHex(true),
  xmd: (dst, msg, len) =>
    hex(expand_message_xmd(bytes(msg), bytes(dst), parseInt(len, 10), sha256)),
};

function run(line) {
  const [cmd, ...args] = line.trim().split(/\s+/);
  if (!cmd) {
    return null;
  }
  try {
    if (!(cmd in ops)) {
      throw new Error('unknown command ' + cmd);
    }
    return ops[cmd](...args);
  } catch (e) {
    return 'ERR ' + e.message;
  }
}

if (process.argv.length > 2) {
  console.log(run(process.argv.slice(2).join(' ')));
} else {
  const out = [];
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const r = run(line);
    if (r !== null) {
      out.push(r);
      if (out.length >= 256) {
        process.stdout.write(out.join('\n') + '\n');
        out.length = 0;
      }
    }
  }
  if (out.length) {
    process.stdout.write(out.join('\n') + '\n');
  }
}
