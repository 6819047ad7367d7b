/**
 * WXML's `{{ }}` data binding: the text around and between mustaches, and each expression parsed
 * by acorn and evaluated over the page's or component's data. acorn rather than a small expression
 * library (jsep): it is the parser webpack, rollup and eslint's espree build on, it takes every
 * JavaScript expression (object literals, spread, `??`) without plugins, and gives the position of
 * a syntax error. The evaluator takes what WXML takes: paths, arithmetic, comparison, `? :`,
 * logical operators, `!`, `typeof`, array and object literals, and calls of `<wxs>` functions.
 * A path through `undefined` gives `undefined`, as WXML renders it empty.
 */
import { parseExpressionAt, type Expression, type Node } from 'acorn';
import { WxmlError, type Loc } from './wxml.js';

/** Names visible to an expression: the data, then wx:for items and wxs modules, innermost first. */
export class Scope {
  constructor(
    private readonly vars: Record<string, unknown>,
    private readonly parent?: Scope,
  ) {}

  get(name: string): unknown {
    for (let s: Scope | undefined = this; s; s = s.parent) if (Object.hasOwn(s.vars, name)) return s.vars[name];
    return undefined;
  }

  /** A scope with more names (a wx:for item and index). */
  with(vars: Record<string, unknown>): Scope {
    return new Scope(vars, this);
  }
}

/** One parsed expression, with where it stands in the file. */
export interface Compiled {
  source: string;
  node: Expression;
  loc: Loc;
}

/** A binding: text pieces and expressions in order. */
export type Binding = (string | Compiled)[];

/** The functions of `<wxs>` modules: the only functions WXML may call. */
export const wxsFunctions = new WeakSet<object>();

/** The place `offset` characters after `loc` in `text`. */
export function shift(loc: Loc, text: string, offset: number): Loc {
  let { line, col } = loc;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { file: loc.file, line, col };
}

const cache = new Map<string, Expression>();

/** Parses one expression; `{{a: 1, ...b}}` (a template's data) is read as an object literal. */
export function compile(source: string, loc: Loc): Compiled {
  const key = source;
  let node = cache.get(key);
  if (!node) {
    node = parseOne(source, loc);
    check(node, source, loc);
    cache.set(key, node);
  }
  return { source, node, loc };
}

function parseOne(source: string, loc: Loc): Expression {
  // acorn reports `({…})` as the object inside the parentheses: the `)` is what is left.
  const whole = (text: string, left = ''): Expression => {
    const node = parseExpressionAt(text, 0, { ecmaVersion: 2022 });
    const rest = text.slice(node.end);
    if (rest.trim() !== left) throw Object.assign(new SyntaxError(`Unexpected "${rest.trim().slice(0, 10)}"`), { pos: node.end + rest.search(/\S/) });
    return node;
  };
  try {
    return whole(source);
  } catch (first) {
    try {
      return whole(`({${source}})`, ')');
    } catch {
      const e = first as SyntaxError & { pos?: number };
      const at = shift(loc, source, e.pos ?? 0);
      throw new WxmlError(at, `{{${source}}} does not parse: ${e.message.replace(/ \(\d+:\d+\)$/, '')}`);
    }
  }
}

const ALLOWED = new Set([
  'Identifier', 'Literal', 'MemberExpression', 'BinaryExpression', 'LogicalExpression', 'UnaryExpression', 'ConditionalExpression',
  'ArrayExpression', 'ObjectExpression', 'Property', 'SpreadElement', 'CallExpression', 'ParenthesizedExpression', 'ChainExpression',
]);

/** Refuses syntax WXML has not: functions, assignments, `new`, `this`, template strings. */
function check(node: Node, source: string, loc: Loc): void {
  const walk = (n: Node | null | undefined): void => {
    if (!n || typeof n !== 'object') return;
    if (!ALLOWED.has(n.type) || (n.type === 'Literal' && 'regex' in n && n.regex) || (n.type === 'Property' && ((n as unknown as { computed: boolean }).computed || (n as unknown as { kind: string }).kind !== 'init'))) {
      throw new WxmlError(shift(loc, source, Math.max(0, n.start - (source.startsWith('(') ? 0 : 0))), `{{${source}}}: WXML has no ${n.type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} (paths, operators, ? :, array and object literals and wxs calls only)`);
    }
    for (const [k, v] of Object.entries(n)) {
      if (k === 'type' || k === 'start' || k === 'end') continue;
      if (Array.isArray(v)) v.forEach((c) => walk(c as Node));
      else if (v && typeof v === 'object' && 'type' in v) walk(v as Node);
    }
  };
  walk(node);
}

/** Splits an attribute value or a text into text and `{{ }}` expressions. */
export function binding(text: string, loc: Loc): Binding {
  const parts: Binding = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    if (open === -1) {
      parts.push(text.slice(i));
      break;
    }
    if (open > i) parts.push(text.slice(i, open));
    const close = text.indexOf('}}', open + 2);
    // `{{a: {b: 1}}}`: the mustache ends at the last of a run of braces.
    let end = close;
    while (text[end + 2] === '}') end++;
    const source = text.slice(open + 2, end);
    parts.push(compile(source, shift(loc, text, open + 2)));
    i = end + 2;
  }
  return parts;
}

