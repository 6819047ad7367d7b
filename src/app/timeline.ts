import type { Order } from '../core/order.js';
import type { NotifyEvent } from '../notify/notifier.js';
import type { RecordedCall } from './call-log.js';

/** One line of an order's timeline: an event of its own, a notify attempt, or a merchant call. */
export interface TimelineLine {
  at: number;
  kind: 'order' | 'notify' | 'call';
  event?: string;
  attempt?: NotifyEvent;
  call?: RecordedCall;
}

/** An order's life in time order: its history, its notify attempts, the calls that named it
 * (the control API and the dashboard show the same lines). */
export function orderTimeline(order: Order, attempts: NotifyEvent[], calls: RecordedCall[]): TimelineLine[] {
  return [
    ...order.history.map((h) => ({ at: h.at, kind: 'order' as const, event: h.event })),
    ...attempts.map((a) => ({ at: a.at, kind: 'notify' as const, attempt: a })),
    ...calls.map((c) => ({ at: c.at, kind: 'call' as const, call: c })),
  ].sort((a, b) => a.at - b.at);
}

/** A timeline line as the control API answers it: `what` in words, the record in `detail`. */
export function describeLine(line: TimelineLine, order: Order): { at: number; kind: TimelineLine['kind']; what: string; detail?: unknown } {
  if (line.attempt) {
    const a = line.attempt;
    return { at: line.at, kind: 'notify', what: `notify #${a.attempt} ${a.delivered ? 'delivered' : `failed (${a.error})`}`, detail: a };
  }
  if (line.call) {
    const c = line.call;
    return { at: line.at, kind: 'call', what: `${c.endpoint}${c.error ? ` refused (${c.error})` : ''}`, detail: c };
  }
  const status = order.history.find((h) => h.at === line.at && h.event === line.event)?.status;
  return { at: line.at, kind: 'order', what: line.event ?? '', detail: { status } };
}
