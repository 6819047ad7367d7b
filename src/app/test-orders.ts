import type { Gateway } from './gateway.js';
import type { ApiCall, ApiRequest } from './api-call.js';
import { DEFAULT_PAYER_OPENID } from '../core/new-order.js';
import { Refusal } from '../core/errors.js';
import type { Order } from '../core/order.js';
import { sign, type Params } from '../core/sign.js';
import { validator, type JsonSchema } from './validate.js';

/** The channels a QA person can create a test order in, as the dashboard names them. */
export const TEST_ORDER_CHANNELS = ['native', 'cashier', 'mweb', 'jsapi', 'miniprogram'] as const;

/** What the dashboard's "create a test order" form sends. */
export interface TestOrderInput {
  mchid?: string;
  channel: (typeof TEST_ORDER_CHANNELS)[number];
  total_fee: number;
  out_trade_no?: string;
  body?: string;
  attach?: string;
  notify_url?: string;
  type?: 'alipay';
}

export const TEST_ORDER_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['channel', 'total_fee'],
  additionalProperties: false,
  properties: {
    mchid: { type: 'string', description: 'a merchant of the sandbox (default: the default merchant)' },
    channel: { enum: [...TEST_ORDER_CHANNELS], description: 'native (QR), cashier, mweb (H5), jsapi or miniprogram' },
    total_fee: { type: 'integer', minimum: 1, maximum: 1_000_000, description: 'a whole number of fen, 1 to 1000000' },
    out_trade_no: { type: 'string', maxLength: 32 },
    body: { type: 'string', maxLength: 64 },
    attach: { type: 'string', maxLength: 127 },
    notify_url: { type: 'string', maxLength: 255, pattern: '^https?://', description: 'an http(s) URL' },
    type: { enum: ['alipay'] },
  },
};

const check = validator<TestOrderInput>(TEST_ORDER_SCHEMA, 'order');

/**
 * Creates a test order as the merchant would: the parameters are signed with the merchant's key
 * and go through the API pipeline as a call of `/api/<channel>` — the scenario rules, magic
 * amounts, faults and sign check of `/api/*`, and a line in the call log — or, for
 * `miniprogram`, through the PAYJS mini-program's jump (its payer has not acted yet). So QA can
 * exercise a merchant's notify endpoint without the merchant's front end.
 */
export async function createTestOrder(apiCall: ApiCall, gateway: Gateway, input: unknown, base: string, now: number): Promise<Order> {
  const o = check(input);
  const merchant = o.mchid ? gateway.merchants.get(o.mchid) : gateway.merchants.list()[0];
  if (!merchant) throw new Refusal('UNKNOWN_MCHID', [String(o.mchid)]);
  const params: Params = { mchid: merchant.mchid, total_fee: o.total_fee, out_trade_no: o.out_trade_no || `QA${now}` };
  for (const k of ['body', 'attach', 'notify_url', 'type'] as const) if (o[k]) params[k] = o[k];
  if (o.channel === 'jsapi') params.openid = DEFAULT_PAYER_OPENID;
  if (o.channel === 'miniprogram') params.nonce = `qa${now}`;
  params.sign = sign(params, merchant.key);
  if (o.channel === 'miniprogram') return (await gateway.openMiniprogram(params)).order;
  const note: NonNullable<ApiRequest['note']> = {};
  const response = await apiCall({ path: `/api/${o.channel}`, method: 'POST', headers: {}, params, via: 'form', base, note });
  if (note.refusal) throw note.refusal;
  const order = note.payjs_order_id ? await gateway.order(note.payjs_order_id) : undefined;
  // api=status:<code> answers without carrying the call out: there is no order.
  if (!order) throw new Refusal('INVALID_PARAM', ['scenario', `a rule answered the create call with HTTP ${response.status} and no order was made (api=status): remove the rule to create test orders`]);
  return order;
}
