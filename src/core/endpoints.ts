import * as answers from './answers.js';
import { bankAnswer, complaints, ipList, merchantInfo, wechatUser } from './fakes.js';
import { CLOSE_WINDOW_DAYS, FIELD_LIMITS, REVERSE_WINDOW_DAYS } from './protocol.js';
import { RULES, type Fields, type Rules } from './fields.js';
import { cashierUrl } from './links.js';
import type { Merchant } from './merchant.js';
import type { Channel, Order, OrderEvent } from './order.js';
import type { Params } from './sign.js';

/**
 * The PAYJS endpoints, one row each: what kind of call it is, its field rules (the tables of
 * docs/protocol.md §5–§16), its answer, and its channel. The `Endpoint` types, the /api routes, the
 * field checks, the OpenAPI paths, where scenarios apply and the dashboard's lists all come from
 * here: adding an endpoint is one row plus its answer (CONTRIBUTING.md).
 */

/** What a create call's answer is made from. */
export interface CreateContext {
  /** `total_fee` and `out_trade_no` as the request typed them. */
  echo: answers.Echo;
  /** The origin the caller reached the sandbox by, for the links in answers. */
  base: string;
  key: string;
  now: number;
  nonce: string;
  /** micropay under `micropay=password`: the payer must still type a password. */
  awaitingPassword: boolean;
}

/** A successful answer: a JSON body, or (browser endpoints) where the browser goes next. */
export type Answer = { body: Params } | { redirect: string };

interface Common {
  fields: Rules;
  /** One line for the OpenAPI description. */
  summary: string;
  /** The answer schemas of the OpenAPI document (http/openapi/payjs.ts), besides the refusal. */
  answers: readonly string[];
}

/** native, micropay, jsapi, cashier, mweb, facepay: a new order on `channel`. */
export interface CreateRow extends Common {
  kind: 'create';
  channel: Channel;
  /** Charged at once unless a password is awaited (micropay and facepay, §6, §10). */
  paidAtOnce?: true;
  /** The call takes the `micropay=password` scenario (§6). */
  password?: true;
  /** A browser endpoint: where its 302 leads (the answer is a redirect). */
  redirectsTo?: string;
  answer: (order: Order, c: CreateContext) => Answer;
}

/** The signed extraData of the PAYJS mini-program (§12): a create that is no /api route. */
interface MiniprogramRow extends Common {
  kind: 'miniprogram';
  channel: Channel;
}

/** check, close, reverse, refund: a call on one order, applying `event` to it (none: a query). */
export interface OrderCallRow extends Common {
  kind: 'order-call';
  event?: OrderEvent;
  /** Orders older than this are refused, with the action's name in the message. */
  window?: { days: number; action: string };
  /** `changed`: whether the event changed the order (a second refund does not). */
  answer: (order: Order, key: string, changed: boolean) => Params;
}

/** info, user, bank, complaint, iplist: the merchant's data, beside the success fields. */
export interface QueryRow extends Common {
  kind: 'query';
  data: (merchant: Merchant, fields: Fields) => Params;
}

/** `/api/openid`: the browser goes on to a URL; the sign is checked only when sent (§13). */
interface RedirectRow extends Common {
  kind: 'redirect';
  signOptional: true;
  /** Where its 302 leads. */
  redirectsTo: string;
}

type Row = CreateRow | MiniprogramRow | OrderCallRow | QueryRow | RedirectRow;
export type EndpointKind = Row['kind'];

const json = (body: Params): Answer => ({ body });

