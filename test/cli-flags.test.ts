/** Every CLI flag that changes behaviour, through a real CLI process and real HTTP: env merchants,
 * --merchants-file, --seed, --control-token, --no-magic-amounts, --notify-allow, --lenient-sign,
 * --allowed-host, and --db with --memory. */
import { request } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sign } from '../src/index.js';
import { BIN, ROOT, launch, runToEnd, type Running } from './cli-process.js';
import { startReceiver } from './receiver.js';
import { MCHID, KEY, call, send, tradeNo } from './support.js';

const start = (...args: string[]) => launch([BIN, '--port', '0', '--memory', ...args]);
const stop = (r: Running) => new Promise((resolve) => (r.child.once('exit', resolve), r.child.kill('SIGTERM')));
const order = (extra: Record<string, string | number> = {}) => ({ mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: 'flags', ...extra });
const json = async (url: string, init?: RequestInit) => (await fetch(url, init)).json() as Promise<Record<string, unknown>>;

describe('merchants from the environment and from a file', () => {
  it('PAYJS_SANDBOX_MERCHANTS adds merchants that can sign calls', async () => {
    const r = await launch([BIN, '--port', '0', '--memory'], { env: { PAYJS_SANDBOX_MERCHANTS: '1111111111:EnvKey00000000000001, 2222222222:EnvKey00000000000002' } });
    expect(r.output()).toContain('mchid 1111111111   key EnvKey00000000000001');
    const a = await call(r.url, 'native', { ...order(), mchid: '2222222222' }, 'form', 'EnvKey00000000000002');
    expect(a.body.return_code).toBe(1);
    await stop(r);
  });

  it('--merchants-file adds the merchants of fixtures/merchants.json', async () => {
    const r = await start('--merchants-file', join(ROOT, 'fixtures', 'merchants.json'));
    expect(r.output()).toContain('mchid 2088000000000001   key SandboxKeyAlipay001');
    const a = await call(r.url, 'native', { ...order(), mchid: '2088000000000001' }, 'form', 'SandboxKeyAlipay001');
    expect(a.body.return_code).toBe(1);
    await stop(r);
  });
});

describe('what the sandbox starts with and how it answers', () => {
  it('--seed creates the orders of fixtures/seed.json', async () => {
    const r = await start('--seed', join(ROOT, 'fixtures', 'seed.json'));
    expect(r.output()).toContain('seeded 5 order(s)');
    const listed = await json(`${r.url}/__sandbox/orders`);
    expect(listed.total).toBe(5);
    await stop(r);
  });

  it('--no-magic-amounts lets 501 fen behave like any amount (by default it pays at once)', async () => {
    const magic = await start();
    const plain = await start('--no-magic-amounts');
    for (const [r, status] of [[magic, 1], [plain, 0]] as const) {
      const a = await call(r.url, 'native', order({ total_fee: 501 }));
      const check = await call(r.url, 'check', { payjs_order_id: a.body.payjs_order_id as string });
      expect(check.body.status).toBe(status);
    }
    await Promise.all([stop(magic), stop(plain)]);
  });

  it('--lenient-sign takes a lower-case sign through the API; without it the call is refused', async () => {
    const strict = await start();
    const lenient = await start('--lenient-sign');
    const params = order();
    const lower = { ...params, sign: sign(params, KEY).toLowerCase() };
    expect((await send(strict.url, 'native', lower)).body.return_code).toBe(0);
    expect((await send(lenient.url, 'native', lower)).body.return_code).toBe(1);
    await Promise.all([stop(strict), stop(lenient)]);
  });

  it('--notify-allow records a notify to another host as blocked, and it never arrives', async () => {
    const receiver = await startReceiver();
    const r = await start('--notify-allow', 'merchant.test,*.shop.example');
    const a = await call(r.url, 'native', order({ notify_url: receiver.url }));
    const id = a.body.payjs_order_id as string;
    await fetch(`${r.url}/__sandbox/orders/${id}/pay`, { method: 'POST' });
    const waited = await json(`${r.url}/__sandbox/notifications/wait?payjs_order_id=${id}&delivered=false&timeout=5000`);
    expect(waited.attempt).toMatchObject({ error: 'blocked' });
    expect(receiver.received).toEqual([]);
    await stop(r);
    await receiver.close();
  });
});

describe('the control API off loopback, and names', () => {
  it('--control-token is required on the control API when bound beyond loopback, and the banner prints it', async () => {
    const r = await launch([BIN, '--port', '0', '--memory', '--host', '0.0.0.0', '--control-token', 'tok-123']);
    expect(r.output()).toContain('control token    tok-123');
    expect((await fetch(`${r.url}/__sandbox/orders`)).status).toBe(401);
    expect((await fetch(`${r.url}/__sandbox/orders`, { headers: { 'x-sandbox-token': 'wrong' } })).status).toBe(401);
    expect((await fetch(`${r.url}/__sandbox/orders`, { headers: { 'x-sandbox-token': 'tok-123' } })).status).toBe(200);
    expect((await call(r.url, 'native', order())).body.return_code).toBe(1); // the PAYJS API stays open
    await stop(r);
  });

  it('--allowed-host NAME lets the control API answer under that name', async () => {
    const r = await start('--allowed-host', 'sandbox.test');
    const port = Number(new URL(r.url).port);
    const status = (host: string) => new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/__sandbox/orders', headers: { host } }, (res) => (res.resume(), resolve(res.statusCode!))).on('error', reject).end();
    });
    expect(await status(`sandbox.test:${port}`)).toBe(200);
    expect(await status(`other.test:${port}`)).toBe(403);
    await stop(r);
  });

  it('--db with --memory exits 2 and says to choose', async () => {
    const r = await runToEnd(['--db', 'x.json', '--memory']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--db and --memory exclude each other: choose one');
  });
});
