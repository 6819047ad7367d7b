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

/** A dispatcher redirectUndici installed: what it wraps, whether it still redirects, and the
 * agent it made for itself, if any. */
interface Redirect {
  previous: Dispatcher;
  live: boolean;
  own?: Agent;
}
const installed = new WeakMap<Dispatcher, Redirect>();

/**
 * Redirects the undici dispatches to the hosts `route` names a sandbox for — the npm `undici` package's `request`,
 * `fetch`, `stream` and `Pool`-less calls, which go through the process's global dispatcher
 * (shared with Node's own fetch by undici's global symbol) — to that sandbox. It wraps whatever
 * dispatcher is installed (undici's `compose`), so an app's own agent options still apply to every
 * other host; returns `restore()`. An app that installs its own global dispatcher afterwards, or
 * passes `dispatcher` per request, takes those calls out of interception.
 *
 * Restores may come in any order: a redirect stopped while another one wraps it stays in that
 * chain passing every dispatch through, and the last restore puts back the dispatcher that was
 * there before the first (the very object, not an equivalent).
 */
export function redirectUndici(route: (hostname: string) => URL | undefined): () => void {
  const previous = getGlobalDispatcher();
  // An agent of our own under a dispatcher that cannot compose (an undici older than 6.20): closed
  // once nothing uses it.
  const own = typeof previous.compose === 'function' ? undefined : new Agent();
  const state: Redirect = { previous, live: true, own };
  const redirect: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (opts, handler) => {
    const origin = !state.live || opts.origin === undefined ? undefined : new URL(String(opts.origin));
    const base = origin && route(origin.hostname);
    if (!base) return dispatch(opts, handler);
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
  const mine = (own ?? previous).compose(redirect);
  installed.set(mine, state);
  setGlobalDispatcher(mine);
  return () => {
    if (!state.live) return;
    state.live = false;
    if (getGlobalDispatcher() !== mine) return; // another redirect (or the app) wraps this one
    // Put back what was there before, skipping redirects already stopped beneath this one; the
    // agents of those skipped are used by nothing now.
    const unused = [state];
    let back = state.previous;
    for (let under = installed.get(back); under && !under.live; under = installed.get(back)) {
      unused.push(under);
      back = under.previous;
    }
    setGlobalDispatcher(back);
    for (const s of unused) void s.own?.close();
  };
}
