import type { SandboxClock, TaskLabel } from '../clock/clock.js';
import type { Store } from '../store/store.js';
import { ShardedMap } from '../store/sharded-map.js';
import { Authorizer } from './authorizer.js';
import { ExpiryQueue } from './expiry-queue.js';
import { MerchantCalls } from './merchant-calls.js';
import { ORDERS, summaryFields, type OrderSummary } from './order-summary.js';
import type { ScenarioBook, Taken } from './scenario-book.js';
import { newOrder, newPayment } from '../core/new-order.js';
import { Refusal } from '../core/errors.js';
import { ENDPOINTS, type Answer, type CreateEndpoint, type CreateRow, type Endpoint, type OrderCallRow, type OrderEndpoint } from '../core/endpoints.js';
import type { Fields } from '../core/fields.js';
import { payjsOrderId, token, type Random } from '../core/ids.js';
import type { Merchant, Merchants } from '../core/merchant.js';
import type { Channel, ControlAction, Order, OrderEvent, OrderFilter, PayerMishap, Payment } from '../core/order.js';
import { ORDER_CODE_LENGTH } from '../core/protocol.js';
import { applyToOrder, find, parseTokens, type Token } from '../core/scenarios.js';
import type { Params } from '../core/sign.js';
import { isExpired, transition, type Transition } from '../core/transitions.js';

export type { CreateEndpoint, OrderEndpoint, QueryEndpoint } from '../core/endpoints.js';
export { DEFAULT_PAYER_OPENID } from '../core/new-order.js';

/** What the notify engine hears from the gateway. */
export interface OrderEvents {
  paid(order: Order, tokens: Token[]): Promise<void>;
  checked(order: Order): Promise<void>;
  later(order: Order): Promise<void>;
  /** Tokens were applied to a paid order: its notify starts again, shaped by them. */
  rearm(order: Order, tokens: Token[]): Promise<unknown>;
}

export interface GatewayOptions {
  store: Store;
  merchants: Merchants;
  clock: SandboxClock;
  scenarios: ScenarioBook;
  /** Hears of payments, checks and later changes (the notifier). */
  notifier?: OrderEvents;
  random?: Random;
  /** Refuse a second order with the same out_trade_no (PAYJS seems to accept it, §17). */
  uniqueOutTradeNo?: boolean;
  /** Let the reserved amounts of MAGIC_AMOUNTS choose outcomes (default true). */
  magicAmounts?: boolean;
  lenientSign?: boolean;
  onSignError?: (endpoint: Endpoint, debug: string) => void;
  /** Called with every order the gateway saved (the dashboard's live updates). */
  onOrder?: (order: Order) => void;
  /** `/api/openid` sends the browser to a page that picks the fake WeChat user, instead of
   * straight back to `callback_url` with the default payer. */
  openidPage?: boolean;
}

const DAY_MS = 86_400_000;
/** The clock tasks of an order (expiry, delayed payment, scheduled refund) are tagged with this owner. */
const TASK_PREFIX = 'order:';
const taskOwner = (payjsOrderId: string) => `${TASK_PREFIX}${payjsOrderId}`;

/** `pay=auto` without seconds pays as soon as the order exists. */
const isImmediate = (t: Token | undefined) => t !== undefined && t.arg === undefined;

/**
 * The use cases of the sandbox: every surface (the PAYJS API, the pay pages, the control API,
 * the embedding API) calls these, so an order changes the same way whoever asks.
 */
export class Gateway {
  readonly merchants: Merchants;
  /** The calls that touch no order: merchant data and the openid redirect. */
  readonly merchantCalls: MerchantCalls;
  private readonly store: Store;
  private readonly clock: SandboxClock;
  private readonly random: Random;
  private readonly auth: Authorizer;
  /** Sharded like the store's records: 100k+ codes never rehash at once (ShardedMap). */
  private readonly byCode = new ShardedMap<string>();
  /** Kept only under --unique-out-trade-no, the one reader. */
  private readonly outTradeNos = new ShardedMap<true>();
  private readonly expiries: ExpiryQueue;

