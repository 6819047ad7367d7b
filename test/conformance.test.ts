import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, type Sandbox } from '../src/index.js';
import { startMerchantEndpoint, type Flaw, type MerchantEndpoint } from './notify-receivers.js';
import { tempDb } from './support.js';

let sandbox: Sandbox;
const endpoints: MerchantEndpoint[] = [];
const endpoint = async (flaw: Flaw, key?: string) => {
  const e = await startMerchantEndpoint(flaw, key);
  endpoints.push(e);
  return e;
};

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.close();
  await Promise.all(endpoints.map((e) => e.close()));
});

const verdicts = (r: Awaited<ReturnType<Sandbox['checkNotify']>>) => Object.fromEntries(r.cases.map((c) => [c.id, c.verdict]));

describe('the notify-endpoint conformance battery', () => {
  it('passes an endpoint that gets every rule right, with the timing of the valid notify', async () => {
    const e = await endpoint('none');
    const report = await sandbox.checkNotify(e.url);
    expect(report.passed).toBe(true);
    expect(verdicts(report)).toEqual({ valid: 'pass', alipay: 'pass', duplicate: 'pass', forged: 'pass', 'extra-fields': 'pass', 'optional-absent': 'pass', 'out-of-order': 'pass', 'json-body': 'info' });
    const valid = report.cases.find((c) => c.id === 'valid')!;
    expect(valid.timing!.sends).toBe(5);
    expect(valid.timing!.max).toBeGreaterThanOrEqual(valid.timing!.p50);
    // Each case paid an order of its own, and the endpoint saw each one.
    expect(e.paid.size).toBe(7);
  });

  it.each([
    ['accepts-forged', 'forged', 'critical', /accepts forged notifies/],
    ['drops-unknown-fields', 'extra-fields', 'major', /drops unknown fields before verifying the sign/],
    ['requires-attach', 'optional-absent', 'minor', /attach is sent only when the order has one/],
    ['not-idempotent', 'duplicate', 'major', /more than once/],
    ['not-idempotent', 'out-of-order', 'major', /after the order was refunded/],
  ] as const)('finds an endpoint that %s: %s fails, %s, saying why and citing the rule', async (flaw, id, severity, why) => {
    const report = await sandbox.checkNotify((await endpoint(flaw)).url);
    expect(report.passed).toBe(false);
    const c = report.cases.find((x) => x.id === id)!;
    expect(c.verdict).toBe('fail');
    expect(c.severity).toBe(severity);
    expect(c.finding!.why).toMatch(why);
    expect(c.finding!.fix.length).toBeGreaterThan(20);
    expect(c.finding!.rule).toMatch(/docs\/protocol\.md §14/);
  });

  it('fails every form case of an endpoint that verifies with another key, and reports the JSON body as information only', async () => {
    const report = await sandbox.checkNotify((await endpoint('none', 'AnotherKey')).url);
    expect(verdicts(report)).toMatchObject({ valid: 'fail', alipay: 'fail', forged: 'pass', 'json-body': 'info' });
  });

  it('reports a JSON-only endpoint as failing the form cases, the JSON case as information', async () => {
    const report = await sandbox.checkNotify((await endpoint('json-only')).url);
    const json = report.cases.find((c) => c.id === 'json-body')!;
    expect(json.verdict).toBe('info');
    expect(json.got).toMatch(/also takes JSON/);
    expect(report.cases.find((c) => c.id === 'valid')!.verdict).toBe('fail');
  });

  it('records an endpoint that does not answer as failures, not a crash', async () => {
    const report = await sandbox.checkNotify('http://127.0.0.1:9/payjs/notify');
    expect(report.passed).toBe(false);
    expect(report.cases.find((c) => c.id === 'valid')!.got).toMatch(/no answer \(refused\)/);
  });
});

