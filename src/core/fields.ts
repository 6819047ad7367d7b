import { Refusal } from './errors.js';
import { FIELD_LIMITS, MAX_TOTAL_FEE } from './protocol.js';
import { parseCompactTime } from './time.js';
import type { Params, ParamValue } from './sign.js';

/** How a field's value is checked beyond its length. */
type Kind = 'fee' | 'authCode' | 'expire' | 'payType';
/** What an endpoint asks of one field. */
export interface Rule {
  required?: boolean;
  max?: number;
  kind?: Kind;
}
/** The field rules of one endpoint: only the fields named here shape an order; others are signed
 * and otherwise ignored. */
export type Rules = Readonly<Record<string, Rule>>;

const mchid: Rule = { required: true, max: FIELD_LIMITS.mchid };
// The fields every order-creating endpoint shares (docs/protocol.md §4).
const order = {
  mchid,
  total_fee: { required: true, kind: 'fee' },
  out_trade_no: { required: true, max: 32 },
  body: { max: FIELD_LIMITS.body },
  attach: { max: 127 },
  notify_url: { max: 255 },
} satisfies Record<string, Rule>;

/** The shared field sets the endpoint table (endpoints.ts) builds its rows from. */
export const RULES = {
  mchid,
  // Orders paid later may carry an expiry (§5, §7, §17).
  create: { ...order, time_expire: { kind: 'expire' } as Rule },
  // micropay, facepay and the mini-program tables give body 32 and attach 128.
  deviceCreate: { ...order, body: { max: 32 }, attach: { max: 128 } },
  byOrder: { payjs_order_id: { required: true, max: 32 }, mchid: { max: 32 } },
  merchantOnly: { mchid: { required: true, max: 32 } },
} satisfies Record<string, Rule | Rules>;

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** Values as strings, the way they are signed: numbers in decimal, booleans as 1/0. */
export type Fields = Record<string, string>;

function asString(name: string, v: ParamValue): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Refusal('INVALID_PARAM', [name, 'must be a finite number']);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  throw new Refusal('INVALID_PARAM', [name, Array.isArray(v) ? 'sent as a list or more than once; send one value' : 'sent as an object; send one value']);
}

/** Checks the shape of a request: one value per name, no reserved names. Returns the values as strings. */
export function readFields(params: Params): Fields {
  const out: Fields = Object.create(null);
  for (const name of Object.keys(params)) {
    if (RESERVED.has(name)) throw new Refusal('INVALID_PARAM', [name, 'reserved name; remove it']);
    const s = asString(name, params[name]);
    if (s !== undefined) out[name] = s;
  }
  return out;
}

/** Names the first required field of `rules` that is missing or empty. */
export function requirePresent(rules: Rules, fields: Fields): void {
  for (const name in rules) {
    if (rules[name].required && !fields[name]) throw new Refusal('MISSING_PARAM', [name]);
  }
}

/** The length of a value in characters (code points): its UTF-16 length is never less, so only a
 * value longer than `max` in UTF-16 units is counted character by character. */
const longerThan = (v: string, max: number) => v.length > max && [...v].length > max;

/** Checks lengths and formats of the fields `rules` knows; unknown fields pass (they are signed). */
export function checkFormats(rules: Rules, fields: Fields, now: number, params: Params): void {
  for (const name in rules) {
    const rule = rules[name];
    const v = fields[name];
    if (v === undefined || v === '') continue;
    if (rule.max !== undefined && longerThan(v, rule.max)) throw new Refusal('PARAM_TOO_LONG', [name, String(rule.max)]);
    if (rule.kind) KIND_CHECKS[rule.kind](name, v, now, params[name]);
  }
}

const KIND_CHECKS: Record<Kind, (name: string, v: string, now: number, raw: ParamValue) => void> = {
  fee: (name, v, _now, raw) => {
    // An amount echoed back as `true` would break every typed client.
    if (typeof raw === 'boolean') throw new Refusal('BAD_AMOUNT', [name, 'must be a number of fen, not true/false']);
    if (!/^-?(0|[1-9]\d*)$/.test(v)) throw new Refusal('BAD_AMOUNT', [name, `"${v.slice(0, 20)}" is not a whole number of fen; send 100 for 1 yuan`]);
    const n = Number(v);
    if (n < 1) throw new Refusal('BAD_AMOUNT', [name, 'must be at least 1 fen']);
    if (n > MAX_TOTAL_FEE) throw new Refusal('BAD_AMOUNT', [name, `must be at most ${MAX_TOTAL_FEE} fen`]);
  },
  authCode: (name, v) => {
    if (!/^1[0-5]\d{16}$/.test(v)) throw new Refusal('INVALID_PARAM', [name, "must be the payer's 18-digit code, starting 10 to 15"]);
  },
  expire: (name, v, now) => {
    const at = parseCompactTime(v);
    if (at === null) throw new Refusal('INVALID_PARAM', [name, 'must be yyyyMMddHHmmss in Beijing time, e.g. 20240101120000']);
    if (at <= now) throw new Refusal('INVALID_PARAM', [name, 'is already past']);
  },
  payType: (name, v) => {
    if (v !== 'alipay') throw new Refusal('INVALID_PARAM', [name, 'must be "alipay", or left out for WeChat']);
  },
};
