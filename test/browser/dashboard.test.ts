import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../../src/index.js';
import { startReceiver, type Receiver } from '../receiver.js';
import { nativeOrder, tradeNo } from '../support.js';
import { launchBrowser } from './browser.js';

let browser: Browser;
let sandbox: Sandbox;
let receiver: Receiver;
let page: Page;
beforeAll(async () => {
  [browser, sandbox, receiver] = await Promise.all([
    launchBrowser(),
    startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }) }),
    startReceiver(),
  ]);
});
afterAll(() => Promise.all([browser?.close(), sandbox?.close(), receiver?.close()]));
beforeEach(async () => {
  await sandbox.reset();
  receiver.reply({ status: 200, body: 'success' });
  page = await browser.newPage();
  page.on('dialog', (d) => d.accept()); // the confirm() of reset and clear-all
});
afterEach(() => page.close());

/** Opens a dashboard page and waits until its server-sent events are connected. */
const open = async (path: string) => {
  await page.goto(`${sandbox.url}${path}`);
  await page.waitForSelector('html[data-live="on"]');
  await page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true)); // gone if the page reloads
};
const sameDocument = () => page.evaluate(() => (window as unknown as { __same?: boolean }).__same === true);

describe('the dashboard in a browser', () => {
  it('shows a new order live, without reloading, with what the merchant sent escaped', async () => {
    await open('/');
    await page.getByTestId('no-orders').waitFor();
    const outTradeNo = tradeNo();
    const id = await nativeOrder(sandbox.url, { out_trade_no: outTradeNo, body: '实时订单' });
    const row = page.locator(`tr[data-order="${id}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toContain(outTradeNo);
    await expect(page.locator('[data-count="unpaid"]').textContent()).resolves.toBe('1');

    const xss = await nativeOrder(sandbox.url, { out_trade_no: '<img src=x onerror=__xss=1>', body: '<img src=x onerror=window.__xss=1>', attach: '<b>x</b>' });
    await page.locator(`tr[data-order="${xss}"]`).waitFor();
    await expect(page.locator(`tr[data-order="${xss}"] a`).first().textContent()).resolves.toBe('<img src=x onerror=__xss=1>');
    await sandbox.pay(id);
    await page.locator(`tr[data-order="${id}"] [data-status="paid"]`).waitFor();
    expect(await sameDocument()).toBe(true);
    await page.goto(`${sandbox.url}/dashboard/orders/${xss}`);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
  });

  it('pays an order from its page: the status turns paid and the notify attempt shows', async () => {
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await open(`/dashboard/orders/${id}`);
    await page.locator('button[data-action="payOnTime"]').click();
    await page.locator('[data-testid="order-status"][data-status="paid"]').waitFor();
    await page.locator('[data-testid="attempts"] tr[data-attempt="1"][data-delivered="true"]').waitFor();
    await page.locator('[data-job-state="delivered"]').waitFor();
    expect(receiver.received.at(-1)?.fields.payjs_order_id).toBe(id);
    await expect(page.locator('button[data-action="payOnTime"]').isDisabled()).resolves.toBe(true);

    await page.getByTestId('resend').click();
    await page.locator('[data-testid="attempts"] tr[data-attempt="2"]').waitFor();
    await page.locator('button[data-action="refund"]').click();
    await page.locator('[data-testid="order-status"][data-status="refunded"]').waitFor();
    expect(await sameDocument()).toBe(true);
  });

  it('advances the sandbox clock from the clock page, running the notify retry that fell due', async () => {
    let answered = 0;
    receiver.reply(() => (++answered === 1 ? { status: 500 } : { status: 200 }));
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.pay(id);
    await sandbox.waitForNotify({ payjs_order_id: id, delivered: false });
    await open('/dashboard/clock');
    const before = Number(await page.getByTestId('clock-now').getAttribute('data-ms'));
    await page.getByTestId('advance-15').click();
    await page.waitForFunction((ms) => Number(document.querySelector('[data-testid="clock-now"]')?.getAttribute('data-ms')) === ms, before + 15_000);
    expect((await sandbox.waitForNotify({ payjs_order_id: id, delivered: true })).attempt).toBe(2);
    await page.getByTestId('advance-seconds').fill('180');
    await page.getByTestId('advance-form').locator('button[type="submit"]').click();
    await page.waitForFunction((ms) => Number(document.querySelector('[data-testid="clock-now"]')?.getAttribute('data-ms')) === ms, before + 195_000);
    // And back: the clock returns to where it started, every advance forgotten.
    await page.getByTestId('clock-reset').click();
    await page.waitForFunction((ms) => Number(document.querySelector('[data-testid="clock-now"]')?.getAttribute('data-ms')) === ms, Date.UTC(2024, 0, 1, 4));
    expect(sandbox.clock.advanced()).toBe(0);
  });

  it("shows Example A's sign in the signature debugger, and diagnoses a lower-case one", async () => {
    await page.goto(`${sandbox.url}/dashboard/sign`);
    await page.getByTestId('sign-params').fill('mchid=1234567890&total_fee=1&out_trade_no=ORDER20240101001&body=测试订单&notify_url=https://example.com/payjs/notify&attach=');
    await expect(page.getByTestId('sign-key').inputValue()).resolves.toBe('TestKey1234567890');
    await page.getByTestId('sign-compute').click();
    await expect(page.locator('#sign-value').textContent()).resolves.toBe('9A97FADE7DA0076A06B0911C3DF59968');
    await expect(page.locator('#sign-canonical').textContent()).resolves.toBe('body=测试订单&mchid=1234567890&notify_url=https://example.com/payjs/notify&out_trade_no=ORDER20240101001&total_fee=1&key=TestKey1234567890');
    await page.getByTestId('sign-received').fill('9a97fade7da0076a06b0911c3df59968');
    await page.getByTestId('sign-compute').click();
    await expect(page.locator('#sign-verdict').textContent()).resolves.toMatch(/签名不匹配[\s\S]*lower-case/);
  });

  it('adds and clears scenario rules, and resets the sandbox, from the pages', async () => {
    await open('/dashboard/scenarios');
    await page.getByTestId('rule-tokens').fill('pay=auto');
    await page.locator('input[name="m_out_trade_no"]').fill('VIP-*');
    await page.locator('input[name="mode"][value="once"]').check();
    await page.getByTestId('scenario-form').locator('button[type="submit"]').click();
    await page.locator('tr[data-rule="s1"]').waitFor();
    expect((await (await fetch(`${sandbox.url}/__sandbox/scenarios`)).json()).scenarios[0]).toMatchObject({ match: { out_trade_no: 'VIP-*' }, remaining: 1 });
    await page.getByTestId('clear-rules').click();
    await page.getByTestId('no-rules').waitFor();

    await nativeOrder(sandbox.url);
    await open('/');
    await page.locator('tr[data-order]').first().waitFor();
    await page.getByTestId('reset').click();
    await page.getByTestId('no-orders').waitFor();
    expect(sandbox.orders()).toEqual([]);
  });

  it('switches to English and keeps it', async () => {
    await page.goto(`${sandbox.url}/`);
    await expect(page.getByTestId('nav-orders').textContent()).resolves.toBe('订单');
    await page.getByTestId('lang-switch').click();
    await expect(page.getByTestId('nav-orders').textContent()).resolves.toBe('Orders');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await page.getByTestId('nav-clock').click();
    await expect(page.locator('h1').textContent()).resolves.toBe('Sandbox clock');
  });
});
