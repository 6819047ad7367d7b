/** The request log keeps the last `journalLimit` API calls: the oldest go first, so a long-lived
 * sandbox does not grow without bound. */
import { afterEach, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, signed, tradeNo } from './support.js';

let sandbox: Sandbox | undefined;
afterEach(() => sandbox?.close());

it('keeps only the newest calls once past its limit, in order', async () => {
  sandbox = await startSandbox({ journalLimit: 5 });
  const numbers: string[] = [];
  for (let i = 0; i < 8; i++) {
    const no = tradeNo();
    numbers.push(no);
    await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 100, out_trade_no: no, body: 'log' });
  }
  const kept = sandbox.calls();
  expect(kept).toHaveLength(5);
  expect(kept.map((c) => c.out_trade_no)).toEqual(numbers.slice(3));
  const listed = (await (await fetch(`${sandbox.url}/__sandbox/journal`)).json()) as { calls: unknown[] };
  expect(listed.calls).toHaveLength(5);
});

it('gives each call back as it was answered, also after a reset of another merchant', async () => {
  sandbox = await startSandbox({ merchants: [{ mchid: '2000000009', key: 'OtherKey0009', name: 'other' }] });
  const no = tradeNo();
  const ours = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 100, out_trade_no: no, body: '商品 ✓ 𝄞' }, 'json');
  for (let i = 0; i < 50; i++) await call(sandbox.url, 'native', { mchid: '2000000009', total_fee: 1, out_trade_no: tradeNo(), body: 'x'.repeat(i * 1500) }, 'form', 'OtherKey0009');
  const check = (c: ReturnType<Sandbox['calls']>[number]) => {
    expect(c).toMatchObject({ endpoint: 'native', transport: 'json', mchid: MCHID, out_trade_no: no, sign: 'valid', status: 200 });
    expect(c.params).toMatchObject({ mchid: MCHID, total_fee: 100, out_trade_no: no, body: '商品 ✓ 𝄞' });
    expect(c.answer).toEqual(ours.body);
    // The log keeps the very text the client got (the answer is serialized once).
    expect(JSON.stringify(c.answer)).toBe(ours.text);
    expect(typeof c.ms).toBe('number');
  };
  check(sandbox.calls({ out_trade_no: no })[0]);
  await sandbox.reset({ mchid: '2000000009' });
  expect(sandbox.calls()).toHaveLength(1);
  check(sandbox.calls()[0]);
  expect(Object.keys(sandbox.calls()[0])).toEqual(['id', 'at', 'method', 'path', 'endpoint', 'transport', 'via', 'host', 'params', 'mchid', 'payjs_order_id', 'out_trade_no', 'sign', 'status', 'answer', 'ms']);
});

it('keeps a refused call under a scenario with its diagnosis, answer and scenario, as answered', async () => {
  sandbox = await startSandbox();
  const params = { ...signed({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: 'log' }), sign: '0'.repeat(32) };
  const res = await fetch(`${sandbox.url}/api/native`, { method: 'POST', headers: { 'x-payjs-sandbox-scenario': 'api=delay:1' }, body: new URLSearchParams(params as Record<string, string>) });
  const text = await res.text();
  const [c] = sandbox.calls();
  expect(c).toMatchObject({ sign: 'invalid', error: expect.any(String), scenario: ['api=delay:1'], answer: JSON.parse(text) });
  expect(JSON.stringify(c.answer)).toBe(text);
  expect(c.diagnosis).toBeDefined();
  expect(Object.keys(c)).toEqual(['id', 'at', 'method', 'path', 'endpoint', 'transport', 'via', 'host', 'params', 'mchid', 'payjs_order_id', 'out_trade_no', 'sign', 'diagnosis', 'error', 'status', 'answer', 'scenario', 'ms']);
});
