import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Params, type Sandbox } from '../src/index.js';
import { API_ENDPOINTS } from '../src/http/routes/api.js';
import { startReceiver, type Receiver } from './receiver.js';
import { MCHID, nativeOrder, signed, tradeNo } from './support.js';
import { createValidator, whenEveryEarlierTestRan, type Answer, type Validator } from './openapi-validator.js';

let sandbox: Sandbox;
let receiver: Receiver;
let v: Validator;
/** What each endpoint has shown: `get`/`post` success, and a `refusal`. */
const shown = new Map<string, Set<string>>();

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }) });
  v = createValidator(await (await fetch(`${sandbox.url}/__sandbox/openapi.json`)).json());
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

type Transport = 'form' | 'json' | 'multipart' | 'query';
const strings = (p: Params) => Object.entries(p).filter(([, x]) => x !== undefined).map(([k, x]) => [k, String(x)]);

/** Calls an endpoint as a merchant would, and checks the answer against the description. */
async function api(endpoint: string, params: Params, method: 'GET' | 'POST', transport: Transport = 'form', headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(`/api/${endpoint}`, sandbox.url);
  const init: RequestInit = { method, headers };
  if (method === 'GET' || transport === 'query') url.search = new URLSearchParams(strings(params)).toString();
  else if (transport === 'form') init.body = new URLSearchParams(strings(params));
  else if (transport === 'json') init.headers = { ...headers, 'content-type': 'application/json' }, (init.body = JSON.stringify(params));
  else {
    const form = new FormData();
    for (const [k, x] of strings(params)) form.append(k, x);
    init.body = form;
  }
  const answer = await v.request(url.toString(), init);
  const body = answer.body as Record<string, unknown> | undefined;
  const refused = body?.return_code === 0 && body?.status === 0;
  // What the sandbox took, the description of the endpoint's parameters must take too.
  if (!refused) v.validateAt(`/components/schemas/${endpoint[0].toUpperCase()}${endpoint.slice(1)}Request`, params, `the parameters of ${endpoint}`);
  const kinds = shown.get(endpoint) ?? new Set();
  kinds.add(refused ? 'refusal' : method.toLowerCase());
  shown.set(endpoint, kinds);
  return answer;
}

const payer = 'o7LFAwSandboxPayer000000000';
const paidOrder = async () => {
  const id = await nativeOrder(sandbox.url, { notify_url: receiver.url, attach: 'uid=42' });
  await sandbox.pay(id);
  return id;
};

/** Signed parameters that succeed, for each endpoint. */
const SUCCESS: Record<string, () => Promise<Params>> = {
  native: async () => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: '测试订单', notify_url: receiver.url }),
  micropay: async () => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), auth_code: '134567890123456789' }),
  jsapi: async () => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), openid: payer }),
  mweb: async () => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), callback_url: 'https://example.com/done' }),
  facepay: async () => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), openid: payer, face_code: 'face-1' }),
  cashier: async () => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), callback_url: 'https://example.com/done' }),
  check: async () => ({ payjs_order_id: await paidOrder() }),
  close: async () => ({ mchid: MCHID, payjs_order_id: await nativeOrder(sandbox.url) }),
  reverse: async () => ({ payjs_order_id: await paidOrder() }),
  refund: async () => ({ mchid: MCHID, payjs_order_id: await paidOrder() }),
  openid: async () => ({ mchid: MCHID, callback_url: 'https://example.com/back' }),
  user: async () => ({ mchid: MCHID, openid: payer }),
  info: async () => ({ mchid: MCHID }),
  bank: async () => ({ mchid: MCHID, bank: 'CMB_DEBIT' }),
  complaint: async () => ({ mchid: MCHID }),
  iplist: async () => ({ mchid: MCHID }),
};
const TRANSPORTS: Transport[] = ['form', 'json', 'multipart', 'query'];

describe('the PAYJS surface answers as /__sandbox/openapi.json describes', { shuffle: false }, () => {
  it('describes every endpoint the sandbox serves', () => {
    expect(Object.keys(SUCCESS).sort()).toEqual([...API_ENDPOINTS].sort());
  });

  it.each(Object.keys(SUCCESS).map((e, i) => [e, TRANSPORTS[i % TRANSPORTS.length]] as const))('%s succeeds by GET and by POST (%s)', async (endpoint, transport) => {
    for (const method of ['GET', 'POST'] as const) {
      const a = await api(endpoint, signed(await SUCCESS[endpoint]()), method, transport);
      if (endpoint === 'cashier' || endpoint === 'openid') expect(a.status).toBe(302);
      else expect(a.body).toMatchObject({ return_code: 1 });
    }
  });

  it.each(Object.keys(SUCCESS))('%s refuses a wrong sign, or a missing field, with the envelope', async (endpoint) => {
    const params = await SUCCESS[endpoint]();
    const bad = await api(endpoint, { ...params, sign: '0123456789ABCDEF0123456789ABCDEF' }, 'POST');
    expect(bad.body).toMatchObject({ return_code: 0, status: 0 });
    if (endpoint !== 'openid') expect(bad.headers.get('x-payjs-sandbox-debug')).toBeTruthy(); // checked against SignDebug
    const missing = await api(endpoint, Object.fromEntries(Object.entries(params).filter(([k]) => k !== 'payjs_order_id' && k !== 'mchid' && k !== 'callback_url')), 'GET');
    expect(missing.body).toMatchObject({ return_code: 0, return_msg: expect.stringContaining('缺少参数') });
  });

  it('every endpoint has shown a GET success, a POST success and a refusal', (ctx) => {
    whenEveryEarlierTestRan(ctx);
    for (const e of API_ENDPOINTS) expect([e, [...(shown.get(e) ?? [])].sort()]).toEqual([e, ['get', 'post', 'refusal']]);
  });
});

describe('the answers that only some calls get match it too', () => {
  it('micropay waiting for the password, signed with return_code 0', async () => {
    const a = await api('micropay', signed(await SUCCESS.micropay()), 'POST', 'json', { 'x-payjs-sandbox-scenario': 'micropay=password' });
    expect(a.body).toMatchObject({ return_code: 0, msg: '需要用户输入支付密码' });
  });

  it('a second refund: return_code 1, refund "1", no sign', async () => {
    const params = signed({ payjs_order_id: await paidOrder() });
    await api('refund', params, 'POST');
    const again = await api('refund', params, 'POST');
    expect(again.body).toMatchObject({ return_code: 1, refund: '1' });
    expect(again.body).not.toHaveProperty('sign');
  });

  it('check of an unpaid order, and of a paid Alipay order with attach', async () => {
    const unpaid = await api('check', signed({ payjs_order_id: await nativeOrder(sandbox.url) }), 'GET');
    expect(unpaid.body).toMatchObject({ status: 0, paid_time: '0', transaction_id: '0' });
    const id = await nativeOrder(sandbox.url, { type: 'alipay', attach: 'a=1' });
    await sandbox.pay(id);
    expect((await api('check', signed({ payjs_order_id: id }), 'POST', 'json')).body).toMatchObject({ status: 1, attach: 'a=1' });
  });

  it('native with JSON numbers echoes numbers', async () => {
    const a = await api('native', signed({ ...(await SUCCESS.native()), type: 'alipay' }), 'POST', 'json');
    expect(typeof (a.body as Params).total_fee).toBe('number');
  });

  it('api=status:<code> answers that status in text, as the default response says', async () => {
    const a = await api('info', signed({ mchid: MCHID }), 'POST', 'form', { 'x-payjs-sandbox-scenario': 'api=status:503' });
    expect(a.status).toBe(503);
  });
});
