import * as vitest from 'vitest';
import { expect, it } from 'vitest';
import { useSandbox, assertCalled } from '../src/testing/index.js';
import { KEY, MCHID, signed, tradeNo } from './support.js';
import { verify } from '../src/index.js';

// useSandbox({ intercept: true }): the code under test keeps https://payjs.cn.
const sandbox = useSandbox({ hooks: vitest, intercept: true });

it('sends this file’s requests to https://payjs.cn to its sandbox', async () => {
  const params = signed({ mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: 'useSandbox' });
  const res = await fetch('https://payjs.cn/api/native', { method: 'POST', body: new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])) });
  const answer = await res.json();
  expect(verify(answer, KEY)).toBe(true);
  const [call] = await assertCalled(sandbox, { endpoint: 'native', payjs_order_id: answer.payjs_order_id }, 1);
  expect(call).toMatchObject({ via: 'interceptor', host: 'payjs.cn' });
});
