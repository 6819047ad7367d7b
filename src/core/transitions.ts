import { Refusal, type ErrorCode } from './errors.js';
import type { Order, OrderEvent, OrderStatus, Payment } from './order.js';

/**
 * The order state machine as a table: status × event → next status. A missing entry is a
 * refusal; an entry that leads back to the same status is accepted without a change (a second
 * refund, a reverse of a closed order), which the gateway answers as PAYJS does. That close
 * refuses a closed order while reverse and a second refund are accepted is the sandbox's reading
 * [UNK]; reverse works on every channel, not only micropay and facepay as the doc advises (§15.3)
 * [INF].
 */
export const NEXT: Record<OrderStatus, Partial<Record<OrderEvent, OrderStatus>>> = {
  unpaid: { pay: 'paid', close: 'closed', expire: 'closed', reverse: 'closed' },
  paid: { refund: 'refunded', reverse: 'refunded' },
  refunded: { refund: 'refunded', reverse: 'refunded' },
  closed: { reverse: 'closed' },
};

/** Why an event is refused, by the status the order is in. */
const REFUSAL: Record<OrderStatus, ErrorCode> = {
  unpaid: 'ORDER_UNPAID',
  paid: 'ORDER_PAID',
  refunded: 'ORDER_REFUNDED',
  closed: 'ORDER_CLOSED',
};

export interface Transition {
  order: Order;
  /** False when the event was accepted but the order was already where it leads. */
  changed: boolean;
}

/** Applies `event` to `order` at time `at`; returns the next order (the input is not modified). */
export function transition(order: Order, event: OrderEvent, at: number, payment?: Payment): Transition {
  const next = NEXT[order.status][event];
  if (!next) throw new Refusal(REFUSAL[order.status]);
  if (next === order.status) return { order, changed: false };
  const updated: Order = { ...order, ...(event === 'pay' ? payment : {}), status: next };
  updated.history = [...order.history, { event, at, status: next }];
  return { order: updated, changed: true };
}

/** An unpaid order past its expiry time is due to close. */
export function isExpired(order: Order, now: number): boolean {
  return order.status === 'unpaid' && now >= order.expires_at;
}
