import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { KEY, MCHID, call, nativeOrder, tempDb, tradeNo, verifies, PATH } from './support.js';

const OTHER = { mchid: '2000000001', key: 'OtherMerchantKey01' };
const clock = new SandboxClock({ start: Date.UTC(2024, 0, 1, 4, 0, 0), frozen: true });
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ ...PATH, db: tempDb(), merchants: [`${OTHER.mchid}:${OTHER.key}`], clock });
});
afterAll(() => sandbox.close());

const byId = (endpoint: string, id: string, extra = {}) => call(sandbox.url, endpoint, { payjs_order_id: id, ...extra });

describe('check', () => {
  it('reports an unpaid order with status 0 and "0" for transaction_id and paid_time, signed', async () => {
    const id = await nativeOrder(sandbox.url, { attach: 'uid=42' });
    const a = await byId('check', id);
    expect(Object.keys(a.body)).toEqual(['attach', 'mchid', 'out_trade_no', 'paid_time', 'payjs_order_id', 'return_code', 'status', 'total_fee', 'transaction_id', 'sign']);
    expect(a.body).toMatchObject({ return_code: 1, status: 0, total_fee: 100, paid_time: '0', transaction_id: '0', attach: 'uid=42', mchid: MCHID });
    expect(verifies(a.body)).toBe(true);
  });

  it('reports a paid order with status 1, the payer, the transaction and the Beijing paid_time', async () => {
    const id = await nativeOrder(sandbox.url);
    await sandbox.pay(id);
    const a = await byId('check', id);
    expect(a.body).toMatchObject({ return_code: 1, status: 1, paid_time: '2024-01-01 12:00:00' });
    expect(a.body.transaction_id).toMatch(/^42000\d{23}$/);
    expect(a.body.openid).toMatch(/^o7LFAw[\w-]{22}$/);
    expect(verifies(a.body)).toBe(true);
  });

  it('reports a closed order as 0 and a refunded one as 1', async () => {
    const closed = await nativeOrder(sandbox.url);
    await byId('close', closed);
    expect((await byId('check', closed)).body.status).toBe(0);
    const refunded = await nativeOrder(sandbox.url);
    await sandbox.pay(refunded);
    await byId('refund', refunded);
    expect((await byId('check', refunded)).body.status).toBe(1);
  });

  it('answers an unknown order with the envelope', async () => {
    const a = await byId('check', '2024010112000000999999999');
    expect(a.body).toEqual({ msg: expect.stringMatching(/订单不存在/), return_code: 0, return_msg: a.body.msg, status: 0 });
  });
});

describe('close, reverse and refund follow the state table', () => {
  it('closes an unpaid order, and refuses to close a paid one', async () => {
    const id = await nativeOrder(sandbox.url);
    const a = await byId('close', id);
    expect(Object.keys(a.body)).toEqual(['payjs_order_id', 'return_code', 'return_msg', 'sign']);
    expect(verifies(a.body)).toBe(true);
    expect((await sandbox.order(id))?.status).toBe('closed');
    const paid = await nativeOrder(sandbox.url);
    await sandbox.pay(paid);
    expect((await byId('close', paid)).body.msg).toMatch(/订单已支付/);
  });

  it('refuses to pay a closed order', async () => {
    const id = await nativeOrder(sandbox.url);
    await byId('close', id);
    await expect(sandbox.pay(id)).rejects.toThrow(/订单已关闭/);
    const res = await fetch(`${sandbox.url}/__sandbox/orders/${id}/pay`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: 'ORDER_CLOSED' });
  });

  it('refunds a paid order in full, and answers a second refund with refund "1" and no sign', async () => {
    const id = await nativeOrder(sandbox.url);
    await sandbox.pay(id);
    const first = await byId('refund', id);
    expect(Object.keys(first.body)).toEqual(['out_trade_no', 'payjs_order_id', 'return_code', 'return_msg', 'transaction_id', 'sign']);
    expect(verifies(first.body)).toBe(true);
    const second = await byId('refund', id);
    expect(second.body).toMatchObject({ return_code: 1, refund: '1', payjs_order_id: id });
    expect(second.body.sign).toBeUndefined();
  });

  it('refuses to refund an unpaid order', async () => {
    const id = await nativeOrder(sandbox.url);
    expect((await byId('refund', id)).body.msg).toMatch(/订单未支付/);
  });

  it('reverse refunds a paid order and closes an unpaid one', async () => {
    const paid = (await call(sandbox.url, 'micropay', { mchid: MCHID, total_fee: 5, out_trade_no: tradeNo(), auth_code: '104567890123456789' })).body.payjs_order_id as string;
    const unpaid = await nativeOrder(sandbox.url);
    for (const id of [paid, unpaid]) {
      const a = await byId('reverse', id);
      expect(a.body.return_code).toBe(1);
      expect(verifies(a.body)).toBe(true);
    }
    expect((await sandbox.order(paid))?.status).toBe('refunded');
    expect((await sandbox.order(unpaid))?.status).toBe('closed');
    expect((await byId('reverse', unpaid)).body.return_code).toBe(1);
  });

  it('reverses only orders of the last 7 days and closes only those of the last 30', async () => {
    const id = await nativeOrder(sandbox.url, { time_expire: '20250101000000' });
    await clock.advance(8 * 86_400);
    expect((await byId('reverse', id)).body.msg).toMatch(/7/);
    await clock.advance(23 * 86_400);
    expect((await byId('close', id)).body.msg).toMatch(/30/);
  });
});

describe('mchid on order calls, and merchants kept apart', () => {
  it('accepts check without mchid and with the owning mchid', async () => {
    const id = await nativeOrder(sandbox.url);
    expect((await byId('check', id)).body.return_code).toBe(1);
    expect((await byId('check', id, { mchid: MCHID })).body.return_code).toBe(1);
  });

  it('does not let another merchant see or touch an order', async () => {
    const id = await nativeOrder(sandbox.url);
    for (const endpoint of ['check', 'close', 'refund', 'reverse']) {
      const named = await call(sandbox.url, endpoint, { payjs_order_id: id, mchid: OTHER.mchid }, 'form', OTHER.key);
      expect(named.body.msg).toMatch(/订单不存在/);
      const unnamed = await call(sandbox.url, endpoint, { payjs_order_id: id }, 'form', OTHER.key);
      expect(unnamed.body.msg).toMatch(/订单不存在/);
    }
    expect((await sandbox.order(id))?.status).toBe('unpaid');
  });

  it('refuses an unknown mchid', async () => {
    const a = await call(sandbox.url, 'native', { mchid: '5555555555', total_fee: 1, out_trade_no: tradeNo() }, 'form', 'x');
    expect(a.body.msg).toMatch(/商户号不存在/);
  });

  it('signs each merchant answer with that merchant key', async () => {
    const a = await call(sandbox.url, 'native', { mchid: OTHER.mchid, total_fee: 1, out_trade_no: tradeNo() }, 'form', OTHER.key);
    expect(verifies(a.body, OTHER.key)).toBe(true);
    expect(verifies(a.body, KEY)).toBe(false);
  });
});
