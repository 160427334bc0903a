import { keccak_256 } from '@noble/hashes/sha3.js';
const X=u=>Buffer.from(u).toString('hex');
// Deterministic inputs: byte i of an n-byte message is (i*7+3) & 0xff.
const pat=n=>Uint8Array.from({length:n},(_,i)=>(i*7+3)&255);
const out=[];
out.push({msg_hex:'', hash:X(keccak_256(new Uint8Array(0)))});
out.push({msg_hex:'616263', hash:X(keccak_256(new TextEncoder().encode('abc')))});
for (const n of [1,135,136,137,200,271,272,273,1000,4096]) out.push({msg_hex:X(pat(n)), hash:X(keccak_256(pat(n)))});
console.log(JSON.stringify({source:'@noble/hashes 2.4.0 keccak_256, generated once by tests/prim/gen_keccak_vectors.mjs', vectors:out},null,1));
