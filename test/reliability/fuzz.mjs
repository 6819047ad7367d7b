#!/usr/bin/env node
// npm run reliability:fuzz -- --requests 100000 [--concurrency 8] [--seed N] [--batch 500] [--json]
//
// Sends hostile raw requests (test/reliability/hostile.mjs) to the CLI as a process
// (`node dist/cli/bin.js --port 0 --db <tmp> --no-magic-amounts`) and checks, for every answer:
// complete, no 5xx, on /api/* an envelope, a signed answer or a 302; after every batch: the
// process still answers, and no order exists under the out_trade_no of a refused call. At the
// end, SIGTERM must write the document and exit 0, and a restart on it must hold every order.
// Prints counts by HTTP status and by kind of answer, and every violation; exits 1 on any.
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sign, verify } from '../../dist/index.js';
import { AVOID, hostileRequest, judge, sendRaw } from './hostile.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
const OTHER = { mchid: '2000000001', key: 'OtherKey0001' };
const merchants = [{ mchid: '1234567890', key: 'TestKey1234567890' }, OTHER];

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '100000' },
    concurrency: { type: 'string', default: '8' },
    batch: { type: 'string', default: '500' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const TOTAL = Number(args.requests);
const CONCURRENCY = Number(args.concurrency);
const BATCH = Number(args.batch);
const SEED = args.seed !== undefined ? Number(args.seed) : Date.now() % 2 ** 31;
const log = (line) => {
  if (!args.json) console.log(line);
};

/** Starts the CLI; resolves with the child and its URL once the banner's first line is out. */
function launch(db) {
  const child = spawn(process.execPath, [BIN, '--port', '0', '--db', db, '--no-magic-amounts', '--merchant', `${OTHER.mchid}:${OTHER.key}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err = (err + d).slice(-200_000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 10 s: ${out}${err}`)), 10_000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) clearTimeout(timer), resolve({ child, url: m[1], stderr: () => err });
    });
    child.once('exit', (code, signal) => reject(new Error(`exited ${code ?? signal} before the banner: ${err}`)));
  });
}

const exited = (child) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code))));

