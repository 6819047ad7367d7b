// Everything from the package as users import it (dist/, built by test/global-setup.ts): one copy of each class.
import * as vitest from 'vitest';
import { describe, expect, it } from 'vitest';
import { useSandbox, type SandboxHooks } from 'payjs-sandbox/testing';
import { startSandbox } from 'payjs-sandbox';
import { nativeOrder } from './support.js';

// The way a merchant's test file uses it: one sandbox for the file, reset after each test.
const sandbox = useSandbox({ hooks: vitest });

/** Hooks that only collect what useSandbox registers, to run them by hand. */
function collectingHooks() {
  const registered: Record<keyof SandboxHooks, (() => unknown)[]> = { beforeAll: [], afterEach: [], afterAll: [] };
  const hooks: SandboxHooks = { beforeAll: (fn) => registered.beforeAll.push(fn), afterEach: (fn) => registered.afterEach.push(fn), afterAll: (fn) => registered.afterAll.push(fn) };
  const run = async (name: keyof SandboxHooks) => {
    for (const fn of registered[name]) await fn();
  };
  return { hooks, run };
}

describe('useSandbox() in a vitest file', () => {
  it('starts a sandbox on a free port before the tests', async () => {
    expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await nativeOrder(sandbox.url, { out_trade_no: 'FIRST-TEST' });
    expect(sandbox.orders()).toHaveLength(1);
  });

  it('resets it after each test', async () => {
    expect(sandbox.orders()).toEqual([]);
    expect(sandbox.calls()).toEqual([]);
  });

  it('hands out methods that work on their own', async () => {
    const { pay, order } = sandbox;
    const id = await nativeOrder(sandbox.url);
    await pay(id);
    expect((await order(id))?.status).toBe('paid');
  });
});

describe('useSandbox() with global hooks, as jest (or vitest --globals) defines them', () => {
  it('registers start, reset and close on the globals', async () => {
    const { hooks, run } = collectingHooks();
    Object.assign(globalThis, hooks);
    try {
      const own = useSandbox();
      await run('beforeAll');
      await nativeOrder(own.url);
      await run('afterEach');
      expect(own.orders()).toEqual([]);
      const url = own.url;
      await run('afterAll');
      await expect(fetch(`${url}/__sandbox/clock`)).rejects.toThrow();
    } finally {
      for (const name of Object.keys(hooks)) delete (globalThis as Record<string, unknown>)[name];
    }
  });
});

describe('useSandbox() tells what is wrong', () => {
  it('when the sandbox is read before beforeAll ran', () => {
    const early = useSandbox({ hooks: collectingHooks().hooks });
    expect(() => early.url).toThrow('useSandbox(): the sandbox starts in beforeAll; read .url inside a test or a hook, not at the top level of the file');
  });

  it('when there are no hooks to register', () => {
    expect(() => useSandbox()).toThrow(/no beforeAll\/afterEach\/afterAll here: pass your framework's, e\.g\. `import \* as vitest from 'vitest'; useSandbox\(\{ hooks: vitest \}\)`/);
  });
});

describe('useSandbox({ connect }) for a sandbox in another process', () => {
  it('connects in beforeAll, resets after each test, and leaves the sandbox running', async () => {
    const remote = await startSandbox();
    try {
      const { hooks, run } = collectingHooks();
      const client = useSandbox({ connect: remote.url, hooks });
      await run('beforeAll');
      const id = await nativeOrder(client.url);
      expect((await client.pay(id)).status).toBe('paid');
      await run('afterEach');
      expect(remote.orders()).toEqual([]);
      await run('afterAll');
      expect((await fetch(`${remote.url}/__sandbox/clock`)).status).toBe(200);
    } finally {
      await remote.close();
    }
  });
});
