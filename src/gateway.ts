import type { Clock } from './clock.js';
import type { Store } from './store/store.js';
import * as answers from './core/answers.js';
import { PayjsError } from './core/errors.js';
import { BANKS, complaints, ipList, merchantInfo, wechatUser } from './core/fakes.js';
import { checkFormats, readFields, requirePresent, takes, type Endpoint, type Fields } from './core/fields.js';
import { alipayBuyerId, alipayTradeNo, openid as newOpenid, payjsOrderId, seededRandom, token, transactionId, type Random } from './core/ids.js';
import type { Merchant, Merchants } from './core/merchant.js';
import type { Channel, Order, OrderEvent, Payment } from './core/order.js';
import { CLOSE_WINDOW_DAYS, DEFAULT_ORDER_TTL_SECONDS, DEVICE_PAYS_AT_ONCE, OPENID_CALLBACK_MAX_QUERY_PARAMS, ORDER_CODE_LENGTH, REVERSE_WINDOW_DAYS } from './core/protocol.js';
import { diagnose, verify, type Params } from './core/sign.js';
import { parseCompactTime } from './core/time.js';
import { isExpired, transition } from './core/transitions.js';

/** The endpoints that create an order and answer with JSON. */
export type CreateEndpoint = Exclude<Channel, 'miniprogram'>;
/** The endpoints that act on one order. */
export type OrderEndpoint = 'check' | 'close' | 'reverse' | 'refund';
/** The endpoints that answer with merchant data. */
export type QueryEndpoint = 'user' | 'info' | 'bank' | 'complaint' | 'iplist';

const ORDERS = 'orders';
const DAY_MS = 86_400_000;

export interface GatewayOptions {
  store: Store;
  merchants: Merchants;
  clock: Clock;
  random?: Random;
  /** Refuse a second order with the same out_trade_no (PAYJS seems to accept it, §17). */
  uniqueOutTradeNo?: boolean;
  /** Also accept lower-case hex and the drop-zero variant of a signature (§19.2). */
  lenientSign?: boolean;
  /** Called with each sign mismatch, for the request log. */
  onSignError?: (endpoint: Endpoint, debug: string) => void;
}

interface Authorized {
  fields: Fields;
  merchant: Merchant;
}

/** The payer every sandbox uses unless a page picks another: one fixed openid. */
export const DEFAULT_PAYER_OPENID = newOpenid(seededRandom('payjs-sandbox default payer'));

/**
 * The use cases of the sandbox: every surface (the PAYJS API, the pay pages, the control API,
 * the embedding API) calls these, so an order changes the same way whoever asks.
 */
export class Gateway {
  readonly merchants: Merchants;
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly byCode = new Map<string, string>();
  private readonly outTradeNos = new Set<string>();

  constructor(private readonly options: GatewayOptions) {
    this.store = options.store;
    this.merchants = options.merchants;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    for (const order of this.store.values<Order>(ORDERS)) this.index(order);
  }

  // --- the PAYJS API -----------------------------------------------------------------------

  /** native, micropay, jsapi, cashier, mweb, facepay: a new order and its answer. */
  async create(endpoint: CreateEndpoint, params: Params, base: string): Promise<{ order: Order; answer: Params }> {
    const { fields, merchant } = this.authorize(endpoint, params);
    const dedupe = `${merchant.mchid}\u0000${fields.out_trade_no}`;
    if (this.options.uniqueOutTradeNo && this.outTradeNos.has(dedupe)) throw new PayjsError('DUPLICATE_OUT_TRADE_NO', [fields.out_trade_no]);
    const now = this.clock.now();
    let order = this.newOrder(endpoint, fields, merchant, now);
    // micropay and facepay charge the payer at once (payjs-api.md §6, §10).
    if (DEVICE_PAYS_AT_ONCE && (endpoint === 'micropay' || endpoint === 'facepay')) order = transition(order, 'pay', now, this.payment(order, now)).order;
    await this.save(order);
    const echo = { total_fee: params.total_fee, out_trade_no: params.out_trade_no };
    const key = merchant.key;
    const answer =
      endpoint === 'native' ? answers.nativeAnswer(order, echo, base, key)
      : endpoint === 'jsapi' ? answers.jsapiAnswer(order, token(this.random, 16), now, key)
      : endpoint === 'mweb' ? answers.mwebAnswer(order, base, key)
      : answers.deviceAnswer(order, echo, key);
    return { order, answer };
  }

  async check(params: Params): Promise<Params> {
    const { order, merchant } = await this.authorizeOrder('check', params);
    return answers.checkAnswer(order, merchant.key);
  }

  async close(params: Params): Promise<Params> {
    const { order, merchant } = await this.authorizeOrder('close', params);
    this.within(order, CLOSE_WINDOW_DAYS, '关闭');
    return answers.closeAnswer(await this.apply(order, 'close'), merchant.key);
  }

