// EpochLog against anvil: activity (before startGenesis), every phase's deadline edges (the
// last valid block and the first invalid one), double submission, the §4.3 record hash,
// ack bitmaps, the opening cap, confirm refusals, tallies and ties for n = 1..10, the MPK
// rules, the §4.6 source-version fallback against an independent model, and the snapshot
// "as of the trigger block".
import assert from 'node:assert/strict';
import { describe, it, before } from 'node:test';
import { useAnvil, expectRevert } from './lib/testing.mjs';
import { keccak } from './lib/abi.mjs';
import { sendPending } from './lib/chain.mjs';
import {
    PARAMS, DKG_SOURCE, FR_MODULUS, IDENTITY_MPK, bitmapOf, commitmentsFor, dealAndReveal,
    dealingFor, deploySystem, deployWithOperators, frHex, inOneBlock, mpkFor, operatorAccounts,
    recordHash, registerAll, runEpoch, runToConfirm, sorted, thresholds, trigger, xKey,
} from './lib/kms.mjs';

const ctx = {};
const H = (s) => keccak(s);
const fr = frHex;
/** Base system for most tests: 7 operators (t' = 5, f = 2, r = 2), genesis started. */
let base;

describe('EpochLog', () => {
useAnvil(ctx, { accounts: 24 });
before(async () => {
    base = await deploySystem(ctx.anvil, ctx.artifacts);
    await registerAll(base, operatorAccounts(ctx.anvil, 7));
    await base.registry.send(base.owner, 'startGenesis', []);
    base.ops = sorted(operatorAccounts(ctx.anvil, 7));
});

const freshSystem = (n, params = PARAMS, { genesis = true } = {}) =>
    deployWithOperators(ctx.anvil, ctx.artifacts, n, { params, genesis });

describe('activity', () => {
    it('every phase call reverts before startGenesis, and for triggers before it', async () => {
        const sys = await freshSystem(4, PARAMS, { genesis: false });
        const [o0] = sys.ops;
        await ctx.anvil.mineTo(40);
        assert.equal(await sys.epochLog.call('epochActive', [1]), false);
        await expectRevert(sys.epochLog.send(o0, 'commitDealing', [1, H('r')]), 'EpochBeforeGenesis', [1]);
        await expectRevert(sys.epochLog.call('epochSnapshot', [1]), 'EpochBeforeGenesis', [1]);
        await expectRevert(sys.epochLog.send(o0, 'snapshotEpoch', [1]), 'EpochBeforeGenesis', [1]);
        // startGenesis mined in block 42 > B = 40: epoch 1 stays inactive, epoch 2 is active.
        await sys.registry.send(sys.owner, 'startGenesis', []);
        await expectRevert(sys.epochLog.send(o0, 'commitDealing', [1, H('r')]), 'EpochBeforeGenesis', [1]);
        await ctx.anvil.mineTo(80);
        assert.equal(await sys.epochLog.call('epochActive', [2]), true);
        const r = await sys.epochLog.send(o0, 'commitDealing', [2, H('r')]);
        assert.deepEqual(r.events.map((e) => e.name), ['EpochSnapshotted', 'DealingCommitted']);
    });

    it('a startGenesis mined in the trigger block activates that epoch', async () => {
        const sys = await freshSystem(4, PARAMS, { genesis: false });
        await ctx.anvil.mineTo(79);
        const g = await sys.registry.send(sys.owner, 'startGenesis', []);
        assert.equal(g.blockNumber, 80);
        assert.equal(g.events[0].args.firstEpoch, 2n);
        assert.equal(await sys.epochLog.call('epochActive', [2]), true);
        assert.equal(await sys.epochLog.call('epochActive', [1]), false);
        await sys.epochLog.send(sys.ops[0], 'commitDealing', [2, H('r')]);
    });

    it('startGenesis is refused below min_operators and is one-shot', async () => {
        const sys = await freshSystem(3, PARAMS, { genesis: false });
        await expectRevert(sys.registry.send(sys.owner, 'startGenesis', []), 'BelowMinOperators', [3, 4]);
        await registerAll(sys, [ctx.anvil.accounts[10]]);
        const g = await sys.registry.send(sys.owner, 'startGenesis', []);
        await expectRevert(sys.registry.send(sys.owner, 'startGenesis', []), 'GenesisAlreadyStarted',
            [g.blockNumber]);
    });

    it('epoch numbers whose deadlines overflow 64 bits are refused', async () => {
        const huge = (1n << 64n) / 40n;
        await expectRevert(base.epochLog.call('deadlines', [huge]), 'EpochOutOfRange', [huge]);
        await expectRevert(base.epochLog.send(base.ops[0], 'commitDealing', [huge, H('r')]),
            'EpochOutOfRange', [huge]);
    });

    it('views of a future epoch say it is not triggered', async () => {
        assert.equal(await base.epochLog.call('epochActive', [5]), false);
        await expectRevert(base.epochLog.call('epochSnapshot', [5]), 'EpochNotTriggered', [5, 200]);
        await expectRevert(base.epochLog.send(base.owner, 'snapshotEpoch', [5]), 'EpochNotTriggered', [5, 200]);
    });
});

describe('deadlines', () => {
    it('every phase accepts its first and last block and refuses the blocks outside', async () => {
        const { anvil } = ctx;
        const { epochLog, ops } = base;
        const [o0, o1, o2, o3, o4, o5, o6] = ops;
        const e = 1;
        const dl = (await epochLog.call('deadlines', [e])).map(Number);
        assert.deepEqual(dl, [40, 45, 50, 55, 60, 65]);
        const land = async (from, name, args, block) => {
            const r = await epochLog.send(from, name, args);
            assert.equal(r.blockNumber, block, `${name} landed in ${r.blockNumber}`);
            return r;
        };

        // commit: 41 … 45
        await anvil.mineTo(39);
        await expectRevert(epochLog.send(o0, 'commitDealing', [e, H('early')]), 'PhaseNotStarted', [1, 41]);
        await anvil.mineTo(40);
        const deal = {};
        for (const o of ops) deal[o] = await dealingFor(base, e, o);
        await land(o0, 'commitDealing', [e, deal[o0].recordHash], 41);
        await inOneBlock(base, () => Promise.all([o1, o2, o3, o4, o5].map((o) =>
            sendPending(epochLog, o, 'commitDealing', [e, deal[o].recordHash]))));
        await anvil.mineTo(44);
        await expectRevert(epochLog.send(o0, 'revealDealing', [e, deal[o0].commitments, deal[o0].sealedHash]),
            'PhaseNotStarted', [2, 46]);
        await land(o6, 'commitDealing', [e, deal[o6].recordHash], 45);
        await expectRevert(epochLog.send(o0, 'commitDealing', [e, deal[o0].recordHash]), 'PhaseEnded', [1, 45]);

        // reveal: 46 … 50
        await land(o0, 'revealDealing', [e, deal[o0].commitments, deal[o0].sealedHash], 46);
        await inOneBlock(base, () => Promise.all([o1, o2, o3, o4, o5].map((o) =>
            sendPending(epochLog, o, 'revealDealing', [e, deal[o].commitments, deal[o].sealedHash]))));
        await anvil.mineTo(49);
        await expectRevert(epochLog.send(o0, 'ack', [e, 0]), 'PhaseNotStarted', [3, 51]);
        await land(o6, 'revealDealing', [e, deal[o6].commitments, deal[o6].sealedHash], 50);
        await expectRevert(epochLog.send(o0, 'revealDealing', [e, deal[o0].commitments, deal[o0].sealedHash]),
            'PhaseEnded', [2, 50]);

        // ack: 51 … 55. o6 leaves out o0, o5 leaves out o1: both must open.
        const all = bitmapOf(ops, ops);
        const bit = (o) => bitmapOf(ops, [o]);
        await land(o0, 'ack', [e, all], 51);
        await inOneBlock(base, () => Promise.all([o1, o2, o3, o4].map((o) =>
            sendPending(epochLog, o, 'ack', [e, all]))));
        await land(o5, 'ack', [e, all & ~bit(o1)], 53);
        await anvil.mineTo(54);
        await expectRevert(epochLog.send(o0, 'openShares', [e, [o6], [fr(11)]]), 'PhaseNotStarted', [4, 56]);
        await land(o6, 'ack', [e, all & ~bit(o0)], 55);
        await expectRevert(epochLog.send(o0, 'ack', [e, all]), 'PhaseEnded', [3, 55]);

        // open: 56 … 60
        await land(o0, 'openShares', [e, [o6], [fr(11)]], 56);
        await anvil.mineTo(59);
        await expectRevert(epochLog.send(o0, 'confirm', [e, mpkFor('a'), H('st'), all]),
            'PhaseNotStarted', [5, 61]);
        await land(o1, 'openShares', [e, [o5], [fr(55)]], 60);
        await expectRevert(epochLog.send(o2, 'openShares', [e, [o6], [fr(11)]]), 'PhaseEnded', [4, 60]);

        // confirm: 61 … 65; the fifth confirm (t' = 5) finalizes, a late one still counts.
        const mpk = mpkFor('a');
        await land(o0, 'confirm', [e, mpk, H('st'), all], 61);
        const rs = await inOneBlock(base, () => Promise.all([o1, o2, o3, o4].map((o) =>
            sendPending(epochLog, o, 'confirm', [e, mpk, H('st'), all]))));
        assert.ok(rs.some((r) => r.events.some((ev) => ev.name === 'EpochFinalized')));
        await anvil.mineTo(64);
        await land(o5, 'confirm', [e, mpk, H('st'), all], 65);
        await expectRevert(epochLog.send(o6, 'confirm', [e, mpk, H('st'), all]), 'PhaseEnded', [5, 65]);

        const p = await epochLog.call('epochProgress', [e]);
        assert.equal(p[4], true);
        assert.equal(p[7], bitmapOf(ops, [o0, o1, o2, o3, o4, o5]));
        assert.deepEqual(await epochLog.call('confirmers', [e]), [o0, o1, o2, o3, o4, o5]);
        assert.deepEqual(await epochLog.call('openedShares', [e, o1]), [[o5], [fr(55)]]);
    });
});

describe('phase calls', () => {
    it('refuses double submission in every phase', async () => {
        const { anvil } = ctx;
        const { epochLog, ops } = base;
        const [o0, o1, o2] = ops;
        const e = 1;
        await anvil.mineTo(40);
        const d0 = await dealingFor(base, e, o0);
        await epochLog.send(o0, 'commitDealing', [e, d0.recordHash]);
        await expectRevert(epochLog.send(o0, 'commitDealing', [e, d0.recordHash]), 'AlreadyCommitted', [e, o0]);
        await expectRevert(epochLog.send(o0, 'commitDealing', [e, H('other')]), 'AlreadyCommitted', [e, o0]);
        await runRest();

        async function runRest() {
            const deal = {};
            for (const o of ops.slice(1)) deal[o] = await dealingFor(base, e, o);
            await inOneBlock(base, () => Promise.all(ops.slice(1).map((o) =>
                sendPending(epochLog, o, 'commitDealing', [e, deal[o].recordHash]))));
            await anvil.mineTo(45);
            await epochLog.send(o0, 'revealDealing', [e, d0.commitments, d0.sealedHash]);
            await expectRevert(epochLog.send(o0, 'revealDealing', [e, d0.commitments, d0.sealedHash]),
                'AlreadyRevealed', [e, o0]);
            await inOneBlock(base, () => Promise.all(ops.slice(1, 6).map((o) =>
                sendPending(epochLog, o, 'revealDealing', [e, deal[o].commitments, deal[o].sealedHash]))));
            await anvil.mineTo(50);
            const revealed = bitmapOf(ops, ops.slice(0, 6));
            await epochLog.send(o1, 'ack', [e, revealed]);
            await expectRevert(epochLog.send(o1, 'ack', [e, revealed]), 'AlreadyAcked', [e, o1]);
            await expectRevert(epochLog.send(o1, 'ack', [e, 0]), 'AlreadyAcked', [e, o1]);
            await anvil.mineTo(55);
            await epochLog.send(o0, 'openShares', [e, [o2], [fr(1)]]);
            await expectRevert(epochLog.send(o0, 'openShares', [e, [o2], [fr(1)]]), 'ShareAlreadyOpened', [o2]);
            await expectRevert(epochLog.send(o1, 'openShares', [e, [o2, o2], [fr(1), fr(2)]]),
                'ShareAlreadyOpened', [o2]);
            await anvil.mineTo(60);
            await epochLog.send(o0, 'confirm', [e, mpkFor('a'), H('st'), revealed]);
            await expectRevert(epochLog.send(o0, 'confirm', [e, mpkFor('a'), H('st'), revealed]),
                'AlreadyConfirmed', [e, o0]);
            await expectRevert(epochLog.send(o0, 'confirm', [e, mpkFor('b'), H('other'), revealed]),
                'AlreadyConfirmed', [e, o0]);
        }
    });

    it('recomputes the §4.3 record hash and refuses any difference', async () => {
        const { anvil } = ctx;
        const { epochLog, ops } = base;
        const [o0, o1] = ops;
        const e = 1;
        await anvil.mineTo(40);
        const [, , , t, , source] = await epochLog.call('epochSnapshot', [e]);
        assert.equal(t, 5n);
        assert.equal(source, DKG_SOURCE);
        const commitments = commitmentsFor(5, 'x');
        const sealedHash = H('sealed');
        const want = recordHash({ chainId: base.chainId, epochLog: epochLog.address, epoch: e,
            dealer: o0, source, t, commitments, sealedHash });
        const commitmentsHash = '0x' + Buffer.from(
            (await import('@noble/hashes/sha2.js')).sha256(Buffer.from(commitments.slice(2), 'hex')),
        ).toString('hex');
        assert.equal(await epochLog.call('recordHashOf', [e, o0, source, t, commitmentsHash, sealedHash]), want);
        await epochLog.send(o0, 'commitDealing', [e, want]);
        await epochLog.send(o1, 'commitDealing', [e, want]); // someone else's record: the dealer is hashed
        await expectRevert(epochLog.send(o0, 'revealDealing', [e, commitments, H('sealed')]),
            'PhaseNotStarted', [2, 46]);
        await anvil.mineTo(45);
        await expectRevert(epochLog.send(o0, 'revealDealing', [e, commitments.slice(0, -192), sealedHash]),
            'CommitmentsLength', [96 * 4, 96 * 5]);
        await expectRevert(epochLog.send(o0, 'revealDealing', [e, commitments + 'ab', sealedHash]),
            'CommitmentsLength', [96 * 5 + 1, 96 * 5]);
        const wrongSealed = recordHash({ chainId: base.chainId, epochLog: epochLog.address, epoch: e,
            dealer: o0, source, t, commitments, sealedHash: H('other') });
        await expectRevert(epochLog.send(o0, 'revealDealing', [e, commitments, H('other')]),
            'RecordHashMismatch', [want, wrongSealed]);
        await expectRevert(epochLog.send(o0, 'revealDealing', [e, commitmentsFor(5, 'y'), sealedHash]),
            'RecordHashMismatch');
        await expectRevert(epochLog.send(o1, 'revealDealing', [e, commitments, sealedHash]),
            'RecordHashMismatch');
        await expectRevert(epochLog.send(ops[2], 'revealDealing', [e, commitments, sealedHash]),
            'NotCommitted', [e, ops[2]]);
        const r = await epochLog.send(o0, 'revealDealing', [e, commitments, sealedHash]);
        const ev = r.events.find((x) => x.name === 'DealingRevealed');
        assert.equal(ev.args.commitments, commitments);
        assert.equal(ev.args.commitmentsHash, commitmentsHash);
        const [records, hashes] = await epochLog.call('dealings', [e]);
        assert.equal(records[0], want);
        assert.equal(hashes[0], commitmentsHash);
    });

    it('refuses callers outside the epoch operator set', async () => {
        const { anvil } = ctx;
        const outsider = anvil.accounts[20];
        await anvil.mineTo(40);
        await expectRevert(base.epochLog.send(outsider, 'commitDealing', [1, H('r')]), 'NotOperator', [1, outsider]);
        await expectRevert(base.epochLog.send(base.owner, 'commitDealing', [1, H('r')]), 'NotOperator',
            [1, base.owner]);
        // Registered after the trigger: not in epoch 1's O, in epoch 2's.
        await registerAll(base, [outsider]);
        await expectRevert(base.epochLog.send(outsider, 'commitDealing', [1, H('r')]), 'NotOperator', [1, outsider]);
        await anvil.mineTo(80);
        await base.epochLog.send(outsider, 'commitDealing', [2, H('r')]);
    });

    it('accepts only ack bitmaps of revealed dealers', async () => {
        const { epochLog, ops } = base;
        await dealAndReveal(base, 1, ops.slice(0, 5));
        const revealed = bitmapOf(ops, ops.slice(0, 5));
        await expectRevert(epochLog.send(ops[0], 'ack', [1, revealed | bitmapOf(ops, [ops[5]])]),
            'AckBitmapInvalid', [revealed | bitmapOf(ops, [ops[5]]), revealed]);
        await expectRevert(epochLog.send(ops[0], 'ack', [1, 1n << 7n]), 'AckBitmapInvalid', [1n << 7n, revealed]);
        await expectRevert(epochLog.send(ops[0], 'ack', [1, 1n << 255n]), 'AckBitmapInvalid');
        await epochLog.send(ops[0], 'ack', [1, 0]);
        await epochLog.send(ops[1], 'ack', [1, revealed]);
        const acks = await epochLog.call('acks', [1]);
        assert.deepEqual(acks, [0n, revealed, 0n, 0n, 0n, 0n, 0n]);
        const p = await epochLog.call('epochProgress', [1]);
        assert.equal(p[2], 3n); // acked: o0 and o1
    });

    it('caps openings at r per dealer and checks each opening', async () => {
        const { anvil } = ctx;
        const { epochLog, ops } = base;
        const e = 1;
        const [o0, o1, o2, o3, o4, o5, o6] = ops;
        await dealAndReveal(base, e, ops.slice(0, 6));
        const revealed = bitmapOf(ops, ops.slice(0, 6));
        const no0 = revealed & ~bitmapOf(ops, [o0]);
        // o1, o2, o3 do not ack o0; o4, o5 ack everyone; o6 never acks.
        await inOneBlock(base, () => Promise.all([
            ...[o1, o2, o3].map((o) => sendPending(epochLog, o, 'ack', [e, no0])),
            ...[o0, o4, o5].map((o) => sendPending(epochLog, o, 'ack', [e, revealed]))]));
        await anvil.mineTo(55);
        assert.equal((await epochLog.call('epochSnapshot', [e]))[4], 2n);
        await expectRevert(epochLog.send(o0, 'openShares', [e, [o1, o2, o3], [fr(1n), fr(2n), fr(3n)]]),
            'OpeningCapExceeded', [3, 2]);
        await expectRevert(epochLog.send(o0, 'openShares', [e, [o1], [fr(FR_MODULUS)]]), 'ShareNotCanonical', [o1]);
        await expectRevert(epochLog.send(o0, 'openShares', [e, [o4], [fr(1n)]]), 'OpeningNotNeeded', [o4]);
        await expectRevert(epochLog.send(o0, 'openShares', [e, [anvil.accounts[20]], [fr(1n)]]), 'UnknownPlayer',
            [anvil.accounts[20]]);
        await expectRevert(epochLog.send(o0, 'openShares', [e, [o1, o2], [fr(1n)]]), 'LengthMismatch', [2, 1]);
        await expectRevert(epochLog.send(o0, 'openShares', [e, [], []]), 'NoShares');
        await expectRevert(epochLog.send(o6, 'openShares', [e, [o1], [fr(1n)]]), 'NotRevealed', [e, o6]);
        await epochLog.send(o0, 'openShares', [e, [o1], [fr(FR_MODULUS - 1n)]]);
        await epochLog.send(o0, 'openShares', [e, [o6], [fr(0n)]]); // never acked: may be opened
        await expectRevert(epochLog.send(o0, 'openShares', [e, [o2], [fr(2n)]]), 'OpeningCapExceeded', [3, 2]);
        // Another dealer has its own budget; o0's own missing ack is still coverable by others.
        await epochLog.send(o1, 'openShares', [e, [o6], [fr(7n)]]);
        assert.deepEqual(await epochLog.call('openedShares', [e, o0]), [[o1, o6], [fr(FR_MODULUS - 1n), fr(0n)]]);
        const openings = await epochLog.call('openings', [e]);
        assert.equal(openings[0], bitmapOf(ops, [o1, o6]));
        assert.equal(openings[1], bitmapOf(ops, [o6]));
    });

    it('refuses confirms without enough dealers, with a bad MPK or a bad dealer set', async () => {
        const { anvil } = ctx;
        const { epochLog, ops } = base;
        const e = 1;
        await dealAndReveal(base, e, ops.slice(0, 4));
        await anvil.mineTo(60);
        const four = bitmapOf(ops, ops.slice(0, 4));
        await expectRevert(epochLog.send(ops[0], 'confirm', [e, mpkFor('a'), H('s'), four]), 'TooFewDealers', [4, 5]);
        // Same checks with enough dealers, in the next epoch.
        const e2 = 2;
        await dealAndReveal(base, e2, ops.slice(0, 6));
        await anvil.mineTo(100);
        const six = bitmapOf(ops, ops.slice(0, 6));
        const c = (mpk, d = six) => epochLog.send(ops[0], 'confirm', [e2, mpk, H('s'), d]);
        await expectRevert(c(IDENTITY_MPK), 'MpkIdentity');
        await expectRevert(c('0xe0' + '00'.repeat(95)), 'MpkIdentity');
        await expectRevert(c('0x13' + '11'.repeat(95)), 'MpkNotCompressed');
        await expectRevert(c(mpkFor('a').slice(0, -2)), 'MpkLength', [95]);
        await expectRevert(c(mpkFor('a') + '00'), 'MpkLength', [97]);
        await expectRevert(c(mpkFor('a'), six | bitmapOf(ops, [ops[6]])), 'DealerSetInvalid',
            [six | bitmapOf(ops, [ops[6]]), six]);
        await expectRevert(c(mpkFor('a'), four), 'DealerSetTooSmall', [4, 5]);
        await c(mpkFor('a'));
        const [ok, key] = await epochLog.call('confirmation', [e2, ops[0]]);
        assert.equal(ok, true);
        const { sha256 } = await import('@noble/hashes/sha2.js');
        const want = '0x' + Buffer.from(sha256(Buffer.from(mpkFor('a').slice(2) + H('s').slice(2)
            + six.toString(16).padStart(64, '0'), 'hex'))).toString('hex');
        assert.equal(key, want);
        assert.deepEqual(await epochLog.call('tally', [e2, key]), [1n, 1n]);
    });
});

/** Wider windows: up to 10 sequential confirms must fit the confirm window. */
const SWEEP_PARAMS = { interval: 80, commit: 10, reveal: 20, ack: 30, open: 40, confirm: 60,
    confirmations: 1, minOperators: 1, k: 2 };

describe('tallies and thresholds, n = 1..10', () => {
    for (let n = 1; n <= 10; n++) {
        it(`n = ${n}: t' = ${thresholds(n).t}, r = ${thresholds(n).r}`, async () => {
            const { anvil } = ctx;
            const { t, r } = thresholds(n);
            const sys = await freshSystem(n, SWEEP_PARAMS);
            const { epochLog, ops } = sys;
            const mpk = mpkFor(`n${n}`);

            // Epoch 1: votes spread so that no key reaches t' (a tie for even n). The epoch
            // fails; nothing is finalized.
            if (t > 1) {
                const st = await runToConfirm(sys, 1);
                assert.equal(st.t, t);
                assert.equal(st.r, r);
                const keyOf = (i) => H(`tie:${Math.floor(i / (t - 1))}`);
                await inOneBlock(sys, () => Promise.all(ops.map((o, i) =>
                    sendPending(epochLog, o, 'confirm', [1, mpk, keyOf(i), st.dealerBitmap]))));
                const p = await epochLog.call('epochProgress', [1]);
                assert.equal(p[3], (1n << BigInt(n)) - 1n, 'everyone confirmed');
                assert.equal(p[4], false, 'no key reached t\'');
                assert.equal(await epochLog.call('finalizedVersion'), 0n);
                assert.equal(await epochLog.call('masterPublicKey'), '0x');
            }

            // Epoch 2: still a DKG. o0 gets no ack from anyone and opens r shares (r + 1 is
            // refused); then t' − 1 confirms of key A, one of key B, and the t'-th A finalizes.
            const B2 = trigger(sys, 2);
            await anvil.mineTo(B2);
            assert.equal(await epochLog.call('sourceVersion', [2]), DKG_SOURCE);
            const st = await runToConfirmWithout0(sys, 2);
                await expectRevert(epochLog.send(ops[0], 'openShares', [2, ops.slice(0, r + 1),
                ops.slice(0, r + 1).map((_, i) => fr(BigInt(i)))]), 'OpeningCapExceeded', [r + 1, r]);
            if (r > 0) {
                await epochLog.send(ops[0], 'openShares',
                    [2, ops.slice(0, r), ops.slice(0, r).map((_, i) => fr(BigInt(i)))]);
            }
            await anvil.mineTo(B2 + sys.params.open);
            const A = H('A');
            for (let i = 0; i < t - 1; i++) {
                const rc = await epochLog.send(ops[i], 'confirm', [2, mpk, A, st.dealerBitmap]);
                assert.ok(!rc.events.some((x) => x.name === 'EpochFinalized'));
                assert.equal(rc.events[0].args.tally, BigInt(i + 1));
            }
            let next = t - 1;
            if (n - t >= 1) {
                await epochLog.send(ops[next++], 'confirm', [2, mpk, H('B'), st.dealerBitmap]);
                assert.equal((await epochLog.call('epochProgress', [2]))[4], false);
            }
            const fin = await epochLog.send(ops[next++], 'confirm', [2, mpk, A, st.dealerBitmap]);
            const names = fin.events.map((x) => x.name);
            assert.deepEqual(names, ['Confirmed', 'MasterPublicKeySet', 'EpochFinalized', 'RetainedSetChanged']);
            const winners = [...ops.slice(0, t - 1), ops[next - 1]];
            for (; next < n; next++) {
                await epochLog.send(ops[next], 'confirm', [2, mpk, A, st.dealerBitmap]);
                winners.push(ops[next]);
            }
            assert.equal(await epochLog.call('finalizedVersion'), 2n);
            assert.equal(await epochLog.call('winningStateHash', [2]), A);
            assert.equal(await epochLog.call('masterPublicKey'), mpk);
            assert.deepEqual(await epochLog.call('confirmers', [2]), sorted(winners));
            assert.deepEqual(await epochLog.call('dealerSet', [2]), ops.slice(0, Number(st.dealers)));
            assert.deepEqual(await epochLog.call('retainedVersions'), [2n]);
            assert.deepEqual(await epochLog.call('versionInfo', [2]),
                [true, BigInt(fin.blockNumber), BigInt(t), DKG_SOURCE, A]);
        });
    }
});

/** Every operator deals; every player acks every dealer except o0 (so o0 must open, even
 *  with n = 1). Head at B + ack. */
async function runToConfirmWithout0(sys, e) {
    const { ops } = sys;
    await dealAndReveal(sys, e, ops);
    const all = bitmapOf(ops, ops);
    await inOneBlock(sys, () => Promise.all(ops.map((o) =>
        sendPending(sys.epochLog, o, 'ack', [e, all & ~1n]))));
    await ctx.anvil.mineTo(trigger(sys, e) + sys.params.ack);
    return { dealerBitmap: all, dealers: ops.length };
}

describe('MPK and reshare rules', () => {
    it('later finalizations must carry the stored MPK', async () => {
        const { epochLog, ops } = base;
        await runEpoch(base, 1, { mpk: mpkFor('one') });
        assert.equal(await epochLog.call('masterPublicKey'), mpkFor('one'));
        const st = await runToConfirm(base, 2);
        assert.equal(st.source, 1n);
        await expectRevert(epochLog.send(ops[0], 'confirm', [2, mpkFor('two'), H('s'), st.dealerBitmap]),
            'MpkMismatch');
        for (const o of ops.slice(0, 5)) await epochLog.send(o, 'confirm', [2, mpkFor('one'), H('s'), st.dealerBitmap]);
        assert.equal(await epochLog.call('finalizedVersion'), 2n);
        assert.equal(await epochLog.call('masterPublicKey'), mpkFor('one'));
        assert.deepEqual(await epochLog.call('retainedVersions'), [2n, 1n]);
    });
});

describe('source version (protocol §4.6)', () => {
    it('follows C[(f_e / k) mod |C|] through failures, fallbacks and retention', async () => {
        const sys = await freshSystem(4); // k = 2
        const { epochLog, registry } = sys;
        const model = new SourceModel(2);
        const finalizeAt = new Set([1, 2, 7, 9, 12]);
        let t = 3;
        for (let e = 1; e <= 13; e++) {
            await ctx.anvil.mineTo(trigger(sys, e));
            if (e === 8) {
                // A fifth operator joins after epoch 8's trigger (t' 3 -> 4 from epoch 9).
                await registerAll(sys, [ctx.anvil.accounts[10]]);
                t = 4;
            }
            const expected = model.source(e);
            assert.equal(await epochLog.call('sourceVersion', [e]), expected, `source(${e}) before the copy`);
            await epochLog.send(sys.owner, 'snapshotEpoch', [e]);
            const snap = await epochLog.call('epochSnapshot', [e]);
            assert.equal(snap[5], expected, `source(${e}) after the copy`);
            assert.equal(snap[6], BigInt(expected === DKG_SOURCE ? t : model.threshold.get(expected)));
            if (!finalizeAt.has(e)) continue;
            if (e === 9) {
                // t(V) = t(7) = 3 dealers suffice to confirm; finalization still needs t' = 4.
                const st = await runToConfirm(sys, e, { dealers: snap[0].slice(0, 3) });
                for (const o of snap[0].slice(0, 4)) {
                    await epochLog.send(o, 'confirm', [e, mpkFor('m'), H(`s${e}`), st.dealerBitmap]);
                }
            } else {
                await runEpoch(sys, e, { mpk: mpkFor('m') });
            }
            model.finalize(e, expected, Number(snap[3]));
            assert.equal(await epochLog.call('finalizedVersion'), BigInt(e));
            assert.deepEqual(await epochLog.call('retainedVersions'), model.retained().map(BigInt));
        }
        assert.deepEqual(model.sources, { 1: 'dkg', 2: 1, 3: 2, 4: 2, 5: 1, 6: 1, 7: 2, 8: 7, 9: 7,
            10: 9, 11: 9, 12: 7, 13: 12 });
        assert.deepEqual(await epochLog.call('retainedVersions'), [12n, 9n, 7n]);
        assert.deepEqual(await epochLog.call('guardedVersions'), [12n, 9n]);
        // Past epochs keep their answer after later finalizations.
        assert.equal(await epochLog.call('sourceVersion', [5]), 1n);
        assert.equal(await epochLog.call('sourceVersion', [11]), 9n);
        assert.ok(await registry.call('isActive', [ctx.anvil.accounts[10]]));
    });
});

/** protocol §4.6 written from the spec text, independently of the contract's indices. */
class SourceModel {
    constructor(k) {
        this.k = k;
        this.finalized = []; // versions, ascending
        this.M = null; // highest source of a finalized reshare
        this.threshold = new Map();
        this.sources = {};
    }

    retained() {
        const M = this.M ?? this.finalized[0];
        return this.finalized.filter((v) => v >= M).reverse();
    }

    source(e) {
        if (this.finalized.length === 0) {
            this.sources[e] = 'dkg';
            return DKG_SOURCE;
        }
        const C = this.retained();
        const fe = e - 1 - this.finalized[this.finalized.length - 1];
        const v = C[Math.floor(fe / this.k) % C.length];
        this.sources[e] = v;
        return BigInt(v);
    }

    finalize(e, source, t) {
        this.finalized.push(e);
        this.threshold.set(BigInt(e), t);
        if (source !== DKG_SOURCE) this.M = Math.max(this.M ?? 0, Number(source));
    }
}

describe('snapshot as of the trigger block', () => {
    it('includes changes mined in block B and excludes those of B + 1', async () => {
        const { anvil } = ctx;
        const { epochLog, registry, ops } = base;
        const [inB, after] = [anvil.accounts[20], anvil.accounts[21]];
        await registry.send(base.owner, 'allow', [inB]);
        await registry.send(base.owner, 'allow', [after]);
        await anvil.mineTo(39);
        const reg = (a) => registry.send(a, 'register', [H(`ed${a}`), xKey(a), 'http://p', 'http://a']);
        assert.equal((await reg(inB)).blockNumber, 40);
        // A key rotation in B counts; one in B + 1 does not (it is for the next epoch).
        assert.equal((await reg(after)).blockNumber, 41);
        await registry.send(ops[0], 'setEpochKey', [xKey(ops[0], 1)]);
        const view = await epochLog.call('epochSnapshot', [1]);
        const want = sorted([...ops, inB]);
        assert.deepEqual(view[0], want);
        const i0 = want.indexOf(ops[0]);
        assert.equal(view[1][i0], xKey(ops[0], 0));
        assert.equal(view[1][want.indexOf(inB)], xKey(inB));
        assert.equal(view[3], 6n); // n = 8
        await epochLog.send(ops[1], 'commitDealing', [1, H('r')]);
        assert.deepEqual(await epochLog.call('epochSnapshot', [1]), view);
        const atB = await registry.call('getNodeInfosAt', [40]);
        assert.deepEqual(atB.map((x) => x[0]), want);
        assert.deepEqual(await epochLog.call('epochSnapshot', [1], { block: '0x28' }), view);
        // Epoch 2 sees the later registration and the rotated key.
        await anvil.mineTo(80);
        const v2 = await epochLog.call('epochSnapshot', [2]);
        assert.ok(v2[0].includes(after));
        assert.equal(v2[1][v2[0].indexOf(ops[0])], xKey(ops[0], 1));
    });
});
});
