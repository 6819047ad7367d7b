/**
 * The `wx` object of the harness: the APIs payment code uses, with WeChat's calling conventions
 * (success/fail/complete callbacks, or a promise when none is given; `request` returns a
 * RequestTask and no promise, as in WeChat). Any other `wx.X` throws "not simulated: wx.X".
 */
import { PAYJS_MINIPROGRAM_APPID } from '../core/protocol.js';
import type { Fn } from './instance.js';

/** One call of a UI API, as recorded on `mp.ui`. */
export interface UiCall {
  api: 'showModal' | 'showToast' | 'hideToast' | 'showLoading' | 'hideLoading';
  options: Record<string, unknown>;
}

/** One `wx.request`, as recorded on `mp.requests`. */
export interface RequestRecord {
  method: string;
  url: string;
  data?: unknown;
  statusCode?: number;
  error?: string;
}

/** A pending `wx.navigateToMiniProgram`, held until `mp.payjs.pay()`, `.fail()` or `.cancel()`. */
export interface Jump {
  appId: string;
  path?: string;
  extraData: unknown;
  envVersion?: string;
}

export type NavigationKind = 'navigateTo' | 'redirectTo' | 'navigateBack' | 'switchTab' | 'reLaunch';

/** What `wx` needs from the harness. */
export interface WxHost {
  appIdList(): unknown[];
  /** False when the harness plays WeChat's rule that a jump needs the user's tap, and none is under way. */
  gesture(): boolean;
  /** Tracks async work so that `mp.settle()` waits for it. */
  track<T>(work: Promise<T>): Promise<T>;
  call(self: unknown, fn: unknown, args?: unknown[]): unknown;
  clone<T>(value: T): T;
  fetch: typeof globalThis.fetch;
  signal: AbortSignal;
  /** Rewrites a request URL (the `hosts` option). */
  url(url: string): string;
  jump(jump: Jump): void;
  navigate(kind: NavigationKind, options: Record<string, unknown>): Promise<void>;
  appShow: Set<Fn>;
  appHide: Set<Fn>;
  launchOptions(): unknown;
  enterOptions(): unknown;
  storage: Map<string, string>;
  ui: UiCall[];
  requests: RequestRecord[];
  modal(options: Record<string, unknown>): 'confirm' | 'cancel';
  systemInfo: Record<string, unknown>;
}

/** A failure as WeChat reports it to `fail` or a rejected promise: `{ errMsg: 'api:fail why' }`. */
export class WxFail {
  constructor(readonly why: string) {}
}

const opts = (o: unknown): Record<string, unknown> => (o && typeof o === 'object' ? (o as Record<string, unknown>) : {});
const hasCallbacks = (o: Record<string, unknown>) => ['success', 'fail', 'complete'].some((k) => typeof o[k] === 'function');

/** Runs an async API the WeChat way: callbacks when given, else a promise. */
function asyncApi(host: WxHost, name: string, options: unknown, run: () => Promise<Record<string, unknown>> | Record<string, unknown>, promise = true): Promise<unknown> | undefined {
  const o = opts(options);
  const settled = host.track(
    Promise.resolve()
      .then(run)
      .then(
        (res) => ({ ok: true, res: { errMsg: `${name}:ok`, ...res } }),
        (err) => {
          if (!(err instanceof WxFail)) throw err;
          return { ok: false, res: { errMsg: `${name}:fail ${err.why}` } };
        },
      )
      .then((r) => {
        if (hasCallbacks(o)) {
          host.call(o, r.ok ? o.success : o.fail, [r.res]);
          host.call(o, o.complete, [r.res]);
        }
        return r;
      }),
  );
  if (hasCallbacks(o) || !promise) {
    settled.catch(() => {}); // a bug of the harness surfaces through mp.settle()
    return undefined;
  }
  return settled.then((r) => (r.ok ? r.res : Promise.reject(r.res)));
}

