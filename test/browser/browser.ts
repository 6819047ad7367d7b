/** The browser of the browser tests, driven by playwright-core (which downloads no browser):
 * whichever Chromium-family browser finder.ts finds first — $PAYJS_SANDBOX_CHROMIUM, Playwright's
 * own, an installed Chromium / Chrome / Edge, or on Linux x64 the Chromium `npm install` brought. */
import { PNG } from 'pngjs';
import jsQR from 'jsqr';
import { chromium, type Browser, type Locator } from 'playwright-core';
import { findBrowser, notFound, type FoundBrowser } from './finder.js';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** One headless browser; a test file launches one and opens a fresh context per test. */
export async function launchBrowser(): Promise<Browser> {
  const search = await findBrowser();
  if (!search.found) throw notFound(search);
  return launch(search.found);
}

/** Launches a browser the finder found, with the environment it needs. */
export function launch(browser: FoundBrowser): Promise<Browser> {
  return chromium.launch({ executablePath: browser.path, args: ARGS, env: { ...process.env, ...browser.env } });
}

/** What a phone camera reads from an element on the screen: its screenshot, decoded as a QR code. */
export async function scanQr(element: Locator): Promise<string | undefined> {
  const png = PNG.sync.read(await element.screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}
