import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SandboxClock } from './clock/clock.js';
import { Gateway } from './app/gateway.js';
import { createApiCall } from './app/api-call.js';
import { lazyApp } from './http/lazy-app.js';
import { isLoopback } from './http/control-token.js';
import { Notifier, type NotifyEvent, type NotifyPredicate } from './notify/notifier.js';
import { upgrade as upgradeNotifyRecords } from './notify/notify-records.js';
import type { NotifyTransport } from './notify/transport.js';
import { ScenarioBook } from './app/scenario-book.js';
import { Admin, type Seed, type Snapshot } from './app/admin.js';
import { EventHub } from './app/event-hub.js';
import { CallLog, type CallFilter, type RecordedCall } from './app/call-log.js';
import { DEFAULT_MERCHANT, Merchants, checkMerchant, parseMerchantSpec, type Merchant } from './core/merchant.js';
import type { Order } from './core/order.js';
import type { Random } from './core/ids.js';
import type { Rule, RuleInput } from './core/scenarios.js';
import { openStore } from './store/store.js';
import { STORE_SUMMARIES } from './app/order-summary.js';
import { ConformanceRuns } from './app/conformance-runs.js';
import type { ConformanceReport } from './notify/conformance.js';
import { readScenarioFile } from './app/scenario-files.js';
import type { ScenarioFile } from './app/scenario-inputs.js';
import type { NotifyJob } from './core/notify.js';
import { Interception, type InterceptionInfo, type InterceptionOptions } from './proxy/interception.js';
import { leanApi } from './http/lean-api.js';

