import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, signed, tradeNo, verifies, type Transport, PATH } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ ...PATH });
});
afterAll(() => sandbox.close());

describe('every transport a PAYJS client uses', () => {
  it.each<Transport>(['form', 'json', 'multipart', 'query', 'get'])('creates and checks an order over %s', async (transport) => {
    const created = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: '中文 and spaces & =' }, transport);
    expect(created.body.return_code).toBe(1);
    expect(verifies(created.body)).toBe(true);
    const checked = await call(sandbox.url, 'check', { payjs_order_id: created.body.payjs_order_id as string }, transport);
    expect(checked.body).toMatchObject({ return_code: 1, status: 0 });
  });

  it('merges query and body, the body winning', async () => {
    const params = signed({ mchid: MCHID, total_fee: 2, out_trade_no: tradeNo() });
    const res = await fetch(`${sandbox.url}/api/native?total_fee=999&out_trade_no=fromquery`, { method: 'POST', body: new URLSearchParams(params as Record<string, string>) });
    const body = await res.json();
    expect(body).toMatchObject({ return_code: 1, total_fee: '2', out_trade_no: params.out_trade_no });
  });

  it('takes raw, unencoded values as the C# SDK sends them', async () => {
    const params = signed({ mchid: MCHID, total_fee: 3, out_trade_no: tradeNo(), body: '测试', notify_url: 'https://example.com/notify' });
    const raw = Object.entries(params).map(([k, v]) => `${k}=${v}`).join('&');
    const res = await fetch(`${sandbox.url}/api/native`, { method: 'POST', body: raw, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect((await res.json()).return_code).toBe(1);
  });

  it('treats JSON numbers and booleans the way they are signed: decimal, and 1/0', async () => {
    const a = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 4, out_trade_no: tradeNo(), no_credit: true }, 'json');
    expect(a.body.return_code).toBe(1);
  });
});
