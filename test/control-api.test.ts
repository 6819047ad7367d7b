import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { MCHID, call, nativeOrder, send, tradeNo } from './support.js';

let sandbox: Sandbox;
let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }), merchants: ['2000000001:OtherKey0001'] });
});
afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

const control = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sandbox.url}/__sandbox${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() };
};

describe('orders through the control API', () => {
  it('lists orders newest first with filters', async () => {
    const a = await nativeOrder(sandbox.url, { out_trade_no: 'A-1' });
    const b = await nativeOrder(sandbox.url, { out_trade_no: 'B-1' });
    await sandbox.pay(b);
    expect((await control('GET', '/orders')).body.total).toBe(2);
    expect((await control('GET', '/orders?status=paid')).body.orders.map((o: { payjs_order_id: string }) => o.payjs_order_id)).toEqual([b]);
    expect((await control('GET', '/orders?out_trade_no=A-1')).body.orders[0].payjs_order_id).toBe(a);
    expect((await control('GET', '/orders?mchid=2000000001')).body.total).toBe(0);
  });

  it('shows an order with a timeline of its events, notifies and the merchant calls', async () => {
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.clock.advance(1);
    await call(sandbox.url, 'check', { payjs_order_id: id });
    await sandbox.clock.advance(1);
    await control('POST', `/orders/${id}/pay`);
    await sandbox.clock.advance(1);
    await control('POST', `/orders/${id}/refund`);
    const { body } = await control('GET', `/orders/${id}`);
    expect(body.order.status).toBe('refunded');
    expect(body.timeline.map((t: { kind: string; what: string }) => `${t.kind}:${t.what}`)).toEqual(['order:create', 'call:native', 'call:check', 'order:pay', 'notify:notify #1 delivered', 'order:refund']);
  });

  it.each([
    ['pay', 'unpaid', 'paid'], ['fail', 'unpaid', 'unpaid'], ['cancel', 'unpaid', 'unpaid'], ['close', 'unpaid', 'closed'],
    ['expire', 'unpaid', 'closed'], ['reverse', 'unpaid', 'closed'], ['refund', 'paid', 'refunded'], ['reverse', 'paid', 'refunded'],
  ])('the %s action takes a %s order to %s', async (action, from, to) => {
    const id = await nativeOrder(sandbox.url);
    if (from === 'paid') await sandbox.pay(id);
    const { status, body } = await control('POST', `/orders/${id}/${action}`);
    expect(status).toBe(200);
    expect(body.order.status).toBe(to);
  });

  it('refuses what the state table refuses, and unknown actions', async () => {
    const id = await nativeOrder(sandbox.url);
    expect(await control('POST', `/orders/${id}/refund`)).toMatchObject({ status: 409, body: { error: 'ORDER_UNPAID' } });
    expect(await control('POST', `/orders/${id}/explode`)).toMatchObject({ status: 404, body: { message: expect.stringMatching(/pay, tap, fail, cancel/) } });
    expect(await control('POST', '/orders/nope/pay')).toMatchObject({ status: 404, body: { error: 'ORDER_NOT_FOUND' } });
  });
});

describe('the request journal', () => {
  it('records every API call with its transport, sign verdict and answer', async () => {
    const id = await nativeOrder(sandbox.url);
    await send(sandbox.url, 'check', { payjs_order_id: id, mchid: MCHID, sign: 'F'.repeat(32) }, 'json');
    await send(sandbox.url, 'check', { payjs_order_id: id });
    const { body } = await control('GET', `/journal?payjs_order_id=${id}`);
    expect(body.calls.map((c: { endpoint: string; sign: string; transport: string }) => `${c.endpoint}/${c.transport}/${c.sign}`)).toEqual(['native/form/valid', 'check/json/invalid', 'check/form/missing']);
    const bad = body.calls[1];
    expect(bad).toMatchObject({ error: 'SIGN_ERROR', status: 200, answer: { return_code: 0 }, diagnosis: { cause: expect.any(String), canonical: expect.stringContaining(`payjs_order_id=${id}`) } });
    expect((await control('GET', '/journal?sign=invalid')).body.calls).toHaveLength(1);
    expect(sandbox.calls({ endpoint: 'native' })[0].answer).toMatchObject({ return_code: 1 });
  });
});

