import type { Context } from 'koa';
import { find, type Token } from '../core/scenarios.js';

/** The header that chooses a scenario for one API call (see the README's scenario table). */
export const SCENARIO_HEADER = 'x-payjs-sandbox-scenario';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs an API call under its `api=…` faults: `status` answers that HTTP status without carrying
 * the call out; `delay` answers late; `hang` carries it out and never answers; `malformed`
 * carries it out and answers broken JSON.
 */
export async function withFaults(ctx: Context, tokens: Token[], handle: () => Promise<void> | void): Promise<void> {
  const status = find(tokens, 'api=status');
  if (status) {
    ctx.status = status.arg!;
    if (ctx.status !== 204 && ctx.status !== 304) ctx.body = `payjs-sandbox scenario ${status.text}`;
    return;
  }
  const delay = find(tokens, 'api=delay');
  if (delay) await sleep(delay.arg!);
  await handle();
  if (find(tokens, 'api=malformed')) {
    const text = typeof ctx.body === 'string' ? ctx.body : (JSON.stringify(ctx.body) ?? '{}');
    ctx.type = 'application/json';
    ctx.body = text.slice(0, Math.max(1, Math.floor(text.length / 2)));
  }
  if (find(tokens, 'api=hang')) {
    // Never answer: keep the socket until the client gives up or the sandbox closes.
    ctx.respond = false;
    await new Promise((resolve) => (ctx.req.socket.destroyed ? resolve(null) : ctx.req.socket.once('close', resolve)));
  }
}
