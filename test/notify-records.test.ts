/** Notify attempts as records of their own (src/notify/notify-records.ts), in a real lowdb file:
 * a database of the earlier layout (attempts inside their job) is moved at open, a kill -9 in the
 * middle of that move or between an attempt and the rung it leads to loses or doubles nothing,
 * and an order's attempts are found by its id after a restart. */
import { once } from 'node:events';
import { copyFileSync, existsSync, readFileSync, truncateSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type NotifyEvent, type Sandbox } from '../src/index.js';
import { writeCheckpoint } from '../src/store/checkpoint.js';
import { startReceiver, type Receiver } from './receiver.js';
import { FROZEN_START } from './support/notify-sandbox.js';
import { BIN, launch } from './cli-process.js';
import { crashCopy, merchantPost, nativeOrder, tempDb } from './support.js';

const open: Sandbox[] = [];
let receiver: Receiver;
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await receiver?.close();
});
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
});

/** A sandbox on `db` (or in memory) whose clock stands at `seconds` past the frozen start. */
async function start(db?: string, seconds = 0): Promise<{ sandbox: Sandbox; clock: SandboxClock }> {
  const clock = new SandboxClock({ start: FROZEN_START + seconds * 1000, frozen: true });
  const sandbox = await startSandbox({ clock, db });
  open.push(sandbox);
  return { sandbox, clock };
}

async function close(s: Sandbox): Promise<void> {
  open.splice(open.indexOf(s), 1);
  await s.close();
}

/** `count` orders paid with the receiver's notify_url; `rungs` rungs of the ladder run (0 and 15 s). */
async function paidOrders(s: { sandbox: Sandbox; clock: SandboxClock }, count: number, rungs: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await nativeOrder(s.sandbox.url, { notify_url: receiver.url }));
  for (const id of ids) await s.sandbox.pay(id);
  await s.clock.settle();
  if (rungs > 1) await s.clock.advance(15);
  return ids;
}

/** What a test compares of an attempt: everything but the real milliseconds it took. */
const seen = (events: NotifyEvent[]) => events.map(({ ms: _ms, ...rest }) => rest);

/** The document a closed store leaves: every collection. */
const documentOf = (db: string) => JSON.parse(readFileSync(db, 'utf8')).collections as Record<string, Record<string, Record<string, unknown>>>;

const journalLines = (db: string) => readFileSync(`${db}.journal`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { b?: { c: string; k: string }[]; c?: string });

/** A copy of a crash copy whose journal is cut after `bytes` bytes (a write torn by kill -9). */
function cutJournal(db: string, bytes: number): string {
  const to = tempDb();
  copyFileSync(db, to);
  copyFileSync(`${db}.journal`, `${to}.journal`);
  truncateSync(`${to}.journal`, bytes);
  return to;
}

