import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { Refusal } from '../core/errors.js';
import type { Params } from '../core/sign.js';

/** The most a request body may hold; PAYJS requests are a few hundred bytes. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** How qs reads a form body, on every path (koa-bodyparser's and the sandbox's own reader):
 * qs would read `a.b=1` as an object (PAYJS names have no dots), and would silently drop names
 * like `constructor`: keep them, so that the refusal names them. */
export const QS_OPTIONS = { allowDots: false, parameterLimit: 1000, allowPrototypes: true, plainObjects: true } as const;

type Qs = typeof import('qs');
let qs: Qs | undefined;
// qs and its dependencies (side-channel, get-intrinsic, …) load only for a form that needs them.
const loadQs = (): Qs => (qs ??= createRequire(import.meta.url)('qs') as Qs);

const BRACKETS = /[[\]]|%5[bd]/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded\s*(?:;\s*charset="?utf-8"?\s*)?$/i;

/**
 * Whether a request body is a plain form: `application/x-www-form-urlencoded`, UTF-8 or no
 * charset, not compressed. Such a body is read here, without koa-bodyparser (and its co-body,
 * raw-body, inflation, type-is) loaded or run; every other body goes to koa-bodyparser.
 */
export function isPlainForm(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  const encoding = headers['content-encoding'];
  return type !== undefined && FORM_TYPE.test(type) && (encoding === undefined || encoding.toLowerCase() === 'identity');
}

/** Reads a request body as UTF-8 text (a leading BOM dropped, as raw-body's decoder does), at
 * most BODY_LIMIT_BYTES. */
export function readText(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > BODY_LIMIT_BYTES) {
    req.resume();
    return Promise.reject(new Refusal('BODY_TOO_LARGE', ['1 MB']));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: Refusal) => {
      req.off('data', onData);
      req.resume();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) return fail(new Refusal('BODY_TOO_LARGE', ['1 MB']));
      chunks.push(chunk);
    };
    // `on`, not `once`: a promise settles once anyway, and once() wraps every listener.
    req.on('data', onData);
    req.on('end', () => {
      const text = (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8');
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    req.on('aborted', () => reject(new Refusal('BAD_BODY', ['the request body was cut short'])));
    req.on('error', (err) => reject(new Refusal('BAD_BODY', [err.message])));
  });
}

// qs's own decoding: `+` is a space, a malformed escape is kept as it was sent.
const decode = (s: string) => {
  const spaced = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
};

/**
 * A form body's fields, exactly as qs reads them with QS_OPTIONS. Flat forms of distinct names
 * (what PAYJS clients send) are split here; a form with brackets, repeated names, more than
 * 1000 parts or `__proto__` goes through qs itself.
 */
export function parseForm(text: string): Params {
  const parts = text.split('&');
  const fields: Params = Object.create(null);
  // qs turns %5B and %5D into brackets before it splits a part at `]=` or `=`: any bracket,
  // even in a value, is qs's to read.
  if (parts.length <= QS_OPTIONS.parameterLimit && !BRACKETS.test(text)) {
    let plain = true;
    for (const part of parts) {
      const eq = part.indexOf('=');
      const name = decode(eq === -1 ? part : part.slice(0, eq));
      if (name === '') continue; // qs drops a nameless part
      if (name === '__proto__' || name in fields) {
        plain = false;
        break;
      }
      fields[name] = eq === -1 ? '' : decode(part.slice(eq + 1));
    }
    if (plain) return fields;
  }
  return loadQs().parse(text, QS_OPTIONS) as Params;
}
