import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { hostMatcher } from '../src/notify/transport.js';
import { startReceiver, type Receiver } from './receiver.js';
import { nativeOrder } from './support.js';

let sandbox: Sandbox | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await sandbox?.close();
  await receiver?.close();
});

describe('where notifies may go', () => {
  it.each([
    ['127.0.0.1', 'http://127.0.0.1:8080/n', true],
    ['127.0.0.1:8080', 'http://127.0.0.1:8080/n', true],
    ['127.0.0.1:8080', 'http://127.0.0.1:9090/n', false],
    ['*.example.com', 'https://shop.example.com/n', true],
    ['*.example.com', 'https://example.org/n', false],
    ['merchant.test', 'http://merchant.test/n', true],
    ['merchant.test:80', 'http://merchant.test/n', true],
  ])('pattern %s and %s → %s', (pattern, url, ok) => {
    expect(hostMatcher([pattern])(new URL(url))).toBe(ok);
  });

  it('records a notify to a host outside --notify-allow as a blocked attempt, never sent', async () => {
    receiver = await startReceiver();
    sandbox = await startSandbox({ clock: new SandboxClock({ frozen: true }), notifyAllow: ['merchant.test'] });
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.pay(id);
    await sandbox.clock.settle();
    expect(sandbox.notifications(id)[0]).toMatchObject({ error: 'blocked', delivered: false });
    expect(receiver.received).toHaveLength(0);
  });
});

describe('request limits', () => {
  it('answers 431 to headers over 16 KB and keeps serving', async () => {
    sandbox = await startSandbox();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${sandbox!.url}/api/check`, { headers: { 'x-big': 'a'.repeat(20_000) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect((await fetch(`${sandbox.url}/__sandbox/orders`)).status).toBe(200);
  });
});
