import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';
import { INTERCEPTOR_HEADER } from '../http/arrival.js';

type Headers = Record<string, string | string[]>;

/** The headers of a dispatch, in any of the forms undici takes (object, flat array, pairs, iterable). */
function headerEntries(headers: Dispatcher.DispatchOptions['headers']): [string, string][] {
  if (headers == null) return [];
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) return (headers as unknown as [string, string][]).map(([k, v]) => [String(k), String(v)]);
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < headers.length; i += 2) out.push([String(headers[i]), String(headers[i + 1])]);
    return out;
  }
  if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') return [...(headers as Iterable<[string, string]>)].map(([k, v]) => [String(k), String(v)]);
  return Object.entries(headers as Record<string, string | string[] | undefined>).flatMap(([k, v]) => (v === undefined ? [] : Array.isArray(v) ? v.map((x): [string, string] => [k, String(x)]) : [[k, String(v)]]));
}

/**
 * Redirects the undici dispatches to the PAYJS hosts — the npm `undici` package's `request`,
 * `fetch`, `stream` and `Pool`-less calls, which go through the process's global dispatcher
 * (shared with Node's own fetch by undici's global symbol) — to the sandbox. It wraps whatever
 * dispatcher is installed (undici's `compose`), so an app's own agent options still apply to every
 * other host; returns `restore()`. An app that installs its own global dispatcher afterwards, or
 * passes `dispatcher` per request, takes those calls out of interception.
 */
export function redirectUndici(base: URL, hosts: readonly string[]): () => void {
  const previous = getGlobalDispatcher();
  const inner: Dispatcher = typeof previous.compose === 'function' ? previous : new Agent();
  const redirect: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
    const origin = opts.origin === undefined ? undefined : new URL(String(opts.origin));
    if (!origin || !hosts.includes(origin.hostname.toLowerCase())) return dispatch(opts, handler);
    const headers: Headers = {};
    for (const [name, value] of headerEntries(opts.headers)) {
      const k = name.toLowerCase();
      if (k === 'host') continue;
      const had = headers[k];
      headers[k] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
    }
    headers[INTERCEPTOR_HEADER] = 'interceptor';
    headers['x-forwarded-host'] = origin.host;
    return dispatch({ ...opts, origin: base.origin, headers }, handler);
  };
  setGlobalDispatcher(inner.compose(redirect));
  return () => setGlobalDispatcher(previous);
}