/** The table, in the order the README, the dashboard and the OpenAPI document list them. */
export const ENDPOINTS = {
  native: {
    kind: 'create', channel: 'native',
    fields: { ...RULES.create, type: { kind: 'payType' }, no_credit: { max: 1 } },
    summary: '扫码支付: a QR (native) order (docs/protocol.md §5)', answers: ['NativeAnswer'],
    answer: (order, c) => json(answers.nativeAnswer(order, c.echo, c.base, c.key)),
  },
  // Without a scenario micropay succeeds at once with `return_code: 1` [UNK]: whether PAYJS
  // answers 1 for a password-less payment is unknown (an SDK claims it is always 0).
  micropay: {
    kind: 'create', channel: 'micropay', paidAtOnce: true, password: true,
    fields: { ...RULES.deviceCreate, auth_code: { required: true, kind: 'authCode' } },
    summary: "付款码支付: charge the payer's code, paid at once (§6)", answers: ['DeviceAnswer', 'MicropayPasswordAnswer'],
    answer: (order, c) => json(c.awaitingPassword ? answers.micropayPasswordAnswer(order, c.echo, c.key) : answers.deviceAnswer(order, c.echo, c.key)),
  },
  jsapi: {
    kind: 'create', channel: 'jsapi',
    fields: { ...RULES.create, openid: { required: true, max: FIELD_LIMITS.openid } },
    summary: 'JSAPI 支付: an order to pay inside WeChat pages (§7)', answers: ['JsapiAnswer'],
    answer: (order, c) => json(answers.jsapiAnswer(order, c.nonce, c.now, c.key)),
  },
  mweb: {
    kind: 'create', channel: 'mweb',
    fields: { ...RULES.create, callback_url: { max: 255 } },
    summary: 'H5 支付: an order paid on an H5 page (§9)', answers: ['MwebAnswer'],
    answer: (order, c) => json(answers.mwebAnswer(order, c.base, c.key)),
  },
  facepay: {
    kind: 'create', channel: 'facepay', paidAtOnce: true,
    fields: { ...RULES.deviceCreate, openid: { required: true, max: 128 }, face_code: { required: true, max: 128 } },
    summary: '人脸支付: charge a face code, paid at once (§10)', answers: ['DeviceAnswer'],
    answer: (order, c) => json(answers.deviceAnswer(order, c.echo, c.key)),
  },
  // The cashier is opened by the payer's browser: a valid request goes on to the pay page (§11).
  cashier: {
    kind: 'create', channel: 'cashier',
    fields: { ...RULES.create, callback_url: { max: 255 }, auto: { max: 8 }, hide: { max: 8 }, logo: { max: FIELD_LIMITS.logo } },
    summary: '收银台: the browser is sent on to the cashier page (§8, §11)', answers: [],
    redirectsTo: 'the cashier page of the new order',
    answer: (order, c) => ({ redirect: cashierUrl(c.base, order) }),
  },
  check: {
    kind: 'order-call', fields: RULES.byOrder,
    summary: '订单查询 (§15.1): a successful check of a paid order stops the notify retries', answers: ['CheckAnswer'],
    answer: (order, key) => answers.checkAnswer(order, key),
  },
  close: {
    kind: 'order-call', fields: RULES.byOrder, event: 'close', window: { days: CLOSE_WINDOW_DAYS, action: '关闭' },
    summary: '关闭订单 (§15.2)', answers: ['CloseAnswer'],
    answer: (order, key) => answers.closeAnswer(order, key),
  },
  // Whatever the state: a paid order is refunded, an unpaid one closed (§15.3).
  reverse: {
    kind: 'order-call', fields: RULES.byOrder, event: 'reverse', window: { days: REVERSE_WINDOW_DAYS, action: '撤销' },
    summary: '撤销订单 (§15.3): refunds a paid order, closes an unpaid one', answers: ['CloseAnswer'],
    answer: (order, key) => answers.closeAnswer(order, key),
  },
  refund: {
    kind: 'order-call', fields: RULES.byOrder, event: 'refund',
    summary: '退款, the full amount (§15.4)', answers: ['RefundAnswer', 'AlreadyRefundedAnswer'],
    answer: (order, key, changed) => (changed ? answers.refundAnswer(order, key) : answers.alreadyRefundedAnswer(order)),
  },
  openid: {
    kind: 'redirect', signOptional: true,
    fields: { mchid: RULES.mchid, callback_url: { required: true, max: FIELD_LIMITS.openidCallbackUrl } },
    summary: '获取 openid (§13): the browser goes back to callback_url with openid added', answers: [],
    redirectsTo: 'callback_url with `openid` added (or, with --openid-page, the fake WeChat login)',
  },
  user: {
    kind: 'query', fields: { ...RULES.merchantOnly, openid: { required: true, max: FIELD_LIMITS.openid } },
    summary: '用户资料 (§16.3): a deterministic fake profile', answers: ['UserAnswer'],
    data: (_merchant, fields) => wechatUser(fields.openid),
  },
  info: {
    kind: 'query', fields: RULES.merchantOnly,
    summary: '商户资料 (§16.1)', answers: ['InfoAnswer'],
    data: (merchant) => merchantInfo(merchant),
  },
  bank: {
    kind: 'query', fields: { ...RULES.merchantOnly, bank: { required: true, max: 32 } },
    summary: '银行编码查询 (§16.4)', answers: ['BankAnswer'],
    data: (_merchant, fields) => bankAnswer(fields.bank),
  },
  complaint: {
    kind: 'query', fields: RULES.merchantOnly,
    summary: '投诉查询 (§16.2): two fixed complaints per merchant', answers: ['ComplaintAnswer'],
    data: (merchant) => complaints(merchant.mchid),
  },
  iplist: {
    kind: 'query', fields: RULES.merchantOnly,
    summary: 'the notify servers (§16.5)', answers: ['IplistAnswer'],
    data: () => ipList(),
  },
  miniprogram: {
    kind: 'miniprogram', channel: 'miniprogram',
    fields: { ...RULES.deviceCreate, notify_url: { max: 255 }, nonce: { required: true, max: 128 } },
    summary: 'the signed extraData a merchant mini-program jumps to the PAYJS mini-program with (§12)', answers: [],
  },
} as const satisfies Record<string, Row>;

