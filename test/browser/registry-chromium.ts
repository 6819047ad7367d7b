/** The Chromium that `npm install` brings from the npm registry on Linux x64, for machines with
 * no browser and no apt step: `@sparticuz/chromium`, a headless Chromium packed with brotli
 * together with the NSS libraries and fonts it needs (made for AWS Lambda; it runs on any glibc
 * Linux x64). It is unpacked once into node_modules/.cache, one directory per package version,
 * rather than where the package itself unpacks (`/tmp/chromium`, shared by every project and
 * version on the machine, and written in place, so two test workers starting at once would race).
 * Here each extraction goes to a fresh directory that is renamed into place when complete. */
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createBrotliDecompress } from 'node:zlib';
import type { FoundBrowser } from './finder.js';

export const REGISTRY_CHROMIUM = '@sparticuz/chromium';
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/payjs-sandbox-chromium/', import.meta.url));

/** The unpacked registry Chromium, unpacking it the first time; or why there is none. */
export async function registryChromium(): Promise<FoundBrowser | { missing: string }> {
  const label = `${REGISTRY_CHROMIUM} (from npm, Linux x64 only)`;
  if (process.platform !== 'linux' || process.arch !== 'x64') return { missing: `${label}: not for ${process.platform}-${process.arch}` };
  let root: string;
  try {
    // the package exports only its entry point: its root is two levels above build/cjs/index.cjs
    root = resolve(dirname(createRequire(import.meta.url).resolve(REGISTRY_CHROMIUM)), '../..');
  } catch {
    return { missing: `${label}: not installed (npm install brings it as a dev dependency)` };
  }
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = join(CACHE, version);
  if (!existsSync(join(dir, 'chromium'))) await unpack(join(root, 'bin'), dir);
  return {
    path: join(dir, 'chromium'),
    source: `${REGISTRY_CHROMIUM} ${version} (from npm)`,
    env: {
      // its own NSS libraries before the system's, so a machine without libnss3 runs it too
      LD_LIBRARY_PATH: [join(dir, 'al2023', 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
      FONTCONFIG_FILE: join(dir, 'fonts.conf'),
    },
  };
}

/** Unpacks the package's bin/ into `dir`: into a fresh directory first, renamed when whole. */
async function unpack(bin: string, dir: string): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const work = mkdtempSync(join(CACHE, '.unpacking-'));
  try {
    await pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(work, 'chromium'), { mode: 0o755 }));
    await untar(join(bin, 'al2023.tar.br'), join(work, 'al2023')); // lib/libnss3.so, …
    await untar(join(bin, 'fonts.tar.br'), join(work, 'fonts')); // fonts/Open_Sans/*.ttf
    await untar(join(bin, 'swiftshader.tar.br'), work); // libEGL.so, … beside the binary
    // The package's fonts.conf names /tmp/fonts; this one keeps the system's fonts (when there is
    // a fontconfig) and adds the packed Open Sans.
    writeFileSync(
      join(work, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n  <dir>${join(dir, 'fonts', 'fonts')}</dir>\n  <cachedir>${join(dir, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
    );
    renameSync(work, dir);
  } catch (e) {
    rmSync(work, { recursive: true, force: true });
    if (existsSync(join(dir, 'chromium'))) return; // another test worker unpacked it first
    throw e;
  }
}

/** Unpacks a brotli-compressed tarball with the system's tar (there on every Linux); through a
 * file, since tar stops reading at the end-of-archive blocks, before the stream ends. */
async function untar(file: string, into: string): Promise<void> {
  mkdirSync(into, { recursive: true });
  const tarball = `${into}.tar`;
  await pipeline(createReadStream(file), createBrotliDecompress(), createWriteStream(tarball));
  try {
    execFileSync('tar', ['-x', '--no-same-owner', '-f', tarball, '-C', into], { stdio: ['ignore', 'ignore', 'pipe'] });
  } finally {
    rmSync(tarball, { force: true });
  }
}
