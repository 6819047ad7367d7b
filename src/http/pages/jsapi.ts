import { readFile } from 'node:fs/promises';
import type Router from '@koa/router';
import { bodyParserFor } from '../body-parser.js';
import type { Context, Next } from 'koa';
import type { Gateway } from '../../app/gateway.js';
import { Refusal } from '../../core/errors.js';
import { PAGE_PATHS } from '../../core/links.js';
import { JSAPI_ERR_MSG } from '../../core/protocol.js';
import { sign, type Params } from '../../core/sign.js';
import { codeFromPrepayId } from '../../core/links.js';
import { transition } from '../../core/transitions.js';
import type { Order } from '../../core/order.js';
import { VIEWS_DIR } from '../views.js';

const SCRIPT_FILE = `${VIEWS_DIR}weixin-jsbridge.js`;
let script: string | undefined;

// The merchant's page is on another origin: it loads the script and its pay sheet calls the
// endpoints below from there. Nothing here reads cookies, so any origin may.
async function cors(ctx: Context, next: Next) {
  ctx.set('Access-Control-Allow-Origin', '*');
  ctx.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  ctx.set('Access-Control-Allow-Headers', 'content-type');
  ctx.set('Access-Control-Max-Age', '600');
  // Chromium asks before a page reaches a more private address (a LAN page, a sandbox on loopback).
  if (ctx.get('Access-Control-Request-Private-Network') === 'true') ctx.set('Access-Control-Allow-Private-Network', 'true');
  await next();
}

const readJson = bodyParserFor({ types: ['json'], limit: '16kb', strict: true });

/** The `jsapi` object of a sheet request, as `/api/jsapi` answered it. */
function jsapiOf(ctx: Context): Params {
  const jsapi = (ctx.request.body as Record<string, unknown> | undefined)?.jsapi;
  if (typeof jsapi !== 'object' || jsapi === null || Array.isArray(jsapi)) throw new Refusal('MISSING_PARAM', ['jsapi']);
  return jsapi as Params;
}

/** The stand-in for WeChat's `WeixinJSBridge` (views/weixin-jsbridge.js) and the two endpoints
 * its pay sheet calls: what to show for a `jsapi` object, and the payer's choice. */
export function addJsapiBridge(router: Router, gateway: Gateway): void {
  router.get(PAGE_PATHS.bridge, cors, async (ctx) => {
    ctx.type = 'application/javascript; charset=utf-8';
    ctx.set('Cache-Control', 'no-cache');
    ctx.body = script ??= await readFile(SCRIPT_FILE, 'utf8');
  });
  router.options(`${PAGE_PATHS.jsapi}:what`, cors, (ctx) => {
    ctx.status = 204;
  });

  // What the sheet shows; refuses a paySign that does not verify or an order that cannot be paid.
  router.post(`${PAGE_PATHS.jsapi}order`, cors, readJson, async (ctx) => {
    const order = await jsapiOrder(gateway, jsapiOf(ctx));
    ctx.body = {
      payjs_order_id: order.payjs_order_id,
      merchant: gateway.merchants.get(order.mchid)?.name ?? order.mchid,
      total_fee: order.total_fee,
      body: order.body ?? '',
      status: order.status,
    };
  });

  router.post(`${PAGE_PATHS.jsapi}pay`, cors, readJson, async (ctx) => {
    const order = await jsapiOrder(gateway, jsapiOf(ctx));
    const requested = (ctx.request.body as Record<string, unknown>).action;
    if (requested !== 'pay' && requested !== 'fail' && requested !== 'cancel') throw new Refusal('INVALID_PARAM', ['action', 'one of pay, fail, cancel']);
    const { order: after, outcome } = await gateway.payerAction(order.payjs_order_id, requested);
    ctx.body = { err_msg: JSAPI_ERR_MSG[outcome], outcome, payjs_order_id: after.payjs_order_id, status: after.status };
  });
}

/** The order behind a `jsapi` object handed to the WeixinJSBridge stand-in, once its paySign
 * verifies with the merchant's key (the sandbox's paySign, answers.ts) and it can still be paid. */
async function jsapiOrder(gateway: Gateway, jsapi: Params): Promise<Order> {
  const pay: Params = {};
  for (const k of ['appId', 'nonceStr', 'package', 'signType', 'timeStamp']) {
    const v = jsapi[k];
    if (typeof v !== 'string' && typeof v !== 'number') throw new Refusal('MISSING_PARAM', [k]);
    pay[k] = v;
  }
  const prepay = /^prepay_id=(.+)$/.exec(String(pay.package))?.[1];
  const code = prepay ? codeFromPrepayId(prepay) : null;
  if (!code) throw new Refusal('INVALID_PARAM', ['package', 'expected "prepay_id=wx…" as /api/jsapi answered it']);
  const order = await gateway.orderByCode(code);
  if (!order || order.channel !== 'jsapi') throw new Refusal('ORDER_NOT_FOUND', [String(prepay).slice(0, 40)]);
  const merchant = gateway.merchants.require(order.mchid);
  if (jsapi.paySign !== sign(pay, merchant.key)) throw new Refusal('PAYSIGN_ERROR');
  if (order.status !== 'unpaid') transition(order, 'pay', Date.now()); // refuses as pay would
  return order;
}
