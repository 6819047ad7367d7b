#!/usr/bin/env node
// The GC timeline of the sandbox under the bench's create load: which rounds' p99 the garbage
// collector made. Builds (or node flags) take turns round by round, paired in one run.
//
//   node test/bench/gc.mjs [LABEL=ROOT[:FLAG,FLAG…]]…
//
// Each argument is a variant: ROOT is a checkout whose dist/ is built (default: this one), FLAGS
// node flags given to its process (`--single-threaded-gc`, …; `nice` puts its threads but the
// main one at nice 19). Every variant runs with
// --trace-gc; per round it prints wrk's p99 and rate, the scavenges and mark-compacts V8 ran in
// the round (count, longest pause, the marking's wall time), and the CPU the process's other
// threads (V8's GC workers) took beside the main thread. The server is pinned to core 0 as in
// the bench, so the GC workers compete with the event loop for that one core.
//
// Knobs (env): GC_SIZE stored orders at start (1000), GC_ROUNDS (5), GC_DURATION seconds per
// round (1), GC_WARMUP seconds (3), GC_COMPACT=BYTES runs test/bench/compacting-sandbox.mjs
// (compacting every BYTES of journal) instead of the CLI, GC_EVENTS=1 prints every mark-compact.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PIN, ROOT, SERVER_CORE, nativeBody, pinSelf, run, stop, writeBodies } from './lib.mjs';
import { writeOrdersDoc } from './preload.mjs';

const SIZE = Number(process.env.GC_SIZE ?? 1000);
const ROUNDS = Number(process.env.GC_ROUNDS ?? 5);
const DURATION = Number(process.env.GC_DURATION ?? 1);
const WARMUP = Number(process.env.GC_WARMUP ?? 3);
const COMPACT = process.env.GC_COMPACT ? Number(process.env.GC_COMPACT) : 0;
const TICK_MS = 10;
/** A round in which other processes took more than this share of the machine is not quiet. */
const QUIET = 0.1;

const variants = (process.argv.length > 2 ? process.argv.slice(2) : [`this=${ROOT}`]).map((a) => {
  const [label, rest = ROOT] = a.includes('=') ? a.split(/=(.*)/s) : ['this', a];
  const [root, flags = ''] = rest.split(/:(.*)/s);
  const all = flags.split(',').filter(Boolean);
  return { label, root: resolve(root), flags: all.filter((f) => f !== 'nice'), nice: all.includes('nice') };
});

/** CPU ms of the main thread and of the other threads of `pid`. */
function threadCpu(pid) {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(f[11]) + Number(f[12])) * TICK_MS;
    if (tid === String(pid)) main += ms;
    else others += ms;
  }
  return { main, others };
}

/** The pseudo-flag `nice`: every thread of `pid` but the main one at nice 19, from outside. */
function niceWorkers(pid) {
  for (const tid of readdirSync(`/proc/${pid}/task`)) if (tid !== String(pid)) setPriority(Number(tid), 19);
}

/** One --trace-gc line: its kind, pause, and for a mark-compact the marking's wall time. */
function gcEvent(line) {
  const m = /(\d+) ms: (Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Compact|Mark-Compact \(reduce\))[^,]*, ([\d.]+) \/ ([\d.]+) ms/.exec(line);
  if (!m) return null;
  const wall = /walltime since start of marking (\d+) ms/.exec(line);
  const steps = /\+ ([\d.]+) ms in (\d+) steps/.exec(line);
  const size = /([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/.exec(line);
  return { at: Number(m[1]), kind: m[2].startsWith('Scavenge') || m[2].startsWith('Minor') ? 'scavenge' : 'mark-compact', pause: Number(m[3]), markingWall: wall ? Number(wall[1]) : 0, steps: steps ? Number(steps[1]) : 0, heapMb: size ? Number(size[3]) : NaN, line };
}

function start(v, db) {
  const script = COMPACT ? [join(v.root, 'test/bench/compacting-sandbox.mjs'), db, String(COMPACT)] : [join(v.root, 'dist/cli/bin.js'), '--port', '0', '--db', db];
  const argv = ['--trace-gc', ...v.flags, ...script];
  const child = PIN ? spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const events = [];
  let buf = '';
  return new Promise((ok, fail) => {
    let url;
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop();
      for (const line of lines) {
        const e = gcEvent(line);
        if (e) events.push(e);
        const m = !url && /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (m) {
          if (v.nice) niceWorkers(child.pid);
          ok({ ...v, child, pid: child.pid, url: (url = m[1]), events });
        }
      }
    });
    child.on('exit', (code) => url || fail(new Error(`${v.label} exited (${code}) before listening`)));
  });
}

