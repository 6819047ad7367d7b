import type { SandboxClock } from '../clock/clock.js';
import { Heap } from '../clock/heap.js';

interface Due {
  at: number;
  id: string;
}

/**
 * When unpaid orders fall due to expire, as one clock task for the earliest rather than a closure
 * per order (100k stored orders used to mean 100k clock tasks at start). Reading an order past its
 * expiry already closes it (Gateway.order); the sweep only makes sure each is closed, and
 * journaled, when nobody reads it.
 */
export class ExpiryQueue {
  private readonly heap = new Heap<Due>((x, y) => x.at < y.at);
  /** The time of the earliest sweep set on the clock, or Infinity. */
  private armedAt = Infinity;

  constructor(
    private readonly clock: SandboxClock,
    private readonly expire: (id: string) => unknown,
    /** The owner of the sweep's clock task, so that a reset or a restore cancels it with the rest. */
    private readonly owner?: string,
  ) {}

  /** The order `id` expires at `at` (once; a paid or closed order is passed over when due). */
  add(at: number, id: string): void {
    this.heap.push({ at, id });
    if (at < this.armedAt) this.arm(at);
  }

  /** Forgets every expiry (a reset or restore); a sweep already set finds nothing due and stops. */
  clear(): void {
    this.heap.clear();
    this.armedAt = Infinity;
  }

  /** The first `limit` expiries in time order (the Clock page lists them: the clock holds only
   * the sweep for the earliest). */
  upcoming(limit: number): Due[] {
    return this.heap.sorted(limit);
  }

  get size(): number {
    return this.heap.length;
  }

  private arm(at: number): void {
    this.armedAt = at;
    this.clock.at(at, () => this.sweep(at), this.owner);
  }

  private sweep(armed: number): Promise<unknown> | undefined {
    if (armed !== this.armedAt) return; // a sweep for an earlier time was set since
    this.armedAt = Infinity;
    const now = this.clock.now();
    const due: unknown[] = [];
    while (this.heap.length > 0 && this.heap.peek()!.at <= now) due.push(this.expire(this.heap.pop()!.id));
    if (this.heap.length > 0) this.arm(this.heap.peek()!.at);
    return Promise.all(due);
  }
}
