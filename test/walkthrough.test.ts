/** What a new user's walkthrough of the dashboard and the pages ran into, each fixed and kept so. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { MCHID, call, nativeOrder, signed, tradeNo } from './support.js';

let sandbox: Sandbox;
let receiver: Receiver;
beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }) });
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const html = async (path: string) => (await fetch(`${sandbox.url}${path}`)).text();

describe('the walkthrough, fixed', () => {
  it('answers /favicon.ico instead of a 404 on every page', async () => {
    const res = await fetch(`${sandbox.url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/image\/svg\+xml/);
  });

  it('has a notify sink that answers 200 success, so a first order shows a delivered notify', async () => {
    const id = await nativeOrder(sandbox.url, { notify_url: `${sandbox.url}/sandbox/notify-sink` });
    await sandbox.pay(id);
    expect((await sandbox.waitForNotify({ payjs_order_id: id })).response).toBe('success');
  });

  it('says "for this merchant" only where a merchant asked', async () => {
    const control = await (await fetch(`${sandbox.url}/__sandbox/orders/2024010112000000999999999`)).json();
    expect(control.message).toBe('订单不存在 (no order "2024010112000000999999999")');
    const api = await call(sandbox.url, 'check', { payjs_order_id: '2024010112000000999999999' });
    expect(api.body.msg).toContain('for this merchant');
  });

  it('tells a sign mismatch as "gives EXPECTED, and received SENT"', async () => {
    const a = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo() }, 'form', 'NotTheKey');
    expect(a.body.msg).toMatch(/which gives [0-9A-F]{32}, and received [0-9A-F]{32}\)$/);
    expect(a.body.msg).not.toContain('and got');
  });

  it('links the cashier call to its order, and orders the timeline by cause at one instant', async () => {
    const res = await fetch(`${sandbox.url}/api/cashier?${new URLSearchParams(signed({ mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), notify_url: receiver.url, callback_url: 'https://m.example/done' }) as Record<string, string>)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const order = sandbox.orders().find((o) => o.channel === 'cashier')!;
    expect(sandbox.calls({ payjs_order_id: order.payjs_order_id }).map((c) => c.endpoint)).toEqual(['cashier']);
    await call(sandbox.url, 'check', { payjs_order_id: order.payjs_order_id });
    await sandbox.pay(order.payjs_order_id);
    await sandbox.clock.settle();
    const { timeline } = await (await fetch(`${sandbox.url}/__sandbox/orders/${order.payjs_order_id}`)).json();
    expect(timeline.map((l: { kind: string; what: string }) => `${l.kind}:${l.what.split(' ')[0]}`)).toEqual(['order:create', 'call:cashier', 'order:pay', 'notify:notify', 'call:check']);
  });

  it('lists the pending clock tasks, what they are and when', async () => {
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    const page = await html('/dashboard/clock?lang=en');
    expect(page).toMatch(new RegExp(`data-task="expire"[\\s\\S]*?order expiry[\\s\\S]*?${id}`));
  });

  it('translates notify kinds and failure kinds on the dashboard', async () => {
    receiver.reply({ status: 500 });
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.pay(id);
    await sandbox.clock.settle();
    receiver.reply({ status: 200 });
    const page = await html(`/dashboard/orders/${id}?lang=zh`);
    expect(page).toContain('#1 按阶梯 →');
    expect(page).toContain('失败：非 200 应答 500');
  });

  it('shows the journal\'s out_trade_no of a check by payjs_order_id', async () => {
    const outTradeNo = tradeNo();
    const id = await nativeOrder(sandbox.url, { out_trade_no: outTradeNo });
    await call(sandbox.url, 'check', { payjs_order_id: id });
    const page = await html('/dashboard/journal?endpoint=check&lang=en');
    expect(page).toContain(`>${outTradeNo}</a></td>`);
  });

  it('says on the cashier and H5 pages which flow they are', async () => {
    const base = { mchid: MCHID, total_fee: 1, notify_url: receiver.url };
    const mweb = await call(sandbox.url, 'mweb', { ...base, out_trade_no: tradeNo() });
    expect(await html(`${new URL(mweb.body.h5_url as string).pathname}${new URL(mweb.body.h5_url as string).search}&lang=en`)).toContain('data-flow="h5">H5 payment · /api/mweb');
    const res = await fetch(`${sandbox.url}/api/cashier?${new URLSearchParams(signed({ ...base, out_trade_no: tradeNo() }) as Record<string, string>)}`, { redirect: 'manual' });
    const cashier = new URL(res.headers.get('location')!, sandbox.url);
    cashier.searchParams.set('lang', 'en');
    expect(await html(`${cashier.pathname}${cashier.search}`)).toContain('data-flow="cashier">Cashier · /api/cashier');
  });

  it('shows the mini-program page in English with ?lang=en, and a reload of its result pays nothing again', async () => {
    const extraData = signed({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), nonce: 'n1' });
    const page = await html(`/__sandbox/miniprogram/pages/pay?lang=en&extraData=${encodeURIComponent(JSON.stringify(extraData))}`);
    expect(page).toContain('data-testid="pay">Pay</button>');
    const before = sandbox.orders().length;
    const press = await fetch(`${sandbox.url}/__sandbox/miniprogram/pages/pay`, { method: 'POST', body: new URLSearchParams({ extraData: JSON.stringify(extraData), action: 'pay' }), redirect: 'manual' });
    expect(press.status).toBe(303);
    const result = new URL(press.headers.get('location')!, sandbox.url).href;
    for (let i = 0; i < 2; i++) expect(await (await fetch(result)).text()).toContain('data-testid="status">paid</span>');
    expect(sandbox.orders().length).toBe(before + 1);
  });
});
