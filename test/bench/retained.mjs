#!/usr/bin/env node
// Heap retained per create: the call log's record and the stored order, measured apart.
//
//   node --expose-gc test/bench/retained.mjs [ROOT]
//
// Starts a durable sandbox of ROOT's build (default: this checkout) in this process, sends N
// signed native creates over HTTP (16 at a time, the bench's bodies), and reads the heap after
// full GCs: once with the call log keeping every call (callLogLimit N) and once keeping one, so
// the difference is the log's records and the rest is the order (its record, indexes, journal).
// Memory in Buffers (off V8's heap, not marked by its GC) is given apart.
// Knob (env): RETAINED_N creates per sandbox (10000).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, nativeBody, FORM_HEADERS } from './lib.mjs';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const root = resolve(process.argv[2] ?? ROOT);
const { startSandbox } = await import(pathToFileURL(join(root, 'dist/index.js')).href);
const N = Number(process.env.RETAINED_N ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'payjs-retained-'));

const heap = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heap: m.heapUsed, off: m.arrayBuffers };
};

async function creates(url, n) {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      const res = await fetch(`${url}/api/native`, { method: 'POST', headers: FORM_HEADERS, body: nativeBody() });
      const text = await res.text();
      if (!text.includes('"return_code":1')) throw new Error(`create failed: ${text}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

async function measure(callLogLimit, label) {
  const sandbox = await startSandbox({ port: 0, db: join(dir, `${label}.json`), callLogLimit });
  await creates(sandbox.url, 200); // the code's first calls: compiled code, caches
  const before = await heap();
  await creates(sandbox.url, N);
  const after = await heap();
  const calls = sandbox.calls().length;
  await sandbox.close();
  return { bytes: (after.heap - before.heap) / N, off: (after.off - before.off) / N, calls };
}

try {
  const one = await measure(1, 'one');
  const all = await measure(N + 1000, 'all');
  const record = all.bytes - one.bytes;
  const off = all.off - one.off;
  console.log(`${root}: ${N} creates; V8 heap retained per create ${all.bytes.toFixed(0)} B with every call logged (${all.calls} kept): call log record ${record.toFixed(0)} B (+ ${off.toFixed(0)} B in Buffers, off the heap), the rest (order, indexes) ${one.bytes.toFixed(0)} B`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
