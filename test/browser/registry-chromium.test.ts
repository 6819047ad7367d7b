/** The fallback of a machine with no browser: the Chromium that `npm install` brought from the npm
 * registry (Linux x64) opens a sandbox pay page, whatever browser the finder would pick first. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../src/index.js';
import { launch, scanQr } from './browser.js';
import { registryChromium } from './registry-chromium.js';
import { MCHID, call, tradeNo } from '../support.js';

const linuxX64 = process.platform === 'linux' && process.arch === 'x64';
if (!linuxX64) console.warn(`skipped: the npm registry's Chromium is for Linux x64, this is ${process.platform}-${process.arch}`);

describe.runIf(linuxX64)("the npm registry's Chromium", () => {
  let browser: Browser;
  let sandbox: Sandbox;
  beforeAll(async () => {
    const found = await registryChromium();
    if (!('path' in found)) throw new Error(found.missing);
    [browser, sandbox] = await Promise.all([launch(found), startSandbox()]);
  }, 60_000);
  afterAll(() => Promise.all([browser?.close(), sandbox?.close()]));

  it('shows the scan page of an order, its QR code readable from a screenshot, and pays it', async () => {
    const answer = (await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1999, out_trade_no: tradeNo(), body: 'registry' })).body;
    const page = await browser.newPage();
    await page.goto(answer.code_url as string);
    await expect(scanQr(page.getByTestId('qr'))).resolves.toBe(answer.code_url);
    await page.getByTestId('pay').click();
    await expect(page.getByTestId('message').getAttribute('data-outcome')).resolves.toBe('paid');
    expect((await sandbox.order(answer.payjs_order_id as string))?.status).toBe('paid');
  });
});
