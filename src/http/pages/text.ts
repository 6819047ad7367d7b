/**
 * Every string of the pay pages, one table per page and language. Chinese is the default (the
 * pages stand in for WeChat's); `?lang=en` switches to English and a cookie keeps the choice.
 * The WeixinJSBridge stand-in runs in the merchant's page and carries its own table
 * (views/weixin-jsbridge.js).
 */

const zh = {
  /** On every page: the banner and the switch (which shows the other language's name). */
  common: {
    langName: '中文',
    siteName: 'PAYJS 沙箱',
    banner: 'PAYJS 沙箱 · 不会产生真实扣款',
    orderId: '订单号',
    outTradeNo: '商户订单号',
    attach: '附加数据',
    status: '订单状态',
    statusNames: { unpaid: '待支付', paid: '已支付', refunded: '已退款', closed: '已关闭' },
  },
  pay: {
    title_scan: '扫码支付',
    title_cashier: '收银台',
    title_h5: 'H5 支付',
    flow_scan: '扫码支付 · /api/native：付款人用微信扫描二维码',
    flow_cashier: '收银台 · /api/cashier：PAYJS 托管的收银台页面，支付后回到 callback_url',
    flow_h5: 'H5 支付 · /api/mweb：手机浏览器中拉起微信支付，支付后回到 callback_url',
    pay: '确认支付',
    fail: '支付失败',
    cancel: '取消支付',
    qrAlt: '订单二维码（code_url）',
    scanHint: '用手机扫描二维码（沙箱需以 --host 0.0.0.0 启动），或直接在此页面支付',
    autoPay: '{n} 秒后自动支付',
    stopAuto: '停止',
    hidePaying: '正在调起支付…',
    openOnPhone: '在手机上打开此页面',
  },
  result: {
    title: '支付结果',
    paid: '支付成功',
    failed: '支付失败',
    cancelled: '已取消支付',
    refused: '无法支付',
    backToMerchant: '返回商户',
    tryAgain: '重新支付',
    closeHint: '可以关闭此页面',
  },
  closed: {
    title: '页面已关闭',
    paid: '支付成功',
    message: '商户没有传 callback_url，微信会在此时关闭收银台页面。',
  },
  openid: {
    title: '微信授权登录',
    heading: '选择登录的微信用户',
    hint: '沙箱用这些虚构的用户代替微信授权：所选用户的 openid 会加到 callback_url 上。',
    goesTo: '登录后返回',
    defaultPayer: '默认付款人',
  },
  missing: {
    title: '订单不存在',
    message: '订单不存在或链接已失效',
  },
  'miniprogram-pay': {
    title: '支付',
    mpBanner: 'PAYJS 沙箱 — 模拟的小程序，不会产生真实扣款',
    mchid: '商户号 mchid',
    outTradeNo: '商户订单号 out_trade_no',
    attach: '附加数据 attach',
    path: '返回后商户小程序所在页面',
    pay: '确认支付',
    fail: '支付失败',
    cancel: '取消',
  },
  'miniprogram-result': {
    title: '结果',
    mpBanner: 'PAYJS 沙箱 — 模拟的小程序，不会产生真实扣款',
    orderId: '订单号',
    noOrder: '没有创建订单 (no order was created)',
    back: '已返回商户小程序',
    devtools: '微信开发者工具 · 自定义编译条件',
    startPage: '启动页面',
    startQuery: '启动参数',
    scene: '进入场景',
    orList: '或加入 project.private.config.json 的 condition.miniprogram.list：',
    again: '再试一次',
  },
};

/** The strings of every page in one language. */
export type PageText = typeof zh;

const en: PageText = {
  common: {
    langName: 'English',
    siteName: 'PAYJS sandbox',
    banner: 'PAYJS sandbox · no real money moves',
    orderId: 'Order',
    outTradeNo: 'Merchant order',
    attach: 'Attach',
    status: 'Status',
    statusNames: { unpaid: 'unpaid', paid: 'paid', refunded: 'refunded', closed: 'closed' },
  },
  pay: {
    title_scan: 'Scan to pay',
    title_cashier: 'Cashier',
    title_h5: 'H5 payment',
    flow_scan: 'QR payment · /api/native: the payer scans the code with WeChat',
    flow_cashier: "Cashier · /api/cashier: PAYJS's hosted cashier page; after paying, back to callback_url",
    flow_h5: 'H5 payment · /api/mweb: WeChat Pay opened from a phone browser; after paying, back to callback_url',
    pay: 'Pay',
    fail: 'Fail',
    cancel: 'Cancel',
    qrAlt: 'QR code of the order (code_url)',
    scanHint: 'Scan it with a phone (start the sandbox with --host 0.0.0.0), or pay right here',
    autoPay: 'Paying automatically in {n} s',
    stopAuto: 'Stop',
    hidePaying: 'Starting the payment…',
    openOnPhone: 'Open this page on a phone',
  },
  result: {
    title: 'Payment result',
    paid: 'Paid',
    failed: 'Payment failed',
    cancelled: 'Payment cancelled',
    refused: 'Cannot pay',
    backToMerchant: 'Back to the merchant',
    tryAgain: 'Try again',
    closeHint: 'You can close this page',
  },
  closed: {
    title: 'Page closed',
    paid: 'Paid',
    message: 'The merchant sent no callback_url: WeChat closes the cashier page now.',
  },
  openid: {
    title: 'WeChat login',
    heading: 'Pick the WeChat user who logs in',
    hint: 'The sandbox stands in for WeChat OAuth with these made-up users: the openid of the one you pick is added to callback_url.',
    goesTo: 'Returns to',
    defaultPayer: 'default payer',
  },
  missing: {
    title: 'No such order',
    message: 'No order behind this link, or the link has expired',
  },
  'miniprogram-pay': {
    title: 'Pay',
    mpBanner: 'PAYJS sandbox — a simulated mini-program; no real money moves',
    mchid: 'mchid',
    outTradeNo: 'out_trade_no',
    attach: 'attach',
    path: 'The merchant page open on return',
    pay: 'Pay',
    fail: 'Payment fails',
    cancel: 'Cancel',
  },
  'miniprogram-result': {
    title: 'Result',
    mpBanner: 'PAYJS sandbox — a simulated mini-program; no real money moves',
    orderId: 'Order',
    noOrder: 'no order was created',
    back: 'Back in the merchant mini-program',
    devtools: 'WeChat DevTools · custom compile condition',
    startPage: 'Start page',
    startQuery: 'Query',
    scene: 'Scene',
    orList: 'or add this entry to condition.miniprogram.list of project.private.config.json:',
    again: 'Try again',
  },
};

/** The languages of the pages: Chinese (the default) and English. */
export type Lang = 'zh' | 'en';
export const LANGS: readonly Lang[] = ['zh', 'en'];

/** The names of the pages that have a table. */
export type PageName = Exclude<keyof PageText, 'common'>;

const TEXT: Record<Lang, PageText> = { zh, en };

/** The strings one page sees: the common ones and its own. */
export function pageText(lang: Lang, page: string): Record<string, unknown> {
  const table = TEXT[lang];
  const own = Object.hasOwn(table, page) && page !== 'common' ? table[page as PageName] : {};
  return { ...table.common, ...own };
}

/** The name of a language, in that language (the label of the switch). */
export const langName = (lang: Lang) => TEXT[lang].common.langName;
