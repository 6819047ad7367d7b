import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import { PAYJS_MINIPROGRAM_APPID } from '../core/protocol.js';
import { Activity } from './activity.js';
import { ModuleLoader } from './loader.js';
import type { Definition, Fn, Instance, InstanceHost } from './instance.js';
import { Lifecycle } from './lifecycle.js';
import { Navigator, type AppJson } from './navigator.js';
import { SYSTEM_INFO, jsFiles, readAppJson, type LaunchOptions, type MiniProgramOptions, type SetDataCall } from './app-files.js';
export type { LaunchOptions, MiniProgramOptions, SetDataCall, ShowOrder } from './app-files.js';
import type { PayAnswer, PayerChoice } from '../app/payjs-miniprogram.js';
import { createWx, type Jump, type RequestRecord, type UiCall, type WxHost } from './wx.js';

/**
 * A merchant mini-program running in Node against the sandbox: its app.js, pages and components in
 * one vm context with `App`, `Page`, `Component`, `getApp`, `getCurrentPages`, `require` and `wx`.
 */
export class MiniProgram {
  readonly dir: string;
  readonly appJson: AppJson;
  /** Every setData, oldest first. */
  readonly setDataCalls: SetDataCall[] = [];
  /** showModal, showToast, showLoading, … calls, oldest first. */
  readonly ui: UiCall[] = [];
  readonly requests: RequestRecord[] = [];
  /** Events components sent with triggerEvent. */
  readonly events: { component: string; name: string; detail: unknown }[] = [];
  /** What the mini-program logged. */
  readonly logs: { level: string; args: unknown[] }[] = [];
  /** Errors the mini-program threw that `settle()` has not reported yet. */
  readonly errors: Error[];
  /** wx storage, as JSON strings. */
  readonly storage = new Map<string, string>();
  /** The simulated PAYJS mini-program: what the payer does after `wx.navigateToMiniProgram`. */
  readonly payjs: { readonly pending: Jump | undefined; readonly jumps: Jump[]; pay(): Promise<PayAnswer>; fail(): Promise<PayAnswer>; cancel(): Promise<PayAnswer> };
  /** The `wx` object the mini-program sees. */
  readonly wx: Record<string, Fn>;

  private app: Instance | undefined;
  private readonly context: vm.Context;
  private readonly loader: ModuleLoader;
  private readonly nav: Navigator;
  private readonly components = new Map<string, Definition>();
  private readonly life: Lifecycle;
  private readonly activity: Activity;
  private readonly appShow = new Set<Fn>();
  private readonly appHide = new Set<Fn>();
  private readonly abort = new AbortController();
  private readonly clone: <T>(value: T) => T;
  private readonly host: InstanceHost & WxHost;
  private jump: Jump | undefined;
  private readonly jumps: Jump[] = [];
  private launchOptions: Record<string, unknown> | undefined;
  private enterOptions: Record<string, unknown> | undefined;
  private launched = false;

  constructor(private readonly options: MiniProgramOptions) {
    this.dir = resolve(options.dir);
    this.appJson = readAppJson(this.dir);
    for (const [k, v] of Object.entries(options.storage ?? {})) this.storage.set(k, JSON.stringify(v));
    this.activity = new Activity((message) => {
      if (typeof this.app?.onError === 'function') (this.app.onError as Fn).call(this.app, message);
    });
    this.errors = this.activity.errors;
    this.context = vm.createContext({ console: this.console() }, { name: `mini-program ${this.dir}` });
    this.clone = vm.runInContext('(function (v) { return v === undefined ? undefined : JSON.parse(JSON.stringify(v)); })', this.context);
    this.host = this.makeHost();
    this.wx = createWx(this.host, options.wx);
    this.loader = new ModuleLoader(this.dir, this.context);
    this.life = new Lifecycle(this.host, () => this.nav);
    this.nav = new Navigator(this.appJson, this.life);
    Object.assign(this.context, this.globals(), this.activity.timerGlobals());
    const that = this;
    this.payjs = {
      get pending() {
        return that.jump;
      },
      jumps: this.jumps,
      pay: () => this.returnFromPayjs('pay'),
      fail: () => this.returnFromPayjs('fail'),
      cancel: () => this.returnFromPayjs('cancel'),
    };
  }

