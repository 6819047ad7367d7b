/** The lean path (http/lean-api.ts: plain form POSTs and query GETs of /api/* served without koa)
 * answers exactly as koa does and leaves the same state: two sandboxes, one with `leanApi: false`,
 * on the same frozen clock and the same seeded randomness, get the same requests, scripted and
 * hostile; their answers, orders, call logs, notifies and snapshots must be equal. */
import { createConnection } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxClock, sign, startSandbox, type Params, type Sandbox } from '../src/index.js';
import { seededRandom } from '../src/core/ids.js';
import { hostileRequest, sendRaw, type RawAnswer, type RawRequest } from './reliability/hostile.mjs';
import { KEY, MCHID } from './support.js';

const OTHER = { mchid: '2000000001', key: 'OtherKey0001' };
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const START = Date.UTC(2024, 0, 1, 4);

let lean: Sandbox;
let koa: Sandbox;
const make = (leanApi: boolean) =>
  startSandbox({ clock: new SandboxClock({ start: START, frozen: true }), random: seededRandom('lean-api'), merchants: [`${OTHER.mchid}:${OTHER.key}`], leanApi });
beforeAll(async () => {
  lean = await make(true);
  koa = await make(false);
});
afterAll(async () => {
  await lean?.close();
  await koa?.close();
});

/** An answer with what must differ taken out: the date, the length (checked), durations, the
 * port in the links of a request without Host (the others name the same host to both). */
function normal(res: RawAnswer, sandbox: Sandbox, method: string) {
  if (!res.headers || !res.body) return { error: res.error ?? null, skipped: res.skipped ?? null };
  const { date: _, 'content-length': length, ...headers } = res.headers;
  if (length !== undefined && method !== 'HEAD') expect(Number(length)).toBe(res.body.length);
  // How long a call or a notify took (`ms`) is real time; the clock's pending tasks race the notifies in flight.
  const body = res.body.toString('utf8').replaceAll(`:${sandbox.port}`, ':PORT').replace(/"ms":[\d.]+/g, '"ms":0').replace(/"pending":\d+/g, '"pending":0');
  return { status: res.status, headers, body };
}

async function both(request: RawRequest) {
  const req = { ...request, headers: { host: 'sandbox.test', ...request.headers } };
  const a = normal(await sendRaw(lean.url, req), lean, req.method);
  const b = normal(await sendRaw(koa.url, req), koa, req.method);
  return { a, b };
}

const form = (params: Params, key = KEY) => Buffer.from(new URLSearchParams(Object.entries({ ...params, sign: sign(params, key) }).map(([k, v]) => [k, String(v)])).toString());
const post = (endpoint: string, body: Buffer | string, headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }): RawRequest => ({
  kind: 'api', endpoint, method: 'POST', path: `/api/${endpoint}`, headers, body: Buffer.from(body),
});
const get = (endpoint: string, params: Params, key = KEY): RawRequest => ({
  kind: 'api', endpoint, method: 'GET', path: `/api/${endpoint}?${form(params, key).toString()}`, headers: {},
});

/** What must be the same in both: every order, call, notify and the snapshot (durations aside). */
async function state(sandbox: Sandbox) {
  await sandbox.clock.settle();
  const all = { orders: sandbox.orders(), calls: sandbox.calls(), notifies: sandbox.notifications(), snapshot: sandbox.snapshot() };
  return JSON.parse(JSON.stringify(all).replaceAll(`:${sandbox.port}`, ':PORT').replace(/"ms":[\d.]+/g, '"ms":0'));
}

