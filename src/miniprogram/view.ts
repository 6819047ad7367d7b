/**
 * A page's view: its WXML rendered over its data into a tree (domhandler nodes, so css-select can
 * query it and domutils print it), rendered again after every setData. Custom components of
 * usingComponents are created and attached when their tag appears (a `wx:if` turning true, a
 * `wx:for` item added), get their properties from their bindings on every render, and are detached
 * when their tag goes away; their own WXML renders inside their tag, with the parent's children in
 * their `<slot>`s.
 */
import { Document, Element, Text, type ChildNode } from 'domhandler';
import { binding, evaluate, Scope, type Binding } from './expression.js';
import { dispatch, listenerOf, nodeInfo, type DispatchOptions, type Invoke, type Listener } from './events.js';
import { componentInstance, lifetime, type Definition, type Instance, type InstanceHost } from './instance.js';
import type { View, ViewFile, ViewFiles } from './view-files.js';
import { WxmlError, type WxmlElement, type WxmlNode } from './wxml.js';

// WeChat's built-in components (开放能力 included): plain elements here, with their bindings.
const BUILTIN = new Set(
  ('view scroll-view swiper swiper-item movable-area movable-view cover-view cover-image icon text rich-text progress button checkbox ' +
    'checkbox-group editor form input keyboard-accessory label picker picker-view picker-view-column radio radio-group slider switch ' +
    'textarea navigator functional-page-navigator audio image video camera live-player live-pusher voip-room channel-live channel-video ' +
    'map canvas web-view ad ad-custom official-account open-data page-meta navigation-bar page-container root-portal share-element ' +
    'match-media grid-view list-view sticky-header sticky-section span store-product').split(' '),
);

/** What a view needs from the harness. */
export interface ViewHost {
  files: ViewFiles;
  instances: InstanceHost;
  /** The Component() definition of a component path (its .js loaded on first use). */
  definition(path: string): Definition;
  /** Records a render error (thrown from settle()). */
  fault(err: unknown): void;
  invoke: Invoke;
}

/** A page or a component, as the renderer knows it. */
interface Owner {
  instance: Instance;
  path: string;
  view: View;
  children: Map<string, Mounted>;
}

/** A component placed by WXML. */
interface Mounted extends Owner {
  key: string;
  /** What its bindings gave last, as JSON, by property name. */
  given: Record<string, string>;
  props: Record<string, unknown>;
  host?: Element;
}

interface Pass {
  owner: Owner;
  scope: Scope;
  file: ViewFile | undefined;
  key: string;
  slots?: Map<string, ChildNode[]>;
  seen: Set<Mounted>;
  created: Mounted[];
}

const camel = (s: string) => s.toLowerCase().replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** The property specs of a definition, behaviors merged. */
function propertySpecs(def: Definition): Record<string, unknown> {
  const defs = [...((def.behaviors as Definition[] | undefined) ?? []).filter((b) => b && typeof b === 'object'), def];
  return Object.assign({}, ...defs.map((d) => asObject(d.properties)));
}

function coerce(spec: unknown, v: unknown): unknown {
  const t = typeof spec === 'function' ? spec : asObject(spec).type;
  const type = typeof t === 'function' ? t.name : null;
  if (type === 'Number' && typeof v === 'string') return Number(v);
  if (type === 'String' && (typeof v === 'number' || typeof v === 'boolean')) return String(v);
  if (type === 'Boolean' && typeof v !== 'boolean') return v !== '' && v !== 'false' && v !== 0 && v !== null && v !== undefined ? Boolean(v) : v === '';
  return v;
}

/** Links children to their parent, as css-select and domutils expect. */
function adopt<T extends Element | Document>(parent: T, children: ChildNode[]): T {
  parent.children = children;
  children.forEach((c, i) => {
    c.parent = parent;
    c.prev = children[i - 1] ?? null;
    c.next = children[i + 1] ?? null;
  });
  return parent;
}

const bindings = new WeakMap<WxmlNode, Record<string, Binding>>();
function bound(el: WxmlElement, name: string): Binding {
  let map = bindings.get(el);
  if (!map) bindings.set(el, (map = {}));
  return (map[name] ??= binding(el.attrs[name], el.attrLocs[name] ?? el.loc));
}
const textBindings = new WeakMap<WxmlNode, Binding>();

