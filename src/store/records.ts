import { ShardedMap } from './sharded-map.js';
import type { Summary } from './summary.js';
import type { Unparsed } from './unparsed.js';

/** Stands in the map for a record still in the document's bytes. */
const NOT_PARSED = Symbol('not parsed');

/** Where the records of a collection not parsed yet are: the document, each record line's start
 * by row (the row is also the record's place in the summary columns), and the summary. */
export interface RecordSource {
  doc: Unparsed;
  lineAt: readonly number[];
  summary?: Summary;
}

/** One record as a rewrite takes it: its value, or the bytes of its line when not parsed yet
 * (with its row, for its summary). */
export type Walked = { key: string; value: unknown; line?: undefined } | { key: string; line: Buffer; row: number; source: RecordSource };

/** What `held` gives for a record not parsed yet, so that an undo puts back its bytes. */
class Held {
  constructor(readonly row: number) {}
}

/**
 * One collection: records by key, in the order they were added. Records read from a document
 * at open stay unparsed (their row in `source`) until first read; every other record is a value.
 * Measured at 100k orders: parsing every record at open was ~420 ms of the start and ~270 ms of
 * garbage collection (docs/benchmarks.md, "Cold start and idle RSS at 100k orders").
 */
export class Records {
  /** Sharded (ShardedMap): a collection of 100k+ records never rehashes them all in one `set`. */
  private readonly map: ShardedMap<unknown>;
  /** A record not parsed yet is the document's row `map.indexOf(key)` (its place in the map: read
   * in row order, the n-th record is row n), unless it is here: a key twice in the document
   * (the later line wins, in the first one's place) or a record put back by an undo. */
  private readonly moved = new Map<string, number>();
  /** At least as many as the records not parsed yet (a key twice in the document counts twice):
   * 0 once all are parsed, so that the hot path stops looking. */
  private unparsed = 0;

  constructor(map?: ReadonlyMap<string, unknown>, private readonly source?: RecordSource, private readonly name = '') {
    this.map = map ? ShardedMap.from(map) : new ShardedMap();
  }

  /** A collection with no records yet. */
  static empty(name: string): Records {
    return new Records(undefined, undefined, name);
  }

  /** At open: the summary the document keeps of these records. */
  summarise(summary: Summary): void {
    this.source!.summary = summary;
  }

  /** At open: the record `key` is the document's row `row`, not parsed yet. */
  addUnparsed(key: string, row: number): void {
    this.map.set(key, NOT_PARSED);
    this.unparsed++;
    if (this.map.indexOf(key) !== row) this.moved.set(key, row);
    else if (this.moved.size > 0) this.moved.delete(key);
  }

  /** The document's row of a record not parsed yet; `index`: its map.indexOf, when known. */
  private rowOf(key: string, index = this.map.indexOf(key)!): number {
    return (this.moved.size > 0 ? this.moved.get(key) : undefined) ?? index;
  }

  /** The record `key` is about to be replaced or removed: if it was not parsed, it is no longer. */
  private forget(key: string): void {
    if (this.unparsed > 0 && this.map.get(key) === NOT_PARSED) {
      this.unparsed--;
      if (this.moved.size > 0) this.moved.delete(key);
    }
  }

  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** The record, parsed now if it was not yet (throws RecordDamaged if it cannot be). */
  get(key: string): unknown {
    const v = this.map.get(key);
    return v === NOT_PARSED ? this.parse(key) : v;
  }

  set(key: string, value: unknown): void {
    this.forget(key);
    this.map.set(key, value);
  }

  delete(key: string): void {
    this.forget(key);
    this.map.delete(key);
  }

  /** The record as held, without parsing it: give it to `restore` to put it back. */
  held(key: string): unknown {
    const v = this.map.get(key);
    return v === NOT_PARSED ? new Held(this.rowOf(key)) : v;
  }

  restore(key: string, held: unknown): void {
    if (held instanceof Held) this.addUnparsed(key, held.row);
    else this.set(key, held);
  }

  /** Every record, parsed. */
  values(): unknown[] {
    const all: unknown[] = [];
    this.map.forEach((v, k) => all.push(v === NOT_PARSED ? this.parse(k) : v));
    return all;
  }

  /** Every record with its key, parsed. */
  entries(): [string, unknown][] {
    const all: [string, unknown][] = [];
    this.map.forEach((v, k) => all.push([k, v === NOT_PARSED ? this.parse(k) : v]));
    return all;
  }

  /** Every record as a rewrite writes it, walking the live map (changes while it walks are seen). */
  *walk(): Generator<Walked> {
    for (const [key, value, index] of this.map.indexed()) {
      if (value !== NOT_PARSED) yield { key, value };
      else {
        const row = this.rowOf(key, index);
        yield { key, line: this.source!.doc.line(this.source!.lineAt[row]), row, source: this.source! };
      }
    }
  }

  /**
   * Visits every record with at least `fields`: a record not parsed yet as read from the
   * summary's columns when it keeps them all (an object with those fields, a `null` given as
   * absent), parsed otherwise; any other record is given whole.
   */
  project(fields: readonly string[], visit: (key: string, record: Record<string, unknown>) => void): void {
    const columns = this.unparsed > 0 ? this.source?.summary?.columns(fields) : undefined;
    this.map.forEach((value, key, index) => {
      if (value !== NOT_PARSED) visit(key, value as Record<string, unknown>);
      else if (!columns) visit(key, this.parse(key) as Record<string, unknown>);
      else {
        const row = this.rowOf(key, index);
        const record: Record<string, unknown> = {};
        for (let i = 0; i < fields.length; i++) {
          const v = columns[i][row];
          if (v !== null) record[fields[i]] = v;
        }
        visit(key, record);
      }
    });
  }

  /** The value of a field of an unparsed record for a rewrite's summary, without keeping the
   * record parsed. */
  static fieldOf(walked: Walked & { line: Buffer }, field: string, column: unknown[] | undefined): unknown {
    if (column) return column[walked.row];
    const value = walked.source.doc.value(walked.source.lineAt[walked.row], `record ${JSON.stringify(walked.key)}`);
    return (value as Record<string, unknown> | null)?.[field];
  }

  private parse(key: string): unknown {
    const row = this.rowOf(key);
    const value = this.source!.doc.value(this.source!.lineAt[row], `record ${JSON.stringify(key)} of ${JSON.stringify(this.name)}`);
    this.set(key, value);
    return value;
  }
}
