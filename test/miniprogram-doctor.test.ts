/** `payjs-sandbox doctor <dir>` on the example mini-program and on broken copies of it. */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/cli.js';
import { doctor } from '../src/cli/doctor.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/miniprogram/', import.meta.url));
const BIN = fileURLToPath(new URL('../dist/cli/bin.js', import.meta.url));

/** A copy of the example mini-program with some files replaced. */
function brokenCopy(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'payjs-doctor-')), 'mp');
  cpSync(FIXTURE, dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function cli(args: string[]): Promise<{ code: number | unknown; lines: string[] }> {
  const lines: string[] = [];
  const code = await runCli(args, {}, (l) => lines.push(l), (l) => lines.push(l));
  return { code, lines };
}

describe('payjs-sandbox doctor', () => {
  it('finds nothing wrong with the example mini-program and exits 0', async () => {
    const { code, lines } = await cli(['doctor', FIXTURE]);
    expect(code).toBe(0);
    expect(lines).toEqual([expect.stringMatching(/^no problems in .*: app\.json lists wx959c8c1fb2d877b5; 1 onShow handler read$/)]);
  });

  it('points at app.json when navigateToMiniProgramAppIdList lacks PAYJS, and at an onShow that checks neither scene nor appId, and exits 1', async () => {
    const dir = brokenCopy({
      'app.json': JSON.stringify({ pages: ['pages/pay/pay'], navigateToMiniProgramAppIdList: ['wx0000000000000000'] }, null, 2),
      'app.js': ['App({', '  globalData: {},', '  onShow(options) {', '    this.globalData.payjsResult = options.referrerInfo.extraData;', '  },', '});', ''].join('\n'),
    });
    const { code, lines } = await cli(['doctor', dir]);
    expect(code).toBe(1);
    expect(lines).toEqual([
      expect.stringMatching(/^app\.json:5: navigateToMiniProgramAppIdList does not list wx959c8c1fb2d877b5/),
      expect.stringMatching(/^app\.js:3: App onShow reads the PAYJS result without checking options\.scene === 1038/),
      expect.stringMatching(/^app\.js:3: App onShow reads the PAYJS result without checking options\.referrerInfo\.appId === 'wx959c8c1fb2d877b5'/),
      // That App.onShow no longer hands the result to the page: the page's onShow now races it.
      expect.stringMatching(/^pages\/pay\/pay\.js:\d+: page onShow reads globalData\.payjsResult, which App\.onShow sets/),
      expect.stringMatching(/^4 problems in /),
    ]);
  });

  it('reads wx.onAppShow handlers, named or inline, and destructured parameters', () => {
    const dir = brokenCopy({
      'app.js': 'App({})\n',
      'pages/pay/pay.js': [
        'Page({',
        '  onLoad() {',
        '    wx.onAppShow(({ scene, referrerInfo }) => {',
        "      if (scene === 1038 && referrerInfo.appId === 'wx959c8c1fb2d877b5') this.done(referrerInfo.extraData);",
        '    });',
        '    wx.onAppShow(this.onBack);',
        '  },',
        '  // onShow(o) { o.referrerInfo } is a comment, not code',
        '  onBack(options) {',
        '    if (options.scene === 1038) this.done(options.referrerInfo.extraData);',
        '  },',
        '});',
      ].join('\n'),
    });
    expect(doctor(dir)).toEqual({
      handlers: 2,
      findings: [{ file: 'pages/pay/pay.js', line: 6, message: expect.stringContaining('wx.onAppShow handler reads the PAYJS result without checking options.referrerInfo.appId') }],
    });
  });

  it('flags a page onShow that reads what App.onShow sets, with no wait or retry (the onShow race)', () => {
    const app = ['App({', '  globalData: {},', '  onShow(options) {', "    if (options.scene === 1038 && options.referrerInfo.appId === 'wx959c8c1fb2d877b5') this.globalData.payjsResult = options.referrerInfo.extraData;", '  },', '});', ''].join('\n');
    const page = ['Page({', '  data: {},', '  onShow() {', '    const r = getApp().globalData.payjsResult;', '    if (r) this.setData({ r });', '  },', '});', ''].join('\n');
    expect(doctor(brokenCopy({ 'app.js': app, 'pages/pay/pay.js': page })).findings).toEqual([
      { file: 'pages/pay/pay.js', line: 3, message: expect.stringMatching(/^page onShow reads globalData\.payjsResult, which App\.onShow sets: .*eachShowOrder/) },
    ]);
    const retried = page.replace('const r = getApp().globalData.payjsResult;', 'setTimeout(() => this.setData({ r: getApp().globalData.payjsResult }), 50); const r = 0;');
    expect(doctor(brokenCopy({ 'app.js': app, 'pages/pay/pay.js': retried })).findings).toEqual([]);
  });

  it('says so when no handler reads the result at all', () => {
    const dir = brokenCopy({ 'app.js': 'App({ onShow() { wx.reportAnalytics("show", {}); } })\n' });
    // The example page reads globalData only: nothing reads referrerInfo any more.
    expect(doctor(dir).findings).toEqual([{ file: 'app.js', line: 1, message: expect.stringContaining('no App onShow or wx.onAppShow handler reads options.referrerInfo') }]);
  });

  it('without a directory it prints its usage and exits 2', async () => {
    expect(await cli(['doctor'])).toEqual({ code: 2, lines: [expect.stringMatching(/^Usage: payjs-sandbox doctor <mini-program dir>/)] });
  });

  it('runs from the installed binary with file:line output and exit codes', async () => {
    const run = promisify(execFile);
    await expect(run(process.execPath, [BIN, 'doctor', FIXTURE])).resolves.toMatchObject({ stdout: expect.stringContaining('no problems') });
    const bad = brokenCopy({ 'app.json': '{ "pages": ["pages/pay/pay"] }' });
    const failed = await run(process.execPath, [BIN, 'doctor', bad]).catch((e: { code: number; stdout: string }) => e);
    expect(failed).toMatchObject({ code: 1, stdout: expect.stringContaining('app.json:1: navigateToMiniProgramAppIdList does not list wx959c8c1fb2d877b5') });
  });
});
