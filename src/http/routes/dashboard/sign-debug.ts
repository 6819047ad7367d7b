import { Refusal } from '../../../core/errors.js';
import { DEFAULT_MERCHANT, type Merchant } from '../../../core/merchant.js';
import { diagnose, explain, type Params, type SignDiagnosis, type SignExplanation } from '../../../core/sign.js';

/** What the signature debugger posts: the parameters (a query string or JSON, as text or an
 * object), the key (empty: the merchant's), and optionally the sign the merchant received or sent. */
export interface SignDebugInput {
  params?: unknown;
  key?: unknown;
  sign?: unknown;
}

/** What it answers: every step of the signature, and the verdict on a given sign. */
export interface SignDebugResult {
  params: Params;
  /** Where the key came from: typed in, the merchant named by `mchid`, or the default merchant. */
  key_from: 'given' | 'merchant' | 'default';
  mchid?: string;
  steps: SignExplanation;
  received?: string;
  verdict?: 'valid' | 'invalid';
  diagnosis?: SignDiagnosis;
}

const refuse = (why: string) => new Refusal('INVALID_PARAM', ['params', why]);

/** Reads pasted parameters: a JSON object, or a query string (`a=1&b=2`, a leading `?`, or one
 * pair per line), decoded as a form body is (`%XX` and `+`). */
export function parseParams(input: unknown): Params {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) return input as Params;
  if (typeof input !== 'string') throw refuse('paste a query string (a=1&b=2) or a JSON object');
  const text = input.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw refuse(`the JSON does not parse: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refuse('the JSON must be an object');
    return parsed as Params;
  }
  const query = text.replace(/^\?/, '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean).join('&');
  const params: Params = {};
  for (const [k, v] of new URLSearchParams(query)) params[k] = v;
  return params;
}

/** The signature debugger: each step of the canonical string and the sign of `input.params`;
 * with a received sign (given apart or as `sign` in the parameters), the verdict and diagnosis. */
export function signDebug(input: SignDebugInput, merchants: Merchant[]): SignDebugResult {
  const params = parseParams(input.params);
  const mchid = typeof params.mchid === 'string' || typeof params.mchid === 'number' ? String(params.mchid) : undefined;
  const owner = merchants.find((m) => m.mchid === mchid);
  const given = typeof input.key === 'string' ? input.key.trim() : '';
  const key = given || owner?.key || DEFAULT_MERCHANT.key;
  const keyFrom = given ? 'given' : owner ? 'merchant' : 'default';
  const steps = explain(params, key);
  const typed = typeof input.sign === 'string' ? input.sign.trim() : '';
  const received = typed || (typeof params.sign === 'string' ? params.sign : '');
  const result: SignDebugResult = { params, key_from: keyFrom, ...(mchid ? { mchid } : {}), steps };
  if (!received) return result;
  result.received = received;
  result.verdict = received === steps.sign ? 'valid' : 'invalid';
  if (result.verdict === 'invalid') result.diagnosis = diagnose({ ...params, sign: received }, key, merchants);
  return result;
}
