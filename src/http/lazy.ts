import type bodyParser from 'koa-bodyparser';
import type { Middleware } from 'koa';

type BodyParserOptions = bodyParser.Options;

/** A module loaded on first use, once: libraries only some requests need (EJS for pages, the QR
 * encoder, the multipart parser, the OpenAPI data) stay out of the start-up time. */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}

export const loadEjs = lazy(async () => (await import('ejs')).default);
export const loadQrcode = lazy(async () => (await import('qrcode')).default);
export const loadBusboy = lazy(async () => (await import('busboy')).default);
const loadBodyParser = lazy(async () => (await import('koa-bodyparser')).default);

/** koa-bodyparser (with co-body, raw-body, qs, iconv-lite: a quarter of the start-up's imports)
 * loaded by the first request that needs it. */
export function bodyParserOnFirstUse(options: BodyParserOptions): Middleware {
  let parser: Middleware | undefined;
  return async (ctx, next) => {
    parser ??= (await loadBodyParser())(options);
    return parser(ctx, next);
  };
}
