import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AppOptions } from './app-options.js';
import { lazy } from './lazy.js';

// As the error boundary (errors.ts) answers what it did not expect.
const INTERNAL = JSON.stringify({ error: 'INTERNAL', message: 'the sandbox failed; this is a bug of the sandbox, please report it with the request' });

/**
 * The koa app (app.ts) as a request listener that loads and builds it at the first request that
 * reaches it: the plain form POSTs of the PAYJS API are answered by the lean path (lean-api.ts)
 * without koa, so a sandbox that only serves those never loads koa, @koa/router and their ~50
 * modules, nor builds its ~140 routes; `startSandbox()` then costs what the lean path and the use
 * cases cost. The first page, control or non-plain API request waits for the load (measured in
 * docs/benchmarks.md, "Embedded start-up"); the ones after it go straight to koa's callback.
 */
export function lazyApp(options: AppOptions): RequestListener {
  let callback: RequestListener | undefined;
  const build = lazy(async () => (callback = (await import('./app.js')).createApp(options).callback()));
  return (req: IncomingMessage, res: ServerResponse) => {
    if (callback) return callback(req, res);
    build().then(
      (cb) => cb(req, res),
      (err: unknown) => {
        options.log(`payjs-sandbox: internal error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(INTERNAL) });
        res.end(INTERNAL);
      },
    );
  };
}
