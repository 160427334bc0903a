// KmsRegistry against anvil: deployment parameter checks, owner-only calls and the
// two-step ownership transfer, EpochLog binding, registration rules and limits, key
// rotation and checkpoints by block, the §6 guards (min_operators, live holders of the
// newest and next retained version, the membership freeze) and the protocol version.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useAnvil, expectRevert } from './lib/testing.mjs';
import { keccak } from './lib/abi.mjs';
import { Contract, errorIndexFor, sendPending } from './lib/chain.mjs';
import {
    PARAMS, bitmapOf, deploySystem, deployWithOperators, edKey, inOneBlock, mpkFor, paramList,
    registerAll, runToConfirm, sorted, xKey,
} from './lib/kms.mjs';

const ctx = {};
const H = (s) => keccak(s);

const system = (n, { genesis = true, params = PARAMS, bind = true } = {}) =>
    deployWithOperators(ctx.anvil, ctx.artifacts, n, { params, genesis, bind });

const deployRegistry = (params) => Contract.deploy(ctx.anvil, ctx.artifacts.KmsRegistry,
    ctx.anvil.accounts[0], paramList(params), ctx.index);

describe('KmsRegistry', () => {
    useAnvil(ctx, { accounts: 70 });
    before(() => {
        ctx.index = errorIndexFor(ctx.artifacts);
    });

    describe('deployment parameters', () => {
        it('accepts windows of exactly c + 2 blocks and confirm + c = interval − 1', async () => {
            const p = { interval: 17, commit: 3, reveal: 6, ack: 9, open: 12, confirm: 15,
                confirmations: 1, minOperators: 4, k: 1 };
            const reg = await deployRegistry(p);
            assert.deepEqual((await reg.call('params')).map(Number), paramList(p));
            await expectRevert(deployRegistry({ ...p, interval: 16 }), 'ConfirmNotBeforeNextTrigger', [15, 1, 16]);
        });

        it('refuses every phase window shorter than c + 2 and decreasing offsets', async () => {
            const p = { interval: 100, commit: 4, reveal: 8, ack: 12, open: 16, confirm: 20,
                confirmations: 2, minOperators: 4, k: 3 };
            await deployRegistry(p);
            const keys = ['commit', 'reveal', 'ack', 'open', 'confirm'];
            for (let i = 0; i < 5; i++) {
                const q = { ...p };
                for (let j = i; j < 5; j++) q[keys[j]] -= 1; // shrink window i by one block
                await expectRevert(deployRegistry(q), 'PhaseWindowTooShort', [i + 1, 3, 4]);
            }
            await expectRevert(deployRegistry({ ...p, reveal: 2 }), 'PhaseWindowTooShort', [2, 0, 4]);
            await expectRevert(deployRegistry({ ...p, confirmations: 0, commit: 1 }), 'PhaseWindowTooShort', [1, 1, 2]);
        });

        it('checks min_operators (1..64) and k (>= 1)', async () => {
            await expectRevert(deployRegistry({ ...PARAMS, minOperators: 0 }), 'InvalidMinOperators', [0]);
            await expectRevert(deployRegistry({ ...PARAMS, minOperators: 65 }), 'InvalidMinOperators', [65]);
            await deployRegistry({ ...PARAMS, minOperators: 64 });
            await deployRegistry({ ...PARAMS, minOperators: 1 });
            await expectRevert(deployRegistry({ ...PARAMS, k: 0 }), 'InvalidFallbackPatience', [0]);
        });
    });

    describe('owner', () => {
        it('restricts every owner call', async () => {
            const sys = await system(0, { genesis: false, bind: false });
            const [, mallory, x] = ctx.anvil.accounts;
            const r = sys.registry;
            for (const [name, args] of [['allow', [x]], ['eject', [x]], ['startGenesis', []],
                ['setEpochLog', [sys.epochLog.address]], ['setProtocolVersion', [2, 100]],
                ['transferOwnership', [mallory]]]) {
                await expectRevert(r.send(mallory, name, args), 'NotOwner', [mallory]);
            }
        });

        it('transfers ownership in two steps and can cancel', async () => {
            const sys = await system(0, { genesis: false });
            const [a, b, c] = ctx.anvil.accounts;
            const r = sys.registry;
            await r.send(a, 'transferOwnership', [b]);
            assert.equal(await r.call('owner'), a);
            assert.equal(await r.call('pendingOwner'), b);
            await expectRevert(r.send(c, 'acceptOwnership', []), 'NotPendingOwner', [c]);
            const rc = await r.send(b, 'acceptOwnership', []);
            assert.deepEqual(rc.events[0].args, { previousOwner: a, newOwner: b });
            assert.equal(await r.call('owner'), b);
            assert.equal(await r.call('pendingOwner'), '0x' + '00'.repeat(20));
            await expectRevert(r.send(a, 'allow', [c]), 'NotOwner', [a]);
            await r.send(b, 'allow', [c]);
            await r.send(b, 'transferOwnership', [c]);
            await r.send(b, 'transferOwnership', ['0x' + '00'.repeat(20)]);
            await expectRevert(r.send(c, 'acceptOwnership', []), 'NotPendingOwner', [c]);
        });

        it('binds one EpochLog that names this registry, before genesis', async () => {
            const sys = await system(4, { genesis: false, bind: false });
            const other = await deploySystem(ctx.anvil, ctx.artifacts);
            const r = sys.registry;
            await expectRevert(r.send(sys.owner, 'startGenesis', []), 'EpochLogNotBound');
            await expectRevert(r.send(sys.owner, 'setEpochLog', ['0x' + '00'.repeat(20)]), 'ZeroAddress');
            await expectRevert(r.send(sys.owner, 'setEpochLog', [other.epochLog.address]), 'EpochLogMismatch',
                [other.epochLog.address]);
            await r.send(sys.owner, 'setEpochLog', [sys.epochLog.address]);
            assert.equal(await r.call('epochLog'), sys.epochLog.address);
            await expectRevert(r.send(sys.owner, 'setEpochLog', [sys.epochLog.address]), 'EpochLogAlreadyBound',
                [sys.epochLog.address]);
            await r.send(sys.owner, 'startGenesis', []);
        });
    });

    describe('registration', () => {
        it('needs the allowlist, non-zero keys and bounded URLs, once', async () => {
            const sys = await system(0, { genesis: false });
            const r = sys.registry;
            const [owner, a] = ctx.anvil.accounts;
            const reg = (ed, x, p = 'http://p', u = 'http://u') => r.send(a, 'register', [ed, x, p, u]);
            await expectRevert(reg(H('e'), H('x')), 'NotAllowed', [a]);
            await expectRevert(r.send(owner, 'allow', ['0x' + '00'.repeat(20)]), 'ZeroAddress');
            await r.send(owner, 'allow', [a]);
            await expectRevert(r.send(owner, 'allow', [a]), 'AlreadyAllowed', [a]);
            await expectRevert(reg('0x' + '00'.repeat(32), H('x')), 'ZeroKey');
            await expectRevert(reg(H('e'), '0x' + '00'.repeat(32)), 'ZeroKey');
            await expectRevert(reg(H('e'), H('x'), ''), 'InvalidUrl', [0, 0]);
            await expectRevert(reg(H('e'), H('x'), 'p', 'u'.repeat(257)), 'InvalidUrl', [1, 257]);
            const rc = await reg(H('e'), H('x'), 'p'.repeat(256), 'https://app.example/ünïcode');
            assert.deepEqual(rc.events.map((e) => e.name), ['EpochKeySet', 'OperatorRegistered']);
            await expectRevert(reg(H('e'), H('x2')), 'AlreadyRegistered', [a]);
            assert.deepEqual(await r.call('operatorInfo', [a]),
                [true, true, H('e'), H('x'), 'p'.repeat(256), 'https://app.example/ünïcode']);
            assert.equal(await r.call('activeCount'), 1n);
        });

        it('holds at most 64 operators', async () => {
            const sys = await system(0, { genesis: false });
            const accounts = ctx.anvil.accounts.slice(1, 66);
            await registerAll(sys, accounts.slice(0, 64));
            assert.equal(await sys.registry.call('activeCount'), 64n);
            const infos = await sys.registry.call('getNodeInfos');
            assert.deepEqual(infos.map((i) => i[0]), sorted(accounts.slice(0, 64)));
            const last = accounts[64];
            await sys.registry.send(sys.owner, 'allow', [last]);
            await expectRevert(sys.registry.send(last, 'register', [edKey(last), xKey(last), 'p', 'a']),
                'TooManyOperators', [64]);
        });

        it('rotates epoch keys, refuses the previous value and answers by block', async () => {
            const sys = await system(4, { genesis: false });
            const r = sys.registry;
            const o = sys.ops[0];
            const b0 = await ctx.anvil.blockNumber();
            await expectRevert(r.send(o, 'setEpochKey', [xKey(o)]), 'EpochKeyReused', [xKey(o)]);
            await expectRevert(r.send(o, 'setEpochKey', ['0x' + '00'.repeat(32)]), 'ZeroKey');
            await expectRevert(r.send(ctx.anvil.accounts[30], 'setEpochKey', [H('k')]), 'NotRegistered',
                [ctx.anvil.accounts[30]]);
            const b1 = (await r.send(o, 'setEpochKey', [xKey(o, 1)])).blockNumber;
            await ctx.anvil.mineTo(b1 + 3);
            const b2 = (await r.send(o, 'setEpochKey', [xKey(o, 2)])).blockNumber;
            // Going back to an older, non-current key is allowed: only the previous value is.
            const b3 = (await r.send(o, 'setEpochKey', [xKey(o, 1)])).blockNumber;
            const at = (b) => r.call('epochKeyAt', [o, b]);
            assert.equal(await at(b0), xKey(o));
            assert.equal(await at(b1 - 1), xKey(o));
            assert.equal(await at(b1), xKey(o, 1));
            assert.equal(await at(b2 - 1), xKey(o, 1));
            assert.equal(await at(b2), xKey(o, 2));
            assert.equal(await at(b3), xKey(o, 1));
            assert.equal(await at(0), '0x' + '00'.repeat(32));
            await expectRevert(at(b3 + 1), 'FutureBlock', [b3 + 1]);
            const [xs, eds] = await r.call('keysAt', [[o, sys.ops[1]], b2]);
            assert.deepEqual(xs, [xKey(o, 2), xKey(sys.ops[1])]);
            assert.deepEqual(eds, [edKey(o), edKey(sys.ops[1])]);
        });

        it('updates URLs and the Ed25519 key (checkpointed) of a registered operator', async () => {
            const sys = await system(4, { genesis: false });
            const r = sys.registry;
            const o = sys.ops[2];
            const before = await ctx.anvil.blockNumber();
            await expectRevert(r.send(ctx.anvil.accounts[30], 'update', [H('e'), 'p', 'a']), 'NotRegistered',
                [ctx.anvil.accounts[30]]);
            await expectRevert(r.send(o, 'update', ['0x' + '00'.repeat(32), 'p', 'a']), 'ZeroKey');
            await expectRevert(r.send(o, 'update', [H('e2'), 'p', '']), 'InvalidUrl', [1, 0]);
            const rc = await r.send(o, 'update', [H('e2'), 'http://new-peer', 'http://new-app']);
            assert.equal(rc.events[0].name, 'OperatorUpdated');
            const info = await r.call('operatorInfo', [o]);
            assert.deepEqual(info.slice(2), [H('e2'), xKey(o), 'http://new-peer', 'http://new-app']);
            assert.deepEqual((await r.call('keysAt', [[o], before]))[1], [edKey(o)]);
            assert.deepEqual((await r.call('keysAt', [[o], rc.blockNumber]))[1], [H('e2')]);
            const old = await r.call('getNodeInfosAt', [before]);
            assert.deepEqual(old.find((i) => i[0] === o), [o, edKey(o), xKey(o), 'http://new-peer', 'http://new-app']);
        });

        it('keeps membership history across deregistration and re-registration', async () => {
            const sys = await system(5, { genesis: false });
            const r = sys.registry;
            const [o0, o1] = sys.ops;
            const b0 = await ctx.anvil.blockNumber();
            const b1 = (await r.send(o1, 'deregister', [])).blockNumber;
            await expectRevert(r.send(o1, 'deregister', []), 'NotRegistered', [o1]);
            await expectRevert(r.send(o1, 'register', [edKey(o1), xKey(o1), 'p', 'a']), 'EpochKeyReused', [xKey(o1)]);
            const b2 = (await r.send(o1, 'register', [edKey(o1), xKey(o1, 9), 'p', 'a'])).blockNumber;
            const b3 = (await r.send(sys.owner, 'eject', [o0])).blockNumber;
            await expectRevert(r.send(sys.owner, 'eject', [o0]), 'NotAllowed', [o0]);
            await expectRevert(r.send(o0, 'register', [edKey(o0), xKey(o0, 5), 'p', 'a']), 'NotAllowed', [o0]);
            const at = async (b) => r.call('operatorsAt', [b]);
            assert.deepEqual(await at(b0), sys.ops);
            assert.deepEqual(await at(b1), sys.ops.filter((x) => x !== o1));
            assert.deepEqual(await at(b2), sys.ops);
            assert.deepEqual(await at(b3), sys.ops.filter((x) => x !== o0));
            assert.deepEqual(await at(0), []);
            assert.equal(await r.call('isAllowed', [o0]), false);
            assert.equal(await r.call('isActive', [o0]), false);
            assert.equal(await r.call('activeCount'), 4n);
            await expectRevert(at(b3 + 1), 'FutureBlock', [b3 + 1]);
            await expectRevert(r.call('getNodeInfosAt', [b3 + 1]), 'FutureBlock', [b3 + 1]);
        });
    });

    describe('guards', () => {
        it('never brings a set at or above min_operators below it', async () => {
            const sys = await system(5, { genesis: false });
            const r = sys.registry;
            await r.send(sys.ops[0], 'deregister', []);
            await expectRevert(r.send(sys.ops[1], 'deregister', []), 'BelowMinOperators', [3, 4]);
            await expectRevert(r.send(sys.owner, 'eject', [sys.ops[1]]), 'BelowMinOperators', [3, 4]);
            // A set already below the minimum may still shrink.
            const small = await system(3, { genesis: false });
            await small.registry.send(small.ops[0], 'deregister', []);
            assert.equal(await small.registry.call('activeCount'), 2n);
        });

        it('freezes joins and leaves between the cutoff and the next trigger after genesis', async () => {
            const sys = await system(6, { genesis: false });
            const r = sys.registry;
            const [a, b, c] = ctx.anvil.accounts.slice(40, 43);
            for (const x of [a, b, c]) await r.send(sys.owner, 'allow', [x]);
            // Before genesis nothing is frozen.
            await ctx.anvil.mineTo(60);
            assert.equal(await r.call('frozenUntil'), 0n);
            await r.send(a, 'register', [edKey(a), xKey(a), 'p', 'u']);
            await r.send(sys.owner, 'startGenesis', []); // block 62, offset 22 > open = 20
            assert.equal(await r.call('frozenUntil'), 80n);
            await expectRevert(r.send(b, 'register', [edKey(b), xKey(b), 'p', 'u']), 'MembershipFrozen', [80]);
            await expectRevert(r.send(a, 'deregister', []), 'MembershipFrozen', [80]);
            await expectRevert(r.send(sys.owner, 'eject', [a]), 'MembershipFrozen', [80]);
            // Not membership changes: allowed while frozen.
            await r.send(a, 'setEpochKey', [xKey(a, 1)]);
            await r.send(a, 'update', [edKey(a), 'p2', 'u2']);
            await r.send(sys.owner, 'eject', [c]); // allow-listed only
            await r.send(sys.owner, 'allow', [c]);
            // The last frozen block is 79; the trigger block 80 is open again.
            await ctx.anvil.mineTo(78);
            await expectRevert(r.send(b, 'register', [edKey(b), xKey(b), 'p', 'u']), 'MembershipFrozen', [80]);
            await ctx.anvil.mineTo(79);
            assert.equal((await r.send(b, 'register', [edKey(b), xKey(b), 'p', 'u'])).blockNumber, 80);
            // Open until the cutoff B + open = 100 (inclusive), frozen from 101.
            await ctx.anvil.mineTo(99);
            assert.equal((await r.send(a, 'deregister', [])).blockNumber, 100);
            await expectRevert(r.send(c, 'register', [edKey(c), xKey(c), 'p', 'u']), 'MembershipFrozen', [120]);
        });

        it('protects live holders of the newest and the next retained version', async () => {
            // 6 operators (t' = 4, min 4). Epoch 1 (DKG): D(1) = o0..o4, all confirm; live
            // holders of v1 are o0..o4 (5 = t(1) + 1). Epoch 2 (reshare from 1):
            // D(2) = o1..o5, all confirm; live holders of v2 are o1..o5.
            const sys = await system(6);
            const r = sys.registry;
            const ops = sys.ops;
            const [o0, o1, o2, o3, o4, o5] = ops;
            await runFinalized(sys, 1, [o0, o1, o2, o3, o4]);
            assert.deepEqual(await sys.epochLog.call('guardedVersions'), [1n]);
            assert.deepEqual(await sys.epochLog.call('liveHolderCandidates', [1]), [[o0, o1, o2, o3, o4], 4n]);
            await ctx.anvil.mineTo(80);
            await expectRevert(r.send(o0, 'deregister', []), 'LiveHolderGuard', [1, 5, 5]);
            await expectRevert(r.send(sys.owner, 'eject', [o4]), 'LiveHolderGuard', [1, 5, 5]);

            await runFinalized(sys, 2, [o1, o2, o3, o4, o5]);
            assert.deepEqual(await sys.epochLog.call('retainedVersions'), [2n, 1n]);
            assert.deepEqual(await sys.epochLog.call('guardedVersions'), [2n, 1n]);
            await ctx.anvil.mineTo(120);
            // o0 holds only v1 (the next retained one); o5 holds only v2 (the newest).
            await expectRevert(r.send(o0, 'deregister', []), 'LiveHolderGuard', [1, 5, 5]);
            await expectRevert(r.send(o5, 'deregister', []), 'LiveHolderGuard', [2, 5, 5]);
            // A non-holder may always leave.
            const x = ctx.anvil.accounts[40];
            await registerAll(sys, [x]);
            await r.send(x, 'deregister', []);

            // Epoch 3 reshares from v2 (M = 2): v1 leaves C and is no longer guarded.
            await runFinalized(sys, 3, [o1, o2, o3, o4, o5]);
            assert.deepEqual(await sys.epochLog.call('retainedVersions'), [3n, 2n]);
            await ctx.anvil.mineTo(160);
            await r.send(o0, 'deregister', []);
            // Holders of v3 and v2: 5 each, t = 4 -> nobody else may leave.
            await expectRevert(r.send(o1, 'deregister', []), 'LiveHolderGuard', [3, 5, 5]);
        });
    });

    describe('protocol version', () => {
        it('schedules increasing versions from future epochs', async () => {
            const sys = await system(0, { genesis: false });
            const r = sys.registry;
            assert.equal(await r.call('protocolVersion'), 1n);
            const head = await ctx.anvil.blockNumber(); // < 40: epoch 1's trigger is in the future
            assert.ok(head < 39);
            await expectRevert(r.send(sys.owner, 'setProtocolVersion', [2, 0]), 'EpochNotInFuture', [0]);
            const rc = await r.send(sys.owner, 'setProtocolVersion', [2, 3]);
            assert.deepEqual(rc.events[0].args, { version: 2n, fromEpoch: 3n });
            await expectRevert(r.send(sys.owner, 'setProtocolVersion', [2, 5]), 'ProtocolVersionNotIncreasing', [2, 2]);
            await expectRevert(r.send(sys.owner, 'setProtocolVersion', [3, 3]), 'ProtocolEpochNotIncreasing', [3, 3]);
            await r.send(sys.owner, 'setProtocolVersion', [5, 4]);
            assert.deepEqual(await r.call('protocolVersions'), [[1n, 2n, 5n], [0n, 3n, 4n]]);
            for (const [e, v] of [[0, 1], [2, 1], [3, 2], [4, 5], [99, 5]]) {
                assert.equal(await r.call('protocolVersionAt', [e]), BigInt(v));
            }
            // The trigger block itself is no longer the future.
            await ctx.anvil.mineTo(199);
            await expectRevert(r.send(sys.owner, 'setProtocolVersion', [6, 5]), 'EpochNotInFuture', [5]);
            await ctx.anvil.mineTo(200);
            assert.equal(await r.call('protocolVersion'), 5n);
        });
    });
});

/** Runs epoch `e` with `dealers`; every operator of O confirms the same (mpk, hash, D). */
async function runFinalized(sys, e, dealers) {
    const st = await runToConfirm(sys, e, { dealers });
    const D = bitmapOf(st.ops, dealers);
    await inOneBlock(sys, () => Promise.all(st.ops.map((o) =>
        sendPending(sys.epochLog, o, 'confirm', [e, mpkFor('m'), keccak(`s${e}`), D]))));
    assert.equal(await sys.epochLog.call('finalizedVersion'), BigInt(e));
}
