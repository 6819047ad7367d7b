import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { Low, Memory } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { Journal, keepAside, readJournal } from './journal.js';

/**
 * Storage: a lowdb document holds every collection; a file store also keeps an append-only
 * journal of changes, written before a change is acknowledged, and rewrites the lowdb document
 * off the request path (at open, when the journal passes a size, at close). Measured in issue 2:
 * rewriting the whole document per change fell to 2 req/s at 100k orders.
 */
export interface Store {
  /** The lowdb file, or undefined for a memory store. */
  readonly file?: string;
  get<T>(collection: string, key: string): T | undefined;
  values<T>(collection: string): T[];
  /** Records a value; resolves once the change would survive kill -9. */
  put<T>(collection: string, key: string, value: T): Promise<void>;
  /** Resolves once every change made so far would survive kill -9: call it before answering from
   * state that a change still on its way to the journal produced. */
  sync(): Promise<void>;
  delete(collection: string, key: string): Promise<void>;
  /** Empties a collection. */
  clear(collection: string): Promise<void>;
  /** A copy of every collection. */
  snapshot(): Record<string, Record<string, unknown>>;
  /** Replaces every collection with the given ones (journaled like any change). */
  replace(collections: Record<string, Record<string, unknown>>): Promise<void>;
  /** Rewrites the lowdb document and empties the journal. */
  compact(): Promise<void>;
  /** Waits for every write, compacts, and releases the file. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** The lowdb JSON file; omitted for a store that keeps nothing. */
  file?: string;
  /** Journal size that triggers a rewrite of the document (default 64 MiB). */
  compactAtBytes?: number;
  /** Where warnings about damaged files go. */
  warn?: (message: string) => void;
}

interface Doc {
  version: 1;
  /** The last change the document includes; journal entries up to it are already in. */
  seq: number;
  collections: Record<string, Record<string, unknown>>;
}

const emptyDoc = (): Doc => ({ version: 1, seq: 0, collections: {} });

function parseDoc(text: string): Doc {
  const doc = JSON.parse(text) as Doc;
  const ok = typeof doc === 'object' && doc !== null && doc.version === 1 && typeof doc.seq === 'number'
    && typeof doc.collections === 'object' && doc.collections !== null && !Array.isArray(doc.collections);
  if (!ok) throw new Error('it is JSON but not a payjs-sandbox document');
  return doc;
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const warn = options.warn ?? ((m: string) => process.emitWarning(m));
  if (!options.file) {
    const db = new Low<Doc>(new Memory<Doc>(), emptyDoc());
    return new DocStore(db, undefined, undefined, Infinity);
  }
  const file = options.file;
  mkdirSync(dirname(file), { recursive: true });
  const db = new Low<Doc>(new DataFile<Doc>(file, { parse: parseDoc, stringify: (d) => JSON.stringify(d) }), emptyDoc());
  let problem: string | null = null;
  try {
    await db.read();
  } catch (err) {
    problem = (err as Error).message;
  }
  if (problem) {
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(file, aside);
    warn(`payjs-sandbox: ${file} could not be read (${problem}); it was moved to ${aside} and the sandbox starts from the journal alone`);
    db.data = emptyDoc();
  }
  db.data ??= emptyDoc();
  const journalFile = `${file}.journal`;
  let replayed = 0;
  let leftovers = false;
  for (const f of [`${journalFile}.old`, journalFile]) {
    const report = readJournal(f);
    leftovers ||= report.written;
    if (report.skipped > 0) {
      const aside = keepAside(f, 'damaged');
      warn(`payjs-sandbox: ${report.skipped} unreadable line(s) in ${f} were skipped; the file is kept as ${aside}`);
    }
    for (const e of report.entries) {
      if (e.s <= db.data.seq) continue;
      if (e.clear) db.data.collections[e.c] = {};
      else apply(db.data, e.c, e.k, e.v);
      db.data.seq = e.s;
      replayed++;
    }
  }
  const store = new DocStore(db, file, new Journal(journalFile), options.compactAtBytes ?? 64 * 1024 * 1024);
  // Any journal left over is folded into the document, so that new lines never follow a torn
  // or unterminated last line (appending to it would glue the next change onto the fragment).
  if (leftovers || existsSync(`${journalFile}.old`) || !existsSync(file)) await store.compact();
  return store;
}

function apply(doc: Doc, c: string, k: string, v: unknown): void {
  const col = (doc.collections[c] ??= {});
  if (v === undefined) delete col[k];
  else col[k] = v;
}

class DocStore implements Store {
  private compacting: Promise<void> | null = null;
  private lastWrite: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Low<Doc>,
    readonly file: string | undefined,
    private readonly journal: Journal | undefined,
    private readonly compactAtBytes: number,
  ) {}

  private get doc(): Doc {
    return this.db.data;
  }

  get<T>(collection: string, key: string): T | undefined {
    const col = this.doc.collections[collection];
    return col && Object.hasOwn(col, key) ? (col[key] as T) : undefined;
  }

  values<T>(collection: string): T[] {
    return Object.values(this.doc.collections[collection] ?? {}) as T[];
  }

  put<T>(collection: string, key: string, value: T): Promise<void> {
    return this.change(collection, key, value);
  }

  delete(collection: string, key: string): Promise<void> {
    return this.change(collection, key, undefined);
  }

  clear(collection: string): Promise<void> {
    return this.change(collection, '', undefined, true);
  }

  private change(c: string, k: string, v: unknown, clear?: true): Promise<void> {
    if (clear) this.doc.collections[c] = {};
    else apply(this.doc, c, k, v);
    const s = ++this.doc.seq;
    if (!this.journal) return Promise.resolve();
    const written = this.journal.append(clear ? { s, c, k, clear } : { s, c, k, v });
    // Lines are written in order, so the last one written means all earlier ones are too.
    this.lastWrite = written.catch(() => {});
    if (this.journal.bytes > this.compactAtBytes) void this.compact().catch(() => {});
    return written;
  }

  sync(): Promise<void> {
    return this.lastWrite;
  }

  snapshot(): Record<string, Record<string, unknown>> {
    return structuredClone(this.doc.collections);
  }

  async replace(collections: Record<string, Record<string, unknown>>): Promise<void> {
    const writes = Object.keys(this.doc.collections).map((c) => this.clear(c));
    for (const [c, records] of Object.entries(collections)) {
      for (const [k, v] of Object.entries(records)) writes.push(this.put(c, k, v));
    }
    await Promise.all(writes);
  }

  compact(): Promise<void> {
    if (!this.journal) return Promise.resolve();
    this.compacting ??= this.rewrite().finally(() => {
      this.compacting = null;
    });
    return this.compacting;
  }

  private async rewrite(): Promise<void> {
    const journal = this.journal!;
    // A leftover .old file is only dropped once a document holding everything has landed.
    if (existsSync(journal.oldFile)) {
      await this.db.write();
      journal.dropOld();
    }
    let written: Promise<void> = Promise.resolve();
    // lowdb serialises synchronously inside write(), so the snapshot is the state at the swap.
    await journal.rotate(() => {
      written = this.db.write();
    });
    await written;
    journal.dropOld();
  }

  async close(): Promise<void> {
    if (!this.journal) return;
    await this.journal.settled();
    await this.compact();
    await this.journal.settled();
    this.journal.close();
  }
}
