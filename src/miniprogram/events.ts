/**
 * WeChat's event dispatch over the rendered tree (developers.weixin.qq.com, 框架 › WXML › 事件 and
 * 自定义组件 › 组件间通信与事件): a capture phase from the root down (`capture-bind`,
 * `capture-catch`), then the target and, for bubbling events, its ancestors (`bind`, `catch`,
 * `mut-bind`). `catch` stops bubbling; `capture-catch` stops both phases; of the `mut-bind`
 * handlers on the way, only the first runs. Touch events (tap, longpress, …) bubble and cross
 * component boundaries; a component's `triggerEvent(name, detail, { bubbles, composed,
 * capturePhase })` reaches only the handler on the component's own tag unless it bubbles, stays
 * in the tree that uses the component unless `composed`, and never enters the component's own
 * view. Handlers see `target` re-targeted to the node of their own tree.
 */
import type { Element } from 'domhandler';
import type { Instance } from './instance.js';
import type { Loc } from './wxml.js';

/** A handler written on a tag: `bindtap="onPay"`, `catch:success="…"`, `capture-bind:tap`, `mut-bind:tap`. */
export interface Listener {
  event: string;
  kind: 'bind' | 'catch' | 'mut-bind' | 'capture-bind' | 'capture-catch';
  /** The method name (already evaluated when written as `{{ }}`). */
  method: unknown;
}

/** What the renderer keeps about each element besides its tag and text. */
export interface NodeInfo {
  /** The page or component whose WXML wrote the tag: its methods handle the tag's events. */
  owner: Instance;
  /** The owner's path, for messages. */
  ownerPath: string;
  listeners: Listener[];
  dataset: Record<string, unknown>;
  marks: Record<string, unknown>;
  /** Attribute values as evaluated (objects stay objects). */
  attrs: Record<string, unknown>;
  /** `model:value="{{path}}"`: attribute → the data path it writes back. */
  models: Record<string, string>;
  loc: Loc;
  /** The instance, when the tag is a custom component. */
  component?: Instance;
  hidden: boolean;
}

export const nodeInfo = new WeakMap<Element, NodeInfo>();

/** Reads a listener from an attribute name, or undefined when the attribute is no event binding. */
export function listenerOf(name: string, value: unknown): Listener | undefined {
  for (const kind of ['capture-catch', 'capture-bind', 'mut-bind', 'catch', 'bind'] as const) {
    if (!name.startsWith(kind)) continue;
    const rest = name.slice(kind.length);
    const event = rest.startsWith(':') ? rest.slice(1) : kind === 'bind' || kind === 'catch' ? rest : '';
    if (event) return { event, kind, method: value };
  }
  return undefined;
}

// Bubbling events of WeChat's base library; everything else, custom events included, does not bubble.
const BUBBLING = new Set(['touchstart', 'touchmove', 'touchcancel', 'touchend', 'tap', 'longpress', 'longtap', 'transitionend', 'animationstart', 'animationiteration', 'animationend', 'touchforcechange']);

export interface DispatchOptions {
  bubbles?: boolean;
  composed?: boolean;
  capturePhase?: boolean;
}

/** Options of a built-in event of that type (a tap bubbles, crosses boundaries and has a capture phase). */
export const builtinOptions = (type: string): DispatchOptions => (BUBBLING.has(type) ? { bubbles: true, composed: true, capturePhase: true } : {});

/** How a dispatch calls a handler: the owner, the method, the event object. */
export type Invoke = (owner: Instance, ownerPath: string, method: unknown, event: Record<string, unknown>, info: NodeInfo) => void;

const elementsUp = (el: Element): Element[] => {
  const out: Element[] = [];
  for (let n: Element | null = el; n && n.type === 'tag'; n = n.parent as Element | null) out.push(n);
  return out;
};

const describe = (el: Element) => {
  const info = nodeInfo.get(el);
  return { id: String(info?.attrs.id ?? ''), dataset: { ...(info?.dataset ?? {}) } };
};

/** Dispatches an event from `origin`; `started` is when the page opened (timeStamp counts from it). */
export function dispatch(origin: Element, type: string, detail: unknown, options: DispatchOptions, started: number, invoke: Invoke, extra: Record<string, unknown> = {}): void {
  const up = elementsUp(origin);
  const originOwner = nodeInfo.get(origin)?.owner;
  // Not composed: only the tree the origin belongs to (the one that uses the component).
  const path = options.composed ? up : up.filter((el) => nodeInfo.get(el)?.owner === originOwner);
  const reach = options.bubbles ? path : path.slice(0, 1);
  const timeStamp = Date.now() - started;

  const eventFor = (current: Element): Record<string, unknown> => {
    const info = nodeInfo.get(current)!;
    // target, re-targeted: the deepest node on the way that belongs to the handler's own tree.
    const target = up.find((el) => nodeInfo.get(el)?.owner === info.owner) ?? origin;
    // mark: from the origin up, but inside a component not beyond the component's own view.
    const mark: Record<string, unknown> = {};
    const hostIndex = up.findIndex((el) => nodeInfo.get(el)?.component === info.owner);
    for (const el of up.slice(0, hostIndex === -1 ? undefined : hostIndex).reverse()) Object.assign(mark, nodeInfo.get(el)?.marks);
    return { type, timeStamp, target: describe(target), currentTarget: describe(current), detail, mark, ...extra };
  };

  let stopped = false;
  let mutDone = false;
  const fire = (el: Element, phase: 'capture' | 'bubble') => {
    const info = nodeInfo.get(el);
    if (!info) return;
    for (const l of info.listeners) {
      if (l.event !== type || stopped) continue;
      const capture = l.kind === 'capture-bind' || l.kind === 'capture-catch';
      if (capture !== (phase === 'capture')) continue;
      if (l.kind === 'mut-bind') {
        if (mutDone) continue;
        mutDone = true;
      }
      invoke(info.owner, info.ownerPath, l.method, eventFor(el), info);
      if (l.kind === 'catch' || l.kind === 'capture-catch') stopped = true;
    }
  };
  if (options.capturePhase) for (const el of [...path].reverse()) fire(el, 'capture');
  for (const el of reach) if (!stopped) fire(el, 'bubble');
}
