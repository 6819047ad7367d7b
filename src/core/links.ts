import type { Order } from './order.js';

/**
 * Where the sandbox's own pages live. `code_url` mirrors WeChat's `weixin://wxpay/bizpayurl?pr=…`
 * and `qrcode` mirrors `https://payjs.cn/qrcode/<base64(code_url)>` (docs/protocol.md §2.3), both on
 * the sandbox's origin so that a browser or a phone can open them.
 */
export const PAGE_PATHS = {
  scan: '/wxpay/bizpayurl',
  qrcode: '/qrcode/',
  cashier: '/cashier/',
  h5: '/h5/pay',
  /** Where the pay pages post the payer's choice, and the pages that follow it. */
  pay: '/pay/',
  result: '/result/',
  closed: '/closed/',
  /** The fake WeChat login of `/api/openid` when the sandbox runs with the openid page. */
  openid: '/openid/authorize',
  /** The WeixinJSBridge stand-in and the endpoints its pay sheet talks to. */
  bridge: '/sandbox/weixin-jsbridge.js',
  jsapi: '/sandbox/jsapi/',
} as const;

export function codeUrl(base: string, order: Order): string {
  return `${base}${PAGE_PATHS.scan}?pr=${order.code}`;
}

export function qrcodeUrl(base: string, content: string): string {
  return `${base}${PAGE_PATHS.qrcode}${Buffer.from(content, 'utf8').toString('base64')}`;
}

export function cashierUrl(base: string, order: Order): string {
  return `${base}${PAGE_PATHS.cashier}${order.code}`;
}

export function h5Url(base: string, order: Order): string {
  return `${base}${PAGE_PATHS.h5}?prepay_id=${prepayId(order)}`;
}

/** The `prepay_id` inside a jsapi `package`, and the key of the H5 page. */
export function prepayId(order: Order): string {
  return `wx${order.code}`;
}

/** The order code behind a `prepay_id`, or null. */
export function codeFromPrepayId(prepay: string): string | null {
  return /^wx[A-Za-z0-9]+$/.test(prepay) ? prepay.slice(2) : null;
}

/** The page where the payer of an order pays, by channel; jsapi, micropay and facepay orders have
 * none (the payer pays in WeChat's own sheet or at a device). */
export function payPageUrl(base: string, order: Order): string | undefined {
  if (order.channel === 'native') return codeUrl(base, order);
  if (order.channel === 'cashier') return cashierUrl(base, order);
  if (order.channel === 'mweb') return h5Url(base, order);
  return undefined;
}

/** The fake WeChat login page, carrying the `/api/openid` parameters on. */
export function openidPageUrl(params: Record<string, string>): string {
  return `${PAGE_PATHS.openid}?${new URLSearchParams(params)}`;
}