  constructor(private readonly options: GatewayOptions) {
    this.store = options.store;
    this.merchants = options.merchants;
    this.clock = options.clock;
    this.expiries = new ExpiryQueue(this.clock, (id) => this.order(id), `${TASK_PREFIX}expiries`);
    this.random = options.random ?? Math.random;
    this.auth = new Authorizer(options);
    this.merchantCalls = new MerchantCalls(this.auth, this.clock, { openidPage: options.openidPage });
    this.reindex();
  }

  /** Checks a create call as create() would, without making anything (a seed's dry run). */
  checkCreate(endpoint: CreateEndpoint, params: Params): void {
    this.auth.merchantCall(endpoint, params, this.clock.now());
  }

  /** The scenario of one API call (see ScenarioBook.forCall); uses up matching rules. */
  scenarioFor(endpoint: Endpoint, params: Params, header?: string, taken?: Taken[]): Token[] {
    const id = params.payjs_order_id;
    const order = typeof id === 'string' ? this.store.get<Order>(ORDERS, id) : undefined;
    return this.options.scenarios.forCall(endpoint, params, { header, order, magicAmounts: this.options.magicAmounts !== false }, taken);
  }

  /** A refused call gives back the rules its scenario used (ScenarioBook.giveBack). */
  giveBack(taken: Taken[]): void {
    if (taken.length > 0) this.options.scenarios.giveBack(taken);
  }

  // --- the PAYJS API -----------------------------------------------------------------------

  /** native, micropay, jsapi, cashier, mweb, facepay: a new order and its answer. */
  async create(endpoint: CreateEndpoint, params: Params, base: string, tokens: Token[] = []): Promise<{ order: Order; answer: Answer }> {
    const now = this.clock.now();
    const row: CreateRow = ENDPOINTS[endpoint];
    const { fields, merchant } = this.auth.merchantCall(endpoint, params, now);
    const password = row.password ? find(tokens, 'micropay=password') : undefined;
    // micropay and facepay charge the payer at once (docs/protocol.md §6, §10), unless the payer must
    // first type a password.
    let order = await this.open(row.channel, fields, merchant, now, tokens, !!row.paidAtOnce && !password);
    if (isImmediate(find(tokens, 'pay=auto')) && order.status === 'unpaid') order = await this.pay(order.payjs_order_id);
    const echo = { total_fee: params.total_fee, out_trade_no: params.out_trade_no };
    // The nonce is drawn only for the one answer that carries it (jsapi's nonceStr).
    const nonce = endpoint === 'jsapi' ? token(this.random, 16) : '';
    const answer = row.answer(order, { echo, base, key: merchant.key, now, nonce, awaitingPassword: !!password });
    return { order, answer };
  }

  /** check, close, reverse, refund: the row's event applied to the order, and its answer. */
  async orderCall(endpoint: OrderEndpoint, params: Params): Promise<Params> {
    const row: OrderCallRow = ENDPOINTS[endpoint];
    const { order, merchant } = await this.auth.orderCall(endpoint, params, this.clock.now(), (id) => this.order(id));
    if (!row.event) {
      // A successful check of a paid order stops the notify retries (docs/protocol.md §14).
      if (order.paid_at !== undefined) await this.options.notifier?.checked(order);
      return row.answer(order, merchant.key, false);
    }
    if (row.window) this.within(order, row.window.days, row.window.action);
    const { order: next, changed } = await this.transit(order, row.event);
    return row.answer(next, merchant.key, changed);
  }

  // --- the payer and the sandbox's own controls -------------------------------------------

