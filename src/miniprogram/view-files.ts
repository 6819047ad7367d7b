import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import vm from 'node:vm';
import { wxsFunctions } from './expression.js';
import { parseWxml, WxmlError, type Loc, type WxmlElement, type WxmlNode } from './wxml.js';

/**
 * The view files of a mini-program: each page's and component's `.json` (`usingComponents`,
 * `component: true`) and `.wxml`, with the `<template name>`s it defines or `<import>`s and its
 * `<wxs>` modules. Read once, on first use.
 */

/** One .wxml file, parsed, with what it brings into scope. */
export interface ViewFile {
  /** Mini-program path without extension: `pages/pay/pay`, or the include's path. */
  path: string;
  /** File name as errors show it. */
  file: string;
  nodes: WxmlNode[];
  /** Templates it defines and imports, by name. */
  templates: Map<string, { nodes: WxmlNode[]; file: ViewFile }>;
  /** Its `<wxs module>`s, by module name. */
  wxs: Record<string, unknown>;
}

/** A page's or component's view: its WXML and the components it may use. */
export interface View {
  path: string;
  file: ViewFile | undefined;
  /** Tag → component path, from usingComponents (app.json's, then its own). */
  using: Record<string, string>;
}

const isFile = (f: string) => existsSync(f) && statSync(f).isFile();

export class ViewFiles {
  private readonly views = new Map<string, View>();
  private readonly files = new Map<string, ViewFile>();
  private readonly wxsModules = new Map<string, unknown>();
  private wxsContext: vm.Context | undefined;

  constructor(
    readonly dir: string,
    private readonly appUsing: Record<string, unknown> = {},
  ) {}

  /** The view of a page route or a component path. */
  view(path: string, component: boolean): View {
    const hit = this.views.get(path);
    if (hit) return hit;
    const json = this.json(path);
    if (component && json.component !== true) {
      throw new Error(`${path}.json does not say "component": true, so ${path} is no component: add "component": true to it`);
    }
    const using: Record<string, string> = {};
    const declared = { ...(component ? {} : this.appUsing), ...(json.usingComponents && typeof json.usingComponents === 'object' ? (json.usingComponents as Record<string, unknown>) : {}) };
    for (const [tag, spec] of Object.entries(declared)) if (typeof spec === 'string') using[tag] = spec;
    const view: View = { path, file: isFile(join(this.dir, `${path}.wxml`)) ? this.file(path) : undefined, using };
    this.views.set(path, view);
    return view;
  }

  /**
   * Where a usingComponents entry of `from` points: `/components/x/x` (from the root),
   * `../x/x` or `x/x` (from the file's folder), or a package in `miniprogram_npm/` (after
   * "build npm"), as WeChat looks them up.
   */
  resolveComponent(from: string, spec: string): string | undefined {
    const base = posix.dirname(from);
    const candidates = spec.startsWith('/')
      ? [spec.slice(1)]
      : spec.startsWith('.')
        ? [posix.join(base, spec)]
        : [posix.join(base, spec), `miniprogram_npm/${spec}`, spec];
    for (const c of candidates.map((p) => posix.normalize(p))) {
      if (c.startsWith('..')) continue;
      if (isFile(join(this.dir, `${c}.js`))) return c;
      if (isFile(join(this.dir, c, 'index.js'))) return `${c}/index`;
    }
    return undefined;
  }

  private json(path: string): Record<string, unknown> {
    const file = join(this.dir, `${path}.json`);
    if (!isFile(file)) return {};
    try {
      const json = JSON.parse(readFileSync(file, 'utf8'));
      return json && typeof json === 'object' ? json : {};
    } catch (err) {
      throw new Error(`${path}.json does not parse: ${(err as Error).message}`);
    }
  }

