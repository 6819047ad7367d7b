import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, verify, type SandboxClock, type Sandbox } from '../src/index.js';
import type { Receiver } from './receiver.js';
import { openNotifySandbox } from './support/notify-sandbox.js';
import { KEY, MCHID, call, send, signed, tradeNo } from './support.js';

let sandbox: Sandbox;
let receiver: Receiver;
let clock: SandboxClock;
beforeEach(async () => {
  ({ sandbox, receiver, clock } = await openNotifySandbox());
});
afterEach(async () => {
  await sandbox.close();
  await receiver.close();
});

const order = (extra: Record<string, unknown> = {}) => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), notify_url: receiver.url, ...extra });

/** Creates with the scenario header, the way a test would. */
async function create(scenario: string, endpoint = 'native', extra: Record<string, unknown> = {}) {
  const res = await fetch(`${sandbox.url}/api/${endpoint}`, { method: 'POST', headers: { 'x-payjs-sandbox-scenario': scenario }, body: new URLSearchParams(signed(order(extra)) as Record<string, string>) });
  const text = await res.text();
  return { res, text, body: (() => { try { return JSON.parse(text); } catch { return {}; } })() };
}
const idOf = (r: { body: Record<string, unknown> }) => r.body.payjs_order_id as string;
const payPage = async (id: string) => {
  const o = await sandbox.order(id);
  return fetch(`${sandbox.url}/pay/${o!.code}`, { method: 'POST', body: new URLSearchParams({ action: 'pay' }), redirect: 'manual' });
};

