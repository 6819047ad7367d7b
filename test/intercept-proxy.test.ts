import { execFile } from 'node:child_process';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createTcpServer, connect as tcpConnect, type Server as TcpServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, verify, type Sandbox } from '../src/index.js';
import { CertificateAuthority, CA_KEY_FILE, LEAF_DAYS } from '../src/tls/authority.js';
import { KEY, MCHID, signed, tradeNo } from './support.js';

const run = promisify(execFile);
const DAY = 86_400_000;

/** curl, exit code and all: `{ code, stdout, stderr }`. */
async function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('curl', ['-sS', '--max-time', '10', ...args]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const form = (params: Record<string, unknown>) => new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
const nativeForm = () => form(signed({ mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: 'curl' }));

/** Opens a CONNECT tunnel through the proxy and resolves with the socket and the proxy's status line. */
function connectThrough(proxyUrl: string, target: string): Promise<{ socket: import('node:net').Socket; status: string; rest: Buffer }> {
  const { hostname, port } = new URL(proxyUrl);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(Number(port), hostname, () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`));
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve({ socket, status: buf.subarray(0, buf.indexOf('\r\n')).toString(), rest: buf.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('the interception proxy, with real curl', () => {
  const lines: string[] = [];
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ proxyPort: 0, httpsPort: 0, log: (l) => lines.push(l) });
  });
  afterAll(() => sandbox?.close());

  it('serves https://payjs.cn/api/native from the sandbox to a client that trusts the CA: the answer is signed and verifies', async () => {
    const res = await curl(['-x', sandbox.proxyUrl!, '--cacert', sandbox.ca.certFile, 'https://payjs.cn/api/native', '-d', nativeForm()]);
    expect(res.code, res.stderr).toBe(0);
    const answer = JSON.parse(res.stdout);
    expect(answer.return_code).toBe(1);
    expect(verify(answer, KEY)).toBe(true);
    const call = sandbox.calls({ payjs_order_id: answer.payjs_order_id })[0];
    expect(call).toMatchObject({ endpoint: 'native', via: 'proxy', host: 'payjs.cn' });
  });

  it('serves www.payjs.cn too, and plain http://payjs.cn requests in absolute form', async () => {
    const www = await curl(['-x', sandbox.proxyUrl!, '--cacert', sandbox.ca.certFile, 'https://www.payjs.cn/api/native', '-d', nativeForm()]);
    expect(JSON.parse(www.stdout).return_code).toBe(1);
    const plain = await curl(['-x', sandbox.proxyUrl!, 'http://payjs.cn/api/native', '-d', nativeForm()]);
    const answer = JSON.parse(plain.stdout);
    expect(verify(answer, KEY)).toBe(true);
    expect(sandbox.calls({ payjs_order_id: answer.payjs_order_id })[0]).toMatchObject({ via: 'proxy', host: 'payjs.cn' });
  });

  it('a client that does not trust the CA fails its handshake, and the sandbox logs the fix', async () => {
    lines.length = 0;
    const res = await curl(['-x', sandbox.proxyUrl!, 'https://payjs.cn/api/native', '-d', nativeForm()]);
    expect(res.code).toBe(60); // curl: peer certificate cannot be authenticated with known CA certificates
    await expect.poll(() => lines.join('\n')).toMatch(/the client at 127\.0\.0\.1:\d+ does not trust the sandbox CA: set .*payjs-sandbox-ca\.pem — see `payjs-sandbox env`/);
  });

  it('a Node client that does not trust the CA hangs up without an alert: the sandbox still logs the fix, for the proxy and the TLS listener', async () => {
    lines.length = 0;
    const { HttpsProxyAgent } = await import('https-proxy-agent');
    const https = await import('node:https');
    const get = (url: string, agent?: import('node:http').Agent) =>
      new Promise<string>((resolve) => https.get(url, { agent }, () => resolve('answered')).on('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message)));
    const agent = new HttpsProxyAgent(sandbox.proxyUrl!);
    expect(await get('https://payjs.cn/api/check', agent)).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    agent.destroy();
    expect(await get(`${sandbox.httpsUrl}/api/check`)).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    const hint = /the client at 127\.0\.0\.1:\d+ hung up during the TLS handshake, after it was shown the sandbox's certificate: it does not trust the sandbox CA .*: set NODE_EXTRA_CA_CERTS=\S+payjs-sandbox-ca\.pem/;
    await expect.poll(() => lines.find((l) => l.startsWith('proxy (payjs.cn): '))).toMatch(hint);
    await expect.poll(() => lines.find((l) => l.startsWith('TLS listener: '))).toMatch(hint);
  });

  it('the TLS listener serves payjs.cn mapped to it (curl --resolve), and says it came by the TLS listener', async () => {
    const port = new URL(sandbox.httpsUrl!).port;
    const res = await curl(['--resolve', `payjs.cn:${port}:127.0.0.1`, '--cacert', sandbox.ca.certFile, `https://payjs.cn:${port}/api/native`, '-d', nativeForm()]);
    expect(res.code, res.stderr).toBe(0);
    const answer = JSON.parse(res.stdout);
    expect(verify(answer, KEY)).toBe(true);
    expect(sandbox.calls({ payjs_order_id: answer.payjs_order_id })[0]).toMatchObject({ via: 'tls', host: `payjs.cn:${port}` });
    const local = await curl(['--cacert', sandbox.ca.certFile, `https://localhost:${port}/api/check`, '-d', 'payjs_order_id=1']);
    expect(local.code, local.stderr).toBe(0);
  });

  it('the call log filters by how a call arrived and the Host it named, and refuses an unknown via', async () => {
    const list = async (query: string) => ((await (await fetch(`${sandbox.url}/__sandbox/calls?${query}`)).json()) as { calls: { via: string; host: string }[] }).calls;
    const proxied = await list('via=proxy');
    expect(proxied.length).toBeGreaterThan(0);
    expect(new Set(proxied.map((c) => c.via))).toEqual(new Set(['proxy']));
    const tls = await list('via=tls&endpoint=native');
    expect(tls.map((c) => c.via)).toEqual(['tls']);
    expect(await list('host=www.payjs.cn')).toHaveLength(1);
    expect(sandbox.calls({ via: 'tls' }).every((c) => c.via === 'tls')).toBe(true);
    const bad = await fetch(`${sandbox.url}/__sandbox/calls?via=carrier-pigeon`);
    expect([bad.status, await bad.json()]).toEqual([400, { error: 'INVALID_PARAM', message: expect.stringContaining('via (must be one of direct, proxy, tls, interceptor)') }]);
  });

  it('the dashboard shows how each call arrived and the Host it named', async () => {
    const html = await (await fetch(`${sandbox.url}/dashboard/journal?lang=en`)).text();
    expect(html).toMatch(/data-testid="via"[^>]*>via the proxy</);
    expect(html).toMatch(/data-testid="via"[^>]*>TLS listener</);
    expect(html).toContain('Host payjs.cn');
  });

  it('serves the CA certificate at /__sandbox/ca.pem, never the key', async () => {
    const res = await fetch(`${sandbox.url}/__sandbox/ca.pem`);
    const pem = await res.text();
    expect(pem).toBe(sandbox.ca.pem);
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(pem).not.toMatch(/PRIVATE KEY/);
  });

  it('the chain verifies with openssl, and the certificates have the flags, names and dates clients require', async () => {
    const leafPem = await new Promise<string>((resolve, reject) => {
      const port = Number(new URL(sandbox.httpsUrl!).port);
      const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'payjs.cn', ca: sandbox.ca.pem }, () => {
        expect(socket.authorized).toBe(true); // node:tls checked the chain and the name
        resolve(socket.getPeerX509Certificate()!.toString());
        socket.end();
      });
      socket.once('error', reject);
    });
    const dir = mkdtempSync(join(tmpdir(), 'payjs-chain-'));
    try {
      const leafFile = join(dir, 'leaf.pem');
      (await import('node:fs')).writeFileSync(leafFile, leafPem);
      const { stdout } = await run('openssl', ['verify', '-purpose', 'sslserver', '-CAfile', sandbox.ca.certFile, leafFile]);
      expect(stdout).toContain('OK');
      const root = (await run('openssl', ['x509', '-in', sandbox.ca.certFile, '-noout', '-text'])).stdout;
      expect(root).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
      expect(root).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const leaf = new X509Certificate(leafPem);
    expect(leaf.ca).toBe(false);
    expect(leaf.subjectAltName).toContain('DNS:payjs.cn');
    expect(leaf.subjectAltName).toContain('DNS:www.payjs.cn');
    expect(leaf.subjectAltName).toContain('DNS:localhost');
    expect(leaf.keyUsage).toContain('1.3.6.1.5.5.7.3.1'); // serverAuth
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBeLessThanOrEqual(LEAF_DAYS * DAY);
    expect(Date.parse(leaf.validFrom)).toBeLessThan(Date.now());
    expect(leaf.checkIssued(new X509Certificate(sandbox.ca.pem))).toBe(true);
    expect(new X509Certificate(sandbox.ca.pem).ca).toBe(true);
  });
});