const encode = (data: unknown) =>
  typeof data === 'string' ? data : Object.entries(opts(data)).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))}`).join('&');

function request(host: WxHost, options: unknown) {
  const o = opts(options);
  const controller = new AbortController();
  const method = String(o.method ?? 'GET').toUpperCase();
  const record: RequestRecord = { method, url: String(o.url), data: o.data };
  host.requests.push(record);
  asyncApi(host, 'request', o, async () => {
    if (typeof o.url !== 'string' || !/^https?:\/\//.test(host.url(o.url))) throw new WxFail(`invalid url "${String(o.url)}"`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts(o.header))) headers[k.toLowerCase()] = String(v);
    let url = host.url(o.url);
    let body: string | undefined;
    if (o.data !== undefined && o.data !== null) {
      // WeChat puts GET data in the query string, and encodes other bodies by content type.
      if (method === 'GET' || method === 'HEAD') url += (url.includes('?') ? '&' : '?') + encode(o.data);
      else body = /x-www-form-urlencoded/.test(headers['content-type'] ?? '') ? encode(o.data) : typeof o.data === 'string' ? o.data : JSON.stringify(o.data);
    }
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const timeout = AbortSignal.timeout(typeof o.timeout === 'number' ? o.timeout : 60_000);
    let res: Response;
    try {
      res = await host.fetch(url, { method, headers, body, signal: AbortSignal.any([controller.signal, host.signal, timeout]), redirect: 'follow' });
    } catch (err) {
      const why = controller.signal.aborted ? 'abort' : timeout.aborted ? 'timeout' : (err as Error).cause ? String(((err as Error).cause as Error).message ?? (err as Error).cause) : (err as Error).message;
      record.error = why;
      throw new WxFail(why);
    }
    const text = await res.text();
    let data: unknown = text;
    if ((o.dataType ?? 'json') === 'json') {
      try {
        data = JSON.parse(text);
      } catch {
        /* WeChat hands over the text when it is not JSON */
      }
    }
    record.statusCode = res.status;
    return { data: host.clone(data), statusCode: res.status, header: Object.fromEntries(res.headers), cookies: [] };
  }, false);
  return { abort: () => controller.abort(), onHeadersReceived: () => {}, offHeadersReceived: () => {} };
}

/** The implemented APIs; `extra` adds or replaces some (the harness's `wx` option). */
export function createWx(host: WxHost, extra: Record<string, unknown> = {}): Record<string, Fn> {
  const stored = (key: unknown) => {
    const v = host.storage.get(String(key));
    return v === undefined ? undefined : host.clone(JSON.parse(v));
  };
  const ui = (api: UiCall['api']) => (options: unknown) =>
    asyncApi(host, api, options, () => {
      host.ui.push({ api, options: { ...opts(options) } });
      if (api !== 'showModal') return {};
      const confirm = host.modal(opts(options)) === 'confirm';
      return { confirm, cancel: !confirm };
    });
  const navigation = (kind: NavigationKind) => (options: unknown) => asyncApi(host, kind, options, async () => (await host.navigate(kind, opts(options)), {}));
  const api: Record<string, unknown> = {
    request: (o: unknown) => request(host, o),
    navigateToMiniProgram: (options: unknown, tapped = host.gesture()) =>
      asyncApi(host, 'navigateToMiniProgram', options, () => {
        const o = opts(options);
        const appId = String(o.appId ?? '');
        if (!host.appIdList().includes(appId)) throw new WxFail(`appId "${appId}" is not in navigateToMiniProgramAppIdList of app.json; add "${appId}" there`);
        if (!tapped) throw new WxFail('can only be invoked by user TAP gesture.');
        if (appId !== PAYJS_MINIPROGRAM_APPID) throw new WxFail(`the harness simulates only the PAYJS mini-program ${PAYJS_MINIPROGRAM_APPID}, not ${appId}`);
        host.jump({ appId, path: typeof o.path === 'string' ? o.path : undefined, extraData: o.extraData, envVersion: typeof o.envVersion === 'string' ? o.envVersion : undefined });
        return {};
      }),
    onAppShow: (fn: unknown) => void (typeof fn === 'function' && host.appShow.add(fn as Fn)),
    offAppShow: (fn?: unknown) => void (fn === undefined ? host.appShow.clear() : host.appShow.delete(fn as Fn)),
    onAppHide: (fn: unknown) => void (typeof fn === 'function' && host.appHide.add(fn as Fn)),
    offAppHide: (fn?: unknown) => void (fn === undefined ? host.appHide.clear() : host.appHide.delete(fn as Fn)),
    getLaunchOptionsSync: () => host.clone(host.launchOptions()),
    getEnterOptionsSync: () => host.clone(host.enterOptions()),
    showModal: ui('showModal'),
    showToast: ui('showToast'),
    hideToast: ui('hideToast'),
    showLoading: ui('showLoading'),
    hideLoading: ui('hideLoading'),
    setStorageSync: (key: unknown, data: unknown) => void host.storage.set(String(key), JSON.stringify(data ?? null)),
    getStorageSync: (key: unknown) => stored(key) ?? '',
    removeStorageSync: (key: unknown) => void host.storage.delete(String(key)),
    clearStorageSync: () => host.storage.clear(),
    setStorage: (o: unknown) => asyncApi(host, 'setStorage', o, () => (host.storage.set(String(opts(o).key), JSON.stringify(opts(o).data ?? null)), {})),
    getStorage: (o: unknown) =>
      asyncApi(host, 'getStorage', o, () => {
        if (!host.storage.has(String(opts(o).key))) throw new WxFail('data not found');
        return { data: stored(opts(o).key) };
      }),
    removeStorage: (o: unknown) => asyncApi(host, 'removeStorage', o, () => (host.storage.delete(String(opts(o).key)), {})),
    getSystemInfoSync: () => host.clone(host.systemInfo),
    getSystemInfo: (o: unknown) => asyncApi(host, 'getSystemInfo', o, () => host.clone(host.systemInfo)),
    navigateTo: navigation('navigateTo'),
    redirectTo: navigation('redirectTo'),
    navigateBack: navigation('navigateBack'),
    switchTab: navigation('switchTab'),
    reLaunch: navigation('reLaunch'),
    ...extra,
  };
  api.canIUse = (name: unknown) => Object.hasOwn(api, String(name).split('.')[0]);
  return new Proxy(api as Record<string, Fn>, {
    get(target, name) {
      if (typeof name === 'symbol' || Object.hasOwn(target, name)) return target[name as string];
      // Promise resolution and inspection probe these; they are not WeChat APIs.
      if (name === 'then' || name === 'toJSON' || name === 'constructor') return undefined;
      throw new Error(`not simulated: wx.${name} (the harness simulates ${Object.keys(target).sort().join(', ')}; pass your own as createMiniProgram({ wx: { ${name}: … } }))`);
    },
  });
}
