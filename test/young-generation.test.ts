/** The young-generation cap of a large read (src/store/young-generation.ts), with V8 replaced by a
 * recorder of the flags set: two stores reading side by side share V8's one flag. */
import { describe, expect, it } from 'vitest';
import { YoungGenerationCap } from '../src/store/young-generation.js';

const MIB = 1024 * 1024;
const nextTurn = () => new Promise((r) => setImmediate(r));

function v8(flags: string[]) {
  const state = { young: 0 };
  return { state, v8: { setFlagsFromString: (f: string) => flags.push(f), youngBytes: () => state.young } };
}

describe('the young-generation cap', () => {
  it('stops the growth at the cap and lets it grow again a turn after the read', async () => {
    const flags: string[] = [];
    const { state, v8: fake } = v8(flags);
    const cap = new YoungGenerationCap(4, fake);
    cap.check();
    expect(flags).toEqual([]);
    state.young = 8 * MIB;
    cap.check();
    cap.check();
    expect(flags).toEqual(['--semi-space-growth-factor=1']);
    cap.release();
    expect(flags).toHaveLength(1);
    await nextTurn();
    expect(flags).toEqual(['--semi-space-growth-factor=1', '--semi-space-growth-factor=2']);
  });

  it('two reads side by side: the growth comes back when the last of them ends, not the first', async () => {
    const flags: string[] = [];
    const { state, v8: fake } = v8(flags);
    state.young = 8 * MIB;
    const a = new YoungGenerationCap(4, fake);
    const b = new YoungGenerationCap(4, fake);
    a.check();
    b.check();
    a.release();
    await nextTurn();
    expect(flags).toEqual(['--semi-space-growth-factor=1']);
    b.release();
    await nextTurn();
    expect(flags).toEqual(['--semi-space-growth-factor=1', '--semi-space-growth-factor=2']);
  });

  it('a cap never reached sets nothing and releases nothing', async () => {
    const flags: string[] = [];
    const cap = new YoungGenerationCap(4, v8(flags).v8);
    cap.check();
    cap.release();
    await nextTurn();
    expect(flags).toEqual([]);
  });
});
