import { timingSafeEqual } from 'node:crypto';
import type { Context, Middleware, Next } from 'koa';

/** The cookie that carries the control token for the dashboard once it was given in the URL. */
const COOKIE = 'payjs_sandbox_token';

/** Paths that need the token: the control API and the dashboard. The PAYJS surface and the pay
 * pages stay open, since phones and merchant servers must reach them. */
export const isControlPath = (path: string) => path === '/' || path.startsWith('/__sandbox') || path.startsWith('/dashboard');

const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * When the sandbox is bound to an interface other than loopback, the control API and the
 * dashboard answer only with the token the banner prints: in the `X-Sandbox-Token` header, as
 * `Authorization: Bearer …`, as `?token=` (which also sets a cookie for the dashboard), or the cookie.
 */
export function requireControlToken(token: string): Middleware {
  return async (ctx: Context, next: Next) => {
    if (!isControlPath(ctx.path)) return next();
    const bearer = /^Bearer (.+)$/.exec(ctx.get('authorization'))?.[1];
    const fromQuery = typeof ctx.query.token === 'string' ? ctx.query.token : undefined;
    const given = ctx.get('x-sandbox-token') || bearer || fromQuery || ctx.cookies.get(COOKIE) || '';
    if (!same(given, token)) {
      ctx.status = 401;
      ctx.body = { error: 'UNAUTHORIZED', message: 'this sandbox listens beyond loopback: send the control token the banner printed (X-Sandbox-Token header, or ?token= for the dashboard)' };
      return;
    }
    if (fromQuery) ctx.cookies.set(COOKIE, token, { httpOnly: true, sameSite: 'strict', overwrite: true });
    await next();
  };
}

/** Whether a host is loopback only (no token needed there). */
export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);
