#!/usr/bin/env node
// `npm run bench`: the sandbox with durable storage (the CLI with --db FILE, its own process)
// against two yardsticks in their own processes, measured in the same run by the same client:
//   bare  a node:http server answering a fixed small JSON body (test/bench/bare-server.mjs);
//   koa   a plain koa + @koa/router + koa-bodyparser server that verifies and signs, orders in a
//         Map, no durability (test/bench/koa-server.mjs): the floor of the design's stack.
// The load generator is wrk (one thread) when installed, else autocannon; servers are pinned to
// core 0 and the load generator to core 1 with taskset when there are two cores.
//
//   /api/native  signed form bodies, a new out_trade_no per request (16 connections by default)
//   /api/check   signed form bodies, a random existing order per request
//   with ~1k and 100k stored orders; p99 while compactions run (100k orders); cold start against
//   the bare server's (spawn → first answer), also with 100k orders; idle RSS; then the notify
//   bench (notify.mjs) and the embedded start-up (embed.mjs). Every target of issue 14 is printed
//   with its measure and PASS/FAIL.
//
// The machine may be shared, so every comparison is paired: the servers run side by side and take
// turns in short slices (BENCH_ROUNDS rounds), and rounds in which other processes took more than
// 10% of the CPU are left out when at least 3 rounds are left. What others took is reported.
//
// Knobs (env): BENCH_DURATION seconds per server and cell (5), BENCH_ROUNDS (5), BENCH_WARMUP
// seconds (3), BENCH_CONNECTIONS (16), BENCH_SIZES (1000,100000), BENCH_COLD_RUNS (7),
// BENCH_CLIENT=autocannon (do not use wrk), BENCH_SKIP=notify,embed,compaction,
// BENCH_JSON=FILE also writes the results as JSON, BENCH_POOL create bodies per server (500000),
// BENCH_BASE=FILE another build's dist/cli/bin.js, run beside this one on the first store (its
// rows labelled "base": a paired before/after), BENCH_SKIP=fsync leaves out the --fsync sandbox.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BARE, BIN, FORM_HEADERS, KOA, checkBody, combine, cpuMs, machine as machineInfo, nativeBody, pinSelf, rssMb, run, sandboxArgs, sleep, startProcess, stop, stopAll, waitQuiet, writeBodies } from './lib.mjs';
import { writeOrdersDoc } from './preload.mjs';

const list = (v, d) => (v ? v.split(',').map(Number) : d);
const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
// 3 s, not 1: after 1 s per endpoint V8 was still optimizing in the first measured round (20–30
// functions, against 2–6 in later rounds), whose p99 then stood out (docs/benchmarks.md).
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = list(process.env.BENCH_CONNECTIONS, [16]);
const SIZES = list(process.env.BENCH_SIZES, [1000, 100000]);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 7);
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const BASE = process.env.BENCH_BASE;

/** Issue 14's targets. */
export const TARGET = {
  createVsKoa: 1.0,
  createVsBare: 0.3,
  checkVsBare: 0.35,
  p99Ms: 10,
  scaleRatio: 0.9,
  coldVsBare: 2,
  cold100kMs: 400,
  rssEmptyMb: 60,
  rssPerOrderKb: 1,
  deliveriesPerS: 5000,
  waiterLagMs: 1000,
  importMs: 80,
  startMs: 5,
};
/** A round in which other processes took more than this share of the machine is left out. */
const BUSY = 0.1;
// Each server reads the pool of creates from its own cursor: the bare server alone sends ~500k
// bodies in a run, and a sandbox must not see an out_trade_no it has stored already.
const POOL = Number(process.env.BENCH_POOL ?? 500_000);

const dir = mkdtempSync(join(tmpdir(), 'payjs-bench-'));
const log = (...a) => console.error(...a);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const hasFsync = () => spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' }).stdout.includes('--fsync');

// --- phases --------------------------------------------------------------------------------

/** Spawn → first successful answer to a native create, for each server in turn, COLD_RUNS times;
 * also the CPU the process had used by then (which, unlike the wall time, survives a busy machine). */
