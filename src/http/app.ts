import Koa from 'koa';
import { Refusal } from '../core/errors.js';
import { apiRoutes } from './routes/api.js';
import { isApiEndpoint } from '../core/endpoints.js';
import { unknownEndpoint } from '../app/api-call.js';
import type { AppOptions } from './app-options.js';
import { openApiRoutes } from './routes/openapi.js';
import { controlRoutes } from './routes/control/index.js';
import { errorBoundary, isPayjsPath } from './errors.js';
import { requireControlToken } from './control-token.js';
import { guardControl } from './host-check.js';
import { pageRoutes } from './routes/pages.js';
import { dashboardRoutes } from './routes/dashboard/index.js';
import { miniprogramRoutes } from './routes/miniprogram.js';
import { notifySinkRoutes } from './routes/notify-sink.js';
import { faviconRoutes } from './routes/favicon.js';

export type { AppOptions } from './app-options.js';

/** The HTTP app: the PAYJS surface at /api/*, the pay pages, and the control API at /__sandbox/. */
export function createApp(options: AppOptions): Koa {
  const { gateway, url, log } = options;
  const app = new Koa();
  app.silent = true;
  app.use(errorBoundary(log));
  app.use(guardControl(options.allowedHosts ?? []));
  if (options.controlToken) app.use(requireControlToken(options.controlToken));
  for (const router of [apiRoutes(options.apiCall, url), pageRoutes(gateway), miniprogramRoutes(gateway), notifySinkRoutes(), faviconRoutes(), controlRoutes(options), openApiRoutes(options)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(dashboardRoutes(options).routes()); // the dashboard at / and /dashboard/…
  app.use((ctx) => {
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    if (isPayjsPath(ctx.path) && isApiEndpoint(ctx.path.slice(5))) throw new Refusal('METHOD_NOT_ALLOWED', [ctx.path]);
    throw isPayjsPath(ctx.path) ? unknownEndpoint(ctx.path) : new Refusal('NOT_FOUND', [`nothing at ${ctx.path.slice(0, 60)}`]);
  });
  return app;
}
