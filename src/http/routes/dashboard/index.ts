import Router from '@koa/router';
import { bodyParserFor } from '../../body-parser.js';
import type { Context } from 'koa';
import { CONTROL_ACTIONS } from '../../../core/order.js';
import { NEXT } from '../../../core/transitions.js';
import { payPageUrl } from '../../../core/links.js';
import { dueAt } from '../../../core/notify.js';
import { DEFAULT_MERCHANT } from '../../../core/merchant.js';
import { MAGIC_AMOUNTS, VOCABULARY } from '../../../core/scenarios.js';
import type { Order, OrderEvent } from '../../../core/order.js';
import type { RecordedCall } from '../../../app/call-log.js';
import type { AppOptions } from '../../app-options.js';
import { orderTimeline } from '../../../app/timeline.js';
import { API_ENDPOINTS } from '../../../core/endpoints.js';
import { renderDashboard, type LiveWatch } from './render.js';
import { signDebug, type SignDebugInput } from './sign-debug.js';

const STATUSES = ['unpaid', 'paid', 'refunded', 'closed'] as const;
const CHANNELS = ['native', 'micropay', 'jsapi', 'cashier', 'mweb', 'facepay', 'miniprogram'] as const;
const VERDICTS = ['valid', 'invalid', 'missing', 'unchecked'] as const;
/** Rows a list shows at most: the newest. The control API serves everything. */
const ROWS = 200;

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** The event of the state machine each action applies; the button is off when the order's status
 * has no such transition (src/core/transitions.ts). fail and cancel need an order that could pay. */
const ACTION_EVENT: Record<string, OrderEvent> = { pay: 'pay', fail: 'pay', cancel: 'pay', close: 'close', refund: 'refund', reverse: 'reverse', expire: 'expire' };
const actionsFor = (order: Order) => CONTROL_ACTIONS.map((name) => ({ name, enabled: NEXT[order.status][ACTION_EVENT[name]] !== undefined }));

/** The dashboard: `/` (orders) and `/dashboard/…` pages over the same gateway, notifier, call log
 * and clock as the control API, whose JSON endpoints its buttons call. */
export function dashboardRoutes(options: AppOptions): Router {
  const { gateway, notifier, scenarios, clock, callLog } = options;
  const router = new Router();
  const render = (ctx: Context, view: string, data: Parameters<typeof renderDashboard>[3], status?: number) => renderDashboard(ctx, clock, view, data, status);

  const orders = async (ctx: Context) => {
    const f = { mchid: text(ctx.query.mchid), status: text(ctx.query.status), channel: text(ctx.query.channel), out_trade_no: text(ctx.query.out_trade_no) };
    // out_trade_no is searched as a part, the rest matched exactly, as the control API does.
    const scope = gateway.orders({ mchid: f.mchid, channel: f.channel }).filter((o) => !f.out_trade_no || o.out_trade_no.includes(f.out_trade_no));
    const counts = Object.fromEntries(STATUSES.map((s) => [s, scope.filter((o) => o.status === s).length]));
    const rows = f.status ? scope.filter((o) => o.status === f.status) : scope;
    await render(ctx, 'orders', {
      section: 'orders',
      title: '',
      watch: { events: ['order', 'reset'] },
      filter: f,
      counts,
      scopeTotal: scope.length,
      total: rows.length,
      orders: rows.slice(0, ROWS),
      merchants: gateway.merchants.list().map(({ mchid, name }) => ({ mchid, name })),
      statuses: STATUSES,
      channels: CHANNELS,
    });
  };
  router.get('/', orders);
  router.get('/dashboard', orders);

  router.get('/dashboard/orders/:id', async (ctx) => {
    const id = ctx.params.id;
    const order = await gateway.order(id);
    const watch = { events: ['order', 'notify', 'call', 'reset'] as LiveWatch['events'], order: id };
    if (!order) return render(ctx, 'missing', { section: 'orders', title: id, watch, id }, 404);
    const attempts = notifier.attempts(id);
    const job = notifier.job(id);
    const timeline = orderTimeline(order, attempts, callLog.list({ payjs_order_id: id }));
    const next = job && job.state === 'pending' ? dueAt(job, job.next) : null;
    await render(ctx, 'order', {
      section: 'orders',
      title: order.out_trade_no,
      watch,
      order,
      actions: actionsFor(order),
      payPage: order.status === 'unpaid' ? payPageUrl('', order) : undefined,
      timeline,
      attempts: [...attempts].reverse(),
      job,
      nextAttempt: next,
    });
  });

  router.get('/dashboard/notifications', async (ctx) => {
    const attempts = notifier.attempts().reverse();
    await render(ctx, 'notifications', { section: 'notifications', title: '', watch: { events: ['notify', 'reset'] }, attempts: attempts.slice(0, ROWS), total: attempts.length });
  });

  router.get('/dashboard/scenarios', async (ctx) => {
    await render(ctx, 'scenarios', {
      section: 'scenarios',
      title: '',
      watch: { events: ['order', 'notify', 'call', 'reset'] },
      rules: scenarios.list(),
      vocabulary: Object.entries(VOCABULARY),
      magic: Object.entries(MAGIC_AMOUNTS),
      merchants: gateway.merchants.list().map(({ mchid }) => mchid),
      endpoints: [...API_ENDPOINTS, 'notify'],
    });
  });

  router.get('/dashboard/clock', async (ctx) => {
    await render(ctx, 'clock', { section: 'clock', title: '', watch: { events: ['order', 'notify', 'call', 'reset'] }, pending: clock.pending });
  });

  // /dashboard/journal is the page's old address, kept for bookmarks.
  router.get(['/dashboard/calls', '/dashboard/journal'], async (ctx) => {
    const f = { endpoint: text(ctx.query.endpoint), sign: text(ctx.query.sign) };
    const sign = (VERDICTS as readonly string[]).includes(f.sign) ? (f.sign as RecordedCall['sign']) : undefined;
    const calls = callLog.list({ endpoint: f.endpoint || undefined, sign }).reverse();
    await render(ctx, 'calls', { section: 'calls', title: '', watch: { events: ['call', 'reset'] }, filter: f, calls: calls.slice(0, ROWS), total: calls.length, endpoints: API_ENDPOINTS, verdicts: VERDICTS });
  });

  router.get('/dashboard/sign', async (ctx) => {
    await render(ctx, 'sign', { section: 'sign', title: '', watch: { events: [] }, defaultKey: DEFAULT_MERCHANT.key });
  });

  // The signature debugger's one endpoint: JSON in ({ params, key?, sign? }), every step out.
  router.post('/dashboard/sign-debug', bodyParserFor({ types: ['json'], limit: '1mb' }), (ctx) => {
    const body = ctx.request.body;
    const input = (typeof body === 'object' && body !== null ? body : {}) as SignDebugInput;
    ctx.body = signDebug(input, gateway.merchants.list());
  });

  return router;
}
