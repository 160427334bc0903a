#!/usr/bin/env node
// Compiles contracts/*.sol with the pinned solc-js from node_modules (bundled soljson: no
// network) and writes one artifact per deployable contract:
//   <out>/<Name>.json = {contractName, abi, bytecode, deployedBytecode, methodIdentifiers,
//                        evmVersion, solcVersion}
// Usage: node contracts/compile.mjs --out <dir>
// Fails (exit 1) on any compiler error or warning, and if solc is not the pinned version.
// evmVersion is pinned to "cancun" (docs/contracts.md: newest fork widely live on L2s and
// supported by anvil 1.7.1; the code needs nothing newer). Does not deploy anything.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SOLC_VERSION = '0.8.37';
const EVM_VERSION = 'cancun';
const CONTRACTS = ['KmsRegistry', 'EpochLog', 'AppController'];

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const require = createRequire(path.join(root, 'package.json'));
const solc = require('solc');

function parseArgs(argv) {
    const i = argv.indexOf('--out');
    if (i < 0 || !argv[i + 1]) {
        console.error('usage: node contracts/compile.mjs --out <dir>');
        process.exit(2);
    }
    return { out: path.resolve(argv[i + 1]) };
}

function main() {
    const { out } = parseArgs(process.argv.slice(2));
    const version = solc.version();
    if (!version.startsWith(SOLC_VERSION + '+')) {
        console.error(`compile: solc ${version}, expected ${SOLC_VERSION} (run scripts/setup.sh)`);
        process.exit(1);
    }
    const sources = {};
    for (const f of fs.readdirSync(here).filter((f) => f.endsWith('.sol')).sort()) {
        sources[f] = { content: fs.readFileSync(path.join(here, f), 'utf8') };
    }
    const input = {
        language: 'Solidity',
        sources,
        settings: {
            evmVersion: EVM_VERSION,
            optimizer: { enabled: true, runs: 200 },
            outputSelection: {
                '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object',
                             'evm.methodIdentifiers'] },
            },
        },
    };
    const output = JSON.parse(solc.compile(JSON.stringify(input)));
    const problems = output.errors || [];
    for (const e of problems) console.error(e.formattedMessage || e.message);
    if (problems.length > 0) {
        console.error(`compile: ${problems.length} error(s)/warning(s)`);
        process.exit(1);
    }
    fs.mkdirSync(out, { recursive: true });
    for (const name of CONTRACTS) {
        const c = output.contracts[`${name}.sol`]?.[name];
        if (!c) {
            console.error(`compile: ${name} not found in ${name}.sol`);
            process.exit(1);
        }
        const artifact = {
            contractName: name,
            abi: c.abi,
            bytecode: '0x' + c.evm.bytecode.object,
            deployedBytecode: '0x' + c.evm.deployedBytecode.object,
            methodIdentifiers: c.evm.methodIdentifiers,
            evmVersion: EVM_VERSION,
            solcVersion: version,
        };
        const file = path.join(out, `${name}.json`);
        const tmp = `${file}.tmp${process.pid}`;
        fs.writeFileSync(tmp, JSON.stringify(artifact, null, 1) + '\n');
        fs.renameSync(tmp, file); // readers never see a half-written artifact
        const size = (c.evm.deployedBytecode.object.length / 2) | 0;
        console.log(`compile: ${name} -> ${file} (${size} bytes deployed)`);
    }
}

main();
