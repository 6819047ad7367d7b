import Router from '@koa/router';
import type { AppOptions } from '../../app-options.js';

/** The CA certificate (never its key) and what intercepts payjs.cn here. */
export function interceptionRoutes({ interception, url }: AppOptions): Router {
  const router = new Router();
  router.get('/ca.pem', (ctx) => {
    ctx.type = 'application/x-pem-file';
    ctx.attachment('payjs-sandbox-ca.pem', { type: 'inline' });
    ctx.body = interception.caPem();
  });
  router.get('/interception', (ctx) => {
    ctx.body = interception.info(url());
  });
  return router;
}
