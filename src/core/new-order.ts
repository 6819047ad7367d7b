import { takes } from './endpoints.js';
import type { Fields } from './fields.js';
import { alipayBuyerId, alipayTradeNo, openid as newOpenid, seededRandom, transactionId, type Random } from './ids.js';
import type { Merchant } from './merchant.js';
import type { Channel, Order, Payment } from './order.js';
import { DEFAULT_ORDER_TTL_SECONDS } from './protocol.js';
import type { Token } from './scenarios.js';
import { parseCompactTime } from './time.js';

/** The payer every sandbox uses unless a page picks another: one fixed openid. */
export const DEFAULT_PAYER_OPENID = newOpenid(seededRandom('payjs-sandbox default payer'));

/** The cashier page's options an order keeps (docs/protocol.md §8). */
const PAGE_OPTIONS = ['auto', 'hide', 'logo', 'no_credit'] as const;

/** What a new order is made of; the ids are drawn by the caller, who knows which are taken. */
export interface NewOrder {
  id: string;
  code: string;
  channel: Channel;
  fields: Fields;
  merchant: Merchant;
  now: number;
  tokens: Token[];
}

/** A new unpaid order. Only the fields its endpoint takes shape it (a `type` sent to jsapi is just
 * signed); the scenario keeps the tokens that act later (not `api=…`, which act on the call). */
export function newOrder({ id, code, channel, fields, merchant, now, tokens }: NewOrder): Order {
  const f: Fields = Object.create(null);
  for (const k in fields) if (takes(channel, k)) f[k] = fields[k];
  let options: Record<string, string> | undefined;
  for (const k of PAGE_OPTIONS) if (f[k]) (options ??= {})[k] = f[k];
  const scenario: string[] = [];
  for (const t of tokens) if (t.group !== 'api') scenario.push(t.text);
  return {
    payjs_order_id: id,
    mchid: merchant.mchid,
    out_trade_no: f.out_trade_no,
    total_fee: Number(f.total_fee),
    body: f.body || undefined,
    attach: f.attach || undefined,
    notify_url: f.notify_url || undefined,
    callback_url: f.callback_url || undefined,
    type: f.type === 'alipay' ? 'alipay' : undefined,
    channel,
    status: 'unpaid',
    created_at: now,
    expires_at: f.time_expire ? parseCompactTime(f.time_expire)! : now + DEFAULT_ORDER_TTL_SECONDS * 1000,
    openid: f.openid || undefined,
    code,
    options,
    history: [{ event: 'create', at: now, status: 'unpaid' }],
    scenario: scenario.length ? scenario : undefined,
  };
}

/** What paying adds: the payer (the order's own for jsapi/facepay, else the default one or an
 * Alipay buyer) and a transaction number in WeChat's or Alipay's shape. */
export function newPayment(order: Order, now: number, random: Random): Payment {
  const alipay = order.type === 'alipay';
  return {
    openid: order.openid ?? (alipay ? alipayBuyerId(random) : DEFAULT_PAYER_OPENID),
    transaction_id: alipay ? alipayTradeNo(now, random) : transactionId(now, random),
    paid_at: now,
  };
}
