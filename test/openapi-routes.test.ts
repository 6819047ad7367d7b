import type Koa from 'koa';
import type Router from '@koa/router';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { openApiDocument } from '../src/http/openapi/document.js';
import { METHODS, templateRegex } from './openapi-validator.js';

// The apps createApp builds, so that the test reads the routes a real sandbox serves.
const apps = vi.hoisted(() => [] as Koa[]);
vi.mock('../src/http/app.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/http/app.js')>();
  return { ...original, createApp: (options: Parameters<typeof original.createApp>[0]) => apps[apps.push(original.createApp(options)) - 1] };
});

/** The surfaces the description covers; payer pages and the dashboard are HTML outside them. */
const DESCRIBED_PREFIXES = ['/api/', '/__sandbox/'];

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
  // The koa app is built at the first request that reaches it (src/http/lazy-app.ts).
  expect(apps).toHaveLength(0);
  expect((await fetch(`${sandbox.url}/__sandbox/openapi.json`)).status).toBe(200);
});
afterAll(() => sandbox?.close());

/** `METHOD path` of every route the app's routers serve (HEAD and OPTIONS come with GET and koa). */
function servedRoutes(app: Koa): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  for (const mw of app.middleware as (Koa.Middleware & { router?: Router })[]) {
    for (const layer of mw.router?.stack ?? []) {
      for (const method of layer.methods) if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method: method.toLowerCase(), path: String(layer.path) });
    }
  }
  return routes;
}

/** A koa path (`:id`, `*rest`) as a regex over concrete paths. */
const koaRegex = (path: string) => new RegExp(`^${path.replace(/[.+?^$()|[\]{}\\]/g, '\\$&').replace(/:\w+/g, '[^/]+').replace(/\*\w*/g, '.+')}$`);
/** A described template with a sample value in each `{param}`. */
const sample = (template: string) => template.replace(/\{[^}]+\}/g, 'x1');

describe('the description covers every route of /api/* and /__sandbox/*', () => {
  it('reads the routes from the real app', () => {
    expect(apps).toHaveLength(1);
    expect(servedRoutes(apps[0]).length).toBeGreaterThan(40);
  });

  it('describes every route the routers serve', () => {
    const doc = openApiDocument(sandbox.url) as { paths: Record<string, Record<string, unknown>> };
    const undescribed = servedRoutes(apps[0])
      .filter((r) => DESCRIBED_PREFIXES.some((p) => r.path.startsWith(p)))
      .filter((r) => !Object.entries(doc.paths).some(([template, item]) => item[r.method] && koaRegex(r.path).test(sample(template))))
      .map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(undescribed, 'routes without a description: add them to src/http/openapi/ (and exercise them in test/openapi-control.test.ts)').toEqual([]);
  });

  it('describes no route the routers do not serve', () => {
    const doc = openApiDocument(sandbox.url) as { paths: Record<string, Record<string, unknown>> };
    const served = servedRoutes(apps[0]);
    const stale: string[] = [];
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const m of METHODS) if (item[m] && !served.some((r) => r.method === m && koaRegex(r.path).test(sample(template)))) stale.push(`${m.toUpperCase()} ${template}`);
    }
    expect(stale, 'described but not served: remove them from src/http/openapi/').toEqual([]);
  });

  it('names each operation once', () => {
    const doc = openApiDocument(sandbox.url) as { paths: Record<string, Record<string, { operationId?: string }>> };
    const ids = Object.values(doc.paths).flatMap((item) => METHODS.map((m) => item[m]?.operationId).filter(Boolean));
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.keys(doc.paths).every((t) => templateRegex(t).test(sample(t)))).toBe(true);
  });
});
