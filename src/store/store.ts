import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TextFileSync } from 'lowdb/node';
import { readCheckpoint, readUnparsed, writeCheckpoint } from './checkpoint.js';
import { Journal, keepAside, readJournal, type Change, type JournalEntry } from './journal.js';
import { lockDatabase, type DatabaseLock } from './lock.js';
import { Records } from './records.js';
import { DatabaseRefused, shownName } from './refusal.js';

/**
 * Storage: collections of records in memory (a `Records` each: records read from the document
 * stay its bytes until first read, see records.ts), read at open from a lowdb document; a
 * file store also keeps an append-only journal of changes, written before a change is
 * acknowledged, and rewrites the lowdb document off the request path (at open, when the journal
 * passes a size, at close) in slices between requests (see checkpoint.ts). Measured in issue 2:
 * rewriting the whole document per change fell to 2 req/s at 100k orders; in issue 14, one
 * synchronous rewrite at 100k orders put a 370 ms p99 on the requests it held up.
 */
export interface Store {
  /** The lowdb file, or undefined for a memory store. */
  readonly file?: string;
  get<T>(collection: string, key: string): T | undefined;
  values<T>(collection: string): T[];
  /**
   * Visits every record of a collection with at least `fields` (top-level properties named in
   * StoreOptions.summaries for it): a record not parsed since the document was read is given as
   * an object of those fields alone, read from the document's summary without parsing the record
   * (a `null` kept there is given as absent); any other record whole. What the gateway's indexes
   * are built from at start.
   */
  project<T, K extends keyof T & string>(collection: string, fields: readonly K[], visit: (key: string, record: Pick<T, K>) => void): void;
  /** Records a value; resolves once the change would survive kill -9. Readers see it at once; if
   * the write fails it is taken back (the promise rejects after that). */
  put<T>(collection: string, key: string, value: T): Promise<void>;
  /** Makes several changes (`v` undefined: a delete) as one: readers see them all at once, the
   * journal holds them in one line (a kill -9 keeps all of them or none), and a failed write takes
   * them all back. */
  batch(changes: readonly Change[]): Promise<void>;
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
  /** Waits for every write, compacts, and releases the file and its lock. */
  close(): Promise<void>;
  /** Records where the sandbox listens in the database's lock, for the refusal another process
   * prints (nothing for a memory store). */
  listening(url: string): void;
}

export type { Change } from './journal.js';

export interface StoreOptions {
  /** The lowdb JSON file; omitted for a store that keeps nothing. */
  file?: string;
  /** Journal size that triggers a rewrite of the document (default 64 MiB). */
  compactAtBytes?: number;
  /** About how many bytes of records a rewrite serialises per turn of the event loop (128 KiB). */
  compactSliceBytes?: number;
  /** Where warnings about damaged files go. */
  warn?: (message: string) => void;
  /** Keep a damaged document or journal aside and start from what is valid (else refuse). */
  repair?: boolean;
  /** fsync each group commit before it is acknowledged (survives power loss, slower). */
  fsync?: boolean;
  /** The fields of each collection's records the document keeps a summary of, so that `project`
   * reads them at the next start without parsing the records (see Summary). */
  summaries?: Readonly<Record<string, readonly string[]>>;
}

interface Doc {
  version: 1;
  /** The last change the document includes; journal entries up to it are already in. */
  seq: number;
  collections: Record<string, Record<string, unknown>>;
}

/** Every collection, by name: records by key. */
type Collections = Map<string, Records>;

/** What a document holds, as the store keeps it. */
interface Loaded {
  seq: number;
  collections: Collections;
  /** Every record was parsed (a layout without crc32 and summaries): rewritten soon, in the layout
   * readUnparsed reads. */
  whole?: true;
}

const empty = (): Loaded => ({ seq: 0, collections: new Map() });

/** A document's collections as Maps (for…in: no array of entries 100k long in between). */
function toMaps(collections: Record<string, Record<string, unknown>>): Collections {
  const maps: Collections = new Map();
  for (const c in collections) {
    const records = collections[c];
    const map = new Map<string, unknown>();
    for (const k in records) map.set(k, records[k]);
    maps.set(c, new Records(map, undefined, c));
  }
  return maps;
}

const isDoc = (doc: unknown): doc is Doc => {
  const d = doc as Doc;
  return typeof d === 'object' && d !== null && d.version === 1 && typeof d.seq === 'number'
    && typeof d.collections === 'object' && d.collections !== null && !Array.isArray(d.collections);
};

/** Where a JSON.parse error points, as line, column and offset. V8 names the position in most of
 * its messages; where it does not (Node 20's "Unexpected token 'x', "…" is not valid JSON"), the
 * first error jsonc-parser's scanner finds in the text is the place (loaded only for a damaged
 * document); the end of the text when neither names one (the input ended too soon). */
