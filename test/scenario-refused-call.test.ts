/** A refused call uses no scenario rule: a `once` rule set for the next create waits for the next
 * create the sandbox accepts, so a test whose first call had a bad sign still sees its outcome. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, PATH, call, send, signed, tradeNo } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ clock: new SandboxClock({ frozen: true }), ...PATH });
});
afterAll(() => sandbox?.close());

/** The rules the sandbox holds, as the control API lists them. */
const rules = async () => ((await (await fetch(`${sandbox.url}/__sandbox/scenarios`)).json()) as { scenarios: unknown[] }).scenarios;

it('a bad-sign create leaves a once rule for the next accepted create', async () => {
  await sandbox.use({ match: { endpoint: 'native' }, tokens: 'pay=fail', once: true });
  const params = { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: 'x' };
  const refused = await send(sandbox.url, 'native', { ...signed(params), sign: '0'.repeat(32) });
  expect(refused.body.return_code).toBe(0);
  expect(await rules()).toHaveLength(1);

  const accepted = await call(sandbox.url, 'native', { ...params, out_trade_no: tradeNo() });
  expect(accepted.body.return_code).toBe(1);
  expect((await sandbox.order(accepted.body.payjs_order_id as string))!.scenario).toEqual(['pay=fail']);
  expect(await rules()).toEqual([]);
});

it('a fault a rule gives is the rule used: api=status:502 answers and the rule is spent', async () => {
  await sandbox.use({ match: { endpoint: 'check' }, tokens: 'api=status:502', once: true });
  const faulted = await call(sandbox.url, 'check', { payjs_order_id: 'nothing-here' });
  expect(faulted.status).toBe(502);
  expect(await rules()).toEqual([]);
});
