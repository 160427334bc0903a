// AppController against anvil: app ids, ownership (two steps), publishing rules and
// limits, large env payloads read back byte for byte, release history by block.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { useAnvil, expectRevert } from './lib/testing.mjs';
import { bytesOf, keccak, strip } from './lib/abi.mjs';
import { Contract, errorIndexFor } from './lib/chain.mjs';

const ctx = {};
const ZERO = '0x' + '00'.repeat(20);
const digest = (s) => keccak(`image:${s}`);
/** Deterministic pseudo-random bytes (not all equal: storage packing must not hide bugs). */
const blob = (n, seed) => {
    let out = '';
    for (let i = 0; out.length < 2 * n; i++) out += strip(keccak(`${seed}:${i}`));
    return '0x' + out.slice(0, 2 * n);
};

describe('AppController', () => {
    useAnvil(ctx, { accounts: 5 });
    let apps;
    let alice;
    let bob;
    let carol;
    before(async () => {
        [, alice, bob, carol] = ctx.anvil.accounts;
        apps = await Contract.deploy(ctx.anvil, ctx.artifacts.AppController, ctx.anvil.accounts[0], [],
            errorIndexFor(ctx.artifacts));
    });

    async function create(owner, salt) {
        const app = await apps.call('createApp', [salt], { from: owner });
        const rc = await apps.send(owner, 'createApp', [salt]);
        assert.equal(rc.events[0].name, 'AppCreated');
        assert.equal(rc.events[0].args.app, app);
        return app;
    }

    it('derives the app id from (controller, creator, salt) and makes the creator owner', async () => {
        const salt = keccak('salt-1');
        const app = await create(alice, salt);
        const want = '0x' + strip(keccak(bytesOf(strip(apps.address) + strip(alice) + strip(salt)))).slice(24);
        assert.equal(app, want);
        assert.equal(await apps.call('appAddress', [alice, salt]), want);
        assert.equal(await apps.call('owner', [app]), alice);
        assert.deepEqual(await apps.call('appInfo', [app]), [alice, salt, alice, 0n]);
        assert.deepEqual(await apps.call('appsCreatedBy', [alice]), [app]);
        await expectRevert(apps.send(alice, 'createApp', [salt]), 'AppExists', [app]);
        const other = await create(bob, salt);
        assert.notEqual(other, app);
        await expectRevert(apps.call('appInfo', [ZERO]), 'UnknownApp', [ZERO]);
    });

    it('lets only the owner publish, with a digest and bounded fields', async () => {
        const app = await create(alice, keccak('s'));
        const pub = (from, d, reg = 'ghcr.io/x', enc = '0x', pe = '0x') =>
            apps.send(from, 'publishRelease', [app, d, reg, enc, pe]);
        await expectRevert(pub(bob, digest(1)), 'NotAppOwner', [app, bob]);
        await expectRevert(apps.send(alice, 'publishRelease', [ZERO, digest(1), 'r', '0x', '0x']),
            'UnknownApp', [ZERO]);
        await expectRevert(pub(alice, '0x' + '00'.repeat(32)), 'ZeroImageDigest');
        await expectRevert(pub(alice, digest(1), 'r'.repeat(257)), 'RegistryTooLong', [257, 256]);
        await expectRevert(pub(alice, digest(1), 'r', blob(10000, 'e'), blob(6385, 'p')),
            'EnvTooLarge', [16385, 16384]);
        await expectRevert(apps.call('latestRelease', [app]), 'NoRelease', [app]);
        const rc = await pub(alice, digest(1), 'r'.repeat(256), blob(100, 'e'), '0x7b7d');
        const ev = rc.events.find((e) => e.name === 'ReleasePublished');
        assert.deepEqual(ev.args, { app, releaseId: 1n, imageDigest: digest(1), registry: 'r'.repeat(256),
            encryptedEnv: blob(100, 'e'), publicEnv: '0x7b7d' });
    });

    it('stores the largest env payloads and returns them byte for byte', async () => {
        const app = await create(alice, keccak('big'));
        const enc = blob(12288, 'enc');
        const pe = '0x' + Buffer.from(JSON.stringify({ K: 'v'.repeat(4000) })).toString('hex');
        const full = blob(16384 - strip(pe).length / 2, 'enc2'); // exactly MAX_ENV_BYTES in total
        const rc = await apps.send(alice, 'publishRelease', [app, digest('big'), 'reg', full, pe]);
        assert.ok(rc.gasUsed < 2 ** 24, `gas ${rc.gasUsed} must stay under the EIP-7825 cap`);
        const [id, block, d, reg, e2, p2] = await apps.call('latestRelease', [app]);
        assert.deepEqual([id, Number(block), d, reg, e2, p2], [1n, rc.blockNumber, digest('big'), 'reg', full, pe]);
        await apps.send(alice, 'publishRelease', [app, digest('big2'), 'reg', enc, '0x']);
        assert.deepEqual((await apps.call('getRelease', [app, 1]))[4], full);
        assert.deepEqual((await apps.call('latestRelease', [app]))[4], enc);
    });

    it('answers which release was current at any block', async () => {
        const app = await create(alice, keccak('hist'));
        const b0 = await ctx.anvil.blockNumber();
        const b1 = (await apps.send(alice, 'publishRelease', [app, digest(1), 'r', '0x01', '0x'])).blockNumber;
        await ctx.anvil.mineTo(b1 + 5);
        const b2 = (await apps.send(alice, 'publishRelease', [app, digest(2), 'r', '0x02', '0x'])).blockNumber;
        const b3 = (await apps.send(alice, 'publishRelease', [app, digest(3), 'r', '0x03', '0x'])).blockNumber;
        for (const [b, id] of [[b0, 0], [b1, 1], [b1 + 3, 1], [b2 - 1, 1], [b2, 2], [b3, 3]]) {
            assert.equal(await apps.call('releaseAt', [app, b]), BigInt(id), `block ${b}`);
        }
        assert.equal(await apps.call('releaseCount', [app]), 3n);
        const r2 = await apps.call('getRelease', [app, 2]);
        assert.deepEqual([r2[0], Number(r2[1]), r2[2], r2[4]], [2n, b2, digest(2), '0x02']);
        await expectRevert(apps.call('getRelease', [app, 0]), 'UnknownRelease', [app, 0]);
        await expectRevert(apps.call('getRelease', [app, 4]), 'UnknownRelease', [app, 4]);
        await expectRevert(apps.call('releaseAt', [app, b3 + 1]), 'FutureBlock', [b3 + 1]);
        // Old releases stay as published.
        assert.equal((await apps.call('getRelease', [app, 1]))[2], digest(1));
    });

    it('transfers app ownership in two steps', async () => {
        const app = await create(alice, keccak('own'));
        await expectRevert(apps.send(bob, 'transferAppOwnership', [app, bob]), 'NotAppOwner', [app, bob]);
        await expectRevert(apps.send(bob, 'acceptAppOwnership', [ZERO]), 'UnknownApp', [ZERO]);
        await apps.send(alice, 'transferAppOwnership', [app, bob]);
        assert.equal(await apps.call('pendingOwner', [app]), bob);
        assert.equal(await apps.call('owner', [app]), alice);
        await expectRevert(apps.send(carol, 'acceptAppOwnership', [app]), 'NotPendingAppOwner', [app, carol]);
        const rc = await apps.send(bob, 'acceptAppOwnership', [app]);
        assert.deepEqual(rc.events[0].args, { app, previousOwner: alice, newOwner: bob });
        assert.equal(await apps.call('owner', [app]), bob);
        assert.equal(await apps.call('pendingOwner', [app]), ZERO);
        await expectRevert(apps.send(alice, 'publishRelease', [app, digest(1), 'r', '0x', '0x']), 'NotAppOwner',
            [app, alice]);
        await apps.send(bob, 'publishRelease', [app, digest(1), 'r', '0x', '0x']);
        // A pending transfer can be cancelled.
        await apps.send(bob, 'transferAppOwnership', [app, carol]);
        await apps.send(bob, 'transferAppOwnership', [app, ZERO]);
        await expectRevert(apps.send(carol, 'acceptAppOwnership', [app]), 'NotPendingAppOwner', [app, carol]);
        assert.deepEqual((await apps.call('appInfo', [app])).slice(0, 1), [alice]); // creator kept
    });
});
