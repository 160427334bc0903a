// IBE v1 written independently from crypto.md §8 (and §2–4 for H1, GT bytes and the cube
// convention) on @noble/curves + node:crypto, as the oracle of tests/ibe/test_ibe_oracle.c.
// Commands on stdin, one answer line each (hex, or "ERR <reason>"):
//   enc <id-hex> <mpk-hex> <rho-hex> <nonce-hex> <pt-hex|->   -> ciphertext
//   dec <id-hex> <sk-hex> <ct-hex>                            -> plaintext or ERR
//   key <id-hex> <master-secret-hex>                          -> sk_id = S·H1(id), compressed
import { bls12_381 as b } from '@noble/curves/bls12-381.js';
import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import readline from 'node:readline';

const H = (h) => Buffer.from(h === '-' ? '' : h, 'hex');
const X = (u) => Buffer.from(u).toString('hex');
const Fp12 = b.fields.Fp12;
const DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';

const h1 = (id) => b.G1.hashToCurve(id, { DST });
const fpBytes = (x) => Buffer.from(x.toString(16).padStart(96, '0'), 'hex');
// crypto.md §2: c1.c2.c1, c1.c2.c0, c1.c1.c1, ..., c0.c0.c0 (each Fp 48 bytes big-endian)
function gtBytes(g) {
  const out = [];
  for (const c6 of [g.c1, g.c0]) for (const c2 of [c6.c2, c6.c1, c6.c0]) out.push(fpBytes(c2.c1), fpBytes(c2.c0));
  return Buffer.concat(out);
}
function aesKey(id, g) { // ê = e³ (crypto.md §3)
  const ikm = gtBytes(Fp12.pow(g, 3n));
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.from('eigenx-kms-go-ibe-encryption'),
    Buffer.concat([Buffer.from('IBE-encryption|v1|'), id]), 32));
}

function enc(idh, mpkh, rhoh, nonceh, pth) {
  const id = H(idh), mpk = b.G2.Point.fromHex(mpkh), rho = BigInt('0x' + rhoh), nonce = H(nonceh);
  if (id.length < 5) return 'ERR short id';
  const U = b.G2.Point.BASE.multiply(rho).toBytes(true);
  const g = Fp12.pow(b.pairing(h1(id), mpk), rho);
  const c = createCipheriv('aes-256-gcm', aesKey(id, g), nonce);
  c.setAAD(Buffer.concat([id, Buffer.from([1]), U]));
  const ct = Buffer.concat([c.update(H(pth)), c.final()]);
  return X(Buffer.concat([Buffer.from('IBE'), Buffer.from([1]), U, nonce, ct, c.getAuthTag()]));
}

function dec(idh, skh, cth) {
  const id = H(idh), ct = H(cth);
  if (ct.length < 128 || ct.subarray(0, 3).toString() !== 'IBE' || ct[3] !== 1) return 'ERR format';
  const U = b.G2.Point.fromHex(X(ct.subarray(4, 100)));
  const g = b.pairing(b.G1.Point.fromHex(skh), U);
  const d = createDecipheriv('aes-256-gcm', aesKey(id, g), ct.subarray(100, 112));
  d.setAAD(Buffer.concat([id, ct.subarray(3, 4), ct.subarray(4, 100)]));
  d.setAuthTag(ct.subarray(ct.length - 16));
  return X(Buffer.concat([d.update(ct.subarray(112, ct.length - 16)), d.final()])) || '-';
}

const key = (idh, sh) => h1(H(idh)).multiply(BigInt('0x' + sh)).toHex(true);
const ops = { enc, dec, key };
for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const [cmd, ...args] = line.trim().split(/\s+/);
  if (!cmd) continue;
  try { console.log(ops[cmd](...args)); } catch (e) { console.log('ERR ' + e.message); }
}
