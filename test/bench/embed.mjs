#!/usr/bin/env node
// Embedded start-up (the last phase of `npm run bench`): in fresh processes, how long
// `import('payjs-sandbox')` takes, and `startSandbox()` (memory store, port 0) the first time and
// after. Prints one JSON line: { importMs, firstStartMs, laterStartMs } (medians of BENCH_EMBED_RUNS).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = new URL('../../dist/index.js', import.meta.url).href;
const RUNS = Number(process.env.BENCH_EMBED_RUNS ?? 7);

if (process.argv[2] === 'child') {
  const t0 = performance.now();
  const { startSandbox } = await import(ENTRY);
  const t1 = performance.now();
  const first = await startSandbox();
  const t2 = performance.now();
  const later = [];
  for (let i = 0; i < 5; i++) {
    const s0 = performance.now();
    const s = await startSandbox();
    later.push(performance.now() - s0);
    await s.close();
  }
  await first.close();
  later.sort((a, b) => a - b);
  console.log(JSON.stringify({ importMs: t1 - t0, firstStartMs: t2 - t1, laterStartMs: later[2] }));
} else {
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), 'child'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`embed child failed: ${r.stderr}`);
    runs.push(JSON.parse(r.stdout.trim().split('\n').at(-1)));
  }
  const median = (k) => runs.map((r) => r[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
  const result = { importMs: median('importMs'), firstStartMs: median('firstStartMs'), laterStartMs: median('laterStartMs'), runs: runs.length };
  console.log(JSON.stringify(result));
}
