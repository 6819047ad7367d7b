import type busboy from 'busboy';
import type bodyParser from 'koa-bodyparser';
import { bodyParserOnFirstUse, loadBusboy } from './lazy.js';
import type { Context, Middleware, Next } from 'koa';
import { BODY_LIMIT_BYTES, QS_OPTIONS, isPlainForm, parseForm, readText } from './form-body.js';
import { PayjsError } from '../core/errors.js';
import type { Params } from '../core/sign.js';
import { refuseDeep } from './depth.js';

/** How a request carried its parameters. */
export type Transport = 'query' | 'form' | 'json' | 'multipart';

export { BODY_LIMIT_BYTES } from './form-body.js';
const BODY_LIMIT = '1mb';

declare module 'koa' {
  interface DefaultState {
    /** One parameter map: query ∪ body, the body winning (payjs-api.md §2.1). */
    params: Params;
    transport: Transport;
  }
}

const parseJsonAndForm = bodyParserOnFirstUse({
  enableTypes: ['json', 'form'],
  jsonLimit: BODY_LIMIT,
  formLimit: BODY_LIMIT,
  strict: false,
  queryString: QS_OPTIONS,
  // A form sent without a content type is still a form (some clients omit the header).
  extendTypes: { form: ['application/x-www-form-urlencoded', 'text/plain'] },
  onerror: (err: Error & { status?: number; type?: string }) => {
    throw toBodyError(err);
  },
} as bodyParser.Options);

export function toBodyError(err: Error & { status?: number; type?: string }): PayjsError {
  if (err.status === 413) return new PayjsError('BODY_TOO_LARGE', ['1 MB']);
  if (err.type === 'encoding.unsupported' || err.status === 415) return new PayjsError('BAD_BODY', ['unsupported content encoding; send plain UTF-8']);
  if (/prototype property/.test(err.message)) return new PayjsError('INVALID_PARAM', ['__proto__', 'reserved name; remove it']);
  if (err instanceof SyntaxError || err.type === 'entity.parse.failed') return new PayjsError('BAD_BODY', ['the JSON body does not parse; check quotes and commas']);
  return new PayjsError('BAD_BODY', [err.message]);
}

/** Reads a multipart/form-data body (what PHP's curl sends for an array) into fields. */
async function readMultipart(ctx: Context): Promise<Params> {
  const busboy = await loadBusboy();
  return new Promise((resolve, reject) => {
    const fields: Params = Object.create(null);
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: ctx.req.headers, limits: { fieldSize: BODY_LIMIT_BYTES, fields: 1000, files: 0, parts: 1000 }, defParamCharset: 'utf8' });
    } catch (err) {
      reject(new PayjsError('BAD_BODY', [`multipart body: ${(err as Error).message}`]));
      return;
    }
    let size = 0;
    const fail = (e: PayjsError) => {
      ctx.req.unpipe(bb);
      ctx.req.resume();
      reject(e);
    };
    ctx.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) fail(new PayjsError('BODY_TOO_LARGE', ['1 MB']));
    });
    bb.on('field', (name, value) => {
      const prev = fields[name];
      fields[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev as string, value];
    });
    bb.on('file', (_name, stream) => {
      stream.resume();
      fail(new PayjsError('BAD_BODY', ['file parts are not accepted; send text fields only']));
    });
    bb.on('filesLimit', () => fail(new PayjsError('BAD_BODY', ['file parts are not accepted; send text fields only'])));
    bb.on('error', (err: Error) => fail(new PayjsError('BAD_BODY', [`multipart body: ${err.message}`])));
    bb.on('close', () => resolve(fields));
    ctx.req.pipe(bb);
  });
}

/** Builds `ctx.state.params` from the query string and any body, and notes the transport. */
export const parseParams: Middleware = async (ctx: Context, next: Next) => {
  let body: unknown = {};
  let transport: Transport = 'query';
  if (ctx.is('multipart/form-data')) {
    body = await readMultipart(ctx);
    transport = 'multipart';
  } else if ((ctx.request.length !== 0 || ctx.get('transfer-encoding')) && isPlainForm(ctx.req.headers)) {
    body = parseForm(await readText(ctx.req));
    transport = 'form';
  } else if (ctx.request.length !== 0 || ctx.get('transfer-encoding')) {
    await parseJsonAndForm(ctx, async () => {});
    body = ctx.request.body ?? {};
    transport = ctx.is('json') ? 'json' : 'form';
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new PayjsError('BAD_BODY', ['the body must be a JSON object or form fields']);
  }
  refuseDeep(body, 8, 'the request');
  const params: Params = Object.create(null);
  for (const [k, v] of Object.entries(ctx.query)) params[k] = v;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) params[k] = v as Params[string];
  if (Object.keys(body).length === 0) transport = 'query';
  ctx.state.params = params;
  ctx.state.transport = transport;
  await next();
};
