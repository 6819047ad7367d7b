import { API_ENDPOINTS, ENDPOINTS, type ApiEndpoint, type Endpoint } from '../../core/endpoints.js';
import type { Rule } from '../../core/fields.js';
import { MAX_TOTAL_FEE, MICROPAY_PASSWORD_MSG, SUCCESS_MSG, ALREADY_REFUNDED_MSG } from '../../core/protocol.js';
import { arr, exact, int, oneOf, ref, str, type Schema } from './schema.js';

/**
 * The PAYJS surface, `/api/*` (docs/protocol.md §5–§16): each endpoint's parameters, read from the
 * field rules the sandbox enforces (core/fields.ts), and its answers with exactly their fields.
 */

const FIELD_TEXT: Record<string, string> = {
  mchid: 'merchant number',
  total_fee: 'amount in fen (a form sends a string, JSON may send a number; the answer echoes the same type)',
  out_trade_no: "the merchant's order number",
  body: 'order title',
  attach: 'echoed in the notify and check',
  notify_url: 'where the payment notify is POSTed; empty: no notify',
  type: '`alipay` for an Alipay order; omit for WeChat',
  no_credit: '`1` forbids credit cards',
  time_expire: 'expiry, yyyyMMddHHmmss Beijing time (default: 2 h)',
  auth_code: "the payer's code: 18 digits starting 10-15",
  openid: 'the payer (from /api/openid)',
  callback_url: 'where the browser goes after paying',
  auto: '`1`: pay without a tap',
  hide: '`1`: hide the cashier page',
  logo: 'logo URL shown on the cashier',
  face_code: 'the face-payment code',
  payjs_order_id: 'the PAYJS order',
  bank: 'a WeChat bank_type code, e.g. CMB_DEBIT',
  nonce: 'a random string',
};

const KIND_SCHEMA: Record<string, Schema> = {
  fee: { type: ['integer', 'string'], minimum: 1, maximum: MAX_TOTAL_FEE, pattern: '^[1-9][0-9]*$' },
  authCode: { type: 'string', pattern: '^1[0-5][0-9]{16}$' },
  expire: { type: 'string', pattern: '^[0-9]{14}$' },
  payType: { type: 'string', enum: ['alipay'] },
};

/** The parameters of an endpoint as one object schema: unknown fields pass (they are signed). */
export function requestSchema(endpoint: Endpoint, signRequired = true): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [name, rule] of Object.entries(ENDPOINTS[endpoint].fields as Record<string, Rule>)) {
    const base = rule.kind ? KIND_SCHEMA[rule.kind] : { type: ['string', 'integer'], ...(rule.max ? { maxLength: rule.max } : {}) };
    properties[name] = { ...base, ...(FIELD_TEXT[name] ? { description: FIELD_TEXT[name] } : {}) };
    if (rule.required) required.push(name);
  }
  properties.sign = { type: 'string', description: 'MD5 of the canonical string, upper-case hex (docs/protocol.md §3)' };
  if (signRequired) required.push('sign');
  return { type: 'object', properties, required };
}

const ok = { return_code: { const: 1 }, return_msg: { const: SUCCESS_MSG } };
const sign = str('the answer signature: every other field, flattened PHP-style, sorted, &key=…', { pattern: '^[0-9A-F]{32}$' });
const orderId = ref('PayjsOrderId');
const echo = { type: ['string', 'number'], description: 'echo, with the type the request used' };

