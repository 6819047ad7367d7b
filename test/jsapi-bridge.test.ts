import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Params, type Sandbox } from '../src/index.js';
import { MCHID, call, tradeNo } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

const MERCHANT_ORIGIN = 'http://shop.example.com';
async function jsapiOrder(extra: Params = {}): Promise<{ id: string; jsapi: Params }> {
  const a = await call(sandbox.url, 'jsapi', { mchid: MCHID, total_fee: 300, out_trade_no: tradeNo(), openid: 'o7LFAwBridgeTestOpenid0000001', body: '公众号商品', ...extra });
  return { id: a.body.payjs_order_id as string, jsapi: a.body.jsapi as Params };
}
/** What the sandbox pay sheet sends from the merchant's page. */
const sheet = (what: 'order' | 'pay', body: unknown) =>
  fetch(`${sandbox.url}/sandbox/jsapi/${what}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: MERCHANT_ORIGIN }, body: JSON.stringify(body) });

describe('the WeixinJSBridge stand-in and its sheet endpoints', () => {
  it('serves the script to pages of any origin', async () => {
    const res = await fetch(`${sandbox.url}/sandbox/weixin-jsbridge.js`);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.text()).toContain("'getBrandWCPayRequest'");
  });

  it('answers the CORS preflight of the sheet', async () => {
    const res = await fetch(`${sandbox.url}/sandbox/jsapi/pay`, {
      method: 'OPTIONS',
      headers: { origin: MERCHANT_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type');
  });

  it('shows the order of a jsapi object, and pays it once', async () => {
    const { id, jsapi } = await jsapiOrder();
    const shown = await sheet('order', { jsapi });
    expect(shown.headers.get('access-control-allow-origin')).toBe('*');
    expect(await shown.json()).toEqual({ payjs_order_id: id, merchant: 'PAYJS 沙箱商户', total_fee: 300, body: '公众号商品', status: 'unpaid' });
    const paid = await sheet('pay', { jsapi, action: 'pay' });
    expect(await paid.json()).toEqual({ err_msg: 'get_brand_wcpay_request:ok', outcome: 'paid', payjs_order_id: id, status: 'paid' });
    expect((await sandbox.order(id))?.openid).toBe('o7LFAwBridgeTestOpenid0000001');
    const again = await sheet('pay', { jsapi, action: 'pay' });
    expect(again.status).toBe(409);
    expect((await again.json()).message).toContain('订单已支付');
  });

  it.each([
    ['cancel', 'get_brand_wcpay_request:cancel'],
    ['fail', 'get_brand_wcpay_request:fail'],
  ])('%s answers %s and leaves the order unpaid', async (action, errMsg) => {
    const { id, jsapi } = await jsapiOrder();
    expect((await (await sheet('pay', { jsapi, action })).json()).err_msg).toBe(errMsg);
    expect((await sandbox.order(id))?.status).toBe('unpaid');
  });

  it('the pay=fail scenario makes Pay fail', async () => {
    const { jsapi } = await jsapiOrder({ total_fee: 502 });
    expect((await (await sheet('pay', { jsapi, action: 'pay' })).json()).err_msg).toBe('get_brand_wcpay_request:fail');
  });

  it.each([
    ['a changed nonceStr', (j: Params) => ({ ...j, nonceStr: 'changed' }), 400, '支付验证签名失败'],
    ['a paySign of another key', (j: Params) => ({ ...j, paySign: 'F'.repeat(32) }), 400, '支付验证签名失败'],
    ['a package of no order', (j: Params) => ({ ...j, package: 'prepay_id=wxNOTHING' }), 404, '订单不存在'],
    ['a package without prepay_id', (j: Params) => ({ ...j, package: 'nothing' }), 400, 'package'],
    ['no timeStamp', (j: Params) => ({ ...j, timeStamp: undefined }), 400, 'timeStamp'],
  ])('refuses %s', async (_, change, status, message) => {
    const { jsapi } = await jsapiOrder();
    const res = await sheet('pay', { jsapi: change(jsapi), action: 'pay' });
    expect(res.status).toBe(status);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect((await res.json()).message).toContain(message);
  });

  it('refuses a request without a jsapi object or with an unknown action', async () => {
    expect((await sheet('order', {})).status).toBe(400);
    const { jsapi } = await jsapiOrder();
    expect((await sheet('pay', { jsapi, action: 'refund' })).status).toBe(400);
  });

  it('does not take the prepay_id of an H5 order', async () => {
    const { jsapi } = await jsapiOrder();
    const mweb = await call(sandbox.url, 'mweb', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo() });
    const prepay = new URL(mweb.body.h5_url as string).searchParams.get('prepay_id');
    expect((await sheet('order', { jsapi: { ...jsapi, package: `prepay_id=${prepay}` } })).status).toBe(404);
  });
});
