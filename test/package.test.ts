/** The published package, as a user gets it: `npm pack`, installed from the tarball into a fresh
 * project (its dependencies from the npm cache, else the registry), then used there the ways the
 * README promises: `npx payjs-sandbox`, every subpath export from ESM, `require()`, and the
 * shipped .d.ts under a strict tsc. Packs the dist/ that `npm test` has just built. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCHID, call, tradeNo, verifies } from './support.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
const MANIFEST = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The stated limits of the tarball: 1.07 MB packed, 4.01 MB unpacked now (2026-12-04), of which 1.4 MB is the
 * bundles' shared chunks (dist/chunks/: koa, its router, lowdb and koa-bodyparser with co-body and
 * iconv-lite's tables, for a faster start and first body; scripts/bundle.mjs), 0.12 MB the
 * compiled schemas (dist/validators.cjs) and 0.6 MB the sources that the shipped source maps point at. */
const MAX_PACKED = 1_100_000;
const MAX_UNPACKED = 4_250_000;

/** npm's environment, without what `npm test` sets for this project (prefix, package, lifecycle). */
const npmEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_(package_|lifecycle_|config_(local_)?prefix$|config_global_prefix$)/.test(k)));

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

let work: string;
let project: string;
let packed: Packed;
let installed: string;
beforeAll(async () => {
  if (!existsSync(join(ROOT, 'dist/cli/bin.js'))) throw new Error('no dist/: build first (npm test does: tsc -p tsconfig.json)');
  work = mkdtempSync(join(tmpdir(), 'payjs-sandbox-pack-'));
  // --ignore-scripts: `prepare` would rebuild dist/ under the other test files that run it
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, env: npmEnv() });
  packed = (JSON.parse(stdout) as Packed[])[0];
  project = join(work, 'consumer');
  await run('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, packed.filename)], { cwd: project, env: npmEnv() });
  installed = join(project, 'node_modules', MANIFEST.name);
}, 180_000);
afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const paths = () => packed.files.map((f) => f.path);
const textFiles = () => paths().filter((p) => /\.(js|ts|map|json|ejs|md|mjs|cjs|wxml|wxss|html|css)$/.test(p));

