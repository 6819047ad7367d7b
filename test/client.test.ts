// Everything from the package as users import it (dist/, built by test/global-setup.ts): one copy of each class.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectSandbox, SandboxRequestError, type SandboxClient } from 'payjs-sandbox/client';
import { startSandbox } from 'payjs-sandbox';
import { startReceiver, type Receiver } from './receiver.js';
import { KEY, MCHID, call, nativeOrder, tradeNo } from './support.js';

let cli: ChildProcess;
let url: string;
let sandbox: SandboxClient;
let receiver: Receiver;

/** Starts the CLI as CI would, and reads its URL from the first banner line. */
async function startCli(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['dist/cli/bin.js', '--port', '0', '--memory'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const first = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the CLI exited with ${code} before its banner`)));
  });
  const found = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(first);
  if (!found) throw new Error(`unexpected banner: ${first}`);
  return { child, url: found[1] };
}

beforeAll(async () => {
  receiver = await startReceiver();
  ({ child: cli, url } = await startCli());
  sandbox = await connectSandbox(url);
});
afterAll(async () => {
  if (cli && cli.exitCode === null) {
    const exited = new Promise((resolve) => cli.once('exit', resolve));
    cli.kill('SIGTERM');
    await exited;
  }
  await receiver?.close();
});

describe('the client drives a sandbox running as another process', () => {
  it('knows the URL and the default merchant, with its key', async () => {
    expect(sandbox.url).toBe(url);
    expect(sandbox.merchant).toMatchObject({ mchid: MCHID, key: KEY });
    expect((await sandbox.merchants()).map((m) => m.mchid)).toContain(MCHID);
  });

  it('pays an order a merchant created, and the notify arrives at the receiver', async () => {
    const id = await nativeOrder(url, { notify_url: receiver.url });
    expect((await sandbox.order(id))?.status).toBe('unpaid');
    expect((await sandbox.pay(id)).status).toBe('paid');
    const notify = await sandbox.waitForNotify({ payjs_order_id: id }, { timeout: 5000 });
    expect(notify).toMatchObject({ attempt: 1, status: 200, delivered: true });
    expect(receiver.received.at(-1)?.fields.payjs_order_id).toBe(id);
    expect((await sandbox.notifications(id)).map((a) => a.attempt)).toEqual([1]);
    expect((await sandbox.resend(id)).kind).toBe('manual');
  });

  it('walks the notify ladder by advancing the clock', async () => {
    receiver.reply({ status: 500, body: 'busy' });
    try {
      const id = await nativeOrder(url, { notify_url: receiver.url });
      const before = await sandbox.clock.now();
      await sandbox.pay(id);
      await sandbox.waitForNotify({ payjs_order_id: id, delivered: false });
      const after = await sandbox.clock.advance(15);
      expect(after.now).toBeGreaterThanOrEqual(before + 15_000);
      expect((await sandbox.notifications(id)).map((a) => a.step)).toEqual([0, 1]);
    } finally {
      receiver.reply({ status: 200 });
    }
  });

  it('acts on orders: fail, cancel, close, expire, refund, reverse', async () => {
    const a = await nativeOrder(url);
    expect((await sandbox.fail(a)).history.at(-1)?.event).toBe('pay_failed');
    expect((await sandbox.cancel(a)).history.at(-1)?.event).toBe('pay_cancelled');
    expect((await sandbox.close(a)).status).toBe('closed');
    expect((await sandbox.expire(await nativeOrder(url))).status).toBe('closed');
    const b = await nativeOrder(url);
    await sandbox.pay(b);
    expect((await sandbox.refund(b)).status).toBe('refunded');
    expect((await sandbox.reverse(await nativeOrder(url))).status).toBe('closed');
  });

  it("throws the server's message when the control API refuses", async () => {
    const id = await nativeOrder(url);
    await sandbox.close(id);
    const err = await sandbox.pay(id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxRequestError);
    expect(err).toMatchObject({ status: 409, code: 'ORDER_CLOSED', message: expect.stringContaining('订单已关闭') });
    await expect(sandbox.use({ tokens: 'pay=sometimes' })).rejects.toThrow(/未知的沙箱场景：pay=sometimes/);
    expect(await sandbox.order('2024010112000000999999999')).toBeUndefined();
    // @ts-expect-error: close takes the order to close; the client never stops the sandbox
    await expect(sandbox.close()).rejects.toThrow(/never stops the sandbox/);
  });

  it('waitForNotify rejects after the timeout, listing the last attempts', async () => {
    await expect(sandbox.waitForNotify({ payjs_order_id: '2024010112000000999999999' }, { timeout: 50 })).rejects.toThrow(/no notify matching .* within 50 ms \(last attempts: #/);
  });

  it('queries the journal and filters orders', async () => {
    const id = await nativeOrder(url, { out_trade_no: 'CLIENT-1' });
    await call(url, 'check', { payjs_order_id: id });
    await call(url, 'check', { payjs_order_id: id }, 'form', 'WrongKey');
    const checks = await sandbox.calls({ endpoint: 'check', payjs_order_id: id });
    expect(checks.map((c) => c.sign)).toEqual(['valid', 'invalid']);
    expect((await sandbox.calls({ sign: 'invalid', payjs_order_id: id }))[0].diagnosis?.cause).toBeTruthy();
    expect((await sandbox.orders({ out_trade_no: 'CLIENT-1' })).map((o) => o.payjs_order_id)).toEqual([id]);
  });

  it('uses scenario rules, seeds, snapshots and restores', async () => {
    const rule = await sandbox.use({ match: { out_trade_no: 'AUTO-*' }, tokens: 'pay=auto', once: true });
    expect(rule).toMatchObject({ id: expect.stringMatching(/^s\d+$/), remaining: 1 });
    const auto = await nativeOrder(url, { out_trade_no: `AUTO-${tradeNo()}` });
    expect((await sandbox.order(auto))?.status).toBe('paid');
    const snap = await sandbox.snapshot();
    const seeded = await sandbox.seed({ orders: [{ out_trade_no: 'SEEDED-1', total_fee: 100, status: 'paid' }] });
    expect(seeded[0].status).toBe('paid');
    await sandbox.restore(snap);
    expect(await sandbox.orders({ out_trade_no: 'SEEDED-1' })).toEqual([]);
    expect((await sandbox.addMerchant({ mchid: '2000000042', key: 'ClientKey42' })).key).toBe('ClientKey42');
  });

  it('resets one merchant, then everything', async () => {
    await nativeOrder(url);
    await sandbox.reset({ mchid: '2000000042' });
    expect((await sandbox.orders()).length).toBeGreaterThan(0);
    await sandbox.reset();
    expect(await sandbox.orders()).toEqual([]);
    expect(await sandbox.calls()).toEqual([]);
  });
});

describe('connecting', () => {
  it('fails at once, saying how, when nothing listens there', async () => {
    await expect(connectSandbox('http://127.0.0.1:1')).rejects.toThrow(/could not reach http:\/\/127\.0\.0\.1:1 .*is the sandbox running/);
  });

  it('sends the control token to a sandbox that listens beyond loopback', async () => {
    const open = await startSandbox({ host: '0.0.0.0', controlToken: 'CiToken42' });
    try {
      await expect(connectSandbox(open.url)).rejects.toThrow(/send the control token the banner printed/);
      const client = await connectSandbox(open.url, { token: 'CiToken42' });
      expect(await client.orders()).toEqual([]);
    } finally {
      await open.close();
    }
  });
});
