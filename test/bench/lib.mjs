// The pieces of the bench: processes, signed bodies, one load run, /proc readings.
import autocannon from 'autocannon';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from '../../dist/index.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'dist/cli/bin.js');
export const BARE = fileURLToPath(new URL('./bare-server.mjs', import.meta.url));
export const KOA = fileURLToPath(new URL('./koa-server.mjs', import.meta.url));
const WRK_SCRIPT = fileURLToPath(new URL('./wrk.lua', import.meta.url));
export const MCHID = '1234567890';
export const KEY = 'TestKey1234567890';

const children = new Set();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- processes ---------------------------------------------------------------------------

const onPath = (bin) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
/** Servers run on core 0 and the load generator on core 1, when taskset and two cores are there. */
export const PIN = cpus().length >= 2 && onPath('taskset');
export const SERVER_CORE = '0';
export const CLIENT_CORE = '1';
/** wrk (C, one thread) when installed: it outruns every server here; else autocannon in-process. */
export const WRK = process.env.BENCH_CLIENT !== 'autocannon' && onPath('wrk');

/** Pins this process (and so autocannon) to the client's core. */
export function pinSelf() {
  if (PIN) execFileSync('taskset', ['-cp', CLIENT_CORE, String(process.pid)], { stdio: 'ignore' });
}

/** The machine, as printed beside the results. */
export function machine() {
  return {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? '?',
    memGb: totalmem() / 2 ** 30,
    node: process.version,
    date: new Date().toISOString(),
    loadBefore: loadavg(),
    client: WRK ? `wrk (${spawnSync('wrk', ['-v']).stdout.toString().split('\n')[0].split(' [')[0]}), 1 thread` : 'autocannon 8, in the bench process',
    pinned: PIN ? `servers on core ${SERVER_CORE}, load generator on core ${CLIENT_CORE} (taskset)` : 'not pinned (no taskset or one core)',
  };
}

/** Spawns `node args…` (on the server core); resolves once stdout shows `listening on
 * http://…:PORT`. `t0` is the instant just before the spawn. */
export function startProcess(args, label = 'server', nodeFlags = []) {
  const t0 = performance.now();
  const argv = [...nodeFlags, ...args];
  const child = PIN ? spawn('taskset', ['-c', SERVER_CORE, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-20_000);
  });
  return new Promise((resolve, reject) => {
    let listening = false;
    child.stdout.on('data', (d) => {
      if (listening) return;
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        listening = true;
        resolve({ child, pid: child.pid, url: m[1], t0, stderr: () => err });
      }
    });
    child.on('exit', (code, signal) => {
      if (!listening) reject(new Error(`${label} exited (${code ?? signal}) before listening:\n${out}\n${err}`));
    });
  });
}

export function stop(child, signal = 'SIGKILL') {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export const stopAll = () => Promise.all([...children].map((c) => stop(c)));

export const sandboxArgs = (db) => [BIN, '--port', '0', '--db', db];

// --- /proc ---------------------------------------------------------------------------------

export function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (user + system, all threads) a process has used, in ms. */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** CPU time the whole machine spent busy (all cores, steal included), in ms. */
export function machineBusyMs() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f;
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

export const NCPU = cpus().length;

// --- request bodies ------------------------------------------------------------------------

export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (params) => new URLSearchParams({ ...params, sign: sign(params, KEY) }).toString();
const RUN = Date.now().toString(36);
let tradeNo = 0;

/** A native create with an out_trade_no never sent before. */
export function nativeBody() {
  return form({ mchid: MCHID, total_fee: '1', out_trade_no: `B${RUN}${(tradeNo++).toString(36)}`, body: 'bench order' });
}

/** A check of a random existing order; without mchid, as most SDKs send it (docs/protocol.md §4). */
export const checkBody = (ids) => () => form({ payjs_order_id: ids[Math.floor(Math.random() * ids.length)] });

/** Writes `count` bodies from `make`, one a line, for wrk (form bodies hold no newline). */
export function writeBodies(file, count, make) {
  const lines = new Array(count);
  for (let i = 0; i < count; i++) lines[i] = make();
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, count, next: 0 };
}

// --- load ----------------------------------------------------------------------------------

/** One load run with wrk when it is there (bodies from `pool`, a file of writeBodies), else
 * autocannon (bodies from `makeBody`). */
export const run = (o) => (WRK && o.pool ? loadWrk(o) : load(o));

/**
 * One wrk run on the client core: `pool.next` is where this run starts in the pool of bodies (so
 * each create carries an out_trade_no not sent before, until the pool wraps). wrk reports p50/p99
 * from its own histogram (µs); its CPU time is read from the shell that waited for it.
 */
