// record_hash.mjs — the protocol.md §4.3 record hash and the docs/wire-formats.md record
// encoding of fixed examples, computed independently of the C code with node:crypto only.
//
//   node tests/proto/record_hash.mjs          prints the constants pasted into
//                                             tests/proto/test_record.c (EXPECTED_*)
//   node tests/proto/record_hash.mjs --anvil  also deploys the contracts on a fresh anvil
//                                             and checks EpochLog.recordHashOf against the
//                                             same constants (ctest: proto_record_hash_anvil)
//
// The examples are arbitrary bytes of the right shape (the hash does not look inside the
// commitments or the sealed entries). The domain is what a fresh anvil gives the second
// contract deployed by account #0 (deploySystem: KmsRegistry at nonce 0, EpochLog at
// nonce 1), so the very same constants can be checked against the contract.
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';

export const CHAIN_ID = 31337n;
export const EPOCH_LOG = 'e7f1725e7734ce288f8367e1bb143e90bb3f0512';
const DEALER = '70997970c51812dc3a010c7d01b50e0d17dc79c8';
const DKG_SOURCE = (1n << 64n) - 1n;

const sha256 = (buf) => createHash('sha256').update(buf).digest();
const be = (v, bytes) => Buffer.from(BigInt(v).toString(16).padStart(bytes * 2, '0'), 'hex');
const pattern = (len, mul, add) => Buffer.from(Array.from({ length: len }, (_, i) => (i * mul + add) & 0xff));

// The examples of test_record.c: t' = 2, n = 3; commitments byte i = 7i+3, sealed byte
// i = 13i+5, signature byte i = i (all mod 256).
export const EXAMPLES = [
    { name: 'DKG', epoch: 7n, source: DKG_SOURCE },
    { name: 'RESHARE', epoch: 9n, source: 5n },
].map((e) => ({
    ...e, t: 2, n: 3,
    commitments: pattern(2 * 96, 7, 3), sealed: pattern(3 * 80, 13, 5), signature: pattern(64, 1, 0),
}));

const header = (e) => Buffer.concat([Buffer.from([1]), be(e.epoch, 8), Buffer.from(DEALER, 'hex'),
    be(e.source, 8), be(e.t, 2)]);

export function recordHash(e, chainId = CHAIN_ID, epochLog = EPOCH_LOG) {
    return sha256(Buffer.concat([Buffer.from('tkms-record-v1'), be(chainId, 8), Buffer.from(epochLog, 'hex'),
        header(e), sha256(e.commitments), sha256(e.sealed)]));
}

// header ‖ commitments ‖ be16 n ‖ sealed ‖ signature (docs/wire-formats.md §2)
export const recordEncoding = (e) => Buffer.concat([header(e), e.commitments, be(e.n, 2), e.sealed, e.signature]);

async function checkAgainstAnvil() {
    const { Anvil, loadArtifacts } = await import('../contracts/lib/chain.mjs');
    const { deploySystem } = await import('../contracts/lib/kms.mjs');
    const anvil = await Anvil.start({ accounts: 2 });
    try {
        const sys = await deploySystem(anvil, loadArtifacts());
        assert.equal(BigInt(sys.chainId), CHAIN_ID);
        assert.equal(sys.epochLog.address.toLowerCase(), '0x' + EPOCH_LOG);
        for (const e of EXAMPLES) {
            const got = await sys.epochLog.call('recordHashOf', [e.epoch, '0x' + DEALER, e.source, e.t,
                '0x' + sha256(e.commitments).toString('hex'), '0x' + sha256(e.sealed).toString('hex')]);
            assert.equal(got.toLowerCase(), '0x' + recordHash(e).toString('hex'), e.name);
            console.log(`EpochLog.recordHashOf(${e.name}) == ${got}`);
        }
    } finally {
        await anvil.stop();
    }
}

for (const e of EXAMPLES) {
    console.log(`EXPECTED_${e.name}_RECORD_HASH   ${recordHash(e).toString('hex')}`);
    console.log(`EXPECTED_${e.name}_ENCODING_SHA256 ${sha256(recordEncoding(e)).toString('hex')}`);
}
if (process.argv.includes('--anvil')) {
    await checkAgainstAnvil();
}
