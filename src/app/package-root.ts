import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package's own directory (package.json, views/, fixtures/): the first one up from this
 * module that holds payjs-sandbox's package.json, so that dist/, src/ (under the tests) and the
 * bundles (dist/index.js, dist/cli/bin.js and their dist/chunks/) find it whatever their depth. */
export const PACKAGE_ROOT = ((): string => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'payjs-sandbox') return dir;
    if (dirname(dir) === dir) throw new Error(`payjs-sandbox: no package.json of payjs-sandbox above ${fileURLToPath(import.meta.url)}`);
  }
})();
