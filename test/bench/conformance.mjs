#!/usr/bin/env node
// `npm run bench:conformance`: how long the notify-endpoint conformance battery takes against a
// correct endpoint (target, issue 12: the whole battery under 10 s), and, measured in the same run
// as the baseline, one valid notify round trip to the same endpoint (what a single case cannot
// beat). Median and max over BENCH_CONFORMANCE_RUNS runs (default 20).
import { createServer } from 'node:http';
import { startSandbox, sign } from '../../dist/index.js';

const RUNS = Number(process.env.BENCH_CONFORMANCE_RUNS ?? 20);
const KEY = 'TestKey1234567890';

// A correct merchant endpoint: verifies the sign over every received field, idempotent.
const paid = new Set();
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const json = (req.headers['content-type'] ?? '').includes('json');
    let fields;
    try {
      fields = json ? JSON.parse(body) : Object.fromEntries(new URLSearchParams(body));
    } catch {
      res.statusCode = 400;
      return res.end('bad body');
    }
    const { sign: got, ...rest } = fields;
    if (sign(rest, KEY) !== got) {
      res.statusCode = 400;
      return res.end('bad sign');
    }
    paid.add(fields.payjs_order_id);
    res.end('success');
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${server.address().port}/notify`;
const sandbox = await startSandbox();

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const battery = [];
const roundTrip = [];
await sandbox.checkNotify(url); // warm: undici's import, the first orders
for (let i = 0; i < RUNS; i++) {
  const t0 = performance.now();
  const report = await sandbox.checkNotify(url);
  battery.push(performance.now() - t0);
  if (!report.passed) throw new Error('the correct endpoint failed the battery: the bench measures nothing');
  const t1 = performance.now();
  await fetch(url, { method: 'POST', body: 'a=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }).then((r) => r.text());
  roundTrip.push(performance.now() - t1);
}
const f = (ms) => `${ms.toFixed(1)} ms`;
console.log(`conformance battery (8 cases, 14 sends), ${RUNS} runs: median ${f(median(battery))}, max ${f(Math.max(...battery))}  (target < 10000 ms)`);
console.log(`baseline, one POST round trip to the same endpoint: median ${f(median(roundTrip))}, max ${f(Math.max(...roundTrip))}`);
await sandbox.close();
server.close();
