/** The API pipeline without koa: what a second transport (a bare node:http server, an
 * interceptor) gets when it hands a call to createApiCall — the answer as status, headers and body,
 * refusals as PAYJS's envelope, the scenario's faults, and the call in the call log. */
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiCall, type ApiCall } from '../src/app/api-call.js';
import { CallLog } from '../src/app/call-log.js';
import { Gateway } from '../src/app/gateway.js';
import { ScenarioBook } from '../src/app/scenario-book.js';
import { SandboxClock } from '../src/clock/clock.js';
import { DEFAULT_MERCHANT, Merchants } from '../src/core/merchant.js';
import { openStore } from '../src/store/store.js';
import { MCHID, signed, tradeNo } from './support.js';

let apiCall: ApiCall;
let callLog: CallLog;
let gateway: Gateway;
beforeEach(async () => {
  const store = await openStore();
  const clock = new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true });
  gateway = new Gateway({ store, clock, merchants: new Merchants([DEFAULT_MERCHANT]), scenarios: new ScenarioBook(store) });
  callLog = new CallLog();
  apiCall = createApiCall({ gateway, callLog, clock, url: () => 'http://sandbox.test' });
});

const native = () => signed({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: 'pipeline' });
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

describe('createApiCall, the one entry of the PAYJS API', () => {
  it('answers a signed create with its JSON answer and records the call', async () => {
    const params = native();
    const r = await apiCall({ path: '/api/native', method: 'POST', headers: {}, params, via: 'form', base: 'http://shop.test' });
    expect(r).toMatchObject({ status: 200, headers: JSON_TYPE, body: { return_code: 1, code_url: expect.stringMatching(/^http:\/\/shop\.test\//) } });
    const [call] = callLog.list();
    expect(call).toMatchObject({ method: 'POST', path: '/api/native', endpoint: 'native', transport: 'form', sign: 'valid', status: 200, answer: r.body });
    expect(gateway.orders()).toHaveLength(1);
  });

  it('reads the parameters through `read` when given, and links to the sandbox URL without a base', async () => {
    const r = await apiCall({ path: '/api/native', method: 'GET', headers: {}, read: async () => ({ params: native(), via: 'query' }) });
    expect(r.body).toMatchObject({ code_url: expect.stringMatching(/^http:\/\/sandbox\.test\//) });
    expect(callLog.list()[0].transport).toBe('query');
  });

  it('answers a refusal with the envelope and the debug header, and records it', async () => {
    const r = await apiCall({ path: '/api/native', method: 'POST', headers: {}, params: { ...native(), sign: 'X' } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ return_code: 0, status: 0, msg: expect.stringMatching(/^签名错误/) });
    expect(JSON.parse(r.headers['x-payjs-sandbox-debug'])).toMatchObject({ endpoint: 'native', received: 'X' });
    expect(callLog.list()[0]).toMatchObject({ error: 'SIGN_ERROR', sign: 'invalid' });
  });

  it('refuses a failed read as any other refusal, and a HEAD without creating anything', async () => {
    const { Refusal } = await import('../src/core/errors.js');
    const bad = await apiCall({ path: '/api/native', method: 'POST', headers: {}, read: async () => Promise.reject(new Refusal('BAD_BODY', ['unreadable'])) });
    expect(bad.body).toMatchObject({ return_code: 0, msg: '请求格式错误 (unreadable)' });
    const head = await apiCall({ path: '/api/native', method: 'HEAD', headers: {}, params: native() });
    expect(head.body).toMatchObject({ return_code: 0, msg: expect.stringMatching(/^请求方法错误/) });
    expect(gateway.orders()).toEqual([]);
    expect(callLog.list().map((c) => c.error)).toEqual(['BAD_BODY', 'METHOD_NOT_ALLOWED']);
  });

  it('refuses a path that is no PAYJS endpoint, naming the endpoints, and records nothing', async () => {
    const r = await apiCall({ path: '/api/nope', method: 'POST', headers: {}, params: {} });
    expect(r.body).toMatchObject({ return_code: 0, msg: expect.stringMatching(/no PAYJS endpoint \/api\/nope; the endpoints are native, micropay/) });
    expect(callLog.list()).toEqual([]);
  });

  it('applies the scenario header: api=status answers that status without carrying the call out', async () => {
    const r = await apiCall({ path: '/api/native', method: 'POST', headers: { 'x-payjs-sandbox-scenario': 'api=status:503' }, params: native() });
    expect(r).toEqual({ status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'payjs-sandbox scenario api=status:503' });
    expect(gateway.orders()).toEqual([]);
  });

  it('applies api=malformed and api=hang after carrying the call out', async () => {
    const malformed = await apiCall({ path: '/api/native', method: 'POST', headers: { 'x-payjs-sandbox-scenario': 'api=malformed' }, params: native() });
    expect(() => JSON.parse(malformed.body as string)).toThrow();
    const hang = await apiCall({ path: '/api/native', method: 'POST', headers: { 'x-payjs-sandbox-scenario': 'api=hang' }, params: native() });
    expect(hang.hang).toBe(true);
    expect(gateway.orders()).toHaveLength(2);
  });

  it('answers a browser endpoint with a redirect', async () => {
    const r = await apiCall({ path: '/api/cashier', method: 'GET', headers: {}, params: native(), base: 'http://shop.test' });
    expect(r).toEqual({ status: 302, headers: { location: expect.stringMatching(/^http:\/\/shop\.test\/cashier\//) } });
    expect(callLog.list()[0].answer).toEqual({ location: r.headers.location });
  });
});
