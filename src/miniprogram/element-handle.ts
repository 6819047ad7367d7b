/**
 * What `mp.find(selector)` returns: a handle on a rendered element, found again by its selector
 * each time it is used (the tree is rendered anew after every setData), with css-select doing the
 * matching (tag, .class, #id, [data-x=y], descendants and the rest of CSS).
 */
import { selectAll } from 'css-select';
import type { AnyNode, Document, Element } from 'domhandler';
import { getOuterHTML, textContent } from 'domutils';
import { nodeInfo } from './events.js';
import type { Instance } from './instance.js';

/** What a handle needs from the harness. */
export interface HandleHost {
  /** The current page's rendered tree. */
  root(): Document;
  /** The page route, for messages. */
  route(): string;
  tap(el: Element, detail: Record<string, unknown>): Promise<void>;
  input(el: Element, value: string): Promise<void>;
}

/** The visible text under a node: hidden subtrees left out, each text trimmed, one per line. */
export function visibleText(nodes: AnyNode[]): string {
  const out: string[] = [];
  const walk = (n: AnyNode) => {
    if (n.type === 'text') {
      const t = textContent(n).trim();
      if (t) out.push(t);
    } else if ('children' in n) {
      if (n.type === 'tag' && nodeInfo.get(n as Element)?.hidden) return;
      for (const c of n.children) walk(c);
    }
  };
  nodes.forEach(walk);
  return out.join('\n');
}

/** The rendered tree as markup (for snapshots and failure messages). */
export const markup = (nodes: AnyNode[]): string => getOuterHTML(nodes, { xmlMode: true, decodeEntities: false } as never);

/** Every element matching `selector` under the root, in document order. */
export function select(selector: string, root: Document): Element[] {
  try {
    return selectAll<AnyNode, Element>(selector, root.children, { xmlMode: true });
  } catch (err) {
    throw new Error(`find('${selector}'): not a selector css-select reads (${(err as Error).message})`);
  }
}

/** What is on the page, for a find that matched nothing: each distinct tag#id.class, once. */
function inventory(root: Document): string {
  const seen = new Set<string>();
  for (const el of selectAll<AnyNode, Element>('*', root.children, { xmlMode: true })) {
    const id = el.attribs.id ? `#${el.attribs.id}` : '';
    const classes = (el.attribs.class ?? '').split(/\s+/).filter(Boolean).map((c) => `.${c}`).join('');
    const data = Object.keys(el.attribs).filter((k) => k.startsWith('data-')).map((k) => `[${k}=${el.attribs[k]}]`).join('');
    seen.add(`${el.name}${id}${classes}${data}`);
  }
  return seen.size ? [...seen].slice(0, 60).join(', ') : '(nothing: the page rendered no element)';
}

export class ElementHandle {
  constructor(
    private readonly host: HandleHost,
    readonly selector: string,
    private readonly index = 0,
  ) {}

  /** The element now (throws, listing what the page has, when it is gone). */
  get element(): Element {
    const all = select(this.selector, this.host.root());
    const el = all[this.index];
    if (!el) {
      const what = this.index === 0 ? 'nothing matches' : `only ${all.length} element(s) match, not ${this.index + 1}`;
      throw new Error(`find('${this.selector}'): ${what} on ${this.host.route()}; it has ${inventory(this.host.root())}\n${markup(this.host.root().children).slice(0, 2000)}`);
    }
    return el;
  }

  /** Its visible text. */
  get text(): string {
    return visibleText([this.element]);
  }

  /** Its attributes as evaluated (objects stay objects). */
  get attrs(): Record<string, unknown> {
    return { ...(nodeInfo.get(this.element)?.attrs ?? {}) };
  }

  /** Its `data-*` attributes, as `e.currentTarget.dataset` has them. */
  get dataset(): Record<string, unknown> {
    return { ...(nodeInfo.get(this.element)?.dataset ?? {}) };
  }

  /** The component instance, when the tag is a custom component. */
  get component(): Instance | undefined {
    return nodeInfo.get(this.element)?.component;
  }

  /** Its markup. */
  html(): string {
    return markup([this.element]);
  }

  /** Taps it (capture, then bubble), as a finger would; a navigator then navigates; settles. */
  tap(detail: Record<string, unknown> = {}): Promise<void> {
    return this.host.tap(this.element, detail);
  }

  /** Types `value` into an input or textarea: the input event, and `model:value`; settles. */
  input(value: string): Promise<void> {
    return this.host.input(this.element, value);
  }
}