/** The rendered view of one open page. */
export class PageView {
  /** Which page view an instance (the page, or a component on it) belongs to. */
  static readonly of = new WeakMap<Instance, PageView>();
  /** How many views are rendering now: lifetimes run then are no user gesture. */
  static rendering = 0;
  readonly root = new Document([]);
  readonly opened = Date.now();
  private readonly page: Owner;
  private rendering = false;
  private dirty = false;
  private isReady = false;
  private pendingReady: Mounted[] = [];
  private lastFault = '';

  constructor(
    page: Instance,
    route: string,
    private readonly host: ViewHost,
  ) {
    this.page = { instance: page, path: route, view: host.files.view(route, false), children: new Map() };
    PageView.of.set(page, this);
  }

  /** Renders until no setData is pending; errors go to the harness (thrown from settle()). */
  render(): void {
    if (this.rendering) {
      this.dirty = true;
      return;
    }
    this.rendering = true;
    PageView.rendering++;
    try {
      for (let pass = 0; ; pass++) {
        if (pass > 100) throw new Error(`${this.page.path}: setData keeps changing the data while rendering (an observer or lifetime that sets data on every render?)`);
        this.dirty = false;
        const seen = new Set<Mounted>();
        const created: Mounted[] = [];
        const scope = new Scope(this.page.instance.data).with(this.page.view.file?.wxs ?? {});
        const nodes = this.nodes(this.page.view.file?.nodes ?? [], { owner: this.page, scope, file: this.page.view.file, key: '', seen, created });
        adopt(this.root, nodes);
        this.detachUnseen(this.page, seen);
        for (const m of created) {
          lifetime(m.instance, 'attached', this.host.instances);
          if (this.isReady) lifetime(m.instance, 'ready', this.host.instances);
          else this.pendingReady.push(m);
        }
        if (!this.dirty) break;
      }
      this.lastFault = '';
    } catch (err) {
      // The same broken binding fails every render: report it once.
      const message = String((err as Error)?.message ?? err);
      if (message !== this.lastFault) this.host.fault(err);
      this.lastFault = message;
    } finally {
      this.rendering = false;
      PageView.rendering--;
    }
  }

  /** The page is ready (before its onReady): components' `ready` lifetimes run. */
  ready(): void {
    this.isReady = true;
    for (const m of this.pendingReady.splice(0)) lifetime(m.instance, 'ready', this.host.instances);
  }

  /** Every component instance on the page, outermost first. */
  components(): Instance[] {
    const out: Instance[] = [];
    const walk = (o: Owner) => {
      for (const m of o.children.values()) {
        out.push(m.instance);
        walk(m);
      }
    };
    walk(this.page);
    return out;
  }

  /** The page is unloaded: every component is detached. */
  close(): void {
    this.detachUnseen(this.page, new Set());
  }

  /** A component's triggerEvent: from its tag, to the handlers bound there (and beyond, if it bubbles). */
  trigger(component: Instance, name: string, detail: unknown, options: DispatchOptions): boolean {
    const m = this.find(component);
    if (!m?.host) return false;
    dispatch(m.host, name, detail, options, this.opened, this.host.invoke);
    return true;
  }

  private find(instance: Instance, o: Owner = this.page): Mounted | undefined {
    for (const m of o.children.values()) {
      if (m.instance === instance) return m;
      const inner = this.find(instance, m);
      if (inner) return inner;
    }
    return undefined;
  }

  private detachUnseen(owner: Owner, seen: Set<Mounted>): void {
    for (const [key, m] of [...owner.children]) {
      if (seen.has(m)) {
        this.detachUnseen(m, seen);
        continue;
      }
      owner.children.delete(key);
      this.pendingReady = this.pendingReady.filter((p) => p !== m);
      lifetime(m.instance, 'detached', this.host.instances);
      this.detachUnseen(m, new Set());
    }
  }

  // --- rendering -------------------------------------------------------------------------

