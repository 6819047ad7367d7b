/** One writer per database: a second sandbox on a database in use is refused and says who holds
 * it, a lock left by a killed process is taken over, and a --db that names a directory is
 * refused without touching it. Real CLI processes and real files in temp directories. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startSandbox } from '../src/index.js';
import { BIN, launch, runToEnd, tempDir } from './cli-process.js';
import { MCHID, call, tradeNo } from './support.js';

async function threeOrders(url: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const a = await call(url, 'native', { mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: 'lock' });
    expect(a.body.return_code).toBe(1);
    ids.push(a.body.payjs_order_id as string);
  }
  return ids;
}

describe('one sandbox per database', () => {
  it('a second CLI on the same --db exits 2 naming the pid and URL of the first, and the first keeps every order', async () => {
    const cwd = tempDir();
    const first = await launch([BIN, '--port', '0'], { cwd });
    const mine = await threeOrders(first.url);

    const second = await runToEnd(['--port', '0'], { cwd });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`payjs-sandbox.db.json is in use by payjs-sandbox (pid ${first.child.pid}, ${first.url}); stop it, or use --db OTHER or --memory`);
    const more = await threeOrders(first.url);
    first.child.kill('SIGTERM');
    await once(first.child, 'exit');

    const again = await launch([BIN, '--port', '0'], { cwd });
    const listed = (await (await fetch(`${again.url}/__sandbox/orders`)).json()) as { orders: { payjs_order_id: string }[] };
    expect(listed.orders.map((o) => o.payjs_order_id).sort()).toEqual([...mine, ...more].sort());
    expect(again.output()).not.toContain('took over');
    again.child.kill('SIGTERM');
    await once(again.child, 'exit');
  });

  it('startSandbox on a database in use rejects with the same message, and the database opens once the first closes', async () => {
    const db = join(tempDir(), 'db.json');
    const first = await startSandbox({ db });
    await expect(startSandbox({ db })).rejects.toThrow(`${db} is in use by payjs-sandbox (pid ${process.pid}, ${first.url}); stop it, or use --db OTHER or --memory`);
    await first.close();
    const second = await startSandbox({ db });
    await second.close();
  });

  it('the lock of a process killed with kill -9 is taken over, and the takeover is said', async () => {
    const cwd = tempDir();
    const killed = await launch([BIN, '--port', '0', '--db', 'db.json'], { cwd });
    const ids = await threeOrders(killed.url);
    const pid = killed.child.pid;
    killed.child.kill('SIGKILL');
    await once(killed.child, 'exit');
    expect(JSON.parse(readFileSync(join(cwd, 'db.json.lock'), 'utf8'))).toMatchObject({ app: 'payjs-sandbox', pid, url: killed.url });

    const next = await launch([BIN, '--port', '0', '--db', 'db.json'], { cwd });
    expect(next.output()).toMatch(new RegExp(`took over the lock of db\\.json from pid ${pid} \\(started [^)]+\\), which is no longer running`));
    for (const id of ids) expect((await fetch(`${next.url}/__sandbox/orders/${id}`)).status).toBe(200);
    next.child.kill('SIGTERM');
    await once(next.child, 'exit');
    expect(readdirSync(cwd).filter((f) => f.includes('.lock'))).toEqual([]);
  });

  it('a lock naming this very pid but not held by this process (a reused pid) is stale', async () => {
    const db = join(tempDir(), 'db.json');
    writeFileSync(`${db}.lock`, JSON.stringify({ app: 'payjs-sandbox', pid: process.pid, started_at: '2020-01-01T00:00:00.000Z' }));
    const warnings: string[] = [];
    const s = await startSandbox({ db, log: (l) => warnings.push(l) });
    expect(warnings.join('\n')).toContain(`from pid ${process.pid} (started 2020-01-01T00:00:00.000Z)`);
    await s.close();
  });
});

describe('a --db that names a directory', () => {
  it.each([['.'], ['sub'], ['sub/']])('--db %s exits 2 and leaves the directory as it was', async (arg) => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'sub'));
    writeFileSync(join(cwd, 'sub', 'mine.txt'), 'mine');
    const r = await runToEnd(['--port', '0', '--db', arg], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is a directory: give a file name, e\.g\. .*payjs-sandbox\.db\.json/);
    expect(readdirSync(cwd).sort()).toEqual(['sub']);
    expect(readdirSync(join(cwd, 'sub'))).toEqual(['mine.txt']);
  });

  it('--db package.json (not a sandbox document) exits 2 and leaves the file as it was', async () => {
    const cwd = tempDir();
    const pkg = '{\n  "name": "my-shop",\n  "version": "1.0.0"\n}\n';
    writeFileSync(join(cwd, 'package.json'), pkg);
    const r = await runToEnd(['--port', '0', '--db', 'package.json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('package.json is not a payjs-sandbox database');
    expect(readFileSync(join(cwd, 'package.json'), 'utf8')).toBe(pkg);
    expect(readdirSync(cwd)).toEqual(['package.json']);
  });
});
