import Router from '@koa/router';
import { bodyParserFor } from '../body-parser.js';
import type { Context } from 'koa';
import type { Gateway } from '../../app/gateway.js';
import { Refusal } from '../../core/errors.js';
import { devtoolsCondition, payInMiniprogram, readPayRequest, type OnShowOptions, type PayerChoice } from '../../app/payjs-miniprogram.js';
import { render } from '../views.js';

const yuan = (fee: unknown) => (typeof fee === 'number' || (typeof fee === 'string' && /^\d+$/.test(fee)) ? (Number(fee) / 100).toFixed(2) : undefined);

/** Reads `?extraData=<json>` (or the form field); an unreadable value is reported on the page. */
function parseExtraData(text: unknown): { extraData?: unknown; problem?: string } {
  if (typeof text !== 'string' || text === '') return { problem: '缺少 extraData (add ?extraData=<the JSON object your mini-program passes to wx.navigateToMiniProgram>)' };
  try {
    return { extraData: JSON.parse(text) };
  } catch {
    return { problem: 'extraData 不是 JSON (extraData does not parse as JSON; check quotes and URL-encoding)' };
  }
}

/** The simulated PAYJS mini-program (docs/protocol.md §12): a JSON endpoint for tests and the wx
 * harness, and a page where a person plays the payer and gets the onShow options to paste into
 * WeChat DevTools. */
export function miniprogramRoutes(gateway: Gateway): Router {
  const router = new Router({ prefix: '/__sandbox/miniprogram' });

  // Refused extraData is answered 200 with success: false, as the PAYJS mini-program returns to
  // the app whatever happened; only a malformed request to the sandbox itself is a 400.
  router.post('/pay', bodyParserFor({ types: ['json'], limit: '64kb' }), async (ctx) => {
    const body = ctx.request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Refusal('BAD_BODY', ['send JSON {"extraData": {…}, "action": "pay" | "fail" | "cancel"}']);
    ctx.body = await payInMiniprogram(gateway, readPayRequest(body as Record<string, unknown>));
  });

  const pathOf = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

  router.get('/pages/pay', async (ctx) => {
    const { extraData, problem } = parseExtraData(ctx.query.extraData);
    const data = (typeof extraData === 'object' && extraData !== null ? extraData : {}) as Record<string, unknown>;
    await render(ctx, 'miniprogram-pay', {
      problem,
      data,
      yuan: yuan(data.total_fee),
      raw: typeof ctx.query.extraData === 'string' ? ctx.query.extraData : '',
      path: pathOf(ctx.query.path) ?? '',
    }, problem ? 400 : 200);
  });

  router.post('/pages/pay', bodyParserFor({ types: ['form'], limit: '64kb' }), async (ctx: Context) => {
    const form = (ctx.request.body ?? {}) as Record<string, unknown>;
    const { extraData, problem } = parseExtraData(form.extraData);
    if (problem) return render(ctx, 'miniprogram-pay', { problem, data: {}, yuan: undefined, raw: '', path: '' }, 400);
    const action: PayerChoice = form.action === 'fail' || form.action === 'cancel' ? form.action : 'pay';
    const { onShowOptions, order } = await payInMiniprogram(gateway, { extraData, action, path: pathOf(form.path) });
    // Post/Redirect/Get: a reload of the result page shows it again instead of paying again.
    const r = Buffer.from(JSON.stringify({ onShowOptions, id: order?.payjs_order_id ?? null })).toString('base64url');
    ctx.status = 303;
    ctx.redirect(`/__sandbox/miniprogram/pages/result?r=${r}`);
  });

  // What the payer's choice came to: the onShow options, carried in the URL (nothing is stored).
  router.get('/pages/result', async (ctx) => {
    let shown: { onShowOptions: OnShowOptions; id: string | null } | undefined;
    try {
      shown = JSON.parse(Buffer.from(String(ctx.query.r ?? ''), 'base64url').toString('utf8'));
      if (!shown?.onShowOptions?.referrerInfo?.extraData) shown = undefined;
    } catch {
      shown = undefined;
    }
    if (!shown) return render(ctx, 'miniprogram-pay', { problem: '结果链接无效 (the result link is broken: go back and press Pay, Fail or Cancel again)', data: {}, yuan: undefined, raw: '', path: '' }, 400);
    const { onShowOptions } = shown;
    const order = shown.id ? await gateway.order(shown.id) : undefined;
    await render(ctx, 'miniprogram-result', {
      result: onShowOptions.referrerInfo.extraData,
      order,
      onShow: JSON.stringify(onShowOptions, null, 2),
      condition: devtoolsCondition(onShowOptions),
      conditionJson: JSON.stringify(devtoolsCondition(onShowOptions), null, 2),
      extraDataJson: JSON.stringify(onShowOptions.referrerInfo.extraData),
    });
  });
  return router;
}
