import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, verify, type Sandbox } from '../src/index.js';
import type { Receiver } from './receiver.js';
import { FROZEN_START, openNotifySandbox } from './support/notify-sandbox.js';
import { KEY, MCHID, call, crashCopy, nativeOrder, tempDb } from './support.js';

let sandbox: Sandbox;
let receiver: Receiver;
let clock: SandboxClock;
beforeEach(async () => {
  ({ sandbox, receiver, clock } = await openNotifySandbox({ db: tempDb() }));
});
afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

const paidOrder = async (extra = {}) => {
  const id = await nativeOrder(sandbox.url, { notify_url: receiver.url, attach: 'uid=42', ...extra });
  await sandbox.pay(id);
  await clock.settle();
  return id;
};

describe('notify delivery', () => {
  it('posts the signed form to notify_url at once when the order is paid', async () => {
    const id = await paidOrder();
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    expect(got.method).toBe('POST');
    expect(got.contentType).toBe('application/x-www-form-urlencoded');
    expect(Object.keys(got.fields)).toEqual(['attach', 'mchid', 'openid', 'out_trade_no', 'payjs_order_id', 'return_code', 'time_end', 'total_fee', 'transaction_id', 'sign']);
    expect(got.fields).toMatchObject({ payjs_order_id: id, return_code: '1', total_fee: '100', mchid: MCHID, attach: 'uid=42', time_end: '2024-01-01 12:00:00' });
    expect(verify(got.fields, KEY)).toBe(true);
    const [attempt] = sandbox.notifications(id);
    expect(attempt).toMatchObject({ attempt: 1, kind: 'ladder', step: 0, status: 200, response: 'success', delivered: true, body: got.body, at: clock.now() });
  });

  it('sends nothing for an order without notify_url', async () => {
    const id = await nativeOrder(sandbox.url);
    await sandbox.pay(id);
    await clock.advance(4000);
    expect(sandbox.notifications(id)).toEqual([]);
  });

  it('retries at 0, 15, 30, 180, 1800 and 3600 s after the payment, then stops', async () => {
    receiver.reply({ status: 500, body: 'no' });
    const id = await paidOrder();
    const ladder = [15, 30, 180, 1800, 3600];
    let elapsed = 0;
    for (const [i, at] of ladder.entries()) {
      await clock.advance(at - elapsed - 1);
      expect(receiver.received).toHaveLength(i + 1);
      await clock.advance(1);
      expect(receiver.received).toHaveLength(i + 2);
      elapsed = at;
    }
    await clock.advance(100_000);
    expect(receiver.received).toHaveLength(6);
    const attempts = sandbox.notifications(id);
    expect(attempts.map((a) => (a.at - attempts[0].at) / 1000)).toEqual([0, 15, 30, 180, 1800, 3600]);
    expect(attempts.every((a) => a.status === 500 && a.error === 'status' && !a.delivered)).toBe(true);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
  });

  it('walks the whole ladder in one advance, in order', async () => {
    receiver.reply({ status: 503 });
    const id = await paidOrder();
    await clock.advance(3600);
    expect(sandbox.notifications(id).map((a) => a.step)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('stops once the merchant answers HTTP 200, whatever the body', async () => {
    receiver.reply((_r, n) => (n < 3 ? { status: 500 } : { status: 200, body: '{"error":false}' }));
    const id = await paidOrder();
    await clock.advance(3600);
    expect(sandbox.notifications(id).map((a) => a.status)).toEqual([500, 500, 200]);
  });

  it('stops retrying after a successful check of the paid order', async () => {
    receiver.reply({ status: 500 });
    const id = await paidOrder();
    await clock.advance(15);
    expect((await call(sandbox.url, 'check', { payjs_order_id: id })).body.status).toBe(1);
    await clock.advance(3600);
    expect(receiver.received).toHaveLength(2);
  });

  it('a manual resend appends an attempt', async () => {
    const id = await paidOrder();
    const res = await fetch(`${sandbox.url}/__sandbox/orders/${id}/notifications/resend`, { method: 'POST' });
    expect((await res.json()).attempt).toMatchObject({ attempt: 2, kind: 'manual', delivered: true });
    const listed = await (await fetch(`${sandbox.url}/__sandbox/orders/${id}/notifications`)).json();
    expect(listed.attempts.map((a: { kind: string }) => a.kind)).toEqual(['ladder', 'manual']);
  });

  it('cuts a long answer at 2 KB in the record', async () => {
    receiver.reply({ status: 500, body: 'x'.repeat(100_000) });
    const id = await paidOrder();
    expect(sandbox.notifications(id)[0].response).toHaveLength(2048);
  });

  it.each([
    ['a refused connection', 'http://127.0.0.1:1/notify', 'refused'],
    ['a non-http notify_url', 'ftp://example.com/notify', 'invalid-url'],
    ['a malformed notify_url', 'not a url', 'invalid-url'],
  ])('records %s as a failed attempt and keeps the ladder', async (_name, url, error) => {
    const id = await paidOrder({ notify_url: url });
    await clock.advance(15);
    const attempts = sandbox.notifications(id);
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ error, delivered: false });
  });

  it('records a connection reset as a failed attempt', async () => {
    receiver.reply({ destroy: true });
    const id = await paidOrder();
    expect(sandbox.notifications(id)[0]).toMatchObject({ error: 'reset', delivered: false });
  });

  it('counts a receiver slower than the notify timeout as a failure, and never blocks the API meanwhile', async () => {
    await sandbox.close(); // its clock stops with it
    clock = new SandboxClock({ start: FROZEN_START, frozen: true });
    sandbox = await startSandbox({ clock, notifyTimeoutMs: 200 });
    receiver.reply({ status: 200, delayMs: 1000 });
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.pay(id);
    const check = await call(sandbox.url, 'check', { payjs_order_id: id, mchid: MCHID });
    expect(check.body.return_code).toBe(1);
    expect(sandbox.notifications(id)).toEqual([]); // answered while the attempt is still in flight
    const attempt = await sandbox.waitForNotify({ payjs_order_id: id, delivered: false }, { timeout: 5000 });
    expect(attempt).toMatchObject({ error: 'timeout', detail: 'no answer within 0.2 s' });
    expect(attempt.ms).toBeGreaterThanOrEqual(190);
  });

  it('waitForNotify resolves with the delivered attempt, also one already made', async () => {
    const id = await paidOrder();
    await expect(sandbox.waitForNotify({ payjs_order_id: id })).resolves.toMatchObject({ delivered: true });
    await expect(sandbox.waitForNotify({ payjs_order_id: 'nope' }, { timeout: 50 })).rejects.toThrow(/no matching notify within 50 ms/);
  });

  it('moves through the control API clock too', async () => {
    receiver.reply({ status: 500 });
    const id = await paidOrder();
    const res = await fetch(`${sandbox.url}/__sandbox/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seconds: 30 }) });
    expect(await res.json()).toMatchObject({ now: FROZEN_START + 30_000 });
    expect(sandbox.notifications(id)).toHaveLength(3);
    const bad = await fetch(`${sandbox.url}/__sandbox/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"seconds":"x"}' });
    expect(bad.status).toBe(400);
  });
});

describe('a restart mid-ladder', () => {
  it('resumes after a crash: the files as a kill -9 leaves them', async () => {
    receiver.reply({ status: 500 });
    const db = tempDb();
    const start = FROZEN_START;
    const first = await startSandbox({ clock: new SandboxClock({ start, frozen: true }), db });
    const id = await nativeOrder(first.url, { notify_url: receiver.url });
    await first.pay(id);
    await first.clock.advance(15);
    // Copy the files while the sandbox still runs: no shutdown wrote them.
    const crashed = crashCopy(db);
    await first.close();
    const again = await startSandbox({ clock: new SandboxClock({ start: start + 29_000, frozen: true }), db: crashed });
    try {
      expect(again.notifications(id).map((a) => a.step)).toEqual([0, 1]);
      await again.clock.advance(1);
      expect(again.notifications(id).map((a) => a.step)).toEqual([0, 1, 2]);
      expect(receiver.received).toHaveLength(3);
    } finally {
      await again.close();
    }
  });

  it('resumes the retries on schedule', async () => {
    receiver.reply({ status: 500 });
    const db = tempDb();
    const first = await startSandbox({ clock: new SandboxClock({ start: FROZEN_START, frozen: true }), db });
    const id = await nativeOrder(first.url, { notify_url: receiver.url });
    await first.pay(id);
    await first.clock.advance(15);
    await first.close();
    expect(receiver.received).toHaveLength(2);
    const again = await startSandbox({ clock: new SandboxClock({ start: FROZEN_START + 20_000, frozen: true }), db });
    try {
      await again.clock.advance(9);
      expect(receiver.received).toHaveLength(2);
      await again.clock.advance(1);
      expect(receiver.received).toHaveLength(3);
      expect(again.notifications(id).map((a) => a.step)).toEqual([0, 1, 2]);
    } finally {
      await again.close();
    }
  });
});