describe('the CA is made once and kept', () => {
  it('beside the db, the same after a restart, its key readable by the owner only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'payjs-ca-'));
    try {
      const first = await startSandbox({ db: join(dir, 'db.json'), proxyPort: 0 });
      const pem = first.ca.pem;
      expect(first.ca.certFile).toBe(join(dir, 'payjs-sandbox-ca.pem'));
      await first.close();
      expect(statSync(join(dir, CA_KEY_FILE)).mode & 0o777).toBe(0o600);
      const second = await startSandbox({ db: join(dir, 'db.json'), proxyPort: 0 });
      expect(second.ca.pem).toBe(pem);
      const res = await curl(['-x', second.proxyUrl!, '--cacert', join(dir, 'payjs-sandbox-ca.pem'), 'https://payjs.cn/api/native', '-d', nativeForm()]);
      expect(JSON.parse(res.stdout).return_code).toBe(1); // trusted once, still trusted
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in caDir when given; without a db each sandbox has a temporary CA of its own, gone at close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'payjs-cadir-'));
    try {
      const kept = await startSandbox({ caDir: dir });
      expect(kept.ca.certFile).toBe(join(dir, 'payjs-sandbox-ca.pem'));
      await kept.close();
      expect(existsSync(join(dir, 'payjs-sandbox-ca.pem'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const a = await startSandbox();
    const b = await startSandbox();
    expect(a.ca.pem).not.toBe(b.ca.pem);
    const file = a.ca.certFile;
    await Promise.all([a.close(), b.close()]);
    expect(existsSync(file)).toBe(false);
  });
});

describe('other hosts through the proxy', () => {
  let sandbox: Sandbox;
  let refusing: Sandbox;
  let echo: TcpServer;
  let own: HttpsServer;
  let ownCa: CertificateAuthority;
  beforeAll(async () => {
    sandbox = await startSandbox({ proxyPort: 0 });
    refusing = await startSandbox({ proxyPort: 0, proxyRefuseOthers: true });
    echo = createTcpServer((s) => s.pipe(s));
    ownCa = CertificateAuthority.temporary(); // another CA: the server's own certificate
    own = createHttpsServer(ownCa.leaf(['127.0.0.1']), (_req, res) => res.end('its own answer'));
    await Promise.all([new Promise<void>((r) => echo.listen(0, '127.0.0.1', r)), new Promise<void>((r) => own.listen(0, '127.0.0.1', r))]);
  });
  afterAll(async () => {
    await Promise.all([sandbox?.close(), refusing?.close()]);
    echo?.close();
    own?.close();
    ownCa?.dispose();
  });

  it('are tunnelled byte for byte', async () => {
    const { socket, status, rest } = await connectThrough(sandbox.proxyUrl!, `127.0.0.1:${(echo.address() as { port: number }).port}`);
    expect(status).toBe('HTTP/1.1 200 Connection Established');
    const bytes = randomBytes(64 * 1024);
    const back = await new Promise<Buffer>((resolve) => {
      let got = rest;
      socket.on('data', (c: Buffer) => {
        got = Buffer.concat([got, c]);
        if (got.length >= bytes.length) resolve(got);
      });
      socket.write(bytes);
    });
    socket.destroy();
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('an HTTPS server with its own certificate is reached with that certificate, never decrypted', async () => {
    const port = (own.address() as { port: number }).port;
    const res = await curl(['-x', sandbox.proxyUrl!, '--cacert', ownCa.certFile, `https://127.0.0.1:${port}/`]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toBe('its own answer');
    // The sandbox's CA would not do: the certificate curl saw is the server's own.
    const withSandboxCa = await curl(['-x', sandbox.proxyUrl!, '--cacert', sandbox.ca.certFile, `https://127.0.0.1:${port}/`]);
    expect(withSandboxCa.code).toBe(60);
  });

  it('--proxy-refuse-others answers other hosts with a 403 that says why', async () => {
    const { socket, status, rest } = await connectThrough(refusing.proxyUrl!, `127.0.0.1:${(echo.address() as { port: number }).port}`);
    socket.destroy();
    expect(status).toBe('HTTP/1.1 403 Forbidden');
    expect(rest.toString()).toMatch(/127\.0\.0\.1:\d+ is not a PAYJS host; this proxy was started with --proxy-refuse-others/);
  });

  it('off loopback the proxy tunnels only the PAYJS hosts unless asked to allow others', async () => {
    const open = await startSandbox({ host: '0.0.0.0', controlToken: 'tok-123456', proxyPort: 0 });
    const allowing = await startSandbox({ host: '0.0.0.0', controlToken: 'tok-123456', proxyPort: 0, proxyAllowOthers: true });
    try {
      const target = `127.0.0.1:${(echo.address() as { port: number }).port}`;
      const refused = await connectThrough(open.proxyUrl!, target);
      refused.socket.destroy();
      expect(refused.status).toBe('HTTP/1.1 403 Forbidden');
      expect(refused.rest.toString()).toContain('beyond loopback, so it tunnels nothing but PAYJS hosts (start it with --proxy-allow-others');
      const allowed = await connectThrough(allowing.proxyUrl!, target);
      allowed.socket.destroy();
      expect(allowed.status).toBe('HTTP/1.1 200 Connection Established');
      const payjs = await curl(['-x', open.proxyUrl!, '--cacert', open.ca.certFile, 'https://payjs.cn/api/native', '-d', nativeForm()]);
      expect(JSON.parse(payjs.stdout).return_code).toBe(1);
    } finally {
      await Promise.all([open.close(), allowing.close()]);
    }
  });
});

describe('stopping', () => {
  it('close() ends the connections held through the proxy (kept-alive, tunnels) instead of waiting for them', async () => {
    const sandbox = await startSandbox({ proxyPort: 0 });
    const { HttpsProxyAgent } = await import('https-proxy-agent');
    const https = await import('node:https');
    const agent = new HttpsProxyAgent(sandbox.proxyUrl!, { keepAlive: true });
    await new Promise<void>((resolve, reject) =>
      https.get('https://payjs.cn/api/check', { agent, ca: sandbox.ca.pem }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject),
    );
    // An idle tunnel to a server that never closes on its own: close() must not wait for it.
    const holder = createTcpServer(() => undefined);
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const tunnel = await connectThrough(sandbox.proxyUrl!, `127.0.0.1:${(holder.address() as { port: number }).port}`);
    const tunnelClosed = new Promise((resolve) => tunnel.socket.once('close', resolve));
    await sandbox.close(); // the test's own timeout is the failure
    await tunnelClosed;
    agent.destroy();
    holder.close();
  });
});