export function loadWrk({ url, path, pool, connections, duration, pid, ours = [] }) {
  const pids = [...new Set([pid, ...ours].filter(Boolean))];
  const before = { machine: machineBusyMs(), self: process.cpuUsage(), procs: pids.map(cpuMs), server: pid ? cpuMs(pid) : 0, t: performance.now() };
  const pin = PIN ? `taskset -c ${CLIENT_CORE} ` : '';
  const cmd = `${pin}wrk -t1 -c${connections} -d${Math.max(1, Math.round(duration))}s --latency -s '${WRK_SCRIPT}' '${url}' -- '${pool.file}' '${path}' ${pool.next}; echo "STAT $(cat /proc/$$/stat)"`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', cmd], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => {
      const m = /WRK-JSON (\{.*\})/.exec(out);
      const st = /STAT (.*)/.exec(out);
      if (!m || !st) return reject(new Error(`wrk failed (${code}): ${out}\n${err}`));
      const r = JSON.parse(m[1]);
      const f = st[1].slice(st[1].lastIndexOf(')') + 2).split(' ');
      const wrkMs = (Number(f[13]) + Number(f[14])) * TICK_MS; // cutime + cstime: wrk, waited for
      const wall = performance.now() - before.t;
      const self = process.cpuUsage(before.self);
      const oursMs = wrkMs + (self.user + self.system) / 1000 + pids.map(cpuMs).reduce((a, b, i) => a + b - before.procs[i], 0);
      const foreign = Math.max(0, machineBusyMs() - before.machine - oursMs) / (wall * NCPU);
      const seconds = r.us / 1e6;
      pool.next += r.requests;
      resolve({
        rps: r.ok / seconds,
        p50: r.p50 / 1000,
        p99: r.p99 / 1000,
        ok: r.ok,
        bad: r.bad,
        firstBad: r.firstBad,
        errors: r.errors,
        wrapped: r.wrapped,
        serverCpuUs: pid ? ((cpuMs(pid) - before.server) * 1000) / Math.max(1, r.ok + r.bad) : NaN,
        foreign,
        seconds,
        latencies: null,
      });
    });
  });
}

/**
 * One autocannon run. Latencies are kept at full (sub-ms) resolution; every answer must carry
 * `"return_code":1` (PAYJS failures are HTTP 200 too). With `pid`, also the server's CPU time per
 * answer; `ours` lists every pid of the bench, to tell how much CPU other processes took.
 */
export function load({ url, path, makeBody, connections, duration, pid, ours = [] }) {
  const latencies = [];
  let ok = 0;
  let bad = 0;
  let firstBad = '';
  const pids = [...new Set([pid, ...ours].filter(Boolean))];
  const before = { machine: machineBusyMs(), self: process.cpuUsage(), procs: pids.map(cpuMs), server: pid ? cpuMs(pid) : 0, t: performance.now() };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration,
        requests: [
          {
            method: 'POST',
            path,
            headers: FORM_HEADERS,
            setupRequest: (req) => ({ ...req, body: makeBody() }),
            onResponse: (status, body) => {
              if (status === 200 && body.includes('"return_code":1')) ok++;
              else if (bad++ === 0) firstBad = `${status} ${body.slice(0, 300)}`;
            },
          },
        ],
      },
      (err, result) => {
        if (err) return reject(err);
        const wall = performance.now() - before.t;
        const self = process.cpuUsage(before.self);
        const oursMs = (self.user + self.system) / 1000 + pids.map(cpuMs).reduce((a, b, i) => a + b - before.procs[i], 0);
        const foreign = Math.max(0, machineBusyMs() - before.machine - oursMs) / (wall * NCPU);
        latencies.sort((a, b) => a - b);
        resolve({
          rps: ok / result.duration,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          ok,
          bad,
          firstBad,
          errors: result.errors + result.timeouts,
          serverCpuUs: pid ? ((cpuMs(pid) - before.server) * 1000) / Math.max(1, ok + bad) : NaN,
          foreign,
          seconds: result.duration,
          latencies,
        });
      },
    );
    instance.on('response', (_client, _status, _bytes, ms) => latencies.push(ms));
  });
}

/** The p-th percentile of sorted values (nearest rank). */
export function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
}

/** Several runs of one setup as if they were one: answers over time, latencies pooled. */
export function combine(runs) {
  // wrk gives percentiles, not every latency: then p50 is the rounds' median and p99 the worst round's.
  if (runs.some((r) => !r.latencies)) {
    const p50s = runs.map((r) => r.p50).sort((a, b) => a - b);
    runs = runs.map((r) => ({ ...r, latencies: [] }));
    const c = combine(runs);
    return { ...c, p50: p50s[Math.floor(p50s.length / 2)], p99: Math.max(...runs.map((r) => r.p99)), p99s: runs.map((r) => r.p99), wrapped: runs.reduce((a, r) => a + (r.wrapped ?? 0), 0) };
  }
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const sum = (k) => runs.reduce((a, r) => a + r[k], 0);
  const ok = sum('ok');
  const seconds = sum('seconds');
  return {
    rps: ok / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    ok,
    bad: sum('bad'),
    firstBad: runs.map((r) => r.firstBad).find(Boolean) ?? '',
    errors: sum('errors'),
    serverCpuUs: runs.reduce((a, r) => a + r.serverCpuUs * (r.ok + r.bad), 0) / Math.max(1, ok + sum('bad')),
    foreign: runs.reduce((a, r) => a + r.foreign * r.seconds, 0) / seconds,
    seconds,
    latencies,
  };
}

/** Share of the machine (0–1) that processes other than `ours` keep busy over `ms`. */
export async function foreignLoad(ours = [], ms = 500) {
  const pids = ours.filter(Boolean);
  const m0 = machineBusyMs();
  const s0 = process.cpuUsage();
  const p0 = pids.map(cpuMs);
  const t0 = performance.now();
  await sleep(ms);
  const self = process.cpuUsage(s0);
  const oursMs = (self.user + self.system) / 1000 + pids.map(cpuMs).reduce((a, b, i) => a + b - p0[i], 0);
  return Math.max(0, machineBusyMs() - m0 - oursMs) / ((performance.now() - t0) * NCPU);
}

/** Waits, at most `maxMs`, until other processes leave the machine nearly idle (< `below`). */
export async function waitQuiet(ours = [], maxMs = 30_000, below = 0.05) {
  const end = performance.now() + maxMs;
  let f = await foreignLoad(ours);
  while (f >= below && performance.now() < end) f = await foreignLoad(ours);
  return f;
}
