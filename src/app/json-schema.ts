/**
 * Small builders for JSON Schemas (2020-12, as ajv and OpenAPI 3.1 read them): the inputs the
 * sandbox validates (app/inputs.ts) and the OpenAPI description are built from the same objects.
 */

export type Schema = Record<string, unknown>;

const described = (description: string | undefined, schema: Schema): Schema => (description ? { ...schema, description } : schema);

/** Scalars and lists, each with an optional description. */
export const str = (description?: string, extra: Schema = {}): Schema => described(description, { type: 'string', ...extra });
export const int = (description?: string, extra: Schema = {}): Schema => described(description, { type: 'integer', ...extra });
export const num = (description?: string): Schema => described(description, { type: 'number' });
export const bool = (description?: string): Schema => described(description, { type: 'boolean' });
export const arr = (items: Schema, description?: string, extra: Schema = {}): Schema => described(description, { type: 'array', items, ...extra });
/** Exactly one of the schemas. */
export const oneOf = (...schemas: Schema[]): Schema => ({ oneOf: schemas });
/** The schema, or null. */
export const nullable = (schema: Schema): Schema => ({ oneOf: [schema, { type: 'null' }] });
/** Epoch milliseconds on the sandbox clock. */
export const epochMs = (description: string): Schema => int(`${description} (epoch ms, sandbox clock)`, { minimum: 0 });
/** Any JSON value. */
export const anything = (description?: string): Schema => described(description, {});

/**
 * An object with exactly these properties (`additionalProperties: false`): a name ending in `?`
 * is optional, every other one required.
 */
export function exact(props: Record<string, Schema>, description?: string): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const [key, schema] of Object.entries(props)) {
    const name = key.endsWith('?') ? key.slice(0, -1) : key;
    properties[name] = schema;
    if (name === key) required.push(name);
  }
  return described(description, { type: 'object', properties, required, additionalProperties: false });
}

/** An object whose values all follow `values` (a map). */
export const mapOf = (values: Schema, description?: string): Schema => described(description, { type: 'object', additionalProperties: values });
