import { describe, expect, it } from 'vitest';
import { orderMenu, type MenuId, type WhyOff } from '../src/http/routes/dashboard/order-actions.js';
import type { Order } from '../src/core/order.js';
import type { NotifyJob } from '../src/core/notify.js';

const order = (status: Order['status'], notify_url: string | undefined = 'http://m.example/n'): Order => ({
  payjs_order_id: '2024010112000000123456789', mchid: '1234567890', out_trade_no: 'A', total_fee: 1, channel: 'native', status,
  created_at: 0, expires_at: 1, code: 'c', history: [], ...(notify_url ? { notify_url } : {}),
});
const job = {} as NotifyJob;
const off = (o: Order, j?: NotifyJob) => Object.fromEntries(orderMenu(o, j).map((m) => [m.id, m.off ?? 'on'])) as Record<MenuId, WhyOff | 'on'>;

describe("the order page's Actions menu", () => {
  it.each([
    ['unpaid', undefined, { payOnTime: 'on', payLate: 'on', fail: 'on', resend: 'notPaidYet', failNext: 'on', refund: 'refundNotPaid', close: 'on', reverse: 'on', expire: 'on' }],
    ['paid', job, { payOnTime: 'payNotUnpaid', payLate: 'payNotUnpaid', fail: 'payNotUnpaid', resend: 'on', failNext: 'on', refund: 'on', close: 'closeNotUnpaid', reverse: 'on', expire: 'closeNotUnpaid' }],
    ['refunded', job, { payOnTime: 'payNotUnpaid', resend: 'on', failNext: 'on', refund: 'alreadyRefunded', close: 'closeNotUnpaid', reverse: 'alreadyRefunded' }],
    ['closed', undefined, { payOnTime: 'payNotUnpaid', resend: 'closedNeverPaid', failNext: 'closedNeverPaid', refund: 'refundNotPaid', close: 'alreadyClosed', reverse: 'alreadyClosed', expire: 'alreadyClosed' }],
  ] as const)('on a %s order, turns entries off with the reason', (status, j, expected) => {
    expect(off(order(status), j)).toMatchObject(expected);
  });

  it('turns the notify entries off for an order without notify_url, saying so', () => {
    expect(off(order('unpaid', ''))).toMatchObject({ payOnTime: 'on', payNever: 'on', payLate: 'noNotifyUrl', payForged: 'noNotifyUrl', resend: 'noNotifyUrl', failNext: 'noNotifyUrl' });
  });

  it('shapes outcomes with scenario tokens, the one mechanism', () => {
    const tokens = Object.fromEntries(orderMenu(order('unpaid'), undefined).filter((m) => m.tokens).map((m) => [m.id, m.tokens]));
    expect(tokens).toEqual({ payLate: 'pay=auto,notify=late:{n}', payDuplicate: 'pay=auto,notify=duplicate:{n}', payForged: 'pay=auto,notify=forged', payNever: 'pay=auto,notify=never', failNext: 'notify=fail:{n}' });
  });
});
