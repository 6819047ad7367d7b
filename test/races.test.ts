/** Many calls on one order at once: exactly one transition wins, the others get clear refusals,
 * and the order history, the request journal and the store (also after a restart) agree with
 * what the callers were answered. */
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, verify, type Sandbox } from '../src/index.js';
import { KEY, MCHID, call, nativeOrder, tempDb } from './support.js';

const N = 100;
let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function start(db?: string): Promise<Sandbox> {
  sandbox = await startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }), db });
  return sandbox;
}

type Body = Record<string, unknown>;
const isEnvelope = (b: Body) => Object.keys(b).join(',') === 'msg,return_code,return_msg,status' && b.return_code === 0;
const isDuplicateRefund = (b: Body) => b.return_code === 1 && b.refund === '1' && b.sign === undefined;
const isSignedRefund = (b: Body) => b.return_code === 1 && b.refund === undefined && verify(b as Record<string, string>, KEY);

async function pay(s: Sandbox, id: string): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${s.url}/__sandbox/orders/${id}/pay`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Body };
}

/** Lets every call start before any finishes: all N are sent in one tick. */
const all = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

async function refundRace(db?: string) {
  const s = await start(db);
  const id = await nativeOrder(s.url);
  expect((await pay(s, id)).status).toBe(200);
  const answers = (await all(N, () => call(s.url, 'refund', { payjs_order_id: id, mchid: MCHID }))).map((a) => a.body);
  const signedOnes = answers.filter(isSignedRefund);
  const others = answers.filter((b) => !isSignedRefund(b));
  expect(signedOnes).toHaveLength(1);
  expect(others.filter((b) => !isDuplicateRefund(b))).toEqual([]);
  expect(others).toHaveLength(N - 1);
  const order = await s.order(id);
  expect(order?.status).toBe('refunded');
  expect(order?.history.filter((h) => h.event === 'refund')).toHaveLength(1);
  // The call log saw the 100 calls and recorded the answers the callers got.
  const { calls: journal } = (await (await fetch(`${s.url}/__sandbox/calls?payjs_order_id=${id}&endpoint=refund`)).json()) as { calls: { answer: Body; error?: string }[] };
  expect(journal).toHaveLength(N);
  const key = (b: Body) => JSON.stringify(b);
  expect(journal.map((c) => key(c.answer)).sort()).toEqual(answers.map(key).sort());
  expect(journal.filter((c) => isSignedRefund(c.answer))).toHaveLength(1);
  return { s, id };
}

describe('100 concurrent refunds of one paid order', () => {
  it('exactly one answers the signed refund; the others the duplicate form; one refund in the history and the journal', async () => {
    await refundRace();
  });

  it('with a db file, on 10 orders refunded 20 times each at once, exactly one refund wins per order', async () => {
    // Before the fix of bug 9 a refund read the order before awaiting the journal: with other
    // orders' writes in flight, 2 rounds in 5 gave some order two signed refunds.
    const s = await start(tempDb());
    const ids = await all(10, () => nativeOrder(s.url));
    await all(10, (i) => pay(s, ids[i]));
    const answers = await all(200, async (i) => (await call(s.url, 'refund', { payjs_order_id: ids[i % 10], mchid: MCHID })).body);
    for (const [k, id] of ids.entries()) {
      const mine = answers.filter((_, i) => i % 10 === k);
      expect(mine.filter(isSignedRefund), id).toHaveLength(1);
      expect(mine.filter((b) => !isSignedRefund(b) && !isDuplicateRefund(b)), id).toEqual([]);
      expect((await s.order(id))?.history.filter((h) => h.event === 'refund')).toHaveLength(1);
    }
  });

  it('with a db file too, and the same holds after close() and a restart', async () => {
    const db = tempDb();
    const { s, id } = await refundRace(db);
    await s.close();
    const again = await start(db);
    const order = await again.order(id);
    expect(order?.status).toBe('refunded');
    expect(order?.history.filter((h) => h.event === 'refund')).toHaveLength(1);
    expect((await call(again.url, 'refund', { payjs_order_id: id, mchid: MCHID })).body.refund).toBe('1');
  });
});

/** 100 fresh orders; on each, /api/close and the control API's pay at the same instant. */
async function closeAndPay(s: Sandbox) {
  const ids = await all(N, () => nativeOrder(s.url));
  const outcomes = await all(N, async (i) => {
    const [closed, paid] = await Promise.all([call(s.url, 'close', { payjs_order_id: ids[i], mchid: MCHID }), pay(s, ids[i])]);
    return { id: ids[i], closeWon: closed.body.return_code === 1, payWon: paid.status === 200, closed: closed.body, paid };
  });
  for (const o of outcomes) {
    // Exactly one wins; the loser is refused with the reason of the state the winner made.
    expect(o.closeWon !== o.payWon, `${o.id}: close ${JSON.stringify(o.closed)} / pay ${o.paid.status}`).toBe(true);
    if (o.closeWon) expect(o.paid).toMatchObject({ status: 409, body: { error: 'ORDER_CLOSED' } });
    else expect(isEnvelope(o.closed) && /订单已支付/.test(String(o.closed.msg))).toBe(true);
  }
  return outcomes;
}

async function expectStates(s: Sandbox, outcomes: { id: string; closeWon: boolean }[]) {
  for (const o of outcomes) {
    const order = await s.order(o.id);
    expect(order?.status).toBe(o.closeWon ? 'closed' : 'paid');
    expect(order?.history.map((h) => h.event)).toEqual(['create', o.closeWon ? 'close' : 'pay']);
    const check = await call(s.url, 'check', { payjs_order_id: o.id, mchid: MCHID });
    expect(check.body.status).toBe(o.closeWon ? 0 : 1);
  }
}

describe('close and pay of one order at the same instant, 100 times', () => {
  it('each order ends paid or closed, as the one call that succeeded says', async () => {
    const s = await start();
    await expectStates(s, await closeAndPay(s));
  });

  it('with a db file too, and the same states after close() and a restart', async () => {
    const db = tempDb();
    const s = await start(db);
    const outcomes = await closeAndPay(s);
    await s.close();
    await expectStates(await start(db), outcomes);
  });
});

/** 20 fresh orders; on each, two pays at the same instant. */
async function twoPays(s: Sandbox) {
  const ids = await all(20, () => nativeOrder(s.url));
  const results = await all(20, (i) => Promise.all([pay(s, ids[i]), pay(s, ids[i])]));
  const payments = new Map<string, string>();
  for (const [i, pair] of results.entries()) {
    expect(pair.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(pair.find((r) => r.status === 409)!.body.error).toBe('ORDER_PAID');
    const winner = pair.find((r) => r.status === 200)!.body.order as { transaction_id: string; history: { event: string }[] };
    expect(winner.history.filter((h) => h.event === 'pay')).toHaveLength(1);
    payments.set(ids[i], winner.transaction_id);
  }
  return payments;
}

describe('two pays of one order at the same instant', () => {
  it('one wins; the other gets 409 ORDER_PAID', async () => {
    await twoPays(await start());
  });

  it('with a db file too, and the payment of the winner is the one kept after a restart', async () => {
    const db = tempDb();
    const s = await start(db);
    const payments = await twoPays(s);
    await s.close();
    const again = await start(db);
    for (const [id, transaction] of payments) {
      const order = await again.order(id);
      expect(order?.transaction_id).toBe(transaction);
      expect(order?.history.filter((h) => h.event === 'pay')).toHaveLength(1);
    }
  });
});
