/** The wx harness itself: what it loads, what `wx` covers, and how it reports what is not simulated. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { MiniProgramOptions } from '../src/miniprogram/index.js';
import { startSandbox } from '../src/index.js';
import { useShop } from './support/miniprogram-shop.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/miniprogram/', import.meta.url));

/** A mini-program made of the given files in a fresh temp dir. */
function miniProgram(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'payjs-mp-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const appJson = (extra: object = {}) => JSON.stringify({ pages: ['pages/index/index'], navigateToMiniProgramAppIdList: ['wx959c8c1fb2d877b5'], ...extra });

const shop = useShop('miniprogram');
const load = (dir: string, options: Partial<MiniProgramOptions> = {}) => shop.load({ dir, ...options });

describe('the wx harness', () => {
  it('an unsupported wx API throws "not simulated: wx.X" from the code that uses it', async () => {
    const dir = miniProgram({
      'app.json': appJson(),
      'app.js': 'App({})',
      'pages/index/index.js': "Page({ onLoad() { wx.getLocation({ type: 'gcj02' }); } })",
    });
    const mp = await load(dir);
    await expect(mp.launch()).rejects.toThrow(/^not simulated: wx\.getLocation/);
    expect(() => mp.wx.requestPayment({})).toThrow('not simulated: wx.requestPayment');
    expect(mp.wx.canIUse('navigateToMiniProgram')).toBe(true);
    expect(mp.wx.canIUse('login')).toBe(false);
  });

  it('APIs can be added: createMiniProgram({ wx: { login } })', async () => {
    const dir = miniProgram({
      'app.json': appJson(),
      'app.js': "App({ onLaunch() { wx.login({ success: (r) => { this.code = r.code; } }); } })",
      'pages/index/index.js': 'Page({})',
    });
    const mp = await load(dir, { wx: { login: (o: { success(r: object): void }) => o.success({ code: 'test-code' }) } });
    await mp.launch();
    expect(mp.getApp()?.code).toBe('test-code');
  });

  it('navigateToMiniProgram is refused when app.json does not list the appId', async () => {
    // The example mini-program, with an app.json that forgot navigateToMiniProgramAppIdList.
    const dir = miniProgram({ 'app.json': JSON.stringify({ pages: ['pages/pay/pay'] }) });
    for (const part of ['pages', 'components', 'app.js', 'config.js']) cpSync(join(FIXTURE, part), join(dir, part), { recursive: true });
    const mp = await load(dir);
    await mp.launch();
    await mp.tap('onPay');
    expect(mp.payjs.pending).toBeUndefined();
    expect(mp.currentPage().data).toMatchObject({ status: 'error', message: expect.stringMatching(/^navigateToMiniProgram:fail appId "wx959c8c1fb2d877b5" is not in navigateToMiniProgramAppIdList/) });
    await expect(mp.payjs.pay()).rejects.toThrow(/no jump to the PAYJS mini-program is pending/);
  });

  it('the promise style of navigateToMiniProgram rejects with errMsg, as WeChat does', async () => {
    const dir = miniProgram({ 'app.json': appJson(), 'app.js': 'App({})', 'pages/index/index.js': 'Page({})' });
    const mp = await load(dir);
    await mp.launch();
    await expect(mp.wx.navigateToMiniProgram({ appId: 'wx0000000000000000' })).rejects.toEqual({ errMsg: expect.stringContaining('navigateToMiniProgram:fail appId "wx0000000000000000"') });
  });

  it('a page that reads the result in its own onShow misses it when the page shows first', async () => {
    const files = {
      'app.json': appJson(),
      'app.js': `App({ globalData: {}, onShow(o) { if (o.scene === 1038 && o.referrerInfo.appId === 'wx959c8c1fb2d877b5') this.globalData.result = o.referrerInfo.extraData; } })`,
      'pages/index/index.js': `Page({ data: { seen: null }, onShow() { const r = getApp().globalData.result; this.setData({ seen: r ? r.resultCode : null }); } })`,
    };
    const extraData = { mchid: '1234567890', total_fee: 1, out_trade_no: 'NAIVE1', nonce: 'n1', sign: 'bad' };
    for (const [showOrder, seen] of [['app-first', 'ERROR'], ['page-first', null]] as const) {
      const mp = await load(miniProgram(files), { showOrder });
      await mp.launch();
      await mp.wx.navigateToMiniProgram({ appId: 'wx959c8c1fb2d877b5', extraData });
      await mp.payjs.pay();
      expect(mp.currentPage().data.seen).toBe(seen);
      mp.close();
    }
  });

  it('wx.onAppShow listeners hear the return, and offAppShow removes them', async () => {
    const dir = miniProgram({
      'app.json': appJson(),
      'app.js': 'App({})',
      'pages/index/index.js': `Page({ data: { scenes: [] },
        onLoad() { this.listener = (o) => this.setData({ scenes: this.data.scenes.concat(o.scene) }); wx.onAppShow(this.listener); },
        stop() { wx.offAppShow(this.listener); } })`,
    });
    const mp = await load(dir);
    await mp.launch();
    await mp.wx.navigateToMiniProgram({ appId: 'wx959c8c1fb2d877b5', extraData: {} });
    await mp.payjs.cancel();
    await mp.tap('stop');
    await mp.wx.navigateToMiniProgram({ appId: 'wx959c8c1fb2d877b5', extraData: {} });
    await mp.payjs.cancel();
    expect(mp.currentPage().data.scenes).toEqual([1038]);
  });

  it('loads components, runs their observers, and records every setData', async () => {
    const mp = await load(FIXTURE);
    await mp.launch({ query: { total_fee: '1234' } });
    // The page's WXML placed one <price fee="{{totalFee}}">; its observer followed the binding.
    expect(mp.find('price').component?.data.yuan).toBe('12.34');
    const before = mp.setDataCalls.length;
    const price = mp.createComponent('components/price/price', { fee: 1234 });
    expect(price.data.yuan).toBe('12.34');
    price.setData({ fee: 5 });
    expect(price.data.yuan).toBe('0.05');
    expect(mp.setDataCalls.find((c) => c.route === 'pages/pay/pay')).toEqual({ route: 'pages/pay/pay', data: { totalFee: 1234 } });
    expect(mp.setDataCalls.slice(before).map((c) => c.data)).toEqual([{ fee: 1234 }, { yuan: '12.34' }, { fee: 5 }, { yuan: '0.05' }]);
  });

  it('navigates between pages with WeChat lifecycles, relative URLs and raw query values', async () => {
    const log = (name: string) => `${name}() { getApp().log.push(this.route + ' ${name}'); }`;
    const page = `Page({ ${['onLoad', 'onShow', 'onReady', 'onHide', 'onUnload'].map(log).join(', ')} })`;
    const dir = miniProgram({
      'app.json': appJson({ pages: ['pages/a/a', 'pages/b/b'] }),
      'app.js': 'App({ log: [] })',
      'pages/a/a.js': page,
      'pages/b/b.js': page,
    });
    const mp = await load(dir);
    await mp.launch();
    await mp.wx.navigateTo({ url: '../b/b?x=%E4%B8%AD' });
    expect(mp.currentPage().options).toEqual({ x: '%E4%B8%AD' });
    expect(mp.pages().map((p) => p.route)).toEqual(['pages/a/a', 'pages/b/b']);
    await mp.wx.navigateBack();
    await expect(mp.wx.navigateBack()).rejects.toEqual({ errMsg: 'navigateBack:fail cannot navigate back at first page.' });
    await expect(mp.wx.redirectTo({ url: '/pages/none/none' })).rejects.toEqual({ errMsg: 'redirectTo:fail page "pages/none/none" is not found' });
    await mp.wx.reLaunch({ url: '/pages/b/b' });
    expect(mp.getApp()?.log).toEqual([
      'pages/a/a onLoad', 'pages/a/a onShow', 'pages/a/a onReady', 'pages/a/a onHide',
      'pages/b/b onLoad', 'pages/b/b onShow', 'pages/b/b onReady', 'pages/b/b onUnload', 'pages/a/a onShow',
      'pages/a/a onUnload', 'pages/b/b onLoad', 'pages/b/b onShow', 'pages/b/b onReady',
    ]);
  });

  it('storage, showModal with a chosen answer, system info, and require within the directory', async () => {
    const dir = miniProgram({
      'app.json': appJson(),
      'app.js': 'App({})',
      'utils/money.js': 'exports.yuan = (fen) => (fen / 100).toFixed(2);',
      'pages/index/index.js': `const { yuan } = require('../../utils/money');
        Page({ data: {}, async ask() {
          wx.setStorageSync('cart', { fen: 250 });
          const r = await wx.showModal({ title: '确认', content: '支付 ¥' + yuan(wx.getStorageSync('cart').fen) });
          const got = await wx.getStorage({ key: 'cart' });
          this.setData({ confirmed: r.confirm, fen: got.data.fen, missing: wx.getStorageSync('none'), sdk: wx.getSystemInfoSync().SDKVersion });
        } })`,
    });
    const mp = await load(dir, { modal: 'cancel', storage: { token: 'abc' } });
    await mp.launch();
    await mp.tap('ask');
    expect(mp.currentPage().data).toMatchObject({ confirmed: false, fen: 250, missing: '', sdk: expect.any(String) });
    expect(mp.ui).toEqual([{ api: 'showModal', options: { title: '确认', content: '支付 ¥2.50' } }]);
    expect(mp.wx.getStorageSync('token')).toBe('abc');
    await expect(mp.wx.getStorage({ key: 'none' })).rejects.toEqual({ errMsg: 'getStorage:fail data not found' });
  });

  it('settles after the timeouts a page sets, and waitFor follows setData', async () => {
    const dir = miniProgram({
      'app.json': appJson(),
      'app.js': 'App({})',
      'pages/index/index.js': `Page({ data: { n: 0 },
        onLoad() { this.tick(); setInterval(() => {}, 1000); },
        tick() { this.setData({ n: this.data.n + 1 }); if (this.data.n < 3) setTimeout(() => this.tick(), 5); },
        later() { setTimeout(() => this.setData({ done: true }), 20); } })`,
    });
    const mp = await load(dir);
    await mp.launch();
    expect(mp.currentPage().data.n).toBe(3);
    (mp.currentPage().later as () => void)();
    await mp.waitFor(() => mp.currentPage().data.done === true);
    await expect(mp.waitFor(() => false, { timeout: 50 })).rejects.toThrow('waitFor: the condition did not hold within 50 ms');
  });

  it("sends the sandbox's control token when the sandbox listens beyond loopback", async () => {
    const open = await startSandbox({ host: '0.0.0.0' });
    try {
      const dir = miniProgram({ 'app.json': appJson(), 'app.js': 'App({})', 'pages/index/index.js': 'Page({})' });
      const mp = await shop.load({ dir, sandbox: open });
      await mp.launch();
      await mp.wx.navigateToMiniProgram({ appId: 'wx959c8c1fb2d877b5', extraData: {} });
      await expect(mp.payjs.cancel()).resolves.toMatchObject({ onShowOptions: { scene: 1038 } });
      const bare = await fetch(`${open.url}/__sandbox/miniprogram/pay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(bare.status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('an error thrown in a callback surfaces from the next await, with its file and line', async () => {
    const dir = miniProgram({
      'app.json': appJson(),
      'app.js': 'App({ onError(e) { this.seen = e; } })',
      'pages/index/index.js': `Page({ go() {
        wx.showToast({ title: 'x', success: () => {
          null.boom;
        } });
      } })`,
    });
    const mp = await load(dir);
    await mp.launch();
    const error = await mp.tap('go').catch((e: Error) => e);
    expect(String(error)).toMatch(/Cannot read properties of null/);
    expect((error as Error).stack).toContain(`${join(dir, 'pages/index/index.js')}:3`);
    expect(mp.getApp()?.seen).toMatch(/Cannot read properties of null/);
  });

  it('says what is wrong with a directory it cannot load', async () => {
    await expect(load(tmpdir() + '/nothing-here')).rejects.toThrow(/no app\.json/);
    await expect(load(miniProgram({ 'app.json': appJson(), 'app.js': 'App({})' }))).rejects.toThrow('app.json lists the page "pages/index/index" but pages/index/index.js is missing');
    const esm = miniProgram({ 'app.json': appJson(), 'app.js': "import x from './x';\nApp({})" });
    await expect(load(esm)).rejects.toThrow(/uses import\/export/);
    expect(readFileSync(join(esm, 'app.js'), 'utf8')).toContain('import');
  });
});