/** The peak resident memory of a process, from /proc (Linux). */
function peakRss(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'payjs-fuzz-'));
  const db = join(dir, 'db.json');
  const receiver = createServer((req, res) => req.resume().on('end', () => res.end('success')));
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${receiver.address().port}/notify`;
  const { child, url, stderr } = await launch(db);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  const ids = [];
  let snapshot = {};
  const ctx = {
    sign,
    merchants,
    ids: () => ids,
    notifyUrls: [receiverUrl, 'http://127.0.0.1:1/refused', 'not a url', 'ftp://merchant.test/n'],
    snapshot: () => snapshot,
  };
  const judged = { verify, merchants };
  const arbitrary = hostileRequest(fc, ctx);
  const byStatus = {};
  const byClass = {};
  const violations = [];
  const replay = [];
  let sent = 0;
  let retried = 0;
  let storedFromRefused = 0;
  let deadAfterBatch = 0;
  const started = performance.now();

  for (let b = 0; sent < TOTAL; b++) {
    const n = Math.min(BATCH, TOTAL - sent);
    snapshot = (await getJson(`${url}/__sandbox/snapshot`)).body;
    const requests = fc.sample(arbitrary, { numRuns: n, seed: SEED + b });
    const refusedMarkers = new Set();
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const req = requests[i];
        const res = await sendRaw(url, req, { agent, timeoutMs: 30_000 });
        if (res.retried) retried++;
        const verdict = judge(req, res, judged);
        const key = res.status ?? (res.skipped ? 'skipped' : 'no answer');
        byStatus[key] = (byStatus[key] ?? 0) + 1;
        byClass[verdict.class] = (byClass[verdict.class] ?? 0) + 1;
        if (verdict.violations.length) {
          violations.push({ request: `${req.method} ${req.path.slice(0, 160)}`, headers: req.headers, body: req.body?.subarray(0, 160).toString('latin1'), bodyBytes: req.body?.length ?? 0, answer: `${res.status ?? res.error} ${res.body?.subarray(0, 200).toString('utf8') ?? ''}`, violations: verdict.violations });
          // The whole request, to replay it (sendRaw(url, { ...r, body: Buffer.from(r.body, 'base64') })).
          if (replay.length < 20) replay.push({ method: req.method, path: req.path, headers: req.headers, body: req.body?.toString('base64') });
        }
        // Markers of refused creates and seeds; a restore's body carries those of existing orders.
        if (verdict.refused && (req.kind === 'api' || req.path.startsWith('/__sandbox/seed'))) {
          const text = `${req.path} ${req.body?.subarray(0, 4096).toString('latin1') ?? ''}`;
          for (const m of text.matchAll(/\b[FS]\d+x\d+\b/g)) refusedMarkers.add(m[0]);
        }
        if (verdict.class === 'signed' && res.body) {
          try {
            const id = JSON.parse(res.body.toString('utf8')).payjs_order_id;
            if (typeof id === 'string') ids.push(id), ids.length > 300 && ids.shift();
          } catch { /* judged already */ }
        }
      }
    }));
    sent += n;
    // After each batch: the process answers, and nothing was stored under a refused call's marker.
    const health = await sendRaw(url, { method: 'GET', path: '/__sandbox/merchants', headers: {} }, { timeoutMs: 10_000 });
    if (health.status !== 200 || child.exitCode !== null) {
      deadAfterBatch++;
      violations.push({ request: `after batch ${b}`, violations: [`the sandbox no longer answers (${health.status ?? health.error}); exit ${child.exitCode ?? child.signalCode}`] });
      break;
    }
    const { body } = await getJson(`${url}/__sandbox/orders?limit=10000`);
    for (const o of body.orders) {
      if (refusedMarkers.has(o.out_trade_no)) {
        storedFromRefused++;
        violations.push({ request: `batch ${b}`, violations: [`order ${o.payjs_order_id} stored under the out_trade_no ${o.out_trade_no} of a refused call`] });
      }
    }
    // Keep the state small enough to list in one call.
    if (body.total > 5000) await fetch(`${url}/__sandbox/reset`, { method: 'POST' });
    if (b % 20 === 0) log(`  ${sent} requests, ${violations.length} violations, ${Math.round((performance.now() - started) / 1000)} s`);
  }
  const seconds = (performance.now() - started) / 1000;
  const rssMb = peakRss(child.pid);

  // A clean stop after all that, and a restart that holds what was there.
  const before = (await getJson(`${url}/__sandbox/orders?limit=1`)).body.total;
  child.kill('SIGTERM');
  const code = await exited(child);
  if (code !== 0) violations.push({ request: 'SIGTERM', violations: [`exit ${code}: ${stderr().slice(-500)}`] });
  const again = await launch(db);
  const after = (await getJson(`${again.url}/__sandbox/orders?limit=1`)).body.total;
  if (after !== before) violations.push({ request: 'restart', violations: [`${before} orders before the stop, ${after} after the restart`] });
  again.child.kill('SIGTERM');
  await exited(again.child);
  agent.destroy();
  receiver.close();
  rmSync(dir, { recursive: true, force: true });

  const summary = {
    requests: sent,
    seconds: Math.round(seconds * 10) / 10,
    perSecond: Math.round(sent / seconds),
    concurrency: CONCURRENCY,
    seed: SEED,
    byStatus,
    byClass,
    retriedStaleKeepAlive: retried,
    storedFromRefused,
    deadAfterBatch,
    peakRssMb: rssMb,
    ordersAtStop: before,
    ordersAfterRestart: after,
    avoidedKnownBugs: Object.entries(AVOID).filter(([, v]) => v).map(([k]) => k),
    violations: violations.length,
  };
  if (replay.length) {
    const file = join(tmpdir(), `payjs-fuzz-violations-${SEED}.json`);
    writeFileSync(file, JSON.stringify(replay, null, 1));
    log(`the requests behind the violations, to replay: ${file}`);
  }
  if (args.json) {
    console.log(JSON.stringify({ ...summary, details: violations.slice(0, 50) }));
  } else {
    console.log('\nfuzz summary');
    for (const [k, v] of Object.entries(summary)) console.log(`  ${k.padEnd(22)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    for (const v of violations.slice(0, 20)) console.log(`\nVIOLATION ${v.request}\n  ${JSON.stringify(v.headers ?? {})} ${v.bodyBytes ?? 0} B ${JSON.stringify(v.body ?? '')}\n  → ${v.answer ?? ''}\n  ${v.violations.join('\n  ')}`);
  }
  process.exitCode = violations.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
