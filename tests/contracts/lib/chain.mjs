// Anvil fixture and a plain JSON-RPC contract driver for the contract tests and the gas
// report. Starts anvil (node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil) on a free
// loopback port (--port 0, the port is read from its "Listening on" line), sends
// transactions from anvil's unlocked dev accounts with eth_sendTransaction (anvil estimates
// gas, so a reverting call comes back as a JSON-RPC error carrying the revert data, which
// is decoded into the custom error's name and arguments), and kills anvil by pid.
// Does not: sign transactions (the C client does that against its own tests) or retry.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
    decodeError, decodeLog, decodeParams, encodeParams, indexAbis, selector, signature,
} from './abi.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../../..');
const ANVIL = path.join(ROOT, 'node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil');

/** Artifacts built by the `contracts` target (TKMS_CONTRACTS_DIR, or build/contracts). */
export function loadArtifacts() {
    const dir = process.env.TKMS_CONTRACTS_DIR || path.join(ROOT, 'build/contracts');
    const out = {};
    for (const name of ['KmsRegistry', 'EpochLog', 'AppController']) {
        const file = path.join(dir, `${name}.json`);
        if (!fs.existsSync(file)) {
            throw new Error(`${file} missing: build the 'contracts' target (cmake --build)`);
        }
        out[name] = JSON.parse(fs.readFileSync(file, 'utf8'));
    }
    return out;
}

export class RevertError extends Error {
    constructor(decoded, raw) {
        super(`reverted: ${decoded.name}(${decoded.args.map(String).join(', ')})`);
        this.errorName = decoded.name;
        this.errorArgs = decoded.args;
        this.raw = raw;
    }
}

export class Anvil {
    /** Starts anvil with `accounts` funded dev accounts; resolves once eth_chainId answers. */
    static async start({ accounts = 20 } = {}) {
        const child = spawn(ANVIL, ['--host', '127.0.0.1', '--port', '0', '--accounts',
            String(accounts), '--balance', '1000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
        const port = await new Promise((resolve, reject) => {
            let buf = '';
            const timer = setTimeout(() => reject(new Error('anvil did not start in 10 s')), 10000);
            child.stdout.on('data', (d) => {
                buf += d;
                const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(buf);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            child.on('exit', (code) => reject(new Error(`anvil exited (${code}): ${buf}`)));
        });
        child.stdout.resume();
        child.stderr.resume();
        // A test process that dies before stop() must not leave anvil behind.
        const reap = () => child.exitCode === null && child.kill('SIGKILL');
        process.once('exit', reap);
        child.once('exit', () => process.removeListener('exit', reap));
        const anvil = new Anvil(child, `http://127.0.0.1:${port}`);
        await anvil.rpc('eth_chainId', []);
        anvil.accounts = (await anvil.rpc('eth_accounts', [])).map((a) => a.toLowerCase());
        return anvil;
    }

    constructor(child, url) {
        this.child = child;
        this.url = url;
        this.nextId = 1;
    }

    async stop() {
        if (this.child.exitCode !== null) return;
        const exited = new Promise((resolve) => this.child.once('exit', resolve));
        this.child.kill('SIGTERM');
        await exited;
    }

    async rpcRaw(method, params) {
        const res = await fetch(this.url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params }),
        });
        return res.json();
    }

    async rpc(method, params) {
        const r = await this.rpcRaw(method, params);
        if (r.error) {
            const e = new Error(`${method}: ${r.error.message}`);
            e.rpcError = r.error;
            throw e;
        }
        return r.result;
    }

    async blockNumber() {
        return Number(await this.rpc('eth_blockNumber', []));
    }

    /** Mines empty blocks until the chain head is `target` (no-op if already there). */
    async mineTo(target) {
        const now = await this.blockNumber();
        if (target < now) throw new Error(`mineTo(${target}): head is already ${now}`);
        if (target > now) await this.rpc('anvil_mine', ['0x' + (target - now).toString(16)]);
    }

    /** Receipt of a mined transaction. Anvil mines an automined transaction right after
     *  answering eth_sendTransaction, so the receipt may lag by a moment: poll, bounded. */
    async receipt(hash) {
        for (let i = 0; i < 500; i++) {
            const r = await this.rpc('eth_getTransactionReceipt', [hash]);
            if (r !== null) return r;
            await new Promise((resolve) => setTimeout(resolve, 2));
        }
        throw new Error(`no receipt for ${hash} after 500 polls`);
    }

    /** Mines up to `target` unless the head is already there or past it. */
    async mineAtLeast(target) {
        if ((await this.blockNumber()) < target) await this.mineTo(target);
    }

    async snapshot() {
        return this.rpc('evm_snapshot', []);
    }

    async revert(id) {
        const ok = await this.rpc('evm_revert', [id]);
        if (!ok) throw new Error(`evm_revert(${id}) failed`);
    }

    async setAutomine(on) {
        await this.rpc('evm_setAutomine', [on]);
    }
}

/** A deployed contract: send() mines a transaction (automine), call() is eth_call. */
export class Contract {
    constructor(anvil, artifact, address, errorIndex) {
        this.anvil = anvil;
        this.artifact = artifact;
        this.address = address.toLowerCase();
        this.index = errorIndex;
        this.fns = new Map();
        for (const item of artifact.abi) if (item.type === 'function') this.fns.set(item.name, item);
    }

