/**
 * `payjs-sandbox/client`: drive a sandbox that runs as another process (CI starts the CLI) through
 * its control API, with the shape of the in-process object `startSandbox()` returns. What the
 * in-process object answers synchronously (`orders()`, `notifications()`, `calls()`,
 * `snapshot()`) the client answers with a promise.
 *
 *   const sandbox = await connectSandbox('http://127.0.0.1:3000');
 *   await sandbox.pay(payjsOrderId);
 *   const notify = await sandbox.waitForNotify({ payjs_order_id: payjsOrderId });
 */
import { DEFAULT_MERCHANT, type Merchant } from '../core/merchant.js';
import type { Order } from '../core/order.js';
import type { NotifyJob } from '../core/notify.js';
import type { Rule, RuleInput } from '../core/scenarios.js';
import type { NotifyEvent } from '../notify/notifier.js';
import type { CallFilter, RecordedCall } from '../app/call-log.js';
import type { Seed, Snapshot } from '../app/admin.js';
import type { Sandbox } from '../sandbox.js';
import type { ConformanceReport } from '../notify/conformance.js';
import type { ScenarioFile } from '../app/scenario-inputs.js';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { SandboxRequestError, controlHttp, type ControlCall } from './http.js';

export { SandboxRequestError };
export type { CallFilter, ConformanceReport, Merchant, NotifyEvent, NotifyJob, Order, RecordedCall, Rule, RuleInput, ScenarioFile, Seed, Snapshot };

