import type { NotifyError } from '../core/notify.js';
import { NOTIFY_TIMEOUT_MS } from '../core/protocol.js';
import type { Dispatcher } from 'undici';

/** What one POST to a notify_url came to: an answer, or a failure of the outside world. */
export interface Delivery {
  status?: number;
  response?: string;
  ms: number;
  error?: NotifyError;
  detail?: string;
}

/** Posts a form body to a URL; never throws. */
export type NotifyTransport = (url: string, body: string) => Promise<Delivery>;

const RESPONSE_LIMIT = 2048;
const HEADERS = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'payjs-sandbox' };

type Undici = typeof import('undici');
let undici: Promise<Undici> | undefined;

/** Connections per merchant origin: attempts beyond them wait in undici's queue, unsent. */
const CONNECTIONS = 256;

/** The reason an attempt is aborted when the merchant's time is up. */
class Deadline extends Error {}

/**
 * Notifies over undici's keep-alive pool (measured: 8,000–10,000 notifies/s against ~2,000 for
 * global fetch), loaded on the first notify so that it costs nothing at start. Each attempt is one
 * `dispatch` with a handler of its own rather than `request()`: no response stream, no
 * AbortSignal, no queue of ours — half the CPU per attempt (measured ~90 against ~200 µs, see
 * docs/benchmarks.md). The merchant's 3 s (docs/protocol.md §14) cover connecting, the request
 * and the whole answer, body included — but not the wait behind 10,000 payments made at once: an
 * attempt that finds the origin's connections all taken waits in undici's queue, and its 3 s start
 * when undici writes it to a connection (onRequestStart), which is then one already open.
 */
export function createHttpTransport(timeoutMs = NOTIFY_TIMEOUT_MS, allow?: readonly string[]): NotifyTransport & { close(): Promise<void> } {
  const allowed = allow && allow.length > 0 ? hostMatcher(allow) : () => true;
  let agent: InstanceType<Undici['Agent']> | undefined;
  /** Attempts on their way per origin: past CONNECTIONS, the next one waits in undici's queue. */
  const inflight = new Map<string, number>();
  /** The last notify_url and where it leads: most attempts go to the URL of the one before. */
  let last: { url: string; route: Route } | undefined;
  const transport = async (url: string, body: string): Promise<Delivery> => {
    if (last?.url !== url) last = { url, route: routeOf(url, allowed) };
    const { route } = last;
    if ('refused' in route) return { ...route.refused };
    if (!agent) {
      // undici's CommonJS exports, as Node's ES loader and a bundle (the CLI's) both give them.
      const lib = await (undici ??= import('undici').then((m) => ((m as { default?: Undici }).default ?? m) as Undici));
      // Connecting has the merchant's time too (a host that never accepts is a timeout after 3 s).
      agent ??= new lib.Agent({ keepAliveTimeout: 4000, connections: CONNECTIONS, connect: { timeout: timeoutMs } });
    }
    const { origin } = route;
    const before = inflight.get(origin) ?? 0;
    inflight.set(origin, before + 1);
    try {
      return await post(agent, route, body, timeoutMs, before < CONNECTIONS);
    } finally {
      const left = inflight.get(origin)! - 1;
      if (left === 0) inflight.delete(origin);
      else inflight.set(origin, left);
    }
  };
  return Object.assign(transport, { close: async () => void (await agent?.close()) });
}

/** Where a notify_url leads (its origin, and its path with the query, as undici.request() takes a
 * URL), or why no attempt goes there. */
type Route = { origin: string; path: string } | { refused: Delivery };

function routeOf(url: string, allowed: (target: URL) => boolean): Route {
  let target: URL;
  try {
    target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`${target.protocol} is not http(s)`);
  } catch (err) {
    return { refused: { ms: 0, error: 'invalid-url', detail: `notify_url is not an http(s) URL: ${(err as Error).message}` } };
  }
  if (!allowed(target)) return { refused: { ms: 0, error: 'blocked', detail: `${target.host} is not among the hosts notifies may reach (--notify-allow)` } };
  return { origin: target.origin, path: target.search ? `${target.pathname}${target.search}` : target.pathname };
}

/** One POST through `dispatcher`: its status and the first 2 KB of its answer, or what failed.
 * `fresh`: a connection is free or may be opened, so the merchant's time runs from now, connecting
 * included; otherwise from when undici writes the request to a connection. */
function post(dispatcher: Dispatcher, target: { origin: string; path: string }, body: string, timeoutMs: number, fresh: boolean): Promise<Delivery> {
  return new Promise((resolve) => {
    const dispatched = performance.now();
    let started = dispatched;
    let timer: NodeJS.Timeout | undefined;
    let status = 0;
    const chunks: Buffer[] = [];
    let size = 0;
    let cut = false;
    const ms = () => Math.round((performance.now() - started) * 100) / 100;
    const answered = () => {
      clearTimeout(timer);
      const response = Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_LIMIT);
      resolve(status === 200 ? { status, response, ms: ms() } : { status, response, ms: ms(), error: 'status', detail: `HTTP ${status}` });
    };
    dispatcher.dispatch({ origin: target.origin, path: target.path, method: 'POST', body, headers: HEADERS }, {
      onRequestStart(controller) {
        const now = performance.now();
        started = fresh ? dispatched : now;
        clearTimeout(timer);
        // What connecting left of the merchant's time (undici's connect timeout caps connecting
        // itself at the whole of it). Unref'd, as AbortSignal.timeout's: the deadline alone does
        // not keep a process alive.
        timer = setTimeout(() => controller.abort(new Deadline()), Math.max(0, timeoutMs - (now - started))).unref();
      },
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData(controller, chunk) {
        chunks.push(chunk);
        size += chunk.length;
        // Enough of the answer for the record: the rest is not read (a 50 MB answer costs 2 KB).
        if (size >= RESPONSE_LIMIT && !cut) {
          cut = true;
          controller.abort(new Error('answer cut at 2 KB'));
        }
      },
      onResponseEnd: answered,
      onResponseError(_controller, err) {
        if (cut) return answered();
        clearTimeout(timer);
        resolve({ ms: ms(), ...classify(err, err instanceof Deadline, timeoutMs) });
      },
    });
  });
}

/** Matches a URL against `host`, `host:port` or `*.domain` patterns. */
export function hostMatcher(patterns: readonly string[]): (url: URL) => boolean {
  const rules = patterns.map((p) => p.trim().toLowerCase()).filter(Boolean);
  return (url) => {
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const withPort = `${host}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
    return rules.some((r) => {
      const bare = r.replace(/^\[|\](?=:|$)/g, '');
      if (bare.startsWith('*.')) return host.endsWith(bare.slice(1));
      return bare === host || bare === withPort;
    });
  };
}

function classify(err: unknown, timedOut: boolean, timeoutMs: number): { error: NotifyError; detail: string } {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const detail = `${code ? `${code}: ` : ''}${e?.message ?? String(err)}`.slice(0, 300);
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return { error: 'timeout', detail: `no answer within ${timeoutMs / 1000} s` };
  if (code === 'ECONNREFUSED') return { error: 'refused', detail };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { error: 'reset', detail };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { error: 'dns', detail };
  if (code === 'ERR_INVALID_URL' || code === 'UND_ERR_INVALID_ARG') return { error: 'invalid-url', detail };
  return { error: 'other', detail };
}
