// chain_diff.mjs — differential test of the simulator's chain model (tests/sim/chain.c)
// against the real contracts (contracts/KmsRegistry.sol, EpochLog.sol) on anvil.
//
// Usage: node tests/sim/chain_diff.mjs TRACE.jsonl   (TKMS_CONTRACTS_DIR = built artifacts)
// The trace comes from `tkms-sim --trace TRACE.jsonl ...`. This script deploys the contracts
// with the trace's parameters (blocks 1-4, so EpochLog lands at the address the model
// hashes records with), then replays every block at its own number: each transaction is
// sent in the model's order (anvil --order fifo, automine off) from its address
// (impersonated), its verdict is read with eth_estimateGas in the pending block (the custom
// error, as tests/contracts does), and the block is mined. Reorgs revert to the snapshot
// taken before the first dropped block. Every verdict must equal the model's (the error
// name in UPPER_SNAKE form); the first difference fails with the block and transaction.
// Does not: check views (the nodes' inputs) beyond what the verdicts imply.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeError, encodeParams, indexAbis, selector } from '../contracts/lib/abi.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '../..');
const ANVIL = path.join(ROOT, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');

function artifacts() {
    const dir = process.env.TKMS_CONTRACTS_DIR || path.join(ROOT, 'build/contracts');
    const load = (n) => JSON.parse(fs.readFileSync(path.join(dir, `${n}.json`), 'utf8'));
    return { KmsRegistry: load('KmsRegistry'), EpochLog: load('EpochLog') };
}

async function startAnvil() {
    const child = spawn(ANVIL, ['--host', '127.0.0.1', '--port', '0', '--order', 'fifo',
        '--gas-limit', '100000000', '--balance', '1000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const port = await new Promise((resolve, reject) => {
        let buf = '';
        const timer = setTimeout(() => reject(new Error('anvil did not start')), 15000);
        child.stdout.on('data', (d) => {
            buf += d;
            const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(buf);
            if (m) {
                clearTimeout(timer);
                resolve(Number(m[1]));
            }
        });
        child.on('exit', (code) => reject(new Error(`anvil exited (${code})`)));
    });
    child.stdout.resume();
    child.stderr.resume();
    process.once('exit', () => child.exitCode === null && child.kill('SIGKILL'));
    let id = 1;
    const url = `http://127.0.0.1:${port}`;
    const raw = async (method, params) => (await fetch(url, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: id++, method, params }),
    })).json();
    const rpc = async (method, params) => {
        const r = await raw(method, params);
        if (r.error) throw new Error(`${method}: ${JSON.stringify(r.error)}`);
        return r.result;
    };
    return { child, raw, rpc };
}

const fn = (art, name) => art.abi.find((i) => i.type === 'function' && i.name === name);
const call = (art, name, args) => {
    const f = fn(art, name);
    return selector(f) + encodeParams(f.inputs, args).slice(2);
};
const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

async function waitReceipt(a, hash) {
    for (let i = 0; i < 1000; i++) {
        const r = await a.rpc('eth_getTransactionReceipt', [hash]);
        if (r !== null) return r;
        await new Promise((res) => setTimeout(res, 2));
    }
    throw new Error(`no receipt for ${hash}`);
}

async function deploy(a, art, p, owner) {
    const args = [p.interval, p.commit, p.reveal, p.ack, p.open, p.confirm, p.confirmations,
        p.minOperators, p.k];
    const ctor = (x) => x.abi.find((i) => i.type === 'constructor');
    const send = async (tx) => waitReceipt(a, await a.rpc('eth_sendTransaction',
        [{ from: owner, gas: '0x1c9c380', ...tx }]));
    const reg = await send({ data: art.KmsRegistry.bytecode + encodeParams(ctor(art.KmsRegistry).inputs, args).slice(2) });
    const log = await send({ data: art.EpochLog.bytecode + encodeParams(ctor(art.EpochLog).inputs, [reg.contractAddress]).slice(2) });
    await send({ to: reg.contractAddress, data: call(art.KmsRegistry, 'setEpochLog', [log.contractAddress]) });
    await a.rpc('evm_mine', []); /* block 4: the simulator starts at 5 */
    return { registry: reg.contractAddress.toLowerCase(), epochLog: log.contractAddress.toLowerCase() };
}

