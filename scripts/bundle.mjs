#!/usr/bin/env node
// `npm run build`, after tsc: bundles the package's entry points with esbuild, rewriting in place
// the files package.json names (`bin`, and every `exports` subpath: dist/index.js,
// dist/testing/index.js, …), so that importing the package or starting the CLI reads a handful of
// files instead of ~200 ES and CommonJS modules (measured in docs/benchmarks.md, "Embedded
// start-up"). One build with code splitting: what the entries share is one set of chunks
// (dist/chunks/), so `payjs-sandbox`, `payjs-sandbox/testing` and the CLI hold one copy of each
// class; what loads on first use (the koa app, the OpenAPI document, …) stays a chunk of its own,
// loaded as late as before. The types stay tsc's (.d.ts beside each entry); the other modules of
// dist/ stay as tsc wrote them, with their source maps. No source map for the bundles: they would
// point into node_modules, which the package does not hold.
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const root = new URL('../', import.meta.url).pathname;
const dist = `${root}dist/`;
const manifest = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const files = [...Object.values(manifest.bin), ...Object.values(manifest.exports).map((e) => e.default)].map((f) => f.replace(/^\.\//, ''));
// What the start-up path runs (the sandbox's store), the koa app built at the first request it
// serves, and the body parser of its first body (koa-bodyparser with co-body: ~100 ms less at that
// first body, for ~200 KB more in the package): bundled. Every other dependency loads on first use, or only in a
// subpath (the interceptor, the mini-program harness), and stays in node_modules, imported as
// before: the package stays small, and a new dependency is left out until it is listed here.
const BUNDLED = new Set(['koa', '@koa/router', 'lowdb', 'koa-bodyparser']);

// koa's mime-types (3.x) and accepts' (2.x) each bring their copy of mime-db: two 200 KB object
// literals, compiled and run at the first request koa serves. The bundle holds one, koa's, read by
// JSON.parse, which V8 runs several times faster than the same object as code
// (https://v8.dev/blog/cost-of-javascript-2019#json); both versions of mime-types read it alike.
const requireFrom = (...chain) => chain.reduce((from, name) => createRequire(from).resolve(name), import.meta.url);
const MIME_DB = requireFrom('koa', 'mime-types', 'mime-db/db.json');
const oneMimeDb = {
  name: 'one-mime-db',
  setup(b) {
    // (the path names the file in the bundle's comments: no path of this machine)
    b.onResolve({ filter: /^mime-db$/ }, () => ({ path: 'mime-db/db.json', namespace: 'mime-db' }));
    b.onLoad({ filter: /.*/, namespace: 'mime-db' }, () => ({ contents: `module.exports = JSON.parse(${JSON.stringify(JSON.stringify(JSON.parse(readFileSync(MIME_DB, 'utf8'))))});`, loader: 'js' }));
  },
};

rmSync(`${dist}chunks`, { recursive: true, force: true });
await build({
  entryPoints: files.map((f) => ({ in: `${root}${f}`, out: f.replace(/^dist\//, '').replace(/\.js$/, '') })),
  outdir: dist,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  external: Object.keys(manifest.dependencies).filter((d) => !BUNDLED.has(d)),
  // CommonJS dependencies call require() for Node's modules; ES chunks have none of their own.
  banner: { js: "import { createRequire as __payjsRequire } from 'node:module'; const require = __payjsRequire(import.meta.url);" },
  plugins: [oneMimeDb],
  logLevel: 'warning',
});
