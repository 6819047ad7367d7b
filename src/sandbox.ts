import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxClock } from './clock.js';
import { Gateway } from './gateway.js';
import { createApp } from './http/app.js';
import { Notifier, type NotifyEvent, type NotifyPredicate } from './notify/notifier.js';
import type { NotifyTransport } from './notify/transport.js';
import { ScenarioBook } from './scenario-book.js';
import { DEFAULT_MERCHANT, Merchants, checkMerchant, parseMerchantSpec, type Merchant } from './core/merchant.js';
import type { Order } from './core/order.js';
import type { Random } from './core/ids.js';
import type { Rule, RuleInput } from './core/scenarios.js';
import { openStore } from './store/store.js';

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A lowdb file to persist to; omitted, the sandbox keeps nothing. */
  db?: string;
  /** Merchants besides the default one, as objects or `MCHID:KEY` strings. */
  merchants?: (Merchant | string)[];
  /** Refuse a second order with the same out_trade_no for a merchant. */
  uniqueOutTradeNo?: boolean;
  /** Also accept lower-case hex and the drop-zero variant of a signature. */
  lenientSign?: boolean;
  /** Let the reserved amounts (501–514 fen) choose outcomes; default true. */
  magicAmounts?: boolean;
  /** The sandbox clock; default: real time. `new SandboxClock({ frozen: true })` for tests. */
  clock?: SandboxClock;
  random?: Random;
  /** How notifies travel (default: HTTP through undici). */
  notifyTransport?: NotifyTransport;
  /** Journal size that triggers a rewrite of the lowdb document. */
  compactAtBytes?: number;
  /** The request log and warnings; silent by default. */
  log?: (line: string) => void;
}

/** What `waitForNotify` matches: a predicate, or fields the attempt must have. */
export type NotifyMatch = NotifyPredicate | Partial<Pick<NotifyEvent, 'payjs_order_id' | 'out_trade_no' | 'mchid' | 'delivered' | 'kind'>>;

/** A running sandbox: the object a test holds. */
export interface Sandbox {
  /** Base URL: use it in place of https://payjs.cn. */
  readonly url: string;
  readonly port: number;
  /** The default merchant (credentials of payjs-api.md §3.4). */
  readonly merchant: Merchant;
  readonly merchants: Merchant[];
  /** The lowdb file, when persisting. */
  readonly db?: string;
  /** The sandbox clock: `await sandbox.clock.advance(seconds)` runs what falls due. */
  readonly clock: SandboxClock;
  /** Marks an unpaid order paid, as if the payer paid (the notify follows). */
  pay(payjsOrderId: string, payer?: { openid?: string }): Promise<Order>;
  /** An order as the sandbox holds it now. */
  order(payjsOrderId: string): Promise<Order | undefined>;
  /** Every order, newest first, optionally of one merchant. */
  orders(filter?: { mchid?: string }): Order[];
  /** Every notify attempt so far, oldest first, optionally of one order. */
  notifications(payjsOrderId?: string): NotifyEvent[];
  /** Resolves with the first notify attempt (past or future) that matches; by default a delivered
   * one. Rejects after `timeout` ms (default 5000) listing the last attempts. */
  waitForNotify(match?: NotifyMatch, options?: { timeout?: number }): Promise<NotifyEvent>;
  /** Adds a scenario rule (see the README's scenario table); returns it with its id. */
  use(rule: RuleInput): Promise<Rule>;
  /** Forgets every order, notify and scenario rule. */
  reset(): Promise<void>;
  /** Stops listening and writes everything to disk. */
  close(): Promise<void>;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function toPredicate(match: NotifyMatch = { delivered: true }): NotifyPredicate {
  if (typeof match === 'function') return match;
  return (e) => Object.entries(match).every(([k, v]) => e[k as keyof NotifyEvent] === v);
}

async function resetAll(gateway: Gateway, notifier: Notifier, scenarios: ScenarioBook): Promise<void> {
  await gateway.reset();
  await notifier.reset();
  await scenarios.clear();
}

/** Starts a sandbox; several can run in one process. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const merchantList = [DEFAULT_MERCHANT, ...(options.merchants ?? []).map((m, i) => (typeof m === 'string' ? parseMerchantSpec(m) : checkMerchant(m, `#${i + 1}`)))];
  const merchants = new Merchants(merchantList);
  const clock = options.clock ?? new SandboxClock();
  const store = await openStore({ file: options.db, compactAtBytes: options.compactAtBytes, warn: log });
  const scenarios = new ScenarioBook(store);
  const notifier = new Notifier({ store, clock, merchants, scenarios, transport: options.notifyTransport });
  const gateway = new Gateway({
    store,
    merchants,
    clock,
    scenarios,
    events: notifier,
    random: options.random,
    uniqueOutTradeNo: options.uniqueOutTradeNo,
    lenientSign: options.lenientSign,
    magicAmounts: options.magicAmounts,
    onSignError: (endpoint, debug) => log(`sign mismatch on /api/${endpoint}: ${debug}`),
  });
  const host = options.host ?? '127.0.0.1';
  let url = '';
  const reset = () => resetAll(gateway, notifier, scenarios);
  const app = createApp({ gateway, notifier, scenarios, clock, reset, url: () => url, log });
  const server: Server = createServer(app.callback());
  const shutdown = async () => {
    clock.stop();
    await clock.settle(); // attempts in flight finish and are recorded
    await notifier.close();
    await store.close();
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  }).catch(async (err) => {
    await shutdown();
    throw err;
  });
  const port = (server.address() as AddressInfo).port;
  url = `http://${hostForUrl(host)}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    merchant: DEFAULT_MERCHANT,
    merchants: merchants.list(),
    db: store.file,
    clock,
    pay: (id, payer) => gateway.pay(id, payer),
    order: (id) => gateway.order(id),
    orders: (filter) => gateway.orders(filter),
    notifications: (id) => notifier.attempts(id),
    waitForNotify: (match, opts) => notifier.waitFor(toPredicate(match), opts?.timeout ?? 5000),
    use: (rule) => scenarios.add(rule),
    reset,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await shutdown();
      })()),
  };
}
