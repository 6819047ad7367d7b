/** The control API and the dashboard answer only under loopback names, IPs and names the user
 * allowed (DNS rebinding), and refuse state changes from other sites' pages; the PAYJS API, the
 * pay pages and QR images answer any Host. Real HTTP with forged Host, Origin and Sec-Fetch-Site
 * headers, as a rebinding page or a cross-site form would send them. */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { MCHID, call, nativeOrder, tradeNo } from './support.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

interface Raw {
  status: number;
  type: string;
  text: string;
}

/** One request with exactly the headers given (fetch cannot set Host or Origin). */
function raw(s: Sandbox, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const EVIL = 'rebind.attacker.example';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the Host a control call may carry', () => {
  it('a rebinding name is refused with 403 on reads and writes of the control API and the dashboard, and nothing changes', async () => {
    sandbox = await startSandbox();
    const id = await nativeOrder(sandbox.url);
    const host = `${EVIL}:${sandbox.port}`;
    for (const [method, path] of [['GET', '/__sandbox/orders'], ['GET', `/__sandbox/orders/${id}`], ['POST', '/__sandbox/reset'], ['POST', `/__sandbox/orders/${id}/pay`]]) {
      const r = await raw(sandbox, method, path, { host });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(JSON.parse(r.text)).toMatchObject({ error: 'FORBIDDEN_HOST', message: expect.stringContaining(`--allowed-host ${EVIL}`) });
    }
    for (const path of ['/', '/dashboard', `/dashboard/orders/${id}`]) {
      const r = await raw(sandbox, 'GET', path, { host });
      expect(r.status, path).toBe(403);
      expect(r.type).toContain('text/plain');
      expect(r.text).toContain('FORBIDDEN_HOST');
      expect(r.text).not.toContain(id);
    }
    expect(sandbox.orders()).toHaveLength(1);
    expect((await sandbox.order(id))?.status).toBe('unpaid');
  });

  it.each([['localhost'], ['127.0.0.1'], ['[::1]'], ['app.localhost'], ['192.168.1.20']])('%s is answered', async (name) => {
    sandbox = await startSandbox();
    const r = await raw(sandbox, 'GET', '/__sandbox/orders', { host: `${name}:${sandbox.port}` });
    expect(r.status).toBe(200);
  });

  it('a name given with --allowed-host or --host is answered', async () => {
    sandbox = await startSandbox({ allowedHosts: ['sandbox.test'] });
    expect((await raw(sandbox, 'GET', '/__sandbox/orders', { host: `sandbox.test:${sandbox.port}` })).status).toBe(200);
    expect((await raw(sandbox, 'GET', '/__sandbox/orders', { host: `other.test:${sandbox.port}` })).status).toBe(403);
    await sandbox.close();
    sandbox = await startSandbox({ host: 'localhost' });
    expect((await raw(sandbox, 'GET', '/__sandbox/orders', { host: `localhost:${sandbox.port}` })).status).toBe(200);
  });

  it('the PAYJS API, the pay page and the QR image answer any Host', async () => {
    sandbox = await startSandbox();
    const a = await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 100, out_trade_no: tradeNo(), body: 'any host' });
    const host = `pay.merchant-tunnel.example:${sandbox.port}`;
    const signed = new URLSearchParams({ mchid: MCHID, payjs_order_id: String(a.body.payjs_order_id) });
    const { sign } = await import('../src/index.js');
    signed.set('sign', sign(Object.fromEntries(signed), sandbox.merchant.key));
    const check = await raw(sandbox, 'POST', '/api/check', { host, ...FORM }, signed.toString());
    expect(check.status).toBe(200);
    expect(JSON.parse(check.text)).toMatchObject({ return_code: 1, status: 0 });
    const scan = new URL(String(a.body.code_url));
    expect((await raw(sandbox, 'GET', `${scan.pathname}${scan.search}`, { host })).status).toBe(200);
    const qr = await raw(sandbox, 'GET', new URL(String(a.body.qrcode)).pathname, { host });
    expect(qr.status).toBe(200);
    expect(qr.type).toContain('image/png');
  });
});

describe('cross-site state changes', () => {
  it.each([
    ['a form posted from another origin', { origin: 'http://evil.example' }],
    ['a form posted from another port of localhost', { origin: 'http://localhost:5173' }],
    ['a sandboxed or file:// page (Origin: null)', { origin: 'null' }],
    ['a request the browser marks cross-site without an Origin', { 'sec-fetch-site': 'cross-site' }],
  ])('%s is refused with 403 and changes nothing', async (_, headers) => {
    sandbox = await startSandbox();
    const id = await nativeOrder(sandbox.url);
    await sandbox.use({ match: { endpoint: 'native' }, tokens: 'pay=fail' });
    const host = `127.0.0.1:${sandbox.port}`;
    for (const path of [`/__sandbox/orders/${id}/pay`, '/__sandbox/reset', '/__sandbox/scenarios', '/__sandbox/clock/advance']) {
      const r = await raw(sandbox, 'POST', path, { host, ...FORM, ...headers }, 'seconds=3600');
      expect(r.status, path).toBe(403);
      expect(JSON.parse(r.text)).toMatchObject({ error: 'CROSS_SITE' });
    }
    const del = await raw(sandbox, 'DELETE', '/__sandbox/scenarios', { host, ...headers });
    expect(del.status).toBe(403);
    expect((await sandbox.order(id))?.status).toBe('unpaid');
    expect(sandbox.orders()).toHaveLength(1);
    expect((await fetch(`${sandbox.url}/__sandbox/scenarios`).then((r) => r.json())).scenarios).toHaveLength(1);
    expect(sandbox.clock.advanced()).toBe(0);
  });

  it('the same calls from the sandbox\'s own origin, and from tools that send no Origin, are taken', async () => {
    sandbox = await startSandbox();
    const id = await nativeOrder(sandbox.url);
    const host = `127.0.0.1:${sandbox.port}`;
    const own = await raw(sandbox, 'POST', `/__sandbox/orders/${id}/pay`, { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(200);
    expect((await sandbox.order(id))?.status).toBe('paid');
    const tool = await raw(sandbox, 'POST', '/__sandbox/reset', { host });
    expect(tool.status).toBe(200);
    expect(sandbox.orders()).toHaveLength(0);
  });

  it('a cross-site request to the PAYJS API is answered as PAYJS would (the payer and merchant surfaces are not the control API)', async () => {
    sandbox = await startSandbox();
    const r = await raw(sandbox, 'POST', '/api/check', { host: `127.0.0.1:${sandbox.port}`, origin: 'http://shop.example', 'sec-fetch-site': 'cross-site', ...FORM }, `mchid=${MCHID}&payjs_order_id=x&sign=bad`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ return_code: 0 });
    expect(r.text).not.toContain('CROSS_SITE');
  });
});
