/**
 * `payjs-sandbox/testing`: a sandbox per test file, and assertions on the call log, for
 * vitest and jest alike (the hooks come from the globals, or are handed in; nothing here imports a
 * test framework).
 *
 *   import * as vitest from 'vitest';
 *   const sandbox = useSandbox({ hooks: vitest });   // started in beforeAll, reset after each test
 *   it('checks once', async () => {
 *     // … the code under test talks to sandbox.url …
 *     await assertCalled(sandbox, { endpoint: 'check', payjs_order_id }, 1);
 *     await assertNoBadSignatures(sandbox);
 *   });
 */
import { startSandbox, type Sandbox, type SandboxOptions } from '../sandbox.js';
import { connectSandbox, type SandboxClient } from '../client/index.js';
import { interceptPayjs } from '../intercept/index.js';

export { assertNotifyEndpoint, type NotifyEndpointOptions } from './notify-endpoint.js';
export { assertCalled, assertNotCalled, assertNoBadSignatures, formatCall, formatCalls, SandboxAssertionError, type HasCallLog, type HasJournal } from './assertions.js';

type Hook = (fn: () => unknown, timeout?: number) => void;

/** The three hooks useSandbox registers; vitest's and jest's fit (`import * as vitest from 'vitest'`). */
export interface SandboxHooks {
  beforeAll: Hook;
  afterEach: Hook;
  afterAll: Hook;
}

interface Lifecycle {
  /** The test framework's hooks; default: the global ones (jest, or vitest with `globals: true`). */
  hooks?: SandboxHooks;
  /** Reset the sandbox after each test (default true). */
  resetAfterEach?: boolean;
  /** Send this process's requests to https://payjs.cn (node:http/https, fetch) to the sandbox
   * while the file runs (`payjs-sandbox/intercept`); default false. */
  intercept?: boolean;
}

/** Starts an in-process sandbox (port 0, memory only unless `db` is given). */
export type UseSandboxOptions = SandboxOptions & Lifecycle;

/** Connects to a sandbox running as another process (CI starts the CLI) instead. */
export interface UseRemoteSandboxOptions extends Lifecycle {
  /** Its base URL, e.g. what the CLI banner printed. */
  connect: string;
  /** The control token, when it listens beyond loopback. */
  token?: string;
}

function globalHooks(): SandboxHooks | undefined {
  const g = globalThis as Partial<SandboxHooks>;
  return typeof g.beforeAll === 'function' && typeof g.afterEach === 'function' && typeof g.afterAll === 'function' ? (g as SandboxHooks) : undefined;
}

/** A stand-in for the sandbox that exists once beforeAll has run; it forwards to it. */
function lateBound<T extends object>(current: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_, prop) {
      const target = current();
      if (!target) {
        if (typeof prop === 'symbol' || prop === 'then') return undefined; // inspection, await
        throw new Error(`useSandbox(): the sandbox starts in beforeAll; read .${prop} inside a test or a hook, not at the top level of the file`);
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
    has: (_, prop) => prop in (current() ?? {}),
  });
}

/**
 * Registers beforeAll (start, or connect), afterEach (reset) and afterAll (close what it started)
 * and returns the sandbox: a stand-in that forwards to it once started.
 */
export function useSandbox(options?: UseSandboxOptions): Sandbox;
export function useSandbox(options: UseRemoteSandboxOptions): SandboxClient;
export function useSandbox(options: UseSandboxOptions | UseRemoteSandboxOptions = {}): Sandbox | SandboxClient {
  const { hooks = globalHooks(), resetAfterEach = true, intercept = false, ...rest } = options;
  if (!hooks) {
    throw new Error("useSandbox(): no beforeAll/afterEach/afterAll here: pass your framework's, e.g. `import * as vitest from 'vitest'; useSandbox({ hooks: vitest })`, or run with globals (jest; vitest --globals)");
  }
  let sandbox: Sandbox | SandboxClient | undefined;
  let started: Sandbox | undefined;
  let stopIntercepting: (() => void) | undefined;
  hooks.beforeAll(async () => {
    if ('connect' in rest) sandbox = await connectSandbox(rest.connect, { token: rest.token });
    else sandbox = started = await startSandbox(rest as SandboxOptions);
    if (intercept) stopIntercepting = interceptPayjs(sandbox.url);
  });
  if (resetAfterEach) hooks.afterEach(() => sandbox?.reset());
  hooks.afterAll(async () => {
    stopIntercepting?.();
    await started?.close();
    sandbox = started = undefined;
  });
  return lateBound(() => sandbox) as Sandbox | SandboxClient;
}

/** Which onShow runs first on the return from PAYJS (`createMiniProgram({ showOrder })`). */
export type ShowOrder = 'app-first' | 'page-first';

type TestFn = (name: string, fn: () => unknown, timeout?: number) => void;

/**
 * Registers the test twice, once per show order: WeChat does not promise whether App.onShow or the
 * page's onShow runs first when the app comes back from PAYJS, so code that works only in one
 * order fails one of the two. `it` defaults to the global one (jest; vitest with globals).
 *
 *   eachShowOrder('pays', async (showOrder) => { const mp = await createMiniProgram({ dir, sandbox, showOrder }); … }, it);
 */
export function eachShowOrder(title: string, fn: (showOrder: ShowOrder) => unknown, it?: TestFn): void {
  const test = it ?? ((globalThis as { it?: TestFn }).it as TestFn | undefined);
  if (typeof test !== 'function') {
    throw new Error("eachShowOrder(): no global it() here: pass your framework's, e.g. `import { it } from 'vitest'; eachShowOrder(title, fn, it)`");
  }
  for (const order of ['app-first', 'page-first'] as const) test(`${title} (${order})`, () => fn(order));
}