const f1 = (n) => n.toFixed(1);
const dir = mkdtempSync(join(tmpdir(), 'payjs-gc-'));
pinSelf();
const bodies = writeBodies(join(dir, 'native.bodies'), 600_000, nativeBody);
const servers = [];
try {
  for (const v of variants) {
    const db = join(dir, `${v.label}.json`);
    rmSync(db, { force: true });
    // Written whole before the server opens it (the write is sliced: it yields between slices).
    await writeOrdersDoc(db, SIZE);
    servers.push({ ...(await start(v, db)), pool: { ...bodies, next: 0 } });
  }
  for (const s of servers) await run({ url: s.url, path: '/api/native', pool: s.pool, makeBody: nativeBody, connections: 16, duration: WARMUP });
  const table = new Map(servers.map((s) => [s.label, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of servers) {
      const from = s.events.length;
      const cpu0 = threadCpu(s.pid);
      const res = await run({ url: s.url, path: '/api/native', pool: s.pool, makeBody: nativeBody, connections: 16, duration: DURATION, pid: s.pid, ours: servers.map((x) => x.pid) });
      await new Promise((ok) => setTimeout(ok, 50)); // the last trace lines of the round
      const cpu1 = threadCpu(s.pid);
      const ev = s.events.slice(from);
      const sc = ev.filter((e) => e.kind === 'scavenge');
      const mc = ev.filter((e) => e.kind === 'mark-compact');
      const row = {
        p99: res.p99,
        rps: res.rps,
        scavenges: sc.length,
        scavengeMax: Math.max(0, ...sc.map((e) => e.pause)),
        markCompacts: mc.length,
        mcMax: Math.max(0, ...mc.map((e) => e.pause)),
        markingWall: mc.reduce((a, e) => a + e.markingWall, 0),
        heapMb: ev.length ? ev.at(-1).heapMb : NaN,
        mainMs: cpu1.main - cpu0.main,
        othersMs: cpu1.others - cpu0.others,
        seconds: res.seconds,
        foreign: res.foreign,
      };
      table.get(s.label).push(row);
      console.log(
        `${s.label.padEnd(14)} round ${r + 1}: p99 ${f1(row.p99).padStart(5)} ms ${res.rps.toFixed(0).padStart(5)} req/s ${res.serverCpuUs.toFixed(0)} µs CPU/req, others ${(100 * res.foreign).toFixed(0)}% | scavenges ${row.scavenges} (max ${f1(row.scavengeMax)} ms) | mark-compacts ${row.markCompacts} (max pause ${f1(row.mcMax)} ms, marking ${row.markingWall} ms wall) | heap ${f1(row.heapMb)} MB | CPU main ${row.mainMs} ms, GC workers ${row.othersMs} ms`,
      );
      if (process.env.GC_EVENTS) for (const e of mc) console.log(`    ${e.line.trim()}`);
    }
  }
  console.log(`\nsummary (p99 by round; mark-compacts; GC workers CPU per round); quiet: the rounds in which other processes took ≤ ${100 * QUIET}% of the machine:`);
  for (const [label, rows] of table) {
    const quiet = rows.filter((r) => r.foreign <= QUIET).map((r) => r.p99).sort((a, b) => a - b);
    const stat = quiet.length ? `median ${f1(quiet[Math.floor(quiet.length / 2)])}, worst ${f1(quiet.at(-1))}, ≤ 10 ms in ${quiet.filter((p) => p <= 10).length} of ${quiet.length}` : 'none';
    console.log(`${label.padEnd(14)} p99 ${rows.map((r) => f1(r.p99)).join(' ')} ms | quiet rounds' p99: ${stat} | rps ${rows.map((r) => r.rps.toFixed(0)).join(' ')} | MC ${rows.map((r) => r.markCompacts).join(' ')} | workers ${rows.map((r) => r.othersMs).join(' ')} ms`);
  }
} finally {
  for (const s of servers) await stop(s.child);
  rmSync(dir, { recursive: true, force: true });
}
