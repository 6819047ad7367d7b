import type { SandboxClock } from './clock.js';
import type { Store } from './store/store.js';
import type { ScenarioBook } from './scenario-book.js';
import { Authorizer } from './authorizer.js';
import * as answers from './core/answers.js';
import { PayjsError } from './core/errors.js';
import { BANKS, complaints, ipList, merchantInfo, wechatUser } from './core/fakes.js';
import { takes, type Endpoint, type Fields } from './core/fields.js';
import { alipayBuyerId, alipayTradeNo, openid as newOpenid, payjsOrderId, seededRandom, token, transactionId, type Random } from './core/ids.js';
import type { Merchant, Merchants } from './core/merchant.js';
import type { Channel, Order, OrderEvent, PayerMishap, Payment } from './core/order.js';
import { CLOSE_WINDOW_DAYS, DEFAULT_ORDER_TTL_SECONDS, DEVICE_PAYS_AT_ONCE, OPENID_CALLBACK_MAX_QUERY_PARAMS, ORDER_CODE_LENGTH, REVERSE_WINDOW_DAYS } from './core/protocol.js';
import { CREATE_ENDPOINTS, find, magicTokens, parseTokens, type Token } from './core/scenarios.js';
import type { Params } from './core/sign.js';
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

/** What the notify engine hears from the gateway. */
export interface OrderEvents {
  paid(order: Order, tokens: Token[]): Promise<void>;
  checked(order: Order): Promise<void>;
  later(order: Order): Promise<void>;
}

export interface GatewayOptions {
  store: Store;
  merchants: Merchants;
  clock: SandboxClock;
  scenarios: ScenarioBook;
  events?: OrderEvents;
  random?: Random;
  /** Refuse a second order with the same out_trade_no (PAYJS seems to accept it, §17). */
  uniqueOutTradeNo?: boolean;
  /** Let the reserved amounts of MAGIC_AMOUNTS choose outcomes (default true). */
  magicAmounts?: boolean;
  lenientSign?: boolean;
  onSignError?: (endpoint: Endpoint, debug: string) => void;
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
  private readonly clock: SandboxClock;
  private readonly random: Random;
  private readonly auth: Authorizer;
  private readonly byCode = new Map<string, string>();
  private readonly outTradeNos = new Set<string>();

  constructor(private readonly options: GatewayOptions) {
    this.store = options.store;
    this.merchants = options.merchants;
    this.clock = options.clock;
    this.random = options.random ?? Math.random;
    this.auth = new Authorizer(options);
    for (const order of this.store.values<Order>(ORDERS)) {
      this.index(order);
      if (order.status === 'unpaid') this.scheduleUnpaid(order);
    }
  }

  // --- scenarios -----------------------------------------------------------------------------

