import { beijingTime } from './time.js';
import { codeUrl, h5Url, prepayId, qrcodeUrl } from './links.js';
import { ALREADY_REFUNDED_MSG, CHECK_STATUS, JSAPI_APPID, JSAPI_SIGN_TYPE, MICROPAY_PASSWORD_MSG, SUCCESS_MSG, UNPAID_PLACEHOLDER } from './protocol.js';
import { orderedBody, sign, signedBody, type Params, type ParamValue } from './sign.js';
import type { Order } from './order.js';

/**
 * The success answers of the PAYJS API, each with exactly the documented fields
 * (docs/protocol.md §5–§16): typed clients re-sign fixed structs and break on extra keys.
 */

const ok = { return_code: 1, return_msg: SUCCESS_MSG };

/** `total_fee` and `out_trade_no` are echoed with the type the request used (a form sends strings). */
export interface Echo {
  total_fee: ParamValue;
  out_trade_no: ParamValue;
}

export function nativeAnswer(order: Order, echo: Echo, base: string, key: string): Params {
  const code_url = codeUrl(base, order);
  return signedBody({ ...ok, ...echo, payjs_order_id: order.payjs_order_id, code_url, qrcode: qrcodeUrl(base, code_url) }, key);
}

/** micropay and facepay answer alike (docs/protocol.md §6, §10). */
export function deviceAnswer(order: Order, echo: Echo, key: string): Params {
  return signedBody({ ...ok, ...echo, payjs_order_id: order.payjs_order_id }, key);
}

/** micropay waiting for the payer's password: `return_code: 0` with the order id (§6). */
export function micropayPasswordAnswer(order: Order, echo: Echo, key: string): Params {
  return signedBody({ return_code: 0, return_msg: MICROPAY_PASSWORD_MSG, msg: MICROPAY_PASSWORD_MSG, ...echo, payjs_order_id: order.payjs_order_id }, key);
}

/** The `jsapi` object handed to `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`; its appId and
 * paySign are the sandbox's (docs/protocol.md §7 [UNK]). */
export function jsapiAnswer(order: Order, nonceStr: string, now: number, key: string): Params {
  const pay = { appId: JSAPI_APPID, nonceStr, package: `prepay_id=${prepayId(order)}`, signType: JSAPI_SIGN_TYPE, timeStamp: String(Math.floor(now / 1000)) };
  const jsapi = { ...pay, paySign: sign(pay, key) };
  return signedBody({ ...ok, payjs_order_id: order.payjs_order_id, jsapi }, key);
}

export function mwebAnswer(order: Order, base: string, key: string): Params {
  return signedBody({ ...ok, payjs_order_id: order.payjs_order_id, h5_url: h5Url(base, order) }, key);
}

/** `check` (docs/protocol.md §15.1): unpaid orders carry "0" for transaction_id and paid_time [OBS];
 * no `return_msg`, as the doc table has none [UNK]. */
export function checkAnswer(order: Order, key: string): Params {
  const paid = order.paid_at !== undefined;
  return signedBody({
    return_code: 1,
    mchid: order.mchid,
    out_trade_no: order.out_trade_no,
    payjs_order_id: order.payjs_order_id,
    transaction_id: paid ? order.transaction_id : UNPAID_PLACEHOLDER,
    status: CHECK_STATUS[order.status],
    openid: paid ? order.openid : undefined,
    total_fee: order.total_fee,
    paid_time: paid ? beijingTime(order.paid_at!) : UNPAID_PLACEHOLDER,
    attach: order.attach,
  }, key);
}

/** `close` and `reverse` (docs/protocol.md §15.2, §15.3). */
export function closeAnswer(order: Order, key: string): Params {
  return signedBody({ ...ok, payjs_order_id: order.payjs_order_id }, key);
}

export function refundAnswer(order: Order, key: string): Params {
  return signedBody({ ...ok, payjs_order_id: order.payjs_order_id, out_trade_no: order.out_trade_no, transaction_id: order.transaction_id }, key);
}

/** A refund of an already refunded order: `return_code: 1`, `refund: "1"`, and no sign
 * (docs/protocol.md §15.4 [SDK markity]). */
export function alreadyRefundedAnswer(order: Order): Params {
  return orderedBody({ return_code: 1, return_msg: ALREADY_REFUNDED_MSG, payjs_order_id: order.payjs_order_id, out_trade_no: order.out_trade_no, transaction_id: order.transaction_id, refund: '1' });
}

/** The answers of info, user, bank, complaint and iplist: their data beside the success fields. */
export function merchantAnswer(data: Params, key: string): Params {
  return signedBody({ ...ok, ...data }, key);
}

/** PAYJS's failure envelope (docs/protocol.md §2.2): unsigned, the reason in both `msg` and `return_msg`. */
export function errorEnvelope(msg: string): Params {
  return { msg, return_code: 0, return_msg: msg, status: 0 };
}