/** The answers, each with exactly its documented fields. Keys come sorted, `sign` last. */
export const PAYJS_SCHEMAS: Record<string, Schema> = {
  PayjsOrderId: str('25 digits: Beijing creation time yyyyMMddHHmmss + 00 + 9 digits', { pattern: '^[0-9]{25}$' }),
  FailureEnvelope: exact({ msg: str('why, in Chinese with an English explanation'), return_code: { const: 0 }, return_msg: str('the same text'), status: { const: 0 } }, "PAYJS's refusal (docs/protocol.md §2.2): HTTP 200, unsigned."),
  NativeAnswer: exact({ code_url: str('the scan page of the order'), out_trade_no: echo, payjs_order_id: orderId, qrcode: str('a PNG QR image of code_url'), ...ok, total_fee: echo, sign }),
  DeviceAnswer: exact({ out_trade_no: echo, payjs_order_id: orderId, ...ok, total_fee: echo, sign }, 'micropay and facepay: paid at once.'),
  MicropayPasswordAnswer: exact({ msg: { const: MICROPAY_PASSWORD_MSG }, out_trade_no: echo, payjs_order_id: orderId, return_code: { const: 0 }, return_msg: { const: MICROPAY_PASSWORD_MSG }, total_fee: echo, sign }, 'micropay waiting for the payer\'s password (scenario micropay=password): poll check.'),
  JsapiAnswer: exact({
    jsapi: exact({ appId: str(), nonceStr: str(), package: str('prepay_id=…'), paySign: str(), signType: { const: 'MD5' }, timeStamp: str('epoch seconds') }, "for WeixinJSBridge.invoke('getBrandWCPayRequest', jsapi, …)"),
    payjs_order_id: orderId, ...ok, sign,
  }),
  MwebAnswer: exact({ h5_url: str('the H5 pay page'), payjs_order_id: orderId, ...ok, sign }),
  CheckAnswer: exact({
    'attach?': str(),
    mchid: str(),
    'openid?': str('the payer, once paid'),
    out_trade_no: str(),
    paid_time: str('YYYY-MM-DD HH:MM:SS Beijing time; "0" when unpaid', { pattern: '^(0|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2})$' }),
    payjs_order_id: orderId,
    return_code: { const: 1 },
    status: int('1 paid (and refunded), 0 unpaid (and closed)', { enum: [0, 1] }),
    total_fee: int('fen'),
    transaction_id: str('"0" when unpaid'),
    sign,
  }, 'No return_msg, as the doc table has none.'),
  CloseAnswer: exact({ payjs_order_id: orderId, ...ok, sign }, 'close and reverse.'),
  RefundAnswer: exact({ out_trade_no: str(), payjs_order_id: orderId, ...ok, transaction_id: str(), sign }),
  AlreadyRefundedAnswer: exact({ out_trade_no: str(), payjs_order_id: orderId, refund: { const: '1' }, return_code: { const: 1 }, return_msg: { const: ALREADY_REFUNDED_MSG }, transaction_id: str() }, 'A second refund: return_code 1, refund "1", and no sign (as PAYJS).'),
  InfoAnswer: exact({ doudou: int('豆豆 credit balance'), 'jsapi_path?': str(), 'name?': str(), 'phone?': str(), ...ok, sign }),
  UserAnswer: exact({
    ...ok,
    user: {
      type: 'object',
      description: "a WeChat user/info profile; empty values are left out",
      properties: { subscribe: int(), openid: str(), nickname: str(), sex: int(undefined, { enum: [0, 1, 2] }), city: str(), province: str(), country: str(), language: str(), headimgurl: str(), subscribe_time: int(), remark: str(), groupid: int(), tagid_list: arr(int()), subscribe_scene: str(), qr_scene: int(), qr_scene_str: str(), unionid: str() },
      required: ['openid'],
      additionalProperties: false,
    },
    sign,
  }),
  BankAnswer: exact({ bank: str('the bank name, in Chinese'), ...ok, sign }),
  ComplaintAnswer: exact({
    complaints: arr(exact({ 'body?': str('the complaint text'), complaint_at: str('YYYY-MM-DD HH:MM:SS'), complaint_id: str(), order_id: str('the payjs_order_id'), out_trade_no: str(), total_fee: int('fen') })),
    ...ok,
    sign,
  }),
  IplistAnswer: exact({ iplist: arr(str(), 'the addresses notifies come from'), ...ok, sign }),
};

const signOptional = (endpoint: ApiEndpoint) => 'signOptional' in ENDPOINTS[endpoint];

