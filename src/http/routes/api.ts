import Router from '@koa/router';
import type { Context } from 'koa';
import type { Gateway } from '../../app/gateway.js';
import { parseParams } from '../params.js';
import { PayjsError } from '../../core/errors.js';
import { API_ENDPOINTS, ENDPOINTS, type Answer, type ApiEndpoint } from '../../core/endpoints.js';
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

export { API_ENDPOINTS };

/** The base URL the caller reached the sandbox by, for the links in answers. */
export const baseUrl = (ctx: Context, fallback: () => string) => (ctx.host ? `${ctx.protocol}://${ctx.host}` : fallback());

/** The PAYJS surface, at the paths of https://payjs.cn/api/* (payjs-api.md §1), GET or POST. */
export function apiRoutes(gateway: Gateway, fallbackUrl: () => string, journal: RequestJournal, clock: SandboxClock): Router {
  const router = new Router({ prefix: '/api' });
  const answer = (ctx: Context, a: Answer) => {
    if ('redirect' in a) ctx.redirect(a.redirect);
    else ctx.body = a.body;
  };
  const handlers = (e: ApiEndpoint): ((ctx: Context) => Promise<void> | void) => {
    const row = ENDPOINTS[e];
    switch (row.kind) {
      case 'create': return async (ctx) => answer(ctx, (await gateway.create(e as never, ctx.state.params, baseUrl(ctx, fallbackUrl), ctx.state.tokens)).answer);
      case 'order-call': return async (ctx) => void (ctx.body = await gateway.orderCall(e as never, ctx.state.params));
      case 'query': return (ctx) => void (ctx.body = gateway.merchantCalls.query(e as never, ctx.state.params));
      case 'redirect': return (ctx) => ctx.redirect(gateway.merchantCalls.openidRedirect(ctx.state.params));
    }
  };
  for (const name of API_ENDPOINTS) {
    const handle = handlers(name);
    const guarded = async (ctx: Context) => {
      // koa-router answers HEAD with the GET route; a HEAD must not create an order.
      if (ctx.method === 'HEAD') throw new PayjsError('METHOD_NOT_ALLOWED', [ctx.path]);
      ctx.state.tokens = gateway.scenarioFor(name, ctx.state.params, ctx.get(SCENARIO_HEADER) || undefined);
      await withFaults(ctx, ctx.state.tokens, () => handle(ctx));
    };
    const record = recordCalls(name, journal, gateway, clock);
    router.get(`/${name}`, record, parseParams, guarded);
    router.post(`/${name}`, record, parseParams, guarded);
  }
  return router;
}
