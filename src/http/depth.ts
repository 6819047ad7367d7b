import { Refusal } from '../core/errors.js';

/** Refuses a value nested deeper than `limit` levels, walking it without recursion: PAYJS
 * parameters are flat, and what is thousands of levels deep would overflow the stack of every
 * later walk (signing, the call log, the lowdb document). */
export function refuseDeep(value: unknown, limit: number, what: string): void {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= limit) throw new Refusal('BAD_BODY', [`${what} is nested more than ${limit} levels deep`]);
    // Only objects go on the stack: a flat form's values never do.
    for (const key in v) {
      const child = (v as Record<string, unknown>)[key];
      if (typeof child === 'object' && child !== null && Object.hasOwn(v, key)) stack.push([child, depth + 1]);
    }
  }
}
