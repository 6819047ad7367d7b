/** Every JSON input of the control API is checked against the schema the OpenAPI document shows
 * (app/inputs.ts): a refusal is a 400 that names the field and says what it must be. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox?.close());

const post = async (path: string, body: unknown) => {
  const res = await fetch(`${sandbox.url}/__sandbox${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { error?: string; message?: string } };
};

describe('a control-API input of the wrong shape', () => {
  it.each([
    ['a rule matching on an unknown field', '/scenarios', { match: { amount: 1 }, tokens: 'pay=auto' }, '参数错误：match.amount (is not a known field (match takes mchid, out_trade_no (a * ? pattern), total_fee (a number), endpoint and notify_url))'],
    ['a rule used zero times', '/scenarios', { tokens: 'pay=auto', times: 0 }, '参数错误：times (must be >= 1 (a whole number ≥ 1: used by this many matching events))'],
    ['a rule with an empty sequence', '/scenarios', { sequence: [] }, '参数错误：sequence (must NOT have fewer than 1 items (a non-empty list of token strings: one step per matching event, then the rule is spent))'],
    ['a seed order of an unknown channel', '/seed', { orders: [{ out_trade_no: 'S-1', total_fee: 1, channel: 'paypal' }] }, '参数错误：seed.orders[0].channel (must be one of native, micropay, jsapi, mweb, facepay, cashier (the create endpoint that makes it))'],
    ['a seed order without an amount', '/seed', { orders: [{ out_trade_no: 'S-1' }] }, '参数错误：seed.orders[0].total_fee (is required)'],
    ['a snapshot of an unknown collection', '/restore', { version: 1, collections: { payments: {} } }, '参数错误：snapshot.collections.payments (is not a known field (every collection of the store, by key; a snapshot has orders, notifies, scenarios, merchants, clock))'],
    ['a snapshot order missing its code', '/restore', { version: 1, collections: { orders: { a: { payjs_order_id: 'a', mchid: 'm', out_trade_no: 'x', total_fee: 1, status: 'paid', created_at: 1, expires_at: 2, history: [] } } } }, '参数错误：snapshot.collections.orders.a.code (is required (is not a record the sandbox wrote))'],
    ['a clock advance without seconds', '/clock/advance', {}, '参数错误：seconds (is required (send JSON {"seconds": N} with N ≥ 0))'],
    ['a merchant whose key has a space', '/merchants', { mchid: '1234500001', key: 'a b' }, '参数错误：merchant.key (must match pattern "^[^\\s&]+$" (the 通信密钥: a non-empty string without spaces or "&"))'],
    ['a merchant without a key', '/merchants', { mchid: '1234500001' }, '参数错误：merchant.key (is required (send {"mchid": "…", "key": "…"} and, optionally, what /api/info reports))'],
    ['a payment naming an empty openid', '/orders/none/pay', { openid: '' }, '参数错误：openid (must NOT have fewer than 1 characters (the payer\'s openid (28 characters, e.g. from /api/openid)))'],
    ['a mini-program payment with an unknown action', '/miniprogram/pay', { extraData: {}, action: 'refund' }, '参数错误：action (must be one of pay, fail, cancel (the payer: pay, fail or cancel))'],
  ])('%s is refused naming the field and the fix', async (_name, path, body, message) => {
    expect(await post(path, body)).toEqual({ status: 400, body: { error: 'INVALID_PARAM', message } });
  });

  it('changes nothing', () => {
    expect(sandbox.orders()).toEqual([]);
    expect(sandbox.merchants).toHaveLength(1);
  });
});
