import Router from '@koa/router';
import { bodyParserFor } from '../../body-parser.js';
import type { AppOptions } from '../../app-options.js';
import { deliveryRoutes } from './delivery.js';
import { orderRoutes } from './orders.js';
import { systemRoutes } from './system.js';
import { eventRoutes } from './events.js';
import { conformanceRoutes } from './conformance.js';
import { interceptionRoutes } from './interception.js';
import { refuseDeep } from '../../depth.js';

/** The sandbox's own controls, outside /api/ (docs/protocol.md §19.8): JSON in, JSON out, 4xx on
 * refusal with `{ error, message }`. Described in /__sandbox/openapi.json. */
export function controlRoutes(options: AppOptions): Router {
  const router = new Router({ prefix: '/__sandbox' });
  router.use(bodyParserFor({ types: ['json'], limit: '16mb' }));
  router.use(async (ctx, next) => {
    refuseDeep(ctx.request.body, 32, 'the body');
    await next();
  });
  for (const part of [orderRoutes(options), deliveryRoutes(options), systemRoutes(options), eventRoutes(options), conformanceRoutes(options), interceptionRoutes(options)]) router.use(part.routes());
  return router;
}
