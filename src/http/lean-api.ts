import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { bodyText, SCENARIO_HEADER, type ApiCall, type ApiResponse } from '../app/api-call.js';
import { API_ENDPOINTS, ENDPOINTS, type ApiEndpoint } from '../core/endpoints.js';
import { isPlainForm, parseForm, readText } from './form-body.js';
import { collectParams } from './params.js';
import { arrivalOf } from './arrival.js';
import { answerInternal } from './internal-error.js';
import { AnswerBatch, withLength } from './answer-batch.js';

/** The endpoints the lean path serves: those answering JSON. The browser ones (cashier, openid)
 * answer redirects, which koa words for the browser. */
const LEAN = new Set<string>(API_ENDPOINTS.filter((e: ApiEndpoint) => ENDPOINTS[e].kind !== 'redirect' && !('redirectsTo' in ENDPOINTS[e])).map((e) => `/api/${e}`));

/** A query string as koa 3 reads it (koa/lib/search-params.js): URLSearchParams, a repeated name
 * as a list, every name an own property. */
function koaQuery(str: string): Record<string, string | string[]> {
  const searchParams = new URLSearchParams(str);
  const obj: Record<string, string | string[]> = {};
  for (const key of searchParams.keys()) {
    const values = searchParams.getAll(key);
    Object.defineProperty(obj, key, { value: values.length <= 1 ? values[0] : values, writable: true, enumerable: true, configurable: true });
  }
  return obj;
}

/**
 * Whether the lean path can serve a request exactly as koa would: a POST of a plain UTF-8 form
 * or a GET with no body nor content type, to a JSON endpoint under /api/, with no scenario header and a plain Host
 * (koa's reading of `a, b` or `user@host` is koa's). Everything else goes to koa.
 */
function isLean(req: IncomingMessage, path: string): boolean {
  const h = req.headers;
  if (!LEAN.has(path) || h[SCENARIO_HEADER] !== undefined) return false;
  if (h.host !== undefined && /[,@\s]/.test(h.host)) return false;
  if (req.method === 'POST') return isPlainForm(h);
  // A GET without a body of any kind: koa would read a typed empty body its own way.
  return req.method === 'GET' && h['content-type'] === undefined && h['transfer-encoding'] === undefined && (h['content-length'] === undefined || h['content-length'] === '0');
}

/**
 * The PAYJS surface's common case without koa: a node:http listener in front of koa's
 * `app.callback()` that reads the request itself and answers with writeHead/end, calling the same
 * API pipeline (app/api-call.ts) as the koa routes, so the answer, the stored state and the call
 * log are the same (test/lean-api.test.ts compares both paths). Measured in docs/benchmarks.md:
 * koa, its router and koa-bodyparser were a quarter of a create's CPU.
 */
export function leanApi(apiCall: ApiCall, koa: RequestListener, log: (line: string) => void): RequestListener {
  const batch = new AnswerBatch((err) => log(`payjs-sandbox: internal error writing an answer: ${(err as Error)?.stack ?? String(err)}`));
  return (req, res) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    // parseurl (koa's) reads a URL with a space, a tab or a # its other way: koa's to read.
    if (!isLean(req, path) || /[\s#\u00a0\ufeff]/.test(url)) return koa(req, res);
    const query = q === -1 ? {} : koaQuery(url.slice(q + 1));
    // koa reads a body unless it says it has none (Content-Length: 0).
    const hasBody = req.headers['content-length'] !== '0' || req.headers['transfer-encoding'] !== undefined;
    const read = async () => collectParams(query, req.method === 'POST' && hasBody ? parseForm(await readText(req)) : {}, 'form');
    // koa's ctx.protocol: https on a TLS socket (the proxy's and the TLS listener's), else http.
    const base = req.headers.host ? `${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host}` : undefined;
    apiCall({ path, method: req.method!, headers: req.headers, arrival: arrivalOf(req), read, base }).then(
      (response) => {
        // `api=hang`: the call was carried out; the socket stays until the client goes.
        if (response.hang) return;
        batch.add(() => {
          try {
            send(res, response);
          } catch (err) {
            answerInternal(res, log, req.method, path, err);
          }
        });
      },
      (err: unknown) => answerInternal(res, log, req.method, path, err),
    );
  };
}

function send(res: ServerResponse, response: ApiResponse): void {
  const { status, headers } = response;
  if (status === 204 || status === 304 || response.body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const body = bodyText(response);
  res.writeHead(status, withLength(headers, Buffer.byteLength(body)));
  res.end(body);
}
