import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import * as undici from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { interceptPayjs } from '../src/intercept/index.js';
// The merchant app, imported as it is for the in-process run.
// @ts-expect-error a plain .mjs test fixture, without types
import { main as merchantApp } from './intercept/merchant-app.mjs';

const APP = new URL('./intercept/merchant-app.mjs', import.meta.url).pathname;
const CLIENTS = ['https', 'fetch', 'axios', 'undici'] as const;

interface Run {
  code: number | null;
  lines: Record<string, unknown>[];
  stderr: string;
}

/** Runs the merchant app in a child process; pays its order as soon as it prints it. */
function runApp(sandbox: Sandbox, client: string, env: Record<string, string>, nodeArgs: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    const { HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy, NODE_OPTIONS, ...base } = process.env;
    void HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy, NODE_OPTIONS;
    const child = spawn(process.execPath, [...nodeArgs, APP, client], { env: { ...base, ...env } });
    const lines: Record<string, unknown>[] = [];
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      for (;;) {
        const end = stdout.indexOf('\n');
        if (end < 0) break;
        const line = JSON.parse(stdout.slice(0, end)) as Record<string, unknown>;
        stdout = stdout.slice(end + 1);
        lines.push(line);
        if (typeof line.payjs_order_id === 'string') void sandbox.pay(line.payjs_order_id);
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code) => resolve({ code, lines, stderr }));
  });
}

/** What every run must show: a signed answer that verified, and the notify that verified. */
function expectPaidAndNotified(run: Run) {
  expect(run.code, run.stderr).toBe(0);
  expect(run.lines[0]).toMatchObject({ answerSignValid: true });
  expect(run.lines[1]).toMatchObject({ notified: run.lines[0].payjs_order_id, notifySignValid: true });
}

describe('a Node app that hard-codes https://payjs.cn/api/native, run unmodified', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox({ proxyPort: 0 });
  });
  afterAll(() => sandbox?.close());

  it.each(CLIENTS)('through the proxy, with NODE_EXTRA_CA_CERTS and an agent honouring HTTPS_PROXY (%s)', async (client) => {
    const run = await runApp(sandbox, client, { HTTPS_PROXY: sandbox.proxyUrl!, NO_PROXY: '127.0.0.1,localhost', NODE_EXTRA_CA_CERTS: sandbox.ca.certFile });
    expectPaidAndNotified(run);
    expect(sandbox.calls({ payjs_order_id: run.lines[0].payjs_order_id as string })[0]).toMatchObject({ endpoint: 'native', via: 'proxy', host: 'payjs.cn' });
  });

  it.each(CLIENTS)('under node --import payjs-sandbox/register with PAYJS_SANDBOX_URL (%s)', async (client) => {
    const run = await runApp(sandbox, client, { PAYJS_SANDBOX_URL: sandbox.url }, ['--import', 'payjs-sandbox/register']);
    expectPaidAndNotified(run);
    expect(run.stderr).toBe('');
    expect(sandbox.calls({ payjs_order_id: run.lines[0].payjs_order_id as string })[0]).toMatchObject({ via: 'interceptor', host: 'payjs.cn' });
  });

  it('under --import payjs-sandbox/register without PAYJS_SANDBOX_URL it says so once on stderr and intercepts nothing', async () => {
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const { PAYJS_SANDBOX_URL, NODE_OPTIONS, ...env } = process.env;
      void PAYJS_SANDBOX_URL, NODE_OPTIONS;
      // A parent that spawns a child with the same NODE_OPTIONS: one line for both.
      const script = "require('node:child_process').spawnSync(process.execPath, ['-e', '0'], { stdio: 'inherit' })";
      const child = spawn(process.execPath, ['-e', script], { env: { ...env, NODE_OPTIONS: '--import=payjs-sandbox/register' } });
      let stderr = '';
      child.stderr.on('data', (c) => (stderr += c));
      child.once('exit', (code) => resolve({ code, stderr }));
    });
    expect(run.code).toBe(0);
    expect(run.stderr.match(/PAYJS_SANDBOX_URL is not set, so nothing is intercepted/g)).toHaveLength(1);
  });

  it.each(CLIENTS)('in-process with interceptPayjs(sandbox) (%s)', async (client) => {
    const stop = interceptPayjs(sandbox);
    const lines: Record<string, unknown>[] = [];
    const log = console.log;
    console.log = (line: string) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (typeof parsed.payjs_order_id === 'string') void sandbox.pay(parsed.payjs_order_id);
    };
    try {
      await merchantApp(client);
    } finally {
      console.log = log;
      stop();
    }
    expectPaidAndNotified({ code: 0, lines, stderr: '' });
    expect(sandbox.calls({ payjs_order_id: lines[0].payjs_order_id as string })[0]).toMatchObject({ via: 'interceptor', host: 'payjs.cn' });
  });
});

