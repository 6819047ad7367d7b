import { readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/** The lowest CPU priority a thread can take (nice 19). */
const LOWEST = 19;

/**
 * Puts every thread of this process but the main one at the lowest CPU priority, on Linux (where
 * a thread's priority is its own: setpriority takes a thread id); elsewhere it does nothing.
 *
 * The threads there when the CLI starts are V8's workers: they run the GC's concurrent marking and
 * parallel scavenges beside the event loop. When the sandbox shares a core with them (a pinned
 * server, a busy machine), the kernel gives each runnable thread its share, so while V8 marks
 * with its workers the event loop gets a fraction of the core and every answer waits: the create
 * p99 spikes of docs/benchmarks.md ("The create p99 and V8's GC threads"). At nice 19
 * the workers run when the event loop does not need the core; V8 then does the marking it could
 * not hand off on the main thread, in its incremental steps. With an idle core to spare nothing
 * changes. `--single-threaded-gc` has the same aim, but V8 reads it as it starts: it belongs on
 * node's command line, which a bin does not choose. Threads started later
 * (libuv's pool, for the file system) inherit the main thread's priority, not this one.
 *
 * Returns how many threads it lowered.
 */
export function lowerWorkerThreads(): number {
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return 0; // no /proc: not Linux
  }
  let lowered = 0;
  for (const tid of tids) {
    if (Number(tid) === process.pid) continue;
    try {
      setPriority(Number(tid), LOWEST);
      lowered++;
    } catch {
      // the thread ended meanwhile
    }
  }
  return lowered;
}
