import Router from '@koa/router';
import { Refusal } from '../../../core/errors.js';
import type { RuleInput } from '../../../core/scenarios.js';
import type { NotifyEvent } from '../../../notify/notifier.js';
import type { AppOptions } from '../../app-options.js';
import { jsonBody, queryText } from './input.js';
import { AdvanceInput } from '../../../app/inputs.js';
import { validator } from '../../../app/validate.js';
import { shippedScenario, shippedScenarios } from '../../../app/scenario-files.js';

const readAdvance = validator<{ seconds: number }>(AdvanceInput);

/** Notifications, the clock and scenario rules: what shapes delivery over time. */
export function deliveryRoutes({ gateway, notifier, scenarios, clock }: AppOptions): Router {
  const router = new Router();

  router.get('/orders/:id/notifications', async (ctx) => {
    if (!(await gateway.order(ctx.params.id))) throw new Refusal('ORDER_NOT_FOUND', [ctx.params.id]);
    ctx.body = { notify: notifier.job(ctx.params.id) ?? null, attempts: notifier.attempts(ctx.params.id) };
  });

  router.post('/orders/:id/notifications/resend', async (ctx) => {
    const attempt = await notifier.resend(ctx.params.id);
    if (!attempt) throw new Refusal('NOT_FOUND', [`order ${ctx.params.id} has no notify (not paid, or no notify_url)`]);
    ctx.body = { attempt };
  });

  router.get('/notifications', (ctx) => {
    ctx.body = { attempts: notifier.attempts(queryText(ctx.query.payjs_order_id)) };
  });

  // Long poll for clients in another process: answers with the first matching attempt (past or
  // future), or 408 after `timeout` ms (at most 60 s).
  router.get('/notifications/wait', async (ctx) => {
    const q = ctx.query;
    const want: Partial<Record<keyof NotifyEvent, unknown>> = {};
    for (const k of ['payjs_order_id', 'out_trade_no', 'mchid', 'kind'] as const) if (queryText(q[k])) want[k] = queryText(q[k]);
    if (queryText(q.delivered)) want.delivered = q.delivered === 'true';
    const timeout = Math.min(Number(queryText(q.timeout) ?? 5000) || 5000, 60_000);
    const attempt = await notifier.waitOrNull((e) => Object.entries(want).every(([k, v]) => e[k as keyof NotifyEvent] === v), timeout);
    if (!attempt) {
      ctx.status = 408;
      ctx.body = { error: 'TIMEOUT', message: `no matching notify within ${timeout} ms`, attempts: notifier.attempts().slice(-5) };
      return;
    }
    ctx.body = { attempt };
  });

  const clockState = () => ({ now: clock.now(), iso: new Date(clock.now()).toISOString(), pending: clock.pending });
  router.get('/clock', (ctx) => {
    ctx.body = clockState();
  });

  // Moves the sandbox clock and answers once what fell due has run.
  router.post('/clock/advance', async (ctx) => {
    const { seconds } = readAdvance(jsonBody(ctx));
    try {
      await clock.advance(seconds);
    } catch (err) {
      if (err instanceof RangeError) throw new Refusal('INVALID_PARAM', ['seconds', err.message]);
      throw err;
    }
    ctx.body = clockState();
  });

  // Puts the clock back to real time (where it started); orders and tasks stay as they are.
  router.post('/clock/reset', (ctx) => {
    clock.rewind();
    ctx.body = clockState();
  });

  router.get('/scenarios', (ctx) => {
    ctx.body = { scenarios: scenarios.list() };
  });

  router.post('/scenarios', async (ctx) => {
    ctx.status = 201;
    ctx.body = { scenario: await scenarios.add(jsonBody(ctx) as RuleInput) };
  });

  // Scenario files: the shipped classic cases, and any file's JSON posted as the body.
  router.get('/scenarios/files', (ctx) => {
    ctx.body = { files: shippedScenarios() };
  });

  router.post('/scenarios/files', async (ctx) => {
    ctx.status = 201;
    ctx.body = await scenarios.load(ctx.request.body, queryText(ctx.query.file) ?? 'body');
  });

  router.post('/scenarios/files/:file', async (ctx) => {
    const shipped = shippedScenario(ctx.params.file);
    if (!shipped) throw new Refusal('NOT_FOUND', [`no shipped scenario file "${ctx.params.file}"; they are ${shippedScenarios().map((s) => s.file).join(', ')}`]);
    const { file: _file, ...content } = shipped;
    ctx.status = 201;
    ctx.body = await scenarios.load(content, shipped.file);
  });

  router.delete('/scenarios', async (ctx) => {
    await scenarios.clear();
    ctx.body = { scenarios: [] };
  });

  router.delete('/scenarios/:id', async (ctx) => {
    if (!(await scenarios.remove(ctx.params.id))) throw new Refusal('NOT_FOUND', [`no scenario ${ctx.params.id}`]);
    ctx.body = { scenarios: scenarios.list() };
  });

  return router;
}