function wherePoints(err: Error, text: string): string {
  const named = /at position (\d+)/.exec(err.message)?.[1];
  const offset = named !== undefined ? Number(named) : firstSyntaxError(text) ?? text.length;
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before[before.length - 1].length + 1} (offset ${offset})`;
}

/** The offset of the first syntax error in `text`: the scan stops there, building nothing. */
function firstSyntaxError(text: string): number | undefined {
  const jsonc = createRequire(import.meta.url)('jsonc-parser') as typeof import('jsonc-parser');
  const found = { offset: undefined as number | undefined };
  try {
    jsonc.visit(text, {
      onError: (_error, offset) => {
        found.offset = offset;
        throw found;
      },
    }, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  } catch (err) {
    if (err !== found) throw err;
  }
  return found.offset;
}

/**
 * Reads the lowdb document without changing anything: a missing or empty file is a new
 * database; a file that is not a sandbox document, or a damaged one without `repair`, is
 * refused as it is. The sandbox never moves or overwrites a file that is not its own.
 */
function readDoc(file: string, repair: boolean, warn: (m: string) => void): Loaded {
  if (!existsSync(file)) return empty();
  const name = shownName(file);
  if (!statSync(file).isFile()) throw new DatabaseRefused(`${name} is not a regular file: give a file name for --db`);
  // The layout this store writes is read from the bytes, its records parsed when first read (its
  // crc32 proves the bytes are the store's own); the layout of earlier versions line by line,
  // every record parsed; anything else (a document of an earlier version, damage, a file not
  // ours) as lowdb reads a document: the whole text, parsed at once (by us, for the refusals'
  // reasons and places).
  const unparsed = readUnparsed(file);
  if (unparsed) return unparsed;
  const lines = readCheckpoint(file);
  if (lines) return { seq: lines.seq, collections: new Map([...lines.collections].map(([c, map]) => [c, new Records(map, undefined, c)])), whole: true };
  const text = new TextFileSync(file).read() ?? '';
  if (text.trim() === '') return empty();
  // JSON.stringify of a Doc always starts so: a file that does not was never ours.
  const ours = text.startsWith('{"version":1,"seq":');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const reason = `${(err as Error).message.replace(/ at position \d+.*$/, '')} at ${wherePoints(err as Error, text)}`;
    if (!ours) throw new DatabaseRefused(`${name} is not a payjs-sandbox database (not JSON: ${reason}); it was left as it is: give another file with --db, e.g. ${DEFAULT_NAME}`);
    if (!repair) throw new DatabaseRefused(`${name} is a damaged payjs-sandbox database: ${reason}; nothing was changed. Start with --repair to keep it aside and start from what is valid (its journal), or use --db OTHER`);
    const aside = keepAside(file, 'damaged');
    warn(`payjs-sandbox: --repair: ${name} is damaged (${reason}); it is kept as ${aside} and the sandbox starts from the journal alone`);
    return empty();
  }
  if (!isDoc(doc)) throw new DatabaseRefused(`${name} is not a payjs-sandbox database (it is JSON, but not a sandbox document); it was left as it is: give another file with --db, e.g. ${DEFAULT_NAME}`);
  return { seq: doc.seq, collections: toMaps(doc.collections), whole: true };
}

const DEFAULT_NAME = 'payjs-sandbox.db.json';

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const warn = options.warn ?? ((m: string) => process.emitWarning(m));
  if (!options.file) return new DocStore(new Map(), 0, undefined, undefined, Infinity);
  const file = options.file;
  // Refused before the lock, which would be made beside it.
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new DatabaseRefused(`${shownName(file)} is a directory: give a file name, e.g. ${join(shownName(file), DEFAULT_NAME)}`);
  }
  mkdirSync(dirname(file), { recursive: true });
  const lock = lockDatabase(file, warn);
  try {
    return await openLocked(file, lock, options, warn);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function openLocked(file: string, lock: DatabaseLock, options: StoreOptions, warn: (m: string) => void): Promise<DocStore> {
  const repair = options.repair ?? false;
  const { collections, seq: docSeq, whole } = readDoc(file, repair, warn);
  let seq = docSeq;
  const journalFile = `${file}.journal`;
  let leftovers = false;
  const reports = [`${journalFile}.old`, journalFile].map((f) => ({ f, report: readJournal(f) }));
  for (const { f, report } of reports) {
    if (report.skipped === 0) continue;
    const where = `${report.skipped} unreadable line(s) in ${shownName(f)}, the first at line ${report.firstBadLine}`;
    if (!repair) throw new DatabaseRefused(`${where}; nothing was changed. Start with --repair to keep a copy aside and replay the readable lines, or use --db OTHER`);
    const aside = keepAside(f, 'damaged');
    warn(`payjs-sandbox: --repair: ${where} were skipped; the file is kept as ${aside}`);
  }
  for (const { report } of reports) {
    leftovers ||= report.written;
    for (const e of report.entries) {
      if (e.s <= seq) continue;
      if (e.b) for (const c of e.b) apply(collections, c.c, c.k, c.v);
      else if (e.clear) collections.set(e.c, Records.empty(e.c));
      else apply(collections, e.c, e.k, e.v);
      seq = e.s;
    }
  }
  const store = new DocStore(collections, seq, file, new Journal(journalFile, options.fsync), options.compactAtBytes ?? 64 * 1024 * 1024, lock, { ...options, warn });
  // Any journal left over is folded into the document, so that new lines never follow a torn
  // or unterminated last line (appending to it would glue the next change onto the fragment).
  if (leftovers || existsSync(`${journalFile}.old`) || !existsSync(file)) await store.compact();
  // A document in an older layout (one line, or lines without summaries and crc32), or one whose
  // crc32 did not match, is rewritten in the background, so that the next start keeps its
  // records unparsed (see readUnparsed).
  else if (whole && collections.size > 0) store.compactInBackground();
  return store;
}

function apply(collections: Collections, c: string, k: string, v: unknown): void {
  let col = collections.get(c);
  if (!col) collections.set(c, (col = Records.empty(c)));
  if (v === undefined) col.delete(k);
  else col.set(k, v);
}

/** What a memory store's writes answer: done at once (one promise for all of them). */
const DONE = Promise.resolve();

/** After a rewrite in the background failed, the next one waits for this much more journal (or
 * the size that triggers a rewrite, if smaller). */
const RETRY_BYTES = 1024 * 1024;

class DocStore implements Store {
  private compacting: Promise<void> | null = null;
  /** The journal size the next rewrite in the background waits for (after a failed one). */
  private retryAtBytes = 0;
  /** The reason of the last failed rewrite, said once until a rewrite succeeds again. */
  private failedRewrite?: string;
  private lastWrite: Promise<void> = Promise.resolve();
  private lastBatch: Promise<void> | undefined;

  constructor(
    private readonly collections: Collections,
    /** The last change made (in memory; the journal has it once its write resolves). */
    private seq: number,
    readonly file: string | undefined,
    private readonly journal: Journal | undefined,
    private readonly compactAtBytes: number,
    private readonly lock?: DatabaseLock,
    private readonly options: Pick<StoreOptions, 'fsync' | 'compactSliceBytes' | 'warn' | 'summaries'> = {},
  ) {}

  /** The lock's record of where this sandbox listens (for another process's refusal). */
  listening(url: string): void {
    this.lock?.listening(url);
  }

  get<T>(collection: string, key: string): T | undefined {
    return this.collections.get(collection)?.get(key) as T | undefined;
  }

  values<T>(collection: string): T[] {
    return (this.collections.get(collection)?.values() ?? []) as T[];
  }

  project<T, K extends keyof T & string>(collection: string, fields: readonly K[], visit: (key: string, record: Pick<T, K>) => void): void {
    this.collections.get(collection)?.project(fields, visit as (key: string, record: Record<string, unknown>) => void);
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

  batch(changes: readonly Change[]): Promise<void> {
    const s = ++this.seq;
    if (!this.journal) {
      for (const { c, k, v } of changes) apply(this.collections, c, k, v);
      return DONE;
    }
    const undos = changes.map(({ c, k, v }) => this.applied(c, k, v));
    return this.journaled({ s, b: changes as Change[] }, () => {
      for (let i = undos.length - 1; i >= 0; i--) undos[i]();
    });
  }

  /** Applies one change to memory and answers what takes it back. */
  private applied(c: string, k: string, v: unknown, clear?: true): () => void {
    const col = this.collections.get(c);
    const had = col !== undefined && col.has(k);
    // A record not parsed yet is taken back as its bytes, unparsed.
    const before = clear ? col : had ? col.held(k) : undefined;
    // A clear puts a new collection in place: a rewrite walking the old one goes on undisturbed.
    if (clear) this.collections.set(c, Records.empty(c));
    else apply(this.collections, c, k, v);
    return () => {
      if (clear) {
        if (before) this.collections.set(c, before as Records);
      } else if (had) this.collections.get(c)!.restore(k, before);
      else apply(this.collections, c, k, undefined);
    };
  }

  /** The one write path: memory changes at once (so that concurrent calls see each other), the
   * journal line follows in the next group commit, and a failed write takes the change back. */
  private change(c: string, k: string, v: unknown, clear?: true): Promise<void> {
    const s = ++this.seq;
    if (!this.journal) {
      if (clear) this.collections.set(c, Records.empty(c));
      else apply(this.collections, c, k, v);
      return DONE;
    }
    return this.journaled(clear ? { s, c, k, clear } : { s, c, k, v }, this.applied(c, k, v, clear));
  }

  /** Appends a line to the journal, and starts a rewrite once the journal has grown enough. */
  private journaled(entry: JournalEntry, undo: () => void): Promise<void> {
    const written = this.journal!.append(entry, undo);
    // Lines are written in order, so the last batch written means all earlier ones are too; the
    // changes of one batch share its promise, so it is wrapped once.
    if (written !== this.lastBatch) {
      this.lastBatch = written;
      this.lastWrite = written.catch(() => {});
    }
    if (this.journal!.bytes > this.compactAtBytes && this.journal!.bytes > this.retryAtBytes) this.compactInBackground();
    return written;
  }

  sync(): Promise<void> {
    return this.lastWrite;
  }

  snapshot(): Record<string, Record<string, unknown>> {
    const copy: Record<string, Record<string, unknown>> = {};
    for (const [c, records] of this.collections) copy[c] = structuredClone(Object.fromEntries(records.entries()));
    return copy;
  }

  async replace(collections: Record<string, Record<string, unknown>>): Promise<void> {
    const writes = [...this.collections.keys()].map((c) => this.clear(c));
    for (const [c, records] of Object.entries(collections)) {
      for (const [k, v] of Object.entries(records)) writes.push(this.put(c, k, v));
    }
    await Promise.all(writes);
  }

  /**
   * A rewrite nobody waits for (the journal passed its size, an old one-line document): a failure
   * loses nothing, since every change stays in the journal, but it is said, once per reason, and
   * the next try waits for more journal (RETRY_BYTES) instead of following every change.
   */
  compactInBackground(): void {
    if (this.compacting) return;
    this.compact().then(
      () => {
        this.retryAtBytes = 0;
        if (this.failedRewrite) this.say(`payjs-sandbox: ${shownName(this.file!)} was rewritten again; its journal is short again`);
        this.failedRewrite = undefined;
      },
      (err: Error) => {
        this.retryAtBytes = this.journal!.bytes + Math.min(RETRY_BYTES, this.compactAtBytes);
        if (this.failedRewrite === err.message) return;
        this.failedRewrite = err.message;
        this.say(`payjs-sandbox: could not rewrite ${shownName(this.file!)} (${err.message}); nothing is lost: every change stays in ${shownName(this.journal!.file)}, which grows until a rewrite succeeds (tried again as it grows, and at close)`);
      },
    );
  }

  private say(message: string): void {
    (this.options.warn ?? ((m: string) => process.emitWarning(m)))(message);
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
    // A leftover .old file is only dropped once a document holding everything has landed: one
    // written from now on (without a rotation, which would overwrite .old) holds it all.
    if (existsSync(journal.oldFile)) {
      if (!(await this.checkpoint(this.seq))) return;
      await journal.dropOld();
    }
    // The journal is rotated first, between two group commits: every change up to `seq` is in
    // .old, every later one goes to the new file, which the document written next does not need.
    let seq = 0;
    await journal.rotate(() => {
      seq = this.seq;
    });
    // With fsync, the new journal's name reaches the disk with the document's (checkpoint
    // fsyncs the directory after its rename), before .old goes.
    if (await this.checkpoint(seq)) await journal.dropOld();
  }

  /** Writes the document as of `seq` (fuzzy: see checkpoint.ts); false if a journal write failed
   * meanwhile, which may have taken back a value already written to it. */
  private checkpoint(seq: number): Promise<boolean> {
    const journal = this.journal!;
    const failures = journal.failures;
    const collections = [...this.collections];
    return writeCheckpoint(this.file!, seq, collections, {
      fsync: this.options.fsync,
      sliceBytes: this.options.compactSliceBytes,
      summaries: this.options.summaries,
      // Every line appended before the last slice was serialised is written (or failed) once
      // the journal has settled.
      stillValid: () => journal.settled().then(() => journal.failures === failures),
    });
  }

  /** A rewrite that fails here is said and the store still closes: what the document lacks is in
   * the journal, which the next open replays. */
  async close(): Promise<void> {
    if (!this.journal) return;
    await this.journal.settled();
    await this.compact().catch((err: Error) => this.say(`payjs-sandbox: could not rewrite ${shownName(this.file!)} at close (${err.message}); nothing is lost: the next start replays ${shownName(this.journal!.file)}`));
    await this.journal.settled();
    this.journal.close();
    this.lock?.release();
  }
}
