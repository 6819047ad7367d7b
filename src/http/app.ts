import Koa from 'koa';
import type { SandboxClock } from '../clock/clock.js';
import type { Gateway } from '../app/gateway.js';
import type { Notifier } from '../notify/notifier.js';
import type { ScenarioBook } from '../app/scenario-book.js';
import type { RequestJournal } from '../app/call-log.js';
import type { Admin } from '../app/admin.js';
import type { EventHub } from '../app/event-hub.js';
import { PayjsError } from '../core/errors.js';
import { apiRoutes } from './routes/api.js';
import { isApiEndpoint } from '../core/endpoints.js';
import { unknownEndpoint, type ApiCall } from '../app/api-call.js';
import { controlRoutes } from './routes/control/index.js';
import { errorBoundary, isPayjsPath } from './errors.js';
import { requireControlToken } from './control-token.js';
import { pageRoutes } from './routes/pages.js';
import { dashboardRoutes } from './routes/dashboard/index.js';
import { miniprogramRoutes } from './routes/miniprogram.js';

export interface AppOptions {
  gateway: Gateway;
  /** The PAYJS surface's pipeline (app/api-call.ts), which the /api routes hand every call to. */
  apiCall: ApiCall;
  notifier: Notifier;
  scenarios: ScenarioBook;
  clock: SandboxClock;
  journal: RequestJournal;
  admin: Admin;
  events: EventHub;
  /** When set, the control API and the dashboard require it (the sandbox is not on loopback). */
  controlToken?: string;
  /** The sandbox's own URL, for links when a request carries no Host header. */
  url: () => string;
  log: (line: string) => void;
}

/** The HTTP app: the PAYJS surface at /api/*, the pay pages, and the control API at /__sandbox/. */
export function createApp(options: AppOptions): Koa {
  const { gateway, url, log } = options;
  const app = new Koa();
  app.silent = true;
  app.use(errorBoundary(log));
  if (options.controlToken) app.use(requireControlToken(options.controlToken));
  for (const router of [apiRoutes(options.apiCall, url), pageRoutes(gateway), miniprogramRoutes(gateway), controlRoutes(options)]) {
    app.use(router.routes());
    app.use(router.allowedMethods());
  }
  app.use(dashboardRoutes(options).routes()); // the dashboard at / and /dashboard/…
  app.use((ctx) => {
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    if (isPayjsPath(ctx.path) && isApiEndpoint(ctx.path.slice(5))) throw new PayjsError('METHOD_NOT_ALLOWED', [ctx.path]);
    throw isPayjsPath(ctx.path) ? unknownEndpoint(ctx.path) : new PayjsError('NOT_FOUND', [`nothing at ${ctx.path.slice(0, 60)}`]);
  });
  return app;
}
