import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, verify, type Sandbox } from '../src/index.js';
import { KEY } from './support.js';
import { startReceiver, type Receiver } from './receiver.js';
import { needs } from './support/runtimes.js';

const run = promisify(execFile);
const here = (name: string) => new URL(`./intercept/${name}`, import.meta.url).pathname;

describe('merchant back ends in other languages, unmodified, through the proxy', () => {
  let sandbox: Sandbox;
  let receiver: Receiver;
  beforeAll(async () => {
    sandbox = await startSandbox({ proxyPort: 0 });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await sandbox?.close();
    await receiver?.close();
  });

  /** The process env without any proxy of the machine's, plus the sandbox's. */
  const env = (extra: Record<string, string>) => {
    const { HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy, ...base } = process.env;
    void HTTPS_PROXY, https_proxy, HTTP_PROXY, http_proxy;
    return { ...base, HTTPS_PROXY: sandbox.proxyUrl!, https_proxy: sandbox.proxyUrl!, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...extra };
  };

  async function expectNotified(stdout: string) {
    const line = JSON.parse(stdout.trim()) as { return_code: number; payjs_order_id: string; answerSignValid: boolean };
    expect(line).toMatchObject({ return_code: 1, answerSignValid: true });
    expect(sandbox.calls({ payjs_order_id: line.payjs_order_id })[0]).toMatchObject({ via: 'proxy', host: 'payjs.cn' });
    await sandbox.pay(line.payjs_order_id);
    const attempt = await sandbox.waitForNotify({ payjs_order_id: line.payjs_order_id });
    expect(attempt.delivered).toBe(true);
    expect(receiver.received.some((r) => r.fields.payjs_order_id === line.payjs_order_id && verify(r.fields, KEY))).toBe(true);
  }

  it.runIf(needs('python'))('Python requests with HTTPS_PROXY and REQUESTS_CA_BUNDLE', async () => {
    const { stdout } = await run('python3', [here('merchant_app.py'), receiver.url], { env: env({ REQUESTS_CA_BUNDLE: sandbox.interception().caBundle }) });
    await expectNotified(stdout);
  });

  it.runIf(needs('php'))('PHP curl with HTTPS_PROXY and php -d curl.cainfo', async () => {
    const bundle = sandbox.interception().caBundle;
    const { stdout } = await run('php', ['-d', `curl.cainfo=${bundle}`, '-d', `openssl.cafile=${bundle}`, here('merchant_app.php'), receiver.url], { env: env({}) });
    await expectNotified(stdout);
  });
});
