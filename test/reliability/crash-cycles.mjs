#!/usr/bin/env node
// npm run reliability:crash -- --cycles 20 [--workers 8] [--seed N] [--json]
//
// N cycles of: start the CLI on one lowdb file, put it under load (signed creates, pays through
// the control API, signed refunds and closes, some orders with a notify_url whose receiver answers
// 500 so retries stay pending), kill -9 it mid-load, start it again on the same files, and check:
//   - every acknowledged order, payment, refund and close is there: signed /api/check (sign
//     verified, status 0/1), the exact status from the control API, a second refund of a refunded
//     order answers refund:"1", a closed order checks status 0; a change whose answer never came
//     (in flight at the kill) may be there or not, nothing else;
//   - pending notifies resume: every acknowledged paid order with a notify_url has its notify job;
//     after POST /__sandbox/clock/advance {"seconds": 15} the receiver gets the step-1 attempt of
//     each (the 15 s rung) and the record shows steps 0 and 1 exactly once each.
// Prints a summary (cycles, acknowledged operations, losses — must be 0 —, time); exits 1 on a loss.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sign, verify } from '../../dist/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'dist', 'cli', 'bin.js');
const MCHID = '1234567890';
const KEY = 'TestKey1234567890';

const { values: args } = parseArgs({
  options: {
    cycles: { type: 'string', default: '20' },
    workers: { type: 'string', default: '8' },
    seed: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const CYCLES = Number(args.cycles);
const WORKERS = Number(args.workers);
let seed = args.seed !== undefined ? Number(args.seed) : Date.now() % 2 ** 31;
const SEED = seed;
/** A small seeded random (mulberry32): the load lengths of a run can be replayed with --seed. */
const random = () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const say = (line) => {
  if (!args.json) console.log(line);
};
if (!existsSync(BIN)) {
  console.error(`${BIN} is missing: run npm run build first`);
  process.exit(2);
}

// --- the merchant side ---------------------------------------------------------------------

const signed = (params) => {
  const p = { mchid: MCHID, ...params };
  return { ...p, sign: sign(p, KEY) };
};
async function post(url, params) {
  const res = await fetch(url, { method: 'POST', body: new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])) });
  return res.json();
}
async function control(url, method = 'GET', body) {
  const res = await fetch(url, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  return { status: res.status, body: await res.json() };
}

/** Starts the CLI; resolves once its banner's first line gives the URL. */
function launch(db) {
  const started = performance.now();
  const child = spawn(process.execPath, [BIN, '--port', '0', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 15 s:\n${text}`)), 15_000);
    const read = (chunk) => {
      text += chunk;
      const m = /^payjs-sandbox \S+ listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(text);
      if (m) clearTimeout(timer), resolve({ child, url: m[1], ms: performance.now() - started, output: () => text });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code, signal) => (clearTimeout(timer), reject(new Error(`exited ${code ?? signal} before the banner:\n${text}`))));
  });
}
const exited = (child) => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r())));

/** A notify receiver that answers 500 to everything, so every ladder stays pending. */
async function startReceiver() {
  const arrivals = new Map();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const id = new URLSearchParams(body).get('payjs_order_id') ?? '?';
      arrivals.set(id, (arrivals.get(id) ?? 0) + 1);
      res.statusCode = 500;
      res.end('try again');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/notify`, arrivals, close: () => new Promise((r) => (server.closeAllConnections(), server.close(r))) };
}

// --- load ----------------------------------------------------------------------------------

/**
 * @typedef {'unpaid' | 'paid' | 'refunded' | 'closed'} State
 * @typedef {{ acked: State, maybe?: State, notify: boolean, cycle: number }} Tracked
 */

/** Workers create orders and act on them; each answer that came back is an acknowledgement. */
function load(url, cycle, orders, acked, notifyUrl) {
  let stopped = false;
  let inFlight = 0;
  let paidWithNotify = 0;
  const send = async (promise) => {
    inFlight++;
    try {
      return await promise;
    } finally {
      inFlight--;
    }
  };
  const worker = async (w) => {
    for (let i = 0; !stopped; i++) {
      /** @type {Tracked | undefined} */
      let t;
      try {
        const notify = i % 2 === 0;
        const created = await send(post(`${url}/api/native`, signed({ total_fee: 1 + (i % 400), out_trade_no: `C${cycle}W${w}N${i}`, body: 'crash', ...(notify ? { notify_url: notifyUrl } : {}) })));
        if (created.return_code !== 1) throw new Error(`native refused: ${JSON.stringify(created)}`);
        const id = created.payjs_order_id;
        t = { acked: 'unpaid', notify, cycle };
        orders.set(id, t);
        acked.create++;
        const plan = i % 5; // 0 nothing, 1 and 4 pay, 2 pay then refund, 3 close
        if (plan === 0) continue;
        if (plan === 3) {
          t.maybe = 'closed';
          const closed = await send(post(`${url}/api/close`, signed({ payjs_order_id: id })));
          if (closed.return_code !== 1) throw new Error(`close refused: ${JSON.stringify(closed)}`);
          Object.assign(t, { acked: 'closed', maybe: undefined });
          acked.close++;
          continue;
        }
        t.maybe = 'paid';
        const paid = await send(fetch(`${url}/__sandbox/orders/${id}/pay`, { method: 'POST' }));
        const paidBody = await paid.text();
        if (paid.status !== 200) throw new Error(`pay refused: ${paidBody}`);
        Object.assign(t, { acked: 'paid', maybe: undefined });
        acked.pay++;
        if (notify) paidWithNotify++;
        if (plan !== 2) continue;
        t.maybe = 'refunded';
        const refunded = await send(post(`${url}/api/refund`, signed({ payjs_order_id: id })));
        if (refunded.return_code !== 1 || refunded.refund !== undefined) throw new Error(`refund refused: ${JSON.stringify(refunded)}`);
        Object.assign(t, { acked: 'refunded', maybe: undefined });
        acked.refund++;
      } catch (e) {
        if (stopped) return; // the answer died with the process: not acknowledged
        throw e;
      }
    }
  };
  const done = Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  return { done, inFlight: () => inFlight, paidWithNotify: () => paidWithNotify, stop: () => void (stopped = true) };
}

// --- checks --------------------------------------------------------------------------------

/** What the restarted sandbox says of an order, through the merchant's API and the control API. */
async function observe(url, id) {
  const check = await post(`${url}/api/check`, signed({ payjs_order_id: id }));
  const exact = await control(`${url}/__sandbox/orders/${id}`);
  const status = exact.status === 200 ? exact.body.order.status : 'missing';
  const problems = [];
  if (check.return_code !== 1) problems.push(`check refused: ${check.msg ?? JSON.stringify(check)}`);
  else if (!verify(check, KEY)) problems.push('check answer does not verify');
  else if (check.status !== (status === 'paid' || status === 'refunded' ? 1 : 0)) problems.push(`check status ${check.status} for a ${status} order`);
  if (status === 'refunded') {
    const again = await post(`${url}/api/refund`, signed({ payjs_order_id: id }));
    if (again.refund !== '1' || again.return_code !== 1) problems.push(`second refund answered ${JSON.stringify(again)}`);
  }
  return { status, problems };
}

/** Checks every order, 16 at a time: returns the losses and how in-flight changes came out. */
async function verifyAll(url, orders) {
  const list = [...orders];
  const losses = [];
  const inFlight = { applied: 0, notApplied: 0 };
  await Promise.all(Array.from({ length: 16 }, async () => {
    for (let next = list.pop(); next; next = list.pop()) {
      const [id, t] = next;
      const { status, problems } = await observe(url, id);
      if (status !== t.acked && status !== t.maybe) losses.push(`${id}: acknowledged ${t.acked}${t.maybe ? ` (${t.maybe} in flight)` : ''}, found ${status}`);
      for (const p of problems) losses.push(`${id} (${status}): ${p}`);
      if (t.maybe) {
        if (status === t.maybe) inFlight.applied++;
        else inFlight.notApplied++;
        // What a restarted sandbox holds is durable: from now on it is acknowledged.
        if (status === t.maybe || status === t.acked) Object.assign(t, { acked: status, maybe: undefined });
      }
    }
  }));
  return { losses, inFlight };
}

/** Every paid order of the killed cycle with a notify_url: its job is there, and the 15 s rung
 * comes after the clock moves 15 s. Run before any check (a successful check stops the ladder). */
async function notifiesResume(url, orders, cycle, receiver) {
  const result = { jobs: 0, lost: [], step1: 0, resentStep0: 0, clockBehindMs: 0 };
  const due = [...orders].filter(([, t]) => t.cycle === cycle && t.notify && !t.maybe && (t.acked === 'paid' || t.acked === 'refunded'));
  const before = new Map();
  const recordedBeforeRestart = new Map();
  const bases = new Map();
  for (const [id] of due) {
    const { status, body } = await control(`${url}/__sandbox/orders/${id}/notifications`);
    if (status !== 200 || !body.notify) {
      result.lost.push(`${id}: paid with a notify_url, acknowledged, but no notify job after the restart`);
      continue;
    }
    result.jobs++;
    before.set(id, receiver.arrivals.get(id) ?? 0);
    recordedBeforeRestart.set(id, body.attempts.filter((a) => a.step === 0).length);
    bases.set(id, body.notify.base_at);
  }
  // The rung falls due 15 s after the payment on the sandbox clock. A restarted sandbox's clock
  // starts from real time again and forgets earlier advances (bug 8), so it may stand behind the
  // clock the payments were made on: move it 15 s past the newest of those payments.
  const now = (await control(`${url}/__sandbox/clock`)).body.now;
  const newestBase = Math.max(0, ...[...before.keys()].map((id) => bases.get(id)));
  result.clockBehindMs = Math.max(0, newestBase - now);
  const seconds = Math.max(15, Math.ceil((newestBase + 15_000 - now) / 1000));
  const advanced = await control(`${url}/__sandbox/clock/advance`, 'POST', { seconds });
  if (advanced.status !== 200) result.lost.push(`clock advance answered ${advanced.status}`);
  for (const [id] of due) {
    if (!before.has(id)) continue;
    const { body } = await control(`${url}/__sandbox/orders/${id}/notifications`);
    const steps = body.attempts.filter((a) => a.kind === 'ladder').map((a) => a.step);
    const count = (s) => steps.filter((x) => x === s).length;
    if (count(0) !== 1 || count(1) !== 1) result.lost.push(`${id}: ladder steps recorded ${JSON.stringify(steps)}, expected 0 and 1 once each (job ${JSON.stringify({ ...body.notify, fields: undefined, attempts: body.notify.attempts.map((a) => [a.step, a.at, a.error]) })}, clock ${JSON.stringify(advanced.body)})`);
    else result.step1++;
    if ((receiver.arrivals.get(id) ?? 0) <= before.get(id)) result.lost.push(`${id}: the receiver got no attempt after the clock moved 15 s`);
    // The step-0 attempt was sent, or not, before the kill; not recorded, it is sent again.
    if (recordedBeforeRestart.get(id) === 0) result.resentStep0++;
  }
  return result;
}

// --- the run -------------------------------------------------------------------------------

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'payjs-crash-cycles-'));
  const db = join(dir, 'db.json');
  const receiver = await startReceiver();
  /** @type {Map<string, Tracked>} */
  const orders = new Map();
  const acked = { create: 0, pay: 0, refund: 0, close: 0 };
  const losses = [];
  const notify = { jobs: 0, step1: 0, resentStep0: 0, lost: 0, clockBehindAfterRestartMaxS: 0 };
  // Requests without an answer at the kill; of the changes among them, which the restart holds.
  const inFlight = { requestsAtKill: 0, changesApplied: 0, changesNotApplied: 0 };
  const restartMs = [];
  const started = performance.now();
  let running = await launch(db);

  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const traffic = load(running.url, cycle, orders, acked, receiver.url);
    const loadMs = 300 + Math.floor(random() * 900);
    await new Promise((r) => setTimeout(r, loadMs)); // the length of the load, not a wait for an event
    // However slow the machine, each cycle has paid orders whose notifies must resume.
    while (traffic.paidWithNotify() < 3) await new Promise((r) => setTimeout(r, 5));
    while (traffic.inFlight() === 0) await new Promise((r) => setImmediate(r));
    inFlight.requestsAtKill += traffic.inFlight();
    running.child.kill('SIGKILL');
    traffic.stop();
    await traffic.done;
    await exited(running.child);

    running = await launch(db);
    restartMs.push(running.ms);
    const n = await notifiesResume(running.url, orders, cycle, receiver);
    notify.jobs += n.jobs;
    notify.step1 += n.step1;
    notify.resentStep0 += n.resentStep0;
    notify.lost += n.lost.length;
    notify.clockBehindAfterRestartMaxS = Math.max(notify.clockBehindAfterRestartMaxS, Math.round(n.clockBehindMs / 1000));
    losses.push(...n.lost);
    const v = await verifyAll(running.url, orders);
    losses.push(...v.losses);
    inFlight.changesApplied += v.inFlight.applied;
    inFlight.changesNotApplied += v.inFlight.notApplied;
    say(`cycle ${String(cycle).padStart(2)}: load ${loadMs} ms, ${orders.size} orders, restart ${Math.round(running.ms)} ms, notify jobs ${n.jobs} (step 1 seen ${n.step1}), losses so far ${losses.length}`);
  }
  running.child.kill('SIGTERM');
  await exited(running.child);
  await receiver.close();
  rmSync(dir, { recursive: true, force: true });

  const summary = {
    cycles: CYCLES,
    seed: SEED,
    workers: WORKERS,
    orders: orders.size,
    acknowledged: { ...acked, total: acked.create + acked.pay + acked.refund + acked.close },
    inFlightAtKill: inFlight,
    notifies: notify,
    losses: losses.length,
    restartMs: { mean: Math.round(restartMs.reduce((a, b) => a + b, 0) / restartMs.length), max: Math.round(Math.max(...restartMs)) },
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  if (args.json) console.log(JSON.stringify({ ...summary, details: losses.slice(0, 50) }));
  else {
    console.log('\ncrash-cycles summary');
    for (const [k, v] of Object.entries(summary)) console.log(`  ${k.padEnd(16)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
    for (const l of losses.slice(0, 30)) console.log(`  LOSS ${l}`);
  }
  process.exitCode = losses.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 2;
});
