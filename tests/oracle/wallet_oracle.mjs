// Wallet-derivation oracle for tests/client/test_wallet.c: independent implementations
// (@scure/bip39, @scure/bip32, micro-ed25519-hdkey, @noble/curves, @noble/hashes), EIP-55
// written here from the EIP. Reads commands on stdin, one result line per command:
//   mnemonic <entropy-hex>              -> words
//   seed <mnemonic-hex> <passphrase-hex> -> seed hex
//   evm <seed-hex> <i>                  -> EIP-55 address at m/44'/60'/0'/0/i
//   sol <seed-hex> <i>                  -> base58 address at m/44'/501'/i'/0'
import { entropyToMnemonic, mnemonicToSeedSync } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import { HDKey } from '@scure/bip32';
import { HDKey as EdKey } from 'micro-ed25519-hdkey';
import { base58 } from '@scure/base';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import readline from 'node:readline';

const H = (h) => Uint8Array.from(Buffer.from(h, 'hex'));
const X = (u) => Buffer.from(u).toString('hex');

function eip55(pub65) {
  const lower = X(keccak_256(pub65.slice(1)).slice(12));
  const h = X(keccak_256(new TextEncoder().encode(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++) out += parseInt(h[i], 16) >= 8 ? lower[i].toUpperCase() : lower[i];
  return out;
}

const ops = {
  mnemonic: (e) => entropyToMnemonic(H(e), wordlist),
  seed: (m, p) => X(mnemonicToSeedSync(Buffer.from(m, 'hex').toString(), Buffer.from(p || '', 'hex').toString())),
  evm: (s, i) => {
    const k = HDKey.fromMasterSeed(H(s)).derive(`m/44'/60'/0'/0/${i}`);
    return eip55(secp256k1.getPublicKey(k.privateKey, false));
  },
  sol: (s, i) => {
    const k = EdKey.fromMasterSeed(X(H(s))).derive(`m/44'/501'/${i}'/0'`);
    return base58.encode(k.publicKeyRaw ?? k.publicKey.slice(-32));
  },
};

for await (const line of readline.createInterface({ input: process.stdin })) {
  const [cmd, ...args] = line.trim().split(/\s+/);
  if (!cmd) continue;
  try { console.log(ops[cmd](...args)); } catch (e) { console.log('ERR ' + e.message); }
}