describe('the tarball', () => {
  it('holds the CLI, the build, the views and the sources, and no tests', () => {
    expect(paths()).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/cli/bin.js', 'dist/index.d.ts', 'views/pay.ejs', 'src/index.ts']));
    expect(paths().filter((p) => /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.[cm]?[jt]s$|^\.ci\/|^node_modules\//.test(p))).toEqual([]);
  });

  it(`stays under ${MAX_PACKED / 1e6} MB packed and ${MAX_UNPACKED / 1e6} MB unpacked`, () => {
    expect(packed.size).toBeLessThan(MAX_PACKED);
    expect(packed.unpackedSize).toBeLessThan(MAX_UNPACKED);
  });

  it('has no source map pointing at a file it does not hold', () => {
    const held = new Set(paths());
    const dangling: string[] = [];
    for (const path of paths()) {
      const text = readFileSync(join(installed, path), 'utf8');
      if (path.endsWith('.map')) {
        const map = JSON.parse(text) as { sources: string[]; sourceRoot?: string };
        for (const s of map.sources) {
          const target = normalize(join(dirname(path), map.sourceRoot ?? '', s));
          if (!held.has(target)) dangling.push(`${path} → ${target}`);
        }
      }
      const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(text)?.[1];
      if (url && !url.startsWith('data:') && !held.has(normalize(join(dirname(path), url)))) dangling.push(`${path} → ${url}`);
    }
    // dist/ files whose source is gone are leftovers of a removed or renamed file: tsc keeps them
    expect(dangling, 'leftovers of removed sources? rm -rf dist && npx tsc -p tsconfig.json').toEqual([]);
  });

  it('names no path of the machine that packed it', () => {
    const local = [ROOT, homedir() + '/', resolve(tmpdir()) + '/payjs'].filter((p) => p.length > 1);
    const leaks = textFiles().flatMap((path) => {
      const text = readFileSync(join(installed, path), 'utf8');
      return local.filter((l) => text.includes(l)).map((l) => `${path}: ${l}`);
    });
    expect(leaks).toEqual([]);
  });

  it('declares no dev-only package (the browser, the test runner) as a dependency', () => {
    const shipped = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const runtime = Object.keys({ ...shipped.dependencies, ...shipped.optionalDependencies, ...shipped.peerDependencies });
    expect(runtime.filter((name) => name in MANIFEST.devDependencies)).toEqual([]);
  });
});

describe('installed from the tarball', () => {
  it('npx payjs-sandbox --port 0 --memory answers a signed call', async () => {
    const cli = spawn('npx', ['payjs-sandbox', '--port', '0', '--memory'], { cwd: project, env: npmEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await listening(cli);
      const answer = await call(url, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo(), body: 'packed' });
      expect(answer.body.return_code).toBe(1);
      expect(verifies(answer.body)).toBe(true);
    } finally {
      await stop(cli);
    }
  }, 60_000);

  it('every subpath export of package.json imports from ESM', async () => {
    const specifiers = Object.keys(MANIFEST.exports).map((key) => {
      if (key.includes('*')) throw new Error(`exports pattern ${key}: list its files in this test`);
      return key === '.' ? MANIFEST.name : `${MANIFEST.name}/${key.slice(2)}`;
    });
    const script = `for (const s of JSON.parse(process.argv[1])) {
      const m = await import(s, s.endsWith('.json') ? { with: { type: 'json' } } : undefined);
      console.log(s + ' ' + Object.keys(m).length);
    }`;
    const { stdout } = await run('node', ['--input-type=module', '-e', script, JSON.stringify(specifiers)], { cwd: project });
    expect(stdout.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(specifiers);
    expect(stdout).toMatch(new RegExp(`^${MANIFEST.name} [1-9]`, 'm'));
  });

  it('its bundled subpaths work together in one process: a sandbox starts, serves each, and stops', async () => {
    // The entries are esbuild bundles sharing chunks (scripts/bundle.mjs): one copy of each class
    // across subpaths, the views and shipped scenarios found from dist/chunks/, the koa app and
    // the lazily loaded libraries reachable from the installed package.
    const script = `
      import { startSandbox, sign, SandboxClock } from 'payjs-sandbox';
      import { connectSandbox } from 'payjs-sandbox/client';
      import { interceptPayjs } from 'payjs-sandbox/intercept';
      import { assertCalled } from 'payjs-sandbox/testing';
      import { PAYJS_MINIPROGRAM_APPID } from 'payjs-sandbox/miniprogram';
      import { createRequire } from 'node:module';
      const clock = new SandboxClock({ frozen: true });
      const sandbox = await startSandbox({ clock });
      if (sandbox.clock !== clock) throw new Error('two copies of SandboxClock');
      const stop = interceptPayjs(sandbox);
      const fields = { mchid: sandbox.merchant.mchid, total_fee: 1, out_trade_no: 'packed-1', body: 'packed' };
      const created = await (await fetch('https://payjs.cn/api/native', { method: 'POST', body: new URLSearchParams({ ...fields, sign: sign(fields, sandbox.merchant.key) }) })).json();
      stop();
      const client = await connectSandbox(sandbox.url);
      const order = await client.order(created.payjs_order_id);
      await client.use({ match: { out_trade_no: 'never' }, tokens: 'pay=auto' });
      // The rule was checked by the schema compiled at build time (dist/validators.cjs), not by ajv.
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      const checked = { built: loaded.some((f) => f.endsWith('/dist/validators.cjs')), ajv: loaded.some((f) => f.includes('/ajv/dist/2020.js')) };
      const { files } = await (await fetch(sandbox.url + '/__sandbox/scenarios/files')).json();
      const page = await (await fetch(order.code_url ?? created.code_url)).text();
      assertCalled(sandbox, { endpoint: 'native' });
      await sandbox.close();
      console.log(JSON.stringify({ status: order.status, appid: PAYJS_MINIPROGRAM_APPID.length > 0, shipped: files.length > 0, page: page.includes('<html'), checked }));`;
    const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: project });
    expect(JSON.parse(stdout.trim())).toEqual({ status: 'unpaid', appid: true, shipped: true, page: true, checked: { built: true, ajv: false } });
  }, 60_000);

  it("require('payjs-sandbox') works where Node can require ES modules, and says why where not", async () => {
    const script = `const s = require('${MANIFEST.name}'); console.log(typeof s.startSandbox)`;
    const result = await run('node', ['-e', script], { cwd: project }).then(
      ({ stdout }) => ({ ok: stdout.trim() }),
      (e: { stderr: string }) => ({ error: e.stderr }),
    );
    // require(esm): Node 20.19+ and 22.12+ (process.features.require_module)
    if ((process.features as { require_module?: boolean }).require_module) expect(result).toEqual({ ok: 'function' });
    else expect(result).toMatchObject({ error: expect.stringContaining('ERR_REQUIRE_ESM') });
  });

  it('a strict TypeScript consumer type-checks against the shipped .d.ts', async () => {
    writeFileSync(join(project, 'consumer.ts'), CONSUMER);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        // skipLibCheck as most projects have it: checking @types/node too takes ~15 s more
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] },
        files: ['consumer.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const { stdout } = await run('node', [tsc, '-p', 'tsconfig.json', '--listFiles'], { cwd: project }).catch((e: { stdout: string }) => {
      throw new Error(`tsc refused the consumer:\n${e.stdout.split('\n').filter((l) => l.includes('error')).join('\n')}`);
    });
    // With skipLibCheck a .d.ts importing a package the user lacks would type as any, silently:
    // so the declarations the consumer reached may import only node: and the runtime dependencies.
    const reached = stdout.split('\n').filter((f) => f.startsWith(installed + '/') && f.endsWith('.d.ts'));
    expect(reached).toContain(join(installed, 'dist/index.d.ts'));
    const shipped = (JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    const foreign = reached.flatMap((file) =>
      bareImports(readFileSync(file, 'utf8'))
        .filter((spec) => !spec.startsWith('node:') && !(packageOf(spec) in shipped))
        .map((spec) => `${file.slice(installed.length + 1)}: ${spec}`),
    );
    expect(foreign).toEqual([]);
  }, 60_000);
});

