import type Router from '@koa/router';
import { bodyParserFor } from '../body-parser.js';
import { loadQrcode } from '../lazy.js';
import type { Context } from 'koa';
import type { Gateway } from '../../app/gateway.js';
import type { Order } from '../../core/order.js';
import { PAGE_PATHS, codeFromPrepayId, codeUrl, payPageUrl } from '../../core/links.js';
import { CASHIER_AUTO_PAY_SECONDS } from '../../core/protocol.js';
import { Refusal } from '../../core/errors.js';
import { pageText } from './text.js';
import { pageLang, render } from '../views.js';

type Kind = 'scan' | 'cashier' | 'h5';
type Outcome = 'paid' | 'failed' | 'cancelled';
const OUTCOMES: readonly string[] = ['paid', 'failed', 'cancelled'];

const yuan = (fen: number) => (fen / 100).toFixed(2);
const isHttpUrl = (url: string | undefined): url is string => !!url && /^https?:\/\//i.test(url);
/** The cashier's `auto` and `hide` are "bool" fields sent as `1` (docs/protocol.md §8). */
const isOn = (v: string | undefined) => v === '1' || v?.toLowerCase() === 'true';

/** The callback_url a cashier or H5 page may send the payer back to. */
const merchantReturn = (order: Order) => (order.channel === 'cashier' || order.channel === 'mweb') && isHttpUrl(order.callback_url) ? order.callback_url : undefined;

const qr = async (content: string) => (await loadQrcode()).toDataURL(content, { margin: 2, width: 240 });

/** The scan page (what code_url opens), the cashier and the H5 page, where a person or a browser
 * test pays; then the result and "closed" pages. */
export function addPayPages(router: Router, gateway: Gateway): void {
  const missing = (ctx: Context) => render(ctx, 'missing', {}, 404);

  const page = async (ctx: Context, code: string | null, kind: Kind) => {
    const order = code ? await gateway.orderByCode(code) : undefined;
    if (!order) return missing(ctx);
    const options = order.options ?? {};
    const hide = kind === 'cashier' && isOn(options.hide);
    await render(ctx, 'pay', {
      kind,
      order,
      yuan: yuan(order.total_fee),
      merchantName: gateway.merchants.get(order.mchid)?.name ?? order.mchid,
      action: `${PAGE_PATHS.pay}${order.code}`,
      // hide=1 pays at once, so auto means nothing then (docs/protocol.md §8).
      hide,
      auto: kind === 'cashier' && !hide && isOn(options.auto) ? CASHIER_AUTO_PAY_SECONDS : 0,
      logo: kind === 'cashier' && isHttpUrl(options.logo) ? options.logo : undefined,
      // The scan page shows code_url as a QR code, to scan from the screen; the other pages offer
      // their own URL, to go on paying on a phone.
      qr: kind === 'scan' ? await qr(codeUrl(`${ctx.protocol}://${ctx.host}`, order)) : undefined,
      phoneQr: kind === 'scan' ? undefined : await qr(ctx.href),
      bodyClass: hide ? 'bare' : '',
    });
  };
  router.get(PAGE_PATHS.scan, (ctx) => page(ctx, typeof ctx.query.pr === 'string' ? ctx.query.pr : null, 'scan'));
  router.get(`${PAGE_PATHS.cashier}:code`, (ctx) => page(ctx, ctx.params.code, 'cashier'));
  router.get(PAGE_PATHS.h5, (ctx) => page(ctx, typeof ctx.query.prepay_id === 'string' ? codeFromPrepayId(ctx.query.prepay_id) : null, 'h5'));

  // The payer's choice; paying goes through the same gateway as every surface, and the order's
  // scenario (pay=fail, pay=cancel) decides what Pay does. After paying, the browser goes to
  // callback_url; a cashier without one is closed by WeChat (docs/protocol.md §8, §11). Fail and
  // cancel show the result, with a link back to the merchant: PAYJS documents callback_url for
  // success only.
  router.post(`${PAGE_PATHS.pay}:code`, bodyParserFor({ types: ['form'], limit: '56kb' }), async (ctx) => {
    const found = await gateway.orderByCode(ctx.params.code);
    if (!found) return missing(ctx);
    const requested = (ctx.request.body as Record<string, unknown> | undefined)?.action;
    const action = requested === 'fail' || requested === 'cancel' ? requested : 'pay';
    let result: Awaited<ReturnType<Gateway['payerAction']>>;
    try {
      result = await gateway.payerAction(found.payjs_order_id, action);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      return render(ctx, 'result', resultView(found, 'refused', err.message), 409);
    }
    const { order, outcome } = result;
    if (outcome === 'paid' && isHttpUrl(order.callback_url)) return ctx.redirect(order.callback_url);
    if (outcome === 'paid' && order.channel === 'cashier') return render(ctx, 'closed', closedView(order));
    await render(ctx, 'result', resultView(order, outcome, String(pageText(pageLang(ctx), 'result')[outcome])));
  });

  router.get(`${PAGE_PATHS.result}:code`, async (ctx) => {
    const order = await gateway.orderByCode(ctx.params.code);
    if (!order) return missing(ctx);
    const asked = String(ctx.query.outcome);
    const outcome = (OUTCOMES.includes(asked) ? asked : order.status === 'paid' ? 'paid' : 'cancelled') as Outcome;
    await render(ctx, 'result', resultView(order, outcome, String(pageText(pageLang(ctx), 'result')[outcome])));
  });

  router.get(`${PAGE_PATHS.closed}:code`, async (ctx) => {
    const order = await gateway.orderByCode(ctx.params.code);
    if (!order) return missing(ctx);
    await render(ctx, 'closed', closedView(order));
  });
}

// The result and closed pages answer the POST of the payer's choice; `selfUrl` is where they can
// be loaded again (the page puts it in the address bar, so that a reload does not post again),
// and where the language switch goes.
function resultView(order: Order, outcome: Outcome | 'refused', message: string): Record<string, unknown> {
  const payPage = payPageUrl('', order);
  const selfUrl = outcome === 'refused' ? payPage ?? `${PAGE_PATHS.result}${order.code}` : `${PAGE_PATHS.result}${order.code}?outcome=${outcome}`;
  return {
    order,
    outcome,
    message,
    yuan: yuan(order.total_fee),
    tryAgainUrl: order.status === 'unpaid' ? payPage : undefined,
    backUrl: outcome === 'paid' ? undefined : merchantReturn(order),
    selfUrl: outcome === 'refused' ? undefined : selfUrl,
    langPath: selfUrl,
  };
}

function closedView(order: Order): Record<string, unknown> {
  const selfUrl = `${PAGE_PATHS.closed}${order.code}`;
  return { order, yuan: yuan(order.total_fee), selfUrl, langPath: selfUrl };
}
