import type { ErrorObject, ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Refusal } from '../core/errors.js';
import { PACKAGE_ROOT } from './package-root.js';

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
/** How every schema is compiled, at build time (scripts/validators.mjs) as at run time. */
export const AJV_OPTIONS = { allErrors: false, verbose: true, strict: false, validateSchema: false } as const;
let ajv: Ajv2020 | undefined;
const require = createRequire(import.meta.url);
// ajv costs ~40 ms to load: loaded only for a schema the build did not compile, never at start.
// validateSchema: false: the schemas are the sandbox's own, checked against the JSON Schema
// meta-schema by test/validate.test.ts; checking them here would compile the 2020-12 meta-schema
// at the first check, ~5× the cost of compiling the schema itself.
const instance = (): Ajv2020 => {
  if (ajv) return ajv;
  const Ajv = (require('ajv/dist/2020.js') as { default: new (o: object) => Ajv2020 }).default;
  ajv = new Ajv(AJV_OPTIONS);
  return ajv;
};

/** The file of validation functions ajv generated from every schema at build time. */
export const BUILT_VALIDATORS = join(PACKAGE_ROOT, 'dist', 'validators.cjs');
let built: Record<string, ValidateFunction> | null | undefined;

/** A schema's name in BUILT_VALIDATORS: a hash of its JSON text, so that a schema changed since
 * the build finds nothing there and is compiled at its first check instead. */
export const schemaKey = (schema: JsonSchema): string => `s${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 24)}`;

/** The function the build generated for `schema` (ajv's standalone code: ~5 ms to load them all,
 * against ~45 ms for loading ajv and compiling one), or undefined. */
export function builtValidator(schema: JsonSchema): ValidateFunction | undefined {
  if (built === undefined) {
    try {
      built = require(BUILT_VALIDATORS) as Record<string, ValidateFunction>;
    } catch {
      built = null; // not built (a checkout that never ran the build): ajv compiles each schema
    }
  }
  return built?.[schemaKey(schema)];
}

/** `schema` compiled by ajv now. */
export const compiledNow = (schema: JsonSchema): ValidateFunction => instance().compile(schema);

/** Every schema a validator was made for, in this process: what the build compiles. */
const SCHEMAS = new Set<JsonSchema>();
export const schemasInUse = (): JsonSchema[] => [...SCHEMAS];

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
 * A checker for one schema (made when its module loads, so that the build sees every schema):
 * returns the value typed as T, or throws Refusal INVALID_PARAM naming the path (prefixed by
 * `root`, e.g. "seed", or the one the call gives) and the fix.
 */
export function validator<T>(schema: JsonSchema, defaultRoot = ''): (value: unknown, root?: string) => T {
  SCHEMAS.add(schema);
  let check: ValidateFunction | undefined;
  return (value: unknown, root = defaultRoot): T => {
    check ??= builtValidator(schema) ?? compiledNow(schema);
    if (check(value)) return value as T;
    const [where, why] = explain(check.errors![0], root);
    throw new Refusal('INVALID_PARAM', [where, why]);
  };
}
