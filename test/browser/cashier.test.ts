import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Params, Sandbox } from '../../src/index.js';
import type { Receiver } from '../receiver.js';
import { openBrowserSite, type BrowserSite } from '../support/browser-site.js';
import { MCHID, tradeNo } from '../support.js';
import { payjsUrl, type MerchantSite } from './merchant.js';

let site: BrowserSite;
let sandbox: Sandbox;
let receiver: Receiver;
let merchant: MerchantSite;
let page: Page;
beforeAll(async () => {
  site = await openBrowserSite();
  ({ sandbox, receiver, merchant, page } = site);
});
afterAll(() => site?.close());

const cashier = (extra: Params = {}) =>
  payjsUrl(sandbox.url, 'cashier', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: '收银台商品', notify_url: receiver.url, ...extra });
const orderOnPage = async () => (await page.getByTestId('payjs-order-id').textContent())!;

describe('the cashier in a browser', () => {
  it('Pay sends the browser to callback_url, the order is paid and the merchant gets the notify', async () => {
    await page.goto(cashier({ callback_url: `${merchant.url}/done?from=cashier` }));
    await expect(page.getByTestId('amount').textContent()).resolves.toBe('¥0.01');
    const id = await orderOnPage();
    await page.getByTestId('pay').click();
    await page.waitForURL(`${merchant.url}/done?from=cashier`);
    expect((await sandbox.order(id))?.status).toBe('paid');
    const notify = await sandbox.waitForNotify({ payjs_order_id: id });
    expect(notify.status).toBe(200);
    expect(receiver.received.some((r) => r.fields.payjs_order_id === id && r.fields.return_code === '1')).toBe(true);
  });

  it('auto=1 pays after a short countdown, without a tap', async () => {
    await page.goto(cashier({ auto: 1, callback_url: `${merchant.url}/auto` }));
    await expect(page.getByTestId('countdown').isVisible()).resolves.toBe(true);
    const id = await orderOnPage();
    await page.waitForURL(`${merchant.url}/auto`, { timeout: 5000 });
    expect((await sandbox.order(id))?.status).toBe('paid');
  });

  it('hide=1 pays at once without showing the cashier, whatever auto says', async () => {
    // The cashier page /api/cashier leads to, as served: it must start the payment with no countdown.
    const served: string[] = [];
    await page.route(`${sandbox.url}/api/cashier?**`, async (route) => {
      const response = await route.fetch();
      served.push(await response.text());
      await route.fulfill({ response });
    });
    try {
      await page.goto(cashier({ hide: 1, auto: 1, callback_url: `${merchant.url}/hidden`, out_trade_no: 'HIDE-1' }));
      await page.waitForURL(`${merchant.url}/hidden`);
    } finally {
      await page.unrouteAll();
    }
    expect(served).toHaveLength(1);
    expect(served[0]).toContain('data-testid="hidden-pay"');
    expect(served[0]).not.toContain('data-auto-seconds');
    expect(sandbox.orders().find((o) => o.out_trade_no === 'HIDE-1')?.status).toBe('paid');
  });

  it('without callback_url, paying shows the page that WeChat would close', async () => {
    await page.goto(cashier());
    const id = await orderOnPage();
    await page.getByTestId('pay').click();
    await expect(page.getByTestId('message').getAttribute('data-outcome')).resolves.toBe('closed');
    expect((await sandbox.order(id))?.status).toBe('paid');
  });

  it('Cancel shows the cancelled page, which leads back to the merchant or to paying again', async () => {
    await page.goto(cashier({ callback_url: `${merchant.url}/back` }));
    const id = await orderOnPage();
    await page.getByTestId('cancel').click();
    await expect(page.getByTestId('message').getAttribute('data-outcome')).resolves.toBe('cancelled');
    expect((await sandbox.order(id))?.status).toBe('unpaid');
    expect(new URL(page.url()).pathname).toMatch(/^\/result\//); // a reload does not post again
    await page.getByTestId('try-again').click();
    await expect(page.getByTestId('pay').isVisible()).resolves.toBe(true);
    await page.goBack();
    await page.getByTestId('back').click();
    await page.waitForURL(`${merchant.url}/back`);
    expect((await sandbox.order(id))?.history.map((h) => h.event)).toEqual(['create', 'pay_cancelled']);
  });

  it('a logo URL shows as the merchant logo', async () => {
    await page.goto(cashier({ logo: `${merchant.url}/logo.png` }));
    await expect(page.getByTestId('logo').getAttribute('src')).resolves.toBe(`${merchant.url}/logo.png`);
  });
});