  /** Runs app.js, every page of app.json and every file under components/ (called by createMiniProgram). */
  load(): void {
    this.loader.load('app');
    if (!this.app) throw new Error('app.js did not call App({ … })');
    for (const route of this.nav.routes) {
      if (!existsSync(join(this.dir, `${route}.js`))) throw new Error(`app.json lists the page "${route}" but ${route}.js is missing`);
      this.loader.load(route);
      if (!this.nav.defined(route)) throw new Error(`${route}.js called neither Page({ … }) nor Component({ … })`);
    }
    for (const file of jsFiles(this.dir, 'components')) this.loader.load(this.loader.route(file));
  }

  /** Starts the app as WeChat does: App.onLaunch, App.onShow, then the entry page's onLoad, onShow, onReady. */
  async launch(options: LaunchOptions = {}): Promise<Instance> {
    if (this.launched) throw new Error('the mini-program is already launched');
    this.launched = true;
    const path = (options.path ?? this.appJson.entryPagePath ?? this.appJson.pages[0]).replace(/^\//, '');
    this.launchOptions = { path, query: options.query ?? {}, scene: options.scene ?? 1001, referrerInfo: options.referrerInfo ?? {}, apiCategory: 'default' };
    this.enterOptions = this.launchOptions;
    this.host.call(this.app, this.app?.onLaunch, [this.clone(this.launchOptions)]);
    this.appShown(this.launchOptions);
    await this.nav.start(path, options.query ?? {});
    await this.settle();
    return this.currentPage();
  }

  /** The page on top of the stack. */
  currentPage(): Instance {
    const page = this.nav.stack.at(-1);
    if (!page) throw new Error('no page is open: call await mp.launch() first');
    return page;
  }

  /** The page stack, as getCurrentPages() returns it. */
  pages(): Instance[] {
    return [...this.nav.stack];
  }

  /** getApp(). */
  getApp(): Instance | undefined {
    return this.app;
  }

  /** Calls a page method as a tap would (`e.currentTarget.dataset`, `e.detail`), then settles. */
  async tap(method: string, dataset: Record<string, unknown> = {}, detail: Record<string, unknown> = {}): Promise<void> {
    const page = this.currentPage();
    if (typeof page[method] !== 'function') throw new Error(`the page ${String(page.route)} has no method ${method}`);
    const target = { id: '', dataset: this.clone(dataset) };
    const result = (page[method] as Fn).call(page, { type: 'tap', timeStamp: Date.now(), target, currentTarget: target, detail: this.clone(detail) });
    if (result && typeof (result as Promise<unknown>).then === 'function') this.activity.track(Promise.resolve(result)).catch(() => {});
    await this.settle();
  }

  /** Creates a component of components/** on the current page (created, attached, ready). */
  createComponent(path: string, properties: Record<string, unknown> = {}): Instance {
    const is = path.replace(/^\//, '').replace(/\.js$/, '');
    const def = this.components.get(is);
    if (!def) throw new Error(`no component "${is}": the harness loads Component({ … }) from components/** (known: ${[...this.components.keys()].join(', ') || 'none'})`);
    return this.life.attach(this.currentPage(), def, is, properties);
  }

  /** Waits until the requests, navigations and timeouts the mini-program started are done; throws
   * what the mini-program threw meanwhile. setInterval timers are not waited for. */
  settle(options: { timeout?: number } = {}): Promise<void> {
    const last = () => this.requests.slice(-3).map((r) => `${r.method} ${r.url}${r.statusCode ? ` ${r.statusCode}` : ''}`);
    return this.activity.settle(options.timeout ?? this.options.timeout ?? 5000, () => (last().length ? `; last requests: ${last().join(', ')}` : ''));
  }

  /** Waits until `predicate()` holds (checked after every setData and finished request). */
  waitFor(predicate: () => boolean, options: { timeout?: number } = {}): Promise<void> {
    return this.activity.waitFor(predicate, options.timeout ?? this.options.timeout ?? 5000);
  }

  /** Stops timers and aborts requests in flight. */
  close(): void {
    this.abort.abort();
    this.activity.close();
  }

  // --- inside ------------------------------------------------------------------------------

  private async returnFromPayjs(action: PayerChoice): Promise<PayAnswer> {
    const jump = this.jump;
    if (!jump) {
      throw new Error(`no jump to the PAYJS mini-program is pending: the app has not called wx.navigateToMiniProgram({ appId: '${PAYJS_MINIPROGRAM_APPID}', extraData }), or the call failed (see mp.requests and mp.errors)`);
    }
    this.jump = undefined;
    const page = this.nav.stack.at(-1);
    const base = this.options.sandbox.url.replace(/\/+$/, '');
    const token = this.options.token ?? this.options.sandbox.controlToken;
    const res = await (this.options.fetch ?? fetch)(`${base}/__sandbox/miniprogram/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { 'x-sandbox-token': token } : {}) },
      body: JSON.stringify({ extraData: jump.extraData ?? null, action, path: page?.route, query: page?.options }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`the sandbox at ${base} answered ${res.status} to the return from PAYJS: ${text.slice(0, 300)}`);
    const answer = JSON.parse(text) as PayAnswer;
    this.enterOptions = answer.onShowOptions as unknown as Record<string, unknown>;
    const appShow = () => this.appShown(answer.onShowOptions as unknown as Record<string, unknown>);
    const pageShow = () => page && this.life.show(page);
    if ((this.options.showOrder ?? 'app-first') === 'app-first') {
      appShow();
      pageShow();
    } else {
      pageShow();
      appShow();
    }
    await this.settle();
    return answer;
  }

  private appShown(options: Record<string, unknown>): void {
    this.host.call(this.app, this.app?.onShow, [this.clone(options)]);
    for (const listener of [...this.appShow]) this.host.call(undefined, listener, [this.clone(options)]);
  }

  private globals(): Record<string, unknown> {
    return {
      wx: this.wx,
      App: (def: Definition) => {
        if (this.app) throw new Error('App() was called twice');
        this.app = (def ?? {}) as Instance;
      },
      Page: (def: Definition) => this.nav.define(this.loader.current(), def ?? {}, 'page'),
      Component: (def: Definition) => {
        const path = this.loader.current() ?? '';
        if (this.nav.routes.includes(path)) this.nav.define(path, def ?? {}, 'component');
        else this.components.set(path, def ?? {});
      },
      Behavior: (def: Definition) => def ?? {},
      getApp: () => this.app,
      getCurrentPages: () => [...this.nav.stack],
    };
  }

  private console(): Pick<Console, 'log' | 'info' | 'warn' | 'error' | 'debug'> {
    const out = this.options.console;
    const level = (name: 'log' | 'info' | 'warn' | 'error' | 'debug') => (...args: unknown[]) => {
      this.logs.push({ level: name, args });
      out?.[name === 'info' || name === 'debug' ? 'log' : name](...args);
    };
    return { log: level('log'), info: level('info'), warn: level('warn'), error: level('error'), debug: level('debug') };
  }

  private makeHost(): InstanceHost & WxHost {
    const hosts = Object.entries(this.options.hosts ?? {}).sort((a, b) => b[0].length - a[0].length);
    const host: InstanceHost & WxHost = {
      clone: (v) => this.clone(v),
      call: (self, fn, args) => this.activity.call(self, fn, args),
      track: (work) => this.activity.track(work),
      setDataCalled: (self, patch) => {
        this.setDataCalls.push({ route: String(self.route ?? self.is), data: patch });
        this.activity.poke();
      },
      event: (self, name, detail) => void this.events.push({ component: String(self.is), name, detail }),
      appIdList: () => (Array.isArray(this.appJson.navigateToMiniProgramAppIdList) ? this.appJson.navigateToMiniProgramAppIdList : []),
      fetch: this.options.fetch ?? fetch,
      signal: this.abort.signal,
      url: (url) => {
        const hit = hosts.find(([from]) => url.startsWith(from));
        return hit ? hit[1].replace(/\/+$/, '') + url.slice(hit[0].length) : url;
      },
      jump: (jump) => {
        this.jump = jump;
        this.jumps.push(jump);
        // The merchant app goes to the background while the PAYJS mini-program is open.
        const page = this.nav.stack.at(-1);
        if (page) this.life.hide(page);
        this.host.call(this.app, this.app?.onHide);
        for (const listener of [...this.appHide]) this.host.call(undefined, listener);
      },
      navigate: (kind, options) => this.nav.go(kind, options),
      appShow: this.appShow,
      appHide: this.appHide,
      launchOptions: () => this.launchOptions,
      enterOptions: () => this.enterOptions,
      storage: this.storage,
      ui: this.ui,
      requests: this.requests,
      modal: (o) => (typeof this.options.modal === 'function' ? this.options.modal(o) : (this.options.modal ?? 'confirm')),
      systemInfo: { ...SYSTEM_INFO, ...this.options.systemInfo },
    };
    return host;
  }

}

/** Loads a mini-program for a test: `await createMiniProgram({ dir, sandbox })`, then `mp.launch()`. */
export async function createMiniProgram(options: MiniProgramOptions): Promise<MiniProgram> {
  const mp = new MiniProgram(options);
  mp.load();
  return mp;
}
