import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { AppOptions } from './app-options.js';
import { answerInternal } from './internal-error.js';
import { lazy } from './lazy.js';

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
      (err: unknown) => answerInternal(res, options.log, req.method, req.url, err),
    );
  };
}
