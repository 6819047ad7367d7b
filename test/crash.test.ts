/** The CLI as a process: kill -9 under load loses no acknowledged order, SIGTERM writes the
 * document and exits 0, and the command line answers --help, unknown flags and --port 0. */
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { merchantPost } from './support.js';
import { BIN, ROOT, launch, runToEnd, tempDir } from './cli-process.js';


type State = 'unpaid' | 'paid' | 'refunded';
interface Tracked {
  acked: State;
  /** A change sent whose answer never came: the order may be in either state. */
  maybe?: State;
}

/** 16 loops create native orders and pay or refund some of them; each answer received is recorded. */
function load(url: string, orders: Map<string, Tracked>) {
  let stopped = false;
  let inFlight = 0;
  const send = async <T>(request: Promise<T>): Promise<T> => {
    inFlight++;
    try {
      return await request;
    } finally {
      inFlight--;
    }
  };
  const loop = async (worker: number) => {
    for (let i = 0; !stopped; i++) {
      try {
        const a = await send(merchantPost(url, 'native', { total_fee: 1 + i, out_trade_no: `K${worker}x${i}`, body: 'crash' }));
        if (a.return_code !== 1) throw new Error(`native refused: ${JSON.stringify(a)}`);
        const id = a.payjs_order_id as string;
        const t: Tracked = { acked: 'unpaid' };
        orders.set(id, t);
        if (i % 2 === 1) continue;
        t.maybe = 'paid';
        const paid = await send(fetch(`${url}/__sandbox/orders/${id}/pay`, { method: 'POST' }));
        if (paid.status !== 200) throw new Error(`pay refused: ${await paid.text()}`);
        await paid.arrayBuffer();
        Object.assign(t, { acked: 'paid', maybe: undefined });
        if (i % 4 !== 0) continue;
        t.maybe = 'refunded';
        const r = await send(merchantPost(url, 'refund', { payjs_order_id: id }));
        if (r.return_code !== 1 || r.refund !== undefined) throw new Error(`refund refused: ${JSON.stringify(r)}`);
        Object.assign(t, { acked: 'refunded', maybe: undefined });
      } catch (e) {
        if (stopped) return; // the answer died with the process: not acknowledged
        throw e;
      }
    }
  };
  const done = Promise.all(Array.from({ length: 16 }, (_, w) => loop(w)));
  return { done, inFlight: () => inFlight, stop: () => void (stopped = true) };
}

/** What the restarted sandbox says of an order: check's status, and for a paid one a second refund. */
async function stateOf(url: string, id: string): Promise<State | 'missing'> {
  const c = await merchantPost(url, 'check', { payjs_order_id: id });
  if (c.return_code !== 1) return 'missing';
  if (c.status === 0) return 'unpaid';
  const r = await merchantPost(url, 'refund', { payjs_order_id: id });
  return r.refund === '1' ? 'refunded' : 'paid';
}

/** Checks every order, 16 at a time; returns those whose state is not one the client could expect. */
async function mismatches(url: string, orders: Map<string, Tracked>): Promise<string[]> {
  const list = [...orders];
  const bad: string[] = [];
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let next = list.pop(); next; next = list.pop()) {
      const [id, t] = next;
      const got = await stateOf(url, id);
      if (got !== t.acked && got !== t.maybe) bad.push(`${id}: acknowledged ${t.acked}${t.maybe ? ` (${t.maybe} in flight)` : ''}, found ${got}`);
    }
  }));
  return bad;
}

/** Resolves with the exit code once the child has exited (at once if it already has). */
async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  return child.exitCode;
}

interface KillOptions {
  /** How many orders the document holds before the first start (unpaid, left so). */
  preloaded?: number;
  /** Also waits for this before the kill (at most 20 s more). */
  killWhen?: (db: string) => boolean;
}

/** A lowdb document as the sandbox writes it, holding `count` unpaid native orders of the default
 * merchant; returns their ids. */
function writePreloaded(db: string, count: number): string[] {
  const now = Date.now();
  const ids = Array.from({ length: count }, (_, i) => `2026${String(i).padStart(21, '0')}`);
  const records = ids.map((id, i) => {
    const at = now - count + i;
    const order = { payjs_order_id: id, mchid: '1234567890', out_trade_no: `P${i}`, total_fee: 1, body: 'preloaded', channel: 'native', status: 'unpaid', created_at: at, expires_at: at + 7_200_000, code: `PRE${String(i).padStart(9, '0')}`, history: [{ event: 'create', at, status: 'unpaid' }] };
    return `${JSON.stringify(id)}:${JSON.stringify(order)}`;
  });
  writeFileSync(db, `{"version":1,"seq":${count},"collections":{"orders":{${records.join(',')}}}}`);
  return ids;
}

