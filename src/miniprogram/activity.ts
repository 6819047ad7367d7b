import type { Fn } from './instance.js';

/** An error from the mini-program's context as a host Error (another realm's errors fail `instanceof`). */
function hostError(err: unknown): Error {
  if (err instanceof Error) return err;
  const e = err as { message?: unknown; stack?: unknown };
  const out = new Error(typeof e?.message === 'string' ? e.message : String(err));
  if (typeof e?.stack === 'string') out.stack = e.stack;
  return out;
}

/**
 * The mini-program's asynchronous life, as the harness sees it: the requests and navigations in
 * flight, its timers, and what its code threw. `settle()` and `waitFor()` wait on it, so that a
 * test never sleeps.
 */
export class Activity {
  /** Errors the mini-program threw that `settle()` has not reported yet. */
  readonly errors: Error[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly intervals = new Map<number, NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();
  private ids = 0;

  /** `onError` hears every error the mini-program throws (App.onError, as in WeChat). */
  constructor(private readonly onError: (message: string) => void) {}

  /** Records an error thrown by the mini-program's code. */
  fault(err: unknown): void {
    this.errors.push(hostError(err));
    try {
      this.onError(String((err as Error)?.stack ?? err));
    } catch {
      /* an onError that throws is not reported twice */
    }
    this.poke();
  }

  /** Calls mini-program code: what it throws, now or in the promise it returns, is recorded. */
  call(self: unknown, fn: unknown, args: unknown[] = []): unknown {
    if (typeof fn !== 'function') return undefined;
    try {
      const result = (fn as Fn).apply(self, args);
      if (result && typeof (result as Promise<unknown>).then === 'function') this.track(Promise.resolve(result)).catch(() => {});
      return result;
    } catch (err) {
      this.fault(err);
      return undefined;
    }
  }

  /** Async work `settle()` waits for; a rejection is recorded as the mini-program's error. */
  track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    work.then(undefined, (err) => this.fault(err)).finally(() => {
      this.pending.delete(work);
      this.poke();
    });
    return work;
  }

  /** Something happened (a setData, a finished request): waiters look again. */
  poke(): void {
    for (const wake of [...this.wakers]) wake();
  }

  /** The timer functions of the mini-program's context; timeouts are waited for, intervals not. */
  timerGlobals(): Record<string, unknown> {
    const add = (map: Map<number, NodeJS.Timeout>, make: (id: number) => NodeJS.Timeout) => {
      const id = ++this.ids;
      map.set(id, make(id));
      return id;
    };
    return {
      setTimeout: (fn: unknown, ms?: number, ...args: unknown[]) =>
        add(this.timers, (id) =>
          setTimeout(() => {
            this.timers.delete(id);
            this.call(undefined, fn, args);
            this.poke();
          }, ms ?? 0),
        ),
      clearTimeout: (id: number) => {
        clearTimeout(this.timers.get(id));
        if (this.timers.delete(id)) this.poke();
      },
      setInterval: (fn: unknown, ms?: number, ...args: unknown[]) =>
        add(this.intervals, () =>
          setInterval(() => {
            this.call(undefined, fn, args);
            this.poke();
          }, ms ?? 0),
        ),
      clearInterval: (id: number) => {
        clearInterval(this.intervals.get(id));
        this.intervals.delete(id);
      },
    };
  }

  /** Waits until no work nor timeout is pending, then throws what the code threw meanwhile. */
  async settle(timeout: number, describe: () => string): Promise<void> {
    const deadline = Date.now() + timeout;
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.pending.size === 0 && this.timers.size === 0) break;
      if (Date.now() >= deadline) {
        throw new Error(`settle: after ${timeout} ms the mini-program still waits for ${this.pending.size} request(s)/navigation(s) and ${this.timers.size} timeout(s)${describe()}`);
      }
      await this.next(deadline - Date.now());
    }
    this.throwErrors();
  }

  /** Waits until `predicate()` holds, looking again after each event. */
  async waitFor(predicate: () => boolean, timeout: number): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!predicate()) {
      this.throwErrors();
      if (Date.now() >= deadline) throw new Error(`waitFor: the condition did not hold within ${timeout} ms`);
      await this.next(deadline - Date.now());
    }
  }

  /** Clears every timer. */
  close(): void {
    for (const t of [...this.timers.values(), ...this.intervals.values()]) clearTimeout(t);
    this.timers.clear();
    this.intervals.clear();
  }

  private next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.wakers.add(wake);
    });
  }

  private throwErrors(): void {
    if (this.errors.length === 0) return;
    const errors = this.errors.splice(0);
    if (errors.length === 1) throw errors[0];
    throw new AggregateError(errors, `the mini-program threw ${errors.length} errors: ${errors.map((e) => e.message).join(' | ')}`);
  }
}
