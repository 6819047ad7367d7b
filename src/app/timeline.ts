import type { Order } from '../core/order.js';
import { CREATE_ENDPOINTS } from '../core/endpoints.js';
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
  // Lines at the same instant go in one fixed order, the one that reads as cause and effect:
  // created, the create call that made it, the order's other events (in history order), the
  // notify attempts (by number), the other calls (by id) — "created → native → paid → notify #1".
  const ranked = [
    ...order.history.map((h, i) => ({ line: { at: h.at, kind: 'order' as const, event: h.event }, rank: h.event === 'create' ? 0 : 2, n: i })),
    ...calls.map((c) => ({ line: { at: c.at, kind: 'call' as const, call: c }, rank: (CREATE_ENDPOINTS as readonly string[]).includes(c.endpoint) ? 1 : 4, n: c.id })),
    ...attempts.map((a) => ({ line: { at: a.at, kind: 'notify' as const, attempt: a }, rank: 3, n: a.attempt })),
  ];
  return ranked.sort((a, b) => a.line.at - b.line.at || a.rank - b.rank || a.n - b.n).map((r) => r.line);
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
