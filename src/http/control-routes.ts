import Router from '@koa/router';
import bodyParser from 'koa-bodyparser';
import { PayjsError } from '../core/errors.js';
import type { RuleInput } from '../core/scenarios.js';
import type { AppOptions } from './app.js';

/** The sandbox's own controls, outside /api/ (payjs-api.md §19.8): JSON in, JSON out, 4xx on
 * refusal with `{ error, message }`. */
export function controlRoutes({ gateway, notifier, scenarios, clock, reset }: AppOptions): Router {
  const router = new Router({ prefix: '/__sandbox' });
  router.use(bodyParser({ enableTypes: ['json'], jsonLimit: '1mb' }));
  const body = (ctx: { request: { body?: unknown } }) => {
    const b = ctx.request.body;
    return (typeof b === 'object' && b !== null && !Array.isArray(b) ? b : {}) as Record<string, unknown>;
  };

  router.get('/orders', (ctx) => {
    const mchid = typeof ctx.query.mchid === 'string' ? ctx.query.mchid : undefined;
    ctx.body = { orders: gateway.orders({ mchid }) };
  });

  router.get('/orders/:id', async (ctx) => {
    const order = await gateway.order(ctx.params.id);
    if (!order) throw new PayjsError('ORDER_NOT_FOUND', [ctx.params.id]);
    ctx.body = { order, notify: notifier.job(order.payjs_order_id) ?? null };
  });

  // Marks an unpaid order paid, as if the payer paid: the public test hook.
  router.post('/orders/:id/pay', async (ctx) => {
    const openid = typeof body(ctx).openid === 'string' ? (body(ctx).openid as string) : undefined;
    ctx.body = { order: await gateway.pay(ctx.params.id, { openid }) };
  });

  router.get('/orders/:id/notifications', async (ctx) => {
    if (!(await gateway.order(ctx.params.id))) throw new PayjsError('ORDER_NOT_FOUND', [ctx.params.id]);
    ctx.body = { notify: notifier.job(ctx.params.id) ?? null, attempts: notifier.attempts(ctx.params.id) };
  });

  router.post('/orders/:id/notifications/resend', async (ctx) => {
    const attempt = await notifier.resend(ctx.params.id);
    if (!attempt) throw new PayjsError('NOT_FOUND', [`order ${ctx.params.id} has no notify (not paid, or no notify_url)`]);
    ctx.body = { attempt };
  });

  router.get('/notifications', (ctx) => {
    ctx.body = { attempts: notifier.attempts() };
  });

  router.get('/clock', (ctx) => {
    ctx.body = clockState();
  });

  // Moves the sandbox clock and answers once what fell due has run.
  router.post('/clock/advance', async (ctx) => {
    const seconds = body(ctx).seconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
      throw new PayjsError('INVALID_PARAM', ['seconds', 'send JSON {"seconds": N} with N ≥ 0']);
    }
    await clock.advance(seconds);
    ctx.body = clockState();
  });

  router.get('/scenarios', (ctx) => {
    ctx.body = { scenarios: scenarios.list() };
  });

  router.post('/scenarios', async (ctx) => {
    ctx.status = 201;
    ctx.body = { scenario: await scenarios.add(body(ctx) as RuleInput) };
  });

  router.delete('/scenarios', async (ctx) => {
    await scenarios.clear();
    ctx.body = { scenarios: [] };
  });

  router.delete('/scenarios/:id', async (ctx) => {
    if (!(await scenarios.remove(ctx.params.id))) throw new PayjsError('NOT_FOUND', [`no scenario ${ctx.params.id}`]);
    ctx.body = { scenarios: scenarios.list() };
  });

  router.post('/reset', async (ctx) => {
    await reset();
    ctx.body = { reset: true };
  });

  router.get('/merchants', (ctx) => {
    ctx.body = { merchants: gateway.merchants.list().map(({ mchid, name }) => ({ mchid, name })) };
  });

  const clockState = () => ({ now: clock.now(), iso: new Date(clock.now()).toISOString(), pending: clock.pending });
  return router;
}