  /** Marks an unpaid order paid, as if the payer paid; refuses what cannot be paid. */
  async pay(payjsOrderId: string, payer?: { openid?: string }): Promise<Order> {
    if (!(await this.order(payjsOrderId))) throw new Refusal('ORDER_NOT_FOUND', [payjsOrderId]);
    const order = this.latest(payjsOrderId);
    const now = this.clock.now();
    const payment = this.payment(payer?.openid ? { ...order, openid: payer.openid } : order, now);
    const { order: paid } = transition(order, 'pay', now, payment);
    await this.save(paid);
    await this.options.notifier?.paid(paid, this.tokensOf(paid));
    this.schedulePaid(paid);
    return paid;
  }

  /** The payer's choice on a pay page: `pay` pays unless the order's scenario makes it fail or
   * cancel (`pay=fail`, `pay=cancel`); `fail` and `cancel` leave the order unpaid. */
  async payerAction(payjsOrderId: string, action: 'pay' | 'fail' | 'cancel', payer?: { openid?: string }): Promise<{ order: Order; outcome: 'paid' | 'failed' | 'cancelled' }> {
    const order = await this.order(payjsOrderId);
    if (!order) throw new Refusal('ORDER_NOT_FOUND', [payjsOrderId]);
    const tokens = this.tokensOf(order);
    const outcome = action === 'fail' || find(tokens, 'pay=fail') ? 'failed' : action === 'cancel' || find(tokens, 'pay=cancel') ? 'cancelled' : 'paid';
    if (outcome === 'paid') return { order: await this.pay(payjsOrderId, payer), outcome };
    if (order.status !== 'unpaid') transition(order, 'pay', this.clock.now()); // refuses as pay would
    return { order: await this.record(order, outcome === 'failed' ? 'pay_failed' : 'pay_cancelled'), outcome };
  }

  /** The PAYJS mini-program (docs/protocol.md §12): the signed `extraData` a merchant mini-program
   * jumps with makes an order (channel `miniprogram`), then the payer's action inside it is applied
   * as on a pay page; `pay=auto` pays whatever the payer taps. Refused extraData makes no order. */
  async createFromMiniprogram(extraData: Params, action: 'pay' | 'fail' | 'cancel'): Promise<{ order: Order; outcome: 'paid' | 'failed' | 'cancelled' }> {
    const { order, tokens } = await this.openMiniprogram(extraData);
    return this.payerAction(order.payjs_order_id, isImmediate(find(tokens, 'pay=auto')) ? 'pay' : action);
  }

  /** The order the PAYJS mini-program makes from signed `extraData`, before the payer acts in it
   * (the dashboard's test orders; `pay=auto` still pays it). */
  async openMiniprogram(extraData: Params): Promise<{ order: Order; tokens: Token[] }> {
    const tokens = this.scenarioFor('miniprogram', extraData);
    const now = this.clock.now();
    const { fields, merchant } = this.auth.merchantCall('miniprogram', extraData, now);
    const order = await this.open('miniprogram', fields, merchant, now, tokens, false);
    return { order, tokens };
  }

  /** An order as it stands now (an unpaid order past its expiry is closed first). */
  order(payjsOrderId: string): Promise<Order | undefined> {
    const order = this.store.get<Order>(ORDERS, payjsOrderId);
    // What is answered from this order must already be durable, even if another request's write
    // of it is still on its way to the journal.
    // Read again after the wait: a write that failed meanwhile was taken back.
    // (Not an async function: returning the promise from one would cost two more turns.)
    if (!order || !isExpired(order, this.clock.now())) return this.store.sync().then(() => this.store.get<Order>(ORDERS, payjsOrderId));
    return this.expire(order);
  }

  private async expire(order: Order): Promise<Order> {
    const { order: expired } = transition(order, 'expire', order.expires_at);
    await this.save(expired);
    return expired;
  }

  /** An order as stored, at once: not closed if past its expiry, not waited for to be durable
   * (for what a page shows beside something else, such as a call's out_trade_no). */
  stored(payjsOrderId: string): Order | undefined {
    return this.store.get<Order>(ORDERS, payjsOrderId);
  }

