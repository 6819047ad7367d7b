import { describe, expect, it } from 'vitest';
import { canonicalString, diagnose, sign, verify } from '../src/core/sign.js';

const KEY = 'TestKey1234567890';

// The worked examples of docs/protocol.md §3.4, cross-checked there with PHP and Python.
describe('the signature examples of docs/protocol.md §3.4', () => {
  it.each([
    ['A: a native request drops the empty attach', { mchid: '1234567890', total_fee: 1, out_trade_no: 'ORDER20240101001', body: '测试订单', notify_url: 'https://example.com/payjs/notify', attach: '' }, '9A97FADE7DA0076A06B0911C3DF59968'],
    ['B: a notify keeps spaces and = raw', { return_code: '1', total_fee: '100', out_trade_no: 'ORDER20240101001', payjs_order_id: '2024010112000000123456789', transaction_id: '4200002024010112345678901234', time_end: '2024-01-01 12:00:30', openid: 'o7LFAwTestOpenid0000000000000', mchid: '1234567890', attach: 'uid=42' }, 'DCC05C265DA4F7D2462C5B63F2DC01CB'],
    ['C: an unpaid check keeps status=0', { return_code: 1, mchid: '1234567890', out_trade_no: 'ORDER20240101001', payjs_order_id: '2024010112000000123456789', status: 0, total_fee: 100 }, 'E921A776BDBA96C94A6C8E3F95AADAE1'],
    ['D: a nested jsapi object is flattened PHP-style', { return_code: 1, return_msg: 'SUCCESS', payjs_order_id: '2024010112000000123456789', jsapi: { timeStamp: '1704081600', appId: 'wx0000000000000000', signType: 'MD5', nonceStr: 'abc123', paySign: 'ABCDEF', package: 'prepay_id=wx2024' } }, '291E6B873DEB69AB89C584482190A706'],
    ['E: a native answer', { code_url: 'weixin://wxpay/bizpayurl?pr=AbCdEf1', out_trade_no: 'ORDER20240101001', payjs_order_id: '2024010112000000123456789', qrcode: 'https://payjs.cn/qrcode/d2VpeGluOi8vd3hwYXkvYml6cGF5dXJsP3ByPUFiQ2RFZjE=', return_code: 1, return_msg: 'SUCCESS', total_fee: '1' }, 'EF15A8E5BC1D8F2729F4B9F1ABCCDDCF'],
    ['F: spaces stay spaces', { body: 'Test Order 1', mchid: '1234567890', out_trade_no: 'A1', total_fee: 1 }, 'BA2B602EC8506F9A5F0AF4D19CDA8A37'],
  ])('%s', (_name, params, expected) => {
    expect(sign(params, KEY)).toBe(expected);
    expect(verify({ ...params, sign: expected }, KEY)).toBe(true);
  });

  it('C: the drop-zero variant is accepted only when lenient', () => {
    const p = { return_code: 1, mchid: '1234567890', out_trade_no: 'ORDER20240101001', payjs_order_id: '2024010112000000123456789', status: 0, total_fee: 100, sign: 'B8FA754DBA4D76BD138B114A1A4457FA' };
    expect(verify(p, KEY)).toBe(false);
    expect(verify(p, KEY, { lenient: true })).toBe(true);
  });

  it('builds the canonical string with sign, null and "" dropped, booleans as 1/0', () => {
    expect(canonicalString({ b: 'x', a: 0, sign: 'S', n: null, e: '', t: true }, 'K')).toBe('a=0&b=x&t=1&key=K');
  });
});

describe('a signature mismatch explains itself', () => {
  const params = { mchid: '1234567890', total_fee: 1, out_trade_no: 'A1', body: 'Test Order 1' };
  const md5Upper = async (s: string) => (await import('node:crypto')).createHash('md5').update(s).digest('hex').toUpperCase();

  it.each([
    ['lower-case hex', async () => ({ ...params, sign: sign(params, KEY).toLowerCase() }), /lower-case hex/],
    ['an empty value signed', async () => ({ ...params, attach: '', sign: await md5Upper(`attach=&body=Test Order 1&mchid=1234567890&out_trade_no=A1&total_fee=1&key=${KEY}`) }), /empty values were signed \(attach\)/],
    ['a zero dropped', async () => ({ ...params, no_credit: 0, sign: sign(params, KEY) }), /zero value was left out \(no_credit\)/],
    ['URL-encoded values', async () => ({ ...params, sign: await md5Upper(`body=Test%20Order%201&mchid=1234567890&out_trade_no=A1&total_fee=1&key=${KEY}`) }), /URL-encoded/],
    ['spaces as +', async () => ({ ...params, sign: '18683135D19FA267F87A932F02992649' }), /spaces were signed as "\+"/],
    ['no key appended', async () => ({ ...params, sign: await md5Upper('body=Test Order 1&mchid=1234567890&out_trade_no=A1&total_fee=1') }), /key was not appended/],
    ['the key appended without "key="', async () => ({ ...params, sign: await md5Upper(`body=Test Order 1&mchid=1234567890&out_trade_no=A1&total_fee=1&${KEY}`) }), /appended without "key="/],
    ['the keys not sorted', async () => ({ ...params, sign: await md5Upper(`mchid=1234567890&total_fee=1&out_trade_no=A1&body=Test Order 1&key=${KEY}`) }), /in the order they were sent, not sorted/],
    ['another merchant key', async () => ({ ...params, sign: sign(params, 'OtherKey') }), /merchant 9999/],
    ['a wrong key', async () => ({ ...params, sign: sign(params, 'Nobody') }), /wrong key/],
  ])('names the cause: %s', async (_name, make, cause) => {
    const sent = await make();
    const d = diagnose(sent, KEY, [{ mchid: '9999', key: 'OtherKey' }]);
    expect(d.cause).toMatch(cause);
    expect(d.expected).toBe(sign(sent, KEY));
    expect(d.canonical).toMatch(/^body=Test Order 1&mchid=1234567890&(no_credit=0&)?out_trade_no=A1&total_fee=1&key=Te\*{13}90$/);
  });
});
