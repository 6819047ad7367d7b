import type { NotifyError } from '../core/notify.js';
import { NOTIFY_TIMEOUT_MS } from '../core/protocol.js';
import pLimit from 'p-limit';

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

type Undici = typeof import('undici');
let undici: Promise<Undici> | undefined;

/** undici's keep-alive pool (measured: 8,000–10,000 notifies/s against ~2,000 for global fetch),
 * loaded on the first notify so that it costs nothing at start. */
/** Connections per merchant origin, and attempts on the wire at once. */
const CONNECTIONS = 256;

export function createHttpTransport(timeoutMs = NOTIFY_TIMEOUT_MS, allow?: readonly string[]): NotifyTransport & { close(): Promise<void> } {
  const allowed = allow && allow.length > 0 ? hostMatcher(allow) : () => true;
  let agent: InstanceType<Undici['Agent']> | undefined;
  // At most CONNECTIONS attempts are on the wire at once, the others wait here: the merchant's
  // 3 s (docs/protocol.md §14) start when its request goes out, not while it waits behind 10,000
  // payments made at once (which then timed out inside the sandbox and were retried).
  const slots = pLimit(CONNECTIONS);
  const transport = async (url: string, body: string): Promise<Delivery> => {
    let target: URL;
    try {
      target = new URL(url);
      if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`${target.protocol} is not http(s)`);
    } catch (err) {
      return { ms: 0, error: 'invalid-url', detail: `notify_url is not an http(s) URL: ${(err as Error).message}` };
    }
    if (!allowed(target)) return { ms: 0, error: 'blocked', detail: `${target.host} is not among the hosts notifies may reach (--notify-allow)` };
    // undici's CommonJS exports, as Node's ES loader and a bundle (the CLI's) both give them.
    const lib = await (undici ??= import('undici').then((m) => ((m as { default?: Undici }).default ?? m) as Undici));
    agent ??= new lib.Agent({ keepAliveTimeout: 4000, connections: CONNECTIONS });
    const pool = agent;
    return slots(() => send(lib, pool, target, body));
  };
  const send = async (lib: Undici, pool: InstanceType<Undici['Agent']>, target: URL, body: string): Promise<Delivery> => {
    const started = performance.now();
    const ms = () => Math.round((performance.now() - started) * 100) / 100;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const res = await lib.request(target, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'payjs-sandbox' },
        dispatcher: pool,
        signal,
      });
      const response = await readLimited(res.body);
      return { status: res.statusCode, response, ms: ms(), ...(res.statusCode === 200 ? {} : { error: 'status' as const, detail: `HTTP ${res.statusCode}` }) };
    } catch (err) {
      return { ms: ms(), ...classify(err, signal.aborted, timeoutMs) };
    }
  };
  return Object.assign(transport, { close: async () => void (await agent?.close()) });
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

async function readLimited(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_LIMIT) {
      body.destroy?.();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, RESPONSE_LIMIT);
}

function classify(err: unknown, timedOut: boolean, timeoutMs: number): { error: NotifyError; detail: string } {
  const e = err as { code?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const detail = `${code ? `${code}: ` : ''}${e?.message ?? String(err)}`.slice(0, 300);
  if (timedOut || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { error: 'timeout', detail: `no answer within ${timeoutMs / 1000} s` };
  if (code === 'ECONNREFUSED') return { error: 'refused', detail };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return { error: 'reset', detail };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { error: 'dns', detail };
  if (code === 'ERR_INVALID_URL' || code === 'UND_ERR_INVALID_ARG') return { error: 'invalid-url', detail };
  return { error: 'other', detail };
}