const TRANSPORTS = 'Parameters come in the query string or the body (form, multipart or JSON); query and body make one map, the body winning.';

/** A query string carries text: the number bounds of a JSON field become its pattern alone. */
function asQuery(schema: Schema): Schema {
  const { minimum: _min, maximum: _max, ...rest } = schema;
  return Array.isArray(rest.type) ? { ...rest, type: 'string' } : rest;
}

function operation(endpoint: ApiEndpoint, method: 'get' | 'post'): Schema {
  const row = ENDPOINTS[endpoint];
  const redirect = 'redirectsTo' in row ? row.redirectsTo : undefined;
  const request = requestSchema(endpoint, !signOptional(endpoint));
  const props = request.properties as Record<string, Schema>;
  const required = request.required as string[];
  const parameters: Schema[] = [{ $ref: '#/components/parameters/Scenario' }];
  if (method === 'get') for (const [name, schema] of Object.entries(props)) parameters.push({ name, in: 'query', required: required.includes(name), schema: asQuery(schema) });
  const envelope = ref('FailureEnvelope');
  const answers = [...row.answers.map(ref), envelope];
  const responses: Record<string, unknown> = {
    200: {
      description: redirect ? 'a refusal: the PAYJS envelope' : 'the answer, or the PAYJS envelope on refusal (also HTTP 200)',
      headers: { 'X-Payjs-Sandbox-Debug': { $ref: '#/components/headers/SandboxDebug' } },
      content: { 'application/json': { schema: answers.length > 1 ? oneOf(...answers) : envelope } },
    },
    default: { description: 'api=status:<code> (scenario): that status, the call not carried out', content: { 'text/plain': { schema: str() } } },
  };
  if (redirect) responses[302] = { description: `on to ${redirect}`, headers: { Location: { required: true, schema: str() } } };
  return {
    tags: ['PAYJS'],
    operationId: `${method}_${endpoint}`,
    summary: row.summary,
    description: `${TRANSPORTS} Merchant-facing values and refusals follow docs/protocol.md.`,
    parameters,
    ...(method === 'post'
      ? { requestBody: { required: false, content: Object.fromEntries(BODY_TYPES.map((type) => [type, { schema: ref(requestName(endpoint)) }])) } }
      : {}),
    responses,
  };
}

const BODY_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'];
const requestName = (endpoint: string) => `${endpoint[0].toUpperCase()}${endpoint.slice(1)}Request`;

/** The parameters of every endpoint, as component schemas (`NativeRequest`, …). */
export function requestSchemas(): Record<string, Schema> {
  return Object.fromEntries(API_ENDPOINTS.map((e) => [requestName(e), requestSchema(e, !signOptional(e))]));
}

/** `/api/{endpoint}`, GET and POST, for every endpoint of the PAYJS surface. */
export function payjsPaths(): Record<string, Schema> {
  return Object.fromEntries(API_ENDPOINTS.map((e) => [`/api/${e}`, { get: operation(e, 'get'), post: operation(e, 'post') }]));
}

/** The scenario request header every endpoint takes. */
export const PAYJS_PARAMETERS = {
  Scenario: {
    name: 'X-Payjs-Sandbox-Scenario',
    in: 'header',
    required: false,
    description: 'Scenario tokens for this call, e.g. `pay=auto,notify=late:30` (see the README). On a create call they shape the order; `api=…` tokens shape the call itself.',
    schema: str(),
  },
};

/** The debug header of a signature refusal. */
export const PAYJS_HEADERS = {
  SandboxDebug: {
    description: 'On a signature refusal: JSON (non-ASCII \\u-escaped) with the canonical string the sandbox signed (key masked), the sign it expected, and the likely cause.',
    schema: { type: 'string', contentMediaType: 'application/json', contentSchema: ref('SignDebug') },
  },
};

/** What the debug header holds. */
export const SIGN_DEBUG = exact({ endpoint: str(), canonical: str(), expected: str(), received: str(), cause: str() });
