import type busboy from 'busboy';
import { loadBusboy } from './lazy.js';
import { bodyParserFor } from './body-parser.js';
import type { Context } from 'koa';
import { Refusal } from '../core/errors.js';
import { BODY_LIMIT_BYTES, isPlainForm, parseForm, readText } from './form-body.js';
import type { Params } from '../core/sign.js';
import { refuseDeep } from './depth.js';

import type { Transport } from '../app/api-call.js';

export { BODY_LIMIT_BYTES } from './form-body.js';
const BODY_LIMIT = '1mb';

// qs would read `a.b=1` as an object (PAYJS names have no dots), and would silently drop names
// like `constructor`: keep them, so that the refusal names them.
const parseJsonAndForm = bodyParserFor({ types: ['json', 'form'], limit: BODY_LIMIT, plainIsForm: true, flatNames: true });

/** Reads a multipart/form-data body (what PHP's curl sends for an array) into fields. */
async function readMultipart(ctx: Context): Promise<Params> {
  const busboy = await loadBusboy();
  return new Promise((resolve, reject) => {
    const fields: Params = Object.create(null);
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: ctx.req.headers, limits: { fieldSize: BODY_LIMIT_BYTES, fields: 1000, files: 0, parts: 1000 }, defParamCharset: 'utf8' });
    } catch (err) {
      reject(new Refusal('BAD_BODY', [`multipart body: ${(err as Error).message}`]));
      return;
    }
    let size = 0;
    const fail = (e: Refusal) => {
      ctx.req.unpipe(bb);
      ctx.req.resume();
      reject(e);
    };
    ctx.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) fail(new Refusal('BODY_TOO_LARGE', ['1 MB']));
    });
    bb.on('field', (name, value) => {
      const prev = fields[name];
      fields[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev as string, value];
    });
    bb.on('file', (_name, stream) => {
      stream.resume();
      fail(new Refusal('BAD_BODY', ['file parts are not accepted; send text fields only']));
    });
    bb.on('filesLimit', () => fail(new Refusal('BAD_BODY', ['file parts are not accepted; send text fields only'])));
    bb.on('error', (err: Error) => fail(new Refusal('BAD_BODY', [`multipart body: ${err.message}`])));
    bb.on('close', () => resolve(fields));
    ctx.req.pipe(bb);
  });
}

/** One parameter map from the query string and any body: query ∪ body, the body winning
 * (docs/protocol.md §2.1), and how they came. */
export async function readParams(ctx: Context): Promise<{ params: Params; via: Transport }> {
  let body: unknown = {};
  let via: Transport = 'query';
  if (ctx.is('multipart/form-data')) {
    body = await readMultipart(ctx);
    via = 'multipart';
  } else if ((ctx.request.length !== 0 || ctx.get('transfer-encoding')) && isPlainForm(ctx.req.headers)) {
    body = parseForm(await readText(ctx.req));
    via = 'form';
  } else if (ctx.request.length !== 0 || ctx.get('transfer-encoding')) {
    await parseJsonAndForm(ctx, async () => {});
    body = ctx.request.body ?? {};
    via = ctx.is('json') ? 'json' : 'form';
  }
  return collectParams(ctx.query, body, via);
}

/** The parameters of a call from its query (as koa's ctx.query reads it)
 * and its body as read: every transport of the PAYJS surface ends here. */
export function collectParams(query: Record<string, unknown>, body: unknown, via: Transport): { params: Params; via: Transport } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new Refusal('BAD_BODY', ['the body must be a JSON object or form fields']);
  }
  refuseDeep(body, 8, 'the request');
  const fields = Object.keys(body);
  const queried = Object.keys(query);
  // A body read into a null-prototype object (a form's) with no query is already the map.
  if (queried.length === 0 && Object.getPrototypeOf(body) === null) return { params: body as Params, via: fields.length === 0 ? 'query' : via };
  const params: Params = Object.create(null);
  for (const k of queried) params[k] = query[k] as Params[string];
  for (const k of fields) params[k] = (body as Record<string, unknown>)[k] as Params[string];
  return { params, via: fields.length === 0 ? 'query' : via };
}
