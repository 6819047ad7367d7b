/** Builds dist/ before any test runs, once, whenever a source is newer than the build or the build
 * holds the output of a source that is gone: the tests that start the CLI binary, import the
 * package by name or pack it then never meet stale code. */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');

const files = (dir: string) =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name)) : [];

export default function buildDist(): void {
  const sources = Math.max(...files(SRC).map((f) => statSync(f).mtimeMs), statSync(join(ROOT, 'tsconfig.json')).mtimeMs);
  const built = files(DIST).filter((f) => f.endsWith('.js'));
  const stale = built.length === 0 || Math.min(...built.map((f) => statSync(f).mtimeMs)) < sources;
  // dist/chunks/ holds the bundles' shared chunks (scripts/bundle.mjs), which have no source of their own.
  const orphaned = built.some((f) => !relative(DIST, f).startsWith('chunks/') && !existsSync(join(SRC, relative(DIST, f)).replace(/\.js$/, '.ts')));
  if (!stale && !orphaned) return;
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, stdio: 'inherit' });
  // As `npm run build` does: the CLI binary and the package's entries are bundles (scripts/bundle.mjs),
  // and the schemas are compiled (scripts/validators.mjs).
  for (const script of ['bundle.mjs', 'validators.mjs']) execFileSync(process.execPath, [join(ROOT, 'scripts', script)], { cwd: ROOT, stdio: 'inherit' });
}