describe('the whole sandbox', () => {
  it('adds merchants that work at once', async () => {
    expect((await control('POST', '/merchants', { mchid: '3000000001', key: 'NewKey0001', name: '新商户' })).status).toBe(201);
    const a = await call(sandbox.url, 'native', { mchid: '3000000001', total_fee: 1, out_trade_no: tradeNo() }, 'form', 'NewKey0001');
    expect(a.body.return_code).toBe(1);
    expect((await control('GET', '/merchants')).body.merchants.map((m: { mchid: string }) => m.mchid)).toContain('3000000001');
    expect((await control('POST', '/merchants', { mchid: 'bad id!', key: 'k' })).status).toBe(400);
  });

  it('resets one merchant, or everything', async () => {
    await nativeOrder(sandbox.url);
    await call(sandbox.url, 'native', { mchid: '2000000001', total_fee: 1, out_trade_no: tradeNo() }, 'form', 'OtherKey0001');
    await control('POST', `/reset?mchid=${MCHID}`);
    expect(sandbox.orders().map((o) => o.mchid)).toEqual(['2000000001']);
    expect(sandbox.calls().every((c) => c.mchid === '2000000001')).toBe(true);
    await control('POST', '/reset');
    expect(sandbox.orders()).toEqual([]);
    expect(sandbox.calls()).toEqual([]);
  });

  it('takes a snapshot and restores it, pending retries included', async () => {
    receiver.reply({ status: 500 });
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.pay(id);
    await sandbox.clock.settle();
    const snapshot = (await control('GET', '/snapshot')).body;
    await control('POST', '/reset');
    expect(sandbox.orders()).toEqual([]);
    expect((await control('POST', '/restore', snapshot)).body).toMatchObject({ restored: true, orders: 1 });
    expect((await sandbox.order(id))?.status).toBe('paid');
    await sandbox.clock.advance(15);
    expect(receiver.received).toHaveLength(2);
    expect((await control('POST', '/restore', { nope: 1 })).status).toBe(400);
  });

  it('seeds merchants and orders in each status from a fixture', async () => {
    const { readFileSync } = await import('node:fs');
    const seed = JSON.parse(readFileSync(new URL('../fixtures/seed.json', import.meta.url), 'utf8'));
    const { status, body } = await control('POST', '/seed', seed);
    expect(status).toBe(201);
    expect(body.orders.map((o: { out_trade_no: string; status: string }) => `${o.out_trade_no}:${o.status}`)).toEqual(['SEED-UNPAID-1:unpaid', 'SEED-PAID-1:paid', 'SEED-REFUNDED-1:refunded', 'SEED-CLOSED-1:closed', 'SHOPA-1:paid']);
    const shopA = sandbox.orders({ mchid: '1519390541' })[0];
    expect(shopA.openid).toBe('o7LFAwSeedPayer000000000000');
  });

  it('streams order changes, notifies and calls as server-sent events', async () => {
    const res = await fetch(`${sandbox.url}/__sandbox/events`);
    const reader = res.body!.getReader();
    const id = await nativeOrder(sandbox.url);
    let text = '';
    while (!text.includes('event: call')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(text).toContain('event: order');
    expect(text).toContain(id);
  });
});

describe('the control surface off loopback', () => {
  it('needs the token the banner prints; the PAYJS API stays open', async () => {
    const open = await startSandbox({ host: '0.0.0.0', controlToken: 'secret-token' });
    try {
      const base = `http://127.0.0.1:${open.port}`;
      expect(open.controlToken).toBe('secret-token');
      expect((await fetch(`${base}/__sandbox/orders`)).status).toBe(401);
      expect((await fetch(`${base}/__sandbox/orders`, { headers: { 'x-sandbox-token': 'wrong' } })).status).toBe(401);
      expect((await fetch(`${base}/__sandbox/orders`, { headers: { 'x-sandbox-token': 'secret-token' } })).status).toBe(200);
      expect((await call(base, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo() })).body.return_code).toBe(1);
    } finally {
      await open.close();
    }
    const loopback = await startSandbox();
    expect(loopback.controlToken).toBeUndefined();
    await loopback.close();
  });
});