export interface ConnectOptions {
  /** The control token the banner printed; needed when the sandbox listens beyond loopback. */
  token?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

/** What `orders()` filters on; at most `limit` orders come back (default and maximum 10,000). */
export interface OrderQuery {
  mchid?: string;
  status?: Order['status'];
  channel?: Order['channel'];
  out_trade_no?: string;
  limit?: number;
}

/** What `waitForNotify` matches: fields the attempt must have. (A predicate cannot travel to
 * another process: filter `notifications()` yourself for that.) */
export type NotifyFields = Partial<Pick<NotifyEvent, 'payjs_order_id' | 'out_trade_no' | 'mchid' | 'delivered' | 'kind'>>;

/** The sandbox clock, as `GET /__sandbox/clock` shows it. */
export interface ClockState {
  /** Sandbox time, epoch ms. */
  now: number;
  iso: string;
  /** Tasks waiting on the clock: notify retries, expiries, delayed payments. */
  pending: number;
}

/** The remote sandbox clock. */
export interface RemoteClock {
  /** The sandbox time, epoch ms (async, unlike the in-process clock). */
  now(): Promise<number>;
  /** Moves the clock forward; resolves once everything that fell due has run. */
  advance(seconds: number): Promise<ClockState>;
}

/** A merchant as the control API lists it: never with its key. */
export interface PublicMerchant {
  mchid: string;
  name?: string;
}

/** A sandbox in another process, driven through its control API. */
export interface SandboxClient {
  /** Base URL: use it in place of https://payjs.cn. */
  readonly url: string;
  /** The default merchant with its key (its credentials are fixed: DEFAULT_MERCHANT). */
  readonly merchant: Merchant;
  /** The sandbox clock: `await sandbox.clock.advance(seconds)`; `now()` is async. */
  readonly clock: RemoteClock;
  /** Every merchant, without keys (the control API never shows them). */
  merchants(): Promise<PublicMerchant[]>;
  /** Marks an unpaid order paid, as if the payer paid (the notify follows). */
  pay(payjsOrderId: string, payer?: { openid?: string }): Promise<Order>;
  /** The payer's payment fails on the pay page; the order stays unpaid. */
  fail(payjsOrderId: string): Promise<Order>;
  /** The payer cancels on the pay page; the order stays unpaid. */
  cancel(payjsOrderId: string): Promise<Order>;
  /** Closes an unpaid ORDER. (The client never stops the sandbox: stop the process you started.) */
  close(payjsOrderId: string): Promise<Order>;
  /** Refunds a paid order in full. */
  refund(payjsOrderId: string): Promise<Order>;
  /** Refunds a paid order, closes an unpaid one. */
  reverse(payjsOrderId: string): Promise<Order>;
  /** Closes an unpaid order now, as its expiry would. */
  expire(payjsOrderId: string): Promise<Order>;
  /** An order as the sandbox holds it now, or undefined. */
  order(payjsOrderId: string): Promise<Order | undefined>;
  /** Orders, newest first (async, unlike the in-process `orders()`). */
  orders(filter?: OrderQuery): Promise<Order[]>;
  /** Every notify attempt, oldest first, optionally of one order (async). */
  notifications(payjsOrderId?: string): Promise<NotifyEvent[]>;
  /** Sends the notify of a paid order once more, now. */
  resend(payjsOrderId: string): Promise<NotifyEvent>;
  /** Resolves with the first notify attempt, past or future, with these fields (default: a
   * delivered one); rejects after `timeout` ms (default 5000) listing the last attempts. */
  waitForNotify(match?: NotifyFields, options?: { timeout?: number }): Promise<NotifyEvent>;
  /** The API calls merchants made, oldest first (the call log; async). */
  calls(filter?: CallFilter): Promise<RecordedCall[]>;
  /** Adds a scenario rule; resolves with it and its id. */
  use(rule: RuleInput): Promise<Rule>;
  /** Applies scenario tokens to one existing order from now on (`POST /orders/{id}/scenario`). */
  useOn(payjsOrderId: string, tokens: string | string[]): Promise<{ order: Order; notify: NotifyJob | null }>;
  /** Loads a scenario file: a path (read here, in the test's process) or its parsed JSON. */
  load(file: string | ScenarioFile): Promise<{ scenario: ScenarioFile; rules: Rule[] }>;
  /** Runs the notify-endpoint conformance battery against `url` (`POST /conformance`). */
  checkNotify(url: string, options?: { mchid?: string }): Promise<ConformanceReport>;
  /** Forgets every order, notify, scenario rule and recorded call, or those of one merchant. */
  reset(filter?: { mchid?: string }): Promise<void>;
  /** Adds the merchants and orders of a seed (fixtures/seed.json has the shape). */
  seed(seed: Seed): Promise<Order[]>;
  /** Every collection, to restore later (async). */
  snapshot(): Promise<Snapshot>;
  /** Puts the sandbox back to a snapshot. */
  restore(snapshot: Snapshot): Promise<void>;
  /** Adds a merchant for good. */
  addMerchant(merchant: Merchant): Promise<Merchant>;
}

// tsc fails here when the in-process Sandbox changes a member the client shares with it: the
// client takes the same arguments and answers the same values, in a promise. (waitForNotify
// differs on purpose: it takes fields, not a predicate.)
type AsyncOf<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
type Shared = 'pay' | 'order' | 'orders' | 'notifications' | 'calls' | 'use' | 'useOn' | 'load' | 'checkNotify' | 'reset' | 'seed' | 'snapshot' | 'restore' | 'addMerchant';
type SameShape<T extends { [K in Shared]: AsyncOf<Sandbox[K]> } & Pick<Sandbox, 'url' | 'merchant'>> = T;
type _ClientSharesSandboxShape = SameShape<SandboxClient>;

const WAIT_SLICE_MS = 60_000; // the server holds a long poll at most this long

/** Connects to a running sandbox; checks it answers (and that the token is right) before resolving. */
export async function connectSandbox(url: string, options: ConnectOptions = {}): Promise<SandboxClient> {
  const base = new URL(url).origin;
  const call = controlHttp({ url: base, token: options.token, fetch: options.fetch ?? globalThis.fetch });
  const { merchants } = await call<{ merchants: PublicMerchant[] }>('GET', '/merchants');
  const listed = merchants.find((m) => m.mchid === DEFAULT_MERCHANT.mchid);
  if (!listed) throw new Error(`payjs-sandbox client: ${base} does not list the default merchant ${DEFAULT_MERCHANT.mchid}; is it a payjs-sandbox?`);
  return client(base, call, { ...DEFAULT_MERCHANT, ...listed });
}

function client(url: string, call: ControlCall, merchant: Merchant): SandboxClient {
  const id = (payjsOrderId: string, what: string) => {
    if (typeof payjsOrderId !== 'string' || payjsOrderId === '') {
      throw new TypeError(`${what}(payjs_order_id) acts on an order: pass its payjs_order_id${what === 'close' ? ' (the client never stops the sandbox: stop the process you started)' : ''}`);
    }
    return encodeURIComponent(payjsOrderId);
  };
  const act = (action: string) => async (payjsOrderId: string, body?: unknown) =>
    (await call<{ order: Order }>('POST', `/orders/${id(payjsOrderId, action)}/${action}`, { body })).order;
  const clockState = (method: string, path: string, body?: unknown) => call<ClockState>(method, path, { body });

  return {
    url,
    merchant,
    clock: {
      now: async () => (await clockState('GET', '/clock')).now,
      advance: (seconds) => clockState('POST', '/clock/advance', { seconds }),
    },
    merchants: async () => (await call<{ merchants: PublicMerchant[] }>('GET', '/merchants')).merchants,
    pay: (payjsOrderId, payer) => act('pay')(payjsOrderId, payer?.openid ? { openid: payer.openid } : undefined),
    fail: act('fail'),
    cancel: act('cancel'),
    close: act('close'),
    refund: act('refund'),
    reverse: act('reverse'),
    expire: act('expire'),
    order: async (payjsOrderId) => {
      try {
        return (await call<{ order: Order }>('GET', `/orders/${id(payjsOrderId, 'order')}`)).order;
      } catch (err) {
        if (err instanceof SandboxRequestError && err.code === 'ORDER_NOT_FOUND') return undefined; // not found is a value
        throw err;
      }
    },
    orders: async (filter = {}) => (await call<{ orders: Order[] }>('GET', '/orders', { query: { limit: 10_000, ...filter } })).orders,
    notifications: async (payjsOrderId) => (await call<{ attempts: NotifyEvent[] }>('GET', '/notifications', { query: { payjs_order_id: payjsOrderId } })).attempts,
    resend: async (payjsOrderId) => (await call<{ attempt: NotifyEvent }>('POST', `/orders/${id(payjsOrderId, 'resend')}/notifications/resend`)).attempt,
    waitForNotify: (match, opts) => waitForNotify(call, match, opts?.timeout ?? 5000),
    calls: async (filter = {}) => (await call<{ calls: RecordedCall[] }>('GET', '/calls', { query: { ...filter } })).calls,
    use: async (rule) => (await call<{ scenario: Rule }>('POST', '/scenarios', { body: rule })).scenario,
    useOn: (payjsOrderId, tokens) => call('POST', `/orders/${id(payjsOrderId, 'useOn')}/scenario`, { body: { tokens } }),
    load: async (file) => {
      if (typeof file !== 'string') return call('POST', '/scenarios/files', { body: file });
      let body: unknown;
      try {
        body = JSON.parse(await readFile(file, 'utf8'));
      } catch (err) {
        throw new Error(`load(${file}): ${(err as Error).message}`);
      }
      return call('POST', '/scenarios/files', { body, query: { file: basename(file) } });
    },
    checkNotify: async (target, opts) => (await call<{ report: ConformanceReport }>('POST', '/conformance', { body: { url: target, ...(opts?.mchid ? { mchid: opts.mchid } : {}) }, timeoutMs: 60_000 })).report,
    reset: async (filter = {}) => {
      await call('POST', '/reset', { query: { mchid: filter.mchid } });
    },
    seed: async (seed) => (await call<{ orders: Order[] }>('POST', '/seed', { body: seed })).orders,
    snapshot: () => call<Snapshot>('GET', '/snapshot'),
    restore: async (snapshot) => {
      await call('POST', '/restore', { body: snapshot });
    },
    addMerchant: async (m) => ({ ...m, ...(await call<{ merchant: PublicMerchant }>('POST', '/merchants', { body: m })).merchant }),
  };
}

/** The long poll `GET /__sandbox/notifications/wait`, in slices of at most 60 s. */
async function waitForNotify(call: ControlCall, match: NotifyFields = { delivered: true }, timeout: number): Promise<NotifyEvent> {
  if (typeof match === 'function') throw new TypeError('waitForNotify: pass fields ({ payjs_order_id, delivered, kind, … }); a predicate cannot travel to the sandbox process (filter notifications() for that)');
  const deadline = Date.now() + timeout;
  for (;;) {
    const slice = Math.max(0, Math.min(deadline - Date.now(), WAIT_SLICE_MS));
    try {
      const query = { ...match, delivered: match.delivered === undefined ? undefined : String(match.delivered), timeout: slice };
      return (await call<{ attempt: NotifyEvent }>('GET', '/notifications/wait', { query, timeoutMs: slice + 30_000 })).attempt;
    } catch (err) {
      if (!(err instanceof SandboxRequestError && err.status === 408)) throw err;
      if (Date.now() < deadline) continue;
      const recent = ((err.body as { attempts?: NotifyEvent[] }).attempts ?? []).map((a) => `#${a.attempt} ${a.payjs_order_id} → ${a.status ?? a.error}`).join('; ');
      throw new Error(`waitForNotify: no notify matching ${JSON.stringify(match)} within ${timeout} ms (last attempts: ${recent || 'none'})`);
    }
  }
}
