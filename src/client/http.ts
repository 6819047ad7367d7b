/** How the client talks to the control API: JSON over fetch, refusals turned into thrown errors. */

/** A refusal of the control API: the message is the server's; `code` is its `error` field. */
export class SandboxRequestError extends Error {
  /** The HTTP status, e.g. 404 or 409. */
  readonly status: number;
  /** The server's error code, e.g. `ORDER_NOT_FOUND`, `ORDER_PAID`, `TIMEOUT`. */
  readonly code: string;
  /** `METHOD /__sandbox/…` of the call that was refused. */
  readonly request: string;
  /** The whole answer body. */
  readonly body: unknown;

  constructor(message: string, details: { status: number; code: string; request: string; body: unknown }) {
    super(message);
    this.name = 'SandboxRequestError';
    this.status = details.status;
    this.code = details.code;
    this.request = details.request;
    this.body = details.body;
  }
}

/** Where the control API is, and how to reach it. */
export interface ControlHttpOptions {
  /** The sandbox's base URL, e.g. `http://127.0.0.1:3000`. */
  url: string;
  token?: string;
  fetch: typeof globalThis.fetch;
}

type Query = Record<string, string | number | boolean | undefined>;

/** One control call: `path` is below `/__sandbox`. Answers the parsed JSON body of a 2xx. */
export type ControlCall = <T>(method: string, path: string, options?: { query?: Query; body?: unknown; timeoutMs?: number }) => Promise<T>;

/** A control-API caller bound to one sandbox. */
export function controlHttp({ url, token, fetch }: ControlHttpOptions): ControlCall {
  return async <T>(method: string, path: string, options: { query?: Query; body?: unknown; timeoutMs?: number } = {}) => {
    const target = new URL(`/__sandbox${path}`, url);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined && v !== '') target.searchParams.set(k, String(v));
    const request = `${method} ${target.pathname}${target.search}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers['x-sandbox-token'] = token;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(target, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new Error(`payjs-sandbox client: ${request} could not reach ${url} (${cause}); is the sandbox running there? (npx payjs-sandbox --port 0 --memory prints its URL)`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      throw new Error(`payjs-sandbox client: ${request} answered HTTP ${res.status} with something that is not JSON: ${text.slice(0, 200)}; is ${url} a payjs-sandbox?`);
    }
    if (!res.ok) {
      const refusal = (body ?? {}) as { error?: string; message?: string };
      throw new SandboxRequestError(refusal.message ?? `HTTP ${res.status} on ${request}`, { status: res.status, code: refusal.error ?? `HTTP_${res.status}`, request, body });
    }
    return body as T;
  };
}
