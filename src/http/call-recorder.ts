import type { Context, Middleware, Next } from 'koa';
import type { SandboxClock } from '../clock/clock.js';
import type { Gateway } from '../app/gateway.js';
import type { RequestJournal } from '../app/call-log.js';
import { errorEnvelope } from '../core/answers.js';
import { PayjsError } from '../core/errors.js';
import { arrivalOf } from './arrival.js';

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : undefined);

/** Records every call of the PAYJS surface in the request journal: parameters, the verdict on
 * its sign (with the diagnosis), the answer, refused or not. */
export function recordCalls(endpoint: string, journal: RequestJournal, gateway: Gateway, clock: SandboxClock): Middleware {
  return async (ctx: Context, next: Next) => {
    const started = performance.now();
    const at = clock.now();
    let error: PayjsError | undefined;
    try {
      await next();
    } catch (err) {
      if (err instanceof PayjsError) error = err;
      throw err;
    } finally {
      const params = (ctx.state.params ?? {}) as Record<string, unknown>;
      const verdict = gateway.signVerdict(ctx.state.params ?? {});
      const body = ctx.body as Record<string, unknown> | undefined;
      const redirect = ctx.status >= 300 && ctx.status < 400 ? { location: ctx.response.get('location') } : undefined;
      journal.add({
        at,
        method: ctx.method,
        path: ctx.path,
        endpoint,
        transport: ctx.state.transport ?? 'query',
        ...arrivalOf(ctx.req),
        params: { ...params },
        mchid: verdict.mchid,
        payjs_order_id: text(params.payjs_order_id) ?? text(body?.payjs_order_id) ?? text(ctx.state.payjsOrderId),
        out_trade_no: text(params.out_trade_no),
        sign: verdict.sign,
        ...(verdict.diagnosis ? { diagnosis: verdict.diagnosis } : {}),
        ...(error ? { error: error.code } : {}),
        status: error ? 200 : ctx.status,
        answer: error ? errorEnvelope(error.message) : (redirect ?? ctx.body),
        ...(ctx.state.tokens?.length ? { scenario: ctx.state.tokens.map((t) => t.text) } : {}),
        ms: Math.round((performance.now() - started) * 100) / 100,
      });
    }
  };
}
