import { describe, expect, it } from 'vitest';
import { encodeBody, notifyFields, signNotify } from '../src/core/notify.js';
import { verify } from '../src/core/sign.js';
import type { Order } from '../src/core/order.js';

const KEY = 'TestKey1234567890';

// The values of docs/protocol.md §3.4 Example B, as a paid order.
const order: Order = {
  payjs_order_id: '2024010112000000123456789', mchid: '1234567890', out_trade_no: 'ORDER20240101001', total_fee: 100,
  attach: 'uid=42', channel: 'native', status: 'paid', created_at: 0, expires_at: 0, code: 'c', history: [],
  transaction_id: '4200002024010112345678901234', openid: 'o7LFAwTestOpenid0000000000000',
  paid_at: Date.UTC(2024, 0, 1, 4, 0, 30), // 12:00:30 Beijing
};

describe('the notify body', () => {
  it('is Example B of docs/protocol.md §3.4: the documented fields, sorted, sign last', () => {
    const fields = notifyFields(order, KEY);
    expect(Object.keys(fields)).toEqual(['attach', 'mchid', 'openid', 'out_trade_no', 'payjs_order_id', 'return_code', 'time_end', 'total_fee', 'transaction_id', 'sign']);
    expect(fields.time_end).toBe('2024-01-01 12:00:30');
    expect(fields.sign).toBe('DCC05C265DA4F7D2462C5B63F2DC01CB');
  });

  it('is form-encoded like the observed sample: + for spaces, %3A for colons', () => {
    expect(encodeBody(notifyFields(order, KEY))).toBe('attach=uid%3D42&mchid=1234567890&openid=o7LFAwTestOpenid0000000000000&out_trade_no=ORDER20240101001&payjs_order_id=2024010112000000123456789&return_code=1&time_end=2024-01-01+12%3A00%3A30&total_fee=100&transaction_id=4200002024010112345678901234&sign=DCC05C265DA4F7D2462C5B63F2DC01CB');
  });

  it('leaves out an empty attach and adds type only for Alipay', () => {
    const wechat = notifyFields({ ...order, attach: undefined }, KEY);
    expect(wechat).not.toHaveProperty('attach');
    expect(wechat).not.toHaveProperty('type');
    expect(notifyFields({ ...order, type: 'alipay' }, KEY).type).toBe('alipay');
  });

  it('signs extra fields in, and a forged one does not verify', () => {
    const extra = signNotify(notifyFields(order, KEY), KEY, { extraFields: true });
    expect(Object.keys(extra).length).toBeGreaterThan(10);
    expect(verify(extra, KEY)).toBe(true);
    expect(verify(signNotify(notifyFields(order, KEY), KEY, { forged: true }), KEY)).toBe(false);
  });
});

describe('the notify body encoding', () => {
  it.each([
    ['plain', 'ORDER-2024_01.x*'],
    ['spaces and colons', '2024-01-01 12:00:30'],
    ['what encodeURIComponent leaves', "!'()~"],
    ['form delimiters', 'a=b&c+d%20e'],
    ['Chinese and emoji', '订单 №1 😀'],
    ['a lone surrogate', 'x\ud800y'],
    ['empty', ''],
  ])('encodes %s exactly as URLSearchParams does', (_, value) => {
    const fields = { attach: value, [value || 'k']: value, sign: 'S' };
    expect(encodeBody(fields)).toBe(new URLSearchParams(fields).toString());
  });
});
