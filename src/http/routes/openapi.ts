import Router from '@koa/router';
import type { AppOptions } from '../app-options.js';
import { baseUrl } from './api.js';
import { lazy } from '../lazy.js';

/** Where the description is served. */
export const OPENAPI_PATH = '/__sandbox/openapi.json';

// The description is large data: it is loaded when first asked for, not at start.
const loadOpenApi = lazy(() => import('../openapi/document.js'));

/** `GET /__sandbox/openapi.json`, with the origin it was asked on as its server. */
export function openApiRoutes({ url }: Pick<AppOptions, 'url'>): Router {
  const router = new Router();
  router.get(OPENAPI_PATH, async (ctx) => {
    ctx.body = (await loadOpenApi()).openApiDocument(baseUrl(ctx, url));
  });
  return router;
}