async function coldStarts(kinds) {
  const times = Object.fromEntries(kinds.map((k) => [k.name, []]));
  const cpu = Object.fromEntries(kinds.map((k) => [k.name, []]));
  for (let i = 0; i < COLD_RUNS; i++) {
    for (const k of kinds) {
      await waitQuiet([], 3000);
      const { child, url, t0 } = await startProcess(k.args(i), k.name);
      const res = await fetch(`${url}/api/native`, { method: 'POST', headers: FORM_HEADERS, body: nativeBody() });
      const body = await res.text();
      times[k.name].push(performance.now() - t0);
      cpu[k.name].push(cpuMs(child.pid));
      if (!body.includes('"return_code":1')) throw new Error(`cold start of ${k.name}: unexpected answer ${body}`);
      await stop(child);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, all]) => [k, { median: median(all), all, cpuMedian: median(cpu[k]) }]));
}

async function idleRss(db) {
  const { child } = await startProcess(sandboxArgs(db), 'sandbox');
  await sleep(1000);
  const mb = rssMb(child.pid);
  await stop(child);
  return mb;
}

/**
 * One cell: every server takes ROUNDS turns of DURATION/ROUNDS seconds, in the same order each
 * round. Rounds disturbed by other processes are dropped when at least 3 quiet ones are left.
 */
async function cell(servers, path, connections) {
  const ours = servers.map((s) => s.pid);
  const duration = DURATION / ROUNDS;
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = [];
    for (const s of servers) round.push(await run({ url: s.url, path, makeBody: s.makeBody, pool: s.pool, connections, duration, pid: s.pid, ours }));
    rounds.push(round);
  }
  const quiet = rounds.filter((round) => Math.max(...round.map((x) => x.foreign)) <= BUSY);
  const kept = quiet.length >= 3 ? quiet : rounds;
  return {
    results: servers.map((_, i) => combine(kept.map((round) => round[i]))),
    rounds: kept.length,
    dropped: rounds.length - kept.length,
    foreign: Math.max(...kept.flatMap((round) => round.map((x) => x.foreign))),
  };
}

/** p99 of creates at 16 connections on a 100k-order sandbox that compacts every few MB of journal
 * (as the 64 MiB default does, only sooner), with the compactions counted by the document's mtime. */
async function underCompaction(pristine, bodies) {
  const nativePool = cursor(bodies);
  const db = join(dir, 'compacting.json');
  copyFileSync(pristine, db);
  const stalls = join(dir, 'compacting-stalls.json');
  const sb = await startProcess([here('./compacting-sandbox.mjs'), db, String(2 * 1024 * 1024), stalls], 'compacting sandbox');
  await run({ url: sb.url, path: '/api/native', makeBody: nativeBody, pool: nativePool, connections: 16, duration: WARMUP });
  let mtime = statSync(db).mtimeMs;
  let compactions = 0;
  const watch = setInterval(() => {
    const m = statSync(db).mtimeMs;
    if (m !== mtime) compactions++;
    mtime = m;
  }, 20);
  const runs = [];
  for (let r = 0; r < ROUNDS; r++) runs.push(await run({ url: sb.url, path: '/api/native', makeBody: nativeBody, pool: nativePool, connections: 16, duration: DURATION / ROUNDS, pid: sb.pid }));
  clearInterval(watch);
  await stop(sb.child, 'SIGTERM'); // it writes its longest stall, then closes
  const { worstCpuMs } = JSON.parse(readFileSync(stalls, 'utf8'));
  return { ...combine(runs), compactions, worstCpuMs, latencies: undefined };
}

/** A cursor of its own into a pool of bodies. */
const cursor = (pool) => ({ ...pool, next: 0 });

