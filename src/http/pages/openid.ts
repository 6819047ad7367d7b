import type Router from '@koa/router';
import { DEFAULT_PAYER_OPENID, type Gateway } from '../../app/gateway.js';
import { wechatUser } from '../../core/fakes.js';
import { openid as newOpenid, seededRandom } from '../../core/ids.js';
import { PAGE_PATHS } from '../../core/links.js';
import { render } from '../views.js';

/** A made-up WeChat user who can "log in" on the openid page. */
export interface FakePayer {
  openid: string;
  nickname: string;
  province: string;
  city: string;
}

/** The users of the openid page: the default payer first, then three more; the same in every
 * sandbox, so a test can name them. Their profiles are what `/api/user` answers for them. */
export const FAKE_PAYERS: readonly FakePayer[] = [
  DEFAULT_PAYER_OPENID,
  ...[2, 3, 4].map((n) => newOpenid(seededRandom(`payjs-sandbox payer ${n}`))),
].map((openid) => {
  const user = wechatUser(openid).user as Record<string, string>;
  return { openid, nickname: user.nickname, province: user.province, city: user.city };
});

/** The fake WeChat login that `/api/openid` leads to with the openid page on (`openidPage`):
 * each user links to `callback_url` with their openid, as PAYJS redirects after WeChat OAuth. */
export function addOpenidPage(router: Router, gateway: Gateway): void {
  router.get(PAGE_PATHS.openid, async (ctx) => {
    const params = Object.fromEntries(Object.entries(ctx.query).filter(([k, v]) => k !== 'lang' && typeof v === 'string')) as Record<string, string>;
    // Checked again here (the link may have been edited): a bad request is refused as /api/openid would.
    const users = FAKE_PAYERS.map((p) => ({ ...p, href: gateway.merchantCalls.openidRedirect(params, p.openid) }));
    await render(ctx, 'openid', { users, callbackHost: new URL(users[0].href).host });
  });
}
