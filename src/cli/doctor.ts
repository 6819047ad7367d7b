/**
 * `payjs-sandbox doctor <dir>`: checks a merchant mini-program for the mistakes that break the
 * PAYJS mini-program flow (docs/protocol.md §12): app.json must list PAYJS's appId, and the onShow code
 * that reads the result must check the scene (1038) and the referrer's appId. A source scan, not a
 * parser: it reads App's onShow and wx.onAppShow handlers in the .js/.ts files.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { MINIPROGRAM_RETURN_SCENE, PAYJS_MINIPROGRAM_APPID } from '../core/protocol.js';

/** One problem, at file:line (the file relative to the mini-program directory). */
export interface Finding {
  file: string;
  line: number;
  message: string;
}

/** What a doctor run found, and how many handlers it read. */
export interface Diagnosis {
  findings: Finding[];
  handlers: number;
}

// WeChat refuses more than ten appIds in navigateToMiniProgramAppIdList.
const MAX_APPIDS = 10;
const SKIP_DIRS = new Set(['node_modules', 'miniprogram_npm', 'dist', 'unpackage']);

/** The source with comments blanked (newlines kept), so that line numbers stay right. */
function withoutComments(src: string): string {
  let out = '';
  for (let i = 0; i < src.length; ) {
    const c = src[i];
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else if (src.startsWith('//', i) || src.startsWith('/*', i)) {
      const end = src.startsWith('//', i) ? src.indexOf('\n', i) : src.indexOf('*/', i) + 2;
      const stop = end <= 1 || end === -1 ? src.length : end;
      out += src.slice(i, stop).replace(/[^\n]/g, ' ');
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const lineAt = (src: string, index: number) => src.slice(0, index).split('\n').length;

function closing(src: string, open: number): number {
  const [o, c] = src[open] === '(' ? ['(', ')'] : ['{', '}'];
  let depth = 0;
  for (let i = open; i < src.length; i++) {
    if (src[i] === o) depth++;
    if (src[i] === c && --depth === 0) return i;
  }
  return src.length - 1;
}

/** The body of the function whose definition starts at `from`: past its parameter list (which
 * may destructure with braces), the balanced braces, or an arrow's expression up to the line end. */
function bodyAfter(src: string, from: number): string {
  const head = /\(|=>/.exec(src.slice(from));
  if (!head) return '';
  let i = from + head.index;
  if (src[i] === '(') i = closing(src, i) + 1;
  i += /^\s*(?:=>)?\s*/.exec(src.slice(i))![0].length;
  if (src[i] === '{') return src.slice(i, closing(src, i) + 1);
  const eol = src.indexOf('\n', i);
  return src.slice(i, eol === -1 ? undefined : eol);
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || SKIP_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(js|ts)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function checkAppJson(dir: string): Finding[] {
  const file = join(dir, 'app.json');
  if (!existsSync(file)) return [{ file: 'app.json', line: 1, message: `no app.json in ${dir}: give the mini-program's root directory` }];
  const text = readFileSync(file, 'utf8');
  let json: { navigateToMiniProgramAppIdList?: unknown };
  try {
    json = JSON.parse(text);
  } catch (err) {
    return [{ file: 'app.json', line: 1, message: `app.json does not parse: ${(err as Error).message}` }];
  }
  const at = text.indexOf('navigateToMiniProgramAppIdList');
  const line = at === -1 ? 1 : lineAt(text, at);
  const list = json.navigateToMiniProgramAppIdList;
  if (!Array.isArray(list) || !list.includes(PAYJS_MINIPROGRAM_APPID)) {
    return [{ file: 'app.json', line, message: `navigateToMiniProgramAppIdList does not list ${PAYJS_MINIPROGRAM_APPID} (the PAYJS mini-program): wx.navigateToMiniProgram fails without it; add "navigateToMiniProgramAppIdList": ["${PAYJS_MINIPROGRAM_APPID}"]` }];
  }
  if (list.length > MAX_APPIDS) return [{ file: 'app.json', line, message: `navigateToMiniProgramAppIdList has ${list.length} appIds; WeChat accepts at most ${MAX_APPIDS}` }];
  return [];
}

/** App's onShow and wx.onAppShow handlers of one file: where each starts and its body. */
function handlers(src: string): { kind: string; index: number; body: string }[] {
  const found: { kind: string; index: number; body: string }[] = [];
  if (/\bApp\s*\(/.test(src)) {
    for (const m of src.matchAll(/\bonShow\s*(?:\(|:\s*(?:async\s+)?(?:function\b[^(]*\(|\(|\w+\s*=>)|=\s*(?:async\s+)?(?:function\b|\())/g)) {
      found.push({ kind: 'App onShow', index: m.index, body: bodyAfter(src, m.index) });
    }
  }
  for (const m of src.matchAll(/\bwx\.onAppShow\s*\(\s*/g)) {
    const rest = src.slice(m.index + m[0].length);
    // A named handler (`wx.onAppShow(this.onBack)`): read the function of that name in the file.
    const named = /^(?:this\.)?(\w+)\s*\)/.exec(rest);
    const def = named ? new RegExp(`\\b${named[1]}\\s*(?:\\(|:\\s*(?:async\\s+)?(?:function\\b|\\(|\\w+\\s*=>)|=\\s*(?:async\\s+)?(?:function\\b|\\(|\\w+\\s*=>))`).exec(src) : null;
    found.push({ kind: 'wx.onAppShow handler', index: m.index, body: def ? bodyAfter(src, def.index) : bodyAfter(src, m.index + m[0].length) });
  }
  return found;
}

/** Checks a mini-program directory; no findings means it is clean. */
export function doctor(dirArg: string): Diagnosis {
  const dir = resolve(dirArg);
  const findings = checkAppJson(dir);
  if (!existsSync(dir)) return { findings, handlers: 0 };
  let count = 0;
  let readsResult = false;
  const files = sourceFiles(dir);
  for (const path of files) {
    const src = withoutComments(readFileSync(path, 'utf8'));
    const file = relative(dir, path).split(sep).join('/');
    if (/\breferrerInfo\b/.test(src)) readsResult = true;
    for (const h of handlers(src)) {
      count++;
      // A handler that never touches the result (analytics, a refresh) needs no check.
      if (!/\b(referrerInfo|extraData)\b/.test(h.body)) continue;
      const line = lineAt(src, h.index);
      if (!/\bscene\b/.test(h.body) || !src.includes(String(MINIPROGRAM_RETURN_SCENE))) {
        findings.push({ file, line, message: `${h.kind} reads the PAYJS result without checking options.scene === ${MINIPROGRAM_RETURN_SCENE} (back from another mini-program, docs/protocol.md §12.3)` });
      }
      if (!/\breferrerInfo\b[\s\S]*\bappId\b|\bappId\b[\s\S]*\breferrerInfo\b/.test(h.body)) {
        findings.push({ file, line, message: `${h.kind} reads the PAYJS result without checking options.referrerInfo.appId === '${PAYJS_MINIPROGRAM_APPID}': any mini-program could hand back a "success"` });
      }
    }
  }
  findings.push(...showRace(dir, files));
  if (!readsResult && existsSync(join(dir, 'app.json'))) {
    findings.push({ file: existsSync(join(dir, 'app.js')) ? 'app.js' : 'app.json', line: 1, message: `no App onShow or wx.onAppShow handler reads options.referrerInfo: the return from PAYJS (scene ${MINIPROGRAM_RETURN_SCENE}) is never seen` });
  }
  return { findings, handlers: count };
}

// What counts as waiting for App.onShow: a timer, a promise, or a listener of its own.
const WAITS = /\b(setTimeout|setInterval|await|then|Promise|wx\.onAppShow)\b/;

/**
 * A page onShow that reads `globalData.X` where App.onShow sets X: WeChat does not promise which
 * onShow runs first on the return from PAYJS (docs/protocol.md §12.3), so without a wait or a retry the
 * page may read X before it is set. An App.onShow that hands the value to the page itself
 * (getCurrentPages()) is not flagged.
 */
function showRace(dir: string, files: string[]): Finding[] {
  const app = files.find((f) => relative(dir, f) === 'app.js' || relative(dir, f) === 'app.ts');
  if (!app) return [];
  const appSrc = withoutComments(readFileSync(app, 'utf8'));
  const set = new Set<string>();
  for (const h of handlers(appSrc).filter((h) => h.kind === 'App onShow')) {
    if (/\bgetCurrentPages\b/.test(h.body)) return [];
    for (const m of h.body.matchAll(/globalData\.(\w+)\s*=(?!=)/g)) set.add(m[1]);
  }
  if (set.size === 0) return [];
  const out: Finding[] = [];
  for (const path of files) {
    const src = withoutComments(readFileSync(path, 'utf8'));
    if (path === app || !/\bPage\s*\(/.test(src)) continue;
    for (const m of src.matchAll(/\bonShow\s*(?:\(|:\s*(?:async\s+)?(?:function\b|\())/g)) {
      const body = bodyAfter(src, m.index);
      const read = [...body.matchAll(/globalData\.(\w+)/g)].map((r) => r[1]).find((f) => set.has(f));
      if (!read || WAITS.test(body)) continue;
      out.push({
        file: relative(dir, path).split(sep).join('/'),
        line: lineAt(src, m.index),
        message: `page onShow reads globalData.${read}, which App.onShow sets: WeChat does not promise which onShow runs first on the return from PAYJS, so the page may read it before it is set; wait for it (App.onShow calling the page, a retry, or wx.onAppShow in the page), and test both orders with eachShowOrder from payjs-sandbox/testing`,
      });
    }
  }
  return out;
}

/** `payjs-sandbox doctor <dir>`: prints the findings; 0 when clean, 1 with problems, 2 on usage. */
export function runDoctor(args: string[], out: (line: string) => void, err: (line: string) => void): number {
  if (args.length !== 1 || args[0] === '--help' || args[0] === '-h') {
    (args[0] === '--help' || args[0] === '-h' ? out : err)('Usage: payjs-sandbox doctor <mini-program dir>\n  checks app.json lists the PAYJS mini-program and that App onShow / wx.onAppShow handlers check scene 1038 and referrerInfo.appId');
    return args[0] === '--help' || args[0] === '-h' ? 0 : 2;
  }
  const stat = statSync(args[0], { throwIfNoEntry: false });
  if (!stat) return err(`payjs-sandbox doctor: no such directory: ${args[0]}`), 2;
  if (!stat.isDirectory()) return err(`payjs-sandbox doctor: ${args[0]} is a file, not a directory: give the mini-program's directory (the one with app.json)`), 2;
  const { findings, handlers: count } = doctor(args[0]);
  for (const f of findings) out(`${f.file}:${f.line}: ${f.message}`);
  if (findings.length) {
    out(`${findings.length} problem${findings.length === 1 ? '' : 's'} in ${resolve(args[0])}`);
    return 1;
  }
  out(`no problems in ${resolve(args[0])}: app.json lists ${PAYJS_MINIPROGRAM_APPID}; ${count} onShow handler${count === 1 ? '' : 's'} read`);
  return 0;
}