type Table = typeof ENDPOINTS;
/** Every merchant-facing endpoint; `miniprogram` is the signed extraData of §12. */
export type Endpoint = keyof Table;
type OfKind<K extends EndpointKind> = { [E in Endpoint]: Table[E]['kind'] extends K ? E : never }[Endpoint];
/** The endpoints that create an order (cashier redirects to its pay page). */
export type CreateEndpoint = OfKind<'create'>;
/** The endpoints that act on one order. */
export type OrderEndpoint = OfKind<'order-call'>;
/** The endpoints that answer with merchant data. */
export type QueryEndpoint = OfKind<'query'>;
/** The endpoints served at /api/<name>. */
export type ApiEndpoint = Exclude<Endpoint, OfKind<'miniprogram'>>;

type RowChannel = { [E in Endpoint]: Table[E] extends { channel: infer C } ? C : never }[Endpoint];
type Assert<T extends true> = T;
/** Compile-time check: every channel of an order is the channel of a row. */
export type EveryChannelHasARow = Assert<Channel extends RowChannel ? true : false>;

const names = Object.keys(ENDPOINTS) as Endpoint[];
const ofKind = <K extends EndpointKind>(...kinds: K[]) => names.filter((e) => (kinds as string[]).includes(ENDPOINTS[e].kind)) as OfKind<K>[];

/** Every path of the PAYJS surface, under /api/. */
export const API_ENDPOINTS: readonly ApiEndpoint[] = names.filter((e): e is ApiEndpoint => ENDPOINTS[e].kind !== 'miniprogram');
/** The endpoints that make an order: magic amounts and rules without an endpoint apply to them. */
export const ORDER_CREATING: readonly Endpoint[] = ofKind('create', 'miniprogram');
/** The endpoints a seed may create its orders by (the JSON create calls). */
export const CREATE_ENDPOINTS: readonly CreateEndpoint[] = ofKind('create');

/** Whether `name` is a PAYJS endpoint served at /api/. */
export const isApiEndpoint = (name: string): name is ApiEndpoint => (API_ENDPOINTS as readonly string[]).includes(name);

const kindIs = <K extends EndpointKind>(kind: K) => (e: Endpoint): e is OfKind<K> => ENDPOINTS[e].kind === kind;
/** Whether an endpoint is of a kind, narrowing its name for the use case of that kind. */
export const isCreate = kindIs('create');
export const isOrderCall = kindIs('order-call');
export const isQuery = kindIs('query');

/** Whether `endpoint` takes `field` (only those shape an order). */
export const takes = (endpoint: Endpoint, field: string) => Object.hasOwn(ENDPOINTS[endpoint].fields, field);
