#!/usr/bin/env node
// `npm run bench:fsync`: durable creates (POST /api/native) per second with and without --fsync,
// the two CLIs side by side on the same disk, taking turns in short slices so that both meet the
// same machine (as bench.mjs pairs its servers). Without --fsync a create is in the journal file
// (the kernel's page cache) before it is answered: it survives kill -9. With --fsync each group
// commit is also fsync'ed to the disk before the answers go out: it survives a power loss.
// docs/benchmarks.md has the results. The database files sit in BENCH_DIR (default: os.tmpdir();
// it must be a real disk, not tmpfs, where fsync costs nothing).
//
// Knobs (env): BENCH_DURATION seconds per server and cell (5), BENCH_ROUNDS (5),
// BENCH_CONNECTIONS (1,16,64), BENCH_DIR.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { combine, load, nativeBody, sandboxArgs, startProcess, stopAll, waitQuiet } from './lib.mjs';

const DURATION = Number(process.env.BENCH_DURATION ?? 5);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
const dir = mkdtempSync(join(process.env.BENCH_DIR ?? tmpdir(), 'payjs-bench-fsync-'));
const fsType = (() => {
  try {
    return execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', dir], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
})();

try {
  const servers = [];
  for (const [name, extra] of [['without --fsync', []], ['--fsync', ['--fsync']]]) {
    const s = await startProcess([...sandboxArgs(join(dir, `${extra.length ? 'fsync' : 'plain'}.json`)), ...extra], name);
    servers.push({ name, ...s });
  }
  const ours = servers.map((s) => s.pid);
  for (const s of servers) await load({ url: s.url, path: '/api/native', makeBody: nativeBody, connections: 16, duration: 1, pid: s.pid, ours });
  const rows = [];
  for (const connections of CONNECTIONS) {
    await waitQuiet(ours, 10_000);
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = [];
      for (const s of servers) round.push(await load({ url: s.url, path: '/api/native', makeBody: nativeBody, connections, duration: DURATION / ROUNDS, pid: s.pid, ours }));
      rounds.push(round);
    }
    const [plain, synced] = servers.map((_, i) => combine(rounds.map((round) => round[i])));
    for (const x of [plain, synced]) if (x.bad || x.errors) throw new Error(`bad answers at ${connections} conns: ${x.firstBad}`);
    rows.push({ connections, plain, synced, foreign: Math.max(plain.foreign, synced.foreign) });
    console.error(`${connections} conns: ${plain.rps.toFixed(0)} vs ${synced.rps.toFixed(0)} creates/s`);
  }
  const f = (n, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '–');
  console.log(`Durable creates (POST /api/native), ${ROUNDS} paired rounds of ${DURATION / ROUNDS} s per cell, databases on ${fsType}:\n`);
  console.log('| conns | creates/s | p50 ms | p99 ms | creates/s --fsync | p50 ms | p99 ms | --fsync ÷ without | other procs CPU |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { connections, plain, synced, foreign } of rows) {
    console.log(`| ${connections} | ${f(plain.rps)} | ${f(plain.p50, 2)} | ${f(plain.p99, 2)} | ${f(synced.rps)} | ${f(synced.p50, 2)} | ${f(synced.p99, 2)} | ${f(synced.rps / plain.rps, 2)}× | ≤ ${f(foreign * 100)}% |`);
  }
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
