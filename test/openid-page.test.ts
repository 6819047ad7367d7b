import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign, startSandbox, type Sandbox } from '../src/index.js';
import { DEFAULT_PAYER_OPENID } from '../src/app/gateway.js';
import { FAKE_PAYERS } from '../src/http/pages/openid.js';
import { KEY, MCHID, call, send, tradeNo } from './support.js';

let plain: Sandbox;
let withPage: Sandbox;
beforeAll(async () => {
  [plain, withPage] = await Promise.all([startSandbox(), startSandbox({ openidPage: true })]);
});
afterAll(() => Promise.all([plain.close(), withPage.close()]));

const CALLBACK = 'https://m.example.com/login?state=7';
const openid = (sandbox: Sandbox, params: Record<string, string>) => send(sandbox.url, 'openid', params, 'get');
const links = (html: string) => [...html.matchAll(/<a href="([^"]+)" data-testid="user" data-openid="([^"]+)"/g)].map((m) => ({ href: m[1].replaceAll('&amp;', '&'), openid: m[2] }));

describe('/api/openid and the openid page', () => {
  it('without the page, /api/openid goes straight back to callback_url with the default payer', async () => {
    const a = await openid(plain, { mchid: MCHID, callback_url: CALLBACK });
    expect(a.headers.get('location')).toBe(`${CALLBACK}&openid=${DEFAULT_PAYER_OPENID}`);
  });

  it('with openidPage, /api/openid leads to a page of fake WeChat users, each going back with their openid', async () => {
    const a = await openid(withPage, { mchid: MCHID, callback_url: CALLBACK });
    expect(a.status).toBe(302);
    const page = await (await fetch(new URL(a.headers.get('location')!, withPage.url))).text();
    const users = links(page);
    expect(users.map((u) => u.openid)).toEqual(FAKE_PAYERS.map((p) => p.openid));
    expect(users[0].openid).toBe(DEFAULT_PAYER_OPENID);
    for (const u of users) expect(u.href).toBe(`${CALLBACK}&openid=${u.openid}`);
    expect(new Set(FAKE_PAYERS.map((p) => p.nickname)).size).toBe(FAKE_PAYERS.length);
    for (const p of FAKE_PAYERS) expect(page).toContain(p.nickname);
  });

  it('the page refuses what /api/openid refuses, and a signed request still verifies there', async () => {
    const bad = await openid(withPage, { mchid: MCHID, callback_url: 'ftp://m.example.com/' });
    expect(bad.body.return_code).toBe(0);
    const params = { mchid: MCHID, callback_url: CALLBACK };
    const a = await openid(withPage, { ...params, sign: sign(params, KEY) });
    const page = await (await fetch(new URL(a.headers.get('location')!, withPage.url))).text();
    expect(links(page)).toHaveLength(FAKE_PAYERS.length);
    const tampered = await fetch(new URL(a.headers.get('location')!.replace('state%3D7', 'state%3D8'), withPage.url));
    expect(tampered.status).toBe(400);
  });

  it('the openid picked becomes the payer only when the merchant passes it to /api/jsapi', async () => {
    const picked = FAKE_PAYERS[2].openid;
    const a = await call(withPage.url, 'jsapi', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), openid: picked });
    const paid = await withPage.pay(a.body.payjs_order_id as string);
    expect(paid.openid).toBe(picked);
  });
});