describe('scenarios in the X-Payjs-Sandbox-Scenario header', () => {
  it('pay=auto pays at once and the notify follows', async () => {
    const id = idOf(await create('pay=auto'));
    expect((await sandbox.order(id))?.status).toBe('paid');
    await clock.settle();
    expect(receiver.received).toHaveLength(1);
  });

  it('pay=auto:<s> pays after s seconds of sandbox time', async () => {
    const id = idOf(await create('pay=auto:30'));
    await clock.advance(29);
    expect((await sandbox.order(id))?.status).toBe('unpaid');
    await clock.advance(1);
    expect((await sandbox.order(id))?.status).toBe('paid');
    expect(receiver.received).toHaveLength(1);
  });

  it.each([['pay=fail', 'failed', 'pay_failed'], ['pay=cancel', 'cancelled', 'pay_cancelled']])('%s makes the Pay button of the pay page fail', async (scenario, outcome, event) => {
    const id = idOf(await create(scenario));
    const page = await (await payPage(id)).text();
    expect(page).toContain(`data-outcome="${outcome}"`);
    const o = await sandbox.order(id);
    expect(o?.status).toBe('unpaid');
    expect(o?.history.at(-1)?.event).toBe(event);
  });

  it('notify=never sends no notify', async () => {
    const id = idOf(await create('pay=auto,notify=never'));
    await clock.advance(4000);
    expect(sandbox.notifications(id)).toEqual([]);
  });

  it('notify=late:<s> shifts the whole ladder', async () => {
    receiver.reply({ status: 500 });
    const id = idOf(await create('pay=auto,notify=late:60'));
    await clock.advance(59);
    expect(receiver.received).toHaveLength(0);
    await clock.advance(1);
    expect(receiver.received).toHaveLength(1);
    await clock.advance(15);
    expect(sandbox.notifications(id).map((a) => (a.at - Date.UTC(2024, 0, 1, 4)) / 1000)).toEqual([60, 75]);
  });

  it('notify=duplicate:<n> sends the same signed notify n times', async () => {
    idOf(await create('pay=auto,notify=duplicate:3'));
    await clock.settle();
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
    await clock.advance(4000);
    expect(receiver.received).toHaveLength(3);
  });

  it('notify=forged sends a sign that does not verify', async () => {
    idOf(await create('pay=auto,notify=forged'));
    await clock.settle();
    expect(verify(receiver.received[0].fields, KEY)).toBe(false);
  });

  it('notify=extra-fields adds unknown fields, signed', async () => {
    idOf(await create('pay=auto,notify=extra-fields'));
    await clock.settle();
    const fields = receiver.received[0].fields;
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['bank_type', 'is_subscribe']));
    expect(verify(fields, KEY)).toBe(true);
  });

  it('notify=replay sends the first notify again after a refund', async () => {
    const id = idOf(await create('pay=auto,notify=replay'));
    await clock.settle();
    await call(sandbox.url, 'refund', { payjs_order_id: id });
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1].body).toBe(receiver.received[0].body);
    expect(sandbox.notifications(id).map((a) => a.kind)).toEqual(['ladder', 'replay']);
  });

  it('micropay=password:<s> answers 需要用户输入支付密码 and pays after s seconds', async () => {
    const r = await create('micropay=password:10', 'micropay', { auth_code: '134567890123456789' });
    expect(r.body).toMatchObject({ return_code: 0, return_msg: '需要用户输入支付密码', payjs_order_id: expect.stringMatching(/^\d{25}$/) });
    const id = idOf(r);
    expect((await call(sandbox.url, 'check', { payjs_order_id: id })).body.status).toBe(0);
    await clock.advance(10);
    expect((await call(sandbox.url, 'check', { payjs_order_id: id })).body.status).toBe(1);
  });

  it('micropay=password without seconds is never paid', async () => {
    const id = idOf(await create('micropay=password', 'micropay', { auth_code: '134567890123456789' }));
    await clock.advance(600);
    expect((await sandbox.order(id))?.status).toBe('unpaid');
  });

  it('api=status:<code> answers that status and creates nothing', async () => {
    const r = await create('api=status:502');
    expect(r.res.status).toBe(502);
    expect(sandbox.orders()).toHaveLength(0);
  });

  it('api=malformed creates the order and answers broken JSON', async () => {
    const r = await create('api=malformed');
    expect(r.res.status).toBe(200);
    expect(() => JSON.parse(r.text)).toThrow();
    expect(sandbox.orders()).toHaveLength(1);
  });

  it('api=delay:<ms> answers late', async () => {
    const started = performance.now();
    const r = await create('api=delay:300');
    expect(r.body.return_code).toBe(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('api=hang creates the order and never answers', async () => {
    const r = fetch(`${sandbox.url}/api/native`, { method: 'POST', headers: { 'x-payjs-sandbox-scenario': 'api=hang' }, body: new URLSearchParams(signed(order()) as Record<string, string>), signal: AbortSignal.timeout(300) });
    await expect(r).rejects.toThrow();
    expect(sandbox.orders()).toHaveLength(1);
  });

  it('refuses an unknown token with the list of known ones', async () => {
    const r = await create('pay=sometimes');
    expect(r.body).toMatchObject({ return_code: 0, status: 0 });
    expect(r.body.msg).toMatch(/未知的沙箱场景：pay=sometimes.*pay=auto\[:<s>\].*notify=late:<s>/);
    expect((await create('notify=late')).body.msg).toMatch(/needs an argument/);
  });
});

describe('magic amounts', () => {
  it.each([[501, 'paid'], [502, 'unpaid'], [509, 'unpaid']])('total_fee %i selects its outcome', async (fee, status) => {
    const id = idOf(await create('', 'native', { total_fee: fee }));
    expect((await sandbox.order(id))?.status).toBe(status);
  });

  it('504 pays without a notify, 506 duplicates it', async () => {
    idOf(await create('', 'native', { total_fee: 504 }));
    idOf(await create('', 'native', { total_fee: 506 }));
    await clock.settle();
    expect(receiver.received).toHaveLength(3);
  });

  it('ordinary amounts behave normally, and the magic can be switched off', async () => {
    const id = idOf(await create('', 'native', { total_fee: 500 }));
    expect((await sandbox.order(id))?.status).toBe('unpaid');
    const plain = await startSandbox({ magicAmounts: false });
    try {
      const a = await call(plain.url, 'native', { mchid: MCHID, total_fee: 501, out_trade_no: tradeNo() });
      expect((await plain.order(a.body.payjs_order_id as string))?.status).toBe('unpaid');
    } finally {
      await plain.close();
    }
  });
});

describe('scenario rules through the control API', () => {
  const post = (body: unknown) => fetch(`${sandbox.url}/__sandbox/scenarios`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('matches creates by out_trade_no pattern, once', async () => {
    const res = await post({ match: { out_trade_no: 'VIP-*' }, tokens: 'pay=auto', once: true });
    expect(res.status).toBe(201);
    const other = idOf(await create('', 'native', { out_trade_no: 'PLAIN-1' }));
    const vip = idOf(await create('', 'native', { out_trade_no: 'VIP-1' }));
    const vip2 = idOf(await create('', 'native', { out_trade_no: 'VIP-2' }));
    expect([(await sandbox.order(other))?.status, (await sandbox.order(vip))?.status, (await sandbox.order(vip2))?.status]).toEqual(['unpaid', 'paid', 'unpaid']);
    expect((await (await fetch(`${sandbox.url}/__sandbox/scenarios`)).json()).scenarios).toEqual([]);
  });

  it('a sequence: the next three notifies to this URL fail, then succeed', async () => {
    await sandbox.use({ match: { endpoint: 'notify', notify_url: receiver.url }, sequence: ['notify=fail', 'notify=fail', 'notify=fail'] });
    const id = idOf(await create('pay=auto'));
    await clock.advance(3600);
    const attempts = sandbox.notifications(id);
    expect(attempts.map((a) => a.error ?? a.status)).toEqual(['scenario', 'scenario', 'scenario', 200]);
    expect(receiver.received).toHaveLength(1);
  });

  it('times: n faults for the merchant\'s later calls, such as its check', async () => {
    const id = idOf(await create(''));
    await post({ match: { endpoint: 'check', mchid: MCHID }, tokens: 'api=status:500', times: 2 });
    const check = () => send(sandbox.url, 'check', signed({ payjs_order_id: id }));
    expect((await check()).status).toBe(500);
    expect((await check()).status).toBe(500);
    expect((await check()).body.return_code).toBe(1);
  });

  it('DELETE clears the rules, and bad rules are refused with a reason', async () => {
    await post({ tokens: 'pay=auto' });
    expect((await fetch(`${sandbox.url}/__sandbox/scenarios`, { method: 'DELETE' })).status).toBe(200);
    expect(idOf(await create('')) && sandbox.orders()[0].status).toBe('unpaid');
    const bad = await post({ tokens: 'pay=maybe' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/pay=maybe.*pay=auto/);
    expect((await post({ match: { colour: 'red' }, tokens: 'pay=auto' })).status).toBe(400);
  });

  it('reset forgets orders, notifies and rules', async () => {
    await sandbox.use({ tokens: 'pay=auto' });
    idOf(await create(''));
    await clock.settle();
    const res = await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(sandbox.orders()).toEqual([]);
    expect(sandbox.notifications()).toEqual([]);
    expect((await (await fetch(`${sandbox.url}/__sandbox/scenarios`)).json()).scenarios).toEqual([]);
  });
});