  /** The verdict on a request's sign, for the call log. */
  signVerdict(params: Params): ReturnType<Authorizer['verdict']> {
    const id = params.payjs_order_id;
    return this.auth.verdict(params, typeof id === 'string' ? this.store.get<Order>(ORDERS, id) : undefined);
  }

  /** The order behind a page's code (code_url, h5_url, prepay_id, cashier). */
  async orderByCode(code: string): Promise<Order | undefined> {
    const id = this.byCode.get(code);
    return id ? this.order(id) : undefined;
  }

  /** Orders, newest first, filtered by merchant, status, channel or out_trade_no. */
  orders(filter: OrderFilter = {}): Order[] {
    const keys = Object.entries(filter).filter(([, v]) => v !== undefined && v !== '') as [keyof OrderFilter, string][];
    const all = this.store.values<Order>(ORDERS).filter((o) => keys.every(([k, v]) => o[k] === v));
    return all.sort((a, b) => b.created_at - a.created_at);
  }

  /** What the dashboard and the control API do to an order, without a merchant's signature:
   * the payer's pay/fail/cancel, and close, refund, reverse, expire (now, whatever its expiry). */
  async act(payjsOrderId: string, action: ControlAction): Promise<Order> {
    if (action === 'pay') return this.pay(payjsOrderId);
    if (action === 'tap') return (await this.payerAction(payjsOrderId, 'pay')).order;
    if (action === 'fail' || action === 'cancel') return (await this.payerAction(payjsOrderId, action)).order;
    const order = await this.order(payjsOrderId);
    if (!order) throw new Refusal('ORDER_NOT_FOUND', [payjsOrderId]);
    return this.apply(order, action);
  }

  /**
   * Applies scenario tokens to one existing order from now on (`POST /__sandbox/orders/{id}/scenario`,
   * `sandbox.scenario(id, tokens)`): each group given replaces the order's tokens of that group.
   * On an unpaid order they shape its payment and notify, and `pay=auto` pays it now (or after s
   * seconds of sandbox time); on a paid or refunded order `notify=…` tokens start its notify
   * again (see Notifier.rearm) and `pay=…` is refused, as is anything on a closed order.
   */
  async useScenario(payjsOrderId: string, input: string | string[] | undefined): Promise<Order> {
    if (!(await this.order(payjsOrderId))) throw new Refusal('ORDER_NOT_FOUND', [payjsOrderId]);
    const added = parseTokens(input);
    const order = this.latest(payjsOrderId);
    const scenario = applyToOrder(order.scenario, added);
    const now = this.clock.now();
    if (order.status === 'closed' || (order.status !== 'unpaid' && added.some((t) => t.group === 'pay' || t.name === 'order=expire'))) transition(order, 'pay', now); // refuses as pay would
    const next: Order = { ...order, scenario, scenario_at: now };
    await this.save(next);
    if (order.status !== 'unpaid') {
      if (added.some((t) => t.group === 'notify')) await this.options.notifier?.rearm(next, parseTokens(scenario));
      if (find(added, 'order=refund')) this.schedulePaid(next);
      return next;
    }
    if (isImmediate(find(added, 'pay=auto'))) return this.pay(payjsOrderId);
    if (find(added, 'pay=auto') || find(added, 'order=expire')) this.scheduleUnpaid(next);
    return next;
  }

  /** The expiries still to come of unpaid orders, earliest first, as the Clock page lists clock
   * tasks (they are one sweep task on the clock: see ExpiryQueue). */
  upcomingExpiries(limit: number): { at: number; label: TaskLabel }[] {
    // Twice as many as are shown: some are of orders paid or closed since, passed over when due.
    return this.expiries.upcoming(limit * 2)
      .filter((e) => this.store.get<Order>(ORDERS, e.id)?.status === 'unpaid')
      .slice(0, limit)
      .map((e) => ({ at: e.at, label: { kind: 'expire', payjs_order_id: e.id } }));
  }