  /** Whatever the state: a paid order is refunded, an unpaid one closed (payjs-api.md §15.3). */
  async reverse(params: Params): Promise<Params> {
    const { order, merchant } = await this.authorizeOrder('reverse', params);
    this.within(order, REVERSE_WINDOW_DAYS, '撤销');
    return answers.closeAnswer(await this.apply(order, 'reverse'), merchant.key);
  }

  async refund(params: Params): Promise<Params> {
    const { order, merchant } = await this.authorizeOrder('refund', params);
    if (order.status === 'refunded') return answers.alreadyRefundedAnswer(order);
    return answers.refundAnswer(await this.apply(order, 'refund'), merchant.key);
  }

  /** info, user, bank, complaint, iplist: deterministic fake data for the merchant. */
  query(endpoint: QueryEndpoint, params: Params): Params {
    const { fields, merchant } = this.authorize(endpoint, params);
    const data =
      endpoint === 'info' ? merchantInfo(merchant)
      : endpoint === 'user' ? wechatUser(fields.openid)
      : endpoint === 'complaint' ? complaints(merchant.mchid)
      : endpoint === 'iplist' ? ipList()
      : { bank: this.bankName(fields.bank) };
    return answers.merchantAnswer(data, merchant.key);
  }

  /** `/api/openid`: where the browser goes next, `callback_url` with `openid` added (§13). The
   * sign is checked only when one is sent: most clients send none. */
  openidRedirect(params: Params, openid = DEFAULT_PAYER_OPENID): string {
    const fields = readFields(params);
    requirePresent('openid', fields);
    const merchant = this.merchants.require(fields.mchid);
    if (fields.sign) this.verifySign('openid', params, merchant, true);
    checkFormats('openid', fields, this.clock.now(), params);
    let url: URL;
    try {
      url = new URL(fields.callback_url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new PayjsError('INVALID_PARAM', ['callback_url', 'must be an absolute http(s) URL']);
    }
    // PAYJS keeps at most one query parameter of callback_url and drops the others; the kept
    // one stays as it was written, and an openid already there is replaced.
    const kept = url.search.slice(1).split('&').filter((p) => p && !/^openid(=|$)/.test(p)).slice(0, OPENID_CALLBACK_MAX_QUERY_PARAMS);
    url.search = [...kept, `openid=${encodeURIComponent(openid)}`].join('&');
    return url.toString();
  }

  // --- the payer and the sandbox's own controls -------------------------------------------

  /** Marks an unpaid order paid, as if the payer paid; refuses what cannot be paid. */
  async pay(payjsOrderId: string, payer?: { openid?: string }): Promise<Order> {
    const order = await this.order(payjsOrderId);
    if (!order) throw new PayjsError('ORDER_NOT_FOUND', [payjsOrderId]);
    const now = this.clock.now();
    const payment = this.payment(payer?.openid ? { ...order, openid: payer.openid } : order, now);
    const { order: paid } = transition(order, 'pay', now, payment);
    await this.save(paid);
    return paid;
  }

  /** An order as it stands now (an unpaid order past its expiry is closed first). */
  async order(payjsOrderId: string): Promise<Order | undefined> {
    const order = this.store.get<Order>(ORDERS, payjsOrderId);
    // What is answered from this order must already be durable, even if another request's write
    // of it is still on its way to the journal.
    if (!order || !isExpired(order, this.clock.now())) return this.store.sync().then(() => order);
    const { order: expired } = transition(order, 'expire', order.expires_at);
    await this.save(expired);
    return expired;
  }

  /** The order behind a page's code (code_url, h5_url, prepay_id, cashier). */
  async orderByCode(code: string): Promise<Order | undefined> {
    const id = this.byCode.get(code);
    return id ? this.order(id) : undefined;
  }

  /** Every order, newest first, optionally of one merchant. */
  orders(filter: { mchid?: string } = {}): Order[] {
    const all = this.store.values<Order>(ORDERS).filter((o) => !filter.mchid || o.mchid === filter.mchid);
    return all.sort((a, b) => b.created_at - a.created_at);
  }

  // --- inside ------------------------------------------------------------------------------

  private newOrder(endpoint: CreateEndpoint, given: Fields, merchant: Merchant, now: number): Order {
    let id = payjsOrderId(now, this.random);
    while (this.store.get(ORDERS, id)) id = payjsOrderId(now, this.random);
    // Only the fields this endpoint takes shape the order (a `type` sent to jsapi is just signed).
    const f = Object.fromEntries(Object.entries(given).filter(([k]) => takes(endpoint, k))) as Fields;
    const options = Object.fromEntries(['auto', 'hide', 'logo', 'no_credit'].filter((k) => f[k]).map((k) => [k, f[k]]));
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
      channel: endpoint,
      status: 'unpaid',
      created_at: now,
      expires_at: f.time_expire ? parseCompactTime(f.time_expire)! : now + DEFAULT_ORDER_TTL_SECONDS * 1000,
      openid: f.openid || undefined,
      code: this.newCode(),
      options: Object.keys(options).length ? options : undefined,
      history: [{ event: 'create', at: now, status: 'unpaid' }],
    };
  }

