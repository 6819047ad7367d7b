import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/index.js';
import type { Receiver } from '../receiver.js';
import { openBrowserSite, type BrowserSite } from '../support/browser-site.js';
import { MCHID, call, tradeNo } from '../support.js';
import { scanQr } from './browser.js';
import type { MerchantSite } from './merchant.js';

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

const native = async () => (await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1999, out_trade_no: tradeNo(), body: '扫码商品', notify_url: receiver.url })).body;

describe('the QR code and the scan page in a browser', () => {
  it('the qrcode image, scanned from the screen, opens the scan page where the order gets paid', async () => {
    const answer = await native();
    await page.goto(answer.qrcode as string);
    const scanned = await scanQr(page.locator('img'));
    expect(scanned).toBe(answer.code_url);

    await page.goto(scanned!);
    await expect(page.getByTestId('amount').textContent()).resolves.toBe('¥19.99');
    await page.getByTestId('pay').click();
    await expect(page.getByTestId('message').getAttribute('data-outcome')).resolves.toBe('paid');
    await expect(page.getByTestId('status').getAttribute('data-status')).resolves.toBe('paid');
    const id = answer.payjs_order_id as string;
    expect((await sandbox.order(id))?.status).toBe('paid');
    expect((await sandbox.waitForNotify({ payjs_order_id: id })).status).toBe(200);
  });

  it('the scan page shows code_url as a QR code, for a phone to scan from the screen', async () => {
    const answer = await native();
    await page.goto(answer.code_url as string);
    await expect(scanQr(page.getByTestId('qr'))).resolves.toBe(answer.code_url);
  });

  it('Fail on the scan page shows the failure and leaves the order unpaid', async () => {
    const answer = await native();
    await page.goto(answer.code_url as string);
    await page.getByTestId('fail').click();
    await expect(page.getByTestId('message').getAttribute('data-outcome')).resolves.toBe('failed');
    expect((await sandbox.order(answer.payjs_order_id as string))?.status).toBe('unpaid');
  });

  it('the h5_url page pays and returns to the callback_url of the mweb order', async () => {
    const answer = (await call(sandbox.url, 'mweb', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), callback_url: `${merchant.url}/h5-return?o=1` })).body;
    await page.goto(answer.h5_url as string);
    await page.getByTestId('pay').click();
    await page.waitForURL(`${merchant.url}/h5-return?o=1`);
    expect((await sandbox.order(answer.payjs_order_id as string))?.status).toBe('paid');
  });
});
