/** The CLI's threads: V8's workers (GC marking, scavenges) yield the core to the event loop, so
 * that a sandbox sharing one core with them is not slowed for the length of a marking. Linux
 * only: elsewhere a thread has no priority of its own. */
import { readdirSync, readFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { BIN, launch } from './cli-process.js';

/** The nice value of each thread of `pid`, by thread id (field 19 of /proc/…/stat). */
function niceByThread(pid: number): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nice;
}

describe.skipIf(process.platform !== 'linux')('the CLI process on Linux', () => {
  it('runs the threads it starts with at nice 19 but the main one, which keeps the priority it was given', async () => {
    const r = await launch([BIN, '--port', '0', '--memory']);
    const pid = r.child.pid!;
    const nice = niceByThread(pid);
    expect(nice.get(pid)).toBe(getPriority());
    const workers = [...nice].filter(([tid]) => tid !== pid);
    expect(workers.length).toBeGreaterThanOrEqual(4); // V8's platform workers, at least
    expect(workers.filter(([, n]) => n !== 19)).toEqual([]);
    // The API still answers.
    expect((await fetch(`${r.url}/api/check`, { method: 'POST' })).status).toBe(200);
    r.child.kill('SIGKILL');
  });
});
