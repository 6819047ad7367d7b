import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Params, type Sandbox } from '../src/index.js';
import { scriptJson } from '../src/http/views.js';
import { MCHID, call, tradeNo } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

const payForm = (html: string) => /<form id="pay-form" method="post" action="([^"]+)"/.exec(html)?.[1];
const choose = (html: string, action: string, init: RequestInit = {}) =>
  fetch(new URL(payForm(html)!, sandbox.url), { method: 'POST', body: new URLSearchParams({ action }), ...init });
/** The cashier page of a new cashier order, as the browser gets it after the 302. */
async function cashierPage(extra: Params = {}): Promise<string> {
  const a = await call(sandbox.url, 'cashier', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), ...extra }, 'get');
  expect(a.status).toBe(302);
  return (await fetch(a.headers.get('location')!)).text();
}

describe('the QR code and the pages behind it', () => {
  it('qrcode is a real PNG QR image of code_url, and code_url opens a page where the order can be paid', async () => {
    const a = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1234, out_trade_no: tradeNo(), body: '<b>商品</b>' });
    const img = await fetch(a.body.qrcode as string);
    expect(img.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await img.arrayBuffer()));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toBe(a.body.code_url);

    const page = await (await fetch(decoded!.data)).text();
    expect(page).toContain('¥12.34');
    expect(page).toContain('&lt;b&gt;商品&lt;/b&gt;');
    expect(page).toMatch(/<img class="qr" src="data:image\/png;base64,/);
    const paid = await choose(page, 'pay');
    expect(await paid.text()).toContain('data-outcome="paid"');
    expect((await sandbox.order(a.body.payjs_order_id as string))?.status).toBe('paid');
  });

  it('the cashier page pays and sends the browser to callback_url', async () => {
    const page = await cashierPage({ callback_url: 'https://m.example.com/done?x=1' });
    const paid = await choose(page, 'pay', { redirect: 'manual' });
    expect(paid.status).toBe(302);
    expect(paid.headers.get('location')).toBe('https://m.example.com/done?x=1');
  });

  it('the cashier without callback_url ends on the page that WeChat would close', async () => {
    const paid = await choose(await cashierPage(), 'pay');
    expect(await paid.text()).toContain('data-outcome="closed"');
  });

  it('Cancel on the cashier shows the result with a link back to callback_url and one to pay again', async () => {
    const page = await cashierPage({ callback_url: 'https://m.example.com/back' });
    const html = await (await choose(page, 'cancel')).text();
    expect(html).toContain('data-outcome="cancelled"');
    expect(html).toMatch(/href="https:\/\/m\.example\.com\/back" data-testid="back"/);
    expect(html).toMatch(/href="\/cashier\/\w+" data-testid="try-again"/);
  });

  it('the h5_url page pays the mweb order', async () => {
    const a = await call(sandbox.url, 'mweb', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo() });
    const page = await (await fetch(a.body.h5_url as string)).text();
    await choose(page, 'pay');
    expect((await sandbox.order(a.body.payjs_order_id as string))?.status).toBe('paid');
  });

  it('paying an order that cannot be paid any more shows why, with HTTP 409', async () => {
    const a = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo() });
    const page = await (await fetch(a.body.code_url as string)).text();
    await call(sandbox.url, 'close', { payjs_order_id: a.body.payjs_order_id as string });
    const refused = await choose(page, 'pay');
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('订单已关闭');
  });

  it('an unknown code shows a not-found page', async () => {
    const res = await fetch(`${sandbox.url}/wxpay/bizpayurl?pr=nothing`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('data-testid="message"');
  });
});

describe('the cashier options auto, hide and logo (docs/protocol.md §8)', () => {
  it('auto=1 counts down to paying; the page still offers Fail and Cancel', async () => {
    const page = await cashierPage({ auto: 1 });
    expect(page).toContain('data-auto-seconds="2"');
    expect(page).toContain('data-testid="fail"');
  });

  it('hide=1 shows no cashier and submits Pay at once, whatever auto says', async () => {
    const page = await cashierPage({ hide: 1, auto: 1, body: 'hidden body' });
    expect(page).toContain('data-testid="hidden-pay"');
    expect(page).not.toContain('hidden body');
    expect(page).not.toContain('data-auto-seconds');
    expect(page).toContain('<input type="hidden" name="action" value="pay">');
  });

  it.each([
    ['https://cdn.example.com/logo.png', true],
    ['http://cdn.example.com/logo.png', true],
    ['javascript:alert(1)', false],
    ['//cdn.example.com/logo.png', false],
  ])('a logo of %s is shown: %s', async (logo, shown) => {
    const page = await cashierPage({ logo });
    expect(page.includes(`src="${logo}"`)).toBe(shown);
  });
});

describe('the language of the pages', () => {
  const scanUrl = async () => (await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo() })).body.code_url as string;

  it('is Chinese by default, with a switch to English', async () => {
    const page = await (await fetch(await scanUrl())).text();
    expect(page).toContain('<html lang="zh-CN">');
    expect(page).toContain('确认支付');
    expect(page).toMatch(/href="\/wxpay\/bizpayurl\?pr=\w+&amp;lang=en"[^>]*data-testid="lang-switch">English</);
  });

  it('?lang=en answers in English and sets a cookie that keeps English for the next pages', async () => {
    const res = await fetch(`${await scanUrl()}&lang=en`);
    expect(await res.text()).toContain('<html lang="en">');
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^payjs_sandbox_lang=en;/);
    const next = await (await fetch(await scanUrl(), { headers: { cookie: cookie.split(';')[0] } })).text();
    expect(next).toContain('>Pay</button>');
  });
});

describe('scriptJson, for JSON inside a <script> element', () => {
  it.each([
    ['</script><script>alert(1)</script>', '"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"'],
    ['a\u2028b\u2029c', '"a\\u2028b\\u2029c"'],
    ['<!-- & -->', '"\\u003c!-- \\u0026 --\\u003e"'],
  ])('escapes %j', (value, expected) => {
    expect(scriptJson(value)).toBe(expected);
    expect(JSON.parse(scriptJson(value))).toBe(value);
  });
});
