/**
 * WXML markup as a tree with source positions, read with htmlparser2 in XML mode (case kept, so
 * `bind:camelCase` survives; `<x />` closes). A tag left open, a close tag that matches nothing and
 * an unterminated `{{` are syntax errors with file:line:col, as WeChat's compiler reports them.
 */
import { Parser } from 'htmlparser2';

/** A place in a .wxml file (line and column from 1). */
export interface Loc {
  file: string;
  line: number;
  col: number;
}

export interface WxmlElement {
  type: 'element';
  tag: string;
  attrs: Record<string, string>;
  /** Where each attribute's value starts. */
  attrLocs: Record<string, Loc>;
  children: WxmlNode[];
  loc: Loc;
}

export interface WxmlText {
  type: 'text';
  text: string;
  loc: Loc;
}

export type WxmlNode = WxmlElement | WxmlText;

/** A WXML problem at file:line:col: a syntax error, an unknown tag, an expression that throws. */
export class WxmlError extends Error {
  constructor(
    readonly loc: Loc,
    why: string,
  ) {
    super(`${loc.file}:${loc.line}:${loc.col}: ${why}`);
    this.name = 'WxmlError';
  }
}

/** Index → line/column of one source text. */
export function locator(source: string, file: string): (index: number) => Loc {
  const starts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') starts.push(i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return { file, line: lo + 1, col: index - starts[lo] + 1 };
  };
}

/** Parses a .wxml file; `file` is the name errors carry (relative to the mini-program). */
export function parseWxml(source: string, file: string): WxmlNode[] {
  const at = locator(source, file);
  const root: WxmlNode[] = [];
  const stack: WxmlElement[] = [];
  let attrLocs: Record<string, Loc> = {};
  let failure: WxmlError | undefined;
  let selfClosing = false;
  const fail = (loc: Loc, why: string) => {
    failure ??= new WxmlError(loc, why);
  };
  const children = () => stack.at(-1)?.children ?? root;

  const parser: Parser = new (class extends Parser {
    // htmlparser2 drops a close tag that matches no open tag; WeChat's compiler refuses it.
    override onclosetag(start: number, endIndex: number): void {
      const name = source.slice(start, endIndex);
      if (!stack.some((e) => e.tag === name)) fail(at(start - 2), `</${name}> closes no open tag`);
      super.onclosetag(start, endIndex);
    }
    // `<x />` closes as "implied" too; only an open tag nobody closed is an error.
    override onselfclosingtag(endIndex: number): void {
      selfClosing = true;
      super.onselfclosingtag(endIndex);
      selfClosing = false;
    }
  })(
    {
      onattribute(name, value) {
        attrLocs[name] = at(Math.max(0, parser.endIndex - value.length));
      },
      onopentag(tag, attrs) {
        const el: WxmlElement = { type: 'element', tag, attrs: { ...attrs }, attrLocs, children: [], loc: at(parser.startIndex) };
        attrLocs = {};
        children().push(el);
        stack.push(el);
      },
      onclosetag(tag, implied) {
        const el = stack.pop();
        if (implied && !selfClosing && el) fail(el.loc, `<${tag}> is not closed (add </${tag}>, or write <${tag} />)`);
      },
      ontext(text) {
        const list = children();
        const last = list.at(-1);
        // The parser hands a text over in pieces (around entities, comments): keep it one node.
        if (last?.type === 'text') last.text += text;
        else list.push({ type: 'text', text, loc: at(parser.startIndex) });
      },
    },
    { xmlMode: true },
  );
  parser.end(source);
  if (failure) throw failure;
  checkMustaches(root);
  return root;
}

/** Every `{{` has its `}}`. */
function checkMustaches(nodes: WxmlNode[]): void {
  for (const node of nodes) {
    if (node.type === 'text') {
      if (unterminated(node.text)) throw new WxmlError(node.loc, `"{{" is not closed by "}}" in the text ${JSON.stringify(node.text.trim().slice(0, 40))}`);
      continue;
    }
    for (const [name, value] of Object.entries(node.attrs)) {
      if (unterminated(value)) throw new WxmlError(node.attrLocs[name] ?? node.loc, `"{{" is not closed by "}}" in ${name}="${value}"`);
    }
    if (node.tag !== 'wxs') checkMustaches(node.children);
  }
}

function unterminated(text: string): boolean {
  let i = 0;
  for (;;) {
    const open = text.indexOf('{{', i);
    if (open === -1) return false;
    const close = text.indexOf('}}', open + 2);
    if (close === -1) return true;
    i = close + 2;
  }
}
