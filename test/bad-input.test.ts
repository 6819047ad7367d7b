import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, send, signed, tempDb, tradeNo, PATH } from './support.js';

let sandbox: Sandbox;
let before = 0;
beforeAll(async () => {
  sandbox = await startSandbox({ ...PATH, db: tempDb() });
});
afterAll(() => sandbox.close());
beforeEach(() => {
  before = sandbox.orders().length;
});

const order = (extra: Record<string, unknown> = {}) => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), ...extra });
const raw = (body: BodyInit, type: string, path = '/api/native') => fetch(`${sandbox.url}${path}`, { method: 'POST', body, headers: { 'content-type': type } });

/** A refusal: HTTP 200, the unsigned PAYJS envelope, a message that names `field`, nothing stored. */
function expectRefusal(a: { status: number; body: Record<string, unknown> }, field: RegExp) {
  expect(a.status).toBe(200);
  expect(Object.keys(a.body)).toEqual(['msg', 'return_code', 'return_msg', 'status']);
  expect(a.body).toMatchObject({ return_code: 0, status: 0 });
  expect(a.body.return_msg).toBe(a.body.msg);
  expect(a.body.msg).toMatch(field);
  expect(sandbox.orders().length).toBe(before);
}

describe('bad values are refused with a message naming the field', () => {
  it.each([
    ['a missing total_fee', { total_fee: undefined }, /total_fee/],
    ['a missing out_trade_no', { out_trade_no: undefined }, /缺少参数：out_trade_no/],
    ['a missing mchid', { mchid: undefined }, /缺少参数：mchid/],
    ['total_fee of 0', { total_fee: 0 }, /金额错误：total_fee/],
    ['a negative total_fee', { total_fee: -5 }, /total_fee/],
    ['a fractional total_fee', { total_fee: '1.50' }, /total_fee.*whole number of fen/],
    ['a total_fee in words', { total_fee: 'abc' }, /total_fee/],
    ['a total_fee over the limit', { total_fee: 1_000_001 }, /total_fee.*1000000/],
    ['an out_trade_no of 33 characters', { out_trade_no: 'x'.repeat(33) }, /参数过长：out_trade_no.*32/],
    ['an attach of 128 characters', { attach: 'a'.repeat(128) }, /attach.*127/],
    ['a notify_url of 256 characters', { notify_url: `http://a/${'n'.repeat(247)}` }, /notify_url.*255/],
    ['a type other than alipay', { type: 'wechat' }, /type.*alipay/],
    ['a time_expire that is not a date', { time_expire: '20241301000000' }, /time_expire.*yyyyMMddHHmmss/],
    ['a time_expire in the past', { time_expire: '20200101000000' }, /time_expire.*past/],
  ])('native with %s', async (_name, extra, field) => {
    expectRefusal(await call(sandbox.url, 'native', order(extra)), field);
  });

  it.each([
    ['17 digits', '13456789012345678'],
    ['a code starting 16', '163456789012345678'],
    ['letters', '13456789012345678x'],
  ])('micropay with an auth_code of %s', async (_name, auth_code) => {
    expectRefusal(await call(sandbox.url, 'micropay', order({ auth_code })), /auth_code.*18-digit/);
  });

  it.each([
    ['jsapi', 'openid'], ['micropay', 'auth_code'], ['facepay', 'face_code'],
  ])('%s without %s', async (endpoint, field) => {
    expectRefusal(await call(sandbox.url, endpoint, order({ openid: field === 'openid' ? undefined : 'o7LFAwX', face_code: field === 'face_code' ? undefined : 'f' })), new RegExp(`缺少参数：${field}`));
  });

  it('a request without sign', async () => {
    const a = await send(sandbox.url, 'native', order());
    expectRefusal(a, /缺少参数：sign/);
  });

  it('a wrong sign, with the canonical string and the cause in a header', async () => {
    const params = { ...signed(order({ body: 'x' })), body: 'changed' };
    const a = await send(sandbox.url, 'native', params);
    expectRefusal(a, /签名错误.*the sandbox signed "body=changed&mchid=/);
    const debug = JSON.parse(a.headers.get('x-payjs-sandbox-debug')!);
    expect(debug).toMatchObject({ endpoint: 'native', received: params.sign, cause: expect.any(String) });
    expect(debug.canonical).toMatch(/&key=Te\*+90$/);
  });
});

describe('the explanations stay useful and safe', () => {
  it('cuts long values in the explanation so it fits a header', async () => {
    const a = await send(sandbox.url, 'native', { ...order({ attach: 'a'.repeat(20_000) }), sign: '0'.repeat(32) });
    expectRefusal(a, /attach=a{64}…\(\+19936\)/);
    expect(a.headers.get('x-payjs-sandbox-debug')!.length).toBeLessThan(2000);
  });

  it('hides the expected sign of an order call without mchid, which would let another merchant forge one', async () => {
    const id = (await call(sandbox.url, 'native', order())).body.payjs_order_id as string;
    const a = await send(sandbox.url, 'close', { payjs_order_id: id, sign: '0'.repeat(32) });
    expect(a.body.msg).toMatch(/send mchid to see the expected sign/);
    expect(JSON.parse(a.headers.get('x-payjs-sandbox-debug')!).expected).not.toMatch(/^[0-9A-F]{32}$/);
  });

  it('refuses true as an amount', async () => {
    const res = await raw(JSON.stringify(signed(order({ total_fee: true }))), 'application/json');
    expectRefusal({ status: res.status, body: await res.json() }, /total_fee.*true/);
  });

  it('refuses an amount with a leading zero', async () => {
    expectRefusal(await call(sandbox.url, 'native', order({ total_fee: '01' })), /total_fee/);
  });

  it('refuses a time_expire that is not a date on the cashier too', async () => {
    const a = await call(sandbox.url, 'cashier', order({ time_expire: 'abc' }), 'get');
    expectRefusal(a, /time_expire/);
  });

  it('ignores type=alipay where the endpoint does not take it', async () => {
    const a = await call(sandbox.url, 'jsapi', order({ type: 'alipay', openid: 'o7LFAwPayer00000000000000000' }));
    expect((await sandbox.order(a.body.payjs_order_id as string))?.type).toBeUndefined();
  });

  it('names constructor in a form body instead of dropping it', async () => {
    const res = await raw(`mchid=${MCHID}&constructor=x&total_fee=1&out_trade_no=a`, 'application/x-www-form-urlencoded');
    expectRefusal({ status: res.status, body: await res.json() }, /constructor/);
  });

  it('answers HEAD and PUT on an endpoint with "use GET or POST", creating nothing', async () => {
    for (const method of ['HEAD', 'PUT', 'DELETE']) {
      const res = await fetch(`${sandbox.url}/api/native?${new URLSearchParams(signed(order()) as Record<string, string>)}`, { method });
      expect(res.status).toBe(200);
      if (method !== 'HEAD') expect((await res.json()).msg).toMatch(/use GET or POST/);
    }
    expect(sandbox.orders().length).toBe(before);
  });
});

describe('malformed requests get the envelope, never a 5xx', () => {
  it('malformed JSON', async () => {
    const res = await raw('{"mchid": "1234567890",', 'application/json');
    expectRefusal({ status: res.status, body: await res.json() }, /JSON/);
  });

  it('a JSON body that is not an object', async () => {
    const res = await raw('[1,2]', 'application/json');
    expectRefusal({ status: res.status, body: await res.json() }, /JSON object/);
  });

  it('broken multipart', async () => {
    const res = await raw('--xx\r\nContent-Disposition: form-data; name="mchid"\r\n\r\n123', 'multipart/form-data; boundary=xx');
    expectRefusal({ status: res.status, body: await res.json() }, /multipart/);
  });

  it('multipart without a boundary', async () => {
    const res = await raw('x', 'multipart/form-data');
    expectRefusal({ status: res.status, body: await res.json() }, /multipart/);
  });

  it('a file part in multipart', async () => {
    const form = new FormData();
    form.append('mchid', MCHID);
    form.append('upload', new Blob(['x']), 'x.txt');
    const res = await fetch(`${sandbox.url}/api/native`, { method: 'POST', body: form });
    expectRefusal({ status: res.status, body: await res.json() }, /file parts/);
  });

  it('broken percent-encoding is read as literal text', async () => {
    const res = await raw(`mchid=${MCHID}&total_fee=1&out_trade_no=%zz%E4%B8&sign=${'A'.repeat(32)}`, 'application/x-www-form-urlencoded');
    expectRefusal({ status: res.status, body: await res.json() }, /签名错误/);
  });

  it.each([
    ['form', 'application/x-www-form-urlencoded', () => `mchid=${MCHID}&body=${'a'.repeat(5 * 1024 * 1024)}`],
    ['JSON', 'application/json', () => JSON.stringify({ mchid: MCHID, body: 'a'.repeat(5 * 1024 * 1024) })],
    ['multipart', 'multipart/form-data; boundary=b', () => `--b\r\nContent-Disposition: form-data; name="body"\r\n\r\n${'a'.repeat(5 * 1024 * 1024)}\r\n--b--\r\n`],
  ])('a 5 MB %s body', async (_name, type, body) => {
    const res = await raw(body(), type);
    expectRefusal({ status: res.status, body: await res.json() }, /请求体过大/);
  });

  it.each([
    ['__proto__ in JSON', () => raw(`{"__proto__": {"x": 1}, "mchid": "${MCHID}"}`, 'application/json'), /__proto__/],
    ['constructor in JSON', () => raw(`{"constructor": "x", "mchid": "${MCHID}"}`, 'application/json'), /constructor/],
    ['an array value in JSON', () => raw(JSON.stringify({ ...order(), total_fee: [1, 2] }), 'application/json'), /total_fee.*one value/],
    ['an object value in JSON', () => raw(JSON.stringify({ ...order(), body: { a: 1 } }), 'application/json'), /body.*one value/],
    ['a repeated form key', () => raw(`mchid=${MCHID}&mchid=2&total_fee=1&out_trade_no=a`, 'application/x-www-form-urlencoded'), /mchid.*more than once/],
    ['a[] form keys', () => raw(`mchid=${MCHID}&total_fee[]=1&out_trade_no=a`, 'application/x-www-form-urlencoded'), /total_fee.*one value/],
    ['a nested form key', () => raw(`mchid=${MCHID}&total_fee[a]=1&out_trade_no=a`, 'application/x-www-form-urlencoded'), /total_fee.*one value/],
    ['a repeated query key', () => fetch(`${sandbox.url}/api/check?payjs_order_id=1&payjs_order_id=2`), /payjs_order_id.*more than once/],
  ])('%s', async (_name, request, field) => {
    const res = await request();
    expectRefusal({ status: res.status, body: await res.json() }, field);
  });

  it('an unknown /api path answers the envelope', async () => {
    const res = await fetch(`${sandbox.url}/api/nothing`);
    expectRefusal({ status: res.status, body: await res.json() }, /no PAYJS endpoint/);
  });

  it('the server is still alive and storing', async () => {
    expect((await call(sandbox.url, 'native', order())).body.return_code).toBe(1);
  });
});
