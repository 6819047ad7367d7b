import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AppJson } from './navigator.js';

/** The harness's options and the files of a mini-program: app.json and its JavaScript. */

/** Which `onShow` runs first when the app comes back from PAYJS: WeChat does not promise an order. */
export type ShowOrder = 'app-first' | 'page-first';

export interface MiniProgramOptions {
  /** The mini-program directory: app.json, app.js, pages/**, components/**. */
  dir: string;
  /** The sandbox (from startSandbox) or anything with its `url` (and `controlToken`, if it has one). */
  sandbox: { url: string; controlToken?: string };
  /** Default 'app-first': App.onShow (and wx.onAppShow listeners), then the page's onShow. */
  showOrder?: ShowOrder;
  /** Play WeChat's rule that `wx.navigateToMiniProgram` works only inside a user's tap (default
   * false): a jump from a component's `attached`, a request callback or a timer then fails with
   * "can only be invoked by user TAP gesture.", and only a tapped `<navigator target="miniProgram">`
   * or a handler run by `find(…).tap()` / `tap(method)` may jump. */
  userTapRequired?: boolean;
  /** URL prefixes `wx.request` rewrites: `{ 'https://shop.example.com': merchant.url }`. */
  hosts?: Record<string, string>;
  /** What the user taps in every `wx.showModal` (default 'confirm'), or a function of its options. */
  modal?: 'confirm' | 'cancel' | ((options: Record<string, unknown>) => 'confirm' | 'cancel');
  /** Storage at launch. */
  storage?: Record<string, unknown>;
  /** Merged into what `wx.getSystemInfoSync()` answers. */
  systemInfo?: Record<string, unknown>;
  /** More `wx` APIs, or replacements: `{ login: (o) => o.success({ code: 'test' }) }`. */
  wx?: Record<string, unknown>;
  /** The control token, when the sandbox listens beyond loopback (default: the sandbox's). */
  token?: string;
  /** How long `settle()` waits (ms, default 5000). */
  timeout?: number;
  /** Where the mini-program's console goes besides `mp.logs` (default: nowhere). */
  console?: Pick<Console, 'log' | 'warn' | 'error'>;
  fetch?: typeof globalThis.fetch;
}

/** One `setData`, as recorded on `mp.setDataCalls`: the page route or component path, and the patch. */
export interface SetDataCall {
  route: string;
  data: Record<string, unknown>;
}

export interface LaunchOptions {
  path?: string;
  query?: Record<string, string>;
  scene?: number;
  referrerInfo?: Record<string, unknown>;
}

/** What `wx.getSystemInfoSync()` answers unless options.systemInfo says otherwise. */
export const SYSTEM_INFO = {
  brand: 'devtools', model: 'iPhone 12/13 (Pro)', pixelRatio: 3, screenWidth: 390, screenHeight: 844, windowWidth: 390,
  windowHeight: 753, statusBarHeight: 47, language: 'zh_CN', version: '8.0.5', system: 'iOS 10.0.1', platform: 'devtools',
  fontSizeSetting: 16, SDKVersion: '3.3.4', theme: 'light',
};

/** Reads and checks app.json. */
export function readAppJson(dir: string): AppJson {
  const file = join(dir, 'app.json');
  if (!existsSync(file)) throw new Error(`no app.json in ${dir}: createMiniProgram({ dir }) takes the mini-program's root directory`);
  let json: AppJson;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`app.json does not parse: ${(err as Error).message}`);
  }
  if (!Array.isArray(json.pages) || json.pages.length === 0) throw new Error('app.json lists no "pages"');
  return json;
}

/** The .js files under `dir/sub`, sorted. */
export function jsFiles(dir: string, sub: string): string[] {
  const root = join(dir, sub);
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.js'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
