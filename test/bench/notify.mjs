#!/usr/bin/env node
// `npm run bench:notify` (and the last phase of `npm run bench`): notify delivery.
//   throughput: 10,000 paid orders, all paid at once, delivered to a receiver in another process
//               (deliveries/s from the first payment to the last delivered attempt);
//   latency:    one payment at a time, unpaced, from sandbox.pay() to the delivered attempt
//               (the receiver's 200 recorded), p50/p99 over 2,000 payments.
// Targets (issue 3): >= 5,000 deliveries/s; p50 <= 2 ms.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startSandbox } from '../../dist/index.js';

const ORDERS = Number(process.env.BENCH_NOTIFY_ORDERS ?? 10_000);
const LATENCY_RUNS = Number(process.env.BENCH_NOTIFY_LATENCY ?? 2_000);

if (process.argv[2] === 'receiver') {
  // The merchant: answers 200 "success" to every notify, counts them.
  const { createServer } = await import('node:http');
  let count = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      count++;
      res.end('success');
    });
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => m === 'count' && process.send({ count }));
} else {
  const receiver = fork(fileURLToPath(import.meta.url), ['receiver'], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => receiver.once('message', resolve));
  const notify_url = `http://127.0.0.1:${port}/notify`;
  const sandbox = await startSandbox({ magicAmounts: false });
  const seed = (n, prefix) => sandbox.seed({ orders: Array.from({ length: n }, (_, i) => ({ out_trade_no: `${prefix}${i}`, total_fee: 100, notify_url })) });

  // Warm the pool and undici's import (lazy, ~400 ms) before measuring.
  const warm = await seed(200, 'W');
  await Promise.all(warm.map((o) => sandbox.pay(o.payjs_order_id)));
  await sandbox.waitForNotify((e) => e.out_trade_no === 'W199' && e.delivered, { timeout: 30_000 });

  const orders = await seed(ORDERS, 'T');
  const deliveredCount = () => sandbox.notifications().filter((e) => e.delivered && e.out_trade_no.startsWith('T')).length;
  const started = performance.now();
  await Promise.all(orders.map((o) => sandbox.pay(o.payjs_order_id)));
  let delivered = 0;
  for (const deadline = Date.now() + 120_000; (delivered = deliveredCount()) < ORDERS && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
  const seconds = (performance.now() - started) / 1000;
  const last = orders.at(-1).payjs_order_id;
  const perSecond = Math.round(delivered / seconds);
  await sandbox.reset(); // the latency run waits on a short attempt list

  const latency = [];
  for (let chunk = 0; latency.length < LATENCY_RUNS; chunk++) {
    // In chunks of 200 with a reset between: waitForNotify first looks through the attempts so far.
    for (const o of await seed(200, `L${chunk}-`)) {
      const t0 = performance.now();
      const waiting = sandbox.waitForNotify({ payjs_order_id: o.payjs_order_id, delivered: true }, { timeout: 10_000 });
      await sandbox.pay(o.payjs_order_id);
      await waiting;
      latency.push(performance.now() - t0);
    }
    await sandbox.reset();
  }
  latency.sort((a, b) => a - b);
  const q = (p) => latency[Math.min(latency.length - 1, Math.floor(p * latency.length))].toFixed(2);
  const received = await new Promise((resolve) => {
    receiver.once('message', (m) => resolve(m.count));
    receiver.send('count');
  });
  console.log(`notify: ${delivered} of ${ORDERS} delivered in ${seconds.toFixed(2)} s = ${perSecond} deliveries/s (receiver counted ${received} in all, warm-up included; last ${last})`);
  console.log(`notify latency, pay() → delivered, unpaced, ${LATENCY_RUNS} payments: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`);
  console.log('');
  console.log('| target | measured | result |');
  console.log('|---|---:|---|');
  console.log(`| deliveries/s ≥ 5,000 (${ORDERS} paid orders) | ${perSecond} | ${perSecond >= 5000 ? 'PASS' : '**FAIL**'} |`);
  console.log(`| trigger-to-receipt p50 ≤ 2 ms, unpaced | ${q(0.5)} ms | ${Number(q(0.5)) <= 2 ? 'PASS' : '**FAIL**'} |`);
  await sandbox.close();
  receiver.kill();
}
