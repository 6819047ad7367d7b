import { isIP } from 'node:net';
import type { Context, Middleware, Next } from 'koa';
import { isControlPath } from './control-token.js';

/** Methods that change nothing: a cross-site page cannot read their answers (no CORS headers). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The name of a Host header, without its port and brackets, lower-cased. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  return h.replace(/:\d*$/, '');
}

/**
 * Guards the control API and the dashboard against other web pages, as webpack-dev-server and
 * Vite guard theirs:
 * - DNS rebinding: a page on `rebind.attacker.example` that re-points its name at 127.0.0.1
 *   sends that name as Host. Only loopback names, IP literals (a rebinding needs a name) and
 *   the names the user allowed (`--host`, `--allowed-host`) are answered; others get a 403.
 * - Cross-site requests: any page can POST a form or a no-cors fetch to 127.0.0.1. A
 *   state-changing call whose `Origin` is not the sandbox's own, or that the browser marks
 *   `Sec-Fetch-Site: cross-site`, is refused with a 403. Clients that are not browsers send
 *   neither header and are unaffected.
 * The PAYJS API, the pay pages and QR images answer any Host: clients reach them under many names.
 */
export function guardControl(allowedHosts: readonly string[]): Middleware {
  const allowed = new Set(['localhost', ...allowedHosts.map(hostName)]);
  const hostAllowed = (name: string) => allowed.has(name) || name.endsWith('.localhost') || isIP(name) !== 0;
  return async (ctx: Context, next: Next) => {
    if (!isControlPath(ctx.path)) return next();
    const host = ctx.get('host');
    if (host && !hostAllowed(hostName(host))) {
      return refuse(ctx, 'FORBIDDEN_HOST', `this sandbox does not answer the control API or the dashboard under the name "${hostName(host).slice(0, 80)}" (a DNS-rebinding page would use such a name): open it as localhost or 127.0.0.1, or start it with --allowed-host ${hostName(host).slice(0, 80)}`);
    }
    if (!SAFE_METHODS.has(ctx.method)) {
      const origin = ctx.get('origin');
      const own = host ? `${ctx.protocol}://${host}`.toLowerCase() : undefined;
      const crossOrigin = origin !== '' && origin.toLowerCase() !== own;
      if (crossOrigin || ctx.get('sec-fetch-site') === 'cross-site') {
        return refuse(ctx, 'CROSS_SITE', `a page from ${origin || 'another site'} may not change this sandbox: control calls are taken from the dashboard, from tests and from tools that are not browsers`);
      }
    }
    await next();
  };
}

function refuse(ctx: Context, error: string, message: string): void {
  ctx.status = 403;
  if (ctx.path.startsWith('/__sandbox')) ctx.body = { error, message };
  else {
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = `403 ${error}: ${message}\n`;
  }
}