describe('the battery through the control API', () => {
  it('runs on POST /__sandbox/conformance, lists the last reports, and gives one as JUnit XML', async () => {
    const e = await endpoint('accepts-forged');
    const res = await fetch(`${sandbox.url}/__sandbox/conformance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: e.url }) });
    expect(res.status).toBe(200);
    const { report } = await res.json();
    const list = await (await fetch(`${sandbox.url}/__sandbox/conformance`)).json();
    expect(list.reports[0].id).toBe(report.id);
    const xml = await (await fetch(`${sandbox.url}/__sandbox/conformance/${report.id}?format=junit`)).text();
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>/);
    expect(xml).toMatch(/<testsuite [^>]*tests="8" failures="1" errors="0" skipped="1"/);
    expect(xml).toMatch(/<failure type="critical" message="critical: expected anything but HTTP 200; got HTTP 200">/);
  });

  it.each([
    [{}, 'body.url (is required)'],
    [{ url: 'ftp://x' }, 'body.url (must match pattern "^https?://"'],
    [{ url: 'http://x', mchid: 'nobody' }, 'unknown mchid "nobody"'],
  ])('refuses %j with a 4xx naming the fix', async (body, message) => {
    const res = await fetch(`${sandbox.url}/__sandbox/conformance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect((await res.json()).message).toContain(message);
  });
});

describe('payjs-sandbox check-notify', () => {
  const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');
  const run = (...args: string[]) => new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    // spawnSync would block this process's event loop, and with it the endpoint under test.
    import('node:child_process').then(({ execFile }) => execFile(process.execPath, [bin, 'check-notify', ...args], (err, stdout, stderr) => resolve({ status: err ? (err as { code?: number }).code ?? 1 : 0, stdout, stderr })));
  });

  it('exits 0 for a conforming endpoint and 1 for a flawed one, writing JUnit XML when asked', async () => {
    const good = await run((await endpoint('none')).url);
    expect(good.status).toBe(0);
    expect(good.stdout).toMatch(/conforms — 7 passed, 0 failed, 1 for information/);
    const junit = join(tempDb(), '..', 'report.xml');
    const bad = await run((await endpoint('drops-unknown-fields')).url, '--junit', junit);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(/FAIL a notify with unknown extra fields, signed, is acknowledged \[major\]/);
    expect(readFileSync(junit, 'utf8')).toMatch(/failures="1"/);
  });

  it('signs with --mchid and --key, and prints JSON with --json', async () => {
    const e = await endpoint('none', 'MerchantKey42');
    const r = await run(e.url, '--mchid', '1600000042', '--key', 'MerchantKey42', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mchid: '1600000042', passed: true });
  });

  it('exits 2 with the usage for a missing URL or a lone --key', () => {
    for (const args of [[], ['http://x', '--key', 'K']]) {
      const r = spawnSync(process.execPath, [bin, 'check-notify', ...args], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/Usage: payjs-sandbox check-notify URL/);
    }
  });
});

describe('assertNotifyEndpoint (payjs-sandbox/testing)', () => {
  it('resolves with the report for a conforming endpoint, from its own sandbox or a given one', async () => {
    const { assertNotifyEndpoint } = await import('../src/testing/index.js');
    const e = await endpoint('none', 'MerchantKey43');
    expect((await assertNotifyEndpoint(e.url, { mchid: '1600000043', key: 'MerchantKey43' })).passed).toBe(true);
    expect((await assertNotifyEndpoint((await endpoint('none')).url, { sandbox })).mchid).toBe('1234567890');
  });

  it('rejects with the report, worst finding first, for a flawed one', async () => {
    const { assertNotifyEndpoint, SandboxAssertionError } = await import('../src/testing/index.js');
    const err = await assertNotifyEndpoint((await endpoint('accepts-forged')).url, { sandbox }).catch((e) => e);
    expect(err).toBeInstanceOf(SandboxAssertionError);
    expect(err.message.split('\n')[1]).toMatch(/FAIL a notify with a forged sign is refused \[critical\]/);
    expect(err.message).toMatch(/why: Your endpoint accepts forged notifies/);
  });
});

describe('the client', () => {
  it('applies tokens to an order, loads a scenario file and runs the battery, as the in-process object does', async () => {
    const { connectSandbox } = await import('../src/client/index.js');
    const client = await connectSandbox(sandbox.url);
    const e = await endpoint('none');
    expect((await client.checkNotify(e.url)).passed).toBe(true);
    const { rules } = await client.load('fixtures/scenarios/duplicate-storm.json');
    expect(rules[0]).toMatchObject({ from: 'Duplicate storm', steps: [['notify=duplicate:10']] });
    await expect(client.load({ name: 'n', description: 'd', rules: [{ tokenz: 'x' } as never] })).rejects.toThrow(/body\.rules\[0\]\.tokenz \(is not a known field\)/);
    await client.reset();
    const { nativeOrder } = await import('./support.js');
    const id = await nativeOrder(sandbox.url, { notify_url: e.url });
    expect((await client.useOn(id, 'pay=auto,notify=late:60')).order.status).toBe('paid');
  });
});
