import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { MCHID, call, nativeOrder, send, tradeNo } from './support.js';

let sandbox: Sandbox;
let receiver: Receiver;
beforeEach(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }), merchants: ['2000000001:OtherKey0001:另一个商户'] });
});
afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

const page = async (path: string, init?: RequestInit) => {
  const res = await fetch(`${sandbox.url}${path}`, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', html: await res.text(), cookie: res.headers.get('set-cookie') ?? '' };
};

// `out_trade_no` takes at most 32 characters, so it carries the shorter form of the payload.
const XSS = '<img src=x onerror=window.__xss=1>';
const XSS_SHORT = '<img src=x onerror=__xss=1>';
const PAGES = ['/', '/dashboard', '/dashboard/notifications', '/dashboard/scenarios', '/dashboard/clock', '/dashboard/calls', '/dashboard/journal', '/dashboard/sign'];

describe('the dashboard pages', () => {
  it.each(PAGES)('%s renders in Chinese by default and in English with ?lang=en', async (path) => {
    const zh = await page(path);
    expect(zh.status).toBe(200);
    expect(zh.type).toMatch(/text\/html/);
    expect(zh.html).toContain('<html lang="zh-CN">');
    expect(zh.html).toContain('控制台');
    const en = await page(`${path}?lang=en`);
    expect(en.html).toContain('<html lang="en">');
    expect(en.html).toContain('Dashboard');
    expect(en.cookie).toMatch(/payjs_sandbox_lang=en/);
  });

  it('lists orders with counts by status, filtered by merchant, status, channel and out_trade_no', async () => {
    const a = await nativeOrder(sandbox.url, { out_trade_no: 'SHOP-A-1' });
    const b = await nativeOrder(sandbox.url, { out_trade_no: 'SHOP-B-1' });
    await sandbox.pay(b);
    const all = await page('/');
    expect(all.html).toContain(`href="/dashboard/orders/${a}"`);
    expect(all.html).toContain(`href="/dashboard/orders/${b}"`);
    expect(all.html).toMatch(/data-count="all">2</);
    expect(all.html).toMatch(/data-count="paid">1</);
    expect(all.html).toMatch(/data-count="unpaid">1</);
    const paid = await page('/?status=paid');
    expect(paid.html).toContain(`data-order="${b}"`);
    expect(paid.html).not.toContain(`data-order="${a}"`);
    expect((await page('/?out_trade_no=B-')).html).not.toContain(`data-order="${a}"`);
    expect((await page('/?mchid=2000000001')).html).toContain('data-testid="no-orders"');
    expect((await page('/?channel=mweb')).html).toContain('data-testid="no-orders"');
  });

  it('shows an order with its fields, actions, timeline and notify log', async () => {
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url, total_fee: 1234 });
    await call(sandbox.url, 'check', { payjs_order_id: id });
    await sandbox.pay(id);
    await sandbox.waitForNotify({ payjs_order_id: id });
    const { status, html } = await page(`/dashboard/orders/${id}`);
    expect(status).toBe(200);
    expect(html).toContain('data-status="paid"');
    expect(html).toContain('¥12.34 (1234)');
    expect(html).toMatch(/data-action="refund"\s+data-label/); // refund is possible now
    expect(html).toMatch(/data-action="payOnTime" disabled title="只有待支付的订单可以支付；此订单已支付"/);
    expect(html).toMatch(/data-action="failNext"\s+data-label="接下来 \{n\} 次通知失败">接下来 3 次通知失败</);
    for (const kind of ['order', 'call', 'notify']) expect(html).toContain(`data-kind="${kind}"`);
    expect(html).toContain('/api/check');
    expect(html).toContain(`payjs_order_id=${id}`); // the notify body as sent
    expect(html).toContain('data-job-state="delivered"');
    expect(html).toContain('data-testid="resend"');
  });

  it('answers a 404 page for an unknown order', async () => {
    const { status, html } = await page('/dashboard/orders/2024010112000000123456789');
    expect(status).toBe(404);
    expect(html).toContain('订单不存在');
  });

  it('shows each notify attempt across orders, the scenario rules with the vocabulary, and the clock', async () => {
    receiver.reply({ status: 500, body: 'not yet' });
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.pay(id);
    await sandbox.waitForNotify({ payjs_order_id: id, delivered: false });
    const notifies = await page('/dashboard/notifications');
    expect(notifies.html).toContain('data-delivered="false"');
    expect(notifies.html).toContain('not yet');
    await sandbox.use({ match: { out_trade_no: 'VIP-*' }, tokens: 'pay=auto', once: true });
    const scenarios = await page('/dashboard/scenarios');
    expect(scenarios.html).toContain('data-rule="s1"');
    expect(scenarios.html).toContain('out_trade_no=VIP-*');
    expect(scenarios.html).toContain('notify=duplicate:&lt;n&gt;');
    expect(scenarios.html).toContain('pay=auto,notify=never'); // magic amount 504
    const clock = await page('/dashboard/clock');
    expect(clock.html).toContain('2024-01-01 12:00:00');
    expect(clock.html).toMatch(/data-testid="clock-pending">[1-9]/);
  });

  it('shows the journal with the diagnosis of a bad signature, filtered by endpoint and verdict', async () => {
    await nativeOrder(sandbox.url);
    await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), attach: '' }, 'form', 'WrongKey');
    const bad = await page('/dashboard/journal?sign=invalid');
    expect(bad.html).toContain('data-testid="diagnosis"');
    expect(bad.html).not.toContain('data-sign="valid"');
    expect(bad.html).toMatch(/Te\*+90/); // the key masked in the canonical string
    const valid = await page('/dashboard/journal?endpoint=native&sign=valid');
    expect(valid.html).toContain('data-sign="valid"');
    expect(valid.html).not.toContain('data-testid="diagnosis"');
  });

  it('shows the newest 200 calls of a longer log, each check with its order\'s out_trade_no', async () => {
    const no = tradeNo();
    const id = await nativeOrder(sandbox.url, { out_trade_no: no });
    for (let i = 0; i < 204; i++) await call(sandbox.url, 'check', { payjs_order_id: id });
    const { html } = await page('/dashboard/calls?lang=en&endpoint=check');
    const cells = html.match(/data-testid="call-out-trade-no"><a href="[^"]*">[^<]*</g) ?? [];
    expect(cells).toHaveLength(200);
    expect(cells.every((cell) => cell.endsWith(`>${no}<`))).toBe(true);
    expect(html).toContain('the last 200 shown');
    // The newest first: the first row is the last check.
    expect(html.indexOf(`data-call="${sandbox.calls().at(-1)!.id}"`)).toBeGreaterThan(0);
    expect(html).not.toContain(`data-call="${sandbox.calls({ endpoint: 'check' })[3].id}"`);
    const all = await page('/dashboard/calls?lang=en');
    expect(all.html.match(/data-testid="call-out-trade-no"/g)).toHaveLength(200);
    expect(sandbox.calls({ endpoint: 'check' })).toHaveLength(204);
  });

  it('escapes what a merchant sent (out_trade_no, body, attach) on every page', async () => {
    const id = await nativeOrder(sandbox.url, { out_trade_no: XSS_SHORT, body: XSS, attach: XSS, notify_url: receiver.url });
    await sandbox.pay(id);
    await sandbox.waitForNotify({ payjs_order_id: id });
    await send(sandbox.url, 'check', { mchid: MCHID, payjs_order_id: id, sign: XSS }); // shown in the journal's diagnosis
    await sandbox.use({ match: { out_trade_no: XSS_SHORT }, tokens: 'pay=auto' });
    for (const path of [...PAGES, `/dashboard/orders/${id}`, `/?out_trade_no=${encodeURIComponent(XSS)}`, `/dashboard/orders/${encodeURIComponent(XSS)}`]) {
      const { html } = await page(path);
      expect(html, path).not.toMatch(/<img src=x/i);
      expect(html, path).not.toMatch(/<\/?script[^>]*>[^<]*<img/i);
    }
    expect((await page('/dashboard/journal?sign=invalid')).html).toContain('&lt;img src=x onerror=window.__xss=1&gt;');
    const detail = (await page(`/dashboard/orders/${id}`)).html;
    expect(detail).toContain('&lt;img src=x onerror=__xss=1&gt;');
    expect(detail).toContain('&lt;img src=x onerror=window.__xss=1&gt;');
  });
});
