// node:test glue for the contract tests: one anvil per test file (started in before(),
// killed in after()), every test isolated by evm_snapshot/evm_revert around it, and
// expectRevert() asserting the custom error's name (and optionally its arguments).
import assert from 'node:assert/strict';
import { before, after, beforeEach, afterEach } from 'node:test';
import { Anvil, RevertError, loadArtifacts } from './chain.mjs';

/** Registers the hooks in the enclosing describe(); fills ctx.anvil/ctx.artifacts in
 *  before(). Call it inside a top-level describe so hook order is the declaration order. */
export function useAnvil(ctx, { accounts = 20 } = {}) {
    let snap = null;
    before(async () => {
        ctx.artifacts = loadArtifacts();
        ctx.anvil = await Anvil.start({ accounts });
    });
    after(async () => {
        if (ctx.anvil) await ctx.anvil.stop();
    });
    beforeEach(async () => {
        snap = await ctx.anvil.snapshot();
    });
    afterEach(async () => {
        await ctx.anvil.revert(snap);
    });
    return ctx;
}

/** Awaits `promise` and asserts it reverted with custom error `name` (and `args`). */
export async function expectRevert(promise, name, args) {
    let err = null;
    try {
        await promise;
    } catch (e) {
        err = e;
    }
    assert.ok(err, `expected revert ${name}, but the call succeeded`);
    assert.ok(err instanceof RevertError, `expected revert ${name}, got: ${err.message}`);
    assert.equal(err.errorName, name, `expected ${name}, got ${err.message}`);
    if (args) {
        assert.deepEqual(err.errorArgs.map(norm), args.map(norm), `${name} arguments`);
    }
    return err;
}

const norm = (v) => (typeof v === 'number' ? BigInt(v) : typeof v === 'string' ? v.toLowerCase() : v);
