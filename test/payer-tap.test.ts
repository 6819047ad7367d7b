/** Two ways to pay from the control API and the dashboard: `pay` marks the order paid whatever
 * its scenario says (a test's override), `tap` is the payer tapping Pay and follows the scenario
 * as the pay page does. And a button that would do nothing (Refund of a refunded order) is off. */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, nativeOrder, tradeNo } from './support.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const act = async (s: Sandbox, id: string, action: string) => {
  const res = await fetch(`${s.url}/__sandbox/orders/${id}/${action}`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as { order?: { status: string; history: { event: string }[] }; error?: string } };
};

describe('pay and tap', () => {
  it.each([
    ['the magic amount 502', { total_fee: 502 }, undefined, 'pay_failed'],
    ['the magic amount 503', { total_fee: 503 }, undefined, 'pay_cancelled'],
    ['an X-Payjs-Scenario pay=fail rule', {}, 'pay=fail', 'pay_failed'],
  ])('with %s, tap leaves the order unpaid as the pay page does, and pay marks it paid', async (_, extra, rule, mishap) => {
    sandbox = await startSandbox();
    if (rule) await sandbox.use({ match: { endpoint: 'native' }, tokens: rule });
    const a = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: 'tap', ...extra });
    const id = a.body.payjs_order_id as string;
    const tapped = await act(sandbox, id, 'tap');
    expect(tapped.status).toBe(200);
    expect(tapped.body.order?.status).toBe('unpaid');
    expect(tapped.body.order?.history.at(-1)?.event).toBe(mishap);
    const paid = await act(sandbox, id, 'pay');
    expect(paid.body.order?.status).toBe('paid');
  });

  it('without a scenario, tap pays', async () => {
    sandbox = await startSandbox();
    const id = await nativeOrder(sandbox.url);
    expect((await act(sandbox, id, 'tap')).body.order?.status).toBe('paid');
  });
});

describe('the order page\'s buttons', () => {
  const button = (html: string, action: string) => new RegExp(`<button[^>]*data-action="${action}"[^>]*>`).exec(html)?.[0] ?? '';

  it('Refund and Reverse are off on a refunded order, Refund on on a paid one; both pay buttons are offered and explained', async () => {
    sandbox = await startSandbox();
    const id = await nativeOrder(sandbox.url);
    const page = () => fetch(`${sandbox!.url}/dashboard/orders/${id}`).then((r) => r.text());
    const unpaid = await page();
    expect(button(unpaid, 'payOnTime')).not.toContain('disabled'); // Pay — notify on time: the override
    expect(button(unpaid, 'tap')).not.toContain('disabled');
    expect(unpaid).toContain('data-testid="actions-hint"');
    await act(sandbox, id, 'pay');
    expect(button(await page(), 'refund')).not.toContain('disabled');
    await act(sandbox, id, 'refund');
    const refunded = await page();
    expect(button(refunded, 'refund')).toContain('disabled');
    expect(button(refunded, 'reverse')).toContain('disabled');
  });
});
