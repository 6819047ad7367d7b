/** Where the browser tests find a Chromium-family browser, in the order the README gives: the
 * user's choice (`PAYJS_SANDBOX_CHROMIUM`, or the common `CHROME_PATH`), Playwright's own
 * browser if `npx playwright install chromium` was run, the usual Chromium / Chrome / Edge
 * locations of the platform, and last, on Linux x64, the Chromium that `npm install` brought
 * (`@sparticuz/chromium`, see registry-chromium.ts). Every miss is kept so a failure says where
 * it looked. */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { win32 } from 'node:path';
import { chromium } from 'playwright-core';
import { registryChromium } from './registry-chromium.js';

/** A browser to launch: its executable, what found it, and the environment it needs. */
export interface FoundBrowser {
  path: string;
  source: string;
  env?: Record<string, string>;
}

/** The outcome of a search: the browser (if any) and every place looked at, in order. */
export interface BrowserSearch {
  found?: FoundBrowser;
  looked: string[];
}

/** What the search reads from the machine; the tests pass a made-up machine. */
export interface Machine {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  home: string;
  exists(path: string): boolean;
  /** Where Playwright's browser of this playwright-core version would be, installed or not. */
  playwrightChromium(): string | undefined;
}

/** The machine this process runs on. */
export const THIS_MACHINE: Machine = {
  env: process.env,
  platform: process.platform,
  home: homedir(),
  exists: existsSync,
  playwrightChromium() {
    try {
      return chromium.executablePath(); // honours PLAYWRIGHT_BROWSERS_PATH; does not check the file
    } catch {
      return undefined;
    }
  },
};

/** The environment variables that name a browser, the project's own first. */
export const BROWSER_VARIABLES = ['PAYJS_SANDBOX_CHROMIUM', 'CHROME_PATH'] as const;

/** The usual install locations of Chromium, Chrome and Edge on a platform. */
export function systemBrowsers(machine: Pick<Machine, 'env' | 'platform' | 'home'>): string[] {
  if (machine.platform === 'darwin') {
    const apps = ['Chromium.app/Contents/MacOS/Chromium', 'Google Chrome.app/Contents/MacOS/Google Chrome', 'Microsoft Edge.app/Contents/MacOS/Microsoft Edge'];
    return [...apps.map((a) => `/Applications/${a}`), ...apps.map((a) => `${machine.home}/Applications/${a}`)];
  }
  if (machine.platform === 'win32') {
    const roots = [machine.env.LOCALAPPDATA, machine.env.PROGRAMFILES ?? 'C:\\Program Files', machine.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)'];
    const exes = ['Chromium\\Application\\chrome.exe', 'Google\\Chrome\\Application\\chrome.exe', 'Microsoft\\Edge\\Application\\msedge.exe'];
    return roots.filter((r): r is string => !!r).flatMap((root) => exes.map((exe) => win32.join(root, exe)));
  }
  const bins = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge', 'microsoft-edge-stable'];
  return [...bins.map((b) => `/usr/bin/${b}`), '/snap/bin/chromium', '/opt/google/chrome/chrome', '/opt/microsoft/msedge/msedge'];
}

/** The search without the npm fallback: a variable that is set wins (and a wrong one stops the
 * search, so a typo is not silently replaced by another browser), then Playwright, then the
 * system locations. */
export function findInstalledBrowser(machine: Machine = THIS_MACHINE): BrowserSearch {
  const looked: string[] = [];
  for (const name of BROWSER_VARIABLES) {
    const value = machine.env[name];
    if (!value) {
      looked.push(`$${name} (not set)`);
      continue;
    }
    if (machine.exists(value)) return { found: { path: value, source: `$${name}` }, looked };
    looked.push(`$${name}=${value} (no such file: fix or unset it)`);
    return { looked };
  }
  const playwright = machine.playwrightChromium();
  if (playwright && machine.exists(playwright)) return { found: { path: playwright, source: 'Playwright (npx playwright install chromium)' }, looked };
  looked.push(playwright ? `${playwright} (Playwright's Chromium: not installed)` : "Playwright's Chromium (none for this platform)");
  for (const path of systemBrowsers(machine)) {
    if (machine.exists(path)) return { found: { path, source: 'installed browser' }, looked };
    looked.push(path);
  }
  return { looked };
}

/** The whole search: installed browsers first, then the npm registry's Chromium on Linux x64. */
export async function findBrowser(machine: Machine = THIS_MACHINE): Promise<BrowserSearch> {
  const search = findInstalledBrowser(machine);
  if (search.found || machine.env.PAYJS_SANDBOX_CHROMIUM || machine.env.CHROME_PATH) return search;
  const fallback = await registryChromium();
  if ('path' in fallback) return { found: fallback, looked: search.looked };
  return { looked: [...search.looked, fallback.missing] };
}

/** The error of a search that found nothing: where it looked and how to fix it. */
export function notFound(search: BrowserSearch): Error {
  return new Error(
    [
      'the browser tests found no Chromium, Chrome or Edge. Looked at, in order:',
      ...search.looked.map((l) => `  - ${l}`),
      'Fix: set PAYJS_SANDBOX_CHROMIUM=/path/to/chrome, or run `npx playwright install chromium`, or install Chromium or Chrome.',
    ].join('\n'),
  );
}