  /** Forgets every order, or those of one merchant. */
  async reset(filter: { mchid?: string } = {}): Promise<void> {
    if (filter.mchid) {
      await Promise.all(this.orders({ mchid: filter.mchid }).map((o) => this.store.delete(ORDERS, o.payjs_order_id)));
    } else {
      await this.store.clear(ORDERS);
    }
    this.reindex();
  }

  /** Forgets the given orders (a refused seed's undo). */
  async forget(payjsOrderIds: string[]): Promise<void> {
    await Promise.all(payjsOrderIds.map((id) => this.store.delete(ORDERS, id)));
    this.reindex();
  }

  /** Rebuilds the indexes and the clock tasks from the store (after a reset or a restore): the
   * tasks of orders no longer there are cancelled, the others set once. Read from the orders'
   * summaries (see order-summary.ts): only an order with a scenario is read whole, for its tasks. */
  reindex(): void {
    this.clock.cancel((owner) => owner.startsWith(TASK_PREFIX));
    this.byCode.clear();
    this.outTradeNos.clear();
    this.expiries.clear();
    this.store.project<Order, keyof OrderSummary>(ORDERS, summaryFields(!!this.options.uniqueOutTradeNo), (id, summary) => {
      this.index(id, summary);
      if (summary.status !== 'unpaid' && summary.status !== 'paid') return;
      if (!summary.scenario) {
        // scheduleUnpaid of an order without a scenario; schedulePaid sets nothing for one.
        if (summary.status === 'unpaid') this.expiries.add(summary.expires_at, id);
        return;
      }
      const order = this.latest(id);
      if (order.status === 'unpaid') this.scheduleUnpaid(order);
      else this.schedulePaid(order);
    });
  }

  // --- inside ------------------------------------------------------------------------------

  /** A new order, saved: paid at once (micropay, facepay), or waiting for its expiry and any
   * delayed payment. Refuses a reused out_trade_no under --unique-out-trade-no. */
  private async open(channel: Channel, fields: Fields, merchant: Merchant, now: number, tokens: Token[], paidAtOnce: boolean): Promise<Order> {
    if (this.options.uniqueOutTradeNo && this.outTradeNos.has(`${merchant.mchid}\u0000${fields.out_trade_no}`)) throw new Refusal('DUPLICATE_OUT_TRADE_NO', [fields.out_trade_no]);
    let id = payjsOrderId(now, this.random);
    while (this.store.get(ORDERS, id)) id = payjsOrderId(now, this.random);
    let order = newOrder({ id, code: this.newCode(), channel, fields, merchant, now, tokens });
    if (paidAtOnce) order = transition(order, 'pay', now, this.payment(order, now)).order;
    await this.save(order);
    if (order.status === 'paid') {
      await this.options.notifier?.paid(order, this.tokensOf(order));
      this.schedulePaid(order);
    } else this.scheduleUnpaid(order);
    return order;
  }

  private payment(order: Order, now: number): Payment {
    return newPayment(order, now, this.random);
  }

  private tokensOf(order: Order): Token[] {
    return parseTokens(order.scenario);
  }

