import { NEXT } from '../../../core/transitions.js';
import type { NotifyJob } from '../../../core/notify.js';
import type { Order, OrderEvent } from '../../../core/order.js';

/**
 * The order page's Actions menu, as a QA person reads it: each entry either a control action or
 * scenario tokens applied to the order (`POST /__sandbox/orders/{id}/scenario`: one mechanism
 * with the token vocabulary), and, when the order's state forbids it, disabled with the reason.
 * The Pay entries are a test's override (`pay`: paid whatever the order's scenario says); *Payer
 * taps Pay* (`tap`) does what the pay page does and follows the scenario. An entry that would
 * change nothing (Refund of a refunded order) is off too.
 */

export type MenuId = 'payOnTime' | 'tap' | 'payLate' | 'payDuplicate' | 'payForged' | 'payNever' | 'fail' | 'cancel' | 'resend' | 'failNext' | 'refund' | 'close' | 'reverse' | 'expire';

/** Why an entry is off: a key of the `order.why` text, with the order's status filled in. */
export type WhyOff = 'payNotUnpaid' | 'noNotifyUrl' | 'notPaidYet' | 'closedNeverPaid' | 'refundNotPaid' | 'alreadyRefunded' | 'closeNotUnpaid' | 'alreadyClosed';

export interface MenuEntry {
  id: MenuId;
  /** The control-API path it posts to. */
  post: string;
  /** Tokens it applies; `{n}` is the entry's number input. */
  tokens?: string;
  /** The number input's default, for entries that take one (seconds, copies, attempts). */
  n?: number;
  /** Entries of one group are drawn together. */
  group: 'pay' | 'notify' | 'order';
  style?: 'primary' | 'danger';
  off?: WhyOff;
}

const EVENT_OFF: Record<OrderEvent, (o: Order) => WhyOff | undefined> = {
  pay: (o) => (o.status === 'unpaid' ? undefined : 'payNotUnpaid'),
  refund: (o) => (o.status === 'refunded' ? 'alreadyRefunded' : NEXT[o.status].refund ? undefined : 'refundNotPaid'),
  close: (o) => (o.status === 'closed' ? 'alreadyClosed' : NEXT[o.status].close ? undefined : 'closeNotUnpaid'),
  expire: (o) => (o.status === 'closed' ? 'alreadyClosed' : NEXT[o.status].expire ? undefined : 'closeNotUnpaid'),
  // reverse refunds a paid order and closes an unpaid one; on a refunded or closed one it changes nothing.
  reverse: (o) => (o.status === 'refunded' ? 'alreadyRefunded' : o.status === 'closed' ? 'alreadyClosed' : undefined),
};

/** The menu of one order, in the order it is drawn. */
export function orderMenu(order: Order, job: NotifyJob | undefined): MenuEntry[] {
  const base = `/__sandbox/orders/${encodeURIComponent(order.payjs_order_id)}`;
  const scenario = `${base}/scenario`;
  const pay = EVENT_OFF.pay(order);
  const notifyOff: WhyOff | undefined = !order.notify_url ? 'noNotifyUrl' : order.status === 'closed' ? 'closedNeverPaid' : undefined;
  const action = (id: MenuId, event: OrderEvent, style?: MenuEntry['style']): MenuEntry => ({ id, post: `${base}/${id}`, group: 'order', style, off: EVENT_OFF[event](order) });
  return [
    { id: 'payOnTime', post: `${base}/pay`, group: 'pay', style: 'primary', off: pay },
    { id: 'tap', post: `${base}/tap`, group: 'pay', off: pay },
    { id: 'payLate', post: scenario, tokens: 'pay=auto,notify=late:{n}', n: 30, group: 'pay', off: pay ?? notifyOff },
    { id: 'payDuplicate', post: scenario, tokens: 'pay=auto,notify=duplicate:{n}', n: 3, group: 'pay', off: pay ?? notifyOff },
    { id: 'payForged', post: scenario, tokens: 'pay=auto,notify=forged', group: 'pay', off: pay ?? notifyOff },
    { id: 'payNever', post: scenario, tokens: 'pay=auto,notify=never', group: 'pay', off: pay },
    { id: 'fail', post: `${base}/fail`, group: 'pay', style: 'danger', off: pay },
    { id: 'cancel', post: `${base}/cancel`, group: 'pay', off: pay },
    { id: 'resend', post: `${base}/notifications/resend`, group: 'notify', off: !order.notify_url ? 'noNotifyUrl' : job ? undefined : order.status === 'closed' ? 'closedNeverPaid' : 'notPaidYet' },
    { id: 'failNext', post: scenario, tokens: 'notify=fail:{n}', n: 3, group: 'notify', off: notifyOff },
    action('refund', 'refund', 'danger'),
    action('close', 'close', 'danger'),
    action('reverse', 'reverse', 'danger'),
    action('expire', 'expire', 'danger'),
  ];
}
