// The sandbox as the CLI starts it (durable, --db FILE), but rewriting its lowdb document every
// `compactAtBytes` of journal instead of every 64 MiB: the bench's p99-during-compaction phase
// makes compactions happen under load without writing 64 MiB first.
// node compacting-sandbox.mjs DB COMPACT_AT_BYTES [STALLS_JSON]
//
// With STALLS_JSON, it also writes there at SIGTERM the longest stretch of CPU time between two
// ticks of a 5 ms timer: a synchronous stall of the event loop (a whole-document rewrite) shows
// as that much CPU however busy the machine is, where p99 on a shared machine also counts the
// time the process waited for a core.
import { writeFileSync } from 'node:fs';
import { startSandbox } from '../../dist/index.js';

const sandbox = await startSandbox({ port: 0, db: process.argv[2], compactAtBytes: Number(process.argv[3]) });
const stalls = process.argv[4];
let worstCpuMs = 0;
if (stalls) {
  let last = process.cpuUsage();
  setInterval(() => {
    const now = process.cpuUsage();
    worstCpuMs = Math.max(worstCpuMs, (now.user - last.user + now.system - last.system) / 1000);
    last = now;
  }, 5).unref();
}
console.log(`payjs-sandbox (compacting) listening on ${sandbox.url}`);
process.on('SIGTERM', () => {
  if (stalls) writeFileSync(stalls, JSON.stringify({ worstCpuMs }));
  sandbox.close().then(() => process.exit(0));
});