/** The transaction (to, data) of one trace line. */
function txOf(art, addr, t) {
    const R = art.KmsRegistry, E = art.EpochLog;
    const e = t.epoch !== undefined ? BigInt(t.epoch) : 0n;
    switch (t.k) {
    case 'commit': return [addr.epochLog, call(E, 'commitDealing', [e, t.hash])];
    case 'reveal': return [addr.epochLog, call(E, 'revealDealing', [e, t.commitments, t.hash])];
    case 'ack': return [addr.epochLog, call(E, 'ack', [e, BigInt(t.bitmap)])];
    case 'open': return [addr.epochLog, call(E, 'openShares', [e, t.players, t.shares])];
    case 'confirm': return [addr.epochLog, call(E, 'confirm', [e, t.mpk, t.hash, BigInt(t.bitmap)])];
    case 'set_key': return [addr.registry, call(R, 'setEpochKey', [t.key])];
    case 'register': return [addr.registry, call(R, 'register', [t.ed, t.key, 'http://peer', 'http://app'])];
    case 'deregister': return [addr.registry, call(R, 'deregister', [])];
    case 'allow': return [addr.registry, call(R, 'allow', [t.target])];
    case 'eject': return [addr.registry, call(R, 'eject', [t.target])];
    case 'genesis': return [addr.registry, call(R, 'startGenesis', [])];
    default: throw new Error(`unknown kind ${t.k}`);
    }
}

async function main() {
    const lines = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map(JSON.parse);
    const header = lines.shift();
    const art = artifacts();
    const index = indexAbis([art.KmsRegistry.abi, art.EpochLog.abi]);
    const a = await startAnvil();
    const owner = (await a.rpc('eth_accounts', []))[0];
    const addr = await deploy(a, art, header.params, owner);
    if (addr.epochLog !== header.epochLog) throw new Error(`EpochLog at ${addr.epochLog}, model uses ${header.epochLog}`);
    await a.rpc('evm_setAutomine', [false]);
    const known = new Set();
    const snapshots = new Map();
    let checked = 0, reorgs = 0;
    const head = async () => Number(await a.rpc('eth_blockNumber', []));
    const mineTo = async (b) => {
        while ((await head()) < b) {
            snapshots.set((await head()) + 1, await a.rpc('evm_snapshot', []));
            await a.rpc('evm_mine', []);
        }
    };
    for (let i = 0; i < lines.length;) {
        if (lines[i].reorg !== undefined) {
            const h = lines[i].reorg;
            if ((await head()) > h) { /* dropped blocks the replay mined (empty ones are lazy) */
                await a.rpc('evm_revert', [snapshots.get(h + 1)]);
                for (const k of [...snapshots.keys()]) if (k > h) snapshots.delete(k);
                if ((await head()) !== h) throw new Error(`reorg: head ${await head()} != ${h}`);
            }
            reorgs++;
            i++;
            continue;
        }
        const b = lines[i].b;
        await mineTo(b - 1);
        snapshots.set(b, await a.rpc('evm_snapshot', []));
        for (; i < lines.length && lines[i].b === b && lines[i].reorg === undefined; i++) {
            const t = lines[i];
            const from = t.from === 'owner' ? owner : t.from;
            if (!known.has(from)) {
                await a.rpc('anvil_impersonateAccount', [from]);
                await a.rpc('anvil_setBalance', [from, '0x56bc75e2d63100000']);
                known.add(from);
            }
            const [to, data] = txOf(art, addr, t);
            const est = await a.raw('eth_estimateGas', [{ from, to, data }, 'pending']);
            let verdict = 'OK';
            if (est.error) {
                const d = typeof est.error.data === 'string' ? est.error.data : est.error.data?.data;
                verdict = d ? snake(decodeError(index, d).name) : `RPC_ERROR ${est.error.message}`;
            }
            if (verdict !== t.r) {
                throw new Error(`block ${b}: ${t.k} from ${t.from} (epoch ${t.epoch}): ` +
                                `contract says ${verdict}, model says ${t.r}`);
            }
            await a.rpc('eth_sendTransaction', [{ from, to, data, gas: '0x1c9c380' }]);
            checked++;
        }
        await a.rpc('evm_mine', []);
        if ((await head()) !== b) throw new Error(`mined block ${await head()}, expected ${b}`);
    }
    console.log(`chain_diff: ${checked} transactions agree (${reorgs} reorgs), last block ${await head()}`);
    a.child.kill('SIGTERM');
}

main().catch((e) => {
    console.error(`chain_diff: ${e.message}`);
    process.exit(1);
});
