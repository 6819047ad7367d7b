import type bodyParser from 'koa-bodyparser';
import type { Context, Middleware, Next } from 'koa';
import { Refusal } from '../core/errors.js';
import { lazy } from './lazy.js';
import { QS_OPTIONS } from './form-body.js';

const loadBodyParser = lazy(async () => (await import('koa-bodyparser')).default);

/** What one surface's bodies may be. */
export interface BodyOptions {
  /** The content types read: JSON, forms, or both. */
  types: ('json' | 'form')[];
  /** The most a body may hold, as koa-bodyparser writes it (`64kb`, `1mb`). */
  limit: string;
  /** Only objects and arrays at the top of a JSON body (default false: any JSON value, which the
   * route then refuses with its own message). */
  strict?: boolean;
  /** A form sent with `text/plain` (or no content type: some clients omit it) is still a form. */
  plainIsForm?: boolean;
  /** Keep the names qs would turn into objects or drop (`a.b`, `constructor`), so that a refusal
   * can name them. */
  flatNames?: boolean;
}

/** A limit as the refusal says it: `1 MB`, `64 KB`. */
const spoken = (limit: string) => limit.replace(/^(\d+)\s*(kb|mb)$/i, (_, n: string, unit: string) => `${n} ${unit.toUpperCase()}`);

/** What a body the parser could not read is refused with. */
export function toBodyError(err: Error & { status?: number; type?: string }, limit = '1mb'): Refusal {
  if (err.status === 413) return new Refusal('BODY_TOO_LARGE', [spoken(limit)]);
  if (err.type === 'encoding.unsupported' || err.status === 415) return new Refusal('BAD_BODY', ['unsupported content encoding; send plain UTF-8']);
  if (/prototype property/.test(err.message)) return new Refusal('INVALID_PARAM', ['__proto__', 'reserved name; remove it']);
  if (err instanceof SyntaxError || err.type === 'entity.parse.failed') return new Refusal('BAD_BODY', ['the JSON body does not parse; check quotes and commas']);
  return new Refusal('BAD_BODY', [err.message]);
}

/**
 * The one body parser of the HTTP app: koa-bodyparser, loaded on the first body, with the limit
 * and types of the surface that asks, and one way to refuse what it cannot read (a Refusal:
 * the envelope on /api, `{ error, message }` with a 4xx elsewhere).
 */
export function bodyParserFor(options: BodyOptions): Middleware {
  const { types, limit } = options;
  const settings: bodyParser.Options = {
    enableTypes: types,
    jsonLimit: limit,
    formLimit: limit,
    strict: options.strict ?? false,
    ...(options.flatNames ? ({ queryString: QS_OPTIONS } as bodyParser.Options) : {}),
    ...(options.plainIsForm ? { extendTypes: { form: ['application/x-www-form-urlencoded', 'text/plain'] } } : {}),
    onerror: (err: Error & { status?: number; type?: string }) => {
      throw toBodyError(err, limit);
    },
  };
  let parse: Middleware | undefined;
  return async (ctx: Context, next: Next) => {
    // Without a Content-Type koa-bodyparser reads nothing and sets the body to {}: so do we, without
    // loading it (~60 modules) for the GETs of the pages, the dashboard and the control API.
    if (ctx.request.body === undefined && !ctx.get('content-type')) {
      ctx.request.body = {};
      return next();
    }
    parse ??= (await loadBodyParser())(settings) as unknown as Middleware;
    await parse(ctx, next);
  };
}
