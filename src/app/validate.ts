import type { ErrorObject, ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import { Refusal } from '../core/errors.js';

/**
 * The one validation mechanism for JSON that reaches the sandbox (control-API bodies, seeds,
 * snapshots, scenario rules and files, merchants, mini-program extraData): a JSON Schema (2020-12)
 * checked by ajv. The same schema objects feed the OpenAPI document, so what is documented is
 * what is enforced.
 *
 * A refusal names the path of the first wrong value and says what it must be, using the schema's
 * `description` as the fix where it has one: `orders[2].total_fee: must be >= 1 (a whole number of fen ≥ 1)`.
 */

export type JsonSchema = Record<string, unknown>;

type Ajv2020 = import('ajv/dist/2020.js').default;
let ajv: Ajv2020 | undefined;
// ajv costs ~40 ms to load: loaded when the first body is checked, never at start.
// validateSchema: false: the schemas are the sandbox's own, checked against the JSON Schema
// meta-schema by test/validate.test.ts; checking them here would compile the 2020-12 meta-schema
// at the first check, ~5× the cost of compiling the schema itself.
const instance = (): Ajv2020 => {
  if (ajv) return ajv;
  const require = createRequire(import.meta.url);
  const Ajv = (require('ajv/dist/2020.js') as { default: new (o: object) => Ajv2020 }).default;
  ajv = new Ajv({ allErrors: false, verbose: true, strict: false, validateSchema: false });
  return ajv;
};

/** `/orders/2/total_fee` → `orders[2].total_fee` (the way the messages have always named fields). */
export function jsonPath(pointer: string, root = ''): string {
  let out = root;
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out || root || 'body';
}

function explain(err: ErrorObject, root: string): [string, string] {
  const where = err.keyword === 'required'
    ? jsonPath(`${err.instancePath}/${(err.params as { missingProperty: string }).missingProperty}`, root)
    : err.keyword === 'additionalProperties'
      ? jsonPath(`${err.instancePath}/${(err.params as { additionalProperty: string }).additionalProperty}`, root)
      : jsonPath(err.instancePath, root);
  let why = err.keyword === 'required' ? 'is required'
    : err.keyword === 'additionalProperties' ? 'is not a known field'
      : err.keyword === 'enum' ? `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`
        : err.message ?? 'is not valid';
  // The fix: the description of the value's schema, or for a missing or unknown field, of the
  // object that should (not) hold it.
  const hint = (err.parentSchema as { description?: string } | undefined)?.description;
  if (hint) why += ` (${hint})`;
  return [where, why];
}

/**
 * A checker for one schema, compiled on first use: returns the value typed as T, or throws
 * Refusal INVALID_PARAM naming the path (prefixed by `root`, e.g. "seed") and the fix.
 */
export function validator<T>(schema: JsonSchema, root = ''): (value: unknown) => T {
  let check: ValidateFunction | undefined;
  return (value: unknown): T => {
    check ??= instance().compile(schema);
    if (check(value)) return value as T;
    const [where, why] = explain(check.errors![0], root);
    throw new Refusal('INVALID_PARAM', [where, why]);
  };
}
