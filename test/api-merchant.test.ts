import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, send, verifies, PATH } from './support.js';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ ...PATH });
});
afterAll(() => sandbox.close());

describe('the merchant endpoints answer deterministic fake data', () => {
  it('info: doudou as a number, name, jsapi_path, phone; the same every time', async () => {
    const a = await call(sandbox.url, 'info', { mchid: MCHID }, 'get');
    expect(Object.keys(a.body)).toEqual(['doudou', 'jsapi_path', 'name', 'phone', 'return_code', 'return_msg', 'sign']);
    expect(typeof a.body.doudou).toBe('number');
    expect(a.body.name).toBe('PAYJS 沙箱商户');
    expect(verifies(a.body)).toBe(true);
    expect((await call(sandbox.url, 'info', { mchid: MCHID })).body).toEqual(a.body);
  });

  it('user: a WeChat profile of the openid, signed over the flattened user[...]', async () => {
    const openid = 'o7LFAwaNqGuSYPM68ZVP_NvPmf1g';
    const a = await call(sandbox.url, 'user', { mchid: MCHID, openid });
    const user = a.body.user as Record<string, unknown>;
    expect(user).toMatchObject({ openid, subscribe: 1, language: 'zh_CN' });
    expect(user.tagid_list).toBeUndefined(); // an empty list is left out, like ""
    expect(Object.keys(user)).toEqual([...Object.keys(user)].sort());
    expect(Object.values(user)).not.toContain('');
    expect(verifies(a.body)).toBe(true);
  });

  it('bank: the Chinese name of a bank code, and a refusal naming the known codes', async () => {
    const a = await call(sandbox.url, 'bank', { mchid: MCHID, bank: 'CMB_DEBIT' });
    expect(a.body).toMatchObject({ return_code: 1, bank: '招商银行(借记卡)' });
    expect(verifies(a.body)).toBe(true);
    for (const bank of ['NOPE', 'constructor', 'toString']) {
      const bad = await call(sandbox.url, 'bank', { mchid: MCHID, bank });
      expect(bad.body.msg).toMatch(/bank.*CMB_DEBIT/);
    }
  });

  it('complaint: a list of complaint records', async () => {
    const a = await call(sandbox.url, 'complaint', { mchid: MCHID });
    const list = a.body.complaints as Record<string, unknown>[];
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ body: expect.any(String), order_id: expect.stringMatching(/^\d{25}$/), total_fee: expect.any(Number) });
    expect(verifies(a.body)).toBe(true);
  });

  it('iplist: the addresses notifies come from', async () => {
    const a = await call(sandbox.url, 'iplist', { mchid: MCHID });
    expect(a.body.iplist).toContain('127.0.0.1');
    expect(verifies(a.body)).toBe(true);
  });
});

describe('openid', () => {
  const openid = (params: Record<string, string>) => send(sandbox.url, 'openid', params, 'get');

  it('redirects to callback_url with openid added, without a sign', async () => {
    const a = await openid({ mchid: MCHID, callback_url: 'https://m.example.com/back' });
    expect(a.status).toBe(302);
    const to = new URL(a.headers.get('location')!);
    expect(to.origin + to.pathname).toBe('https://m.example.com/back');
    expect(to.searchParams.get('openid')).toMatch(/^o7LFAw[\w-]{22}$/);
  });

  it('keeps only the first query parameter of callback_url, as PAYJS does', async () => {
    const a = await openid({ mchid: MCHID, callback_url: 'https://m.example.com/back?order=7&x=1' });
    const to = new URL(a.headers.get('location')!);
    expect([...to.searchParams.keys()]).toEqual(['order', 'openid']);
  });

  it('replaces an openid already in callback_url and keeps the kept parameter as written', async () => {
    const a = await openid({ mchid: MCHID, callback_url: 'https://m.example.com/back?openid=old&a=b%20c' });
    expect(a.headers.get('location')).toMatch(/^https:\/\/m\.example\.com\/back\?a=b%20c&openid=o7LFAw[\w-]{22}$/);
  });

  it('checks a sign when one is sent', async () => {
    const a = await openid({ mchid: MCHID, callback_url: 'https://m.example.com/back', sign: 'F'.repeat(32) });
    expect(a.body.msg).toMatch(/签名错误/);
  });

  it('refuses a callback_url that is not an absolute http(s) URL', async () => {
    const a = await openid({ mchid: MCHID, callback_url: 'javascript:alert(1)' });
    expect(a.status).toBe(200);
    expect(a.body.msg).toMatch(/callback_url/);
  });
});
