/** The simulated PAYJS mini-program's page in real Chromium: Pay, then the onShow options and the
 * DevTools compile condition; an XSS payload in extraData never runs. */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Params, type Sandbox } from '../../src/index.js';
import { startReceiver, type Receiver } from '../receiver.js';
import { MCHID, signed, tradeNo } from '../support.js';
import { launchBrowser } from './browser.js';

let browser: Browser;
let sandbox: Sandbox;
let receiver: Receiver;
let page: Page;
beforeAll(async () => {
  [browser, sandbox, receiver] = await Promise.all([
    launchBrowser(),
    startSandbox(),
    startReceiver(),
  ]);
});
afterAll(() => Promise.all([browser?.close(), sandbox?.close(), receiver?.close()]));
beforeEach(async () => {
  page = await browser.newPage({ viewport: { width: 390, height: 844 } });
});
afterEach(() => page.close());

const open = (extraData: Params) => page.goto(`${sandbox.url}/__sandbox/miniprogram/pages/pay?extraData=${encodeURIComponent(JSON.stringify(extraData))}`);
const extraData = (extra: Params = {}) => signed({ mchid: MCHID, total_fee: 1999, out_trade_no: tradeNo(), body: '会员月卡', notify_url: receiver.url, nonce: 'browser-nonce', ...extra });

describe('the PAYJS mini-program page in a browser', () => {
  it('Pay shows the onShow options with scene 1038 and the DevTools compile condition', async () => {
    await open(extraData());
    await expect(page.getByTestId('amount').textContent()).resolves.toBe('¥19.99');
    await page.locator('#path').fill('pages/pay/pay');
    await page.getByTestId('pay').click();

    await expect(page.getByTestId('message').getAttribute('data-result-code')).resolves.toBe('SUCCESS');
    const onShow = JSON.parse((await page.getByTestId('onshow').textContent())!);
    expect(onShow).toMatchObject({ scene: 1038, path: 'pages/pay/pay', referrerInfo: { appId: 'wx959c8c1fb2d877b5', extraData: { success: true, resultCode: 'SUCCESS' } } });
    await expect(page.getByTestId('cc-scene').textContent()).resolves.toBe('1038');
    await expect(page.getByTestId('cc-appid').textContent()).resolves.toBe('wx959c8c1fb2d877b5');
    expect(JSON.parse((await page.getByTestId('cc-extradata').textContent())!)).toEqual(onShow.referrerInfo.extraData);
    const condition = JSON.parse((await page.getByTestId('devtools').textContent())!);
    expect(condition).toMatchObject({ pathName: 'pages/pay/pay', scene: 1038, referrerInfo: { appId: 'wx959c8c1fb2d877b5' } });

    const id = onShow.referrerInfo.extraData.payjsOrderId;
    await expect(page.getByTestId('status').textContent()).resolves.toBe('paid');
    expect((await sandbox.waitForNotify({ payjs_order_id: id })).status).toBe(200);
  });

  it('Cancel returns success false and leaves the order unpaid', async () => {
    await open(extraData());
    await page.getByTestId('cancel').click();
    const onShow = JSON.parse((await page.getByTestId('onshow').textContent())!);
    expect(onShow.referrerInfo.extraData).toMatchObject({ success: false, resultCode: 'CANCEL' });
    expect((await sandbox.order(onShow.referrerInfo.extraData.payjsOrderId))?.status).toBe('unpaid');
  });

  it('a bad sign comes back as success false with the reason, and no order', async () => {
    await open({ ...extraData(), sign: 'F'.repeat(32) });
    await page.getByTestId('pay').click();
    await expect(page.getByTestId('message').textContent()).resolves.toMatch(/^签名错误/);
    await expect(page.getByTestId('status').textContent()).resolves.toContain('no order was created');
  });

  it('an XSS payload in body and attach never runs, before or after paying', async () => {
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    const xss = '<img src=x onerror=alert(1)>';
    await open(extraData({ body: xss.slice(0, 32), attach: `"><script>alert(2)</script>${xss}` }));
    await expect(page.getByTestId('body').textContent()).resolves.toBe(xss.slice(0, 32));
    await expect(page.getByTestId('attach').textContent()).resolves.toBe(`"><script>alert(2)</script>${xss}`);
    await page.getByTestId('pay').click();
    await expect(page.getByTestId('onshow').textContent()).resolves.toContain('"success": true');
    expect(await page.locator('img').count()).toBe(0);
    expect(dialogs).toEqual([]);
  });
});
