import type { Context, Middleware, Next } from 'koa';
import { Refusal, type ErrorCode } from '../core/errors.js';
import { asciiHeader, refusal } from '../app/api-call.js';
import { INTERNAL_ERROR } from './internal-error.js';

/** The PAYJS surface answers failures with HTTP 200 and the envelope; other paths with a 4xx. */
export const isPayjsPath = (path: string) => path.startsWith('/api/');

/** HTTP status of each refusal on the control API and the pages; the PAYJS surface always answers 200. */
const CONTROL_STATUS: Record<ErrorCode, number> = {
  MISSING_PARAM: 400, INVALID_PARAM: 400, PARAM_TOO_LONG: 400, BAD_AMOUNT: 400, UNKNOWN_MCHID: 404,
  SIGN_MISSING: 400, SIGN_ERROR: 400, ORDER_NOT_FOUND: 404, ORDER_PAID: 409, ORDER_CLOSED: 409,
  ORDER_REFUNDED: 409, ORDER_UNPAID: 409, ORDER_TOO_OLD: 409, DUPLICATE_OUT_TRADE_NO: 409,
  BAD_BODY: 400, BODY_TOO_LARGE: 413, NOT_FOUND: 404, METHOD_NOT_ALLOWED: 405, UNKNOWN_SCENARIO: 400, STORAGE_FAILED: 500,
  PAYSIGN_ERROR: 400,
  CAMELCASE_FIELDS: 400,
  UNDEFINED_FIELDS: 400,
};

/** The errors of a database file that cannot be written (full or read-only disk, quota). */
const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EFBIG', 'EACCES', 'EPERM']);

/** Turns what koa or its body parser throws into a Refusal, or null for a bug of ours. */
export function asRefusal(err: unknown): Refusal | null {
  if (err instanceof Refusal) return err;
  const e = err as { status?: number; expose?: boolean; message?: string; code?: string };
  // A journal write that failed (the store took the change back): say so, not "a bug".
  if (typeof e?.code === 'string' && STORAGE_CODES.has(e.code)) return new Refusal('STORAGE_FAILED', [String(e.message)]);
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    return e.status === 413 ? new Refusal('BODY_TOO_LARGE', ['1 MB']) : new Refusal('BAD_BODY', [e.expose ? String(e.message) : 'the request could not be read']);
  }
  return null;
}

/** The one error boundary, first in the chain (koa's pattern). */
export function errorBoundary(log: (line: string) => void): Middleware {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
    } catch (err) {
      const e = asRefusal(err);
      if (!e) {
        log(`payjs-sandbox: internal error on ${ctx.method} ${ctx.path}: ${(err as Error)?.stack ?? String(err)}`);
        ctx.status = 500;
        ctx.body = { ...INTERNAL_ERROR };
        return;
      }
      if (isPayjsPath(ctx.path)) {
        const answer = refusal(e);
        ctx.status = answer.status;
        ctx.set(answer.headers);
        ctx.body = answer.body;
      } else {
        if (e.debug) ctx.set('X-Payjs-Sandbox-Debug', asciiHeader(e.debug));
        ctx.status = CONTROL_STATUS[e.code];
        ctx.body = { error: e.code, message: e.message };
      }
    }
  };
}
