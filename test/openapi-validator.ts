/** Checks real answers against /__sandbox/openapi.json with ajv (JSON Schema 2020-12, as OpenAPI
 * 3.1 uses it), and remembers which operation answered with which status. */
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, Response3> }>> };
type Response3 = { content?: Record<string, { schema: unknown }>; headers?: Record<string, { required?: boolean; $ref?: string }> };

export const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** A JSON pointer segment. */
const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** A path template as a regex: `{x}` stands for one segment. */
export const templateRegex = (template: string) => new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`);

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: unknown;
}

export function createValidator(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true, inlineRefs: false });
  addFormats(ajv);
  ajv.addSchema(doc, 'openapi.json');
  /** `METHOD template status` of every answer checked. */
  const seen = new Set<string>();
  const templates = Object.keys(doc.paths).sort((a, b) => a.split('{').length - b.split('{').length);

  const templateOf = (method: string, path: string) => templates.find((t) => doc.paths[t][method] && templateRegex(t).test(path));

  const compiled = new Map<string, ValidateFunction>();
  const compile = (pointer: string) => {
    let validate = compiled.get(pointer);
    if (!validate) compiled.set(pointer, (validate = ajv.compile({ $ref: `openapi.json#${pointer}` })));
    return validate;
  };
  const validateAt = (pointer: string, value: unknown, what: string) => {
    const validate = compile(pointer);
    if (!validate(value)) {
      const errors = ajv.errorsText(validate.errors, { separator: '\n  ', dataVar: 'body' }).split('\n').slice(0, 12).join('\n');
      throw new Error(`${what} does not match its schema (${pointer}):\n  ${errors}\nthe value: ${JSON.stringify(value).slice(0, 1500)}`);
    }
  };

  /** Validates one real answer: its status is described, its body matches the schema of its
   * content type, its described headers are there and match. */
  function check(method: string, url: string, answer: Answer): void {
    const m = method.toLowerCase();
    const path = new URL(url).pathname;
    const template = templateOf(m, path);
    if (!template) throw new Error(`${method} ${path} is not described in openapi.json`);
    const op = doc.paths[template][m];
    const status = op.responses[String(answer.status)] ? String(answer.status) : op.responses.default ? 'default' : undefined;
    const what = `${method.toUpperCase()} ${path} → ${answer.status}`;
    if (!status) throw new Error(`${what}: status ${answer.status} is not described for ${method.toUpperCase()} ${template} (described: ${Object.keys(op.responses).join(', ')}); the body: ${answer.text.slice(0, 500)}`);
    seen.add(`${m} ${template} ${status}`);
    const response = op.responses[status];
    const base = `/paths/${esc(template)}/${m}/responses/${status}`;
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const value = answer.headers.get(name);
      if (value === null) {
        if (header.required) throw new Error(`${what}: the required header ${name} is missing`);
        continue;
      }
      if (header.$ref === '#/components/headers/SandboxDebug') validateAt('/components/schemas/SignDebug', JSON.parse(value), `${what} header ${name}`);
    }
    if (!response.content) return;
    const type = (answer.headers.get('content-type') ?? '').split(';')[0].trim();
    if (!response.content[type]) throw new Error(`${what}: content type "${type}" is not described (described: ${Object.keys(response.content).join(', ')})`);
    if (type !== 'application/json') return;
    validateAt(`${base}/content/${esc(type)}/schema`, answer.body, what);
  }

  /** Fetches, checks the answer against the description, and hands it back. */
  async function request(url: string, init: RequestInit = {}): Promise<Answer> {
    const res = await fetch(url, { redirect: 'manual', ...init });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const answer = { status: res.status, headers: res.headers, text, body };
    check(init.method ?? 'GET', url, answer);
    // What the sandbox took, its description must take too.
    if (res.status < 300 && typeof init.body === 'string' && new Headers(init.headers).get('content-type') === 'application/json') {
      const m = (init.method ?? 'GET').toLowerCase();
      const template = templateOf(m, new URL(url).pathname)!;
      validateAt(`/paths/${esc(template)}/${m}/requestBody/content/application~1json/schema`, JSON.parse(init.body), `the request body of ${m.toUpperCase()} ${template}`);
    }
    return answer;
  }

  /** Compiles every schema of the description: a broken $ref fails here, not in a test. */
  function compileAll(): void {
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const m of METHODS) {
        for (const [status, response] of Object.entries(item[m]?.responses ?? {})) {
          for (const type of Object.keys(response.content ?? {})) compile(`/paths/${esc(template)}/${m}/responses/${status}/content/${esc(type)}/schema`);
        }
      }
    }
  }

  return { check, request, seen, templateOf, compileAll, validateAt };
}

export type Validator = ReturnType<typeof createValidator>;

/** What a coverage test needs of vitest's test context (`it(name, (ctx) => …)`). */
interface CoverageContext {
  task: { name: string; suite?: { tasks: { name: string; mode: string; result?: { state?: string } }[] } };
  skip(note?: string): never;
}

/**
 * A test that sums up what the tests before it in its describe block produced ("has seen every
 * answer") says nothing when some of them did not run: filtered out with `-t`, `.only`, or not
 * yet run because the block was shuffled. It is skipped then, with the reason, instead of failing
 * for want of answers nobody asked for. The blocks that hold one are declared `{ shuffle: false }`.
 */
export function whenEveryEarlierTestRan(ctx: CoverageContext): void {
  const siblings = ctx.task.suite?.tasks ?? [];
  const earlier = siblings.slice(0, siblings.findIndex((t) => t.name === ctx.task.name));
  const missed = earlier.filter((t) => t.mode !== 'run' || !t.result?.state || t.result.state === 'skip');
  if (missed.length > 0) ctx.skip(`${missed.length} earlier test(s) of this block did not run (${missed.map((t) => t.name).slice(0, 3).join('; ')}): coverage cannot be judged`);
}
