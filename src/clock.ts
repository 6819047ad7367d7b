/** The sandbox's time: real time by default, moved forward by tests; it also runs what falls due. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

interface Task {
  at: number;
  seq: number;
  run: () => unknown;
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
  private readonly tasks: Task[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly inflight = new Set<Promise<void>>();
  private stopped = false;

  constructor(options: SandboxClockOptions = {}) {
    const real = Date.now();
    this.frozenAt = options.frozen ? (options.start ?? real) : null;
    this.offset = options.frozen ? 0 : (options.start ?? real) - real;
  }

  now(): number {
    return (this.frozenAt ?? Date.now()) + this.offset;
  }

  /** Runs `run` when the clock reaches `at` (at once if it already has). */
  at(at: number, run: () => unknown): void {
    if (this.stopped) return;
    const task = { at, seq: this.seq++, run };
    let i = this.tasks.length;
    while (i > 0 && this.tasks[i - 1].at > at) i--;
    this.tasks.splice(i, 0, task);
    this.kick();
  }

  /** Moves the clock forward, runs everything that falls due in time order, and resolves once
   * they (and what they set off that is due too) have finished. */
  async advance(seconds: number): Promise<void> {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('advance takes a number of seconds ≥ 0');
    this.offset += seconds * 1000;
    await this.settle();
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

  /** Drops every task and stops the real-time timer. */
  stop(): void {
    this.stopped = true;
    this.tasks.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  // Starts every due task in time order without waiting for one to finish before the next:
  // a slow notify receiver must not hold up the others.
  private kick(): void {
    const now = this.now();
    while (this.tasks.length > 0 && this.tasks[0].at <= now) {
      const task = this.tasks.shift()!;
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
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopped || this.tasks.length === 0 || this.frozenAt !== null) return;
    const wait = Math.max(0, Math.min(this.tasks[0].at - this.now(), 2 ** 31 - 1));
    this.timer = setTimeout(() => this.kick(), wait);
    this.timer.unref();
  }
}