async function killUnderLoad(args: (db: string) => string[], options: KillOptions = {}) {
  const db = join(tempDir(), 'db.json');
  const orders = new Map<string, Tracked>();
  // Every 10th preloaded order is checked after the restart (all 20k would take long on a busy machine).
  const preloaded = options.preloaded ? writePreloaded(db, options.preloaded) : [];
  preloaded.forEach((id, i) => i % 10 === 0 && orders.set(id, { acked: 'unpaid' }));
  const first = await launch(args(db));
  const traffic = load(first.url, orders);
  // Load until enough changes are acknowledged (a busy machine takes longer), at most 20 s.
  const enough = () => {
    const acked = [...orders.values()].map((t) => t.acked);
    return orders.size > 100 && acked.filter((a) => a === 'paid').length > 10 && acked.filter((a) => a === 'refunded').length > 10;
  };
  for (const deadline = Date.now() + 20_000; !enough() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  if (options.killWhen) for (const deadline = Date.now() + 20_000; !options.killWhen(db) && Date.now() < deadline; ) await new Promise((r) => setImmediate(r));
  const killWhenSeen = options.killWhen?.(db);
  while (traffic.inFlight() === 0) await new Promise((r) => setImmediate(r));
  const inFlightAtKill = traffic.inFlight();
  first.child.kill('SIGKILL');
  traffic.stop();
  await traffic.done;
  await exited(first.child);
  expect(first.child.signalCode).toBe('SIGKILL');
  expect(inFlightAtKill).toBeGreaterThan(0);
  if (options.killWhen) expect(killWhenSeen).toBe(true);

  const second = await launch(args(db));
  const counts = { unpaid: 0, paid: 0, refunded: 0 };
  for (const t of orders.values()) counts[t.acked]++;
  expect(orders.size).toBeGreaterThan(100);
  expect(counts.paid).toBeGreaterThan(10);
  expect(counts.refunded).toBeGreaterThan(10);
  expect(await mismatches(second.url, orders)).toEqual([]);
  second.child.kill('SIGTERM');
  expect(await exited(second.child)).toBe(0);
}

describe('the CLI process', () => {
  it('every acknowledged order keeps its acknowledged state after kill -9 under load', async () => {
    await killUnderLoad((db) => [BIN, '--port', '0', '--db', db]);
  }, 60_000);

  it('kill -9 while the document is rewritten again and again loses no acknowledged order', async () => {
    // The CLI has no flag for the rewrite threshold: a two-line embedding with a 4 KiB one.
    const script = `import { startSandbox } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)};
      const s = await startSandbox({ db: process.env.DB, compactAtBytes: 4096 });
      process.on('SIGTERM', () => s.close().then(() => process.exit(0)));
      console.log('payjs-sandbox embedded listening on ' + s.url);`;
    await killUnderLoad((db) => ['--input-type=module', '-e', script.replace('process.env.DB', JSON.stringify(db))]);
  }, 60_000);

  it('kill -9 in the middle of a rewrite written in slices loses no acknowledged order', async () => {
    // 20k orders in the document and 4 KiB slices: a rewrite takes many turns of the event loop,
    // and the kill comes while its temporary file is there: mid-rewrite, the journal rotated.
    const script = `import { startSandbox } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist', 'index.js')).href)};
      const s = await startSandbox({ db: process.env.DB, compactAtBytes: 16384, compactSliceBytes: 4096 });
      process.on('SIGTERM', () => s.close().then(() => process.exit(0)));
      console.log('payjs-sandbox embedded listening on ' + s.url);`;
    const midRewrite = (db: string) => existsSync(join(dirname(db), `.${basename(db)}.tmp`));
    await killUnderLoad((db) => ['--input-type=module', '-e', script.replace('process.env.DB', JSON.stringify(db))], { preloaded: 20_000, killWhen: midRewrite });
  }, 90_000);

  it('SIGTERM writes every order into the document, empties the journal and exits 0', async () => {
    const db = join(tempDir(), 'db.json');
    const { child, url, output } = await launch([BIN, '--port', '0', '--db', db]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await merchantPost(url, 'native', { total_fee: 1, out_trade_no: `S${i}` })).payjs_order_id as string);
    expect((await fetch(`${url}/__sandbox/orders/${ids[0]}/pay`, { method: 'POST' })).status).toBe(200);
    expect(statSync(`${db}.journal`).size).toBeGreaterThan(0);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
    expect(output()).toMatch(/SIGTERM, writing the database and stopping/);
    expect(statSync(`${db}.journal`).size).toBe(0);
    expect(existsSync(`${db}.journal.old`)).toBe(false);
    const orders = JSON.parse(readFileSync(db, 'utf8')).collections.orders;
    expect(ids.map((id) => orders[id]?.status)).toEqual(['paid', 'unpaid', 'unpaid', 'unpaid', 'unpaid']);
  });

  it('--help exits 0 and prints the usage', async () => {
    const r = await runToEnd(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: payjs-sandbox \[options\]$/m);
    expect(r.stdout).toContain('--db FILE');
  });

  it('an unknown flag exits 2 and says what is wrong', async () => {
    const r = await runToEnd(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^payjs-sandbox: .*--bogus/m);
    expect(r.stderr).toContain('--help');
    expect(r.stdout).toBe('');
  });

  it('--port 0 starts on a real port and the banner says which', async () => {
    const { child, url, output } = await launch([BIN, '--port', '0', '--memory']);
    const port = Number(new URL(url).port);
    expect(port).toBeGreaterThan(0);
    expect(output()).toContain(`PAYJS base URL   ${url}`);
    expect(output()).toContain('memory only');
    expect((await fetch(`${url}/__sandbox/merchants`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited(child)).toBe(0);
  });
});
