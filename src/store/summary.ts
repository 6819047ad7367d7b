import type { Unparsed } from './unparsed.js';

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
