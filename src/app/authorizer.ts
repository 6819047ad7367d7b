import { Refusal } from '../core/errors.js';
import { ENDPOINTS, type Endpoint } from '../core/endpoints.js';
import { checkFormats, readFields, requirePresent, type Fields } from '../core/fields.js';
import type { Merchant, Merchants } from '../core/merchant.js';
import type { Order } from '../core/order.js';
import { diagnose, verify, type Params, type SignDiagnosis } from '../core/sign.js';

export interface AuthorizerOptions {
  merchants: Merchants;
  /** Also accept lower-case hex and the drop-zero variant of a signature (§19.2). */
  lenientSign?: boolean;
  /** Called with each sign mismatch, for the request log. */
  onSignError?: (endpoint: Endpoint, debug: string) => void;
}

/**
 * Who is calling and whether they may: the shape of the request, its required fields, the
 * merchant, the signature, then the formats. The order PAYJS checks in is unknown; this one
 * reports a wrong signature before the finer points of the values.
 */
export class Authorizer {
  constructor(private readonly options: AuthorizerOptions) {}

  /** A call that names its merchant (create, info, user, …). */
  merchantCall(endpoint: Endpoint, params: Params, now: number): { fields: Fields; merchant: Merchant } {
    const fields = readFields(params);
    requirePresent(ENDPOINTS[endpoint].fields, fields);
    const merchant = this.options.merchants.require(fields.mchid);
    this.verifySign(endpoint, params, merchant, true);
    checkFormats(ENDPOINTS[endpoint].fields, fields, now, params);
    return { fields, merchant };
  }

  /** `/api/openid`: the sign is checked only when one is sent (most clients send none, §13). */
  openidCall(params: Params, now: number): { fields: Fields; merchant: Merchant } {
    const fields = readFields(params);
    requirePresent(ENDPOINTS.openid.fields, fields);
    const merchant = this.options.merchants.require(fields.mchid);
    if (fields.sign) this.verifySign('openid', params, merchant, true);
    checkFormats(ENDPOINTS.openid.fields, fields, now, params);
    return { fields, merchant };
  }

  /** check/close/reverse/refund: `mchid` is optional; when given it must own the order. */
  async orderCall(endpoint: Endpoint, params: Params, now: number, load: (id: string) => Promise<Order | undefined>): Promise<{ order: Order; merchant: Merchant }> {
    const { merchants } = this.options;
    const fields = readFields(params);
    requirePresent(ENDPOINTS[endpoint].fields, fields);
    const id = fields.payjs_order_id;
    const named = fields.mchid ? merchants.require(fields.mchid) : undefined;
    const order = await load(id);
    if (!order || (named && named.mchid !== order.mchid)) throw new Refusal('ORDER_NOT_FOUND', [id.slice(0, 40), ' for this merchant']);
    const merchant = merchants.require(order.mchid);
    // One verification per call: the other merchants' keys are tried only when it fails.
    const valid = this.verifies(params, merchant);
    // Signed with another merchant's key and no mchid: to that merchant the order does not exist.
    if (!named && !valid && merchants.list().some((m) => m !== merchant && verify(params, m.key))) {
      throw new Refusal('ORDER_NOT_FOUND', [id.slice(0, 40), ' for this merchant']);
    }
    // Without mchid the caller has not shown whose key it holds: the expected sign stays hidden.
    this.verifySign(endpoint, params, merchant, named !== undefined, valid);
    checkFormats(ENDPOINTS[endpoint].fields, fields, now, params);
    return { order, merchant };
  }

  /** The verdict on a request's sign, for the call log: checked under the key of the
   * merchant it names, or of the order it names; never throws. */
  verdict(params: Params, order: Order | undefined): { sign: 'valid' | 'invalid' | 'missing' | 'unchecked'; mchid?: string; diagnosis?: SignDiagnosis } {
    const mchid = typeof params.mchid === 'string' && params.mchid ? params.mchid : order?.mchid;
    const merchant = mchid ? this.options.merchants.get(mchid) : undefined;
    if (!merchant) return { sign: 'unchecked', mchid };
    if (this.verified.get(params) === merchant.mchid) return { sign: 'valid', mchid };
    if (params.sign === undefined || params.sign === null || params.sign === '') return { sign: 'missing', mchid };
    if (verify(params, merchant.key, { lenient: this.options.lenientSign })) return { sign: 'valid', mchid };
    return { sign: 'invalid', mchid, diagnosis: diagnose(params, merchant.key, this.options.merchants.list()) };
  }

  /** Requests whose sign this call already verified, and under whose key: the call log's
   * verdict reuses it instead of hashing the same parameters again on every call. */
  private readonly verified = new WeakMap<Params, string>();

  /** Whether the sign verifies under the merchant's key; remembered for the journal's verdict. */
  private verifies(params: Params, merchant: Merchant): boolean {
    const valid = verify(params, merchant.key, { lenient: this.options.lenientSign });
    if (valid) this.verified.set(params, merchant.mchid);
    return valid;
  }

  private verifySign(endpoint: Endpoint, params: Params, merchant: Merchant, showExpected: boolean, valid = this.verifies(params, merchant)): void {
    if (params.sign === undefined || params.sign === null || params.sign === '') throw new Refusal('SIGN_MISSING');
    if (valid) return;
    const d = diagnose(params, merchant.key, this.options.merchants.list());
    const expected = showExpected ? d.expected : '(send mchid to see the expected sign)';
    const debug = JSON.stringify({ endpoint, canonical: d.canonical, expected, received: d.received, cause: d.cause });
    this.options.onSignError?.(endpoint, debug);
    throw new Refusal('SIGN_ERROR', [`${d.cause}; the sandbox signed "${d.canonical}", which gives ${expected}, and received ${d.received}`], debug);
  }
}
