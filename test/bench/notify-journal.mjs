#!/usr/bin/env node
// `node test/bench/notify-journal.mjs [DIST]`: what notifies cost a journaled store (`--db`).
// BENCH_NOTIFY_ORDERS (1,000) paid orders whose receiver (in this process) answers 500 to every
// notify, the sandbox clock advanced through the whole ladder (BENCH_NOTIFY_RUNGS, 6), or answers
// 200 with BENCH_NOTIFY_RUNGS=1. Prints the journal bytes the payments and attempts wrote, by kind
// of line, and this process's CPU per attempt (receiver included). DIST: another build's dist
// folder, for paired runs (default: this checkout's).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { NOTIFY_LADDER_SECONDS } from '../../dist/core/protocol.js';

const dist = resolve(process.argv[2] ?? new URL('../../dist', import.meta.url).pathname);
const { startSandbox } = await import(pathToFileURL(join(dist, 'index.js')).href);
const ORDERS = Number(process.env.BENCH_NOTIFY_ORDERS ?? 1000);
const RUNGS = Number(process.env.BENCH_NOTIFY_RUNGS ?? NOTIFY_LADDER_SECONDS.length);

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.statusCode = RUNGS === 1 ? 200 : 500;
    res.end(RUNGS === 1 ? 'success' : 'no');
  });
});
await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
const dir = mkdtempSync(join(tmpdir(), 'payjs-bench-journal-'));
const db = join(dir, 'db.json');
const sandbox = await startSandbox({ db, magicAmounts: false });
const notify_url = `http://127.0.0.1:${server.address().port}/notify`;
const orders = await sandbox.seed({ orders: Array.from({ length: ORDERS }, (_, i) => ({ out_trade_no: `J${i}`, total_fee: 100, notify_url })) });
const before = readFileSync(`${db}.journal`).length;
const cpuBefore = process.cpuUsage();
// Each rung: one waitForNotify whose predicate counts the attempts so far, then the clock moves on.
const attemptsUpTo = (rung) => {
  let seen = 0;
  return sandbox.waitForNotify(() => ++seen === ORDERS * (rung + 1), { timeout: 120_000 });
};
let done = attemptsUpTo(0);
await Promise.all(orders.map((o) => sandbox.pay(o.payjs_order_id)));
await done;
for (let rung = 1; rung < RUNGS; rung++) {
  done = attemptsUpTo(rung);
  await sandbox.clock.advance(NOTIFY_LADDER_SECONDS[rung] - NOTIFY_LADDER_SECONDS[rung - 1]);
  await done;
}
const cpu = process.cpuUsage(cpuBefore);
const text = readFileSync(`${db}.journal`, 'utf8');
const byKind = {};
for (const line of text.slice(before).split('\n')) {
  if (!line) continue;
  const e = JSON.parse(line);
  const kind = e.b ? `one line: ${[...new Set(e.b.map((c) => c.c))].join(' + ')}` : e.c;
  byKind[kind] = (byKind[kind] ?? 0) + line.length + 1;
}
const attempts = sandbox.notifications().length;
const mib = (n) => `${(n / 1024 / 1024).toFixed(2)} MiB`;
console.log(`notify journal: ${ORDERS} orders, ${attempts} attempts over ${RUNGS} rung(s): ${mib(text.length - before)} written by the payments and attempts (${Object.entries(byKind).map(([k, v]) => `${k} ${mib(v)}`).join(', ')}); CPU ${Math.round((cpu.user + cpu.system) / attempts)} µs per attempt, receiver included`);
await sandbox.close();
server.close();
rmSync(dir, { recursive: true, force: true });
