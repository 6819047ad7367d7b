import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { nativeOrder } from './support.js';

let sandbox: Sandbox;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }) });
});
afterEach(() => sandbox.reset());
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const order = () => nativeOrder(sandbox.url, { notify_url: receiver.url });
const useOn = (id: string, tokens: string) => fetch(`${sandbox.url}/__sandbox/orders/${id}/scenario`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tokens }) });
const steps = (id: string) => sandbox.notifications(id).map((a) => `${a.kind}:${a.delivered ? 'ok' : a.error}`);

describe('scenario tokens applied to one existing order', () => {
  it('pays an unpaid order with a notify 30 s late', async () => {
    const id = await order();
    expect((await useOn(id, 'pay=auto,notify=late:30')).status).toBe(200);
    expect((await sandbox.order(id))!.status).toBe('paid');
    await sandbox.clock.advance(29);
    expect(steps(id)).toEqual([]);
    await sandbox.clock.advance(1);
    expect(steps(id)).toEqual(['ladder:ok']);
  });

  it('keeps notify tokens of an unpaid order for its payment', async () => {
    const id = await order();
    await sandbox.useOn(id, 'notify=duplicate:3');
    await sandbox.pay(id);
    await sandbox.clock.settle();
    expect(steps(id)).toEqual(['ladder:ok', 'duplicate:ok', 'duplicate:ok']);
  });

  it('pays after s seconds of sandbox time with pay=auto:<s>', async () => {
    const id = await order();
    await sandbox.useOn(id, 'pay=auto:10');
    await sandbox.clock.advance(9);
    expect((await sandbox.order(id))!.status).toBe('unpaid');
    await sandbox.clock.advance(1);
    expect((await sandbox.order(id))!.status).toBe('paid');
  });

  it('fails the next 2 attempts of a paid, delivered order, then delivers on the ladder', async () => {
    const id = await order();
    await sandbox.pay(id);
    await sandbox.clock.settle();
    const { notify } = await sandbox.useOn(id, 'notify=fail:2');
    expect(notify).toMatchObject({ round: 1 });
    await sandbox.clock.settle();
    await sandbox.clock.advance(15);
    await sandbox.clock.advance(15);
    expect(steps(id)).toEqual(['ladder:ok', 'ladder:scenario', 'ladder:scenario', 'ladder:ok']);
    expect(sandbox.notifications(id).at(-1)!.step).toBe(2);
  });

  it("re-armed, the old ladder's waiting rung sends nothing: late by 60 s replaces late by 30 s", async () => {
    const id = await order();
    await sandbox.useOn(id, 'pay=auto,notify=late:30');
    await sandbox.useOn(id, 'notify=late:60');
    await sandbox.clock.advance(30);
    expect(steps(id)).toEqual([]);
    await sandbox.clock.advance(30);
    expect(steps(id)).toEqual(['ladder:ok']);
  });

  it("re-armed while the old ladder's attempt is in flight, the new ladder's first rung is sent once that attempt ends", async () => {
    const id = await order();
    const before = receiver.received.length;
    receiver.reply((_, n) => (n === before + 1 ? { status: 200, delayMs: 300 } : { status: 200 }));
    try {
      await sandbox.pay(id);
      await expect.poll(() => receiver.received.length).toBe(before + 1);
      await sandbox.useOn(id, 'notify=extra-fields');
      await sandbox.clock.settle();
      const sent = receiver.received.slice(before);
      expect(sent.map((r) => r.fields.payjs_order_id)).toEqual([id, id]);
      expect(sent[1].fields).toHaveProperty('bank_type');
      expect(steps(id)).toEqual(['ladder:ok']); // the old ladder's attempt records nothing
    } finally {
      receiver.reply({ status: 200 });
    }
  });

  it('fail:2 with duplicate:3 loses the first two copies of the first rung, delivers the third, and has none left', async () => {
    const id = await order();
    const { notify } = await sandbox.useOn(id, 'pay=auto,notify=fail:2,notify=duplicate:3');
    expect(notify).toMatchObject({ failing: 2 });
    await sandbox.clock.settle();
    expect(steps(id)).toEqual(['ladder:scenario', 'duplicate:scenario', 'duplicate:ok']);
    expect(sandbox.notifications(id).every((a) => a.step === 0)).toBe(true);
    const { notify: after } = (await (await fetch(`${sandbox.url}/__sandbox/orders/${id}/notifications`)).json()) as { notify: { failing: number; state: string } };
    expect(after).toMatchObject({ failing: 0, state: 'delivered' });
  });

  it('stops a pending ladder with notify=never', async () => {
    receiver.reply({ status: 500 });
    const id = await order();
    await sandbox.pay(id);
    await sandbox.clock.settle();
    const { notify } = await sandbox.useOn(id, 'notify=never');
    expect(notify!.state).toBe('stopped');
    await sandbox.clock.advance(3600);
    expect(steps(id)).toEqual(['ladder:status']);
    receiver.reply({ status: 200 });
  });

  it('sends forged notifies from now on with notify=forged', async () => {
    const id = await order();
    await sandbox.pay(id);
    await sandbox.clock.settle();
    const good = sandbox.notifications(id)[0].body;
    await sandbox.useOn(id, 'notify=forged');
    await sandbox.clock.settle();
    const forged = sandbox.notifications(id)[1].body;
    expect(new URLSearchParams(forged).get('sign')).not.toBe(new URLSearchParams(good).get('sign'));
  });

  it('refunds a paid order 5 s after the payment with order=refund:5, and expires an unpaid one with order=expire', async () => {
    const paid = await order();
    await sandbox.pay(paid);
    await sandbox.useOn(paid, 'order=refund:5');
    await sandbox.clock.advance(5);
    expect((await sandbox.order(paid))!.status).toBe('refunded');
    const unpaid = await order();
    await sandbox.useOn(unpaid, 'order=expire');
    await sandbox.clock.settle();
    expect((await sandbox.order(unpaid))!.status).toBe('closed');
  });

  it.each([
    ['pay=auto', 'paid', 409, '订单已支付'],
    ['api=hang', 'unpaid', 400, 'cannot act on an existing order'],
    ['pay=auto notify=late:30', 'unpaid', 400, 'separate tokens with commas, not spaces'],
    ['notify=sometimes', 'unpaid', 400, '未知的沙箱场景'],
  ])('refuses %s on an %s order (%i) saying why', async (tokens, state, code, message) => {
    const id = await order();
    if (state === 'paid') await sandbox.pay(id);
    const res = await useOn(id, tokens);
    expect(res.status).toBe(code);
    expect((await res.json()).message).toContain(message);
  });

  it('refuses a body without tokens, naming the field', async () => {
    const id = await order();
    const res = await fetch(`${sandbox.url}/__sandbox/orders/${id}/scenario`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"token":"pay=auto"}' });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toContain('body.tokens (is required)');
  });
});
