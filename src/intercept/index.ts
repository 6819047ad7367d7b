/**
 * `payjs-sandbox/intercept`: inside a Node process, every request to the PAYJS hosts, made with
 * node:http / node:https (axios, got, superagent, needle…), the global fetch or the npm `undici`
 * package (its `request`, `fetch`, `stream`: dispatcher.ts), goes to the sandbox instead; every
 * other host is untouched. No proxy, no CA.
 *
 *   import { interceptPayjs } from 'payjs-sandbox/intercept';
 *   const stop = interceptPayjs(sandbox);   // or interceptPayjs('http://127.0.0.1:3000')
 *   // … code that calls https://payjs.cn/api/native unmodified …
 *   stop();
 *
 * Built on @mswjs/interceptors (what msw uses): it patches the request modules in one tested
 * place; the answer is the sandbox's real one, fetched with undici, which it does not patch. The
 * npm undici package is not patched by it either: its calls are redirected in its dispatcher.
 */
import { BatchInterceptor } from '@mswjs/interceptors';
import { ClientRequestInterceptor } from '@mswjs/interceptors/ClientRequest';
import { FetchInterceptor } from '@mswjs/interceptors/fetch';
import { request as undiciRequest } from 'undici';
import { INTERCEPTOR_HEADER } from '../http/arrival.js';
import { interceptedHosts } from '../proxy/hosts.js';
import { redirectUndici } from './dispatcher.js';

export { PAYJS_HOSTS } from '../proxy/hosts.js';

export interface InterceptOptions {
  /** PAYJS-compatible hosts to redirect besides payjs.cn and www.payjs.cn. */
  hosts?: string[];
}

/** Headers that belong to one connection, not to the answer. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host', 'content-length']);
/** Statuses whose answer has no body (a Response refuses one). */
const BODILESS = new Set([101, 204, 205, 304]);

/** Where one interception sends its hosts. */
interface Route {
  base: URL;
  hosts: readonly string[];
}

/**
 * Every interception running in this process, newest last: one request interceptor and one
 * undici redirect serve them all, the newest route of a host winning. (Interceptors of
 * @mswjs/interceptors of one kind share one patch of the request modules: with one per
 * interception, stopping the second before the first left the modules patched for good.)
 */
const routes: Route[] = [];
let running: (() => void) | undefined;

/** The sandbox a host goes to now, if any. */
function routeOf(hostname: string): URL | undefined {
  const host = hostname.toLowerCase();
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i].hosts.includes(host)) return routes[i].base;
  return undefined;
}

/** Patches the request modules and the undici dispatcher once, for every route; returns the undo. */
function start(): () => void {
  const interceptor = new BatchInterceptor({ name: 'payjs-sandbox', interceptors: [new ClientRequestInterceptor(), new FetchInterceptor()] });
  interceptor.on('request', async ({ request, controller }) => {
    const url = new URL(request.url);
    const base = routeOf(url.hostname);
    if (!base) return; // every other host goes out as it would
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      if (!HOP.has(name) && !name.startsWith('x-interceptors-')) headers[name] = value;
    });
    headers[INTERCEPTOR_HEADER] = 'interceptor';
    headers['x-forwarded-host'] = url.host;
    const body = request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.from(await request.arrayBuffer());
    try {
      const answer = await undiciRequest(new URL(`${url.pathname}${url.search}`, base), { method: request.method as 'GET', headers, body });
      const out = new Headers();
      for (const [name, value] of Object.entries(answer.headers)) {
        if (HOP.has(name) || value === undefined) continue;
        for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
      }
      const bytes = Buffer.from(await answer.body.arrayBuffer());
      controller.respondWith(new Response(BODILESS.has(answer.statusCode) || request.method === 'HEAD' ? null : bytes, { status: answer.statusCode, headers: out }));
    } catch (err) {
      controller.errorWith(new Error(`payjs-sandbox/intercept: ${request.method} ${request.url} was meant for the sandbox at ${base.origin}, which did not answer (${(err as Error).message}); is it running?`));
    }
  });
  interceptor.apply();
  const restoreUndici = redirectUndici(routeOf);
  return () => {
    interceptor.dispose();
    restoreUndici();
  };
}

/**
 * Sends the process's requests to the PAYJS hosts to the sandbox (an in-process `Sandbox`, or a
 * running one's URL); returns `stop()`, which restores the request modules once no interception
 * is left. Several may run at once and stop in any order; a host goes to the newest one's sandbox.
 */
export function interceptPayjs(sandbox: { url: string } | string, options: InterceptOptions = {}): () => void {
  const base = new URL(typeof sandbox === 'string' ? sandbox : sandbox.url);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`interceptPayjs(): the sandbox URL must be http:// or https://, not "${base.href}"`);
  const route: Route = { base, hosts: interceptedHosts(options.hosts) };
  routes.push(route);
  running ??= start();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    routes.splice(routes.indexOf(route), 1);
    if (routes.length > 0) return;
    running?.();
    running = undefined;
  };
}
