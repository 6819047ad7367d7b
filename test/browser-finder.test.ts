/** The browser finder's order and its failure message, on made-up machines (the real search is
 * exercised by every browser test, and the npm fallback by test/browser/registry-chromium.test.ts). */
import { describe, expect, it } from 'vitest';
import { findBrowser, findInstalledBrowser, notFound, systemBrowsers, type Machine } from './browser/finder.js';

const PW = '/home/dev/.cache/ms-playwright/chromium-1255/chrome-linux64/chrome';
const machine = (files: string[], env: NodeJS.ProcessEnv = {}, platform: NodeJS.Platform = 'linux'): Machine => ({
  env,
  platform,
  home: '/home/dev',
  exists: (p) => files.includes(p),
  playwrightChromium: () => PW,
});

describe('the browser finder', () => {
  it.each([
    ['PAYJS_SANDBOX_CHROMIUM wins over everything', ['/opt/mine/chrome', PW, '/usr/bin/chromium'], { PAYJS_SANDBOX_CHROMIUM: '/opt/mine/chrome', CHROME_PATH: PW }, '/opt/mine/chrome'],
    ['CHROME_PATH comes next', ['/opt/chrome', PW], { CHROME_PATH: '/opt/chrome' }, '/opt/chrome'],
    ["Playwright's browser before the system's", [PW, '/usr/bin/chromium'], {}, PW],
    ['then the system Chromium', ['/usr/bin/chromium', '/usr/bin/google-chrome'], {}, '/usr/bin/chromium'],
    ['or Chrome', ['/usr/bin/google-chrome-stable'], {}, '/usr/bin/google-chrome-stable'],
  ])('%s', (_, files, env, expected) => {
    expect(findInstalledBrowser(machine(files, env)).found?.path).toBe(expected);
  });

  it('stops at a variable naming a missing file instead of taking another browser', () => {
    const search = findInstalledBrowser(machine([PW, '/usr/bin/chromium'], { PAYJS_SANDBOX_CHROMIUM: '/opt/typo/chrome' }));
    expect(search.found).toBeUndefined();
    expect(notFound(search).message).toContain('$PAYJS_SANDBOX_CHROMIUM=/opt/typo/chrome (no such file: fix or unset it)');
  });

  it('knows the usual places on macOS and Windows', () => {
    expect(systemBrowsers(machine([], {}, 'darwin'))).toContain('/Applications/Google Chrome.app/Contents/MacOS/Google Chrome');
    expect(systemBrowsers(machine([], {}, 'darwin'))).toContain('/home/dev/Applications/Chromium.app/Contents/MacOS/Chromium');
    const windows = systemBrowsers(machine([], { PROGRAMFILES: 'D:\\Apps', LOCALAPPDATA: 'C:\\Users\\dev\\AppData\\Local' }, 'win32'));
    expect(windows).toContain('D:\\Apps\\Microsoft\\Edge\\Application\\msedge.exe');
    expect(windows).toContain('C:\\Users\\dev\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe');
    expect(windows).toContain('C:\\Program Files (x86)\\Google\\Chrome\\Application\\chrome.exe');
  });

  it('says where it looked, in order, and how to fix it', () => {
    const message = notFound(findInstalledBrowser(machine([], {}, 'darwin'))).message;
    const order = ['$PAYJS_SANDBOX_CHROMIUM (not set)', '$CHROME_PATH (not set)', `${PW} (Playwright's Chromium: not installed)`, '/Applications/Chromium.app', '/home/dev/Applications/Microsoft Edge.app'];
    const at = order.map((s) => message.indexOf(s));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(message).toContain('npx playwright install chromium');
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('with no browser installed, takes the Chromium that npm install brought', async () => {
    const search = await findBrowser(machine([]));
    expect(search.found?.source).toMatch(/^@sparticuz\/chromium \S+ \(from npm\)$/);
    expect(search.looked).toContain('/usr/bin/chromium');
  }, 60_000);

  it('does not fall back to npm past a variable naming a missing file', async () => {
    const search = await findBrowser(machine([], { CHROME_PATH: '/opt/typo/chrome' }));
    expect(search.found).toBeUndefined();
  });
});
