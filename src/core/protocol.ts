/**
 * Every value of the PAYJS protocol that the sandbox had to choose because PAYJS never documented
 * it, in one place. Each entry names its tag in docs/protocol.md: [UNK]/[INVENTED] values are
 * the sandbox's choice, [SDK]/[INF] values come from client libraries or inference. The README's
 * "What the sandbox had to guess" table lists the same entries.
 */

/** The PAYJS mini-program that merchant mini-programs jump to (docs/protocol.md §12) [DOC]. */
export const PAYJS_MINIPROGRAM_APPID = 'wx959c8c1fb2d877b5';

/** `return_msg` of every successful answer (docs/protocol.md §2.2) [OBS]. */
export const SUCCESS_MSG = 'SUCCESS';

/** An unpaid order without `time_expire` closes after 2 h: the native code_url lifetime [SDK];
 * the same lifetime for the other channels is the sandbox's choice [INF]. */
export const DEFAULT_ORDER_TTL_SECONDS = 2 * 60 * 60;

/** Upper bound of `total_fee` in fen: 10,000 yuan, from an SDK comment; PAYJS's own limit is [UNK]. */
export const MAX_TOTAL_FEE = 1_000_000;

/** `close` accepts orders up to 30 days old, `reverse` up to 7 days (docs/protocol.md §15) [DOC]. */
export const CLOSE_WINDOW_DAYS = 30;
export const REVERSE_WINDOW_DAYS = 7;

/** `check` reports only 0/1; closed → 0 and refunded → 1 is the suggested default [UNK]. */
export const CHECK_STATUS = { unpaid: 0, paid: 1, refunded: 1, closed: 0 } as const;

/** `check` of an unpaid order carries `"0"` for `transaction_id` and `paid_time` [OBS]. */
export const UNPAID_PLACEHOLDER = '0';

/** A second refund answers `return_code: 1`, `refund: "1"`, unsigned [SDK markity]; the wording of
 * its `return_msg` is [INVENTED]. */
export const ALREADY_REFUNDED_MSG = '订单已退款';

/** Identifier shapes (docs/protocol.md §2.3, §19.4) [OBS]. */
export const OPENID_PREFIX = 'o7LFAw';
export const TRANSACTION_ID_PREFIX = '42000';
/** Alipay payer ids for `type=alipay` orders start `2088` like Alipay's own [UNK]. */
export const ALIPAY_BUYER_PREFIX = '2088';

/** `appId` inside the `jsapi` object: PAYJS's official-account appid is not public [INVENTED]. */
export const JSAPI_APPID = 'wx0a1b2c3d4e5f6a7b';

/** Notify servers listed by `/api/iplist` [INVENTED]: the sandbox notifies from this machine, so an
 * IP allow-list built from this answer keeps working against it. */
export const NOTIFY_SERVER_IPS = ['127.0.0.1', '::1'];

/** `/api/openid`: `callback_url` keeps at most one query parameter (SDK comments copying the doc). */
export const OPENID_CALLBACK_MAX_QUERY_PARAMS = 1;

/** Field lengths the tables leave open [UNK]: `body` is 32 in old tables and 64 on the newer
 * cashier page (the sandbox takes 64; micropay/facepay/mini-program tables say 32); `logo` is
 * string(32) in the doc, too short for a URL (255); openids are 28 characters but the tables
 * give 32–128 (64); the openid `callback_url` has no documented limit (1024). */
export const FIELD_LIMITS = { body: 64, logo: 255, openid: 64, openidCallbackUrl: 1024, mchid: 16 } as const;

/** Length of the token behind `code_url`'s `pr=` (7–9 characters observed), h5_url and prepay_id. */
export const ORDER_CODE_LENGTH = 9;

/** The `jsapi` object's `signType` and its `paySign` (MD5 over the five jsapi fields with the
 * merchant key) are the sandbox's [INVENTED]: the real paySign is WeChat's. */
export const JSAPI_SIGN_TYPE = 'MD5';

/** Alipay formats for `type=alipay` orders [UNK]: a 16-digit buyer id `2088…`, and a 28-digit
 * trade number of the date, `22001` and 15 digits. */
export const ALIPAY_TRADE_NO_INFIX = '22001';

/** The notify ladder: seconds after the payment of each attempt (docs/protocol.md §14) [DOC]. */
export const NOTIFY_LADDER_SECONDS = [0, 15, 30, 180, 1800, 3600] as const;

/** The merchant has 3 s to answer a notify; HTTP 200 means delivered (§14) [DOC]. */
export const NOTIFY_TIMEOUT_MS = 3000;

/** What `notify=extra-fields` adds to a notify [INVENTED]: PAYJS warns that fields may be added. */
export const NOTIFY_EXTRA_FIELDS = { bank_type: 'CMB_DEBIT', is_subscribe: 'Y' } as const;

/** micropay waiting for the payer's password answers this, `return_code: 0`, with the order's
 * `payjs_order_id` (§6) [SDK]; the sandbox also echoes `out_trade_no`/`total_fee` and signs it. */
export const MICROPAY_PASSWORD_MSG = '需要用户输入支付密码';

/** What the PAYJS mini-program hands back to the merchant's `App.onShow` in
 * `referrerInfo.extraData` (docs/protocol.md §12.4–12.5). The field names are [SDK]; no source lists
 * the `resultCode` values or the wording of `msg`, so these are the sandbox's [INVENTED] choice.
 * `ERROR` is a refused extraData (bad sign, missing field, camelCase names): no order, and `msg`
 * carries the reason instead of the text below. */
export const MINIPROGRAM_RESULTS = {
  paid: { success: true, resultCode: 'SUCCESS', msg: '支付成功' },
  failed: { success: false, resultCode: 'FAIL', msg: '支付失败' },
  cancelled: { success: false, resultCode: 'CANCEL', msg: '用户取消支付' },
  refused: { success: false, resultCode: 'ERROR', msg: '参数错误' },
} as const;

/** `App.onShow`'s scene when a mini-program comes back from another one (docs/protocol.md §12.3) [DOC]. */
export const MINIPROGRAM_RETURN_SCENE = 1038;

/** The merchant page `App.onShow` reports on the return when the caller names none [INVENTED]:
 * WeChat reports the page that was open, which only the merchant app knows. */
export const MINIPROGRAM_DEFAULT_PATH = 'pages/index/index';

/** `auto=1` on the cashier starts the payment without a tap (docs/protocol.md §8) [DOC]; the sandbox
 * shows a countdown of this many seconds first, so a person sees the page and can stop it [INVENTED]. */
export const CASHIER_AUTO_PAY_SECONDS = 2;

/** What `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` hands its callback, by outcome
 * (WeChat's JSAPI documentation) [DOC]. */
export const JSAPI_ERR_MSG = {
  paid: 'get_brand_wcpay_request:ok',
  failed: 'get_brand_wcpay_request:fail',
  cancelled: 'get_brand_wcpay_request:cancel',
} as const;
