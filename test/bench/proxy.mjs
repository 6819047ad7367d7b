#!/usr/bin/env node
// `npm run bench:proxy`: /api/native through the interception proxy (CONNECT + TLS with a leaf
// of the sandbox CA, keep-alive inside the tunnel) against the same sandbox straight on its main
// port and on its TLS listener, in the same run, with the same client (undici: Pool for direct,
// ProxyAgent for the proxy, Agent with the CA for the TLS listener), in alternating slices.
// Then the cost of a first handshake: a fresh connection per request, direct vs through the proxy,
// and the very first CONNECT of the process (the leaf for payjs.cn is issued then).
//
// Knobs (env): BENCH_DURATION seconds per mode and round (3), BENCH_ROUNDS (3),
// BENCH_CONNECTIONS (1,16), BENCH_FRESH (100 fresh connections per mode).
import { readFileSync } from 'node:fs';
import { Agent, Pool, ProxyAgent, request } from 'undici';
import { BIN, FORM_HEADERS, nativeBody, percentile, startProcess, stopAll, waitQuiet } from './lib.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16').split(',').map(Number);
const FRESH = Number(process.env.BENCH_FRESH ?? 100);
const log = (...a) => console.error(...a);

/** One POST /api/native through `dispatcher`; throws unless PAYJS said return_code 1. */
async function native(url, dispatcher) {
  const res = await request(url, { method: 'POST', headers: FORM_HEADERS, body: nativeBody(), dispatcher });
  const text = await res.body.text();
  if (!text.includes('"return_code":1')) throw new Error(`not created: ${text.slice(0, 200)}`);
}

/** `connections` closed loops for `seconds`; answers and every latency (ms). */
async function loop(url, dispatcher, connections, seconds) {
  const latencies = [];
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await native(url, dispatcher);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return latencies;
}

const summary = (latencies, seconds) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { rps: Math.round(latencies.length / seconds), p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
const ms = (v) => v.toFixed(2);

const server = await startProcess([BIN, '--port', '0', '--memory', '--proxy-port', '0', '--https-port', '0'], 'sandbox');
const info = await (await fetch(`${server.url}/__sandbox/interception`)).json();
const ca = readFileSync(info.caFile, 'utf8');
const httpsPort = new URL(info.https).port;

// --- the first handshake -------------------------------------------------------------------
await waitQuiet([server.pid], 10_000);
// One direct call first, so that the first CONNECT below pays for the proxy and TLS only, not for
// the sandbox's own first request.
await native(`${server.url}/api/native`, new Pool(server.url));
/** The first CONNECT to `host` in this process: the leaf for it is issued then. */
const firstConnect = async (host) => {
  const d = new ProxyAgent({ uri: info.proxy, requestTls: { ca } });
  const t = performance.now();
  await native(`https://${host}/api/native`, d);
  const took = performance.now() - t;
  await d.close();
  return took;
};
const firstMs = await firstConnect('payjs.cn');
const firstWwwMs = await firstConnect('www.payjs.cn');
const fresh = async (make, url) => {
  const times = [];
  for (let i = 0; i < FRESH; i++) {
    const d = make();
    const t = performance.now();
    await native(url, d);
    times.push(performance.now() - t);
    await d.close();
  }
  return times.sort((a, b) => a - b);
};
const freshDirect = await fresh(() => new Pool(server.url, { connections: 1 }), `${server.url}/api/native`);
const freshProxy = await fresh(() => new ProxyAgent({ uri: info.proxy, requestTls: { ca } }), 'https://payjs.cn/api/native');
const freshTls = await fresh(() => new Agent({ connect: { ca, servername: 'payjs.cn' } }), `https://127.0.0.1:${httpsPort}/api/native`);

// --- keep-alive throughput -----------------------------------------------------------------
const modes = {
  direct: { url: `${server.url}/api/native`, make: (c) => new Pool(server.url, { connections: c, pipelining: 1 }) },
  proxy: { url: 'https://payjs.cn/api/native', make: (c) => new ProxyAgent({ uri: info.proxy, requestTls: { ca }, connections: c }) },
  tls: { url: `https://127.0.0.1:${httpsPort}/api/native`, make: (c) => new Agent({ connect: { ca, servername: 'payjs.cn' }, connections: c }) },
};
const rows = [];
for (const connections of CONNECTIONS) {
  const pooled = Object.fromEntries(Object.keys(modes).map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with another mode, so that none always runs first (or last) in a round.
    const order = Object.entries(modes);
    for (const [name, mode] of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
      const d = mode.make(connections);
      await loop(mode.url, d, connections, 0.5); // warm: connections open, leaf cached
      pooled[name].push(...(await loop(mode.url, d, connections, DURATION)));
      await d.close();
    }
  }
  const result = Object.fromEntries(Object.entries(pooled).map(([m, l]) => [m, summary(l, DURATION * ROUNDS)]));
  rows.push({ connections, ...result });
  log(`conns ${connections}:`, JSON.stringify(result));
}
await stopAll();

console.log(`\n## Through the proxy vs direct (${new Date().toISOString()}, ${DURATION} s × ${ROUNDS} rounds per mode)\n`);
console.log('| conns | direct req/s | p50 ms | p99 ms | proxy req/s | p50 ms | p99 ms | proxy/direct | TLS listener req/s | p50 ms | p99 ms |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.connections} | ${r.direct.rps} | ${ms(r.direct.p50)} | ${ms(r.direct.p99)} | ${r.proxy.rps} | ${ms(r.proxy.p50)} | ${ms(r.proxy.p99)} | ${(r.proxy.rps / r.direct.rps).toFixed(2)}× | ${r.tls.rps} | ${ms(r.tls.p50)} | ${ms(r.tls.p99)} |`);
}
console.log(`\nFirst handshake (CONNECT + TLS + /api/native, the leaf issued then): payjs.cn ${ms(firstMs)} ms, then www.payjs.cn ${ms(firstWwwMs)} ms.`);
console.log(`A fresh connection per request (${FRESH} each), p50 / p99 ms: direct ${ms(percentile(freshDirect, 50))} / ${ms(percentile(freshDirect, 99))}; proxy (CONNECT + TLS) ${ms(percentile(freshProxy, 50))} / ${ms(percentile(freshProxy, 99))}; TLS listener ${ms(percentile(freshTls, 50))} / ${ms(percentile(freshTls, 99))}.`);
