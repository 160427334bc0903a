// Minimal Solidity ABI codec for the contract tests and the gas report: static and dynamic
// types (uintN, intN, address, bool, bytesN, bytes, string, T[], T[k], tuples), function
// selectors, event topics and custom-error decoding. Values: bigint for integers, lowercase
// 0x-hex strings for address/bytes/bytesN, JS strings, arrays, and arrays for tuples.
// Does not: handle fixed-point types or ABI v1 quirks; nothing here is used by the C side.
import { keccak_256 } from '@noble/hashes/sha3.js';

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export const hexOf = (u8) => '0x' + Buffer.from(u8).toString('hex');
export const bytesOf = (hex) => Uint8Array.from(Buffer.from(strip(hex), 'hex'));
export const strip = (hex) => (hex.startsWith('0x') ? hex.slice(2) : hex);
export const keccak = (data) =>
    hexOf(keccak_256(typeof data === 'string' ? enc.encode(data) : data));

/** Canonical type string of an ABI parameter (tuples expanded). */
export function typeString(p) {
    if (p.type.startsWith('tuple')) {
        return '(' + p.components.map(typeString).join(',') + ')' + p.type.slice(5);
    }
    return p.type;
}

export const signature = (item) => `${item.name}(${item.inputs.map(typeString).join(',')})`;
export const selector = (item) => keccak(signature(item)).slice(0, 10);

function arrayInfo(p) {
    const m = /^(.*)\[(\d*)\]$/.exec(p.type);
    if (!m) return null;
    return { inner: { ...p, type: m[1] }, length: m[2] === '' ? null : Number(m[2]) };
}

function isDynamic(p) {
    if (p.type === 'bytes' || p.type === 'string') return true;
    const a = arrayInfo(p);
    if (a) return a.length === null || isDynamic(a.inner);
    if (p.type === 'tuple') return p.components.some(isDynamic);
    return false;
}

function headSize(p) {
    if (isDynamic(p)) return 32;
    const a = arrayInfo(p);
    if (a) return a.length * headSize(a.inner);
    if (p.type === 'tuple') return p.components.reduce((s, c) => s + headSize(c), 0);
    return 32;
}

const word = (big) => {
    const v = BigInt.asUintN(256, big);
    return v.toString(16).padStart(64, '0');
};

function encodeSingle(p, v) {
    const a = arrayInfo(p);
    if (a) {
        if (a.length !== null && v.length !== a.length) throw new Error(`${p.type}: length ${v.length}`);
        const body = encodeTuple(v.map(() => a.inner), v);
        return a.length === null ? word(BigInt(v.length)) + body : body;
    }
    if (p.type === 'tuple') return encodeTuple(p.components, v);
    if (p.type === 'bytes' || p.type === 'string') {
        const b = p.type === 'string' ? enc.encode(v) : bytesOf(v);
        const hex = Buffer.from(b).toString('hex');
        return word(BigInt(b.length)) + hex.padEnd(Math.ceil(hex.length / 64) * 64, '0');
    }
    if (p.type === 'bool') return word(v ? 1n : 0n);
    if (p.type === 'address') return strip(v).toLowerCase().padStart(64, '0');
    if (/^bytes\d+$/.test(p.type)) return strip(v).padEnd(64, '0');
    if (/^u?int\d*$/.test(p.type)) {
        const bits = Number(p.type.replace(/^u?int/, '') || 256);
        const big = BigInt(v);
        const ok = p.type.startsWith('u')
            ? big >= 0n && big < 1n << BigInt(bits)
            : big >= -(1n << BigInt(bits - 1)) && big < 1n << BigInt(bits - 1);
        if (!ok) throw new Error(`${p.type}: ${v} out of range`);
        return word(big);
    }
    throw new Error(`abi: unsupported type ${p.type}`);
}

