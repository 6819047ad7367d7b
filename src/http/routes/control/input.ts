/** What a control call brings: its JSON body and query values, read leniently. */

/** The request body of a control call, as an object (anything else reads as {}). */
export const jsonBody = (ctx: { request: { body?: unknown } }): Record<string, unknown> => {
  const b = ctx.request.body;
  return (typeof b === 'object' && b !== null && !Array.isArray(b) ? b : {}) as Record<string, unknown>;
};

/** A query parameter as one string, or undefined. */
export const queryText = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