/** The bare module specifiers a declaration file imports (comments left out). */
const bareImports = (dts: string) =>
  [...dts.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '').matchAll(/(?:from\s*|import\s*\(\s*)['"]([^'"./][^'"]*)['"]/g)].map((m) => m[1]);
const packageOf = (spec: string) => spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');

/** A user's file: the main entry points of each subpath, and one mistake tsc must catch. */
const CONSUMER = `import { startSandbox, sign, verify, type Sandbox } from 'payjs-sandbox';
import { connectSandbox, type SandboxClient } from 'payjs-sandbox/client';
import { useSandbox } from 'payjs-sandbox/testing';
import { createMiniProgram, PAYJS_MINIPROGRAM_APPID } from 'payjs-sandbox/miniprogram';

const sandbox: Sandbox = await startSandbox({ port: 0, merchants: ['1234567890:TestKey1234567890'] });
const signed: string = sign({ mchid: sandbox.merchant.mchid, total_fee: 1 }, sandbox.merchant.key);
const ok: boolean = verify({ mchid: sandbox.merchant.mchid, total_fee: 1, sign: signed }, sandbox.merchant.key);
const client: SandboxClient = await connectSandbox(sandbox.url);
const appid: string = PAYJS_MINIPROGRAM_APPID;
export { ok, client, appid, useSandbox, createMiniProgram };
// @ts-expect-error startSandbox refuses an option it does not have
await startSandbox({ prot: 0 });
await sandbox.close();
`;

/** Resolves with the URL the CLI's banner prints. */
function listening(cli: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    let out = '';
    const read = (d: Buffer) => {
      out += d;
      const url = / listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (url) done(url);
    };
    cli.stdout!.on('data', read);
    cli.stderr!.on('data', read);
    cli.on('exit', (code) => fail(new Error(`npx payjs-sandbox exited (${code}) before listening:\n${out}`)));
  });
}

/** SIGTERM to npx and the CLI under it (one process group), then wait for the exit. */
function stop(cli: ChildProcess): Promise<void> {
  if (cli.exitCode !== null || cli.signalCode !== null) return Promise.resolve();
  const exited = new Promise<void>((done) => cli.on('exit', () => done()));
  process.kill(-cli.pid!, 'SIGTERM');
  return exited;
}
