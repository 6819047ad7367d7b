/** POST /__sandbox/miniprogram/pay and the pages/pay page: the simulated PAYJS mini-program answers
 * with the onShow options the merchant app receives on return (docs/protocol.md §12). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Params, type Sandbox } from '../src/index.js';
import { startReceiver, type Receiver } from './receiver.js';
import { MCHID, signed, tradeNo } from './support.js';

let sandbox: Sandbox;
let receiver: Receiver;
beforeAll(async () => {
  sandbox = await startSandbox();
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
  await sandbox.close();
});

const extraData = (extra: Params = {}): Params => ({ mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: '会员月卡', notify_url: receiver.url, nonce: 'n0nce42', ...extra });

async function pay(body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sandbox.url}/__sandbox/miniprogram/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

describe('POST /__sandbox/miniprogram/pay', () => {
  it('a valid extraData creates a miniprogram order, pays it, notifies, and answers the onShow options', async () => {
    const data = signed(extraData({ attach: 'uid=42' }));
    const { status, json } = await pay({ extraData: data, action: 'pay', path: 'pages/cart/cart', query: { from: 'cart' } });
    expect(status).toBe(200);
    const id = json.order.payjs_order_id;
    expect(json.onShowOptions).toEqual({
      scene: 1038,
      path: 'pages/cart/cart',
      query: { from: 'cart' },
      referrerInfo: { appId: 'wx959c8c1fb2d877b5', extraData: { success: true, resultCode: 'SUCCESS', msg: '支付成功', payjsOrderId: id } },
    });
    expect(json.order).toMatchObject({ channel: 'miniprogram', status: 'paid', out_trade_no: data.out_trade_no, attach: 'uid=42', total_fee: 1 });
    const notify = await sandbox.waitForNotify({ payjs_order_id: id });
    expect(notify.status).toBe(200);
    expect(receiver.received.at(-1)?.fields).toMatchObject({ out_trade_no: data.out_trade_no, attach: 'uid=42', return_code: '1' });
  });

  it('the path defaults to pages/index/index', async () => {
    const { json } = await pay({ extraData: signed(extraData()), action: 'cancel' });
    expect(json.onShowOptions).toMatchObject({ path: 'pages/index/index', query: {} });
    expect(json.onShowOptions.referrerInfo.extraData).toEqual({ success: false, resultCode: 'CANCEL', msg: '用户取消支付', payjsOrderId: json.order.payjs_order_id });
    expect(json.order.status).toBe('unpaid');
  });

  it('fail leaves the order unpaid and records the failed attempt', async () => {
    const { json } = await pay({ extraData: signed(extraData()), action: 'fail' });
    expect(json.onShowOptions.referrerInfo.extraData).toMatchObject({ success: false, resultCode: 'FAIL', msg: '支付失败' });
    expect((await sandbox.order(json.order.payjs_order_id))?.history.map((h) => h.event)).toEqual(['create', 'pay_failed']);
  });

  const refusals: [string, () => Params, RegExp][] = [
    ['a wrong sign', () => ({ ...signed(extraData()), sign: 'A'.repeat(32) }), /^签名错误 \(signature mismatch/],
    ['a sign that leaves out nonce', () => ({ ...extraData(), sign: signed({ ...extraData(), nonce: undefined }).sign }), /^签名错误/],
    ['no nonce', () => signed(extraData({ nonce: undefined })), /^缺少参数：nonce/],
    ['no out_trade_no', () => signed(extraData({ out_trade_no: undefined })), /^缺少参数：out_trade_no/],
    ['camelCase names of old demos', () => signed({ mchId: MCHID, totalFee: 1, outTradeNo: tradeNo(), nonce: 'x' }), /^参数错误：mchId → mchid, totalFee → total_fee, outTradeNo → out_trade_no \(use snake_case field names/],
    ["qingwg's mch_id", () => signed({ ...extraData(), mchid: undefined, mch_id: MCHID }), /mch_id → mchid/],
    ['a body longer than 32 characters', () => signed(extraData({ body: '长'.repeat(33) })), /^参数过长：body \(at most 32/],
    ['an extraData sent as a JSON string', () => JSON.stringify(signed(extraData())) as unknown as Params, /extraData \(must be an object, not a string/],
  ];
  it.each(refusals)('%s: no order, success false and a msg naming the problem, HTTP 200', async (_name, make, msg) => {
    const before = sandbox.orders().length;
    const { status, json } = await pay({ extraData: make(), action: 'pay' });
    expect(status).toBe(200);
    expect(json.order).toBeNull();
    expect(json.onShowOptions).toMatchObject({ scene: 1038, referrerInfo: { appId: 'wx959c8c1fb2d877b5' } });
    const result = json.onShowOptions.referrerInfo.extraData;
    expect(result).toEqual({ success: false, resultCode: 'ERROR', msg: expect.stringMatching(msg) });
    expect(sandbox.orders().length).toBe(before);
  });

  it('a request the sandbox cannot read is a 400, not a return to the app', async () => {
    expect(await pay({ extraData: signed(extraData()), action: 'refund' })).toMatchObject({ status: 400, json: { error: 'INVALID_PARAM', message: expect.stringContaining('pay, fail, cancel') } });
    expect(await pay([1, 2])).toMatchObject({ status: 400 });
  });

  it('scenario rules apply as on other surfaces: pay=cancel makes Pay cancel', async () => {
    const out = tradeNo();
    await sandbox.use({ match: { out_trade_no: out, endpoint: 'miniprogram' }, tokens: 'pay=cancel', once: true });
    const { json } = await pay({ extraData: signed(extraData({ out_trade_no: out })), action: 'pay' });
    expect(json.onShowOptions.referrerInfo.extraData.resultCode).toBe('CANCEL');
    expect(json.order).toMatchObject({ status: 'unpaid', scenario: ['pay=cancel'] });
  });

  it('the magic amount 501 (pay=auto) pays whatever the payer taps', async () => {
    const { json } = await pay({ extraData: signed(extraData({ total_fee: 501 })), action: 'cancel' });
    expect(json.onShowOptions.referrerInfo.extraData.resultCode).toBe('SUCCESS');
    expect(json.order.status).toBe('paid');
  });
});

describe('GET /__sandbox/miniprogram/pages/pay', () => {
  const page = (data: unknown) => fetch(`${sandbox.url}/__sandbox/miniprogram/pages/pay?extraData=${encodeURIComponent(typeof data === 'string' ? data : JSON.stringify(data))}`);

  it('shows the order with Pay / Fail / Cancel, every value escaped', async () => {
    const data = signed(extraData({ body: '<script>alert(1)</script>', attach: '"><img src=x onerror=alert(2)>', total_fee: 1234 }));
    const html = await (await page(data)).text();
    expect(html).toContain('¥12.34');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    for (const action of ['pay', 'fail', 'cancel']) expect(html).toContain(`data-testid="${action}"`);
  });

  it('after Pay it shows the onShow options and a DevTools compile condition', async () => {
    const data = signed(extraData());
    const res = await fetch(`${sandbox.url}/__sandbox/miniprogram/pages/pay`, { method: 'POST', body: new URLSearchParams({ extraData: JSON.stringify(data), action: 'pay', path: 'pages/pay/pay' }) });
    const html = await res.text();
    const unescape = (s: string) => s.replace(/&#34;/g, '"').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
    const onShow = JSON.parse(unescape(/<pre data-testid="onshow">([\s\S]*?)<\/pre>/.exec(html)![1]));
    expect(onShow).toMatchObject({ scene: 1038, path: 'pages/pay/pay', referrerInfo: { appId: 'wx959c8c1fb2d877b5', extraData: { success: true } } });
    const condition = JSON.parse(unescape(/<pre data-testid="devtools">([\s\S]*?)<\/pre>/.exec(html)![1]));
    expect(condition).toEqual({ name: 'PAYJS 支付返回', pathName: 'pages/pay/pay', query: '', scene: 1038, referrerInfo: { appId: 'wx959c8c1fb2d877b5', extraData: JSON.stringify(onShow.referrerInfo.extraData) } });
    expect((await sandbox.order(onShow.referrerInfo.extraData.payjsOrderId))?.status).toBe('paid');
  });

  it('an extraData that is not JSON is named on the page', async () => {
    const res = await page('{mchid: 1');
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('extraData 不是 JSON');
  });
});
