// Compiles Probe.sol with the pinned solc-js and prints an artifact in the same format as
// the contracts build: {contractName, abi, bytecode, deployedBytecode, methodIdentifiers}.
// Usage (from the repository root): node tests/chain/probe/compile_probe.js > tests/vectors/chain/Probe.json
const solc = require('solc'), fs = require('fs'), path = require('path');
const file = path.join(__dirname, 'Probe.sol');
const input = {language: 'Solidity', sources: {'Probe.sol': {content: fs.readFileSync(file, 'utf8')}},
  settings: {evmVersion: 'cancun', optimizer: {enabled: true, runs: 200},
    outputSelection: {'*': {'*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object',
                                   'evm.methodIdentifiers']}}}};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
if (out.errors && out.errors.some(e => e.severity === 'error')) { console.error(out.errors); process.exit(1); }
const c = out.contracts['Probe.sol'].Probe;
console.log(JSON.stringify({contractName: 'Probe', compiler: 'solc-js ' + solc.version(), evmVersion: 'cancun',
  abi: c.abi, bytecode: '0x' + c.evm.bytecode.object, deployedBytecode: '0x' + c.evm.deployedBytecode.object,
  methodIdentifiers: c.evm.methodIdentifiers}, null, 1));
