import Router from '@koa/router';
import type { Seed } from '../../../app/admin.js';
import type { AppOptions } from '../../app-options.js';
import { baseUrl } from '../api.js';
import { SIGN_VERDICTS, VIAS } from '../../../app/call-log.js';
import { jsonBody, oneOfQuery, queryText } from './input.js';

/** The whole sandbox: the call log, merchants, reset, snapshot and restore, seeding. */
export function systemRoutes({ gateway, callLog, admin, clock, url }: AppOptions): Router {
  const router = new Router();

  // /journal is the call log's old name, kept for the clients that use it.
  router.get(['/calls', '/journal'], (ctx) => {
    const q = ctx.query;
    const sign = oneOfQuery(q.sign, 'sign', SIGN_VERDICTS);
    const via = oneOfQuery(q.via, 'via', VIAS);
    ctx.body = { calls: callLog.list({ endpoint: queryText(q.endpoint), mchid: queryText(q.mchid), payjs_order_id: queryText(q.payjs_order_id), out_trade_no: queryText(q.out_trade_no), sign, via, host: queryText(q.host) }) };
  });

  router.get('/merchants', (ctx) => {
    ctx.body = { merchants: gateway.merchants.list().map(({ mchid, name }) => ({ mchid, name })) };
  });

  router.post('/merchants', async (ctx) => {
    const { mchid, name } = await admin.addMerchant(jsonBody(ctx));
    ctx.status = 201;
    ctx.body = { merchant: { mchid, name } };
  });

  router.post('/reset', async (ctx) => {
    const mchid = queryText(ctx.query.mchid);
    await admin.reset({ mchid });
    ctx.body = { reset: mchid ? { mchid } : 'everything' };
  });

  router.get('/snapshot', (ctx) => {
    ctx.body = admin.snapshot(clock.now());
  });

  router.post('/restore', async (ctx) => {
    await admin.restore(ctx.request.body);
    ctx.body = { restored: true, orders: gateway.orders().length };
  });

  router.post('/seed', async (ctx) => {
    const orders = await admin.seed(jsonBody(ctx) as Seed, baseUrl(ctx, url));
    ctx.status = 201;
    ctx.body = { orders };
  });

  return router;
}
