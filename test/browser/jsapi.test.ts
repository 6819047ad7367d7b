import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Params, type Sandbox } from '../../src/index.js';
import { startReceiver, type Receiver } from '../receiver.js';
import { MCHID, call, tradeNo } from '../support.js';
import { launchBrowser } from './browser.js';
import { startMerchant, type MerchantSite } from './merchant.js';

let browser: Browser;
let sandbox: Sandbox;
let receiver: Receiver;
let merchant: MerchantSite;
let page: Page;

/** The merchant's JSAPI page, as the PAYJS demos write it: the back end creates the order through
 * /api/jsapi and hands the `jsapi` object to WeixinJSBridge once the bridge is ready. */
const merchantPage = (sandboxUrl: string, jsapi: Params, payjsOrderId: string) => `<!doctype html>
<meta charset="utf-8"><title>merchant checkout</title>
<script src="${sandboxUrl}/sandbox/weixin-jsbridge.js"></script>
<button id="buy">buy</button>
<script>
  window.payjsOrderId = ${JSON.stringify(payjsOrderId)};
  document.addEventListener('WeixinJSBridgeReady', function () { window.bridgeReady = true; });
  document.getElementById('buy').onclick = function () {
    WeixinJSBridge.invoke('getBrandWCPayRequest', ${JSON.stringify(jsapi)}, function (res) { window.payResult = res; });
  };
</script>`;

beforeAll(async () => {
  [browser, sandbox, receiver, merchant] = await Promise.all([launchBrowser(), startSandbox(), startReceiver(), startMerchant()]);
  page = await browser.newPage(); // one page for the file: each test navigates afresh
  merchant.page('/checkout', async (url) => {
    const answer = await call(sandbox.url, 'jsapi', { mchid: MCHID, total_fee: 888, out_trade_no: tradeNo(), body: '公众号商品', notify_url: receiver.url, openid: 'o7LFAwMerchantPassedOpenid0001' });
    const jsapi = answer.body.jsapi as Params;
    if (url.searchParams.has('tamper')) jsapi.nonceStr = 'tampered';
    return merchantPage(sandbox.url, jsapi, answer.body.payjs_order_id as string);
  });
});
afterAll(() => Promise.all([browser?.close(), sandbox?.close(), receiver?.close(), merchant?.close()]));

/** Opens the merchant's page, taps buy, and (unless `choice` is omitted) taps a sheet button. */
async function buy(query = '', choice?: 'pay' | 'fail' | 'cancel'): Promise<{ id: string; res: { err_msg: string; err_desc?: string } }> {
  await page.goto(`${merchant.url}/checkout${query}`);
  await page.click('#buy');
  if (choice) {
    await expect(page.getByTestId('payjs-sandbox-amount').textContent()).resolves.toBe('¥8.88');
    await page.getByTestId(`payjs-sandbox-${choice}`).click();
  }
  await page.waitForFunction(() => (window as unknown as { payResult?: unknown }).payResult !== undefined);
  return page.evaluate(() => {
    const w = window as unknown as { payjsOrderId: string; payResult: { err_msg: string; err_desc?: string } };
    return { id: w.payjsOrderId, res: w.payResult };
  });
}

describe('the WeixinJSBridge stand-in on a merchant page of another origin', () => {
  it('fires WeixinJSBridgeReady on the document, as WeChat does', async () => {
    await page.goto(`${merchant.url}/checkout`);
    await page.waitForFunction(() => (window as unknown as { bridgeReady?: boolean }).bridgeReady === true);
    expect(new URL(page.url()).origin).not.toBe(new URL(sandbox.url).origin);
  });

  it('Pay in the sandbox sheet answers get_brand_wcpay_request:ok, and the order is paid by the merchant\'s openid', async () => {
    const { id, res } = await buy('', 'pay');
    expect(res).toEqual({ err_msg: 'get_brand_wcpay_request:ok' });
    const order = await sandbox.order(id);
    expect(order?.status).toBe('paid');
    expect(order?.openid).toBe('o7LFAwMerchantPassedOpenid0001');
    expect((await sandbox.waitForNotify({ payjs_order_id: id })).status).toBe(200);
    await expect(page.getByTestId('payjs-sandbox-sheet').count()).resolves.toBe(0);
  });

  it('Cancel answers get_brand_wcpay_request:cancel and the order stays unpaid', async () => {
    const { id, res } = await buy('', 'cancel');
    expect(res).toEqual({ err_msg: 'get_brand_wcpay_request:cancel' });
    expect((await sandbox.order(id))?.status).toBe('unpaid');
  });

  it('Fail answers get_brand_wcpay_request:fail and the order stays unpaid', async () => {
    const { id, res } = await buy('', 'fail');
    expect(res.err_msg).toBe('get_brand_wcpay_request:fail');
    expect((await sandbox.order(id))?.status).toBe('unpaid');
  });

  it('a jsapi object changed on the way fails at once with the reason, and no sheet opens', async () => {
    const { id, res } = await buy('?tamper=1');
    expect(res.err_msg).toBe('get_brand_wcpay_request:fail');
    expect(res.err_desc).toContain('paySign');
    await expect(page.getByTestId('payjs-sandbox-sheet').count()).resolves.toBe(0);
    expect((await sandbox.order(id))?.status).toBe('unpaid');
  });
});
