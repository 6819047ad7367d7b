import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Params, type Sandbox } from '../../src/index.js';
import { MCHID, call, tradeNo } from '../support.js';
import { launchBrowser } from './browser.js';
import { payjsUrl, startMerchant, type MerchantSite } from './merchant.js';

// Each payload sets window.__xss if it ever runs as HTML or script.
const BODY = '<img src=x onerror=window.__xss=1>';
const ATTACH = '"><script>window.__xss=1</script><img src=x onerror=window.__xss=2>';
const LOGO = 'http://127.0.0.1:9/"><img src=x onerror=window.__xss=3>';

let browser: Browser;
let sandbox: Sandbox;
let merchant: MerchantSite;
let page: Page;
beforeAll(async () => {
  [browser, sandbox, merchant] = await Promise.all([launchBrowser(), startSandbox(), startMerchant()]);
  page = await browser.newPage(); // one page for the file: each test navigates afresh
  page.on('dialog', (d) => d.dismiss());
});
afterAll(() => Promise.all([browser?.close(), sandbox?.close(), merchant?.close()]));

const order = { mchid: MCHID, total_fee: 1, body: BODY, attach: ATTACH };
const xss = () => page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);

/** The page shows both payloads as text, and neither ran. */
async function expectInert(): Promise<void> {
  await page.waitForLoadState('load'); // an injected <img> would have fired onerror by now
  await expect(page.getByTestId('body').textContent()).resolves.toBe(BODY);
  await expect(page.getByTestId('attach').textContent()).resolves.toBe(ATTACH);
  expect(await xss()).toBeUndefined();
}

describe('merchant values on the pages never run as HTML or script', () => {
  it('on the cashier (body, attach, logo) and the closed page after it', async () => {
    await page.goto(payjsUrl(sandbox.url, 'cashier', { ...order, out_trade_no: tradeNo(), logo: LOGO }));
    await expectInert();
    await expect(page.getByTestId('logo').getAttribute('src')).resolves.toBe(LOGO);
    await page.getByTestId('pay').click();
    await expect(page.getByTestId('message').getAttribute('data-outcome')).resolves.toBe('closed');
    await expectInert();
  });

  it('on a cashier whose logo is not an http(s) URL, which shows no logo', async () => {
    await page.goto(payjsUrl(sandbox.url, 'cashier', { ...order, out_trade_no: tradeNo(), logo: '"><script>window.__xss=1</script>' }));
    await expectInert();
    await expect(page.getByTestId('logo').count()).resolves.toBe(0);
  });

  it('on the scan page and the failed result after it', async () => {
    const answer = await call(sandbox.url, 'native', { ...order, out_trade_no: tradeNo() });
    await page.goto(answer.body.code_url as string);
    await expectInert();
    await page.getByTestId('fail').click();
    await page.getByTestId('message').waitFor();
    await expectInert();
  });

  it('on the H5 page and the cancelled result after it', async () => {
    const answer = await call(sandbox.url, 'mweb', { ...order, out_trade_no: tradeNo(), callback_url: `${merchant.url}/r?q="><script>window.__xss=1</script>` });
    await page.goto(answer.body.h5_url as string);
    await expectInert();
    await page.getByTestId('cancel').click();
    await page.getByTestId('message').waitFor();
    await expectInert();
  });

  it('in the JSAPI pay sheet on the merchant page', async () => {
    const answer = await call(sandbox.url, 'jsapi', { ...order, out_trade_no: tradeNo(), openid: 'o7LFAwXssTestOpenid000000001' });
    merchant.page('/xss', `<!doctype html><script src="${sandbox.url}/sandbox/weixin-jsbridge.js"></script>
      <script>WeixinJSBridge.invoke('getBrandWCPayRequest', ${JSON.stringify(answer.body.jsapi as Params)}, function () {});</script>`);
    await page.goto(`${merchant.url}/xss`);
    await expect(page.getByTestId('payjs-sandbox-body').textContent()).resolves.toBe(BODY);
    // Had the body become an image, its onerror would have run once it is complete (failed).
    await page.waitForFunction(() => [...document.images].every((img) => img.complete));
    expect(await xss()).toBeUndefined();
  });

  it('on the openid page, whose callback_url carries the payload', async () => {
    const openidSandbox = await startSandbox({ openidPage: true });
    try {
      await page.goto(`${openidSandbox.url}/api/openid?${new URLSearchParams({ mchid: MCHID, callback_url: `${merchant.url}/cb?x="><script>window.__xss=1</script>` })}`);
      await page.waitForLoadState('load');
      await expect(page.getByTestId('user').count()).resolves.toBe(4);
      expect(await xss()).toBeUndefined();
    } finally {
      await openidSandbox.close();
    }
  });
});
