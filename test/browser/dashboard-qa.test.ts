import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../../src/index.js';
import { startReceiver, type Receiver } from '../receiver.js';
import { startMerchantEndpoint, type MerchantEndpoint } from '../notify-receivers.js';
import { launchBrowser } from './browser.js';

let browser: Browser;
let sandbox: Sandbox;
let receiver: Receiver;
let forgiving: MerchantEndpoint;
let page: Page;
beforeAll(async () => {
  [browser, sandbox, receiver, forgiving] = await Promise.all([
    launchBrowser(),
    startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }) }),
    startReceiver(),
    startMerchantEndpoint('accepts-forged'),
  ]);
});
afterAll(() => Promise.all([browser?.close(), sandbox?.close(), receiver?.close(), forgiving?.close()]));
beforeEach(async () => {
  await sandbox.reset();
  receiver.reply({ status: 200, body: 'success' });
  page = await browser.newPage();
});
afterEach(() => page.close());

const open = async (path: string) => {
  await page.goto(`${sandbox.url}${path}${path.includes('?') ? '&' : '?'}lang=en`);
  await page.waitForSelector('html[data-live="on"], html:not([data-live])');
};

/** Creates a test order from the orders page and lands on its page. */
const createOrder = async (notifyUrl: string, channel = 'native') => {
  await open('/');
  await page.getByTestId('create-order').locator('summary').click();
  await page.getByTestId('create-channel').selectOption(channel);
  await page.getByTestId('create-amount').fill('250');
  await page.getByTestId('create-notify-url').fill(notifyUrl);
  await page.getByTestId('create-submit').click();
  await page.waitForURL(/\/dashboard\/orders\/\d{25}/);
  return page.url().match(/(\d{25})/)![1];
};

