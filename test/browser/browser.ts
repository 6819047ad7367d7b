/** The browser of the browser tests: Debian's Chromium, driven by playwright-core (no browser
 * download). `.ci/run` installs it; locally: apt-get update && apt-get install -y chromium. */
import { existsSync } from 'node:fs';
import { PNG } from 'pngjs';
import jsQR from 'jsqr';
import { chromium, type Browser, type Locator } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** One headless Chromium; a test file launches one and opens a fresh context per test.
 * `extraArgs` adds switches (e.g. --host-resolver-rules to point a name at 127.0.0.1). */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`the browser tests need Chromium at ${CHROMIUM}: run apt-get update && apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}

/** What a phone camera reads from an element on the screen: its screenshot, decoded as a QR code. */
export async function scanQr(element: Locator): Promise<string | undefined> {
  const png = PNG.sync.read(await element.screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}