  /** An unpaid order closes at its expiry; `pay=auto:<s>` and `micropay=password:<s>` pay it
   * after s seconds of sandbox time. Both are clock tasks, set again after a restart. */
  private scheduleUnpaid(order: Order): void {
    const id = order.payjs_order_id;
    const owner = taskOwner(id);
    this.expiries.add(order.expires_at, id);
    if (!order.scenario) return; // no pay=auto, order=expire or micropay=password
    const tokens = this.tokensOf(order);
    const delayed = find(tokens, 'pay=auto')?.arg ?? ('password' in ENDPOINTS[order.channel] ? find(tokens, 'micropay=password')?.arg : undefined);
    const expire = find(tokens, 'order=expire');
    if (expire) {
      this.clock.at((order.scenario_at ?? order.created_at) + (expire.arg ?? 0) * 1000, async () => {
        if ((await this.order(id))?.status === 'unpaid') await this.act(id, 'expire');
      }, owner, { kind: 'expire', payjs_order_id: id });
    }
    if (delayed !== undefined) {
      this.clock.at((order.scenario_at ?? order.created_at) + delayed * 1000, async () => {
        if ((await this.order(id))?.status === 'unpaid') await this.pay(id);
      }, owner, { kind: 'pay', payjs_order_id: id });
    }
  }

  /** `order=refund[:<s>]`: the paid order is refunded at once, or s seconds after the payment (a
   * clock task, set again after a restart). */
  private schedulePaid(order: Order): void {
    const refund = find(this.tokensOf(order), 'order=refund');
    if (!refund || order.paid_at === undefined) return;
    const id = order.payjs_order_id;
    this.clock.at(order.paid_at + (refund.arg ?? 0) * 1000, async () => {
      if ((await this.order(id))?.status === 'paid') await this.act(id, 'refund');
    }, taskOwner(id), { kind: 'refund', payjs_order_id: id });
  }

  private newCode(): string {
    let code = token(this.random, ORDER_CODE_LENGTH);
    while (this.byCode.has(code)) code = token(this.random, ORDER_CODE_LENGTH);
    return code;
  }

  private async apply(order: Order, event: OrderEvent): Promise<Order> {
    return (await this.transit(order, event)).order;
  }

  /** Applies an event to the order as it is in the store now: the copy a caller read before an
   * await may be stale (another call changed it meanwhile), and nothing awaits between this read
   * and the write, so concurrent calls on one order see each other and exactly one wins. */
  private async transit(order: Order, event: OrderEvent): Promise<Transition> {
    const result = transition(this.latest(order.payjs_order_id), event, this.clock.now());
    if (result.changed) {
      await this.save(result.order);
      if (result.order.paid_at !== undefined) await this.options.notifier?.later(result.order);
    }
    return result;
  }

  /** The order as stored right now (synchronous: call it with no await before the write). */
  private latest(payjsOrderId: string): Order {
    const order = this.store.get<Order>(ORDERS, payjsOrderId);
    if (!order) throw new Refusal('ORDER_NOT_FOUND', [payjsOrderId]);
    return order;
  }

  private async record(stale: Order, mishap: PayerMishap): Promise<Order> {
    const order = this.latest(stale.payjs_order_id);
    if (order.status !== 'unpaid') transition(order, 'pay', this.clock.now()); // refuses as pay would
    const next = { ...order, history: [...order.history, { event: mishap, at: this.clock.now(), status: order.status }] };
    await this.save(next);
    return next;
  }

  private async save(order: Order): Promise<void> {
    this.index(order.payjs_order_id, order);
    try {
      await this.store.put(ORDERS, order.payjs_order_id, order);
    } catch (err) {
      // The store took the change back; so do the indexes, for an order that is not there now.
      if (!this.store.get(ORDERS, order.payjs_order_id)) this.byCode.delete(order.code);
      throw new Refusal('STORAGE_FAILED', [(err as Error).message]);
    }
    this.options.onOrder?.(order);
  }

  private index(id: string, order: Pick<Order, 'code'> & Partial<Pick<Order, 'mchid' | 'out_trade_no'>>): void {
    this.byCode.set(order.code, id);
    if (this.options.uniqueOutTradeNo) this.outTradeNos.set(`${order.mchid}\u0000${order.out_trade_no}`, true);
  }

  private within(order: Order, days: number, action: string): void {
    if (this.clock.now() - order.created_at > days * DAY_MS) throw new Refusal('ORDER_TOO_OLD', [action, String(days)]);
  }

}

