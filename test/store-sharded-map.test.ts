/** The store's ShardedMap against a plain Map: the same entries in the same order after any run
 * of sets, updates, deletes and clears, also for an iteration running while they happen. */
import { describe, expect, it } from 'vitest';
import { ShardedMap } from '../src/store/sharded-map.js';

/** A repeatable pseudo-random sequence (a test must fail the same way twice). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

describe('ShardedMap', () => {
  it('gives what a Map gives after random sets, updates, deletes and clears across many chunks', () => {
    const next = lcg(7);
    const sharded = new ShardedMap<number>(2);
    const plain = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const key = `k${next(200)}`;
      const op = next(100);
      if (op < 55) {
        sharded.set(key, i);
        plain.set(key, i);
      } else if (op < 99) expect(sharded.delete(key)).toBe(plain.delete(key));
      else if (next(10) === 0) {
        sharded.clear();
        plain.clear();
      }
      expect(sharded.get(key)).toBe(plain.get(key));
      expect(sharded.has(key)).toBe(plain.has(key));
      expect(sharded.size).toBe(plain.size);
      if (i % 500 === 0) expect([...sharded]).toEqual([...plain]);
    }
    expect([...sharded]).toEqual([...plain]);
    expect([...sharded.values()]).toEqual([...plain.values()]);
  });

  it('keeps undefined and null values apart from missing keys', () => {
    const m = new ShardedMap<unknown>(1);
    m.set('a', undefined).set('b', null);
    expect([m.has('a'), m.get('a'), m.has('b'), m.get('b'), m.has('c'), m.size]).toEqual([true, undefined, true, null, false, 2]);
  });

  it('an iteration sees what is set and deleted while it runs, as a Map iterator does', () => {
    const next = lcg(11);
    for (let run = 0; run < 200; run++) {
      const start = Array.from({ length: 20 }, (_, i): [string, number] => [`k${i}`, i]);
      const sharded = ShardedMap.from(start, 2);
      const plain = new Map(start);
      const a = sharded.entries();
      const b = plain.entries();
      for (let step = 0; step < 300; step++) {
        const x = a.next();
        const y = b.next();
        expect(x.done).toBe(y.done);
        if (y.done) break;
        expect(x.value).toEqual(y.value);
        // Change both between two steps, the way the checkpoint's walk sees the store change.
        const key = `k${next(30)}`;
        const op = next(40);
        if (op < 16) {
          sharded.set(key, step);
          plain.set(key, step);
        } else if (op < 39) {
          sharded.delete(key);
          plain.delete(key);
        } else {
          sharded.clear();
          plain.clear();
        }
      }
    }
  });

  it('drops chunks emptied by deletes, and iterates past them', () => {
    const m = new ShardedMap<number>(3);
    for (let i = 0; i < 1000; i++) m.set(`k${i}`, i);
    for (let i = 0; i < 990; i++) m.delete(`k${i}`);
    const live = (m as unknown as { chunks: unknown[] }).chunks.filter(Boolean);
    expect(live.length).toBe(2); // 990..991 in one chunk of 8, 992..999 in the next
    expect([...m.values()]).toEqual(Array.from({ length: 10 }, (_, i) => 990 + i));
  });

  it('keeps no chunk for entries set and deleted one at a time, and starts numbering again at a clear', () => {
    const m = new ShardedMap<number>(2);
    const chunks = () => (m as unknown as { chunks: unknown[] }).chunks.filter(Boolean).length;
    // A rule used once and deleted, one at a time: the tail empties before it fills.
    for (let i = 0; i < 1000; i++) {
      m.set(`r${i}`, i);
      m.delete(`r${i}`);
    }
    expect(chunks()).toBe(1);
    expect(m.size).toBe(0);
    // Resets clear the gateway's indexes each time: the chunk list does not grow with them.
    for (let i = 0; i < 1000; i++) {
      m.set(`a${i}`, i);
      m.clear();
    }
    expect((m as unknown as { chunks: unknown[] }).chunks.length).toBe(1);
    m.set('b', 1);
    expect([m.get('b'), [...m]]).toEqual([1, [['b', 1]]]);
  });

  it('spreads ids, codes and attempt keys over its shards', () => {
    const m = new ShardedMap<number>();
    for (let i = 0; i < 32_000; i++) {
      m.set(`20261203120000${String((i * 7919) % 1e9).padStart(9, '0')}`, i);
      m.set(`${i.toString(36).padStart(8, 'x')}`, i);
      m.set(`order${i % 1000}#${Math.floor(i / 1000)}`, i);
    }
    const sizes = (m as unknown as { shards: Map<string, number>[] }).shards.map((s) => s.size);
    expect(Math.max(...sizes)).toBeLessThan((2 * m.size) / sizes.length);
  });
});
