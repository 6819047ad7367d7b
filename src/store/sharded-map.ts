const SHARDS = 32;
/** Stands in a chunk for an entry deleted since. */
const GONE = Symbol('gone');

/** Entries in the order they were added, 2^bits at a time. */
interface Chunk<V> {
  keys: (string | typeof GONE)[];
  values: (V | undefined)[];
  /** Entries not deleted. */
  live: number;
  /** Emptied by `clear()`: an iteration in it stops, as a Map's does. */
  cleared: boolean;
}

/** Which shard a key's slot is kept in: a hash of its last 8 characters (ids, codes and tokens
 * end in random characters; a skewed set of keys only makes some shards larger). */
function shardOf(key: string): number {
  let h = key.length;
  for (let i = Math.max(0, key.length - 8); i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return (h ^ (h >>> 7)) & (SHARDS - 1);
}

/**
 * A Map of string keys that never rehashes all its entries at once. V8's Map doubles its hash
 * table when it is full and copies every entry into the new one, synchronously, in the `set` that
 * found it full: measured on the bench's machine, 8.5 ms at 131,072 string keys and 14.7 ms at
 * 262,144, and the orders and the gateway's code index doubled in the same create — the create
 * round that crossed 131k orders had a p99 of 41–46 ms against 3–5 ms in the others
 * (docs/benchmarks.md, "Maps that never rehash 100k entries at once").
 *
 * Here a key's slot is kept in one of 32 Maps chosen by a hash of the key, so each holds about a
 * 32nd of the entries, and the entries themselves sit in arrays of 4,096 in the order they were
 * added (a deleted one leaves a gap; an array emptied by deletes is dropped). One lookup is a
 * short hash and one Map lookup, whatever the size; the largest rehash is a 32nd of the entries
 * (~0.3 ms at 131k).
 *
 * It keeps a Map's semantics where the store relies on them: iteration in insertion order (an
 * update keeps a key's place, a delete and a new `set` move it to the end), live iteration (the
 * entries added while an iteration runs are seen, those deleted are not: the checkpoint walks the
 * live records between turns of the event loop), and `clear()` ending the entries an iteration
 * had left.
 */
export class ShardedMap<V> {
  private shards: Map<string, number>[] = Array.from({ length: SHARDS }, () => new Map());
  /** The chunks by number; a dropped one is undefined. Numbers only grow until a `clear()`,
   * which starts them again from 0 in a new generation (an iteration that sees the generation
   * change goes on from the new first chunk: nothing there was walked yet). */
  private chunks: (Chunk<V> | undefined)[] = [];
  private tail!: Chunk<V>;
  private first = 0;
  private count = 0;
  private generation = 0;
  /** A slot is `chunk number << bits | place in the chunk`. */
  private readonly mask: number;

  /** `bits`: a chunk holds 2^bits entries (4,096; smaller in tests, to cross many chunks). */
  constructor(private readonly bits = 12) {
    this.mask = (1 << bits) - 1;
    this.newTail();
  }

  /** A ShardedMap of the entries of `entries`, in their order. */
  static from<V>(entries: Iterable<readonly [string, V]>, bits?: number): ShardedMap<V> {
    const map = new ShardedMap<V>(bits);
    for (const [k, v] of entries) map.set(k, v);
    return map;
  }

  private newTail(): void {
    this.tail = { keys: [], values: [], live: 0, cleared: false };
    this.chunks.push(this.tail);
  }

  get size(): number {
    return this.count;
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)].has(key);
  }

  /** The key's place: n for the n-th key added (from 0) while none was deleted, and the same for
   * as long as the key stays (an update keeps it). Records keeps the document's row of a record
   * not parsed yet this way, without a Map of its own. */
  indexOf(key: string): number | undefined {
    return this.shards[shardOf(key)].get(key);
  }

  get(key: string): V | undefined {
    const slot = this.shards[shardOf(key)].get(key);
    return slot === undefined ? undefined : this.chunks[slot >>> this.bits]!.values[slot & this.mask];
  }

  set(key: string, value: V): this {
    const shard = this.shards[shardOf(key)];
    const slot = shard.get(key);
    if (slot !== undefined) {
      this.chunks[slot >>> this.bits]!.values[slot & this.mask] = value;
      return this;
    }
    if (this.tail.keys.length > this.mask) {
      // A full tail whose entries were all deleted meanwhile goes now (delete keeps the tail).
      if (this.tail.live === 0) this.drop(this.chunks.length - 1);
      this.newTail();
    }
    const tail = this.tail;
    shard.set(key, ((this.chunks.length - 1) << this.bits) | tail.keys.length);
    tail.keys.push(key);
    tail.values.push(value);
    tail.live++;
    this.count++;
    return this;
  }

  delete(key: string): boolean {
    const shard = this.shards[shardOf(key)];
    const slot = shard.get(key);
    if (slot === undefined) return false;
    shard.delete(key);
    const n = slot >>> this.bits;
    const chunk = this.chunks[n]!;
    chunk.keys[slot & this.mask] = GONE;
    chunk.values[slot & this.mask] = undefined;
    this.count--;
    // An emptied chunk goes, but the one new entries are added to.
    if (--chunk.live === 0 && chunk !== this.tail) this.drop(n);
    return true;
  }

  /** Drops the emptied chunk `n` (an iteration inside it holds it, and finds only gaps). */
  private drop(n: number): void {
    this.chunks[n] = undefined;
    while (this.first < this.chunks.length - 1 && this.chunks[this.first] === undefined) this.first++;
  }

  clear(): void {
    for (let n = this.first; n < this.chunks.length; n++) {
      const chunk = this.chunks[n];
      if (chunk) chunk.cleared = true;
    }
    this.shards = Array.from({ length: SHARDS }, () => new Map());
    this.chunks = [];
    this.first = 0;
    this.count = 0;
    this.generation++;
    this.newTail();
  }

  /** Visits every entry in insertion order, live (see the class), without the generator's cost:
   * what a start at 100k records walks (Records.project). */
  forEach(visit: (value: V, key: string, index: number) => void): void {
    let generation = this.generation;
    for (let n = this.first; n < this.chunks.length; n++) {
      const chunk = this.chunks[n];
      if (chunk) {
        const { keys, values } = chunk;
        for (let i = 0; i < keys.length && !chunk.cleared; i++) {
          const key = keys[i];
          if (key !== GONE) visit(values[i] as V, key, (n << this.bits) | i);
        }
      }
      if (this.generation !== generation) {
        generation = this.generation;
        n = this.first - 1;
      }
    }
  }

  /** Every entry in insertion order with its indexOf, live (see the class). */
  *indexed(): Generator<[key: string, value: V, index: number]> {
    let generation = this.generation;
    for (let n = this.first; n < this.chunks.length; n++) {
      const chunk = this.chunks[n];
      if (chunk) {
        for (let i = 0; i < chunk.keys.length && !chunk.cleared; i++) {
          const key = chunk.keys[i];
          if (key !== GONE) yield [key, chunk.values[i] as V, (n << this.bits) | i];
        }
      }
      if (this.generation !== generation) {
        generation = this.generation;
        n = this.first - 1;
      }
    }
  }

  /** Every entry in insertion order, live (see the class). */
  *entries(): Generator<[string, V]> {
    for (const [key, value] of this.indexed()) yield [key, value];
  }

  *values(): Generator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): Generator<[string, V]> {
    return this.entries();
  }
}
