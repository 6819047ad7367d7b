import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, tempDb, tradeNo, verifies, PATH } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ ...PATH, db: tempDb() });
});
afterAll(() => sandbox.close());

const base = { mchid: MCHID, total_fee: 100, body: '测试订单' };
const keysOf = (b: Record<string, unknown>) => Object.keys(b);

describe('creating orders', () => {
  it('native answers exactly the documented fields, sorted, sign last, total_fee echoed as a string from a form', async () => {
    const out_trade_no = tradeNo();
    const a = await call(sandbox.url, 'native', { ...base, out_trade_no, attach: '', notify_url: 'http://127.0.0.1:1/n' });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/^application\/json/);
    expect(keysOf(a.body)).toEqual(['code_url', 'out_trade_no', 'payjs_order_id', 'qrcode', 'return_code', 'return_msg', 'total_fee', 'sign']);
    expect(a.body).toMatchObject({ return_code: 1, return_msg: 'SUCCESS', out_trade_no, total_fee: '100' });
    expect(a.body.payjs_order_id).toMatch(/^\d{25}$/);
    expect(a.body.code_url).toMatch(new RegExp(`^${sandbox.url}/wxpay/bizpayurl\\?pr=\\w+$`));
    expect(a.body.qrcode).toBe(`${sandbox.url}/qrcode/${Buffer.from(a.body.code_url as string).toString('base64')}`);
    expect(verifies(a.body)).toBe(true);
  });

  it('echoes total_fee as a number when the request was JSON', async () => {
    const a = await call(sandbox.url, 'native', { ...base, out_trade_no: tradeNo() }, 'json');
    expect(a.body.total_fee).toBe(100);
    expect(verifies(a.body)).toBe(true);
  });

  it('starts payjs_order_id with the Beijing creation time', async () => {
    const a = await call(sandbox.url, 'native', { ...base, out_trade_no: tradeNo() });
    // The day of the order's own creation time, not of the test's clock: no race at Beijing midnight.
    const created = (await sandbox.order(a.body.payjs_order_id as string))!.created_at;
    const beijing = new Date(created + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
    expect((a.body.payjs_order_id as string).slice(0, 8)).toBe(beijing);
    expect((a.body.payjs_order_id as string).slice(14, 16)).toBe('00');
  });

  it('micropay charges the payer at once', async () => {
    const a = await call(sandbox.url, 'micropay', { ...base, out_trade_no: tradeNo(), auth_code: '134567890123456789' });
    expect(keysOf(a.body)).toEqual(['out_trade_no', 'payjs_order_id', 'return_code', 'return_msg', 'total_fee', 'sign']);
    expect(verifies(a.body)).toBe(true);
    const order = await sandbox.order(a.body.payjs_order_id as string);
    expect(order?.status).toBe('paid');
    expect(order?.transaction_id).toMatch(/^\d{28}$/);
  });

  it('facepay charges the face owner at once', async () => {
    const a = await call(sandbox.url, 'facepay', { ...base, out_trade_no: tradeNo(), openid: 'o7LFAwFaceOwner000000000000', face_code: 'F1' });
    expect(a.body.return_code).toBe(1);
    const order = await sandbox.order(a.body.payjs_order_id as string);
    expect(order).toMatchObject({ status: 'paid', openid: 'o7LFAwFaceOwner000000000000' });
  });

  it('jsapi answers a jsapi object for WeixinJSBridge, signed PHP-style', async () => {
    const a = await call(sandbox.url, 'jsapi', { ...base, out_trade_no: tradeNo(), openid: 'o7LFAwPayer00000000000000000' });
    expect(keysOf(a.body)).toEqual(['jsapi', 'payjs_order_id', 'return_code', 'return_msg', 'sign']);
    const jsapi = a.body.jsapi as Record<string, string>;
    expect(keysOf(jsapi)).toEqual(['appId', 'nonceStr', 'package', 'paySign', 'signType', 'timeStamp']);
    expect(jsapi.package).toMatch(/^prepay_id=wx\w+$/);
    expect(jsapi.timeStamp).toMatch(/^\d{10}$/);
    expect(verifies(a.body)).toBe(true);
  });

  it('mweb answers an h5_url of the sandbox', async () => {
    const a = await call(sandbox.url, 'mweb', { ...base, out_trade_no: tradeNo(), callback_url: 'https://m.example.com/done' });
    expect(keysOf(a.body)).toEqual(['h5_url', 'payjs_order_id', 'return_code', 'return_msg', 'sign']);
    expect(a.body.h5_url).toMatch(new RegExp(`^${sandbox.url}/h5/pay\\?prepay_id=wx\\w+$`));
    expect(verifies(a.body)).toBe(true);
  });

  it('native with type=alipay records an Alipay order', async () => {
    const a = await call(sandbox.url, 'native', { ...base, out_trade_no: tradeNo(), type: 'alipay' });
    const paid = await sandbox.pay(a.body.payjs_order_id as string);
    expect(paid.type).toBe('alipay');
    expect(paid.openid).toMatch(/^2088\d{12}$/);
  });

  it('cashier redirects the browser to the sandbox pay page', async () => {
    const a = await call(sandbox.url, 'cashier', { ...base, out_trade_no: tradeNo(), callback_url: 'https://m.example.com/done' }, 'get');
    expect(a.status).toBe(302);
    expect(a.headers.get('location')).toMatch(new RegExp(`^${sandbox.url}/cashier/\\w+$`));
    const page = await fetch(a.headers.get('location')!);
    expect(await page.text()).toContain('¥1.00');
  });

  it('cashier with invalid parameters answers the JSON envelope instead of redirecting', async () => {
    const a = await call(sandbox.url, 'cashier', { ...base, out_trade_no: tradeNo(), total_fee: 0 }, 'get');
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ return_code: 0, status: 0 });
    expect(a.body.msg).toMatch(/total_fee/);
  });

  it('accepts a second order with the same out_trade_no, under a new payjs_order_id', async () => {
    const out_trade_no = tradeNo();
    const a = await call(sandbox.url, 'native', { ...base, out_trade_no });
    const b = await call(sandbox.url, 'native', { ...base, out_trade_no });
    expect(b.body.return_code).toBe(1);
    expect(b.body.payjs_order_id).not.toBe(a.body.payjs_order_id);
  });

  it('refuses a duplicate out_trade_no with --unique-out-trade-no', async () => {
    const strict = await startSandbox({ ...PATH, uniqueOutTradeNo: true });
    try {
      const out_trade_no = tradeNo();
      expect((await call(strict.url, 'native', { ...base, out_trade_no })).body.return_code).toBe(1);
      const again = await call(strict.url, 'native', { ...base, out_trade_no });
      expect(again.body).toMatchObject({ return_code: 0, status: 0 });
      expect(again.body.msg).toMatch(/out_trade_no/);
    } finally {
      await strict.close();
    }
  });

  it('closes an unpaid order at its time_expire', async () => {
    const clock = new SandboxClock({ start: Date.UTC(2024, 0, 1, 4, 0, 0), frozen: true }); // 12:00 Beijing
    const timed = await startSandbox({ ...PATH, clock });
    try {
      const a = await call(timed.url, 'native', { ...base, out_trade_no: tradeNo(), time_expire: '20240101121000' });
      const id = a.body.payjs_order_id as string;
      await clock.advance(9 * 60);
      expect((await timed.order(id))?.status).toBe('unpaid');
      await clock.advance(60);
      expect((await timed.order(id))?.status).toBe('closed');
      await expect(timed.pay(id)).rejects.toThrow(/订单已关闭/);
    } finally {
      await timed.close();
    }
  });

  it('closes an unpaid native order after two hours', async () => {
    const clock = new SandboxClock({ start: Date.UTC(2024, 0, 1), frozen: true });
    const timed = await startSandbox({ ...PATH, clock });
    try {
      const id = (await call(timed.url, 'native', { ...base, out_trade_no: tradeNo() })).body.payjs_order_id as string;
      await clock.advance(2 * 3600 - 0.001);
      expect((await timed.order(id))?.status).toBe('unpaid');
      await clock.advance(0.001);
      expect((await timed.order(id))?.status).toBe('closed');
    } finally {
      await timed.close();
    }
  });
});

describe('merchants given at start', () => {
  it('refuses a merchant whose mchid is longer than PAYJS allows', async () => {
    await expect(startSandbox({ ...PATH, merchants: ['12345678901234567890:LongKey'] })).rejects.toThrow(/1-16/);
  });
});