describe('notify attempts in their own records', () => {
  it('moves a database of the earlier layout at open, each job in one journal line, and its ladder goes on numbering', async () => {
    receiver = await startReceiver();
    receiver.reply({ status: 500, body: 'no' });
    // The earlier layout as that version wrote it: a snapshot holds the jobs with their attempts,
    // as the earlier store held them, and the document is written by the store's own writer.
    const before = await start();
    const ids = await paidOrders(before, 3, 2);
    const attempts = Object.fromEntries(ids.map((id) => [id, seen(before.sandbox.notifications(id))]));
    const { collections } = before.sandbox.snapshot();
    expect(Object.keys(collections)).not.toContain('notify_attempts');
    for (const id of ids) expect((collections.notifies[id] as { attempts: unknown[] }).attempts).toHaveLength(2);
    await close(before.sandbox);
    const db = tempDb();
    await writeCheckpoint(db, 1, Object.entries(collections).map(([name, records]) => [name, new Map(Object.entries(records))]));

    const after = await start(db, 15);
    for (const id of ids) expect(seen(after.sandbox.notifications(id))).toEqual(attempts[id]);
    // The move is journaled, one line per job with its attempts: a kill -9 keeps each job whole.
    const crashed = crashCopy(db);
    const lines = journalLines(crashed);
    expect(lines.map((l) => l.b?.map((c) => c.c))).toEqual(ids.map(() => ['notify_attempts', 'notify_attempts', 'notifies']));
    const ends = readFileSync(`${crashed}.journal`, 'utf8').split('\n').slice(0, -1).reduce<number[]>((at, line) => [...at, (at.at(-1) ?? 0) + line.length + 1], []);
    // Cut after each whole line, and in the middle of the next one.
    for (const bytes of [0, ...ends, ...ends.map((end, i) => Math.floor(((ends[i - 1] ?? 0) + end) / 2))]) {
      const cut = await start(cutJournal(crashed, bytes), 15);
      for (const id of ids) expect(seen(cut.sandbox.notifications(id)), `journal cut at ${bytes} bytes`).toEqual(attempts[id]);
      const file = cut.sandbox.db!;
      await close(cut.sandbox);
      const doc = documentOf(file);
      for (const id of ids) {
        expect(doc.notifies[id].attempts, `journal cut at ${bytes} bytes`).toBe(2);
        expect(Object.keys(doc.notify_attempts).filter((k) => k.startsWith(`${id}#`)).sort()).toEqual([`${id}#1`, `${id}#2`]);
      }
    }

    // The ladder goes on where it was: the third rung is attempt 3 of each order.
    receiver.reply({ status: 200, body: 'success' });
    await after.clock.advance(15);
    for (const id of ids) expect(after.sandbox.notifications(id).map((a) => [a.attempt, a.step, a.delivered])).toEqual([[1, 0, false], [2, 1, false], [3, 2, true]]);
    await close(after.sandbox);
    const doc = documentOf(db);
    for (const id of ids) {
      expect(doc.notifies[id]).toMatchObject({ state: 'delivered', next: 2 });
      expect(doc.notifies[id].attempts).toBe(3);
      expect(doc.notify_attempts[`${id}#3`]).toMatchObject({ attempt: 3, step: 2, delivered: true });
    }
  });

  it('a kill -9 that tears the line of an attempt loses the attempt and its rung together', async () => {
    receiver = await startReceiver();
    receiver.reply({ status: 500, body: 'no' });
    const db = tempDb();
    const running = await start(db);
    const [id] = await paidOrders(running, 1, 1);
    expect(running.sandbox.notifications(id)).toHaveLength(1);
    const crashed = crashCopy(db);
    const text = readFileSync(`${crashed}.journal`, 'utf8');
    const last = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
    // One line holds the attempt and the job on its next rung.
    expect(JSON.parse(last)).toMatchObject({ b: [{ c: 'notify_attempts', k: `${id}#1` }, { c: 'notifies', k: id, v: { next: 1, state: 'pending' } }] });
    const start0 = text.length - last.length;
    const cuts = [...Array.from({ length: 10 }, (_, i) => start0 + Math.floor(((i + 1) * (last.length - 1)) / 11)), text.length - 1, text.length];
    for (const bytes of cuts) {
      // On a clock before the payment: the rung left to run does not run while the test looks.
      const after = await start(cutJournal(crashed, Buffer.byteLength(text.slice(0, bytes))), -1);
      const job = (await fetch(`${after.sandbox.url}/__sandbox/orders/${id}/notifications`).then((r) => r.json())).notify;
      const whole = bytes >= text.length - 1; // the line without its newline is whole JSON
      expect({ bytes, next: job.next, attempts: job.attempts.length, listed: after.sandbox.notifications(id).length }).toEqual({ bytes, next: whole ? 1 : 0, attempts: whole ? 1 : 0, listed: whole ? 1 : 0 });
      await close(after.sandbox);
    }
  });

  it('kill -9 of the CLI while attempts are recorded leaves every job on the rung after its attempts', async () => {
    receiver = await startReceiver();
    receiver.reply({ status: 500, body: 'no' });
    const db = tempDb();
    const cli = await launch([BIN, '--port', '0', '--db', db]);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++) ids.push((await merchantPost(cli.url, 'native', { total_fee: 100, out_trade_no: `K${i}`, body: 'kill', notify_url: receiver.url })).payjs_order_id as string);
    const paying = Promise.allSettled(ids.map((id) => fetch(`${cli.url}/__sandbox/orders/${id}/pay`, { method: 'POST' })));
    // Killed once some attempts are recorded, while others are on their way.
    const recorded = async () => ((await fetch(`${cli.url}/__sandbox/notifications`).then((r) => r.json())) as { attempts: unknown[] }).attempts.length;
    while ((await recorded()) < 20) await new Promise((r) => setImmediate(r));
    const inFlight = ids.length - receiver.received.length;
    const exited = once(cli.child, 'exit');
    cli.child.kill('SIGKILL');
    await Promise.all([paying, exited]);
    expect(cli.child.signalCode).toBe('SIGKILL');
    // Opened on a clock before every payment: no rung falls due while the test looks.
    const after = await start(db, 0);
    const jobs = await Promise.all(ids.map(async (id) => (await fetch(`${after.sandbox.url}/__sandbox/orders/${id}/notifications`).then((r) => r.json())).notify));
    const found = jobs.filter(Boolean);
    expect(found.length).toBeGreaterThan(0);
    const wrong = found.filter((j) => j.state !== 'pending' || j.next !== j.attempts.length || j.attempts.some((a: { attempt: number; step: number }, i: number) => a.attempt !== i + 1 || a.step !== i));
    expect(wrong).toEqual([]);
    expect(found.filter((j) => j.attempts.length === 1).length).toBeGreaterThanOrEqual(20);
    expect(inFlight).toBeGreaterThan(0);
  }, 60_000);

  it("finds an order's attempts by its id after a restart, and waitForNotify resolves on past and next ones", async () => {
    receiver = await startReceiver();
    receiver.reply({ status: 500, body: 'no' });
    const db = tempDb();
    const first = await start(db);
    const ids = await paidOrders(first, 3, 2);
    await close(first.sandbox);
    expect(existsSync(`${db}.journal`)).toBe(true);

    const again = await start(db, 15);
    for (const id of ids) {
      expect(again.sandbox.notifications(id).map((a) => [a.payjs_order_id, a.attempt, a.step])).toEqual([[id, 1, 0], [id, 2, 1]]);
      await expect(again.sandbox.waitForNotify({ payjs_order_id: id, attempt: 2 }, { timeout: 100 })).resolves.toMatchObject({ payjs_order_id: id, step: 1, delivered: false });
    }
    expect(again.sandbox.notifications()).toHaveLength(6);
    const next = ids.map((id) => again.sandbox.waitForNotify({ payjs_order_id: id, delivered: true }, { timeout: 5000 }));
    receiver.reply({ status: 200, body: 'success' });
    await again.clock.advance(15);
    expect((await Promise.all(next)).map((e) => [e.payjs_order_id, e.attempt, e.step])).toEqual(ids.map((id) => [id, 3, 2]));

    // A snapshot keeps the attempts inside their jobs (what every version restores), and restores so.
    const snapshot = again.sandbox.snapshot();
    const elsewhere = await start(undefined, 30);
    await elsewhere.sandbox.restore(snapshot);
    for (const id of ids) expect(seen(elsewhere.sandbox.notifications(id))).toEqual(seen(again.sandbox.notifications(id)));
    await elsewhere.sandbox.reset();
    expect(elsewhere.sandbox.notifications()).toEqual([]);
    expect(Object.keys(elsewhere.sandbox.snapshot().collections.notifies ?? {})).toEqual([]);
  });
});
