/** The request log keeps the last `journalLimit` API calls: the oldest go first, so a long-lived
 * sandbox does not grow without bound. */
import { afterEach, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, tradeNo } from './support.js';

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