/** True when the binding has an expression. */
export const isDynamic = (b: Binding) => b.some((p) => typeof p !== 'string');

/** A binding's value: one lone expression keeps its type, anything else is a string. */
export function evaluate(b: Binding, scope: Scope): unknown {
  if (b.length === 1 && typeof b[0] !== 'string') return run(b[0], scope);
  return b.map((p) => (typeof p === 'string' ? p : show(run(p, scope)))).join('');
}

/** How WXML prints a value in text. */
export const show = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'object' && !Array.isArray(v) ? '[object Object]' : String(v));

/** Evaluates one expression; what a wxs function throws becomes an error at the expression. */
export function run(c: Compiled, scope: Scope): unknown {
  try {
    return value(c.node, scope);
  } catch (err) {
    if (err instanceof WxmlError) throw err;
    throw new WxmlError(c.loc, `{{${c.source}}} threw: ${(err as Error)?.message ?? String(err)}`);
  }
}

type Any = Record<string | number, unknown>;

function member(obj: unknown, key: unknown): unknown {
  if (obj === undefined || obj === null) return undefined;
  const k = key as string;
  if (typeof obj === 'string' && k === 'length') return obj.length;
  if (typeof obj !== 'object' && typeof obj !== 'function') return undefined;
  // Own data only: a binding does not reach constructors or prototypes.
  return Object.hasOwn(obj as object, k) || (Array.isArray(obj) && k === 'length') ? (obj as Any)[k] : undefined;
}

function value(n: Node, scope: Scope): unknown {
  const e = n as unknown as Any & { type: string };
  switch (e.type) {
    case 'Literal':
      return e.value;
    case 'Identifier':
      return e.name === 'undefined' ? undefined : scope.get(e.name as string);
    case 'ParenthesizedExpression':
      return value(e.expression as Node, scope);
    case 'ChainExpression':
      return value(e.expression as Node, scope);
    case 'MemberExpression': {
      const obj = value(e.object as Node, scope);
      const key = e.computed ? value(e.property as Node, scope) : (e.property as Any).name;
      return member(obj, key);
    }
    case 'UnaryExpression': {
      const v = value(e.argument as Node, scope);
      switch (e.operator) {
        case '!': return !v;
        case '-': return -(v as number);
        case '+': return +(v as number);
        case '~': return ~(v as number);
        case 'typeof': return typeof v;
        case 'void': return undefined;
        default: throw new Error(`the operator ${String(e.operator)} is not WXML`);
      }
    }
    case 'LogicalExpression': {
      const l = value(e.left as Node, scope);
      if (e.operator === '&&') return l && value(e.right as Node, scope);
      if (e.operator === '||') return l || value(e.right as Node, scope);
      return l ?? value(e.right as Node, scope);
    }
    case 'BinaryExpression': {
      const l = value(e.left as Node, scope) as number;
      const r = value(e.right as Node, scope) as number;
      switch (e.operator) {
        case '+': return l + r;
        case '-': return l - r;
        case '*': return l * r;
        case '/': return l / r;
        case '%': return l % r;
        case '**': return l ** r;
        case '==': return l == r;
        case '!=': return l != r;
        case '===': return l === r;
        case '!==': return l !== r;
        case '<': return l < r;
        case '<=': return l <= r;
        case '>': return l > r;
        case '>=': return l >= r;
        case '&': return l & r;
        case '|': return l | r;
        case '^': return l ^ r;
        case '<<': return l << r;
        case '>>': return l >> r;
        case '>>>': return l >>> r;
        default: throw new Error(`the operator ${String(e.operator)} is not WXML`);
      }
    }
    case 'ConditionalExpression':
      return value(e.test as Node, scope) ? value(e.consequent as Node, scope) : value(e.alternate as Node, scope);
    case 'ArrayExpression': {
      const out: unknown[] = [];
      for (const el of e.elements as (Node | null)[]) {
        if (!el) out.push(undefined);
        else if (el.type === 'SpreadElement') out.push(...((value((el as unknown as Any).argument as Node, scope) as unknown[]) ?? []));
        else out.push(value(el, scope));
      }
      return out;
    }
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {};
      for (const p of e.properties as Any[]) {
        if (p.type === 'SpreadElement') Object.assign(out, value(p.argument as Node, scope) ?? {});
        else {
          const k = p.key as Any;
          out[String(k.type === 'Identifier' ? k.name : k.value)] = value(p.value as Node, scope);
        }
      }
      return out;
    }
    case 'CallExpression': {
      const callee = e.callee as Any;
      const self = callee.type === 'MemberExpression' ? value(callee.object as Node, scope) : undefined;
      const fn = callee.type === 'MemberExpression' ? member(self, callee.computed ? value(callee.property as Node, scope) : (callee.property as Any).name) : value(callee as unknown as Node, scope);
      if (typeof fn !== 'function' || !wxsFunctions.has(fn)) {
        throw new Error('WXML calls only functions of <wxs> modules (WeChat renders nothing for other calls): format the value in a wxs module or in setData');
      }
      return fn.apply(self, (e.arguments as Node[]).map((a) => value(a, scope)));
    }
    default:
      throw new Error(`${e.type} is not WXML`);
  }
}
