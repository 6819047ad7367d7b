/** A real page in Chromium, served from another origin, attacks the sandbox the ways a web page
 * the developer visits could: a form posted to the control API, no-cors fetches, and a DNS
 * rebinding name that points at 127.0.0.1 (Chromium's --host-resolver-rules stands in for the
 * attacker's DNS). Every attempt is refused and the sandbox is unchanged; the dashboard itself
 * still works. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/index.js';
import { nativeOrder } from '../support.js';
import { launchBrowser } from './browser.js';

const REBIND = 'rebind.attacker.example';
let browser: Browser;
let sandbox: Sandbox;
let attacker: Server;
let attackerUrl = '';
let html = '';

beforeAll(async () => {
  attacker = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  // localhost:<other port> is another origin than 127.0.0.1:<sandbox port>, like any web page.
  attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
  [browser, sandbox] = await Promise.all([launchBrowser([`--host-resolver-rules=MAP ${REBIND} 127.0.0.1`]), startSandbox()]);
});
afterAll(() => Promise.all([browser?.close(), sandbox?.close(), new Promise((r) => attacker?.close(r))]));

describe('a page from another site', () => {
  it('cannot pay an order, reset the sandbox or add a scenario by form posts and no-cors fetches', async () => {
    const id = await nativeOrder(sandbox.url);
    const target = sandbox.url;
    html = `<!doctype html><body>
      <iframe name="sink"></iframe>
      <form id="f" method="post" target="sink" action="${target}/__sandbox/orders/${id}/pay"><input name="x" value="1"></form>
      <script>
        document.getElementById('f').submit();
        window.done = Promise.all([
          fetch('${target}/__sandbox/reset', { method: 'POST', mode: 'no-cors' }),
          fetch('${target}/__sandbox/scenarios', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"tokens":"pay=fail"}' }),
          fetch('${target}/__sandbox/clock/advance', { method: 'POST', mode: 'no-cors', body: '{"seconds":3600}' }),
        ]).then(() => 'sent', (e) => String(e));
      </script></body>`;
    const page = await browser.newPage();
    const statuses = new Map<string, number>();
    page.on('response', (r) => {
      if (r.url().startsWith(target)) statuses.set(new URL(r.url()).pathname, r.status());
    });
    await page.goto(attackerUrl);
    expect(await page.evaluate(() => (window as unknown as { done: Promise<string> }).done)).toBe('sent');
    await expect.poll(() => statuses.size, { timeout: 5000 }).toBe(4);
    expect([...statuses.values()]).toEqual([403, 403, 403, 403]);
    expect((await sandbox.order(id))?.status).toBe('unpaid');
    expect(sandbox.orders()).toHaveLength(1);
    expect((await fetch(`${target}/__sandbox/scenarios`).then((r) => r.json())).scenarios).toEqual([]);
    expect(sandbox.clock.advanced()).toBe(0);
    await page.close();
  });

  it('cannot read orders through a DNS-rebinding name, while the dashboard under 127.0.0.1 works', async () => {
    const id = await nativeOrder(sandbox.url);
    const page = await browser.newPage();
    const rebound = `http://${REBIND}:${sandbox.port}`;
    const res = await page.goto(`${rebound}/dashboard`);
    expect(res?.status()).toBe(403);
    expect(await page.textContent('body')).toContain('FORBIDDEN_HOST');
    // The rebinding page is same-origin with that name, so it could read what is answered.
    const read = await page.evaluate(async () => {
      const r = await fetch('/__sandbox/orders');
      return { status: r.status, text: await r.text() };
    });
    expect(read.status).toBe(403);
    expect(read.text).not.toContain(id);

    await page.goto(`${sandbox.url}/dashboard/orders/${id}`);
    await page.locator('button[data-action="payOnTime"]').click();
    await expect.poll(async () => (await sandbox.order(id))?.status, { timeout: 5000 }).toBe('paid');
    await page.close();
  });
});
