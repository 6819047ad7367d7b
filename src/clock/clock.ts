import { Heap } from './heap.js';

/** The sandbox's time: real time by default, moved forward by tests; it also runs what falls due. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** 9999-12-31 23:59:59 Beijing: past it, `yyyyMMddHHmmss` (order ids, time_expire) has no digits left. */
const LATEST_TIME = Date.UTC(9999, 11, 31, 15, 59, 59);

interface Task {
  at: number;
  seq: number;
  run: () => unknown;
  /** Who set it (`order:<id>`, `notify:<id>`), to cancel it with what it belongs to. */
  owner?: string;
  label?: TaskLabel;
}

/** What a waiting task is, for the dashboard's Clock page: a notify rung, an expiry, a delayed
 * payment, a scheduled refund, and the order it concerns. */
export interface TaskLabel {
  kind: 'notify' | 'expire' | 'pay' | 'refund';
  payjs_order_id: string;
  /** The notify rung, for `notify`. */
  step?: number;
}

export interface SandboxClockOptions {
  /** The time to start from (epoch ms); default the real time. */
  start?: number;
  /** When true, time moves only by `advance()` (deterministic tests). */
  frozen?: boolean;
}

/**
 * A clock with its own timeline of tasks (notify retries, late notifies, delayed payments,
 * expiries). Real time flows unless frozen; `advance(seconds)` jumps forward and runs, in time
 * order, every task that falls due, before it resolves. No test ever sleeps for a schedule.
 */
export class SandboxClock implements Clock {
  private offset: number;
  private readonly frozenAt: number | null;
  private readonly tasks = new Heap<Task>(before);
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  /** The due time and offset the timer was set for: set again only when either changes. */
  private armedFor = { at: NaN, offset: NaN };
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;

  private readonly initialOffset: number;

  constructor(options: SandboxClockOptions = {}) {
    const real = Date.now();
    this.frozenAt = options.frozen ? (options.start ?? real) : null;
    this.offset = options.frozen ? 0 : (options.start ?? real) - real;
    this.initialOffset = this.offset;
  }

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offset;
  }

  /** Runs `run` when the clock reaches `at` (at once if it already has); `owner` tags the task
   * for `cancel`, `label` says what it is on the Clock page. */
  at(at: number, run: () => unknown, owner?: string, label?: TaskLabel): void {
    if (this.stopped) return;
    this.tasks.push({ at, seq: this.seq++, run, owner, label });
    if (at <= this.now()) this.kick();
    else if (this.tasks.peek()!.seq === this.seq - 1) this.arm();
  }

  /** Moves the clock forward and resolves once everything that falls due (and what that sets off
   * that is due too) has run. Each task runs with the clock at its own due time, so that what it
   * records is stamped then (a notify retry at +15 s, not at the end of a 4,000 s jump); then the
   * clock lands on the end. */
  async advance(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('advance takes a number of seconds ≥ 0');
    if (this.now() + seconds * 1000 > LATEST_TIME) throw new RangeError(`advance would pass 9999-12-31, the last time PAYJS's yyyyMMddHHmmss can write (at most ${Math.floor((LATEST_TIME - this.now()) / 1000)} s from now)`);
    const end = this.now() + seconds * 1000;
    for (;;) {
      await this.settle();
      const next = this.tasks.peek();
      if (!next || next.at > end) break;
      this.offset += Math.max(0, next.at - this.now());
    }
    this.offset += Math.max(0, end - this.now());
    this.onAdvance?.(this.advanced());
    await this.settle();
  }

  /** Puts the clock back where it started (real time for the default clock); the advance is
   * forgotten (onAdvance(0)). Tasks stay: the caller cancels what it removes. */
  rewind(): void {
    this.offset = this.initialOffset;
    this.onAdvance?.(0);
    this.arm();
  }

  /** Drops the waiting tasks whose owner `drop` picks; returns how many. */
  cancel(drop: (owner: string) => boolean): number {
    const before = this.tasks.length;
    this.tasks.keep((t) => t.owner === undefined || !drop(t.owner));
    this.arm();
    return before - this.tasks.length;
  }

  /** Called with the total advanced after each advance (the sandbox keeps it across restarts). */
  onAdvance?: (advancedMs: number) => void;

  /** How far advance() has moved the clock beyond where it started, in ms. */
  advanced(): number {
    return this.offset - this.initialOffset;
  }

  /** Moves the clock forward by what earlier runs advanced it (a restart must not go back in
   * time behind the orders and notify ladders those runs made); runs nothing. */
  resume(advancedMs: number): void {
    if (Number.isFinite(advancedMs) && advancedMs > this.advanced() && this.now() + advancedMs - this.advanced() <= LATEST_TIME) {
      this.offset = this.initialOffset + advancedMs;
    }
  }

  /** Resolves when nothing is due and nothing started is still running. */
  async settle(): Promise<void> {
    for (;;) {
      this.kick();
      if (this.inflight.size === 0) return;
      await Promise.all([...this.inflight]);
    }
  }

  /** How many tasks wait. */
  get pending(): number {
    return this.tasks.length;
  }

  /** The first `limit` waiting tasks in the order they will run: when, and what (if labelled).
   * A task may find nothing to do when it runs (the order was paid or checked meanwhile). */
  upcoming(limit = 200): { at: number; label?: TaskLabel }[] {
    return this.tasks.sorted(limit).map(({ at, label }) => (label ? { at, label } : { at }));
  }

  /** Drops every task and stops the real-time timer. */
  stop(): void {
    this.stopped = true;
    this.tasks.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  // Starts every due task in time order without waiting for one to finish before the next:
  // a slow notify receiver must not hold up the others.
  private kick(): void {
    const now = this.now();
    while (this.tasks.length > 0 && this.tasks.peek()!.at <= now) {
      const task = this.tasks.pop()!;
      const done: Promise<void> = Promise.resolve()
        .then(task.run)
        .then(
          () => {},
          () => {}, // a task records its own failures; one that throws must not stop the others
        )
        .finally(() => {
          this.inflight.delete(done);
          this.kick();
        });
      this.inflight.add(done);
    }
    this.arm();
  }

  private arm(): void {
    const first = this.stopped || this.tasks.length === 0 || this.frozenAt !== null ? undefined : this.tasks.peek()!.at;
    // Every task started or set re-arms: 10,000 notifies at once would clear and set the timer
    // 20,000 times for the same first task (the expiry sweep) otherwise.
    if (this.timer && first === this.armedFor.at && this.offset === this.armedFor.offset) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (first === undefined) return;
    const wait = Math.max(0, Math.min(first - this.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, wait);
    this.timer.unref();
    this.armedFor = { at: first, offset: this.offset };
  }
}

const before = (x: Task, y: Task) => x.at < y.at || (x.at === y.at && x.seq < y.seq);
