import { Refusal } from '../core/errors.js';
import { checkMerchant, type Merchant } from '../core/merchant.js';
import { CREATE_ENDPOINTS, ENDPOINTS, type CreateEndpoint } from '../core/endpoints.js';

/** A snapshot of a whole sandbox, as `GET /__sandbox/snapshot` gives it. */
export interface Snapshot {
  version: 1;
  taken_at: number;
  collections: Record<string, Record<string, unknown>>;
}

/** One order of a seed file: created as its merchant would, then brought to `status`. */
export interface SeedOrder {
  mchid?: string;
  channel?: CreateEndpoint;
  out_trade_no: string;
  total_fee: number;
  body?: string;
  attach?: string;
  notify_url?: string;
  openid?: string;
  status?: 'unpaid' | 'paid' | 'refunded' | 'closed';
}

/** A seed file (fixtures/seed.json): merchants and orders to start from. */
export interface Seed {
  merchants?: Merchant[];
  orders?: SeedOrder[];
}

/** Checks of what the control API restores and seeds, made before anything changes: a refused
 * restore or seed leaves the sandbox as it was. */

const STATUSES = ['unpaid', 'paid', 'refunded', 'closed'];
const JOB_STATES = ['pending', 'delivered', 'checked', 'exhausted'];
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown) => typeof v === 'string' && v.length > 0;
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
const refuse = (where: string, why: string) => new Refusal('INVALID_PARAM', [where, why]);

/** What each collection's records must have (the sandbox writes more; these are what it reads). */
const RECORD_CHECKS: Record<string, (r: Record<string, unknown>) => boolean> = {
  orders: (o) => str(o.payjs_order_id) && str(o.mchid) && typeof o.out_trade_no === 'string' && num(o.total_fee)
    && STATUSES.includes(o.status as string) && num(o.created_at) && num(o.expires_at) && str(o.code) && Array.isArray(o.history)
    && (o.scenario === undefined || (Array.isArray(o.scenario) && o.scenario.every((t) => typeof t === 'string'))),
  notifies: (j) => str(j.payjs_order_id) && str(j.mchid) && typeof j.url === 'string' && num(j.base_at) && num(j.next)
    && JOB_STATES.includes(j.state as string) && isObject(j.fields) && Array.isArray(j.attempts) && Array.isArray(j.tokens),
  scenarios: (r) => str(r.id) && isObject(r.match) && Array.isArray(r.steps) && r.steps.every((s) => Array.isArray(s)) && (r.remaining === null || num(r.remaining)) && num(r.used),
  merchants: (m) => {
    try {
      checkMerchant(m as Partial<Merchant>, '');
      return true;
    } catch {
      return false;
    }
  },
  clock: () => true,
};

/** Refuses a snapshot unless every collection is known and every record has what is read back. */
export function checkSnapshot(snapshot: unknown): Record<string, Record<string, unknown>> {
  const snap = snapshot as { version?: unknown; collections?: unknown };
  if (!isObject(snap) || snap.version !== 1 || !isObject(snap.collections)) throw refuse('snapshot', 'send the JSON that GET /__sandbox/snapshot gave');
  for (const [name, records] of Object.entries(snap.collections)) {
    const check = Object.hasOwn(RECORD_CHECKS, name) ? RECORD_CHECKS[name] : undefined;
    if (!check) throw refuse(`collections.${name}`, `unknown collection; a snapshot has ${Object.keys(RECORD_CHECKS).join(', ')}`);
    if (!isObject(records)) throw refuse(`collections.${name}`, 'must be an object of records by key');
    for (const [key, record] of Object.entries(records)) {
      if (name === 'clock' ? !num(record) : !isObject(record) || !check(record)) throw refuse(`collections.${name}.${key}`, 'is not a record the sandbox wrote');
    }
  }
  return snap.collections as Record<string, Record<string, unknown>>;
}

/** Refuses a seed whose shape is wrong anywhere, before any of it is created. */
export function checkSeed(seed: unknown): Seed {
  if (!isObject(seed)) throw refuse('seed', 'expected { "merchants": [...], "orders": [...] }');
  if (seed.merchants !== undefined && !Array.isArray(seed.merchants)) throw refuse('merchants', 'must be a list');
  if (seed.orders !== undefined && !Array.isArray(seed.orders)) throw refuse('orders', 'must be a list');
  (seed.merchants as unknown[] | undefined)?.forEach((m, i) => {
    try {
      checkMerchant((isObject(m) ? m : {}) as Partial<Merchant>, `merchants[${i}]`);
    } catch (err) {
      throw refuse(`merchants[${i}]`, (err as Error).message);
    }
  });
  (seed.orders as unknown[] | undefined)?.forEach((o, i) => checkSeedOrder(o, `orders[${i}]`));
  return seed as Seed;
}

const paidAtOnce = (channel: CreateEndpoint) => 'paidAtOnce' in ENDPOINTS[channel];

function checkSeedOrder(o: unknown, where: string): void {
  if (!isObject(o)) throw refuse(where, 'must be an object');
  const order = o as Partial<SeedOrder>;
  const channel = order.channel ?? 'native';
  if (!CREATE_ENDPOINTS.includes(channel)) throw refuse(`${where}.channel`, `must be one of ${CREATE_ENDPOINTS.join(', ')}`);
  const status = order.status ?? 'unpaid';
  if (!STATUSES.includes(status)) throw refuse(`${where}.status`, `must be one of ${STATUSES.join(', ')}`);
  // micropay and facepay are paid at once: they cannot be seeded unpaid or closed.
  if (paidAtOnce(channel) && (status === 'unpaid' || status === 'closed')) throw refuse(`${where}.status`, `${channel} orders are paid at once: seed them paid or refunded`);
  if (typeof order.out_trade_no !== 'string' || order.out_trade_no === '') throw refuse(`${where}.out_trade_no`, 'must be a non-empty string');
  if (!Number.isInteger(order.total_fee) || (order.total_fee as number) < 1) throw refuse(`${where}.total_fee`, 'must be a whole number of fen ≥ 1');
  for (const k of ['mchid', 'body', 'attach', 'notify_url', 'openid'] as const) {
    if (order[k] !== undefined && typeof order[k] !== 'string') throw refuse(`${where}.${k}`, 'must be a string');
  }
  if ((channel === 'jsapi' || channel === 'facepay') && !order.openid) throw refuse(`${where}.openid`, `${channel} orders need the payer's openid`);
}