/** Besides these, the interception of payjs.cn: `proxyPort`, `httpsPort`, `interceptHosts`, `caDir`, … (src/proxy/interception.ts). */
export interface SandboxOptions extends InterceptionOptions {
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
  /** `/api/openid` shows a page to pick the fake WeChat user that logs in, instead of redirecting
   * straight to `callback_url` with the default payer (default false). */
  openidPage?: boolean;
  /** The sandbox clock; default: real time. `new SandboxClock({ frozen: true })` for tests. */
  clock?: SandboxClock;
  random?: Random;
  /** How notifies travel (default: HTTP through undici). */
  notifyTransport?: NotifyTransport;
  /** How long a notify waits for the merchant's answer before it counts as a timeout (default
   * 3000 ms, as PAYJS); tests of slow receivers make it short instead of waiting 3 s. */
  notifyTimeoutMs?: number;
  /** The only hosts notifies may reach (`host`, `host:port`, `*.domain`); others are recorded as
   * failed attempts (`blocked`). Default: any. */
  notifyAllow?: string[];
  /** How many API calls the call log keeps (default 10,000; the oldest go first). */
  callLogLimit?: number;
  /** @deprecated the old name of `callLogLimit`. */
  journalLimit?: number;
  /** Host names the control API and the dashboard answer to besides localhost, IP addresses and
   * `host` (a guard against DNS rebinding); the PAYJS API and pay pages answer any Host. */
  allowedHosts?: string[];
  /** The control token required when `host` is not loopback (default: a random one). */
  controlToken?: string;
  /** Journal size that triggers a rewrite of the lowdb document. */
  compactAtBytes?: number;
  /** About how many bytes of records that rewrite writes per turn of the event loop (128 KiB). */
  compactSliceBytes?: number;
  /** Scenario files to load at start (paths), as `--scenario FILE` does. */
  scenarios?: string[];
  /** The conformance battery's deadline for an answer (default PAYJS's 3 s). */
  conformanceDeadlineMs?: number;
  /** Keep a damaged database file aside and start from what is valid; without it a damaged file
   * is refused as it is (default false). */
  repair?: boolean;
  /** fsync each group commit of the journal before answering: acknowledged changes then also
   * survive a power loss or kernel crash (default false: they survive kill -9). */
  fsync?: boolean;
  /** Serve plain form POSTs and query GETs of the PAYJS API without koa, through the same API
   * pipeline (default true; false sends every request through koa, as the tests do to compare). */
  leanApi?: boolean;
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
  /** The default merchant (credentials of docs/protocol.md §3.4). */
  readonly merchant: Merchant;
  readonly merchants: Merchant[];
  /** The lowdb file, when persisting. */
  readonly db?: string;
  /** The token the control API and dashboard require when not on loopback. */
  readonly controlToken?: string;
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
  /** The API calls merchants made, oldest first, filtered by endpoint, mchid, order or sign verdict. */
  calls(filter?: CallFilter): RecordedCall[];
  /** Adds a scenario rule (see the README's scenario table); returns it with its id. */
  use(rule: RuleInput): Promise<Rule>;
  /** Applies scenario tokens (`pay=…`, `order=…`, `notify=…`) to one existing order from now on,
   * unpaid or paid; answers the order and its notify job. */
  useOn(payjsOrderId: string, tokens: string | string[]): Promise<{ order: Order; notify: NotifyJob | null }>;
  /** Loads a scenario file (a path, or its parsed JSON): its rules are added, checked first. */
  load(file: string | ScenarioFile): Promise<{ scenario: ScenarioFile; rules: Rule[] }>;
  /** Runs the notify-endpoint conformance battery against `url`, signing with `mchid`'s key
   * (default: the default merchant's). */
  checkNotify(url: string, options?: { mchid?: string }): Promise<ConformanceReport>;
  /** Forgets every order, notify, scenario rule and recorded call, or those of one merchant. */
  reset(filter?: { mchid?: string }): Promise<void>;
  /** Adds the merchants and orders of a seed (fixtures/seed.json has the shape). */
  seed(seed: Seed): Promise<Order[]>;
  /** Every collection, to restore later. */
  snapshot(): Snapshot;
  /** Puts the sandbox back to a snapshot. */
  restore(snapshot: Snapshot): Promise<void>;
  /** Adds a merchant for good. */
  addMerchant(merchant: Merchant): Promise<Merchant>;
  /** The interception proxy (`proxyPort`): set it as HTTPS_PROXY for code that hard-codes https://payjs.cn. */
  readonly proxyUrl?: string;
  /** The TLS listener (`httpsPort`), for setups that map payjs.cn to the sandbox. */
  readonly httpsUrl?: string;
  /** The sandbox CA (made on first use): its certificate file and PEM, for clients to trust. */
  readonly ca: { readonly certFile: string; readonly pem: string };
  /** What intercepts payjs.cn here (the proxy, the TLS listener, the hosts, the CA file). */
  interception(): InterceptionInfo;
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

/** Starts a sandbox; several can run in one process. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => {});
  const merchantList = [DEFAULT_MERCHANT, ...(options.merchants ?? []).map((m, i) => (typeof m === 'string' ? parseMerchantSpec(m) : checkMerchant(m, `#${i + 1}`)))];
  const merchants = new Merchants(merchantList);
  const clock = options.clock ?? new SandboxClock();
  // Refuses (DatabaseRefused) a database held by another process, a directory, a file that is
  // not a sandbox document, or a damaged one unless `repair`.
  const store = await openStore({ file: options.db, compactAtBytes: options.compactAtBytes, compactSliceBytes: options.compactSliceBytes, warn: log, repair: options.repair, fsync: options.fsync, summaries: STORE_SUMMARIES });
  // The sandbox's own clock keeps what tests advanced across restarts, so that it never stands
  // behind the orders and notify ladders of an earlier run; a clock handed in is the caller's.
  if (!options.clock) {
    clock.resume(store.get<number>('clock', 'advanced') ?? 0);
    clock.onAdvance = (ms) => void store.put('clock', 'advanced', ms).catch(() => {});
  }
  // A database of an earlier version holds notify attempts inside their jobs: moved first.
  await upgradeNotifyRecords(store).catch(async (err) => {
    await store.close();
    throw err;
  });
  const scenarios = new ScenarioBook(store);
  const notifier = new Notifier({ store, clock, merchants, scenarios, transport: options.notifyTransport, timeoutMs: options.notifyTimeoutMs, allowHosts: options.notifyAllow });
  const events = new EventHub();
  notifier.onAttempt((attempt) => events.size > 0 && events.emit({ type: 'notify', attempt }));
  const gateway = new Gateway({
    store,
    merchants,
    clock,
    scenarios,
    notifier,
    random: options.random,
    uniqueOutTradeNo: options.uniqueOutTradeNo,
    lenientSign: options.lenientSign,
    magicAmounts: options.magicAmounts,
    openidPage: options.openidPage,
    onSignError: (endpoint, debug) => log(`sign mismatch on /api/${endpoint}: ${debug}`),
    onOrder: (order) => events.size > 0 && events.emit({ type: 'order', order }),
  });
  let url = '';
  const callLog = new CallLog(options.callLogLimit ?? options.journalLimit);
  callLog.onCall((call) => events.size > 0 && events.emit({ type: 'call', call }));
  const admin = new Admin({ store, gateway, notifier, scenarios, callLog, events, clock });
  const host = options.host ?? '127.0.0.1';
  const controlToken = isLoopback(host) ? undefined : (options.controlToken ?? randomBytes(12).toString('hex'));
  const conformance = new ConformanceRuns({ gateway, clock, deadlineMs: options.conformanceDeadlineMs });
  const allowedHosts = [host, ...(options.allowedHosts ?? [])];
  const interception = new Interception({ ...options, db: store.file, host, log });
  const interceptionView = { caPem: () => interception.ca.certPem, info: (u: string) => interception.info(u) };
  const apiCall = createApiCall({ gateway, callLog, clock, url: () => url });
  const app = lazyApp({ gateway, apiCall, notifier, scenarios, clock, callLog, admin, events, conformance, controlToken, allowedHosts, url: () => url, log, interception: interceptionView });
  const handler = options.leanApi === false ? app : leanApi(apiCall, app, log);
  // Slow or stuck clients are cut off rather than holding sockets for ever; 16 KB of headers at most.
  const server: Server = createServer({ maxHeaderSize: 16 * 1024, headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 }, handler);
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
  try {
    for (const file of options.scenarios ?? []) await scenarios.load(readScenarioFile(file), basename(file));
  } catch (err) {
    server.close();
    await shutdown();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  url = `http://${hostForUrl(host)}:${port}`;
  store.listening(url);
  await interception.start(server, handler).catch(async (err) => {
    await interception.close();
    await new Promise((resolve) => server.close(resolve));
    await shutdown();
    throw err;
  });
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    merchant: DEFAULT_MERCHANT,
    get merchants() {
      return merchants.list();
    },
    db: store.file,
    controlToken,
    proxyUrl: interception.proxyUrl,
    httpsUrl: interception.httpsUrl,
    get ca() {
      return { certFile: interception.ca.certFile, pem: interception.ca.certPem };
    },
    interception: () => interception.info(url),
    clock,
    pay: (id, payer) => gateway.pay(id, payer),
    order: (id) => gateway.order(id),
    orders: (filter) => gateway.orders(filter),
    notifications: (id) => notifier.attempts(id),
    waitForNotify: (match, opts) => notifier.waitFor(toPredicate(match), opts?.timeout ?? 5000, typeof match === 'object' ? match.payjs_order_id : undefined),
    use: (rule) => scenarios.add(rule),
    useOn: async (id, tokens) => {
      const order = await gateway.useScenario(id, tokens);
      return { order, notify: notifier.job(id) ?? null };
    },
    load: async (file) => (typeof file === 'string' ? scenarios.load(readScenarioFile(file), basename(file)) : scenarios.load(file)),
    checkNotify: (target, opts) => conformance.run({ url: target, ...(opts?.mchid ? { mchid: opts.mchid } : {}) }, url),
    calls: (filter) => callLog.list(filter),
    seed: (seed) => admin.seed(seed, url),
    snapshot: () => admin.snapshot(clock.now()),
    restore: (snapshot) => admin.restore(snapshot),
    addMerchant: (m) => admin.addMerchant(m),
    reset: (filter) => admin.reset(filter),
    close: () =>
      (closing ??= (async () => {
        await interception.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await shutdown();
      })()),
  };
}
