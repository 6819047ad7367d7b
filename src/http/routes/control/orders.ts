import Router from '@koa/router';
import { CONTROL_ACTIONS, type ControlAction } from '../../../core/order.js';
import { Refusal } from '../../../core/errors.js';
import type { AppOptions } from '../../app-options.js';
import { jsonBody, queryText } from './input.js';
import { validator } from '../../../app/validate.js';
import { PayActionInput } from '../../../app/inputs.js';

const readPayAction = validator<{ openid?: string }>(PayActionInput);
import { describeLine, orderTimeline } from '../../../app/timeline.js';
import { checkOrderScenario } from '../../../app/scenario-inputs.js';

/** Orders: list with filters, one with its timeline, and the actions of the dashboard. */
export function orderRoutes({ gateway, notifier, callLog }: AppOptions): Router {
  const router = new Router();

  router.get('/orders', (ctx) => {
    const q = ctx.query;
    const orders = gateway.orders({ mchid: queryText(q.mchid), status: queryText(q.status), channel: queryText(q.channel), out_trade_no: queryText(q.out_trade_no) });
    const limit = Math.min(Number(queryText(q.limit) ?? 1000) || 1000, 10_000);
    ctx.body = { total: orders.length, orders: orders.slice(0, limit) };
  });

  router.get('/orders/:id', async (ctx) => {
    const order = await gateway.order(ctx.params.id);
    if (!order) throw new Refusal('ORDER_NOT_FOUND', [ctx.params.id]);
    const lines = orderTimeline(order, notifier.attempts(order.payjs_order_id), callLog.list({ payjs_order_id: order.payjs_order_id }));
    const timeline = lines.map((line) => describeLine(line, order));
    ctx.body = { order, notify: notifier.job(order.payjs_order_id) ?? null, timeline };
  });

  // Scenario tokens applied to this one order from now on (the dashboard's Actions menu).
  router.post('/orders/:id/scenario', async (ctx) => {
    const { tokens } = checkOrderScenario(ctx.request.body ?? {});
    const order = await gateway.useScenario(ctx.params.id, tokens);
    ctx.body = { order, notify: notifier.job(order.payjs_order_id) ?? null };
  });

  // pay, fail, cancel, close, refund, reverse, expire: the dashboard's buttons and the test hooks.
  router.post('/orders/:id/:action', async (ctx) => {
    const action = ctx.params.action as ControlAction;
    if (!CONTROL_ACTIONS.includes(action)) throw new Refusal('NOT_FOUND', [`no action "${action}"; the actions are ${CONTROL_ACTIONS.join(', ')}`]);
    const { openid } = readPayAction(jsonBody(ctx));
    ctx.body = { order: action === 'pay' ? await gateway.pay(ctx.params.id, { openid }) : await gateway.act(ctx.params.id, action) };
  });

  return router;
}
