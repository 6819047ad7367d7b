import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SandboxClock, startSandbox, type Sandbox } from '../src/index.js';
import { shippedScenarios } from '../src/app/scenario-files.js';
import { Refusal } from '../src/core/errors.js';
import { startReceiver, type Receiver } from './receiver.js';
import { nativeOrder, tempDb } from './support.js';

let sandbox: Sandbox;
let receiver: Receiver;
const clock = () => new SandboxClock({ start: Date.UTC(2024, 0, 1, 4), frozen: true });

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startSandbox({ clock: clock() });
});
afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const write = (content: unknown) => {
  const file = join(tempDb(), '..', 'scenario.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
};

describe('scenario files', () => {
  it('ships the classic cases, each named and described', () => {
    const files = shippedScenarios().map((s) => s.file);
    expect(files).toEqual(expect.arrayContaining(['late-notify.json', 'notify-fails-three-times.json', 'duplicate-storm.json', 'forged-notify.json', 'payer-cancels.json', 'payment-fails.json', 'expiry-before-payment.json', 'refund-after-payment.json']));
    for (const s of shippedScenarios()) expect(s.description.length).toBeGreaterThan(40);
  });

  it('loads a shipped file with sandbox.load(): a failing-then-delivered notify, three lost attempts first', async () => {
    const { rules } = await sandbox.load('fixtures/scenarios/notify-fails-three-times.json');
    expect(rules[0].from).toBe('Notify fails three times, then succeeds');
    const id = await nativeOrder(sandbox.url, { notify_url: receiver.url });
    await sandbox.pay(id);
    for (const s of [0, 15, 15, 150]) await sandbox.clock.advance(s);
    expect(sandbox.notifications(id).map((a) => a.delivered)).toEqual([false, false, false, true]);
    await sandbox.reset();
  });

  it('refuses a file naming the path in the file, and adds nothing of it', async () => {
    const file = write({ name: 'x', description: 'y', rules: [{ tokens: 'pay=auto' }, { tokens: 'pay=auto', times: 0 }] });
    await expect(sandbox.load(file)).rejects.toThrow(/scenario\.json\.rules\[1\]\.times \(must be >= 1/);
    await expect(sandbox.load({ name: 'x', description: 'y', rules: [{ tokens: 'pay=sometimes' }] })).rejects.toThrow(/scenario\.rules\[0\] \(未知的沙箱场景：pay=sometimes/);
    await expect(sandbox.load(write('{"name":'))).rejects.toBeInstanceOf(Refusal);
    expect((await fetch(`${sandbox.url}/__sandbox/scenarios`).then((r) => r.json())).scenarios).toEqual([]);
  });

  it('loads files given at start (--scenario, repeatable), and refuses to start with a wrong one', async () => {
    const s = await startSandbox({ scenarios: ['fixtures/scenarios/late-notify.json', 'fixtures/scenarios/forged-notify.json'] });
    const rules = await (await fetch(`${s.url}/__sandbox/scenarios`)).json();
    expect(rules.scenarios.map((r: { from: string }) => r.from)).toEqual(['Late notify', 'Forged notify']);
    await s.close();
    await expect(startSandbox({ scenarios: [write({ name: 'x' })] })).rejects.toThrow(/scenario\.json\.description \(is required\)/);
  });
});
