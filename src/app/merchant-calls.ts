import type { Clock } from '../clock/clock.js';
import type { Authorizer } from './authorizer.js';
import { merchantAnswer } from '../core/answers.js';
import { Refusal } from '../core/errors.js';
import { ENDPOINTS, type QueryEndpoint } from '../core/endpoints.js';
import { openidPageUrl } from '../core/links.js';
import { DEFAULT_PAYER_OPENID } from '../core/new-order.js';
import { OPENID_CALLBACK_MAX_QUERY_PARAMS } from '../core/protocol.js';
import type { Params } from '../core/sign.js';

/** The calls that touch no order: the merchant's data (deterministic fakes) and the openid
 * redirect of the payer's browser. */
export class MerchantCalls {
  constructor(
    private readonly auth: Authorizer,
    private readonly clock: Clock,
    private readonly options: { openidPage?: boolean } = {},
  ) {}

  /** info, user, bank, complaint, iplist (docs/protocol.md §16). */
  query(endpoint: QueryEndpoint, params: Params): Params {
    const { fields, merchant } = this.auth.merchantCall(endpoint, params, this.clock.now());
    return merchantAnswer(ENDPOINTS[endpoint].data(merchant, fields), merchant.key);
  }

  /** `/api/openid`: where the browser goes next, `callback_url` with `openid` added (§13); without
   * an openid and with the openid page on, the page where the payer picks a fake WeChat user. */
  openidRedirect(params: Params, openid?: string): string {
    const { fields } = this.auth.openidCall(params, this.clock.now());
    let url: URL;
    try {
      url = new URL(fields.callback_url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new Refusal('INVALID_PARAM', ['callback_url', 'must be an absolute http(s) URL']);
    }
    if (openid === undefined && this.options.openidPage) {
      return openidPageUrl({ ...fields }); // every parameter goes on, so a sign still verifies there
    }
    openid ??= DEFAULT_PAYER_OPENID;
    // PAYJS keeps at most one query parameter of callback_url and drops the others; the kept
    // one stays as it was written, and an openid already there is replaced.
    const kept = url.search.slice(1).split('&').filter((p) => p && !/^openid(=|$)/.test(p)).slice(0, OPENID_CALLBACK_MAX_QUERY_PARAMS);
    url.search = [...kept, `openid=${encodeURIComponent(openid)}`].join('&');
    return url.toString();
  }
}
