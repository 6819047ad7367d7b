/** What a browser test of the pay pages stands on: Chromium, a sandbox, a notify receiver and a
 * merchant site, started together, and one page for the file (each test navigates afresh). */
import type { Browser, Page } from 'playwright-core';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/index.js';
import { startReceiver, type Receiver } from '../receiver.js';
import { launchBrowser } from '../browser/browser.js';
import { startMerchant, type MerchantSite } from '../browser/merchant.js';

export interface BrowserSite {
  browser: Browser;
  sandbox: Sandbox;
  receiver: Receiver;
  merchant: MerchantSite;
  page: Page;
  close(): Promise<void>;
}

export async function openBrowserSite(options: SandboxOptions = {}): Promise<BrowserSite> {
  const [browser, sandbox, receiver, merchant] = await Promise.all([launchBrowser(), startSandbox(options), startReceiver(), startMerchant()]);
  const page = await browser.newPage();
  const close = async () => {
    await Promise.all([browser.close(), sandbox.close(), receiver.close(), merchant.close()]);
  };
  return { browser, sandbox, receiver, merchant, page, close };
}
