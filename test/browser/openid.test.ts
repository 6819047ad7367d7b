import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/index.js';
import { MCHID } from '../support.js';
import { launchBrowser } from './browser.js';
import { startMerchant, type MerchantSite } from './merchant.js';

let browser: Browser;
let sandbox: Sandbox;
let merchant: MerchantSite;
let page: Page;
beforeAll(async () => {
  [browser, sandbox, merchant] = await Promise.all([launchBrowser(), startSandbox({ openidPage: true }), startMerchant()]);
  page = await browser.newPage(); // one page for the file: each test navigates afresh
});
afterAll(() => Promise.all([browser?.close(), sandbox?.close(), merchant?.close()]));

describe('the openid page (openidPage: true)', () => {
  it('the payer picks a fake WeChat user and lands on callback_url with that openid', async () => {
    await page.goto(`${sandbox.url}/api/openid?${new URLSearchParams({ mchid: MCHID, callback_url: `${merchant.url}/login?state=s1` })}`);
    await expect(page.getByTestId('callback-host').textContent()).resolves.toBe(new URL(merchant.url).host);
    const third = page.getByTestId('user').nth(2);
    const openid = (await third.getAttribute('data-openid'))!;
    expect(openid).toMatch(/^o7LFAw[\w-]{22}$/);
    await third.click();
    await page.waitForURL(`${merchant.url}/login?state=s1&openid=${openid}`);
  });
});