  private newCode(): string {
    let code = token(this.random, ORDER_CODE_LENGTH);
    while (this.byCode.has(code)) code = token(this.random, ORDER_CODE_LENGTH);
    return code;
  }

  private payment(order: Order, now: number): Payment {
    const alipay = order.type === 'alipay';
    return {
      openid: order.openid ?? (alipay ? alipayBuyerId(this.random) : DEFAULT_PAYER_OPENID),
      transaction_id: alipay ? alipayTradeNo(now, this.random) : transactionId(now, this.random),
      paid_at: now,
    };
  }

  private async apply(order: Order, event: OrderEvent): Promise<Order> {
    const { order: next, changed } = transition(order, event, this.clock.now());
    if (changed) await this.save(next);
    return next;
  }

  private async save(order: Order): Promise<void> {
    this.index(order);
    try {
      await this.store.put(ORDERS, order.payjs_order_id, order);
    } catch (err) {
      throw new PayjsError('STORAGE_FAILED', [(err as Error).message]);
    }
  }

  private index(order: Order): void {
    this.byCode.set(order.code, order.payjs_order_id);
    this.outTradeNos.add(`${order.mchid}\u0000${order.out_trade_no}`);
  }

  private within(order: Order, days: number, action: string): void {
    if (this.clock.now() - order.created_at > days * DAY_MS) throw new PayjsError('ORDER_TOO_OLD', [action, String(days)]);
  }

  private bankName(code: string): string {
    const name = Object.hasOwn(BANKS, code) ? BANKS[code] : undefined;
    if (!name) throw new PayjsError('INVALID_PARAM', ['bank', `unknown bank code; the sandbox knows ${Object.keys(BANKS).join(', ')}`]);
    return name;
  }

  /** Shape, required fields, merchant, signature, then formats: the order PAYJS checks in is
   * unknown; this one reports a wrong signature before the finer points of the values. */
  private authorize(endpoint: Endpoint, params: Params): Authorized {
    const fields = readFields(params);
    requirePresent(endpoint, fields);
    const merchant = this.merchants.require(fields.mchid);
    this.verifySign(endpoint, params, merchant, true);
    checkFormats(endpoint, fields, this.clock.now(), params);
    return { fields, merchant };
  }

  /** check/close/reverse/refund: `mchid` is optional; when given it must own the order. */
  private async authorizeOrder(endpoint: OrderEndpoint, params: Params): Promise<{ order: Order; merchant: Merchant }> {
    const fields = readFields(params);
    requirePresent(endpoint, fields);
    const id = fields.payjs_order_id;
    const named = fields.mchid ? this.merchants.require(fields.mchid) : undefined;
    const order = await this.order(id);
    if (!order || (named && named.mchid !== order.mchid)) throw new PayjsError('ORDER_NOT_FOUND', [id.slice(0, 40)]);
    const merchant = this.merchants.require(order.mchid);
    // Signed with another merchant's key and no mchid: to that merchant the order does not exist.
    if (!named && !verify(params, merchant.key, { lenient: this.options.lenientSign })
      && this.merchants.list().some((m) => m !== merchant && verify(params, m.key))) {
      throw new PayjsError('ORDER_NOT_FOUND', [id.slice(0, 40)]);
    }
    // Without mchid the caller has not shown whose key it holds: the expected sign stays hidden.
    this.verifySign(endpoint, params, merchant, named !== undefined);
    checkFormats(endpoint, fields, this.clock.now(), params);
    return { order, merchant };
  }

  private verifySign(endpoint: Endpoint, params: Params, merchant: Merchant, showExpected: boolean): void {
    if (params.sign === undefined || params.sign === null || params.sign === '') throw new PayjsError('SIGN_MISSING');
    if (verify(params, merchant.key, { lenient: this.options.lenientSign })) return;
    const d = diagnose(params, merchant.key, this.merchants.list());
    const expected = showExpected ? d.expected : '(send mchid to see the expected sign)';
    const debug = JSON.stringify({ endpoint, canonical: d.canonical, expected, received: d.received, cause: d.cause });
    this.options.onSignError?.(endpoint, debug);
    throw new PayjsError('SIGN_ERROR', [`${d.cause}; the sandbox signed "${d.canonical}" and got ${expected}`], debug);
  }
}
