import Router from '@koa/router';
import { Refusal } from '../../../core/errors.js';
import { junitXml } from '../../../notify/junit.js';
import type { AppOptions } from '../../app-options.js';
import { baseUrl } from '../api.js';

/** The notify-endpoint conformance battery: run it against a URL, read the last reports. */
export function conformanceRoutes({ conformance, url }: AppOptions): Router {
  const router = new Router();

  router.post('/conformance', async (ctx) => {
    ctx.body = { report: await conformance.run(ctx.request.body ?? {}, baseUrl(ctx, url)) };
  });

  router.get('/conformance', (ctx) => {
    ctx.body = { reports: conformance.list() };
  });

  router.get('/conformance/:id', (ctx) => {
    const report = conformance.get(ctx.params.id);
    if (!report) throw new Refusal('NOT_FOUND', [`no conformance report ${ctx.params.id} (the sandbox keeps the last 20, in memory)`]);
    if (ctx.query.format === 'junit') {
      ctx.type = 'application/xml';
      ctx.body = junitXml(report);
      return;
    }
    ctx.body = { report };
  });

  return router;
}
