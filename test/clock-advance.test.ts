/** The sandbox clock: a big advance runs each task with the clock at its own due time, so the
 * notify log shows the ladder it claims, then lands on the end; and the clock comes back to real
 * time with reset(), POST /__sandbox/clock/reset, and after a restart. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { nativeOrder } from './support.js';

let sandbox: Sandbox | undefined;
let receiver: Receiver | undefined;
afterEach(() => Promise.all([sandbox, receiver].map((x) => x?.close())).then(() => void (sandbox = receiver = undefined)));

describe('a big advance', () => {
  it('records every notify retry at its own rung (+0, +15, +30, +180, +1800, +3600 s), then the clock stands at the end', async () => {
    receiver = await startReceiver();
    receiver.reply({ status: 500 }); // the merchant's notify_url is down
    const start = Date.UTC(2026, 0, 1, 4);
    sandbox = await startSandbox({ clock: new SandboxClock({ start, frozen: true }) });
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    const paid = await sandbox.pay(id);
    await sandbox.waitForNotify({ payjs_order_id: id, delivered: false });
    await sandbox.clock.advance(4000);
    const offsets = sandbox.notifications(id).map((a) => (a.at - paid.paid_at!) / 1000);
    expect(offsets).toEqual([0, 15, 30, 180, 1800, 3600]);
    expect(receiver.received).toHaveLength(6);
    expect(sandbox.clock.now()).toBe(start + 4000 * 1000);
  });

  it('an order that expires during a long advance is closed by the scheduler at its expiry, seen without reading the order', async () => {
    const start = Date.UTC(2026, 0, 1, 4);
    sandbox = await startSandbox({ clock: new SandboxClock({ start, frozen: true }) });
    await nativeOrder(sandbox.url);
    const [order] = sandbox.orders();
    expect(order.status).toBe('unpaid');
    await sandbox.clock.advance((order.expires_at - start) / 1000 + 86_400);
    // orders() lists the store as it is: only the scheduled expiry can have closed it.
    const [after] = sandbox.orders();
    expect(after.status).toBe('closed');
    expect(after.history.at(-1)).toMatchObject({ event: 'expire', at: order.expires_at });
  });
});

describe('back to real time', () => {
  it('reset() returns the sandbox\'s own clock to real time, and new orders are stamped now again', async () => {
    sandbox = await startSandbox();
    await sandbox.clock.advance(86_400 * 30);
    expect(sandbox.clock.now() - Date.now()).toBeGreaterThan(86_400_000 * 29);
    await sandbox.reset();
    expect(Math.abs(sandbox.clock.now() - Date.now())).toBeLessThan(60_000);
    const id = await nativeOrder(sandbox.url);
    expect(Math.abs((await sandbox.order(id))!.created_at - Date.now())).toBeLessThan(60_000);
  });

  it('POST /__sandbox/clock/reset does it over HTTP, and the restart after it does not go forward again', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'payjs-clock-')), 'db.json');
    sandbox = await startSandbox({ db });
    await sandbox.clock.advance(86_400);
    await sandbox.close();
    sandbox = await startSandbox({ db });
    // Kept across the restart. The offset is a little under a day: the real clock runs while the
    // advance steps through its due times, and that real time is part of the day.
    expect(sandbox.clock.advanced()).toBeGreaterThan(86_400_000 - 60_000);
    const res = await fetch(`${sandbox.url}/__sandbox/clock/reset`, { method: 'POST' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { now: number };
    expect(Math.abs(body.now - Date.now())).toBeLessThan(60_000);
    await sandbox.close();
    sandbox = await startSandbox({ db });
    expect(sandbox.clock.advanced()).toBe(0);
  });
});