describe('interceptPayjs', () => {
  let sandbox: Sandbox;
  let other: Server;
  let otherUrl: string;
  beforeAll(async () => {
    sandbox = await startSandbox();
    other = createServer((_req, res) => res.end('the other host'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.2', r));
    otherUrl = `http://127.0.0.2:${(other.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    other?.close();
    await sandbox?.close();
  });

  it('leaves every other host alone, takes extra hosts, and stop() restores', async () => {
    const stop = interceptPayjs(sandbox.url, { hosts: ['payjs-compatible.test'] });
    try {
      expect(await (await fetch(otherUrl)).text()).toBe('the other host');
      const res = await fetch('http://payjs-compatible.test/api/check', { method: 'POST', body: new URLSearchParams({ payjs_order_id: 'none' }) });
      expect(await res.json()).toMatchObject({ return_code: 0 });
      expect(sandbox.calls({ endpoint: 'check' }).at(-1)).toMatchObject({ via: 'interceptor', host: 'payjs-compatible.test' });
      // The npm undici package, which goes through its dispatcher rather than fetch or node:http.
      expect(await (await undici.request(otherUrl)).body.text()).toBe('the other host');
      const answer = await undici.request('https://payjs-compatible.test/api/check', { method: 'POST', body: 'payjs_order_id=none', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(await answer.body.json()).toMatchObject({ return_code: 0 });
      expect(sandbox.calls({ endpoint: 'check' }).at(-1)).toMatchObject({ via: 'interceptor', host: 'payjs-compatible.test' });
    } finally {
      stop();
    }
    const before = sandbox.calls().length;
    await expect(fetch('http://payjs-compatible.test/api/check', { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    await expect(undici.request('http://payjs-compatible.test/api/check', { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    expect(sandbox.calls()).toHaveLength(before);
  });

  it('two interceptions stopped in either order: each host goes where it should, then nothing is left patched', async () => {
    const original = { dispatcher: undici.getGlobalDispatcher(), fetch: globalThis.fetch };
    const form = { method: 'POST', body: 'payjs_order_id=none', headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal: AbortSignal.timeout(5000) } as const;
    const viaUndici = (host: string) => undici.request(`http://${host}/api/check`, form).then((a) => a.body.json());
    const viaFetch = (host: string) => fetch(`http://${host}/api/check`, form).then((a) => a.json());
    for (const order of [['a', 'b'], ['b', 'a']]) {
      const stops: Record<string, () => void> = { a: interceptPayjs(sandbox.url, { hosts: ['a-host.test'] }), b: interceptPayjs(sandbox.url, { hosts: ['b-host.test'] }) };
      const [first, second] = order;
      stops[first]();
      // The one still running redirects its host, and only its host.
      for (const ask of [viaUndici, viaFetch]) {
        expect(await ask(`${second}-host.test`)).toMatchObject({ return_code: 0 });
        await expect(ask(`${first}-host.test`)).rejects.toThrow();
      }
      stops[second]();
      for (const ask of [viaUndici, viaFetch]) await expect(ask(`${second}-host.test`)).rejects.toThrow();
      expect({ dispatcher: undici.getGlobalDispatcher(), fetch: globalThis.fetch }, `stopped ${order.join(' then ')}`).toEqual(original);
      expect(undici.getGlobalDispatcher()).toBe(original.dispatcher);
      expect(globalThis.fetch).toBe(original.fetch);
    }
  });

  it('a sandbox that is not running is named in the error', async () => {
    const stop = interceptPayjs('http://127.0.0.1:9');
    try {
      await expect(fetch('https://payjs.cn/api/check', { method: 'POST' })).rejects.toThrow();
    } finally {
      stop();
    }
  });
});