    static async deploy(anvil, artifact, from, ctorArgs, errorIndex) {
        const ctor = artifact.abi.find((i) => i.type === 'constructor');
        const args = ctor ? encodeParams(ctor.inputs, ctorArgs).slice(2) : '';
        const hash = await sendOrThrow(anvil, { from, data: artifact.bytecode + args }, errorIndex);
        const receipt = await anvil.receipt(hash);
        if (receipt.status !== '0x1') throw new Error(`deploy ${artifact.contractName} failed`);
        const c = new Contract(anvil, artifact, receipt.contractAddress, errorIndex);
        c.deployReceipt = receipt;
        return c;
    }

    calldata(name, args) {
        const fn = this.fns.get(name);
        if (!fn) throw new Error(`${this.artifact.contractName}: no function ${name}`);
        const sel = this.artifact.methodIdentifiers[signature(fn)];
        if ('0x' + sel !== selector(fn)) throw new Error(`selector mismatch for ${signature(fn)}`);
        return '0x' + sel + encodeParams(fn.inputs, args).slice(2);
    }

    /** Sends and waits for the receipt; throws RevertError with the decoded custom error. */
    async send(from, name, args = [], extra = {}) {
        const tx = { from, to: this.address, data: this.calldata(name, args), ...extra };
        const hash = await sendOrThrow(this.anvil, tx, this.index);
        const receipt = this.withLogs(await this.anvil.receipt(hash));
        if (!receipt.ok) throw new Error(`${name}: mined with status 0 in block ${receipt.blockNumber}`);
        return receipt;
    }

    withLogs(receipt) {
        return {
            ...receipt,
            ok: receipt.status === '0x1',
            gasUsed: Number(receipt.gasUsed),
            blockNumber: Number(receipt.blockNumber),
            events: receipt.logs.map((l) => decodeLog(this.index, l)).filter(Boolean),
        };
    }

    /** eth_call; returns the single output, or the output array when there are several. */
    async call(name, args = [], { from, block = 'latest' } = {}) {
        const fn = this.fns.get(name);
        const r = await this.anvil.rpcRaw('eth_call', [
            { from, to: this.address, data: this.calldata(name, args) }, block]);
        if (r.error) throw revertFrom(this.index, r.error);
        const out = decodeParams(fn.outputs, r.result);
        return fn.outputs.length === 1 ? out[0] : out;
    }
}

function revertFrom(index, error) {
    const data = typeof error.data === 'string' ? error.data : error.data?.data;
    if (typeof data !== 'string' || !data.startsWith('0x')) {
        const e = new Error(`rpc error without revert data: ${JSON.stringify(error)}`);
        e.rpcError = error;
        return e;
    }
    return new RevertError(decodeError(index, data), data);
}

/** eth_sendTransaction does not refuse a reverting transaction on anvil (it mines it with
 *  status 0), so gas is estimated first: eth_estimateGas runs in the pending block
 *  (number = head + 1, where the transaction will land) and returns the revert data. */
async function sendOrThrow(anvil, tx, index) {
    if (tx.gas === undefined) {
        const est = await anvil.rpcRaw('eth_estimateGas', [tx, 'pending']);
        if (est.error) throw revertFrom(index, est.error);
        tx = { ...tx, gas: '0x' + Math.ceil(Number(est.result) * 1.2).toString(16) };
    }
    const r = await anvil.rpcRaw('eth_sendTransaction', [tx]);
    if (r.error) throw revertFrom(index, r.error);
    return r.result;
}

/** Sends without waiting (automine off): returns the hash; the caller mines. */
export async function sendPending(contract, from, name, args, gas = 1_500_000) {
    const tx = { from, to: contract.address, data: contract.calldata(name, args),
        gas: '0x' + gas.toString(16) };
    return sendOrThrow(contract.anvil, tx, contract.index);
}

export function errorIndexFor(artifacts) {
    return indexAbis(Object.values(artifacts).map((a) => a.abi));
}