  /** A .wxml file by mini-program path (no extension), parsed once. */
  file(path: string): ViewFile {
    const hit = this.files.get(path);
    if (hit) return hit;
    const name = `${path}.wxml`;
    const full = join(this.dir, name);
    const nodes = parseWxml(readFileSync(full, 'utf8'), name);
    const file: ViewFile = { path, file: name, nodes, templates: new Map(), wxs: {} };
    this.files.set(path, file);
    const walk = (list: WxmlNode[]) => {
      for (const n of list) {
        if (n.type !== 'element') continue;
        if (n.tag === 'template' && n.attrs.name !== undefined) file.templates.set(n.attrs.name, { nodes: n.children, file });
        else if (n.tag === 'wxs') file.wxs[this.moduleName(n)] = this.wxs(n, path);
        else walk(n.children);
      }
    };
    walk(nodes);
    // <import>: the imported file's own templates (not what it imports: WeChat's import is not transitive).
    const imports = (list: WxmlNode[]): WxmlElement[] => list.flatMap((n) => (n.type !== 'element' ? [] : n.tag === 'import' ? [n] : imports(n.children)));
    for (const imp of imports(nodes)) {
      const other = this.file(this.src(imp, path));
      for (const [k, v] of other.templates) if (v.file === other && !file.templates.has(k)) file.templates.set(k, v);
    }
    return file;
  }

  /** The path an `<import src>` / `<include src>` / `<wxs src>` names, checked to exist. */
  src(el: WxmlElement, from: string, ext = '.wxml'): string {
    const src = el.attrs.src;
    if (!src) throw new WxmlError(el.loc, `<${el.tag}> needs a src`);
    const bare = src.endsWith(ext) ? src.slice(0, -ext.length) : src;
    const path = posix.normalize(bare.startsWith('/') ? bare.slice(1) : posix.join(posix.dirname(from), bare));
    if (path.startsWith('..') || !isFile(join(this.dir, path + ext))) throw new WxmlError(el.attrLocs.src ?? el.loc, `<${el.tag} src="${src}">: no file ${path}${ext} in the mini-program`);
    return path;
  }

  private moduleName(el: WxmlElement): string {
    const name = el.attrs.module;
    if (!name || !/^[A-Za-z_$][\w$]*$/.test(name)) throw new WxmlError(el.loc, `<wxs> needs module="name" (a JavaScript identifier), not ${JSON.stringify(name ?? '')}`);
    return name;
  }

  /** Runs a wxs module (inline or src), once per file, in its own context: wxs sees no wx nor App. */
  private wxs(el: WxmlElement, from: string): unknown {
    if (el.attrs.src) return this.wxsFile(this.src(el, from, '.wxs'), el.loc);
    const code = el.children.map((c) => (c.type === 'text' ? c.text : '')).join('');
    return this.runWxs(code, `${from}.wxml`, el.children[0]?.loc ?? el.loc, (name) => this.wxsFile(this.wxsPath(name, from, el.loc), el.loc));
  }

  private wxsPath(name: string, from: string, loc: Loc): string {
    const bare = name.replace(/\.wxs$/, '');
    const path = posix.normalize(bare.startsWith('/') ? bare.slice(1) : posix.join(posix.dirname(from), bare));
    if (!isFile(join(this.dir, `${path}.wxs`))) throw new WxmlError(loc, `require('${name}') in wxs: no file ${path}.wxs`);
    return path;
  }

  private wxsFile(path: string, loc: Loc): unknown {
    if (this.wxsModules.has(path)) return this.wxsModules.get(path);
    this.wxsModules.set(path, {});
    const exports = this.runWxs(readFileSync(join(this.dir, `${path}.wxs`), 'utf8'), `${path}.wxs`, { file: `${path}.wxs`, line: 1, col: 1 }, (name) => this.wxsFile(this.wxsPath(name, path, loc), loc));
    this.wxsModules.set(path, exports);
    return exports;
  }

  private runWxs(code: string, file: string, loc: Loc, require: (name: string) => unknown): unknown {
    this.wxsContext ??= vm.createContext({
      getDate: (...args: unknown[]) => new (Date as unknown as new (...a: unknown[]) => Date)(...args),
      getRegExp: (source: string, flags?: string) => new RegExp(source, flags),
      console,
    });
    const module = { exports: {} as Record<string, unknown> };
    try {
      const fn = new vm.Script(`(function (module, exports, require) {${code}\n})`, { filename: join(this.dir, file), lineOffset: loc.line - 1 }).runInContext(this.wxsContext);
      fn(module, module.exports, require);
    } catch (err) {
      if (err instanceof WxmlError) throw err;
      throw new WxmlError(loc, `the wxs module does not run: ${(err as Error).message}`);
    }
    const exported = module.exports;
    if (typeof exported === 'function') wxsFunctions.add(exported);
    else if (exported && typeof exported === 'object') for (const v of Object.values(exported)) if (typeof v === 'function') wxsFunctions.add(v);
    return exported;
  }
}
