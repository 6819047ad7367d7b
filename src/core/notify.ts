import { NOTIFY_EXTRA_FIELDS, NOTIFY_LADDER_SECONDS } from './protocol.js';
import { beijingTime } from './time.js';
import { sign } from './sign.js';
import type { Order } from './order.js';

/** Why an attempt failed; `status` is any answer other than HTTP 200. */
export type NotifyError = 'timeout' | 'refused' | 'reset' | 'dns' | 'invalid-url' | 'blocked' | 'status' | 'scenario' | 'other';

/** One delivery attempt, as recorded with the order. */
export interface NotifyAttempt {
  /** 1-based, over every attempt of the order. */
  attempt: number;
  /** `ladder` for the schedule, `duplicate`, `replay` and `manual` for the others. */
  kind: 'ladder' | 'duplicate' | 'replay' | 'manual';
  /** The rung of the ladder (0–5) for ladder attempts. */
  step?: number;
  /** Sandbox time, epoch ms. */
  at: number;
  url: string;
  /** The exact application/x-www-form-urlencoded body sent. */
  body: string;
  status?: number;
  /** The merchant's answer, cut at 2 KB. */
  response?: string;
  /** Real milliseconds from sending to the answer (or the failure). */
  ms: number;
  error?: NotifyError;
  /** A human line on the failure. */
  detail?: string;
  delivered: boolean;
}

/** The notify of one paid order: its body, where it is on the ladder, what was tried. */
export interface NotifyJob {
  payjs_order_id: string;
  out_trade_no: string;
  mchid: string;
  url: string;
  /** Epoch ms the ladder counts from: the payment, later for `notify=late`. */
  base_at: number;
  /** The ladder rung the next attempt is on. */
  next: number;
  /** `pending` while rungs are left; `delivered` on an HTTP 200; `checked` when a successful check
   * stopped it (docs/protocol.md §14); `exhausted` after the last rung; `stopped` when `notify=never`
   * was applied to the paid order. */
  state: 'pending' | 'delivered' | 'checked' | 'exhausted' | 'stopped';
  /** Attempts still to be lost on the way (`notify=fail:<n>` applied to the order). */
  failing?: number;
  /** How many times tokens applied to the order re-armed the ladder (each time a new ladder). */
  round?: number;
  /** The scenario tokens that shape delivery (`notify=…`). */
  tokens: string[];
  /** The signed fields, in the order sent. */
  fields: Record<string, string>;
  attempts: NotifyAttempt[];
}

/** When rung `step` of a job falls due, or null past the last. */
export function dueAt(job: Pick<NotifyJob, 'base_at'>, step: number): number | null {
  return step < NOTIFY_LADDER_SECONDS.length ? job.base_at + NOTIFY_LADDER_SECONDS[step] * 1000 : null;
}

/**
 * The notify fields of a paid order (docs/protocol.md §14): exactly the documented ones, `attach`
 * only when not empty, `type` only for Alipay, all strings, sorted, `sign` last.
 */
export function notifyFields(order: Order, key: string, options: NotifyVariant = {}): Record<string, string> {
  return signNotify({
    return_code: '1',
    total_fee: String(order.total_fee),
    out_trade_no: order.out_trade_no,
    payjs_order_id: order.payjs_order_id,
    transaction_id: order.transaction_id ?? '',
    time_end: beijingTime(order.paid_at ?? 0),
    openid: order.openid ?? '',
    mchid: order.mchid,
    ...(order.attach ? { attach: order.attach } : {}),
    ...(order.type === 'alipay' ? { type: 'alipay' } : {}),
  }, key, options);
}

/** What a scenario can do to a notify: add unknown fields, or sign it with the wrong key. */
export interface NotifyVariant {
  extraFields?: boolean;
  forged?: boolean;
}

/** Sorts notify fields and signs them (again); a forged notify is signed with a key that is not
 * the merchant's, so it does not verify. */
export function signNotify(fields: Record<string, string>, key: string, options: NotifyVariant = {}): Record<string, string> {
  const all: Record<string, string> = { ...fields, ...(options.extraFields ? NOTIFY_EXTRA_FIELDS : {}) };
  delete all.sign;
  const sorted: Record<string, string> = {};
  for (const k of Object.keys(all).sort()) sorted[k] = all[k];
  sorted.sign = sign(sorted, options.forged ? `forged-${key}` : key);
  return sorted;
}

/** What application/x-www-form-urlencoded does not leave as it is. */
const FORM_UNSAFE = /[^A-Za-z0-9*\-._]/;

/** What encodeURIComponent leaves as it is but a form body encodes, and the space it writes %20. */
const FORM_EXTRA = /[!'()~]|%20/g;
const formExtra = (c: string) => (c === '%20' ? '+' : `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** One name or value as URLSearchParams encodes it; most are left as they are. */
function formEncode(s: string): string {
  if (!FORM_UNSAFE.test(s)) return s;
  try {
    return encodeURIComponent(s).replace(FORM_EXTRA, formExtra);
  } catch {
    return new URLSearchParams([['', s]]).toString().slice(1); // a lone surrogate: U+FFFD, as URLSearchParams
  }
}

/** The body as PAYJS sends it: form-encoded like the observed sample (`+` for spaces), exactly as
 * URLSearchParams does, but joined into one flat string: URLSearchParams' own is a rope of ~30
 * pieces that every attempt record kept (1 KB a notify where the text is 300 bytes). */
export function encodeBody(fields: Record<string, string>): string {
  const pairs: string[] = [];
  for (const k of Object.keys(fields)) pairs.push(`${formEncode(k)}=${formEncode(fields[k])}`);
  return pairs.join('&');
}
