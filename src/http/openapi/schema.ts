/**
 * The OpenAPI helpers: component references and response objects. The schema builders come from
 * app/json-schema.ts, shared with the input schemas the sandbox checks (app/inputs.ts).
 */

import type { Schema } from '../../app/json-schema.js';

export { anything, arr, bool, epochMs, exact, int, mapOf, nullable, num, oneOf, str, type Schema } from '../../app/json-schema.js';

/** A component schema, by name. */
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

/** A JSON body or answer. */
export const json = (schema: Schema, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A control-API refusal `{ error, message }` with its HTTP status. */
export const refusal = (description: string) => ({ description, content: { 'application/json': { schema: ref('ControlError') } } });
