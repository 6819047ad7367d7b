import Router from '@koa/router';
import QRCode from 'qrcode';
import type { Context } from 'koa';
import type { Gateway } from '../gateway.js';
import bodyParser from 'koa-bodyparser';
import { PAGE_PATHS, codeFromPrepayId } from '../core/links.js';
import { PayjsError } from '../core/errors.js';
import { render } from './views.js';

const yuan = (fen: number) => (fen / 100).toFixed(2);
const OUTCOME_TEXT = { paid: '支付成功 Paid', failed: '支付失败 Payment failed', cancelled: '已取消支付 Cancelled' };

/** The payer's side: the QR image, and the scan, cashier and H5 pages where a person or a
 * browser test pays. */
export function pageRoutes(gateway: Gateway): Router {
  const router = new Router();

  router.get(`${PAGE_PATHS.qrcode}*data`, async (ctx) => {
    const content = Buffer.from(String(ctx.params.data), 'base64').toString('utf8');
    if (!content || content.length > 2048) throw new PayjsError('NOT_FOUND', ['no QR content in this URL']);
    ctx.type = 'png';
    ctx.body = await QRCode.toBuffer(content, { type: 'png', margin: 2, width: 280 });
  });

  const page = async (ctx: Context, code: string | null, kind: string) => {
    const order = code ? await gateway.orderByCode(code) : undefined;
    if (!order) return render(ctx, 'missing', { title: '订单不存在' }, 404);
    const merchant = gateway.merchants.get(order.mchid);
    await render(ctx, 'pay', { kind, order, yuan: yuan(order.total_fee), merchantName: merchant?.name ?? order.mchid, action: `/pay/${order.code}` });
  };
  router.get(PAGE_PATHS.scan, (ctx) => page(ctx, typeof ctx.query.pr === 'string' ? ctx.query.pr : null, 'scan'));
  router.get(`${PAGE_PATHS.cashier}:code`, (ctx) => page(ctx, ctx.params.code, 'cashier'));
  router.get(PAGE_PATHS.h5, (ctx) => page(ctx, typeof ctx.query.prepay_id === 'string' ? codeFromPrepayId(ctx.query.prepay_id) : null, 'h5'));

  // The payer's choice on a pay page; paying goes through the same gateway as every surface, and
  // the order's scenario (pay=fail, pay=cancel) decides what Pay does.
  router.post('/pay/:code', bodyParser({ enableTypes: ['form'] }), async (ctx) => {
    const found = await gateway.orderByCode(ctx.params.code);
    if (!found) return render(ctx, 'missing', { title: '订单不存在' }, 404);
    const requested = (ctx.request.body as Record<string, unknown> | undefined)?.action;
    const action = requested === 'fail' || requested === 'cancel' ? requested : 'pay';
    let result: Awaited<ReturnType<Gateway['payerAction']>>;
    try {
      result = await gateway.payerAction(found.payjs_order_id, action);
    } catch (err) {
      if (!(err instanceof PayjsError)) throw err;
      return render(ctx, 'result', { order: found, yuan: yuan(found.total_fee), message: err.message, outcome: 'refused' }, 409);
    }
    const { order, outcome } = result;
    if (outcome === 'paid' && order.callback_url && /^https?:\/\//i.test(order.callback_url)) return ctx.redirect(order.callback_url);
    await render(ctx, 'result', { order, yuan: yuan(order.total_fee), message: OUTCOME_TEXT[outcome], outcome });
  });
  return router;
}
