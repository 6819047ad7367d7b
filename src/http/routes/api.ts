import Router from '@koa/router';
import type { Context } from 'koa';
import type { CreateEndpoint, Gateway, OrderEndpoint, QueryEndpoint } from '../../app/gateway.js';
import { cashierUrl } from '../../core/links.js';
import { parseParams } from '../params.js';
import { PayjsError } from '../../core/errors.js';
import type { Endpoint } from '../../core/fields.js';
import type { Token } from '../../core/scenarios.js';
import { SCENARIO_HEADER, withFaults } from '../faults.js';
import { recordCalls } from '../call-recorder.js';
import type { RequestJournal } from '../../app/call-log.js';
import type { SandboxClock } from '../../clock/clock.js';

declare module 'koa' {
  interface DefaultState {
    /** The scenario of this API call. */
    tokens: Token[];
  }
}

const CREATE: CreateEndpoint[] = ['native', 'micropay', 'jsapi', 'mweb', 'facepay'];
const BY_ORDER: OrderEndpoint[] = ['check', 'close', 'reverse', 'refund'];
const QUERIES: QueryEndpoint[] = ['user', 'info', 'bank', 'complaint', 'iplist'];

/** Every path of the PAYJS surface, under /api/. */
export const API_ENDPOINTS: readonly string[] = [...CREATE, 'cashier', ...BY_ORDER, 'openid', ...QUERIES];

/** The base URL the caller reached the sandbox by, for the links in answers. */
export const baseUrl = (ctx: Context, fallback: () => string) => (ctx.host ? `${ctx.protocol}://${ctx.host}` : fallback());

/** The PAYJS surface, at the paths of https://payjs.cn/api/* (payjs-api.md §1), GET or POST. */
export function apiRoutes(gateway: Gateway, fallbackUrl: () => string, journal: RequestJournal, clock: SandboxClock): Router {
  const router = new Router({ prefix: '/api' });
  const route = (name: string, handle: (ctx: Context) => Promise<void> | void) => {
    const guarded = async (ctx: Context) => {
      // koa-router answers HEAD with the GET route; a HEAD must not create an order.
      if (ctx.method === 'HEAD') throw new PayjsError('METHOD_NOT_ALLOWED', [ctx.path]);
      ctx.state.tokens = gateway.scenarioFor(name as Endpoint, ctx.state.params, ctx.get(SCENARIO_HEADER) || undefined);
      await withFaults(ctx, ctx.state.tokens, () => handle(ctx));
    };
    const record = recordCalls(name, journal, gateway, clock);
    router.get(`/${name}`, record, parseParams, guarded);
    router.post(`/${name}`, record, parseParams, guarded);
  };
  for (const e of CREATE) {
    route(e, async (ctx) => {
      ctx.body = (await gateway.create(e, ctx.state.params, baseUrl(ctx, fallbackUrl), ctx.state.tokens)).answer;
    });
  }
  for (const e of BY_ORDER) {
    route(e, async (ctx) => {
      ctx.body = await gateway[e](ctx.state.params);
    });
  }
  for (const e of QUERIES) {
    route(e, (ctx) => {
      ctx.body = gateway.merchantCalls.query(e, ctx.state.params);
    });
  }
  // The cashier is opened by the payer's browser: a valid request goes on to the pay page (§11).
  route('cashier', async (ctx) => {
    const base = baseUrl(ctx, fallbackUrl);
    const { order } = await gateway.create('cashier', ctx.state.params, base, ctx.state.tokens);
    ctx.state.payjsOrderId = order.payjs_order_id; // the answer is a redirect: the journal links the call to the order this way
    ctx.redirect(cashierUrl(base, order));
  });
  route('openid', (ctx) => {
    ctx.redirect(gateway.merchantCalls.openidRedirect(ctx.state.params));
  });
  return router;
}
