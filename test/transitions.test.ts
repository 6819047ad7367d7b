import { describe, expect, it } from 'vitest';
import { NEXT, isExpired, transition } from '../src/core/transitions.js';
import { Refusal } from '../src/core/errors.js';
import type { Order, OrderEvent, OrderStatus } from '../src/core/order.js';

const order = (status: OrderStatus): Order => ({
  payjs_order_id: '2024010112000000123456789', mchid: '1234567890', out_trade_no: 'A1', total_fee: 1,
  channel: 'native', status, created_at: 0, expires_at: 1000, code: 'c', history: [],
});
const STATUSES: OrderStatus[] = ['unpaid', 'paid', 'refunded', 'closed'];
const EVENTS: OrderEvent[] = ['pay', 'close', 'expire', 'reverse', 'refund'];
const cells = STATUSES.flatMap((s) => EVENTS.map((e) => [s, e] as const));

describe('the order state machine', () => {
  it('is the table of the issue: unpaid → paid → refunded, unpaid → closed, reverse by state', () => {
    expect(NEXT).toEqual({
      unpaid: { pay: 'paid', close: 'closed', expire: 'closed', reverse: 'closed' },
      paid: { refund: 'refunded', reverse: 'refunded' },
      refunded: { refund: 'refunded', reverse: 'refunded' },
      closed: { reverse: 'closed' },
    });
  });

  it.each(cells)('%s + %s follows the table', (status, event) => {
    const next = NEXT[status][event];
    if (!next) {
      expect(() => transition(order(status), event, 5)).toThrow(Refusal);
      return;
    }
    const t = transition(order(status), event, 5);
    expect(t.order.status).toBe(next);
    expect(t.changed).toBe(next !== status);
    if (t.changed) expect(t.order.history.at(-1)).toEqual({ event, at: 5, status: next });
  });

  it('refuses with the reason of the current state', () => {
    expect(() => transition(order('unpaid'), 'refund', 1)).toThrow(/订单未支付/);
    expect(() => transition(order('paid'), 'close', 1)).toThrow(/订单已支付/);
    expect(() => transition(order('closed'), 'pay', 1)).toThrow(/订单已关闭/);
  });

  it('expires only unpaid orders, at their expiry time', () => {
    expect(isExpired(order('unpaid'), 999)).toBe(false);
    expect(isExpired(order('unpaid'), 1000)).toBe(true);
    expect(isExpired(order('paid'), 5000)).toBe(false);
  });
});
