/** WXML as the harness renders it: bindings, conditions, lists, templates, wxs, components and
 * WeChat's event rules, and the errors a broken view gives. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../src/index.js';
import { createMiniProgram, type MiniProgram } from '../src/miniprogram/index.js';

let sandbox: Sandbox;
let mp: MiniProgram | undefined;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterEach(() => mp?.close());
afterAll(() => sandbox.close());

/** A mini-program of one page (pages/index/index) and the given files. */
async function open(files: Record<string, string>): Promise<MiniProgram> {
  const dir = mkdtempSync(join(tmpdir(), 'payjs-wxml-'));
  const all = { 'app.json': JSON.stringify({ pages: ['pages/index/index'], navigateToMiniProgramAppIdList: ['wx959c8c1fb2d877b5'] }), 'app.js': 'App({})', ...files };
  for (const [name, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  mp = await createMiniProgram({ dir, sandbox });
  return mp;
}

const component = (js: string, wxml: string, json: object = {}) => ({ js, wxml, json: JSON.stringify({ component: true, ...json }) });
const files = (path: string, c: { js: string; wxml: string; json: string }) => ({ [`${path}.js`]: c.js, [`${path}.wxml`]: c.wxml, [`${path}.json`]: c.json });

describe('WXML rendering', () => {
  it('bindings, wx:if/elif/else, hidden, wx:for with item/index/key, block, template, import, include and wxs', async () => {
    const mp = await open({
      'pages/index/index.js': `Page({ data: { n: 2, list: [{ id: 'a', fee: 150 }, { id: 'b', fee: 5 }], show: false, user: { name: 'Li' } } })`,
      'pages/index/index.wxml': `<import src="/tpl/card.wxml" />
<wxs module="m">module.exports = { yuan: function (f) { return (f / 100).toFixed(2) } }</wxs>
<view id="top" class="a {{n > 1 ? 'many' : 'one'}}">{{user.name}} has {{n * 2}} {{missing.path}}</view>
<view wx:if="{{n === 1}}">one</view><view wx:elif="{{n === 2}}">two</view><view wx:else>other</view>
<view hidden="{{!show}}" class="secret">secret</view>
<block wx:for="{{list}}" wx:for-item="row" wx:for-index="i" wx:key="id"><text class="row" data-row-id="{{row.id}}">{{i}}:{{m.yuan(row.fee)}}</text></block>
<template is="card" data="{{...user, n}}" />
<include src="../../tpl/footer.wxml" />`,
      'tpl/card.wxml': `<template name="card"><view class="card">{{name}} #{{n}}</view></template>`,
      'tpl/footer.wxml': `<template name="unused"><view>no</view></template><view class="footer">{{user.name}}</view>`,
    });
    await mp.launch();
    expect(mp.text().split('\n')).toEqual(['Li has 4', 'two', '0:1.50', '1:0.05', 'Li #2', 'Li']);
    expect(mp.find('#top').attrs.class).toBe('a many');
    expect(mp.findAll('text.row').map((r) => r.dataset)).toEqual([{ rowId: 'a' }, { rowId: 'b' }]);
    expect(mp.find('[data-row-id=b]').text).toBe('1:0.05');
    expect(mp.find('.secret').text).toBe('');
    mp.currentPage().setData({ show: true, n: 7 });
    expect(mp.find('.secret').text).toBe('secret');
    expect(mp.text()).toContain('other');
    expect(mp.html()).toContain('<view id="top" class="a many">Li has 14 </view>');
  });

  it('components: typed properties with defaults follow bindings, observers run, slots, nested and in wx:for, lifetimes in order', async () => {
    const log = `getApp().log.push`;
    const badge = component(
      `Component({ properties: { count: { type: Number, value: 9 }, label: String }, data: { double: 0 },
        observers: { count(c) { this.setData({ double: c * 2 }); } },
        lifetimes: { attached() { ${log}('badge attached ' + this.data.count); }, ready() { ${log}('badge ready'); }, detached() { ${log}('badge detached ' + this.data.count); } } })`,
      `<text class="badge">{{label}}={{count}}/{{double}}</text>`,
    );
    const box = component(`Component({ pageLifetimes: { show() { ${log}('box show'); } } })`, `<view class="box"><slot /><badge count="1" label="inner" /></view>`, { usingComponents: { badge: '/components/badge/badge' } });
    const mp = await open({
      'app.js': 'App({ log: [] })',
      ...files('components/badge/badge', badge),
      ...files('components/box/box', box),
      'pages/index/index.json': JSON.stringify({ usingComponents: { badge: '../../components/badge/badge', box: '/components/box/box' } }),
      'pages/index/index.js': `Page({ data: { items: [3, 4], on: true }, onLoad() { ${log}('page onLoad'); }, onReady() { ${log}('page onReady'); } })`,
      'pages/index/index.wxml': `<box><text class="slotted">in slot</text></box><badge wx:for="{{items}}" wx:key="*this" count="{{item}}" label="n{{index}}" /><badge wx:if="{{on}}" />`,
    });
    await mp.launch();
    expect(mp.findAll('.badge').map((b) => b.text)).toEqual(['inner=1/2', 'n0=3/6', 'n1=4/8', '=9/0']);
    expect(mp.find('box .box .slotted').text).toBe('in slot');
    expect(getLog(mp).slice(0, 6)).toEqual(['badge attached 1', 'badge attached 3', 'badge attached 4', 'badge attached 9', 'page onLoad', 'box show']);
    expect(getLog(mp).slice(6)).toEqual(['badge ready', 'badge ready', 'badge ready', 'badge ready', 'page onReady']);
    mp.currentPage().setData({ items: [4], on: false });
    expect(mp.findAll('.badge').map((b) => b.text)).toEqual(['inner=1/2', 'n0=4/8']);
    expect(getLog(mp).slice(11)).toEqual(['badge detached 3', 'badge detached 9']);
  });
  const getLog = (mp: MiniProgram) => mp.getApp()!.log as string[];

  it("events: bubbling and catch, capture, mut-bind, dataset and mark, and a component's bubbles/composed as WeChat documents them", async () => {
    const my = component(`Component({ methods: { fire(e) { this.triggerEvent('custom', { n: 1 }, e.currentTarget.dataset.opts); } } })`, `<view bindcustom="mine"><button class="fire-plain" bindtap="fire" data-opts="{{ {} }}" /><button class="fire-bubbles" bindtap="fire" data-opts="{{ { bubbles: true } }}" /><button class="fire-composed" bindtap="fire" data-opts="{{ { bubbles: true, composed: true } }}" /></view>`);
    const another = component('Component({ methods: { another(e) { getApp().log.push("another " + e.type); } } })', `<view bindcustom="another"><slot /></view>`);
    const handler = (name: string) => `${name}(e) { getApp().log.push('${name} ' + e.type + ' ' + e.currentTarget.id + ' ' + e.target.id + ' ' + JSON.stringify(e.mark) + ' ' + JSON.stringify(e.detail)); }`;
    const mp = await open({
      'app.js': 'App({ log: [] })',
      ...files('components/my/my', my),
      ...files('components/another/another', another),
      'pages/index/index.json': JSON.stringify({ usingComponents: { my: '/components/my/my', another: '/components/another/another' } }),
      'pages/index/index.js': `Page({ ${['outer', 'middle', 'inner', 'cap', 'mut1', 'mut2', 'p1', 'p2'].map(handler).join(', ')} })`,
      'pages/index/index.wxml': `<view id="outer" bindtap="outer" capture-bind:tap="cap" mark:a="1"><view id="middle" catchtap="middle" mut-bind:tap="mut1"><view id="inner" bindtap="inner" mut-bind:tap="mut2" mark:b="2">x</view></view></view>
<another id="an" bindcustom="p1"><my id="my" bindcustom="p2" /></another>`,
    });
    await mp.launch();
    await mp.find('#inner').tap();
    expect(getLog(mp).splice(0)).toEqual([
      'cap tap outer inner {"a":"1","b":"2"} {"x":0,"y":0}',
      'inner tap inner inner {"a":"1","b":"2"} {"x":0,"y":0}',
      'mut2 tap inner inner {"a":"1","b":"2"} {"x":0,"y":0}',
      'middle tap middle inner {"a":"1","b":"2"} {"x":0,"y":0}',
    ]);
    await mp.find('.fire-plain').tap();
    expect(getLog(mp).splice(0)).toEqual(['p2 custom my my {} {"n":1}']);
    await mp.find('.fire-bubbles').tap();
    expect(getLog(mp).splice(0)).toEqual(['p2 custom my my {} {"n":1}', 'p1 custom an my {} {"n":1}']);
    await mp.find('.fire-composed').tap();
    expect(getLog(mp).splice(0)).toEqual(['p2 custom my my {} {"n":1}', 'another custom', 'p1 custom an my {} {"n":1}']);
  });

  it('input(value) fires bindinput and writes model:value back', async () => {
    const mp = await open({
      'pages/index/index.js': `Page({ data: { name: '' }, typed(e) { this.setData({ echo: e.detail.value }); } })`,
      'pages/index/index.wxml': `<input class="name" model:value="{{name}}" bindinput="typed" /><text>{{echo}}</text>`,
    });
    await mp.launch();
    await mp.find('input.name').input('张三');
    expect(mp.currentPage().data).toMatchObject({ name: '张三', echo: '张三' });
  });

  it('a handler that does not exist is a warning, as WeChat only logs it', async () => {
    const mp = await open({ 'pages/index/index.js': 'Page({})', 'pages/index/index.wxml': `<button bindtap="nope">x</button>` });
    await mp.launch();
    await mp.find('button').tap();
    expect(mp.warnings).toEqual([expect.stringMatching(/^pages\/index\/index\.wxml:1:1: pages\/index\/index has no method "nope" to handle the "tap" event/)]);
  });

  it.each([
    ['an unclosed tag', `<view>\n  <text>hi</view>`, /^pages\/index\/index\.wxml:2:3: <text> is not closed/],
    ['a close tag that closes nothing', `<view></view></text>`, /^pages\/index\/index\.wxml:1:14: <\/text> closes no open tag/],
    ['an unterminated mustache', `<view>{{a</view>`, /^pages\/index\/index\.wxml:1:7: "\{\{" is not closed/],
    ['an expression that does not parse', `<view class="{{a +* b}}"></view>`, /^pages\/index\/index\.wxml:1:\d+: \{\{a \+\* b\}\} does not parse/],
    ['an unknown component-like tag', `<view>\n <payjs params="{{p}}" /></view>`, /^pages\/index\/index\.wxml:2:2: <payjs> is no built-in component and not in usingComponents of pages\/index\/index\.json/],
    ['an expression that throws', `<wxs module="m">module.exports = { f: function () { throw new Error('bad') } }</wxs>\n<view>{{m.f()}}</view>`, /^pages\/index\/index\.wxml:2:9: \{\{m\.f\(\)\}\} threw: bad/],
    ['a call of a non-wxs function', `<view>{{fee.toFixed(2)}}</view>`, /WXML calls only functions of <wxs> modules/],
  ])('%s: launch() throws with file:line:col', async (_, wxml, message) => {
    const mp = await open({ 'pages/index/index.js': 'Page({ data: { fee: 1 } })', 'pages/index/index.wxml': wxml });
    await expect(mp.launch()).rejects.toThrow(message);
  });

  it('an expression that starts throwing after a setData surfaces from settle()', async () => {
    const mp = await open({
      'pages/index/index.js': `Page({ data: { on: false } })`,
      'pages/index/index.wxml': `<wxs module="m">module.exports = { f: function () { throw new Error('late') } }</wxs><view wx:if="{{on}}">{{m.f()}}</view>`,
    });
    await mp.launch();
    mp.currentPage().setData({ on: true });
    await expect(mp.settle()).rejects.toThrow(/index\.wxml:1:\d+: \{\{m\.f\(\)\}\} threw: late/);
  });
});

describe('extraData with undefined values', () => {
  it('the PAYJS mini-program refuses it naming the keys and the likely cause; mp.warnings has it too', async () => {
    const mp = await open({
      // The docs' fragment: response['mchid'] where wx.request puts the answer in response.data.
      'pages/index/index.js': `Page({ go() { const response = { data: { mchid: '1234567890' } };
        wx.navigateToMiniProgram({ appId: 'wx959c8c1fb2d877b5', extraData: { mchid: response['mchid'], total_fee: response['total_fee'], out_trade_no: 'X1', nonce: 'n', sign: 's' } }); } })`,
    });
    await mp.launch();
    await mp.tap('go');
    expect(mp.warnings).toEqual([expect.stringContaining("extraData.mchid, extraData.total_fee are undefined, and the PAYJS mini-program will refuse the jump. The docs' fragment reads response['mchid'], but wx.request puts your back end's answer in response.data")]);
    const { onShowOptions, order } = await mp.payjs.pay();
    expect(order).toBeNull();
    expect(onShowOptions.referrerInfo.extraData).toMatchObject({ success: false, resultCode: 'ERROR', msg: expect.stringMatching(/^参数为空：mchid, total_fee \(.*response\.data\.mchid\)$/) });
  });
});
