import { Refusal } from '../core/errors.js';
import { checkMerchant, type Merchant } from '../core/merchant.js';
import { ENDPOINTS, type CreateEndpoint } from '../core/endpoints.js';
import { SeedInput, SnapshotInput } from './inputs.js';
import { validator } from './validate.js';

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
 * restore or seed leaves the sandbox as it was. The shapes are app/inputs.ts's schemas; what a
 * schema cannot say (a merchant's key characters, which statuses a channel can be seeded in) is
 * checked here after them. */

const refuse = (where: string, why: string) => new Refusal('INVALID_PARAM', [where, why]);
const readSnapshot = validator<Snapshot>(SnapshotInput, 'snapshot');
const readSeed = validator<Seed>(SeedInput, 'seed');

/** Refuses a snapshot unless every collection is known and every record has what is read back. */
export function checkSnapshot(snapshot: unknown): Record<string, Record<string, unknown>> {
  const { collections } = readSnapshot(snapshot);
  Object.entries(collections.merchants ?? {}).forEach(([key, m]) => {
    try {
      checkMerchant(m as Partial<Merchant>, '');
    } catch {
      throw refuse(`snapshot.collections.merchants.${key}`, 'is not a record the sandbox wrote');
    }
  });
  return collections;
}

/** Refuses a seed whose shape is wrong anywhere, before any of it is created. */
export function checkSeed(input: unknown): Seed {
  const seed = readSeed(input);
  seed.merchants?.forEach((m, i) => {
    try {
      checkMerchant(m as Partial<Merchant>, `merchants[${i}]`);
    } catch (err) {
      throw refuse(`seed.merchants[${i}]`, (err as Error).message);
    }
  });
  seed.orders?.forEach((o, i) => checkSeedOrder(o, `seed.orders[${i}]`));
  return seed;
}

const paidAtOnce = (channel: CreateEndpoint) => 'paidAtOnce' in ENDPOINTS[channel];

function checkSeedOrder(order: SeedOrder, where: string): void {
  const channel = order.channel ?? 'native';
  const status = order.status ?? 'unpaid';
  // micropay and facepay are paid at once: they cannot be seeded unpaid or closed.
  if (paidAtOnce(channel) && (status === 'unpaid' || status === 'closed')) throw refuse(`${where}.status`, `${channel} orders are paid at once: seed them paid or refunded`);
  if ((channel === 'jsapi' || channel === 'facepay') && !order.openid) throw refuse(`${where}.openid`, `${channel} orders need the payer's openid`);
}
