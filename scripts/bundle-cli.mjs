#!/usr/bin/env node
// `npm run build`, after tsc: bundles the CLI (dist/cli/bin.js, rewritten in place) with esbuild,
// so that starting it resolves and reads a handful of files instead of ~200 ES and CommonJS
// modules (measured in docs/benchmarks.md). What loads on first use stays a separate chunk
// (dist/cli/chunks/) or outside the bundle (the libraries loaded on first use), loaded as late as
// before. No source map: the modules of dist/ keep theirs; the library (dist/index.js) is not
// bundled, embedders import it as modules.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = new URL('../dist/cli/', import.meta.url).pathname;
rmSync(`${outdir}chunks`, { recursive: true, force: true });
await build({
  entryPoints: [`${outdir}bin.js`],
  outdir,
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // What loads on first use stays in node_modules, imported as before: the bundle holds only the
  // start-up path (koa, @koa/router, lowdb and the sandbox), and the package stays small.
  external: ['ajv', 'qs', 'undici', 'ejs', 'qrcode', 'busboy', 'koa-bodyparser', 'node-forge'],
  // CommonJS dependencies call require() for Node's modules; ES chunks have none of their own.
  banner: { js: "import { createRequire as __payjsRequire } from 'node:module'; const require = __payjsRequire(import.meta.url);" },
  logLevel: 'warning',
});