function encodeTuple(params, values) {
    if (params.length !== values.length) {
        throw new Error(`abi: ${params.length} params, ${values.length} values`);
    }
    let head = '';
    let tail = '';
    const headLen = params.reduce((s, p) => s + headSize(p), 0);
    params.forEach((p, i) => {
        const e = encodeSingle(p, values[i]);
        if (isDynamic(p)) {
            head += word(BigInt(headLen + tail.length / 2));
            tail += e;
        } else {
            head += e;
        }
    });
    return head + tail;
}

export const encodeParams = (params, values) => '0x' + encodeTuple(params, values);

function readWord(buf, off) {
    if (off + 32 > buf.length) throw new Error('abi: read past end');
    return BigInt('0x' + Buffer.from(buf.subarray(off, off + 32)).toString('hex'));
}

function decodeSingle(p, buf, off) {
    const a = arrayInfo(p);
    if (a) {
        let base = off;
        let n = a.length;
        if (n === null) {
            n = Number(readWord(buf, off));
            base = off + 32;
        }
        return decodeTuple(Array(n).fill(a.inner), buf, base);
    }
    if (p.type === 'tuple') return decodeTuple(p.components, buf, off);
    if (p.type === 'bytes' || p.type === 'string') {
        const n = Number(readWord(buf, off));
        const b = buf.subarray(off + 32, off + 32 + n);
        if (b.length !== n) throw new Error('abi: bytes past end');
        return p.type === 'string' ? dec.decode(b) : hexOf(b);
    }
    const w = readWord(buf, off);
    if (p.type === 'bool') return w !== 0n;
    if (p.type === 'address') return '0x' + w.toString(16).padStart(40, '0');
    if (/^bytes\d+$/.test(p.type)) {
        const n = Number(p.type.slice(5));
        return hexOf(buf.subarray(off, off + n));
    }
    if (/^uint\d*$/.test(p.type)) return w;
    if (/^int\d*$/.test(p.type)) return BigInt.asIntN(256, w);
    throw new Error(`abi: unsupported type ${p.type}`);
}

function decodeTuple(params, buf, base) {
    const out = [];
    let off = base;
    for (const p of params) {
        if (isDynamic(p)) out.push(decodeSingle(p, buf, base + Number(readWord(buf, off))));
        else out.push(decodeSingle(p, buf, off));
        off += headSize(p);
    }
    return out;
}

export const decodeParams = (params, hex) => decodeTuple(params, bytesOf(hex), 0);

/** Index of every error (selector -> ABI item) and event (topic0 -> item) of some ABIs. */
export function indexAbis(abis) {
    const errors = new Map();
    const events = new Map();
    errors.set('0x08c379a0', { name: 'Error', inputs: [{ type: 'string', name: 'message' }] });
    errors.set('0x4e487b71', { name: 'Panic', inputs: [{ type: 'uint256', name: 'code' }] });
    for (const abi of abis) {
        for (const item of abi) {
            if (item.type === 'error') errors.set(selector(item), item);
            if (item.type === 'event') events.set(keccak(signature(item)), item);
        }
    }
    return { errors, events };
}

/** Decodes revert data into {name, args}; unknown selectors keep the raw data. */
export function decodeError(index, data) {
    if (!data || data === '0x') return { name: '(empty revert)', args: [] };
    const item = index.errors.get(data.slice(0, 10));
    if (!item) return { name: `(unknown ${data.slice(0, 10)})`, args: [data] };
    return { name: item.name, args: decodeParams(item.inputs, '0x' + data.slice(10)) };
}

/** Decodes a receipt log into {name, args (by name), address} or null if unknown. */
export function decodeLog(index, log) {
    const item = index.events.get(log.topics[0]);
    if (!item) return null;
    const args = {};
    const indexed = item.inputs.filter((i) => i.indexed);
    const plain = item.inputs.filter((i) => !i.indexed);
    indexed.forEach((p, i) => {
        // Dynamic indexed values are hashed: keep the topic.
        args[p.name] = isDynamic(p) ? log.topics[i + 1] : decodeParams([p], log.topics[i + 1])[0];
    });
    decodeParams(plain, log.data).forEach((v, i) => {
        args[plain[i].name] = v;
    });
    return { name: item.name, args, address: log.address.toLowerCase() };
}