describe('the lean path answers as koa does', () => {
  const created = () => lean.orders().map((o) => o.payjs_order_id);
  const order = { mchid: MCHID, total_fee: 1, out_trade_no: 'LEAN-1', body: '测试 order+1' };
  const cases: [string, () => RawRequest][] = [
    ['a native create', () => post('native', form(order))],
    ['a native create with a UTF-8 charset and a BOM', () => post('native', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), form({ ...order, out_trade_no: 'LEAN-2' })]), { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' })],
    ['every create endpoint', () => post('micropay', form({ ...order, auth_code: '134567890123456789' }))],
    ['jsapi', () => post('jsapi', form({ ...order, openid: 'o7LFAwLeanPayer0000000000000' }))],
    ['mweb', () => post('mweb', form({ ...order, callback_url: 'http://merchant.test/back' }))],
    ['facepay', () => post('facepay', form({ ...order, openid: 'o7LFAwLeanPayer0000000000000', face_code: 'f' }))],
    ['a create by GET', () => get('native', { ...order, out_trade_no: 'LEAN-GET' })],
    ['a create with the query and the body both', () => ({ ...post('native', form(order)), path: '/api/native?attach=from-query' })],
    ['a query after two question marks, a lone surrogate, a repeated name', () => ({ ...get('bank', { mchid: MCHID, bank: 'CMB_DEBIT' }), path: `/api/bank??${form({ mchid: MCHID, bank: 'CMB_DEBIT' }).toString()}&x=%ED%A0%80&y=1&y=2` })],
    ['a # in the path', () => ({ ...post('native', form(order)), path: '/api/native#frag' })],
    ['a check without mchid', () => post('check', form({ payjs_order_id: created()[0] }))],
    ['a check by GET with mchid', () => get('check', { payjs_order_id: created()[0], mchid: MCHID })],
    ['a check signed with another merchant\'s key', () => post('check', form({ payjs_order_id: created()[0] }, OTHER.key))],
    ['a close', () => post('close', form({ payjs_order_id: created()[1] }))],
    ['a refund of an unpaid order', () => post('refund', form({ payjs_order_id: created()[2] }))],
    ['a reverse', () => post('reverse', form({ payjs_order_id: created()[2] }))],
    ['info, user, bank, complaint, iplist', () => post('info', form({ mchid: MCHID }))],
    ['user', () => post('user', form({ mchid: MCHID, openid: 'o7LFAwLeanPayer0000000000000' }))],
    ['bank', () => post('bank', form({ mchid: MCHID, bank: 'CMB_DEBIT' }))],
    ['complaint', () => post('complaint', form({ mchid: MCHID }))],
    ['iplist', () => get('iplist', { mchid: MCHID })],
    ['a wrong sign', () => post('native', Buffer.from(`${form(order).toString().slice(0, -3)}AAA`))],
    ['a missing field', () => post('native', form({ mchid: MCHID, total_fee: 1 }))],
    ['an empty body', () => post('native', '')],
    ['a body of zero length', () => ({ ...post('native', ''), headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' }, body: undefined })],
    ['repeated names', () => post('native', `${form(order).toString()}&mchid=${MCHID}`)],
    ['bracketed names', () => post('native', `${form(order).toString()}&a[b]=1`)],
    ['__proto__ in the form', () => post('native', `__proto__=1&${form(order).toString()}`)],
    ['a malformed escape', () => post('native', `body=%E4%ZZ&${form(order).toString()}`)],
    ['a body over 1 MB', () => post('native', `body=${'x'.repeat(1024 * 1024 + 10)}`)],
    ['a scenario header (koa serves it on both)', () => ({ ...post('native', form({ ...order, out_trade_no: 'LEAN-S' })), headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-payjs-sandbox-scenario': 'api=status:503' } })],
    ['a HEAD', () => ({ ...get('check', { payjs_order_id: created()[0] }), method: 'HEAD' })],
    ['a path that is no endpoint', () => post('nothing', form(order))],
    ['a Host with a comma', () => ({ ...post('native', form(order)), headers: { 'content-type': 'application/x-www-form-urlencoded', host: 'a.test, b.test' } })],
  ];
  it.each(cases)('%s', async (_, request) => {
    const { a, b } = await both(request());
    expect(a).toEqual(b);
  });

  it('under scenario rules: api=status, api=malformed, api=delay, api=status:204', async () => {
    for (const tokens of ['api=status:503', 'api=malformed', 'api=delay:5', 'api=status:204', 'pay=auto']) {
      for (const s of [lean, koa]) await s.use({ match: { endpoint: 'native' }, tokens, once: true });
      const { a, b } = await both(post('native', form({ ...order, out_trade_no: `LEAN-${tokens}` })));
      expect(a).toEqual(b);
    }
  });

  it('leaves the same orders, call log, notifies and snapshot', async () => {
    const [a, b] = [await state(lean), await state(koa)];
    expect(a.orders.length).toBeGreaterThan(5);
    expect(a.calls.length).toBeGreaterThan(30);
    expect(a).toEqual(b);
  });

  it(`${RUNS} hostile requests to both: the same answers`, async () => {
    const ctx = {
      sign: (p: Record<string, unknown>, key: string) => sign(p as Params, key),
      merchants: [{ mchid: MCHID, key: KEY }, OTHER],
      ids: () => lean.orders().map((o) => o.payjs_order_id),
      notifyUrls: ['http://127.0.0.1:1/refused', 'not a url'],
      snapshot: () => lean.snapshot(),
    };
    await fc.assert(
      fc.asyncProperty(hostileRequest(fc, ctx), async (req: RawRequest) => {
        const { a, b } = await both(req);
        expect(a, `${req.method} ${req.path.slice(0, 120)}`).toEqual(b);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  }, 120_000);

  it('and still after the hostile requests', async () => {
    expect(await state(lean)).toEqual(await state(koa));
  });
});

/** Lean answers are written together once per event-loop turn (http/answer-batch.ts): pipelined
 * requests on one keep-alive socket still get their answers in order, and a client gone before
 * its answer leaves the other answers of the turn and the server unharmed. */
describe('answers written together', () => {
  const create = (no: string) => {
    const body = form({ mchid: MCHID, total_fee: 1, out_trade_no: no, body: 'pipelined' });
    return `POST /api/native HTTP/1.1\r\nhost: sandbox.test\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: ${body.length}\r\n\r\n${body.toString()}`;
  };
  /** Sends `text` in one write and reads until `count` answers (each with content-length) came. */
  const exchange = (text: string, count: number) =>
    new Promise<string[]>((resolve, reject) => {
      const socket = createConnection(lean.port, '127.0.0.1');
      let got = '';
      const bodies = () => {
        const out: string[] = [];
        let rest = got;
        for (;;) {
          const end = rest.indexOf('\r\n\r\n');
          if (end === -1) return out;
          const length = Number(/content-length: (\d+)/i.exec(rest.slice(0, end))?.[1] ?? NaN);
          if (rest.length < end + 4 + length) return out;
          out.push(rest.slice(end + 4, end + 4 + length));
          rest = rest.slice(end + 4 + length);
        }
      };
      socket.on('data', (chunk) => {
        got += chunk.toString('utf8');
        const b = bodies();
        if (b.length >= count) {
          socket.destroy();
          resolve(b);
        }
      });
      socket.on('error', reject);
      socket.write(text);
    });

  it('answers pipelined creates on one socket in the order they were sent', async () => {
    const nos = ['PIPE-1', 'PIPE-2', 'PIPE-3'];
    const bodies = await exchange(nos.map(create).join(''), nos.length);
    expect(bodies.map((b) => JSON.parse(b).out_trade_no)).toEqual(nos);
    expect(bodies.every((b) => JSON.parse(b).return_code === 1)).toBe(true);
  });

  it('a client gone before its answer leaves the others of the turn answered', async () => {
    const gone = createConnection(lean.port, '127.0.0.1');
    await new Promise((resolve) => gone.on('connect', resolve));
    gone.write(create('PIPE-GONE'));
    gone.destroy();
    const [body] = await exchange(create('PIPE-AFTER'), 1);
    expect(JSON.parse(body).out_trade_no).toBe('PIPE-AFTER');
    await lean.clock.settle();
    // The call of the client that went was carried out all the same, like any acknowledged write.
    await expect.poll(() => lean.orders().some((o) => o.out_trade_no === 'PIPE-GONE')).toBe(true);
  });
});
