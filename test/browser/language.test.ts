import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/index.js';
import { MCHID, call, tradeNo } from '../support.js';
import { launchBrowser } from './browser.js';

let browser: Browser;
let sandbox: Sandbox;
let context: BrowserContext;
let page: Page;
beforeAll(async () => {
  [browser, sandbox] = await Promise.all([launchBrowser(), startSandbox()]);
});
afterAll(() => Promise.all([browser?.close(), sandbox?.close()]));
beforeEach(async () => {
  context = await browser.newContext(); // a fresh cookie jar: Chinese until switched
  page = await context.newPage();
});
afterEach(() => context.close());

const scanPage = async () => (await call(sandbox.url, 'native', { mchid: MCHID, total_fee: 1, out_trade_no: tradeNo() })).body.code_url as string;

describe('the language of the pages', () => {
  it('is Chinese by default, and the switch link shows the page in English', async () => {
    await page.goto(await scanPage());
    await expect(page.getByTestId('pay').textContent()).resolves.toBe('确认支付');
    await page.getByTestId('lang-switch').click();
    await expect(page.getByTestId('pay').textContent()).resolves.toBe('Pay');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.getByTestId('lang-switch').textContent()).resolves.toBe('中文');
  });

  it('?lang=en is remembered: the next pages are in English too, until switched back', async () => {
    await page.goto(`${await scanPage()}&lang=en`);
    await page.goto(await scanPage());
    await expect(page.getByTestId('cancel').textContent()).resolves.toBe('Cancel');
    await page.getByTestId('cancel').click();
    await expect(page.getByTestId('message').textContent()).resolves.toBe('Payment cancelled');
    await page.getByTestId('lang-switch').click();
    await expect(page.getByTestId('message').textContent()).resolves.toBe('已取消支付');
  });
});
