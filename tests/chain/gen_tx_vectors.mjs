// Generates signed EIP-1559 transaction vectors with an implementation independent of
// tkms: @noble/curves secp256k1 (RFC 6979, low-s), @noble/hashes keccak_256 and the small
// RLP encoder below. Run once; the output is committed as tests/vectors/chain/tx1559.json.
// Usage (from the repository root): node tests/chain/gen_tx_vectors.mjs > tests/vectors/chain/tx1559.json
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

const hex = (u) => Buffer.from(u).toString('hex');
const unhex = (h) => Uint8Array.from(Buffer.from(h.replace(/^0x/, ''), 'hex'));
const cat = (...a) => Uint8Array.from(a.flatMap((x) => [...x]));
const beInt = (n) => { if (n === 0n) return new Uint8Array(0); let h = n.toString(16); if (h.length % 2) h = '0' + h; return unhex(h); };
const len = (n, base) => { if (n <= 55) return Uint8Array.of(base + n); const b = beInt(BigInt(n)); return cat(Uint8Array.of(base + 55 + b.length), b); };
const rlp = (x) => Array.isArray(x) ? (() => { const p = cat(...x.map(rlp)); return cat(len(p.length, 0xc0), p); })()
  : (x.length === 1 && x[0] < 0x80) ? x : cat(len(x.length, 0x80), x);

function sign(v) {
  const fields = [beInt(v.chain_id), beInt(v.nonce), beInt(v.tip), beInt(v.max_fee), beInt(v.gas),
    v.to ? unhex(v.to) : new Uint8Array(0), beInt(BigInt('0x' + v.value)), unhex(v.data), []];
  const digest = keccak_256(cat(Uint8Array.of(2), rlp(fields)));
  const sig = secp256k1.Signature.fromBytes(secp256k1.sign(digest, unhex(v.sk), { prehash: false, format: 'recovered' }), 'recovered');
  const raw = cat(Uint8Array.of(2), rlp([...fields, beInt(BigInt(sig.recovery)), beInt(sig.r), beInt(sig.s)]));
  const pub = secp256k1.getPublicKey(unhex(v.sk), false);
  const sender = hex(keccak_256(pub.slice(1)).slice(12));
  return { ...v, chain_id: Number(v.chain_id), nonce: String(v.nonce), tip: String(v.tip),
    max_fee: String(v.max_fee), gas: String(v.gas), raw: hex(raw), hash: hex(keccak_256(raw)), sender };
}

const vectors = [
  { sk: 'ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', chain_id: 31337n, nonce: 0n,
    tip: 1000000000n, max_fee: 2000000000n, gas: 21000n, to: '70997970c51812dc3a010c7d01b50e0d17dc79c8',
    value: 'de0b6b3a7640000', data: '' },
  { sk: '0101010101010101010101010101010101010101010101010101010101010101', chain_id: 1n, nonce: 127n,
    tip: 0n, max_fee: 1n, gas: 30000000n, to: null, value: '0', data: '6080604052' + 'ab'.repeat(60) },
  { sk: '59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', chain_id: 8453n,
    nonce: 18446744073709551615n, tip: 18446744073709551615n, max_fee: 18446744073709551615n,
    gas: 128n, to: '0000000000000000000000000000000000000000', value: 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    data: '00'.repeat(300) },
];
console.log(JSON.stringify({ source: '@noble/curves secp256k1 + @noble/hashes keccak_256 + JS RLP (tests/chain/gen_tx_vectors.mjs)',
  vectors: vectors.map(sign) }, null, 1));