  private nodes(list: WxmlNode[], pass: Pass): ChildNode[] {
    const out: ChildNode[] = [];
    let chain: 'none' | 'open' | 'matched' = 'none';
    for (const node of list) {
      if (node.type === 'text') {
        let b = textBindings.get(node);
        if (!b) textBindings.set(node, (b = binding(node.text, node.loc)));
        const text = String(evaluate(b, pass.scope) ?? '');
        if (text.trim() !== '') out.push(new Text(text));
        continue;
      }
      const a = node.attrs;
      if ('wx:if' in a) {
        chain = evaluate(bound(node, 'wx:if'), pass.scope) ? 'matched' : 'open';
        if (chain === 'open') continue;
      } else if ('wx:elif' in a || 'wx:else' in a) {
        if (chain === 'none') throw new WxmlError(node.loc, `<${node.tag} ${'wx:elif' in a ? 'wx:elif' : 'wx:else'}> has no wx:if or wx:elif right before it`);
        if (chain === 'matched') continue;
        if ('wx:elif' in a && !evaluate(bound(node, 'wx:elif'), pass.scope)) continue;
        chain = 'wx:else' in a ? 'none' : 'matched';
      } else {
        chain = 'none';
      }
      if ('wx:for' in a || 'wx:for-items' in a) out.push(...this.loop(node, pass));
      else out.push(...this.element(node, pass));
    }
    return out;
  }

  private loop(node: WxmlElement, pass: Pass): ChildNode[] {
    const list = evaluate(bound(node, 'wx:for' in node.attrs ? 'wx:for' : 'wx:for-items'), pass.scope);
    const itemName = node.attrs['wx:for-item'] ?? 'item';
    const indexName = node.attrs['wx:for-index'] ?? 'index';
    const keyName = node.attrs['wx:key'];
    const entries: [string | number, unknown][] = Array.isArray(list)
      ? list.map((v, i) => [i, v])
      : typeof list === 'number'
        ? Array.from({ length: Math.max(0, Math.floor(list)) }, (_, i) => [i, i])
        : typeof list === 'string'
          ? [...list].map((c, i) => [i, c])
          : list && typeof list === 'object'
            ? Object.entries(list)
            : [];
    return entries.flatMap(([index, item]) => {
      const key = keyName === '*this' ? String(item) : keyName && item && typeof item === 'object' ? String((item as Record<string, unknown>)[keyName]) : String(index);
      return this.element(node, { ...pass, scope: pass.scope.with({ [itemName]: item, [indexName]: index }), key: `${pass.key}/${node.loc.line}:${node.loc.col}#${key}` });
    });
  }

  private element(node: WxmlElement, pass: Pass): ChildNode[] {
    switch (node.tag) {
      case 'block':
        return this.nodes(node.children, pass);
      case 'import':
      case 'wxs':
        return [];
      case 'template':
        return node.attrs.is === undefined ? [] : this.template(node, pass);
      case 'include': {
        const file = this.host.files.file(this.host.files.src(node, pass.file?.path ?? pass.owner.path));
        const body = file.nodes.filter((n) => n.type !== 'element' || (n.tag !== 'template' && n.tag !== 'wxs'));
        return this.nodes(body, { ...pass, key: `${pass.key}/${node.loc.line}:${node.loc.col}` });
      }
      case 'slot':
        return pass.slots?.get(node.attrs.name ?? '') ?? [];
    }
    const spec = pass.owner.view.using[node.tag];
    if (spec !== undefined) return [this.component(node, spec, pass)];
    if (!BUILTIN.has(node.tag)) {
      const known = Object.keys(pass.owner.view.using);
      throw new WxmlError(node.loc, `<${node.tag}> is no built-in component and not in usingComponents of ${pass.owner.path}.json${known.length ? ` (it lists ${known.join(', ')})` : ''}: add "${node.tag}": "/components/${node.tag}/${node.tag}" there`);
    }
    const el = this.tag(node, pass);
    return [adopt(el, this.nodes(node.children, pass))];
  }

  private template(node: WxmlElement, pass: Pass): ChildNode[] {
    const name = String(evaluate(bound(node, 'is'), pass.scope) ?? '');
    const tpl = pass.file?.templates.get(name);
    if (!tpl) throw new WxmlError(node.attrLocs.is ?? node.loc, `<template is="${name}">: no <template name="${name}"> here or in an <import>${pass.file?.templates.size ? ` (known: ${[...pass.file.templates.keys()].join(', ')})` : ''}`);
    const data = node.attrs.data === undefined ? {} : asObject(evaluate(bound(node, 'data'), pass.scope));
    return this.nodes(tpl.nodes, { ...pass, scope: new Scope(data).with(tpl.file.wxs), file: tpl.file, key: `${pass.key}/${node.loc.line}:${node.loc.col}` });
  }

