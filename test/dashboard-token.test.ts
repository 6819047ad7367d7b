import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';

let sandbox: Sandbox | undefined;
afterEach(() => sandbox?.close());

describe('the dashboard off loopback', () => {
  it('answers 401 without the control token, and the pages with ?token= (then the cookie)', async () => {
    sandbox = await startSandbox({ host: '0.0.0.0', controlToken: 'sesame-1234' });
    for (const path of ['/', '/dashboard/orders/x', '/dashboard/clock', '/dashboard/sign']) expect((await fetch(`${sandbox.url}${path}`)).status, path).toBe(401);
    expect((await fetch(`${sandbox.url}/dashboard/sign-debug`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"params":"a=1"}' })).status).toBe(401);
    expect((await fetch(`${sandbox.url}/?token=wrong`)).status).toBe(401);

    const res = await fetch(`${sandbox.url}/?token=sesame-1234`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('sesame-1234'); // not even in the language switch
    const cookie = res.headers.get('set-cookie')!.split(';')[0];
    expect(cookie).toBe('payjs_sandbox_token=sesame-1234');
    expect((await fetch(`${sandbox.url}/dashboard/clock`, { headers: { cookie } })).status).toBe(200);
    const events = await fetch(`${sandbox.url}/__sandbox/events`, { headers: { cookie } });
    expect(events.status).toBe(200);
    await events.body?.cancel();
  });

  it('needs no token on loopback', async () => {
    sandbox = await startSandbox();
    expect(sandbox.controlToken).toBeUndefined();
    expect((await fetch(`${sandbox.url}/`)).status).toBe(200);
  });
});
