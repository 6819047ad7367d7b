import Router from '@koa/router';
import { loadQrcode } from '../lazy.js';
import type { Gateway } from '../../app/gateway.js';
import { PAGE_PATHS } from '../../core/links.js';
import { Refusal } from '../../core/errors.js';
import { addJsapiBridge } from '../pages/jsapi.js';
import { addOpenidPage } from '../pages/openid.js';
import { addPayPages } from '../pages/pay.js';

/** The payer's side: the QR image; the scan, cashier and H5 pages where a person or a browser
 * test pays; the fake WeChat login of /api/openid; the WeixinJSBridge stand-in for JSAPI. */
export function pageRoutes(gateway: Gateway): Router {
  const router = new Router();

  // `qrcode` of a native answer: a PNG of the base64 content after /qrcode/ (docs/protocol.md §2.3).
  router.get(`${PAGE_PATHS.qrcode}*data`, async (ctx) => {
    const content = Buffer.from(String(ctx.params.data), 'base64').toString('utf8');
    if (!content || content.length > 2048) throw new Refusal('NOT_FOUND', ['no QR content in this URL']);
    ctx.type = 'png';
    ctx.body = await (await loadQrcode()).toBuffer(content, { type: 'png', margin: 2, width: 280 });
  });

  addPayPages(router, gateway);
  addOpenidPage(router, gateway);
  addJsapiBridge(router, gateway);
  return router;
}
