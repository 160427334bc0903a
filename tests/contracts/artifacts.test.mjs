// The build's contract artifacts: the promised shape, pinned compiler and evmVersion,
// selectors that match the ABI, artifacts identical to a fresh compile of the sources (so
// they are generated, not stale or hand-edited), and every function, event and error of
// the external ABI described in docs/contracts.md.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { selector, signature } from './lib/abi.mjs';
import { ROOT, loadArtifacts } from './lib/chain.mjs';

const NAMES = ['KmsRegistry', 'EpochLog', 'AppController'];

describe('artifacts', () => {
    const artifacts = loadArtifacts();

    it('have exactly the promised fields, solc 0.8.37 and evmVersion cancun', () => {
        for (const name of NAMES) {
            const a = artifacts[name];
            assert.deepEqual(Object.keys(a).sort(), ['abi', 'bytecode', 'contractName', 'deployedBytecode',
                'evmVersion', 'methodIdentifiers', 'solcVersion']);
            assert.equal(a.contractName, name);
            assert.equal(a.evmVersion, 'cancun');
            assert.match(a.solcVersion, /^0\.8\.37\+commit\./);
            assert.match(a.bytecode, /^0x[0-9a-f]+$/);
            assert.match(a.deployedBytecode, /^0x[0-9a-f]+$/);
            assert.ok((a.deployedBytecode.length - 2) / 2 <= 24576, `${name} exceeds the EIP-170 size limit`);
            const fns = a.abi.filter((i) => i.type === 'function');
            assert.equal(Object.keys(a.methodIdentifiers).length, fns.length);
            for (const f of fns) assert.equal('0x' + a.methodIdentifiers[signature(f)], selector(f));
        }
    });

    it('equal a fresh compile of contracts/*.sol', () => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), 'tkms-contracts-'));
        try {
            execFileSync(process.execPath, [path.join(ROOT, 'contracts/compile.mjs'), '--out', out],
                { stdio: 'pipe' });
            for (const name of NAMES) {
                const fresh = JSON.parse(fs.readFileSync(path.join(out, `${name}.json`), 'utf8'));
                assert.deepEqual(fresh, artifacts[name], `${name}: build artifact is stale`);
            }
        } finally {
            fs.rmSync(out, { recursive: true, force: true });
        }
    });

    it('are documented: every function, event and error name is in docs/contracts.md', () => {
        const doc = fs.readFileSync(path.join(ROOT, 'docs/contracts.md'), 'utf8');
        const missing = [];
        for (const name of NAMES) {
            for (const item of artifacts[name].abi) {
                if (!['function', 'event', 'error'].includes(item.type)) continue;
                if (!new RegExp(`\\b${item.name}\\b`).test(doc)) missing.push(`${name}.${item.name}`);
            }
        }
        assert.deepEqual(missing, []);
    });
});
