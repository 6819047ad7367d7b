/**
 * Page and component instances as WeChat builds them from a `Page({...})` or `Component({...})`
 * definition: a deep copy of `data`, the methods, `setData` with path keys (`'a.b'`, `'list[0].x'`),
 * and for components `properties`, `observers`, `lifetimes`, `pageLifetimes` and `behaviors`.
 */

export type Fn = (...args: unknown[]) => unknown;
export type Definition = Record<string, unknown>;

/** A page or a component, as `this` inside its code. */
export interface Instance {
  [key: string]: unknown;
  data: Record<string, unknown>;
  setData(patch: Record<string, unknown>, callback?: Fn): void;
}

/** What instances need from the harness. */
export interface InstanceHost {
  /** A JSON deep copy made inside the mini-program's context. */
  clone<T>(value: T): T;
  /** Calls mini-program code, recording (not throwing) what it throws. */
  call(self: unknown, fn: unknown, args?: unknown[]): unknown;
  setDataCalled(self: Instance, patch: Record<string, unknown>): void;
  /** A component's triggerEvent(name, detail, options). */
  event(self: Instance, name: string, detail: unknown, options: Record<string, unknown>): void;
}

const isFn = (v: unknown): v is Fn => typeof v === 'function';
const asObject = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

function pathKeys(path: string): (string | number)[] {
  const keys: (string | number)[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) throw new Error(`setData: cannot read the key path "${path}"`);
    if (m[1]) keys.push(m[1]);
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) keys.push(Number(idx[1]));
  }
  return keys;
}

function setPath(data: Record<string, unknown>, path: string, value: unknown): void {
  const keys = pathKeys(path);
  let node = data as Record<string | number, unknown>;
  keys.forEach((key, i) => {
    if (i === keys.length - 1) {
      node[key] = value;
      return;
    }
    const next = node[key];
    if (!next || typeof next !== 'object') node[key] = typeof keys[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
}

function getPath(data: Record<string, unknown>, path: string): unknown {
  return pathKeys(path).reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string | number, unknown>)[key] : undefined), data);
}

/** The `setData` of an instance; `afterSet` runs once the data changed (observers). */
function makeSetData(self: Instance, host: InstanceHost, afterSet?: (keys: string[]) => void): Instance['setData'] {
  return (patch, callback) => {
    if (!patch || typeof patch !== 'object') throw new Error('setData takes an object');
    const copy = host.clone(patch);
    for (const [path, value] of Object.entries(copy)) setPath(self.data, path, value);
    host.setDataCalled(self, copy);
    afterSet?.(Object.keys(copy));
    // WeChat calls it once the view has rendered: after this turn.
    if (isFn(callback)) queueMicrotask(() => host.call(self, callback));
  };
}

/** A page instance from a Page() definition. */
export function pageInstance(def: Definition, route: string, query: Record<string, string>, host: InstanceHost): Instance {
  const self = { data: host.clone(asObject(def.data)), route, __route__: route, options: { ...query } } as unknown as Instance;
  for (const [k, v] of Object.entries(def)) if (k !== 'data') self[k] = isFn(v) ? v : host.clone(v);
  self.setData = makeSetData(self, host);
  return self;
}

/** Runs a hook of a page (onLoad, onShow, …) or of a component-page, if it has one. */
export function hook(self: Instance, name: string, host: InstanceHost, ...args: unknown[]): void {
  if (isFn(self[name])) host.call(self, self[name], args);
}

function propertyDefault(spec: unknown): unknown {
  const s = spec && typeof spec === 'object' ? (spec as Record<string, unknown>) : { type: spec };
  if ('value' in s) return s.value;
  const type = isFn(s.type) ? s.type.name : null;
  return type === 'Number' ? 0 : type === 'String' ? '' : type === 'Boolean' ? false : type === 'Array' ? [] : null;
}

function coerce(spec: unknown, v: unknown): unknown {
  const type = isFn(spec) ? spec.name : isFn(asObject(spec).type) ? (asObject(spec).type as Fn).name : null;
  if (typeof v !== 'string') return v;
  return type === 'Number' ? Number(v) : type === 'Boolean' ? v !== '' && v !== 'false' && v !== '0' : v;
}

/** A component instance from a Component() definition, its behaviors merged in; `created` has run. */
export function componentInstance(def: Definition, is: string, properties: Record<string, unknown>, host: InstanceHost, extra: Record<string, unknown> = {}): Instance {
  const defs = [...((def.behaviors as Definition[] | undefined) ?? []).filter((b) => b && typeof b === 'object'), def];
  const props: Record<string, unknown> = Object.assign({}, ...defs.map((d) => asObject(d.properties)));
  const data: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(props)) data[k] = propertyDefault(spec);
  Object.assign(data, ...defs.map((d) => asObject(d.data)));
  const self = { ...extra, is, data: host.clone(data) } as unknown as Instance;
  self.properties = self.data;
  for (const d of defs) for (const [k, fn] of Object.entries(asObject(d.methods))) if (isFn(fn)) self[k] = fn;
  const observers = defs.flatMap((d) => Object.entries(asObject(d.observers)).filter(([, fn]) => isFn(fn)) as [string, Fn][]);
  const run = (changed: string[]) => {
    const roots = new Set(changed.map((p) => String(pathKeys(p)[0])));
    for (const [name, spec] of Object.entries(props)) {
      const observer = asObject(spec).observer;
      if (roots.has(name) && isFn(observer)) host.call(self, observer, [self.data[name]]);
    }
    for (const [fields, fn] of observers) {
      const list = fields.split(',').map((f) => f.trim());
      if (list.some((f) => f === '**' || roots.has(String(pathKeys(f.replace(/\.\*\*$/, ''))[0])))) host.call(self, fn, list.map((f) => getPath(self.data, f.replace(/\.\*\*$/, ''))));
    }
  };
  self.setData = makeSetData(self, host, run);
  self.triggerEvent = (name: unknown, detail: unknown, options: unknown) => host.event(self, String(name), detail, asObject(options));
  self.__lifetimes = defs.map((d) => ({ ...d, ...asObject(d.lifetimes) }));
  self.__pageLifetimes = defs.map((d) => asObject(d.pageLifetimes));
  lifetime(self, 'created', host);
  const given = Object.entries(properties).filter(([k]) => k in props);
  if (given.length) self.setData(Object.fromEntries(given.map(([k, v]) => [k, coerce(props[k], v)])));
  return self;
}

/** Runs a lifetime (created, attached, ready, detached) of a component, behaviors first. */
export function lifetime(self: Instance, name: string, host: InstanceHost): void {
  for (const d of self.__lifetimes as Definition[]) if (isFn(d[name])) host.call(self, d[name]);
}

/** Runs a page lifetime (show, hide) of a component. */
export function pageLifetime(self: Instance, name: 'show' | 'hide', host: InstanceHost): void {
  for (const d of self.__pageLifetimes as Definition[]) if (isFn(d[name])) host.call(self, d[name]);
}
