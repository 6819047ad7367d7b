/** What a control call brings: its JSON body and query values, read leniently. */
import { Refusal } from '../../../core/errors.js';

/** The request body of a control call, as an object (anything else reads as {}). */
export const jsonBody = (ctx: { request: { body?: unknown } }): Record<string, unknown> => {
  const b = ctx.request.body;
  return (typeof b === 'object' && b !== null && !Array.isArray(b) ? b : {}) as Record<string, unknown>;
};

/** A query parameter as one string, or undefined. */
export const queryText = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** A query parameter that must be one of `values` (absent: undefined); another value is a 400
 * that lists them. */
export function oneOfQuery<T extends string>(v: unknown, name: string, values: readonly T[]): T | undefined {
  const text = queryText(v);
  if (text === undefined) return undefined;
  if (!(values as readonly string[]).includes(text)) throw new Refusal('INVALID_PARAM', [name, `must be one of ${values.join(', ')}`]);
  return text as T;
}
