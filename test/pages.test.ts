import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, tradeNo } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.close());

const payForm = (html: string) => /<form method="post" action="([^"]+)"/.exec(html)?.[1];

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
    const paid = await fetch(new URL(payForm(page)!, sandbox.url), { method: 'POST' });
    expect(await paid.text()).toContain('paid');
    expect((await sandbox.order(a.body.payjs_order_id as string))?.status).toBe('paid');
  });

  it('the cashier page pays and sends the browser to callback_url', async () => {
    const a = await call(sandbox.url, 'cashier', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), callback_url: 'https://m.example.com/done?x=1' }, 'get');
    const page = await (await fetch(a.headers.get('location')!)).text();
    const paid = await fetch(new URL(payForm(page)!, sandbox.url), { method: 'POST', redirect: 'manual' });
    expect(paid.status).toBe(302);
    expect(paid.headers.get('location')).toBe('https://m.example.com/done?x=1');
  });

  it('the h5_url page pays the mweb order', async () => {
    const a = await call(sandbox.url, 'mweb', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo() });
    const page = await (await fetch(a.body.h5_url as string)).text();
    await fetch(new URL(payForm(page)!, sandbox.url), { method: 'POST' });
    expect((await sandbox.order(a.body.payjs_order_id as string))?.status).toBe('paid');
  });

  it('an unknown code shows a not-found page', async () => {
    const res = await fetch(`${sandbox.url}/wxpay/bizpayurl?pr=nothing`);
    expect(res.status).toBe(404);
  });
});
