import type { Gateway } from './gateway.js';
import type { Notifier } from '../notify/notifier.js';
import { fromSnapshot, toSnapshot } from '../notify/notify-records.js';
import type { CallLog } from './call-log.js';
import type { ScenarioBook } from './scenario-book.js';
import type { Store } from '../store/store.js';
import type { SandboxClock } from '../clock/clock.js';
import type { EventHub } from './event-hub.js';
import { Refusal } from '../core/errors.js';
import type { Merchant } from '../core/merchant.js';
import { MerchantInput } from './inputs.js';
import { validator } from './validate.js';
import { sign } from '../core/sign.js';
import { checkSeed, checkSnapshot, type Seed, type Snapshot } from './admin-checks.js';
import type { ControlAction } from '../core/order.js';
import type { Order } from '../core/order.js';

const readMerchant = validator<Merchant>(MerchantInput, 'merchant');

const MERCHANTS = 'merchants';

export type { Seed, SeedOrder, Snapshot } from './admin-checks.js';

const STATUS_ACTIONS: Record<string, ControlAction[]> = { unpaid: [], paid: ['pay'], refunded: ['pay', 'refund'], closed: ['close'] };

/** The whole-sandbox operations of the control API: reset, snapshot, restore, seed, merchants. */
export class Admin {
  constructor(
    private readonly parts: { store: Store; gateway: Gateway; notifier: Notifier; scenarios: ScenarioBook; callLog: CallLog; events?: EventHub; clock?: SandboxClock },
  ) {
    for (const m of parts.store.values<Merchant>(MERCHANTS)) parts.gateway.merchants.add(m);
  }

  /** Forgets every order, notify, rule and recorded call, or those of one merchant, with their
   * clock tasks; a whole reset also puts the clock back to real time. */
  async reset(filter: { mchid?: string } = {}): Promise<void> {
    const { gateway, notifier, scenarios, callLog } = this.parts;
    await notifier.reset(filter);
    await gateway.reset(filter);
    await scenarios.clear(filter);
    callLog.clear(filter);
    if (!filter.mchid) this.parts.clock?.rewind();
    this.parts.events?.emit({ type: 'reset' });
  }

  snapshot(now: number): Snapshot {
    // Notify attempts inside their jobs, as every version's snapshot holds them.
    return { version: 1, taken_at: now, collections: toSnapshot(this.parts.store.snapshot()) };
  }

  /** Puts the sandbox back to a snapshot: orders, notify jobs (pending retries resume), rules. */
  async restore(snapshot: unknown): Promise<void> {
    const collections = checkSnapshot(snapshot);
    await this.parts.store.replace(fromSnapshot(collections));
    for (const m of this.parts.store.values<Merchant>(MERCHANTS)) this.parts.gateway.merchants.add(m);
    this.parts.gateway.reindex();
    this.parts.notifier.reschedule();
  }

  /** Adds a merchant for good (it is kept in the store). */
  async addMerchant(input: unknown): Promise<Merchant> {
    const merchant = readMerchant(input ?? {});
    this.parts.gateway.merchants.add(merchant);
    await this.parts.store.put(MERCHANTS, merchant.mchid, merchant);
    return merchant;
  }

  /** Creates the seed's merchants and orders through the same path as the API: each order is
   * signed with its merchant's key and created, then paid, refunded or closed as asked. */
  async seed(seed: Seed, base: string): Promise<Order[]> {
    checkSeed(seed);
    const { gateway } = this.parts;
    // Every order must be one the API would take before anything is made.
    const known = new Map([...gateway.merchants.list(), ...(seed.merchants ?? [])].map((m) => [m.mchid, m]));
    const first = gateway.merchants.list()[0].mchid;
    seed.orders?.forEach((o, i) => {
      if (!known.has(o.mchid ?? first)) throw new Refusal('UNKNOWN_MCHID', [`${o.mchid} (orders[${i}])`]);
    });
    const calls = (seed.orders ?? []).map((o) => {
      const merchant = known.get(o.mchid ?? first)!;
      const channel = o.channel ?? 'native';
      const params: Record<string, string | number> = { mchid: merchant.mchid, out_trade_no: o.out_trade_no, total_fee: o.total_fee };
      for (const k of ['body', 'attach', 'notify_url', 'openid'] as const) if (o[k]) params[k] = o[k]!;
      if (channel === 'micropay') params.auth_code = '134567890123456789';
      if (channel === 'facepay') params.face_code = 'seed';
      params.sign = sign(params, merchant.key);
      return { channel, params, status: o.status ?? 'unpaid' };
    });
    // All or nothing, merchants included: the seed's merchants are tried in memory for the dry
    // run, and taken back if any order is refused or a write fails.
    const merchants = (seed.merchants ?? []).map((m) => readMerchant(m ?? {}));
    const before = merchants.map((m) => [m.mchid, gateway.merchants.get(m.mchid)] as const);
    const created: Order[] = [];
    try {
      for (const m of merchants) gateway.merchants.add(m);
      for (const { channel, params } of calls) gateway.checkCreate(channel, params);
      for (const m of merchants) await this.parts.store.put(MERCHANTS, m.mchid, m);
      for (const { channel, params, status } of calls) {
        let { order } = await gateway.create(channel, params, base);
        created.push(order);
        for (const action of STATUS_ACTIONS[status]) {
          if (action === 'pay' && order.status === 'paid') continue;
          order = await gateway.act(order.payjs_order_id, action);
        }
        created[created.length - 1] = order;
      }
    } catch (err) {
      await this.undoSeed(created.map((o) => o.payjs_order_id), before);
      throw err;
    }
    return created;
  }

  /** Takes back what a failed seed made: its orders and their notifies, and its merchants. */
  private async undoSeed(orderIds: string[], merchantsBefore: (readonly [string, Merchant | undefined])[]): Promise<void> {
    const { store, gateway, notifier } = this.parts;
    await notifier.forget(orderIds).catch(() => {});
    await gateway.forget(orderIds).catch(() => {});
    for (const [mchid, was] of merchantsBefore) {
      gateway.merchants.restore(mchid, was);
      await (was ? store.put(MERCHANTS, mchid, was) : store.delete(MERCHANTS, mchid)).catch(() => {});
    }
  }
}
