import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ merchants: ['2000000001:OtherKey0001'] });
});
afterAll(() => sandbox.close());

const debug = async (body: unknown) => {
  const res = await fetch(`${sandbox.url}/dashboard/sign-debug`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
};

// docs/protocol.md §3.4, Example A.
const EXAMPLE_A = { mchid: '1234567890', total_fee: '1', out_trade_no: 'ORDER20240101001', body: '测试订单', notify_url: 'https://example.com/payjs/notify', attach: '' };
const EXAMPLE_A_QUERY = 'mchid=1234567890&total_fee=1&out_trade_no=ORDER20240101001&body=测试订单&notify_url=https://example.com/payjs/notify&attach=';
const EXAMPLE_A_SIGN = '9A97FADE7DA0076A06B0911C3DF59968';

describe('the signature debugger', () => {
  it.each([
    ['a query string', EXAMPLE_A_QUERY],
    ['one pair per line', EXAMPLE_A_QUERY.split('&').join('\n')],
    ['JSON text', JSON.stringify(EXAMPLE_A)],
    ['a JSON object', EXAMPLE_A],
  ])('signs Example A given as %s, step by step', async (_, params) => {
    const { status, body } = await debug({ params, key: 'TestKey1234567890' });
    expect(status).toBe(200);
    expect(body.steps.sign).toBe(EXAMPLE_A_SIGN);
    expect(body.steps.md5).toBe(EXAMPLE_A_SIGN.toLowerCase());
    expect(body.steps.sorted).toEqual(['body', 'mchid', 'notify_url', 'out_trade_no', 'total_fee']);
    expect(body.steps.canonical).toBe('body=测试订单&mchid=1234567890&notify_url=https://example.com/payjs/notify&out_trade_no=ORDER20240101001&total_fee=1&key=TestKey1234567890');
    expect(body.steps.pairs).toContainEqual({ name: 'attach', value: '', kept: false, reason: 'empty' });
    expect(body.verdict).toBeUndefined();
  });

  it("takes the key of the parameters' merchant when none is given, else the default merchant's", async () => {
    expect((await debug({ params: EXAMPLE_A_QUERY })).body).toMatchObject({ key_from: 'merchant', steps: { sign: EXAMPLE_A_SIGN } });
    expect((await debug({ params: 'mchid=2000000001&a=1' })).body.steps.canonical).toBe('a=1&mchid=2000000001&key=OtherKey0001');
    expect((await debug({ params: 'a=1' })).body).toMatchObject({ key_from: 'default', steps: { canonical: 'a=1&key=TestKey1234567890' } });
  });

  it('keeps 0, drops sign and null, and flattens nested values PHP-style, inner keys in ASCII order', async () => {
    const { body } = await debug({ params: { b: 0, a: null, sign: 'X', jsapi: { z: '1', y: '2' } }, key: 'K' });
    expect(body.steps.canonical).toBe('b=0&jsapi[y]=2&jsapi[z]=1&key=K');
    expect(body.steps.pairs.map((p: { name: string; reason: string }) => `${p.name}:${p.reason}`)).toEqual(['b:kept', 'a:null', 'sign:sign', 'jsapi[y]:kept', 'jsapi[z]:kept']);
  });

  it('judges a received sign and explains a mismatch', async () => {
    expect((await debug({ params: EXAMPLE_A_QUERY, sign: EXAMPLE_A_SIGN })).body).toMatchObject({ verdict: 'valid' });
    expect((await debug({ params: `${EXAMPLE_A_QUERY}&sign=${EXAMPLE_A_SIGN}` })).body).toMatchObject({ received: EXAMPLE_A_SIGN, verdict: 'valid' });
    const lower = (await debug({ params: EXAMPLE_A_QUERY, sign: EXAMPLE_A_SIGN.toLowerCase() })).body;
    expect(lower).toMatchObject({ verdict: 'invalid', diagnosis: { expected: EXAMPLE_A_SIGN, cause: expect.stringMatching(/lower-case/) } });
    expect(lower.diagnosis.canonical).toContain('&key=Te*************90');
  });

  it('refuses parameters it cannot read, saying what to paste', async () => {
    const { status, body } = await debug({ params: '{"a": ' });
    expect(status).toBe(400);
    expect(body.message).toMatch(/JSON does not parse/);
    expect((await debug({})).body.message).toMatch(/query string/);
  });
});