describe('QA from the dashboard', () => {
  it('creates a test order signed as the merchant, through the API pipeline, in the chosen channel', async () => {
    const id = await createOrder(receiver.url, 'cashier');
    const order = (await sandbox.order(id))!;
    expect(order).toMatchObject({ channel: 'cashier', total_fee: 250, notify_url: receiver.url, status: 'unpaid' });
    // Its create call is in the call log, signed, and linked to the order (a cashier call answers a redirect).
    expect(sandbox.calls({ payjs_order_id: id })).toMatchObject([{ endpoint: 'cashier', sign: 'valid', status: 302 }]);
    await expect(page.getByTestId('order-status').getAttribute('data-status')).resolves.toBe('unpaid');
    // Refund is off on an unpaid order, and says why.
    await expect(page.locator('button[data-action="refund"]').isDisabled()).resolves.toBe(true);
    await expect(page.locator('[data-menu="refund"] .why').textContent()).resolves.toBe('only a paid order can be refunded; this one is unpaid');
  });

  it('pays an order with its notify late by 45 s: nothing until the clock passes 45 s', async () => {
    const id = await createOrder(receiver.url);
    const n = page.locator('[data-menu="payLate"] input[data-n]');
    await n.fill('45');
    await expect(page.locator('button[data-action="payLate"]').textContent()).resolves.toBe('Pay — notify late by 45 s');
    await page.locator('button[data-action="payLate"]').click();
    await page.locator('[data-testid="order-status"][data-status="paid"]').waitFor();
    expect(receiver.received).toHaveLength(0);
    await sandbox.clock.advance(44);
    expect(receiver.received).toHaveLength(0);
    await sandbox.clock.advance(1);
    await sandbox.waitForNotify({ payjs_order_id: id });
    expect(receiver.received.at(-1)!.fields.payjs_order_id).toBe(id);
    // The paid order cannot be paid again: the menu says so.
    await expect(page.locator('[data-menu="payOnTime"] .why').textContent()).resolves.toBe('only an unpaid order can be paid; this one is paid');
  });

  it('fails the next 2 notify attempts of a paid order, then the ladder delivers', async () => {
    const id = await createOrder(receiver.url);
    await page.locator('button[data-action="payOnTime"]').click();
    await sandbox.waitForNotify({ payjs_order_id: id });
    await page.locator('[data-job-state="delivered"]').waitFor(); // the live refresh of the payment is in
    await page.locator('[data-menu="failNext"] input[data-n]').fill('2');
    await page.waitForFunction(() => document.querySelector('button[data-action="failNext"]')?.textContent === 'Fail the next 2 notify attempts');
    await page.locator('button[data-action="failNext"]').click();
    await page.locator('tr[data-kind="notify"]').nth(1).waitFor(); // the first, then the re-armed rung 0, lost
    await sandbox.clock.advance(15);
    await sandbox.clock.advance(15);
    expect(sandbox.notifications(id).map((a) => `${a.step}:${a.delivered ? 'ok' : a.error}`)).toEqual(['0:ok', '0:scenario', '1:scenario', '2:ok']);
    await page.locator('[data-job-state="delivered"]').waitFor();
    // The order list shows the notify state, and filters on it.
    await open('/?notify=delivered');
    await expect(page.locator(`tr[data-order="${id}"] [data-notify]`).getAttribute('data-notify')).resolves.toBe('delivered');
  });

  it('runs a conformance report and shows the worst finding first, with why and how to fix', async () => {
    await open('/dashboard/conformance');
    await page.getByTestId('no-reports').waitFor();
    await page.getByTestId('conformance-url').fill(forgiving.url);
    await page.getByTestId('conformance-run').click();
    const report = page.locator('[data-report]').first();
    await report.waitFor({ timeout: 15_000 });
    await expect(report.getAttribute('data-passed')).resolves.toBe('false');
    const first = report.locator('tbody tr').first();
    await expect(first.getAttribute('data-case')).resolves.toBe('forged');
    await expect(first.locator('[data-testid="finding"]').textContent()).resolves.toMatch(/Your endpoint accepts forged notifies[\s\S]*docs\/protocol\.md §14/);
  });

  it('loads a shipped scenario file from the scenarios page, and shows its description', async () => {
    await open('/dashboard/scenarios');
    await expect(page.locator('tr[data-file="late-notify.json"]').textContent()).resolves.toMatch(/Late notify[\s\S]*60 s after the payment/);
    await page.getByTestId('load-late-notify.json').click();
    await page.locator('tr[data-rule]').first().waitFor();
    await expect(page.locator('tr[data-rule]').first().textContent()).resolves.toMatch(/Late notify[\s\S]*notify=late:60/);
  });

  it('keeps amount, status and notify on screen at 390 px, and a disabled button does not look chosen', async () => {
    const id = await createOrder(receiver.url);
    await page.setViewportSize({ width: 390, height: 800 });
    await open('/');
    const row = page.locator(`tr[data-order="${id}"]`);
    for (const cell of [row.locator('td.num'), row.locator('[data-status]'), row.locator('[data-notify]')]) {
      const box = (await cell.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    await page.setViewportSize({ width: 1366, height: 800 });
    await open(`/dashboard/orders/${id}`);
    const look = (sel: string) => page.locator(sel).evaluate((b) => { const c = getComputedStyle(b); return `${c.backgroundColor} ${c.borderStyle}`; });
    await expect(look('button[data-action="refund"]')).resolves.toBe('rgb(255, 255, 255) dashed');
    expect(await look('button[data-action="payOnTime"]')).not.toContain('dashed');
  });

  it('wraps the bad-sign box at 1366 px', async () => {
    await page.setViewportSize({ width: 1366, height: 800 });
    await fetch(`${sandbox.url}/api/native`, { method: 'POST', body: new URLSearchParams({ mchid: '1234567890', total_fee: '1', out_trade_no: 'X'.repeat(32), body: 'B'.repeat(64), notify_url: `http://127.0.0.1/${'n'.repeat(200)}`, sign: '0'.repeat(32) }) });
    await open('/dashboard/journal');
    const box = (await page.getByTestId('diagnosis').first().boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(1366); // the canonical string wraps instead of running off the page
  });

  it('tells space-separated tokens to use commas, in a toast that replaces the last error and can be closed', async () => {
    await open('/dashboard/scenarios');
    const shown = Number(await page.evaluate(() => document.documentElement.dataset.toasts ?? '0'));
    await page.getByTestId('rule-tokens').fill('pay=sometimes');
    await page.getByTestId('scenario-form').locator('button[type=submit]').click();
    await page.locator(`#flash .bad[data-seq="${shown + 1}"]`).waitFor();
    await page.getByTestId('rule-tokens').fill('pay=auto notify=late:30');
    await page.getByTestId('scenario-form').locator('button[type=submit]').click();
    await page.locator(`#flash .bad[data-seq="${shown + 2}"]`).waitFor();
    expect(await page.locator('#flash .bad').count()).toBe(1);
    await expect(page.locator('#flash .bad').textContent()).resolves.toContain('separate tokens with commas, not spaces');
    await page.locator('#flash .bad button').click();
    expect(await page.locator('#flash .bad').count()).toBe(0);
  });
});