  /** The scenario of one API call: the header's tokens, a magic amount's, and the control API's
   * matching rules (which this uses up). Unknown tokens are refused. */
  scenarioFor(endpoint: Endpoint, params: Params, header?: string): Token[] {
    const tokens = parseTokens(header);
    const scalar = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);
    const order = scalar(params.payjs_order_id) ? this.store.get<Order>(ORDERS, scalar(params.payjs_order_id)!) : undefined;
    const fee = scalar(params.total_fee);
    if (CREATE_ENDPOINTS.includes(endpoint) && this.options.magicAmounts !== false) tokens.push(...magicTokens(fee));
    tokens.push(...this.options.scenarios.take({
      endpoint,
      mchid: scalar(params.mchid) ?? order?.mchid,
      out_trade_no: scalar(params.out_trade_no) ?? order?.out_trade_no,
      total_fee: fee !== undefined ? Number(fee) : order?.total_fee,
    }));
    return tokens;
  }

  // --- the PAYJS API -----------------------------------------------------------------------

  /** native, micropay, jsapi, cashier, mweb, facepay: a new order and its answer. */
  async create(endpoint: CreateEndpoint, params: Params, base: string, tokens: Token[] = []): Promise<{ order: Order; answer: Params }> {
    const now = this.clock.now();
    const { fields, merchant } = this.auth.merchantCall(endpoint, params, now);
    const dedupe = `${merchant.mchid}\u0000${fields.out_trade_no}`;
    if (this.options.uniqueOutTradeNo && this.outTradeNos.has(dedupe)) throw new PayjsError('DUPLICATE_OUT_TRADE_NO', [fields.out_trade_no]);
    let order = this.newOrder(endpoint, fields, merchant, now, tokens);
    const device = endpoint === 'micropay' || endpoint === 'facepay';
    const password = endpoint === 'micropay' ? find(tokens, 'micropay=password') : undefined;
    // micropay and facepay charge the payer at once (payjs-api.md §6, §10), unless the payer must
    // first type a password.
    if (DEVICE_PAYS_AT_ONCE && device && !password) order = transition(order, 'pay', now, this.payment(order, now)).order;
    await this.save(order);
    if (order.status === 'paid') await this.options.events?.paid(order, this.tokensOf(order));
    else this.scheduleUnpaid(order);
    if (find(tokens, 'pay=auto') && find(tokens, 'pay=auto')!.arg === undefined && order.status === 'unpaid') order = await this.pay(order.payjs_order_id);
    const echo = { total_fee: params.total_fee, out_trade_no: params.out_trade_no };
    const key = merchant.key;
    const answer =
      password ? answers.micropayPasswordAnswer(order, echo, key)
      : endpoint === 'native' ? answers.nativeAnswer(order, echo, base, key)
      : endpoint === 'jsapi' ? answers.jsapiAnswer(order, token(this.random, 16), now, key)
      : endpoint === 'mweb' ? answers.mwebAnswer(order, base, key)
      : answers.deviceAnswer(order, echo, key);
    return { order, answer };
  }

  async check(params: Params): Promise<Params> {
    const { order, merchant } = await this.auth.orderCall('check', params, this.clock.now(), (id) => this.order(id));
    // A successful check of a paid order stops the notify retries (payjs-api.md §14).
    if (order.paid_at !== undefined) await this.options.events?.checked(order);
    return answers.checkAnswer(order, merchant.key);
  }

  async close(params: Params): Promise<Params> {
    const { order, merchant } = await this.auth.orderCall('close', params, this.clock.now(), (id) => this.order(id));
    this.within(order, CLOSE_WINDOW_DAYS, '关闭');
    return answers.closeAnswer(await this.apply(order, 'close'), merchant.key);
  }

  /** Whatever the state: a paid order is refunded, an unpaid one closed (payjs-api.md §15.3). */
  async reverse(params: Params): Promise<Params> {
    const { order, merchant } = await this.auth.orderCall('reverse', params, this.clock.now(), (id) => this.order(id));
    this.within(order, REVERSE_WINDOW_DAYS, '撤销');
    return answers.closeAnswer(await this.apply(order, 'reverse'), merchant.key);
  }

  async refund(params: Params): Promise<Params> {
    const { order, merchant } = await this.auth.orderCall('refund', params, this.clock.now(), (id) => this.order(id));
    if (order.status === 'refunded') return answers.alreadyRefundedAnswer(order);
    return answers.refundAnswer(await this.apply(order, 'refund'), merchant.key);
  }

  /** info, user, bank, complaint, iplist: deterministic fake data for the merchant. */
  query(endpoint: QueryEndpoint, params: Params): Params {
    const { fields, merchant } = this.auth.merchantCall(endpoint, params, this.clock.now());
    const data =
      endpoint === 'info' ? merchantInfo(merchant)
      : endpoint === 'user' ? wechatUser(fields.openid)
      : endpoint === 'complaint' ? complaints(merchant.mchid)
      : endpoint === 'iplist' ? ipList()
      : { bank: this.bankName(fields.bank) };
    return answers.merchantAnswer(data, merchant.key);
  }

  /** `/api/openid`: where the browser goes next, `callback_url` with `openid` added (§13). */
  openidRedirect(params: Params, openid = DEFAULT_PAYER_OPENID): string {
    const { fields } = this.auth.openidCall(params, this.clock.now());
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
    await this.options.events?.paid(paid, this.tokensOf(paid));
    return paid;
  }

  /** The payer's choice on a pay page: `pay` pays unless the order's scenario makes it fail or
   * cancel (`pay=fail`, `pay=cancel`); `fail` and `cancel` leave the order unpaid. */
  async payerAction(payjsOrderId: string, action: 'pay' | 'fail' | 'cancel', payer?: { openid?: string }): Promise<{ order: Order; outcome: 'paid' | 'failed' | 'cancelled' }> {
    const order = await this.order(payjsOrderId);
    if (!order) throw new PayjsError('ORDER_NOT_FOUND', [payjsOrderId]);
    const tokens = this.tokensOf(order);
    const outcome = action === 'fail' || find(tokens, 'pay=fail') ? 'failed' : action === 'cancel' || find(tokens, 'pay=cancel') ? 'cancelled' : 'paid';
    if (outcome === 'paid') return { order: await this.pay(payjsOrderId, payer), outcome };
    if (order.status !== 'unpaid') transition(order, 'pay', this.clock.now()); // refuses as pay would
    return { order: await this.record(order, outcome === 'failed' ? 'pay_failed' : 'pay_cancelled'), outcome };
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

  /** Forgets every order. */
  async reset(): Promise<void> {
    this.byCode.clear();
    this.outTradeNos.clear();
    await this.store.clear(ORDERS);
  }

  // --- inside ------------------------------------------------------------------------------

  private newOrder(endpoint: CreateEndpoint, given: Fields, merchant: Merchant, now: number, tokens: Token[]): Order {
    let id = payjsOrderId(now, this.random);
    while (this.store.get(ORDERS, id)) id = payjsOrderId(now, this.random);
    // Only the fields this endpoint takes shape the order (a `type` sent to jsapi is just signed).
    const f = Object.fromEntries(Object.entries(given).filter(([k]) => takes(endpoint, k))) as Fields;
    const options = Object.fromEntries(['auto', 'hide', 'logo', 'no_credit'].filter((k) => f[k]).map((k) => [k, f[k]]));
    const scenario = tokens.filter((t) => t.group !== 'api').map((t) => t.text);
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
      scenario: scenario.length ? scenario : undefined,
    };
  }

  private tokensOf(order: Order): Token[] {
    return parseTokens(order.scenario);
  }

  /** An unpaid order closes at its expiry; `pay=auto:<s>` and `micropay=password:<s>` pay it
   * after s seconds of sandbox time. Both are clock tasks, set again after a restart. */
  private scheduleUnpaid(order: Order): void {
    const id = order.payjs_order_id;
    this.clock.at(order.expires_at, () => this.order(id));
    const tokens = this.tokensOf(order);
    const delayed = find(tokens, 'pay=auto')?.arg ?? (order.channel === 'micropay' ? find(tokens, 'micropay=password')?.arg : undefined);
    if (delayed !== undefined) {
      this.clock.at(order.created_at + delayed * 1000, async () => {
        if ((await this.order(id))?.status === 'unpaid') await this.pay(id);
      });
    }
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
    if (changed) {
      await this.save(next);
      if (next.paid_at !== undefined) await this.options.events?.later(next);
    }
    return next;
  }

  private async record(order: Order, mishap: PayerMishap): Promise<Order> {
    const next = { ...order, history: [...order.history, { event: mishap, at: this.clock.now(), status: order.status }] };
    await this.save(next);
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
}

