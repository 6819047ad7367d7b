/**
 * One error type and all of its wording. PAYJS's own wording for these failures is unknown
 * (docs/protocol.md §18 [UNK]): the Chinese part follows the placeholders suggested there
 * [INVENTED], the English part tells the developer what to fix.
 */

const MESSAGES = {
  MISSING_PARAM: (f: string) => `缺少参数：${f} (missing required parameter "${f}")`,
  INVALID_PARAM: (f: string, why: string) => `参数错误：${f} (${why})`,
  PARAM_TOO_LONG: (f: string, max: string) => `参数过长：${f} (at most ${max} characters)`,
  BAD_AMOUNT: (f: string, why: string) => `金额错误：${f} (${why})`,
  UNKNOWN_MCHID: (m: string) => `商户号不存在 (unknown mchid "${m}": use a merchant the sandbox was started with)`,
  SIGN_MISSING: () => '缺少参数：sign (missing required parameter "sign")',
  SIGN_ERROR: (hint: string) => `签名错误 (signature mismatch: ${hint})`,
  // "for this merchant" only where a merchant asked (the PAYJS API); the control API has none.
  ORDER_NOT_FOUND: (id: string, scope = '') => `订单不存在 (no order "${id}"${scope})`,
  ORDER_PAID: () => '订单已支付 (the order is paid: refund it instead)',
  ORDER_CLOSED: () => '订单已关闭 (the order is closed: create a new one)',
  ORDER_REFUNDED: () => '订单已退款 (the order has been refunded)',
  ORDER_UNPAID: () => '订单未支付 (the order is not paid yet)',
  ORDER_TOO_OLD: (action: string, days: string) => `订单已超过${days}天，无法${action} (only orders from the last ${days} days)`,
  DUPLICATE_OUT_TRADE_NO: (n: string) => `商户订单号重复 (out_trade_no "${n}" was used before; the sandbox runs with --unique-out-trade-no)`,
  BAD_BODY: (why: string) => `请求格式错误 (${why})`,
  BODY_TOO_LARGE: (limit: string) => `请求体过大 (the request body is over ${limit})`,
  NOT_FOUND: (what: string) => `不存在 (${what})`,
  METHOD_NOT_ALLOWED: (path: string) => `请求方法错误 (use GET or POST for ${path})`,
  UNKNOWN_SCENARIO: (token: string, known: string) => `未知的沙箱场景：${token} (the sandbox knows ${known})`,
  STORAGE_FAILED: (why: string) => `存储失败 (the sandbox could not record the change: ${why})`,
  PAYSIGN_ERROR: () => '支付验证签名失败 (the jsapi paySign does not verify with the merchant key: pass the jsapi object of /api/jsapi unchanged)',
  UNDEFINED_FIELDS: (keys: string) => `参数为空：${keys} (undefined or null in the extraData the app jumped with: the docs' fragment reads response['${keys.split(', ')[0]}'], but wx.request puts the back end's answer in response.data, so read response.data.${keys.split(', ')[0]})`,
  CAMELCASE_FIELDS: (found: string) => `参数错误：${found} (use snake_case field names: mchid, total_fee, out_trade_no, body, attach, notify_url, nonce, sign; the camelCase names come from old demos, docs/protocol.md §12)`,
} as const;

export type ErrorCode = keyof typeof MESSAGES;

/** The one error type: a refusal of whatever was asked, on every surface. The PAYJS API answers
 * it with PAYJS's failure envelope, the control API and the pages with `{ error, message }` and a
 * 4xx (http/errors.ts); `debug` goes to a response header. */
export class Refusal extends Error {
  readonly code: ErrorCode;
  readonly debug?: string;
  constructor(code: ErrorCode, args: string[] = [], debug?: string) {
    super((MESSAGES[code] as (...a: string[]) => string)(...args));
    this.name = 'Refusal';
    this.code = code;
    this.debug = debug;
  }
}
