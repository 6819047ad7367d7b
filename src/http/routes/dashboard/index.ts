import Router from '@koa/router';
import { bodyParserFor } from '../../body-parser.js';
import type { Context } from 'koa';
import { payPageUrl } from '../../../core/links.js';
import { dueAt } from '../../../core/notify.js';
import { DEFAULT_MERCHANT } from '../../../core/merchant.js';
import { MAGIC_AMOUNTS, VOCABULARY, argHint } from '../../../core/scenarios.js';
import { shippedScenarios } from '../../../app/scenario-files.js';
import type { RecordedCall } from '../../../app/call-log.js';
import type { AppOptions } from '../../app-options.js';
import { orderTimeline } from '../../../app/timeline.js';
import { API_ENDPOINTS } from '../../../core/endpoints.js';
import { renderDashboard, type LiveWatch } from './render.js';
import { signDebug, type SignDebugInput } from './sign-debug.js';
import { orderMenu } from './order-actions.js';
import { TEST_ORDER_CHANNELS, createTestOrder } from '../../../app/test-orders.js';
import { baseUrl } from '../api.js';

const STATUSES = ['unpaid', 'paid', 'refunded', 'closed'] as const;
const CHANNELS = ['native', 'micropay', 'jsapi', 'cashier', 'mweb', 'facepay', 'miniprogram'] as const;
const VERDICTS = ['valid', 'invalid', 'missing', 'unchecked'] as const;
/** The notify states the order list filters on; `none`: no notify (unpaid, or no notify_url). */
const NOTIFY_STATES = ['pending', 'delivered', 'exhausted', 'checked', 'stopped', 'none'] as const;
/** Rows a list shows at most: the newest. The control API serves everything. */
const ROWS = 200;

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');


/** The dashboard: `/` (orders) and `/dashboard/…` pages over the same gateway, notifier, call log
 * and clock as the control API, whose JSON endpoints its buttons call. */
export function dashboardRoutes(options: AppOptions): Router {
  const { gateway, notifier, scenarios, clock, callLog } = options;
  const router = new Router();
  const render = (ctx: Context, view: string, data: Parameters<typeof renderDashboard>[3], status?: number) => renderDashboard(ctx, clock, view, data, status);

  const orders = async (ctx: Context) => {
    const f = { mchid: text(ctx.query.mchid), status: text(ctx.query.status), channel: text(ctx.query.channel), out_trade_no: text(ctx.query.out_trade_no), notify: text(ctx.query.notify) };
    // out_trade_no is searched as a part, the rest matched exactly, as the control API does.
    const notifyState = (id: string) => notifier.state(id) ?? 'none';
    const scope = gateway.orders({ mchid: f.mchid, channel: f.channel })
      .filter((o) => !f.out_trade_no || o.out_trade_no.includes(f.out_trade_no))
      .filter((o) => !f.notify || notifyState(o.payjs_order_id) === f.notify);
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
      notifyStates: NOTIFY_STATES,
      notifyOf: notifyState,
      testChannels: TEST_ORDER_CHANNELS,
      sinkUrl: `${baseUrl(ctx, options.url)}/sandbox/notify-sink`,
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
      menu: orderMenu(order, job),
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
      files: shippedScenarios(),
      argHint,
      vocabulary: Object.entries(VOCABULARY),
      magic: Object.entries(MAGIC_AMOUNTS),
      merchants: gateway.merchants.list().map(({ mchid }) => mchid),
      endpoints: [...API_ENDPOINTS, 'notify'],
    });
  });

  // What waits on the clock: its labelled tasks, and the expiries (one sweep task on the clock).
  const upcomingTasks = () => [...clock.upcoming(ROWS).filter((t) => t.label), ...gateway.upcomingExpiries(ROWS)].sort((a, b) => a.at - b.at).slice(0, ROWS);

  router.get('/dashboard/clock', async (ctx) => {
    await render(ctx, 'clock', { section: 'clock', title: '', watch: { events: ['order', 'notify', 'call', 'reset'] }, pending: clock.pending, upcoming: upcomingTasks() });
  });

  // /dashboard/journal is the page's old address, kept for bookmarks.
  router.get(['/dashboard/calls', '/dashboard/journal'], async (ctx) => {
    const f = { endpoint: text(ctx.query.endpoint), sign: text(ctx.query.sign) };
    const sign = (VERDICTS as readonly string[]).includes(f.sign) ? (f.sign as RecordedCall['sign']) : undefined;
    const filter = { endpoint: f.endpoint || undefined, sign };
    const calls = callLog.list(filter, ROWS).reverse();
    // check, refund, … name the order by payjs_order_id only: show the order's own out_trade_no.
    const outTradeNoOf = (call: RecordedCall) => call.out_trade_no ?? (call.payjs_order_id ? gateway.stored(call.payjs_order_id)?.out_trade_no : undefined);
    await render(ctx, 'calls', { section: 'calls', title: '', watch: { events: ['call', 'reset'] }, filter: f, calls, total: callLog.count(filter), endpoints: API_ENDPOINTS, verdicts: VERDICTS, outTradeNoOf });
  });

  router.get('/dashboard/conformance', async (ctx) => {
    await render(ctx, 'conformance', { section: 'conformance', title: '', watch: { events: [] }, reports: options.conformance.list(), merchants: gateway.merchants.list().map(({ mchid, name }) => ({ mchid, name })) });
  });

  router.get('/dashboard/sign', async (ctx) => {
    await render(ctx, 'sign', { section: 'sign', title: '', watch: { events: [] }, defaultKey: DEFAULT_MERCHANT.key });
  });

  // The "create a test order" form: signed with the merchant's key, through the gateway's create.
  router.post('/dashboard/orders', bodyParserFor({ types: ['json'], limit: '64kb' }), async (ctx) => {
    const order = await createTestOrder(options.apiCall, gateway, ctx.request.body ?? {}, baseUrl(ctx, options.url), clock.now());
    ctx.status = 201;
    ctx.body = { order, href: `/dashboard/orders/${encodeURIComponent(order.payjs_order_id)}` };
  });

  // The signature debugger's one endpoint: JSON in ({ params, key?, sign? }), every step out.
  router.post('/dashboard/sign-debug', bodyParserFor({ types: ['json'], limit: '1mb' }), (ctx) => {
    const body = ctx.request.body;
    const input = (typeof body === 'object' && body !== null ? body : {}) as SignDebugInput;
    ctx.body = signDebug(input, gateway.merchants.list());
  });

  return router;
}
