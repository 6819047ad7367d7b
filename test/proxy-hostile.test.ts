import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';

/** Sends raw bytes to host:port and resolves with everything answered until the server closes
 * (or `ms` pass: then `{ open: true }`, the connection still held). */
function raw(url: string, bytes: string | Buffer, ms = 3000): Promise<{ text: string; open: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect(Number(port), hostname, () => socket.write(bytes));
    let text = '';
    const timer = setTimeout(() => (socket.destroy(), resolve({ text, open: true })), ms);
    socket.on('data', (c) => (text += c.toString('latin1')));
    socket.on('error', () => undefined);
    socket.once('close', () => (clearTimeout(timer), resolve({ text, open: false })));
  });
}

describe('hostile clients of the proxy: clear answers, nothing stuck, nothing crashes', () => {
  const lines: string[] = [];
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ proxyPort: 0, httpsPort: 0, handshakeTimeoutMs: 300, log: (l) => lines.push(l) });
  });
  afterAll(() => sandbox?.close());

  it.each([
    ['no port', 'CONNECT payjs.cn HTTP/1.1\r\n\r\n'],
    ['a port past 65535', 'CONNECT payjs.cn:70000 HTTP/1.1\r\n\r\n'],
    ['a path for a target', 'CONNECT /api/native HTTP/1.1\r\n\r\n'],
    ['a bad IPv6 literal', 'CONNECT [zz::1]:443 HTTP/1.1\r\n\r\n'],
    ['spaces in the host', 'CONNECT pay js.cn:443 HTTP/1.1\r\n\r\n'],
  ])('a malformed CONNECT (%s) is answered 400 with what to send', async (_what, request) => {
    const { text, open } = await raw(sandbox.proxyUrl!, request);
    expect(open).toBe(false);
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toMatch(/CONNECT payjs\.cn:443/);
  });

  it('CONNECT to another port of a PAYJS host is refused with 403 naming the ports served', async () => {
    const { text, open } = await raw(sandbox.proxyUrl!, 'CONNECT payjs.cn:8443 HTTP/1.1\r\nHost: payjs.cn:8443\r\n\r\n');
    expect(open).toBe(false);
    expect(text).toMatch(/^HTTP\/1\.1 403 Forbidden/);
    expect(text).toContain('payjs.cn is intercepted on port 443 (https) and 80 (http) only, not 8443');
  });

  it('CONNECT payjs.cn:80 carries plain HTTP to the sandbox', async () => {
    const { text } = await raw(sandbox.proxyUrl!, 'CONNECT payjs.cn:80 HTTP/1.1\r\n\r\nGET /api/check HTTP/1.1\r\nHost: payjs.cn\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 OK/);
    expect(text).toContain('"return_code":0');
  });

  it('a client that hangs mid-handshake is dropped, and logged', async () => {
    lines.length = 0;
    // A TLS ClientHello cut short: the record header promises 512 bytes, 5 come.
    const { text, open } = await raw(sandbox.proxyUrl!, Buffer.concat([Buffer.from('CONNECT payjs.cn:443 HTTP/1.1\r\n\r\n'), Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 1, 2, 3, 4, 5])]));
    expect(open).toBe(false);
    expect(text).toMatch(/^HTTP\/1\.1 200 Connection Established/);
    expect(lines.join('\n')).toMatch(/proxy \(payjs\.cn\): the client at 127\.0\.0\.1:\d+ did not finish its TLS handshake in time; dropped/);
    const tls = await raw(sandbox.httpsUrl!.replace('https:', 'http:'), Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 1, 2, 3]));
    expect(tls.open).toBe(false);
    expect(lines.join('\n')).toMatch(/TLS listener: the client at 127\.0\.0\.1:\d+ did not finish its TLS handshake in time; dropped/);
  });

  it('bytes that are not TLS after CONNECT end that connection, logged, and the proxy serves on', async () => {
    lines.length = 0;
    const { open } = await raw(sandbox.proxyUrl!, 'CONNECT payjs.cn:443 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n');
    expect(open).toBe(false);
    await expect.poll(() => lines.join('\n')).toMatch(/TLS handshake with 127\.0\.0\.1:\d+ failed/);
    const again = await raw(sandbox.proxyUrl!, 'GET http://payjs.cn/api/check HTTP/1.1\r\nHost: payjs.cn\r\nConnection: close\r\n\r\n');
    expect(again.text).toContain('"return_code":0');
  });

  it('a request that is not for a proxy is told what the port is', async () => {
    const { text } = await raw(sandbox.proxyUrl!, 'GET /api/native HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('this port is a proxy (set HTTPS_PROXY / HTTP_PROXY to it)');
  });

  it('garbage instead of a request is answered 400 and closed', async () => {
    const { text, open } = await raw(sandbox.proxyUrl!, '\x00\x01\x02 garbage\r\n\r\n');
    expect(open).toBe(false);
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('a tunnel to a port where nothing listens is answered 502', async () => {
    const { text } = await raw(sandbox.proxyUrl!, 'CONNECT 127.0.0.1:9 HTTP/1.1\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 502 Bad Gateway/);
    expect(text).toContain('could not reach 127.0.0.1:9: ECONNREFUSED');
  });

  it('after all of it, the sandbox still answers on its main port', async () => {
    expect((await fetch(`${sandbox.url}/__sandbox/interception`)).status).toBe(200);
  });
});
