import type { Change, Store } from '../store/store.js';
import type { NotifyAttempt, NotifyJob } from '../core/notify.js';

/**
 * How notify jobs and their attempts are kept in the store. A job is a record of `notifies` by
 * order, which counts its attempts; each attempt is a record of its own in `notify_attempts`,
 * keyed `<order>#<n>` with n from 1 to that count, so that an order's attempts are found by its
 * id alone, and an attempt journals itself and the job's change, not the job with every attempt
 * so far (a journal line that grew with each rung).
 *
 * Databases and snapshots of earlier versions hold the attempts inside their job (`attempts`):
 * a database is moved to this layout when it is opened (upgrade), a snapshot keeps that layout
 * both ways (toSnapshot, fromSnapshot), so snapshots of either version restore in the other.
 */
export const JOBS = 'notifies';
export const ATTEMPTS = 'notify_attempts';

/** A job as stored: its attempts are records of their own, and it says how many there are. */
export type JobRecord = Omit<NotifyJob, 'attempts'> & { attempts: number };

export const attemptKey = (payjsOrderId: string, n: number): string => `${payjsOrderId}#${n}`;

/** The attempts of a job, oldest first. */
export function attemptsOf(store: Pick<Store, 'get'>, job: JobRecord): NotifyAttempt[] {
  const attempts: NotifyAttempt[] = [];
  for (let n = 1; n <= job.attempts; n++) {
    const a = store.get<NotifyAttempt>(ATTEMPTS, attemptKey(job.payjs_order_id, n));
    if (a) attempts.push(a);
  }
  return attempts;
}

/** The changes that remove a job with its attempts. */
export function removal(job: JobRecord): Change[] {
  const changes: Change[] = [{ c: JOBS, k: job.payjs_order_id }];
  for (let n = job.attempts; n > 0; n--) changes.push({ c: ATTEMPTS, k: attemptKey(job.payjs_order_id, n) });
  return changes;
}

/** A job of the earlier layout, its attempts inside. */
const holdsAttempts = (job: unknown): job is NotifyJob => Array.isArray((job as NotifyJob | undefined)?.attempts);

/** A job of the earlier layout as the records of this one: the job without its attempts, and
 * each attempt under its order and place. */
function split(job: NotifyJob): { job: JobRecord; attempts: [key: string, attempt: NotifyAttempt][] } {
  return { job: { ...job, attempts: job.attempts.length }, attempts: job.attempts.map((a, i) => [attemptKey(job.payjs_order_id, i + 1), a]) };
}

/**
 * Moves the jobs of a database of an earlier version, which hold their attempts, to this layout:
 * each job with its attempts in one journal line (store.batch), so that a kill -9 in the middle
 * leaves every job in one layout or the other, and the next open moves the rest. Call it before
 * anything reads the jobs.
 */
export async function upgrade(store: Store): Promise<void> {
  const writes: Promise<void>[] = [];
  for (const value of store.values(JOBS)) {
    if (!holdsAttempts(value)) continue;
    const { job, attempts } = split(value);
    writes.push(store.batch([...attempts.map(([k, v]): Change => ({ c: ATTEMPTS, k, v })), { c: JOBS, k: job.payjs_order_id, v: job }]));
  }
  await Promise.all(writes);
}

type Collections = Record<string, Record<string, unknown>>;

/** The store's collections as a snapshot holds them: each job with its attempts inside (the
 * layout every version reads). */
export function toSnapshot(collections: Collections): Collections {
  const { [ATTEMPTS]: attempts = {}, ...rest } = collections;
  const jobs = rest[JOBS];
  if (!jobs) return rest;
  const folded: Record<string, unknown> = {};
  for (const id in jobs) {
    const job = jobs[id] as JobRecord;
    const list: unknown[] = [];
    for (let n = 1; n <= job.attempts; n++) {
      const a = attempts[attemptKey(job.payjs_order_id, n)];
      if (a !== undefined) list.push(a);
    }
    folded[id] = { ...job, attempts: list };
  }
  return { ...rest, [JOBS]: folded };
}

/** A snapshot's collections as the store keeps them: the attempts out of their jobs. */
export function fromSnapshot(collections: Collections): Collections {
  const jobs = collections[JOBS];
  if (!jobs) return collections;
  const records: Record<string, unknown> = {};
  const attempts: Record<string, unknown> = {};
  for (const id in jobs) {
    const value = jobs[id];
    if (!holdsAttempts(value)) {
      records[id] = value;
      continue;
    }
    const { job, attempts: list } = split(value);
    records[id] = job;
    for (const [k, v] of list) attempts[k] = v;
  }
  return { ...collections, [JOBS]: records, [ATTEMPTS]: attempts };
}
