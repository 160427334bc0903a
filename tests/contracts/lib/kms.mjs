// tkms-specific fixtures for the contract tests and the gas report: deploy the three
// contracts in the documented order, register operators, drive an epoch's phases at exact
// blocks, and an independent JS computation of the protocol.md §4.3 record hash and of
// t', f, r. The BLS data posted here is arbitrary bytes of the right shape: the contracts
// never check curve points, only lengths, flags, hashes and bitmaps.
import { sha256 } from '@noble/hashes/sha2.js';
import { Contract, errorIndexFor, sendPending } from './chain.mjs';
import { bytesOf, hexOf, keccak, strip } from './abi.mjs';

/** Test parameters: windows of 5 blocks (c = 1 needs >= 3), confirm at +25 of 40. */
export const PARAMS = {
    interval: 40, commit: 5, reveal: 10, ack: 15, open: 20, confirm: 25,
    confirmations: 1, minOperators: 4, k: 2,
};

export const DKG_SOURCE = (1n << 64n) - 1n;
export const FR_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001n;

export function thresholds(n) {
    const t = Math.floor((2 * n + 2) / 3);
    const f = Math.floor((n - 1) / 3);
    return { t, f, r: t - 1 - f };
}

export const paramList = (p) => [p.interval, p.commit, p.reveal, p.ack, p.open, p.confirm,
    p.confirmations, p.minOperators, p.k];

/** Deploys KmsRegistry, EpochLog (bound with setEpochLog) and AppController. */
export async function deploySystem(anvil, artifacts, params = PARAMS, { bind = true } = {}) {
    const index = errorIndexFor(artifacts);
    const owner = anvil.accounts[0];
    const registry = await Contract.deploy(anvil, artifacts.KmsRegistry, owner, paramList(params), index);
    const epochLog = await Contract.deploy(anvil, artifacts.EpochLog, owner, [registry.address], index);
    if (bind) await registry.send(owner, 'setEpochLog', [epochLog.address]);
    const apps = await Contract.deploy(anvil, artifacts.AppController, owner, [], index);
    const chainId = Number(await anvil.rpc('eth_chainId', []));
    return { anvil, artifacts, index, owner, registry, epochLog, apps, params, chainId };
}

/** deploySystem, then allow-list and register anvil accounts 1..n, then startGenesis. */
export async function deployWithOperators(anvil, artifacts, n,
    { params = PARAMS, genesis = true, bind = true } = {}) {
    const sys = await deploySystem(anvil, artifacts, params, { bind });
    const accounts = operatorAccounts(anvil, n);
    await registerAll(sys, accounts);
    if (genesis) await sys.registry.send(sys.owner, 'startGenesis', []);
    sys.ops = sorted(accounts);
    return sys;
}

/** A canonical Fr value as bytes32 (keccak outputs are >= r about half the time). */
export const frHex = (x) => '0x' + BigInt(x).toString(16).padStart(64, '0');

export const edKey = (addr) => keccak(`ed25519:${addr}`);
export const xKey = (addr, round = 0) => keccak(`x25519:${addr}:${round}`);

/** Allow-lists and registers `addrs` (each in its own block). */
export async function registerAll(sys, addrs) {
    for (const a of addrs) {
        await sys.registry.send(sys.owner, 'allow', [a]);
        await sys.registry.send(a, 'register', [edKey(a), xKey(a), `http://peer/${a}`, `http://app/${a}`]);
    }
}

export const sorted = (addrs) => [...addrs].map((a) => a.toLowerCase())
    .sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));

/** Operator accounts: anvil accounts 1..n (account 0 is the owner). */
export const operatorAccounts = (anvil, n, from = 1) => anvil.accounts.slice(from, from + n);

export const trigger = (sys, e) => e * sys.params.interval;

/** Runs `fn` (which sends with sendPending and returns hashes) with automine off, mines one
 *  block, and returns the receipts (all must have succeeded). */
export async function inOneBlock(sys, fn) {
    const { anvil } = sys;
    await anvil.setAutomine(false);
    let hashes;
    try {
        hashes = await fn();
        await anvil.rpc('evm_mine', []);
    } finally {
        await anvil.setAutomine(true);
    }
    const receipts = [];
    for (const h of hashes) {
        const r = sys.epochLog.withLogs(await anvil.receipt(h));
        if (!r.ok) throw new Error(`batched transaction ${h} failed`);
        receipts.push(r);
    }
    return receipts;
}

export function commitmentsFor(t, seed) {
    let out = '';
    for (let i = 0; i < t; i++) out += strip(keccak(`c:${seed}:${i}`)).repeat(3);
    return '0x' + out;
}

