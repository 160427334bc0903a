// gen_dev_attest_vector.mjs — the dev-ecdsa attestation vector of test_net_attest.c, computed
// independently of the C code with @noble/curves (secp256k1, RFC 6979, low s) and
// @noble/hashes: binding = sha256(pem ‖ extra), digest = keccak256("tkms-dev-attest-v1|" ‖
// app ‖ "|" ‖ challenge ‖ "|" ‖ hex(binding)), attestation = base64(r ‖ s ‖ 27 + recid).
// Run: node tests/client/gen_dev_attest_vector.mjs (from the repository root).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { sha256 } from '@noble/hashes/sha2.js';
const hex = u => Buffer.from(u).toString('hex');
const sk = Buffer.from('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80','hex');
const app = '0x5fbdb2315678afecb367f032d93f642f64180aa3';
const challenge = '1785000000-' + '11'.repeat(32);
const pem = '-----BEGIN PUBLIC KEY-----\nTEST\n-----END PUBLIC KEY-----\n';
const extra = Buffer.from('hello');
const binding = sha256(Buffer.concat([Buffer.from(pem), extra]));
const msg = 'tkms-dev-attest-v1|' + app + '|' + challenge + '|' + hex(binding);
const digest = keccak_256(Buffer.from(msg));
const sig = secp256k1.sign(digest, sk, { prehash: false, format: 'recovered' });
// format 'recovered' gives recid || r || s in noble 2.x
const rec = sig[0], rs = sig.slice(1);
const out = Buffer.concat([Buffer.from(rs), Buffer.from([27 + rec])]);
console.log(JSON.stringify({binding: hex(binding), digest: hex(digest), attestation: out.toString('base64')}));