  /** A tag's attributes evaluated: the element, and what events need to know. */
  private tag(node: WxmlElement, pass: Pass, component?: Instance): Element {
    const attrs: Record<string, unknown> = {};
    const strings: Record<string, string> = {};
    const listeners: Listener[] = [];
    const dataset: Record<string, unknown> = {};
    const marks: Record<string, unknown> = {};
    const models: Record<string, string> = {};
    for (const name of Object.keys(node.attrs)) {
      if (name.startsWith('wx:')) continue;
      const b = bound(node, name);
      const v = evaluate(b, pass.scope);
      if (name.startsWith('model:') && b.length === 1 && typeof b[0] !== 'string') models[name.slice(6)] = b[0].source.trim();
      const listener = listenerOf(name, v);
      if (listener) listeners.push(listener);
      else if (name.startsWith('data-')) dataset[camel(name.slice(5))] = v;
      else if (name.startsWith('mark:')) marks[name.slice(5)] = v;
      attrs[name] = v;
      if (v !== undefined && v !== null) strings[name] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    const el = new Element(node.tag, strings);
    const hidden = 'hidden' in attrs && (attrs.hidden === '' || Boolean(attrs.hidden));
    nodeInfo.set(el, { owner: pass.owner.instance, ownerPath: pass.owner.path, listeners, dataset, marks, attrs, models, loc: node.loc, component, hidden });
    return el;
  }

  private component(node: WxmlElement, spec: string, pass: Pass): Element {
    const path = this.host.files.resolveComponent(pass.owner.path, spec);
    if (!path) throw new WxmlError(node.loc, `usingComponents of ${pass.owner.path}.json maps <${node.tag}> to "${spec}", but there is no such component (no ${spec}.js from ${pass.owner.path}, nor in miniprogram_npm/)`);
    const key = `${pass.key}/${node.loc.line}:${node.loc.col}`;
    let m = pass.owner.children.get(key);
    if (m && m.path !== path) m = undefined;
    const def = m ? undefined : this.host.definition(path);
    const specs = m ? m.props : propertySpecs(def!);
    // The bound properties, named in camelCase as WeChat maps total-fee to totalFee.
    const given: Record<string, unknown> = {};
    for (const name of Object.keys(node.attrs)) {
      if (name.startsWith('wx:') || name.startsWith('data-') || name.startsWith('mark:') || listenerOf(name, '')) continue;
      const prop = camel(name);
      if (Object.hasOwn(specs, prop)) given[prop] = coerce(specs[prop], evaluate(bound(node, name), pass.scope));
    }
    if (!m) {
      const view = this.host.files.view(path, true);
      const instance = componentInstance(def!, path, {}, this.host.instances);
      m = { instance, path, view, key, given: {}, props: specs, children: new Map() };
      pass.owner.children.set(key, m);
      PageView.of.set(instance, this);
      pass.created.push(m);
    }
    const changed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(given)) {
      const json = JSON.stringify(v) ?? 'undefined';
      if (m.given[k] !== json) changed[k] = v;
      m.given[k] = json;
    }
    if (Object.keys(changed).length) m.instance.setData(changed);
    pass.seen.add(m);

    // The parent's children go into the component's <slot>s, rendered in the parent's scope.
    const slots = new Map<string, ChildNode[]>();
    for (const child of this.nodes(node.children, pass)) {
      const name = child instanceof Element ? (child.attribs.slot ?? '') : '';
      slots.set(name, [...(slots.get(name) ?? []), child]);
    }
    const host = this.tag(node, pass, m.instance);
    m.host = host;
    const file = m.view.file;
    const scope = new Scope(m.instance.data).with(file?.wxs ?? {});
    return adopt(host, this.nodes(file?.nodes ?? [], { owner: m, scope, file, key: '', slots, seen: pass.seen, created: pass.created }));
  }
}