export const sealedHashFor = (seed) => keccak(`sealed:${seed}`);

const be = (v, bytes) => BigInt(v).toString(16).padStart(bytes * 2, '0');

/** protocol.md §4.3 record hash, computed independently of the contract. */
export function recordHash({ chainId, epochLog, epoch, dealer, source, t, commitments, sealedHash }) {
    const commitmentsHash = hexOf(sha256(bytesOf(commitments)));
    const msg = Buffer.from('tkms-record-v1').toString('hex') + be(chainId, 8) + strip(epochLog)
        + '01' + be(epoch, 8) + strip(dealer) + be(source, 8) + be(t, 2)
        + strip(commitmentsHash) + strip(sealedHash);
    return hexOf(sha256(bytesOf(msg)));
}

/** A plausible compressed G2 encoding (compression flag set, infinity flag clear). */
export const mpkFor = (seed) => '0x93' + strip(keccak(`mpk:${seed}`)).repeat(3).slice(2, 192);
export const IDENTITY_MPK = '0xc0' + '00'.repeat(95);

/** The dealing of `dealer` in epoch `e`: {recordHash, commitments, sealedHash}. */
export async function dealingFor(sys, e, dealer, seed = '') {
    const [, , , t, , source] = await sys.epochLog.call('epochSnapshot', [e]);
    const commitments = commitmentsFor(Number(t), `${e}:${dealer}:${seed}`);
    const sealedHash = sealedHashFor(`${e}:${dealer}:${seed}`);
    const rh = recordHash({ chainId: sys.chainId, epochLog: sys.epochLog.address, epoch: e,
        dealer, source, t, commitments, sealedHash });
    return { recordHash: rh, commitments, sealedHash };
}

export const bitmapOf = (ops, members) =>
    members.reduce((acc, m) => acc | (1n << BigInt(ops.indexOf(m.toLowerCase()))), 0n);

/** Commit and reveal by `dealers`, each phase in the first block of its window (or the
 *  next block if the head is already past the trigger); the head ends at B + reveal. */
export async function dealAndReveal(sys, e, dealers) {
    const { anvil, epochLog, params } = sys;
    const B = trigger(sys, e);
    await anvil.mineAtLeast(B);
    const deal = {};
    for (const d of dealers) deal[d] = await dealingFor(sys, e, d);
    await inOneBlock(sys, () => Promise.all(dealers.map((d) =>
        sendPending(epochLog, d, 'commitDealing', [e, deal[d].recordHash]))));
    await anvil.mineTo(B + params.commit);
    await inOneBlock(sys, () => Promise.all(dealers.map((d) =>
        sendPending(epochLog, d, 'revealDealing', [e, deal[d].commitments, deal[d].sealedHash]))));
    await anvil.mineTo(B + params.reveal);
}

/**
 * Drives epoch `e` up to (not including) confirm: commit and reveal by `dealers` (default
 * all of O), acks by `ackers` (default all of O) for every revealed dealer, in the first
 * block of each window. Returns {ops, t, r, source, dealerBitmap}; head at B + open.
 */
export async function runToConfirm(sys, e, { dealers = null, ackers = null } = {}) {
    const { anvil, epochLog, params } = sys;
    const B = trigger(sys, e);
    await anvil.mineAtLeast(B);
    const [ops, , , t, r, source] = await epochLog.call('epochSnapshot', [e]);
    const D = dealers ? sorted(dealers) : ops;
    await dealAndReveal(sys, e, D);
    const bitmap = bitmapOf(ops, D);
    const A = ackers ? sorted(ackers) : ops;
    await inOneBlock(sys, () => Promise.all(A.map((p) =>
        sendPending(epochLog, p, 'ack', [e, bitmap]))));
    await anvil.mineTo(B + params.open);
    return { ops, t: Number(t), r: Number(r), source, dealerBitmap: bitmap };
}

/** Runs epoch `e` to finalization: every operator confirms (mpk, stateHash, all dealers). */
export async function runEpoch(sys, e, { mpk = mpkFor('genesis'), stateHash, dealers } = {}) {
    const st = await runToConfirm(sys, e, { dealers });
    const sh = stateHash ?? keccak(`state:${e}`);
    await inOneBlock(sys, () => Promise.all(st.ops.map((o) =>
        sendPending(sys.epochLog, o, 'confirm', [e, mpk, sh, st.dealerBitmap]))));
    return { ...st, stateHash: sh };
}

export { sendPending };