function childJson(script, env = {}) {
  const out = join(dir, `${script}.json`);
  const r = spawnSync(process.execPath, [here(`./${script}`)], { env: { ...process.env, ...env, BENCH_JSON: out }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`${script} failed (${r.status})`);
  log(r.stdout.trim());
  return existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : JSON.parse(r.stdout.trim().split('\n').at(-1));
}

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    // The comment at the top of this file is the usage.
    const text = readFileSync(here('./bench.mjs'), 'utf8').split('\n').slice(1);
    console.log(text.slice(0, text.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
    return;
  }
  const started = Date.now();
  pinSelf();
  const machine = machineInfo();
  log(`payjs-sandbox bench: ${machine.cpus}× ${machine.model}, ${machine.memGb.toFixed(1)} GiB, node ${machine.node}, load ${machine.loadBefore.map((l) => l.toFixed(2)).join(' ')}; ${machine.client}; ${machine.pinned}`);
  log(`${DURATION} s per server and cell in ${ROUNDS} rounds, ${WARMUP} s warm-up, connections ${CONNECTIONS.join('/')}, stores ${SIZES.join('/')} orders; files in ${dir}`);

  const stores = [];
  for (const size of SIZES) {
    const pristine = join(dir, `pristine-${size}.json`);
    const ids = await writeOrdersDoc(pristine, size);
    stores.push({ size, pristine, ids, check: checkBody(ids) });
  }
  const big = stores[stores.length - 1];
  const cold = await coldStarts([
    { name: 'bare', args: () => [BARE] },
    { name: 'sandbox', args: (i) => sandboxArgs(join(dir, `cold-${i}.json`)) },
  ]);
  log(`cold start: bare ${cold.bare.median.toFixed(0)} ms, sandbox ${cold.sandbox.median.toFixed(0)} ms (${cold.sandbox.all.map((t) => t.toFixed(0)).join(', ')})`);
  const coldBig = (
    await coldStarts([
      {
        name: 'sandbox',
        args: (i) => {
          const db = join(dir, `cold-big-${i}.json`);
          copyFileSync(big.pristine, db);
          return sandboxArgs(db);
        },
      },
    ])
  ).sandbox;
  log(`cold start with ${big.size} orders: ${coldBig.median.toFixed(0)} ms (CPU ${coldBig.cpuMedian.toFixed(0)} ms)`);
  const rss = { empty: await idleRss(join(dir, 'rss-empty.json')) };
  copyFileSync(big.pristine, join(dir, 'rss-full.json'));
  rss.full = await idleRss(join(dir, 'rss-full.json'));
  rss.fullSize = big.size;
  rss.perOrderKb = ((rss.full - rss.empty) * 1024) / big.size;
  log(`idle RSS: ${rss.empty.toFixed(1)} MB empty, ${rss.full.toFixed(1)} MB with ${big.size} orders (${rss.perOrderKb.toFixed(2)} KB per order)`);

  // Bodies for wrk: one pool of creates (each run starts where the last stopped) and one of checks
  // per store; autocannon makes its bodies as it goes.
  const nativeBodies = writeBodies(join(dir, 'native.bodies'), POOL, nativeBody);
  for (const st of stores) st.pool = writeBodies(join(dir, `check-${st.size}.bodies`), 50_000, st.check);
  /** Each server's cursor into the pool of creates, by its pid. */
  const creates = new Map();
  const createsOf = (pid) => creates.get(pid) ?? creates.set(pid, cursor(nativeBodies)).get(pid);
  const pools = (endpoint, st, pid) => (endpoint === 'native' ? { makeBody: nativeBody, pool: createsOf(pid) } : { makeBody: st.check, pool: st.pool });

  const bare = await startProcess([BARE], 'bare server');
  const koa = await startProcess([KOA, '0', '--db', stores[0].pristine], 'koa server');
  for (const s of [bare, koa]) await run({ url: s.url, path: '/api/native', makeBody: nativeBody, pool: createsOf(s.pid), connections: 16, duration: WARMUP });
  const fsync = hasFsync();

  const rows = [];
  for (const c of CONNECTIONS) {
    // Fresh copies of the stores for each connection count: each starts from its `size` orders
    // plus the few thousand the warm-up creates (the check cell runs before the native one).
    const sandboxes = [];
    const variants = stores.map((st) => ({ st, flags: [], label: `${st.size}` }));
    if (fsync && !SKIP.has('fsync')) variants.push({ st: stores[0], flags: ['--fsync'], label: `${stores[0].size} --fsync` });
    if (BASE) variants.push({ st: stores[0], flags: [], label: `${stores[0].size} base`, bin: BASE });
    for (const { st, flags, label, bin } of variants) {
      const db = join(dir, `run-${st.size}-${c}${flags.length ? '-fsync' : ''}${bin ? '-base' : ''}.json`);
      copyFileSync(st.pristine, db);
      const args = sandboxArgs(db);
      if (bin) args[0] = bin;
      sandboxes.push({ ...(await startProcess([...args, ...flags], 'sandbox')), db, store: st, label });
    }
    for (const sb of sandboxes) {
      await run({ url: sb.url, path: '/api/check', ...pools('check', sb.store, sb.pid), connections: c, duration: WARMUP });
      await run({ url: sb.url, path: '/api/native', ...pools('native', sb.store, sb.pid), connections: c, duration: WARMUP });
    }
    for (const endpoint of ['check', 'native']) {
      const servers = [
        { ...bare, ...pools(endpoint, stores[0], bare.pid), label: 'bare' },
        { ...koa, ...pools(endpoint, stores[0], koa.pid), label: 'koa' },
        ...sandboxes.map((sb) => ({ ...sb, ...pools(endpoint, sb.store, sb.pid) })),
      ];
      const { results, rounds, dropped, foreign } = await cell(servers, `/api/${endpoint}`, c);
      const [b, k, ...rest] = results;
      rest.forEach((s, i) => {
        const sb = sandboxes[i];
        const row = { size: sb.store.size, label: sb.label, fsync: sb.label.includes('fsync'), endpoint, connections: c, sandbox: s, bare: b, koa: k, ratio: s.rps / b.rps, koaRatio: s.rps / k.rps, rounds, dropped, foreign };
        rows.push(row);
        const failed = s.bad || s.errors || b.bad || b.errors || k.bad || k.errors;
        log(
          `${sb.label.padStart(12)} orders ${endpoint.padEnd(6)} ${String(c).padStart(2)}c  sandbox ${s.rps.toFixed(0).padStart(5)} req/s p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} ms ${s.serverCpuUs.toFixed(0)} µs CPU/req${s.p99s ? ` (p99 by round ${s.p99s.map((x) => x.toFixed(1)).join(' ')})` : ''} | koa ${k.rps.toFixed(0)} (${row.koaRatio.toFixed(2)}×) | bare ${b.rps.toFixed(0).padStart(5)} req/s (${row.ratio.toFixed(2)}×) | ${rounds} rounds (${dropped} dropped), others ≤ ${(100 * foreign).toFixed(0)}% CPU` +
            (failed ? `\n   !! sandbox bad=${s.bad} err=${s.errors}, koa bad=${k.bad} err=${k.errors}, bare bad=${b.bad} err=${b.errors}: ${s.firstBad || k.firstBad || b.firstBad}` : ''),
        );
      });
    }
    for (const sb of sandboxes) {
      await stop(sb.child);
      rmSync(sb.db, { force: true });
      rmSync(`${sb.db}.journal`, { force: true });
    }
  }
  await stop(bare.child, 'SIGTERM');
  await stop(koa.child, 'SIGTERM');
  const compaction = SKIP.has('compaction') ? null : await underCompaction(big.pristine, nativeBodies);
  if (compaction) log(`under compaction (${big.size} orders, ${compaction.compactions} compactions): ${compaction.rps.toFixed(0)} creates/s, p99 ${compaction.p99.toFixed(2)} ms; longest stall ${compaction.worstCpuMs.toFixed(1)} ms of CPU between two 5 ms ticks`);
  for (const r of rows) for (const k of ['sandbox', 'bare', 'koa']) delete r[k].latencies;
  const notify = SKIP.has('notify') ? null : childJson('notify.mjs');
  const embed = SKIP.has('embed') ? null : childJson('embed.mjs');
  machine.loadAfter = loadavg();
  report({ machine, cold, coldBig, rss, rows, compaction, notify, embed, fsync, seconds: (Date.now() - started) / 1000, wrapped: [...creates.entries()].some(([pid, c]) => pid !== bare.pid && pid !== koa.pid && c.next > POOL) });
}

// --- report --------------------------------------------------------------------------------

function report({ machine, cold, coldBig, rss, rows, compaction, notify, embed, fsync, seconds, wrapped }) {
  const f0 = (n) => (Number.isFinite(n) ? n.toFixed(0) : '–');
  const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : '–');
  const f2 = (n) => (Number.isFinite(n) ? n.toFixed(2) : '–');
  const find = (size, endpoint, c, fs = false) => rows.find((r) => r.size === size && r.endpoint === endpoint && r.connections === c && r.fsync === fs);
  const small = SIZES[0];
  const big = SIZES[SIZES.length - 1];
  const sorted = [...rows].sort((a, b) => a.size - b.size || a.connections - b.connections || a.endpoint.localeCompare(b.endpoint) || Number(a.fsync) - Number(b.fsync));
  const out = [];
  out.push(`Machine: ${machine.cpus}× ${machine.model}, ${machine.memGb.toFixed(1)} GiB RAM, Node ${machine.node}; ${machine.date}; load average ${machine.loadBefore.map(f2).join(' ')} → ${machine.loadAfter.map(f2).join(' ')}; ${f0(seconds)} s`);
  out.push(`Client: ${machine.client}; ${machine.pinned}; ${DURATION} s per server and cell in ${ROUNDS} rounds${wrapped ? '; the pool of create bodies wrapped (some out_trade_no sent twice)' : ''}`);
  out.push('');
  out.push('| orders | endpoint | conns | sandbox req/s | p50 ms | p99 ms | CPU µs/req | koa req/s | koa CPU µs/req | bare req/s | bare CPU µs/req | × koa | × bare | other procs CPU |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of sorted) {
    const failed = r.sandbox.bad + r.sandbox.errors;
    const flag = failed ? ` (${failed} failed)` : '';
    const busy = r.foreign > BUSY ? ' ⚠' : '';
    out.push(
      `| ${r.label} | ${r.endpoint} | ${r.connections} | ${f0(r.sandbox.rps)}${flag} | ${f2(r.sandbox.p50)} | ${f2(r.sandbox.p99)} | ${f0(r.sandbox.serverCpuUs)} | ${f0(r.koa.rps)} | ${f0(r.koa.serverCpuUs)} | ${f0(r.bare.rps)} | ${f0(r.bare.serverCpuUs)} | ${f2(r.koaRatio)}× | ${f2(r.ratio)}× | ≤ ${f0(100 * r.foreign)}%${busy} |`,
    );
  }
  out.push('');
  out.push(`Cold start (spawn → first successful /api/native answer), median of ${cold.sandbox.all.length}: sandbox, empty store **${f0(cold.sandbox.median)} ms** (${cold.sandbox.all.map(f0).join(', ')}); bare node:http ${f0(cold.bare.median)} ms (${cold.bare.all.map(f0).join(', ')}); sandbox with ${big} orders ${f0(coldBig.median)} ms (${coldBig.all.map(f0).join(', ')})`);
  out.push('');
  out.push(`Idle RSS 1 s after start: **${f1(rss.empty)} MB** with an empty store, ${f1(rss.full)} MB with ${rss.fullSize} orders (${f2(rss.perOrderKb)} KB per order)`);
  out.push('');

  const checks = [];
  const add = (name, value, pass) => checks.push({ name, value, pass });
  const c16 = CONNECTIONS.includes(16) ? 16 : CONNECTIONS[0];
  for (const size of SIZES) {
    const r = find(size, 'native', c16);
    if (!r) continue;
    add(`durable create ≥ ${TARGET.createVsKoa}× the plain koa server @${c16} conns, ${size} orders`, `${f2(r.koaRatio)}×`, r.koaRatio >= TARGET.createVsKoa);
    add(`durable create ≥ ${TARGET.createVsBare}× bare node:http @${c16} conns, ${size} orders`, `${f2(r.ratio)}×`, r.ratio >= TARGET.createVsBare);
    const ch = find(size, 'check', c16);
    if (ch) add(`durable check ≥ ${TARGET.checkVsBare}× bare @${c16} conns, ${size} orders`, `${f2(ch.ratio)}× (${f2(ch.koaRatio)}× koa)`, ch.ratio >= TARGET.checkVsBare);
  }
  for (const size of SIZES) {
    for (const endpoint of ['native', 'check']) {
      const r = find(size, endpoint, c16);
      if (r) add(`p99 ≤ ${TARGET.p99Ms} ms @${c16} conns, ${endpoint}, ${size} orders`, `${f2(r.sandbox.p99)} ms`, r.sandbox.p99 <= TARGET.p99Ms);
    }
  }
  if (compaction) add(`p99 ≤ ${TARGET.p99Ms} ms @16 conns while compactions run (create, ${big} orders)`, `${f2(compaction.p99)} ms (${compaction.compactions} compactions, ${f0(compaction.rps)} req/s, longest stall ${f1(compaction.worstCpuMs)} ms CPU)`, compaction.p99 <= TARGET.p99Ms && compaction.compactions > 0);
  if (small !== big) {
    for (const endpoint of ['native', 'check']) {
      const a = find(small, endpoint, c16);
      const b = find(big, endpoint, c16);
      if (a && b) add(`${endpoint}: ratio @${big} ≥ ${TARGET.scaleRatio}× ratio @${small} (${c16} conns)`, `${f2(b.ratio)} / ${f2(a.ratio)} = ${f2(b.ratio / a.ratio)}`, b.ratio >= TARGET.scaleRatio * a.ratio);
    }
  }
  add(`cold start ≤ ${TARGET.coldVsBare}× bare node:http's (empty store)`, `${f0(cold.sandbox.median)} / ${f0(cold.bare.median)} ms = ${f2(cold.sandbox.median / cold.bare.median)}×`, cold.sandbox.median <= TARGET.coldVsBare * cold.bare.median);
  add(`cold start ≤ ${TARGET.cold100kMs} ms with ${big} orders`, `${f0(coldBig.median)} ms (CPU ${f0(coldBig.cpuMedian)} ms)`, coldBig.median <= TARGET.cold100kMs);
  add(`idle RSS ≤ ${TARGET.rssEmptyMb} MB (empty store)`, `${f1(rss.empty)} MB`, rss.empty <= TARGET.rssEmptyMb);
  add(`idle RSS ≤ ${TARGET.rssPerOrderKb} KB per stored order at ${big}`, `${f2(rss.perOrderKb)} KB`, rss.perOrderKb <= TARGET.rssPerOrderKb);
  if (notify) {
    add(`notify ≥ ${TARGET.deliveriesPerS} deliveries/s, ${notify.orders} paid orders`, `${f0(notify.perSecond)} /s (sandbox ${f0(notify.cpuUsPerDelivery)} µs CPU per delivery)`, notify.perSecond >= TARGET.deliveriesPerS);
    add(`${notify.waiters} concurrent waitForNotify resolved ≤ ${TARGET.waiterLagMs} ms after their deliveries`, `worst ${f0(notify.worstLagMs)} ms (all in ${f2(notify.waitSeconds)} s)`, notify.worstLagMs <= TARGET.waiterLagMs);
  }
  if (embed) {
    add(`import('payjs-sandbox') ≤ ${TARGET.importMs} ms`, `${f0(embed.importMs)} ms`, embed.importMs <= TARGET.importMs);
    add(`startSandbox() ≤ ${TARGET.startMs} ms (first in the process / later)`, `${f1(embed.firstStartMs)} / ${f1(embed.laterStartMs)} ms`, embed.firstStartMs <= TARGET.startMs && embed.laterStartMs <= TARGET.startMs);
  }
  const withFsync = find(small, 'native', c16, true);
  const without = find(small, 'native', c16);
  if (withFsync && without) add(`--fsync: creates/s with and without (${small} orders, reported)`, `${f0(withFsync.sandbox.rps)} / ${f0(without.sandbox.rps)} req/s`, true);
  else add('--fsync: creates/s with and without', fsync ? 'not measured' : 'not measured: this build has no --fsync', true);
  const failedRows = rows.filter((r) => r.sandbox.bad || r.sandbox.errors || r.bare.bad || r.bare.errors || r.koa.bad || r.koa.errors);
  add('every answer is a success (return_code 1)', failedRows.length ? `${failedRows.length} cells with failures` : 'yes', failedRows.length === 0);
  out.push('| target | measured | result |');
  out.push('|---|---:|---|');
  for (const c of checks) out.push(`| ${c.name} | ${c.value} | ${c.pass ? 'PASS' : '**FAIL**'} |`);
  const busy = rows.filter((r) => r.foreign > BUSY).length;
  if (busy) out.push(`\n⚠ In ${busy} cell(s) fewer than 3 rounds were quiet (other processes took more than ${100 * BUSY}% of the CPU): those numbers are unreliable; run again on a quiet machine.`);
  if (embed) out.push(`\nFirst answers of an embedded sandbox, after its start (no target): the lean /api path ${f1(embed.firstApiMs)} ms, the first request koa serves ${f1(embed.firstKoaMs)} ms, then the first JSON body it checks ${f1(embed.firstBodyMs)} ms; Node's own first listen ${f1(embed.bareListenMs)} ms.`);
  console.log(`\n${out.join('\n')}`);
  if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ machine, cold, coldBig, rss, rows, compaction, notify, embed, checks, seconds }, null, 2));
}

async function cleanup() {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}

process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
main().then(
  () => cleanup(),
  async (err) => {
    console.error(err);
    await cleanup();
    process.exitCode = 1;
  },
);
