/** The lowdb file and its journal: what a restart, a crash, a torn or damaged journal and a
 * corrupt document leave of the orders acknowledged over the real HTTP API. */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { crashCopy, merchantPost } from './support.js';


const dirs: string[] = [];
const running: Sandbox[] = [];
afterAll(async () => {
  await Promise.all(running.map((s) => s.close()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'payjs-persist-'));
  dirs.push(d);
  return d;
}

async function start(db?: string, log?: (line: string) => void, repair = false): Promise<Sandbox> {
  const s = await startSandbox({ db, log, repair });
  running.push(s);
  return s;
}

let n = 0;
async function createOrder(s: Sandbox): Promise<string> {
  const a = await merchantPost(s.url, 'native', { total_fee: 100 + n, out_trade_no: `P${Date.now()}${++n}`, body: '测试订单' });
  expect(a.return_code).toBe(1);
  return a.payjs_order_id as string;
}

async function payOrder(s: Sandbox, id: string): Promise<void> {
  const res = await fetch(`${s.url}/__sandbox/orders/${id}/pay`, { method: 'POST' });
  expect(res.status).toBe(200);
}

async function act(s: Sandbox, endpoint: 'refund' | 'close' | 'check', id: string): Promise<Record<string, unknown>> {
  return merchantPost(s.url, endpoint, { payjs_order_id: id });
}

/** The status the sandbox reports for each id, as the store holds it. */
async function statuses(s: Sandbox, ids: string[]): Promise<(string | undefined)[]> {
  return Promise.all(ids.map(async (id) => (await s.order(id))?.status));
}

/** One order in each status, all through HTTP. */
async function fourOrders(s: Sandbox): Promise<string[]> {
  const [unpaid, paid, refunded, closed] = [await createOrder(s), await createOrder(s), await createOrder(s), await createOrder(s)];
  await payOrder(s, paid);
  await payOrder(s, refunded);
  expect((await act(s, 'refund', refunded)).return_code).toBe(1);
  expect((await act(s, 'close', closed)).return_code).toBe(1);
  return [unpaid, paid, refunded, closed];
}
const FOUR = ['unpaid', 'paid', 'refunded', 'closed'];

const filesLike = (db: string, infix: string) => readdirSync(join(db, '..')).filter((f) => f.startsWith(`db.json${infix}`));

describe('persistence in a lowdb file', () => {
  it('makes the directory of a db file that does not exist yet', async () => {
    const db = join(tempDir(), 'not', 'yet', 'db.json');
    const s = await start(db);
    const id = await createOrder(s);
    await s.close();
    expect(JSON.parse(readFileSync(db, 'utf8')).collections.orders[id]).toBeDefined();
  });

  it('an order survives a restart in each of its states', async () => {
    const db = join(tempDir(), 'db.json');
    const first = await start(db);
    const ids = await fourOrders(first);
    const before = await Promise.all(ids.map((id) => first.order(id)));
    await first.close();
    expect(statSync(`${db}.journal`).size).toBe(0);

    const second = await start(db);
    expect(await statuses(second, ids)).toEqual(FOUR);
    expect(await Promise.all(ids.map((id) => second.order(id)))).toEqual(before);
    const checks = await Promise.all(ids.map((id) => act(second, 'check', id)));
    expect(checks.map((c) => [c.return_code, c.status])).toEqual([[1, 0], [1, 1], [1, 1], [1, 0]]);
    expect((await act(second, 'refund', ids[2])).refund).toBe('1');
    await second.close();
  });

  it('a restart after a crash replays the journal the document does not hold yet', async () => {
    const db = join(tempDir(), 'db.json');
    const s = await start(db);
    const ids = await fourOrders(s);
    const crashed = crashCopy(db);
    await s.close();
    expect(readFileSync(`${crashed}.journal`, 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(8);
    expect(JSON.parse(readFileSync(crashed, 'utf8')).collections.orders).toBeUndefined();

    const after = await start(crashed);
    expect(await statuses(after, ids)).toEqual(FOUR);
    await after.close();
    expect(JSON.parse(readFileSync(crashed, 'utf8')).collections.orders[ids[1]].status).toBe('paid');
    expect(statSync(`${crashed}.journal`).size).toBe(0);
  });

  it('a journal left in the middle of a rewrite (.journal.old beside .journal) is replayed in full', async () => {
    const db = join(tempDir(), 'db.json');
    const s = await start(db);
    const ids = await fourOrders(s);
    const crashed = crashCopy(db);
    await s.close();
    const lines = readFileSync(`${crashed}.journal`, 'utf8').split(/(?<=\n)/);
    writeFileSync(`${crashed}.journal.old`, lines.slice(0, 4).join(''));
    writeFileSync(`${crashed}.journal`, lines.slice(4).join(''));

    const after = await start(crashed);
    expect(await statuses(after, ids)).toEqual(FOUR);
    await after.close();
    expect(existsSync(`${crashed}.journal.old`)).toBe(false);
  });

  it('a half-written last journal line is tolerated and every prior order is there', async () => {
    const db = join(tempDir(), 'db.json');
    const s = await start(db);
    const ids = await fourOrders(s);
    const crashed = crashCopy(db);
    await s.close();
    appendFileSync(`${crashed}.journal`, '{"s":99,"c":"orders","k":"2026112700000000123456789","v":{"payjs_or');

    const warnings: string[] = [];
    const after = await start(crashed, (l) => warnings.push(l));
    expect(await statuses(after, ids)).toEqual(FOUR);
    expect(filesLike(crashed, '.journal.damaged-')).toEqual([]);
    expect(warnings).toEqual([]);
    await after.close();
  });

  it.each([
    ['a half-written line', () => '{"s":99,"c":"orders","k":"x","v":{"payjs_or'],
    // A whole line queued at a rewrite: the document holds it already, so nothing replays.
    ['a line cut just before its newline', (lastLine: string) => lastLine],
  ])('an order acknowledged after a restart on a journal ending in %s survives the next crash', async (_, tail) => {
    const db = join(tempDir(), 'db.json');
    const s = await start(db);
    const ids = await fourOrders(s);
    const lastLine = readFileSync(`${crashCopy(db)}.journal`, 'utf8').trimEnd().split('\n').pop()!;
    await s.close();
    appendFileSync(`${db}.journal`, tail(lastLine));

    const again = await start(db);
    const later = await createOrder(again);
    const crashed = crashCopy(db);
    await again.close();

    const after = await start(crashed);
    expect(await statuses(after, [...ids, later])).toEqual([...FOUR, 'unpaid']);
    await after.close();
  });

  it('an unreadable line in the middle of the journal is refused untouched; --repair skips it, keeps a copy and reports', async () => {
    const db = join(tempDir(), 'db.json');
    const s = await start(db);
    const ids = await fourOrders(s);
    const crashed = crashCopy(db);
    await s.close();
    const lines = readFileSync(`${crashed}.journal`, 'utf8').split(/(?<=\n)/);
    const damaged = [...lines.slice(0, 2), '{"s": this is not json\n', ...lines.slice(2)].join('');
    writeFileSync(`${crashed}.journal`, damaged);
    const before = readdirSync(join(crashed, '..')).sort();

    await expect(start(crashed)).rejects.toThrow(/1 unreadable line\(s\) in .*db\.json\.journal, the first at line 3; nothing was changed\. Start with --repair/);
    expect(readFileSync(`${crashed}.journal`, 'utf8')).toBe(damaged);
    expect(readdirSync(join(crashed, '..')).sort()).toEqual(before);

    const warnings: string[] = [];
    const after = await start(crashed, (l) => warnings.push(l), true);
    expect(await statuses(after, ids)).toEqual(FOUR);
    const kept = filesLike(crashed, '.journal.damaged-');
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(crashed, '..', kept[0]), 'utf8')).toBe(damaged);
    expect(warnings.join('\n')).toMatch(/1 unreadable line\(s\).*damaged-/);
    await after.close();
  });

  it('a damaged lowdb document is refused with the reason and where; --repair keeps it aside and the journal still counts', async () => {
    const db = join(tempDir(), 'db.json');
    const s = await start(db);
    const ids = await fourOrders(s);
    const crashed = crashCopy(db);
    await s.close();
    const garbage = '{"version":1,"seq":3,"collections":{"orders":{"2026';
    writeFileSync(crashed, garbage);
    const before = readdirSync(join(crashed, '..')).sort();

    await expect(start(crashed)).rejects.toThrow(/db\.json is a damaged payjs-sandbox database: .* at line 1, column \d+ \(offset \d+\); nothing was changed\. Start with --repair/);
    expect(readFileSync(crashed, 'utf8')).toBe(garbage);
    expect(readdirSync(join(crashed, '..')).sort()).toEqual(before);

    const warnings: string[] = [];
    const after = await start(crashed, (l) => warnings.push(l), true);
    const aside = filesLike(crashed, '.damaged-');
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(crashed, '..', aside[0]), 'utf8')).toBe(garbage);
    expect(warnings.join('\n')).toMatch(/--repair: .*db\.json is damaged .*kept as .*damaged-/);
    expect(await statuses(after, ids)).toEqual(FOUR);
    await after.close();
    expect(JSON.parse(readFileSync(crashed, 'utf8')).collections.orders[ids[0]].status).toBe('unpaid');
  });

  it.each([
    // Node 20's message for these names no position: the place comes from the text itself.
    ['{"version":1,"seq":3,"collections":{"orders":x}}\n', 1, 46, 45],
    ['{"version":1,"seq":3,\n"collections":{"orders":{"a":[1,2,]}}}', 2, 35, 56],
    // V8 names the position.
    ['{"version":1,"seq":3,"collections":{}}}', 1, 39, 38],
    // The input ends too soon: its end.
    ['{"version":1,"seq":3,"collections":{"orders":{"2026', 1, 52, 51],
  ])('a damaged document (%j) is refused naming the line %i, column %i, offset %i of the damage', async (garbage, line, column, offset) => {
    const db = join(tempDir(), 'db.json');
    writeFileSync(db, garbage);
    await expect(start(db)).rejects.toThrow(`at line ${line}, column ${column} (offset ${offset}); nothing was changed`);
    expect(readFileSync(db, 'utf8')).toBe(garbage);
  });

  it.each([
    ['null', 'it is JSON, but not a sandbox document'],
    ['{"posts":[{"id":1,"title":"mine"}]}', 'it is JSON, but not a sandbox document'],
    ['{"name": "my-app", "version": "1.0.0"', 'not JSON'],
    ['# my notes\n', 'not JSON'],
  ])('a file that is not a sandbox document (%s) is refused and left as it is, even with --repair', async (content, why) => {
    const dir = tempDir();
    const db = join(dir, 'db.json');
    writeFileSync(db, content);
    for (const repair of [false, true]) {
      await expect(start(db, undefined, repair)).rejects.toThrow(`is not a payjs-sandbox database (${why}`);
      expect(readFileSync(db, 'utf8')).toBe(content);
      expect(readdirSync(dir)).toEqual(['db.json']);
    }
  });

  it('a sandbox without a db file keeps nothing and writes nothing', async () => {
    const defaultFile = join(process.cwd(), 'payjs-sandbox.db.json');
    const hadDefault = existsSync(defaultFile);
    const first = await start();
    expect(first.db).toBeUndefined();
    const id = await createOrder(first);
    await payOrder(first, id);
    expect((await first.order(id))?.status).toBe('paid');
    await first.close();

    const second = await start();
    expect(await second.order(id)).toBeUndefined();
    expect((await act(second, 'check', id)).return_code).toBe(0);
    await second.close();
    expect(existsSync(defaultFile)).toBe(hadDefault);
  });

  it('a rewrite that cannot be written is said once, loses nothing, is tried again later, and close still closes', async () => {
    const dir = tempDir();
    const db = join(dir, 'db.json');
    const lines: string[] = [];
    const s = await startSandbox({ db, log: (l) => lines.push(l), compactAtBytes: 2048 });
    // Something not the sandbox's sits where the rewrite writes its temporary copy: the rewrite
    // fails (EISDIR), the journal write of every change does not.
    const blocker = join(dir, '.db.json.tmp');
    mkdirSync(blocker);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await createOrder(s));
    await new Promise((r) => setTimeout(r, 50)); // the rewrites in the background settle
    const said = lines.filter((l) => l.includes('could not rewrite'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/db\.json .*EISDIR.*nothing is lost: every change stays in .*db\.json\.journal/);
    expect(statSync(blocker).isDirectory()).toBe(true); // never removed or replaced

    // Space for the rewrite again: after another 2 KiB of journal (compactAtBytes, less than the
    // MiB a default store waits for) it is tried, and works.
    rmSync(blocker, { recursive: true });
    for (let i = 0; i < 12; i++) ids.push(await createOrder(s));
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.filter((l) => l.includes('was rewritten again'))).toHaveLength(1);

    // At close the rewrite fails again: close says so and still releases the database.
    mkdirSync(blocker);
    ids.push(await createOrder(s));
    await s.close();
    running.splice(running.indexOf(s), 1);
    expect(lines.filter((l) => l.includes('could not rewrite') && l.includes(' at close ('))).toHaveLength(1);
    rmSync(blocker, { recursive: true });
    const again = await start(db);
    expect(await statuses(again, ids)).toEqual(ids.map(() => 'unpaid'));
  });
});
