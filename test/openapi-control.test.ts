import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { CONTROL_ACTIONS } from '../src/core/order.js';
import { startReceiver, type Receiver } from './receiver.js';
import { MCHID, call, nativeOrder, signed, tradeNo } from './support.js';
import { METHODS, createValidator, whenEveryEarlierTestRan, type Answer, type Validator } from './openapi-validator.js';

let sandbox: Sandbox;
let receiver: Receiver;
let v: Validator;
let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; servers: { url: string }[] };

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }) });
  doc = await (await fetch(`${sandbox.url}/__sandbox/openapi.json`)).json();
  v = createValidator(doc as never);
});
afterAll(async () => {
  await sandbox?.close();
  await receiver?.close();
});

/** A control call, its answer checked against the description. */
const ctl = (method: string, path: string, body?: unknown, base = sandbox.url): Promise<Answer> =>
  v.request(`${base}/__sandbox${path}`, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
const status = async (method: string, path: string, body?: unknown) => (await ctl(method, path, body)).status;

const unpaid = () => nativeOrder(sandbox.url, { notify_url: receiver.url });
const paid = async () => {
  const id = await unpaid();
  await sandbox.pay(id);
  return id;
};
const closed = async () => {
  const id = await unpaid();
  await sandbox.clock.advance(0);
  expect(await status('POST', `/orders/${id}/close`)).toBe(200);
  return id;
};
const UNKNOWN = '2024010112000000999999999';

describe('the control API answers as /__sandbox/openapi.json describes', { shuffle: false }, () => {
  it('serves the description with the origin it was asked on', async () => {
    const a = await ctl('GET', '/openapi.json');
    expect((a.body as typeof doc).servers[0].url).toBe(sandbox.url);
    expect(() => v.compileAll()).not.toThrow();
  });

  it('lists and shows orders, and 404s an unknown one', async () => {
    const id = await paid();
    await call(sandbox.url, 'check', { payjs_order_id: id });
    await call(sandbox.url, 'check', { payjs_order_id: id, sign: 'wrong' });
    await sandbox.clock.settle();
    expect(await status('GET', '/orders')).toBe(200);
    expect(await status('GET', `/orders?mchid=${MCHID}&status=paid&channel=native&limit=5`)).toBe(200);
    expect(((await ctl('GET', `/orders/${id}`)).body as { timeline: unknown[] }).timeline.length).toBeGreaterThan(3);
    expect(await status('GET', `/orders/${UNKNOWN}`)).toBe(404);
  });

  // For each action: an order it takes, and one it refuses (reverse takes every order).
  const CASES: Record<string, [() => Promise<string>, (() => Promise<string>) | null]> = {
    pay: [unpaid, closed], tap: [unpaid, closed], fail: [unpaid, paid], cancel: [unpaid, paid], close: [unpaid, paid],
    refund: [paid, unpaid], reverse: [paid, null], expire: [unpaid, paid],
  };
  it.each([...CONTROL_ACTIONS])('POST /orders/{id}/%s: 200, 404, and 409 where the order cannot take it', async (action) => {
    const [takes, refuses] = CASES[action];
    expect(await status('POST', `/orders/${await takes()}/${action}`, action === 'pay' ? { openid: 'o7LFAwControlPayer000000000' } : undefined)).toBe(200);
    expect(await status('POST', `/orders/${UNKNOWN}/${action}`)).toBe(404);
    if (refuses) expect(await status('POST', `/orders/${await refuses()}/${action}`)).toBe(409);
  });

  it('shows, resends and waits for notifies', async () => {
    const id = await paid();
    await sandbox.clock.settle();
    expect(await status('GET', `/orders/${id}/notifications`)).toBe(200);
    expect(await status('GET', `/orders/${UNKNOWN}/notifications`)).toBe(404);
    expect(await status('POST', `/orders/${id}/notifications/resend`)).toBe(200);
    expect(await status('POST', `/orders/${await unpaid()}/notifications/resend`)).toBe(404);
    expect(await status('GET', '/notifications')).toBe(200);
    expect(await status('GET', `/notifications?payjs_order_id=${id}`)).toBe(200);
    expect(await status('GET', `/notifications/wait?payjs_order_id=${id}&delivered=true&kind=manual`)).toBe(200);
    expect(await status('GET', `/notifications/wait?payjs_order_id=${UNKNOWN}&timeout=1`)).toBe(408);
  });

  it('reads and advances the clock, and refuses a negative advance', async () => {
    expect(await status('GET', '/clock')).toBe(200);
    expect(await status('POST', '/clock/advance', { seconds: 15 })).toBe(200);
    expect(await status('POST', '/clock/advance', { seconds: -1 })).toBe(400);
    expect(await status('POST', '/clock/reset')).toBe(200);
  });

  it('adds, lists and removes scenario rules', async () => {
    const added = await ctl('POST', '/scenarios', { match: { out_trade_no: 'VIP-*', total_fee: 100 }, sequence: ['notify=fail', 'notify=late:5'] });
    expect(added.status).toBe(201);
    expect(await status('POST', '/scenarios', { tokens: 'pay=auto', times: 2 })).toBe(201);
    expect(await status('POST', '/scenarios', { tokens: 'pay=sometimes' })).toBe(400);
    expect(await status('GET', '/scenarios')).toBe(200);
    expect(await status('DELETE', `/scenarios/${(added.body as { scenario: { id: string } }).scenario.id}`)).toBe(200);
    expect(await status('DELETE', '/scenarios/s999')).toBe(404);
    expect(await status('DELETE', '/scenarios')).toBe(200);
  });

  it('answers call-log queries (at /calls and its old name /journal), with the diagnosis of a bad sign', async () => {
    await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: 'a b' }, 'json', 'NotTheKey');
    expect(await status('GET', '/calls')).toBe(200);
    expect(await status('GET', '/journal')).toBe(200);
    expect(await status('GET', '/calls?via=proxy&host=payjs.cn')).toBe(200);
    expect(await status('GET', '/calls?via=carrier-pigeon')).toBe(400);
    expect(await status('GET', '/journal?sign=maybe')).toBe(400);
    const bad = await ctl('GET', `/journal?endpoint=native&mchid=${MCHID}&sign=invalid`);
    expect((bad.body as { calls: { diagnosis?: unknown }[] }).calls.at(-1)?.diagnosis).toBeTruthy();
  });

  it('lists and adds merchants, refusing a bad one', async () => {
    expect(await status('GET', '/merchants')).toBe(200);
    expect(await status('POST', '/merchants', { mchid: '2000000009', key: 'AnotherKey0009', name: '另一家', doudou: 5 })).toBe(201);
    expect(await status('POST', '/merchants', { mchid: 'has space', key: 'k' })).toBe(400);
  });

  it('takes a snapshot, restores it, and refuses what is not one', async () => {
    const snap = await ctl('GET', '/snapshot');
    expect(snap.status).toBe(200);
    expect(await status('POST', '/restore', snap.body)).toBe(200);
    expect(await status('POST', '/restore', { version: 2 })).toBe(400);
  });

  it('seeds fixtures/seed.json, and refuses a bad seed', async () => {
    expect(await status('POST', '/seed', JSON.parse(readFileSync('fixtures/seed.json', 'utf8')))).toBe(201);
    expect(await status('POST', '/seed', { orders: [{ channel: 'jsapi', out_trade_no: 'S-1', total_fee: 1 }] })).toBe(400);
    expect(await status('POST', '/seed', { orders: [{ mchid: '999', out_trade_no: 'S-2', total_fee: 1 }] })).toBe(404);
  });

  it('streams events', async () => {
    const abort = new AbortController();
    const res = await fetch(`${sandbox.url}/__sandbox/events`, { signal: abort.signal });
    const first = await res.body!.getReader().read();
    v.check('GET', `${sandbox.url}/__sandbox/events`, { status: res.status, headers: res.headers, text: new TextDecoder().decode(first.value), body: undefined });
    abort.abort();
    expect(res.status).toBe(200);
  });

  it('plays the PAYJS mini-program: pays, returns a refusal, and refuses a malformed request', async () => {
    const extraData = signed({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), nonce: 'n1', notify_url: receiver.url });
    const post = (b: unknown) => v.request(`${sandbox.url}/__sandbox/miniprogram/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
    expect((await post({ extraData, action: 'pay', path: 'pages/order/order', query: { id: '1' } })).body).toMatchObject({ order: { status: 'paid' } });
    expect((await post({ extraData: { ...extraData, sign: 'x' } })).body).toMatchObject({ order: null });
    expect((await post([1])).status).toBe(400);
    const page = (q: string) => v.request(`${sandbox.url}/__sandbox/miniprogram/pages/pay${q}`);
    expect((await page(`?extraData=${encodeURIComponent(JSON.stringify(extraData))}`)).status).toBe(200);
    expect((await page('')).status).toBe(400);
    const press = (form: Record<string, string>) => v.request(`${sandbox.url}/__sandbox/miniprogram/pages/pay`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
    const pressed = await press({ extraData: JSON.stringify({ ...extraData, out_trade_no: tradeNo() }), action: 'cancel' });
    expect(pressed.status).toBe(303);
    expect((await v.request(new URL(pressed.headers.get('location')!, sandbox.url).href)).status).toBe(200);
    expect((await v.request(`${sandbox.url}/__sandbox/miniprogram/pages/result?r=broken`)).status).toBe(400);
    expect((await press({ extraData: '{' })).status).toBe(400);
  });

  it('applies tokens to one order, refusing bad tokens, an unknown order and a closed one', async () => {
    const id = await paid();
    expect((await ctl('POST', `/orders/${id}/scenario`, { tokens: 'notify=fail:2' })).body).toMatchObject({ notify: { failing: 2, round: 1 } });
    expect(await status('POST', `/orders/${id}/scenario`, { tokens: 'api=hang' })).toBe(400);
    expect(await status('POST', `/orders/${UNKNOWN}/scenario`, { tokens: 'notify=never' })).toBe(404);
    expect(await status('POST', `/orders/${await closed()}/scenario`, { tokens: 'notify=never' })).toBe(409);
  });

  it('lists and loads scenario files, shipped or sent', async () => {
    const files = (await ctl('GET', '/scenarios/files')).body as { files: { file: string }[] };
    expect(files.files.length).toBeGreaterThanOrEqual(8);
    expect(await status('POST', '/scenarios/files/late-notify.json')).toBe(201);
    expect(await status('POST', '/scenarios/files/nothing.json')).toBe(404);
    expect(await status('POST', '/scenarios/files?file=mine.json', { name: 'mine', description: '', rules: [{ tokens: 'pay=auto' }] })).toBe(201);
    expect(await status('POST', '/scenarios/files', { name: 'mine', rules: [] })).toBe(400);
    await ctl('DELETE', '/scenarios');
  });

  it('runs the conformance battery, lists and shows reports', async () => {
    const run = await ctl('POST', '/conformance', { url: receiver.url });
    expect(run.status).toBe(200);
    const id = (run.body as { report: { id: string } }).report.id;
    expect(await status('GET', '/conformance')).toBe(200);
    expect(await status('GET', `/conformance/${id}`)).toBe(200);
    expect(await status('GET', '/conformance/c999')).toBe(404);
    expect(await status('POST', '/conformance', { url: 'mailto:x' })).toBe(400);
    expect(await status('POST', '/conformance', { url: receiver.url, mchid: 'nobody' })).toBe(404);
  });

  it('serves the CA certificate and what intercepts payjs.cn', async () => {
    expect(await status('GET', '/ca.pem')).toBe(200);
    expect(((await ctl('GET', '/interception')).body as { hosts: string[] }).hosts).toEqual(['payjs.cn', 'www.payjs.cn']);
  });

  it('resets one merchant, then everything', async () => {
    expect((await ctl('POST', `/reset?mchid=${MCHID}`)).body).toEqual({ reset: { mchid: MCHID } });
    expect((await ctl('POST', '/reset')).body).toEqual({ reset: 'everything' });
  });

  it('answers 401 off loopback without the control token', async () => {
    const open = await startSandbox({ host: '0.0.0.0', controlToken: 'T0ken' });
    try {
      expect((await ctl('GET', '/orders', undefined, open.url)).status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('answers 403 as described to a rebinding Host name and to another site\'s write', async () => {
    /** fetch cannot set Host: one request with exactly these headers, its answer checked. */
    const forged = (method: string, path: string, headers: Record<string, string>) =>
      new Promise<Answer>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: sandbox.port, method, path: `/__sandbox${path}`, headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            const answer = { status: res.statusCode!, headers: new Headers(res.headers as Record<string, string>), text, body: JSON.parse(text) as unknown };
            v.check(method, `${sandbox.url}/__sandbox${path}`, answer);
            resolve(answer);
          });
        });
        req.on('error', reject);
        req.end();
      });
    const rebound = await forged('GET', '/orders', { host: 'rebind.attacker.example' });
    expect([rebound.status, (rebound.body as { error: string }).error]).toEqual([403, 'FORBIDDEN_HOST']);
    const crossSite = await forged('POST', '/reset', { host: `127.0.0.1:${sandbox.port}`, origin: 'https://shop.attacker.example' });
    expect([crossSite.status, (crossSite.body as { error: string }).error]).toEqual([403, 'CROSS_SITE']);
  });

  it('has now seen every described control answer (401 and 403 once, above)', (ctx) => {
    whenEveryEarlierTestRan(ctx);
    const missing: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      if (!template.startsWith('/__sandbox/')) continue;
      for (const m of METHODS) for (const s of Object.keys(item[m]?.responses ?? {})) if (s !== '401' && s !== '403' && !v.seen.has(`${m} ${template} ${s}`)) missing.push(`${m.toUpperCase()} ${template} ${s}`);
    }
    expect(missing, 'described answers that no test produced: exercise them above, or fix the description').toEqual([]);
  });
});
