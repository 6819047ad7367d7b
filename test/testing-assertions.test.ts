// Everything from the package as users import it (dist/, built by test/global-setup.ts): one copy of each class.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assertCalled, assertNoBadSignatures, assertNotCalled, SandboxAssertionError } from 'payjs-sandbox/testing';
import { connectSandbox, type SandboxClient } from 'payjs-sandbox/client';
import { SandboxClock, startSandbox, type Sandbox } from 'payjs-sandbox';
import { call, nativeOrder } from './support.js';

let sandbox: Sandbox;
let client: SandboxClient;
beforeAll(async () => {
  sandbox = await startSandbox({ clock: new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true }) });
  client = await connectSandbox(sandbox.url);
});
beforeEach(() => sandbox.reset());
afterAll(() => sandbox?.close());

/** The message of the assertion error a promise rejects with. */
const failure = async (p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(SandboxAssertionError);
  return (err as Error).message;
};

describe('call-log assertions', () => {
  it.each([['the in-process sandbox', () => sandbox], ['the client', () => client]])('pass on %s when the calls are there', async (_, of) => {
    const id = await nativeOrder(sandbox.url);
    await call(sandbox.url, 'check', { payjs_order_id: id });
    const calls = await assertCalled(of(), { endpoint: 'check', payjs_order_id: id }, 1);
    expect(calls[0].sign).toBe('valid');
    await assertCalled(of(), { endpoint: 'native' });
    await assertNotCalled(of(), { endpoint: 'refund' });
    await assertNoBadSignatures(of());
  });

  it('a wrong count lists the matching calls: time, endpoint, params, verdict', async () => {
    const id = await nativeOrder(sandbox.url);
    await call(sandbox.url, 'check', { payjs_order_id: id });
    await call(sandbox.url, 'check', { payjs_order_id: id });
    const message = await failure(assertCalled(client, { endpoint: 'check', payjs_order_id: id }, 1));
    expect(message.split('\n')[0]).toBe(`expected 1 call matching endpoint="check", payjs_order_id="${id}", got 2:`);
    expect(message).toMatch(/^ {2}#\d+ 2024-01-01T04:00:00\.000Z POST \/api\/check \(form\) — sign valid → HTTP 200$/m);
    expect(message).toContain(`   params: {"payjs_order_id":"${id}","sign":"`);
  });

  it('no match lists the whole call log instead', async () => {
    await nativeOrder(sandbox.url);
    const message = await failure(assertCalled(sandbox, { endpoint: 'check' }));
    expect(message).toMatch(/^expected at least 1 call matching endpoint="check", got none; the call log has 1 call:\n {2}#\d+ .* POST \/api\/native \(form\) — sign valid → HTTP 200\n/);
    expect(await failure(assertNotCalled(sandbox, { endpoint: 'native' }))).toMatch(/^expected 0 calls matching endpoint="native", got 1:/);
  });

  it('a bad signature is listed with its cause and the refusal', async () => {
    await call(sandbox.url, 'native', { mchid: '1234567890', total_fee: 1, out_trade_no: 'BAD-1', body: 'a b' }, 'form', 'NotTheKey');
    await call(sandbox.url, 'info', { mchid: '1234567890' });
    const message = await failure(assertNoBadSignatures(client));
    expect(message.split('\n')[0]).toBe('expected no call with a bad signature, got 1 of 2 calls:');
    expect(message).toMatch(/#\d+ .* POST \/api\/native \(form\) — sign invalid — refused SIGN_ERROR → HTTP 200/);
    expect(message).toMatch(/ {3}cause: wrong key, or the signed parameters differ from those sent: .*; the sandbox signed "body=a b&mchid=1234567890&out_trade_no=BAD-1&total_fee=1&key=Te\*+90" and expected [0-9A-F]{32}/);
    await assertNoBadSignatures(client, { endpoint: 'info' });
  });
});
