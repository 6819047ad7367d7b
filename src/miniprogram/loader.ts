import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import vm from 'node:vm';

/**
 * Runs a mini-program's CommonJS files in one node:vm context, as WeChat runs them in one
 * app-service context: `require` resolves relative paths within the mini-program directory (and
 * bare names in `miniprogram_npm/`), each file runs once, `module.exports` is what it gives.
 */
export class ModuleLoader {
  private readonly cache = new Map<string, { exports: unknown }>();
  /** Files being run, innermost last: App/Page/Component use it to know which file called them. */
  readonly running: string[] = [];

  constructor(
    readonly dir: string,
    private readonly context: vm.Context,
  ) {}

  /** The mini-program path of a file: `pages/pay/pay` for <dir>/pages/pay/pay.js. */
  route(file: string): string {
    return relative(this.dir, file).split(sep).join('/').replace(/\.js$/, '');
  }

  /** The file running now, as a mini-program path. */
  current(): string | undefined {
    const file = this.running.at(-1);
    return file ? this.route(file) : undefined;
  }

  /** Runs `<dir>/<path>.js` (once) and returns its exports. */
  load(path: string): unknown {
    const file = this.resolveFile(join(this.dir, path), path, '(the loader)');
    return this.run(file);
  }

  private run(file: string): unknown {
    const cached = this.cache.get(file);
    if (cached) return cached.exports;
    const module = { exports: {} as unknown };
    this.cache.set(file, module);
    const source = readFileSync(file, 'utf8');
    // The wrapper shares the first line with the source, so stack traces keep the file's line numbers.
    const wrapped = `(function (module, exports, require) {${source.startsWith('#!') ? '//' : ''}${source}\n})`;
    let fn: (m: unknown, e: unknown, r: unknown) => void;
    try {
      fn = new vm.Script(wrapped, { filename: file }).runInContext(this.context);
    } catch (err) {
      this.cache.delete(file);
      const e = err as Error;
      if (/import statement|export|Unexpected token 'export'/.test(e.message)) {
        throw new Error(`${this.route(file)}.js uses import/export: the harness runs CommonJS mini-program code (require and module.exports), as WeChat does without its ES6 transform`);
      }
      throw new Error(`${this.route(file)}.js does not parse: ${e.message}`);
    }
    this.running.push(file);
    try {
      fn.call(module.exports, module, module.exports, (name: string) => this.require(name, file));
    } catch (err) {
      this.cache.delete(file);
      throw err;
    } finally {
      this.running.pop();
    }
    return module.exports;
  }

  private require(name: string, from: string): unknown {
    if (typeof name !== 'string' || name === '') throw new Error(`require() needs a path (in ${this.route(from)}.js)`);
    const base = name.startsWith('/') ? join(this.dir, name) : name.startsWith('.') ? resolve(dirname(from), name) : join(this.dir, 'miniprogram_npm', name);
    return this.run(this.resolveFile(base, name, `${this.route(from)}.js`));
  }

  private resolveFile(base: string, name: string, from: string): string {
    const inside = (f: string) => f === this.dir || f.startsWith(this.dir + sep);
    if (!inside(base)) throw new Error(`require('${name}') in ${from} leaves the mini-program directory ${this.dir}`);
    for (const f of [base, `${base}.js`, join(base, 'index.js')]) {
      if (existsSync(f) && statSync(f).isFile()) return f;
    }
    const hint = name.startsWith('.') || name.startsWith('/') ? '' : ' (bare names are looked up in miniprogram_npm/, as WeChat does after "build npm")';
    throw new Error(`require('${name}') in ${from}: no such file ${relative(this.dir, base)}.js${hint}`);
  }
}
