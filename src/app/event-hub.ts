import type { Order } from '../core/order.js';
import type { NotifyEvent } from '../notify/notifier.js';
import type { RecordedCall } from './call-log.js';

/** What happens in a sandbox, for the dashboard's live updates (server-sent events). */
export type SandboxEvent =
  | { type: 'order'; order: Order }
  | { type: 'notify'; attempt: NotifyEvent }
  | { type: 'call'; call: RecordedCall }
  | { type: 'reset' };

/** A small fan-out of sandbox events to whoever listens; a listener that throws is dropped. */
export class EventHub {
  private readonly listeners = new Set<(e: SandboxEvent) => void>();

  emit(event: SandboxEvent): void {
    if (this.listeners.size === 0) return;
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  on(listener: (e: SandboxEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
