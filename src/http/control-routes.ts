import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import type { Gateway } from '../gateway.js';
import { PayjsError } from '../core/errors.js';

/** The sandbox's own controls, outside /api/ (payjs-api.md §19.8): JSON in, JSON out, 4xx on refusal. */
export function controlRoutes(gateway: Gateway): Router {
  const router = new Router({ prefix: '/__sandbox' });
  router.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb' }));

  router.get('/orders', (ctx) => {
    const mchid = typeof ctx.query.mchid === 'string' ? ctx.query.mchid : undefined;
    ctx.body = { orders: gateway.orders({ mchid }) };
  });

  router.get('/orders/:id', async (ctx) => {
    const order = await gateway.order(ctx.params.id);
    if (!order) throw new PayjsError('ORDER_NOT_FOUND', [ctx.params.id]);
    ctx.body = { order };
  });

  // Marks an unpaid order paid, as if the payer paid: the public test hook.
  router.post('/orders/:id/pay', async (ctx) => {
    const body = (ctx.request.body ?? {}) as { openid?: unknown };
    const openid = typeof body.openid === 'string' ? body.openid : undefined;
    ctx.body = { order: await gateway.pay(ctx.params.id, { openid }) };
  });

  router.get('/merchants', (ctx) => {
    ctx.body = { merchants: gateway.merchants.list().map(({ mchid, name }) => ({ mchid, name })) };
  });
  return router;
}
