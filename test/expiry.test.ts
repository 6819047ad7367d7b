import { afterEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { nativeOrder } from './support.js';

// 2024-01-01 12:00:00 Beijing
const START = Date.UTC(2024, 0, 1, 4, 0, 0);
let sandbox: Sandbox | undefined;
afterEach(() => sandbox?.close());

describe('unpaid orders close at their expiry on the sandbox clock', () => {
  it('closes each unpaid order when the clock passes its expiry, though nobody reads it', async () => {
    const clock = new SandboxClock({ frozen: true, start: START });
    sandbox = await startSandbox({ clock });
    const soon = await nativeOrder(sandbox.url, { time_expire: '20240101121000' }); // in 10 min
    const later = await nativeOrder(sandbox.url, { time_expire: '20240101130000' }); // in 1 h
    const paid = await nativeOrder(sandbox.url, { time_expire: '20240101121000' });
    await sandbox.pay(paid);
    const status = () => Object.fromEntries(sandbox!.orders().map((o) => [o.payjs_order_id, o.status]));
    await clock.advance(9 * 60);
    expect(status()).toEqual({ [soon]: 'unpaid', [later]: 'unpaid', [paid]: 'paid' });
    await clock.advance(2 * 60);
    expect(status()).toEqual({ [soon]: 'closed', [later]: 'unpaid', [paid]: 'paid' });
    await clock.advance(60 * 60);
    expect(status()).toEqual({ [soon]: 'closed', [later]: 'closed', [paid]: 'paid' });
    const closed = sandbox.orders().find((o) => o.payjs_order_id === later)!;
    expect(closed.history.at(-1)).toMatchObject({ event: 'expire', status: 'closed', at: Date.UTC(2024, 0, 1, 5, 0, 0) });
  });

  it('closes an order that expires before one already waiting, and the one after it too', async () => {
    const clock = new SandboxClock({ frozen: true, start: START });
    sandbox = await startSandbox({ clock });
    const late = await nativeOrder(sandbox.url, { time_expire: '20240101140000' });
    const early = await nativeOrder(sandbox.url, { time_expire: '20240101123000' });
    await clock.advance(31 * 60);
    expect(sandbox.orders().find((o) => o.payjs_order_id === early)?.status).toBe('closed');
    expect(sandbox.orders().find((o) => o.payjs_order_id === late)?.status).toBe('unpaid');
    await clock.advance(2 * 60 * 60);
    expect(sandbox.orders().find((o) => o.payjs_order_id === late)?.status).toBe('closed');
  });
});
