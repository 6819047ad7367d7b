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
import type { Element } from 'domhandler';
import { ElementHandle, markup, select, visibleText, type HandleHost } from './element-handle.js';
import { builtinOptions, dispatch, nodeInfo, type Invoke } from './events.js';
import { followNavigator, navigatorOf } from './navigator-tag.js';
import { PageView } from './view.js';
import { ViewFiles } from './view-files.js';

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
  /** What the harness noticed that WeChat would only log, or that PAYJS will refuse: a handler
   * method that does not exist, an extraData with undefined values. */
  readonly warnings: string[] = [];
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
  private readonly files: ViewFiles;
  private readonly views = new Map<Instance, PageView>();
  private readonly handles: HandleHost;
  /** A user's tap is being handled (synchronously): WeChat lets it jump to another mini-program. */
  private tapping = 0;

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
    this.files = new ViewFiles(this.dir, (this.appJson.usingComponents ?? {}) as Record<string, unknown>);
    this.life = new Lifecycle(this.host, () => this.nav, {
      open: (page, route) => {
        const view = new PageView(page, route, { files: this.files, instances: this.host, definition: (path) => this.componentDefinition(path), fault: (err) => this.activity.fault(err), invoke: this.invoke });
        this.views.set(page, view);
        view.render();
      },
      ready: (page) => this.views.get(page)?.ready(),
      components: (page) => this.views.get(page)?.components() ?? [],
      close: (page) => {
        this.views.get(page)?.close();
        this.views.delete(page);
      },
    });
    this.handles = {
      root: () => this.view().root,
      route: () => String(this.currentPage().route),
      tap: (el, detail) => this.tapElement(el, detail),
      input: (el, value) => this.inputElement(el, value),
    };
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
    this.tapping++;
    let result: unknown;
    try {
      result = (page[method] as Fn).call(page, { type: 'tap', timeStamp: Date.now(), target, currentTarget: target, detail: this.clone(detail) });
    } finally {
      this.tapping--;
    }
    if (result && typeof (result as Promise<unknown>).then === 'function') this.activity.track(Promise.resolve(result)).catch(() => {});
    await this.settle();
  }

  /** The first element of the current page matching a CSS selector (tag, .class, #id,
   * [data-x=y], descendants …), inside components too; a handle that finds it again on each use. */
  find(selector: string): ElementHandle {
    const handle = new ElementHandle(this.handles, selector);
    void handle.element; // fails now, listing what the page has, when nothing matches
    return handle;
  }

  /** Every element of the current page matching the selector. */
  findAll(selector: string): ElementHandle[] {
    return select(selector, this.view().root).map((_, i) => new ElementHandle(this.handles, selector, i));
  }

  /** The current page's visible text (hidden and wx:if'd-out parts left out), one text per line. */
  text(): string {
    return visibleText(this.view().root.children);
  }

  /** The current page's rendered tree as markup. */
  html(): string {
    return markup(this.view().root.children);
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

  private view(): PageView {
    const view = this.views.get(this.currentPage());
    if (!view) throw new Error(`the page ${String(this.currentPage().route)} has no view`);
    return view;
  }

  private componentDefinition(path: string): Definition {
    if (!this.components.has(path)) this.loader.load(path);
    const def = this.components.get(path);
    if (!def) throw new Error(`${path}.js did not call Component({ … })`);
    return def;
  }

  /** Calls the handler a WXML binding names, on the page or component whose WXML wrote it. */
  private readonly invoke: Invoke = (owner, ownerPath, method, event, info) => {
    const fn = owner[String(method)];
    if (typeof fn !== 'function') {
      this.warnings.push(`${info.loc.file}:${info.loc.line}:${info.loc.col}: ${ownerPath} has no method "${String(method)}" to handle the "${String(event.type)}" event (WeChat only logs this)`);
      return;
    }
    this.activity.call(owner, fn, [this.clone(event)]);
  };

  private async tapElement(el: Element, detail: Record<string, unknown>): Promise<void> {
    const view = this.view();
    const touch = { identifier: 0, pageX: 0, pageY: 0, clientX: 0, clientY: 0 };
    this.tapping++;
    try {
      dispatch(el, 'tap', { x: 0, y: 0, ...detail }, builtinOptions('tap'), view.opened, this.invoke, { touches: [touch], changedTouches: [touch] });
      const nav = navigatorOf(el);
      if (nav) followNavigator(nav, this.wx, (type, d) => dispatch(nav, type, d, {}, view.opened, this.invoke));
    } finally {
      this.tapping--;
    }
    await this.settle();
  }

  private async inputElement(el: Element, value: string): Promise<void> {
    const info = nodeInfo.get(el);
    if (!info || !['input', 'textarea'].includes(el.name)) throw new Error(`input(): <${el.name}> is no <input> or <textarea>`);
    const model = info.models.value;
    if (model) info.owner.setData({ [model]: value });
    dispatch(el, 'input', { value, cursor: value.length, keyCode: 0 }, {}, this.view().opened, this.invoke);
    await this.settle();
  }

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
      body: JSON.stringify({ extraData: withNulls(jump.extraData), action, path: page?.route, query: page?.options }),
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
        PageView.of.get(self)?.render();
        this.activity.poke();
      },
      event: (self, name, detail, options) => {
        this.events.push({ component: String(self.is), name, detail });
        PageView.of.get(self)?.trigger(self, name, detail, options);
      },
      gesture: () => !this.options.userTapRequired || (this.tapping > 0 && PageView.rendering === 0),
      appIdList: () => (Array.isArray(this.appJson.navigateToMiniProgramAppIdList) ? this.appJson.navigateToMiniProgramAppIdList : []),
      fetch: this.options.fetch ?? fetch,
      signal: this.abort.signal,
      url: (url) => {
        const hit = hosts.find(([from]) => url.startsWith(from));
        return hit ? hit[1].replace(/\/+$/, '') + url.slice(hit[0].length) : url;
      },
      jump: (jump) => {
        const empty = jump.extraData && typeof jump.extraData === 'object' ? Object.entries(jump.extraData).filter(([, v]) => v === undefined).map(([k]) => k) : [];
        if (empty.length) {
          this.warnings.push(`wx.navigateToMiniProgram: extraData.${empty.join(', extraData.')} ${empty.length === 1 ? 'is' : 'are'} undefined, and the PAYJS mini-program will refuse the jump. The docs' fragment reads response['${empty[0]}'], but wx.request puts your back end's answer in response.data: read res.data.${empty[0]}`);
        }
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

/** extraData as sent to the simulated PAYJS mini-program: undefined values kept, as null (JSON drops them). */
function withNulls(extraData: unknown): unknown {
  if (!extraData || typeof extraData !== 'object' || Array.isArray(extraData)) return extraData ?? null;
  return Object.fromEntries(Object.entries(extraData).map(([k, v]) => [k, v === undefined ? null : v]));
}

/** Loads a mini-program for a test: `await createMiniProgram({ dir, sandbox })`, then `mp.launch()`. */
export async function createMiniProgram(options: MiniProgramOptions): Promise<MiniProgram> {
  const mp = new MiniProgram(options);
  mp.load();
  return mp;
}
