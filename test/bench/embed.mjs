#!/usr/bin/env node
// Embedded start-up (the last phase of `npm run bench`): in fresh processes, how long
// `import('payjs-sandbox')` takes, and `startSandbox()` (memory store, port 0) the first time and
// after; then how long the first answers take once the first sandbox is up, so that what start-up
// leaves to first use is counted too: a signed `POST /api/native` (the lean path) and
// `GET /__sandbox/merchants` (the first request koa serves: the koa app is loaded and built then),
// then a JSON `POST /__sandbox/scenarios` (the first body koa reads and checks against a schema).
// Prints one JSON line: { importMs, firstStartMs, laterStartMs, firstApiMs, firstKoaMs,
// firstBodyMs, bareListenMs }, medians of BENCH_EMBED_RUNS processes; bareListenMs is the floor under the first
// start: a node:http server's first listen on 127.0.0.1 in a fresh process (Node loads its cluster,
// child_process and dns modules then).
// BENCH_EMBED_BASE=/other/checkout/dist/index.js: the same measures of another build, its
// processes alternating with this one's (paired, for before/after on a busy machine), printed
// first as { base: {…} }.
import { spawnSync } from 'node:child_process';
import { createServer, request } from 'node:http';
import { fileURLToPath } from 'node:url';

const ENTRY = new URL('../../dist/index.js', import.meta.url).href;
const RUNS = Number(process.env.BENCH_EMBED_RUNS ?? 7);

/** One request with node:http (fetch would load undici on the client side of the timing). */
const ask = (url, method, body, type = 'application/x-www-form-urlencoded') =>
  new Promise((resolve, reject) => {
    const req = request(url, { method, headers: body ? { 'content-type': type, 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => (res.statusCode < 300 ? resolve(text) : reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });

async function child(entry) {
  const t0 = performance.now();
  const { startSandbox, sign } = await import(entry);
  const t1 = performance.now();
  const first = await startSandbox();
  const t2 = performance.now();
  const { mchid, key } = first.merchant;
  const fields = { mchid, total_fee: '1', out_trade_no: `embed-${process.pid}`, body: 'embed' };
  const answer = await ask(`${first.url}/api/native`, 'POST', new URLSearchParams({ ...fields, sign: sign(fields, key) }).toString());
  const t3 = performance.now();
  if (!answer.includes('"return_code":1')) throw new Error(`first /api/native: ${answer}`);
  await ask(`${first.url}/__sandbox/merchants`, 'GET');
  const t4 = performance.now();
  await ask(`${first.url}/__sandbox/scenarios`, 'POST', JSON.stringify({ match: { out_trade_no: 'embed-never' }, tokens: ['pay=fail'] }), 'application/json');
  const t5 = performance.now();
  const later = [];
  for (let i = 0; i < 5; i++) {
    const s0 = performance.now();
    const s = await startSandbox();
    later.push(performance.now() - s0);
    await s.close();
  }
  await first.close();
  later.sort((a, b) => a - b);
  console.log(JSON.stringify({ importMs: t1 - t0, firstStartMs: t2 - t1, laterStartMs: later[2], firstApiMs: t3 - t2, firstKoaMs: t4 - t3, firstBodyMs: t5 - t4 }));
}

async function bareChild() {
  const t0 = performance.now();
  const server = createServer((req, res) => res.end());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const t1 = performance.now();
  server.close();
  console.log(JSON.stringify({ bareListenMs: t1 - t0 }));
}

const KEYS = ['importMs', 'firstStartMs', 'laterStartMs', 'firstApiMs', 'firstKoaMs', 'firstBodyMs', 'bareListenMs'];
const spawnChild = (...args) => {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`embed child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1));
};
const runChild = (entry) => ({ ...spawnChild('child', entry), ...spawnChild('bare') });
const medians = (runs) => ({ ...Object.fromEntries(KEYS.map((k) => [k, runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)]])), runs: runs.length });

if (process.argv[2] === 'child') {
  await child(process.argv[3]);
} else if (process.argv[2] === 'bare') {
  await bareChild();
} else {
  const base = process.env.BENCH_EMBED_BASE ? new URL(process.env.BENCH_EMBED_BASE, `file://${process.cwd()}/`).href : undefined;
  const runs = [];
  const baseRuns = [];
  for (let i = 0; i < RUNS; i++) {
    if (base) baseRuns.push(runChild(base));
    runs.push(runChild(ENTRY));
  }
  if (base) console.log(JSON.stringify({ base: medians(baseRuns) }));
  console.log(JSON.stringify(medians(runs)));
}
