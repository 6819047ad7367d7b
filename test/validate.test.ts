import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { builtValidator, compiledNow, jsonPath, schemasInUse, validator, type JsonSchema } from '../src/app/validate.js';
import { Refusal } from '../src/core/errors.js';
import { AdvanceInput, MerchantInput, MiniprogramPayInput, PayActionInput, RuleInput, SeedInput, SnapshotInput } from '../src/app/inputs.js';
import { ORDER_SCENARIO_SCHEMA, SCENARIO_FILE_SCHEMA } from '../src/app/scenario-inputs.js';
import { CONFORMANCE_INPUT_SCHEMA } from '../src/app/conformance-runs.js';
import { TEST_ORDER_SCHEMA } from '../src/app/test-orders.js';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

const SEED_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    orders: { type: 'array', items: { type: 'object', required: ['total_fee'], additionalProperties: false, properties: { total_fee: { type: 'integer', minimum: 1, description: 'a whole number of fen ≥ 1' } } } },
  },
};
const seed = validator<{ orders: { total_fee: number }[] }>(SEED_SCHEMA, 'seed');

describe('the one validation mechanism', () => {
  it.each([
    ['/orders/2/total_fee', '', 'orders[2].total_fee'],
    ['', 'seed', 'seed'],
    ['/a~1b', 'x', 'x.a/b'],
  ])('names %j under %j as %s', (pointer, root, name) => expect(jsonPath(pointer, root)).toBe(name));

  it('passes a valid value through as it is', () => {
    const v = { orders: [{ total_fee: 1 }] };
    expect(seed(v)).toBe(v);
  });

  it.each([
    [{ orders: [{ total_fee: 1 }, { total_fee: 0 }] }, 'seed.orders[1].total_fee (must be >= 1 (a whole number of fen ≥ 1))'],
    [{ orders: [{}] }, 'seed.orders[0].total_fee (is required)'],
    [{ orders: [{ total_fee: 1, fee: 2 }] }, 'seed.orders[0].fee (is not a known field)'],
  ])('refuses %j naming the path and the fix', (value, message) => {
    let err: unknown;
    try { seed(value); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(Refusal);
    expect((err as Refusal).code).toBe('INVALID_PARAM');
    expect((err as Refusal).message).toBe(`参数错误：${message}`);
  });
});

describe('the schemas the sandbox checks input against', () => {
  // validate.ts compiles them with validateSchema: false (checking them at run time would compile
  // the 2020-12 meta-schema at the first check): they are checked here instead, every one of them.
  const SCHEMAS: Record<string, unknown> = {
    MerchantInput, SnapshotInput, SeedInput, MiniprogramPayInput, RuleInput, PayActionInput, AdvanceInput,
    ORDER_SCENARIO_SCHEMA, SCENARIO_FILE_SCHEMA, CONFORMANCE_INPUT_SCHEMA, TEST_ORDER_SCHEMA,
  };

  it('lists every schema a validator() of src/ is made from', () => {
    const sources = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
    const used = new Set(sources.flatMap((f) => [...readFileSync(join(SRC, f), 'utf8').matchAll(/\bvalidator(?:<.+?>)?\(\s*([A-Za-z_]\w*)/g)].map((m) => m[1])));
    used.delete('schema'); // validate.ts's own signature
    expect([...used].sort()).toEqual(Object.keys(SCHEMAS).sort());
  });

  it.each(Object.keys(SCHEMAS))('%s is a valid JSON Schema (2020-12)', (name) => {
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validateSchema(SCHEMAS[name] as object), JSON.stringify(ajv.errors)).toBe(true);
  });

  // dist/validators.cjs (scripts/validators.mjs, run by the build the tests start from) holds ajv's
  // standalone code for each of them: no ajv to load and no schema to compile at the first check.
  it.each(Object.keys(SCHEMAS))('%s was compiled at build time', (name) => {
    expect(builtValidator(SCHEMAS[name] as JsonSchema), 'run npm run build: dist/validators.cjs lacks it').toBeTypeOf('function');
  });

  it('the build saw every schema the modules made a validator for', () => {
    expect(schemasInUse().filter((s) => s !== SEED_SCHEMA && !builtValidator(s))).toEqual([]);
  });

  it('compiles at the first check a schema the build did not see, as before', () => {
    expect(builtValidator(SEED_SCHEMA)).toBeUndefined();
    expect(() => seed({ orders: [{}] })).toThrow(/seed\.orders\[0\]\.total_fee/);
  });

  /** Values of every shape, right and wrong, for the two ways of checking to judge alike. */
  const PROBES: unknown[] = [null, 0, 'x', [], {}, { name: 1 }, { orders: [{ total_fee: 0 }] }, { match: { endpoint: 'native' }, tokens: ['pay=fail'] },
    { mchid: '', key: 'k' }, { seconds: -1 }, { seconds: 5 }, { tokens: 7 }, { rules: [] }, { url: 'http://x', cases: ['nope'] }, { total_fee: 1.5 }, { merchants: [{}], orders: {} }];

  it.each(Object.keys(SCHEMAS))('%s judges every probe as ajv compiling it now does, with the same errors', (name) => {
    const built = builtValidator(SCHEMAS[name] as JsonSchema)!;
    const now = compiledNow(SCHEMAS[name] as JsonSchema);
    for (const probe of PROBES) {
      const a = built(structuredClone(probe));
      const b = now(structuredClone(probe));
      expect([a, built.errors ?? null], JSON.stringify(probe)).toEqual([b, now.errors ?? null]);
    }
  });
});
