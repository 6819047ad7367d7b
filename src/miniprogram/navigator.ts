import { posix } from 'node:path';
import type { Definition, Instance } from './instance.js';
import { WxFail, type NavigationKind } from './wx.js';

/** The parts of app.json the harness reads. */
export interface AppJson {
  pages: string[];
  entryPagePath?: string;
  navigateToMiniProgramAppIdList?: unknown;
  subPackages?: { root: string; pages: string[] }[];
  subpackages?: { root: string; pages: string[] }[];
  tabBar?: { list?: { pagePath: string }[] };
  [key: string]: unknown;
}

/** What the navigator asks of the harness for each page it opens or closes. */
export interface PageHooks {
  load(route: string, query: Record<string, string>): Instance;
  show(page: Instance): void;
  hide(page: Instance): void;
  unload(page: Instance): void;
}

// WeChat keeps at most ten pages on the stack.
const MAX_PAGES = 10;

/** The page stack and WeChat's navigation rules: navigateTo, redirectTo, navigateBack, switchTab, reLaunch. */
export class Navigator {
  /** Every page route of app.json, subpackages included. */
  readonly routes: string[];
  readonly stack: Instance[] = [];
  private readonly defs = new Map<string, { def: Definition; kind: 'page' | 'component' }>();
  private readonly tabs: Set<string>;

  constructor(
    appJson: AppJson,
    private readonly hooks: PageHooks,
  ) {
    const subs = [...(appJson.subPackages ?? []), ...(appJson.subpackages ?? [])];
    this.routes = [...appJson.pages, ...subs.flatMap((s) => (s.pages ?? []).map((p) => `${s.root.replace(/\/+$/, '')}/${p}`))];
    this.tabs = new Set((appJson.tabBar?.list ?? []).map((t) => t.pagePath));
  }

  /** Page() or Component() ran in the file of `route`. */
  define(route: string | undefined, def: Definition, kind: 'page' | 'component'): void {
    if (!route || !this.routes.includes(route)) throw new Error(`Page() was called in ${route ?? '(no file)'}.js, which app.json does not list in "pages"`);
    this.defs.set(route, { def, kind });
  }

  defined(route: string): boolean {
    return this.defs.has(route);
  }

  definition(route: string): { def: Definition; kind: 'page' | 'component' } {
    const found = this.defs.get(route);
    if (!found) throw new WxFail(`page "${route}" is not found`);
    return found;
  }

  /** Opens the entry page at launch. */
  async start(route: string, query: Record<string, string>): Promise<void> {
    if (!this.defs.has(route)) throw new Error(`launch: "${route}" is not a page of app.json (pages: ${this.routes.join(', ')})`);
    this.hooks.load(route, query);
  }

  /** One navigation API call; failures are WeChat's `fail` messages. */
  async go(kind: NavigationKind, options: Record<string, unknown>): Promise<void> {
    await Promise.resolve(); // WeChat navigates after the calling code returns
    if (kind === 'navigateBack') {
      const delta = Math.max(1, Number(options.delta ?? 1) || 1);
      if (this.stack.length <= 1) throw new WxFail('cannot navigate back at first page.');
      for (let i = 0; i < delta && this.stack.length > 1; i++) this.hooks.unload(this.stack.pop()!);
      this.hooks.show(this.stack.at(-1)!);
      return;
    }
    const { route, query } = this.resolve(options.url);
    this.definition(route);
    const tab = this.tabs.has(route);
    if (kind === 'navigateTo' || kind === 'redirectTo') {
      if (tab) throw new WxFail(`can not ${kind} a tabbar page`);
      if (kind === 'navigateTo') {
        if (this.stack.length >= MAX_PAGES) throw new WxFail('webview count limit exceed');
        this.hooks.hide(this.stack.at(-1)!);
      } else {
        this.hooks.unload(this.stack.pop()!);
      }
      this.hooks.load(route, query);
      return;
    }
    if (kind === 'switchTab' && !tab) throw new WxFail(`can not switch to no-tabBar page "${route}"`);
    while (this.stack.length) this.hooks.unload(this.stack.pop()!);
    this.hooks.load(route, kind === 'switchTab' ? {} : query);
  }

  /** `/pages/a/a?x=1` or a path relative to the current page; query values stay as written. */
  private resolve(url: unknown): { route: string; query: Record<string, string> } {
    if (typeof url !== 'string' || url === '') throw new WxFail('parameter.url should be String');
    const [path, search = ''] = url.split('?');
    const from = String(this.stack.at(-1)?.route ?? '');
    const route = (path.startsWith('/') ? posix.normalize(path.slice(1)) : posix.normalize(posix.join(posix.dirname(from), path))).replace(/^\/+/, '');
    const query: Record<string, string> = {};
    for (const pair of search.split('&').filter(Boolean)) {
      const i = pair.indexOf('=');
      query[i < 0 ? pair : pair.slice(0, i)] = i < 0 ? '' : pair.slice(i + 1);
    }
    return { route, query };
  }
}
