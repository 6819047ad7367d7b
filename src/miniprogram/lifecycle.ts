import { componentInstance, hook, lifetime, pageInstance, pageLifetime, type Definition, type Instance, type InstanceHost } from './instance.js';
import type { Navigator, PageHooks } from './navigator.js';

/** The rendered views of open pages, as the lifecycle drives them. */
export interface PageViews {
  /** The page is on the stack: its WXML renders (its components are created and attached). */
  open(page: Instance, route: string): void;
  /** Before the page's onReady: its components' `ready`. */
  ready(page: Instance): void;
  /** The components WXML placed on the page. */
  components(page: Instance): Instance[];
  /** The page is unloaded: its components are detached. */
  close(page: Instance): void;
}

/** WeChat's page lifecycles, in WeChat's order, for pages built with Page() or Component(), and
 * the components on a page (placed by its WXML, or by a test). */
export class Lifecycle implements PageHooks {
  private readonly components = new Map<Instance, Instance[]>();

  constructor(
    private readonly host: InstanceHost,
    private readonly nav: () => Navigator,
    private readonly views?: PageViews,
  ) {}

  private placed(page: Instance): Instance[] {
    return [...(this.views?.components(page) ?? []), ...(this.components.get(page) ?? [])];
  }

  /** Opens a page: on the stack first (getCurrentPages() in onLoad sees it), then onLoad, onShow, onReady. */
  load(route: string, query: Record<string, string>): Instance {
    const { def, kind } = this.nav().definition(route);
    const stack = this.nav().stack;
    if (kind === 'page') {
      const page = pageInstance(def, route, query, this.host);
      stack.push(page);
      // WeChat renders the page's initial data first: its components are attached before onLoad.
      this.views?.open(page, route);
      hook(page, 'onLoad', this.host, this.host.clone(query));
      this.show(page);
      this.views?.ready(page);
      hook(page, 'onReady', this.host);
      return page;
    }
    // A page built with Component(): its lifetimes, then the page hooks it keeps in methods.
    const page = componentInstance(def, route, query, this.host, { route, __route__: route, options: { ...query } });
    stack.push(page);
    this.views?.open(page, route);
    lifetime(page, 'attached', this.host);
    hook(page, 'onLoad', this.host, this.host.clone(query));
    this.show(page);
    this.views?.ready(page);
    lifetime(page, 'ready', this.host);
    hook(page, 'onReady', this.host);
    return page;
  }

  show(page: Instance): void {
    hook(page, 'onShow', this.host);
    if (page.__pageLifetimes) pageLifetime(page, 'show', this.host);
    for (const c of this.placed(page)) pageLifetime(c, 'show', this.host);
  }

  hide(page: Instance): void {
    hook(page, 'onHide', this.host);
    if (page.__pageLifetimes) pageLifetime(page, 'hide', this.host);
    for (const c of this.placed(page)) pageLifetime(c, 'hide', this.host);
  }

  unload(page: Instance): void {
    hook(page, 'onUnload', this.host);
    this.views?.close(page);
    for (const c of this.components.get(page) ?? []) lifetime(c, 'detached', this.host);
    if (page.__lifetimes) lifetime(page, 'detached', this.host);
    this.components.delete(page);
  }

  /** A component on `page`: created, attached, ready; it hears the page's show and hide. */
  attach(page: Instance, def: Definition, is: string, properties: Record<string, unknown>): Instance {
    const self = componentInstance(def, is, properties, this.host);
    this.components.set(page, [...(this.components.get(page) ?? []), self]);
    lifetime(self, 'attached', this.host);
    lifetime(self, 'ready', this.host);
    return self;
  }
}
