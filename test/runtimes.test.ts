/** The runtime check behind needs(): a runtime that is not there is named with its install step. */
import { describe, expect, it } from 'vitest';
import { RUNTIMES, missing, needs, type Runtime } from './support/runtimes.js';

const runtimes = Object.keys(RUNTIMES) as Runtime[];

describe('the runtime check', () => {
  it.each(runtimes)('%s on a machine without it: says what is missing and how to install it', (runtime) => {
    const reason = missing(runtime, { PATH: '/nonexistent' });
    expect(reason).toContain(`${RUNTIMES[runtime].probe[0]} not found`);
    expect(reason).toContain(RUNTIMES[runtime].install);
  });

  it.each(runtimes)('%s: needs() agrees with missing() on this machine', (runtime) => {
    expect(needs(runtime)).toBe(missing(runtime) === undefined);
  });
});
