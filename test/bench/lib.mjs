// The pieces of the bench: processes, signed bodies, one load run, /proc readings.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sign } from '../../dist/index.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'dist/cli/bin.js');
export const BARE = fileURLToPath(new URL('./bare-server.mjs', import.meta.url));
export const MCHID = '1234567890';
export const KEY = 'TestKey1234567890';

const children = new Set();
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- processes ---------------------------------------------------------------------------

/** Spawns `node args…`; resolves once stdout shows `listening on http://…:PORT`. `t0` is the
 * instant just before the spawn. */
export function startProcess(args, label = 'server', nodeFlags = []) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeFlags, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
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

/** A check of a random existing order; without mchid, as most SDKs send it (payjs-api.md §4). */
export const checkBody = (ids) => () => form({ payjs_order_id: ids[Math.floor(Math.random() * ids.length)] });

// --- load ----------------------------------------------------------------------------------

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
