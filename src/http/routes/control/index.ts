import Router from '@koa/router';
import { bodyParserOnFirstUse as bodyParser } from '../../lazy.js';
import type { AppOptions } from '../../app.js';
import { deliveryRoutes } from './delivery.js';
import { orderRoutes } from './orders.js';
import { systemRoutes } from './system.js';
import { eventRoutes } from './events.js';
import { refuseDeep } from '../../depth.js';
import { toBodyError } from '../../params.js';
import { openApiRoutes } from '../openapi.js';

/** The request body of a control call, as an object (anything else reads as {}). */
export const jsonBody = (ctx: { request: { body?: unknown } }): Record<string, unknown> => {
  const b = ctx.request.body;
  return (typeof b === 'object' && b !== null && !Array.isArray(b) ? b : {}) as Record<string, unknown>;
};

/** A query parameter as one string, or undefined. */
export const queryText = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The sandbox's own controls, outside /api/ (payjs-api.md §19.8): JSON in, JSON out, 4xx on
 * refusal with `{ error, message }`. Described in /__sandbox/openapi.json. */
export function controlRoutes(options: AppOptions): Router {
  const router = new Router({ prefix: '/__sandbox' });
  router.use(bodyParser({ enableTypes: ['json'], jsonLimit: '16mb', onerror: (err: Error) => { throw toBodyError(err); } }));
  router.use(async (ctx, next) => {
    refuseDeep(ctx.request.body, 32, 'the body');
    await next();
  });
  for (const part of [orderRoutes(options), deliveryRoutes(options), systemRoutes(options), eventRoutes(options), openApiRoutes(options)]) router.use(part.routes());
  return router;
}
