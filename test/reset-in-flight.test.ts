/** A reset or a restore wins over what was in flight: a notify attempt that ends after a reset
 * records nothing and climbs no further, and reset and restore cancel the clock tasks of what
 * they remove instead of piling new ones on the old. Real receivers, a real sandbox. */
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { MCHID, nativeOrder } from './support.js';

let sandbox: Sandbox | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await sandbox?.close();
  await receiver?.close();
  sandbox = receiver = undefined;
});

const OTHER = { mchid: '2000000001', key: 'OtherKey000000000001' };

/** Pays an order whose receiver holds the first notify for a while, and resolves once that
 * attempt is in flight (the receiver has the request, the sandbox waits for the answer). */
async function notifyInFlight(s: Sandbox, r: Receiver): Promise<string> {
  r.reply({ status: 200, delayMs: 400 }); // delivered, so a default waitForNotify() would match it
  const id = await nativeOrder(s.url, { notify_url: r.url });
  await s.pay(id);
  await expect.poll(() => r.received.length).toBe(1);
  return id;
}

describe('an attempt in flight at a reset or a restore', () => {
  it('a reset during the attempt leaves 0 jobs, records nothing and sends no more of the ladder', async () => {
    receiver = await startReceiver();
    sandbox = await startSandbox({ clock: new SandboxClock({ frozen: true }) });
    const id = await notifyInFlight(sandbox, receiver);
    const late: unknown[] = [];
    void sandbox.waitForNotify(() => true, { timeout: 2000 }).then((e) => late.push(e), () => {});
    await sandbox.reset();
    await sandbox.clock.settle(); // the attempt is answered and ends
    await expect(sandbox.waitForNotify(undefined, { timeout: 50 })).rejects.toThrow('no matching notify');

    expect(sandbox.orders()).toEqual([]);
    expect(sandbox.notifications()).toEqual([]);
    expect(sandbox.notifications(id)).toEqual([]);
    expect((await fetch(`${sandbox.url}/__sandbox/snapshot`).then((r) => r.json())).collections.notifies ?? {}).toEqual({});
    expect(sandbox.clock.pending).toBe(0);
    await sandbox.clock.advance(4000);
    expect(receiver.received).toHaveLength(1);
    expect(late).toEqual([]);
  });

  it('a restore during the attempt keeps the snapshot\'s job as it was, without the attempt', async () => {
    receiver = await startReceiver();
    sandbox = await startSandbox({ clock: new SandboxClock({ frozen: true }) });
    const before = sandbox.snapshot();
    await notifyInFlight(sandbox, receiver);
    await sandbox.restore(before);
    await sandbox.clock.settle();
    expect(sandbox.orders()).toEqual([]);
    expect(sandbox.notifications()).toEqual([]);
    await sandbox.clock.advance(4000);
    expect(receiver.received).toHaveLength(1);
  });
});

describe('clock tasks after a reset or a restore', () => {
  it('restoring again and again does not grow the tasks, and reset({ mchid }) cancels that merchant\'s', async () => {
    sandbox = await startSandbox({ clock: new SandboxClock({ frozen: true }), merchants: [OTHER] });
    for (let i = 0; i < 10; i++) await nativeOrder(sandbox.url);
    expect(sandbox.clock.pending).toBe(1); // one sweep for every order's expiry
    const snapshot = sandbox.snapshot();
    await sandbox.restore(snapshot);
    await sandbox.restore(snapshot);
    expect(sandbox.clock.pending).toBe(1);
    await sandbox.reset({ mchid: MCHID });
    expect(sandbox.orders()).toEqual([]);
    expect(sandbox.clock.pending).toBe(0);
  });

  it('a reset cancels the pending notify retries of the orders it removes', async () => {
    receiver = await startReceiver();
    receiver.reply({ status: 500 });
    sandbox = await startSandbox({ clock: new SandboxClock({ frozen: true }) });
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.pay(id);
    await sandbox.waitForNotify({ payjs_order_id: id, delivered: false });
    // The 15 s rung (set once the first attempt is stored) and the expiry sweep, which passes over a paid order.
    await expect.poll(() => sandbox.clock.pending).toBe(2);
    await sandbox.reset({ mchid: MCHID });
    expect(sandbox.clock.pending).toBe(0);
  });
});
