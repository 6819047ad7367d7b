import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../app/package-root.js';

export { PACKAGE_ROOT };

let version: string | undefined;
/** The version in package.json. */
export const packageVersion = (): string => (version ??= (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
