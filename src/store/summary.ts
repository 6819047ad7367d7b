import { BACKSLASH, COMMA, lineKey, QUOTE, type Unparsed } from './unparsed.js';

/** A summary column's values as bytes of the document: value i is `bytes[starts[i], ends[i])`. */
export interface ColumnBytes {
  bytes: Buffer;
  starts: Int32Array;
  ends: Int32Array;
}

const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/**
 * What a document keeps of one collection's records besides the records themselves: for each
 * field named in StoreOptions.summaries, one column, a JSON array with the field's value of every
 * record line of the collection, in the order of the lines (`null` for a record without it).
 * The gateway builds its indexes at start from these (Store.project) instead of parsing every
 * order. Each column is one line of the document, parsed only when a field of it is asked for.
 */
export class Summary {
  constructor(
    private readonly doc: Unparsed,
    /** Where each field's column line starts in the document. */
    private readonly lines: ReadonlyMap<string, number>,
    /** How many record lines the collection has (a column of another length is not used). */
    private readonly rows: number,
    private readonly collection: string,
  ) {}

  /** The columns of the given fields, parsed now (not kept: the caller reads them once), or
   * undefined if one of them is not kept (or is damaged). */
  columns(fields: readonly string[]): unknown[][] | undefined {
    const columns: unknown[][] = [];
    for (const field of fields) {
      const column = this.column(field);
      if (!column) return undefined;
      columns.push(column);
    }
    return columns;
  }

  /**
   * Where each value of a column is in the document's bytes, found by one scan of the column's
   * JSON text (strings, escapes and nesting skipped; nothing parsed), or undefined if the column
   * is not kept or is not an array of `rows` values. A rewrite copies the values of records not
   * parsed yet from here: parsing a 100k column made ~100k strings that lived through the whole
   * rewrite, and scavenges of 10–15 ms while it ran (docs/benchmarks.md, "What is left of the p99").
   */
  elements(field: string): ColumnBytes | undefined {
    const at = this.lines.get(field);
    if (at === undefined) return undefined;
    const bytes = this.doc.bytes;
    const end = this.doc.lineEnd(at);
    let p: number;
    try {
      const keyed = lineKey(bytes, at, end);
      if (!keyed) return undefined;
      p = keyed[1];
    } catch {
      return undefined;
    }
    if (bytes[p] !== OPEN_BRACKET || bytes[end - 1] !== CLOSE_BRACKET) return undefined;
    const starts = new Int32Array(this.rows);
    const ends = new Int32Array(this.rows);
    p++;
    let n = 0;
    if (bytes[p] === CLOSE_BRACKET) return p === end - 1 && this.rows === 0 ? { bytes, starts, ends } : undefined;
    for (;;) {
      if (n >= this.rows) return undefined;
      starts[n] = p;
      p = skipValue(bytes, p, end - 1);
      if (p < 0) return undefined;
      ends[n++] = p;
      if (bytes[p] === COMMA) p++;
      else if (p === end - 1) break;
      else return undefined;
    }
    return n === this.rows ? { bytes, starts, ends } : undefined;
  }

  private column(field: string): unknown[] | undefined {
    const at = this.lines.get(field);
    if (at === undefined) return undefined;
    let column: unknown;
    try {
      column = this.doc.value(at, `the summary column "${field}" of "${this.collection}"`);
    } catch {
      // A damaged summary only costs the records' parse; the error is the records' to raise.
      return undefined;
    }
    return Array.isArray(column) && column.length === this.rows ? column : undefined;
  }
}

/** Where the JSON value starting at `p` ends (exclusive), before `limit`; -1 if it runs past it.
 * The document's crc32 matched, so its bytes are its writer's JSON: this only finds the end. */
function skipValue(bytes: Buffer, p: number, limit: number): number {
  const c = bytes[p];
  if (c === QUOTE) return skipString(bytes, p, limit);
  if (c === OPEN_BRACKET || c === OPEN_BRACE) {
    let depth = 0;
    while (p < limit) {
      const b = bytes[p];
      if (b === QUOTE) {
        p = skipString(bytes, p, limit);
        if (p < 0) return -1;
        continue;
      }
      if (b === OPEN_BRACKET || b === OPEN_BRACE) depth++;
      else if (b === CLOSE_BRACKET || b === CLOSE_BRACE) depth--;
      p++;
      if (depth === 0) return p;
    }
    return -1;
  }
  // A number, true, false or null: up to the next comma or the column's end.
  while (p < limit && bytes[p] !== COMMA) p++;
  return p;
}

function skipString(bytes: Buffer, p: number, limit: number): number {
  for (p++; p < limit; p++) {
    const b = bytes[p];
    if (b === BACKSLASH) p++;
    else if (b === QUOTE) return p + 1;
  }
  return -1;
}
